"""Reading an `hf_jobs` call's arguments: the operation's name, the spellings agents send, the refusal of
unknown keys, validation errors that name each bad field, and the generated `{"help": true}` text.

The arguments themselves (names, types, defaults, descriptions) are declared once, in `jobs.args`.
"""

from __future__ import annotations

import difflib
import json
import re
from typing import Any

from pydantic import ValidationError

from hf_train_mcp.jobs.args import OPERATIONS, OpArgs
from hf_train_mcp.jobs.errors import JobsArgumentError, UnknownOperationError

HELP_KEY = "help"


def normalize_operation(operation: str) -> str:
    """ "Scheduled_Run", "scheduled-run", " scheduled  run " -> "scheduled run"; refuses unknown ones."""
    name = re.sub(r"[\s_\-]+", " ", operation.strip().lower())
    if name in OPERATIONS:
        return name
    close = difflib.get_close_matches(name, list(OPERATIONS), n=1)
    hint = f' Did you mean "{close[0]}"?' if close else ""
    raise UnknownOperationError(
        f'Unknown operation "{operation}".{hint} Valid operations: '
        + ", ".join(f'"{op}"' for op in OPERATIONS)
        + ". Call hf_jobs with no operation for the usage guide."
    )


def required_fields(model: type[OpArgs]) -> list[str]:
    return [name for name, field in model.model_fields.items() if field.is_required()]


def valid_keys(model: type[OpArgs]) -> list[str]:
    return [*model.model_fields, *model.aliases, HELP_KEY]


def canonicalize(operation: str, raw: dict[str, Any]) -> dict[str, Any]:
    """Map accepted spellings to field names; refuse unknown keys with the list of valid ones."""
    model = OPERATIONS[operation]
    fields = model.model_fields
    out: dict[str, Any] = {}
    unknown: list[str] = []
    for key, value in raw.items():
        if key == HELP_KEY:
            continue
        target = key if key in fields else model.aliases.get(key)
        if target is None:
            unknown.append(key)
            continue
        if target in out and out[target] != value:
            raise JobsArgumentError(
                f'Invalid parameters for "{operation}": "{key}" and "{target}" are the same argument with '
                "different values; send only one of them."
            )
        out[target] = value
    if unknown:
        hints = []
        for key in unknown:
            close = difflib.get_close_matches(key, list(fields) + list(model.aliases), n=1)
            hints.append(f'"{key}"' + (f' (did you mean "{close[0]}"?)' if close else ""))
        accepted = ", ".join(list(fields) + [f"{a} (= {t})" for a, t in model.aliases.items()])
        raise JobsArgumentError(
            f'Invalid parameters for "{operation}": unknown argument(s) {", ".join(hints)}. '
            f"Valid arguments: {accepted}. "
            f'Call {{"operation": "{operation}", "args": {{"help": true}}}} for descriptions.'
        )
    return out


def parse_args(operation: str, raw: dict[str, Any]) -> OpArgs:
    """Validated arguments, or a JobsArgumentError naming each bad field and what is expected."""
    model = OPERATIONS[operation]
    data = canonicalize(operation, raw)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        missing: list[str] = []
        invalid: list[str] = []
        for err in exc.errors(include_input=False, include_url=False):
            loc = ".".join(str(p) for p in err["loc"] if not isinstance(p, int) or len(err["loc"]) > 1)
            loc = loc or "args"
            message = err["msg"].removeprefix("Value error, ")
            if err["type"] == "missing":
                missing.append(f"  • {loc}: required — {_describe(model, str(err['loc'][0]))}")
            else:
                invalid.append(f"  • {loc}: {message}")
        parts = [f'Invalid parameters for "{operation}".']
        if missing:
            parts.append("Missing required parameters:\n" + "\n".join(dict.fromkeys(missing)))
        if invalid:
            parts.append("Invalid parameters:\n" + "\n".join(dict.fromkeys(invalid)))
        parts.append(f"Example:\n{example_call(operation)}")
        parts.append(f'Call {{"operation": "{operation}", "args": {{"help": true}}}} for every argument.')
        raise JobsArgumentError("\n\n".join(parts)) from None


def _describe(model: type[OpArgs], field_name: str) -> str:
    field = model.model_fields.get(field_name)
    return (field.description or "") if field else ""


def example_call(operation: str) -> str:
    model = OPERATIONS[operation]
    call: dict[str, Any] = {"operation": operation}
    if model.example:
        call["args"] = model.example
    return json.dumps(call, indent=2)


def _type_text(annotation: Any) -> str:
    if isinstance(annotation, type):
        return annotation.__name__
    return str(annotation).replace("typing.", "").replace(" | None", "")


def operation_help(operation: str) -> str:
    """Markdown help for one operation, generated from its argument model, with a JSON example."""
    model = OPERATIONS[operation]
    lines = [f"## hf_jobs `{operation}`", "", model.summary, "", "### Arguments"]
    reverse: dict[str, list[str]] = {}
    for alias, target in model.aliases.items():
        reverse.setdefault(target, []).append(alias)
    fields = sorted(
        model.model_fields.items(), key=lambda item: (not item[1].is_required(), item[0] == "namespace")
    )
    for name, field in fields:
        if field.is_required():
            default = "**required**"
        elif field.default is None:
            default = "optional"
        else:
            default = f"default `{json.dumps(field.default)}`"
        also = f" Also accepted as: {', '.join(reverse[name])}." if name in reverse else ""
        lines.append(
            f"- `{name}` ({_type_text(field.annotation)}, {default}): {field.description or ''}{also}"
        )
    lines += ["", "### Example", "Call this tool with:", "```json", example_call(operation), "```"]
    return "\n".join(lines)
