"""Generated SFT LoRA script against TRL's stock `trl/scripts/sft.py`: tokens/s, memory, host syncs, ratio.

    python benchmarks/throughput.py                       # CPU, a tiny Qwen2 shape (minutes on 2 cores)
    python benchmarks/throughput.py --shape qwen2.5-0.5b  # on a GPU: the issue's plan (batch 4 x 4, 2048)
    python benchmarks/throughput.py --like-stock          # + the generated script with stock's settings

Both scripts train the same random-weight model of a public shape (no downloads), on the same synthetic chat
rows (skewed lengths: many short answers, a long tail), with the same LoRA (r 16, alpha 32, dropout 0.05,
all-linear), effective batch (4 x 4), max_length and number of optimizer steps. The generated script is made
by the project's own generator (flavor 'local', so it decides checkpointing, micro-batch and packing at start
from the device it finds); the stock script runs with its defaults (on CPU with `--bf16 False`, since the
generated script trains in fp32 there). Each runs in its own process under the same measurement
(`--measure`, this file): real (non-pad) tokens per second over the micro-batches after WARMUP, counted on
the device without a host sync; peak allocated and reserved GPU memory (on CPU: peak RSS); and, in a shorter
second run, the host-device syncs and aten ops per micro-batch (`aten::_local_scalar_dense`: every
`.item()`, `bool(t)`, `int(t)`; each one makes the CPU wait for the GPU, which then idles while the CPU
prepares the next work). `--like-stock` adds the generated script with stock's settings (checkpointing on,
no packing, micro-batch 4): what is left of the difference is the script's own overhead.

On CPU (2 shared cores, 2026-11-30): stock 203, generated 528 (2.6x), generated-like-stock 200 real tokens/s
(0.99x); host syncs per micro-batch: stock 9.2, generated 6.2, like-stock 7.2 (the script before issue 11:
10.25); aten ops per micro-batch: stock 1,597, like-stock 1,607, generated 1,057. No GPU run yet.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SHAPES = {
    "tiny": dict(  # CPU: a Qwen2 with the small dimensions of TRL's own tiny test models
        hidden_size=64, intermediate_size=256, num_hidden_layers=2, num_attention_heads=4,
        num_key_value_heads=2, tie_word_embeddings=True,
    ),
    "qwen2.5-0.5b": dict(
        hidden_size=896, intermediate_size=4864, num_hidden_layers=24, num_attention_heads=14,
        num_key_value_heads=2, tie_word_embeddings=True, rope_theta=1000000.0,
    ),
    "qwen2.5-1.5b": dict(
        hidden_size=1536, intermediate_size=8960, num_hidden_layers=28, num_attention_heads=12,
        num_key_value_heads=2, tie_word_embeddings=True, rope_theta=1000000.0,
    ),
    "llama-2-7b": dict(  # Llama-2-7B's dimensions in Qwen2's architecture (one tokenizer class for all)
        hidden_size=4096, intermediate_size=11008, num_hidden_layers=32, num_attention_heads=32,
        num_key_value_heads=32, tie_word_embeddings=False, rms_norm_eps=1e-5,
    ),
}  # fmt: skip
WARMUP = 4  # micro-batches before the clock starts (allocator, kernels, first data batches)


# ------------------------------------------------------------------------------- model and data


def make_tokenizer(out: Path, words: list[str], vocab: int):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    core = Tokenizer(models.BPE())
    core.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    core.decoder = decoders.ByteLevel()
    specials = ["<pad>", "<|end|>", "<|user|>", "<|assistant|>"]
    trainer = trainers.BpeTrainer(
        vocab_size=vocab, special_tokens=specials, initial_alphabet=pre_tokenizers.ByteLevel.alphabet()
    )
    rng = random.Random(1)
    core.train_from_iterator((" ".join(rng.choice(words) for _ in range(100)) for _ in range(500)), trainer)
    tok = PreTrainedTokenizerFast(tokenizer_object=core, eos_token="<|end|>", pad_token="<pad>")
    tok.chat_template = (
        "{% for m in messages %}{% if m['role'] == 'user' %}<|user|>{{ m['content'] }}<|end|>"
        "{% else %}<|assistant|>{% generation %}{{ m['content'] }}<|end|>{% endgeneration %}{% endif %}"
        "{% endfor %}{% if add_generation_prompt %}<|assistant|>{% endif %}"
    )
    tok.save_pretrained(out)
    return tok


def make_data(out: Path, rows: int, scale: float) -> list[str]:
    """Chat rows: user turn median ~55 words, answer median ~150 words with a long tail (x scale)."""
    rng = random.Random(0)
    words = [f"w{i}" for i in range(3000)]
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "train.jsonl", "w") as f:
        for _ in range(rows):
            user = max(4, int(rng.lognormvariate(4.0, 0.8) * scale))
            answer = max(8, int(rng.lognormvariate(5.0, 0.9) * scale))
            turns = [
                {"role": "user", "content": " ".join(rng.choice(words) for _ in range(user))},
                {"role": "assistant", "content": " ".join(rng.choice(words) for _ in range(answer))},
            ]
            f.write(json.dumps({"messages": turns}) + "\n")
    return words


def make_model(shape: str, out: Path, tokenizer) -> int:
    """Random weights with the exact dimensions of `shape`; returns the parameter count."""
    import torch
    from transformers import Qwen2Config, Qwen2ForCausalLM

    vocab = 32000 if shape == "llama-2-7b" else (151936 if shape.startswith("qwen") else len(tokenizer))
    config = Qwen2Config(
        vocab_size=max(vocab, len(tokenizer)),
        max_position_embeddings=32768,
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id,
        bos_token_id=None,
        **SHAPES[shape],
    )
    device = "cuda" if torch.cuda.is_available() else "cpu"
    dtype = torch.bfloat16 if device == "cuda" else torch.float32
    torch.manual_seed(0)
    with torch.device(device):
        model = Qwen2ForCausalLM(config).to(dtype)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return sum(p.numel() for p in model.parameters())


# ------------------------------------------------------------------------------------- the two runs


def generated_script(
    work: Path, model: Path, data: Path, args: argparse.Namespace, name: str = "generated", **settings
) -> Path:
    from hf_train_mcp.training.render import render_script, training_pins
    from hf_train_mcp.training.requests import parse_request
    from hf_train_mcp.training.resolve import resolve

    request = {
        "method": "sft",
        "peft": "lora",
        "model": str(model),
        "dataset": str(data / "train.jsonl"),
        "flavor": "local",
        "push_to_hub": False,
        "output_dir": str(work / "out-generated"),
        "max_length": args.max_length,
        "max_steps": args.steps,
        "save_steps": 10_000,
        "logging_steps": 10,
        "timeout": "1h",
        "lora_r": 16,
        "lora_alpha": 32,
        "lora_dropout": 0.05,
        **settings,
    }
    plan = resolve(parse_request(request), pinned=training_pins())
    blocking = [c.message for c in plan.failures if not c.name.endswith("_location")]
    if blocking:
        raise SystemExit(f"the generator refused the benchmark plan: {blocking}")
    path = work / f"train_{name}.py"
    path.write_text(render_script(plan))
    return path


def stock_command(work: Path, model: Path, data: Path, args: argparse.Namespace, cuda: bool) -> list[str]:
    import trl

    script = Path(trl.__file__).parent / "scripts" / "sft.py"
    command = [
        str(script), "--model_name_or_path", str(model), "--dataset_name", str(data),
        "--per_device_train_batch_size", "4",
        "--gradient_accumulation_steps", "4", "--max_length", str(args.max_length),
        "--max_steps", str(args.steps), "--use_peft", "--lora_r", "16", "--lora_alpha", "32",
        "--lora_dropout", "0.05", "--lora_target_modules", "all-linear", "--report_to", "none",
        "--save_strategy", "no", "--logging_steps", "10",
    ]  # fmt: skip
    if not cuda:
        command += ["--bf16", "False"]  # the generated script trains in fp32 on CPU: same arithmetic
    return command


def run_measured(name: str, command: list[str], work: Path, syncs: bool, steps: int | None = None) -> dict:
    result = work / f"{name}{'-syncs' if syncs else ''}.json"
    env = dict(os.environ, TOKENIZERS_PARALLELISM="false", HF_DATASETS_DISABLE_PROGRESS_BARS="1")
    env.update(BENCH_COUNT_SYNCS="1" if syncs else "0", HF_HUB_OFFLINE="1", WANDB_DISABLED="true")
    out_dir = str(work / f"out-{name}{'-syncs' if syncs else ''}")
    if name.startswith("generated"):  # a fresh run each time (a re-run would resume from the last checkpoint)
        command = [*command, "--no-resume", "--output-dir", out_dir]
    else:
        command = [*command, "--output_dir", out_dir]
    if steps is not None:
        command = [*command, "--max-steps" if name.startswith("generated") else "--max_steps", str(steps)]
    started = time.time()
    out = subprocess.run(
        [sys.executable, __file__, "--measure", str(result), *command],
        cwd=work,
        capture_output=True,
        text=True,
        env=env,
    )
    if out.returncode != 0 or not result.exists():
        raise SystemExit(f"{name} failed ({out.returncode}):\n{(out.stdout + out.stderr)[-3000:]}")
    record = json.loads(result.read_text())
    record["wall_s"] = round(time.time() - started, 1)
    record["log_memory"] = [line for line in (out.stdout + out.stderr).splitlines() if "memory: " in line]
    return record


# ------------------------------------------------------------------------------------ measurement


def measure(result_path: str, script: str, script_args: list[str]) -> None:
    """Run `script` unchanged in this process; count real tokens per micro-batch on the device (no sync),
    time the micro-batches after WARMUP, record peak memory and (BENCH_COUNT_SYNCS=1) host syncs."""
    import atexit
    import runpy

    import torch
    import transformers
    from torch.utils._python_dispatch import TorchDispatchMode

    record: dict = {"micro_batches": 0}
    tokens: list = []
    cuda = torch.cuda.is_available()
    count_syncs = os.environ.get("BENCH_COUNT_SYNCS") == "1"

    class SyncCounter(TorchDispatchMode):
        calls = 0
        ops = 0

        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            SyncCounter.ops += 1
            if func is torch.ops.aten._local_scalar_dense.default:
                SyncCounter.calls += 1
            return func(*args, **(kwargs or {}))

    counter = SyncCounter() if count_syncs else None

    def sync() -> None:
        if cuda:
            torch.cuda.synchronize()

    step = transformers.Trainer.training_step
    train = transformers.Trainer.train

    def training_step(self, model, inputs, *a, **k):
        record["micro_batches"] += 1
        if record["micro_batches"] == WARMUP + 1:
            sync()
            record["t0"] = time.perf_counter()
            record["syncs_at_t0"] = SyncCounter.calls
            record["ops_at_t0"] = SyncCounter.ops
        if record["micro_batches"] > WARMUP:
            mask = inputs.get("attention_mask")
            if mask is not None:
                tokens.append(mask.sum())  # a device tensor: summed at the end, no sync here
            else:  # padding-free packed rows: every input id is a real token
                tokens.append(inputs["input_ids"].numel())
        return step(self, model, inputs, *a, **k)

    def train_all(self, *a, **k):
        if counter is not None:
            with counter:
                out = train(self, *a, **k)
        else:
            out = train(self, *a, **k)
        sync()
        record["t1"] = time.perf_counter()
        return out

    transformers.Trainer.training_step = training_step
    transformers.Trainer.train = train_all

    def finish() -> None:
        measured = record["micro_batches"] - WARMUP
        if "t0" in record and "t1" in record and measured > 0:
            seconds = record["t1"] - record["t0"]
            real = int(sum(int(t) for t in tokens))
            record.update(seconds=round(seconds, 3), tokens=real, tokens_per_s=round(real / seconds, 1))
            record["syncs_per_micro_batch"] = round((SyncCounter.calls - record["syncs_at_t0"]) / measured, 2)
            record["ops_per_micro_batch"] = round((SyncCounter.ops - record["ops_at_t0"]) / measured)
        if cuda:
            record["peak_alloc_gib"] = round(torch.cuda.max_memory_allocated() / 2**30, 3)
            record["peak_reserved_gib"] = round(torch.cuda.max_memory_reserved() / 2**30, 3)
            record["device"] = torch.cuda.get_device_name(0)
        else:
            import resource

            record["peak_rss_gib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 3)
            record["device"] = f"CPU ({torch.get_num_threads()} threads)"
        for key in ("t0", "t1", "syncs_at_t0", "ops_at_t0"):
            record.pop(key, None)
        Path(result_path).write_text(json.dumps(record))

    atexit.register(finish)
    sys.argv = [script, *script_args]
    runpy.run_path(script, run_name="__main__")


# ---------------------------------------------------------------------------------------------- main


def describe(name: str, r: dict) -> str:
    memory = (
        f"peak alloc {r['peak_alloc_gib']:.2f} / reserved {r['peak_reserved_gib']:.2f} GiB"
        if "peak_alloc_gib" in r
        else f"peak RSS {r['peak_rss_gib']:.2f} GiB"
    )
    return (
        f"{name}: {r['tokens_per_s']:>10,.0f} real tokens/s  ({r['tokens']:,} tokens in {r['seconds']:.1f} s "
        f"after {WARMUP} warm-up micro-batches; {r['micro_batches']} micro-batches)  {memory}"
    )


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--measure":
        measure(sys.argv[2], sys.argv[3], sys.argv[4:])
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shape", choices=sorted(SHAPES), default="tiny")
    parser.add_argument("--steps", type=int, help="optimizer steps (default: 4 on CPU, 20 on a GPU)")
    parser.add_argument("--max-length", type=int, help="tokens per row (default: 256 on CPU, 2048 on a GPU)")
    parser.add_argument("--rows", type=int, help="synthetic rows (default: 400 on CPU, 2000 on a GPU)")
    parser.add_argument("--no-syncs", action="store_true", help="skip the host-sync count runs")
    parser.add_argument(
        "--like-stock",
        action="store_true",
        help="also run the generated script with stock's settings (checkpointing, no packing, micro-batch 4)",
    )
    parser.add_argument(
        "--workdir", help="keep the model, data and scripts here (default: a temporary folder)"
    )
    args = parser.parse_args()

    import torch

    cuda = torch.cuda.is_available()
    args.steps = args.steps or (20 if cuda else 4)
    args.max_length = args.max_length or (2048 if cuda else 256)
    args.rows = args.rows or (2000 if cuda else 400)
    work = Path(args.workdir or tempfile.mkdtemp(prefix="hf-train-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    scale = 1.0 if cuda else args.max_length / 2048  # keep the length distribution relative to max_length
    words = make_data(work / "data", args.rows, scale)
    tokenizer = make_tokenizer(work / "tokenizer", words, vocab=4000)
    params = make_model(args.shape, work / "model", tokenizer)
    print(
        f"shape {args.shape} ({params / 1e6:.1f}M parameters, random weights), {args.rows} synthetic chat "
        f"rows, LoRA r16 all-linear, effective batch 16, max_length {args.max_length}, {args.steps} steps, "
        f"on {'CUDA' if cuda else 'CPU'}",
        flush=True,
    )
    runs = {
        "stock": stock_command(work, work / "model", work / "data", args, cuda),
        "generated": [str(generated_script(work, work / "model", work / "data", args))],
    }
    if args.like_stock:
        like = dict(gradient_checkpointing=True, packing=False, per_device_train_batch_size=4)
        runs["generated-like-stock"] = [
            str(generated_script(work, work / "model", work / "data", args, "generated-like-stock", **like))
        ]
    results = {}
    for name, command in runs.items():
        results[name] = run_measured(name, command, work, syncs=False)
        print(describe(name, results[name]), flush=True)
        for line in results[name]["log_memory"]:
            print(f"{'':>11}{line.strip()}")
    for name in results:
        if name != "stock":
            ratio = results[name]["tokens_per_s"] / results["stock"]["tokens_per_s"]
            print(f"    ratio: {name} / stock = {ratio:.2f}x real tokens/s")
    if not args.no_syncs:
        for name, command in runs.items():
            counted = run_measured(name, command, work, syncs=True, steps=2)
            print(
                f"{name:>9}: {counted['syncs_per_micro_batch']:.1f} host syncs and "
                f"{counted['ops_per_micro_batch']:,} aten ops per micro-batch (2-step run)"
            )
    print(f"(model, data and scripts in {work})")


if __name__ == "__main__":
    main()
