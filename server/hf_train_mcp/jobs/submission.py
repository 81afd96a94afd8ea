"""From validated run/uv arguments to a `JobSubmission`: the command, the image, `$HF_TOKEN`
substitution, and every secret value registered for redaction before it can reach any output.
"""

from __future__ import annotations

import os
import re
from typing import Any

from hf_train_mcp.jobs.args import DEFAULT_UV_IMAGE, RunArgs, SubmitArgs, UvArgs
from hf_train_mcp.jobs.errors import JobsArgumentError
from hf_train_mcp.jobs.model import JobSubmission, UvScript, is_own_machine
from hf_train_mcp.jobs.uv_command import build_uv_command, resolve_script, split_command
from hf_train_mcp.redact import MASK, register_secret

TOKEN_PLACEHOLDERS = frozenset({"$HF_TOKEN", "${HF_TOKEN}"})
_SECRET_NAME = re.compile(
    r"TOKEN|SECRET|PASSWORD|PASSWD|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY|CREDENTIAL|AUTH", re.IGNORECASE
)


def looks_secret(name: str) -> bool:
    return bool(_SECRET_NAME.search(name))


def register_raw_secrets(raw_args: dict[str, Any]) -> None:
    """Register every secret value of a call's raw arguments, before validation or any output.

    Values of `secrets`, and values of `env` entries whose name says they are secret (HF_TOKEN,
    *_API_KEY, ...), are masked in every answer, error and progress message from now on.
    """
    secrets = raw_args.get("secrets")
    if isinstance(secrets, dict):
        for value in secrets.values():
            if isinstance(value, str) and value not in TOKEN_PLACEHOLDERS:
                register_secret(value)
    env = raw_args.get("env")
    if isinstance(env, dict):
        for name, value in env.items():
            if isinstance(value, str) and value not in TOKEN_PLACEHOLDERS and looks_secret(str(name)):
                register_secret(value)


def _resolve_values(values: dict[str, str], token: str | None, *, what: str, dry_run: bool) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in values.items():
        if value in TOKEN_PLACEHOLDERS:
            if token is None:
                if not dry_run:
                    raise JobsArgumentError(
                        f"{what} {name} asks for your token ({value}) but no Hugging Face token is "
                        "configured: log in with `hf auth login` or start the server with HF_TOKEN set."
                    )
                value = MASK
            else:
                value = token
        out[name] = value
    return out


def _secrets_from_names(names: list[str], token: str | None, *, dry_run: bool) -> dict[str, str]:
    out: dict[str, str] = {}
    for name in names:
        if name == "HF_TOKEN":
            out[name] = "$HF_TOKEN"
            continue
        value = os.environ.get(name)
        if value is None:
            raise JobsArgumentError(
                f"secret {name} was given by name but the server's environment has no {name}; pass "
                f'{{"{name}": "<value>"}} instead.'
            )
        out[name] = value  # registered for masking by `build_submission`, with every secret value
    return _resolve_values(out, token, what="secret", dry_run=dry_run)


def build_submission(args: SubmitArgs, *, token: str | None) -> JobSubmission:
    """A `JobSubmission` for run/uv arguments (also their scheduled forms).

    Relative paths (the script, file arguments to ship) start at the server's working folder.
    """
    dry_run = args.dry_run
    if args.attempts and args.attempts > 1 and is_own_machine(args.flavor):
        raise JobsArgumentError(
            f'"attempts" re-runs Hugging Face Jobs only; flavor {args.flavor!r} runs the job once. Leave '
            '"attempts" out, or pick a Hub flavor such as "a10g-large".'
        )
    env = _resolve_values(dict(args.env or {}), token, what="env", dry_run=dry_run)
    if isinstance(args.secrets, list):
        secrets = _secrets_from_names(args.secrets, token, dry_run=dry_run)
    else:
        secrets = _resolve_values(dict(args.secrets or {}), token, what="secret", dry_run=dry_run)
    for value in secrets.values():
        register_secret(value)
    labels = dict(args.labels or {})
    if args.name:
        labels["name"] = args.name
    common: dict[str, Any] = {
        "flavor": args.flavor,
        "env": env,
        "secrets": secrets,
        "timeout_seconds": args.timeout_seconds,
        "labels": labels,
        "namespace": args.namespace,
        "local_python": args.local_python,
        "volumes": list(args.volumes or []),
        "attempts": args.attempts,
    }
    if isinstance(args, RunArgs):
        # On this machine there is no container: only an image the caller chose is worth a remark.
        local_default = is_own_machine(args.flavor) and "image" not in args.model_fields_set
        image = "" if local_default else args.image
        return JobSubmission(image=image, command=split_command(args.command), **common)
    assert isinstance(args, UvArgs)
    resolved = resolve_script(args.script)
    uv = UvScript(
        source=resolved.source,
        is_url=resolved.kind == "url",
        file_name=resolved.file_name,
        dependencies=list(args.with_deps or []),
        python=args.python,
        script_args=list(args.script_args or []),
    )
    if is_own_machine(args.flavor):
        # The local backend (here or on an SSH host) runs the UvScript itself; the Hub form is for display.
        command = [
            "uv",
            "run",
            *[f for d in uv.dependencies for f in ("--with", d)],
            resolved.file_name,
            *uv.script_args,
        ]
        return JobSubmission(image=args.image or DEFAULT_UV_IMAGE, command=command, uv=uv, **common)
    built = build_uv_command(
        resolved, dependencies=uv.dependencies, python=uv.python, script_args=uv.script_args
    )
    clash = set(built.env) & set(env)
    if clash:
        raise JobsArgumentError(
            f"env names {', '.join(sorted(clash))} are reserved for shipping the script; rename them"
        )
    common["env"] = {**env, **built.env}
    return JobSubmission(image=args.image or DEFAULT_UV_IMAGE, command=built.command, uv=uv, **common)


def masked_spec(spec: dict[str, Any]) -> dict[str, Any]:
    """A job spec (or scheduled-job body) with every secret value replaced by the mask."""
    out = dict(spec)
    if "jobSpec" in out:
        out["jobSpec"] = masked_spec(out["jobSpec"])
    if isinstance(out.get("secrets"), dict):
        out["secrets"] = {name: MASK for name in out["secrets"]}
    return out
