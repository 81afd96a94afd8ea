"""Fallback when the dataset viewer cannot preview a Hub dataset: list the repo's data files, download
the smallest one of the split through `huggingface_hub` (into its cache) and read a few rows."""

from __future__ import annotations

from typing import Any

from mcp.server.mcpserver.exceptions import ToolError  # hub.py's worded Hub errors pass through

from hf_train_mcp import hub
from hf_train_mcp.dataset_inspection import local_reader
from hf_train_mcp.dataset_inspection.errors import InspectionError
from hf_train_mcp.dataset_inspection.sample import DatasetSample, gated_message, not_found_message

MAX_DOWNLOAD_BYTES = 512 * 1024 * 1024


def _is_not_found(exc: BaseException) -> bool:
    from huggingface_hub.errors import GatedRepoError, RepositoryNotFoundError

    return isinstance(exc, RepositoryNotFoundError) and not isinstance(exc, GatedRepoError)


def _is_gated(exc: BaseException) -> bool:
    from huggingface_hub.errors import GatedRepoError

    return isinstance(exc, GatedRepoError)


def translate(exc: BaseException, repo_id: str, token: str | None, what: str) -> Exception:
    """A Hub client error as the error to raise: ours for gated/missing datasets, else hub.py's."""
    if isinstance(exc, InspectionError | ToolError):
        return exc
    if _is_gated(exc):
        return InspectionError(gated_message(repo_id, token))
    if _is_not_found(exc):
        return InspectionError(not_found_message(repo_id, token))
    return hub.hub_error(exc, what=what)


def dataset_repo_info(repo_id: str, token: str | None) -> Any:
    """`HfApi.dataset_info`, retried; raises the client's errors."""
    api = hub.get_api(token)
    return hub.call_with_retries(lambda: api.dataset_info(repo_id), what=f"read dataset {repo_id}")


def list_data_files(repo_id: str, token: str | None) -> list[tuple[str, int | None]]:
    """(path, size) of every data file of a dataset repo."""
    from huggingface_hub.hf_api import RepoFile

    api = hub.get_api(token)
    entries = hub.call_with_retries(
        lambda: list(api.list_repo_tree(repo_id, repo_type="dataset", recursive=True)),
        what=f"list the files of dataset {repo_id}",
    )
    return [
        (e.path, getattr(e, "size", None))
        for e in entries
        if isinstance(e, RepoFile) and local_reader.is_data_file(e.path)
    ]


def config_of(path: str) -> str:
    """The config a file belongs to under `push_to_hub`'s layout: "{config}/{split}-....parquet"
    for named configs, "data/..." or the top level for the default one."""
    parts = path.split("/")
    if len(parts) >= 2 and parts[0] != "data" and local_reader.split_of(parts[0]) is None:
        return parts[0]
    return "default"


def inspect_hub_files(
    repo_id: str, config: str | None, split: str | None, n: int, token: str | None, reason: str
) -> DatasetSample:
    """Read up to `n` rows of `split` from a data file of the repo; `reason` says why (for the notes)."""
    try:
        files = list_data_files(repo_id, token)
    except Exception as exc:
        raise translate(exc, repo_id, token, f"list the files of dataset {repo_id}") from exc
    if not files:
        raise InspectionError(
            f"Dataset '{repo_id}' has no data files this tool can read (.jsonl, .json, .csv, .tsv, "
            f".parquet), and the dataset viewer could not preview it ({reason}). It may use a loading "
            "script, which TRL's load_dataset no longer runs; use a dataset with data files, or convert "
            "it to Parquet."
        )
    by_config: dict[str, list[tuple[str, int | None]]] = {}
    for path, size in files:
        by_config.setdefault(config_of(path), []).append((path, size))
    configs = sorted(by_config, key=lambda c: (c != "default", c))
    if config is None:
        config = configs[0]
    elif config not in by_config:
        raise InspectionError(
            f"Dataset '{repo_id}' has no config '{config}'. Its data files suggest: "
            f"{', '.join(configs)}. Pass one of them as `config`."
        )
    sizes = dict(by_config[config])
    splits_of = {c: list(local_reader.group_splits([p for p, _ in fs])) for c, fs in by_config.items()}
    groups = local_reader.group_splits(list(sizes))
    notes = [
        f"The dataset viewer could not preview this dataset ({reason}); rows read from a data file "
        "downloaded from the Hub."
    ]
    split = choose_split(repo_id, groups, split, notes)
    candidates = sorted(groups[split], key=lambda p: (sizes.get(p) is None, sizes.get(p) or 0, p))
    path = candidates[0]
    size = sizes.get(path)
    if size is not None and size > MAX_DOWNLOAD_BYTES:
        raise InspectionError(
            f"The dataset viewer could not preview '{repo_id}' ({reason}) and its smallest '{split}' file "
            f"({path}) is {size / 2**20:.0f} MB, too large to fetch for a preview. Retry later (the viewer "
            "may still be processing it), or inspect a local excerpt of the file."
        )
    api = hub.get_api(token)
    try:
        local_path = hub.download(
            api, repo_id, path, what=f"download {path} of dataset {repo_id}", repo_type="dataset"
        )
    except Exception as exc:
        raise translate(exc, repo_id, token, f"download {path} of dataset {repo_id}") from exc
    try:
        read = local_reader.read_rows(local_path, n)
    except local_reader.DataFileError as exc:
        raise InspectionError(f"Dataset '{repo_id}': {exc}") from exc
    num_rows = read.num_rows if len(groups[split]) == 1 else None
    if len(groups[split]) > 1:
        notes.append(f"Split '{split}' has {len(groups[split])} files; rows come from {path}.")
    return DatasetSample(
        dataset=repo_id,
        source="hub_files",
        config=config,
        split=split,
        splits=splits_of,
        columns=read.columns,
        types=read.column_types(),
        rows=read.rows,
        num_rows=num_rows,
        files=[path],
        notes=notes + read.notes,
    )


def choose_split(name: str, groups: dict[str, list[str]], split: str | None, notes: list[str]) -> str:
    """The requested split, or "train", or the first one (with a note); an InspectionError if absent."""
    if not groups:
        raise InspectionError(f"'{name}' has no data files.")
    if split is not None:
        if split not in groups:
            raise InspectionError(
                f"'{name}' has no split '{split}'. Splits: {', '.join(groups)}. Pass one of them as `split`."
            )
        return split
    if "train" in groups:
        return "train"
    chosen = next(iter(groups))
    notes.append(f"No 'train' split; showing '{chosen}'.")
    return chosen
