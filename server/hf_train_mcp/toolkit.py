"""The shared shape of every tool: a concise markdown answer plus structured data, secrets masked,
and every failure turned into a `ToolError` an agent can act on.

A tool function returns an `Answer`; `agent_tool` turns it into a `CallToolResult`. Any exception
that is not already a `ToolError` becomes one that names the tool and the error, because the SDK
would otherwise send the bare, useless "Error executing tool".
"""

from __future__ import annotations

import functools
import inspect
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, TypeVar

from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult, TextContent
from pydantic import BaseModel, ConfigDict

from hf_train_mcp.errors import AgentError
from hf_train_mcp.redact import redact, redact_data

log = logging.getLogger("hf_train_mcp")

F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class Answer:
    """What a tool says: markdown for the model to read, data for programs to use."""

    markdown: str
    data: dict[str, Any] = field(default_factory=dict)

    def to_result(self) -> CallToolResult:
        data = redact_data(jsonable(self.data))
        return CallToolResult(
            content=[TextContent(type="text", text=redact(self.markdown))],
            structured_content=data,
        )


def jsonable(value: Any) -> Any:
    """Round-trip through JSON so dataclasses, datetimes and paths become plain values."""
    return json.loads(json.dumps(value, default=_json_default))


def _json_default(value: Any) -> Any:
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    if hasattr(value, "__dataclass_fields__"):
        from dataclasses import asdict

        return asdict(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def fail(message: str) -> ToolError:
    """A `ToolError` with secrets masked; `raise fail("what was wrong; what to send instead")`."""
    return ToolError(bounded(redact(message)))


MAX_ERROR_CHARS = 4000  # an error never echoes a huge input back


def bounded(text: str, limit: int = MAX_ERROR_CHARS) -> str:
    """`text` cut in the middle when it is longer than `limit`, saying how much was left out."""
    if len(text) <= limit:
        return text
    keep = limit // 2
    return f"{text[:keep]} ... [{len(text) - 2 * keep} characters left out] ... {text[-keep:]}"


def _os_error_advice(exc: OSError) -> str:
    import errno

    where = f" ({bounded(str(exc.filename), 120)})" if exc.filename else ""
    if exc.errno == errno.ENAMETOOLONG:
        return f"a name or path in the arguments is too long{where}: keep each part under 255 characters."
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"no permission to use a path{where}: choose a folder this server can write to."
    if exc.errno == errno.ENOSPC:
        return "the disk of this server is full: free some space and try again."
    if exc.errno in (errno.ENOENT, errno.ENOTDIR):
        return f"no such file or folder{where}: check the path."
    return f"a file operation failed{where}: {exc.strerror or 'see the server log'}."


def _as_tool_error(tool_name: str, exc: BaseException) -> ToolError:
    if isinstance(exc, ToolError | AgentError):
        return ToolError(bounded(redact(str(exc))))
    if isinstance(exc, OSError) and exc.errno is not None:
        return ToolError(bounded(redact(f"{tool_name}: {_os_error_advice(exc)}")))
    log.exception("tool %s failed unexpectedly", tool_name)
    return ToolError(
        f"{tool_name} hit an internal error (a bug in hf-train-mcp; the details are in the server's log). "
        "Check the arguments against the tool's description; the same call will likely fail the same way."
    )


def agent_tool(func: F) -> F:
    """Wrap a tool body: `Answer` -> `CallToolResult`, every exception -> actionable `ToolError`.

    Keeps the signature (via functools.wraps) so the SDK still builds the input schema from it.
    """
    name = func.__name__

    def convert(result: Any) -> Any:
        return result.to_result() if isinstance(result, Answer) else result

    if inspect.iscoroutinefunction(func):

        @functools.wraps(func)
        async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                return convert(await func(*args, **kwargs))
            except Exception as exc:
                raise _as_tool_error(name, exc) from exc

        return async_wrapper  # type: ignore[return-value]

    @functools.wraps(func)
    def sync_wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return convert(func(*args, **kwargs))
        except Exception as exc:
            raise _as_tool_error(name, exc) from exc

    return sync_wrapper  # type: ignore[return-value]


def md_table(headers: list[str], rows: list[list[Any]]) -> str:
    """A markdown table; pipes and newlines inside cells are escaped so the table stays a table."""

    def cell(value: Any) -> str:
        return str("" if value is None else value).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


# --- output schemas (additive: any tool can publish one) ------------------------------------------------
def structured(model: type) -> Any:
    """A return annotation that publishes `model`'s JSON schema as the tool's output schema.

    Usage: `Result = structured(MyOutput)` at module level, then `async def my_tool(...) -> Result:` under
    `@server.tool(...)` and `@agent_tool`, returning an `Answer` whose `data` fits `MyOutput` (a pydantic
    model; `ConfigDict(extra="allow")` lets the answer carry more keys than the schema names). The SDK
    checks every non-error answer against the model, and MCP clients check it against the published
    schema, so a tool cannot drift from what it declares.
    """
    return Annotated[CallToolResult, model]


class OpenOutput(BaseModel):
    """Base of the output models: an answer may carry more keys than its schema names."""

    model_config = ConfigDict(extra="allow")


def error_result(message: str, data: dict[str, Any] | None = None) -> CallToolResult:
    """An error answer (`is_error`) that still carries structured content, secrets masked.

    For tools whose output schema describes errors too (hf_jobs: `outcome.kind == "error"`); other
    tools raise `fail(...)` instead.
    """
    return CallToolResult(
        content=[TextContent(type="text", text=redact(message))],
        structured_content=redact_data(jsonable(data)) if data is not None else None,
        is_error=True,
    )


def error_text(tool_name: str, exc: BaseException) -> str:
    """What `agent_tool` would tell the agent about `exc` (masked; a bug says it is one)."""
    return str(_as_tool_error(tool_name, exc))


# --- the published schemas, compact (every tool's schemas cost context in every conversation) ----------
def compact_schema(schema: Any, *, nullable: bool, keep_titles: frozenset[str] = frozenset()) -> Any:
    """`schema` without what says nothing to a client: pydantic's generated titles, `"default": null`, and
    (`nullable=False`, for inputs: leaving a parameter out is how to say none) the `null` arm of optional
    values; with `nullable=True` (outputs, which do carry nulls) `{"anyOf": [{"type": T}, {"type": "null"}]}`
    becomes `{"type": [T, "null"]}`. Titles of the root's properties named in `keep_titles` stay.
    Validation is unchanged: the SDK checks arguments and answers with the pydantic models."""

    def walk(node: Any, root_props: bool = False) -> Any:
        if isinstance(node, list):
            return [walk(item) for item in node]
        if not isinstance(node, dict):
            return node
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key == "title" and isinstance(value, str):
                continue
            if (key == "default" and value is None) or (key == "additionalProperties" and value is True):
                continue
            if key == "discriminator":  # OpenAPI's, not JSON Schema's: the `kind` consts already decide
                continue
            if key == "$defs" and nullable:  # output models' docstrings: for the code, not the client
                out[key] = {name: _undescribed(walk(sub)) for name, sub in value.items()}
                continue
            if key in ("properties", "$defs", "patternProperties"):
                out[key] = {
                    name: _keep_title(
                        walk(sub), sub, name in keep_titles and root_props and key == "properties"
                    )
                    for name, sub in value.items()
                }
                continue
            out[key] = walk(value)
        values = out.get("enum", [out["const"]] if "const" in out else None)
        if values and out.get("type") == "string" and all(isinstance(v, str) for v in values):
            out.pop("type")  # the values already say it
        variants = out.get("anyOf")
        if isinstance(variants, list) and {"type": "null"} in variants:
            rest = [v for v in variants if v != {"type": "null"}]
            if not nullable and len(rest) == 1:
                out.pop("anyOf")
                out = {**rest[0], **out}
            elif not nullable:
                out["anyOf"] = rest
            elif len(rest) == 1 and isinstance(rest[0].get("type"), str):
                out.pop("anyOf")
                out = {**rest[0], "type": [rest[0]["type"], "null"], **out}
        return out

    def _undescribed(compacted: Any) -> Any:
        return (
            {k: v for k, v in compacted.items() if k != "description"}
            if isinstance(compacted, dict)
            else compacted
        )

    def _keep_title(compacted: Any, original: Any, keep: bool) -> Any:
        if keep and isinstance(original, dict) and "title" in original:
            return {**compacted, "title": original["title"]}
        return compacted

    return walk(schema, root_props=True)


def outline_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """An output schema reduced to its top level: each property's type (and enum, bounds, title; none for
    a value that may be null), nested shapes left open. The SDK still checks each answer against the
    full pydantic model; the client gets a truthful, looser schema that costs a few bytes instead of
    kilobytes (hf_jobs's was 7 KB)."""
    definitions = schema.get("$defs", {})
    kept = ("type", "enum", "const", "minimum", "maximum", "title")

    def types_of(node: dict[str, Any]) -> list[str]:
        if "$ref" in node:
            target = definitions.get(node["$ref"].rsplit("/", 1)[-1], {})
            return types_of(target) if target else ["object"]
        if "type" in node:
            return list(node["type"]) if isinstance(node["type"], list) else [node["type"]]
        arms = node.get("anyOf") or node.get("oneOf") or []
        found: list[str] = []
        for arm in arms:
            found += [t for t in types_of(arm) if t not in found]
        return found

    def outline(node: dict[str, Any]) -> dict[str, Any]:
        out = {k: v for k, v in node.items() if k in kept and k != "type"}
        types = types_of(node)
        if types and "null" not in types and "enum" not in out and "const" not in out:
            out["type"] = types[0] if len(types) == 1 else types  # a value that may be null: any type
        return out

    result: dict[str, Any] = {"type": "object"}
    properties = schema.get("properties")
    if isinstance(properties, dict):
        result["properties"] = {name: outline(prop) for name, prop in properties.items()}
    if schema.get("required"):
        result["required"] = schema["required"]
    return result


# The hints a client assumes when a tool states none (MCP's ToolAnnotations defaults).
HINT_DEFAULTS = {
    "read_only_hint": False,
    "destructive_hint": True,
    "idempotent_hint": False,
    "open_world_hint": True,
}


def only_stated_hints(annotations: Any) -> Any:
    """`annotations` with the idempotent and open-world hints left out where they equal MCP's default (the
    client assumes it anyway), hints that mean nothing for a read-only tool (destructive, idempotent)
    dropped, and no title (the tool's own title says it). Whether a tool reads only and whether it
    destroys are always stated: clients that ignore defaults still see them."""
    read_only = bool(annotations.read_only_hint)
    values: dict[str, Any] = {"read_only_hint": read_only}
    for name, default in HINT_DEFAULTS.items():
        value = getattr(annotations, name)
        if value is None or name == "read_only_hint":
            continue
        if value == default and name != "destructive_hint":
            continue
        if read_only and name in ("destructive_hint", "idempotent_hint"):
            continue
        values[name] = value
    return type(annotations)(**values)
