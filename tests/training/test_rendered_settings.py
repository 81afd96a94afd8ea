"""What a generated script hands to TRL on the GPU of its flavor: weights dtype, mixed precision, packing.

The script is rendered by the real generator and loaded (not run); its own `precision()` and `training_args()`
decide the TRL config keywords on a GPU that `torch` reports (a T4 without bf16, an A10G with it). Only
torch's device query is replaced (no GPU here); every decision is the product's.
"""

from __future__ import annotations

import argparse
import sys
import types
from typing import Any

import pytest
from hf_train_mcp.training.render import training_pins
from hf_train_mcp.training.requests import parse_request
from hf_train_mcp.training.resolve import resolve
from training.helpers import loaded_script, request

GPUS = {"t4": ("Tesla T4", False), "a10g": ("NVIDIA A10G", True), "a100": ("NVIDIA A100-SXM4-80GB", True)}


def fake_torch(gpu: str) -> types.ModuleType:
    """A `torch` whose CUDA query answers like the named GPU (the only part of torch precision() reads)."""
    name, bf16 = GPUS[gpu]
    torch = types.ModuleType("torch")
    torch.cuda = types.SimpleNamespace(  # type: ignore[attr-defined]
        is_available=lambda: True, is_bf16_supported=lambda: bf16, get_device_name=lambda i=0: name
    )
    return torch


def rendered(**overrides: Any) -> tuple[Any, dict[str, Any]]:
    plan = resolve(parse_request(request(**overrides)), pinned=training_pins())
    return plan, loaded_script(plan)


def trl_settings(gpu: str, monkeypatch: pytest.MonkeyPatch, **overrides: Any) -> tuple[Any, dict[str, Any]]:
    """The plan, and the keywords the rendered script passes to its TRL config class on `gpu`."""
    plan, script = rendered(**overrides)
    monkeypatch.setitem(sys.modules, "torch", fake_torch(gpu))
    cfg = script["resolve_config"](script["parse_args"]([]))
    hw = script["precision"](cfg, argparse.Namespace(dry_run=False))
    return plan, script["training_args"](cfg, hw, has_eval=False)


# -- 1. a full fine-tune on a pre-Ampere GPU: fp32 weights + fp16 autocast, never fp16 weights ------------
@pytest.mark.parametrize("flavor", ["t4-small", "t4-medium", "local"])
def test_full_fine_tune_on_a_t4_loads_fp32_weights_with_fp16_autocast(flavor, monkeypatch):
    _, args = trl_settings("t4", monkeypatch, flavor=flavor, peft="full")
    assert args["model_init_kwargs"]["dtype"] == "float32"
    assert (args["fp16"], args["bf16"]) == (True, False)


def test_adapter_on_a_t4_keeps_the_frozen_base_in_fp16(monkeypatch):
    _, args = trl_settings("t4", monkeypatch, flavor="t4-small", peft="lora")
    assert args["model_init_kwargs"]["dtype"] == "float16" and (args["fp16"], args["bf16"]) == (True, False)


def test_asking_for_fp16_weights_in_a_full_t4_fine_tune_is_refused():
    plan = resolve(
        parse_request(request(flavor="t4-small", peft="full", dtype="float16")), pinned=training_pins()
    )
    assert not plan.ok and any(c.name == "dtype" and c.status == "fail" for c in plan.checks)


# -- 2. precision on a bf16 GPU --------------------------------------------------------------------------
@pytest.mark.parametrize("flavor", ["a10g-large", "a100-large", "local"])
def test_fp32_weights_on_a_bf16_gpu_train_with_bf16_autocast(flavor, monkeypatch):
    _, args = trl_settings(
        "a100" if flavor != "a10g-large" else "a10g", monkeypatch, flavor=flavor, peft="full", dtype="float32"
    )
    assert args["model_init_kwargs"]["dtype"] == "float32"
    assert (args["bf16"], args["fp16"]) == (True, False)


@pytest.mark.parametrize("peft", ["full", "lora"])
def test_default_precision_on_a_bf16_gpu_is_bf16_weights_and_bf16(peft, monkeypatch):
    _, args = trl_settings("a10g", monkeypatch, flavor="a10g-large", peft=peft)
    assert args["model_init_kwargs"]["dtype"] == "bfloat16"
    assert (args["bf16"], args["fp16"]) == (True, False)


def test_a_script_for_a_bf16_flavor_refuses_a_gpu_without_bf16(monkeypatch, capsys):
    with pytest.raises(SystemExit):
        trl_settings("t4", monkeypatch, flavor="a10g-large")
    assert "has no bfloat16" in capsys.readouterr().err


# -- 3. packing: the rendered script does what the plan reports; DPO never packs ---------------------------
def _reported_packing(plan: Any) -> bool:
    return bool(plan.config.get("packing", False))


@pytest.mark.parametrize("flavor", ["a10g-large", "a100-large", "local"])
def test_sft_packing_in_the_script_is_the_plans_decision(flavor, monkeypatch):
    plan, args = trl_settings("a100", monkeypatch, flavor=flavor, method="sft", peft="lora")
    assert args["packing"] is _reported_packing(plan)


def test_an_explicit_packing_opt_out_renders_packing_off(monkeypatch):
    plan, args = trl_settings("a100", monkeypatch, flavor="a100-large", method="sft", packing=False)
    assert args["packing"] is False and _reported_packing(plan) is False


@pytest.mark.parametrize("peft", ["full", "lora"])
def test_dpo_never_packs(peft, monkeypatch):
    _, args = trl_settings(
        "a100",
        monkeypatch,
        flavor="a100-large",
        method="dpo",
        peft=peft,
        dataset="trl-lib/ultrafeedback_binarized",
    )
    assert not args.get("packing", False)
