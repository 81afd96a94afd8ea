"""A config-sized copy of a model's architecture with random weights, for a local rehearsal.

    python -m hf_train_mcp.training.tiny_model SOURCE OUT [--layers 2] [--hidden 64]

SOURCE is a Hub id (needs the Hub for config.json and the tokenizer, not the weights) or a local folder.
Same architecture class, same tokenizer and vocabulary, same chat template; 2 layers of width 64, so the
rehearsal exercises the real loading, tokenisation and training code in seconds on a CPU.
Runs in a subprocess of the server (it imports transformers).
"""

from __future__ import annotations

import argparse
import sys


def shrink_config(config, layers: int = 2, hidden: int = 64) -> list[str]:
    """Shrink a transformers config in place; returns what was changed (for the log)."""
    changed: list[str] = []
    target = config.get_text_config() if hasattr(config, "get_text_config") else config

    def put(name: str, value) -> None:
        if hasattr(target, name) and getattr(target, name) is not None and getattr(target, name) != value:
            setattr(target, name, value)
            changed.append(f"{name}={value}")

    heads = 4
    old_heads = getattr(target, "num_attention_heads", None) or heads
    old_kv = getattr(target, "num_key_value_heads", None) or old_heads
    put("num_hidden_layers", layers)
    put("hidden_size", hidden)
    put("intermediate_size", hidden * 2)
    put("num_attention_heads", heads)
    put("num_key_value_heads", heads if old_kv >= old_heads else 2)
    put("head_dim", hidden // heads)
    put("max_window_layers", layers)
    put("moe_intermediate_size", hidden)
    put("shared_expert_intermediate_size", hidden)
    for name in ("num_experts", "num_local_experts"):
        if getattr(target, name, None):
            put(name, min(getattr(target, name), 4))
    if getattr(target, "num_experts_per_tok", None):
        put("num_experts_per_tok", min(target.num_experts_per_tok, 2))
    layer_types = getattr(target, "layer_types", None)
    if isinstance(layer_types, list) and len(layer_types) > layers:
        target.layer_types = layer_types[:layers]
        changed.append(f"layer_types={target.layer_types}")
    return changed


def build(source: str, out: str, layers: int = 2, hidden: int = 64, trust_remote_code: bool = False) -> None:
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    config = AutoConfig.from_pretrained(source, trust_remote_code=trust_remote_code)
    changed = shrink_config(config, layers, hidden)
    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_config(config, trust_remote_code=trust_remote_code)
    tokenizer = AutoTokenizer.from_pretrained(source, trust_remote_code=trust_remote_code)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    params = sum(p.numel() for p in model.parameters())
    print(
        f"tiny copy of {source}: {type(model).__name__}, {params / 1e6:.2f}M parameters "
        f"({', '.join(changed)})",
        file=sys.stderr,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", help="Hub model id or local model folder")
    parser.add_argument("out", help="folder to write the tiny model and tokenizer to")
    parser.add_argument("--layers", type=int, default=2, help="layers (default 2)")
    parser.add_argument("--hidden", type=int, default=64, help="hidden size (default 64)")
    parser.add_argument("--trust-remote-code", action="store_true", help="allow custom model code")
    args = parser.parse_args(argv)
    build(args.source, args.out, args.layers, args.hidden, args.trust_remote_code)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
