"""recommend_hardware (a recommendation, or one flavor priced) through a real in-process MCP client."""

from __future__ import annotations

from typing import Any

import pytest
from hf_train_mcp.hardware import tool
from hf_train_mcp.hardware.api import TrainingPlan
from mcp import Client
from mcp.server.mcpserver import MCPServer

pytestmark = pytest.mark.anyio


def server() -> MCPServer:
    s = MCPServer("hardware-test")
    tool.register(s)
    return s


async def call(name: str, args: dict[str, Any]) -> Any:
    async with Client(server()) as client:
        return await client.call_tool(name, args)


async def test_tools_are_listed_read_only_with_schemas() -> None:
    async with Client(server()) as client:
        listed = {t.name: t for t in (await client.list_tools()).tools}
    rec = listed["recommend_hardware"]
    props = rec.input_schema["properties"]
    for arg in (
        "model",
        "params_b",
        "method",
        "peft",
        "max_length",
        "batch_size",
        "dataset_examples",
        "dataset_tokens",
        "epochs",
        "budget_usd",
        "max_hours",
    ):
        assert arg in props, arg
    assert rec.annotations.read_only_hint is True
    assert list(listed) == ["recommend_hardware"]  # pricing a flavor is the same tool (`flavor`)
    first = rec.description.strip()
    assert 20 < len(first) <= 400 and first.endswith("."), first
    for arg, schema in rec.input_schema["properties"].items():
        assert schema.get("description"), arg


async def test_recommend_hardware_structured_and_text() -> None:
    result = await call(
        "recommend_hardware",
        {"model": "meta-llama/Llama-3.1-8B-Instruct", "peft": "lora", "dataset_tokens": 10_000_000},
    )
    assert not result.is_error
    data = result.structured_content
    rec = data["recommended"]
    for key in ("flavor", "gpus", "vram_gb", "price_per_hour", "est_hours", "est_cost_usd", "timeout"):
        assert rec[key] is not None, key
    memory = data["memory"]
    for key in ("total_gb", "weights_gb", "adapters_gb", "activations_gb", "logits_gb", "cuda_overhead_gb"):
        assert key in memory
    assert memory["total_gb"] <= rec["fit_limit_gb"]
    alternatives = data["alternatives"]
    assert alternatives and all(a["fits"] for a in alternatives)
    assert data["notes"] and "bundled" in data["catalog"]
    text = result.content[0].text
    assert f"Recommended: `{rec['flavor']}`" in text
    assert "| flavor |" in text and "Memory per GPU" in text and rec["timeout"] in text


async def test_recommend_hardware_without_dataset_size() -> None:
    result = await call("recommend_hardware", {"params_b": 1.5, "peft": "full"})
    assert not result.is_error
    rec = result.structured_content["recommended"]
    assert rec["est_hours"] is None and rec["timeout"]
    assert "dataset_examples or dataset_tokens" in result.content[0].text


async def test_recommend_hardware_nothing_fits_is_an_error_with_the_fix() -> None:
    result = await call("recommend_hardware", {"model": "meta-llama/Llama-3.1-70B", "peft": "full"})
    assert result.is_error
    text = result.content[0].text
    assert "No Jobs flavor fits" in text and "qlora" in text


async def test_recommend_hardware_unknown_model_offline() -> None:
    result = await call("recommend_hardware", {"model": "someone/private-model"})
    assert result.is_error
    assert "params_b" in result.content[0].text and "local path" in result.content[0].text


async def test_a_flavor_priced_simple() -> None:
    result = await call("recommend_hardware", {"flavor": "a10g-large", "minutes": 95})
    assert not result.is_error
    data = result.structured_content
    assert data["billed_minutes"] == 95 and data["cost_usd"] == pytest.approx(2.38)
    assert data["timeout"] == "2.5h"
    hours = await call("recommend_hardware", {"flavor": "h200x2", "hours": 1.5})
    assert hours.structured_content["cost_usd"] == pytest.approx(15.0)
    assert "$15.00" in hours.content[0].text


async def test_a_flavor_priced_for_a_plan() -> None:
    result = await call(
        "recommend_hardware",
        {"flavor": "a100-large", "model": "Qwen/Qwen2.5-7B", "peft": "lora", "dataset_examples": 5000},
    )
    assert not result.is_error
    data = result.structured_content
    assert data["fits"] is True and data["est_hours"] > 0 and data["est_cost_usd"] > 0
    assert data["timeout_seconds"] >= 1.3 * data["est_hours"] * 3600
    assert "fits" in result.content[0].text


async def test_a_flavor_priced_plan_that_does_not_fit() -> None:
    result = await call(
        "recommend_hardware",
        {"flavor": "t4-small", "model": "meta-llama/Llama-3.1-8B", "peft": "full", "dataset_tokens": 1000},
    )
    assert not result.is_error
    assert result.structured_content["fits"] is False
    assert "does NOT fit" in result.content[0].text


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        ({"flavor": "a100-huge", "hours": 1}, "Did you mean 'a100-large'"),
        ({"flavor": "a10g-large"}, "give either hours"),
        ({"hours": 2}, "add flavor"),
        ({"flavor": "a10g-large", "hours": 1, "minutes": 5}, "not both"),
        ({"flavor": "a10g-large", "model": "nobody/nothing"}, "params_b"),
    ],
)
async def test_a_flavor_priced_errors(args: dict[str, Any], needle: str) -> None:
    result = await call("recommend_hardware", args)
    assert result.is_error
    assert needle in result.content[0].text


async def test_invalid_arguments_are_rejected_by_the_schema() -> None:
    result = await call("recommend_hardware", {"params_b": 1, "peft": "half"})
    assert result.is_error


