"""The calls agents already make: the official server's hf_jobs examples and the training skill's.

Each asserts the exact job spec the Hub receives.
"""

from __future__ import annotations

import base64
import shlex
from pathlib import Path

import pytest
from doubles.jobs_api import TOKEN, JobsApiState

pytestmark = pytest.mark.anyio

UV_IMAGE = "ghcr.io/astral-sh/uv:python3.12-bookworm"
TRAIN_SCRIPT = """# /// script
# dependencies = ["trl>=1.0", "peft", "trackio"]
# ///
from trl import SFTTrainer
print("training")
"""


def shipped_script(spec: dict) -> str:
    return base64.b64decode(spec["environment"]["HF_TRAIN_MCP_SCRIPT"]).decode()


def uv_invocation(spec: dict) -> list[str]:
    """The `uv run ...` part of a shipped command, split."""
    prelude = spec["command"][2]
    return shlex.split(prelude.split("exec ", 1)[1])


async def test_official_run_example(hf_jobs, jobs_api: JobsApiState) -> None:
    reply = await hf_jobs(
        "run",
        {
            "image": "python:3.12",
            "command": ["python", "-c", "print('Hello from HF Jobs!')"],
            "flavor": "cpu-basic",
            "detach": True,
        },
    )
    assert not reply.is_error, reply.text
    spec = jobs_api.specs[-1]
    assert spec["command"] == ["python", "-c", "print('Hello from HF Jobs!')"]
    assert spec["dockerImage"] == "python:3.12" and spec["flavor"] == "cpu-basic"
    assert spec["timeoutSeconds"] == 1800 and spec["environment"] == {} and "secrets" not in spec


async def test_official_uv_inline_example(hf_jobs, jobs_api: JobsApiState) -> None:
    script = "import random\nprint(42 + random.randint(1, 5))"
    reply = await hf_jobs("uv", {"script": script, "detach": True})
    assert not reply.is_error, reply.text
    spec = jobs_api.specs[-1]
    assert spec["dockerImage"] == UV_IMAGE and spec["command"][:2] == ["bash", "-c"]
    assert shipped_script(spec) == script + "\n"
    assert uv_invocation(spec) == ["uv", "run", "/tmp/hf-train-mcp/script.py", "$@"]


async def test_official_string_command_env_secrets_timeout(hf_jobs, jobs_api: JobsApiState) -> None:
    reply = await hf_jobs(
        "run",
        {
            "command": "python -c \"import os; print(os.environ['MODE'])\"",
            "env": {"MODE": "fast"},
            "secrets": {"HF_TOKEN": "${HF_TOKEN}"},
            "timeout": "5m",
            "flavor": "t4-small",
            "detach": True,
        },
    )
    assert not reply.is_error, reply.text
    spec = jobs_api.specs[-1]
    assert spec["command"] == ["python", "-c", "import os; print(os.environ['MODE'])"]
    assert spec["environment"] == {"MODE": "fast"}
    assert spec["secrets"] == {"HF_TOKEN": TOKEN}
    assert spec["timeoutSeconds"] == 300 and spec["flavor"] == "t4-small"


async def test_official_uv_url_with_deps_args_python(hf_jobs, jobs_api: JobsApiState) -> None:
    url = "https://huggingface.co/datasets/uv-scripts/classification/raw/main/classify.py"
    reply = await hf_jobs(
        "uv",
        {
            "script": url,
            "with_deps": ["transformers"],
            "script_args": ["--limit", "10"],
            "python": "3.11",
            "flavor": "l4x1",
            "detach": True,
        },
    )
    assert not reply.is_error, reply.text
    spec = jobs_api.specs[-1]
    assert spec["command"] == [
        "uv",
        "run",
        "--with",
        "transformers",
        "--python",
        "3.11",
        url,
        "--limit",
        "10",
    ]
    assert spec["dockerImage"] == UV_IMAGE and spec["flavor"] == "l4x1"
    assert spec["environment"] == {}


async def test_official_read_operations(hf_jobs, jobs_api: JobsApiState) -> None:
    job = jobs_api.add_job()
    for operation, args in [
        ("ps", None),
        ("ps", {"all": True, "status": "RUNNING"}),
        ("logs", {"job_id": job.id, "tail": 20}),
        ("inspect", {"job_id": job.id}),
        ("inspect", {"job_id": [job.id]}),
        ("cancel", {"job_id": job.id}),
        ("scheduled ps", {"all": True}),
    ]:
        reply = await hf_jobs(operation, args)
        assert not reply.is_error, (operation, reply.text)


async def test_official_scheduled_calls(hf_jobs, jobs_api: JobsApiState) -> None:
    reply = await hf_jobs(
        "scheduled run",
        {"schedule": "@hourly", "image": "python:3.12", "command": ["python", "backup.py"], "suspend": True},
    )
    assert not reply.is_error, reply.text
    sid = reply.data["scheduled_job_id"]
    assert jobs_api.scheduled_bodies[-1]["suspend"] is True
    for operation in ("scheduled inspect", "scheduled resume", "scheduled suspend", "scheduled delete"):
        reply = await hf_jobs(operation, {"scheduled_job_id": sid})
        assert not reply.is_error, (operation, reply.text)


