"""Checks any uv training script (ours or hand-written) without running it: PEP 723 header, syntax, and
the TRL / transformers traps that otherwise surface minutes into a paid GPU job.

Every finding is a `Check` with the fix. "fail" only where the job would really fail or waste its money
(a TypeError at start, an out-of-memory on the flavor, a 403 before the first step, a model lost with the
job's disk); "warn" where it runs but slower, riskier or without a way to resume. `verdict()` words it.
The keyword and dependency checks read `config_fields.json` (the pinned stack's config fields and
package metadata, see introspect.py), so nothing heavy is imported: a script validates in milliseconds.
"""

from __future__ import annotations

import ast
import difflib
import re
from typing import Any

from hf_train_mcp.redact import HF_TOKEN_PATTERN
from hf_train_mcp.training import script_calls as sc
from hf_train_mcp.training.config import LOCAL_FLAVOR, Check
from hf_train_mcp.training.introspect import deprecated_of, fields_of, load_fields
from hf_train_mcp.training.render import config_in
from hf_train_mcp.training.script_deps import PEP723_RE, check_pep723, pinned_stack_text
from hf_train_mcp.training.script_fit import fit_checks
from hf_train_mcp.training.script_push import TOKEN_SECRETS, push_and_secret_checks, timeout_checks

__all__ = ["PEP723_RE", "TOKEN_SECRETS", "check_pep723", "pinned_stack_text", "validate_script", "verdict"]


# Renamed or removed keywords, each on the calls it belongs to (../shared/notes/training-facts.md).
# (calls, new name, why, status): "fail" where the pinned class no longer accepts the old name.
RENAMED: dict[str, tuple[tuple[str, ...], str, str, str]] = {
    "max_seq_length": (
        ("SFTConfig", "SFTTrainer"),
        "max_length",
        "`max_seq_length` was renamed `max_length` (removed in TRL 0.20): TypeError at start",
        "fail",
    ),
    "evaluation_strategy": (
        sc.ARGS_CLASSES,
        "eval_strategy",
        "`evaluation_strategy` was renamed `eval_strategy`: TypeError at start",
        "fail",
    ),
    "warmup_ratio": (
        sc.ARGS_CLASSES,
        "warmup_steps",
        "`warmup_ratio` was removed in transformers 5: `warmup_steps` takes a ratio as a float below 1",
        "fail",
    ),
    "torch_dtype": (
        ("from_pretrained", "ModelConfig"),
        "dtype",
        "`torch_dtype` is deprecated in transformers 5 (still read, with a warning): it is `dtype` now",
        "warn",
    ),
    "tokenizer": (
        tuple(t for t in sc.TRAINERS if t != "Trainer"),
        "processing_class",
        "TRL trainers take the tokenizer as `processing_class`: TypeError at start",
        "fail",
    ),
}
DPO_REMOVED = {
    "max_prompt_length": "removed from DPOConfig in TRL 0.29: `max_length` truncates the whole sequence",
    "max_completion_length": "removed from DPOConfig in TRL 0.29: `max_length` truncates the whole sequence",
}
MOVED_TO_EXPERIMENTAL = {"ORPOTrainer", "ORPOConfig", "CPOTrainer", "CPOConfig", "PPOTrainer", "PPOConfig"}


def verdict(checks: list[Check]) -> str:
    """The one-line judgement: "would fail" only with a FAIL; otherwise "runs", with its warnings."""
    fails = sum(c.status == "fail" for c in checks)
    warns = sum(c.status == "warn" for c in checks)
    if fails:
        return f"would fail: {fails} problem(s) stop the job or waste its money" + (
            f" ({warns} warning(s) besides)" if warns else ""
        )
    if warns:
        return f"runs, with warnings: {warns} thing(s) to look at"
    return "runs: no problem found"


def validate_script(
    text: str,
    *,
    flavor: str | None = None,
    secrets: dict[str, str] | None = None,
    env: dict[str, str] | None = None,
    timeout: str | int | None = None,
    namespaces: frozenset[str] | None = None,
) -> list[Check]:
    """Every static check on `text`; `flavor`, `secrets`, `timeout` are those of the intended hf_jobs call.

    `namespaces`: where the caller's token may create repos (its user and orgs), when known; a Hub id in
    another namespace is then flagged (the push would get a 403)."""
    tree, compiled = _compile(text)
    checks: list[Check] = [compiled]
    facts = sc.read_calls(tree) if tree is not None else sc.ScriptFacts()  # the one walk of the tree
    pep_checks, _declared = check_pep723(text, facts.imports)
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
    config = config_in(tree) if tree is not None else None
    generated = config is not None and "pinned_versions" in config  # made by generate_training_script
    if tree is not None:
        checks += _import_location_checks(facts.imports)
        checks += _call_checks(facts, info, generated, namespaces)
        if not generated and info is not None:
            checks += fit_checks(facts, info)
    if generated and config is not None:  # a CONFIG of the user's own means what their code does with it
        checks += _config_checks(config, flavor, info)
    checks += push_and_secret_checks(facts, config, secrets, env, local=local, generated=generated)
    checks += timeout_checks(timeout)
    return checks


