"""Secret masking: no secret value may leave the server in an answer, error, progress message or log line.

Two scopes of secrets:
- the process scope: the server's own Hugging Face token and values read from its environment, masked
  in every output;
- the caller's scope (one per MCP session, entered by the server around each tool call): values a
  client sent (`secrets={...}`, secret-looking `env` entries). They mask that client's own answers only,
  so one client cannot make the server rewrite another client's answers by registering common words.

Masking costs about the same whatever was registered: each scope keeps one compiled alternation,
rebuilt only when its set changes, and a scope holds at most `MAX_SECRETS_PER_SCOPE` values (a call
may add at most `MAX_SECRETS_PER_CALL`). Values shorter than `MIN_SECRET_LENGTH` are not secrets
worth masking (they would turn "true" or "1" into `***`) and are ignored.
A pattern for Hugging Face tokens catches the ones nobody registered.
"""

from __future__ import annotations

import contextlib
import contextvars
import re
import threading
from collections.abc import Iterable, Iterator
from typing import Any

from hf_train_mcp.errors import AgentError

MASK = "***"
HF_TOKEN_PATTERN = re.compile(r"hf_[A-Za-z0-9]{16,}")
MIN_SECRET_LENGTH = 8
MAX_SECRET_LENGTH = 4096  # a longer "secret" is a document, not a credential
MAX_SECRETS_PER_CALL = 64
MAX_SECRETS_PER_SCOPE = 512


class TooManySecretsError(AgentError):
    """A call tried to register more secret values than a scope takes."""


class SecretSet:
    """A bounded set of secret values with one compiled pattern, rebuilt lazily after a change."""

    def __init__(self, limit: int = MAX_SECRETS_PER_SCOPE) -> None:
        self._lock = threading.Lock()
        self._values: dict[str, None] = {}  # in the order they came: the oldest are dropped first
        self._pattern: re.Pattern[str] | None = None  # None: rebuilt from `_values` when next asked for
        self.limit = limit

    def __len__(self) -> int:
        return len(self._values)

    def add(self, value: str) -> bool:
        with self._lock:
            if value in self._values:
                return False
            self._values[value] = None
            while len(self._values) > self.limit:  # a long session: the oldest value stops being masked
                del self._values[next(iter(self._values))]
            self._pattern = None
            return True

    def pattern(self) -> re.Pattern[str] | None:
        with self._lock:
            if self._pattern is None and self._values:
                # Two values can only both match at one position when one is a prefix of the other; in
                # reverse text order the longer comes first, so the alternation masks all of it.
                ordered = sorted(self._values, reverse=True)
                self._pattern = re.compile("|".join(map(re.escape, ordered)))
            return self._pattern


_process = SecretSet(limit=MAX_SECRETS_PER_SCOPE)
_caller: contextvars.ContextVar[SecretSet | None] = contextvars.ContextVar(
    "hf_train_mcp_secrets", default=None
)
_added_this_call: contextvars.ContextVar[list[int] | None] = contextvars.ContextVar(
    "hf_train_mcp_secrets_added", default=None
)


@contextlib.contextmanager
def caller_scope(secrets: SecretSet) -> Iterator[SecretSet]:
    """Within this block (one tool call), values registered by the caller go to `secrets`."""
    token = _caller.set(secrets)
    counter = _added_this_call.set([0])
    try:
        yield secrets
    finally:
        _added_this_call.reset(counter)
        _caller.reset(token)


def _usable(value: str | None) -> bool:
    return bool(value) and MIN_SECRET_LENGTH <= len(value or "") <= MAX_SECRET_LENGTH


def register_process_secret(value: str | None) -> None:
    """A secret of the server itself (its token, a value from its environment): masked everywhere."""
    if _usable(value):
        _process.add(value)  # type: ignore[arg-type]


def register_secret(value: str | None) -> None:
    """A secret the current caller sent: masked in this caller's outputs (everywhere outside a call).

    Raises `TooManySecretsError` when one call registers more than `MAX_SECRETS_PER_CALL` values."""
    if not isinstance(value, str) or not _usable(value):
        return
    scope = _caller.get()
    if scope is None:  # not inside a client's call (a supervisor, the CLI): the process is the caller
        _process.add(value)
        return
    counter = _added_this_call.get()
    if scope.add(value) and counter is not None:
        counter[0] += 1
        if counter[0] > MAX_SECRETS_PER_CALL:
            raise TooManySecretsError(
                f"too many secret values in one call (more than {MAX_SECRETS_PER_CALL}): send only the "
                'values the job needs, e.g. {"secrets": {"HF_TOKEN": "$HF_TOKEN", "WANDB_API_KEY": "..."}}.'
            )


def register_secrets(values: Iterable[str | None]) -> None:
    for value in values:
        register_secret(value)


def redact(text: str) -> str:
    """Mask every secret of the process and of the current caller, and anything shaped like an HF token."""
    if not text:
        return text
    for scope in (_process, _caller.get()):
        pattern = scope.pattern() if scope is not None else None
        if pattern is not None:
            text = pattern.sub(MASK, text)
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
