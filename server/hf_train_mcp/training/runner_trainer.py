"""The TRL trainer the training script builds from CONFIG and the device it finds (part of
`training.runner`): weights dtype and mixed precision, the memory fit for flavor 'local', the LoRA adapter,
4-bit quantization, the method's config arguments, the progress callback, and the trainer itself.

These are run-time choices (not template branches) so one script body serves every method and adapter, and
unit tests call them on a CONFIG without training. Inlined into every rendered script (its code after the
marker below, without its hf_train_mcp imports); heavy libraries are imported inside functions.
"""

from __future__ import annotations

# hf-train-mcp: inlined into scripts from here
import argparse
import os
import time
from typing import Any

from hf_train_mcp.training.runner_fit import device_facts, fit_for_device
from hf_train_mcp.training.runner_io import fail, log
from hf_train_mcp.training.runner_methods import METHODS

# --------------------------------------------------------------------------------------------------
# Device
# --------------------------------------------------------------------------------------------------


def precision(cfg: dict, args: argparse.Namespace) -> dict:
    """dtype to load the weights in and the mixed-precision flags, checked against the visible device."""
    import torch

    if not torch.cuda.is_available():
        if cfg["gpu_count"] and not args.dry_run:
            fail(
                f"no CUDA device is visible, but this script was generated for {cfg['flavor']} "
                f"({cfg['gpu_count']} GPU(s)). Run it on that flavor, or with --dry-run for a CPU rehearsal."
            )
        return {"dtype": "float32", "bf16": False, "fp16": False, "use_cpu": True, "device": "cpu"}
    dtype, mode = cfg["dtype"], cfg["mixed_precision"]
    bf16_ok = torch.cuda.is_bf16_supported()
    if dtype == "auto":
        if bf16_ok:
            dtype, mode = "bfloat16", "bf16"
        else:
            dtype, mode = ("float32" if cfg["peft"] == "full" else "float16"), "fp16"
    if mode == "auto":  # a dtype given for flavor 'local': autocast as a Hub flavor with this GPU would
        mode = "fp16" if dtype == "float16" or not bf16_ok else "bf16"
    if (dtype == "bfloat16" or mode == "bf16") and not bf16_ok:
        fail(
            f"this GPU ({torch.cuda.get_device_name(0)}) has no bfloat16. Regenerate the script for this "
            "flavor (fp16 mixed precision on T4)."
        )
    return {
        "dtype": dtype,
        "bf16": mode == "bf16",
        "fp16": mode == "fp16",
        "use_cpu": False,
        "device": "cuda",
    }


def decide_memory_fit(cfg: dict) -> None:
    """Flavor 'local': checkpointing and micro-batch from the device found and its free memory, by the rule
    the generator applies for a known flavor (`runner_fit`); the effective batch is kept."""
    memory_fit = cfg.get("memory_fit")
    if not memory_fit:
        return
    decided = fit_for_device(memory_fit, device_facts())
    for key in ("gradient_checkpointing", "per_device_train_batch_size", "gradient_accumulation_steps"):
        cfg[key] = decided[key]
    need = f", peak about {decided['need_gib']:.1f} GiB" if decided["need_gib"] else ""
    ckpt = "on" if cfg["gradient_checkpointing"] else "off"
    log(
        f"memory: micro-batch {cfg['per_device_train_batch_size']} x accumulation "
        f"{cfg['gradient_accumulation_steps']}, checkpointing {ckpt}{need} ({decided['why']})"
    )
    if not decided["fits"]:
        log("warning: the memory model says this run may not fit this GPU; lower max_length or use QLoRA")


def make_callback(cfg: dict, device: str):
    from transformers import TrainerCallback

    every = cfg["save_every_minutes"]

    class Progress(TrainerCallback):
        """Saves (so pushes) a checkpoint at least every `every` minutes; keeps the number of real (non-pad)
        tokens this session trained on from TRL's own logged count (`num_tokens`, counted in this process
        since it started), so the script adds no host-device sync of its own per micro-batch."""

        def __init__(self):
            self.last_save = time.time()
            self.tokens = 0

        def on_log(self, args, state, control, logs=None, **kwargs):
            self.tokens = max(self.tokens, int((logs or {}).get("num_tokens") or 0))

        def on_step_end(self, args, state, control, **kwargs):
            if every and time.time() - self.last_save >= every * 60:
                control.should_save = True

        def on_save(self, args, state, control, **kwargs):
            self.last_save = time.time()

    return Progress()


# --------------------------------------------------------------------------------------------------
# Adapter, quantization, trainer: run-time choices from CONFIG
# --------------------------------------------------------------------------------------------------


def peft_config(cfg: dict) -> Any:
    """The LoRA adapter to train (LoRA and QLoRA), or None for a full fine-tune."""
    if cfg["peft"] not in ("lora", "qlora"):
        return None
    from peft import LoraConfig

    lora = cfg["lora"]
    return LoraConfig(
        r=lora["r"],
        lora_alpha=lora["alpha"],
        lora_dropout=lora["dropout"],
        target_modules=lora["target_modules"],
        bias="none",
        task_type=METHODS[cfg["method"]].task_type,
    )


