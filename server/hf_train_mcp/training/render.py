"""Plan -> script text: PEP 723 header + docstring + `CONFIG = {literal}` + the code of `training.runner`.

The frame is script_templates/script.py.j2 (rendered with StrictUndefined); the code is the runner module's
own source after its "script body" marker, with the package modules it imports between its "inline" markers
(runner_io, runner_data, runner_methods, runner_trainer and theirs: runner_fit, launch, sharegpt) inlined
there, each once and after the modules it imports, so the script is one self-contained file for `uv run`.
A module joins the script by being imported there and carrying MODULE_MARKER; nothing here lists them.

User values reach a script only as Python literals: the whole resolved config is emitted by `py_literal`
as one `CONFIG = {...}` literal, and after rendering the literal is parsed back with `ast.literal_eval`
and compared with what went in. A value that cannot be written as an inert literal is refused, never
pasted as code. Everything else the templates branch on is an enum (method, peft).
"""

from __future__ import annotations

import ast
import json
import math
import re
from functools import cache
from pathlib import Path
from typing import Any

from hf_train_mcp.training.arguments import SOLUTION_REWARDS
from hf_train_mcp.training.config import Plan

_HERE = Path(__file__).resolve().parent
TRAIN_PINS = _HERE / "requirements-train.txt"
OPTIONAL_PINS = _HERE / "requirements-optional.txt"
_REQUIREMENT_RE = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([A-Za-z0-9][A-Za-z0-9.+!_-]*)$")
TEMPLATE = "script.py.j2"
BODY_MARKER = "# hf-train-mcp: script body\n"
INLINE_START = "# hf-train-mcp: inline\n"
INLINE_END = "# hf-train-mcp: end inline\n"
MODULE_MARKER = "# hf-train-mcp: inlined into scripts from here\n"
PACKAGE = "hf_train_mcp.training."
CONFIG_LINE = re.compile(r"^CONFIG: dict\[str, Any\] = \{\}.*\n", re.MULTILINE)
PEFT_TITLES = {
    "full": "full fine-tuning",
    "lora": "LoRA adapter",
    "qlora": "QLoRA: 4-bit base + LoRA adapter",
}


class RenderError(ValueError):
    """A value could not be rendered as an inert literal, or the template broke its own contract."""


def read_pins(path: Path) -> dict[str, str]:
    pins: dict[str, str] = {}
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        match = _REQUIREMENT_RE.match(line)
        if not match:
            raise RenderError(f"{path.name}: {line!r} is not an exact pin such as 'trl==1.16.0'")
        pins[match.group(1).lower()] = match.group(2)
    return pins


@cache
def training_pins() -> dict[str, str]:
    """The tested-together training stack, name -> version (requirements-train.txt)."""
    return read_pins(TRAIN_PINS)


@cache
def optional_pins() -> dict[str, str]:
    """Packages only some scripts need (bitsandbytes, trackio), name -> version."""
    return read_pins(OPTIONAL_PINS)


def dependencies_for(plan: Plan) -> list[str]:
    deps = dict(training_pins())
    extra = optional_pins()
    if plan.peft == "qlora":
        deps["bitsandbytes"] = extra["bitsandbytes"]
    if plan.config.get("trackio"):
        deps["trackio"] = extra["trackio"]
    if any(spec["name"] in SOLUTION_REWARDS for spec in plan.config.get("rewards", ())):
        deps["math-verify"] = extra["math-verify"]  # trl.rewards' accuracy rewards parse answers with it
    return [f"{name}=={version}" for name, version in deps.items()]


# --------------------------------------------------------------------------------------------------
# Literals
# --------------------------------------------------------------------------------------------------


def py_literal(value: Any, indent: int = 0) -> str:
    """A Python literal for plain data (None, bool, int, finite float, str, list, tuple, dict with str keys).

    Anything else raises `RenderError`: no object's own repr is ever trusted.
    """
    pad = "    " * (indent + 1)
    end = "    " * indent
    if value is None or isinstance(value, bool):
        return repr(value)
    if isinstance(value, int):
        return repr(int(value))
    if isinstance(value, float):
        if not math.isfinite(value):
            raise RenderError(f"cannot render the non-finite number {value!r}")
        return repr(float(value))
    if isinstance(value, str):
        return repr(str(value))  # str.__repr__ escapes quotes, backslashes, newlines and non-printables
    if isinstance(value, list | tuple):
        if not value:
            return "[]"
        if all(v is None or isinstance(v, bool | int | float | str) for v in value) and len(value) <= 8:
            return "[" + ", ".join(py_literal(v) for v in value) + "]"
        items = "".join(f"{pad}{py_literal(v, indent + 1)},\n" for v in value)
        return "[\n" + items + end + "]"
    if isinstance(value, dict):
        if not value:
            return "{}"
        for key in value:
            if not isinstance(key, str):
                raise RenderError(f"cannot render a dict key of type {type(key).__name__}")
        items = "".join(f"{pad}{py_literal(k)}: {py_literal(v, indent + 1)},\n" for k, v in value.items())
        return "{\n" + items + end + "}"
    raise RenderError(f"cannot render a value of type {type(value).__name__} as a literal")


