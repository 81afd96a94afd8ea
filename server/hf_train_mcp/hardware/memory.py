"""What must fit on each GPU for a training (or inference) run: reserved memory + CUDA context.

Every figure is in GiB (2**30 bytes, what torch and nvidia-smi report); the `_gb` names follow the
tool contract. The model follows what the generated scripts do (pure bf16 full fine-tuning on bf16
GPUs, fp32 LoRA adapters, TRL 1.16's fused chunked LM head, checkpointing, a micro-batch of
batch x max_length tokens: the worst unpacked batch pads to it and a packed one is filled to it, so
packing changes speed, not the peak), and every setting is an explicit field of the plan, so a caller can
search over them with `fit()`. The terms, for a model of N parameters with shape (L layers, hidden h,
intermediate I, vocabulary V), T tokens per micro-batch on each GPU:

weights         16-bit: 2 B/param; loaded without a dtype (TRL's float32 default, plan.load_dtype="fp32"):
                4 B/param. QLoRA: the blocks' linears in NF4 (0.5 B/param + 0.127 bit of constants);
                embeddings, head and norms stay 16-bit. Full fine-tuning with fp32 master weights (AMP,
                and always on a T4): 4 B/param plus autocast's 16-bit copies (2 B/param).
gradients       full fine-tuning only: one per weight, in the weights' dtype (2 or 4 B/param).
optimizer       AdamW: two moments in the parameter's dtype: 4 B/param for bf16 weights (pure bf16, what
                the scripts do), 8 for fp32; 8-bit AdamW: 2 B/param.
adapters        LoRA: r x (d_in + d_out) per adapted linear, fp32 (PEFT): 16 B each (weight, gradient,
                two moments); QLoRA: TRL turns them bf16, 8 B each.
activations     per layer and token (16-bit, sdpa/flash, gated MLP, RMSNorm): 12h + 2(q + 2kv) + 2q + 8I,
                plus what LoRA keeps per adapted input feature (adapter_input_bytes: the input cast to
                the adapter's dtype, and dropout's mask). Checkpointing (TRL's default): each layer keeps
                its input (2h; 4h with fp32 weights) and RECOMPUTE_LAYERS layers are alive in the
                backward. Eager attention (Gemma 2) also keeps 5 x heads x s^2 bytes per layer.
                DPO with an adapter: the reference forward's transients (DPO_REFERENCE_TRANSIENT).
logits          TRL 1.16's fused chunked head (SFT, DPO, GRPO): a [<=4096 tokens, <=32768 vocab] tile,
                per-token copies, and with full fine-tuning the head's fp32 gradient (fused_head_bytes);
                plain cross-entropy (chunked_loss=False): 16 B per vocabulary entry per token.
reference_model DPO without an adapter (full fine-tuning): a second frozen 16-bit copy; with an adapter
                the reference is the base with the adapter disabled (no copy). GRPO only when beta > 0.
kv_cache        GRPO generation (batch x accumulation sequences, at least num_generations) and inference:
                2 (k, v) x L x kv_heads x head_dim x 2 B per token.
ddp_buckets     data parallel (DDP) keeps a second buffer of the trained parameters' gradients.
sharding        FSDP / ZeRO-3: weights, gradients, optimizer and reference divided by the GPU count, plus
                the gathered unit (largest block or the embeddings) twice (prefetch) and its fp32 gradient.
cuda_overhead   the CUDA context (CUDA_CONTEXT_GIB, measured, outside torch's statistics) plus the
                caching allocator's reserved-but-free memory (fragmentation_bytes).

Peak: the static terms plus the largest of the phases that are never alive together — end of forward
(kept activations + logits), recomputation in the backward, generation (KV cache). The answer lists
every term and `not_coresident_gb`, what the sum of the terms exceeds the peak by.

Calibration: every H200 run of ../shared/notes/gpu-measurements.md (generated scripts and a plain
harness, 0.5B to 32B, SFT/DPO, full/LoRA/QLoRA, 1k to 8k tokens) lands at 1.02-1.18x its measured
reserved memory + context; benchmarks/estimates.py prints each, with the public torchtune peaks. A pick
keeps FIT_MARGIN of the card free on top.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hf_train_mcp.hardware.contract import FlavorInfo, TrainingPlan
    from hf_train_mcp.hardware.models import ModelShape

GIB = float(1 << 30)

# Bytes per parameter.
BF16_BYTES = 2.0
FP32_BYTES = 4.0
NF4_BYTES = 0.5 + 0.127 / 8  # 4-bit weights + double-quantized block constants (QLoRA paper)
AUTOCAST_COPY_BYTES = 2.0  # fp32 master weights: autocast's 16-bit copies live through the forward
ADAMW_MOMENTS = 2  # exp_avg and exp_avg_sq
ADAMW_8BIT_BYTES = 2.0  # two 1-byte moments (bitsandbytes; block statistics are negligible)
LORA_BYTES_PER_PARAM = 16.0  # fp32 adapter weight + gradient + two fp32 moments (QLoRA: bf16, half)

# Activations, bytes per token.
NORM_BYTES_PER_H = 6.0  # an RMSNorm keeps its fp32 input (4h) and 16-bit output (2h)
HEAD_BYTES_PER_H = 8.0  # final norm (6h) + output-head input (2h)
EAGER_SCORE_BYTES = 5.0  # per head and token pair: scores, softmax, its dropout-free gradient buffer
# Layers alive at once while the backward recomputes under checkpointing: the recomputed layer plus the
# gradients flowing through it. Fitted on the 14 checkpointed GPU runs of gpu-measurements.md.
RECOMPUTE_LAYERS = 1.75
# DPO with an adapter: the reference forward (adapter disabled, no grad) and the four log-prob sets run
# while the policy's activations are kept. Bytes per intermediate feature and token (six 16-bit
# [tokens, intermediate] tensors), fitted on the two DPO runs of gpu-measurements.md (0.5B, 7B).
DPO_REFERENCE_TRANSIENT = 6 * BF16_BYTES

# Logits. TRL 1.16 (SFT since 1.7, DPO, GRPO) computes log-probs through a fused, chunked head:
FUSED_TOKEN_TILE = 4096  # trl/kernels/chunked_logprob.py TOKEN_CHUNK_SIZE
FUSED_VOCAB_CHUNK = 32768  # trl/trainer/utils.py _CHUNKED_LOGPROB_CHUNK_SIZE
FUSED_BYTES_PER_TOKEN_H = 8.0  # hidden[mask] copy (2h), fp32 grad_hidden (4h) and its 16-bit cast (2h)
FUSED_STATS_BYTES = 32.0  # seven fp32 per-token statistics (max, sums, target logit) + the log-prob
PLAIN_LOSS_BYTES = 16.0  # training-facts.md: bf16 logits, fp32 upcast, softmax and its gradient
# kept for callers of the older names
CHUNKED_LOSS_BYTES = 1.0
LOGPROB_BYTES = 8.0

# Overheads: what the card must hold beyond torch's allocated bytes.
CUDA_CONTEXT_GIB = 0.55  # gpu-measurements.md: a fresh process on an H200 holds ~0.55 GiB torch does not see
# reserved - allocated, measured on every GPU run in gpu-measurements.md: 0.18-0.43 GiB for the 0.5B runs
# of the generated scripts, 0.65-1.74 GiB for 7B-32B runs and the plain harness. Fitted (and checked by
# benchmarks/estimates.py: every run within 1.0-1.2x) as a floor plus a share of the allocated bytes.
FRAGMENTATION_MIN_GIB = 0.1
FRAGMENTATION = 0.075
FULL_FRAGMENTATION_GIB = 1.0
SHARD_GATHER_BYTES = 2 * BF16_BYTES + FP32_BYTES  # gathered unit twice (prefetch) + its fp32 gradient
INFERENCE_ACTIVATION_FRACTION = 0.5  # a forward without autograd keeps about half a layer's activations

# A plan fits a GPU when the estimate (already reserved memory + CUDA context, calibrated at 1.0-1.2x of
# the measured runs) stays under (1 - FIT_MARGIN) of the memory nvidia-smi reports: a margin for models
# and settings the calibration did not cover and for allocator spikes.
FIT_MARGIN = 0.05

TERMS = (
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
)


@dataclass
class MemoryEstimate:
    """Peak memory per GPU, GiB, term by term."""

    weights_gb: float = 0.0
    gradients_gb: float = 0.0
    optimizer_gb: float = 0.0
    adapters_gb: float = 0.0
    activations_gb: float = 0.0
    logits_gb: float = 0.0
    reference_model_gb: float = 0.0
    kv_cache_gb: float = 0.0
    ddp_buckets_gb: float = 0.0
    sharding_buffers_gb: float = 0.0
    cuda_overhead_gb: float = 0.0
    not_coresident_gb: float = 0.0
    total_gb: float = 0.0
    layout: str = "single"
    gpus: int = 1
    details: dict[str, Any] = field(default_factory=dict)

    def as_dict(self, digits: int = 2) -> dict[str, Any]:
        out: dict[str, Any] = {"total_gb": round(self.total_gb, digits)}
        for name in TERMS:
            out[name] = round(getattr(self, name), digits)
        out["not_coresident_gb"] = round(self.not_coresident_gb, digits)
        out["layout"] = self.layout
        out["gpus"] = self.gpus
        out["units"] = "GiB per GPU"
        out["details"] = self.details
        return out


@dataclass(frozen=True)
class Fit:
    """Whether a plan fits one GPU of a flavor with the margin, in GiB per GPU."""

    fits: bool
    need_gib: float  # the estimate: reserved memory + CUDA context
    usable_gib: float  # what one GPU offers (nvidia-smi total)
    limit_gib: float  # usable x (1 - FIT_MARGIN): what `need` must stay under
    headroom_gib: float  # limit - need (negative: short by that much)
    estimate: MemoryEstimate

    def as_dict(self) -> dict[str, Any]:
        return {
            "fits": self.fits,
            "need_gb": round(self.need_gib, 2),
            "usable_gb": round(self.usable_gib, 2),
            "limit_gb": round(self.limit_gib, 2),
            "headroom_gb": round(self.headroom_gib, 2),
            "margin": FIT_MARGIN,
        }


def fit_limit(flavor: FlavorInfo) -> float:
    """Per-GPU memory a plan's estimate must stay under on `flavor`, GiB."""
    return flavor.usable_gib * (1 - FIT_MARGIN)


