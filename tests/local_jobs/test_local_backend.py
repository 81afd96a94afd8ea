"""LocalJobsBackend against real processes: run, logs, secrets, cancel, timeout, queue, restart, uv."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hf_train_mcp.jobs.model import JobSubmission, JobView, UvScript
from hf_train_mcp.local_jobs import paths
from hf_train_mcp.local_jobs.backend import LocalJobNotFoundError, LocalJobsBackend, find_uv
from hf_train_mcp.local_jobs.store import JobRecord

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="local jobs are tested on Linux"),
]

PY = sys.executable


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def backend(data_dir: Path) -> Iterator[LocalJobsBackend]:
    backend = LocalJobsBackend(data_dir, max_jobs=1, kill_grace_seconds=2.0)
    yield backend
    for job in backend.list(include_finished=False):  # leave no process behind
        backend.cancel(job.id)


def submit(backend: LocalJobsBackend, command: list[str], image: str = "", **kwargs) -> JobView:
    return backend.submit(JobSubmission(image=image, command=command, flavor="local", **kwargs))


def py(code: str) -> list[str]:
    return [PY, "-c", textwrap.dedent(code)]


def wait_for(check: Callable[[], bool], timeout: float = 15.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def running_record(backend: LocalJobsBackend, job_id: str) -> JobRecord:
    """The record once the command has started (its process group recorded)."""
    wait_for(lambda: backend.store.get(job_id).pgid is not None, what=f"{job_id} to start its command")
    return backend.store.get(job_id)


def wait_stage(backend: LocalJobsBackend, job_id: str, stages: set[str], timeout: float = 15.0) -> JobView:
    wait_for(lambda: backend.inspect(job_id).stage in stages, timeout, f"{job_id} to reach {stages}")
    return backend.inspect(job_id)


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


def group_members(pgid: int) -> list[int]:
    members = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == pgid and fields[0] not in ("Z", "X"):
                members.append(int(entry.name))
    return members


def test_quick_job_completes_with_its_logs(backend: LocalJobsBackend) -> None:
    view = submit(
        backend, py("for i in range(3): print('line', i)\nimport sys; print('oops', file=sys.stderr)")
    )
    assert re.fullmatch(r"local-[0-9a-f]{32}", view.id)
    assert view.backend == "local" and view.flavor == "local"
    assert view.stage in {"SCHEDULING", "RUNNING", "COMPLETED"}
    assert view.url == paths.job_dir(backend.data_dir, view.id).as_uri()
    assert view.owner

    lines = list(backend.logs(view.id, tail=None, follow=True))
    assert [line.text for line in lines] == ["line 0", "line 1", "line 2", "oops"]
    assert all(line.timestamp is not None for line in lines)

    done = backend.inspect(view.id)
    assert done.stage == "COMPLETED" and done.message == "exit code 0"
    assert done.created_at <= done.started_at <= done.finished_at
    assert [line.text for line in backend.logs(view.id, tail=2, follow=False)] == ["line 2", "oops"]
    assert [job.id for job in backend.list(include_finished=True)] == [view.id]
    assert backend.list(include_finished=False) == []


def test_failing_and_missing_commands_are_errors_with_the_reason(backend: LocalJobsBackend) -> None:
    failing = submit(backend, py("raise SystemExit(3)"))
    missing = submit(backend, ["/nonexistent/program"])
    assert wait_stage(backend, failing.id, {"ERROR"}).message == "exit code 3"
    view = wait_stage(backend, missing.id, {"ERROR"})
    assert view.message.startswith("could not start the command")
    with pytest.raises(LocalJobNotFoundError, match="No local job"):
        backend.inspect("local-" + "0" * 32)


def test_env_and_secrets_reach_the_process_but_secret_values_are_never_stored(
    backend: LocalJobsBackend, data_dir: Path
) -> None:
    secret = "s3cret-value-0123456789"
    view = submit(
        backend,
        py(
            """
            import os, hashlib
            print("A =", os.environ["A"])
            print("token is", os.environ["MY_TOKEN"])
            open("secret.sha", "w").write(hashlib.sha256(os.environ["MY_TOKEN"].encode()).hexdigest())
            """
        ),
        env={"A": "visible"},
        secrets={"MY_TOKEN": secret},
        image="python:3.12",
    )
    texts = [line.text for line in backend.logs(view.id, tail=None, follow=True)]
    assert texts == ["A = visible", "token is ***"]
    done = backend.inspect(view.id)
    assert done.stage == "COMPLETED"
    assert done.env == {"A": "visible"} and done.secret_names == ["MY_TOKEN"]
    assert any("ignored" in note and "without a container" in note for note in done.notes)

    job_dir = paths.job_dir(data_dir, view.id)
    import hashlib

    assert (job_dir / "work" / "secret.sha").read_text() == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in repr(done) and secret not in repr(backend.list(include_finished=True))
    for path in data_dir.rglob("*"):
        if path.is_file() and path.name != "secret.sha":
            assert secret.encode() not in path.read_bytes(), f"secret value found in {path}"


def test_cancel_stops_the_whole_process_group(backend: LocalJobsBackend) -> None:
    view = submit(backend, ["bash", "-c", "sleep 300 & sleep 300"])
    pgid = running_record(backend, view.id).pgid
    wait_for(lambda: len(group_members(pgid)) == 3, what="bash and its two sleeps")
    members = group_members(pgid)

    started = time.monotonic()
    canceled = backend.cancel(view.id)
    assert time.monotonic() - started < 5
    assert canceled.stage == "CANCELED" and canceled.message == "canceled"
    assert not [pid for pid in members if alive(pid)]
    assert canceled.finished_at is not None
    lines = list(backend.logs(view.id, tail=None, follow=True))  # ends: the job is over
    assert lines[-1].text.startswith("===== Job canceled")
    assert backend.cancel(view.id).stage == "CANCELED"  # canceling again changes nothing


def test_timeout_is_enforced(backend: LocalJobsBackend) -> None:
    view = submit(backend, ["bash", "-c", "echo begin; sleep 60 & sleep 60"], timeout_seconds=1)
    started = time.monotonic()
    done = wait_stage(backend, view.id, {"ERROR", "COMPLETED", "CANCELED"})
    assert time.monotonic() - started < 8
    assert done.stage == "ERROR" and done.message == "timed out after 1s"
    texts = [line.text for line in backend.logs(view.id, tail=None, follow=False)]
    assert texts[0] == "begin" and texts[-1].startswith("===== Job timed out after 1s")
    assert group_members(backend.store.get(view.id).pgid) == []


def test_queue_runs_one_job_at_a_time_in_order(backend: LocalJobsBackend) -> None:
    first = submit(backend, ["sleep", "1.5"])
    second = submit(backend, py("print('second ran')"))
    wait_stage(backend, first.id, {"RUNNING"})
    waiting = backend.inspect(second.id)
    assert waiting.stage == "SCHEDULING"
    wait_for(
        lambda: backend.inspect(second.id).message == "waiting for a free local slot (1 running)",
        what="the queue message",
    )
    assert {job.id for job in backend.list(include_finished=False)} == {first.id, second.id}

    done = wait_stage(backend, second.id, {"COMPLETED", "ERROR"})
    first_done = backend.inspect(first.id)
    assert first_done.stage == "COMPLETED" and done.stage == "COMPLETED"
    assert done.started_at >= first_done.finished_at
    assert [line.text for line in backend.logs(second.id, tail=None, follow=False)] == ["second ran"]


def test_queued_job_can_be_canceled_before_it_starts(backend: LocalJobsBackend) -> None:
    first = submit(backend, ["sleep", "30"])
    second = submit(backend, py("print('must not run')"))
    wait_stage(backend, first.id, {"RUNNING"})
    canceled = backend.cancel(second.id)
    assert canceled.stage == "CANCELED" and canceled.started_at is None
    backend.cancel(first.id)
    assert list(backend.logs(second.id, tail=None, follow=True)) == []


def test_jobs_survive_a_restart_of_the_server_process(data_dir: Path) -> None:
    """A server process submits and exits; a new backend finds the job running, then completed."""
    code = textwrap.dedent(
        f"""
        import sys
        from hf_train_mcp.jobs.model import JobSubmission
        from hf_train_mcp.local_jobs.backend import LocalJobsBackend
        backend = LocalJobsBackend({str(data_dir)!r}, max_jobs=1)
        view = backend.submit(JobSubmission(image="", flavor="local", command=[
            sys.executable, "-c", "import time; print('before', flush=True); time.sleep(2); print('after')"]))
        print(view.id)
        """
    )
    out = subprocess.run([PY, "-c", code], capture_output=True, text=True, timeout=30, check=True)
    job_id = out.stdout.strip()

    backend = LocalJobsBackend(data_dir)
    assert backend.inspect(job_id).stage in {"SCHEDULING", "RUNNING"}
    wait_stage(backend, job_id, {"RUNNING"})
    assert [job.id for job in backend.list(include_finished=False)] == [job_id]
    texts = [line.text for line in backend.logs(job_id, tail=None, follow=True)]
    assert texts == ["before", "after"]
    assert backend.inspect(job_id).stage == "COMPLETED"


def test_dropping_the_backend_object_does_not_stop_the_job(data_dir: Path) -> None:
    first = LocalJobsBackend(data_dir)
    job_id = submit(first, ["sleep", "1"]).id
    del first
    second = LocalJobsBackend(data_dir)
    assert second.inspect(job_id).stage in {"SCHEDULING", "RUNNING"}
    assert wait_stage(second, job_id, {"COMPLETED", "ERROR"}).stage == "COMPLETED"


def test_a_job_whose_supervisor_was_killed_is_an_error_with_the_reason(backend: LocalJobsBackend) -> None:
    view = submit(backend, ["sleep", "300"])
    record = running_record(backend, view.id)
    wait_for(lambda: len(group_members(record.pgid)) == 1, what="the sleep")
    sleeper = group_members(record.pgid)[0]
    os.kill(record.supervisor_pid, signal.SIGKILL)
    wait_for(lambda: not alive(record.supervisor_pid), what="the supervisor to die")

    fresh = LocalJobsBackend(backend.data_dir)  # as a restarted server would
    done = fresh.inspect(view.id)
    assert done.stage == "ERROR"
    assert "supervisor process" in done.message and "died before the job ended" in done.message
    assert not alive(sleeper)
    (last,) = fresh.logs(view.id, tail=1, follow=False)
    assert last.text.startswith("===== the local supervisor")


SCRIPT = """\
# /// script
# requires-python = ">=3.10"
# dependencies = []
# ///
import os, sys
print("args", sys.argv[1:])
os.makedirs("out/adapter", exist_ok=True)
open("out/adapter/adapter_config.json", "w").write("{}")
print("saved", os.path.abspath("out/adapter"))
"""


def test_uv_job_with_local_python_runs_the_script_directly(backend: LocalJobsBackend) -> None:
    view = backend.submit(
        JobSubmission(
            image="ghcr.io/astral-sh/uv:python3.12-bookworm",
            command=["uv", "run", "train.py"],
            flavor="local",
            uv=UvScript(
                source=SCRIPT,
                is_url=False,
                file_name="train.py",
                script_args=["--lr", "1e-4"],
                dependencies=["trl"],
            ),
            local_python=PY,
        )
    )
    assert view.command[:2] == [PY, str(paths.job_dir(backend.data_dir, view.id) / "train.py")]
    assert not any("image" in note for note in view.notes)  # the default uv image is no news
    assert any("trl" in note for note in view.notes)
    texts = [line.text for line in backend.logs(view.id, tail=None, follow=True)]
    assert texts[0] == "args ['--lr', '1e-4']"
    assert backend.inspect(view.id).stage == "COMPLETED"
    adapter = paths.job_dir(backend.data_dir, view.id) / "work" / "out" / "adapter" / "adapter_config.json"
    assert adapter.is_file()


def test_uv_job_runs_through_uv_run_offline(backend: LocalJobsBackend, tmp_path: Path) -> None:
    uv = find_uv()
    if uv is None:
        pytest.skip("uv is not installed")
    env = {"UV_OFFLINE": "1", "UV_CACHE_DIR": str(tmp_path / "uv-cache"), "UV_NO_PROGRESS": "1"}
    probe = tmp_path / "probe.py"
    probe.write_text(SCRIPT)
    check = subprocess.run(
        [uv, "run", "--python", PY, str(probe)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **env},
        cwd=tmp_path,
    )
    if check.returncode != 0:
        pytest.skip(f"uv cannot run a dependency-free script offline here: {check.stderr[-300:]}")

    view = backend.submit(
        JobSubmission(
            image="ghcr.io/astral-sh/uv:python3.12-bookworm",
            command=[],
            flavor="local",
            env=env,
            uv=UvScript(source=SCRIPT, is_url=False, file_name="train.py", python=PY, script_args=["x"]),
        )
    )
    assert view.command[:2] == [uv, "run"] and view.command[-3:-1] == [PY, view.command[-2]]
    texts = [line.text for line in backend.logs(view.id, tail=None, follow=True)]
    done = backend.inspect(view.id)
    assert done.stage == "COMPLETED", texts
    assert "args ['x']" in texts


def test_metrics_of_a_running_job(backend: LocalJobsBackend) -> None:
    view = submit(
        backend,
        py(
            "import time\nblob = bytearray(64 * 2**20)\nend = time.time() + 30\nwhile time.time() < end: pass"
        ),
    )
    wait_stage(backend, view.id, {"RUNNING"})
    wait_for(lambda: (backend.metrics(view.id).memory_used_bytes or 0) > 64 * 2**20, what="the allocation")
    sample = backend.metrics(view.id)
    assert sample.cpu_usage_pct > 20
    assert sample.memory_total_bytes > sample.memory_used_bytes
    backend.cancel(view.id)
    assert backend.metrics(view.id) is None


def test_exit_file_records_the_end(backend: LocalJobsBackend) -> None:
    view = submit(backend, py("raise SystemExit(0)"))
    wait_stage(backend, view.id, {"COMPLETED"})
    exit_info = json.loads((paths.job_dir(backend.data_dir, view.id) / paths.EXIT_FILE).read_text())
    assert exit_info["exit_code"] == 0 and exit_info["stage"] == "COMPLETED"
