"""validate_training_script on what survives a job (script_push.py): a job's disk is discarded when it ends,
so a training script must push its model with a token the job gets, should push checkpoints it can resume
from, and needs a timeout longer than the 30-minute default. Each rule both ways, on hand-written and
generated scripts.
"""

from __future__ import annotations

import pytest
from hf_train_mcp.training.config import Check
from hf_train_mcp.training.render import render_script, training_pins
from hf_train_mcp.training.requests import parse_request
from hf_train_mcp.training.resolve import resolve
from hf_train_mcp.training.static_checks import validate_script
from training.helpers import PINNED_HEADER, request

TOKEN = {"HF_TOKEN": "$HF_TOKEN"}


def named(checks: list[Check], name: str) -> list[Check]:
    return [c for c in checks if c.name == name]


def statuses(checks: list[Check], name: str) -> list[str]:
    return [c.status for c in named(checks, name)]


def handwritten(config: str, after: str = "") -> str:
    """A hand-written SFT LoRA script whose SFTConfig takes `config` (its push settings), then `after`."""
    return (
        PINNED_HEADER
        + f"""
from datasets import load_dataset
from peft import LoraConfig
from trl import SFTConfig, SFTTrainer

args = SFTConfig(output_dir="out", model_init_kwargs={{"dtype": "bfloat16"}}, {config})
trainer = SFTTrainer(
    model="Qwen/Qwen2.5-0.5B",
    args=args,
    train_dataset=load_dataset("trl-lib/Capybara", split="train"),
    peft_config=LoraConfig(target_modules="all-linear"),
)
trainer.train()
{after}"""
    )


PUSHING = handwritten('push_to_hub=True, hub_model_id="alice/qwen-sft", hub_strategy="checkpoint"')
NOT_PUSHING = handwritten("save_steps=100")
FROM_THE_COMMAND_LINE = PINNED_HEADER + (
    """
from datasets import load_dataset
from trl import SFTConfig, SFTTrainer, TrlParser

(args,) = TrlParser((SFTConfig,)).parse_args_and_config()
data = load_dataset("trl-lib/Capybara", split="train")
SFTTrainer(model="Qwen/Qwen2.5-0.5B", args=args, train_dataset=data).train()
"""
)


def generated(**overrides) -> str:
    return render_script(resolve(parse_request(request(**overrides)), pinned=training_pins()))


# -- is the model pushed? ------------------------------------------------------------------------------------
def test_a_script_that_pushes_passes_and_one_that_does_not_fails_on_jobs() -> None:
    assert statuses(validate_script(PUSHING, secrets=TOKEN, timeout="2h"), "push_to_hub") == ["pass"]
    [fail] = named(validate_script(NOT_PUSHING, secrets=TOKEN, timeout="2h"), "push_to_hub")
    assert fail.status == "fail"
    assert fail.message == (
        "nothing is pushed to the Hub: the job's disk is discarded when it ends, with the model on it"
    )
    assert fail.fix == (
        'pass push_to_hub=True, hub_model_id="<you>/<model>" and hub_strategy="checkpoint" to the '
        "training config"
    )


def test_a_local_run_that_keeps_its_model_on_this_disk_is_not_failed() -> None:
    checks = validate_script(NOT_PUSHING, flavor="local", secrets={}, timeout="2h")
    [info] = named(checks, "push_to_hub")
    assert info.status == "info"
    assert info.message == "a local run without pushing: the model stays in output_dir"
    assert named(checks, "token_secret") == []  # nothing pushed: no token needed
    assert [c for c in checks if c.status == "fail"] == []


def test_a_generated_script_pushes_when_its_config_has_a_hub_model_id() -> None:
    script = generated()
    assert statuses(validate_script(script, secrets=TOKEN, timeout="2h"), "push_to_hub") == ["pass"]
    no_id = script.replace("'hub_model_id': 'me/run'", "'hub_model_id': None")
    assert no_id != script
    assert statuses(validate_script(no_id, secrets=TOKEN, timeout="2h"), "push_to_hub") == ["fail"]


