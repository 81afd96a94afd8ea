"""Print the line and branch totals of the last coverage run (`make coverage` runs it after the suite).

.venv/bin/python tests/coverage_totals.py    # reads .coverage in the repository root

Two figures: the whole package, and the package less the job scripts. The job scripts' code (the training
runner and the modules it inlines, post_training/jobs/) runs inside generated files that the tests train
with in subprocesses (`python train.py`, `uv run`): coverage cannot attribute those files' lines to the
package modules they were copied from, so those modules read as mostly unrun although the training tests
run them end to end.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# A module whose code is copied into generated scripts carries one of these markers (training/render.py).
SCRIPT_MARKERS = ("# hf-train-mcp: script body", "# hf-train-mcp: inlined into scripts from here")


def is_job_script(path: str) -> bool:
    if "/post_training/jobs/" in path:
        return True
    source = ROOT / path
    return source.exists() and any(ln.strip() in SCRIPT_MARKERS for ln in source.read_text().splitlines())


def summed(files: dict) -> tuple[int, int, int, int]:
    totals = [0, 0, 0, 0]
    for summary in (f["summary"] for f in files.values()):
        for i, key in enumerate(("covered_lines", "num_statements", "covered_branches", "num_branches")):
            totals[i] += summary[key]
    return totals[0], totals[1], totals[2], totals[3]


def line(what: str, lines: int, stmts: int, branches: int, all_branches: int) -> str:
    combined = 100 * (lines + branches) / max(stmts + all_branches, 1)
    return (
        f"coverage of {what}: lines {lines}/{stmts} = {100 * lines / max(stmts, 1):.1f}%, "
        f"branches {branches}/{all_branches} = {100 * branches / max(all_branches, 1):.1f}%, "
        f"combined {combined:.1f}%"
    )


def main() -> int:
    if not (ROOT / ".coverage").exists():
        print("no .coverage here: run `make coverage` first", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "coverage.json"
        # -i: a file measured in a throwaway place (a temporary venv) and gone since is skipped, not fatal
        subprocess.run(
            [sys.executable, "-m", "coverage", "json", "-q", "-i", "-o", str(out)], cwd=ROOT, check=True
        )
        files = json.loads(out.read_text())["files"]
    print(line("hf_train_mcp", *summed(files)))
    scripts = sorted(path for path in files if is_job_script(path))
    rest = {path: f for path, f in files.items() if path not in scripts}
    names = ", ".join(Path(p).name for p in scripts)
    print(line(f"hf_train_mcp less the {len(scripts)} job-script modules ({names})", *summed(rest)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
