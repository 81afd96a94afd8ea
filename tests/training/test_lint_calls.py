"""validate_training_script reads a hand-written script's calls (script_calls.py): which trainer and config it
builds, with which model and dtype, whether its values come from the command line, whether it trains at all.
Each rule is tested on a small realistic script both ways: one the lint must flag, one it must leave alone.
"""

from __future__ import annotations

import ast

import pytest
from hf_train_mcp.training import script_calls
from hf_train_mcp.training.config import Check
from hf_train_mcp.training.static_checks import validate_script
from training.helpers import PINNED_HEADER

SECRETS = {"HF_TOKEN": "$HF_TOKEN"}
MODEL = "Qwen/Qwen2.5-0.5B"


def lint(body: str, **kwargs) -> list[Check]:
    kwargs.setdefault("secrets", SECRETS)
    kwargs.setdefault("timeout", "2h")
    return validate_script(PINNED_HEADER + body, **kwargs)


def named(checks: list[Check], name: str, status: str | None = None) -> list[Check]:
    return [c for c in checks if c.name == name and (status is None or c.status == status)]


def line_of(text: str, fragment: str) -> int:
    """The 1-based line of `fragment` in the whole script (header included), found without the lint."""
    [number] = [i for i, ln in enumerate((PINNED_HEADER + text).splitlines(), 1) if fragment in ln]
    return number


def sft(model_init_kwargs: str | None, *, config: str = "") -> str:
    """An SFT LoRA script that loads MODEL by name, with `model_init_kwargs=<source>` in its config."""
    kwargs = f"    model_init_kwargs={model_init_kwargs},\n" if model_init_kwargs is not None else ""
    return f"""
import torch
from datasets import load_dataset
from peft import LoraConfig
from trl import SFTConfig, SFTTrainer

attn = "sdpa"
model_kwargs = dict(dtype=torch.bfloat16, attn_implementation=attn)
args = SFTConfig(
    output_dir="out",
    max_length=1024,
    per_device_train_batch_size=4,
    push_to_hub=True,
    hub_model_id="alice/qwen-sft",
    hub_strategy="checkpoint",
{kwargs}{config})
trainer = SFTTrainer(
    model="{MODEL}",
    args=args,
    train_dataset=load_dataset("trl-lib/Capybara", split="train"),
    peft_config=LoraConfig(r=16, lora_alpha=32, target_modules="all-linear"),
)
trainer.train()
"""


# -- the dtype TRL loads a model given by name in: float32 unless model_init_kwargs (or ModelConfig) says ----
@pytest.mark.parametrize(
    ("model_init_kwargs", "warned", "float32"),
    [
        (None, True, True),  # TRL's default: float32
        ('{"attn_implementation": "sdpa"}', True, True),  # kwargs, but no dtype among them
        ("{'attn_implementation': attn}", True, True),  # not a constant, and no dtype key either
        ('{"dtype": "bfloat16"}', False, False),
        ('{"dtype": "float32"}', False, True),  # asked for: no warning, but the fit counts 4 bytes a weight
        ('{"torch_dtype": "float32"}', False, True),  # the old key is still read by transformers 5
        ('{"torch_dtype": "bfloat16"}', False, False),
        ('{"dtype": torch.bfloat16}', False, False),  # not a constant: some 16-bit dtype, not judged
        ('{"torch_dtype": torch.float16}', False, False),
        ("model_kwargs", False, False),  # a variable: unknown, so not warned about
    ],
)
def test_the_dtype_a_model_given_by_name_loads_in(model_init_kwargs: str | None, warned: bool, float32: bool):
    checks = lint(sft(model_init_kwargs), flavor="a10g-large")
    warnings = named(checks, "dtype", "warn")
    assert bool(warnings) is warned, warnings
    if warned:
        [warn] = warnings
        assert f"SFTTrainer loads {MODEL!r} by name with no dtype" in warn.message
        assert warn.line == line_of(sft(model_init_kwargs), "trainer = SFTTrainer(")
    [memory] = named(checks, "memory")
    assert memory.status == "pass" and memory.message.startswith(f"{MODEL} sft lora, batch 4 x 1024")
    assert ("float32 weights" in memory.message) is float32, memory.message


