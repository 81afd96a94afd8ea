"""A path outside the allowed folders gets the same answer whether something is there or not: the access
policy answers before any look at the disk, so no tool can be used to probe what exists on the server's
machine. Through an in-process MCP client, with the policy of stdio (local access on, narrow roots) and
of HTTP without --allow-local (local access off)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hf_train_mcp import access
from hf_train_mcp.app import build_server
from hf_train_mcp.jobs import backends
from mcp import Client

pytestmark = pytest.mark.anyio

GENERATE = {
    "model": "Qwen/Qwen2.5-0.5B",
    "dataset": "trl-lib/Capybara",
    "method": "sft",
    "flavor": "l4x1",
    "timeout": "3h",
    "hub_model_id": "me/qwen-sft",
}
REHEARSABLE = "# --dry-run --max-steps --max-rows --output-dir --no-resume\nprint(1)"

# (tool, arguments with PATH where the probed path goes, the name of the file or folder probed)
PROBES: list[tuple[str, dict[str, Any], str]] = [
    ("validate_training_script", {"script": "PATH"}, "train.py"),
    ("validate_training_script", {"script": "PATH"}, "notes.txt"),
    ("dry_run_training_script", {"script": "PATH", "model": "acme/x"}, "train.py"),
    ("dry_run_training_script", {"script": REHEARSABLE, "model": "PATH"}, "model"),
    ("dry_run_training_script", {"script": REHEARSABLE, "tiny_from": "PATH"}, "model"),
    ("dry_run_training_script", {"script": REHEARSABLE, "model": "acme/x", "dataset": "PATH"}, "data.jsonl"),
    ("generate_training_script", {**GENERATE, "save_to": "PATH"}, "train.py"),
    ("inspect_dataset", {"dataset": "PATH"}, "data.jsonl"),
    ("inspect_dataset", {"dataset": "PATH"}, "datasets"),
    ("recommend_hardware", {"model": "PATH"}, "model"),
    ("recommend_hardware", {"model": "PATH", "flavor": "a10g-large", "dataset_examples": 1000}, "model"),
    ("prepare_training", {"model": "PATH", "dataset": "trl-lib/Capybara"}, "model"),
    ("training_loss_curve", {"log_path": "PATH"}, "train.log"),
    ("hf_jobs", {"operation": "uv", "args": {"script": "PATH", "dry_run": True}}, "train.py"),
]


@pytest.fixture
def outside(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, Path]]:
    """(a folder outside the roots where every probed name exists, one where none does)."""
    monkeypatch.delenv("HF_TRAIN_MCP_ALLOWED_PATHS", raising=False)
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf_home"))
    monkeypatch.setenv("HF_TRAIN_MCP_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # nothing listens: no Hub
    monkeypatch.setenv("HF_DATASETS_SERVER", "http://127.0.0.1:9")
    monkeypatch.setattr(backends, "_local_instance", None)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    full, empty = tmp_path / "private", tmp_path / "nothing-here"
    (full / "model").mkdir(parents=True)
    (full / "model" / "config.json").write_text(json.dumps({"model_type": "llama", "hidden_size": 64}))
    (full / "datasets").mkdir()
    (full / "datasets" / "train.jsonl").write_text('{"text": "PRIVATE ROW"}\n')
    (full / "data.jsonl").write_text('{"text": "PRIVATE ROW"}\n')
    (full / "train.py").write_text("PRIVATE_MARKER = 1\n")
    (full / "notes.txt").write_text("PRIVATE NOTES\n")
    (full / "train.log").write_text("{'loss': 1.0, 'step': 1}\n")
    yield full, empty


async def _answer(client: Client, tool: str, arguments: dict[str, Any], path: Path) -> tuple[bool, str]:
    filled = json.loads(json.dumps(arguments).replace('"PATH"', json.dumps(str(path))))
    result = await client.call_tool(tool, filled)
    text = "\n".join(getattr(block, "text", "") for block in result.content)
    return result.is_error, text.replace(str(path), "<PATH>")


@pytest.mark.parametrize("allow_local", [True, False], ids=["stdio", "http-without-allow-local"])
async def test_outside_the_roots_existing_and_missing_paths_get_one_answer(
    outside: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch, allow_local: bool
) -> None:
    full, empty = outside
    transport = "stdio" if allow_local else "http"
    monkeypatch.setattr(access, "_policy", access.AccessPolicy(transport=transport, allow_local=allow_local))
    refusal = "outside the folders" if allow_local else "--allow-local"
    leaks = []
    async with Client(build_server()) as client:
        for tool, arguments, name in PROBES:
            there = await _answer(client, tool, arguments, full / name)
            absent = await _answer(client, tool, arguments, empty / name)
            if there != absent or not (there[0] and refusal in there[1]) or "PRIVATE" in there[1]:
                leaks.append((tool, arguments, name, there[1][:300], absent[1][:300]))
    assert not leaks, "\n".join(map(str, leaks))
    assert (full / "train.py").read_text() == "PRIVATE_MARKER = 1\n"  # save_to did not overwrite it


async def test_inside_the_roots_missing_and_existing_files_are_told_apart(
    outside: tuple[Path, Path], tmp_path: Path
) -> None:
    work = tmp_path / "work"
    (work / "train.py").write_text("print('hello')\n")
    async with Client(build_server()) as client:
        ok = await client.call_tool("validate_training_script", {"script": str(work / "train.py")})
        missing = await client.call_tool("validate_training_script", {"script": "nope.py"})
        inline = await client.call_tool("validate_training_script", {"script": "print(1)"})
        too_long = await client.call_tool("inspect_dataset", {"dataset": "./" + "x" * 300 + ".jsonl"})
    assert too_long.is_error and "not a usable path" in too_long.content[0].text
    assert "Errno" not in too_long.content[0].text and "unexpectedly" not in too_long.content[0].text
    assert not ok.is_error
    assert missing.is_error and "no such file" in missing.content[0].text
    assert not inline.is_error  # a line of Python is still a script, not a path