def test_a_generated_local_script_without_push_is_fine_locally_and_fails_on_jobs() -> None:
    script = generated(push_to_hub=False, hub_model_id=None)
    local = validate_script(script, flavor="local", secrets={}, timeout="2h")
    assert statuses(local, "push_to_hub") == ["info"] and named(local, "token_secret") == []
    jobs = validate_script(script, secrets=TOKEN, timeout="2h")
    assert statuses(jobs, "push_to_hub") == ["fail"] and named(jobs, "token_secret") == []


# -- the token the push needs ------------------------------------------------------------------------------
@pytest.mark.parametrize("secret", ["HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HUGGINGFACE_HUB_TOKEN"])
def test_each_name_huggingface_hub_reads_a_token_from_counts(secret: str) -> None:
    checks = validate_script(PUSHING, secrets={secret: f"${secret}"}, timeout="2h")
    assert statuses(checks, "token_secret") == ["pass"]


def test_a_push_without_a_token_fails_and_one_decided_on_the_command_line_warns() -> None:
    other = {"WANDB_API_KEY": "$WANDB_API_KEY"}
    [fail] = named(validate_script(PUSHING, secrets=other, timeout="2h"), "token_secret")
    assert fail.status == "fail" and fail.fix == 'add secrets={"HF_TOKEN": "$HF_TOKEN"}'
    assert fail.message.startswith(
        "the script pushes to the Hub but the job gets no token: the push fails with 401"
    )
    # --push_to_hub may or may not be passed: the missing token is worth a warning, not a FAIL
    assert statuses(validate_script(FROM_THE_COMMAND_LINE, secrets=other, timeout="2h"), "token_secret") == [
        "warn"
    ]
    assert statuses(validate_script(FROM_THE_COMMAND_LINE, secrets=TOKEN, timeout="2h"), "token_secret") == [
        "pass"
    ]


def test_no_secrets_given_to_check_warns() -> None:
    [warn] = named(validate_script(PUSHING, timeout="2h"), "token_secret")
    assert warn.status == "warn" and warn.fix == 'submit with secrets={"HF_TOKEN": "$HF_TOKEN"}'
    assert named(validate_script(NOT_PUSHING, timeout="2h"), "token_secret") == []  # nothing to push


def test_a_token_passed_in_env_is_flagged_as_visible() -> None:
    checks = validate_script(PUSHING, env={"HF_TOKEN": "hf_x", "WANDB_PROJECT": "sft"}, secrets=TOKEN)
    [env] = [c for c in named(checks, "token_secret") if c.status == "warn"]
    assert env.message.startswith("['HF_TOKEN'] passed as env")
    assert env.fix == 'pass it in secrets instead: secrets={"HF_TOKEN": "$HF_TOKEN"}'
    plain = validate_script(PUSHING, env={"WANDB_PROJECT": "sft"}, secrets=TOKEN, timeout="2h")
    assert statuses(plain, "token_secret") == ["pass"]


# -- checkpoints a job that times out can resume from (TrainingArguments' hub_strategy) ---------------------
@pytest.mark.parametrize(
    ("strategy", "message"),
    [
        # TrainingArguments' default hub_strategy is "every_save"
        (
            "",
            'hub_strategy="every_save" pushes the weights at each save but not the optimizer state: after a '
            "timeout the weights survive, resuming is impossible",
        ),
        ('hub_strategy="every_save"', 'hub_strategy="every_save" pushes the weights at each save'),
        ('hub_strategy="end"', 'hub_strategy="end" pushes only when training ends'),
        ('hub_strategy="checkpoint"', None),
        ('hub_strategy="all_checkpoints"', None),
        ("hub_strategy=STRATEGY", None),  # not a constant: not judged
    ],
)
def test_what_a_job_that_times_out_keeps_by_hub_strategy(strategy: str, message: str | None) -> None:
    script = handwritten(f'push_to_hub=True, hub_model_id="alice/qwen-sft", {strategy}')
    checks = validate_script(script, secrets=TOKEN, timeout="2h")
    found = named(checks, "checkpoints")
    if message is None:
        assert found == []
    else:
        [warn] = found
        assert warn.status == "warn" and warn.message.startswith(message), warn.message
        assert warn.fix == 'hub_strategy="checkpoint" (pushes last-checkpoint), then resume_from_checkpoint'
    assert statuses(checks, "push_to_hub") == ["pass"] and named(checks, "hub_model_id") == []


