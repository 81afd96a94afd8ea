"""What recommend_hardware answers, checked against figures the test works out itself.

The cost of a run is the time model's estimate billed per started minute at the catalog's price per hour
(training-facts.md: Jobs bill per minute); which flavors fit comes from the memory model. From those the
test derives the pick and the order of the alternatives by the documented rule (host RAM short last,
then cost, then time; a flavor within 2% of the cheapest cost that is faster goes first) and compares.
Small live catalogs (the Hub's wire format, installed with catalog.set_live) put a flavor exactly at a
boundary: memory just enough, RAM just enough, a cost just inside or outside the tie.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

import pytest
from hf_train_mcp.hardware import api, catalog, memory, models, recommend, throughput
from hf_train_mcp.hardware.api import TrainingPlan

PLAN_7B = TrainingPlan(model="Qwen/Qwen2.5-7B", peft="lora", dataset_tokens=20_000_000)


def gpu_entry(
    name: str,
    model: str,
    price_per_hour: float,
    *,
    count: int = 1,
    vram_gb: float | None = None,
    ram_gb: float = 256.0,
    kind: str = "gpu",
) -> dict[str, Any]:
    """An entry as GET /api/jobs/hardware sends it (hub-jobs-wire.md): price per minute, total vram."""
    accelerator: dict[str, Any] = {
        "type": kind,
        "model": model,
        "quantity": str(count),
        "manufacturer": "Nvidia",
    }
    if vram_gb is not None:
        accelerator["vram"] = f"{vram_gb * count!r} GB"
    return {
        "name": name,
        "prettyName": name,
        "cpu": "16 vCPU",
        "ram": f"{ram_gb!r} GB",
        "accelerator": accelerator,
        "unitCostUSD": price_per_hour / 60,
        "unitLabel": "minute",
    }


def shape_of(plan: TrainingPlan) -> models.ModelShape:
    return models.resolve(plan.model, plan.params_b)


def run_by_hand(plan: TrainingPlan, name: str) -> tuple[float, float]:
    """Seconds of the whole job (time model) and its cost: started minutes x the catalog's price / 60."""
    info = catalog.current()[name]
    shape = shape_of(plan)
    weights = memory.base_weight_bytes(shape, plan.peft == "qlora")
    seconds = throughput.estimate_time(shape, plan, info, weight_bytes=weights).total_s
    return seconds, round(math.ceil(seconds / 60) * info.price_per_hour / 60, 2)


def ram_short(name: str, plan: TrainingPlan) -> bool:
    """Loading memory-maps the safetensors: 60% of the 16-bit weights plus 4 GB for Python, torch, CUDA."""
    weights_gb = shape_of(plan).params * 2 / 1e9
    ram = catalog.current()[name].ram_gb
    return bool(ram) and ram < 0.6 * weights_gb + 4


def fitting(plan: TrainingPlan) -> list[str]:
    shape = shape_of(plan)
    return [n for n, f in catalog.current().items() if f.is_gpu and memory.fit(shape, plan, f).fits]


# ------------------------------------------------------------------------------- the pick and the order


def test_the_pick_is_the_cheapest_whole_run_and_the_alternatives_follow_by_cost() -> None:
    rec = api.recommend(PLAN_7B)
    runs = {name: run_by_hand(PLAN_7B, name) for name in fitting(PLAN_7B)}
    key = {name: (ram_short(name, PLAN_7B), cost, seconds) for name, (seconds, cost) in runs.items()}
    ranked = sorted(runs, key=key.__getitem__)
    assert runs[ranked[1]][1] > 1.02 * runs[ranked[0]][1]  # no tie here: the cheapest run wins outright
    assert rec.flavor == ranked[0]
    assert rec.fits and rec.est_hours == round(runs[rec.flavor][0] / 3600, 2)
    assert rec.est_cost_usd == runs[rec.flavor][1]
    # six alternatives by cost, then the fastest flavor (here far dearer) so the agent sees it too
    fastest = min(runs, key=lambda n: runs[n][0])
    assert fastest not in ranked[:7]
    assert [a.flavor for a in rec.alternatives] == [*ranked[1:7], fastest]
    for alt in rec.alternatives:
        assert alt.est_cost_usd == runs[alt.flavor][1], alt.flavor
        assert alt.alternatives == []
    # the timeout: at least 1.3 x the run (training-facts.md), rounded up to a value a person types
    seconds = runs[rec.flavor][0]
    assert rec.timeout_seconds >= 1.3 * seconds
    assert (rec.timeout, rec.timeout_seconds) == recommend.friendly_timeout(1.3 * seconds)
    assert rec.notes[0] == (
        f"{rec.flavor}: lowest estimated cost of the {len(runs)} of "
        f"{sum(f.is_gpu for f in catalog.current().values())} GPU flavors that fit; needs about "
        f"{rec.need_gb:.1f} GiB per GPU (reserved + CUDA context) of {rec.fit_limit_gb:.1f} GiB allowed "
        f"({catalog.current()[rec.flavor].usable_gib:.1f} usable less the 5% margin)"
    )


def test_a_faster_flavor_within_two_percent_of_the_cheapest_cost_goes_first() -> None:
    plan = replace(PLAN_7B, dataset_tokens=100_000_000)
    catalog.set_live([gpu_entry("slow", "A100", 2.5)])
    slow_s, slow_cost = run_by_hand(plan, "slow")
    catalog.set_live([gpu_entry("fast", "H100", 1.0)])
    fast_s, _ = run_by_hand(plan, "fast")
    assert fast_s < slow_s / 2
    fast_minutes = math.ceil(fast_s / 60)

    def fast_costing(share: float) -> float:  # the price per hour that bills `share` x the slow run
        return round(slow_cost * share * 60 / fast_minutes, 2)

    for share, pick in ((1.015, "fast"), (1.025, "slow")):
        catalog.set_live([gpu_entry("slow", "A100", 2.5), gpu_entry("fast", "H100", fast_costing(share))])
        assert run_by_hand(plan, "fast")[1] == pytest.approx(slow_cost * share, rel=0.002)
        rec = api.recommend(plan)
        assert rec.flavor == pick, share
        assert [a.flavor for a in rec.alternatives] == [{"fast": "slow", "slow": "fast"}[pick]]


