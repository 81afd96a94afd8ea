"""The job vocabulary shared by every backend (Hugging Face Jobs, local processes).

`hf_jobs` formats and reasons about `JobView`s only; a backend turns a `JobSubmission` into a job and
answers the read operations. That is what lets `ps`, `logs`, `inspect`, `cancel` and `stats` behave the
same for a Hub job and for a job running on this machine.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol

Stage = Literal["SCHEDULING", "RUNNING", "COMPLETED", "CANCELED", "ERROR", "DELETED"]
TERMINAL_STAGES: frozenset[str] = frozenset({"COMPLETED", "CANCELED", "ERROR", "DELETED"})
ACTIVE_STAGES: frozenset[str] = frozenset({"SCHEDULING", "RUNNING"})
LOCAL_FLAVOR = "local"
LOCAL_ID_PREFIX = "local-"
SSH_FLAVOR_PREFIX = "ssh:"  # flavor "ssh:NAME" and ids "ssh:NAME:local-<hex>": the user's own host NAME


@dataclass
class UvScript:
    """A uv job before it becomes a command: backends decide how to ship and run the script."""

    source: str  # URL, or the script's text (a local file is read into text by the tool)
    is_url: bool
    file_name: str = "script.py"
    dependencies: list[str] = field(default_factory=list)  # extra `--with` packages
    python: str | None = None
    script_args: list[str] = field(default_factory=list)


@dataclass
class JobSubmission:
    """Everything needed to start a job. Secret VALUES live only here, never in a JobView."""

    image: str
    command: list[str]
    flavor: str
    env: dict[str, str] = field(default_factory=dict)
    secrets: dict[str, str] = field(default_factory=dict)
    timeout_seconds: int | None = None
    labels: dict[str, str] = field(default_factory=dict)
    namespace: str | None = None
    uv: UvScript | None = None  # set for uv jobs; `command` is then the Hub form of it
    local_python: str | None = None  # local backend: run the uv script with this interpreter, not `uv run`
    volumes: list[str | dict[str, Any]] = field(default_factory=list)  # Hub mounts: "hf://...:/path" or dicts
    attempts: int | None = None  # Hub jobs: runs in all when the job fails or is stopped (None: the Hub's 1)


@dataclass
class JobView:
    """One job as every operation reports it. Carries env and secret NAMES, never secret values."""

    id: str
    owner: str
    stage: str
    flavor: str
    command: list[str]
    backend: Literal["hub", "local", "ssh"] = "hub"
    url: str | None = None
    message: str | None = None
    image: str | None = None
    space_id: str | None = None
    created_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    env: dict[str, str] = field(default_factory=dict)
    secret_names: list[str] = field(default_factory=list)
    timeout_seconds: int | None = None
    labels: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # backend remarks, e.g. "image ignored: no container"
    owner_id: str | None = None
    owner_type: str | None = None  # "user" / "org"; None when the Jobs API did not say
    created_by: dict[str, Any] | None = None  # {"id", "name", "type"?} of who started it, when known

    @property
    def is_terminal(self) -> bool:
        return self.stage in TERMINAL_STAGES


@dataclass
class LogLine:
    timestamp: datetime | None
    text: str


@dataclass
class MetricsSample:
    """One reading of a running job's resource use (the Hub's metrics event, normalized)."""

    cpu_usage_pct: float | None = None
    memory_used_bytes: int | None = None
    memory_total_bytes: int | None = None
    gpus: dict[str, dict[str, float]] = field(default_factory=dict)  # id -> utilization, memory_used/total


class JobsBackend(Protocol):
    """What `hf_jobs` needs from a place that runs jobs."""

    def submit(self, submission: JobSubmission) -> JobView: ...

    def list(self, *, include_finished: bool, namespace: str | None = None) -> list[JobView]: ...

    def inspect(self, job_id: str, *, namespace: str | None = None) -> JobView: ...

    def cancel(self, job_id: str, *, namespace: str | None = None) -> JobView: ...

    def logs(
        self, job_id: str, *, tail: int | None, follow: bool, namespace: str | None = None
    ) -> Iterator[LogLine]:
        """Log lines in order. follow=True keeps yielding until the job ends; the caller bounds time."""
        ...

    def metrics(self, job_id: str, *, namespace: str | None = None) -> MetricsSample | None:
        """One current sample, or None when the job is not running."""
        ...


def is_local_job_id(job_id: str) -> bool:
    return job_id.startswith(LOCAL_ID_PREFIX)


def is_ssh(flavor_or_job_id: str) -> bool:
    return flavor_or_job_id.startswith(SSH_FLAVOR_PREFIX)


def is_own_machine(flavor: str) -> bool:
    """Flavors that run on a machine of the user's (this one, or an SSH host), without Hugging Face."""
    return flavor == LOCAL_FLAVOR or is_ssh(flavor)
