"""The body of each `hf_jobs` operation: validated arguments in, an `Answer` out.

Blocking Hub calls run in worker threads (`anyio.to_thread`, or the bounded workers of `follow`), so
the event loop stays free to send progress notifications while logs are followed.
"""

from __future__ import annotations

import contextlib
import difflib
import json
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC
from typing import Any, TypeVar

import anyio
from mcp.server.mcpserver.exceptions import ToolError

from hf_train_mcp import hub
from hf_train_mcp.jobs import formatting as fmt
from hf_train_mcp.jobs.args import (
    CancelArgs,
    HardwareArgs,
    InspectArgs,
    LogsArgs,
    OpArgs,
    PsArgs,
    RunArgs,
    ScheduledJobArgs,
    ScheduledPsArgs,
    ScheduledRunArgs,
    ScheduledUvArgs,
    StatsArgs,
    SubmitArgs,
    UvArgs,
)
from hf_train_mcp.jobs.backends import (
    backend_for_flavor,
    backend_for_job,
    hub_backend,
    local_available,
    local_backend,
    local_hardware,
    no_token_message,
    ssh_hardware,
    ssh_jobs,
)
from hf_train_mcp.jobs.follow import collect_lines, run_bounded
from hf_train_mcp.jobs.hub_backend import HubJobsBackend
from hf_train_mcp.jobs.model import (
    LOCAL_FLAVOR,
    JobSubmission,
    JobView,
    is_local_job_id,
    is_own_machine,
    is_ssh,
)
from hf_train_mcp.jobs.submission import build_submission, masked_spec
from hf_train_mcp.jobs.timeouts import format_duration
from hf_train_mcp.redact import MASK
from hf_train_mcp.toolkit import Answer, fail

log = logging.getLogger("hf_train_mcp.jobs")
T = TypeVar("T")
Progress = Callable[[float, float | None, str], Awaitable[None]]

MAX_INSPECT_IDS = 20
LOGS_FETCH_SECONDS = 20.0  # bound on fetching the current logs of a job (the Hub client waits up to 5 s)
STATS_SECONDS = 15.0
HARDWARE_REFRESH_WAIT = 2.0


async def _thread(func: Callable[[], T]) -> T:
    return await anyio.to_thread.run_sync(func)


def _hub_error(exc: BaseException, what: str) -> Exception:
    return hub.hub_tool_error(exc, what=what)


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
    close = difflib.get_close_matches(flavor, list(known), n=3, cutoff=0.5)
    hint = f" Did you mean {', '.join(close)}?" if close else ""
    if live:
        raise fail(
            f'Unknown flavor "{flavor}": the Hub\'s hardware list has no such flavor.{hint} The "hardware" '
            f'operation lists them with prices; flavor "local" runs on this machine.'
        )
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


async def _submission(args: SubmitArgs) -> tuple[JobSubmission, str | None, list[str]]:
    token = hub.get_token()
    local = is_own_machine(args.flavor)
    if not local and not token and not args.dry_run:
        raise fail(no_token_message())
    sub = build_submission(args, token=token)
    notes = await _thread(lambda: _flavor_check(args.flavor))
    return sub, token, notes


