"""Builds the MCP server: one `MCPServer` with every tool, resource and prompt registered.

Each capability lives in its own package and exposes `register(server)`; this module only wires
them together, so adding a capability never touches another one's code.
"""

from __future__ import annotations

import importlib
import os
from typing import Any

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError

from hf_train_mcp import __version__
from hf_train_mcp.arguments import ArgumentProblem, check_arguments
from hf_train_mcp.published import GROUPS, publish, schema_for_checks
from hf_train_mcp.redact import SecretSet, caller_scope, redact
from hf_train_mcp.toolkit import Answer, bounded

SERVER_NAME = "hf-train-mcp"

INSTRUCTIONS = """\
Fine-tune language models on Hugging Face Jobs (cloud GPUs billed per minute) and manage those jobs.
Typical flow: inspect_dataset -> recommend_hardware -> generate_training_script (or prepare_training,
which does all of it) -> hf_jobs {"operation": "uv", ...} -> hf_jobs ps/logs/inspect.
Jobs are pay-as-you-go: any Hugging Face account with credit can run them, with a write token (a 402
"payment required" means adding credit at huggingface.co/settings/billing); flavor "local" runs here.
Always set a timeout above the estimate and push results to the Hub: the job's disk is discarded.
"""

# Modules that expose `register(server)`, in the order their tools should be listed.
CAPABILITIES = (
    "hf_train_mcp.jobs.tool",
    "hf_train_mcp.hardware.tool",
    "hf_train_mcp.training.tool",
    "hf_train_mcp.dataset_inspection.tool",
    "hf_train_mcp.workflow.tool",
    "hf_train_mcp.post_training.tool",
    "hf_train_mcp.skillbook.register",
)


class HfTrainServer(MCPServer):
    """The SDK's server plus what every tool call goes through, whatever the tool:

    - rarely used settings sent at the top level are folded into the tool's `advanced` object
      (`training.advanced.fold_top_level`); tools whose rarely used parameters are published inside
      `advanced` get them back at the top level (`published.Grouping.unfold`);
    - its arguments are checked first (`arguments.check_arguments`): unknown keys refused, each invalid
      argument named with what was expected and an example, never pydantic's dump or the value sent;
    - secrets the caller registers during the call belong to the caller only (`redact`);
    - its Hub requests share one time budget (`hub.call_budget`).
    """

    MAX_PRINCIPALS = 1000

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._secret_scopes: dict[str, SecretSet] = {}

    def _scope_for(self) -> SecretSet:
        """The secrets of the caller: one scope per authenticated principal (HTTP with auth), else one
        for the local user (stdio, in-process, loopback). Sessions cannot key it: under protocol
        2026-07-28 every request is a session of its own."""
        from mcp.server.auth.middleware.auth_context import get_access_token

        caller = get_access_token()
        key = f"{caller.client_id}|{caller.subject or ''}" if caller is not None else "local"
        scope = self._secret_scopes.get(key)
        if scope is None:
            if len(self._secret_scopes) >= self.MAX_PRINCIPALS:
                self._secret_scopes.pop(next(iter(self._secret_scopes)))
            scope = self._secret_scopes[key] = SecretSet()
        return scope

    async def call_tool(self, name: str, arguments: dict[str, Any], context: Context | None = None) -> Any:
        tool = self._tool_manager.get_tool(name)
        if tool is None:
            known = ", ".join(t.name for t in self._tool_manager.list_tools())
            raise ToolError(f"Unknown tool `{bounded(str(name), 80)}`. Tools: {known}.")
        from hf_train_mcp.training.advanced import fold_top_level

        arguments = fold_top_level(name, arguments)
        try:
            grouping = GROUPS.get(name)
            if grouping is not None and isinstance(arguments, dict):
                unfolded = grouping.unfold(arguments)
                if isinstance(unfolded, Answer):  # {"advanced": {"help": true}}
                    return unfolded.to_result()
                arguments = unfolded
            metadata = tool.fn_metadata
            schema = schema_for_checks(name, tool.parameters)
            check_arguments(name, arguments, metadata.arg_model, schema, metadata.pre_parse_json)
        except ArgumentProblem as exc:
            raise ToolError(bounded(redact(str(exc)))) from None
        from hf_train_mcp.hub import call_budget

        with caller_scope(self._scope_for()), call_budget():
            return await super().call_tool(name, arguments, context)


def build_server(**auth: Any) -> MCPServer:
    """The server with every capability; `auth` (token_verifier=..., auth=...) guards HTTP (see cli.py)."""
    server = HfTrainServer(
        SERVER_NAME,
        instructions=INSTRUCTIONS,
        version=__version__,
        log_level=os.environ.get("HF_TRAIN_MCP_LOG_LEVEL", "WARNING").upper(),  # type: ignore[arg-type]
        **auth,
    )
    for module_name in CAPABILITIES:
        importlib.import_module(module_name).register(server)
    publish(server)
    return server