def priced_for(plan: TrainingPlan, name: str, model: str, cost: float, others: list[dict[str, Any]]) -> None:
    """Install `others` and flavor `name` (GPU `model`) at the price per hour that bills exactly `cost`."""
    catalog.set_live([*others, gpu_entry(name, model, 1.0)])
    minutes = math.ceil(run_by_hand(plan, name)[0] / 60)
    for step in range(-50, 51):
        price = round(cost * 60 / minutes + step * 1e-4, 4)
        catalog.set_live([*others, gpu_entry(name, model, price)])
        if run_by_hand(plan, name)[1] == cost:
            return
    raise AssertionError(f"no price bills {cost} on {name}")


def test_a_faster_flavor_at_exactly_two_percent_more_still_goes_first() -> None:
    plan = replace(PLAN_7B, dataset_tokens=100_000_000)
    priced_for(plan, "slow", "A100", 50.0, [])
    slow = catalog.current()["slow"]
    slow_entry = gpu_entry("slow", "A100", slow.price_per_hour)
    priced_for(plan, "fast", "H100", 51.0, [slow_entry])  # 50 x 1.02
    assert run_by_hand(plan, "slow")[1] == 50.0 and run_by_hand(plan, "fast")[1] == 51.0
    assert api.recommend(plan).flavor == "fast"
    priced_for(plan, "fast", "H100", 51.01, [slow_entry])
    assert api.recommend(plan).flavor == "slow"


def test_without_a_dataset_size_the_lowest_price_per_hour_wins_and_time_is_unknown() -> None:
    plan = TrainingPlan(model="Qwen/Qwen2.5-0.5B")
    catalog.set_live(
        [
            gpu_entry("pricey", "H100", 4.0),
            gpu_entry("small-cheap", "A10G", 1.0, vram_gb=24),
            gpu_entry("big-cheap", "A10G", 1.0, vram_gb=48),  # same price, more memory: before small-cheap
            gpu_entry("cheapest", "L4", 0.8),
        ]
    )
    rec = api.recommend(plan)
    assert rec.flavor == "cheapest"
    assert [a.flavor for a in rec.alternatives] == ["big-cheap", "small-cheap", "pricey"]
    assert rec.est_hours is rec.est_cost_usd is None
    assert all(a.est_hours is None for a in rec.alternatives)
    assert (rec.timeout, rec.timeout_seconds) == ("2h", 7200)  # a stated guess
    assert rec.notes[0].startswith("cheapest: lowest price per hour of the 4 of 4 GPU flavors that fit")
    assert any("dataset_examples or dataset_tokens" in n for n in rec.notes)


def test_a_flavor_short_of_host_ram_comes_after_the_others_even_when_cheaper() -> None:
    plan = TrainingPlan(model="Qwen/Qwen2.5-14B", peft="qlora", dataset_tokens=2_000_000)
    weights_gb = shape_of(plan).params * 2 / 1e9
    enough = 0.6 * weights_gb + 4  # exactly the RAM the loading needs: enough
    catalog.set_live(
        [
            gpu_entry("short", "A100", 1.0, ram_gb=enough - 0.1),
            gpu_entry("ulp-short", "A100", 0.9, ram_gb=math.nextafter(enough, 0)),
            gpu_entry("just-enough", "A100", 3.0, ram_gb=enough),
            gpu_entry("roomy", "A100", 3.5, ram_gb=2 * enough),
            {**gpu_entry("unsaid", "A100", 3.7), "ram": None},  # no RAM figure: not held against it
        ]
    )
    rec = api.recommend(plan)
    assert rec.flavor == "just-enough" and rec.host_ram_ok
    assert [a.flavor for a in rec.alternatives] == ["roomy", "unsaid", "ulp-short", "short"]
    short = rec.alternatives[3]
    assert not short.host_ram_ok and short.est_cost_usd < rec.est_cost_usd  # type: ignore[operator]
    assert (
        f"short has {enough - 0.1:g} GB of RAM for a {weights_gb:.0f} GB (16-bit) model: loading or saving "
        "may run out of host memory; a flavor with more RAM is safer"
    ) in short.notes
    assert not any("RAM" in n for n in rec.notes)


def test_a_flavor_whose_memory_is_just_enough_is_picked_with_a_tight_fit_warning() -> None:
    plan = TrainingPlan(model="Qwen/Qwen2.5-7B", peft="lora", max_length=4096)
    need = memory.estimate_memory(shape_of(plan), plan, bf16=True, gpus=1).total_gb

    def usable(vram: float) -> float:
        return catalog.parse_entry(gpu_entry("x", "Z100", 1.0, vram_gb=vram)).usable_gib

    # the smallest memory (in steps of 0.01 GB) whose 95% holds the estimate: enough, and no more
    vram = math.floor(need / 0.95 / 0.93 * 100) / 100 - 0.05
    while usable(vram) * 0.95 < need:
        vram = round(vram + 0.01, 2)
    catalog.set_live([gpu_entry("roomy", "H100", 4.0), gpu_entry("exact", "Z100", 1.0, vram_gb=vram)])
    rec = api.recommend(plan)
    assert rec.flavor == "exact" and rec.fits and rec.headroom_gb == pytest.approx(0, abs=0.02)
    limit = usable(vram) * 0.95
    assert (
        f"tight fit on exact ({need:.1f} of {limit:.1f} GiB): if it runs out of memory, lower max_length or "
        "batch_size, or use QLoRA"
    ) in rec.notes
    assert not any("tight fit" in n for n in rec.alternatives[0].notes)
    # 0.01 GB less and it no longer fits: the dearer flavor is the pick
    catalog.set_live([gpu_entry("roomy", "H100", 4.0), gpu_entry("exact", "Z100", 1.0, vram_gb=vram - 0.01)])
    assert api.recommend(plan).flavor == "roomy"
    assert not api.estimate(plan, "exact").fits


