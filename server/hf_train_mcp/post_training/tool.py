"""The after-training tools: export_model, evaluate_model, create_demo_space, training_loss_curve."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any, Literal

from mcp.server.elicitation import ElicitationResult
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.resolve import Resolve
from mcp.types import ToolAnnotations
from pydantic import Field

from hf_train_mcp.approval import Approve
from hf_train_mcp.post_training.evaluation import DEFAULT_FLAVOR as EVAL_FLAVOR
from hf_train_mcp.post_training.export import DEFAULT_FLAVOR as EXPORT_FLAVOR
from hf_train_mcp.post_training.export import DEFAULT_GGUF_TYPES
from hf_train_mcp.post_training.space import DEFAULT_SLEEP_MINUTES, FREE_SPACE_HARDWARE
from hf_train_mcp.published import group_rarely_used
from hf_train_mcp.toolkit import OpenOutput, agent_tool, fail, structured

Dtype = Literal["bfloat16", "float16", "float32"]
SCRIPT_TOOL = ToolAnnotations(
    read_only_hint=False, destructive_hint=False, idempotent_hint=True, open_world_hint=False
)


class JobScriptOutput(OpenOutput):
    """export_model / evaluate_model: the pinned uv script and the ready hf_jobs call."""

    script_path: str | None = None
    hf_jobs: dict[str, Any] | None = None


class SpaceOutput(OpenOutput):
    space_id: str | None = None
    url: str | None = None


class CurveOutput(OpenOutput):
    source: str
    points: int
    train: list[dict[str, Any]]


def ask_space_approval(hardware: str, sleep_minutes: int, ctx: Context) -> Any:
    """Resolver of create_demo_space's approval: paid Space hardware is approved by the person first."""
    from hf_train_mcp.approval import ask
    from hf_train_mcp.post_training.errors import PostTrainingError
    from hf_train_mcp.post_training.space import space_cost

    try:
        return ask(space_cost(hardware, sleep_minutes), ctx)
    except PostTrainingError:
        return ask(None, ctx)  # the body reports the unknown hardware


SpaceApproval = Annotated[ElicitationResult[Approve], Resolve(ask_space_approval)]
JobScriptResult = structured(JobScriptOutput)
SpaceResult = structured(SpaceOutput)
CurveResult = structured(CurveOutput)


