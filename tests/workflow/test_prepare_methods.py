"""prepare_training for GRPO, KTO and reward modelling through the MCP client against the Hub doubles:
from intent to a ready hf_jobs call, and the refusals (with their fixes) of what cannot work."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from doubles.full_hub import MODEL, FakeHub

pytestmark = pytest.mark.anyio

MATH_ROWS = [
    {"problem": f"What is {a} + {b}?", "answer": str(a + b), "source": "synthetic"}
    for a, b in [(1, 2), (3, 4), (10, 5), (7, 8)]
]
PROMPT_ROWS = [{"prompt": f"Write a haiku about {topic}."} for topic in ("rain", "snow", "sun")]
KTO_ROWS = [
    {"question": f"Is {x} even?", "response": "yes" if x % 2 == 0 else "no", "desirable": True}
    for x in range(4)
] + [{"question": "Is 3 even?", "response": "yes", "desirable": False}]


def add_dataset(hub: FakeHub, name: str, rows: list[dict[str, Any]]) -> None:
    hub.viewer.add(name, {"train": rows}, num_rows={"train": 2000})
    hub.repos.add_dataset(name)


async def prepare(client: Any, **arguments: Any) -> Any:
    return await client.call_tool("prepare_training", {"model": MODEL, **arguments})


def text_of(result: Any) -> str:
    return "\n".join(getattr(block, "text", "") for block in result.content)


async def test_grpo_on_math_problems_maps_prompt_and_solution(client: Any, fake_hub: FakeHub) -> None:
    add_dataset(fake_hub, "acme/math", MATH_ROWS)
    result = await prepare(
        client, dataset="acme/math", method="grpo", reward_funcs=["accuracy", "think_format"]
    )
    assert not result.is_error, text_of(result)
    data = result.structured_content
    config = data["plan"]["config"]
    assert config["method"] == "grpo"
    assert config["dataset"]["column_mapping"] == {"prompt": "problem", "solution": "answer"}
    assert [r["name"] for r in config["rewards"]] == ["accuracy", "think_format"]
    assert config["num_generations"] == 4 and config["max_completion_length"] == 256
    call = data["hf_jobs"]
    assert call["operation"] == "uv" and call["args"]["secrets"] == {"HF_TOKEN": "$HF_TOKEN"}
    assert call["args"]["flavor"] == data["recommendation"]["flavor"]
    assert data["recommendation"]["est_hours"] is not None
    source = Path(data["script_path"]).read_text()
    assert '"math-verify==' in source  # the accuracy reward's parser is pinned
    topics = {d["topic"]: d for d in data["decisions"]}
    assert json.loads(topics["column_mapping"]["choice"]) == {"prompt": "problem", "solution": "answer"}
    assert "accuracy" in topics["column_mapping"]["reason"]
    assert fake_hub.jobs.specs == []


async def test_grpo_refuses_an_accuracy_reward_without_answers(client: Any, fake_hub: FakeHub) -> None:
    add_dataset(fake_hub, "acme/haiku", PROMPT_ROWS)
    refused = await prepare(client, dataset="acme/haiku", method="grpo", reward_funcs=["accuracy"])
    assert refused.is_error
    message = text_of(refused)
    assert "'solution'" in message and "column_mapping" in message and "think_format" in message

    # Rewards that need no answer are fine on the same prompts.
    ok = await prepare(client, dataset="acme/haiku", method="grpo", reward_funcs=["think_format"])
    assert not ok.is_error, text_of(ok)
    assert ok.structured_content["plan"]["config"]["rewards"] == [{"name": "think_format", "kwargs": {}}]


async def test_grpo_refuses_num_generations_that_do_not_divide_the_batch(
    client: Any, fake_hub: FakeHub
) -> None:
    add_dataset(fake_hub, "acme/math", MATH_ROWS)
    refused = await prepare(
        client, dataset="acme/math", method="grpo", reward_funcs=["think_format"], num_generations=3
    )
    assert refused.is_error
    message = text_of(refused)
    assert "num_generations=3 does not divide the generation batch 8" in message
    assert "[2, 4, 8]" in message


async def test_grpo_refuses_vllm_with_the_reason(client: Any, fake_hub: FakeHub) -> None:
    add_dataset(fake_hub, "acme/math", MATH_ROWS)
    refused = await prepare(
        client, dataset="acme/math", method="grpo", reward_funcs=["think_format"], use_vllm=True
    )
    assert refused.is_error and "does not include vllm" in text_of(refused)


async def test_kto_maps_unpaired_labels_and_is_ready(client: Any, fake_hub: FakeHub) -> None:
    add_dataset(fake_hub, "acme/kto", KTO_ROWS)
    result = await prepare(client, dataset="acme/kto", method="kto")
    assert not result.is_error, text_of(result)
    data = result.structured_content
    config = data["plan"]["config"]
    assert config["dataset"]["column_mapping"] == {
        "prompt": "question",
        "completion": "response",
        "label": "desirable",
    }
    assert config["loss_type"] == "kto" and config["beta"] == 0.1
    assert data["hf_jobs"]["args"]["flavor"] == data["recommendation"]["flavor"]
    assert data["hf_jobs"]["args"]["timeout"] == data["recommendation"]["timeout"]

    paired = await prepare(client, dataset="acme/prefs", method="kto")  # TRL unpairs preference pairs
    assert not paired.is_error, text_of(paired)


async def test_kto_and_reward_refuse_data_in_the_wrong_format(client: Any) -> None:
    for method, name in (("kto", "KTO"), ("reward", "REWARD")):
        refused = await prepare(client, dataset="acme/numbers", method=method)
        assert refused.is_error
        assert f"not ready for {name}" in text_of(refused) and "column_mapping" in text_of(refused)


async def test_reward_model_on_preference_pairs(client: Any) -> None:
    result = await prepare(client, dataset="acme/prefs-to-map", method="reward")
    assert not result.is_error, text_of(result)
    data = result.structured_content
    assert data["plan"]["method"] == "reward"
    assert data["plan"]["config"]["dataset"]["column_mapping"] == {
        "prompt": "instruction",
        "chosen": "good",
        "rejected": "bad",
    }
    assert "RewardTrainer" in Path(data["script_path"]).read_text()


async def test_grpo_with_a_reward_model_checks_that_it_exists(client: Any, fake_hub: FakeHub) -> None:
    add_dataset(fake_hub, "acme/haiku", PROMPT_ROWS)
    missing = await prepare(client, dataset="acme/haiku", method="grpo", reward_model="nobody/no-scorer")
    assert missing.is_error and "nobody/no-scorer" in text_of(missing)

    result = await prepare(client, dataset="acme/haiku", method="grpo", reward_model=MODEL)
    assert not result.is_error, text_of(result)
    config = result.structured_content["plan"]["config"]
    assert config["reward_model"] == MODEL and config["rewards"] == []  # no built-in reward by default then
    checks = {c["name"]: c for c in result.structured_content["checks"]}
    assert "not in the memory estimate" in checks["reward_model"]["message"]
