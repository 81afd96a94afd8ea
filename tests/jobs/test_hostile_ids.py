"""Job ids and namespaces cannot steer a request to another Hub endpoint (issue 10).

The raw client puts ids into URL paths as given: the first test shows `../` reaching
`DELETE /api/repos/delete` on the double with the caller's token; the others show that no hf_jobs
operation sends a request outside the Jobs API, whatever id or namespace it is given.
"""

from __future__ import annotations

import pytest
from doubles.http_double import Request, Response
from doubles.jobs_api import TOKEN, JobsApiState

pytestmark = pytest.mark.anyio

HOSTILE_IDS = [
    "../../repos/delete",
    "..%2F..%2Frepos%2Fdelete",
    "abc/../../x",
    "abc?x=1",
    "abc#frag",
    " ",
    "a b",
]
HOSTILE_NAMESPACES = ["..", "../repos", "alice/../x", "alice%2F..", "-alice", "a..b"]
ALLOWED = r"^/api/(jobs|scheduled-jobs)(/|$)|^/api/whoami-v2$|^/api/agent-harnesses$"


@pytest.fixture
def repos_delete(jobs_api: JobsApiState) -> list[Request]:
    hits: list[Request] = []

    @jobs_api.server.route("DELETE", "/api/repos/delete")
    def delete(request: Request) -> Response:
        hits.append(request)
        return Response(200, {})

    return hits


def outside_the_jobs_api(jobs_api: JobsApiState) -> list[str]:
    import re

    return [f"{r.method} {r.path}" for r in jobs_api.server.received() if not re.search(ALLOWED, r.path)]


def test_the_raw_client_can_be_steered(jobs_api: JobsApiState, repos_delete: list[Request]) -> None:
    from huggingface_hub import HfApi

    HfApi(endpoint=jobs_api.url, token=TOKEN).delete_scheduled_job(
        scheduled_job_id="../../repos/delete", namespace="alice"
    )
    assert len(repos_delete) == 1 and repos_delete[0].headers["authorization"] == f"Bearer {TOKEN}"


@pytest.mark.parametrize("job_id", HOSTILE_IDS)
async def test_hostile_job_ids_are_refused(
    hf_jobs, jobs_api: JobsApiState, repos_delete, job_id: str
) -> None:
    for operation in ("inspect", "logs", "cancel", "stats"):
        reply = await hf_jobs(operation, {"job_id": job_id})
        assert reply.is_error, (operation, reply.text)
        assert "Traceback" not in reply.text and "failed unexpectedly" not in reply.text
    for operation in (
        "scheduled inspect",
        "scheduled delete",
        "scheduled suspend",
        "scheduled resume",
        "scheduled trigger",
    ):
        reply = await hf_jobs(operation, {"scheduled_job_id": job_id})
        assert reply.is_error, (operation, reply.text)
    reply = await hf_jobs("inspect", {"job_id": ["0123456789abcdef01234567", job_id]})
    assert reply.data["outcome"]["inspections"][1]["status"] == "error"
    assert repos_delete == [] and outside_the_jobs_api(jobs_api) == []


@pytest.mark.parametrize("namespace", HOSTILE_NAMESPACES)
async def test_hostile_namespaces_are_refused(
    hf_jobs, jobs_api: JobsApiState, repos_delete, namespace: str
) -> None:
    calls = [
        ("ps", {}),
        ("run", {"command": ["true"], "detach": True}),
        ("inspect", {"job_id": "0123456789abcdef01234567"}),
        ("scheduled ps", {}),
        ("scheduled delete", {"scheduled_job_id": "0123456789abcdef01234567"}),
    ]
    for operation, args in calls:
        reply = await hf_jobs(operation, {**args, "namespace": namespace})
        assert reply.is_error, (operation, reply.text)
        assert reply.data["outcome"]["code"] == "validation" and "namespace" in reply.text
    assert repos_delete == [] and outside_the_jobs_api(jobs_api) == [] and jobs_api.specs == []


async def test_real_ids_and_names_still_work(hf_jobs, jobs_api: JobsApiState) -> None:
    job = jobs_api.add_job(namespace="acme")
    reply = await hf_jobs("inspect", {"job_id": job.id, "namespace": "acme"})
    assert not reply.is_error, reply.text
    reply = await hf_jobs("inspect", {"job_id": "nope"})
    assert reply.is_error and "404" in reply.text