def register(server: MCPServer) -> None:
    """Register the after-training tools on `server`; rarely used parameters are published in `advanced`."""
    group_rarely_used("export_model", primary={"model", "gguf_types", "flavor"})
    group_rarely_used("evaluate_model", primary={"model", "dataset", "tasks", "flavor"})
    group_rarely_used("create_demo_space", primary={"model", "hardware"})

    @server.tool(title="Export a model (merge, GGUF)", annotations=SCRIPT_TOOL)
    @agent_tool
    def export_model(
        model: Annotated[
            str,
            Field(description="trained adapter or model: Hub repo or folder"),
        ],
        gguf_types: Annotated[
            list[str],
            Field(description="GGUF types (q8_0, Q4_K_M, ...); [] = merge only"),
        ] = list(DEFAULT_GGUF_TYPES),  # noqa: B006 - pydantic copies defaults
        merged_repo: Annotated[
            str | None, Field(description="repo for the merged 16-bit model. Default '<model>-merged'")
        ] = None,
        gguf_repo: Annotated[
            str | None,
            Field(description="repo for the GGUF files and their how-to-run card. Default '<model>-GGUF'"),
        ] = None,
        base_model: Annotated[
            str | None, Field(description="base to merge into. Default: the adapter's adapter_config.json")
        ] = None,
        revision: Annotated[str | None, Field(description="branch/tag/commit of model. Default main")] = None,
        dtype: Annotated[
            Dtype, Field(description="merge and save in this dtype. Default bfloat16")
        ] = "bfloat16",
        push: Annotated[
            bool, Field(description="push the results (required on cloud flavors). Default true")
        ] = True,
        private: Annotated[bool, Field(description="create the repos private. Default true")] = True,
        flavor: Annotated[
            str,
            Field(description="Jobs flavor or 'local' (RAM, no GPU)"),
        ] = EXPORT_FLAVOR,
        timeout: Annotated[str, Field(description="job timeout")] = "2h",
        output_dir: Annotated[
            str | None, Field(description="working folder of the job. Default <name>-export")
        ] = None,
        trust_remote_code: Annotated[
            bool, Field(description="allow the model's own code. Default false")
        ] = False,
        save_to: Annotated[
            str | None, Field(description="also write the script here. Default: data dir only")
        ] = None,
    ) -> JobScriptResult:
        """A job that merges a LoRA adapter into its base and exports GGUF files for Ollama and llama.cpp:
        its uv script and hf_jobs call."""
        from hf_train_mcp.post_training.export import export_answer

        args = dict(locals())
        return export_answer(args, args.pop("save_to"))

    @server.tool(title="Evaluate a trained model", annotations=SCRIPT_TOOL)
    @agent_tool
    def evaluate_model(
        model: Annotated[str, Field(description="trained adapter or model: Hub repo or folder")],
        dataset: Annotated[
            str | None,
            Field(description="held-out rows for loss: Hub dataset or file"),
        ] = None,
        split: Annotated[str, Field(description="split of a Hub dataset. Default 'test'")] = "test",
        dataset_config: Annotated[str | None, Field(description="dataset subset. Default none")] = None,
        max_rows: Annotated[int, Field(ge=1, le=100_000, description="rows to score. Default 200")] = 200,
        text_column: Annotated[
            str | None,
            Field(
                description="column with plain text. Default: messages / prompt+completion / text, as trained"
            ),
        ] = None,
        tasks: Annotated[
            list[str] | None,
            Field(description="lm-eval tasks, e.g. ['arc_easy']"),
        ] = None,
        task_limit: Annotated[
            int | None, Field(ge=1, description="examples per task (faster, noisier). Default all")
        ] = None,
        num_fewshot: Annotated[
            int | None, Field(ge=0, description="few-shot examples. Default: task's")
        ] = None,
        task_include_path: Annotated[
            str | None,
            Field(description="folder of custom lm-eval task YAMLs (flavor 'local'). Default none"),
        ] = None,
        compare_base: Annotated[
            bool, Field(description="also evaluate the adapter's base, side by side. Default true")
        ] = True,
        base_model: Annotated[
            str | None, Field(description="base to compare with. Default: the adapter's")
        ] = None,
        write_card: Annotated[
            bool, Field(description="put the results table in the model repo's card. Default true")
        ] = True,
        card_repo: Annotated[
            str | None, Field(description="repo whose card gets the table. Default: model")
        ] = None,
        max_length: Annotated[int, Field(ge=8, description="max tokens per row. Default 2048")] = 2048,
        dtype: Annotated[Dtype, Field(description="Default bfloat16")] = "bfloat16",
        flavor: Annotated[str, Field(description="Jobs flavor or 'local'")] = EVAL_FLAVOR,
        timeout: Annotated[str, Field(description="job timeout")] = "1h",
        trust_remote_code: Annotated[bool, Field(description="Default false")] = False,
        save_to: Annotated[str | None, Field(description="also write the script here. Default none")] = None,
    ) -> JobScriptResult:
        """A job that evaluates a trained model beside its base (held-out loss, lm-eval tasks): its uv script
        and hf_jobs call."""
        from hf_train_mcp.post_training.evaluation import evaluation_answer

        args = dict(locals())
        return evaluation_answer(args, args.pop("save_to"))

    @server.tool(
        title="Create a demo Space",
        annotations=ToolAnnotations(
            read_only_hint=False, destructive_hint=False, idempotent_hint=True, open_world_hint=True
        ),
    )
    @agent_tool
    def create_demo_space(
        model: Annotated[str, Field(description="Hub repo of the trained adapter or model")],
        space_id: Annotated[
            str | None, Field(description="Space to create, 'user/name'; default '<model>-demo'")
        ] = None,
        hardware: Annotated[
            str,
            Field(description=f"Space hardware; {FREE_SPACE_HARDWARE} is free (to ~1B parameters)"),
        ] = FREE_SPACE_HARDWARE,
        base_model: Annotated[
            str | None, Field(description="base of an adapter. Default: adapter_config.json")
        ] = None,
        chat_template: Annotated[
            str | None,
            Field(description="Jinja chat template if the tokenizer has none. Default: the repo's"),
        ] = None,
        system_prompt: Annotated[str | None, Field(description="system message. Default none")] = None,
        title: Annotated[str | None, Field(description="UI title. Default '<name> chat'")] = None,
        examples: Annotated[list[str] | None, Field(description="example prompts. Default none")] = None,
        max_new_tokens: Annotated[int, Field(ge=1, le=4096, description="Default 256")] = 256,
        temperature: Annotated[float, Field(ge=0, le=2, description="0 = greedy. Default 0.7")] = 0.7,
        private: Annotated[bool, Field(description="Default true")] = True,
        sleep_minutes: Annotated[
            int,
            Field(
                ge=5,
                le=10_080,
                description="paid hardware: sleep after this many minutes without visitors (billing stops). "
                f"Default {DEFAULT_SLEEP_MINUTES}",
            ),
        ] = DEFAULT_SLEEP_MINUTES,
        approval: SpaceApproval = None,  # type: ignore[assignment]
    ) -> SpaceResult:
        """Create a Gradio chat Space for a trained model, and say what its hardware costs per hour."""
        args = {k: v for k, v in locals().items() if k != "approval"}
        from hf_train_mcp.approval import CostRefused, require_approval
        from hf_train_mcp.post_training.space import create_space, space_cost

        try:
            require_approval(approval, space_cost(hardware, sleep_minutes))
        except CostRefused as exc:
            raise fail(str(exc)) from None
        return create_space(args)

    @server.tool(
        title="Training loss curve",
        annotations=ToolAnnotations(
            read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=True
        ),
    )
    @agent_tool
    async def training_loss_curve(
        job_id: Annotated[str | None, Field(description="Hub or local job id")] = None,
        namespace: Annotated[str | None, Field(description="job owner, if not you")] = None,
        log_path: Annotated[str | None, Field(description="instead of a job: a saved log file")] = None,
    ) -> CurveResult:
        """A training job's loss curve (PNG and numbers) from its logs or a saved log file."""
        from hf_train_mcp.post_training.live_metrics import curve_answer, job_log_text, read_log_file

        if bool(job_id) == bool(log_path):
            raise fail("send exactly one of job_id (a Hub or local job) or log_path (a saved log file)")
        # Parsing and drawing take ~0.1-2 s of CPU: off the event loop, so other calls keep flowing.
        if log_path:
            text = await asyncio.to_thread(read_log_file, log_path)
            return await asyncio.to_thread(curve_answer, text, f"`{log_path}`")
        assert job_id is not None
        text, stage, finished = await job_log_text(job_id, namespace)
        return await asyncio.to_thread(curve_answer, text, f"job `{job_id}`", stage, finished)
