"""Packing is correct on the pinned stack: packed and unpacked SFT compute the same per-row losses.

The generated SFT scripts pack by default (TRL 'bfd', padding-free: rows concatenated, `position_ids`
restarting at each row, no attention mask). transformers 5.x keeps the rows apart from the position ids
with sdpa and eager attention too, but only without a KV cache (TRL's compute_loss passes use_cache=False).
packing_proof.py runs both sides through TRL's own SFTTrainer pipeline on the tiny random model in a
subprocess (the test process stays free of torch).
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from training.helpers import HERE, script_env


@pytest.fixture(scope="module")
def proof(tiny) -> dict:
    out = subprocess.run(
        [sys.executable, str(HERE / "packing_proof.py"), str(tiny.model)],
        cwd=HERE,
        capture_output=True,
        text=True,
        timeout=300,
        env=script_env(),
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.slow
@pytest.mark.parametrize("attention", ["sdpa", "eager"])
def test_packed_and_unpacked_rows_have_the_same_losses(proof, attention):
    unpacked, packed = proof[attention]["unpacked"], proof[attention]["packed"]
    assert "attention_mask" not in proof["packed_batch_keys"] and "position_ids" in proof["packed_batch_keys"]
    assert proof["packed_rows_per_sequence"] >= 2  # rows really share a sequence
    assert set(packed) == set(unpacked) and len(unpacked) >= 8
    for row, loss in unpacked.items():
        assert packed[row] == pytest.approx(loss, rel=1e-4, abs=1e-5), row


@pytest.mark.slow
def test_the_comparison_fails_when_packed_rows_can_see_each_other(proof):
    """Negative control: with the KV cache on, transformers skips packed-row detection and rows attend
    across their boundaries; the per-row losses then differ (so the test above can fail)."""
    unpacked, packed = proof["sdpa+cache"]["unpacked"], proof["sdpa+cache"]["packed"]
    differing = [row for row in unpacked if abs(packed[row] - unpacked[row]) > 1e-3]
    assert differing, "packed rows leaked into each other, yet the losses matched"
