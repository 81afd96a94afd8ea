"""prepare_training through the MCP client against the Hub doubles: plans, refusals, submission, and
the submitted job seen again through hf_jobs ps/logs/inspect."""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

import pytest
from doubles.full_hub import MODEL, FakeHub

pytestmark = pytest.mark.anyio


async def prepare(client: Any, **arguments: Any) -> Any:
    return await client.call_tool("prepare_training", {"model": MODEL, **arguments})


def text_of(result: Any) -> str:
    return "\n".join(getattr(block, "text", "") for block in result.content)


def script_config_literals(path: str) -> str:
    source = Path(path).read_text()
    ast.parse(source)  # the script compiles
    return source


async def test_sft_on_a_ready_dataset_returns_a_submittable_plan(client: Any, fake_hub: FakeHub) -> None:
    result = await prepare(client, dataset="acme/chat", method="sft")
    assert not result.is_error, text_of(result)
    data = result.structured_content
    call = data["hf_jobs"]
    assert call["operation"] == "uv"
    assert call["args"]["secrets"] == {"HF_TOKEN": "$HF_TOKEN"}
    rec = data["recommendation"]
    assert call["args"]["flavor"] == rec["flavor"]
    assert call["args"]["timeout"] == rec["timeout"]
    topics = {d["topic"]: d for d in data["decisions"]}
    assert topics["dataset format"]["choice"] == "language_modeling"
    assert topics["hub_model_id"]["choice"] == "alice/Qwen2.5-0.5B-sft-lora"  # derived from whoami
    assert data["submitted"] is False
    assert fake_hub.jobs.specs == []  # planning sends nothing
    source = script_config_literals(data["script_path"])
    assert "alice/Qwen2.5-0.5B-sft-lora" in source
    assert "why" in text_of(result) and rec["flavor"] in text_of(result)
    assert fake_hub.token not in json.dumps(data) + text_of(result)


async def test_sft_applies_the_mapping_a_question_answer_dataset_needs(client: Any) -> None:
    result = await prepare(client, dataset="acme/qa", method="sft")
    assert not result.is_error, text_of(result)
    topics = {d["topic"]: d for d in result.structured_content["decisions"]}
    mapping = topics["column_mapping"]["choice"]
    assert json.loads(mapping) == {"prompt": "question", "completion": "answer"}
    config = result.structured_content["plan"]["config"]
    assert config["dataset"]["column_mapping"] == {"prompt": "question", "completion": "answer"}


async def test_dpo_ready_and_dpo_needing_a_mapping(client: Any) -> None:
    ready = await prepare(client, dataset="acme/prefs", method="dpo")
    assert not ready.is_error, text_of(ready)
    assert ready.structured_content["plan"]["method"] == "dpo"
    assert not ready.structured_content["plan"]["config"]["dataset"].get("column_mapping")

    mapped = await prepare(client, dataset="acme/prefs-to-map", method="dpo")
    assert not mapped.is_error, text_of(mapped)
    assert mapped.structured_content["plan"]["config"]["dataset"]["column_mapping"] == {
        "prompt": "instruction",
        "chosen": "good",
        "rejected": "bad",
    }


async def test_a_given_mapping_with_unknown_columns_is_refused(client: Any) -> None:
    result = await prepare(
        client, dataset="acme/qa", method="sft", column_mapping={"prompt": "query", "completion": "answer"}
    )
    assert result.is_error
    assert "query" in text_of(result) and "question" in text_of(result)


async def test_refusals_say_what_to_change(client: Any, fake_hub: FakeHub) -> None:
    unknown = await client.call_tool(
        "prepare_training", {"model": "nobody/no-such-model", "dataset": "acme/chat"}
    )
    assert unknown.is_error and "Unknown model" in text_of(unknown)

    unusable = await prepare(client, dataset="acme/numbers", method="sft")
    assert unusable.is_error
    assert "not ready for SFT" in text_of(unusable) and "column_mapping" in text_of(unusable)
    assert "Its columns: x, y" in text_of(unusable)
    assert text_of(unusable).count("`prompt` + `completion`") == 1  # what SFT needs, said once

    fake_hub.viewer.add(
        "acme/huge",
        {"train": [r for r in fake_hub.viewer.datasets["acme/chat"].configs["default"]["train"]]},
        num_rows={"train": 50_000_000},
    )
    fake_hub.repos.add_dataset("acme/huge")
    broke = await prepare(client, dataset="acme/huge", budget_usd=1)
    assert broke.is_error and "budget" in text_of(broke)
    assert "max_rows" in text_of(broke)
    assert fake_hub.jobs.specs == []


