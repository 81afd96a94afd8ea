"""The retry layer's own pace, seen in the requests the Hub double receives: a read that fails is sent three
times in all by default, the second try about 0.5 s after the first and the third about 1 s after the
second (jittered up by at most half); a wait that would not end before the call's Hub budget is not
started; a Hub that cannot be reached is named, with its address, in the answer."""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from doubles.full_hub import QWEN_CONFIG, FakeHub, full_hub
from hf_train_mcp import hub as hub_module
from hf_train_mcp.app import build_server
from hf_train_mcp.hardware import models
from mcp import Client

pytestmark = pytest.mark.anyio

# The jitter pinned at its top: each wait is the backoff delay x (1 + 0.999 / 2).
JITTER = 0.999
FACTOR = 1 + JITTER / 2


@pytest.fixture
def hub(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[FakeHub]:
    monkeypatch.setenv("HF_TRAIN_MCP_HUB_TIMEOUT", "10")  # a call's Hub budget: 3 x 10 + 2 = 32 s
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf_home"))
    models.clear_cache()
    with full_hub(monkeypatch) as fake:
        yield fake
    models.clear_cache()


def fresh_model(hub: FakeHub) -> tuple[str, str]:
    """A model no earlier lookup cached, and the path of its model-info request."""
    name = f"acme/qwen-{uuid.uuid4().hex[:8]}"
    hub.repos.add_model(name, config=QWEN_CONFIG, parameters=494_032_768)
    return name, rf"^/api/models/{name}$"


async def recommend(model: str) -> Any:
    async with Client(build_server()) as client:
        return await client.call_tool("recommend_hardware", {"model": model})


async def test_a_lookup_that_heals_is_retried_after_half_a_second_then_a_second(
    hub: FakeHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(random, "random", lambda: JITTER)
    model, info = fresh_model(hub)
    hub.jobs.server.inject("GET", info, status=503, times=2, body={"error": "busy"})
    result = await recommend(model)
    assert not result.is_error, result.content
    first, second, third = hub.jobs.server.received("GET", info)
    # waits of 0.5 x 1.4995 and 1.0 x 1.4995 s; the requests themselves only add to them
    assert 0.5 * FACTOR - 0.01 <= second.at - first.at < 0.5 * FACTOR + 0.45
    assert 1.0 * FACTOR - 0.01 <= third.at - second.at < 1.0 * FACTOR + 0.6


async def test_a_lookup_that_keeps_failing_is_sent_three_times(hub: FakeHub) -> None:
    model, info = fresh_model(hub)
    hub.jobs.server.inject("GET", info, status=503, times=100, body={"error": "down"})
    await recommend(model)  # the answer falls back to what the name tells; the requests are what count
    assert len(hub.jobs.server.received("GET", info)) == 3


def test_no_wait_is_started_that_would_end_within_half_a_second_of_the_budget(
    hub: FakeHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a Retry-After of 2 s: with 2.6 s of budget left it is waited for, with 2.4 s it is not (the retry
    # would have under half a second to be answered)
    model, info = fresh_model(hub)
    api = hub_module.get_api()
    for budget, sent in ((2.6, 2), (2.4, 1)):
        before = len(hub.jobs.server.received("GET", info))
        hub.jobs.server.inject("GET", info, status=429, times=1, headers={"Retry-After": "2"}, body={})
        started = time.monotonic()
        with hub_module.call_budget(budget):
            try:
                hub_module.call_with_retries(lambda: api.model_info(model), what="model_info")
            except Exception as exc:
                assert sent == 1 and hub_module.status_of(exc) == 429
        assert len(hub.jobs.server.received("GET", info)) - before == sent, budget
        assert time.monotonic() - started < (2.6 if sent == 2 else 0.5)
