"""Fixtures for hf_jobs tests: the Jobs API double, a fast retry policy, an MCP client in-process."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from doubles.jobs_api import JobsApiState, hub_double
from hf_train_mcp.jobs import backends, hub_backend


@pytest.fixture(autouse=True)
def _fast_and_isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    monkeypatch.setattr(hub_backend, "RETRY_BASE_DELAY", 0.01)
    monkeypatch.setenv("HF_TRAIN_MCP_HUB_TIMEOUT", "10")
    # local jobs of other tests must not show up in ps: a fresh, empty local store per test
    monkeypatch.setenv("HF_TRAIN_MCP_DATA_DIR", str(tmp_path / "local-data"))
    monkeypatch.setattr(backends, "_local_instance", None)
    # the token's user is cached per (endpoint, token): a double on a port an earlier test used is a new Hub
    monkeypatch.setattr(hub_backend, "_namespace_cache", {})
    # the flavor catalog caches the live hardware list (and failures) per process: start each test clean
    from hf_train_mcp.hardware import catalog

    catalog.reset()


@pytest.fixture
def jobs_api(monkeypatch: pytest.MonkeyPatch) -> Iterator[JobsApiState]:
    """The Jobs API double, with HF_ENDPOINT and HF_TOKEN pointing at it."""
    with hub_double(monkeypatch) as state:
        yield state


@dataclass
class Reply:
    """One hf_jobs answer, with everything an agent could see."""

    is_error: bool
    text: str
    data: dict[str, Any] | None
    progress: list[str] = field(default_factory=list)

    def everything(self) -> str:
        return "\n".join([self.text, json.dumps(self.data), *self.progress])


class JobsCaller:
    def __init__(self, client: Any) -> None:
        self.client = client

    async def __call__(
        self, operation: str | None = None, args: dict[str, Any] | None = None, **raw: Any
    ) -> Reply:
        arguments: dict[str, Any] = dict(raw)
        if operation is not None:
            arguments["operation"] = operation
        if args is not None:
            arguments["args"] = args
        progress: list[str] = []

        async def on_progress(value: float, total: float | None, message: str | None) -> None:
            progress.append(message or "")

        result = await self.client.call_tool("hf_jobs", arguments, progress_callback=on_progress)
        text = "\n".join(getattr(block, "text", "") for block in result.content)
        return Reply(bool(result.is_error), text, result.structured_content, progress)


@pytest.fixture
async def hf_jobs(jobs_api: JobsApiState) -> AsyncIterator[JobsCaller]:
    """`await hf_jobs("ps", {...})` through a real MCP client connected in-process."""
    from hf_train_mcp.app import build_server
    from mcp import Client

    async with Client(build_server()) as client:
        yield JobsCaller(client)


@pytest.fixture
async def hf_jobs_no_hub(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[JobsCaller]:
    """The same client with no Hub double (closed port) and no token."""
    from hf_train_mcp.app import build_server
    from mcp import Client

    monkeypatch.delenv("HF_TOKEN", raising=False)
    async with Client(build_server()) as client:
        yield JobsCaller(client)
