"""The generated blocks of the skills, each computed from the same data the tools use.

Add a section by adding a function to SECTIONS; reference it in a skill with
`<!-- generated:NAME -->` ... `<!-- /generated:NAME -->` and run the generator.
"""

from __future__ import annotations

from collections.abc import Callable

from hf_train_mcp.hardware.api import bundled_flavors
from hf_train_mcp.toolkit import md_table


def flavors_table() -> str:
    """Every bundled flavor with its GPU, memory and price (the tools' fallback catalog)."""
    rows = []
    for f in bundled_flavors().values():
        gpu = f"{f.gpu_count}x {f.gpu} ({f.vram_gb_total:g} GB)" if f.gpu else "–"
        precision = "bf16" if f.bf16 else ("fp16" if f.gpu else "–")
        rows.append([f"`{f.name}`", gpu, precision, f.vcpu, f"{f.ram_gb:g}", f"${f.price_per_hour:.2f}"])
    note = (
        "Prices in USD per hour, billed per minute; from the bundled table. `hf_jobs` "
        '`{"operation": "hardware"}` shows the live list.'
    )
    headers = ["flavor", "GPUs (total VRAM)", "precision", "vCPU", "RAM GB", "$/h"]
    return md_table(headers, rows) + "\n\n" + note


SECTIONS: dict[str, Callable[[], str]] = {
    "flavors": flavors_table,
}
