"""Read a few rows of a local data file (JSON Lines, JSON, CSV/TSV, Parquet), and find the splits of a
folder of them the way `datasets` does (train.jsonl / test.jsonl, data/train-00000-of-00001.parquet,
train/part-0.parquet).

The standard library reads the text formats; Parquet needs pyarrow (a `datasets` dependency),
imported inside the function that reads Parquet only.
"""

from __future__ import annotations

import csv
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DATA_EXTENSIONS = (".jsonl", ".json", ".ndjson", ".parquet", ".csv", ".tsv")
COUNT_ROWS_UNDER_BYTES = 64 * 1024 * 1024  # count the rows of text files smaller than this
LOAD_JSON_UNDER_BYTES = 256 * 1024 * 1024  # a JSON (not JSON Lines) file must be loaded whole

SPLIT_WORDS = {
    "train": "train",
    "training": "train",
    "test": "test",
    "testing": "test",
    "eval": "test",
    "evaluation": "test",
    "validation": "validation",
    "valid": "validation",
    "val": "validation",
    "dev": "validation",
}
_KEYWORD = re.compile(
    r"(?:^|[-_./ ])(" + "|".join(sorted(SPLIT_WORDS, key=len, reverse=True)) + r")(?=$|[-_./ 0-9])"
)


class DataFileError(ValueError):
    """A data file that cannot be read (with a message that says why and what to do)."""


@dataclass
class FileRows:
    rows: list[dict[str, Any]]
    columns: list[str]
    types: dict[str, str] = field(default_factory=dict)  # column -> type from a schema (Parquet)
    num_rows: int | None = None  # rows in the whole file, when cheap to know
    notes: list[str] = field(default_factory=list)

    def column_types(self) -> dict[str, str]:
        """The schema's types, or types inferred from the rows read."""
        from hf_train_mcp.dataset_formats import value_type

        return {c: self.types.get(c) or value_type(r.get(c) for r in self.rows) for c in self.columns}


def is_data_file(path: str) -> bool:
    return path.lower().endswith(DATA_EXTENSIONS)


def split_of(path: str) -> str | None:
    """The split a data file belongs to, from its name or folder (None when nothing says)."""
    lowered = path.lower().replace("\\", "/")
    name = lowered.rsplit("/", 1)[-1]
    stem = name.split(".", 1)[0]
    for candidate in (stem, *reversed(lowered.split("/")[:-1])):
        match = _KEYWORD.search(candidate)
        if match:
            return SPLIT_WORDS[match.group(1)]
    return None


def group_splits(paths: list[str]) -> dict[str, list[str]]:
    """{split: [paths]}; files that name no split belong to "train" (as in `datasets`) unless other
    files do name splits, in which case they are ignored."""
    named: dict[str, list[str]] = {}
    unnamed: list[str] = []
    for path in sorted(paths):
        split = split_of(path)
        if split is None:
            unnamed.append(path)
        else:
            named.setdefault(split, []).append(path)
    if not named:
        return {"train": unnamed} if unnamed else {}
    order = ["train", "validation", "test"]
    return {s: named[s] for s in sorted(named, key=lambda s: (order.index(s) if s in order else 9, s))}


def list_local_data_files(folder: str | Path, max_files: int = 10_000) -> list[str]:
    """Data files under `folder` (relative paths), skipping hidden folders and caches, and any file (a
    symlink) that resolves outside the folders this server may read: listing it would read it or upload it."""
    from hf_train_mcp.access import may_look

    root = Path(folder)
    found: list[str] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith((".", "__")))
        for name in sorted(filenames):
            if is_data_file(name) and not name.startswith(".") and may_look(Path(dirpath, name)):
                found.append(str(Path(dirpath, name).relative_to(root)).replace(os.sep, "/"))
                if len(found) >= max_files:
                    return found
    return found


# --- readers ------------------------------------------------------------------------------------
def read_rows(path: str | Path, n: int) -> FileRows:
    """The first `n` rows of one data file."""
    path = Path(path)
    lowered = path.name.lower()
    try:
        if lowered.endswith(".parquet"):
            return _read_parquet(path, n)
        if lowered.endswith((".csv", ".tsv")):
            return _read_csv(path, n, "\t" if lowered.endswith(".tsv") else ",")
        if lowered.endswith((".jsonl", ".ndjson")):
            return _read_jsonl(path, n)
        if lowered.endswith(".json"):
            return _read_json(path, n)
    except DataFileError:
        raise
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise DataFileError(f"cannot read {path.name}: {type(exc).__name__}: {exc}") from exc
    raise DataFileError(f"{path.name}: unsupported file type; use .jsonl, .json, .csv, .tsv or .parquet")


def _columns_of(rows: list[dict[str, Any]]) -> list[str]:
    return list(dict.fromkeys(k for row in rows for k in row))


def _count_lines(path: Path) -> int | None:
    if path.stat().st_size > COUNT_ROWS_UNDER_BYTES:
        return None
    count = 0
    with path.open("rb") as fh:
        for line in fh:
            if line.strip():
                count += 1
    return count


def _read_jsonl(path: Path, n: int) -> FileRows:
    rows: list[dict[str, Any]] = []
    with path.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError as exc:
                raise DataFileError(
                    f"{path.name} line {lineno} is not valid JSON ({exc.msg}); JSON Lines "
                    "files hold one JSON object per line"
                ) from exc
            if not isinstance(value, dict):
                raise DataFileError(
                    f"{path.name} line {lineno} is a JSON {type(value).__name__}, not an "
                    'object; each line must be an object like {"text": ...}'
                )
            rows.append(value)
            if len(rows) >= n:
                break
    return FileRows(rows, _columns_of(rows), num_rows=_count_lines(path))


