"""A tiny random Llama with a Llama-style tokenizer (BPE with byte fallback, Sequence decoder) built
offline: the shape llama.cpp's converter reads through its own HF-tokenizer path (no pre-tokenizer hash
lookup, no sentencepiece file), so the real convert_hf_to_gguf.py runs on it."""

from __future__ import annotations

from pathlib import Path

from training.tiny import SFT_ROWS, WORDS, save_random_model

CHAT_TEMPLATE = (
    "{% for m in messages %}<s>{{ m['role'] }}: {{ m['content'] }}</s>{% endfor %}"
    "{% if add_generation_prompt %}<s>assistant:{% endif %}"
)


def build_tiny_llama(path: Path) -> Path:
    from tokenizers import Tokenizer, decoders, models, normalizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    path.mkdir(parents=True, exist_ok=True)
    core = Tokenizer(models.BPE(unk_token="<unk>", byte_fallback=True))
    core.normalizer = normalizers.Sequence([normalizers.Prepend("▁"), normalizers.Replace(" ", "▁")])
    core.decoder = decoders.Sequence(
        [decoders.Replace("▁", " "), decoders.ByteFallback(), decoders.Fuse(), decoders.Strip(" ", 1, 0)]
    )
    byte_tokens = [f"<0x{i:02X}>" for i in range(256)]
    trainer = trainers.BpeTrainer(vocab_size=420, special_tokens=["<unk>", "<s>", "</s>", *byte_tokens])
    corpus = [" ".join(WORDS)] * 4 + [f"{r['question']} {r['answer']}" for r in SFT_ROWS]
    core.train_from_iterator(corpus, trainer=trainer)
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=core, unk_token="<unk>", bos_token="<s>", eos_token="</s>", pad_token="</s>"
    )
    tokenizer.chat_template = CHAT_TEMPLATE
    tokenizer.save_pretrained(path)
    return save_random_model(
        path, tokenizer, LlamaConfig, LlamaForCausalLM, bos_token_id=tokenizer.bos_token_id
    )
