"""What secret masking costs when callers register thousands of "secrets" (issue 10: 12,000 froze every
client for 11 s; after 22,000 every call was 100x slower).

For N registered values it prints, before (the algorithm hf-train-mcp used until issue 10, copied below)
and now (`hf_train_mcp.redact`):
- register: the time to register them (now: in calls of at most MAX_SECRETS_PER_CALL; a call with more
  is refused, and a caller's scope keeps the newest MAX_SECRETS_PER_SCOPE);
- answer: the time to mask one typical structured answer (300 strings, ~20 KB) afterwards (best of 5).

Run: .venv/bin/python benchmarks/masking.py
"""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "server"))

from hf_train_mcp import redact


class Before:
    """The masking before issue 10: one global set, sorted and scanned in full for every string."""

    HF = re.compile(r"hf_[A-Za-z0-9]{16,}")

    def __init__(self) -> None:
        self.secrets: set[str] = set()

    def register(self, value: str) -> None:
        if value and len(value) >= 4:
            self.secrets.add(value)

    def redact(self, text: str) -> str:
        for secret in sorted(self.secrets, key=len, reverse=True):
            if secret in text:
                text = text.replace(secret, "***")
        return self.HF.sub("hf_***", text)

    def redact_data(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.redact(value)
        if isinstance(value, dict):
            return {self.redact_data(k): self.redact_data(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.redact_data(v) for v in value]
        return value


ANSWER = {
    "jobs": [
        {
            "id": f"{i:024x}",
            "stage": "RUNNING",
            "command": ["python", "train.py", "--model", "Qwen/Qwen2.5-0.5B"],
            "message": "step 120/1000 loss 1.23 " * 3,
        }
        for i in range(60)
    ]
}


def best_of(func: Any, repeat: int = 5) -> float:
    """The fastest of `repeat` runs (the machine is shared: the minimum is the cost, the rest is noise)."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        func()
        times.append(time.perf_counter() - started)
    return min(times)


def values(n: int) -> list[str]:
    return [f"value-{i:08d}" for i in range(n)]


def measure_before(n: int) -> tuple[float, float]:
    before = Before()
    started = time.perf_counter()
    for value in values(n):
        before.register(value)
    registered = time.perf_counter() - started
    return registered, best_of(lambda: before.redact_data(ANSWER))


def measure_now(n: int) -> tuple[float, float, int, int]:
    scope = redact.SecretSet()
    refused = 0
    started = time.perf_counter()
    batch = redact.MAX_SECRETS_PER_CALL
    all_values = values(n)
    for start in range(0, n, batch):  # as many calls as it takes, each within the per-call limit
        with redact.caller_scope(scope):
            try:
                for value in all_values[start : start + batch]:
                    redact.register_secret(value)
            except redact.TooManySecretsError:
                refused += 1
    with redact.caller_scope(scope):
        redact.redact("warm")  # the pattern is compiled once, on first use after a change
    registered = time.perf_counter() - started
    with redact.caller_scope(scope):
        answer = best_of(lambda: redact.redact_data(ANSWER))
    return registered, answer, len(scope), refused


def main() -> int:
    print("N registered | before: register, answer | now: register, answer (scope size)")
    for n in (0, 100, 12_000, 22_000):
        b_reg, b_ans = measure_before(n)
        n_reg, n_ans, size, _ = measure_now(n)
        print(
            f"{n:>12,} | {b_reg * 1000:8.1f} ms, {b_ans * 1000:9.1f} ms | {n_reg * 1000:8.1f} ms, "
            f"{n_ans * 1000:6.2f} ms ({size})"
        )
    with redact.caller_scope(redact.SecretSet()):
        started = time.perf_counter()
        try:
            for value in values(12_000):
                redact.register_secret(value)
        except redact.TooManySecretsError as exc:
            spent = (time.perf_counter() - started) * 1000
            print(f"one call with 12,000 values: refused after {spent:.1f} ms: {exc}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
