"""Which backend runs a job: flavor "local" and ids starting "local-" go to this machine's
`LocalJobsBackend` (imported lazily: it is optional), flavor "ssh:NAME" and ids "ssh:NAME:..." to the
user's SSH host NAME (`hf_train_mcp.ssh_jobs`), everything else to Hugging Face Jobs.
"""

from __future__ import annotations

import importlib
import importlib.util
import threading
from typing import Any

from hf_train_mcp import access, hub
from hf_train_mcp.jobs.errors import JobsError
from hf_train_mcp.jobs.hub_backend import HubJobsBackend
from hf_train_mcp.jobs.model import LOCAL_FLAVOR, JobsBackend, JobView, is_local_job_id, is_ssh

LOCAL_MODULE = "hf_train_mcp.local_jobs.backend"
LOCAL_GPUS_MODULE = "hf_train_mcp.local_jobs.gpus"
LOCAL_UNAVAILABLE = (
    'Local jobs (flavor "local", ids "local-...") are not available in this installation of hf-train-mcp '
    f"({LOCAL_MODULE} is missing). Use a Hugging Face flavor such as cpu-basic or a10g-large instead "
    '(the "hardware" operation lists them with prices).'
)

_local_lock = threading.Lock()
_local_instance: Any = None


def local_available() -> bool:
    if not access.local_allowed():  # HTTP without --allow-local: this machine is off limits
        return False
    try:
        return importlib.util.find_spec(LOCAL_MODULE) is not None
    except (ImportError, ValueError):
        return False


def local_backend() -> JobsBackend:
    """The process-wide local backend, or a JobsError saying local jobs are not available."""
    global _local_instance
    access.require_local('Local jobs (flavor "local", ids "local-...")')
    if _local_instance is not None:
        return _local_instance
    with _local_lock:
        if _local_instance is None:
            try:
                module = importlib.import_module(LOCAL_MODULE)
            except ModuleNotFoundError as exc:
                if exc.name and LOCAL_MODULE.startswith(exc.name):
                    raise JobsError(LOCAL_UNAVAILABLE) from None
                raise
            factory = getattr(module, "get_backend", None) or getattr(module, "LocalJobsBackend", None)
            if factory is None:
                raise JobsError(LOCAL_UNAVAILABLE)
            _local_instance = factory()
    return _local_instance


def no_token_message() -> str:
    if local_available():
        return (
            hub.NO_TOKEN_HELP + ' Without an account, run the job on this machine with flavor "local" '
            "(same operations: ps, logs, inspect, cancel, stats)."
        )
    return hub.NO_TOKEN_HELP


def hub_backend() -> HubJobsBackend:
    """The Hugging Face Jobs backend for the caller's token (a JobsError when there is none)."""
    token = hub.get_token()
    if not token:
        raise JobsError(no_token_message())
    return HubJobsBackend(token)


def backend_for_flavor(flavor: str) -> JobsBackend | HubJobsBackend:
    if is_ssh(flavor):
        from hf_train_mcp.ssh_jobs.backend import backend_for

        return backend_for(flavor)
    return local_backend() if flavor == LOCAL_FLAVOR else hub_backend()


def backend_for_job(job_id: str) -> JobsBackend | HubJobsBackend:
    if is_ssh(job_id):
        from hf_train_mcp.ssh_jobs.backend import backend_for_job as ssh_backend_for_job

        return ssh_backend_for_job(job_id)
    return local_backend() if is_local_job_id(job_id) else hub_backend()


def ssh_jobs(include_finished: bool) -> tuple[list[JobView], list[str]]:
    """Jobs on every configured SSH host, and a note per host that could not be asked."""
    from hf_train_mcp.ssh_jobs.backend import list_all

    try:
        return list_all(include_finished)
    except Exception as exc:  # e.g. a broken host file: ps still lists the other jobs
        return [], [f"SSH hosts could not be listed: {exc}"]


def ssh_hardware() -> tuple[list[dict[str, Any]], list[str]]:
    """Each configured SSH host as a hardware row (flavor "ssh:NAME"), and a note per host that failed."""
    from hf_train_mcp.ssh_jobs.backend import hardware_rows

    try:
        return hardware_rows()
    except Exception as exc:
        return [], [f"SSH hosts could not be described: {exc}"]


def local_hardware() -> list[dict[str, Any]]:
    """This machine as flavor "local", from `hf_train_mcp.local_jobs.gpus` when it exists ([] otherwise).

    Accepts what that module offers: `local_flavor()` / `describe()` returning a dict, or
    `detect_gpus()` / `list_gpus()` returning GPUs (dicts or objects with name and memory).
    """
    try:
        if importlib.util.find_spec(LOCAL_GPUS_MODULE) is None:
            return []
        module = importlib.import_module(LOCAL_GPUS_MODULE)
    except Exception:
        return []
    for name in ("local_flavor", "describe", "local_hardware", "machine"):
        func = getattr(module, name, None)
        if callable(func):
            try:
                value = func()
            except Exception:
                return []
            if isinstance(value, dict):
                return [value]
            if isinstance(value, list):
                return [v if isinstance(v, dict) else _as_dict(v) for v in value]
            return [_as_dict(value)]
    for name in ("detect_gpus", "list_gpus", "gpus"):
        func = getattr(module, name, None)
        if callable(func):
            try:
                gpus = [g if isinstance(g, dict) else _as_dict(g) for g in func() or []]
            except Exception:
                return []
            return [{"name": LOCAL_FLAVOR, "gpus": gpus}]
    return []


def _as_dict(value: Any) -> dict[str, Any]:
    if hasattr(value, "__dataclass_fields__"):
        from dataclasses import asdict

        return asdict(value)
    if hasattr(value, "model_dump"):
        return value.model_dump()
    return (
        {k: v for k, v in vars(value).items() if not k.startswith("_")}
        if hasattr(value, "__dict__")
        else {"description": str(value)}
    )
