"""The official hf_jobs tests, replayed against ours.

Source: huggingface/hf-mcp-server v0.4.12 — packages/mcp/test/jobs/{command-translation,uv-command,
formatters,jobs-output,sse-handler}.spec.ts, packages/app/test/server/jobs-progress-wiring.test.ts and
the end-to-end agent packages/e2e-python/jobs-testing/agent.py. Each official call is translated into
the `hf_jobs` call an agent would make (the official unit under test runs inside that tool), sent
through a real MCP client to our server, which talks to the Jobs API double with the real
`huggingface_hub` client; then the official expectation is asserted on what the Hub received (the
job spec), the structured content (the official output schema) or the text.

`DEVIATIONS` lists the calls where we differ on purpose, with the reason; those cases assert our
behaviour instead. `python tests/jobs/test_official_replay.py` prints the inventory (calls replayed,
matching, deviations); `pytest tests/jobs/test_official_replay.py` runs it.
"""

from __future__ import annotations

import base64
import json
import re
import shlex
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest

pytestmark = pytest.mark.anyio

UV_IMAGE = "ghcr.io/astral-sh/uv:python3.12-bookworm"


@dataclass
class Case:
    name: str
    source: str  # official file › test
    calls: int  # official calls this case replays
    body: Callable[..., Awaitable[None]]
    deviation: str | None = None


CASES: list[Case] = []


def official(source: str, calls: int = 1, deviation: str | None = None) -> Callable[..., Any]:
    def register(body: Callable[..., Awaitable[None]]) -> Callable[..., Awaitable[None]]:
        CASES.append(Case(body.__name__, source, calls, body, deviation))
        return body

    return register


# --- helpers ------------------------------------------------------------------------------------------
async def submitted_spec(hf_jobs: Any, jobs_api: Any, **args: Any) -> dict[str, Any]:
    """Run a detached job and return the body the Hub received."""
    before = len(jobs_api.specs)
    reply = await hf_jobs("run", {"detach": True, "allow_duplicate": True, **args})
    assert not reply.is_error, reply.text
    assert len(jobs_api.specs) == before + 1
    return jobs_api.specs[-1]


async def refused(hf_jobs: Any, jobs_api: Any, **args: Any) -> str:
    before = len(jobs_api.specs)
    reply = await hf_jobs("run", {"detach": True, "allow_duplicate": True, **args})
    assert reply.is_error, reply.text
    assert reply.data["outcome"]["kind"] == "error" and reply.data["outcome"]["code"] == "validation"
    assert len(jobs_api.specs) == before  # nothing reached the Hub
    return reply.text


def outcome(reply: Any) -> dict[str, Any]:
    return reply.data["outcome"]


def validate_against_published_schema(schema: dict[str, Any], data: dict[str, Any]) -> None:
    import jsonschema

    jsonschema.validate(data, schema)


# --- command-translation.spec.ts › parseTimeout (15 calls) ---------------------------------------------
TIMEOUTS = {"30s": 30, "45s": 45, "5m": 300, "10m": 600, "2h": 7200, "1h": 3600, "1d": 86400}
TIMEOUTS |= {"300": 300, "60": 60, "1.5h": 5400, "2.5m": 150}


@official("command-translation › parseTimeout: s/m/h/d, plain numbers, decimals", calls=11)
async def parse_timeout(hf_jobs: Any, jobs_api: Any) -> None:
    for text, seconds in TIMEOUTS.items():
        spec = await submitted_spec(hf_jobs, jobs_api, command=["true"], timeout=text)
        assert spec["timeoutSeconds"] == seconds, text


@official("command-translation › parseTimeout: invalid format throws", calls=2)
async def parse_timeout_invalid(hf_jobs: Any, jobs_api: Any) -> None:
    for text in ("invalid", "xyz"):
        message = await refused(hf_jobs, jobs_api, command=["true"], timeout=text)
        assert "timeout" in message.lower()


@official(
    "command-translation › parseTimeout: partial numbers ('5x' -> 5, '10abc' -> 10)",
    calls=2,
    deviation="refused: the official tool reads '5x' as 5 seconds (parseInt), which kills a training job "
    "at once and is billed; we say what a timeout looks like instead",
)
async def parse_timeout_partial(hf_jobs: Any, jobs_api: Any) -> None:
    for text in ("5x", "10abc"):
        message = await refused(hf_jobs, jobs_api, command=["true"], timeout=text)
        assert "timeout" in message.lower() and "2h" in message


# --- command-translation.spec.ts › parseImageSource (6 calls) -------------------------------------------
@official("command-translation › parseImageSource: Docker images and Space URLs", calls=6)
async def parse_image_source(hf_jobs: Any, jobs_api: Any) -> None:
    for image in ("python:3.12", "ghcr.io/owner/repo:tag"):
        spec = await submitted_spec(hf_jobs, jobs_api, image=image, command=["true"])
        assert spec["dockerImage"] == image and "spaceId" not in spec
    for image in (
        "https://huggingface.co/spaces/user/app",
        "https://hf.co/spaces/user/app",
        "huggingface.co/spaces/user/app",
        "hf.co/spaces/user/app",
    ):
        spec = await submitted_spec(hf_jobs, jobs_api, image=image, command=["true"])
        assert spec["spaceId"] == "user/app" and "dockerImage" not in spec


