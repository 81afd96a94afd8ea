"""What generate_training_script tells an agent about each method, word for word: the checks (status,
message with its numbers, fix) and the method's CONFIG settings, for GRPO, DPO, KTO, reward and SFT."""

from __future__ import annotations

from hf_train_mcp.training.render import training_pins
from hf_train_mcp.training.requests import parse_request
from hf_train_mcp.training.resolve import resolve
from training.helpers import request


def plan_for(**overrides):
    return resolve(parse_request(request(**overrides)), pinned=training_pins())


def checks(plan) -> dict[str, tuple]:
    return {c.name: (c.status, c.message, c.fix) for c in plan.checks}


def test_grpo_with_a_reward_model_a_reference_copy_and_one_weight_too_few() -> None:
    plan = plan_for(
        method="grpo",
        flavor="a10g-large",
        peft="full",
        num_generations=4,
        per_device_train_batch_size=2,
        gradient_accumulation_steps=4,
        reward_funcs=["accuracy", "soft_overlong", "repetition_penalty"],
        reward_model="me/rm",
        reward_weights=[1.0],
        grpo_beta=0.1,
        temperature=0.7,
        max_completion_length=100,
        max_steps=10,
    )
    got = checks(plan)
    assert got["packing"] == ("info", "GRPO batches are not packed (TRL packs SFT data only)", None)
    assert got["reward_weights"] == (
        "fail",
        "1 reward_weights for 4 rewards (accuracy, soft_overlong, repetition_penalty, me/rm)",
        "pass one weight per reward, in the order reward_funcs then reward_model, or leave it out (all 1)",
    )
    assert got["rewards"] == (
        "info",
        "accuracy compare completions with the 'solution' column (math answers, parsed by math-verify, "
        "which the script pins)",
        None,
    )
    assert got["num_generations"] == (
        "pass",
        "4 completions per prompt; 2 prompts per generation batch",
        None,
    )
    assert got["reward_model"] == (
        "info",
        "me/rm scores the completions on the training GPU: its weights are not in the memory estimate",
        "leave headroom for it (a flavor with more memory than the estimate), or a small reward model",
    )
    assert got["reference_model"] == (
        "info",
        "grpo_beta=0.1 with a full fine-tune keeps a frozen reference copy of the model",
        "use peft='lora' (the adapter is switched off for the reference) or grpo_beta=0",
    )
    assert got["generation"] == (
        "pass",
        "4 completions of up to 100 tokens per prompt (prompts over 512 tokens are dropped), temperature "
        "0.7, generated with transformers",
        None,
    )
    config = plan.config
    assert config["rewards"] == [
        {"name": "accuracy", "kwargs": {}},
        {"name": "soft_overlong", "kwargs": {"max_completion_len": 100, "soft_punish_cache": 25}},
        {"name": "repetition_penalty", "kwargs": {"ngram_size": 3, "max_penalty": -1.0}},
    ]
    assert (config["reward_model"], config["reward_weights"], config["beta"]) == ("me/rm", [1.0], 0.1)
    assert (config["num_generations"], config["max_completion_length"], config["temperature"]) == (
        4,
        100,
        0.7,
    )
    assert config["max_prompt_length"] == 512 and "lora" not in config


def test_grpo_with_an_adapter_and_no_beta_needs_no_reference_and_a_tiny_cache_is_one() -> None:
    plan = plan_for(method="grpo", reward_funcs=["soft_overlong"], max_completion_length=3, max_steps=1)
    got = checks(plan)
    assert "reference_model" not in got and "reward_model" not in got and "reward_weights" not in got
    assert plan.config["rewards"] == [
        {"name": "soft_overlong", "kwargs": {"max_completion_len": 3, "soft_punish_cache": 1}}
    ]
    assert plan.config["lora"] == {"r": 16, "alpha": 32, "dropout": 0.05, "target_modules": "all-linear"}


