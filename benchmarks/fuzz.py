"""Fuzz every tool through a real in-process MCP client, with a fixed seed, and count what went wrong.

Each call takes a tool's input schema and breaks it: wrong types, missing and extra keys, huge and
hostile strings (path traversal, shell and template syntax, control characters), infinities and NaN,
deep nesting, secret values planted in `secrets`/`env`. Counted per answer:
- crashes: the client raised, or the answer says the server hit an internal error;
- hangs: no answer within HANG_S;
- raw validation dumps: pydantic's text ("validation error for", "input_value=", "type=...");
- Python exception texts ("Traceback", "SomethingError: ...", "object has no attribute", ...);
- leaks: a planted secret value in any answer, or in any file of the data directory afterwards;
- oversized errors: an error answer longer than 5,000 characters (an input echoed back).

Local jobs, dry runs and local paths are switched off (the HTTP policy without --allow-local), the Hub
is offline: nothing the fuzzer sends can run on or write to this machine.

Run: .venv/bin/python benchmarks/fuzz.py [--calls 2000] [--seed 10]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HANG_S = 30.0
MAX_ERROR_CHARS = 5000
DUMP = re.compile(r"validation errors? for|input_value=|type=[a-z_]+|errors\.pydantic\.dev")
PYTHON_TEXT = re.compile(
    r"Traceback \(most recent|\b[A-Z][A-Za-z]*(Error|Exception): |object has no attribute|"
    r"unexpected keyword argument|NoneType|failed unexpectedly|hit an internal error"
)
HOSTILE = [
    "../../../../etc/passwd",
    "/etc/passwd",
    "~/.ssh/id_rsa",
    "$(touch /tmp/pwned)",
    "`id`",
    "; rm -rf / #",
    "{{ 7*7 }}",
    "{% raw %}",
    "${HF_TOKEN}",
    "\x00\x1b[31mred\x1b[0m\r\n",
    "a" * 300,
    "..",
    "local-../../x",
    "owner/../../api/repos/delete",
    "\u202e\ufeff\U0001f600",
    "null",
    "",
    " ",
    "-1",
    "1e309",
]


@dataclass
class Report:
    calls: int = 0
    errors: int = 0
    crashes: int = 0
    hangs: int = 0
    dumps: int = 0
    python_texts: int = 0
    leaks: int = 0
    oversized: int = 0
    slowest_s: float = 0.0
    per_tool: Counter[str] = field(default_factory=Counter)
    examples: list[str] = field(default_factory=list)

    def bad(self) -> int:
        return self.crashes + self.hangs + self.dumps + self.python_texts + self.leaks + self.oversized

    def line(self) -> str:
        return (
            f"calls={self.calls} error_answers={self.errors} crashes={self.crashes} hangs={self.hangs} "
            f"raw_validation_dumps={self.dumps} python_exception_texts={self.python_texts} "
            f"secret_leaks={self.leaks} oversized_errors={self.oversized} slowest={self.slowest_s:.2f}s"
        )


def _value_for(schema: dict[str, Any], defs: dict[str, Any], rng: random.Random, depth: int = 0) -> Any:
    """A plausible value for `schema` (often valid), used as the base the mutations break."""
    ref = schema.get("$ref")
    if isinstance(ref, str):
        schema = defs.get(ref.rsplit("/", 1)[-1], {})
    if "enum" in schema:
        return rng.choice(schema["enum"])
    variants = schema.get("anyOf") or schema.get("oneOf")
    if variants:
        return _value_for(rng.choice(variants), defs, rng, depth)
    kind = schema.get("type")
    if kind == "integer":
        return rng.choice([0, 1, 2, 8, -1, 10**12])
    if kind == "number":
        return rng.choice([0.5, 1.0, 7.0, -3.0, 1e6])
    if kind == "boolean":
        return rng.choice([True, False])
    if kind == "array":
        return [_value_for(schema.get("items", {}), defs, rng, depth + 1) for _ in range(rng.randint(0, 3))]
    if kind == "object":
        return {} if depth > 2 else {"KEY": "value"}
    if kind == "null":
        return None
    return rng.choice(["Qwen/Qwen2.5-0.5B", "trl-lib/Capybara", "a10g-large", "sft", "ps", "2h", "x"])


def _hostile(rng: random.Random, secret: str) -> Any:
    choice = rng.randrange(12)
    if choice == 0:
        return "x" * rng.choice([10_000, 200_000, 2_100_000])
    if choice == 1:
        return float(rng.choice(["inf", "-inf", "nan"]))
    if choice == 2:
        return rng.choice([10**40, -(10**40), 1e308])
    if choice == 3:
        nested: Any = "deep"
        for _ in range(rng.choice([5, 30, 60])):
            nested = [nested]
        return nested
    if choice == 4:
        return {"HF_TOKEN": "$HF_TOKEN", "MY_SECRET": secret}
    if choice == 5:
        return [rng.choice(HOSTILE) for _ in range(3)]
    if choice == 6:
        return rng.choice([True, None, {}, [], 0])
    return rng.choice(HOSTILE)


def make_call(tool: Any, rng: random.Random, secret: str) -> dict[str, Any]:
    """Arguments for one fuzzed call of `tool`."""
    schema = tool.input_schema or {}
    defs = schema.get("$defs", {})
    props: dict[str, Any] = schema.get("properties", {})
    required = set(schema.get("required", []))
    args: dict[str, Any] = {}
    for name, prop in props.items():
        if name in required or rng.random() < 0.4:
            args[name] = _value_for(prop, defs, rng)
    for _ in range(rng.randint(1, 3)):
        mutation = rng.randrange(6)
        if mutation == 0 and args:  # drop a key (a required one, often)
            args.pop(rng.choice(sorted(args)))
        elif mutation == 1:  # an unknown key
            args[rng.choice(["modle", "max_hour", "flavour", "x" * 200, "__proto__", "args "])] = "v"
        elif mutation == 2 and props:  # a wrong-typed or hostile value
            args[rng.choice(sorted(props))] = _hostile(rng, secret)
        elif mutation == 3 and tool.name == "hf_jobs":  # nested args of the jobs tool
            args["operation"] = rng.choice(["run", "uv", "ps", "logs", "inspect", "cancel", "stats", "nope"])
            args["args"] = {
                "command": _hostile(rng, secret),
                "job_id": rng.choice(HOSTILE),
                "secrets": {"MY_SECRET": secret},
                "env": {"WANDB_API_KEY": secret, "MODE": rng.choice(HOSTILE)},
                "flavor": rng.choice(["local", "cpu-basic", "zzz", 5]),
                "dry_run": rng.random() < 0.8,
                rng.choice(["timeout", "tail", "namespace", "bogus"]): _hostile(rng, secret),
            }
        elif mutation == 4 and props:
            args[rng.choice(sorted(props))] = rng.choice(HOSTILE)
        else:
            args = {k: v for k, v in args.items() if rng.random() < 0.7}
    return args


def _files_with(root: Path, secret: str) -> list[str]:
    found = []
    if not root.exists():
        return found
    needle = secret.encode()
    for path in root.rglob("*"):
        if path.is_file():
            try:
                if needle in path.read_bytes():
                    found.append(str(path))
            except OSError:
                continue
    return found


async def fuzz(calls: int, seed: int, *, data_dir: Path | None = None) -> Report:
    """`calls` fuzzed calls, round-robin over every tool, through an in-process MCP client."""
    import anyio
    from hf_train_mcp import access
    from hf_train_mcp.app import build_server
    from hf_train_mcp.paths import data_dir as configured_data_dir
    from mcp import Client

    rng = random.Random(seed)
    secret = f"fuzz-secret-{seed:08d}-{rng.getrandbits(64):016x}"
    report = Report()
    previous = access.policy()
    access.set_policy(access.AccessPolicy(transport="http", allow_local=False))
    try:
        async with Client(build_server()) as client:
            tools = (await client.list_tools()).tools
            for i in range(calls):
                tool = tools[i % len(tools)]
                arguments = make_call(tool, rng, secret)
                started = time.monotonic()
                try:
                    with anyio.fail_after(HANG_S):
                        result = await client.call_tool(tool.name, arguments)
                except TimeoutError:
                    report.hangs += 1
                    report.examples.append(f"hang: {tool.name} {json.dumps(arguments, default=str)[:300]}")
                    continue
                except Exception as exc:  # the client itself failed: a protocol-level crash
                    report.crashes += 1
                    report.examples.append(f"crash: {tool.name}: {exc!r}"[:400])
                    continue
                finally:
                    report.calls += 1
                    report.per_tool[tool.name] += 1
                    report.slowest_s = max(report.slowest_s, time.monotonic() - started)
                text = "\n".join(getattr(block, "text", "") for block in result.content)
                everything = text + json.dumps(result.structured_content or {})
                if result.is_error:
                    report.errors += 1
                    if len(text) > MAX_ERROR_CHARS:
                        report.oversized += 1
                        report.examples.append(f"oversized ({len(text)}): {tool.name}")
                if "hit an internal error" in text:
                    report.crashes += 1
                    report.examples.append(
                        f"internal error: {tool.name} {json.dumps(arguments, default=str)[:300]}"
                    )
                elif PYTHON_TEXT.search(text):
                    report.python_texts += 1
                    report.examples.append(f"python text: {tool.name}: {text[:300]}")
                if DUMP.search(text):
                    report.dumps += 1
                    report.examples.append(f"dump: {tool.name}: {text[:300]}")
                if secret in everything:
                    report.leaks += 1
                    report.examples.append(f"leak: {tool.name}")
    finally:
        access.set_policy(previous)
    leaked_files = _files_with(data_dir or configured_data_dir(), secret)
    report.leaks += len(leaked_files)
    report.examples += [f"secret in file {p}" for p in leaked_files]
    return report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=10)
    options = parser.parse_args()
    sandbox = Path(tempfile.mkdtemp(prefix="hf-train-mcp-fuzz-"))
    os.environ.update(
        {
            "HF_TRAIN_MCP_DATA_DIR": str(sandbox / "data"),
            "HF_HOME": str(sandbox / "hf_home"),
            "HF_HUB_OFFLINE": "1",
            "HF_ENDPOINT": "http://127.0.0.1:9",
        }
    )
    os.environ.pop("HF_TOKEN", None)
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "server"))
    import logging
    import shutil

    import anyio

    logging.disable(logging.CRITICAL)
    started = time.monotonic()
    report = anyio.run(fuzz, options.calls, options.seed)
    print(f"seed={options.seed} {report.line()} total={time.monotonic() - started:.1f}s")
    print("per tool: " + ", ".join(f"{k}={v}" for k, v in sorted(report.per_tool.items())))
    for example in report.examples[:20]:
        print("  " + example)
    shutil.rmtree(sandbox, ignore_errors=True)
    return 1 if report.bad() else 0


if __name__ == "__main__":
    sys.exit(main())
