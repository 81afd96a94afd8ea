"""Builds the MCP server: one `MCPServer` with every tool, resource and prompt registered.

Each capability lives in its own package and exposes `register(server)`; this module only wires
them together, so adding a capability never touches another one's code.
"""

from __future__ import annotations

import importlib
import os

from mcp.server.mcpserver import MCPServer

from hf_train_mcp import __version__

SERVER_NAME = "hf-train-mcp"

INSTRUCTIONS = """\
Fine-tune language models on Hugging Face Jobs (cloud GPUs billed per minute) and manage those jobs.
Typical flow: inspect_dataset -> recommend_hardware -> generate_training_script (or prepare_training,
which does all of it) -> hf_jobs {"operation": "uv", ...} -> hf_jobs ps/logs/inspect.
Jobs need a Hugging Face Pro, Team or Enterprise token; use flavor "local" to run on this machine.
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


def build_server() -> MCPServer:
    server = MCPServer(
        SERVER_NAME,
        instructions=INSTRUCTIONS,
        version=__version__,
        log_level=os.environ.get("HF_TRAIN_MCP_LOG_LEVEL", "WARNING").upper(),  # type: ignore[arg-type]
    )
    for module_name in CAPABILITIES:
        importlib.import_module(module_name).register(server)
    return server
