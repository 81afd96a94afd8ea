"""Turning a uv script (URL, local file or inline code) into the command of a Hub job.

A URL runs as `uv run [--with dep]... [--python X] URL args...`, exactly as `huggingface_hub` does.
A local file or inline code is shipped INSIDE the job spec: its text, base64-encoded, in an
environment variable that a `bash -c` prelude decodes to a file before `exec uv run`. No bucket
upload, no extra request: it works against any Hub, including a private one or a test double.
Local files named in `script_args` (a config file, say) travel the same way.
"""

from __future__ import annotations

import base64
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from hf_train_mcp import access
from hf_train_mcp.jobs.errors import JobsArgumentError

PAYLOAD_ENV_PREFIX = "HF_TRAIN_MCP_"  # environment variables carrying shipped files; local runs ignore them
SCRIPT_ENV = "HF_TRAIN_MCP_SCRIPT"
FILE_ENV_PREFIX = "HF_TRAIN_MCP_FILE_"
JOB_DIR = "/tmp/hf-train-mcp"
INLINE_FILE_NAME = "script.py"
# One environment string must stay under Linux's 128 KiB MAX_ARG_STRLEN once base64-encoded.
MAX_FILE_BYTES = 90_000
MAX_TOTAL_BYTES = 400_000

_URL = re.compile(r"^https?://\S+\Z")
_PATH_LIKE = re.compile(r"^[\w.~/\\:\-]+\.(py|sh|yaml|yml|toml|json|txt|cfg)$")
_EXEC_UV = re.compile(r'exec uv run (.*) "\$@"$')


@dataclass
class ResolvedScript:
    kind: Literal["url", "file", "inline"]
    source: str  # the URL, or the script's text
    file_name: str  # name the script gets inside the job
    origin: str  # for messages: the URL, the local path, or "inline code"


@dataclass
class UvCommand:
    command: list[str]
    env: dict[str, str] = field(default_factory=dict)  # payload variables to merge into the job's env
    shipped: dict[str, int] = field(default_factory=dict)  # job path -> bytes, for the answer


def _safe_name(name: str, default: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9._-]", "_", name).strip("._") or default
    return cleaned[:100]


def resolve_script(script: str, cwd: Path | None = None) -> ResolvedScript:
    """Decide what `script` is: a URL, a local file (read now), or inline Python code."""
    text = script.strip("\n") if "\n" in script else script.strip()
    if "\n" not in text and _URL.match(text):
        name = text.split("?", 1)[0].split("#", 1)[0].rstrip("/").rsplit("/", 1)[-1]
        return ResolvedScript("url", text, _safe_name(name, INLINE_FILE_NAME), text)
    if "\n" not in text:
        path = Path(text).expanduser()
        if not path.is_absolute() and cwd is not None:
            path = cwd / path
        if _PATH_LIKE.match(text) or access.written_as_path(text):
            # the access policy before any look at the disk: outside the allowed folders, one answer
            access.readable_file(path, argument="script", what="a script")
        is_file = access.may_look(path) and _is_file(path)
        if is_file:
            return ResolvedScript(
                "file", _read_text(path), _safe_name(path.name, INLINE_FILE_NAME), str(path)
            )
        if _PATH_LIKE.match(text):
            where = cwd or Path.cwd()
            raise JobsArgumentError(
                f"script {text!r} looks like a file path but no such file exists on the machine running "
                f"this server (relative paths start at {where}). Pass an absolute path, a URL "
                "(https://...), or the code itself as the script."
            )
    return ResolvedScript(
        "inline", text + ("\n" if not text.endswith("\n") else ""), INLINE_FILE_NAME, "inline code"
    )


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except (OSError, ValueError):  # a one-liner longer than a path may be
        return False


