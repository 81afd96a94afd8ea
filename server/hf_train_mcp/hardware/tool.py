"""The hardware tool: `recommend_hardware` (the cheapest flavor that fits a plan, or one flavor's cost).

It refreshes the live flavor list (at most every hour, waiting at most a few seconds; the bundled table
answers otherwise), then call the pure model in recommend.py.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Annotated, Any, Literal

from mcp.server.mcpserver import MCPServer
from mcp.types import ToolAnnotations
from pydantic import Field

from hf_train_mcp.hardware import catalog
from hf_train_mcp.hardware.api import (
    TIMEOUT_FACTOR,
    BudgetVerdict,
    HardwareError,
    Recommendation,
    TrainingPlan,
    budget_verdict,
)
from hf_train_mcp.hardware.recommend import estimate, friendly_timeout, recommend
from hf_train_mcp.published import group_rarely_used
from hf_train_mcp.toolkit import Answer, OpenOutput, agent_tool, fail, md_table, structured
from hf_train_mcp.training.arguments import GradientCheckpointing as Checkpointing
from hf_train_mcp.training.arguments import MaxLength, Packing, PeftArg
from hf_train_mcp.training.requests import D


def _arg(description: str, **constraints: Any) -> Any:
    return Field(description=description, **constraints)


Model = Annotated[str | None, _arg("Hub model id or local folder (or params_b)")]
ParamsB = Annotated[float | None, _arg("billions of parameters (instead of model)", gt=0)]
MethodArg = Annotated[Literal["sft", "dpo", "grpo", "inference"], _arg("training method")]
BatchSize = Annotated[int, _arg("Sequences per GPU per step. Default: 1", ge=1, le=4096)]
Examples = Annotated[int | None, _arg("dataset rows (DPO: pairs), for time and cost", ge=1)]
Tokens = Annotated[int | None, _arg("dataset tokens as trained (instead of dataset_examples)", ge=1)]
Epochs = Annotated[float, _arg("passes over the dataset", gt=0, le=1000)]
Sharding = Annotated[
    Literal["ddp", "fsdp"],
    _arg(
        "Multi-GPU flavors: ddp replicates the model on every GPU (what the scripts do); fsdp shards it. "
        "Default: ddp"
    ),
]
Accumulation = Annotated[int, _arg("Gradient accumulation steps. Default: 1", ge=1, le=4096)]
CompletionLength = Annotated[
    int, _arg("GRPO: tokens per completion; inference: new tokens per prompt. Default: 256", ge=1, le=131072)
]
Budget = Annotated[float | None, _arg("most to spend, USD", gt=0)]
MaxHours = Annotated[float | None, _arg("longest acceptable run, hours", gt=0)]
Hours = Annotated[float | None, _arg("with flavor: run hours, for a simple cost", gt=0)]
Minutes = Annotated[float | None, _arg("with flavor: run time in minutes, for a simple cost", gt=0)]
FlavorArg = Annotated[str | None, _arg("price this Jobs flavor instead of recommending")]


class RecommendOutput(OpenOutput):
    """The pick (None over budget: see cheapest_fit), the budget verdict, alternatives and notes; with a
    flavor, that flavor's estimate (`flavor`, cost, fit)."""

    recommended: dict[str, Any] | None = None
    flavor: str | None = None
    within_budget: bool | None = None
    notes: list[str] | None = None


RecommendResult = structured(RecommendOutput)

ANNOTATIONS = ToolAnnotations(
    read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=True
)


PLAN_FIELDS = frozenset(field.name for field in dataclasses.fields(TrainingPlan))


def _plan(arguments: dict[str, Any]) -> TrainingPlan:
    """The training plan a tool call describes. Both tools name their plan parameters after TrainingPlan's
    fields, so they pass their arguments (`locals()`) and each parameter reaches the model under its own
    name, with no second list of them to keep in step. A blank model means none."""
    kwargs = {name: value for name, value in arguments.items() if name in PLAN_FIELDS}
    if kwargs.get("model") is not None and not kwargs["model"].strip():
        kwargs["model"] = None
    return TrainingPlan(**kwargs)


def _call(func: Any, *args: Any, **kwargs: Any) -> Recommendation:
    try:
        return func(*args, **kwargs)
    except HardwareError as exc:
        raise fail(str(exc)) from exc


def _hours(h: float | None) -> str:
    if h is None:
        return "?"
    return f"{h * 60:.0f} min" if h < 1 else f"{h:.1f} h"


def _money(v: float | None) -> str:
    return "?" if v is None else f"${v:,.2f}"


def _row(rec: Recommendation, mark: str = "") -> list[Any]:
    mem = rec.memory.get("total_gb")
    return [
        rec.flavor + mark,
        f"{rec.gpus}x {rec.gpu}",
        f"{rec.price_per_hour:.2f}",
        f"{mem:.1f} / {rec.fit_limit_gb:.1f} ({rec.headroom_gb:+.1f})" if mem is not None else "-",
        _hours(rec.est_hours),
        _money(rec.est_cost_usd),
        rec.timeout,
    ]


