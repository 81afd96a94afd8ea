"""The field names of the pinned TRL / transformers / peft config classes, and what each pinned package
brings with it, cached as JSON.

The server never imports trl, transformers or torch (seconds of start-up, gigabytes of memory). Instead
`config_fields.json`, written by this module from the installed (pinned) versions, lists every keyword
each config class and trainer accepts, and the pinned stack's own dependency metadata
(importlib.metadata: each package's requirements, its extras', and which top-level modules each
installed distribution provides); `static_checks` reads it in microseconds.

    python -m hf_train_mcp.training.introspect --write    # regenerate after changing the pins
    python -m hf_train_mcp.training.introspect --check    # exit 1 if it drifted from the installed stack

A test runs the check in the test environment, which installs exactly requirements-train.txt.
"""

from __future__ import annotations

import argparse
import dataclasses
import inspect
import json
import re
import sys
from functools import cache
from pathlib import Path
from typing import Any

FIELDS_FILE = Path(__file__).resolve().parent / "config_fields.json"

# name -> (module, attribute, kind); "dataclass" lists fields, "callable" lists keyword parameters.
TARGETS: dict[str, tuple[str, str, str]] = {
    "SFTConfig": ("trl", "SFTConfig", "dataclass"),
    "DPOConfig": ("trl", "DPOConfig", "dataclass"),
    "GRPOConfig": ("trl", "GRPOConfig", "dataclass"),
    "RLOOConfig": ("trl", "RLOOConfig", "dataclass"),
    "KTOConfig": ("trl", "KTOConfig", "dataclass"),
    "RewardConfig": ("trl", "RewardConfig", "dataclass"),
    "ModelConfig": ("trl", "ModelConfig", "dataclass"),
    "TrainingArguments": ("transformers", "TrainingArguments", "dataclass"),
    "LoraConfig": ("peft", "LoraConfig", "dataclass"),
    "BitsAndBytesConfig": ("transformers", "BitsAndBytesConfig", "callable"),
    "SFTTrainer": ("trl", "SFTTrainer", "callable"),
    "DPOTrainer": ("trl", "DPOTrainer", "callable"),
    "GRPOTrainer": ("trl", "GRPOTrainer", "callable"),
    "RLOOTrainer": ("trl", "RLOOTrainer", "callable"),
    "KTOTrainer": ("trl", "KTOTrainer", "callable"),
    "RewardTrainer": ("trl", "RewardTrainer", "callable"),
    "Trainer": ("transformers", "Trainer", "callable"),
}
# "Deprecated alias of ...", "Deprecated. Set ...", "... Deprecated in `SFTTrainer`": names that still work
# in the pinned versions but warn, and will break on the next major release.
_DEPRECATED_RE = re.compile(r"^Deprecated\b|\. Deprecated in ")
PACKAGES = ("torch", "transformers", "trl", "peft", "datasets", "accelerate")
# The packages a training script declares; their requirements (and their extras') are followed.
DECLARABLE = (*PACKAGES, "bitsandbytes", "trackio")
_REQ_RE = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[([^\]]*)\])?")
_EXTRA_RE = re.compile(r"""extra\s*==\s*["']([^"']+)["']""")


def canonical(name: str) -> str:
    """PEP 503 name: lower case, runs of -_. as one dash."""
    return re.sub(r"[-_.]+", "-", name).lower()


