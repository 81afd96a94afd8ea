"""Isolation for every test: no real token, no real Hub, no user cache.

Set before anything imports huggingface_hub (it reads HF_HOME and HF_ENDPOINT at import time):
a test that forgets to start a Hub double then fails fast against a closed port instead of
reaching huggingface.co.
"""

from __future__ import annotations

import os
import tempfile

_SANDBOX = tempfile.mkdtemp(prefix="hf-train-mcp-tests-")
for _name in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_HUB_OFFLINE"):
    os.environ.pop(_name, None)
os.environ["HF_HOME"] = os.path.join(_SANDBOX, "hf_home")
os.environ["HF_ENDPOINT"] = "http://127.0.0.1:9"  # closed port: nothing leaves the machine
os.environ["HF_DATASETS_SERVER"] = "http://127.0.0.1:9"
os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
os.environ["HF_TRAIN_MCP_DATA_DIR"] = os.path.join(_SANDBOX, "data")
# Tests write scripts under pytest's tmp_path: allow the temp dir the way a user allows a folder.
# (tests/security/ narrows it again to check the policy.)
os.environ["HF_TRAIN_MCP_ALLOWED_PATHS"] = tempfile.gettempdir()

import subprocess  # noqa: E402
import sys  # noqa: E402

import pytest  # noqa: E402
from training.helpers import HERE, TinyAssets, script_env  # noqa: E402


def pytest_unconfigure(config: pytest.Config) -> None:
    """Leave no `hf-train-mcp-tests-*` folder behind (local jobs' data and the HF cache live there)."""
    import shutil

    shutil.rmtree(_SANDBOX, ignore_errors=True)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> TinyAssets:
    """One tiny random model and tiny datasets per session, built offline in a subprocess (the test
    process never imports torch or transformers)."""
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
