"""The lake written by a process of its own (``LakeProcess``): the same files as the writer
in this process, failures raised in the analysis, abort, a child that dies, the analysis
that goes away, and the API choosing it for large inputs with DPI."""

from __future__ import annotations

import io
import os
import re
import signal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from test_lake import HOUR, weird_batch

import wirelens
from wirelens.pipeline import api
from wirelens.schema import SCHEMAS
from wirelens.store.lake import LakeWriter
from wirelens.store.lake_process import (
    _HEADER,
    _INDEX,
    _WATERMARK,
    _WRITE,
    LakeProcess,
    LakeWriterFailed,
    serve,
)

BASE = 1_768_467_600 * 10**9  # 2026-01-15 09:00 UTC


def lake_files(root: Path) -> dict[str, list[dict[str, object]]]:
    """Every file's path under ``root`` and its rows."""
    return {str(f.relative_to(root)): pq.read_table(f).to_pylist()
            for f in sorted(root.rglob("*.parquet"))}


def feed(writer: LakeWriter | LakeProcess) -> None:
    writer.write("weird", weird_batch([BASE, BASE + 2 * HOUR, BASE + 1]))
    writer.write("weird", pa.Table.from_batches([weird_batch([BASE + 5 * HOUR] * 3)]))
    writer.watermark(BASE + 3 * HOUR)
    writer.write("weird", weird_batch([BASE + 2]))


def test_the_same_files_as_the_writer_in_this_process(tmp_path: Path) -> None:
    here, there = LakeWriter(tmp_path / "a", "r1"), LakeProcess(tmp_path / "b", "r1")
    feed(here)
    feed(there)
    there.drain()
    assert not list((tmp_path / "b").rglob("*.tmp"))
    assert here.close() == there.close() == 4
    assert lake_files(tmp_path / "a") == lake_files(tmp_path / "b") != {}
    assert there.peak_rss is None or there.peak_rss > 10 * 2**20
    assert there.close() == 4  # (closing again says the same)


def test_a_failure_is_raised_in_the_analysis_and_complete_files_are_kept(tmp_path: Path) -> None:
    (tmp_path / "weird").mkdir()
    (tmp_path / "weird" / "date=2026-01-15").write_bytes(b"")  # a file in the folder's way
    w = LakeProcess(tmp_path, "r2")
    w.write("dns", _empty_dns_batch())  # (no rows: nothing sent)
    with pytest.raises(NotADirectoryError) as err:
        for _ in range(50):  # raised by whichever call finds the child's report
            w.write("weird", weird_batch([BASE]))
            w.drain()
    assert err.value.filename == str(tmp_path / "weird" / "date=2026-01-15" / "hour=09")
    assert w.close() == 0  # (as the API does after an error)
    assert not list(tmp_path.rglob("*.parquet*"))


def _empty_dns_batch() -> pa.RecordBatch:
    return pa.RecordBatch.from_pylist([], schema=SCHEMAS["dns"])


def test_abort_drops_what_is_not_complete(tmp_path: Path) -> None:
    w = LakeProcess(tmp_path, "r3")
    w.write("weird", weird_batch([BASE]))
    w.abort()
    assert not list(tmp_path.rglob("*.parquet*"))
    w.abort()  # (again: nothing)


def test_a_child_that_dies_is_reported(tmp_path: Path) -> None:
    w = LakeProcess(tmp_path, "r4")
    assert w._proc is not None
    os.kill(w._proc.pid, signal.SIGKILL)
    w._proc.wait()
    with pytest.raises(LakeWriterFailed, match="killed by SIGKILL"):
        for _ in range(1000):  # (the pipe takes some bytes before it breaks)
            w.write("weird", weird_batch([BASE] * 100))
        w.drain()
    w.abort()


def test_the_child_keeps_what_is_complete_when_the_analysis_is_gone(tmp_path: Path) -> None:
    """The end of its input (the analysis stopped, or was killed) closes the writer."""
    messages = io.BytesIO()
    for ts in (BASE, BASE + 3 * HOUR):
        body = weird_batch([ts, ts + 1]).serialize()
        messages.write(_HEADER.pack(_WRITE, _INDEX["weird"], len(body)) + body.to_pybytes())
    messages.write(_HEADER.pack(_WATERMARK, 0, 8) + (BASE + 2 * HOUR).to_bytes(8, "little"))
    messages.seek(0)
    replies = io.BytesIO()
    serve(str(tmp_path), "r5", messages, replies)
    assert replies.getvalue() == b""  # (no one asked)
    files = lake_files(tmp_path)
    assert len(files) == 2 and sum(len(rows) for rows in files.values()) == 4
    assert not list(tmp_path.rglob("*.tmp"))


def test_the_api_writes_large_inputs_from_a_process(tmp_path: Path, monkeypatch) -> None:
    from wirelens.sim import SimConfig, simulate

    cap = simulate(tmp_path / "s.pcap", SimConfig(seed=5, scale=0.05, duration_s=60.0)).pcap
    here = wirelens.analyze(cap, out=tmp_path / "a")
    assert here.summary.writer_peak_rss is None
    monkeypatch.setattr(api, "SEPARATE_WRITER_BYTES", 0)
    there = wirelens.analyze(cap, out=tmp_path / "b")
    assert there.summary.writer_peak_rss is not None
    def tables(root: Path) -> dict[str, list[dict[str, object]]]:  # (the run table differs)
        return {re.sub(r"part-[0-9a-f]+-", "part-", p): r
                for p, r in lake_files(root).items() if not p.startswith("run/")}

    assert tables(tmp_path / "b") == tables(tmp_path / "a")
    assert len(tables(tmp_path / "a")) > 5
    flows_only = wirelens.analyze(cap, out=tmp_path / "c", dpi="off")  # (a thread: cheaper)
    assert flows_only.summary.writer_peak_rss is None


def test_without_a_python_to_start_a_thread_writes(tmp_path: Path, monkeypatch) -> None:
    from wirelens.pipeline.sinks import LakeSink

    monkeypatch.setattr("sys.executable", str(tmp_path / "no-python"))
    sink = LakeSink(tmp_path, "r6", separate=True)
    assert isinstance(sink.writer, LakeWriter)
    sink.write("weird", weird_batch([BASE]))
    assert sink.close() == 1 and sink.peak_rss is None


def test_the_child_runs_this_package_whatever_the_working_folder(tmp_path: Path,
                                                                  monkeypatch) -> None:
    decoy = tmp_path / "cwd" / "wirelens"
    decoy.mkdir(parents=True)
    (decoy / "__init__.py").write_text("raise SystemExit('a wirelens of the working folder')\n")
    monkeypatch.chdir(decoy.parent)
    w = LakeProcess(tmp_path / "lake", "r7")
    w.write("weird", weird_batch([BASE]))
    assert w.close() == 1
