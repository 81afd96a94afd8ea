"""Tolerant reading of the Jobs API's answers.

The Jobs API's objects are not schema-stable: owners come without `type` or with extra profile
fields, timestamps and nested objects may be missing or odd. `huggingface_hub`'s `JobInfo` and
`ScheduledJobInfo` require some of them (`owner["type"]`, `status["stage"]`, `lastJob["at"]`), so one
odd field would lose a job that exists — and after a submission the Hub accepted, an agent would
retry and start a duplicate paid job.

We keep the real client for every request and only normalise each answer's JSON before the client
builds its objects: `install()` swaps the two classes the client constructs for subclasses whose
`__init__` first calls `normalize_job` / `normalize_scheduled`. Fields that are present and valid
pass through unchanged; unknown fields are kept (the client ignores them).
"""

from __future__ import annotations

import threading
from typing import Any

UNKNOWN_STAGE = "UNKNOWN"
_install_lock = threading.Lock()


def _dict(value: Any) -> dict[str, Any]:
    return dict(value) if isinstance(value, dict) else {}


def _str_list(value: Any) -> list[str] | None:
    if value is None:
        return None
    if not isinstance(value, list):
        return []
    return [str(v) for v in value if v is not None]


def _valid_time(value: Any) -> bool:
    if not isinstance(value, str) or not value:
        return False
    from huggingface_hub.utils import parse_datetime

    try:
        parse_datetime(value)
    except Exception:
        return False
    return True


def _times(data: dict[str, Any], *keys: str) -> None:
    for key in keys:
        if key in data and not _valid_time(data[key]):
            del data[key]


def normalize_owner(value: Any) -> dict[str, Any]:
    """`{"id", "name", "type"}` from whatever owner object the API sent (type None when unknown)."""
    owner = _dict(value)
    name = owner.get("name") or owner.get("id") or ""
    kind = owner.get("type")
    return {
        **owner,
        "id": str(owner.get("id") or name),
        "name": str(name),
        "type": kind if isinstance(kind, str) and kind else None,
    }


def _volumes(value: Any) -> list[dict[str, Any]] | None:
    if not isinstance(value, list):
        return None
    kept = [
        v
        for v in value
        if isinstance(v, dict) and v.get("source") and (v.get("mountPath") or v.get("mount_path"))
    ]
    return kept or None


def _spec(value: Any) -> dict[str, Any]:
    """A job spec's fields (also the top level of a job answer) made safe for the client."""
    spec = _dict(value)
    for key in ("command", "arguments"):
        if key in spec:
            spec[key] = _str_list(spec[key])
    for key in ("environment", "labels"):
        if key in spec and spec[key] is not None and not isinstance(spec[key], dict):
            spec[key] = {}
    if "secrets" in spec and spec["secrets"] is not None and not isinstance(spec["secrets"], dict | list):
        spec["secrets"] = []
    if "volumes" in spec:
        spec["volumes"] = _volumes(spec["volumes"])
    if "timeout" not in spec and isinstance(spec.get("timeoutSeconds"), int | float):
        spec["timeout"] = int(spec["timeoutSeconds"])  # the wire name; JobSpec reads `timeout`
    if "expose" in spec and not isinstance(spec["expose"], dict):
        spec["expose"] = None
    return spec


def normalize_job(data: dict[str, Any]) -> dict[str, Any]:
    """A job answer (JobInfo JSON) that `huggingface_hub.JobInfo` can always build."""
    job = _spec(data)
    job["owner"] = normalize_owner(job.get("owner"))
    status = _dict(job.get("status"))
    stage = status.get("stage")
    status["stage"] = stage if isinstance(stage, str) and stage else UNKNOWN_STAGE
    if status.get("message") is not None and not isinstance(status["message"], str):
        status["message"] = str(status["message"])
    job["status"] = status
    _times(job, "createdAt", "startedAt", "finishedAt", "created_at", "started_at", "finished_at")
    if "durations" in job and not isinstance(job["durations"], dict):
        job["durations"] = None
    initiator = job.get("initiator")
    if initiator is not None and not (
        isinstance(initiator, dict) and "type" in initiator and "id" in initiator
    ):
        job["initiator"] = None
    network = job.get("network")
    if network is not None and not (isinstance(network, dict) and "group" in network):
        job["network"] = None
    return job


def normalize_scheduled(data: dict[str, Any]) -> dict[str, Any]:
    """A scheduled-job answer that `huggingface_hub.ScheduledJobInfo` can always build."""
    info = dict(data)
    info["owner"] = normalize_owner(info.get("owner"))
    spec_key = "jobSpec" if "jobSpec" in info or "job_spec" not in info else "job_spec"
    info[spec_key] = _spec(info.get(spec_key))
    _times(info, "createdAt", "created_at")
    status = _dict(info.get("status"))
    last = status.get("lastJob", status.get("last_job"))
    if last is not None and not (isinstance(last, dict) and last.get("id") and _valid_time(last.get("at"))):
        status.pop("lastJob", None)
        status.pop("last_job", None)
    for key in ("nextJobRunAt", "next_job_run_at"):
        if key in status and not _valid_time(status[key]):
            del status[key]
    info["status"] = status
    return info


def install() -> None:
    """Make `huggingface_hub` build jobs and scheduled jobs from normalised JSON (idempotent)."""
    import huggingface_hub
    from huggingface_hub import hf_api  # the module whose JobInfo/ScheduledJobInfo run_job builds

    from hf_train_mcp.jobs.client_private import scheduled_job_info_class

    if getattr(hf_api.JobInfo, "hf_train_mcp_tolerant", False):
        return
    with _install_lock:
        if getattr(hf_api.JobInfo, "hf_train_mcp_tolerant", False):
            return

        class TolerantJobInfo(huggingface_hub.JobInfo):
            hf_train_mcp_tolerant = True

            def __init__(self, **kwargs: Any) -> None:
                data = normalize_job(kwargs)
                super().__init__(**data)
                # Fields the client does not read but the official output reports.
                created_by = data.get("createdBy")
                self.created_by = normalize_owner(created_by) if isinstance(created_by, dict) else None
                timeout = data.get("timeout", data.get("timeoutSeconds"))
                self.timeout_seconds = int(timeout) if isinstance(timeout, int | float) else None

        class TolerantScheduledJobInfo(scheduled_job_info_class()):  # type: ignore[misc]
            hf_train_mcp_tolerant = True

            def __init__(self, **kwargs: Any) -> None:
                super().__init__(**normalize_scheduled(kwargs))

        hf_api.ScheduledJobInfo = TolerantScheduledJobInfo  # type: ignore[misc]
        hf_api.JobInfo = TolerantJobInfo  # type: ignore[misc]
