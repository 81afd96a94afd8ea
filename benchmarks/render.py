"""Time to render and validate one training script (no dry run). Target: under 50 ms (median).

    python benchmarks/render.py [N]

Measures what generate_training_script does before it answers: request validation and pre-flight
checks, rendering (header + CONFIG literal + the runner code), the CONFIG round trip, and the static checks
of the rendered text. The first call (template compilation, JSON of the pinned config fields) is
reported separately.
"""

from __future__ import annotations

import statistics
import sys
import time

from hf_train_mcp.training.render import render_script, training_pins
from hf_train_mcp.training.requests import parse_request
from hf_train_mcp.training.resolve import resolve
from hf_train_mcp.training.static_checks import validate_script

TARGET_MS = 50.0
REQUEST = {
    "method": "sft",
    "peft": "lora",
    "model": "Qwen/Qwen2.5-0.5B",
    "dataset": "trl-lib/Capybara",
    "hub_model_id": "me/qwen-sft",
    "flavor": "a10g-large",
    "timeout": "2h",
    "column_mapping": {"prompt": "question", "completion": "answer"},
}


def once(request: dict) -> float:
    start = time.perf_counter()
    plan = resolve(parse_request(request), pinned=training_pins())
    text = render_script(plan)
    checks = validate_script(
        text, flavor=plan.flavor, secrets={"HF_TOKEN": "$HF_TOKEN"}, timeout=plan.timeout
    )
    elapsed = time.perf_counter() - start
    assert plan.ok and not [c for c in checks if c.status == "fail"]
    return elapsed * 1000


def stages(n: int) -> dict[str, float]:
    """Median CPU time (process_time, ms) of each stage: less sensitive than wall time to a busy machine."""
    request = {**REQUEST, "column_mapping": {}}
    spent: dict[str, list[float]] = {"resolve": [], "render": [], "validate": []}
    for _ in range(n):
        t0 = time.process_time()
        plan = resolve(parse_request(request), pinned=training_pins())
        t1 = time.process_time()
        text = render_script(plan)
        t2 = time.process_time()
        validate_script(text, flavor=plan.flavor, secrets={"HF_TOKEN": "$HF_TOKEN"}, timeout=plan.timeout)
        t3 = time.process_time()
        for name, value in zip(spent, (t1 - t0, t2 - t1, t3 - t2), strict=True):
            spent[name].append(value * 1000)
    return {name: statistics.median(values) for name, values in spent.items()}


def main() -> int:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    first = once(REQUEST)
    times = {}
    for method, peft in (("sft", "lora"), ("sft", "full"), ("dpo", "lora"), ("sft", "qlora")):
        times[f"{method}/{peft}"] = [
            once({**REQUEST, "method": method, "peft": peft, "column_mapping": {}}) for _ in range(n)
        ]
    print(f"first call (cold: template compile, field tables): {first:.1f} ms")
    worst = 0.0
    for name, samples in times.items():
        median = statistics.median(samples)
        worst = max(worst, median)
        p90 = sorted(samples)[int(0.9 * len(samples))]
        print(f"{name:10s} median {median:6.1f} ms  p90 {p90:6.1f} ms  (n={n})")
    cpu = stages(n)
    print("CPU time per stage (median): " + ", ".join(f"{k} {v:.1f} ms" for k, v in cpu.items()))
    verdict = "OK" if worst < TARGET_MS else "OVER TARGET"
    print(f"render + validate: worst median {worst:.1f} ms, target < {TARGET_MS:.0f} ms: {verdict}")
    return 0 if worst < TARGET_MS else 1


if __name__ == "__main__":
    raise SystemExit(main())
