"""The SSH host allowlist, the ssh command line and the wire format, without an sshd: what a user gets
for a missing or broken host file, and that nothing secret reaches a command line."""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hf_train_mcp.app import build_server
from hf_train_mcp.jobs.model import JobSubmission, JobView, UvScript
from hf_train_mcp.ssh_jobs import hosts, transport, wire
from hf_train_mcp.ssh_jobs.hosts import SshHostsError
from mcp import Client
from ssh_jobs.sshd import HF_TRAIN_MCP


@pytest.fixture
def host_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "hosts.toml"
    monkeypatch.setenv(hosts.HOSTS_ENV, str(path))
    return path


def test_a_configured_host_is_read_with_its_defaults(host_file: Path, tmp_path: Path) -> None:
    (tmp_path / "key").write_text("not really a key")
    host_file.write_text(f'[hosts.GPU-Box]\nhost = "alice@gpu.example.com"\nkey = "{tmp_path / "key"}"\n')
    host = hosts.get_host("gpu-box")
    assert (host.name, host.destination, host.port, host.flavor) == (
        "gpu-box",
        "alice@gpu.example.com",
        22,
        "ssh:gpu-box",
    )
    argv = transport.ssh_argv(host, "list")
    assert argv[argv.index("-i") + 1] == str(tmp_path / "key") and "IdentitiesOnly=yes" in argv
    assert "BatchMode=yes" in argv and argv[-3:-1] == ["--", "alice@gpu.example.com"]
    assert argv[-1] == "sh -c 'PATH=\"$HOME/.local/bin:$PATH\"; exec hf-train-mcp remote-backend list'"


def test_the_remote_command_names_the_operation_and_data_dir_only(host_file: Path) -> None:
    host_file.write_text(
        '[hosts.box]\nhost = "me@box"\nport = 2222\ndata_dir = "/srv/my jobs"\n'
        'command = "~/venv/bin/hf-train-mcp"\n'
    )
    host = hosts.get_host("box")
    assert transport.remote_command(host, "submit") == (
        "~/venv/bin/hf-train-mcp remote-backend submit --data-dir '/srv/my jobs'"
    )
    assert transport.ssh_argv(host, "submit")[transport.ssh_argv(host, "submit").index("-p") + 1] == "2222"


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("[hosts.box\n", "is not valid TOML"),
        ('[hosts.box]\nhost = "me@box"\nport = 70000\n', "`port` must be a number from 1 to 65535"),
        ('[hosts.box]\nhost = "me@box; rm -rf /"\n', '`host` must be "user@hostname"'),
        ('[hosts.box]\nhost = "me@box"\npassword = "x"\n', "unknown field(s) password"),
        ('[hosts.box]\nhost = "me@box"\nhost_key_checking = "maybe"\n', "`host_key_checking` must be one of"),
        ('[hosts."a b"]\nhost = "me@box"\n', "a name is letters, digits"),
    ],
)
def test_a_broken_host_file_says_what_to_fix(host_file: Path, text: str, says: str) -> None:
    host_file.write_text(text)
    with pytest.raises(SshHostsError) as caught:
        hosts.get_host("box")
    assert says in str(caught.value) and str(host_file) in str(caught.value)


def test_a_missing_key_file_is_reported_before_ssh_runs(host_file: Path, tmp_path: Path) -> None:
    host_file.write_text(f'[hosts.box]\nhost = "me@box"\nkey = "{tmp_path / "nope"}"\n')
    with pytest.raises(transport.SshJobError, match="does not exist on this machine"):
        transport.ssh_argv(hosts.get_host("box"), "list")


def test_job_ids_round_trip_and_malformed_ones_are_refused(host_file: Path) -> None:
    host_file.write_text('[hosts.box]\nhost = "me@box"\n')
    host = hosts.get_host("box")
    full = hosts.job_id(host, "local-" + "a" * 32)
    assert full == "ssh:box:local-" + "a" * 32
    assert hosts.split_job_id(full) == (host, "local-" + "a" * 32)
    with pytest.raises(SshHostsError, match="ssh:NAME:local-"):
        hosts.split_job_id("ssh:box")


def test_the_wire_format_round_trips_submissions_and_views() -> None:
    sub = JobSubmission(
        image="",
        command=["uv", "run", "train.py"],
        flavor="ssh:box",
        env={"A": "1"},
        secrets={"S": "value"},
        timeout_seconds=60,
        uv=UvScript(source="print(1)", is_url=False, file_name="train.py", script_args=["--x"]),
        local_python="/usr/bin/python3",
    )
    assert wire.submission_from_json(json.loads(json.dumps(wire.submission_to_json(sub)))) == sub
    view = JobView(
        id="local-1",
        owner="me",
        stage="RUNNING",
        flavor="local",
        command=["x"],
        backend="local",
        created_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
        secret_names=["S"],
    )
    assert wire.view_from_json(json.loads(json.dumps(wire.view_to_json(view)))) == view


def test_the_remote_entry_point_refuses_another_protocol_and_bad_requests(tmp_path: Path) -> None:
    def remote(request: str) -> dict:
        out = subprocess.run(
            [str(HF_TRAIN_MCP), "remote-backend", "list", "--data-dir", str(tmp_path / "d")],
            input=request,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert out.returncode == 1
        return json.loads(out.stdout)["error"]

    assert remote('{"protocol": 99}')["kind"] == "protocol"
    assert remote("not json")["kind"] == "bad_request"


@pytest.mark.anyio
async def test_without_a_host_file_an_ssh_flavor_says_how_to_add_one(host_file: Path) -> None:
    async with Client(build_server()) as client:
        result = await client.call_tool(
            "hf_jobs",
            {"operation": "run", "args": {"command": ["true"], "flavor": "ssh:box", "dry_run": True}},
        )
        text = result.content[0].text
        assert result.is_error and "No SSH hosts are configured" in text and str(host_file) in text
        host_file.write_text('[hosts.box]\nhost = "me@box"\n')
        scheduled = await client.call_tool(
            "hf_jobs",
            {
                "operation": "scheduled run",
                "args": {"command": ["true"], "flavor": "ssh:box", "schedule": "@daily"},
            },
        )
        assert scheduled.is_error and "cannot be scheduled" in scheduled.content[0].text
        hub = await client.call_tool(
            "hf_jobs",
            {
                "operation": "uv",
                "args": {
                    "script": "print(1)",
                    "flavor": "cpu-basic",
                    "local_python": "python3",
                    "dry_run": True,
                },
            },
        )
        assert (
            hub.is_error
            and 'local_python only applies to flavor "local" or "ssh:NAME"' in hub.content[0].text
        )


def test_the_remote_side_does_not_load_the_mcp_sdk(tmp_path: Path) -> None:
    """Every SSH operation starts the remote side anew: the MCP SDK (about 1 s to import) stays out."""
    code = (
        "import sys\n"
        "from hf_train_mcp.ssh_jobs.remote import main\n"
        f"code = main('list', {str(tmp_path / 'd')!r})\n"
        "print(sorted(m for m in sys.modules if m == 'mcp' or m.startswith('mcp.')), code)\n"
    )
    out = subprocess.run(
        [str(HF_TRAIN_MCP.parent / "python"), "-c", code],
        input="{}",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.stdout.splitlines() == ['{"ok": []}', "[] 0"], out.stderr
