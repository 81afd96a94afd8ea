"""One request to a host's remote side through the system's OpenSSH client, and what went wrong if
it failed: the host cannot be reached, refuses the key, has an unknown host key, or lacks hf-train-mcp.

The remote command line names only the operation and the remote data dir; the request (secret values
included) goes on ssh's stdin. ssh runs in batch mode (never prompts), with a connect timeout and
keep-alives, and every call has an end-to-end timeout.
"""

from __future__ import annotations

import json
import shlex
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from hf_train_mcp.errors import AgentError
from hf_train_mcp.redact import redact
from hf_train_mcp.ssh_jobs import wire
from hf_train_mcp.ssh_jobs.hosts import SshHost, hosts_file

CONNECT_TIMEOUT_S = 10
ALIVE_INTERVAL_S = 5
ALIVE_COUNT = 3  # a silent link is dropped after ALIVE_INTERVAL_S * ALIVE_COUNT
CALL_TIMEOUT_S = 45.0
SUBMIT_TIMEOUT_S = 90.0  # the remote side may download the script (30 s bound) before answering
# The README's one-line remote setup (section SSH hosts): uv puts the command in ~/.local/bin.
SETUP_LINE = "uv tool install 'hf-train-mcp @ git+<URL of this repository>'"


class SshJobError(AgentError):
    """A host could not be used; `kind` says why (unreachable, key, host_key, missing, remote, ...)."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(redact(message))
        self.kind = kind


class RemoteRefused(SshJobError):
    """The remote side answered with an error (job not found, bad arguments, ...)."""


def ssh_executable() -> str:
    exe = shutil.which("ssh")
    if exe is None:
        raise SshJobError(
            "no_ssh",
            "The `ssh` client is not installed on the machine running hf-train-mcp: install OpenSSH "
            "(Debian/Ubuntu: `apt-get install openssh-client`, macOS: built in).",
        )
    return exe


def remote_command(host: SshHost, operation: str) -> str:
    """What the host's shell runs: the remote entry point, the operation, the data dir; nothing secret."""
    args = ["remote-backend", operation]
    if host.data_dir:
        args += ["--data-dir", host.data_dir]
    if host.command:  # the user's own words (may use ~ or $HOME): not quoted
        return f"{host.command} {shlex.join(args)}"
    inner = 'PATH="$HOME/.local/bin:$PATH"; exec hf-train-mcp ' + shlex.join(args)
    return "sh -c " + shlex.quote(inner)


def ssh_argv(host: SshHost, operation: str) -> list[str]:
    argv = [
        ssh_executable(),
        "-T",
        "-e",
        "none",
        "-o",
        "BatchMode=yes",
        "-o",
        f"ConnectTimeout={CONNECT_TIMEOUT_S}",
        "-o",
        f"ServerAliveInterval={ALIVE_INTERVAL_S}",
        "-o",
        f"ServerAliveCountMax={ALIVE_COUNT}",
        "-p",
        str(host.port),
    ]
    if host.ssh_config:
        argv += ["-F", host.ssh_config]
    if host.key:
        if not Path(host.key).is_file():
            raise SshJobError(
                "key",
                f"The key file {host.key} for SSH host {host.name} does not exist on this machine: fix "
                f"`key` for [hosts.{host.name}] in {hosts_file()} (or remove it to use ssh-agent).",
            )
        argv += ["-i", host.key, "-o", "IdentitiesOnly=yes"]
    if host.known_hosts:
        argv += ["-o", f"UserKnownHostsFile={host.known_hosts}"]
    if host.host_key_checking:
        argv += ["-o", f"StrictHostKeyChecking={host.host_key_checking}"]
    return [*argv, "--", host.destination, remote_command(host, operation)]


def _request_text(request: dict[str, Any]) -> str:
    return json.dumps({**request, "protocol": wire.PROTOCOL})


def call(host: SshHost, operation: str, request: dict[str, Any], *, timeout: float = CALL_TIMEOUT_S) -> Any:
    """The remote side's `ok` answer, or an SshJobError saying what failed and how to fix it."""
    argv = ssh_argv(host, operation)
    try:
        proc = subprocess.run(
            argv,
            input=_request_text(request),
            capture_output=True,
            text=True,
            timeout=timeout,
            start_new_session=True,  # a Ctrl-C meant for the server does not cut a submit in half
        )
    except subprocess.TimeoutExpired:
        raise SshJobError(
            "timeout",
            f"SSH host {host.name} ({host.address}) did not answer {operation} within {timeout:g} s. "
            f"Check the machine and the link (`ssh -p {host.port} {host.destination} true`), then retry.",
        ) from None
    except OSError as exc:
        raise SshJobError("no_ssh", f"Could not start ssh: {exc}") from None
    messages = _messages(proc.stdout)
    for message in messages:
        if "ok" in message:
            return message["ok"]
        if "error" in message:
            raise remote_error(host, message["error"])
    raise failure(host, proc.returncode, proc.stderr, operation)


def _messages(text: str) -> list[dict[str, Any]]:
    out = []
    for line in text.splitlines():
        try:
            message = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(message, dict):
            out.append(message)
    return out


