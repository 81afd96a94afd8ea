"""Each rule of the training-script lint at its edge: a small realistic script where it must fire and the
nearest one where it must not (the lint once gave false FAILs on two thirds of real scripts), and what the
report says: the status, the rule's name, the line it points at and the fix an agent sends back.

Lines are counted in the test's own text (`line_of`); versions come from the pins the generator writes.
"""

from __future__ import annotations

import functools

import pytest
from hf_train_mcp.training.config import Check
from hf_train_mcp.training.render import render_script, training_pins
from hf_train_mcp.training.requests import parse_request
from hf_train_mcp.training.resolve import resolve
from hf_train_mcp.training.static_checks import validate_script, verdict
from training.helpers import GOOD_SFT_BODY, PINNED_HEADER, request

SECRETS = {"HF_TOKEN": "$HF_TOKEN"}
GOOD = PINNED_HEADER + GOOD_SFT_BODY
PINS = training_pins()
STACK = f"trl {PINS['trl']} / transformers {PINS['transformers']} / peft {PINS['peft']}"


def lint(text: str, **kwargs) -> list[Check]:
    kwargs.setdefault("secrets", SECRETS)
    kwargs.setdefault("timeout", "2h")
    return validate_script(text, **kwargs)


def rule(text: str, name: str, **kwargs) -> list[Check]:
    """The findings of one rule, passes included."""
    return [c for c in lint(text, **kwargs) if c.name == name]


def flagged(text: str, **kwargs) -> dict[str, list[str]]:
    """Rule name -> statuses of its fail and warn findings."""
    out: dict[str, list[str]] = {}
    for check in lint(text, **kwargs):
        if check.status in ("fail", "warn"):
            out.setdefault(check.name, []).append(check.status)
    return out


def line_of(text: str, fragment: str) -> int:
    """The 1-based line of the first `fragment` in `text`."""
    return text[: text.index(fragment)].count("\n") + 1


def script(body: str) -> str:
    return PINNED_HEADER + body


@functools.cache
def generated(flavor: str) -> str:
    """A script made by generate_training_script's own path (request -> plan -> render) for `flavor`."""
    return render_script(resolve(parse_request(request(flavor=flavor)), pinned=PINS))


# -- the verdict: counts of fails and warnings, "would fail" only with a FAIL --------------------------------
def test_the_verdict_counts_fails_and_warnings_of_a_real_report():
    assert verdict(lint(GOOD, flavor="a10g-large")) == "runs: no problem found"
    # on a T4: bf16=True and the bfloat16 weights are two slow-bf16 warnings, nothing fails
    on_t4 = lint(GOOD, flavor="t4-small")
    assert [c.name for c in on_t4 if c.status == "warn"] == ["bf16", "bf16"]
    assert verdict(on_t4) == "runs, with warnings: 2 thing(s) to look at"
    typos = GOOD.replace("save_steps=100,", "save_step=100,").replace("max_length=1024", "max_len=1024")
    assert verdict(lint(typos, flavor="a10g-large")) == (
        "would fail: 2 problem(s) stop the job or waste its money"
    )
    assert verdict(lint(typos, flavor="t4-small")) == (
        "would fail: 2 problem(s) stop the job or waste its money (2 warning(s) besides)"
    )


def test_passes_and_infos_do_not_make_warnings():
    assert verdict([Check("a", "pass", "m"), Check("b", "info", "m")]) == "runs: no problem found"
    assert (
        verdict([Check("a", "warn", "m"), Check("b", "pass", "m")])
        == "runs, with warnings: 1 thing(s) to look at"
    )


# -- compile: the syntax error with its line, and what a broken script still gets checked for -------------
def test_a_syntax_error_points_at_its_line_and_quotes_it():
    text = GOOD + "\nif True:\n        x = (1,\n"
    [check] = rule(text, "compile")
    try:
        compile(text, "<script>", "exec")
    except SyntaxError as exc:
        expected = exc
    assert check.status == "fail" and check.line == expected.lineno
    assert check.message == (
        f"syntax error: {expected.msg} (line {expected.lineno}: {expected.text.strip()!r})"
    )
    assert check.fix == "fix the syntax; `python -m py_compile script.py` reproduces it"


def test_the_quoted_line_of_a_syntax_error_is_cut_at_120_characters():
    long_line = "    value = " + " + ".join(["1"] * 80) + " +\n"  # an indented 250-character line
    text = GOOD + "\ndef f():\n" + long_line
    [check] = rule(text, "compile")
    quoted = long_line.strip()[:120]
    assert len(quoted) == 120 and f"{quoted!r})" in check.message
    assert f"{long_line.strip()[:121]!r}" not in check.message