def collect_dependencies() -> dict[str, Any]:
    """What each declarable package brings: requirements, extras, and the modules of every distribution.

    From importlib.metadata of the installed (pinned) stack. Requirements whose distribution is not
    installed are kept by name (they still arrive in a job that installs the package).
    """
    import importlib.metadata as md

    requires: dict[str, list[str]] = {}
    extras: dict[str, dict[str, list[str]]] = {}
    todo = [canonical(d) for d in DECLARABLE]
    seen: set[str] = set()
    while todo:
        dist = todo.pop()
        if dist in seen:
            continue
        seen.add(dist)
        try:
            reqs = md.requires(dist) or []
        except md.PackageNotFoundError:
            continue
        base: set[str] = set()
        for req in reqs:
            match = _REQ_RE.match(req)
            if not match:
                continue
            name = canonical(match.group(1))
            extra = _EXTRA_RE.search(req)
            if extra is None:
                base.add(name)
                todo.append(name)
            elif dist in {canonical(d) for d in DECLARABLE}:
                extras.setdefault(dist, {}).setdefault(canonical(extra.group(1)), [])
                extras[dist][canonical(extra.group(1))].append(name)
                todo.append(name)
        requires[dist] = sorted(base)
    # Reached through plain requirements only: always installed with the pinned stack, whatever else is
    # installed here. Modules are mapped for these alone, so the table does not depend on the machine.
    base_reach = {canonical(d) for d in DECLARABLE}
    frontier = list(base_reach)
    while frontier:
        for name in requires.get(frontier.pop(), []):
            if name not in base_reach:
                base_reach.add(name)
                frontier.append(name)
    modules: dict[str, str] = {}
    for module, dists in md.packages_distributions().items():
        names = [canonical(d) for d in dists if canonical(d) in base_reach]
        if names and not module.startswith("_"):
            modules[module] = sorted(names)[0]
    for dist in DECLARABLE:  # a declarable package not installed here: its module is its name
        modules.setdefault(dist.replace("-", "_"), canonical(dist))
    for dist in extras:
        extras[dist] = {k: sorted(set(v)) for k, v in sorted(extras[dist].items())}
    return {
        "requires": {k: v for k, v in sorted(requires.items()) if k in base_reach},
        "extras": extras,
        "modules": dict(sorted(modules.items())),
    }


def collect() -> dict[str, Any]:
    """Import the installed stack and list the keywords of every target. Heavy: never call in the server."""
    import importlib
    import importlib.metadata as md

    classes: dict[str, list[str]] = {}
    deprecated: dict[str, dict[str, str]] = {}
    for name, (module_name, attribute, kind) in TARGETS.items():
        obj = getattr(importlib.import_module(module_name), attribute)
        if kind == "dataclass":
            fields = [f for f in dataclasses.fields(obj) if f.init]
            names = [f.name for f in fields]
            for f in fields:
                help_text = " ".join(str(f.metadata.get("help", "")).split())
                if _DEPRECATED_RE.search(help_text):
                    deprecated.setdefault(name, {})[f.name] = help_text
        else:
            target = obj.__init__ if inspect.isclass(obj) else obj
            params = inspect.signature(target).parameters.values()
            names = [
                p.name
                for p in params
                if p.name != "self" and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
            ]
        classes[name] = sorted(names)
    versions = {pkg: md.version(pkg).split("+")[0] for pkg in PACKAGES}
    return {
        "versions": versions,
        "classes": classes,
        "deprecated": deprecated,
        "dependencies": collect_dependencies(),
    }


@cache
def load_fields() -> dict[str, Any]:
    """The cached field names (light: reads JSON only)."""
    return json.loads(FIELDS_FILE.read_text(encoding="utf-8"))


def fields_of(name: str) -> frozenset[str]:
    return frozenset(load_fields()["classes"].get(name, ()))


def deprecated_of(name: str) -> dict[str, str]:
    return dict(load_fields().get("deprecated", {}).get(name, {}))


def dependency_data() -> dict[str, Any]:
    """requires / extras / modules of the pinned stack (see collect_dependencies)."""
    return load_fields().get("dependencies", {"requires": {}, "extras": {}, "modules": {}})


def brought_by(declared: dict[str, set[str]]) -> set[str]:
    """Every distribution a job gets from `declared` ({canonical name: extras}), requirements followed."""
    data = dependency_data()
    todo = list(declared)
    for dist, wanted in declared.items():
        for extra in wanted:
            todo += data["extras"].get(dist, {}).get(canonical(extra), [])
    out: set[str] = set()
    while todo:
        dist = todo.pop()
        if dist in out:
            continue
        out.add(dist)
        todo += data["requires"].get(dist, [])
    return out


def distribution_of(module: str) -> str | None:
    """The pinned stack's distribution providing top-level `module` (None: not one of them)."""
    return dependency_data()["modules"].get(module)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument(
        "--write", action="store_true", help=f"write {FIELDS_FILE.name} from the installed stack"
    )
    group.add_argument(
        "--check", action="store_true", help="exit 1 if the file differs from the installed stack"
    )
    args = parser.parse_args(argv)
    fresh = collect()
    if args.write:
        FIELDS_FILE.write_text(json.dumps(fresh, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        print(f"wrote {FIELDS_FILE}", file=sys.stderr)
        return 0
    stored = json.loads(FIELDS_FILE.read_text(encoding="utf-8")) if FIELDS_FILE.exists() else {}
    if stored != fresh:
        print(
            f"{FIELDS_FILE.name} is out of date for the installed stack {fresh['versions']}: "
            "run `python -m hf_train_mcp.training.introspect --write`",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
