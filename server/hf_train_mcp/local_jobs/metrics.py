"""Resource use of a local job's processes, read from /proc (Linux; None elsewhere)."""

from __future__ import annotations

import os
import time
from pathlib import Path

from hf_train_mcp.jobs.model import MetricsSample
from hf_train_mcp.local_jobs import gpus, runner

SAMPLE_INTERVAL_S = 0.25
_PROC = Path("/proc")


def _cpu_ticks_and_rss(pids: set[int]) -> tuple[dict[int, int], int]:
    """CPU ticks (user+system) of each pid still there, and their summed resident memory in bytes."""
    page = os.sysconf("SC_PAGE_SIZE")
    ticks: dict[int, int] = {}
    rss = 0
    for pid in pids:
        fields = runner.stat_fields(pid)  # fields[0] is field 3 (state) of proc(5)
        if fields is None:
            continue
        ticks[pid] = int(fields[11]) + int(fields[12])  # utime, stime
        rss += int(fields[21]) * page
    return ticks, rss


def _memory_total() -> int | None:
    try:
        for line in (_PROC / "meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def sample_job(job_id: str, pgid: int | None, interval: float = SAMPLE_INTERVAL_S) -> MetricsSample | None:
    """CPU % (100 = one core busy) and RSS of every process of the job, plus the machine's GPUs."""
    if not _PROC.is_dir():
        return None
    pids = runner.job_pids(job_id, pgid)
    before, _ = _cpu_ticks_and_rss(pids)
    start = time.monotonic()
    time.sleep(interval)
    after, rss = _cpu_ticks_and_rss(pids | runner.job_pids(job_id, pgid))
    elapsed = time.monotonic() - start
    used = sum(ticks - before.get(pid, ticks) for pid, ticks in after.items())
    cpu_pct = used / os.sysconf("SC_CLK_TCK") / elapsed * 100 if elapsed > 0 else 0.0
    return MetricsSample(
        cpu_usage_pct=round(cpu_pct, 1),
        memory_used_bytes=rss,
        memory_total_bytes=_memory_total(),
        gpus=gpus.gpu_usage(),
    )