def test_a_nul_byte_or_a_lone_surrogate_is_refused_with_its_line():
    # Python raises these without a line (a NUL: a SyntaxError since 3.11.4; a surrogate: UnicodeEncodeError)
    nul = GOOD.replace('output_dir="out",', 'output_dir="out\0",').replace("me/model", "me/mo\0del")
    [check] = rule(nul, "compile")
    assert (check.status, check.line) == ("fail", line_of(nul, "\0"))
    assert check.message == f"the script cannot be compiled: line {line_of(nul, 'out')} holds a NUL byte"
    assert check.fix == "remove it: a script is UTF-8 text without NUL bytes"
    surrogate = GOOD.replace('hub_model_id="me/model"', 'hub_model_id="me/mod\ud83del"')
    [check] = rule(surrogate, "compile")
    assert (check.status, check.line) == ("fail", line_of(surrogate, "hub_model_id"))
    assert check.message.endswith("holds a character UTF-8 cannot hold ('\\ud83d')")


def test_a_script_that_does_not_compile_is_still_checked_for_its_header_and_token():
    token = "hf_" + "Zq9x" * 9
    text = GOOD_SFT_BODY + f'\nTOKEN = "{token}"\ndef broken(:\n'
    found = flagged(text)
    assert found == {"compile": ["fail"], "pep723": ["fail"], "token": ["fail"]}


def test_a_compiling_script_reports_it():
    assert [(c.status, c.message) for c in rule(GOOD, "compile")] == [("pass", "the script compiles")]


# -- a pasted token ---------------------------------------------------------------------------------------
def test_a_pasted_token_fails_with_the_secrets_to_send_instead():
    text = GOOD.replace(
        'hub_model_id="me/model",', 'hub_model_id="me/model", hub_token="hf_' + "k" * 34 + '",'
    )
    [check] = rule(text, "token")
    assert check.status == "fail"
    assert check.message == (
        "the script contains a Hugging Face token: it is visible to anyone who reads the job"
    )
    assert check.fix == (
        'remove it and pass secrets={"HF_TOKEN": "$HF_TOKEN"}; huggingface_hub reads HF_TOKEN itself'
    )
    assert rule(GOOD, "token") == []


# -- flavor "local": this machine, its disk stays; no GPU facts ----------------------------------------------
def test_a_local_run_that_does_not_push_is_fine_where_a_job_would_lose_the_model():
    no_push = GOOD.replace("    push_to_hub=True,\n", "").replace("trainer.push_to_hub()\n", "")
    local = rule(no_push, "push_to_hub", flavor="local", secrets=None)
    assert [c.status for c in local] == ["info"]
    assert verdict(lint(no_push, flavor="local", secrets=None)) == "runs: no problem found"
    assert [c.status for c in rule(no_push, "push_to_hub", flavor="a10g-large")] == ["fail"]
    assert [c.status for c in rule(no_push, "push_to_hub")] == ["fail"]


def test_a_local_run_gets_no_gpu_rules_and_no_fit():
    text = GOOD.replace(
        '"dtype": "bfloat16"', '"dtype": "bfloat16", "attn_implementation": "flash_attention_2"'
    )
    found = lint(text, flavor="local")
    assert [c for c in found if c.name in ("attention", "bf16", "memory")] == []
    assert [c.name for c in lint(text, flavor="t4-small") if c.name == "attention"] == ["attention"]


# -- TRL classes that moved to trl.experimental --------------------------------------------------------------
ORPO = """
from datasets import load_dataset
from trl import ORPOConfig, ORPOTrainer, SFTConfig

args = ORPOConfig(output_dir="out", push_to_hub=True, hub_model_id="alice/orpo", hub_strategy="checkpoint")
"""


def test_a_moved_trainer_imported_from_trl_fails_on_its_import_line():
    text = script(ORPO)
    [check] = rule(text, "imports")
    assert (check.status, check.line) == ("fail", line_of(text, "from trl import"))
    assert "['ORPOConfig', 'ORPOTrainer'] moved to trl.experimental" in check.message
    assert check.fix == (
        f"from trl.experimental.<name> import ORPOConfig, ORPOTrainer (see the TRL docs of {PINS['trl']})"
    )


@pytest.mark.parametrize(
    "imports",
    [
        "from trl.experimental.orpo import ORPOConfig, ORPOTrainer\nfrom trl import SFTConfig",
        "import trl\nfrom trl import SFTConfig",
        "from mytrl import ORPOConfig, ORPOTrainer, SFTConfig",  # not TRL: its own classes
        "from .local_trainers import ORPOConfig, ORPOTrainer, SFTConfig",
    ],
)
def test_the_experimental_or_another_package_is_not_flagged(imports):
    text = script(ORPO.replace("from trl import ORPOConfig, ORPOTrainer, SFTConfig", imports))
    assert rule(text, "imports") == []