def toml_str(value: Any) -> str:
    """A TOML basic string for a dependency line (only validated requirement strings get here)."""
    if not isinstance(value, str) or not _REQUIREMENT_RE.match(value):
        raise RenderError(f"{value!r} is not a pinned requirement")
    return json.dumps(value)


@cache
def _environment() -> Any:
    import jinja2

    from hf_train_mcp import resources

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(resources.templates_dir())),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["py"] = py_literal
    env.filters["toml_str"] = toml_str
    return env


def _after(text: str, marker: str, what: str) -> str:
    if marker not in text:
        raise RenderError(f"{what} lost its marker {marker.strip()!r}")
    return text.split(marker, 1)[1]


def _package_modules(code: str) -> list[str]:
    """The hf_train_mcp.training modules `code` imports from, in order."""
    names = []
    for node in ast.parse(code).body:
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(PACKAGE):
            names.append(node.module.removeprefix(PACKAGE))  # type: ignore[union-attr]
    return names


def _without_package_imports(code: str) -> str:
    """`code` without its `from hf_train_mcp... import` statements (their code is inlined instead)."""
    lines = code.splitlines(keepends=True)
    for node in reversed(ast.parse(code).body):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(PACKAGE):
            del lines[node.lineno - 1 : node.end_lineno]
    return "".join(lines)


def _inline(names: list[str], seen: set[str]) -> str:
    """The code of each module (after its marker), its own package imports first, each module once."""
    parts = []
    for name in names:
        if name in seen:
            continue
        seen.add(name)
        source = (_HERE / f"{name}.py").read_text(encoding="utf-8")
        parts.append(_inline(_package_modules(source), seen))
        code = _without_package_imports(_after(source, MODULE_MARKER, f"{name}.py")).strip()
        parts.append(f"# --- hf_train_mcp.training.{name} (inlined) ---\n{code}\n\n\n")
    return "".join(parts)


@cache
def script_parts() -> tuple[str, str, str]:
    """(usage text, code before CONFIG, code after CONFIG): runner.py with the modules it imports from
    the package inlined in place of its import block, so the script is one self-contained file."""
    runner = (_HERE / "runner.py").read_text(encoding="utf-8")
    usage = ast.get_docstring(ast.parse(runner)) or ""
    usage = usage[usage.index("Run it as a uv script:") :]
    body = _after(runner, BODY_MARKER, "runner.py")
    head, rest = body.split(INLINE_START, 1)
    block, tail = rest.split(INLINE_END, 1)
    body = head + _inline(_package_modules(block), set()) + tail.lstrip("\n")
    parts = CONFIG_LINE.split(body, maxsplit=1)
    if len(parts) != 2:
        raise RenderError("runner.py lost its CONFIG placeholder line")
    return usage, parts[0], parts[1]


def render_script(plan: Plan) -> str:
    """Render the script for `plan`. Raises RenderError if the CONFIG literal does not round-trip."""
    from hf_train_mcp import __version__

    usage, head, tail = script_parts()
    config = json.loads(json.dumps(plan.config))  # plain data only (tuples -> lists)
    literal = py_literal(config)
    # The safety check: the literal parses back, as inert data, to exactly the validated settings. It is
    # parsed alone: the rest of the text is the package's own code (compiled by the static checks).
    try:
        round_trip = ast.literal_eval(literal)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        round_trip = None
    if round_trip != config:
        raise RenderError("the rendered CONFIG literal does not match the validated settings")
    text = (
        _environment()
        .get_template(TEMPLATE)
        .render(
            config_literal=literal,
            dependencies=dependencies_for(plan),
            title=f"{plan.method.upper()} fine-tuning script ({PEFT_TITLES[plan.peft]}).",
            generator_version=__version__,
            usage=usage,
            body_head=head,
            body_tail=tail,
        )
    )
    if text.count(f"\nCONFIG = {literal}\n") != 1:
        raise RenderError("the template did not write the CONFIG literal exactly once")
    return text


def extract_config(text: str) -> dict[str, Any] | None:
    """The `CONFIG = {...}` literal of a script, or None if there is none (or it is not a pure literal)."""
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return None
    return config_in(tree)


def config_in(tree: ast.Module) -> dict[str, Any] | None:
    """`extract_config` on a script already parsed (the static checks parse it once for every check)."""
    for node in tree.body:
        if (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
            and node.targets[0].id == "CONFIG"
        ):
            try:
                value = ast.literal_eval(node.value)
            except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
                return None
            return value if isinstance(value, dict) else None
    return None
