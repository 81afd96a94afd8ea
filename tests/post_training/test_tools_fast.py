"""The after-training tools' arguments, refusals and rendered scripts (fast: nothing runs)."""

from __future__ import annotations

import ast
import base64
import io
import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from hf_train_mcp.app import build_server
from hf_train_mcp.post_training.loss_curve import parse_log, render_png
from hf_train_mcp.post_training.pins import converter_source, post_pins
from hf_train_mcp.training.render import extract_config, training_pins
from mcp import Client

pytestmark = pytest.mark.anyio
TOOLS = ("export_model", "evaluate_model", "create_demo_space", "training_loss_curve")
ROOT = Path(__file__).resolve().parents[2]


async def call(name: str, arguments: dict):
    async with Client(build_server()) as client:
        return await client.call_tool(name, arguments)


def header_dependencies(script: str) -> list[str]:
    block = script.split("# /// script\n", 1)[1].split("# ///\n", 1)[0]
    return tomllib.loads("".join(line[2:] + "\n" for line in block.splitlines()))["dependencies"]


async def test_tools_are_listed_with_a_first_line_and_defaults():
    async with Client(build_server()) as client:
        listed = {t.name: t for t in (await client.list_tools()).tools}
    for name in TOOLS:
        tool = listed[name]
        description = " ".join(tool.description.split())
        assert 20 < len(description) <= 300 and description.endswith("."), (name, description)
        required = set(tool.input_schema.get("required", []))
        for arg, schema in tool.input_schema["properties"].items():
            assert schema.get("description"), (name, arg)
            # a default is stated: in the schema, in the text, or it is "none" (the parameter left out)
            stated = "default" in schema or "default" in schema["description"].lower()
            assert (
                arg in required
                or stated
                or arg in ("advanced", "dataset", "tasks", "job_id", "namespace", "log_path")
            ), (name, arg)


async def test_export_script_is_pinned_and_its_config_round_trips(tmp_path):
    result = await call("export_model", {"model": "alice/qwen-sft-lora", "save_to": str(tmp_path)})
    assert not result.is_error, result.content[0].text
    data = result.structured_content
    config = data["config"]
    assert (
        config["merged_repo"] == "alice/qwen-sft-lora-merged"
        and config["gguf_repo"] == "alice/qwen-sft-lora-GGUF"
    )
    assert config["gguf_types"] == ["q8_0", "Q4_K_M"] and config["converter"] == converter_source()
    script = Path(data["script_path"]).read_text()
    assert Path(data["script_path"]).parent == tmp_path and extract_config(script) == config
    deps = header_dependencies(script)
    pins = {**training_pins(), **post_pins()}
    for name in ("torch", "transformers", "peft", "gguf", "llama-cpp-python"):
        assert f"{name}=={pins[name]}" in deps
    assert data["hf_jobs"] == {
        "operation": "uv",
        "args": {"script": data["script_path"], "flavor": "cpu-upgrade", "timeout": "2h",
                 "secrets": {"HF_TOKEN": "$HF_TOKEN"}},
    }  # fmt: skip
    assert data["hf_jobs_inline"]["args"]["script"] == script
    # No k-quant, no llama.cpp build.
    plain = await call("export_model", {"model": "alice/qwen-sft-lora", "gguf_types": ["f16", "Q8_0"]})
    deps = header_dependencies(plain.structured_content["script"])
    assert plain.structured_content["config"]["gguf_types"] == ["f16", "q8_0"]
    assert not any(d.startswith("llama-cpp-python") for d in deps) and any(
        d.startswith("gguf==") for d in deps
    )


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ({"model": "/tmp/adapter"}, "cannot read it"),
        ({"model": "alice/x", "gguf_types": ["q4_0_4_8"]}, "Q4_K_M"),
        ({"model": "alice/x", "push": False}, "discard"),
        ({"model": "alice/x", "flavor": "h100-huge"}, "cpu-upgrade"),
        ({"model": "alice/x", "timeout": "soon"}, "'90m'"),
        ({"model": "alice/x", "merged_repo": "no-namespace"}, "your-username"),
    ],
)
async def test_export_refusals_say_what_to_send(args, expected):
    result = await call("export_model", args)
    assert result.is_error and expected in result.content[0].text, result.content[0].text
    assert "Traceback" not in result.content[0].text


async def test_evaluation_needs_something_to_evaluate_and_pins_lm_eval_only_for_tasks():
    none = await call("evaluate_model", {"model": "alice/x"})
    assert none.is_error and "tasks" in none.content[0].text
    tasks = await call("evaluate_model", {"model": "alice/x", "tasks": ["arc_easy"], "task_limit": 50})
    data = tasks.structured_content
    assert data["config"]["card_repo"] == "alice/x" and data["config"]["compare_base"] is True
    assert f"lm-eval=={post_pins()['lm-eval']}" in header_dependencies(data["script"])
    held = await call("evaluate_model", {"model": "alice/x", "dataset": "alice/data", "write_card": False})
    assert held.structured_content["config"]["card_repo"] is None
    assert not any(d.startswith("lm-eval") for d in header_dependencies(held.structured_content["script"]))


