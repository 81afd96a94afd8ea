"""What each TRL method needs in the training script (part of `training.runner`): its config and trainer
classes, the dataset columns it reads, its own config settings, GRPO's reward functions and prompt filter.

One row per method in `METHODS`: adding a method to the script is adding its row here (and its request model,
rules and TRL columns on the generator side: see `training.resolve`). The generator reads the same table
(`data_checks`), so the columns the script accepts and those the checks ask for cannot drift apart.

Inlined into every rendered script (its code after the marker below, without its hf_train_mcp imports);
importable as a module for tests. `trl` is imported inside functions.
"""

from __future__ import annotations

# hf-train-mcp: inlined into scripts from here
from typing import Any, NamedTuple

from hf_train_mcp.training.runner_io import fail, log


def sft_args(cfg: dict) -> dict:
    """SFTConfig settings only SFT has. Packing is 'bfd': padding-free rows that transformers keeps apart by
    their position_ids (block-causal attention, no attention mask, no cache)."""
    return {
        "max_length": cfg["max_length"],
        "packing": cfg["packing"],
        "packing_strategy": "bfd",
        "assistant_only_loss": cfg["assistant_only_loss"],
        "completion_only_loss": cfg["completion_only_loss"],
    }


def dpo_args(cfg: dict) -> dict:
    """DPOConfig settings only DPO has. With a LoRA adapter no reference copy is loaded: TRL switches the
    adapter off to get the reference log-probs."""
    return {"max_length": cfg["max_length"], "beta": cfg["beta"], "loss_type": [cfg["loss_type"]]}


def grpo_args(cfg: dict) -> dict:
    """GRPOConfig settings only GRPO has. Generation runs through transformers (vLLM is not pinned); the
    reference model is loaded only when beta > 0 without an adapter. TRL 1.16 has no prompt-length setting:
    `prepare_prompts` applies max_prompt_length when the data is loaded."""
    return {
        "num_generations": cfg["num_generations"],
        "max_completion_length": cfg["max_completion_length"],
        "beta": cfg["beta"],
        "temperature": cfg["temperature"],
        "reward_weights": cfg["reward_weights"],
        "use_vllm": False,
    }


def kto_args(cfg: dict) -> dict:
    """KTOConfig settings only KTO has (its KL term needs a batch of at least 2: checked before the run)."""
    return {
        "max_length": cfg["max_length"],
        "beta": cfg["beta"],
        "loss_type": cfg["loss_type"],
        "desirable_weight": cfg["desirable_weight"],
        "undesirable_weight": cfg["undesirable_weight"],
    }


def reward_args(cfg: dict) -> dict:
    """RewardConfig settings only reward modelling has (TRL loads the model as a one-label classifier)."""
    return {"max_length": cfg["max_length"], "center_rewards_coefficient": cfg["center_rewards_coefficient"]}


SOLUTION_REWARDS = ("accuracy", "reasoning_accuracy", "cosine_scaled")  # they read a `solution` column
# TRL's built-in rewards (trl.rewards) by the name CONFIG uses; "get_*" ones are factories taking settings.
TRL_REWARDS = {
    "accuracy": "accuracy_reward",
    "reasoning_accuracy": "reasoning_accuracy_reward",
    "cosine_scaled": "get_cosine_scaled_reward",
    "think_format": "think_format_reward",
    "repetition_penalty": "get_repetition_penalty_reward",
    "soft_overlong": "get_soft_overlong_punishment",
}


class AsMessages:
    """A built-in reward with plain-text completions handed over as one assistant message each: TRL's rewards
    read `completion[0]["content"]`, which only conversational prompts produce. Keeps the reward's name (the
    metric key)."""

    def __init__(self, func: Any):
        self.func = func
        self.__name__ = getattr(func, "__name__", type(func).__name__)

    def __call__(self, completions: list, **kwargs: Any) -> list:
        if completions and isinstance(completions[0], str):
            completions = [[{"role": "assistant", "content": text}] for text in completions]
        return self.func(completions=completions, **kwargs)


