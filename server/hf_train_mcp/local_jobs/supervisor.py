"""The detached process that runs one local job: `python -m hf_train_mcp.local_jobs.supervisor <job dir>`.

Started by the backend in its own session, it outlives the server. It
1. reads the command's environment (secrets included) as JSON from stdin, never from disk;
2. waits its turn: it starts only when no older queued job is still waiting and it can lock a free
   slot — so queued jobs start in order even when no server is running;
3. runs the command in its own process group, stamping every output line into `output.log`;
4. enforces the timeout and handles cancel (SIGTERM from the backend): SIGTERM to every process of
   the job, SIGKILL after the grace period;
5. writes `exit.json`, then records the final stage and message in the database itself.

It holds `supervisor.lock` (inherited from the backend as fd `--lock-fd`) until it exits: that lock
is how anyone tells a live supervisor from a dead one.
"""

from __future__ import annotations

import argparse
import json
import os
import select
import signal
import subprocess
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from hf_train_mcp.jobs.timeouts import format_duration
from hf_train_mcp.local_jobs import logfile, runner
from hf_train_mcp.local_jobs.paths import EXIT_FILE, OUTPUT_LOG, SPEC_FILE
from hf_train_mcp.local_jobs.store import JobStore
from hf_train_mcp.redact import redact, register_secrets

POLL_S = 0.2
DB_CHECK_S = 1.0  # how often a running job re-reads its record (a cancel recorded without a signal)
DRAIN_S = 2.0  # how long to keep reading output after the job's processes are gone


def waiting_message(running: int) -> str:
    return f"waiting for a free local slot ({running} running)"


