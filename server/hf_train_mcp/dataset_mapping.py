"""Column mappings: which renames make a dataset ready for a training method, and why not when none does.

Split from `dataset_formats` (which detects a format from TRL column names): this module proposes mappings
``{trl_column: dataset_column}`` from column-name synonyms (`dataset_formats.SYNONYMS`), tries each on the
sample rows and keeps the first that `detect_format` then calls ready, so a suggestion is never a guess the
detector itself would reject. Pure Python, no heavy imports.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from hf_train_mcp.dataset_formats import (
    KIND_METHODS,
    METHOD_NEEDS,
    METHODS,
    SYNONYMS,
    FormatReport,
    detect_format,
    kind_columns,
)
from hf_train_mcp.dataset_rows import apply_mapping, column_style, rename_plan, schema_mappings
from hf_train_mcp.training.sharegpt import ConversionError


@dataclass
class MappingSuggestion:
    """What `explain_mapping` found for one method.

    `mapping`: TRL column -> dataset column, or None when none works. `ready_as_is`: the dataset
    already fits (the mapping is then the identity of the columns used). `conversion`: "sharegpt"
    when the mapped message lists must be converted. `reasons`: why no mapping (or how it was chosen).
    """

    method: str
    mapping: dict[str, str] | None
    ready_as_is: bool = False
    conversion: str | None = None
    kind: str | None = None
    reasons: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _norm(name: str) -> str:
    return name.strip().lower().replace("-", "_").replace(" ", "_")


def _candidates(trl_column: str, columns: list[str]) -> list[str]:
    """Dataset columns that may mean `trl_column`, best first."""
    by_norm: dict[str, list[str]] = {}
    for col in columns:
        by_norm.setdefault(_norm(col), []).append(col)
    found: list[str] = []
    for synonym in SYNONYMS[trl_column]:
        for col in by_norm.get(synonym, []):
            if col not in found:
                found.append(col)
    return found


# Target schemas per method, best first. A schema is a tuple of TRL columns; "sources" lets a TRL
# column take a different TRL role's synonyms (SFT on preference data: completion <- chosen).
_SCHEMAS: dict[str, list[tuple[tuple[str, str], ...]]] = {
    "sft": [
        (("messages", "messages"),),
        (("prompt", "prompt"), ("completion", "completion")),
        (("text", "text"),),
        (("prompt", "prompt"), ("completion", "chosen")),
        (("messages", "chosen"),),
        (("text", "chosen"),),
    ],
    "dpo": [
        (("prompt", "prompt"), ("chosen", "chosen"), ("rejected", "rejected")),
        (("chosen", "chosen"), ("rejected", "rejected")),
    ],
    "reward": [
        (("prompt", "prompt"), ("chosen", "chosen"), ("rejected", "rejected")),
        (("chosen", "chosen"), ("rejected", "rejected")),
    ],
    "kto": [
        (("prompt", "prompt"), ("completion", "completion"), ("label", "label")),
        (("prompt", "prompt"), ("chosen", "chosen"), ("rejected", "rejected")),
        (("chosen", "chosen"), ("rejected", "rejected")),
    ],
    "grpo": [
        (("prompt", "prompt"),),
    ],
}


def explain_mapping(method: str, columns: list[str], rows: list[dict]) -> MappingSuggestion:
    """The mapping that makes the dataset ready for `method`, with the reasons (see the module doc).

    Every suggestion is checked: applied to the sample rows, `detect_format` must list `method` as
    ready (after the ShareGPT conversion when one is needed).
    """
    method = method.strip().lower()
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    present = list(dict.fromkeys([*columns, *(k for row in rows for k in row)]))
    report = detect_format(present, rows)
    if method in report.ready_for:
        used = _columns_for_method(method, report, present, rows)
        return MappingSuggestion(
            method,
            used,
            ready_as_is=True,
            kind=report.kind,
            reasons=[f"ready for {method} as is ({report.kind})"],
        )

    reasons: list[str] = []
    tried: set[tuple[tuple[str, str], ...]] = set()
    for schema in _SCHEMAS[method]:
        for mapping in schema_mappings(schema, present, _candidates):
            key = tuple(sorted(mapping.items()))
            if key in tried:
                continue
            tried.add(key)
            conversion = (
                "sharegpt"
                if any(column_style(rows, src)[0] == "sharegpt" for src in mapping.values())
                else None
            )
            try:
                mapped_rows = [apply_mapping(row, mapping, conversion=conversion) for row in rows]
            except ConversionError as exc:  # the script would stop on these rows: not a fitting mapping
                reasons.append(f"{_describe(mapping)}: {exc}")
                continue
            mapped_columns = list(rename_plan(present, mapping)[2])
            result = detect_format(mapped_columns, mapped_rows)
            if method in result.ready_for:
                notes = _mapping_notes(method, mapping, present)
                if conversion:
                    notes.append(
                        "The mapped conversations use {from, value} and ShareGPT roles: convert them to "
                        '{role, content} messages (conversion "sharegpt").'
                    )
                return MappingSuggestion(
                    method,
                    mapping,
                    conversion=conversion,
                    kind=result.kind,
                    reasons=[f"renaming {_describe(mapping)} gives {result.kind} data"],
                    notes=notes,
                )
            why = result.not_ready.get(method) or ", ".join(result.reasons)
            reasons.append(f"{_describe(mapping)}: {why}")
    if not tried:
        reasons.append(
            f"no columns look like what {method} needs ({METHOD_NEEDS[method]}); columns: "
            + ", ".join(f"`{c}`" for c in present)
        )
    return MappingSuggestion(method, None, kind=report.kind, reasons=reasons)


def suggest_mapping(method: str, columns: list[str], rows: list[dict]) -> dict[str, str] | None:
    """TRL column -> dataset column that makes the data ready for `method`; None when none works
    (`explain_mapping` says why, and whether a ShareGPT conversion is needed)."""
    return explain_mapping(method, columns, rows).mapping


def _columns_for_method(
    method: str, report: FormatReport, present: list[str], rows: list[dict]
) -> dict[str, str]:
    for kind in report.kinds:
        if method in KIND_METHODS[kind]:
            if method == "grpo":
                return {"prompt": "prompt"}
            styles = {c: column_style(rows, c)[0] for c in present}
            return kind_columns(kind, set(present), styles)
    return dict(report.columns)


def _mapping_notes(method: str, mapping: dict[str, str], present: list[str]) -> list[str]:
    notes: list[str] = []
    used = set(mapping.values())
    norms = {_norm(c): c for c in present}
    if (
        mapping.get("prompt")
        and _norm(mapping["prompt"]) == "instruction"
        and "input" in norms
        and norms["input"] not in used
    ):
        notes.append(
            f"`{norms['input']}` (extra context for the instruction) is not part of the prompt: join it to "
            f"`{mapping['prompt']}` before training if it matters."
        )
    if method == "sft" and mapping.get("completion") and _norm(mapping["completion"]) in SYNONYMS["chosen"]:
        notes.append(
            f"SFT learns the preferred answers (`{mapping['completion']}`); the rejected ones are unused."
        )
    if method == "sft" and mapping.get("messages") and _norm(mapping["messages"]) in SYNONYMS["chosen"]:
        notes.append(
            f"SFT learns the preferred conversations (`{mapping['messages']}`); the rejected ones are unused."
        )
    if method == "kto" and "chosen" in mapping:
        notes.append(
            "KTO unpairs the preference pairs itself: chosen -> label true, rejected -> label false."
        )
    return notes


def _describe(mapping: Mapping[str, str]) -> str:
    return ", ".join(f"`{src}` -> `{dst}`" for dst, src in mapping.items())
