"""The pre-flight checks on a training request: each refusal says what to change."""

from __future__ import annotations

import math

import pytest
from hf_train_mcp.hardware import api
from hf_train_mcp.hardware.recommend import TIMEOUT_FACTOR, friendly_timeout
from hf_train_mcp.training.config import parse_timeout
from hf_train_mcp.training.render import training_pins
from hf_train_mcp.training.requests import RequestError, hardware_plan, parse_request
from hf_train_mcp.training.resolve import job_timeout, resolve
from training.helpers import request


def plan_for(**overrides):
    return resolve(parse_request(request(**overrides)), pinned=training_pins())


def failed(plan) -> dict[str, str]:
    return {c.name: f"{c.message} || {c.fix}" for c in plan.failures}


def test_a_plain_request_passes():
    plan = plan_for(flavor="a10g-large")
    assert plan.ok and plan.flavor == "a10g-large" and plan.timeout == "2h"


@pytest.mark.parametrize(
    ("overrides", "check", "fix_words"),
    [
        ({"flavor": "t4-small", "dtype": "bfloat16"}, "dtype", "dtype='auto'"),
        ({"flavor": "t4-small", "peft": "full", "dtype": "float16"}, "dtype", "dtype='auto'"),
        ({"flavor": "cpu-upgrade", "peft": "qlora"}, "flavor", "GPU flavor"),
        ({"flavor": "t4-small", "attn_implementation": "flash_attention_2"}, "attention", "sdpa"),
        ({"flavor": "a100-large", "attn_implementation": "flash_attention_2"}, "attention", "sdpa"),
        (
            {"flavor": "a100-large", "packing": True, "trust_remote_code": True},
            "packing",
            "leave packing unset",
        ),
        ({"eval_strategy": "steps"}, "eval", "eval_split"),
        ({"eval_split": "test", "eval_fraction": 0.1}, "eval", "only one"),
        ({"hub_model_id": None}, "push_to_hub", "hub_model_id="),
        (
            {"flavor": "a10g-large", "push_to_hub": False, "hub_model_id": None},
            "push_to_hub",
            "push_to_hub=True",
        ),
        ({"flavor": "h100"}, "flavor", "a10g-large"),
        ({"timeout": "soon"}, "timeout", "'2h'"),
        ({"column_mapping": {"answer": "completion_text"}}, "column_mapping", "prompt"),
        (
            {"dataset_columns": ["question", "answer"], "column_mapping": {"prompt": "question"}},
            "dataset_format",
            "column_mapping",
        ),
        (
            {"dataset_columns": ["q"], "column_mapping": {"prompt": "question"}},
            "column_mapping",
            "existing",
        ),
        ({"method": "dpo", "dataset_columns": ["prompt", "completion"]}, "dataset_format", '"chosen"'),
        ({"assistant_only_loss": True, "dataset_columns": ["text"]}, "assistant_only_loss", "messages"),
    ],
)
def test_bad_settings_fail_with_a_fix(overrides, check, fix_words):
    plan = plan_for(**overrides)
    problems = failed(plan) | {c.name: f"{c.message} || {c.fix}" for c in plan.checks if c.status == "warn"}
    assert check in problems, problems
    assert fix_words in problems[check]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"hub_model_id": "me/bad name"}, "hub_model_id"),
        ({"hub_model_id": "a/b/c"}, "hub_model_id"),
        ({"hub_model_id": "me/x--y"}, "hub_model_id"),
        ({"model": "Qwen/Qwen\n2"}, "model"),
        ({"split": "train; rm -rf"}, "split"),
        ({"beta": 0.2}, "beta"),  # a DPO argument on an SFT request
        ({"lora_target_modules": ["q_proj", "os.system('x')"]}, "lora_target_modules"),
        ({"learning_rate": 5}, "learning_rate"),
        ({"column_mapping": {"prompt": "a", "completion": "a"}}, "column_mapping"),
        ({"unknown_knob": 1}, "unknown_knob"),
    ],
)
def test_malformed_values_are_refused_before_anything_renders(overrides, field):
    with pytest.raises(RequestError) as info:
        parse_request(request(**overrides))
    assert any(p.name.startswith(field) for p in info.value.problems), info.value.problems
    assert all(p.message for p in info.value.problems)


def test_dataset_format_passes_after_the_mapping():
    plan = plan_for(
        method="dpo",
        dataset_columns=["instruction", "good", "bad"],
        column_mapping={"prompt": "instruction", "chosen": "good", "rejected": "bad"},
    )
    assert plan.ok and any(c.name == "dataset_format" and c.status == "pass" for c in plan.checks)


def test_without_a_flavor_the_hardware_model_chooses_flavor_and_timeout():
    """No stub: the real memory and time model with the bundled flavor table picks them."""
    plan = plan_for(flavor=None, timeout=None)
    rec = api.recommend(hardware_plan(parse_request(request(flavor=None, timeout=None))))
    assert plan.ok and (plan.flavor, plan.timeout, plan.timeout_seconds) == (
        rec.flavor,
        job_timeout(rec.timeout_seconds),
        rec.timeout_seconds,
    )
    assert plan.estimate and plan.estimate["flavor"] == rec.flavor
    assert any(c.name == "flavor" and rec.flavor in c.message for c in plan.checks)


