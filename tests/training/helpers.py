"""Helpers for the training tests (fixtures are in conftest.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hf_train_mcp.training import parse_summary
from hf_train_mcp.training.render import render_script, training_pins
from hf_train_mcp.training.requests import parse_request
from hf_train_mcp.training.resolve import resolve

HERE = Path(__file__).resolve().parent


@dataclass
class TinyAssets:
    root: Path
    model: Path
    sft_data: Path  # question/answer/note columns: needs a column mapping onto prompt/completion
    dpo_data: Path  # instruction/good/bad columns: needs a column mapping onto prompt/chosen/rejected
    messages_data: Path  # conversational, already in TRL's format


# The PEP 723 header of a hand-written script that pins the training stack the way the lint asks.
PINNED_HEADER = (
    "# /// script\n# dependencies = [\n"
    + "".join(f'#     "{k}=={v}",\n' for k, v in training_pins().items())
    + "# ]\n# ///\n"
)
# A hand-written SFT LoRA script that the lint passes (after PINNED_HEADER): tests change one thing in it.
GOOD_SFT_BODY = """
from datasets import load_dataset
from peft import LoraConfig
from trl import SFTConfig, SFTTrainer

dataset = load_dataset("trl-lib/Capybara", split="train")
args = SFTConfig(
    output_dir="out",
    max_length=1024,
    bf16=True,
    eval_strategy="no",
    push_to_hub=True,
    hub_model_id="me/model",
    hub_strategy="checkpoint",
    save_strategy="steps",
    save_steps=100,
    model_init_kwargs={"dtype": "bfloat16"},
)
trainer = SFTTrainer(
    model="Qwen/Qwen2.5-0.5B",
    args=args,
    train_dataset=dataset,
    peft_config=LoraConfig(r=16, lora_alpha=32, target_modules="all-linear"),
)
trainer.train()
trainer.push_to_hub()
"""


def script_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(TOKENIZERS_PARALLELISM="false", HF_DATASETS_DISABLE_PROGRESS_BARS="1", PYTHONUNBUFFERED="1")
    env.update(OMP_NUM_THREADS="1", CUDA_VISIBLE_DEVICES="")
    return env


def run_script(script: Path, *args: str, cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(script), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=script_env(),
    )


def request(**overrides: Any) -> dict[str, Any]:
    """A valid request that needs neither the Hub nor the hardware model (flavor 'local')."""
    data: dict[str, Any] = {
        "method": "sft",
        "peft": "lora",
        "model": "Qwen/Qwen2.5-0.5B",
        "dataset": "trl-lib/Capybara",
        "hub_model_id": "me/run",
        "flavor": "local",
        "timeout": "2h",
    }
    data.update(overrides)
    return data


def loaded_script(plan: Any) -> dict[str, Any]:
    """The namespace of `plan`'s rendered script, loaded (its CONFIG and functions), not run."""
    assert plan.ok, [c.as_dict() for c in plan.failures]
    namespace: dict[str, Any] = {"__name__": "rendered_script"}
    exec(compile(render_script(plan), "train.py", "exec"), namespace)
    return namespace


def plan_checks(plan: Any, name: str) -> list[tuple[str, str, str | None]]:
    """(status, message, fix) of each of `plan`'s checks called `name`."""
    return [(c.status, c.message, c.fix) for c in plan.checks if c.name == name]


SFT_MAPPING = {"prompt": "question", "completion": "answer"}
# GRPO on tiny.GRPO_ROWS: two built-in rewards with weights, 2 completions of at most 8 tokens per prompt,
# one prompt per step (batch 2 x accumulation 1).
GRPO_SETTINGS = {
    "column_mapping": {"prompt": "question", "solution": "answer"},
    "reward_funcs": ["think_format", "repetition_penalty"],
    "reward_weights": [1.0, 0.5],
    "num_generations": 2,
    "max_completion_length": 8,
    "max_prompt_length": 32,
    "temperature": 0.9,
}


def write_script(tmp_path, tiny, **overrides):
    data = {
        "method": "sft",
        "peft": "lora",
        "model": str(tiny.model),
        "flavor": "local",
        "push_to_hub": False,
        "output_dir": str(tmp_path / "out"),
        "max_steps": 2,
        "save_steps": 1,
        "logging_steps": 1,
        "per_device_train_batch_size": 2,
        "gradient_accumulation_steps": 1,
        "max_length": 64,
        "timeout": "1h",
    }
    data.update(overrides)
    plan = resolve(parse_request(data), pinned=training_pins())
    # These scripts run HERE, where the tiny model and data are: a GPU flavor's "a cloud job cannot read
    # local paths" refusal does not apply to this machine.
    blocking = [c for c in plan.failures if not c.name.endswith("_location")]
    assert not blocking, [c.as_dict() for c in blocking]
    script = tmp_path / "train.py"
    script.write_text(render_script(plan))
    return script


def run_ok(script, *args, cwd):
    out = run_script(script, *args, cwd=cwd)
    log = out.stdout + out.stderr
    assert out.returncode == 0, log[-4000:]
    summary = parse_summary(out.stdout)
    assert summary is not None, log[-4000:]
    return summary, log
