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
from hf_train_mcp.training.arguments import REQUEST_MODELS, default
from mcp import Client

pytestmark = pytest.mark.anyio

TRAINING_ARGUMENTS = {name for model in REQUEST_MODELS.values() for name in model.model_fields} | {"save_to"}
DETECTED_BY_PREPARE = {"dataset_columns"}  # prepare_training reads them from the dataset itself
# The hardware tools size more than the generator trains: `method` also takes grpo/inference, `model` is
# optional there (params_b instead), estimate_cost requires its `flavor` and `max_completion_length` also
# sizes inference. Same name, another argument: compared between the training tools only.
HARDWARE_WIDER = {"method", "model", "flavor", "max_completion_length"}
HARDWARE_TOOLS = {"recommend_hardware", "estimate_cost"}
# The tools that take a training run's arguments. validate_training_script / dry_run_training_script take
# options about a script under test (a rehearsal's max_steps is at most 50, its model a local folder).
TRAINING_TOOLS = {"generate_training_script", "prepare_training", *HARDWARE_TOOLS}


async def listed_schemas() -> dict[str, dict[str, Any]]:
    async with Client(build_server()) as client:
        tools = (await client.list_tools()).tools
    return {t.name: t.input_schema for t in tools}


def without_title(schema: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in schema.items() if k != "title"}


async def test_a_shared_training_argument_has_one_schema_in_every_tool() -> None:
    schemas = await listed_schemas()
    seen: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    for tool, schema in schemas.items():
        if tool not in TRAINING_TOOLS:
            continue
        for name, prop in schema["properties"].items():
            if name in TRAINING_ARGUMENTS and not (name in HARDWARE_WIDER and tool in HARDWARE_TOOLS):
                seen[name][tool] = without_title(prop)
    shared = {name: tools for name, tools in seen.items() if len(tools) > 1}
    # The generator and prepare_training share nearly all; the hardware tools share the plan settings.
    assert {"max_length", "peft", "packing", "gradient_checkpointing"} <= {
        n for n, tools in shared.items() if "recommend_hardware" in tools and "estimate_cost" in tools
    }
    assert len(shared) >= 10, sorted(shared)
    # The rarely used settings are one `advanced` object, derived from the request models, in both tools.
    assert {"advanced"} <= set(schemas["generate_training_script"]["properties"]) & set(
        schemas["prepare_training"]["properties"]
    )
    for name, tools in shared.items():
        first_tool, first = next(iter(tools.items()))
        for tool, prop in tools.items():
            assert prop == first, f"{name}: {tool} says {prop}, {first_tool} says {first}"


def reachable(schema: dict[str, Any]) -> set[str]:
    """Parameters plus the keys of the `advanced` object."""
    props = schema["properties"]
    return set(props) | set(props["advanced"]["propertyNames"]["enum"]) - {"help"}


async def test_every_request_field_is_reachable_through_the_generator_and_prepare() -> None:
    from hf_train_mcp.training.advanced import NOT_OFFERED

    schemas = await listed_schemas()
    generator = reachable(schemas["generate_training_script"])
    prepare = reachable(schemas["prepare_training"])
    fields = TRAINING_ARGUMENTS - {"save_to"} - NOT_OFFERED
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
    """'Default 1024' in a description and the request model's 1024 cannot drift apart."""
    schemas = await listed_schemas()
    props = dict(schemas["generate_training_script"]["properties"])
    required = set(schemas["generate_training_script"]["required"])
    # The `advanced` keys: their meaning and default as the tool itself tells them ({"help": true}).
    async with Client(build_server()) as client:
        helped = await client.call_tool(
            "generate_training_script", {"model": "m", "dataset": "d", "advanced": {"help": True}}
        )
    for row in helped.structured_content["advanced"]:
        props.setdefault(row["key"], {"description": row["description"]})
    checked = 0
    for name, prop in props.items():
        if name not in TRAINING_ARGUMENTS - {"save_to"} or name in required:
            continue
        value = default(name)
        stated = re.search(r"Default:? (?P<value>.+?)(?:\.\s|\.$|;|\(|$)", prop["description"])
        assert stated, (name, prop["description"])
        if value is None or value == {}:
            continue
        shown = stated.group("value").strip().strip("'")
        expected = {True: "true", False: "false"}.get(value, value) if isinstance(value, bool) else value
        if isinstance(expected, float):
            assert float(shown) == expected, (name, shown, expected)
        else:
            assert shown == str(expected), (name, shown, expected)
        if "default" in prop and prop["default"] is not None:
            assert prop["default"] == value, (name, prop["default"], value)
        checked += 1
    assert checked >= 20
