"""The lint on a corpus: TRL's own scripts (shipped in the installed trl package) must get no false FAIL;
realistic scripts with one trap each must get that trap caught, and nothing else failed.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import trl
from hf_train_mcp.training.static_checks import validate_script, verdict
from training.helpers import PINNED_HEADER

SCRIPTS = sorted((Path(trl.__file__).parent / "scripts").glob("*.py"))
SECRETS = {"HF_TOKEN": "$HF_TOKEN"}
HEADER = PINNED_HEADER


def fails(text: str, **kwargs) -> dict[str, list[str]]:
    kwargs.setdefault("secrets", SECRETS)
    kwargs.setdefault("timeout", "2h")
    out: dict[str, list[str]] = {}
    for check in validate_script(text, **kwargs):
        if check.status == "fail":
            out.setdefault(check.name, []).append(f"{check.message} | fix: {check.fix}")
    return out


def warns(text: str, **kwargs) -> dict[str, list[str]]:
    kwargs.setdefault("secrets", SECRETS)
    kwargs.setdefault("timeout", "2h")
    return {c.name: [c.message] for c in validate_script(text, **kwargs) if c.status == "warn"}


def test_the_corpus_is_there() -> None:
    names = {p.name for p in SCRIPTS}
    assert {"sft.py", "dpo.py", "grpo.py", "kto.py", "reward.py", "rloo.py"} <= names


@pytest.mark.parametrize("flavor", [None, "a10g-large", "t4-small"])
@pytest.mark.parametrize("path", SCRIPTS, ids=[p.name for p in SCRIPTS])
def test_no_false_fail_on_trls_own_scripts(path: Path, flavor: str | None) -> None:
    text = path.read_text()
    found = fails(text, flavor=flavor)
    if "# /// script" in text:
        assert found == {}, found
        checks = validate_script(text, flavor=flavor, secrets=SECRETS, timeout="2h")
        assert verdict(checks).startswith("runs")
    else:
        # package modules (utils, __init__, the vLLM server): run alone, uv would install nothing, so the
        # missing header is the one true FAIL
        assert set(found) <= {"pep723"}, found


def script(body: str, header: str = HEADER) -> str:
    return header + body


SFT = """
from datasets import load_dataset
from peft import LoraConfig
from trl import SFTConfig, SFTTrainer

MODEL = "Qwen/Qwen2.5-0.5B"
args = SFTConfig(
    output_dir="out",
    max_length=1024,
    per_device_train_batch_size=4,
    push_to_hub=True,
    hub_model_id="alice/qwen-sft",
    hub_strategy="checkpoint",
    model_init_kwargs={"dtype": "bfloat16"},
)
trainer = SFTTrainer(
    model=MODEL,
    args=args,
    train_dataset=load_dataset("trl-lib/Capybara", split="train"),
    peft_config=LoraConfig(r=16, lora_alpha=32, target_modules="all-linear"),
)
trainer.train()
"""


def test_the_clean_sft_script_runs() -> None:
    checks = validate_script(script(SFT), flavor="a10g-large", secrets=SECRETS, timeout="2h")
    assert [c for c in checks if c.status == "fail"] == []
    assert any(c.name == "memory" and c.status == "pass" for c in checks)
    assert verdict(checks).startswith("runs")


def test_dependencies_brought_by_declared_packages_are_not_missing() -> None:
    # trl brings datasets, accelerate, transformers; accelerate brings torch; trl[peft] brings peft
    body = "import torch\nimport accelerate\n" + SFT
    assert "pep723" not in fails(
        script(body, '# /// script\n# dependencies = ["trl[peft]==1.16.0"]\n# ///\n')
    )
    [message] = fails(script(body, '# /// script\n# dependencies = ["trl==1.16.0"]\n# ///\n'))["pep723"]
    assert "'peft'" in message and "datasets" not in message and "torch" not in message
    with_bnb = "import bitsandbytes\n" + body
    header = '# /// script\n# dependencies = ["trl[peft]==1.16.0"{}]\n# ///\n'
    assert "bitsandbytes" in fails(script(with_bnb, header.format("")))["pep723"][0]
    assert "pep723" not in fails(script(with_bnb, header.format(', "bitsandbytes"')))


def test_unsloths_own_max_seq_length_is_not_a_rename() -> None:
    unsloth = (
        """
from unsloth import FastLanguageModel
model, tokenizer = FastLanguageModel.from_pretrained("unsloth/Qwen2.5-0.5B", max_seq_length=2048)
"""
        + SFT
    )
    header = HEADER.replace("# ]", '#     "unsloth",\n# ]')
    assert "renamed" not in fails(script(unsloth, header))
    old = SFT.replace("max_length=1024", "max_seq_length=1024")
    assert "max_length" in fails(script(old))["renamed"][0]


GRPO = """
from datasets import load_dataset
from peft import LoraConfig
from trl import GRPOConfig, GRPOTrainer


def reward_len(completions, **kwargs):
    return [-abs(20 - len(c)) for c in completions]


