"""Job output made fit for an answer: escape sequences and control characters removed, long lines
cut, the job's env values masked, and the whole bounded in bytes. Job output is untrusted text: a
terminal escape, a NUL or one 50 MB line must not reach an agent's context as it is.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from hf_train_mcp.redact import MASK

MAX_LINE_CHARS = 2000  # one log line in an answer; a longer one is cut in the middle
MAX_LOG_BYTES = 48_000  # all log lines of one answer together (UTF-8)
MIN_MASKED_VALUE = 4  # shorter env values would mask ordinary words ("1", "true")

# ANSI escape sequences (colors, cursor moves, OSC titles) and the remaining C0/C1 control characters.
_ANSI = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])")
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f]")


def clean_line(text: str) -> str:
    """A job's output line made safe to show: escape sequences and control characters removed (tabs
    kept), at most `MAX_LINE_CHARS` characters (the middle of a longer one is replaced by a marker)."""
    if len(text) > 4 * MAX_LINE_CHARS:  # do not scan megabytes for escapes we will not show
        text = text[: 2 * MAX_LINE_CHARS] + text[-2 * MAX_LINE_CHARS :]
        cut = True
    else:
        cut = False
    text = _CONTROL.sub("", _ANSI.sub("", text))
    if len(text) > MAX_LINE_CHARS or cut:
        half = MAX_LINE_CHARS // 2
        text = text[:half] + " [... long line cut ...] " + text[-half:]
    return text


def value_masker(values: Iterable[Any]) -> Callable[[str], str]:
    """Replace each of a job's env values (longest first) with the mask: the job's own output would
    otherwise print them back (`env=plain-value`)."""
    wanted = sorted(
        {v for v in values if isinstance(v, str) and len(v) >= MIN_MASKED_VALUE}, key=len, reverse=True
    )
    if not wanted:
        return lambda text: text
    pattern = re.compile("|".join(re.escape(v) for v in wanted))
    return lambda text: pattern.sub(MASK, text)


def bound_lines(lines: list[str], max_bytes: int = MAX_LOG_BYTES) -> tuple[list[str], bool]:
    """The last lines that fit in `max_bytes`; True when earlier ones were left out."""
    kept: list[str] = []
    size = 0
    for line in reversed(lines):
        size += len(line.encode("utf-8", errors="replace")) + 1
        if size > max_bytes and kept:
            return kept[::-1], True
        kept.append(line)
    return kept[::-1], False
