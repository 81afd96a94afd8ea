"""validate_training_script on hand-written scripts: each known trap is reported with its fix."""

from __future__ import annotations

import subprocess
import sys

import pytest
from hf_train_mcp.training.introspect import FIELDS_FILE, load_fields
from hf_train_mcp.training.render import training_pins
from hf_train_mcp.training.static_checks import validate_script
from training.helpers import GOOD_SFT_BODY, PINNED_HEADER

GOOD = PINNED_HEADER + GOOD_SFT_BODY
SECRETS = {"HF_TOKEN": "$HF_TOKEN"}


def problems(text: str, status: str = "fail", **kwargs) -> dict[str, list]:
    kwargs.setdefault("secrets", SECRETS)
    kwargs.setdefault("timeout", "2h")
    out: dict[str, list] = {}
    for check in validate_script(text, **kwargs):
        if check.status == status:
            out.setdefault(check.name, []).append(check)
    return out


def test_a_correct_script_passes():
    checks = validate_script(GOOD, flavor="a10g-large", secrets=SECRETS, timeout="2h")
    assert [c.as_dict() for c in checks if c.status in ("fail", "warn")] == []


def test_missing_pep723_header():
    found = problems(GOOD_SFT_BODY)
    assert "pep723" in found
    assert all(f"{k}=={v}" in found["pep723"][0].fix for k, v in training_pins().items())


def test_header_without_the_imported_libraries():
    text = '# /// script\n# dependencies = ["trl==1.16.0"]\n# ///\n' + GOOD_SFT_BODY
    [check] = problems(text)["pep723"]
    assert "peft" in check.message and "datasets" not in check.message and '"peft==' in check.fix


def test_unpinned_and_other_versions_warn():
    text = (
        '# /// script\n# dependencies = ["trl", "transformers>=4", "peft==0.9.0", "datasets", "torch", '
        '"accelerate"]\n# ///\n' + GOOD_SFT_BODY
    )
    warns = [c for c in validate_script(text, secrets=SECRETS, timeout="2h") if c.name == "pins"]
    assert len(warns) == 2 and "trl==" in warns[0].fix and "peft==0.9.0" in warns[1].message


def test_broken_toml_in_the_header():
    text = '# /// script\n# dependencies = ["trl==1.16.0"\n# ///\n' + GOOD_SFT_BODY
    assert "not valid TOML" in problems(text)["pep723"][0].message


def test_syntax_error_with_its_line():
    text = GOOD + "\ndef broken(:\n    pass\n"
    [check] = problems(text)["compile"]
    assert check.line == GOOD.count("\n") + 2 and "py_compile" in check.fix


@pytest.mark.parametrize(
    ("old", "new", "fix"),
    [
        ("max_length=1024", "max_seq_length=1024", "max_length=1024"),
        ('eval_strategy="no"', 'evaluation_strategy="no"', "eval_strategy='no'"),
        ("save_steps=100,", "save_steps=100, warmup_ratio=0.1,", "warmup_steps=0.1"),
        ("    args=args,\n", "    args=args,\n    tokenizer=tok,\n", "processing_class=tok"),
    ],
)
def test_renamed_arguments(old, new, fix):
    text = GOOD.replace(old, new)
    assert text != GOOD
    found = problems(text)
    assert "renamed" in found, found
    assert any(fix in c.fix for c in found["renamed"])
    assert "keywords" not in found  # reported once, as a rename, not also as unknown


def test_torch_dtype_is_deprecated_not_fatal_in_transformers_5():
    # transformers 5.23 still reads torch_dtype (with a warning): a warn, never a FAIL
    text = (
        GOOD
        + "\nfrom transformers import AutoModelForCausalLM\n"
        + 'AutoModelForCausalLM.from_pretrained("x", torch_dtype="auto")\n'
    )
    assert "renamed" not in problems(text)
    assert problems(text, "warn")["renamed"][0].fix == "dtype='auto'"
    in_dict = GOOD.replace('"dtype": "bfloat16"', '"torch_dtype": "bfloat16"')
    assert "renamed" not in problems(in_dict) and "renamed" in problems(in_dict, "warn")


def test_unknown_keyword_with_a_suggestion_and_the_pinned_versions():
    text = GOOD.replace("save_steps=100,", "save_step=100,")
    [check] = problems(text)["keywords"]
    assert "save_steps" in check.fix and load_fields()["versions"]["trl"] in check.message


def test_removed_dpo_arguments_and_moved_trainers():
    text = GOOD.replace("SFTConfig(", "DPOConfig(").replace("max_length=1024", "max_prompt_length=512")
    text = text.replace(
        "from trl import SFTConfig, SFTTrainer", "from trl import DPOConfig, SFTTrainer, ORPOTrainer"
    )
    found = problems(text)
    assert "max_prompt_length" in found["removed"][0].message
    assert "trl.experimental" in found["imports"][0].message


def test_deprecated_argument_warns():
    text = GOOD.replace("save_steps=100,", "save_steps=100, gradient_checkpointing_kwargs={},")
    [warn] = [c for c in validate_script(text, secrets=SECRETS, timeout="2h") if c.name == "deprecated"]
    assert "activation_checkpointing_kwargs" in warn.fix


