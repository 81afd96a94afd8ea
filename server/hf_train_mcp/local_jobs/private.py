"""Local-job files are private to the user running the server, and hold no secret values.

The data directory and every job folder are 0700, files 0600: a job's command, logs and database
are nobody else's business on a shared machine. Job records keep environment values only when they
are not secret: a value under a secret-looking name (HF_TOKEN, *_API_KEY, ...) or containing a
registered secret (the caller's token substituted for `$HF_TOKEN`) is stored as the mask.
"""

from __future__ import annotations

from collections.abc import Mapping

from hf_train_mcp.paths import DIR_MODE, FILE_MODE, private_dir, private_file, write_private
from hf_train_mcp.redact import MASK, redact

__all__ = [
    "DIR_MODE",
    "FILE_MODE",
    "private_dir",
    "private_file",
    "secret_env_values",
    "stored_env",
    "write_private",
]


def secret_env_values(env: Mapping[str, str]) -> list[str]:
    """The values of `env` that are secrets (by name, or a registered secret such as the token)."""
    from hf_train_mcp.jobs.submission import looks_secret

    return [value for name, value in env.items() if looks_secret(name) or redact(value) != value]


def stored_env(env: Mapping[str, str]) -> dict[str, str]:
    """The environment as a job record may keep it: secret values replaced by the mask."""
    from hf_train_mcp.jobs.submission import looks_secret

    return {name: MASK if looks_secret(name) else redact(value) for name, value in env.items()}
