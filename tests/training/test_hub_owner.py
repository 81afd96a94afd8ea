"""validate_training_script knows where the token may push (issue 12): a Hub id in a namespace that is
neither the token's user nor one of its orgs is flagged, through the real client against the Hub double."""

from __future__ import annotations

import pytest
from doubles.jobs_api import hub_double
from hf_train_mcp.app import build_server
from mcp import Client

pytestmark = pytest.mark.anyio

SCRIPT = """\
# /// script
# dependencies = ["trl==1.16.0"]
# ///
from trl import SFTConfig

config = SFTConfig(output_dir="out", push_to_hub=True, hub_model_id="{repo}")
"""


async def hub_id_checks(repo: str) -> list[dict]:
    async with Client(build_server()) as client:
        result = await client.call_tool("validate_training_script", {"script": SCRIPT.format(repo=repo)})
    assert not result.is_error, result.content[0].text
    return [c for c in result.structured_content["checks"] if c["name"].startswith("hub_id")]


async def test_a_namespace_the_token_does_not_own_is_flagged(monkeypatch: pytest.MonkeyPatch) -> None:
    with hub_double(monkeypatch) as state:
        assert state.user == "alice" and "acme" in state.orgs
        [check] = await hub_id_checks("bob/model")
        assert check["status"] == "warn" and "'bob'" in check["message"] and "403" in check["message"]
        assert "acme/model" in check["fix"] or "alice/model" in check["fix"]
        assert await hub_id_checks("alice/model") == []  # the user's own
        assert await hub_id_checks("acme/model") == []  # one of its orgs


async def test_without_a_token_the_owner_is_not_checked() -> None:
    assert await hub_id_checks("bob/model") == []
