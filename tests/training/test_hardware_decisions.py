"""The hardware decisions a user gets for a request on a given flavor: flavor, weights dtype and mixed
precision, attention, timeout, and the checks that explain them, read from the plan and from the CONFIG of
the rendered script (what the job runs with).

The expected values come from the GPUs' facts, not from the code under test: a T4 (Turing, compute
capability 7.5) has no bfloat16, so it trains with fp16 autocast, and fp16 autocast needs fp32 trainable
weights (GradScaler cannot unscale fp16 gradients): a full fine-tune loads fp32 weights, an adapter run keeps
its frozen base in fp16. Ampere and newer (A10G, L4, A100, H200) train in bf16. The real hardware model runs
with the bundled flavor table; nothing of the product is replaced.
"""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hf_train_mcp.hardware import api
from hf_train_mcp.hardware.catalog import unknown_flavor_message
from hf_train_mcp.training.config import Check, Plan
from hf_train_mcp.training.hardware_steps import hardware_answer
from hf_train_mcp.training.render import training_pins
from hf_train_mcp.training.requests import hardware_plan, parse_request
from hf_train_mcp.training.resolve import resolve
from training.helpers import loaded_script, plan_checks, request

ROWS = 200_000  # enough rows for an estimate of hours on one GPU


def plan_for(*, dataset_examples: int | None = None, recommendation: Any = None, **overrides: Any) -> Plan:
    return resolve(
        parse_request(request(**overrides)),
        pinned=training_pins(),
        dataset_examples=dataset_examples,
        recommendation=recommendation,
    )


def script_config(plan: Plan) -> dict[str, Any]:
    """The CONFIG the rendered script runs with (the script is loaded, not run)."""
    return loaded_script(plan)["CONFIG"]


def the_check(plan: Plan, name: str) -> Check:
    (found,) = [c for c in plan.checks if c.name == name]
    return found


# --------------------------------------------------------------------------------------------------
# Weights dtype and mixed precision, per GPU
# --------------------------------------------------------------------------------------------------

# (flavor, peft, dtype asked) -> (weights dtype, mixed precision) in the script's CONFIG
PRECISION = [
    # T4: no bf16. fp16 autocast; trainable weights fp32 (a full fine-tune), a frozen base in fp16.
    ("t4-small", "full", "auto", "float32", "fp16"),
    ("t4-medium", "lora", "auto", "float16", "fp16"),
    ("t4-small", "qlora", "auto", "float16", "fp16"),
    ("t4-small", "lora", "float32", "float32", "fp16"),  # fp32 weights still autocast in fp16
    # Ampere and newer: bf16 weights and bf16 autocast, for adapters and full fine-tunes alike.
    ("a10g-large", "full", "auto", "bfloat16", "bf16"),
    ("l4x1", "lora", "auto", "bfloat16", "bf16"),
    ("h200", "full", "auto", "bfloat16", "bf16"),
    ("a100-large", "lora", "float32", "float32", "bf16"),  # fp32 weights autocast in bf16 where it exists
    ("a10g-large", "lora", "float16", "float16", "fp16"),  # fp16 weights asked for: fp16 autocast
    ("a100-large", "lora", "bfloat16", "bfloat16", "bf16"),
    # CPU flavors: fp32, no autocast, whatever the weights.
    ("cpu-upgrade", "lora", "auto", "float32", "no"),
    ("cpu-upgrade", "full", "float16", "float16", "no"),
    ("cpu-upgrade", "lora", "bfloat16", "bfloat16", "no"),
    # 'local': the script decides on the machine it runs on; a given dtype is kept.
    ("local", "full", "auto", "auto", "auto"),
    ("local", "lora", "bfloat16", "bfloat16", "auto"),
]


@pytest.mark.parametrize(("flavor", "peft", "asked", "dtype", "mixed"), PRECISION)
def test_weights_dtype_and_mixed_precision_in_the_script(flavor, peft, asked, dtype, mixed):
    plan = plan_for(flavor=flavor, peft=peft, dtype=asked, timeout="100h")
    cfg = script_config(plan)
    assert (cfg["dtype"], cfg["mixed_precision"]) == (dtype, mixed)
    assert plan_checks(plan, "dtype") == [("pass", f"dtype {dtype} for {flavor}", None)]


