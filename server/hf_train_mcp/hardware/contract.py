"""The hardware model's data: what a plan is, what a flavor is, what an answer holds, and its errors.

No imports from sibling modules: every other module of the package imports these, and api.py
re-exports them, so there is no import cycle.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from hf_train_mcp.errors import AgentError

Method = Literal["sft", "dpo", "grpo", "inference"]
Peft = Literal["full", "lora", "qlora"]


@dataclass(frozen=True)
class FlavorInfo:
    name: str
    vcpu: int
    ram_gb: float
    gpu: str | None  # GPU model, e.g. "A10G"; None for CPU flavors
    gpu_count: int
    vram_gb_per_gpu: float
    price_per_hour: float
    bf16: bool  # False on CPU and pre-Ampere GPUs (T4): scripts then use fp16
    compute_capability: str | None
    peak_tflops: float  # dense bf16/fp16 per GPU
    # Added by the hardware model (defaults keep older constructors working):
    usable_vram_gib_per_gpu: float = 0.0  # what nvidia-smi reports as total, GiB; 0 = unknown (use vram_gb)
    mem_bw_gbs: float = 0.0  # memory bandwidth per GPU, GB/s (decoding speed)
    generation: str = ""  # turing, ampere, ada, hopper, blackwell
    accelerator: str | None = None  # "gpu", or another accelerator type from the live list; None on CPU
    source: str = "bundled"  # "live" (Hub hardware list) or "bundled" (dated table)

    @property
    def vram_gb_total(self) -> float:
        return self.vram_gb_per_gpu * self.gpu_count

    @property
    def usable_gib(self) -> float:
        """Memory per GPU (nvidia-smi's total, GiB); the CUDA context comes out of it."""
        return self.usable_vram_gib_per_gpu or self.vram_gb_per_gpu * 0.93

    @property
    def is_gpu(self) -> bool:
        return self.gpu is not None and self.gpu_count > 0 and (self.accelerator or "gpu") == "gpu"

    @property
    def flash_attention(self) -> bool:
        """FlashAttention-2 needs Ampere (compute capability 8.0) or newer."""
        return self.compute_capability is not None and float(self.compute_capability) >= 8.0


@dataclass
class TrainingPlan:
    """What is being trained: the input of every estimate."""

    model: str | None = None  # Hub id or local path
    params_b: float | None = None  # manual override of the parameter count, in billions
    method: Method = "sft"
    peft: Peft = "lora"
    max_length: int = 2048
    batch_size: int = 1  # per device
    gradient_accumulation: int = 1
    gradient_checkpointing: bool = True
    packing: bool = False
    dataset_examples: int | None = None
    dataset_tokens: int | None = None
    epochs: float = 1.0
    max_steps: int | None = None
    # Added by the hardware model (all optional; the defaults are what the generated scripts do):
    optimizer: Literal["adamw", "adamw_8bit"] = "adamw"
    master_weights: Literal["bf16", "fp32"] = "bf16"  # full fine-tuning: bf16 states (8 B/param) or fp32 AMP
    chunked_loss: bool = True  # TRL >= 1.7 computes the SFT loss in chunks (most logits memory gone)
    sharding: Literal["ddp", "fsdp"] = "ddp"  # multi-GPU: replicated (DDP) or sharded (FSDP / ZeRO-3)
    lora_r: int = 16
    lora_targets: Literal["all-linear", "attention"] = "all-linear"
    dpo_reference: Literal["auto", "model", "none"] = "auto"  # auto: none with an adapter, a copy when full
    num_generations: int = 8  # GRPO completions per prompt
    max_completion_length: int = 256  # GRPO completion / inference new tokens
    grpo_beta: float = 0.0  # > 0 loads a reference model for the KL term (full fine-tuning)
    avg_example_tokens: int | None = None  # mean tokens per example when only dataset_examples is known
    # Added by the calibrated memory model (defaults: what the generated scripts do):
    # fp32: a model loaded by name with no dtype (TRL's float32 default): 4 B/param and an fp32 residual
    load_dtype: Literal["16bit", "fp32"] = "16bit"
    lora_dropout: float = 0.05  # > 0 keeps a dropped copy of each adapted linear's input
    adapter_dtype: Literal["fp32", "bf16"] | None = None  # None: what TRL does (LoRA fp32, QLoRA bf16)


@dataclass
class Recommendation:
    flavor: str
    gpus: int
    vram_gb: float
    price_per_hour: float
    est_hours: float | None
    est_cost_usd: float | None
    timeout: str  # e.g. "2h" — what to pass as hf_jobs timeout
    timeout_seconds: int
    fits: bool
    memory: dict[str, Any] = field(default_factory=dict)  # total_gb per GPU and each term in GB
    notes: list[str] = field(default_factory=list)
    alternatives: list[Recommendation] = field(default_factory=list)
    # Added by the hardware model:
    gpu: str | None = None
    vram_gb_total: float = 0.0
    layout: str = "single"  # single | ddp | sharded
    fit_limit_gb: float = 0.0  # per-GPU memory the estimate must stay under (GiB)
    within_budget: bool | None = None
    within_max_hours: bool | None = None
    time: dict[str, Any] = field(default_factory=dict)  # tokens, tokens/s, training and start-up hours
    model: dict[str, Any] = field(default_factory=dict)  # the shape used
    host_ram_ok: bool = True  # False: the flavor's RAM looks short for loading/saving this model
    # Added by the calibrated memory model: per GPU, GiB (need = reserved memory + CUDA context)
    need_gb: float = 0.0
    usable_gb: float = 0.0
    headroom_gb: float = 0.0  # fit_limit_gb - need_gb; negative when it does not fit

    def summary(self) -> dict[str, Any]:
        """The flat fields of the tool contract's `recommended` / `alternatives` entries."""
        return {
            "flavor": self.flavor,
            "gpu": self.gpu,
            "gpus": self.gpus,
            "vram_gb": self.vram_gb,
            "vram_gb_total": self.vram_gb_total,
            "price_per_hour": self.price_per_hour,
            "est_hours": self.est_hours,
            "est_cost_usd": self.est_cost_usd,
            "timeout": self.timeout,
            "timeout_seconds": self.timeout_seconds,
            "fits": self.fits,
            "memory_gb": self.memory.get("total_gb"),
            "fit_limit_gb": self.fit_limit_gb,
            "layout": self.layout,
            "within_budget": self.within_budget,
            "within_max_hours": self.within_max_hours,
            "need_gb": self.need_gb,
            "usable_gb": self.usable_gb,
            "headroom_gb": self.headroom_gb,
        }


class HardwareError(AgentError, ValueError):
    """A request the hardware model cannot answer; the message says what to send instead."""


class UnknownFlavorError(HardwareError):
    pass


class UnknownModelError(HardwareError):
    """The model's shape could not be found; the message says what to pass instead."""
