"""Dataset loading for the training script (part of `training.runner`): a Hub id, a local file or folder,
the column mapping onto TRL's names, the format check (the method's column sets, `runner_methods`), the
ShareGPT conversion and the train/eval split.

Inlined into every rendered script (its code after the marker below, without its hf_train_mcp imports);
importable as a module for tests. `datasets` is imported inside functions.
"""

from __future__ import annotations

# hf-train-mcp: inlined into scripts from here
import os

from hf_train_mcp.training.runner_io import fail, log
from hf_train_mcp.training.runner_methods import METHODS
from hf_train_mcp.training.sharegpt import ConversionError, sharegpt_to_messages

LOCAL_BUILDERS = {".jsonl": "json", ".json": "json", ".parquet": "parquet", ".csv": "csv", ".arrow": "arrow"}


def load_split(spec: dict, split: str):
    from datasets import DatasetDict, load_dataset, load_from_disk

    source = os.path.expanduser(spec["id"])
    if os.path.isdir(source):
        if any(os.path.exists(os.path.join(source, f)) for f in ("dataset_dict.json", "state.json")):
            data = load_from_disk(source)
            if isinstance(data, DatasetDict):
                if split not in data:
                    fail(f"split {split!r} is not in {source} (splits: {list(data)})")
                return data[split]
            return data
        return load_dataset(source, name=spec["config"], split=split)
    if os.path.isfile(source):
        builder = LOCAL_BUILDERS.get(os.path.splitext(source)[1].lower())
        if builder is None:
            fail(f"{source}: unsupported file type; use .jsonl, .json, .parquet or .csv")
        if split.split("[")[0] != "train":
            fail(
                f"{source} is a single file with only a 'train' split; use eval_fraction instead of {split!r}"
            )
        return load_dataset(builder, data_files=source, split=split)
    return load_dataset(spec["id"], name=spec["config"], split=split)


def to_trl_format(dataset, spec: dict, formats, method: str, what: str):
    """Rename columns per the column mapping, check the TRL format, drop the columns TRL does not read."""
    mapping = {source: target for target, source in spec["column_mapping"].items() if source != target}
    missing = [source for source in mapping if source not in dataset.column_names]
    if missing:
        fail(
            f"{what}: column_mapping reads {missing}, but the dataset has {dataset.column_names}. "
            "Fix column_mapping (TRL column -> dataset column)."
        )
    clash = [t for t in mapping.values() if t in dataset.column_names and t not in mapping]
    if clash:
        dataset = dataset.remove_columns(clash)
    if mapping:
        dataset = dataset.rename_columns(mapping)
    columns = set(dataset.column_names)
    for fmt in formats:
        if set(fmt) <= columns:
            drop = [c for c in dataset.column_names if c not in fmt]
            dataset = dataset.remove_columns(drop) if drop else dataset
            return convert_rows(dataset, spec, what)
    options = " or ".join("+".join(fmt) for fmt in formats)
    fail(
        f"{what}: columns {sorted(columns)} are not a {method.upper()} dataset ({options}). "
        'Pass column_mapping from TRL column to dataset column, e.g. {"prompt": "question", ...}.'
    )


def convert_rows(dataset, spec: dict, what: str):
    """Apply the dataset conversion (after the column mapping); values are data, converted, never run."""
    conversion = spec.get("conversion")
    if not conversion:
        return dataset
    if conversion != "sharegpt":
        fail(f"unknown dataset conversion {conversion!r}; this script knows 'sharegpt'")
    if "messages" not in dataset.column_names:
        fail(
            f"{what}: dataset conversion 'sharegpt' converts a 'messages' column, but the columns are "
            f"{dataset.column_names}. Map the conversation column onto it: column_mapping "
            '{"messages": "conversations"}.'
        )
    try:
        converted = dataset.map(
            lambda row, index: {"messages": sharegpt_to_messages(row["messages"], index)},
            with_indices=True,
            desc="ShareGPT -> messages",
        )
    except ConversionError as exc:
        fail(f"{what}: {exc}")
    log(f"{what}: converted ShareGPT turns to role/content messages")
    return converted


def load_data(cfg: dict):
    """(train, eval or None) in the method's TRL format: max_rows applied before the eval split is cut,
    the eval rows bounded too, an empty training split refused before any model is loaded."""
    method = cfg["method"]
    formats = METHODS[method].formats
    spec = cfg["dataset"]
    train = load_split(spec, spec["split"])
    evaluation = None
    if spec["eval_split"]:
        evaluation = to_trl_format(load_split(spec, spec["eval_split"]), spec, formats, method, "eval split")
    if spec["max_rows"]:
        train = train.select(range(min(spec["max_rows"], len(train))))
    train = to_trl_format(train, spec, formats, method, "train split")
    if spec["eval_fraction"]:
        parts = train.train_test_split(test_size=spec["eval_fraction"], seed=cfg["seed"])
        train, evaluation = parts["train"], parts["test"]
    if evaluation is not None and spec["max_rows"]:
        evaluation = evaluation.select(range(min(max(spec["max_rows"] // 10, 1), len(evaluation))))
    if len(train) == 0:
        fail("the training split is empty")
    log(
        f"data: {len(train)} training rows, columns {train.column_names}"
        + (f"; {len(evaluation)} eval rows" if evaluation is not None else "")
    )
    return train, evaluation


def is_conversational(row: dict) -> bool:
    """Whether a row holds {role, content} message lists (the tokenizer then needs a chat template)."""
    return any(isinstance(v, list) and v and isinstance(v[0], dict) and "role" in v[0] for v in row.values())
