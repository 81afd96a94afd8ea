"""A real OpenSSH server for the SSH jobs tests: the system's `sshd`, started per test module on a
loopback port with generated host and client keys and its own config, as a foreground process.

The "remote host" is this machine; its remote side is this checkout's own `hf-train-mcp`. Without
`sshd` the tests are skipped with the reason, unless HF_TRAIN_MCP_REQUIRE_SSHD=1 (set by CI, which
installs openssh-server): then they fail.
"""

from __future__ import annotations

import getpass
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from served import free_port, stop, wait_until_listening
from ssh_jobs.sshd import HF_TRAIN_MCP, REQUIRE_ENV, Sshd


def _find_sshd() -> str | None:
    return shutil.which("sshd") or next(
        (p for p in ("/usr/sbin/sshd", "/usr/local/sbin/sshd") if os.access(p, os.X_OK)), None
    )


def _keygen(path: Path) -> None:
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "hf-train-mcp-test", "-f", str(path)],
        check=True,
        timeout=30,
    )


def _unavailable(reason: str) -> None:
    if os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail(f"{reason} ({REQUIRE_ENV}=1: CI must install openssh-server and openssh-client)")
    pytest.skip(f"{reason}: install openssh-server and openssh-client to run the SSH jobs tests")


@pytest.fixture(scope="module")
def sshd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sshd]:
    exe = _find_sshd()
    if exe is None:
        _unavailable("sshd is not installed")
    if shutil.which("ssh") is None or shutil.which("ssh-keygen") is None:
        _unavailable("the OpenSSH client (ssh, ssh-keygen) is not installed")
    if not sys.platform.startswith("linux"):
        pytest.skip("the SSH jobs tests run on Linux")
    root = tmp_path_factory.mktemp("sshd")
    for name in ("host_key", "client_key", "other_key"):
        _keygen(root / name)
    (root / "authorized_keys").write_text((root / "client_key.pub").read_text())
    port = free_port()
    host_pub = (root / "host_key.pub").read_text().split()
    (root / "known_hosts").write_text(f"[127.0.0.1]:{port} {host_pub[0]} {host_pub[1]}\n")
    config = root / "sshd_config"
    config.write_text(
        "\n".join(
            [
                f"Port {port}",
                "ListenAddress 127.0.0.1",
                f"HostKey {root / 'host_key'}",
                f"AuthorizedKeysFile {root / 'authorized_keys'}",
                f"PidFile {root / 'sshd.pid'}",
                "StrictModes no",
                "PubkeyAuthentication yes",
                "PasswordAuthentication no",
                "KbdInteractiveAuthentication no",
                "UsePAM no",
                "PermitRootLogin prohibit-password",
                "AllowTcpForwarding no",
                "X11Forwarding no",
                "PrintMotd no",
                "LogLevel VERBOSE",
                # Sessions find this checkout's hf-train-mcp on PATH, as a host set up by the README would.
                f"SetEnv PATH={HF_TRAIN_MCP.parent}:/usr/local/bin:/usr/bin:/bin",
                "",
            ]
        )
    )
    if os.geteuid() == 0:
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # sshd's privilege separation directory
    log = (root / "sshd.log").open("wb")
    proc = subprocess.Popen([exe, "-D", "-e", "-f", str(config)], stdout=log, stderr=subprocess.STDOUT)
    try:
        try:
            wait_until_listening(proc, port, 15, lambda: (root / "sshd.log").read_text()[-800:])
        except AssertionError as not_serving:
            _unavailable(f"sshd did not start: {not_serving}")
        yield Sshd(
            port=port,
            root=root,
            client_key=root / "client_key",
            other_key=root / "other_key",
            known_hosts=root / "known_hosts",
            user=getpass.getuser(),
            remote_data=root / "remote-data",
        )
    finally:
        stop(proc)
        log.close()


@pytest.fixture
def hosts_file(sshd: Sshd, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A host file with host "box" (works) and host "closed" (nothing listens on its port)."""
    path = tmp_path / "ssh-hosts.toml"
    path.write_text(sshd.host_entry("box") + sshd.host_entry("closed", port=free_port()))
    monkeypatch.setenv("HF_TRAIN_MCP_SSH_HOSTS", str(path))
    monkeypatch.setenv("HF_TRAIN_MCP_DATA_DIR", str(tmp_path / "local-data"))
    return path


@pytest.fixture
def broken_hosts(hosts_file: Path, sshd: Sshd, tmp_path: Path) -> Path:
    """Adds the hosts that fail in each other way a user can meet: a key the host refuses, an unknown
    host key, no hf-train-mcp on the host."""
    (tmp_path / "empty_known_hosts").write_text("")
    with hosts_file.open("a") as out:
        out.write(
            sshd.host_entry("wrongkey", key=str(sshd.other_key))
            + sshd.host_entry("strangehost", known_hosts=str(tmp_path / "empty_known_hosts"))
            + sshd.host_entry("bare", command="/nonexistent/venv/bin/hf-train-mcp")
            + sshd.host_entry("onpath", command=None)  # the default: hf-train-mcp on the host's PATH
        )
    return hosts_file
