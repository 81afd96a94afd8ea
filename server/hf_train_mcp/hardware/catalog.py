"""The flavor catalog: the live Jobs hardware list when the Hub answers, the bundled dated table otherwise.

`current()` never touches the network: it returns the live list fetched earlier (kept for LIVE_TTL_S,
and still preferred to the bundled table after that until a refresh succeeds) or the bundled table.
`refresh()` asks the Hub (`HfApi.list_jobs_hardware()`, so HF_ENDPOINT applies) in a background thread
and waits at most `wait_s` for it; a failure is remembered for FAILURE_TTL_S so a Hub that is down costs
one attempt, not one per call.

Wire entries (hub-jobs-wire.md, "Hardware entry"): `accelerator.vram` is the TOTAL over the GPUs and the
price is per `unitLabel` (a minute) in `unitCostUSD`. GPU facts the list does not carry (bf16, compute
capability, peak TFLOPS, bandwidth, usable memory) come from the bundled `gpus` table, keyed by model.
"""

from __future__ import annotations

import difflib
import json
import logging
import math
import re
import threading
import time
from functools import cache
from importlib import resources
from typing import Any

from hf_train_mcp.hardware.contract import FlavorInfo, UnknownFlavorError

log = logging.getLogger("hf_train_mcp.hardware")

LIVE_TTL_S = 3600.0  # refresh the live list at most hourly
FAILURE_TTL_S = 300.0  # after a failed fetch, use the bundled table for 5 minutes before asking again
FETCH_WAIT_S = 3.0  # how long a tool call waits for the Hub before answering from the bundled table
UNKNOWN_GPU_TFLOPS = 100.0  # an accelerator the bundled table does not know: conservative guesses
UNKNOWN_GPU_USABLE = 0.93  # usable fraction of the nominal memory

_lock = threading.Lock()
_live: dict[str, FlavorInfo] | None = None
_live_at = 0.0
_failed_at: float | None = None
_last_error: str | None = None
_thread: threading.Thread | None = None


@cache
def _bundled() -> dict[str, Any]:
    text = resources.files("hf_train_mcp.hardware").joinpath("flavors.json").read_text()
    return json.loads(text)


def bundled_flavors() -> dict[str, FlavorInfo]:
    """The dated bundled table, keyed by flavor name (a fresh dict of the parsed, frozen entries)."""
    return dict(_bundled_flavors())


@cache
def _bundled_flavors() -> dict[str, FlavorInfo]:
    data = _bundled()
    out: dict[str, FlavorInfo] = {}
    for row in data["flavors"]:
        gpu = data["gpus"].get(row["gpu"]) if row["gpu"] else None
        out[row["name"]] = FlavorInfo(
            name=row["name"],
            vcpu=row["vcpu"],
            ram_gb=row["ram_gb"],
            gpu=row["gpu"],
            gpu_count=row["gpu_count"],
            vram_gb_per_gpu=gpu["vram_gb"] if gpu else 0.0,
            price_per_hour=row["price_per_hour"],
            bf16=bool(gpu and gpu["bf16"]),
            compute_capability=gpu["compute_capability"] if gpu else None,
            peak_tflops=gpu["peak_tflops"] if gpu else 0.0,
            usable_vram_gib_per_gpu=gpu.get("usable_gib", 0.0) if gpu else 0.0,
            mem_bw_gbs=gpu.get("mem_bw_gbs", 0.0) if gpu else 0.0,
            generation=gpu.get("generation", "") if gpu else "",
            accelerator="gpu" if gpu else None,
            source="bundled",
        )
    return out


def current() -> dict[str, FlavorInfo]:
    """Flavors by name: the live list if one was fetched, the bundled table otherwise. No network."""
    with _lock:
        live = _live
    return live if live is not None else bundled_flavors()


def unknown_flavor_message(name: str, known: dict[str, FlavorInfo] | None = None) -> str:
    """The one refusal for a flavor name the catalog does not hold: what was wrong and what to send."""
    flavors = current() if known is None else known
    close = difflib.get_close_matches(name, list(flavors), n=3, cutoff=0.5)
    hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    gpus = ", ".join(sorted(n for n, f in flavors.items() if f.is_gpu))
    cpus = ", ".join(sorted(n for n, f in flavors.items() if not f.is_gpu))
    return (
        f"Unknown flavor {name!r}.{hint} GPU flavors: {gpus}. CPU flavors: {cpus}. "
        "(hf_jobs operation 'hardware' lists them with prices.)"
    )


