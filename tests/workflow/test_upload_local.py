"""Local data for a cloud job: refused with the way out, or (upload_local: true) uploaded to a private
Hub repo through the real client, and the script reads that repo."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from doubles.full_hub import CHAT_ROWS, FakeHub

pytestmark = pytest.mark.anyio


def text_of(result: Any) -> str:
    return "\n".join(getattr(block, "text", "") for block in result.content)


def _rows(tmp_path: Path) -> Path:
    data = tmp_path / "my chats.jsonl"
    data.write_text("".join(json.dumps(row) + "\n" for row in CHAT_ROWS))
    return data


async def test_local_data_for_a_cloud_flavor_is_refused_with_the_upload_option(
    client: Any, fake_hub: FakeHub, tmp_path: Path
) -> None:
    data = _rows(tmp_path)
    result = await client.call_tool(
        "prepare_training",
        {
            "model": "Qwen/Qwen2.5-0.5B",
            "dataset": str(data),
            "flavor": "a10g-large",
            "hub_model_id": "alice/x",
        },
    )
    assert result.is_error
    text = text_of(result)
    assert "cannot read it. Fix:" in text and "upload_local: true" in text  # one sentence, then the fix
    assert not [r for r in fake_hub.repos.repos.values() if r.repo_id.startswith("alice/hf-train-")]


async def test_upload_local_puts_the_data_in_a_private_repo_the_script_reads(
    client: Any, fake_hub: FakeHub, tmp_path: Path
) -> None:
    fake_hub.repos.add_user("alice", fake_hub.token)  # the double's writer: the token's own user
    data = _rows(tmp_path)
    arguments = {
        "model": "Qwen/Qwen2.5-0.5B",
        "dataset": str(data),
        "flavor": "a10g-large",
        "hub_model_id": "alice/x",
        "upload_local": True,
    }
    result = await client.call_tool("prepare_training", arguments)
    assert not result.is_error, text_of(result)
    uploaded = [r for r in fake_hub.repos.repos.values() if r.repo_id.startswith("alice/hf-train-my-chats-")]
    assert len(uploaded) == 1
    repo = uploaded[0]
    assert repo.repo_type == "dataset" and repo.private
    assert repo.files["my chats.jsonl"] == data.read_bytes()  # the upload landed, byte for byte
    script = Path(result.structured_content["script_path"]).read_text()
    assert repo.repo_id in script and str(data) not in script
    topics = {d["topic"]: d for d in result.structured_content["decisions"]}
    assert topics["dataset upload"]["choice"] == repo.repo_id
    again = await client.call_tool("prepare_training", arguments)  # the same path: the same repo
    assert not again.is_error and len(fake_hub.repos.repos) == len(set(fake_hub.repos.repos))
    assert [r.repo_id for r in fake_hub.repos.repos.values() if r.repo_id.startswith("alice/hf-train-")] == [
        repo.repo_id
    ]


def _linked_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A data folder inside the allowed folders (the working directory) whose train.jsonl is a symlink to a
    file outside them."""
    monkeypatch.delenv("HF_TRAIN_MCP_ALLOWED_PATHS")  # the roots: the working directory and the data dir
    secret = tmp_path / "private" / "rows.jsonl"
    secret.parent.mkdir()
    secret.write_text(json.dumps({"text": "PRIVATE ROW"}) + "\n")
    work = tmp_path / "work"
    (work / "chats").mkdir(parents=True)
    (work / "chats" / "train.jsonl").symlink_to(secret)
    (work / "chats" / "test.jsonl").write_text(json.dumps({"text": "a public row"}) + "\n")
    monkeypatch.chdir(work)
    return work / "chats"


async def test_a_link_out_of_the_allowed_folders_is_neither_read_nor_uploaded(
    client: Any, fake_hub: FakeHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_hub.repos.add_user("alice", fake_hub.token)
    folder = _linked_folder(tmp_path, monkeypatch)
    inspected = await client.call_tool("inspect_dataset", {"dataset": str(folder)})
    uploaded = await client.call_tool(
        "prepare_training",
        {
            "model": "Qwen/Qwen2.5-0.5B",
            "dataset": str(folder),
            "flavor": "a10g-large",
            "hub_model_id": "alice/x",
            "upload_local": True,
        },
    )
    assert "PRIVATE" not in text_of(inspected) and "PRIVATE" not in json.dumps(inspected.structured_content)
    assert "a public row" in text_of(inspected)  # the folder's own file is still read
    assert (
        uploaded.is_error
        and "train.jsonl" in text_of(uploaded)
        and "nothing was uploaded" in text_of(uploaded)
    )
    assert not [r for r in fake_hub.repos.repos.values() if r.repo_id.startswith("alice/hf-train-")]
