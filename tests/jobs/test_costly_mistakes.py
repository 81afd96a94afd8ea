"""Mistakes that cost a user money or leak a secret, seen where the user sees them: the timeout the Hub is
sent, the number of billed POSTs, the masked log, the client's wait after a 429 with Retry-After."""

from __future__ import annotations

import pytest
from doubles.jobs_api import JobsApiState

pytestmark = pytest.mark.anyio


# -- timeouts as sent to the Hub ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("timeout", "seconds"),
    [("90min", 5400), ("90mins", 5400), ("1h30min", 5400), ("45sec", 45), ("2hrs", 7200), ("1.5h", 5400)],
)
async def test_the_hub_gets_the_timeout_the_user_wrote(hf_jobs, jobs_api: JobsApiState, timeout, seconds):
    reply = await hf_jobs("run", {"command": ["true"], "timeout": timeout, "detach": True})
    assert not reply.is_error, reply.text
    assert jobs_api.specs[-1]["timeoutSeconds"] == seconds


# -- a scheduled-job trigger starts a billed run: sent once, whatever the Hub does --------------------------
async def _schedule(hf_jobs) -> str:
    reply = await hf_jobs("scheduled run", {"schedule": "@daily", "command": ["true"], "flavor": "t4-small"})
    assert not reply.is_error, reply.text
    return reply.data["scheduled_job_id"]


@pytest.mark.parametrize("status", [500, 503, 429])
async def test_a_failed_trigger_is_not_sent_again(hf_jobs, jobs_api: JobsApiState, status: int) -> None:
    sid = await _schedule(hf_jobs)
    path = rf"^/api/scheduled-jobs/alice/{sid}/run$"
    jobs_api.server.inject("POST", path, status=status, times=5, headers={"Retry-After": "0"})
    reply = await hf_jobs("scheduled trigger", {"scheduled_job_id": sid})
    assert reply.is_error and str(status) in reply.text and "ps" in reply.text
    assert len(jobs_api.server.received("POST", path)) == 1


async def test_a_slow_trigger_is_not_sent_again(hf_jobs, jobs_api: JobsApiState, monkeypatch) -> None:
    sid = await _schedule(hf_jobs)
    monkeypatch.setenv("HF_TRAIN_MCP_HUB_TIMEOUT", "0.5")
    path = rf"^/api/scheduled-jobs/alice/{sid}/run$"
    jobs_api.server.inject("POST", path, status=None, delay=1.5, times=1)
    reply = await hf_jobs("scheduled trigger", {"scheduled_job_id": sid})
    assert reply.is_error and "before submitting again" in reply.text
    assert len(jobs_api.server.received("POST", path)) == 1


# -- Retry-After: a rate-limited read waits as long as the Hub asks, then succeeds --------------------------
async def test_a_read_waits_as_long_as_retry_after_says(hf_jobs, jobs_api: JobsApiState) -> None:
    job = jobs_api.add_job()
    path = rf"^/api/jobs/alice/{job.id}$"
    await hf_jobs("inspect", {"job_id": job.id})  # whoami and the client set up before the clock starts
    before = len(jobs_api.server.received("GET", path))
    jobs_api.server.inject(
        "GET", path, status=429, times=1, headers={"Retry-After": "1"}, body={"error": "Too many requests"}
    )
    reply = await hf_jobs("inspect", {"job_id": job.id})
    assert not reply.is_error, reply.text
    first, second = jobs_api.server.received("GET", path)[before:]
    # the retry delay of these tests is 0.01 s: only Retry-After explains a 1 s gap
    assert 0.9 <= second.at - first.at < 5.0


# -- secret masking: a secret that contains another is masked whole ---------------------------------------
async def test_a_secret_containing_another_is_masked_whole(hf_jobs, jobs_api: JobsApiState) -> None:
    short, long = "pass-word-7391", "pass-word-7391-and-the-rest-8842"
    jobs_api.queue_plan(lines=[f"long={long}", f"short={short}", "done"], line_every_s=0.02)
    reply = await hf_jobs(
        "run",
        {"command": ["true"], "secrets": {"SHORT": short, "LONG": long}, "wait_seconds": 5},
    )
    assert not reply.is_error, reply.text
    job_id = reply.data["job_id"]
    logs = await hf_jobs("logs", {"job_id": job_id})
    assert "done" in logs.text  # the lines are there, masked
    for answer in (reply, logs):
        text = answer.everything()
        assert "pass-word" not in text and "and-the-rest" not in text and "8842" not in text
