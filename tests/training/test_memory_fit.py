"""Checkpointing, micro-batch and packing decisions against the hardware model, for plans x flavors.

Every expectation is computed through the public hardware API (`api.estimate` of the decided plan and of its
neighbours), not hard-coded: the decision must be the fastest setting the memory model says fits.
"""

from __future__ import annotations

import re

import pytest
from hf_train_mcp.hardware import api
from hf_train_mcp.hardware.memory import CUDA_CONTEXT_GIB
from hf_train_mcp.training.render import training_pins
from hf_train_mcp.training.requests import hardware_plan, parse_request
from hf_train_mcp.training.resolve import resolve
from hf_train_mcp.training.runner_fit import MAX_MICRO_BATCH, batch_candidates, fit_for_device
from training.helpers import request

PLANS = {
    "0.5B lora 2k": dict(model="Qwen/Qwen2.5-0.5B", peft="lora", max_length=2048),
    "0.5B full 1k": dict(model="Qwen/Qwen2.5-0.5B", peft="full", max_length=1024),
    "8B lora 2k": dict(model="meta-llama/Llama-3.1-8B", peft="lora", max_length=2048),
    "8B qlora 4k": dict(model="meta-llama/Llama-3.1-8B", peft="qlora", max_length=4096),
    "7B lora 8k": dict(model="Qwen/Qwen2.5-7B", peft="lora", max_length=8192),
    "0.5B dpo lora 1k": dict(model="Qwen/Qwen2.5-0.5B", peft="lora", max_length=1024, method="dpo"),
}
FLAVORS = ["t4-small", "a10g-large", "l40sx1", "a100-large", "h200"]


def plan_for(flavor: str, **overrides):
    overrides.setdefault("timeout", "48h")
    return resolve(parse_request(request(flavor=flavor, **overrides)), pinned=training_pins())


def memory_of(overrides: dict, flavor: str, ckpt: bool, batch: int, accumulation: int):
    """The hardware model's peak memory and limit for the request with these settings."""
    req = parse_request(
        request(
            flavor=flavor,
            gradient_checkpointing=ckpt,
            per_device_train_batch_size=batch,
            gradient_accumulation_steps=accumulation,
            **overrides,
        )
    )
    rec = api.estimate(hardware_plan(req), flavor)
    return rec.memory["total_gb"], rec.fit_limit_gb