def fit(shape: ModelShape, plan: TrainingPlan, flavor: FlavorInfo) -> Fit:
    """The estimate for `plan` on `flavor` (its GPU count, bf16 support, sharding) against the limit."""
    if not flavor.is_gpu:
        est = MemoryEstimate(layout="none", gpus=0)
        return Fit(False, 0.0, 0.0, 0.0, 0.0, est)
    sharded = flavor.gpu_count > 1 and (plan.sharding == "fsdp" or plan.method == "inference")
    est = estimate_memory(shape, plan, bf16=flavor.bf16, gpus=flavor.gpu_count, sharded=sharded)
    limit = fit_limit(flavor)
    return Fit(est.total_gb <= limit, est.total_gb, flavor.usable_gib, limit, limit - est.total_gb, est)


def lora_params(shape: ModelShape, r: int, targets: str = "all-linear") -> int:
    """Adapter parameters: r x (d_in + d_out) for each adapted linear in every layer."""
    h, q, kv, i = shape.hidden, shape.q_dim, shape.kv_dim, shape.intermediate
    attention = (h + q) + (h + kv) + (h + kv) + (q + h)
    mlp = 3 * (h + i) * shape.experts
    per_layer = attention + (mlp if targets == "all-linear" else 0)
    return r * per_layer * shape.layers


