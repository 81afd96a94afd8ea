"""Placeholder: the capability's tools are registered here."""

from mcp.server.mcpserver import MCPServer


def register(server: MCPServer) -> None:
    """Register this capability's tools on `server`."""
