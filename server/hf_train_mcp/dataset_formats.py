"""TRL dataset formats: detect them from column names and sample rows (the column mapping that makes a
dataset ready for a method is found by `dataset_mapping`, which checks its suggestions with this detector).

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

from dataclasses import asdict, dataclass, field
from typing import Any

from hf_train_mcp.dataset_rows import KIND_COLUMNS as KIND_COLUMNS
from hf_train_mcp.dataset_rows import apply_mapping as apply_mapping
from hf_train_mcp.dataset_rows import column_style as column_style
from hf_train_mcp.dataset_rows import convert_sharegpt_messages as convert_sharegpt_messages
from hf_train_mcp.dataset_rows import rename_plan as rename_plan
from hf_train_mcp.dataset_rows import validate_mapping as validate_mapping
from hf_train_mcp.dataset_rows import value_style as value_style
from hf_train_mcp.dataset_rows import value_type as value_type
from hf_train_mcp.training.sharegpt import SHAREGPT_ROLES as SHAREGPT_ROLES  # one role table
from hf_train_mcp.training.sharegpt import ConversionError as ConversionError

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
    # GRPO's accuracy rewards compare completions with it (not part of any format).
    "solution": (
        "solution",
        "answer",
        "final_answer",
        "ground_truth",
        "gold",
        "expected_answer",
        "reference",
        "target",
        "completion",
        "response",
        "output",
    ),
}


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

    Detection uses the exact TRL column names; `dataset_mapping.suggest_mapping` finds renames for others.
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
    used = kind_columns(kind, present, styles)
    all_used = {c for k in kinds for c in kind_columns(k, present, styles).values()}
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


def kind_columns(kind: str, present: set[str], styles: dict[str, str]) -> dict[str, str]:
    if kind == "language_modeling":
        if "messages" in present and styles.get("messages") in ("messages", "unseen"):
            return {"messages": "messages"}
        return {"text": "text"}
    return {c: c for c in KIND_COLUMNS.get(kind, ())}