def quantization_config(cfg: dict, hw: dict) -> Any:
    """4-bit NF4 base weights for QLoRA (CUDA only), or None."""
    if cfg["peft"] != "qlora":
        return None
    if hw["device"] != "cuda":
        fail("4-bit QLoRA needs a CUDA GPU (bitsandbytes); rehearse with peft='lora' on CPU instead")
    import torch
    from transformers import BitsAndBytesConfig

    return BitsAndBytesConfig(
        load_in_4bit=True,
        bnb_4bit_quant_type="nf4",
        bnb_4bit_use_double_quant=True,
        bnb_4bit_compute_dtype=getattr(torch, hw["dtype"]),
    )


def training_args(cfg: dict, hw: dict, has_eval: bool, world_size: int = 1) -> dict:
    """Keyword arguments of the method's TRL config class: the shared Trainer settings + `Method.args`."""
    push = bool(cfg["push_to_hub"] and cfg["hub_model_id"])
    model_init_kwargs = {"dtype": hw["dtype"], "attn_implementation": cfg["attn_implementation"]}
    if cfg["model_revision"]:
        model_init_kwargs["revision"] = cfg["model_revision"]
    return {
        "output_dir": cfg["output_dir"],
        "num_train_epochs": cfg["num_train_epochs"],
        "max_steps": cfg["max_steps"] or -1,
        "per_device_train_batch_size": cfg["per_device_train_batch_size"],
        "per_device_eval_batch_size": cfg["per_device_train_batch_size"],
        "gradient_accumulation_steps": cfg["gradient_accumulation_steps"],
        "learning_rate": cfg["learning_rate"],
        "lr_scheduler_type": cfg["lr_scheduler_type"],
        "warmup_steps": cfg["warmup_ratio"],
        "weight_decay": cfg["weight_decay"],
        "activation_checkpointing": cfg["gradient_checkpointing"],
        # No host-device sync per micro-batch beyond TRL's own metrics: the NaN/Inf filter of the logged loss
        # (`torch.isnan(loss)` after every backward) and `include_num_input_tokens_seen` (a `.item()` per
        # micro-batch) each stop the CPU from queuing the next micro-batch while the GPU works.
        "logging_nan_inf_filter": False,
        "include_num_input_tokens_seen": "no",
        "bf16": hw["bf16"],
        "fp16": hw["fp16"],
        "use_cpu": hw["use_cpu"],
        "model_init_kwargs": model_init_kwargs,
        "trust_remote_code": cfg["trust_remote_code"],
        "logging_steps": cfg["logging_steps"],
        "logging_first_step": True,
        "save_strategy": "steps",
        "save_steps": cfg["save_steps"],
        "save_total_limit": 2,
        "eval_strategy": cfg["eval_strategy"] if has_eval else "no",
        "eval_steps": cfg["eval_steps"],
        "push_to_hub": push,
        "hub_model_id": cfg["hub_model_id"] if push else None,
        "hub_strategy": "checkpoint",
        "hub_private_repo": cfg["private"],
        "report_to": "trackio" if cfg["trackio"] else "none",
        "project": cfg["trackio_project"],
        "trackio_space_id": cfg["trackio_space_id"],
        "run_name": cfg["run_name"],
        "ddp_find_unused_parameters": False if world_size > 1 else None,
        "seed": cfg["seed"],
        **METHODS[cfg["method"]].args(cfg),
    }


def build_trainer(cfg: dict, hw: dict, tokenizer: Any, train_dataset: Any, eval_dataset: Any) -> Any:
    """The method's TRL trainer (from `METHODS`), with the adapter and quantization CONFIG asks for."""
    import trl

    method = METHODS[cfg["method"]]
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    config_class = getattr(trl, method.config)
    args = config_class(**training_args(cfg, hw, eval_dataset is not None, world_size))
    extra = {}
    adapter = peft_config(cfg)
    if adapter is not None:
        extra["peft_config"] = adapter
    quantization = quantization_config(cfg, hw)
    if quantization is not None:
        extra["quantization_config"] = quantization
    if method.trainer_kwargs is not None:
        extra.update(method.trainer_kwargs(cfg))
    trainer = getattr(trl, method.trainer)(
        model=cfg["model"],
        args=args,
        train_dataset=train_dataset,
        eval_dataset=eval_dataset,
        processing_class=tokenizer,
        **extra,
    )
    if cfg["method"] == "sft":
        packing = (
            "on (bfd, padding-free rows of max_length)" if cfg["packing"] else "off (rows padded per batch)"
        )
        log(f"packing: {packing}")
    if cfg["method"] in ("dpo", "kto", "grpo"):
        if getattr(trainer, "ref_model", None) is not None:
            reference = "a frozen copy of the model"
        elif cfg["method"] == "grpo" and not cfg["beta"]:
            reference = "none (beta 0: no KL term)"
        else:
            reference = "none (the adapter is switched off to compute reference log-probs)"
        log(f"reference model: {reference}")
    return trainer
