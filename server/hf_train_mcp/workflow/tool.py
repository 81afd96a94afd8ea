"""The prepare_training tool: one call from intent to a submittable (or submitted) training job."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import anyio
from mcp.server.mcpserver import Context, MCPServer
from mcp.types import ToolAnnotations
from pydantic import Field

from hf_train_mcp.toolkit import Answer, agent_tool, fail

DESCRIPTION = """\
Plan a fine-tuning run end to end, and optionally submit it: checks the token, the model and the dataset
(format for the method; applies the column mapping that makes it ready and, for SFT, the conversion of
ShareGPT conversations), recommends the cheapest flavor that fits the budget, renders and validates the
training script, and returns the ready hf_jobs call with flavor, timeout, secrets and the estimated cost,
plus every decision and its reason. With submit=true it also submits and returns the job id and URL.
Refuses, with the fix, what would fail: unknown model, a dataset no mapping makes ready, nothing fitting
the budget, no write token for a push."""


def register(server: MCPServer) -> None:
    @server.tool(
        title="Prepare (and submit) a fine-tuning run",
        description=DESCRIPTION,
        annotations=ToolAnnotations(
            read_only_hint=False, destructive_hint=False, idempotent_hint=False, open_world_hint=True
        ),
    )
    @agent_tool
    async def prepare_training(
        model: Annotated[
            str, Field(description="base model: Hub id (e.g. 'Qwen/Qwen2.5-0.5B') or local path")
        ],
        dataset: Annotated[
            str, Field(description="Hub dataset id (e.g. 'trl-lib/Capybara') or local file/folder")
        ],
        method: Annotated[Literal["sft", "dpo"], Field(description="sft or dpo. Default sft")] = "sft",
        peft: Annotated[
            Literal["full", "lora", "qlora"], Field(description="full, lora or qlora. Default lora")
        ] = "lora",
        hub_model_id: Annotated[
            str | None,
            Field(
                description="repo for the result, 'user/name'. Default: <your user>/<model>-<method>-<peft>"
            ),
        ] = None,
        push_to_hub: Annotated[bool, Field(description="push model and checkpoints. Default true")] = True,
        budget_usd: Annotated[
            float | None, Field(gt=0, description="most to spend, USD. Default none")
        ] = None,
        max_hours: Annotated[
            float | None, Field(gt=0, description="longest acceptable run. Default none")
        ] = None,
        flavor: Annotated[
            str | None,
            Field(description="force a flavor (or 'local' for this machine). Default: recommended"),
        ] = None,
        timeout: Annotated[
            str | None, Field(description="force a timeout ('3h'). Default: 1.3x estimate")
        ] = None,
        column_mapping: Annotated[
            dict[str, str] | None,
            Field(
                description='TRL column -> dataset column, e.g. {"prompt": "question", '
                '"completion": "answer"}. '
                "Default: detected"
            ),
        ] = None,
        dataset_conversion: Annotated[
            Literal["sharegpt"] | None,
            Field(
                description="SFT only: convert ShareGPT turns ({from, value}, human/gpt) to {role, content} "
                "messages. Default: detected"
            ),
        ] = None,
        dataset_config: Annotated[
            str | None, Field(description="dataset subset/config. Default none")
        ] = None,
        split: Annotated[str, Field(description="training split. Default 'train'")] = "train",
        eval_split: Annotated[str | None, Field(description="evaluation split. Default none")] = None,
        max_rows: Annotated[
            int | None, Field(ge=1, description="train on at most N rows. Default all")
        ] = None,
        max_length: Annotated[int, Field(ge=16, description="max tokens per sample. Default 1024")] = 1024,
        num_train_epochs: Annotated[float, Field(gt=0, description="epochs. Default 1")] = 1.0,
        max_steps: Annotated[
            int | None, Field(ge=1, description="stop after N steps. Default: epochs")
        ] = None,
        learning_rate: Annotated[float | None, Field(gt=0, description="Default per method and peft")] = None,
        per_device_train_batch_size: Annotated[
            int | None, Field(ge=1, description="Default SFT 4, DPO 2")
        ] = None,
        gradient_accumulation_steps: Annotated[
            int | None, Field(ge=1, description="Default SFT 4, DPO 8")
        ] = None,
        params_b: Annotated[
            float | None,
            Field(
                gt=0,
                description="parameter count in billions, when the "
                "model's size cannot be looked up. Default none",
            ),
        ] = None,
        save_to: Annotated[
            str | None, Field(description="also write the script to this path. Default none")
        ] = None,
        submit: Annotated[
            bool, Field(description="submit the job now (spends money). Default false")
        ] = False,
        detach: Annotated[bool, Field(description="with submit: return without following logs")] = False,
        wait_seconds: Annotated[
            float, Field(ge=0, le=60, description="with submit: follow logs this long. Default 10")
        ] = 10.0,
        local_python: Annotated[
            str | None,
            Field(
                description="flavor 'local': run with this Python (its "
                "packages installed) instead of uv. Default none"
            ),
        ] = None,
        ctx: Context | None = None,
    ) -> Any:
        from hf_train_mcp.workflow.prepare import prepare, to_answer

        if local_python and flavor != "local":
            raise fail("local_python only applies to flavor 'local'.")
        request = {k: v for k, v in locals().items() if k not in {"ctx", "prepare", "to_answer"}}
        run = await anyio.to_thread.run_sync(lambda: prepare(request))
        submitted: Answer | None = None
        if submit:
            from hf_train_mcp.jobs.tool import handle

            call = dict(run.hf_jobs_call["args"])
            call.update(detach=detach, wait_seconds=wait_seconds)
            if local_python:
                call["local_python"] = local_python
            submitted = await handle("uv", call, ctx)
        return to_answer(run, submitted)
