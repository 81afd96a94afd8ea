"""A generated script pushes its model and checkpoints to the Hub, and a re-run on a fresh machine
resumes from the pushed checkpoint by itself.

Everything real but the Hub: the rendered SFT LoRA script runs as a subprocess with the real
transformers/TRL Trainer (`hub_strategy="checkpoint"`) and the real `huggingface_hub` client, pointed
at the repo double by HF_ENDPOINT and holding a write token the double knows.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from doubles.http_double import LoopbackServer
from doubles.hub_repos import RepoStore, install_repo_routes
from hf_train_mcp.training import parse_summary
from training.helpers import GRPO_SETTINGS, SFT_MAPPING, script_env, write_script
from training.tiny import GRPO_ROWS, write_jsonl

TOKEN = "hf_alice_push_token_0123456789"


def run_pushing(script: Path, *args: str, cwd: Path, endpoint: str) -> tuple[dict, str]:
    env = {**script_env(), "HF_ENDPOINT": endpoint, "HF_TOKEN": TOKEN, "HF_HOME": str(cwd / "hf-home")}
    out = subprocess.run(
        [sys.executable, str(script), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )
    log = out.stdout + out.stderr
    assert out.returncode == 0, log[-4000:]
    summary = parse_summary(out.stdout)
    assert summary is not None, log[-4000:]
    assert TOKEN not in log
    return summary, log


def checkpoint_step(repos: RepoStore) -> int:
    repo = repos.get("model", "alice/run")
    assert repo is not None
    return json.loads(repo.files["last-checkpoint/trainer_state.json"])["global_step"]


@pytest.mark.slow
@pytest.mark.parametrize("method", ["sft", "grpo"])
def test_a_script_pushes_checkpoints_and_a_rerun_elsewhere_resumes_from_them(
    method: str, tiny, tmp_path: Path
) -> None:
    first_dir, second_dir = tmp_path / "first-machine", tmp_path / "second-machine"
    first_dir.mkdir()
    second_dir.mkdir()
    if method == "sft":
        data = {"dataset": str(tiny.sft_data), "column_mapping": SFT_MAPPING}
    else:  # generated batches, scored by TRL's built-in rewards
        data = {"dataset": str(write_jsonl(tmp_path / "grpo.jsonl", GRPO_ROWS)), **GRPO_SETTINGS}
    # output_dir relative, as in a job: each machine writes under its own working directory.
    script = write_script(
        first_dir,
        tiny,
        method=method,
        push_to_hub=True,
        hub_model_id="alice/run",
        save_steps=1,
        max_steps=2,
        output_dir="out",
        **data,
    )
    with LoopbackServer() as server:
        repos = install_repo_routes(server)
        repos.add_user("alice", TOKEN)

        summary, log = run_pushing(script, cwd=first_dir, endpoint=server.url)
        assert summary["steps"] == 2 and summary["resumed_from"] is None
        assert summary["hub_model_id"] == "alice/run"
        repo = repos.get("model", "alice/run")
        assert repo is not None and repo.private  # the config's default: a private repo
        for name in (
            "adapter_model.safetensors",
            "adapter_config.json",
            "README.md",
            "last-checkpoint/adapter_model.safetensors",
            "last-checkpoint/optimizer.pt",
        ):
            assert name in repo.files, sorted(repo.files)
        assert checkpoint_step(repos) == 2  # the last save was pushed, not only the first
        assert "## Training details (hf-train-mcp)" in repo.files["README.md"].decode()
        assert not any(p.startswith(("checkpoint-", "_")) for p in repo.files), sorted(repo.files)

        assert (first_dir / "out" / "checkpoint-2").is_dir()

        # A fresh machine: the same script in an empty folder, asked for one step more.
        fresh = second_dir / "train.py"
        fresh.write_text(script.read_text())
        summary, log = run_pushing(fresh, "--max-steps", "3", cwd=second_dir, endpoint=server.url)
        assert (second_dir / "out" / "_hub_resume" / "last-checkpoint" / "trainer_state.json").is_file()
        assert "resuming from" in log
        assert summary["resumed_from"] == "last-checkpoint" and summary["steps"] == 3
        assert checkpoint_step(repos) == 3
