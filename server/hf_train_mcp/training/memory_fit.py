"""The memory step of `resolve`: gradient checkpointing, micro-batch and accumulation from the memory model.

The rule itself is `runner_fit.choose_fit` (the script applies the same one at start for flavor 'local');
this step feeds it the hardware model's peak memory for every candidate (checkpointing on/off x each
micro-batch that keeps the effective batch) and the flavor's usable memory with the fit margin, records the
decision and the figures in the checks, and re-estimates time and cost for the plan it decided.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hf_train_mcp.hardware.api import HardwareError, TrainingPlan
from hf_train_mcp.training.arguments import DEFAULT_BATCH
from hf_train_mcp.training.hardware_steps import estimate_dict
from hf_train_mcp.training.requests import batch_of, hardware_plan
from hf_train_mcp.training.runner_fit import batch_candidates, choose_fit

if TYPE_CHECKING:
    from hf_train_mcp.hardware.api import FlavorInfo
    from hf_train_mcp.hardware.models import ModelShape
    from hf_train_mcp.training.resolve import Run


def fit_request(run: Run) -> dict[str, Any]:
    """What the user asked for: the effective batch (their batch x accumulation, defaults filled in) and the
    values they set themselves (None: decided here)."""
    req = run.req
    batch, accumulation = batch_of(req)
    return {
        "effective_batch": batch * accumulation,
        "batch": req.per_device_train_batch_size,
        "accumulation": req.gradient_accumulation_steps,
        "checkpointing": req.gradient_checkpointing,
    }


def model_shape(run: Run) -> ModelShape | None:
    from hf_train_mcp.hardware.models import resolve as resolve_shape

    try:
        return resolve_shape(run.req.model)
    except HardwareError:
        return None


def candidate_plans(run: Run, fit: dict[str, Any]) -> dict[tuple[bool, int], TrainingPlan]:
    """The hardware plan of every (checkpointing, micro-batch) the rule may choose."""
    base = hardware_plan(run.req, dataset_examples=run.dataset_examples)
    batches = [fit["batch"]] if fit["batch"] else batch_candidates(fit["effective_batch"])
    ckpts = [fit["checkpointing"]] if fit["checkpointing"] is not None else [False, True]
    plans = {}
    for ckpt in ckpts:
        for batch in batches:
            accumulation = max(1, -(-fit["effective_batch"] // batch))
            plans[(ckpt, batch)] = _replace(base, ckpt, batch, accumulation)
    return plans


def _replace(plan: TrainingPlan, ckpt: bool, batch: int, accumulation: int) -> TrainingPlan:
    from dataclasses import replace

    return replace(plan, gradient_checkpointing=ckpt, batch_size=batch, gradient_accumulation=accumulation)


def need_gib(shape: ModelShape, plan: TrainingPlan, info: FlavorInfo | None, bf16: bool = True) -> float:
    """What must fit on each GPU (reserved memory + CUDA context, GiB) for `plan` on `info`; None: one
    GPU of flavor 'local', whose device is only known at run time (`bf16`: whether it has bf16)."""
    from hf_train_mcp.hardware import memory

    if info is None:
        return memory.estimate_memory(shape, plan, bf16=bf16, gpus=1).total_gb
    return memory.fit(shape, plan, info).need_gib


def decide_memory(run: Run) -> dict[str, Any]:
    """Checkpointing and micro-batch: as fast as fits (see runner_fit); the user's values win."""
    req = run.req
    fit = fit_request(run)
    default_batch, default_accumulation = batch_of(req)
    fallback = {
        "gradient_checkpointing": True if fit["checkpointing"] is None else fit["checkpointing"],
        "per_device_train_batch_size": default_batch,
        "gradient_accumulation_steps": default_accumulation,
        "memory_fit": None,
    }
    if req.method == "grpo":  # generation batches: the request's sizes (num_generations must divide them)
        run.check(
            "memory_fit",
            "info",
            f"GRPO: micro-batch {default_batch} x accumulation {default_accumulation}, checkpointing "
            f"{'on' if fallback['gradient_checkpointing'] else 'off'} as requested (or the defaults)",
        )
        return fallback
    shape = model_shape(run) if (run.local or run.is_gpu) else None
    if shape is None:
        if run.local or run.is_gpu:
            run.check(
                "memory_fit",
                "info",
                f"model size unknown: checkpointing {'on' if fallback['gradient_checkpointing'] else 'off'}, "
                f"micro-batch {default_batch} x accumulation {default_accumulation} (defaults)",
                "pass a Hub id or a local model folder the hardware model can read",
            )
        return fallback
    plans = candidate_plans(run, fit)
    needs = {key: need_gib(shape, plan, run.info) for key, plan in plans.items()}
    if run.local:
        fp16_needs = {key: need_gib(shape, plan, None, bf16=False) for key, plan in plans.items()}
        return _local(run, fit, needs, fp16_needs, fallback)
    assert run.info is not None
    from hf_train_mcp.hardware.memory import fit_limit

    limit = fit_limit(run.info)
    out = choose_fit(needs, limit, fit)
    _record(run, needs, limit, out)
    _re_estimate(run, out)
    return {key: out[key] for key in fallback if key != "memory_fit"} | {"memory_fit": None}


