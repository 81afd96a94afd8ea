"""Sharded launch of the training script: the FSDP2 `accelerate` config it writes and the command it re-runs
itself with (part of `training.runner`).

When CONFIG says `parallelism: "fsdp"` on a multi-GPU flavor, the script starts as one process, writes an
accelerate config and replaces itself with `accelerate launch --config_file <it> <script> <args>`: one
process per GPU, FSDP2 sharding every decoder layer (`TRANSFORMER_BASED_WRAP`; accelerate reads the layer
class from the model's `_no_split_modules`). The config is TRL's own `accelerate_configs/fsdp2.yaml` from the
installed (pinned) trl, with the run's process count and mixed precision put in, so the layout is the one
TRL tests. Data parallel stays a torchrun self-relaunch (`runner_io.maybe_relaunch`).

State dict: FULL_STATE_DICT (TRL's choice too). At each save the Trainer gathers the whole state on rank 0:
the final model and every checkpoint hold ordinary `save_pretrained` files (adapter_model.safetensors or
model.safetensors) that the Hub push serves and `from_pretrained` loads, and the FSDP resume files
(pytorch_model_fsdp.bin, adapter only for LoRA, and optimizer.bin) are whole, not per rank, so the Hub's
last-checkpoint/ resumes whatever the process count. SHARDED_STATE_DICT would write a torch.distributed
checkpoint per rank, and the Trainer then saves no safetensors at all: nothing `from_pretrained` can read
and nothing worth pushing. The price is the gather to rank 0's CPU memory at each save.

Inlined into every rendered script; importable as a module for tests. Heavy libraries are imported inside
functions.
"""

from __future__ import annotations

# hf-train-mcp: inlined into scripts from here
import copy as _copy
import os
import sys
import tempfile

TRL_FSDP2_CONFIG = ("trl", "accelerate_configs/fsdp2.yaml")
FSDP_STATE_DICT = "FULL_STATE_DICT"


def trl_fsdp2_config() -> dict:
    """TRL's shipped FSDP2 accelerate config (trl/accelerate_configs/fsdp2.yaml of the installed trl)."""
    from importlib.resources import files

    import yaml

    package, name = TRL_FSDP2_CONFIG
    return yaml.safe_load(files(package).joinpath(name).read_text(encoding="utf-8"))


def fsdp2_config(base: dict, nproc: int, mixed_precision: str, use_cpu: bool = False) -> dict:
    """`base` (TRL's fsdp2.yaml) with this run's process count, mixed precision and state-dict type."""
    config = _copy.deepcopy(base)
    fsdp = config.setdefault("fsdp_config", {})
    if int(fsdp.get("fsdp_version", 0)) != 2:
        raise ValueError(f"the accelerate config is not FSDP2 (fsdp_version={fsdp.get('fsdp_version')!r})")
    fsdp.update(
        fsdp_state_dict_type=FSDP_STATE_DICT,
        fsdp_auto_wrap_policy="TRANSFORMER_BASED_WRAP",
        # The Trainer's gradient checkpointing (CONFIG) is used; FSDP's own would be a second one.
        fsdp_activation_checkpointing=False,
    )
    config.update(
        distributed_type="FSDP",
        num_processes=int(nproc),
        num_machines=1,
        machine_rank=0,
        mixed_precision=mixed_precision if mixed_precision in ("bf16", "fp16") and not use_cpu else "no",
        use_cpu=bool(use_cpu),
    )
    return config


def write_accelerate_config(config: dict, folder: str | None = None) -> str:
    """Write `config` as YAML in a fresh temporary folder (not output_dir: that folder is pushed)."""
    import yaml

    folder = folder or tempfile.mkdtemp(prefix="hf-train-accelerate-")
    path = os.path.join(folder, "fsdp2.yaml")
    with open(path, "w", encoding="utf-8") as handle:
        yaml.safe_dump(config, handle, sort_keys=True)
    return path


def accelerate_command(config_path: str, nproc: int, script: str, script_args: list[str]) -> list[str]:
    """`accelerate launch` as `python -m`, so the script's own (uv) environment runs every process."""
    return [
        sys.executable,
        "-m",
        "accelerate.commands.launch",
        "--config_file",
        config_path,
        "--num_processes",
        str(int(nproc)),
        script,
        *script_args,
    ]