def grpo_trainer_kwargs(cfg: dict) -> dict:
    """The reward functions: TRL's built-in rewards CONFIG names (data, not code), then the reward model."""
    import trl.rewards

    funcs: list[Any] = []
    for spec in cfg["rewards"]:
        attribute = TRL_REWARDS.get(spec["name"])
        if attribute is None:
            fail(f"unknown reward {spec['name']!r}; this script knows {sorted(TRL_REWARDS)}")
        func = getattr(trl.rewards, attribute)
        funcs.append(AsMessages(func(**spec["kwargs"]) if attribute.startswith("get_") else func))
    if cfg["reward_model"]:
        funcs.append(cfg["reward_model"])
    log("rewards: " + ", ".join(getattr(f, "__name__", str(f)) for f in funcs))
    return {"reward_funcs": funcs}


def prepare_prompts(cfg: dict, tokenizer: Any, dataset: Any, what: str) -> Any:
    """Check that the rewards find their columns, then drop the rows whose prompt (with the chat template,
    for conversations) is over max_prompt_length tokens: TRL 1.16 does not truncate GRPO prompts, and a cut
    prompt would lose its question. Both before the model loads."""
    needs_solution = [s["name"] for s in cfg["rewards"] if s["name"] in SOLUTION_REWARDS]
    if needs_solution and "solution" not in dataset.column_names:
        fail(
            f"{what}: reward {needs_solution[0]!r} compares completions with a 'solution' column, and the "
            f"columns are {dataset.column_names}. Map the answer column onto it: column_mapping "
            '{"solution": "answer"}.'
        )
    limit = cfg["max_prompt_length"]

    def fits(row: dict) -> bool:
        prompt = row["prompt"]
        if isinstance(prompt, list):
            prompt = tokenizer.apply_chat_template(prompt, tokenize=False, add_generation_prompt=True)
        return len(tokenizer(prompt, add_special_tokens=False)["input_ids"]) <= limit

    kept = dataset.filter(fits, desc=f"prompts <= {limit} tokens")
    if len(kept) < len(dataset):
        dropped = len(dataset) - len(kept)
        log(f"{what}: dropped {dropped} of {len(dataset)} rows with prompts over {limit} tokens")
    if len(kept) == 0:
        fail(f"{what}: every prompt is longer than max_prompt_length={limit} tokens; raise max_prompt_length")
    return kept


class Method(NamedTuple):
    """How one TRL method is trained: its config and trainer classes (in `trl`), the dataset column sets it
    reads (in order of preference, after the column mapping), its own config settings, its own trainer
    arguments, the model's task for a LoRA adapter, and a step on the data once the tokenizer is loaded."""

    config: str
    trainer: str
    formats: tuple[tuple[str, ...], ...]
    args: Any  # cfg -> dict of keyword arguments for `config`
    trainer_kwargs: Any = None  # cfg -> dict of extra keyword arguments for `trainer`
    task_type: str = "CAUSAL_LM"  # peft task of the adapter
    prepare: Any = None  # (cfg, tokenizer, dataset, what) -> dataset


PREFERENCE = (("prompt", "chosen", "rejected"), ("chosen", "rejected"))
# One row per method (../shared/notes/training-facts.md, "Dataset formats TRL accepts").
METHODS: dict[str, Method] = {
    "sft": Method("SFTConfig", "SFTTrainer", (("messages",), ("prompt", "completion"), ("text",)), sft_args),
    "dpo": Method("DPOConfig", "DPOTrainer", PREFERENCE, dpo_args),
    # GRPO keeps a `solution` column: the accuracy rewards compare the completions with it.
    "grpo": Method(
        "GRPOConfig",
        "GRPOTrainer",
        (("prompt", "solution"), ("prompt",)),
        grpo_args,
        grpo_trainer_kwargs,
        prepare=prepare_prompts,
    ),
    "kto": Method("KTOConfig", "KTOTrainer", (("prompt", "completion", "label"), *PREFERENCE), kto_args),
    "reward": Method("RewardConfig", "RewardTrainer", PREFERENCE, reward_args, task_type="SEQ_CLS"),
}
