"""Ctrl-C on `make serve`: seconds until everything has exited, and the lines printed on stderr.

Like a terminal, SIGINT goes to the whole process group (make and the server) once the server has
answered `initialize` and `tools/list`. Run from the repository root: `python benchmarks/ctrl_c.py`.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
INIT = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "b", "version": "0"},
    },
}


def measure(
    command: list[str], env: dict[str, str] | None = None, timeout: float = 120
) -> tuple[float, list[str], int]:
    """(seconds from SIGINT to exit, stderr lines, exit status) for one session served over stdio (stdin
    stays open, as at a terminal). tests/test_cli_signals.py asserts on the same measurement."""
    proc = subprocess.Popen(
        command,
        cwd=REPO,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,  # its own process group, as a terminal's foreground job
    )
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
    for message in (
        INIT,
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
    ):
        proc.stdin.write((json.dumps(message) + "\n").encode())
    proc.stdin.flush()
    answers = 0
    while answers < 2:  # initialize and tools/list answered: the server is serving
        line = proc.stdout.readline()
        if not line:
            proc.wait()
            raise RuntimeError(f"{command[0]} stopped before serving: {proc.stderr.read().decode()[-2000:]}")
        answers += b'"id"' in line
    started = time.monotonic()
    os.killpg(proc.pid, signal.SIGINT)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    seconds = time.monotonic() - started
    stderr = proc.stderr.read().decode(errors="replace").splitlines()
    for pipe in (proc.stdin, proc.stdout, proc.stderr):
        pipe.close()
    return seconds, stderr, proc.returncode


def main() -> int:
    for name, command in (
        ("make serve", ["make", "--no-print-directory", "serve"]),
        ("hf-train-mcp", [str(REPO / ".venv" / "bin" / "hf-train-mcp")]),
    ):
        seconds, stderr, status = measure(command)
        print(f"{name}: exited {seconds:.2f} s after Ctrl-C (status {status}), {len(stderr)} stderr line(s)")
        for line in stderr[:5]:
            print(f"    {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
