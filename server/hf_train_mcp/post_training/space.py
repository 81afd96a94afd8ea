"""create_demo_space: a Gradio chat Space for a trained adapter or model, created through huggingface_hub.

The app is post_training/jobs/space_app.py rendered after a CONFIG literal holding the model id, the base
(for an adapter, read from its adapter_config.json) and the chat template (read from the repo, used only
if the tokenizer lacks one); requirements.txt pins the training stack; README.md's front matter sets the
SDK, its version and the hardware. The cost is the hardware's hourly price from the hardware package.
"""

from __future__ import annotations

import json
from typing import Any

from hf_train_mcp import hub
from hf_train_mcp.approval import SpaceCost
from hf_train_mcp.post_training import job_call
from hf_train_mcp.post_training.errors import PostTrainingError
from hf_train_mcp.post_training.pins import post_pins, requirements
from hf_train_mcp.toolkit import Answer

FREE_SPACE_HARDWARE = "cpu-basic"  # Spaces run on cpu-basic free of charge (2 vCPU, 16 GB)
# Paid hardware bills while the Space runs: by default it sleeps after this long without visitors.
DEFAULT_SLEEP_MINUTES = 60
SPACE_REQUIREMENTS = ("torch", "transformers", "peft", "accelerate")


def _read_text(api: Any, repo_id: str, filename: str) -> str | None:
    """A file of a model repo as text, or None when the repo has no such file."""
    from huggingface_hub.errors import EntryNotFoundError

    try:
        path = hub.download(api, repo_id, filename, what=f"read {filename} of {repo_id}")
    except EntryNotFoundError:
        return None
    with open(path, encoding="utf-8") as handle:
        return handle.read()


def _read_json(api: Any, repo_id: str, filename: str) -> dict[str, Any] | None:
    text = _read_text(api, repo_id, filename)
    if text is None:
        return None
    try:
        value = json.loads(text)
    except ValueError:
        raise PostTrainingError(f"{repo_id}/{filename} is not valid JSON; fix the file in the repo") from None
    return value if isinstance(value, dict) else None


def chat_template_of(api: Any, repo_id: str) -> str | None:
    template = _read_text(api, repo_id, "chat_template.jinja")
    if template:
        return template
    config = _read_json(api, repo_id, "tokenizer_config.json") or {}
    value = config.get("chat_template")
    return value if isinstance(value, str) else None


def space_cost(hardware: str, sleep_minutes: int) -> SpaceCost | None:
    """What a Space on `hardware` costs while it runs; None for the free hardware."""
    from hf_train_mcp.hardware.api import flavor_info

    if hardware == FREE_SPACE_HARDWARE:
        return None
    info = flavor_info(hardware)
    if info is None:
        raise PostTrainingError(
            f"unknown Space hardware {hardware!r}: send cpu-basic (free), t4-small, l4x1, a10g-small, ..."
        )
    return SpaceCost(hardware, info.price_per_hour, sleep_minutes)


def price_line(cost: SpaceCost | None) -> str:
    if cost is None:
        return "free (cpu-basic: 2 vCPU, 16 GB; slow for models above ~1B parameters)"
    return (
        f"${cost.price_per_hour:.2f}/hour while the Space runs; it sleeps after {cost.sleep_minutes} min "
        f"without visitors (about ${cost.price_per_hour * 24 * 30:,.0f} a month if it never slept)"
    )


def readme(cfg: dict[str, Any], space_id: str, hardware: str) -> str:
    models = [cfg["model"]] + ([cfg["base_model"]] if cfg.get("base_model") else [])
    front = {
        "title": cfg["title"][:60],
        "emoji": "💬",
        "colorFrom": "yellow",
        "colorTo": "purple",
        "sdk": "gradio",
        "sdk_version": post_pins()["gradio"],
        "app_file": "app.py",
        "pinned": False,
        "suggested_hardware": hardware,
        "models": models,
        "short_description": f"Chat with {cfg['model']}"[:60],
    }
    lines = ["---", *(f"{k}: {json.dumps(v, ensure_ascii=False)}" for k, v in front.items()), "---", ""]
    lines += [f"# {cfg['title']}", "", f"A chat demo of `{cfg['model']}`, created by hf-train-mcp.", ""]
    return "\n".join(lines)


