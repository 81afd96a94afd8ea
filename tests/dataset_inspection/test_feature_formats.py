"""inspect_dataset reads the dataset viewer's feature JSON in every shape `datasets` has written: the
`List` type of datasets >= 4, the `Sequence` type of 2.x-3.x and the legacy `[{...}]` list of structs."""

from __future__ import annotations

from typing import Any

import pytest
from doubles.dataset_viewer import FEATURE_STYLES
from hf_train_mcp.app import build_server
from mcp import Client

pytestmark = pytest.mark.anyio

MSGS = [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}]
SHAREGPT = [{"from": "human", "value": "Hi"}, {"from": "gpt", "value": "Hello!"}]


async def inspect(dataset: str) -> dict[str, Any]:
    async with Client(build_server()) as client:
        result = await client.call_tool("inspect_dataset", {"dataset": dataset})
    assert not result.is_error, result.content[0].text
    return result.structured_content


@pytest.mark.parametrize("style", FEATURE_STYLES)
async def test_chat_columns_in_every_feature_style(fake_hub, style: str) -> None:
    fake_hub.viewer.add(
        "org/chat", {"train": [{"messages": MSGS, "tags": ["a", "b"], "n": 1}] * 4}, feature_style=style
    )
    data = await inspect("org/chat")
    types = {c["name"]: c["type"] for c in data["columns"]}
    assert types == {"messages": "list[{role, content}]", "tags": "list[string]", "n": "int64"}
    assert data["format"]["conversational"] and "sft" in data["ready_for"]


@pytest.mark.parametrize("style", FEATURE_STYLES)
async def test_preference_chat_columns_in_every_feature_style(fake_hub, style: str) -> None:
    fake_hub.viewer.add("org/pref", {"train": [{"chosen": MSGS, "rejected": MSGS}] * 4}, feature_style=style)
    data = await inspect("org/pref")
    assert data["format"]["kind"] == "implicit_preference" and "dpo" in data["ready_for"]


@pytest.mark.parametrize("style", FEATURE_STYLES)
async def test_sharegpt_columns_in_every_feature_style(fake_hub, style: str) -> None:
    fake_hub.viewer.add("org/sg", {"train": [{"conversations": SHAREGPT}] * 4}, feature_style=style)
    data = await inspect("org/sg")
    assert {c["name"]: c["type"] for c in data["columns"]} == {"conversations": "list[{from, value}]"}


def test_the_styles_really_differ() -> None:
    from doubles.dataset_viewer import feature_of

    shapes = {style: feature_of(MSGS, style) for style in FEATURE_STYLES}
    assert shapes["legacy"] == [
        {"role": {"dtype": "string", "_type": "Value"}, "content": {"dtype": "string", "_type": "Value"}}
    ]
    assert shapes["sequence"]["_type"] == "Sequence" and shapes["list"]["_type"] == "List"
