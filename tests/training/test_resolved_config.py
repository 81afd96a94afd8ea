"""What `resolve` puts in the rendered script's CONFIG and the plan for the data, output and optimizer
settings: every value a request gives reaches the script unchanged, the defaults it leaves out are decided
(output folder, run name, eval strategy, learning rate), and the checks say what to fix.

Expected values are written by hand from the request (and the usual recipes: LoRA SFT at 2e-4, a full SFT at
2e-5, DPO with LoRA at 5e-6); the script is rendered by the real generator and loaded, not run.
"""

from __future__ import annotations

from typing import Any

import pytest
from hf_train_mcp import hub
from hf_train_mcp.training.config import Plan
from hf_train_mcp.training.render import training_pins
from hf_train_mcp.training.requests import parse_request
from hf_train_mcp.training.resolve import resolve
from training.helpers import loaded_script, plan_checks, request


def plan_for(**overrides: Any) -> Plan:
    return resolve(parse_request(request(**overrides)), pinned=training_pins())


def script_config(plan: Plan) -> dict[str, Any]:
    """The CONFIG the rendered script runs with (the script is loaded, not run)."""
    return loaded_script(plan)["CONFIG"]


# Every data, output and optimizer setting given, none at its default.
GIVEN = {
    "flavor": "a10g-large",
    "timeout": "5h",
    "model_revision": "v1.0",
    "dataset": "acme/data",
    "dataset_config": "main",
    "split": "train",
    "eval_split": "validation",
    "max_rows": 5000,
    "dataset_columns": ["question", "answer"],
    "column_mapping": {"prompt": "question", "completion": "answer"},
    "eval_strategy": "epoch",
    "eval_steps": 50,
    "save_steps": 200,
    "output_dir": "out-dir",
    "hub_model_id": "me/tuned",
    "private": False,
    "trackio_project": "proj",
    "run_name": "first",
    "learning_rate": 1e-4,
    "num_train_epochs": 2,
    "max_steps": 300,
    "max_length": 2048,
    "warmup_ratio": 0.1,
    "lr_scheduler_type": "linear",
    "weight_decay": 0.01,
    "logging_steps": 5,
    "save_every_minutes": 15,
    "seed": 7,
}


def test_every_given_setting_reaches_the_script_unchanged():
    plan = plan_for(**GIVEN)
    cfg = script_config(plan)
    assert {k: cfg[k] for k in ("method", "peft", "model", "model_revision", "trust_remote_code")} == {
        "method": "sft",
        "peft": "lora",
        "model": "Qwen/Qwen2.5-0.5B",
        "model_revision": "v1.0",
        "trust_remote_code": False,
    }
    assert cfg["dataset"] == {
        "id": "acme/data",
        "config": "main",
        "split": "train",
        "eval_split": "validation",
        "eval_fraction": None,
        "max_rows": 5000,
        "column_mapping": {"prompt": "question", "completion": "answer"},
        "conversion": None,
    }
    assert {k: cfg[k] for k in ("eval_strategy", "eval_steps", "save_steps")} == {
        "eval_strategy": "epoch",
        "eval_steps": 50,
        "save_steps": 200,
    }
    assert {k: cfg[k] for k in ("output_dir", "hub_model_id", "push_to_hub", "private", "run_name")} == {
        "output_dir": "out-dir",
        "hub_model_id": "me/tuned",
        "push_to_hub": True,
        "private": False,
        "run_name": "first",
    }
    training = (
        "learning_rate",
        "num_train_epochs",
        "max_steps",
        "max_length",
        "warmup_ratio",
        "lr_scheduler_type",
        "weight_decay",
        "logging_steps",
        "save_every_minutes",
        "seed",
    )
    assert {k: cfg[k] for k in training} == {k: GIVEN[k] for k in training}  # as given, none at its default
    assert cfg["pinned_versions"] == training_pins()


def test_the_plan_carries_the_jobs_flavor_timeout_and_gpus():
    plan = plan_for(**GIVEN)
    assert (plan.method, plan.peft, plan.flavor, plan.gpu_count) == ("sft", "lora", "a10g-large", 1)
    assert (plan.timeout, plan.timeout_seconds) == ("5h", 5 * 3600)


