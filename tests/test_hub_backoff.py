"""The retry layer's own pace, seen in the requests the Hub double receives: a read that fails is sent three
times in all by default, the second try about 0.5 s after the first and the third about 1 s after the
second (jittered up by at most half); a wait that would not end before the call's Hub budget is not
started. Outside the layer (uploads, log streams) huggingface_hub's own backoff waits for a short
Retry-After but never for one past the budget or MAX_RETRY_WAIT_S; inside it, huggingface_hub retries
nothing itself, and a download cut off mid-body is sent again whole."""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
from doubles.full_hub import QWEN_CONFIG, FakeHub, full_hub
from hf_train_mcp import hub as hub_module
from hf_train_mcp.app import build_server
from hf_train_mcp.hardware import models
from huggingface_hub.errors import HfHubHTTPError, OfflineModeIsEnabled
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


def fresh_client(monkeypatch: pytest.MonkeyPatch) -> Any:
    """An `HfApi` on a Hub client built in this test: a Hub timeout of its own (10 s and a few
    milliseconds) makes `configure_http` install a new client factory, so the retry layer around the
    client's transport is the one this test exercises, not a client an earlier test left behind."""
    monkeypatch.setenv("HF_TRAIN_MCP_HUB_TIMEOUT", f"{10 + (time.monotonic_ns() % 997) / 100_000:.5f}")
    return hub_module.get_api()


LIST = r"^/api/jobs/alice$"  # list_jobs: a paginated list, which huggingface_hub's own backoff retries


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


def test_outside_the_layer_a_short_retry_after_is_waited_for(hub: FakeHub, monkeypatch) -> None:
    api = fresh_client(monkeypatch)
    hub.jobs.server.inject("GET", LIST, status=429, times=1, headers={"Retry-After": "1"})
    with hub_module.call_budget(6):
        assert list(api.list_jobs(namespace="alice")) == []
    first, second = hub.jobs.server.received("GET", LIST)
    assert second.at - first.at >= 0.99


def test_outside_the_layer_a_retry_after_past_the_budget_is_answered_at_once(
    hub: FakeHub, monkeypatch
) -> None:
    api = fresh_client(monkeypatch)
    hub.jobs.server.inject("GET", LIST, status=429, times=1, headers={"Retry-After": "8"})
    started = time.monotonic()
    with hub_module.call_budget(6), pytest.raises(HfHubHTTPError) as raised:
        list(api.list_jobs(namespace="alice"))
    assert raised.value.response.status_code == 429 and time.monotonic() - started < 2
    assert len(hub.jobs.server.received("GET", LIST)) == 1


def test_outside_the_layer_a_retry_after_of_exactly_the_most_is_waited_for(hub: FakeHub, monkeypatch) -> None:
    # no budget here: MAX_RETRY_WAIT_S alone bounds the wait; lowered to 1 s so the test does not sleep 30
    monkeypatch.setattr(hub_module, "MAX_RETRY_WAIT_S", 1.0)
    api = fresh_client(monkeypatch)
    hub.jobs.server.inject("GET", LIST, status=503, times=1, headers={"Retry-After": "1"})
    assert list(api.list_jobs(namespace="alice")) == []
    hub.jobs.server.inject("GET", LIST, status=503, times=1, headers={"Retry-After": "1.5"})
    with pytest.raises(HfHubHTTPError):
        list(api.list_jobs(namespace="alice"))
    assert len(hub.jobs.server.received("GET", LIST)) == 3  # 503 and answer; then the 503 over the most


def test_inside_the_layer_huggingface_hub_retries_nothing_itself(hub: FakeHub, monkeypatch) -> None:
    api = fresh_client(monkeypatch)
    monkeypatch.setattr(random, "random", lambda: 0.0)  # waits of 0.5 and 1 s: no jitter
    hub.jobs.server.inject("GET", LIST, status=503, times=100)
    started = time.monotonic()
    with pytest.raises(HfHubHTTPError) as raised:
        hub_module.call_with_retries(lambda: list(api.list_jobs(namespace="alice")), what="list jobs")
    # our 3 tries, 1.5 s apart in all; huggingface_hub's backoff would send 6 per try, sleeping 1 to 8 s
    assert raised.value.response.status_code == 503
    assert len(hub.jobs.server.received("GET", LIST)) == 3 and time.monotonic() - started < 3


