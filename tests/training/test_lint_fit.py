"""validate_training_script with a flavor: does the script's model fit one GPU (script_fit.py)? The plan
is read from the script's constants (trainer, model, LoRA / 4-bit, batch, length, checkpointing, dtype) with
TRL's defaults for what it leaves out; the memory check's message names that plan, so each test reads it
back and compares it with the plan worked out by hand. Verdicts are checked where first principles decide.
"""

from __future__ import annotations

import dataclasses

import pytest
import transformers
import trl
from hf_train_mcp.training.config import Check
from hf_train_mcp.training.static_checks import validate_script
from training.helpers import PINNED_HEADER

SECRETS = {"HF_TOKEN": "$HF_TOKEN"}


def memory(body: str, flavor: str = "a10g-large") -> list[Check]:
    checks = validate_script(PINNED_HEADER + body, flavor=flavor, secrets=SECRETS, timeout="2h")
    return [c for c in checks if c.name == "memory"]


def plan(body: str, flavor: str = "a10g-large") -> str:
    """The plan the memory check judged: its message up to " fits" / " does not fit"."""
    [check] = memory(body, flavor)
    assert check.status in ("pass", "fail"), check
    return check.message.split(" fits ")[0].split(" does not fit ")[0]


def script(
    trainer: str = "SFTTrainer", config: str = "SFTConfig", settings: str = "", extra: str = ""
) -> str:
    """A script that trains Qwen2.5-0.5B (loaded by name, bfloat16) with `trainer`, `config(settings)`."""
    return f"""
from datasets import load_dataset
from peft import LoraConfig
from transformers import BitsAndBytesConfig
from trl import {config}, {trainer}

args = {config}(output_dir="out", push_to_hub=True, hub_model_id="alice/run", hub_strategy="checkpoint",
    model_init_kwargs={{"dtype": "bfloat16"}}, {settings})
{extra}
trainer = {trainer}(
    model="Qwen/Qwen2.5-0.5B",
    args=args,
    train_dataset=load_dataset("trl-lib/Capybara", split="train"),
)
trainer.train()
"""


# -- the method, from the trainer class; what the script leaves out: the pinned TRL's own defaults --------
def trl_default(config: str, name: str):
    """The default of field `name` of the installed (pinned) TRL or transformers config class."""
    cls = getattr(transformers if config == "TrainingArguments" else trl, config)
    return {f.name: f.default for f in dataclasses.fields(cls)}[name]


@pytest.mark.parametrize(
    ("trainer", "config", "method"),
    [
        ("SFTTrainer", "SFTConfig", "sft"),
        ("Trainer", "TrainingArguments", "sft"),
        ("RewardTrainer", "RewardConfig", "sft"),
        ("DPOTrainer", "DPOConfig", "dpo"),
        ("KTOTrainer", "KTOConfig", "dpo"),
        ("GRPOTrainer", "GRPOConfig", "grpo"),
        ("RLOOTrainer", "RLOOConfig", "grpo"),
    ],
)
def test_the_method_and_the_defaults_follow_the_trainer_and_its_config(trainer, config, method) -> None:
    batch = trl_default(config, "per_device_train_batch_size")
    if method == "grpo":  # GRPO's prompts are not truncated: 512 tokens assumed, plus the completion
        length = 512 + trl_default(config, "max_completion_length")
    elif config == "TrainingArguments":  # no max_length: the tokenizer's truncation, 1024 assumed
        length = 1024
    else:
        length = trl_default(config, "max_length")
    checkpointing = "" if trl_default(config, "gradient_checkpointing") else ", no checkpointing"
    expected = f"Qwen/Qwen2.5-0.5B {method} full, batch {batch} x {length}{checkpointing}"
    assert plan(script(trainer, config)) == expected


@pytest.mark.parametrize(
    ("trainer", "config"), [("GRPOTrainer", "GRPOConfig"), ("RLOOTrainer", "RLOOConfig")]
)
def test_grpo_generations_default_to_trls(trainer: str, config: str) -> None:
    # one completion per device step, so the generation's KV cache holds num_generations sequences; Llama-2-7B
    # has no grouped-query attention (0.5 MB of KV cache a token): that phase is the peak and shows the count
    generations = trl_default(config, "num_generations")

    def llama(settings: str) -> str:
        body = script(
            trainer, config, "per_device_train_batch_size=1, max_completion_length=1024, " + settings
        )
        return body.replace("Qwen/Qwen2.5-0.5B", "meta-llama/Llama-2-7b-hf")

    [left_out] = memory(llama(""), "h200")
    [given] = memory(llama(f"num_generations={generations}"), "h200")
    assert left_out.message == given.message  # the same plan, to the GiB
    [more] = memory(llama(f"num_generations={generations + 2}"), "h200")
    assert more.message != given.message  # the number of generations does count


