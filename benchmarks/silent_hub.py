"""How long each tool takes to answer when the Hub is silent (accepts connections, never answers) or
when HF_HUB_OFFLINE is set. Targets: with HF_TRAIN_MCP_HUB_TIMEOUT=5, every tool within 30 s; offline,
within 5 s.

Each mode runs in a fresh process (huggingface_hub reads HF_HUB_OFFLINE at import), through a real
in-process MCP client, with a fake token so the tools go as far as the Hub: every tool and every hf_jobs
operation (with a namespace, so the requests after whoami are reached too); then a few tools without a
token, which skip whoami and wait on their model and dataset requests instead.

Run: .venv/bin/python benchmarks/silent_hub.py [--timeout 5]   (about 12 minutes; prints PASS or FAIL)
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

JOB = "6a2b3c4d5e6f708192a3b4c5"
# With a namespace the Hub calls skip whoami and reach the list/inspect/log requests themselves.
CALLS: list[tuple[str, dict]] = [
    ("hf_jobs", {"operation": "ps"}),
    ("hf_jobs", {"operation": "ps", "args": {"all": True, "namespace": "acme"}}),
    ("hf_jobs", {"operation": "inspect", "args": {"job_id": JOB}}),
    ("hf_jobs", {"operation": "inspect", "args": {"job_id": JOB, "namespace": "acme"}}),
    ("hf_jobs", {"operation": "logs", "args": {"job_id": JOB}}),
    ("hf_jobs", {"operation": "logs", "args": {"job_id": JOB, "namespace": "acme", "wait_seconds": 20}}),
    ("hf_jobs", {"operation": "stats", "args": {"job_id": JOB, "namespace": "acme"}}),
    ("hf_jobs", {"operation": "cancel", "args": {"job_id": JOB, "namespace": "acme"}}),
    ("hf_jobs", {"operation": "hardware"}),
    ("hf_jobs", {"operation": "run", "args": {"command": ["true"], "flavor": "cpu-basic"}}),
    ("hf_jobs", {"operation": "uv", "args": {"script": "print(1)", "namespace": "acme", "detach": True}}),
    ("hf_jobs", {"operation": "scheduled ps", "args": {"namespace": "acme"}}),
    ("hf_jobs", {"operation": "scheduled inspect", "args": {"scheduled_job_id": JOB, "namespace": "acme"}}),
    ("hf_jobs", {"operation": "scheduled run", "args": {"schedule": "@daily", "command": ["true"]}}),
    ("hf_jobs", {"operation": "scheduled trigger", "args": {"scheduled_job_id": JOB, "namespace": "acme"}}),
    ("hf_jobs", {"operation": "scheduled suspend", "args": {"scheduled_job_id": JOB, "namespace": "acme"}}),
    ("hf_jobs", {"operation": "scheduled resume", "args": {"scheduled_job_id": JOB, "namespace": "acme"}}),
    ("hf_jobs", {"operation": "scheduled delete", "args": {"scheduled_job_id": JOB, "namespace": "acme"}}),
    ("recommend_hardware", {"model": "acme/unknown-7b"}),
    ("recommend_hardware", {"model": "acme/unknown-7b", "dataset_examples": 1000, "flavor": "a10g-large"}),
    ("inspect_dataset", {"dataset": "acme/chat"}),
    ("prepare_training", {"model": "acme/unknown-7b", "dataset": "acme/chat"}),
    (
        "generate_training_script",
        {
            "model": "Qwen/Qwen2.5-0.5B",
            "dataset": "trl-lib/Capybara",
            "method": "sft",
            "flavor": "a10g-large",
            "timeout": "3h",
            "hub_model_id": "me/qwen-sft",
        },
    ),
    ("validate_training_script", {"script": "print(1)"}),
    ("validate_training_script", {"script": "print(1)", "env": {"HUB_MODEL_ID": "acme/out"}}),
    ("export_model", {"model": "acme/unknown-7b"}),
    ("evaluate_model", {"model": "acme/unknown-7b", "tasks": ["arc_easy"], "dataset": "acme/chat"}),
    ("create_demo_space", {"model": "acme/unknown-7b"}),
    ("training_loss_curve", {"job_id": JOB, "namespace": "acme"}),
    (
        "dry_run_training_script",
        {
            "script": "# --dry-run --max-steps --max-rows --output-dir --no-resume\nprint(1)",
            "tiny_from": "acme/x",
        },
    ),
]


# Without a token the workflow tools skip whoami and reach their other Hub requests (model, dataset).
NO_TOKEN_CALLS: list[tuple[str, dict]] = [
    ("prepare_training", {"model": "acme/unknown-7b", "dataset": "acme/chat"}),
    ("inspect_dataset", {"dataset": "acme/chat"}),
    ("recommend_hardware", {"model": "acme/unknown-7b"}),
    ("evaluate_model", {"model": "acme/unknown-7b", "tasks": ["arc_easy"], "dataset": "acme/chat"}),
    ("create_demo_space", {"model": "acme/unknown-7b"}),
    ("hf_jobs", {"operation": "ps"}),
]


def _child(calls: list[tuple[str, dict]]) -> None:
    """In the measured process: every call, its time and the first line of its answer, as JSON lines."""
    import anyio
    from mcp import Client

    sys.path.insert(0, str(ROOT / "server"))
    from hf_train_mcp.app import build_server

    async def main() -> None:
        async with Client(build_server()) as client:
            for name, arguments in calls:
                started = time.monotonic()
                result = await client.call_tool(name, arguments)
                text = "\n".join(getattr(b, "text", "") for b in result.content)
                row = {
                    "tool": name
                    + (f" {arguments['operation']}" if "operation" in arguments else "")
                    + (" (ns)" if "namespace" in arguments.get("args", arguments) else ""),
                    "seconds": round(time.monotonic() - started, 2),
                    "error": result.is_error,
                    "answer": " ".join(text.split())[:150],
                }
                print(json.dumps(row), flush=True)

    anyio.run(main)


def silent_socket() -> tuple[socket.socket, list[socket.socket]]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(256)
    held: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                conn, _ = sock.accept()
            except OSError:
                return
            held.append(conn)

    threading.Thread(target=accept, daemon=True).start()
    return sock, held


def run_mode(label: str, env: dict[str, str], which: str = "all") -> list[dict]:
    proc = subprocess.run(
        [sys.executable, __file__, "--child", which],
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    rows = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    if proc.returncode != 0:
        print(proc.stderr[-3000:], file=sys.stderr)
    print(f"\n## {label}")
    for row in rows:
        status = "error" if row["error"] else "ok   "
        print(f"{row['seconds']:7.2f}s  {row['tool']:<34} {status}  {row['answer']}")
    if rows:
        print(f"slowest: {max(r['seconds'] for r in rows):.2f}s over {len(rows)} calls")
    return rows


def main() -> int:
    if "--child" in sys.argv:
        _child(NO_TOKEN_CALLS if sys.argv[-1] == "no-token" else CALLS)
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", default="5", help="HF_TRAIN_MCP_HUB_TIMEOUT (seconds)")
    options = parser.parse_args()
    sandbox = tempfile.mkdtemp(prefix="hf-train-mcp-silent-")
    sock, _held = silent_socket()
    base = dict(os.environ)
    base.update(
        {
            "HF_TOKEN": "hf_" + "x" * 34,
            "HF_HOME": os.path.join(sandbox, "hf_home"),
            "HF_TRAIN_MCP_DATA_DIR": os.path.join(sandbox, "data"),
            "HF_TRAIN_MCP_HUB_TIMEOUT": options.timeout,
            "HF_TRAIN_MCP_LOG_LEVEL": "ERROR",
        }
    )
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    silent = run_mode(
        f"silent Hub at {url}, HF_TRAIN_MCP_HUB_TIMEOUT={options.timeout} (target: each < 30 s)",
        {**base, "HF_ENDPOINT": url, "HF_DATASETS_SERVER": url},
    )
    no_token = dict(base)
    no_token.pop("HF_TOKEN")
    anonymous = run_mode(
        "silent Hub, no token: the tools go past whoami (target: each < 30 s)",
        {**no_token, "HF_ENDPOINT": url, "HF_DATASETS_SERVER": url},
        "no-token",
    )
    offline = run_mode(
        "HF_HUB_OFFLINE=1 (target: each < 5 s)",
        {**base, "HF_ENDPOINT": url, "HF_DATASETS_SERVER": url, "HF_HUB_OFFLINE": "1"},
    )
    sock.close()
    import shutil

    shutil.rmtree(sandbox, ignore_errors=True)
    ok = (
        len(silent) == len(CALLS)
        and len(anonymous) == len(NO_TOKEN_CALLS)
        and len(offline) == len(CALLS)
        and all(r["seconds"] < 30 for r in silent + anonymous)
        and all(r["seconds"] < 5 for r in offline)
    )
    print("\nPASS" if ok else "\nFAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