def test_inside_the_layer_a_refused_connection_is_retried_and_raised_as_the_client_raises_it(
    hub: FakeHub, monkeypatch
) -> None:
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # nothing listens on the discard port
    api = fresh_client(monkeypatch)
    monkeypatch.setattr(random, "random", lambda: 0.0)
    tries: list[int] = []

    def list_jobs() -> list:
        tries.append(1)
        return list(api.list_jobs(namespace="alice"))

    with pytest.raises(httpx2.ConnectError):  # not the layer's own wrapper
        hub_module.call_with_retries(list_jobs, what="list jobs")
    assert len(tries) == 3


def proxy_env(monkeypatch: pytest.MonkeyPatch, proxy: str, no_proxy: str) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    monkeypatch.setenv("HTTP_PROXY", proxy)
    monkeypatch.setenv("NO_PROXY", no_proxy)


def test_behind_a_proxy_the_layer_still_decides_the_retries(hub: FakeHub, monkeypatch) -> None:
    # the Hub's address is unreachable, the proxy is the double (it serves what a proxy forwards): every
    # answer below came through the proxy, and its 503s went to our layer, not to huggingface_hub's backoff
    proxy_env(monkeypatch, proxy=hub.jobs.url, no_proxy="")
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")
    api = fresh_client(monkeypatch)
    monkeypatch.setattr(random, "random", lambda: 0.0)  # waits of 0.5 and 1 s
    hub.jobs.server.inject("GET", LIST, status=503, times=2)
    started = time.monotonic()
    listed = hub_module.call_with_retries(lambda: list(api.list_jobs(namespace="alice")), what="list jobs")
    assert listed == [] and len(hub.jobs.server.received("GET", LIST)) == 3
    assert time.monotonic() - started < 2.5  # huggingface_hub's backoff: 1 s, then 2 s


def test_hosts_the_proxy_must_not_handle_are_reached_directly(hub: FakeHub, monkeypatch) -> None:
    proxy_env(monkeypatch, proxy="http://127.0.0.1:9", no_proxy="127.0.0.1,localhost")
    api = fresh_client(monkeypatch)
    assert list(api.list_jobs(namespace="alice")) == []
    assert len(hub.jobs.server.received("GET", LIST)) == 1


def test_a_download_cut_off_mid_body_is_sent_again_whole(hub: FakeHub, monkeypatch) -> None:
    api = fresh_client(monkeypatch)
    monkeypatch.setattr(random, "random", lambda: 0.0)  # waits of 0.5 and 1 s: no jitter
    name, rows = f"acme/cut-{uuid.uuid4().hex[:8]}", b'{"q": "a"}\n{"q": "b"}\n'
    hub.repos.add_dataset(name, {"train.jsonl": rows.decode()})
    resolve = rf"^/datasets/{name}/resolve/"
    cut = {"Content-Length": str(len(rows))}
    hub.jobs.server.inject("GET", resolve, stream=[rows[:7]], headers=cut, times=1)
    path = hub_module.download(api, name, "train.jsonl", what="download", repo_type="dataset")
    assert Path(path).read_bytes() == rows
    _, second = hub.jobs.server.received("GET", resolve)
    assert "range" not in {k.lower() for k in second.headers}  # our retry, not huggingface_hub's resume
    # cut off every time: our three tries, not huggingface_hub's five resumes (a second apart) in each
    other = f"acme/cut-{uuid.uuid4().hex[:8]}"
    hub.repos.add_dataset(other, {"train.jsonl": rows.decode()})
    resolve = rf"^/datasets/{other}/resolve/"
    hub.jobs.server.inject("GET", resolve, stream=[rows[:7]], headers=cut, times=100)
    started = time.monotonic()
    with pytest.raises(Exception):  # noqa: B017 - what the client raises for a cut body is its own
        hub_module.download(api, other, "train.jsonl", what="download", repo_type="dataset")
    assert len(hub.jobs.server.received("GET", resolve)) == 3 and time.monotonic() - started < 4


def test_a_file_the_hub_says_is_gone_is_not_served_from_the_cache(hub: FakeHub, monkeypatch) -> None:
    api = fresh_client(monkeypatch)
    name = f"acme/gone-{uuid.uuid4().hex[:8]}"
    hub.repos.add_dataset(name, {"train.jsonl": '{"q": "a"}\n'})
    resolve = rf"^/datasets/{name}/resolve/"
    assert Path(hub_module.download(api, name, "train.jsonl", what="download", repo_type="dataset")).exists()
    # the file is deleted on the Hub (a 404 with the Hub's error code): the answer is the Hub's, not the copy
    # cached a moment ago
    gone = {"X-Error-Code": "EntryNotFound"}
    hub.jobs.server.inject("*", resolve, status=404, times=1, headers=gone, body={"error": "Entry not found"})
    with pytest.raises(Exception) as raised:
        hub_module.download(api, name, "train.jsonl", what="download", repo_type="dataset")
    assert hub_module.status_of(raised.value) == 404


