"""What a caller reads from the memory model: the estimate's dict and labels, `api.fit()`, multi-GPU
layouts, inference, 8-bit AdamW and fp32-loaded adapters, each figure recomputed here by hand (bytes per
value written out, not read from the module) so a one-line change to the model fails a test.
"""

from __future__ import annotations

import pytest
from hf_train_mcp.hardware import api, catalog, memory, models
from hf_train_mcp.hardware.api import TrainingPlan

QWEN05 = models.resolve("Qwen/Qwen2.5-0.5B")
LLAMA8 = models.resolve("meta-llama/Llama-3.1-8B")
GEMMA2 = models.resolve("google/gemma-2-2b")  # eager attention
GIB = 2**30
TERMS = [
    "weights_gb",
    "gradients_gb",
    "optimizer_gb",
    "adapters_gb",
    "activations_gb",
    "logits_gb",
    "reference_model_gb",
    "kv_cache_gb",
    "ddp_buckets_gb",
    "sharding_buffers_gb",
    "cuda_overhead_gb",
]


def plan(**kw: object) -> TrainingPlan:
    return TrainingPlan(model="Qwen/Qwen2.5-0.5B", **kw)  # type: ignore[arg-type]


def lora_adapter_params(shape: models.ModelShape, r: int = 16) -> int:
    h, q, kv, i = (
        shape.hidden,
        shape.heads * shape.head_dim,
        shape.kv_heads * shape.head_dim,
        shape.intermediate,
    )
    per_layer = (h + q) + 2 * (h + kv) + (q + h) + 3 * (h + i)
    return r * per_layer * shape.layers


def test_the_estimate_dict_names_every_term_rounded_with_its_layout() -> None:
    est = memory.estimate_memory(QWEN05, plan(peft="full", method="dpo"), gpus=2)
    out = est.as_dict()
    assert set(out) == {*TERMS, "total_gb", "not_coresident_gb", "layout", "gpus", "units", "details"}
    assert out["layout"] == "ddp" and out["gpus"] == 2 and out["units"] == "GiB per GPU"
    for key in (*TERMS, "total_gb", "not_coresident_gb"):
        assert out[key] == round(getattr(est, key), 2), key
        assert isinstance(out[key], float), key
    assert out["not_coresident_gb"] > 0  # end of forward and recomputation never coexist
    assert out["details"]["reference_model"] == "copy"
    assert out["details"]["precision"] == "bf16 weights and states"
    assert est.as_dict(digits=4)["total_gb"] == round(est.total_gb, 4) != out["total_gb"]


@pytest.mark.parametrize(
    ("kw", "bf16", "precision"),
    [
        ({"peft": "full"}, True, "bf16 weights and states"),
        ({"peft": "full"}, False, "fp32 master weights (AMP)"),
        ({"peft": "lora"}, True, "16-bit base + fp32 adapters"),
        ({"peft": "qlora"}, True, "NF4 base + bf16 adapters"),
        ({"peft": "lora", "load_dtype": "fp32"}, True, "fp32 (no dtype given) base + fp32 adapters"),
        ({"peft": "lora", "adapter_dtype": "bf16"}, True, "16-bit base + bf16 adapters"),
    ],
)
def test_the_precision_label_says_what_the_script_loads(kw: dict, bf16: bool, precision: str) -> None:
    est = memory.estimate_memory(QWEN05, plan(**kw), bf16=bf16)
    assert est.details["precision"] == precision
    assert est.details["reference_model"] == "none"
    assert est.layout == "single" and est.gpus == 1


def test_api_fit_answers_need_usable_limit_and_headroom() -> None:
    p = plan(peft="lora")
    got = api.fit(p, "a10g-large")
    est = memory.estimate_memory(QWEN05, p)
    assert got.fits is True and got.estimate.total_gb == pytest.approx(est.total_gb)
    assert got.need_gib == pytest.approx(est.total_gb)
    assert got.usable_gib == 22.5  # flavors.json: what nvidia-smi reports on an A10G
    assert got.limit_gib == pytest.approx(22.5 * 0.95)
    assert got.headroom_gib == pytest.approx(22.5 * 0.95 - est.total_gb)
    out = got.as_dict()
    assert out == {
        "fits": True,
        "need_gb": round(est.total_gb, 2),
        "usable_gb": 22.5,
        "limit_gb": round(22.5 * 0.95, 2),
        "headroom_gb": round(22.5 * 0.95 - est.total_gb, 2),
        "margin": 0.05,
    }
    assert out["limit_gb"] != round(22.5 * 0.95, 3)  # 21.375: two decimals, as in every answer


