"""Every training argument, declared once: type, bounds, description (pydantic `Field`) and default.

The aliases below are what every tool that takes a training argument uses in its signature
(generate_training_script, prepare_training, the plan parameters of recommend_hardware),
the way `huggingface_hub`'s `hf jobs` CLI reuses one `FlavorOpt`. Each alias allows None: a tool parameter
left out (or None) means the request model's default, which lives in one place: the field defaults of
`_Request`, `SFTRequest` and `DPORequest` below (read by tools through `default(name)`). Per-method defaults
(learning rate, batch, accumulation) are the tables `DEFAULT_LR` / `DEFAULT_BATCH`.

`parse_request` turns tool arguments into the method's request model; `hardware_plan` is the one function
that turns a request into the hardware model's `TrainingPlan`. Light: pydantic only.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, ValidationError, field_validator

from hf_train_mcp.errors import AgentError, with_fix
from hf_train_mcp.hardware.api import TIMEOUT_FACTOR
from hf_train_mcp.training.runner import SOLUTION_REWARDS as SOLUTION_REWARDS

if TYPE_CHECKING:
    from hf_train_mcp.hardware.api import TrainingPlan

Method = Literal["sft", "dpo", "grpo", "kto", "reward"]
PeftKind = Literal["full", "lora", "qlora"]
DtypeChoice = Literal["auto", "bfloat16", "float16", "float32"]
AttnChoice = Literal["auto", "sdpa", "eager", "flash_attention_2"]
# Multi-GPU layout: ddp = a full replica per GPU; fsdp = FSDP2 shards weights, gradients and optimizer state.
ParallelismChoice = Literal["auto", "ddp", "fsdp"]
Scheduler = Literal["linear", "cosine", "constant", "constant_with_warmup"]
EvalStrategy = Literal["auto", "no", "steps", "epoch"]
LossType = Literal["sigmoid", "hinge", "ipo", "robust", "sigmoid_norm"]
KTOLossType = Literal["kto", "apo_zero_unpaired"]
# TRL's built-in reward functions (trl.rewards in the pinned TRL): names the script maps onto them; the
# server never runs reward code an agent wrote. SOLUTION_REWARDS compare with a `solution` column.
RewardName = Literal[
    "accuracy", "reasoning_accuracy", "cosine_scaled", "think_format", "repetition_penalty", "soft_overlong"
]
# How the script converts the rows after the column mapping: "sharegpt" turns the `messages` column's
# [{"from", "value"}] turns with ShareGPT role names (human/gpt) into TRL's [{"role", "content"}].
DatasetConversion = Literal["sharegpt"]

# (method, peft) -> learning rate; (batch size, accumulation) per method.
DEFAULT_LR = {
    ("sft", "full"): 2e-5,
    ("sft", "lora"): 2e-4,
    ("sft", "qlora"): 2e-4,
    ("dpo", "full"): 5e-7,
    ("dpo", "lora"): 5e-6,
    ("dpo", "qlora"): 5e-6,
    ("grpo", "full"): 1e-6,
    ("grpo", "lora"): 1e-5,
    ("grpo", "qlora"): 1e-5,
    ("kto", "full"): 5e-7,
    ("kto", "lora"): 5e-6,
    ("kto", "qlora"): 5e-6,
    ("reward", "full"): 1e-5,
    ("reward", "lora"): 1e-4,
    ("reward", "qlora"): 1e-4,
}
# GRPO: batch x accumulation = 8 completions per step, one group of num_generations (8) per step.
DEFAULT_BATCH = {"sft": (4, 4), "dpo": (2, 8), "grpo": (4, 2), "kto": (4, 4), "reward": (4, 4)}


def _arg(kind: Any, description: str, **bounds: Any) -> Any:
    """`Annotated[kind | None, Field(...)]`: the one declaration of an argument, for models and tools."""
    return Annotated[kind | None, Field(description=description, **bounds)]


# --- what to train ------------------------------------------------------------------------------
MethodArg = _arg(Method, "training method (dpo: preference pairs; kto: good/bad labels)")
PeftArg = _arg(PeftKind, "full, LoRA, or QLoRA (4-bit base; GPU only)")
ModelArg = Annotated[str, Field(description="base model: Hub id or local folder")]
ModelRevision = _arg(str, "model branch/tag/commit. Default main")
TrustRemoteCode = _arg(bool, "allow the model's own code. Default false")
# --- data ---------------------------------------------------------------------------------------
DatasetArg = Annotated[str, Field(description="Hub dataset id or local .jsonl/.json/.parquet/.csv")]
DatasetConfig = _arg(str, "dataset subset/config name. Default none")
Split = _arg(str, "training split. Default 'train'")
EvalSplit = _arg(str, "split to evaluate on. Default none")
EvalFraction = _arg(float, "hold out this fraction of training rows for eval. Default none", gt=0, lt=0.5)
MaxRows = _arg(int, "train on at most this many rows. Default all", ge=1)
ColumnMapping = _arg(dict[str, str], "TRL column -> dataset column (inspect_dataset gives it)")
Conversion = _arg(
    DatasetConversion,
    "SFT only: 'sharegpt' converts [{from, value}] turns with roles human/gpt/system (inspect_dataset's "
    "conversion) to {role, content} messages after the column mapping; map the conversation column onto "
    'messages, e.g. {"messages": "conversations"}. Default: none (prepare_training detects it)',
)
DatasetColumns = _arg(
    list[str], "the dataset's columns (from inspect_dataset), to check the format now. Default none"
)
# --- output -------------------------------------------------------------------------------------
HubModelId = _arg(str, "repo for the model and its checkpoints, 'user/name'")
OutputDir = _arg(str, "local output folder. Default: the repo name, or model-method-peft")
PushToHub = _arg(
    bool, "push the result and checkpoints (needed on Jobs: the disk is discarded). Default true"
)
Private = _arg(bool, "create the Hub repo private. Default true")
# --- hardware -----------------------------------------------------------------------------------
Flavor = _arg(str, "Jobs flavor or 'local'; default: the recommended one")
Timeout = _arg(
    str | StrictInt, f"job timeout ('2h', '90m', seconds); default: {TIMEOUT_FACTOR} x the estimate"
)
Dtype = _arg(DtypeChoice, "weights dtype; auto: bf16 on Ampere+, fp16 mixed precision on T4. Default auto")
Attention = _arg(
    AttnChoice, "attention kernel; auto: sdpa (flash_attention_2 is not in the pinned stack). Default auto"
)
Parallelism = _arg(
    ParallelismChoice,
    "multi-GPU flavors: 'ddp' (a full replica per GPU, fastest when it fits), 'fsdp' (FSDP2 shards weights, "
    "gradients and optimizer state across the GPUs; LoRA or full, not QLoRA). auto: fsdp only when the "
    "hardware model says the run does not fit one GPU but fits sharded. Default auto",
)
# --- hyperparameters ----------------------------------------------------------------------------
LearningRate = _arg(float, "default: per method and peft (SFT: LoRA 2e-4, full 2e-5)", gt=0, lt=1)
Epochs = _arg(float, "passes over the dataset", gt=0, le=100)
MaxSteps = _arg(int, "stop after N optimizer steps (instead of epochs)", ge=1)
BatchSize = _arg(
    int,
    "sequences per GPU per micro-batch (GRPO: completions). Default: the largest that fits the GPU's "
    "memory (memory model), the accumulation adjusted to keep the effective batch (SFT, KTO, reward 4 x 4; "
    "DPO 2 x 8; GRPO 4 x 2, kept)",
    ge=1,
    le=1024,
)
Accumulation = _arg(
    int,
    "gradient accumulation steps. Default: effective batch / micro-batch (SFT, KTO, reward 4; DPO 8; GRPO 2 "
    "at the default micro-batch)",
    ge=1,
    le=1024,
)
MaxLength = _arg(int, "max tokens per sample (longer ones are truncated; not GRPO)", ge=16, le=262_144)
WarmupRatio = _arg(float, "fraction of steps to warm up. Default 0.03", ge=0, lt=1)
SchedulerArg = _arg(Scheduler, "learning-rate schedule. Default cosine")
WeightDecay = _arg(float, "AdamW weight decay. Default 0", ge=0, le=1)
GradientCheckpointing = _arg(
    bool,
    "recompute activations to save memory (~15-30% slower). Default: off when the run fits the GPU without "
    "it (memory model), on otherwise",
)
LoggingSteps = _arg(int, "log the loss every N steps. Default 10", ge=1)
SaveSteps = _arg(int, "checkpoint (and push) every N steps. Default 100", ge=1)
SaveEveryMinutes = _arg(float, "also checkpoint at least this often, minutes. Default 30", ge=1)
EvalStrategyArg = _arg(EvalStrategy, "auto: 'steps' when eval data is given, else 'no'. Default auto")
EvalSteps = _arg(int, "evaluate every N steps. Default: save_steps", ge=1)
Seed = _arg(int, "random seed. Default 42")
LoraR = _arg(int, "LoRA rank. Default 16", ge=1, le=1024)
LoraAlpha = _arg(int, "LoRA alpha. Default 32", ge=1, le=4096)
LoraDropout = _arg(float, "LoRA dropout. Default 0.05", ge=0, lt=1)
LoraTargets = _arg(
    str | list[str], "'all-linear' or module names like ['q_proj','v_proj']. Default all-linear"
)
# --- reporting ----------------------------------------------------------------------------------
Trackio = _arg(
    bool,
    "report metrics to trackio. Default: on for a Hub flavor with hub_model_id (a live dashboard Space "
    "<namespace>/trackio), off for 'local'; false opts out",
)
TrackioProject = _arg(str, "trackio project name. Default: output_dir")
TrackioSpace = _arg(str, "Space for a live trackio dashboard, 'user/name'. Default none")
RunName = _arg(str, "name of the run in the logs and trackio. Default: output_dir")
# --- per method ---------------------------------------------------------------------------------
Packing = _arg(
    bool,
    "SFT only: pack samples into rows of max_length with TRL's 'bfd' strategy, padding-free (rows kept apart "
    "by position_ids). Default: on for SFT (off with trust_remote_code); false opts out",
)
AssistantOnlyLoss = _arg(bool, "SFT only: loss on assistant turns of 'messages' data. Default false")
CompletionOnlyLoss = _arg(
    bool, "SFT only: loss on the completion of prompt/completion data. Default: TRL's (true for that format)"
)
Beta = _arg(float, "DPO and KTO: KL strength. Default 0.1", gt=0, le=10)
LossTypeArg = _arg(LossType, "DPO only: loss. Default sigmoid")
KTOLoss = _arg(KTOLossType, "KTO only: loss (kto needs batch size >= 2 for its KL term). Default kto")
DesirableWeight = _arg(float, "KTO only: weight of good (label true) examples. Default 1", gt=0, le=100)
UndesirableWeight = _arg(float, "KTO only: weight of bad (label false) examples. Default 1", gt=0, le=100)
CenterRewards = _arg(
    float,
    "reward only: pull the scores towards 0 with this coefficient (e.g. 0.01). Default none",
    ge=0,
    le=10,
)
RewardFuncs = _arg(
    list[RewardName],
    "GRPO only: TRL's built-in rewards (trl.rewards), summed with reward_weights: accuracy, "
    "reasoning_accuracy, cosine_scaled (compare with a 'solution' column; math answers, math-verify), "
    "think_format (<think>...</think> then the answer), repetition_penalty (repeated 3-grams), "
    "soft_overlong (completions near max_completion_length). Default: none when reward_model is given, "
    "else ['think_format']",
)
RewardWeights = _arg(
    list[float], "GRPO only: one weight per reward (reward_funcs, then reward_model). Default all 1"
)
RewardModel = _arg(
    str, "GRPO only: Hub id of a sequence-classification reward model to score completions. Default none"
)
NumGenerations = _arg(
    int,
    "GRPO only: completions per prompt; must divide batch x accumulation x GPUs. Default 4",
    ge=2,
    le=256,
)
MaxPromptLength = _arg(
    int, "GRPO only: prompts longer than this many tokens are dropped. Default 512", ge=8, le=131_072
)
MaxCompletionLength = _arg(int, "GRPO only: tokens generated per completion. Default 256", ge=1, le=131_072)
GRPOBeta = _arg(
    float,
    "GRPO only: KL penalty towards the reference model; 0 loads no reference model (TRL's default). "
    "Default 0",
    ge=0,
    le=10,
)
Temperature = _arg(float, "GRPO only: sampling temperature of the completions. Default 1.0", gt=0, le=5)
UseVllm = _arg(
    bool,
    "GRPO only: generate with vLLM colocated on the training GPU (refused: vLLM is not in the pinned "
    "stack; generation runs through transformers). Default false",
)

_HUB_PART = r"[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9])?"
HUB_ID_RE = re.compile(rf"^(?:{_HUB_PART}/)?{_HUB_PART}$")
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")
_REVISION_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,199}$")
_SPLIT_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-\[\]:%+]{0,99}$")
_TARGET_MODULE_RE = re.compile(r"^[A-Za-z0-9_.\-*]{1,100}$")


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
