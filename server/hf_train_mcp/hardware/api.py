"""The hardware knowledge other capabilities call (training-script defaults, prepare_training, skills).

This file is the contract; the memory and time models behind it live in sibling modules. Pure
functions, no heavy imports: the server process stays light.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any, Literal

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

    @property
    def vram_gb_total(self) -> float:
        return self.vram_gb_per_gpu * self.gpu_count

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


@cache
def _bundled() -> dict[str, Any]:
    text = resources.files("hf_train_mcp.hardware").joinpath("flavors.json").read_text()
    return json.loads(text)


def bundled_flavors() -> dict[str, FlavorInfo]:
    """The dated bundled table, keyed by flavor name."""
    data = _bundled()
    out: dict[str, FlavorInfo] = {}
    for row in data["flavors"]:
        gpu = data["gpus"].get(row["gpu"]) if row["gpu"] else None
        out[row["name"]] = FlavorInfo(
            name=row["name"],
            vcpu=row["vcpu"],
            ram_gb=row["ram_gb"],
            gpu=row["gpu"],
            gpu_count=row["gpu_count"],
            vram_gb_per_gpu=gpu["vram_gb"] if gpu else 0.0,
            price_per_hour=row["price_per_hour"],
            bf16=bool(gpu and gpu["bf16"]),
            compute_capability=gpu["compute_capability"] if gpu else None,
            peak_tflops=gpu["peak_tflops"] if gpu else 0.0,
        )
    return out


def flavor_info(name: str) -> FlavorInfo | None:
    """Facts about one flavor (live list when available, bundled table otherwise); None if unknown."""
    return bundled_flavors().get(name)


def recommend(plan: TrainingPlan, *, budget_usd: float | None = None,
              max_hours: float | None = None) -> Recommendation:
    """Cheapest flavor that fits the plan, with estimate, timeout, alternatives and reasons."""
    raise NotImplementedError("hardware model not built yet")


def estimate(plan: TrainingPlan, flavor: str) -> Recommendation:
    """The same figures for one given flavor (fits may be False)."""
    raise NotImplementedError("hardware model not built yet")