def activation_bytes_per_token_layer(shape: ModelShape, *, adapter_input_bytes: float = 0.0) -> float:
    """Full activations one layer keeps for its backward, per token (no checkpointing).

    12h (two norms) + 2(q + 2kv) (q, k, v for the attention backward) + 2q (attention output) + 8I (gate,
    up, SiLU output, product), plus `adapter_input_bytes` per input feature of each adapted linear (q, k,
    v, gate and up read h; o reads q; down reads I): see adapter_input_bytes().
    """
    h, q, kv = shape.hidden, shape.q_dim, shape.kv_dim
    inter = shape.intermediate * shape.experts_per_token
    out = 2 * NORM_BYTES_PER_H * h + 2 * (q + 2 * kv) + 2 * q + 8 * inter
    return out + adapter_input_bytes * (5 * h + q + inter)


def adapter_dtype_bytes(plan: TrainingPlan) -> float:
    """Bytes per adapter value: TRL keeps LoRA adapters in fp32 (PEFT's default) and turns QLoRA's to bf16."""
    dtype = plan.adapter_dtype or ("bf16" if plan.peft == "qlora" else "fp32")
    return BF16_BYTES if dtype == "bf16" else FP32_BYTES


def adapter_input_bytes(peft: str, lora_dropout: float, adapter_bytes: float | None = None) -> float:
    """Per input feature of an adapted linear, what LoRA keeps besides the base layer's own activations.

    PEFT casts the input to the adapter's dtype, then applies dropout; lora_A keeps that input and dropout
    its bool mask (1 B). fp32 adapters (LoRA): a 4 B copy even without dropout; bf16 adapters (TRL's
    QLoRA, sft_trainer.py): a 2 B copy only when dropout makes one.
    """
    if peft == "full":
        return 0.0
    if adapter_bytes is None:
        adapter_bytes = BF16_BYTES if peft == "qlora" else FP32_BYTES
    mask = 1.0 if lora_dropout > 0 else 0.0
    if adapter_bytes == BF16_BYTES:
        return (BF16_BYTES if lora_dropout > 0 else 0.0) + mask
    return adapter_bytes + mask


