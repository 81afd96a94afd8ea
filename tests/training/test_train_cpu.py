"""The rendered scripts really train: a few steps on CPU on a tiny random model, then a second run resumes.

Each script runs as `python train.py` in a subprocess (the test environment has the pinned stack), on its
real code path (flavor 'local', no --dry-run), with nothing pushed.
"""

from __future__ import annotations

import importlib.util
import json
import math
import shutil
import subprocess
import sys

import pytest
from hf_train_mcp.training import parse_summary
from training.helpers import GRPO_SETTINGS, SFT_MAPPING, run_ok, run_script, write_script
from training.tiny import GRPO_ROWS, KTO_ROWS, write_jsonl

DPO_MAPPING = {"prompt": "instruction", "chosen": "good", "rejected": "bad"}
ADAPTER = "adapter_model.safetensors"
KTO = {"column_mapping": {"prompt": "question", "completion": "response", "label": "good"}}
# case -> (method, peft, data: a fixture attribute or rows written in the test, request settings, weights)
CASES = {
    "sft-full": ("sft", "full", "sft_data", {"column_mapping": SFT_MAPPING}, "model.safetensors"),
    "sft-lora": ("sft", "lora", "sft_data", {"column_mapping": SFT_MAPPING}, "adapter_model.safetensors"),
    "dpo-lora": ("dpo", "lora", "dpo_data", {"column_mapping": DPO_MAPPING}, "adapter_model.safetensors"),
    "dpo-full": ("dpo", "full", "dpo_data", {"column_mapping": DPO_MAPPING}, "model.safetensors"),
    "grpo-lora": ("grpo", "lora", GRPO_ROWS, GRPO_SETTINGS, ADAPTER),
    "kto-lora": ("kto", "lora", KTO_ROWS, KTO, ADAPTER),
    "reward-lora": ("reward", "lora", "dpo_data", {"column_mapping": DPO_MAPPING}, ADAPTER),
}


@pytest.mark.slow
@pytest.mark.parametrize("case", list(CASES))
def test_trains_saves_and_resumes(case, tiny, tmp_path):
    method, peft, data, settings, weights = CASES[case]
    if isinstance(data, str):
        dataset = getattr(tiny, data)
    else:
        dataset = write_jsonl(tmp_path / f"{method}.jsonl", data)
    script = write_script(tmp_path, tiny, method=method, peft=peft, dataset=str(dataset), **settings)
    out = tmp_path / "out"

    summary, log = run_ok(script, cwd=tmp_path)
    assert summary["steps"] == 2 and summary["resumed_from"] is None
    assert math.isfinite(summary["final_loss"]) and summary["runtime_s"] > 0
    assert summary["peak_memory_gb"] > 0
    if method != "grpo":  # GRPO's batches are generated: the Trainer counts no input tokens
        assert summary["tokens_per_second"] > 0
    for name in (weights, "README.md", "tokenizer.json", "checkpoint-2/trainer_state.json"):
        assert (out / name).is_file(), sorted(p.name for p in out.iterdir())
    card = (out / "README.md").read_text()
    assert "## Training details (hf-train-mcp)" in card
    assert str(tiny.model) in card and dataset.name in card
    assert f"{method.upper()} ({peft})" in card and "| learning_rate |" in card
    if method == "sft":  # packed by default; the memory decisions are made at start (flavor 'local')
        assert "packing: on (bfd, padding-free" in log
    if method != "grpo":  # GRPO keeps the request's generation batch sizes
        assert "memory: micro-batch 2 x accumulation 1, checkpointing off (no CUDA device" in log
    if method in ("dpo", "kto"):
        expected = "none (the adapter" if peft == "lora" else "a frozen copy"
        assert f"reference model: {expected}" in log
    if method == "grpo":
        assert "rewards: think_format_reward, repetition_penalty_reward" in log
        assert "dropped 1 of 9 rows with prompts over 32 tokens" in log
        state = json.loads((out / "checkpoint-2" / "trainer_state.json").read_text())
        logged = [h for h in state["log_history"] if "reward" in h]
        assert logged and all(0 < h["completions/max_length"] <= 8 for h in logged)
        assert "rewards/think_format_reward/mean" in logged[0] and "| num_generations | 2 |" in card
    if method == "reward":
        adapter = json.loads((out / "adapter_config.json").read_text())
        assert adapter["task_type"] == "SEQ_CLS" and "score" in str(adapter["modules_to_save"])

    # A second run of the same script continues from checkpoint-2 instead of starting over.
    summary2, log2 = run_ok(script, "--max-steps", "3", cwd=tmp_path)
    assert summary2["resumed_from"] == "checkpoint-2" and summary2["steps"] == 3
    assert "resuming from" in log2
    state = json.loads((out / "checkpoint-3" / "trainer_state.json").read_text())
    assert state["global_step"] == 3
    assert [h["step"] for h in state["log_history"] if "loss" in h][:2] == [1, 2]  # the first run's history


@pytest.mark.slow
def test_conversational_data_with_assistant_only_loss(tiny, tmp_path):
    script = write_script(tmp_path, tiny, dataset=str(tiny.messages_data), assistant_only_loss=True)
    summary, log = run_ok(script, cwd=tmp_path)
    assert summary["steps"] == 2 and "columns ['messages']" in log


@pytest.mark.slow
def test_wrong_columns_fail_fast_with_the_fix(tiny, tmp_path):
    script = write_script(tmp_path, tiny, dataset=str(tiny.sft_data))  # question/answer without a mapping
    out = run_script(script, cwd=tmp_path)
    assert out.returncode == 2
    assert "not a SFT dataset" in out.stderr and "column_mapping" in out.stderr
    assert "Loading weights" not in out.stderr  # failed before loading the model


@pytest.mark.slow
def test_gpu_script_refuses_to_train_on_cpu_without_dry_run(tiny, tmp_path):
    script = write_script(
        tmp_path, tiny, flavor="a10g-large", push_to_hub=True, hub_model_id="me/x", dataset=str(tiny.sft_data)
    )
    out = run_script(script, "--no-push", cwd=tmp_path)
    assert out.returncode == 2 and "no CUDA device is visible" in out.stderr and "--dry-run" in out.stderr


def _cuda_with_bitsandbytes() -> bool:
    if shutil.which("nvidia-smi") is None or importlib.util.find_spec("bitsandbytes") is None:
        return False
    probe = subprocess.run(
        [sys.executable, "-c", "import torch; print(torch.cuda.is_available())"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    return probe.stdout.strip() == "True"


@pytest.mark.slow
@pytest.mark.gpu
@pytest.mark.parametrize("method", ["sft", "dpo"])
def test_qlora_trains_on_a_gpu(method, tiny, tmp_path):
    if not _cuda_with_bitsandbytes():
        pytest.skip("QLoRA needs a CUDA device and bitsandbytes")
    mapping = SFT_MAPPING if method == "sft" else DPO_MAPPING
    data = tiny.sft_data if method == "sft" else tiny.dpo_data
    script = write_script(
        tmp_path, tiny, method=method, peft="qlora", dataset=str(data), column_mapping=mapping
    )
    out = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=600
    )
    assert out.returncode == 0, (out.stdout + out.stderr)[-4000:]
    summary = parse_summary(out.stdout)
    assert summary and summary["steps"] == 2 and (tmp_path / "out" / "adapter_model.safetensors").is_file()
