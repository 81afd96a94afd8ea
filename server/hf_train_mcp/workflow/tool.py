"""The prepare_training tool: one call from intent to a submittable (or submitted) training job."""

from __future__ import annotations

from typing import Annotated, Any

import anyio
from mcp.server.mcpserver import Context, MCPServer
from mcp.types import ToolAnnotations
from pydantic import Field

from hf_train_mcp.toolkit import Answer, agent_tool, fail
from hf_train_mcp.training import arguments as A

DESCRIPTION = """\
Plan a fine-tuning run end to end, and optionally submit it: checks the token, the model and the dataset
(format for the method: SFT, DPO, GRPO, KTO or a reward model; applies the column mapping that makes it
ready, for SFT the conversion of ShareGPT conversations, for GRPO's accuracy rewards the answer column),
recommends the cheapest flavor that fits the budget, renders and validates the
training script, and returns the ready hf_jobs call with flavor, timeout, secrets and the estimated cost,
plus every decision and its reason. With submit=true it also submits and returns the job id and URL.
Refuses, with the fix, what would fail: unknown model, a dataset no mapping makes ready, nothing fitting
the budget, no write token for a push, GRPO's num_generations not dividing the batch."""


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
        model: A.ModelArg,
        dataset: A.DatasetArg,
        method: A.MethodArg = A.D.method,
        peft: A.PeftArg = A.D.peft,
        hub_model_id: A.HubModelId = None,
        push_to_hub: A.PushToHub = A.D.push_to_hub,
        budget_usd: Annotated[
            float | None, Field(gt=0, description="most to spend, USD. Default none")
        ] = None,
        max_hours: Annotated[
            float | None, Field(gt=0, description="longest acceptable run. Default none")
        ] = None,
        flavor: A.Flavor = None,
        timeout: A.Timeout = None,
        column_mapping: A.ColumnMapping = None,
        dataset_conversion: A.Conversion = None,
        dataset_config: A.DatasetConfig = None,
        split: A.Split = A.D.split,
        eval_split: A.EvalSplit = None,
        eval_fraction: A.EvalFraction = None,
        max_rows: A.MaxRows = None,
        max_length: A.MaxLength = A.D.max_length,
        num_train_epochs: A.Epochs = A.D.num_train_epochs,
        max_steps: A.MaxSteps = None,
        learning_rate: A.LearningRate = None,
        per_device_train_batch_size: A.BatchSize = None,
        gradient_accumulation_steps: A.Accumulation = None,
        output_dir: A.OutputDir = None,
        private: A.Private = A.D.private,
        lora_r: A.LoraR = A.D.lora_r,
        lora_alpha: A.LoraAlpha = A.D.lora_alpha,
        lora_dropout: A.LoraDropout = A.D.lora_dropout,
        lora_target_modules: A.LoraTargets = A.D.lora_target_modules,
        beta: A.Beta = A.D.beta,
        loss_type: A.LossTypeArg = A.D.loss_type,
        reward_funcs: A.RewardFuncs = None,
        reward_weights: A.RewardWeights = None,
        reward_model: A.RewardModel = None,
        num_generations: A.NumGenerations = A.D.num_generations,
        max_prompt_length: A.MaxPromptLength = A.D.max_prompt_length,
        max_completion_length: A.MaxCompletionLength = A.D.max_completion_length,
        grpo_beta: A.GRPOBeta = A.D.grpo_beta,
        temperature: A.Temperature = A.D.temperature,
        use_vllm: A.UseVllm = A.D.use_vllm,
        kto_loss_type: A.KTOLoss = A.D.kto_loss_type,
        desirable_weight: A.DesirableWeight = A.D.desirable_weight,
        undesirable_weight: A.UndesirableWeight = A.D.undesirable_weight,
        center_rewards_coefficient: A.CenterRewards = None,
        packing: A.Packing = A.D.packing,
        assistant_only_loss: A.AssistantOnlyLoss = A.D.assistant_only_loss,
        completion_only_loss: A.CompletionOnlyLoss = None,
        warmup_ratio: A.WarmupRatio = A.D.warmup_ratio,
        lr_scheduler_type: A.SchedulerArg = A.D.lr_scheduler_type,
        weight_decay: A.WeightDecay = A.D.weight_decay,
        gradient_checkpointing: A.GradientCheckpointing = A.D.gradient_checkpointing,
        save_steps: A.SaveSteps = A.D.save_steps,
        logging_steps: A.LoggingSteps = A.D.logging_steps,
        eval_steps: A.EvalSteps = None,
        save_every_minutes: A.SaveEveryMinutes = A.D.save_every_minutes,
        eval_strategy: A.EvalStrategyArg = A.D.eval_strategy,
        dtype: A.Dtype = A.D.dtype,
        attn_implementation: A.Attention = A.D.attn_implementation,
        parallelism: A.Parallelism = A.D.parallelism,
        trackio: A.Trackio = A.D.trackio,
        trackio_project: A.TrackioProject = None,
        trackio_space_id: A.TrackioSpace = None,
        run_name: A.RunName = None,
        seed: A.Seed = A.D.seed,
        model_revision: A.ModelRevision = None,
        trust_remote_code: A.TrustRemoteCode = A.D.trust_remote_code,
        params_b: Annotated[
            float | None,
            Field(
                gt=0,
                description="parameter count in billions, when the "
                "model's size cannot be looked up. Default none",
            ),
        ] = None,
        save_to: A.SaveTo = None,
        upload_local: Annotated[
            bool,
            Field(
                description="a local model folder or data file with a cloud flavor: upload it now to a "
                "private Hub repo of yours that the job reads (your consent). Default false"
            ),
        ] = False,
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
        request = {k: v for k, v in locals().items() if k != "ctx"}
        from hf_train_mcp.workflow.prepare import PrepareError, prepare, to_answer

        if local_python and flavor != "local":
            raise fail("local_python only applies to flavor 'local'.")
        try:
            run = await anyio.to_thread.run_sync(lambda: prepare(request))
        except PrepareError as exc:
            raise fail(str(exc)) from None
        submitted: Answer | None = None
        if submit:
            from hf_train_mcp.jobs.tool import handle

            call = dict(run.hf_jobs_call["args"])
            call.update(detach=detach, wait_seconds=wait_seconds)
            if local_python:
                call["local_python"] = local_python
            submitted = await handle("uv", call, ctx)
        return to_answer(run, submitted)
