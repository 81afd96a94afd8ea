"""GRPO, KTO and reward modelling without training: their requests, checks, hardware terms and the
script's reward wiring (the CPU runs are in test_train_cpu.py)."""

from __future__ import annotations

import subprocess
import sys
import typing

import pytest
from hf_train_mcp.hardware import api
from hf_train_mcp.training import runner_methods, runner_trainer
from hf_train_mcp.training.arguments import RewardName
from hf_train_mcp.training.render import render_script, training_pins
from hf_train_mcp.training.requests import RequestError, hardware_plan, parse_request
from hf_train_mcp.training.resolve import resolve
from training.helpers import request

CPU = {"dtype": "float32", "bf16": False, "fp16": False, "use_cpu": True, "device": "cpu"}


def plan_for(**overrides):
    return resolve(parse_request(request(**overrides)), pinned=training_pins())


def failures(**overrides) -> dict[str, str]:
    return {c.name: f"{c.message} Fix: {c.fix}" for c in plan_for(**overrides).failures}


def test_reward_names_are_the_scripts_and_exist_in_the_pinned_trl():
    assert set(typing.get_args(RewardName)) == set(runner_methods.TRL_REWARDS)
    names = sorted(runner_methods.TRL_REWARDS.values())
    code = f"import trl.rewards as r; print([n for n in {names!r} if not callable(getattr(r, n))])"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=True
    )
    assert out.stdout.strip() == "[]"


def test_plain_completions_reach_trls_rewards_as_messages():
    seen = {}

    def think_format_reward(completions, **kwargs):
        seen.update(completions=completions, kwargs=kwargs)
        return [1.0] * len(completions)

    wrapped = runner_methods.AsMessages(think_format_reward)
    assert wrapped.__name__ == "think_format_reward"  # TRL's metric key
    assert wrapped(completions=["<think>a</think> b"], solution=["b"]) == [1.0]
    assert seen["completions"] == [[{"role": "assistant", "content": "<think>a</think> b"}]]
    assert seen["kwargs"] == {"solution": ["b"]}
    chat = [[{"role": "assistant", "content": "x"}]]
    wrapped(completions=chat)
    assert seen["completions"] is chat


def test_grpo_config_carries_the_rewards_and_generation_settings():
    config = plan_for(
        method="grpo",
        reward_funcs=["soft_overlong", "cosine_scaled", "soft_overlong"],
        reward_weights=[0.5, 1.0],
        max_completion_length=128,
        dataset_columns=["problem", "answer"],
        column_mapping={"prompt": "problem", "solution": "answer"},
    ).config
    assert config["rewards"] == [
        {"name": "soft_overlong", "kwargs": {"max_completion_len": 128, "soft_punish_cache": 32}},
        {"name": "cosine_scaled", "kwargs": {"max_len": 128}},
    ]
    args = runner_trainer.training_args(config, CPU, has_eval=False)
    assert args["num_generations"] == 4 and args["max_completion_length"] == 128
    assert args["beta"] == 0.0 and args["use_vllm"] is False and args["reward_weights"] == [0.5, 1.0]
    assert '"math-verify==' in render_script(plan_for(method="grpo", reward_funcs=["cosine_scaled"]))
    assert '"math-verify==' not in render_script(plan_for(method="grpo"))


@pytest.mark.parametrize(
    ("overrides", "check", "words"),
    [
        ({"num_generations": 3}, "num_generations", ["does not divide", "[2, 4, 8]"]),
        (
            {"num_generations": 8, "per_device_train_batch_size": 4, "eval_fraction": 0.1},
            "num_generations",
            ["evaluation", "multiple of 8"],
        ),
        ({"reward_funcs": []}, "rewards", ["at least one reward"]),
        ({"reward_weights": [1.0, 2.0]}, "reward_weights", ["2 reward_weights for 1 rewards"]),
        (
            {"reward_funcs": ["accuracy"], "dataset_columns": ["prompt"]},
            "rewards",
            ["no solution column", '"solution": "answer"'],
        ),
        ({"use_vllm": True, "flavor": "a10g-large"}, "use_vllm", ["does not include vllm", "transformers"]),
        ({"use_vllm": True, "flavor": "cpu-upgrade"}, "use_vllm", ["no GPU"]),
    ],
)
def test_grpo_settings_that_cannot_work_are_refused_with_the_fix(overrides, check, words):
    found = failures(method="grpo", **overrides)
    assert check in found, found
    for word in words:
        assert word in found[check]


def test_a_multi_gpu_flavor_counts_in_the_generation_batch():
    assert "num_generations" in failures(method="grpo", flavor="a10g-large", num_generations=16, max_steps=10)
    assert plan_for(method="grpo", flavor="a100x4", num_generations=16, max_steps=10).ok  # 4 x 2 x 4 GPUs
    assert "num_generations" in failures(method="grpo", flavor="a100x4", num_generations=64, max_steps=10)


