"""Logging, checkpoints, resume and the Hub push of the training script (part of `training.runner`).

Inlined into every rendered script (its code after the marker below, without its hf_train_mcp imports);
importable as a module for tests. Heavy libraries are imported inside functions.
"""

from __future__ import annotations

# hf-train-mcp: inlined into scripts from here
import argparse
import json
import os
import re
import sys
import time

CHECKPOINT_RE = re.compile(r"^checkpoint-(\d+)$")


def log(message: str) -> None:
    print(f"[hf-train] {message}", flush=True)


def fail(message: str) -> None:
    """Stop with a message that says what to change; exit code 2 (a setup problem, not a crash)."""
    print(f"[hf-train] ERROR: {message}", file=sys.stderr, flush=True)
    raise SystemExit(2)


# --------------------------------------------------------------------------------------------------
# Launch: all GPUs of a multi-GPU flavor, and the checkpoint to continue from
# --------------------------------------------------------------------------------------------------


def last_local_checkpoint(output_dir: str) -> str | None:
    """The newest complete checkpoint-N folder (one with trainer_state.json) in output_dir."""
    if not os.path.isdir(output_dir):
        return None
    found = []
    for name in os.listdir(output_dir):
        match = CHECKPOINT_RE.match(name)
        path = os.path.join(output_dir, name)
        if match and os.path.isfile(os.path.join(path, "trainer_state.json")):
            found.append((int(match.group(1)), path))
    return max(found)[1] if found else None


def resolve_hub_model_id(cfg: dict) -> None:
    """'name' -> 'token-owner/name', so the resume lookup and the push name the same repo."""
    hub_id = cfg["hub_model_id"]
    if cfg["push_to_hub"] and hub_id and "/" not in hub_id:
        from huggingface_hub import HfApi

        try:
            owner = HfApi().whoami()["name"]
        except Exception as exc:
            fail(
                f"cannot tell whose namespace {hub_id!r} goes to ({type(exc).__name__}: {exc}). Pass the job "
                'secrets={"HF_TOKEN": "$HF_TOKEN"} (a write token), or a full hub_model_id such as '
                '"user/name".'
            )
        cfg["hub_model_id"] = f"{owner}/{hub_id}"
        log(f"pushing to {cfg['hub_model_id']}")


def hub_checkpoint(cfg: dict) -> str | None:
    """Download last-checkpoint/ from the Hub repo if an earlier run of this job pushed one."""
    hub_id = cfg["hub_model_id"]
    if not (cfg["push_to_hub"] and hub_id):
        return None
    from huggingface_hub import HfApi, snapshot_download
    from huggingface_hub.errors import RepositoryNotFoundError

    api = HfApi()
    files = None
    for attempt in range(3):
        try:
            files = api.list_repo_files(hub_id, repo_type="model")
            break
        except RepositoryNotFoundError:
            return None
        except Exception as exc:  # network trouble: do not silently start over and overwrite a checkpoint
            if attempt == 2:
                fail(
                    f"could not check {hub_id} for a checkpoint to resume from "
                    f"({type(exc).__name__}: {exc}). "
                    "Re-run, or pass --no-resume to start over."
                )
            time.sleep(5 * (attempt + 1))
    if not any(f.startswith("last-checkpoint/") for f in files or ()):
        return None
    target = os.path.join(cfg["output_dir"], "_hub_resume")
    snapshot_download(hub_id, repo_type="model", allow_patterns=["last-checkpoint/*"], local_dir=target)
    path = os.path.join(target, "last-checkpoint")
    return path if os.path.isfile(os.path.join(path, "trainer_state.json")) else None


def push_last_checkpoint(cfg: dict) -> None:
    """Make the Hub's last-checkpoint/ the final save. The Trainer skips a checkpoint push while the previous
    one is still uploading (hub_always_push=False), so the last save may never reach the Hub and a re-run
    would resume from an older step. Files the Hub already has are not sent again."""
    checkpoint = last_local_checkpoint(cfg["output_dir"])
    if checkpoint is None:
        return
    from huggingface_hub import HfApi

    HfApi().upload_folder(
        repo_id=cfg["hub_model_id"],
        folder_path=checkpoint,
        path_in_repo="last-checkpoint",
        commit_message=f"Last checkpoint ({os.path.basename(checkpoint)})",
    )