def test_a_cpu_flavor_fits_nothing_and_says_so_with_zeros() -> None:
    got = api.fit(plan(peft="lora"), "cpu-upgrade")
    assert (got.fits, got.need_gib, got.usable_gib, got.limit_gib, got.headroom_gib) == (False, 0, 0, 0, 0)
    assert got.estimate.layout == "none" and got.estimate.gpus == 0 and got.estimate.total_gb == 0
    assert got.as_dict()["fits"] is False


def test_a_plan_that_does_not_fit_has_negative_headroom() -> None:
    got = api.fit(TrainingPlan(model="meta-llama/Llama-3.1-8B", peft="full"), "a10g-large")
    assert got.fits is False and got.headroom_gib < 0
    assert got.need_gib > got.limit_gib


def test_two_gpus_with_fsdp_shard_the_weights_and_ddp_replicates_them() -> None:
    two = catalog.lookup("a10g-largex2")
    full = plan(peft="full")
    ddp = memory.fit(QWEN05, full, two).estimate
    fsdp = memory.fit(QWEN05, plan(peft="full", sharding="fsdp"), two).estimate
    assert ddp.layout == "ddp" and fsdp.layout == "sharded" and fsdp.gpus == ddp.gpus == 2
    n = QWEN05.params
    assert ddp.weights_gb == pytest.approx(n * 2 / GIB)
    assert ddp.ddp_buckets_gb == pytest.approx(n * 2 / GIB)  # a second copy of the bf16 gradients
    assert fsdp.weights_gb == pytest.approx(n * 2 / 2 / GIB)
    assert fsdp.gradients_gb == pytest.approx(n * 2 / 2 / GIB)
    assert fsdp.optimizer_gb == pytest.approx(n * 4 / 2 / GIB)
    unit = max(QWEN05.largest_layer_params, QWEN05.embedding_params + QWEN05.lm_head_params)
    assert fsdp.sharding_buffers_gb == pytest.approx(unit * (2 + 2 + 4) / GIB)
    # LoRA on two sharded GPUs: base weights and adapters both split
    lora = memory.fit(QWEN05, plan(peft="lora", sharding="fsdp"), two).estimate
    assert lora.weights_gb == pytest.approx(n * 2 / 2 / GIB)
    assert lora.adapters_gb == pytest.approx(lora_adapter_params(QWEN05) * 16 / 2 / GIB)
    # one GPU: FSDP asked for, nothing to shard
    one = memory.fit(QWEN05, plan(peft="full", sharding="fsdp"), catalog.lookup("a10g-large")).estimate
    assert one.layout == "single" and one.weights_gb == pytest.approx(n * 2 / GIB)


def test_a_full_fine_tune_on_a_bf16_card_keeps_bf16_states() -> None:
    got = memory.fit(QWEN05, plan(peft="full"), catalog.lookup("a10g-large")).estimate
    assert got.details["bytes_per_param"] == 2 + 2 + 4
    t4 = memory.fit(QWEN05, plan(peft="full"), catalog.lookup("t4-medium")).estimate
    assert t4.details["bytes_per_param"] == 4 + 2 + 4 + 8  # fp32 master + autocast copy, fp32 grads, moments


def test_lora_with_8bit_adamw_keeps_weight_gradient_and_two_one_byte_moments() -> None:
    adapters = lora_adapter_params(QWEN05)
    lora = memory.estimate_memory(QWEN05, plan(peft="lora", optimizer="adamw_8bit"))
    assert lora.adapters_gb == pytest.approx(adapters * (4 + 4 + 2) / GIB)
    qlora = memory.estimate_memory(QWEN05, plan(peft="qlora", optimizer="adamw_8bit"))
    assert qlora.adapters_gb == pytest.approx(adapters * (2 + 2 + 2) / GIB)
    attention_only = memory.estimate_memory(QWEN05, plan(peft="lora", lora_targets="attention"))
    h, q, kv = QWEN05.hidden, QWEN05.heads * QWEN05.head_dim, QWEN05.kv_heads * QWEN05.head_dim
    assert attention_only.details["adapter_params"] == 16 * ((h + q) + 2 * (h + kv) + (q + h)) * QWEN05.layers


