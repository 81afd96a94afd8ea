"""Local jobs through the doors users use: a generated SFT LoRA script submitted with flavor "local"
trains a tiny model end to end (and training_loss_curve draws that job's curve); cancel and timeout of
long jobs; a server restart mid-job."""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import anyio
import pytest
from hf_train_mcp.app import build_server
from hf_train_mcp.jobs import backends
from local_jobs.mcp_door import (
    FINISHED,
    QUIET_ENV,
    Call,
    assert_trained,
    decoded_png,
    mcp_caller,
    tiny_sft_request,
    wait_for_stage,
)
from mcp import Client, StdioServerParameters
from training.helpers import TinyAssets

pytestmark = [
    pytest.mark.anyio,
    pytest.mark.slow,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="local jobs are tested on Linux"),
]


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HF_TRAIN_MCP_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setattr(backends, "_local_instance", None)
    return tmp_path / "data"


@pytest.fixture
async def call(data_dir: Path) -> AsyncIterator[Call]:
    async with mcp_caller() as invoke:
        yield invoke


async def test_generated_sft_lora_script_trains_locally_end_to_end(
    call: Call, tiny: TinyAssets, tmp_path: Path
) -> None:
    out = tmp_path / "adapter-out"
    generated, _ = await call("generate_training_script", tiny_sft_request(tiny, out))
    submit = generated["hf_jobs"]
    assert submit["operation"] == "uv" and submit["args"]["flavor"] == "local"
    progress: list[str] = []
    args = {**submit["args"], "local_python": sys.executable, "env": QUIET_ENV, "wait_seconds": 120}
    answer, text = await call("hf_jobs", {"operation": "uv", "args": args}, progress=progress)
    job_id = answer["job_id"]
    assert job_id.startswith("local-") and job_id in text
    assert progress, "log lines are relayed as progress while the job is followed"

    await assert_trained(call, job_id, out)
    assert (out / "README.md").is_file()
    _, ps_text = await call("hf_jobs", {"operation": "ps", "args": {"all": True}})
    assert job_id in ps_text

    # The same run serves training_loss_curve on a local job: its curve comes from the job's own log.
    async with Client(build_server()) as client:
        curve = await client.call_tool("training_loss_curve", {"job_id": job_id})
    assert not curve.is_error, curve.content[0].text
    data = curve.structured_content
    assert data["stage"] == "COMPLETED" and data["finished"] is True
    assert data["points"] == 3 and data["summary"]["steps"] == 3  # logging_steps=1: a point per step
    assert data["train"][-1]["loss"] == pytest.approx(data["summary"]["final_loss"], rel=1e-3)
    assert decoded_png(curve)[0] > 300


async def test_cancel_stops_a_long_local_job(call: Call) -> None:
    answer, _ = await call(
        "hf_jobs",
        {
            "operation": "run",
            "args": {
                "command": ["bash", "-c", "echo started; sleep 300 & sleep 300"],
                "flavor": "local",
                "detach": True,
            },
        },
    )
    job_id = answer["job_id"]
    running = await wait_for_stage(call, job_id, {"RUNNING"}, 20)
    assert running["stage"] == "RUNNING"
    _, text = await call("hf_jobs", {"operation": "cancel", "args": {"job_id": job_id}})
    assert job_id in text
    job = await wait_for_stage(call, job_id, {"CANCELED"}, 20)
    assert job["stage"] == "CANCELED"


async def test_timeout_ends_a_local_job_with_an_error(call: Call) -> None:
    answer, _ = await call(
        "hf_jobs",
        {
            "operation": "run",
            "args": {"command": ["sleep", "120"], "flavor": "local", "timeout": 2, "detach": True},
        },
    )
    job = await wait_for_stage(call, answer["job_id"], FINISHED, 30)
    assert job["stage"] == "ERROR"
    assert "timed out" in json.dumps(job)


async def test_jobs_survive_a_server_restart(data_dir: Path, tmp_path: Path) -> None:
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "hf_train_mcp"],
        env={**os.environ, "HF_TRAIN_MCP_DATA_DIR": str(data_dir)},
    )
    go = tmp_path / "go"  # the job runs until the second server has listed it (at most a minute)
    script = (
        "import os, time\nprint('first', flush=True)\nend = time.monotonic() + 60\n"
        f"while not os.path.exists({str(go)!r}) and time.monotonic() < end: time.sleep(0.05)\n"
        "print('last', flush=True)\n"
    )
    async with Client(params) as first_server:
        result = await first_server.call_tool(
            "hf_jobs",
            {
                "operation": "run",
                "args": {"command": [sys.executable, "-c", script], "flavor": "local", "detach": True},
            },
        )
        assert not result.is_error
        job_id = result.structured_content["job_id"]
    # the first server process is gone; the job is not
    async with Client(params) as second_server:
        listed = await second_server.call_tool("hf_jobs", {"operation": "ps"})
        assert job_id in listed.content[0].text
        go.touch()
        deadline = time.monotonic() + 30
        while True:
            seen = await second_server.call_tool(
                "hf_jobs", {"operation": "inspect", "args": {"job_id": job_id}}
            )
            job = seen.structured_content["job"]
            if (job["stage"] != "RUNNING" and job["stage"] != "SCHEDULING") or time.monotonic() > deadline:
                break
            await anyio.sleep(0.2)
        assert job["stage"] == "COMPLETED"
        logs = await second_server.call_tool("hf_jobs", {"operation": "logs", "args": {"job_id": job_id}})
        text = logs.content[0].text
        assert "first" in text and "last" in text


async def test_following_a_silent_local_job_frees_its_reader_thread(call: Call) -> None:
    from hf_train_mcp.jobs import follow

    answer, _ = await call(
        "hf_jobs",
        {"operation": "run", "args": {"command": ["sleep", "60"], "flavor": "local", "wait_seconds": 1}},
    )
    assert answer["finished"] is False
    deadline = time.monotonic() + 5
    while follow.live_threads() and time.monotonic() < deadline:
        await anyio.sleep(0.1)
    assert follow.live_threads() == []  # the job still runs; nobody is left reading its log