args = GRPOConfig(
    output_dir="out",
    num_generations=8,
    per_device_train_batch_size=8,
    push_to_hub=True,
    hub_model_id="alice/qwen-grpo",
    hub_strategy="checkpoint",
    model_init_kwargs={"dtype": "bfloat16"},
)
trainer = GRPOTrainer(
    model="Qwen/Qwen2.5-0.5B-Instruct",
    reward_funcs=reward_len,
    args=args,
    train_dataset=load_dataset("trl-lib/tldr", split="train"),
    peft_config=LoraConfig(target_modules="all-linear"),
)
trainer.train()
"""


def test_grpo_without_a_reward_source_fails_with_one() -> None:
    assert fails(script(GRPO), flavor="a10g-large") == {}
    no_reward = GRPO.replace("    reward_funcs=reward_len,\n", "")
    [message] = fails(script(no_reward))["reward"]
    assert "No reward source" in message
    positional = no_reward.replace(
        'model="Qwen/Qwen2.5-0.5B-Instruct",', '"Qwen/Qwen2.5-0.5B-Instruct", reward_len,'
    )
    assert "reward" not in fails(script(positional))


def test_grpo_config_keywords_bf16_on_t4_and_push() -> None:
    typo = GRPO.replace("num_generations=8", "num_generation=8")
    assert "num_generations" in str(fails(script(typo))["keywords"])
    t4 = warns(script(GRPO), flavor="t4-small")
    assert "slow on a T4" in t4["bf16"][0] and "bf16" not in fails(script(GRPO), flavor="t4-small")
    no_push = GRPO.replace("    push_to_hub=True,\n", "")
    assert "push_to_hub" in fails(script(no_push))


KTO = """
from datasets import load_dataset
from trl import KTOConfig, KTOTrainer

args = KTOConfig(output_dir="out", beta=0.1, push_to_hub=True, hub_model_id="your-username/kto-model",
                 hub_strategy="checkpoint", model_init_kwargs={"dtype": "bfloat16"})
trainer = KTOTrainer(model="Qwen/Qwen2.5-0.5B-Instruct", args=args,
                     train_dataset=load_dataset("trl-lib/kto-mix-14k", split="train"))
trainer.train()
"""


def test_kto_and_reward_configs_are_checked_and_placeholder_hub_ids_fail() -> None:
    found = fails(script(KTO))
    assert set(found) == {"hub_id"} and "403" in found["hub_id"][0]
    owned = KTO.replace("your-username/", "alice/")
    assert fails(script(owned)) == {}
    assert "keywords" in fails(script(owned.replace("beta=0.1", "betta=0.1")))
    reward = owned.replace("KTOConfig", "RewardConfig").replace("KTOTrainer", "RewardTrainer")
    reward = reward.replace("beta=0.1", "max_length=1024")
    assert fails(script(reward)) == {}
    assert "keywords" in fails(script(reward.replace("max_length=1024", "max_lenght=1024")))
    pushed = SFT + 'trainer.push_to_hub("username/qwen-sft")\n'
    assert "hub_id" in fails(script(pushed))


def test_a_model_by_name_without_dtype_warns_and_counts_float32_in_the_fit() -> None:
    no_dtype = SFT.replace('    model_init_kwargs={"dtype": "bfloat16"},\n', "")
    assert "float32" in warns(script(no_dtype))["dtype"][0]
    assert "dtype" not in warns(script(SFT))
    checks = validate_script(script(no_dtype), flavor="a10g-large", secrets=SECRETS, timeout="2h")
    [memory] = [c for c in checks if c.name == "memory"]
    assert "float32 weights" in memory.message


def test_with_a_flavor_a_plan_that_does_not_fit_fails() -> None:
    big = SFT.replace('"Qwen/Qwen2.5-0.5B"', '"Qwen/Qwen2.5-7B"').replace(
        '    peft_config=LoraConfig(r=16, lora_alpha=32, target_modules="all-linear"),\n', ""
    )
    [message] = fails(script(big), flavor="a10g-large")["memory"]
    assert "does not fit a10g-large" in message and "GiB" in message
    assert "memory" not in fails(script(big), flavor="h200")
    checks = validate_script(script(big), flavor="a10g-large", secrets=SECRETS, timeout="2h")
    assert verdict(checks).startswith("would fail")


def test_verdict_would_fail_only_with_a_fail() -> None:
    from hf_train_mcp.training.config import Check

    assert verdict([Check("x", "warn", "m")]).startswith("runs, with warnings")
    assert verdict([Check("x", "pass", "m")]).startswith("runs")
    assert verdict([Check("x", "warn", "m"), Check("y", "fail", "m")]).startswith("would fail")


LOADED = """
import torch
from datasets import load_dataset
from transformers import AutoModelForCausalLM, AutoTokenizer
from trl import SFTConfig, SFTTrainer

tokenizer = AutoTokenizer.from_pretrained("meta-llama/Llama-3.1-8B")
model = AutoModelForCausalLM.from_pretrained("meta-llama/Llama-3.1-8B", dtype=torch.bfloat16)
args = SFTConfig(output_dir="out", max_length=2048, per_device_train_batch_size=2, push_to_hub=True,
                 hub_model_id="alice/llama-full", hub_strategy="checkpoint")
SFTTrainer(model=model, args=args, processing_class=tokenizer,
           train_dataset=load_dataset("trl-lib/Capybara", split="train")).train()
"""


def test_a_model_loaded_with_from_pretrained_is_fitted_too() -> None:
    # full fine-tuning of 8B in pure bf16 (8 B/param): ~70 GiB, more than an L40S holds, less than an A100
    assert "does not fit l40sx1" in fails(script(LOADED), flavor="l40sx1")["memory"][0]
    assert "memory" not in fails(script(LOADED), flavor="a100-large")
    checks = validate_script(script(LOADED), flavor="a100-large", secrets=SECRETS, timeout="2h")
    assert any(c.name == "memory" and c.status == "pass" for c in checks)
