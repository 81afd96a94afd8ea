"""Choosing a flavor: the cheapest that fits, its estimate and timeout, the alternatives, and why.

Pure Python over the catalog already in memory (no network here: the tool refreshes the live list
first). A plan fits a flavor when what must fit on each GPU (memory.py: reserved memory + CUDA context)
stays under the GPU's usable memory less memory.FIT_MARGIN. Multi-GPU flavors run the plan data
parallel (every GPU holds a replica) unless the plan says `sharding="fsdp"`; inference on several
GPUs splits the weights.

Order of choice: among the flavors that fit (and meet max_hours and budget_usd when given), the lowest
estimated cost; without a dataset size, the lowest price per hour. Ties (within TIE_FRACTION) go to the
faster flavor. Flavors whose host RAM looks short for the model (HOST_RAM_*) come after the others.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

from hf_train_mcp.hardware import catalog, memory, throughput
from hf_train_mcp.hardware.contract import FlavorInfo, Recommendation, TrainingPlan
from hf_train_mcp.hardware.models import ModelShape, resolve

FIT_FRACTION = 1 - memory.FIT_MARGIN  # kept for callers of the older name
TIGHT_FRACTION = 0.85  # above this share of the limit, say the fit is tight
TIMEOUT_FACTOR = 1.3  # training-facts.md: timeout at least 1.3 x the estimated run (the one home of it)
MIN_TIMEOUT_S = 600  # never below the time a job needs to start (~6 min) plus a margin
STARTUP_MARGIN_S = 300
UNKNOWN_TIMEOUT_S = 2 * 3600  # dataset size unknown: a guess, said so in the notes
TIE_FRACTION = 0.02
MAX_ALTERNATIVES = 6
HOST_RAM_FRACTION = 0.6  # safetensors are memory-mapped: loading needs part of the model in RAM at once
HOST_RAM_BASE_GB = 4.0  # Python, torch, CUDA libraries, tokenizer, datasets

_FRIENDLY_S = [m * 60 for m in (10, 15, 20, 30, 45)] + [
    int(h * 3600) for h in (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10, 12, 16, 20, 24, 30, 36, 48, 60, 72)
]


# ------------------------------------------------------------------------------------------- timeouts


def friendly_timeout(seconds: float) -> tuple[str, int]:
    """Round up to a value a person would type: 10m, 15m, ..., 1.5h, 2h, ..., 72h, then whole days."""
    for step in _FRIENDLY_S:
        if seconds <= step:
            return format_duration(step), step
    days = math.ceil(seconds / 86400)
    return f"{days}d", days * 86400


def format_duration(seconds: int) -> str:
    """Seconds -> '45m', '1.5h', '2h', '3d' (the suffixes hf_jobs accepts, lower-case)."""
    if seconds % 86400 == 0 and seconds >= 4 * 86400:
        return f"{seconds // 86400}d"
    if seconds < 3600:
        return f"{math.ceil(seconds / 60)}m"
    hours = seconds / 3600
    return f"{hours:g}h" if hours == round(hours, 1) else f"{math.ceil(seconds / 60)}m"


def timeout_for(total_s: float | None, startup_s: float) -> tuple[str, int]:
    if total_s is None:
        return friendly_timeout(UNKNOWN_TIMEOUT_S)
    return friendly_timeout(max(TIMEOUT_FACTOR * total_s, MIN_TIMEOUT_S, startup_s + STARTUP_MARGIN_S))


# ------------------------------------------------------------------------------------------ evaluation


def evaluate(
    shape: ModelShape,
    plan: TrainingPlan,
    flavor: FlavorInfo,
    *,
    budget_usd: float | None = None,
    max_hours: float | None = None,
) -> Recommendation:
    """Memory, fit, time, cost and timeout of `plan` on one flavor."""
    notes: list[str] = []
    if not flavor.is_gpu:
        what = "CPU flavor" if flavor.gpu is None else f"{flavor.accelerator} accelerator"
        timeout, timeout_s = friendly_timeout(UNKNOWN_TIMEOUT_S)
        return Recommendation(
            flavor=flavor.name,
            gpus=0,
            vram_gb=0.0,
            price_per_hour=flavor.price_per_hour,
            est_hours=None,
            est_cost_usd=None,
            timeout=timeout,
            timeout_seconds=timeout_s,
            fits=False,
            notes=[f"{flavor.name} is a {what}: the training scripts need an NVIDIA GPU."],
            gpu=flavor.gpu,
            layout="none",
        )
    fitted = memory.fit(shape, plan, flavor)
    mem, limit, fits = fitted.estimate, fitted.limit_gib, fitted.fits
    weight_bytes = memory.base_weight_bytes(shape, plan.peft == "qlora")
    t = throughput.estimate_time(shape, plan, flavor, weight_bytes=weight_bytes)
    est_hours = est_cost = None
    if t.known:
        est_hours = round(t.total_s / 3600, 2)
        est_cost = catalog.run_cost(flavor.price_per_hour, t.total_s)
    timeout, timeout_s = timeout_for(t.total_s if t.known else None, t.startup_s)
    if not flavor.bf16 and plan.method != "inference":
        notes.append(
            f"{flavor.gpu} has no bf16: train with fp16=True, bf16=False and sdpa attention"
            + ("; full fine-tuning keeps fp32 master weights (16-18 B/param)" if plan.peft == "full" else "")
        )
    weights_16bit_gb = shape.params * 2 / 1e9
    host_ram_ok = (
        not flavor.ram_gb or flavor.ram_gb >= HOST_RAM_FRACTION * weights_16bit_gb + HOST_RAM_BASE_GB
    )
    if not host_ram_ok:
        notes.append(
            f"{flavor.name} has {flavor.ram_gb:g} GB of RAM for a {weights_16bit_gb:.0f} GB (16-bit) model: "
            "loading or saving may run out of host memory; a flavor with more RAM is safer"
        )
    if fits and mem.total_gb > TIGHT_FRACTION * limit:
        notes.append(
            f"tight fit on {flavor.name} ({mem.total_gb:.1f} of {limit:.1f} GiB): if it runs out of memory, "
            "lower max_length or batch_size, or use QLoRA"
        )
    rec = Recommendation(
        flavor=flavor.name,
        gpus=flavor.gpu_count,
        vram_gb=flavor.vram_gb_per_gpu,
        price_per_hour=flavor.price_per_hour,
        est_hours=est_hours,
        est_cost_usd=est_cost,
        timeout=timeout,
        timeout_seconds=timeout_s,
        fits=fits,
        memory=mem.as_dict(),
        notes=notes,
        gpu=flavor.gpu,
        vram_gb_total=flavor.vram_gb_total,
        layout=mem.layout,
        fit_limit_gb=round(limit, 2),
        within_budget=None if budget_usd is None or est_cost is None else est_cost <= budget_usd,
        within_max_hours=None if max_hours is None or est_hours is None else est_hours <= max_hours,
        time=t.as_dict(),
        model=_model_summary(shape),
        host_ram_ok=host_ram_ok,
        need_gb=round(fitted.need_gib, 2),
        usable_gb=round(fitted.usable_gib, 2),
        headroom_gb=round(fitted.headroom_gib, 2),
    )
    return rec


def _model_summary(shape: ModelShape) -> dict[str, Any]:
    return {
        "name": shape.name,
        "params_b": round(shape.params_b, 3),
        "layers": shape.layers,
        "hidden": shape.hidden,
        "heads": shape.heads,
        "kv_heads": shape.kv_heads,
        "vocab": shape.vocab,
        "intermediate": shape.intermediate,
        "source": shape.source,
    }


def _sort_key(rec: Recommendation) -> tuple[bool, float, float, float]:
    """Flavors short of host RAM last, then cost (or price per hour), time, and memory to spare."""
    cost = rec.est_cost_usd if rec.est_cost_usd is not None else rec.price_per_hour
    hours = rec.est_hours if rec.est_hours is not None else 0.0
    return (not rec.host_ram_ok, cost, hours, -rec.fit_limit_gb)


def _order(recs: list[Recommendation]) -> list[Recommendation]:
    """Cheapest first; within TIE_FRACTION of the cheapest, the faster one first."""
    ranked = sorted(recs, key=_sort_key)
    if len(ranked) > 1 and ranked[0].est_hours is not None:
        first = ranked[0]
        best = _sort_key(first)[1]
        tied = [
            r
            for r in ranked
            if r.host_ram_ok == first.host_ram_ok and _sort_key(r)[1] <= best * (1 + TIE_FRACTION)
        ]
        fastest = min(tied, key=lambda r: (r.est_hours or 0.0, _sort_key(r)[1]))
        ranked.remove(fastest)
        ranked.insert(0, fastest)
    return ranked


def _gpu_flavors() -> list[FlavorInfo]:
    return [f for f in catalog.current().values() if f.is_gpu]


def _cheapest_fit(shape: ModelShape, plan: TrainingPlan) -> Recommendation | None:
    fits = [f for f in _gpu_flavors() if memory.fit(shape, plan, f).fits]  # memory first: cheaper
    fitting = [evaluate(shape, plan, f) for f in fits]
    return _order(fitting)[0] if fitting else None


# -------------------------------------------------------------------------------------------- changes


def _variants(plan: TrainingPlan) -> list[tuple[str, TrainingPlan]]:
    """Changes that lower memory, in the order a person would try them."""
    out: list[tuple[str, TrainingPlan]] = []
    if not plan.gradient_checkpointing and plan.method != "inference":
        out.append(("gradient_checkpointing=True", replace(plan, gradient_checkpointing=True)))
    if plan.batch_size > 1:
        accumulation = plan.gradient_accumulation * plan.batch_size
        out.append(
            (
                f"batch_size=1 with gradient_accumulation={accumulation}",
                replace(plan, batch_size=1, gradient_accumulation=accumulation),
            )
        )
    if plan.method == "sft" and not plan.chunked_loss:
        out.append(("the chunked loss (TRL's default)", replace(plan, chunked_loss=True)))
    if plan.method == "dpo" and plan.peft == "full" and plan.dpo_reference != "none":
        out.append(
            (
                "precomputed reference log-probs (precompute_ref_log_probs=True)",
                replace(plan, dpo_reference="none"),
            )
        )
    if plan.peft == "full":
        out.append(("peft='lora'", replace(plan, peft="lora")))
    if plan.peft != "qlora":
        out.append(("peft='qlora'", replace(plan, peft="qlora")))
    if plan.peft == "full" and plan.optimizer != "adamw_8bit":
        out.append(("optimizer adamw_8bit (optim='adamw_bnb_8bit')", replace(plan, optimizer="adamw_8bit")))
    for factor in (2, 4):
        shorter = plan.max_length // factor
        if shorter >= 512:
            out.append((f"max_length={shorter}", replace(plan, max_length=shorter)))
    if plan.sharding != "fsdp" and plan.method != "inference":
        out.append(
            (
                "sharding='fsdp' (FSDP across the GPUs of a multi-GPU flavor; generated scripts shard "
                "by themselves when replicas do not fit, parallelism='fsdp' forces it)",
                replace(plan, sharding="fsdp"),
            )
        )
    return out


def what_to_change(
    shape: ModelShape, plan: TrainingPlan, *, limit: int = 5, flavor: FlavorInfo | None = None
) -> list[str]:
    """Concrete changes that would make the plan fit, each with the flavor it then fits: `flavor` when
    given (the one a person asked about), else the cheapest flavor that fits the changed plan."""
    out: list[str] = []
    for label, variant in _variants(plan):
        if flavor is not None:
            fitted = memory.fit(shape, variant, flavor)
            if fitted.fits:
                out.append(
                    _fits(label, flavor.name, fitted.need_gib, fitted.limit_gib, flavor.price_per_hour)
                )
        else:
            best = _cheapest_fit(shape, variant)
            if best is not None:
                out.append(_fits_rec(label, best))
        if len(out) >= limit:
            break
    return out


def _fits(what: str, name: str, need_gib: float, limit_gib: float, price_per_hour: float) -> str:
    return f"{what}: fits {name} ({need_gib:.1f} of {limit_gib:.1f} GiB per GPU, ${price_per_hour:g}/h)"


def _fits_rec(what: str, rec: Recommendation) -> str:
    return _fits(what, rec.flavor, rec.memory["total_gb"], rec.fit_limit_gb, rec.price_per_hour)


def _changes_for(shape: ModelShape, plan: TrainingPlan, flavor: FlavorInfo) -> list[str]:
    """A plan that does not fit `flavor`: the changes that make it fit there, then the cheapest flavor it
    fits unchanged. When it fits no flavor unchanged and no change fits `flavor`: the changes that fit
    others. (Offering a change for a flavor the plan already fits as it is would be no change at all.)"""
    here = what_to_change(shape, plan, flavor=flavor)
    best = _cheapest_fit(shape, plan)
    if best is not None:
        return [*here, _fits_rec("unchanged plan", best)]
    return here or what_to_change(shape, plan)


# ------------------------------------------------------------------------------------------ public api


def estimate(plan: TrainingPlan, flavor: str) -> Recommendation:
    """The figures for one named flavor (fits may be False)."""
    info = catalog.lookup(flavor)
    shape = resolve(plan.model, plan.params_b)
    rec = evaluate(shape, plan, info)
    rec.notes[:0] = [*_why_not(rec), f"model shape: {shape.source}"]
    rec.notes += rec.time.get("assumptions", [])
    if not rec.fits and info.is_gpu:
        rec.notes += _changes_for(shape, plan, info)
    return rec


def _why_not(rec: Recommendation) -> list[str]:
    if rec.fits or rec.layout == "none":
        return []
    return [
        f"does not fit {rec.flavor}: about {rec.memory['total_gb']:.1f} GiB per GPU needed, "
        f"{rec.fit_limit_gb:.1f} GiB allowed ({rec.vram_gb:g} GB GPUs, {memory.FIT_MARGIN:.0%} kept free)"
    ]


def recommend(
    plan: TrainingPlan, *, budget_usd: float | None = None, max_hours: float | None = None
) -> Recommendation:
    """The cheapest fitting flavor with alternatives and notes (fits=False and what to change if none)."""
    shape = resolve(plan.model, plan.params_b)
    results = [evaluate(shape, plan, f, budget_usd=budget_usd, max_hours=max_hours) for f in _gpu_flavors()]
    fitting = [r for r in results if r.fits]
    notes: list[str] = []
    if not fitting:
        biggest = max(results, key=lambda r: (r.fit_limit_gb, -r.price_per_hour))
        biggest.notes[:0] = [
            f"Nothing fits: this plan needs about {biggest.memory['total_gb']:.1f} GiB per GPU; the largest "
            f"GPU ({biggest.flavor}) allows {biggest.fit_limit_gb:.1f} GiB.",
            f"model shape: {shape.source}",
        ]
        changes = what_to_change(shape, plan)
        biggest.notes += changes or [
            "no single change makes it fit: combine QLoRA, max_length 1024 and FSDP sharding, "
            "or pick a smaller model"
        ]
        return biggest
    constrained = [r for r in fitting if r.within_budget is not False and r.within_max_hours is not False]
    if constrained:
        ranked = _order(constrained)
        chosen = ranked[0]
        others = [r for r in _order(fitting) if r is not chosen]
    else:
        ranked = _order(fitting)
        if max_hours is not None and all(r.within_max_hours is False for r in fitting):
            chosen = min(fitting, key=lambda r: (r.est_hours or 0.0, r.est_cost_usd or 0.0))
            notes.append(
                f"no flavor finishes within max_hours={max_hours:g}: the fastest, {chosen.flavor}, "
                f"needs about {chosen.est_hours:g} h; shorten the run (fewer epochs or examples, "
                "max_steps) or raise max_hours"
            )
        else:
            chosen = ranked[0]
        if budget_usd is not None and chosen.within_budget is False:
            notes.append(
                f"over budget: {chosen.flavor} costs about ${chosen.est_cost_usd:g} against budget_usd="
                f"{budget_usd:g}; to fit the budget use fewer examples or epochs, a shorter max_length, "
                "QLoRA, or raise the budget"
            )
        others = [r for r in ranked if r is not chosen]
    notes.append(_reason(chosen, len(fitting), len(results)))
    notes.append(f"model shape: {shape.source}")
    notes += chosen.time.get("assumptions", [])
    if plan.method != "inference" and chosen.gpus > 1 and chosen.layout == "ddp":
        notes.append(f"{chosen.gpus} GPUs run data parallel (a full replica on each GPU)")
    cheaper = _cheaper_with(shape, plan, chosen)
    if cheaper:
        notes.append(cheaper)
    fastest = min(fitting, key=lambda r: (r.est_hours or math.inf, r.price_per_hour))
    alternatives = others[:MAX_ALTERNATIVES]
    if fastest is not chosen and fastest not in alternatives and fastest.est_hours is not None:
        alternatives.append(fastest)
    chosen.notes = notes + chosen.notes
    for alt in alternatives:
        alt.alternatives = []
    chosen.alternatives = alternatives
    return chosen


def _reason(chosen: Recommendation, n_fit: int, n_all: int) -> str:
    mem = chosen.memory["total_gb"]
    basis = "estimated cost" if chosen.est_cost_usd is not None else "price per hour"
    return (
        f"{chosen.flavor}: lowest {basis} of the {n_fit} of {n_all} GPU flavors that fit; needs about "
        f"{mem:.1f} GiB per GPU (reserved + CUDA context) of {chosen.fit_limit_gb:.1f} GiB allowed "
        f"({chosen.usable_gb:.1f} usable less the {memory.FIT_MARGIN:.0%} margin)"
    )


def _cheaper_with(shape: ModelShape, plan: TrainingPlan, chosen: Recommendation) -> str | None:
    """A lighter method that would run on a cheaper flavor (said, never applied)."""
    lighter = {"full": "lora", "lora": "qlora"}.get(plan.peft)
    if lighter is None or plan.method == "inference":
        return None
    best = _cheapest_fit(shape, replace(plan, peft=lighter))
    if best is None or best.price_per_hour >= chosen.price_per_hour:
        return None
    return (
        f"with peft='{lighter}' it would fit {best.flavor} (${best.price_per_hour:g}/h"
        + (f", about ${best.est_cost_usd:g}" if best.est_cost_usd is not None else "")
        + ")"
    )


# ----------------------------------------------------------------------------------------------- budget


@dataclass(frozen=True)
class BudgetVerdict:
    """Whether a recommendation meets the budget, and the headline to lead an answer with when not."""

    budget_usd: float | None
    within_budget: bool | None  # None: no budget given, or no dataset size to cost the run
    cheapest_fit: str | None  # the cheapest flavor that fits in memory
    cheapest_cost_usd: float | None
    headline: str | None  # first line of an answer when nothing fits the budget (or it cannot be checked)

    def as_dict(self) -> dict[str, Any]:
        return {
            "budget_usd": self.budget_usd,
            "within_budget": self.within_budget,
            "cheapest_fit": self.cheapest_fit,
            "cheapest_cost_usd": self.cheapest_cost_usd,
            "headline": self.headline,
        }


def budget_verdict(rec: Recommendation, budget_usd: float | None) -> BudgetVerdict:
    """The budget part of an answer, for recommend_hardware and prepare_training alike.

    Over budget: within_budget False and the headline "nothing fits $1; the cheapest fit is l40sx1 at
    $2.61". A budget with no dataset size: within_budget None and a headline saying the budget was not
    checked. No budget: within_budget None, no headline.
    """
    candidates = [r for r in [rec, *rec.alternatives] if r.fits and r.est_cost_usd is not None]
    cheapest = min(candidates, key=lambda r: r.est_cost_usd or 0.0) if candidates else None
    name = cheapest.flavor if cheapest else (rec.flavor if rec.fits else None)
    cost = cheapest.est_cost_usd if cheapest else None
    if budget_usd is None:
        return BudgetVerdict(None, None, name, cost, None)
    if not rec.fits:
        headline = f"nothing fits {_usd(budget_usd)}: no flavor holds this plan in memory"
        return BudgetVerdict(budget_usd, False, None, None, headline)
    if cost is None:
        headline = f"budget {_usd(budget_usd)} not checked: the cost needs dataset_examples or dataset_tokens"
        return BudgetVerdict(budget_usd, None, name, None, headline)
    if cost <= budget_usd:
        return BudgetVerdict(budget_usd, True, name, cost, None)
    headline = f"nothing fits {_usd(budget_usd)}; the cheapest fit is {name} at {_usd(cost)}"
    return BudgetVerdict(budget_usd, False, name, cost, headline)


def _usd(value: float) -> str:
    return f"${value:,.2f}".removesuffix(".00")
