"""One source of truth for training arguments, seen through `tools/list` as an agent sees it.

Every training argument that more than one tool takes has the same description, default and bounds in each
tool's input schema; every request field is reachable through the generator and prepare_training; and the
default a description states is the request model's default.
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any

import pytest
from hf_train_mcp.app import build_server
from hf_train_mcp.training.requests import REQUEST_MODELS, default
from mcp import Client

pytestmark = pytest.mark.anyio

TRAINING_ARGUMENTS = {name for model in REQUEST_MODELS.values() for name in model.model_fields} | {"save_to"}
DETECTED_BY_PREPARE = {"dataset_columns"}  # prepare_training reads them from the dataset itself
# The hardware tool sizes more than the generator trains: `method` also takes grpo/inference, `model` is
# optional there (params_b instead), its `flavor` prices a flavor and `max_completion_length` also sizes
# inference. Same name, another argument: compared between the training tools only.
HARDWARE_WIDER = {"method", "model", "flavor", "max_completion_length"}
HARDWARE_TOOLS = {"recommend_hardware"}
# The tools that take a training run's arguments. validate_training_script / dry_run_training_script take
# options about a script under test (a rehearsal's max_steps is at most 50, its model a local folder).
TRAINING_TOOLS = {"generate_training_script", "prepare_training", *HARDWARE_TOOLS}


async def listed_schemas() -> dict[str, dict[str, Any]]:
    async with Client(build_server()) as client:
        tools = (await client.list_tools()).tools
    return {t.name: t.input_schema for t in tools}


async def every_argument(tool: str, args: dict[str, Any] | None = None) -> dict[str, dict[str, Any]]:
    """What a tool takes, as an agent can learn it: the published parameters (schema) and the keys of its
    `advanced` object ({"help": true}: description only)."""
    async with Client(build_server()) as client:
        schema = next(t.input_schema for t in (await client.list_tools()).tools if t.name == tool)
        helped = await client.call_tool(tool, {**(args or {}), "advanced": {"help": True}})
    found = {name: prop for name, prop in schema["properties"].items() if name != "advanced"}
    for row in helped.structured_content["advanced"]:
        found.setdefault(row["key"], {"description": row["description"]})
    return found


TOOL_ARGS = {
    "generate_training_script": {"model": "m", "dataset": "d"},
    "prepare_training": {"model": "m", "dataset": "d"},
}


def without_title(schema: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in schema.items() if k != "title"}


async def test_a_shared_training_argument_has_one_schema_in_every_tool() -> None:
    seen: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    for tool in sorted(TRAINING_TOOLS):
        for name, prop in (await every_argument(tool, TOOL_ARGS.get(tool))).items():
            if name in TRAINING_ARGUMENTS and not (name in HARDWARE_WIDER and tool in HARDWARE_TOOLS):
                seen[name][tool] = without_title(prop)
    shared = {name: tools for name, tools in seen.items() if len(tools) > 1}
    # The generator and prepare_training share nearly all; the hardware tool shares the plan settings.
    assert {"max_length", "peft", "packing", "gradient_checkpointing"} <= {
        n for n, tools in shared.items() if "recommend_hardware" in tools
    }
    assert len(shared) >= 10, sorted(shared)
    for name, tools in shared.items():
        first_tool, first = next(iter(tools.items()))
        for tool, prop in tools.items():
            # Where both publish a schema it is the same; where one lists it under `advanced` (a help line,
            # description only) the meaning is.
            if len(prop) > 1 and len(first) > 1:
                assert prop == first, f"{name}: {tool} says {prop}, {first_tool} says {first}"
            assert prop["description"] == first["description"], f"{name}: {tool} vs {first_tool}"


def reachable(arguments: dict[str, Any]) -> set[str]:
    return set(arguments) - {"help"}


async def test_every_request_field_is_reachable_through_the_generator_and_prepare() -> None:
    from hf_train_mcp.training.advanced import NOT_OFFERED

    generator = reachable(
        await every_argument("generate_training_script", TOOL_ARGS["generate_training_script"])
    )
    prepare = reachable(await every_argument("prepare_training", TOOL_ARGS["prepare_training"]))
    fields = TRAINING_ARGUMENTS - NOT_OFFERED
    assert fields <= generator, sorted(fields - generator)
    assert fields - DETECTED_BY_PREPARE <= prepare, sorted(fields - DETECTED_BY_PREPARE - prepare)
    once_unreachable = {
        "attn_implementation",
        "weight_decay",
        "gradient_checkpointing",
        "run_name",
        "trackio_project",
        "completion_only_loss",
    }
    assert once_unreachable <= generator & prepare


async def test_a_stated_default_is_the_request_models_default() -> None:
    """A default a schema or a description states ('Default 1024') and the request model's cannot drift."""
    schemas = await listed_schemas()
    required = set(schemas["generate_training_script"]["required"])
    props = await every_argument("generate_training_script", TOOL_ARGS["generate_training_script"])
    checked = 0
    for name, prop in props.items():
        if name not in TRAINING_ARGUMENTS - {"save_to"} or name in required:
            continue
        value = default(name)
        if "default" in prop:
            assert prop["default"] == value, (name, prop["default"], value)
            checked += 1
            continue
        stated = re.search(r"default:? (?P<value>.+?)(?:\.\s|\.$|;|\(|$)", prop["description"], re.IGNORECASE)
        if value is None or value == {}:
            continue
        assert stated, (name, prop["description"])
        shown = stated.group("value").strip().strip("'")
        expected = {True: "true", False: "false"}.get(value, value) if isinstance(value, bool) else value
        if isinstance(expected, float):
            assert float(shown) == expected, (name, shown, expected)
        else:
            assert shown == str(expected), (name, shown, expected)
        checked += 1
    assert checked >= 20
