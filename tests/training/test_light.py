"""The server stays light: generating and validating a script imports no torch, transformers or trl, and
a render + validate takes milliseconds. The summary parser other tools use on job logs."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from hf_train_mcp.training import SUMMARY_PREFIX, parse_summary

PROBE = textwrap.dedent(
    """
    import sys, anyio
    from mcp import Client
    from hf_train_mcp.app import build_server

    async def main():
        async with Client(build_server()) as client:
            r = await client.call_tool("generate_training_script", {
                "method": "sft", "model": "Qwen/Qwen2.5-0.5B", "dataset": "d/x", "hub_model_id": "me/x",
                "flavor": "l4x1", "timeout": "2h"})
            assert not r.is_error, r.content[0].text
            r = await client.call_tool("validate_training_script", {"script": r.structured_content["script"]})
            assert not r.is_error
    anyio.run(main)
    libraries = ("torch", "transformers", "trl", "peft", "datasets", "accelerate")
    heavy = sorted(m for m in libraries if m in sys.modules)
    print("HEAVY", heavy)
    """
)


def test_generating_and_validating_imports_no_training_library(tmp_path):
    out = subprocess.run(
        [sys.executable, "-c", PROBE],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env={**__import__("os").environ, "HF_TRAIN_MCP_DATA_DIR": str(tmp_path)},
    )
    assert out.returncode == 0, out.stderr[-3000:]
    assert "HEAVY []" in out.stdout


def test_parse_summary_takes_the_last_well_formed_line():
    log = "\n".join(
        [
            "step 1 loss 2.0",
            f'{SUMMARY_PREFIX} {{"final_loss": 9, "steps": 1}}',
            "2026-11-22T10:00:00Z [stdout] "
            + SUMMARY_PREFIX
            + ' {"final_loss": 1.5, "steps": 10, "runtime_s": 3.0}',
            SUMMARY_PREFIX + " {not json",
            "Traceback: nothing after",
        ]
    )
    assert parse_summary(log) == {"final_loss": 1.5, "steps": 10, "runtime_s": 3.0}
    assert parse_summary("no summary here") is None
    assert parse_summary("") is None
    assert parse_summary(SUMMARY_PREFIX + " [1, 2]") is None
