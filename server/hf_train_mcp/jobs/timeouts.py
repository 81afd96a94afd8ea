"""Job timeouts: what agents send ("30m", "4h", "1.5h", "2h30m", 3600, "3600") to seconds and back.

The Hub client accepts only lower-case single-unit strings and bare numbers; agents also send
upper-case units, compound durations and integers. Everything is normalized to whole seconds here so
the job spec always carries `timeoutSeconds`.
"""

from __future__ import annotations

import re

DEFAULT_TIMEOUT = "30m"
DEFAULT_TIMEOUT_SECONDS = 30 * 60
MAX_TIMEOUT_SECONDS = 7 * 24 * 3600  # a week: anything longer is a typo (seconds given as minutes...)

_UNITS = {
    "s": 1,
    "sec": 1,
    "secs": 1,
    "m": 60,
    "min": 60,
    "mins": 60,
    "h": 3600,
    "hr": 3600,
    "hrs": 3600,
    "d": 86400,
}
_PART = re.compile(r"(\d+(?:\.\d+)?)\s*(secs|sec|s|mins|min|m|hrs|hr|h|d)")


class TimeoutFormatError(ValueError):
    pass


def parse_timeout(value: str | int | float | None) -> int:
    """Seconds for a timeout; None means the default (30 minutes)."""
    if value is None:
        return DEFAULT_TIMEOUT_SECONDS
    if isinstance(value, bool):
        raise TimeoutFormatError('timeout must be a duration such as "30m", "4h" or a number of seconds')
    if isinstance(value, int | float):
        seconds = float(value)
    else:
        text = value.strip().lower().replace(" ", "")
        if not text:
            return DEFAULT_TIMEOUT_SECONDS
        if re.fullmatch(r"\d+(?:\.\d+)?", text):
            seconds = float(text)
        else:
            pos, seconds = 0, 0.0
            for match in _PART.finditer(text):
                if match.start() != pos:
                    break
                seconds += float(match.group(1)) * _UNITS[match.group(2)]
                pos = match.end()
            if pos != len(text) or pos == 0:
                raise TimeoutFormatError(
                    f"timeout {value!r} is not a duration: use a number with a unit s, m, h or d "
                    '("45m", "4h", "1.5h", "2h30m") or an integer number of seconds (14400)'
                )
    if seconds <= 0:
        raise TimeoutFormatError(f"timeout must be positive, got {value!r}")
    if seconds > MAX_TIMEOUT_SECONDS:
        raise TimeoutFormatError(
            f"timeout {value!r} is {seconds / 86400:.1f} days, above the 7-day limit this tool accepts; "
            'integers are seconds (4 hours is 14400 or "4h")'
        )
    return max(1, round(seconds))


def format_duration(seconds: float | int | None) -> str:
    """Compact human duration: 45s, 3m 7s, 2h 15m, 1d 2h."""
    if seconds is None:
        return "-"
    total = round(seconds)
    if total < 60:
        return f"{total}s"
    minutes, secs = divmod(total, 60)
    if minutes < 60:
        return f"{minutes}m {secs}s" if secs else f"{minutes}m"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours}h {minutes}m" if minutes else f"{hours}h"
    days, hours = divmod(hours, 24)
    return f"{days}d {hours}h" if hours else f"{days}d"
