"""Unstable Jobs API answers never lose a job (issue 17), and a failure that may follow an accepted
submission always says to look at `ps` before resubmitting (issues 10 and 17).

The real `huggingface_hub` client requires `owner["type"]`: each test first shows that the raw
client class fails on the answer the double sends, then that hf_jobs reads it.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from doubles.jobs_api import JobsApiState

pytestmark = pytest.mark.anyio


def owner_without_type(info: dict[str, Any]) -> dict[str, Any]:
    return {**info, "owner": {"id": info["owner"]["id"], "name": info["owner"]["name"]}}


def unstable(info: dict[str, Any]) -> dict[str, Any]:
    """No owner type, extra profile fields, an odd timestamp, no status message, unknown keys."""
    info = owner_without_type(info)
    info["owner"]["avatarUrl"] = "https://example.com/a.png"
    info["startedAt"] = "yesterday"
    info["status"] = {"stage": info["status"]["stage"]}
    info["initiator"] = {"kind": "api"}
    info["somethingNew"] = {"nested": [1, 2]}
    return info


def test_the_real_client_class_fails_on_these_answers() -> None:
    from huggingface_hub import _jobs_api

    answer = {
        "id": "6a2bd1f1871c005b5352ad31",
        "owner": {"id": "u", "name": "alice"},
        "status": {"stage": "RUNNING"},
    }
    with pytest.raises(KeyError):
        _jobs_api.JobInfo(**answer)


async def test_run_ps_inspect_logs_cancel_with_unstable_answers(hf_jobs, jobs_api: JobsApiState) -> None:
    jobs_api.reshape_job = unstable
    jobs_api.queue_plan(lines=["hello"], hold=True, scheduling_s=0, line_every_s=0.01)
    reply = await hf_jobs("run", {"command": ["python", "-c", "print('hello')"], "wait_seconds": 2})
    assert not reply.is_error, reply.text
    job_id = reply.data["job_id"]
    assert job_id in jobs_api.jobs and f"Job started: {job_id}" in reply.text
    assert reply.data["outcome"]["job"]["owner"] == {"id": "id-alice", "name": "alice"}
    assert reply.data["logs"] == ["hello"]
    listed = await hf_jobs("ps")
    assert [j["id"] for j in listed.data["outcome"]["jobs"]] == [job_id]
    inspected = await hf_jobs("inspect", {"job_id": job_id})
    job = inspected.data["outcome"]["inspections"][0]["job"]
    assert job["status"] == {"stage": "RUNNING"} and job["owner"]["name"] == "alice"
    logs = await hf_jobs("logs", {"job_id": job_id})
    assert logs.data["outcome"]["lines"] == ["hello"]
    canceled = await hf_jobs("cancel", {"job_id": job_id})
    assert not canceled.is_error and jobs_api.stage(job_id) == "CANCELED"


async def test_scheduled_jobs_with_an_owner_without_type(hf_jobs, jobs_api: JobsApiState) -> None:
    jobs_api.reshape_schedule = owner_without_type
    created = await hf_jobs("scheduled run", {"schedule": "@hourly", "command": ["true"]})
    assert not created.is_error, created.text
    sid = created.data["scheduled_job_id"]
    listed = await hf_jobs("scheduled ps")
    assert [s["id"] for s in listed.data["outcome"]["scheduled_jobs"]] == [sid]
    inspected = await hf_jobs("scheduled inspect", {"scheduled_job_id": sid})
    assert inspected.data["outcome"]["scheduled_job"]["owner"] == {"id": "id-alice", "name": "alice"}


async def test_an_unreadable_answer_after_submission_says_to_check_ps(
    hf_jobs, jobs_api: JobsApiState
) -> None:
    jobs_api.reshape_job = lambda info: {k: v for k, v in info.items() if k != "id"}  # not a job any more
    reply = await hf_jobs("run", {"command": ["true"], "detach": True})
    assert reply.is_error and reply.data["outcome"]["code"] == "execution"
    assert len(jobs_api.jobs) == 1  # the Hub did start it
    assert "`ps`" in reply.text and "before submitting again" in reply.text


async def test_a_submission_that_times_out_says_to_check_ps(
    hf_jobs, jobs_api: JobsApiState, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_TRAIN_MCP_HUB_TIMEOUT", "1")
    jobs_api.server.inject("POST", r"^/api/jobs/alice$", status=None, delay=2.0)
    reply = await hf_jobs("run", {"command": ["true"], "detach": True})
    assert reply.is_error and "`ps`" in reply.text and "before submitting again" in reply.text
    deadline = time.monotonic() + 5
    while not jobs_api.jobs and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(jobs_api.jobs) == 1  # accepted after all: hence the advice
    assert len(jobs_api.server.received("POST", r"^/api/jobs/alice$")) == 1  # and never sent twice


async def test_a_refused_submission_does_not_send_the_agent_to_ps(hf_jobs, jobs_api: JobsApiState) -> None:
    jobs_api.server.inject("POST", r"^/api/jobs/alice$", status=400, body={"error": "bad spec"})
    reply = await hf_jobs("run", {"command": ["true"], "detach": True})
    assert reply.is_error and "bad spec" in reply.text and "`ps`" not in reply.text
