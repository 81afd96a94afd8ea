"""k-quants through llama.cpp's own quantizer (llama-cpp-python's llama_model_quantize). The generated
script depends on llama-cpp-python only when a k-quant is asked for, and uv builds it from source (minutes
of C++): this test runs where it is installed and is skipped elsewhere (CI does not build it)."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest
from hf_train_mcp.app import build_server
from mcp import Client
from post_training.conftest import Trained
from training.helpers import script_env

pytestmark = [
    pytest.mark.anyio,
    pytest.mark.slow,
    pytest.mark.skipif(
        importlib.util.find_spec("llama_cpp") is None, reason="llama-cpp-python is not built here"
    ),
]


async def test_q4_k_m_is_made_by_llama_cpp_and_read_back(trained: Trained, tmp_path):
    from gguf import GGUFReader

    async with Client(build_server()) as client:
        result = await client.call_tool(
            "export_model",
            {"model": str(trained.adapter), "flavor": "local", "push": False, "gguf_types": ["Q4_K_M"],
             "output_dir": str(tmp_path / "export")},
        )  # fmt: skip
    assert not result.is_error, result.content[0].text
    out = subprocess.run(
        [sys.executable, result.structured_content["script_path"]],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
        env=script_env(),
    )
    assert out.returncode == 0, (out.stdout + out.stderr)[-5000:]
    line = next(x for x in reversed(out.stdout.splitlines()) if x.startswith("HF_EXPORT_SUMMARY "))
    summary = json.loads(line.split(" ", 1)[1])
    assert [f["type"] for f in summary["gguf"]] == ["Q4_K_M"]
    path = Path(summary["merged_dir"]).parent / "gguf" / summary["gguf"][0]["file"]
    reader = GGUFReader(path)
    assert reader.get_field("general.file_type").contents() == 15  # LLAMA_FTYPE_MOSTLY_Q4_K_M
    assert not (path.parent / path.name.replace("Q4_K_M", "F16")).exists()  # the f16 step was cleaned up
