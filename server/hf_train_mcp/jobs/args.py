"""The arguments of every `hf_jobs` operation: names, defaults, the spellings agents send, and the
refusal of anything else.

Compatible with the official Hugging Face MCP server's `hf_jobs` (same names and defaults) plus the
spellings the training skills use: `dependencies` for `with_deps`, `image` on uv jobs, integer
timeouts, `job_id` for scheduled operations. Unknown keys are refused with the list of valid ones,
never dropped: a silently ignored `dependencies` list is a job that fails an hour later.
"""

from __future__ import annotations

import json
import re
import shlex
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from hf_train_mcp.jobs.model import is_own_machine
from hf_train_mcp.jobs.timeouts import DEFAULT_TIMEOUT, TimeoutFormatError, parse_timeout

DEFAULT_RUN_IMAGE = "python:3.12"
DEFAULT_UV_IMAGE = "ghcr.io/astral-sh/uv:python3.12-bookworm"
DEFAULT_FLAVOR = "cpu-basic"
DEFAULT_WAIT_SECONDS = 10.0
MAX_WAIT_SECONDS = 300.0
DEFAULT_TAIL = 20
MAX_TAIL = 1000
DEFAULT_PS_LIMIT = 20
MAX_PS_LIMIT = 200

SCHEDULE_SHORTHANDS = ("@annually", "@yearly", "@monthly", "@weekly", "@daily", "@hourly")
_CRON_FIELD = re.compile(r"^[\d*/,\-A-Za-z?LW#]+$")


MAX_ATTEMPTS = 5  # each attempt bills up to the timeout again


class OpArgs(BaseModel):
    """Arguments every operation takes."""

    model_config = ConfigDict(extra="forbid")

    # alias -> canonical field name (spellings agents send)
    aliases: ClassVar[dict[str, str]] = {}
    example: ClassVar[dict[str, Any]] = {}
    summary: ClassVar[str] = ""

    namespace: str | None = Field(
        None, description="User or organization that owns the jobs (default: the token's user)."
    )


def _to_str_list(value: Any, *, split_commas: bool) -> Any:
    if value is None:
        return None
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return []
        if text.startswith("["):
            try:
                value = json.loads(text)
            except json.JSONDecodeError:
                pass
            else:
                return [str(v) for v in value] if isinstance(value, list) else value
        if split_commas:
            return [part for part in re.split(r"[,\s]+", text) if part]
        return shlex.split(text)
    if isinstance(value, list | tuple):
        return [
            v if isinstance(v, str) else json.dumps(v) if isinstance(v, dict | list) else str(v)
            for v in value
        ]
    return value


def _to_str_dict(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            str(k): v
            if isinstance(v, str)
            else json.dumps(v)
            if isinstance(v, dict | list)
            else str(v).lower()
            if isinstance(v, bool)
            else str(v)
            for k, v in value.items()
        }
    return value


