"""ShareGPT conversations ([{"from", "value"}] with human/gpt roles) train end to end with SFT.

The generator carries `dataset_conversion="sharegpt"` into CONFIG; the rendered script renames the column
onto `messages`, converts every turn to {role, content} with the roles chat templates accept, and stops
with the row and the fix on a role it does not know. DPO cannot use the conversion: refused up front.
"""

from __future__ import annotations

import json

import pytest
from hf_train_mcp.toolkit import ToolError
from hf_train_mcp.training.render import render_script, training_pins
from hf_train_mcp.training.requests import parse_request
from hf_train_mcp.training.resolve import resolve
from hf_train_mcp.training.tool import generate
from training.helpers import request, run_ok, run_script, write_script

SHAREGPT_MAPPING = {"messages": "conversations"}


def write_sharegpt(path, *, odd_role: str | None = None):
    rows = []
    pairs = [("france", "paris"), ("germany", "berlin"), ("italy", "rome")] * 3
    for i, (country, capital) in enumerate(pairs):
        turns = [
            {"from": "system", "value": "answer briefly"},
            {"from": "human", "value": f"what is the capital of {country}"},
            {"from": "gpt", "value": f"the capital of {country} is {capital}"},
        ]
        if odd_role and i == 4:
            turns.append({"from": odd_role, "value": "hmm"})
        rows.append({"id": f"row-{i}", "conversations": turns})
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_the_conversion_reaches_the_config_and_changes_data_not_code():
    plain = resolve(parse_request(request(column_mapping=SHAREGPT_MAPPING)), pinned=training_pins())
    converted = resolve(
        parse_request(
            request(
                column_mapping=SHAREGPT_MAPPING,
                dataset_conversion="sharegpt",
                dataset_columns=["id", "conversations"],
            )
        ),
        pinned=training_pins(),
    )
    assert converted.ok, [c.as_dict() for c in converted.failures]
    assert plain.config["dataset"]["conversion"] is None
    assert converted.config["dataset"]["conversion"] == "sharegpt"
    assert {c.name: c.status for c in converted.checks}["dataset_conversion"] == "pass"
    text = render_script(converted)
    assert "'conversion': 'sharegpt'" in text
    # The same code either way: the conversion is a CONFIG value the script reads.
    assert render_script(plain).replace("'conversion': None", "'conversion': 'sharegpt'") == text


def test_sharegpt_without_a_messages_column_is_refused_with_the_fix():
    plan = resolve(
        parse_request(
            request(
                column_mapping={"prompt": "question", "completion": "answer"},
                dataset_conversion="sharegpt",
                dataset_columns=["question", "answer"],
            )
        ),
        pinned=training_pins(),
    )
    failures = {c.name: c for c in plan.failures}
    assert "messages" in failures["dataset_conversion"].fix
    assert "conversations" in failures["dataset_conversion"].fix


def test_the_generator_refuses_sharegpt_with_dpo(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_TRAIN_MCP_DATA_DIR", str(tmp_path / "data"))
    args = request(method="dpo", column_mapping={"chosen": "conversations"}, dataset_conversion="sharegpt")
    with pytest.raises(ToolError) as refused:
        generate(args, None)
    message = str(refused.value)
    assert "nothing was generated" in message and "[dataset_conversion]" in message
    assert "prompt/chosen/rejected" in message and "method='sft'" in message
    assert not list((tmp_path / "data").rglob("*.py"))  # nothing saved


def test_an_unknown_conversion_is_refused():
    with pytest.raises(ValueError, match="dataset_conversion"):
        parse_request(request(dataset_conversion="alpaca"))


@pytest.mark.slow
def test_sharegpt_data_trains_with_sft_lora(tiny, tmp_path):
    data = write_sharegpt(tmp_path / "sharegpt.jsonl")
    script = write_script(
        tmp_path,
        tiny,
        dataset=str(data),
        column_mapping=SHAREGPT_MAPPING,
        dataset_conversion="sharegpt",
        dataset_columns=["id", "conversations"],
        # Loss on assistant turns only: with ShareGPT's "gpt" left unconverted the template would mark no
        # assistant turn at all, so training proves the roles were converted.
        assistant_only_loss=True,
    )
    summary, log = run_ok(script, cwd=tmp_path)
    assert summary["steps"] == 2
    assert summary["final_loss"] is not None and summary["final_loss"] > 0
    assert "converted ShareGPT turns" in log and "columns ['messages']" in log
    card = (tmp_path / "out" / "README.md").read_text()
    assert "| dataset_conversion | sharegpt |" in card


@pytest.mark.slow
def test_an_unknown_role_fails_fast_naming_it(tiny, tmp_path):
    data = write_sharegpt(tmp_path / "sharegpt.jsonl", odd_role="narrator")
    script = write_script(
        tmp_path, tiny, dataset=str(data), column_mapping=SHAREGPT_MAPPING, dataset_conversion="sharegpt"
    )
    out = run_script(script, cwd=tmp_path)
    assert out.returncode == 2, out.stderr[-3000:]
    assert "unknown ShareGPT role 'narrator'" in out.stderr and "row 4" in out.stderr
    assert "Fix the data" in out.stderr
    assert "Loading weights" not in out.stderr  # failed before loading the model


def test_the_script_converts_exactly_the_roles_inspect_dataset_accepts() -> None:
    """inspect_dataset calls a dataset convertible with the same role table the script converts with."""
    import ast

    from hf_train_mcp.dataset_formats import SHAREGPT_ROLES

    plan = resolve(
        parse_request(
            {
                "method": "sft",
                "model": "Qwen/Qwen2.5-0.5B",
                "dataset": "a/b",
                "flavor": "local",
                "push_to_hub": False,
                "timeout": "1h",
                "dataset_conversion": "sharegpt",
                "column_mapping": {"messages": "conversations"},
            }
        ),
        pinned=training_pins(),
    )
    tree = ast.parse(render_script(plan))
    [table] = [
        node.value
        for node in tree.body
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == "SHAREGPT_ROLES"
    ]
    assert ast.literal_eval(table) == SHAREGPT_ROLES
