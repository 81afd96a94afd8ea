"""The hardware steps of `resolve`: which flavor, how many processes in which layout, how long the job may
run, the weights dtype and mixed precision, the attention implementation.

They go together because each reads the flavor's facts (`Run.info`) and the hardware model's estimate that
`decide_flavor` puts on `Run`; `hardware_answer` is the one place the layout of an estimate is chosen, for
the generator and for prepare_training alike. The other steps (method, data, output, training) do not
depend on the machine; they stay in `resolve` with the step list.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from hf_train_mcp.hardware.api import (
    TIMEOUT_FACTOR,
    Fit,
    HardwareError,
    Recommendation,
    TrainingPlan,
    flavor_info,
    unknown_flavor_message,
)
from hf_train_mcp.hardware.recommend import UNKNOWN_TIMEOUT_S, friendly_timeout
from hf_train_mcp.hardware.recommend import format_duration as job_timeout
from hf_train_mcp.jobs.timeouts import DEFAULT_TIMEOUT_SECONDS
from hf_train_mcp.training.config import parse_timeout
from hf_train_mcp.training.requests import Request, hardware_plan, is_local_only

if TYPE_CHECKING:
    from hf_train_mcp.training.resolve import Run

# FSDP2 in the generated scripts shards 16-bit and fp32 weights; 4-bit QLoRA weights are not sharded.
SHARDABLE_PEFT = ("full", "lora")


def estimate_dict(rec: Recommendation) -> dict[str, Any]:
    """The estimate as `Plan.estimate` carries it (plain data for the answer and the checks)."""
    return {
        "flavor": rec.flavor,
        "est_hours": rec.est_hours,
        "est_cost_usd": rec.est_cost_usd,
        "price_per_hour": rec.price_per_hour,
        "fits": rec.fits,
        "memory": rec.memory,
        "notes": list(rec.notes),
        "timeout": rec.timeout,
        "layout": rec.layout,
    }


def hardware_answer(req: Request, plan: TrainingPlan, flavor: str | None, **limits: Any) -> Recommendation:
    """The hardware model's recommendation (flavor None; `limits`: budget_usd, max_hours) or estimate for
    `flavor`, in the layout the script will use: with parallelism 'auto', sharded (FSDP) when replicas do
    not fit, on a given multi-GPU flavor or on the cheapest flavor it then fits; when nothing fits either
    way, the sharded answer still (it needs the least memory per GPU, and the script shards then).
    The one place this choice is made (generate_training_script and prepare_training). Raises
    HardwareError."""
    from hf_train_mcp.hardware import api  # looked up at call time: tests may replace api.recommend

    def ask(p: TrainingPlan) -> Recommendation:
        return api.recommend(p, **limits) if flavor is None else api.estimate(p, flavor)

    rec = ask(plan)
    if not rec.fits and req.parallelism == "auto" and req.peft in SHARDABLE_PEFT:
        other = ask(replace(plan, sharding="fsdp"))
        if other.layout == "sharded":  # a single-GPU answer has nothing to shard
            rec = other
    return rec


def estimate_for(run: Run, flavor: str | None) -> Recommendation | None:
    """The hardware model's recommendation (flavor None) or estimate for `flavor`; None with a check
    when it cannot tell (unknown model size, nothing fits)."""
    given = run.recommendation
    if given is not None and (flavor is None or given.flavor == flavor):
        return given
    plan = hardware_plan(run.req, dataset_examples=run.dataset_examples)
    try:
        return hardware_answer(run.req, plan, flavor)
    except HardwareError as exc:
        if flavor is None:
            run.check(
                "flavor",
                "fail",
                f"no flavor given and none could be recommended: {exc}",
                "pass flavor= (e.g. 'a10g-large') and timeout=",
            )
        else:
            run.check("estimate", "info", f"no run estimate: {exc}", "pass timeout= explicitly")
        return None


def decide_flavor(run: Run) -> dict[str, Any]:
    """The flavor (given, or the cheapest that fits) and its facts; the hardware estimate for it."""
    req = run.req
    rec: Recommendation | None = None
    if req.flavor is None:
        rec = estimate_for(run, None)
        if rec is not None:
            run.check("flavor", "info", f"recommended flavor {rec.flavor} (timeout {rec.timeout})")
        if rec is None:  # the failure is recorded: nothing else to decide about hardware
            run.flavor = ""
            return {"flavor": "", "gpu_count": 0}
        run.flavor = rec.flavor
    else:
        run.flavor = req.flavor
    if not run.local:
        run.info = flavor_info(run.flavor)
        if run.info is None:
            run.check("flavor", "fail", unknown_flavor_message(run.flavor), "or 'local' (this machine)")
        elif rec is None:  # a given flavor (a recommended one came with its estimate)
            rec = estimate_for(run, run.flavor)
    if rec is not None:
        run.estimate = estimate_dict(rec)
        if not rec.fits:
            where = f"even on {rec.flavor}" if req.flavor is None else f"in {rec.flavor}'s memory"
            run.check(
                "memory",
                "warn",
                f"the run may not fit {where}: " + "; ".join(rec.notes[:3]),
                "use peft='lora' or 'qlora', a smaller max_length or batch size, or "
                + ("a smaller model" if req.flavor is None else "a larger flavor"),
            )
    if run.info is not None and not run.is_gpu:
        qlora = req.peft == "qlora"
        run.check(
            "flavor",
            "fail" if qlora else "warn",
            f"{run.flavor} has no GPU: "
            + ("4-bit QLoRA needs a CUDA GPU" if qlora else "training on CPU is very slow"),
            "pick a GPU flavor such as a10g-large, l4x1 or a100-large",
        )
    if not run.local:
        _check_reachable_from_a_job(run)
    return {"flavor": run.flavor, "gpu_count": run.info.gpu_count if run.info else 0}


def _check_reachable_from_a_job(run: Run) -> None:
    """A Hugging Face Job runs in the cloud: local paths in the script would fail there, after paying."""
    for what, value, repo_type in (
        ("model", run.req.model, "model"),
        ("dataset", run.req.dataset, "dataset"),
    ):
        if is_local_only(value):
            run.check(
                f"{what}_location",
                "fail",
                f"{what} {value!r} is a path on this machine: the job runs in the cloud and cannot read it",
                "with prepare_training, pass upload_local: true to upload it to a private Hub repo of yours "
                f"that the job reads; or upload it yourself (`hf upload <user>/<name> {value} --repo-type "
                f"{repo_type}`) and pass the repo id; or run it here with flavor 'local'",
            )


def decide_timeout(run: Run) -> dict[str, Any]:
    """The job timeout: given (checked against TIMEOUT_FACTOR x the estimate), else the estimate's."""
    req, estimate = run.req, run.estimate or {}
    timeout_s: int | None = None
    if req.timeout is not None:
        try:
            timeout_s = parse_timeout(req.timeout)
        except ValueError as exc:
            run.check("timeout", "fail", str(exc), "pass a duration such as '2h' or '90m'")
    elif estimate.get("timeout"):
        timeout_s = parse_timeout(estimate["timeout"])
    else:
        timeout_s = UNKNOWN_TIMEOUT_S
        if req.flavor is not None and not run.local:
            run.check(
                "timeout",
                "info",
                f"no timeout given and no run estimate available: using {job_timeout(timeout_s)}",
                "pass timeout= (the Jobs default of 30 minutes kills most training runs)",
            )
    est_hours = estimate.get("est_hours")
    if timeout_s is not None:
        if est_hours:
            needed = math.ceil(est_hours * 3600 * TIMEOUT_FACTOR)
            if timeout_s < needed:
                run.check(
                    "timeout",
                    "fail",
                    f"timeout {job_timeout(timeout_s)} is below {TIMEOUT_FACTOR} x the estimated run "
                    f"({est_hours:.2f} h): the job would be killed before it finishes",
                    f"pass timeout={friendly_timeout(needed)[0]!r} or more",
                )
            else:
                run.check(
                    "timeout", "pass", f"timeout {job_timeout(timeout_s)} >= {TIMEOUT_FACTOR} x estimate"
                )
        elif timeout_s <= DEFAULT_TIMEOUT_SECONDS:
            run.check(
                "timeout",
                "warn",
                f"timeout {job_timeout(timeout_s)} is short for a training run",
                "most fine-tuning runs need more than 30 minutes; pass timeout='2h' or more",
            )
    run.timeout_s = timeout_s or UNKNOWN_TIMEOUT_S
    return {}


