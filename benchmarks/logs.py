"""How much do logs cost? Issue 10 measured 4.7-6.4 s per `logs` call on a 67 MB local log (re-read
whole every call) and 136 s / 105 million characters for `tail=1000` on one 50 MB line. This prints,
for those two files, the time and size of what `hf_jobs logs` now reads and returns: the local log
reader (`local_jobs.logfile`), then the answer-side cleaning and byte bound (`jobs.formatting`).

Run: .venv/bin/python benchmarks/logs.py
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from hf_train_mcp.jobs import logtext
from hf_train_mcp.local_jobs import logfile

STAMP = b"2026-11-30T10:00:00.000000Z\t"


def timed(func):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    value = func()
    return value, time.perf_counter() - start


def answer(lines: list[str], tail: int) -> list[str]:
    cleaned = [logtext.clean_line(x) for x in lines[-tail:]]
    return logtext.bound_lines(cleaned)[0]


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        many = Path(tmp) / "many.log"
        many.write_bytes(
            b"".join(
                STAMP + f"step {i} loss 0.{i % 997:03d} ".encode() + b"x" * 100 + b"\n"
                for i in range(450_000)
            )
        )
        one = Path(tmp) / "one.log"
        one.write_bytes(STAMP + b"y" * 50_000_000 + b"\n")
        head = f"{'log':<28} {'size MB':>8} {'read ms':>8} {'read MB':>8}"
        print(f"{head} {'answer ms':>9} {'answer kB':>9} {'lines':>6}")
        for name, path in (("450k lines", many), ("one 50 MB line", one)):
            for _ in range(2):  # the second call is what a repeated `logs` costs
                got, read_s = timed(lambda p=path: logfile.LogReader(p).read_new())
            texts = [line.text for line in got]
            shown, answer_s = timed(lambda t=texts: answer(t, 1000))
            print(
                f"{name:<28} {path.stat().st_size / 1e6:>8.1f} {read_s * 1000:>8.1f} "
                f"{sum(len(t) for t in texts) / 1e6:>8.2f} {answer_s * 1000:>9.1f} "
                f"{sum(len(s.encode()) + 1 for s in shown) / 1000:>9.1f} {len(shown):>6}"
            )
        tail, tail_s = timed(lambda: logfile.read_tail(many, 1000))
        size = many.stat().st_size / 1e6
        print(f"read_tail(1000) on the {size:.0f} MB log: {tail_s * 1000:.1f} ms, {len(tail)} lines")


if __name__ == "__main__":
    main()
