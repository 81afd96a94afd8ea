"""A training script's PEP 723 header: present, valid, pinned, and its packages bring what it imports.

"Bring" follows the pinned stack's own metadata (introspect.py: importlib.metadata requirements of the
installed pinned packages, extras included): trl brings datasets, accelerate and transformers;
accelerate brings torch; `trl[peft]` brings peft. Only an import no declared package brings is a FAIL.
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib

from hf_train_mcp.training.config import Check
from hf_train_mcp.training.introspect import brought_by, canonical, distribution_of
from hf_train_mcp.training.render import optional_pins, training_pins

PEP723_RE = re.compile(r"(?m)^# /// (?P<type>[a-zA-Z0-9-]+)$\s(?P<content>(^#(| .*)$\s)+)^# ///$")
_REQ_NAME_RE = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*(.*)$")


def pinned_stack_text() -> str:
    return ", ".join(f'"{k}=={v}"' for k, v in training_pins().items())


def _tested(dist: str) -> str | None:
    return {**training_pins(), **optional_pins()}.get(dist)


def check_pep723(text: str, imports: list[ast.Import | ast.ImportFrom]) -> tuple[list[Check], dict[str, str]]:
    """The `# /// script` block: present, valid TOML, its packages (and what they bring) cover the imports.

    `imports`: the script's import statements (`ScriptFacts.imports`; none when it does not compile)."""
    checks: list[Check] = []
    blocks = [m for m in PEP723_RE.finditer(text) if m.group("type") == "script"]
    fix_header = (
        "start the file with\n# /// script\n# dependencies = [\n"
        + "".join(f'#     "{k}=={v}",\n' for k, v in training_pins().items())
        + "# ]\n# ///"
    )
    if not blocks:
        checks.append(
            Check(
                "pep723",
                "fail",
                "no PEP 723 `# /// script` block: `uv run` installs nothing and the job fails on the "
                "first import",
                fix_header,
            )
        )
        return checks, {}
    if len(blocks) > 1:
        checks.append(Check("pep723", "fail", "more than one `# /// script` block", "keep exactly one"))
        return checks, {}
    block = blocks[0]
    line = text[: block.start()].count("\n") + 1
    content = "".join(
        ln[2:] if ln.startswith("# ") else ln[1:] for ln in block.group("content").splitlines(keepends=True)
    )
    try:
        meta = tomllib.loads(content)
    except tomllib.TOMLDecodeError as exc:
        checks.append(
            Check("pep723", "fail", f"the `# /// script` block is not valid TOML: {exc}", fix_header, line)
        )
        return checks, {}
    deps = meta.get("dependencies")
    if not isinstance(deps, list) or not all(isinstance(d, str) for d in deps):
        checks.append(
            Check("pep723", "fail", "the `# /// script` block has no `dependencies` list", fix_header, line)
        )
        return checks, {}
    declared: dict[str, str] = {}
    extras: dict[str, set[str]] = {}
    for dep in deps:
        match = _REQ_NAME_RE.match(dep)
        if match:
            name = canonical(match.group(1))
            declared[name] = match.group(3).strip()
            extras[name] = {e.strip() for e in (match.group(2) or "[]")[1:-1].split(",") if e.strip()}
    checks += _import_checks(imports, declared, extras, line)
    tested = {**training_pins(), **optional_pins()}
    unpinned = [d for d in declared if d in tested and not declared[d].startswith("==")]
    if unpinned:
        checks.append(
            Check(
                "pins",
                "warn",
                f"{unpinned} not pinned: a job run later gets whatever is newest, and a release that renames "
                "an argument breaks it at run time",
                "pin the tested stack: " + ", ".join(f'"{d}=={tested[d]}"' for d in unpinned),
                line,
            )
        )
    other = [
        f"{d}{declared[d]}"
        for d in declared
        if d in tested and declared[d].startswith("==") and declared[d][2:].strip() != tested[d]
    ]
    if other:
        checks.append(
            Check(
                "pins",
                "warn",
                f"{other} differ from the tested stack; the argument names here were checked against "
                f"{pinned_stack_text()}",
                "use the tested versions, or re-check the script against the versions you pin",
                line,
            )
        )
    return checks, declared


def _import_checks(
    imports: list[ast.Import | ast.ImportFrom],
    declared: dict[str, str],
    extras: dict[str, set[str]],
    line: int,
) -> list[Check]:
    """Imports against what the declared packages bring (their requirements, by the pinned metadata)."""
    imported: set[str] = set()  # top-level modules; the finding points at the header, not at an import
    for node in imports:
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif node.module and node.level == 0:
            imported.add(node.module.split(".")[0])
    brought = brought_by(extras)  # the declared packages themselves included
    missing: list[str] = []
    unknown: list[str] = []
    for module in sorted(imported):
        if module in sys.stdlib_module_names:  # __future__ included
            continue
        dist = distribution_of(module)
        if dist is not None:
            if dist not in brought:
                missing.append(dist)
        elif canonical(module) not in brought:
            unknown.append(module)
    checks: list[Check] = []
    if missing:
        missing = sorted(set(missing))
        checks.append(
            Check(
                "pep723",
                "fail",
                f"the script imports {missing}, which neither its `dependencies` nor the packages they "
                "bring provide: ImportError at start",
                "add " + ", ".join(f'"{d}=={_tested(d)}"' if _tested(d) else f'"{d}"' for d in missing),
                line,
            )
        )
    else:
        checks.append(
            Check(
                "pep723",
                "pass",
                f"PEP 723 block lists {len(declared)} dependencies; they bring every pinned-stack import",
                None,
                line,
            )
        )
    if unknown:
        checks.append(
            Check(
                "pep723",
                "warn",
                f"imports {unknown}: no declared package is known to bring them (outside the pinned stack, "
                "so this is not certain)",
                "add the packages that provide them to `dependencies`, or ignore if a listed one does",
                line,
            )
        )
    return checks