class Supervisor:
    def __init__(self, job_dir: Path, spec: dict[str, Any], env: dict[str, str]) -> None:
        self.job_dir = job_dir
        self.spec = spec
        self.env = env
        self.job_id: str = spec["id"]
        self.store = JobStore(spec["db"])
        self.slots_dir = Path(spec["slots_dir"])
        self.grace = float(spec.get("kill_grace_seconds", 5.0))
        self.stop_requested = False

    def request_stop(self, *_: Any) -> None:
        self.stop_requested = True

    # -- queue ------------------------------------------------------------------------------------

    def wait_for_slot(self) -> int | None:
        """The fd of a slot lock once it is this job's turn; None if the job was canceled meanwhile."""
        shown = None
        while not self.stop_requested:
            record = self.store.get(self.job_id)
            if record is None or record.stage != "SCHEDULING":
                return None
            older = self.store.list(stages=["SCHEDULING"], before_seq=record.seq)
            if not any(runner.supervisor_alive(job.job_dir) for job in older):
                fd = runner.try_take_slot(self.slots_dir, record.max_jobs)
                if fd is not None:
                    return fd
            message = waiting_message(self.store.count("RUNNING"))
            if message != shown:
                self.store.update(self.job_id, only_if_stage_in=["SCHEDULING"], message=message)
                shown = message
            time.sleep(POLL_S)
        return None

    # -- run --------------------------------------------------------------------------------------

    def run(self) -> None:
        slot_fd = self.wait_for_slot()
        if slot_fd is None:
            self.finish(None, "canceled")
            return
        try:
            if not self.store.update(
                self.job_id,
                only_if_stage_in=["SCHEDULING"],
                stage="RUNNING",
                message=None,
                started_at=time.time(),
            ):
                self.finish(None, "canceled")
                return
            self.run_command()
        finally:
            os.close(slot_fd)

    def run_command(self) -> None:
        log = logfile.LogWriter(self.job_dir / OUTPUT_LOG, mask=redact)
        try:
            proc = subprocess.Popen(
                self.spec["command"],
                cwd=self.spec["cwd"],
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        except OSError as exc:
            log.write_line(f"could not start the command: {exc}")
            log.close()
            self.finish(None, "error", f"could not start the command: {exc.strerror or exc}")
            return
        self.store.update(self.job_id, pgid=proc.pid)
        outcome = self.pump(proc, log)
        if outcome is not None or proc.poll() is None:
            runner.stop_job_processes(self.job_id, proc.pid, self.grace)
        else:  # the main process ended: what it left behind in its group goes too
            runner.stop_job_processes(self.job_id, proc.pid, min(self.grace, 2.0))
        returncode = proc.wait()
        self.drain(proc, log)
        if outcome == "timeout":
            log.write_line(
                f"===== Job timed out after {format_duration(self.spec['timeout_seconds'])}: "
                "its processes were stopped"
            )
        elif outcome == "canceled":
            log.write_line("===== Job canceled: its processes were stopped")
        log.close()
        self.finish(returncode, outcome)

    def pump(self, proc: subprocess.Popen[bytes], log: logfile.LogWriter) -> str | None:
        """Tee output until the main process ends; "timeout" or "canceled" if it had to be stopped."""
        assert proc.stdout is not None
        fd = proc.stdout.fileno()
        timeout = self.spec.get("timeout_seconds")
        deadline = time.monotonic() + timeout if timeout else None
        next_db_check = time.monotonic() + DB_CHECK_S
        eof = False
        while proc.poll() is None:
            if eof:
                time.sleep(POLL_S)
            elif select.select([fd], [], [], POLL_S)[0]:
                data = os.read(fd, 65536)
                eof = not data
                log.feed(data)
            else:
                log.flush_stale()
            if self.stop_requested:
                return "canceled"
            if deadline is not None and time.monotonic() >= deadline:
                return "timeout"
            if time.monotonic() >= next_db_check:
                next_db_check = time.monotonic() + DB_CHECK_S
                record = self.store.get(self.job_id)
                if record is None or not record.is_active:
                    return "canceled"
        return None

    def drain(self, proc: subprocess.Popen[bytes], log: logfile.LogWriter) -> None:
        """Read what is left in the pipe (bounded: a process that escaped the job may hold it open)."""
        assert proc.stdout is not None
        fd = proc.stdout.fileno()
        deadline = time.monotonic() + DRAIN_S
        while time.monotonic() < deadline and select.select([fd], [], [], POLL_S)[0]:
            data = os.read(fd, 65536)
            if not data:
                break
            log.feed(data)
        proc.stdout.close()

    def finish(self, returncode: int | None, outcome: str | None, detail: str | None = None) -> None:
        if outcome == "canceled":
            stage, message = "CANCELED", "canceled"
        elif outcome == "timeout":
            stage, message = "ERROR", f"timed out after {format_duration(self.spec['timeout_seconds'])}"
        elif outcome == "error":
            stage, message = "ERROR", detail
        elif returncode == 0:
            stage, message = "COMPLETED", "exit code 0"
        elif returncode is not None and returncode < 0:
            stage, message = "ERROR", f"killed by signal {_signal_name(-returncode)}"
        else:
            stage, message = "ERROR", f"exit code {returncode}"
        finished_at = time.time()
        exit_info = {"exit_code": returncode, "stage": stage, "message": message, "finished_at": finished_at}
        tmp = self.job_dir / (EXIT_FILE + ".tmp")
        tmp.write_text(json.dumps(exit_info))
        tmp.replace(self.job_dir / EXIT_FILE)
        if not self.store.finish(self.job_id, stage, message, finished_at=finished_at, exit_code=returncode):
            self.store.update(self.job_id, exit_code=returncode)  # canceled first: keep that, add the code


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return str(number)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="hf_train_mcp.local_jobs.supervisor")
    parser.add_argument("job_dir", type=Path)
    parser.add_argument("--lock-fd", type=int, required=True)
    args = parser.parse_args(argv)
    os.umask(0o077)  # output.log, exit.json: private to the user, like the rest of the data directory
    payload = json.loads(sys.stdin.read() or "{}")
    sys.stdin.close()
    env: dict[str, str] = payload.get("env", {})
    register_secrets(payload.get("secrets", []))
    del payload
    spec = json.loads((args.job_dir / SPEC_FILE).read_text())
    supervisor = Supervisor(args.job_dir, spec, env)
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, supervisor.request_stop)
    try:
        supervisor.run()
    except BaseException as exc:
        traceback.print_exc()
        supervisor.finish(None, "error", f"the local supervisor failed: {type(exc).__name__}: {exc}")
        return 1
    finally:
        os.close(args.lock_fd)  # only now may anyone conclude this job is over
    return 0


if __name__ == "__main__":
    sys.exit(main())
