"""The hardware knowledge other capabilities call (training-script defaults, prepare_training, skills).

This file is the contract: the data types (contract.py), the flavor catalog's one lookup, one price and
one unknown-flavor message (catalog.py), the memory fit (memory.py) and the choice of flavor
(recommend.py), re-exported here. Pure functions, no heavy imports: the server process stays light.
It imports its siblings; none of them imports it.
"""

from __future__ import annotations

from hf_train_mcp.hardware import catalog, memory
from hf_train_mcp.hardware import recommend as _engine
from hf_train_mcp.hardware.catalog import (
    _bundled,
    bundled_flavors,
    lookup,
    price_per_hour,
    run_cost,
    unknown_flavor_message,
)
from hf_train_mcp.hardware.contract import (
    FlavorInfo,
    HardwareError,
    Method,
    Peft,
    Recommendation,
    TrainingPlan,
    UnknownFlavorError,
    UnknownModelError,
)
from hf_train_mcp.hardware.memory import FIT_MARGIN, Fit
from hf_train_mcp.hardware.models import resolve
from hf_train_mcp.hardware.recommend import TIMEOUT_FACTOR, BudgetVerdict, budget_verdict

__all__ = [
    "FIT_MARGIN",
    "TIMEOUT_FACTOR",
    "BudgetVerdict",
    "Fit",
    "FlavorInfo",
    "HardwareError",
    "Method",
    "Peft",
    "Recommendation",
    "TrainingPlan",
    "UnknownFlavorError",
    "UnknownModelError",
    "_bundled",
    "budget_verdict",
    "bundled_flavors",
    "estimate",
    "fit",
    "flavor_info",
    "lookup",
    "price_per_hour",
    "recommend",
    "run_cost",
    "unknown_flavor_message",
]


def flavor_info(name: str) -> FlavorInfo | None:
    """Facts about one flavor (live list when available, bundled table otherwise); None if unknown.

    Never touches the network: the live list is whatever the catalog has already fetched.
    """
    return catalog.current().get(name)


def recommend(
    plan: TrainingPlan, *, budget_usd: float | None = None, max_hours: float | None = None
) -> Recommendation:
    """Cheapest flavor that fits the plan, with estimate, timeout, alternatives and reasons.

    When nothing fits, the answer has `fits=False` (the flavor with the most memory per GPU) and its
    notes say what to change. When flavors fit but none within `budget_usd`, the answer is the cheapest
    fit with `within_budget=False`; `budget_verdict()` words that headline. Raises HardwareError
    (UnknownModelError) when the model's shape is unknown.
    """
    return _engine.recommend(plan, budget_usd=budget_usd, max_hours=max_hours)


def estimate(plan: TrainingPlan, flavor: str) -> Recommendation:
    """The same figures for one given flavor (fits may be False). Raises UnknownFlavorError."""
    return _engine.estimate(plan, flavor)


def fit(plan: TrainingPlan, flavor: str | FlavorInfo, *, allow_hub: bool = True) -> Fit:
    """Does `plan` fit one GPU of `flavor` with the margin? Need, usable, limit and headroom in GiB.

    The function to search over settings with: change `gradient_checkpointing`, `batch_size`,
    `packing`, `peft`, `optimizer`, `load_dtype`, `sharding` on the plan and ask again (microseconds
    for a bundled model). allow_hub=False: bundled and local models only, no network. Raises
    UnknownFlavorError, UnknownModelError.
    """
    info = lookup(flavor) if isinstance(flavor, str) else flavor
    shape = resolve(plan.model, plan.params_b, allow_hub=allow_hub)
    return memory.fit(shape, plan, info)
