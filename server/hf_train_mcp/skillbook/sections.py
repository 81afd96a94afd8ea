"""The generated blocks of the skills, each computed from the same data the tools use.

Add a section by adding a function to SECTIONS; reference it in a skill with
`<!-- generated:NAME -->` ... `<!-- /generated:NAME -->` and run the generator.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hf_train_mcp.hardware.api import bundled_flavors
from hf_train_mcp.toolkit import md_table


def flavors_table() -> str:
    """Every bundled flavor with its GPU, memory and price (the tools' fallback catalog)."""
    rows = []
    for f in bundled_flavors().values():
        gpu = f"{f.gpu_count}x {f.gpu} ({f.vram_gb_total:g} GB)" if f.gpu else "–"
        precision = "bf16" if f.bf16 else ("fp16" if f.gpu else "–")
        rows.append([f"`{f.name}`", gpu, precision, f.vcpu, f"{f.ram_gb:g}", f"${f.price_per_hour:.2f}"])
    note = (
        "Prices in USD per hour, billed per minute; from the bundled table. `hf_jobs` "
        '`{"operation": "hardware"}` shows the live list.'
    )
    headers = ["flavor", "GPUs (total VRAM)", "precision", "vCPU", "RAM GB", "$/h"]
    return md_table(headers, rows) + "\n\n" + note


def _described_default(field: Any) -> Any:
    """A field decided at generation time (default None) shows its description's 'Default: ...'."""
    if field.default is not None:
        return field.default
    return (field.description or "").rsplit("Default: ", 1)[-1].strip()


def training_defaults_table() -> str:
    """The generator's defaults per method and adapter kind, read from its request models."""
    from hf_train_mcp.training.arguments import DEFAULT_BATCH, DEFAULT_LR
    from hf_train_mcp.training.requests import REQUEST_MODELS

    rows = []
    for (method, peft), lr in DEFAULT_LR.items():
        batch, accumulation = DEFAULT_BATCH[method]
        rows.append([method.upper(), peft, f"{lr:g}", f"{batch * accumulation} ({batch} x {accumulation})"])
    headers = ["method", "peft", "learning rate", "effective batch (micro-batch x accumulation)"]
    table = md_table(headers, rows)
    table += (
        "\n\nThe micro-batch is the largest that fits the GPU (memory model), with the accumulation adjusted "
        "to keep the effective batch; a `per_device_train_batch_size` you set is kept."
    )
    fields = REQUEST_MODELS["sft"].model_fields
    dpo = REQUEST_MODELS["dpo"].model_fields
    grpo = REQUEST_MODELS["grpo"].model_fields
    kto = REQUEST_MODELS["kto"].model_fields
    common = [
        ("max_length", fields["max_length"].default),
        ("num_train_epochs", fields["num_train_epochs"].default),
        (
            "lora_r / lora_alpha / lora_dropout",
            f"{fields['lora_r'].default} / {fields['lora_alpha'].default} / {fields['lora_dropout'].default}",
        ),
        ("lora_target_modules", fields["lora_target_modules"].default),
        (
            "lr_scheduler_type / warmup_ratio",
            f"{fields['lr_scheduler_type'].default} / {fields['warmup_ratio'].default}",
        ),
        ("gradient_checkpointing", _described_default(fields["gradient_checkpointing"])),
        ("packing (SFT)", _described_default(fields["packing"])),
        ("save_steps (checkpoints pushed to the Hub)", fields["save_steps"].default),
        ("DPO beta / loss_type", f"{dpo['beta'].default} / {dpo['loss_type'].default}"),
        ("KTO beta / kto_loss_type", f"{kto['beta'].default} / {kto['kto_loss_type'].default}"),
        (
            "GRPO num_generations / max_prompt_length / max_completion_length",
            f"{grpo['num_generations'].default} / {grpo['max_prompt_length'].default} / "
            f"{grpo['max_completion_length'].default}",
        ),
        ("GRPO grpo_beta / temperature", f"{grpo['grpo_beta'].default} / {grpo['temperature'].default}"),
        (
            "GRPO reward_funcs (without a reward_model)",
            ", ".join(REQUEST_MODELS["grpo"](model="m", dataset="d").rewards()),  # type: ignore[attr-defined]
        ),
    ]
    settings = md_table(["setting", "default"], [[f"`{k}`", f"`{v}`"] for k, v in common])
    return table + "\n\n" + settings


def hf_jobs_operations_table() -> str:
    """Every hf_jobs operation with its arguments, defaults and the other spellings it accepts."""
    from hf_train_mcp.jobs.args import OPERATIONS

    rows = []
    for operation, model in OPERATIONS.items():
        required, optional = [], []
        for name, field in model.model_fields.items():
            if name == "namespace":
                continue
            if field.is_required():
                required.append(f"`{name}`")
            else:
                default = field.get_default(call_default_factory=True)
                optional.append(f"`{name}`" + (f" ({default})" if default not in (None, [], {}) else ""))
        aliases = ", ".join(f"`{alias}`→`{target}`" for alias, target in sorted(model.aliases.items()))
        rows.append(
            [f"`{operation}`", ", ".join(required) or "–", ", ".join(optional) or "–", aliases or "–"]
        )
    note = "Every operation also takes `namespace` (default: the token's user) and `help`."
    return md_table(["operation", "required", "optional (default)", "also accepted"], rows) + "\n\n" + note


TYPICAL_PLANS = (
    ("Qwen/Qwen2.5-0.5B", "full"),
    ("Qwen/Qwen2.5-1.5B", "lora"),
    ("meta-llama/Llama-3.2-3B", "lora"),
    ("Qwen/Qwen2.5-7B", "lora"),
    ("Qwen/Qwen2.5-7B", "qlora"),
    ("meta-llama/Llama-3.1-8B", "full"),
    ("Qwen/Qwen2.5-14B", "qlora"),
    ("Qwen/Qwen2.5-32B", "qlora"),
    ("meta-llama/Llama-3.1-70B", "qlora"),
)
TYPICAL_EXAMPLES = 10_000
TYPICAL_LENGTH = 2048


def typical_picks_table() -> str:
    """What recommend_hardware picks for common SFT plans, priced with the bundled table."""
    from hf_train_mcp.hardware import catalog
    from hf_train_mcp.hardware.api import TrainingPlan, recommend

    catalog.reset()  # the bundled table: the same answer wherever this is generated
    rows = []
    for model, peft in TYPICAL_PLANS:
        plan = TrainingPlan(
            model=model,
            method="sft",
            peft=peft,
            max_length=TYPICAL_LENGTH,
            dataset_examples=TYPICAL_EXAMPLES,
            epochs=1.0,
        )
        rec = recommend(plan)
        hours = f"{rec.est_hours:.1f}" if rec.est_hours is not None else "?"
        cost = f"${rec.est_cost_usd:.2f}" if rec.est_cost_usd is not None else "?"
        rows.append(
            [
                f"`{model}`",
                peft,
                f"`{rec.flavor}`" if rec.fits else "nothing fits",
                f"{rec.memory.get('total_gb', 0):.1f}",
                hours,
                cost,
                rec.timeout,
            ]
        )
    intro = (
        f"SFT, {TYPICAL_EXAMPLES:,} examples of up to {TYPICAL_LENGTH} tokens, 1 epoch, batch 1, gradient "
        "checkpointing; computed by `recommend_hardware` with the bundled prices. Ask the tool for your plan."
    )
    headers = ["model", "peft", "flavor", "GB per GPU", "hours", "cost", "timeout"]
    return intro + "\n\n" + md_table(headers, rows)


SECTIONS: dict[str, Callable[[], str]] = {
    "flavors": flavors_table,
    "training_defaults": training_defaults_table,
    "hf_jobs_operations": hf_jobs_operations_table,
    "typical_picks": typical_picks_table,
}
