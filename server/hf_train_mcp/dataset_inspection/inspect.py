"""inspect_dataset's work, callable without MCP (the guided workflow uses it): read a few rows of a Hub
or local dataset, detect its TRL format, and say which methods it is ready for and which column
mapping makes it ready for the others.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hf_train_mcp import access, dataset_mapping, hub
from hf_train_mcp import dataset_formats as fmt
from hf_train_mcp.dataset_inspection import hub_files, local_reader
from hf_train_mcp.dataset_inspection.errors import InspectionError
from hf_train_mcp.dataset_inspection.sample import DatasetSample, gated_message
from hf_train_mcp.dataset_inspection.viewer_client import (
    ViewerClient,
    ViewerError,
    feature_type,
    synthetic_value,
)

log = logging.getLogger("hf_train_mcp.dataset_inspection")

MAX_ROWS = 20
DETECT_ROWS = 20  # rows used for format detection (more than shown when the source has them)
CELL_CHARS = 200
REPO_ID_RE = re.compile(r"^[\w.-]+/[\w.-]+\Z|^[\w.-]+\Z")
METHOD_NAMES = {"sft": "SFT", "dpo": "DPO", "grpo": "GRPO", "kto": "KTO", "reward": "reward modelling"}
KIND_NAMES = {
    "language_modeling": "language modelling",
    "prompt_completion": "prompt-completion",
    "prompt_only": "prompt-only",
    "preference": "preference",
    "implicit_preference": "implicit preference",
    "unpaired_preference": "unpaired preference",
    "unknown": "unknown",
}


@dataclass
class Inspection:
    sample: DatasetSample
    report: fmt.FormatReport
    methods: dict[str, dict[str, Any]]
    shown_rows: list[dict[str, Any]]
    focus: str | None = None
    notes: list[str] = field(default_factory=list)

    def data(self) -> dict[str, Any]:
        s = self.sample
        return {
            "dataset": s.dataset,
            "source": s.source,
            "config": s.config,
            "split": s.split,
            "splits": s.splits,
            "num_rows": s.num_rows,
            "columns": [{"name": c, "type": s.types.get(c, "?")} for c in s.columns],
            "rows": self.shown_rows,
            "truncated_cells": s.truncated_cells,
            "files": s.files,
            "format": {
                "kind": self.report.kind,
                "conversational": self.report.conversational,
                "columns": self.report.columns,
                "kinds": self.report.kinds,
                "conversion": self.report.conversion,
                "reasons": self.report.reasons,
                "notes": self.report.notes,
            },
            "ready_for": self.report.ready_for,
            "methods": self.methods,
            "method": self.focus,
            "notes": [*s.notes, *self.notes],
        }


# --- entry point --------------------------------------------------------------------------------
def inspect_dataset(
    dataset: str,
    config: str | None = None,
    split: str | None = None,
    rows: int = 5,
    method: str | None = None,
) -> Inspection:
    dataset = (dataset or "").strip()
    if not dataset:
        raise InspectionError(
            '`dataset` is empty: pass a Hub id like "trl-lib/Capybara" or a local file or folder path.'
        )
    focus = None
    if method is not None and method.strip():
        focus = method.strip().lower()
        if focus not in fmt.METHODS:
            raise InspectionError(f"Unknown method '{method}'. Choose one of: {', '.join(fmt.METHODS)}.")
    notes: list[str] = []
    if rows > MAX_ROWS:
        notes.append(f"Showing {MAX_ROWS} rows at most (asked for {rows}).")
    shown = max(0, min(rows, MAX_ROWS))
    n_read = max(shown, DETECT_ROWS)
    config = config.strip() if config and config.strip() else None
    split = split.strip() if split and split.strip() else None

    local = _local_path(dataset)
    if local is not None:
        access.require_local("Reading datasets from this machine's disk")
        sample = inspect_local(local, config, split, n_read)
    else:
        sample = inspect_hub(_repo_id(dataset), config, split, n_read)
    return analyze(sample, shown, focus, notes)


def _local_path(dataset: str) -> Path | None:
    """The local file or folder `dataset` names (None for a Hub id). The access policy decides before
    any look at the disk, so a path outside the allowed folders gets one answer, existing or not."""
    looks_local = (
        dataset.startswith(("/", "./", "../", "~", "file:"))
        or local_reader.is_data_file(dataset)
        or "\\" in dataset
        or (dataset.count("/") > 1 and not dataset.startswith(("hf://", "http")))
    )
    path = access.local_path(dataset, argument="dataset", what="a dataset", looks_local=looks_local)
    if path is not None and path.exists():
        return path
    if looks_local:
        raise InspectionError(
            f"No such file or folder: {dataset}. Pass an existing local path (a .jsonl, .json, "
            ".csv, .tsv or .parquet file, or a folder of them) or a Hub dataset id like "
            '"trl-lib/Capybara".'
        )
    return None


def _repo_id(dataset: str) -> str:
    """Accept "owner/name", "hf://datasets/owner/name" and "https://huggingface.co/datasets/owner/name"."""
    value = dataset
    for prefix in ("hf://datasets/", "datasets/"):
        if value.startswith(prefix):
            value = value[len(prefix) :]
    match = re.match(r"https?://[^/]+/datasets/([^/?#]+/[^/?#]+)", value)
    if match:
        value = match.group(1)
    value = value.split("@", 1)[0].strip("/")
    if not REPO_ID_RE.match(value):
        raise InspectionError(
            f"'{dataset}' is neither an existing local path nor a Hub dataset id (owner/name, "
            'e.g. "trl-lib/Capybara").'
        )
    return value


# --- local --------------------------------------------------------------------------------------
def inspect_local(path: Path, config: str | None, split: str | None, n: int) -> DatasetSample:
    notes: list[str] = []
    if path.is_file():
        if not local_reader.is_data_file(path.name):
            raise InspectionError(
                f"{path} is not a data file this tool reads: use .jsonl, .json, .csv, .tsv or .parquet."
            )
        groups = {"train": [path.name]}
        base = path.parent
        inferred = local_reader.split_of(path.name) or "train"
        if split is not None and split not in (inferred, "train"):
            raise InspectionError(
                f"{path.name} is a single file (split '{inferred}'); `split` cannot select "
                f"'{split}' in it. Pass the folder to choose among split files."
            )
        chosen, files = (split or "train"), [path.name]
    else:
        all_files = local_reader.list_local_data_files(path)
        if not all_files:
            raise InspectionError(f"{path} holds no data files (.jsonl, .json, .csv, .tsv, .parquet).")
        if config:
            scoped = [f for f in all_files if f.split("/")[0] == config]
            if not scoped:
                tops = sorted({f.split("/")[0] for f in all_files if "/" in f})
                raise InspectionError(
                    f"{path} has no sub-folder '{config}' with data files"
                    + (f"; sub-folders: {', '.join(tops)}" if tops else "")
                    + "."
                )
            all_files = scoped
        groups = local_reader.group_splits(all_files)
        base = path
        chosen = hub_files.choose_split(str(path), groups, split, notes)
        files = groups[chosen]
    try:
        read = local_reader.read_rows(base / files[0], n)
    except local_reader.DataFileError as exc:
        raise InspectionError(str(exc)) from exc
    num_rows = read.num_rows
    if len(files) > 1:
        extra = 0
        for other in files[1:]:
            try:
                more = local_reader.read_rows(base / other, 0).num_rows
            except local_reader.DataFileError:
                more = None
            if more is None or num_rows is None:
                num_rows = None
                break
            extra += more
        if num_rows is not None:
            num_rows += extra
        notes.append(f"Split '{chosen}' has {len(files)} files; rows come from {files[0]}.")
    return DatasetSample(
        dataset=str(path),
        source="local",
        config=config,
        split=chosen,
        splits={config or "default": list(groups)},
        columns=read.columns,
        types=read.column_types(),
        rows=read.rows,
        num_rows=num_rows,
        files=[str(base / f) for f in files[:1]],
        notes=notes + read.notes,
    )


# --- Hub ----------------------------------------------------------------------------------------
def inspect_hub(repo_id: str, config: str | None, split: str | None, n: int) -> DatasetSample:
    token = hub.get_token()
    client = ViewerClient(token)

    def without_viewer(exc: Exception) -> DatasetSample:
        """The viewer failed: tell "not found / gated" apart, else read a data file from the Hub."""
        if isinstance(exc, ViewerError):
            if exc.not_accessible:
                return _diagnose_then_fallback(repo_id, config, split, n, token, exc)
            return hub_files.inspect_hub_files(repo_id, config, split, n, token, _reason(exc))
        return hub_files.inspect_hub_files(repo_id, config, split, n, token, f"viewer unreachable: {exc}")

    try:
        valid = client.is_valid(repo_id)
    except Exception as exc:
        return without_viewer(exc)
    if not valid.get("preview"):
        return hub_files.inspect_hub_files(repo_id, config, split, n, token, "the viewer has no preview")
    try:
        listing = client.splits(repo_id)
    except Exception as exc:
        return without_viewer(exc)
    splits: dict[str, list[str]] = {}
    for item in listing.get("splits") or []:
        splits.setdefault(item["config"], []).append(item["split"])
    if not splits:
        return hub_files.inspect_hub_files(repo_id, config, split, n, token, "the viewer lists no splits")
    notes: list[str] = []
    config = _choose_config(repo_id, splits, config, notes)
    if split is not None and split not in splits[config]:
        raise InspectionError(
            f"Dataset '{repo_id}' (config '{config}') has no split '{split}'. Splits: "
            f"{', '.join(splits[config])}. Pass one of them as `split`."
        )
    split = hub_files.choose_split(repo_id, {s: [] for s in splits[config]}, split, notes)
    try:
        first = client.first_rows(repo_id, config, split)
    except ViewerError as exc:
        if exc.not_accessible:
            return _diagnose_then_fallback(repo_id, config, split, n, token, exc)
        return hub_files.inspect_hub_files(repo_id, config, split, n, token, _reason(exc))
    except Exception as exc:
        return hub_files.inspect_hub_files(repo_id, config, split, n, token, f"viewer unreachable: {exc}")
    features = {f["name"]: f.get("type") for f in first.get("features") or []}
    row_items = first.get("rows") or []
    rows = [item.get("row", {}) for item in row_items[:n]]
    truncated = sorted({c for item in row_items[:n] for c in item.get("truncated_cells") or []})
    detect_rows = _detection_rows(row_items[:n], features)
    if truncated:
        notes.append(
            "The viewer cut long cells ("
            + ", ".join(f"`{c}`" for c in truncated)
            + "); format detection uses their declared types."
        )
    num_rows = _num_rows(client, repo_id, config, split)
    return DatasetSample(
        dataset=repo_id,
        source="viewer",
        config=config,
        split=split,
        splits=splits,
        columns=list(features) or fmt_columns(rows),
        types={name: feature_type(t) for name, t in features.items()},
        rows=rows,
        detect_rows=detect_rows,
        num_rows=num_rows,
        truncated_cells=truncated,
        notes=notes,
    )


def fmt_columns(rows: list[dict[str, Any]]) -> list[str]:
    return list(dict.fromkeys(k for r in rows for k in r))


def _reason(exc: ViewerError) -> str:
    if exc.code:
        return f"viewer answered {exc.status} {exc.code}"
    return f"viewer answered {exc.status}: {exc.message[:160]}"


def _choose_config(repo_id: str, splits: dict[str, list[str]], config: str | None, notes: list[str]) -> str:
    if config is not None:
        if config not in splits:
            raise InspectionError(
                f"Dataset '{repo_id}' has no config '{config}'. Configs: {', '.join(splits)}. "
                "Pass one of them as `config`."
            )
        return config
    if len(splits) == 1:
        return next(iter(splits))
    chosen = "default" if "default" in splits else next(iter(splits))
    notes.append(f"{len(splits)} configs; showing '{chosen}'. Pass `config` to see another.")
    return chosen


def _detection_rows(items: list[dict[str, Any]], features: dict[str, Any]) -> list[dict[str, Any]] | None:
    """Rows for detection: the viewer's rows, with truncated cells (strings of cut JSON) replaced by a
    value of the declared type. None when nothing was truncated."""
    if not any(item.get("truncated_cells") for item in items):
        return None
    out = []
    for item in items:
        row = dict(item.get("row", {}))
        for column in item.get("truncated_cells") or []:
            row[column] = synthetic_value(features.get(column))
        out.append(row)
    return out


def _num_rows(client: ViewerClient, repo_id: str, config: str, split: str) -> int | None:
    try:
        info = client.info(repo_id, config).get("dataset_info") or {}
        value = ((info.get("splits") or {}).get(split) or {}).get("num_examples")
        return int(value) if value is not None else None
    except Exception as exc:  # the row count is a nicety
        log.debug("no row count for %s: %s", repo_id, exc)
        return None


def _diagnose_then_fallback(
    repo_id: str, config: str | None, split: str | None, n: int, token: str | None, exc: ViewerError
) -> DatasetSample:
    """The viewer says missing/private/gated; the Hub API tells which, then the files may still work."""
    try:
        info = hub_files.dataset_repo_info(repo_id, token)
    except Exception as hub_exc:
        error = hub_files.translate(hub_exc, repo_id, token, f"read dataset {repo_id}")
        raise error from hub_exc
    if getattr(info, "gated", False) and not token:
        raise InspectionError(gated_message(repo_id, token))
    if getattr(info, "disabled", False):
        raise InspectionError(f"Dataset '{repo_id}' is disabled on the Hub; it cannot be used.")
    return hub_files.inspect_hub_files(repo_id, config, split, n, token, _reason(exc))


# --- report -------------------------------------------------------------------------------------
def analyze(sample: DatasetSample, shown: int, focus: str | None, notes: list[str]) -> Inspection:
    detect_rows = sample.detect_rows if sample.detect_rows is not None else sample.rows
    report = fmt.detect_format(sample.columns, detect_rows)
    methods: dict[str, dict[str, Any]] = {}
    for method in [focus] if focus else fmt.METHODS:
        suggestion = dataset_mapping.explain_mapping(method, sample.columns, detect_rows)
        methods[method] = {
            "ready": suggestion.ready_as_is,
            "column_mapping": None if suggestion.ready_as_is else suggestion.mapping,
            "columns": suggestion.mapping if suggestion.ready_as_is else None,
            "conversion": suggestion.conversion,
            "format_after_mapping": suggestion.kind if suggestion.mapping else None,
            "reasons": (
                []
                if suggestion.ready_as_is or suggestion.mapping
                else [report.not_ready.get(method, ""), *suggestion.reasons]
            ),
            "notes": suggestion.notes,
        }
        methods[method]["reasons"] = [r for r in methods[method]["reasons"] if r]
    if report.kind != "unknown" and report.conversational:
        notes.append(
            "Conversational data: the model needs a chat template (instruct models have one; for a "
            "base model set one in the script)."
        )
    shown_rows = [shorten_row(r) for r in sample.rows[:shown]]
    return Inspection(sample, report, methods, shown_rows, focus, notes)


def shorten(value: Any, limit: int = CELL_CHARS) -> Any:
    """A display version of a cell: long strings cut, long lists summarized, messages kept readable."""
    if isinstance(value, str):
        return value if len(value) <= limit else f"{value[:limit]}… (+{len(value) - limit} chars)"
    if isinstance(value, list):
        keep = 4 if value and isinstance(value[0], dict) else 5
        items = [shorten(v, limit) for v in value[:keep]]
        if len(value) > keep:
            items.append(f"… (+{len(value) - keep} more)")
        return items
    if isinstance(value, dict):
        return {k: shorten(v, limit) for k, v in value.items()}
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    if isinstance(value, int | float | bool) or value is None:
        return value
    return shorten(str(value), limit)


def shorten_row(row: dict[str, Any]) -> dict[str, Any]:
    return {k: shorten(v) for k, v in row.items()}


def to_markdown(result: Inspection) -> str:
    s, report = result.sample, result.report
    where = f"config `{s.config}`, " if s.config and s.config != "default" else ""
    count = f", {s.num_rows:,} rows" if s.num_rows is not None else ""
    lines = [f"## Dataset `{s.dataset}` ({where}split `{s.split}`{count})"]
    source = {"viewer": "dataset viewer", "hub_files": "data file from the Hub", "local": "local file"}[
        s.source
    ]
    split_list = "; ".join(
        f"{c}: {', '.join(sp)}" if len(s.splits) > 1 else ", ".join(sp) for c, sp in s.splits.items()
    )
    files = f" ({', '.join(s.files)})" if s.files else ""
    lines.append(f"Splits: {split_list}. Source: {source}{files}.")
    lines.append("")
    lines.append("| column | type |")
    lines.append("|---|---|")
    lines += [f"| `{c}` | {s.types.get(c, '?')} |" for c in s.columns]
    lines.append("")
    kind = KIND_NAMES[report.kind]
    if report.kind == "unknown":
        lines.append("**TRL format:** none detected as is.")
    else:
        style = "conversational " if report.conversational else ""
        cols = ", ".join(f"`{c}`" for c in report.columns.values())
        lines.append(f"**TRL format:** {style}{kind} ({cols}).")
    ready = [METHOD_NAMES[m] for m in report.ready_for if m in result.methods]
    if result.focus:
        info = result.methods[result.focus]
        lines.append(_method_line(result.focus, info))
    else:
        lines.append(f"**Ready for:** {', '.join(ready) if ready else 'nothing as is'}.")
        others = [m for m in fmt.METHODS if not result.methods[m]["ready"]]
        if others:
            lines.append("")
            lines.append("| method | column_mapping to pass |")
            lines.append("|---|---|")
            for m in others:
                info = result.methods[m]
                lines.append(f"| {m} | {_mapping_cell(info)} |")
    notes = [*s.notes, *report.notes, *result.notes]
    for m, info in result.methods.items():
        if info["column_mapping"]:
            notes += [f"{m}: {note}" for note in info["notes"]]
    if notes:
        lines.append("")
        lines += [f"- {n}" for n in dict.fromkeys(notes)]
    if result.shown_rows:
        lines.append("")
        lines.append(f"Sample rows ({len(result.shown_rows)}):")
        lines.append("```json")
        lines += [json.dumps(r, ensure_ascii=False) for r in result.shown_rows]
        lines.append("```")
    return "\n".join(lines)


def _mapping_cell(info: dict[str, Any]) -> str:
    if info["column_mapping"]:
        conv = f' + conversion "{info["conversion"]}"' if info["conversion"] else ""
        return f"`{json.dumps(info['column_mapping'])}`{conv}"
    reason = info["reasons"][0] if info["reasons"] else "no mapping found"
    return f"none: {reason}"


def _method_line(method: str, info: dict[str, Any]) -> str:
    name = METHOD_NAMES[method]
    if info["ready"]:
        cols = ", ".join(f"`{c}`" for c in (info["columns"] or {}).values())
        return f"**{name}:** ready as is (columns {cols})."
    if info["column_mapping"]:
        conv = f' and conversion "{info["conversion"]}"' if info["conversion"] else ""
        return (
            f"**{name}:** ready with `column_mapping` `{json.dumps(info['column_mapping'])}`{conv} "
            "(pass it to generate_training_script)."
        )
    return f"**{name}:** not ready, and no column mapping fixes it: {'; '.join(info['reasons'])}."
