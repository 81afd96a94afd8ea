"""The private `huggingface_hub` helpers we still use are pinned: when a client upgrade moves or
changes them, these fail (not a user's dry run or scheduled job). `attempts` reaches the Hub."""

from __future__ import annotations

import inspect

import pytest
from doubles.jobs_api import JobsApiState
from hf_train_mcp.jobs import client_private

pytestmark = pytest.mark.anyio


def test_the_private_names_exist_with_the_parameters_we_pass() -> None:
    from huggingface_hub import _jobs_api

    spec_params = inspect.signature(_jobs_api._create_job_spec).parameters
    for name in ("image", "command", "env", "secrets", "flavor", "timeout", "name", "labels", "volumes"):
        assert name in spec_params, name
    assert "attempts" in spec_params
    assert list(inspect.signature(_jobs_api._default_job_name_from_image).parameters)[:2] == [
        "image",
        "command",
    ]
    assert list(inspect.signature(_jobs_api._default_job_name_from_script).parameters)[:2] == [
        "script",
        "script_args",
    ]
    assert client_private.scheduled_job_info_class() is _jobs_api.ScheduledJobInfo


def test_the_spec_we_build_is_the_body_the_client_sends(jobs_api: JobsApiState) -> None:
    from huggingface_hub import HfApi

    kwargs = {
        "image": "python:3.12",
        "command": ["python", "-c", "print(1)"],
        "env": {"A": "1"},
        "secrets": {"S": "value-of-s"},
        "flavor": "cpu-basic",
        "timeout": 600,
        "name": client_private.default_job_name_from_image("python:3.12", ["python", "-c", "print(1)"]),
        "labels": {"k": "v"},
        "attempts": 3,
    }
    HfApi(endpoint=jobs_api.url, token=jobs_api.token).run_job(**kwargs, namespace="alice")
    assert jobs_api.specs[-1] == client_private.create_job_spec(**kwargs)
    assert jobs_api.specs[-1]["attempts"] == 3
    assert client_private.default_job_name_from_script("train.py", ["--x"]).startswith("train-")


async def test_attempts_reach_the_hub_and_are_refused_for_local_jobs(hf_jobs, jobs_api: JobsApiState) -> None:
    reply = await hf_jobs("uv", {"script": "print(1)", "flavor": "cpu-basic", "attempts": 3, "detach": True})
    assert not reply.is_error, reply.text
    assert jobs_api.specs[-1]["attempts"] == 3
    reply = await hf_jobs("uv", {"script": "print(1)", "flavor": "cpu-basic", "detach": True})
    assert "attempts" not in jobs_api.specs[-1]  # the Hub's default (1) unless asked
    reply = await hf_jobs("run", {"command": ["true"], "flavor": "local", "attempts": 2})
    assert reply.is_error and '"attempts" re-runs Hugging Face Jobs only' in reply.text
    reply = await hf_jobs("uv", {"script": "print(1)", "attempts": 9})
    assert reply.is_error and "attempts" in reply.text
