"""The training tools through a real in-process MCP client, as an agent calls them."""

from __future__ import annotations

from pathlib import Path

import pytest
from hf_train_mcp.app import build_server
from hf_train_mcp.training import parse_summary
from mcp import Client

pytestmark = pytest.mark.anyio
TOOLS = ("generate_training_script", "validate_training_script", "dry_run_training_script")


async def call(name: str, arguments: dict):
    async with Client(build_server()) as client:
        return await client.call_tool(name, arguments)


async def test_tools_are_listed_with_a_first_line_and_defaults():
    async with Client(build_server()) as client:
        listed = {t.name: t for t in (await client.list_tools()).tools}
    for name in TOOLS:
        tool = listed[name]
        description = " ".join(tool.description.split())
        assert 20 < len(description) <= 300 and description.endswith("."), description
        for arg, schema in tool.input_schema["properties"].items():
            assert schema.get("description"), (name, arg)  # defaults: test_argument_schemas.py
    assert set(listed["generate_training_script"].input_schema["required"]) == {"model", "dataset"}


async def test_generate_returns_script_checks_and_the_hf_jobs_call(tmp_path):
    target = tmp_path / "scripts" / "train.py"
    result = await call(
        "generate_training_script",
        {
            "method": "dpo",
            "peft": "lora",
            "model": "Qwen/Qwen2.5-0.5B",
            "dataset": "trl-lib/ultrafeedback_binarized",
            "hub_model_id": "me/qwen-dpo",
            "flavor": "l4x1",
            "timeout": "3h",
            "column_mapping": {"prompt": "instruction", "chosen": "good", "rejected": "bad"},
            "save_to": str(target),
        },
    )
    assert not result.is_error, result.content[0].text
    data = result.structured_content
    assert data["ok"] is True and target.read_text() == data["script"]
    assert data["script_path"] == str(target) and Path(data["saved_paths"][0]).is_file()
    assert data["hf_jobs"] == {
        "operation": "uv",
        "args": {
            "script": str(target),
            "flavor": "l4x1",
            "timeout": "3h",
            "secrets": {"HF_TOKEN": "$HF_TOKEN"},
        },
    }
    assert data["hf_jobs_inline"]["args"]["script"] == data["script"]
    names = {c["name"] for c in data["checks"]}
    assert {
        "dtype",
        "attention",
        "eval",
        "push_to_hub",
        "script.compile",
        "script.pep723",
        "script.keywords",
    } <= names
    assert all(c["status"] != "fail" for c in data["checks"])
    text = result.content[0].text
    assert '"operation": "uv"' in text and "dry_run_training_script" in text and str(target) in text
    # trackio on by default for a pushed cloud run: the live dashboard's address is in the answer
    config = data["plan"]["config"]
    assert config["trackio"] is True and config["trackio_space_id"] == "me/trackio"
    assert "Live metrics (trackio): " in text and "/spaces/me/trackio?project=qwen-dpo" in text


async def test_generate_refuses_a_run_that_would_fail_and_says_how_to_fix_it():
    result = await call(
        "generate_training_script",
        {
            "method": "sft",
            "model": "m/x",
            "dataset": "d/x",
            "flavor": "t4-small",
            "dtype": "bfloat16",
            "eval_strategy": "steps",
        },
    )
    assert result.is_error
    text = result.content[0].text
    assert "nothing was generated" in text
    for words in ("bfloat16", "eval_split", "hub_model_id="):
        assert words in text


async def test_generate_refuses_malformed_arguments():
    result = await call(
        "generate_training_script",
        {"method": "sft", "model": "m/x", "dataset": "d/x", "hub_model_id": "me/x'); import os", "beta": 0.3},
    )
    assert result.is_error
    text = result.content[0].text
    assert "hub_model_id" in text and "beta applies to method 'dpo' and 'kto' only" in text


async def test_generate_without_a_flavor_submits_what_the_hardware_model_recommends():
    from hf_train_mcp.hardware.api import recommend
    from hf_train_mcp.training.requests import hardware_plan, parse_request
    from hf_train_mcp.training.resolve import job_timeout

    request = {"model": "Qwen/Qwen2.5-0.5B", "dataset": "trl-lib/Capybara", "hub_model_id": "me/x"}
    rec = recommend(hardware_plan(parse_request({"method": "sft", **request})))
    result = await call(
        "generate_training_script",
        {
            "method": "sft",
            "model": "Qwen/Qwen2.5-0.5B",
            "dataset": "trl-lib/Capybara",
            "hub_model_id": "me/x",
        },
    )
    assert not result.is_error, result.content[0].text
    args = result.structured_content["hf_jobs"]["args"]
    assert (args["flavor"], args["timeout"]) == (rec.flavor, job_timeout(rec.timeout_seconds))


async def test_a_local_run_may_keep_its_model_on_disk(tmp_path):
    result = await call(
        "generate_training_script",
        {
            "method": "sft",
            "model": "m/x",
            "dataset": "d/x",
            "flavor": "local",
            "push_to_hub": False,
            "output_dir": str(tmp_path / "out"),
            "logging_steps": 1,
            "eval_steps": 5,
        },
    )
    assert not result.is_error, result.content[0].text
    data = result.structured_content
    assert "secrets" not in data["hf_jobs"]["args"] and data["plan"]["config"]["logging_steps"] == 1
    push = [c for c in data["checks"] if c["name"] == "script.push_to_hub"]
    assert push[0]["status"] == "info"
    again = await call("validate_training_script", {"script": data["script"], "flavor": "local"})
    assert again.structured_content["ok"] is True
    elsewhere = await call("validate_training_script", {"script": data["script"], "flavor": "a10g-large"})
    assert elsewhere.structured_content["ok"] is False


