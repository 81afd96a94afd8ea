"""training_loss_curve: a job's loss curve as a PNG (MCP image content) with the numbers beside it.

The logs come through the jobs package (the same backends and bounded reader as `hf_jobs logs`), so local
and Hub jobs work alike; a saved log file or pasted log text works too.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mcp.types import CallToolResult, ImageContent, TextContent

from hf_train_mcp.access import readable_file
from hf_train_mcp.post_training.errors import PostTrainingError
from hf_train_mcp.post_training.loss_curve import LossCurve, parse_log, render_png, table_rows, x_label
from hf_train_mcp.redact import redact, redact_data
from hf_train_mcp.toolkit import Answer, jsonable, md_table

MAX_LOG_LINES = 20_000  # a long run logs a dict every logging_steps: plenty of points, bounded memory
MAX_TABLE_ROWS = 12
MAX_LOG_FILE_BYTES = 50_000_000


@dataclass
class ImageAnswer(Answer):
    """An Answer with a PNG picture after the text."""

    png: bytes = b""

    def to_result(self) -> CallToolResult:
        content: list[Any] = [TextContent(type="text", text=redact(self.markdown))]
        if self.png:
            content.append(
                ImageContent(type="image", data=base64.b64encode(self.png).decode(), mime_type="image/png")
            )
        return CallToolResult(content=content, structured_content=redact_data(jsonable(self.data)))


async def job_log_text(job_id: str, namespace: str | None) -> tuple[str, str, bool]:
    """(log text, stage, finished) of a job, through the jobs package's backends and bounded reader."""
    import asyncio

    from hf_train_mcp import hub
    from hf_train_mcp.jobs.backends import backend_for_job
    from hf_train_mcp.jobs.follow import collect_lines
    from hf_train_mcp.jobs.operations import LOGS_FETCH_SECONDS

    backend = backend_for_job(job_id)
    try:
        view = await asyncio.to_thread(lambda: backend.inspect(job_id, namespace=namespace))
    except Exception as exc:
        raise hub.hub_error(exc, what=f"inspect job {job_id}") from None
    ns = None if view.backend == "local" else (namespace or view.owner)
    result = await collect_lines(
        lambda: backend.logs(view.id, tail=MAX_LOG_LINES, follow=False, namespace=ns),
        seconds=LOGS_FETCH_SECONDS,
        tail=MAX_LOG_LINES,
    )
    if result.error is not None:
        raise hub.hub_error(result.error, what=f"fetch the logs of job {view.id}") from None
    return "\n".join(result.lines), view.stage, view.is_terminal


def read_log_file(path: str) -> str:
    file = readable_file(Path(path).expanduser(), argument="log_path", what="a log file")
    if not file.is_file():
        raise PostTrainingError(
            f"no such log file: {path}. Send job_id (a Hub or local job) or an existing log file."
        )
    if file.stat().st_size > MAX_LOG_FILE_BYTES:
        with file.open("rb") as handle:
            handle.seek(-MAX_LOG_FILE_BYTES, 2)
            return handle.read().decode("utf-8", errors="replace")
    return file.read_text(encoding="utf-8", errors="replace")


def curve_answer(
    text: str, source: str, stage: str | None = None, finished: bool | None = None
) -> ImageAnswer:
    curve: LossCurve = parse_log(text)
    state = f" — **{stage}**" if stage else ""
    if curve.empty:
        hint = (
            "The job has not logged a loss yet (the Trainer logs every logging_steps); call again later."
            if finished is False
            else "No `{'loss': ...}` lines in these logs: is it a job made by generate_training_script?"
        )
        return ImageAnswer(
            f"## Loss curve of {source}{state}\n\n{hint}",
            {
                "source": source,
                "stage": stage,
                "finished": finished,
                "points": 0,
                "train": [],
                "eval": [],
                "summary": curve.summary,
            },
        )
    png = render_png(curve, f"{source} ({len(curve.train)} points)", x_label(curve, text))
    first, last = curve.train[0] if curve.train else None, curve.train[-1] if curve.train else None
    lines = [f"## Loss curve of {source}{state}", ""]
    if first and last:
        best = min(curve.train, key=lambda p: p["loss"])
        lines.append(
            f"Train loss {first['loss']:.4f} -> {last['loss']:.4f} over {len(curve.train)} logged points "
            f"(lowest {best['loss']:.4f} at {best['x']:g})."
        )
    if curve.eval:
        lines.append(
            "Eval loss: " + ", ".join(f"{p['eval_loss']:.4f} @ {p['x']:g}" for p in curve.eval[-6:]) + "."
        )
    if curve.summary:
        lines.append("Final summary: `" + json.dumps(curve.summary, sort_keys=True) + "`")
    elif finished is False:
        lines.append("Still running: call again for a fresher curve.")
    lines += ["", md_table(["x", "loss", "learning rate"], table_rows(curve, MAX_TABLE_ROWS))]
    data = {
        "source": source,
        "stage": stage,
        "finished": finished,
        "points": len(curve.train),
        "train": curve.train[-500:],
        "eval": curve.eval[-100:],
        "summary": curve.summary,
        "image_bytes": len(png),
    }
    return ImageAnswer("\n".join(lines), data, png=png)