@pytest.mark.parametrize(("share", "tight"), [(0.84, False), (0.86, True)])
def test_the_tight_fit_warning_starts_above_85_percent_of_the_limit(share: float, tight: bool) -> None:
    plan = TrainingPlan(model="Qwen/Qwen2.5-7B", peft="lora")
    need = memory.estimate_memory(shape_of(plan), plan, bf16=True, gpus=1).total_gb
    catalog.set_live([gpu_entry("card", "Z100", 1.0, vram_gb=round(need / share / 0.95 / 0.93, 2))])
    rec = api.estimate(plan, "card")
    assert rec.fits
    assert rec.need_gb / rec.fit_limit_gb == pytest.approx(share, abs=0.002)
    assert any(n.startswith("tight fit on card") for n in rec.notes) is tight


# ------------------------------------------------------------------------------------------ multi-GPU


def test_a_multi_gpu_flavor_runs_data_parallel_and_says_so() -> None:
    plan = TrainingPlan(model="Qwen/Qwen2.5-0.5B", dataset_tokens=1_000_000)
    catalog.set_live([gpu_entry("pair", "A10G", 3.0, count=2)])
    rec = api.recommend(plan)
    assert rec.flavor == "pair" and rec.gpus == 2 and rec.layout == "ddp"
    assert "2 GPUs run data parallel (a full replica on each GPU)" in rec.notes
    catalog.set_live([gpu_entry("single", "A10G", 1.5)])
    single = api.recommend(plan)
    assert single.gpus == 1 and not any("data parallel" in n for n in single.notes)
    catalog.set_live([gpu_entry("pair", "A10G", 3.0, count=2)])
    sharded = api.recommend(replace(plan, sharding="fsdp"))
    assert sharded.layout == "sharded" and not any("data parallel" in n for n in sharded.notes)


def test_a_cpu_or_other_accelerator_flavor_is_never_a_fit_and_says_why() -> None:
    plan = TrainingPlan(model="Qwen/Qwen2.5-0.5B", dataset_tokens=1_000_000)
    cpu = api.estimate(plan, "cpu-upgrade")
    assert cpu.flavor == "cpu-upgrade" and cpu.fits is False and cpu.gpus == 0 and cpu.layout == "none"
    assert cpu.est_hours is cpu.est_cost_usd is None and (cpu.timeout, cpu.timeout_seconds) == ("2h", 7200)
    assert cpu.price_per_hour == catalog.current()["cpu-upgrade"].price_per_hour
    assert "cpu-upgrade is a CPU flavor: the training scripts need an NVIDIA GPU." in cpu.notes
    assert not any("fits " in n for n in cpu.notes)  # no "what to change": no change makes a CPU fit
    catalog.set_live([gpu_entry("a10g", "A10G", 1.0), gpu_entry("inf2", "Inferentia2", 1.0, kind="neuron")])
    other = api.estimate(plan, "inf2")
    assert not other.fits and (other.gpu, other.gpus, other.vram_gb) == ("Inferentia2", 0, 0)
    assert cpu.gpu is None
    assert "inf2 is a neuron accelerator: the training scripts need an NVIDIA GPU." in other.notes
    assert api.recommend(plan).flavor == "a10g"


# -------------------------------------------------------------------------------------- nothing fits


def test_nothing_fits_answers_the_largest_gpu_and_the_changes_that_would_fit() -> None:
    plan = TrainingPlan(model="meta-llama/Llama-3.1-70B", peft="full")
    rec = api.recommend(plan)
    largest = catalog.current()["h200"]  # the most memory per GPU, the lowest price of the H200 flavors
    fit = memory.fit(shape_of(plan), plan, largest)
    assert rec.flavor == "h200" and not rec.fits and rec.alternatives == []
    assert rec.notes[0] == (
        f"Nothing fits: this plan needs about {fit.need_gib:.1f} GiB per GPU; the largest GPU (h200) allows "
        f"{largest.usable_gib * 0.95:.1f} GiB."
    )
    qlora = replace(plan, peft="qlora")
    pick = api.recommend(qlora)
    assert (
        f"peft='qlora': fits {pick.flavor} ({pick.need_gb:.1f} of {pick.fit_limit_gb:.1f} GiB per GPU, "
        f"${pick.price_per_hour:g}/h)"
    ) in rec.notes


def test_nothing_fits_and_no_single_change_helps() -> None:
    rec = api.recommend(TrainingPlan(params_b=3000, peft="qlora"))
    assert not rec.fits
    assert rec.notes[-1] == (
        "no single change makes it fit: combine QLoRA, max_length 1024 and FSDP sharding, or pick a "
        "smaller model"
    )


def test_the_largest_gpu_of_equal_ones_is_the_cheapest() -> None:
    catalog.set_live(
        [gpu_entry("big-dear", "H200", 9.0), gpu_entry("big", "H200", 5.0), gpu_entry("small", "A10G", 1.0)]
    )
    rec = api.recommend(TrainingPlan(params_b=400, peft="full"))
    assert not rec.fits and rec.flavor == "big"


# -------------------------------------------------------------------------------- budget and max_hours


def ranked_runs(plan: TrainingPlan) -> tuple[list[str], dict[str, tuple[float, float]]]:
    runs = {name: run_by_hand(plan, name) for name in fitting(plan)}
    order = sorted(runs, key=lambda n: (ram_short(n, plan), runs[n][1], runs[n][0]))
    return order, runs


def test_a_budget_of_exactly_the_cheapest_cost_is_met_and_a_cent_less_is_not() -> None:
    order, runs = ranked_runs(PLAN_7B)
    cheapest, cost = order[0], runs[order[0]][1]
    met = api.recommend(PLAN_7B, budget_usd=cost)
    assert met.flavor == cheapest and met.within_budget is True
    assert not any("over budget" in n for n in met.notes)
    # the dearer flavors stay listed as alternatives, marked over budget
    assert [a.flavor for a in met.alternatives][:6] == order[1:7]
    assert all(a.within_budget is False for a in met.alternatives)
    short = api.recommend(PLAN_7B, budget_usd=cost - 0.01)
    assert short.flavor == cheapest and short.within_budget is False
    assert (
        f"over budget: {cheapest} costs about ${cost:g} against budget_usd={cost - 0.01:g}; to fit the "
        "budget use fewer examples or epochs, a shorter max_length, QLoRA, or raise the budget"
    ) in short.notes
    verdict = api.budget_verdict(short, cost - 0.01)
    assert verdict.within_budget is False and verdict.cheapest_fit == cheapest
    assert verdict.cheapest_cost_usd == cost


