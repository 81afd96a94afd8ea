"""Process plumbing shared by the backend and the supervisors: liveness locks, slots, stopping jobs.

Liveness is a lock, not a pid: a job's supervisor holds an exclusive `flock` on its
`supervisor.lock` from before it is spawned until it exits (the kernel drops it even on SIGKILL).
Whoever can take that lock knows the supervisor is gone — no pid reuse, no zombie confusion.

Concurrency slots are `flock`s too (`slots/slot-<n>.lock`): a supervisor holds one while its
command runs, so a slot frees itself whatever way the supervisor ends, with or without a server.

Every process of a job carries `HF_TRAIN_MCP_LOCAL_JOB_ID=<id>` in its environment; on Linux that
finds the job's processes, even ones that left its process group, without ever touching another.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import signal
import time
from pathlib import Path

from hf_train_mcp.local_jobs.paths import SUPERVISOR_LOCK

JOB_ID_ENV = "HF_TRAIN_MCP_LOCAL_JOB_ID"
_PROC = Path("/proc")


def try_lock(path: Path) -> int | None:
    """An fd holding an exclusive lock on `path`, or None when someone else holds it."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


def supervisor_alive(job_dir: Path | str) -> bool:
    path = Path(job_dir) / SUPERVISOR_LOCK
    if not path.exists():
        return False
    fd = try_lock(path)
    if fd is None:
        return True
    os.close(fd)  # we got it: nobody holds it any more
    return False


def try_take_slot(slots_dir: Path, max_jobs: int) -> int | None:
    """Lock one of `max_jobs` slot files; the fd (keep it open while the job runs) or None if all taken."""
    slots_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    for n in range(max(1, max_jobs)):
        fd = try_lock(slots_dir / f"slot-{n}.lock")
        if fd is not None:
            return fd
    return None


def busy_slots(slots_dir: Path, max_jobs: int) -> int:
    taken = 0
    for n in range(max(1, max_jobs)):
        path = slots_dir / f"slot-{n}.lock"
        if not path.exists():
            continue
        fd = try_lock(path)
        if fd is None:
            taken += 1
        else:
            os.close(fd)
    return taken


def stat_fields(pid: int) -> list[str] | None:
    """Fields of /proc/<pid>/stat after the command name (index 0 is the state)."""
    try:
        raw = (_PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    return raw[raw.rfind(")") + 2 :].split()


def job_pids(job_id: str, pgid: int | None) -> set[int]:
    """Live processes of a job: its process group, plus (Linux) every process carrying its id."""
    pids: set[int] = set()
    if not _PROC.is_dir():
        if pgid and _group_exists(pgid):
            pids.add(pgid)
        return pids
    marker = f"{JOB_ID_ENV}={job_id}".encode()
    for entry in _PROC.iterdir():
        if not entry.name.isdigit():
            continue
        pid = int(entry.name)
        if pid == os.getpid():
            continue
        fields = stat_fields(pid)
        if fields is None or fields[0] in ("Z", "X"):
            continue
        if pgid is not None and int(fields[2]) == pgid:
            pids.add(pid)
            continue
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        if marker in environ.split(b"\0"):
            pids.add(pid)
    return pids


def _group_exists(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def signal_job(job_id: str, pgid: int | None, sig: int) -> None:
    if pgid:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, sig)
    for pid in job_pids(job_id, pgid):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, sig)


def stop_job_processes(job_id: str, pgid: int | None, grace_seconds: float) -> None:
    """SIGTERM every process of the job, SIGKILL what is left after `grace_seconds`, wait until gone."""
    signal_job(job_id, pgid, signal.SIGTERM)
    deadline = time.monotonic() + grace_seconds
    while job_pids(job_id, pgid) and time.monotonic() < deadline:
        time.sleep(0.05)
    if job_pids(job_id, pgid):
        signal_job(job_id, pgid, signal.SIGKILL)
        deadline = time.monotonic() + 5.0
        while job_pids(job_id, pgid) and time.monotonic() < deadline:
            time.sleep(0.05)
