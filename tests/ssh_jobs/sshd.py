"""The SSH test server's description, shared by conftest.py and the tests."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

REQUIRE_ENV = "HF_TRAIN_MCP_REQUIRE_SSHD"
HF_TRAIN_MCP = Path(sys.executable).parent / "hf-train-mcp"


@dataclass
class Sshd:
    port: int
    root: Path
    client_key: Path
    other_key: Path  # a key the server does not accept
    known_hosts: Path
    user: str
    remote_data: Path  # the remote side's data dir

    def host_entry(self, name: str, **overrides: object) -> str:
        fields: dict[str, object] = {
            "host": f"{self.user}@127.0.0.1",
            "port": self.port,
            "key": str(self.client_key),
            "known_hosts": str(self.known_hosts),
            "host_key_checking": "yes",
            "ssh_config": "none",
            "data_dir": str(self.remote_data),
            "command": str(HF_TRAIN_MCP),
        }
        fields.update(overrides)
        body = "\n".join(
            f"{key} = {value}" if isinstance(value, int) else f'{key} = "{value}"'
            for key, value in fields.items()
            if value is not None
        )
        return f"[hosts.{name}]\n{body}\n"