def test_a_submodule_of_trl_that_is_not_experimental_is_flagged():
    text = script(ORPO.replace("from trl import", "from trl.trainer import"))
    assert [c.status for c in rule(text, "imports")] == ["fail"]


# -- renamed and removed keywords: on the calls they belong to, as a rename (not also as unknown) -----------
def test_a_renamed_keyword_points_at_its_line_with_the_new_name_and_value():
    text = GOOD.replace("    save_steps=100,\n", "    save_steps=100,\n    warmup_ratio=0.05,\n")
    [check] = rule(text, "renamed")
    assert (check.status, check.line, check.fix) == (
        "fail",
        line_of(text, "warmup_ratio"),
        "warmup_steps=0.05",
    )
    assert check.message == (
        "`warmup_ratio` was removed in transformers 5: `warmup_steps` takes a ratio as a float below 1"
    )
    assert [c.status for c in rule(text, "keywords")] == ["pass"]


def test_a_rename_does_not_hide_an_unknown_keyword_after_it_in_the_same_call():
    text = GOOD.replace("max_length=1024,", "max_seq_length=1024,").replace(
        "save_steps=100,", "save_step=100,"
    )
    assert flagged(text) == {"renamed": ["fail"], "keywords": ["fail"]}


def test_a_torch_dtype_key_in_a_dict_warns_on_its_line():
    text = GOOD.replace(
        'model_init_kwargs={"dtype": "bfloat16"}', 'model_init_kwargs={"torch_dtype": "bfloat16"}'
    )
    [check] = rule(text, "renamed")
    assert (check.status, check.line, check.fix) == (
        "warn",
        line_of(text, "torch_dtype"),
        'use the key "dtype"',
    )
    assert check.message == (
        "`torch_dtype` is deprecated in transformers 5 (still read, with a warning): it is `dtype` now"
    )
    assert "fail" not in [c.status for c in lint(text, flavor="a10g-large")]


def test_the_trainer_tokenizer_rename_is_for_trl_trainers():
    text = GOOD.replace("    args=args,\n", "    args=args,\n    tokenizer=tok,\n")
    [check] = rule(text, "renamed")
    assert (check.status, check.line, check.fix) == (
        "fail",
        line_of(text, "tokenizer=tok"),
        "processing_class=tok",
    )


@pytest.mark.parametrize("key", ["max_prompt_length", "max_completion_length"])
def test_dpo_truncation_keywords_removed_in_trl_0_29_fail_once(key):
    dpo = f"""
from datasets import load_dataset
from trl import DPOConfig, DPOTrainer

args = DPOConfig(
    output_dir="out",
    beta=0.1,
    {key}=512,
    push_to_hub=True,
    hub_model_id="alice/dpo",
    hub_strategy="checkpoint",
    model_init_kwargs={{"dtype": "bfloat16"}},
)
DPOTrainer(model="Qwen/Qwen2.5-0.5B-Instruct", args=args,
           train_dataset=load_dataset("trl-lib/ultrafeedback_binarized", split="train")).train()
"""
    text = script(dpo)
    assert flagged(text) == {"removed": ["fail"]}
    [check] = rule(text, "removed")
    assert check.line == line_of(text, f"{key}=512") and check.fix == "remove it; set max_length"
    assert check.message.startswith(f"`{key}` was removed from DPOConfig in TRL 0.29")
    # GRPO still has max_completion_length: the same keyword is no trap there
    grpo = text.replace("DPOConfig", "GRPOConfig").replace("beta=0.1,", "")
    if key == "max_completion_length":
        assert "removed" not in flagged(grpo) and "keywords" not in flagged(grpo)
    else:  # and no max_prompt_length since TRL 1.x: an unknown keyword, said once
        assert flagged(grpo)["keywords"] == ["fail"] and "removed" not in flagged(grpo)


# -- unknown keywords: the TypeError at start, with the names it may have meant -----------------------------
def test_an_unknown_keyword_fails_on_its_line_with_the_stack_and_close_names():
    text = GOOD.replace("save_steps=100,", "per_device_batch_size=4,")
    [check] = [c for c in rule(text, "keywords") if c.status == "fail"]
    assert check.line == line_of(text, "per_device_batch_size")
    assert check.message == (
        f"SFTConfig() has no argument `per_device_batch_size` in {STACK}: TypeError at start"
    )
    assert check.fix.startswith("did you mean ") and check.fix.endswith("?")
    names = check.fix.removeprefix("did you mean ").removesuffix("?").split(", ")
    assert len(names) == 3 and {"per_device_train_batch_size", "per_device_eval_batch_size"} <= set(names)
    # no "every keyword exists" beside a failed one
    assert [c.status for c in rule(text, "keywords")] == ["fail"]


