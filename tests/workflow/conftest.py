"""Fixtures for the guided flow: the whole Hub as doubles, an MCP client in-process."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from doubles.full_hub import FakeHub, full_hub
from hf_train_mcp.dataset_inspection import viewer_client
from hf_train_mcp.jobs import backends, hub_backend


@pytest.fixture
def fake_hub(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> Iterator[FakeHub]:
    monkeypatch.setattr(hub_backend, "RETRY_BASE_DELAY", 0.01)
    monkeypatch.setattr(viewer_client, "RETRY_BASE_DELAY", 0.0)
    monkeypatch.setenv("HF_TRAIN_MCP_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setattr(backends, "_local_instance", None)
    with full_hub(monkeypatch) as hub:
        yield hub


@pytest.fixture
async def client(fake_hub: FakeHub) -> AsyncIterator[Any]:
    from hf_train_mcp.app import build_server
    from mcp import Client

    async with Client(build_server()) as connected:
        yield connected
