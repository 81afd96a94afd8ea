"""A person answering the server's cost question (MCP elicitation), for tests through a real MCP client."""

from __future__ import annotations

from typing import Any

from mcp import types


def asking(action: str, questions: list[str]) -> Any:
    """An elicitation callback that records each question in `questions` and answers with `action`
    ("accept" approves; "decline" or "cancel" do not)."""

    async def on_elicit(context: Any, params: types.ElicitRequestParams) -> types.ElicitResult:
        questions.append(params.message)
        content = {"approve": True} if action == "accept" else None
        return types.ElicitResult(action=action, content=content)  # type: ignore[arg-type]

    return on_elicit
