"""How long a run takes: time ~= k x N x D / (HFU x peak x GPUs), plus start-up and upload.

N: parameters used per token (the embedding lookup is free; the output head is a matmul; a mixture of
experts counts only its routed experts). D: tokens processed — padding counts unless the data is packed.
k (FLOPs per parameter per token, training-facts.md): forward 2, backward 4 for full fine-tuning and 2 for
LoRA/QLoRA (no weight gradients for the frozen base), plus 2 for the forward recomputed under gradient
checkpointing (TRL's default): full 8, LoRA 6. Attention adds 12 x L x h x s FLOPs per token for
forward + backward (scaled with k the same way). DPO: every pair adds the reference forward (2N) over
chosen + rejected. GRPO: generating the completions dominates; decoding is bound by reading the weights
(memory bandwidth) until the batch is large enough to be bound by compute.

HFU (hardware FLOPs utilisation, recomputation counted) by GPU generation, for a model of 3B+ parameters
with long (>= 1024-token) micro-batches, through transformers + TRL without torch.compile. Anchors
(training-facts.md, torchtune on an A100): Llama-3.2-3B LoRA packed with compile 8,210 tokens/s = 51 % HFU;
full fine-tuning unpacked 2,091 tokens/s = 17 % HFU with padding waste counted in. Smaller models and short
micro-batches keep the GPU less busy (SIZE_EXPONENT, SEQ_EXPONENT). bitsandbytes' QLoRA dequantises every
weight in every pass (QLORA_SPEED). Peak TFLOPS are dense bf16/fp16 per GPU from the flavor table.

LoRA adapters add time that FLOPs do not show (ADAPTER_S_PER_TOKEN_LAYER): per adapted layer and token, PEFT's
dropout, the two thin matmuls, the fp32 <-> bf16 casts of fp32 adapters under autocast, in the forward,
the recomputed forward and the backward. Calibrated on one H200 (../shared/notes/gpu-measurements.md,
generated scripts and TRL's stock sft.py, transformers 5.23 / TRL 1.16 / PEFT 0.21; real tokens/s with 31%
padding at batch 4 unpacked, so processed = real / 0.69):
- Qwen2.5-0.5B full, checkpointing: 18,121 real tokens/s -> HFU 0.118 for a 0.5B model (SIZE_EXPONENT);
- Qwen2.5-0.5B LoRA 11,333 (checkpointing) and 13,220 (without): both leave ~32 us per processed token beyond
  the FLOPs at that HFU, whether or not the forward is recomputed -> 1.35 us per layer and token;
- Qwen2.5-0.5B QLoRA (TRL keeps QLoRA adapters in bf16) 13,443: about half that (ADAPTER_BF16_FRACTION);
- Llama-2-7B dims LoRA, checkpointing 4,054: after the adapter time, HFU 0.33 on Hopper for a 7B model;
- Qwen2.5-0.5B DPO LoRA, 2 x 1024: 0.8 of the FLOPs model (DPO_SPEED).
tests/hardware/test_throughput.py checks the model against these runs and stock sft.py's packed run.

Start-up (STARTUP_S): scheduling, pulling the image, installing torch/TRL with uv, then downloading the
weights (DOWNLOAD_BPS). At the end the model is pushed to the Hub (UPLOAD_BPS; adapters are small).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hf_train_mcp.hardware.contract import FlavorInfo, TrainingPlan
    from hf_train_mcp.hardware.models import ModelShape

HFU_BY_GENERATION = {
    "turing": 0.25,  # T4: fp16 tensor cores, no FlashAttention-2
    "ampere": 0.38,  # A100; A10G against its measured 70 TFLOPS
    "ada": 0.30,  # L4 (power-limited), L40S
    "hopper": 0.33,  # H200: Llama-2-7B-dims LoRA measured (gpu-measurements.md); fp8/compile go higher
    "blackwell": 0.28,
}
DEFAULT_HFU = 0.25
SIZE_REFERENCE = 3e9  # parameters at which HFU reaches the generation's value
SIZE_EXPONENT = 0.58  # HFU x (N / 3e9)^0.58 below: 0.5B -> 0.35x (H200: 0.118 vs 0.33), 135M -> 0.17x
SEQ_REFERENCE = 2048  # tokens per micro-batch at which the GPU is busy
SEQ_EXPONENT = 0.2  # 512 tokens -> 0.76x
MIN_EFFICIENCY = 0.15  # floor of the size and sequence factors combined
QLORA_SPEED = 0.8  # bitsandbytes NF4 dequantisation (torchtune's own QLoRA is ~0.98x of LoRA)
ADAPTER_S_PER_TOKEN_LAYER = 1.35e-6  # LoRA (fp32 adapters): seconds per processed token per layer (H200)
ADAPTER_BF16_FRACTION = 0.5  # QLoRA: TRL casts the adapters to bf16; measured ~half the adapter time
DPO_SPEED = (
    0.8  # TRL 1.16's DPO step (chosen + rejected, chunked log-probs): 7,748 measured vs 9,865 modelled
)
DDP_EFFICIENCY = 0.9  # gradient all-reduce between GPUs of one machine
FSDP_EFFICIENCY = 0.8  # all-gather + reduce-scatter every step

K_FORWARD = 2.0
K_BACKWARD_FULL = 4.0
K_BACKWARD_ADAPTER = 2.0
K_RECOMPUTE = 2.0
ATTENTION_FLOPS = 12.0  # x L x h x s per token for forward + backward (k = 6)
DPO_REFERENCE_K = 2.0  # reference forward per token of chosen + rejected

PAD_FACTOR = 1.5  # unpacked micro-batches of several examples pad to the longest: ~1.5x the mean
ASSUMED_FILL = 0.5  # only dataset_examples known: mean example length assumed = half of max_length

DECODE_EFFICIENCY = 0.5  # HF generate reaches about half the bandwidth bound (kernel launches, sampling)
DECODE_HFU = 0.2  # compute-bound decoding of large batches
DECODE_LAUNCH_S_PER_LAYER = 0.0007  # eager HF generate is launch-bound: ~20 ms a step for 28-32 layers

STARTUP_S = 360.0  # scheduling + image pull + `uv` installing torch/transformers/TRL
DOWNLOAD_BPS = 200e6  # weights download from the Hub, bytes/s
UPLOAD_BPS = 100e6  # push to the Hub at the end, bytes/s
ADAPTER_UPLOAD_S = 30.0
LOAD_BPS = 1e9  # safetensors -> GPU


@dataclass
class TimeEstimate:
    known: bool  # False when the dataset size is unknown
    tokens: float = 0.0  # tokens processed (padding included), all epochs
    flops: float = 0.0
    tokens_per_second: float = 0.0
    hfu: float = 0.0
    train_s: float = 0.0
    generation_s: float = 0.0
    startup_s: float = 0.0
    finish_s: float = 0.0
    assumptions: list[str] = field(default_factory=list)

    @property
    def total_s(self) -> float:
        return self.startup_s + self.train_s + self.generation_s + self.finish_s

    def as_dict(self) -> dict[str, Any]:
        return {
            "known": self.known,
            "tokens": round(self.tokens),
            "tokens_per_second": round(self.tokens_per_second),
            "hfu": round(self.hfu, 3),
            "startup_hours": _hours(self.startup_s),
            "train_hours": _hours(self.train_s + self.generation_s),
            "generation_hours": _hours(self.generation_s),
            "finish_hours": _hours(self.finish_s),
            "total_hours": _hours(self.total_s) if self.known else None,
            "assumptions": self.assumptions,
        }


def _hours(seconds: float) -> float:
    """Seconds as the hours an answer shows (to 0.001 h, 3.6 s)."""
    return round(seconds / 3600, 3)


def compute_params(shape: ModelShape) -> float:
    """Parameters that cost FLOPs per token: all but the embedding lookup (the tied head still multiplies)."""
    n = float(shape.active_params)
    if not shape.tied_embeddings:
        n -= shape.embedding_params
    return n


def flops_per_token(shape: ModelShape, plan: TrainingPlan, seq_len: float) -> float:
    """Training FLOPs per processed token (method factors included)."""
    backward = K_BACKWARD_FULL if plan.peft == "full" else K_BACKWARD_ADAPTER
    k = K_FORWARD + backward + (K_RECOMPUTE if plan.gradient_checkpointing else 0.0)
    n = compute_params(shape)
    attention = ATTENTION_FLOPS * shape.layers * shape.hidden * seq_len * (k / 6.0)
    per_token = k * n + attention
    if plan.method == "dpo":
        ref_attention = ATTENTION_FLOPS * shape.layers * shape.hidden * seq_len * (DPO_REFERENCE_K / 6.0)
        per_token += DPO_REFERENCE_K * n + ref_attention
    if plan.method == "grpo" and plan.grpo_beta > 0:
        per_token += K_FORWARD * n
    return per_token


def hfu(shape: ModelShape, plan: TrainingPlan, flavor: FlavorInfo, micro_batch_tokens: float) -> float:
    base = HFU_BY_GENERATION.get(flavor.generation, DEFAULT_HFU)
    size = min(1.0, (compute_params(shape) / SIZE_REFERENCE) ** SIZE_EXPONENT)
    seq = min(1.0, (max(micro_batch_tokens, 1.0) / SEQ_REFERENCE) ** SEQ_EXPONENT)
    value = base * max(MIN_EFFICIENCY, size * seq)
    if plan.peft == "qlora":
        value *= QLORA_SPEED
    if plan.method == "dpo":
        value *= DPO_SPEED
    return value * parallel_efficiency(plan, flavor)


def parallel_efficiency(plan: TrainingPlan, flavor: FlavorInfo) -> float:
    """What the gradient all-reduce (DDP) or the all-gathers (FSDP) leave of several GPUs' speed."""
    if flavor.gpu_count <= 1:
        return 1.0
    return FSDP_EFFICIENCY if plan.sharding == "fsdp" else DDP_EFFICIENCY


