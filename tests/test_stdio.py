"""The server as users run it: a stdio subprocess, the streamable HTTP transport, and the CLI `call`
path — each against the Jobs API double over loopback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from doubles.jobs_api import TOKEN, JobPlan, JobsApiState, hub_double
from served import free_port, stop, wait_until_listening

pytestmark = pytest.mark.slow


@pytest.fixture
def jobs_api(monkeypatch: pytest.MonkeyPatch) -> Iterator[JobsApiState]:
    with hub_double(monkeypatch) as state:
        yield state


def server_env(jobs_api: JobsApiState, tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "HF_ENDPOINT": jobs_api.url,
            "HF_TOKEN": jobs_api.token,
            "HF_HOME": str(tmp_path / "hf_home"),
            "HF_TRAIN_MCP_DATA_DIR": str(tmp_path / "local-data"),
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


@pytest.mark.anyio
async def test_stdio_subprocess(jobs_api: JobsApiState, tmp_path: Path) -> None:
    from mcp import Client, StdioServerParameters

    params = StdioServerParameters(
        command=sys.executable, args=["-m", "hf_train_mcp"], env=server_env(jobs_api, tmp_path)
    )
    progress: list[str] = []

    async def on_progress(value: float, total: float | None, message: str | None) -> None:
        progress.append(message or "")

    async with Client(params) as client:
        tools = await client.list_tools()
        assert "hf_jobs" in {t.name for t in tools.tools}
        result = await client.call_tool("hf_jobs", {"operation": "ps"})
        assert not result.is_error and "No running jobs" in result.content[0].text
        result = await client.call_tool(
            "hf_jobs",
            {
                "operation": "uv",
                "args": {"script": "print('hi')", "secrets": {"HF_TOKEN": "$HF_TOKEN"}, "wait_seconds": 8},
            },
            progress_callback=on_progress,
        )
        assert not result.is_error, result.content[0].text
        data = result.structured_content
        assert data["status"] == "COMPLETED" and data["logs"][-1] == "done"
        assert progress and progress[-1] == "job: done"
        assert TOKEN not in json.dumps(data) and TOKEN not in result.content[0].text
    assert jobs_api.specs[-1]["secrets"] == {"HF_TOKEN": TOKEN}


@pytest.mark.anyio
async def test_streamable_http_transport(jobs_api: JobsApiState, tmp_path: Path) -> None:
    from mcp import Client

    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "hf_train_mcp", "--transport", "http", "--port", str(port)],
        env=server_env(jobs_api, tmp_path),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        wait_until_listening(proc, port, 60, lambda: proc.stderr.read().decode()[-2000:])
        async with Client(f"http://127.0.0.1:{port}/mcp") as client:
            tools = await client.list_tools()
            assert "hf_jobs" in {t.name for t in tools.tools}
            result = await client.call_tool("hf_jobs", {"operation": "hardware"})
            assert not result.is_error and "a10g-large" in result.content[0].text
    finally:
        stop(proc)
        if proc.stderr:
            proc.stderr.close()


def _cli(jobs_api: JobsApiState, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hf_train_mcp", "call", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=server_env(jobs_api, tmp_path),
    )


def test_cli_call(jobs_api: JobsApiState, tmp_path: Path) -> None:
    jobs_api.queue_plan(JobPlan(lines=["hello from the cli job"]))
    out = _cli(
        jobs_api,
        tmp_path,
        "hf_jobs",
        json.dumps({"operation": "run", "args": {"command": ["echo", "hi"], "wait_seconds": 8}}),
    )
    assert out.returncode == 0, out.stderr
    assert "Job started: " in out.stdout and "hello from the cli job" in out.stdout
    assert "[progress] job: hello from the cli job" in out.stderr
    job_id = jobs_api.specs and next(iter(jobs_api.jobs))
    out = _cli(
        jobs_api,
        tmp_path,
        "hf_jobs",
        json.dumps({"operation": "inspect", "args": {"job_id": job_id}}),
        "--json",
    )
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["job"]["id"] == job_id
    out = _cli(
        jobs_api, tmp_path, "hf_jobs", json.dumps({"operation": "inspect", "args": {"job_id": "nope"}})
    )
    assert out.returncode == 1 and "404" in out.stdout
