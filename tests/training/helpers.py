"""Helpers for the training tests (fixtures are in conftest.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


@dataclass
class TinyAssets:
    root: Path
    model: Path
    sft_data: Path  # question/answer/note columns: needs a column mapping onto prompt/completion
    dpo_data: Path  # instruction/good/bad columns: needs a column mapping onto prompt/chosen/rejected
    messages_data: Path  # conversational, already in TRL's format


def script_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(TOKENIZERS_PARALLELISM="false", HF_DATASETS_DISABLE_PROGRESS_BARS="1", PYTHONUNBUFFERED="1")
    env.update(OMP_NUM_THREADS="1", CUDA_VISIBLE_DEVICES="")
    return env


def run_script(script: Path, *args: str, cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(script), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=script_env(),
    )


def request(**overrides: Any) -> dict[str, Any]:
    """A valid request that needs neither the Hub nor the hardware model (flavor 'local')."""
    data: dict[str, Any] = {
        "method": "sft",
        "peft": "lora",
        "model": "Qwen/Qwen2.5-0.5B",
        "dataset": "trl-lib/Capybara",
        "hub_model_id": "me/run",
        "flavor": "local",
        "timeout": "2h",
    }
    data.update(overrides)
    return data
