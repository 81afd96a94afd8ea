"""Which retries count as the same plan: the POSTs the Jobs API double receives when an agent sends a
submission again with a rotated secret, env in another order, in an organisation's namespace, or with
a different label; and the plan label never carries a secret value."""

from __future__ import annotations

from typing import Any

import pytest
from doubles.jobs_api import JobsApiState
from hf_train_mcp.app import build_server
from mcp import Client

pytestmark = pytest.mark.anyio

PAID = {"command": ["python", "train.py"], "flavor": "a10g-small", "timeout": "1h", "detach": True}
PLAN = "hf-train-mcp.plan"


async def submit_all(jobs_api: JobsApiState, calls: list[dict[str, Any]]) -> list[Any]:
    jobs_api.default_plan.hold = True  # every job keeps running: a retry meets its twin
    out = []
    async with Client(build_server()) as client:
        for args in calls:
            result = await client.call_tool("hf_jobs", {"operation": "run", "args": args})
            assert not result.is_error, result.content
            out.append(result.structured_content)
    return out


async def test_a_retry_with_a_rotated_secret_or_reordered_env_is_the_same_plan(
    jobs_api: JobsApiState,
) -> None:
    first = {**PAID, "secrets": {"WANDB_API_KEY": "wandb-key-one-123"}, "env": {"A": "1", "B": "2"}}
    rotated = {**PAID, "secrets": {"WANDB_API_KEY": "wandb-key-two-456"}, "env": {"B": "2", "A": "1"}}
    answers = await submit_all(jobs_api, [first, rotated])
    assert answers[1]["job_id"] == answers[0]["job_id"]
    assert len(jobs_api.specs) == 1


async def test_a_retry_in_an_organisation_finds_its_twin_there(jobs_api: JobsApiState) -> None:
    args = {**PAID, "namespace": "acme"}
    answers = await submit_all(jobs_api, [args, args])
    assert answers[1]["job_id"] == answers[0]["job_id"] and answers[1]["duplicate_of"] == answers[0]["job_id"]
    assert len(jobs_api.specs) == 1


async def test_labels_other_than_the_plan_are_part_of_the_plan(jobs_api: JobsApiState) -> None:
    calls = [
        {**PAID, "labels": {"run": "a"}},
        {**PAID, "labels": {"run": "b"}},
        {**PAID, "labels": {"run": "a"}},
    ]
    answers = await submit_all(jobs_api, calls)
    assert len(jobs_api.specs) == 2
    assert answers[2]["job_id"] == answers[0]["job_id"] != answers[1]["job_id"]
    # an agent that copies the plan label from a job it saw does not change the plan
    copied = {**PAID, "labels": {"run": "a", PLAN: jobs_api.specs[0]["labels"][PLAN]}}
    again = await submit_all(jobs_api, [copied])
    assert again[0]["job_id"] == answers[0]["job_id"] and len(jobs_api.specs) == 2


async def test_a_secret_under_another_name_is_another_plan(jobs_api: JobsApiState) -> None:
    calls = [
        {**PAID, "secrets": {"WANDB_API_KEY": "same-value-123"}},
        {**PAID, "secrets": {"OTHER_KEY": "same-value-123"}},
    ]
    answers = await submit_all(jobs_api, calls)
    assert answers[1]["job_id"] != answers[0]["job_id"] and len(jobs_api.specs) == 2


async def test_the_twin_is_looked_for_among_unfinished_jobs_only(jobs_api: JobsApiState) -> None:
    """A user with thousands of finished jobs: the lookup asks the Hub for the running ones, not all."""
    await submit_all(jobs_api, [PAID, PAID])
    lookups = jobs_api.server.received("GET", r"^/api/jobs/alice$")
    assert len(lookups) == 2  # one per submission
    assert [sorted(lookup.query.get("stage", [])) for lookup in lookups] == [["RUNNING", "SCHEDULING"]] * 2
