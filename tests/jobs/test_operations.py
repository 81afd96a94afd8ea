"""Every hf_jobs operation through a real MCP client, against the Jobs API double."""

from __future__ import annotations

import json
import time

import pytest
from doubles.jobs_api import JobPlan, JobsApiState

pytestmark = pytest.mark.anyio


async def test_tool_is_listed_with_its_schema(hf_jobs) -> None:
    listed = await hf_jobs.client.list_tools()
    tool = next(t for t in listed.tools if t.name == "hf_jobs")
    assert set(tool.input_schema["properties"]) == {"operation", "args"}
    # destructive stated; open world and not idempotent are MCP's defaults for an unstated hint
    assert tool.annotations.destructive_hint is True and tool.annotations.read_only_hint is False
    assert tool.annotations.open_world_hint in (True, None) and not tool.annotations.idempotent_hint
    assert "uv" in tool.description and "hardware" in tool.description


async def test_no_operation_gives_the_usage_guide(hf_jobs) -> None:
    reply = await hf_jobs()
    assert not reply.is_error
    for op in ("run", "uv", "ps", "logs", "inspect", "cancel", "hardware", "stats", "scheduled trigger"):
        assert f"**{op}**" in reply.text
    assert "$HF_TOKEN" in reply.text and "dry_run" in reply.text


async def test_help_and_missing_required_args_give_operation_help(hf_jobs) -> None:
    reply = await hf_jobs("uv", {"help": True})
    assert not reply.is_error and "`script`" in reply.text and "```json" in reply.text
    reply = await hf_jobs("logs")
    assert not reply.is_error and "No arguments provided" in reply.text and "`job_id`" in reply.text
    reply = await hf_jobs("scheduled delete", {})
    assert "`scheduled_job_id`" in reply.text


async def test_run_follows_logs_until_the_job_ends(hf_jobs, jobs_api: JobsApiState) -> None:
    reply = await hf_jobs("run", {"command": ["python", "-c", "print(1)"], "wait_seconds": 8})
    assert not reply.is_error, reply.text
    data = reply.data
    assert data["status"] == "COMPLETED" and data["finished"] is True
    assert data["logs"] == ["Installing dependencies...", "step 1/3", "step 2/3", "step 3/3", "done"]
    assert "===== Job started" not in reply.text
    job_id = data["job_id"]
    assert data["url"] == f"{jobs_api.url}/jobs/alice/{job_id}"
    assert data["timeout_seconds"] == 1800 and data["price_per_hour"] == 0.01 and data["max_cost_usd"] == 0.01
    assert data["next_calls"]["logs"] == {"operation": "logs", "args": {"job_id": job_id, "wait_seconds": 30}}
    assert json.dumps(data["next_calls"]["inspect"]) in reply.text
    assert reply.progress[:2] == ["Submitting job.", f"Job {job_id} submitted with status SCHEDULING."]
    assert reply.progress[2:] == [f"job: {line}" for line in data["logs"]]
    spec = jobs_api.specs[-1]
    assert spec["command"] == ["python", "-c", "print(1)"] and spec["dockerImage"] == "python:3.12"
    assert spec["flavor"] == "cpu-basic" and spec["timeoutSeconds"] == 1800


async def test_run_detached_returns_at_once(hf_jobs, jobs_api: JobsApiState) -> None:
    jobs_api.queue_plan(hold=True)
    start = time.monotonic()
    reply = await hf_jobs(
        "run", {"command": "sleep 100", "detach": True, "flavor": "a10g-large", "timeout": "2h"}
    )
    assert time.monotonic() - start < 3
    assert reply.data["status"] in ("SCHEDULING", "RUNNING") and reply.data["logs"] == []
    assert reply.data["price_per_hour"] == 1.5 and reply.data["max_cost_usd"] == 3.0
    assert "cancel" in reply.data["next_calls"]
    assert "$3.00" in reply.text and "2h" in reply.text


