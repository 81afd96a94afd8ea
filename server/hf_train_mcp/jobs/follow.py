"""Bounded log following: read a backend's blocking log stream in a worker thread, hand lines to the
event loop, report each line as progress ("job: <line>", like the official server), and stop at a
deadline. Lines are cleaned (control characters, overlong lines) and masked as they arrive, so
neither memory nor a notification ever holds more than a bounded, safe line.

The stream (`fetch_job_logs(follow=True)`) blocks for as long as the job runs, so it lives in a daemon
thread. Stopping aborts its Hub calls (`hub_abort.AbortHandle`): the open stream's socket is shut down and
the client's next request (its reconnect or stage check) raises, so the thread ends within moments
instead of living as long as the job.
"""

from __future__ import annotations

import queue
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

import anyio

from hf_train_mcp import hub_abort
from hf_train_mcp.jobs.model import LogLine
from hf_train_mcp.redact import redact

T = TypeVar("T")
POLL_SECONDS = 0.1
MAX_PROGRESS_PER_POLL = 10  # lines relayed per poll; a faster stream relays only its latest ones
MAX_PROGRESS_LINE = 300
PROGRESS_PREFIX = "job: "

_END = object()
_live: set[threading.Thread] = set()
_live_lock = threading.Lock()


def live_threads() -> list[threading.Thread]:
    """Worker threads still running (tests check they end after a follow)."""
    with _live_lock:
        return [t for t in _live if t.is_alive()]


class _Worker:
    """Runs `produce(emit)` in a daemon thread under an abort handle."""

    def __init__(self, produce: Callable[[Callable[[Any], None]], None], name: str) -> None:
        self.items: queue.Queue[Any] = queue.Queue()
        self.handle = hub_abort.AbortHandle()
        self.error: BaseException | None = None
        self.done = threading.Event()
        self._produce = produce
        self.thread = threading.Thread(target=self._run, name=name, daemon=True)

    def _emit(self, item: Any) -> None:
        if self.handle.aborted:
            raise hub_abort.HubCallAborted("stopped")
        self.items.put(item)

    def _run(self) -> None:
        try:
            with hub_abort.abortable(self.handle):
                self._produce(self._emit)
        except BaseException as exc:  # reported to the consumer unless we asked it to stop
            if not self.handle.aborted:
                self.error = exc
        finally:
            self.done.set()
            self.items.put(_END)
            with _live_lock:
                _live.discard(self.thread)

    def start(self) -> _Worker:
        with _live_lock:
            _live.add(self.thread)
        self.thread.start()
        return self

    def stop(self) -> None:
        self.handle.abort()


@dataclass
class FollowResult:
    lines: list[str] = field(default_factory=list)  # the last `tail` lines seen
    count: int = 0  # lines seen in total
    ended: bool = False  # the stream ended by itself (the job finished, for a follow stream)
    timed_out: bool = False  # stopped at the deadline
    cut: bool = False  # some line was too long and was shortened
    error: BaseException | None = None


ProgressFn = Callable[[float, float | None, str], Awaitable[None]]


async def collect_lines(
    open_stream: Callable[[], Iterator[LogLine]],
    *,
    seconds: float,
    tail: int,
    on_progress: ProgressFn | None = None,
    name: str = "hf-jobs-logs",
    mask: Callable[[str], str] | None = None,
) -> FollowResult:
    """Read lines from `open_stream()` in a worker thread for at most `seconds`.

    Each line is cleaned (`formatting.clean_line`) and passed through `mask` (the job's env values).
    """
    from hf_train_mcp.jobs.logtext import clean_line

    def produce(emit: Callable[[Any], None]) -> None:
        stream = open_stream()
        try:
            for line in stream:
                emit(line)
        finally:
            close = getattr(stream, "close", None)
            if close is not None:
                close()

    worker = _Worker(produce, name).start()
    result = FollowResult()
    kept: deque[str] = deque(maxlen=tail)
    start = time.monotonic()
    deadline = start + max(0.0, seconds)
    last_progress = 0.0
    pending: deque[str] = deque(maxlen=MAX_PROGRESS_PER_POLL)
    try:
        while True:
            finished = False
            while True:
                try:
                    item = worker.items.get_nowait()
                except queue.Empty:
                    break
                if item is _END:
                    finished = True
                    break
                raw = item.text if isinstance(item, LogLine) else str(item)
                text = clean_line(raw)
                if mask is not None:
                    text = mask(text)
                result.cut = result.cut or (len(text) < len(raw) and "[... long line cut ...]" in text)
                kept.append(text)
                result.count += 1
                pending.append(text)
            now = time.monotonic()
            if on_progress is not None:
                while pending:
                    last_progress = max(last_progress + 0.001, round(now - start, 3))
                    line = pending.popleft()[:MAX_PROGRESS_LINE]
                    await on_progress(last_progress, seconds or None, redact(PROGRESS_PREFIX + line))
            pending.clear()
            if finished:
                result.ended = worker.error is None
                result.error = worker.error
                break
            if now >= deadline:
                result.timed_out = True
                break
            await anyio.sleep(min(POLL_SECONDS, max(0.0, deadline - now)))
    finally:
        worker.stop()
    result.lines = list(kept)
    return result


async def run_bounded(func: Callable[[], T], *, seconds: float, name: str = "hf-jobs-call") -> T | None:
    """`func()` in a worker thread; None if it has not returned within `seconds` (its Hub calls are
    then aborted). Exceptions propagate."""
    box: list[T] = []

    def produce(emit: Callable[[Any], None]) -> None:
        box.append(func())

    worker = _Worker(produce, name).start()
    deadline = time.monotonic() + seconds
    try:
        while not worker.done.is_set():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            await anyio.sleep(min(POLL_SECONDS / 2, remaining))
    finally:
        worker.stop()
    if worker.error is not None:
        raise worker.error
    return box[0] if box else None