def eager_scores_bytes(shape: ModelShape, seq_len: int, sequences: int) -> float:
    """Per layer: the s x s attention scores eager attention keeps (0 with sdpa/flash)."""
    if not shape.attn_quadratic:
        return 0.0
    return EAGER_SCORE_BYTES * shape.heads * seq_len * seq_len * sequences


def kv_cache_bytes_per_token(shape: ModelShape) -> float:
    return 2 * shape.layers * shape.kv_dim * BF16_BYTES


def base_weight_bytes(shape: ModelShape, quantized: bool, *, fp32: bool = False) -> float:
    """16-bit weights (fp32 when loaded without a dtype), or NF4 for the block linears (QLoRA / 4-bit)."""
    per = FP32_BYTES if fp32 else BF16_BYTES
    if not quantized:
        return shape.params * per
    linear = shape.block_linear_params
    return linear * NF4_BYTES + (shape.params - linear) * per


def estimate_memory(
    shape: ModelShape,
    plan: TrainingPlan,
    *,
    bf16: bool = True,
    gpus: int = 1,
    sharded: bool | None = None,
) -> MemoryEstimate:
    """What must fit on each GPU for `plan` on `gpus` GPUs (bf16=False: a pre-Ampere GPU, fp16 only).

    The answer is reserved memory (what torch's caching allocator holds, fragmentation included) plus the
    CUDA context, as in ../shared/notes/gpu-measurements.md.
    """
    gpus = max(1, int(gpus))
    if sharded is None:
        sharded = plan.sharding == "fsdp"
    if plan.method == "inference":
        return _inference(shape, plan, gpus)
    layout = "single" if gpus == 1 else ("sharded" if sharded else "ddp")
    shard = gpus if layout == "sharded" else 1
    est = MemoryEstimate(layout=layout, gpus=gpus)
    details: dict[str, Any] = {}
    n = float(shape.params)
    # fp32 weights: a model loaded without a dtype (TRL's float32 default), or AMP master weights
    fp32_weights = getattr(plan, "load_dtype", "16bit") == "fp32"

    # -- weights, gradients, optimizer, adapters
    trainable = 0.0
    grad_bytes = 0.0
    if plan.peft == "full":
        fp32_master = plan.master_weights == "fp32" or not bf16 or fp32_weights
        fp32_weights = fp32_master
        w_bytes = FP32_BYTES + AUTOCAST_COPY_BYTES if fp32_master else BF16_BYTES
        grad_bytes = FP32_BYTES if fp32_master else BF16_BYTES
        if plan.optimizer == "adamw_8bit":
            opt_bytes = ADAMW_8BIT_BYTES
        else:
            opt_bytes = ADAMW_MOMENTS * (FP32_BYTES if fp32_master else BF16_BYTES)
        est.weights_gb = n * w_bytes / shard
        est.gradients_gb = n * grad_bytes / shard
        est.optimizer_gb = n * opt_bytes / shard
        trainable = n
        details["bytes_per_param"] = w_bytes + grad_bytes + opt_bytes
        details["precision"] = "fp32 master weights (AMP)" if fp32_master else "bf16 weights and states"
    else:
        quantized = plan.peft == "qlora"
        est.weights_gb = base_weight_bytes(shape, quantized, fp32=fp32_weights) / shard
        adapters = lora_params(shape, plan.lora_r, plan.lora_targets)
        adapter_bytes = adapter_dtype_bytes(plan)
        per = LORA_BYTES_PER_PARAM * adapter_bytes / FP32_BYTES
        if plan.optimizer == "adamw_8bit":
            per = 2 * adapter_bytes + ADAMW_8BIT_BYTES
        est.adapters_gb = adapters * per / shard
        trainable = float(adapters)
        grad_bytes = FP32_BYTES
        details["adapter_params"] = adapters
        base = "NF4" if quantized else ("fp32 (no dtype given)" if fp32_weights else "16-bit")
        details["precision"] = f"{base} base + {'bf16' if adapter_bytes == BF16_BYTES else 'fp32'} adapters"

    # -- reference model
    ref = False
    if plan.method == "dpo":
        ref = plan.dpo_reference == "model" or (plan.dpo_reference == "auto" and plan.peft == "full")
    elif plan.method == "grpo":
        ref = plan.grpo_beta > 0 and plan.peft == "full"
    if ref:
        est.reference_model_gb = base_weight_bytes(shape, plan.peft == "qlora") / shard
    details["reference_model"] = "copy" if ref else "none"

    # -- data parallel / sharding
    if layout == "ddp":
        est.ddp_buckets_gb = trainable * grad_bytes
    elif layout == "sharded":
        unit = max(shape.largest_layer_params, shape.embedding_params + shape.lm_head_params)
        est.sharding_buffers_gb = unit * SHARD_GATHER_BYTES

    # -- activations, logits, KV cache
    seq = plan.max_length
    sequences = plan.batch_size * (2 if plan.method == "dpo" else 1)  # DPO: chosen + rejected
    tokens = sequences * seq  # worst case: a micro-batch padded (or packed) to max_length
    adapter_bytes = adapter_dtype_bytes(plan)
    per_feature = adapter_input_bytes(plan.peft, plan.lora_dropout, adapter_bytes)
    residual = (FP32_BYTES if fp32_weights else BF16_BYTES) * shape.hidden
    layer = activation_bytes_per_token_layer(shape, adapter_input_bytes=per_feature)
    if fp32_weights:
        layer += 2 * (FP32_BYTES - BF16_BYTES) * shape.hidden  # the two residual sums kept in fp32
    act_layer = layer * tokens + eager_scores_bytes(shape, seq, sequences)
    head = HEAD_BYTES_PER_H * shape.hidden * tokens
    # fp32 weights under bf16 autocast: each matmul keeps the 16-bit cast of its frozen weight for the
    # backward (one layer at a time under checkpointing, every layer without)
    cast_layer = shape.largest_layer_params * BF16_BYTES if fp32_weights and plan.peft != "full" else 0.0
    if plan.gradient_checkpointing:
        saved = residual * tokens * shape.layers + head
        recompute = RECOMPUTE_LAYERS * (act_layer + cast_layer)
    else:
        saved = (act_layer + cast_layer) * shape.layers + head
        recompute = 0.0
    if plan.method == "dpo" and plan.peft != "full":
        # the reference forward (adapter disabled, no grad) runs while the policy's activations are kept:
        # its largest transient is the MLP's three [tokens, intermediate] tensors
        saved += DPO_REFERENCE_TRANSIENT * shape.intermediate * shape.experts_per_token * tokens
    logit_tokens = plan.batch_size * plan.max_completion_length if plan.method == "grpo" else tokens
    if plan.chunked_loss or plan.method != "sft":
        logits = fused_head_bytes(shape, logit_tokens, trainable_head=plan.peft == "full")
    else:
        logits = PLAIN_LOSS_BYTES * shape.vocab * logit_tokens
    kv = 0.0
    if plan.method == "grpo":
        gen_sequences = max(plan.num_generations, plan.batch_size * max(1, plan.gradient_accumulation))
        kv = kv_cache_bytes_per_token(shape) * gen_sequences * seq
    est.activations_gb = saved + recompute
    est.logits_gb = logits
    est.kv_cache_gb = kv
    phases = {"end of forward": saved + logits, "recompute": saved + recompute, "generation": kv}
    peak_phase = max(phases, key=lambda k: phases[k])
    dynamic = phases[peak_phase]
    est.not_coresident_gb = saved + recompute + logits + kv - dynamic
    details["tokens_per_micro_batch"] = tokens
    details["peak_phase"] = peak_phase

    static = (
        est.weights_gb
        + est.gradients_gb
        + est.optimizer_gb
        + est.adapters_gb
        + est.reference_model_gb
        + est.ddp_buckets_gb
        + est.sharding_buffers_gb
    )
    allocated = static + dynamic
    fragmentation = fragmentation_bytes(allocated, full=plan.peft == "full")
    est.cuda_overhead_gb = CUDA_CONTEXT_GIB * GIB + fragmentation
    est.total_gb = allocated + est.cuda_overhead_gb
    details["allocated_gb"] = round(allocated / GIB, 2)
    details["fragmentation_gb"] = round(fragmentation / GIB, 2)
    details["cuda_context_gb"] = CUDA_CONTEXT_GIB
    _to_gib(est)
    est.details = details
    return est


