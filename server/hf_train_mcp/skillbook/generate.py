"""Regenerates the tables inside the skills from the code's own data, so skills never drift.

A generated block in a skill's markdown looks like:

    <!-- generated:flavors -->
    ...table written by this module...
    <!-- /generated:flavors -->

`python -m hf_train_mcp.skillbook.generate` rewrites every block; `--check` exits 1 and names the
stale files instead (the test suite runs the check).
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from hf_train_mcp.resources import skills_dir
from hf_train_mcp.skillbook.sections import SECTIONS

_BLOCK = re.compile(
    r"(?P<open><!-- generated:(?P<name>[a-z0-9_]+) -->\n)(?P<body>.*?)"
    r"(?P<close><!-- /generated:(?P=name) -->)",
    re.DOTALL,
)


def render_file(text: str, source: Path | None = None) -> str:
    """`text` with every generated block replaced by the current data."""

    def replace(match: re.Match[str]) -> str:
        name = match.group("name")
        if name not in SECTIONS:
            where = f" in {source}" if source else ""
            raise KeyError(f"unknown generated block '{name}'{where}; known: {', '.join(sorted(SECTIONS))}")
        body = SECTIONS[name]().rstrip("\n") + "\n"
        return match.group("open") + body + match.group("close")

    return _BLOCK.sub(replace, text)


def stale_files(root: Path | None = None, *, write: bool = False) -> list[Path]:
    """Skill markdown files whose generated blocks differ from the data; rewritten when `write`."""
    root = root or skills_dir()
    stale = []
    for path in sorted(root.rglob("*.md")):
        text = path.read_text(encoding="utf-8")
        fresh = render_file(text, path)
        if fresh != text:
            stale.append(path)
            if write:
                path.write_text(fresh, encoding="utf-8")
    return stale


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report stale files (exit 1 if any)")
    parser.add_argument("--root", type=Path, default=None, help="skills directory (default: the shipped one)")
    args = parser.parse_args(argv)
    stale = stale_files(args.root, write=not args.check)
    for path in stale:
        print(f"{'stale' if args.check else 'regenerated'}: {path}")
    if args.check and stale:
        print("run: python -m hf_train_mcp.skillbook.generate", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
