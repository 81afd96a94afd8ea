"""Reading a local job's log costs what is asked for, not the size of the log (issue 10): the first
read starts near the end, `read_tail` reads backwards, and a 50 MB line never comes back whole."""

from __future__ import annotations

from pathlib import Path

from hf_train_mcp.local_jobs import logfile

STAMP = b"2026-11-30T10:00:00.000000Z\t"


def write_log(path: Path, count: int, width: int = 100) -> list[bytes]:
    lines = [STAMP + f"line {i:08d} ".encode() + b"x" * width for i in range(count)]
    path.write_bytes(b"\n".join(lines) + b"\n")
    return lines


def test_small_logs_are_read_whole_and_then_incrementally(tmp_path: Path) -> None:
    path = tmp_path / "output.log"
    write_log(path, 3, width=1)
    reader = logfile.LogReader(path)
    assert [line.text for line in reader.read_new()] == [f"line {i:08d} x" for i in range(3)]
    with open(path, "ab") as handle:
        handle.write(STAMP + b"more\n" + STAMP + b"partial")
    assert [line.text for line in reader.read_new()] == ["more"]
    with open(path, "ab") as handle:
        handle.write(b" line\n")
    assert [line.text for line in reader.read_new()] == ["partial line"]


def test_a_67_mb_log_is_not_read_whole(tmp_path: Path) -> None:
    path = tmp_path / "output.log"
    lines = write_log(path, 520_000)  # about 67 MB
    assert path.stat().st_size > 60_000_000
    got = logfile.LogReader(path).read_new()
    assert got[0].timestamp is None and "earlier bytes of this log not read" in got[0].text
    texts = [line.text for line in got[1:]]
    assert texts[-1] == lines[-1].decode().split("\t", 1)[1]
    assert sum(len(t) for t in texts) <= logfile.MAX_FIRST_READ_BYTES
    assert all(t.startswith("line ") for t in texts)  # whole lines only: the cut one is dropped
    tail = logfile.read_tail(path, 1000)
    assert [line.text for line in tail] == [raw.decode().split("\t", 1)[1] for raw in lines[-1000:]]


def test_one_50_mb_line_comes_back_bounded(tmp_path: Path) -> None:
    path = tmp_path / "output.log"
    path.write_bytes(STAMP + b"y" * 50_000_000 + b"\n")
    got = logfile.LogReader(path).read_new()
    assert "earlier bytes" in got[0].text and len(got) == 2
    assert len(got[1].text) <= logfile.MAX_FIRST_READ_BYTES
    tail = logfile.read_tail(path, 1000)
    assert sum(len(line.text) for line in tail) <= logfile.MAX_FIRST_READ_BYTES + 200


def test_read_tail_of_missing_empty_and_partial_files(tmp_path: Path) -> None:
    assert logfile.read_tail(tmp_path / "none.log", 10) == []
    path = tmp_path / "output.log"
    path.write_bytes(b"")
    assert logfile.read_tail(path, 10) == []
    path.write_bytes(STAMP + b"done\n" + STAMP + b"half")
    assert [line.text for line in logfile.read_tail(path, 10)] == ["done"]
