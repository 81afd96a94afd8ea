"""Checks any uv training script (ours or hand-written) without running it: PEP 723 header, syntax, and
the TRL / transformers traps that otherwise surface minutes into a paid GPU job.

Every finding is a `Check` with the fix. The keyword check reads `config_fields.json` (the field names of
the pinned config classes, see introspect.py), so nothing heavy is imported: a script validates in
milliseconds.
"""

from __future__ import annotations

import ast
import difflib
import re
import tomllib
from typing import Any

from hf_train_mcp.redact import HF_TOKEN_PATTERN
from hf_train_mcp.training.config import LOCAL_FLAVOR, Check, parse_timeout
from hf_train_mcp.training.introspect import deprecated_of, fields_of, load_fields
from hf_train_mcp.training.render import extract_config, optional_pins, training_pins

PEP723_RE = re.compile(r"(?m)^# /// (?P<type>[a-zA-Z0-9-]+)$\s(?P<content>(^#(| .*)$\s)+)^# ///$")
TOKEN_SECRETS = ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HUGGINGFACE_HUB_TOKEN")

# Callables whose keywords are checked, and the field lists that apply.
CHECKED_CALLS: dict[str, tuple[str, ...]] = {
    "SFTConfig": ("SFTConfig",),
    "DPOConfig": ("DPOConfig",),
    "TrainingArguments": ("TrainingArguments",),
    "LoraConfig": ("LoraConfig",),
    "BitsAndBytesConfig": ("BitsAndBytesConfig",),
    "ModelConfig": ("ModelConfig",),
    "SFTTrainer": ("SFTTrainer",),
    "DPOTrainer": ("DPOTrainer",),
    "Trainer": ("Trainer",),
}
TRL_CONFIGS = ("SFTConfig", "DPOConfig")
ARGS_CALLS = ("SFTConfig", "DPOConfig", "TrainingArguments")
TRAINER_CALLS = ("SFTTrainer", "DPOTrainer", "Trainer")

# Renamed or removed names, seen in released versions (../shared/notes/training-facts.md).
RENAMED_KEYWORDS: dict[str, tuple[str, str]] = {
    "max_seq_length": ("max_length", "`max_seq_length` was renamed `max_length` (removed in TRL 0.20)"),
    "torch_dtype": ("dtype", "`torch_dtype` was renamed `dtype` (transformers 5)"),
    "evaluation_strategy": ("eval_strategy", "`evaluation_strategy` was renamed `eval_strategy`"),
    "warmup_ratio": (
        "warmup_steps",
        "`warmup_ratio` was removed in transformers 5: `warmup_steps` takes a ratio as a float below 1",
    ),
}
DPO_REMOVED = {
    "max_prompt_length": "removed from DPOConfig in TRL 0.29: `max_length` truncates the whole sequence",
    "max_completion_length": "removed from DPOConfig in TRL 0.29: `max_length` truncates the whole sequence",
}
MOVED_TO_EXPERIMENTAL = {
    "ORPOTrainer",
    "ORPOConfig",
    "CPOTrainer",
    "CPOConfig",
    "PPOTrainer",
    "PPOConfig",
}
MODULE_TO_DIST = {
    "torch": "torch",
    "transformers": "transformers",
    "trl": "trl",
    "peft": "peft",
    "datasets": "datasets",
    "accelerate": "accelerate",
    "bitsandbytes": "bitsandbytes",
    "trackio": "trackio",
}
_REQ_NAME_RE = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*(.*)$")


