"""The time model as a caller reads it: tokens processed for each way of giving the dataset size, the
notes that say what was assumed, the whole job's seconds (start-up, training, adapters, generation,
upload), recomputed here by hand from the formulas of ../shared/notes (k x N x D / (HFU x peak x GPUs))."""

from __future__ import annotations

import math

import pytest
from hf_train_mcp.hardware import catalog, models, throughput
from hf_train_mcp.hardware.api import TrainingPlan

QWEN05 = models.resolve("Qwen/Qwen2.5-0.5B")  # tied embeddings: every parameter multiplies
A10G = catalog.lookup("a10g-large")  # ampere, 70 TFLOPS, 600 GB/s
A10G2 = catalog.lookup("a10g-largex2")


def plan(**kw: object) -> TrainingPlan:
    return TrainingPlan(model="Qwen/Qwen2.5-0.5B", **kw)  # type: ignore[arg-type]


def tokens(p: TrainingPlan, gpus: int = 1) -> tuple[float | None, float, list[str]]:
    return throughput.training_tokens(p, gpus)


def test_dataset_tokens_alone_count_every_epoch_and_the_padding_of_unpacked_batches() -> None:
    total, length, notes = tokens(plan(dataset_tokens=1_000_000, epochs=2, max_length=1024))
    assert (total, length, notes) == (2_000_000, 512, [])
    total, length, notes = tokens(plan(dataset_tokens=1_000_000, batch_size=4, max_length=1024))
    assert total == 1_500_000 and length == 512
    assert notes == ["unpacked batches of 4: padding counted as x1.5"]
    total, length, _ = tokens(plan(dataset_tokens=1_000_000, batch_size=4, packing=True, max_length=1024))
    assert total == 1_000_000 and length == 1024


def test_examples_and_tokens_give_the_mean_length_dpo_counting_both_answers() -> None:
    total, length, notes = tokens(plan(dataset_examples=1000, dataset_tokens=300_000, max_length=1024))
    assert (total, length, notes) == (300_000, 300, [])
    dpo = plan(method="dpo", dataset_examples=1000, dataset_tokens=600_000, max_length=1024)
    total, length, _ = tokens(dpo)
    assert total == 1000 * 2 * 300 and length == 300  # chosen + rejected of 300 tokens each
    long = plan(dataset_examples=10, dataset_tokens=100_000, max_length=1024)
    assert tokens(long)[:2] == (10 * 1024, 1024)  # truncated at max_length
    padded = plan(dataset_examples=1000, dataset_tokens=300_000, batch_size=8, max_length=1024, epochs=3)
    total, length, notes = tokens(padded)
    assert (total, length) == (1000 * 450 * 3, 450)
    assert notes == ["unpacked batches of 8: padding to the longest counted (~x1.5)"]
    capped = plan(dataset_examples=1000, dataset_tokens=800_000, batch_size=8, max_length=1024)
    assert tokens(capped)[:2] == (1000 * 1024, 1024)
    packed = plan(dataset_examples=1000, dataset_tokens=300_000, batch_size=8, max_length=1024, packing=True)
    assert tokens(packed)[:2] == (300_000, 1024)
    given = plan(dataset_examples=1000, avg_example_tokens=5000, max_length=1024)
    assert tokens(given)[:2] == (1000 * 1024, 1024)


def test_examples_alone_assume_half_of_max_length_and_say_so() -> None:
    total, length, notes = tokens(plan(dataset_examples=1000, max_length=1024))
    assert (total, length) == (512_000, 512)
    assert notes == [
        "dataset_tokens unknown: assumed 50% of max_length (512 tokens) per sequence; "
        "pass dataset_tokens for a better estimate"
    ]


def test_dpo_tokens_without_examples_are_counted_as_they_are() -> None:
    total, _, _ = tokens(plan(method="dpo", dataset_tokens=600_000, max_length=1024))
    assert total == 600_000