async def _dry_run(
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
            raise fail(
                f'Scheduled jobs run on Hugging Face only; flavor "{args.flavor}" cannot be scheduled.'
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
                ns = await _thread(lambda: backend.namespace(args.namespace))
            except ToolError as exc:  # a dry run shows the spec even when the Hub cannot be asked
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
    sub, token, notes = await _submission(args)
    if args.dry_run:
        return await _dry_run(args, sub, token, notes)
    backend = backend_for_flavor(args.flavor)
    view: JobView = await _thread(lambda: backend.submit(sub))
    view.timeout_seconds = view.timeout_seconds or sub.timeout_seconds
    ns = None if view.backend != "hub" else view.owner
    explicit_ns = args.namespace
    cost, cost_data = fmt.cost_lines(args.flavor, sub.timeout_seconds)
    md = [f"**Job submitted:** `{view.id}`"]
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
    if not args.detach and args.wait_seconds > 0 and not finished:
        followed = await collect_lines(
            lambda: backend.logs(view.id, tail=None, follow=True, namespace=ns),
            seconds=args.wait_seconds,
            tail=args.tail,
            on_progress=progress,
        )
        logs = followed.lines
        if followed.error is not None:
            notes.append(f"Could not follow the logs: {_hub_error(followed.error, 'follow the logs')}")
        try:
            view = await _thread(lambda: backend.inspect(view.id, namespace=ns))
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
    data = {
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


# --- ps / logs / inspect / cancel / stats --------------------------------------------------------------
def _sort_key(view: JobView) -> float:
    created = view.created_at
    if created is None:
        return 0.0
    return (created if created.tzinfo else created.replace(tzinfo=UTC)).timestamp()


async def op_ps(args: PsArgs, progress: Progress | None) -> Answer:
    include_finished = args.all or bool(args.status)
    token = hub.get_token()
    local_ok = local_available()
    views: list[JobView] = []
    notes: list[str] = []
    if token:
        backend = HubJobsBackend(token)
        views += await _thread(
            lambda: backend.list(include_finished=include_finished, namespace=args.namespace)
        )
    elif not local_ok:
        raise fail(no_token_message())
    else:
        notes.append("No Hugging Face token is configured: only local jobs are listed.")
    if local_ok and args.namespace is None:
        try:
            local = local_backend()
            views += await _thread(lambda: local.list(include_finished=include_finished))
        except Exception as exc:
            notes.append(f"Local jobs could not be listed: {exc}")
    if args.namespace is None:
        remote, remote_notes = await _thread(lambda: ssh_jobs(include_finished))
        views += remote
        notes += remote_notes
    if not include_finished:
        views = [v for v in views if not v.is_terminal]
    if args.status:
        wanted = args.status.strip().upper()
        views = [v for v in views if wanted in v.stage.upper()]
    views.sort(key=_sort_key, reverse=True)
    total = len(views)
    shown = views[: args.limit]
    scope = f"{args.status.strip().upper()}" if args.status else ("all" if args.all else "running")
    md = fmt.ps_markdown(shown, total=total, scope=scope, limit=args.limit)
    if notes:
        md += "\n\n" + "\n".join(f"Note: {n}" for n in notes)
    return Answer(
        md,
        {
            "jobs": [fmt.job_dict(v) for v in shown],
            "total": total,
            "shown": len(shown),
            "omitted": total - len(shown),
            "scope": scope,
            "notes": notes,
        },
    )


async def _inspect_one(job_id: str, namespace: str | None) -> tuple[Any, JobView]:
    backend = backend_for_job(job_id)
    view = await _thread(lambda: backend.inspect(job_id, namespace=namespace))
    return backend, view


async def op_logs(args: LogsArgs, progress: Progress | None) -> Answer:
    backend, view = await _inspect_one(args.job_id, args.namespace)
    ns = None if view.backend == "local" else (args.namespace or view.owner)
    calls = fmt.next_calls(view.id, args.namespace, include_cancel=not view.is_terminal)
    if view.stage == "SCHEDULING" and args.wait_seconds <= 0:
        md = (
            f"Job `{view.id}` is still **{fmt.status_text(view)}**: no logs yet. Call again with "
            f"`{json.dumps({'operation': 'logs', 'args': {'job_id': view.id, 'wait_seconds': 30}})}` "
            "to wait for the first lines."
        )
        return Answer(
            md, {"job_id": view.id, "status": view.stage, "logs": [], "finished": False, "next_calls": calls}
        )
    follow = args.wait_seconds > 0 and not view.is_terminal
    if follow:
        result = await collect_lines(
            lambda: backend.logs(view.id, tail=args.tail + 1, follow=True, namespace=ns),
            seconds=args.wait_seconds,
            tail=args.tail,
            on_progress=progress,
        )
    else:
        result = await collect_lines(
            lambda: backend.logs(view.id, tail=args.tail + 1, follow=False, namespace=ns),
            seconds=LOGS_FETCH_SECONDS,
            tail=args.tail,
        )
    if result.error is not None:
        raise _hub_error(result.error, f"fetch the logs of job {view.id}") from result.error
    if follow or not view.is_terminal:
        with contextlib.suppress(Exception):  # the logs are what was asked for; the stage is a bonus
            view = await _thread(lambda: backend.inspect(view.id, namespace=ns))
    md = [
        f"Job `{view.id}` — **{fmt.status_text(view)}**",
        "",
        fmt.logs_block(result.lines, total=result.count),
    ]
    if not view.is_terminal:
        md.append(
            f"The job is still running. Follow it: "
            f"`{json.dumps({'operation': 'logs', 'args': {'job_id': view.id, 'wait_seconds': 30}})}`"
        )
    return Answer(
        "\n".join(md),
        {
            "job_id": view.id,
            "status": view.stage,
            "finished": view.is_terminal,
            "logs": result.lines,
            "next_calls": calls,
        },
    )


async def op_inspect(args: InspectArgs, progress: Progress | None) -> Answer:
    ids = list(dict.fromkeys(args.job_ids))
    if len(ids) > MAX_INSPECT_IDS:
        raise fail(f"inspect takes at most {MAX_INSPECT_IDS} job ids at once ({len(ids)} given)")
    blocks: list[str] = []
    jobs: list[dict[str, Any]] = []
    errors: dict[str, str] = {}
    for job_id in ids:
        try:
            _, view = await _inspect_one(job_id, args.namespace)
        except Exception as exc:
            if len(ids) == 1:
                raise
            errors[job_id] = str(exc)
            blocks.append(f"### Job {job_id}\n- **Error:** {exc}")
            continue
        blocks.append(fmt.inspect_markdown(view))
        jobs.append(fmt.job_dict(view))
    data: dict[str, Any] = {"jobs": jobs, "errors": errors}
    if len(jobs) == 1 and not errors:
        data["job"] = jobs[0]
        data["next_calls"] = fmt.next_calls(
            jobs[0]["id"], args.namespace, include_cancel=jobs[0]["stage"] in ("RUNNING", "SCHEDULING")
        )
    return Answer("\n\n".join(blocks), data)


async def op_cancel(args: CancelArgs, progress: Progress | None) -> Answer:
    backend, view = await _inspect_one(args.job_id, args.namespace)
    ns = None if view.backend == "local" else (args.namespace or view.owner)
    if view.is_terminal:
        md = f"Job `{view.id}` had already finished: **{fmt.status_text(view)}**. Nothing to cancel."
        return Answer(
            md, {"job_id": view.id, "status": view.stage, "canceled": False, "job": fmt.job_dict(view)}
        )
    view = await _thread(lambda: backend.cancel(view.id, namespace=ns))
    md = (
        f"Cancel requested for job `{view.id}`; status now **{fmt.status_text(view)}**. Billing stops when "
        "the job is CANCELED."
    )
    return Answer(md, {"job_id": view.id, "status": view.stage, "canceled": True, "job": fmt.job_dict(view)})


async def op_stats(args: StatsArgs, progress: Progress | None) -> Answer:
    backend, view = await _inspect_one(args.job_id, args.namespace)
    ns = None if view.backend == "local" else (args.namespace or view.owner)
    if view.stage != "RUNNING":
        md = (
            f"Job `{view.id}` is **{fmt.status_text(view)}**: resource metrics exist only while a job runs."
            + (" Try again once it is RUNNING." if view.stage == "SCHEDULING" else "")
        )
        return Answer(md, {"job_id": view.id, "status": view.stage, "running": False, "metrics": None})
    try:
        sample = await run_bounded(
            lambda: backend.metrics(view.id, namespace=ns), seconds=STATS_SECONDS, name="hf-jobs-metrics"
        )
    except Exception as exc:
        raise _hub_error(exc, f"read the metrics of job {view.id}") from exc
    if sample is None:
        md = (
            f"Job `{view.id}` is RUNNING but sent no metrics within {STATS_SECONDS:g} s (it may still be "
            "starting its container). Try again in a minute."
        )
        return Answer(md, {"job_id": view.id, "status": view.stage, "running": True, "metrics": None})
    md, data = fmt.metrics_markdown(view, sample)
    return Answer(md, {"job_id": view.id, "status": view.stage, "running": True, "metrics": data})


# --- hardware -----------------------------------------------------------------------------------------------
def _bundled_rows() -> tuple[list[dict[str, Any]], str]:
    from hf_train_mcp.hardware.api import _bundled, bundled_flavors

    rows = []
    for f in bundled_flavors().values():
        acc = (
            None
            if not f.gpu
            else {
                "type": "gpu",
                "model": f.gpu,
                "quantity": str(f.gpu_count),
                "vram": f"{f.vram_gb_per_gpu * f.gpu_count:g} GB",
            }
        )
        rows.append(
            {
                "name": f.name,
                "pretty_name": f.name,
                "cpu": f"{f.vcpu} vCPU",
                "ram": f"{f.ram_gb:g} GB",
                "accelerator": acc,
                "price_per_hour": f.price_per_hour,
                "price_per_minute": round(f.price_per_hour / 60, 6),
            }
        )
    rows.sort(key=lambda r: (r["accelerator"] is not None, r["price_per_hour"], r["name"]))
    return rows, str(_bundled().get("as_of", "?"))


async def op_hardware(args: HardwareArgs, progress: Progress | None) -> Answer:
    notes: list[str] = []
    source = "live"
    try:
        backend = HubJobsBackend(hub.get_token())
        entries = await _thread(backend.hardware)
        rows = fmt.hardware_rows(entries)
        try:
            from hf_train_mcp.hardware import catalog

            catalog.set_live(entries)  # the hardware tools then price with the same live list
        except Exception as exc:  # an odd entry must not hide the list the agent asked for
            log.info("live hardware list not shared with the catalog: %s", exc)
    except Exception as exc:
        rows, as_of = _bundled_rows()
        source = f"bundled table dated {as_of}"
        notes.append(f"The Hub's live hardware list is unavailable ({exc}); prices are from the {source}.")
    local = local_hardware()
    ssh_rows, ssh_notes = await _thread(ssh_hardware)
    notes += ssh_notes
    table_rows = rows + [r for r in local if r.get("name") == LOCAL_FLAVOR and "price_per_hour" in r]
    table_rows += ssh_rows
    origin = f"live list from {hub.endpoint()}" if source == "live" else source
    md = [
        f"**Hugging Face Jobs hardware** ({origin}; billed per minute while a job runs)",
        "",
        fmt.hardware_markdown(table_rows),
    ]
    for entry in local:
        description = entry.get("description") or json.dumps(entry, default=str)
        md.append(f'\nFlavor "local" runs jobs on the machine running this server: {description}')
    for entry in ssh_rows:
        md.append(f'\nFlavor "{entry["name"]}" runs jobs on your SSH host: {entry.get("description")}')
    if notes:
        md += ["", *[f"Note: {n}" for n in notes]]
    return Answer(
        "\n".join(md), {"source": source, "flavors": rows, "local": local, "ssh": ssh_rows, "notes": notes}
    )


# --- scheduled jobs -----------------------------------------------------------------------------------------
def _no_local_schedule(job_id: str) -> None:
    if is_local_job_id(job_id) or is_ssh(job_id):
        raise fail("Scheduled jobs exist on Hugging Face only; local job ids have no schedule.")


async def op_scheduled_create(args: ScheduledRunArgs | ScheduledUvArgs, progress: Progress | None) -> Answer:
    if is_own_machine(args.flavor):
        raise fail(
            f'Scheduled jobs run on Hugging Face only; flavor "{args.flavor}" cannot be scheduled. Pick a '
            'Hub flavor (the "hardware" operation lists them).'
        )
    sub, token, notes = await _submission(args)
    if args.dry_run:
        return await _dry_run(args, sub, token, notes, schedule=args)
    backend = hub_backend()
    info = await _thread(
        lambda: backend.create_scheduled(
            sub, schedule=args.schedule, suspend=args.suspend, concurrency=args.concurrency
        )
    )
    d = fmt.scheduled_dict(info)
    cost, cost_data = fmt.cost_lines(args.flavor, sub.timeout_seconds)
    ns_args = {"namespace": args.namespace} if args.namespace else {}
    calls = {
        name: {"operation": f"scheduled {name}", "args": {"scheduled_job_id": d["id"], **ns_args}}
        for name in ("inspect", "trigger", "suspend", "delete")
    }
    md = [
        f"**Scheduled job created:** `{d['id']}`",
        fmt.scheduled_markdown(d),
        *[f"- {c}" for c in cost],
        "(the maximum cost applies to each run)",
        "",
        fmt.next_calls_markdown(calls),
    ]
    if notes:
        md += ["", *[f"Note: {n}" for n in notes]]
    return Answer(
        "\n".join(md),
        {"scheduled_job": d, "scheduled_job_id": d["id"], **cost_data, "next_calls": calls, "notes": notes},
    )


async def op_scheduled_ps(args: ScheduledPsArgs, progress: Progress | None) -> Answer:
    backend = hub_backend()
    infos = await _thread(lambda: backend.list_scheduled(namespace=args.namespace))
    items = [fmt.scheduled_dict(i) for i in infos]
    total = len(items)
    if not args.all:
        items = [d for d in items if not d["suspend"]]
    if not items:
        hint = ' Pass {"all": true} to include suspended ones.' if total else ""
        md = f"No {'active ' if not args.all else ''}scheduled jobs.{hint}"
    else:
        md = f"**Scheduled jobs: {len(items)}**" + (
            f" ({total - len(items)} suspended not shown)" if total > len(items) else ""
        )
        md += "\n\n" + fmt.scheduled_table(items)
    return Answer(md, {"scheduled_jobs": items, "total": total})


async def op_scheduled_inspect(args: ScheduledJobArgs, progress: Progress | None) -> Answer:
    _no_local_schedule(args.scheduled_job_id)
    backend = hub_backend()
    info = await _thread(lambda: backend.inspect_scheduled(args.scheduled_job_id, namespace=args.namespace))
    d = fmt.scheduled_dict(info)
    return Answer(fmt.scheduled_markdown(d), {"scheduled_job": d})


def _scheduled_action(action: str) -> Callable[[ScheduledJobArgs, Progress | None], Awaitable[Answer]]:
    past = {"delete": "deleted", "suspend": "suspended", "resume": "resumed"}[action]

    async def handler(args: ScheduledJobArgs, progress: Progress | None) -> Answer:
        _no_local_schedule(args.scheduled_job_id)
        backend = hub_backend()
        method = getattr(backend, f"{action}_scheduled")
        await _thread(lambda: method(args.scheduled_job_id, namespace=args.namespace))
        md = f"Scheduled job `{args.scheduled_job_id}` {past}."
        if action == "delete":
            md += " Runs already started are not canceled (ps lists them)."
        return Answer(md, {"scheduled_job_id": args.scheduled_job_id, "action": action, "done": True})

    return handler


async def op_scheduled_trigger(args: ScheduledJobArgs, progress: Progress | None) -> Answer:
    _no_local_schedule(args.scheduled_job_id)
    backend = hub_backend()
    view = await _thread(lambda: backend.trigger_scheduled(args.scheduled_job_id, namespace=args.namespace))
    calls = fmt.next_calls(view.id, args.namespace)
    md = (
        f"Scheduled job `{args.scheduled_job_id}` triggered: job `{view.id}` is **{fmt.status_text(view)}**."
        + (f"\n**URL:** {view.url}" if view.url else "")
        + "\n\n"
        + fmt.next_calls_markdown(calls)
    )
    return Answer(
        md,
        {
            "scheduled_job_id": args.scheduled_job_id,
            "job_id": view.id,
            "status": view.stage,
            "job": fmt.job_dict(view),
            "next_calls": calls,
        },
    )


Handler = Callable[[Any, Progress | None], Awaitable[Answer]]

HANDLERS: dict[str, Handler] = {
    "run": op_submit,
    "uv": op_submit,
    "ps": op_ps,
    "logs": op_logs,
    "inspect": op_inspect,
    "cancel": op_cancel,
    "hardware": op_hardware,
    "stats": op_stats,
    "scheduled run": op_scheduled_create,
    "scheduled uv": op_scheduled_create,
    "scheduled ps": op_scheduled_ps,
    "scheduled inspect": op_scheduled_inspect,
    "scheduled delete": _scheduled_action("delete"),
    "scheduled suspend": _scheduled_action("suspend"),
    "scheduled resume": _scheduled_action("resume"),
    "scheduled trigger": op_scheduled_trigger,
}


async def dispatch(operation: str, args: OpArgs, progress: Progress | None) -> Answer:
    return await HANDLERS[operation](args, progress)