async def test_run_stops_following_at_wait_seconds(hf_jobs, jobs_api: JobsApiState) -> None:
    jobs_api.queue_plan(hold=True)
    start = time.monotonic()
    reply = await hf_jobs("run", {"command": ["python", "train.py"], "wait_seconds": 1.5})
    elapsed = time.monotonic() - start
    assert 1.4 < elapsed < 5, elapsed
    assert reply.data["finished"] is False and reply.data["status"] == "RUNNING"
    assert reply.data["logs"][-1] == "done"
    assert "keeps running" in reply.text


async def test_ps_lists_running_jobs_by_default_and_all_on_request(hf_jobs, jobs_api: JobsApiState) -> None:
    running = jobs_api.add_job(plan=JobPlan(hold=True, scheduling_s=0), labels={"name": "trainer"})
    done = jobs_api.add_job(plan=JobPlan(scheduling_s=0, line_every_s=0.001), created_ago=60)
    time.sleep(0.05)
    reply = await hf_jobs("ps")
    ids = [job["id"] for job in reply.data["jobs"]]
    assert ids == [running.id] and running.id in reply.text and "trainer" in reply.text
    reply = await hf_jobs("ps", {"all": True})
    assert [job["id"] for job in reply.data["jobs"]] == [running.id, done.id]  # newest first
    reply = await hf_jobs("ps", {"status": "completed"})
    assert [job["id"] for job in reply.data["jobs"]] == [done.id]
    reply = await hf_jobs("ps", {"status": "error"})
    assert reply.data["jobs"] == [] and "No jobs with status ERROR." in reply.text


async def test_ps_is_bounded_and_counts_what_it_leaves_out(hf_jobs, jobs_api: JobsApiState) -> None:
    jobs_api.page_size = 10  # the client has to follow Link pagination
    for i in range(25):
        jobs_api.add_job(plan=JobPlan(hold=True, scheduling_s=0), created_ago=100 - i)
    reply = await hf_jobs("ps")
    assert reply.data["total"] == 25 and reply.data["shown"] == 20 and reply.data["omitted"] == 5
    assert "5 more not shown" in reply.text
    for job in reply.data["jobs"]:
        assert job["id"] in reply.text  # ids never truncated
    reply = await hf_jobs("ps", {"limit": 3})
    assert reply.data["shown"] == 3 and "22 more" in reply.text


async def test_ps_empty_hints_at_all(hf_jobs) -> None:
    reply = await hf_jobs("ps")
    assert not reply.is_error and '{"all": true}' in reply.text


async def test_logs_tail_and_follow(hf_jobs, jobs_api: JobsApiState) -> None:
    lines = [f"line {i}" for i in range(50)]
    job = jobs_api.add_job(plan=JobPlan(lines=lines, scheduling_s=0, line_every_s=0.001), created_ago=5)
    reply = await hf_jobs("logs", {"job_id": job.id})
    assert reply.data["logs"] == lines[-20:] and reply.data["finished"] is True
    logs_requests = jobs_api.server.received("GET", "/logs$")
    assert logs_requests[-1].arg("tail") == "21"
    reply = await hf_jobs("logs", {"job_id": job.id, "tail": 5})
    assert reply.data["logs"] == lines[-5:]

    live = jobs_api.add_job(plan=JobPlan(lines=["a", "b"], hold=True, scheduling_s=0, line_every_s=0.01))
    time.sleep(0.1)
    reply = await hf_jobs("logs", {"job_id": live.id, "wait_seconds": 3})
    assert reply.data["logs"] == ["a", "b"] and reply.data["finished"] is False
    assert "still running" in reply.text

    # a line written while following arrives, and the job's end ends the follow early
    late = jobs_api.add_job(plan=JobPlan(lines=["first"], hold=True, scheduling_s=0, line_every_s=0.01))

    def finish_later() -> None:
        time.sleep(0.5)
        jobs_api.log(late.id, "last words")
        jobs_api.finish(late.id, "ERROR", "exit code 1")

    import threading

    threading.Thread(target=finish_later, daemon=True).start()
    start = time.monotonic()
    reply = await hf_jobs("logs", {"job_id": late.id, "wait_seconds": 20})
    assert time.monotonic() - start < 10
    assert reply.data["logs"] == ["first", "last words"] and reply.data["status"] == "ERROR"


