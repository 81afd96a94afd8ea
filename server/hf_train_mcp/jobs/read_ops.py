"""The read operations of `hf_jobs` (ps, logs, inspect, cancel, stats) and the hardware list."""

from __future__ import annotations

import contextlib
import json
import logging
from datetime import UTC
from typing import Any

from hf_train_mcp import hub
from hf_train_mcp.jobs import formatting as fmt
from hf_train_mcp.jobs import logtext
from hf_train_mcp.jobs.args import (
    CancelArgs,
    HardwareArgs,
    InspectArgs,
    LogsArgs,
    PsArgs,
    StatsArgs,
)
from hf_train_mcp.jobs.backends import (
    local_available,
    local_backend,
    local_hardware,
    no_token_message,
    ssh_hardware,
    ssh_jobs,
)
from hf_train_mcp.jobs.errors import JobsArgumentError, JobsError
from hf_train_mcp.jobs.follow import collect_lines, run_bounded
from hf_train_mcp.jobs.hub_backend import HubJobsBackend
from hf_train_mcp.jobs.model import LOCAL_FLAVOR, JobView
from hf_train_mcp.jobs.operations import (
    LOGS_FETCH_SECONDS,
    MAX_INSPECT_IDS,
    STATS_SECONDS,
    Progress,
    acknowledgement,
    hub_failure,
    in_thread,
    inspect_one,
)
from hf_train_mcp.jobs.output import envelope
from hf_train_mcp.toolkit import Answer

log = logging.getLogger("hf_train_mcp.jobs")


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
    hub_problem: str | None = None
    if token:
        backend = HubJobsBackend(token)
        try:
            views += await in_thread(
                lambda: backend.list(include_finished=include_finished, namespace=args.namespace)
            )
        except JobsError as exc:
            if not local_ok or args.namespace is not None or not exc.hub_unreachable:
                raise
            # Local jobs are still worth showing: say that the Hub part failed, and why.
            hub_problem = str(exc)
            notes.append(f"The Hugging Face jobs could not be listed, only local jobs are shown: {exc}")
    elif not local_ok:
        raise JobsError(no_token_message())
    else:
        notes.append("No Hugging Face token is configured: only local jobs are listed.")
    if local_ok and args.namespace is None:
        try:
            local = local_backend()
            views += await in_thread(lambda: local.list(include_finished=include_finished))
        except Exception as exc:
            notes.append(f"Local jobs could not be listed: {exc}")
    if args.namespace is None:
        remote, remote_notes = await in_thread(lambda: ssh_jobs(include_finished))
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
    outcome = {"kind": "jobs", "jobs": [fmt.job_out(v) for v in shown], "total_jobs": total}
    return Answer(
        md,
        {
            **envelope(None, outcome, total, len(shown)),
            "jobs": [fmt.job_dict(v) for v in shown],
            "total": total,
            "shown": len(shown),
            "omitted": total - len(shown),
            "scope": scope,
            "hub_error": hub_problem,
            "notes": notes,
        },
    )


