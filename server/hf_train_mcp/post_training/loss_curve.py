"""A training run's loss curve from its logs: the Trainer's `{'loss': ..., 'learning_rate': ...,
'epoch': ...}` lines (and `{'eval_loss': ...}`), plus the final `HF_TRAIN_SUMMARY {...}` line.

`parse_log` reads plain text, so it serves local and Hub jobs alike; `render_png` draws the curve with
matplotlib, imported only when a picture is asked for (the server never imports it at startup).
"""

from __future__ import annotations

import ast
import io
import math
import re
from dataclasses import dataclass, field
from typing import Any

from hf_train_mcp.training.summary import parse_summary

MARKER_LIMIT = 200
# A Trainer log line: a dict literal holding 'loss' or 'eval_loss' (quoted either way; may have a prefix).
_DICT_RE = re.compile(r"\{[^{}]*['\"](?:eval_)?loss['\"]\s*:[^{}]*\}")


@dataclass
class LossCurve:
    """Points in log order; x is the epoch when the Trainer logged one, else the log index."""

    train: list[dict[str, float]] = field(default_factory=list)  # {x, loss, learning_rate?, grad_norm?}
    eval: list[dict[str, float]] = field(default_factory=list)  # {x, eval_loss}
    summary: dict[str, Any] | None = None

    @property
    def empty(self) -> bool:
        return not self.train and not self.eval


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def parse_log(text: str) -> LossCurve:
    """Every loss point in `text` (non-dict lines and malformed dicts are skipped)."""
    curve = LossCurve(summary=parse_summary(text))
    for match in _DICT_RE.finditer(text or ""):
        try:
            entry = ast.literal_eval(match.group(0))
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            continue
        if not isinstance(entry, dict):
            continue
        epoch = _number(entry.get("epoch"))
        if (loss := _number(entry.get("loss"))) is not None:
            point = {"x": epoch if epoch is not None else float(len(curve.train) + 1), "loss": loss}
            for key in ("learning_rate", "grad_norm"):
                if (value := _number(entry.get(key))) is not None:
                    point[key] = value
            curve.train.append(point)
        elif (eval_loss := _number(entry.get("eval_loss"))) is not None:
            x = epoch if epoch is not None else (curve.train[-1]["x"] if curve.train else 0.0)
            curve.eval.append({"x": x, "eval_loss": eval_loss})
    return curve


def x_label(curve: LossCurve, text: str) -> str:
    return "epoch" if "'epoch'" in text or '"epoch"' in text else "log entry"


def render_png(curve: LossCurve, title: str, xlabel: str = "epoch") -> bytes:
    """The curve as PNG bytes: training loss (and eval loss), learning rate on a second axis."""
    import matplotlib

    matplotlib.use("Agg", force=True)  # no display: a file, not a window
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7, 4), dpi=100)
    ax = fig.subplots()
    if curve.train:
        style = "-o" if len(curve.train) <= MARKER_LIMIT else "-"  # thousands of markers: slow, unreadable
        ax.plot(
            [p["x"] for p in curve.train], [p["loss"] for p in curve.train], style, ms=3, label="train loss"
        )
    if curve.eval:
        ax.plot(
            [p["x"] for p in curve.eval], [p["eval_loss"] for p in curve.eval], "-s", ms=4, label="eval loss"
        )
    ax.set_xlabel(xlabel)
    ax.set_ylabel("loss")
    ax.grid(alpha=0.3)
    lrs = [p for p in curve.train if "learning_rate" in p]
    if lrs:
        lr_ax = ax.twinx()
        lr_ax.plot([p["x"] for p in lrs], [p["learning_rate"] for p in lrs], ":", color="gray", label="lr")
        lr_ax.set_ylabel("learning rate", color="gray")
        lr_ax.tick_params(axis="y", colors="gray")
    ax.legend(loc="upper right")
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


def table_rows(curve: LossCurve, limit: int) -> list[list[Any]]:
    """At most `limit` rows, evenly spread over the run and always keeping the first and last points."""
    points = curve.train
    if len(points) > limit:
        step = (len(points) - 1) / (limit - 1)
        points = [points[round(i * step)] for i in range(limit)]
    return [
        [f"{p['x']:g}", f"{p['loss']:.4f}", f"{p['learning_rate']:.3g}" if "learning_rate" in p else ""]
        for p in points
    ]