def test_a_dtype_passed_to_the_config_itself_is_not_the_models_dtype() -> None:
    # SFTConfig has no `dtype`: a TypeError at start, and the model would still load in float32
    checks = lint(sft(None, config='    dtype="bfloat16",\n'))
    [unknown] = named(checks, "keywords", "fail")
    assert unknown.message.startswith("SFTConfig() has no argument `dtype`")
    assert named(checks, "dtype", "warn")


MODEL_CONFIG = f"""
from datasets import load_dataset
from peft import LoraConfig
from trl import ModelConfig, SFTConfig, SFTTrainer, get_peft_config

model_args = ModelConfig(model_name_or_path="{MODEL}", dtype="{{dtype}}", use_peft=True)
args = SFTConfig(
    output_dir="out",
    per_device_train_batch_size=4,
    push_to_hub=True,
    hub_model_id="alice/qwen-sft",
    hub_strategy="checkpoint",
    model_init_kwargs=dict(dtype=model_args.dtype),
)
trainer = SFTTrainer(
    model="{MODEL}",
    args=args,
    train_dataset=load_dataset("trl-lib/Capybara", split="train"),
    peft_config=LoraConfig(r=16, target_modules="all-linear"),
)
trainer.train()
"""


@pytest.mark.parametrize(("dtype", "float32"), [("float32", True), ("bfloat16", False)])
def test_the_dtype_of_a_model_config_is_the_dtype_the_model_loads_in(dtype: str, float32: bool) -> None:
    checks = lint(MODEL_CONFIG.format(dtype=dtype), flavor="a10g-large")
    assert named(checks, "dtype") == []  # ModelConfig says which dtype: nothing to warn about
    [memory] = named(checks, "memory", "pass")
    assert ("float32 weights" in memory.message) is float32, memory.message


TWO_STAGES = f"""
import torch
from datasets import load_dataset
from transformers import AutoModelForCausalLM
from trl import DPOConfig, DPOTrainer, SFTConfig, SFTTrainer

base = AutoModelForCausalLM.from_pretrained("{MODEL}", dtype=torch.bfloat16)
sft_args = SFTConfig(output_dir="sft", push_to_hub=True, hub_model_id="alice/qwen-sft",
                     hub_strategy="checkpoint")
SFTTrainer(model=base, args=sft_args, train_dataset=load_dataset("trl-lib/Capybara", split="train")).train()
dpo_args = DPOConfig(output_dir="dpo", push_to_hub=True, hub_model_id="alice/qwen-dpo",
                     hub_strategy="checkpoint", model_init_kwargs={{"dtype": "bfloat16"}})
DPOTrainer(model="alice/qwen-sft", args=dpo_args,
           train_dataset=load_dataset("trl-lib/ultrafeedback_binarized", split="train")).train()
"""


def test_a_later_config_that_sets_the_dtype_is_read() -> None:
    # the SFT stage passes a loaded model (its config has no model_init_kwargs); the DPO stage's config does
    checks = lint(TWO_STAGES)
    assert named(checks, "dtype") == []
    no_dtype = TWO_STAGES.replace(', model_init_kwargs={"dtype": "bfloat16"})', ")")
    assert no_dtype != TWO_STAGES
    [warn] = named(lint(no_dtype), "dtype", "warn")
    assert "DPOTrainer loads 'alice/qwen-sft' by name" in warn.message


