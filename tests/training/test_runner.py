"""The training script's code imported as a module (training.runner): the run-time choices a rendered
script makes from its CONFIG, tested without rendering or training."""

from __future__ import annotations

import argparse

import pytest
from hf_train_mcp import dataset_formats
from hf_train_mcp.training import runner_methods, runner_trainer
from hf_train_mcp.training.introspect import load_fields
from hf_train_mcp.training.render import render_script, training_pins
from hf_train_mcp.training.requests import REQUEST_MODELS, parse_request
from hf_train_mcp.training.resolve import METHOD_RULES, TRL_COLUMNS, resolve
from hf_train_mcp.training.sharegpt import ConversionError, sharegpt_to_messages
from training.helpers import loaded_script, request

CPU = {"dtype": "float32", "bf16": False, "fp16": False, "use_cpu": True, "device": "cpu"}


def config_for(**overrides):
    return resolve(parse_request(request(**overrides)), pinned=training_pins()).config


def test_importing_the_runner_does_not_import_the_training_stack():
    import subprocess
    import sys

    code = (
        "import sys, hf_train_mcp.training.runner\n"
        "heavy = [m for m in ('torch', 'transformers', 'trl', 'peft', 'datasets') if m in sys.modules]\n"
        "assert not heavy, heavy"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_every_module_marked_for_scripts_is_inlined_into_the_script():
    """render inlines the package modules runner.py imports (and theirs), found by the generic mechanism:
    a module carrying the marker but missing from the script would leave a rendered job with a NameError."""
    import re
    from pathlib import Path

    from hf_train_mcp.training import render

    folder = Path(render.__file__).parent
    marked = {
        path.stem
        for path in folder.glob("*.py")
        if render.MODULE_MARKER.strip() in path.read_text(encoding="utf-8").splitlines()
    }
    text = render_script(resolve(parse_request(request()), pinned=training_pins()))
    inlined = re.findall(r"^# --- hf_train_mcp\.training\.(\w+) \(inlined\) ---$", text, re.MULTILINE)
    assert len(inlined) == len(set(inlined)) and set(inlined) == marked
    assert {"runner_io", "runner_data", "runner_methods", "runner_trainer", "sharegpt"} <= marked
    assert "from hf_train_mcp" not in text and "import hf_train_mcp" not in text
    compile(text, "train.py", "exec")


def test_every_method_has_its_row_everywhere():
    """A method is a request model, a runner row, resolve's rules and its TRL columns: none missing."""
    assert set(REQUEST_MODELS) == set(runner_methods.METHODS) == set(METHOD_RULES) == set(TRL_COLUMNS)
    fields = load_fields()["classes"]
    for method, spec in runner_methods.METHODS.items():
        assert spec.config in fields and spec.trainer in fields
        for columns in spec.formats:
            assert set(columns) <= set(TRL_COLUMNS[method])


@pytest.mark.parametrize("method", ["sft", "dpo"])
@pytest.mark.parametrize("peft", ["full", "lora", "qlora"])
def test_training_args_are_fields_of_the_pinned_config_class(method, peft):
    cfg = config_for(method=method, peft=peft, flavor="a10g-large")
    args = runner_trainer.training_args(cfg, CPU, has_eval=False)
    assert set(args) <= set(load_fields()["classes"][runner_methods.METHODS[method].config])
    assert args["eval_strategy"] == "no" and args["max_length"] == cfg["max_length"]
    assert args["activation_checkpointing"] == cfg["gradient_checkpointing"]
    assert args["weight_decay"] == cfg["weight_decay"] and args["run_name"] == cfg["run_name"]


def test_method_args_follow_the_config():
    sft = runner_trainer.training_args(config_for(completion_only_loss=False), CPU, has_eval=True)
    assert (
        sft["completion_only_loss"] is False and sft["packing"] is True and sft["packing_strategy"] == "bfd"
    )
    unpacked = runner_trainer.training_args(config_for(packing=False), CPU, has_eval=True)
    assert unpacked["packing"] is False
    dpo = runner_trainer.training_args(
        config_for(method="dpo", beta=0.3, loss_type="ipo"), CPU, has_eval=True
    )
    assert dpo["beta"] == 0.3 and dpo["loss_type"] == ["ipo"] and "packing" not in dpo


def test_peft_config_is_none_for_full_and_lora_settings_otherwise():
    pytest.importorskip("peft")
    assert runner_trainer.peft_config(config_for(peft="full")) is None
    lora = runner_trainer.peft_config(
        config_for(peft="lora", lora_r=8, lora_alpha=16, lora_target_modules=["q_proj"])
    )
    assert (lora.r, lora.lora_alpha, set(lora.target_modules)) == (8, 16, {"q_proj"})
    assert lora.task_type == "CAUSAL_LM"


def test_qlora_refuses_a_cpu_and_full_needs_no_quantization():
    assert runner_trainer.quantization_config(config_for(peft="lora"), CPU) is None
    with pytest.raises(SystemExit) as stop:
        runner_trainer.quantization_config(config_for(peft="qlora"), CPU)
    assert stop.value.code == 2


def test_command_line_overrides_are_data():
    """In a rendered script (its CONFIG written by the renderer, not patched in)."""
    plan = resolve(parse_request(request(eval_fraction=0.1)), pinned=training_pins())
    script = loaded_script(plan)
    args = script["parse_args"](["--dry-run", "--dataset", "./rows.jsonl", "--max-steps", "3"])
    cfg = script["resolve_config"](args)
    assert (cfg["max_steps"], cfg["push_to_hub"], cfg["dataset"]["id"]) == (3, False, "./rows.jsonl")
    assert cfg["dataset"]["eval_fraction"] == 0.25 and script["CONFIG"]["dataset"]["id"] != "./rows.jsonl"
    assert isinstance(args, argparse.Namespace)


# --- one ShareGPT converter ---------------------------------------------------------------------


def test_sharegpt_turns_become_messages():
    turns = [{"from": "system", "value": "be nice"}, {"from": "human", "value": "hi"}, {"from": "gpt"}]
    assert sharegpt_to_messages(turns, 3) == [
        {"role": "system", "content": "be nice"},
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": ""},
    ]


@pytest.mark.parametrize("turns", [[{"from": "narrator", "value": "x"}], [], "text", [["a"]]])
def test_inspection_and_script_refuse_the_same_rows(turns):
    """Unknown roles (and non-conversations) behave the same in dataset inspection and in the script."""
    with pytest.raises(ConversionError) as script:
        sharegpt_to_messages(turns, 7)
    assert "row 7" in str(script.value)
    with pytest.raises(ConversionError) as inspection:
        dataset_formats.convert_sharegpt_messages(turns, 7)
    assert str(inspection.value) == str(script.value)


def test_the_rendered_script_runs_the_same_converter(tmp_path):
    from hf_train_mcp.training.render import render_script

    plan = resolve(parse_request(request(dataset_conversion="sharegpt")), pinned=training_pins())
    namespace: dict = {"__name__": "rendered"}
    exec(compile(render_script(plan), "train.py", "exec"), namespace)
    turns = [{"from": "human", "value": "q"}, {"from": "bard", "value": "a"}]
    assert namespace["sharegpt_to_messages"](turns, 0) == sharegpt_to_messages(turns, 0)
    assert namespace["SHAREGPT_ROLES"] == dataset_formats.SHAREGPT_ROLES
    with pytest.raises(namespace["ConversionError"]):
        namespace["sharegpt_to_messages"]([{"from": "narrator", "value": "x"}], 0)