def per_layer_token_bytes(shape: models.ModelShape, per_feature: float) -> float:
    h, q, kv, i = (
        shape.hidden,
        shape.heads * shape.head_dim,
        shape.kv_heads * shape.head_dim,
        shape.intermediate,
    )
    return 12 * h + 2 * (q + 2 * kv) + 2 * q + 8 * i + per_feature * (5 * h + q + i)


def test_lora_on_fp32_loaded_weights_keeps_fp32_residuals_and_one_16bit_weight_cast() -> None:
    seq = 1024
    p = plan(peft="lora", load_dtype="fp32", max_length=seq, lora_dropout=0.0)
    est = memory.estimate_memory(QWEN05, p)
    n, h, layers = QWEN05.params, QWEN05.hidden, QWEN05.layers
    assert est.weights_gb == pytest.approx(n * 4 / GIB)
    layer = per_layer_token_bytes(QWEN05, 4.0) + 2 * 2 * h  # fp32 adapter input copy; two fp32 residual sums
    cast = QWEN05.largest_layer_params * 2
    saved = 4 * h * seq * layers + 8 * h * seq
    assert est.activations_gb == pytest.approx((saved + 1.75 * (layer * seq + cast)) / GIB)
    no_ckpt = memory.estimate_memory(
        QWEN05,
        plan(peft="lora", load_dtype="fp32", max_length=seq, lora_dropout=0.0, gradient_checkpointing=False),
    )
    assert no_ckpt.activations_gb == pytest.approx(((layer * seq + cast) * layers + 8 * h * seq) / GIB)


def test_eager_attention_keeps_the_score_matrices() -> None:
    seq, batch = 512, 2
    sdpa = memory.estimate_memory(
        QWEN05, plan(peft="lora", max_length=seq, batch_size=batch, gradient_checkpointing=False)
    )
    h = QWEN05.hidden
    layer = per_layer_token_bytes(QWEN05, 4.0 + 1.0)
    expected = layer * seq * batch * QWEN05.layers + 8 * h * seq * batch
    assert sdpa.activations_gb == pytest.approx(expected / GIB)
    eager = memory.estimate_memory(
        GEMMA2,
        TrainingPlan(
            model="google/gemma-2-2b",
            peft="lora",
            max_length=seq,
            batch_size=batch,
            gradient_checkpointing=False,
        ),
    )
    glayer = per_layer_token_bytes(GEMMA2, 5.0) * seq * batch + 5 * GEMMA2.heads * seq * seq * batch
    g_expected = glayer * GEMMA2.layers + 8 * GEMMA2.hidden * seq * batch
    assert eager.activations_gb == pytest.approx(g_expected / GIB)


@pytest.mark.parametrize("gpus", [1, 2])
def test_inference_holds_weights_kv_cache_and_half_a_layer(gpus: int) -> None:
    batch, seq = 4, 1024
    p = TrainingPlan(model="Qwen/Qwen2.5-0.5B", method="inference", batch_size=batch, max_length=seq)
    est = memory.estimate_memory(QWEN05, p, gpus=gpus)
    n, kv = QWEN05.params, QWEN05.kv_heads * QWEN05.head_dim
    weights = n * 2 / gpus
    cache = 2 * QWEN05.layers * kv * 2 * batch * seq / gpus
    act = 0.5 * per_layer_token_bytes(QWEN05, 0.0) * batch * seq
    logits = 4 * QWEN05.vocab * batch
    allocated = weights + cache + act + logits
    overhead = 0.55 * GIB + 0.1 * GIB + 0.075 * allocated
    assert est.weights_gb == pytest.approx(weights / GIB)
    assert est.kv_cache_gb == pytest.approx(cache / GIB)
    assert est.activations_gb == pytest.approx(act / GIB)
    assert est.logits_gb == pytest.approx(logits / GIB)
    assert est.cuda_overhead_gb == pytest.approx(overhead / GIB)
    assert est.total_gb == pytest.approx((allocated + overhead) / GIB)
    assert est.layout == ("single" if gpus == 1 else "sharded") and est.gpus == gpus
    assert est.details == {"precision": "16-bit", "peak_phase": "generation"}
    q4 = memory.estimate_memory(
        QWEN05, TrainingPlan(model="Qwen/Qwen2.5-0.5B", method="inference", peft="qlora")
    )
    assert q4.details["precision"] == "NF4"