def _compile(text: str) -> tuple[ast.Module | None, Check]:
    """The syntax tree and the "compile" finding. A NUL byte or a lone surrogate (half of a UTF-16 pair, which
    JSON can carry) cannot be compiled either; Python names no line for them, so the finding does."""
    if "\0" in text:  # a ValueError before Python 3.11.4, a SyntaxError without a line since
        return None, _unreadable(text, text.index("\0"), "a NUL byte")
    try:
        tree = ast.parse(text)
    except SyntaxError as exc:
        return None, Check(
            "compile",
            "fail",
            f"syntax error: {exc.msg} (line {exc.lineno}: {(exc.text or '').strip()[:120]!r})",
            "fix the syntax; `python -m py_compile script.py` reproduces it",
            exc.lineno,
        )
    except UnicodeEncodeError as exc:
        return None, _unreadable(text, exc.start, f"a character UTF-8 cannot hold ({text[exc.start]!a})")
    return tree, Check("compile", "pass", "the script compiles")


def _unreadable(text: str, at: int, what: str) -> Check:
    line = text[:at].count("\n") + 1
    return Check(
        "compile",
        "fail",
        f"the script cannot be compiled: line {line} holds {what}",
        "remove it: a script is UTF-8 text without NUL bytes",
        line,
    )


def _import_location_checks(imports: list[ast.Import | ast.ImportFrom]) -> list[Check]:
    versions = load_fields()["versions"]
    checks: list[Check] = []
    for node in imports:
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
    return checks


def _no_bf16(info: Any) -> bool:
    return bool(info and info.gpu_count and not info.bf16)


def _slow_bf16(info: Any, what: str, line: int | None) -> Check:
    return Check(
        "bf16",
        "warn",
        f"{what} on {info.name} ({info.gpu}), which has no bfloat16: torch emulates it, so the run works "
        "but is about 4x slower (slow on a T4)",
        "use float16: fp16=True, bf16=False (and dtype float16 for an adapter's frozen base)",
        line,
    )


def _call_checks(
    facts: sc.ScriptFacts, info: Any, generated: bool, namespaces: frozenset[str] | None = None
) -> list[Check]:
    checks: list[Check] = []
    versions = load_fields()["versions"]
    stack = f"trl {versions['trl']} / transformers {versions['transformers']} / peft {versions['peft']}"
    no_bf16 = _no_bf16(info)
    for line in facts.torch_dtype_keys:
        checks.append(Check("renamed", "warn", RENAMED["torch_dtype"][2], 'use the key "dtype"', line))
    if not generated:  # a generated script decides dtype at run time from CONFIG (_config_checks)
        for value, line in facts.literals:
            if value == "flash_attention_2" and info is not None and not info.flash_attention:
                checks.append(
                    Check(
                        "attention",
                        "fail",
                        f"FlashAttention-2 needs an Ampere or newer GPU; {info.name} is {info.gpu}: the "
                        "model fails to load",
                        'use attn_implementation="sdpa"',
                        line,
                    )
                )
        if no_bf16:
            lines = [ln for v, ln in facts.literals if v in ("bfloat16", "bf16")] + facts.bf16_attributes
            if lines:
                checks.append(_slow_bf16(info, "bfloat16 weights", min(lines)))
    eval_line: int | None = None
    for call in facts.calls:
        for key, node in call.keywords.items():
            rule = RENAMED.get(key)
            if rule and call.name in rule[0]:
                checks.append(
                    Check("renamed", rule[3], rule[2], f"{rule[1]}={ast.unparse(node)}", node.lineno)
                )
            if call.name == "DPOConfig" and key in DPO_REMOVED:
                checks.append(
                    Check(
                        "removed",
                        "fail",
                        f"`{key}` was {DPO_REMOVED[key]}",
                        "remove it; set max_length",
                        node.lineno,
                    )
                )
        if call.name not in sc.CHECKED_CALLS:
            continue
        allowed = fields_of(call.name)
        deprecated = {**deprecated_of("TrainingArguments"), **deprecated_of(call.name)}
        for key, node in call.keywords.items():
            rule = RENAMED.get(key)
            if (rule and call.name in rule[0]) or (call.name == "DPOConfig" and key in DPO_REMOVED):
                continue
            if allowed and key not in allowed:
                close = difflib.get_close_matches(key, sorted(allowed))  # at most 3, similarity >= 0.6
                checks.append(
                    Check(
                        "keywords",
                        "fail",
                        f"{call.name}() has no argument `{key}` in {stack}: TypeError at start",
                        f"did you mean {', '.join(close)}?" if close else f"remove `{key}`",
                        node.lineno,
                    )
                )
            elif key in deprecated:
                checks.append(
                    Check(
                        "deprecated",
                        "warn",
                        f"{call.name}(`{key}`): {deprecated[key]}",
                        _deprecation_fix(key, deprecated[key]),
                        node.lineno,
                    )
                )
        if call.name in sc.ARGS_CLASSES:
            strategy = call.const("eval_strategy", call.const("evaluation_strategy"))
            if (isinstance(strategy, str) and strategy != "no") or call.const("do_eval") is True:
                eval_line = call.line
            if no_bf16:
                checks += _t4_args_checks(call, info)
        if call.name in sc.REWARD_TRAINERS:
            checks += _reward_checks(call)
        if call.name in sc.TRAINERS and not facts.cli_values:
            checks += _dtype_checks(call, facts)
    if not any(c.name == "keywords" for c in checks):
        checks.append(Check("keywords", "pass", f"every config and trainer keyword exists in {stack}"))
    trainers = facts.of(*sc.TRAINERS)
    eval_data = any(sc.constant(c.keywords.get("eval_dataset")) is not None for c in trainers)
    if eval_line is not None and not eval_data:
        checks.append(
            Check(
                "eval",
                "fail",
                "eval_strategy is set but no trainer gets an eval_dataset: the trainer raises at start",
                'pass eval_dataset=... to the trainer, or set eval_strategy="no"',
                eval_line,
            )
        )
    checks += _hub_id_checks(facts, namespaces)
    return checks