# --- command-translation.spec.ts › parseCommand (26 calls) ----------------------------------------------
COMMANDS: list[tuple[Any, list[str]]] = [
    (["python", "-c", 'print("hello")'], ["python", "-c", 'print("hello")']),
    ("python script.py", ["python", "script.py"]),
    ("ls", ["ls"]),
    ("python -c \"print('Hello world!')\"", ["python", "-c", "print('Hello world!')"]),
    ("python -c 'print(\"Hello world!\")'", ["python", "-c", 'print("Hello world!")']),
    ('echo "He said \\"hello\\""', ["echo", 'He said "hello"']),
    ("python -c \"print('hello world')\"", ["python", "-c", "print('hello world')"]),
    ('cmd "arg one" "arg two" "arg three"', ["cmd", "arg one", "arg two", "arg three"]),
    ('echo "hello"', ["echo", "hello"]),
    ('echo "" test', ["echo", "", "test"]),
    ("python -c \"print('Hello world!')\"", ["python", "-c", "print('Hello world!')"]),
    ("python    script.py    --arg", ["python", "script.py", "--arg"]),
    ("python\tscript.py\t--arg", ["python", "script.py", "--arg"]),
    ("cmd  \t arg1\t\t  arg2", ["cmd", "arg1", "arg2"]),
    ('echo "hello\\nworld"', ["echo", "hello\\nworld"]),
    ("echo 'hello\\nworld'", ["echo", "hello\\nworld"]),
    ("echo $HOME", ["echo", "$HOME"]),
    ("echo ${FOO:-bar} ${BAR?missing}", ["echo", "${FOO:-bar}", "${BAR?missing}"]),
    ("echo $$ $1 $@ $* $- $! $_", ["echo", "$$", "$1", "$@", "$*", "$-", "$!", "$_"]),
    ('echo \\$FOO "$BAR"', ["echo", "$FOO", "$BAR"]),
    (
        ["python", "-c", 'import sys\nprint("hello")\nprint("world")'],
        ["python", "-c", 'import sys\nprint("hello")\nprint("world")'],
    ),
]


@official("command-translation › parseCommand: arrays, quoting, whitespace, $ references", calls=21)
async def parse_command(hf_jobs: Any, jobs_api: Any) -> None:
    for command, expected in COMMANDS:
        spec = await submitted_spec(hf_jobs, jobs_api, command=command)
        assert spec["command"] == expected, command


@official("command-translation › parseCommand: shell operators throw", calls=3)
async def parse_command_operators(hf_jobs: Any, jobs_api: Any) -> None:
    for command in ("echo hello | grep world", "ls && pwd", "cat file > output.txt"):
        message = await refused(hf_jobs, jobs_api, command=command)
        assert "shell operator" in message and "bash" in message


@official("command-translation › parseCommand: empty command throws", calls=2)
async def parse_command_empty(hf_jobs: Any, jobs_api: Any) -> None:
    for command in ("", "   "):
        message = await refused(hf_jobs, jobs_api, command=command)
        assert "command" in message.lower()


# --- command-translation.spec.ts › parseVolumes (12 calls) ----------------------------------------------
@official("command-translation › parseVolumes: model, dataset :ro, bucket subpath :rw, several", calls=5)
async def parse_volumes(hf_jobs: Any, jobs_api: Any) -> None:
    cases = [
        (["hf://models/org/model:/model"], [{"type": "model", "source": "org/model", "mountPath": "/model"}]),
        (["hf://org/model:/model"], [{"type": "model", "source": "org/model", "mountPath": "/model"}]),
        (
            ["hf://datasets/org/ds:/data:ro"],
            [{"type": "dataset", "source": "org/ds", "mountPath": "/data", "readOnly": True}],
        ),
        (
            ["hf://buckets/org/b/sub/dir:/output:rw"],
            [
                {
                    "type": "bucket",
                    "source": "org/b",
                    "path": "sub/dir",
                    "mountPath": "/output",
                    "readOnly": False,
                }
            ],
        ),
        (
            ["hf://datasets/org/ds:/data:ro", "hf://buckets/org/b:/output"],
            [
                {"type": "dataset", "source": "org/ds", "mountPath": "/data", "readOnly": True},
                {"type": "bucket", "source": "org/b", "mountPath": "/output"},
            ],
        ),
    ]
    for volumes, expected in cases:
        spec = await submitted_spec(hf_jobs, jobs_api, command=["true"], volumes=volumes)
        # huggingface_hub writes readOnly=false for a plain mount; the official tool leaves it out
        got = [
            {k: v for k, v in vol.items() if not (k == "readOnly" and v is False and "rw" not in volumes[i])}
            for i, vol in enumerate(spec["volumes"])
        ]
        assert got == expected, volumes


