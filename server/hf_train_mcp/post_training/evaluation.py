"""evaluate_model: the evaluation job's settings, its rendered script, and the ready hf_jobs call."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hf_train_mcp.jobs.model import LOCAL_FLAVOR
from hf_train_mcp.post_training import job_call
from hf_train_mcp.post_training.errors import PostTrainingError
from hf_train_mcp.post_training.pins import requirements
from hf_train_mcp.toolkit import Answer

WHAT = "evaluation"  # the job, as errors name it
TITLE = "Evaluate a fine-tuned model, optionally beside its base (hf-train-mcp evaluate_model)."
DEFAULT_FLAVOR = "t4-small"  # the cheapest GPU; loss and small harness tasks fit a 0.5-3B model


def evaluation_settings(args: dict[str, Any]) -> dict[str, Any]:
    flavor = job_call.check_flavor(args["flavor"])
    model = job_call.check_ref("model", args["model"], flavor)
    if not args.get("dataset") and not args.get("tasks"):
        raise PostTrainingError(
            "nothing to evaluate: send dataset (held-out rows: loss and perplexity) and/or tasks "
            "(lm-evaluation-harness task names such as ['hellaswag', 'arc_easy'])"
        )
    dataset = job_call.check_ref("dataset", args["dataset"], flavor) if args.get("dataset") else None
    include = args.get("task_include_path")
    if include and flavor != LOCAL_FLAVOR:
        raise PostTrainingError(
            "task_include_path is a folder on this machine: only flavor 'local' can read it"
        )
    card_repo = job_call.check_repo("card_repo", args.get("card_repo"))
    if card_repo is None and args["write_card"] and not job_call.is_local_ref(model) and "/" in model:
        card_repo = model
    return {
        "model": model,
        "base_model": (
            job_call.check_ref("base_model", args["base_model"], flavor) if args.get("base_model") else None
        ),
        "compare_base": args["compare_base"],
        "dataset": dataset,
        "dataset_config": args.get("dataset_config"),
        "split": args["split"],
        "max_rows": args["max_rows"],
        "text_column": args.get("text_column"),
        "max_length": args["max_length"],
        "tasks": list(args.get("tasks") or []),
        "num_fewshot": args.get("num_fewshot"),
        "task_limit": args.get("task_limit"),
        "task_include_path": str(Path(include).expanduser().resolve()) if include else None,
        "batch_size": 8,
        "dtype": args["dtype"],
        "trust_remote_code": args["trust_remote_code"],
        "card_repo": card_repo,
    }


def evaluation_dependencies(config: dict[str, Any]) -> list[str]:
    names = ["torch", "transformers", "peft", "accelerate", "datasets"]
    if config["tasks"]:
        names.append("lm-eval")
    return requirements(*names)


def evaluation_answer(args: dict[str, Any], save_to: str | None) -> Answer:
    config = evaluation_settings(args)
    stem = f"evaluate-{Path(config['model']).name}"
    job = job_call.job_script(
        "evaluate", config, evaluation_dependencies(config), args, save_to, title=TITLE, what=WHAT, stem=stem
    )
    what = []
    if config["dataset"]:
        what.append(
            f"loss and perplexity on `{config['dataset']}` ({config['split']}, {config['max_rows']} rows)"
        )
    if config["tasks"]:
        what.append("lm-evaluation-harness tasks " + ", ".join(config["tasks"]))
    who = "the model and its base, side by side" if config["compare_base"] else "the model"
    markdown = "\n".join(
        [
            f"## Evaluation job for `{config['model']}`",
            "",
            f"Evaluates {who}: "
            + "; ".join(what)
            + ". "
            + (
                f"The results table goes into `{config['card_repo']}`'s model card. "
                if config["card_repo"]
                else ""
            )
            + "The last log line is `HF_EVAL_SUMMARY {...}`.",
            "",
            *job.submit_markdown(),
        ]
    )
    return Answer(markdown, job.data(config))
