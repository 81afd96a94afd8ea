"""Job ids and namespaces as they go into Hub URLs.

`huggingface_hub` puts `namespace` and `job_id` into URL paths as given, so `../` in either would reach
another endpoint with the caller's token (`DELETE /api/scheduled-jobs/alice/../../repos/delete`).
Every id and namespace is checked against the characters real ones use, then escaped as a path
segment (a no-op for valid values: the escaping is the second line of defence, not the first).
"""

from __future__ import annotations

import re
from urllib.parse import quote

from hf_train_mcp.jobs.errors import JobsArgumentError

# Hub job and scheduled-job ids are 24 hexadecimal characters; local ids are "local-<hex>". Anything made
# of letters, digits, "-" and "_" is accepted (a wrong one gets the Hub's 404), nothing else.
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,127}")
# User and organization names: letters, digits, "-", "_" and single "." inside, at most 96 characters.
_NAMESPACE = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9_.-]{0,94}[A-Za-z0-9])?")


def _shown(value: str) -> str:
    return repr(value if len(value) <= 80 else value[:77] + "...")


def check_job_id(job_id: str, *, what: str = "job_id") -> str:
    """The id, stripped, or a `JobsArgumentError` saying what a job id looks like."""
    value = job_id.strip() if isinstance(job_id, str) else job_id
    if not isinstance(value, str) or not _ID.fullmatch(value):
        raise JobsArgumentError(
            f"{what} {_shown(str(job_id))} is not a job id: ids are made of letters, digits, '-' and '_' "
            f"(Hub ids are 24 hexadecimal characters, e.g. 6a2bd1f1871c005b5352ad31, as shown by ps). "
            "Send the id exactly as ps or run returned it."
        )
    return value


def check_namespace(namespace: str) -> str:
    value = namespace.strip() if isinstance(namespace, str) else namespace
    if not isinstance(value, str) or not _NAMESPACE.fullmatch(value) or ".." in value:
        raise JobsArgumentError(
            f"namespace {_shown(str(namespace))} is not a user or organization name: names are letters, "
            "digits, '-', '_' and '.', e.g. \"alice\" or \"my-org\". Leave namespace out to use your own."
        )
    return value


def segment(value: str) -> str:
    """`value` escaped as one URL path segment ("/" and "." sequences cannot change the path)."""
    return quote(value, safe="")