def test_max_steps_count_every_gpu_and_accumulation_step() -> None:
    p = plan(max_steps=100, batch_size=2, gradient_accumulation=4, max_length=1024)
    total, length, notes = tokens(p, gpus=2)
    assert (total, length) == (100 * 2 * 4 * 2 * 512, 512)
    assert notes == ["max_steps given: assumed 512 tokens per sequence"]
    dpo = plan(method="dpo", max_steps=10, max_length=1024, packing=True)
    assert tokens(dpo)[:3] == (10 * 2 * 1024, 1024, [])
    measured = plan(max_steps=10, dataset_examples=100, dataset_tokens=30_000, max_length=1024)
    assert tokens(measured)[:3] == (10 * 300, 300, [])


def test_unknown_dataset_size_leaves_the_time_unknown_and_says_what_to_send() -> None:
    est = throughput.estimate_time(QWEN05, plan(peft="lora"), A10G, weight_bytes=QWEN05.params * 2)
    assert est.known is False and est.train_s == 0
    assert est.assumptions == [
        "dataset size unknown: pass dataset_examples or dataset_tokens to estimate time and cost"
    ]
    assert est.as_dict()["total_hours"] is None


def hfu(base: float, n: float, micro: float) -> float:
    return base * max(0.15, min(1.0, (n / 3e9) ** 0.58) * min(1.0, (micro / 2048) ** 0.2))


def test_a_lora_run_on_one_a10g_in_seconds() -> None:
    p = plan(peft="lora", dataset_examples=2000, dataset_tokens=1_000_000, max_length=1024)
    est = throughput.estimate_time(QWEN05, p, A10G, weight_bytes=QWEN05.params * 2)
    n = float(QWEN05.params)
    seq = 500
    k = 2 + 2 + 2  # forward, adapter backward, recomputation
    flops = 1_000_000 * (k * n + 12 * QWEN05.layers * QWEN05.hidden * seq * k / 6)
    u = hfu(0.38, n, seq)
    adapters = 1_000_000 * 1.35e-6 * QWEN05.layers
    assert est.known is True
    assert est.hfu == pytest.approx(u)
    assert est.flops == pytest.approx(flops)
    assert est.train_s == pytest.approx(flops / (u * 70e12) + adapters)
    assert est.tokens_per_second == pytest.approx(1_000_000 / est.train_s)
    assert est.startup_s == pytest.approx(360 + n * 2 / 200e6 + n * 2 / 1e9)
    assert est.finish_s == 30.0  # the adapter upload
    assert est.total_s == pytest.approx(est.startup_s + est.train_s + est.finish_s)
    out = est.as_dict()
    assert out == {
        "known": True,
        "tokens": 1_000_000,
        "tokens_per_second": round(est.tokens_per_second),
        "hfu": round(u, 3),
        "startup_hours": round(est.startup_s / 3600, 3),
        "train_hours": round(est.train_s / 3600, 3),
        "generation_hours": 0.0,
        "finish_hours": round(30 / 3600, 3),
        "total_hours": round(est.total_s / 3600, 3),
        "assumptions": [],
    }