def decide_precision(run: Run) -> dict[str, Any]:
    """Weights dtype and mixed precision against the GPU (bf16 on Ampere+, fp16 AMP on T4)."""
    req, info, flavor = run.req, run.info, run.flavor
    bf16_ok = bool(info and info.bf16)
    if req.dtype != "auto":
        dtype = req.dtype
    elif run.local:
        dtype = "auto"  # decided by the script on the machine it runs on
    elif not run.is_gpu:
        dtype = "float32"
    elif bf16_ok:
        dtype = "bfloat16"
    else:
        # fp16 AMP: trainable weights must stay fp32 (GradScaler cannot unscale fp16 gradients): a full
        # fine-tune loads the model in fp32; an adapter run keeps the frozen base in fp16.
        dtype = "float32" if req.peft == "full" else "float16"
    if dtype == "bfloat16" and info is not None and run.is_gpu and not bf16_ok:
        run.check(
            "dtype",
            "fail",
            f"{flavor} ({info.gpu}, compute capability {info.compute_capability}) has no bfloat16",
            "leave dtype='auto' (fp16 mixed precision on T4) or pick an Ampere or newer flavor "
            "(a10g, l4, a100)",
        )
    elif dtype == "float16" and req.peft == "full" and run.is_gpu:
        run.check(
            "dtype",
            "fail",
            "a full fine-tune with weights loaded in float16 fails at the first optimizer step "
            "(fp16 gradients cannot be unscaled)",
            "leave dtype='auto' (fp32 weights with fp16 mixed precision on T4, bf16 elsewhere)",
        )
    else:
        run.check("dtype", "pass", f"dtype {dtype} for {flavor}")
    if run.local:
        precision = "auto"
    elif dtype == "float32" or not run.is_gpu:
        precision = "fp16" if (run.is_gpu and not bf16_ok) else ("bf16" if run.is_gpu else "no")
    else:
        precision = "bf16" if dtype == "bfloat16" else "fp16"
    return {"dtype": dtype, "mixed_precision": precision}