def test_max_hours_picks_the_cheapest_flavor_that_finishes_in_time() -> None:
    order, runs = ranked_runs(PLAN_7B)
    hours = {n: round(runs[n][0] / 3600, 2) for n in runs}
    # a limit equal to the time of a flavor dearer than the cheapest: that flavor is within it
    limit = hours[next(n for n in order if hours[n] < hours[order[0]])]
    in_time = [n for n in order if hours[n] <= limit]
    assert order[0] not in in_time
    rec = api.recommend(PLAN_7B, max_hours=limit)
    assert rec.flavor == in_time[0] and rec.within_max_hours is True
    assert rec.est_hours is not None and rec.est_hours <= limit
    # the flavors too slow are still alternatives (cheapest first), marked as such
    slow = [a for a in rec.alternatives if a.within_max_hours is False]
    assert slow and slow[0].flavor == order[0]
    tighter = api.recommend(PLAN_7B, max_hours=round(limit - 0.01, 2))
    assert tighter.flavor == next(n for n in order if hours[n] <= round(limit - 0.01, 2))


def test_an_impossible_max_hours_gives_the_fastest_flavor_and_says_so() -> None:
    order, runs = ranked_runs(PLAN_7B)
    fastest = min(runs, key=lambda n: (runs[n][0], runs[n][1]))
    rec = api.recommend(PLAN_7B, max_hours=0.01)
    assert rec.flavor == fastest and rec.within_max_hours is False
    assert rec.notes[0] == (
        f"no flavor finishes within max_hours=0.01: the fastest, {fastest}, needs about "
        f"{round(runs[fastest][0] / 3600, 2):g} h; shorten the run (fewer epochs or examples, max_steps) or "
        "raise max_hours"
    )
    assert [a.flavor for a in rec.alternatives] == [n for n in order if n != fastest][:6]
    # and over budget as well: both are said
    both = api.recommend(PLAN_7B, max_hours=0.01, budget_usd=0.5)
    assert both.flavor == fastest
    assert both.notes[1].startswith(f"over budget: {fastest} costs about ${runs[fastest][1]:g}")


def test_over_budget_with_a_reachable_max_hours_picks_the_cheapest() -> None:
    order, _ = ranked_runs(PLAN_7B)
    rec = api.recommend(PLAN_7B, max_hours=100, budget_usd=0.5)
    assert rec.flavor == order[0] and rec.within_max_hours is True and rec.within_budget is False
    assert not any("max_hours" in n for n in rec.notes)
    assert any(n.startswith(f"over budget: {order[0]} ") for n in rec.notes)


# ------------------------------------------------------------------------------ a lighter method's fit


def test_a_lighter_method_that_runs_on_a_cheaper_flavor_is_suggested_with_its_cost() -> None:
    plan = TrainingPlan(model="meta-llama/Llama-3.1-8B", peft="full", dataset_tokens=10_000_000)
    rec = api.recommend(plan)
    lora = replace(plan, peft="lora")
    order, runs = ranked_runs(lora)
    cheaper = catalog.current()[order[0]]
    assert cheaper.price_per_hour < rec.price_per_hour
    assert (
        f"with peft='lora' it would fit {order[0]} (${cheaper.price_per_hour:g}/h, about "
        f"${runs[order[0]][1]:g})"
    ) in rec.notes
    unsized = api.recommend(replace(plan, dataset_tokens=None))
    lora_unsized = api.recommend(replace(lora, dataset_tokens=None))
    assert (
        f"with peft='lora' it would fit {lora_unsized.flavor} (${lora_unsized.price_per_hour:g}/h)"
    ) in unsized.notes


@pytest.mark.parametrize(
    "plan",
    [
        TrainingPlan(model="Qwen/Qwen2.5-0.5B", peft="lora"),  # QLoRA runs on the same cheapest GPU
        TrainingPlan(model="Qwen/Qwen2.5-7B", peft="qlora"),  # nothing lighter
        TrainingPlan(model="Qwen/Qwen2.5-7B", method="inference", peft="full"),  # nothing is trained
    ],
)
def test_no_lighter_method_is_suggested_when_it_would_not_be_cheaper(plan: TrainingPlan) -> None:
    rec = api.recommend(plan)
    assert rec.fits and not any("it would fit" in n for n in rec.notes)


def test_an_equally_priced_flavor_for_the_lighter_method_is_not_suggested() -> None:
    catalog.set_live([gpu_entry("big", "H100", 4.0), gpu_entry("also-big", "H100", 4.0)])
    rec = api.recommend(TrainingPlan(model="Qwen/Qwen2.5-7B", peft="full"))
    assert rec.fits and not any("it would fit" in n for n in rec.notes)


# ------------------------------------------------------------------ one flavor, and what to change


def fits_line(label: str, name: str, need_gib: float, price_per_hour: float) -> str:
    limit = catalog.current()[name].usable_gib * 0.95  # 5% of the card kept free
    return f"{label}: fits {name} ({need_gib:.1f} of {limit:.1f} GiB per GPU, ${price_per_hour:g}/h)"


def changes_here(plan: TrainingPlan, name: str, labelled: list[tuple[str, dict[str, Any]]]) -> list[str]:
    """The changes (label, changed fields) after which the memory model fits `plan` on flavor `name`."""
    info, out = catalog.current()[name], []
    for label, fields in labelled:
        fit = memory.fit(shape_of(plan), replace(plan, **fields), info)
        if fit.fits:
            out.append(fits_line(label, name, fit.need_gib, info.price_per_hour))
    return out[:5]


def changes_anywhere(plan: TrainingPlan, labelled: list[tuple[str, dict[str, Any]]]) -> list[str]:
    """The changes after which some flavor fits, each with the flavor then recommended."""
    out = []
    for label, fields in labelled:
        variant = replace(plan, **fields)
        if fitting(variant):
            pick = api.recommend(variant)
            out.append(fits_line(label, pick.flavor, pick.need_gb, pick.price_per_hour))
    return out[:5]