def test_job_modules_are_scripts_without_future_imports():
    for module in ("merge_export", "evaluate", "space_app"):
        source = (ROOT / "server/hf_train_mcp/post_training/jobs" / f"{module}.py").read_text()
        tree = ast.parse(source)
        assert not any(isinstance(n, ast.ImportFrom) and n.module == "__future__" for n in tree.body)
        assert 'globals().get("CONFIG")' in source


def test_the_test_environment_has_the_versions_the_jobs_pin():
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]["test"]
    pinned = dict(e.split("==") for e in extras if "==" in e)
    for name in ("gguf", "sentencepiece", "gradio", "lm-eval"):
        assert pinned[name] == post_pins()[name], name


LOG = """\
[hf-train] starting
{'loss': '2.5', 'grad_norm': '1.2', 'learning_rate': '0.0002', 'epoch': '0.25'}
  3%|#    | 1/4 [00:01<00:03]{'loss': 2.1, 'learning_rate': 0.00015, 'epoch': 0.5}
{'eval_loss': '2.2', 'eval_runtime': '0.1', 'epoch': '0.5'}
{'loss': 'nan', 'epoch': 0.6}
{'loss': '1.7', 'learning_rate': '0.0001', 'epoch': '0.75'}
{not a dict 'loss': }
{'train_runtime': '3.2', 'train_loss': '2.1', 'epoch': '1'}
HF_TRAIN_SUMMARY {"final_loss": 1.7, "steps": 4}
"""


def test_parse_log_reads_trainer_dicts_eval_and_summary():
    curve = parse_log(LOG)
    assert [p["loss"] for p in curve.train] == [2.5, 2.1, 1.7]  # nan and junk skipped
    assert [p["x"] for p in curve.train] == [0.25, 0.5, 0.75]
    assert curve.train[0]["learning_rate"] == 0.0002 and curve.eval == [{"x": 0.5, "eval_loss": 2.2}]
    assert curve.summary == {"final_loss": 1.7, "steps": 4}


def test_render_png_decodes():
    from PIL import Image

    png = render_png(parse_log(LOG), "test run")
    image = Image.open(io.BytesIO(png))
    image.load()
    assert image.format == "PNG" and image.size == (700, 400)


async def test_loss_curve_from_a_file_and_its_refusals(tmp_path):
    log = tmp_path / "run.log"
    log.write_text(LOG)
    result = await call("training_loss_curve", {"log_path": str(log)})
    assert not result.is_error
    image = result.content[1]
    assert base64.b64decode(image.data)[:8] == b"\x89PNG\r\n\x1a\n"
    assert result.structured_content["points"] == 3 and "2.5000 -> 1.7000" in result.content[0].text
    both = await call("training_loss_curve", {"log_path": str(log), "job_id": "x"})
    assert both.is_error and "exactly one" in both.content[0].text
    nothing = tmp_path / "empty.log"
    nothing.write_text("hello\n")
    empty = await call("training_loss_curve", {"log_path": str(nothing)})
    assert not empty.is_error and len(empty.content) == 1 and "No `{'loss'" in empty.content[0].text


def test_the_server_does_not_import_plotting_or_ui_libraries():
    code = (
        "import sys; from hf_train_mcp.app import build_server; build_server(); "
        "heavy = ('matplotlib', 'gradio', 'gguf', 'PIL', 'torch'); "
        "print(json.dumps(sorted(m for m in heavy if m in sys.modules)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", "import json; " + code], capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == []


def test_trackio_is_on_by_default_where_its_metrics_survive():
    from hf_train_mcp.post_training import trackio_settings

    cloud = trackio_settings(
        trackio=None, space_id=None, hub_model_id="me/run", flavor="a10g-large", project="run"
    )
    assert cloud["trackio"] is True and cloud["trackio_space_id"] == "me/trackio"
    assert cloud["dashboard"].endswith("/spaces/me/trackio?project=run")
    local = trackio_settings(trackio=None, space_id=None, hub_model_id=None, flavor="local", project="run")
    assert local["trackio"] is False and "training_loss_curve" in local["note"]
    asked = trackio_settings(trackio=True, space_id=None, hub_model_id=None, flavor="local", project="run")
    assert asked["trackio"] is True and asked["dashboard"] is None and "trackio show" in asked["note"]
    lost = trackio_settings(trackio=None, space_id=None, hub_model_id=None, flavor="l4x1", project="run")
    assert lost["trackio"] is False
    off = trackio_settings(
        trackio=False, space_id="me/tr", hub_model_id="me/run", flavor="l4x1", project="run"
    )
    assert off["trackio"] is False


def test_next_steps_after_training_name_real_tools_with_valid_arguments():
    from hf_train_mcp.post_training import next_steps_after_training, next_steps_markdown

    steps = next_steps_after_training("job123", "me/run")
    assert [s["tool"] for s in steps] == [
        "training_loss_curve",
        "evaluate_model",
        "export_model",
        "create_demo_space",
    ]
    assert next_steps_after_training(None, None) == [] and next_steps_markdown([]) == ""
    assert 'training_loss_curve` {"job_id": "job123"}' in next_steps_markdown(steps)


@pytest.mark.parametrize("tool", ["evaluate_model", "export_model"])
async def test_suggested_job_steps_render(tool):
    from hf_train_mcp.post_training import next_steps_after_training

    step = next(s for s in next_steps_after_training("job123", "me/run") if s["tool"] == tool)
    result = await call(tool, step["args"])
    assert not result.is_error, result.content[0].text
