"""The `hf_jobs` tool: `{"operation": ..., "args": {...}}`, compatible with the official Hugging Face
MCP server's tool, plus hardware, stats, local jobs, dry runs and the spellings agents send.

This is the only place that turns jobs errors into MCP answers: domain code raises `JobsError`.
"""

from __future__ import annotations

import json
import logging
from typing import Annotated, Any

from mcp.server.elicitation import ElicitationResult
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.resolve import Resolve
from mcp.types import CallToolResult, ToolAnnotations
from pydantic import WithJsonSchema

from hf_train_mcp import approval as cost_approval
from hf_train_mcp.jobs.arg_parsing import (
    HELP_KEY,
    normalize_operation,
    operation_help,
    parse_args,
    required_fields,
)
from hf_train_mcp.jobs.args import OPERATIONS
from hf_train_mcp.jobs.errors import JobsArgumentError, JobsError
from hf_train_mcp.jobs.output import HfJobsOutput, envelope
from hf_train_mcp.jobs.usage import TOOL_DESCRIPTION, usage_guide
from hf_train_mcp.redact import redact
from hf_train_mcp.toolkit import Answer, agent_tool, bounded, error_result, error_text, structured

log = logging.getLogger("hf_train_mcp.jobs")
HfJobsResult = structured(HfJobsOutput)
# The operations that start paid work: asked for approval, capped, labelled against double submission.
SUBMISSIONS = frozenset({"run", "uv", "scheduled run", "scheduled uv"})
DESCRIPTION = TOOL_DESCRIPTION + " run/uv spend money: the person approves the cost where the client can ask."
OPERATION_SCHEMA = {"enum": list(OPERATIONS), "description": "none: the usage guide"}
ARGS_DESCRIPTION = '{"help": true} describes them'


def _ops_text(ops: list[str]) -> str:
    """["run", "uv", "scheduled run", "scheduled uv"] -> "run/uv, scheduled run/uv": short and exact."""
    plain = [o for o in ops if not o.startswith("scheduled ")]
    scheduled = [o.removeprefix("scheduled ") for o in ops if o.startswith("scheduled ")]
    parts = ["/".join(plain)] if plain else []
    if scheduled:
        parts.append("scheduled " + "/".join(scheduled))
    return ", ".join(parts)


def _json_types(prop: dict[str, Any]) -> str | list[str]:
    """The JSON types a property takes (its bounds and item shapes are checked, and described by
    `{"help": true}`, server-side)."""
    found: list[str] = []
    for arm in prop.get("anyOf", [prop]):
        kind = arm.get("type", "object")
        for name in kind if isinstance(kind, list) else [kind]:
            if name not in found and name != "null":  # leaving a key out is how to say none
                found.append(name)
    return found[0] if len(found) == 1 else found


def args_schema() -> dict[str, Any]:
    """The `args` object as published: every key any operation takes with its type, and the description
    saying which operations take which keys, derived from the argument models in `jobs.args` (the one
    declaration of each; `{"help": true}` gives their full descriptions)."""
    owners: dict[str, list[str]] = {}
    properties: dict[str, Any] = {}
    for op, model in OPERATIONS.items():
        props = model.model_json_schema()["properties"]
        for name in model.model_fields:
            owners.setdefault(name, []).append(op)
            if name not in properties:
                properties[name] = {"type": _json_types(props[name])}
    properties[HELP_KEY] = {"type": "boolean"}
    owners[HELP_KEY] = list(OPERATIONS)
    by_owners: dict[tuple[str, ...], list[str]] = {}
    for name, ops in owners.items():
        by_owners.setdefault(tuple(ops), []).append(name)
    groups = [
        f"{'all' if len(ops) == len(OPERATIONS) else _ops_text(list(ops))}: {', '.join(names)}"
        for ops, names in by_owners.items()
    ]
    return {
        "type": "object",
        "description": ARGS_DESCRIPTION + "; by operation: " + "; ".join(groups),
        "properties": properties,
    }


ArgsParam = Annotated[dict[str, Any] | str | None, WithJsonSchema(args_schema())]


def _raw_args(args: dict[str, Any] | str | None) -> dict[str, Any]:
    if args is None:
        return {}
    if isinstance(args, str):
        text = args.strip()
        if not text:
            return {}
        try:
            args = json.loads(text)
        except json.JSONDecodeError:
            raise JobsArgumentError(
                'args must be a JSON object, e.g. {"job_id": "..."}; it could not be parsed.'
            ) from None
    if not isinstance(args, dict):
        raise JobsArgumentError('args must be a JSON object, e.g. {"job_id": "..."}.')
    return dict(args)


def _progress_reporter(ctx: Context | None) -> Any:
    """Progress notifications numbered 0, 1, 2, ... (absolute and increasing, as MCP requires)."""
    if ctx is None:
        return None
    count = 0

    async def report(progress: float, total: float | None, message: str) -> None:
        nonlocal count
        try:
            await ctx.report_progress(count, None, redact(message))
        except Exception as exc:  # a client that cannot take progress must not break the call
            log.debug("progress notification failed: %s", exc)
        count += 1

    return report