def test_bf16_weights_on_a_t4_are_refused_with_the_gpu_named():
    plan = plan_for(flavor="t4-small", dtype="bfloat16")
    assert plan_checks(plan, "dtype") == [
        (
            "fail",
            "t4-small (T4, compute capability 7.5) has no bfloat16",
            "leave dtype='auto' (fp16 mixed precision on T4) or pick an Ampere or newer flavor "
            "(a10g, l4, a100)",
        )
    ]


@pytest.mark.parametrize("flavor", ["t4-small", "a10g-large"])
def test_fp16_weights_in_a_full_fine_tune_on_a_gpu_are_refused(flavor):
    """Whatever the GPU: fp16 trainable weights fail at the first optimizer step."""
    plan = plan_for(flavor=flavor, peft="full", dtype="float16")
    assert plan_checks(plan, "dtype") == [
        (
            "fail",
            "a full fine-tune with weights loaded in float16 fails at the first optimizer step "
            "(fp16 gradients cannot be unscaled)",
            "leave dtype='auto' (fp32 weights with fp16 mixed precision on T4, bf16 elsewhere)",
        )
    ]


# --------------------------------------------------------------------------------------------------
# Attention
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("asked", "used"), [("auto", "sdpa"), ("sdpa", "sdpa"), ("eager", "eager")])
def test_attention_implementation_in_the_script(asked, used):
    plan = plan_for(flavor="a10g-large", attn_implementation=asked)
    assert script_config(plan)["attn_implementation"] == used
    assert plan_checks(plan, "attention") == [("pass", f"attention implementation {used}", None)]


def test_flash_attention_on_a_t4_names_the_gpu_generation():
    plan = plan_for(flavor="t4-small", attn_implementation="flash_attention_2")
    assert plan_checks(plan, "attention") == [
        (
            "fail",
            "FlashAttention-2 needs an Ampere or newer GPU; t4-small is not",
            "leave attn_implementation='auto' (sdpa)",
        )
    ]


@pytest.mark.parametrize("flavor", ["a100-large", "local"])
def test_flash_attention_elsewhere_names_the_missing_package_and_the_pinned_stack(flavor):
    plan = plan_for(flavor=flavor, attn_implementation="flash_attention_2")
    [(status, message, fix)] = plan_checks(plan, "attention")
    pins = training_pins()
    assert (
        status == "fail"
        and fix == "leave attn_implementation='auto' (sdpa: fused attention kernels from torch itself)"
    )
    assert message.startswith("flash_attention_2 needs the flash-attn package (or kernels>=0.18.2,<0.19)")
    stack = message.split("pinned stack (", 1)[1].split(")", 1)[0]
    assert sorted(stack.split(", ")) == sorted(f"{name}=={version}" for name, version in pins.items())


# --------------------------------------------------------------------------------------------------
# Timeout
# --------------------------------------------------------------------------------------------------


def test_a_timeout_that_does_not_parse_is_refused_and_the_plan_keeps_two_hours():
    plan = plan_for(flavor="a10g-large", timeout="soon")
    [(status, message, fix)] = plan_checks(plan, "timeout")
    assert status == "fail" and "'soon' is not a duration" in message
    assert fix == "pass a duration such as '2h' or '90m'"
    assert (plan.timeout, plan.timeout_seconds) == ("2h", 2 * 3600)


@pytest.mark.parametrize(("timeout", "short"), [("30m", True), (1800, True), (1801, False), ("45m", False)])
def test_without_an_estimate_thirty_minutes_or_less_is_short(timeout, short):
    """Flavor 'local' has no run estimate: the Jobs default of 30 minutes is the line."""
    plan = plan_for(flavor="local", timeout=timeout)
    expected = [
        (
            "warn",
            "timeout 30m is short for a training run",
            "most fine-tuning runs need more than 30 minutes; pass timeout='2h' or more",
        )
    ]
    assert plan_checks(plan, "timeout") == (expected if short else [])


