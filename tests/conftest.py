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

import pytest  # noqa: E402


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