def _read_json(path: Path, n: int) -> FileRows:
    with path.open(encoding="utf-8") as fh:
        head = fh.read(4096)
    stripped = head.lstrip()
    if stripped.startswith("{") and "\n{" in stripped.replace("\r\n", "\n").replace("\n ", "\n"):
        try:  # JSON Lines with a .json name (common)
            json.loads(stripped.splitlines()[0])
            result = _read_jsonl(path, n)
            result.notes.append(f"{path.name} holds JSON Lines (one object per line).")
            return result
        except json.JSONDecodeError:
            pass
    if path.stat().st_size > LOAD_JSON_UNDER_BYTES:
        raise DataFileError(
            f"{path.name} is a {path.stat().st_size // 2**20} MB JSON document; convert it "
            "to JSON Lines or Parquet to inspect it"
        )
    with path.open(encoding="utf-8") as fh:
        try:
            data = json.load(fh)
        except json.JSONDecodeError as exc:
            raise DataFileError(f"{path.name} is not valid JSON ({exc.msg} at line {exc.lineno})") from exc
    notes: list[str] = []
    records: list[Any]
    if isinstance(data, list):
        records = data
    elif isinstance(data, dict):
        lists = {k: v for k, v in data.items() if isinstance(v, list)}
        columnar = (
            lists
            and len(lists) == len(data)
            and len({len(v) for v in lists.values()}) == 1
            and not any(isinstance(x, dict) for v in lists.values() for x in v[:1])
        )
        if columnar:
            length = len(next(iter(lists.values())))  # columnar {"col": [...], ...}
            records = [{k: v[i] for k, v in data.items()} for i in range(length)]
            notes.append(f"{path.name} is columnar JSON ({{column: [values]}}).")
        elif len(lists) == 1:
            key, records = next(iter(lists.items()))
            notes.append(f'The rows are under the key `{key}` (load with field="{key}").')
        else:
            records = [data]
    else:
        raise DataFileError(f"{path.name} holds a JSON {type(data).__name__}; expected a list of objects")
    rows = [r for r in records if isinstance(r, dict)]
    if len(rows) != len(records):
        raise DataFileError(f"{path.name}: the records are not all JSON objects")
    return FileRows(rows[:n], _columns_of(rows[:n]), num_rows=len(rows), notes=notes)


def _read_csv(path: Path, n: int, delimiter: str) -> FileRows:
    csv.field_size_limit(min(2**31 - 1, 1 << 30))
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh, delimiter=delimiter)
        rows: list[dict[str, Any]] = []
        for row in reader:
            rows.append({k: _csv_value(v) for k, v in row.items() if k is not None})
            if len(rows) >= n:
                break
        columns = list(reader.fieldnames or [])
    num_rows = None
    if path.stat().st_size <= COUNT_ROWS_UNDER_BYTES:
        with path.open(encoding="utf-8", newline="") as fh:
            num_rows = sum(1 for _ in csv.DictReader(fh, delimiter=delimiter))
    return FileRows(rows, columns, num_rows=num_rows)


def _csv_value(value: str | None) -> Any:
    """CSV cells are text; JSON-looking cells (lists, objects) are parsed, as messages often are."""
    if value is None:
        return None
    stripped = value.strip()
    if stripped[:1] in ("[", "{") and stripped[-1:] in ("]", "}"):
        try:
            return json.loads(stripped)
        except json.JSONDecodeError:
            return value
    return value


def _read_parquet(path: Path, n: int) -> FileRows:
    try:
        import pyarrow.parquet as pq
    except ImportError as exc:  # pragma: no cover - pyarrow comes with datasets
        raise DataFileError("reading Parquet needs pyarrow: pip install pyarrow") from exc
    try:
        pf = pq.ParquetFile(str(path))
    except Exception as exc:
        raise DataFileError(f"{path.name} is not a readable Parquet file ({exc})") from exc
    rows: list[dict[str, Any]] = []
    for batch in pf.iter_batches(batch_size=max(n, 1)):
        rows.extend(batch.to_pylist())
        if len(rows) >= n:
            break
    schema = pf.schema_arrow
    types = {f.name: arrow_type(f.type) for f in schema}
    return FileRows(rows[:n], list(schema.names), types=types, num_rows=pf.metadata.num_rows)


def arrow_type(arrow_type: Any) -> str:
    """A short name for a pyarrow type, matching the viewer's names where they overlap."""
    import pyarrow as pa

    t = arrow_type
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return "string"
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        inner = t.value_type
        if pa.types.is_struct(inner):
            names = {inner.field(i).name for i in range(inner.num_fields)}
            if {"role", "content"} <= names:
                return "list[{role, content}]"
            if {"from", "value"} <= names:
                return "list[{from, value}]"
        return f"list[{arrow_type_name(inner)}]"
    return arrow_type_name(t)


def arrow_type_name(t: Any) -> str:
    import pyarrow as pa

    if pa.types.is_struct(t):
        return "{" + ", ".join(t.field(i).name for i in range(t.num_fields)) + "}"
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        return arrow_type(t)
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return "string"
    return str(t)
