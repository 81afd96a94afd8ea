"""Size of the tool list an agent pays for in every conversation: the JSON of `tools/list` as an MCP
client receives it (in-process client, the same JSON stdio carries), in total and per tool, split into
the input part (name, title, description, input schema, annotations) and the output schemas.

    python benchmarks/tool_list.py [--check] [--json]

Target: the whole list (output schemas included) at most 12 KB (`--check` exits 1 otherwise).
"""

from __future__ import annotations

import argparse
import json
import sys

import anyio

TARGET_BYTES = 12 * 1024


def _size(value: object) -> int:
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode())


async def measure() -> dict[str, object]:
    from hf_train_mcp.app import build_server
    from mcp import Client

    async with Client(build_server()) as client:
        listed = await client.list_tools()
    tools = [t.model_dump(mode="json", by_alias=True, exclude_none=True) for t in listed.tools]
    rows = []
    for tool in tools:
        output = tool.get("outputSchema")
        total = _size(tool)
        out = _size(output) if output is not None else 0
        rows.append({"name": tool["name"], "total": total, "input": total - out, "output": out})
    body = {"tools": tools}
    total = _size(body)
    output_total = sum(int(r["output"]) for r in rows)
    return {"total": total, "input": total - output_total, "output": output_total, "tools": rows}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help=f"exit 1 above {TARGET_BYTES} bytes")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    options = parser.parse_args()
    result = anyio.run(measure)
    if options.json:
        print(json.dumps(result, indent=2))
    else:
        print(f"{'tool':34} {'total':>7} {'input':>7} {'output':>7}")
        for row in result["tools"]:  # type: ignore[attr-defined]
            print(f"{row['name']:34} {row['total']:>7} {row['input']:>7} {row['output']:>7}")
        print(
            f"{'ALL (tools/list result)':34} {result['total']:>7} {result['input']:>7} {result['output']:>7}"
        )
        print(f"target: total <= {TARGET_BYTES} bytes")
    return 1 if options.check and int(result["total"]) > TARGET_BYTES else 0  # type: ignore[arg-type]


if __name__ == "__main__":
    sys.exit(main())