def test_no_timeout_and_no_estimate_on_a_job_uses_two_hours_and_says_so(tmp_path: Path):
    unknown = str(tmp_path / "nonexistent" / "model")  # a model the hardware model cannot size
    plan = plan_for(flavor="a10g-large", model=unknown, timeout=None)
    assert (plan.timeout, plan.timeout_seconds) == ("2h", 7200)
    assert plan_checks(plan, "timeout") == [
        (
            "info",
            "no timeout given and no run estimate available: using 2h",
            "pass timeout= (the Jobs default of 30 minutes kills most training runs)",
        )
    ]
    [(status, message, fix)] = plan_checks(plan, "estimate")
    assert (status, fix) == ("info", "pass timeout= explicitly")
    assert message.startswith("no run estimate: ") and unknown in message
    local = plan_for(flavor="local", model=unknown, timeout=None)  # no job: no note, the same guess
    assert (local.timeout_seconds, plan_checks(local, "timeout"), plan_checks(local, "estimate")) == (
        7200,
        [],
        [],
    )


def test_timeout_boundary_is_one_point_three_times_the_estimate_to_the_second():
    hours = plan_for(flavor="l4x1", timeout="100h", max_rows=ROWS).estimate["est_hours"]
    needed = math.ceil(hours * 3600 * 1.3)
    ok = plan_for(flavor="l4x1", timeout=needed, max_rows=ROWS)
    assert ok.ok and ok.timeout_seconds == needed
    [(status, message, _)] = plan_checks(ok, "timeout")
    assert status == "pass" and message.endswith(">= 1.3 x estimate")
    short = plan_for(flavor="l4x1", timeout=needed - 1, max_rows=ROWS)
    [(status, message, fix)] = plan_checks(short, "timeout")
    assert status == "fail" and f"({hours:.2f} h): the job would be killed before it finishes" in message
    assert fix is not None and fix.startswith("pass timeout='") and fix.endswith("' or more")


# --------------------------------------------------------------------------------------------------
# Flavor: given, recommended, unknown, without a GPU
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("flavor", "gpus"), [("a10g-large", 1), ("h200x2", 2), ("cpu-upgrade", 0), ("local", 0)]
)
def test_the_script_knows_its_flavor_and_gpu_count(flavor, gpus):
    """A script for a GPU flavor refuses to start without CUDA; one for 'local' or a CPU flavor must not."""
    cfg = script_config(plan_for(flavor=flavor, model="meta-llama/Llama-3.1-8B", timeout="100h"))
    assert (cfg["flavor"], cfg["gpu_count"]) == (flavor, gpus)


def test_a_recommended_flavor_is_announced_with_its_timeout():
    req = parse_request(request(flavor=None, timeout=None))
    rec = api.recommend(hardware_plan(req))
    plan = resolve(req, pinned=training_pins())
    assert the_check(plan, "flavor").as_dict() == {
        "name": "flavor",
        "status": "info",
        "message": f"recommended flavor {rec.flavor} (timeout {rec.timeout})",
    }


def test_the_dataset_size_given_to_resolve_steers_the_recommendation():
    """Hours matter for the cheapest flavor: with 200k rows a faster GPU is cheaper in total."""
    req = parse_request(request(flavor=None, timeout=None))
    sized = api.recommend(hardware_plan(req, dataset_examples=ROWS)).flavor
    assert sized != api.recommend(hardware_plan(req)).flavor  # the premise
    assert plan_for(flavor=None, timeout=None, dataset_examples=ROWS).flavor == sized


def test_a_callers_recommendation_is_used_as_given():
    """prepare_training recommends once (here within max_hours=0.5, a faster flavor than the cheapest)
    and hands its answer over: the plan keeps that flavor instead of picking the cheapest again."""
    req = parse_request(request(flavor=None, timeout=None))
    fast = api.recommend(hardware_plan(req, dataset_examples=ROWS), max_hours=0.5)
    assert fast.flavor != api.recommend(hardware_plan(req, dataset_examples=ROWS)).flavor  # the premise
    plan = plan_for(flavor=None, timeout=None, dataset_examples=ROWS, recommendation=fast)
    assert plan.flavor == fast.flavor


