"""Request -> Plan: the pre-flight checks of ../shared/notes/training-facts.md, as named decision steps.

`resolve()` runs `STEPS` in order. Each step reads the request and what earlier steps decided (`Run`),
records its checks with `run.check(...)`, and returns the part of the script's CONFIG it decided. Problems
are collected, not raised, so an agent can fix them all in one go (see `Plan.checks`).

The steps live by what they read: the machine (`hardware_steps`: flavor, parallelism, timeout, precision,
attention), memory (`memory_fit`), the method (`method_rules`), and here the data, output and optimizer
steps that need neither. To add a decision: write `def decide_x(run: Run) -> dict` where it belongs and put
it in `STEPS` after the steps it reads (`flavor` facts and the hardware `estimate` come first). To add a
method: its request model in `requests.REQUEST_MODELS`, its row in `runner_methods.METHODS`, its rules in
`method_rules.METHOD_RULES` and its TRL column names in `data_checks.TRL_COLUMNS`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

from hf_train_mcp.hardware.api import FlavorInfo, Recommendation
from hf_train_mcp.hardware.recommend import format_duration as job_timeout
from hf_train_mcp.post_training.trackio_defaults import trackio_settings
from hf_train_mcp.training.arguments import DEFAULT_LR
from hf_train_mcp.training.config import LOCAL_FLAVOR, Check, Plan, ScriptConfig
from hf_train_mcp.training.data_checks import MAPPING_EXAMPLES, TRL_COLUMNS, check_columns, check_conversion
from hf_train_mcp.training.hardware_steps import (
    decide_attention,
    decide_flavor,
    decide_parallelism,
    decide_precision,
    decide_timeout,
)
from hf_train_mcp.training.memory_fit import decide_memory
from hf_train_mcp.training.method_rules import METHOD_RULES, decide_method
from hf_train_mcp.training.requests import Request

__all__ = ["MAPPING_EXAMPLES", "METHOD_RULES", "STEPS", "TRL_COLUMNS", "Run", "resolve"]


@dataclass
class Run:
    """The request and what the steps decided so far; `check` records a finding."""

    req: Request
    pinned: dict[str, str]
    checks: list[Check] = field(default_factory=list)
    flavor: str = LOCAL_FLAVOR
    info: FlavorInfo | None = None  # None for 'local' (and an unknown flavor)
    estimate: dict[str, Any] | None = None
    timeout_s: int = 0
    dataset_examples: int | None = None
    recommendation: Recommendation | None = None  # the caller's hardware answer for this request, if any

    def check(self, name: str, status: str, message: str, fix: str | None = None) -> None:
        self.checks.append(Check(name, status, message, fix))  # type: ignore[arg-type]

    @property
    def is_gpu(self) -> bool:
        return bool(self.info and self.info.gpu_count)

    @property
    def local(self) -> bool:
        return self.flavor == LOCAL_FLAVOR


Step = Callable[[Run], dict[str, Any]]


def decide_data(run: Run) -> dict[str, Any]:
    """Column mapping and format, the ShareGPT conversion, eval data and strategy."""
    req = run.req
    check_columns(run)
    check_conversion(run)
    eval_on = req.eval_split is not None or req.eval_fraction is not None
    if req.eval_split is not None and req.eval_fraction is not None:
        run.check("eval", "fail", "both eval_split and eval_fraction are set", "pass only one of them")
    strategy = req.eval_strategy
    if strategy == "auto":
        strategy = "steps" if eval_on else "no"
    if strategy != "no" and not eval_on:
        run.check(
            "eval",
            "fail",
            f"eval_strategy={strategy!r} without eval data: the run hangs or fails at start",
            "pass eval_split='test' (or eval_fraction=0.05), or eval_strategy='no'",
        )
    else:
        run.check("eval", "pass", f"eval_strategy {strategy}")
    return {
        "dataset": {
            "id": req.dataset,
            "config": req.dataset_config,
            "split": req.split,
            "eval_split": req.eval_split,
            "eval_fraction": req.eval_fraction,
            "max_rows": req.max_rows,
            "column_mapping": dict(req.column_mapping),
            "conversion": req.dataset_conversion,
        },
        "eval_strategy": strategy,
        "eval_steps": req.eval_steps or req.save_steps,
    }


def decide_output(run: Run) -> dict[str, Any]:
    """Where the model goes (push to the Hub on Jobs: the disk is discarded) and how the run is named."""
    req = run.req
    if req.push_to_hub:
        if req.hub_model_id is None:
            run.check(
                "push_to_hub",
                "fail",
                "push_to_hub needs hub_model_id: the job's disk is discarded when it ends",
                "pass hub_model_id='your-username/model-name' (a new, unique repo)",
            )
        else:
            run.check(
                "push_to_hub",
                "pass",
                f"checkpoints pushed to {req.hub_model_id} (hub_strategy='checkpoint'); "
                "a re-run resumes from its last-checkpoint",
            )
            if "/" not in req.hub_model_id:
                run.check(
                    "hub_model_id",
                    "info",
                    f"{req.hub_model_id!r} has no namespace: the script pushes to the token owner's "
                    "namespace",
                )
    elif not run.local:
        run.check(
            "push_to_hub",
            "fail",
            "push_to_hub=False on a Hugging Face Jobs flavor: the trained model and every checkpoint are "
            "lost "
            "when the job ends",
            "set push_to_hub=True with hub_model_id, or use flavor='local'",
        )
    model_tail = req.model.rstrip("/").split("/")[-1] or "model"
    output_dir = req.output_dir or (
        req.hub_model_id.split("/")[-1] if req.hub_model_id else f"{model_tail}-{req.method}-{req.peft}"
    )
    project = req.trackio_project or output_dir
    metrics = trackio_settings(
        trackio=req.trackio,
        space_id=req.trackio_space_id,
        hub_model_id=req.hub_model_id if req.push_to_hub else None,
        flavor=run.flavor,
        project=project,
    )
    run.check(
        "trackio", "info", metrics["note"] + (f": {metrics['dashboard']}" if metrics["dashboard"] else "")
    )
    return {
        "output_dir": output_dir,
        "hub_model_id": req.hub_model_id,
        "push_to_hub": req.push_to_hub,
        "private": req.private,
        "trackio": metrics["trackio"],
        "trackio_project": project,
        "trackio_space_id": metrics["trackio_space_id"],
        "trackio_dashboard": metrics["dashboard"],
        "run_name": req.run_name or output_dir,
    }


def decide_training(run: Run) -> dict[str, Any]:
    """Optimizer and schedule: the request's values, per-method defaults where it left them out."""
    req = run.req
    lr = req.learning_rate if req.learning_rate is not None else DEFAULT_LR[(req.method, req.peft)]
    return {
        "learning_rate": lr,
        "num_train_epochs": req.num_train_epochs,
        "max_steps": req.max_steps,
        "max_length": req.max_length,
        "warmup_ratio": req.warmup_ratio,
        "lr_scheduler_type": req.lr_scheduler_type,
        "weight_decay": req.weight_decay,
        "logging_steps": req.logging_steps,
        "save_steps": req.save_steps,
        "save_every_minutes": req.save_every_minutes,
        "seed": req.seed,
    }


