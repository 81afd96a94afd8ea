"""What hf_jobs answers look like: compact markdown for the model, plain dicts for programs.

Ids are never truncated (agents paste them into the next call); other cells are. Env values and
secret values are never shown: only their names.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from hf_train_mcp.jobs.logtext import value_masker
from hf_train_mcp.jobs.model import LOCAL_FLAVOR, JobView, MetricsSample, is_ssh
from hf_train_mcp.jobs.timeouts import format_duration
from hf_train_mcp.jobs.uv_command import PAYLOAD_ENV_PREFIX, describe_command
from hf_train_mcp.toolkit import md_table

CELL = 40  # max characters of a table cell (ids excepted)


def _cut(text: str | None, width: int = CELL) -> str:
    text = (text or "").replace("\n", " ")
    return text if len(text) <= width else text[: width - 3] + "..."


def _ts(value: datetime | None) -> str:
    if value is None:
        return "-"
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def runtime_seconds(view: JobView) -> float | None:
    if view.started_at is None:
        return None
    end = view.finished_at or datetime.now(UTC)
    start = view.started_at if view.started_at.tzinfo else view.started_at.replace(tzinfo=UTC)
    end = end if end.tzinfo else end.replace(tzinfo=UTC)
    return max(0.0, (end - start).total_seconds())


# --- prices -------------------------------------------------------------------------------------------
def price_per_hour(flavor: str) -> float | None:
    """USD per hour of a flavor (0 for this machine); the hardware catalog's one price lookup otherwise."""
    if flavor == LOCAL_FLAVOR:
        return 0.0
    from hf_train_mcp.hardware.api import price_per_hour as catalog_price

    return catalog_price(flavor)


def cost_lines(flavor: str, timeout_seconds: int | None) -> tuple[list[str], dict[str, Any]]:
    price = price_per_hour(flavor)
    data: dict[str, Any] = {"price_per_hour": price, "max_cost_usd": None}
    if flavor == LOCAL_FLAVOR:
        return ["**Cost:** none (runs on this machine)"], data
    if is_ssh(flavor):
        return ["**Cost:** none from Hugging Face (runs on your SSH host)"], data
    if price is None:
        return [
            f'**Price:** unknown for flavor {flavor} (the "hardware" operation lists current flavors)'
        ], data
    lines = [f"**Price:** ${price:.2f}/hour"]
    if timeout_seconds:
        max_cost = round(price * timeout_seconds / 3600, 2)
        data["max_cost_usd"] = max_cost
        lines.append(
            f"**Max cost:** ${max_cost:.2f} (if it runs until the {format_duration(timeout_seconds)} timeout)"
        )
    return lines, data


# --- jobs -----------------------------------------------------------------------------------------------
def env_names(view: JobView) -> list[str]:
    return [name for name in view.env if not name.startswith(PAYLOAD_ENV_PREFIX)]


def job_dict(view: JobView) -> dict[str, Any]:
    """Structured form of a job: names of env vars and secrets, never their values."""
    runtime = runtime_seconds(view)
    mask = job_masker(view)
    return {
        "id": view.id,
        "backend": view.backend,
        "owner": view.owner,
        "stage": view.stage,
        "message": mask(view.message) if view.message else view.message,
        "flavor": view.flavor,
        "image": view.image,
        "space_id": view.space_id,
        "command": mask(describe_command(view.command)),
        "created_at": view.created_at.isoformat() if view.created_at else None,
        "started_at": view.started_at.isoformat() if view.started_at else None,
        "finished_at": view.finished_at.isoformat() if view.finished_at else None,
        "runtime_seconds": None if runtime is None else int(runtime),
        "timeout_seconds": view.timeout_seconds,
        "env_names": env_names(view),
        "secret_names": list(view.secret_names),
        "labels": {k: mask(v) for k, v in view.labels.items()},
        "url": view.url,
        "notes": [n for n in view.notes if not n.startswith("running_secs=")],
    }


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat().replace("+00:00", "Z")