def find_checkpoint(cfg: dict, args: argparse.Namespace) -> str | None:
    if args.resume_from:
        return None if args.resume_from == "none" else args.resume_from
    if args.no_resume:
        return None
    local = last_local_checkpoint(cfg["output_dir"])
    if local:
        return local
    return hub_checkpoint(cfg)


def maybe_relaunch(cfg: dict, args: argparse.Namespace, argv: list[str], resume: str | None) -> None:
    """On a multi-GPU flavor, re-run this script under torchrun with one process per GPU."""
    wanted = int(cfg["gpu_count"] or 0)
    if wanted <= 1 or "LOCAL_RANK" in os.environ or args.dry_run:
        return
    import torch

    available = torch.cuda.device_count()
    script = os.path.abspath(sys.argv[0])
    if available <= 1 or not os.path.isfile(script):
        log(f"running on one process: {available} GPU(s) visible, script file {script!r}")
        return
    nproc = min(wanted, available)
    extra = ["--resume-from", resume or "none"]
    if cfg["hub_model_id"]:
        extra += ["--hub-model-id", cfg["hub_model_id"]]
    command = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        f"--nproc_per_node={nproc}",
        script,
        *argv,
        *extra,
    ]
    log(f"launching {nproc} processes (one per GPU) with torchrun")
    sys.stdout.flush()
    os.execv(sys.executable, command)


def peak_memory_gb(device: str) -> float | None:
    try:
        if device == "cuda":
            import torch

            return round(torch.cuda.max_memory_allocated() / 1e9, 3)
        import resource

        return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6, 3)  # Linux: KiB -> GB
    except Exception:
        return None


def write_model_card(cfg: dict, output_dir: str, summary: dict) -> str:
    """Append the run's details (base model, data, method, hyperparameters, result) to README.md."""
    path = os.path.join(output_dir, "README.md")
    existing = ""
    if os.path.exists(path):
        with open(path, encoding="utf-8") as handle:
            existing = handle.read()
    spec = cfg["dataset"]
    rows = [
        ("base model", cfg["model"]),
        (
            "dataset",
            spec["id"] + (f" ({spec['config']})" if spec["config"] else "") + f", split {spec['split']}",
        ),
        ("method", f"{cfg['method'].upper()} ({cfg['peft']})"),
        ("flavor", cfg["flavor"]),
    ]
    keys = [
        "learning_rate",
        "num_train_epochs",
        "max_steps",
        "per_device_train_batch_size",
        "gradient_accumulation_steps",
        "max_length",
        "lr_scheduler_type",
        "warmup_ratio",
        "weight_decay",
        "dtype",
        "mixed_precision",
        "attn_implementation",
        "gradient_checkpointing",
        "seed",
        "beta",
        "loss_type",
        "desirable_weight",
        "undesirable_weight",
        "center_rewards_coefficient",
        "num_generations",
        "max_prompt_length",
        "max_completion_length",
        "temperature",
        "reward_model",
        "reward_weights",
    ]
    rows += [(k, cfg[k]) for k in keys if k in cfg and cfg[k] is not None]
    if "lora" in cfg:
        rows += [(f"lora_{k}", v) for k, v in cfg["lora"].items()]
    if cfg.get("rewards"):
        rows.append(("rewards", ", ".join(spec["name"] for spec in cfg["rewards"])))
    if spec["column_mapping"]:
        rows.append(("column_mapping", json.dumps(spec["column_mapping"])))
    if spec.get("conversion"):
        rows.append(("dataset_conversion", spec["conversion"]))

    def cell(value) -> str:
        return str(value).replace("|", "\\|").replace("\n", " ")

    lines = [
        "",
        "## Training details (hf-train-mcp)",
        "",
        "| setting | value |",
        "|---|---|",
        *[f"| {cell(k)} | {cell(v)} |" for k, v in rows],
        "",
        "Result: " + ", ".join(f"{k} {v}" for k, v in summary.items() if v is not None),
        "",
    ]
    if not existing:
        base = cfg["model"]
        existing = (
            f"---\nbase_model: {json.dumps(base)}\nlibrary_name: transformers\n"
            f"tags:\n- trl\n- {cfg['method']}\n---\n"
        )
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(existing.rstrip("\n") + "\n" + "\n".join(lines))
    return path
