"""TRL format detection and column mapping (hf_train_mcp.dataset_formats)."""

from __future__ import annotations

import pytest
from hf_train_mcp import dataset_formats as fmt
from hf_train_mcp import dataset_mapping
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

MSGS = [{"role": "user", "content": "What is 2+2?"}, {"role": "assistant", "content": "4"}]
PROMPT_MSGS = [{"role": "user", "content": "What is 2+2?"}]
ANSWER_MSGS = [{"role": "assistant", "content": "4"}]
SHAREGPT = [{"from": "human", "value": "hi"}, {"from": "gpt", "value": "hello"}]


def rows_of(**columns):
    return [dict(columns)] * 3


@pytest.mark.parametrize(
    ("rows", "kind", "conversational", "ready"),
    [
        (rows_of(messages=MSGS), "language_modeling", True, ["sft"]),
        (rows_of(text="Once upon a time"), "language_modeling", False, ["sft"]),
        (rows_of(prompt="2+2?", completion="4"), "prompt_completion", False, ["sft", "grpo"]),
        (rows_of(prompt=PROMPT_MSGS, completion=ANSWER_MSGS), "prompt_completion", True, ["sft", "grpo"]),
        (rows_of(prompt="Solve x"), "prompt_only", False, ["grpo"]),
        (rows_of(prompt=PROMPT_MSGS, solution="4"), "prompt_only", True, ["grpo"]),
        (
            rows_of(prompt="q", chosen="good", rejected="bad"),
            "preference",
            False,
            ["dpo", "grpo", "kto", "reward"],
        ),
        (rows_of(chosen=MSGS, rejected=MSGS), "implicit_preference", True, ["dpo", "kto", "reward"]),
        (rows_of(prompt="q", completion="a", label=True), "unpaired_preference", False, ["grpo", "kto"]),
        (rows_of(question="q", answer="a"), "unknown", False, []),
    ],
)
def test_detect_format(rows, kind, conversational, ready) -> None:
    report = fmt.detect_format(list(rows[0]), rows)
    assert report.kind == kind
    assert report.conversational is conversational
    assert report.ready_for == ready
    assert set(report.not_ready) == set(fmt.METHODS) - set(ready)


def test_unknown_format_says_why_and_points_at_mapping() -> None:
    report = fmt.detect_format(["question", "answer"], rows_of(question="q", answer="a"))
    assert report.kind == "unknown"
    assert "suggest_mapping" in report.reasons[0]
    assert "needs" in report.not_ready["sft"]


def test_mixed_plain_and_conversational_columns_are_not_a_format() -> None:
    report = fmt.detect_format(["prompt", "completion"], rows_of(prompt=PROMPT_MSGS, completion="4"))
    assert "sft" not in report.ready_for
    assert "mix plain strings and message lists" in report.not_ready["sft"]


def test_wrong_value_types_are_reported() -> None:
    report = fmt.detect_format(["text"], rows_of(text=12))
    assert report.kind == "unknown"
    report = fmt.detect_format(
        ["prompt", "completion", "label"], rows_of(prompt="q", completion="a", label="yes")
    )
    assert "kto" not in report.ready_for


def test_several_formats_at_once_union_their_methods() -> None:
    # ultrafeedback_binarized: prompt, chosen, rejected and messages
    rows = rows_of(prompt="q", prompt_id="1", chosen=MSGS, rejected=MSGS, messages=MSGS)
    report = fmt.detect_format(list(rows[0]), rows)
    # prompt is a string and chosen a message list: explicit preference does not hold, implicit does
    assert report.kind == "implicit_preference"
    assert {"sft", "dpo", "grpo", "reward"} <= set(report.ready_for)
    assert "prompt_id" in " ".join(report.notes)


def test_unpaired_preference_is_not_sft_ready() -> None:
    rows = rows_of(prompt="q", completion="a", label=False)
    report = fmt.detect_format(list(rows[0]), rows)
    assert "sft" not in report.ready_for
    assert "label" in report.not_ready["sft"]
    assert dataset_mapping.suggest_mapping("sft", list(rows[0]), rows) is None


def test_integer_labels_accepted_with_a_note() -> None:
    rows = rows_of(prompt="q", completion="a", label=1)
    report = fmt.detect_format(list(rows[0]), rows)
    assert "kto" in report.ready_for
    assert any("booleans" in n for n in report.notes)


def test_nulls_are_noted() -> None:
    rows = [{"text": "a"}, {"text": None}]
    report = fmt.detect_format(["text"], rows)
    assert report.kind == "language_modeling"
    assert any("null in 1 of 2" in n for n in report.notes)


def test_no_rows_detects_by_names() -> None:
    report = fmt.detect_format(["prompt", "chosen", "rejected"], [])
    assert report.kind == "preference"
    assert any("column names alone" in n for n in report.notes)


