"""One tiny Llama, really trained with LoRA by a script from generate_training_script's renderer, shared by
the after-training tests (its adapter, its base and the real log of the training run)."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from training.helpers import HERE, SFT_MAPPING, run_ok, script_env, write_script

POST_HERE = Path(__file__).resolve().parent


@dataclass
class Trained:
    base: Path  # the tiny random Llama (model + tokenizer)
    adapter: Path  # the LoRA adapter the training script saved
    data: Path  # the question/answer rows it was trained on
    log: str  # everything the training run printed
    summary: dict


def run_python(code: str, *args: str, cwd: Path, env: dict | None = None, timeout: float = 300) -> str:
    """Run `code` in a fresh interpreter (this test process never imports torch); returns stdout."""
    out = subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env or script_env(),
    )
    assert out.returncode == 0, (out.stdout + out.stderr)[-4000:]
    return out.stdout


@pytest.fixture(scope="session")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Trained:
    root = tmp_path_factory.mktemp("post")
    code = (
        "import sys; from pathlib import Path; sys.path[:0] = [sys.argv[2], sys.argv[3]]; "
        "import tiny_llama; from training import tiny; r = Path(sys.argv[1]); "
        "tiny_llama.build_tiny_llama(r / 'base'); tiny.write_jsonl(r / 'qa.jsonl', tiny.SFT_ROWS)"
    )
    run_python(code, str(root), str(POST_HERE), str(HERE.parent), cwd=root)
    script = write_script(
        root,
        type("Assets", (), {"model": root / "base"}),
        dataset=str(root / "qa.jsonl"),
        column_mapping=SFT_MAPPING,
        max_steps=16,
        save_steps=16,
        learning_rate=3e-2,
        lr_scheduler_type="constant",
        output_dir=str(root / "adapter"),
    )
    summary, log = run_ok(script, cwd=root)
    assert (root / "adapter" / "adapter_config.json").is_file(), sorted(
        p.name for p in (root / "adapter").iterdir()
    )
    return Trained(root / "base", root / "adapter", root / "qa.jsonl", log, summary)
