"""Hub calls one thread can stop from another: a bounded log follower that stops listening aborts the
calls of the thread that reads the stream (the next request raises `HubCallAborted`, open streams are
shut down so a blocked read returns at once). `hub`'s request hook consults `current_handle()`.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from typing import Any

_thread_state = threading.local()


class HubCallAborted(Exception):
    """Raised in a thread whose Hub calls were aborted from another thread."""


class AbortHandle:
    """Lets one thread stop another's Hub calls: the next request raises `HubCallAborted` and
    streams already open are shut down, so a blocked read returns at once."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._aborted = False
        self._responses: list[Any] = []

    @property
    def aborted(self) -> bool:
        return self._aborted

    def track(self, response: Any) -> None:
        with self._lock:
            self._responses.append(response)
            aborted = self._aborted
        if aborted:
            _shutdown(response)

    def abort(self) -> None:
        with self._lock:
            self._aborted = True
            responses, self._responses = self._responses, []
        for response in responses:
            _shutdown(response)


def _shutdown(response: Any) -> None:
    try:
        stream = response.extensions.get("network_stream")
        sock = stream.get_extra_info("socket") if stream is not None else None
        if sock is not None:
            sock.shutdown(socket.SHUT_RDWR)
    except Exception:  # best effort: the socket may already be closed
        pass


@contextlib.contextmanager
def abortable(handle: AbortHandle) -> Iterator[AbortHandle]:
    """Within this block, Hub calls of the current thread can be aborted through `handle`."""
    previous = getattr(_thread_state, "handle", None)
    _thread_state.handle = handle
    try:
        yield handle
    finally:
        _thread_state.handle = previous


def aborted_in_this_thread() -> bool:
    """True when the caller of this thread (a bounded log follower) has stopped listening.

    Backends whose log stream polls (local jobs) can check it to end a follow early."""
    handle = current_handle()
    return handle is not None and handle.aborted


def current_handle() -> AbortHandle | None:
    """The abort handle of this thread's calls, if a caller set one (`abortable`)."""
    return getattr(_thread_state, "handle", None)