def test_a_callers_estimate_is_used_for_its_flavor_only():
    """The caller's estimate for a10g-large (sized with 200k rows) is the plan's for a10g-large; a request
    for another flavor is estimated afresh (no dataset size here: no hours)."""
    pinned = {
        "per_device_train_batch_size": 4,
        "gradient_accumulation_steps": 4,
        "gradient_checkpointing": True,
    }
    req = parse_request(request(flavor="a10g-large", timeout="100h", **pinned))
    given = api.estimate(hardware_plan(req, dataset_examples=ROWS), "a10g-large")
    assert given.est_hours
    plan = plan_for(flavor="a10g-large", timeout="100h", recommendation=given, **pinned)
    assert plan.estimate["est_hours"] == given.est_hours
    other = plan_for(flavor="l4x1", timeout="100h", recommendation=given, **pinned)
    assert other.estimate["flavor"] == "l4x1" and other.estimate["est_hours"] is None


def test_the_plans_estimate_is_the_hardware_models_answer():
    """Settings given in full: the plan's estimate is the hardware model's for them, field by field."""
    pinned = {
        "per_device_train_batch_size": 4,
        "gradient_accumulation_steps": 4,
        "gradient_checkpointing": True,
    }
    req = parse_request(request(flavor="l4x1", timeout="100h", max_rows=ROWS, **pinned))
    rec = api.estimate(hardware_plan(req), "l4x1")
    plan = resolve(req, pinned=training_pins())
    assert plan.estimate == {
        "flavor": "l4x1",
        "est_hours": rec.est_hours,
        "est_cost_usd": rec.est_cost_usd,
        "price_per_hour": 0.8,  # l4x1's price in the bundled table
        "fits": True,
        "memory": rec.memory,
        "notes": rec.notes,
        "timeout": rec.timeout,
        "layout": "single",
    }
    assert rec.est_cost_usd == pytest.approx(rec.est_hours * 0.8, rel=0.01)


def test_a_one_gpu_flavor_too_small_keeps_the_hardware_models_full_answer():
    """On one GPU there is nothing to shard: the estimate is the plain one (layout single), with every
    change the hardware model suggests for that flavor."""
    pinned = {
        "per_device_train_batch_size": 4,
        "gradient_accumulation_steps": 4,
        "gradient_checkpointing": True,
    }
    req = parse_request(request(flavor="l4x1", timeout="100h", model="Qwen/Qwen2.5-32B", **pinned))
    rec = api.estimate(hardware_plan(req), "l4x1")
    assert not rec.fits and rec.notes
    plan = resolve(req, pinned=training_pins())
    assert (plan.estimate["fits"], plan.estimate["layout"], plan.estimate["notes"]) == (
        False,
        "single",
        rec.notes,
    )


def test_an_unknown_flavor_is_refused_with_the_catalogs_list():
    plan = plan_for(flavor="h100")
    assert plan_checks(plan, "flavor") == [
        ("fail", unknown_flavor_message("h100"), "or 'local' (this machine)")
    ]
    assert plan.gpu_count == 0


def test_no_flavor_and_nothing_to_recommend_is_refused(tmp_path: Path):
    plan = plan_for(flavor=None, timeout=None, model=str(tmp_path / "nonexistent" / "model"))
    [(status, message, fix)] = plan_checks(plan, "flavor")
    assert status == "fail" and message.startswith("no flavor given and none could be recommended: ")
    assert fix == "pass flavor= (e.g. 'a10g-large') and timeout="
    assert (plan.flavor, plan.gpu_count) == ("", 0)


def test_a_given_flavor_too_small_warns_with_the_models_reasons():
    """A 7B full fine-tune (about 16 B/param with Adam) cannot fit a 24 GB L4."""
    req = parse_request(request(flavor="l4x1", timeout="3h", model="Qwen/Qwen2.5-7B", peft="full"))
    notes = api.estimate(hardware_plan(req), "l4x1").notes
    assert len(notes) > 3
    plan = resolve(req, pinned=training_pins())
    assert plan_checks(plan, "memory") == [
        (
            "warn",
            "the run may not fit in l4x1's memory: " + "; ".join(notes[:3]),
            "use peft='lora' or 'qlora', a smaller max_length or batch size, or a larger flavor",
        )
    ]


