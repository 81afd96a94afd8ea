"""inspect_dataset through the MCP client, against the dataset viewer and Hub doubles and local files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hf_train_mcp.app import build_server
from mcp import Client

pytestmark = pytest.mark.anyio

MSGS = [{"role": "user", "content": "Tell me a story. " * 30}, {"role": "assistant", "content": "Once..."}]
TOKEN = "hf_inspect_test_token_0123456789"


async def call(args: dict[str, Any]) -> Any:
    async with Client(build_server()) as client:
        return await client.call_tool("inspect_dataset", args)


async def ok(args: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    result = await call(args)
    text = result.content[0].text
    assert not result.is_error, text
    return text, result.structured_content


async def error(args: dict[str, Any]) -> str:
    result = await call(args)
    assert result.is_error, result.content[0].text
    return result.content[0].text


def jsonl(rows: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(r) + "\n" for r in rows)


# --- Hub datasets through the viewer --------------------------------------------------------------
async def test_tool_is_listed_read_only() -> None:
    async with Client(build_server()) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
    tool = tools["inspect_dataset"]
    assert tool.annotations.read_only_hint is True
    assert {"dataset", "config", "split", "advanced"} == set(tool.input_schema["properties"])
    assert tool.input_schema["required"] == ["dataset"]


async def test_conversational_sft_dataset(fake_hub) -> None:
    fake_hub.viewer.add(
        "trl-lib/Capybara",
        {
            "train": [{"source": "airoboros", "messages": MSGS}] * 30,
            "test": [{"source": "x", "messages": MSGS}] * 3,
        },
        num_rows={"train": 15806, "test": 200},
    )
    text, data = await ok({"dataset": "trl-lib/Capybara", "rows": 2})
    assert data["source"] == "viewer"
    assert (data["config"], data["split"], data["num_rows"]) == ("default", "train", 15806)
    assert data["splits"] == {"default": ["train", "test"]}
    assert data["columns"] == [
        {"name": "source", "type": "string"},
        {"name": "messages", "type": "list[{role, content}]"},
    ]
    assert data["format"]["kind"] == "language_modeling" and data["format"]["conversational"]
    assert data["ready_for"] == ["sft"]
    assert data["methods"]["sft"] == {
        **data["methods"]["sft"],
        "ready": True,
        "column_mapping": None,
        "columns": {"messages": "messages"},
    }
    assert data["methods"]["dpo"]["column_mapping"] is None and data["methods"]["dpo"]["reasons"]
    # sample rows: two shown, long content cut
    assert len(data["rows"]) == 2
    content = data["rows"][0]["messages"][0]["content"]
    assert content.endswith("chars)") and len(content) < 260
    assert "15,806 rows" in text and "**Ready for:** SFT" in text and "chat template" in text
    assert fake_hub.server.received("GET", r"^/first-rows$")


@pytest.mark.parametrize(
    ("rows", "kind", "ready", "mappings"),
    [
        ([{"prompt": "2+2?", "completion": "4"}], "prompt_completion", ["sft", "grpo"], {}),
        (
            [{"question": "2+2?", "answer": "4"}],
            "unknown",
            [],
            {"sft": {"prompt": "question", "completion": "answer"}, "grpo": {"prompt": "question"}},
        ),
        (
            [{"prompt": "q", "chosen": "good", "rejected": "bad"}],
            "preference",
            ["dpo", "grpo", "kto", "reward"],
            {"sft": {"prompt": "prompt", "completion": "chosen"}},
        ),
        (
            [{"chosen": MSGS, "rejected": MSGS}],
            "implicit_preference",
            ["dpo", "kto", "reward"],
            {"sft": {"messages": "chosen"}},
        ),
        (
            [{"instruction": "q", "good": "g", "bad": "b"}],
            "unknown",
            [],
            {
                "dpo": {"prompt": "instruction", "chosen": "good", "rejected": "bad"},
                "reward": {"prompt": "instruction", "chosen": "good", "rejected": "bad"},
                "sft": {"prompt": "instruction", "completion": "good"},
            },
        ),
        ([{"text": "Once upon a time"}], "language_modeling", ["sft"], {}),
    ],
    ids=[
        "prompt-completion",
        "question-answer",
        "preference",
        "implicit-preference",
        "preference-mapping",
        "text",
    ],
)
async def test_formats_and_mappings(fake_hub, rows, kind, ready, mappings) -> None:
    fake_hub.viewer.add("org/ds", {"train": rows * 5})
    text, data = await ok({"dataset": "org/ds"})
    assert data["format"]["kind"] == kind
    assert data["ready_for"] == ready
    for method, info in data["methods"].items():
        assert info["ready"] == (method in ready)
        if method in mappings:
            assert info["column_mapping"] == mappings[method]
            assert json.dumps(mappings[method]) in text
    assert "| method | column_mapping to pass |" in text or not mappings


async def test_method_focus(fake_hub) -> None:
    fake_hub.viewer.add("org/pairs", {"train": [{"instruction": "q", "good": "g", "bad": "b"}] * 4})
    text, data = await ok({"dataset": "org/pairs", "method": "DPO"})
    assert data["method"] == "dpo"
    assert list(data["methods"]) == ["dpo"]
    assert data["methods"]["dpo"]["column_mapping"] == {
        "prompt": "instruction",
        "chosen": "good",
        "rejected": "bad",
    }
    assert "generate_training_script" in text

    text, data = await ok({"dataset": "org/pairs", "method": "kto"})
    assert "KTO unpairs" in text

    fake_hub.viewer.add("org/chat", {"train": [{"messages": MSGS}] * 4})
    text, data = await ok({"dataset": "org/chat", "method": "grpo"})
    assert data["methods"]["grpo"]["column_mapping"] is None
    assert "not ready, and no column mapping fixes it" in text


async def test_sharegpt_conversations_report_conversion(fake_hub) -> None:
    convo = [{"from": "human", "value": "hi"}, {"from": "gpt", "value": "hello"}]
    fake_hub.viewer.add("org/sharegpt", {"train": [{"conversations": convo}] * 3})
    text, data = await ok({"dataset": "org/sharegpt"})
    assert data["columns"] == [{"name": "conversations", "type": "list[{from, value}]"}]
    assert data["format"]["conversion"] == "sharegpt"
    assert data["methods"]["sft"]["column_mapping"] == {"messages": "conversations"}
    assert data["methods"]["sft"]["conversion"] == "sharegpt"
    assert 'conversion "sharegpt"' in text


async def test_configs_and_splits(fake_hub) -> None:
    fake_hub.viewer.add(
        "org/multi",
        configs={
            "en": {"train": [{"text": "hello"}] * 3, "test": [{"text": "bye"}]},
            "fr": {"validation": [{"text": "bonjour"}] * 2},
        },
    )
    _, data = await ok({"dataset": "org/multi"})
    assert (data["config"], data["split"]) == ("en", "train")
    assert data["splits"] == {"en": ["train", "test"], "fr": ["validation"]}
    assert any("2 configs" in n for n in data["notes"])

    _text, data = await ok({"dataset": "org/multi", "subset": "fr"})
    assert (data["config"], data["split"]) == ("fr", "validation")
    assert any("No 'train' split" in n for n in data["notes"])
    assert data["rows"][0] == {"text": "bonjour"}

    assert "Configs: en, fr" in await error({"dataset": "org/multi", "config": "de"})
    message = await error({"dataset": "org/multi", "config": "en", "split": "dev"})
    assert "no split 'dev'" in message and "train, test" in message


async def test_truncated_cells_still_detect_the_format(fake_hub) -> None:
    fake_hub.viewer.add("org/long", {"train": [{"id": 1, "messages": MSGS}] * 3}, truncate_cells_over=100)
    text, data = await ok({"dataset": "org/long"})
    assert data["truncated_cells"] == ["messages"]
    assert data["format"]["kind"] == "language_modeling" and data["format"]["conversational"]
    assert "cut long cells" in text


async def test_private_dataset_with_token(fake_hub, monkeypatch) -> None:
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    fake_hub.viewer.add(
        "me/private", {"train": [{"text": "secret"}] * 2}, private=True, allowed_tokens={TOKEN}
    )
    text, data = await ok({"dataset": "me/private"})
    assert data["source"] == "viewer"
    requests = fake_hub.server.received("GET", r"^/first-rows$")
    assert requests[0].headers["authorization"] == f"Bearer {TOKEN}"
    assert TOKEN not in text and TOKEN not in json.dumps(data)


async def test_rows_are_capped_and_bad_arguments_refused(fake_hub) -> None:
    fake_hub.viewer.add("org/many", {"train": [{"text": f"row {i}"} for i in range(50)]})
    _text, data = await ok({"dataset": "org/many", "rows": 20})
    assert len(data["rows"]) == 20
    # The schema says the bound the description states: more is refused with it, not silently cut.
    assert "20" in await error({"dataset": "org/many", "rows": 50})
    _, data = await ok({"dataset": "hf://datasets/org/many", "rows": 0})
    assert data["dataset"] == "org/many" and data["rows"] == []
    _, data = await ok({"dataset": "https://huggingface.co/datasets/org/many"})
    assert data["dataset"] == "org/many"
    assert "Unknown method 'ppo'" in await error({"dataset": "org/many", "method": "ppo"})
    assert "empty" in await error({"dataset": "  "})


# --- failures and the fallback ----------------------------------------------------------------
async def test_not_found_says_how_to_fix(fake_hub) -> None:
    message = await error({"dataset": "nobody/nothing"})
    assert "'nobody/nothing' was not found on the Hub" in message
    assert "owner/name" in message and "hf auth login" in message


async def test_gated_without_token(fake_hub) -> None:
    rows = [{"text": "t"}]
    fake_hub.viewer.add("org/gated", {"train": rows}, private=True)
    fake_hub.repos.add_dataset("org/gated", {"train.jsonl": jsonl(rows)}, gated="auto")
    message = await error({"dataset": "org/gated"})
    assert "is gated" in message and "https://huggingface.co/datasets/org/gated" in message
    assert "HF_TOKEN" in message


async def test_gated_with_a_token_that_has_not_accepted(fake_hub, monkeypatch) -> None:
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    rows = [{"text": "t"}]
    fake_hub.viewer.add("org/gated2", {"train": rows}, private=True)
    fake_hub.repos.add_dataset("org/gated2", {"train.jsonl": jsonl(rows)}, gated="manual")
    message = await error({"dataset": "org/gated2"})
    assert "is gated" in message and "accept its conditions" in message
    assert TOKEN not in message
    assert fake_hub.server.received("HEAD", r"/datasets/org/gated2/resolve/")


async def test_viewer_not_ready_falls_back_to_hub_files(fake_hub) -> None:
    rows = [{"question": f"q{i}", "answer": f"a{i}"} for i in range(12)]
    fake_hub.viewer.add("org/fresh", {"train": rows}, not_ready=True)
    fake_hub.repos.add_dataset(
        "org/fresh",
        {"data/train-00000-of-00001.jsonl": jsonl(rows), "data/test-00000-of-00001.jsonl": jsonl(rows[:2])},
    )
    text, data = await ok({"dataset": "org/fresh", "rows": 3})
    assert data["source"] == "hub_files"
    assert data["files"] == ["data/train-00000-of-00001.jsonl"]
    assert data["splits"] == {"default": ["train", "test"]}
    assert data["num_rows"] == 12
    assert data["rows"] == rows[:3]
    assert data["columns"] == [{"name": "question", "type": "string"}, {"name": "answer", "type": "string"}]
    assert data["methods"]["sft"]["column_mapping"] == {"prompt": "question", "completion": "answer"}
    assert "could not preview this dataset (the viewer has no preview)" in text
    assert "data file from the Hub" in text


async def test_viewer_down_falls_back(fake_hub) -> None:
    rows = [{"prompt": "p", "chosen": "c", "rejected": "r"}] * 4
    fake_hub.viewer.add("org/down", {"train": rows})
    fake_hub.repos.add_dataset("org/down", {"train.jsonl": jsonl(rows)})
    fake_hub.server.inject("GET", r"^/is-valid$", status=503, times=3)
    text, data = await ok({"dataset": "org/down"})
    assert data["source"] == "hub_files"
    assert len(fake_hub.server.received("GET", r"^/is-valid$")) == 3  # retried, then the fallback
    assert "viewer answered 503" in text
    assert data["ready_for"] == ["dpo", "grpo", "kto", "reward"]


async def test_unsupported_dataset_reads_parquet_from_the_hub(fake_hub, tmp_path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(
        pa.table({"prompt": ["a", "b", "c"], "completion": ["x", "y", "z"], "label": [True, False, True]}),
        tmp_path / "f.parquet",
    )
    fake_hub.viewer.add("org/script", {"train": []}, unsupported="DatasetWithScriptNotSupportedError")
    fake_hub.repos.add_dataset(
        "org/script",
        {
            "kto/train-00000-of-00001.parquet": (tmp_path / "f.parquet").read_bytes(),
            "kto/test-00000-of-00001.parquet": (tmp_path / "f.parquet").read_bytes(),
        },
    )
    _, data = await ok({"dataset": "org/script"})
    assert (data["source"], data["config"], data["split"]) == ("hub_files", "kto", "train")
    assert data["format"]["kind"] == "unpaired_preference"
    assert data["columns"][2] == {"name": "label", "type": "bool"}
    assert data["num_rows"] == 3
    assert "no config 'en'" in await error({"dataset": "org/script", "config": "en"})
    assert "no split 'dev'" in await error({"dataset": "org/script", "split": "dev"})


async def test_public_dataset_the_viewer_does_not_know(fake_hub) -> None:
    fake_hub.repos.add_dataset("org/unindexed", {"train.csv": "text\nhello\nworld\n"})
    _, data = await ok({"dataset": "org/unindexed"})
    assert data["source"] == "hub_files"
    assert data["num_rows"] == 2 and data["ready_for"] == ["sft"]


async def test_repo_without_data_files(fake_hub) -> None:
    fake_hub.repos.add_dataset("org/script-only", {"script_only.py": "print()"})
    message = await error({"dataset": "org/script-only"})
    assert "no data files" in message and "loading script" in message


# --- local files ----------------------------------------------------------------------------------
async def test_local_jsonl(tmp_path: Path) -> None:
    path = tmp_path / "pairs.jsonl"
    path.write_text(jsonl([{"prompt": "p", "chosen": "c", "rejected": "r"}] * 8))
    text, data = await ok({"dataset": str(path), "rows": 2})
    assert data["source"] == "local" and data["num_rows"] == 8
    assert data["ready_for"] == ["dpo", "grpo", "kto", "reward"]
    assert len(data["rows"]) == 2
    assert "local file" in text


async def test_local_csv(tmp_path: Path) -> None:
    path = tmp_path / "qa.csv"
    path.write_text("question,answer\nWhat?,That.\nWho?,Them.\n")
    _, data = await ok({"dataset": str(path)})
    assert data["num_rows"] == 2
    assert data["methods"]["sft"]["column_mapping"] == {"prompt": "question", "completion": "answer"}


async def test_local_parquet(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"messages": [MSGS] * 4}), tmp_path / "chat.parquet")
    _, data = await ok({"dataset": str(tmp_path / "chat.parquet")})
    assert data["columns"] == [{"name": "messages", "type": "list[{role, content}]"}]
    assert data["ready_for"] == ["sft"] and data["num_rows"] == 4


async def test_local_folder_with_splits(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    data_dir = tmp_path / "data"
    data_dir.mkdir()
    for i in range(2):
        pq.write_table(pa.table({"text": [f"t{i}"] * 5}), data_dir / f"train-0000{i}-of-00002.parquet")
    pq.write_table(pa.table({"text": ["x"] * 2}), data_dir / "test-00000-of-00001.parquet")
    _text, data = await ok({"dataset": str(tmp_path)})
    assert data["splits"] == {"default": ["train", "test"]}
    assert data["split"] == "train" and data["num_rows"] == 10
    _, data = await ok({"dataset": str(tmp_path), "split": "test"})
    assert data["num_rows"] == 2
    assert "no split 'validation'" in await error({"dataset": str(tmp_path), "split": "validation"})


async def test_local_errors(tmp_path: Path) -> None:
    assert "No such file or folder" in await error({"dataset": str(tmp_path / "missing.jsonl")})
    assert "No such file or folder" in await error({"dataset": "./nope/data.jsonl"})
    (tmp_path / "notes.txt").write_text("x")
    assert "not a data file" in await error({"dataset": str(tmp_path / "notes.txt")})
    empty = tmp_path / "empty"
    empty.mkdir()
    assert "holds no data files" in await error({"dataset": str(empty)})
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{oops\n")
    assert "line 1 is not valid JSON" in await error({"dataset": str(bad)})
