"""The training request: the arguments of one run, checked together, with their defaults.

`parse_request` turns tool arguments into the method's request model (`SFTRequest`, `DPORequest`,
`GRPORequest`, `KTORequest`, `RewardRequest`); the field defaults of `_Request` and of each method's model
are the one home of every default (read by tools through `default(name)` and `D.<name>`); `hardware_plan`
is the one function that turns a request into the hardware model's `TrainingPlan`. Each field's type,
bounds and description come from `arguments.py`. Light: pydantic only.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from hf_train_mcp.errors import AgentError, with_fix

if TYPE_CHECKING:
    from hf_train_mcp.hardware.api import TrainingPlan

from hf_train_mcp.training.arguments import (
    DEFAULT_BATCH,
    Accumulation,
    AssistantOnlyLoss,
    Attention,
    BatchSize,
    Beta,
    CenterRewards,
    ColumnMapping,
    CompletionOnlyLoss,
    Conversion,
    DatasetArg,
    DatasetColumns,
    DatasetConfig,
    DesirableWeight,
    Dtype,
    Epochs,
    EvalFraction,
    EvalSplit,
    EvalSteps,
    EvalStrategyArg,
    Flavor,
    GradientCheckpointing,
    GRPOBeta,
    HubModelId,
    KTOLoss,
    LearningRate,
    LoggingSteps,
    LoraAlpha,
    LoraDropout,
    LoraR,
    LoraTargets,
    LossTypeArg,
    MaxCompletionLength,
    MaxLength,
    MaxPromptLength,
    MaxRows,
    MaxSteps,
    MethodArg,
    ModelArg,
    ModelRevision,
    NumGenerations,
    OutputDir,
    Packing,
    Parallelism,
    PeftArg,
    Private,
    PushToHub,
    RewardFuncs,
    RewardModel,
    RewardWeights,
    RunName,
    SaveEveryMinutes,
    SaveSteps,
    SchedulerArg,
    Seed,
    Split,
    Temperature,
    Timeout,
    Trackio,
    TrackioProject,
    TrackioSpace,
    TrustRemoteCode,
    UndesirableWeight,
    UseVllm,
    WarmupRatio,
    WeightDecay,
)

_HUB_PART = r"[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9])?"
HUB_ID_RE = re.compile(rf"^(?:{_HUB_PART}/)?{_HUB_PART}\Z")
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")
_REVISION_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,199}\Z")
_SPLIT_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-\[\]:%+]{0,99}\Z")
_TARGET_MODULE_RE = re.compile(r"^[A-Za-z0-9_.\-*]{1,100}\Z")


def is_hub_id(value: str) -> bool:
    return bool(HUB_ID_RE.match(value)) and "--" not in value and ".." not in value


def looks_like_path(value: str) -> bool:
    return value.startswith(("/", "./", "../", "~")) or value.endswith(
        (".jsonl", ".json", ".parquet", ".csv", ".arrow")
    )


def is_local_only(value: str) -> bool:
    """A path on this machine that a cloud job cannot read (a Hub id that also exists here is not)."""
    return looks_like_path(value) or (Path(value).expanduser().exists() and not is_hub_id(value))


def _clean_text(value: str, what: str, *, max_len: int = 500) -> str:
    if not value or not value.strip():
        raise ValueError(f"{what} is empty")
    if len(value) > max_len:
        raise ValueError(f"{what} is longer than {max_len} characters")
    if _CONTROL_RE.search(value):
        raise ValueError(f"{what} contains control characters (newline, tab, NUL...): {value!r}")
    return value


class _Request(BaseModel):
    """Fields shared by every method, with their defaults. None (or left out) means the default; a
    None default means "decided later" (per method, from the hardware model, or from other fields)."""

    model_config = ConfigDict(extra="forbid")

    method: MethodArg = "sft"
    peft: PeftArg = "lora"
    model: ModelArg
    model_revision: ModelRevision = None
    trust_remote_code: TrustRemoteCode = False
    # data
    dataset: DatasetArg
    dataset_config: DatasetConfig = None
    split: Split = "train"
    eval_split: EvalSplit = None
    eval_fraction: EvalFraction = None
    max_rows: MaxRows = None
    column_mapping: ColumnMapping = Field(default_factory=dict)
    dataset_conversion: Conversion = None
    dataset_columns: DatasetColumns = None
    # output
    hub_model_id: HubModelId = None
    output_dir: OutputDir = None
    push_to_hub: PushToHub = True
    private: Private = True
    # hardware
    flavor: Flavor = None
    timeout: Timeout = None
    dtype: Dtype = "auto"
    attn_implementation: Attention = "auto"
    parallelism: Parallelism = "auto"
    # hyperparameters
    learning_rate: LearningRate = None
    num_train_epochs: Epochs = 1.0
    max_steps: MaxSteps = None
    per_device_train_batch_size: BatchSize = None
    gradient_accumulation_steps: Accumulation = None
    max_length: MaxLength = 1024
    warmup_ratio: WarmupRatio = 0.03
    lr_scheduler_type: SchedulerArg = "cosine"
    weight_decay: WeightDecay = 0.0
    gradient_checkpointing: GradientCheckpointing = None
    logging_steps: LoggingSteps = 10
    save_steps: SaveSteps = 100
    save_every_minutes: SaveEveryMinutes = 30.0
    eval_strategy: EvalStrategyArg = "auto"
    eval_steps: EvalSteps = None
    seed: Seed = 42
    lora_r: LoraR = 16
    lora_alpha: LoraAlpha = 32
    lora_dropout: LoraDropout = 0.05
    lora_target_modules: LoraTargets = "all-linear"
    # reporting
    trackio: Trackio = None
    trackio_project: TrackioProject = None
    trackio_space_id: TrackioSpace = None
    run_name: RunName = None

    @field_validator("model", "dataset", "output_dir")
    @classmethod
    def _no_control_chars(cls, value: str | None, info: Any) -> str | None:
        return None if value is None else _clean_text(value, info.field_name)

    @field_validator("run_name", "trackio_project", "dataset_config")
    @classmethod
    def _short_text(cls, value: str | None, info: Any) -> str | None:
        return None if value is None else _clean_text(value, info.field_name, max_len=200)

    @field_validator("model_revision")
    @classmethod
    def _revision(cls, value: str | None) -> str | None:
        if value is not None and not _REVISION_RE.match(value):
            raise ValueError(f"model_revision {value!r} is not a branch, tag or commit hash")
        return value

    @field_validator("split", "eval_split")
    @classmethod
    def _split(cls, value: str | None, info: Any) -> str | None:
        if value is not None and not _SPLIT_RE.match(value):
            raise ValueError(
                f"{info.field_name} {value!r} is not a split name such as 'train', 'test' or 'train[:1000]'"
            )
        return value

    @field_validator("hub_model_id", "trackio_space_id")
    @classmethod
    def _hub_id(cls, value: str | None, info: Any) -> str | None:
        if value is not None and not is_hub_id(value):
            raise ValueError(
                f"{info.field_name} {value!r} is not a Hub repo id: use 'your-username/model-name' "
                "(letters, digits, '-', '_', '.'; at most 96 characters per part)"
            )
        return value

    @field_validator("column_mapping")
    @classmethod
    def _mapping(cls, value: dict[str, str]) -> dict[str, str]:
        for target, source in value.items():
            _clean_text(target, "column_mapping key", max_len=200)
            _clean_text(source, "column_mapping value", max_len=200)
        if len(set(value.values())) != len(value):
            raise ValueError("column_mapping maps one dataset column onto two TRL columns")
        return value

    @field_validator("dataset_columns")
    @classmethod
    def _columns(cls, value: list[str] | None) -> list[str] | None:
        if value is not None:
            for column in value:
                _clean_text(column, "dataset column", max_len=200)
        return value

    @field_validator("lora_target_modules")
    @classmethod
    def _targets(cls, value: str | list[str]) -> str | list[str]:
        if isinstance(value, str):
            if value != "all-linear":
                raise ValueError("lora_target_modules is 'all-linear' or a list of module names")
            return value
        if not value:
            raise ValueError("lora_target_modules is empty")
        for name in value:
            if not _TARGET_MODULE_RE.match(name):
                raise ValueError(f"lora target module {name!r} is not a module name such as 'q_proj'")
        return value


class SFTRequest(_Request):
    """Supervised fine-tuning (full, LoRA or QLoRA) on text, messages or prompt/completion data."""

    method: Literal["sft"] = "sft"
    packing: Packing = None
    assistant_only_loss: AssistantOnlyLoss = False
    completion_only_loss: CompletionOnlyLoss = None


class DPORequest(_Request):
    """Direct preference optimisation on prompt/chosen/rejected (or chosen/rejected) pairs."""

    method: Literal["dpo"] = "dpo"
    beta: Beta = 0.1
    loss_type: LossTypeArg = "sigmoid"


class GRPORequest(_Request):
    """Group relative policy optimisation on prompts, scored by built-in rewards and/or a reward model."""

    method: Literal["grpo"] = "grpo"
    reward_funcs: RewardFuncs = None
    reward_weights: RewardWeights = None
    reward_model: RewardModel = None
    num_generations: NumGenerations = 4
    max_prompt_length: MaxPromptLength = 512
    max_completion_length: MaxCompletionLength = 256
    grpo_beta: GRPOBeta = 0.0
    temperature: Temperature = 1.0
    use_vllm: UseVllm = False

    @field_validator("reward_model")
    @classmethod
    def _reward_model(cls, value: str | None) -> str | None:
        if value is not None and not is_hub_id(value) and not looks_like_path(value):
            raise ValueError(f"reward_model {value!r} is not a Hub model id such as 'user/reward-model'")
        return None if value is None else _clean_text(value, "reward_model")

    def rewards(self) -> list[str]:
        """The built-in rewards to use: the request's, else think_format when there is no reward model."""
        if self.reward_funcs is not None:
            return list(dict.fromkeys(self.reward_funcs))
        return [] if self.reward_model else ["think_format"]