def test_an_unknown_keyword_like_no_real_one_is_to_be_removed():
    text = GOOD.replace("save_steps=100,", "zzqq=1,")
    assert [(c.status, c.fix) for c in rule(text, "keywords")] == [("fail", "remove `zzqq`")]


def test_every_unknown_keyword_is_reported_and_a_clean_script_says_so():
    text = GOOD.replace("save_steps=100,", "save_step=100,").replace("r=16,", "rank=16,")
    assert [(c.status, c.line) for c in rule(text, "keywords")] == [
        ("fail", line_of(text, "save_step=")),
        ("fail", line_of(text, "rank=16")),
    ]
    assert [(c.status, c.message) for c in rule(GOOD, "keywords")] == [
        ("pass", f"every config and trainer keyword exists in {STACK}")
    ]


def test_keywords_of_unchecked_calls_are_left_alone():
    text = GOOD + '\nimport wandb\nwandb.init(projekt="x")\nprint("done", flush=True, sepp=1)\n'
    assert [c.status for c in rule(text, "keywords")] == ["pass"]


# -- deprecated keywords: they run, with a warning and the new name ----------------------------------------
def test_a_deprecated_alias_warns_on_its_line_with_the_new_name():
    text = GOOD.replace("save_steps=100,", "save_steps=100, gradient_checkpointing=True,")
    [check] = rule(text, "deprecated")  # a TrainingArguments alias, inherited by SFTConfig
    assert (check.status, check.line) == ("warn", line_of(text, "gradient_checkpointing"))
    assert check.fix == "use `activation_checkpointing` instead of `gradient_checkpointing`"
    assert check.message.startswith("SFTConfig(`gradient_checkpointing`): Deprecated alias of `activation_")


def test_a_deprecated_keyword_without_a_replacement_says_to_stop_using_it():
    text = GOOD.replace("save_steps=100,", 'save_steps=100, pad_token="<pad>",')
    [check] = rule(text, "deprecated")
    assert (check.status, check.fix) == ("warn", "stop using `pad_token`")
    assert "fail" not in [c.status for c in lint(text, flavor="a10g-large")]


# -- evaluation without eval data: the trainer raises at start -----------------------------------------------
@pytest.mark.parametrize(
    ("setting", "fails"),
    [
        ('eval_strategy="steps"', True),
        ('eval_strategy="epoch"', True),
        ("do_eval=True", True),
        ('eval_strategy="no"', False),
        ("do_eval=False", False),
        ("eval_strategy=strategy", False),  # a variable: unknown here, no guess
    ],
)
def test_evaluation_without_an_eval_dataset_fails_on_the_config_line(setting, fails):
    text = GOOD.replace('eval_strategy="no"', setting)
    found = rule(text, "eval")
    if not fails:
        assert found == []
        return
    [check] = found
    assert (check.status, check.line) == ("fail", line_of(text, "args = SFTConfig("))
    assert check.message == (
        "eval_strategy is set but no trainer gets an eval_dataset: the trainer raises at start"
    )
    assert check.fix == 'pass eval_dataset=... to the trainer, or set eval_strategy="no"'
    with_data = text.replace(
        "    train_dataset=dataset,\n", "    train_dataset=dataset,\n    eval_dataset=dataset,\n"
    )
    assert rule(with_data, "eval") == []


def test_the_old_evaluation_strategy_name_counts_as_evaluation_too():
    text = GOOD.replace('eval_strategy="no"', 'evaluation_strategy="steps"')
    assert flagged(text) == {"renamed": ["fail"], "eval": ["fail"]}


def test_an_eval_dataset_of_none_is_no_eval_data():
    text = GOOD.replace('eval_strategy="no"', 'eval_strategy="steps"').replace(
        "    train_dataset=dataset,\n", "    train_dataset=dataset,\n    eval_dataset=None,\n"
    )
    assert [c.status for c in rule(text, "eval")] == ["fail"]


def test_an_eval_dataset_given_to_something_else_than_a_trainer_does_not_count():
    text = GOOD.replace('eval_strategy="no"', 'eval_strategy="steps"') + "\nprepare(eval_dataset=dataset)\n"
    assert [c.status for c in rule(text, "eval")] == ["fail"]


# -- a GPU without bfloat16 (T4): bf16 runs emulated, about 4x slower: a warning, never a FAIL --------------
TRAINING_ARGUMENTS = """
import torch
from datasets import load_dataset
from transformers import AutoModelForCausalLM, AutoTokenizer, Trainer, TrainingArguments

tokenizer = AutoTokenizer.from_pretrained("Qwen/Qwen2.5-0.5B")
model = AutoModelForCausalLM.from_pretrained("Qwen/Qwen2.5-0.5B", dtype=torch.float16)
args = TrainingArguments(
    output_dir="out",
    fp16=True,
    per_device_train_batch_size=2,
    activation_checkpointing=True,
    push_to_hub=True,
    hub_model_id="alice/qwen",
    hub_strategy="checkpoint",
)
Trainer(model=model, args=args, train_dataset=load_dataset("trl-lib/Capybara", split="train")).train()
"""


