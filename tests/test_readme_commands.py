"""The README's two commands stay true: `make serve` speaks MCP on stdout (nothing else), and CI
runs `make test`."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from mcp import Client, StdioServerParameters

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text()


def test_readme_gives_the_two_commands_and_ci_runs_the_test_one() -> None:
    quick_start = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"^(make \w+)", quick_start, flags=re.MULTILINE)
    assert commands == ["make serve", "make test"]
    ci = (REPO / ".ci" / "run").read_text()
    assert re.search(r"^make test$", ci, flags=re.MULTILINE)


@pytest.mark.anyio
@pytest.mark.slow
@pytest.mark.skipif(
    not (REPO / ".venv" / "bin" / "hf-train-mcp").exists() or shutil.which("make") is None,
    reason="needs the .venv that `make serve`/`make test` set up",
)
async def test_make_serve_speaks_mcp_over_stdio() -> None:
    params = StdioServerParameters(command="make", args=["--no-print-directory", "serve"], cwd=str(REPO))
    async with Client(params) as client:
        tools = {tool.name for tool in (await client.list_tools()).tools}
        assert {"hf_jobs", "prepare_training", "recommend_hardware", "inspect_dataset"} <= tools
        result = await client.call_tool("estimate_cost", {"flavor": "a10g-large", "hours": 2})
        assert not result.is_error and "$3.00" in result.content[0].text

    # Stricter than the client (which skips lines it cannot parse): with no input, nothing at all may
    # reach stdout, not even while the setup recipe runs (-W: as if pyproject.toml had changed).
    silent = subprocess.run(
        ["make", "--no-print-directory", "-W", "pyproject.toml", "serve"],
        cwd=REPO,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert silent.returncode == 0, silent.stderr[-2000:]
    assert silent.stdout == "", silent.stdout[:500]