async def test_training_skill_call_with_a_local_file(hf_jobs, jobs_api: JobsApiState, tmp_path: Path) -> None:
    script = tmp_path / "train_sft.py"
    script.write_text(TRAIN_SCRIPT)
    reply = await hf_jobs(
        "uv",
        {
            "script": str(script),
            "flavor": "a10g-largex2",
            "timeout": "4h",
            "secrets": {"HF_TOKEN": "$HF_TOKEN"},
            "detach": True,
        },
    )
    assert not reply.is_error, reply.text
    spec = jobs_api.specs[-1]
    assert spec["flavor"] == "a10g-largex2"
    assert spec["timeoutSeconds"] == 14400
    assert spec["secrets"] == {"HF_TOKEN": TOKEN}
    assert spec["dockerImage"] == UV_IMAGE
    assert shipped_script(spec) == TRAIN_SCRIPT
    assert uv_invocation(spec) == ["uv", "run", "/tmp/hf-train-mcp/train_sft.py", "$@"]
    assert spec["labels"]["name"].startswith("train_sft-")
    # the answer gives price and the most the job can cost: 4 h of a10g-largex2 at $3.00/h
    assert reply.data["price_per_hour"] == 3.0 and reply.data["max_cost_usd"] == 12.0
    assert TOKEN not in reply.everything()


async def test_training_skill_spellings(hf_jobs, jobs_api: JobsApiState) -> None:
    reply = await hf_jobs(
        "uv",
        {
            "script": TRAIN_SCRIPT,
            "dependencies": ["bitsandbytes"],
            "image": "ghcr.io/astral-sh/uv:python3.11-bookworm",
            "timeout": 7200,
            "flavor": "a100-large",
            "secrets": {"HF_TOKEN": "$HF_TOKEN"},
            "detach": True,
        },
    )
    assert not reply.is_error, reply.text
    spec = jobs_api.specs[-1]
    assert spec["dockerImage"] == "ghcr.io/astral-sh/uv:python3.11-bookworm"
    assert spec["timeoutSeconds"] == 7200
    assert uv_invocation(spec)[:4] == ["uv", "run", "--with", "bitsandbytes"]
    assert shipped_script(spec) == TRAIN_SCRIPT
    reply = await hf_jobs("scheduled uv", {"script": "print(1)", "schedule": "@daily"})
    sid = reply.data["scheduled_job_id"]
    reply = await hf_jobs("scheduled inspect", {"job_id": sid})
    assert not reply.is_error and reply.data["scheduled_job"]["id"] == sid


async def test_dry_run_shows_exactly_what_is_sent(hf_jobs, jobs_api: JobsApiState, tmp_path: Path) -> None:
    script = tmp_path / "train.py"
    script.write_text(TRAIN_SCRIPT)
    args = {
        "script": str(script),
        "flavor": "a10g-large",
        "timeout": "90m",
        "dependencies": ["peft"],
        "script_args": ["--epochs", "2"],
        "env": {"WANDB_MODE": "offline"},
        "secrets": {"HF_TOKEN": "$HF_TOKEN", "OTHER": "s3cr3t-value"},
        "volumes": ["hf://datasets/org/ds:/data"],
    }
    reply = await hf_jobs("uv", {**args, "dry_run": True})
    assert not reply.is_error, reply.text
    assert jobs_api.specs == []  # nothing sent
    dry = reply.data["spec"]
    assert dry["secrets"] == {"HF_TOKEN": "***", "OTHER": "***"}
    assert "s3cr3t-value" not in reply.everything() and TOKEN not in reply.everything()
    assert reply.data["max_cost_usd"] == 2.25
    reply = await hf_jobs("uv", {**args, "detach": True})
    assert not reply.is_error, reply.text
    sent = jobs_api.specs[-1]
    assert sent["secrets"] == {"HF_TOKEN": TOKEN, "OTHER": "s3cr3t-value"}
    assert {**sent, "secrets": dry["secrets"]} == dry
    assert sent["volumes"] == [{"type": "dataset", "source": "org/ds", "mountPath": "/data"}]


async def test_dry_run_of_a_scheduled_job(hf_jobs, jobs_api: JobsApiState) -> None:
    reply = await hf_jobs(
        "scheduled run", {"schedule": "@weekly", "command": ["echo", "hi"], "dry_run": True}
    )
    assert not reply.is_error and jobs_api.scheduled_bodies == []
    assert reply.data["spec"]["schedule"] == "@weekly" and reply.data["spec"]["jobSpec"]["command"] == [
        "echo",
        "hi",
    ]
    assert "/api/scheduled-jobs/alice" in reply.text


async def test_dry_run_works_without_a_token(hf_jobs_no_hub) -> None:
    reply = await hf_jobs_no_hub(
        "uv", {"script": "print(1)", "secrets": {"HF_TOKEN": "$HF_TOKEN"}, "dry_run": True}
    )
    assert not reply.is_error, reply.text
    assert reply.data["spec"]["secrets"] == {"HF_TOKEN": "***"}
    assert "No Hugging Face token" in reply.text


async def test_dry_run_still_shows_the_spec_when_whoami_fails(hf_jobs, jobs_api: JobsApiState) -> None:
    jobs_api.server.inject("GET", r"/api/whoami-v2$", status=503, times=20)
    reply = await hf_jobs("uv", {"script": "print(1)", "flavor": "a10g-small", "dry_run": True})
    assert not reply.is_error, reply.text
    assert "/api/jobs/<your user>" in reply.text and "could not be looked up" in reply.text
    assert reply.data["spec"]["flavor"] == "a10g-small"
    assert jobs_api.specs == []
