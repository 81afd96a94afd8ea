"""SSH jobs against a real sshd on loopback, through the MCP client and the CLI: a tiny model trained on
the "remote" host, logs followed, cancel, a dropped connection, a reconnect from a fresh server, secrets
kept off every remote file and process list, and an error that says which and how to fix for each way a
host can fail."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from hf_train_mcp.jobs import backends
from hf_train_mcp.local_jobs.runner import JOB_ID_ENV
from local_jobs.mcp_door import (
    FINISHED,
    QUIET_ENV,
    Call,
    assert_trained,
    mcp_caller,
    tiny_sft_request,
    wait_for_stage,
)
from ssh_jobs.sshd import HF_TRAIN_MCP, Sshd
from training.helpers import TinyAssets

pytestmark = [pytest.mark.anyio, pytest.mark.slow]


@pytest.fixture
async def call(hosts_file: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Call]:
    monkeypatch.setattr(backends, "_local_instance", None)
    async with mcp_caller() as invoke:
        yield invoke


def py(code: str) -> list[str]:
    return [sys.executable, "-c", code]


def processes() -> list[tuple[int, str]]:
    """(pid, whole command line) of every process, as `ps -eww -o pid,args` shows them."""
    out = subprocess.run(
        ["ps", "-eww", "-o", "pid=,args="], capture_output=True, text=True, check=True
    ).stdout
    return [
        (int(line.split(None, 1)[0]), line.split(None, 1)[1])
        for line in out.splitlines()
        if " " in line.strip()
    ]


def job_processes(remote_id: str) -> list[int]:
    """Processes that carry the job's id in their environment (every process a local job starts)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if f"{JOB_ID_ENV}={remote_id}".encode() in (entry / "environ").read_bytes():
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def files_containing(root: Path, needle: bytes) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and needle in p.read_bytes()]


# --- training, logs, secrets -------------------------------------------------------------------------------
async def test_generated_script_trains_a_tiny_model_on_the_ssh_host(
    call: Call, tiny: TinyAssets, tmp_path: Path, sshd: Sshd
) -> None:
    out = tmp_path / "adapter-out"
    generated, _ = await call("generate_training_script", tiny_sft_request(tiny, out))
    args = {
        **generated["hf_jobs"]["args"],
        "flavor": "ssh:box",
        "local_python": sys.executable,
        "env": {**QUIET_ENV, "HF_HUB_OFFLINE": "1", "HF_HOME": str(tmp_path / "hf-home")},
        "wait_seconds": 120,
    }
    progress: list[str] = []
    answer, text = await call("hf_jobs", {"operation": "uv", "args": args}, progress=progress)
    job_id = answer["job_id"]
    assert job_id.startswith("ssh:box:local-") and job_id in text
    assert answer["flavor"] == "ssh:box" and answer["job"]["backend"] == "ssh"
    assert answer["url"].startswith(f"ssh://{sshd.user}@127.0.0.1:{sshd.port}/"), answer["url"]
    assert progress, "log lines are relayed as progress while the job is followed over SSH"

    await assert_trained(call, job_id, out)
    remote_id = job_id.removeprefix("ssh:box:")
    assert (sshd.remote_data / "local-jobs" / remote_id / "output.log").is_file(), "the job ran over there"
    ps, ps_text = await call("hf_jobs", {"operation": "ps", "args": {"all": True}})
    assert job_id in [j["id"] for j in ps["jobs"]] and job_id in ps_text


async def test_secrets_reach_the_job_but_no_remote_file_or_process_list(
    call: Call, sshd: Sshd, tmp_path: Path
) -> None:
    secret = "sshsecret-" + uuid.uuid4().hex
    env_secret = "sshenvtoken-" + uuid.uuid4().hex
    go = tmp_path / "go"
    code = (
        "import hashlib, os, time\n"
        "print('digest', hashlib.sha256(os.environ['MY_SECRET'].encode()).hexdigest(), flush=True)\n"
        "print('env digest', hashlib.sha256(os.environ['MY_TOKEN'].encode()).hexdigest(), flush=True)\n"
        f"while not os.path.exists({str(go)!r}): time.sleep(0.1)\n"
        "print('leak attempt', os.environ['MY_SECRET'], flush=True)\n"
    )
    answer, _ = await call(
        "hf_jobs",
        {
            "operation": "run",
            "args": {
                "command": py(code),
                "flavor": "ssh:box",
                "secrets": {"MY_SECRET": secret},
                "env": {"MY_TOKEN": env_secret},
                "detach": True,
            },
        },
    )
    job_id = answer["job_id"]
    running = await wait_for_stage(call, job_id, {"RUNNING"} | FINISHED, 30)
    assert running["stage"] == "RUNNING"
    listed = "\n".join(args for _, args in processes())
    assert "hf_train_mcp.local_jobs.supervisor" in listed and str(go) in listed
    for value in (secret, env_secret):
        assert value not in listed, "a secret is on a process list"
    go.touch()
    job = await wait_for_stage(call, job_id, FINISHED, 30)
    assert job["stage"] == "COMPLETED"
    assert job["secret_names"] == ["MY_SECRET"]
    _, logs = await call("hf_jobs", {"operation": "logs", "args": {"job_id": job_id}})
    import hashlib

    assert hashlib.sha256(secret.encode()).hexdigest() in logs, "the job got the secret's value"
    assert hashlib.sha256(env_secret.encode()).hexdigest() in logs
    assert secret not in logs and "leak attempt ***" in logs
    assert files_containing(sshd.remote_data, secret.encode()) == [], "a secret value is in a remote file"
    assert (
        not (tmp_path / "local-data").exists()
        or files_containing(tmp_path / "local-data", secret.encode()) == []
    )