@official("command-translation › parseVolumes: empty volumes are omitted", calls=2)
async def parse_volumes_empty(hf_jobs: Any, jobs_api: Any) -> None:
    spec = await submitted_spec(hf_jobs, jobs_api, command=["true"])
    assert "volumes" not in spec
    spec = await submitted_spec(hf_jobs, jobs_api, command=["true"], volumes=[])
    assert "volumes" not in spec


@official(
    "command-translation › parseVolumes: bad prefix, single segment, singular type, mount paths", calls=5
)
async def parse_volumes_invalid(hf_jobs: Any, jobs_api: Any) -> None:
    for volume in (
        "datasets/org/ds:/data",
        "hf://gpt2:/model",
        "hf://dataset/org/ds:/data",
        "hf://datasets/org/ds:/",
        "hf://datasets/org/ds:data",
    ):
        message = await refused(hf_jobs, jobs_api, command=["true"], volumes=[volume])
        assert volume in message and "hf://datasets/org/name:/data" in message


# --- command-translation.spec.ts › createJobSpec (14 calls) ---------------------------------------------
@official("command-translation › createJobSpec: basic, Space, env, secrets, timeout, flavor, array", calls=8)
async def create_job_spec(hf_jobs: Any, jobs_api: Any) -> None:
    spec = await submitted_spec(hf_jobs, jobs_api, image="python:3.12", command='python -c "print(123)"')
    assert spec["dockerImage"] == "python:3.12" and spec["command"] == ["python", "-c", "print(123)"]
    assert spec["flavor"] == "cpu-basic"
    spec = await submitted_spec(hf_jobs, jobs_api, image="hf.co/spaces/user/app", command="python run.py")
    assert spec["spaceId"] == "user/app" and "dockerImage" not in spec
    spec = await submitted_spec(
        hf_jobs, jobs_api, command="python script.py", env={"FOO": "bar", "BAZ": "qux"}
    )
    assert spec["environment"] == {"FOO": "bar", "BAZ": "qux"}
    spec = await submitted_spec(
        hf_jobs, jobs_api, command="python script.py", secrets={"API_KEY": "secret123"}
    )
    assert spec["secrets"] == {"API_KEY": "secret123"}
    spec = await submitted_spec(
        hf_jobs, jobs_api, command="python script.py", env={"NAME": "demo"}, secrets={"API_KEY": "secret123"}
    )
    assert spec["environment"] == {"NAME": "demo"} and spec["secrets"] == {"API_KEY": "secret123"}
    spec = await submitted_spec(hf_jobs, jobs_api, command="python script.py", timeout="5m")
    assert spec["timeoutSeconds"] == 300
    spec = await submitted_spec(hf_jobs, jobs_api, command="python script.py", flavor="a10g-small")
    assert spec["flavor"] == "a10g-small"
    spec = await submitted_spec(hf_jobs, jobs_api, image="ubuntu", command=["bash", "-c", "echo hello"])
    assert spec["command"] == ["bash", "-c", "echo hello"]


@official("command-translation › createJobSpec: $HF_TOKEN stays literal in commands", calls=2)
async def create_job_spec_literal_token(hf_jobs: Any, jobs_api: Any) -> None:
    for _ in range(2):  # without and with a token available: the command is never expanded
        spec = await submitted_spec(hf_jobs, jobs_api, command="echo $HF_TOKEN")
        assert spec["command"] == ["echo", "$HF_TOKEN"]


@official("command-translation › createJobSpec: $HF_TOKEN / ${HF_TOKEN} placeholders get the token", calls=2)
async def create_job_spec_token_placeholders(hf_jobs: Any, jobs_api: Any) -> None:
    from doubles.jobs_api import TOKEN

    spec = await submitted_spec(
        hf_jobs,
        jobs_api,
        command="python script.py",
        secrets={"HF_TOKEN": "$HF_TOKEN", "OTHER": "keep-other-value"},
    )
    assert spec["secrets"] == {"HF_TOKEN": TOKEN, "OTHER": "keep-other-value"}
    spec = await submitted_spec(
        hf_jobs, jobs_api, command="python script.py", env={"HF_TOKEN": "${HF_TOKEN}", "NAME": "demo"}
    )
    assert spec["environment"] == {"HF_TOKEN": TOKEN, "NAME": "demo"}


@official("command-translation › createJobSpec: volumes included / omitted", calls=2)
async def create_job_spec_volumes(hf_jobs: Any, jobs_api: Any) -> None:
    spec = await submitted_spec(
        hf_jobs, jobs_api, command=["echo", "hi"], volumes=["hf://datasets/org/ds:/data:ro"]
    )
    assert spec["volumes"] == [
        {"type": "dataset", "source": "org/ds", "mountPath": "/data", "readOnly": True}
    ]
    spec = await submitted_spec(hf_jobs, jobs_api, command=["echo", "hi"])
    assert "volumes" not in spec


# --- uv-command.spec.ts (3 calls) -----------------------------------------------------------------------
def shipped(spec: dict[str, Any]) -> tuple[str, list[str]]:
    """The script a uv job carries and its `uv run` invocation."""
    script = base64.b64decode(spec["environment"]["HF_TRAIN_MCP_SCRIPT"]).decode()
    return script, shlex.split(spec["command"][2].split("exec ", 1)[1])


