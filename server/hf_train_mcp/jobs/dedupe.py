"""No double submission by an agent that retries: every run/uv job carries a label with the hash of its
spec (`hf-train-mcp.plan=<hash>`), and a submission whose twin is still running answers with that job
instead of starting (and paying for) a second one, unless the agent sends `allow_duplicate: true`.

The hash covers what makes two jobs the same work (image, command, flavor, timeout, env, the NAMES of
secrets, labels, volumes, namespace); secret values never enter it.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from hf_train_mcp.jobs.model import JobSubmission, JobView

PLAN_LABEL = "hf-train-mcp.plan"


def plan_hash(sub: JobSubmission) -> str:
    spec = {
        "image": sub.image,
        "command": sub.command,
        "flavor": sub.flavor,
        "timeout": sub.timeout_seconds,
        "env": sub.env,
        "secrets": sorted(sub.secrets),
        "labels": {k: v for k, v in sub.labels.items() if k != PLAN_LABEL},
        "volumes": sub.volumes,
        "namespace": sub.namespace,
        "local_python": sub.local_python,
    }
    return hashlib.sha256(json.dumps(spec, sort_keys=True, default=str).encode()).hexdigest()[:16]


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
