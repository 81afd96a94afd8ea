"""Command line: serve MCP (stdio by default, or streamable HTTP), list tools, or call one tool.

`hf-train-mcp call TOOL '<json>'` goes through a real in-process MCP client, so what it prints is
exactly what an agent would receive.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import sys
from typing import Any

HEARTBEAT_S = 10.0  # `call`: a line on stderr after this long without progress news


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hf-train-mcp",
        description="MCP server for fine-tuning models on Hugging Face Jobs. Without a command: serve MCP.",
    )
    _add_serve_options(parser)
    sub = parser.add_subparsers(dest="command")
    _add_serve_options(sub.add_parser("serve", help="serve MCP (the default): the same options"), nested=True)
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


def _add_serve_options(parser: argparse.ArgumentParser, *, nested: bool = False) -> None:
    """The serving options, on the top level and on `serve` (`hf-train-mcp serve --transport http`).

    Under `serve` the defaults are suppressed, so `hf-train-mcp --port 9000 serve` keeps 9000.
    """

    def add(*flags: str, **kwargs: Any) -> None:
        if nested:
            kwargs["default"] = argparse.SUPPRESS
        parser.add_argument(*flags, **kwargs)

    add("--transport", choices=["stdio", "http"], default="stdio", help="stdio (default) or streamable HTTP")
    add("--host", default="127.0.0.1", help="HTTP host (default 127.0.0.1)")
    add("--port", type=int, default=8000, help="HTTP port (default 8000)")
    add(
        "--auth",
        choices=["auto", "token", "hf", "none"],
        default="auto",
        help="HTTP authentication: 'token' (a shared bearer token, see --auth-token-file), 'hf' (each "
        "caller's own Hugging Face token is the bearer and is used for its Hub calls), 'none' (loopback "
        "only), "
        "'auto' (default: 'token' when a token is configured, else 'none')",
    )
    add(
        "--auth-token-file",
        metavar="PATH",
        help="file whose first line is the bearer token HTTP clients send (else $HF_TRAIN_MCP_AUTH_TOKEN)",
    )
    add(
        "--allowed-host",
        action="append",
        default=[],
        metavar="HOST[:PORT]",
        help="a Host header HTTP clients may use besides the loopback names and --host (repeatable), "
        "e.g. myserver.example:8000",
    )
    add(
        "--allow-local",
        action="store_true",
        help="over HTTP, let callers run local jobs and dry runs and read/write this machine's files "
        "(always allowed over stdio)",
    )
    add(
        "--allow-path",
        action="append",
        default=[],
        metavar="DIR",
        help="a folder tools may read scripts from and save to, besides the working and data directories "
        "(repeatable; also $HF_TRAIN_MCP_ALLOWED_PATHS)",
    )


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
    """Run one command; a closed pipe (`| head`) or Ctrl-C ends it quietly, with the shell's exit codes."""
    try:
        return _main(argv)
    except BrokenPipeError:
        # The reader went away (`hf-train-mcp tools | head`): stop like `cat` does, without a traceback,
        # and keep the interpreter's final flush from raising a second time.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 128 + signal.SIGPIPE
    except KeyboardInterrupt:
        return 128 + signal.SIGINT


def _main(argv: list[str] | None) -> int:
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
    signal.signal(signal.SIGINT, _stop_at_once)
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


def _stop_at_once(signum: int, _frame: Any) -> None:
    """Ctrl-C ends the server now and quietly.

    Unwinding instead (KeyboardInterrupt through anyio, then waiting for the thread blocked on stdin)
    took about 37 s and printed some 60 lines of tracebacks. Nothing is lost by leaving at once: every
    answer already went out, and local jobs run under their own supervisors, which outlive the server.
    """
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    # Die of the signal itself (not exit 130): `make serve` then stops without reporting an error.
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)
    os._exit(128 + signum)  # not reached for SIGINT/SIGTERM


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
    import anyio
    from mcp import Client

    from hf_train_mcp.app import build_server

    last_news = anyio.current_time()

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        nonlocal last_news
        if message:
            last_news = anyio.current_time()
            print(f"[progress] {message}", file=sys.stderr, flush=True)

    async def heartbeat(started: float) -> None:
        """Tools without progress of their own (a dry run, a Hub upload) still show they are at work."""
        while True:
            await anyio.sleep(HEARTBEAT_S)
            now = anyio.current_time()
            if now - last_news >= HEARTBEAT_S:
                print(f"[progress] {name} still running ({now - started:.0f}s)", file=sys.stderr, flush=True)

    async with Client(build_server()) as client, anyio.create_task_group() as group:
        group.start_soon(heartbeat, anyio.current_time())
        result = await client.call_tool(name, arguments, progress_callback=on_progress)
        group.cancel_scope.cancel()
    if as_json and result.structured_content is not None:
        print(json.dumps(result.structured_content, indent=2))
    else:
        for block in result.content:
            print(getattr(block, "text", block))
    return 1 if result.is_error or _reports_failure(result.structured_content) else 0


def _reports_failure(data: Any) -> bool:
    """The tool answered but judged a failure (validation FAIL, failed rehearsal): `ok: false`."""
    return isinstance(data, dict) and data.get("ok") is False
