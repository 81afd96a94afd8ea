"""Print the line and branch totals of the last coverage run (`make coverage` runs it after the suite).

.venv/bin/python tests/coverage_totals.py    # reads .coverage in the repository root
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


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
        totals = json.loads(out.read_text())["totals"]
    lines, stmts = totals["covered_lines"], totals["num_statements"]
    branches, all_branches = totals["covered_branches"], totals["num_branches"]
    print(
        f"coverage of hf_train_mcp: lines {lines}/{stmts} = {100 * lines / stmts:.1f}%, "
        f"branches {branches}/{all_branches} = {100 * branches / max(all_branches, 1):.1f}%, "
        f"combined {totals['percent_covered']:.1f}%"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
