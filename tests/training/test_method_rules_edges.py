"""The edges of each method's rules, as generate_training_script reports them: which check fires on which
side of a boundary (a solution column present or not, grpo_beta 0, one GPU or two, a CPU flavor), the
exact fix an agent copies, and the CONFIG values the script trains with."""

from __future__ import annotations

from hf_train_mcp.training.render import training_pins
from hf_train_mcp.training.requests import parse_request
from hf_train_mcp.training.resolve import resolve
from training.helpers import plan_checks, request

GRPO = {"method": "grpo", "reward_funcs": ["think_format"], "max_steps": 5}


def plan_for(**overrides):
    return resolve(parse_request(request(**overrides)), pinned=training_pins())


# -- SFT ----------------------------------------------------------------------------------------------------
def test_sft_without_packing_says_so_once_and_trains_unpacked() -> None:
    plan = plan_for(packing=False, completion_only_loss=False, flavor="a10g-large")
    assert plan_checks(plan, "packing") == [
        ("info", "packing=False asked: each batch is padded to its longest row", None)
    ]
    assert plan.config["packing"] is False and plan.config["completion_only_loss"] is False
    packed = plan_for(flavor="a10g-large", max_length=1024)
    assert plan_checks(packed, "packing") == [
        (
            "pass",
            "packed into rows of 1024 tokens (TRL 'bfd', padding-free; rows kept apart by position_ids): no "
            "compute spent on padding; each micro-batch row holds several examples",
            None,
        )
    ]
    assert packed.config["packing"] is True


def test_qlora_trains_the_same_lora_adapter_settings() -> None:
    plan = plan_for(peft="qlora", lora_r=8, lora_alpha=16, lora_dropout=0.1, flavor="a10g-large")
    assert plan.config["lora"] == {"r": 8, "alpha": 16, "dropout": 0.1, "target_modules": "all-linear"}


# -- GRPO rewards -------------------------------------------------------------------------------------------
def test_grpo_without_any_reward_fails_with_the_ways_to_give_one() -> None:
    plan = plan_for(**{**GRPO, "reward_funcs": []}, flavor="a10g-large")
    assert plan_checks(plan, "rewards") == [
        (
            "fail",
            "GRPO needs at least one reward: reward_funcs is empty and no reward_model is given",
            "pass reward_funcs (e.g. ['accuracy'] with a solution column, or ['think_format']) or "
            "reward_model",
        )
    ]


def test_rewards_that_read_the_solution_pass_when_the_column_is_there() -> None:
    plan = plan_for(
        **{**GRPO, "reward_funcs": ["accuracy", "cosine_scaled"]},
        dataset_columns=["prompt", "solution"],
        flavor="a10g-large",
    )
    assert plan_checks(plan, "rewards") == [
        (
            "pass",
            "accuracy, cosine_scaled compare completions with the 'solution' column (math answers, parsed by "
            "math-verify, which the script pins)",
            None,
        )
    ]


def test_rewards_that_read_the_solution_fail_without_the_column_and_say_how_to_map_it() -> None:
    plan = plan_for(
        **{**GRPO, "reward_funcs": ["reasoning_accuracy"]},
        dataset_columns=["prompt", "answer"],
        flavor="a10g-large",
    )
    assert plan_checks(plan, "rewards") == [
        (
            "fail",
            "reward 'reasoning_accuracy' compares each completion with the row's 'solution', and the "
            "dataset has no solution column (after the mapping: ['answer', 'prompt'])",
            'map the reference-answer column onto solution, e.g. column_mapping={"solution": "answer"}, or '
            "choose rewards that need no answer (think_format, repetition_penalty, soft_overlong)",
        )
    ]


def test_the_overlong_penalty_window_is_a_whole_number_of_tokens() -> None:
    # TRL's soft_overlong_punishment takes an int cache: a quarter of 130 tokens, rounded down
    plan = plan_for(
        **{**GRPO, "reward_funcs": ["soft_overlong"]}, max_completion_length=130, flavor="a10g-large"
    )
    assert plan.config["rewards"] == [
        {"name": "soft_overlong", "kwargs": {"max_completion_len": 130, "soft_punish_cache": 32}}
    ]
    assert isinstance(plan.config["rewards"][0]["kwargs"]["soft_punish_cache"], int)


