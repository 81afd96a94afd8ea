"""Latency of SSH jobs operations against a configured host: each operation is one `ssh` run of the
host's `hf-train-mcp remote-backend`, so its cost is the SSH handshake plus the remote side's start-up.

    python benchmarks/ssh_roundtrip.py NAME [--runs 5]

NAME is a host of the SSH host file (`hf-train-mcp ssh hosts` shows which file). Prints, per operation,
the median and worst of `--runs` runs, and the bare `ssh ... true` handshake for comparison; submits one
`echo` job to time submit and a log read (it runs on the host, for a moment).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import time
from collections.abc import Callable

from hf_train_mcp.jobs.model import JobSubmission
from hf_train_mcp.ssh_jobs import hosts, transport
from hf_train_mcp.ssh_jobs.backend import SshJobsBackend


def timed(func: Callable[[], object], runs: int) -> tuple[float, float]:
    seconds = []
    for _ in range(runs):
        start = time.perf_counter()
        func()
        seconds.append(time.perf_counter() - start)
    return statistics.median(seconds), max(seconds)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("name")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    host = hosts.get_host(args.name)
    backend = SshJobsBackend(host)
    handshake = [*transport.ssh_argv(host, "hello")[:-1], "true"]
    job = backend.submit(JobSubmission(image="", command=["echo", "benchmark"], flavor=host.flavor))
    rows = {
        "ssh true (handshake only)": lambda: subprocess.run(handshake, check=True, timeout=60),
        "hello": backend.hello,
        "ps (list)": lambda: backend.list(include_finished=True),
        "inspect": lambda: backend.inspect(job.id),
        "logs (read)": lambda: list(backend.logs(job.id, tail=None, follow=False)),
        "submit (echo job)": lambda: backend.submit(
            JobSubmission(image="", command=["echo", "benchmark"], flavor=host.flavor)
        ),
    }
    print(f"SSH host {host.name} ({host.address}), {args.runs} runs each")
    for name, func in rows.items():
        median, worst = timed(func, args.runs)
        print(f"{name:28s} median {median:5.2f} s   worst {worst:5.2f} s")


if __name__ == "__main__":
    main()
