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

Writes (`create_repo`, `upload_file`, `upload_folder`, `create_commit`, and so the Trainer's pushes)
need a bearer token registered with `store.add_user(name, token)`; that user may write to its own
namespace (and its `orgs`), and sees its private repos. No token or an unknown one: 401; a token
for another namespace: 403.
- create: POST /api/repos/create {name, organization, visibility?, type?} -> {"url"}; an existing
  repo answers 409 with the `url` too (what `create_repo(exist_ok=True)` reads after a 409).
- preupload: POST /api/{type}s/{repo_id}/preupload/{rev} {"files": [{path, sample, size}]} -> every
  file `"uploadMode": "regular"` (plus the git blob `oid` of a file already there, so the client
  skips unchanged files). 2.4's `upload_folder` goes through a Xet pipeline when `hf_xet` is
  installed, but only files the preupload answer calls "lfs" go to Xet: "regular" files ride the
  commit inline, so no LFS/Xet storage is needed here.
- commit: POST /api/{type}s/{repo_id}/commit/{rev}, NDJSON: a `header` {summary, description,
  parentCommit?}, then `file` {path, content (base64)}, `deletedFile`/`deletedFolder` {path};
  `lfsFile` is refused (400: nothing was uploaded to LFS here). Applied all-or-nothing; answers
  {"commitOid", "commitUrl", "success", "hookOutput"}. A stale `parentCommit` answers 412.
- README.md: `create_commit` first POSTs it to /api/validate-yaml {content, repoType}.
"""

from __future__ import annotations

import base64
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
GITATTRIBUTES = "*.safetensors filter=lfs diff=lfs merge=lfs -text\n"  # what a new Hub repo starts with


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
    commits: list[dict[str, Any]] = field(default_factory=list)  # what clients committed, oldest first
    # Space settings sent at creation, as the Hub reads them: sdk, hardware, sleepTimeSeconds.
    space_settings: dict[str, Any] = field(default_factory=dict)

    @property
    def sha(self) -> str:
        if self.fixed_sha:
            return self.fixed_sha
        digest = hashlib.sha1(f"{self.repo_type}/{self.repo_id}".encode())
        for path in sorted(self.files):
            digest.update(path.encode() + b"\0" + self.files[path])
        if self.commits:  # every commit is a new revision, even one that changes no bytes
            digest.update(f"commits:{len(self.commits)}".encode())
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
    users: dict[str, str] = field(default_factory=dict)  # write token -> user name
    orgs: dict[str, set[str]] = field(default_factory=dict)  # user name -> orgs it may write to

    def add_user(self, name: str, token: str, orgs: tuple[str, ...] = ()) -> str:
        """A user whose `token` may create repos and commit in `name/...` (and its orgs)."""
        self.users[token] = name
        self.orgs[name] = set(orgs)
        return token

    def owns(self, token: str | None, repo_id: str) -> bool:
        user = self.users.get(token or "")
        if user is None:
            return False
        namespace = repo_id.split("/")[0] if "/" in repo_id else user
        return namespace == user or namespace in self.orgs.get(user, set())

    def add(
        self, repo_id: str, repo_type: str = "model", files: dict[str, Any] | None = None, **kwargs: Any
    ) -> Repo:
        repo = Repo(repo_id, repo_type, **kwargs)
        for path, content in (files or {}).items():
            repo.add_file(path, content)
        self.repos[(repo_type, repo_id)] = repo
        return repo

    def add_dataset(self, repo_id: str, files: dict[str, Any] | None = None, **kwargs: Any) -> Repo:
        files = {"README.md": f"# {repo_id}\n", **(files or {})}
        return self.add(repo_id, "dataset", files, **kwargs)

    def add_model(
        self,
        repo_id: str,
        *,
        config: dict[str, Any] | None = None,
        parameters: int | None = None,
        dtype: str = "BF16",
        files: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> Repo:
        """A model repo with a config.json (and `safetensors` parameter counts when given)."""
        all_files: dict[str, Any] = {
            "README.md": f"# {repo_id}\n",
            "config.json": config or {"model_type": "llama"},
        }
        all_files.update(files or {})
        extra = dict(kwargs.pop("extra_info", {}))
        extra.setdefault("pipeline_tag", "text-generation")
        extra.setdefault("library_name", "transformers")
        if config is not None:
            extra.setdefault(
                "config",
                {k: v for k, v in config.items() if k in ("architectures", "model_type", "tokenizer_config")},
            )
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


def _readable(repo: Repo | None, request: Request) -> bool:
    if repo is None:
        return False
    return not repo.private or _token(request) in repo.allowed_tokens


def git_blob_oid(content: bytes) -> str:
    """The git blob id the real Hub reports for a regular file (what the client compares to skip it)."""
    return hashlib.sha1(b"blob %d\0" % len(content) + content).hexdigest()


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
        rest = path[len(base) :]
        parts = rest.split("/")
        for depth in range(1, len(parts)):
            if not recursive and depth > 1:
                break
            d = base + "/".join(parts[:depth])
            dirs.setdefault(
                d, {"type": "directory", "oid": hashlib.sha1(d.encode()).hexdigest(), "size": 0, "path": d}
            )
        if not recursive and len(parts) > 1:
            continue
        content = repo.files[path]
        entry: dict[str, Any] = {
            "type": "file",
            "oid": hashlib.sha1(content).hexdigest(),
            "size": len(content),
            "path": path,
        }
        if len(content) > repo.lfs_over:
            entry["lfs"] = {
                "oid": hashlib.sha256(content).hexdigest(),
                "size": len(content),
                "pointerSize": 134,
            }
        files.append(entry)
    return sorted([*dirs.values(), *files], key=lambda e: e["path"])


def install_repo_routes(server: LoopbackServer) -> RepoStore:
    """Register the repository routes on `server`; returns the store tests fill."""
    store = RepoStore()

    def _visible(repo: Repo | None, request: Request) -> bool:
        return _readable(repo, request) or (repo is not None and store.owns(_token(request), repo.repo_id))

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
            return _error(404, "EntryNotFound", f'{prefix} does not exist on "{revision}"')
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
                return _error(
                    403,
                    "GatedRepo",
                    f"Access to {kind} {repo_id} is restricted and you are "
                    f"not in the authorized list. Visit {url} to ask for access.",
                )
            return _error(
                401,
                "GatedRepo",
                f"Access to {kind} {repo_id} is restricted. You must have "
                "access to it and be authenticated to access it. Please log in.",
            )
        if bad := _check_revision(repo, revision):
            return bad
        path = unquote(path)
        if path not in repo.files:
            return _error(404, "EntryNotFound", f'{path} does not exist on "{unquote(revision)}"')
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
            return Response(206, content[start : end + 1], headers)
        return Response(200, content, headers)

    @server.route("GET", rf"/(?P<kind>datasets|spaces)/{REPO_ID}/resolve/(?P<revision>[^/]+)/(?P<path>.+)")
    def resolve_typed(request: Request, kind: str, repo_id: str, revision: str, path: str) -> Response:
        return resolve(request, repo_id, revision, path, PLURAL[kind])

    @server.route("GET", rf"/{REPO_ID}/resolve/(?P<revision>[^/]+)/(?P<path>.+)")
    def resolve_model(request: Request, repo_id: str, revision: str, path: str) -> Response:
        return resolve(request, repo_id, revision, path, "model")

    _install_write_routes(server, store, _visible)
    return store


def _apply_commit(repo: Repo, lines: list[dict[str, Any]]) -> Response | None:
    """Apply a commit's operations to `repo` all-or-nothing; an error answer, or None when applied."""
    header: dict[str, Any] = {}
    files = dict(repo.files)
    changed: list[str] = []
    for line in lines:
        key, value = line.get("key"), line.get("value") or {}
        path = str(value.get("path", "")).strip("/")
        if key == "header":
            header = value
        elif key == "file":
            if value.get("encoding", "base64") != "base64":
                return _error(400, None, f"unsupported encoding {value.get('encoding')!r} for {path}")
            files[path] = base64.b64decode(value.get("content", ""))
            changed.append(path)
        elif key == "deletedFile":
            if path not in files:
                return _error(404, "EntryNotFound", f"A file with this name doesn't exist: {path}")
            del files[path]
            changed.append(path)
        elif key == "deletedFolder":
            gone = [p for p in files if p.startswith(path + "/")]
            if not gone:
                return _error(404, "EntryNotFound", f"A folder with this name doesn't exist: {path}")
            for p in gone:
                del files[p]
            changed.extend(gone)
        elif key == "lfsFile":
            return _error(
                400,
                None,
                f"{path}: LFS/Xet files are not stored by this double (the preupload "
                "answer said 'regular'; send the content inline)",
            )
        else:
            return _error(400, None, f"unknown commit operation {key!r}")
    if not header.get("summary"):
        return _error(400, None, "commit header with a summary is required")
    parent = header.get("parentCommit")
    if parent and not repo.sha.startswith(parent):
        return _error(412, None, "A commit has happened since. Please refresh and try again.")
    repo.files = files
    repo.commits.append(
        {"summary": header["summary"], "description": header.get("description", ""), "paths": changed}
    )
    return None


def _install_write_routes(server: LoopbackServer, store: RepoStore, visible: Any) -> None:
    """create_repo, preupload, commit and validate-yaml: what the client sends to write to a repo."""

    def writer_denied(request: Request, repo_id: str) -> Response | None:
        token = _token(request)
        if token is None:
            return _error(401, None, "Invalid username or password.")
        if token not in store.users:
            return _error(401, None, "Invalid credentials in Authorization header")
        if not store.owns(token, repo_id):
            return _error(403, None, f"You don't have the rights to write to {repo_id}")
        return None

    def repo_url(repo_type: str, repo_id: str) -> str:
        return f"{server.url}/{TYPE_PREFIX[repo_type]}{repo_id}"

    @server.route("POST", "/api/repos/create")
    def create(request: Request) -> Response:
        body = request.json() or {}
        name, organization = body.get("name"), body.get("organization")
        repo_type = body.get("type") or "model"
        if not name or repo_type not in TYPE_PREFIX:
            return _error(400, None, "a repo name and a valid type are required")
        user = store.users.get(_token(request) or "")
        repo_id = f"{organization or user}/{name}"
        if denied := writer_denied(request, repo_id):
            return denied
        if store.get(repo_type, repo_id) is not None:
            return Response(
                409,
                {"error": f"You already created this {repo_type} repo", "url": repo_url(repo_type, repo_id)},
            )
        repo = store.add(
            repo_id,
            repo_type,
            files={".gitattributes": GITATTRIBUTES},
            private=body.get("visibility", "public") != "public",
        )
        if repo_type == "space":
            repo.space_settings = {k: body[k] for k in ("sdk", "hardware", "sleepTimeSeconds") if k in body}
        return Response(
            200,
            {
                "url": repo_url(repo_type, repo_id),
                "name": repo_id,
                "id": hashlib.md5(repo_id.encode()).hexdigest()[:24],
            },
        )

    def writable(
        request: Request, kind: str, repo_id: str, revision: str
    ) -> tuple[Repo | None, Response | None]:
        repo = store.get(PLURAL[kind], repo_id)
        if not visible(repo, request):  # missing, or private to someone else: as the Hub, not found
            return None, _repo_not_found(request)
        if denied := writer_denied(request, repo_id):
            return None, denied
        assert repo is not None
        if unquote(revision) != "main":
            return None, _error(404, "RevisionNotFound", f"Invalid rev id: {unquote(revision)}")
        if request.arg("create_pr"):
            return None, _error(400, None, "pull requests are not supported by this double")
        return repo, None

    @server.route("POST", rf"{API}{REPO_ID}/preupload/(?P<revision>[^/]+)")
    def preupload(request: Request, kind: str, repo_id: str, revision: str) -> Response:
        repo, denied = writable(request, kind, repo_id, revision)
        if denied is not None:
            return denied
        assert repo is not None
        answer = []
        for entry in (request.json() or {}).get("files", []):
            path = entry["path"]
            item: dict[str, Any] = {"path": path, "uploadMode": "regular", "shouldIgnore": False}
            if path in repo.files:
                item["oid"] = git_blob_oid(repo.files[path])
            answer.append(item)
        return Response(200, {"files": answer, "commitOid": repo.sha})

    @server.route("POST", rf"{API}{REPO_ID}/commit/(?P<revision>[^/]+)")
    def commit(request: Request, kind: str, repo_id: str, revision: str) -> Response:
        repo, denied = writable(request, kind, repo_id, revision)
        if denied is not None:
            return denied
        assert repo is not None
        try:
            lines = [json.loads(line) for line in request.body.splitlines() if line.strip()]
        except ValueError:
            return _error(400, None, "the commit body is not NDJSON")
        if failed := _apply_commit(repo, lines):
            return failed
        sha = repo.sha
        repo.commits[-1]["oid"] = sha
        return Response(
            200,
            {
                "success": True,
                "commitOid": sha,
                "hookOutput": "",
                "commitUrl": f"{repo_url(repo.repo_type, repo_id)}/commit/{sha}",
            },
        )

    @server.route("POST", "/api/validate-yaml")
    def validate_yaml(request: Request) -> Response:
        import yaml

        content = str((request.json() or {}).get("content", ""))
        if content.startswith("---"):
            front, sep, _ = content[3:].partition("\n---")
            try:
                if not sep:
                    raise ValueError("the metadata block is not closed with ---")
                data = yaml.safe_load(front)
                if data is not None and not isinstance(data, dict):
                    raise ValueError("the metadata is not a mapping")
            except (yaml.YAMLError, ValueError) as exc:
                errors = [{"message": f"Invalid YAML metadata: {exc}"}]
                return Response(400, {"errors": errors, "warnings": []})
        return Response(200, {"errors": [], "warnings": []})
