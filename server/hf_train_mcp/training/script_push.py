"""Will the trained model survive the job, and can the job push it? And is the timeout long enough?

A job's disk is discarded when it ends: a training script must push to the Hub (with a token secret),
and should push checkpoints so a job that times out can resume.
"""

from __future__ import annotations

from typing import Any

from hf_train_mcp.hardware.api import TIMEOUT_FACTOR
from hf_train_mcp.training import script_calls as sc
from hf_train_mcp.training.config import Check, parse_timeout

TOKEN_SECRETS = ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HUGGINGFACE_HUB_TOKEN")


def push_and_secret_checks(
    facts: sc.ScriptFacts,
    config: dict[str, Any] | None,
    secrets: dict[str, str] | None,
    env: dict[str, str] | None,
    *,
    local: bool,
    generated: bool,
) -> list[Check]:
    checks: list[Check] = []
    args = facts.of(*sc.ARGS_CLASSES)
    push_flag = any(c.const("push_to_hub") is True for c in args)
    if generated and config is not None:
        pushes: bool | None = bool(config.get("push_to_hub") and config.get("hub_model_id"))
    elif push_flag or facts.push_call:
        pushes = True
    elif facts.cli_values:
        pushes = None  # decided on the command line (--push_to_hub)
    else:
        pushes = False
    if not facts.trains and not generated:
        pass  # not a training script: nothing to lose
    elif pushes is None:
        checks.append(
            Check(
                "push_to_hub",
                "warn",
                "whether the model is pushed is decided on the command line: without --push_to_hub the "
                "job's disk, and the model on it, is discarded when it ends",
                "pass --push_to_hub --hub_model_id <you>/<model> --hub_strategy checkpoint",
            )
        )
    elif not pushes and local:
        checks.append(
            Check("push_to_hub", "info", "a local run without pushing: the model stays in output_dir")
        )
    elif not pushes:
        checks.append(
            Check(
                "push_to_hub",
                "fail",
                "nothing is pushed to the Hub: the job's disk is discarded when it ends, with the model "
                "on it",
                'pass push_to_hub=True, hub_model_id="<you>/<model>" and hub_strategy="checkpoint" to the '
                "training config",
            )
        )
    else:
        checks.append(Check("push_to_hub", "pass", "the script pushes to the Hub"))
        checks += checkpoint_push_checks(args, push_flag)
    in_env = [k for k in (env or {}) if k in TOKEN_SECRETS]
    if in_env:
        checks.append(
            Check(
                "token_secret",
                "warn",
                f"{in_env} passed as env: env values are shown by `inspect`",
                'pass it in secrets instead: secrets={"HF_TOKEN": "$HF_TOKEN"}',
            )
        )
    if pushes is not False and (facts.trains or generated):
        if secrets is None:
            checks.append(
                Check(
                    "token_secret",
                    "warn",
                    "pushing needs a write token in the job; no secrets were given to check",
                    'submit with secrets={"HF_TOKEN": "$HF_TOKEN"}',
                )
            )
        elif not any(k in secrets for k in TOKEN_SECRETS):
            checks.append(
                Check(
                    "token_secret",
                    "fail" if pushes else "warn",
                    "the script pushes to the Hub but the job gets no token: the push fails with 401 after "
                    "training",
                    'add secrets={"HF_TOKEN": "$HF_TOKEN"}',
                )
            )
        else:
            checks.append(Check("token_secret", "pass", "a token secret is passed to the job"))
    return checks


def checkpoint_push_checks(args: list[sc.Call], push_flag: bool) -> list[Check]:
    """What a job that times out keeps, by hub_strategy (transformers' TrainingArguments)."""
    if not push_flag:
        return []
    pushing = [c for c in args if c.const("push_to_hub") is True]
    if any("hub_model_id" not in c.keywords for c in pushing):
        checks = [
            Check(
                "hub_model_id",
                "warn",
                "push_to_hub=True without hub_model_id: the repo is named after output_dir",
                'pass hub_model_id="<you>/<model>"',
            )
        ]
    else:
        checks = []
    strategy = pushing[0].const("hub_strategy", "every_save")  # push_flag: one config at least pushes
    if strategy in ("checkpoint", "all_checkpoints") or strategy is sc.Unknown:
        return checks
    if strategy == "end":
        message = (
            'hub_strategy="end" pushes only when training ends: a job that times out or fails loses all '
            "its progress"
        )
    else:
        message = (
            f'hub_strategy="{strategy}" pushes the weights at each save but not the optimizer state: '
            "after a timeout the weights survive, resuming is impossible"
        )
    checks.append(
        Check(
            "checkpoints",
            "warn",
            message,
            'hub_strategy="checkpoint" (pushes last-checkpoint), then resume_from_checkpoint',
        )
    )
    return checks


def timeout_checks(timeout: str | int | None) -> list[Check]:
    if timeout is None:
        return [
            Check(
                "timeout",
                "warn",
                "no timeout given: Hugging Face Jobs stop a job after 30 minutes by default",
                f"pass a timeout at least {TIMEOUT_FACTOR:g} x the estimated run, e.g. timeout='2h'",
            )
        ]
    try:
        seconds = parse_timeout(timeout)
    except ValueError as exc:
        return [Check("timeout", "fail", str(exc), "pass a duration such as '2h' or '90m'")]
    if seconds <= 30 * 60:
        return [
            Check(
                "timeout",
                "warn",
                f"timeout {timeout} is short for a training run",
                f"use at least {TIMEOUT_FACTOR:g} x the estimated run (recommend_hardware estimates it)",
            )
        ]
    return [Check("timeout", "pass", f"timeout {timeout}")]
