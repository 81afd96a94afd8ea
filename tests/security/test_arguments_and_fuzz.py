"""Errors an agent can act on, for every tool, through an in-process MCP client and the CLI; and a
fixed-seed fuzz slice (the full 2,000 calls: benchmarks/fuzz.py)."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest
from hf_train_mcp.app import build_server
from mcp import Client

pytestmark = pytest.mark.anyio
ROOT = Path(__file__).resolve().parents[2]


def _text(result) -> str:  # type: ignore[no-untyped-def]
    return "\n".join(getattr(block, "text", "") for block in result.content)


async def test_unknown_keys_are_refused_on_every_tool() -> None:
    async with Client(build_server()) as client:
        tools = (await client.list_tools()).tools
        assert len(tools) >= 8
        for tool in tools:
            result = await client.call_tool(tool.name, {"definitely_not_an_argument": 1})
            text = _text(result)
            assert result.is_error, tool.name
            assert "unknown argument `definitely_not_an_argument`" in text, (tool.name, text)
            assert f"{tool.name} takes:" in text


async def test_a_typo_gets_the_closest_name() -> None:
    async with Client(build_server()) as client:
        result = await client.call_tool("recommend_hardware", {"flavor": "a10g-large", "hour": 2})
    assert result.is_error and "Did you mean `hours`?" in _text(result)


@pytest.mark.parametrize(
    ("tool", "arguments", "expected"),
    [
        (
            "recommend_hardware",
            {"flavor": "a10g-large", "hours": "two"},
            "`hours`: expected a number > 0, e.g.",
        ),
        ("recommend_hardware", {"flavor": "a10g-large", "hours": "inf"}, "`hours` must be a finite number"),
        ("recommend_hardware", {"flavor": "a10g-large", "hours": "1e309"}, "`hours` must be a finite number"),
        ("recommend_hardware", {"hours": 1}, "hours/minutes price a run on one flavor: add flavor"),
        (
            "recommend_hardware",
            {"model": "x", "params_b": complex(1, 2)},
            "`params_b`: expected a number > 0",
        ),
        ("hf_jobs", {"operation": 5}, '"scheduled trigger", e.g. "run"; got an integer'),
    ],
)
async def test_argument_errors_name_the_argument_and_what_to_send(
    tool: str, arguments: dict, expected: str
) -> None:
    async with Client(build_server()) as client:
        result = await client.call_tool(tool, arguments)
    text = _text(result)
    assert result.is_error
    assert expected in text, text
    assert "validation error" not in text and "input_value" not in text and "pydantic" not in text


async def test_values_json_cannot_carry_are_refused_by_name() -> None:
    """A Python caller of the server (no JSON in between) gets the same kind of answer."""
    from mcp.server.mcpserver.exceptions import ToolError

    with pytest.raises(ToolError, match=r"`params_b` is a value JSON cannot carry"):
        await build_server().call_tool("recommend_hardware", {"model": "x", "params_b": complex(1, 2)})
    with pytest.raises(ToolError, match=r"`hours` must be a finite number"):
        await build_server().call_tool("recommend_hardware", {"flavor": "a10g-large", "hours": float("nan")})


async def test_huge_inputs_are_never_echoed() -> None:
    huge = "Z" * 5_000_000
    async with Client(build_server()) as client:
        for tool, arguments in [
            ("recommend_hardware", {"flavor": huge, "hours": 1}),
            ("recommend_hardware", {"flavor": "a10g-large", "hours": huge}),
            ("inspect_dataset", {"dataset": "Z" * 300}),
            ("generate_training_script", {"model": "Q/Q", "dataset": "a/b", "output_dir": "Z" * 300}),
        ]:
            result = await client.call_tool(tool, arguments)
            assert len(_text(result)) < 5000, (tool, len(_text(result)))


def test_cli_prints_the_same_actionable_error() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "hf_train_mcp", "call", "recommend_hardware", json.dumps({"modle": "x"})],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1
    assert "unknown argument `modle`. Did you mean `model`?" in proc.stdout


def _fuzz_module():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("hf_train_mcp_fuzz", ROOT / "benchmarks" / "fuzz.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


async def test_fuzz_slice_fixed_seed(monkeypatch: pytest.MonkeyPatch) -> None:
    """400 fuzzed calls (50 per tool) with seed 10; `benchmarks/fuzz.py` runs 2,000 with the same engine."""
    import huggingface_hub.constants

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    report = await _fuzz_module().fuzz(400, 10)
    assert report.calls == 400
    assert report.bad() == 0, report.line() + "\n" + "\n".join(report.examples)
    assert report.errors > 100  # the fuzzer does break things
    assert report.calls - report.errors > 10  # and some calls are valid enough to run the tool body


async def test_the_fuzz_detectors_catch_what_they_look_for() -> None:
    fuzz = _fuzz_module()
    assert fuzz.DUMP.search("1 validation error for X\n  Input should be [type=int_parsing, input_value='a'")
    assert fuzz.PYTHON_TEXT.search("Could not: OverflowError: cannot convert float infinity")
    assert fuzz.PYTHON_TEXT.search("x hit an internal error")
    assert not fuzz.PYTHON_TEXT.search("Invalid arguments for recommend_hardware: `hours`: expected a number")
