"""A local job is stopped at its timeout, as the user set it: not early, and not several times later."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest
from hf_train_mcp.jobs.model import JobSubmission
from hf_train_mcp.local_jobs.backend import LocalJobsBackend

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="local jobs are tested on Linux"),
]

TIMEOUT_S = 3


def test_a_local_job_is_killed_at_its_timeout(tmp_path: Path) -> None:
    backend = LocalJobsBackend(tmp_path / "data", max_jobs=1, kill_grace_seconds=1.0)
    view = backend.submit(
        JobSubmission(image="", command=["sleep", "120"], flavor="local", timeout_seconds=TIMEOUT_S)
    )
    try:
        deadline = time.monotonic() + 30
        while backend.inspect(view.id).stage not in {"ERROR", "COMPLETED", "CANCELED"}:
            assert time.monotonic() < deadline, "the job outlived its timeout by far"
            time.sleep(0.1)
        done = backend.inspect(view.id)
    finally:
        for job in backend.list(include_finished=False):
            backend.cancel(job.id)
    assert done.stage == "ERROR" and done.message == f"timed out after {TIMEOUT_S}s"
    assert done.started_at is not None and done.finished_at is not None
    ran = (done.finished_at - done.started_at).total_seconds()
    assert TIMEOUT_S - 0.5 <= ran <= TIMEOUT_S + 3.5, f"ran {ran:.1f} s for a {TIMEOUT_S} s timeout"
