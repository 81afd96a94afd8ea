"""What a run/uv call turns into before money is spent: the body the Jobs API double receives (one POST,
or none when the call is refused), secrets only as secrets and with the server's values when given by
name, `$HF_TOKEN` replaced or refused, the job's name as its label, the local backend's spec, and which
values every answer masks."""

from __future__ import annotations

import uuid

import pytest
from doubles.jobs_api import TOKEN, JobsApiState

pytestmark = pytest.mark.anyio

UV_IMAGE = "ghcr.io/astral-sh/uv:python3.12-bookworm"  # huggingface_hub's `run_uv_job` default
JOBS_POST = r"^/api/jobs/alice$"


def fresh(prefix: str) -> str:
    """A secret-looking value no other test registered for masking."""
    return f"{prefix}-{uuid.uuid4().hex}"


# -- secrets given by name: the server's values, sent as secrets, never shown -----------------------------
async def test_secrets_named_in_a_list_take_the_servers_values(hf_jobs, jobs_api: JobsApiState, monkeypatch):
    wandb = fresh("wandb")
    monkeypatch.setenv("WANDB_API_KEY", wandb)
    jobs_api.queue_plan(lines=[f"key={wandb}", "done"], scheduling_s=0.02, line_every_s=0.02)
    reply = await hf_jobs(
        "run",
        {
            "command": ["true"],
            "secrets": ["HF_TOKEN", "WANDB_API_KEY"],
            "env": {"MODE": "fast"},
            "detach": True,
        },
    )
    assert not reply.is_error, reply.text
    assert len(jobs_api.server.received("POST", JOBS_POST)) == 1
    sent = jobs_api.specs[-1]
    assert sent["secrets"] == {"HF_TOKEN": TOKEN, "WANDB_API_KEY": wandb}
    assert sent["environment"] == {"MODE": "fast"}  # a secret never travels as a plain variable
    # the value came from the server's environment, not from the call: it is masked in later answers too
    logs = await hf_jobs("logs", {"job_id": reply.data["job_id"], "wait_seconds": 2})
    assert "key=***" in logs.everything() and wandb not in logs.everything()


async def test_a_secret_named_but_missing_on_the_server_sends_nothing(
    hf_jobs, jobs_api: JobsApiState, monkeypatch
):
    monkeypatch.delenv("NOT_ON_THIS_SERVER", raising=False)
    reply = await hf_jobs("run", {"command": ["true"], "secrets": ["NOT_ON_THIS_SERVER"], "detach": True})
    assert reply.is_error
    # the fix an agent copies: the same secret as a name -> value mapping
    assert 'pass {"NOT_ON_THIS_SERVER": "<value>"} instead' in reply.text
    assert "environment has no NOT_ON_THIS_SERVER" in reply.text
    assert jobs_api.server.received("POST", JOBS_POST) == []


async def test_a_dry_run_without_a_token_masks_the_token_it_would_send(hf_jobs_no_hub) -> None:
    reply = await hf_jobs_no_hub(
        "run",
        {
            "command": ["true"],
            "secrets": ["HF_TOKEN"],
            "env": {"HUB_TOKEN_COPY": "${HF_TOKEN}", "MODE": "fast"},
            "dry_run": True,
        },
    )
    assert not reply.is_error, reply.text
    spec = reply.data["spec"]
    assert spec["secrets"] == {"HF_TOKEN": "***"}
    assert spec["environment"] == {"HUB_TOKEN_COPY": "***", "MODE": "fast"}


# -- $HF_TOKEN with no token: refused before anything runs ------------------------------------------------
@pytest.mark.parametrize(
    ("asked", "refusal"),
    [
        ({"env": {"PUSH_TOKEN": "$HF_TOKEN"}}, "env PUSH_TOKEN asks for your token ($HF_TOKEN)"),
        ({"secrets": {"PUSH_TOKEN": "${HF_TOKEN}"}}, "secret PUSH_TOKEN asks for your token (${HF_TOKEN})"),
        ({"secrets": ["HF_TOKEN"]}, "secret HF_TOKEN asks for your token ($HF_TOKEN)"),
    ],
)
async def test_a_local_job_asking_for_a_token_the_server_lacks_is_refused(
    hf_jobs_no_hub, asked: dict, refusal: str
) -> None:
    reply = await hf_jobs_no_hub("run", {"command": ["true"], "flavor": "local", **asked})
    assert reply.is_error
    # which variable asked, and the placeholder as the agent wrote it (not masked: it is no secret)
    assert f"{refusal} but no Hugging Face token is configured" in reply.text
    # the two ways to give the server a token, with the variable's exact name
    assert "log in with `hf auth login` or start the server with HF_TOKEN set." in reply.text


