"""The structured output of `hf_jobs`: the official Hugging Face MCP server's output schema
(`operation`, `outcome` with a `kind` per operation, `total_results`, `results_shared`), so programs
written for the official tool read ours. Ours adds fields (and outcome kinds for operations the
official tool lacks: `dry_run`, `hardware`, `stats`); it never removes or renames one.

Counts: `total_results` is how many items the operation considered (jobs, lines for logs),
`results_shared` how many the answer carries; informational and error outcomes use 0 for both.
Env and secret VALUES never appear: job records carry their names only.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from hf_train_mcp.jobs.errors import ErrorCode


class _Open(BaseModel):
    """Every object may carry more fields than the official schema lists ("ours may add fields")."""

    model_config = ConfigDict(extra="allow")


class Owner(_Open):
    id: str
    name: str
    type: str | None = Field(None, description='"user" or "org"; absent when the Jobs API did not say.')


class JobStatusOut(_Open):
    stage: str
    message: str | None = None


class JobOut(_Open):
    """One job: the official record (names of env vars and secrets, never their values)."""

    id: str
    url: str | None = None
    created_at: str
    finished_at: str | None = None
    docker_image: str | None = None
    space_id: str | None = None
    command: list[str] | None = None
    environment_variable_names: list[str]
    secret_names: list[str]
    flavor: str
    status: JobStatusOut
    owner: Owner
    created_by: Owner | None = None
    labels: dict[str, str] | None = None
    timeout_seconds: float | None = None


class VolumeOut(_Open):
    type: str
    source: str
    mount_path: str
    revision: str | None = None
    read_only: bool | None = None
    path: str | None = None


class JobSpecOut(_Open):
    docker_image: str | None = None
    space_id: str | None = None
    command: list[str]
    environment_variable_names: list[str]
    secret_names: list[str]
    flavor: str
    timeout_seconds: float | None = None
    volumes: list[VolumeOut] | None = None
    labels: dict[str, str] | None = None


class ScheduledJobOut(_Open):
    id: str
    schedule: str
    suspended: bool
    last_run: str | None = None
    next_run: str | None = None
    owner: Owner
    created_at: str
    job_spec: JobSpecOut


class UsageOutcome(_Open):
    kind: Literal["usage"]
    available_operations: list[str]
    instructions: str


class HelpOutcome(_Open):
    kind: Literal["help"]
    operation: str
    reason: Literal["requested", "missing_arguments"]
    instructions: str


class JobOutcome(_Open):
    kind: Literal["job"]
    job: JobOut
    logs: list[str] | None = None
    logs_finished: bool | None = None
    logs_truncated: bool | None = None
    logs_error: str | None = None


class JobsOutcome(_Open):
    kind: Literal["jobs"]
    jobs: list[JobOut]
    total_jobs: int = Field(ge=0)


class LogsOutcome(_Open):
    kind: Literal["logs"]
    job_id: str
    lines: list[str]
    finished: bool
    truncated: bool


class InspectionOk(_Open):
    job_id: str
    status: Literal["success"]
    job: JobOut


class InspectionFailed(_Open):
    job_id: str
    status: Literal["error"]
    message: str


class InspectionsOutcome(_Open):
    kind: Literal["inspections"]
    requested_job_ids: list[str]
    inspections: list[Annotated[InspectionOk | InspectionFailed, Field(discriminator="status")]]


class ScheduledJobOutcome(_Open):
    kind: Literal["scheduled_job"]
    scheduled_job: ScheduledJobOut


class ScheduledJobsOutcome(_Open):
    kind: Literal["scheduled_jobs"]
    scheduled_jobs: list[ScheduledJobOut]
    total_scheduled_jobs: int = Field(ge=0)


class AcknowledgementOutcome(_Open):
    kind: Literal["acknowledgement"]
    resource_id: str
    action: Literal["canceled", "deleted", "suspended", "resumed"]
    message: str


class UnavailableOutcome(_Open):
    kind: Literal["unavailable"]
    message: str
    upgrade_url: str | None = None


class ErrorOutcome(_Open):
    kind: Literal["error"]
    code: ErrorCode
    message: str


class DryRunOutcome(_Open):
    """Ours: the exact body a submission would send (secret values masked); nothing was sent."""

    kind: Literal["dry_run"]
    spec: dict[str, Any]
    target: str


class HardwareOutcome(_Open):
    """Ours: the flavors with prices."""

    kind: Literal["hardware"]
    flavors: list[dict[str, Any]]


class StatsOutcome(_Open):
    """Ours: one resource-use sample of a running job (metrics null when there is none)."""

    kind: Literal["stats"]
    job_id: str
    metrics: dict[str, Any] | None = None


Outcome = Annotated[
    UsageOutcome
    | HelpOutcome
    | JobOutcome
    | JobsOutcome
    | LogsOutcome
    | InspectionsOutcome
    | ScheduledJobOutcome
    | ScheduledJobsOutcome
    | AcknowledgementOutcome
    | UnavailableOutcome
    | ErrorOutcome
    | DryRunOutcome
    | HardwareOutcome
    | StatsOutcome,
    Field(discriminator="kind"),
]


class HfJobsOutput(_Open):
    """Structured content of every `hf_jobs` answer (the official schema; ours adds keys)."""

    operation: str | None = Field(None, description="The operation that ran (absent for the usage guide).")
    outcome: Outcome
    total_results: int = Field(ge=0, description="Items the operation considered (jobs, or log lines).")
    results_shared: int = Field(ge=0, description="Items this answer carries.")


def envelope(
    operation: str | None, outcome: dict[str, Any], total: int = 0, shared: int = 0
) -> dict[str, Any]:
    """The official top-level keys; callers merge their own keys next to them."""
    out: dict[str, Any] = {
        "outcome": outcome,
        "total_results": max(0, total),
        "results_shared": max(0, shared),
    }
    if operation:
        out["operation"] = operation
    return out
