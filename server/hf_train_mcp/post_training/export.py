"""export_model: the merge + GGUF job's settings, its rendered script, and the ready hf_jobs call."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hf_train_mcp.jobs.model import LOCAL_FLAVOR
from hf_train_mcp.paths import data_dir
from hf_train_mcp.post_training import job_call
from hf_train_mcp.post_training.errors import PostTrainingError
from hf_train_mcp.post_training.pins import converter_source, requirements
from hf_train_mcp.toolkit import Answer

# What llama.cpp's converter writes itself, and the k-quants its quantizer makes (llama.cpp's names).
CONVERTER_TYPES = ("f32", "f16", "bf16", "q8_0")
K_QUANTS = ("Q2_K", "Q3_K_M", "Q4_K_S", "Q4_K_M", "Q5_K_S", "Q5_K_M", "Q6_K")
DEFAULT_GGUF_TYPES = ("q8_0", "Q4_K_M")
WHAT = "export"  # the job, as errors name it
TITLE = "Merge a LoRA adapter into its base and export GGUF files (hf-train-mcp export_model)."
DEFAULT_FLAVOR = "cpu-upgrade"  # merging and converting need RAM (2 bytes/parameter) and CPU, not a GPU
CHECK_PROMPT = "The capital of France is"


def normalize_gguf_types(types: list[str]) -> list[str]:
    out: list[str] = []
    for raw in types:
        value = raw.strip()
        if value.lower() in CONVERTER_TYPES:
            value = value.lower()
        elif value.upper() in K_QUANTS:
            value = value.upper()
        else:
            raise PostTrainingError(
                f"GGUF type {raw!r} is not offered. Send any of {', '.join(CONVERTER_TYPES + K_QUANTS)}."
            )
        if value not in out:
            out.append(value)
    return out


def export_settings(args: dict[str, Any]) -> dict[str, Any]:
    """The job's CONFIG from the tool's arguments (every error says what to send instead)."""
    flavor = job_call.check_flavor(args["flavor"])
    model = job_call.check_ref("model", args["model"], flavor)
    base = job_call.check_ref("base_model", args["base_model"], flavor) if args.get("base_model") else None
    types = normalize_gguf_types(args["gguf_types"])
    hub_model = not job_call.is_local_ref(model)
    merged_repo = job_call.check_repo("merged_repo", args.get("merged_repo"))
    gguf_repo = job_call.check_repo("gguf_repo", args.get("gguf_repo"))
    if args["push"]:
        if merged_repo is None and hub_model and "/" in model:
            merged_repo = f"{model}-merged"
        if gguf_repo is None and types and merged_repo:
            gguf_repo = f"{merged_repo.removesuffix('-merged')}-GGUF"
    elif flavor != LOCAL_FLAVOR:
        raise PostTrainingError(
            "push=false on a cloud job would discard the export with the job's disk: push, or use 'local'"
        )
    if flavor != LOCAL_FLAVOR and merged_repo is None:
        raise PostTrainingError(
            f"{model!r} has no namespace to derive a repo from: send merged_repo='your-username/name-merged'"
        )
    name = Path(model).name if not hub_model else model.split("/")[-1]
    output_dir = args.get("output_dir") or (
        str(Path.cwd() / f"{name}-export") if flavor == LOCAL_FLAVOR else f"/tmp/{name}-export"
    )
    return {
        "model": model,
        "revision": args.get("revision"),
        "base_model": base,
        "base_revision": None,
        "dtype": args["dtype"],
        "output_dir": output_dir,
        "merged_repo": merged_repo,
        "gguf_repo": gguf_repo,
        "gguf_types": types,
        "gguf_name": name.removesuffix("-merged"),
        "private": args["private"],
        "trust_remote_code": args["trust_remote_code"],
        "check_prompt": CHECK_PROMPT,
        "converter": converter_source(),
        # The converter's sdist is kept between runs: in the server's data dir for local jobs.
        "cache_dir": str(data_dir() / "llama.cpp")
        if flavor == LOCAL_FLAVOR
        else "~/.cache/hf-train-mcp/llama.cpp",
    }


def export_dependencies(config: dict[str, Any]) -> list[str]:
    names = ["torch", "transformers", "peft", "accelerate"]  # huggingface_hub comes with transformers
    if config["gguf_types"]:
        names += ["gguf", "sentencepiece", "protobuf", "pip"]
    if any(t in K_QUANTS for t in config["gguf_types"]):
        names.append("llama-cpp-python")
    return requirements(*names)


def export_answer(args: dict[str, Any], save_to: str | None) -> Answer:
    config = export_settings(args)
    stem = f"export-{config['gguf_name']}"
    job = job_call.job_script(
        "merge_export", config, export_dependencies(config), args, save_to, title=TITLE, what=WHAT, stem=stem
    )
    kquants = [t for t in config["gguf_types"] if t in K_QUANTS]
    steps = ["merge the adapter in " + config["dtype"] + " (or re-save a full model)"]
    if config["merged_repo"]:
        steps.append(f"push the merged model to `{config['merged_repo']}`")
    if config["gguf_types"]:
        steps.append("convert with llama.cpp's convert_hf_to_gguf.py to " + ", ".join(config["gguf_types"]))
    if config["gguf_repo"]:
        steps.append(f"push the GGUF files and a how-to-run card to `{config['gguf_repo']}`")
    notes = []
    if kquants:
        notes.append(
            f"{', '.join(kquants)} use llama.cpp's quantizer: uv builds llama-cpp-python from source first "
            "(about 5-10 minutes of CPU; the timeout allows for it)."
        )
    if config["model"].startswith("/") or args["flavor"] == LOCAL_FLAVOR:
        notes.append("Runs on this machine (flavor 'local'): files land in `" + config["output_dir"] + "`.")
    markdown = "\n".join(
        [
            f"## Export job for `{config['model']}`",
            "",
            "The job will: " + "; ".join(steps) + ". Its last line is `HF_EXPORT_SUMMARY {...}`.",
            *(f"- {n}" for n in notes),
            "",
            *job.submit_markdown(),
            "",
            f"Then watch it: hf_jobs logs. Timeout {job.timeout} on `{args['flavor']}`.",
        ]
    )
    return Answer(markdown, job.data(config))
