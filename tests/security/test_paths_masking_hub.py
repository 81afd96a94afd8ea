"""Paths limited to sensible places, secret masking scoped and bounded, and a silent or offline Hub that
cannot keep a tool from answering — through an in-process MCP client."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from hf_train_mcp.app import build_server
from mcp import Client
from security.doors import SilentHub

pytestmark = pytest.mark.anyio


def _text(result) -> str:  # type: ignore[no-untyped-def]
    return "\n".join(getattr(block, "text", "") for block in result.content)


@pytest.fixture
def narrow_roots(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Only the working directory and the data directory are allowed (no configured folders)."""
    monkeypatch.delenv("HF_TRAIN_MCP_ALLOWED_PATHS", raising=False)
    monkeypatch.setenv("HF_TRAIN_MCP_DATA_DIR", str(tmp_path / "data"))
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return work


async def test_script_paths_are_read_only_inside_the_roots(narrow_roots: Path, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere.py"
    outside.write_text("SECRET_MARKER = 1\n")
    notes = narrow_roots / "notes.txt"
    notes.write_text("PRIVATE NOTES\n")
    broken = narrow_roots / "broken.py"
    broken.write_text("PRIVATE = (\n")
    inside = narrow_roots / "train.py"
    inside.write_text("print('hello')\n")
    async with Client(build_server()) as client:
        passwd = await client.call_tool("validate_training_script", {"script": "/etc/passwd"})
        assert passwd.is_error and "outside the folders" in _text(passwd) and "root:" not in _text(passwd)
        far = await client.call_tool("validate_training_script", {"script": str(outside)})
        assert far.is_error and "--allow-path" in _text(far) and "SECRET_MARKER" not in _text(far)
        txt = await client.call_tool("validate_training_script", {"script": str(notes)})
        assert txt.is_error and "not a .py file" in _text(txt) and "PRIVATE" not in _text(txt)
        bad = await client.call_tool("validate_training_script", {"script": str(broken)})
        assert bad.is_error and "not valid Python" in _text(bad) and "PRIVATE" not in _text(bad)
        ok = await client.call_tool("validate_training_script", {"script": str(inside)})
        assert not ok.is_error, _text(ok)
        dry = await client.call_tool("dry_run_training_script", {"script": "/etc/passwd", "model": "x"})
        assert dry.is_error and "root:" not in _text(dry)


async def test_save_to_writes_only_inside_the_roots(narrow_roots: Path, tmp_path: Path) -> None:
    target = tmp_path / "outside" / "train.py"
    arguments = {"model": "Qwen/Qwen2.5-0.5B", "dataset": "trl-lib/Capybara", "method": "sft"}
    arguments.update({"flavor": "l4x1", "timeout": "3h", "hub_model_id": "me/qwen-sft"})
    async with Client(build_server()) as client:
        refused = await client.call_tool("generate_training_script", {**arguments, "save_to": str(target)})
        assert refused.is_error and "`save_to`" in _text(refused) and "outside the folders" in _text(refused)
        assert not target.exists()
        saved = await client.call_tool("generate_training_script", {**arguments, "save_to": "out/train.py"})
        assert not saved.is_error, _text(saved)
    assert (narrow_roots / "out" / "train.py").is_file()


def test_masking_is_scoped_to_the_caller_and_bounded() -> None:
    from hf_train_mcp import redact

    alice, bob = redact.SecretSet(), redact.SecretSet()
    with redact.caller_scope(alice):
        redact.register_secret("alice-password-123")
        redact.register_secret("true")  # too short to be a secret worth masking
        assert redact.redact("x alice-password-123 true") == "x *** true"
    with redact.caller_scope(bob):
        assert redact.redact("x alice-password-123") == "x alice-password-123"  # not Alice's business
    with redact.caller_scope(redact.SecretSet()), pytest.raises(redact.TooManySecretsError):
        for i in range(redact.MAX_SECRETS_PER_CALL + 1):
            redact.register_secret(f"many-secrets-{i:06d}")
    crowded = redact.SecretSet(limit=3)
    for value in ("first-secret", "second-secret", "third-secret", "fourth-secret"):
        crowded.add(value)
    assert len(crowded) == 3  # the oldest stopped being masked, the newest is


async def test_one_call_cannot_register_thousands_of_secrets() -> None:
    secrets = {f"S{i}": f"value-number-{i:08d}" for i in range(5000)}
    async with Client(build_server()) as client:
        started = time.monotonic()
        result = await client.call_tool(
            "hf_jobs",
            {"operation": "run", "args": {"command": ["true"], "secrets": secrets, "dry_run": True}},
        )
        elapsed = time.monotonic() - started
        later = await client.call_tool("recommend_hardware", {"flavor": "a10g-large", "hours": 1})
    assert result.is_error and "too many secret values in one call" in _text(result)
    assert elapsed < 10  # registering stops at the cap (the old masking froze every client for seconds)
    assert not later.is_error and "value-number" not in _text(later)


async def test_a_silent_hub_costs_a_tool_its_budget_not_minutes(
    silent_hub: SilentHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_ENDPOINT", silent_hub.url)
    monkeypatch.setenv("HF_DATASETS_SERVER", silent_hub.url)
    monkeypatch.setenv("HF_TOKEN", "plain-token-for-the-silent-hub-test")
    monkeypatch.setenv("HF_TRAIN_MCP_HUB_TIMEOUT", "1")
    from hf_train_mcp import hub

    budget = hub.budget_seconds()
    assert budget == 5.0
    async with Client(build_server()) as client:
        for tool, arguments in [
            ("hf_jobs", {"operation": "ps"}),
            ("inspect_dataset", {"dataset": "acme/chat"}),
            ("recommend_hardware", {"model": "acme/unknown-7b"}),
            ("prepare_training", {"model": "acme/unknown-7b", "dataset": "acme/chat"}),
        ]:
            started = time.monotonic()
            result = await client.call_tool(tool, arguments)
            elapsed = time.monotonic() - started
            # ps still lists the local jobs and says the Hub part failed; the others are errors
            assert result.is_error == (tool != "hf_jobs"), (tool, _text(result))
            assert elapsed < budget + 3, (tool, elapsed)  # the budget, and the answer's own work
            assert "did not answer" in _text(result), _text(result)


async def test_offline_answers_at_once_without_retrying(monkeypatch: pytest.MonkeyPatch) -> None:
    import huggingface_hub.constants

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    async with Client(build_server()) as client:
        started = time.monotonic()
        result = await client.call_tool("inspect_dataset", {"dataset": "acme/chat"})
        elapsed = time.monotonic() - started
    assert result.is_error and "HF_HUB_OFFLINE is set" in _text(result)
    assert elapsed < 5


def test_hub_errors_are_domain_errors_not_mcp_errors() -> None:
    from hf_train_mcp import hub
    from hf_train_mcp.errors import AgentError, HubError
    from hf_train_mcp.local_jobs.backend import LocalJobError

    error = hub.hub_error(TimeoutError("read timed out"), what="list jobs")
    assert isinstance(error, HubError) and "Could not list jobs" in str(error)
    assert issubclass(LocalJobError, AgentError)
    assert not [c for c in HubError.__mro__ if c.__module__.startswith("mcp.")]
