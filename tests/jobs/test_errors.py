"""Every failure is a ToolError an agent can act on; reads are retried, submissions never resent."""

from __future__ import annotations

import re

import pytest
from doubles.jobs_api import JobPlan, JobsApiState
from hf_train_mcp.jobs import backends

pytestmark = pytest.mark.anyio

BARE = re.compile(r"^Error executing tool hf_jobs:?\s*$")


def actionable(reply) -> str:
    assert reply.is_error
    assert not BARE.match(reply.text.strip()), reply.text
    assert "failed unexpectedly" not in reply.text, reply.text  # no bug-shaped errors either
    return reply.text


async def test_no_token(hf_jobs_no_hub, monkeypatch: pytest.MonkeyPatch) -> None:
    text = actionable(await hf_jobs_no_hub("run", {"command": ["true"]}))
    assert "pay-as-you-go" in text and "hf auth login" in text and "HF_TOKEN" in text
    text = actionable(await hf_jobs_no_hub("inspect", {"job_id": "abc"}))
    assert "pay-as-you-go" in text and "Pro" not in text
    monkeypatch.setattr(backends, "LOCAL_MODULE", "hf_train_mcp.no_such_local_backend")
    text = actionable(await hf_jobs_no_hub("ps"))
    assert "pay-as-you-go" in text and "Pro" not in text
    guide = await hf_jobs_no_hub()
    assert "No Hugging Face token is configured" in guide.text


