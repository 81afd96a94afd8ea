"""One place that knows every secret value the process has seen, so no output can leak one.

Tools register secret values (the caller's token, `secrets={...}` values) as soon as they read
them; every answer, error, progress message and log line goes through `redact()` before it leaves.
A pattern for Hugging Face tokens catches the ones nobody registered.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from typing import Any

MASK = "***"
HF_TOKEN_PATTERN = re.compile(r"hf_[A-Za-z0-9]{16,}")
_MIN_SECRET_LENGTH = 4  # shorter values would mask ordinary words ("1", "true")

_lock = threading.Lock()
_secrets: set[str] = set()


def register_secret(value: str | None) -> None:
    """Remember a secret value so that `redact` masks it from now on."""
    if value and len(value) >= _MIN_SECRET_LENGTH:
        with _lock:
            _secrets.add(value)


def register_secrets(values: Iterable[str | None]) -> None:
    for value in values:
        register_secret(value)


def redact(text: str) -> str:
    """Mask every registered secret and anything shaped like a Hugging Face token."""
    if not text:
        return text
    with _lock:
        known = sorted(_secrets, key=len, reverse=True)  # longest first: a secret may contain another
    for secret in known:
        if secret in text:
            text = text.replace(secret, MASK)
    return HF_TOKEN_PATTERN.sub("hf_" + MASK, text)


def redact_data(value: Any) -> Any:
    """`redact` applied to every string inside nested dicts, lists and tuples."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {redact_data(k): redact_data(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_data(v) for v in value]
    return value
