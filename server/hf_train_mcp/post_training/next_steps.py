"""What to suggest when a training job completes: watch the curve, evaluate, export, try it.

For `hf_jobs` (the answer to `logs`/`inspect` of a COMPLETED training job) and for the skills: one
function that turns the job id and the trained repo into the next tool calls, so the wording and the
arguments live here, beside the tools they call.
"""

from __future__ import annotations

from typing import Any


def next_steps_after_training(
    job_id: str | None, hub_model_id: str | None, *, summary: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    """The suggested calls, in order: [{"tool", "args", "why"}]. Empty without anything to act on."""
    steps: list[dict[str, Any]] = []
    if job_id:
        steps.append(
            {
                "tool": "training_loss_curve",
                "args": {"job_id": job_id},
                "why": "see the loss curve and the numbers",
            }
        )
    if not hub_model_id:
        return steps
    steps += [
        {
            "tool": "evaluate_model",
            "args": {"model": hub_model_id, "tasks": ["arc_easy", "hellaswag"], "task_limit": 200},
            "why": "compare it with its base on standard tasks (add dataset= for held-out perplexity)",
        },
        {
            "tool": "export_model",
            "args": {"model": hub_model_id},
            "why": "merge the adapter and make GGUF files for Ollama, llama.cpp and LM Studio",
        },
        {
            "tool": "create_demo_space",
            "args": {"model": hub_model_id},
            "why": "a Gradio chat Space to try it (cpu-basic is free)",
        },
    ]
    return steps


def next_steps_markdown(steps: list[dict[str, Any]]) -> str:
    """A short 'Next:' list for a tool answer."""
    import json

    if not steps:
        return ""
    lines = ["Next:"]
    lines += [f"- {s['why']}: `{s['tool']}` {json.dumps(s['args'])}" for s in steps]
    return "\n".join(lines)