def test_a_float16_transformers_script_on_a_t4_is_clean():
    assert flagged(script(TRAINING_ARGUMENTS), flavor="t4-small") == {}


def test_trainingarguments_does_not_turn_bf16_on_by_itself():
    # unlike TRL's configs, TrainingArguments defaults to fp32: no precision flag is no bf16
    text = script(TRAINING_ARGUMENTS.replace("    fp16=True,\n", ""))
    assert "bf16" not in flagged(text, flavor="t4-small")


def test_bf16_true_on_a_t4_warns_on_its_own_line():
    text = script(TRAINING_ARGUMENTS.replace("    fp16=True,\n", "    bf16=True,\n"))
    [check] = rule(text, "bf16", flavor="t4-small")
    assert (check.status, check.line) == ("warn", line_of(text, "bf16=True"))
    assert check.message == (
        "TrainingArguments(bf16=True) on t4-small (T4), which has no bfloat16: torch emulates it, so the run "
        "works but is about 4x slower (slow on a T4)"
    )
    assert check.fix == "use float16: fp16=True, bf16=False (and dtype float16 for an adapter's frozen base)"


@pytest.mark.parametrize(
    ("flavor", "warned"),
    [("t4-small", True), ("t4-medium", True), ("l4x1", False), ("cpu-basic", False), (None, False)],
)
def test_bfloat16_weights_warn_only_on_a_gpu_without_bf16(flavor, warned):
    # torch.bfloat16 on line A, "bfloat16" in a dict further down: the first line is pointed at
    text = script(
        TRAINING_ARGUMENTS.replace("torch.float16", "torch.bfloat16") + 'extra = {"dtype": "bfloat16"}\n'
    )
    found = [c for c in rule(text, "bf16", flavor=flavor) if c.status == "warn"]
    if not warned:
        assert found == []
        return
    [check] = found
    assert check.line == line_of(text, "torch.bfloat16")
    assert check.message.startswith(f"bfloat16 weights on {flavor} (T4), which has no bfloat16")


def test_a_bf16_string_is_pointed_at_when_it_comes_first():
    text = script('\nPRECISION = "bf16"\n' + TRAINING_ARGUMENTS.replace("torch.float16", "torch.bfloat16"))
    [check] = rule(text, "bf16", flavor="t4-small")
    assert check.line == line_of(text, '"bf16"')


@pytest.mark.parametrize(
    ("precision", "warned"),
    [("", True), ("fp16=False,", True), ("fp16=True,", False), ("bf16=False,", False), ("bf16=True,", True)],
)
def test_trl_configs_default_to_bf16_unless_fp16_is_set(precision, warned):
    text = (
        GOOD.replace("    bf16=True,\n", "")
        .replace("max_length=1024,", "max_length=1024, " + precision)
        .replace('"dtype": "bfloat16"', '"dtype": "float16"')
    )
    found = rule(text, "bf16", flavor="t4-small")
    assert [c.status for c in found] == (["warn"] if warned else [])
    if warned and not precision.startswith("bf16"):
        assert found[0].line == line_of(text, "args = SFTConfig(")
        assert found[0].message.startswith("SFTConfig turns bf16 on unless fp16 is set; on t4-small (T4)")


@pytest.mark.parametrize(
    ("flavor", "value", "warned"),
    [("t4-small", "True", True), ("t4-small", "False", False), ("a10g-large", "True", False)],
)
def test_torch_compile_warns_on_a_t4_only(flavor, value, warned):
    text = GOOD.replace("save_steps=100,", f"save_steps=100,\n    torch_compile={value},")
    found = rule(text, "torch_compile", flavor=flavor)
    if not warned:
        assert found == []
        return
    [check] = found
    assert (check.status, check.line) == ("warn", line_of(text, "torch_compile"))
    assert check.fix == "remove torch_compile=True" and check.message.startswith("torch_compile on T4 ")