def test_sharegpt_conversations_need_conversion() -> None:
    rows = rows_of(conversations=SHAREGPT)
    report = fmt.detect_format(["conversations"], rows)
    assert report.kind == "unknown"
    assert report.conversion == "sharegpt"
    suggestion = dataset_mapping.explain_mapping("sft", ["conversations"], rows)
    assert suggestion.mapping == {"messages": "conversations"}
    assert suggestion.conversion == "sharegpt"
    converted = fmt.apply_mapping(rows[0], suggestion.mapping, conversion="sharegpt")
    assert converted == {
        "messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]
    }


@pytest.mark.parametrize(
    ("method", "row", "expected"),
    [
        ("sft", {"question": "q", "answer": "a"}, {"prompt": "question", "completion": "answer"}),
        (
            "sft",
            {"instruction": "i", "input": "", "output": "o"},
            {"prompt": "instruction", "completion": "output"},
        ),
        ("sft", {"Query": "q", "Response": "a"}, {"prompt": "Query", "completion": "Response"}),
        ("sft", {"dialog": MSGS}, {"messages": "dialog"}),
        ("sft", {"content": "some text"}, {"text": "content"}),
        (
            "sft",
            {"prompt": "q", "chosen": "g", "rejected": "b"},
            {"prompt": "prompt", "completion": "chosen"},
        ),
        ("sft", {"chosen": MSGS, "rejected": MSGS}, {"messages": "chosen"}),
        (
            "dpo",
            {"instruction": "i", "good": "g", "bad": "b"},
            {"prompt": "instruction", "chosen": "good", "rejected": "bad"},
        ),
        (
            "dpo",
            {"question": "q", "response_j": "g", "response_k": "b"},
            {"prompt": "question", "chosen": "response_j", "rejected": "response_k"},
        ),
        (
            "reward",
            {"accepted": "g", "dispreferred": "b"},
            {"chosen": "accepted", "rejected": "dispreferred"},
        ),
        ("grpo", {"problem": "p", "solution": "s"}, {"prompt": "problem"}),
        (
            "kto",
            {"query": "q", "output": "a", "label": True},
            {"prompt": "query", "completion": "output", "label": "label"},
        ),
        (
            "kto",
            {"input": "q", "preferred": "g", "rejected": "b"},
            {"prompt": "input", "chosen": "preferred", "rejected": "rejected"},
        ),
    ],
)
def test_suggest_mapping(method, row, expected) -> None:
    rows = [row] * 3
    mapping = dataset_mapping.suggest_mapping(method, list(row), rows)
    assert mapping == expected
    mapped = fmt.apply_mapping(row, mapping)
    assert method in fmt.detect_format(list(mapped), [mapped] * 3).ready_for


def test_ready_dataset_gets_the_identity_mapping() -> None:
    rows = rows_of(prompt="q", chosen="g", rejected="b")
    suggestion = dataset_mapping.explain_mapping("dpo", ["prompt", "chosen", "rejected"], rows)
    assert suggestion.ready_as_is
    assert suggestion.mapping == {"prompt": "prompt", "chosen": "chosen", "rejected": "rejected"}


def test_no_mapping_says_why() -> None:
    rows = rows_of(messages=MSGS)
    suggestion = dataset_mapping.explain_mapping("dpo", ["messages"], rows)
    assert suggestion.mapping is None
    assert "no columns look like" in suggestion.reasons[0]
    assert dataset_mapping.suggest_mapping("kto", ["messages"], rows) is None


def test_synonym_with_wrong_type_is_skipped() -> None:
    # "input" holds numbers, "question" text: the mapping takes the one that works
    rows = rows_of(input=3, question="q", answer="a")
    assert dataset_mapping.suggest_mapping("sft", ["input", "question", "answer"], rows) == {
        "prompt": "question",
        "completion": "answer",
    }


def test_alpaca_input_column_is_noted() -> None:
    rows = rows_of(instruction="i", input="ctx", output="o")
    suggestion = dataset_mapping.explain_mapping("sft", ["instruction", "input", "output"], rows)
    assert any("`input`" in n for n in suggestion.notes)


def test_unknown_method() -> None:
    with pytest.raises(ValueError, match="unknown method"):
        dataset_mapping.suggest_mapping("ppo", ["text"], [])


def test_apply_mapping_renames_keeps_others_and_drops_collisions() -> None:
    row = {"prompt": "system text", "question": "q", "answer": "a", "id": 7}
    mapping = {"prompt": "question", "completion": "answer"}
    assert fmt.apply_mapping(row, mapping) == {"id": 7, "prompt": "q", "completion": "a"}
    drop, renames, result = fmt.rename_plan(list(row), mapping)
    assert drop == ["prompt"]
    assert renames == {"question": "prompt", "answer": "completion"}
    assert sorted(result) == ["completion", "id", "prompt"]


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        ({"question": "prompt"}, "not a TRL column"),
        ({"prompt": "missing"}, "not a column of the dataset"),
        ({"prompt": "q", "completion": "q"}, "two TRL columns"),
        ({"prompt": ""}, "non-empty"),
    ],
)
def test_validate_mapping(mapping, message) -> None:
    with pytest.raises(ValueError, match=message):
        fmt.validate_mapping(mapping, ["q", "a"])


