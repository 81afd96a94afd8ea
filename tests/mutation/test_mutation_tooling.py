"""The mutation tooling stays true to the code between its (slow) runs: the explained survivors
(tests/mutation/equivalent/) stay readable by the run (an entry it cannot parse would silently stop
explaining its mutant), an entry whose mutant now changes other code (an edit moved mutmut's per-function
numbering) counts as unexplained, and the issue's one-line bugs (known_mutants.py) still apply."""

from __future__ import annotations

import re

import pytest
from mutation import run_mutmut


def entry_lines() -> list[tuple[str, str]]:
    return [
        (listing.name, line)
        for listing in sorted(run_mutmut.EXPLAINED.glob("*.md"))
        for line in listing.read_text().splitlines()
        if line.startswith("- `")
    ]


def test_every_entry_names_its_mutant_and_the_code_it_explains() -> None:
    lines = entry_lines()
    assert len(lines) > 100  # the listings are read from where the run reads them
    unreadable = [(name, line) for name, line in lines if not run_mutmut.ENTRY.match(line)]
    assert unreadable == []
    assert len(run_mutmut.explained_names()) == len(lines)  # no name listed twice


def test_each_listing_belongs_to_a_mutated_module_and_lists_its_mutants_only() -> None:
    listings = {run_mutmut.short_name(m): m for m in run_mutmut.suites()}
    for listing in sorted(run_mutmut.EXPLAINED.glob("*.md")):
        if listing.name == "README.md":
            continue
        module = listings.get(listing.stem)
        assert module is not None, f"{listing.name}: no module of [tool.mutmut.suites] is mutated as it"
        prefix = "hf_train_mcp." + module.removesuffix(".py").replace("/", ".") + "."
        names = [m.group(1) for m in run_mutmut.ENTRY.finditer(listing.read_text())]
        assert names and all(re.match(re.escape(prefix) + r"x", n) for n in names), listing.name


@pytest.mark.parametrize(
    ("explained_code", "code_now", "expected"),
    [
        ("pos == 1", "pos == 1", "equivalent"),
        ("pos == 1", "pos >= 0", "STALE"),  # the name now stands for another mutant
        (None, "pos == 1", "SURVIVED"),
    ],
)
def test_a_survivor_counts_as_explained_only_for_the_code_its_entry_names(
    explained_code: str | None, code_now: str, expected: str
) -> None:
    explanation = None if explained_code is None else run_mutmut.Explanation("equivalent", explained_code)
    assert run_mutmut.verdict(explanation, code_now) == expected


def test_every_known_one_line_bug_still_applies_to_the_code_and_names_existing_tests() -> None:
    """`known_mutants.py` (run by `make mutation`, not here: it runs tests) re-applies the issue's one-line
    bugs; an edit that moves the mutated text or renames a test would make it report STALE only there."""
    from mutation import known_mutants

    for name, module, old, new, tests in known_mutants.MUTANTS:
        source = (known_mutants.ROOT / known_mutants.PKG / module).read_text()
        assert source.count(old) == 1 and old != new, name
        for test in tests:
            path, _, function = test.partition("::")
            assert (known_mutants.ROOT / path).exists(), test
            assert (
                not function or f"def {function.split('[')[0]}(" in (known_mutants.ROOT / path).read_text()
            ), test
