"""`hf-train-mcp ssh hosts` and `hf-train-mcp ssh check NAME`: is each configured host usable, and if
not, what to fix (the same messages a job submission would get)."""

from __future__ import annotations

import sys
from concurrent.futures import ThreadPoolExecutor

from hf_train_mcp.errors import AgentError
from hf_train_mcp.ssh_jobs import hosts
from hf_train_mcp.ssh_jobs.backend import SshJobsBackend
from hf_train_mcp.ssh_jobs.hosts import SshHost


def main(action: str, name: str | None) -> int:
    try:
        if action == "check":
            if not name:
                print("usage: hf-train-mcp ssh check NAME", file=sys.stderr)
                return 2
            return 0 if _report(hosts.get_host(name)) else 1
        configured = hosts.load_hosts()
    except AgentError as exc:
        print(exc, file=sys.stderr)
        return 1
    print(f"SSH host file: {hosts.hosts_file()}")
    if not configured:
        print(f"No SSH hosts configured. Example entry:\n{hosts.EXAMPLE}")
        return 0
    with ThreadPoolExecutor(max_workers=min(8, len(configured))) as pool:
        results = list(pool.map(_check, configured.values()))
    for line in results:
        print(line)
    return 0 if all(line.startswith("ok") for line in results) else 1


def _check(host: SshHost) -> str:
    try:
        hello = SshJobsBackend(host).hello()
    except AgentError as exc:
        return f"FAILED {host.flavor} ({host.address}): {exc}"
    hardware = str((hello.get("hardware") or {}).get("description", "")).partition(" — ")[2]
    return (
        f"ok {host.flavor} ({host.address}): hf-train-mcp {hello.get('version')}, jobs in "
        f"{hello.get('data_dir')}, uv {'found' if hello.get('uv') else 'MISSING'}; {hardware}"
    )


def _report(host: SshHost) -> bool:
    line = _check(host)
    print(line, file=sys.stdout if line.startswith("ok") else sys.stderr)
    return line.startswith("ok")