def _without_none(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v is not None}


def owner_out(name: str | None, owner_id: str | None, owner_type: str | None) -> dict[str, Any]:
    return _without_none({"id": owner_id or name or "", "name": name or "", "type": owner_type})


def job_masker(view: JobView) -> Callable[[str], str]:
    """Masks the job's own env values (a command or message may repeat them)."""
    return value_masker(view.env.values())


def job_out(view: JobView) -> dict[str, Any]:
    """A job in the official output schema's shape: names of env vars and secrets, never values
    (env values repeated in the command, message or labels are masked too)."""
    mask = job_masker(view)
    return _without_none(
        {
            "id": view.id,
            "url": view.url,
            "created_at": _iso(view.created_at) or "",
            "finished_at": _iso(view.finished_at),
            "docker_image": None if view.space_id else (view.image or None),
            "space_id": view.space_id,
            "command": [mask(c) for c in view.command],
            "environment_variable_names": sorted(env_names(view)),
            "secret_names": sorted(view.secret_names),
            "flavor": view.flavor,
            "status": _without_none(
                {"stage": view.stage, "message": mask(view.message) if view.message else view.message}
            ),
            "owner": owner_out(view.owner, view.owner_id, view.owner_type),
            "created_by": owner_out(
                view.created_by.get("name"), view.created_by.get("id"), view.created_by.get("type")
            )
            if view.created_by
            else None,
            "labels": {k: mask(v) for k, v in view.labels.items()} if view.labels else None,
            "timeout_seconds": view.timeout_seconds,
        }
    )


def status_text(view: JobView) -> str:
    return f"{view.stage} ({view.message})" if view.message else view.stage


def next_calls(job_id: str, namespace: str | None = None, *, include_cancel: bool = True) -> dict[str, Any]:
    args: dict[str, Any] = {"job_id": job_id}
    if namespace:
        args["namespace"] = namespace
    calls = {
        "logs": {"operation": "logs", "args": {**args, "wait_seconds": 30}},
        "inspect": {"operation": "inspect", "args": dict(args)},
    }
    if include_cancel:
        calls["cancel"] = {"operation": "cancel", "args": dict(args)}
    return calls


def next_calls_markdown(calls: dict[str, Any]) -> str:
    lines = ["**Next calls** (hf_jobs):"]
    for name, call in calls.items():
        lines.append(f"- {name}: `{json.dumps(call)}`")
    return "\n".join(lines)


def ps_markdown(views: list[JobView], *, total: int, scope: str, limit: int) -> str:
    if not views:
        if scope == "running":
            return 'No running jobs. Pass {"all": true} to include finished jobs.'
        if scope == "all":
            return "No jobs at all: nothing has been submitted in this namespace (or on this machine) yet."
        return f"No jobs with status {scope}."
    rows = []
    for v in views:
        runtime = runtime_seconds(v)
        rows.append(
            [
                v.id,
                _cut(v.labels.get("name"), 30),
                v.flavor,
                v.stage,
                _ts(v.created_at).removesuffix(" UTC"),
                format_duration(runtime) if runtime is not None else "-",
                _cut(v.space_id or v.image, 30),
                _cut(describe_command(v.command)),
            ]
        )
    table = md_table(
        ["JOB ID", "NAME", "FLAVOR", "STATUS", "CREATED (UTC)", "RUNTIME", "IMAGE/SPACE", "COMMAND"], rows
    )
    header = f"**{scope.capitalize()} jobs: {len(views)} of {total} shown**"
    parts = [header, "", table]
    if total > len(views):
        parts += [
            "",
            f'{total - len(views)} more not shown; pass {{"limit": {min(total, 200)}}} to see '
            f"more (now {limit}).",
        ]
    return "\n".join(parts)


def inspect_markdown(view: JobView) -> str:
    return job_masker(view)(_inspect_markdown(view))


