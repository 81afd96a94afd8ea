"""Secrets that contain one another are masked whole, whatever order they came in and however they sort
as text: the masked answer must not keep the container's prefix or suffix."""

from __future__ import annotations

import pytest
from hf_train_mcp import redact


@pytest.mark.parametrize(
    "values",
    [
        ["0000-secret-value-1", "secret-value"],  # the inner one sorts after the container as text
        ["secret-value", "0000-secret-value-1"],
        ["secret-value", "secret-value-and-more"],  # the container sorts after the inner one
        ["secret-value-and-more", "secret-value"],
    ],
)
def test_a_secret_containing_another_is_masked_whole(values: list[str]) -> None:
    scope = redact.SecretSet()
    with redact.caller_scope(scope):
        for value in values:
            redact.register_secret(value)
        text = redact.redact(f"key={values[0]} other={values[1]}")
    assert text == "key=*** other=***"


def test_a_scope_that_lost_every_value_masks_nothing() -> None:
    scope = redact.SecretSet(limit=1)
    with redact.caller_scope(scope):
        redact.register_secret("first-secret-value")
        redact.register_secret("second-secret-value")  # the oldest is dropped
        assert redact.redact("first-secret-value second-secret-value") == "first-secret-value ***"
