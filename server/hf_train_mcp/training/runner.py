"""The training script, as a module: every generated script is this file's code with its settings.

Rendering (`training.render`) writes a PEP 723 header, a docstring, `CONFIG = {literal}` in place of the
placeholder below and this module's code after the marker, with the ShareGPT converter
(`training.sharegpt`) inlined where it is imported: one self-contained file a job runs with `uv run`.
Method and adapter choices are made at run time from CONFIG (`METHODS`, `peft_config`,
`quantization_config`), not by template branches, so ruff lints this file and unit tests import it.
Heavy libraries (torch, transformers, trl, peft, datasets) are imported inside functions only.

Run it as a uv script:

    uv run train.py                      # the run CONFIG describes (on Jobs: hf_jobs operation "uv")
    uv run train.py --dry-run --model ./tiny --dataset ./rows.jsonl --max-steps 2   # local rehearsal on CPU
    uv run train.py --print-config       # the settings after command-line overrides, as JSON

A re-run continues from the last checkpoint (in output_dir, or pushed to the Hub as last-checkpoint/).
At the end one line `HF_TRAIN_SUMMARY {json}` reports final loss, steps, runtime, tokens/s and peak memory.
"""

# hf-train-mcp: script body
from __future__ import annotations

import argparse
import copy
import json
import os
import sys
import time
from typing import Any, NamedTuple

# hf-train-mcp: inline
from hf_train_mcp.training.runner_data import load_split, to_trl_format
from hf_train_mcp.training.runner_fit import device_facts, fit_for_device
from hf_train_mcp.training.runner_io import (
    fail,
    find_checkpoint,
    log,
    maybe_relaunch,
    peak_memory_gb,
    push_last_checkpoint,
    resolve_hub_model_id,
    write_model_card,
)

# hf-train-mcp: end inline

CONFIG: dict[str, Any] = {}  # hf-train-mcp: CONFIG (the renderer writes the run's settings here)

SUMMARY_PREFIX = "HF_TRAIN_SUMMARY"
DRY_RUN_COMPLETION_TOKENS = 16


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


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Fine-tune with the settings in CONFIG; options override them."
    )
    parser.add_argument("--model", help="model id or local path instead of CONFIG['model']")
    parser.add_argument("--dataset", help="dataset id, local file (jsonl/json/parquet/csv) or folder")
    parser.add_argument("--max-steps", type=int, help="stop after this many optimizer steps")
    parser.add_argument("--max-rows", type=int, help="use at most this many training rows")
    parser.add_argument("--save-steps", type=int, help="save (and push) a checkpoint every N steps")
    parser.add_argument("--output-dir", help="local output folder")
    parser.add_argument("--hub-model-id", help="Hub repo to push to instead of CONFIG['hub_model_id']")
    parser.add_argument("--no-push", action="store_true", help="do not push anything to the Hub")
    parser.add_argument("--no-resume", action="store_true", help="start over even if a checkpoint exists")
    parser.add_argument("--resume-from", help="checkpoint folder to resume from ('none': start over)")
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="local rehearsal: CPU allowed (float32), no push, no reporting; defaults to 2 steps on 8 rows",
    )
    parser.add_argument("--print-config", action="store_true", help="print the resolved settings and exit")
    return parser.parse_args(argv)


