"""Mutation testing of the core modules with mutmut 3: `make mutation` (slow: minutes per module).

    .venv/bin/python tests/mutation/run_mutmut.py                       # every module of the suites
    .venv/bin/python tests/mutation/run_mutmut.py hardware/memory.py    # one (or a few) modules
    MUTMUT_CHILDREN=1 .venv/bin/python tests/mutation/run_mutmut.py ... # fewer parallel workers (default 2)

The modules and each one's FAST test selection are `[tool.mutmut.suites]` in pyproject.toml. Each module
runs on its own, one after the other, so a module is only tested by its own tests and its score is its own.

mutmut 3 imports the mutated code from `mutants/src` (or `mutants/`), and names modules after their path
with only a `src.` prefix removed; this project's package lives in `server/`. So each run happens in a
staging copy, `.mutation/<module>/`, where the package sits at `src/hf_train_mcp` (mutmut then writes
`.mutation/<module>/mutants/`).

Prints every surviving mutant (`cd .mutation/<module> && ../../.venv/bin/mutmut show NAME` gives its diff)
and each module's score. Survivors that are explained (equivalent: no behaviour can tell them apart;
wording: only a message's words change) are listed, with the reason, in tests/mutation/equivalent/<module>.md
(see its README.md); they are printed as such and left out of "unexplained". Each explanation names the
mutated code it is about: one whose mutant now changes other code (the module was edited and mutmut's
per-function numbering moved) is printed STALE and counts as unexplained.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
STAGES = ROOT / ".mutation"
COPIED = ("tests", "script_templates", "skills", "benchmarks", "pyproject.toml", "README.md")
EXPLAINED = Path(__file__).with_name("equivalent")
# A mutant's status in mutmut's results; "no tests" means no selected test ran its function: a survivor.
NOT_A_VERDICT = ("skipped", "not checked")


def config() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mutmut"]


def suites() -> dict[str, list[str]]:
    return dict(config()["suites"])


def skipped(module: str) -> list[str]:
    """`[tool.mutmut.skip]`: regexes of `def`/`class` lines whose block is left unmutated in `module`."""
    return list(config().get("skip", {}).get(module, []))


@dataclass(frozen=True)
class Explanation:
    """One `- `NAME` (`CODE`): reason` line of equivalent/: CODE is the mutated code the reason is about."""

    kind: str  # "equivalent" or "wording"
    code: str


ENTRY = re.compile(r"^- `([^`]+)` \(`([^`]*)`\):\s*(\S*)", flags=re.MULTILINE)


def explained_names() -> dict[str, Explanation]:
    """Mutant name -> its explanation, for every entry in equivalent/."""
    found: dict[str, Explanation] = {}
    for listing in sorted(EXPLAINED.glob("*.md")):
        for name, code, reason in ENTRY.findall(listing.read_text()):
            found[name] = Explanation("wording" if reason.startswith("wording") else "equivalent", code)
    return found


def short_name(module: str) -> str:
    """`hardware/memory.py` -> `hardware_memory`: its staging folder and its listing in equivalent/."""
    return module.replace("/", "_").removesuffix(".py")


def mutmut_env() -> dict[str, str]:
    """mutmut must import the staged copy's package, not the editable install's."""
    return {**os.environ, "PYTHONPATH": ""}


def mutated_code(where: Path, mutmut: str, name: str) -> str:
    """The lines `name` puts in place of the original (its diff's `+` lines, stripped, ` // ` between)."""
    shown = subprocess.run(
        [mutmut, "show", name], cwd=where, env=mutmut_env(), capture_output=True, text=True
    ).stdout
    added = [ln[1:].strip() for ln in shown.splitlines() if ln.startswith("+") and not ln.startswith("+++")]
    return " // ".join(added)


def stage(module: str, tests: list[str]) -> Path:
    where = STAGES / short_name(module)
    if where.exists():
        shutil.rmtree(where)
    where.mkdir(parents=True)
    ignore = shutil.ignore_patterns("__pycache__", ".pytest_cache", "*.pyc")
    shutil.copytree(ROOT / "server", where / "src", ignore=ignore)
    for name in COPIED:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, where / name, ignore=ignore)
        elif source.exists():
            shutil.copy2(source, where / name)
    patterns = [re.compile(p) for p in skipped(module)]
    if patterns:  # mutmut's own do_not_mutate_patterns skip a line only: mark the staged copy's blocks
        source = where / "src" / "hf_train_mcp" / module
        lines = source.read_text().splitlines()
        marked = [
            f"{ln}  # pragma: no mutate block" if any(p.search(ln) for p in patterns) else ln for ln in lines
        ]
        source.write_text("\n".join(marked) + "\n")
    text = (where / "pyproject.toml").read_text()
    listed = (
        f'only_mutate = ["src/hf_train_mcp/{module}"]\n'
        "pytest_add_cli_args_test_selection = [" + ", ".join(f'"{t}"' for t in tests) + "]\n"
    )
    text = re.sub(r"^\[tool\.mutmut\]\n", lambda m: m.group(0) + listed, text, count=1, flags=re.MULTILINE)
    (where / "pyproject.toml").write_text(text)
    return where


