"""The prepare_training tool: one call from intent to a submittable (or submitted) training job."""

from __future__ import annotations

import json
from typing import Annotated, Any

import anyio
from mcp.server.elicitation import ElicitationResult
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.resolve import Resolve
from mcp.types import ToolAnnotations
from pydantic import Field

from hf_train_mcp.approval import Approve
from hf_train_mcp.errors import AgentError
from hf_train_mcp.jobs.args import MAX_ATTEMPTS
from hf_train_mcp.toolkit import Answer, OpenOutput, agent_tool, fail, structured
from hf_train_mcp.training import arguments as A
from hf_train_mcp.training.advanced import PRIMARY_TRAINING_PARAMETERS, SAVE_TO, AdvancedSettings
from hf_train_mcp.training.requests import D

DESCRIPTION = (
    "Plan a training run end to end (checks model and data, picks the cheapest flavor that fits, validates "
    "the script): its hf_jobs call and cost. submit=true submits it once the person approves the cost. "
    "timeout, learning_rate, epochs...: in advanced."
)


def _extra(description: str, **bounds: Any) -> Any:
    return Field(default=None, description=description, **bounds)


# Settings of prepare_training itself, rarely needed: keys of `advanced` next to the request fields.
PREPARE_EXTRA = {
    "params_b": _extra("parameter count in billions, when the model's size cannot be looked up", gt=0),
    **SAVE_TO,
    "max_hours": _extra("longest acceptable run, hours. Default none", gt=0),
    "allow_duplicate": _extra("with submit: submit even if an identical job is still running. Default false"),
    "attempts": _extra(
        "with submit on a Hub flavor: runs in all if the platform stops the job (2 = one automatic re-run, "
        f"resuming from the last pushed checkpoint), 1-{MAX_ATTEMPTS}. Default 1",
        ge=1,
        le=MAX_ATTEMPTS,
    ),
    "detach": _extra("with submit: return without following logs. Default false"),
    "wait_seconds": _extra("with submit: follow logs this long, 0-60 s. Default 10", ge=0, le=60),
    "upload_local": _extra(
        "a local model folder or data file with a cloud flavor: upload it now to a private Hub repo of yours "
        "that the job reads (your consent). Default false"
    ),
    "local_python": _extra(
        "flavor 'local': run with this Python (its packages installed) instead of uv. Default none"
    ),
}
# dataset_columns: prepare_training reads them from the dataset itself.
PREPARE_ADVANCED = AdvancedSettings(
    PRIMARY_TRAINING_PARAMETERS, exclude={"dataset_columns"}, extra=PREPARE_EXTRA
).serve("prepare_training")
PrepareAdvanced = PREPARE_ADVANCED.annotation()


class PrepareOutput(OpenOutput):
    """The plan (decisions, hf_jobs call, cost) and, when submitted, the job; or the advanced keys."""

    plan: dict[str, Any] | None = None
    hf_jobs: dict[str, Any] | None = None
    submitted: bool | None = None
    job: dict[str, Any] | None = None
    advanced: list[dict[str, str]] | None = None


PrepareResult = structured(PrepareOutput)
CORE_ARGS = (*PRIMARY_TRAINING_PARAMETERS, "budget_usd", "submit")


def _request(values: dict[str, Any], advanced: dict[str, Any] | None) -> dict[str, Any]:
    return {**{k: values[k] for k in CORE_ARGS}, **PREPARE_ADVANCED.split(advanced)}


def ask_approval(
    model: str,
    dataset: str,
    method: Any,
    peft: Any,
    hub_model_id: Any,
    flavor: Any,
    column_mapping: Any,
    budget_usd: Any,
    submit: bool,
    advanced: Any,
    ctx: Context,
) -> Any:
    """Resolver of prepare_training's approval: with submit and a client that can ask, plan the run (the
    body reuses the plan) and ask the person to approve its worst-case cost."""
    from hf_train_mcp.approval import NOT_ASKED, ask, client_can_ask, cost_of
    from hf_train_mcp.workflow.prepare import PrepareError

    if not submit or not client_can_ask(ctx) or PREPARE_ADVANCED.wants_help(advanced):
        return NOT_ASKED
    request = _request(dict(locals()), advanced)
    try:
        run = _plan(request)
    except (PrepareError, AgentError):
        return NOT_ASKED  # the body reports it
    call = run.hf_jobs_call["args"]
    from hf_train_mcp.jobs.timeouts import parse_timeout

    return ask(cost_of(call.get("flavor", ""), parse_timeout(call.get("timeout", 0))), ctx)


_PLANS: dict[str, Any] = {}


def _plan(request: dict[str, Any], *, keep: bool = True) -> Any:
    """`prepare(request)`, once per call: the approval resolver plans and keeps it, the body takes it."""
    from hf_train_mcp.workflow.prepare import prepare

    key = json.dumps(request, sort_keys=True, default=str)
    run = _PLANS.pop(key, None) or prepare(request)
    if keep:
        if len(_PLANS) > 8:
            _PLANS.clear()
        _PLANS[key] = run
    return run


CostApproval = Annotated[ElicitationResult[Approve], Resolve(ask_approval)]


def register(server: MCPServer) -> None:
    @server.tool(
        title="Prepare a training run",
        description=DESCRIPTION,
        annotations=ToolAnnotations(
            read_only_hint=False, destructive_hint=False, idempotent_hint=False, open_world_hint=True
        ),
    )
    @agent_tool
    async def prepare_training(
        model: A.ModelArg,
        dataset: A.DatasetArg,
        method: A.MethodArg = D.method,
        peft: A.PeftArg = D.peft,
        hub_model_id: A.HubModelId = None,
        budget_usd: Annotated[float | None, Field(gt=0, description="most to spend, USD")] = None,
        flavor: A.Flavor = None,
        column_mapping: A.ColumnMapping = None,
        submit: Annotated[bool, Field(description="submit the job now (spends money)")] = False,
        advanced: PrepareAdvanced = None,
        approval: CostApproval = None,  # type: ignore[assignment]
        ctx: Context | None = None,
    ) -> PrepareResult:
        if PREPARE_ADVANCED.wants_help(advanced):
            return Answer(
                PREPARE_ADVANCED.help_markdown("prepare_training"), {"advanced": PREPARE_ADVANCED.help_rows()}
            )
        request = _request(dict(locals()), advanced)
        return await run_prepare(request, ctx, approval=approval)


async def run_prepare(request: dict[str, Any], ctx: Context | None, *, approval: Any = None) -> Answer:
    """Plan (and with submit, submit) one run: the body of prepare_training."""
    from hf_train_mcp.workflow.prepare import PrepareError, to_answer

    local_python = request.get("local_python")
    if local_python and request.get("flavor") != "local":
        raise fail("local_python only applies to flavor 'local'.")
    try:
        run = await anyio.to_thread.run_sync(lambda: _plan(request, keep=False))
    except PrepareError as exc:
        raise fail(str(exc)) from None
    submitted: Answer | None = None
    if request.get("submit"):
        from hf_train_mcp.jobs.tool import handle

        call = dict(run.hf_jobs_call["args"])
        call.update(detach=bool(request.get("detach")), wait_seconds=request.get("wait_seconds") or 10.0)
        if request.get("allow_duplicate"):
            call["allow_duplicate"] = True
        if request.get("attempts"):
            call["attempts"] = request["attempts"]
        if local_python:
            call["local_python"] = local_python
        submitted = await handle("uv", call, ctx, approval=approval)
    return to_answer(run, submitted)