def test_full_dpo_qlora_and_two_gpus_change_the_speed_as_measured() -> None:
    base = dict(dataset_examples=2000, dataset_tokens=2_000_000, max_length=2048, packing=True)
    n = float(QWEN05.params)
    full = throughput.estimate_time(QWEN05, plan(peft="full", **base), A10G, weight_bytes=n * 2)
    assert full.finish_s == pytest.approx(n * 2 / 100e6)  # the whole model pushed
    assert full.hfu == pytest.approx(hfu(0.38, n, 2048))
    qlora = throughput.estimate_time(QWEN05, plan(peft="qlora", **base), A10G, weight_bytes=n)
    assert qlora.hfu == pytest.approx(hfu(0.38, n, 2048) * 0.8)
    dpo_base = {**base, "dataset_tokens": 4_000_000}
    dpo = throughput.estimate_time(
        QWEN05, plan(peft="lora", method="dpo", **dpo_base), A10G, weight_bytes=n * 2
    )
    assert dpo.hfu == pytest.approx(hfu(0.38, n, 2 * 2048) * 0.8)  # chosen + rejected in one micro-batch
    two = throughput.estimate_time(QWEN05, plan(peft="lora", **base), A10G2, weight_bytes=n * 2)
    one = throughput.estimate_time(QWEN05, plan(peft="lora", **base), A10G, weight_bytes=n * 2)
    assert two.hfu == pytest.approx(one.hfu * 0.9)
    adapters = 2_000_000 * 1.35e-6 * QWEN05.layers
    assert two.train_s == pytest.approx(two.flops / (two.hfu * 70e12 * 2) + adapters / (2 * 0.9))
    fsdp = throughput.estimate_time(
        QWEN05, plan(peft="lora", sharding="fsdp", **base), A10G2, weight_bytes=n * 2
    )
    assert fsdp.hfu == pytest.approx(one.hfu * 0.8)


def test_grpo_generates_every_completion_then_trains_on_them() -> None:
    p = plan(
        method="grpo",
        peft="lora",
        dataset_examples=100,
        dataset_tokens=20_000,
        max_length=1024,
        num_generations=8,
        max_completion_length=256,
        batch_size=2,
        gradient_accumulation=8,
    )
    n = float(QWEN05.params)
    est = throughput.estimate_time(QWEN05, p, A10G, weight_bytes=n * 2)
    completions = 100 * 8
    batch = 16  # batch x accumulation, above num_generations
    step = max(n * 2 / (600e9 * 0.5), 2 * n * batch / (70e12 * 0.2), 0.0007 * QWEN05.layers)
    assert est.generation_s == pytest.approx(math.ceil(completions / batch) * 256 * step)
    seq = 200 + 256
    assert est.tokens == completions * seq
    assert est.hfu == pytest.approx(hfu(0.38, n, 2 * seq))
    k = 2 + 2 + 2
    assert est.flops == pytest.approx(completions * seq * (k * n + 12 * QWEN05.layers * QWEN05.hidden * seq))
    assert est.train_s == pytest.approx(est.flops / (est.hfu * 70e12))
    assert est.tokens_per_second == pytest.approx(est.tokens / (est.train_s + est.generation_s))
    assert est.known and est.assumptions == [
        "GRPO: 8 completions of up to 256 tokens per prompt, generated with transformers (no vLLM); "
        "generation usually dominates"
    ]


def test_grpo_prompts_from_tokens_alone_and_unknown_prompts() -> None:
    p = plan(method="grpo", peft="lora", dataset_tokens=50_000, max_length=1024, max_completion_length=256)
    est = throughput.estimate_time(QWEN05, p, A10G, weight_bytes=QWEN05.params * 2)
    assert est.assumptions[0] == "prompts estimated from dataset_tokens at 512 tokens each"
    assert est.tokens == pytest.approx(50_000 / 512 * 8 * (512 + 256))
    short = plan(method="grpo", peft="lora", dataset_tokens=50_000, max_length=512, max_completion_length=400)
    est = throughput.estimate_time(QWEN05, short, A10G, weight_bytes=QWEN05.params * 2)
    assert est.assumptions[0] == "prompts estimated from dataset_tokens at 112 tokens each"
    unknown = throughput.estimate_time(QWEN05, plan(method="grpo"), A10G, weight_bytes=QWEN05.params * 2)
    assert unknown.known is False and unknown.assumptions == [
        "dataset size unknown: pass dataset_examples (prompts) to estimate time and cost"
    ]