# -- the model a trainer gets: keyword or first positional; none at all with model_init ----------------------
def test_a_model_given_as_the_first_positional_argument_is_read() -> None:
    body = sft(None).replace(f'    model="{MODEL}",\n', f'    "{MODEL}",\n')
    checks = lint(body, flavor="a10g-large")
    [warn] = named(checks, "dtype", "warn")
    assert f"loads {MODEL!r} by name" in warn.message
    [memory] = named(checks, "memory", "pass")
    assert memory.message.startswith(f"{MODEL} sft lora, batch 4 x 1024, float32 weights")


MODEL_INIT = f"""
from datasets import load_dataset
from transformers import AutoModelForCausalLM, Trainer, TrainingArguments


def model_init():
    return AutoModelForCausalLM.from_pretrained("{MODEL}", dtype="bfloat16")


args = TrainingArguments(output_dir="out", push_to_hub=True, hub_model_id="alice/qwen-hp",
                         hub_strategy="checkpoint")
data = load_dataset("trl-lib/Capybara", split="train")
trainer = Trainer(model_init=model_init, args=args, train_dataset=data)
trainer.hyperparameter_search(n_trials=4)
trainer.train()
"""


def test_a_trainer_built_from_model_init_has_no_model_argument_and_no_false_alarm() -> None:
    checks = lint(MODEL_INIT, flavor="a10g-large")
    assert [c for c in checks if c.status == "fail"] == []
    assert named(checks, "dtype") == []
    # the model is loaded by from_pretrained in model_init: that is the one fitted
    [memory] = named(checks, "memory", "pass")
    # TrainingArguments leaves gradient checkpointing off
    assert memory.message.startswith(f"{MODEL} sft full, batch 8 x 1024, no checkpointing fits a10g-large")


# -- values from the command line: not known here, so neither judged nor failed -----------------------------
PARSED = f"""
from datasets import load_dataset
from trl import SFTConfig, SFTTrainer
{{imports}}

{{parse}}
data = load_dataset("trl-lib/Capybara", split="train")
trainer = SFTTrainer(model="{MODEL}", args=args, train_dataset=data)
trainer.train()
"""
PARSERS = {
    "TrlParser": ("from trl import TrlParser", "(args,) = TrlParser((SFTConfig,)).parse_args_and_config()"),
    "HfArgumentParser": (
        "from transformers import HfArgumentParser",
        "(args,) = HfArgumentParser(SFTConfig).parse_args_into_dataclasses()",
    ),
    "argparse": (
        "import argparse",
        'cli = argparse.ArgumentParser()\ncli.add_argument("--push", action="store_true")\n'
        'args = SFTConfig(output_dir="out", push_to_hub=cli.parse_args().push)',
    ),
}


@pytest.mark.parametrize("parser", PARSERS)
def test_a_script_that_reads_its_settings_from_the_command_line_is_warned_not_failed(parser: str) -> None:
    imports, parse = PARSERS[parser]
    checks = lint(PARSED.format(imports=imports, parse=parse), flavor="a10g-large")
    [push] = named(checks, "push_to_hub")
    assert push.status == "warn"
    assert push.fix == "pass --push_to_hub --hub_model_id <you>/<model> --hub_strategy checkpoint"
    assert named(checks, "memory") == [] and named(checks, "dtype") == []  # settings unknown: not judged


def test_the_same_script_with_fixed_settings_and_no_push_fails() -> None:
    body = PARSED.format(imports="", parse='args = SFTConfig(output_dir="out")')
    checks = lint(body, flavor="a10g-large")
    assert [c.status for c in named(checks, "push_to_hub")] == ["fail"]
    assert named(checks, "dtype", "warn") and named(checks, "memory", "pass")


