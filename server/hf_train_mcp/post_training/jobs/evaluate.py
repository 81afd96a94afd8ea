"""Evaluate a trained model (a LoRA adapter or a full model) and optionally its base, side by side:
loss and perplexity on held-out rows, and/or named tasks of EleutherAI's lm-evaluation-harness. Puts a
results table in the model's card (when a repo is given) and prints one `HF_EVAL_SUMMARY {json}` line.

Rendered after a PEP 723 header and a `CONFIG = {...}` literal by hf_train_mcp.post_training.scripts;
also runnable as `python -m hf_train_mcp.post_training.jobs.evaluate config.json`.
"""

import json
import math
import os
import sys
import time
from pathlib import Path
from typing import Any

# What a model needs from its repo: skips duplicate .bin/.pth weights and "original/" checkpoints.
MODEL_FILES = ["*.json", "*.safetensors", "*.jinja", "*.txt", "*.model", "*.tiktoken", "*.py"]
SUMMARY_PREFIX = "HF_EVAL_SUMMARY"
CARD_MARKER = "<!-- hf-train-mcp:evaluation -->"


def log(message: str) -> None:
    print(f"[hf-eval] {message}", flush=True)


def load_config(argv: list[str]) -> dict[str, Any]:
    if len(argv) != 1:
        raise SystemExit("usage: python -m hf_train_mcp.post_training.jobs.evaluate CONFIG.json")
    return json.loads(Path(argv[0]).read_text(encoding="utf-8"))


def resolve_dir(ref: str, revision: str | None) -> Path:
    path = Path(ref).expanduser()
    if path.is_dir():
        return path
    from huggingface_hub import snapshot_download

    return Path(
        snapshot_download(
            ref, revision=revision, token=os.environ.get("HF_TOKEN"), allow_patterns=MODEL_FILES
        )
    )


def base_of(model_dir: Path) -> str | None:
    """The base model an adapter was trained on (None for a full model)."""
    config = model_dir / "adapter_config.json"
    if not config.exists():
        return None
    return json.loads(config.read_text(encoding="utf-8")).get("base_model_name_or_path")


def load_rows(cfg: dict[str, Any]) -> list[dict[str, Any]]:
    from datasets import load_dataset

    ref = cfg["dataset"]
    path = Path(ref).expanduser()
    if path.exists():
        kind = {".jsonl": "json", ".json": "json", ".parquet": "parquet", ".csv": "csv"}.get(
            path.suffix, "json"
        )
        data = load_dataset(kind, data_files=str(path), split="train")
    else:
        data = load_dataset(ref, cfg.get("dataset_config"), split=cfg["split"])
    if cfg.get("max_rows"):
        data = data.select(range(min(cfg["max_rows"], len(data))))
    return list(data)


def row_text(row: dict[str, Any], tokenizer: Any, text_column: str | None) -> str:
    """One evaluation text per row, in the formats the training scripts take."""
    if text_column:
        return str(row[text_column])
    if "messages" in row and tokenizer.chat_template:
        return tokenizer.apply_chat_template(row["messages"], tokenize=False)
    if "prompt" in row and "completion" in row:
        prompt, completion = row["prompt"], row["completion"]
        if isinstance(prompt, list) and tokenizer.chat_template:
            return tokenizer.apply_chat_template(prompt + completion, tokenize=False)
        return f"{prompt}{completion}"
    if "text" in row:
        return str(row["text"])
    raise SystemExit(
        f"no text in the rows (columns {sorted(row)}): set text_column, or use messages, "
        "prompt+completion or text columns"
    )


def load_model(ref: str, cfg: dict[str, Any]) -> tuple[Any, Any]:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    dtype = {"bfloat16": torch.bfloat16, "float16": torch.float16, "float32": torch.float32}[cfg["dtype"]]
    folder = resolve_dir(ref, None)
    base = base_of(folder)
    kwargs = {"dtype": dtype, "trust_remote_code": cfg["trust_remote_code"]}
    if base:
        from peft import PeftModel

        model = PeftModel.from_pretrained(
            AutoModelForCausalLM.from_pretrained(resolve_dir(base, None), **kwargs), folder
        )
    else:
        model = AutoModelForCausalLM.from_pretrained(folder, **kwargs)
    tok_dir = folder if (folder / "tokenizer_config.json").exists() else resolve_dir(base or ref, None)
    tokenizer = AutoTokenizer.from_pretrained(tok_dir, trust_remote_code=cfg["trust_remote_code"])
    device = "cuda" if torch.cuda.is_available() else "cpu"
    return model.to(device).eval(), tokenizer


def perplexity(model: Any, tokenizer: Any, texts: list[str], max_length: int) -> dict[str, Any]:
    """Token-weighted mean loss over the texts and its exponential (perplexity)."""
    import torch

    total_nll, total_tokens = 0.0, 0
    device = next(model.parameters()).device
    with torch.no_grad():
        for text in texts:
            ids = tokenizer(text, return_tensors="pt", truncation=True, max_length=max_length)["input_ids"]
            if ids.shape[1] < 2:
                continue
            ids = ids.to(device)
            loss = model(input_ids=ids, labels=ids).loss.float().item()
            total_nll += loss * (ids.shape[1] - 1)
            total_tokens += ids.shape[1] - 1
    if total_tokens == 0:
        raise SystemExit("no evaluation row has two tokens or more")
    loss = total_nll / total_tokens
    return {"loss": round(loss, 6), "perplexity": round(math.exp(min(loss, 700)), 4), "tokens": total_tokens}


