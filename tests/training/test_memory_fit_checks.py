"""The memory decision as an agent reads it in generate_training_script's checks and CONFIG: GRPO keeps
the request's sizes, an unknown model keeps the defaults, flavor 'local' carries every candidate's need
for the script, a plan that cannot fit is a warning with the fix, and a fitting one shows its figures."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from hf_train_mcp.hardware import api, memory, models
from hf_train_mcp.training.hardware_steps import estimate_dict
from hf_train_mcp.training.render import training_pins
from hf_train_mcp.training.requests import hardware_plan, parse_request
from hf_train_mcp.training.resolve import resolve
from training.helpers import request


def plan_for(**overrides):
    overrides.setdefault("timeout", "48h")
    return resolve(parse_request(request(**overrides)), pinned=training_pins())


def memory_check(plan) -> tuple:
    (check,) = [c for c in plan.checks if c.name == "memory_fit"]
    return check.status, check.message, check.fix


def settings(plan) -> tuple:
    cfg = plan.config
    return (
        cfg["gradient_checkpointing"],
        cfg["per_device_train_batch_size"],
        cfg["gradient_accumulation_steps"],
        cfg["memory_fit"],
    )


@pytest.mark.parametrize("ckpt", [None, False])
def test_grpo_keeps_the_requests_generation_batch(ckpt) -> None:
    extra = {} if ckpt is None else {"gradient_checkpointing": ckpt}
    plan = plan_for(method="grpo", flavor="a10g-large", max_steps=10, per_device_train_batch_size=4, **extra)
    on = "on" if ckpt is None else "off"
    assert memory_check(plan) == (
        "info",
        f"GRPO: micro-batch 4 x accumulation 2, checkpointing {on} as requested (or the defaults)",
        None,
    )
    assert settings(plan) == (ckpt is None, 4, 2, None)


def test_an_unknown_model_keeps_the_defaults_and_says_what_to_pass(tmp_path: Path) -> None:
    missing = str(tmp_path / "nonexistent" / "model")  # inside the folders the server may read
    plan = plan_for(flavor="a10g-large", model=missing)
    assert memory_check(plan) == (
        "info",
        "model size unknown: checkpointing on, micro-batch 4 x accumulation 4 (defaults)",
        "pass a Hub id or a local model folder the hardware model can read",
    )
    assert settings(plan) == (True, 4, 4, None)
    off = plan_for(flavor="a10g-large", model=missing, gradient_checkpointing=False)
    assert memory_check(off)[1].startswith("model size unknown: checkpointing off,")
    assert settings(off)[0] is False


def test_flavor_local_carries_every_candidates_need_for_the_script() -> None:
    plan = plan_for(flavor="local", max_length=1024)
    ckpt, batch, accumulation, fit = settings(plan)
    assert (ckpt, batch, accumulation) == (True, 4, 4)  # until the script sees its GPU
    assert {k: fit[k] for k in ("effective_batch", "batch", "accumulation", "checkpointing")} == {
        "effective_batch": 16,
        "batch": None,
        "accumulation": None,
        "checkpointing": None,
    }
    assert fit["cpu_batch"] == 4
    shape = models.resolve("Qwen/Qwen2.5-0.5B")
    base = hardware_plan(parse_request(request(flavor="local", max_length=1024, timeout="48h")))
    expected = []
    for on in (False, True):
        for micro in (1, 2, 4, 8, 16):
            p = replace(base, gradient_checkpointing=on, batch_size=micro, gradient_accumulation=16 // micro)
            expected.append([on, micro, round(memory.estimate_memory(shape, p, bf16=True).total_gb, 3)])
    assert fit["needs_gib"] == expected
    smallest, largest = min(n for *_, n in expected), max(n for *_, n in expected)
    assert memory_check(plan) == (
        "info",
        "flavor 'local': checkpointing and micro-batch are decided at start from the GPU found and its free "
        f"memory (the plan needs {smallest:.1f} to {largest:.1f} GiB depending on them), keeping the "
        "effective batch of 16",
        None,
    )


def test_a_plan_that_cannot_fit_warns_with_the_figures_and_the_fix() -> None:
    plan = plan_for(flavor="a10g-large", peft="full", model="meta-llama/Llama-3.1-8B")
    status, message, fix = memory_check(plan)
    assert status == "warn"
    assert message.startswith(
        "the run may not fit in a10g-large's memory: micro-batch 1 x accumulation 16 (effective batch 16); "
    )
    assert "GiB per GPU of 21.4 GiB usable with the margin (" in message
    assert message.endswith(" GiB with checkpointing off)")
    assert fix == "use peft='lora' or 'qlora', a smaller max_length, or a larger flavor"
    assert settings(plan)[:3] == (True, 1, 16)


def test_the_users_batch_is_kept_and_the_other_checkpointing_is_shown() -> None:
    plan = plan_for(
        flavor="a10g-large", max_length=1024, per_device_train_batch_size=2, gradient_accumulation_steps=3
    )
    status, message, fix = memory_check(plan)
    assert status == "pass" and fix is None
    assert message.startswith("micro-batch 2 x accumulation 3 (effective batch 6); checkpointing off: ")
    assert " GiB per GPU of 21.4 GiB usable with the margin (" in message
    assert message.endswith(" GiB with checkpointing on)")
    assert settings(plan) == (False, 2, 3, None)
    both_fixed = plan_for(
        flavor="a10g-large",
        max_length=1024,
        per_device_train_batch_size=2,
        gradient_accumulation_steps=3,
        gradient_checkpointing=True,
    )
    assert "with checkpointing" not in memory_check(both_fixed)[1]  # no other setting was a candidate
    assert settings(both_fixed)[:3] == (True, 2, 3)


def _decided_estimate(plan, overrides: dict, dataset_examples: int | None) -> dict:
    """The hardware model's estimate of the plan the generator decided (its batch, accumulation and
    checkpointing), asked directly through the public API."""
    cfg = plan.config
    decided = parse_request(
        request(
            **overrides,
            gradient_checkpointing=cfg["gradient_checkpointing"],
            per_device_train_batch_size=cfg["per_device_train_batch_size"],
            gradient_accumulation_steps=cfg["gradient_accumulation_steps"],
        )
    )
    return estimate_dict(
        api.estimate(hardware_plan(decided, dataset_examples=dataset_examples), cfg["flavor"])
    )


@pytest.mark.parametrize(
    ("extra", "examples"), [({"max_steps": 500}, None), ({}, 20_000)], ids=["max_steps", "dataset_rows"]
)
def test_time_and_cost_are_those_of_the_decided_plan(extra: dict, examples: int | None) -> None:
    """An 8B LoRA on a10g-large runs at micro-batch 2 x 8 (the request's default 4 x 4 does not fit): the
    time, cost and memory shown are the hardware model's for 2 x 8, whether the run is sized by steps
    (sequences = steps x micro-batch x accumulation) or by the dataset's rows."""
    overrides = {
        "flavor": "a10g-large",
        "model": "meta-llama/Llama-3.1-8B",
        "max_length": 2048,
        "timeout": "48h",
        **extra,
    }
    plan = resolve(parse_request(request(**overrides)), pinned=training_pins(), dataset_examples=examples)
    assert settings(plan)[:3] == (True, 2, 8)
    expected = _decided_estimate(plan, overrides, examples)
    assert expected["est_hours"] and expected["est_cost_usd"] and expected["fits"]
    assert plan.estimate == expected


def test_a_decided_plan_that_fits_clears_the_warning_about_the_default_one() -> None:
    """The request's default sizes (4 x 4) do not fit an 8B LoRA on a10g-large, the decided 2 x 8 does:
    no memory warning is left. On t4-small nothing fits: the warning stays, with the memory_fit one."""
    overrides = {"model": "meta-llama/Llama-3.1-8B", "max_length": 2048, "timeout": "48h"}
    default = api.estimate(
        hardware_plan(parse_request(request(flavor="a10g-large", **overrides))), "a10g-large"
    )
    assert not default.fits  # what decide_flavor warned about
    fits = plan_for(flavor="a10g-large", **overrides)
    assert [c.status for c in fits.checks if c.name in ("memory", "memory_fit")] == ["pass"]
    too_small = plan_for(flavor="t4-small", **overrides)
    assert [(c.name, c.status) for c in too_small.checks if c.name in ("memory", "memory_fit")] == [
        ("memory", "warn"),
        ("memory_fit", "warn"),
    ]


def test_a_cpu_flavor_keeps_the_defaults_without_a_memory_decision() -> None:
    """A CPU flavor has no GPU memory to fit: the defaults stay and no memory_fit figures are shown
    (its check is the flavor warning)."""
    plan = plan_for(flavor="cpu-upgrade", model="Qwen/Qwen2.5-0.5B", peft="full", max_length=1024)
    assert settings(plan) == (True, 4, 4, None)
    assert not [c for c in plan.checks if c.name == "memory_fit"]
    assert [c.status for c in plan.checks if c.name == "flavor"] == ["warn"]


def test_flavor_local_sizes_a_full_fine_tune_for_both_kinds_of_gpu() -> None:
    """flavor 'local' does not know its GPU until the script starts: CONFIG carries a full fine-tune's
    figures for a bf16 GPU (bf16 weights and states) and for a pre-Ampere one (fp32 master weights, more
    memory), each the hardware model's for that candidate."""
    overrides = {"model": "Qwen/Qwen2.5-0.5B", "peft": "full", "max_length": 1024, "timeout": "48h"}
    fit = settings(plan_for(flavor="local", **overrides))[3]
    shape = models.resolve("Qwen/Qwen2.5-0.5B")
    base = hardware_plan(parse_request(request(flavor="local", **overrides)))
    for rows, bf16 in ((fit["needs_gib"], True), (fit["needs_gib_fp16"], False)):
        for ckpt, batch, need in rows:
            p = replace(
                base, gradient_checkpointing=ckpt, batch_size=batch, gradient_accumulation=16 // batch
            )
            assert need == round(memory.estimate_memory(shape, p, bf16=bf16).total_gb, 3)
    assert all(fp16[2] > bf16[2] for bf16, fp16 in zip(fit["needs_gib"], fit["needs_gib_fp16"], strict=True))


def test_a_users_micro_batch_above_the_search_range_is_kept_and_checked() -> None:
    """The search tries micro-batches up to 32; a user's 64 is still the one sized and kept."""
    plan = plan_for(flavor="h200", model="Qwen/Qwen2.5-0.5B", max_length=512, per_device_train_batch_size=64)
    status, message, _ = memory_check(plan)
    assert status == "pass" and settings(plan)[1:3] == (64, 4)
    assert message.startswith("micro-batch 64 x accumulation 4 (effective batch 256); ")
