"""GRPO's KL reference model: a second frozen 16-bit copy of the weights when beta > 0 and the whole model
trains; none with an adapter (the reference is the base with the adapter switched off) and none at beta 0.

The copy's size is checked against the model's public parameter count (Qwen2.5-0.5B: 494,032,768
parameters, config.json on the Hub), not against the module's own figures.
"""

from __future__ import annotations

import pytest
from hf_train_mcp.hardware import api

QWEN_05B_PARAMS = 494_032_768
BF16_COPY_GIB = QWEN_05B_PARAMS * 2 / 2**30  # 0.92 GiB


def need(flavor: str = "a100-large", **plan: object) -> float:
    rec = api.estimate(api.TrainingPlan(model="Qwen/Qwen2.5-0.5B", method="grpo", **plan), flavor)
    return rec.memory["total_gb"]


@pytest.mark.parametrize("beta", [0.04, 0.001])
def test_a_full_grpo_run_with_a_kl_term_needs_a_reference_copy(beta: float) -> None:
    extra = need(peft="full", grpo_beta=beta) - need(peft="full", grpo_beta=0.0)
    assert extra == pytest.approx(BF16_COPY_GIB, rel=0.15)


@pytest.mark.parametrize("peft", ["lora", "qlora"])
def test_an_adapter_needs_no_reference_copy(peft: str) -> None:
    assert need(peft=peft, grpo_beta=0.04) == pytest.approx(need(peft=peft, grpo_beta=0.0), abs=0.01)


def test_the_reference_copy_can_change_the_recommended_flavor() -> None:
    """On a 7B full fine-tune the copy (about 14 GiB) is what a user pays for: the need grows by it."""
    plan = dict(model="Qwen/Qwen2.5-7B", method="grpo", peft="full")
    with_ref = api.estimate(api.TrainingPlan(**plan, grpo_beta=0.04), "h200").memory["total_gb"]
    without = api.estimate(api.TrainingPlan(**plan, grpo_beta=0.0), "h200").memory["total_gb"]
    assert with_ref - without == pytest.approx(7.6e9 * 2 / 2**30, rel=0.15)  # ~7.6B parameters