async def test_logs_of_a_scheduling_job(hf_jobs, jobs_api: JobsApiState) -> None:
    job = jobs_api.add_job(plan=JobPlan(scheduling_s=60))
    reply = await hf_jobs("logs", {"job_id": job.id})
    assert not reply.is_error and "SCHEDULING" in reply.text and "wait_seconds" in reply.text


async def test_inspect_one_and_many(hf_jobs, jobs_api: JobsApiState) -> None:
    job = jobs_api.add_job(
        plan=JobPlan(hold=True, scheduling_s=0),
        flavor="a100-large",
        timeoutSeconds=7200,
        environment={"MODE": "fast"},
        secrets={"HF_TOKEN": "hf_shouldneverbeseen12345"},
        labels={"name": "big"},
        created_ago=30,
    )
    reply = await hf_jobs("inspect", {"job_id": job.id})
    assert not reply.is_error
    assert reply.data["job"]["flavor"] == "a100-large" and reply.data["job"]["env_names"] == ["MODE"]
    assert reply.data["job"]["secret_names"] == ["HF_TOKEN"]
    assert "fast" not in reply.text  # env values are not shown, only names
    assert "Cost so far" in reply.text
    other = jobs_api.add_job()
    reply = await hf_jobs("inspect", {"job_id": [job.id, other.id, "nope"]})
    assert not reply.is_error
    assert [j["id"] for j in reply.data["jobs"]] == [job.id, other.id]
    assert "nope" in reply.data["errors"] and "404" in reply.data["errors"]["nope"]


async def test_cancel(hf_jobs, jobs_api: JobsApiState) -> None:
    job = jobs_api.add_job(plan=JobPlan(hold=True, scheduling_s=0))
    reply = await hf_jobs("cancel", {"job_id": job.id})
    assert not reply.is_error and reply.data["status"] == "CANCELED" and reply.data["canceled"] is True
    assert jobs_api.stage(job.id) == "CANCELED"
    assert len(jobs_api.server.received("POST", "/cancel$")) == 1
    reply = await hf_jobs("cancel", {"job_id": job.id})
    assert not reply.is_error and reply.data["canceled"] is False and "already finished" in reply.text


async def test_hardware_lists_live_prices(hf_jobs, jobs_api: JobsApiState) -> None:
    reply = await hf_jobs("hardware")
    assert not reply.is_error and reply.data["source"] == "live"
    by_name = {row["name"]: row for row in reply.data["flavors"]}
    assert by_name["a10g-large"]["price_per_hour"] == pytest.approx(1.5, abs=0.01)
    assert by_name["h200"]["accelerator"]["model"] == "H200"
    assert "| a100-large |" in reply.text
    assert jobs_api.server.received("GET", "/api/jobs/hardware$")


async def test_hardware_falls_back_to_the_bundled_table(hf_jobs, jobs_api: JobsApiState) -> None:
    jobs_api.server.inject("GET", r"/api/jobs/hardware$", status=503, times=10)
    reply = await hf_jobs("hardware")
    assert not reply.is_error and reply.data["source"].startswith("bundled")
    assert "unavailable (the Hub answered HTTP 503); prices are from the bundled table" in reply.text
    assert "a10g-large" in reply.text and "Error" not in reply.text  # no exception class or text


async def test_stats_of_a_running_gpu_job(hf_jobs, jobs_api: JobsApiState) -> None:
    job = jobs_api.add_job(plan=JobPlan(hold=True, scheduling_s=0), flavor="a10g-largex2")
    reply = await hf_jobs("stats", {"job_id": job.id})
    assert not reply.is_error, reply.text
    metrics = reply.data["metrics"]
    assert metrics["cpu_usage_pct"] == 37.5 and len(metrics["gpus"]) == 2
    assert "85%" in reply.text
    jobs_api.finish(job.id)
    reply = await hf_jobs("stats", {"job_id": job.id})
    assert not reply.is_error and reply.data["running"] is False and "only while a job runs" in reply.text