def decide_attention(run: Run) -> dict[str, Any]:
    """sdpa unless asked otherwise; FlashAttention-2 is refused (not in the pinned stack)."""
    attn = "sdpa" if run.req.attn_implementation == "auto" else run.req.attn_implementation
    if attn == "flash_attention_2":
        if run.info is not None and not run.info.flash_attention:
            run.check(
                "attention",
                "fail",
                f"FlashAttention-2 needs an Ampere or newer GPU; {run.flavor} is not",
                "leave attn_implementation='auto' (sdpa)",
            )
        else:
            stack = ", ".join(f"{k}=={v}" for k, v in run.pinned.items())
            run.check(
                "attention",
                "fail",
                "flash_attention_2 needs the flash-attn package (or kernels>=0.18.2,<0.19), which the pinned "
                f"stack ({stack}) does not include",
                "leave attn_implementation='auto' (sdpa: fused attention kernels from torch itself)",
            )
    else:
        run.check("attention", "pass", f"attention implementation {attn}")
    return {"attn_implementation": attn}


def _fits(run: Run, sharding: str) -> Fit | None:
    """The memory model's per-GPU fit for this request on run's flavor with `sharding`; None when the
    model's shape is unknown (no estimate: the shape lookup already failed, do not ask again)."""
    from hf_train_mcp.hardware import api

    if run.estimate is None or run.info is None:
        return None
    plan = replace(hardware_plan(run.req, dataset_examples=run.dataset_examples), sharding=sharding)
    try:
        return api.fit(plan, run.info)
    except HardwareError:
        return None


def decide_parallelism(run: Run) -> dict[str, Any]:
    """Multi-GPU layout: FSDP2 sharding (launched with `accelerate`) when a full replica does not fit one GPU
    (the hardware estimate is then the sharded one), data parallel (torchrun) otherwise; `parallelism`
    overrides. The memory model's per-GPU figure for both layouts goes in the check."""
    req, info = run.req, run.info
    gpus = info.gpu_count if info is not None else 0
    if gpus <= 1:
        if req.parallelism != "auto":
            where = "'local' (one process on this machine)" if run.local else f"{run.flavor} ({gpus} GPU)"
            run.check(
                "parallelism",
                "info",
                f"parallelism={req.parallelism!r} has no effect on {where}: the script runs one process",
                "pick a multi-GPU flavor (e.g. h200x2, a100x4) to run data parallel or sharded",
            )
        return {"parallelism": "single"}
    fits = {layout: _fits(run, layout) for layout in ("fsdp", "ddp")}
    ddp, fsdp = fits["ddp"], fits["fsdp"]
    if req.parallelism != "auto":
        choice, reason = req.parallelism, f"asked for (parallelism={req.parallelism!r})"
    elif (run.estimate or {}).get("layout") == "sharded":
        choice = "fsdp"
        reason = "a full replica does not fit one GPU" + (
            "; sharded it does" if fsdp is not None and fsdp.fits else "; sharding needs the least memory"
        )
    else:
        choice = "ddp"
        if ddp is None:
            reason = "model size unknown: data parallel (pass parallelism='fsdp' to shard a large model)"
        elif ddp.fits:
            reason = "a full replica fits each GPU, and data parallel is faster than sharding"
        else:  # only QLoRA: a shardable replica that does not fit has a sharded estimate (hardware_answer)
            reason = "QLoRA's 4-bit weights are not sharded"
    if choice == "fsdp" and req.peft not in SHARDABLE_PEFT:
        run.check(
            "parallelism",
            "fail",
            "FSDP sharding with 4-bit QLoRA is not supported by the generated scripts (bitsandbytes 4-bit "
            "weights are not sharded by FSDP2)",
            "use peft='lora' with parallelism='fsdp', or QLoRA with parallelism='ddp' (or 'auto')",
        )
        return {"parallelism": choice}
    mine, other = (fsdp, ddp) if choice == "fsdp" else (ddp, fsdp)
    figures = ""
    if mine is not None:
        figures = f": about {mine.need_gib:.1f} of {mine.limit_gib:.1f} GiB per GPU"
        if other is not None:
            figures += f" ({'DDP' if choice == 'fsdp' else 'FSDP'} would need {other.need_gib:.1f} GiB)"
    how = (
        "FSDP2 via accelerate (weights, gradients and optimizer state sharded)"
        if choice == "fsdp"
        else "data parallel via torchrun (a full replica per GPU)"
    )
    run.check("parallelism", "info", f"{gpus} GPUs, {how}{figures}; {reason}")  # shown: a choice, not a pass
    # 'auto' resolved: later steps' hardware plans (micro-batch search, re-estimate) size this layout
    run.req = run.req.model_copy(update={"parallelism": choice})
    return {"parallelism": choice}