HEADERS = [
    "flavor",
    "GPUs",
    "$/h",
    "GiB per GPU: need / limit (headroom)",
    "est. time",
    "est. cost",
    "timeout",
]


def _memory_line(memory: dict[str, Any]) -> str:
    names = {
        "weights_gb": "weights",
        "gradients_gb": "gradients",
        "optimizer_gb": "optimizer",
        "adapters_gb": "adapters",
        "activations_gb": "activations",
        "logits_gb": "logits",
        "reference_model_gb": "reference model",
        "kv_cache_gb": "KV cache",
        "ddp_buckets_gb": "DDP buckets",
        "sharding_buffers_gb": "sharding buffers",
        "cuda_overhead_gb": "CUDA overhead",
    }
    parts = [f"{label} {memory[key]:.1f}" for key, label in names.items() if memory.get(key, 0) >= 0.05]
    extra = ""
    if memory.get("not_coresident_gb", 0) >= 0.05:
        extra = f"; {memory['not_coresident_gb']:.1f} of it never alive at once"
    return (
        f"Memory per GPU ({memory.get('layout')}): {memory['total_gb']:.1f} GiB = " + ", ".join(parts) + extra
    )


def _structured(rec: Recommendation, verdict: BudgetVerdict) -> dict[str, Any]:
    """The answer's data; over budget there is no `recommended`, only `cheapest_fit`."""
    over = verdict.within_budget is False
    return {
        "recommended": None if over else rec.summary(),
        "cheapest_fit": rec.summary() if over else None,
        "within_budget": verdict.within_budget,
        "budget": verdict.as_dict(),
        "memory": rec.memory,
        "alternatives": [alt.summary() for alt in rec.alternatives],
        "notes": rec.notes,
        "time": rec.time,
        "model": rec.model,
        "catalog": catalog.source(),
    }


def _call_flavor(flavor: str) -> Any:
    try:
        return catalog.lookup(flavor)
    except HardwareError as exc:
        raise fail(str(exc)) from exc


def _recommend_headline(rec: Recommendation, verdict: BudgetVerdict) -> str:
    """First line: the budget verdict when the budget is not met or not checked, else the pick."""
    what = f"`{rec.flavor}` ({rec.gpus}x {rec.gpu} {rec.vram_gb:g} GB, ${rec.price_per_hour:.2f}/h)"
    if verdict.within_budget is False:
        return f"**{verdict.headline[0].upper()}{verdict.headline[1:]}.** Cheapest fit: {what}" + (
            f", about {_hours(rec.est_hours)}" if rec.est_hours is not None else ""
        )
    head = f"**Recommended: {what}**"
    if rec.est_hours is not None:
        head += f": about {_hours(rec.est_hours)}, {_money(rec.est_cost_usd)}; set timeout `{rec.timeout}`"
    else:
        head += (
            f"; time and cost need dataset_examples or dataset_tokens (timeout `{rec.timeout}` is a guess)"
        )
    if verdict.headline:
        head = f"**{verdict.headline[0].upper()}{verdict.headline[1:]}.** " + head
    return head


def estimate_answer(rec: Recommendation, budget_usd: float | None = None) -> Answer:
    """The answer for a plan on one given flavor; with a budget, the verdict leads when not met."""
    within = None
    if budget_usd is not None and rec.est_cost_usd is not None:
        within = rec.est_cost_usd <= budget_usd
    data = {
        "flavor": rec.flavor,
        "gpus": rec.gpus,
        "price_per_hour": rec.price_per_hour,
        "est_hours": rec.est_hours,
        "est_cost_usd": rec.est_cost_usd,
        "timeout": rec.timeout,
        "timeout_seconds": rec.timeout_seconds,
        "fits": rec.fits,
        "need_gb": rec.need_gb,
        "usable_gb": rec.usable_gb,
        "headroom_gb": rec.headroom_gb,
        "memory": rec.memory,
        "fit_limit_gb": rec.fit_limit_gb,
        "within_budget": within,
        "budget_usd": budget_usd,
        "time": rec.time,
        "notes": rec.notes,
        "model": rec.model,
        "catalog": catalog.source(),
    }
    verdict = "fits" if rec.fits else "**does NOT fit**"
    if rec.est_hours is not None:
        head = (
            f"`{rec.flavor}`: plan {verdict}; about {_hours(rec.est_hours)}, "
            f"**{_money(rec.est_cost_usd)}** "
            f"at ${rec.price_per_hour:.2f}/h; set timeout `{rec.timeout}`"
        )
    else:
        head = (
            f"`{rec.flavor}`: plan {verdict}; ${rec.price_per_hour:.2f}/h; time and cost need "
            "dataset_examples or dataset_tokens"
        )
    if within is False:
        head = (
            f"**Over budget: `{rec.flavor}` costs about {_money(rec.est_cost_usd)}, more than "
            f"{_money(budget_usd)}.** " + head
        )
    lines = [head, "", md_table(HEADERS, [_row(rec)]), "", _memory_line(rec.memory), ""]
    lines += [f"- {note}" for note in rec.notes] + [f"- prices: {catalog.source()}"]
    return Answer("\n".join(lines), data)


