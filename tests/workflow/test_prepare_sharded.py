"""prepare_training plans a model too big for one GPU sharded, like generate_training_script does."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from doubles.full_hub import MODEL, FakeHub

pytestmark = pytest.mark.anyio


async def test_a_70b_lora_is_planned_sharded_on_a_multi_gpu_flavor(client: Any, fake_hub: FakeHub) -> None:
    result = await client.call_tool(
        "prepare_training", {"model": MODEL, "dataset": "acme/chat", "method": "sft", "params_b": 70.0}
    )
    text = "\n".join(getattr(block, "text", "") for block in result.content)
    assert not result.is_error, text
    data = result.structured_content
    rec = data["recommendation"]
    assert rec["gpus"] > 1 and rec["layout"] == "sharded" and rec["fits"], rec
    assert data["hf_jobs"]["args"]["flavor"] == rec["flavor"]
    script = Path(data["script_path"]).read_text(encoding="utf-8")
    assert "'parallelism': 'fsdp'" in script
    assert fake_hub.jobs.specs == []
