"""TRL dataset formats: detect them from column names and sample rows, and find the column mapping
that makes a dataset ready for a training method.

Pure Python, no heavy imports: the inspection tool, the training-script generator and the guided
workflow all use it on a handful of rows.

The formats (TRL 1.x, ../shared/notes/training-facts.md):

| kind | plain columns | conversational | methods |
|---|---|---|---|
| language_modeling | `text` | `messages` | sft |
| prompt_completion | `prompt`, `completion` | both message lists | sft (and grpo: it has a prompt) |
| prompt_only | `prompt` | message list | grpo |
| preference | `prompt`, `chosen`, `rejected` | message lists | dpo, reward, kto (TRL unpairs it), grpo |
| implicit_preference | `chosen`, `rejected` | message lists | dpo, reward, kto (prompt extracted) |
| unpaired_preference | `prompt`, `completion`, `label` (bool) | message lists | kto, grpo |

The project's MAPPING FORMAT: ``{trl_column: dataset_column}``, e.g. ``{"prompt": "question",
"completion": "answer"}``. Applying it renames each dataset column to its TRL name; columns not in
the mapping are kept (GRPO passes them to reward functions), except a column that already carries a
target name and is not its source: it is dropped first (see `rename_plan`). A mapping may come with a
`conversion`: ``"sharegpt"`` means the mapped message lists use ``{"from", "value"}`` and ShareGPT role
names (human/gpt) and must be converted with `convert_sharegpt_messages` (TRL renames the keys of a
`conversations` column itself, but not the role names, which chat templates reject). That converter is
`training.sharegpt`, the same code every generated script runs: an unknown role is refused in both.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from hf_train_mcp.training.sharegpt import SHAREGPT_ROLES as SHAREGPT_ROLES  # one role table
from hf_train_mcp.training.sharegpt import ConversionError as ConversionError
from hf_train_mcp.training.sharegpt import sharegpt_to_messages

METHODS = ("sft", "dpo", "grpo", "kto", "reward")

KINDS = (
    "preference",
    "implicit_preference",
    "unpaired_preference",
    "prompt_completion",
    "language_modeling",
    "prompt_only",
)  # priority order of the primary kind; "unknown" when none fits

# Which methods each kind is ready for (the first method listed is the natural one).
KIND_METHODS: dict[str, tuple[str, ...]] = {
    "language_modeling": ("sft",),
    "prompt_completion": ("sft", "grpo"),
    "prompt_only": ("grpo",),
    "preference": ("dpo", "reward", "kto", "grpo"),
    "implicit_preference": ("dpo", "reward", "kto"),
    "unpaired_preference": ("kto", "grpo"),
    "unknown": (),
}

# TRL columns each kind needs (language modelling: one of the two).
KIND_COLUMNS: dict[str, tuple[str, ...]] = {
    "preference": ("prompt", "chosen", "rejected"),
    "implicit_preference": ("chosen", "rejected"),
    "unpaired_preference": ("prompt", "completion", "label"),
    "prompt_completion": ("prompt", "completion"),
    "prompt_only": ("prompt",),
}

# What each method needs, in words (for messages).
METHOD_NEEDS: dict[str, str] = {
    "sft": "`messages` (a list of {role, content}), or `text`, or `prompt` + `completion`",
    "dpo": "`prompt` + `chosen` + `rejected` (or only `chosen` + `rejected`)",
    "reward": "`chosen` + `rejected` (optionally `prompt`)",
    "kto": "`prompt` + `completion` + `label` (bool), or paired `prompt` + `chosen` + `rejected`",
    "grpo": "`prompt` (a string or a list of messages); other columns go to the reward functions",
}

# Dataset column names that usually mean a TRL column, best first (compared case-insensitively,
# with "-" and " " read as "_").
SYNONYMS: dict[str, tuple[str, ...]] = {
    "messages": ("messages", "conversations", "conversation", "dialog", "dialogue", "chat", "turns", "conv"),
    "text": ("text", "content", "document", "passage", "body", "raw_text"),
    "prompt": ("prompt", "question", "query", "instruction", "input", "problem", "user"),
    "completion": (
        "completion",
        "answer",
        "response",
        "output",
        "target",
        "solution",
        "assistant",
        "reply",
        "generation",
    ),
    "chosen": (
        "chosen",
        "accepted",
        "preferred",
        "good",
        "positive",
        "chosen_response",
        "response_chosen",
        "better",
        "winner",
        "response_j",
    ),
    "rejected": (
        "rejected",
        "bad",
        "dispreferred",
        "negative",
        "rejected_response",
        "response_rejected",
        "worse",
        "loser",
        "response_k",
    ),
    "label": ("label", "labels", "desirable", "is_desirable", "kto_label"),
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


_TEXTUAL = ("string", "messages")


# --- reports ------------------------------------------------------------------------------------
@dataclass
class FormatReport:
    """What `detect_format` found.

    `kind`: the primary format ("unknown" if none). `conversational`: its columns hold message lists.
    `columns`: TRL column -> dataset column of the primary kind (identity when detected as is).
    `kinds`: every format the columns satisfy. `ready_for`: methods that can train on the data as is.
    `not_ready`: method -> why not. `conversion`: "sharegpt" when a column holds {from, value}
    conversations. `notes`: anything else worth saying (nulls, unused columns, label types...).
    """

    kind: str
    conversational: bool
    columns: dict[str, str]
    ready_for: list[str]
    kinds: list[str] = field(default_factory=list)
    not_ready: dict[str, str] = field(default_factory=dict)
    conversion: str | None = None
    reasons: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


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


# --- detection ----------------------------------------------------------------------------------
def _kind_fits(kind: str, columns: set[str], styles: dict[str, str]) -> tuple[bool, bool, str]:
    """Whether TRL column names in `columns` form `kind`: (fits, conversational, why not)."""
    if kind == "language_modeling":
        if "messages" in columns and styles.get("messages") in ("messages", "unseen"):
            return True, True, ""
        if "text" in columns and styles.get("text") in ("string", "unseen"):
            return True, False, ""
        return False, False, _why_not(("messages", "text"), columns, styles, any_of=True)
    needed = KIND_COLUMNS[kind]
    if not all(c in columns for c in needed):
        return False, False, _why_not(needed, columns, styles)
    textual = [c for c in needed if c != "label"]
    seen = [styles[c] for c in textual if styles[c] != "unseen"]
    if any(s not in _TEXTUAL for s in seen):
        return False, False, _why_not(needed, columns, styles)
    if len(set(seen)) > 1:  # TRL wants plain strings everywhere or message lists everywhere
        return (
            False,
            False,
            "columns "
            + ", ".join(f"`{c}` ({styles[c]})" for c in textual)
            + (" mix plain strings and message lists; TRL wants all of them one way"),
        )
    if "label" in needed and styles["label"] not in ("bool", "int", "unseen"):
        return False, False, f"`label` must be a boolean (found {styles['label']})"
    conversational = bool(seen) and all(s == "messages" for s in seen)
    return True, conversational, ""


def _why_not(needed: tuple[str, ...], columns: set[str], styles: dict[str, str], any_of: bool = False) -> str:
    missing = [c for c in needed if c not in columns]
    if any_of and len(missing) < len(needed):
        present = [c for c in needed if c in columns]
        return "; ".join(f"`{c}` holds {styles[c]} values, not {_expected(c)}" for c in present)
    if missing:
        if any_of:
            return "no " + " or ".join(f"`{c}`" for c in missing) + " column"
        return "missing column(s) " + ", ".join(f"`{c}`" for c in missing)
    bad = [c for c in needed if styles.get(c) not in (*_TEXTUAL, "unseen", "bool", "int")]
    return "; ".join(f"`{c}` holds {styles[c]} values, not {_expected(c)}" for c in bad)


def _expected(column: str) -> str:
    return {
        "messages": "a list of {role, content} messages",
        "text": "strings",
        "label": "booleans",
    }.get(column, "strings or lists of {role, content} messages")


def detect_format(columns: list[str], rows: list[dict]) -> FormatReport:
    """Detect the TRL format of a dataset from its column names and a few sample rows.

    Detection uses the exact TRL column names; `suggest_mapping` finds renames for other names.
    With no rows, detection goes by the names alone (and says so).
    """
    present = set(columns) | {k for row in rows for k in row}
    styles: dict[str, str] = {}
    notes: list[str] = []
    for col in sorted(present):
        styles[col], nulls = column_style(rows, col)
        if nulls and col in SYNONYMS:
            notes.append(f"`{col}` is null in {nulls} of {len(rows)} sample rows: filter those rows out.")
    if not rows:
        notes.append("No sample rows: the format was detected from the column names alone.")

    kinds: list[str] = []
    conversational_of: dict[str, bool] = {}
    why: dict[str, str] = {}
    for kind in KINDS:
        fits, conv, reason = _kind_fits(kind, present, styles)
        if fits:
            kinds.append(kind)
            conversational_of[kind] = conv
        else:
            why[kind] = reason

    conversion = None
    sharegpt_cols = [c for c in sorted(present) if styles[c] == "sharegpt"]
    if sharegpt_cols:
        conversion = "sharegpt"
        notes.append(
            f"Column(s) {', '.join(f'`{c}`' for c in sharegpt_cols)} hold ShareGPT-style conversations "
            "({from, value}, roles like human/gpt): they need conversion to {role, content} messages "
            '(conversion "sharegpt").'
        )

    ready: list[str] = []
    for kind in kinds:
        for method in KIND_METHODS[kind]:
            if method not in ready:
                ready.append(method)
    not_ready: dict[str, str] = {}
    if "unpaired_preference" in kinds and "language_modeling" not in kinds and "sft" in ready:
        ready.remove("sft")
        not_ready["sft"] = (
            "the data is unpaired preference (`label`): SFT would also learn the completions labelled false; "
            "keep the rows with label true and drop `label` first, or train with KTO"
        )
    if "label" in present and styles.get("label") == "int":
        notes.append("`label` holds integers; KTO expects booleans (cast 0/1 to false/true).")
    for method in METHODS:
        if method not in ready and method not in not_ready:
            # A format whose columns are all there but hold the wrong values says more than "needs".
            typed = [
                why[k]
                for k in KINDS
                if method in KIND_METHODS[k] and why.get(k) and not why[k].startswith(("missing", "no "))
            ]
            not_ready[method] = "; ".join(dict.fromkeys(typed)) if typed else f"needs {METHOD_NEEDS[method]}"

    kind = kinds[0] if kinds else "unknown"
    reasons: list[str] = []
    if kind == "unknown":
        reasons.append(
            "No TRL format found: "
            + "; ".join(
                f"{k}: {why[k]}"
                for k in ("language_modeling", "prompt_completion", "preference")
                if why.get(k)
            )
            + ". A column mapping may fix it (see suggest_mapping)."
        )
    used = _kind_columns(kind, present, styles)
    all_used = {c for k in kinds for c in _kind_columns(k, present, styles).values()}
    unused = sorted(present - all_used)
    if used and unused:
        notes.append(
            "Other columns ("
            + ", ".join(f"`{c}`" for c in unused[:12])
            + (", ..." if len(unused) > 12 else "")
            + ") are not used by the trainers' formats."
        )
    return FormatReport(
        kind=kind,
        conversational=conversational_of.get(kind, False),
        columns=used,
        ready_for=[m for m in METHODS if m in ready],
        kinds=kinds,
        not_ready={m: not_ready[m] for m in METHODS if m in not_ready},
        conversion=conversion,
        reasons=reasons,
        notes=notes,
    )


def _kind_columns(kind: str, present: set[str], styles: dict[str, str]) -> dict[str, str]:
    if kind == "language_modeling":
        if "messages" in present and styles.get("messages") in ("messages", "unseen"):
            return {"messages": "messages"}
        return {"text": "text"}
    return {c: c for c in KIND_COLUMNS.get(kind, ())}


# --- mapping ------------------------------------------------------------------------------------
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
        for mapping in _schema_mappings(schema, present):
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
            return _kind_columns(kind, set(present), styles)
    return dict(report.columns)


def _schema_mappings(schema: tuple[tuple[str, str], ...], present: list[str]) -> Iterable[dict[str, str]]:
    """Every assignment of distinct dataset columns to the schema's TRL columns, best first."""

    def walk(i: int, chosen: dict[str, str]) -> Iterable[dict[str, str]]:
        if i == len(schema):
            yield dict(chosen)
            return
        target, role = schema[i]
        for col in _candidates(role, present):
            if col in chosen.values():
                continue
            chosen[target] = col
            yield from walk(i + 1, chosen)
            del chosen[target]

    yield from walk(0, {})


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
