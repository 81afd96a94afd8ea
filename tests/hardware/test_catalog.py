"""The flavor catalog: bundled table, wire parsing, the live list through the real client, fallbacks."""

from __future__ import annotations

import time
from typing import Any

import pytest
from hf_train_mcp.hardware import api, catalog


def test_bundled_table_has_every_current_flavor_with_gpu_facts() -> None:
    flavors = api.bundled_flavors()
    assert len(flavors) == 26
    a10g = flavors["a10g-large"]
    assert (a10g.gpu, a10g.gpu_count, a10g.vram_gb_per_gpu, a10g.price_per_hour) == ("A10G", 1, 24, 1.5)
    assert a10g.bf16 and a10g.flash_attention and a10g.usable_gib == 22.5 and a10g.mem_bw_gbs == 600
    assert flavors["a100-large"].vram_gb_per_gpu == 80  # not the 40 GB the old guides say
    t4 = flavors["t4-small"]
    assert not t4.bf16 and not t4.flash_attention and t4.generation == "turing"
    assert flavors["h200x8"].vram_gb_total == 8 * 141
    assert not flavors["cpu-basic"].is_gpu and flavors["l4x4"].is_gpu


def test_flavor_info_is_offline() -> None:
    """Offline: no live list was fetched, so the bundled table answers (speed: benchmarks/estimates.py)."""
    assert api.flavor_info("a10g-large") is not None
    assert api.flavor_info("nope") is None
    assert api.flavor_info("a10g-large").source == "bundled"  # type: ignore[union-attr]


def test_wire_entries_are_parsed(hardware_entries: list[dict[str, Any]]) -> None:
    parsed = catalog.parse_entries(hardware_entries)
    cpu = parsed["cpu-basic"]
    assert (
        cpu.gpu is None and cpu.vcpu == 2 and cpu.ram_gb == 16 and cpu.price_per_hour == pytest.approx(0.01)
    )
    x2 = parsed["a10g-largex2"]
    assert x2.gpu_count == 2 and x2.vram_gb_per_gpu == 24  # vram on the wire is the total
    assert x2.price_per_hour == pytest.approx(3.0)  # per minute -> per hour
    assert x2.bf16 and x2.compute_capability == "8.6" and x2.peak_tflops == 70 and x2.source == "live"
    new = parsed["b300x1"]  # a GPU the bundled table does not know: conservative guesses
    assert new.gpu == "B300" and new.vram_gb_per_gpu == 288 and new.peak_tflops == catalog.UNKNOWN_GPU_TFLOPS
    assert new.usable_gib == pytest.approx(288 * catalog.UNKNOWN_GPU_USABLE)


def test_parse_accepts_huggingface_hub_objects(hardware_entries: list[dict[str, Any]]) -> None:
    from huggingface_hub._jobs_api import JobHardwareInfo

    objects = [JobHardwareInfo(**entry) for entry in hardware_entries]
    assert catalog.parse_entries(objects) == catalog.parse_entries(hardware_entries)


def test_a_smaller_variant_of_a_known_gpu_scales_usable_memory() -> None:
    entry = {
        "name": "a100-small",
        "cpu": "8 vCPU",
        "ram": "64 GB",
        "unitCostUSD": 0.03,
        "unitLabel": "minute",
        "accelerator": {"type": "gpu", "model": "A100", "quantity": "1", "vram": "40 GB"},
    }
    info = catalog.parse_entry(entry)
    assert info.vram_gb_per_gpu == 40 and info.usable_gib == pytest.approx(40.0)


def test_unreadable_entries_are_skipped() -> None:
    assert catalog.parse_entries([{"no": "name"}, {"name": "x", "cpu": "1 vCPU", "ram": "1 GB"}]).keys() == {
        "x"
    }


def test_live_list_replaces_the_bundled_one(hardware_entries: list[dict[str, Any]]) -> None:
    catalog.set_live(hardware_entries)
    assert set(catalog.current()) == {e["name"] for e in hardware_entries}
    assert api.flavor_info("b300x1") is not None
    assert api.flavor_info("h200") is None  # not in this live list
    assert catalog.source().startswith("live")
    catalog.reset()
    assert api.flavor_info("h200") is not None


def test_refresh_fetches_through_the_real_client(fake_hub, hardware_entries) -> None:  # type: ignore[no-untyped-def]
    fake_hub.hardware = hardware_entries
    assert catalog.refresh(wait_s=10)
    assert "GET /api/jobs/hardware" in fake_hub.requests
    assert api.flavor_info("a10g-small").source == "live"  # type: ignore[union-attr]
    count = len(fake_hub.requests)
    assert catalog.refresh(wait_s=10)  # fresh: no second request
    assert len(fake_hub.requests) == count


def test_refresh_failure_falls_back_quickly_and_is_remembered(fake_hub) -> None:  # type: ignore[no-untyped-def]
    # no hardware configured: the double answers 404
    start = time.perf_counter()
    assert not catalog.refresh(wait_s=10)
    assert time.perf_counter() - start < 5
    assert "bundled" in catalog.source() and "unavailable" in catalog.source()
    assert "(the Hub answered HTTP 404)" in catalog.source() and "Error" not in catalog.source()
    assert api.flavor_info("a10g-large").source == "bundled"  # type: ignore[union-attr]
    count = len(fake_hub.requests)
    assert not catalog.refresh(wait_s=10)  # remembered: no new request for FAILURE_TTL_S
    assert len(fake_hub.requests) == count


def test_a_list_without_gpus_is_not_trusted(fake_hub, hardware_entries) -> None:  # type: ignore[no-untyped-def]
    fake_hub.hardware = [e for e in hardware_entries if e["accelerator"] is None]
    assert not catalog.refresh(wait_s=10)
    assert "(the list the Hub sent holds no GPU flavor)" in catalog.source()
