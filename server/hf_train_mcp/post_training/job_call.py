"""What every after-training job tool shares: where a model reference points, the flavor and timeout
checks, rendering and saving the script, and the ready `hf_jobs` uv call (the same shape as
generate_training_script's, so an agent submits both the same way)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hf_train_mcp.access import writable_file
from hf_train_mcp.jobs.model import LOCAL_FLAVOR
from hf_train_mcp.jobs.timeouts import format_duration, parse_timeout
from hf_train_mcp.paths import data_dir, private_dir, write_private
from hf_train_mcp.post_training.errors import PostTrainingError
from hf_train_mcp.training.generate import TOKEN_SECRET
from hf_train_mcp.training.requests import is_hub_id


def is_local_ref(ref: str) -> bool:
    """A folder on this machine (it exists, or is written as a path), not a Hub id."""
    return ref.startswith(("/", "./", "../", "~")) or Path(ref).expanduser().exists()


def check_ref(name: str, ref: str, flavor: str) -> str:
    """`ref` as the job will read it; a ToolError when a cloud job could not reach it."""
    ref = ref.strip()
    if is_local_ref(ref):
        if flavor != LOCAL_FLAVOR:
            raise PostTrainingError(
                f"{name} {ref!r} is a folder on this machine: a cloud job cannot read it. Pass the Hub repo "
                "the training pushed to (hub_model_id), or use flavor 'local'."
            )
        return str(Path(ref).expanduser().resolve())
    if not is_hub_id(ref):
        raise PostTrainingError(
            f"{name} {ref!r} is neither an existing folder nor a Hub id like 'user/model'."
        )
    return ref


def check_repo(name: str, repo_id: str | None) -> str | None:
    if repo_id is None:
        return None
    if "/" not in repo_id or not is_hub_id(repo_id):
        raise PostTrainingError(f"{name} {repo_id!r} is not a Hub repo id: send 'your-username/repo-name'.")
    return repo_id


def check_flavor(flavor: str) -> str:
    """A known Jobs flavor (live list or bundled table) or 'local'."""
    from hf_train_mcp.hardware.api import flavor_info
    from hf_train_mcp.hardware.catalog import current

    if flavor == LOCAL_FLAVOR or flavor_info(flavor) is not None:
        return flavor
    known = ", ".join(sorted(current()))
    raise PostTrainingError(f"unknown flavor {flavor!r}. Send 'local' or one of: {known}.")


def check_timeout(timeout: str) -> tuple[str, int]:
    try:
        seconds = parse_timeout(timeout)
    except ValueError as exc:
        raise PostTrainingError(
            f"timeout {timeout!r}: {exc}. Send a duration such as '90m' or '2h'."
        ) from None
    return format_duration(seconds), seconds


def save_script(text: str, stem: str, save_to: str | None) -> list[str]:
    """Save under the data dir (by hash) and to `save_to` if asked; the last path is the one to use."""
    digest = hashlib.sha256(text.encode()).hexdigest()[:10]
    private_dir(data_dir())
    saved = private_dir(data_dir() / "scripts") / f"{stem}-{digest}.py"
    write_private(saved, text)
    written = [str(saved)]
    if save_to:
        target = writable_file(Path(save_to).expanduser(), argument="save_to")
        if target.is_dir():
            target = target / f"{stem}.py"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        written.append(str(target))
    return written


def hf_jobs_call(script_path: str, flavor: str, timeout: str, text: str) -> dict[str, Any]:
    """The `hf_jobs` uv call (by path) and the same call with the script inline (for remote servers)."""
    args: dict[str, Any] = {"script": script_path, "flavor": flavor, "timeout": timeout}
    if flavor != LOCAL_FLAVOR:
        args["secrets"] = dict(TOKEN_SECRET)
    call = {"operation": "uv", "args": args}
    return {"hf_jobs": call, "hf_jobs_inline": {**call, "args": {**args, "script": text}}}


@dataclass(frozen=True)
class JobScript:
    """A rendered job script, saved, with its ready `hf_jobs` calls: what evaluate_model and export_model
    both answer with, so their answers keep one shape."""

    text: str
    saved_paths: list[str]
    calls: dict[str, Any]
    timeout: str
    timeout_seconds: int

    @property
    def path(self) -> str:
        """The saved copy to submit (save_to when given, else the one in the data dir)."""
        return self.saved_paths[-1]

    def submit_markdown(self) -> list[str]:
        """Where the script is and the hf_jobs call that submits it, as markdown lines."""
        call = json.dumps(self.calls["hf_jobs"], indent=2)
        return [f"Script saved to `{self.path}`. Submit it:", "", "```json", call, "```"]

    def data(self, config: dict[str, Any]) -> dict[str, Any]:
        """The structured content: the script, where it is, its settings and the calls."""
        return {
            "ok": True,
            "script": self.text,
            "script_path": self.path,
            "saved_paths": self.saved_paths,
            "config": config,
            "timeout_seconds": self.timeout_seconds,
            **self.calls,
        }


def job_script(
    module: str,
    config: dict[str, Any],
    dependencies: list[str],
    args: dict[str, Any],
    save_to: str | None,
    *,
    title: str,
    what: str,
    stem: str,
) -> JobScript:
    """Check the timeout, render `post_training/jobs/<module>.py` with `config`, save it and build the calls.

    `args`: the tool's arguments (its flavor and timeout); `save_to`: where else to write it; `what` names
    the job in the error when a value cannot be rendered as an inert literal; `stem`: the saved file name."""
    from hf_train_mcp.post_training.scripts import render_job
    from hf_train_mcp.training.render import RenderError

    timeout_text, timeout_seconds = check_timeout(args["timeout"])
    try:
        text = render_job(module, config, dependencies, title)
    except RenderError as exc:
        raise PostTrainingError(f"Could not render the {what} script safely: {exc}") from None
    saved = save_script(text, stem, save_to)
    calls = hf_jobs_call(saved[-1], args["flavor"], timeout_text, text)
    return JobScript(text, saved, calls, timeout_text, timeout_seconds)