def unchanged_line(plan: TrainingPlan) -> str:
    pick = api.recommend(plan)
    assert pick.fits
    return fits_line("unchanged plan", pick.flavor, pick.need_gb, pick.price_per_hour)


FSDP = (
    "sharding='fsdp' (FSDP across the GPUs of a multi-GPU flavor; generated scripts shard by themselves "
    "when replicas do not fit, parallelism='fsdp' forces it)"
)
HEAVY = TrainingPlan(  # 8B fully fine-tuned, 4 x 4096 tokens a step, no checkpointing: fits no flavor
    model="meta-llama/Llama-3.1-8B",
    peft="full",
    batch_size=4,
    gradient_accumulation=2,
    gradient_checkpointing=False,
    chunked_loss=False,
    max_length=4096,
    dataset_tokens=1_000_000,
)
HEAVY_CHANGES = [
    ("gradient_checkpointing=True", {"gradient_checkpointing": True}),
    ("batch_size=1 with gradient_accumulation=8", {"batch_size": 1, "gradient_accumulation": 8}),
    ("the chunked loss (TRL's default)", {"chunked_loss": True}),
    ("peft='lora'", {"peft": "lora"}),
    ("peft='qlora'", {"peft": "qlora"}),
    ("optimizer adamw_8bit (optim='adamw_bnb_8bit')", {"optimizer": "adamw_8bit"}),
    ("max_length=2048", {"max_length": 2048}),
    ("max_length=1024", {"max_length": 1024}),
    (FSDP, {"sharding": "fsdp"}),
]
DPO = TrainingPlan(model="meta-llama/Llama-3.1-8B", method="dpo", peft="full", max_length=1024)
DPO_CHANGES = [
    ("gradient_checkpointing=True", {"gradient_checkpointing": True}),
    ("batch_size=1 with gradient_accumulation=4", {"batch_size": 1, "gradient_accumulation": 4}),
    ("precomputed reference log-probs (precompute_ref_log_probs=True)", {"dpo_reference": "none"}),
    ("peft='lora'", {"peft": "lora"}),
    ("peft='qlora'", {"peft": "qlora"}),
    ("optimizer adamw_8bit (optim='adamw_bnb_8bit')", {"optimizer": "adamw_8bit"}),
    ("max_length=512", {"max_length": 512}),  # 1024 // 4 = 256 is too short to offer
    (FSDP, {"sharding": "fsdp"}),
]


def test_a_flavor_that_is_too_small_says_by_how_much_and_the_changes_that_fit_it() -> None:
    assert not fitting(HEAVY)
    rec = api.estimate(HEAVY, "h200")
    info = catalog.current()["h200"]
    fit = memory.fit(shape_of(HEAVY), HEAVY, info)
    assert not rec.fits and rec.flavor == "h200"
    seconds, cost = run_by_hand(HEAVY, "h200")
    assert rec.est_cost_usd == cost and rec.est_hours == round(seconds / 3600, 2)
    assert rec.notes[0] == (
        f"does not fit h200: about {fit.need_gib:.1f} GiB per GPU needed, {info.usable_gib * 0.95:.1f} "
        "GiB allowed (141 GB GPUs, 5% kept free)"
    )
    assert rec.notes[1] == f"model shape: {shape_of(HEAVY).source}"
    expected = changes_here(HEAVY, "h200", HEAVY_CHANGES)
    assert len(expected) == 4 and all(": fits h200 (" in line for line in expected)
    assert rec.notes[-5:] == [rec.notes[-5], *expected]
    assert not rec.notes[-5].endswith("/h)")  # nothing fits unchanged: no "unchanged plan" line


def test_when_no_change_fits_the_flavor_the_changes_that_fit_others_are_given() -> None:
    expected = changes_anywhere(HEAVY, HEAVY_CHANGES)
    assert len(expected) >= 3
    for rec in (api.estimate(HEAVY, "a10g-large"), api.recommend(HEAVY)):
        assert not rec.fits
        assert rec.notes[-len(expected) :] == expected
        assert not rec.notes[-len(expected) - 1].endswith("/h)")
    assert api.estimate(HEAVY, "a10g-large").notes[0].startswith("does not fit a10g-large: about ")


def test_a_plan_that_fits_elsewhere_unchanged_says_where() -> None:
    plan = TrainingPlan(model="meta-llama/Llama-3.1-8B", peft="full", dataset_tokens=1_000_000)
    rec = api.estimate(plan, "a10g-small")
    here = changes_here(
        plan, "a10g-small", [("peft='lora'", {"peft": "lora"}), ("peft='qlora'", {"peft": "qlora"})]
    )
    assert len(here) == 2
    assert rec.notes[-3:] == [*here, unchanged_line(plan)]


def test_dpo_changes_include_precomputed_reference_log_probs_and_stop_at_five() -> None:
    heavy_dpo = replace(DPO, batch_size=4, gradient_checkpointing=False)
    assert not fitting(heavy_dpo)
    expected = changes_here(heavy_dpo, "h200", DPO_CHANGES)
    assert [line.split(": fits")[0] for line in expected] == [label for label, _ in DPO_CHANGES[:5]]
    assert api.estimate(heavy_dpo, "h200").notes[-5:] == expected
    # on two GPUs the references do not fit, max_length=512 does; sharding would be a sixth: not said
    two = api.estimate(heavy_dpo, "h200x2")
    assert two.notes[-5:] == changes_here(heavy_dpo, "h200x2", DPO_CHANGES)
    assert two.notes[-1].startswith("max_length=512: fits h200x2")
    assert not any(n.startswith("sharding='fsdp'") for n in two.notes)
    # a plan that does fit elsewhere: the changes for this flavor, sharding among them, then where it fits
    light = api.estimate(DPO, "rtx-pro-6000x2")
    here = changes_here(DPO, "rtx-pro-6000x2", DPO_CHANGES)
    assert here[-1].startswith(f"{FSDP}: fits rtx-pro-6000x2")
    assert light.notes[-len(here) - 1 :] == [*here, unchanged_line(DPO)]