def test_inference_on_several_gpus_splits_the_model_through_fit() -> None:
    p = TrainingPlan(model="Qwen/Qwen2.5-0.5B", method="inference")
    est = memory.fit(QWEN05, p, catalog.lookup("a10g-largex2")).estimate
    assert est.layout == "sharded" and est.weights_gb == pytest.approx(QWEN05.params * 2 / 2 / GIB)
    eager = memory.estimate_memory(
        GEMMA2, TrainingPlan(model="google/gemma-2-2b", method="inference", batch_size=2, max_length=256)
    )
    plain = 0.5 * per_layer_token_bytes(GEMMA2, 0.0) * 2 * 256
    assert eager.activations_gb == pytest.approx((plain + 5 * GEMMA2.heads * 256 * 256 * 2) / GIB)


PLANS = [
    {"peft": "full"},
    {"peft": "full", "master_weights": "fp32"},
    {"peft": "lora", "method": "dpo"},
    {"peft": "full", "method": "dpo"},
    {"peft": "qlora", "method": "grpo", "grpo_beta": 0.1},
    {"peft": "full", "method": "grpo", "grpo_beta": 0.1},
    {"peft": "lora", "chunked_loss": False, "gradient_checkpointing": False},
    {"peft": "full", "sharding": "fsdp"},
]


@pytest.mark.parametrize("gpus", [1, 2])
@pytest.mark.parametrize("kw", PLANS)
def test_the_total_is_the_terms_less_what_is_never_alive_at_once(kw: dict, gpus: int) -> None:
    est = memory.estimate_memory(QWEN05, plan(**kw), gpus=gpus)
    terms = sum(getattr(est, t) for t in TERMS)
    assert est.total_gb == pytest.approx(terms - est.not_coresident_gb)
    allocated = est.total_gb - est.cuda_overhead_gb
    assert est.details["allocated_gb"] == round(allocated, 2)
    assert est.details["fragmentation_gb"] == round(est.cuda_overhead_gb - 0.55, 2)
    fixed = 0.1 + (1.0 if kw["peft"] == "full" else 0.0)  # full fine-tuning re-allocates every gradient
    assert est.cuda_overhead_gb == pytest.approx(0.55 + fixed + 0.075 * allocated)


def test_dpo_with_an_adapter_counts_the_reference_forward_of_the_active_experts() -> None:
    mixtral = models.resolve("mistralai/Mixtral-8x7B-v0.1")
    seq = 512
    p = TrainingPlan(model="mistralai/Mixtral-8x7B-v0.1", method="dpo", peft="qlora", max_length=seq)
    lora = memory.estimate_memory(mixtral, p)
    no_ref = memory.estimate_memory(mixtral, TrainingPlan(**{**p.__dict__, "method": "sft"}))
    tokens = 2 * seq  # chosen + rejected
    transient = 6 * 2 * mixtral.intermediate * 2 * tokens  # six 16-bit tensors, two active experts
    h, L = mixtral.hidden, mixtral.layers
    saved_dpo = 2 * h * tokens * L + 8 * h * tokens + transient
    saved_sft = 2 * h * seq * L + 8 * h * seq
    recompute_dpo = lora.activations_gb * GIB - saved_dpo
    recompute_sft = no_ref.activations_gb * GIB - saved_sft
    assert recompute_dpo == pytest.approx(2 * recompute_sft)  # twice the tokens, same layer
    assert lora.reference_model_gb == 0 and lora.details["reference_model"] == "none"


def test_grpo_generation_holds_the_kv_cache_of_every_sequence_and_scores_completions_only() -> None:
    seq, completion = 1024, 128
    p = plan(
        peft="lora",
        method="grpo",
        max_length=seq,
        batch_size=8,
        num_generations=4,
        max_completion_length=completion,
    )
    est = memory.estimate_memory(QWEN05, p)
    kv = QWEN05.kv_heads * QWEN05.head_dim
    assert est.kv_cache_gb == pytest.approx(2 * QWEN05.layers * kv * 2 * 8 * seq / GIB)  # 8 > 4 generations
    logit_tokens = 8 * completion
    tile = min(logit_tokens, 4096) * min(QWEN05.vocab, 32768) * 2
    per_token = logit_tokens * (8 * QWEN05.hidden + 32)
    assert est.logits_gb == pytest.approx((tile + per_token) / GIB)
    long = memory.estimate_memory(
        QWEN05, plan(peft="lora", method="grpo", max_length=4096, num_generations=64)
    )
    assert long.details["peak_phase"] == "generation"
    sft = memory.estimate_memory(QWEN05, plan(peft="lora"))
    assert sft.kv_cache_gb == 0 and sft.details["peak_phase"] in ("end of forward", "recompute")


