"""One loopback server that is the whole Hub: Jobs API, repos and dataset viewer, with sample repos."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from doubles.dataset_viewer import ViewerStore, install_viewer_routes
from doubles.hub_repos import RepoStore, install_repo_routes
from doubles.jobs_api import JobsApiState, hub_double

MODEL = "Qwen/Qwen2.5-0.5B"
QWEN_CONFIG = {
    "architectures": ["Qwen2ForCausalLM"],
    "model_type": "qwen2",
    "hidden_size": 896,
    "intermediate_size": 4864,
    "num_hidden_layers": 24,
    "num_attention_heads": 14,
    "num_key_value_heads": 2,
    "vocab_size": 151936,
    "max_position_embeddings": 32768,
    "tie_word_embeddings": True,
}
CHAT_ROWS = [
    {
        "messages": [
            {"role": "user", "content": f"What is {i}+{i}?"},
            {"role": "assistant", "content": str(2 * i)},
        ]
    }
    for i in range(8)
]
QA_ROWS = [{"question": f"Capital number {i}?", "answer": f"City {i}", "source": "quiz"} for i in range(8)]
PREF_ROWS = [{"prompt": f"Say hi #{i}", "chosen": "Hello!", "rejected": "Go away."} for i in range(8)]
PREF_MAP_ROWS = [{"instruction": f"Say hi #{i}", "good": "Hello!", "bad": "Go away."} for i in range(8)]
NUMBER_ROWS = [{"x": i, "y": i * i} for i in range(8)]


@dataclass
class FakeHub:
    jobs: JobsApiState
    repos: RepoStore
    viewer: ViewerStore

    @property
    def token(self) -> str:
        return self.jobs.token


@contextmanager
def full_hub(monkeypatch: Any) -> Iterator[FakeHub]:
    """The doubles on one server, env pointed at it, a sample model and five sample datasets."""
    with hub_double(monkeypatch) as jobs:
        server = jobs.server
        monkeypatch.setenv("HF_DATASETS_SERVER", server.url)
        hub = FakeHub(jobs, install_repo_routes(server), install_viewer_routes(server))
        hub.repos.add_model(MODEL, config=QWEN_CONFIG, parameters=494_032_768)
        for name, rows in {
            "acme/chat": CHAT_ROWS,
            "acme/qa": QA_ROWS,
            "acme/prefs": PREF_ROWS,
            "acme/prefs-to-map": PREF_MAP_ROWS,
            "acme/numbers": NUMBER_ROWS,
        }.items():
            hub.viewer.add(name, {"train": rows}, num_rows={"train": 2000})
            hub.repos.add_dataset(name)
        yield hub
