"""Argument handling of hf_jobs: defaults of the official tool, accepted spellings, refusals."""

from __future__ import annotations

import pytest
from hf_train_mcp.jobs import arg_parsing as a
from hf_train_mcp.jobs.args import OPERATIONS
from hf_train_mcp.jobs.errors import JobsArgumentError
from hf_train_mcp.jobs.timeouts import TimeoutFormatError, format_duration, parse_timeout


def test_defaults_match_the_official_tool() -> None:
    run = a.parse_args("run", {"command": "echo hi"})
    assert (run.image, run.flavor, run.timeout, run.detach) == ("python:3.12", "cpu-basic", "30m", False)
    assert run.timeout_seconds == 1800
    uv = a.parse_args("uv", {"script": "print(1)"})
    assert (uv.flavor, uv.timeout, uv.image, uv.with_deps) == ("cpu-basic", "30m", None, None)
    assert a.parse_args("ps", {}).all is False
    assert a.parse_args("logs", {"job_id": "x"}).tail == 20
    assert a.parse_args("scheduled run", {"command": ["a"], "schedule": "@hourly"}).suspend is False


def test_skill_spellings_are_accepted() -> None:
    uv = a.parse_args(
        "uv", {"script": "print(1)", "dependencies": ["trl", "peft"], "image": "my/uv:1", "timeout": 14400}
    )
    assert uv.with_deps == ["trl", "peft"] and uv.image == "my/uv:1" and uv.timeout_seconds == 14400
    sched = a.parse_args("scheduled suspend", {"job_id": "abc"})
    assert sched.scheduled_job_id == "abc"
    assert a.parse_args("uv", {"script": "x", "with_deps": "trl, peft"}).with_deps == ["trl", "peft"]
    assert a.parse_args("uv", {"script": "x", "script_args": "--epochs 3"}).script_args == ["--epochs", "3"]
    assert a.parse_args("uv", {"script": "x", "python": 3.11}).python == "3.11"
    env = a.parse_args("run", {"command": ["a"], "env": {"EPOCHS": 3, "FLAG": True}}).env
    assert env == {"EPOCHS": "3", "FLAG": "true"}


def test_unknown_keys_are_refused_with_the_valid_ones() -> None:
    with pytest.raises(JobsArgumentError) as err:
        a.parse_args("uv", {"script": "x", "dependecies": ["trl"]})
    text = str(err.value)
    assert '"dependecies"' in text and 'did you mean "dependencies"' in text
    assert "with_deps" in text and "script_args" in text


def test_conflicting_aliases_are_refused() -> None:
    with pytest.raises(JobsArgumentError, match="same argument"):
        a.parse_args("uv", {"script": "x", "with_deps": ["a"], "dependencies": ["b"]})


def test_missing_and_invalid_fields_are_named_with_an_example() -> None:
    with pytest.raises(JobsArgumentError) as err:
        a.parse_args("run", {"flavor": "cpu-basic", "timeout": "soon", "wait_seconds": 9999})
    text = str(err.value)
    assert "command: required" in text
    assert "timeout" in text and "not a duration" in text
    assert "wait_seconds" in text
    assert '"operation": "run"' in text


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("30m", 1800),
        ("4h", 14400),
        ("1.5h", 5400),
        ("2h30m", 9000),
        ("4H", 14400),
        (14400, 14400),
        ("3600", 3600),
        ("90s", 90),
        ("1d", 86400),
        (" 45 m ", 2700),
        (None, 1800),
    ],
)
def test_timeouts(value: object, seconds: int) -> None:
    assert parse_timeout(value) == seconds  # type: ignore[arg-type]


@pytest.mark.parametrize("value", ["soon", "-5m", "0", "4x", "10w", True, 30 * 86400])
def test_bad_timeouts(value: object) -> None:
    with pytest.raises(TimeoutFormatError):
        parse_timeout(value)  # type: ignore[arg-type]


def test_format_duration() -> None:
    assert [format_duration(s) for s in (45, 187, 8100, 14400, 93600)] == [
        "45s",
        "3m 7s",
        "2h 15m",
        "4h",
        "1d 2h",
    ]


@pytest.mark.parametrize("schedule", ["@hourly", "@Daily", "0 9 * * 1", "*/5 * * * *", "0 9 * * MON-FRI"])
def test_schedules(schedule: str) -> None:
    assert a.parse_args("scheduled run", {"command": ["a"], "schedule": schedule}).schedule


@pytest.mark.parametrize("schedule", ["hourly", "@fortnightly", "0 9 * *", "every day"])
def test_bad_schedules(schedule: str) -> None:
    with pytest.raises(JobsArgumentError, match="schedule"):
        a.parse_args("scheduled run", {"command": ["a"], "schedule": schedule})


def test_operation_names_are_normalized() -> None:
    assert a.normalize_operation("Scheduled_Run") == "scheduled run"
    assert a.normalize_operation(" scheduled-uv ") == "scheduled uv"
    with pytest.raises(JobsArgumentError, match='Did you mean "logs"'):
        a.normalize_operation("log")


def test_help_lists_every_argument_and_an_example() -> None:
    for operation, model in OPERATIONS.items():
        text = a.operation_help(operation)
        for name in model.model_fields:
            assert f"`{name}`" in text
        assert "```json" in text and f'"operation": "{operation}"' in text
