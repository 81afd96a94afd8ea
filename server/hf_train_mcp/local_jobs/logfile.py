"""The log file of a local job: one `<UTC ISO timestamp>\\t<text>\\n` line per output line.

The supervisor writes each line with a single `write` on an O_APPEND descriptor; readers only take
lines that end with a newline. So a reader never sees half a line and lines stay in order.
Carriage returns (progress bars) also end a line, so a tqdm bar streams as successive lines.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from hf_train_mcp.jobs.model import LogLine

TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
MAX_LINE_BYTES = 64 * 1024  # a longer run of output with no newline is cut into lines of this size
STALE_PARTIAL_S = 2.0  # a partial line (no newline yet) is written out after this much silence


def now_stamp() -> str:
    return datetime.now(UTC).strftime(TIMESTAMP_FORMAT)


class LogWriter:
    """Splits a byte stream into lines and appends them, stamped, to the log file."""

    def __init__(self, path: Path, mask: Callable[[str], str] = lambda text: text) -> None:
        self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        self._mask = mask
        self._pending = b""
        self._last_data = time.monotonic()
        self._after_cr = False  # the last chunk ended with "\r": a "\n" starting the next one ends nothing

    def feed(self, data: bytes) -> None:
        if not data:
            return
        self._last_data = time.monotonic()
        if self._after_cr and data.startswith(b"\n"):
            data = data[1:]
        self._after_cr = data.endswith(b"\r")
        buffer = self._pending + data
        *lines, self._pending = buffer.split(b"\n")
        for line in lines:
            if b"\r" in line:
                for piece in line.split(b"\r"):
                    if piece.strip():
                        self.write_line(piece)
            else:
                self.write_line(line)
        if b"\r" in self._pending:  # progress updates: emit every finished one now
            *pieces, self._pending = self._pending.split(b"\r")
            for piece in pieces:
                if piece.strip():
                    self.write_line(piece)
        while len(self._pending) > MAX_LINE_BYTES:
            self.write_line(self._pending[:MAX_LINE_BYTES])
            self._pending = self._pending[MAX_LINE_BYTES:]

    def flush_stale(self) -> None:
        """Write out a partial line that has waited `STALE_PARTIAL_S` for its newline."""
        if self._pending and time.monotonic() - self._last_data >= STALE_PARTIAL_S:
            self.flush()

    def flush(self) -> None:
        if self._pending.strip(b"\r"):
            self.write_line(self._pending.strip(b"\r"))
        self._pending = b""

    def write_line(self, raw: bytes | str) -> None:
        text = raw if isinstance(raw, str) else raw.decode("utf-8", errors="replace")
        text = self._mask(text.replace("\n", " "))
        os.write(self._fd, f"{now_stamp()}\t{text}\n".encode())

    def close(self) -> None:
        self.flush()
        os.close(self._fd)


def append_line(path: Path, text: str) -> None:
    """Append one stamped line (for notes written when no supervisor is running)."""
    writer = LogWriter(path)
    try:
        writer.write_line(text)
    finally:
        writer.close()


def parse_line(line: str) -> LogLine:
    stamp, sep, text = line.partition("\t")
    if not sep:
        return LogLine(timestamp=None, text=line)
    try:
        timestamp = datetime.strptime(stamp, TIMESTAMP_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        return LogLine(timestamp=None, text=line)
    return LogLine(timestamp=timestamp, text=text)


class LogReader:
    """Reads the complete lines appended to a log file since the last call."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._offset = 0
        self._partial = b""

    def read_new(self) -> list[LogLine]:
        try:
            with open(self.path, "rb") as handle:
                handle.seek(self._offset)
                data = handle.read()
        except FileNotFoundError:
            return []
        self._offset += len(data)
        *lines, self._partial = (self._partial + data).split(b"\n")
        return [parse_line(line.decode("utf-8", errors="replace")) for line in lines]