def adapter_seconds_per_token(shape: ModelShape, plan: TrainingPlan) -> float:
    """Time per processed token that LoRA adapters add beyond their FLOPs (0 for full fine-tuning)."""
    if plan.peft == "full":
        return 0.0
    # DPO's reference forward runs with the adapters disabled: the policy passes alone pay this.
    per_layer = ADAPTER_S_PER_TOKEN_LAYER * (ADAPTER_BF16_FRACTION if plan.peft == "qlora" else 1.0)
    return per_layer * shape.layers


def mean_example_tokens(plan: TrainingPlan) -> tuple[float | None, list[str]]:
    """Mean tokens per example (after truncation at max_length), and what was assumed."""
    notes: list[str] = []
    if plan.avg_example_tokens:
        return float(min(plan.avg_example_tokens, plan.max_length)), notes
    if plan.dataset_tokens and plan.dataset_examples:
        per = plan.dataset_tokens / plan.dataset_examples
        if plan.method == "dpo":
            per /= 2  # tokens count chosen + rejected sequences
        return float(min(per, plan.max_length)), notes
    if plan.dataset_examples:
        notes.append(
            f"dataset_tokens unknown: assumed {ASSUMED_FILL:.0%} of max_length "
            f"({int(plan.max_length * ASSUMED_FILL)} tokens) per sequence; "
            "pass dataset_tokens for a better estimate"
        )
        return plan.max_length * ASSUMED_FILL, notes
    return None, notes