class SubmitArgs(OpArgs):
    """What run and uv share: where, how long, with what environment."""

    flavor: str = Field(
        DEFAULT_FLAVOR,
        description="Hardware flavor, e.g. cpu-basic, t4-small, a10g-large, a100-large, h200 "
        '(the "hardware" operation lists them with prices); "local" runs the job on this machine; '
        '"ssh:NAME" on your SSH host NAME (configured in the server\'s SSH host file).',
    )
    env: dict[str, str] | None = Field(
        None, description='Environment variables. A value "$HF_TOKEN" is replaced by your token.'
    )
    secrets: dict[str, str] | list[str] | None = Field(
        None,
        description='Secret environment variables (encrypted, never shown). {"HF_TOKEN": "$HF_TOKEN"} passes '
        "your token; a list of names takes their values from the server's environment.",
    )
    timeout: str | int | float = Field(
        DEFAULT_TIMEOUT,
        description='Maximum run time: "30m", "4h", "1.5h", "2h30m" or an integer number of seconds. '
        "The job is killed (and billing stops) when it is reached; set it above your estimate.",
    )
    volumes: list[str | dict[str, Any]] | None = Field(
        None,
        description='Hub repos or buckets to mount: "hf://datasets/org/name:/data[:ro]", '
        '"hf://buckets/org/bucket:/out", or {"type", "source", "mount_path"} objects.',
    )
    attempts: int | None = Field(
        None,
        ge=1,
        le=MAX_ATTEMPTS,
        description="Hub jobs: runs in all if the job fails or is stopped (2 = one automatic re-run; "
        "generated training scripts resume from their last pushed checkpoint). Default 1.",
    )
    detach: bool = Field(False, description="Return right after submitting instead of following the logs.")
    wait_seconds: float = Field(
        DEFAULT_WAIT_SECONDS,
        ge=0,
        le=MAX_WAIT_SECONDS,
        description=f"How long to follow the logs after submitting (default {DEFAULT_WAIT_SECONDS:g}s, "
        f"max {MAX_WAIT_SECONDS:g}s); stops early when the job ends.",
    )
    tail: int = Field(DEFAULT_TAIL, ge=1, le=MAX_TAIL, description="Log lines to return when following.")
    dry_run: bool = Field(
        False, description="Return the exact job spec that would be sent (secrets masked) without sending it."
    )
    name: str | None = Field(None, description="A name for the job (shown by ps).")
    labels: dict[str, str] | None = Field(None, description="Labels (key-value pairs) to attach to the job.")
    allow_duplicate: bool = Field(
        False,
        description="Submit even when an identical job (same spec) is still running; by default that job is "
        "answered instead.",
    )
    local_python: str | None = Field(
        None,
        description='flavor "local" or "ssh:NAME" only: run a uv script with this Python interpreter of '
        "that machine (its dependencies already installed) instead of `uv run`.",
    )

    @field_validator("env", "labels", mode="before")
    @classmethod
    def _str_values(cls, value: Any) -> Any:
        return _to_str_dict(value)

    @field_validator("secrets", mode="before")
    @classmethod
    def _secrets(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [part for part in re.split(r"[,\s]+", value) if part]
        return _to_str_dict(value)

    @field_validator("flavor", mode="before")
    @classmethod
    def _flavor(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("timeout")
    @classmethod
    def _timeout(cls, value: Any) -> Any:
        try:
            parse_timeout(value)
        except TimeoutFormatError as exc:
            raise ValueError(str(exc)) from None
        return value

    @property
    def timeout_seconds(self) -> int:
        return parse_timeout(self.timeout)

    @model_validator(mode="after")
    def _local_only(self) -> SubmitArgs:
        if self.local_python and not is_own_machine(self.flavor):
            raise ValueError('local_python only applies to flavor "local" or "ssh:NAME"')
        return self


class RunArgs(SubmitArgs):
    summary = "Run a command in a Docker image (or a Space's image) on Hugging Face hardware."
    example = {
        "image": "python:3.12",
        "command": ["python", "-c", "print('Hello from HF Jobs!')"],
        "flavor": "cpu-basic",
        "timeout": "10m",
    }

    image: str = Field(
        DEFAULT_RUN_IMAGE,
        description='Docker image ("python:3.12", "pytorch/pytorch:2.6.0-cuda12.4-cudnn9-devel") or a Space '
        '("hf.co/spaces/user/space").',
    )
    command: str | list[str] = Field(
        description='Command to run. A list is passed as is (["python", "-c", "..."]); a string is split '
        'like a shell would, without shell operators (use ["bash", "-c", "a && b"] for those).'
    )

    @field_validator("command", mode="before")
    @classmethod
    def _command(cls, value: Any) -> Any:
        if isinstance(value, list | tuple):
            return _to_str_list(value, split_commas=False)
        return value

    @field_validator("command")
    @classmethod
    def _command_not_empty(cls, value: Any) -> Any:
        if (isinstance(value, str) and not value.strip()) or (isinstance(value, list) and not value):
            raise ValueError("command is empty")
        return value


class UvArgs(SubmitArgs):
    summary = (
        "Run a Python script with uv (PEP 723 inline dependencies honoured): a URL, a path to a "
        "local file, or inline code. Local files and inline code travel inside the job spec."
    )
    aliases = {
        "dependencies": "with_deps",
        "deps": "with_deps",
        "with": "with_deps",
        "arguments": "script_args",
    }
    example = {
        "script": "train.py",
        "with_deps": ["trl", "peft"],
        "flavor": "a10g-large",
        "timeout": "2h",
        "secrets": {"HF_TOKEN": "$HF_TOKEN"},
    }

    script: str = Field(
        description="A URL (https://...), a path to a local .py file, or the Python code itself "
        "(one line or many)."
    )
    with_deps: list[str] | None = Field(
        None, description="Extra packages for `uv run --with`, on top of the script's PEP 723 header."
    )
    script_args: list[str] | None = Field(None, description="Arguments passed to the script.")
    python: str | None = Field(None, description='Python version for uv, e.g. "3.12".')
    image: str | None = Field(
        None, description=f"Docker image with uv installed (default {DEFAULT_UV_IMAGE})."
    )

    @field_validator("with_deps", mode="before")
    @classmethod
    def _deps(cls, value: Any) -> Any:
        return _to_str_list(value, split_commas=True)

    @field_validator("script_args", mode="before")
    @classmethod
    def _script_args(cls, value: Any) -> Any:
        return _to_str_list(value, split_commas=False)

    @field_validator("python", mode="before")
    @classmethod
    def _python(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value

    @field_validator("script")
    @classmethod
    def _script_not_empty(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("script is empty")
        return value


class ScheduleFields(BaseModel):
    schedule: str = Field(
        description='When to run: "@hourly", "@daily", "@weekly", "@monthly", "@yearly" or a cron expression '
        '("0 9 * * 1" is 9:00 every Monday, UTC).'
    )
    suspend: bool = Field(False, description="Create the schedule suspended (paused).")
    concurrency: bool | None = Field(
        None, description="Allow a new run while the previous one is still running (default: no)."
    )

    @field_validator("schedule")
    @classmethod
    def _schedule(cls, value: str) -> str:
        text = value.strip()
        if text.startswith("@"):
            if text.lower() not in SCHEDULE_SHORTHANDS:
                raise ValueError(f"unknown shorthand {text!r}; use one of {', '.join(SCHEDULE_SHORTHANDS)}")
            return text.lower()
        fields = text.split()
        if len(fields) != 5 or not all(_CRON_FIELD.match(f) for f in fields):
            raise ValueError(
                f"{value!r} is not a schedule: use @hourly/@daily/@weekly/@monthly/@yearly or a 5-field "
                'cron expression (minute hour day-of-month month day-of-week), e.g. "0 */6 * * *"'
            )
        return " ".join(fields)


class ScheduledRunArgs(RunArgs, ScheduleFields):
    summary = "Create a schedule that runs a command (like run) periodically."
    example = {"schedule": "@hourly", "image": "python:3.12", "command": ["python", "-c", "print('tick')"]}


class ScheduledUvArgs(UvArgs, ScheduleFields):
    summary = "Create a schedule that runs a uv script (like uv) periodically."
    example = {
        "schedule": "0 9 * * 1-5",
        "script": "import datetime\nprint('daily check', datetime.date.today())",
    }


class PsArgs(OpArgs):
    summary = "List jobs: running and scheduling ones by default, newest first."
    example: ClassVar[dict[str, Any]] = {}

    all: bool = Field(False, description="Include finished jobs (completed, canceled, error).")
    status: str | None = Field(
        None, description="Only jobs whose stage contains this text (RUNNING, COMPLETED, ERROR, CANCELED...)."
    )
    limit: int = Field(DEFAULT_PS_LIMIT, ge=1, le=MAX_PS_LIMIT, description="Most rows to show.")


class JobIdArgs(OpArgs):
    aliases = {"id": "job_id", "jobId": "job_id"}

    job_id: str = Field(description="Job id (as shown by ps or returned by run/uv).")

    @field_validator("job_id")
    @classmethod
    def _job_id(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("job_id is empty")
        return value


class LogsArgs(JobIdArgs):
    summary = "Show the last lines of a job's logs; wait_seconds follows a running job for a while."
    example = {"job_id": "your-job-id", "tail": 50}

    tail: int = Field(DEFAULT_TAIL, ge=1, le=MAX_TAIL, description="Number of last lines to return.")
    wait_seconds: float = Field(
        0,
        ge=0,
        le=MAX_WAIT_SECONDS,
        description=f"Follow a running job this long (max {MAX_WAIT_SECONDS:g}s) before answering.",
    )


class InspectArgs(OpArgs):
    summary = "Details of one or more jobs: status, hardware, timeout, command, env and secret names."
    aliases = {"id": "job_id", "jobId": "job_id", "job_ids": "job_id"}
    example = {"job_id": "your-job-id"}

    job_id: str | list[str] = Field(description="Job id, or a list of job ids.")

    @field_validator("job_id")
    @classmethod
    def _ids(cls, value: str | list[str]) -> str | list[str]:
        if (isinstance(value, list) and not value) or (isinstance(value, str) and not value.strip()):
            raise ValueError("job_id is empty")
        return value

    @property
    def job_ids(self) -> list[str]:
        return [self.job_id.strip()] if isinstance(self.job_id, str) else [j.strip() for j in self.job_id]


class CancelArgs(JobIdArgs):
    summary = "Cancel a running or scheduling job (billing stops)."
    example = {"job_id": "your-job-id"}


class StatsArgs(JobIdArgs):
    summary = "Current resource use of a running job: CPU, memory, GPU utilization and memory."
    example = {"job_id": "your-job-id"}


class HardwareArgs(OpArgs):
    summary = (
        "List the hardware flavors with their prices (live from the Hub), and this machine (flavor local)."
    )
    example: ClassVar[dict[str, Any]] = {}


class ScheduledPsArgs(OpArgs):
    summary = "List scheduled jobs (suspended ones only with all)."
    example: ClassVar[dict[str, Any]] = {}

    all: bool = Field(False, description="Include suspended schedules.")


class ScheduledJobArgs(OpArgs):
    aliases = {"job_id": "scheduled_job_id", "id": "scheduled_job_id", "scheduledJobId": "scheduled_job_id"}
    example = {"scheduled_job_id": "your-scheduled-job-id"}

    scheduled_job_id: str = Field(description='Scheduled job id (also accepted as "job_id").')


class ScheduledInspectArgs(ScheduledJobArgs):
    summary = "Details of a scheduled job: schedule, last and next run, job spec."


class ScheduledDeleteArgs(ScheduledJobArgs):
    summary = "Delete a scheduled job (runs already started are not canceled)."


class ScheduledSuspendArgs(ScheduledJobArgs):
    summary = "Pause a scheduled job."


class ScheduledResumeArgs(ScheduledJobArgs):
    summary = "Resume a paused scheduled job."


class ScheduledTriggerArgs(ScheduledJobArgs):
    summary = "Start one run of a scheduled job now (its schedule is unchanged)."


OPERATIONS: dict[str, type[OpArgs]] = {
    "run": RunArgs,
    "uv": UvArgs,
    "ps": PsArgs,
    "logs": LogsArgs,
    "inspect": InspectArgs,
    "cancel": CancelArgs,
    "hardware": HardwareArgs,
    "stats": StatsArgs,
    "scheduled run": ScheduledRunArgs,
    "scheduled uv": ScheduledUvArgs,
    "scheduled ps": ScheduledPsArgs,
    "scheduled inspect": ScheduledInspectArgs,
    "scheduled delete": ScheduledDeleteArgs,
    "scheduled suspend": ScheduledSuspendArgs,
    "scheduled resume": ScheduledResumeArgs,
    "scheduled trigger": ScheduledTriggerArgs,
}