async def op_logs(args: LogsArgs, progress: Progress | None) -> Answer:
    try:
        backend, view = await inspect_one(args.job_id, args.namespace)
    except JobsArgumentError:
        raise
    except Exception as exc:
        # Without the job's env we cannot mask its values in the logs: fail closed, like the official tool.
        reason = hub_failure(exc, "inspect the job")
        raise JobsError(
            f"Could not safely retrieve logs because job metadata was unavailable: {reason}"
        ) from exc
    ns = None if view.backend == "local" else (args.namespace or view.owner)
    calls = fmt.next_calls(view.id, args.namespace, include_cancel=not view.is_terminal)
    if view.stage == "SCHEDULING" and args.wait_seconds <= 0:
        md = (
            f"Job `{view.id}` is still **{fmt.status_text(view)}**: no logs yet. Call again with "
            f"`{json.dumps({'operation': 'logs', 'args': {'job_id': view.id, 'wait_seconds': 30}})}` "
            "to wait for the first lines."
        )
        outcome = {"kind": "logs", "job_id": view.id, "lines": [], "finished": False, "truncated": False}
        return Answer(
            md,
            {
                **envelope(None, outcome),
                "job_id": view.id,
                "status": view.stage,
                "logs": [],
                "finished": False,
                "next_calls": calls,
            },
        )
    mask = logtext.value_masker(view.env.values())
    follow = args.wait_seconds > 0 and not view.is_terminal
    if follow:
        result = await collect_lines(
            lambda: backend.logs(view.id, tail=args.tail + 1, follow=True, namespace=ns),
            seconds=args.wait_seconds,
            tail=args.tail,
            on_progress=progress,
            mask=mask,
        )
    else:
        result = await collect_lines(
            lambda: backend.logs(view.id, tail=args.tail + 1, follow=False, namespace=ns),
            seconds=LOGS_FETCH_SECONDS,
            tail=args.tail,
            on_progress=progress,
            mask=mask,
        )
    if result.error is not None:
        raise hub_failure(result.error, f"fetch the logs of job {view.id}") from result.error
    if follow or not view.is_terminal:
        with contextlib.suppress(Exception):  # the logs are what was asked for; the stage is a bonus
            view = await in_thread(lambda: backend.inspect(view.id, namespace=ns))
    lines, cut = logtext.bound_lines(result.lines)
    md = [
        f"Job `{view.id}` — **{fmt.status_text(view)}**",
        "",
        fmt.logs_block(lines, total=result.count),
    ]
    if cut:
        md.append(
            f"Only the last {len(lines)} lines fit in {logtext.MAX_LOG_BYTES // 1000} kB; ask for fewer with "
            f'`"tail"` or read the full log at {view.url or "the job page"}.'
        )
    if not view.is_terminal:
        md.append(
            f"The job is still running. Follow it: "
            f"`{json.dumps({'operation': 'logs', 'args': {'job_id': view.id, 'wait_seconds': 30}})}`"
        )
    steps = _after_training(view, lines)
    if steps:
        from hf_train_mcp.post_training import next_steps_markdown

        md += ["", next_steps_markdown(steps)]
    truncated = cut or result.count > len(lines) or result.timed_out or result.cut
    outcome = {
        "kind": "logs",
        "job_id": view.id,
        "lines": lines,
        "finished": view.is_terminal,
        "truncated": truncated,
    }
    return Answer(
        "\n".join(md),
        {
            **envelope(None, outcome, max(result.count, len(lines)), len(lines)),
            "job_id": view.id,
            "status": view.stage,
            "finished": view.is_terminal,
            "logs": lines,
            "next_calls": calls,
            **({"next_steps": steps} if steps else {}),
        },
    )


def _after_training(view: JobView, lines: list[str]) -> list[dict[str, Any]]:
    """A completed training job (its summary line in the logs): what a person usually asks next."""
    if view.stage != "COMPLETED":
        return []
    from hf_train_mcp.post_training import next_steps_after_training
    from hf_train_mcp.training.summary import parse_summary

    summary = parse_summary("\n".join(lines))
    if not summary:
        return []
    return next_steps_after_training(view.id, summary.get("hub_model_id"), summary=summary)


async def op_inspect(args: InspectArgs, progress: Progress | None) -> Answer:
    ids = list(dict.fromkeys(args.job_ids))
    if len(ids) > MAX_INSPECT_IDS:
        raise JobsArgumentError(f"inspect takes at most {MAX_INSPECT_IDS} job ids at once ({len(ids)} given)")
    blocks: list[str] = []
    jobs: list[dict[str, Any]] = []
    errors: dict[str, str] = {}
    inspections: list[dict[str, Any]] = []
    for job_id in ids:
        try:
            _, view = await inspect_one(job_id, args.namespace)
        except Exception as exc:
            if len(ids) == 1:
                raise
            message = f"Failed to fetch job {job_id}: {exc}"
            errors[job_id] = str(exc)
            inspections.append({"job_id": job_id, "status": "error", "message": message})
            blocks.append(f"### Job {job_id}\n- **Error:** {message}")
            continue
        blocks.append(fmt.inspect_markdown(view))
        jobs.append(fmt.job_dict(view))
        inspections.append({"job_id": job_id, "status": "success", "job": fmt.job_out(view)})
    outcome = {"kind": "inspections", "requested_job_ids": ids, "inspections": inspections}
    data: dict[str, Any] = {**envelope(None, outcome, len(ids), len(jobs)), "jobs": jobs, "errors": errors}
    if len(jobs) == 1 and not errors:
        data["job"] = jobs[0]
        data["next_calls"] = fmt.next_calls(
            jobs[0]["id"], args.namespace, include_cancel=jobs[0]["stage"] in ("RUNNING", "SCHEDULING")
        )
    return Answer("\n\n".join(blocks), data)


