"""Fixtures for the training tests: one tiny model and tiny datasets per session, built offline in a
subprocess (the test process never imports torch or transformers)."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest
from training.helpers import HERE, TinyAssets, script_env


@pytest.fixture(scope="session")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> TinyAssets:
    root = tmp_path_factory.mktemp("tiny")
    code = (
        "import sys; from pathlib import Path; import tiny; r = Path(sys.argv[1]); "
        "tiny.build_tiny_model(r / 'model'); "
        "tiny.write_jsonl(r / 'sft.jsonl', tiny.SFT_ROWS); tiny.write_jsonl(r / 'dpo.jsonl', tiny.DPO_ROWS); "
        "tiny.write_jsonl(r / 'messages.jsonl', tiny.MESSAGES_ROWS)"
    )
    subprocess.run(
        [sys.executable, "-c", code, str(root)],
        cwd=HERE,
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
        env=script_env(),
    )
    return TinyAssets(root, root / "model", root / "sft.jsonl", root / "dpo.jsonl", root / "messages.jsonl")


@pytest.fixture
def no_hardware_model(monkeypatch: pytest.MonkeyPatch) -> None:
    """recommend/estimate as they were before the hardware model existed (NotImplementedError)."""
    from hf_train_mcp.hardware import api

    def not_built(*args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("hardware model not built yet")

    monkeypatch.setattr(api, "recommend", not_built)
    monkeypatch.setattr(api, "estimate", not_built)