def test_nothing_fits_even_the_largest_gpu_warns_to_pick_a_smaller_model():
    """A 70B full fine-tune, one replica per GPU (parallelism='ddp'): no GPU holds it."""
    req = parse_request(
        request(flavor=None, timeout=None, model="meta-llama/Llama-3.1-70B", peft="full", parallelism="ddp")
    )
    rec = api.recommend(hardware_plan(req))
    assert not rec.fits and len(rec.notes) > 3
    plan = resolve(req, pinned=training_pins())
    assert plan_checks(plan, "memory") == [
        (
            "warn",
            f"the run may not fit even on {rec.flavor}: " + "; ".join(rec.notes[:3]),
            "use peft='lora' or 'qlora', a smaller max_length or batch size, or a smaller model",
        )
    ]


@pytest.mark.parametrize(
    ("peft", "expected"),
    [
        ("lora", ("warn", "cpu-upgrade has no GPU: training on CPU is very slow")),
        ("qlora", ("fail", "cpu-upgrade has no GPU: 4-bit QLoRA needs a CUDA GPU")),
    ],
)
def test_a_cpu_flavor_is_slow_and_cannot_run_qlora(peft, expected):
    plan = plan_for(flavor="cpu-upgrade", peft=peft)
    assert plan_checks(plan, "flavor") == [
        (*expected, "pick a GPU flavor such as a10g-large, l4x1 or a100-large")
    ]


@pytest.mark.parametrize("flavor", ["a10g-large", "t4-small", "local"])
def test_a_gpu_flavor_or_local_has_no_flavor_finding(flavor):
    assert plan_checks(plan_for(flavor=flavor, peft="qlora"), "flavor") == []


def test_local_paths_are_refused_on_a_job_with_the_upload_command(tmp_path: Path):
    model, data = str(tmp_path / "nonexistent" / "model"), str(tmp_path / "train.jsonl")
    plan = plan_for(flavor="a10g-large", model=model, dataset=data)
    for what, value in (("model", model), ("dataset", data)):
        [(status, message, fix)] = plan_checks(plan, f"{what}_location")
        assert status == "fail"
        assert (
            message
            == f"{what} {value!r} is a path on this machine: the job runs in the cloud and cannot read it"
        )
        assert fix == (
            "with prepare_training, pass upload_local: true to upload it to a private Hub repo of yours that "
            f"the job reads; or upload it yourself (`hf upload <user>/<name> {value} --repo-type {what}`) "
            "and pass the repo id; or run it here with flavor 'local'"
        )
    here = plan_for(flavor="local", model=model, dataset=data)
    assert [c for c in here.checks if c.name.endswith("_location")] == []


# --------------------------------------------------------------------------------------------------
# The one place the layout of an estimate is chosen (generate_training_script and prepare_training)
# --------------------------------------------------------------------------------------------------


def test_hardware_answer_passes_prepare_trainings_limits_on():
    req = parse_request(request(flavor=None, timeout=None))
    plan = hardware_plan(req, dataset_examples=ROWS)
    cheapest = hardware_answer(req, plan, None)
    within = hardware_answer(req, plan, None, max_hours=0.5)
    assert within.est_hours is not None and within.est_hours <= 0.5 < cheapest.est_hours


# --------------------------------------------------------------------------------------------------
# Parallelism: the layout on a multi-GPU flavor, and what the check tells the user
# --------------------------------------------------------------------------------------------------


def fits(model: str, peft: str, flavor: str) -> tuple[api.Fit, api.Fit]:
    """The memory model's per-GPU figures for (one replica per GPU, sharded) on `flavor`."""
    hw = hardware_plan(parse_request(request(model=model, peft=peft, flavor=flavor)))
    return api.fit(hw, flavor), api.fit(replace(hw, sharding="fsdp"), flavor)