# What the tool list shows at the top level; the other plan settings are keys of `advanced`.
PLAN_PRIMARY = {"model", "params_b", "method", "peft", "dataset_examples"}


def register(server: MCPServer) -> None:
    """Register this capability's tools on `server`."""
    group_rarely_used("recommend_hardware", primary=PLAN_PRIMARY | {"budget_usd", "flavor", "hours"})

    @server.tool(title="Recommend hardware", annotations=ANNOTATIONS)
    @agent_tool
    def recommend_hardware(
        model: Model = None,
        params_b: ParamsB = None,
        method: MethodArg = "sft",
        peft: PeftArg = D.peft,
        dataset_examples: Examples = None,
        budget_usd: Budget = None,
        flavor: FlavorArg = None,
        hours: Hours = None,
        minutes: Minutes = None,
        max_length: MaxLength = D.max_length,
        batch_size: BatchSize = 1,
        dataset_tokens: Tokens = None,
        epochs: Epochs = 1.0,
        max_hours: MaxHours = None,
        packing: Packing = D.packing,
        gradient_checkpointing: Checkpointing = D.gradient_checkpointing,
        gradient_accumulation: Accumulation = 1,
        sharding: Sharding = "ddp",
        max_completion_length: CompletionLength = 256,
    ) -> RecommendResult:
        """The cheapest Jobs flavor that fits a training plan, with time, cost and timeout; with `flavor`,
        that flavor's cost and fit. max_length, epochs...: in advanced."""
        catalog.refresh()
        if flavor is not None:
            if hours is not None or minutes is not None:
                return _duration_cost(flavor, hours, minutes, budget_usd)
            if model is None and params_b is None:
                raise fail(
                    "With a flavor, give either hours (simple cost) or a training plan: model (Hub id or "
                    "local path) or params_b, plus dataset_examples."
                )
        elif hours is not None or minutes is not None:
            raise fail('hours/minutes price a run on one flavor: add flavor (e.g. "a10g-large").')
        plan = _plan(locals())
        if flavor is not None:
            _call_flavor(flavor)
            return estimate_answer(_call(estimate, plan, flavor), budget_usd=budget_usd)
        rec = _call(recommend, plan, budget_usd=budget_usd, max_hours=max_hours)
        if not rec.fits:
            raise fail(
                "No Jobs flavor fits this plan. "
                + " ".join(n.rstrip(".") + "." for n in rec.notes)
                + " Change one of these and ask again."
            )
        verdict = budget_verdict(rec, budget_usd)
        head = _recommend_headline(rec, verdict)
        mark = " (cheapest fit)" if verdict.within_budget is False else " (recommended)"
        rows = [_row(rec, mark)] + [_row(alt) for alt in rec.alternatives]
        lines = [
            head,
            "",
            _memory_line(rec.memory),
            "",
            md_table(HEADERS, rows),
            "",
            *[f"- {note}" for note in rec.notes],
            f"- prices: {catalog.source()}",
        ]
        return Answer("\n".join(lines), _structured(rec, verdict))


def _duration_cost(
    flavor: str, hours: float | None, minutes: float | None, budget_usd: float | None
) -> Answer:
    """A run of `hours` (or `minutes`) on `flavor`: billed per minute, with the timeout to set."""
    info = _call_flavor(flavor)
    if hours is not None and minutes is not None:
        raise fail("Give hours or minutes, not both.")
    run_min = minutes if minutes is not None else hours * 60  # type: ignore[operator]
    billed = math.ceil(run_min - 1e-9)
    cost = catalog.run_cost(info.price_per_hour, run_min * 60)
    timeout, timeout_s = friendly_timeout(run_min * 60 * TIMEOUT_FACTOR)
    data = {
        "flavor": flavor,
        "gpu": info.gpu,
        "gpus": info.gpu_count,
        "price_per_hour": info.price_per_hour,
        "hours": round(run_min / 60, 4),
        "billed_minutes": billed,
        "cost_usd": cost,
        "timeout": timeout,
        "timeout_seconds": timeout_s,
        "catalog": catalog.source(),
        "budget_usd": budget_usd,
        "within_budget": None if budget_usd is None else cost <= budget_usd,
    }
    over = budget_usd is not None and cost > budget_usd
    text = (
        (f"**Over budget: {_money(cost)} is more than {_money(budget_usd)}.** " if over else "")
        + f"`{flavor}` at ${info.price_per_hour:.2f}/h for {_hours(run_min / 60)} "
        f"(billed per minute: {billed} min) costs **{_money(cost)}**. "
        f"For a run that long set timeout `{timeout}` ({TIMEOUT_FACTOR:g}x).\n"
        f"- prices: {catalog.source()}"
    )
    return Answer(text, data)
