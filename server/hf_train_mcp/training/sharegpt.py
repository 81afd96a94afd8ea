"""The one ShareGPT converter: [{"from", "value"}] turns -> TRL's [{"role", "content"}] messages.

Used by dataset inspection (`dataset_formats.apply_mapping`) and by every generated training script: the
renderer inlines this module's code into the script (a job runs one self-contained file with `uv run`),
so both convert the same roles the same way and both refuse a role they do not know, naming the row.
Standard library only, on purpose.
"""

# hf-train-mcp: inlined into scripts from here

# ShareGPT speaker names -> the roles chat templates accept.
SHAREGPT_ROLES = {
    "human": "user",
    "user": "user",
    "gpt": "assistant",
    "assistant": "assistant",
    "model": "assistant",
    "chatgpt": "assistant",
    "bing": "assistant",
    "bard": "assistant",
    "system": "system",
    "function_call": "assistant",
    "tool": "tool",
    "observation": "tool",
    "function_response": "tool",
}


class ConversionError(ValueError):
    """A row the ShareGPT conversion cannot convert; the message says which row and why."""


def sharegpt_to_messages(turns: object, index: int = 0) -> list:
    """[{"from", "value"}] (or already {"role", "content"}) turns -> [{"role", "content"}].

    An unknown speaker raises `ConversionError` naming the row: guessing a role would train the model on
    the wrong side of the conversation."""
    if not isinstance(turns, list) or not turns:
        raise ConversionError(f"row {index}: 'messages' is {turns!r:.80}, not a list of turns")
    out = []
    for turn in turns:
        if not isinstance(turn, dict):
            raise ConversionError(
                f"row {index}: a turn is {type(turn).__name__}, not a dict with 'from' and 'value'"
            )
        speaker = turn.get("from") if turn.get("from") is not None else turn.get("role")
        content = turn.get("value") if turn.get("value") is not None else turn.get("content")
        role = SHAREGPT_ROLES.get(str(speaker).strip().lower()) if speaker is not None else None
        if role is None:
            raise ConversionError(
                f"row {index}: unknown ShareGPT role {speaker!r} "
                f"(known: {', '.join(sorted(SHAREGPT_ROLES))}). "
                "Fix the data (rename or drop those turns), or map the data onto prompt/completion or text "
                "columns without dataset_conversion."
            )
        out.append({"role": role, "content": "" if content is None else str(content)})
    return out
