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
    return ToolError(redact(message))


def _as_tool_error(tool_name: str, exc: BaseException) -> ToolError:
    if isinstance(exc, ToolError) or getattr(exc, "actionable", False):
        # ToolError, or a domain error that marks its message as advice (`actionable = True`).
        return ToolError(redact(str(exc)))
    log.exception("tool %s failed unexpectedly", tool_name)
    return ToolError(
        redact(
            f"{tool_name} failed unexpectedly: {type(exc).__name__}: {exc}. "
            "This is a bug in hf-train-mcp; the arguments may still be fine to retry."
        )
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