@official(
    "uv-command › wraps inline scripts / includes dependency and python flags",
    calls=2,
    deviation="same script, same uv flags, another shell form: the official tool pipes `echo <base64> | "
    "base64 -d | uv run ... -` under /bin/sh -lc; we ship the script in an env variable and run "
    "`bash -c ... exec uv run --with D --python P script.py` (a named file keeps tracebacks and "
    "`__file__` meaningful, and the command line stays short)",
)
async def uv_inline(hf_jobs: Any, jobs_api: Any) -> None:
    script = 'print("hello")\nprint("world")'
    reply = await hf_jobs("uv", {"script": script, "detach": True})
    assert not reply.is_error, reply.text
    spec = jobs_api.specs[-1]
    assert spec["dockerImage"] == UV_IMAGE and spec["command"][:2] == ["bash", "-c"]
    text, invocation = shipped(spec)
    assert text.rstrip("\n") == script and invocation[:2] == ["uv", "run"]
    reply = await hf_jobs(
        "uv",
        {
            "script": 'print("deps")\nprint("python")',
            "with_deps": ["numpy", "pandas"],
            "python": "3.12",
            "detach": True,
        },
    )
    assert not reply.is_error, reply.text
    _, invocation = shipped(jobs_api.specs[-1])
    flags = " ".join(invocation)
    assert "--with numpy" in flags and "--with pandas" in flags and "--python 3.12" in flags


@official("uv-command › reports job submission progress")
async def uv_progress(hf_jobs: Any, jobs_api: Any) -> None:
    reply = await hf_jobs("uv", {"script": 'print("hello")', "detach": True})
    assert not reply.is_error, reply.text
    job_id = reply.data["job_id"]
    assert reply.progress[:2] == ["Submitting job.", f"Job {job_id} submitted with status SCHEDULING."]


# --- formatters.spec.ts (11 calls) ------------------------------------------------------------------------
@official("formatters › formatJobsTable: single, multiple, Space ids, truncation with ...", calls=4)
async def format_jobs_table(hf_jobs: Any, jobs_api: Any) -> None:
    held = {"plan": _held([]), "created_ago": 5}  # RUNNING, like the official fixtures
    a = jobs_api.add_job(command=["python", "script.py"], dockerImage="python:3.12", **held)
    jobs_api.add_job(command=["bash", "test.sh"], dockerImage="ubuntu", flavor="a10g-small", **held)
    space = jobs_api.add_job(command=["python", "app.py"], spaceId="user/myspace", **held)
    jobs_api.add_job(
        command=["python", "-c", "print(" + "x" * 100 + ")"],
        dockerImage="very-long-image-name-that-exceeds-column-width",
        **held,
    )
    for job in list(jobs_api.jobs.values())[1:3]:
        jobs_api.finish(job.id)
    reply = await hf_jobs("ps", {"all": True})
    text = reply.text
    for header in ("| JOB ID", "| IMAGE/SPACE", "| COMMAND", "| CREATED", "| STATUS", "|---"):
        assert header in text
    assert a.id in text and "python:3.12" in text and "python script.py" in text and "RUNNING" in text
    assert "ubuntu" in text and "COMPLETED" in text and space.spec["spaceId"] in text and "..." in text
    for job in jobs_api.jobs.values():
        assert job.id in text  # ids are never truncated


@official(
    "formatters › formatJobsTable / formatScheduledJobsTable: empty lists",
    calls=2,
    deviation="wording: 'No running jobs. Pass {\"all\": true} ...' / 'No active scheduled jobs.' instead of "
    "'No jobs found.' / 'No scheduled jobs found.' (ours says what was searched and how to widen it)",
)
async def format_empty_tables(hf_jobs: Any, jobs_api: Any) -> None:
    reply = await hf_jobs("ps")
    assert reply.text.startswith("No running jobs.") and '{"all": true}' in reply.text
    assert outcome(reply) == {"kind": "jobs", "jobs": [], "total_jobs": 0}
    reply = await hf_jobs("scheduled ps")
    assert reply.text.startswith("No active scheduled jobs.")
    assert outcome(reply) == {"kind": "scheduled_jobs", "scheduled_jobs": [], "total_scheduled_jobs": 0}


@official("formatters › formatScheduledJobsTable: columns, Yes/No suspended", calls=2)
async def format_scheduled_table(hf_jobs: Any, jobs_api: Any) -> None:
    reply = await hf_jobs(
        "scheduled run", {"schedule": "@hourly", "image": "python:3.12", "command": ["python", "backup.py"]}
    )
    sid = reply.data["scheduled_job_id"]
    reply = await hf_jobs(
        "scheduled run",
        {"schedule": "@daily", "image": "ubuntu", "command": ["bash", "cleanup.sh"], "suspend": True},
    )
    reply = await hf_jobs("scheduled ps", {"all": True})
    text = reply.text
    for header in (
        "| ID",
        "| SCHEDULE",
        "| IMAGE/SPACE",
        "| COMMAND",
        "| LAST RUN",
        "| NEXT RUN",
        "| SUSPENDED",
    ):
        assert header in text
    assert (
        sid in text and "@hourly" in text and "python:3.12" in text and "| No |" in text and "| Yes |" in text
    )


