"""Every method x adapter combination renders, compiles, pins its header and passes its own checks."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from hf_train_mcp.training.introspect import load_fields
from hf_train_mcp.training.render import (
    RenderError,
    extract_config,
    optional_pins,
    py_literal,
    render_script,
    training_pins,
)
from hf_train_mcp.training.requests import parse_request
from hf_train_mcp.training.resolve import resolve
from hf_train_mcp.training.static_checks import PEP723_RE, validate_script
from training.helpers import request

COMBOS = [(m, p) for m in ("sft", "dpo", "grpo", "kto", "reward") for p in ("full", "lora", "qlora")]


def render(**overrides):
    plan = resolve(parse_request(request(**overrides)), pinned=training_pins())
    assert plan.ok, [c.as_dict() for c in plan.failures]
    return plan, render_script(plan)


def header(text: str) -> dict:
    block = next(m for m in PEP723_RE.finditer(text) if m.group("type") == "script")
    content = "".join(line[2:] + "\n" for line in block.group("content").splitlines())
    return tomllib.loads(content)


@pytest.mark.parametrize(("method", "peft"), COMBOS)
@pytest.mark.parametrize("flavor", ["a10g-large", "t4-small", "a100x4"])
def test_every_combination_renders_compiles_and_checks_clean(method, peft, flavor):
    plan, text = render(method=method, peft=peft, flavor=flavor)
    compile(text, "train.py", "exec")
    assert extract_config(text) == json.loads(json.dumps(plan.config))
    deps = header(text)["dependencies"]
    pins = training_pins()
    for name, version in pins.items():
        assert f"{name}=={version}" in deps
    assert ("bitsandbytes==" + optional_pins()["bitsandbytes"] in deps) == (peft == "qlora")
    # trackio is on by default for a pushed cloud run (its dashboard Space), and then pinned
    assert plan.config["trackio"] is bool(plan.config["hub_model_id"])
    assert any(d == "trackio==" + optional_pins()["trackio"] for d in deps) is plan.config["trackio"]
    checks = validate_script(text, flavor=flavor, secrets={"HF_TOKEN": "$HF_TOKEN"}, timeout="2h")
    assert [c.as_dict() for c in checks if c.status in ("fail", "warn")] == []
    # The script is the runner's code: loading it (without running main) gives the method's TRL classes,
    # and every keyword it passes to the config class exists in the pinned TRL.
    script = _load(text)
    spec = script["METHODS"][method]
    assert (spec.config, spec.trainer) == {
        "sft": ("SFTConfig", "SFTTrainer"),
        "dpo": ("DPOConfig", "DPOTrainer"),
        "grpo": ("GRPOConfig", "GRPOTrainer"),
        "kto": ("KTOConfig", "KTOTrainer"),
        "reward": ("RewardConfig", "RewardTrainer"),
    }[method]
    hw = {"dtype": "bfloat16", "bf16": True, "fp16": False, "use_cpu": False, "device": "cuda"}
    fields = set(load_fields()["classes"][spec.config])
    assert set(script["training_args"](script["CONFIG"], hw, True)) <= fields


def _load(text: str) -> dict:
    namespace: dict = {"__name__": "rendered_script"}
    exec(compile(text, "train.py", "exec"), namespace)
    return namespace


def test_dtype_follows_the_gpu():
    cfg = lambda **kw: render(**kw)[0].config  # noqa: E731
    assert (cfg(flavor="a10g-large")["dtype"], cfg(flavor="a10g-large")["mixed_precision"]) == (
        "bfloat16",
        "bf16",
    )
    assert (cfg(flavor="t4-small")["dtype"], cfg(flavor="t4-small")["mixed_precision"]) == ("float16", "fp16")
    # a full fine-tune on T4 keeps fp32 weights (fp16 gradients cannot be unscaled) with fp16 autocast
    full_t4 = cfg(flavor="t4-medium", peft="full")
    assert (full_t4["dtype"], full_t4["mixed_precision"]) == ("float32", "fp16")
    assert cfg(flavor="h200")["attn_implementation"] == "sdpa"
    assert cfg(flavor="local")["dtype"] == "auto"  # decided on the machine it runs on


def test_trackio_adds_its_pinned_package():
    _, text = render(trackio=True, trackio_space_id="me/trackio")
    assert "trackio==" + optional_pins()["trackio"] in header(text)["dependencies"]
    assert validate_script(text, secrets={"HF_TOKEN": "$HF_TOKEN"}, timeout="2h")[0].status == "pass"


def test_multi_gpu_flavor_relaunches_under_torchrun(tmp_path):
    plan, text = render(flavor="a100x4")
    assert plan.gpu_count == 4 and plan.config["gpu_count"] == 4
    assert '"torch.distributed.run"' in text and "--nproc_per_node" in text
    script = tmp_path / "train.py"
    script.write_text(text)
    out = subprocess.run(
        [sys.executable, str(script), "--print-config", "--max-steps", "3", "--no-push"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    resolved = json.loads(out.stdout)
    assert resolved["gpu_count"] == 4 and resolved["max_steps"] == 3 and resolved["push_to_hub"] is False


def test_print_config_reflects_dry_run_overrides(tmp_path):
    _, text = render(eval_split="test")
    script = tmp_path / "train.py"
    script.write_text(text)
    out = subprocess.run(
        [
            sys.executable,
            str(script),
            "--print-config",
            "--dry-run",
            "--dataset",
            "rows.jsonl",
            "--model",
            "./tiny",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    cfg = json.loads(out.stdout)
    assert cfg["model"] == "./tiny" and cfg["dataset"]["id"] == "rows.jsonl"
    assert cfg["push_to_hub"] is False and cfg["trackio"] is False and cfg["max_steps"] == 2
    # a local file has one split: the eval split becomes a held-out fraction
    assert cfg["dataset"]["eval_split"] is None and cfg["dataset"]["eval_fraction"] == 0.25


def test_literal_filter_refuses_what_it_cannot_write_inertly():
    assert py_literal({"a": [1, 2.5, None, True, "x'\"\n"]}).startswith("{")
    assert ast.literal_eval(py_literal("'''\"\"\"\\\n\x00\u2028")) == "'''\"\"\"\\\n\x00\u2028"
    for bad in (float("nan"), float("inf"), object(), {1: "x"}, b"bytes", Path("/x")):
        with pytest.raises(RenderError):
            py_literal(bad)
