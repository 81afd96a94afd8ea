"""Jobs through the in-process MCP client, shared by the local and the SSH jobs tests: one caller that
asserts each answer's error flag and cancels what its test started, and one wait for a job's stage."""

from __future__ import annotations

import base64
import io
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
from hf_train_mcp.app import build_server
from mcp import Client
from training.helpers import SFT_MAPPING, TinyAssets

# The environment a tiny training job runs in: one thread (2 cores are shared), no GPU, no progress bars.
QUIET_ENV = {
    "OMP_NUM_THREADS": "1",
    "TOKENIZERS_PARALLELISM": "false",
    "CUDA_VISIBLE_DEVICES": "",
    "HF_DATASETS_DISABLE_PROGRESS_BARS": "1",
    "PYTHONUNBUFFERED": "1",
}
FINISHED = frozenset({"COMPLETED", "ERROR", "CANCELED"})

Call = Callable[..., Awaitable[tuple[dict[str, Any], str]]]


@asynccontextmanager
async def mcp_caller() -> AsyncIterator[Call]:
    """`call(tool, arguments, error=False, progress=None) -> (structured content, text)`; progress messages
    are appended to `progress`. On exit, every job the calls started that is still active is canceled."""
    async with Client(build_server()) as client:
        started: list[str] = []

        async def invoke(
            tool: str, arguments: dict[str, Any], *, error: bool = False, progress: list[str] | None = None
        ) -> tuple[dict[str, Any], str]:
            async def on_progress(value: float, total: float | None, message: str | None) -> None:
                if progress is not None and message:
                    progress.append(message)

            result = await client.call_tool(tool, arguments, progress_callback=on_progress)
            text = "\n".join(getattr(b, "text", "") for b in result.content)
            assert result.is_error == error, text
            job_id = (result.structured_content or {}).get("job_id")
            if job_id:
                started.append(job_id)
            return result.structured_content or {}, text

        yield invoke
        active = await client.call_tool("hf_jobs", {"operation": "ps"})
        for job in (active.structured_content or {}).get("jobs", []):
            if job["id"] in started:  # leave no process behind
                await client.call_tool("hf_jobs", {"operation": "cancel", "args": {"job_id": job["id"]}})


async def wait_for_stage(
    call: Call, job_id: str, stages: set[str] | frozenset[str], seconds: float
) -> dict[str, Any]:
    """The job as `inspect` shows it once its stage is one of `stages`, or when `seconds` have passed."""
    deadline = time.monotonic() + seconds
    while True:
        data, _ = await call("hf_jobs", {"operation": "inspect", "args": {"job_id": job_id}})
        job = data["job"]
        if job["stage"] in stages or time.monotonic() > deadline:
            return job
        await anyio.sleep(0.25)


def tiny_sft_request(tiny: TinyAssets, out: Path) -> dict[str, Any]:
    """generate_training_script's arguments for a 3-step SFT LoRA job on the tiny model, saving to `out`."""
    return {
        "method": "sft",
        "peft": "lora",
        "model": str(tiny.model),
        "dataset": str(tiny.sft_data),
        "column_mapping": SFT_MAPPING,
        "flavor": "local",
        "push_to_hub": False,
        "output_dir": str(out),
        "max_steps": 3,
        "save_steps": 1,
        "logging_steps": 1,
        "per_device_train_batch_size": 2,
        "gradient_accumulation_steps": 1,
        "max_length": 64,
        "timeout": "30m",
    }


async def assert_trained(call: Call, job_id: str, out: Path) -> str:
    """The training job completed, printed its summary and saved its adapter to `out`; returns its logs."""
    job = await wait_for_stage(call, job_id, FINISHED, 240)
    _, logs_text = await call("hf_jobs", {"operation": "logs", "args": {"job_id": job_id, "tail": 200}})
    assert job["stage"] == "COMPLETED", logs_text[-3000:]
    assert "HF_TRAIN_SUMMARY" in logs_text
    assert (out / "adapter_model.safetensors").is_file()
    return logs_text


def decoded_png(result: Any) -> tuple[int, int]:
    """(width, height) of the one PNG image in a tool's answer, decoded to check it is a real picture."""
    from PIL import Image

    image = [c for c in result.content if c.type == "image"]
    assert len(image) == 1 and image[0].mime_type == "image/png"
    picture = Image.open(io.BytesIO(base64.b64decode(image[0].data)))
    picture.load()
    return picture.size