def run_module(
    mutmut: str, module: str, tests: list[str], children: str
) -> tuple[Path, dict[str, int], list[str]]:
    where = stage(module, tests)
    env = mutmut_env()
    run = subprocess.Popen(
        [mutmut, "run", "--max-children", children],
        cwd=where,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        bufsize=1,
    )
    assert run.stdout is not None
    last = ""
    for chunk in run.stdout:  # mutmut redraws a spinner with carriage returns: keep a line's last state
        line = chunk.rstrip("\n").rsplit("\r", 1)[-1]
        if line.strip() and line != last:
            last = line
            if not line.lstrip().startswith(("⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏")):
                print("   ", line, flush=True)
    run.wait()
    results = subprocess.run(
        [mutmut, "results", "--all", "true"], cwd=where, env=env, capture_output=True, text=True, check=False
    )
    statuses: dict[str, int] = {}
    survivors = []
    for line in results.stdout.splitlines():
        name, _, status = line.strip().rpartition(": ")
        if not name:
            continue
        statuses[status] = statuses.get(status, 0) + 1
        if status in ("survived", "no tests", "suspicious"):
            survivors.append(name)
    return where, statuses, survivors


def verdict(explanation: Explanation | None, code: str) -> str:
    """How a survivor counts: its explanation's kind, or SURVIVED (none), or STALE (the explanation is
    about other code: the module changed since and mutmut's numbering moved)."""
    if explanation is None:
        return "SURVIVED"
    return explanation.kind if explanation.code == code else "STALE"


def main(only: list[str]) -> int:
    mutmut = shutil.which("mutmut", path=str(Path(sys.executable).parent)) or shutil.which("mutmut")
    if mutmut is None:
        print('mutmut is not installed: pip install -e ".[mutation]"', file=sys.stderr)
        return 2
    children = os.environ.get("MUTMUT_CHILDREN", "2")
    table = suites()
    modules = [
        m for m in table if not only or any(m.endswith(o.removeprefix("src/hf_train_mcp/")) for o in only)
    ]
    missing = [m for m in modules if not (ROOT / "server/hf_train_mcp" / m).exists()]
    if missing:
        print(f"not in the tree any more (update [tool.mutmut.suites]): {missing}", file=sys.stderr)
        return 2
    explained = explained_names()
    scores = []
    unexplained_total = 0
    for module in modules:
        print(f"\n== {module}: {' '.join(table[module])}", flush=True)
        where, statuses, survivors = run_module(mutmut, module, table[module], children)
        tested = sum(n for s, n in statuses.items() if s not in NOT_A_VERDICT)
        killed = statuses.get("killed", 0) + statuses.get("timeout", 0) + statuses.get("segfault", 0)
        unexplained, wording = [], 0
        for name in survivors:
            code = mutated_code(where, mutmut, name)
            counted = verdict(explained.get(name), code)
            print(f"   {counted:11} {name}")
            if counted == "STALE":
                print(f"               explained for `{explained[name].code}`, now it is `{code}`")
            if counted in ("SURVIVED", "STALE"):
                unexplained.append(name)
                print(f"               - `{name}` (`{code}`): ")  # the entry to write once it is understood
            wording += counted == "wording"
        if not tested:  # mutmut stops early when no selected test runs the module: every mutant survives
            unexplained = [f"{module}: no selected test runs it ({statuses})"]
        unexplained_total += len(unexplained)
        share = 100 * len(survivors) / tested if tested else 0.0
        scores.append(
            f"{module:28} killed {killed:4} / {tested:4}, surviving {len(survivors):3} ({share:4.1f}%), "
            f"explained {len(survivors) - len(unexplained) - wording} equivalent + {wording} wording, "
            f"unexplained {len(unexplained)}; {dict(sorted(statuses.items()))}"
        )
        print("   " + scores[-1], flush=True)
    print("\nScores (diff of a survivor: cd .mutation/<module> && mutmut show NAME):")
    for line in scores:
        print("  ", line)
    print(f"unexplained survivors: {unexplained_total}")
    return 1 if unexplained_total else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