def test_what_cannot_heal_is_raised_with_the_clients_own_cause(hub: FakeHub, monkeypatch) -> None:
    api = fresh_client(monkeypatch)
    hub.jobs.server.inject("GET", LIST, status=404, times=1, body={"error": "Namespace not found"})
    with pytest.raises(HfHubHTTPError) as raised:
        hub_module.call_with_retries(lambda: list(api.list_jobs(namespace="alice")), what="list jobs")
    assert raised.value.response.status_code == 404
    assert isinstance(raised.value.__cause__, httpx2.HTTPStatusError)  # huggingface_hub's `raise ... from`
    assert len(hub.jobs.server.received("GET", LIST)) == 1


def test_a_wait_past_the_budget_raises_the_failure_as_it_was_raised(hub: FakeHub) -> None:
    # a timeout of the called code itself (not a Hub answer): no time is left for a retry within the budget
    def slow() -> None:
        try:
            raise ConnectionResetError("reset by peer")
        except ConnectionResetError as reset:
            raise TimeoutError("gave up") from reset

    with hub_module.call_budget(0.6), pytest.raises(TimeoutError) as raised:
        hub_module.call_with_retries(slow, what="slow call")
    assert isinstance(raised.value.__cause__, ConnectionResetError)


def test_inside_the_layer_a_retry_after_of_exactly_the_most_is_waited_for(hub: FakeHub, monkeypatch) -> None:
    monkeypatch.setattr(hub_module, "MAX_RETRY_WAIT_S", 1.0)  # as above: no 30 s sleep in a test
    api = fresh_client(monkeypatch)
    hub.jobs.server.inject("GET", LIST, status=429, times=1, headers={"Retry-After": "1"})
    listed = hub_module.call_with_retries(lambda: list(api.list_jobs(namespace="alice")), what="list jobs")
    first, second = hub.jobs.server.received("GET", LIST)
    assert listed == [] and second.at - first.at >= 0.99


def test_each_retry_is_logged_with_what_failed_and_why(hub: FakeHub, monkeypatch, caplog) -> None:
    api = fresh_client(monkeypatch)
    monkeypatch.setattr(random, "random", lambda: 0.0)
    hub.jobs.server.inject("GET", LIST, status=503, times=1, body={"error": "Service busy right now"})
    with caplog.at_level("WARNING", logger="hf_train_mcp.hub"):
        hub_module.call_with_retries(lambda: list(api.list_jobs(namespace="alice")), what="list the jobs")
    [line] = [r.getMessage() for r in caplog.records if r.name == "hf_train_mcp.hub"]
    assert line.startswith("list the jobs failed (") and "Service busy right now" in line
    assert line.endswith("), retry 1/2 in 0.5s")


@pytest.mark.parametrize(
    ("error", "heals"),
    [
        (hub_module.HubDeadlineError("no time left"), False),  # a TimeoutError that must not heal
        (OfflineModeIsEnabled("HF_HUB_OFFLINE is set"), False),  # a ConnectionError that must not heal
        (ConnectionResetError("reset by peer"), True),
        (TimeoutError("gave up"), True),
        (httpx2.ReadTimeout("read timed out"), True),
        (httpx2.ConnectError("connection refused"), True),
        (ValueError("not a Hub failure"), False),
    ],
    ids=["spent budget", "offline", "reset", "plain timeout", "client timeout", "refused", "bad request"],
)
def test_what_may_heal_is_told_apart_by_the_error_itself(error: BaseException, heals: bool) -> None:
    """The rule each caller of `can_heal` relies on, including errors raised by code other than httpx2's
    (a plain timeout or reset of the called function)."""
    assert hub_module.can_heal(error) is heals


def test_a_client_without_the_transports_the_layer_wraps_is_left_as_it_is_and_said(caplog) -> None:
    """Should httpx2 reshape its client (no `_transport` / `_mounts`), the client keeps working with
    huggingface_hub's own retries, and the log says the single retry layer is missing."""
    import types

    client = types.SimpleNamespace(timeout=None)
    with caplog.at_level("WARNING", logger="hf_train_mcp.hub"):
        hub_module._route_through_sole_layer(client)
    assert vars(client) == {"timeout": None}
    assert [r.getMessage() for r in caplog.records if r.name == "hf_train_mcp.hub"] == [
        "could not install the single retry layer on the Hub client"
    ]