def _reward_checks(call: sc.Call) -> list[Check]:
    given = "reward_funcs" in call.keywords or len(call.positional) >= 2
    if given or "environment_factory" in call.keywords:
        return [Check("reward", "pass", f"{call.name} has a reward source")]
    return [
        Check(
            "reward",
            "fail",
            f'{call.name}() has no reward_funcs and no environment_factory: TRL raises "No reward source '
            'provided" at start',
            "pass reward_funcs=[...] (functions, or a reward model id)",
            call.line,
        )
    ]


def _dtype_checks(call: sc.Call, facts: sc.ScriptFacts) -> list[Check]:
    model = sc.trainer_model(call, facts)
    if model is None or sc.model_init_dtype(facts) is not None:
        return []
    return [
        Check(
            "dtype",
            "warn",
            f"{call.name} loads {model!r} by name with no dtype: TRL loads float32, twice the memory of "
            "bf16 (an out-of-memory on a flavor sized for bf16) and slower",
            'pass model_init_kwargs={"dtype": "bfloat16"} in the config (float16 on a T4)',
            call.line,
        )
    ]


def _hub_id_checks(facts: sc.ScriptFacts, namespaces: frozenset[str] | None) -> list[Check]:
    checks: list[Check] = []
    for call in facts.calls:
        nodes = [call.keywords[k] for k in sc.HUB_ID_KEYWORDS if k in call.keywords]
        if call.name == "push_to_hub" and call.positional:
            nodes.append(call.positional[0])
        for node in nodes:
            value = sc.resolve_string(node, facts)
            if value is not None:  # None: not a string known here
                checks += _hub_id_check(value, node.lineno, namespaces)
    return checks


def _hub_id_check(value: str, line: int, namespaces: frozenset[str] | None) -> list[Check]:
    owner, slash, name = value.partition("/")  # no slash: created in the token's own namespace
    if sc.placeholder_hub_id(value):
        return [
            Check(
                "hub_id",
                "fail",
                f"{value!r} is a placeholder namespace: creating the repo gets a 403 before the "
                "first step (or the push after training fails)",
                f'use your own namespace: "<your user or org>/{name}"',
                line,
            )
        ]
    if slash and namespaces and owner not in namespaces:
        return [
            Check(
                "hub_id",
                "warn",
                f"{value!r} is in namespace {owner!r}, not the token's user or one of its orgs "
                f"({', '.join(sorted(namespaces))}): creating or pushing the repo gets a 403 "
                "unless the token was granted that namespace",
                f'push to one of yours, e.g. "{sorted(namespaces)[0]}/{name}"',
                line,
            )
        ]
    return []


def _deprecation_fix(key: str, help_text: str) -> str:
    match = re.search(r"alias of `([a-z_]+)`", help_text)
    if match:
        return f"use `{match.group(1)}` instead of `{key}`"
    return f"stop using `{key}`"


def _t4_args_checks(call: sc.Call, info: Any) -> list[Check]:
    checks: list[Check] = []
    bf16, fp16 = call.const("bf16"), call.const("fp16")
    if bf16 is True:
        checks.append(_slow_bf16(info, f"{call.name}(bf16=True)", call.keywords["bf16"].lineno))
    elif call.name in sc.TRL_CONFIGS and "bf16" not in call.keywords and fp16 in (None, False):
        checks.append(_slow_bf16(info, f"{call.name} turns bf16 on unless fp16 is set;", call.line))
    if call.const("torch_compile") is True:
        checks.append(
            Check(
                "torch_compile",
                "warn",
                f"torch_compile on {info.gpu} is slow to start and often fails",
                "remove torch_compile=True",
                call.keywords["torch_compile"].lineno,
            )
        )
    return checks


def _config_checks(config: dict[str, Any], flavor: str | None, info: Any) -> list[Check]:
    """Scripts made by generate_training_script keep their settings in CONFIG: check those values."""
    checks: list[Check] = []
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
    if _no_bf16(info) and (config.get("dtype") == "bfloat16" or config.get("mixed_precision") == "bf16"):
        checks.append(_slow_bf16(info, "CONFIG's bfloat16", None))
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