# -- FlashAttention-2 needs Ampere or newer: the model fails to load -----------------------------------------
@pytest.mark.parametrize(
    ("flavor", "fails"), [("t4-small", True), ("a10g-large", False), ("l4x1", False), (None, False)]
)
def test_flash_attention_2_fails_on_a_gpu_before_ampere(flavor, fails):
    text = GOOD.replace(
        '"dtype": "bfloat16"', '"dtype": "bfloat16",\n        "attn_implementation": "flash_attention_2"'
    )
    found = rule(text, "attention", flavor=flavor)
    if not fails:
        assert found == []
        return
    [check] = found
    assert (check.status, check.line) == ("fail", line_of(text, '"flash_attention_2"'))
    assert check.fix == 'use attn_implementation="sdpa"'
    assert check.message == (
        "FlashAttention-2 needs an Ampere or newer GPU; t4-small is T4: the model fails to load"
    )


# -- GRPO / RLOO need a reward source ---------------------------------------------------------------------
RL = """
from datasets import load_dataset
from trl import {trainer}Config, {trainer}Trainer


def reward_len(completions, **kwargs):
    return [-abs(20 - len(c)) for c in completions]


args = {trainer}Config(output_dir="out", push_to_hub=True, hub_model_id="alice/rl", hub_strategy="checkpoint",
                 model_init_kwargs={{"dtype": "bfloat16"}})
trainer = {trainer}Trainer(
    {model}
    args=args,
    train_dataset=load_dataset("trl-lib/tldr", split="train"),
)
trainer.train()
"""


@pytest.mark.parametrize("trainer", ["GRPO", "RLOO"])
@pytest.mark.parametrize(
    ("model", "source"),
    [
        ('model="Qwen/Qwen2.5-0.5B-Instruct",', None),
        ('"Qwen/Qwen2.5-0.5B-Instruct",', None),  # the model alone as positional: still no reward
        ('model="Qwen/Qwen2.5-0.5B-Instruct", reward_funcs=[reward_len],', "reward_funcs"),
        ('"Qwen/Qwen2.5-0.5B-Instruct", reward_len,', "positional"),
        ('model="Qwen/Qwen2.5-0.5B-Instruct", environment_factory=make_env,', "environment"),
    ],
)
def test_an_rl_trainer_needs_reward_funcs_or_an_environment(trainer, model, source):
    text = script(RL.format(trainer=trainer, model=model))
    [check] = rule(text, "reward")
    if source is not None:
        assert (check.status, check.message) == ("pass", f"{trainer}Trainer has a reward source")
        return
    assert (check.status, check.line) == ("fail", line_of(text, "trainer = "))
    assert check.message == (
        f"{trainer}Trainer() has no reward_funcs and no environment_factory: TRL raises "
        '"No reward source provided" at start'
    )
    assert check.fix == "pass reward_funcs=[...] (functions, or a reward model id)"


def test_other_trainers_need_no_reward():
    assert rule(GOOD, "reward") == []


# -- a model loaded by name with no dtype: TRL loads float32 -------------------------------------------------
NO_DTYPE = GOOD.replace('    model_init_kwargs={"dtype": "bfloat16"},\n', "")


def test_a_model_by_name_without_dtype_warns_on_the_trainer_line():
    [check] = rule(NO_DTYPE, "dtype")
    assert (check.status, check.line) == ("warn", line_of(NO_DTYPE, "trainer = SFTTrainer("))
    assert check.message == (
        "SFTTrainer loads 'Qwen/Qwen2.5-0.5B' by name with no dtype: TRL loads float32, twice the memory "
        "of bf16 (an out-of-memory on a flavor sized for bf16) and slower"
    )
    assert check.fix == 'pass model_init_kwargs={"dtype": "bfloat16"} in the config (float16 on a T4)'


def test_a_model_by_name_through_a_module_constant_is_named():
    text = NO_DTYPE.replace('model="Qwen/Qwen2.5-0.5B",', "model=MODEL,").replace(
        "dataset = load_dataset", 'MODEL = "Qwen/Qwen2.5-7B"\ndataset = load_dataset'
    )
    [check] = rule(text, "dtype")
    assert "'Qwen/Qwen2.5-7B'" in check.message


@pytest.mark.parametrize(
    "change",
    [
        ("model_init_kwargs", 'model_init_kwargs={"dtype": "float16"},\n    output_dir'),  # a dtype given
        ("model_object", None),  # a model object: its dtype is the loader's business
        ("cli", None),  # TrlParser fills the configs from the command line
    ],
)
def test_no_dtype_warning_when_the_dtype_is_given_or_unknown_here(change):
    kind, new = change
    if kind == "model_init_kwargs":
        text = NO_DTYPE.replace("output_dir", new, 1)
    elif kind == "model_object":
        text = NO_DTYPE.replace('model="Qwen/Qwen2.5-0.5B",', "model=model,")
    else:
        text = NO_DTYPE.replace(
            "args = SFTConfig(",
            "(script_args,) = TrlParser((SFTConfig,)).parse_args_and_config()\nargs = SFTConfig(",
        )
    assert rule(text, "dtype") == []


