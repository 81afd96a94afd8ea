"""Every term of the memory model, checked against hand-computed bytes."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hf_train_mcp.hardware import memory, models
from hf_train_mcp.hardware.api import TrainingPlan
from hf_train_mcp.hardware.memory import GIB

LLAMA8 = models.resolve("meta-llama/Llama-3.1-8B")  # untied, GQA, 128k vocabulary
QWEN05 = models.resolve("Qwen/Qwen2.5-0.5B")  # tied embeddings
GEMMA2 = models.resolve("google/gemma-2-2b")  # eager attention


def gib(nbytes: float) -> float:
    return nbytes / GIB


def est(shape: models.ModelShape = LLAMA8, **plan: object) -> memory.MemoryEstimate:
    gpus = int(plan.pop("gpus", 1))  # type: ignore[call-overload]
    bf16 = bool(plan.pop("bf16", True))
    return memory.estimate_memory(shape, TrainingPlan(**plan), bf16=bf16, gpus=gpus)  # type: ignore[arg-type]


def test_weights_16bit_are_two_bytes_per_parameter() -> None:
    assert est(peft="lora").weights_gb == pytest.approx(gib(LLAMA8.params * 2))
    assert est(peft="full").weights_gb == pytest.approx(gib(LLAMA8.params * 2))


def test_qlora_quantizes_only_the_block_linears() -> None:
    linear = LLAMA8.params - 2 * LLAMA8.vocab * LLAMA8.hidden - 2 * LLAMA8.layers * LLAMA8.hidden
    assert LLAMA8.block_linear_params == linear
    expected = linear * (0.5 + 0.127 / 8) + (LLAMA8.params - linear) * 2
    assert est(peft="qlora").weights_gb == pytest.approx(gib(expected))
    # embeddings (2 x 525M params in 16-bit) are a large share of an 8B model's 4-bit footprint
    assert 5.0 < est(peft="qlora").weights_gb < 5.6


def test_full_fine_tuning_bf16_costs_eight_bytes_per_parameter() -> None:
    e = est(peft="full")
    assert e.gradients_gb == pytest.approx(gib(LLAMA8.params * 2))
    assert e.optimizer_gb == pytest.approx(gib(LLAMA8.params * 4))  # two bf16 moments
    assert e.details["bytes_per_param"] == 8


def test_fp32_master_weights_cost_sixteen_plus_autocast_copy() -> None:
    e = est(peft="full", master_weights="fp32")
    assert e.weights_gb == pytest.approx(gib(LLAMA8.params * 6))  # fp32 + autocast 16-bit copy
    assert e.gradients_gb == pytest.approx(gib(LLAMA8.params * 4))
    assert e.optimizer_gb == pytest.approx(gib(LLAMA8.params * 8))
    assert e.details["bytes_per_param"] == 18


def test_gpu_without_bf16_forces_fp32_master_for_full_but_not_for_lora() -> None:
    assert est(peft="full", bf16=False).details["bytes_per_param"] == 18
    assert est(peft="lora", bf16=False).weights_gb == est(peft="lora").weights_gb


def test_eight_bit_adamw_is_two_bytes_per_parameter() -> None:
    assert est(peft="full", optimizer="adamw_8bit").optimizer_gb == pytest.approx(gib(LLAMA8.params * 2))


def test_lora_adapter_count_and_sixteen_bytes_each() -> None:
    s = LLAMA8
    per_layer = (
        (s.hidden + s.q_dim) * 2 + (s.hidden + s.kv_dim) * 2 + 3 * (s.hidden + s.intermediate)
    )  # q, o, k, v, gate, up, down
    assert memory.lora_params(s, 16) == 16 * per_layer * s.layers
    assert (
        memory.lora_params(s, 16, "attention")
        == 16 * ((s.hidden + s.q_dim) * 2 + (s.hidden + s.kv_dim) * 2) * 32
    )
    e = est(peft="lora", lora_r=16)
    assert e.adapters_gb == pytest.approx(gib(memory.lora_params(s, 16) * 16))
    assert e.gradients_gb == 0 and e.optimizer_gb == 0


def test_activations_with_checkpointing_keep_layer_inputs_plus_recomputed_layers() -> None:
    tokens = 2048
    e = est(peft="lora", max_length=tokens)
    saved = 2 * LLAMA8.hidden * tokens * LLAMA8.layers + 8 * LLAMA8.hidden * tokens
    per_feature = memory.adapter_input_bytes("lora", 0.05)
    one_layer = memory.activation_bytes_per_token_layer(LLAMA8, adapter_input_bytes=per_feature) * tokens
    assert e.activations_gb == pytest.approx(gib(saved + memory.RECOMPUTE_LAYERS * one_layer))


def test_activations_without_checkpointing_keep_every_layer() -> None:
    tokens = 2048
    e = est(peft="lora", max_length=tokens, gradient_checkpointing=False)
    per_layer = memory.activation_bytes_per_token_layer(LLAMA8, adapter_input_bytes=5.0) * tokens
    assert e.activations_gb == pytest.approx(gib(per_layer * LLAMA8.layers + 8 * LLAMA8.hidden * tokens))
    assert e.activations_gb > 10 * est(peft="lora", max_length=tokens).activations_gb / 4


def test_activation_bytes_per_layer_formula() -> None:
    s = LLAMA8
    expected = 12 * s.hidden + 2 * (s.q_dim + 2 * s.kv_dim) + 2 * s.q_dim + 8 * s.intermediate
    assert memory.activation_bytes_per_token_layer(s) == expected
    adapted_inputs = 5 * s.hidden + s.q_dim + s.intermediate  # q k v gate up read h; o reads q; down I
    with_lora = memory.activation_bytes_per_token_layer(s, adapter_input_bytes=5.0)
    assert with_lora == expected + 5 * adapted_inputs


def test_lora_inputs_fp32_copy_and_dropout_mask_qlora_bf16() -> None:
    # PEFT casts the input to the adapter's dtype (fp32 for LoRA, bf16 for QLoRA under TRL), dropout adds
    # a 1-byte mask and, for bf16 adapters, the only copy
    assert memory.adapter_input_bytes("lora", 0.05) == 4 + 1
    assert memory.adapter_input_bytes("lora", 0.0) == 4
    assert memory.adapter_input_bytes("qlora", 0.05) == 2 + 1
    assert memory.adapter_input_bytes("qlora", 0.0) == 0
    assert memory.adapter_input_bytes("full", 0.05) == 0
    assert est(peft="lora", lora_dropout=0.0).activations_gb < est(peft="lora").activations_gb


def test_qlora_adapters_are_bf16_eight_bytes_per_parameter() -> None:
    adapters = memory.lora_params(LLAMA8, 16)
    assert est(peft="qlora").adapters_gb == pytest.approx(gib(adapters * 8))
    assert est(peft="lora").adapters_gb == pytest.approx(gib(adapters * 16))


def test_weights_loaded_without_dtype_are_fp32_with_an_fp32_residual() -> None:
    bf16, fp32 = est(peft="lora"), est(peft="lora", load_dtype="fp32")
    assert fp32.weights_gb == pytest.approx(gib(LLAMA8.params * 4))
    assert fp32.weights_gb == pytest.approx(2 * bf16.weights_gb)
    # fp32 layer inputs (4h instead of 2h per token and layer) and the 16-bit casts of one layer's weights
    kept = (4 - 2) * LLAMA8.hidden * 2048 * LLAMA8.layers
    assert fp32.activations_gb - bf16.activations_gb > gib(kept)


def test_packing_has_the_same_worst_case_as_a_padded_micro_batch() -> None:
    # bfd packing fills batch x max_length with real tokens; unpacked, the longest row pads to it
    assert est(peft="lora", packing=True).total_gb == est(peft="lora").total_gb


def test_activations_scale_with_batch_and_length() -> None:
    base = est(peft="lora", max_length=1024, gradient_checkpointing=False).activations_gb
    assert est(peft="lora", max_length=2048, gradient_checkpointing=False).activations_gb == pytest.approx(
        2 * base
    )
    assert est(peft="lora", max_length=1024, batch_size=4, gradient_checkpointing=False).activations_gb == (
        pytest.approx(4 * base)
    )


def test_eager_attention_adds_the_quadratic_term() -> None:
    assert memory.eager_scores_bytes(LLAMA8, 2048, 1) == 0
    assert memory.eager_scores_bytes(GEMMA2, 2048, 1) == 5 * GEMMA2.heads * 2048 * 2048


def test_logits_plain_loss_against_the_fused_chunked_head() -> None:
    tokens = 2048
    plain = est(peft="lora", max_length=tokens, chunked_loss=False).logits_gb
    assert plain == pytest.approx(gib(16 * LLAMA8.vocab * tokens))  # ~4 GiB for a 128k vocabulary
    fused = est(peft="lora", max_length=tokens).logits_gb
    tile = 2048 * 32768 * 2  # [tokens up to 4096, vocab chunk of 32768] in bf16 (trl/kernels)
    per_token = tokens * (8 * LLAMA8.hidden + 32)
    assert fused == pytest.approx(gib(tile + per_token))
    assert fused < plain / 10


def test_fused_head_tile_stops_growing_at_4096_tokens() -> None:
    long = memory.fused_head_bytes(LLAMA8, 16384, trainable_head=False)
    assert long - 16384 * (8 * LLAMA8.hidden + 32) == 4096 * 32768 * 2


def test_full_fine_tuning_adds_the_heads_fp32_gradient() -> None:
    lora = memory.fused_head_bytes(LLAMA8, 2048, trainable_head=False)
    full = memory.fused_head_bytes(LLAMA8, 2048, trainable_head=True)
    assert full - lora == LLAMA8.vocab * LLAMA8.hidden * 6  # fp32 accumulator + its bf16 cast


def test_dpo_and_grpo_use_the_fused_head_no_full_logits() -> None:
    dpo = est(peft="lora", method="dpo", max_length=2048)
    assert dpo.logits_gb == pytest.approx(gib(memory.fused_head_bytes(LLAMA8, 4096, trainable_head=False)))
    assert dpo.logits_gb < 1.0  # the old model said 8 B x vocabulary per token: 7.8 GiB


def test_dpo_with_an_adapter_keeps_the_reference_forward_transient() -> None:
    sft_twice = est(peft="lora", max_length=2048, batch_size=2)  # same tokens as one DPO pair
    dpo = est(peft="lora", method="dpo", max_length=2048)
    extra = memory.DPO_REFERENCE_TRANSIENT * LLAMA8.intermediate * 4096
    assert dpo.activations_gb == pytest.approx(sft_twice.activations_gb + gib(extra))


def test_dpo_doubles_the_sequences() -> None:
    sft = est(peft="lora", max_length=1024)
    dpo = est(peft="lora", method="dpo", max_length=1024)
    assert dpo.details["tokens_per_micro_batch"] == 2 * sft.details["tokens_per_micro_batch"]


def test_dpo_reference_model_rules() -> None:
    assert est(peft="full", method="dpo").reference_model_gb == pytest.approx(gib(LLAMA8.params * 2))
    assert est(peft="lora", method="dpo").reference_model_gb == 0  # adapter disabled = reference
    assert est(peft="full", method="dpo", dpo_reference="none").reference_model_gb == 0  # precomputed
    qlora_ref = est(peft="qlora", method="dpo", dpo_reference="model").reference_model_gb
    assert qlora_ref == pytest.approx(est(peft="qlora").weights_gb)
    assert est(peft="full", method="grpo").reference_model_gb == 0  # beta = 0
    assert est(peft="full", method="grpo", grpo_beta=0.04).reference_model_gb > 0


def test_grpo_kv_cache_for_the_generation_batch() -> None:
    e = est(peft="lora", method="grpo", max_length=1024, batch_size=2, gradient_accumulation=8)
    per_token = 2 * LLAMA8.layers * LLAMA8.kv_dim * 2
    assert e.kv_cache_gb == pytest.approx(gib(per_token * 16 * 1024))
    small = est(peft="lora", method="grpo", max_length=1024)  # at least num_generations sequences
    assert small.kv_cache_gb == pytest.approx(gib(per_token * 8 * 1024))


def test_ddp_keeps_gradient_buckets_and_sharding_divides() -> None:
    single = est(peft="full")
    ddp = est(peft="full", gpus=4)
    assert ddp.layout == "ddp"
    assert ddp.weights_gb == single.weights_gb
    assert ddp.ddp_buckets_gb == pytest.approx(single.gradients_gb)
    fsdp = est(peft="full", gpus=4, sharding="fsdp")
    assert fsdp.layout == "sharded"
    assert fsdp.weights_gb == pytest.approx(single.weights_gb / 4)
    assert fsdp.optimizer_gb == pytest.approx(single.optimizer_gb / 4)
    unit = max(LLAMA8.largest_layer_params, LLAMA8.embedding_params + LLAMA8.lm_head_params)
    assert fsdp.sharding_buffers_gb == pytest.approx(gib(unit * 8))
    assert fsdp.total_gb < ddp.total_gb / 2


def test_cuda_overhead_is_context_plus_fragmentation() -> None:
    e = est(peft="lora")
    allocated = e.total_gb - e.cuda_overhead_gb
    expected = memory.CUDA_CONTEXT_GIB + memory.FRAGMENTATION_MIN_GIB + memory.FRAGMENTATION * allocated
    assert e.cuda_overhead_gb == pytest.approx(expected)
    assert e.details["cuda_context_gb"] == memory.CUDA_CONTEXT_GIB
    full = est(peft="full")
    full_alloc = full.total_gb - full.cuda_overhead_gb
    assert full.cuda_overhead_gb == pytest.approx(
        memory.CUDA_CONTEXT_GIB
        + memory.FRAGMENTATION_MIN_GIB
        + memory.FULL_FRAGMENTATION_GIB
        + memory.FRAGMENTATION * full_alloc
    )


def test_total_is_the_sum_of_terms_minus_what_is_never_alive_together() -> None:
    for plan in (
        dict(peft="lora"),
        dict(peft="full", gradient_checkpointing=False),
        dict(peft="qlora", method="dpo"),
        dict(peft="lora", method="grpo", gradient_accumulation=16),
    ):
        e = est(**plan)
        terms = sum(getattr(e, name) for name in memory.TERMS)
        assert e.total_gb == pytest.approx(terms - e.not_coresident_gb)
        assert e.not_coresident_gb >= 0


def test_peak_phase_takes_the_larger_of_logits_and_recompute() -> None:
    plain = est(peft="lora", chunked_loss=False)  # 4 GiB of logits beat the recomputed layers
    assert plain.details["peak_phase"] == "end of forward"
    per_feature = memory.adapter_input_bytes("lora", 0.05)
    layer = memory.activation_bytes_per_token_layer(LLAMA8, adapter_input_bytes=per_feature) * 2048
    assert plain.not_coresident_gb == pytest.approx(gib(memory.RECOMPUTE_LAYERS * layer))
    fused = est(peft="lora")
    assert fused.details["peak_phase"] == "recompute"
    assert fused.not_coresident_gb == pytest.approx(fused.logits_gb)


def test_inference_weights_kv_cache_and_split_across_gpus() -> None:
    e = est(QWEN05, method="inference", peft="lora", batch_size=8, max_length=1024)
    assert e.weights_gb == pytest.approx(gib(QWEN05.params * 2))
    assert e.kv_cache_gb == pytest.approx(gib(2 * QWEN05.layers * QWEN05.kv_dim * 2 * 8 * 1024))
    assert e.gradients_gb == e.optimizer_gb == e.adapters_gb == 0
    split = est(QWEN05, method="inference", peft="lora", batch_size=8, max_length=1024, gpus=2)
    assert split.layout == "sharded" and split.weights_gb == pytest.approx(e.weights_gb / 2)
    four_bit = est(QWEN05, method="inference", peft="qlora")
    assert four_bit.weights_gb < e.weights_gb


def test_as_dict_lists_every_term_in_gib() -> None:
    d = est(peft="lora").as_dict()
    assert d["units"] == "GiB per GPU"
    for name in memory.TERMS:
        assert name in d
    assert d["total_gb"] > 15


@pytest.mark.parametrize("peft", ["full", "lora", "qlora"])
def test_memory_ordering_full_above_lora_above_qlora(peft: str) -> None:
    order = {"full": 3, "lora": 2, "qlora": 1}
    totals = {p: est(peft=p).total_gb for p in order}
    assert sorted(totals, key=totals.__getitem__) == ["qlora", "lora", "full"]
    assert totals[peft] > 0


def test_tied_embeddings_have_no_separate_head() -> None:
    assert QWEN05.lm_head_params == 0
    assert LLAMA8.lm_head_params == LLAMA8.vocab * LLAMA8.hidden
    assert replace(QWEN05, tied_embeddings=False).block_linear_params < QWEN05.block_linear_params
