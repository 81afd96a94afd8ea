"""training_loss_curve on real jobs: a training script run as a local job through hf_jobs, and a Hub job
(the Jobs double) whose logs are the real output of a training run."""

from __future__ import annotations

import base64
import io
import sys
import time

import anyio
import pytest
from doubles.jobs_api import hub_double
from hf_train_mcp.app import build_server
from hf_train_mcp.jobs import backends
from mcp import Client
from post_training.conftest import Trained
from training.helpers import SFT_MAPPING, write_script

pytestmark = [pytest.mark.anyio, pytest.mark.slow]
QUIET_ENV = {
    "OMP_NUM_THREADS": "1",
    "TOKENIZERS_PARALLELISM": "false",
    "CUDA_VISIBLE_DEVICES": "",
    "PYTHONUNBUFFERED": "1",
}


def decoded_png(result) -> tuple[int, int]:
    from PIL import Image

    image = [c for c in result.content if c.type == "image"]
    assert len(image) == 1 and image[0].mime_type == "image/png"
    picture = Image.open(io.BytesIO(base64.b64decode(image[0].data)))
    picture.load()
    return picture.size


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="local jobs are tested on Linux")
async def test_the_curve_of_a_local_training_job(trained: Trained, tmp_path, monkeypatch):
    monkeypatch.setenv("HF_TRAIN_MCP_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setattr(backends, "_local_instance", None)
    script = write_script(
        tmp_path,
        type("Assets", (), {"model": trained.base}),
        dataset=str(trained.data),
        column_mapping=SFT_MAPPING,
        max_steps=5,
        output_dir=str(tmp_path / "out"),
    )
    async with Client(build_server()) as client:
        args = {"script": str(script), "flavor": "local", "local_python": sys.executable, "env": QUIET_ENV}
        started = await client.call_tool("hf_jobs", {"operation": "uv", "args": {**args, "detach": True}})
        assert not started.is_error, started.content[0].text
        job_id = started.structured_content["job_id"]
        deadline = time.monotonic() + 240
        while True:
            inspected = await client.call_tool(
                "hf_jobs", {"operation": "inspect", "args": {"job_id": job_id}}
            )
            stage = inspected.structured_content["job"]["stage"]
            if stage in {"COMPLETED", "ERROR", "CANCELED"} or time.monotonic() > deadline:
                break
            await anyio.sleep(0.5)
        assert stage == "COMPLETED"
        result = await client.call_tool("training_loss_curve", {"job_id": job_id})
    assert not result.is_error, result.content[0].text
    data = result.structured_content
    assert data["stage"] == "COMPLETED" and data["finished"] is True
    assert data["points"] == 5 and data["summary"]["steps"] == 5
    assert data["train"][-1]["loss"] == pytest.approx(data["summary"]["final_loss"], rel=1e-3)
    assert decoded_png(result)[0] > 300


async def test_the_curve_of_a_hub_job_from_its_logs(trained: Trained, monkeypatch):
    with hub_double(monkeypatch) as state:
        job = state.add_job(flavor="a10g-large")
        for line in trained.log.splitlines():
            state.log(job.id, line)
        state.finish(job.id)
        async with Client(build_server()) as client:
            result = await client.call_tool("training_loss_curve", {"job_id": job.id})
            missing = await client.call_tool("training_loss_curve", {"job_id": "0123456789abcdef01234567"})
    assert not result.is_error, result.content[0].text
    data = result.structured_content
    assert data["points"] == trained.summary["steps"] and data["summary"] == trained.summary
    assert decoded_png(result)[1] > 200
    assert missing.is_error and "0123456789abcdef01234567" in missing.content[0].text
