"""Doors for the security suite: a real `hf-train-mcp --transport http` subprocess, an MCP client over it
(with or without a bearer token), and a "silent Hub" that accepts connections and never answers."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from served import free_port, stop, wait_until_listening

TOKEN = "test-bearer-token-0123456789abcdef"


@dataclass
class HttpServer:
    url: str
    port: int
    proc: subprocess.Popen[str]
    stderr_path: Path

    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")


def server_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("HF_TRAIN_MCP_AUTH_TOKEN", None)
    env.update(extra)
    return env


@contextlib.contextmanager
def http_server(
    *args: str, env: dict[str, str] | None = None, tmp_path: Path, host: str = "127.0.0.1"
) -> Iterator[HttpServer]:
    """`hf-train-mcp --transport http --host HOST --port P ARGS...`, ready to answer."""
    port = free_port()
    stderr_path = tmp_path / f"server-{port}.err"
    with open(stderr_path, "w") as err:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "hf_train_mcp",
                "--transport",
                "http",
                "--host",
                host,
                "--port",
                str(port),
                *args,
            ],
            stdout=subprocess.DEVNULL,
            stderr=err,
            env=env or server_env(),
            text=True,
        )
    server = HttpServer(f"http://127.0.0.1:{port}/mcp", port, proc, stderr_path)
    try:
        wait_until_listening(proc, port, 30, server.stderr)
        yield server
    finally:
        stop(proc)


@contextlib.asynccontextmanager
async def mcp_over_http(url: str, token: str | None = None, **headers: str) -> AsyncIterator[Any]:
    """A real MCP client over streamable HTTP, sending `Authorization: Bearer <token>` when given."""
    import httpx2
    from mcp import Client
    from mcp.client.streamable_http import streamable_http_client

    sent = dict(headers)
    if token:
        sent["Authorization"] = f"Bearer {token}"
    async with (
        httpx2.AsyncClient(headers=sent, timeout=60) as http,
        Client(streamable_http_client(url, http_client=http)) as client,
    ):
        yield client


class SilentHub:
    """Accepts TCP connections and never answers: the worst kind of down."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(128)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.held: list[socket.socket] = []
        self._stop = False
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        self.sock.settimeout(0.2)
        while not self._stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.held.append(conn)  # never read, never answered

    def close(self) -> None:
        self._stop = True
        self.thread.join(timeout=2)
        for conn in self.held:
            conn.close()
        self.sock.close()
