"""Which function answers each `hf_jobs` operation."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from hf_train_mcp.jobs.args import OpArgs
from hf_train_mcp.jobs.operations import Progress, op_submit
from hf_train_mcp.jobs.read_ops import op_cancel, op_hardware, op_inspect, op_logs, op_ps, op_stats
from hf_train_mcp.jobs.scheduled_ops import (
    op_scheduled_create,
    op_scheduled_inspect,
    op_scheduled_ps,
    op_scheduled_trigger,
    scheduled_action,
)
from hf_train_mcp.toolkit import Answer

Handler = Callable[[Any, Progress | None], Awaitable[Answer]]

HANDLERS: dict[str, Handler] = {
    "run": op_submit,
    "uv": op_submit,
    "ps": op_ps,
    "logs": op_logs,
    "inspect": op_inspect,
    "cancel": op_cancel,
    "hardware": op_hardware,
    "stats": op_stats,
    "scheduled run": op_scheduled_create,
    "scheduled uv": op_scheduled_create,
    "scheduled ps": op_scheduled_ps,
    "scheduled inspect": op_scheduled_inspect,
    "scheduled delete": scheduled_action("delete"),
    "scheduled suspend": scheduled_action("suspend"),
    "scheduled resume": scheduled_action("resume"),
    "scheduled trigger": op_scheduled_trigger,
}


async def dispatch(operation: str, args: OpArgs, progress: Progress | None) -> Answer:
    answer = await HANDLERS[operation](args, progress)
    answer.data = {"operation": operation, **answer.data}
    return answer
