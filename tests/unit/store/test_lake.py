from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from wirelens.schema import SCHEMAS
from wirelens.service.lake_query import connect, export, python_rows, query
from wirelens.store.lake import LakeWriter, has_data

HOUR = 3_600_000_000_000


def weird_batch(ts_list):
    rows = [{"ts": t, "uid": None, "orig_h": "10.0.0.1", "resp_h": None, "name": "x",
             "source": "decode", "count": 1, "detail": str(i)} for i, t in enumerate(ts_list)]
    schema = SCHEMAS["weird"]
    cols = [pa.array([r[f.name] for r in rows], pa.int64() if f.name == "ts" else f.type)
            for f in schema]
    cols[0] = cols[0].cast(schema.field("ts").type)
    return pa.RecordBatch.from_arrays(cols, schema=schema)


def test_partitioned_by_date_and_hour_and_atomic(tmp_path):
    base = 1_768_467_600 * 10**9  # 2026-01-15 09:00 UTC
    w = LakeWriter(tmp_path, "r1", row_group_rows=2)
    w.write("weird", weird_batch([base, base + 2 * HOUR, base + 1]))
    # nothing visible as .parquet before close: only temporary names
    assert not list(tmp_path.rglob("*.parquet"))
    assert list(tmp_path.rglob("*.parquet.tmp"))
    assert w.close() == 2
    files = sorted(tmp_path.rglob("*.parquet"))
    assert [str(f.relative_to(tmp_path).parent) for f in files] == [
        "weird/date=2026-01-15/hour=09", "weird/date=2026-01-15/hour=11"]
    assert not list(tmp_path.rglob("*.tmp"))
    assert pq.read_table(files[0]).num_rows + pq.read_table(files[1]).num_rows == 3
    assert has_data(tmp_path)
    got = query(tmp_path, "SELECT count(*) AS n, min(detail) AS d FROM weird").to_pylist()
    assert got == [{"n": 3, "d": "0"}]


def test_abort_leaves_no_parquet(tmp_path):
    w = LakeWriter(tmp_path, "r2", row_group_rows=2)
    w.write("weird", weird_batch([10**18]))  # buffered, no file yet
    w.write("weird", weird_batch([10**18 + 10 * HOUR] * 2))  # streamed to a temporary file
    assert len(list(tmp_path.rglob("*.parquet.tmp"))) == 1
    w.abort()
    assert not list(tmp_path.rglob("*.parquet*"))


def test_empty_tables_are_queryable(tmp_path):
    con = connect(tmp_path)
    assert con.execute("SELECT count(*) FROM conn").fetchone() == (0,)
    cols = [d[0] for d in con.execute("SELECT * FROM dns LIMIT 0").description]
    assert cols == SCHEMAS["dns"].names


def test_export_jsonl_and_csv(tmp_path):
    w = LakeWriter(tmp_path, "r3")
    w.write("weird", weird_batch([10**18, 10**18 + 5]))
    w.close()
    paths = export(tmp_path, ["jsonl", "csv"])
    jl = (tmp_path / "weird.jsonl").read_text().splitlines()
    assert len(jl) == 2 and '"name":"x"' in jl[0].replace(" ", "")
    assert (tmp_path / "weird.csv").read_text().count("\n") == 3
    assert tmp_path / "conn.csv" in paths


def test_rows_stay_sorted_within_partition(tmp_path):
    w = LakeWriter(tmp_path, "r4")
    ts = np.array([5, 1, 3]) + 10**18
    w.write("weird", weird_batch(ts.tolist()))
    w.close()
    got = query(tmp_path, "SELECT detail FROM weird ORDER BY ts").column(0).to_pylist()
    assert got == ["1", "2", "0"]


def test_open_partitions_are_bounded(tmp_path):
    base = 1_768_467_600 * 10**9
    w = LakeWriter(tmp_path, "r5", max_open=2)
    for h in (0, 1, 2, 3, 0):  # hour 0 comes back after being closed: a second file
        w.write("weird", weird_batch([base + h * HOUR]))
        assert len(w.open_partitions()) <= 2
    assert w.close() == 5 == len(list(tmp_path.rglob("*.parquet")))
    assert query(tmp_path, "SELECT count(*) AS n FROM weird").to_pylist() == [{"n": 5}]