@pytest.mark.parametrize("flavor", [A10G, A10G2])
def test_batch_inference_decodes_and_prefills_every_prompt(flavor) -> None:
    p = TrainingPlan(
        model="Qwen/Qwen2.5-0.5B",
        method="inference",
        dataset_examples=1000,
        dataset_tokens=200_000,
        max_length=1024,
        max_completion_length=128,
        batch_size=16,
        epochs=1,
    )
    n = float(QWEN05.params)
    gpus = flavor.gpu_count
    est = throughput.estimate_time(QWEN05, p, flavor, weight_bytes=n * 2)
    step = max(n * 2 / gpus / (600e9 * 0.5), 2 * n * 16 / (70e12 * 0.2), 0.0007 * QWEN05.layers)
    assert est.generation_s == pytest.approx(math.ceil(1000 / (16 * gpus)) * 128 * step)
    assert est.train_s == pytest.approx(2 * n * 1000 * 200 / (0.38 * 70e12 * gpus))
    assert est.tokens == 1000 * (200 + 128) and est.finish_s == 0
    assert est.hfu == 0.38
    assert est.assumptions == ["128 new tokens per prompt (max_completion_length), batch 16 per GPU"]


LLAMA8 = models.resolve("meta-llama/Llama-3.1-8B")


def test_two_examples_per_batch_are_padded_and_packed_dpo_counts_every_epoch() -> None:
    two = plan(dataset_examples=1000, dataset_tokens=300_000, batch_size=2, max_length=1024)
    assert tokens(two)[:2] == (1000 * 450, 450)
    packed = plan(
        method="dpo", dataset_examples=100, dataset_tokens=60_000, packing=True, max_length=1024, epochs=2
    )
    assert tokens(packed)[:2] == (100 * 2 * 300 * 2, 1024)


def test_max_steps_reach_the_time_estimate_on_every_gpu() -> None:
    p = plan(peft="lora", max_steps=50, batch_size=2, packing=True, max_length=1024)
    two = throughput.estimate_time(QWEN05, p, A10G2, weight_bytes=QWEN05.params * 2)
    assert two.known and two.tokens == 50 * 2 * 2 * 1024


def test_unpacked_dpo_micro_batches_hold_both_answers() -> None:
    n = float(QWEN05.params)
    p = plan(peft="lora", method="dpo", dataset_examples=1000, dataset_tokens=600_000, max_length=1024)
    est = throughput.estimate_time(QWEN05, p, A10G, weight_bytes=n * 2)
    assert est.hfu == pytest.approx(hfu(0.38, n, 2 * 300) * 0.8)


def test_an_unknown_gpu_generation_uses_the_default_efficiency() -> None:
    from dataclasses import replace

    odd = replace(A10G, generation="")
    n = float(QWEN05.params)
    p = plan(peft="lora", dataset_tokens=1_000_000, packing=True, max_length=2048)
    assert throughput.estimate_time(QWEN05, p, odd, weight_bytes=n * 2).hfu == pytest.approx(
        hfu(0.25, n, 2048)
    )
    inf = TrainingPlan(model="Qwen/Qwen2.5-0.5B", method="inference", dataset_examples=10)
    assert throughput.estimate_time(QWEN05, inf, odd, weight_bytes=n * 2).hfu == 0.25


def test_a_decoding_step_is_the_slowest_of_memory_compute_and_launches() -> None:
    weights = LLAMA8.params * 2.0
    memory_bound = throughput.decode_seconds_per_step(LLAMA8, A10G, weights, 1)
    assert memory_bound == pytest.approx(weights / (600e9 * 0.5))
    no_bw = throughput.decode_seconds_per_step(LLAMA8, _without_bandwidth(A10G), weights, 1)
    assert no_bw == pytest.approx(weights / (300e9 * 0.5))  # a live flavor without a bandwidth: 300 GB/s
    n = throughput.compute_params(LLAMA8)
    compute_bound = throughput.decode_seconds_per_step(LLAMA8, A10G, weights, 512)
    assert compute_bound == pytest.approx(2 * n * 512 / (70e12 * 0.2))
    launch = throughput.decode_seconds_per_step(QWEN05, catalog.lookup("h200"), QWEN05.params * 2.0, 1)
    assert launch == pytest.approx(0.0007 * QWEN05.layers)


def _without_bandwidth(flavor):
    from dataclasses import replace

    return replace(flavor, mem_bw_gbs=0.0)


