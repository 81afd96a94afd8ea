"""Versions the after-training jobs pin: the training stack (read from training/requirements-train.txt)
plus requirements-post.txt beside this file, and the llama.cpp converter's sdist (converter.json).

Read with the training package's own pin reader, so both files obey one grammar (exact `name==version`).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from hf_train_mcp.training.render import read_pins, training_pins

_HERE = Path(__file__).resolve().parent
POST_PINS = _HERE / "requirements-post.txt"
CONVERTER = _HERE / "converter.json"


@cache
def post_pins() -> dict[str, str]:
    """name -> version for gguf, llama-cpp-python, lm-eval, gradio, ... (requirements-post.txt)."""
    return read_pins(POST_PINS)


@cache
def converter_source() -> dict[str, Any]:
    """Where llama.cpp's convert_hf_to_gguf.py comes from: the pinned sdist, its sha256, what to extract."""
    data = json.loads(CONVERTER.read_text(encoding="utf-8"))
    version = post_pins()[data["package"]]
    if version not in data["sdist"]:
        raise ValueError(f"converter.json names {data['sdist']} but requirements-post.txt pins {version}")
    return {**data, "version": version}


def requirement(name: str) -> str:
    """`name==version` from the training stack or the post-training pins (KeyError if unpinned)."""
    pins = {**training_pins(), **post_pins()}
    return f"{name}=={pins[name]}"


def requirements(*names: str) -> list[str]:
    return [requirement(n) for n in names]
