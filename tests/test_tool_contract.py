"""The tool list as a client receives it: every tool titled, annotated truthfully, with an output schema
that its answers validate against (checked here with jsonschema on top of the SDK's own check)."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest
from hf_train_mcp.app import build_server
from mcp import Client

pytestmark = pytest.mark.anyio

READ_ONLY = {"validate_training_script", "recommend_hardware", "inspect_dataset", "training_loss_curve"}
# What a client assumes for a hint a tool leaves out (MCP's ToolAnnotations defaults).
MCP_DEFAULTS = {
    "read_only_hint": False,
    "destructive_hint": True,
    "idempotent_hint": False,
    "open_world_hint": True,
}


def hint(tool: Any, name: str) -> bool:
    value = getattr(tool.annotations, name)
    return MCP_DEFAULTS[name] if value is None else value


async def listed() -> dict[str, Any]:
    async with Client(build_server()) as client:
        return {t.name: t for t in (await client.list_tools()).tools}


async def test_every_tool_is_titled_annotated_and_declares_its_output() -> None:
    tools = await listed()
    for name, tool in tools.items():
        assert tool.title, name
        assert tool.output_schema and tool.output_schema["type"] == "object", name
        lines = (tool.description or "").splitlines()
        assert not [line for line in lines if line.startswith(" ")], f"{name}: indented description"
        assert tool.annotations is not None
        # stated, not left to defaults: whether a tool only reads, and (if not) whether it destroys
        assert tool.annotations.read_only_hint is (name in READ_ONLY), name
        if name not in READ_ONLY:
            assert tool.annotations.destructive_hint is (name == "hf_jobs"), name
    jobs = tools["hf_jobs"]
    assert (
        hint(jobs, "destructive_hint") and hint(jobs, "open_world_hint") and not hint(jobs, "idempotent_hint")
    )
    assert "spend money" in jobs.description
    prepare = tools["prepare_training"]
    assert hint(prepare, "open_world_hint") and not hint(prepare, "idempotent_hint")
    assert not hint(tools["export_model"], "open_world_hint") and hint(
        tools["export_model"], "idempotent_hint"
    )


async def test_advanced_settings_are_documented_and_checked(tmp_path: Any) -> None:
    async with Client(build_server()) as client:
        helped = await client.call_tool(
            "generate_training_script", {"model": "m", "dataset": "d", "advanced": {"help": True}}
        )
        wrong = await client.call_tool(
            "generate_training_script", {"model": "m", "dataset": "d", "advanced": {"lora_rank": 8}}
        )
    keys = {row["key"] for row in helped.structured_content["advanced"]}
    assert {"lora_r", "seed", "trackio", "packing"} <= keys
    assert wrong.is_error and "lora_r" in wrong.content[0].text


async def test_answers_validate_against_the_published_output_schemas(tmp_path: Any) -> None:
    data = tmp_path / "rows.jsonl"
    data.write_text("".join(json.dumps({"prompt": f"q{i}", "completion": f"a{i}"}) + "\n" for i in range(5)))
    calls = [
        ("hf_jobs", {}),
        ("hf_jobs", {"operation": "run", "args": {"help": True}}),
        ("hf_jobs", {"operation": "hardware"}),
        ("recommend_hardware", {"params_b": 0.5}),
        ("recommend_hardware", {"flavor": "a10g-large", "hours": 2}),
        ("recommend_hardware", {"advanced": {"help": True}}),
        ("export_model", {"model": "acme/m", "advanced": {"help": True}}),
        ("validate_training_script", {"script": "print('hi')\n"}),
        ("inspect_dataset", {"dataset": str(data)}),
        ("generate_training_script", {"model": "m", "dataset": "d", "advanced": {"help": True}}),
        ("prepare_training", {"model": "m", "dataset": "d", "advanced": {"help": True}}),
    ]
    async with Client(build_server()) as client:
        schemas = {t.name: t.output_schema for t in (await client.list_tools()).tools}
        checked = set()
        for name, args in calls:
            result = await client.call_tool(name, args)
            if result.is_error and result.structured_content is None:
                continue
            jsonschema.validate(result.structured_content, schemas[name])
            checked.add(name)
    assert len(checked) >= 7, checked


async def test_hf_jobs_args_name_every_key_of_every_operation() -> None:
    from hf_train_mcp.jobs.args import OPERATIONS

    tools = await listed()
    schema = tools["hf_jobs"].input_schema
    assert schema["properties"]["operation"]["enum"] == list(OPERATIONS)
    args = schema["properties"]["args"]
    groups = dict(
        part.split(": ", 1) for part in args["description"].split("; by operation: ")[1].split("; ")
    )
    for op, model in OPERATIONS.items():
        for name in model.model_fields:
            assert name in args["properties"], (op, name)
            owners = [g for g, keys in groups.items() if name in keys.split(", ")]
            assert len(owners) == 1, (op, name, owners)
            tag, plain = owners[0], op.removeprefix("scheduled ")
            assert tag == "all" or plain in tag, (op, name, tag)
            assert op.startswith("scheduled ") == ("scheduled " in tag) or tag == "all" or "," in tag, (
                op,
                tag,
            )
    assert args["properties"]["timeout"]["type"] == ["string", "integer", "number"]


async def test_grouped_parameters_are_listed_by_help_and_accepted_in_both_places() -> None:
    """A parameter published inside `advanced` is the same parameter: help lists it with its meaning,
    it works inside `advanced` and at the top level, and a typo is refused with the keys."""
    async with Client(build_server()) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
        assert "max_length" not in tools["recommend_hardware"].input_schema["properties"]
        helped = await client.call_tool("recommend_hardware", {"advanced": {"help": True}})
        rows = {row["key"]: row["description"] for row in helped.structured_content["advanced"]}
        assert {"max_length", "epochs", "dataset_tokens", "sharding"} <= set(rows) and "model" not in rows
        plan = {"params_b": 7, "dataset_examples": 1000}
        nested = await client.call_tool("recommend_hardware", {**plan, "advanced": {"max_length": 8192}})
        top = await client.call_tool("recommend_hardware", {**plan, "max_length": 8192})
        short = await client.call_tool("recommend_hardware", plan)
        typo = await client.call_tool("recommend_hardware", {**plan, "advanced": {"max_len": 8192}})
        clash = await client.call_tool(
            "recommend_hardware", {**plan, "max_length": 4096, "advanced": {"max_length": 8192}}
        )
    assert nested.structured_content == top.structured_content != short.structured_content
    assert typo.is_error and "`max_len` (did you mean `max_length`?)" in typo.content[0].text
    assert clash.is_error and "max_length" in clash.content[0].text


async def test_both_kinds_of_advanced_refuse_a_key_the_same_way() -> None:
    """The training tools' request-derived `advanced` and a grouped tool's `advanced` share one refusal:
    the closest key, a top-level parameter sent inside `advanced` named as such, and every valid key only
    for a key with no likely meaning (the training tools have dozens)."""
    training = {"model": "gpt2", "dataset": "org/data"}
    async with Client(build_server()) as client:
        answers = {
            "training typo": await client.call_tool(
                "generate_training_script", {**training, "advanced": {"lora_rr": 8}}
            ),
            "grouped typo": await client.call_tool(
                "recommend_hardware", {"params_b": 7, "advanced": {"max_len": 8192}}
            ),
            "training top-level": await client.call_tool(
                "generate_training_script", {**training, "advanced": {"method": "dpo"}}
            ),
            "grouped top-level": await client.call_tool(
                "recommend_hardware", {"params_b": 7, "advanced": {"method": "dpo"}}
            ),
            "training unknown": await client.call_tool(
                "generate_training_script", {**training, "advanced": {"qqq": 1}}
            ),
            "grouped unknown": await client.call_tool(
                "recommend_hardware", {"params_b": 7, "advanced": {"qqq": 1}}
            ),
        }
    texts = {case: answer.content[0].text for case, answer in answers.items()}
    assert all(answer.is_error for answer in answers.values()), texts
    assert texts["training typo"].endswith(
        ': `advanced` has no setting `lora_rr` (did you mean `lora_r`?); {"help": true} describes every key.'
    )
    assert texts["grouped typo"].endswith(
        ": `advanced` has no setting `max_len` (did you mean `max_length`?); "
        '{"help": true} describes every key.'
    )
    assert "send method at the top level" in texts["training top-level"]
    assert "send method at the top level" in texts["grouped top-level"]
    for case in ("training top-level", "grouped top-level"):
        assert "Its keys" not in texts[case], texts[case]
    for case, other in (("training unknown", "lora_alpha"), ("grouped unknown", "max_length")):
        assert ": `advanced` has no setting `qqq`. Its keys: " in texts[case]
        assert f"{other}," in texts[case] and texts[case].endswith('{"help": true} describes them.')


async def test_schema_and_description_state_the_same_bound() -> None:
    """`rows` is published inside `advanced`: its help line states the bound the validation enforces."""
    async with Client(build_server()) as client:
        helped = await client.call_tool("inspect_dataset", {"dataset": "d", "advanced": {"help": True}})
        over = await client.call_tool("inspect_dataset", {"dataset": "d", "advanced": {"rows": 21}})
    from hf_train_mcp.published import GROUPS

    bound = GROUPS["inspect_dataset"].full_schema["properties"]["rows"]["maximum"]  # type: ignore[index]
    rows = {row["key"]: row["description"] for row in helped.structured_content["advanced"]}
    assert f"0-{bound}" in rows["rows"]
    assert over.is_error and "rows" in over.content[0].text and str(bound) in over.content[0].text


async def test_the_tool_list_stays_within_its_budget() -> None:
    """The list every conversation pays for, measured as benchmarks/tool_list.py measures it (issue 15:
    at most 12 KB, output schemas included): a new parameter or a longer description must fit."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "benchmarks" / "tool_list.py"
    spec = importlib.util.spec_from_file_location("tool_list_benchmark", path)
    assert spec is not None and spec.loader is not None
    benchmark = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(benchmark)
    measured = await benchmark.measure()
    assert measured["total"] <= benchmark.TARGET_BYTES, measured["tools"]
    assert len(measured["tools"]) == 11