def space_files(cfg: dict[str, Any], space_id: str, hardware: str) -> dict[str, str]:
    from hf_train_mcp.post_training.scripts import render_with_config

    header = f"# Gradio chat demo for {cfg['model']} (Space {space_id}).\n"
    return {
        "app.py": render_with_config("space_app", cfg, header),
        "requirements.txt": "\n".join(requirements(*SPACE_REQUIREMENTS)) + "\n",
        "README.md": readme(cfg, space_id, hardware),
    }


def demo_config(api: Any, args: dict[str, Any]) -> dict[str, Any]:
    model = args["model"]
    adapter = _read_json(api, model, "adapter_config.json")
    base = args.get("base_model") or (adapter or {}).get("base_model_name_or_path")
    if adapter is not None and not base:
        raise PostTrainingError(
            f"{model} is an adapter that names no base model: send base_model='org/base-model'"
        )
    if base and job_call.is_local_ref(base):
        raise PostTrainingError(
            f"the base model {base!r} is a local folder; a Space needs a Hub id: send base_model='org/name'"
        )
    template = (
        args.get("chat_template")
        or chat_template_of(api, model)
        or (chat_template_of(api, base) if base else None)
    )
    return {
        "model": model,
        "base_model": base if adapter is not None else None,
        "chat_template": template,
        "title": args.get("title") or f"{model.split('/')[-1]} chat",
        "system_prompt": args.get("system_prompt"),
        "max_new_tokens": args["max_new_tokens"],
        "temperature": args["temperature"],
        "top_p": 0.9,
        "trust_remote_code": False,
        "examples": args.get("examples") or [],
    }


def create_space(args: dict[str, Any]) -> Answer:
    from huggingface_hub import CommitOperationAdd

    model = args["model"]
    if job_call.is_local_ref(model) or "/" not in model:
        raise PostTrainingError(
            f"model {model!r}: a Space loads models from the Hub; send the repo id the training pushed to"
        )
    job_call.check_ref("model", model, "cloud")
    space_id = job_call.check_repo("space_id", args.get("space_id") or f"{model}-demo")
    hardware = args["hardware"]
    cost = space_cost(hardware, args.get("sleep_minutes") or DEFAULT_SLEEP_MINUTES)
    token = hub.require_token()
    api = hub.get_api(token)
    try:
        cfg = demo_config(api, args)
        files = space_files(cfg, space_id, hardware)
        api.create_repo(
            space_id,
            repo_type="space",
            space_sdk="gradio",
            space_hardware=None if cost is None else hardware,
            space_sleep_time=None if cost is None else cost.sleep_minutes * 60,
            private=args["private"],
            exist_ok=True,
        )
        operations = [CommitOperationAdd(path, content.encode()) for path, content in files.items()]
        api.create_commit(space_id, operations, commit_message="Chat demo (hf-train-mcp)", repo_type="space")
    except Exception as exc:
        raise hub.hub_error(exc, what=f"create the Space {space_id}") from None
    url = f"{hub.endpoint()}/spaces/{space_id}"
    notes = []
    if not cfg["chat_template"]:
        notes.append(
            "No chat template was found in the model or its base: the app will fail to format chats."
        )
    if args["private"]:
        notes.append(
            "The Space is private. If the model repo is private too, add an HF_TOKEN secret in its settings."
        )
    markdown = "\n".join(
        [
            f"## Demo Space created: [{space_id}]({url})",
            "",
            f"Chat UI for `{cfg['model']}`"
            + (f" (LoRA adapter on `{cfg['base_model']}`)" if cfg["base_model"] else "")
            + f". Hardware `{hardware}`: {price_line(cost)}. It builds in a few minutes.",
            *(f"- {n}" for n in notes),
        ]
    )
    return Answer(
        markdown,
        {
            "space_id": space_id,
            "url": url,
            "hardware": hardware,
            "price_per_hour": 0.0 if cost is None else cost.price_per_hour,
            "sleep_minutes": None if cost is None else cost.sleep_minutes,
            "files": sorted(files),
            "config": cfg,
        },
    )
