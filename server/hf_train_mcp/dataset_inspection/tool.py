"""The `inspect_dataset` tool: a few rows of a Hub or local dataset, its TRL format, and the column
mapping that makes it ready for each training method."""

from __future__ import annotations

from typing import Annotated, Any

from mcp.server.mcpserver import MCPServer
from mcp.types import ToolAnnotations
from pydantic import Field

from hf_train_mcp.dataset_inspection.inspect import MAX_ROWS
from hf_train_mcp.toolkit import Answer, OpenOutput, agent_tool, fail, structured


class InspectOutput(OpenOutput):
    """The dataset's columns, rows shown and the TRL format verdict per method."""

    dataset: str | None = None
    columns: list[dict[str, Any]] | None = None


InspectResult = structured(InspectOutput)

DESCRIPTION = """\
Look at a dataset before training on it: configs and splits, columns with types, a few sample rows
(long values cut), the number of rows when known, the TRL format it is in, the training methods it is
ready for (sft, dpo, grpo, kto, reward), and for the others the `column_mapping` that makes it ready
(pass it unchanged to generate_training_script / prepare_training).
`dataset`: a Hub dataset id ("trl-lib/Capybara") or a local .jsonl/.json/.csv/.tsv/.parquet file or a
folder of them (splits from file names like train.jsonl, test.jsonl, data/train-00000-of-00001.parquet).
Hub datasets are read through the dataset viewer, or from a data file when the viewer cannot preview
them; gated and private datasets need a token with access."""


def register(server: MCPServer) -> None:
    """Register this capability's tools on `server`."""

    @server.tool(
        name="inspect_dataset",
        title="Inspect a dataset and check its TRL format",
        description=DESCRIPTION,
        annotations=ToolAnnotations(
            read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=True
        ),
    )
    @agent_tool
    def inspect_dataset(
        dataset: Annotated[
            str, Field(description='Hub dataset id ("trl-lib/Capybara") or a local file/folder path')
        ],
        config: Annotated[
            str | None,
            Field(description="Config (subset) name; default: the only one, or 'default', or the first"),
        ] = None,
        split: Annotated[str | None, Field(description="Split; default: train (or the first split)")] = None,
        rows: Annotated[
            int, Field(ge=0, le=MAX_ROWS, description=f"Sample rows to show, 0-{MAX_ROWS}. Default 5")
        ] = 5,
        method: Annotated[
            str | None,
            Field(description="Focus the readiness report on one method: sft, dpo, grpo, kto or reward"),
        ] = None,
        subset: Annotated[str | None, Field(description="Alias of `config`")] = None,
    ) -> InspectResult:
        from hf_train_mcp.dataset_inspection.errors import InspectionError
        from hf_train_mcp.dataset_inspection.inspect import inspect_dataset as run
        from hf_train_mcp.dataset_inspection.inspect import to_markdown

        try:
            result = run(dataset, config=config or subset, split=split, rows=rows, method=method)
        except InspectionError as exc:
            raise fail(str(exc)) from None
        return Answer(to_markdown(result), result.data())  # type: ignore[return-value]
