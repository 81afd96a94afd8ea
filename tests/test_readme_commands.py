"""The README's two commands stay true: `make serve` speaks MCP on stdout (nothing else), and CI
runs `make test`."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from doubles.full_hub import CHAT_ROWS, PREF_ROWS, QWEN_CONFIG, full_hub
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
        result = await client.call_tool("recommend_hardware", {"flavor": "a10g-large", "hours": 2})
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


# --- every example command of the README, as written -----------------------------------------------
CLI = ".venv/bin/hf-train-mcp"
AFTER_TRAINING = README.split("## After training", 1)[1].split("\n## ", 1)[0]


def readme_commands() -> list[str]:
    """Each `.venv/bin/hf-train-mcp ...` line of the README's bash blocks (continuations joined)."""
    commands = []
    for block in re.findall(r"```bash\n(.*?)```", README, flags=re.DOTALL):
        for line in block.replace("\\\n", " ").splitlines():
            line = line.split("  #", 1)[0].strip()
            if "hf-train-mcp" in line.split(" ", 1)[0]:
                commands.append(line)
    return commands


def test_no_example_calls_a_bare_command() -> None:
    """A fresh clone has no `hf-train-mcp` on PATH: every example names `.venv/bin/hf-train-mcp`."""
    commands = readme_commands()
    assert len(commands) >= 15
    assert all(c.startswith(CLI + " ") for c in commands), [c for c in commands if not c.startswith(CLI)]


def test_every_example_parses() -> None:
    from hf_train_mcp.cli import _parser

    for command in readme_commands():
        _parser().parse_args(shlex.split(command)[1:])  # exits (SystemExit) on an unknown option


def test_a_script_saved_in_the_clone_does_not_break_the_lint(tmp_path: Path) -> None:
    """`ruff check .` (the first step of `make test`) lints the project, not a user's train.py."""
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    (tmp_path / "train.py").write_text("import os, sys\n")
    (tmp_path / "scripts").mkdir()
    (tmp_path / "scripts" / "train.py").write_text("import os, sys\n")
    ruff = [sys.executable, "-m", "ruff", "check", "."]
    assert subprocess.run(ruff, cwd=tmp_path, capture_output=True).returncode == 0
    (tmp_path / "server").mkdir()
    (tmp_path / "server" / "bad.py").write_text("import os, sys\n")
    assert subprocess.run(ruff, cwd=tmp_path, capture_output=True).returncode == 1  # still lints the code


def _readme_hub(hub: Any) -> None:
    """The README's models and datasets, on the Hub double (configs and rows, no weights)."""
    for model, params in (
        ("Qwen/Qwen2.5-1.5B-Instruct", 1_543_714_304),
        ("Qwen/Qwen2.5-7B", 7_615_616_512),
        ("meta-llama/Llama-3.1-8B", 8_030_261_248),
    ):
        hub.repos.add_model(model, config=QWEN_CONFIG, parameters=params)
    for name, rows in {"trl-lib/Capybara": CHAT_ROWS, "trl-lib/ultrafeedback_binarized": PREF_ROWS}.items():
        hub.viewer.add(name, {"train": rows}, num_rows={"train": 2000})
        hub.repos.add_dataset(name)


@pytest.mark.slow
def test_every_readme_example_runs_as_written(
    tiny: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each example, in order, through the real CLI (in process) against the Hub double, from a folder
    that holds what the README says it needs (`./tiny-model`, `./rows.jsonl`). A new example is covered
    by being in the README."""
    from hf_train_mcp.cli import main

    work = tmp_path / "clone"
    work.mkdir()
    (work / "tiny-model").symlink_to(tiny.model, target_is_directory=True)
    shutil.copy(tiny.messages_data, work / "rows.jsonl")  # Capybara's shape: messages
    monkeypatch.chdir(work)
    monkeypatch.setenv("HF_TRAIN_MCP_DATA_DIR", str(tmp_path / "data"))
    with full_hub(monkeypatch) as hub:
        _readme_hub(hub)
        for command in readme_commands():
            argv = shlex.split(command)[1:]
            if argv[0] != "call" and argv[0] != "tools":
                continue  # servers and SSH checks: parsed above, served by tests/test_cli_signals.py
            if command in AFTER_TRAINING and argv[1] != "prepare_training":
                continue  # run by tests/post_training/test_readme_path.py, with a finished job to read
            if "<id>" in command:
                argv = [a.replace("<id>", next(reversed(hub.jobs.jobs))) for a in argv]
            if command is readme_commands()[0]:
                without_token(monkeypatch, main, argv, capsys)
            status, out = run_one(main, argv, capsys)
            assert status == 0, f"{command}\n-> exit {status}\n{out[-3000:]}"
    assert (work / "scripts" / "train.py").is_file()


def run_one(main: Any, argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    status = main(argv)
    captured = capsys.readouterr()
    return status, captured.out + captured.err


def without_token(
    monkeypatch: pytest.MonkeyPatch, main: Any, argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    """The first example only plans: it works without a token too."""
    with monkeypatch.context() as m:
        m.delenv("HF_TOKEN", raising=False)
        status, out = run_one(main, argv, capsys)
        assert status == 0, out[-3000:]
        assert "needs a token with write access" in out
