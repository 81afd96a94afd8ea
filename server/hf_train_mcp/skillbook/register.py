"""Placeholder: skills served as MCP resources and prompts are registered here."""

from mcp.server.mcpserver import MCPServer


def register(server: MCPServer) -> None:
    """Register skill resources and prompts on `server`."""