# -- Hub ids: a tutorial's placeholder namespace (403), or one the token does not own ----------------------
def test_a_placeholder_namespace_fails_on_its_line_with_the_repo_name_kept():
    text = GOOD.replace('hub_model_id="me/model"', 'hub_model_id="your-username/qwen-sft"')
    [check] = rule(text, "hub_id")
    assert (check.status, check.line) == ("fail", line_of(text, "your-username"))
    assert check.message == (
        "'your-username/qwen-sft' is a placeholder namespace: creating the repo gets a 403 before the first "
        "step (or the push after training fails)"
    )
    assert check.fix == 'use your own namespace: "<your user or org>/qwen-sft"'


def test_a_placeholder_reaches_the_check_through_a_constant_or_a_push_call():
    constant = GOOD.replace('hub_model_id="me/model"', "hub_model_id=REPO").replace(
        "dataset = load_dataset", 'REPO = "<user>/qwen-sft"\ndataset = load_dataset'
    )
    assert [c.status for c in rule(constant, "hub_id")] == ["fail"]
    pushed = GOOD.replace("trainer.push_to_hub()", 'trainer.push_to_hub("username/qwen-sft")')
    [check] = rule(pushed, "hub_id")
    assert (check.status, check.line) == ("fail", line_of(pushed, '"username/qwen-sft"'))
    uploaded = (
        GOOD
        + "\nfrom huggingface_hub import HfApi\n"
        + 'HfApi().upload_folder(folder_path="out", repo_id="my-org/qwen")\n'
    )
    assert [c.line for c in rule(uploaded, "hub_id")] == [line_of(uploaded, "my-org/qwen")]
    # every placeholder is reported, also when a good id comes after it
    both = pushed.replace('hub_model_id="me/model"', 'hub_model_id="your-org/qwen-sft"') + (
        'trainer.push_to_hub("alice/qwen-sft")\n'
    )
    assert [c.line for c in rule(both, "hub_id")] == [
        line_of(both, "your-org/"),
        line_of(both, '"username/qwen-sft"'),
    ]


@pytest.mark.parametrize("repo", ["alice/qwen-sft", "qwen-sft", "users/alice/qwen"])
def test_real_namespaces_and_names_without_one_are_not_placeholders(repo):
    text = GOOD.replace('hub_model_id="me/model"', f'hub_model_id="{repo}"')
    assert rule(text, "hub_id") == []


def test_a_namespace_outside_the_tokens_warns_with_one_of_the_tokens():
    text = GOOD.replace('hub_model_id="me/model"', 'hub_model_id="bigcorp/qwen-sft"')
    [check] = rule(text, "hub_id", namespaces=frozenset({"zed-org", "alice"}))
    assert (check.status, check.line) == ("warn", line_of(text, "bigcorp"))
    assert check.message == (
        "'bigcorp/qwen-sft' is in namespace 'bigcorp', not the token's user or one of its orgs "
        "(alice, zed-org): creating or pushing the repo gets a 403 unless the token was granted that "
        "namespace"
    )
    assert check.fix == 'push to one of yours, e.g. "alice/qwen-sft"'
    # the token's own namespaces, an unknown token, a name without a namespace: nothing to say
    assert rule(text, "hub_id", namespaces=frozenset({"bigcorp"})) == []
    assert rule(text, "hub_id") == [] and rule(text, "hub_id", namespaces=frozenset()) == []
    bare = GOOD.replace('hub_model_id="me/model"', 'hub_model_id="qwen-sft"')
    assert rule(bare, "hub_id", namespaces=frozenset({"alice"})) == []
    # the owner is what comes before the first slash
    deep = GOOD.replace('hub_model_id="me/model"', 'hub_model_id="alice/team/qwen"')
    assert rule(deep, "hub_id", namespaces=frozenset({"alice"})) == []
    [check] = rule(deep, "hub_id", namespaces=frozenset({"bob"}))
    assert check.fix == 'push to one of yours, e.g. "bob/team/qwen"'
    unresolved = GOOD.replace('hub_model_id="me/model"', 'hub_model_id=os.environ["HUB_REPO"]')
    assert rule(unresolved, "hub_id", namespaces=frozenset({"bob"})) == []


# -- scripts made by generate_training_script: their CONFIG is what runs -------------------------------------
def test_a_generated_script_checks_its_config_not_the_runner_code_inside():
    text = generated("a10g-large")
    # the runner inside names bfloat16 and parses its own command line: none of that is the user's choice
    assert flagged(text, flavor="a10g-large") == {}
    # the whole report: what every script gets, nothing about the runner's code or a fit (CONFIG was fitted)
    on_t4 = [(c.name, c.status) for c in lint(text, flavor="t4-small")]
    assert on_t4 == [
        ("compile", "pass"),
        ("pep723", "pass"),
        ("keywords", "pass"),
        ("flavor", "warn"),
        ("bf16", "warn"),
        ("push_to_hub", "pass"),
        ("token_secret", "pass"),
        ("timeout", "pass"),
    ]


