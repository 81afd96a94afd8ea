"""No token and no secret value given in env/secrets ever appears in any output of any operation:
answer text, structured content, progress notifications and error messages."""

from __future__ import annotations

import uuid

import pytest
from doubles.jobs_api import TOKEN, JobPlan, JobsApiState
from hf_train_mcp.jobs.args import OPERATIONS

pytestmark = pytest.mark.anyio


async def test_no_secret_in_any_output(hf_jobs, jobs_api: JobsApiState) -> None:
    secret = f"s3cret-{uuid.uuid4().hex}"
    env_secret = f"wandb-{uuid.uuid4().hex}"
    forbidden = [TOKEN, secret, env_secret]
    outputs: list[str] = []
    covered: set[str] = set()

    async def call(operation: str | None, args: dict | None = None) -> None:
        reply = await hf_jobs(operation, args)
        outputs.append(reply.everything())
        if operation:
            covered.add(operation)

    secrets = {"HF_TOKEN": "$HF_TOKEN", "MY_SECRET": secret}
    env = {"HF_TOKEN": "${HF_TOKEN}", "WANDB_API_KEY": env_secret, "MODE": "fast"}
    # the very first call carrying the secret is invalid: its error must not echo it
    await call("run", {"command": 5, "secrets": secrets, "env": env})
    # a job that prints the token and the secret in its logs
    jobs_api.default_plan = JobPlan(
        lines=[f"token={TOKEN}", f"secret={secret} env={env_secret}", "done"],
        scheduling_s=0.05,
        line_every_s=0.05,
    )
    await call(
        "run", {"command": ["python", "-c", "print(1)"], "secrets": secrets, "env": env, "wait_seconds": 3}
    )
    await call("uv", {"script": "print(1)", "secrets": secrets, "env": env, "dry_run": True})
    await call("uv", {"script": "print(1)", "secrets": secrets, "env": env, "wait_seconds": 3})
    job_id = jobs_api.specs[-1] and list(jobs_api.jobs)[-1]
    assert jobs_api.specs[-1]["secrets"]["MY_SECRET"] == secret  # the job does get it
    assert jobs_api.specs[-1]["environment"]["WANDB_API_KEY"] == env_secret
    held = jobs_api.add_job(
        plan=JobPlan(hold=True, scheduling_s=0, lines=[f"again {secret}"]),
        secrets={"MY_SECRET": secret},
        environment={"WANDB_API_KEY": env_secret},
    )
    await call("ps", {"all": True})
    await call("logs", {"job_id": job_id})
    await call("logs", {"job_id": held.id, "wait_seconds": 1})
    await call("inspect", {"job_id": [job_id, held.id]})
    await call("stats", {"job_id": held.id})
    await call("cancel", {"job_id": held.id})
    await call("hardware")
    await call(
        "scheduled run",
        {"schedule": "@daily", "command": ["true"], "secrets": secrets, "env": env, "dry_run": True},
    )
    await call("scheduled run", {"schedule": "@daily", "command": ["true"], "secrets": secrets, "env": env})
    await call("scheduled uv", {"schedule": "@daily", "script": "print(2)", "secrets": secrets, "env": env})
    sid = list(jobs_api.schedules)[-1]
    for op in (
        "scheduled ps",
        "scheduled inspect",
        "scheduled suspend",
        "scheduled resume",
        "scheduled trigger",
        "scheduled delete",
    ):
        await call(op, {} if op == "scheduled ps" else {"scheduled_job_id": sid})
    await call(None)
    await call("run", {"help": True})
    # errors whose Hub message echoes the secret
    jobs_api.server.inject("POST", r"^/api/jobs/alice$", status=400, body={"error": f"bad secret {secret}"})
    await call("run", {"command": ["true"], "secrets": secrets})
    jobs_api.server.inject(
        "GET",
        r"^/api/jobs/alice/",
        status=500,
        times=20,
        body={"error": f"crash with {TOKEN} and {env_secret}"},
    )
    await call("inspect", {"job_id": held.id})

    assert covered >= set(OPERATIONS), set(OPERATIONS) - covered
    joined = "\n".join(outputs)
    assert "secret=*** env=***" in joined and "token=***" in joined  # the lines were shown, masked
    for value in forbidden:
        assert value not in joined, f"leaked {value[:8]}..."
