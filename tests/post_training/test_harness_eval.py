"""evaluate_model with lm-evaluation-harness: a local multiple-choice task (a task YAML over a jsonl
file) scored for the tiny trained adapter and its base, through the rendered job script."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from hf_train_mcp.app import build_server
from mcp import Client
from post_training.conftest import Trained
from training.helpers import script_env

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

CAPITALS = [("france", "paris"), ("germany", "berlin"), ("italy", "rome"), ("spain", "madrid")]


def write_task(folder) -> None:
    rows = [
        {"question": f"what is the capital of {country}", "choices": [c for _, c in CAPITALS], "label": i}
        for i, (country, _) in enumerate(CAPITALS)
    ]
    data = folder / "capitals.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    (folder / "tiny_capitals.yaml").write_text(
        "task: tiny_capitals\n"
        "dataset_path: json\n"
        f"dataset_kwargs:\n  data_files:\n    test: {data}\n"
        "test_split: test\n"
        "output_type: multiple_choice\n"
        'doc_to_text: "{{question}} the capital of it is"\n'
        'doc_to_choice: "{{choices}}"\n'
        'doc_to_target: "{{label}}"\n'
        "metric_list:\n  - metric: acc\n    aggregation: mean\n    higher_is_better: true\n"
    )


@pytest.mark.skipif(
    subprocess.run([sys.executable, "-c", "import lm_eval"], capture_output=True).returncode != 0,
    reason="lm-eval is not installed",
)
async def test_a_local_harness_task_scores_the_adapter_and_its_base(trained: Trained, tmp_path):
    tasks = tmp_path / "tasks"
    tasks.mkdir()
    write_task(tasks)
    async with Client(build_server()) as client:
        result = await client.call_tool(
            "evaluate_model",
            {
                "model": str(trained.adapter),
                "tasks": ["tiny_capitals"],
                "task_include_path": str(tasks),
                "flavor": "local",
                "dtype": "float32",
            },
        )
    assert not result.is_error, result.content[0].text
    env = {**script_env(), "HF_HOME": str(tmp_path / "hf"), "HF_DATASETS_OFFLINE": "1", "HF_HUB_OFFLINE": "1"}
    out = subprocess.run(
        [sys.executable, result.structured_content["script_path"]],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )
    log = out.stdout + out.stderr
    assert out.returncode == 0, log[-5000:]
    line = next(x for x in reversed(out.stdout.splitlines()) if x.startswith("HF_EVAL_SUMMARY "))
    adapter, base = json.loads(line.split(" ", 1)[1])["results"]
    for scored in (adapter, base):
        acc = scored["tasks"]["tiny_capitals"]["acc"]
        assert 0.0 <= acc <= 1.0 and acc * len(CAPITALS) == pytest.approx(round(acc * len(CAPITALS)))
    assert base["model"] == str(trained.base)
    assert "tiny_capitals acc" in log  # the results table the card gets
