"""The pieces under the local backend: log file lines, the job store, GPU listing, the data dir."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import pytest
from hf_train_mcp.local_jobs import gpus, logfile, paths
from hf_train_mcp.local_jobs.store import JobRecord, JobStore


def read_texts(path: Path) -> list[str]:
    return [line.text for line in logfile.LogReader(path).read_new()]


def test_log_writer_splits_lines_progress_bars_and_crlf(tmp_path: Path) -> None:
    path = tmp_path / "output.log"
    writer = logfile.LogWriter(path, mask=lambda text: text.replace("hunter2", "***"))
    writer.feed(b"first\nsec")
    assert read_texts(path) == ["first"]  # half a line is never visible
    writer.feed(b"ond\n\n")
    writer.feed(b"\r 10%|#   |\r 20%|##  |")
    writer.feed(b"\r100%|####|\n")
    writer.feed(b"windows\r")
    writer.feed(b"\nsecret hunter2\n")
    writer.feed("caf\u00e9 ".encode()[:4])  # a multi-byte character cut between two chunks
    writer.feed("caf\u00e9 ".encode()[4:] + b"end")
    writer.close()
    assert read_texts(path) == [
        "first",
        "second",
        "",
        " 10%|#   |",
        " 20%|##  |",
        "100%|####|",
        "windows",
        "secret ***",
        "café end",
    ]


def test_log_reader_returns_only_new_complete_lines_with_timestamps(tmp_path: Path) -> None:
    path = tmp_path / "output.log"
    reader = logfile.LogReader(path)
    assert reader.read_new() == []  # no file yet
    logfile.append_line(path, "a\tb")
    with open(path, "ab") as handle:
        handle.write(b"2026-01-01T00:00:00.000000Z\tpart")
    lines = reader.read_new()
    assert [line.text for line in lines] == ["a\tb"] and lines[0].timestamp.tzinfo is not None
    with open(path, "ab") as handle:
        handle.write(b"ial\n")
    assert [(line.timestamp.year, line.text) for line in reader.read_new()] == [(2026, "partial")]
    assert reader.read_new() == []


def test_store_is_safe_from_many_threads(tmp_path: Path) -> None:
    store = JobStore(tmp_path / "db.sqlite3")
    assert store.path.exists()
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for i in range(20):
                job_id = f"local-{n}-{i}"
                store.insert(
                    JobRecord(
                        id=job_id,
                        owner="me",
                        stage="SCHEDULING",
                        flavor="local",
                        command=["true"],
                        job_dir=str(tmp_path),
                        created_at=0.0,
                    )
                )
                assert store.update(job_id, only_if_stage_in=["SCHEDULING"], stage="RUNNING")
                assert store.finish(job_id, "COMPLETED", "exit code 0")
                assert not store.finish(job_id, "CANCELED", "canceled")  # the first end wins
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    records = store.list()
    assert len(records) == 120 and {r.stage for r in records} == {"COMPLETED"}
    assert [r.seq for r in records] == sorted(r.seq for r in records)
    with store._connect() as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_data_dir_comes_from_the_environment_or_the_cache_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_TRAIN_MCP_DATA_DIR", "/somewhere/data")
    assert paths.default_data_dir() == Path("/somewhere/data")
    monkeypatch.delenv("HF_TRAIN_MCP_DATA_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", "/cache")
    assert paths.default_data_dir() == Path("/cache/hf-train-mcp")
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert paths.default_data_dir() == Path(os.path.expanduser("~/.cache/hf-train-mcp"))


FAKE_NVIDIA_SMI = """#!/bin/sh
case "$*" in
  *index,name,memory.total*) printf '0, NVIDIA H100 80GB HBM3, 81559\\n1, NVIDIA A10G, 23028\\n' ;;
  *utilization.gpu*) printf '0, 87, 40000, 81559\\n1, [N/A], 10, 23028\\n' ;;
  *) exit 1 ;;
esac
"""


def fake_path(tmp_path: Path, script: str | None) -> str:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    if script is not None:
        exe = bin_dir / "nvidia-smi"
        exe.write_text(script)
        exe.chmod(exe.stat().st_mode | stat.S_IEXEC)
    return str(bin_dir)


def test_gpus_from_nvidia_smi(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", fake_path(tmp_path, FAKE_NVIDIA_SMI))
    listed = gpus.list_gpus()
    assert [(g.index, g.name, g.memory_total_bytes) for g in listed] == [
        (0, "NVIDIA H100 80GB HBM3", 81559 * 2**20),
        (1, "NVIDIA A10G", 23028 * 2**20),
    ]
    usage = gpus.gpu_usage()
    assert usage["0"] == {
        "utilization": 87.0,
        "memory_used_bytes": 40000 * 2**20,
        "memory_total_bytes": 81559 * 2**20,
    }
    assert "utilization" not in usage["1"]
    machine = gpus.LocalMachine(cpu_count=16, ram_bytes=135 * 10**9, gpus=listed)
    entry = gpus.local_flavor(machine)
    assert entry["name"] == "local" and entry["price_per_hour"] == 0.0
    assert entry["gpus"][1] == {"index": 1, "name": "NVIDIA A10G", "memory_total_gb": 24.1}
    assert entry["description"] == gpus.describe_local_flavor(machine)
    assert entry["accelerator"]["quantity"] == "2"
    assert entry["accelerator"]["model"] == "NVIDIA H100 80GB HBM3 + NVIDIA A10G"
    text = gpus.describe_local_flavor(machine)
    assert text.startswith("local: this machine") and "16 CPUs" in text and "2x NVIDIA H100" in text


@pytest.mark.parametrize("script", [None, "#!/bin/sh\necho 'NVIDIA-SMI has failed' >&2\nexit 9\n"])
def test_no_gpus_without_a_working_nvidia_smi(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, script: str | None
) -> None:
    monkeypatch.setenv("PATH", fake_path(tmp_path, script))
    assert gpus.list_gpus() == [] and gpus.gpu_usage() == {}
    machine = gpus.local_machine()
    assert machine.gpus == [] and machine.cpu_count >= 1
    assert gpus.local_flavor(machine)["accelerator"] is None
    assert "no GPU" in gpus.describe_local_flavor(machine)