# -- the job's name and labels ------------------------------------------------------------------------------
async def test_the_jobs_name_is_sent_as_its_name_label(hf_jobs, jobs_api: JobsApiState) -> None:
    reply = await hf_jobs(
        "run", {"command": ["true"], "name": "nightly-eval", "labels": {"team": "nlp"}, "detach": True}
    )
    assert not reply.is_error, reply.text
    labels = jobs_api.specs[-1]["labels"]
    assert labels["name"] == "nightly-eval" and labels["team"] == "nlp"


# -- attempts: Hub jobs only --------------------------------------------------------------------------------
async def test_one_attempt_is_fine_on_this_machine(hf_jobs_no_hub) -> None:
    reply = await hf_jobs_no_hub(
        "run", {"command": ["true"], "flavor": "local", "attempts": 1, "dry_run": True}
    )
    assert not reply.is_error, reply.text
    reply = await hf_jobs_no_hub(
        "run", {"command": ["true"], "flavor": "local", "attempts": 2, "dry_run": True}
    )
    assert reply.is_error and 'Leave "attempts" out, or pick a Hub flavor such as "a10g-large".' in reply.text


# -- the local backend's spec -------------------------------------------------------------------------------
async def test_a_local_run_shows_an_image_only_when_one_was_chosen(hf_jobs_no_hub) -> None:
    plain = await hf_jobs_no_hub(
        "run", {"command": "python -c 'print(1)'", "flavor": "local", "dry_run": True}
    )
    assert not plain.is_error, plain.text
    assert plain.data["spec"]["image"] == ""  # no container on this machine
    assert plain.data["spec"]["command"] == ["python", "-c", "print(1)"]
    chosen = await hf_jobs_no_hub(
        "run", {"command": ["true"], "image": "python:3.11", "flavor": "local", "dry_run": True}
    )
    assert chosen.data["spec"]["image"] == "python:3.11"


async def test_a_local_uv_job_runs_the_script_file_with_its_arguments(hf_jobs_no_hub, tmp_path) -> None:
    script = tmp_path / "train.py"
    script.write_text("print('training')\n")
    reply = await hf_jobs_no_hub(
        "uv",
        {
            "script": str(script),
            "with_deps": ["peft", "trl"],
            "script_args": ["--epochs", "2"],
            "python": "3.11",
            "env": {"MODE": "fast"},
            "flavor": "local",
            "dry_run": True,
        },
    )
    assert not reply.is_error, reply.text
    spec = reply.data["spec"]
    assert spec["command"] == ["uv", "run", "--with", "peft", "--with", "trl", "train.py", "--epochs", "2"]
    assert spec["image"] == UV_IMAGE
    assert spec["environment"] == {"MODE": "fast"}  # nothing shipped: the file is on this machine
    assert spec["uv"]["file_name"] == "train.py" and spec["uv"]["python"] == "3.11"
    assert spec["uv"]["dependencies"] == ["peft", "trl"] and spec["uv"]["script_args"] == ["--epochs", "2"]
    assert spec["uv"]["script"] == "<18 characters of code>"  # the file's text is not repeated
    url = "https://huggingface.co/datasets/uv-scripts/classification/raw/main/classify.py"
    reply = await hf_jobs_no_hub("uv", {"script": url, "flavor": "local", "dry_run": True})
    assert not reply.is_error, reply.text
    assert (
        reply.data["spec"]["uv"]["script"] == url and reply.data["spec"]["uv"]["file_name"] == "classify.py"
    )
    assert reply.data["spec"]["command"] == ["uv", "run", "classify.py"]


