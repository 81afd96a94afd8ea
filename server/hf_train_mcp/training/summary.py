"""The one machine-readable line a generated script prints at the end, and its parser.

    HF_TRAIN_SUMMARY {"final_loss": 1.23, "steps": 500, "runtime_s": 3600.0, "tokens_per_second": 2100.5,
                      "peak_memory_gb": 17.2, ...}

Other tools (job logs, workflow) call `parse_summary(log_text)` on a job's logs.
"""

from __future__ import annotations

import json
from typing import Any

SUMMARY_PREFIX = "HF_TRAIN_SUMMARY"
SUMMARY_KEYS = ("final_loss", "steps", "runtime_s", "tokens_per_second", "peak_memory_gb")


def parse_summary(log_text: str) -> dict[str, Any] | None:
    """The last summary in `log_text` as a dict, or None if the run printed none (it failed or is running).

    Tolerates log prefixes (timestamps, "[stdout]") before the marker and Windows line ends.
    """
    for line in reversed((log_text or "").splitlines()):
        index = line.find(SUMMARY_PREFIX + " ")
        if index < 0:
            continue
        payload = line[index + len(SUMMARY_PREFIX) + 1 :].strip()
        try:
            value = json.loads(payload)
        except json.JSONDecodeError:
            continue
        if isinstance(value, dict):
            return value
    return None
