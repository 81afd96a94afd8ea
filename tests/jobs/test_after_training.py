"""A completed training job's logs suggest what a person usually asks next (issue 14): the loss curve,
an evaluation, the export, a demo Space — read from the job's own `HF_TRAIN_SUMMARY` line."""

from __future__ import annotations

import json

import pytest
from doubles.jobs_api import JobPlan, JobsApiState

pytestmark = pytest.mark.anyio

SUMMARY = "HF_TRAIN_SUMMARY " + json.dumps(
    {"hub_model_id": "me/qwen-sft", "train_loss": 1.2, "global_step": 10}
)


async def test_a_completed_training_job_suggests_the_next_steps(hf_jobs, jobs_api: JobsApiState) -> None:
    job = jobs_api.add_job(
        plan=JobPlan(lines=["step 1", SUMMARY], scheduling_s=0, line_every_s=0.001), created_ago=5
    )
    assert jobs_api.stage(job.id) == "COMPLETED"
    reply = await hf_jobs("logs", {"job_id": job.id})
    tools = [step["tool"] for step in reply.data["next_steps"]]
    assert tools[0] == "training_loss_curve" and reply.data["next_steps"][0]["args"] == {"job_id": job.id}
    assert {"evaluate_model", "export_model", "create_demo_space"} <= set(tools)
    assert all(s["args"].get("model", "me/qwen-sft") == "me/qwen-sft" for s in reply.data["next_steps"])
    assert "Next:" in reply.text and "export_model" in reply.text


async def test_no_suggestion_without_a_summary_or_before_the_end(hf_jobs, jobs_api: JobsApiState) -> None:
    plain = jobs_api.add_job(plan=JobPlan(lines=["hello"], scheduling_s=0, line_every_s=0.001), created_ago=5)
    running = jobs_api.add_job(plan=JobPlan(lines=[SUMMARY], hold=True, scheduling_s=0, line_every_s=0.001))
    for job in (plain, running):
        reply = await hf_jobs("logs", {"job_id": job.id})
        assert "next_steps" not in reply.data and "Next:" not in reply.text