def test_eval_strategy_without_eval_data():
    text = GOOD.replace('eval_strategy="no"', 'eval_strategy="steps"')
    [check] = problems(text)["eval"]
    assert "eval_dataset" in check.fix
    fixed = text.replace(
        "    train_dataset=dataset,\n", "    train_dataset=dataset,\n    eval_dataset=dataset,\n"
    )
    assert "eval" not in problems(fixed)


def test_bf16_on_t4_is_slow_not_fatal():
    # torch emulates bf16 on a T4: the run works, about 4x slower
    assert "bf16" not in problems(GOOD, flavor="t4-small")
    found = problems(GOOD, "warn", flavor="t4-small")["bf16"]
    assert all("slow on a T4" in c.message for c in found)
    assert any("fp16=True" in c.fix for c in found)
    assert "bf16" not in problems(GOOD, "warn", flavor="l4x1")


def test_trl_turns_bf16_on_unless_fp16_is_set():
    text = GOOD.replace("    bf16=True,\n", "").replace('"dtype": "bfloat16"', '"dtype": "float16"')
    [check] = problems(text, "warn", flavor="t4-medium")["bf16"]
    assert "unless fp16" in check.message and "fp16=True, bf16=False" in check.fix
    fixed = text.replace("max_length=1024,", "max_length=1024, fp16=True,")
    assert "bf16" not in problems(fixed, "warn", flavor="t4-medium")


def test_flash_attention_on_t4():
    text = GOOD.replace('"dtype": "bfloat16"', '"attn_implementation": "flash_attention_2"')
    assert "attention" in problems(text, flavor="t4-small")


def test_no_push_to_hub():
    text = GOOD.replace("    push_to_hub=True,\n", "").replace("trainer.push_to_hub()\n", "")
    [check] = problems(text)["push_to_hub"]
    assert "discarded" in check.message and "push_to_hub=True" in check.fix


def test_missing_token_secret():
    [check] = problems(GOOD, secrets={})["token_secret"]
    assert check.fix == 'add secrets={"HF_TOKEN": "$HF_TOKEN"}'
    assert "token_secret" not in problems(GOOD, secrets={"HF_TOKEN": "$HF_TOKEN"})
    warn = [
        c for c in validate_script(GOOD, env={"HF_TOKEN": "x"}, secrets=SECRETS) if c.name == "token_secret"
    ]
    assert warn[0].status == "warn" and "secrets" in warn[0].fix


def test_token_pasted_into_the_script():
    text = GOOD + '\nTOKEN = "hf_' + "a" * 34 + '"\n'
    assert "token" in problems(text)


def test_short_or_missing_timeout_warns():
    assert [c.status for c in validate_script(GOOD, secrets=SECRETS) if c.name == "timeout"] == ["warn"]
    assert [
        c.status for c in validate_script(GOOD, secrets=SECRETS, timeout="20m") if c.name == "timeout"
    ] == ["warn"]


def test_hub_push_without_checkpoints_warns_with_the_true_consequence():
    default = GOOD.replace('    hub_strategy="checkpoint",\n', "")  # TrainingArguments' every_save
    [check] = problems(default, "warn")["checkpoints"]
    assert "weights survive" in check.message and "resuming is impossible" in check.message
    assert "checkpoints" not in problems(default)
    end = GOOD.replace('hub_strategy="checkpoint"', 'hub_strategy="end"')
    assert "loses all its progress" in problems(end, "warn")["checkpoints"][0].message
    assert "checkpoints" not in problems(GOOD, "warn")


@pytest.mark.slow
def test_config_fields_match_the_installed_stack():
    """config_fields.json must list exactly the fields of the installed (pinned) TRL/transformers/peft."""
    out = subprocess.run(
        [sys.executable, "-m", "hf_train_mcp.training.introspect", "--check"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert FIELDS_FILE.is_file()


def test_a_pasted_token_is_flagged_by_the_same_pattern_redaction_masks():
    from hf_train_mcp.redact import redact

    token = "hf_" + "Ab3x" * 5  # 20 characters after hf_, shorter than a real one: still a secret
    pasted = GOOD + f'\nHfApi(token="{token}")\n'
    [check] = problems(pasted)["token"]
    assert "secrets=" in check.fix
    assert token not in redact(check.message + check.fix) and token not in redact(pasted)
    assert "token" not in problems(GOOD)


def test_the_one_walk_of_the_checks_sees_every_node_in_ast_walks_order():
    """`script_calls.walk` replaces `ast.walk` for speed: the same nodes but the expression contexts, in the
    same order, on a generated script."""
    import ast

    from hf_train_mcp.training import script_calls
    from hf_train_mcp.training.render import render_script
    from hf_train_mcp.training.requests import parse_request
    from hf_train_mcp.training.resolve import resolve
    from training.helpers import request

    text = render_script(resolve(parse_request(request(method="dpo")), pinned=training_pins()))
    tree = ast.parse(text + "\n" + GOOD)
    expected = [node for node in ast.walk(tree) if not isinstance(node, ast.expr_context)]
    assert script_calls.walk(tree) == expected and len(expected) > 5000
