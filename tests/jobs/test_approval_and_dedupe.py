"""Cost approval (MCP elicitation, the spending cap) and no double submission, through a real MCP client
against the Jobs API double (the real huggingface_hub client), counting the POSTs the Hub received."""

from __future__ import annotations

from typing import Any

import pytest
from doubles.jobs_api import JobsApiState
from elicitation import asking
from hf_train_mcp.app import build_server
from mcp import Client

pytestmark = pytest.mark.anyio

PAID = {"command": ["python", "train.py"], "flavor": "a100-large", "timeout": "4h", "detach": True}


async def call(client: Client, args: dict[str, Any], operation: str = "run") -> Any:
    return await client.call_tool("hf_jobs", {"operation": operation, "args": args})


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_an_approved_paid_job_is_submitted_after_the_question(
    jobs_api: JobsApiState, mode: str
) -> None:
    questions: list[str] = []
    async with Client(build_server(), mode=mode, elicitation_callback=asking("accept", questions)) as client:
        result = await call(client, PAID)
    assert not result.is_error, result.content
    assert len(jobs_api.specs) == 1
    assert len(questions) == 1 and "`a100-large` for at most 4 h, up to $" in questions[0]


@pytest.mark.parametrize("action", ["decline", "cancel"])
async def test_a_declined_paid_job_is_not_submitted(jobs_api: JobsApiState, action: str) -> None:
    questions: list[str] = []
    async with Client(build_server(), elicitation_callback=asking(action, questions)) as client:
        result = await call(client, PAID)
    assert result.is_error and "nothing was submitted" in result.content[0].text
    assert questions and jobs_api.specs == []


async def test_free_work_and_dry_runs_ask_nobody(jobs_api: JobsApiState) -> None:
    questions: list[str] = []
    async with Client(build_server(), elicitation_callback=asking("decline", questions)) as client:
        dry = await call(client, {**PAID, "dry_run": True})
        listed = await call(client, {}, operation="ps")
    assert not dry.is_error and not listed.is_error
    assert questions == [] and jobs_api.specs == []


async def test_a_client_without_elicitation_keeps_the_direct_flow(jobs_api: JobsApiState) -> None:
    async with Client(build_server()) as client:  # no elicitation callback: the capability is not declared
        result = await call(client, PAID)
    assert not result.is_error and len(jobs_api.specs) == 1


async def test_the_spending_cap_refuses_a_larger_job_before_asking(
    jobs_api: JobsApiState, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_TRAIN_MCP_MAX_JOB_USD", "5")
    questions: list[str] = []
    async with Client(build_server(), elicitation_callback=asking("accept", questions)) as client:
        refused = await call(client, PAID)
        await call(client, {**PAID, "flavor": "cpu-basic", "timeout": "10m"})
    assert refused.is_error and "HF_TRAIN_MCP_MAX_JOB_USD" in refused.content[0].text
    assert "$5.00" in refused.content[0].text and questions == [f for f in questions if "cpu-basic" in f]
    assert len(jobs_api.specs) == 1 and jobs_api.specs[0]["flavor"] == "cpu-basic"


async def test_a_retried_submission_answers_with_the_running_job(jobs_api: JobsApiState) -> None:
    jobs_api.default_plan.hold = True
    async with Client(build_server()) as client:
        first = await call(client, PAID)
        again = await call(client, PAID)
        other = await call(client, {**PAID, "timeout": "5h"})
        forced = await call(client, {**PAID, "allow_duplicate": True})
    assert not (first.is_error or again.is_error or other.is_error or forced.is_error)
    job = first.structured_content["job_id"]
    assert again.structured_content["job_id"] == job and again.structured_content["duplicate_of"] == job
    assert "nothing new was submitted" in again.content[0].text
    assert len(jobs_api.specs) == 3  # first, the different timeout, the forced one: never the retry
    labels = [spec["labels"]["hf-train-mcp.plan"] for spec in jobs_api.specs]
    assert labels[0] == labels[2] != labels[1]