@pytest.mark.parametrize("flavor", FLAVORS)
@pytest.mark.parametrize("name", list(PLANS))
def test_decisions_are_the_fastest_setting_that_fits(name, flavor):
    overrides = PLANS[name]
    cfg = plan_for(flavor, **overrides).config
    ckpt, batch = cfg["gradient_checkpointing"], cfg["per_device_train_batch_size"]
    accumulation = cfg["gradient_accumulation_steps"]
    effective = 16  # the method's default effective batch (SFT 4 x 4, DPO 2 x 8)
    assert batch * accumulation == effective and batch <= min(effective, MAX_MICRO_BATCH)
    fits = {}
    for c in (False, True):
        for b in batch_candidates(effective):
            need, limit = memory_of(overrides, flavor, c, b, effective // b)
            fits[(c, b)] = need <= limit
    if not any(fits.values()):
        assert ckpt and batch == 1  # the least memory there is; the checks warn
        return
    assert fits[(ckpt, batch)], (ckpt, batch)
    if ckpt:  # on only when no micro-batch fits without it
        assert not any(fits[(False, b)] for b in batch_candidates(effective))
    larger = [b for b in batch_candidates(effective) if b > batch]
    assert not any(fits[(ckpt, b)] for b in larger), "a larger micro-batch fits"
    assert cfg.get("packing", False) is (overrides.get("method", "sft") == "sft")


@pytest.mark.parametrize("flavor", ["a10g-large", "h200"])
def test_the_checks_show_the_decision_and_the_memory_figures(flavor):
    plan = plan_for(flavor, **PLANS["8B lora 2k"])
    cfg = plan.config
    (check,) = [c for c in plan.checks if c.name == "memory_fit"]
    need, limit = memory_of(
        PLANS["8B lora 2k"],
        flavor,
        cfg["gradient_checkpointing"],
        cfg["per_device_train_batch_size"],
        cfg["gradient_accumulation_steps"],
    )
    assert check.status == "pass"
    assert f"micro-batch {cfg['per_device_train_batch_size']} x accumulation" in check.message
    assert f"checkpointing {'on' if cfg['gradient_checkpointing'] else 'off'}" in check.message
    figures = re.search(r"needs ([\d.]+) GiB per GPU of ([\d.]+) GiB usable", check.message)
    assert figures, check.message
    assert float(figures[1]) == pytest.approx(need, abs=0.06) and float(figures[2]) == pytest.approx(
        limit, abs=0.06
    )


def test_user_values_win_and_their_fit_is_checked():
    plan = plan_for(
        "h200", **PLANS["0.5B lora 2k"], gradient_checkpointing=True, per_device_train_batch_size=2
    )
    cfg = plan.config
    assert cfg["gradient_checkpointing"] is True and cfg["per_device_train_batch_size"] == 2
    assert cfg["gradient_accumulation_steps"] == 4  # the default accumulation: the user set only the batch
    assert any(c.name == "memory_fit" and "as asked" in c.message for c in plan.checks)

    too_big = plan_for("t4-small", **PLANS["8B lora 2k"], per_device_train_batch_size=16)
    (check,) = [c for c in too_big.checks if c.name == "memory_fit"]
    assert check.status == "warn" and too_big.config["per_device_train_batch_size"] == 16


def test_the_effective_batch_follows_the_users_accumulation():
    cfg = plan_for("h200", **PLANS["0.5B lora 2k"], gradient_accumulation_steps=8).config
    assert cfg["per_device_train_batch_size"] * cfg["gradient_accumulation_steps"] == 4 * 8


def test_the_estimate_is_for_the_decided_plan():
    plan = plan_for("a100-large", **PLANS["0.5B lora 2k"], timeout=None)
    cfg = plan.config
    req = parse_request(
        request(
            flavor="a100-large",
            timeout=None,
            gradient_checkpointing=cfg["gradient_checkpointing"],
            per_device_train_batch_size=cfg["per_device_train_batch_size"],
            gradient_accumulation_steps=cfg["gradient_accumulation_steps"],
            **PLANS["0.5B lora 2k"],
        )
    )
    assert plan.estimate and plan.estimate["memory"] == api.estimate(hardware_plan(req), "a100-large").memory


@pytest.mark.parametrize(
    ("overrides", "words"),
    [
        ({"method": "dpo"}, "DPO batches are not packed"),
        ({"packing": False}, "packing=False asked"),
        ({"trust_remote_code": True}, "trust_remote_code"),
    ],
)
def test_packing_off_says_why(overrides, words):
    plan = plan_for("a10g-large", **overrides)
    (check,) = [c for c in plan.checks if c.name == "packing"]
    assert plan.config.get("packing", False) is False
    assert check.status == "info" and words in check.message


# -- flavor 'local': the script decides at start, by the same rule, from the device it finds ---------------


def local_fit(plan: str = "8B lora 2k", **overrides) -> dict:
    cfg = plan_for("local", **PLANS[plan], **overrides).config
    assert cfg["memory_fit"] is not None
    return cfg["memory_fit"]


@pytest.mark.parametrize("flavor", ["t4-small", "a10g-large", "l40sx1", "a100-large", "h200"])
@pytest.mark.parametrize("name", list(PLANS))
def test_a_local_script_on_a_flavors_gpu_decides_like_the_generator(name, flavor):
    """A fresh GPU of a flavor (its memory, less the CUDA context the script already holds when it reads
    the free memory; bf16 or not) gets the decisions the generator makes for that flavor: a full
    fine-tune on a T4 is sized with fp32 master weights, as the generator sizes it."""
    memory_fit = local_fit(name)
    info = api.flavor_info(flavor)
    assert info is not None
    free_gib = info.usable_gib - CUDA_CONTEXT_GIB
    device = ("Fake GPU", int(free_gib * 2**30), int(info.usable_gib * 2**30), info.bf16)
    local = fit_for_device(memory_fit, device)
    generated = plan_for(flavor, **PLANS[name]).config
    for key in ("gradient_checkpointing", "per_device_train_batch_size", "gradient_accumulation_steps"):
        assert local[key] == generated[key], key
    assert "Fake GPU" in local["why"]


def test_a_local_script_follows_the_free_memory():
    memory_fit = local_fit()
    roomy = fit_for_device(memory_fit, ("Big GPU", 200 * 2**30, 200 * 2**30, True))
    crowded = fit_for_device(memory_fit, ("Busy GPU", 20 * 2**30, 80 * 2**30, True))
    assert roomy["fits"] and not roomy["gradient_checkpointing"]
    assert (
        crowded["gradient_checkpointing"]
        or crowded["per_device_train_batch_size"] < roomy["per_device_train_batch_size"]
    )
    for out in (roomy, crowded):
        assert out["per_device_train_batch_size"] * out["gradient_accumulation_steps"] == 16
    full = fit_for_device(memory_fit, ("Tiny GPU", 2 * 2**30, 8 * 2**30, True))
    assert not full["fits"] and full["gradient_checkpointing"]


def test_a_local_script_without_cuda_keeps_the_users_values():
    assert fit_for_device(local_fit(), None)["gradient_checkpointing"] is False
    asked = fit_for_device(local_fit(gradient_checkpointing=True, per_device_train_batch_size=2), None)
    assert asked["gradient_checkpointing"] is True and asked["per_device_train_batch_size"] == 2
    assert asked["gradient_accumulation_steps"] == 4
    # DPO's default sizes are 2 x 8 (two sequences per row): a CPU rehearsal keeps its micro-batch at 2
    dpo = plan_for("local", **PLANS["0.5B dpo lora 1k"]).config["memory_fit"]
    on_cpu = fit_for_device(dpo, None)
    assert (on_cpu["per_device_train_batch_size"], on_cpu["gradient_accumulation_steps"]) == (2, 8)