class KTORequest(_Request):
    """Kahneman-Tversky optimisation on completions labelled desirable (true) or not (false)."""

    method: Literal["kto"] = "kto"
    beta: Beta = 0.1
    kto_loss_type: KTOLoss = "kto"
    desirable_weight: DesirableWeight = 1.0
    undesirable_weight: UndesirableWeight = 1.0


class RewardRequest(_Request):
    """A reward model: the base model with a one-score head, trained on preference pairs."""

    method: Literal["reward"] = "reward"
    center_rewards_coefficient: CenterRewards = None


# A new method: its request model here, its row in runner.METHODS, its rules in method_rules.METHOD_RULES.
REQUEST_MODELS: dict[str, type[_Request]] = {
    "sft": SFTRequest,
    "dpo": DPORequest,
    "grpo": GRPORequest,
    "kto": KTORequest,
    "reward": RewardRequest,
}
Request = _Request


def default(name: str) -> Any:
    """The default of argument `name` (shared fields first, then the first method that has it)."""
    for model in (_Request, *REQUEST_MODELS.values()):
        if name in model.model_fields:
            return model.model_fields[name].get_default(call_default_factory=True)
    raise KeyError(name)


class _Defaults:
    """`D.max_length` is `default("max_length")`: how tool signatures name a default (one owner)."""

    def __getattr__(self, name: str) -> Any:
        try:
            return default(name)
        except KeyError:
            raise AttributeError(name) from None


