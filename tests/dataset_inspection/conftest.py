"""Fixtures: one loopback server carrying the dataset viewer and the Hub repo doubles, with
HF_DATASETS_SERVER and HF_ENDPOINT pointed at it and retries without waiting."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from doubles.dataset_viewer import ViewerStore, install_viewer_routes
from doubles.http_double import LoopbackServer
from doubles.hub_repos import RepoStore, install_repo_routes
from hf_train_mcp.dataset_inspection import viewer_client


@dataclass
class FakeHub:
    server: LoopbackServer
    viewer: ViewerStore
    repos: RepoStore


@pytest.fixture(scope="module")
def _shared_server() -> Iterator[FakeHub]:
    # One server per module: stopping one costs half a second (serve_forever's poll interval).
    server = LoopbackServer().start()
    try:
        yield FakeHub(server, install_viewer_routes(server), install_repo_routes(server))
    finally:
        server.stop()


@pytest.fixture
def fake_hub(_shared_server: FakeHub, monkeypatch: pytest.MonkeyPatch) -> FakeHub:
    hub = _shared_server
    hub.viewer.datasets.clear()
    hub.repos.repos.clear()
    with hub.server._lock:
        hub.server.requests.clear()
        hub.server._faults.clear()
    monkeypatch.setenv("HF_DATASETS_SERVER", hub.server.url)
    monkeypatch.setenv("HF_ENDPOINT", hub.server.url)
    monkeypatch.setattr(viewer_client, "RETRY_BASE_DELAY", 0.0)
    return hub