def test_a_given_flavor_gets_the_hardware_models_estimate():
    plan = plan_for(flavor="a10g-large", timeout=None)
    decided = {k: plan.config[k] for k in ("per_device_train_batch_size", "gradient_accumulation_steps")}
    ckpt = plan.config["gradient_checkpointing"]
    req = parse_request(request(flavor="a10g-large", timeout=None, gradient_checkpointing=ckpt, **decided))
    rec = api.estimate(hardware_plan(req), "a10g-large")
    assert plan.ok and plan.timeout_seconds == rec.timeout_seconds
    assert plan.estimate and plan.estimate["est_hours"] == rec.est_hours


ROWS = 200_000  # enough rows for an estimate of hours on one GPU


def test_the_recommendation_is_used_when_the_hardware_model_answers():
    """No stub: the real model picks the flavor; the plan's timeout covers 1.3x the estimate of the plan
    as decided (micro-batch, checkpointing and packing change the time, so it is re-estimated)."""
    plan = plan_for(flavor=None, timeout=None, max_rows=ROWS)
    rec = api.recommend(hardware_plan(parse_request(request(flavor=None, timeout=None, max_rows=ROWS))))
    assert plan.ok and plan.flavor == rec.flavor
    assert plan.estimate["est_hours"] and plan.estimate["est_hours"] > 0.1
    assert plan.timeout_seconds >= 1.3 * plan.estimate["est_hours"] * 3600


def test_timeout_must_cover_1_3_times_the_estimate():
    hours = plan_for(flavor="l4x1", timeout="24h", max_rows=ROWS).estimate["est_hours"]  # decided plan's
    assert hours and hours > 0.1
    needed = math.ceil(hours * 3600 * 1.3)  # the rule the check states: 1.3 x the estimate
    assert TIMEOUT_FACTOR == 1.3
    suggested, _ = friendly_timeout(needed)
    problems = failed(plan_for(flavor="l4x1", timeout=needed - 60, max_rows=ROWS))
    assert "timeout" in problems and f"timeout={suggested!r}" in problems["timeout"]
    assert plan_for(flavor="l4x1", timeout=needed, max_rows=ROWS).ok
    assert plan_for(flavor="l4x1", timeout=suggested, max_rows=ROWS).ok


def test_a_run_that_does_not_fit_is_flagged():
    """A 7B full fine-tune (about 16 B/param with its optimizer) cannot fit a 24 GB L4."""
    plan = plan_for(flavor="l4x1", timeout="3h", model="Qwen/Qwen2.5-7B", peft="full")
    [memory] = [c for c in plan.checks if c.name == "memory"]
    assert memory.status == "warn" and "larger flavor" in memory.fix


def test_a_hardware_model_error_becomes_a_check():
    """A model whose shape cannot be found (not bundled, no Hub here): no flavor can be recommended."""
    problems = failed(plan_for(flavor=None, timeout=None, model="acme/no-such-model-anywhere"))
    assert "acme/no-such-model-anywhere" in problems["flavor"] and "flavor=" in problems["flavor"]


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("2h", 7200),
        ("90m", 5400),
        ("1.5h", 5400),
        ("45s", 45),
        (3600, 3600),
        ("1d", 86400),
        ("2h30m", 9000),
        ("4H", 14400),
    ],  # every form hf_jobs accepts: one grammar for both tools
)
def test_timeouts_parse(text, seconds):
    from hf_train_mcp.jobs.timeouts import parse_timeout as hf_jobs_parse_timeout

    assert parse_timeout(text) == seconds == hf_jobs_parse_timeout(text)


@pytest.mark.parametrize("text", ["", "  ", "soon", "-1h"])
def test_timeouts_refused(text):
    with pytest.raises(ValueError):
        parse_timeout(text)


def test_the_generator_formats_are_the_ones_inspect_dataset_calls_ready():
    """The column sets the script accepts per method (runner_methods.METHODS, the code of every script) are
    exactly those dataset_formats reports ready for that method: one notion of "ready" for both."""
    from hf_train_mcp.dataset_formats import detect_format
    from hf_train_mcp.training.runner_methods import METHODS

    FORMATS = {method: spec.formats for method, spec in METHODS.items()}

    samples = {
        "messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}],
        "text": "hello",
        "prompt": "hi",
        "completion": "hello",
        "chosen": "yes",
        "rejected": "no",
        "label": True,
        "solution": "4",  # GRPO keeps it for the accuracy rewards
    }
    for method, column_sets in FORMATS.items():
        for columns in column_sets:
            row = {c: samples[c] for c in columns}
            assert method in detect_format(list(columns), [row]).ready_for, (method, columns)