async def test_invalid_token_401(hf_jobs, jobs_api: JobsApiState, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_TOKEN", "hf_WrongTokenWrongToken123")
    text = actionable(await hf_jobs("ps"))
    assert "401" in text and "hf auth login" in text
    assert "hf_WrongTokenWrongToken123" not in text


async def test_forbidden_namespace_403(hf_jobs, jobs_api: JobsApiState) -> None:
    text = actionable(
        await hf_jobs("run", {"command": ["true"], "namespace": "someone-else", "detach": True})
    )
    assert "403" in text and "write access" in text
    text = actionable(await hf_jobs("ps", {"namespace": "someone-else"}))
    assert "403" in text


async def test_no_credit_402_says_how_to_pay(hf_jobs, jobs_api: JobsApiState) -> None:
    """A billing refusal through the real client: its own message (not "the Hub answered 402")."""
    jobs_api.server.inject(
        "POST", r"^/api/jobs/alice$", status=402, body={"error": "Insufficient credit balance"}, times=1
    )
    text = actionable(await hf_jobs("uv", {"script": "print(1)", "flavor": "a10g-small", "detach": True}))
    assert "payment required" in text and "402" in text and "Insufficient credit balance" in text
    assert "settings/billing" in text and "pay-as-you-go" in text and "Nothing was started" in text
    assert "before submitting again" not in text  # a refusal is final: no double-submission warning
    assert len(jobs_api.server.received("POST", r"^/api/jobs/alice$")) == 1


async def test_unknown_job_404(hf_jobs, jobs_api: JobsApiState) -> None:
    for operation in ("inspect", "logs", "cancel", "stats"):
        text = actionable(await hf_jobs(operation, {"job_id": "0123456789abcdef01234567"}))
        assert "404" in text and "0123456789abcdef01234567" in text and "Check the id" in text


@pytest.mark.parametrize("status", [429, 500, 502, 503])
async def test_reads_are_retried(hf_jobs, jobs_api: JobsApiState, status: int) -> None:
    job = jobs_api.add_job()
    jobs_api.server.inject("GET", rf"^/api/jobs/alice/{job.id}$", status=status, times=2)
    reply = await hf_jobs("inspect", {"job_id": job.id})
    assert not reply.is_error, reply.text
    assert len(jobs_api.server.received("GET", rf"^/api/jobs/alice/{job.id}$")) == 3


async def test_reads_give_up_with_advice(hf_jobs, jobs_api: JobsApiState) -> None:
    job = jobs_api.add_job()
    jobs_api.server.inject("GET", rf"^/api/jobs/alice/{job.id}$", status=503, times=100)
    text = actionable(await hf_jobs("inspect", {"job_id": job.id}))
    assert "503" in text and "Try again" in text
    assert len(jobs_api.server.received("GET", rf"^/api/jobs/alice/{job.id}$")) == 4


@pytest.mark.parametrize("status", [500, 502, 429])
async def test_a_submission_is_never_sent_twice(hf_jobs, jobs_api: JobsApiState, status: int) -> None:
    jobs_api.server.inject("POST", r"^/api/jobs/alice$", status=status, times=5)
    text = actionable(await hf_jobs("uv", {"script": "print(1)", "detach": True}))
    assert str(status) in text and "before submitting again" in text and "ps" in text
    assert len(jobs_api.server.received("POST", r"^/api/jobs/alice$")) == 1


async def test_scheduled_creation_and_trigger_are_never_sent_twice(hf_jobs, jobs_api: JobsApiState) -> None:
    jobs_api.server.inject("POST", r"^/api/scheduled-jobs/alice$", status=500, times=5)
    actionable(await hf_jobs("scheduled run", {"schedule": "@daily", "command": ["true"]}))
    assert len(jobs_api.server.received("POST", r"^/api/scheduled-jobs/alice$")) == 1


async def test_slow_hub_on_submission(
    hf_jobs, jobs_api: JobsApiState, monkeypatch: pytest.MonkeyPatch
) -> None:
    await hf_jobs("ps")  # whoami answered before the Hub turns slow
    monkeypatch.setenv("HF_TRAIN_MCP_HUB_TIMEOUT", "0.5")
    jobs_api.server.inject("POST", r"^/api/jobs/alice$", status=None, delay=2.0, times=1)
    text = actionable(await hf_jobs("run", {"command": ["true"], "detach": True}))
    assert "did not answer in time" in text and "before submitting again" in text
    assert len(jobs_api.server.received("POST", r"^/api/jobs/alice$")) == 1


async def test_slow_hub_on_reads(hf_jobs, jobs_api: JobsApiState, monkeypatch: pytest.MonkeyPatch) -> None:
    job = jobs_api.add_job()
    await hf_jobs("inspect", {"job_id": job.id})
    monkeypatch.setenv("HF_TRAIN_MCP_HUB_TIMEOUT", "0.3")
    jobs_api.server.inject("GET", rf"^/api/jobs/alice/{job.id}$", status=None, delay=1.0, times=1)
    reply = await hf_jobs("inspect", {"job_id": job.id})  # one slow answer: retried
    assert not reply.is_error, reply.text
    jobs_api.server.inject("GET", rf"^/api/jobs/alice/{job.id}$", status=None, delay=1.0, times=10)
    text = actionable(await hf_jobs("inspect", {"job_id": job.id}))
    assert "did not answer in time" in text


async def test_hub_rejection_carries_the_hub_message(hf_jobs, jobs_api: JobsApiState) -> None:
    jobs_api.server.inject(
        "POST", r"^/api/jobs/alice$", status=400, body={"error": "Quota exceeded for a100"}
    )
    text = actionable(await hf_jobs("run", {"command": ["true"], "flavor": "a100-large", "detach": True}))
    assert "400" in text and "Quota exceeded for a100" in text


async def test_unknown_flavor(hf_jobs, jobs_api: JobsApiState) -> None:
    text = actionable(await hf_jobs("run", {"command": ["true"], "flavor": "a10g-larg"}))
    assert "a10g-large" in text and "hardware" in text
    assert jobs_api.specs == []


async def test_invalid_arguments(hf_jobs, jobs_api: JobsApiState) -> None:
    text = actionable(await hf_jobs("launch", {"command": ["true"]}))
    assert "Unknown operation" in text and '"run"' in text
    text = actionable(await hf_jobs("run", {"command": ["true"], "gpu": "a100"}))
    assert '"gpu"' in text and "flavor" in text
    text = actionable(await hf_jobs("uv", {"script": "print(1)", "timeout": "forever"}))
    assert "timeout" in text
    text = actionable(await hf_jobs("logs", {"job_id": "x", "tail": 0}))
    assert "tail" in text
    text = actionable(await hf_jobs("ps", args="{not json"))
    assert "JSON object" in text
    text = actionable(await hf_jobs("run", {"command": "pip install x && python t.py"}))
    assert "bash" in text
    reply = await hf_jobs("ps", args='{"all": true}')  # args sent as a JSON string still work
    assert not reply.is_error


async def test_local_jobs_unavailable(
    hf_jobs, jobs_api: JobsApiState, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(backends, "LOCAL_MODULE", "hf_train_mcp.no_such_local_backend")
    text = actionable(await hf_jobs("run", {"command": ["true"], "flavor": "local"}))
    assert "not available" in text and "cpu-basic" in text
    text = actionable(await hf_jobs("inspect", {"job_id": "local-123"}))
    assert "not available" in text
    reply = await hf_jobs("ps")  # Hub jobs still listed
    assert not reply.is_error


async def test_logs_stream_failure_is_reported(hf_jobs, jobs_api: JobsApiState) -> None:
    job = jobs_api.add_job(plan=JobPlan(scheduling_s=0, line_every_s=0.001), created_ago=5)
    jobs_api.server.inject("GET", rf"/{job.id}/logs$", status=500, times=10)
    text = actionable(await hf_jobs("logs", {"job_id": job.id}))
    assert "500" in text and "logs" in text
