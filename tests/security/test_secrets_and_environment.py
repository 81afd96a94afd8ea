"""Secrets at rest and environment inheritance, through a real in-process MCP client: a local job that
prints its environment, the files it leaves, and dry runs of a script this server did not generate."""

from __future__ import annotations

import json
import os
import stat
import sys
import tempfile
from pathlib import Path

import pytest
from hf_train_mcp.app import build_server
from mcp import Client

pytestmark = pytest.mark.anyio

FAKE_HF_TOKEN = "plain-token-" + "T" * 24  # not hf_-shaped: only registration can mask it
SERVER_PASSWORD = "server-password-0123456789"
CALLER_SECRET = "caller-secret-0123456789"


def _text(result) -> str:  # type: ignore[no-untyped-def]
    return "\n".join(getattr(block, "text", "") for block in result.content)


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "data"
    monkeypatch.setenv("HF_TRAIN_MCP_DATA_DIR", str(path))
    monkeypatch.setenv("HF_TOKEN", FAKE_HF_TOKEN)
    monkeypatch.setenv("MY_SERVICE_PASSWORD", SERVER_PASSWORD)
    import hf_train_mcp.jobs.backends as backends

    monkeypatch.setattr(backends, "_local_instance", None)  # a backend on this data dir
    return path


PRINT_ENV = (
    "import os\n"
    "for name in ('MY_SERVICE_PASSWORD', 'MY_SECRET', 'TOKEN_COPY', 'HF_TOKEN', 'PATH', 'HOME'):\n"
    "    print(name, '=', os.environ.get(name, '<unset>'))\n"
)


async def test_local_job_gets_a_minimal_environment_and_leaves_no_secret_on_disk(data_dir: Path) -> None:
    async with Client(build_server()) as client:
        run = await client.call_tool(
            "hf_jobs",
            {
                "operation": "run",
                "args": {
                    "command": [sys.executable, "-c", PRINT_ENV],
                    "flavor": "local",
                    "secrets": {"MY_SECRET": CALLER_SECRET},
                    "env": {"TOKEN_COPY": "$HF_TOKEN"},
                    "wait_seconds": 30,
                },
            },
        )
        assert not run.is_error, _text(run)
        job_id = "local-" + json.dumps(run.structured_content).split('"local-')[1].split('"')[0]
        logs = await client.call_tool("hf_jobs", {"operation": "logs", "args": {"job_id": job_id}})
        inspect = await client.call_tool("hf_jobs", {"operation": "inspect", "args": {"job_id": job_id}})
    text = _text(logs)
    assert "MY_SERVICE_PASSWORD = <unset>" in text  # the server's own variables stay with the server
    assert "MY_SECRET = ***" in text and "TOKEN_COPY = ***" in text, text  # asked for: given, and masked
    assert "HF_TOKEN = <unset>" in text  # the server's token only when the call asks for it
    assert "PATH = " in text and "PATH = <unset>" not in text
    for answer in (_text(run), text, _text(inspect), json.dumps(inspect.structured_content)):
        assert CALLER_SECRET not in answer and FAKE_HF_TOKEN not in answer and SERVER_PASSWORD not in answer

    files = [p for p in data_dir.rglob("*") if p.is_file()]
    assert any(p.name == "local-jobs.sqlite3" for p in files) and any(p.name == "output.log" for p in files)
    for path in files:
        body = path.read_bytes()
        for value in (CALLER_SECRET, FAKE_HF_TOKEN, SERVER_PASSWORD):
            assert value.encode() not in body, f"{value} stored in {path}"
        if path.parent.name != "work":  # what the job itself writes is the job's business
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    for folder in [
        data_dir,
        data_dir / "local-jobs",
        *(p for p in (data_dir / "local-jobs").iterdir() if p.is_dir()),
    ]:
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder


async def test_dry_run_of_a_foreign_script_runs_offline_without_the_token(
    data_dir: Path, tmp_path: Path
) -> None:
    script = (
        "# takes: --dry-run --max-steps --max-rows --output-dir --no-resume --model\n"
        "import os\n"
        "for name in ('HF_HUB_OFFLINE', 'HF_TOKEN', 'MY_SERVICE_PASSWORD'):\n"
        "    print(name, '=', os.environ.get(name, '<unset>'))\n"
    )
    model = tmp_path / "model"
    model.mkdir()
    before = set(Path(tempfile.gettempdir()).glob("hf-train-dry-run-*"))
    async with Client(build_server()) as client:
        result = await client.call_tool("dry_run_training_script", {"script": script, "model": str(model)})
    text = _text(result)
    data = result.structured_content
    assert data["offline"] is True
    assert "ran offline (HF_HUB_OFFLINE=1) and without your Hugging Face token" in text
    tail = data["log_tail"]
    assert (
        "HF_HUB_OFFLINE = 1" in tail
        and "HF_TOKEN = <unset>" in tail
        and "MY_SERVICE_PASSWORD = <unset>" in tail
    )
    assert not set(Path(tempfile.gettempdir()).glob("hf-train-dry-run-*")) - before  # nothing left behind


async def test_dry_run_refuses_a_script_without_the_rehearsal_options(data_dir: Path, tmp_path: Path) -> None:
    marker = tmp_path / "it-ran"
    script = f"open({str(marker)!r}, 'w').write('trained for real')\n"
    before = set(Path(tempfile.gettempdir()).glob("hf-train-dry-run-*"))
    async with Client(build_server()) as client:
        result = await client.call_tool("dry_run_training_script", {"script": script, "model": str(tmp_path)})
    text = _text(result)
    assert "not run: the script does not take the rehearsal options --dry-run" in text
    assert not marker.exists()
    assert not set(Path(tempfile.gettempdir()).glob("hf-train-dry-run-*")) - before


async def test_dry_run_leaves_no_temp_folder_when_the_tiny_model_cannot_be_built(data_dir: Path) -> None:
    script = "# --dry-run --max-steps --max-rows --output-dir --no-resume\nprint(1)\n"
    before = set(Path(tempfile.gettempdir()).glob("hf-train-dry-run-*"))
    async with Client(build_server()) as client:
        result = await client.call_tool(
            "dry_run_training_script", {"script": script, "tiny_from": "acme/does-not-exist"}
        )
    assert result.structured_content["ok"] is False
    assert "acme/does-not-exist" in result.structured_content["error"]
    assert not set(Path(tempfile.gettempdir()).glob("hf-train-dry-run-*")) - before


def test_minimal_environment_keeps_what_programs_need() -> None:
    from hf_train_mcp.job_env import minimal_env

    source = {
        "PATH": "/bin",
        "HOME": "/root",
        "LC_ALL": "C.UTF-8",
        "CUDA_VISIBLE_DEVICES": "0",
        "HF_HOME": "/cache",
        "UV_INDEX_URL": "https://idx",
        "UV_INDEX_PASSWORD": "nope",
        "MY_SERVICE_PASSWORD": "nope",
        "AWS_SECRET_ACCESS_KEY": "nope",
        "HF_TOKEN": "nope",
    }
    env = minimal_env({"ASKED": "yes"}, source=source)
    assert env == {
        "PATH": "/bin",
        "HOME": "/root",
        "LC_ALL": "C.UTF-8",
        "CUDA_VISIBLE_DEVICES": "0",
        "HF_HOME": "/cache",
        "UV_INDEX_URL": "https://idx",
        "ASKED": "yes",
    }
    assert os.defpath == minimal_env(source={})["PATH"]
