"""The README's after-training commands work as written: each `hf-train-mcp call` line of steps 2-5 runs
through the CLI against the Hub doubles (step 1, prepare_training, is the tested guided flow)."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest
from doubles.full_hub import full_hub
from hf_train_mcp import cli

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()
SECTION = README.split("## After training: watch, evaluate, export, try it", 1)[1].split("\n## ", 1)[0]
LOG = "{'loss': '2.5', 'learning_rate': '0.0002', 'epoch': '0.5'}\n{'loss': '2.0', 'epoch': '1.0'}\n"


def commands() -> list[list[str]]:
    lines = re.findall(r"^(?:\.venv/bin/)?hf-train-mcp call .+$", SECTION, flags=re.MULTILINE)
    return [shlex.split(line)[1:] for line in lines]


def test_the_section_walks_the_whole_path():
    tools = [c[1] for c in commands()]
    assert tools == [
        "prepare_training",
        "training_loss_curve",
        "evaluate_model",
        "export_model",
        "create_demo_space",
    ]
    assert "ollama run hf.co/me/qwen-capybara-GGUF:Q4_K_M" in SECTION


def test_steps_two_to_five_run_as_written(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("HF_TRAIN_MCP_DATA_DIR", str(tmp_path / "data"))
    with full_hub(monkeypatch) as hub:
        hub.repos.add_user("me", hub.token)
        hub.repos.add(
            "me/qwen-capybara",
            "model",
            files={
                "adapter_config.json": {"base_model_name_or_path": "Qwen/Qwen2.5-0.5B", "peft_type": "LORA"},
                "tokenizer_config.json": {"chat_template": "{{ messages }}"},
            },
        )
        job = hub.jobs.add_job(flavor="a10g-large")
        for line in LOG.splitlines():
            hub.jobs.log(job.id, line)
        hub.jobs.finish(job.id)
        for argv in commands()[1:]:
            argv = [a.replace("<job id>", job.id) for a in argv]
            code = cli.main(argv)
            out = capsys.readouterr().out
            assert code == 0, (argv, out)
            if argv[1] == "training_loss_curve":
                assert json.loads(out)["points"] == 2
            if argv[1] == "export_model":
                assert "me/qwen-capybara-GGUF" in out and '"operation": "uv"' in out
        space = hub.repos.get("space", "me/qwen-capybara-demo")
        assert space is not None and "app.py" in space.files


@pytest.mark.parametrize("skill", ["hf-jobs-after-training"])
def test_the_readme_lists_the_skill(skill):
    assert f"`{skill}`" in README