def test_pending_rows_are_bounded_across_partitions(tmp_path):
    base = 1_768_467_600 * 10**9
    w = LakeWriter(tmp_path, "r6", row_group_rows=1000, pending_rows=5)
    for h in range(4):
        w.write("weird", weird_batch([base + h * HOUR] * 2))
        assert sum(p.pending_rows for p in w.open_partitions()) <= 5
    w.close()
    assert query(tmp_path, "SELECT count(*) AS n FROM weird").to_pylist() == [{"n": 8}]


def test_each_hour_keeps_its_rows_in_order_sorted_or_interleaved(tmp_path):
    base = 1_768_467_600 * 10**9
    w = LakeWriter(tmp_path, "r7")
    # rows already in hour order are sliced, interleaved ones sorted by hour (stable)
    w.write("weird", weird_batch([base + h * HOUR + k for k, h in enumerate((0, 0, 1, 1, 2))]))
    w.write("weird", weird_batch([base + h * HOUR + 9 - k for k, h in enumerate((4, 3, 4, 3))]))
    w.close()
    got = {}
    for f in sorted(tmp_path.rglob("*.parquet")):
        got[f.parent.name] = pq.read_table(f).column("detail").to_pylist()
    assert got == {"hour=09": ["0", "1"], "hour=10": ["2", "3"], "hour=11": ["4"],
                   "hour=12": ["1", "3"], "hour=13": ["0", "2"]}


