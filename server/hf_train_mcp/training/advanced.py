"""The `advanced` object of the training tools: every rarely used setting in one documented parameter.

An agent pays for each tool's input schema in every conversation, so generate_training_script and
prepare_training list the settings that decide a run as parameters and group the rest here. The keys are
derived from the request models in `requests.py` (every field of `Request` and of each method's model that
is not a top-level parameter), so an argument added there is reachable at once, without touching a tool
signature. `{"help": true}` answers with each key's meaning and default, from the same field declarations.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Any

from pydantic import WithJsonSchema
from pydantic.fields import FieldInfo

from hf_train_mcp.errors import AgentError
from hf_train_mcp.training.requests import REQUEST_MODELS, Request

HELP_KEY = "help"
# The training tools' own parameters (generate_training_script, prepare_training): what decides a run and
# what an agent sets in most calls. Every other request field is a key of `advanced`.
PRIMARY_TRAINING_PARAMETERS = (
    "model",
    "dataset",
    "method",
    "peft",
    "hub_model_id",
    "flavor",
    "column_mapping",
)
ADVANCED_DESCRIPTION = 'other settings; {"help": true} lists them'
# A setting of both training tools that is not a request field: where else to write the script.
SAVE_TO: dict[str, FieldInfo] = {
    "save_to": FieldInfo(
        default=None, description="also write the script to this file or folder. Default: none"
    )
}
# Settings the generator refuses whatever their value: not offered (an agent would only waste a call).
# (packing was one until the speed work made it safe.)
NOT_OFFERED: frozenset[str] = frozenset()


class AdvancedError(AgentError, ValueError):
    """An `advanced` key that no setting has, or an `advanced` that is not an object."""


def request_fields() -> dict[str, FieldInfo]:
    """Every request field of every method (shared fields first), by name."""
    fields: dict[str, FieldInfo] = {}
    for model in (Request, *REQUEST_MODELS.values()):
        for name, info in model.model_fields.items():
            fields.setdefault(name, info)
    return fields


# tool name -> its advanced settings: keys an agent sends at the top level are folded into `advanced`.
BY_TOOL: dict[str, AdvancedSettings] = {}


def fold_top_level(tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
    """`arguments` with every top-level key that is one of `tool`'s advanced settings moved into
    `advanced` (agents and older examples send {"lora_r": 32} beside the other parameters); the same
    key in both places with different values is left for the argument check to refuse."""
    settings = BY_TOOL.get(tool)
    if settings is None or not isinstance(arguments, dict):
        return arguments
    moved = {k: v for k, v in arguments.items() if k in settings.fields and k not in settings.parameters}
    if not moved:
        return arguments
    advanced = arguments.get("advanced")
    if advanced is not None and not isinstance(advanced, dict):
        return arguments
    merged = dict(advanced or {})
    for key, value in moved.items():
        if key in merged and merged[key] != value:
            return arguments
        merged[key] = value
    rest = {k: v for k, v in arguments.items() if k not in moved}
    return {**rest, "advanced": merged}


class AdvancedSettings:
    """The `advanced` keys of one tool: request fields that are not its parameters, plus `extra`
    tool-only settings (name -> pydantic FieldInfo with a description)."""

    def __init__(
        self,
        parameters: Iterable[str],
        *,
        exclude: Iterable[str] = (),
        extra: dict[str, FieldInfo] | None = None,
    ):
        self.parameters = frozenset(parameters)
        skip = set(parameters) | set(exclude) | NOT_OFFERED
        self.fields = {n: f for n, f in request_fields().items() if n not in skip}
        self.fields.update(extra or {})

    @classmethod
    def of_fields(cls, fields: dict[str, FieldInfo], top_level: Iterable[str] = ()) -> AdvancedSettings:
        """Settings that are a tool's own parameters (`published.group_rarely_used`), not request fields;
        `top_level`: the tool's other parameters (named when a key sent in `advanced` is one of them)."""
        settings = cls((), exclude=request_fields())
        settings.fields = dict(fields)
        settings.parameters = frozenset(top_level)
        return settings

    def serve(self, tool: str) -> AdvancedSettings:
        """Register these settings as `tool`'s (see `fold_top_level`)."""
        BY_TOOL[tool] = self
        return self

    @property
    def names(self) -> list[str]:
        return sorted(self.fields)

    def annotation(self) -> Any:
        """The parameter's type: an object whose keys the schema names (values are checked by the tool)."""
        schema = {
            "type": "object",
            "description": ADVANCED_DESCRIPTION,
        }
        return Annotated[dict[str, Any] | None, WithJsonSchema(schema)]

    def wants_help(self, advanced: dict[str, Any] | None) -> bool:
        return bool(advanced) and advanced.get(HELP_KEY) in (True, "true")  # type: ignore[union-attr]

    def split(self, advanced: dict[str, Any] | None) -> dict[str, Any]:
        """The settings of `advanced`, its keys checked: the one refusal of a key no setting has (both
        kinds of `advanced`: the training tools' and `published.Grouping`'s), with the closest key."""
        if advanced is None:
            return {}
        if not isinstance(advanced, dict):
            raise AdvancedError(
                f'`advanced` must be an object such as {{"{self.names[0]}": ...}}; {{"help": true}} lists '
                "its keys."
            )
        unknown = [str(k)[:60] for k in advanced if k not in self.fields and k != HELP_KEY]
        if unknown:
            import difflib

            elsewhere = sorted(set(unknown) & self.parameters)
            hints, lost = [], False
            for key in unknown[:10]:
                close = difflib.get_close_matches(key, self.names, n=1)
                hints.append(f"`{key}`" + (f" (did you mean `{close[0]}`?)" if close else ""))
                lost = lost or not (close or key in elsewhere)
            # the whole list (dozens of keys) only for a key with no likely meaning
            keys = f". Its keys: {', '.join(self.names)}" if lost else ""
            raise AdvancedError(
                f"`advanced` has no setting {', '.join(hints)}{keys}"
                + (f"; send {', '.join(elsewhere)} at the top level" if elsewhere else "")
                + '; {"help": true} describes '
                + ("them." if lost else "every key.")
            )
        return {k: v for k, v in advanced.items() if k != HELP_KEY}

    def help_rows(self) -> list[dict[str, Any]]:
        return [{"key": name, "description": _with_default(self.fields[name])} for name in self.names]

    def help_markdown(self, tool: str) -> str:
        lines = [f"## `{tool}` advanced settings", "", 'Send them as `"advanced": {"key": value, ...}`.', ""]
        lines += [f"- `{row['key']}`: {row['description']}" for row in self.help_rows()]
        return "\n".join(lines)


def _with_default(field: FieldInfo) -> str:
    """A setting's description, ending with its default where the text does not already state one (a
    published parameter shows it as the schema's `default`; a help line has only its text)."""
    text = (field.description or "").rstrip(". ")
    value = field.get_default(call_default_factory=True)
    if "default" in text.lower() or value is None or value == {} or value == []:
        return text
    shown = {True: "true", False: "false"}.get(value, value) if isinstance(value, bool) else value
    return f"{text}. Default {shown:g}" if isinstance(shown, float) else f"{text}. Default {shown}"