@official(
    "formatters › formatJobDetails: one job, several jobs, 2-space JSON",
    calls=3,
    deviation="layout: our inspect text is a markdown block per job (written for agents); the same "
    "record (id, docker_image, status.stage, created_at) is in the structured content, checked here",
)
async def format_job_details(hf_jobs: Any, jobs_api: Any) -> None:
    a = jobs_api.add_job(command=["python", "script.py"], dockerImage="python:3.12")
    b = jobs_api.add_job(command=["bash", "test.sh"], dockerImage="ubuntu")
    reply = await hf_jobs("inspect", {"job_id": [a.id, b.id]})
    records = [i["job"] for i in outcome(reply)["inspections"]]
    assert [r["id"] for r in records] == [a.id, b.id]
    assert records[0]["docker_image"] == "python:3.12" and records[0]["status"]["stage"] in (
        "SCHEDULING",
        "RUNNING",
    )
    assert all(r["created_at"].endswith("Z") for r in records)
    assert f"### Job {a.id}" in reply.text and f"### Job {b.id}" in reply.text


# --- jobs-output.spec.ts (20 calls) ---------------------------------------------------------------------
SENSITIVE = ("plain-value", "real-secret")


def no_values(reply: Any) -> None:
    for value in SENSITIVE:
        assert value not in reply.everything(), value


@official("jobs-output › maps jobs to a names-only output without sensitive values")
async def names_only(hf_jobs: Any, jobs_api: Any) -> None:
    reply = await hf_jobs(
        "run",
        {
            "command": ["python", "-c", 'print("plain-value", "real-secret")'],
            "env": {"PUBLIC_SETTING": "plain-value"},
            "secrets": {"HF_TOKEN": "real-secret", "EMPTY_SECRET": "unused-value"},
            "timeout": 60,
            "detach": True,
        },
    )
    job = outcome(reply)["job"]
    assert job["environment_variable_names"] == ["PUBLIC_SETTING"]
    assert job["secret_names"] == ["EMPTY_SECRET", "HF_TOKEN"] and job["timeout_seconds"] == 60
    assert job["id"] == reply.data["job_id"] and job["created_at"].endswith("Z")
    no_values(reply)
    inspected = await hf_jobs("inspect", {"job_id": job["id"]})
    assert outcome(inspected)["inspections"][0]["job"]["environment_variable_names"] == ["PUBLIC_SETTING"]
    no_values(inspected)


@official(
    "jobs-output › maps scheduled jobs, specs and volumes without sensitive values",
    deviation="no `exposed_ports`: neither tool takes ports as an argument (the official test builds the "
    "object by hand); everything else is checked",
)
async def scheduled_names_only(hf_jobs: Any, jobs_api: Any) -> None:
    reply = await hf_jobs(
        "scheduled run",
        {
            "schedule": "@daily",
            "image": "python:3.12",
            "command": ["python", "-c", 'print("plain-value", "real-secret")'],
            "env": {"PUBLIC_SETTING": "plain-value"},
            "secrets": {"HF_TOKEN": "real-secret"},
            "timeout": 120,
            "volumes": ["hf://datasets/org/data:/data:ro"],
        },
    )
    assert not reply.is_error, reply.text
    reply = await hf_jobs("scheduled inspect", {"scheduled_job_id": reply.data["scheduled_job_id"]})
    scheduled = outcome(reply)["scheduled_job"]
    assert scheduled["suspended"] is False
    spec = scheduled["job_spec"]
    assert spec["environment_variable_names"] == ["PUBLIC_SETTING"] and spec["secret_names"] == ["HF_TOKEN"]
    assert spec["timeout_seconds"] == 120
    assert spec["volumes"] == [
        {"type": "dataset", "source": "org/data", "mount_path": "/data", "read_only": True}
    ]
    assert "dataset org/data at /data (read-only)" in reply.text  # the volumes it sent, shown
    no_values(reply)


def reshape_owner(owner: dict[str, Any] | None, **extra: Any) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def reshape(info: dict[str, Any]) -> dict[str, Any]:
        info = dict(info)
        if owner is not None:
            info["owner"] = dict(owner)
        info.update(extra)
        return info

    return reshape


@official("jobs-output › tolerates owner objects with extra profile fields (avatarUrl)")
async def owner_extra_fields(hf_jobs: Any, jobs_api: Any) -> None:
    job = jobs_api.add_job()
    jobs_api.reshape_job = reshape_owner(
        {"id": "user-1", "name": "alice", "type": "user", "avatarUrl": "https://x/a.png"}
    )
    reply = await hf_jobs("inspect", {"job_id": job.id})
    assert outcome(reply)["inspections"][0]["job"]["owner"] == {
        "id": "user-1",
        "name": "alice",
        "type": "user",
    }