# The decision steps, in order: later steps read what earlier ones put on `Run` (flavor, info, estimate).
STEPS: list[Step] = [
    decide_flavor,
    decide_parallelism,  # before decide_memory: its micro-batch search sizes the layout chosen here
    decide_memory,
    decide_timeout,
    decide_precision,
    decide_attention,
    decide_method,
    decide_data,
    decide_output,
    decide_training,
]


def resolve(
    req: Request,
    *,
    pinned: dict[str, str],
    dataset_examples: int | None = None,
    recommendation: Recommendation | None = None,
) -> Plan:
    """Run every step and decide every value. Never raises for a bad setting: see Plan.checks.

    `dataset_examples`: rows in the training split when the caller knows (time and cost estimate);
    `recommendation`: the hardware model's answer for this request when the caller already has one."""
    run = Run(req=req, pinned=pinned, dataset_examples=dataset_examples, recommendation=recommendation)
    config: dict[str, Any] = {
        "method": req.method,
        "peft": req.peft,
        "model": req.model,
        "model_revision": req.model_revision,
        "trust_remote_code": req.trust_remote_code,
    }
    for step in STEPS:
        config.update(step(run))
    config["pinned_versions"] = dict(pinned)
    return Plan(
        method=req.method,
        peft=req.peft,
        flavor=run.flavor,
        timeout=job_timeout(run.timeout_s),
        timeout_seconds=run.timeout_s,
        gpu_count=config["gpu_count"],
        config=cast(ScriptConfig, config),
        checks=run.checks,
        estimate=run.estimate,
    )
