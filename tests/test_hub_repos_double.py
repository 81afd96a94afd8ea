"""The Hub repo double's write routes, driven by the real `huggingface_hub` 2.4 client: creating a repo,
uploading files and folders (inline "regular" uploads, even with hf_xet installed), deleting, and the
token rules a push depends on. The training tests trust this double to stand in for the Hub's writes.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from doubles.http_double import LoopbackServer
from doubles.hub_repos import RepoStore, install_repo_routes
from huggingface_hub import CommitOperationDelete, HfApi, hf_hub_download
from huggingface_hub.errors import HfHubHTTPError, RepositoryNotFoundError

ALICE = "hf_alice_write_token"
BOB = "hf_bob_write_token"


@pytest.fixture
def hub(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[tuple[LoopbackServer, RepoStore]]:
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))  # no token saved on this machine is used
    monkeypatch.delenv("HF_TOKEN", raising=False)
    with LoopbackServer() as server:
        repos = install_repo_routes(server)
        repos.add_user("alice", ALICE, orgs=("acme",))
        repos.add_user("bob", BOB)
        yield server, repos


def api(server: LoopbackServer, token: str | bool) -> HfApi:
    return HfApi(endpoint=server.url, token=token)


def status_of(excinfo: pytest.ExceptionInfo[HfHubHTTPError]) -> int:
    assert excinfo.value.response is not None
    return excinfo.value.response.status_code


def test_create_repo_makes_a_private_repo_and_answers_409_when_it_exists(hub) -> None:
    server, repos = hub
    alice = api(server, ALICE)
    url = alice.create_repo("alice/run", private=True)
    assert url.repo_id == "alice/run" and url.endpoint == server.url
    repo = repos.get("model", "alice/run")
    assert repo is not None and repo.private and ".gitattributes" in repo.files

    with pytest.raises(HfHubHTTPError) as excinfo:
        alice.create_repo("alice/run")
    assert status_of(excinfo) == 409
    assert alice.create_repo("alice/run", exist_ok=True).repo_id == "alice/run"  # 409 + url: fine
    assert alice.create_repo("acme/data", repo_type="dataset").repo_id == "acme/data"  # an org of alice's

    assert alice.model_info("alice/run").private is True  # the owner sees it ...
    with pytest.raises(RepositoryNotFoundError):
        api(server, BOB).model_info("alice/run")  # ... nobody else does
    with pytest.raises(RepositoryNotFoundError):
        api(server, False).model_info("alice/run")


@pytest.mark.parametrize(("token", "status"), [(False, 401), ("hf_unknown", 401), (BOB, 403)])
def test_create_repo_needs_a_token_for_the_namespace(hub, token: str | bool, status: int) -> None:
    server, repos = hub
    with pytest.raises(HfHubHTTPError) as excinfo:
        api(server, token).create_repo("alice/run", exist_ok=True)
    assert status_of(excinfo) == status
    assert repos.get("model", "alice/run") is None


def test_upload_folder_and_file_store_the_bytes_the_client_reads_back(hub, tmp_path: Path) -> None:
    server, repos = hub
    folder = tmp_path / "ckpt"
    (folder / "sub").mkdir(parents=True)
    (folder / "trainer_state.json").write_text('{"global_step": 2}')
    weights = bytes(range(256)) * 200  # binary, over the double's LFS listing size: still sent inline
    (folder / "sub" / "adapter_model.safetensors").write_bytes(weights)
    alice = api(server, ALICE)
    alice.create_repo("alice/run", private=True)

    info = alice.upload_folder(
        folder_path=folder, repo_id="alice/run", path_in_repo="last-checkpoint", commit_message="step 2"
    )
    repo = repos.get("model", "alice/run")
    assert repo is not None
    assert info.oid == repo.sha and info.commit_url.endswith(f"/alice/run/commit/{repo.sha}")
    assert repo.commits[-1]["summary"] == "step 2"
    assert repo.files["last-checkpoint/sub/adapter_model.safetensors"] == weights
    assert not server.received("POST", r"/xet|/lfs|\.git/info/lfs")  # nothing went the large-file way

    card = "---\nlicense: mit\ntags:\n- trl\n---\n# run\n"
    alice.upload_file(path_or_fileobj=card.encode(), path_in_repo="README.md", repo_id="alice/run")
    assert len(server.received("POST", "/api/validate-yaml")) == 1
    assert sorted(alice.list_repo_files("alice/run")) == [
        ".gitattributes",
        "README.md",
        "last-checkpoint/sub/adapter_model.safetensors",
        "last-checkpoint/trainer_state.json",
    ]
    local = hf_hub_download(
        "alice/run",
        "last-checkpoint/sub/adapter_model.safetensors",
        endpoint=server.url,
        token=ALICE,
        cache_dir=tmp_path / "cache",
    )
    assert Path(local).read_bytes() == weights

    # The same folder again: the preupload answer carries each file's oid, so nothing is committed.
    commits = len(repo.commits)
    alice.upload_folder(folder_path=folder, repo_id="alice/run", path_in_repo="last-checkpoint")
    assert len(repo.commits) == commits
    (folder / "trainer_state.json").write_text('{"global_step": 3}')
    alice.upload_folder(folder_path=folder, repo_id="alice/run", path_in_repo="last-checkpoint")
    assert repo.commits[-1]["paths"] == ["last-checkpoint/trainer_state.json"]
    assert repo.files["last-checkpoint/trainer_state.json"] == b'{"global_step": 3}'


def test_deletions_and_a_stale_parent_commit(hub) -> None:
    server, repos = hub
    alice = api(server, ALICE)
    alice.create_repo("alice/run")
    alice.upload_file(path_or_fileobj=b"a", path_in_repo="keep.txt", repo_id="alice/run")
    alice.upload_file(path_or_fileobj=b"b", path_in_repo="old/x.txt", repo_id="alice/run")
    before = alice.model_info("alice/run").sha
    alice.create_commit("alice/run", [CommitOperationDelete("old/")], commit_message="drop old")
    assert alice.list_repo_files("alice/run") == [".gitattributes", "keep.txt"]
    with pytest.raises(HfHubHTTPError) as excinfo:
        alice.create_commit(
            "alice/run", [CommitOperationDelete("keep.txt")], commit_message="late", parent_commit=before
        )
    assert status_of(excinfo) == 412
    with pytest.raises(HfHubHTTPError) as excinfo:
        alice.delete_file("missing.txt", "alice/run")
    assert status_of(excinfo) == 404
    assert "keep.txt" in repos.get("model", "alice/run").files  # type: ignore[union-attr]


@pytest.mark.parametrize(("token", "status"), [(False, 401), ("hf_unknown", 401), (BOB, 403)])
def test_commits_need_the_owners_token(hub, token: str | bool, status: int) -> None:
    server, repos = hub
    repos.add("alice/public", "model", files={"README.md": "# public\n"})
    with pytest.raises(HfHubHTTPError) as excinfo:
        api(server, token).upload_file(path_or_fileobj=b"x", path_in_repo="x.txt", repo_id="alice/public")
    assert status_of(excinfo) == status
    assert "x.txt" not in repos.get("model", "alice/public").files  # type: ignore[union-attr]


def test_a_readme_with_broken_metadata_is_refused_before_upload(hub) -> None:
    server, _ = hub
    alice = api(server, ALICE)
    alice.create_repo("alice/run")
    with pytest.raises(ValueError, match="Invalid metadata"):
        alice.upload_file(
            path_or_fileobj=b"---\ntags: [unclosed\n---\n", path_in_repo="README.md", repo_id="alice/run"
        )
    assert not server.received("POST", "/commit/")
