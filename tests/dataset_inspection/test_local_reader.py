"""Reading rows of local data files and finding splits in folders."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hf_train_mcp.dataset_inspection import local_reader as lr


@pytest.mark.parametrize(
    ("path", "split"),
    [
        ("train.jsonl", "train"),
        ("data/train-00000-of-00001.parquet", "train"),
        ("data/test-00000-of-00002.parquet", "test"),
        ("validation.csv", "validation"),
        ("dev.jsonl", "validation"),
        ("my_data_val.json", "validation"),
        ("default/train/0000.parquet", "train"),
        ("en/test.jsonl", "test"),
        ("contest.jsonl", None),
        ("device_logs.jsonl", None),
        ("data.jsonl", None),
    ],
)
def test_split_of(path: str, split: str | None) -> None:
    assert lr.split_of(path) == split


def test_group_splits() -> None:
    assert lr.group_splits(["test.jsonl", "train.jsonl", "validation.jsonl"]) == {
        "train": ["train.jsonl"],
        "validation": ["validation.jsonl"],
        "test": ["test.jsonl"],
    }
    assert lr.group_splits(["a.jsonl", "b.jsonl"]) == {"train": ["a.jsonl", "b.jsonl"]}
    assert lr.group_splits(["notes.jsonl", "train.jsonl"]) == {"train": ["train.jsonl"]}
    assert lr.group_splits([]) == {}


def test_read_jsonl_counts_rows(tmp_path: Path) -> None:
    path = tmp_path / "d.jsonl"
    path.write_text("\n".join(json.dumps({"text": f"t{i}"}) for i in range(7)) + "\n\n")
    read = lr.read_rows(path, 3)
    assert [r["text"] for r in read.rows] == ["t0", "t1", "t2"]
    assert read.columns == ["text"]
    assert read.num_rows == 7
    assert read.column_types() == {"text": "string"}


def test_read_jsonl_errors_name_the_line(tmp_path: Path) -> None:
    path = tmp_path / "d.jsonl"
    path.write_text('{"text": "ok"}\n{broken\n')
    with pytest.raises(lr.DataFileError, match="line 2"):
        lr.read_rows(path, 5)
    path.write_text('["not", "an", "object"]\n')
    with pytest.raises(lr.DataFileError, match="not an object"):
        lr.read_rows(path, 5)


def test_read_json_shapes(tmp_path: Path) -> None:
    records = tmp_path / "records.json"
    records.write_text(json.dumps([{"prompt": "p", "completion": "c"}] * 4))
    assert lr.read_rows(records, 2).num_rows == 4

    nested = tmp_path / "nested.json"
    nested.write_text(json.dumps({"version": 1, "data": [{"text": "a"}, {"text": "b"}]}))
    read = lr.read_rows(nested, 5)
    assert read.rows == [{"text": "a"}, {"text": "b"}]
    assert any('field="data"' in n for n in read.notes)

    columnar = tmp_path / "columnar.json"
    columnar.write_text(json.dumps({"question": ["q1", "q2"], "answer": ["a1", "a2"]}))
    assert lr.read_rows(columnar, 5).rows == [
        {"question": "q1", "answer": "a1"},
        {"question": "q2", "answer": "a2"},
    ]

    lines = tmp_path / "lines.json"
    lines.write_text('{"text": "a"}\n{"text": "b"}\n')
    read = lr.read_rows(lines, 5)
    assert read.rows == [{"text": "a"}, {"text": "b"}]
    assert any("JSON Lines" in n for n in read.notes)


def test_read_csv_parses_json_cells(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_text('prompt,chosen,rejected\n"2+2?",4,5\n"[1, 2]",a,b\n')
    read = lr.read_rows(path, 5)
    assert read.columns == ["prompt", "chosen", "rejected"]
    assert read.rows[0] == {"prompt": "2+2?", "chosen": "4", "rejected": "5"}
    assert read.rows[1]["prompt"] == [1, 2]
    assert read.num_rows == 2


def test_read_tsv(tmp_path: Path) -> None:
    path = tmp_path / "d.tsv"
    path.write_text("text\tlabel\nhello\t1\n")
    assert lr.read_rows(path, 5).rows == [{"text": "hello", "label": "1"}]


def test_read_parquet_with_schema_types(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    messages = [[{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}]] * 30
    table = pa.table({"messages": messages, "score": [1.0] * 30})
    pq.write_table(table, tmp_path / "d.parquet", row_group_size=10)
    read = lr.read_rows(tmp_path / "d.parquet", 12)
    assert len(read.rows) == 12
    assert read.num_rows == 30
    assert read.types == {"messages": "list[{role, content}]", "score": "double"}


def test_unsupported_and_broken_files(tmp_path: Path) -> None:
    (tmp_path / "d.txt").write_text("x")
    with pytest.raises(lr.DataFileError, match="unsupported"):
        lr.read_rows(tmp_path / "d.txt", 1)
    (tmp_path / "d.parquet").write_bytes(b"not parquet")
    with pytest.raises(lr.DataFileError, match="Parquet"):
        lr.read_rows(tmp_path / "d.parquet", 1)


def test_list_local_data_files_skips_hidden(tmp_path: Path) -> None:
    (tmp_path / ".cache").mkdir()
    (tmp_path / ".cache" / "x.jsonl").write_text("{}")
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "train-0.parquet").write_bytes(b"")
    (tmp_path / "README.md").write_text("#")
    assert lr.list_local_data_files(tmp_path) == ["data/train-0.parquet"]
