"""validate_training_script on a script's PEP 723 header (script_deps.py): `uv run` installs exactly what the
`# /// script` block lists, so a missing block, a broken one or an import nothing listed brings fails at the
first import of a paid job; unpinned or other versions only warn. Each rule both ways.
"""

from __future__ import annotations

import tomllib

import pytest
from hf_train_mcp.training.config import Check
from hf_train_mcp.training.render import optional_pins, training_pins
from hf_train_mcp.training.static_checks import validate_script
from training.helpers import GOOD_SFT_BODY

SECRETS = {"HF_TOKEN": "$HF_TOKEN"}


def pep723(text: str) -> list[Check]:
    return [c for c in validate_script(text, secrets=SECRETS, timeout="2h") if c.name in ("pep723", "pins")]


def header(*deps: str, before: str = "", extra: str = "") -> str:
    listed = "".join(f'#     "{d}",\n' for d in deps)
    return f"{before}# /// script\n{extra}# dependencies = [\n{listed}# ]\n# ///\n"


STACK = tuple(f"{name}=={version}" for name, version in training_pins().items())


def test_the_pinned_stack_passes_and_the_block_is_counted() -> None:
    [check] = pep723(header(*STACK) + GOOD_SFT_BODY)
    assert check.status == "pass" and check.line == 1
    listed = f"PEP 723 block lists {len(STACK)} dependencies"
    assert check.message == listed + "; they bring every pinned-stack import"


def test_no_block_fails_with_a_header_the_lint_itself_accepts() -> None:
    [fail] = pep723(GOOD_SFT_BODY)
    assert fail.status == "fail" and fail.message.startswith("no PEP 723 `# /// script` block")
    assert fail.fix is not None and fail.fix.startswith("start the file with\n# /// script\n")
    pasted = fail.fix.removeprefix("start the file with\n") + "\n" + GOOD_SFT_BODY
    assert [c.status for c in pep723(pasted)] == ["pass"]


def test_only_a_script_block_counts() -> None:
    pyproject = header(*STACK).replace("# /// script", "# /// pyproject")
    [fail] = pep723(pyproject + GOOD_SFT_BODY)
    assert fail.status == "fail" and fail.message.startswith("no PEP 723 `# /// script` block")


def test_two_script_blocks_fail() -> None:
    [fail] = pep723(header(*STACK) + "\n" + header(*STACK) + GOOD_SFT_BODY)
    assert fail.status == "fail" and fail.message == "more than one `# /// script` block"
    assert fail.fix == "keep exactly one"


def test_a_block_after_a_shebang_and_with_blank_comment_lines_is_read() -> None:
    text = header(*STACK, before="#!/usr/bin/env -S uv run\n", extra='# requires-python = ">=3.11"\n#\n')
    [check] = pep723(text + GOOD_SFT_BODY)
    assert check.status == "pass" and check.line == 2


def test_broken_toml_fails_at_the_blocks_line() -> None:
    text = header(*STACK, before='#!/usr/bin/env python\n"""Fine-tune Qwen."""\n').replace("# ]\n", "")
    [fail] = pep723(text + GOOD_SFT_BODY)
    assert fail.status == "fail" and fail.line == 3
    assert fail.message.startswith("the `# /// script` block is not valid TOML: ")
    assert fail.fix is not None and fail.fix.startswith("start the file with\n# /// script\n")


def test_a_toml_error_gives_the_line_and_column_inside_the_block() -> None:
    # the block's TOML, as written without its "# " prefixes: a comma is missing after the first requirement
    toml = 'requires-python = ">=3.11"\n\ndependencies = [\n  "trl==1.16.0"\n  "peft==0.21.2",\n]\n'
    with pytest.raises(tomllib.TOMLDecodeError) as error:
        tomllib.loads(toml)
    assert "(at line 5, column 3)" in str(error.value)
    block = "".join(f"# {ln}\n" if ln else "#\n" for ln in toml.splitlines())
    [fail] = pep723("# /// script\n" + block + "# ///\n" + GOOD_SFT_BODY)
    assert fail.message == f"the `# /// script` block is not valid TOML: {error.value}"


@pytest.mark.parametrize(
    "block",
    [
        '# requires-python = ">=3.11"\n',
        '# dependencies = "trl==1.16.0"\n',
        "# dependencies = [1, 2]\n",
    ],
)
def test_a_block_without_a_list_of_requirement_strings_fails(block: str) -> None:
    [fail] = pep723("# /// script\n" + block + "# ///\n" + GOOD_SFT_BODY)
    assert fail.status == "fail" and fail.message == "the `# /// script` block has no `dependencies` list"
    assert fail.line == 1 and fail.fix is not None and '#     "trl==' in fail.fix


