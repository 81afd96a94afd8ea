"""The usage guide `hf_jobs` returns when called without an operation."""

from __future__ import annotations

import json

from hf_train_mcp.hub import JOBS_ACCOUNT
from hf_train_mcp.jobs.args import (
    DEFAULT_FLAVOR,
    DEFAULT_RUN_IMAGE,
    DEFAULT_UV_IMAGE,
    DEFAULT_WAIT_SECONDS,
    OPERATIONS,
)
from hf_train_mcp.jobs.timeouts import DEFAULT_TIMEOUT

TOOL_DESCRIPTION = (
    "Run and manage Hugging Face Jobs (GPUs billed per minute) and local jobs: run (a Docker command), uv (a "
    "Python script), logs, hardware (prices), scheduled jobs. No operation: the usage guide. Set a timeout "
    "above your estimate (default 30m); push results to the Hub."
)


def usage_guide(*, has_token: bool, local: bool) -> str:
    ops = "\n".join(f"- **{op}** — {model.summary}" for op, model in OPERATIONS.items())
    uv_example = {
        "operation": "uv",
        "args": {
            "script": "/path/to/train.py",
            "dependencies": ["trl>=1.0", "peft"],
            "flavor": "a10g-large",
            "timeout": "4h",
            "secrets": {"HF_TOKEN": "$HF_TOKEN"},
        },
    }
    inline_example = {
        "operation": "uv",
        "args": {"script": "import sys\nprint(sys.version)", "flavor": "cpu-basic", "timeout": "5m"},
    }
    run_example = {
        "operation": "run",
        "args": {"image": DEFAULT_RUN_IMAGE, "command": ["python", "-c", "print('hello')"]},
    }
    account = ""
    if not has_token:
        account = (
            f"\n> **No Hugging Face token is configured.** {JOBS_ACCOUNT}. "
            "Log in with `hf auth login` or set HF_TOKEN for the server."
            + (' Meanwhile, flavor "local" runs jobs on this machine.' if local else "")
            + "\n"
        )
    local_line = (
        '- `"flavor": "local"` runs the job on the machine running this server (no account, no cost); '
        "`ps`, `logs`, `inspect`, `cancel` and `stats` work the same on it (ids start with `local-`).\n"
        if local
        else ""
    )
    return f"""# hf_jobs — Hugging Face Jobs
{account}
Run commands and Python scripts on Hugging Face hardware (billed per minute while the job runs), follow
them, and manage schedules.

## Operations
{ops}

## Examples
Train with a local script (shipped inside the job spec; no upload):
```json
{json.dumps(uv_example, indent=2)}
```
Inline code (one line or many):
```json
{json.dumps(inline_example)}
```
A command in a Docker image:
```json
{json.dumps(run_example)}
```
Then: `{{"operation": "logs", "args": {{"job_id": "<id>", "wait_seconds": 30}}}}`,
`{{"operation": "inspect", "args": {{"job_id": "<id>"}}}}`, `{{"operation": "ps"}}`,
`{{"operation": "hardware"}}` for flavors and prices,
`{{"operation": "stats", "args": {{"job_id": "<id>"}}}}` for CPU/GPU use.

## Defaults and rules
- run: image `{DEFAULT_RUN_IMAGE}`; uv: image `{DEFAULT_UV_IMAGE}`; flavor `{DEFAULT_FLAVOR}`;
  timeout `{DEFAULT_TIMEOUT}` (the job is killed then — set it 20-30 % above your estimate: `"4h"`, `"90m"`
  or seconds `14400`).
- Unless `detach: true`, run/uv follow the logs for {DEFAULT_WAIT_SECONDS:g} s (`wait_seconds` to change) and
  return the last lines; the job keeps running afterwards.
- `dry_run: true` on run/uv (and scheduled run/uv) shows the exact job spec without sending it.
- `secrets: {{"HF_TOKEN": "$HF_TOKEN"}}` gives the job your token (needed to push models/datasets; use a
  write token). Secret values and your token never appear in any answer.
- `dependencies` (or `with_deps`) adds packages to `uv run --with`; the script's PEP 723 header is honoured.
- A string `command` is split like a shell would, without shell operators; use
  `["bash", "-c", "a && b"]` for pipes and `&&`.
- Results written to the job's disk are lost when it ends: push them to the Hub (`push_to_hub=True`) or mount
  a bucket with `volumes`.
{local_line}- Every operation takes `namespace` (an organization you belong to); default: your user.

Call `{{"operation": "<operation>", "args": {{"help": true}}}}` for all arguments of one operation.
"""
