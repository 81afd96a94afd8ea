"""The whole after-training path on a tiny Llama really trained with LoRA, through the MCP tools:
its loss curve from the real training log, the export job (merge + llama.cpp GGUF conversion, pushed to
the Hub double) and the evaluation job, each rendered by the tool and run as the user would run it."""

from __future__ import annotations

import io
import json
import math
import subprocess
import sys
from pathlib import Path

import pytest
from doubles.http_double import LoopbackServer
from doubles.hub_repos import install_repo_routes
from hf_train_mcp.app import build_server
from mcp import Client
from post_training.conftest import Trained, run_python
from training.helpers import script_env

pytestmark = [pytest.mark.anyio, pytest.mark.slow]
TOKEN = "hf_alice_export_token_0123456789"


async def call(name: str, arguments: dict):
    async with Client(build_server()) as client:
        return await client.call_tool(name, arguments)


def run_job(
    script: str, cwd: Path, env: dict | None = None, prefix: str = "HF_EXPORT_SUMMARY"
) -> tuple[dict, str]:
    out = subprocess.run(
        [sys.executable, script],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
        env=env or script_env(),
    )
    log = out.stdout + out.stderr
    assert out.returncode == 0, log[-5000:]
    lines = [line for line in out.stdout.splitlines() if line.startswith(prefix + " ")]
    assert lines, log[-5000:]
    return json.loads(lines[-1].split(" ", 1)[1]), log


async def test_the_loss_curve_of_a_real_training_log_is_a_png_with_its_numbers(trained: Trained, tmp_path):
    from PIL import Image

    log_file = tmp_path / "train.log"
    log_file.write_text(trained.log)
    result = await call("training_loss_curve", {"log_path": str(log_file)})
    assert not result.is_error, result.content[0].text
    text, image = result.content
    assert image.type == "image" and image.mime_type == "image/png"
    import base64

    picture = Image.open(io.BytesIO(base64.b64decode(image.data)))
    picture.load()
    assert picture.format == "PNG" and picture.size[0] > 300 and picture.size[1] > 200
    data = result.structured_content
    assert data["points"] == trained.summary["steps"]  # logging_steps=1: one point per optimizer step
    assert data["train"][-1]["loss"] == pytest.approx(trained.summary["final_loss"], rel=1e-3)
    assert data["summary"] == trained.summary
    assert f"{data['train'][-1]['loss']:.4f}" in text.text