def test_kto_and_reward_checks():
    assert "kto needs" not in str(failures(method="kto"))
    assert "per_device_train_batch_size" in failures(method="kto", per_device_train_batch_size=1)
    assert plan_for(method="kto", per_device_train_batch_size=1, kto_loss_type="apo_zero_unpaired").ok
    assert "dataset_format" in failures(method="kto", dataset_columns=["prompt", "completion"])
    assert plan_for(method="kto", dataset_columns=["prompt", "chosen", "rejected"]).ok  # TRL unpairs them
    assert "dataset_format" in failures(method="reward", dataset_columns=["prompt", "completion"])
    config = plan_for(method="reward", center_rewards_coefficient=0.01).config
    assert config["center_rewards_coefficient"] == 0.01
    assert (
        runner_methods.METHODS["reward"].task_type == "SEQ_CLS"
    )  # the LoRA run trains and saves the score head


def test_other_methods_arguments_are_refused_with_the_right_fix():
    with pytest.raises(RequestError) as refused:
        parse_request(request(method="grpo", beta=0.2))
    assert "grpo_beta" in str(refused.value)
    with pytest.raises(RequestError) as refused:
        parse_request(request(method="sft", num_generations=8))
    assert "'grpo' only" in str(refused.value)
    with pytest.raises(RequestError):
        parse_request(request(method="grpo", reward_funcs=["my_own_code"]))


def test_the_hardware_model_sees_grpos_real_settings():
    def estimate(**overrides):
        req = parse_request(request(method="grpo", **overrides))
        plan = hardware_plan(req, params_b=0.5, dataset_examples=1000)
        return plan, api.estimate(plan, "a10g-large")

    plan, base = estimate(max_prompt_length=256, max_completion_length=512, num_generations=8)
    assert (plan.method, plan.max_length, plan.max_completion_length) == ("grpo", 768, 512)
    assert (plan.num_generations, plan.grpo_beta) == (8, 0.0)
    assert base.memory["reference_model_gb"] == 0
    _, kl_full = estimate(peft="full", grpo_beta=0.04)
    assert kl_full.memory["reference_model_gb"] > 0  # a frozen copy only without an adapter
    _, kl_lora = estimate(grpo_beta=0.04)
    assert kl_lora.memory["reference_model_gb"] == 0
    _, longer = estimate(max_prompt_length=256, max_completion_length=1024, num_generations=8)
    assert longer.est_hours > base.est_hours and longer.memory["total_gb"] > base.memory["total_gb"]
    _, fewer = estimate(max_prompt_length=256, max_completion_length=512, num_generations=2)
    assert fewer.est_hours < base.est_hours


def test_kto_and_reward_are_sized_as_pairs():
    kto = hardware_plan(parse_request(request(method="kto", peft="full")), params_b=0.5)
    reward = hardware_plan(parse_request(request(method="reward", peft="full")), params_b=0.5)
    assert (kto.method, kto.dpo_reference) == ("dpo", "auto")  # reference copy for a full fine-tune
    assert (reward.method, reward.dpo_reference) == ("dpo", "none")


@pytest.mark.slow
@pytest.mark.anyio
async def test_a_grpo_script_for_a_gpu_rehearses_on_cpu(tiny, tmp_path, monkeypatch):
    """generate_training_script -> dry_run_training_script through the MCP client: the rehearsal of a GPU
    script (default GRPO settings, 256-token completions) generates a few tokens on a tiny copy."""
    from hf_train_mcp.app import build_server
    from mcp import Client
    from training.tiny import GRPO_ROWS, write_jsonl

    monkeypatch.setenv("HF_TRAIN_MCP_DATA_DIR", str(tmp_path / "data"))
    rows = write_jsonl(tmp_path / "math.jsonl", GRPO_ROWS)
    async with Client(build_server()) as client:
        generated = await client.call_tool(
            "generate_training_script",
            {
                "method": "grpo",
                "model": str(tiny.model),
                "dataset": "someone/math",
                "hub_model_id": "me/x",
                "flavor": "local",
                "timeout": "2h",
                "column_mapping": {"prompt": "question", "solution": "answer"},
                "reward_funcs": ["soft_overlong", "repetition_penalty"],
            },
        )
        assert not generated.is_error, generated.content[0].text
        assert generated.structured_content["plan"]["config"]["max_completion_length"] == 256
        result = await client.call_tool(
            "dry_run_training_script",
            {"script": generated.structured_content["script_path"], "dataset": str(rows)},
        )
    data = result.structured_content
    assert data["ok"] is True, data["error"] + "\n" + data["log_tail"]
    assert data["summary"]["steps"] == 2 and "adapter_model.safetensors" in data["files"]
