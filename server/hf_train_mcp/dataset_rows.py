"""Rows and values of a dataset, as TRL sees them: the style of a value (text, {role, content} messages,
ShareGPT {from, value} turns...) and the renaming of a row by the project's column mapping
(``{trl_column: dataset_column}``, see `dataset_formats`), with the ShareGPT conversion the training
scripts run (`training.sharegpt`). Split from `dataset_formats`, which re-exports these names.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from hf_train_mcp.training.sharegpt import sharegpt_to_messages

# TRL columns each kind needs (language modelling: one of the two).
KIND_COLUMNS: dict[str, tuple[str, ...]] = {
    "preference": ("prompt", "chosen", "rejected"),
    "implicit_preference": ("chosen", "rejected"),
    "unpaired_preference": ("prompt", "completion", "label"),
    "prompt_completion": ("prompt", "completion"),
    "prompt_only": ("prompt",),
}


# --- value styles -------------------------------------------------------------------------------
def _is_message_list(value: Any, keys: tuple[str, str]) -> bool:
    return (
        isinstance(value, list)
        and len(value) > 0
        and all(isinstance(m, dict) and keys[0] in m and keys[1] in m for m in value)
    )


def value_style(value: Any) -> str:
    """One value's style: "string", "messages" ({role, content} list), "sharegpt" ({from, value}
    list), "bool", "int", "float", "null", "list", "dict" or "other"."""
    if value is None:
        return "null"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if _is_message_list(value, ("role", "content")):
        return "messages"
    if _is_message_list(value, ("from", "value")):
        return "sharegpt"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "dict"
    return "other"


def column_style(rows: list[dict], column: str) -> tuple[str, int]:
    """The style shared by the non-null sample values of `column`, and how many values were null.

    "mixed" when values disagree, "unseen" when there are no rows, "null" when all are null.
    """
    if not rows:
        return "unseen", 0
    styles: set[str] = set()
    nulls = 0
    for row in rows:
        style = value_style(row.get(column))
        if style == "null":
            nulls += 1
        else:
            styles.add(style)
    if not styles:
        return "null", nulls
    if styles == {"int", "float"}:
        return "float", nulls
    if len(styles) > 1:
        return "mixed", nulls
    return styles.pop(), nulls


def value_type(values: Iterable[Any]) -> str:
    """A short type name for a column from sample values (used when no schema is known)."""
    names: set[str] = set()
    for value in values:
        style = value_style(value)
        if style == "null":
            continue
        names.add({"messages": "list[{role, content}]", "sharegpt": "list[{from, value}]"}.get(style, style))
    if not names:
        return "null"
    return names.pop() if len(names) == 1 else " | ".join(sorted(names))


# --- mapping rows -------------------------------------------------------------------------------
def rename_plan(
    columns: list[str], mapping: Mapping[str, str]
) -> tuple[list[str], dict[str, str], list[str]]:
    """How to apply `mapping` to a dataset with `columns`: (columns to drop first, renames
    old -> new, the resulting columns). Mirrors `apply_mapping` for `datasets` code:
    ``ds.remove_columns(drop).rename_columns(renames)``."""
    validate_mapping(mapping, columns)
    sources = set(mapping.values())
    drop = [c for c in columns if c in mapping and mapping[c] != c and c not in sources]
    renames = {src: dst for dst, src in mapping.items() if src != dst}
    result = [renames.get(c, c) for c in columns if c not in drop]
    # A source renamed away while another source takes its name keeps one copy only.
    return drop, renames, list(dict.fromkeys(result))


def validate_mapping(mapping: Mapping[str, str], columns: list[str] | None = None) -> None:
    """Raise ValueError when `mapping` is not a {trl_column: dataset_column} map this project can apply."""
    known = {c for schema in KIND_COLUMNS.values() for c in schema} | {"messages", "text"}
    if not isinstance(mapping, Mapping):
        raise ValueError("column_mapping must be an object {trl_column: dataset_column}")
    for dst, src in mapping.items():
        if not isinstance(dst, str) or not isinstance(src, str) or not src:
            raise ValueError("column_mapping keys and values must be non-empty column names")
        if dst not in known:
            raise ValueError(
                f"column_mapping key {dst!r} is not a TRL column; keys are TRL names "
                f"({', '.join(sorted(known))}) and values the dataset's columns, e.g. "
                '{"prompt": "question", "completion": "answer"}'
            )
        if columns is not None and src not in columns:
            raise ValueError(
                f"column_mapping value {src!r} is not a column of the dataset ({', '.join(columns)})"
            )
    values = list(mapping.values())
    if len(values) != len(set(values)):
        raise ValueError("column_mapping uses one dataset column for two TRL columns")


def apply_mapping(
    row: Mapping[str, Any], mapping: Mapping[str, str], *, conversion: str | None = None
) -> dict[str, Any]:
    """Rename the mapped columns of one row (see the module doc); with conversion "sharegpt",
    convert ShareGPT message lists in the mapped columns to {role, content}."""
    drop, renames, _ = rename_plan(list(row), mapping)
    out: dict[str, Any] = {}
    for key, value in row.items():
        if key in drop or key in renames:
            continue
        out[key] = value
    for src, dst in renames.items():
        out[dst] = row[src]
    if conversion == "sharegpt":
        for dst in mapping:
            if value_style(out.get(dst)) == "sharegpt":
                out[dst] = convert_sharegpt_messages(out[dst])
    elif conversion is not None:
        raise ValueError(f"unknown conversion {conversion!r}")
    return out


def convert_sharegpt_messages(messages: list[dict[str, Any]], index: int = 0) -> list[dict[str, Any]]:
    """[{from, value}] with ShareGPT roles -> [{role, content}]: the converter the scripts run (one
    definition, `training.sharegpt`); an unknown role raises `ConversionError` there and here."""
    return sharegpt_to_messages(messages, index)


def schema_mappings(
    schema: tuple[tuple[str, str], ...], present: list[str], candidates: Callable[[str, list[str]], list[str]]
) -> Iterable[dict[str, str]]:
    """Every assignment of distinct dataset columns to the schema's TRL columns, best first
    (`candidates(role, present)`: the columns that may play a role, best first)."""

    def walk(i: int, chosen: dict[str, str]) -> Iterable[dict[str, str]]:
        if i == len(schema):
            yield dict(chosen)
            return
        target, role = schema[i]
        for col in candidates(role, present):
            if col in chosen.values():
                continue
            chosen[target] = col
            yield from walk(i + 1, chosen)
            del chosen[target]

    yield from walk(0, {})
