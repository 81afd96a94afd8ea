"""The JSON both ends of an SSH job exchange: requests on the remote side's stdin, answers on its stdout.

One request per connection. Single answers are one JSON object, `{"ok": ...}` or `{"error": {"kind",
"message"}}`; a log stream is one object per line (`{"line"}`, `{"alive"}` heartbeats, then `{"end"}`
or `{"error"}`). PROTOCOL changes when either end would misread the other.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

from hf_train_mcp.jobs.model import JobSubmission, JobView, LogLine, MetricsSample, UvScript

PROTOCOL = 1
OPERATIONS = ("hello", "submit", "list", "inspect", "cancel", "logs", "metrics")


def submission_to_json(sub: JobSubmission) -> dict[str, Any]:
    """Everything, secret values included: this travels on stdin only, never on a command line."""
    return dataclasses.asdict(sub)


def submission_from_json(data: dict[str, Any]) -> JobSubmission:
    fields = {f.name for f in dataclasses.fields(JobSubmission)}
    values = {k: v for k, v in data.items() if k in fields}
    uv = values.get("uv")
    if isinstance(uv, dict):
        values["uv"] = UvScript(
            **{k: v for k, v in uv.items() if k in {f.name for f in dataclasses.fields(UvScript)}}
        )
    return JobSubmission(**values)


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _parse_time(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) and value else None


def view_to_json(view: JobView) -> dict[str, Any]:
    data = dataclasses.asdict(view)
    for name in ("created_at", "started_at", "finished_at"):
        data[name] = _time(getattr(view, name))
    return data


def view_from_json(data: dict[str, Any]) -> JobView:
    fields = {f.name for f in dataclasses.fields(JobView)}
    values = {k: v for k, v in data.items() if k in fields}
    for name in ("created_at", "started_at", "finished_at"):
        values[name] = _parse_time(values.get(name))
    return JobView(**values)


def line_to_json(index: int, line: LogLine) -> dict[str, Any]:
    return {"n": index, "t": _time(line.timestamp), "text": line.text}


def line_from_json(data: dict[str, Any]) -> tuple[int, LogLine]:
    return int(data["n"]), LogLine(_parse_time(data.get("t")), str(data.get("text", "")))


def metrics_to_json(sample: MetricsSample | None) -> dict[str, Any] | None:
    return None if sample is None else dataclasses.asdict(sample)


def metrics_from_json(data: dict[str, Any] | None) -> MetricsSample | None:
    return None if data is None else MetricsSample(**data)
