"""Bounded log following: progress carries the latest line, and no reader thread outlives its call."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
from doubles.jobs_api import JobsApiState
from hf_train_mcp.jobs import follow
from hf_train_mcp.jobs.model import LogLine

pytestmark = pytest.mark.anyio


def wait_for_no_live_threads(seconds: float = 5.0) -> list[threading.Thread]:
    deadline = time.monotonic() + seconds
    while follow.live_threads() and time.monotonic() < deadline:
        time.sleep(0.05)
    return follow.live_threads()


async def test_progress_notifications_carry_the_latest_line(hf_jobs, jobs_api: JobsApiState) -> None:
    lines = [f"epoch {i}" for i in range(6)]
    jobs_api.queue_plan(lines=lines, scheduling_s=0.1, line_every_s=0.3)
    values: list[float] = []

    async def on_progress(value: float, total: float | None, message: str | None) -> None:
        values.append(value)

    result = await hf_jobs.client.call_tool(
        "hf_jobs",
        {"operation": "run", "args": {"command": ["python", "train.py"], "wait_seconds": 10}},
        progress_callback=on_progress,
    )
    assert not result.is_error
    reply = await hf_jobs("logs", {"job_id": result.structured_content["job_id"]})
    assert reply.data["logs"] == lines
    assert len(values) >= 3 and values == sorted(values) and len(set(values)) == len(values)
    jobs_api.queue_plan(lines=lines, scheduling_s=0.1, line_every_s=0.3)
    reply = await hf_jobs("run", {"command": ["python", "train.py"], "wait_seconds": 10})
    assert reply.progress[0] == "Submitting job." and reply.progress[1].endswith(
        "submitted with status SCHEDULING."
    )
    assert reply.progress[2:] == [f"job: {line}" for line in lines]


async def test_the_reader_thread_ends_when_the_call_returns(hf_jobs, jobs_api: JobsApiState) -> None:
    # The job keeps running silently (the stream stays open with keep-alives only): the reader is
    # blocked in a socket read when the deadline comes, and must still end.
    jobs_api.queue_plan(lines=["started"], hold=True, scheduling_s=0, line_every_s=0.01)
    reply = await hf_jobs("run", {"command": ["sleep", "1000"], "wait_seconds": 1})
    assert reply.data["logs"] == ["started"] and reply.data["finished"] is False
    assert wait_for_no_live_threads() == []
    reply = await hf_jobs("logs", {"job_id": reply.data["job_id"], "wait_seconds": 0.5})
    assert reply.data["finished"] is False
    assert wait_for_no_live_threads() == []
    assert jobs_api.stage(reply.data["job_id"]) == "RUNNING"


async def test_collect_lines_deadline_and_end() -> None:
    stop = threading.Event()

    def slow() -> Iterator[LogLine]:
        for i in range(1000):
            if stop.is_set():
                return
            yield LogLine(None, f"l{i}")
            time.sleep(0.01)

    start = time.monotonic()
    result = await follow.collect_lines(slow, seconds=0.3, tail=3)
    assert 0.25 < time.monotonic() - start < 2
    assert result.timed_out and not result.ended and len(result.lines) == 3 and result.count > 3
    assert wait_for_no_live_threads() == []  # a generator that yields stops at its next line

    result = await follow.collect_lines(
        lambda: iter([LogLine(None, "a"), LogLine(None, "b")]), seconds=5, tail=10
    )
    assert result.ended and result.lines == ["a", "b"]

    def broken() -> Iterator[LogLine]:
        yield LogLine(None, "a")
        raise RuntimeError("stream broke")

    result = await follow.collect_lines(broken, seconds=5, tail=10)
    assert not result.ended and isinstance(result.error, RuntimeError) and result.lines == ["a"]


async def test_run_bounded() -> None:
    assert await follow.run_bounded(lambda: 42, seconds=2) == 42
    assert await follow.run_bounded(lambda: time.sleep(2), seconds=0.2) is None
    with pytest.raises(ValueError):
        await follow.run_bounded(lambda: int("x"), seconds=2)
