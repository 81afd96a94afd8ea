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

READ_ONLY = {
    "validate_training_script",
    "recommend_hardware",
    "estimate_cost",
    "inspect_dataset",
    "training_loss_curve",
}


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
        assert tool.annotations.read_only_hint is (name in READ_ONLY), name
    jobs = tools["hf_jobs"].annotations
    assert jobs.destructive_hint and jobs.open_world_hint and not jobs.idempotent_hint
    assert "destructive" in tools["hf_jobs"].description
    prepare = tools["prepare_training"].annotations
    assert prepare.open_world_hint and not prepare.idempotent_hint


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
        ("estimate_cost", {"flavor": "a10g-large", "hours": 2}),
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

    schema = (await listed())["hf_jobs"].input_schema["properties"]["args"]
    props = schema["properties"]
    for op, model in OPERATIONS.items():
        for name in model.model_fields:
            assert name in props, (op, name)
            tag = props[name]["description"].split("]")[0]
            plain = op.removeprefix("scheduled ")
            assert tag == "[all" or plain in tag, (op, name, tag)
    assert props["limit"]["maximum"] == OPERATIONS["ps"].model_fields["limit"].metadata[-1].le


async def test_schema_and_description_state_the_same_bound() -> None:
    rows = (await listed())["inspect_dataset"].input_schema["properties"]["rows"]
    assert f"0-{rows['maximum']}" in rows["description"]