async def test_secret_looking_env_values_stay_off_remote_disk(call: Call, sshd: Sshd) -> None:
    env_secret = "sshenvtoken-" + uuid.uuid4().hex
    answer, _ = await call(
        "hf_jobs",
        {
            "operation": "run",
            "args": {
                "command": ["true"],
                "flavor": "ssh:box",
                "env": {"MY_TOKEN": env_secret},
                "wait_seconds": 20,
            },
        },
    )
    assert answer["finished"] is True
    assert files_containing(sshd.remote_data, env_secret.encode()) == []


# --- follow, dropped connection, reconnect, cancel ---
async def test_a_dropped_connection_mid_follow_resumes_and_a_new_server_finds_the_job(
    call: Call, hosts_file: Path, sshd: Sshd, tmp_path: Path
) -> None:
    """Lines 10-19 are written only after the follow's ssh client was killed: they can only arrive
    through a reconnect that resumes after line 9."""
    go = tmp_path / "go"
    code = (
        "import os, time\n"
        "for i in range(20):\n"
        f"    while i == 10 and not os.path.exists({str(go)!r}): time.sleep(0.1)\n"
        "    print(f'line {i}', flush=True)\n"
        "    time.sleep(0.1)\n"
    )
    answer, _ = await call(
        "hf_jobs", {"operation": "run", "args": {"command": py(code), "flavor": "ssh:box", "detach": True}}
    )
    job_id = answer["job_id"]
    remote_id = job_id.removeprefix("ssh:box:")
    killed: list[int] = []

    progress: list[str] = []

    async def drop_the_follow_connection() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            clients = [  # the ssh client on this side, not the remote side's shell
                pid
                for pid, args in processes()
                if args.split()[0].endswith("/ssh")
                and f" {sshd.port} " in args
                and "remote-backend logs" in args
            ]
            if clients and any("line 9" in message for message in progress):  # the follower has 0-9
                for pid in clients:
                    os.kill(pid, signal.SIGKILL)
                    killed.append(pid)
                go.touch()
                return
            await anyio.sleep(0.1)

    result: dict[str, Any] = {}

    async def follow() -> None:
        data, _ = await call(
            "hf_jobs",
            {"operation": "logs", "args": {"job_id": job_id, "wait_seconds": 60, "tail": 100}},
            progress=progress,
        )
        result.update(data)

    async with anyio.create_task_group() as group:
        group.start_soon(follow)
        group.start_soon(drop_the_follow_connection)
    assert killed, "the ssh client of the follow was found and killed"
    assert result["finished"] is True and result["status"] == "COMPLETED"
    assert result["logs"] == [f"line {i}" for i in range(20)], "every line once, in order, across the drop"
    # The remote side of the dropped connection does not linger.
    deadline = time.monotonic() + 10
    while any("remote-backend logs" in a and "ssh " not in a for _, a in processes()):
        assert time.monotonic() < deadline, "a remote-backend logs process outlived its connection"
        await anyio.sleep(0.2)

    # A new server process (a reconnect from scratch) finds the job by its id and in ps.
    cli = subprocess.run(
        [
            str(HF_TRAIN_MCP),
            "call",
            "hf_jobs",
            json.dumps({"operation": "ps", "args": {"all": True}}),
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "HF_TRAIN_MCP_SSH_HOSTS": str(hosts_file)},
    )
    assert cli.returncode == 0, cli.stdout + cli.stderr
    listed = json.loads(cli.stdout)
    mine = [j for j in listed["jobs"] if j["id"] == job_id]
    assert mine and mine[0]["stage"] == "COMPLETED" and mine[0]["flavor"] == "ssh:box"
    assert any("SSH host closed" in n and "cannot be reached" in n for n in listed["notes"])
    assert job_processes(remote_id) == []


