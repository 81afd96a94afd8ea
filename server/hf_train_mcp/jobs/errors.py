"""Errors of the jobs domain. Domain code raises these; only the tool layer (`jobs/tool.py`) turns
them into MCP answers, so the same code serves the CLI, tests and other tools without MCP types.

Every message says what was wrong and what to do instead; `code` is the official `hf_jobs` output
schema's error code (`validation`, `unknown_operation`, `execution`).
"""

from __future__ import annotations

from typing import Literal

from hf_train_mcp.errors import AgentError

ErrorCode = Literal["unknown_operation", "validation", "execution"]

CHECK_PS_ADVICE = (
    ' The Hub may have accepted the job before this failure: run `ps` (with {"all": true}) before '
    "submitting again, so the job is not started (and billed) twice."
)


class JobsError(AgentError):
    """A jobs failure an agent can act on (the Hub refused, a job does not exist, ...)."""

    code: ErrorCode = "execution"

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status  # the Hub's HTTP status when a Hub call failed with one

    @property
    def hub_unreachable(self) -> bool:
        """The Hub did not answer usefully (no connection, timeout, 429, 5xx): not the caller's fault."""
        return self.status is None or self.status == 429 or self.status >= 500


class JobsArgumentError(JobsError):
    """The call's arguments are wrong; the message names the argument and what to send."""

    code: ErrorCode = "validation"


class UnknownOperationError(JobsArgumentError):
    code: ErrorCode = "unknown_operation"


# Statuses after which the Hub certainly did not start the job: the request was refused as such.
_REFUSED = frozenset({400, 401, 402, 403, 404, 409, 413, 415, 422})


def hub_error(exc: BaseException, *, what: str, submitted: bool = False) -> JobsError:
    """A `JobsError` for a failed Hub call (the wording comes from `hub.hub_error`).

    `submitted=True` marks a request that may have started a job (run, scheduled create, trigger):
    unless the Hub clearly refused it, the message says to look at `ps` before resubmitting. That
    covers dropped connections, timeouts, 5xx, and answers the client could not parse.
    """
    if isinstance(exc, JobsError):
        return exc
    from hf_train_mcp import hub

    message = str(hub.hub_error(exc, what=what, submitted=submitted))
    status = hub.status_of(exc)
    if submitted and status not in _REFUSED and "`ps`" not in message:
        message += CHECK_PS_ADVICE
    return JobsError(message, status=status)