def lookup(name: str) -> FlavorInfo:
    """The flavor's facts (live list when fetched, bundled table otherwise). Raises UnknownFlavorError."""
    flavors = current()
    info = flavors.get(name)
    if info is None:
        raise UnknownFlavorError(unknown_flavor_message(name, flavors))
    return info


def price_per_hour(name: str) -> float | None:
    """USD per hour of a flavor, from the same list every estimate uses; None when the flavor is unknown."""
    info = current().get(name)
    return None if info is None else float(info.price_per_hour)


def run_cost(price_per_hour: float, seconds: float) -> float:
    """What a run costs: Jobs bill per started minute."""
    return round(math.ceil(seconds / 60 - 1e-9) * price_per_hour / 60, 2)


def source() -> str:
    """Where `current()` comes from, in words."""
    with _lock:
        live, live_at, error = _live, _live_at, _last_error
    if live is not None:
        age = int(time.time() - live_at)
        return f"live Hub hardware list (fetched {age // 60} min ago)"
    as_of = _bundled().get("as_of", "?")
    if not error:
        return f"bundled table dated {as_of}"
    return (
        f"bundled table dated {as_of}; the Hub's live hardware list is unavailable ({error}), so flavors "
        "and prices may be out of date: check the network and HF_ENDPOINT (the list is asked for again "
        f"after {FAILURE_TTL_S / 60:g} minutes)"
    )


def refresh(wait_s: float = FETCH_WAIT_S, *, force: bool = False) -> bool:
    """Make sure a fresh live list is being fetched; wait up to `wait_s`. True when a live list is in use."""
    global _thread
    now = time.time()
    with _lock:
        fresh = _live is not None and now - _live_at < LIVE_TTL_S
        recently_failed = _failed_at is not None and now - _failed_at < FAILURE_TTL_S
        if (fresh or recently_failed) and not force:
            return _live is not None
        if _thread is None or not _thread.is_alive():
            _thread = threading.Thread(target=_fetch, name="hf-hardware-list", daemon=True)
            _thread.start()
        thread = _thread
    thread.join(wait_s)
    with _lock:
        return _live is not None


def _fetch() -> None:
    global _live, _live_at, _failed_at, _last_error
    try:
        from hf_train_mcp.hub import get_api

        entries = get_api().list_jobs_hardware()
        parsed = parse_entries(entries)
        if not any(f.is_gpu for f in parsed.values()):
            raise NoGpuFlavorError("the list holds no GPU flavor")
    except Exception as exc:  # any failure: keep the bundled table
        log.info("hardware list unavailable, using the bundled table: %s: %s", type(exc).__name__, exc)
        with _lock:
            _failed_at = time.time()
            _last_error = why_unavailable(exc)
        return
    with _lock:
        _live = parsed
        _live_at = time.time()
        _failed_at = None
        _last_error = None


def why_unavailable(exc: BaseException) -> str:
    """Why the live list failed, in words for an answer: never the exception's own text. An error our
    Hub layer wrapped (a JobsError) is read through its cause."""
    from hf_train_mcp import hub

    chain = [exc]
    while chain[-1].__cause__ is not None and len(chain) < 5:
        chain.append(chain[-1].__cause__)
    status = next((s for s in map(hub.status_of, chain) if s is not None), None)
    if status in (401, 403):
        return f"the Hub refused the request (HTTP {status}): check HF_TOKEN"
    if status is not None:
        return f"the Hub answered HTTP {status}"
    if any(isinstance(e, NoGpuFlavorError) for e in chain):
        return "the list the Hub sent holds no GPU flavor"
    if any(hub.is_timeout(e) for e in chain):
        return f"the Hub at {hub.endpoint()} did not answer in time"
    # OSError, or the transport errors of huggingface_hub's HTTP client (httpx or its successor)
    if any(kind.__name__ in ("OSError", "TransportError") for e in chain for kind in type(e).__mro__):
        return f"the Hub at {hub.endpoint()} could not be reached"
    return "the Hub's answer could not be read"


class NoGpuFlavorError(ValueError):
    """A live list without a single GPU flavor: not trusted over the bundled table."""


def set_live(entries: list[Any]) -> None:
    """Install a live list (wire dicts or JobHardwareInfo objects): tests, callers that fetched one."""
    global _live, _live_at, _failed_at, _last_error
    parsed = parse_entries(entries)
    with _lock:
        _live, _live_at, _failed_at, _last_error = parsed, time.time(), None, None