def ckpt_activations(
    shape: models.ModelShape, seq: int, residual: float, layer: float, extra: float = 0.0
) -> float:
    """Checkpointed activations: each layer's input kept, the head's input, 1.75 layers recomputed."""
    return residual * shape.hidden * seq * shape.layers + 8 * shape.hidden * seq + extra + 1.75 * layer * seq


def test_full_fine_tuning_activations_on_a_t4_keep_fp32_residuals_and_no_weight_cast() -> None:
    seq = 1024
    t4 = memory.estimate_memory(QWEN05, plan(peft="full", max_length=seq), bf16=False)
    layer = per_layer_token_bytes(QWEN05, 0.0) + 2 * 2 * QWEN05.hidden
    assert t4.activations_gb == pytest.approx(ckpt_activations(QWEN05, seq, 4, layer) / GIB)
    bf16 = memory.estimate_memory(QWEN05, plan(peft="full", max_length=seq))
    assert bf16.activations_gb == pytest.approx(
        ckpt_activations(QWEN05, seq, 2, per_layer_token_bytes(QWEN05, 0.0)) / GIB
    )


def test_full_dpo_has_no_adapter_reference_transient_and_shards_its_reference_copy() -> None:
    seq = 512
    dpo = memory.estimate_memory(QWEN05, plan(peft="full", method="dpo", max_length=seq))
    tokens = 2 * seq
    assert dpo.activations_gb == pytest.approx(
        ckpt_activations(QWEN05, tokens, 2, per_layer_token_bytes(QWEN05, 0.0)) / GIB
    )
    sharded = memory.estimate_memory(QWEN05, plan(peft="full", method="dpo", sharding="fsdp"), gpus=2)
    assert sharded.reference_model_gb == pytest.approx(QWEN05.params * 2 / 2 / GIB)


def test_bf16_adapters_without_dropout_keep_no_input_copy() -> None:
    seq = 1024
    est = memory.estimate_memory(
        QWEN05, plan(peft="lora", adapter_dtype="bf16", lora_dropout=0.0, max_length=seq)
    )
    assert est.activations_gb == pytest.approx(
        ckpt_activations(QWEN05, seq, 2, per_layer_token_bytes(QWEN05, 0.0)) / GIB
    )


def test_a_mixture_of_experts_adapts_every_expert_and_runs_two() -> None:
    mixtral = models.resolve("mistralai/Mixtral-8x7B-v0.1")
    h, i, L = mixtral.hidden, mixtral.intermediate, mixtral.layers
    q, kv = mixtral.heads * mixtral.head_dim, mixtral.kv_heads * mixtral.head_dim
    p = TrainingPlan(
        model="mistralai/Mixtral-8x7B-v0.1",
        peft="qlora",
        lora_dropout=0.0,
        max_length=512,
        gradient_checkpointing=False,
    )
    est = memory.estimate_memory(mixtral, p)
    assert est.details["adapter_params"] == 16 * ((h + q) + 2 * (h + kv) + (q + h) + 3 * (h + i) * 8) * L
    active = 2 * i  # two experts per token
    layer = 12 * h + 2 * (q + 2 * kv) + 2 * q + 8 * active
    assert est.activations_gb == pytest.approx((layer * 512 * L + 8 * h * 512) / GIB)


def test_fit_answers_two_decimals_of_every_figure() -> None:
    from dataclasses import replace

    odd = replace(catalog.lookup("a10g-large"), usable_vram_gib_per_gpu=22.4567)
    got = memory.fit(QWEN05, plan(peft="lora", max_length=1234), odd)
    out = got.as_dict()
    assert out["usable_gb"] == 22.46
    assert out["need_gb"] == round(got.need_gib, 2) and out["need_gb"] != round(got.need_gib, 3)