def fragmentation_bytes(allocated: float, *, full: bool = False) -> float:
    """What the caching allocator reserves beyond what tensors hold (reserved - allocated).

    Full fine-tuning re-allocates every gradient each step (zero_grad sets them to None) between freed
    activations: FULL_FRAGMENTATION_GIB more (measured slack 0.37-1.39 GiB at 0.5B-8B).
    """
    extra = FULL_FRAGMENTATION_GIB if full else 0.0
    return (FRAGMENTATION_MIN_GIB + extra) * GIB + FRAGMENTATION * allocated


def fused_head_bytes(shape: ModelShape, tokens: int, *, trainable_head: bool) -> float:
    """TRL 1.16's fused, chunked LM head (SFT, DPO, GRPO): no [tokens, vocabulary] logits tensor.

    One [min(tokens, FUSED_TOKEN_TILE), min(vocab, FUSED_VOCAB_CHUNK)] 16-bit tile, per-token copies and
    statistics (FUSED_BYTES_PER_TOKEN_H x hidden + FUSED_STATS_BYTES), and when the head is trained (full
    fine-tuning) its fp32 gradient accumulator plus the 16-bit cast of it (trl/kernels/chunked_logprob.py).
    """
    tile = min(tokens, FUSED_TOKEN_TILE) * min(shape.vocab, FUSED_VOCAB_CHUNK) * BF16_BYTES
    per_token = tokens * (FUSED_BYTES_PER_TOKEN_H * shape.hidden + FUSED_STATS_BYTES)
    head_grad = shape.vocab * shape.hidden * (FP32_BYTES + BF16_BYTES) if trainable_head else 0.0
    return tile + per_token + head_grad


