"""The `inspect_dataset` tool: a few rows of a Hub or local dataset, its TRL format, and the column
mapping that makes it ready for each training method."""

from __future__ import annotations

from typing import Annotated, Any

from mcp.server.mcpserver import MCPServer
from mcp.types import ToolAnnotations
from pydantic import Field

from hf_train_mcp.dataset_inspection.inspect import MAX_ROWS
from hf_train_mcp.published import group_rarely_used
from hf_train_mcp.toolkit import Answer, OpenOutput, agent_tool, fail, structured


class InspectOutput(OpenOutput):
    """The dataset's columns, rows shown and the TRL format verdict per method."""

    dataset: str | None = None
    columns: list[dict[str, Any]] | None = None


InspectResult = structured(InspectOutput)

DESCRIPTION = (
    "A Hub or local dataset's splits, columns, rows and TRL format, with the column_mapping each training "
    "method needs."
)


def register(server: MCPServer) -> None:
    """Register this capability's tools on `server`."""
    group_rarely_used("inspect_dataset", primary={"dataset", "config", "split"})

    @server.tool(
        name="inspect_dataset",
        title="Inspect a dataset",
        description=DESCRIPTION,
        annotations=ToolAnnotations(
            read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=True
        ),
    )
    @agent_tool
    def inspect_dataset(
        dataset: Annotated[str, Field(description="Hub dataset id or a local file or folder")],
        config: Annotated[
            str | None,
            Field(description="config (subset); default: the only or first one"),
        ] = None,
        split: Annotated[str | None, Field(description="split; default: train or the first")] = None,
        rows: Annotated[int, Field(ge=0, le=MAX_ROWS, description=f"sample rows to show, 0-{MAX_ROWS}")] = 5,
        method: Annotated[
            str | None,
            Field(description="report on one method: sft, dpo, grpo, kto or reward"),
        ] = None,
        subset: Annotated[str | None, Field(description="alias of config")] = None,
    ) -> InspectResult:
        from hf_train_mcp.dataset_inspection.errors import InspectionError
        from hf_train_mcp.dataset_inspection.inspect import inspect_dataset as run
        from hf_train_mcp.dataset_inspection.inspect import to_markdown

        try:
            result = run(dataset, config=config or subset, split=split, rows=rows, method=method)
        except InspectionError as exc:
            raise fail(str(exc)) from None
        return Answer(to_markdown(result), result.data())  # type: ignore[return-value]
