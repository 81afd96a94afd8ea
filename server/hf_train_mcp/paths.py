"""Where hf-train-mcp keeps its files (generated scripts, local jobs): one directory for everything.

$HF_TRAIN_MCP_DATA_DIR when set, else the user's cache directory ($XDG_CACHE_HOME/hf-train-mcp,
default ~/.cache/hf-train-mcp): everything there can be rebuilt or is owned by a finished job.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

DATA_DIR_ENV = "HF_TRAIN_MCP_DATA_DIR"
# Everything under the data directory is the user's own: folders 0700, files 0600.


def data_dir() -> Path:
    configured = os.environ.get(DATA_DIR_ENV)
    if configured:
        return Path(configured).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(cache) / "hf-train-mcp"


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