def resolve_config(args: argparse.Namespace) -> dict:
    """CONFIG with the command-line overrides applied. Values are data: nothing here is executed."""
    cfg = copy.deepcopy(CONFIG)
    if args.model:
        cfg["model"] = args.model
        cfg["model_revision"] = None
    if args.dataset:
        data = cfg["dataset"]
        had_eval = data["eval_split"] is not None or data["eval_fraction"] is not None
        data.update(id=args.dataset, config=None, split="train", eval_split=None)
        data["eval_fraction"] = 0.25 if had_eval else None
    if args.output_dir:
        cfg["output_dir"] = args.output_dir
    if args.hub_model_id:
        cfg["hub_model_id"] = args.hub_model_id
    if args.save_steps:
        cfg["save_steps"] = args.save_steps
        cfg["eval_steps"] = args.save_steps
    if args.dry_run:
        cfg["push_to_hub"] = False
        cfg["trackio"] = False
        cfg["max_steps"] = 2
        cfg["dataset"]["max_rows"] = 8
        cfg["logging_steps"] = 1
        if cfg.get("max_completion_length"):  # GRPO: a rehearsal generates a few tokens, not hundreds
            cfg["max_completion_length"] = min(cfg["max_completion_length"], DRY_RUN_COMPLETION_TOKENS)
    if args.max_steps is not None:
        cfg["max_steps"] = args.max_steps
    if args.max_rows is not None:
        cfg["dataset"]["max_rows"] = args.max_rows
    if args.no_push:
        cfg["push_to_hub"] = False
    return cfg