class Stream:
    """A streaming request (logs): messages as they arrive; `close()` ends the ssh client."""

    def __init__(self, host: SshHost, operation: str, request: dict[str, Any]) -> None:
        self.host = host
        self.operation = operation
        self._stderr: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 (closed by close())
        self.proc = subprocess.Popen(
            ssh_argv(host, operation),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            start_new_session=True,
        )
        assert self.proc.stdin is not None
        try:
            self.proc.stdin.write(_request_text(request).encode())
            self.proc.stdin.close()
        except BrokenPipeError:
            pass  # ssh already failed: its exit status and stderr say why

    def __iter__(self) -> Iterator[dict[str, Any]]:
        assert self.proc.stdout is not None
        for raw in self.proc.stdout:
            try:
                message = json.loads(raw)
            except json.JSONDecodeError:
                continue
            if isinstance(message, dict):
                yield message

    def failure(self) -> SshJobError:
        """Why the stream ended without its last message (call after iterating)."""
        code = self.wait()
        self._stderr.seek(0)
        stderr = self._stderr.read().decode(errors="replace")
        return failure(self.host, code, stderr, self.operation)

    def wait(self) -> int:
        try:
            return self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.close()
            return self.proc.wait()

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        self._stderr.close()


def remote_error(host: SshHost, error: Any) -> SshJobError:
    kind = str(error.get("kind", "remote")) if isinstance(error, dict) else "remote"
    message = str(error.get("message", error)) if isinstance(error, dict) else str(error)
    if kind == "protocol":
        return SshJobError("version", f"SSH host {host.name}: {message}.")
    return RemoteRefused(kind, message)


_UNREACHABLE = (
    "Connection refused",
    "Connection timed out",
    "timed out",
    "No route to host",
    "Network is unreachable",
    "Could not resolve hostname",
    "Name or service not known",
    "Temporary failure in name resolution",
)
_HOST_KEY = ("Host key verification failed", "REMOTE HOST IDENTIFICATION HAS CHANGED", "host key is known")
_DROPPED = ("Connection closed", "Connection reset", "Broken pipe", "Timeout, server")


def failure(host: SshHost, code: int | None, stderr: str, operation: str) -> SshJobError:
    """The error for an ssh run that gave no answer, from its exit status and stderr."""
    said = "; ".join(line.strip() for line in stderr.strip().splitlines()[-3:] if line.strip())
    quoted = f" (ssh said: {said})" if said else ""
    where = f"SSH host {host.name} ({host.address})"
    config = f"[hosts.{host.name}] in {hosts_file()}"
    manual = f"ssh -p {host.port}{f' -i {host.key}' if host.key else ''} {host.destination}"
    if code == 255 or code is None:
        if "Permission denied" in stderr or "Too many authentication failures" in stderr:
            key = host.key or "your default key / ssh-agent"
            return SshJobError(
                "key",
                f"{where} refused the key {key}{quoted}. Add its public key to ~/.ssh/authorized_keys of "
                f"{host.destination} (`ssh-copy-id -i {host.key or '~/.ssh/id_ed25519'}.pub -p {host.port} "
                f"{host.destination}`), or set `key` in {config} to a key it accepts.",
            )
        if any(s in stderr for s in _HOST_KEY):
            return SshJobError(
                "host_key",
                f"{where}: its host key is not known or has changed{quoted}. Connect once by hand "
                f"(`{manual}`) and check the fingerprint, or add it with `ssh-keyscan -p {host.port} "
                f"{host.hostname} >> {host.known_hosts or '~/.ssh/known_hosts'}`; set `known_hosts` or "
                f'`host_key_checking = "accept-new"` in {config} to change how it is checked.',
            )
        if any(s in stderr for s in _UNREACHABLE):
            return SshJobError(
                "unreachable",
                f"{where} cannot be reached{quoted}. Check that the machine is on and sshd listens on port "
                f"{host.port}, and the `host` and `port` in {config}.",
            )
        if any(s in stderr for s in _DROPPED) or code is None:
            return SshJobError("dropped", f"The connection to {where} was lost during {operation}{quoted}.")
    if code is not None and code < 0:
        return SshJobError(
            "dropped", f"The ssh client for {where} was stopped (signal {-code}) during {operation}."
        )
    if code in (126, 127):  # the shell's "command not found" / "not executable"
        what = f"`{host.command}`" if host.command else "`hf-train-mcp` (on PATH or in ~/.local/bin)"
        return SshJobError(
            "missing",
            f"{where} has no hf-train-mcp remote side: {what} was not found there{quoted}. Install it on "
            f"the host with `{SETUP_LINE}` (see the README, section SSH hosts), or set `command` in {config} "
            "to its full path, e.g. /opt/venv/bin/hf-train-mcp.",
        )
    if "invalid choice" in stderr and "remote-backend" in stderr:
        return SshJobError(
            "version",
            f"{where} has an hf-train-mcp too old for SSH jobs (no `remote-backend` command). Upgrade it "
            "there to the version of this server.",
        )
    return SshJobError(
        "remote",
        f"{where}: {operation} failed with exit status {code} and no answer{quoted}. Try `{manual}` by "
        "hand to see what happens.",
    )