def _inspect_markdown(view: JobView) -> str:
    runtime = runtime_seconds(view)
    lines = [f"### Job {view.id}", f"- **Status:** {status_text(view)}"]
    if view.url:
        lines.append(f"- **URL:** {view.url}")
    lines.append(f"- **Flavor:** {view.flavor}" + (" (this machine)" if view.backend == "local" else ""))
    if view.space_id:
        lines.append(f"- **Space:** {view.space_id}")
    elif view.image:
        lines.append(f"- **Image:** {view.image}")
    lines.append(f"- **Command:** `{_cut(describe_command(view.command), 300)}`")
    lines.append(f"- **Created:** {_ts(view.created_at)}")
    if view.started_at:
        lines.append(f"- **Started:** {_ts(view.started_at)}")
    if view.finished_at:
        lines.append(f"- **Finished:** {_ts(view.finished_at)}")
    if runtime is not None:
        lines.append(f"- **Runtime:** {format_duration(runtime)}")
        price = price_per_hour(view.flavor)
        if price:
            lines.append(f"- **Cost so far:** about ${price * runtime / 3600:.2f} (at ${price:.2f}/hour)")
    if view.timeout_seconds:
        lines.append(f"- **Timeout:** {format_duration(view.timeout_seconds)}")
    names = env_names(view)
    if names:
        lines.append(f"- **Env:** {', '.join(names)}")
    if view.secret_names:
        lines.append(f"- **Secrets:** {', '.join(view.secret_names)}")
    if view.labels:
        lines.append(f"- **Labels:** {', '.join(f'{k}={v}' for k, v in view.labels.items())}")
    lines.append(f"- **Owner:** {view.owner}")
    for note in view.notes:
        if not note.startswith("running_secs="):
            lines.append(f"- **Note:** {note}")
    return "\n".join(lines)


def logs_block(lines: list[str], *, total: int) -> str:
    if not lines:
        return "_(no log lines yet)_"
    head = (
        f"**Logs (last {len(lines)} of {total} lines):**"
        if total > len(lines)
        else f"**Logs ({total} {'line' if total == 1 else 'lines'}):**"
    )
    body = "\n".join(lines).replace("```", "'''")
    return f"{head}\n```\n{body}\n```"


def metrics_markdown(view: JobView, sample: MetricsSample) -> tuple[str, dict[str, Any]]:
    gib = 1024**3
    lines = [f"### Resource use of job {view.id} ({view.flavor})"]
    data: dict[str, Any] = {
        "cpu_usage_pct": sample.cpu_usage_pct,
        "memory_used_bytes": sample.memory_used_bytes,
        "memory_total_bytes": sample.memory_total_bytes,
        "gpus": sample.gpus,
    }
    if sample.cpu_usage_pct is not None:
        lines.append(f"- **CPU:** {sample.cpu_usage_pct:.0f}%")
    if sample.memory_used_bytes is not None:
        total = f" / {sample.memory_total_bytes / gib:.1f} GiB" if sample.memory_total_bytes else ""
        lines.append(f"- **Memory:** {sample.memory_used_bytes / gib:.1f} GiB{total}")
    rows = []
    for gid, gpu in sample.gpus.items():
        used, tot = gpu.get("memory_used_bytes"), gpu.get("memory_total_bytes")
        rows.append(
            [
                gid,
                f"{gpu.get('utilization', 0):.0f}%",
                f"{used / gib:.1f} GiB" if used is not None else "-",
                f"{tot / gib:.1f} GiB" if tot else "-",
            ]
        )
    if rows:
        lines += ["", md_table(["GPU", "UTILIZATION", "MEMORY USED", "MEMORY TOTAL"], rows)]
        idle = [r[0] for r in rows if r[1] == "0%"]
        if idle and len(idle) == len(rows):
            lines.append(
                "\nAll GPUs are idle: the job may still be loading data or a model, or running on CPU."
            )
    elif view.flavor.startswith("cpu"):
        pass
    else:
        lines.append("- **GPU:** no GPU reading in this sample")
    return "\n".join(lines), data