async def test_scheduled_lifecycle(hf_jobs, jobs_api: JobsApiState) -> None:
    reply = await hf_jobs(
        "scheduled run",
        {
            "schedule": "@hourly",
            "command": ["python", "-c", "print(1)"],
            "flavor": "t4-small",
            "timeout": "10m",
        },
    )
    assert not reply.is_error, reply.text
    sid = reply.data["scheduled_job_id"]
    body = jobs_api.scheduled_bodies[-1]
    assert body["schedule"] == "@hourly" and body["suspend"] is False
    assert body["jobSpec"]["flavor"] == "t4-small" and body["jobSpec"]["timeoutSeconds"] == 600
    reply = await hf_jobs("scheduled ps")
    assert [d["id"] for d in reply.data["scheduled_jobs"]] == [sid]
    reply = await hf_jobs("scheduled inspect", {"scheduled_job_id": sid})
    assert reply.data["scheduled_job"]["schedule"] == "@hourly"
    jobs_api.queue_plan(hold=True)
    reply = await hf_jobs("scheduled trigger", {"job_id": sid})
    assert not reply.is_error and reply.data["job_id"] in jobs_api.jobs
    reply = await hf_jobs("scheduled trigger", {"job_id": sid})
    assert reply.is_error and "409" in reply.text  # a run is active and concurrency is off
    reply = await hf_jobs("scheduled suspend", {"job_id": sid})
    assert not reply.is_error and jobs_api.schedules[sid].suspend is True
    reply = await hf_jobs("scheduled ps")
    assert reply.data["scheduled_jobs"] == [] and '{"all": true}' in reply.text
    reply = await hf_jobs("scheduled ps", {"all": True})
    assert reply.data["scheduled_jobs"][0]["suspend"] is True
    reply = await hf_jobs("scheduled resume", {"scheduled_job_id": sid})
    assert jobs_api.schedules[sid].suspend is False
    reply = await hf_jobs("scheduled delete", {"scheduled_job_id": sid})
    assert not reply.is_error and sid not in jobs_api.schedules
    reply = await hf_jobs("scheduled inspect", {"scheduled_job_id": sid})
    assert reply.is_error and "404" in reply.text


async def test_scheduled_uv_ships_inline_code(hf_jobs, jobs_api: JobsApiState) -> None:
    reply = await hf_jobs(
        "scheduled uv",
        {
            "schedule": "0 9 * * 1-5",
            "script": "print('daily')",
            "dependencies": ["requests"],
            "suspend": True,
        },
    )
    assert not reply.is_error, reply.text
    body = jobs_api.scheduled_bodies[-1]
    assert body["suspend"] is True and body["jobSpec"]["command"][:2] == ["bash", "-c"]
    assert "--with requests" in body["jobSpec"]["command"][2]


async def test_namespace_is_passed_and_org_namespaces_work(hf_jobs, jobs_api: JobsApiState) -> None:
    reply = await hf_jobs("run", {"command": ["true"], "namespace": "acme", "detach": True})
    assert not reply.is_error
    assert jobs_api.server.received("POST", r"^/api/jobs/acme$")
    job_id = reply.data["job_id"]
    assert reply.data["next_calls"]["inspect"]["args"] == {"job_id": job_id, "namespace": "acme"}
    reply = await hf_jobs("inspect", {"job_id": job_id, "namespace": "acme"})
    assert reply.data["job"]["owner"] == "acme"
    reply = await hf_jobs("inspect", {"job_id": job_id})  # the user's namespace has no such job
    assert reply.is_error and "404" in reply.text


async def test_whoami_is_asked_once(hf_jobs, jobs_api: JobsApiState) -> None:
    for _ in range(3):
        await hf_jobs("ps")
    assert len(jobs_api.server.received("GET", "/api/whoami-v2$")) == 1
    assert all(r.path.startswith("/api/jobs/alice") for r in jobs_api.server.received("GET", "^/api/jobs/a"))
