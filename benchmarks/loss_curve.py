"""Cost of a training_loss_curve answer: parsing a long run's log and drawing the PNG.

    python benchmarks/loss_curve.py [--points 2000] [--runs 3]

Prints the parse time, the first draw (includes importing matplotlib, paid once per server process),
later draws, and the PNG's size. The log is synthetic but in the Trainer's exact line format, with tqdm
noise between the dict lines as a real job log has.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import time

from hf_train_mcp.post_training.loss_curve import parse_log, render_png


def synthetic_log(points: int) -> str:
    lines = []
    for i in range(1, points + 1):
        loss = 2.0 * math.exp(-i / (points / 4)) + 0.5
        lines.append(f" {i}/{points} [00:{i % 60:02d}<00:10, 3.1it/s]")
        lines.append(
            f"{{'loss': '{loss:.4g}', 'grad_norm': '0.91', 'learning_rate': '{2e-4 * (1 - i / points):.4g}', "
            f"'entropy': '1.2', 'num_tokens': '{i * 512}', 'epoch': '{i / points:.4g}'}}"
        )
        if i % 100 == 0:
            lines.append(
                f"{{'eval_loss': '{loss + 0.1:.4g}', 'eval_runtime': '1.0', 'epoch': '{i / points:.4g}'}}"
            )
    summary = json.dumps({"final_loss": 0.55, "steps": points})
    return "\n".join(lines) + f"\nHF_TRAIN_SUMMARY {summary}\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=2000, help="logged loss points (default 2000)")
    parser.add_argument("--runs", type=int, default=3, help="draws after the first (default 3)")
    args = parser.parse_args()
    text = synthetic_log(args.points)
    start = time.perf_counter()
    curve = parse_log(text)
    parse_s = time.perf_counter() - start
    start = time.perf_counter()
    png = render_png(curve, "benchmark")
    first_s = time.perf_counter() - start
    later = []
    for _ in range(args.runs):
        start = time.perf_counter()
        render_png(curve, "benchmark")
        later.append(time.perf_counter() - start)
    print(f"log: {len(text) / 1e6:.2f} MB, {len(curve.train)} train points, {len(curve.eval)} eval points")
    print(f"parse: {parse_s * 1000:.0f} ms")
    print(f"first draw (imports matplotlib): {first_s * 1000:.0f} ms")
    print(f"later draws: median {statistics.median(later) * 1000:.0f} ms over {args.runs}")
    print(f"png: {len(png) / 1024:.1f} KiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