# -- what the listed packages bring, by the pinned stack's own metadata -------------------------------------
@pytest.mark.parametrize(
    "deps",
    [
        # trl brings datasets, transformers, accelerate (and torch); [peft] brings peft
        ("trl[peft]==1.16.0",),
        ("TRL[peft] == 1.16.0",),  # names and spaces as pip reads them
        ("trl[ vllm , peft ]==1.16.0",),
        ("trl[vllm,peft]==1.16.0",),
        ("trl==1.16.0", "Peft==0.21.2"),
    ],
)
def test_packages_brought_by_the_listed_ones_are_not_missing(deps: tuple[str, ...]) -> None:
    body = "import torch\nimport accelerate\nfrom transformers.trainer_utils import get_last_checkpoint\n"
    checks = pep723(header(*deps) + body + GOOD_SFT_BODY)
    assert [c.status for c in checks if c.name == "pep723"] == ["pass"]


def test_an_import_nothing_listed_brings_fails_with_the_pinned_requirement_to_add() -> None:
    body = "import argparse\nimport bitsandbytes\nfrom peft import LoraConfig\n" + GOOD_SFT_BODY
    [fail] = [c for c in pep723(header("trl==1.16.0") + body) if c.name == "pep723"]
    assert fail.status == "fail" and fail.line == 1
    assert fail.message.startswith("the script imports ['bitsandbytes', 'peft'], which neither")
    bnb = optional_pins()["bitsandbytes"]
    assert fail.fix == f'add "bitsandbytes=={bnb}", "peft=={training_pins()["peft"]}"'


def test_a_missing_package_outside_the_pinned_stack_is_named_without_a_version() -> None:
    # a plain torch script that reads a YAML config: torch does not bring PyYAML (accelerate would)
    body = "import yaml\nimport torch\n\nconfig = yaml.safe_load(open('config.yaml'))\n"
    [fail] = [c for c in pep723(header("torch==2.13.0") + body) if c.name == "pep723"]
    assert fail.status == "fail" and fail.fix == 'add "pyyaml"'
    assert [c.status for c in pep723(header("torch==2.13.0", "PyYAML") + body) if c.name == "pep723"] == [
        "pass"
    ]


def test_the_standard_library_relative_and_future_imports_need_nothing() -> None:
    body = (
        "from __future__ import annotations\nimport os, json\nimport importlib.metadata\n"
        "from . import helpers\nfrom .data import load\n"
    )
    checks = pep723(header("torch==2.13.0") + body)
    assert [c.status for c in checks] == ["pass"]


def test_an_import_outside_the_stack_warns_unless_a_listed_package_has_its_name() -> None:
    body = "import wandb\n" + GOOD_SFT_BODY
    [warn] = [c for c in pep723(header(*STACK) + body) if c.status == "warn"]
    assert warn.name == "pep723" and warn.message.startswith("imports ['wandb']: no declared package")
    assert warn.line == 1
    assert warn.fix == "add the packages that provide them to `dependencies`, or ignore if a listed one does"
    assert [c.status for c in pep723(header(*STACK, "wandb") + body)] == ["pass"]


# -- pins: a job run later must get the versions the script was checked against -----------------------------
def test_unpinned_tested_packages_warn_with_the_pins_to_use() -> None:
    deps = ("trl", "transformers>=5", *STACK[3:], "torch==2.13.0", "bitsandbytes", "wandb")
    [warn] = [c for c in pep723(header(*deps) + "import bitsandbytes\n" + GOOD_SFT_BODY) if c.name == "pins"]
    assert warn.status == "warn" and warn.line == 1
    assert warn.message.startswith("['trl', 'transformers', 'bitsandbytes'] not pinned")
    pins = training_pins()
    assert warn.fix == (
        f'pin the tested stack: "trl=={pins["trl"]}", "transformers=={pins["transformers"]}", '
        f'"bitsandbytes=={optional_pins()["bitsandbytes"]}"'
    )


def test_other_versions_of_tested_packages_warn_and_the_tested_ones_do_not() -> None:
    deps = [d for d in STACK if not d.startswith(("trl==", "peft=="))]
    deps += ["trl==1.15.0", f"peft== {training_pins()['peft']}", "wandb==0.19.1"]
    [warn] = [c for c in pep723(header(*deps) + GOOD_SFT_BODY) if c.name == "pins"]
    assert warn.status == "warn" and warn.line == 1
    stack = ", ".join(f'"{d}"' for d in STACK)  # the versions the names were checked against, to copy
    assert warn.message == (
        f"['trl==1.15.0'] differ from the tested stack; the argument names here were checked against {stack}"
    )
    assert warn.fix == "use the tested versions, or re-check the script against the versions you pin"
    assert [c for c in pep723(header(*STACK, "wandb==0.19.1") + GOOD_SFT_BODY) if c.name == "pins"] == []
