"""The time model: k x N x D / (HFU x peak x GPUs), tokens, method factors, start-up, generation."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hf_train_mcp.hardware import api, models, throughput
from hf_train_mcp.hardware.api import TrainingPlan

LLAMA8 = models.resolve("meta-llama/Llama-3.1-8B")
QWEN05 = models.resolve("Qwen/Qwen2.5-0.5B")
FLAVORS = api.bundled_flavors()
A100 = FLAVORS["a100-large"]


def attention(shape: models.ModelShape, seq: float, k: float) -> float:
    return 12 * shape.layers * shape.hidden * seq * k / 6


def test_compute_params_skip_the_embedding_lookup() -> None:
    assert throughput.compute_params(LLAMA8) == LLAMA8.params - LLAMA8.vocab * LLAMA8.hidden
    assert throughput.compute_params(QWEN05) == QWEN05.params  # tied: the head still multiplies
    mixtral = models.resolve("mistralai/Mixtral-8x7B-v0.1")
    assert throughput.compute_params(mixtral) < 0.3 * mixtral.params


@pytest.mark.parametrize(
    ("peft", "checkpointing", "k"),
    [("full", True, 8), ("full", False, 6), ("lora", True, 6), ("lora", False, 4), ("qlora", True, 6)],
)
def test_flops_per_token_factors(peft: str, checkpointing: bool, k: float) -> None:
    plan = TrainingPlan(peft=peft, gradient_checkpointing=checkpointing)  # type: ignore[arg-type]
    n = throughput.compute_params(LLAMA8)
    assert throughput.flops_per_token(LLAMA8, plan, 2048) == pytest.approx(k * n + attention(LLAMA8, 2048, k))


def test_dpo_adds_a_reference_forward_and_grpo_beta_a_kl_forward() -> None:
    n = throughput.compute_params(LLAMA8)
    sft = throughput.flops_per_token(LLAMA8, TrainingPlan(peft="lora"), 1024)
    dpo = throughput.flops_per_token(LLAMA8, TrainingPlan(peft="lora", method="dpo"), 1024)
    assert dpo - sft == pytest.approx(2 * n + attention(LLAMA8, 1024, 2))
    grpo = throughput.flops_per_token(LLAMA8, TrainingPlan(peft="lora", method="grpo", grpo_beta=0.1), 1024)
    assert grpo - sft == pytest.approx(2 * n)


def test_hfu_by_generation_size_sequence_qlora_and_gpus() -> None:
    plan = TrainingPlan(peft="lora")
    assert throughput.hfu(LLAMA8, plan, A100, 2048) == pytest.approx(throughput.HFU_BY_GENERATION["ampere"])
    assert throughput.hfu(LLAMA8, plan, FLAVORS["h200"], 2048) == pytest.approx(
        throughput.HFU_BY_GENERATION["hopper"]
    )
    small = throughput.hfu(QWEN05, plan, A100, 2048)
    assert small == pytest.approx(0.38 * (QWEN05.params / 3e9) ** throughput.SIZE_EXPONENT)
    short = throughput.hfu(LLAMA8, plan, A100, 512)
    assert short == pytest.approx(0.38 * (512 / 2048) ** 0.2)
    assert throughput.hfu(LLAMA8, replace(plan, peft="qlora"), A100, 2048) == pytest.approx(0.38 * 0.8)
    assert throughput.hfu(LLAMA8, plan, FLAVORS["a100x4"], 2048) == pytest.approx(0.38 * 0.9)
    fsdp = replace(plan, sharding="fsdp")
    assert throughput.hfu(LLAMA8, fsdp, FLAVORS["a100x4"], 2048) == pytest.approx(0.38 * 0.8)
    tiny = models.resolve("HuggingFaceTB/SmolLM2-135M")
    assert throughput.hfu(tiny, plan, A100, 64) == pytest.approx(0.38 * throughput.MIN_EFFICIENCY)


def test_time_is_flops_over_effective_throughput() -> None:
    plan = TrainingPlan(peft="lora", dataset_tokens=10_000_000, packing=True, max_length=2048)
    t = throughput.estimate_time(LLAMA8, plan, A100, weight_bytes=LLAMA8.params * 2)
    flops = 10_000_000 * throughput.flops_per_token(LLAMA8, plan, 2048)
    assert t.known and t.tokens == 10_000_000
    adapters = 10_000_000 * throughput.ADAPTER_S_PER_TOKEN_LAYER * LLAMA8.layers
    assert t.train_s == pytest.approx(flops / (0.38 * 312e12) + adapters)
    assert t.tokens_per_second == pytest.approx(10_000_000 / t.train_s)


def test_more_gpus_divide_the_training_time() -> None:
    plan = TrainingPlan(peft="lora", dataset_tokens=10_000_000, packing=True)
    one = throughput.estimate_time(LLAMA8, plan, A100, weight_bytes=1)
    four = throughput.estimate_time(LLAMA8, plan, FLAVORS["a100x4"], weight_bytes=1)
    assert four.train_s == pytest.approx(one.train_s / (4 * 0.9))


def test_epochs_scale_tokens_and_startup_does_not() -> None:
    plan = TrainingPlan(peft="lora", dataset_tokens=5_000_000)
    one = throughput.estimate_time(LLAMA8, plan, A100, weight_bytes=1)
    three = throughput.estimate_time(LLAMA8, replace(plan, epochs=3), A100, weight_bytes=1)
    assert three.tokens == pytest.approx(3 * one.tokens)
    assert three.startup_s == one.startup_s
    bf16 = LLAMA8.params * 2
    assert one.startup_s == pytest.approx(throughput.STARTUP_S + bf16 / throughput.DOWNLOAD_BPS + bf16 / 1e9)


def test_full_fine_tuning_uploads_the_model_adapters_are_quick() -> None:
    plan = TrainingPlan(peft="full", dataset_tokens=1_000_000)
    full = throughput.estimate_time(LLAMA8, plan, A100, weight_bytes=1)
    lora = throughput.estimate_time(LLAMA8, replace(plan, peft="lora"), A100, weight_bytes=1)
    assert full.finish_s == pytest.approx(LLAMA8.params * 2 / throughput.UPLOAD_BPS)
    assert lora.finish_s == throughput.ADAPTER_UPLOAD_S


def test_tokens_from_examples_padding_and_packing() -> None:
    # mean length from tokens / examples; batch 1: no padding
    plan = TrainingPlan(dataset_examples=1000, dataset_tokens=500_000)
    tokens, seq, notes = throughput.training_tokens(plan, 1)
    assert tokens == 500_000 and seq == 500 and not notes
    # batches of 4 unpacked pad to the longest (~1.5x the mean)
    tokens, seq, notes = throughput.training_tokens(replace(plan, batch_size=4), 1)
    assert tokens == pytest.approx(750_000) and "padding" in notes[0]
    # packed: no padding, full-length sequences
    tokens, seq, _ = throughput.training_tokens(replace(plan, batch_size=4, packing=True), 1)
    assert tokens == 500_000 and seq == 2048
    # truncation at max_length
    tokens, _, _ = throughput.training_tokens(replace(plan, max_length=256), 1)
    assert tokens == 256_000
    # DPO pairs: tokens count chosen + rejected
    tokens, _, _ = throughput.training_tokens(replace(plan, method="dpo"), 1)
    assert tokens == 500_000


def test_examples_only_assumes_half_of_max_length_and_says_so() -> None:
    tokens, _, notes = throughput.training_tokens(TrainingPlan(dataset_examples=1000, max_length=2048), 1)
    assert tokens == 1000 * 1024
    assert "assumed" in notes[0] and "dataset_tokens" in notes[0]


def test_max_steps_counts_sequences_over_all_gpus() -> None:
    plan = TrainingPlan(max_steps=100, batch_size=2, gradient_accumulation=4, packing=True, max_length=1024)
    tokens, _, _ = throughput.training_tokens(plan, 2)
    assert tokens == 100 * 2 * 4 * 2 * 1024


def test_unknown_dataset_leaves_time_unknown() -> None:
    t = throughput.estimate_time(LLAMA8, TrainingPlan(), A100, weight_bytes=1)
    assert not t.known and t.as_dict()["total_hours"] is None
    assert "dataset_examples or dataset_tokens" in t.assumptions[-1]


def test_decode_step_is_bound_by_bandwidth_compute_or_launches() -> None:
    weights = LLAMA8.params * 2
    step = throughput.decode_seconds_per_step(LLAMA8, A100, weights, 1)
    assert step == pytest.approx(max(weights / (2039e9 * 0.5), 0.0007 * 32))
    big = throughput.decode_seconds_per_step(LLAMA8, A100, weights, 4096)
    assert big == pytest.approx(2 * throughput.compute_params(LLAMA8) * 4096 / (312e12 * 0.2))


def test_grpo_generation_dominates_and_scales_with_generations() -> None:
    plan = TrainingPlan(method="grpo", peft="lora", dataset_examples=1000, max_length=1024)
    t = throughput.estimate_time(QWEN05, plan, A100, weight_bytes=QWEN05.params * 2)
    assert t.known and t.generation_s > t.train_s
    more = throughput.estimate_time(QWEN05, replace(plan, num_generations=16), A100, weight_bytes=1)
    assert more.tokens == pytest.approx(2 * t.tokens)
    assert throughput.generation_batch(plan) == 8
    assert throughput.generation_batch(replace(plan, batch_size=4, gradient_accumulation=8)) == 32


def test_inference_time_from_prompts() -> None:
    plan = TrainingPlan(method="inference", dataset_examples=512, batch_size=16, max_completion_length=128)
    t = throughput.estimate_time(LLAMA8, plan, A100, weight_bytes=LLAMA8.params * 2)
    steps = 512 / 16 * 128
    assert t.generation_s == pytest.approx(
        steps * throughput.decode_seconds_per_step(LLAMA8, A100, LLAMA8.params * 2, 16)
    )
    assert t.finish_s == 0


# Independent measurements: generated scripts and TRL's stock sft.py on one H200
# (../shared/notes/gpu-measurements.md; real, non-pad tokens/s; chat data with ~31% padding at batch 4).
H200_RUNS = [
    ("Qwen/Qwen2.5-0.5B", dict(peft="lora", gradient_checkpointing=True), 11_333),
    ("Qwen/Qwen2.5-0.5B", dict(peft="lora", gradient_checkpointing=False), 13_220),
    (
        "Qwen/Qwen2.5-0.5B",
        dict(peft="lora", gradient_checkpointing=True, packing=True),
        16_717,
    ),  # stock --packing
    ("Qwen/Qwen2.5-0.5B", dict(peft="qlora", gradient_checkpointing=True), 13_443),
    ("Qwen/Qwen2.5-0.5B", dict(peft="full", gradient_checkpointing=True), 18_121),
    ("Qwen/Qwen2.5-0.5B", dict(peft="lora", method="dpo", batch_size=2, max_length=1024), 7_748),
    ("meta-llama/Llama-2-7b-hf", dict(peft="lora", gradient_checkpointing=True), 4_054),
]


@pytest.mark.parametrize(("model", "settings", "measured"), H200_RUNS)
def test_the_time_model_matches_the_h200_measurements(model: str, settings: dict, measured: float) -> None:
    """Within 15% of each measured run (the model's tokens/s count padding; real = processed / PAD_FACTOR)."""
    shape = models.resolve(model)
    plan = TrainingPlan(
        model=model, max_length=2048, batch_size=4, dataset_examples=10_000, avg_example_tokens=900
    )
    plan = replace(plan, **settings)
    t = throughput.estimate_time(shape, plan, FLAVORS["h200"], weight_bytes=shape.params * 2)
    real = t.tokens_per_second if plan.packing else t.tokens_per_second / throughput.PAD_FACTOR
    assert real == pytest.approx(measured, rel=0.15)