def test_a_conversion_and_an_eval_fraction_reach_the_script():
    plan = plan_for(
        dataset_columns=["conversations"],
        column_mapping={"messages": "conversations"},
        dataset_conversion="sharegpt",
        eval_fraction=0.05,
    )
    data = script_config(plan)["dataset"]
    assert (data["conversion"], data["eval_fraction"], data["eval_split"]) == ("sharegpt", 0.05, None)
    assert data["column_mapping"] == {"messages": "conversations"}


def test_trust_remote_code_reaches_the_script():
    assert script_config(plan_for(trust_remote_code=True))["trust_remote_code"] is True


# --------------------------------------------------------------------------------------------------
# Decided defaults
# --------------------------------------------------------------------------------------------------


def test_names_default_to_the_hub_repos_name():
    cfg = script_config(plan_for(hub_model_id="me/tuned", save_steps=250))
    assert (cfg["output_dir"], cfg["run_name"], cfg["trackio_project"]) == ("tuned", "tuned", "tuned")
    assert cfg["eval_steps"] == 250  # evaluated at every checkpoint unless told otherwise


@pytest.mark.parametrize("model", ["Qwen/Qwen2.5-0.5B", "Qwen/Qwen2.5-0.5B/"])
def test_without_a_hub_repo_the_folder_is_named_after_model_method_and_adapter(model):
    cfg = script_config(plan_for(model=model, push_to_hub=False, hub_model_id=None, peft="full"))
    assert (cfg["output_dir"], cfg["run_name"]) == ("Qwen2.5-0.5B-sft-full", "Qwen2.5-0.5B-sft-full")
    assert (cfg["hub_model_id"], cfg["push_to_hub"]) == (None, False)


@pytest.mark.parametrize("name", ["my-model", "my-model-X"])  # only slashes are stripped from the end
def test_a_local_model_folder_names_the_run_after_its_last_part(tmp_path, name):
    model = str(tmp_path / "models" / name) + "/"
    cfg = script_config(plan_for(model=model, push_to_hub=False, hub_model_id=None))
    assert cfg["output_dir"] == f"{name}-sft-lora"


def test_a_model_path_without_a_last_part_still_names_the_folder(monkeypatch):
    """The file-system root as the model (allowed here on purpose): no name to take, 'model' instead."""
    monkeypatch.setenv("HF_TRAIN_MCP_ALLOWED_PATHS", "/")
    cfg = script_config(plan_for(model="/", push_to_hub=False, hub_model_id=None))
    assert cfg["output_dir"] == "model-sft-lora"


def test_a_given_project_and_run_name_are_kept_apart_from_the_folder():
    cfg = script_config(plan_for(output_dir="ckpts", trackio_project="team", run_name="try-3"))
    assert (cfg["output_dir"], cfg["trackio_project"], cfg["run_name"]) == ("ckpts", "team", "try-3")


@pytest.mark.parametrize(
    ("method", "peft", "extra", "lr"),
    [
        ("sft", "lora", {}, 2e-4),
        ("sft", "full", {}, 2e-5),
        ("dpo", "lora", {"dataset_columns": ["prompt", "chosen", "rejected"]}, 5e-6),
    ],
)
def test_the_learning_rate_defaults_to_the_methods_recipe(method, peft, extra, lr):
    assert script_config(plan_for(method=method, peft=peft, **extra))["learning_rate"] == lr
    given = plan_for(method=method, peft=peft, learning_rate=3e-5, **extra)
    assert script_config(given)["learning_rate"] == 3e-5


# --------------------------------------------------------------------------------------------------
# Evaluation
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("eval_data", "asked", "decided"),
    [
        ({}, "auto", "no"),
        ({}, "no", "no"),
        ({"eval_split": "test"}, "auto", "steps"),
        ({"eval_fraction": 0.1}, "auto", "steps"),
        ({"eval_fraction": 0.1}, "epoch", "epoch"),
        ({"eval_split": "test"}, "no", "no"),
    ],
)
def test_the_eval_strategy_follows_the_eval_data(eval_data, asked, decided):
    plan = plan_for(eval_strategy=asked, **eval_data)
    assert script_config(plan)["eval_strategy"] == decided
    assert plan_checks(plan, "eval") == [("pass", f"eval_strategy {decided}", None)]