# --- scheduled jobs -------------------------------------------------------------------------------------
def scheduled_dict(info: Any) -> dict[str, Any]:
    spec = info.job_spec
    status = info.status
    last = status.last_job if status else None
    secrets = spec.secrets or {}
    mask = value_masker((spec.environment or {}).values())  # the spec's env values, repeated elsewhere
    return {
        "id": info.id,
        "schedule": info.schedule,
        "suspend": bool(info.suspend),
        "concurrency": info.concurrency,
        "owner": info.owner.name if info.owner else None,
        "created_at": info.created_at.isoformat() if info.created_at else None,
        "last_job_id": last.id if last else None,
        "last_job_at": last.at.isoformat() if last else None,
        "next_run_at": status.next_job_run_at.isoformat() if status and status.next_job_run_at else None,
        "image": spec.docker_image,
        "space_id": spec.space_id,
        "command": mask(describe_command([*(spec.command or []), *(spec.arguments or [])])),
        "flavor": str(getattr(spec.flavor, "value", spec.flavor) or ""),
        "timeout_seconds": spec.timeout,
        "env_names": [n for n in (spec.environment or {}) if not n.startswith(PAYLOAD_ENV_PREFIX)],
        "secret_names": list(secrets) if isinstance(secrets, dict | list) else [],
        "labels": {k: mask(v) for k, v in (spec.labels or {}).items()},
        "volumes": [volume_out(v) for v in spec.volumes or []],
    }


def volume_out(volume: Any) -> dict[str, Any]:
    """A mounted volume as the official schema names it (type, source, mount_path, ...)."""
    return _without_none(
        {
            "type": getattr(volume, "type", None) or "model",
            "source": getattr(volume, "source", ""),
            "mount_path": getattr(volume, "mount_path", ""),
            "revision": getattr(volume, "revision", None),
            "read_only": getattr(volume, "read_only", None),
            "path": getattr(volume, "path", None),
        }
    )


def scheduled_out(info: Any) -> dict[str, Any]:
    """A scheduled job in the official output schema's shape (env and secret names only)."""
    d = scheduled_dict(info)
    spec = info.job_spec
    owner = info.owner
    mask = value_masker((spec.environment or {}).values())
    return _without_none(
        {
            "id": d["id"],
            "schedule": d["schedule"] or "",
            "suspended": d["suspend"],
            "last_run": d["last_job_at"],
            "next_run": d["next_run_at"],
            "owner": owner_out(owner.name, owner.id, owner.type) if owner else owner_out("", "", None),
            "created_at": d["created_at"] or "",
            "job_spec": _without_none(
                {
                    "docker_image": None if d["space_id"] else d["image"],
                    "space_id": d["space_id"],
                    "command": [mask(c) for c in [*(spec.command or []), *(spec.arguments or [])]],
                    "environment_variable_names": sorted(d["env_names"]),
                    "secret_names": sorted(d["secret_names"]),
                    "flavor": d["flavor"],
                    "timeout_seconds": d["timeout_seconds"],
                    "volumes": d["volumes"] or None,
                    "labels": d["labels"] or None,
                }
            ),
        }
    )


def scheduled_table(items: list[dict[str, Any]]) -> str:
    rows = [
        [
            d["id"],
            _cut(d["labels"].get("name"), 30),
            d["schedule"],
            "Yes" if d["suspend"] else "No",
            d["flavor"],
            _cut(d["space_id"] or d["image"], 30),
            d["last_job_id"] or "-",
            (d["next_run_at"] or "-")[:19].replace("T", " "),
            _cut(d["command"]),
        ]
        for d in items
    ]
    headers = [
        "ID",
        "NAME",
        "SCHEDULE",
        "SUSPENDED",
        "FLAVOR",
        "IMAGE/SPACE",
        "LAST RUN (JOB)",
        "NEXT RUN (UTC)",
    ]
    return md_table([*headers, "COMMAND"], rows)


