"""The scheduled-job operations of `hf_jobs` (Hugging Face only: local jobs have no schedule)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from hf_train_mcp.jobs import formatting as fmt
from hf_train_mcp.jobs.args import (
    ScheduledJobArgs,
    ScheduledPsArgs,
    ScheduledRunArgs,
    ScheduledUvArgs,
)
from hf_train_mcp.jobs.backends import (
    hub_backend,
)
from hf_train_mcp.jobs.errors import JobsArgumentError
from hf_train_mcp.jobs.model import is_local_job_id, is_own_machine, is_ssh
from hf_train_mcp.jobs.operations import (
    Progress,
    acknowledgement,
    dry_run_answer,
    in_thread,
    prepare_submission,
)
from hf_train_mcp.jobs.output import envelope
from hf_train_mcp.toolkit import Answer


# --- scheduled jobs -----------------------------------------------------------------------------------------
def _no_local_schedule(job_id: str) -> None:
    if is_local_job_id(job_id) or is_ssh(job_id):
        raise JobsArgumentError("Scheduled jobs exist on Hugging Face only; local job ids have no schedule.")


async def op_scheduled_create(args: ScheduledRunArgs | ScheduledUvArgs, progress: Progress | None) -> Answer:
    if is_own_machine(args.flavor):
        raise JobsArgumentError(
            f'Scheduled jobs run on Hugging Face only; flavor "{args.flavor}" cannot be scheduled. Pick a '
            'Hub flavor (the "hardware" operation lists them).'
        )
    sub, token, notes = await prepare_submission(args)
    if args.dry_run:
        return await dry_run_answer(args, sub, token, notes, schedule=args)
    backend = hub_backend()
    info = await in_thread(
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
        {
            **envelope(None, {"kind": "scheduled_job", "scheduled_job": fmt.scheduled_out(info)}, 1, 1),
            "scheduled_job": d,
            "scheduled_job_id": d["id"],
            **cost_data,
            "next_calls": calls,
            "notes": notes,
        },
    )


async def op_scheduled_ps(args: ScheduledPsArgs, progress: Progress | None) -> Answer:
    backend = hub_backend()
    infos = await in_thread(lambda: backend.list_scheduled(namespace=args.namespace))
    pairs = [(i, fmt.scheduled_dict(i)) for i in infos]
    total = len(pairs)
    if not args.all:
        pairs = [(i, d) for i, d in pairs if not d["suspend"]]
    items = [d for _, d in pairs]
    if not items:
        hint = ' Pass {"all": true} to include suspended ones.' if total else ""
        md = f"No {'active ' if not args.all else ''}scheduled jobs.{hint}"
    else:
        md = f"**Scheduled jobs: {len(items)}**" + (
            f" ({total - len(items)} suspended not shown)" if total > len(items) else ""
        )
        md += "\n\n" + fmt.scheduled_table(items)
    outcome = {
        "kind": "scheduled_jobs",
        "scheduled_jobs": [fmt.scheduled_out(i) for i, _ in pairs],
        "total_scheduled_jobs": total,
    }
    return Answer(md, {**envelope(None, outcome, total, len(items)), "scheduled_jobs": items, "total": total})


async def op_scheduled_inspect(args: ScheduledJobArgs, progress: Progress | None) -> Answer:
    _no_local_schedule(args.scheduled_job_id)
    backend = hub_backend()
    info = await in_thread(lambda: backend.inspect_scheduled(args.scheduled_job_id, namespace=args.namespace))
    d = fmt.scheduled_dict(info)
    outcome = {"kind": "scheduled_job", "scheduled_job": fmt.scheduled_out(info)}
    return Answer(fmt.scheduled_markdown(d), {**envelope(None, outcome, 1, 1), "scheduled_job": d})


def scheduled_action(action: str) -> Callable[[ScheduledJobArgs, Progress | None], Awaitable[Answer]]:
    past = {"delete": "deleted", "suspend": "suspended", "resume": "resumed"}[action]

    async def handler(args: ScheduledJobArgs, progress: Progress | None) -> Answer:
        _no_local_schedule(args.scheduled_job_id)
        backend = hub_backend()
        method = getattr(backend, f"{action}_scheduled")
        await in_thread(lambda: method(args.scheduled_job_id, namespace=args.namespace))
        md = f"Scheduled job `{args.scheduled_job_id}` {past}."
        if action == "delete":
            md += " Runs already started are not canceled (ps lists them)."
        return Answer(
            md,
            {
                **acknowledgement(args.scheduled_job_id, past, md),
                "scheduled_job_id": args.scheduled_job_id,
                "action": action,
                "done": True,
            },
        )

    return handler


async def op_scheduled_trigger(args: ScheduledJobArgs, progress: Progress | None) -> Answer:
    _no_local_schedule(args.scheduled_job_id)
    backend = hub_backend()
    view = await in_thread(lambda: backend.trigger_scheduled(args.scheduled_job_id, namespace=args.namespace))
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
            **envelope(None, {"kind": "job", "job": fmt.job_out(view)}, 1, 1),
            "scheduled_job_id": args.scheduled_job_id,
            "job_id": view.id,
            "status": view.stage,
            "job": fmt.job_dict(view),
            "next_calls": calls,
        },
    )