def test_push_to_hub_without_hub_model_id_warns_that_the_repo_is_named_after_output_dir() -> None:
    checks = validate_script(
        handwritten('push_to_hub=True, hub_strategy="checkpoint"'), secrets=TOKEN, timeout="2h"
    )
    [warn] = named(checks, "hub_model_id")
    assert warn.status == "warn" and warn.fix == 'pass hub_model_id="<you>/<model>"'
    assert warn.message == "push_to_hub=True without hub_model_id: the repo is named after output_dir"
    assert named(checks, "checkpoints") == []


def test_the_pushing_config_decides_the_strategy_not_an_evaluation_config() -> None:
    # a second config that does not push (an evaluation pass) has no say in how the training run pushes
    script = handwritten(
        'push_to_hub=True, hub_model_id="alice/qwen-sft", hub_strategy="end"',
        'eval_args = SFTConfig(output_dir="eval", hub_strategy="checkpoint")\n',
    )
    [warn] = named(validate_script(script, secrets=TOKEN, timeout="2h"), "checkpoints")
    assert warn.message.startswith('hub_strategy="end"')


def test_a_push_by_a_call_alone_is_not_judged_by_hub_strategy() -> None:
    script = handwritten("save_steps=100", 'trainer.push_to_hub("alice/qwen-sft")\n')
    checks = validate_script(script, secrets=TOKEN, timeout="2h")
    assert statuses(checks, "push_to_hub") == ["pass"]
    assert named(checks, "checkpoints") == [] and named(checks, "hub_model_id") == []


# -- the timeout: Jobs stop a job after 30 minutes unless told otherwise ------------------------------------
def test_no_timeout_warns_with_the_margin_to_ask_for() -> None:
    [warn] = named(validate_script(PUSHING, secrets=TOKEN), "timeout")
    assert warn.status == "warn"
    assert warn.message == "no timeout given: Hugging Face Jobs stop a job after 30 minutes by default"
    # training-facts.md: a timeout at least 1.3 x the estimated run
    assert warn.fix == "pass a timeout at least 1.3 x the estimated run, e.g. timeout='2h'"


def test_a_short_timeout_warns_and_a_malformed_one_fails() -> None:
    [short] = named(validate_script(PUSHING, secrets=TOKEN, timeout="20m"), "timeout")
    assert short.status == "warn" and short.message == "timeout 20m is short for a training run"
    assert short.fix == "use at least 1.3 x the estimated run (recommend_hardware estimates it)"
    [bad] = named(validate_script(PUSHING, secrets=TOKEN, timeout="two hours"), "timeout")
    assert bad.status == "fail" and bad.fix == "pass a duration such as '2h' or '90m'"
    assert bad.message.startswith("timeout 'two hours' is not a duration")  # the parser's own reason
    [ok] = named(validate_script(PUSHING, secrets=TOKEN, timeout="90m"), "timeout")
    assert ok.status == "pass" and ok.message == "timeout 90m"


def test_the_command_line_warning_says_what_decides_the_push() -> None:
    [warn] = named(validate_script(FROM_THE_COMMAND_LINE, secrets=TOKEN, timeout="2h"), "push_to_hub")
    assert warn.status == "warn"
    assert warn.message.startswith(
        "whether the model is pushed is decided on the command line: without --push_to_hub"
    )


def test_a_hand_written_config_dict_is_not_mistaken_for_a_generated_scripts() -> None:
    # CONFIG holds this script's own hyperparameters; only generate_training_script's CONFIG decides the push
    script = PUSHING.replace("args = SFTConfig(", 'CONFIG = {"lr": 2e-4, "epochs": 1}\nargs = SFTConfig(')
    assert script != PUSHING
    assert statuses(validate_script(script, secrets=TOKEN, timeout="2h"), "push_to_hub") == ["pass"]
