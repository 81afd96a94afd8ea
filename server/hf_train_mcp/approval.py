"""Cost approval: a submission that costs money is approved by the person, or refused by the server's cap.

- `HF_TRAIN_MCP_MAX_JOB_USD` (optional): the most one job may cost at worst (price per hour x timeout);
  a larger job is refused outright, before anyone is asked.
- Where the client supports MCP elicitation, the person is asked ("Submit `a100-large` for at most 4 h,
  up to $10.00?"); decline or cancel means nothing is submitted. The question is asked by a `Resolve`
  resolver (`mcp.server.mcpserver.resolve`), the SDK's way that works under every protocol version.
- Clients without elicitation keep the two-step flow: the plan (or a dry run) shows the cost, and the
  agent submits once the person agreed.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, Field

from hf_train_mcp.errors import AgentError

MAX_JOB_USD_ENV = "HF_TRAIN_MCP_MAX_JOB_USD"
NOT_ASKED = "not_asked"  # the resolver's outcome when nobody needs to be (or can be) asked


class CostRefused(AgentError, ValueError):
    """Over the server's spending cap, or declined by the person: nothing was submitted."""


class Approve(BaseModel):
    """The form the person answers."""

    approve: bool = Field(description="Submit this job and pay for it?")


@dataclass(frozen=True)
class Cost:
    flavor: str
    price_per_hour: float
    timeout_seconds: int

    @property
    def hours(self) -> float:
        return self.timeout_seconds / 3600

    @property
    def max_usd(self) -> float:
        """What the job costs at worst: it runs until its timeout (billed per started minute)."""
        from hf_train_mcp.hardware.catalog import run_cost

        return run_cost(self.price_per_hour, self.timeout_seconds)

    def question(self) -> str:
        hours = f"{self.hours:.2f}".rstrip("0").rstrip(".")
        return (
            f"Submit `{self.flavor}` for at most {hours} h, up to ${self.max_usd:.2f} "
            f"(${self.price_per_hour:.2f}/h until the timeout)?"
        )


@dataclass(frozen=True)
class SpaceCost:
    """A demo Space on paid hardware: billed per hour while it runs, until it sleeps without visitors.
    Not a job (no timeout bounds it), so the per-job cap does not apply; the person is still asked."""

    hardware: str
    price_per_hour: float
    sleep_minutes: int

    def question(self) -> str:
        return (
            f"Create a Space on `{self.hardware}` at ${self.price_per_hour:.2f}/h, billed while it runs "
            f"(it sleeps after {self.sleep_minutes} min without visitors)?"
        )


def cost_of(flavor: str, timeout_seconds: int | None) -> Cost | None:
    """The cost of a job on `flavor`, or None when it costs nothing (this machine, SSH hosts) or the price
    is unknown (the submission itself then reports the unknown flavor)."""
    from hf_train_mcp.jobs.formatting import price_per_hour
    from hf_train_mcp.jobs.model import is_own_machine

    if is_own_machine(flavor) or not timeout_seconds:
        return None
    price = price_per_hour(flavor)
    if not price:
        return None
    return Cost(flavor, float(price), int(timeout_seconds))


def spending_cap() -> float | None:
    """The server's cap per job in USD (`HF_TRAIN_MCP_MAX_JOB_USD`), None when unset."""
    raw = os.environ.get(MAX_JOB_USD_ENV, "").strip()
    if not raw:
        return None
    try:
        cap = float(raw)
    except ValueError:
        cap = math.nan
    if not math.isfinite(cap) or cap < 0:
        raise CostRefused(
            f"{MAX_JOB_USD_ENV}={raw!r} is not an amount in USD: the server's operator must set a number "
            "such as 20, or unset it. Nothing was submitted."
        )
    return cap


def over_cap(cost: Cost | SpaceCost | None) -> bool:
    if not isinstance(cost, Cost):
        return False
    cap = spending_cap()
    return cap is not None and cost.max_usd > cap


def enforce_cap(cost: Cost | SpaceCost | None) -> None:
    """Refuse a job whose worst-case cost is above the server's cap."""
    if over_cap(cost):
        assert isinstance(cost, Cost)
        cap = spending_cap()
        raise CostRefused(
            f"This server refuses jobs that may cost more than ${cap:.2f} ({MAX_JOB_USD_ENV}): "
            f"`{cost.flavor}` for at most {cost.hours:g} h may cost up to ${cost.max_usd:.2f}. Nothing was "
            "submitted. Choose a cheaper flavor or a shorter timeout (recommend_hardware tells what fits)."
        )


def client_can_ask(ctx: Any) -> bool:
    """Whether the client declared form elicitation (Claude Code does; Claude Desktop does not)."""
    try:
        capabilities = ctx.client_capabilities if ctx is not None else None
    except Exception:  # no request in flight (a direct call): nobody to ask
        return False
    elicitation = getattr(capabilities, "elicitation", None)
    return elicitation is not None and (elicitation.form is not None or elicitation.url is None)


def ask(cost: Cost | SpaceCost | None, ctx: Any) -> Any:
    """A resolver's answer: `Elicit` the person's approval when the job costs money, is within the cap
    and the client can ask; else `NOT_ASKED` (the tool body then enforces the cap)."""
    from mcp.server.mcpserver.resolve import Elicit

    if cost is None or over_cap(cost) or not client_can_ask(ctx):
        return NOT_ASKED
    return Elicit(cost.question(), Approve)


def require_approval(outcome: Any, cost: Cost | SpaceCost | None) -> str:
    """After the resolver: refuse over the cap or when the person said no; returns how it was approved
    ("asked", "not_needed" or "not_asked": the client cannot ask)."""
    from mcp.server.elicitation import AcceptedElicitation

    enforce_cap(cost)
    if cost is None:
        return "not_needed"
    if outcome is None:
        return "not_asked"
    if isinstance(outcome, AcceptedElicitation):
        if outcome.data == NOT_ASKED:
            return "not_asked"
        if isinstance(outcome.data, Approve) and outcome.data.approve:
            return "asked"
    if isinstance(cost, SpaceCost):
        raise CostRefused(
            f"The person did not approve the cost ({cost.question().removesuffix('?')}): nothing was "
            "created. Ask them before trying again, or use the free cpu-basic hardware."
        )
    raise CostRefused(
        f"The person did not approve the cost ({cost.question().removesuffix('?')}): nothing was submitted. "
        "Ask them before trying again, with another flavor or timeout if the cost was the problem."
    )