async def test_export_merges_exactly_and_writes_gguf_that_the_reader_opens(
    trained: Trained, tmp_path, monkeypatch
):
    server = LoopbackServer().start()
    try:
        repos = install_repo_routes(server)
        repos.add_user("alice", TOKEN)
        result = await call(
            "export_model",
            {
                "model": str(trained.adapter),
                "flavor": "local",
                "dtype": "float32",  # exact comparison below; the default 16-bit merge is what jobs use
                "gguf_types": ["f16", "q8_0"],
                "merged_repo": "alice/tiny-merged",
                "gguf_repo": "alice/tiny-GGUF",
                "output_dir": str(tmp_path / "export"),
            },
        )
        assert not result.is_error, result.content[0].text
        data = result.structured_content
        assert data["hf_jobs"]["args"]["flavor"] == "local" and "secrets" not in data["hf_jobs"]["args"]
        env = {**script_env(), "HF_ENDPOINT": server.url, "HF_TOKEN": TOKEN, "HF_HOME": str(tmp_path / "hf")}
        summary, log = run_job(data["script_path"], tmp_path, env)
        assert TOKEN not in log
    finally:
        server.stop()
    merged = Path(summary["merged_dir"])
    assert summary["merged"] is True and summary["merge_check"]["same_argmax"] is True

    # The merged model alone generates what base + adapter generate.
    code = """
import sys, json, torch
from transformers import AutoModelForCausalLM, AutoTokenizer
from peft import PeftModel
base, adapter, merged = sys.argv[1:4]
tok = AutoTokenizer.from_pretrained(merged)
ids = tok("what is the capital of", return_tensors="pt")
def greedy(model):
    out = model.generate(**ids, max_new_tokens=12, do_sample=False, pad_token_id=tok.pad_token_id)
    return out[0].tolist()
with_adapter = greedy(PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(base), adapter).eval())
alone = greedy(AutoModelForCausalLM.from_pretrained(merged).eval())
plain = greedy(AutoModelForCausalLM.from_pretrained(base).eval())
print(json.dumps({"adapter": with_adapter, "merged": alone, "base": plain}))
"""
    tokens = json.loads(run_python(code, str(trained.base), str(trained.adapter), str(merged), cwd=tmp_path))
    assert tokens["merged"] == tokens["adapter"]
    assert (
        tokens["adapter"] != tokens["base"]
    )  # the adapter changed the model: the check above means something

    # llama.cpp's GGUF files: the gguf reader opens them with the merged model's tensors and metadata.
    from gguf import GGUFReader
    from safetensors import safe_open

    with safe_open(str(merged / "model.safetensors"), "pt") as weights:
        n_tensors = len(list(weights.keys()))
    config = json.loads((merged / "config.json").read_text())
    files = {f["type"]: Path(summary["merged_dir"]).parent / "gguf" / f["file"] for f in summary["gguf"]}
    assert set(files) == {"F16", "Q8_0"}
    for kind, path in files.items():
        reader = GGUFReader(path)
        assert len(reader.tensors) == n_tensors, kind

        def field(name: str, reader=reader):
            value = reader.get_field(name)
            return value.contents() if value is not None else None

        assert field("general.architecture") == "llama"
        assert field("llama.block_count") == config["num_hidden_layers"]
        assert field("llama.embedding_length") == config["hidden_size"]
        assert field("tokenizer.chat_template") == (trained.base / "chat_template.jinja").read_text()
        assert len(field("tokenizer.ggml.tokens")) == config["vocab_size"]
    q8_types = {t.tensor_type.name for t in GGUFReader(files["Q8_0"]).tensors}
    assert "Q8_0" in q8_types

    # Both were pushed, with cards that say how to run the GGUF files.
    merged_repo, gguf_repo = repos.get("model", "alice/tiny-merged"), repos.get("model", "alice/tiny-GGUF")
    assert merged_repo is not None and "model.safetensors" in merged_repo.files
    assert gguf_repo is not None and {p.name for p in files.values()} <= set(gguf_repo.files)
    card = gguf_repo.files["README.md"].decode()
    assert "ollama run hf.co/alice/tiny-GGUF:Q8_0" in card and "llama-cli -hf alice/tiny-GGUF" in card
    assert "LM Studio" in card


async def test_evaluation_scores_the_adapter_beside_its_base(trained: Trained, tmp_path):
    # The training rows are question/answer: the held-out file uses the prompt/completion shape TRL reads.
    src = [json.loads(line) for line in trained.data.read_text().splitlines()]
    rows = tmp_path / "eval.jsonl"
    rows.write_text(
        "".join(json.dumps({"prompt": r["question"], "completion": " " + r["answer"]}) + "\n" for r in src)
    )
    result = await call(
        "evaluate_model",
        {
            "model": str(trained.adapter),
            "dataset": str(rows),
            "flavor": "local",
            "dtype": "float32",
            "max_rows": 8,
            "max_length": 64,
        },
    )
    assert not result.is_error, result.content[0].text
    data = result.structured_content
    assert data["config"]["compare_base"] is True and data["config"]["card_repo"] is None
    summary, log = run_job(data["script_path"], tmp_path, prefix="HF_EVAL_SUMMARY")
    trained_result, base_result = summary["results"]
    assert trained_result["model"] == str(trained.adapter) and base_result["model"] == str(trained.base)
    for r in (trained_result, base_result):
        held = r["held_out"]
        assert held["rows"] == 8 and held["tokens"] > 0
        assert held["perplexity"] == pytest.approx(math.exp(held["loss"]), rel=1e-3)
    assert trained_result["held_out"]["loss"] < base_result["held_out"]["loss"]  # it learned the rows
    assert "| held-out loss | perplexity |" in log
