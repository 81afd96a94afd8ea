"""HTTP through a real server subprocess: bearer tokens, refusing unsafe binds, forged Host/Origin
headers, and local jobs/paths off unless --allow-local."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx2
import pytest
from security.doors import TOKEN, http_server, mcp_over_http, server_env

pytestmark = pytest.mark.anyio

INIT = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-11-25",
        "capabilities": {},
        "clientInfo": {"name": "probe", "version": "0"},
    },
}
ACCEPT = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


def post(port: int, *, host: str | None = None, token: str | None = None, origin: str | None = None) -> int:
    headers = dict(ACCEPT)
    if host:
        headers["Host"] = host
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if origin:
        headers["Origin"] = origin
    response = httpx2.post(f"http://127.0.0.1:{port}/mcp", json=INIT, headers=headers, timeout=30)
    return response.status_code


def test_refuses_a_public_bind_without_authentication(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "hf_train_mcp", "--transport", "http", "--host", "0.0.0.0", "--port", "1"],
        capture_output=True,
        text=True,
        timeout=60,
        env=server_env(),
    )
    assert proc.returncode == 2
    assert "without authentication" in proc.stderr
    assert "--auth-token-file" in proc.stderr and "HF_TRAIN_MCP_AUTH_TOKEN" in proc.stderr
    assert "Authorization: Bearer" in proc.stderr


def test_refuses_a_short_token(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "hf_train_mcp", "--transport", "http", "--host", "0.0.0.0", "--port", "1"],
        capture_output=True,
        text=True,
        timeout=60,
        env=server_env(HF_TRAIN_MCP_AUTH_TOKEN="short"),
    )
    assert proc.returncode == 2 and "too short" in proc.stderr


async def test_bearer_token_required(tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n")
    with http_server("--auth-token-file", str(token_file), tmp_path=tmp_path) as server:
        assert post(server.port) == 401
        assert post(server.port, token="wrong-token-wrong-token-wrong") == 401
        assert post(server.port, token=TOKEN) == 200
        async with mcp_over_http(server.url, TOKEN) as client:
            tools = await client.list_tools()
            assert {t.name for t in tools.tools} >= {"hf_jobs", "recommend_hardware", "inspect_dataset"}
        with pytest.raises(Exception):  # noqa: B017 - the client cannot even connect without it
            async with mcp_over_http(server.url) as client:
                await client.list_tools()


async def test_token_from_environment_on_a_public_bind_with_allowed_hosts(tmp_path: Path) -> None:
    env = server_env(HF_TRAIN_MCP_AUTH_TOKEN=TOKEN)
    with http_server(
        "--allowed-host", "trainer.example:8000", env=env, host="0.0.0.0", tmp_path=tmp_path
    ) as s:
        assert post(s.port, token=TOKEN) == 200
        assert post(s.port) == 401
        assert post(s.port, token=TOKEN, host="trainer.example:8000") == 200
        assert post(s.port, token=TOKEN, host="evil.example") in (403, 421)  # forged Host, valid token
        assert post(s.port, token=TOKEN, origin="http://evil.example") == 403
        assert post(s.port, token=TOKEN, origin="http://trainer.example:8000") == 200


@pytest.mark.parametrize("host", ["127.1", "127.0.0.1"])
async def test_dns_rebinding_protection_on_every_loopback_spelling(tmp_path: Path, host: str) -> None:
    with http_server(host=host, tmp_path=tmp_path) as server:
        assert post(server.port) == 200  # Host: 127.0.0.1:port
        assert post(server.port, host=f"{host}:{server.port}") == 200
        assert post(server.port, host="attacker.example") in (403, 421)
        assert post(server.port, origin="http://attacker.example") == 403


async def test_local_jobs_and_paths_are_off_over_http_without_allow_local(tmp_path: Path) -> None:
    script = Path.cwd() / "tests" / "security" / "conftest.py"
    with http_server(tmp_path=tmp_path) as server:
        async with mcp_over_http(server.url) as client:
            run = await client.call_tool(
                "hf_jobs", {"operation": "run", "args": {"command": ["id"], "flavor": "local"}}
            )
            assert run.is_error and "--allow-local" in run.content[0].text
            read = await client.call_tool("validate_training_script", {"script": str(script)})
            assert read.is_error and "--allow-local" in read.content[0].text
            assert "SilentHub" not in read.content[0].text  # nothing of the file is quoted
            rehearse = await client.call_tool("dry_run_training_script", {"script": "print(1)", "model": "x"})
            assert rehearse.is_error and "--allow-local" in rehearse.content[0].text
            data = await client.call_tool("inspect_dataset", {"dataset": str(script)})
            assert data.is_error and "--allow-local" in data.content[0].text
            ps = await client.call_tool("hf_jobs", {"operation": "ps"})
            assert "local-" not in ps.content[0].text
    with http_server("--allow-local", tmp_path=tmp_path) as server:
        async with mcp_over_http(server.url) as client:
            read = await client.call_tool("validate_training_script", {"script": str(script)})
            assert "--allow-local" not in read.content[0].text


async def test_stdio_keeps_local_access() -> None:
    from mcp import Client, StdioServerParameters

    params = StdioServerParameters(command=sys.executable, args=["-m", "hf_train_mcp"], env=server_env())
    async with Client(params) as client:
        result = await client.call_tool(
            "hf_jobs", {"operation": "run", "args": {"command": ["true"], "flavor": "local", "dry_run": True}}
        )
    assert not result.is_error, result.content[0].text


async def test_callers_own_hf_token_is_the_bearer_and_is_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from doubles.jobs_api import hub_double

    with hub_double(monkeypatch) as jobs_api:
        jobs_api.add_job()
        env = server_env(HF_ENDPOINT=os.environ["HF_ENDPOINT"])
        env.pop("HF_TOKEN", None)  # the server has no token of its own: each caller brings theirs
        with http_server("--auth", "hf", env=env, tmp_path=tmp_path) as server:
            assert post(server.port) == 401
            assert post(server.port, token="hf_NotARealTokenAtAll123456") == 401  # whoami refuses it
            async with mcp_over_http(server.url, jobs_api.token) as client:
                ps = await client.call_tool("hf_jobs", {"operation": "ps", "args": {"all": True}})
            text = "\n".join(getattr(b, "text", "") for b in ps.content)
            assert not ps.is_error, text
            assert jobs_api.token not in text
    seen = [
        r.headers.get("authorization") for r in jobs_api.server.requests if r.path.startswith("/api/jobs")
    ]
    assert seen and all(h == f"Bearer {jobs_api.token}" for h in seen)
