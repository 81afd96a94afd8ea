"""How a READ against the Hub is retried, counted in the GETs the Jobs API double receives: what heals
(5xx, 429, a timeout) is sent up to four times in all, what cannot (4xx) once; Retry-After is obeyed,
an unreadable one falls back to the backoff, and no wait outlives the tool call's Hub budget."""

from __future__ import annotations

import time

import pytest
from doubles.jobs_api import JobsApiState

pytestmark = pytest.mark.anyio


async def inspect_path(hf_jobs, jobs_api: JobsApiState) -> tuple[str, str, int]:
    job = jobs_api.add_job()
    path = rf"^/api/jobs/alice/{job.id}$"
    reply = await hf_jobs("inspect", {"job_id": job.id})  # whoami and the client set up first
    assert not reply.is_error, reply.text
    return job.id, path, len(jobs_api.server.received("GET", path))


@pytest.mark.parametrize("status", [500, 502, 503, 504, 429])
async def test_a_read_that_heals_is_sent_again_until_it_answers(
    hf_jobs, jobs_api: JobsApiState, status
) -> None:
    job_id, path, before = await inspect_path(hf_jobs, jobs_api)
    jobs_api.server.inject("GET", path, status=status, times=2, body={"error": "busy"})
    reply = await hf_jobs("inspect", {"job_id": job_id})
    assert not reply.is_error, reply.text
    assert len(jobs_api.server.received("GET", path)) - before == 3


async def test_a_read_that_keeps_failing_is_sent_four_times_then_reported(
    hf_jobs, jobs_api: JobsApiState
) -> None:
    job_id, path, before = await inspect_path(hf_jobs, jobs_api)
    jobs_api.server.inject("GET", path, status=503, times=10, body={"error": "down"})
    reply = await hf_jobs("inspect", {"job_id": job_id})
    assert reply.is_error and "503" in reply.text
    assert len(jobs_api.server.received("GET", path)) - before == 4


@pytest.mark.parametrize("status", [400, 403, 404, 422])
async def test_a_read_refused_for_good_is_sent_once(hf_jobs, jobs_api: JobsApiState, status: int) -> None:
    job_id, path, before = await inspect_path(hf_jobs, jobs_api)
    jobs_api.server.inject("GET", path, status=status, times=5, body={"error": "no"})
    reply = await hf_jobs("inspect", {"job_id": job_id})
    assert reply.is_error
    assert len(jobs_api.server.received("GET", path)) - before == 1


async def test_a_read_that_times_out_is_sent_again(
    hf_jobs, jobs_api: JobsApiState, monkeypatch: pytest.MonkeyPatch
) -> None:
    job_id, path, before = await inspect_path(hf_jobs, jobs_api)
    monkeypatch.setenv("HF_TRAIN_MCP_HUB_TIMEOUT", "0.5")
    jobs_api.server.inject("GET", path, status=None, delay=1.2, times=1)
    reply = await hf_jobs("inspect", {"job_id": job_id})
    assert not reply.is_error, reply.text
    assert len(jobs_api.server.received("GET", path)) - before == 2


async def test_an_unreadable_retry_after_falls_back_to_the_backoff(hf_jobs, jobs_api: JobsApiState) -> None:
    job_id, path, before = await inspect_path(hf_jobs, jobs_api)
    jobs_api.server.inject("GET", path, status=429, times=1, headers={"Retry-After": "soon"}, body={})
    reply = await hf_jobs("inspect", {"job_id": job_id})
    assert not reply.is_error, reply.text
    first, second = jobs_api.server.received("GET", path)[before:]
    assert second.at - first.at < 0.8  # the tests' backoff is 0.01 s


async def test_a_retry_after_beyond_the_call_budget_is_not_waited_for(
    hf_jobs, jobs_api: JobsApiState, monkeypatch: pytest.MonkeyPatch
) -> None:
    job_id, path, before = await inspect_path(hf_jobs, jobs_api)
    monkeypatch.setenv("HF_TRAIN_MCP_HUB_TIMEOUT", "1")  # the call's Hub budget: 3 x 1 + 2 = 5 s
    jobs_api.server.inject("GET", path, status=429, times=5, headers={"Retry-After": "20"}, body={})
    started = time.monotonic()
    reply = await hf_jobs("inspect", {"job_id": job_id})
    assert reply.is_error and "429" in reply.text
    assert time.monotonic() - started < 4
    assert len(jobs_api.server.received("GET", path)) - before == 1


