"""Logs are bounded and safe to show (issues 10 and 17): control characters and escape sequences
stripped, long lines cut, the whole answer bounded in bytes, the job's env values masked; `ps` with
an unreachable Hub still lists local jobs."""

from __future__ import annotations

import sys

import pytest
from doubles.jobs_api import JobPlan, JobsApiState
from hf_train_mcp.jobs import logtext

pytestmark = pytest.mark.anyio


def held(lines: list[str]) -> JobPlan:
    return JobPlan(lines=lines, hold=True, scheduling_s=0, line_every_s=0.001)


async def test_control_characters_and_escapes_are_stripped(hf_jobs, jobs_api: JobsApiState) -> None:
    job = jobs_api.add_job(
        plan=held(["\x1b[31mred\x1b[0m\x00 bell\x07 \x1b]0;title\x07tab\tok\x9b", "plain"]), created_ago=1
    )
    reply = await hf_jobs("logs", {"job_id": job.id})
    assert reply.data["outcome"]["lines"] == ["red bell tab\tok", "plain"]
    for char in ("\x00", "\x1b", "\x07", "\x9b"):
        assert char not in reply.everything()


async def test_long_lines_and_many_lines_are_bounded_in_bytes(hf_jobs, jobs_api: JobsApiState) -> None:
    huge = "A" * 400_000 + "\x1b[0m" + "Z" * 400_000  # one 800 kB line
    lines = [huge] + [f"line {i} " + "x" * 900 for i in range(300)]
    job = jobs_api.add_job(plan=held(lines), created_ago=2)
    reply = await hf_jobs("logs", {"job_id": job.id, "tail": 1000})
    got = reply.data["outcome"]["lines"]
    assert len(reply.text.encode()) < logtext.MAX_LOG_BYTES + 2_000
    assert sum(len(x.encode()) + 1 for x in got) <= logtext.MAX_LOG_BYTES
    assert got[-1] == lines[-1] and reply.data["outcome"]["truncated"] is True
    assert reply.data["total_results"] == 301 and reply.data["results_shared"] == len(got) < 301
    assert "tail" in reply.text  # says how to get a different window
    reply = await hf_jobs("logs", {"job_id": job.id, "tail": 301})
    first = reply.data["logs"][0] if len(reply.data["logs"]) == 301 else None
    assert first is None or len(first) <= logtext.MAX_LINE_CHARS + 40


def test_clean_line_keeps_both_ends_of_a_long_line() -> None:
    line = "start " + "x" * 100_000 + " end"
    cleaned = logtext.clean_line(line)
    assert cleaned.startswith("start ") and cleaned.endswith(" end") and "long line cut" in cleaned
    assert len(cleaned) <= logtext.MAX_LINE_CHARS + 40


async def test_env_values_are_names_only_and_masked_in_logs(hf_jobs, jobs_api: JobsApiState) -> None:
    jobs_api.queue_plan(lines=["env=plain-value", "done"], hold=True, scheduling_s=0, line_every_s=0.01)
    reply = await hf_jobs(
        "run", {"command": ["env"], "env": {"PUBLIC_SETTING": "plain-value"}, "wait_seconds": 1}
    )
    job_id = reply.data["job_id"]
    assert reply.data["logs"][0] == "env=***"
    logs = await hf_jobs("logs", {"job_id": job_id})
    assert logs.data["outcome"]["lines"][0] == "env=***" and "plain-value" not in logs.everything()
    inspected = await hf_jobs("inspect", {"job_id": job_id})
    assert "PUBLIC_SETTING" in inspected.text and "plain-value" not in inspected.everything()
    created = await hf_jobs(
        "scheduled run", {"schedule": "@daily", "command": ["env"], "env": {"MODE": "plain-value"}}
    )
    shown = await hf_jobs("scheduled inspect", {"scheduled_job_id": created.data["scheduled_job_id"]})
    assert "MODE" in shown.text and "plain-value" not in shown.everything() + created.everything()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="local jobs are tested on Linux")
async def test_ps_with_an_unreachable_hub_lists_local_jobs(
    hf_jobs_no_hub, monkeypatch: pytest.MonkeyPatch
) -> None:
    reply = await hf_jobs_no_hub(
        "run",
        {"flavor": "local", "command": [sys.executable, "-c", "import time; time.sleep(30)"], "detach": True},
    )
    assert not reply.is_error, reply.text
    local_id = reply.data["job_id"]
    try:
        monkeypatch.setenv("HF_TOKEN", "hf_SomeTokenForAnUnreachableHub123")  # HF_ENDPOINT is a closed port
        listed = await hf_jobs_no_hub("ps")
        assert not listed.is_error, listed.text
        assert [j["id"] for j in listed.data["outcome"]["jobs"]] == [local_id]
        assert (
            "Hugging Face jobs could not be listed" in listed.text and "cannot reach the Hub" in listed.text
        )
        assert listed.data["hub_error"]
    finally:
        await hf_jobs_no_hub("cancel", {"job_id": local_id})


async def test_a_followed_run_is_bounded_too(hf_jobs, jobs_api: JobsApiState) -> None:
    jobs_api.queue_plan(lines=["x" * 1500 for _ in range(100)], scheduling_s=0, line_every_s=0.001)
    reply = await hf_jobs("run", {"command": ["true"], "wait_seconds": 8, "tail": 100})
    logs = reply.data["outcome"]["logs"]
    assert sum(len(x) + 1 for x in logs) <= logtext.MAX_LOG_BYTES and len(logs) < 100
    assert reply.data["outcome"]["logs_truncated"] is True
