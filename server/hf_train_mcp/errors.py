"""Domain errors: failures an agent can act on, raised deep in the code without knowing about MCP.

Modules below the tool layer (hub.py, local_jobs/, the access policy) raise an `AgentError` whose
message says what was wrong and what to send instead; `toolkit.agent_tool` turns it into the MCP
`ToolError` at the tool layer. Anything else that escapes a tool is a bug and is reported as one,
without its Python text.
"""

from __future__ import annotations


class AgentError(Exception):
    """A failure whose message is written for the agent: what was wrong and what to do instead."""


class HubError(AgentError):
    """A Hub call failed; the message says why and what to do (log in, retry, check the id)."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class AccessDeniedError(AgentError):
    """The server's policy does not let the caller do that (local jobs over HTTP, paths outside the roots)."""


def with_fix(message: str, fix: str | None) -> str:
    """`message` and its fix as two sentences ("... cannot read it. Fix: upload it"), whatever their ends."""
    message = message.rstrip()
    if not fix:
        return message
    if message and message[-1] not in ".!?:":
        message += "."
    return f"{message} Fix: {fix.strip()}"
