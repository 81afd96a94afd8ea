"""The skills: well-formed, generated tables in step with the code, served over MCP, and naming only
tools that exist."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hf_train_mcp.app import build_server
from hf_train_mcp.resources import skills_dir
from hf_train_mcp.skillbook.catalog import list_skills, parse_front_matter
from hf_train_mcp.skillbook.generate import render_file, stale_files
from hf_train_mcp.skillbook.sections import SECTIONS

pytestmark = pytest.mark.anyio
EXPECTED = {"hf-jobs-fine-tuning", "hf-jobs-hardware", "hf-jobs-management"}


def test_each_skill_has_front_matter_matching_its_folder() -> None:
    skills = list_skills()
    assert {s.name for s in skills} >= EXPECTED
    for skill in skills:
        assert skill.folder.name == skill.name
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", skill.name)
        assert 40 < len(skill.description) <= 1024  # the SKILL.md format's limit
        assert "Use when" in skill.description  # says when an agent should load it


def test_generated_blocks_are_up_to_date() -> None:
    stale = stale_files()
    assert not stale, f"run `python -m hf_train_mcp.skillbook.generate`; stale: {stale}"


def test_every_section_is_used_and_drift_is_detected(tmp_path: Any) -> None:
    text = "\n".join(p.read_text() for p in skills_dir().rglob("*.md"))
    for name in SECTIONS:
        assert f"<!-- generated:{name} -->" in text, f"section {name} is never used"
    skill = tmp_path / "demo" / "SKILL.md"
    skill.parent.mkdir()
    skill.write_text(
        "---\nname: demo\ndescription: d\n---\n<!-- generated:flavors -->\nold\n<!-- /generated:flavors -->\n"
    )
    assert stale_files(tmp_path) == [skill]
    stale_files(tmp_path, write=True)
    assert stale_files(tmp_path) == []
    assert "`a100-large`" in skill.read_text() and "old" not in skill.read_text()


def test_an_unknown_block_is_an_error() -> None:
    with pytest.raises(KeyError, match="unknown generated block"):
        render_file("<!-- generated:nope -->\n<!-- /generated:nope -->")


def test_front_matter_parser_refuses_a_file_without_it() -> None:
    with pytest.raises(ValueError):
        parse_front_matter("# no front matter")


def test_flavor_table_reflects_the_catalog_prices() -> None:
    from hf_train_mcp.hardware.api import bundled_flavors

    table = SECTIONS["flavors"]()
    for flavor in bundled_flavors().values():
        assert f"`{flavor.name}`" in table
        assert f"${flavor.price_per_hour:.2f}" in table


async def test_skills_are_served_as_resources_and_name_only_real_tools() -> None:
    from mcp import Client

    async with Client(build_server()) as client:
        tools = {t.name for t in (await client.list_tools()).tools}
        listed = {str(r.uri): r for r in (await client.list_resources()).resources}
        for skill in list_skills():
            assert skill.uri in listed
            served = (await client.read_resource(skill.uri)).contents[0].text
            assert served == skill.path.read_text()
            called = set(re.findall(r"\b([a-z]+(?:_[a-z]+)+) \{", served))
            assert called <= tools, f"{skill.name} calls unknown tools: {called - tools}"
        prompts = {p.name for p in (await client.list_prompts()).prompts}
        assert {"fine_tune", "choose_hardware", "check_jobs", "troubleshoot_job"} <= prompts
        got = await client.get_prompt(
            "fine_tune", {"model": "Qwen/Qwen2.5-0.5B", "dataset": "trl-lib/Capybara", "budget_usd": "10"}
        )
        text = got.messages[0].content.text
        assert "Qwen/Qwen2.5-0.5B" in text and "trl-lib/Capybara" in text and "$10" in text
        assert "prepare_training" in text and "prepare_training" in tools
