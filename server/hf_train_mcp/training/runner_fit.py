"""Gradient checkpointing and micro-batch size from the memory model: one rule, used twice.

`resolve.decide_memory` applies it when the script is generated for a known GPU (the flavor's usable memory);
a script generated for flavor 'local' carries the memory model's figures in CONFIG (`memory_fit`) and applies
the same rule at start from the device it finds and its free memory (`fit_for_device`). Pure Python: torch
is imported inside `device_limit_gib` only. Inlined into every rendered script.

The rule, for an effective batch E (sequences per optimizer step per GPU, what the user asked for):
- checkpointing: the user's value; otherwise off when some micro-batch fits without it (checkpointing costs a
  recomputed forward, ~14% on an H200 for a 0.5B LoRA run, and saves nothing when the peak is elsewhere),
  on when nothing fits without it;
- micro-batch: the user's value; otherwise the largest divisor of E (so E is kept exactly by the gradient
  accumulation) up to `MAX_MICRO_BATCH` that fits;
- accumulation: E / micro-batch (the user's accumulation when they also set the micro-batch).
"""

from __future__ import annotations

# hf-train-mcp: inlined into scripts from here
MAX_MICRO_BATCH = 32  # beyond this a GPU is busy anyway; bigger micro-batches only add memory risk


def batch_candidates(effective_batch: int) -> list[int]:
    """Micro-batch sizes that keep the effective batch exactly, largest first (at most MAX_MICRO_BATCH)."""
    effective_batch = max(1, int(effective_batch))
    return [b for b in range(min(effective_batch, MAX_MICRO_BATCH), 0, -1) if effective_batch % b == 0]


def choose_fit(needs: dict, limit_gib: float, fit: dict) -> dict:
    """The rule above. `needs[(checkpointing, batch)]`: peak GiB per GPU; `limit_gib`: what may be used.

    `fit`: effective_batch, and the user's `batch`, `accumulation`, `checkpointing` (None: decide).
    Returns gradient_checkpointing, per_device_train_batch_size, gradient_accumulation_steps, need_gib,
    fits and `why` (one sentence for the checks and the log)."""
    user_batch, user_ckpt = fit.get("batch"), fit.get("checkpointing")
    effective = fit["effective_batch"]
    batches = [user_batch] if user_batch else batch_candidates(effective)

    def fits(ckpt: bool, batch: int) -> bool:
        need = needs.get((ckpt, batch))
        return need is not None and need <= limit_gib

    ckpt_options = [user_ckpt] if user_ckpt is not None else [False, True]
    choice = None
    for ckpt in ckpt_options:
        fitting = [b for b in batches if fits(ckpt, b)]
        if fitting:
            choice = (ckpt, fitting[0])
            break
    fits_at_all = choice is not None
    if choice is None:  # nothing fits: the least memory there is (the checks say so)
        ckpt = True if user_ckpt is None else user_ckpt
        choice = (ckpt, batches[-1])
    ckpt, batch = choice
    if user_batch and fit.get("accumulation"):
        accumulation = fit["accumulation"]
    else:
        accumulation = max(1, -(-effective // batch))
    need = needs.get((ckpt, batch))
    if not fits_at_all:
        why = f"does not fit in {limit_gib:.1f} GiB even with the least memory ({need or 0:.1f} GiB)"
    elif user_ckpt is None and ckpt:
        why = f"checkpointing on: no micro-batch fits {limit_gib:.1f} GiB without it"
    elif user_ckpt is None:
        why = "checkpointing off: the run fits without recomputing activations"
    else:
        why = f"checkpointing {'on' if ckpt else 'off'} as asked"
    return {
        "gradient_checkpointing": bool(ckpt),
        "per_device_train_batch_size": batch,
        "gradient_accumulation_steps": accumulation,
        "need_gib": need,
        "fits": fits_at_all,
        "why": why,
    }


def needs_from_rows(rows: list) -> dict:
    """CONFIG's `memory_fit["needs_gib"]` rows [checkpointing, batch, GiB] as `choose_fit`'s mapping."""
    return {(bool(ckpt), int(batch)): float(gib) for ckpt, batch, gib in rows}


def device_facts() -> tuple[str, int, int, bool] | None:
    """(name, free bytes, total bytes, has bf16) of this process's CUDA device, or None without CUDA."""
    import torch

    if not torch.cuda.is_available():
        return None
    free, total = torch.cuda.mem_get_info()
    return torch.cuda.get_device_name(0), int(free), int(total), bool(torch.cuda.is_bf16_supported())


def fit_for_device(memory_fit: dict, device: tuple[str, int, int, bool] | None) -> dict:
    """The decisions for flavor 'local', from the device found at start (`device`: `device_facts()`).

    The memory model's figures include the CUDA context (`context_gib`), which is already taken when the
    free memory is read: the limit is (free + context) x limit_fraction; a GPU without bf16 is sized by
    the fp16 figures (a full fine-tune keeps fp32 master weights there). Without CUDA (a CPU rehearsal)
    nothing is measured: checkpointing off unless asked, the largest micro-batch up to `cpu_batch` that keeps
    the effective batch."""
    if device is None:
        cap = memory_fit.get("cpu_batch") or 1
        batch = memory_fit.get("batch") or max(
            b for b in batch_candidates(memory_fit["effective_batch"]) if b <= cap
        )
        needs = {(ckpt, batch): 0.0 for ckpt in (False, True)}
        out = choose_fit(needs, 0.0, {**memory_fit, "batch": batch})
        out["why"] = "no CUDA device: " + out["why"]
        return out
    name, free, total, bf16 = device
    limit_gib = (free / 2**30 + memory_fit["context_gib"]) * memory_fit["limit_fraction"]
    rows = memory_fit["needs_gib"] if bf16 else memory_fit["needs_gib_fp16"]
    out = choose_fit(needs_from_rows(rows), limit_gib, memory_fit)
    out["why"] = f"{name} with {free / 2**30:.1f} of {total / 2**30:.1f} GiB free: {out['why']}"
    return out
