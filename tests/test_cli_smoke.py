"""The console script starts and lists tools through a real MCP client."""

from __future__ import annotations

import subprocess
import sys


def test_tools_command_lists_every_registered_tool() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "hf_train_mcp", "tools"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    names = {line.split(":", 1)[0] for line in out.stdout.splitlines() if line.strip()}
    assert "hf_jobs" in names


def test_call_rejects_non_json_arguments() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "hf_train_mcp", "call", "hf_jobs", "{not json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 2
    assert "JSON" in out.stderr