def load_data(cfg: dict):
    method = cfg["method"]
    formats = METHODS[method].formats
    spec = cfg["dataset"]
    train = load_split(spec, spec["split"])
    evaluation = None
    if spec["eval_split"]:
        evaluation = to_trl_format(load_split(spec, spec["eval_split"]), spec, formats, method, "eval split")
    if spec["max_rows"]:
        train = train.select(range(min(spec["max_rows"], len(train))))
    train = to_trl_format(train, spec, formats, method, "train split")
    if spec["eval_fraction"]:
        parts = train.train_test_split(test_size=spec["eval_fraction"], seed=cfg["seed"])
        train, evaluation = parts["train"], parts["test"]
    if evaluation is not None and spec["max_rows"]:
        evaluation = evaluation.select(range(min(max(spec["max_rows"] // 10, 1), len(evaluation))))
    if len(train) == 0:
        fail("the training split is empty")
    log(
        f"data: {len(train)} training rows, columns {train.column_names}"
        + (f"; {len(evaluation)} eval rows" if evaluation is not None else "")
    )
    return train, evaluation


def is_conversational(row: dict) -> bool:
    return any(isinstance(v, list) and v and isinstance(v[0], dict) and "role" in v[0] for v in row.values())


# --------------------------------------------------------------------------------------------------
# Hardware
# --------------------------------------------------------------------------------------------------


def precision(cfg: dict, args: argparse.Namespace) -> dict:
    """dtype to load the weights in and the mixed-precision flags, checked against the visible device."""
    import torch

    if not torch.cuda.is_available():
        if cfg["gpu_count"] and not args.dry_run:
            fail(
                f"no CUDA device is visible, but this script was generated for {cfg['flavor']} "
                f"({cfg['gpu_count']} GPU(s)). Run it on that flavor, or with --dry-run for a CPU rehearsal."
            )
        return {"dtype": "float32", "bf16": False, "fp16": False, "use_cpu": True, "device": "cpu"}
    dtype, mode = cfg["dtype"], cfg["mixed_precision"]
    bf16_ok = torch.cuda.is_bf16_supported()
    if dtype == "auto":
        if bf16_ok:
            dtype, mode = "bfloat16", "bf16"
        else:
            dtype, mode = ("float32" if cfg["peft"] == "full" else "float16"), "fp16"
    if (dtype == "bfloat16" or mode == "bf16") and not bf16_ok:
        fail(
            f"this GPU ({torch.cuda.get_device_name(0)}) has no bfloat16. Regenerate the script for this "
            "flavor (fp16 mixed precision on T4)."
        )
    return {
        "dtype": dtype,
        "bf16": mode == "bf16",
        "fp16": mode == "fp16",
        "use_cpu": False,
        "device": "cuda",
    }


def decide_memory_fit(cfg: dict) -> None:
    """Flavor 'local': checkpointing and micro-batch from the device found and its free memory, by the rule
    the generator applies for a known flavor (`runner_fit`); the effective batch is kept."""
    memory_fit = cfg.get("memory_fit")
    if not memory_fit:
        return
    decided = fit_for_device(memory_fit, device_facts())
    for key in ("gradient_checkpointing", "per_device_train_batch_size", "gradient_accumulation_steps"):
        cfg[key] = decided[key]
    need = f", peak about {decided['need_gib']:.1f} GiB" if decided["need_gib"] else ""
    ckpt = "on" if cfg["gradient_checkpointing"] else "off"
    log(
        f"memory: micro-batch {cfg['per_device_train_batch_size']} x accumulation "
        f"{cfg['gradient_accumulation_steps']}, checkpointing {ckpt}{need} ({decided['why']})"
    )
    if not decided["fits"]:
        log("warning: the memory model says this run may not fit this GPU; lower max_length or use QLoRA")


def check_versions(cfg: dict) -> None:
    import importlib.metadata as md

    for name, pinned in cfg["pinned_versions"].items():
        try:
            installed = md.version(name).split("+")[0]
        except md.PackageNotFoundError:
            fail(
                f"{name} is not installed; run this file with `uv run` so its pinned dependencies "
                "are installed"
            )
        if installed != pinned:
            log(f"warning: {name} {installed} is installed, this script was tested with {pinned}")


def make_callback(cfg: dict, device: str):
    from transformers import TrainerCallback

    every = cfg["save_every_minutes"]

    class Progress(TrainerCallback):
        """Saves (so pushes) a checkpoint at least every `every` minutes; keeps the number of real (non-pad)
        tokens this session trained on from TRL's own logged count (`num_tokens`, counted in this process
        since it started), so the script adds no host-device sync of its own per micro-batch."""

        def __init__(self):
            self.last_save = time.time()
            self.tokens = 0

        def on_log(self, args, state, control, logs=None, **kwargs):
            self.tokens = max(self.tokens, int((logs or {}).get("num_tokens") or 0))

        def on_step_end(self, args, state, control, **kwargs):
            if every and time.time() - self.last_save >= every * 60:
                control.should_save = True

        def on_save(self, args, state, control, **kwargs):
            self.last_save = time.time()

    return Progress()


# --------------------------------------------------------------------------------------------------
# Adapter, quantization, trainer: run-time choices from CONFIG
# --------------------------------------------------------------------------------------------------


def peft_config(cfg: dict) -> Any:
    """The LoRA adapter to train (LoRA and QLoRA), or None for a full fine-tune."""
    if cfg["peft"] not in ("lora", "qlora"):
        return None
    from peft import LoraConfig

    lora = cfg["lora"]
    return LoraConfig(
        r=lora["r"],
        lora_alpha=lora["alpha"],
        lora_dropout=lora["dropout"],
        target_modules=lora["target_modules"],
        bias="none",
        task_type=METHODS[cfg["method"]].task_type,
    )


def quantization_config(cfg: dict, hw: dict) -> Any:
    """4-bit NF4 base weights for QLoRA (CUDA only), or None."""
    if cfg["peft"] != "qlora":
        return None
    if hw["device"] != "cuda":
        fail("4-bit QLoRA needs a CUDA GPU (bitsandbytes); rehearse with peft='lora' on CPU instead")
    import torch
    from transformers import BitsAndBytesConfig

    return BitsAndBytesConfig(
        load_in_4bit=True,
        bnb_4bit_quant_type="nf4",
        bnb_4bit_use_double_quant=True,
        bnb_4bit_compute_dtype=getattr(torch, hw["dtype"]),
    )


def training_args(cfg: dict, hw: dict, has_eval: bool, world_size: int = 1) -> dict:
    """Keyword arguments of the method's TRL config class: the shared Trainer settings + `Method.args`."""
    push = bool(cfg["push_to_hub"] and cfg["hub_model_id"])
    model_init_kwargs = {"dtype": hw["dtype"], "attn_implementation": cfg["attn_implementation"]}
    if cfg["model_revision"]:
        model_init_kwargs["revision"] = cfg["model_revision"]
    return {
        "output_dir": cfg["output_dir"],
        "num_train_epochs": cfg["num_train_epochs"],
        "max_steps": cfg["max_steps"] or -1,
        "per_device_train_batch_size": cfg["per_device_train_batch_size"],
        "per_device_eval_batch_size": cfg["per_device_train_batch_size"],
        "gradient_accumulation_steps": cfg["gradient_accumulation_steps"],
        "learning_rate": cfg["learning_rate"],
        "lr_scheduler_type": cfg["lr_scheduler_type"],
        "warmup_steps": cfg["warmup_ratio"],
        "weight_decay": cfg["weight_decay"],
        "activation_checkpointing": cfg["gradient_checkpointing"],
        # No host-device sync per micro-batch beyond TRL's own metrics: the NaN/Inf filter of the logged loss
        # (`torch.isnan(loss)` after every backward) and `include_num_input_tokens_seen` (a `.item()` per
        # micro-batch) each stop the CPU from queuing the next micro-batch while the GPU works.
        "logging_nan_inf_filter": False,
        "include_num_input_tokens_seen": "no",
        "bf16": hw["bf16"],
        "fp16": hw["fp16"],
        "use_cpu": hw["use_cpu"],
        "model_init_kwargs": model_init_kwargs,
        "trust_remote_code": cfg["trust_remote_code"],
        "logging_steps": cfg["logging_steps"],
        "logging_first_step": True,
        "save_strategy": "steps",
        "save_steps": cfg["save_steps"],
        "save_total_limit": 2,
        "eval_strategy": cfg["eval_strategy"] if has_eval else "no",
        "eval_steps": cfg["eval_steps"],
        "push_to_hub": push,
        "hub_model_id": cfg["hub_model_id"] if push else None,
        "hub_strategy": "checkpoint",
        "hub_private_repo": cfg["private"],
        "report_to": "trackio" if cfg["trackio"] else "none",
        "project": cfg["trackio_project"],
        "trackio_space_id": cfg["trackio_space_id"],
        "run_name": cfg["run_name"],
        "ddp_find_unused_parameters": False if world_size > 1 else None,
        "seed": cfg["seed"],
        **METHODS[cfg["method"]].args(cfg),
    }


def build_trainer(cfg: dict, hw: dict, tokenizer: Any, train_dataset: Any, eval_dataset: Any) -> Any:
    """The method's TRL trainer (from `METHODS`), with the adapter and quantization CONFIG asks for."""
    import trl

    method = METHODS[cfg["method"]]
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    config_class = getattr(trl, method.config)
    args = config_class(**training_args(cfg, hw, eval_dataset is not None, world_size))
    extra = {}
    adapter = peft_config(cfg)
    if adapter is not None:
        extra["peft_config"] = adapter
    quantization = quantization_config(cfg, hw)
    if quantization is not None:
        extra["quantization_config"] = quantization
    if method.trainer_kwargs is not None:
        extra.update(method.trainer_kwargs(cfg))
    trainer = getattr(trl, method.trainer)(
        model=cfg["model"],
        args=args,
        train_dataset=train_dataset,
        eval_dataset=eval_dataset,
        processing_class=tokenizer,
        **extra,
    )
    if cfg["method"] == "sft":
        packing = (
            "on (bfd, padding-free rows of max_length)" if cfg["packing"] else "off (rows padded per batch)"
        )
        log(f"packing: {packing}")
    if cfg["method"] in ("dpo", "kto", "grpo"):
        if getattr(trainer, "ref_model", None) is not None:
            reference = "a frozen copy of the model"
        elif cfg["method"] == "grpo" and not cfg["beta"]:
            reference = "none (beta 0: no KL term)"
        else:
            reference = "none (the adapter is switched off to compute reference log-probs)"
        log(f"reference model: {reference}")
    return trainer


# --------------------------------------------------------------------------------------------------
# Training
# --------------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    cfg = resolve_config(args)
    if args.print_config:
        print(json.dumps(cfg, indent=2))
        return 0
    started = time.time()
    check_versions(cfg)
    resolve_hub_model_id(cfg)
    if os.environ.get("LOCAL_RANK") is None:
        resume = find_checkpoint(cfg, args)
    else:
        resume = None if args.resume_from in (None, "none") else args.resume_from
    maybe_relaunch(cfg, args, argv, resume)

    import torch
    from transformers import AutoTokenizer

    hw = precision(cfg, args)
    decide_memory_fit(cfg)
    log(
        f"{cfg['method'].upper()} {cfg['peft']} of {cfg['model']} on {hw['device']} "
        f"(weights {hw['dtype']}, bf16={hw['bf16']}, fp16={hw['fp16']})"
    )
    train_dataset, eval_dataset = load_data(cfg)

    tokenizer = AutoTokenizer.from_pretrained(
        cfg["model"], revision=cfg["model_revision"], trust_remote_code=cfg["trust_remote_code"]
    )
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    if is_conversational(train_dataset[0]) and not tokenizer.chat_template:
        fail(
            f"the dataset is conversational but {cfg['model']} has no chat template. Use an instruct/chat "
            "model, or map the data onto prompt/completion or text columns."
        )
    prepare = METHODS[cfg["method"]].prepare
    if prepare is not None:
        train_dataset = prepare(cfg, tokenizer, train_dataset, "train split")
        if eval_dataset is not None:
            eval_dataset = prepare(cfg, tokenizer, eval_dataset, "eval split")
    push = bool(cfg["push_to_hub"] and cfg["hub_model_id"])
    trainer = build_trainer(cfg, hw, tokenizer, train_dataset, eval_dataset)

    if hw["fp16"]:
        # fp16 mixed precision unscales gradients in fp32: trainable weights must be fp32.
        for param in trainer.model.parameters():
            if param.requires_grad and param.dtype != torch.float32:
                param.data = param.data.float()
    progress = make_callback(cfg, hw["device"])
    trainer.add_callback(progress)

    if resume:
        log(f"resuming from {resume}")
    result = trainer.train(resume_from_checkpoint=resume)

    dataset_name = cfg["dataset"]["id"]
    tags = ["hf-train-mcp", cfg["method"], cfg["peft"]]
    if push:
        trainer.push_to_hub(commit_message="End of training", dataset_name=dataset_name, tags=tags)
        if trainer.is_world_process_zero():
            push_last_checkpoint(cfg)
    else:
        trainer.save_model()
        if trainer.is_world_process_zero():
            trainer.create_model_card(dataset_name=dataset_name, tags=tags)

    if trainer.is_world_process_zero():
        metrics = result.metrics or {}
        runtime = metrics.get("train_runtime") or (time.time() - started)
        tokens = progress.tokens
        losses = [(h["step"], h["loss"]) for h in trainer.state.log_history if "loss" in h]
        final_step, final_loss = losses[-1] if losses else (None, metrics.get("train_loss"))
        summary = {
            "final_loss": final_loss,
            "final_loss_step": final_step,
            "train_loss": metrics.get("train_loss"),
            "steps": trainer.state.global_step,
            "runtime_s": round(runtime, 2),
            "tokens_per_second": round(tokens / runtime, 2) if tokens and runtime else None,
            "peak_memory_gb": peak_memory_gb(hw["device"]),
            "resumed_from": os.path.basename(resume.rstrip("/")) if resume else None,
            "output_dir": cfg["output_dir"],
            "hub_model_id": cfg["hub_model_id"] if push else None,
        }
        card = write_model_card(cfg, cfg["output_dir"], summary)
        if push:
            from huggingface_hub import HfApi

            HfApi().upload_file(
                path_or_fileobj=card,
                path_in_repo="README.md",
                repo_id=cfg["hub_model_id"],
                commit_message="Model card: training details",
            )
        print(f"{SUMMARY_PREFIX} {json.dumps(summary, sort_keys=True)}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