def _record(run: Run, needs: dict, limit: float, out: dict[str, Any]) -> None:
    batch, ckpt = out["per_device_train_batch_size"], out["gradient_checkpointing"]
    other = needs.get((not ckpt, batch))
    figures = f"needs {out['need_gib']:.1f} GiB per GPU of {limit:.1f} GiB usable with the margin"
    if other is not None:
        figures += f" ({other:.1f} GiB with checkpointing {'off' if ckpt else 'on'})"
    message = (
        f"micro-batch {batch} x accumulation {out['gradient_accumulation_steps']} "
        f"(effective batch {batch * out['gradient_accumulation_steps']}); {out['why']}; {figures}"
    )
    if out["fits"]:
        run.check("memory_fit", "pass", message)
    else:
        run.check(
            "memory_fit",
            "warn",
            f"the run may not fit in {run.flavor}'s memory: {message}",
            "use peft='lora' or 'qlora', a smaller max_length, or a larger flavor",
        )


def _local(
    run: Run, fit: dict[str, Any], needs: dict, fp16_needs: dict, fallback: dict[str, Any]
) -> dict[str, Any]:
    """Flavor 'local': the script decides at start; CONFIG carries the memory model's figures for a bf16
    GPU and for a pre-Ampere one (fp16 only: a full fine-tune keeps fp32 master weights there)."""
    from hf_train_mcp.hardware.memory import CUDA_CONTEXT_GIB, FIT_MARGIN

    def rows(figures: dict) -> list[list[Any]]:
        return [[ckpt, batch, round(gib, 3)] for (ckpt, batch), gib in sorted(figures.items())]

    memory_fit = {
        **fit,
        "needs_gib": rows(needs),
        "needs_gib_fp16": rows(fp16_needs),
        "limit_fraction": 1 - FIT_MARGIN,
        "context_gib": CUDA_CONTEXT_GIB,
        "cpu_batch": DEFAULT_BATCH[run.req.method][0],
    }
    smallest = min(needs.values())
    run.check(
        "memory_fit",
        "info",
        "flavor 'local': checkpointing and micro-batch are decided at start from the GPU found and its free "
        f"memory (the plan needs {smallest:.1f} to {max(needs.values()):.1f} GiB depending on them), keeping "
        f"the effective batch of {fit['effective_batch']}",
    )
    return {**fallback, "memory_fit": memory_fit}


def _re_estimate(run: Run, out: dict[str, Any]) -> None:
    """Time and cost for the plan decided here (decide_flavor estimated the request's default plan)."""
    from hf_train_mcp.hardware import api

    if run.estimate is None:
        return
    decided = run.req.model_copy(
        update={
            "per_device_train_batch_size": out["per_device_train_batch_size"],
            "gradient_accumulation_steps": out["gradient_accumulation_steps"],
            "gradient_checkpointing": out["gradient_checkpointing"],
        }
    )
    plan = hardware_plan(decided, dataset_examples=run.dataset_examples)
    if plan == hardware_plan(run.req, dataset_examples=run.dataset_examples):
        return
    try:
        rec = api.estimate(plan, run.flavor)
    except HardwareError:
        return
    run.estimate = estimate_dict(rec)
    if rec.fits:  # decide_flavor's warning was about the request's default plan, not this one
        run.checks[:] = [c for c in run.checks if not (c.name == "memory" and c.status == "warn")]
