"""create_demo_space through the MCP tool against the Hub double, then the Space's own app.py — downloaded
from the double — builds its Gradio interface and answers a chat turn with the tiny trained adapter."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from doubles.full_hub import full_hub
from hf_train_mcp.app import build_server
from hf_train_mcp.post_training.pins import post_pins
from mcp import Client
from post_training.conftest import Trained, run_python
from training.helpers import script_env

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

APP_CHECK = """
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("space_app", sys.argv[1])
app = importlib.util.module_from_spec(spec)
spec.loader.exec_module(app)
import gradio as gr
demo = app.build_demo(app.CONFIG)
assert isinstance(demo, gr.ChatInterface), type(demo)
reply = demo.fn("what is the capital of france", [])
print(json.dumps({"reply": reply, "model": app.CONFIG["model"], "base": app.CONFIG["base_model"]}))
"""


def files_of(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}


async def test_a_space_is_created_and_its_app_builds_and_chats(trained: Trained, tmp_path, monkeypatch):
    with full_hub(monkeypatch) as hub:
        user = hub.jobs.user
        hub.repos.add_user(user, hub.token)
        adapter = files_of(trained.adapter)
        config = json.loads(adapter["adapter_config.json"])
        config["base_model_name_or_path"] = f"{user}/tiny-base"  # as a pushed adapter names its Hub base
        adapter["adapter_config.json"] = json.dumps(config).encode()
        adapter.pop("chat_template.jinja")  # the app must find the template through the base
        hub.repos.add(f"{user}/tiny-base", "model", files=files_of(trained.base))
        hub.repos.add(f"{user}/tiny-lora", "model", files=adapter)

        async with Client(build_server()) as client:
            result = await client.call_tool(
                "create_demo_space", {"model": f"{user}/tiny-lora", "hardware": "t4-small", "temperature": 0}
            )
        assert not result.is_error, result.content[0].text
        data = result.structured_content
        space = hub.repos.get("space", f"{user}/tiny-lora-demo")
        assert space is not None and {"app.py", "requirements.txt", "README.md"} <= set(space.files)
        from hf_train_mcp.hardware.api import flavor_info

        price = flavor_info("t4-small").price_per_hour
        assert data["price_per_hour"] == price and f"${price:.2f}/hour" in result.content[0].text
        front = yaml.safe_load(space.files["README.md"].decode().split("---")[1])
        assert front["sdk"] == "gradio" and front["sdk_version"] == post_pins()["gradio"]
        assert front["suggested_hardware"] == "t4-small"
        assert front["models"] == [f"{user}/tiny-lora", f"{user}/tiny-base"]
        requirements = space.files["requirements.txt"].decode().split()
        assert any(r.startswith("peft==") for r in requirements) and any(
            r.startswith("torch==") for r in requirements
        )
        assert data["config"]["chat_template"] == (trained.base / "chat_template.jinja").read_text()

        app = tmp_path / "app.py"
        app.write_bytes(space.files["app.py"])
        env = {
            **script_env(),
            "HF_ENDPOINT": hub.jobs.server.url,
            "HF_TOKEN": hub.token,
            "HF_HOME": str(tmp_path / "hf"),
            "GRADIO_ANALYTICS_ENABLED": "False",
        }
        out = json.loads(run_python(APP_CHECK, str(app), cwd=tmp_path, env=env).strip().splitlines()[-1])
    assert out["model"] == f"{user}/tiny-lora" and out["base"] == f"{user}/tiny-base"
    assert isinstance(out["reply"], str)


async def test_a_space_needs_a_hub_model_and_a_known_hardware(monkeypatch):
    with full_hub(monkeypatch):
        async with Client(build_server()) as client:
            local = await client.call_tool("create_demo_space", {"model": "/tmp/my-adapter"})
            odd = await client.call_tool("create_demo_space", {"model": "a/b", "hardware": "gpu-9000"})
    assert local.is_error and "Hub" in local.content[0].text
    assert odd.is_error and "t4-small" in odd.content[0].text