def test_the_completion_share_of_a_grpo_sequence_counts() -> None:
    # the same 1,024 tokens; the longer completion has more tokens through the LM head (their logits)
    def need(prompt: int, completion: int) -> float:
        settings = f"max_prompt_length={prompt}, max_completion_length={completion}"
        [check] = memory(script("GRPOTrainer", "GRPOConfig", settings))
        return float(check.message.split("about ")[1].split(" GiB")[0])

    assert need(512, 512) > need(768, 256)


def test_grpo_sequence_is_prompt_plus_completion() -> None:
    settings = "max_prompt_length=128, max_completion_length=64, num_generations=4"
    assert plan(script("GRPOTrainer", "GRPOConfig", settings)).endswith("grpo full, batch 8 x 192")


# -- the settings read from the config, and the defaults for those it leaves out or cannot fix ---------------
@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ("per_device_train_batch_size=2, max_length=4096", "sft full, batch 2 x 4096"),
        (
            "per_device_train_batch_size=BATCH, max_length=None",
            "sft full, batch 8 x 1024",
        ),  # unknown: defaults
        ("gradient_checkpointing=False", "sft full, batch 8 x 1024, no checkpointing"),
        ("gradient_checkpointing=True", "sft full, batch 8 x 1024"),
    ],
)
def test_batch_length_and_checkpointing_come_from_the_config(settings: str, expected: str) -> None:
    assert plan(script(settings=settings)) == f"Qwen/Qwen2.5-0.5B {expected}"


@pytest.mark.parametrize(
    ("trainer", "config", "settings", "checkpointing"),
    [
        # TRL converts TrainingArguments to its own config with their values: checkpointing stays off
        ("SFTTrainer", "TrainingArguments", "", False),
        ("SFTTrainer", "SFTConfig", "activation_checkpointing=False", False),  # transformers 5's name
        ("Trainer", "TrainingArguments", "activation_checkpointing=True", True),
        ("Trainer", "TrainingArguments", "gradient_checkpointing=True", True),  # its deprecated alias
    ],
)
def test_gradient_checkpointing_follows_the_config_class_and_its_settings(
    trainer: str, config: str, settings: str, checkpointing: bool
) -> None:
    assert plan(script(trainer, config, settings)).endswith("no checkpointing") is not checkpointing


NO_ARGS = """
from datasets import load_dataset
from transformers import AutoModelForCausalLM, Trainer
from trl import SFTTrainer

model = AutoModelForCausalLM.from_pretrained("Qwen/Qwen2.5-0.5B")
{trainer}(model=model, train_dataset=load_dataset("trl-lib/Capybara", split="train")).train()
"""


@pytest.mark.parametrize(("trainer", "checkpointing"), [("Trainer", False), ("SFTTrainer", True)])
def test_a_trainer_without_args_uses_its_own_default_config(trainer: str, checkpointing: bool) -> None:
    # transformers' Trainer makes TrainingArguments() (checkpointing off), TRL's trainers their own config
    assert plan(NO_ARGS.format(trainer=trainer)).endswith("no checkpointing") is not checkpointing


def test_a_script_without_a_config_gets_the_defaults() -> None:
    body = script().replace("    args=args,\n", "")
    body = body[: body.index("args = SFTConfig(")] + body[body.index("\ntrainer = SFTTrainer(") :]
    # no model_init_kwargs either: TRL loads float32
    assert plan(body) == "Qwen/Qwen2.5-0.5B sft full, batch 8 x 1024, float32 weights"


# -- LoRA and 4-bit --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("extra", "peft"),
    [
        ("", "full"),
        ("lora = LoraConfig(r=16, target_modules='all-linear')", "lora"),
        ("model = get_peft_model(base, peft_config)", "lora"),
        ("quant = BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type='nf4')", "qlora"),
        ("quant = BitsAndBytesConfig(load_in_8bit=True)", "full"),  # 8-bit is not QLoRA's 4-bit
    ],
)
def test_peft_from_the_script(extra: str, peft: str) -> None:
    assert plan(script(extra=extra)) == f"Qwen/Qwen2.5-0.5B sft {peft}, batch 8 x 1024"


def test_a_peft_config_given_to_the_trainer_is_lora() -> None:
    body = script().replace("    args=args,\n", "    args=args,\n    peft_config=peft_config,\n")
    assert plan(body) == "Qwen/Qwen2.5-0.5B sft lora, batch 8 x 1024"


# -- the dtype of the weights -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("dtype", "float32"),
    [
        ('"bfloat16"', False),
        ('"torch.float16"', False),
        ('"auto"', False),
        ('"float32"', True),
        ('"torch.float32"', True),
    ],
)
def test_the_dtype_decides_two_or_four_bytes_a_weight(dtype: str, float32: bool) -> None:
    body = script().replace('{"dtype": "bfloat16"}', f'{{"dtype": {dtype}}}')
    assert (plan(body) == "Qwen/Qwen2.5-0.5B sft full, batch 8 x 1024, float32 weights") is float32


