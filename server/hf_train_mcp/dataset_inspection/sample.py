"""What the readers hand to the report: a few rows of one split, its columns and where they came from;
and the messages for the failures every reader shares."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

HUB_URL = "https://huggingface.co"


@dataclass
class DatasetSample:
    dataset: str
    source: str  # "viewer" | "hub_files" | "local"
    config: str | None
    split: str
    splits: dict[str, list[str]]  # config -> splits
    columns: list[str]
    types: dict[str, str]  # column -> short type name
    rows: list[dict[str, Any]]  # rows as read (up to the detection sample size)
    detect_rows: list[dict[str, Any]] | None = None  # rows for format detection, if not `rows`
    num_rows: int | None = None  # rows in the split, when known
    files: list[str] = field(default_factory=list)  # data files read (hub files / local)
    truncated_cells: list[str] = field(default_factory=list)  # columns the viewer cut
    notes: list[str] = field(default_factory=list)


def dataset_url(repo_id: str) -> str:
    return f"{HUB_URL}/datasets/{repo_id}"


def not_found_message(repo_id: str, token: str | None) -> str:
    access = (
        "or it is private and this token has no access to it"
        if token
        else "or it is private or gated and no Hugging Face token is configured"
    )
    fix = (
        'Check the id: it is owner/name as in the dataset\'s URL, e.g. "trl-lib/Capybara" '
        "(search at https://huggingface.co/datasets)."
    )
    if not token:
        fix += " If it is private, log in with `hf auth login` or set HF_TOKEN."
    return (
        f"Dataset '{repo_id}' was not found on the Hub, {access}. {fix} "
        "For a local file or folder, pass a path that exists."
    )


def gated_message(repo_id: str, token: str | None) -> str:
    then = (
        "then retry (the token must belong to the account that accepted)"
        if token
        else "then log in with `hf auth login` or set HF_TOKEN to that account's token, and retry"
    )
    return (
        f"Dataset '{repo_id}' is gated: open {dataset_url(repo_id)} while logged in, accept its conditions, "
        f"{then}. Training jobs need the same access: pass the token as the HF_TOKEN secret."
    )
