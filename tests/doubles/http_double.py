"""A loopback HTTP server for test doubles: regex routes, streamed answers, a record of every
request, and fault injection — so the real `huggingface_hub` client can be pointed at it.

Each double (Jobs API, repos, dataset viewer) registers its routes on a `LoopbackServer`; one
server can carry several doubles because the client has only one HF_ENDPOINT.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    at: float = 0.0  # time.monotonic() when it arrived: tests measure the client's waits with it

    def json(self) -> Any:
        return json.loads(self.body or b"null")

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default


@dataclass
class Response:
    status: int = 200
    body: Any = None  # dict/list -> JSON; str/bytes -> as is
    headers: dict[str, str] = field(default_factory=dict)
    stream: Iterable[bytes] | None = None  # streamed, connection closed at the end (SSE)


@dataclass
class Fault:
    method: str
    pattern: re.Pattern[str]
    status: int | None
    delay: float
    times: int
    body: Any
    headers: dict[str, str]
    stream: Iterable[bytes] | None = None


Handler = Callable[..., Response]


class LoopbackServer:
    """Start with `start()`, stop with `stop()`; `url` is the base to use as HF_ENDPOINT."""

    def __init__(self) -> None:
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = []
        self._faults: list[Fault] = []
        self._lock = threading.Lock()
        self.requests: list[Request] = []
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- routes ---------------------------------------------------------------------------------
    def route(self, method: str, pattern: str) -> Callable[[Handler], Handler]:
        """Register `handler(request, **named_groups) -> Response` for a full-path regex."""

        def decorator(handler: Handler) -> Handler:
            self._routes.append((method.upper(), re.compile(pattern + r"\Z"), handler))
            return handler

        return decorator

    def inject(
        self,
        method: str,
        path_pattern: str,
        *,
        status: int | None = -1,
        delay: float = 0.0,
        times: int = 1,
        body: Any = None,
        headers: dict[str, str] | None = None,
        stream: Iterable[bytes] | None = None,
    ) -> None:
        """The next `times` matching requests are delayed by `delay` s and, if `status`, answered with it
        (500 unless told; `status=None`: only delayed, then served by the route).

        With `stream`, the answer is those bytes with `status` (200 unless told) and the connection closes:
        with a Content-Length header larger than them, a body cut off mid-download."""
        if status == -1:
            status = 200 if stream is not None else 500
        with self._lock:
            self._faults.append(
                Fault(
                    method.upper(),
                    re.compile(path_pattern),
                    status,
                    delay,
                    times,
                    body if body is not None else {"error": f"injected {status}"},
                    headers or {},
                    list(stream) if stream is not None else None,
                )
            )

    def received(self, method: str | None = None, path_pattern: str | None = None) -> list[Request]:
        with self._lock:
            reqs = list(self.requests)
        return [
            r
            for r in reqs
            if (method is None or r.method == method.upper())
            and (path_pattern is None or re.search(path_pattern, r.path))
        ]

    # --- lifecycle ------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        assert self._httpd is not None, "server not started"
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> LoopbackServer:
        server = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

            def _handle(self) -> None:
                server._dispatch(self)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = _handle

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="loopback-double",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> LoopbackServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- dispatch -------------------------------------------------------------------------------
    def _take_fault(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.times > 0 and fault.method in (method, "*") and fault.pattern.search(path):
                    fault.times -= 1
                    return fault
        return None

    def _dispatch(self, h: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(h.path)
        length = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(length) if length else b""
        request = Request(
            h.command,
            parts.path,
            parse_qs(parts.query, keep_blank_values=True),
            {k.lower(): v for k, v in h.headers.items()},
            body,
            time.monotonic(),
        )
        with self._lock:
            self.requests.append(request)
        fault = self._take_fault(request.method, request.path)
        if fault is not None:
            if fault.delay:
                time.sleep(fault.delay)
            if fault.stream is not None:
                self._write(h, Response(fault.status or 200, headers=fault.headers, stream=fault.stream))
                return
            if fault.status is not None:
                self._write(h, Response(fault.status, fault.body, fault.headers))
                return
        for method, pattern, handler in self._routes:
            match = pattern.match(request.path)
            if match and (method == request.method or (method == "GET" and request.method == "HEAD")):
                try:
                    response = handler(request, **match.groupdict())
                except Exception as exc:  # a bug in the double: make it loud in the answer
                    response = Response(500, {"error": f"double crashed: {type(exc).__name__}: {exc}"})
                self._write(h, response)
                return
        self._write(h, Response(404, {"error": f"no route for {request.method} {request.path}"}))

    @staticmethod
    def _write(h: BaseHTTPRequestHandler, response: Response) -> None:
        try:
            if response.stream is not None:
                h.send_response(response.status)
                for key, value in response.headers.items():
                    h.send_header(key, value)
                h.send_header("Connection", "close")
                h.end_headers()
                h.close_connection = True
                for chunk in _iterate(response.stream):
                    h.wfile.write(chunk)
                    h.wfile.flush()
                return
            body = response.body
            content_type = response.headers.get("Content-Type")
            if isinstance(body, dict | list) or (body is None and response.status >= 400):
                payload = json.dumps(body).encode()
                content_type = content_type or "application/json"
            elif isinstance(body, str):
                payload = body.encode()
                content_type = content_type or "text/plain; charset=utf-8"
            else:
                payload = body or b""
                content_type = content_type or "application/octet-stream"
            h.send_response(response.status)
            for key, value in response.headers.items():
                if key.lower() != "content-type":
                    h.send_header(key, value)
            h.send_header("Content-Type", content_type)
            h.send_header("Content-Length", str(len(payload)))
            h.end_headers()
            if h.command != "HEAD":
                h.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client went away (e.g. stopped following a log stream)


def _iterate(stream: Iterable[bytes]) -> Iterator[bytes]:
    yield from stream


def sse(data: Any, event: str | None = None) -> bytes:
    """One server-sent event."""
    prefix = f"event: {event}\n" if event else ""
    return f"{prefix}data: {json.dumps(data)}\n\n".encode()
