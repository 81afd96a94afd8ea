"""Every training argument, declared once: type, bounds, description (pydantic `Field`) and default.

The aliases below are what every tool that takes a training argument uses in its signature
(generate_training_script, prepare_training, the plan parameters of recommend_hardware),
the way `huggingface_hub`'s `hf jobs` CLI reuses one `FlavorOpt`. Each alias allows None: a tool parameter
left out (or None) means the request model's default, which lives in one place: the field defaults of
the request models in `requests.py` (read by tools through `default(name)`). Per-method defaults
(learning rate, batch, accumulation) are the tables `DEFAULT_LR` / `DEFAULT_BATCH`.

The request models that group these fields, their defaults and `parse_request` live in `requests.py`.
Light: pydantic only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import Field, StrictInt

from hf_train_mcp.hardware.api import TIMEOUT_FACTOR
from hf_train_mcp.training.runner import SOLUTION_REWARDS as SOLUTION_REWARDS

if TYPE_CHECKING:
    pass

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
