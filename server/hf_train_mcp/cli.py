"""Command line: serve MCP (stdio by default, or streamable HTTP), list tools, or call one tool.

`hf-train-mcp call TOOL '<json>'` goes through a real in-process MCP client, so what it prints is
exactly what an agent would receive.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hf-train-mcp",
        description="MCP server for fine-tuning models on Hugging Face Jobs. Without a command: serve MCP.",
    )
    parser.add_argument(
        "--transport", choices=["stdio", "http"], default="stdio", help="stdio (default) or streamable HTTP"
    )
    parser.add_argument("--host", default="127.0.0.1", help="HTTP host (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="HTTP port (default 8000)")
    parser.add_argument(
        "--auth",
        choices=["auto", "token", "hf", "none"],
        default="auto",
        help="HTTP authentication: 'token' (a shared bearer token, see --auth-token-file), 'hf' (each "
        "caller's own Hugging Face token is the bearer and is used for its Hub calls), 'none' (loopback "
        "only), "
        "'auto' (default: 'token' when a token is configured, else 'none')",
    )
    parser.add_argument(
        "--auth-token-file",
        metavar="PATH",
        help="file whose first line is the bearer token HTTP clients send (else $HF_TRAIN_MCP_AUTH_TOKEN)",
    )
    parser.add_argument(
        "--allowed-host",
        action="append",
        default=[],
        metavar="HOST[:PORT]",
        help="a Host header HTTP clients may use besides the loopback names and --host (repeatable), "
        "e.g. myserver.example:8000",
    )
    parser.add_argument(
        "--allow-local",
        action="store_true",
        help="over HTTP, let callers run local jobs and dry runs and read/write this machine's files "
        "(always allowed over stdio)",
    )
    parser.add_argument(
        "--allow-path",
        action="append",
        default=[],
        metavar="DIR",
        help="a folder tools may read scripts from and save to, besides the working and data directories "
        "(repeatable; also $HF_TRAIN_MCP_ALLOWED_PATHS)",
    )
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("serve", help="serve MCP (the default)")
    tools = sub.add_parser("tools", help="list the tools with their descriptions")
    tools.add_argument(
        "--json", action="store_true", help="print names, descriptions and input schemas as JSON"
    )
    call = sub.add_parser("call", help="call one tool and print its answer")
    call.add_argument("tool", help="tool name, e.g. hf_jobs")
    call.add_argument("arguments", nargs="?", default="{}", help="JSON object of arguments ('-' reads stdin)")
    call.add_argument("--json", action="store_true", help="print the structured content as JSON")
    _add_ssh_commands(sub)
    return parser


def _add_ssh_commands(sub: Any) -> None:
    from hf_train_mcp.ssh_jobs.wire import OPERATIONS

    ssh = sub.add_parser("ssh", help="SSH hosts for flavor ssh:NAME: list them, or check one end to end")
    ssh.add_argument("action", choices=["hosts", "check"], help="hosts: list and check all; check: one host")
    ssh.add_argument("name", nargs="?", help="the host's name (check)")
    remote = sub.add_parser(
        "remote-backend",
        help="the remote side of SSH jobs (run by ssh, not by hand): a JSON request on stdin, JSON on stdout",
    )
    remote.add_argument("operation", choices=OPERATIONS)
    remote.add_argument("--data-dir", help="where this machine keeps its jobs (default: the data dir)")


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "remote-backend":
        from hf_train_mcp.ssh_jobs.remote import main as remote_backend

        return remote_backend(args.operation, args.data_dir)
    if args.command == "ssh":
        from hf_train_mcp.ssh_jobs.cli import main as ssh_command

        return ssh_command(args.action, args.name)
    if args.command == "tools":
        return _run_async(_list_tools(args.json))
    if args.command == "call":
        raw = sys.stdin.read() if args.arguments == "-" else args.arguments
        try:
            arguments = json.loads(raw)
        except json.JSONDecodeError as exc:
            print(f"arguments must be a JSON object: {exc}", file=sys.stderr)
            return 2
        if not isinstance(arguments, dict):
            print('arguments must be a JSON object, e.g. \'{"operation": "ps"}\'', file=sys.stderr)
            return 2
        return _run_async(_call_tool(args.tool, arguments, args.json))
    return _serve(args)


def _serve(args: argparse.Namespace) -> int:
    from pathlib import Path

    from hf_train_mcp import access
    from hf_train_mcp.app import build_server

    roots = tuple(Path(p).expanduser() for p in args.allow_path)
    if args.transport != "http":
        access.set_policy(access.AccessPolicy(transport="stdio", allow_local=True, extra_roots=roots))
        build_server().run()
        return 0
    from hf_train_mcp.http_security import HttpConfigError, configure

    try:
        security = configure(
            host=args.host,
            port=args.port,
            auth=args.auth,
            token_file=args.auth_token_file,
            extra_hosts=args.allowed_host,
        )
    except HttpConfigError as exc:
        print(f"hf-train-mcp: {exc}", file=sys.stderr)
        return 2
    access.set_policy(
        access.AccessPolicy(
            transport="http",
            allow_local=args.allow_local,
            extra_roots=roots,
            hf_token_from_caller=security.mode == "hf",
        )
    )
    hosts = security.transport_security.allowed_hosts if security.transport_security else []
    print(
        f"hf-train-mcp: serving MCP on http://{args.host}:{args.port}/mcp (auth: {security.mode}; allowed "
        f"hosts: {', '.join(hosts)}; "
        f"local jobs and files: {'on' if args.allow_local else 'off'})",
        file=sys.stderr,
    )
    server = build_server(**security.server_kwargs)
    server.run(
        "streamable-http", host=args.host, port=args.port, transport_security=security.transport_security
    )
    return 0


def _run_async(coro: Any) -> int:
    import anyio

    return anyio.run(lambda: coro)


async def _list_tools(as_json: bool) -> int:
    from mcp import Client

    from hf_train_mcp.app import build_server

    async with Client(build_server()) as client:
        listed = await client.list_tools()
    if as_json:
        print(
            json.dumps(
                [
                    {"name": t.name, "description": t.description, "input_schema": t.input_schema}
                    for t in listed.tools
                ],
                indent=2,
            )
        )
    else:
        for tool in listed.tools:
            first_line = (tool.description or "").strip().splitlines()[0] if tool.description else ""
            print(f"{tool.name}: {first_line}")
    return 0


async def _call_tool(name: str, arguments: dict[str, Any], as_json: bool) -> int:
    from mcp import Client

    from hf_train_mcp.app import build_server

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        if message:
            print(f"[progress] {message}", file=sys.stderr)

    async with Client(build_server()) as client:
        result = await client.call_tool(name, arguments, progress_callback=on_progress)
    if as_json and result.structured_content is not None:
        print(json.dumps(result.structured_content, indent=2))
    else:
        for block in result.content:
            print(getattr(block, "text", block))
    return 1 if result.is_error else 0
