"""Models sharded across the GPUs of a flavor: the parallelism decision against the memory model, the
relaunch command and FSDP2 accelerate config the script writes, and a real two-process sharded run on CPU."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from dataclasses import replace

import pytest
import yaml
from hf_train_mcp.hardware import api
from hf_train_mcp.training import launch, parse_summary, runner_io
from hf_train_mcp.training.hardware_steps import SHARDABLE_PEFT
from hf_train_mcp.training.render import render_script, training_pins
from hf_train_mcp.training.requests import hardware_plan, parse_request
from hf_train_mcp.training.resolve import resolve
from training.helpers import SFT_MAPPING, request, run_script, script_env, write_script

MODELS = ["meta-llama/Llama-3.1-70B", "meta-llama/Llama-3.1-8B", "Qwen/Qwen2.5-32B"]
MULTI_GPU = ["h200x2", "a100x4", "l40sx8"]


def plan_for(**overrides):
    data = request(timeout="100h", **overrides)
    return resolve(parse_request(data), pinned=training_pins())


def parallelism_check(plan) -> str:
    return next(c.message for c in plan.checks if c.name == "parallelism")


# --------------------------------------------------------------------------------------------------
# The decision, against the real memory model
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("peft", ["lora", "full", "qlora"])
@pytest.mark.parametrize("flavor", MULTI_GPU)
def test_auto_shards_exactly_when_a_replica_does_not_fit(model, peft, flavor):
    plan = plan_for(model=model, peft=peft, flavor=flavor)
    hw = hardware_plan(parse_request(request(model=model, peft=peft, flavor=flavor)))
    ddp = api.fit(hw, flavor)
    fsdp = api.fit(replace(hw, sharding="fsdp"), flavor)
    expected = "fsdp" if (not ddp.fits and peft in SHARDABLE_PEFT) else "ddp"
    assert plan.config["parallelism"] == expected, parallelism_check(plan)
    chosen, other = (fsdp, ddp) if expected == "fsdp" else (ddp, fsdp)
    message = parallelism_check(plan)
    assert f"about {chosen.need_gib:.1f} of {chosen.limit_gib:.1f} GiB per GPU" in message
    assert f"would need {other.need_gib:.1f} GiB" in message
    assert ("accelerate" in message) == (expected == "fsdp")
    # The estimate the timeout and the memory warning come from is the chosen layout's.
    assert plan.estimate["layout"] == ("sharded" if expected == "fsdp" else "ddp")
    # (decide_memory may then lower the micro-batch until it fits: never the other way round)
    assert plan.estimate["fits"] or not chosen.fits


def test_70b_lora_is_recommended_sharded_on_two_h200():
    plan = plan_for(model="meta-llama/Llama-3.1-70B", peft="lora", flavor=None)
    assert plan.flavor == "h200x2" and plan.config["parallelism"] == "fsdp"
    assert plan.estimate["fits"] and not any(c.name == "memory" for c in plan.checks)
    assert "a full replica does not fit one GPU; sharded it does" in parallelism_check(plan)


def test_the_user_can_force_either_layout():
    small = plan_for(model="meta-llama/Llama-3.1-8B", peft="lora", flavor="h200x2", parallelism="fsdp")
    assert small.ok and small.config["parallelism"] == "fsdp"
    assert "asked for (parallelism='fsdp')" in parallelism_check(small)
    big = plan_for(model="meta-llama/Llama-3.1-70B", peft="lora", flavor="h200x2", parallelism="ddp")
    assert big.config["parallelism"] == "ddp"
    assert any(c.name == "memory" and c.status == "warn" for c in big.checks)  # ddp does not fit there


def test_qlora_is_not_sharded():
    plan = plan_for(model="meta-llama/Llama-3.1-70B", peft="qlora", flavor="h200x2", parallelism="fsdp")
    failure = next(c for c in plan.failures if c.name == "parallelism")
    assert "QLoRA" in failure.message and "parallelism='ddp'" in failure.fix


@pytest.mark.parametrize("flavor", ["h200", "local"])
def test_one_gpu_runs_one_process(flavor):
    plan = plan_for(model="meta-llama/Llama-3.1-8B", flavor=flavor, parallelism="fsdp")
    assert plan.config["parallelism"] == "single"
    assert "has no effect" in parallelism_check(plan)


# --------------------------------------------------------------------------------------------------
# The memory model's sharded figures
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("peft", ["full", "lora"])
def test_per_gpu_need_falls_with_gpus_when_sharded_not_when_replicated(peft):
    hw = hardware_plan(parse_request(request(model="meta-llama/Llama-3.1-70B", peft=peft)))
    flavors = ["h200x2", "h200x4", "h200x8"]
    sharded = [api.fit(replace(hw, sharding="fsdp"), f).need_gib for f in flavors]
    replicated = [api.fit(hw, f).need_gib for f in flavors]
    assert sharded[0] > sharded[1] > sharded[2]
    assert replicated[0] == pytest.approx(replicated[1]) == pytest.approx(replicated[2])
    assert all(s < r for s, r in zip(sharded, replicated, strict=True))
    # The weights term itself is divided by the GPU count.
    weights = [api.fit(replace(hw, sharding="fsdp"), f).estimate.weights_gb for f in flavors]
    assert weights[0] == pytest.approx(2 * weights[1]) == pytest.approx(4 * weights[2])


# --------------------------------------------------------------------------------------------------
# The launch: command and accelerate config
# --------------------------------------------------------------------------------------------------


def test_the_fsdp2_config_is_trls_with_this_runs_settings(tmp_path):
    base = launch.trl_fsdp2_config()
    config = launch.fsdp2_config(base, 4, "bf16")
    assert config["num_processes"] == 4 and config["mixed_precision"] == "bf16" and not config["use_cpu"]
    assert config["distributed_type"] == "FSDP"
    fsdp = config["fsdp_config"]
    assert fsdp["fsdp_version"] == 2 and fsdp["fsdp_auto_wrap_policy"] == "TRANSFORMER_BASED_WRAP"
    assert fsdp["fsdp_state_dict_type"] == "FULL_STATE_DICT"
    assert base["num_processes"] != 4  # the shipped file is not changed in place
    assert launch.fsdp2_config(base, 2, "bf16", use_cpu=True)["mixed_precision"] == "no"
    with pytest.raises(ValueError, match="not FSDP2"):
        launch.fsdp2_config({"fsdp_config": {"fsdp_version": 1}}, 2, "bf16")


@pytest.mark.parametrize("parallelism", ["fsdp", "ddp"])
def test_the_relaunch_command(parallelism, tmp_path, monkeypatch):
    monkeypatch.setattr(launch.tempfile, "mkdtemp", lambda prefix: str(tmp_path))
    plan = plan_for(model="meta-llama/Llama-3.1-70B", peft="lora", flavor="h200x2", parallelism=parallelism)
    cfg = dict(plan.config)
    command, how = runner_io.relaunch_command(
        cfg, 2, "/job/train.py", ["--max-steps", "5"], "/ck/checkpoint-3"
    )
    tail = [
        "/job/train.py",
        "--max-steps",
        "5",
        "--resume-from",
        "/ck/checkpoint-3",
        "--hub-model-id",
        "me/run",
    ]
    assert command[-len(tail) :] == tail
    if parallelism == "ddp":
        assert command[1:5] == ["-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2"]
        assert "torchrun" in how and not (tmp_path / "fsdp2.yaml").exists()
        return
    path = str(tmp_path / "fsdp2.yaml")
    assert command[1:7] == ["-m", "accelerate.commands.launch", "--config_file", path, "--num_processes", "2"]
    assert "FSDP2" in how and path in how
    written = yaml.safe_load((tmp_path / "fsdp2.yaml").read_text())
    assert written == launch.fsdp2_config(launch.trl_fsdp2_config(), 2, cfg["mixed_precision"])
    assert written["mixed_precision"] == "bf16"  # h200: bf16


def test_the_rendered_script_carries_the_launch_code():
    plan = plan_for(model="meta-llama/Llama-3.1-70B", peft="lora", flavor="h200x2")
    text = render_script(plan)
    assert "'parallelism': 'fsdp'" in text
    assert "def relaunch_command(" in text and "def fsdp2_config(" in text
    assert "accelerate.commands.launch" in text and "from hf_train_mcp" not in text
    compile(text, "train.py", "exec")


# --------------------------------------------------------------------------------------------------
# A real sharded run: two processes on CPU (gloo), through the same relaunch command
# --------------------------------------------------------------------------------------------------


# What the pinned accelerate does on a machine without a GPU (accelerate/state.py, 1.15.0):
# `Accelerator(cpu=True)` with WORLD_SIZE 2 becomes DistributedType.MULTI_CPU (gloo), and the
# ACCELERATE_USE_FSDP=true that `accelerate launch` exports is only honoured for GPU-like types
# (MULTI_GPU/NPU/XPU/HPU...): the processes train data parallel, unsharded. torch 2.13's own
# `fully_shard` does run on CPU with gloo; accelerate does not use it there.
CPU_FSDP_SKIP = (
    "accelerate 1.15 does not enable FSDP on CPU: the two processes ran as DistributedType.MULTI_CPU "
    "(data parallel over gloo), so the sharding itself is not exercised here; the launch, the written "
    "FSDP2 config, the two-process training, its checkpoints and both resumes were"
)


@pytest.mark.slow
def test_two_process_accelerate_launch_on_cpu(tiny, tmp_path):
    """The script relaunched exactly as on a sharded flavor (accelerate launch + the FSDP2 config it writes),
    two processes on CPU; then resumed sharded-launched and on one process."""
    script = write_script(tmp_path, tiny, dataset=str(tiny.sft_data), column_mapping=SFT_MAPPING)
    cfg = {"hub_model_id": None, "parallelism": "fsdp", "mixed_precision": "no"}
    command, how = runner_io.relaunch_command(cfg, 2, str(script), [], None, use_cpu=True)
    assert "FSDP2" in how and command[2] == "accelerate.commands.launch"
    out = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=600, env=script_env())
    log = out.stdout + out.stderr
    assert out.returncode == 0, log[-6000:]
    summary = parse_summary(out.stdout)
    assert summary is not None and summary["steps"] == 2 and math.isfinite(summary["final_loss"])
    assert log.count("HF_TRAIN_SUMMARY") == 1  # rank 0 only
    saved = tmp_path / "out"
    assert (saved / "adapter_model.safetensors").is_file(), sorted(p.name for p in saved.iterdir())
    assert (saved / "checkpoint-2" / "adapter_model.safetensors").is_file()
    state = json.loads((saved / "checkpoint-2" / "trainer_state.json").read_text())
    assert state["global_step"] == 2
    assert log.count("[hf-train] SFT lora of") == 2  # two training processes, one summary (rank 0)
    sharded = "FSDP2: sharded across 2 processes" in log

    # The checkpoint resumes relaunched (the command passes it on) and on one process (any GPU count).
    resume = str(saved / "checkpoint-2")
    command, _ = runner_io.relaunch_command(cfg, 2, str(script), ["--max-steps", "3"], resume, use_cpu=True)
    out = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=600, env=script_env())
    assert out.returncode == 0, (out.stdout + out.stderr)[-6000:]
    assert parse_summary(out.stdout)["resumed_from"] == "checkpoint-2"
    one = run_script(script, "--max-steps", "4", cwd=tmp_path)
    assert one.returncode == 0, (one.stdout + one.stderr)[-6000:]
    assert parse_summary(one.stdout)["resumed_from"] == "checkpoint-3"
    if not sharded:
        pytest.skip(CPU_FSDP_SKIP)


# --------------------------------------------------------------------------------------------------
# Through the MCP client and the CLI, as an agent and a user ask for it
# --------------------------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_generate_training_script_shards_70b_lora_over_mcp(tmp_path):
    from hf_train_mcp.app import build_server
    from mcp import Client

    arguments = {
        "model": "meta-llama/Llama-3.1-70B",
        "dataset": "trl-lib/Capybara",
        "hub_model_id": "me/llama-70b-lora",
        "save_to": str(tmp_path / "train.py"),
    }
    async with Client(build_server()) as client:
        result = await client.call_tool("generate_training_script", arguments)
    assert not result.is_error, result.content[0].text
    data = result.structured_content
    assert data["hf_jobs"]["args"]["flavor"] == "h200x2"
    text = result.content[0].text
    assert "accelerate with FSDP2" in text and "FSDP2 via accelerate" in text
    check = next(c for c in data["checks"] if c["name"] == "parallelism")
    assert "a full replica does not fit one GPU; sharded it does" in check["message"]
    assert "'parallelism': 'fsdp'" in (tmp_path / "train.py").read_text()


@pytest.mark.slow
def test_the_cli_takes_the_parallelism_override(tmp_path):
    arguments = {
        "model": "meta-llama/Llama-3.1-8B",
        "dataset": "trl-lib/Capybara",
        "hub_model_id": "me/llama-8b-lora",
        "flavor": "h200x2",
        "timeout": "3h",
        "parallelism": "fsdp",
        "save_to": str(tmp_path / "train.py"),
    }
    out = subprocess.run(
        [sys.executable, "-m", "hf_train_mcp", "call", "generate_training_script", json.dumps(arguments)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    assert "accelerate with FSDP2" in out.stdout and "asked for (parallelism='fsdp')" in out.stdout
    assert "'parallelism': 'fsdp'" in (tmp_path / "train.py").read_text()
