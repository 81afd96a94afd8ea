"""Local job records in an embedded SQLite database.

One short-lived connection per operation (WAL mode, busy timeout): the server's threads, the
supervisors of running jobs and a restarted server all read and write the same file safely.
Read-modify-write steps are single `UPDATE ... WHERE stage IN (...)` statements, so a cancel and a
supervisor recording an exit never overwrite each other: the first terminal stage wins.

Records hold secret NAMES only; secret values never reach this file.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hf_train_mcp.jobs.model import ACTIVE_STAGES, LOCAL_FLAVOR, JobView
from hf_train_mcp.local_jobs.private import private_dir, private_file

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    owner TEXT NOT NULL,
    stage TEXT NOT NULL,
    message TEXT,
    flavor TEXT NOT NULL,
    command TEXT NOT NULL,
    image TEXT,
    created_at REAL NOT NULL,
    started_at REAL,
    finished_at REAL,
    env TEXT NOT NULL DEFAULT '{}',
    secret_names TEXT NOT NULL DEFAULT '[]',
    timeout_seconds INTEGER,
    labels TEXT NOT NULL DEFAULT '{}',
    notes TEXT NOT NULL DEFAULT '[]',
    job_dir TEXT NOT NULL,
    max_jobs INTEGER NOT NULL DEFAULT 1,
    supervisor_pid INTEGER,
    pgid INTEGER,
    exit_code INTEGER
);
CREATE INDEX IF NOT EXISTS jobs_stage ON jobs(stage);
"""
_JSON_COLUMNS = frozenset({"command", "env", "secret_names", "labels", "notes"})
_BUSY_TIMEOUT_S = 30.0


@dataclass
class JobRecord:
    id: str
    owner: str
    stage: str
    flavor: str
    command: list[str]
    job_dir: str
    created_at: float
    seq: int = 0
    message: str | None = None
    image: str | None = None
    started_at: float | None = None
    finished_at: float | None = None
    env: dict[str, str] = field(default_factory=dict)
    secret_names: list[str] = field(default_factory=list)
    timeout_seconds: int | None = None
    labels: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    max_jobs: int = 1
    supervisor_pid: int | None = None
    pgid: int | None = None
    exit_code: int | None = None

    @property
    def is_active(self) -> bool:
        return self.stage in ACTIVE_STAGES

    def to_view(self) -> JobView:
        return JobView(
            id=self.id,
            owner=self.owner,
            stage=self.stage,
            flavor=self.flavor or LOCAL_FLAVOR,
            command=list(self.command),
            backend="local",
            url=Path(self.job_dir).as_uri(),
            message=self.message,
            image=self.image,
            created_at=_to_datetime(self.created_at),
            started_at=_to_datetime(self.started_at),
            finished_at=_to_datetime(self.finished_at),
            env=dict(self.env),
            secret_names=list(self.secret_names),
            timeout_seconds=self.timeout_seconds,
            labels=dict(self.labels),
            notes=list(self.notes),
        )


def _to_datetime(epoch: float | None) -> datetime | None:
    return None if epoch is None else datetime.fromtimestamp(epoch, tz=UTC)


class JobStore:
    """The job table at `path` (created on first use)."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        private_dir(self.path.parent)
        private_file(self.path)  # before SQLite creates it: its -wal/-shm files copy this mode
        with self._connect() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(_SCHEMA)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        with closing(sqlite3.connect(self.path, timeout=_BUSY_TIMEOUT_S, isolation_level=None)) as db:
            db.row_factory = sqlite3.Row
            db.execute(f"PRAGMA busy_timeout={int(_BUSY_TIMEOUT_S * 1000)}")
            db.execute("PRAGMA synchronous=NORMAL")
            yield db

    def insert(self, record: JobRecord) -> JobRecord:
        values = _encode(record.__dict__)
        values.pop("seq", None)
        columns = ", ".join(values)
        marks = ", ".join("?" for _ in values)
        with self._connect() as db:
            cursor = db.execute(f"INSERT INTO jobs ({columns}) VALUES ({marks})", tuple(values.values()))
            record.seq = int(cursor.lastrowid or 0)
        return record

    def get(self, job_id: str) -> JobRecord | None:
        with self._connect() as db:
            row = db.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return _decode(row) if row is not None else None

    def list(self, *, stages: Iterable[str] | None = None, before_seq: int | None = None) -> list[JobRecord]:
        """Records in submission order, optionally only in `stages` and submitted before `before_seq`."""
        query, params = "SELECT * FROM jobs WHERE 1=1", []
        if stages is not None:
            wanted = sorted(stages)
            query += f" AND stage IN ({', '.join('?' for _ in wanted)})"
            params += wanted
        if before_seq is not None:
            query += " AND seq < ?"
            params.append(before_seq)
        with self._connect() as db:
            rows = db.execute(query + " ORDER BY seq", params).fetchall()
        return [_decode(row) for row in rows]

    def count(self, stage: str) -> int:
        with self._connect() as db:
            return int(db.execute("SELECT COUNT(*) FROM jobs WHERE stage = ?", (stage,)).fetchone()[0])

    def update(self, job_id: str, *, only_if_stage_in: Iterable[str] | None = None, **fields: Any) -> bool:
        """Set `fields`; with `only_if_stage_in`, only while the job is in one of those stages.

        Returns whether the row changed: the atomic compare-and-set every stage change goes through.
        """
        values = _encode(fields)
        query = f"UPDATE jobs SET {', '.join(f'{name} = ?' for name in values)} WHERE id = ?"
        params: list[Any] = [*values.values(), job_id]
        if only_if_stage_in is not None:
            wanted = sorted(only_if_stage_in)
            query += f" AND stage IN ({', '.join('?' for _ in wanted)})"
            params += wanted
        with self._connect() as db:
            return db.execute(query, params).rowcount > 0

    def finish(self, job_id: str, stage: str, message: str | None, **fields: Any) -> bool:
        """Record a terminal stage unless another one was recorded first."""
        return self.update(
            job_id,
            only_if_stage_in=ACTIVE_STAGES,
            stage=stage,
            message=message,
            finished_at=fields.pop("finished_at", None) or time.time(),
            **fields,
        )


def _encode(values: dict[str, Any]) -> dict[str, Any]:
    return {k: json.dumps(v) if k in _JSON_COLUMNS else v for k, v in values.items()}


def _decode(row: sqlite3.Row) -> JobRecord:
    data = {k: json.loads(row[k]) if k in _JSON_COLUMNS else row[k] for k in row.keys()}  # noqa: SIM118
    return JobRecord(**data)
