"""Per-row losses of packed and unpacked SFT batches on the pinned stack, as JSON (run by test_packing.py).

Usage: packing_proof.py MODEL_DIR. Both sides go through TRL's own SFTTrainer pipeline (dataset preparation,
'bfd' packing, the padding-free collator): the unpacked side trains on one row per batch, the packed side on
whole packed rows; each row's loss is the mean token loss over its own labels; with sdpa and with eager
attention. In the third case (`sdpa+cache`) the packed forward keeps the KV cache on, which is known to break
packing (transformers skips packed-row detection when a cache exists): the negative control that shows the
comparison can fail.
"""

from __future__ import annotations

import itertools
import json
import random
import sys
import tempfile

import tiny


def rows(n: int = 10) -> list[dict]:
    rng = random.Random(0)
    return [{"text": " ".join(rng.choice(tiny.WORDS) for _ in range(rng.randint(3, 40)))} for _ in range(n)]


def trainer(model_dir: str, attention: str, packing: bool):
    from datasets import Dataset
    from transformers import AutoTokenizer
    from trl import SFTConfig, SFTTrainer

    args = SFTConfig(
        output_dir=tempfile.mkdtemp(),
        max_length=64,
        packing=packing,
        packing_strategy="bfd",
        per_device_train_batch_size=1 if not packing else 2,
        use_cpu=True,
        report_to="none",
        model_init_kwargs={"dtype": "float32", "attn_implementation": attention},
        seed=0,
    )
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    return SFTTrainer(
        model=model_dir, args=args, train_dataset=Dataset.from_list(rows()), processing_class=tokenizer
    )


def per_row_losses(t, use_cache: bool) -> dict[str, float]:
    """{row's token ids: mean loss over its labels}, for every row of every batch of the dataloader."""
    import torch

    model = t.model.eval()
    out: dict[str, float] = {}
    for batch in t.get_train_dataloader():
        inputs = {k: v for k, v in batch.items() if k != "labels"}
        with torch.no_grad():
            logits = model(**inputs, use_cache=use_cache).logits.float()
        labels = batch["labels"]
        losses = torch.nn.functional.cross_entropy(
            logits[:, :-1].reshape(-1, logits.size(-1)),
            labels[:, 1:].reshape(-1),
            reduction="none",
            ignore_index=-100,
        ).view(labels.size(0), -1)
        ids = batch["input_ids"]
        if (
            "position_ids" in batch and "attention_mask" not in batch
        ):  # padding-free: rows restart at position 0
            starts = [*(batch["position_ids"][0] == 0).nonzero().flatten().tolist(), ids.size(1)]
            spans = [(0, a, b) for a, b in itertools.pairwise(starts)]
        else:
            spans = [(r, 0, int(batch["attention_mask"][r].sum())) for r in range(ids.size(0))]
        for r, a, b in spans:
            mask = labels[r, a + 1 : b] != -100
            key = " ".join(map(str, ids[r, a:b].tolist()))
            out[key] = float(losses[r, a : b - 1][mask].mean())
    return out


def main() -> None:
    """Every case in one process (imports and dataset preparation are the slow part)."""
    model_dir = sys.argv[1]
    unpacked_trainer = trainer(model_dir, "sdpa", packing=False)
    packed_trainer = trainer(model_dir, "sdpa", packing=True)
    first = next(iter(packed_trainer.get_train_dataloader()))
    result = {
        "packed_batch_keys": sorted(first),
        "packed_rows_per_sequence": int((first["position_ids"][0] == 0).sum()),
    }
    for name, attention, cache in (
        ("sdpa", "sdpa", False),
        ("eager", "eager", False),
        ("sdpa+cache", "sdpa", True),
    ):
        for t in (unpacked_trainer, packed_trainer):
            t.model.set_attn_implementation(attention)
        result[name] = {
            "unpacked": per_row_losses(unpacked_trainer, use_cache=False),
            "packed": per_row_losses(packed_trainer, use_cache=cache),
        }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
