"""An installed wheel, not only the checkout, serves the templates and the skills."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def installed_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(work),
            str(REPO),
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
    )
    wheel = next(work.glob("hf_train_mcp-*.whl"))
    site = work / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(site), str(wheel)],
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return site


@pytest.mark.slow
def test_wheel_serves_templates_and_skills_from_inside_the_package(installed_wheel: Path) -> None:
    probe = """
import json, anyio
from mcp import Client
import hf_train_mcp
from hf_train_mcp.resources import templates_dir, skills_dir
from hf_train_mcp.app import build_server

async def resources():
    async with Client(build_server()) as c:
        listed = await c.list_resources()
        first = await c.read_resource(listed.resources[0].uri)
        return [str(r.uri) for r in listed.resources], first.contents[0].text

uris, text = anyio.run(resources)
print(json.dumps({"package": hf_train_mcp.__file__, "templates": str(templates_dir()),
                  "template_files": sorted(p.name for p in templates_dir().iterdir()),
                  "skills": str(skills_dir()), "uris": uris, "first": text[:3]}))
"""
    env = {**os.environ, "PYTHONPATH": str(installed_wheel)}
    out = subprocess.run(
        [sys.executable, "-c", probe],
        env=env,
        cwd=installed_wheel,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    found = json.loads(out.stdout.strip().splitlines()[-1])
    assert found["package"].startswith(str(installed_wheel)), (
        "the probe must import the wheel, not the checkout"
    )
    assert found["templates"].startswith(str(installed_wheel))
    assert found["skills"].startswith(str(installed_wheel))
    shipped = sorted(p.name for p in (REPO / "script_templates").iterdir() if not p.name.startswith("."))
    assert shipped and found["template_files"] == shipped
    skill_names = sorted(p.name for p in (REPO / "skills").iterdir() if (p / "SKILL.md").is_file())
    assert sorted(u.removeprefix("skill://") for u in found["uris"] if u.count("/") == 2) == skill_names
    assert found["first"] == "---"