@official("jobs-output › tolerates a createdBy object missing type")
async def created_by_without_type(hf_jobs: Any, jobs_api: Any) -> None:
    job = jobs_api.add_job()
    jobs_api.reshape_job = reshape_owner(None, createdBy={"id": "user-1", "name": "alice"})
    reply = await hf_jobs("inspect", {"job_id": job.id})
    assert not reply.is_error
    assert outcome(reply)["inspections"][0]["job"]["created_by"] == {"id": "user-1", "name": "alice"}


@official("jobs-output › accepts owner shapes with and without type", calls=2)
async def owner_with_and_without_type(hf_jobs: Any, jobs_api: Any) -> None:
    job = jobs_api.add_job()
    jobs_api.reshape_job = reshape_owner({"id": "user-1", "name": "alice", "type": "org"})
    reply = await hf_jobs("inspect", {"job_id": job.id})
    assert outcome(reply)["inspections"][0]["job"]["owner"] == {
        "id": "user-1",
        "name": "alice",
        "type": "org",
    }
    jobs_api.reshape_job = reshape_owner({"id": "user-1", "name": "alice"})
    reply = await hf_jobs("inspect", {"job_id": job.id})
    assert outcome(reply)["inspections"][0]["job"]["owner"] == {"id": "user-1", "name": "alice"}


@official("jobs-output › keeps job id and status when owner/createdBy are malformed, end to end")
async def malformed_owner_end_to_end(hf_jobs: Any, jobs_api: Any) -> None:
    job = jobs_api.add_job()
    jobs_api.finish(job.id)
    jobs_api.reshape_job = reshape_owner(
        {"id": "user-1", "name": "alice", "type": "user", "avatarUrl": "https://x/a.png"},
        createdBy={"id": "user-1", "name": "alice"},
    )
    reply = await hf_jobs("inspect", {"job_id": job.id})
    assert not reply.is_error
    inspection = outcome(reply)["inspections"][0]
    assert inspection["job_id"] == job.id and inspection["status"] == "success"
    assert inspection["job"]["id"] == job.id and inspection["job"]["status"]["stage"] == "COMPLETED"


@official("jobs-output › redacts known values longest-first")
async def redact_longest_first(hf_jobs: Any, jobs_api: Any) -> None:
    from doubles.jobs_api import TOKEN

    jobs_api.queue_plan(lines=[f"plain-value real-secret {TOKEN}"])
    reply = await hf_jobs(
        "run",
        {
            "command": ["python", "train.py"],
            "env": {"PUBLIC_SETTING": "plain-value"},
            "secrets": {"API_SECRET": "real-secret"},
            "wait_seconds": 8,
        },
    )
    assert reply.data["logs"] == ["*** *** ***"], reply.data["logs"]
    logs = await hf_jobs("logs", {"job_id": reply.data["job_id"]})
    assert outcome(logs)["lines"] == ["*** *** ***"]
    no_values(reply)
    no_values(logs)


@official(
    "jobs-output › schema-valid informational and validation outcomes: unavailable",
    deviation="without a token we answer the usage guide (kind 'usage', has_token false), not "
    "'unavailable': flavor 'local' runs jobs without any account",
)
async def no_token_usage(hf_jobs: Any, jobs_api: Any, monkeypatch: Any = None) -> None:
    import os

    saved = os.environ.pop("HF_TOKEN")
    try:
        reply = await hf_jobs()
    finally:
        os.environ["HF_TOKEN"] = saved
    assert outcome(reply)["kind"] == "usage" and reply.data["has_token"] is False


@official("jobs-output › schema-valid informational and validation outcomes: usage, help, errors", calls=4)
async def informational_outcomes(hf_jobs: Any, jobs_api: Any) -> None:
    schema = await published_schema(hf_jobs)
    usage = await hf_jobs()
    assert outcome(usage)["kind"] == "usage" and "run" in outcome(usage)["available_operations"]
    help_ = await hf_jobs("run")
    assert outcome(help_)["kind"] == "help" and outcome(help_)["reason"] == "missing_arguments"
    unknown = await hf_jobs("not-real")
    assert (
        unknown.is_error
        and outcome(unknown)["kind"] == "error"
        and outcome(unknown)["code"] == "unknown_operation"
    )
    invalid = await hf_jobs("run", {"command": 42})
    assert invalid.is_error and outcome(invalid) | {"message": ""} == {
        "kind": "error",
        "code": "validation",
        "message": "",
    }
    for reply in (usage, help_, unknown, invalid):
        validate_against_published_schema(schema, reply.data)
        assert reply.data["total_results"] == 0 and reply.data["results_shared"] == 0


@official(
    "jobs-output › ps returns filtered jobs with accurate counts",
    deviation="total_jobs / total_results count the jobs of the requested scope (running: 1 here), not "
    "every job ever (2): we ask the Hub for running jobs only instead of downloading the whole history",
)
async def ps_counts(hf_jobs: Any, jobs_api: Any) -> None:
    running = jobs_api.add_job(environment={"PUBLIC_SETTING": "plain-value"})
    done = jobs_api.add_job()
    jobs_api.finish(done.id)
    reply = await hf_jobs("ps", {})
    assert reply.data["operation"] == "ps"
    assert outcome(reply)["kind"] == "jobs" and [j["id"] for j in outcome(reply)["jobs"]] == [running.id]
    assert reply.data["total_results"] == 1 and reply.data["results_shared"] == 1
    reply = await hf_jobs("ps", {"all": True})
    assert outcome(reply)["total_jobs"] == 2 and reply.data["total_results"] == 2
    no_values(reply)