def test_grpo_on_two_gpus_over_two_epochs() -> None:
    p = plan(
        method="grpo",
        peft="lora",
        dataset_examples=100,
        dataset_tokens=20_000,
        max_length=1024,
        num_generations=4,
        max_completion_length=256,
        batch_size=8,
        gradient_accumulation=1,
        epochs=2,
    )
    n = float(QWEN05.params)
    est = throughput.estimate_time(QWEN05, p, A10G2, weight_bytes=n * 2)
    completions = 100 * 4 * 2
    batch = 8  # batch x accumulation 1, above num_generations
    step = max(n * 2 / (600e9 * 0.5), 2 * n * batch / (70e12 * 0.2), 0.0007 * QWEN05.layers)
    assert est.generation_s == pytest.approx(math.ceil(completions / (batch * 2)) * 256 * step)
    assert est.train_s == pytest.approx(est.flops / (est.hfu * 70e12 * 2))
    out = est.as_dict()
    assert out["generation_hours"] == round(est.generation_s / 3600, 3) > 0
    assert out["train_hours"] == round((est.train_s + est.generation_s) / 3600, 3)
    tight = plan(method="grpo", peft="lora", dataset_tokens=1000, max_length=257, max_completion_length=256)
    got = throughput.estimate_time(QWEN05, tight, A10G, weight_bytes=n * 2)
    assert got.assumptions[0] == "prompts estimated from dataset_tokens at 1 tokens each"


def test_inference_of_a_large_model_on_two_gpus_reads_half_the_weights_per_step() -> None:
    p = TrainingPlan(
        model="meta-llama/Llama-3.1-8B",
        method="inference",
        dataset_examples=100,
        dataset_tokens=20_000,
        max_completion_length=64,
        batch_size=1,
        epochs=2,
    )
    weights = LLAMA8.params * 2.0
    est = throughput.estimate_time(LLAMA8, p, A10G2, weight_bytes=weights)
    step = weights / 2 / (600e9 * 0.5)  # memory-bound: each GPU reads its half
    assert est.generation_s == pytest.approx(math.ceil(200 / 2) * 64 * step)
    assert est.tokens == 200 * (200 + 64)
    long = throughput.estimate_time(LLAMA8, p, A10G, weight_bytes=weights)
    assert long.as_dict()["total_hours"] == round(long.total_s / 3600, 3)


def test_a_mean_example_length_alone_is_no_dataset_size() -> None:
    # found by mutation testing: this plan was estimated as 0 tokens, 0 training hours, "known"
    p = plan(peft="lora", avg_example_tokens=500)
    est = throughput.estimate_time(QWEN05, p, A10G, weight_bytes=QWEN05.params * 2)
    assert est.known is False and est.as_dict()["total_hours"] is None
    assert est.assumptions == [
        "dataset size unknown: pass dataset_examples or dataset_tokens to estimate time and cost"
    ]
    sized = plan(peft="lora", avg_example_tokens=500, dataset_examples=100)
    assert throughput.estimate_time(QWEN05, sized, A10G, weight_bytes=QWEN05.params * 2).tokens == 100 * 500


def test_a_long_run_is_shown_in_hours_of_3600_seconds() -> None:
    """A two-day run: every part of the answer in hours is its seconds / 3600 (to 0.001 h), and the
    parts add up to the total."""
    p = plan(peft="full", dataset_examples=4_000_000, dataset_tokens=4_000_000_000, max_length=2048)
    est = throughput.estimate_time(QWEN05, p, A10G, weight_bytes=QWEN05.params * 2)
    out = est.as_dict()
    assert est.total_s > 24 * 3600
    assert out["total_hours"] == round(est.total_s / 3600, 3)
    assert out["train_hours"] == round(est.train_s / 3600, 3)
    parts = out["startup_hours"] + out["train_hours"] + out["finish_hours"]
    assert parts == pytest.approx(out["total_hours"], abs=0.002)