@pytest.mark.parametrize("asked", ["steps", "epoch"])
def test_evaluating_without_eval_data_is_refused(asked):
    plan = plan_for(eval_strategy=asked)
    assert plan_checks(plan, "eval") == [
        (
            "fail",
            f"eval_strategy={asked!r} without eval data: the run hangs or fails at start",
            "pass eval_split='test' (or eval_fraction=0.05), or eval_strategy='no'",
        )
    ]


def test_two_sources_of_eval_data_are_refused():
    plan = plan_for(eval_split="test", eval_fraction=0.1)
    assert plan_checks(plan, "eval") == [
        ("fail", "both eval_split and eval_fraction are set", "pass only one of them"),
        ("pass", "eval_strategy steps", None),
    ]


# --------------------------------------------------------------------------------------------------
# Where the model goes
# --------------------------------------------------------------------------------------------------


def test_pushing_needs_a_repo():
    plan = plan_for(hub_model_id=None)
    assert plan_checks(plan, "push_to_hub") == [
        (
            "fail",
            "push_to_hub needs hub_model_id: the job's disk is discarded when it ends",
            "pass hub_model_id='your-username/model-name' (a new, unique repo)",
        )
    ]


def test_a_pushed_run_says_where_its_checkpoints_go():
    plan = plan_for(hub_model_id="me/tuned")
    assert plan_checks(plan, "push_to_hub") == [
        (
            "pass",
            "checkpoints pushed to me/tuned (hub_strategy='checkpoint'); a re-run resumes from its "
            "last-checkpoint",
            None,
        )
    ]
    assert plan_checks(plan, "hub_model_id") == []


def test_a_repo_without_a_namespace_goes_to_the_token_owner():
    plan = plan_for(hub_model_id="tuned")
    assert plan_checks(plan, "hub_model_id") == [
        ("info", "'tuned' has no namespace: the script pushes to the token owner's namespace", None)
    ]


def test_a_job_that_does_not_push_is_refused_a_local_run_is_not():
    plan = plan_for(flavor="a10g-large", push_to_hub=False, hub_model_id=None)
    assert plan_checks(plan, "push_to_hub") == [
        (
            "fail",
            "push_to_hub=False on a Hugging Face Jobs flavor: the trained model and every checkpoint are "
            "lost when the job ends",
            "set push_to_hub=True with hub_model_id, or use flavor='local'",
        )
    ]
    assert plan_checks(plan_for(flavor="local", push_to_hub=False, hub_model_id=None), "push_to_hub") == []


def test_a_job_pushing_to_a_repo_logs_to_the_owners_trackio_space():
    plan = plan_for(flavor="a10g-large", hub_model_id="me/tuned", trackio_project="proj")
    cfg = script_config(plan)
    dashboard = f"{hub.endpoint()}/spaces/me/trackio?project=proj"
    assert (cfg["trackio"], cfg["trackio_space_id"], cfg["trackio_dashboard"]) == (
        True,
        "me/trackio",
        dashboard,
    )
    assert plan_checks(plan, "trackio") == [
        (
            "info",
            "live metrics on the trackio Space me/trackio (made on first log; trackio=false opts out): "
            + dashboard,
            None,
        )
    ]


def test_a_given_trackio_space_is_used_instead_of_the_owners():
    plan = plan_for(flavor="a10g-large", hub_model_id="me/tuned", trackio_space_id="team/metrics")
    cfg = script_config(plan)
    dashboard = f"{hub.endpoint()}/spaces/team/metrics?project=tuned"
    assert (cfg["trackio_space_id"], cfg["trackio_dashboard"]) == ("team/metrics", dashboard)


def test_a_local_run_with_trackio_logs_to_the_local_store_named_after_its_folder():
    plan = plan_for(flavor="local", push_to_hub=False, hub_model_id="me/tuned", trackio=True)
    cfg = script_config(plan)
    assert (cfg["trackio"], cfg["trackio_space_id"], cfg["trackio_dashboard"]) == (True, None, None)
    assert plan_checks(plan, "trackio") == [
        ("info", "metrics in trackio's local store: `trackio show --project tuned` opens the dashboard", None)
    ]
