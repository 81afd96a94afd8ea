"""The remote side of SSH jobs: `hf-train-mcp remote-backend OP [--data-dir DIR]`.

Not an MCP server: one JSON request on stdin, the answer as JSON on stdout (see `wire.py`), run by
the SSH client of the machine that serves MCP. Every operation is `LocalJobsBackend`'s, so queueing,
timeouts, cancel of the whole process group and jobs that outlive this process (and the SSH
connection) come from the local backend. Secret values arrive on stdin and go, in memory, to the
local backend's `submit` (which hands them to the job's supervisor on its stdin).
"""

from __future__ import annotations

import json
import queue
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from hf_train_mcp.jobs.model import LOCAL_FLAVOR, LogLine
from hf_train_mcp.redact import redact
from hf_train_mcp.ssh_jobs import wire

HEARTBEAT_S = 1.0  # while following a silent job: proves the link alive, and finds a dropped one


class _Refused(Exception):
    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


def main(operation: str, data_dir: str | None) -> int:
    out = sys.stdout
    sys.stdout = sys.stderr  # stdout is the wire: nothing else may print there
    try:
        request = _read_request(sys.stdin)
        if operation == "logs":
            return _stream_logs(out, data_dir, request)
        result = _answer(operation, data_dir, request)
        _write(out, {"ok": result})
    except _Refused as exc:
        _write(out, {"error": {"kind": exc.kind, "message": redact(str(exc))}})
        return 1
    except BrokenPipeError:
        return 1
    except Exception as exc:
        _write(out, {"error": _error(exc)})
        return 1
    finally:
        sys.stdout = out
    return 0


def _read_request(stream: IO[str]) -> dict[str, Any]:
    try:
        request = json.loads(stream.read() or "{}")
    except json.JSONDecodeError as exc:
        raise _Refused("bad_request", f"the request on stdin is not JSON: {exc}") from None
    if not isinstance(request, dict):
        raise _Refused("bad_request", "the request on stdin must be a JSON object")
    protocol = request.get("protocol", wire.PROTOCOL)
    if protocol != wire.PROTOCOL:
        import hf_train_mcp

        raise _Refused(
            "protocol",
            f"this hf-train-mcp ({getattr(hf_train_mcp, '__version__', '?')}) speaks protocol "
            f"{wire.PROTOCOL}, the caller {protocol}: install the same version on both machines",
        )
    return request


def _backend(data_dir: str | None) -> Any:
    from hf_train_mcp.local_jobs.backend import LocalJobsBackend

    return LocalJobsBackend(Path(data_dir).expanduser() if data_dir else None)


def _error(exc: BaseException) -> dict[str, str]:
    from hf_train_mcp.errors import AgentError
    from hf_train_mcp.local_jobs.backend import LocalJobNotFoundError

    if isinstance(exc, LocalJobNotFoundError):
        return {"kind": "not_found", "message": redact(str(exc))}
    if isinstance(exc, AgentError):
        return {"kind": "refused", "message": redact(str(exc))}
    return {"kind": "internal", "message": redact(f"{type(exc).__name__}: {exc}")}


def _job_id(request: dict[str, Any]) -> str:
    job_id = request.get("job_id")
    if not isinstance(job_id, str) or not job_id:
        raise _Refused("bad_request", "job_id is required")
    return job_id


def _answer(operation: str, data_dir: str | None, request: dict[str, Any]) -> Any:
    if operation == "hello":
        return _hello(data_dir)
    backend = _backend(data_dir)
    if operation == "submit":
        submission = wire.submission_from_json(request.get("submission") or {})
        submission.flavor = LOCAL_FLAVOR
        return wire.view_to_json(backend.submit(submission))
    if operation == "list":
        views = backend.list(include_finished=bool(request.get("include_finished")))
        return [wire.view_to_json(v) for v in views]
    if operation == "inspect":
        return wire.view_to_json(backend.inspect(_job_id(request)))
    if operation == "cancel":
        return wire.view_to_json(backend.cancel(_job_id(request)))
    if operation == "metrics":
        return wire.metrics_to_json(backend.metrics(_job_id(request)))
    raise _Refused("bad_request", f"unknown operation {operation!r}; known: {', '.join(wire.OPERATIONS)}")


def _hello(data_dir: str | None) -> dict[str, Any]:
    import hf_train_mcp
    from hf_train_mcp.local_jobs import gpus
    from hf_train_mcp.local_jobs.backend import find_uv

    backend = _backend(data_dir)
    return {
        "protocol": wire.PROTOCOL,
        "version": getattr(hf_train_mcp, "__version__", None),
        "data_dir": str(backend.data_dir),
        "python": sys.executable,
        "uv": find_uv(),
        "hardware": gpus.local_flavor(),
    }


def _stream_logs(out: IO[str], data_dir: str | None, request: dict[str, Any]) -> int:
    """Lines as `{"line": {"n", "t", "text"}}`, numbered from the log's start so a client that lost the
    connection asks again with `after` and misses or repeats nothing."""
    backend = _backend(data_dir)
    job_id = _job_id(request)
    follow = bool(request.get("follow"))
    after = request.get("after")
    tail = request.get("tail")
    if isinstance(after, int) and after >= 0:
        start = after
    elif isinstance(tail, int) and tail >= 0:
        start = max(0, len(list(backend.logs(job_id, tail=None, follow=False))) - tail)
    else:
        start = 0
    lines = backend.logs(job_id, tail=None, follow=follow)
    _write(out, {"from": start})
    for index, line in _with_heartbeats(lines):
        if line is None:
            _write(out, {"alive": True})
        elif index >= start:
            _write(out, {"line": wire.line_to_json(index, line)})
    _write(out, {"end": True, "job": wire.view_to_json(backend.inspect(job_id))})
    return 0


def _with_heartbeats(lines: Iterator[LogLine]) -> Iterator[tuple[int, LogLine | None]]:
    """(index, line), with (-1, None) whenever no line came for HEARTBEAT_S."""
    items: queue.Queue[Any] = queue.Queue()
    done = object()

    def read() -> None:
        try:
            for item in lines:
                items.put(item)
        except BaseException as exc:
            items.put(exc)
        items.put(done)

    threading.Thread(target=read, name="remote-logs", daemon=True).start()
    index = 0
    while True:
        try:
            item = items.get(timeout=HEARTBEAT_S)
        except queue.Empty:
            yield -1, None
            continue
        if item is done:
            return
        if isinstance(item, BaseException):
            raise item
        yield index, item
        index += 1


def _write(out: IO[str], message: dict[str, Any]) -> None:
    out.write(json.dumps(message) + "\n")
    out.flush()
