"""Local model or data for a cloud job: put it in a private Hub repo the job can read, with consent.

A Hugging Face Job cannot read this machine's files. With `upload_local: true` the caller agrees to
upload the folder or file to a private repo of their own (`<user>/hf-train-<name>-<hash>`, a dataset
repo for data, a model repo for a model) through `huggingface_hub`'s `upload_folder` / `upload_file`;
the training script then names that repo id. The hash comes from the absolute path, so preparing the
same run again reuses the repo (an upload of unchanged files is an empty commit the client skips).
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from hf_train_mcp import access, hub
from hf_train_mcp.errors import AgentError

UPLOAD_ARGUMENT = "upload_local"


def repo_id_for(user: str, path: Path) -> str:
    """The private repo a local path goes to: readable name, stable for the same path."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", path.stem if path.is_file() else path.name).strip("-.") or "data"
    digest = hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:8]
    return f"{user}/hf-train-{stem[:60]}-{digest}"


def upload_local(value: str, *, repo_type: str, user: str) -> str:
    """Upload the local file or folder `value` to a private repo of `user`; return its repo id."""
    # the access policy before any look at the disk (and no upload of a file outside the allowed folders)
    path = access.readable_file(Path(value).expanduser(), argument=repo_type, what=f"a {repo_type} to upload")
    if not path.exists():
        raise AgentError(f"{value!r} does not exist on this machine: nothing to upload.")
    if path.is_dir():
        _refuse_links_outside(path, value)
    repo_id = repo_id_for(user, path)
    api = hub.get_api(hub.require_token())
    what = f"upload {value!r} to the private {repo_type} repo {repo_id}"
    try:
        api.create_repo(repo_id, repo_type=repo_type, private=True, exist_ok=True)
        message = f"hf-train-mcp: upload {path.name} for a training job"
        if path.is_dir():
            api.upload_folder(
                repo_id=repo_id, repo_type=repo_type, folder_path=str(path), commit_message=message
            )
        else:
            api.upload_file(
                repo_id=repo_id,
                repo_type=repo_type,
                path_or_fileobj=str(path),
                path_in_repo=path.name,
                commit_message=message,
            )
    except Exception as exc:
        raise hub.hub_error(exc, what=what) from exc
    return repo_id


def _refuse_links_outside(folder: Path, value: str) -> None:
    """A folder is uploaded whole: a symlink in it that resolves outside the allowed folders would send
    that file to the Hub. Refuse, naming the links (their targets are not shown)."""
    import os

    outside = []
    for dirpath, dirnames, filenames in os.walk(folder):
        for name in [*dirnames, *filenames]:
            entry = Path(dirpath, name)
            if entry.is_symlink() and not access.may_look(entry):
                outside.append(str(entry.relative_to(folder)))
    if outside:
        shown = ", ".join(outside[:5]) + (f" and {len(outside) - 5} more" if len(outside) > 5 else "")
        raise AgentError(
            f"{value!r} holds links to places outside the folders this server may read ({shown}): nothing "
            "was uploaded. Copy those files into the folder, or allow their folder (--allow-path)."
        )