def _read_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise JobsArgumentError(f"cannot read {path}: {exc.strerror or exc}") from None
    if len(data) > MAX_FILE_BYTES:
        raise JobsArgumentError(
            f"{path} is {len(data)} bytes; files shipped inside the job spec are limited to "
            f"{MAX_FILE_BYTES}. Host it at a URL (a Hub repo file or a gist) and pass the URL as the script."
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise JobsArgumentError(
            f"{path} is not UTF-8 text; a uv script must be a Python source file"
        ) from None


def uv_flags(dependencies: list[str] | None, python: str | None) -> list[str]:
    flags: list[str] = []
    for dep in dependencies or []:
        flags += ["--with", dep]
    if python:
        flags += ["--python", python]
    return flags


def build_uv_command(
    resolved: ResolvedScript,
    *,
    dependencies: list[str] | None,
    python: str | None,
    script_args: list[str] | None,
    cwd: Path | None = None,
) -> UvCommand:
    """The Hub form of a uv job: command plus the environment variables carrying shipped files."""
    flags = uv_flags(dependencies, python)
    args = list(script_args or [])
    files: list[tuple[str, str]] = []  # (job path, text)
    if resolved.kind != "url":
        files.append((f"{JOB_DIR}/{resolved.file_name}", resolved.source))
    taken = {resolved.file_name}
    for i, arg in enumerate(args):
        path = Path(arg).expanduser()
        if not path.is_absolute() and cwd is not None:
            path = cwd / path
        # only files inside the allowed folders are shipped; any other argument goes to the job as text
        is_file = "\n" not in arg and access.may_look(path) and _is_file(path)
        if not is_file:
            continue
        name = _safe_name(path.name, f"file{i}")
        while name in taken:
            name = f"{i}_{name}"
        taken.add(name)
        job_path = f"{JOB_DIR}/inputs/{name}"
        files.append((job_path, _read_text(path)))
        args[i] = job_path
    if not files:
        return UvCommand(["uv", "run", *flags, resolved.source, *args])

    env: dict[str, str] = {}
    steps = [f"mkdir -p {JOB_DIR}/inputs"]
    shipped: dict[str, int] = {}
    total = 0
    for index, (job_path, text) in enumerate(files):
        data = text.encode()
        total += len(data)
        var = SCRIPT_ENV if index == 0 and resolved.kind != "url" else f"{FILE_ENV_PREFIX}{index}"
        env[var] = base64.b64encode(data).decode("ascii")
        steps.append(f'printf %s "${var}" | base64 -d > {shlex.quote(job_path)}')
        shipped[job_path] = len(data)
    if total > MAX_TOTAL_BYTES:
        raise JobsArgumentError(
            f"the files to ship inside the job spec total {total} bytes (limit {MAX_TOTAL_BYTES}); host the "
            "large ones at a URL or mount them with volumes."
        )
    target = resolved.source if resolved.kind == "url" else f"{JOB_DIR}/{resolved.file_name}"
    run = "exec uv run " + " ".join(shlex.quote(part) for part in [*flags, target]) + ' "$@"'
    prelude = " && ".join([*steps, run])
    return UvCommand(["bash", "-c", prelude, "uv-job", *args], env, shipped)


def describe_command(command: list[str] | None) -> str:
    """A readable one-line form; a shipped uv job reads as `uv run ... script.py args`."""
    if not command:
        return ""
    if len(command) >= 3 and command[0] == "bash" and command[1] == "-c" and PAYLOAD_ENV_PREFIX in command[2]:
        match = _EXEC_UV.search(command[2])
        if match:
            return shlex.join(["uv", "run", *shlex.split(match.group(1)), *command[4:]])
    return shlex.join(command)


def split_command(command: str | list[str]) -> list[str]:
    """A string command split like a shell would; shell operators are refused (they would not run)."""
    if isinstance(command, list):
        return command
    try:
        lexer = shlex.shlex(command, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        parts = list(lexer)
    except ValueError as exc:
        raise JobsArgumentError(
            f"command could not be split: {exc}. Send it as a list of strings instead."
        ) from None
    operators = [p for p in parts if p and all(c in "();<>|&" for c in p)]
    if operators:
        raise JobsArgumentError(
            f"command contains shell operator(s) {', '.join(sorted(set(operators)))}, which only a shell "
            'understands. Send a list: ["bash", "-c", "<your command line>"].'
        )
    return shlex.split(command)