async def test_over_budget_the_first_line_says_nothing_fits_and_no_recommended() -> None:
    args = {"model": "meta-llama/Llama-3.1-8B-Instruct", "dataset_tokens": 50_000_000}
    priced = await call("recommend_hardware", args)
    cheapest = priced.structured_content["recommended"]
    cost = cheapest["est_cost_usd"]
    assert cost > 1
    result = await call("recommend_hardware", {**args, "budget_usd": 1})
    assert not result.is_error
    first = result.content[0].text.splitlines()[0]
    assert first.startswith(f"**Nothing fits $1; the cheapest fit is {cheapest['flavor']} at ${cost:,.2f}")
    assert "Recommended" not in first
    data = result.structured_content
    assert data["within_budget"] is False and data["recommended"] is None
    assert data["cheapest_fit"]["flavor"] == cheapest["flavor"]
    assert data["budget"]["headline"].startswith("nothing fits $1;")


async def test_within_budget_the_pick_leads() -> None:
    args = {"model": "Qwen/Qwen2.5-0.5B", "dataset_tokens": 1_000_000, "budget_usd": 100}
    result = await call("recommend_hardware", args)
    assert result.content[0].text.startswith("**Recommended: ")
    assert result.structured_content["within_budget"] is True
    assert result.structured_content["recommended"]["headroom_gb"] > 0


async def test_budget_without_a_dataset_size_is_said_unchecked() -> None:
    result = await call("recommend_hardware", {"model": "Qwen/Qwen2.5-0.5B", "budget_usd": 5})
    first = result.content[0].text.splitlines()[0]
    assert first.startswith("**Budget $5 not checked")
    assert result.structured_content["within_budget"] is None


def test_estimate_answer_with_a_budget_leads_with_over_budget() -> None:
    from hf_train_mcp.hardware import api

    rec = api.estimate(
        api.TrainingPlan(model="meta-llama/Llama-3.1-8B-Instruct", dataset_tokens=50_000_000), "l40sx1"
    )
    answer = tool.estimate_answer(rec, budget_usd=1)
    assert answer.markdown.startswith(
        f"**Over budget: `l40sx1` costs about ${rec.est_cost_usd:,.2f}, more than $1"
    )
    assert answer.data["within_budget"] is False
    assert tool.estimate_answer(rec).data["within_budget"] is None


PLAN_ARGS: dict[str, Any] = {  # every plan parameter of the tools, none at its default
    "model": "Qwen/Qwen2.5-7B",
    "params_b": 7.5,
    "method": "grpo",
    "peft": "full",
    "max_length": 1024,
    "batch_size": 2,
    "dataset_examples": 1000,
    "dataset_tokens": 900_000,
    "epochs": 2.0,
    "packing": True,
    "gradient_checkpointing": False,
    "gradient_accumulation": 4,
    "sharding": "fsdp",
    "max_completion_length": 128,
}


@pytest.mark.parametrize(
    ("name", "model_function", "extra"),
    [("recommend_hardware", "recommend", {}), ("recommend_hardware", "estimate", {"flavor": "h200x2"})],
)
async def test_every_plan_argument_reaches_the_hardware_model(
    monkeypatch, name, model_function, extra
) -> None:
    """The tools pass their arguments to the plan by name: none may be dropped or renamed on the way."""
    real = getattr(tool, model_function)
    seen: list[Any] = []

    def spy(plan: Any, *args: Any, **kwargs: Any) -> Any:
        seen.append(plan)
        return real(plan, *args, **kwargs)

    monkeypatch.setattr(tool, model_function, spy)
    await call(name, {**PLAN_ARGS, **extra})
    assert seen and seen[0] == TrainingPlan(**PLAN_ARGS)
    tool_params = set((await _schema(name))["properties"])
    assert set(PLAN_ARGS) == tool_params & tool.PLAN_FIELDS


async def _schema(name: str) -> dict[str, Any]:
    async with Client(server()) as client:
        return {t.name: t for t in (await client.list_tools()).tools}[name].input_schema


@pytest.mark.parametrize(
    "args",
    [
        {"model": "Qwen/Qwen2.5-0.5B", "dataset_tokens": 1_000_000},
        {"flavor": "a10g-large", "hours": 2},
        {"flavor": "l4x1", "model": "Qwen/Qwen2.5-0.5B", "dataset_tokens": 1_000_000},
    ],
)
async def test_an_unreachable_hub_is_said_in_words_and_the_bundled_prices_are_used(
    monkeypatch: pytest.MonkeyPatch, args: dict[str, Any]
) -> None:
    """The Hub's hardware list cannot be fetched: the price line says so in a sentence, no exception text."""
    from hf_train_mcp.hardware import catalog

    dead = "http://127.0.0.1:9"  # a closed port: the connection is refused at once
    monkeypatch.setenv("HF_ENDPOINT", dead)
    result = await call("recommend_hardware", args)
    assert not result.is_error
    text = result.content[0].text
    as_of = catalog._bundled()["as_of"]
    said = (
        f"bundled table dated {as_of}; the Hub's live hardware list is unavailable (the Hub at {dead} could "
        "not be reached), so flavors and prices may be out of date: check the network and HF_ENDPOINT (the "
        "list is asked for again after 5 minutes)"
    )
    assert f"- prices: {said}" in text.splitlines()
    assert result.structured_content["catalog"] == said
    for raw in ("Error", "Errno", "Exception", "Traceback", "refused"):
        assert raw not in text and raw not in str(result.structured_content), raw
    if "hours" in args:  # the bundled price, billed per minute
        bundled = catalog.bundled_flavors()["a10g-large"].price_per_hour
        assert result.structured_content["cost_usd"] == round(2 * bundled, 2)
