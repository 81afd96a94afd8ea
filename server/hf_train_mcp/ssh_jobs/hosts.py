"""The allowlist of SSH hosts: only machines the user listed can run jobs.

The file is `$HF_TRAIN_MCP_SSH_HOSTS`, else `<data dir>/ssh-hosts.toml`:

    [hosts.gpu-box]
    host = "alice@gpu.example.com"      # user@host (required)
    port = 22                           # optional
    key = "~/.ssh/id_ed25519"           # optional: else ssh-agent / the default keys
    data_dir = "/scratch/hf-train-mcp"  # optional: where jobs live over there (else its default)
    command = "/opt/venv/bin/hf-train-mcp"  # optional: else `hf-train-mcp` on PATH or ~/.local/bin
    known_hosts = "~/.ssh/known_hosts"  # optional: else ssh's own
    host_key_checking = "accept-new"    # optional: ssh's StrictHostKeyChecking (else ssh's own setting)
    ssh_config = "none"                 # optional: ssh -F (else ~/.ssh/config applies)

Read on every use (a cheap TOML parse), so an edited file applies without restarting the server.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hf_train_mcp.errors import AgentError
from hf_train_mcp.jobs.model import SSH_FLAVOR_PREFIX as FLAVOR_PREFIX
from hf_train_mcp.paths import data_dir

HOSTS_ENV = "HF_TRAIN_MCP_SSH_HOSTS"
HOSTS_FILE_NAME = "ssh-hosts.toml"
_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,62}\Z")
_USER_HOST = re.compile(r"^(?:[A-Za-z0-9._-]+@)?(?:[A-Za-z0-9._-]+|\[[0-9A-Fa-f:.]+\])\Z")
_CHECKING = frozenset({"yes", "no", "accept-new", "ask", "off"})
_KNOWN_FIELDS = frozenset(
    {"host", "port", "key", "data_dir", "command", "known_hosts", "host_key_checking", "ssh_config"}
)
EXAMPLE = '[hosts.gpu-box]\nhost = "alice@gpu.example.com"\nport = 22\nkey = "~/.ssh/id_ed25519"'


class SshHostsError(AgentError):
    """The SSH host file is broken, or names no such host: the message says what to write instead."""


@dataclass(frozen=True)
class SshHost:
    name: str
    destination: str  # user@host
    port: int = 22
    key: str | None = None
    data_dir: str | None = None
    command: str | None = None
    known_hosts: str | None = None
    host_key_checking: str | None = None
    ssh_config: str | None = None

    @property
    def flavor(self) -> str:
        return FLAVOR_PREFIX + self.name

    @property
    def hostname(self) -> str:
        return self.destination.rpartition("@")[2]

    @property
    def address(self) -> str:
        return f"{self.destination}:{self.port}" if self.port != 22 else self.destination


def hosts_file() -> Path:
    configured = os.environ.get(HOSTS_ENV)
    return Path(configured).expanduser() if configured else data_dir() / HOSTS_FILE_NAME


def _setup_hint(path: Path) -> str:
    return f"Add the host to {path} (TOML), e.g.\n{EXAMPLE}\n(see the README, section SSH hosts)."


def load_hosts() -> dict[str, SshHost]:
    """Every configured host by name ({} when there is no host file); an SshHostsError for a broken file."""
    path = hosts_file()
    try:
        raw = tomllib.loads(path.read_text())
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as exc:
        raise SshHostsError(f"The SSH host file {path} cannot be read: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise SshHostsError(
            f"The SSH host file {path} is not valid TOML ({exc}). {_setup_hint(path)}"
        ) from None
    table = raw.get("hosts", {})
    if not isinstance(table, dict):
        raise SshHostsError(f"In {path}, `hosts` must be a table of hosts. {_setup_hint(path)}")
    return {name.lower(): _host(str(name), entry, path) for name, entry in table.items()}


def _host(name: str, entry: Any, path: Path) -> SshHost:
    where = f"In {path}, host {name!r}"
    if not _NAME.match(name.lower()):
        raise SshHostsError(
            f"{where}: a name is letters, digits, '.', '_' or '-' (it becomes flavor ssh:NAME)."
        )
    if not isinstance(entry, dict):
        raise SshHostsError(f"{where} must be a table. {_setup_hint(path)}")
    unknown = set(entry) - _KNOWN_FIELDS
    if unknown:
        raise SshHostsError(
            f"{where}: unknown field(s) {', '.join(sorted(unknown))}; "
            f"known: {', '.join(sorted(_KNOWN_FIELDS))}."
        )
    destination = entry.get("host")
    if not isinstance(destination, str) or not _USER_HOST.match(destination):
        raise SshHostsError(f'{where}: `host` must be "user@hostname" (or a hostname), got {destination!r}.')
    port = entry.get("port", 22)
    if not isinstance(port, int) or isinstance(port, bool) or not 0 < port < 65536:
        raise SshHostsError(f"{where}: `port` must be a number from 1 to 65535, got {port!r}.")
    checking = entry.get("host_key_checking")
    if checking is not None and checking not in _CHECKING:
        raise SshHostsError(f"{where}: `host_key_checking` must be one of {', '.join(sorted(_CHECKING))}.")
    strings = {}
    for field_name in ("key", "data_dir", "command", "known_hosts", "ssh_config"):
        value = entry.get(field_name)
        if value is not None and (not isinstance(value, str) or not value.strip() or "\n" in value):
            raise SshHostsError(f"{where}: `{field_name}` must be a non-empty one-line string.")
        strings[field_name] = value
    for local_path in ("key", "known_hosts"):
        if strings[local_path]:
            strings[local_path] = str(Path(strings[local_path]).expanduser())
    return SshHost(
        name=name.lower(), destination=destination, port=port, host_key_checking=checking, **strings
    )


def host_for_flavor(flavor: str) -> SshHost:
    return get_host(flavor[len(FLAVOR_PREFIX) :])


def get_host(name: str) -> SshHost:
    """The configured host `name`, or an SshHostsError naming the configured ones and how to add one."""
    hosts = load_hosts()
    host = hosts.get(name.strip().lower())
    if host is not None:
        return host
    path = hosts_file()
    if hosts:
        known = ", ".join(f"ssh:{n}" for n in sorted(hosts))
        raise SshHostsError(f"No SSH host {name!r} is configured; configured: {known}. {_setup_hint(path)}")
    raise SshHostsError(f"No SSH hosts are configured, so flavor ssh:{name} cannot run. {_setup_hint(path)}")


def split_job_id(job_id: str) -> tuple[SshHost, str]:
    """("ssh:NAME:local-<hex>") -> (the host, the id over there)."""
    _, _, rest = job_id.partition(FLAVOR_PREFIX)
    name, sep, remote_id = rest.partition(":")
    if not sep or not remote_id:
        raise SshHostsError(
            f"{job_id!r} is not an SSH job id: they look like ssh:NAME:local-<32 hex digits>."
        )
    return get_host(name), remote_id


def job_id(host: SshHost, remote_id: str) -> str:
    return f"{FLAVOR_PREFIX}{host.name}:{remote_id}"
