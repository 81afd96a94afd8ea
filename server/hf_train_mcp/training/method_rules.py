"""The method step of `resolve`: adapter settings, then each method's own checks and CONFIG keys.

A new method adds its function to `METHOD_RULES` (with its request model in `arguments` and its row in
`runner.METHODS`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from hf_train_mcp.training.arguments import DPORequest, SFTRequest, packing_of
from hf_train_mcp.training.data_checks import mapped_columns

if TYPE_CHECKING:
    from hf_train_mcp.training.resolve import Run


def _sft_rules(run: Run) -> dict[str, Any]:
    req = cast(SFTRequest, run.req)
    packing, why = packing_of(req)
    if packing and req.packing and req.trust_remote_code:
        run.check(
            "packing",
            "warn",
            f"{why}; with trust_remote_code the model's own attention must keep packed rows apart",
            "leave packing unset (off with trust_remote_code) unless the model uses transformers' masking",
        )
    else:
        run.check("packing", "pass" if packing else "info", why)
    if req.assistant_only_loss and req.dataset_columns is not None and "messages" not in mapped_columns(req):
        run.check(
            "assistant_only_loss",
            "fail",
            "assistant_only_loss needs conversational data (a 'messages' column)",
            "map the conversation column onto 'messages', or set assistant_only_loss=False",
        )
    return {
        "assistant_only_loss": req.assistant_only_loss,
        "completion_only_loss": req.completion_only_loss,
        "packing": packing,
    }


def _dpo_rules(run: Run) -> dict[str, Any]:
    req = cast(DPORequest, run.req)
    if req.peft == "full":
        run.check(
            "reference_model",
            "info",
            "full DPO keeps a second frozen copy of the model as reference (twice the weights in memory)",
            "use peft='lora' to train without a reference copy",
        )
    return {"beta": req.beta, "loss_type": req.loss_type}


# method -> its own checks and CONFIG keys (a new method adds a row).
METHOD_RULES: dict[str, Callable[[Run], dict[str, Any]]] = {"sft": _sft_rules, "dpo": _dpo_rules}


def decide_method(run: Run) -> dict[str, Any]:
    """Adapter and method rules: the LoRA settings, QLoRA's note, then `METHOD_RULES[method]`."""
    req = run.req
    out: dict[str, Any] = {}
    if req.peft == "qlora":
        run.check("quantization", "pass", "4-bit NF4 base weights with a LoRA adapter (QLoRA)")
    if req.peft in ("lora", "qlora"):
        out["lora"] = {
            "r": req.lora_r,
            "alpha": req.lora_alpha,
            "dropout": req.lora_dropout,
            "target_modules": req.lora_target_modules,
        }
    if req.method != "sft":
        run.check("packing", "info", packing_of(req)[1])
    return {**out, **METHOD_RULES[req.method](run)}
