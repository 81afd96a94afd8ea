"""`LocalJobsBackend`: the `JobsBackend` that runs jobs on this machine.

Each job runs under its own detached supervisor process (`supervisor.py`), so jobs keep running,
queue, time out and record their end whether or not a server is alive. This class only writes the
job's folder and record, spawns the supervisor, and reads back what the supervisors record. Any
instance, in any process, sees the same jobs: a restarted server finds its running jobs again, and
marks as errors the jobs whose supervisor died without recording an end.
"""

from __future__ import annotations

import contextlib
import getpass
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import hf_train_mcp
from hf_train_mcp.errors import AgentError
from hf_train_mcp.job_env import minimal_env
from hf_train_mcp.jobs.model import (
    ACTIVE_STAGES,
    LOCAL_FLAVOR,
    LOCAL_ID_PREFIX,
    JobSubmission,
    JobView,
    LogLine,
    MetricsSample,
    UvScript,
)
from hf_train_mcp.jobs.timeouts import DEFAULT_TIMEOUT_SECONDS  # the Hub's default
from hf_train_mcp.local_jobs import logfile, metrics, paths, runner
from hf_train_mcp.local_jobs.private import private_dir, secret_env_values, stored_env, write_private
from hf_train_mcp.local_jobs.store import JobRecord, JobStore
from hf_train_mcp.local_jobs.supervisor import waiting_message
from hf_train_mcp.redact import register_secrets

MAX_JOBS_ENV = "HF_TRAIN_MCP_LOCAL_MAX_JOBS"
DEFAULT_KILL_GRACE_SECONDS = 5.0
DEFAULT_UV_IMAGE = "ghcr.io/astral-sh/uv:python3.12-bookworm"
FOLLOW_POLL_S = 0.2
SCRIPT_DOWNLOAD_TIMEOUT_S = 30.0


class LocalJobError(AgentError):
    """A local job could not be submitted or operated on; the message says what to do."""


class LocalJobNotFoundError(LocalJobError):
    pass


def max_jobs_from_env() -> int:
    try:
        return max(1, int(os.environ.get(MAX_JOBS_ENV, "1")))
    except ValueError:
        return 1


def find_uv() -> str | None:
    """The `uv` executable: the one of the `uv` package installed with this server, else PATH."""
    try:
        from uv import find_uv_bin

        return find_uv_bin()
    except (ImportError, FileNotFoundError):
        return shutil.which("uv")


def new_job_id() -> str:
    return LOCAL_ID_PREFIX + uuid.uuid4().hex


def _owner() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "local"