def test_inference_changes_never_offer_checkpointing_or_sharding() -> None:
    plan = TrainingPlan(model="meta-llama/Llama-3.1-8B", method="inference", peft="qlora", max_length=1024)
    shorter = replace(plan, max_length=512)
    between = (
        memory.estimate_memory(shape_of(plan), plan).total_gb
        + memory.estimate_memory(shape_of(plan), shorter).total_gb
    ) / 2
    catalog.set_live(
        [gpu_entry("tiny", "Z100", 1.0, vram_gb=round(between / 0.95 / 0.93, 2)), gpu_entry("t4", "T4", 0.4)]
    )
    rec = api.estimate(plan, "tiny")
    assert not rec.fits
    here = changes_here(plan, "tiny", [("max_length=512", {"max_length": 512})])
    assert len(here) == 1
    assert [n for n in rec.notes if n.endswith("/h)")] == [*here, unchanged_line(plan)]


def test_a_fitting_flavor_has_no_changes_and_its_notes_start_with_the_model_shape() -> None:
    plan = TrainingPlan(model="Qwen/Qwen2.5-0.5B", dataset_tokens=1_000_000)
    rec = api.estimate(plan, "l4x1")
    assert rec.fits and rec.notes[0] == f"model shape: {shape_of(plan).source}"
    assert not any(n.startswith("does not fit") or n.endswith("/h)") for n in rec.notes)
    assert rec.est_cost_usd == run_by_hand(plan, "l4x1")[1]


def test_a_t4_flavor_says_to_train_in_fp16() -> None:
    plan = TrainingPlan(model="Qwen/Qwen2.5-0.5B")
    full = api.estimate(replace(plan, peft="full"), "t4-small")
    assert (
        "T4 has no bf16: train with fp16=True, bf16=False and sdpa attention; full fine-tuning keeps fp32 "
        "master weights (16-18 B/param)"
    ) in full.notes
    lora = api.estimate(plan, "t4-small")
    assert "T4 has no bf16: train with fp16=True, bf16=False and sdpa attention" in lora.notes
    assert not any("bf16" in n for n in api.estimate(plan, "l4x1").notes)
    assert not any("bf16" in n for n in api.estimate(replace(plan, method="inference"), "t4-small").notes)


def test_the_answer_names_the_model_shape_it_used() -> None:
    plan = TrainingPlan(model="Qwen/Qwen2.5-7B", dataset_examples=1000)
    shape = shape_of(plan)
    for rec in (api.recommend(plan), api.estimate(plan, "a100-large")):
        assert rec.model == {
            "name": shape.name,
            "params_b": round(shape.params / 1e9, 3),
            "layers": shape.layers,
            "hidden": shape.hidden,
            "heads": shape.heads,
            "kv_heads": shape.kv_heads,
            "vocab": shape.vocab,
            "intermediate": shape.intermediate,
            "source": shape.source,
        }
    # the figures a user checks against the model card: Qwen2.5-7B has 28 layers, hidden 3584, 28/4 heads
    assert (shape.layers, shape.hidden, shape.heads, shape.kv_heads) == (28, 3584, 28, 4)


# ---------------------------------------------------------------------------------------- durations


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (45 * 60, "45m"),
        (59 * 60 + 1, "60m"),
        (3600, "1h"),
        (5400, "1.5h"),
        (5460, "91m"),  # 1.52 h: not a tenth of an hour, said in minutes
        (4500, "75m"),  # 1.25 h
        (3 * 86400, "72h"),
        (4 * 86400, "4d"),
        (4 * 86400 + 3600, "97h"),
    ],
)
def test_durations_are_written_as_hf_jobs_accepts_them(seconds: int, text: str) -> None:
    assert recommend.format_duration(seconds) == text


@pytest.mark.parametrize(
    ("run_s", "startup_s", "expected"),
    [
        (1000, 0, ("30m", 1800)),  # 1.3 x 1000 s = 21.7 min, rounded up to 30 min
        (2000, 0, ("45m", 2700)),  # 43.3 min
        (100, 0, ("10m", 600)),  # never below 10 minutes
        (400, 600, ("15m", 900)),  # never below the start-up time plus 5 minutes: exactly 15 min
        (400, 601, ("20m", 1200)),
        (None, 400, ("2h", 7200)),  # the run time is unknown: a stated guess
    ],
)
def test_the_timeout_covers_the_run_the_start_and_ten_minutes(
    run_s: float | None, startup_s: float, expected: tuple[str, int]
) -> None:
    assert recommend.timeout_for(run_s, startup_s) == expected


# --------------------------------------------------------------------------------------- the budget


def test_the_budget_verdict_names_the_cheapest_fit_and_its_cost() -> None:
    order, runs = ranked_runs(PLAN_7B)
    cheapest, cost = order[0], runs[order[0]][1]
    rec = api.recommend(PLAN_7B)
    free = api.budget_verdict(rec, None)
    assert free.as_dict() == {
        "budget_usd": None,
        "within_budget": None,
        "cheapest_fit": cheapest,
        "cheapest_cost_usd": cost,
        "headline": None,
    }
    assert api.budget_verdict(rec, cost).as_dict() == {
        "budget_usd": cost,
        "within_budget": True,
        "cheapest_fit": cheapest,
        "cheapest_cost_usd": cost,
        "headline": None,
    }
    assert api.budget_verdict(rec, 1).as_dict() == {
        "budget_usd": 1,
        "within_budget": False,
        "cheapest_fit": cheapest,
        "cheapest_cost_usd": cost,
        "headline": f"nothing fits $1; the cheapest fit is {cheapest} at ${cost:,.2f}",
    }
    # picked for speed (max_hours): the cheapest fit is still the cheapest alternative
    fast = api.recommend(PLAN_7B, max_hours=0.5)
    assert fast.flavor != cheapest
    assert api.budget_verdict(fast, 0.5).cheapest_fit == cheapest


