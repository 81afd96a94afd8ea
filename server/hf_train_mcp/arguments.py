"""Checks every tool's arguments before the tool runs, with errors an agent can act on.

The SDK validates arguments against the tool's pydantic model and, on failure, sends pydantic's raw
dump (input values included, a 5 MB argument came back as a 5 MB error); it also drops unknown keys
silently, so a typo (`max_hour`) is ignored. `check_arguments` runs first, for every tool:
- values JSON cannot carry (complex numbers, NaN, infinities, objects) are refused by argument name;
- unknown keys are refused, with the closest known name and the list of accepted ones;
- each invalid argument is named with what was expected and an example, never with the value sent.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ValidationError

MAX_ARGUMENT_CHARS = 2_000_000  # a training script is at most 500,000; anything far larger is a mistake
MAX_DEPTH = 20
MAX_ISSUES = 6


class ArgumentProblem(Exception):
    """The arguments cannot be used; the message names each bad argument and what to send instead."""


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return f"text of {len(value):,} characters" if len(value) > 80 else "text"
    if isinstance(value, list | tuple):
        return f"a list of {len(value):,} items"
    if isinstance(value, dict):
        return "a JSON object"
    return "a value JSON cannot carry"


def _json_problems(value: Any, path: str, depth: int = 0) -> tuple[list[str], int]:
    """Problems with values JSON cannot carry, and the total size of the text in `value`."""
    if depth > MAX_DEPTH:
        return [f"`{path}` is nested more than {MAX_DEPTH} levels deep: send a flatter value."], 0
    if value is None or isinstance(value, bool | int | str):
        return [], len(value) if isinstance(value, str) else 8
    if isinstance(value, float):
        if math.isfinite(value):
            return [], 8
        return [f"`{path}` must be a finite number (e.g. 1.5), not {value}."], 8
    if isinstance(value, list | tuple):
        problems: list[str] = []
        size = 0
        for i, item in enumerate(value):
            p, s = _json_problems(item, f"{path}[{i}]", depth + 1)
            problems += p
            size += s
        return problems, size
    if isinstance(value, dict):
        problems, size = [], 0
        for key, item in value.items():
            if not isinstance(key, str):
                problems.append(f"`{path}` has a key that is not text: JSON object keys are strings.")
                continue
            p, s = _json_problems(item, f"{path}.{key[:40]}", depth + 1)
            problems += p
            size += s + len(key)
        return problems, size
    return [
        f"`{path}` is {_type_name(value)} (e.g. a complex number): send text, a number, true/false, a list "
        "or a JSON object."
    ], 8


def _resolve(schema: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        return defs.get(ref.rsplit("/", 1)[-1], {})
    return schema


MAX_ENUM_SHOWN = 20  # hf_jobs has 16 operations: all of them are named


def describe(schema: dict[str, Any], defs: dict[str, Any]) -> str:
    """What a JSON schema accepts, in words: 'an integer >= 1', 'one of "sft", "dpo"', 'text or null'."""
    schema = _resolve(schema, defs)
    if "enum" in schema:
        values = [f'"{v}"' if isinstance(v, str) else str(v) for v in schema["enum"]]
        shown = values if len(values) <= MAX_ENUM_SHOWN else [*values[:MAX_ENUM_SHOWN], "..."]
        return "one of " + ", ".join(shown)
    if "const" in schema:
        return repr(schema["const"])
    variants = schema.get("anyOf") or schema.get("oneOf")
    if variants:
        words = [describe(v, defs) for v in variants if _resolve(v, defs).get("type") != "null"]
        return " or ".join(dict.fromkeys(words)) or "null"
    kind = schema.get("type")
    bounds = []
    for key, sign in (
        ("minimum", ">="),
        ("exclusiveMinimum", ">"),
        ("maximum", "<="),
        ("exclusiveMaximum", "<"),
    ):
        if key in schema:
            bounds.append(f"{sign} {schema[key]}")
    if "maxLength" in schema:
        bounds.append(f"at most {schema['maxLength']} characters")
    suffix = (" " + " and ".join(bounds)) if bounds else ""
    if kind == "array":
        items = schema.get("items")
        return (
            "a list" + (f" of {describe(items, defs)}" if isinstance(items, dict) and items else "") + suffix
        )
    return {
        "integer": "an integer",
        "number": "a number",
        "string": "text",
        "boolean": "true or false",
        "object": "a JSON object",
    }.get(str(kind), "a value") + suffix


def example(schema: dict[str, Any], defs: dict[str, Any]) -> str | None:
    import json

    schema = _resolve(schema, defs)
    for key in ("examples",):
        if schema.get(key):
            return json.dumps(schema[key][0])
    if "enum" in schema:
        return json.dumps(schema["enum"][0])
    if schema.get("default") is not None:
        return json.dumps(schema["default"])
    variants = schema.get("anyOf") or schema.get("oneOf") or []
    for variant in variants:
        found = example(variant, defs)
        if found and found != "null":
            return found
    kind = schema.get("type")
    if kind in ("integer", "number"):
        low = schema.get("minimum", schema.get("exclusiveMinimum"))
        return json.dumps(
            low + (1 if kind == "integer" else 0.5) if low is not None else (1 if kind == "integer" else 1.5)
        )
    return {"string": '"..."', "boolean": "true", "array": "[]", "object": "{}"}.get(str(kind))


def _field_line(name: str, schema: dict[str, Any], defs: dict[str, Any], got: str, detail: str | None) -> str:
    prop = schema.get("properties", {}).get(name, {})
    text = f"`{name}`: expected {describe(prop, defs)}"
    sample = example(prop, defs)
    if sample:
        text += f", e.g. {sample[:120]}"
    text += f"; got {got}."
    if detail:
        text += f" ({detail})"
    return text


def check_arguments(
    tool_name: str,
    arguments: Any,
    arg_model: type[BaseModel],
    schema: dict[str, Any],
    pre_parse: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
) -> None:
    """Raise `ArgumentProblem` when `arguments` cannot be used by the tool; return quietly otherwise.

    `pre_parse` is the SDK's own first step (JSON text sent for a list or object is parsed), so what is
    validated here is exactly what the SDK will validate."""
    if not isinstance(arguments, dict):
        raise ArgumentProblem(f"{tool_name} takes a JSON object of arguments; got {_type_name(arguments)}.")
    known = {f.alias or name for name, f in arg_model.model_fields.items()}
    accepted = ", ".join(sorted(known)) or "none"
    problems: list[str] = []
    for key in arguments:
        if key in known:
            continue
        shown = str(key)[:60]
        close = difflib.get_close_matches(str(key), sorted(known), n=1)
        hint = f" Did you mean `{close[0]}`?" if close else ""
        problems.append(f"unknown argument `{shown}`.{hint}")
    if problems:
        problems.append(f"{tool_name} takes: {accepted}.")
        raise ArgumentProblem(_join(tool_name, problems))
    json_problems, size = _json_problems(arguments, "arguments")
    if json_problems:
        raise ArgumentProblem(_join(tool_name, [p.replace("`arguments.", "`") for p in json_problems]))
    if size > MAX_ARGUMENT_CHARS:
        raise ArgumentProblem(
            f"{tool_name}: the arguments hold {size:,} characters, more than the {MAX_ARGUMENT_CHARS:,} this "
            "server takes. Send files by path or reference (a Hub id, a URL) instead of their content."
        )
    try:
        validated = arg_model.model_validate(pre_parse(arguments) if pre_parse else arguments)
    except ValidationError as exc:
        raise ArgumentProblem(_validation_message(tool_name, exc, arguments, schema)) from None
    # Text such as "1e309" or "inf" becomes a float in lax mode: check what the tool would receive.
    infinite = [
        f"`{name}` must be a finite number (e.g. 1.5); {_type_name(arguments.get(name))} was read as "
        f"{getattr(validated, name)}."
        for name in type(validated).model_fields
        if isinstance(getattr(validated, name, None), float) and not math.isfinite(getattr(validated, name))
    ]
    if infinite:
        raise ArgumentProblem(_join(tool_name, infinite))


def _validation_message(
    tool_name: str, exc: ValidationError, arguments: dict[str, Any], schema: dict[str, Any]
) -> str:
    defs = schema.get("$defs", {})
    by_field: dict[str, list[dict[str, Any]]] = {}
    for error in exc.errors(include_input=False, include_url=False):
        loc = error.get("loc") or ("arguments",)
        by_field.setdefault(str(loc[0]), []).append(error)
    lines = []
    for name, errors in list(by_field.items())[:MAX_ISSUES]:
        prop = schema.get("properties", {}).get(name, {})
        if any(e["type"] == "missing" for e in errors):
            description = _resolve(prop, defs).get("description") or prop.get("description") or ""
            sample = example(prop, defs)
            lines.append(
                f"`{name}` is required: {describe(prop, defs)}"
                + (f", e.g. {sample[:120]}" if sample else "")
                + (f" ({description[:200]})" if description else "")
                + "."
            )
            continue
        inner = [e for e in errors if len(e.get("loc", ())) > 1]
        detail = None
        if inner:  # a problem inside a list or object: say where, with pydantic's message (it has no input)
            first = inner[0]
            where = ".".join(str(p) for p in first["loc"][1:])
            detail = f"at {where[:80]}: {str(first.get('msg', ''))[:200]}"
        elif errors and errors[0]["type"] not in _TYPE_ERRORS:
            detail = str(errors[0].get("msg", ""))[:200]
        lines.append(_field_line(name, schema, defs, _type_name(arguments.get(name)), detail))
    if len(by_field) > MAX_ISSUES:
        lines.append(f"... and {len(by_field) - MAX_ISSUES} more arguments with problems.")
    return _join(tool_name, lines)


_TYPE_ERRORS = frozenset(
    {
        "int_parsing", "int_type", "int_from_float", "float_parsing", "float_type", "string_type",
        "bool_parsing", "bool_type", "dict_type", "list_type", "literal_error", "enum", "union_tag_invalid",
        "model_type", "model_attributes_type", "none_required", "finite_number", "json_invalid",
    }
)  # fmt: skip


def _join(tool_name: str, lines: list[str]) -> str:
    if len(lines) == 1:
        return f"Invalid arguments for {tool_name}: {lines[0]}"
    return f"Invalid arguments for {tool_name}:\n" + "\n".join(f"- {line}" for line in lines)