def training_tokens(plan: TrainingPlan, n_gpus: int) -> tuple[float | None, float, list[str]]:
    """(tokens processed over the run, padded length of a sequence, assumptions)."""
    mean, notes = mean_example_tokens(plan)
    sequences_per_example = 2 if plan.method == "dpo" else 1
    if plan.max_steps:
        length = plan.max_length if plan.packing else (mean or plan.max_length * ASSUMED_FILL)
        if mean is None and not plan.packing:
            notes.append(f"max_steps given: assumed {int(length)} tokens per sequence")
        seqs = plan.max_steps * plan.batch_size * max(1, plan.gradient_accumulation) * n_gpus
        return seqs * sequences_per_example * length, length, notes
    if plan.dataset_tokens and not plan.dataset_examples and plan.method in ("sft", "dpo"):
        total = float(plan.dataset_tokens) * plan.epochs
        if not plan.packing and plan.batch_size > 1:
            total *= PAD_FACTOR
            notes.append(f"unpacked batches of {plan.batch_size}: padding counted as x{PAD_FACTOR}")
        return total, (plan.max_length if plan.packing else plan.max_length * ASSUMED_FILL), notes
    if mean is None or not (plan.dataset_examples or plan.dataset_tokens):
        # a mean length alone (avg_example_tokens) is no dataset size: the time stays unknown
        return None, float(plan.max_length), notes
    examples = float(plan.dataset_examples or 0)  # tokens without examples returned above (sft/dpo only)
    padded = mean
    if not plan.packing and plan.batch_size > 1:
        padded = min(plan.max_length, mean * PAD_FACTOR)
        notes.append(
            f"unpacked batches of {plan.batch_size}: padding to the longest counted (~x{PAD_FACTOR})"
        )
    if plan.packing:
        return examples * sequences_per_example * mean * plan.epochs, float(plan.max_length), notes
    return examples * sequences_per_example * padded * plan.epochs, padded, notes


def generation_batch(plan: TrainingPlan) -> int:
    """GRPO sequences generated together per GPU: batch x accumulation, at least num_generations."""
    return max(plan.num_generations, plan.batch_size * max(1, plan.gradient_accumulation))


def decode_seconds_per_step(
    shape: ModelShape, flavor: FlavorInfo, weight_bytes: float, batch: float
) -> float:
    """One decoding step for `batch` sequences on one GPU: the slower of reading the weights and computing."""
    bandwidth = (flavor.mem_bw_gbs or 300.0) * 1e9 * DECODE_EFFICIENCY
    memory_bound = weight_bytes / bandwidth
    compute_bound = 2 * compute_params(shape) * batch / (flavor.peak_tflops * 1e12 * DECODE_HFU)
    launch_bound = DECODE_LAUNCH_S_PER_LAYER * shape.layers
    return max(memory_bound, compute_bound, launch_bound)