def scheduled_markdown(d: dict[str, Any]) -> str:
    lines = [
        f"### Scheduled job {d['id']}",
        f"- **Schedule:** {d['schedule']}",
        f"- **Suspended:** {'yes' if d['suspend'] else 'no'}",
        f"- **Concurrent runs:** {'allowed' if d['concurrency'] else 'no'}",
        f"- **Flavor:** {d['flavor']}",
    ]
    if d["space_id"]:
        lines.append(f"- **Space:** {d['space_id']}")
    elif d["image"]:
        lines.append(f"- **Image:** {d['image']}")
    lines.append(f"- **Command:** `{_cut(d['command'], 300)}`")
    if d["timeout_seconds"]:
        lines.append(f"- **Timeout:** {format_duration(d['timeout_seconds'])}")
    if d["last_job_id"]:
        lines.append(f"- **Last run:** job {d['last_job_id']} at {d['last_job_at']}")
    if d["next_run_at"]:
        lines.append(f"- **Next run:** {d['next_run_at']}")
    if d["env_names"]:
        lines.append(f"- **Env:** {', '.join(d['env_names'])}")
    if d["secret_names"]:
        lines.append(f"- **Secrets:** {', '.join(d['secret_names'])}")
    for v in d["volumes"]:
        access = " (read-only)" if v.get("read_only") else ""
        sub = f"/{v['path']}" if v.get("path") else ""
        lines.append(f"- **Volume:** {v['type']} {v['source']}{sub} at {v['mount_path']}{access}")
    if d["owner"]:
        lines.append(f"- **Owner:** {d['owner']}")
    return "\n".join(lines)


# --- hardware -------------------------------------------------------------------------------------------
def hardware_rows(entries: list[Any]) -> list[dict[str, Any]]:
    """Live JobHardwareInfo entries -> plain dicts with an hourly price, cheapest first."""
    rows = []
    for e in entries:
        unit = str(getattr(e, "unit_label", "minute") or "minute").lower()
        per_unit = float(getattr(e, "unit_cost_usd", 0.0) or 0.0)
        per_hour = per_unit * {"second": 3600, "minute": 60, "hour": 1}.get(unit, 60)
        acc = getattr(e, "accelerator", None)
        rows.append(
            {
                "name": e.name,
                "pretty_name": getattr(e, "pretty_name", e.name),
                "cpu": getattr(e, "cpu", None),
                "ram": getattr(e, "ram", None),
                "accelerator": None
                if acc is None
                else {"type": acc.type, "model": acc.model, "quantity": acc.quantity, "vram": acc.vram},
                "price_per_hour": round(per_hour, 4),
                "price_per_minute": per_unit if unit == "minute" else round(per_hour / 60, 6),
            }
        )
    rows.sort(key=lambda r: (r["accelerator"] is not None, r["price_per_hour"], r["name"]))
    return rows


def hardware_markdown(rows: list[dict[str, Any]]) -> str:
    table = []
    for r in rows:
        acc = r.get("accelerator")
        gpu = f"{acc.get('quantity', '?')}x {acc.get('model', '?')}" if acc else "-"
        price = r.get("price_per_hour")
        table.append(
            [
                r.get("name"),
                r.get("cpu") or "-",
                r.get("ram") or "-",
                gpu,
                (acc.get("vram") or "-") if acc else "-",
                "free"
                if r.get("name") == LOCAL_FLAVOR or is_ssh(str(r.get("name")))
                else f"${price:.2f}"
                if price is not None
                else "?",
            ]
        )
    return md_table(["FLAVOR", "CPU", "RAM", "GPU", "VRAM (total)", "PRICE/HOUR"], table)