def reset() -> None:
    """Forget the live list and any failure (tests)."""
    global _live, _live_at, _failed_at, _last_error
    with _lock:
        _live, _live_at, _failed_at, _last_error = None, 0.0, None, None


# --------------------------------------------------------------------------------------------- parsing


def _number(text: Any) -> float:
    """'24 GB' -> 24.0, '4 vCPU' -> 4.0, 7 -> 7.0; 0.0 when there is no number."""
    if isinstance(text, int | float):
        return float(text)
    match = re.search(r"[\d.]+", str(text or ""))
    return float(match.group()) if match else 0.0


def _gpu_key(model: str) -> str:
    return re.sub(r"[^0-9a-z]", "", model.lower()).removeprefix("nvidia")


def _field(entry: Any, wire: str, attr: str) -> Any:
    if isinstance(entry, dict):
        return entry.get(wire)
    return getattr(entry, attr, None)


def parse_entry(entry: Any) -> FlavorInfo:
    """One hardware entry (the wire dict, or huggingface_hub's JobHardwareInfo) -> FlavorInfo."""
    gpus = {_gpu_key(name): (name, facts) for name, facts in _bundled()["gpus"].items()}
    name = _field(entry, "name", "name")
    if not name:
        raise ValueError("hardware entry without a name")
    accel = _field(entry, "accelerator", "accelerator")
    unit_cost = _field(entry, "unitCostUSD", "unit_cost_usd")
    micro = _field(entry, "unitCostMicroUSD", "unit_cost_micro_usd")
    unit = str(_field(entry, "unitLabel", "unit_label") or "minute").lower()
    per_unit = float(micro) / 1e6 if micro is not None else float(unit_cost or 0.0)
    per_hour = per_unit * {"second": 3600, "minute": 60, "hour": 1}.get(unit, 60)
    common = {
        "name": str(name),
        "vcpu": int(_number(_field(entry, "cpu", "cpu"))),
        "ram_gb": _number(_field(entry, "ram", "ram")),
        "price_per_hour": round(per_hour, 4),
        "source": "live",
    }
    if not accel:
        return FlavorInfo(
            gpu=None,
            gpu_count=0,
            vram_gb_per_gpu=0.0,
            bf16=False,
            compute_capability=None,
            peak_tflops=0.0,
            **common,
        )
    a_get = (lambda k, a: accel.get(k)) if isinstance(accel, dict) else (lambda k, a: getattr(accel, a, None))
    model = str(a_get("model", "model") or "")
    count = max(1, int(_number(a_get("quantity", "quantity")) or 1))
    kind = str(a_get("type", "type") or "gpu").lower()
    vram_per_gpu = _number(a_get("vram", "vram")) / count
    known = gpus.get(_gpu_key(model))
    if known is not None:
        gpu_name, facts = known
        nominal = float(facts["vram_gb"])
        vram_per_gpu = vram_per_gpu or nominal
        usable = facts.get("usable_gib", nominal * UNKNOWN_GPU_USABLE) * vram_per_gpu / nominal
        return FlavorInfo(
            gpu=gpu_name,
            gpu_count=count,
            vram_gb_per_gpu=vram_per_gpu,
            bf16=bool(facts["bf16"]),
            compute_capability=facts["compute_capability"],
            peak_tflops=float(facts["peak_tflops"]),
            usable_vram_gib_per_gpu=round(usable, 2),
            mem_bw_gbs=float(facts.get("mem_bw_gbs", 0.0)),
            generation=facts.get("generation", ""),
            accelerator=kind,
            **common,
        )
    return FlavorInfo(
        gpu=model or "unknown",
        gpu_count=count,
        vram_gb_per_gpu=vram_per_gpu,
        bf16=kind == "gpu",
        compute_capability=None,
        peak_tflops=UNKNOWN_GPU_TFLOPS if kind == "gpu" else 0.0,
        usable_vram_gib_per_gpu=round(vram_per_gpu * UNKNOWN_GPU_USABLE, 2),
        mem_bw_gbs=0.0,
        generation="",
        accelerator=kind,
        **common,
    )


def parse_entries(entries: list[Any]) -> dict[str, FlavorInfo]:
    out: dict[str, FlavorInfo] = {}
    for entry in entries:
        try:
            info = parse_entry(entry)
        except (TypeError, ValueError, KeyError) as exc:
            log.info("skipping an unreadable hardware entry: %s", exc)
            continue
        out[info.name] = info
    return out