def estimate_time(
    shape: ModelShape, plan: TrainingPlan, flavor: FlavorInfo, *, weight_bytes: float
) -> TimeEstimate:
    """Wall-clock estimate of the whole job on `flavor` (weight_bytes: weights as loaded, for decoding)."""
    n_gpus = max(1, flavor.gpu_count)
    est = TimeEstimate(known=False)
    bf16_bytes = shape.params * 2.0
    est.startup_s = STARTUP_S + bf16_bytes / DOWNLOAD_BPS + bf16_bytes / LOAD_BPS
    if plan.method == "inference":
        est.finish_s = 0.0
    elif plan.peft == "full":
        est.finish_s = bf16_bytes / UPLOAD_BPS
    else:
        est.finish_s = ADAPTER_UPLOAD_S
    peak = flavor.peak_tflops * 1e12
    if plan.method in ("grpo", "inference"):
        return _generation_time(shape, plan, flavor, est, weight_bytes)
    tokens, seq_len, notes = training_tokens(plan, n_gpus)
    est.assumptions += notes
    if tokens is None:
        est.assumptions.append(
            "dataset size unknown: pass dataset_examples or dataset_tokens to estimate time and cost"
        )
        return est
    micro = (
        plan.batch_size * (plan.max_length if plan.packing else seq_len) * (2 if plan.method == "dpo" else 1)
    )
    est.hfu = hfu(shape, plan, flavor, micro)
    est.tokens = tokens
    est.flops = tokens * flops_per_token(shape, plan, plan.max_length if plan.packing else seq_len)
    adapters = tokens * adapter_seconds_per_token(shape, plan) / (n_gpus * parallel_efficiency(plan, flavor))
    est.train_s = est.flops / (est.hfu * peak * n_gpus) + adapters
    est.tokens_per_second = tokens / est.train_s if est.train_s else 0.0
    est.known = True
    return est


def _generation_time(
    shape: ModelShape, plan: TrainingPlan, flavor: FlavorInfo, est: TimeEstimate, weight_bytes: float
) -> TimeEstimate:
    """GRPO (generate, then train on the completions) and batch inference."""
    n_gpus = max(1, flavor.gpu_count)
    peak = flavor.peak_tflops * 1e12
    prompts = float(plan.dataset_examples or 0)
    mean, notes = mean_example_tokens(plan)
    prompt_len = min(
        mean or plan.max_length * ASSUMED_FILL, max(1, plan.max_length - plan.max_completion_length)
    )
    if not prompts and plan.dataset_tokens:
        prompts = plan.dataset_tokens / prompt_len
        notes.append(f"prompts estimated from dataset_tokens at {int(prompt_len)} tokens each")
    est.assumptions += notes
    if not prompts:
        est.assumptions.append(
            "dataset size unknown: pass dataset_examples (prompts) to estimate time and cost"
        )
        return est
    completion = plan.max_completion_length
    if plan.method == "inference":
        sequences = prompts * plan.epochs
        batch = max(1, plan.batch_size)
        per_gpu_weights = weight_bytes / n_gpus if n_gpus > 1 else weight_bytes
        steps = math.ceil(sequences / (batch * n_gpus)) * completion
        est.generation_s = steps * decode_seconds_per_step(shape, flavor, per_gpu_weights, batch)
        prefill = 2 * compute_params(shape) * sequences * prompt_len
        est.hfu = HFU_BY_GENERATION.get(flavor.generation, DEFAULT_HFU)
        est.train_s = prefill / (est.hfu * peak * n_gpus)
        est.tokens = sequences * (prompt_len + completion)
        est.assumptions.append(
            f"{completion} new tokens per prompt (max_completion_length), batch {batch} per GPU"
        )
    else:
        completions = prompts * plan.num_generations * plan.epochs
        gen_batch = generation_batch(plan)
        steps = math.ceil(completions / (gen_batch * n_gpus)) * completion
        est.generation_s = steps * decode_seconds_per_step(shape, flavor, weight_bytes, gen_batch)
        seq = prompt_len + completion
        micro = plan.batch_size * seq
        est.hfu = hfu(shape, plan, flavor, micro)
        est.tokens = completions * seq
        est.flops = est.tokens * flops_per_token(shape, plan, seq)
        est.train_s = est.flops / (est.hfu * peak * n_gpus)
        est.assumptions.append(
            f"GRPO: {plan.num_generations} completions of up to {completion} tokens per prompt, "
            "generated with transformers (no vLLM); generation usually dominates"
        )
    total_compute = est.train_s + est.generation_s
    est.tokens_per_second = est.tokens / total_compute if total_compute else 0.0
    est.known = True
    return est