async def test_a_read_only_token_cannot_plan_a_push(client: Any, fake_hub: FakeHub) -> None:
    fake_hub.jobs.server.inject(
        "GET",
        r"/api/whoami-v2$",
        status=200,
        times=10,
        body={
            "type": "user",
            "name": "alice",
            "orgs": [],
            "auth": {"type": "access_token", "accessToken": {"displayName": "ro", "role": "read"}},
        },
    )
    result = await prepare(client, dataset="acme/chat")
    assert result.is_error and "read-only" in text_of(result)
    assert fake_hub.token not in text_of(result)


async def test_no_token_plans_but_is_refused_for_a_submission(
    client: Any, fake_hub: FakeHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HF_TOKEN")
    plan = await prepare(client, dataset="acme/chat", hub_model_id="me/chat-sft")  # a plan sends nothing
    assert not plan.is_error, text_of(plan)
    assert "submitting (or pushing to the Hub) needs a token" in text_of(plan)
    result = await prepare(client, dataset="acme/chat", hub_model_id="me/chat-sft", submit=True)
    assert result.is_error and "pay-as-you-go" in text_of(result)
    assert not fake_hub.jobs.specs


async def test_submit_then_follow_the_job_with_hf_jobs(client: Any, fake_hub: FakeHub) -> None:
    fake_hub.jobs.queue_plan(hold=True, lines=["Starting training"], scheduling_s=0.0)
    result = await prepare(
        client, dataset="acme/qa", method="sft", hub_model_id="alice/qa-model", submit=True, detach=True
    )
    assert not result.is_error, text_of(result)
    assert len(fake_hub.jobs.specs) == 1
    spec = fake_hub.jobs.specs[0]
    data = result.structured_content
    assert spec["flavor"] == data["recommendation"]["flavor"]
    assert spec["secrets"] == {"HF_TOKEN": fake_hub.token}
    job_id = data["job"]["job_id"]
    assert data["job"]["url"].endswith(f"/jobs/alice/{job_id}")
    assert data["job"]["max_cost_usd"] > 0
    assert job_id in text_of(result)
    assert fake_hub.token not in text_of(result) + json.dumps(data)

    listed = await client.call_tool("hf_jobs", {"operation": "ps"})
    assert job_id in text_of(listed)
    fake_hub.jobs.log(job_id, "{'loss': 1.23, 'epoch': 0.1}")
    logs = await client.call_tool(
        "hf_jobs", {"operation": "logs", "args": {"job_id": job_id, "wait_seconds": 1}}
    )
    assert "'loss': 1.23" in text_of(logs)
    inspected = await client.call_tool("hf_jobs", {"operation": "inspect", "args": {"job_id": job_id}})
    assert "HF_TOKEN" in text_of(inspected) and fake_hub.token not in text_of(inspected)
    fake_hub.jobs.finish(job_id)


async def test_a_given_flavor_is_checked_for_fit_and_budget(client: Any, fake_hub: FakeHub) -> None:
    fits = await prepare(client, dataset="acme/chat", flavor="a100-large")
    assert not fits.is_error, text_of(fits)
    assert fits.structured_content["hf_jobs"]["args"]["flavor"] == "a100-large"
    assert {d["topic"]: d["reason"] for d in fits.structured_content["decisions"]}["flavor"].startswith(
        "given"
    )

    too_small = await prepare(
        client, dataset="acme/chat", flavor="t4-small", peft="full", params_b=8.0, max_length=4096
    )
    assert too_small.is_error
    assert "does not fit t4-small" in text_of(too_small) and "Leave flavor out" in text_of(too_small)

    fake_hub.viewer.add(
        "acme/big",
        {"train": fake_hub.viewer.datasets["acme/chat"].configs["default"]["train"]},
        num_rows={"train": 5_000_000},
    )
    fake_hub.repos.add_dataset("acme/big")
    over = await prepare(client, dataset="acme/big", flavor="h200", budget_usd=2)
    # the first words are the budget verdict, the cheapest fit named with its cost
    assert over.is_error and text_of(over).split(": ", 1)[1].startswith(
        "Nothing fits $2; the cheapest fit is h200"
    )
    assert "h200 is estimated at" in text_of(over)
    assert fake_hub.jobs.specs == []


async def test_planning_options_are_not_passed_on_to_the_generator(client: Any, tmp_path: Any) -> None:
    target = tmp_path / "train.py"
    result = await prepare(client, dataset="acme/chat", params_b=0.5, save_to=str(target), max_hours=5)
    assert not result.is_error, text_of(result)
    assert target.is_file() and result.structured_content["script_path"] == str(target)


async def test_every_other_prepare_argument_is_a_generator_argument(client: Any) -> None:
    from hf_train_mcp.workflow.prepare import PLANNING_OPTIONS

    schemas = {t.name: set(t.input_schema["properties"]) for t in (await client.list_tools()).tools}
    passed_on = schemas["prepare_training"] - PLANNING_OPTIONS
    assert passed_on <= schemas["generate_training_script"], passed_on - schemas["generate_training_script"]


SHAREGPT_ROWS = [
    {
        "id": f"c{i}",
        "conversations": [
            {"from": "system", "value": "Be brief."},
            {"from": "human", "value": f"What is {i}+{i}?"},
            {"from": "gpt", "value": str(2 * i)},
        ],
    }
    for i in range(8)
]


def add_sharegpt(fake_hub: FakeHub, name: str = "acme/sharegpt") -> str:
    fake_hub.viewer.add(name, {"train": SHAREGPT_ROWS}, num_rows={"train": 2000})
    fake_hub.repos.add_dataset(name)
    return name


async def test_sft_on_sharegpt_maps_the_conversations_and_converts_them(
    client: Any, fake_hub: FakeHub
) -> None:
    result = await prepare(client, dataset=add_sharegpt(fake_hub), method="sft")
    assert not result.is_error, text_of(result)
    data = result.structured_content
    topics = {d["topic"]: d for d in data["decisions"]}
    assert json.loads(topics["column_mapping"]["choice"]) == {"messages": "conversations"}
    assert topics["dataset_conversion"]["choice"] == "sharegpt"
    assert "human/gpt" in topics["dataset_conversion"]["reason"]
    dataset = data["plan"]["config"]["dataset"]
    assert dataset["column_mapping"] == {"messages": "conversations"}
    assert dataset["conversion"] == "sharegpt"
    checks = {c["name"]: c["status"] for c in data["checks"]}
    assert checks["dataset_conversion"] == "pass" and checks["dataset_format"] == "pass"
    source = script_config_literals(data["script_path"])
    assert "'conversion': 'sharegpt'" in source and "'messages': 'conversations'" in source


async def test_a_given_mapping_onto_sharegpt_turns_gets_the_conversion(
    client: Any, fake_hub: FakeHub
) -> None:
    result = await prepare(
        client, dataset=add_sharegpt(fake_hub), column_mapping={"messages": "conversations"}
    )
    assert not result.is_error, text_of(result)
    topics = {d["topic"]: d for d in result.structured_content["decisions"]}
    assert topics["column_mapping"]["reason"] == "given"
    assert topics["dataset_conversion"]["choice"] == "sharegpt"
    assert result.structured_content["plan"]["config"]["dataset"]["conversion"] == "sharegpt"


async def test_sharegpt_with_dpo_is_refused_with_the_fix(client: Any, fake_hub: FakeHub) -> None:
    name = add_sharegpt(fake_hub)
    inferred = await prepare(client, dataset=name, method="dpo")
    assert inferred.is_error and "not ready for DPO" in text_of(inferred)
    forced = await prepare(
        client,
        dataset=name,
        method="dpo",
        dataset_conversion="sharegpt",
        column_mapping={"chosen": "conversations"},
    )
    assert forced.is_error
    assert "dataset_conversion" in text_of(forced) and "method='sft'" in text_of(forced)
    assert fake_hub.jobs.specs == []