def test_a_budget_in_thousands_is_written_with_a_separator() -> None:
    plan = TrainingPlan(model="meta-llama/Llama-3.1-70B", peft="qlora", dataset_tokens=2_000_000_000)
    rec = api.recommend(plan)
    cost = run_by_hand(plan, rec.flavor)[1]
    assert cost > 1000 and rec.est_cost_usd == cost
    assert api.budget_verdict(rec, 1000).headline == (
        f"nothing fits $1,000; the cheapest fit is {rec.flavor} at ${cost:,.2f}"
    )
    assert api.budget_verdict(rec, 999.5).headline.startswith("nothing fits $999.50;")  # type: ignore[union-attr]


def test_a_budget_without_a_dataset_size_is_not_checked_and_one_that_fits_nothing_says_so() -> None:
    plan = TrainingPlan(model="Qwen/Qwen2.5-0.5B")
    rec = api.recommend(plan, budget_usd=0.01)
    assert rec.fits and rec.within_budget is None and not any("over budget" in n for n in rec.notes)
    unchecked = api.budget_verdict(rec, 0.01)
    assert unchecked.as_dict() == {
        "budget_usd": 0.01,
        "within_budget": None,
        "cheapest_fit": rec.flavor,
        "cheapest_cost_usd": None,
        "headline": "budget $0.01 not checked: the cost needs dataset_examples or dataset_tokens",
    }
    assert api.budget_verdict(rec, None).cheapest_fit == rec.flavor
    nothing = api.recommend(HEAVY)
    verdict = api.budget_verdict(nothing, 50)
    assert verdict.as_dict() == {
        "budget_usd": 50,
        "within_budget": False,
        "cheapest_fit": None,
        "cheapest_cost_usd": None,
        "headline": "nothing fits $50: no flavor holds this plan in memory",
    }
    assert api.budget_verdict(nothing, None).cheapest_fit is None


# ------------------------------------------------------------------------------ the answer's figures


def test_the_answer_carries_the_flavor_memory_and_time_figures() -> None:
    plan = TrainingPlan(model="Qwen/Qwen2.5-7B", peft="lora", max_length=1024, dataset_tokens=5_000_000)
    catalog.set_live([gpu_entry("quad", "A10G", 5.0, count=4)])
    rec = api.recommend(plan)
    info = catalog.current()["quad"]
    fit = memory.fit(shape_of(plan), plan, info)
    seconds, cost = run_by_hand(plan, "quad")
    assert rec.summary() == {
        "flavor": "quad",
        "gpu": "A10G",
        "gpus": 4,
        "vram_gb": 24,
        "vram_gb_total": 4 * 24,
        "price_per_hour": info.price_per_hour,
        "est_hours": round(seconds / 3600, 2),
        "est_cost_usd": cost,
        "timeout": recommend.friendly_timeout(max(1.3 * seconds, 600))[0],
        "timeout_seconds": recommend.friendly_timeout(max(1.3 * seconds, 600))[1],
        "fits": True,
        "memory_gb": round(fit.need_gib, 2),
        "fit_limit_gb": round(info.usable_gib * 0.95, 2),
        "layout": "ddp",
        "within_budget": None,
        "within_max_hours": None,
        "need_gb": round(fit.need_gib, 2),
        "usable_gb": info.usable_gib,
        "headroom_gb": round(info.usable_gib * 0.95 - fit.need_gib, 2),
    }
    assert rec.time["total_hours"] == round(seconds / 3600, 3)
    assert rec.memory["layout"] == "ddp" and rec.memory["gpus"] == 4


@pytest.mark.parametrize(
    "plan",
    [
        TrainingPlan(model="Qwen/Qwen2.5-7B", method="inference", peft="qlora", dataset_examples=20_000),
        TrainingPlan(model="Qwen/Qwen2.5-7B", method="inference", peft="lora", dataset_examples=20_000),
        TrainingPlan(model="Qwen/Qwen2.5-1.5B", method="grpo", peft="lora", dataset_examples=2_000),
    ],
)
def test_generation_runs_are_costed_with_the_weights_as_loaded(plan: TrainingPlan) -> None:
    """Decoding reads every weight per token: 4-bit weights (QLoRA) make it faster, so cheaper."""
    rec = api.estimate(plan, "l4x1")
    seconds, cost = run_by_hand(plan, "l4x1")
    assert rec.est_cost_usd == cost and rec.est_hours == round(seconds / 3600, 2)


def test_equal_costs_go_to_the_faster_flavor_in_the_alternatives_too() -> None:
    plan = replace(PLAN_7B, dataset_tokens=50_000_000)
    entries = [gpu_entry("cheap", "L40S", 0.5), gpu_entry("a100", "A100", 3.0)]
    catalog.set_live(entries)
    a100_cost = run_by_hand(plan, "a100")[1]
    priced_for(plan, "h100", "H100", a100_cost, entries)  # the same cost to the cent
    rec = api.recommend(plan)
    assert rec.flavor == "cheap"
    # the A100 has more memory to spare, the H100 finishes sooner: at one cost, sooner comes first
    assert [a.flavor for a in rec.alternatives] == ["h100", "a100"]
    assert rec.alternatives[0].est_hours < rec.alternatives[1].est_hours  # type: ignore[operator]
    assert rec.alternatives[1].fit_limit_gb > rec.alternatives[0].fit_limit_gb


def test_a_batch_of_two_with_the_plain_loss_lists_each_change_that_fits_the_card() -> None:
    plan = TrainingPlan(model="Qwen/Qwen2.5-1.5B", peft="lora", batch_size=2, chunked_loss=False)
    offered = [  # what a person would try for this plan, in that order
        ("batch_size=1 with gradient_accumulation=2", {"batch_size": 1, "gradient_accumulation": 2}),
        ("the chunked loss (TRL's default)", {"chunked_loss": True}),
        ("peft='qlora'", {"peft": "qlora"}),
        ("max_length=1024", {"max_length": 1024}),
        ("max_length=512", {"max_length": 512}),
        (FSDP, {"sharding": "fsdp"}),
    ]
    here = changes_here(plan, "t4-small", offered)
    assert [line.split(": fits")[0] for line in here] == [label for label, _ in offered[:5]]
    rec = api.estimate(plan, "t4-small")
    assert not rec.fits
    assert rec.notes[-6:] == [*here, unchanged_line(plan)]


