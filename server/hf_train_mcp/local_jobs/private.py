"""Local-job files are private to the user running the server, and hold no secret values.

The data directory and every job folder are 0700, files 0600: a job's command, logs and database
are nobody else's business on a shared machine. Job records keep environment values only when they
are not secret: a value under a secret-looking name (HF_TOKEN, *_API_KEY, ...) or containing a
registered secret (the caller's token substituted for `$HF_TOKEN`) is stored as the mask.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Mapping
from pathlib import Path

from hf_train_mcp.redact import MASK, redact

DIR_MODE = 0o700
FILE_MODE = 0o600


def private_dir(path: Path) -> Path:
    """Create `path` (and parents) if needed, and make it 0700."""
    path.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    with contextlib.suppress(OSError):  # not ours (a shared parent): leave it
        os.chmod(path, DIR_MODE)
    return path


def private_file(path: Path) -> Path:
    """Create `path` empty if missing, and make it 0600 (before anything secret-adjacent is written)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, FILE_MODE)
    os.close(fd)
    with contextlib.suppress(OSError):
        os.chmod(path, FILE_MODE)
    return path


def write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    with open(fd, "w", encoding="utf-8") as handle:
        handle.write(text)


def secret_env_values(env: Mapping[str, str]) -> list[str]:
    """The values of `env` that are secrets (by name, or a registered secret such as the token)."""
    from hf_train_mcp.jobs.submission import looks_secret

    return [value for name, value in env.items() if looks_secret(name) or redact(value) != value]


def stored_env(env: Mapping[str, str]) -> dict[str, str]:
    """The environment as a job record may keep it: secret values replaced by the mask."""
    from hf_train_mcp.jobs.submission import looks_secret

    return {name: MASK if looks_secret(name) else redact(value) for name, value in env.items()}