@official("jobs-output › scheduled inspect and delete outcomes", calls=2)
async def scheduled_inspect_delete(hf_jobs: Any, jobs_api: Any) -> None:
    created = await hf_jobs(
        "scheduled run",
        {"schedule": "@daily", "command": ["python", "daily.py"], "env": {"PUBLIC_SETTING": "plain-value"}},
    )
    sid = created.data["scheduled_job_id"]
    inspect = await hf_jobs("scheduled inspect", {"scheduled_job_id": sid})
    assert outcome(inspect)["kind"] == "scheduled_job" and outcome(inspect)["scheduled_job"]["id"] == sid
    deleted = await hf_jobs("scheduled delete", {"scheduled_job_id": sid})
    assert {k: outcome(deleted)[k] for k in ("kind", "resource_id", "action")} == {
        "kind": "acknowledgement",
        "resource_id": sid,
        "action": "deleted",
    }
    no_values(inspect)


@official("jobs-output › preserves a created job when attached log collection fails")
async def logs_fail_after_run(hf_jobs: Any, jobs_api: Any) -> None:
    jobs_api.server.inject("GET", r"^/api/jobs/alice/[0-9a-f]+/logs$", status=500, times=50)
    reply = await hf_jobs("run", {"command": ["python", "-c", 'print("done")'], "wait_seconds": 3})
    assert not reply.is_error, reply.text
    out = outcome(reply)
    assert out["kind"] == "job" and out["job"]["id"] == reply.data["job_id"] and out["logs_error"]
    assert reply.data["total_results"] == 1 and reply.data["results_shared"] == 1
    assert "Could not collect logs: " in reply.text


@official("jobs-output › fails closed instead of returning unmasked logs when metadata is unavailable")
async def logs_fail_closed(hf_jobs: Any, jobs_api: Any) -> None:
    job = jobs_api.add_job()
    jobs_api.server.inject("GET", rf"^/api/jobs/alice/{job.id}$", status=500, times=50)
    reply = await hf_jobs("logs", {"job_id": job.id})
    assert reply.is_error and outcome(reply)["kind"] == "error" and outcome(reply)["code"] == "execution"
    assert "Could not safely retrieve logs" in reply.text
    assert jobs_api.server.received("GET", r"/logs$") == []


@official("jobs-output › correlates partial multi-job inspection results")
async def partial_inspection(hf_jobs: Any, jobs_api: Any) -> None:
    job = jobs_api.add_job(environment={"PUBLIC_SETTING": "plain-value"})
    reply = await hf_jobs("inspect", {"job_id": [job.id, "missing"]})
    out = outcome(reply)
    assert out["requested_job_ids"] == [job.id, "missing"]
    ok, failed = out["inspections"]
    assert ok["job_id"] == job.id and ok["status"] == "success" and ok["job"]["id"] == job.id
    assert failed["job_id"] == "missing" and failed["status"] == "error"
    assert failed["message"].startswith("Failed to fetch job missing: ") and "404" in failed["message"]
    assert reply.data["total_results"] == 2 and reply.data["results_shared"] == 1
    assert "Failed to fetch job missing: " in reply.text
    no_values(reply)


@official("jobs-output › execution errors do not include the API response body")
async def error_without_body(hf_jobs: Any, jobs_api: Any) -> None:
    jobs_api.server.inject(
        "GET", r"^/api/jobs/alice$", status=400, body={"secrets": {"HF_TOKEN": "real-secret"}}, times=5
    )
    reply = await hf_jobs("ps", {})
    assert reply.is_error and outcome(reply)["kind"] == "error" and outcome(reply)["code"] == "execution"
    assert "real-secret" not in reply.everything() and "Server response" not in reply.text


# --- sse-handler.spec.ts (4 calls) -----------------------------------------------------------------------
@official("sse-handler › a read stopped by the time limit is reported as truncation")
async def logs_timeout_truncated(hf_jobs: Any, jobs_api: Any) -> None:
    job = jobs_api.add_job(plan=_held([]))
    reply = await hf_jobs("logs", {"job_id": job.id, "wait_seconds": 1})
    assert not reply.is_error
    assert outcome(reply) == {
        "kind": "logs",
        "job_id": job.id,
        "lines": [],
        "finished": False,
        "truncated": True,
    }


@official("sse-handler › stream errors other than the time limit are errors")
async def logs_stream_error(hf_jobs: Any, jobs_api: Any) -> None:
    job = jobs_api.add_job(plan=_held(["x"]), created_ago=5)
    jobs_api.server.inject("GET", rf"^/api/jobs/alice/{job.id}/logs$", status=500, times=50)
    reply = await hf_jobs("logs", {"job_id": job.id})
    assert reply.is_error and outcome(reply)["code"] == "execution" and "500" in reply.text