D = _Defaults()


class RequestError(AgentError, ValueError):
    """The request does not even parse: each problem with its fix."""

    def __init__(self, problems: list[Any]):
        self.problems = problems
        super().__init__("; ".join(with_fix(p.message, p.fix) for p in problems))


def parse_request(data: dict[str, Any]) -> _Request:
    """The request model for data["method"]; None values mean "the default". Errors: `RequestError`.

    Another method's argument at its default (packing=False for DPO, as a tool signature sends it) is
    dropped; set to anything else, it is refused."""
    from hf_train_mcp.training.config import Check

    data = {k: v for k, v in data.items() if v is not None}
    method = data.setdefault("method", default("method"))
    model_cls = REQUEST_MODELS.get(method)
    if model_cls is None:
        known = " or ".join(repr(m) for m in REQUEST_MODELS)
        raise RequestError([Check("method", "fail", f"method {method!r} is not supported", f"use {known}")])
    for other in REQUEST_MODELS.values():
        for name, spec in other.model_fields.items():
            if name not in model_cls.model_fields and name in data and data[name] == spec.get_default():
                del data[name]
    try:
        return model_cls.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err["loc"]) or "request"
            message = err["msg"].removeprefix("Value error, ")
            fix = None
            if err["type"] == "extra_forbidden":
                owners = [m for m, cls in REQUEST_MODELS.items() if where in cls.model_fields]
                if owners:
                    names = " and ".join(repr(m) for m in owners)
                    message = f"{where} applies to method {names} only, not {method!r}"
                    grpo_beta = where == "beta" and method == "grpo"
                    fix = "use grpo_beta for GRPO's KL penalty" if grpo_beta else f"remove {where}"
                else:
                    message = f"{where} is not an argument of method {method!r}"
                    fix = "remove it; arguments are: " + ", ".join(sorted(model_cls.model_fields))
            problems.append(Check(where, "fail", f"{where}: {message}", fix))
        raise RequestError(problems) from None