def test_data_parallel_when_a_replica_fits_says_both_figures():
    ddp, fsdp = fits("meta-llama/Llama-3.1-8B", "lora", "h200x2")
    assert ddp.fits
    plan = plan_for(model="meta-llama/Llama-3.1-8B", flavor="h200x2", timeout="100h")
    assert script_config(plan)["parallelism"] == "ddp"
    assert plan_checks(plan, "parallelism") == [
        (
            "info",
            "2 GPUs, data parallel via torchrun (a full replica per GPU): about "
            f"{ddp.need_gib:.1f} of {ddp.limit_gib:.1f} GiB per GPU "
            f"(FSDP would need {fsdp.need_gib:.1f} GiB); a full replica fits each GPU, and data parallel is "
            "faster than sharding",
            None,
        )
    ]


def test_sharded_when_a_replica_does_not_fit_says_both_figures():
    ddp, fsdp = fits("meta-llama/Llama-3.1-70B", "lora", "h200x2")
    assert not ddp.fits and fsdp.fits
    plan = plan_for(model="meta-llama/Llama-3.1-70B", flavor="h200x2", timeout="100h")
    assert script_config(plan)["parallelism"] == "fsdp"
    assert plan_checks(plan, "parallelism") == [
        (
            "info",
            "2 GPUs, FSDP2 via accelerate (weights, gradients and optimizer state sharded): about "
            f"{fsdp.need_gib:.1f} of {fsdp.limit_gib:.1f} GiB per GPU "
            f"(DDP would need {ddp.need_gib:.1f} GiB); a full replica does not fit one GPU; sharded it does",
            None,
        )
    ]


def test_sharded_even_when_that_does_not_fit_either_on_the_given_flavor():
    """A 70B full fine-tune on two H200: neither layout fits; sharding needs the least memory."""
    ddp, fsdp = fits("meta-llama/Llama-3.1-70B", "full", "h200x2")
    assert not ddp.fits and not fsdp.fits and fsdp.need_gib < ddp.need_gib
    plan = plan_for(model="meta-llama/Llama-3.1-70B", peft="full", flavor="h200x2", timeout="100h")
    assert plan.config["parallelism"] == "fsdp"
    [(_, message, _)] = plan_checks(plan, "parallelism")
    assert message.endswith("; a full replica does not fit one GPU; sharding needs the least memory")


def test_qlora_stays_data_parallel_when_a_replica_does_not_fit():
    """70B QLoRA on four 24 GB L4s: one replica per GPU does not fit, and 4-bit weights are not sharded."""
    ddp, fsdp = fits("meta-llama/Llama-3.1-70B", "qlora", "l4x4")
    assert not ddp.fits
    plan = plan_for(model="meta-llama/Llama-3.1-70B", peft="qlora", flavor="l4x4", timeout="100h")
    assert plan.config["parallelism"] == "ddp"
    [(_, message, _)] = plan_checks(plan, "parallelism")
    assert message == (
        "4 GPUs, data parallel via torchrun (a full replica per GPU): about "
        f"{ddp.need_gib:.1f} of {ddp.limit_gib:.1f} GiB per GPU (FSDP would need {fsdp.need_gib:.1f} GiB); "
        "QLoRA's 4-bit weights are not sharded"
    )


@pytest.mark.parametrize("asked", ["ddp", "fsdp"])
def test_an_asked_layout_is_used_and_said_so(asked):
    plan = plan_for(model="meta-llama/Llama-3.1-8B", flavor="a100x4", parallelism=asked, timeout="100h")
    assert script_config(plan)["parallelism"] == asked
    [(status, message, fix)] = plan_checks(plan, "parallelism")
    assert (status, fix) == ("info", None) and message.startswith("4 GPUs, ")
    assert message.endswith(f"; asked for (parallelism={asked!r})")


