"""The local rehearsal: run a training script for a couple of steps on a tiny model, before paying for a GPU.

The script runs in a subprocess (`--dry-run --max-steps N --max-rows R --output-dir <tmp>`, plus `--model`
and `--dataset` overrides): with this interpreter when it has the training stack installed, otherwise with
`uv run` (which installs the script's pinned dependencies). The model is one the caller points to, or a
config-sized copy of the script's model with random weights (tiny_model.py). Nothing is pushed.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from hf_train_mcp.redact import redact
from hf_train_mcp.training.summary import parse_summary

STACK_MODULES = ("torch", "transformers", "trl", "peft", "datasets", "accelerate")
_ERROR_LINE = re.compile(r"^(\[hf-train\] ERROR: .*|[A-Za-z_.]*(Error|Exception|Exit)\b.*)$")


@dataclass
class DryRunResult:
    ok: bool
    returncode: int | None
    duration_s: float
    command: list[str]
    interpreter: str
    summary: dict[str, Any] | None = None
    error: str | None = None
    log_tail: str = ""
    files: list[str] = field(default_factory=list)
    model: str | None = None
    timed_out: bool = False

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def has_training_stack() -> bool:
    """Whether this interpreter can run the scripts directly (find_spec: nothing is imported)."""
    return all(importlib.util.find_spec(m) is not None for m in STACK_MODULES)


def _runner(script: Path) -> tuple[list[str], str]:
    if has_training_stack():
        return [sys.executable, str(script)], f"{sys.executable} (training stack installed)"
    uv = shutil.which("uv")
    if uv is None:
        try:
            from uv import find_uv_bin  # the `uv` Python package ships the binary

            uv = find_uv_bin()
        except Exception:
            uv = None
    if uv is None:
        raise RuntimeError(
            "cannot rehearse: this interpreter lacks the training stack and `uv` is not installed. "
            "Install uv, or `pip install -r requirements-train.txt` into the server's environment."
        )
    return [uv, "run", "--script", str(script)], "uv run (installs the script's pinned dependencies)"


def _tail(text: str, lines: int = 40, chars: int = 6000) -> str:
    kept = [ln for ln in text.splitlines() if "it/s]" not in ln and "s/it]" not in ln]  # progress bars
    return redact("\n".join(kept[-lines:])[-chars:])


def _error_of(log: str) -> str | None:
    for line in reversed(log.splitlines()):
        line = line.strip()
        if _ERROR_LINE.match(line):
            return redact(line[:1000])
    return None


def _run(
    command: list[str], *, cwd: str, timeout_s: float, env: dict[str, str]
) -> tuple[int | None, str, bool]:
    proc = subprocess.Popen(
        command,
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
        start_new_session=True,
    )
    try:
        out, _ = proc.communicate(timeout=timeout_s)
        return proc.returncode, out, False
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)  # the whole group: torchrun or uv children included
        out, _ = proc.communicate()
        return None, out or "", True


def build_tiny_model(source: str, out_dir: str, *, timeout_s: float = 300) -> tuple[bool, str]:
    """Config-sized random copy of `source` in out_dir (subprocess). Returns (ok, log)."""
    command = [sys.executable, "-m", "hf_train_mcp.training.tiny_model", source, out_dir]
    rc, out, timed_out = _run(command, cwd=out_dir, timeout_s=timeout_s, env=_env())
    if timed_out:
        return False, f"building a tiny copy of {source} timed out after {timeout_s:.0f}s"
    return rc == 0, out


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("TOKENIZERS_PARALLELISM", "false")
    env.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    env.setdefault("HF_DATASETS_DISABLE_PROGRESS_BARS", "1")
    env["PYTHONUNBUFFERED"] = "1"
    # the rehearsal runs the package from wherever this server runs (checkouts included)
    package_root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = package_root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


def dry_run(
    script_text: str,
    *,
    model: str | None = None,
    tiny_from: str | None = None,
    dataset: str | None = None,
    max_steps: int = 2,
    max_rows: int = 8,
    timeout_s: float = 600,
    keep_dir: str | None = None,
) -> DryRunResult:
    """Rehearse `script_text`. `model`: use as is; else a tiny copy of `tiny_from` (a Hub id or folder)."""
    started = time.monotonic()
    work = Path(keep_dir) if keep_dir else Path(tempfile.mkdtemp(prefix="hf-train-dry-run-"))
    work.mkdir(parents=True, exist_ok=True)
    script = work / "train.py"
    script.write_text(script_text, encoding="utf-8")
    try:
        base, interpreter = _runner(script)
    except RuntimeError as exc:
        return DryRunResult(False, None, 0.0, [], "none", error=str(exc))
    used_model = model
    log_prefix = ""
    if used_model is None and tiny_from is not None:
        tiny_dir = work / "tiny-model"
        tiny_dir.mkdir(exist_ok=True)
        ok, log = build_tiny_model(tiny_from, str(tiny_dir), timeout_s=min(timeout_s, 300))
        if not ok:
            return DryRunResult(
                False,
                None,
                round(time.monotonic() - started, 2),
                [],
                interpreter,
                error=f"could not build a tiny copy of {tiny_from}: " + (_error_of(log) or "see log_tail"),
                log_tail=_tail(log),
            )
        used_model = str(tiny_dir)
        log_prefix = _tail(log, lines=3) + "\n"
    output_dir = work / "output"
    command = [
        *base,
        "--dry-run",
        "--max-steps",
        str(max_steps),
        "--max-rows",
        str(max_rows),
        "--output-dir",
        str(output_dir),
        "--no-resume",
    ]
    if used_model:
        command += ["--model", used_model]
    if dataset:
        command += ["--dataset", dataset]
    remaining = max(timeout_s - (time.monotonic() - started), 10)
    rc, log, timed_out = _run(command, cwd=str(work), timeout_s=remaining, env=_env())
    summary = parse_summary(log)
    ok = rc == 0 and summary is not None and not timed_out
    error = None
    if timed_out:
        error = f"the rehearsal did not finish in {timeout_s:.0f}s"
    elif not ok:
        error = _error_of(log) or f"exit code {rc}, no summary line"
    files = (
        sorted(str(p.relative_to(output_dir)) for p in output_dir.rglob("*") if p.is_file())
        if (output_dir.is_dir())
        else []
    )
    result = DryRunResult(
        ok=ok,
        returncode=rc,
        duration_s=round(time.monotonic() - started, 2),
        command=[redact(c) for c in command],
        interpreter=interpreter,
        summary=summary,
        error=error,
        log_tail=log_prefix + _tail(log),
        files=[f for f in files if not f.startswith("checkpoint-")][:50],
        model=used_model,
        timed_out=timed_out,
    )
    if keep_dir is None:
        shutil.rmtree(work, ignore_errors=True)
    return result
