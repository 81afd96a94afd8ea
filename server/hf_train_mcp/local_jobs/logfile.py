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
    try:  # fromisoformat is ~20x faster than strptime: reading 2 MB of lines must stay quick
        timestamp = datetime.fromisoformat(stamp).replace(tzinfo=UTC)
    except ValueError:
        return LogLine(timestamp=None, text=line)
    return LogLine(timestamp=timestamp, text=text)


MAX_FIRST_READ_BYTES = 2 * 1024 * 1024  # a reader starts at most this far before the end of the file
_BLOCK = 64 * 1024


def _skipped_note(skipped: int) -> LogLine:
    return LogLine(
        timestamp=None,
        text=f"[hf-train-mcp: {skipped:,} earlier bytes of this log not read; only the end is shown]",
    )


def read_tail(path: Path, lines: int, max_bytes: int = MAX_FIRST_READ_BYTES) -> list[LogLine]:
    """The last `lines` complete lines, reading backwards from the end and never more than
    `max_bytes`: the cost depends on what is asked for, not on the size of the log."""
    if not path.exists():
        return []
    with open(path, "rb") as handle:
        end = handle.seek(0, os.SEEK_END)
        pos = end
        data = b""
        while pos > 0 and data.count(b"\n") <= lines and end - pos < max_bytes:
            step = min(_BLOCK, pos, max_bytes - (end - pos))
            pos -= step
            handle.seek(pos)
            data = handle.read(step) + data
    body, _, _partial = data.rpartition(b"\n")  # the last line may still be being written
    if not body and not data.endswith(b"\n"):
        return []
    chunks = body.split(b"\n")
    if pos > 0:
        chunks = chunks[1:]  # the first chunk starts mid-line
    out = [parse_line(c.decode("utf-8", errors="replace")) for c in chunks[-lines:]] if lines > 0 else []
    if pos > 0 and len(out) < lines:
        out.insert(0, _skipped_note(pos))
    return out


class LogReader:
    """Reads the complete lines appended to a log file since the last call.

    The first call starts at most `MAX_FIRST_READ_BYTES` before the end (a note line says how much
    was skipped), so asking for the logs of a job with a huge log costs the same as a small one;
    later calls read only what was appended since.
    """

    def __init__(self, path: Path, max_first_read: int = MAX_FIRST_READ_BYTES) -> None:
        self.path = path
        self._offset: int | None = None
        self._partial = b""
        self._max_first_read = max_first_read

    def read_new(self) -> list[LogLine]:
        notes: list[LogLine] = []
        first = self._offset is None
        try:
            with open(self.path, "rb") as handle:
                if self._offset is None:
                    size = handle.seek(0, os.SEEK_END)
                    self._offset = max(0, size - self._max_first_read)
                start = self._offset
                handle.seek(start)
                data = handle.read()
        except FileNotFoundError:
            return []
        self._offset = start + len(data)
        if first and start > 0:
            notes.append(_skipped_note(start))
            newline = data.find(b"\n")
            if 0 <= newline < len(data) - 1:
                data = data[newline + 1 :]  # drop the cut first line when a whole one follows
        *lines, self._partial = (self._partial + data).split(b"\n")
        return notes + [parse_line(line.decode("utf-8", errors="replace")) for line in lines]
