"""The domain function behind generate_training_script and prepare_training: request -> saved script.

`generate_script` validates the request, resolves it (`training.resolve`), renders the script
(`training.render`), checks the rendered text against the pinned stack (`training.static_checks`) and saves
it. Anything that stops it is a `GenerationError` whose message says what to change; tools turn it into an
MCP error, the workflow composes the function directly.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hf_train_mcp.access import writable_file
from hf_train_mcp.errors import AgentError, with_fix
from hf_train_mcp.hardware.api import Recommendation
from hf_train_mcp.jobs.model import LOCAL_FLAVOR
from hf_train_mcp.paths import data_dir, private_dir, write_private
from hf_train_mcp.training.config import Plan

TOKEN_SECRET = {"HF_TOKEN": "$HF_TOKEN"}


class GenerationError(AgentError, ValueError):
    """The request cannot become a script; the message lists each problem with its fix."""


@dataclass
class GeneratedScript:
    """A rendered, checked and saved training script, and the hf_jobs call that runs it."""

    text: str
    plan: Plan
    checks: list[dict[str, Any]]  # the plan's checks, then the script's own ("script.<name>")
    saved_paths: list[str]  # the data-dir copy first, then save_to's

    @property
    def script_path(self) -> str:
        return self.saved_paths[-1]

    @property
    def hf_jobs(self) -> dict[str, Any]:
        """The hf_jobs call ({"operation": "uv", "args": {...}}) that submits the saved script."""
        args: dict[str, Any] = {
            "script": self.script_path,
            "flavor": self.plan.flavor,
            "timeout": self.plan.timeout,
        }
        if self.plan.flavor != LOCAL_FLAVOR:
            args["secrets"] = dict(TOKEN_SECRET)
        return {"operation": "uv", "args": args}

    def plan_data(self) -> dict[str, Any]:
        plan = self.plan
        return {
            "method": plan.method,
            "peft": plan.peft,
            "flavor": plan.flavor,
            "gpu_count": plan.gpu_count,
            "timeout": plan.timeout,
            "timeout_seconds": plan.timeout_seconds,
            "estimate": plan.estimate,
            "config": plan.config,
        }


def generate_script(
    arguments: dict[str, Any],
    *,
    save_to: str | None = None,
    dataset_examples: int | None = None,
    recommendation: Recommendation | None = None,
) -> GeneratedScript:
    """Validate, resolve, render, check and save. Raises `GenerationError` with every fix at once.

    `arguments`: training arguments by name (None = the default); `dataset_examples`: rows in the training
    split when known, for the time and cost estimate; `recommendation`: the hardware model's answer for
    this request when the caller already has it (prepare_training), so it is not estimated twice."""
    from hf_train_mcp.training.render import RenderError, render_script, training_pins
    from hf_train_mcp.training.requests import RequestError, parse_request
    from hf_train_mcp.training.resolve import resolve
    from hf_train_mcp.training.static_checks import validate_script

    try:
        request = parse_request(arguments)
    except RequestError as exc:
        raise GenerationError(
            "The training request is invalid:\n"
            + "\n".join(f"- {with_fix(p.message, p.fix)}" for p in exc.problems)
        ) from None
    plan = resolve(
        request, pinned=training_pins(), dataset_examples=dataset_examples, recommendation=recommendation
    )
    if not plan.ok:
        raise GenerationError(
            "The run would fail; nothing was generated. Fix these and call again:\n"
            + "\n".join(f"- [{c.name}] {with_fix(c.message, c.fix)}" for c in plan.failures)
        )
    try:
        text = render_script(plan)
    except RenderError as exc:
        raise GenerationError(f"Could not render the script safely: {exc}") from None
    script_checks = validate_script(
        text,
        flavor=plan.flavor,
        secrets=None if plan.flavor == LOCAL_FLAVOR else TOKEN_SECRET,
        timeout=plan.timeout,
    )
    broken = [c for c in script_checks if c.status == "fail"]
    if broken:
        raise GenerationError(
            "The rendered script failed its own checks (a bug in hf-train-mcp's runner): "
            + "; ".join(f"[{c.name}] {c.message}" for c in broken)
        )
    checks = [c.as_dict() for c in plan.checks] + [
        {**c.as_dict(), "name": f"script.{c.name}"} for c in script_checks
    ]
    return GeneratedScript(text, plan, checks, _save(text, plan, save_to))


def _save(text: str, plan: Plan, save_to: str | None) -> list[str]:
    digest = hashlib.sha256(text.encode()).hexdigest()[:10]
    name = f"{plan.method}-{plan.peft}-{Path(plan.config['output_dir']).name}-{digest}.py"
    private_dir(data_dir())
    saved = private_dir(data_dir() / "scripts") / name
    write_private(saved, text)
    written = [str(saved)]
    if save_to:
        target = writable_file(Path(save_to).expanduser(), argument="save_to")
        if target.is_dir():
            target = target / "train.py"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        written.append(str(target))
    return written