class LocalJobsBackend:
    """Local jobs stored under `data_dir` (default: `paths.default_data_dir()`).

    `max_jobs`: how many jobs run at once (default `$HF_TRAIN_MCP_LOCAL_MAX_JOBS`, else 1); more wait
    in SCHEDULING. `kill_grace_seconds`: how long a stopped job gets between SIGTERM and SIGKILL.
    """

    def __init__(
        self,
        data_dir: Path | str | None = None,
        *,
        max_jobs: int | None = None,
        kill_grace_seconds: float = DEFAULT_KILL_GRACE_SECONDS,
    ) -> None:
        # Absolute: supervisors run from the job's folder and find the database through this path.
        self.data_dir = (Path(data_dir) if data_dir is not None else paths.default_data_dir()).absolute()
        self.max_jobs = max(1, max_jobs) if max_jobs is not None else max_jobs_from_env()
        self.kill_grace_seconds = kill_grace_seconds
        self.store = JobStore(paths.db_path(self.data_dir))
        self.reap_dead_jobs()

    # -- JobsBackend --------------------------------------------------------------------------------

    def submit(self, submission: JobSubmission) -> JobView:
        register_secrets(submission.secrets.values())
        timeout = submission.timeout_seconds
        if timeout is None:
            timeout = DEFAULT_TIMEOUT_SECONDS
        if timeout <= 0:
            raise LocalJobError(f"timeout must be a positive number of seconds, got {timeout}.")
        self.reap_dead_jobs()
        job_id = new_job_id()
        job_dir = paths.job_dir(self.data_dir, job_id)
        work_dir = job_dir / paths.WORK_DIR
        private_dir(paths.jobs_root(self.data_dir))
        private_dir(job_dir)
        work_dir.mkdir(mode=0o700)
        command, notes = self._command(submission, job_dir)
        notes.append(f"working directory: {work_dir} (outputs written to relative paths land there)")

        lock_fd = runner.try_lock(job_dir / paths.SUPERVISOR_LOCK)  # held until the supervisor has it
        assert lock_fd is not None, "a new job's lock cannot be taken"
        try:
            spec = {
                "id": job_id,
                "db": str(self.store.path),
                "slots_dir": str(paths.slots_dir(self.data_dir)),
                "command": command,
                "cwd": str(work_dir),
                "timeout_seconds": timeout,
                "kill_grace_seconds": self.kill_grace_seconds,
            }
            write_private(job_dir / paths.SPEC_FILE, json.dumps(spec, indent=1))
            busy = runner.busy_slots(paths.slots_dir(self.data_dir), self.max_jobs)
            queued = busy >= self.max_jobs or bool(self.store.list(stages=["SCHEDULING"]))
            record = self.store.insert(
                JobRecord(
                    id=job_id,
                    owner=_owner(),
                    stage="SCHEDULING",
                    message=waiting_message(self.store.count("RUNNING")) if queued else "starting",
                    flavor=LOCAL_FLAVOR,
                    command=command,
                    image=submission.image or None,
                    job_dir=str(job_dir),
                    created_at=time.time(),
                    env=stored_env(submission.env),
                    secret_names=sorted(submission.secrets),
                    timeout_seconds=timeout,
                    labels=dict(submission.labels),
                    notes=notes,
                    max_jobs=self.max_jobs,
                )
            )
            self._spawn_supervisor(record, submission, lock_fd)
        finally:
            os.close(lock_fd)
        return self.inspect(job_id)

    def list(self, *, include_finished: bool, namespace: str | None = None) -> list[JobView]:
        """Local jobs, newest first (running and queued ones only unless `include_finished`)."""
        self.reap_dead_jobs()
        records = self.store.list(stages=None if include_finished else ACTIVE_STAGES)
        return [record.to_view() for record in reversed(records)]

    def inspect(self, job_id: str, *, namespace: str | None = None) -> JobView:
        return self._record(job_id).to_view()

    def cancel(self, job_id: str, *, namespace: str | None = None) -> JobView:
        """Stop the job and every process it started; returns once they are gone."""
        record = self._record(job_id)
        if not record.is_active:
            return record.to_view()
        self.store.finish(job_id, "CANCELED", "canceled")
        if record.supervisor_pid and runner.supervisor_alive(record.job_dir):
            with contextlib.suppress(ProcessLookupError):  # the supervisor stops the job and exits
                os.kill(record.supervisor_pid, signal.SIGTERM)
            deadline = time.monotonic() + self.kill_grace_seconds + 5.0
            while runner.supervisor_alive(record.job_dir) and time.monotonic() < deadline:
                time.sleep(0.05)
        # Whatever is left (the supervisor did not stop it in time, or was gone): stop it here. The group
        # id is only trusted while the supervisor lives; otherwise the job's id finds its processes.
        fresh = self._record(job_id)
        pgid = fresh.pgid if runner.supervisor_alive(fresh.job_dir) else None
        runner.stop_job_processes(job_id, pgid, self.kill_grace_seconds)
        return self._record(job_id).to_view()

    def logs(
        self, job_id: str, *, tail: int | None, follow: bool, namespace: str | None = None
    ) -> Iterator[LogLine]:
        """The job's output lines in order; with `follow`, keeps waiting for more until the job ends."""
        record = self._record(job_id)  # raises now, not at the first iteration
        reader = logfile.LogReader(Path(record.job_dir) / paths.OUTPUT_LOG)
        first = reader.read_new()
        if tail is not None:
            first = first[-tail:] if tail > 0 else []
        if not follow:
            return iter(first)
        return self._follow(job_id, reader, first)

    def metrics(self, job_id: str, *, namespace: str | None = None) -> MetricsSample | None:
        record = self._record(job_id)
        if record.stage != "RUNNING":
            return None
        return metrics.sample_job(job_id, record.pgid)

    # -- housekeeping -------------------------------------------------------------------------------

    def reap_dead_jobs(self) -> list[str]:
        """Mark ERROR the active jobs whose supervisor is gone; returns their ids."""
        dead = []
        for record in self.store.list(stages=ACTIVE_STAGES):
            if runner.supervisor_alive(record.job_dir):
                continue
            fresh = self.store.get(record.id)  # it may have recorded its end just before exiting
            if fresh is not None and fresh.is_active:
                self._mark_dead(fresh)
                dead.append(record.id)
        return dead

    def _mark_dead(self, record: JobRecord) -> None:
        # Without /proc the recorded group id is all there is; with it, only processes carrying the
        # job's id are touched (the group id may belong to someone else after a reboot).
        pgid = None if Path("/proc").is_dir() else record.pgid
        runner.stop_job_processes(record.id, pgid, self.kill_grace_seconds)
        reason = (
            f"the local supervisor process (pid {record.supervisor_pid}) died before the job ended "
            "(killed, or the machine restarted while it ran); its remaining processes were stopped"
        )
        last_words = _last_line(Path(record.job_dir) / paths.SUPERVISOR_LOG)
        if last_words:
            reason += f"; supervisor.log: {last_words[:300]}"
        with contextlib.suppress(OSError):
            logfile.append_line(Path(record.job_dir) / paths.OUTPUT_LOG, f"===== {reason}")
        self.store.finish(record.id, "ERROR", reason)

    def _record(self, job_id: str) -> JobRecord:
        record = self.store.get(job_id)
        if record is None:
            raise LocalJobNotFoundError(
                f"No local job {job_id!r}. List local jobs with ps (all: true); ids start with "
                f"{LOCAL_ID_PREFIX!r} and are never shortened."
            )
        if record.is_active and not runner.supervisor_alive(record.job_dir):
            self.reap_dead_jobs()
            record = self.store.get(job_id) or record
        return record

    def _ended(self, job_id: str) -> bool:
        """Terminal, and every log line written (the supervisor writes its last ones before exit.json)."""
        record = self._record(job_id)
        if record.is_active:
            return False
        job_dir = Path(record.job_dir)
        return (job_dir / paths.EXIT_FILE).exists() or not runner.supervisor_alive(job_dir)

    def _follow(self, job_id: str, reader: logfile.LogReader, first: list[LogLine]) -> Iterator[LogLine]:
        from hf_train_mcp.hub_abort import aborted_in_this_thread

        yield from first
        while not aborted_in_this_thread():  # the bounded follower stopped listening: free the thread
            ended = self._ended(job_id)
            lines = reader.read_new()  # after the check: nothing written before the end is missed
            yield from lines
            if ended:
                return
            if not lines:
                time.sleep(FOLLOW_POLL_S)

    # -- submission helpers -------------------------------------------------------------------------

    def _command(self, submission: JobSubmission, job_dir: Path) -> tuple[list[str], list[str]]:
        """The command to run here, and notes on what differs from a Hub job."""
        notes: list[str] = []
        if getattr(submission, "volumes", None):
            notes.append("volumes ignored: local jobs see this machine's files directly (use absolute paths)")
        uv = submission.uv
        image = submission.image
        if uv is None:
            if not submission.command:
                raise LocalJobError('A command is required, e.g. ["python", "-c", "print(\'hello\')"].')
            if image:
                notes.append(_image_ignored(image))
            return list(submission.command), notes
        if image and image != DEFAULT_UV_IMAGE:
            notes.append(_image_ignored(image))
        if submission.local_python:
            script = self._script_file(uv, job_dir, download=True)
            notes.append(
                f"runs with {submission.local_python} instead of `uv run`: the script's dependencies must "
                "already be installed there"
            )
            if uv.dependencies:
                notes.append("extra dependencies not installed (local_python): " + ", ".join(uv.dependencies))
            return [submission.local_python, script, *uv.script_args], notes
        uv_bin = find_uv()
        if uv_bin is None:
            raise LocalJobError(
                "`uv` was not found: install it (`pip install uv`, it is a dependency of hf-train-mcp) "
                "to run uv jobs locally."
            )
        target = uv.source if uv.is_url else self._script_file(uv, job_dir, download=False)
        command = [uv_bin, "run"]
        for dependency in uv.dependencies:
            command += ["--with", dependency]
        if uv.python:
            command += ["--python", uv.python]
        return [*command, target, *uv.script_args], notes

    def _script_file(self, uv: UvScript, job_dir: Path, *, download: bool) -> str:
        name = Path(uv.file_name).name or "script.py"
        if name in {paths.SPEC_FILE, paths.OUTPUT_LOG, paths.EXIT_FILE, paths.SUPERVISOR_LOG}:
            name = "script.py"
        path = job_dir / name
        text = uv.source
        if uv.is_url and download:
            try:
                with urllib.request.urlopen(uv.source, timeout=SCRIPT_DOWNLOAD_TIMEOUT_S) as response:
                    text = response.read().decode("utf-8")
            except (OSError, ValueError, UnicodeDecodeError) as exc:
                raise LocalJobError(f"Could not download the script {uv.source}: {exc}") from exc
        write_private(path, text)
        return str(path)

    def _spawn_supervisor(self, record: JobRecord, submission: JobSubmission, lock_fd: int) -> None:
        job_dir = Path(record.job_dir)
        # The job gets a minimal environment plus what the call asked for (job_env), never the server's.
        command_env = minimal_env({"PYTHONUNBUFFERED": "1", **submission.env, **submission.secrets})
        command_env[runner.JOB_ID_ENV] = record.id
        # Values travel through the supervisor's stdin: nothing on disk, nothing in /proc/<pid>/environ.
        masked = [*submission.secrets.values(), *secret_env_values(submission.env)]  # masked in output.log
        payload = json.dumps({"env": command_env, "secrets": masked})
        supervisor_env = minimal_env()
        package_root = str(Path(hf_train_mcp.__file__).resolve().parent.parent)
        supervisor_env["PYTHONPATH"] = os.pathsep.join(
            p for p in (package_root, os.environ.get("PYTHONPATH")) if p
        )
        try:
            log_fd = os.open(job_dir / paths.SUPERVISOR_LOG, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            with open(log_fd, "ab") as supervisor_log:
                proc = subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "hf_train_mcp.local_jobs.supervisor",
                        str(job_dir),
                        "--lock-fd",
                        str(lock_fd),
                    ],
                    stdin=subprocess.PIPE,
                    stdout=supervisor_log,
                    stderr=subprocess.STDOUT,
                    cwd=job_dir,
                    env=supervisor_env,
                    start_new_session=True,
                    pass_fds=(lock_fd,),
                )
        except OSError as exc:
            self.store.finish(record.id, "ERROR", f"could not start the local supervisor: {exc}")
            raise LocalJobError(f"Could not start local job {record.id}: {exc}") from exc
        self.store.update(record.id, supervisor_pid=proc.pid)
        assert proc.stdin is not None
        try:
            proc.stdin.write(payload.encode())
            proc.stdin.close()
        except BrokenPipeError:
            pass  # it died at once: the next read marks the job ERROR with its supervisor.log
        # Reap it when it exits (it is our child) so it never lingers as a zombie.
        threading.Thread(target=proc.wait, name=f"reap-{record.id}", daemon=True).start()


def _image_ignored(image: str) -> str:
    return f"image {image!r} ignored: local jobs run directly on this machine, without a container"


def _last_line(path: Path) -> str:
    try:
        lines = [line.strip() for line in path.read_text(errors="replace").splitlines() if line.strip()]
    except OSError:
        return ""
    return lines[-1] if lines else ""
