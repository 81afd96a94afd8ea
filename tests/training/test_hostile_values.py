"""Hostile values (quotes, newlines, code in model ids, column names, Hub ids) are refused or inert.

For any value that passes validation, the rendered script must compile, carry the value back unchanged in
its CONFIG literal, and have exactly the same code as a script rendered from benign values: the value can
change data, never code.
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys

import pytest
from hf_train_mcp.training.render import extract_config, render_script, training_pins
from hf_train_mcp.training.requests import RequestError, parse_request
from hf_train_mcp.training.resolve import resolve
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from training.helpers import request

PAYLOADS = [
    '"); import os; os.system("touch /tmp/pwned"); ("',
    "'''\nimport os\nos.system('id')\n'''",
    '"""; __import__("os").system("id"); """',
    "{{ config }}{% raw %}",
    "\\'; exec('print(1)') #",
    "x\u2028import os",
    "${HF_TOKEN}",
    "ok/model",
]
hostile_text = st.one_of(st.sampled_from(PAYLOADS), st.text(min_size=1, max_size=40))
FIELDS = ("model", "dataset", "output_dir", "hub_model_id", "dataset_config", "split", "run_name")


def code_shape(text: str) -> str:
    """The script's AST with the CONFIG literal blanked out: what the script does, not its data."""
    tree = ast.parse(text)
    for node in tree.body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == "CONFIG":
            node.value = ast.Constant(None)
    return ast.dump(tree)


def baseline(method: str = "sft") -> str:
    data = request(method=method, column_mapping={"prompt": "q"} if method == "sft" else {"chosen": "c"})
    return code_shape(render_script(resolve(parse_request(data), pinned=training_pins())))


BASELINES = {m: baseline(m) for m in ("sft", "dpo")}


def render_or_refuse(data: dict) -> str | None:
    try:
        plan = resolve(parse_request(data), pinned=training_pins())
    except RequestError:
        return None
    if not plan.ok:
        return None
    text = render_script(plan)
    compile(text, "train.py", "exec")
    assert extract_config(text) == json.loads(json.dumps(plan.config))
    assert code_shape(text) == BASELINES[plan.method]
    return text


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(field=st.sampled_from(FIELDS), value=hostile_text, method=st.sampled_from(["sft", "dpo"]))
def test_hostile_text_fields_are_refused_or_inert(field, value, method):
    data = request(method=method, **{field: value})
    data["column_mapping"] = {"prompt": "q"} if method == "sft" else {"chosen": "c"}
    render_or_refuse(data)


@settings(max_examples=100, deadline=None)
@given(
    source=hostile_text,
    target=st.sampled_from(["prompt", "completion", "text", "chosen", "x'); os.system('"]),
)
def test_hostile_column_mappings_are_refused_or_inert(source, target):
    render_or_refuse(request(method="sft", column_mapping={target: source}, dataset_columns=None))


@settings(max_examples=100, deadline=None)
@given(value=hostile_text)
def test_accepted_hub_ids_are_plain_names(value):
    """A Hub id either fails validation or is made of letters, digits, '-', '_', '.' and one '/'."""
    try:
        parse_request(request(hub_model_id=value))
    except RequestError:
        return
    assert re.fullmatch(r"[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)?", value), value


def test_newlines_and_control_characters_are_refused():
    for field in ("model", "dataset", "output_dir", "run_name"):
        with pytest.raises(RequestError):
            parse_request(request(**{field: "x\nimport os"}))
    with pytest.raises(RequestError):
        parse_request(request(column_mapping={"prompt": "a\x00b"}))


@pytest.mark.parametrize("payload", [p for p in PAYLOADS if "\n" not in p][:4])
def test_injected_code_does_not_run(payload, tmp_path):
    """Run the script's argument handling on a hostile model id: the value comes back as data."""
    marker = tmp_path / "pwned"
    value = payload.replace("/tmp/pwned", str(marker))
    text = render_or_refuse(request(model=value, run_name=value, column_mapping={"prompt": value}))
    assert text is not None
    script = tmp_path / "train.py"
    script.write_text(text)
    out = subprocess.run(
        [sys.executable, str(script), "--print-config"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert out.returncode == 0, out.stderr
    cfg = json.loads(out.stdout)
    assert cfg["model"] == value and cfg["dataset"]["column_mapping"] == {"prompt": value}
    assert not marker.exists()
    assert "uid=" not in out.stdout


@pytest.mark.parametrize("field", ["hub_model_id", "model", "dataset", "model_revision", "split"])
def test_a_trailing_newline_is_not_a_valid_name(field: str) -> None:
    """`$` matches before a final newline: the name patterns end with `\\Z` (hypothesis found "0\\n")."""
    from hf_train_mcp.training.requests import is_hub_id

    assert not is_hub_id("0\n") and not is_hub_id("me/model\n") and is_hub_id("me/model")
    values = {"model": "Qwen/Qwen2.5-0.5B", "dataset": "trl-lib/Capybara", field: "main\n"}
    with pytest.raises(RequestError):
        parse_request(values)
