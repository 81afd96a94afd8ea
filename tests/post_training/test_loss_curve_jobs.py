"""training_loss_curve on a Hub job (the Jobs double) whose logs are the real output of a training run.
(The curve of a local training job is checked on the run of tests/local_jobs/test_local_through_mcp.py.)"""

from __future__ import annotations

import pytest
from doubles.jobs_api import hub_double
from hf_train_mcp.app import build_server
from local_jobs.mcp_door import decoded_png
from mcp import Client
from post_training.conftest import Trained

pytestmark = [pytest.mark.anyio, pytest.mark.slow]


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