def test_float32_weights_do_not_fit_where_bfloat16_ones_do() -> None:
    # Qwen2.5-7B (7.6e9 parameters) with LoRA: its frozen weights are ~14 GiB in bf16, ~28 GiB in float32;
    # an A10G has 24 GB
    body = script(
        settings="per_device_train_batch_size=1, max_length=512", extra="lora = LoraConfig()"
    ).replace("Qwen2.5-0.5B", "Qwen2.5-7B")
    [fits] = memory(body)
    assert fits.status == "pass" and fits.message.startswith("Qwen/Qwen2.5-7B sft lora, batch 1 x 512 fits")
    [fails] = memory(body.replace('"dtype": "bfloat16"', '"dtype": "float32"'))
    assert fails.status == "fail"
    assert fails.message.startswith("Qwen/Qwen2.5-7B sft lora, batch 1 x 512, float32 weights does not fit")
    assert fails.fix == (
        "lower per_device_train_batch_size or max_length, set the dtype to bfloat16, use LoRA/QLoRA, "
        "or pick a larger flavor (recommend_hardware)"
    )


# -- a model loaded with from_pretrained -------------------------------------------------------------------
LOADED = """
import torch
from datasets import load_dataset
from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer
from trl import SFTConfig, SFTTrainer

import torch as th
from torch import bfloat16
from transformers import AutoProcessor

MODEL_ID = "Qwen/Qwen2.5-0.5B"
config = AutoConfig.from_pretrained("Qwen/Qwen2.5-7B")
processor = AutoProcessor.from_pretrained("Qwen/Qwen2.5-7B")
tokenizer = AutoTokenizer.from_pretrained("Qwen/Qwen2.5-7B")
model = AutoModelForCausalLM.from_pretrained({load})
args = SFTConfig(output_dir="out", per_device_train_batch_size=1, max_length=512, push_to_hub=True,
                 hub_model_id="alice/qwen-full", hub_strategy="checkpoint")
SFTTrainer(model=model, args=args, processing_class=tokenizer,
           train_dataset=load_dataset("trl-lib/Capybara", split="train")).train()
"""


@pytest.mark.parametrize(
    ("load", "float32"),
    [
        ('"Qwen/Qwen2.5-0.5B"', False),  # transformers 5 loads the checkpoint's dtype ("auto")
        ('"Qwen/Qwen2.5-0.5B", dtype="bfloat16"', False),
        ('"Qwen/Qwen2.5-0.5B", dtype=torch.bfloat16', False),
        ('"Qwen/Qwen2.5-0.5B", dtype="half"', False),  # torch.half: transformers takes torch's names
        ('"Qwen/Qwen2.5-0.5B", torch_dtype=torch.float32', True),
        ('pretrained_model_name_or_path="Qwen/Qwen2.5-0.5B", dtype="float32"', True),
        ('"Qwen/Qwen2.5-0.5B", dtype=DTYPE', False),  # not a constant: assumed 16-bit
        ("MODEL_ID, dtype=th.bfloat16", False),  # a module-level name; torch imported under another name
        ("pretrained_model_name_or_path=MODEL_ID, dtype=bfloat16", False),  # from torch import bfloat16
    ],
)
def test_the_model_a_script_loads_itself_is_fitted_with_its_dtype(load: str, float32: bool) -> None:
    # the config, processor and tokenizer of the 7B model are loaded too: only the model class's call counts
    expected = "Qwen/Qwen2.5-0.5B sft full, batch 1 x 512" + (", float32 weights" if float32 else "")
    assert plan(LOADED.format(load=load)) == expected


def test_a_model_given_by_name_wins_over_a_loaded_one() -> None:
    # a reward model loaded for scoring; the trainer that trains is the one given a model id
    body = script(extra='judge = AutoModelForSequenceClassification.from_pretrained("Qwen/Qwen2.5-7B")')
    body = body.replace(
        "from transformers import", "from transformers import AutoModelForSequenceClassification,"
    )
    assert plan(body).startswith("Qwen/Qwen2.5-0.5B sft full")


# -- when the fit is not judged ------------------------------------------------------------------------------
def test_no_memory_check_on_a_cpu_flavor_or_with_values_from_the_command_line() -> None:
    assert memory(script(), flavor="cpu-upgrade") == []
    # a parser fills some settings (here the script's own arguments): the config's values are not the run's
    assert (
        memory(
            script(extra="(script_args,) = HfArgumentParser(ScriptArguments).parse_args_into_dataclasses()")
        )
        == []
    )


def test_a_model_whose_shape_is_not_known_offline_is_not_judged() -> None:
    [info] = memory(script().replace("Qwen/Qwen2.5-0.5B", "alice/my-private-model"))
    assert info.status == "info" and info.message.startswith("memory not checked: ")
    # validating makes no network call: the model table is the bundled one
    assert "'alice/my-private-model' is not in the bundled table and the Hub was not asked" in info.message


def test_a_trainer_with_no_model_it_can_name_is_not_judged() -> None:
    body = script().replace('model="Qwen/Qwen2.5-0.5B"', "model=build_model()")
    assert memory(body) == []
