"""Submitting jobs (run / uv, dry runs) and the helpers every `hf_jobs` operation module shares:
validated arguments in, an `Answer` out. The read operations are in `read_ops`, the scheduled ones in
`scheduled_ops`; `dispatch` maps operation names to them.

Blocking Hub calls run in worker threads (`anyio.to_thread`, or the bounded workers of `follow`), so
the event loop stays free to send progress notifications while logs are followed.
"""

from __future__ import annotations

import difflib
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import anyio

from hf_train_mcp import hub
from hf_train_mcp.errors import AgentError
from hf_train_mcp.jobs import formatting as fmt
from hf_train_mcp.jobs import logtext
from hf_train_mcp.jobs.args import (
    RunArgs,
    ScheduledRunArgs,
    ScheduledUvArgs,
    SubmitArgs,
    UvArgs,
)
from hf_train_mcp.jobs.backends import (
    backend_for_flavor,
    backend_for_job,
    no_token_message,
)
from hf_train_mcp.jobs.errors import JobsArgumentError, JobsError, hub_error
from hf_train_mcp.jobs.follow import collect_lines
from hf_train_mcp.jobs.hub_backend import HubJobsBackend
from hf_train_mcp.jobs.model import JobSubmission, JobView, is_own_machine, is_ssh
from hf_train_mcp.jobs.output import envelope
from hf_train_mcp.jobs.submission import build_submission, masked_spec
from hf_train_mcp.jobs.timeouts import format_duration
from hf_train_mcp.redact import MASK
from hf_train_mcp.toolkit import Answer

log = logging.getLogger("hf_train_mcp.jobs")
T = TypeVar("T")
Progress = Callable[[float, float | None, str], Awaitable[None]]

MAX_INSPECT_IDS = 20
LOGS_FETCH_SECONDS = 20.0  # bound on fetching the current logs of a job (the Hub client waits up to 5 s)
STATS_SECONDS = 15.0
HARDWARE_REFRESH_WAIT = 2.0


async def in_thread(func: Callable[[], T]) -> T:
    return await anyio.to_thread.run_sync(func)


def hub_failure(exc: BaseException, what: str) -> JobsError:
    return hub_error(exc, what=what)


async def say(progress: Progress | None, message: str) -> None:
    """One progress notification (the submission steps; log lines go through `collect_lines`)."""
    if progress is not None:
        await progress(0, None, message)


# --- run / uv ---------------------------------------------------------------------------------------------
def _flavor_check(flavor: str) -> list[str]:
    """Refuse a flavor the live Hub list does not have; only note it when the list is the bundled one."""
    if is_own_machine(flavor):
        return []
    try:
        from hf_train_mcp.hardware import catalog

        catalog.refresh(HARDWARE_REFRESH_WAIT)
        known = catalog.current()
        live = any(getattr(f, "source", "") == "live" for f in known.values())
    except Exception:
        return []
    if flavor in known:
        return []
    if live:
        message = catalog.unknown_flavor_message(flavor, known)
        raise JobsArgumentError(f'{message} Flavor "local" runs on this machine.')
    close = difflib.get_close_matches(flavor, list(known), n=3, cutoff=0.5)
    hint = f" Did you mean {', '.join(close)}?" if close else ""
    return [
        f'Flavor "{flavor}" is not in the bundled flavor table; the Hub refuses it if it does not exist.'
        + hint
    ]


def _local_spec(sub: JobSubmission) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "backend": "local",
        "image": sub.image,
        "command": sub.command,
        "flavor": sub.flavor,
        "environment": sub.env,
        "secrets": {k: MASK for k in sub.secrets},
        "timeoutSeconds": sub.timeout_seconds,
        "labels": sub.labels,
    }
    if sub.uv is not None:
        spec["uv"] = {
            "script": sub.uv.source if sub.uv.is_url else f"<{len(sub.uv.source)} characters of code>",
            "file_name": sub.uv.file_name,
            "dependencies": sub.uv.dependencies,
            "python": sub.uv.python,
            "script_args": sub.uv.script_args,
            "local_python": sub.local_python,
        }
    return spec


def _spec_markdown(spec: dict[str, Any]) -> str:
    """The spec as JSON, with long values (shipped files) shortened for reading."""

    def shorten(value: Any) -> Any:
        if isinstance(value, str) and len(value) > 300:
            return value[:120] + f"...<{len(value)} characters>"
        if isinstance(value, dict):
            return {k: shorten(v) for k, v in value.items()}
        if isinstance(value, list):
            return [shorten(v) for v in value]
        return value

    return "```json\n" + json.dumps(shorten(spec), indent=2) + "\n```"