# -- GRPO batches -------------------------------------------------------------------------------------------
def test_a_cpu_flavor_counts_one_device_in_the_generation_batch() -> None:
    # batch 4 x accumulation 2 x 1 device = 8 completions: 2 prompts of 4
    plan = plan_for(
        **GRPO,
        num_generations=4,
        per_device_train_batch_size=4,
        gradient_accumulation_steps=2,
        flavor="cpu-upgrade",
    )
    assert plan_checks(plan, "num_generations") == [
        ("pass", "4 completions per prompt; 2 prompts per generation batch", None)
    ]


def test_the_counts_offered_for_a_large_generation_batch_stop_at_64() -> None:
    # 13 x 10 x 1 = 130 = 2 x 5 x 13: its divisors from 2 to 64 (65 and 130 are above the offer)
    plan = plan_for(
        **GRPO,
        num_generations=4,
        per_device_train_batch_size=13,
        gradient_accumulation_steps=10,
        flavor="a10g-large",
    )
    [(status, message, fix)] = plan_checks(plan, "num_generations")
    assert status == "fail" and "the generation batch 130 (batch 13 x accumulation 10 x 1 GPU(s))" in message
    assert fix == "use num_generations in [2, 5, 10, 13, 26]"


def test_evaluation_batches_count_every_gpu() -> None:
    # two GPUs: evaluation generates for 2 x 2 = 4 prompts' completions, which 4 divides
    two = plan_for(
        **GRPO,
        num_generations=4,
        per_device_train_batch_size=2,
        gradient_accumulation_steps=1,
        eval_fraction=0.1,
        flavor="a10g-largex2",
    )
    assert plan_checks(two, "num_generations") == [
        ("pass", "4 completions per prompt; 1 prompts per generation batch", None)
    ]
    # 3 x 2 = 6, which 4 does not divide (the training batch 3 x 2 x 2 = 12 is fine)
    six = plan_for(
        **GRPO,
        num_generations=4,
        per_device_train_batch_size=3,
        gradient_accumulation_steps=2,
        eval_fraction=0.1,
        flavor="a10g-largex2",
    )
    assert plan_checks(six, "num_generations")[1] == (
        "fail",
        "evaluation generates for batches of 6 (batch x GPUs), which num_generations=4 does not divide",
        "use per_device_train_batch_size a multiple of 4, or no eval data",
    )


# -- GRPO generation and reference --------------------------------------------------------------------------
def test_vllm_is_refused_with_the_pinned_stack_and_the_flavor_without_a_gpu() -> None:
    pins = training_pins()
    stack = f"torch=={pins['torch']}, transformers=={pins['transformers']}, trl=={pins['trl']}"
    fix = "leave use_vllm=False: completions are generated with transformers (slower, same results)"
    [(status, message, got_fix)] = plan_checks(
        plan_for(**GRPO, use_vllm=True, flavor="a10g-large"), "use_vllm"
    )
    assert status == "fail" and got_fix == fix
    assert message.startswith(f"vLLM generation is not available: the pinned stack ({stack}, ")
    assert message.endswith(") does not include vllm, which pins its own torch")
    [(_, on_cpu, _)] = plan_checks(plan_for(**GRPO, use_vllm=True, flavor="cpu-upgrade"), "use_vllm")
    assert on_cpu.endswith("which pins its own torch; cpu-upgrade has no GPU for it either")


def test_a_reference_copy_only_for_a_full_fine_tune_with_a_kl_term() -> None:
    assert (
        plan_checks(plan_for(**GRPO, peft="full", grpo_beta=0.0, flavor="a100-large"), "reference_model")
        == []
    )
    assert (
        plan_checks(plan_for(**GRPO, peft="lora", grpo_beta=0.04, flavor="a10g-large"), "reference_model")
        == []
    )
    assert (
        plan_checks(plan_for(**GRPO, peft="full", grpo_beta=0.04, flavor="a100-large"), "reference_model")
        != []
    )


def test_vllm_refused_when_no_flavor_could_be_picked_names_no_empty_flavor(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)  # a folder this server may read
    (tmp_path / "empty-model").mkdir()  # no config.json: no flavor can be recommended for it
    req = request(**GRPO, use_vllm=True, model=str(tmp_path / "empty-model"))
    req.pop("flavor")
    plan = resolve(parse_request(req), pinned=training_pins())
    assert plan_checks(plan, "flavor")[0][0] == "fail"
    [(_, message, _)] = plan_checks(plan, "use_vllm")
    assert message.endswith("which pins its own torch; this flavor has no GPU for it either")