def test_a_generated_script_submitted_on_another_flavor_warns_with_the_flavor_it_was_made_for():
    text = generated("a10g-large")
    [check] = rule(text, "flavor", flavor="l4x1")
    assert check.status == "warn"
    assert check.message == (
        "the script was generated for a10g-large, not l4x1: dtype and GPU count were chosen for it"
    )
    assert check.fix == "submit it with flavor='a10g-large', or regenerate it for l4x1"
    assert rule(text, "flavor", flavor="a10g-large") == [] and rule(text, "flavor") == []
    assert rule(generated("local"), "flavor", flavor="a10g-large") == []  # local: no GPU choice made


def test_a_generated_script_pushes_as_its_config_says_not_as_its_runner_code_could():
    # the runner inside calls push_to_hub; with CONFIG's push_to_hub off, the job's model is lost
    text = generated("a10g-large").replace("'push_to_hub': True", "'push_to_hub': False")
    [check] = rule(text, "push_to_hub", flavor="a10g-large")
    assert check.status == "fail" and check.message.startswith("nothing is pushed to the Hub")
    assert rule(text, "token_secret", flavor="a10g-large") == []  # no push, no token needed
    assert [c.status for c in rule(generated("a10g-large"), "push_to_hub", flavor="a10g-large")] == ["pass"]


def test_a_generated_bf16_script_on_a_t4_warns_once_about_its_config():
    text = generated("a10g-large")
    assert flagged(text, flavor="t4-small") == {"flavor": ["warn"], "bf16": ["warn"]}
    [check] = rule(text, "bf16", flavor="t4-small")
    assert check.line is None and check.message.startswith("CONFIG's bfloat16 on t4-small (T4)")
    made_for_t4 = generated("t4-small")
    assert flagged(made_for_t4, flavor="t4-small") == {}


@pytest.mark.parametrize(("key", "value"), [("dtype", "'bfloat16'"), ("mixed_precision", "'bf16'")])
def test_either_bf16_setting_of_a_config_is_slow_on_a_t4(key, value):
    text = generated("t4-small")
    old = next(line for line in text.splitlines() if line.startswith(f"    '{key}': "))
    edited = text.replace(old, f"    '{key}': {value},", 1)
    assert edited != text
    assert flagged(edited, flavor="t4-small") == {"bf16": ["warn"]}


@pytest.mark.parametrize(
    ("strategy", "eval_data", "fails"),
    [
        ("'steps'", None, True),
        ("'epoch'", None, True),
        ("'steps'", ("eval_split", "'test'"), False),
        ("'steps'", ("eval_fraction", "0.05"), False),
        ("'no'", None, False),
    ],
)
def test_a_config_evaluating_without_eval_data_fails(strategy, eval_data, fails):
    text = generated("a10g-large").replace("'eval_strategy': 'no'", f"'eval_strategy': {strategy}")
    if eval_data:
        key, value = eval_data
        text = text.replace(f"'{key}': None", f"'{key}': {value}", 1)
    found = rule(text, "eval", flavor="a10g-large")
    if not fails:
        assert found == []
        return
    [check] = found
    assert check.status == "fail"
    assert check.message == f"CONFIG eval_strategy={strategy} without eval_split or eval_fraction"
    assert check.fix == "regenerate with eval_split or eval_fraction, or eval_strategy='no'"


def test_a_config_of_the_users_own_is_not_read_as_a_generated_one():
    # a hand-written script with its own CONFIG dict: its keys mean what its code does with them (no
    # "regenerate" FAIL, no "generated for" warning); its code is checked like any script's
    text = TRAINING_ARGUMENTS.replace("torch.float16", "torch.bfloat16").replace("    fp16=True,\n", "")
    config = '\nCONFIG = {"flavor": "a10g-large", "dataset": "trl-lib/Capybara", "eval_strategy": "steps"}\n'
    assert flagged(script(config + text), flavor="t4-small") == {"bf16": ["warn"]}


def test_a_generated_config_edited_to_a_plain_dataset_id_is_still_checked():
    text = generated("a10g-large")
    start = text.index("    'dataset': {")
    end = text.index("    },\n", start) + len("    },\n")
    edited = text[:start] + "    'dataset': 'trl-lib/Capybara',\n" + text[end:]
    edited = edited.replace("'eval_strategy': 'no'", "'eval_strategy': 'steps'")
    assert flagged(edited, flavor="a10g-large") == {"eval": ["fail"]}
