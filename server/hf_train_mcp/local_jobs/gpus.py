"""This machine as a job flavor: its CPUs, memory and GPUs (from `nvidia-smi` when there is one).

`hardware` lists the "local" flavor from `local_flavor()` (a row shaped like the Hub flavors' rows)
or `describe_local_flavor()`; `stats` of a local job reads `gpu_usage()`. Every function answers
quickly and never raises: no `nvidia-smi`, or one that fails, means no GPUs.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass, field

from hf_train_mcp.jobs.model import LOCAL_FLAVOR

NVIDIA_SMI_TIMEOUT_S = 10.0
_MIB = 1024 * 1024


@dataclass(frozen=True)
class LocalGpu:
    index: int
    name: str
    memory_total_bytes: int

    @property
    def memory_total_gb(self) -> float:
        return self.memory_total_bytes / 1e9


@dataclass(frozen=True)
class LocalMachine:
    cpu_count: int
    ram_bytes: int | None
    gpus: list[LocalGpu] = field(default_factory=list)


def _query(fields: str) -> list[list[str]]:
    """Rows of `nvidia-smi --query-gpu=<fields>`; [] when there is no working nvidia-smi."""
    exe = shutil.which("nvidia-smi")
    if exe is None:
        return []
    try:
        out = subprocess.run(
            [exe, f"--query-gpu={fields}", "--format=csv,noheader,nounits"],
            capture_output=True,
            text=True,
            timeout=NVIDIA_SMI_TIMEOUT_S,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    wanted = fields.count(",") + 1
    rows = []
    for line in out.splitlines():
        cells = [cell.strip() for cell in line.split(",")]
        if len(cells) >= wanted:  # more: a comma inside a GPU name
            rows.append(cells)
    return rows


def _number(cell: str) -> float | None:
    """A value of nvidia-smi's csv ("81559", "81559 MiB", "35 %"); None for "[N/A]" and the like."""
    try:
        return float(cell.split()[0])
    except (IndexError, ValueError):
        return None


def list_gpus() -> list[LocalGpu]:
    """The machine's GPUs, in nvidia-smi order; empty when none (or no nvidia-smi)."""
    gpus = []
    for position, cells in enumerate(_query("index,name,memory.total")):
        number = _number(cells[0])
        name = ", ".join(cells[1:-1])
        mib = _number(cells[-1])
        gpus.append(
            LocalGpu(
                index=int(number) if number is not None else position,
                name=name,
                memory_total_bytes=int(mib * _MIB) if mib is not None else 0,
            )
        )
    return gpus


def gpu_usage() -> dict[str, dict[str, float]]:
    """GPU index -> utilization (%), memory_used_bytes, memory_total_bytes: whole-device figures."""
    usage: dict[str, dict[str, float]] = {}
    for index, utilization, used, total, *_ in _query("index,utilization.gpu,memory.used,memory.total"):
        reading = {
            "utilization": _number(utilization),
            "memory_used_bytes": _scaled(_number(used)),
            "memory_total_bytes": _scaled(_number(total)),
        }
        usage[index] = {k: v for k, v in reading.items() if v is not None}
    return usage


def _scaled(mib: float | None) -> float | None:
    return None if mib is None else mib * _MIB


def cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def ram_bytes() -> int | None:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, OSError, ValueError):
        return None


def local_machine() -> LocalMachine:
    return LocalMachine(cpu_count=cpu_count(), ram_bytes=ram_bytes(), gpus=list_gpus())


def _gpu_models(gpus: list[LocalGpu]) -> str:
    return " + ".join(dict.fromkeys(gpu.name for gpu in gpus))


def describe_local_flavor(machine: LocalMachine | None = None) -> str:
    """One line for `hardware`, e.g.
    "local: this machine, free — 16 CPUs, 135.1 GB RAM, 1x NVIDIA H100 80GB HBM3 (85.5 GB VRAM)"."""
    machine = machine or local_machine()
    parts = [f"{machine.cpu_count} CPUs"]
    if machine.ram_bytes:
        parts.append(f"{machine.ram_bytes / 1e9:.1f} GB RAM")
    if machine.gpus:
        vram = sum(gpu.memory_total_bytes for gpu in machine.gpus) / 1e9
        parts.append(f"{len(machine.gpus)}x {_gpu_models(machine.gpus)} ({vram:.1f} GB VRAM)")
    else:
        parts.append("no GPU")
    return f"{LOCAL_FLAVOR}: this machine, free — " + ", ".join(parts)


def local_flavor(machine: LocalMachine | None = None) -> dict[str, object]:
    """This machine as a row of the `hardware` table (the keys `hf_jobs` uses for Hub flavors, price 0),
    plus a one-line `description` and the `gpus` one by one."""
    machine = machine or local_machine()
    accelerator = None
    if machine.gpus:
        vram = sum(gpu.memory_total_bytes for gpu in machine.gpus) / 1e9
        accelerator = {
            "type": "gpu",
            "model": _gpu_models(machine.gpus),
            "quantity": str(len(machine.gpus)),
            "vram": f"{vram:.0f} GB",
        }
    return {
        "name": LOCAL_FLAVOR,
        "pretty_name": "This machine (local jobs)",
        "cpu": f"{machine.cpu_count} vCPU",
        "ram": f"{machine.ram_bytes / 1e9:.0f} GB" if machine.ram_bytes else None,
        "accelerator": accelerator,
        "price_per_hour": 0.0,
        "price_per_minute": 0.0,
        "description": describe_local_flavor(machine),
        "gpus": [
            {"index": gpu.index, "name": gpu.name, "memory_total_gb": round(gpu.memory_total_gb, 1)}
            for gpu in machine.gpus
        ],
    }
