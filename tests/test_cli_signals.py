"""People at a terminal: Ctrl-C stops the server at once and quietly (`make serve` and the console
script), `serve` takes the serving options, a closed pipe prints no traceback, and `call` exits 1
when the tool judged a failure."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from served import free_port, wait_until_listening

REPO = Path(__file__).resolve().parents[1]
SERVER = [sys.executable, "-m", "hf_train_mcp"]


def _load_ctrl_c_benchmark():
    """benchmarks/ctrl_c.py's measurement: the benchmark prints it, these tests assert on it."""
    spec = importlib.util.spec_from_file_location("ctrl_c_benchmark", REPO / "benchmarks" / "ctrl_c.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


ctrl_c = _load_ctrl_c_benchmark()


def _env(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update({"HF_HOME": str(tmp_path / "hf"), "HF_TRAIN_MCP_DATA_DIR": str(tmp_path / "data")})
    env.pop("HF_TOKEN", None)
    return env


def test_ctrl_c_stops_the_stdio_server_at_once_and_quietly(tmp_path: Path) -> None:
    seconds, stderr, status = ctrl_c.measure(SERVER, env=_env(tmp_path), timeout=30)
    assert status == -signal.SIGINT, stderr[-20:]
    assert seconds < 5, seconds  # before: still running 120 s later (a KeyboardInterrupt unwinding anyio)
    assert stderr == []


@pytest.mark.slow
@pytest.mark.skipif(
    not (REPO / ".venv" / "bin" / "hf-train-mcp").exists() or shutil.which("make") is None,
    reason="needs the .venv that `make serve` sets up",
)
def test_ctrl_c_stops_make_serve_with_only_makes_own_line(tmp_path: Path) -> None:
    seconds, lines, _ = ctrl_c.measure(
        ["make", "--no-print-directory", "serve"], env=_env(tmp_path), timeout=30
    )
    stderr = "\n".join(lines)
    assert seconds < 5, seconds
    assert "Traceback" not in stderr and "Error" not in stderr
    assert len(lines) <= 1, stderr  # make's own "[serve] Interrupt"


@pytest.mark.slow
def test_serve_subcommand_takes_the_http_options_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    port = free_port()
    proc = subprocess.Popen(
        [*SERVER, "serve", "--transport", "http", "--port", str(port)],
        env=_env(tmp_path),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    assert proc.stderr is not None
    try:
        wait_until_listening(proc, port, 60, lambda: proc.stderr.read().decode())
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
