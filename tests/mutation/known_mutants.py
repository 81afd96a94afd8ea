"""Re-check the one-line bugs of issue 18 that once survived every test: each must now fail a test.

    .venv/bin/python tests/mutation/known_mutants.py        # (also run by `make mutation`)

Each mutant is applied to a temporary copy of the tree (the working tree is never modified), the tests
named for it run there, and the mutant is reported KILLED (a test failed) or SURVIVED. Exit status 1 if
any survived or no longer applies (the code moved: update the `old` text here).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PKG = "server/hf_train_mcp/"

# (name, file, old, new, tests)
MUTANTS: list[tuple[str, str, str, str, list[str]]] = [
    (
        "full fine-tune on a T4 loads fp16 weights (plan)",
        "training/hardware_steps.py",
        'dtype = "float32" if req.peft == "full" else "float16"',
        'dtype = "float16"',
        [
            "tests/training/test_rendered_settings.py::test_full_fine_tune_on_a_t4_loads_fp32_weights_with_fp16_autocast"
        ],
    ),
    (
        "full fine-tune on a T4 loads fp16 weights (script)",
        "training/runner_trainer.py",
        '("float32" if cfg["peft"] == "full" else "float16")',
        '"float16"',
        [
            "tests/training/test_rendered_settings.py::test_full_fine_tune_on_a_t4_loads_fp32_weights_with_fp16_autocast"
        ],
    ),
    (
        "fp32 weights on a bf16 GPU train without bf16 autocast",
        "training/hardware_steps.py",
        '("bf16" if run.is_gpu else "no")',
        '("no" if run.is_gpu else "no")',
        [
            "tests/training/test_rendered_settings.py::test_fp32_weights_on_a_bf16_gpu_train_with_bf16_autocast"
        ],
    ),
    (
        "SFT script packs whatever the plan said",
        "training/runner_methods.py",
        '"packing": cfg["packing"],',
        '"packing": True,',
        ["tests/training/test_rendered_settings.py", "tests/training/test_runner.py"],
    ),
    (
        '"90min" parsed as 90 seconds',
        "jobs/timeouts.py",
        '"min": 60,',
        '"min": 1,',
        ["tests/jobs/test_costly_mistakes.py::test_the_hub_gets_the_timeout_the_user_wrote"],
    ),
    (
        "local-job deadline x5",
        "local_jobs/supervisor.py",
        "deadline = time.monotonic() + timeout if timeout",
        "deadline = time.monotonic() + timeout * 5 if timeout",
        ["tests/local_jobs/test_timeout_deadline.py"],
    ),
    (
        "T4 lint rule ignores fp16=False",
        "training/static_checks.py",
        "fp16 in (None, False)",
        "fp16 is None",
        ["tests/training/test_lint_boundaries.py::test_a_t4_script_that_ends_up_in_bf16_is_flagged_slow"],
    ),
    (
        "30-minute warning boundary (validate)",
        "training/script_push.py",
        "if seconds <= 30 * 60:",
        "if seconds < 30 * 60:",
        ["tests/training/test_lint_boundaries.py::test_validate_warns_up_to_thirty_minutes"],
    ),
    (
        "30-minute warning boundary (generate)",
        "training/hardware_steps.py",
        "elif timeout_s <= DEFAULT_TIMEOUT_SECONDS:",
        "elif timeout_s < DEFAULT_TIMEOUT_SECONDS:",
        [
            "tests/training/test_lint_boundaries.py::test_generate_warns_up_to_thirty_minutes_when_nothing_is_estimated"
        ],
    ),
    (
        "GRPO reference copy with an adapter too",
        "hardware/memory.py",
        'ref = plan.grpo_beta > 0 and plan.peft == "full"',
        "ref = plan.grpo_beta > 0",
        ["tests/hardware/test_reference_model_memory.py"],
    ),
    (
        "GRPO reference copy never counted",
        "hardware/memory.py",
        'ref = plan.grpo_beta > 0 and plan.peft == "full"',
        "ref = False",
        ["tests/hardware/test_reference_model_memory.py"],
    ),
    (
        "secret masking in text order (a secret before the longer one it starts)",
        "redact.py",
        "sorted(self._values, reverse=True)",
        "sorted(self._values)",
        ["tests/jobs/test_costly_mistakes.py::test_a_secret_containing_another_is_masked_whole"],
    ),
    (
        "scheduled trigger retried like a read",
        "jobs/hub_backend.py",
        "info = self._once(\n            lambda: self.api.trigger_scheduled_job(",
        "info = self._read(\n            lambda: self.api.trigger_scheduled_job(",
        [
            "tests/jobs/test_costly_mistakes.py::test_a_failed_trigger_is_not_sent_again",
            "tests/jobs/test_costly_mistakes.py::test_a_slow_trigger_is_not_sent_again",
        ],
    ),
    (
        "Retry-After ignored",
        "hub.py",
        "wait = retry_after if retry_after is not None else delay",
        "wait = delay if retry_after is not None else delay",
        ["tests/jobs/test_costly_mistakes.py::test_a_read_waits_as_long_as_retry_after_says"],
    ),
]


def copy_tree(dest: Path) -> None:
    ignore = shutil.ignore_patterns(".venv", ".git", "mutants", "__pycache__", ".pytest_cache", ".ruff_cache")
    shutil.copytree(ROOT, dest, ignore=ignore, dirs_exist_ok=True)


def run(only: set[str] | None = None) -> int:
    python = str(ROOT / ".venv" / "bin" / "python")
    if not Path(python).exists():
        python = sys.executable
    bad = 0
    with tempfile.TemporaryDirectory(prefix="known-mutants-") as tmp:
        work = Path(tmp) / "tree"
        copy_tree(work)
        env = {**os.environ, "PYTHONPATH": str(work / "server")}  # the copy's package, not the editable one
        for name, rel, old, new, tests in MUTANTS:
            if only and not any(o in name for o in only):
                continue
            path = work / PKG / rel
            original = path.read_text()
            if original.count(old) != 1:
                print(f"STALE     {name}: {rel} no longer has the text to mutate")
                bad += 1
                continue
            path.write_text(original.replace(old, new))
            try:
                result = subprocess.run(
                    [python, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", *tests],
                    cwd=work,
                    env=env,
                    capture_output=True,
                    text=True,
                    timeout=600,
                )
            finally:
                path.write_text(original)
            killed = result.returncode == 1
            if not killed:
                bad += 1
            tail = result.stdout.strip().splitlines()[-1:] or ["(no output)"]
            print(f"{'KILLED  ' if killed else 'SURVIVED'}  {name}  [{tail[0]}]", flush=True)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(run(set(sys.argv[1:]) or None))
