"""Serves the skills as MCP resources and offers prompts for the main workflows.

Resources: `skill://NAME` is the skill's SKILL.md, `skill://NAME/FILE` a reference file beside it.
Prompts start the workflows the skills teach, phrased the way a person would ask.
"""

from __future__ import annotations

from typing import Annotated

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.resources import FileResource
from pydantic import Field

from hf_train_mcp.skillbook.catalog import list_skills


def register(server: MCPServer) -> None:
    for skill in list_skills():
        server.add_resource(
            FileResource(
                uri=skill.uri,
                name=skill.name,
                description=skill.description,
                mime_type="text/markdown",
                path=skill.path,
            )
        )
        for extra in skill.extra_files():
            server.add_resource(
                FileResource(
                    uri=f"{skill.uri}/{extra.name}",
                    name=f"{skill.name}/{extra.name}",
                    description=f"Reference for the {skill.name} skill: {extra.stem}",
                    mime_type="text/markdown",
                    path=extra,
                )
            )
    _register_prompts(server)


def _register_prompts(server: MCPServer) -> None:
    @server.prompt(title="Fine-tune a model on Hugging Face Jobs")
    def fine_tune(
        model: Annotated[str, Field(description="Hub model id or local path, e.g. Qwen/Qwen2.5-0.5B")],
        dataset: Annotated[str, Field(description="Hub dataset id or local file, e.g. trl-lib/Capybara")],
        budget_usd: Annotated[str, Field(description="Most you want to spend, in USD (optional)")] = "",
        method: Annotated[str, Field(description="sft, dpo, grpo, kto or reward (default sft)")] = "sft",
        hub_model_id: Annotated[str, Field(description="Hub repo for the result (optional)")] = "",
    ) -> str:
        """Fine-tune MODEL on DATASET within BUDGET: inspect, pick hardware, generate, submit, monitor."""
        budget = f" within a budget of ${budget_usd}" if budget_usd else ""
        target = f" and push it to {hub_model_id}" if hub_model_id else ""
        return (
            f"Fine-tune {model} on {dataset} with {method.upper()}{budget}{target}.\n"
            "Follow the skill at skill://hf-jobs-fine-tuning. In short:\n"
            f'1. inspect_dataset {{"dataset": "{dataset}"}}: check the format fits {method}; note the '
            "column_mapping if one is needed.\n"
            "2. prepare_training with model, dataset, method, budget and hub_model_id: it recommends the "
            "hardware, renders and validates the script and returns the ready hf_jobs call with its cost.\n"
            "3. Show me the plan (flavor, estimated time and cost, timeout) and wait for my go before "
            "submitting.\n"
            "4. Submit with hf_jobs, then check it with hf_jobs logs until training has started."
        )

    @server.prompt(title="Choose hardware for a training run")
    def choose_hardware(
        model: Annotated[str, Field(description="Hub model id or local path")],
        method: Annotated[str, Field(description="sft, dpo or grpo (default sft)")] = "sft",
        peft: Annotated[str, Field(description="full, lora or qlora (default lora)")] = "lora",
        budget_usd: Annotated[str, Field(description="Most you want to spend, in USD (optional)")] = "",
    ) -> str:
        """Which flavor fits MODEL, what it costs and how long it runs."""
        budget = f", budget_usd {budget_usd}" if budget_usd else ""
        return (
            f"Which Hugging Face Jobs flavor should I use to train {model} ({method}, {peft}{budget})? "
            "Use recommend_hardware (see skill://hf-jobs-hardware), explain the memory terms that decide "
            "the fit, and list the cheaper and faster alternatives with their estimated cost."
        )

    @server.prompt(title="Check on my jobs")
    def check_jobs() -> str:
        """Status of running jobs, with the latest logs of each."""
        return (
            'List my running jobs with hf_jobs {"operation": "ps"}. For each, show the last log lines '
            '(hf_jobs {"operation": "logs", "args": {"job_id": ID}}) and, for a training run, the current '
            "loss and how far along it is. Flag anything that looks stuck or failing "
            "(see skill://hf-jobs-management)."
        )

    @server.prompt(title="Troubleshoot a failed job")
    def troubleshoot_job(
        job_id: Annotated[str, Field(description="The job id (full, as hf_jobs ps shows it)")],
    ) -> str:
        """Find out why JOB failed and what to change."""
        return (
            f"Job {job_id} failed or misbehaves. Inspect it and read its logs with hf_jobs "
            "(inspect, then logs with a larger tail), match the error against the troubleshooting table "
            "of skill://hf-jobs-fine-tuning, and tell me the fix. If the script needs changing, validate "
            "the corrected script with validate_training_script before resubmitting."
        )