async def prepare_submission(args: SubmitArgs) -> tuple[JobSubmission, str | None, list[str]]:
    token = hub.get_token()
    local = is_own_machine(args.flavor)
    if not local and not token and not args.dry_run:
        raise JobsError(no_token_message())
    sub = build_submission(args, token=token)
    from hf_train_mcp.jobs.dedupe import label

    label(sub)  # also on dry runs: a dry run shows exactly what is sent
    notes = await in_thread(lambda: _flavor_check(args.flavor))
    return sub, token, notes


async def dry_run_answer(
    args: SubmitArgs,
    sub: JobSubmission,
    token: str | None,
    notes: list[str],
    *,
    schedule: ScheduledRunArgs | ScheduledUvArgs | None = None,
) -> Answer:
    local = is_own_machine(args.flavor)
    if local:
        if schedule is not None:
            raise JobsArgumentError(
                'Scheduled jobs run on Hugging Face only; flavor "local" cannot be scheduled.'
            )
        spec = _local_spec(sub)
        target = "this machine (local backend)"
        if is_ssh(args.flavor):
            from hf_train_mcp.ssh_jobs.hosts import host_for_flavor

            host = host_for_flavor(args.flavor)
            spec["backend"] = "ssh"
            target = f"SSH host {host.name} ({host.address}, its local backend)"
    else:
        backend = HubJobsBackend(token)
        if schedule is not None:
            spec = backend.scheduled_body(
                sub, schedule=schedule.schedule, suspend=schedule.suspend, concurrency=schedule.concurrency
            )
        else:
            spec = backend.job_spec(sub)
        spec = masked_spec(spec)
        if token:
            try:
                ns = await in_thread(lambda: backend.namespace(args.namespace))
            except AgentError as exc:  # a dry run shows the spec even when the Hub cannot be asked
                ns = "<your user>"
                notes.append(f"The namespace could not be looked up, so submitting may fail too: {exc}")
        else:
            ns = args.namespace or "<your user>"
            notes.append("No Hugging Face token is configured: submitting this would fail (log in first).")
        path = "scheduled-jobs" if schedule is not None else "jobs"
        target = f"POST {hub.endpoint()}/api/{path}/{ns}"
    cost, cost_data = fmt.cost_lines(args.flavor, sub.timeout_seconds)
    md = [
        f"**Dry run — nothing was sent.** Would {'send to' if not local else 'run on'} {target}:",
        _spec_markdown(spec),
        *cost,
    ]
    if notes:
        md += ["", *[f"Note: {n}" for n in notes]]
    md.append("\nSend the same arguments without `dry_run` to submit.")
    return Answer(
        "\n".join(md),
        {
            **envelope(None, {"kind": "dry_run", "spec": spec, "target": target}),
            "dry_run": True,
            "target": target,
            "spec": spec,
            "flavor": args.flavor,
            "timeout_seconds": sub.timeout_seconds,
            **cost_data,
            "notes": notes,
        },
    )


async def op_submit(args: RunArgs | UvArgs, progress: Progress | None) -> Answer:
    sub, token, notes = await prepare_submission(args)
    if args.dry_run:
        return await dry_run_answer(args, sub, token, notes)
    backend = backend_for_flavor(args.flavor)
    from hf_train_mcp.jobs import dedupe

    digest = sub.labels[dedupe.PLAN_LABEL]
    if not args.allow_duplicate:
        twin = await in_thread(lambda: dedupe.running_twin(backend, sub, digest))
        if twin is not None:
            notes.append(
                f"An identical job ({dedupe.PLAN_LABEL}={digest}) is still running: this is that job, "
                "nothing new was submitted. Send allow_duplicate: true to start another one."
            )
            answer = await _submitted(args, sub, backend, twin, notes, progress)
            answer.data["duplicate_of"] = twin.id
            return answer
    await say(progress, "Submitting job.")
    view: JobView = await in_thread(lambda: backend.submit(sub))
    try:
        return await _submitted(args, sub, backend, view, notes, progress)
    except Exception as exc:
        # The job exists: whatever failed afterwards, the agent must not submit it again.
        inspect = json.dumps({"operation": "inspect", "args": {"job_id": view.id}})
        raise JobsError(
            f"Job started: {view.id}. It was submitted, but the answer could not be completed ({exc}). "
            f"Follow it with {inspect}; do not submit it again."
        ) from exc


