"""Mutation testing of the core modules with mutmut 3: `make mutation` (slow: minutes per module).

mutmut 3 imports the mutated code from `mutants/src` (or `mutants/`), and names modules after their path
with only a `src.` prefix removed; this project's package lives in `server/`. So the run happens in a
staging copy, `.mutation/`, where the package sits at `src/hf_train_mcp` (mutmut then writes
`.mutation/mutants/`). The modules to mutate and the tests to run are `[tool.mutmut]` in pyproject.toml;
`python tests/mutation/run_mutmut.py src/hf_train_mcp/redact.py ...` narrows the modules.

Prints every surviving mutant (`mutmut show <name>` in `.mutation/` gives its diff) and the score.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
STAGE = ROOT / ".mutation"
COPIED = ("tests", "script_templates", "skills", "benchmarks", "pyproject.toml", "README.md")


def stage(only: list[str]) -> None:
    if STAGE.exists():
        shutil.rmtree(STAGE)
    STAGE.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", ".pytest_cache", "*.pyc")
    shutil.copytree(ROOT / "server", STAGE / "src", ignore=ignore)
    for name in COPIED:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, STAGE / name, ignore=ignore)
        elif source.exists():
            shutil.copy2(source, STAGE / name)
    if only:
        text = (STAGE / "pyproject.toml").read_text()
        listed = "only_mutate = [" + ", ".join(f'"{m}"' for m in only) + "]"
        text = re.sub(r"only_mutate = \[[^\]]*\]", listed, text, count=1)
        (STAGE / "pyproject.toml").write_text(text)


def main(only: list[str]) -> int:
    mutmut = shutil.which("mutmut", path=str(Path(sys.executable).parent)) or shutil.which("mutmut")
    if mutmut is None:
        print('mutmut is not installed: pip install -e ".[mutation]"', file=sys.stderr)
        return 2
    stage(only)
    env = {**os.environ, "PYTHONPATH": ""}
    run = subprocess.Popen(
        [mutmut, "run"],
        cwd=STAGE,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        bufsize=1,
    )
    assert run.stdout is not None
    for chunk in run.stdout:  # mutmut redraws a spinner with carriage returns: keep the last state of a line
        line = chunk.rstrip("\n").rsplit("\r", 1)[-1]
        if line.strip():
            print(line, flush=True)
    if run.wait() not in (0, 1):
        return run.returncode
    results = subprocess.run(
        [mutmut, "results", "--all", "true"], cwd=STAGE, env=env, capture_output=True, text=True, check=False
    )
    statuses: dict[str, int] = {}
    survivors = []
    for line in results.stdout.splitlines():
        name, _, status = line.strip().rpartition(": ")
        if not name:
            continue
        statuses[status] = statuses.get(status, 0) + 1
        if status == "survived":
            survivors.append(name)
    print("\nSurviving mutants (`cd .mutation && mutmut show NAME` for the diff):")
    for name in survivors:
        print("  ", name)
    tested = sum(n for s, n in statuses.items() if s not in ("skipped", "not checked"))
    killed = statuses.get("killed", 0) + statuses.get("timeout", 0)
    print(f"\nmutants: {dict(sorted(statuses.items()))}")
    if tested:
        print(
            f"score: {killed}/{tested} killed = {100 * killed / tested:.1f}%; "
            f"surviving {100 * len(survivors) / tested:.1f}%"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