async def test_a_retry_after_within_the_budget_is_waited_for(
    hf_jobs, jobs_api: JobsApiState, monkeypatch: pytest.MonkeyPatch
) -> None:
    job_id, path, before = await inspect_path(hf_jobs, jobs_api)
    monkeypatch.setenv("HF_TRAIN_MCP_HUB_TIMEOUT", "1")  # budget 5 s: a 2 s wait fits (with 0.5 s to spare)
    jobs_api.server.inject("GET", path, status=429, times=1, headers={"Retry-After": "2"}, body={})
    reply = await hf_jobs("inspect", {"job_id": job_id})
    assert not reply.is_error, reply.text
    first, second = jobs_api.server.received("GET", path)[before:]
    assert 1.9 <= second.at - first.at < 4


@pytest.mark.parametrize("value", ["1", "true", "YES", " on "])
async def test_offline_mode_retries_nothing(
    hf_jobs, jobs_api: JobsApiState, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    job_id, path, before = await inspect_path(hf_jobs, jobs_api)
    monkeypatch.setenv(
        "HF_HUB_OFFLINE", value
    )  # read live by the retry policy (the client read it at import)
    jobs_api.server.inject("GET", path, status=503, times=5, body={"error": "down"})
    reply = await hf_jobs("inspect", {"job_id": job_id})
    assert reply.is_error
    assert len(jobs_api.server.received("GET", path)) - before == 1


@pytest.mark.parametrize("value", ["soon", "0", "-5"])
async def test_an_unusable_hub_timeout_setting_falls_back_to_the_default(
    hf_jobs, jobs_api: JobsApiState, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    job_id, path, before = await inspect_path(hf_jobs, jobs_api)
    monkeypatch.setenv("HF_TRAIN_MCP_HUB_TIMEOUT", value)
    jobs_api.server.inject("GET", path, status=None, delay=0.5, times=1)  # slow, well within 30 s
    reply = await hf_jobs("inspect", {"job_id": job_id})
    assert not reply.is_error, reply.text
    assert len(jobs_api.server.received("GET", path)) - before == 1


async def test_the_budget_grows_with_the_hub_timeout(
    hf_jobs, jobs_api: JobsApiState, monkeypatch: pytest.MonkeyPatch
) -> None:
    job_id, path, before = await inspect_path(hf_jobs, jobs_api)
    monkeypatch.setenv("HF_TRAIN_MCP_HUB_TIMEOUT", "2")  # budget 3 x 2 + 2 = 8 s: a 3 s wait fits
    jobs_api.server.inject("GET", path, status=429, times=1, headers={"Retry-After": "3"}, body={})
    reply = await hf_jobs("inspect", {"job_id": job_id})
    assert not reply.is_error, reply.text
    first, second = jobs_api.server.received("GET", path)[before:]
    assert 2.9 <= second.at - first.at < 6


async def test_a_refused_connection_is_retried(
    hf_jobs, jobs_api: JobsApiState, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    job_id, _, _ = await inspect_path(hf_jobs, jobs_api)
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # nothing listens on the discard port
    with caplog.at_level("WARNING", logger="hf_train_mcp.hub"):
        reply = await hf_jobs("inspect", {"job_id": job_id})
    assert reply.is_error
    # what failed and where: the address the agent can check
    assert "cannot reach the Hub at http://127.0.0.1:9 (" in reply.text
    assert "Check the network and HF_ENDPOINT." in reply.text
    retries = [r.getMessage() for r in caplog.records if "retry" in r.getMessage()]
    assert [m.split("retry ")[1].split(" in")[0] for m in retries] == ["1/3", "2/3", "3/3"]


async def test_a_read_that_never_answers_in_time_says_so(
    hf_jobs, jobs_api: JobsApiState, monkeypatch: pytest.MonkeyPatch
) -> None:
    job_id, path, before = await inspect_path(hf_jobs, jobs_api)
    monkeypatch.setenv("HF_TRAIN_MCP_HUB_TIMEOUT", "0.5")  # 4 tries of 0.5 s fit the call's 3.5 s budget
    jobs_api.server.inject("GET", path, status=None, delay=1.0, times=4)
    reply = await hf_jobs("inspect", {"job_id": job_id})
    assert reply.is_error
    assert f"Could not inspect job {job_id} in alice: the Hub did not answer in time (" in reply.text
    assert reply.text.rstrip().endswith("Try again.")
    assert len(jobs_api.server.received("GET", path)) - before == 4