def _inference(shape: ModelShape, plan: TrainingPlan, gpus: int) -> MemoryEstimate:
    """Weights (split across GPUs when there are several), KV cache for the batch, a forward's transients."""
    est = MemoryEstimate(layout="single" if gpus == 1 else "sharded", gpus=gpus)
    quantized = plan.peft == "qlora"
    est.weights_gb = base_weight_bytes(shape, quantized) / gpus
    sequences = plan.batch_size
    est.kv_cache_gb = kv_cache_bytes_per_token(shape) * sequences * plan.max_length / gpus
    est.activations_gb = INFERENCE_ACTIVATION_FRACTION * activation_bytes_per_token_layer(
        shape
    ) * sequences * plan.max_length + eager_scores_bytes(shape, plan.max_length, sequences)
    est.logits_gb = FP32_BYTES * shape.vocab * sequences  # last position only
    dynamic = est.kv_cache_gb + est.activations_gb + est.logits_gb
    est.cuda_overhead_gb = CUDA_CONTEXT_GIB * GIB + fragmentation_bytes(est.weights_gb + dynamic)
    est.total_gb = est.weights_gb + dynamic + est.cuda_overhead_gb
    _to_gib(est)
    est.details = {"precision": "NF4" if quantized else "16-bit", "peak_phase": "generation"}
    return est


def _to_gib(est: MemoryEstimate) -> None:
    """The terms were summed in bytes; report GiB."""
    for name in (*TERMS, "not_coresident_gb", "total_gb"):
        setattr(est, name, getattr(est, name) / GIB)
