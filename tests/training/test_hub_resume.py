"""A job run again on a fresh machine continues from the checkpoint its first run pushed to the Hub.

The first run trains 2 steps here; its checkpoint-2 is put in a Hub repo double as `last-checkpoint/`
(what `hub_strategy="checkpoint"` pushes). The rendered script of the second run, with an empty output
folder, finds and downloads it through the real `huggingface_hub` client, then trains on from step 2.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from doubles.http_double import LoopbackServer
from doubles.hub_repos import install_repo_routes
from training.helpers import SFT_MAPPING, run_ok, script_env, write_script

PROBE = """
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("train", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
cfg = module.resolve_config(module.parse_args([]))
print(json.dumps({"checkpoint": module.hub_checkpoint(cfg)}))
"""


def hub_checkpoint_of(script: Path, endpoint: str, cwd: Path) -> str | None:
    env = {**script_env(), "HF_ENDPOINT": endpoint, "HF_HOME": str(cwd / "hf-home")}
    env.pop("HF_TOKEN", None)
    out = subprocess.run(
        [sys.executable, "-c", PROBE, str(script)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])["checkpoint"]


@pytest.mark.slow
def test_a_rerun_resumes_from_the_checkpoint_pushed_to_the_hub(tiny, tmp_path: Path) -> None:
    first_dir = tmp_path / "first-machine"
    first_dir.mkdir()
    common = {"method": "sft", "peft": "lora", "dataset": str(tiny.sft_data), "column_mapping": SFT_MAPPING}
    first = write_script(first_dir, tiny, **common)
    run_ok(first, cwd=first_dir)
    checkpoint = first_dir / "out" / "checkpoint-2"
    pushed = {
        f"last-checkpoint/{p.relative_to(checkpoint)}": p.read_bytes()
        for p in checkpoint.rglob("*")
        if p.is_file()
    }

    second_dir = tmp_path / "second-machine"
    second_dir.mkdir()
    second = write_script(second_dir, tiny, push_to_hub=True, hub_model_id="alice/run", **common)
    with LoopbackServer() as server:
        repos = install_repo_routes(server)
        assert hub_checkpoint_of(second, server.url, second_dir) is None  # no such repo yet: start over
        repos.add("alice/run", "model", files={"README.md": "# run\n"})
        assert hub_checkpoint_of(second, server.url, second_dir) is None  # a repo, but no checkpoint
        repos.add("alice/run", "model", files={"README.md": "# run\n", **pushed})
        found = hub_checkpoint_of(second, server.url, second_dir)
    assert found is not None and Path(found).name == "last-checkpoint"
    assert json.loads((Path(found) / "trainer_state.json").read_text())["global_step"] == 2

    summary, log = run_ok(second, "--resume-from", found, "--no-push", "--max-steps", "3", cwd=second_dir)
    assert summary["resumed_from"] == "last-checkpoint" and summary["steps"] == 3
    assert "resuming from" in log
