"""People at a terminal: Ctrl-C stops the server at once and quietly (`make serve` and the console
script), `serve` takes the serving options, a closed pipe prints no traceback, and `call` exits 1
when the tool judged a failure."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SERVER = [sys.executable, "-m", "hf_train_mcp"]
INIT = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "t", "version": "0"},
    },
}


def _env(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update({"HF_HOME": str(tmp_path / "hf"), "HF_TRAIN_MCP_DATA_DIR": str(tmp_path / "data")})
    env.pop("HF_TOKEN", None)
    return env


def _interrupt_after_tools_list(command: list[str], tmp_path: Path) -> tuple[float, str, int]:
    """Serve one session over stdio (stdin stays open, as at a terminal), then Ctrl-C the process group."""
    proc = subprocess.Popen(
        command,
        cwd=REPO,
        env=_env(tmp_path),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    assert proc.stdin and proc.stdout and proc.stderr
    for message in (INIT, {"jsonrpc": "2.0", "method": "notifications/initialized"}):
        proc.stdin.write((json.dumps(message) + "\n").encode())
    proc.stdin.write(b'{"jsonrpc": "2.0", "id": 2, "method": "tools/list"}\n')
    proc.stdin.flush()
    answered = 0
    while answered < 2:
        line = proc.stdout.readline()
        assert line, proc.stderr.read().decode()[-2000:]
        answered += b'"id"' in line
    started = time.monotonic()
    os.killpg(proc.pid, signal.SIGINT)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    seconds = time.monotonic() - started
    stderr = proc.stderr.read().decode(errors="replace")
    for pipe in (proc.stdin, proc.stdout, proc.stderr):
        pipe.close()
    return seconds, stderr, proc.returncode


def test_ctrl_c_stops_the_stdio_server_at_once_and_quietly(tmp_path: Path) -> None:
    seconds, stderr, status = _interrupt_after_tools_list(SERVER, tmp_path)
    assert status == -signal.SIGINT, stderr[-2000:]
    assert seconds < 5, seconds  # before: still running 120 s later (a KeyboardInterrupt unwinding anyio)
    assert stderr == ""


@pytest.mark.slow
@pytest.mark.skipif(
    not (REPO / ".venv" / "bin" / "hf-train-mcp").exists() or shutil.which("make") is None,
    reason="needs the .venv that `make serve` sets up",
)
def test_ctrl_c_stops_make_serve_with_only_makes_own_line(tmp_path: Path) -> None:
    seconds, stderr, _ = _interrupt_after_tools_list(["make", "--no-print-directory", "serve"], tmp_path)
    assert seconds < 5, seconds
    assert "Traceback" not in stderr and "Error" not in stderr
    assert len(stderr.splitlines()) <= 1, stderr  # make's own "[serve] Interrupt"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_serve_subcommand_takes_the_http_options_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    port = _free_port()
    proc = subprocess.Popen(
        [*SERVER, "serve", "--transport", "http", "--port", str(port)],
        env=_env(tmp_path),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    assert proc.stderr is not None
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read().decode()
                time.sleep(0.1)
        started = time.monotonic()
        os.killpg(proc.pid, signal.SIGINT)
        proc.wait(timeout=30)
        seconds = time.monotonic() - started
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    stderr = proc.stderr.read().decode(errors="replace")
    proc.stderr.close()
    assert f"http://127.0.0.1:{port}/mcp" in stderr
    assert "Traceback" not in stderr and seconds < 10, (seconds, stderr[-2000:])


def test_a_closed_pipe_prints_no_traceback(tmp_path: Path) -> None:
    # The reader (`true`) is gone before the first line is written: every write hits a closed pipe.
    out = subprocess.run(
        f"{' '.join(SERVER)} tools --json | true; {' '.join(SERVER)} call hf_jobs '{{}}' | true",
        shell=True,
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.stderr == "", out.stderr[-2000:]


def test_call_exits_1_when_the_tool_reports_a_fail(tmp_path: Path) -> None:
    script = tmp_path / "train.py"
    script.write_text("from trl import SFTConfig\nSFTConfig(max_seq_length=512)\n")
    out = subprocess.run(
        [*SERVER, "call", "validate_training_script", json.dumps({"script": str(script)})],
        cwd=tmp_path,
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "would fail" in out.stdout, out.stdout
    assert out.returncode == 1
    fine = subprocess.run(
        [*SERVER, "call", "recommend_hardware", json.dumps({"flavor": "a10g-large", "hours": 2})],
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert fine.returncode == 0 and "$3.00" in fine.stdout


def test_call_shows_a_long_silent_operation_is_still_at_work(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from hf_train_mcp import cli
    from hf_train_mcp.jobs import backends

    monkeypatch.setenv("HF_TRAIN_MCP_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setattr(backends, "_local_instance", None)
    monkeypatch.setattr(cli, "HEARTBEAT_S", 0.3)
    silent = {
        "command": ["python", "-c", "import time; time.sleep(1.5)"],
        "flavor": "local",
        "wait_seconds": 20,
    }
    status = cli.main(["call", "hf_jobs", json.dumps({"operation": "run", "args": silent})])
    err = capsys.readouterr().err
    assert status == 0, err
    assert "[progress] Submitting job." in err  # the tool's own progress
    assert "[progress] hf_jobs still running (" in err  # and the CLI's while the job prints nothing
