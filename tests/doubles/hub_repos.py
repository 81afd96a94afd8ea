"""A loopback double of the Hub's repository API: what `huggingface_hub` 2.4 sends for
`model_info` / `dataset_info` / `repo_info`, `list_repo_files` / `list_repo_tree`,
`hf_hub_download`, `get_hf_file_metadata` and `file_exists` — so the real client runs against it.

    server = LoopbackServer().start()
    repos = install_repo_routes(server)
    repos.add_dataset("alice/qa", {"data/train.jsonl": b'{"question": "q", "answer": "a"}\\n'})
    repos.add_model("Qwen/Qwen3-0.6B", config={"model_type": "qwen3"}, parameters=596_049_920)
    monkeypatch.setenv("HF_ENDPOINT", server.url)

Access rules mirror the Hub: a private repo (or a missing one) answers 401 `RepoNotFound` without
a token and 404 `RepoNotFound` with one; a gated repo shows its metadata and file list to anyone
but answers a file download with 401 `GatedRepo` (no token) or 403 `GatedRepo` (token without
access). Tokens listed in `Repo.allowed_tokens` see private and gated repos.

Wire facts (read from huggingface_hub 2.4's hf_api.py / file_download.py / utils/_http.py):
- info: GET /api/{models|datasets|spaces}/{repo_id}[/revision/{rev}] -> JSON with `id`, `sha`,
  `private`, `gated`, `siblings` [{rfilename}], ...; models add `safetensors` {parameters, total}.
- tree: GET /api/{type}s/{repo_id}/tree/{rev}[/{path}]?recursive=..&expand=.. -> list of
  {"type": "file", "oid", "size", "path", "lfs"?} and {"type": "directory", "oid", "path"}; the
  client follows a `Link: <...>; rel="next"` header (one page here).
- file: HEAD then GET {endpoint}[/datasets|/spaces]/{repo_id}/resolve/{rev}/{path}; the client
  needs `X-Repo-Commit`, an `ETag` (or `X-Linked-Etag`) and `Content-Length`. Without
  `X-Xet-Hash` it downloads over plain HTTP.
- errors: the client maps the `X-Error-Code` header (RepoNotFound, RevisionNotFound,
  EntryNotFound, GatedRepo) and reads the text from `X-Error-Message` or the `{"error"}` body.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from doubles.http_double import LoopbackServer, Request, Response

REPO_ID = r"(?P<repo_id>[^/]+(?:/[^/]+)?)"
API = r"/api/(?P<kind>models|datasets|spaces)/"
TYPE_PREFIX = {"model": "", "dataset": "datasets/", "space": "spaces/"}
PLURAL = {"models": "model", "datasets": "dataset", "spaces": "space"}


@dataclass
class Repo:
    repo_id: str
    repo_type: str = "model"
    files: dict[str, bytes] = field(default_factory=dict)
    private: bool = False
    gated: bool | str = False  # False, "auto" or "manual"
    disabled: bool = False
    allowed_tokens: set[str] = field(default_factory=set)
    fixed_sha: str = ""  # the commit id; by default a hash of the files (changes when they do)
    extra_info: dict[str, Any] = field(default_factory=dict)  # merged into the info JSON
    lfs_over: int = 10_000  # files larger than this are listed with LFS metadata

    @property
    def sha(self) -> str:
        if self.fixed_sha:
            return self.fixed_sha
        digest = hashlib.sha1(f"{self.repo_type}/{self.repo_id}".encode())
        for path in sorted(self.files):
            digest.update(path.encode() + b"\0" + self.files[path])
        return digest.hexdigest()

    def add_file(self, path: str, content: bytes | str | dict | list) -> None:
        if isinstance(content, dict | list):
            content = json.dumps(content)
        self.files[path] = content.encode() if isinstance(content, str) else content

    def info(self) -> dict[str, Any]:
        author = self.repo_id.split("/")[0] if "/" in self.repo_id else None
        data: dict[str, Any] = {
            "_id": hashlib.md5(self.repo_id.encode()).hexdigest()[:24],
            "id": self.repo_id,
            "author": author,
            "sha": self.sha,
            "lastModified": "2026-01-15T10:00:00.000Z",
            "createdAt": "2025-06-01T10:00:00.000Z",
            "private": self.private,
            "gated": self.gated,
            "disabled": self.disabled,
            "downloads": 0,
            "likes": 0,
            "tags": [],
            "cardData": {},
            "siblings": [{"rfilename": p} for p in sorted(self.files)],
            "usedStorage": sum(len(b) for b in self.files.values()),
        }
        if self.repo_type == "model":
            data["modelId"] = self.repo_id
        data.update(self.extra_info)
        return data


@dataclass
class RepoStore:
    repos: dict[tuple[str, str], Repo] = field(default_factory=dict)

    def add(self, repo_id: str, repo_type: str = "model", files: dict[str, Any] | None = None,
            **kwargs: Any) -> Repo:
        repo = Repo(repo_id, repo_type, **kwargs)
        for path, content in (files or {}).items():
            repo.add_file(path, content)
        self.repos[(repo_type, repo_id)] = repo
        return repo

    def add_dataset(self, repo_id: str, files: dict[str, Any] | None = None, **kwargs: Any) -> Repo:
        files = {"README.md": f"# {repo_id}\n", **(files or {})}
        return self.add(repo_id, "dataset", files, **kwargs)

    def add_model(self, repo_id: str, *, config: dict[str, Any] | None = None,
                  parameters: int | None = None, dtype: str = "BF16",
                  files: dict[str, Any] | None = None, **kwargs: Any) -> Repo:
        """A model repo with a config.json (and `safetensors` parameter counts when given)."""
        all_files: dict[str, Any] = {"README.md": f"# {repo_id}\n",
                                     "config.json": config or {"model_type": "llama"}}
        all_files.update(files or {})
        extra = dict(kwargs.pop("extra_info", {}))
        extra.setdefault("pipeline_tag", "text-generation")
        extra.setdefault("library_name", "transformers")
        if config is not None:
            extra.setdefault("config", {k: v for k, v in config.items()
                                        if k in ("architectures", "model_type", "tokenizer_config")})
        if parameters is not None:
            extra["safetensors"] = {"parameters": {dtype: parameters}, "total": parameters}
        return self.add(repo_id, "model", all_files, extra_info=extra, **kwargs)

    def get(self, repo_type: str, repo_id: str) -> Repo | None:
        return self.repos.get((repo_type, repo_id))


def _token(request: Request) -> str | None:
    auth = request.headers.get("authorization", "")
    return auth[7:] if auth.lower().startswith("bearer ") else None


def _error(status: int, code: str | None, message: str) -> Response:
    headers = {"X-Error-Message": message}
    if code:
        headers["X-Error-Code"] = code
    return Response(status, {"error": message}, headers)


def _repo_not_found(request: Request) -> Response:
    status = 404 if _token(request) else 401
    return _error(status, "RepoNotFound", "Repository not found")


def _visible(repo: Repo | None, request: Request) -> bool:
    if repo is None:
        return False
    return not repo.private or _token(request) in repo.allowed_tokens


def _check_revision(repo: Repo, revision: str) -> Response | None:
    if unquote(revision) in ("main", repo.sha):
        return None
    return _error(404, "RevisionNotFound", f"Invalid rev id: {unquote(revision)}")


def _tree_entries(repo: Repo, prefix: str, recursive: bool) -> list[dict[str, Any]]:
    prefix = prefix.strip("/")
    base = f"{prefix}/" if prefix else ""
    files: list[dict[str, Any]] = []
    dirs: dict[str, dict[str, Any]] = {}
    for path in sorted(repo.files):
        if not path.startswith(base):
            continue
        rest = path[len(base):]
        parts = rest.split("/")
        for depth in range(1, len(parts)):
            if not recursive and depth > 1:
                break
            d = base + "/".join(parts[:depth])
            dirs.setdefault(d, {"type": "directory", "oid": hashlib.sha1(d.encode()).hexdigest(),
                                "size": 0, "path": d})
        if not recursive and len(parts) > 1:
            continue
        content = repo.files[path]
        entry: dict[str, Any] = {"type": "file", "oid": hashlib.sha1(content).hexdigest(),
                                 "size": len(content), "path": path}
        if len(content) > repo.lfs_over:
            entry["lfs"] = {"oid": hashlib.sha256(content).hexdigest(), "size": len(content),
                            "pointerSize": 134}
        files.append(entry)
    return sorted([*dirs.values(), *files], key=lambda e: e["path"])


def install_repo_routes(server: LoopbackServer) -> RepoStore:
    """Register the repository routes on `server`; returns the store tests fill."""
    store = RepoStore()

    def info(request: Request, kind: str, repo_id: str, revision: str | None = None) -> Response:
        repo = store.get(PLURAL[kind], repo_id)
        if not _visible(repo, request):
            return _repo_not_found(request)
        assert repo is not None
        if revision is not None and (bad := _check_revision(repo, revision)):
            return bad
        return Response(200, repo.info())

    server.route("GET", rf"{API}{REPO_ID}/revision/(?P<revision>[^/]+)")(info)

    @server.route("GET", rf"{API}{REPO_ID}/tree/(?P<revision>[^/]+)(?P<path>/.*)?")
    def tree(request: Request, kind: str, repo_id: str, revision: str, path: str | None = None) -> Response:
        repo = store.get(PLURAL[kind], repo_id)
        if not _visible(repo, request):
            return _repo_not_found(request)
        assert repo is not None
        if bad := _check_revision(repo, revision):
            return bad
        prefix = unquote(path or "").strip("/")
        entries = _tree_entries(repo, prefix, request.arg("recursive", "false") in ("true", "True", "1"))
        if prefix and not entries:
            return _error(404, "EntryNotFound", f"{prefix} does not exist on \"{revision}\"")
        return Response(200, entries)

    @server.route("POST", rf"{API}{REPO_ID}/paths-info/(?P<revision>[^/]+)")
    def paths_info(request: Request, kind: str, repo_id: str, revision: str) -> Response:
        repo = store.get(PLURAL[kind], repo_id)
        if not _visible(repo, request):
            return _repo_not_found(request)
        assert repo is not None
        body = request.body.decode()
        try:
            paths = json.loads(body).get("paths", [])
        except ValueError:
            from urllib.parse import parse_qs

            paths = parse_qs(body).get("paths", [])
        entries = [e for e in _tree_entries(repo, "", True) if e["path"] in set(paths)]
        return Response(200, entries)

    server.route("GET", rf"{API}{REPO_ID}")(info)

    def resolve(request: Request, repo_id: str, revision: str, path: str, kind: str = "model") -> Response:
        repo = store.get(kind, repo_id)
        if not _visible(repo, request):
            return _repo_not_found(request)
        assert repo is not None
        token = _token(request)
        if repo.gated and token not in repo.allowed_tokens:
            url = f"https://huggingface.co/{TYPE_PREFIX[kind]}{repo_id}"
            if token:
                return _error(403, "GatedRepo", f"Access to {kind} {repo_id} is restricted and you are "
                              f"not in the authorized list. Visit {url} to ask for access.")
            return _error(401, "GatedRepo", f"Access to {kind} {repo_id} is restricted. You must have "
                          "access to it and be authenticated to access it. Please log in.")
        if bad := _check_revision(repo, revision):
            return bad
        path = unquote(path)
        if path not in repo.files:
            return _error(404, "EntryNotFound", f"{path} does not exist on \"{unquote(revision)}\"")
        content = repo.files[path]
        headers = {
            "X-Repo-Commit": repo.sha,
            "ETag": f'"{hashlib.sha1(content).hexdigest()}"',
            "Accept-Ranges": "bytes",
        }
        if len(content) > repo.lfs_over:
            headers["X-Linked-Etag"] = f'"{hashlib.sha256(content).hexdigest()}"'
            headers["X-Linked-Size"] = str(len(content))
        rng = request.headers.get("range", "")
        if rng.startswith("bytes="):
            start_s, _, end_s = rng[6:].partition("-")
            start = int(start_s or 0)
            end = int(end_s) if end_s else len(content) - 1
            headers["Content-Range"] = f"bytes {start}-{end}/{len(content)}"
            return Response(206, content[start:end + 1], headers)
        return Response(200, content, headers)

    @server.route("GET", rf"/(?P<kind>datasets|spaces)/{REPO_ID}/resolve/(?P<revision>[^/]+)/(?P<path>.+)")
    def resolve_typed(request: Request, kind: str, repo_id: str, revision: str, path: str) -> Response:
        return resolve(request, repo_id, revision, path, PLURAL[kind])

    @server.route("GET", rf"/{REPO_ID}/resolve/(?P<revision>[^/]+)/(?P<path>.+)")
    def resolve_model(request: Request, repo_id: str, revision: str, path: str) -> Response:
        return resolve(request, repo_id, revision, path, "model")

    return store