def batch_of(req: _Request) -> tuple[int, int]:
    """(per-device batch, gradient accumulation): the request's, else the method's defaults."""
    batch, accumulation = DEFAULT_BATCH[req.method]
    return req.per_device_train_batch_size or batch, req.gradient_accumulation_steps or accumulation


def packing_of(req: _Request) -> tuple[bool, str]:
    """Whether the SFT script packs (TRL's 'bfd', padding-free), and why. transformers 5.x keeps packed rows
    apart from their position_ids with sdpa and eager attention (tests/training/test_packing.py proves it on
    the pinned stack); a model's own code (trust_remote_code) may not, so it is not packed unless asked."""
    asked = getattr(req, "packing", False)
    if req.method != "sft":
        return False, f"{req.method.upper()} batches are not packed (TRL packs SFT data only)"
    if asked is False:
        return False, "packing=False asked: each batch is padded to its longest row"
    if req.trust_remote_code and asked is None:
        return False, (
            "trust_remote_code: the model's own attention may not keep packed rows apart, so rows are padded "
            "(pass packing=True if it uses transformers' masking)"
        )
    return True, (
        f"packed into rows of {req.max_length} tokens (TRL 'bfd', padding-free; rows kept apart by "
        "position_ids): no compute spent on padding; each micro-batch row holds several examples"
    )


def hardware_plan(
    req: _Request, *, dataset_examples: int | None = None, params_b: float | None = None
) -> TrainingPlan:
    """The hardware model's `TrainingPlan` for a request: the one place training settings map onto it.

    `dataset_examples`: rows in the training split when known (capped by max_rows)."""
    from hf_train_mcp.hardware.api import TrainingPlan

    batch, accumulation = batch_of(req)
    examples = dataset_examples
    if req.max_rows is not None:
        examples = min(examples, req.max_rows) if examples else req.max_rows
    return TrainingPlan(
        model=req.model,
        params_b=params_b,
        **_method_terms(req),
        peft=req.peft,
        batch_size=batch,
        gradient_accumulation=accumulation,
        gradient_checkpointing=req.gradient_checkpointing is not False,  # None: decided later, True at worst
        packing=packing_of(req)[0],
        dataset_examples=examples,
        epochs=req.num_train_epochs,
        max_steps=req.max_steps,
        lora_r=req.lora_r,
        lora_dropout=req.lora_dropout,
        sharding="fsdp" if req.parallelism == "fsdp" else "ddp",
    )


def _method_terms(req: _Request) -> dict[str, Any]:
    """How the hardware model sees a method. GRPO: the script's own settings (completions per prompt,
    completion length, the prompt + completion sequence, a reference model only when grpo_beta > 0 without
    an adapter). KTO and reward modelling are sized as DPO: two sequences per example (KTO: the completion
    and its mismatched KL completion; reward: chosen and rejected), KTO's reference copy only for a full
    fine-tune (as DPO's), reward modelling without one (its head has one output, so the DPO-sized logits
    and reference forward overestimate it slightly)."""
    if isinstance(req, GRPORequest):
        return {
            "method": "grpo",
            "max_length": req.max_prompt_length + req.max_completion_length,
            "num_generations": req.num_generations,
            "max_completion_length": req.max_completion_length,
            "grpo_beta": req.grpo_beta,
        }
    if req.method in ("kto", "reward"):
        reference = "auto" if req.method == "kto" else "none"
        return {"method": "dpo", "max_length": req.max_length, "dpo_reference": reference}
    return {"method": req.method, "max_length": req.max_length}
