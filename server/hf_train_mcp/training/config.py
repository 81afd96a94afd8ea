"""The shapes a resolved training run has: `Check` (one pre-flight finding), `ScriptConfig` (the script's
CONFIG literal, declared) and `Plan` (every decided value plus the checks that ran).

`training.resolve` fills them; `training.render` writes `Plan.config` into the script; `training.runner`
reads it back at run time. Light: standard library only (and the owners' constants).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal, TypedDict

from hf_train_mcp.jobs import timeouts as jobs_timeouts
from hf_train_mcp.jobs.model import LOCAL_FLAVOR as LOCAL_FLAVOR  # run here; GPU facts unknown until run time


def parse_timeout(value: str | int | float) -> int:
    """Seconds for a timeout, with the grammar hf_jobs accepts ('2h', '90m', '2h30m', 3600): jobs.timeouts.

    Unlike hf_jobs, an empty value is an error here, not the 30-minute default."""
    if isinstance(value, str) and not value.strip():
        raise ValueError("timeout is empty: pass a duration such as '2h' or '90m'")
    return jobs_timeouts.parse_timeout(value)


@dataclass
class Check:
    """One pre-flight check: what was checked, whether it passed, and what to do if not."""

    name: str
    status: Literal["pass", "fail", "warn", "info"]
    message: str
    fix: str | None = None
    line: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}


class DatasetSpec(TypedDict):
    id: str
    config: str | None
    split: str
    eval_split: str | None
    eval_fraction: float | None
    max_rows: int | None
    column_mapping: dict[str, str]
    conversion: str | None


class LoraSpec(TypedDict):
    r: int
    alpha: int
    dropout: float
    target_modules: str | list[str]


class MemoryFit(TypedDict):
    """Flavor 'local': what the script needs to decide checkpointing and micro-batch at start
    (`runner_fit.fit_for_device`): the request, and the memory model's peak per candidate."""

    effective_batch: int
    batch: int | None
    accumulation: int | None
    checkpointing: bool | None
    needs_gib: list[list[Any]]  # [checkpointing, micro-batch, peak GiB per GPU] on a bf16 GPU
    needs_gib_fp16: list[list[Any]]  # the same on a GPU without bf16 (pre-Ampere: T4, V100)
    limit_fraction: float  # 1 - the fit margin: the share of (free + context) a run may need
    context_gib: float
    cpu_batch: int


class RewardSpec(TypedDict):
    name: str  # a RewardName (arguments.RewardName)
    kwargs: dict[str, Any]  # the factory's settings (e.g. max_len) for trl.rewards.get_* rewards


class _ScriptConfigBase(TypedDict):
    method: str
    peft: str
    model: str
    model_revision: str | None
    trust_remote_code: bool
    dataset: DatasetSpec
    output_dir: str
    hub_model_id: str | None
    push_to_hub: bool
    private: bool
    flavor: str
    gpu_count: int
    parallelism: str  # single | ddp | fsdp (training.hardware_steps.decide_parallelism)
    dtype: str
    mixed_precision: str
    attn_implementation: str
    learning_rate: float
    num_train_epochs: float
    max_steps: int | None
    per_device_train_batch_size: int
    gradient_accumulation_steps: int
    max_length: int
    warmup_ratio: float
    lr_scheduler_type: str
    weight_decay: float
    gradient_checkpointing: bool
    memory_fit: MemoryFit | None  # flavor 'local' only: decided at start from the device
    logging_steps: int
    save_steps: int
    save_every_minutes: float | None
    eval_strategy: str
    eval_steps: int
    seed: int
    trackio: bool
    trackio_project: str
    trackio_space_id: str | None
    trackio_dashboard: str | None  # the live dashboard address, shown in the answers
    run_name: str
    pinned_versions: dict[str, str]


class ScriptConfig(_ScriptConfigBase, total=False):
    """The script's CONFIG: plain data only (it is written as a Python literal and read back)."""

    lora: LoraSpec  # peft lora / qlora
    assistant_only_loss: bool  # sft
    completion_only_loss: bool | None  # sft
    packing: bool  # sft
    beta: float  # dpo, kto, grpo (grpo's is grpo_beta in the request: 0 is allowed there)
    loss_type: str  # dpo, kto
    desirable_weight: float  # kto
    undesirable_weight: float  # kto
    center_rewards_coefficient: float | None  # reward
    rewards: list[RewardSpec]  # grpo: built-in reward functions (trl.rewards) and their settings
    reward_model: str | None  # grpo
    reward_weights: list[float] | None  # grpo
    num_generations: int  # grpo
    max_prompt_length: int  # grpo
    max_completion_length: int  # grpo
    temperature: float  # grpo


@dataclass
class Plan:
    """Everything the script needs, decided; `config` becomes the script's CONFIG literal."""

    method: str
    peft: str
    flavor: str
    timeout: str
    timeout_seconds: int
    gpu_count: int
    config: ScriptConfig
    checks: list[Check] = field(default_factory=list)
    estimate: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        return not any(c.status == "fail" for c in self.checks)

    @property
    def failures(self) -> list[Check]:
        return [c for c in self.checks if c.status == "fail"]