# -- does the script train? Only a training script must push its model --------------------------------------
UNSLOTH = """
from datasets import load_dataset
from unsloth import FastLanguageModel, UnslothTrainer, UnslothTrainingArguments, unsloth_train

model, tokenizer = FastLanguageModel.from_pretrained("unsloth/Qwen2.5-0.5B", max_seq_length=2048)
trainer = UnslothTrainer(
    model=model,
    tokenizer=tokenizer,
    train_dataset=load_dataset("trl-lib/Capybara", split="train"),
    args=UnslothTrainingArguments(output_dir="out"),
)
unsloth_train(trainer)
"""
FACTORY = """
from my_project.training import build_trainer

trainer = build_trainer("configs/sft.yaml")
trainer.train()
"""
EVALUATION = f"""
from transformers import AutoModelForCausalLM, AutoTokenizer

tokenizer = AutoTokenizer.from_pretrained("{MODEL}")
model = AutoModelForCausalLM.from_pretrained("{MODEL}")
inputs = tokenizer("The capital of France is", return_tensors="pt")
print(tokenizer.decode(model.generate(**inputs, max_new_tokens=8)[0]))
"""


@pytest.mark.parametrize(
    ("body", "trains"),
    [
        (UNSLOTH, True),  # a trainer class of another library (its name ends in Trainer), no .train() call
        (FACTORY, True),  # the trainer comes from the user's own code; .train() is called
        (EVALUATION, False),  # generates text: nothing trained, nothing to push
    ],
    ids=["unsloth", "factory", "evaluation"],
)
def test_only_a_script_that_trains_must_push(body: str, trains: bool) -> None:
    checks = lint(body, flavor="a10g-large")
    if trains:
        [push] = named(checks, "push_to_hub")
        assert push.status == "fail" and "discarded" in push.message
    else:
        assert named(checks, "push_to_hub") == [] and named(checks, "token_secret") == []
        assert [c for c in checks if c.status == "fail"] == []


@pytest.mark.parametrize(
    "push",
    [
        "trainer.push_to_hub()",
        'HfApi().upload_folder(repo_id="alice/qwen-sft", folder_path="out")',
        'upload_large_folder(repo_id="alice/qwen-sft", repo_type="model", folder_path="out")',
    ],
)
def test_a_push_by_a_call_rather_than_the_config_flag_counts(push: str) -> None:
    body = sft('{"dtype": "bfloat16"}').replace("    push_to_hub=True,\n", "")
    body = "from huggingface_hub import HfApi, upload_large_folder\n" + body + push + "\n"
    checks = lint(body)
    assert [c.status for c in named(checks, "push_to_hub")] == ["pass"]
    assert [c.status for c in named(checks, "token_secret")] == ["pass"]


# -- where a finding points: the line of the value it is about ---------------------------------------------
def test_bfloat16_weights_on_a_t4_point_at_the_torch_bfloat16_line() -> None:
    body = f"""
import torch
from datasets import load_dataset
from peft import LoraConfig
from transformers import AutoModelForCausalLM
from trl import SFTConfig, SFTTrainer

model = AutoModelForCausalLM.from_pretrained(
    "{MODEL}",
    dtype=torch.bfloat16,
)
args = SFTConfig(output_dir="out", fp16=True, push_to_hub=True, hub_model_id="alice/qwen-sft",
                 hub_strategy="checkpoint")
SFTTrainer(model=model, args=args, train_dataset=load_dataset("trl-lib/Capybara", split="train"),
           peft_config=LoraConfig(target_modules="all-linear")).train()
"""
    [warn] = named(lint(body, flavor="t4-small"), "bf16", "warn")
    assert warn.message.startswith("bfloat16 weights on t4-small")
    assert warn.line == line_of(body, "dtype=torch.bfloat16")
    assert named(lint(body.replace("torch.bfloat16", "torch.float16"), flavor="t4-small"), "bf16") == []


def test_the_old_torch_dtype_key_is_pointed_at_its_line() -> None:
    body = sft('{\n        "torch_dtype": "bfloat16",\n    }')
    [warn] = named(lint(body), "renamed", "warn")
    assert warn.fix == 'use the key "dtype"' and warn.line == line_of(body, '"torch_dtype": "bfloat16"')
    assert named(lint(sft('{"dtype": "bfloat16"}')), "renamed") == []