def test_value_type_names() -> None:
    assert fmt.value_type(["a", "b"]) == "string"
    assert fmt.value_type([MSGS]) == "list[{role, content}]"
    assert fmt.value_type([SHAREGPT]) == "list[{from, value}]"
    assert fmt.value_type([1, "a"]) == "int | string"
    assert fmt.value_type([None]) == "null"


# --- properties ---------------------------------------------------------------------------------
TEXT = st.text(min_size=1, max_size=20)
MESSAGE = st.fixed_dictionaries({"role": st.sampled_from(["user", "assistant", "system"]), "content": TEXT})
MESSAGES = st.lists(MESSAGE, min_size=1, max_size=4)
SHAREGPT_MESSAGE = st.fixed_dictionaries({"from": st.sampled_from(["human", "gpt", "system"]), "value": TEXT})

# Each role's dataset column names (synonyms the tool must recognise) and value strategy.
ROLE_NAMES = {
    "prompt": ["prompt", "question", "query", "instruction", "Input", "problem"],
    "completion": ["completion", "answer", "response", "output", "target"],
    "chosen": ["chosen", "accepted", "preferred", "good"],
    "rejected": ["rejected", "bad", "dispreferred"],
    "messages": ["messages", "conversations", "dialog", "chat"],
    "text": ["text", "content", "document"],
}
SCHEMAS = {
    "sft": [("messages",), ("prompt", "completion"), ("text",)],
    "dpo": [("prompt", "chosen", "rejected"), ("chosen", "rejected")],
    "reward": [("prompt", "chosen", "rejected"), ("chosen", "rejected")],
    "grpo": [("prompt",)],
    "kto": [("prompt", "chosen", "rejected")],
}


@st.composite
def dataset_for(draw, method: str):
    schema = draw(st.sampled_from(SCHEMAS[method]))
    conversational = draw(st.booleans()) and schema != ("text",)
    sharegpt = schema == ("messages",) and draw(st.booleans())
    names: dict[str, str] = {}
    for role in schema:
        names[role] = draw(st.sampled_from([n for n in ROLE_NAMES[role] if n not in names.values()]))
    extra = draw(st.lists(st.sampled_from(["id", "source", "score", "meta"]), unique=True, max_size=2))
    rows = []
    for _ in range(draw(st.integers(1, 4))):
        row: dict = {}
        for role, name in names.items():
            if role == "messages":
                row[name] = (
                    draw(st.lists(SHAREGPT_MESSAGE, min_size=1, max_size=3)) if sharegpt else draw(MESSAGES)
                )
            elif conversational:
                row[name] = draw(MESSAGES)
            else:
                row[name] = draw(TEXT)
        for name in extra:
            row[name] = draw(st.integers(0, 5))
        rows.append(row)
    return list(rows[0]), rows


@pytest.mark.parametrize("method", fmt.METHODS)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_property_suggested_mapping_makes_rows_ready(method, data) -> None:
    columns, rows = data.draw(dataset_for(method))
    suggestion = dataset_mapping.explain_mapping(method, columns, rows)
    assert suggestion.mapping is not None, suggestion.reasons
    fmt.validate_mapping(suggestion.mapping, columns)
    mapped = [fmt.apply_mapping(r, suggestion.mapping, conversion=suggestion.conversion) for r in rows]
    assert method in fmt.detect_format(list(mapped[0]), mapped).ready_for


@settings(max_examples=60, deadline=None)
@given(
    row=st.dictionaries(
        st.sampled_from(["a", "b", "prompt", "text", "chosen", "label", "messages"]),
        st.one_of(
            st.none(), st.booleans(), st.integers(), TEXT, MESSAGES, st.lists(st.integers(), max_size=3)
        ),
        max_size=5,
    )
)
def test_property_detection_never_crashes_and_is_consistent(row) -> None:
    report = fmt.detect_format(list(row), [row])
    assert report.kind in (*fmt.KINDS, "unknown")
    assert set(report.ready_for) | set(report.not_ready) == set(fmt.METHODS)
    assert not set(report.ready_for) & set(report.not_ready)
    for method in fmt.METHODS:
        suggestion = dataset_mapping.explain_mapping(method, list(row), [row])
        assert suggestion.ready_as_is == (method in report.ready_for)
        if suggestion.mapping is not None:
            mapped = fmt.apply_mapping(row, suggestion.mapping, conversion=suggestion.conversion)
            assert method in fmt.detect_format(list(mapped), [mapped]).ready_for


def test_an_unknown_sharegpt_role_is_a_reason_not_a_mapping() -> None:
    """The script refuses a role it does not know; so does the inspection's suggestion (one converter)."""
    rows = rows_of(conversations=[{"from": "human", "value": "hi"}, {"from": "narrator", "value": "so"}])
    suggestion = dataset_mapping.explain_mapping("sft", ["conversations"], rows)
    assert suggestion.mapping is None
    assert any("unknown ShareGPT role 'narrator'" in r for r in suggestion.reasons), suggestion.reasons
    with pytest.raises(fmt.ConversionError):
        fmt.apply_mapping(rows[0], {"messages": "conversations"}, conversion="sharegpt")
