"""Fixtures for the hardware tests: a clean catalog and model cache, and a tiny loopback Hub.

The loopback Hub answers what huggingface_hub 2.4 sends for `model_info(expand=["safetensors"])`,
`hf_hub_download(repo, "config.json")` (HEAD, then GET) and `list_jobs_hardware()`, so the real
client runs against it. Everything else is a 404 with the Hub's RepoNotFound error code.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from hf_train_mcp.hardware import catalog, models


@pytest.fixture(autouse=True)
def clean_state() -> Iterator[None]:
    catalog.reset()
    models.clear_cache()
    yield
    catalog.reset()
    models.clear_cache()


@dataclass
class FakeHub:
    url: str = ""
    configs: dict[str, dict[str, Any]] = field(default_factory=dict)
    params: dict[str, int] = field(default_factory=dict)
    gated: set[str] = field(default_factory=set)
    hardware: list[dict[str, Any]] | None = None
    requests: list[str] = field(default_factory=list)


def _handler(hub: FakeHub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # quiet
            pass

        def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def _not_found(self, code: str = "RepoNotFound") -> None:
            body = json.dumps({"error": f"{code}: {self.path}"}).encode()
            self._send(404, body, {"X-Error-Code": code, "Content-Type": "application/json"})

        def do_HEAD(self) -> None:
            self.do_GET()

        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            hub.requests.append(f"{self.command} {path}")
            if path == "/api/jobs/hardware" and hub.hardware is not None:
                return self._send(
                    200, json.dumps(hub.hardware).encode(), {"Content-Type": "application/json"}
                )
            match = re.fullmatch(r"/api/models/([^/]+/[^/]+)(?:/revision/[^/]+)?", path)
            if match and (match.group(1) in hub.configs or match.group(1) in hub.params):
                repo = match.group(1)
                info: dict[str, Any] = {"id": repo, "sha": "0" * 40, "private": False, "siblings": []}
                if repo in hub.params:
                    info["safetensors"] = {
                        "parameters": {"BF16": hub.params[repo]},
                        "total": hub.params[repo],
                    }
                return self._send(200, json.dumps(info).encode(), {"Content-Type": "application/json"})
            match = re.fullmatch(r"/([^/]+/[^/]+)/resolve/([^/]+)/config\.json", path)
            if match and match.group(1) in hub.gated:
                body = b'{"error": "Access to model is restricted."}'
                return self._send(
                    401, body, {"X-Error-Code": "GatedRepo", "Content-Type": "application/json"}
                )
            if match and match.group(1) in hub.configs:
                body = json.dumps(hub.configs[match.group(1)]).encode()
                return self._send(
                    200,
                    body,
                    {
                        "X-Repo-Commit": "0" * 40,
                        "ETag": f'"{hashlib.sha1(body).hexdigest()}"',
                        "Content-Type": "application/json",
                    },
                )
            return self._not_found()

    return Handler


@pytest.fixture
def fake_hub(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeHub]:
    hub = FakeHub()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(hub))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    hub.url = f"http://127.0.0.1:{server.server_address[1]}"
    monkeypatch.setenv("HF_ENDPOINT", hub.url)
    try:
        yield hub
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture
def hardware_entries() -> list[dict[str, Any]]:
    """A live hardware list in the wire format (hub-jobs-wire.md), with a price change and a new GPU."""
    return [
        {
            "name": "cpu-basic",
            "prettyName": "CPU Basic",
            "cpu": "2 vCPU",
            "ram": "16 GB",
            "ephemeralStorage": "50 GB",
            "accelerator": None,
            "unitCostMicroUSD": 167,
            "unitCostUSD": 0.000167,
            "unitLabel": "minute",
        },
        {
            "name": "a10g-small",
            "prettyName": "Nvidia A10G - small",
            "cpu": "4 vCPU",
            "ram": "15 GB",
            "ephemeralStorage": "110 GB",
            "accelerator": {
                "type": "gpu",
                "model": "A10G",
                "quantity": "1",
                "vram": "24 GB",
                "manufacturer": "Nvidia",
            },
            "unitCostMicroUSD": 16667,
            "unitCostUSD": 0.016667,
            "unitLabel": "minute",
        },
        {
            "name": "a10g-largex2",
            "prettyName": "Nvidia A10G - large x2",
            "cpu": "24 vCPU",
            "ram": "92 GB",
            "ephemeralStorage": "1000 GB",
            "accelerator": {
                "type": "gpu",
                "model": "A10G",
                "quantity": "2",
                "vram": "48 GB",
                "manufacturer": "Nvidia",
            },
            "unitCostMicroUSD": 50000,
            "unitCostUSD": 0.05,
            "unitLabel": "minute",
        },
        {
            "name": "a100-large",
            "prettyName": "Nvidia A100 - large",
            "cpu": "12 vCPU",
            "ram": "142 GB",
            "ephemeralStorage": "1000 GB",
            "accelerator": {
                "type": "gpu",
                "model": "A100",
                "quantity": "1",
                "vram": "80 GB",
                "manufacturer": "Nvidia",
            },
            "unitCostMicroUSD": 41667,
            "unitCostUSD": 0.041667,
            "unitLabel": "minute",
        },
        {
            "name": "b300x1",
            "prettyName": "Nvidia B300",
            "cpu": "32 vCPU",
            "ram": "512 GB",
            "ephemeralStorage": "2000 GB",
            "accelerator": {
                "type": "gpu",
                "model": "B300",
                "quantity": "1",
                "vram": "288 GB",
                "manufacturer": "Nvidia",
            },
            "unitCostMicroUSD": 150000,
            "unitCostUSD": 0.15,
            "unitLabel": "minute",
        },
    ]