# -- Hub ids ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("hub_id", ["qwen-sft", "alice/qwen-sft", "username-research/qwen-sft"])
def test_a_hub_id_with_no_or_a_real_namespace_is_not_a_placeholder(hub_id: str) -> None:
    # a bare name goes to the token's own namespace; a namespace that only contains a placeholder word is real
    body = sft('{"dtype": "bfloat16"}').replace('"alice/qwen-sft"', f'"{hub_id}"')
    assert named(lint(body), "hub_id") == []


@pytest.mark.parametrize("namespace", ["username", "your-username", "YOUR_HF_USERNAME", "<user>", "{org}"])
def test_a_placeholder_namespace_fails_with_the_repo_name_kept(namespace: str) -> None:
    body = sft('{"dtype": "bfloat16"}').replace('"alice/qwen-sft"', f'"{namespace}/qwen-sft"')
    [found] = named(lint(body), "hub_id")
    assert found.status == "fail" and found.fix == 'use your own namespace: "<your user or org>/qwen-sft"'
    assert found.line == line_of(body, "hub_model_id=")


# -- the one walk of the tree ------------------------------------------------------------------------------
def test_the_walk_sees_every_node_but_expression_contexts_from_a_cold_start() -> None:
    """`walk` caches each node class's fields: from an empty cache it must give `ast.walk`'s nodes less the
    Load/Store/Del contexts, the same the second time (from the cache)."""
    tree = ast.parse(PINNED_HEADER + sft('{"dtype": "bfloat16"}') + MODEL_INIT)
    expected = [node for node in ast.walk(tree) if not isinstance(node, ast.expr_context)]
    script_calls._CHILD_FIELDS.clear()
    assert script_calls.walk(tree) == expected
    assert script_calls.walk(tree) == expected


def test_an_id_with_two_slashes_is_not_called_a_placeholder_namespace() -> None:
    # "username/qwen/sft" is no repo id at all (huggingface_hub refuses it before any request): "a 403 for a
    # placeholder namespace" would be the wrong reason; the namespace check still names the owner it read
    body = sft('{"dtype": "bfloat16"}').replace('"alice/qwen-sft"', '"username/qwen/sft"')
    [found] = named(lint(body, namespaces=frozenset({"alice"})), "hub_id")
    assert found.status == "warn"
    assert found.message.startswith("'username/qwen/sft' is in namespace 'username'")


STAGE_TWO_IN_MEMORY = f"""
from datasets import load_dataset
from trl import DPOConfig, DPOTrainer, SFTConfig, SFTTrainer

sft_args = SFTConfig(output_dir="sft", push_to_hub=True, hub_model_id="alice/qwen-sft",
                     hub_strategy="checkpoint", model_init_kwargs={{"dtype": "bfloat16"}})
sft = SFTTrainer(model="{MODEL}", args=sft_args,
                 train_dataset=load_dataset("trl-lib/Capybara", split="train"))
sft.train()
dpo_args = DPOConfig(output_dir="dpo", push_to_hub=True, hub_model_id="alice/qwen-dpo",
                     hub_strategy="checkpoint", model_init_kwargs={{"attn_implementation": "sdpa"}})
DPOTrainer(model=sft.model, args=dpo_args,
           train_dataset=load_dataset("trl-lib/ultrafeedback_binarized", split="train")).train()
"""


def test_a_later_config_without_a_dtype_does_not_hide_the_first_stages() -> None:
    # the DPO stage trains the SFT stage's model in memory (TRL ignores its model_init_kwargs): the only model
    # loaded by name is the SFT stage's, in bfloat16, so there is nothing to warn about
    checks = lint(STAGE_TWO_IN_MEMORY, flavor="a10g-large")
    assert named(checks, "dtype") == []
    [memory] = named(checks, "memory", "pass")
    assert memory.message.startswith(f"{MODEL} sft full, batch 8 x 1024 fits")
