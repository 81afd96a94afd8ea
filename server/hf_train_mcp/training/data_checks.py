"""The data decision's checks: the column mapping onto TRL's names, the dataset format after it, and the
ShareGPT conversion (SFT conversations only). Used by `resolve.decide_data`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hf_train_mcp.training.runner_methods import METHODS

if TYPE_CHECKING:
    from hf_train_mcp.training.requests import Request
    from hf_train_mcp.training.resolve import Run

# TRL column names per method (../shared/notes/training-facts.md, "Dataset formats TRL accepts").
TRL_COLUMNS: dict[str, tuple[str, ...]] = {
    "sft": ("text", "messages", "prompt", "completion"),
    "dpo": ("prompt", "chosen", "rejected"),
    "grpo": ("prompt", "solution"),
    "kto": ("prompt", "completion", "label", "chosen", "rejected"),
    "reward": ("prompt", "chosen", "rejected"),
}
# An example mapping per method, for the fixes.
MAPPING_EXAMPLES = {
    "sft": '{"prompt": "question", "completion": "answer"}',
    "dpo": '{"prompt": "instruction", "chosen": "good", "rejected": "bad"}',
    "grpo": '{"prompt": "problem", "solution": "answer"}',
    "kto": '{"prompt": "question", "completion": "response", "label": "is_good"}',
    "reward": '{"prompt": "instruction", "chosen": "good", "rejected": "bad"}',
}


def mapped_columns(req: Request) -> set[str]:
    """The dataset's columns after the column mapping (needs dataset_columns)."""
    columns = set(req.dataset_columns or ())
    for target, source in req.column_mapping.items():
        columns.discard(source)
        columns.add(target)
    return columns


def _formats(method: str) -> str:
    return " or ".join("/".join(fmt) for fmt in METHODS[method].formats)


def check_conversion(run: Run) -> None:
    """ShareGPT conversion rewrites SFT conversations; DPO pairs are not conversations of one column."""
    req = run.req
    if req.dataset_conversion is None:
        return
    if req.method != "sft":
        run.check(
            "dataset_conversion",
            "fail",
            f"dataset_conversion={req.dataset_conversion!r} converts SFT conversations (a 'messages' "
            f"column); {req.method.upper()} reads {_formats(req.method)}, which it cannot convert",
            f"convert the data to {_formats(req.method)} columns before training (then pass "
            "column_mapping), or use method='sft' for conversations",
        )
        return
    if req.dataset_columns is not None and "messages" not in mapped_columns(req):
        run.check(
            "dataset_conversion",
            "fail",
            f"dataset_conversion={req.dataset_conversion!r} converts the 'messages' column, and after "
            f"the column mapping the dataset has {sorted(mapped_columns(req))}",
            'map the conversation column onto messages, e.g. column_mapping={"messages": '
            '"conversations"}, or leave dataset_conversion out',
        )
        return
    run.check(
        "dataset_conversion",
        "pass",
        "ShareGPT turns ({from, value}; human/gpt) are converted to {role, content} messages when "
        "the script loads the data",
    )


def check_columns(run: Run) -> None:
    """The mapping targets TRL's names, reads existing columns, and leaves a complete format."""
    req = run.req
    allowed = TRL_COLUMNS[req.method]
    example = MAPPING_EXAMPLES[req.method]
    bad = [t for t in req.column_mapping if t not in allowed]
    if bad:
        run.check(
            "column_mapping",
            "fail",
            f"column_mapping maps onto {bad}, which {req.method.upper()} does not read",
            f"map dataset columns onto TRL's names {list(allowed)}, e.g. {example}",
        )
    if req.dataset_columns is None:
        run.check(
            "dataset_format",
            "info",
            "dataset columns not given: the script checks the format when it loads the data "
            "(before the model)",
            "pass dataset_columns (from inspect_dataset) to check it now",
        )
        return
    missing = [s for s in req.column_mapping.values() if s not in req.dataset_columns]
    if missing:
        run.check(
            "column_mapping",
            "fail",
            f"column_mapping reads {missing}, which the dataset does not have "
            f"(columns: {req.dataset_columns})",
            "map existing dataset columns",
        )
        return
    mapped = mapped_columns(req)
    formats = METHODS[req.method].formats
    for fmt in formats:
        if set(fmt) <= mapped:
            run.check("dataset_format", "pass", f"{req.method.upper()} columns {list(fmt)} present")
            return
    options = " or ".join("+".join(f) for f in formats)
    run.check(
        "dataset_format",
        "fail",
        f"after the column mapping the dataset has {sorted(mapped)}, not a {req.method.upper()} format "
        f"({options})",
        f"pass column_mapping from TRL column to dataset column, e.g. {example}",
    )
