"""The Jobs double speaks the real wire: it refuses what the real API refuses (so a product bug that sends a
malformed spec cannot pass against it), and it answers in the shapes huggingface_hub 2.4 parses, so the
fields our answers show (a scheduled job's timeout) really travel through the client."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import pytest
from doubles.jobs_api import JobsApiState

VALID = {
    "command": ["python", "-c", "print(1)"],
    "arguments": [],
    "environment": {},
    "flavor": "cpu-basic",
    "dockerImage": "python:3.12",
    "timeoutSeconds": 600,
}


def post(jobs_api: JobsApiState, path: str, body: Any) -> tuple[int, Any]:
    request = urllib.request.Request(
        jobs_api.server.url + path,
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Authorization": f"Bearer {jobs_api.token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


def test_a_well_formed_job_spec_is_accepted(jobs_api: JobsApiState) -> None:
    status, answer = post(jobs_api, "/api/jobs/alice", VALID)
    assert status == 200 and answer["id"] in jobs_api.jobs


@pytest.mark.parametrize(
    ("change", "word"),
    [
        ({"command": None}, "command"),
        ({"command": []}, "command"),
        ({"command": "python -c 'print(1)'"}, "command"),  # a string, not an array
        ({"dockerImage": None}, "dockerImage"),
        ({"flavor": "a100"}, "flavor"),
        ({"flavor": "A10G-LARGE"}, "flavor"),
        ({"timeoutSeconds": "2h"}, "timeoutSeconds"),  # the client converts strings: the wire has seconds
        ({"timeoutSeconds": 0}, "timeoutSeconds"),
        ({"environment": {"N": 1}}, "environment"),
        ({"secrets": ["HF_TOKEN"]}, "secrets"),  # names only come back; a request sends values
    ],
)
def test_a_malformed_job_spec_is_refused_like_the_real_api(jobs_api: JobsApiState, change, word) -> None:
    body = {**VALID, **change}
    body = {k: v for k, v in body.items() if v is not None}
    status, answer = post(jobs_api, "/api/jobs/alice", body)
    assert status == 400 and word in answer["error"]
    status, answer = post(jobs_api, "/api/scheduled-jobs/alice", {"schedule": "@daily", "jobSpec": body})
    assert status == 400 and word in answer["error"]
    assert jobs_api.jobs == {} and jobs_api.schedules == {}


def test_a_schedule_needs_a_schedule(jobs_api: JobsApiState) -> None:
    status, answer = post(jobs_api, "/api/scheduled-jobs/alice", {"jobSpec": VALID})
    assert status == 400 and "schedule" in answer["error"]


def test_another_users_namespace_is_forbidden(jobs_api: JobsApiState) -> None:
    status, _ = post(jobs_api, "/api/jobs/bob", VALID)
    assert status == 403


@pytest.mark.anyio
@pytest.mark.parametrize("wire_name", ["timeout", "timeoutSeconds"])
async def test_a_scheduled_jobs_timeout_is_shown(hf_jobs, jobs_api: JobsApiState, wire_name: str) -> None:
    """The Hub's answer names it `timeout` (huggingface_hub's JobSpec reads that key); an older shape with
    `timeoutSeconds` must show it too."""
    if wire_name == "timeoutSeconds":

        def old_shape(info: dict[str, Any]) -> dict[str, Any]:
            spec = dict(info["jobSpec"])
            spec["timeoutSeconds"] = spec.pop("timeout")
            return {**info, "jobSpec": spec}

        jobs_api.reshape_schedule = old_shape
    reply = await hf_jobs("scheduled run", {"schedule": "@daily", "command": ["true"], "timeout": "90min"})
    assert not reply.is_error, reply.text
    assert jobs_api.scheduled_bodies[-1]["jobSpec"]["timeoutSeconds"] == 5400
    sid = reply.data["scheduled_job_id"]
    reply = await hf_jobs("scheduled inspect", {"scheduled_job_id": sid})
    assert not reply.is_error, reply.text
    assert "Timeout:** 1h 30m" in reply.text
    assert reply.data["scheduled_job"]["timeout_seconds"] == 5400