def _name_of(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _const(node: ast.expr | None) -> Any:
    if node is None:
        return None
    try:
        return ast.literal_eval(node)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return _Unknown


class _UnknownType:
    def __repr__(self) -> str:
        return "<not a constant>"


_Unknown = _UnknownType()


def pinned_stack_text() -> str:
    return ", ".join(f'"{k}=={v}"' for k, v in training_pins().items())


def check_pep723(text: str, tree: ast.Module | None) -> tuple[list[Check], dict[str, str]]:
    """The `# /// script` block: present, valid TOML, lists (pinned) every training library imported."""
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
    for dep in deps:
        match = _REQ_NAME_RE.match(dep)
        if match:
            declared[match.group(1).lower().replace("_", "-")] = match.group(3).strip()
    imported: set[str] = set()
    if tree is not None:
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                imported.update(a.name.split(".")[0] for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                imported.add(node.module.split(".")[0])
    needed = sorted({MODULE_TO_DIST[m] for m in imported if m in MODULE_TO_DIST})
    missing = [d for d in needed if d not in declared]
    if missing:
        checks.append(
            Check(
                "pep723",
                "fail",
                f"the script imports {missing} but its `dependencies` do not list them",
                "add " + ", ".join(f'"{d}=={_tested(d)}"' if _tested(d) else f'"{d}"' for d in missing),
                line,
            )
        )
    else:
        checks.append(
            Check("pep723", "pass", f"PEP 723 block lists {len(declared)} dependencies", None, line)
        )
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


def _tested(dist: str) -> str | None:
    return {**training_pins(), **optional_pins()}.get(dist)


def validate_script(
    text: str,
    *,
    flavor: str | None = None,
    secrets: dict[str, str] | None = None,
    env: dict[str, str] | None = None,
    timeout: str | int | None = None,
) -> list[Check]:
    """Every static check on `text`; `flavor`, `secrets`, `timeout` are those of the intended hf_jobs call."""
    checks: list[Check] = []
    tree: ast.Module | None
    try:
        tree = ast.parse(compile(text, "<script>", "exec", flags=ast.PyCF_ONLY_AST, dont_inherit=True))
        checks.append(Check("compile", "pass", "the script compiles"))
    except SyntaxError as exc:
        tree = None
        checks.append(
            Check(
                "compile",
                "fail",
                f"syntax error: {exc.msg} (line {exc.lineno}: {(exc.text or '').strip()[:120]!r})",
                "fix the syntax; `python -m py_compile script.py` reproduces it",
                exc.lineno,
            )
        )
    except ValueError as exc:  # NUL bytes
        tree = None
        checks.append(Check("compile", "fail", f"the script cannot be compiled: {exc}", "remove NUL bytes"))
    pep_checks, _declared = check_pep723(text, tree)
    checks += pep_checks

    if HF_TOKEN_PATTERN.search(text):  # the pattern redaction masks: what we hide, we also flag
        checks.append(
            Check(
                "token",
                "fail",
                "the script contains a Hugging Face token: it is visible to anyone who reads the job",
                'remove it and pass secrets={"HF_TOKEN": "$HF_TOKEN"}; huggingface_hub reads HF_TOKEN itself',
            )
        )

    info = None
    local = flavor == LOCAL_FLAVOR  # runs on this machine: its disk stays, no token needed to push nothing
    if flavor and not local:
        from hf_train_mcp.hardware.api import flavor_info

        info = flavor_info(flavor)
    no_bf16_gpu = bool(info and info.gpu_count and not info.bf16)
    config = extract_config(text) if tree is not None else None
    generated = config is not None and "pinned_versions" in config  # made by generate_training_script
    settings: dict[str, Any] = {"generated": generated}
    if tree is not None:
        checks += _ast_checks(tree, info, no_bf16_gpu, settings)
    if config is not None:
        checks += _config_checks(config, flavor, info, no_bf16_gpu, settings)
    checks += _push_and_secret_checks(settings, config, secrets, env, local=local)
    checks += _timeout_checks(timeout)
    return checks


def _ast_checks(tree: ast.Module, info: Any, no_bf16_gpu: bool, settings: dict[str, Any]) -> list[Check]:
    checks: list[Check] = []
    versions = load_fields()["versions"]
    stack = f"trl {versions['trl']} / transformers {versions['transformers']} / peft {versions['peft']}"
    trainer_eval_data = False
    eval_strategy_line: int | None = None
    eval_on = False
    unknown_count = 0

    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "trl":
            moved = [a.name for a in node.names if a.name in MOVED_TO_EXPERIMENTAL]
            if moved and "experimental" not in node.module:
                checks.append(
                    Check(
                        "imports",
                        "fail",
                        f"{moved} moved to trl.experimental in TRL 0.29: `from trl import ...` fails",
                        f"from trl.experimental.<name> import {', '.join(moved)} (see the TRL docs of "
                        f"{versions['trl']})",
                        node.lineno,
                    )
                )
        if isinstance(node, ast.Dict):
            for key in node.keys:
                if isinstance(key, ast.Constant) and key.value == "torch_dtype":
                    checks.append(
                        Check(
                            "renamed",
                            "fail",
                            "`torch_dtype` was renamed `dtype` (transformers 5)",
                            'use the key "dtype"',
                            key.lineno,
                        )
                    )
        # A generated script decides dtype at run time from CONFIG (checked in _config_checks); these
        # literal scans are for hand-written scripts.
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and not settings["generated"]:
            if no_bf16_gpu and node.value in ("bfloat16", "bf16"):
                checks.append(
                    Check(
                        "bf16",
                        "fail",
                        f"{info.name} ({info.gpu}) has no bfloat16, but the script uses {node.value!r}",
                        "use float16 (fp16=True, bf16=False)",
                        node.lineno,
                    )
                )
            if node.value == "flash_attention_2" and info is not None and not info.flash_attention:
                checks.append(
                    Check(
                        "attention",
                        "fail",
                        f"FlashAttention-2 needs an Ampere or newer GPU; {info.name} is {info.gpu}",
                        'use attn_implementation="sdpa"',
                        node.lineno,
                    )
                )
        if (
            isinstance(node, ast.Attribute)
            and node.attr == "bfloat16"
            and no_bf16_gpu
            and not settings["generated"]
        ):
            checks.append(
                Check(
                    "bf16",
                    "fail",
                    f"{info.name} ({info.gpu}) has no bfloat16, but the script uses torch.bfloat16",
                    "use torch.float16 with fp16=True, bf16=False",
                    node.lineno,
                )
            )
        if not isinstance(node, ast.Call):
            continue
        name = _name_of(node.func)
        keywords = {kw.arg: kw for kw in node.keywords if kw.arg is not None}
        if name in ("push_to_hub", "upload_folder", "upload_file", "upload_large_folder", "create_commit"):
            settings["push_call"] = True
        # renamed / removed keywords, in any call
        for key, kw in keywords.items():
            if key in RENAMED_KEYWORDS:
                new, why = RENAMED_KEYWORDS[key]
                value = ast.unparse(kw.value)
                checks.append(Check("renamed", "fail", why, f"{new}={value}", kw.value.lineno))
            if key == "tokenizer" and name and name.endswith("Trainer"):
                checks.append(
                    Check(
                        "renamed",
                        "fail",
                        f"{name}(tokenizer=...) was renamed processing_class",
                        f"processing_class={ast.unparse(kw.value)}",
                        kw.value.lineno,
                    )
                )
            if name == "DPOConfig" and key in DPO_REMOVED:
                checks.append(
                    Check(
                        "removed",
                        "fail",
                        f"`{key}` was {DPO_REMOVED[key]}",
                        "remove it; set max_length",
                        kw.value.lineno,
                    )
                )
        if name not in CHECKED_CALLS:
            continue
        # every keyword must exist in the pinned class
        allowed: set[str] = set()
        for target in CHECKED_CALLS[name]:
            allowed |= fields_of(target)
        deprecated = {}
        for target in (*CHECKED_CALLS[name], *(("TrainingArguments",) if name in TRL_CONFIGS else ())):
            deprecated.update(deprecated_of(target))
        for key, kw in keywords.items():
            if key in RENAMED_KEYWORDS or key == "tokenizer" or (name == "DPOConfig" and key in DPO_REMOVED):
                continue
            if key not in allowed:
                unknown_count += 1
                close = difflib.get_close_matches(key, sorted(allowed), n=3, cutoff=0.6)
                checks.append(
                    Check(
                        "keywords",
                        "fail",
                        f"{name}() has no argument `{key}` in {stack}: TypeError at run time",
                        f"did you mean {', '.join(close)}?" if close else f"remove `{key}`",
                        kw.value.lineno,
                    )
                )
            elif key in deprecated:
                checks.append(
                    Check(
                        "deprecated",
                        "warn",
                        f"{name}(`{key}`): {deprecated[key]}",
                        _deprecation_fix(key, deprecated[key]),
                        kw.value.lineno,
                    )
                )
        if name in ARGS_CALLS:
            for key in (
                "eval_strategy",
                "push_to_hub",
                "hub_model_id",
                "hub_strategy",
                "save_strategy",
                "bf16",
                "fp16",
                "torch_compile",
                "do_eval",
            ):
                if key in keywords:
                    settings[key] = _const(keywords[key].value)
            if (
                "evaluation_strategy" in keywords and "eval_strategy" not in keywords
            ):  # the old name still counts
                settings["eval_strategy"] = _const(keywords["evaluation_strategy"].value)
            strategy = settings.get("eval_strategy")
            if (isinstance(strategy, str) and strategy != "no") or settings.get("do_eval") is True:
                eval_on = True
                eval_strategy_line = node.lineno
            if no_bf16_gpu:
                checks += _t4_args_checks(name, keywords, info, node.lineno)
        if (
            name in TRAINER_CALLS
            and "eval_dataset" in keywords
            and _const(keywords["eval_dataset"].value) is not None
        ):
            trainer_eval_data = True
    if unknown_count == 0:
        checks.append(Check("keywords", "pass", f"every config and trainer keyword exists in {stack}"))
    if eval_on and not trainer_eval_data:
        checks.append(
            Check(
                "eval",
                "fail",
                "eval_strategy is set but no trainer gets an eval_dataset: the run hangs or fails at start",
                'pass eval_dataset=... to the trainer, or set eval_strategy="no"',
                eval_strategy_line,
            )
        )
    return checks


def _deprecation_fix(key: str, help_text: str) -> str:
    match = re.search(r"alias of `([a-z_]+)`", help_text)
    if match:
        return f"use `{match.group(1)}` instead of `{key}`"
    return f"stop using `{key}`"


def _t4_args_checks(name: str, keywords: dict[str, ast.keyword], info: Any, line: int) -> list[Check]:
    checks: list[Check] = []
    bf16 = _const(keywords["bf16"].value) if "bf16" in keywords else None
    fp16 = _const(keywords["fp16"].value) if "fp16" in keywords else None
    if bf16 is True:
        checks.append(
            Check(
                "bf16",
                "fail",
                f"bf16=True on {info.name} ({info.gpu}): no bfloat16 before Ampere",
                "fp16=True, bf16=False",
                keywords["bf16"].value.lineno,
            )
        )
    elif name in TRL_CONFIGS and "bf16" not in keywords and (fp16 is None or fp16 is False):
        checks.append(
            Check(
                "bf16",
                "fail",
                f"{name} turns bf16 on unless fp16 is set, and {info.name} ({info.gpu}) has no bfloat16",
                "pass fp16=True, bf16=False",
                line,
            )
        )
    if "torch_compile" in keywords and _const(keywords["torch_compile"].value) is True:
        checks.append(
            Check(
                "torch_compile",
                "warn",
                f"torch_compile on {info.gpu} is slow to start and often fails",
                "remove torch_compile=True",
                keywords["torch_compile"].value.lineno,
            )
        )
    return checks


def _config_checks(
    config: dict[str, Any], flavor: str | None, info: Any, no_bf16_gpu: bool, settings: dict[str, Any]
) -> list[Check]:
    """Scripts made by generate_training_script keep their settings in CONFIG: check those values."""
    checks: list[Check] = []
    if "push_to_hub" in config:
        settings.setdefault("config_push", bool(config.get("push_to_hub") and config.get("hub_model_id")))
    made_for = config.get("flavor")
    if flavor and made_for and made_for != flavor and made_for != "local":
        checks.append(
            Check(
                "flavor",
                "warn",
                f"the script was generated for {made_for}, not {flavor}: dtype and GPU count were "
                "chosen for it",
                f"submit it with flavor={made_for!r}, or regenerate it for {flavor}",
            )
        )
    if no_bf16_gpu and (config.get("dtype") == "bfloat16" or config.get("mixed_precision") == "bf16"):
        checks.append(
            Check(
                "bf16",
                "fail",
                f"CONFIG uses bfloat16 and {info.name} ({info.gpu}) has none",
                f"regenerate the script with flavor={info.name!r} (fp16 mixed precision)",
            )
        )
    data = config.get("dataset") if isinstance(config.get("dataset"), dict) else {}
    strategy = config.get("eval_strategy")
    if (
        isinstance(strategy, str)
        and strategy != "no"
        and not (data.get("eval_split") or data.get("eval_fraction"))
    ):
        checks.append(
            Check(
                "eval",
                "fail",
                f"CONFIG eval_strategy={strategy!r} without eval_split or eval_fraction",
                "regenerate with eval_split or eval_fraction, or eval_strategy='no'",
            )
        )
    return checks


def _push_and_secret_checks(
    settings: dict[str, Any],
    config: dict[str, Any] | None,
    secrets: dict[str, str] | None,
    env: dict[str, str] | None,
    *,
    local: bool = False,
) -> list[Check]:
    checks: list[Check] = []
    if settings.get("generated"):
        pushes = bool(settings.get("config_push"))
    else:
        pushes = settings.get("push_to_hub") is True or bool(settings.get("push_call"))
    if not pushes and local:
        checks.append(
            Check("push_to_hub", "info", "a local run without pushing: the model stays in output_dir")
        )
    elif not pushes:
        checks.append(
            Check(
                "push_to_hub",
                "fail",
                "nothing is pushed to the Hub: the job's disk is discarded when it ends, with the "
                "model on it",
                'pass push_to_hub=True, hub_model_id="your-username/model-name" and '
                'hub_strategy="checkpoint" '
                "to the training config",
            )
        )
    else:
        checks.append(Check("push_to_hub", "pass", "the script pushes to the Hub"))
        if settings.get("push_to_hub") is True and "hub_model_id" not in settings:
            checks.append(
                Check(
                    "hub_model_id",
                    "warn",
                    "push_to_hub=True without hub_model_id: the repo is named after output_dir",
                    'pass hub_model_id="your-username/model-name"',
                )
            )
        strategy = settings.get("hub_strategy")
        if settings.get("push_to_hub") is True and strategy not in (
            "checkpoint",
            "all_checkpoints",
            _Unknown,
        ):
            checks.append(
                Check(
                    "checkpoints",
                    "warn",
                    "checkpoints are not pushed: a job that times out or fails loses all progress",
                    'hub_strategy="checkpoint" with save_strategy="steps", and resume from last-checkpoint',
                )
            )
    in_env = [k for k in (env or {}) if k in TOKEN_SECRETS]
    if in_env:
        checks.append(
            Check(
                "token_secret",
                "warn",
                f"{in_env} passed as env: env values are shown by `inspect`",
                'pass it in secrets instead: secrets={"HF_TOKEN": "$HF_TOKEN"}',
            )
        )
    if pushes:
        if secrets is None:
            checks.append(
                Check(
                    "token_secret",
                    "warn",
                    "pushing needs a write token in the job; no secrets were given to check",
                    'submit with secrets={"HF_TOKEN": "$HF_TOKEN"}',
                )
            )
        elif not any(k in secrets for k in TOKEN_SECRETS):
            checks.append(
                Check(
                    "token_secret",
                    "fail",
                    "the script pushes to the Hub but the job gets no token: the push fails with 401 after "
                    "training",
                    'add secrets={"HF_TOKEN": "$HF_TOKEN"}',
                )
            )
        else:
            checks.append(Check("token_secret", "pass", "a token secret is passed to the job"))
    return checks


def _timeout_checks(timeout: str | int | None) -> list[Check]:
    if timeout is None:
        return [
            Check(
                "timeout",
                "warn",
                "no timeout given: Hugging Face Jobs stop a job after 30 minutes by default",
                "pass a timeout at least 1.3 x the estimated run, e.g. timeout='2h'",
            )
        ]
    try:
        seconds = parse_timeout(timeout)
    except ValueError as exc:
        return [Check("timeout", "fail", str(exc), "pass a duration such as '2h' or '90m'")]
    if seconds <= 30 * 60:
        return [
            Check(
                "timeout",
                "warn",
                f"timeout {timeout} is short for a training run",
                "use at least 1.3 x the estimated run (recommend_hardware estimates it)",
            )
        ]
    return [Check("timeout", "pass", f"timeout {timeout}")]
