"""The method step of `resolve`: adapter settings, then each method's own checks and CONFIG keys.

A new method adds its function to `METHOD_RULES` (with its request model in `arguments` and its row in
`runner_methods.METHODS`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from hf_train_mcp.training.arguments import SOLUTION_REWARDS
from hf_train_mcp.training.data_checks import mapped_columns
from hf_train_mcp.training.requests import (
    DPORequest,
    GRPORequest,
    KTORequest,
    RewardRequest,
    SFTRequest,
    batch_of,
    packing_of,
)

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


def _reward_settings(name: str, req: GRPORequest) -> dict[str, Any]:
    """The settings of TRL's reward factories, from the request's own lengths."""
    length = req.max_completion_length
    if name == "cosine_scaled":
        return {"max_len": length}
    if name == "soft_overlong":
        return {"max_completion_len": length, "soft_punish_cache": max(1, length // 4)}
    if name == "repetition_penalty":
        return {"ngram_size": 3, "max_penalty": -1.0}
    return {}


def _check_rewards(run: Run, req: GRPORequest, rewards: list[str]) -> None:
    sources = len(rewards) + (1 if req.reward_model else 0)
    if sources == 0:
        run.check(
            "rewards",
            "fail",
            "GRPO needs at least one reward: reward_funcs is empty and no reward_model is given",
            "pass reward_funcs (e.g. ['accuracy'] with a solution column, or ['think_format']) or "
            "reward_model",
        )
    if req.reward_weights is not None and len(req.reward_weights) != sources:
        run.check(
            "reward_weights",
            "fail",
            f"{len(req.reward_weights)} reward_weights for {sources} rewards "
            f"({', '.join(rewards + ([req.reward_model] if req.reward_model else []))})",
            "pass one weight per reward, in the order reward_funcs then reward_model, or leave it out "
            "(all 1)",
        )
    needs_solution = [r for r in rewards if r in SOLUTION_REWARDS]
    if needs_solution and req.dataset_columns is not None and "solution" not in mapped_columns(req):
        run.check(
            "rewards",
            "fail",
            f"reward {needs_solution[0]!r} compares each completion with the row's 'solution', and the "
            f"dataset has no solution column (after the mapping: {sorted(mapped_columns(req))})",
            'map the reference-answer column onto solution, e.g. column_mapping={"solution": "answer"}, '
            "or choose rewards that need no answer (think_format, repetition_penalty, soft_overlong)",
        )
    elif needs_solution:
        run.check(
            "rewards",
            "pass" if req.dataset_columns is not None else "info",
            f"{', '.join(needs_solution)} compare completions with the 'solution' column (math answers, "
            "parsed by math-verify, which the script pins)",
        )


def _grpo_rules(run: Run) -> dict[str, Any]:
    req = cast(GRPORequest, run.req)
    rewards = req.rewards()
    _check_rewards(run, req, rewards)
    batch, accumulation = batch_of(req)
    gpus = run.info.gpu_count if run.info is not None and run.is_gpu else 1
    generation_batch = batch * accumulation * gpus
    if generation_batch % req.num_generations:
        fits = [n for n in range(2, min(generation_batch, 64) + 1) if generation_batch % n == 0]
        run.check(
            "num_generations",
            "fail",
            f"num_generations={req.num_generations} does not divide the generation batch {generation_batch} "
            f"(batch {batch} x accumulation {accumulation} x {gpus} GPU(s)): the job would stop at "
            "start-up, after paying for the GPU",
            f"use num_generations in {fits}"
            if fits
            else "raise per_device_train_batch_size or "
            f"gradient_accumulation_steps to a multiple of {req.num_generations}",
        )
    else:
        run.check(
            "num_generations",
            "pass",
            f"{req.num_generations} completions per prompt; "
            f"{generation_batch // req.num_generations} prompts per generation batch",
        )
    eval_on = req.eval_split is not None or req.eval_fraction is not None
    if eval_on and (batch * gpus) % req.num_generations:
        run.check(
            "num_generations",
            "fail",
            f"evaluation generates for batches of {batch * gpus} (batch x GPUs), which num_generations="
            f"{req.num_generations} does not divide",
            f"use per_device_train_batch_size a multiple of {req.num_generations}, or no eval data",
        )
    if req.use_vllm:
        stack = ", ".join(f"{k}=={v}" for k, v in run.pinned.items())
        where = "" if run.is_gpu else f"; {run.flavor or 'this flavor'} has no GPU for it either"
        run.check(
            "use_vllm",
            "fail",
            f"vLLM generation is not available: the pinned stack ({stack}) does not include vllm, which pins "
            f"its own torch{where}",
            "leave use_vllm=False: completions are generated with transformers (slower, same results)",
        )
    if req.reward_model:
        run.check(
            "reward_model",
            "info",
            f"{req.reward_model} scores the completions on the training GPU: its weights are not in the "
            "memory estimate",
            "leave headroom for it (a flavor with more memory than the estimate), or a small reward model",
        )
    if req.grpo_beta > 0 and req.peft == "full":
        run.check(
            "reference_model",
            "info",
            f"grpo_beta={req.grpo_beta} with a full fine-tune keeps a frozen reference copy of the model",
            "use peft='lora' (the adapter is switched off for the reference) or grpo_beta=0",
        )
    run.check(
        "generation",
        "pass",
        f"{req.num_generations} completions of up to {req.max_completion_length} tokens per prompt "
        f"(prompts over {req.max_prompt_length} tokens are dropped), temperature {req.temperature}, "
        "generated with transformers",
    )
    return {
        "rewards": [{"name": name, "kwargs": _reward_settings(name, req)} for name in rewards],
        "reward_model": req.reward_model,
        "reward_weights": req.reward_weights,
        "num_generations": req.num_generations,
        "max_prompt_length": req.max_prompt_length,
        "max_completion_length": req.max_completion_length,
        "beta": req.grpo_beta,
        "temperature": req.temperature,
    }


def _kto_rules(run: Run) -> dict[str, Any]:
    req = cast(KTORequest, run.req)
    batch, _ = batch_of(req)
    if req.kto_loss_type == "kto" and batch < 2:
        run.check(
            "per_device_train_batch_size",
            "fail",
            "KTO's loss estimates its KL term from the other completions of the batch: a batch of 1 fails",
            "use per_device_train_batch_size=2 or more, or kto_loss_type='apo_zero_unpaired'",
        )
    if req.peft == "full":
        run.check(
            "reference_model",
            "info",
            "full KTO keeps a second frozen copy of the model as reference (twice the weights in memory)",
            "use peft='lora' to train without a reference copy",
        )
    return {
        "beta": req.beta,
        "loss_type": req.kto_loss_type,
        "desirable_weight": req.desirable_weight,
        "undesirable_weight": req.undesirable_weight,
    }


def _reward_rules(run: Run) -> dict[str, Any]:
    req = cast(RewardRequest, run.req)
    run.check(
        "reward_head",
        "pass",
        "the model is loaded as a sequence classifier with one score (a new head); with LoRA the head is "
        "trained and saved with the adapter",
    )
    return {"center_rewards_coefficient": req.center_rewards_coefficient}


# method -> its own checks and CONFIG keys (a new method adds a row).
METHOD_RULES: dict[str, Callable[[Run], dict[str, Any]]] = {
    "sft": _sft_rules,
    "dpo": _dpo_rules,
    "grpo": _grpo_rules,
    "kto": _kto_rules,
    "reward": _reward_rules,
}


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