def submission_cost(operation: str | None, args: dict[str, Any] | str | None) -> cost_approval.Cost | None:
    """The worst-case cost of a call that submits paid work; None for anything else (or arguments that do
    not parse: the call itself then says what is wrong)."""
    try:
        raw = _raw_args(args)
        name = operation if operation and operation.strip() else raw.pop("operation", None)
        op = normalize_operation(name) if isinstance(name, str) else None
        if op not in SUBMISSIONS:
            return None
        parsed = parse_args(op, {k: v for k, v in raw.items() if k != HELP_KEY})
    except Exception:
        return None
    if parsed.dry_run:  # type: ignore[attr-defined]
        return None
    return cost_approval.cost_of(parsed.flavor, parsed.timeout_seconds)  # type: ignore[attr-defined]


def ask_approval(operation: str | None, args: dict[str, Any] | str | None, ctx: Context) -> Any:
    """Resolver of `hf_jobs`' approval: asks the person before paid work (see `approval`)."""
    return cost_approval.ask(submission_cost(operation, args), ctx)


Approval = Annotated[ElicitationResult[cost_approval.Approve], Resolve(ask_approval)]


async def handle(
    operation: str | None,
    args: dict[str, Any] | str | None,
    ctx: Context | None,
    *,
    approval: Any = None,
) -> Answer:
    """One hf_jobs call. Raises `JobsError` (domain) for anything the agent should read."""
    # Secrets first: nothing below (validation errors included) may echo one.
    from hf_train_mcp import hub
    from hf_train_mcp.jobs.submission import register_raw_secrets

    raw = _raw_args(args)
    register_raw_secrets(raw)
    token = hub.get_token()  # registers the caller's token for redaction
    if not operation or not operation.strip():
        operation = raw.pop("operation", None) if isinstance(raw.get("operation"), str) else None
    if not operation:
        from hf_train_mcp.jobs.backends import local_available

        guide = usage_guide(has_token=bool(token), local=local_available())
        outcome = {"kind": "usage", "available_operations": list(OPERATIONS), "instructions": guide}
        return Answer(
            guide, {**envelope(None, outcome), "operations": list(OPERATIONS), "has_token": bool(token)}
        )
    op = normalize_operation(operation)
    model = OPERATIONS[op]
    help_value = raw.get(HELP_KEY)
    if help_value is True or (isinstance(help_value, str) and help_value.lower() == "true"):
        text = operation_help(op)
        outcome = {"kind": "help", "operation": op, "reason": "requested", "instructions": text}
        return Answer(text, {**envelope(op, outcome), "help": True})
    if not {k for k in raw if k != HELP_KEY} and required_fields(model):
        text = f'No arguments provided for "{op}".\n\n' + operation_help(op)
        outcome = {"kind": "help", "operation": op, "reason": "missing_arguments", "instructions": text}
        return Answer(text, {**envelope(op, outcome), "help": True, "required": required_fields(model)})
    parsed = parse_args(op, raw)
    if op in SUBMISSIONS and not parsed.dry_run:  # type: ignore[attr-defined]
        cost = cost_approval.cost_of(parsed.flavor, parsed.timeout_seconds)  # type: ignore[attr-defined]
        try:
            cost_approval.require_approval(approval, cost)
        except cost_approval.CostRefused as exc:
            raise JobsError(str(exc)) from None
    from hf_train_mcp.jobs.dispatch import dispatch

    return await dispatch(op, parsed, _progress_reporter(ctx))


def _operation_name(operation: str | None, args: Any) -> str | None:
    """The normalised operation of a call, for error answers (None when unknown)."""
    if not operation and isinstance(args, dict) and isinstance(args.get("operation"), str):
        operation = args["operation"]
    if not operation:
        return None
    try:
        return normalize_operation(operation)
    except JobsError:
        return None


def error_answer(operation: str | None, args: Any, exc: BaseException) -> CallToolResult:
    """The tool layer's only error path: domain errors become `is_error` answers with the official
    `{"kind": "error", "code", "message"}` outcome; anything else is reported as a bug."""
    if isinstance(exc, JobsError):
        message, code = bounded(str(exc)), exc.code  # an error never echoes a huge input back
    else:
        message, code = error_text("hf_jobs", exc), "execution"
    outcome = {"kind": "error", "code": code, "message": redact(message)}
    return error_result(message, envelope(_operation_name(operation, args), outcome))


def register(server: MCPServer) -> None:
    """Register `hf_jobs` on `server`, publishing the official output schema (`jobs.output`)."""

    @server.tool(
        name="hf_jobs",
        title="Hugging Face Jobs",
        description=DESCRIPTION,
        annotations=ToolAnnotations(
            read_only_hint=False,
            destructive_hint=True,
            idempotent_hint=False,
            open_world_hint=True,
        ),
    )
    @agent_tool
    async def hf_jobs(
        operation: Annotated[str | None, WithJsonSchema(OPERATION_SCHEMA)] = None,
        args: ArgsParam = None,
        approval: Approval = None,  # type: ignore[assignment]
        ctx: Context | None = None,
    ) -> HfJobsResult:
        try:
            answer = await handle(operation, args, ctx, approval=approval)
        except Exception as exc:  # ToolError from shared code, JobsError from ours, or a bug
            if not isinstance(exc, JobsError | ToolError):
                log.exception("hf_jobs failed unexpectedly")
            return error_answer(operation, args, exc)
        return answer.to_result()
