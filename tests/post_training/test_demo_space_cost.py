"""create_demo_space on paid hardware asks the person to approve the hourly cost first (where the client can
ask), creates nothing on a decline, and sets a sleep time so an idle Space stops billing; the free
hardware asks nothing. Through an MCP client, the real huggingface_hub client and the Hub double."""

from __future__ import annotations

from typing import Any

import pytest
from doubles.full_hub import full_hub
from elicitation import asking
from hf_train_mcp.app import build_server
from mcp import Client

pytestmark = pytest.mark.anyio


def model_repo(hub: Any) -> str:
    user = hub.jobs.user
    hub.repos.add_user(user, hub.token)
    hub.repos.add(f"{user}/chat-model", "model", files={"config.json": "{}", "tokenizer_config.json": "{}"})
    return f"{user}/chat-model"


@pytest.mark.parametrize("action", ["accept", "decline"])
async def test_paid_space_hardware_is_approved_first(monkeypatch: Any, action: str) -> None:
    from hf_train_mcp.hardware.api import flavor_info

    with full_hub(monkeypatch) as hub:
        model = model_repo(hub)
        questions: list[str] = []
        async with Client(build_server(), elicitation_callback=asking(action, questions)) as client:
            result = await client.call_tool(
                "create_demo_space", {"model": model, "hardware": "t4-small", "sleep_minutes": 30}
            )
        space = hub.repos.get("space", f"{model}-demo")
    price = flavor_info("t4-small").price_per_hour
    assert questions == [
        f"Create a Space on `t4-small` at ${price:.2f}/h, billed while it runs "
        "(it sleeps after 30 min without visitors)?"
    ]
    if action == "accept":
        assert not result.is_error, result.content[0].text
        assert space is not None
        assert space.space_settings == {"sdk": "gradio", "hardware": "t4-small", "sleepTimeSeconds": 1800}
        assert result.structured_content["sleep_minutes"] == 30
    else:
        assert result.is_error and "nothing was created" in result.content[0].text
        assert space is None


async def test_free_hardware_asks_nothing_and_sets_no_sleep_time(monkeypatch: Any) -> None:
    with full_hub(monkeypatch) as hub:
        model = model_repo(hub)
        questions: list[str] = []
        async with Client(build_server(), elicitation_callback=asking("decline", questions)) as client:
            result = await client.call_tool("create_demo_space", {"model": model})
        space = hub.repos.get("space", f"{model}-demo")
    assert not result.is_error and questions == []
    assert space is not None and space.space_settings == {"sdk": "gradio"}
    assert result.structured_content["price_per_hour"] == 0.0
