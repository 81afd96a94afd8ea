"""What the tool list shows: each tool's schemas as an agent pays for them in every conversation.

Two jobs, both applied once when the server is built (`publish`):
- compaction: generated noise left out of the input schemas, output schemas reduced to their top level,
  annotations reduced to the hints that differ from MCP's defaults (`toolkit`);
- grouping: a tool registered with `group_rarely_used(tool, primary=...)` keeps every parameter in its
  Python signature (the SDK validates each exactly as before), but publishes only its `primary` ones
  plus one `advanced` object for the rest. At call time `unfold` moves `advanced`'s keys back to the
  top level, and `{"advanced": {"help": true}}` lists them with their meaning and default, from the
  same `Field` declarations. A caller that sends a grouped parameter at the top level still works.

`benchmarks/tool_list.py` prints the resulting size of `tools/list`.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Any

from mcp.server.mcpserver import MCPServer
from pydantic.fields import FieldInfo

from hf_train_mcp.arguments import ArgumentProblem
from hf_train_mcp.toolkit import Answer, compact_schema, only_stated_hints, outline_schema
from hf_train_mcp.training.advanced import ADVANCED_DESCRIPTION, HELP_KEY, AdvancedError, AdvancedSettings

ADVANCED = "advanced"
# Property titles the official hf_jobs output schema carries (programs written for it may read them).
OFFICIAL_TITLES = frozenset({"operation", "outcome", "total_results", "results_shared"})


@dataclass
class Grouping:
    """One tool's rarely used parameters, published inside `advanced`."""

    tool: str
    primary: frozenset[str]
    settings: AdvancedSettings | None = None  # filled in by `publish`, from the tool's own fields
    full_schema: dict[str, Any] | None = None  # the compact schema of every parameter (for error texts)

    def unfold(self, arguments: dict[str, Any]) -> dict[str, Any] | Answer:
        """`arguments` with `advanced`'s keys moved to the top level; the help answer for
        `{"help": true}`. Unknown keys are refused by `AdvancedSettings.split` (the training tools' own
        refusal), conflicting duplicates here."""
        assert self.settings is not None
        if ADVANCED not in arguments:
            return arguments
        advanced = arguments[ADVANCED]
        rest = {k: v for k, v in arguments.items() if k != ADVANCED}
        if isinstance(advanced, dict) and advanced.get(HELP_KEY) in (True, "true"):
            return Answer(self.settings.help_markdown(self.tool), {ADVANCED: self.settings.help_rows()})
        try:
            advanced = self.settings.split(advanced)
        except AdvancedError as exc:
            raise ArgumentProblem(f"Invalid arguments for {self.tool}: {exc}") from None
        clashes = [k for k in advanced if k in rest and rest[k] != advanced[k]]
        if clashes:
            raise ArgumentProblem(
                f"Invalid arguments for {self.tool}: {', '.join(clashes)} sent both at the top level and in "
                "`advanced` with different values; send it once."
            )
        return {**rest, **advanced}


GROUPS: dict[str, Grouping] = {}


def group_rarely_used(tool: str, primary: set[str] | frozenset[str]) -> None:
    """Publish only `primary` parameters of `tool` at the top level, the others inside `advanced`."""
    GROUPS[tool] = Grouping(tool, frozenset(primary))


def publish(server: MCPServer) -> None:
    """Every tool's published schemas compacted, and grouped where `group_rarely_used` asked for it."""
    for tool in server._tool_manager.list_tools():
        if tool.description:  # a docstring's code indentation is noise in the description
            tool.description = inspect.cleandoc(tool.description)
        schema = compact_schema(tool.parameters, nullable=False)
        grouping = GROUPS.get(tool.name)
        if grouping is not None:
            schema = _grouped(grouping, schema, tool.fn_metadata.arg_model.model_fields)
        tool.parameters = schema
        output = tool.fn_metadata.output_schema
        if output is not None:
            keep = OFFICIAL_TITLES if tool.name == "hf_jobs" else frozenset()
            tool.fn_metadata.output_schema = outline_schema(
                compact_schema(output, nullable=True, keep_titles=keep)
            )
        if tool.annotations is not None:
            tool.annotations = only_stated_hints(tool.annotations)


def _grouped(grouping: Grouping, schema: dict[str, Any], fields: dict[str, FieldInfo]) -> dict[str, Any]:
    properties = schema.get("properties", {})
    missing = grouping.primary - set(properties)
    if missing:
        raise RuntimeError(f"{grouping.tool}: primary parameters {sorted(missing)} are not parameters")
    hidden = {name: fields[name] for name in properties if name not in grouping.primary}
    grouping.settings = AdvancedSettings.of_fields(hidden, top_level=grouping.primary)
    grouping.full_schema = schema
    published = {name: prop for name, prop in properties.items() if name in grouping.primary}
    published[ADVANCED] = {"type": "object", "description": ADVANCED_DESCRIPTION}
    required = [name for name in schema.get("required", []) if name in grouping.primary]
    return {**schema, "properties": published} | ({"required": required} if required else {})


def schema_for_checks(tool_name: str, published: dict[str, Any]) -> dict[str, Any]:
    """The schema that argument errors quote: every parameter, grouped ones included."""
    grouping = GROUPS.get(tool_name)
    return grouping.full_schema if grouping is not None and grouping.full_schema else published