def test_sharding_qlora_is_refused_with_both_ways_out():
    plan = plan_for(model="meta-llama/Llama-3.1-8B", peft="qlora", flavor="a100x4", parallelism="fsdp")
    assert plan_checks(plan, "parallelism") == [
        (
            "fail",
            "FSDP sharding with 4-bit QLoRA is not supported by the generated scripts (bitsandbytes 4-bit "
            "weights are not sharded by FSDP2)",
            "use peft='lora' with parallelism='fsdp', or QLoRA with parallelism='ddp' (or 'auto')",
        )
    ]


def test_a_model_of_unknown_size_runs_data_parallel_and_says_how_to_shard(tmp_path: Path):
    plan = plan_for(model=str(tmp_path / "nonexistent" / "model"), flavor="h200x2", timeout="100h")
    assert plan.config["parallelism"] == "ddp"
    assert plan_checks(plan, "parallelism") == [
        (
            "info",
            "2 GPUs, data parallel via torchrun (a full replica per GPU); model size unknown: data parallel "
            "(pass parallelism='fsdp' to shard a large model)",
            None,
        )
    ]


@pytest.mark.parametrize(
    ("flavor", "where"),
    [
        ("h200", "h200 (1 GPU)"),
        ("cpu-upgrade", "cpu-upgrade (0 GPU)"),
        ("local", "'local' (one process on this machine)"),
    ],
)
def test_a_layout_asked_for_one_process_has_no_effect(flavor, where):
    plan = plan_for(flavor=flavor, parallelism="ddp", timeout="100h")
    assert plan.config["parallelism"] == "single"
    assert plan_checks(plan, "parallelism") == [
        (
            "info",
            f"parallelism='ddp' has no effect on {where}: the script runs one process",
            "pick a multi-GPU flavor (e.g. h200x2, a100x4) to run data parallel or sharded",
        )
    ]
    assert plan_checks(plan_for(flavor=flavor, timeout="100h"), "parallelism") == []


def test_a_model_the_hub_cannot_size_is_looked_up_no_more_often_on_more_gpus(monkeypatch):
    """A model id neither bundled nor on the Hub: a multi-GPU flavor must not ask the Hub again for each
    layout (each lookup of a missing repo costs a round trip, and the client's retries when the Hub is
    slow)."""
    from doubles.http_double import LoopbackServer
    from doubles.hub_repos import install_repo_routes

    with LoopbackServer() as server:
        install_repo_routes(server)
        monkeypatch.setenv("HF_ENDPOINT", server.url)
        monkeypatch.delenv("HF_TOKEN", raising=False)
        asked = {}
        for flavor in ("h200", "h200x2"):
            server.requests.clear()
            plan = plan_for(model="acme/unknown-model", flavor=flavor, timeout="100h")
            assert plan.estimate is None
            asked[flavor] = len(server.received("GET", "/api/models/acme/unknown-model"))
    assert asked["h200"] >= 1 and asked["h200x2"] == asked["h200"]


def test_nothing_fits_on_the_largest_multi_gpu_flavor_is_planned_sharded(monkeypatch):
    """A live hardware list whose largest GPU (A100 80 GB) comes only as eight: a 70B full fine-tune fits
    there neither replicated nor sharded. Sharding needs far less per GPU, so that is the plan (before: one
    replica per GPU, 720 GiB each, with the reason 'default')."""
    from doubles.jobs_api import hardware_entries
    from hf_train_mcp.hardware import catalog

    monkeypatch.setattr(catalog, "_live", None)  # restored after the test, whatever set_live installs
    catalog.set_live([e for e in hardware_entries() if e["name"] in ("cpu-basic", "a10g-large", "a100x8")])
    ddp, fsdp = fits("meta-llama/Llama-3.1-70B", "full", "a100x8")
    assert not ddp.fits and not fsdp.fits and fsdp.need_gib < ddp.need_gib / 4
    plan = plan_for(model="meta-llama/Llama-3.1-70B", peft="full", flavor=None, timeout=None)
    assert (plan.flavor, plan.config["parallelism"], plan.estimate["layout"]) == ("a100x8", "fsdp", "sharded")
    [(_, message, _)] = plan_checks(plan, "parallelism")
    assert message.endswith("; a full replica does not fit one GPU; sharding needs the least memory")
