"""The training script, as a module: every generated script is this file's code with its settings.

Rendering (`training.render`) writes a PEP 723 header, a docstring, `CONFIG = {literal}` in place of the
placeholder below and this module's code after the marker, with the package modules it imports inlined in
place of its import block: one self-contained file a job runs with `uv run`. This module is the entry point
(command line, overrides, the run from start to summary); the parts it calls each have their module:
`runner_io` (log, checkpoints, resume, relaunch, Hub push, model card), `runner_data` (loading and
formatting the dataset, with `sharegpt`), `runner_methods` (one row per TRL method), `runner_trainer`
(precision, memory fit, adapter, quantization, the trainer) and `runner_fit` / `launch` below them.
Method and adapter choices are made at run time from CONFIG, not by template branches, so ruff lints
these files and unit tests import them. Heavy libraries (torch, transformers, trl, peft, datasets) are
imported inside functions only.

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
from typing import Any

# hf-train-mcp: inline
from hf_train_mcp.training.runner_data import is_conversational, load_data
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
from hf_train_mcp.training.runner_methods import METHODS
from hf_train_mcp.training.runner_methods import SOLUTION_REWARDS as SOLUTION_REWARDS
from hf_train_mcp.training.runner_trainer import build_trainer, decide_memory_fit, make_callback, precision

# hf-train-mcp: end inline

CONFIG: dict[str, Any] = {}  # hf-train-mcp: CONFIG (the renderer writes the run's settings here)

SUMMARY_PREFIX = "HF_TRAIN_SUMMARY"
DRY_RUN_COMPLETION_TOKENS = 16


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
    if getattr(trainer, "is_fsdp_enabled", False):  # launched sharded (launch.py): say how
        plugin = trainer.accelerator.state.fsdp_plugin
        log(f"FSDP{plugin.fsdp_version}: sharded across {trainer.accelerator.num_processes} processes")

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