def test_grpo_on_one_sequence_a_step_keeps_the_generation_batch() -> None:
    """batch_size=1 with 4 x 8 accumulation still generates 32 completions together: their KV cache
    stays in the figure the change is offered with."""
    plan = TrainingPlan(
        model="Qwen/Qwen2.5-7B", method="grpo", peft="lora", batch_size=4, gradient_accumulation=8
    )
    offered = [
        ("batch_size=1 with gradient_accumulation=32", {"batch_size": 1, "gradient_accumulation": 32}),
        ("peft='qlora'", {"peft": "qlora"}),
        ("max_length=1024", {"max_length": 1024}),
        ("max_length=512", {"max_length": 512}),
        (FSDP, {"sharding": "fsdp"}),
    ]
    here = changes_here(plan, "l4x1", offered)
    assert here[0].startswith("batch_size=1 with gradient_accumulation=32: fits l4x1")
    one_at_a_time = memory.fit(shape_of(plan), replace(plan, batch_size=1), catalog.current()["l4x1"])
    assert f"({one_at_a_time.need_gib:.1f} of" not in here[0]  # 8 generations would need less
    assert api.estimate(plan, "l4x1").notes[-len(here) - 1 :] == [*here, unchanged_line(plan)]


def test_lora_is_not_told_to_use_the_8bit_optimizer() -> None:
    """Offered to full fine-tuning only: for LoRA it would shrink only the adapters' optimizer states."""
    plan = TrainingPlan(model="Qwen/Qwen2.5-7B", peft="lora")
    shape = shape_of(plan)
    need = memory.estimate_memory(shape, plan).total_gb
    need_8bit = memory.estimate_memory(shape, replace(plan, optimizer="adamw_8bit")).total_gb
    assert need_8bit < need
    vram = round((need + need_8bit) / 2 / 0.95 / 0.93, 2)  # the 8-bit states would fit, AdamW's do not
    catalog.set_live([gpu_entry("card", "Z100", 1.0, vram_gb=vram), gpu_entry("big", "H100", 4.0)])
    assert memory.fit(shape, replace(plan, optimizer="adamw_8bit"), catalog.current()["card"]).fits
    rec = api.estimate(plan, "card")
    assert not rec.fits
    here = changes_here(
        plan,
        "card",
        [
            ("peft='qlora'", {"peft": "qlora"}),
            ("max_length=1024", {"max_length": 1024}),
            ("max_length=512", {"max_length": 512}),
        ],
    )
    assert rec.notes[-4:] == [*here, unchanged_line(plan)]


def test_past_three_days_a_timeout_is_whole_days() -> None:
    assert recommend.friendly_timeout(72 * 3600 + 1) == ("4d", 4 * 86400)
    assert recommend.friendly_timeout(9 * 86400 + 1) == ("10d", 10 * 86400)


def test_an_estimate_says_what_it_assumed_and_takes_params_b() -> None:
    rec = api.estimate(TrainingPlan(params_b=7.0), "h200")
    assert rec.model["params_b"] == 7.0 and rec.model["source"].startswith("params_b")
    assert rec.notes == [
        f"model shape: {rec.model['source']}",
        "dataset size unknown: pass dataset_examples or dataset_tokens to estimate time and cost",
    ]


def test_lora_is_told_when_qlora_would_run_on_a_cheaper_flavor() -> None:
    plan = TrainingPlan(model="Qwen/Qwen2.5-7B", peft="lora")
    rec = api.recommend(plan)
    qlora = api.recommend(replace(plan, peft="qlora"))
    assert qlora.price_per_hour < rec.price_per_hour
    assert f"with peft='qlora' it would fit {qlora.flavor} (${qlora.price_per_hour:g}/h)" in rec.notes


def test_inference_is_never_told_to_load_lighter_weights() -> None:
    plan = TrainingPlan(model="Qwen/Qwen2.5-7B", method="inference", peft="lora")
    rec = api.recommend(plan)
    assert (
        api.recommend(replace(plan, peft="qlora")).price_per_hour < rec.price_per_hour
    )  # it would be cheaper
    assert not any("it would fit" in n for n in rec.notes)


def test_a_free_gpu_flavor_is_the_cheapest_fit() -> None:
    catalog.set_live([gpu_entry("free", "A10G", 0.0), gpu_entry("paid", "L4", 0.05)])
    rec = api.recommend(PLAN_7B)
    assert rec.flavor == "free" and rec.est_cost_usd == 0.0
    verdict = api.budget_verdict(rec, 5)
    assert (verdict.within_budget, verdict.cheapest_fit, verdict.cheapest_cost_usd) == (True, "free", 0.0)
    assert 0 < rec.alternatives[0].est_cost_usd < 1  # type: ignore[operator]  # cheap, yet not free


def test_nothing_fits_keeps_what_the_largest_flavor_itself_needs_said() -> None:
    catalog.set_live([gpu_entry("t4", "T4", 0.4), gpu_entry("t4-big", "T4", 0.6, ram_gb=64)])
    rec = api.recommend(TrainingPlan(model="Qwen/Qwen2.5-7B", peft="full"))
    assert not rec.fits and rec.flavor == "t4"
    assert rec.notes[0].startswith("Nothing fits: ")
    assert (
        "T4 has no bf16: train with fp16=True, bf16=False and sdpa attention; full fine-tuning keeps fp32 "
        "master weights (16-18 B/param)" in rec.notes
    )


def test_an_impossible_max_hours_between_equally_fast_flavors_takes_the_cheaper() -> None:
    catalog.set_live(
        [gpu_entry("dear", "H100", 6.0), gpu_entry("cheap", "H100", 4.0), gpu_entry("slow", "A10G", 1.0)]
    )
    rec = api.recommend(PLAN_7B, max_hours=0.01)
    assert rec.flavor == "cheap" and rec.within_max_hours is False
    assert rec.est_hours == api.estimate(PLAN_7B, "dear").est_hours
    generous = api.recommend(PLAN_7B, max_hours=0.01, budget_usd=1000)
    assert generous.flavor == "cheap" and generous.within_budget is True
    assert not any("over budget" in n for n in generous.notes)
