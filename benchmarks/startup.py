"""Start-up cost of the server: time from spawning it to the answer of `tools/list` over stdio, against
the time of a bare `python -c "import mcp.server.mcpserver"` measured in the same run.

    python benchmarks/startup.py [--runs 5] [--check]

Target: the server adds at most 0.3 s on top of the SDK's own import (`--check` exits 1 otherwise).
Runs alternate between the two measurements so that a machine getting busier affects both alike.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

import anyio

TARGET_EXTRA_SECONDS = 0.3


def bare_import_seconds() -> tuple[float, float]:
    """(spawn -> import done, spawn -> process exited). The first is what the server is compared with:
    the server's figure stops at the tools/list answer, before any interpreter teardown."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-c", "import mcp.server.mcpserver; print('ready', flush=True)"],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    ready = time.perf_counter() - start
    proc.wait()
    exited = time.perf_counter() - start
    proc.stdout.close()
    if line.strip() != "ready" or proc.returncode:
        raise SystemExit("the bare import failed")
    return ready, exited


async def server_seconds(env: dict[str, str]) -> tuple[float, int]:
    from mcp import Client, StdioServerParameters

    params = StdioServerParameters(command=sys.executable, args=["-m", "hf_train_mcp"], env=env)
    start = time.perf_counter()
    async with Client(params) as client:
        listed = await client.list_tools()
        elapsed = time.perf_counter() - start
    return elapsed, len(listed.tools)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--check", action="store_true", help="exit 1 when the target is missed")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="hf-train-mcp-bench-") as home:
        # No token, no network: start-up must not depend on either.
        env = {k: v for k, v in os.environ.items() if k not in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN")}
        env.update({"HF_HOME": home, "HF_ENDPOINT": "http://127.0.0.1:9", "HF_TRAIN_MCP_DATA_DIR": home})
        bare_import_seconds()  # warm the file cache for both
        anyio.run(server_seconds, env)
        bare, bare_exit, server = [], [], []
        tools = 0
        for _ in range(args.runs):
            ready, exited = bare_import_seconds()
            bare.append(ready)
            bare_exit.append(exited)
            elapsed, tools = anyio.run(server_seconds, env)
            server.append(elapsed)

    bare_median = statistics.median(bare)
    server_median = statistics.median(server)
    extra = server_median - bare_median
    print(f"python {sys.version.split()[0]} on {os.cpu_count()} CPUs, {args.runs} runs each (median)")
    print(
        f"bare `import mcp.server.mcpserver`:        {bare_median:.3f} s  (runs: "
        + ", ".join(f"{s:.3f}" for s in bare)
        + ")"
    )
    print(
        f"hf-train-mcp spawn -> tools/list answered: {server_median:.3f} s  (runs: "
        + ", ".join(f"{s:.3f}" for s in server)
        + f"; {tools} tools)"
    )
    print(
        f"server adds: {extra:+.3f} s (ratio {server_median / bare_median:.2f}x); "
        f"target <= {TARGET_EXTRA_SECONDS:.1f} s: {'met' if extra <= TARGET_EXTRA_SECONDS else 'MISSED'}"
    )
    return 1 if args.check and extra > TARGET_EXTRA_SECONDS else 0


if __name__ == "__main__":
    raise SystemExit(main())
