"""One retry layer: a failing Hub request is sent at most `attempts` times in all, never attempts x the
retries huggingface_hub's own backoff would add (its `http_backoff` sends a request 6 times, sleeping
1-8 s or whatever Retry-After says). Counted at the loopback doubles, through the real
huggingface_hub client and an in-process MCP client."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from doubles.full_hub import FakeHub, full_hub
from hf_train_mcp.app import build_server
from hf_train_mcp.dataset_inspection import viewer_client
from hf_train_mcp.jobs import backends, hub_backend
from mcp import Client

pytestmark = pytest.mark.anyio

LIST = r"^/api/jobs/alice$"
ROWS = "\n".join(json.dumps({"prompt": f"q{i}", "completion": f"a{i}"}) for i in range(5))


@pytest.fixture
def hub(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[FakeHub]:
    monkeypatch.setattr(hub_backend, "RETRY_BASE_DELAY", 0.01)
    monkeypatch.setattr(viewer_client, "RETRY_BASE_DELAY", 0.0)
    monkeypatch.setenv("HF_TRAIN_MCP_HUB_TIMEOUT", "10")
    monkeypatch.setenv("HF_TRAIN_MCP_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf_home"))
    monkeypatch.setattr(backends, "_local_instance", None)
    with full_hub(monkeypatch) as fake:
        yield fake


def _text(result: Any) -> str:
    return "\n".join(getattr(block, "text", "") for block in result.content)


async def _call(tool: str, arguments: dict[str, Any]) -> tuple[Any, float]:
    async with Client(build_server()) as client:
        started = time.monotonic()
        result = await client.call_tool(tool, arguments)
        return result, time.monotonic() - started


async def test_a_failing_paginated_list_is_sent_attempts_times_in_all(hub: FakeHub) -> None:
    hub.jobs.server.inject("GET", LIST, status=503, times=1000)
    result, elapsed = await _call("hf_jobs", {"operation": "ps"})
    sent = len(hub.jobs.server.received("GET", LIST))
    # 4 of ours, not 4 x 6 (huggingface_hub's backoff inside each): and no 1-8 s sleeps between them
    assert sent == hub_backend.READ_ATTEMPTS, sent
    assert "503" in _text(result) and elapsed < 5, (elapsed, _text(result))


async def test_a_list_that_heals_is_answered_by_our_retries(hub: FakeHub) -> None:
    hub.jobs.server.inject("GET", LIST, status=502, times=2)
    result, elapsed = await _call("hf_jobs", {"operation": "ps"})
    assert not result.is_error and "502" not in _text(result), _text(result)
    assert len(hub.jobs.server.received("GET", LIST)) == 3
    assert elapsed < 2.5  # huggingface_hub's backoff would have slept 1 s + 2 s


async def test_a_rate_limit_longer_than_the_budget_is_not_waited_for(hub: FakeHub) -> None:
    hub.jobs.server.inject("GET", LIST, status=429, times=1000, headers={"Retry-After": "3600"})
    result, elapsed = await _call("hf_jobs", {"operation": "ps"})
    assert len(hub.jobs.server.received("GET", LIST)) == 1  # huggingface_hub would sleep 3601 s, then resend
    assert "rate limiting" in _text(result) and elapsed < 5, (elapsed, _text(result))


@pytest.mark.parametrize("status", [400, 403, 408])
async def test_errors_that_cannot_heal_are_sent_once(hub: FakeHub, status: int) -> None:
    hub.jobs.server.inject("GET", LIST, status=status, times=1000)
    result, _ = await _call("hf_jobs", {"operation": "ps"})
    assert len(hub.jobs.server.received("GET", LIST)) == 1, status  # 408: huggingface_hub retries it 5x
    assert str(status) in _text(result)


def _fresh_dataset(hub: FakeHub) -> str:
    name = f"acme/files-{uuid.uuid4().hex[:8]}"  # never in the download cache of an earlier test
    hub.repos.add_dataset(name, {"train.jsonl": ROWS})
    hub.jobs.server.inject("GET", r"^/is-valid$", status=503, times=1000)  # so the tool downloads a file
    return name


async def test_a_failing_download_is_sent_attempts_times_in_all(hub: FakeHub) -> None:
    name = _fresh_dataset(hub)
    resolve = rf"^/datasets/{name}/resolve/"
    hub.jobs.server.inject("*", resolve, status=503, times=1000)
    result, elapsed = await _call("inspect_dataset", {"dataset": name})
    viewer = len(hub.jobs.server.received("GET", r"^/is-valid$"))
    downloads = len(hub.jobs.server.received(None, resolve))
    # huggingface_hub alone: a HEAD, then the HEAD again with its backoff (6 tries, 23 s of sleeps)
    assert viewer == viewer_client.RETRY_ATTEMPTS and downloads == 3, (viewer, downloads)
    assert result.is_error and "503" in _text(result) and elapsed < 5, (elapsed, _text(result))


async def test_a_download_that_heals_is_read_and_then_served_from_the_cache(hub: FakeHub) -> None:
    name = _fresh_dataset(hub)
    tree, resolve = rf"^/api/datasets/{name}/tree/", rf"^/datasets/{name}/resolve/"
    hub.jobs.server.inject("*", tree, status=500, times=1)
    hub.jobs.server.inject("HEAD", resolve, status=504, times=1)
    result, _ = await _call("inspect_dataset", {"dataset": name})
    assert not result.is_error and "q0" in _text(result), _text(result)
    assert len(hub.jobs.server.received("GET", tree)) == 2
    assert len(hub.jobs.server.received("HEAD", resolve)) == 2
    # the Hub fails the file for good: after our 3 tries, the copy in the cache answers
    hub.jobs.server.inject("*", resolve, status=503, times=1000)
    result, elapsed = await _call("inspect_dataset", {"dataset": name})
    assert not result.is_error and "q0" in _text(result), _text(result)
    assert len(hub.jobs.server.received("HEAD", resolve)) == 2 + 3 and elapsed < 5


async def test_a_submission_is_sent_once_even_on_a_503(hub: FakeHub) -> None:
    run = r"^/api/jobs/alice$"
    hub.jobs.server.inject("POST", run, status=503, times=1000)
    result, _ = await _call("hf_jobs", {"operation": "run", "args": {"command": ["true"], "detach": True}})
    assert len(hub.jobs.server.received("POST", run)) == 1
    assert "before submitting again" in _text(result), _text(result)


async def test_offline_no_request_leaves(hub: FakeHub, monkeypatch: pytest.MonkeyPatch) -> None:
    import huggingface_hub.constants

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    for tool, arguments in [("hf_jobs", {"operation": "ps"}), ("inspect_dataset", {"dataset": "acme/chat"})]:
        result, elapsed = await _call(tool, arguments)
        assert "HF_HUB_OFFLINE" in _text(result) and elapsed < 5, (tool, elapsed, _text(result))
    assert hub.jobs.server.received() == []


async def test_a_model_config_behind_a_long_rate_limit_is_not_waited_for(hub: FakeHub) -> None:
    from doubles.full_hub import QWEN_CONFIG
    from hf_train_mcp.hardware import models

    models.clear_cache()
    hub.repos.add_model("acme/qwen-copy", config=QWEN_CONFIG, parameters=494_032_768)
    resolve = r"^/acme/qwen-copy/resolve/"
    hub.jobs.server.inject("*", resolve, status=429, times=1000, headers={"Retry-After": "3600"})
    result, elapsed = await _call("recommend_hardware", {"model": "acme/qwen-copy"})
    # huggingface_hub alone: a HEAD, then the HEAD again after sleeping 3601 s
    assert len(hub.jobs.server.received(None, resolve)) == 1
    assert not result.is_error and elapsed < 5, (elapsed, _text(result))  # the parameter count still answers


def test_outside_our_layer_huggingface_hub_never_sleeps_past_the_budget(hub: FakeHub) -> None:
    # uploads and log streams keep huggingface_hub's own backoff: a Retry-After longer than the call's
    # budget is answered at once instead of slept through (http_backoff would sleep 3601 s)
    from hf_train_mcp import hub as hub_module
    from huggingface_hub.errors import HfHubHTTPError

    hub.jobs.server.inject("GET", LIST, status=429, times=1, headers={"Retry-After": "3600"})
    api = hub_module.get_api()
    started = time.monotonic()
    with hub_module.call_budget(10), pytest.raises(HfHubHTTPError) as raised:
        list(api.list_jobs(namespace="alice"))
    assert raised.value.response.status_code == 429 and time.monotonic() - started < 5
    assert len(hub.jobs.server.received("GET", LIST)) == 1
    hub.jobs.server.inject("GET", LIST, status=503, times=1)  # a short wait is still huggingface_hub's
    with hub_module.call_budget(10):
        assert list(api.list_jobs(namespace="alice")) == []
    assert len(hub.jobs.server.received("GET", LIST)) == 3  # the 429, the 503, the answer


@pytest.mark.parametrize("cuts", [1, 1000])
async def test_a_download_cut_off_mid_body_is_retried_by_our_layer_only(hub: FakeHub, cuts: int) -> None:
    name = _fresh_dataset(hub)
    resolve = rf"^/datasets/{name}/resolve/"
    cut = {"Content-Length": str(len(ROWS.encode()))}
    hub.jobs.server.inject("GET", resolve, stream=[ROWS.encode()[:20]], headers=cut, times=cuts)
    result, elapsed = await _call("inspect_dataset", {"dataset": name})
    gets = len(hub.jobs.server.received("GET", resolve))
    if cuts == 1:  # healed by one retry of the whole download
        assert gets == 2 and not result.is_error and "q0" in _text(result), (gets, _text(result))
    else:  # huggingface_hub alone resumes 5 times, a second apart, inside each of our attempts
        assert gets == 3 and result.is_error and elapsed < 5, (gets, elapsed, _text(result))
