"""Starting the server imports no ML stack and not even huggingface_hub: `tools/list` must be fast."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = (
    "torch",
    "transformers",
    "trl",
    "datasets",
    "peft",
    "accelerate",
    "bitsandbytes",
    "huggingface_hub",
    "numpy",
    "pandas",
    "jinja2",
)

PROBE = f"""
import json, sys
from hf_train_mcp.app import build_server
server = build_server()
print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))
"""


def test_building_the_server_imports_nothing_heavy() -> None:
    out = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=120, check=True
    )
    loaded = json.loads(out.stdout.strip().splitlines()[-1])
    assert loaded == [], f"imported at start-up: {loaded}"


def test_listing_tools_imports_nothing_heavy() -> None:
    probe = PROBE.replace(
        "print(",
        "import anyio\nfrom mcp import Client\n"
        "async def main():\n"
        "    async with Client(server) as c:\n"
        "        await c.list_tools()\n"
        "anyio.run(main)\nprint(",
        1,
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True
    )
    loaded = json.loads(out.stdout.strip().splitlines()[-1])
    assert loaded == [], f"imported by tools/list: {loaded}"
