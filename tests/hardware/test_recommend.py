"""Choosing flavors: cheapest fit, constraints, nothing-fits advice, timeouts, estimate(), speed."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hf_train_mcp.hardware import api, catalog, recommend
from hf_train_mcp.hardware.api import TrainingPlan, UnknownFlavorError, UnknownModelError

MODELS = [
    "Qwen/Qwen2.5-0.5B",
    "HuggingFaceTB/SmolLM2-1.7B",
    "meta-llama/Llama-3.2-3B",
    "Qwen/Qwen2.5-7B",
    "meta-llama/Llama-3.1-8B",
    "google/gemma-2-9b",
    "Qwen/Qwen2.5-14B",
    "Qwen/Qwen2.5-32B",
    "meta-llama/Llama-3.1-70B",
]


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [
        (60, "10m"),
        (600, "10m"),
        (601, "15m"),
        (2000, "45m"),
        (3600, "1h"),
        (3601, "1.5h"),
        (5000, "1.5h"),
        (7300, "2.5h"),
        (30000, "10h"),
        (72 * 3600, "72h"),
        (73 * 3600, "4d"),
        (9 * 86400 + 1, "10d"),
    ],
)
def test_friendly_timeout_rounds_up(seconds: float, expected: str) -> None:
    text, value = recommend.friendly_timeout(seconds)
    assert text == expected and value >= seconds


def test_timeout_rule() -> None:
    # at least 1.3 x the estimate
    assert recommend.timeout_for(3000, 400)[1] >= 1.3 * 3000
    # never below the job start time plus a margin, nor 10 minutes
    assert recommend.timeout_for(60, 400)[1] >= 700
    assert recommend.timeout_for(1, 1)[1] >= recommend.MIN_TIMEOUT_S
    # unknown: a stated default
    assert recommend.timeout_for(None, 400) == ("2h", 7200)


def test_recommends_the_cheapest_flavor_that_fits() -> None:
    plan = TrainingPlan(model="meta-llama/Llama-3.1-8B", peft="lora", dataset_tokens=10_000_000)
    rec = api.recommend(plan)
    assert rec.fits and rec.memory["total_gb"] <= rec.fit_limit_gb
    assert rec.est_hours and rec.est_cost_usd and rec.timeout_seconds >= 1.3 * rec.est_hours * 3600
    costs = [alt.est_cost_usd for alt in rec.alternatives if alt.est_cost_usd is not None]
    assert all(rec.est_cost_usd <= c * (1 + recommend.TIE_FRACTION) for c in costs)
    assert all(alt.fits for alt in rec.alternatives)
    ranked = rec.alternatives[: recommend.MAX_ALTERNATIVES]
    assert [a.est_cost_usd for a in ranked] == sorted(a.est_cost_usd for a in ranked)  # type: ignore[type-var]
    assert any("lowest estimated cost" in n for n in rec.notes)


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("peft", ["full", "lora", "qlora"])
def test_never_recommends_a_flavor_that_does_not_fit(model: str, peft: str) -> None:
    for length in (1024, 4096):
        rec = api.recommend(TrainingPlan(model=model, peft=peft, max_length=length))  # type: ignore[arg-type]
        if rec.fits:
            assert rec.memory["total_gb"] <= rec.fit_limit_gb
            info = api.flavor_info(rec.flavor)
            assert info is not None and info.is_gpu
        else:
            assert any("Nothing fits" in n for n in rec.notes)


def test_without_dataset_size_picks_by_price_and_says_time_is_unknown() -> None:
    rec = api.recommend(TrainingPlan(model="Qwen/Qwen2.5-0.5B"))
    assert rec.fits and rec.est_hours is None and rec.est_cost_usd is None
    assert rec.flavor == "t4-small"  # cheapest GPU per hour that fits
    assert any("dataset_examples or dataset_tokens" in n for n in rec.notes)
    assert rec.timeout == "2h"


def test_t4_is_chosen_with_an_fp16_note() -> None:
    rec = recommend.estimate(TrainingPlan(model="Qwen/Qwen2.5-0.5B"), "t4-small")
    assert any("fp16=True" in n for n in rec.notes)


def test_max_hours_picks_a_faster_flavor() -> None:
    plan = TrainingPlan(model="meta-llama/Llama-3.1-8B", peft="lora", dataset_tokens=50_000_000)
    free = api.recommend(plan)
    fast = api.recommend(plan, max_hours=free.est_hours / 2)  # type: ignore[operator]
    assert fast.est_hours <= free.est_hours / 2  # type: ignore[operator]
    assert fast.within_max_hours is True


def test_impossible_max_hours_gives_the_fastest_and_says_so() -> None:
    plan = TrainingPlan(model="meta-llama/Llama-3.1-8B", peft="lora", dataset_tokens=50_000_000)
    rec = api.recommend(plan, max_hours=0.01)
    assert rec.within_max_hours is False
    assert any("no flavor finishes within max_hours" in n for n in rec.notes)


def test_budget_is_checked() -> None:
    plan = TrainingPlan(model="meta-llama/Llama-3.1-8B", peft="lora", dataset_tokens=50_000_000)
    assert api.recommend(plan, budget_usd=1000).within_budget is True
    low = api.recommend(plan, budget_usd=0.5)
    assert low.within_budget is False and any("over budget" in n for n in low.notes)


def test_nothing_fits_returns_the_largest_gpu_and_what_to_change() -> None:
    rec = api.recommend(TrainingPlan(model="meta-llama/Llama-3.1-70B", peft="full"))
    assert not rec.fits
    assert rec.flavor.startswith("h200")
    text = " ".join(rec.notes)
    assert "Nothing fits" in text and "qlora" in text and "fsdp" in text


def test_fsdp_plan_fits_a_multi_gpu_flavor_where_ddp_cannot() -> None:
    plan = TrainingPlan(model="meta-llama/Llama-3.1-70B", peft="lora", max_length=1024)
    assert not api.recommend(plan).fits
    sharded = api.recommend(replace(plan, sharding="fsdp"))
    assert sharded.fits and sharded.gpus > 1 and sharded.layout == "sharded"


def test_cheaper_method_is_suggested() -> None:
    rec = api.recommend(TrainingPlan(model="meta-llama/Llama-3.1-8B", peft="full", dataset_tokens=10_000_000))
    assert any("with peft='lora'" in n for n in rec.notes)


def test_estimate_for_one_flavor_may_not_fit() -> None:
    plan = TrainingPlan(model="meta-llama/Llama-3.1-8B", peft="full", dataset_tokens=1_000_000)
    rec = api.estimate(plan, "a10g-small")
    assert not rec.fits and rec.est_hours is not None
    assert "does not fit a10g-small" in rec.notes[0]
    assert any("peft='lora'" in n or "peft='qlora'" in n for n in rec.notes)
    ok = api.estimate(plan, "h200")
    assert ok.fits and ok.est_cost_usd == pytest.approx(
        round(-(-ok.est_hours * 60 // 1) * 5.0 / 60, 2),
        abs=0.1,  # type: ignore[operator]
    )


def test_estimate_on_cpu_does_not_fit() -> None:
    rec = api.estimate(TrainingPlan(model="Qwen/Qwen2.5-0.5B"), "cpu-upgrade")
    assert not rec.fits and "NVIDIA GPU" in " ".join(rec.notes)


def test_unknown_flavor_lists_the_valid_ones() -> None:
    with pytest.raises(UnknownFlavorError) as info:
        api.estimate(TrainingPlan(model="Qwen/Qwen2.5-0.5B"), "a100-huge")
    assert "a10g-large" in str(info.value) and "h200x8" in str(info.value)


def test_unknown_model_offline() -> None:
    with pytest.raises(UnknownModelError, match="params_b"):
        api.recommend(TrainingPlan(model="someone/unknown-model"))


def test_live_catalog_is_used(hardware_entries) -> None:  # type: ignore[no-untyped-def]
    catalog.set_live(hardware_entries)
    rec = api.recommend(TrainingPlan(model="Qwen/Qwen2.5-0.5B"))
    assert rec.flavor in {e["name"] for e in hardware_entries}


def test_recommendation_summary_has_the_contract_fields() -> None:
    rec = api.recommend(TrainingPlan(model="Qwen/Qwen2.5-7B", dataset_examples=1000))
    summary = rec.summary()
    for key in ("flavor", "gpus", "vram_gb", "price_per_hour", "est_hours", "est_cost_usd", "timeout"):
        assert key in summary


def test_flavors_short_of_host_ram_are_noted_and_ranked_last() -> None:
    plan = TrainingPlan(model="Qwen/Qwen2.5-14B", peft="qlora")
    small = api.estimate(plan, "a10g-small")  # 15 GB of RAM for a 30 GB model
    assert not small.host_ram_ok and any("RAM" in n for n in small.notes)
    rec = api.recommend(plan)
    assert rec.host_ram_ok and rec.flavor not in {"t4-small", "a10g-small"}
    assert all(alt.host_ram_ok for alt in rec.alternatives)
