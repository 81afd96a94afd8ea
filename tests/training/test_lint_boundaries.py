"""validate_training_script and generate_training_script through the MCP client, at the edges of their rules:
a T4 script that leaves bf16 to TRL's default while saying fp16=False, and the 30-minute timeout warning."""

from __future__ import annotations

from typing import Any

import pytest
from hf_train_mcp.app import build_server
from mcp import Client
from training.helpers import GOOD_SFT_BODY, PINNED_HEADER

pytestmark = pytest.mark.anyio


def script(precision: str) -> str:
    """The lint's good SFT script in float16 weights, with `precision` as its only precision settings."""
    return (
        (PINNED_HEADER + GOOD_SFT_BODY)
        .replace("    bf16=True,\n", "")
        .replace("max_length=1024,", "max_length=1024," + precision)
        .replace('"dtype": "bfloat16"', '"dtype": "float16"')
    )


async def checks(tool: str, args: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    async with Client(build_server()) as client:
        result = await client.call_tool(tool, args)
    data = result.structured_content or {}
    found: dict[str, list[dict[str, Any]]] = {}
    for check in data.get("checks") or []:
        found.setdefault(check["name"], []).append(check)
    assert found, result.content[0].text
    return found


async def validate(text: str, **kwargs: Any) -> dict[str, list[dict[str, Any]]]:
    return await checks(
        "validate_training_script",
        {"script": text, "secrets": {"HF_TOKEN": "$HF_TOKEN"}, "timeout": "2h", **kwargs},
    )


# -- the T4 rule: TRL's configs turn bf16 on unless fp16 is set; fp16=False is not set ----------------------
@pytest.mark.parametrize(
    "precision", ["", "\n    fp16=False,", "\n    bf16=True,", "\n    bf16=True, fp16=False,"]
)
async def test_a_t4_script_that_ends_up_in_bf16_is_flagged_slow(precision: str) -> None:
    found = await validate(script(precision), flavor="t4-small")
    [bf16] = found["bf16"]
    assert bf16["status"] == "warn" and "slow on a T4" in bf16["message"] and "fp16=True" in bf16["fix"]


@pytest.mark.parametrize(
    "precision", ["\n    fp16=True,", "\n    fp16=True, bf16=False,", "\n    bf16=False,"]
)
async def test_a_t4_script_in_fp16_or_fp32_is_not_flagged(precision: str) -> None:
    assert "bf16" not in await validate(script(precision), flavor="t4-small")


async def test_the_same_script_on_an_ampere_gpu_is_not_flagged() -> None:
    assert "bf16" not in await validate(script("\n    fp16=False,"), flavor="a10g-large")


# -- the 30-minute boundary: the Jobs default kills most training runs ------------------------------------
@pytest.mark.parametrize(
    ("timeout", "status"),
    [("30m", "warn"), ("1800", "warn"), ("29m", "warn"), ("31m", "pass"), ("1801", "pass"), ("2h", "pass")],
)
async def test_validate_warns_up_to_thirty_minutes(timeout: str, status: str) -> None:
    found = await validate(script("\n    fp16=True,"), timeout=timeout)
    assert [c["status"] for c in found["timeout"]] == [status]


@pytest.mark.parametrize(("timeout", "warned"), [("30m", True), (1800, True), ("31m", False), (1801, False)])
async def test_generate_warns_up_to_thirty_minutes_when_nothing_is_estimated(timeout, warned) -> None:
    found = await checks(
        "generate_training_script",
        {
            "model": "Qwen/Qwen2.5-0.5B",
            "dataset": "trl-lib/Capybara",
            "flavor": "local",
            "timeout": timeout,
            "hub_model_id": "me/run",
        },
    )
    statuses = [c["status"] for c in found.get("timeout", [])]
    assert ("warn" in statuses) is warned, found.get("timeout")
