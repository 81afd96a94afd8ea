"""What callers may do on this server's machine: one policy, set when the server starts, that tools consult.

Over stdio the caller is the user who started the server: local jobs, dry runs and local paths are
allowed. Over HTTP the caller is whoever reaches the port: running commands on this machine (local jobs,
dry runs of a script) and reading or writing its files (script paths, `save_to`, local datasets and
models) are off unless the server was started with `--allow-local`.

Whatever the transport, tools read and write files only under the allowed roots: the working
directory, the data directory, and the folders the user configured (`--allow-path`, or
`HF_TRAIN_MCP_ALLOWED_PATHS` separated by the OS path separator).

Tools call one-line hooks: `require_local("...")`, `readable_file(path, ...)`, `writable_file(path, ...)`,
and `local_path(value, ...)` where a value may be a path or something else (a Hub id, a script's text).
The policy always comes before any look at the disk, so a refusal says nothing about what exists.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from hf_train_mcp.errors import AccessDeniedError, AgentError
from hf_train_mcp.paths import data_dir

ALLOWED_PATHS_ENV = "HF_TRAIN_MCP_ALLOWED_PATHS"
ALLOW_LOCAL_HINT = (
    "This server serves MCP over HTTP without --allow-local, so callers cannot run commands on or touch "
    'files of its machine. Use a Hugging Face flavor (e.g. "cpu-basic", "a10g-large") and pass script '
    "text instead of paths; or, if every caller is trusted, restart the server with --allow-local."
)


@dataclass(frozen=True)
class AccessPolicy:
    """`allow_local`: local jobs, dry runs, local paths allowed. `extra_roots`: folders the user allowed."""

    transport: str = "stdio"
    allow_local: bool = True
    extra_roots: tuple[Path, ...] = field(default_factory=tuple)
    hf_token_from_caller: bool = False  # HTTP `--auth hf`: each caller's bearer is its HF token

    def roots(self) -> list[Path]:
        configured = [Path(p) for p in os.environ.get(ALLOWED_PATHS_ENV, "").split(os.pathsep) if p.strip()]
        return [_real(p) for p in (Path.cwd(), data_dir(), *self.extra_roots, *configured)]


_policy = AccessPolicy()


def set_policy(policy: AccessPolicy) -> None:
    global _policy
    _policy = policy


def policy() -> AccessPolicy:
    return _policy


def local_allowed() -> bool:
    return _policy.allow_local


def require_local(what: str) -> None:
    """Refuse `what` (e.g. 'local jobs (flavor "local")') when the policy keeps callers off this machine."""
    if not _policy.allow_local:
        raise AccessDeniedError(f"{what} is off on this server. {ALLOW_LOCAL_HINT}")


def _real(path: Path) -> Path:
    return Path(os.path.realpath(path.expanduser()))


def _inside_roots(path: Path, argument: str) -> Path:
    real = _real(path)
    roots = _policy.roots()
    if not any(real == root or root in real.parents for root in roots):
        shown = ", ".join(str(r) for r in roots)
        raise AccessDeniedError(
            f"`{argument}`: {_short(str(path))} is outside the folders this server reads and writes "
            f"({shown}). "
            f"Use a path under one of them, or ask the user to allow the folder (--allow-path DIR or "
            f"{ALLOWED_PATHS_ENV})."
        )
    return real


def readable_file(path: str | Path, *, argument: str, what: str = "a file") -> Path:
    """`path` resolved (links followed) if the caller may read it: local access on, inside the roots."""
    require_local(f"Reading {what} from this machine's disk (`{argument}`)")
    return _inside_roots(Path(path), argument)


def writable_file(path: str | Path, *, argument: str) -> Path:
    """`path` resolved if the caller may write it: local access on, inside the roots."""
    require_local(f"Writing files on this machine (`{argument}`)")
    return _inside_roots(Path(path), argument)


# Written like a path: what a Hub id ("org/name") or a line of Python never starts with.
PATH_PREFIXES = ("/", "~", "./", "../", ".\\", "..\\")


def written_as_path(value: str) -> bool:
    """`value` can only mean a place on disk (absolute, ~, ./ or ../), whether or not it exists."""
    return value.startswith(PATH_PREFIXES) or (len(value) > 2 and value[1:3] in (":\\", ":/"))


def may_look(path: str | Path) -> bool:
    """Whether this server may look at `path` at all (does it exist? a file?): local access is on and it
    resolves inside the allowed roots. Looking anywhere else would tell a caller what exists outside."""
    if not _policy.allow_local:
        return False
    try:
        real = _real(Path(path))
    except (OSError, ValueError):
        return False
    return any(real == root or root in real.parents for root in _policy.roots())


def local_path(value: str, *, argument: str, what: str, looks_local: bool = False) -> Path | None:
    """The place on disk `value` names, or None when it names something else (a Hub id, inline text).

    The policy comes before any look at the disk: a value written as a path (or `looks_local`) is
    refused when local access is off or it lies outside the allowed roots, with the same message
    whether it exists or not; only a value inside the roots is looked up to tell "a local folder"
    from "a Hub id". The caller checks existence of what is returned, and says so when it is missing.
    """
    text = value.strip()
    if not text or "\n" in text or "\x00" in text:
        return None
    path = Path(text).expanduser()
    if looks_local or written_as_path(text):
        return _usable(readable_file(path, argument=argument, what=what), value, argument)
    if may_look(path) and _exists(path):
        return readable_file(path, argument=argument, what=what)
    return None


def _exists(path: Path) -> bool:
    try:
        return path.exists()
    except (OSError, ValueError):  # a name too long for the file system: nothing there
        return False


def _usable(real: Path, value: str, argument: str) -> Path:
    """`real`, once the OS accepts it as a path (callers then check existence without surprises)."""
    try:
        real.exists()
    except OSError as exc:
        raise AgentError(
            f"`{argument}`: {_short(value)} is not a usable path ({exc.strerror or exc}); pass a shorter "
            "path, a Hub id, or the text itself."
        ) from None
    return real


def _short(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[: limit - 20] + f"... ({len(text)} characters)"


def read_training_script(path: str | Path, *, argument: str, max_bytes: int) -> str:
    """The text of a training script at `path`, if the caller may read it and it is one.

    Only `.py` files inside the roots, at most `max_bytes`, that parse as Python: anything else is
    refused without quoting a byte of it (a path must not turn a tool into a file reader)."""
    import ast

    real = readable_file(path, argument=argument, what="a script")
    if real.suffix != ".py":
        raise AccessDeniedError(
            f"`{argument}`: {_short(str(path))} is not a .py file; pass a Python training script's path "
            "(e.g. train.py) or its text."
        )
    if real.stat().st_size > max_bytes:
        raise AccessDeniedError(f"`{argument}`: {_short(str(path))} is larger than {max_bytes} bytes.")
    text = real.read_text(encoding="utf-8", errors="replace")
    try:
        ast.parse(text)
    except (SyntaxError, ValueError) as exc:
        line = getattr(exc, "lineno", None)
        raise AccessDeniedError(
            f"`{argument}`: {_short(str(path))} is not valid Python"
            + (f" (syntax error at line {line})" if line else "")
            + "; fix it and call again."
        ) from None
    return text