async def _submitted(
    args: RunArgs | UvArgs,
    sub: JobSubmission,
    backend: Any,
    view: JobView,
    notes: list[str],
    progress: Progress | None,
) -> Answer:
    """The answer for a job the backend accepted: progress, optional log following, next calls."""
    await say(progress, f"Job {view.id} submitted with status {view.stage}.")
    view.timeout_seconds = view.timeout_seconds or sub.timeout_seconds
    ns = None if view.backend != "hub" else view.owner
    explicit_ns = args.namespace
    mask = logtext.value_masker([*sub.env.values(), *sub.secrets.values(), *view.env.values()])
    cost, cost_data = fmt.cost_lines(args.flavor, sub.timeout_seconds)
    md = [f"Job started: {view.id}"]
    if view.url:
        md.append(f"**URL:** {view.url}")
    md += [
        f"**Flavor:** {view.flavor or args.flavor}",
        f"**Timeout:** {format_duration(sub.timeout_seconds)}",
        *cost,
    ]
    notes += [n for n in view.notes if not n.startswith("running_secs=")]
    logs: list[str] = []
    finished = view.is_terminal
    followed = None
    logs_error: str | None = None
    if not args.detach and args.wait_seconds > 0 and not finished:
        followed = await collect_lines(
            lambda: backend.logs(view.id, tail=None, follow=True, namespace=ns),
            seconds=args.wait_seconds,
            tail=args.tail,
            on_progress=progress,
            mask=mask,
        )
        logs, cut = logtext.bound_lines(followed.lines)
        followed.cut = followed.cut or cut
        if followed.error is not None:
            logs_error = str(hub_failure(followed.error, "follow the logs"))
            notes.append(f"Could not collect logs: {logs_error}")
        try:
            view = await in_thread(lambda: backend.inspect(view.id, namespace=ns))
            view.timeout_seconds = view.timeout_seconds or sub.timeout_seconds
        except Exception as exc:  # the job exists; report what we know
            notes.append(f"Could not refresh the job's status: {exc}")
        finished = view.is_terminal
    md.append(f"**Status:** {fmt.status_text(view)}")
    if followed is not None:
        md += ["", fmt.logs_block(logs, total=followed.count)]
        if finished:
            md.append(
                f"Job finished: **{view.stage}**."
                + (" Check the logs above for the error." if view.stage == "ERROR" else "")
            )
        else:
            md.append(
                f"Stopped following after {args.wait_seconds:g} s; the job keeps running. Follow it with "
                "the logs call below."
            )
    elif not finished:
        md.append("Detached: the job runs in the background.")
    calls = fmt.next_calls(view.id, explicit_ns, include_cancel=not finished)
    md += ["", fmt.next_calls_markdown(calls)]
    if notes:
        md += ["", *[f"Note: {n}" for n in notes]]
    outcome: dict[str, Any] = {"kind": "job", "job": fmt.job_out(view)}
    if followed is not None:
        outcome.update(
            logs=logs,
            logs_finished=finished,
            logs_truncated=followed.count > len(logs) or followed.timed_out or followed.cut,
        )
    if logs_error is not None:
        outcome["logs_error"] = logs_error
    data = {
        **envelope(None, outcome, 1, 1),
        "job_id": view.id,
        "url": view.url,
        "status": view.stage,
        "flavor": view.flavor or args.flavor,
        "timeout": format_duration(sub.timeout_seconds),
        "timeout_seconds": sub.timeout_seconds,
        **cost_data,
        "finished": finished,
        "logs": logs,
        "job": fmt.job_dict(view),
        "next_calls": calls,
        "notes": notes,
    }
    return Answer("\n".join(md), data)


# --- shared by the operation modules ----------------------------------------------------------------
async def inspect_one(job_id: str, namespace: str | None) -> tuple[Any, JobView]:
    backend = backend_for_job(job_id)
    view = await in_thread(lambda: backend.inspect(job_id, namespace=namespace))
    return backend, view


def acknowledgement(resource_id: str, action: str, message: str) -> dict[str, Any]:
    outcome = {"kind": "acknowledgement", "resource_id": resource_id, "action": action, "message": message}
    return envelope(None, outcome, 1, 1)
