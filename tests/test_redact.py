"""Secret masking at its edges (hf_train_mcp.redact), the real functions with their own scopes: what is a
secret worth masking, the per-call cap, the bounded set, the process scope outside any call, and the HF
token pattern. (Kills the mutants mutmut found surviving in redact.py.)"""

from __future__ import annotations

import secrets

import pytest
from hf_train_mcp import redact


def masks(scope: redact.SecretSet, value: str) -> bool:
    with redact.caller_scope(scope):
        return redact.redact(f"<{value}>") == "<***>"


@pytest.mark.parametrize(("length", "masked"), [(7, False), (8, True), (4096, True), (4097, False)])
def test_only_values_of_a_credential_s_length_are_masked(length: int, masked: bool) -> None:
    value = ("q7Zk" * 1100)[:length]
    scope = redact.SecretSet()
    with redact.caller_scope(scope):
        redact.register_secret(value)
    assert masks(scope, value) is masked
    assert len(scope) == int(masked)


def test_values_that_are_not_text_are_ignored() -> None:
    scope = redact.SecretSet()
    with redact.caller_scope(scope):
        redact.register_secret(123456789)  # type: ignore[arg-type]
        redact.register_secret(None)
    assert len(scope) == 0


def test_one_call_may_register_exactly_the_cap_and_repeats_do_not_count() -> None:
    scope = redact.SecretSet()
    with redact.caller_scope(scope):
        for _ in range(3 * redact.MAX_SECRETS_PER_CALL):
            redact.register_secret("the-same-value-again")  # one value, however often it is sent
        for i in range(redact.MAX_SECRETS_PER_CALL - 1):
            redact.register_secret(f"capped-value-{i:04d}")
    assert len(scope) == redact.MAX_SECRETS_PER_CALL == 64  # 64 values in one call are fine
    with redact.caller_scope(scope):  # a new call: a new count
        redact.register_secret("next-call-value-0001")
    assert masks(scope, "next-call-value-0001")


def test_one_value_over_the_cap_is_refused_with_what_to_send() -> None:
    with redact.caller_scope(redact.SecretSet()), pytest.raises(redact.TooManySecretsError) as info:
        for i in range(redact.MAX_SECRETS_PER_CALL + 1):
            redact.register_secret(f"over-the-cap-{i:04d}")
    assert str(info.value) == (
        "too many secret values in one call (more than 64): send only the values the job needs, e.g. "
        '{"secrets": {"HF_TOKEN": "$HF_TOKEN", "WANDB_API_KEY": "..."}}.'
    )


def test_a_full_set_forgets_its_oldest_value_first() -> None:
    scope = redact.SecretSet(limit=3)
    values = ["oldest-secret-1", "middle-secret-2", "newest-secret-3"]
    for value in values:
        assert scope.add(value) is True
    assert scope.add("newest-secret-3") is False  # already there
    assert [masks(scope, v) for v in values] == [True, True, True]  # the limit itself fits
    scope.add("latest-secret-4")
    assert [masks(scope, v) for v in [*values, "latest-secret-4"]] == [False, True, True, True]


def test_outside_any_call_a_value_is_the_process_s_and_masked_for_every_caller() -> None:
    # fresh values: the process scope lives as long as the process (an earlier run must not help)
    supervisor, server = f"supervisor-side-{secrets.token_hex(8)}", f"server-own-{secrets.token_hex(8)}"
    assert redact.redact(f"a {supervisor} b {server}") == f"a {supervisor} b {server}"
    redact.register_secret(supervisor)  # no caller scope: a supervisor, the CLI
    redact.register_process_secret(server)
    assert redact.redact(f"a {supervisor} b {server}") == "a *** b ***"
    assert masks(redact.SecretSet(), server)  # inside any caller's call as well


def test_a_caller_s_value_stays_in_its_scope() -> None:
    mine, theirs = redact.SecretSet(), redact.SecretSet()
    with redact.caller_scope(mine):
        redact.register_secret("only-mine-value-4Tz")
    assert masks(mine, "only-mine-value-4Tz") and not masks(theirs, "only-mine-value-4Tz")
    assert redact.redact("only-mine-value-4Tz") == "only-mine-value-4Tz"  # outside any call


def test_unregistered_hugging_face_tokens_are_masked_by_shape() -> None:
    token = "hf_" + "aB3" * 6
    assert redact.redact(f"token {token} end") == "token hf_*** end"
    assert redact.redact("hf_short123") == "hf_short123"  # under 16 characters after hf_: not a token
    assert redact.redact_data({"k": [f"x {token}", (1, token)]}) == {"k": ["x hf_***", [1, "hf_***"]]}


def test_register_secrets_registers_each_value() -> None:
    scope = redact.SecretSet()
    with redact.caller_scope(scope):
        redact.register_secrets(["first-of-two-7Hq", None, "second-of-two-3Lm"])
    assert masks(scope, "first-of-two-7Hq") and masks(scope, "second-of-two-3Lm") and len(scope) == 2
