"""Tiny, offline training fixtures: a random 2-layer Qwen2 model, a word-level tokenizer with a chat
template, and small jsonl datasets in the shapes TRL reads (before and after a column mapping)."""

from __future__ import annotations

import json
from pathlib import Path

WORDS = [
    "what",
    "is",
    "the",
    "capital",
    "of",
    "france",
    "paris",
    "germany",
    "berlin",
    "italy",
    "rome",
    "spain",
    "madrid",
    "answer",
    "question",
    "a",
    "an",
    "the",
    "good",
    "bad",
    "yes",
    "no",
    "please",
    "tell",
    "me",
    "name",
    "color",
    "sky",
    "blue",
    "grass",
    "green",
    "sun",
    "hot",
    "snow",
    "cold",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "hello",
    "hi",
    "thanks",
    "user",
    "assistant",
    "system",
]

CHAT_TEMPLATE = (
    "{% for message in messages %}<|im_start|> {{ message['role'] }} "
    "{% if message['role'] == 'assistant' %}{% generation %}{{ message['content'] }} <|im_end|>"
    "{% endgeneration %}{% else %}{{ message['content'] }} <|im_end|>{% endif %} {% endfor %}"
    "{% if add_generation_prompt %}<|im_start|> assistant {% endif %}"
)

SFT_ROWS = [
    {"question": f"what is the capital of {c}", "answer": f"the capital of {c} is {p}", "note": "x"}
    for c, p in [("france", "paris"), ("germany", "berlin"), ("italy", "rome"), ("spain", "madrid")]
] * 4
DPO_ROWS = [
    {"instruction": f"tell me the color of the {thing}", "good": f"the {thing} is {color}", "bad": "no"}
    for thing, color in [("sky", "blue"), ("grass", "green"), ("sun", "hot"), ("snow", "cold")]
] * 4
# GRPO: prompts with a reference answer (mapped onto prompt/solution); the last prompt is too long to keep.
GRPO_ROWS = [
    {"question": f"what is the capital of {c}", "answer": p}
    for c, p in [("france", "paris"), ("germany", "berlin"), ("italy", "rome"), ("spain", "madrid")]
] * 2 + [{"question": " ".join(["please tell me the name"] * 20), "answer": "no"}]
# KTO: single completions labelled good (true) or bad (false), in columns that need a mapping.
KTO_ROWS = [
    {"question": f"tell me the color of the {thing}", "response": answer, "good": good}
    for thing, color in [("sky", "blue"), ("grass", "green"), ("sun", "hot"), ("snow", "cold")]
    for answer, good in [(f"the {thing} is {color}", True), ("no", False)]
] * 2
MESSAGES_ROWS = [
    {"messages": [{"role": "user", "content": r["question"]}, {"role": "assistant", "content": r["answer"]}]}
    for r in SFT_ROWS
]


def build_tokenizer(path: Path):
    """A byte-level BPE trained on the test rows (the same family as Qwen2's, so AutoTokenizer's Qwen2
    class rebuilds it faithfully), with a chat template that marks assistant turns for assistant-only loss."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    specials = ["<unk>", "<|pad|>", "<|eos|>", "<|im_start|>", "<|im_end|>"]
    core = Tokenizer(models.BPE(unk_token=None))
    core.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    core.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=400, special_tokens=specials, initial_alphabet=pre_tokenizers.ByteLevel.alphabet()
    )
    corpus = [" ".join(WORDS)] * 4 + [json.dumps(r) for r in SFT_ROWS + DPO_ROWS]
    core.train_from_iterator(corpus, trainer=trainer)
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=core,
        pad_token="<|pad|>",
        eos_token="<|eos|>",
        additional_special_tokens=["<|im_start|>", "<|im_end|>"],
    )
    tokenizer.chat_template = CHAT_TEMPLATE
    tokenizer.save_pretrained(path)
    return tokenizer


def save_random_model(path: Path, tokenizer, config_class, model_class, **config) -> Path:
    """A random 2-layer decoder (hidden 32, 4 heads, 2 KV heads) of the given family, sized to `tokenizer`
    and saved to `path`: the one shape every tiny model of the tests has."""
    import torch

    torch.manual_seed(0)
    settings = {
        "vocab_size": len(tokenizer),
        "hidden_size": 32,
        "intermediate_size": 64,
        "num_hidden_layers": 2,
        "num_attention_heads": 4,
        "num_key_value_heads": 2,
        "max_position_embeddings": 256,
        "pad_token_id": tokenizer.pad_token_id,
        "eos_token_id": tokenizer.eos_token_id,
        **config,
    }
    model_class(config_class(**settings)).save_pretrained(path)
    return path


def build_tiny_model(path: Path) -> Path:
    """A random Qwen2 (hidden 32, 2 layers) with its tokenizer, saved to `path`."""
    from transformers import Qwen2Config, Qwen2ForCausalLM

    path.mkdir(parents=True, exist_ok=True)
    tokenizer = build_tokenizer(path)
    return save_random_model(
        path, tokenizer, Qwen2Config, Qwen2ForCausalLM, bos_token_id=None, tie_word_embeddings=True
    )


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path