def harness(ref: str, cfg: dict[str, Any]) -> dict[str, dict[str, float]]:
    """lm-evaluation-harness scores on the named tasks (metric -> value; stderr dropped)."""
    import lm_eval
    from lm_eval.tasks import TaskManager

    folder = resolve_dir(ref, None)
    base = base_of(folder)
    model_args = {"pretrained": str(resolve_dir(base, None)) if base else str(folder), "dtype": cfg["dtype"]}
    if base:
        model_args["peft"] = str(folder)
    if cfg["trust_remote_code"]:
        model_args["trust_remote_code"] = True
    manager = TaskManager(include_path=cfg.get("task_include_path"))
    out = lm_eval.simple_evaluate(
        model="hf",
        model_args=model_args,
        tasks=list(cfg["tasks"]),
        num_fewshot=cfg.get("num_fewshot"),
        limit=cfg.get("task_limit"),
        batch_size=cfg.get("batch_size", 8),
        task_manager=manager,
        device="cuda" if __import__("torch").cuda.is_available() else "cpu",
    )
    scores: dict[str, dict[str, float]] = {}
    for task, metrics in (out or {}).get("results", {}).items():
        scores[task] = {
            key.split(",")[0]: round(float(value), 6)
            for key, value in metrics.items()
            if isinstance(value, int | float) and "stderr" not in key and not isinstance(value, bool)
        }
    return scores


def evaluate_one(ref: str, cfg: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = {"model": ref}
    if cfg.get("dataset"):
        model, tokenizer = load_model(ref, cfg)
        rows = load_rows(cfg)
        texts = [row_text(r, tokenizer, cfg.get("text_column")) for r in rows]
        result["held_out"] = {**perplexity(model, tokenizer, texts, cfg["max_length"]), "rows": len(texts)}
        log(f"{ref}: {result['held_out']}")
        del model
    if cfg.get("tasks"):
        result["tasks"] = harness(ref, cfg)
        log(f"{ref}: {result['tasks']}")
    return result


def card_section(results: list[dict[str, Any]], cfg: dict[str, Any]) -> str:
    lines = [CARD_MARKER, "## Evaluation", ""]
    header = ["model"]
    rows: list[list[str]] = []
    if cfg.get("dataset"):
        header += ["held-out loss", "perplexity"]
    task_metrics = sorted({(t, m) for r in results for t, ms in r.get("tasks", {}).items() for m in ms})
    header += [f"{t} {m}" for t, m in task_metrics]
    for r in results:
        row = [f"`{r['model']}`"]
        if cfg.get("dataset"):
            row += [str(r["held_out"]["loss"]), str(r["held_out"]["perplexity"])]
        row += [str(r.get("tasks", {}).get(t, {}).get(m, "")) for t, m in task_metrics]
        rows.append(row)
    lines += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    where = (
        f"`{cfg['dataset']}` ({cfg['split']}, {cfg.get('max_rows') or 'all'} rows)"
        if cfg.get("dataset")
        else ""
    )
    lines += [
        "",
        f"Held-out data: {where or 'none'}; harness tasks: {', '.join(cfg.get('tasks') or []) or 'none'}.",
    ]
    lines += ["Evaluated by hf-train-mcp.", CARD_MARKER]
    return "\n".join(lines)


def update_card(repo_id: str, section: str) -> None:
    """Replace (or append) the evaluation section of the repo's README."""
    from huggingface_hub import HfApi, hf_hub_download
    from huggingface_hub.errors import EntryNotFoundError

    api = HfApi()
    try:
        current = Path(hf_hub_download(repo_id, "README.md")).read_text(encoding="utf-8")
    except EntryNotFoundError:
        current = f"# {repo_id}\n"
    parts = current.split(CARD_MARKER)
    text = parts[0].rstrip() + "\n\n" + section + "\n" + (parts[2] if len(parts) >= 3 else "")
    api.upload_file(path_or_fileobj=text.encode(), path_in_repo="README.md", repo_id=repo_id,
                    commit_message="Evaluation results")  # fmt: skip
    log(f"wrote the evaluation table into {repo_id}/README.md")


def main(cfg: dict[str, Any]) -> int:
    started = time.time()
    refs = [cfg["model"]]
    if cfg.get("compare_base"):
        base = cfg.get("base_model") or base_of(resolve_dir(cfg["model"], None))
        if base:
            refs.append(base)
        else:
            log("compare_base: the model is not an adapter and no base_model was given; evaluating it alone")
    results = [evaluate_one(ref, cfg) for ref in refs]
    section = card_section(results, cfg)
    print(section, flush=True)
    if cfg.get("card_repo"):
        update_card(cfg["card_repo"], section)
    summary = {
        "results": results,
        "runtime_s": round(time.time() - started, 1),
        "card_repo": cfg.get("card_repo"),
    }
    print(f"{SUMMARY_PREFIX} {json.dumps(summary, sort_keys=True)}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(globals().get("CONFIG") or load_config(sys.argv[1:])))