async def test_cancel_stops_every_process_of_the_job_on_the_host(call: Call) -> None:
    answer, _ = await call(
        "hf_jobs",
        {
            "operation": "run",
            "args": {
                "command": ["bash", "-c", "echo started; sleep 300 & sleep 300"],
                "flavor": "ssh:box",
                "detach": True,
            },
        },
    )
    job_id = answer["job_id"]
    remote_id = job_id.removeprefix("ssh:box:")
    running = await wait_for_stage(call, job_id, {"RUNNING"}, 20)
    assert running["stage"] == "RUNNING"
    deadline = time.monotonic() + 10
    while len(job_processes(remote_id)) < 3 and time.monotonic() < deadline:  # bash + 2 sleeps
        await anyio.sleep(0.1)
    assert len(job_processes(remote_id)) >= 3
    stats, stats_text = await call("hf_jobs", {"operation": "stats", "args": {"job_id": job_id}})
    assert stats["running"] is True and stats["metrics"] is not None, stats_text
    _, text = await call("hf_jobs", {"operation": "cancel", "args": {"job_id": job_id}})
    assert job_id in text
    job = await wait_for_stage(call, job_id, {"CANCELED"}, 20)
    assert job["stage"] == "CANCELED"
    assert job_processes(remote_id) == [], "a process of the canceled job is still alive"


async def test_hardware_lists_the_ssh_host_and_dry_run_targets_it(call: Call) -> None:
    data, text = await call("hf_jobs", {"operation": "hardware"})
    rows = {row["name"]: row for row in data["ssh"]}
    assert "ssh:box" in rows and rows["ssh:box"]["price_per_hour"] == 0.0
    assert "CPUs" in rows["ssh:box"]["description"]
    assert re.search(r"^\| ssh:box \|.*\| free \|$", text, flags=re.MULTILINE), text
    assert any("SSH host closed" in n and "cannot be reached" in n for n in data["notes"])
    listed, _ = await call("hf_jobs", {"operation": "ps"})  # a host that is off does not slow every ps
    assert any("SSH host closed" in n and "not asked again" in n for n in listed["notes"]), listed["notes"]
    dry, dry_text = await call(
        "hf_jobs",
        {
            "operation": "run",
            "args": {
                "command": ["true"],
                "flavor": "ssh:box",
                "dry_run": True,
                "secrets": {"S": "drysecret-value"},
            },
        },
    )
    assert dry["spec"]["backend"] == "ssh" and "SSH host box" in dry["target"]
    assert "drysecret-value" not in dry_text + json.dumps(dry)


# --- errors that say which and how to fix ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("host", "says"),
    [
        ("closed", ["cannot be reached", "sshd listens on port"]),
        ("wrongkey", ["refused the key", "authorized_keys", "ssh-copy-id"]),
        ("strangehost", ["host key is not known or has changed", "ssh-keyscan"]),
        ("bare", ["has no hf-train-mcp remote side", "uv tool install", "`command`"]),
        ("nosuch", ["No SSH host 'nosuch' is configured", "ssh:box", "[hosts.gpu-box]"]),
    ],
)
async def test_a_host_that_cannot_be_used_says_which_and_how_to_fix(
    call: Call, broken_hosts: Path, host: str, says: list[str]
) -> None:
    _, text = await call(
        "hf_jobs",
        {"operation": "run", "args": {"command": ["true"], "flavor": f"ssh:{host}", "detach": True}},
        error=True,
    )
    for words in says:
        assert words in text, text
    assert "Traceback" not in text


async def test_an_unknown_job_on_a_host_is_reported_with_its_full_id(call: Call) -> None:
    job_id = "ssh:box:local-" + "0" * 32
    _, text = await call("hf_jobs", {"operation": "inspect", "args": {"job_id": job_id}}, error=True)
    assert f"No job {job_id} on SSH host box" in text


# --- the CLI door ---
def test_cli_runs_a_job_on_the_host_and_checks_hosts(broken_hosts: Path) -> None:
    env = {**os.environ, "HF_TRAIN_MCP_SSH_HOSTS": str(broken_hosts)}

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(HF_TRAIN_MCP), *args], capture_output=True, text=True, timeout=120, env=env
        )

    run = cli(
        "call",
        "hf_jobs",
        json.dumps(
            {
                "operation": "run",
                "args": {"command": ["echo", "hello from the box"], "flavor": "ssh:box", "wait_seconds": 30},
            }
        ),
        "--json",
    )
    assert run.returncode == 0, run.stdout + run.stderr
    submitted = json.loads(run.stdout)
    assert submitted["job_id"].startswith("ssh:box:local-")
    assert "hello from the box" in submitted["logs"] and submitted["finished"] is True
    logs = cli("call", "hf_jobs", json.dumps({"operation": "logs", "args": {"job_id": submitted["job_id"]}}))
    assert logs.returncode == 0 and "hello from the box" in logs.stdout
    check = cli("ssh", "check", "box")
    assert check.returncode == 0 and check.stdout.startswith("ok ssh:box"), check.stdout + check.stderr
    found = cli("ssh", "check", "onpath")
    assert found.returncode == 0 and found.stdout.startswith("ok ssh:onpath"), found.stdout + found.stderr
    bad = cli("ssh", "check", "wrongkey")
    assert bad.returncode == 1 and "refused the key" in bad.stderr
    every = cli("ssh", "hosts")
    assert every.returncode == 1 and "ok ssh:box" in every.stdout and "FAILED ssh:closed" in every.stdout