@official(
    "sse-handler › reports streamed lifecycle and log events as progress",
    deviation="no 'Job started.' notification: huggingface_hub drops the '===== Job started' event before "
    "we see it (the log lines and the finish are relayed as 'job: <line>', like the official tool)",
)
async def logs_progress(hf_jobs: Any, jobs_api: Any) -> None:
    job = jobs_api.add_job(plan=_held(["installing dependencies"]), created_ago=1)
    jobs_api.log(job.id, "===== Job finished: status=COMPLETED =====")
    jobs_api.finish(job.id)
    reply = await hf_jobs("logs", {"job_id": job.id, "wait_seconds": 5})
    assert outcome(reply)["lines"] == [
        "installing dependencies",
        "===== Job finished: status=COMPLETED =====",
    ]
    assert outcome(reply)["finished"] is True and outcome(reply)["truncated"] is False
    assert reply.progress == [
        "job: installing dependencies",
        "job: ===== Job finished: status=COMPLETED =====",
    ]


@official("sse-handler › keeps consuming logs when a progress callback fails")
async def logs_progress_callback_fails(hf_jobs: Any, jobs_api: Any) -> None:
    job = jobs_api.add_job(plan=_held(["still running"]))
    calls: list[str] = []

    async def failing(value: float, total: float | None, message: str | None) -> None:
        calls.append(message or "")
        raise RuntimeError("Disconnected")

    result = await hf_jobs.client.call_tool(
        "hf_jobs", {"operation": "logs", "args": {"job_id": job.id}}, progress_callback=failing
    )
    assert not result.is_error and result.structured_content["outcome"]["lines"] == ["still running"]


def _held(lines: list[str]) -> Any:
    from doubles.jobs_api import JobPlan

    return JobPlan(lines=lines, hold=True, scheduling_s=0, line_every_s=0.01)


# --- jobs-progress-wiring.test.ts (1 call) ---------------------------------------------------------------
async def published_schema(hf_jobs: Any) -> dict[str, Any]:
    tools = (await hf_jobs.client.list_tools()).tools
    return next(t for t in tools if t.name == "hf_jobs").output_schema


@official("jobs-progress-wiring › advertises the output schema and relays progress through MCP")
async def progress_wiring(hf_jobs: Any, jobs_api: Any) -> None:
    schema = await published_schema(hf_jobs)
    assert schema["type"] == "object"
    assert schema["properties"]["total_results"] | {"description": ""} == {
        "type": "integer",
        "minimum": 0,
        "description": "",
        "title": "Total Results",
    }
    assert schema["properties"]["results_shared"]["minimum"] == 0 and "outcome" in schema["properties"]
    assert sorted(schema["required"]) == ["outcome", "results_shared", "total_results"]
    values: list[tuple[float, str]] = []

    async def on_progress(value: float, total: float | None, message: str | None) -> None:
        values.append((value, message or ""))

    jobs_api.queue_plan(lines=["running"])
    result = await hf_jobs.client.call_tool(
        "hf_jobs",
        {"operation": "run", "args": {"command": ["true"], "wait_seconds": 8}},
        progress_callback=on_progress,
    )
    assert not result.is_error
    assert values[0] == (0, "Submitting job.") and values[-1] == (2, "job: running")
    assert result.structured_content["outcome"]["logs"] == ["running"]


# --- e2e-python/jobs-testing/agent.py (1 call) -----------------------------------------------------------
@official("e2e agent › extracts the job id with 'Job started: ([a-f0-9]+)'")
async def job_started_line(hf_jobs: Any, jobs_api: Any) -> None:
    reply = await hf_jobs("run", {"command": ["true"], "detach": True})
    found = re.findall(r"Job started: ([a-f0-9]+)", reply.text)
    assert found == [reply.data["job_id"]]
    reply = await hf_jobs("uv", {"script": "print(1)\n", "detach": True})
    assert re.findall(r"Job started: ([a-f0-9]+)", reply.text) == [reply.data["job_id"]]


# --- the replay ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
async def test_official(case: Case, hf_jobs: Any, jobs_api: Any) -> None:
    await case.body(hf_jobs, jobs_api)


def inventory() -> dict[str, Any]:
    total = sum(c.calls for c in CASES)
    deviations = {c.name: (c.calls, c.deviation) for c in CASES if c.deviation}
    return {
        "official_calls_replayed": total,
        "matching": total - sum(n for n, _ in deviations.values()),
        "deliberate_deviations": sum(n for n, _ in deviations.values()),
        "deviations": {name: {"calls": n, "reason": why} for name, (n, why) in deviations.items()},
    }


def test_inventory_counts_every_case_and_the_readme_says_so() -> None:
    from pathlib import Path

    data = inventory()
    assert data["official_calls_replayed"] == data["matching"] + data["deliberate_deviations"]
    assert len({c.name for c in CASES}) == len(CASES)
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    assert f"replays {data['official_calls_replayed']} calls" in readme
    assert (
        f"{data['matching']} match the official expectations and {data['deliberate_deviations']} differ"
        in readme
    )


if __name__ == "__main__":
    json.dump(inventory(), sys.stdout, indent=2)
    sys.stdout.write("\n")
