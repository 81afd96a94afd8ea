"""prepare_training with submit: true asks the person to approve the plan's worst-case cost where the
client supports elicitation; decline submits nothing; a retried identical submit answers with the job."""

from __future__ import annotations

import pytest
from doubles.full_hub import FakeHub
from elicitation import asking
from hf_train_mcp.app import build_server
from mcp import Client

pytestmark = pytest.mark.anyio
MODEL = "Qwen/Qwen2.5-0.5B"


ARGS = {
    "model": MODEL,
    "dataset": "acme/qa",
    "hub_model_id": "alice/qa-model",
    "submit": True,
    "detach": True,
}


@pytest.mark.parametrize("action", ["accept", "decline"])
async def test_submit_asks_for_the_cost_first(fake_hub: FakeHub, action: str) -> None:
    fake_hub.jobs.queue_plan(hold=True, lines=["Starting training"], scheduling_s=0.0)
    questions: list[str] = []
    async with Client(build_server(), elicitation_callback=asking(action, questions)) as client:
        result = await client.call_tool("prepare_training", ARGS)
    assert len(questions) == 1 and "for at most" in questions[0] and "up to $" in questions[0]
    if action == "accept":
        assert not result.is_error and len(fake_hub.jobs.specs) == 1
        flavor = fake_hub.jobs.specs[0]["flavor"]
        assert f"`{flavor}`" in questions[0]
    else:
        assert result.is_error and "nothing was submitted" in result.content[0].text
        assert fake_hub.jobs.specs == []


async def test_a_retried_submit_answers_with_the_running_job(fake_hub: FakeHub) -> None:
    fake_hub.jobs.default_plan.hold = True
    async with Client(build_server()) as client:  # no elicitation: the direct flow
        first = await client.call_tool("prepare_training", ARGS)
        again = await client.call_tool("prepare_training", ARGS)
        forced = await client.call_tool("prepare_training", {**ARGS, "allow_duplicate": True})
    assert not (first.is_error or again.is_error or forced.is_error)
    job = first.structured_content["job"]["job_id"]
    assert again.structured_content["job"]["job_id"] == job
    assert len(fake_hub.jobs.specs) == 2


async def test_attempts_reach_the_hub_through_prepare_training(fake_hub: FakeHub) -> None:
    """`attempts` (an `advanced` key, or sent at the top level) is in the job spec the Hub receives: a job
    the platform stops re-runs and resumes from its last pushed checkpoint without a new agent turn."""
    fake_hub.jobs.default_plan.hold = True
    async with Client(build_server()) as client:
        nested = await client.call_tool("prepare_training", {**ARGS, "advanced": {"attempts": 3}})
        top = await client.call_tool(
            "prepare_training", {**ARGS, "hub_model_id": "alice/qa-model-2", "attempts": 2}
        )
        plain = await client.call_tool("prepare_training", {**ARGS, "hub_model_id": "alice/qa-model-3"})
        too_many = await client.call_tool("prepare_training", {**ARGS, "advanced": {"attempts": 9}})
    assert not (nested.is_error or top.is_error or plain.is_error), nested.content[0].text
    assert [spec.get("attempts") for spec in fake_hub.jobs.specs] == [3, 2, None]
    assert too_many.is_error and "attempts" in too_many.content[0].text
