"""The memory decision as an agent reads it in generate_training_script's checks and CONFIG: GRPO keeps
the request's sizes, an unknown model keeps the defaults, flavor 'local' carries every candidate's need
for the script, a plan that cannot fit is a warning with the fix, and a fitting one shows its figures."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from hf_train_mcp.hardware import memory, models
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
