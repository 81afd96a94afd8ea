"""Serving MCP over HTTP safely: who may call (bearer tokens), which Host/Origin headers are accepted.

- Authentication uses the SDK's `TokenVerifier`/`AuthSettings`: every request needs
  `Authorization: Bearer <token>`, else 401. The token is the server's own shared secret (read from
  `--auth-token-file PATH` or `HF_TRAIN_MCP_AUTH_TOKEN`), or, with `--auth hf`, the caller's own Hugging
  Face token, checked with the Hub's whoami and then used for that caller's Hub calls (like the official
  Hugging Face MCP server).
- The server refuses to listen on an address other than loopback without authentication.
- DNS-rebinding protection is on for every bind, with explicit allowed hosts: the loopback names, the
  bound host, and each `--allowed-host` (the SDK only switches it on for the exact strings 127.0.0.1,
  localhost and ::1, so `--host 127.1` or `0.0.0.0` used to accept forged Host and Origin headers).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import os
import socket
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mcp.server.auth.provider import AccessToken
from mcp.server.auth.settings import AuthSettings
from mcp.server.transport_security import TransportSecuritySettings

AUTH_TOKEN_ENV = "HF_TRAIN_MCP_AUTH_TOKEN"
MIN_TOKEN_LENGTH = 16
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]")
HOW_TO_SET_A_TOKEN = (
    "Create a secret and give it to the server, e.g.\n"
    "  python -c 'import secrets; print(secrets.token_urlsafe(32))' > ~/.hf-train-mcp-token && "
    "chmod 600 ~/.hf-train-mcp-token\n"
    "  hf-train-mcp --transport http --host 0.0.0.0 --auth-token-file ~/.hf-train-mcp-token "
    "--allowed-host myserver.example:8000\n"
    f"(or set {AUTH_TOKEN_ENV}; or use --auth hf so that each caller sends its own Hugging Face token). "
    "Clients then send the header `Authorization: Bearer <token>`."
)


class HttpConfigError(Exception):
    """The HTTP options are unsafe or inconsistent; the message says what to change."""


def is_loopback(host: str) -> bool:
    if host.strip("[]").lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        pass
    try:  # the short IPv4 spellings the OS accepts: 127.1, 2130706433
        return ipaddress.IPv4Address(socket.inet_aton(host)).is_loopback
    except OSError:
        return False


def read_token(token_file: str | None) -> str | None:
    """The shared bearer token: from `token_file` (first line), else HF_TRAIN_MCP_AUTH_TOKEN, else None."""
    if token_file:
        try:
            token = Path(token_file).expanduser().read_text(encoding="utf-8").strip().splitlines()
        except OSError as exc:
            raise HttpConfigError(
                f"cannot read --auth-token-file {token_file}: {exc.strerror or exc}"
            ) from None
        value = token[0].strip() if token else ""
    else:
        value = (os.environ.get(AUTH_TOKEN_ENV) or "").strip()
    if not value:
        if token_file:
            raise HttpConfigError(f"--auth-token-file {token_file} is empty.\n{HOW_TO_SET_A_TOKEN}")
        return None
    if len(value) < MIN_TOKEN_LENGTH:
        raise HttpConfigError(
            f"the bearer token is too short ({len(value)} characters; at least {MIN_TOKEN_LENGTH}).\n"
            + HOW_TO_SET_A_TOKEN
        )
    return value


class SharedTokenVerifier:
    """Accepts exactly one token (compared in constant time)."""

    def __init__(self, token: str) -> None:
        self._digest = hashlib.sha256(token.encode()).digest()

    async def verify_token(self, token: str) -> AccessToken | None:
        if hmac.compare_digest(hashlib.sha256(token.encode()).digest(), self._digest):
            return AccessToken(token=token, client_id="hf-train-mcp-owner", scopes=[])
        return None


class HfTokenVerifier:
    """Accepts a Hugging Face token the Hub recognises (whoami), caching answers for a few minutes."""

    CACHE_S = 300.0

    def __init__(self) -> None:
        self._cache: dict[bytes, tuple[float, str | None]] = {}

    async def verify_token(self, token: str) -> AccessToken | None:
        import anyio

        key = hashlib.sha256(token.encode()).digest()
        cached = self._cache.get(key)
        if cached is None or time.monotonic() - cached[0] > self.CACHE_S:
            user = await anyio.to_thread.run_sync(_whoami, token)
            cached = (time.monotonic(), user)
            if len(self._cache) > 1000:
                self._cache.clear()
            self._cache[key] = cached
        user = cached[1]
        if user is None:
            return None
        return AccessToken(token=token, client_id=f"hf:{user}", subject=user, scopes=[])


def _whoami(token: str) -> str | None:
    from hf_train_mcp import hub

    try:
        with hub.call_budget():
            info = hub.get_api(token).whoami()
    except Exception:
        return None
    name = info.get("name") if isinstance(info, dict) else None
    return str(name) if name else None


@dataclass
class HttpSecurity:
    """Everything `MCPServer` and its HTTP app need: auth kwargs for the server, transport settings."""

    server_kwargs: dict[str, Any] = field(default_factory=dict)
    transport_security: TransportSecuritySettings | None = None
    mode: str = "none"  # "none", "token" or "hf"


def allowed_hosts(host: str, port: int, extra: list[str]) -> tuple[list[str], list[str]]:
    """Allowed Host and Origin header values for a bind on host:port."""
    names: list[str] = []
    for value in [*LOOPBACK_HOSTS, _bracket(host), *extra]:
        value = value.strip()
        if not value or value in ("0.0.0.0", "[::]"):
            continue
        names.append(value)
    hosts: list[str] = []
    origins: list[str] = []
    for name in dict.fromkeys(names):
        has_port = name.rsplit(":", 1)[-1].isdigit() and not name.endswith("]")
        patterns = [name] if has_port else [name, f"{name}:*"]
        hosts += patterns
        origins += [f"{scheme}://{p}" for p in patterns for scheme in ("http", "https")]
    return hosts, origins


def _bracket(host: str) -> str:
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def configure(
    *,
    host: str,
    port: int,
    auth: str,
    token_file: str | None,
    extra_hosts: list[str],
) -> HttpSecurity:
    """The security settings for serving on host:port, or `HttpConfigError` when that would be unsafe."""
    if auth not in ("auto", "token", "hf", "none"):
        raise HttpConfigError(f"--auth must be auto, token, hf or none, not {auth!r}")
    token = read_token(token_file) if auth in ("auto", "token") else None
    if auth == "token" and token is None:
        raise HttpConfigError("--auth token needs a token.\n" + HOW_TO_SET_A_TOKEN)
    if token_file and auth in ("hf", "none"):
        raise HttpConfigError(f"--auth-token-file conflicts with --auth {auth}.")
    mode = "hf" if auth == "hf" else ("token" if token else "none")
    if mode == "none" and not is_loopback(host):
        raise HttpConfigError(
            f"refusing to serve MCP over HTTP on {host} without authentication: anyone who can reach "
            "the port could start jobs billed to your Hugging Face account.\n" + HOW_TO_SET_A_TOKEN
        )
    hosts, origins = allowed_hosts(host, port, extra_hosts)
    security = HttpSecurity(
        transport_security=TransportSecuritySettings(
            enable_dns_rebinding_protection=True, allowed_hosts=hosts, allowed_origins=origins
        ),
        mode=mode,
    )
    if mode != "none":
        url = f"http://{_bracket(host)}:{port}"
        security.server_kwargs = {
            "token_verifier": SharedTokenVerifier(token) if mode == "token" else HfTokenVerifier(),
            "auth": AuthSettings(issuer_url=url, resource_server_url=None),  # type: ignore[arg-type]
        }
    return security
