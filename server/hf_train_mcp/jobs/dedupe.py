"""No double submission by an agent that retries: every run/uv job carries a label with the hash of its
spec (`hf-train-mcp.plan=<hash>`), and a submission whose twin is still running answers with that job
instead of starting (and paying for) a second one, unless the agent sends `allow_duplicate: true`.

The hash covers the whole submission (image, command, flavor, timeout, env, the NAMES of secrets, labels,
volumes, attempts, ...); secret values never enter it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from typing import Any

from hf_train_mcp.jobs.model import JobSubmission, JobView

PLAN_LABEL = "hf-train-mcp.plan"


def plan_hash(sub: JobSubmission) -> str:
    """Hash of the whole submission (every field, so a new one counts too), secret values left out."""
    spec = asdict(sub)
    spec["secrets"] = sorted(sub.secrets)
    spec["labels"] = {k: v for k, v in sub.labels.items() if k != PLAN_LABEL}
    return hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:16]


def label(sub: JobSubmission) -> str:
    """Put the plan label on `sub`; returns the hash."""
    digest = plan_hash(sub)
    sub.labels[PLAN_LABEL] = digest
    return digest


def running_twin(backend: Any, sub: JobSubmission, digest: str) -> JobView | None:
    """A job with the same plan label that has not finished yet, or None."""
    for view in backend.list(include_finished=False, namespace=sub.namespace):
        if view.labels.get(PLAN_LABEL) == digest and not view.is_terminal:
            return view
    return None