async def op_cancel(args: CancelArgs, progress: Progress | None) -> Answer:
    backend, view = await inspect_one(args.job_id, args.namespace)
    ns = None if view.backend == "local" else (args.namespace or view.owner)
    if view.is_terminal:
        md = f"Job `{view.id}` had already finished: **{fmt.status_text(view)}**. Nothing to cancel."
        return Answer(
            md,
            {
                **acknowledgement(view.id, "canceled", md),
                "job_id": view.id,
                "status": view.stage,
                "canceled": False,
                "job": fmt.job_dict(view),
            },
        )
    view = await in_thread(lambda: backend.cancel(view.id, namespace=ns))
    md = (
        f"Cancel requested for job `{view.id}`; status now **{fmt.status_text(view)}**. Billing stops when "
        "the job is CANCELED."
    )
    return Answer(
        md,
        {
            **acknowledgement(view.id, "canceled", md),
            "job_id": view.id,
            "status": view.stage,
            "canceled": True,
            "job": fmt.job_dict(view),
        },
    )


async def op_stats(args: StatsArgs, progress: Progress | None) -> Answer:
    backend, view = await inspect_one(args.job_id, args.namespace)
    ns = None if view.backend == "local" else (args.namespace or view.owner)

    def answer(md: str, running: bool, metrics: dict[str, Any] | None) -> Answer:
        outcome = {"kind": "stats", "job_id": view.id, "metrics": metrics}
        return Answer(
            md,
            {
                **envelope(None, outcome, 1, 1 if metrics else 0),
                "job_id": view.id,
                "status": view.stage,
                "running": running,
                "metrics": metrics,
            },
        )

    if view.stage != "RUNNING":
        md = (
            f"Job `{view.id}` is **{fmt.status_text(view)}**: resource metrics exist only while a job runs."
            + (" Try again once it is RUNNING." if view.stage == "SCHEDULING" else "")
        )
        return answer(md, False, None)
    try:
        sample = await run_bounded(
            lambda: backend.metrics(view.id, namespace=ns), seconds=STATS_SECONDS, name="hf-jobs-metrics"
        )
    except Exception as exc:
        raise hub_failure(exc, f"read the metrics of job {view.id}") from exc
    if sample is None:
        md = (
            f"Job `{view.id}` is RUNNING but sent no metrics within {STATS_SECONDS:g} s (it may still be "
            "starting its container). Try again in a minute."
        )
        return answer(md, True, None)
    md, data = fmt.metrics_markdown(view, sample)
    return answer(md, True, data)


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
        entries = await in_thread(backend.hardware)
        rows = fmt.hardware_rows(entries)
        try:
            from hf_train_mcp.hardware import catalog

            catalog.set_live(entries)  # the hardware tools then price with the same live list
        except Exception as exc:  # an odd entry must not hide the list the agent asked for
            log.info("live hardware list not shared with the catalog: %s", exc)
    except Exception as exc:
        from hf_train_mcp.hardware.catalog import why_unavailable

        log.info("live hardware list unavailable: %s", exc)
        rows, as_of = _bundled_rows()
        source = f"bundled table dated {as_of}"
        notes.append(
            f"The Hub's live hardware list is unavailable ({why_unavailable(exc)}); prices are from the "
            f"{source}."
        )
    local = local_hardware()
    ssh_rows, ssh_notes = await in_thread(ssh_hardware)
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
    outcome = {"kind": "hardware", "flavors": rows}
    return Answer(
        "\n".join(md),
        {
            **envelope(None, outcome, len(rows), len(rows)),
            "source": source,
            "flavors": rows,
            "local": local,
            "ssh": ssh_rows,
            "notes": notes,
        },
    )