async def test_validate_reports_each_problem_with_its_fix(tmp_path):
    script = tmp_path / "bad.py"
    script.write_text(
        "from trl import SFTConfig, SFTTrainer\n"
        "args = SFTConfig(output_dir='o', max_seq_length=512, evaluation_strategy='steps', bf16=True)\n"
        "SFTTrainer(model='m', args=args, train_dataset=None, tokenizer=None).train()\n"
    )
    result = await call(
        "validate_training_script", {"script": str(script), "flavor": "t4-small", "secrets": {}}
    )
    assert not result.is_error
    data = result.structured_content
    assert data["ok"] is False and data["path"] == str(script)
    failed = {(c["name"], c.get("fix", "")) for c in data["checks"] if c["status"] == "fail"}
    names = {n for n, _ in failed}
    assert {"pep723", "renamed", "eval", "push_to_hub"} <= names
    fixes = " ".join(f for _, f in failed)
    for fix in ("max_length=512", "eval_strategy='steps'", "processing_class=None"):
        assert fix in fixes
    # bf16 on a T4 is emulated (about 4x slower), not a crash: a warning with the fp16 fix
    slow = [c for c in data["checks"] if c["name"] == "bf16"]
    assert slow and all(c["status"] == "warn" and "fp16=True" in c["fix"] for c in slow)
    assert "problem(s)" in result.content[0].text


async def test_validate_accepts_inline_text_and_passes_a_generated_script():
    generated = await call(
        "generate_training_script",
        {
            "method": "sft",
            "model": "Qwen/Qwen2.5-0.5B",
            "dataset": "d/x",
            "hub_model_id": "me/x",
            "flavor": "a10g-large",
            "timeout": "2h",
        },
    )
    text = generated.structured_content["script"]
    result = await call(
        "validate_training_script",
        {"script": text, "flavor": "a10g-large", "secrets": {"HF_TOKEN": "$HF_TOKEN"}, "timeout": "2h"},
    )
    assert result.structured_content["ok"] is True
    assert "The script runs: no problem found." in result.content[0].text


async def test_validate_a_missing_file_is_an_error():
    # inside the allowed folders (the working directory): outside them the policy answers first
    result = await call("validate_training_script", {"script": "nonexistent/train.py"})
    assert result.is_error and "no such file" in result.content[0].text


@pytest.mark.slow
async def test_dry_run_rehearses_on_a_tiny_copy_of_the_architecture(tiny, tmp_path):
    """No model given: a 2-layer random copy of the script's model (here the local tiny model) is built."""
    generated = await call(
        "generate_training_script",
        {
            "method": "sft",
            "model": str(tiny.model),
            "dataset": "someone/dataset",
            "hub_model_id": "me/x",
            "flavor": "local",  # a local model path: only a local job could read it
            "timeout": "2h",
            "column_mapping": {"prompt": "question", "completion": "answer"},
        },
    )
    assert not generated.is_error, generated.content[0].text
    result = await call(
        "dry_run_training_script",
        {"script": generated.structured_content["script_path"], "dataset": str(tiny.sft_data)},
    )
    data = result.structured_content
    assert data["ok"] is True, data["error"] + "\n" + data["log_tail"]
    assert data["summary"]["steps"] == 2 and data["model"].endswith("tiny-model")
    assert "adapter_model.safetensors" in data["files"] and "README.md" in data["files"]
    assert "Rehearsal passed" in result.content[0].text
    assert parse_summary("noise\nHF_TRAIN_SUMMARY " + __import__("json").dumps(data["summary"]))["steps"] == 2


@pytest.mark.slow
async def test_dry_run_reports_the_error(tiny, tmp_path):
    generated = await call(
        "generate_training_script",
        {
            "method": "dpo",
            "model": "Qwen/Qwen2.5-0.5B",
            "dataset": "d/x",
            "hub_model_id": "me/x",
            "flavor": "local",
            "timeout": "2h",
        },
    )
    result = await call(
        "dry_run_training_script",
        {
            "script": generated.structured_content["script"],
            "model": str(tiny.model),
            "dataset": str(tiny.sft_data),
        },
    )
    data = result.structured_content
    assert data["ok"] is False and data["returncode"] == 2
    assert "not a DPO dataset" in data["error"] and "column_mapping" in data["error"]
    assert "Rehearsal FAILED" in result.content[0].text


async def test_local_paths_are_refused_for_a_cloud_job(tmp_path):
    """A Hugging Face Job cannot read this machine's files: refused before anything is paid for."""
    data = tmp_path / "train.jsonl"
    data.write_text('{"text": "hello"}\n')
    result = await call(
        "generate_training_script",
        {
            "method": "sft",
            "model": "Qwen/Qwen2.5-0.5B",
            "dataset": str(data),
            "hub_model_id": "me/x",
            "flavor": "a10g-large",
            "timeout": "2h",
        },
    )
    assert result.is_error
    text = result.content[0].text
    assert "dataset_location" in text and "hf upload" in text and "flavor 'local'" in text
    local = await call(
        "generate_training_script",
        {
            "method": "sft",
            "model": "Qwen/Qwen2.5-0.5B",
            "dataset": str(data),
            "push_to_hub": False,
            "flavor": "local",
            "timeout": "2h",
        },
    )
    assert not local.is_error, local.content[0].text
