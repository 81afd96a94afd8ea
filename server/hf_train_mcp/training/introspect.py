"""The field names of the pinned TRL / transformers / peft config classes, cached as JSON.

The server never imports trl, transformers or torch (seconds of start-up, gigabytes of memory). Instead
`config_fields.json`, written by this module from the installed (pinned) versions, lists every keyword
each config class and trainer accepts; `static_checks` reads it in microseconds.

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
    "ModelConfig": ("trl", "ModelConfig", "dataclass"),
    "TrainingArguments": ("transformers", "TrainingArguments", "dataclass"),
    "LoraConfig": ("peft", "LoraConfig", "dataclass"),
    "BitsAndBytesConfig": ("transformers", "BitsAndBytesConfig", "callable"),
    "SFTTrainer": ("trl", "SFTTrainer", "callable"),
    "DPOTrainer": ("trl", "DPOTrainer", "callable"),
    "Trainer": ("transformers", "Trainer", "callable"),
}
# "Deprecated alias of ...", "Deprecated. Set ...", "... Deprecated in `SFTTrainer`": names that still work
# in the pinned versions but warn, and will break on the next major release.
_DEPRECATED_RE = re.compile(r"^Deprecated\b|\. Deprecated in ")
PACKAGES = ("torch", "transformers", "trl", "peft", "datasets", "accelerate")


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
    return {"versions": versions, "classes": classes, "deprecated": deprecated}


@cache
def load_fields() -> dict[str, Any]:
    """The cached field names (light: reads JSON only)."""
    return json.loads(FIELDS_FILE.read_text(encoding="utf-8"))


def fields_of(name: str) -> frozenset[str]:
    return frozenset(load_fields()["classes"].get(name, ()))


def deprecated_of(name: str) -> dict[str, str]:
    return dict(load_fields().get("deprecated", {}).get(name, {}))


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
