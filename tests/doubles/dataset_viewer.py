"""A loopback double of the Hugging Face dataset viewer API (datasets-server): /is-valid, /splits,
/first-rows, /info and /size, with the response shapes of the public documentation
(huggingface/dataset-viewer docs/source/{valid,splits,first_rows,info,size}.md) and the error
behaviour of its libapi (status, `X-Error-Code` header, `{"error": ...}` body).

    server = LoopbackServer().start()
    viewer = install_viewer_routes(server)
    viewer.add("trl-lib/Capybara", {"train": rows, "test": rows[:2]}, num_rows={"train": 15806})
    monkeypatch.setenv("HF_DATASETS_SERVER", server.url)

Rules mirrored from the real service:
- A dataset that is missing, private or gated and not accessible: 401 `ExternalUnauthenticatedError`
  without a token, 404 `ExternalAuthenticatedError` with one (the service cannot tell which).
- A config/split that has no cached response: 404 `ResponseNotFound` ("Not found.").
- Not processed yet: 500 `ResponseNotReady`. Unsupported (a loading script): 501 with the
  job's error code, and /is-valid all false.
- Missing query parameter: 422 `MissingRequiredParameter`.
- /first-rows gives at most 100 rows; cells over `truncate_cells_over` characters (as JSON) are
  cut to that many characters of their JSON text and listed in `truncated_cells`, and the
  response then says `"truncated": true` as the real one does past 1 MB.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from doubles.http_double import LoopbackServer, Request, Response

NOT_ACCESSIBLE_UNAUTH = (
    "The dataset does not exist, or is not accessible without authentication (private or gated). "
    "Please check the spelling of the dataset name or retry with authentication."
)
NOT_ACCESSIBLE_AUTH = (
    "The dataset does not exist, or is not accessible with the current credentials (private or gated). "
    "Please check the spelling of the dataset name or retry with other authentication credentials."
)
NOT_READY = "The server is busier than usual and the response is not ready yet. Please retry later."
SCRIPT_ERROR = (
    "The dataset viewer doesn't support this dataset because it runs arbitrary Python code. You can "
    "convert it to a Parquet data-only dataset by using the convert_to_parquet CLI from the datasets "
    "library. See: https://huggingface.co/docs/datasets/main/en/cli#convert-to-parquet"
)


FEATURE_STYLES = ("list", "sequence", "legacy")


def feature_of(value: Any, style: str = "list") -> Any:
    """The `datasets` feature JSON for one Python value, as the viewer shows it for datasets written by
    different `datasets` versions: "list" (>= 4: `{"feature": ..., "_type": "List"}`), "sequence"
    (2.x-3.x: `_type: Sequence`) or "legacy" (a list of structs as `[{...}]`, how JSON-loaded chat
    columns of older datasets appear)."""
    if isinstance(value, bool):
        return {"dtype": "bool", "_type": "Value"}
    if isinstance(value, int):
        return {"dtype": "int64", "_type": "Value"}
    if isinstance(value, float):
        return {"dtype": "float64", "_type": "Value"}
    if isinstance(value, str) or value is None:
        return {"dtype": "string", "_type": "Value"}
    if isinstance(value, list):
        inner = feature_of(value[0], style) if value else {"dtype": "string", "_type": "Value"}
        if value and isinstance(value[0], dict):  # union of the keys of every element
            merged: dict[str, Any] = {}
            for item in value:
                for k, v in item.items():
                    merged.setdefault(k, feature_of(v, style))
            inner = merged
            if style == "legacy":
                return [inner]
        return {"feature": inner, "_type": "Sequence" if style == "sequence" else "List"}
    if isinstance(value, dict):
        return {k: feature_of(v, style) for k, v in value.items()}
    return {"dtype": "string", "_type": "Value"}


def features_of(rows: list[dict[str, Any]], style: str = "list") -> dict[str, Any]:
    features: dict[str, Any] = {}
    for row in rows:
        for key, value in row.items():
            if key not in features or (value is not None and features[key] == feature_of(None)):
                features[key] = feature_of(value, style)
    return features


@dataclass
class ViewerDataset:
    dataset: str
    # config -> split -> rows
    configs: dict[str, dict[str, list[dict[str, Any]]]]
    features: dict[str, dict[str, Any]] = field(default_factory=dict)  # config -> features JSON
    num_rows: dict[tuple[str, str], int] = field(default_factory=dict)  # (config, split) -> total rows
    private: bool = False  # private or gated without access: only `allowed_tokens` see it
    allowed_tokens: set[str] = field(default_factory=set)
    preview: bool = True  # /is-valid "preview"; False: /first-rows answers ResponseNotFound
    not_ready: bool = False  # every endpoint but /is-valid answers 500 ResponseNotReady
    unsupported: str | None = None  # an error code (e.g. DatasetWithScriptNotSupportedError): 501
    truncate_cells_over: int | None = None
    feature_style: str = "list"  # one of FEATURE_STYLES

    def features_for(self, config: str) -> dict[str, Any]:
        if config not in self.features:
            rows = [r for split_rows in self.configs[config].values() for r in split_rows]
            self.features[config] = features_of(rows, self.feature_style)
        return self.features[config]

    def total(self, config: str, split: str) -> int:
        return self.num_rows.get((config, split), len(self.configs[config][split]))


@dataclass
class ViewerStore:
    datasets: dict[str, ViewerDataset] = field(default_factory=dict)

    def add(
        self,
        dataset: str,
        splits: dict[str, list[dict[str, Any]]] | None = None,
        *,
        configs: dict[str, dict[str, list[dict[str, Any]]]] | None = None,
        num_rows: dict[str, int] | dict[tuple[str, str], int] | None = None,
        **kwargs: Any,
    ) -> ViewerDataset:
        """Add a dataset: `splits` for a single "default" config, or `configs` {config: {split: rows}}.
        `num_rows` {split: n} (default config) or {(config, split): n} overrides the row counts."""
        all_configs = configs if configs is not None else {"default": splits or {}}
        counts: dict[tuple[str, str], int] = {}
        for key, n in (num_rows or {}).items():
            counts[key if isinstance(key, tuple) else ("default", key)] = n
        entry = ViewerDataset(dataset, all_configs, num_rows=counts, **kwargs)
        self.datasets[dataset] = entry
        return entry


def _token(request: Request) -> str | None:
    auth = request.headers.get("authorization", "")
    return auth[7:] if auth.lower().startswith("bearer ") else None


def _error(status: int, code: str, message: str) -> Response:
    return Response(status, {"error": message}, {"X-Error-Code": code, "Cache-Control": "no-store"})


def _ok(body: Any) -> Response:
    return Response(200, body, {"Cache-Control": "max-age=120"})


def install_viewer_routes(server: LoopbackServer) -> ViewerStore:
    """Register the viewer routes on `server` (its url is then HF_DATASETS_SERVER)."""
    store = ViewerStore()

    def lookup(request: Request, *required: str) -> tuple[ViewerDataset | None, Response | None]:
        for name in ("dataset", *required):
            if not request.arg(name):
                return None, _error(422, "MissingRequiredParameter", f"Parameter '{name}' is required")
        entry = store.datasets.get(request.arg("dataset") or "")
        token = _token(request)
        if entry is None or (entry.private and token not in entry.allowed_tokens):
            if token:
                return None, _error(404, "ExternalAuthenticatedError", NOT_ACCESSIBLE_AUTH)
            return None, _error(401, "ExternalUnauthenticatedError", NOT_ACCESSIBLE_UNAUTH)
        if entry.unsupported:
            return None, _error(501, entry.unsupported, SCRIPT_ERROR)
        if entry.not_ready:
            return None, _error(500, "ResponseNotReady", NOT_READY)
        return entry, None

    @server.route("GET", r"/is-valid")
    def is_valid(request: Request) -> Response:
        entry, error = lookup(request)
        if error is not None:
            if error.status in (500, 501):
                return _ok(
                    {"viewer": False, "preview": False, "search": False, "filter": False, "statistics": False}
                )
            return error
        assert entry is not None
        return _ok(
            {
                "viewer": entry.preview,
                "preview": entry.preview,
                "search": entry.preview,
                "filter": entry.preview,
                "statistics": entry.preview,
            }
        )

    @server.route("GET", r"/splits")
    def splits(request: Request) -> Response:
        entry, error = lookup(request)
        if error is not None:
            return error
        assert entry is not None
        items = [
            {"dataset": entry.dataset, "config": config, "split": split}
            for config, by_split in entry.configs.items()
            for split in by_split
        ]
        return _ok({"splits": items, "pending": [], "failed": []})

    @server.route("GET", r"/first-rows")
    def first_rows(request: Request) -> Response:
        entry, error = lookup(request, "config", "split")
        if error is not None:
            return error
        assert entry is not None
        config, split = request.arg("config") or "", request.arg("split") or ""
        if not entry.preview or config not in entry.configs or split not in entry.configs[config]:
            return _error(404, "ResponseNotFound", "Not found.")
        features = entry.features_for(config)
        rows = []
        truncated = False
        for idx, row in enumerate(entry.configs[config][split][:100]):
            cells: dict[str, Any] = {}
            cut: list[str] = []
            for name in features:
                value = row.get(name)
                limit = entry.truncate_cells_over
                if limit is not None and len(json.dumps(value)) > limit:
                    value = json.dumps(value)[:limit]
                    cut.append(name)
                    truncated = True
                cells[name] = value
            rows.append({"row_idx": idx, "row": cells, "truncated_cells": cut})
        return _ok(
            {
                "dataset": entry.dataset,
                "config": config,
                "split": split,
                "features": [
                    {"feature_idx": i, "name": name, "type": ftype}
                    for i, (name, ftype) in enumerate(features.items())
                ],
                "rows": rows,
                "truncated": truncated,
            }
        )

    def info_of(entry: ViewerDataset, config: str) -> dict[str, Any]:
        by_split = entry.configs[config]
        return {
            "description": "",
            "citation": "",
            "homepage": "",
            "license": "",
            "features": entry.features_for(config),
            "builder_name": "json",
            "dataset_name": entry.dataset.split("/")[-1],
            "config_name": config,
            "version": {"version_str": "0.0.0", "major": 0, "minor": 0, "patch": 0},
            "splits": {
                split: {
                    "name": split,
                    "num_bytes": 1000 * entry.total(config, split),
                    "num_examples": entry.total(config, split),
                    "dataset_name": None,
                }
                for split in by_split
            },
            "download_size": 100 * sum(entry.total(config, s) for s in by_split),
            "dataset_size": 1000 * sum(entry.total(config, s) for s in by_split),
        }

    @server.route("GET", r"/info")
    def info(request: Request) -> Response:
        entry, error = lookup(request)
        if error is not None:
            return error
        assert entry is not None
        config = request.arg("config")
        if config is None:
            return _ok(
                {
                    "dataset_info": {c: info_of(entry, c) for c in entry.configs},
                    "pending": [],
                    "failed": [],
                    "partial": False,
                }
            )
        if config not in entry.configs:
            return _error(404, "ResponseNotFound", "Not found.")
        return _ok({"dataset_info": info_of(entry, config), "partial": False})

    @server.route("GET", r"/size")
    def size(request: Request) -> Response:
        entry, error = lookup(request)
        if error is not None:
            return error
        assert entry is not None
        split_sizes = []
        for config, by_split in entry.configs.items():
            ncols = len(entry.features_for(config))
            for split in by_split:
                n = entry.total(config, split)
                split_sizes.append(
                    {
                        "dataset": entry.dataset,
                        "config": config,
                        "split": split,
                        "num_bytes_parquet_files": 100 * n,
                        "num_bytes_memory": 1000 * n,
                        "num_rows": n,
                        "num_columns": ncols,
                    }
                )
        configs = [
            {
                "dataset": entry.dataset,
                "config": c,
                "num_bytes_original_files": sum(
                    s["num_bytes_parquet_files"] for s in split_sizes if s["config"] == c
                ),
                "num_bytes_parquet_files": sum(
                    s["num_bytes_parquet_files"] for s in split_sizes if s["config"] == c
                ),
                "num_bytes_memory": sum(s["num_bytes_memory"] for s in split_sizes if s["config"] == c),
                "num_rows": sum(s["num_rows"] for s in split_sizes if s["config"] == c),
                "num_columns": len(entry.features_for(c)),
            }
            for c in entry.configs
        ]
        total = {
            "dataset": entry.dataset,
            "num_bytes_original_files": sum(c["num_bytes_original_files"] for c in configs),
            "num_bytes_parquet_files": sum(c["num_bytes_parquet_files"] for c in configs),
            "num_bytes_memory": sum(c["num_bytes_memory"] for c in configs),
            "num_rows": sum(c["num_rows"] for c in configs),
        }
        return _ok(
            {
                "size": {"dataset": total, "configs": configs, "splits": split_sizes},
                "pending": [],
                "failed": [],
                "partial": False,
            }
        )

    return store
