"""The timeout grammar both tools share (hf_jobs and the training tools): its edges, and refusals that say
what to send instead. (Kills the mutants mutmut found surviving in jobs/timeouts.py.)"""

from __future__ import annotations

import pytest
from hf_train_mcp.jobs.timeouts import TimeoutFormatError, format_duration, parse_timeout


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("2h 30m", 9000),
        ("1 h 30 min", 5400),
        ("1s", 1),
        (1, 1),
        (0.4, 1),
        ("7d", 7 * 86400),
        (604800, 604800),
    ],
)
def test_edges_that_are_accepted(value: object, seconds: int) -> None:
    assert parse_timeout(value) == seconds  # type: ignore[arg-type]


def _refusal(value: object) -> str:
    with pytest.raises(TimeoutFormatError) as info:
        parse_timeout(value)  # type: ignore[arg-type]
    return str(info.value)


def test_a_boolean_is_refused_with_examples() -> None:
    message = _refusal(True)
    assert message == 'timeout must be a duration such as "30m", "4h" or a number of seconds'


@pytest.mark.parametrize("value", ["30mx", "x30m", "30m!", "h"])
def test_trailing_or_leading_junk_is_refused_with_the_grammar(value: str) -> None:
    message = _refusal(value)
    assert message.startswith(f"timeout {value!r} is not a duration: use a number with a unit s, m, h or d")
    assert message.endswith('("45m", "4h", "1.5h", "2h30m") or an integer number of seconds (14400)')


@pytest.mark.parametrize("value", [0, "0", "0s", -3])
def test_zero_or_negative_is_refused(value: object) -> None:
    assert _refusal(value) == f"timeout must be positive, got {value!r}"


def test_more_than_a_week_says_how_many_days_and_that_integers_are_seconds() -> None:
    message = _refusal("8d")
    assert message == (
        "timeout '8d' is 8.0 days, above the 7-day limit this tool accepts; "
        'integers are seconds (4 hours is 14400 or "4h")'
    )
    assert "7.0 days" in _refusal(604801)
    assert "7.1 days" in _refusal(609125)  # 7.05006 days: a day is 86,400 s exactly


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (None, "-"),
        (0, "0s"),
        (59, "59s"),
        (59.6, "1m"),
        (60, "1m"),
        (61, "1m 1s"),
        (3599, "59m 59s"),
        (3600, "1h"),
        (3660, "1h 1m"),
        (86399, "23h 59m"),
        (86400, "1d"),
        (90000, "1d 1h"),
    ],
)
def test_format_duration_at_each_unit_boundary(seconds: float | None, text: str) -> None:
    assert format_duration(seconds) == text
