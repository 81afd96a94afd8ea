"""Where hf-train-mcp keeps its files (generated scripts, local jobs): one directory for everything.

$HF_TRAIN_MCP_DATA_DIR when set, else the user's cache directory ($XDG_CACHE_HOME/hf-train-mcp,
default ~/.cache/hf-train-mcp): everything there can be rebuilt or is owned by a finished job.
"""

from __future__ import annotations

import os
from pathlib import Path

DATA_DIR_ENV = "HF_TRAIN_MCP_DATA_DIR"


def data_dir() -> Path:
    configured = os.environ.get(DATA_DIR_ENV)
    if configured:
        return Path(configured).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(cache) / "hf-train-mcp"