def test_a_generation_batch_no_count_divides_says_what_to_raise() -> None:
    got = checks(
        plan_for(
            method="grpo",
            flavor="a10g-large",
            num_generations=5,
            per_device_train_batch_size=1,
            gradient_accumulation_steps=1,
            max_steps=10,
        )
    )
    assert got["num_generations"] == (
        "fail",
        "num_generations=5 does not divide the generation batch 1 (batch 1 x accumulation 1 x 1 GPU(s)): the "
        "job would stop at start-up, after paying for the GPU",
        "raise per_device_train_batch_size or gradient_accumulation_steps to a multiple of 5",
    )
    got = checks(
        plan_for(
            method="grpo",
            flavor="a10g-large",
            num_generations=5,
            per_device_train_batch_size=4,
            gradient_accumulation_steps=3,
            max_steps=10,
        )
    )
    assert got["num_generations"][0] == "fail"
    assert got["num_generations"][2] == "use num_generations in [2, 3, 4, 6, 12]"


def test_full_dpo_and_kto_say_they_keep_a_reference_copy() -> None:
    for method in ("dpo", "kto"):
        got = checks(plan_for(method=method, peft="full"))
        assert got["packing"] == (
            "info",
            f"{method.upper()} batches are not packed (TRL packs SFT data only)",
            None,
        )
        assert got["reference_model"] == (
            "info",
            f"full {method.upper()} keeps a second frozen copy of the model as reference "
            "(twice the weights in memory)",
            "use peft='lora' to train without a reference copy",
        )
        assert "reference_model" not in checks(plan_for(method=method, peft="lora"))
    dpo = plan_for(method="dpo", beta=0.2, loss_type="ipo").config
    assert (dpo["beta"], dpo["loss_type"]) == (0.2, "ipo")
    kto = plan_for(method="kto", beta=0.3, desirable_weight=1.5, undesirable_weight=0.5).config
    assert (kto["beta"], kto["loss_type"], kto["desirable_weight"], kto["undesirable_weight"]) == (
        0.3,
        "kto",
        1.5,
        0.5,
    )


def test_kto_with_a_batch_of_one_fails_with_the_fix() -> None:
    got = checks(plan_for(method="kto", per_device_train_batch_size=1))
    assert got["per_device_train_batch_size"] == (
        "fail",
        "KTO's loss estimates its KL term from the other completions of the batch: a batch of 1 fails",
        "use per_device_train_batch_size=2 or more, or kto_loss_type='apo_zero_unpaired'",
    )
    assert "per_device_train_batch_size" not in checks(plan_for(method="kto", per_device_train_batch_size=2))


def test_a_qlora_reward_model_and_sft_on_columns_without_messages() -> None:
    got = checks(plan_for(method="reward", peft="qlora", flavor="a10g-large"))
    assert got["quantization"] == ("pass", "4-bit NF4 base weights with a LoRA adapter (QLoRA)", None)
    assert got["reward_head"] == (
        "pass",
        "the model is loaded as a sequence classifier with one score (a new head); with LoRA the head is "
        "trained and saved with the adapter",
        None,
    )
    sft = plan_for(assistant_only_loss=True, dataset_columns=["prompt", "completion"], flavor="a10g-large")
    assert checks(sft)["assistant_only_loss"] == (
        "fail",
        "assistant_only_loss needs conversational data (a 'messages' column)",
        "map the conversation column onto 'messages', or set assistant_only_loss=False",
    )
    assert "quantization" not in checks(sft)
    ok = plan_for(assistant_only_loss=True, dataset_columns=["messages"], flavor="a10g-large")
    assert "assistant_only_loss" not in checks(ok) and ok.config["assistant_only_loss"] is True
    full = plan_for(peft="full", flavor="a10g-large")
    assert "lora" not in full.config


def test_packing_with_remote_code_is_a_warning_with_the_way_out() -> None:
    status, message, fix = checks(plan_for(packing=True, trust_remote_code=True, flavor="a10g-large"))[
        "packing"
    ]
    assert status == "warn"
    assert message.endswith("; with trust_remote_code the model's own attention must keep packed rows apart")
    assert (
        fix == "leave packing unset (off with trust_remote_code) unless the model uses transformers' masking"
    )
    assert checks(plan_for(packing=True, flavor="a10g-large"))["packing"][0] == "pass"
