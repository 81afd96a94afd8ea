"""The Jobs API double answers the real huggingface_hub client the way the Hub does."""

from __future__ import annotations

import time

import pytest
from doubles.jobs_api import JobPlan, JobsApiState


@pytest.fixture
def api(jobs_api: JobsApiState):
    from huggingface_hub import HfApi

    return HfApi(endpoint=jobs_api.url, token=jobs_api.token)


def test_stages_and_logs(api, jobs_api: JobsApiState) -> None:
    jobs_api.queue_plan(lines=["a", "b", "c"], scheduling_s=0.3, line_every_s=0.1)
    job = api.run_job(image="python:3.12", command=["echo"], namespace="alice")
    assert job.status.stage == "SCHEDULING" and job.status.message
    assert job.url == f"{jobs_api.url}/jobs/alice/{job.id}"
    # follow=True replays the history, drops "===== Job started", and ends with the job
    assert list(api.fetch_job_logs(job_id=job.id, namespace="alice", follow=True)) == ["a", "b", "c"]
    info = api.inspect_job(job_id=job.id, namespace="alice")
    assert info.status.stage == "COMPLETED" and info.started_at and info.finished_at
    assert list(api.fetch_job_logs(job_id=job.id, namespace="alice", tail=2)) == ["b", "c"]
    raw = jobs_api.server.received("GET", "/logs$")[-1]
    assert raw.arg("tail") == "2"


def test_error_outcome_and_cancel(api, jobs_api: JobsApiState) -> None:
    jobs_api.queue_plan(lines=["boom"], outcome="ERROR", scheduling_s=0, line_every_s=0.01)
    failed = api.run_job(image="python:3.12", command=["false"], namespace="alice")
    time.sleep(0.1)
    info = api.inspect_job(job_id=failed.id, namespace="alice")
    assert info.status.stage == "ERROR" and "exit code" in info.status.message
    held = jobs_api.add_job(plan=JobPlan(hold=True, scheduling_s=0))
    api.cancel_job(job_id=held.id, namespace="alice")
    assert api.inspect_job(job_id=held.id, namespace="alice").status.stage == "CANCELED"


def test_metrics_stream_and_406_when_finished(api, jobs_api: JobsApiState) -> None:
    job = jobs_api.add_job(plan=JobPlan(hold=True, scheduling_s=0), flavor="t4-small")
    sample = next(iter(api.fetch_job_metrics(job_id=job.id, namespace="alice")))
    assert sample["gpus"] and sample["memory_total_bytes"] > 0
    jobs_api.finish(job.id)
    assert list(api.fetch_job_metrics(job_id=job.id, namespace="alice")) == []  # 406, tolerated by the client
    assert jobs_api.server.received("GET", "/metrics$")  # and it was asked


def test_auth_and_misc_routes(api, jobs_api: JobsApiState) -> None:
    from huggingface_hub import HfApi
    from huggingface_hub.errors import HfHubHTTPError

    assert api.whoami()["name"] == "alice"
    with pytest.raises(HfHubHTTPError) as err:
        HfApi(endpoint=jobs_api.url, token="hf_nope_nope_nope_nope_nope").whoami()
    assert err.value.response.status_code == 401
    hardware = api.list_jobs_hardware()
    assert {h.name for h in hardware} >= {"cpu-basic", "a10g-large", "h200"}
    assert next(h for h in hardware if h.name == "a10g-largex2").accelerator.vram == "48 GB"
    import httpx2

    assert httpx2.get(f"{jobs_api.url}/api/agent-harnesses").status_code == 404


def test_list_pagination_and_filters(api, jobs_api: JobsApiState) -> None:
    jobs_api.page_size = 3
    for _ in range(7):
        jobs_api.add_job(plan=JobPlan(hold=True, scheduling_s=0), labels={"team": "a"})
    jobs_api.add_job(plan=JobPlan(scheduling_s=0, line_every_s=0.001), created_ago=10)
    assert len(list(api.list_jobs(namespace="alice"))) == 8
    assert len(list(api.list_jobs(namespace="alice", status="RUNNING"))) == 7
    assert len(list(api.list_jobs(namespace="alice", labels={"team": "a"}))) == 7
    assert len(jobs_api.server.received("GET", "^/api/jobs/alice$")) >= 3 + 3 + 3