# -- shipping a script uses env names of its own ----------------------------------------------------------
async def test_env_names_that_would_overwrite_shipped_files_are_refused(
    hf_jobs, jobs_api: JobsApiState, tmp_path, monkeypatch
) -> None:
    monkeypatch.chdir(tmp_path)  # relative paths start at the server's working folder
    (tmp_path / "train.py").write_text("print('training')\n")
    (tmp_path / "rows.jsonl").write_text('{"text": "hi"}\n')
    # the script travels in HF_TRAIN_MCP_SCRIPT, the file argument (the second file) in HF_TRAIN_MCP_FILE_1
    args = {"script": "train.py", "script_args": ["rows.jsonl"], "detach": True}
    env = {"HF_TRAIN_MCP_SCRIPT": "mine", "HF_TRAIN_MCP_FILE_1": "mine too", "MODE": "fast"}
    reply = await hf_jobs("uv", {**args, "env": env})
    assert reply.is_error
    assert (
        "env names HF_TRAIN_MCP_FILE_1, HF_TRAIN_MCP_SCRIPT are reserved for shipping the script; rename them"
        in reply.text
    )
    assert jobs_api.server.received("POST", JOBS_POST) == []
    reply = await hf_jobs("uv", {**args, "env": {"MODE": "fast"}})
    assert not reply.is_error, reply.text
    sent = jobs_api.specs[-1]["environment"]
    assert sorted(sent) == ["HF_TRAIN_MCP_FILE_1", "HF_TRAIN_MCP_SCRIPT", "MODE"] and sent["MODE"] == "fast"


# -- which env values count as secrets --------------------------------------------------------------------
async def test_env_values_under_secret_looking_names_are_masked(hf_jobs, jobs_api: JobsApiState) -> None:
    secret_like = {
        "GITHUB_TOKEN": fresh("gh"),
        "BASIC_AUTH": fresh("auth"),
        "wandb_api_key": fresh("wandb"),  # names are matched whatever their case
        "DB_PASSWORD": fresh("pw"),
    }
    plain = {"RUN_MODE": fresh("mode")}
    reply = await hf_jobs("run", {"command": ["true"], "env": {**secret_like, **plain}, "dry_run": True})
    assert not reply.is_error, reply.text
    shown = reply.data["spec"]["environment"]
    assert shown == {**dict.fromkeys(secret_like, "***"), **plain}
    for value in secret_like.values():
        assert value not in reply.everything()


# A secret shorter than the masker's minimum (8 characters) is not masked in free text: a dry run's spec hides
# every secret by its name all the same.
SHORT_SECRET = "pin-482"


async def test_a_dry_run_hides_every_secret_value_by_name(hf_jobs, jobs_api: JobsApiState) -> None:
    args = {
        "command": ["true"],
        "secrets": {"HF_TOKEN": "$HF_TOKEN", "PIN": SHORT_SECRET},
        "env": {"MODE": "fast"},
    }
    reply = await hf_jobs("run", {**args, "dry_run": True})
    assert not reply.is_error, reply.text
    assert reply.data["spec"]["secrets"] == {"HF_TOKEN": "***", "PIN": "***"}
    assert reply.data["spec"]["environment"] == {"MODE": "fast"}
    assert SHORT_SECRET not in reply.everything() and jobs_api.specs == []


async def test_a_scheduled_dry_run_hides_the_secrets_of_its_job_spec(hf_jobs, jobs_api: JobsApiState) -> None:
    reply = await hf_jobs(
        "scheduled run",
        {
            "schedule": "@hourly",
            "command": ["true"],
            "secrets": {"HF_TOKEN": "$HF_TOKEN", "PIN": SHORT_SECRET},
            "env": {"MODE": "fast"},
            "dry_run": True,
        },
    )
    assert not reply.is_error, reply.text
    assert reply.data["spec"]["schedule"] == "@hourly"
    job_spec = reply.data["spec"]["jobSpec"]
    assert job_spec["secrets"] == {"HF_TOKEN": "***", "PIN": "***"}
    assert job_spec["environment"] == {"MODE": "fast"}
    assert SHORT_SECRET not in reply.everything() and jobs_api.scheduled_bodies == []


@pytest.mark.parametrize("field", ["secrets", "env"])
async def test_a_secret_sent_in_the_wrong_field_too_is_masked_in_the_error(
    hf_jobs, jobs_api: JobsApiState, field: str
) -> None:
    # the agent mixed up its arguments: the key's value also went into `timeout`, whose error quotes it
    key = fresh("key")
    reply = await hf_jobs("run", {"command": ["true"], field: {"WANDB_API_KEY": key}, "timeout": key})
    assert reply.is_error
    assert "timeout '***' is not a duration" in reply.text
    assert key not in reply.everything() and jobs_api.specs == []
