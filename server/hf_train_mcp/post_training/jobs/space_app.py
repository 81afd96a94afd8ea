"""A Gradio chat demo for a fine-tuned model (a LoRA adapter on its base, or a full/merged model), as the
`app.py` of a Hugging Face Space.

Rendered after a `CONFIG = {...}` literal (model id, base, chat template, generation settings) by
hf_train_mcp.post_training.space; the model's own chat template formats the conversation, and the one
in CONFIG is used only when the tokenizer has none. `build_demo` returns the interface without
launching it, so it can be built and checked anywhere.
"""

import json
import os
import sys
from pathlib import Path
from typing import Any


def load_config(argv: list[str]) -> dict[str, Any]:
    if len(argv) != 1:
        raise SystemExit("usage: python -m hf_train_mcp.post_training.jobs.space_app CONFIG.json")
    return json.loads(Path(argv[0]).read_text(encoding="utf-8"))


def load_model(cfg: dict[str, Any]) -> tuple[Any, Any]:
    """The model and tokenizer; an adapter is loaded on its base (read from adapter_config.json)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    token = os.environ.get("HF_TOKEN")
    cuda = torch.cuda.is_available()
    dtype = (
        torch.bfloat16
        if cuda and torch.cuda.is_bf16_supported()
        else (torch.float16 if cuda else torch.float32)
    )
    kwargs = {"dtype": dtype, "token": token, "trust_remote_code": cfg["trust_remote_code"]}
    if cfg.get("base_model"):
        from peft import PeftModel

        base = AutoModelForCausalLM.from_pretrained(cfg["base_model"], **kwargs)
        model = PeftModel.from_pretrained(base, cfg["model"], token=token)
    else:
        model = AutoModelForCausalLM.from_pretrained(cfg["model"], **kwargs)
    try:
        tokenizer = AutoTokenizer.from_pretrained(cfg["model"], token=token)
    except (OSError, ValueError):
        tokenizer = AutoTokenizer.from_pretrained(cfg["base_model"], token=token)
    if not tokenizer.chat_template and cfg.get("chat_template"):
        tokenizer.chat_template = cfg["chat_template"]
    return model.to("cuda" if cuda else "cpu").eval(), tokenizer


def as_messages(message: str, history: list[Any], system_prompt: str | None) -> list[dict[str, str]]:
    """Gradio's history (messages dicts, or [user, bot] pairs in old versions) + the new message."""
    messages = [{"role": "system", "content": system_prompt}] if system_prompt else []
    for turn in history or []:
        if isinstance(turn, dict):
            content = turn.get("content")
            messages.append(
                {"role": turn["role"], "content": content if isinstance(content, str) else str(content)}
            )
        else:
            user, bot = turn
            messages += [{"role": "user", "content": user}, {"role": "assistant", "content": bot}]
    messages.append({"role": "user", "content": message})
    return messages


def make_respond(cfg: dict[str, Any], model: Any, tokenizer: Any) -> Any:
    def respond(message: str, history: list[Any]) -> str:
        import torch

        messages = as_messages(message, history, cfg.get("system_prompt"))
        ids = tokenizer.apply_chat_template(
            messages, add_generation_prompt=True, return_tensors="pt", return_dict=True
        )
        ids = {k: v.to(model.device) for k, v in ids.items()}
        with torch.no_grad():
            out = model.generate(
                **ids,
                max_new_tokens=cfg["max_new_tokens"],
                do_sample=cfg["temperature"] > 0,
                temperature=cfg["temperature"] or None,
                top_p=cfg["top_p"] if cfg["temperature"] > 0 else None,
                pad_token_id=tokenizer.pad_token_id or tokenizer.eos_token_id,
            )
        return tokenizer.decode(out[0, ids["input_ids"].shape[1] :], skip_special_tokens=True).strip()

    return respond


def build_demo(cfg: dict[str, Any], model: Any = None, tokenizer: Any = None) -> Any:
    import gradio as gr

    if model is None:
        model, tokenizer = load_model(cfg)
    base = f" (LoRA adapter on `{cfg['base_model']}`)" if cfg.get("base_model") else ""
    return gr.ChatInterface(
        make_respond(cfg, model, tokenizer),
        title=cfg["title"],
        description=f"Chat with [`{cfg['model']}`](https://huggingface.co/{cfg['model']}){base}.",
        examples=cfg.get("examples") or None,
    )


if __name__ == "__main__":
    build_demo(globals().get("CONFIG") or load_config(sys.argv[1:])).launch()
