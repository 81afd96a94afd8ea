"""Does a hand-written script's model and settings fit the flavor's GPU? Through the hardware memory model.

The plan is read from the script's constants: the trainer (method), the model id given by name, LoRA or
4-bit loading, max_length, the per-device batch, gradient checkpointing and the dtype. Settings the
script does not fix take TRL's and transformers' defaults; values read from the command line cannot be
known, so a script with an argument parser is not judged. Only bundled or local model shapes are used
(no network while validating).
"""

from __future__ import annotations

import ast
from typing import Any

from hf_train_mcp.training import script_calls as sc
from hf_train_mcp.training.config import Check

# Defaults of the pinned classes when a script leaves a setting out (test_lint_fit reads them from TRL).
DEFAULT_BATCH = 8  # TrainingArguments.per_device_train_batch_size
DEFAULT_MAX_LENGTH = {"sft": 1024, "dpo": 1024}  # SFTConfig / DPOConfig.max_length
GRPO_PROMPT = 512  # GRPOConfig does not truncate prompts: an assumed prompt length
GRPO_COMPLETION = 512  # GRPOConfig / RLOOConfig.max_completion_length
NUM_GENERATIONS = {"GRPOTrainer": 8, "RLOOTrainer": 2}  # GRPOConfig / RLOOConfig.num_generations
# 16-bit dtype names: TRL's model_init_kwargs take bfloat16/float16/auto; from_pretrained also torch's "half"
HALF = ("bfloat16", "float16", "auto", "half")


def plan_from_script(facts: sc.ScriptFacts) -> Any:
    """A hardware TrainingPlan for the script's first trainer given a model by name, or None."""
    from hf_train_mcp.hardware.api import TrainingPlan

    if facts.cli_values:
        return None
    trainers = facts.of(*sc.TRAINERS)
    if not trainers:
        return None
    trainer = next((c for c in trainers if sc.trainer_model(c, facts)), trainers[0])
    model = sc.trainer_model(trainer, facts)
    loaded = _loaded_model(facts) if model is None else None
    if model is None and loaded is None:
        return None
    if loaded is not None:
        model = loaded[0]
    method = sc.METHOD_OF[trainer.name]
    args = next(iter(facts.of(*sc.ARGS_CLASSES)), None)
    bnb = next(iter(facts.of("BitsAndBytesConfig")), None)
    peft = "full"
    if "peft_config" in trainer.keywords or facts.of("LoraConfig", "get_peft_model"):
        peft = "lora"
    if bnb is not None and bnb.const("load_in_4bit") is True:
        peft = "qlora"

    def setting(key: str, default: Any) -> Any:
        value = args.const(key) if args is not None else None
        return default if value is sc.Unknown or value is None else value

    dtype = sc.model_init_dtype(facts) if loaded is None else loaded[1]
    if isinstance(dtype, str):
        load = "16bit" if dtype.removeprefix("torch.") in HALF else "fp32"
    else:
        load = "fp32" if dtype is None else "16bit"  # TRL's float32 default; an unknown value: assume 16-bit
    batch = setting("per_device_train_batch_size", DEFAULT_BATCH)
    completion = setting("max_completion_length", GRPO_COMPLETION)
    if method == "grpo":
        length = setting("max_prompt_length", GRPO_PROMPT) + completion
    else:
        length = setting("max_length", DEFAULT_MAX_LENGTH[method])
    # TRL's configs turn gradient checkpointing on; transformers' TrainingArguments leaves it off
    trl_config = args.name in sc.TRL_CONFIGS if args is not None else trainer.name != "Trainer"
    try:
        return TrainingPlan(
            model=model,
            method=method,  # type: ignore[arg-type]
            peft=peft,  # type: ignore[arg-type]
            max_length=int(length),
            batch_size=int(batch),
            gradient_checkpointing=bool(
                setting("gradient_checkpointing", setting("activation_checkpointing", trl_config))
            ),
            load_dtype=load,  # type: ignore[arg-type]
            num_generations=int(setting("num_generations", NUM_GENERATIONS.get(trainer.name, 8))),
            max_completion_length=int(completion),
        )
    except (TypeError, ValueError):
        return None


def _loaded_model(facts: sc.ScriptFacts) -> tuple[str, Any] | None:
    """`AutoModelForCausalLM.from_pretrained("id", dtype=...)`: the id and its dtype.

    transformers 5 loads with dtype "auto" (the checkpoint's, 16-bit for current models) when none is
    given, so a missing dtype counts as 16-bit here, unlike a model TRL loads by name.
    """
    for call in facts.of("from_pretrained"):
        model = sc.resolve_string(call.positional[0] if call.positional else None, facts) or (
            sc.resolve_string(call.keywords.get("pretrained_model_name_or_path"), facts)
        )
        owner = call.owner or ""
        if model is None or "Model" not in owner:  # AutoConfig, AutoTokenizer, AutoProcessor: not the model
            continue
        node = call.keywords.get("dtype", call.keywords.get("torch_dtype"))
        if node is None:
            return model, "auto"
        value = sc.constant(node)
        if isinstance(value, str):
            return model, value
        text = ast.unparse(node)  # torch.bfloat16, torch.float32
        return model, text.rsplit(".", 1)[-1] if "float" in text else sc.Unknown
    return None


def fit_checks(facts: sc.ScriptFacts, info: Any) -> list[Check]:
    """FAIL when the script's plan does not fit one GPU of the flavor (an out-of-memory at the first step)."""
    if not info.is_gpu:
        return []
    plan = plan_from_script(facts)
    if plan is None:
        return []
    from hf_train_mcp.hardware.api import HardwareError, fit

    try:
        result = fit(plan, info, allow_hub=False)
    except HardwareError as exc:
        return [Check("memory", "info", f"memory not checked: {exc}")]
    what = (
        f"{plan.model} {plan.method} {plan.peft}, batch {plan.batch_size} x {plan.max_length}"
        + (", float32 weights" if plan.load_dtype == "fp32" else "")
        + ("" if plan.gradient_checkpointing else ", no checkpointing")
    )
    figures = f"about {result.need_gib:.1f} GiB per GPU against {result.limit_gib:.1f} usable"
    if result.fits:
        return [Check("memory", "pass", f"{what} fits {info.name}: {figures}")]
    return [
        Check(
            "memory",
            "fail",
            f"{what} does not fit {info.name} ({info.gpu}): {figures}; out of memory at the first step",
            "lower per_device_train_batch_size or max_length, set the dtype to bfloat16, use LoRA/QLoRA, "
            "or pick a larger flavor (recommend_hardware)",
        )
    ]
