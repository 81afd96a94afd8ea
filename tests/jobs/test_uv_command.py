"""uv scripts become job commands; shipped files really decode inside a shell before `uv run`."""

from __future__ import annotations

import base64
import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest
from hf_train_mcp.jobs.errors import JobsArgumentError
from hf_train_mcp.jobs.uv_command import (
    JOB_DIR,
    SCRIPT_ENV,
    build_uv_command,
    describe_command,
    resolve_script,
    split_command,
)


def test_url_runs_like_huggingface_hub() -> None:
    resolved = resolve_script("https://example.com/scripts/sft.py?raw=1")
    assert resolved.kind == "url" and resolved.file_name == "sft.py"
    built = build_uv_command(resolved, dependencies=["trl"], python="3.12", script_args=["--epochs", "1"])
    assert built.command == [
        "uv",
        "run",
        "--with",
        "trl",
        "--python",
        "3.12",
        "https://example.com/scripts/sft.py?raw=1",
        "--epochs",
        "1",
    ]
    assert built.env == {}


def test_local_file_and_inline_code(tmp_path: Path) -> None:
    script = tmp_path / "my train.py"
    script.write_text("print('file')\n")
    resolved = resolve_script(str(script))
    assert resolved.kind == "file" and resolved.file_name == "my_train.py"
    assert resolve_script("my train.py", cwd=tmp_path).source == "print('file')\n"
    one_line = resolve_script("print('hi')")
    assert one_line.kind == "inline" and one_line.source == "print('hi')\n"
    many = resolve_script("import os\nprint(os.getcwd())")
    assert many.kind == "inline"


def test_missing_file_is_an_actionable_error(tmp_path: Path) -> None:
    with pytest.raises(JobsArgumentError, match="no such file"):
        resolve_script("train.py", cwd=tmp_path)


def test_oversized_file_is_refused(tmp_path: Path) -> None:
    big = tmp_path / "big.py"
    big.write_text("x = 1\n" * 40_000)
    with pytest.raises(JobsArgumentError, match="URL"):
        resolve_script(str(big))


def _fake_uv(bin_dir: Path) -> None:
    uv = bin_dir / "uv"
    uv.write_text(
        '#!/bin/sh\necho "uv $*"\nfor a in "$@"; do case "$a" in *.py|*.yaml) echo "--- $a"; '
        'cat "$a";; esac; done\n'
    )
    uv.chmod(uv.stat().st_mode | stat.S_IEXEC)


@pytest.mark.skipif(
    shutil.which("bash") is None or shutil.which("base64") is None, reason="needs bash, base64"
)
def test_shipped_script_decodes_and_runs_in_a_shell(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("lr: 0.0001\n")
    code = "import sys\nprint('héllo', sys.argv)  # quotes ' \" and $HOME stay literal\n"
    resolved = resolve_script(code)
    built = build_uv_command(
        resolved,
        dependencies=["trl>=1.0", "peft"],
        python=None,
        script_args=["--config", str(config), "--name", "a b"],
        cwd=tmp_path,
    )
    assert built.command[:2] == ["bash", "-c"]
    assert built.command[4:] == ["--config", f"{JOB_DIR}/inputs/config.yaml", "--name", "a b"]
    assert base64.b64decode(built.env[SCRIPT_ENV]).decode() == code
    assert describe_command(built.command).startswith(
        "uv run --with 'trl>=1.0' --with peft /tmp/hf-train-mcp/"
    )

    # Run the exact command with a fake `uv`, the job dir moved under tmp_path.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    _fake_uv(bin_dir)
    job_dir = str(tmp_path / "job")
    command = [part.replace(JOB_DIR, job_dir) for part in built.command]
    env = {**os.environ, **built.env, "PATH": f"{bin_dir}:{os.environ['PATH']}"}
    out = subprocess.run(command, env=env, capture_output=True, text=True, timeout=30, check=True).stdout
    assert (
        f"uv run --with trl>=1.0 --with peft {job_dir}/script.py --config {job_dir}/inputs/config.yaml" in out
    )
    assert code in out
    assert "lr: 0.0001" in out


def test_string_commands_are_split_and_shell_operators_refused() -> None:
    assert split_command("python -c 'print(1)'") == ["python", "-c", "print(1)"]
    assert split_command(["a", "b && c"]) == ["a", "b && c"]
    with pytest.raises(JobsArgumentError, match="bash"):
        split_command("pip install x && python train.py")
    with pytest.raises(JobsArgumentError, match="bash"):
        split_command("cat a | grep b")