def test_writer_thread_error_is_raised_and_leaves_no_temporary_file(tmp_path, monkeypatch):
    import wirelens.store.lake as lake

    def refuse(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(lake.os, "replace", refuse)
    w = LakeWriter(tmp_path, "r8")
    w.write("weird", weird_batch([10**18]))
    try:
        w.close()
    except OSError as exc:
        assert exc.errno == 28
    else:
        raise AssertionError("the writer thread's error was not raised")
    assert not list(tmp_path.rglob("*.parquet*"))


def test_rows_in_flight_to_the_writer_thread_are_bounded(tmp_path, monkeypatch):
    import threading

    import wirelens.store.lake as lake

    monkeypatch.setattr(lake, "IN_FLIGHT_ROWS", 4)
    gate = threading.Event()
    finish = lake._PartitionFile.finish

    def slow_finish(self, batches):
        gate.wait(5)
        return finish(self, batches)

    monkeypatch.setattr(lake._PartitionFile, "finish", slow_finish)
    base = 1_768_467_600 * 10**9
    w = LakeWriter(tmp_path, "r9", max_open=1)
    seen = []
    timer = threading.Timer(0.5, gate.set)  # the writer is held back until the analysis waits
    timer.start()
    for h in range(6):  # each new hour finishes the previous one: 2 rows handed over
        w.write("weird", weird_batch([base + h * HOUR] * 2))
        seen.append(w._in_flight)
    timer.join()
    assert max(seen) <= 4
    assert w.close() == 6
    assert query(tmp_path, "SELECT count(*) AS n FROM weird").to_pylist() == [{"n": 12}]


def test_watermark_finishes_the_hours_before_it(tmp_path):
    base = 1_768_467_600 * 10**9
    w = LakeWriter(tmp_path, "r10")
    for h in range(4):
        w.write("weird", weird_batch([base + h * HOUR]))
    w.watermark(base + 2 * HOUR)  # hours 0 and 1 end by then
    assert sorted(p.final.parent.name for p in w.open_partitions()) == ["hour=11", "hour=12"]
    w.write("weird", weird_batch([base]))  # a row later than promised: a file of its own
    assert w.close() == 5
    assert query(tmp_path, "SELECT count(*) AS n FROM weird").to_pylist() == [{"n": 5}]


def test_a_file_that_failed_is_dropped_whole(tmp_path, monkeypatch):
    """A row group that cannot be written (disk full) drops its file: its later rows do not
    make a file with part of them, no temporary file stays, the error names the file."""
    import wirelens.store.lake as lake

    calls = []
    write_group = lake._PartitionFile._write_group

    def full_once(self, batches):
        calls.append(len(batches))
        if len(calls) == 1:
            raise OSError(28, "No space left on device")
        write_group(self, batches)

    monkeypatch.setattr(lake._PartitionFile, "_write_group", full_once)
    base = 1_768_467_600 * 10**9
    w = LakeWriter(tmp_path, "r11", row_group_rows=2)
    try:  # (raised by whichever call finds the writer thread's job failed)
        w.write("weird", weird_batch([base, base + 1]))  # a row group: fails in the thread
        w.write("weird", weird_batch([base + 2, base + 3]))
        w.close()
    except OSError as exc:
        assert exc.errno == 28 and exc.filename.endswith(".parquet")
    else:
        raise AssertionError("the error was not raised")
    assert w.close() == 0  # (as the API does after an error: what was complete is kept)
    assert not list(tmp_path.rglob("*.parquet*"))


def test_python_rows_keep_nanoseconds_as_text_and_microseconds_as_datetimes():
    ns = pa.timestamp("ns", tz="UTC")
    table = pa.table({
        "exact": pa.array([1_700_000_000_123_456_000, None], ns),  # fits a datetime
        "fine": pa.array([1_700_000_000_123_456_789, None], ns),  # does not
        "plain": pa.array([5_000_000_001, 0], pa.timestamp("ns")),
        "n": [1, 2],
    })
    rows = python_rows(table)
    assert str(rows[0]["exact"]) == "2023-11-14 22:13:20.123456+00:00" and rows[1]["exact"] is None
    assert rows[0]["fine"] == "2023-11-14 22:13:20.123456789+00:00" and rows[1]["fine"] is None
    assert rows[0]["plain"] == "1970-01-01 00:00:05.000000001" and rows[1]["n"] == 2
    nested = pa.table({  # (a query's list(ts), a struct of times: to the microsecond)
        "times": pa.array([[1_700_000_000_123_456_789, None]], pa.list_(ns)),
        "pair": pa.array([{"at": 1_700_000_000_123_456_789, "n": 1}],
                         pa.struct([("at", ns), ("n", pa.int64())])),
    })
    (row,) = python_rows(nested)
    assert str(row["times"][0]) == "2023-11-14 22:13:20.123456+00:00" and row["times"][1] is None
    assert str(row["pair"]["at"]) == "2023-11-14 22:13:20.123456+00:00" and row["pair"]["n"] == 1


@pytest.mark.parametrize("name", ["out[1]", "a*b", "q?", "it's", "back\\slash", "date=x"])
def test_a_lake_in_a_folder_whose_name_looks_like_a_pattern_is_queried(tmp_path, name):
    """The files are listed, not globbed: DuckDB's glob took ``out[1]`` for ``out1`` and
    matched nothing below a backslash."""
    root = tmp_path / name
    w = LakeWriter(root, "r9")
    w.write("weird", weird_batch([10**18, 10**18 + 5]))
    w.close()
    assert query(root, "SELECT count(*) AS n FROM weird").to_pylist() == [{"n": 2}]
    assert [p.name for p in export(root, ["jsonl"])][0].endswith(".jsonl")


def test_a_lake_below_a_folder_not_named_in_utf8_is_refused_in_one_line(tmp_path):
    import os

    root = Path(os.fsdecode(bytes(tmp_path / "o") + b"\xff"))
    w = LakeWriter(root, "r10")
    w.write("weird", weird_batch([10**18]))
    w.close()
    with pytest.raises(ValueError, match=r"o\\xff: DuckDB cannot read below a folder whose name"):
        query(root, "SELECT count(*) FROM weird")
    (tmp_path / "link").symlink_to(root)  # the way round it the message gives
    assert query(tmp_path / "link", "SELECT count(*) AS n FROM weird").to_pylist() == [{"n": 1}]


def test_partition_folders_are_made_with_their_missing_parents(tmp_path):
    """A new hour of a known date is one ``mkdir``; a new date makes its folder first; an
    existing folder is fine; a file where the folder should be is an error, as with
    ``os.makedirs``."""
    from wirelens.store.lake import _make_folder

    hour = tmp_path / "conn" / "date=2024-01-01" / "hour=00"
    _make_folder(hour)  # (table and date folders missing)
    _make_folder(hour.with_name("hour=01"))
    _make_folder(hour)  # (already there)
    assert sorted(p.name for p in hour.parent.iterdir()) == ["hour=00", "hour=01"]
    blocked = hour.with_name("hour=02")
    blocked.write_bytes(b"")
    with pytest.raises(FileExistsError):
        _make_folder(blocked)
