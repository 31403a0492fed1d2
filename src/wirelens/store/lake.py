"""The Parquet lake: one folder per table, Hive partitions by date and hour, atomic files.

Layout: ``OUT/<table>/date=YYYY-MM-DD/hour=HH/part-<run_id>-<n>.parquet``. Every file is
written under a temporary name (``….parquet.tmp``, which readers ignore) and renamed into place
when complete, so a crash never leaves a half-written ``.parquet`` visible. Rows are buffered
per partition up to ``row_group_rows`` and written as row groups, and at most ``pending_rows``
across partitions, so memory stays flat.

Files are encoded and written by one background thread, in the order they are handed over:
Arrow's Parquet encoder and the file writes release the GIL, so that work runs on a second
core while the analysis goes on (at most ``IN_FLIGHT_ROWS`` rows wait for it).
"""

from __future__ import annotations

import os
import shutil
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from wirelens.schema import SCHEMAS

ROW_GROUP_ROWS = 131_072
MAX_OPEN_PARTITIONS = 24
"""Partition files kept open per table (a day of hours: flows end late, and their rows go to
the hour they started in); the least recently used one is finished (renamed into place) when
another is needed, so open files do not grow with the capture's time span; those of hours
before the watermark are finished as it passes them (:meth:`LakeWriter.watermark`). A
partition reopened later gets a new file."""
PENDING_ROWS = 262_144
"""Rows buffered across all open partitions at most; past it the partition holding most is
written out as a row group, so memory stays flat whatever the number of open partitions."""
PARQUET_OPTIONS = {"compression": "lz4", "use_dictionary": False}
"""LZ4 (LZ4_RAW) writes about a third faster than zstd for the many small partition files a
capture spanning days makes, at ~20% larger files; dictionaries cost more than they save here."""

IN_FLIGHT_ROWS = 32_768
"""Rows handed to the writer thread and not yet written at most; past it the analysis waits,
so memory stays flat when rows are made faster than they are written (measured with
``bench/many_open_capture.py``, whose 400 k flows still open at the end are written at once:
peak 737 MB before the thread, 789 MB with 131,072 rows in flight, 755 MB with 32,768; the
benchmark's times the same)."""

JOIN_ROWS = 8192
"""A file's pending pieces are joined into one chunk before writing up to this many rows."""


def file_schema(schema: pa.Schema) -> pa.Schema:
    """``schema`` as the files store it: without the field documentation (``wirelens schema``
    prints it). Every file's footer holds its Arrow schema; the docs of ``conn``'s 84 fields
    were 12.5 KB of a ~400-row file's 106 KB and ~8% of its writing time."""
    return pa.schema([f.remove_metadata() for f in schema])


STATS_COLUMNS = ("ts", "uid", "orig_h", "orig_p", "resp_h", "resp_p", "proto", "service",
                 "server_name", "name", "query", "host")
"""Columns whose min/max statistics are written (what queries filter on; DuckDB prunes row
groups with them). Statistics on every column cost time and are rarely useful."""

HOUR_NS = 3_600_000_000_000
"""A partition's span: rows go to the hour their ``ts`` falls in (UTC)."""
MAX_KNOWN_DIRS = 4096
"""Partition folders remembered as made (then forgotten all at once: a long run writes a
folder per table and hour, and ``os.makedirs`` on an existing one is only a little slower)."""


class _PartitionFile:
    """One Parquet file being written for one (table, date, hour).

    Most partitions of a capture are small: their rows stay buffered until they are finished,
    and the whole file is encoded in memory and written in one piece (cheaper than a
    streaming writer on a path: ~10% less CPU over quarter.pcap's 1,199 files). A partition
    that reaches ``row_group_rows`` (or is flushed to bound the rows pending across
    partitions) opens the temporary file and streams row groups into it from then on.

    The analysis thread adds rows and ``take``s them; ``write``, ``finish`` and ``abort`` run on
    the writer thread, in order (the Parquet writer is only ever touched there).
    """

    def __init__(self, final: Path, schema: pa.Schema, stats: list[str]) -> None:
        self.final = final
        self.tmp = final.with_name(final.name + ".tmp")
        self.schema = schema
        self.stats = stats
        self.sink: pa.NativeFile | None = None
        self.writer: pq.ParquetWriter | None = None
        self.pending: list[pa.RecordBatch] = []
        self.pending_rows = 0
        self.failed = False

    def add(self, batch: pa.RecordBatch) -> None:
        self.pending.append(batch)
        self.pending_rows += batch.num_rows

    def take(self, streaming: bool) -> list[pa.RecordBatch]:
        """The pending rows, handed to the writer thread; ``streaming``: they are a row group
        of a file streamed from now on (its temporary file is made at once)."""
        batches = self.pending
        self.pending, self.pending_rows = [], 0
        if streaming and self.sink is None:
            self.sink = pa.OSFile(str(self.tmp), "wb")
        return batches

    def write(self, batches: list[pa.RecordBatch]) -> None:
        """Writes ``batches`` as a row group of the streamed file."""
        self._guarded(self._write_group, batches)

    def finish(self, batches: list[pa.RecordBatch]) -> bool:
        """Writes the last ``batches`` and renames the file into place (False: it had
        failed before, and is dropped)."""
        return self._guarded(self._finish, batches)

    def _guarded(self, step: Callable[[list[pa.RecordBatch]], None],
                 batches: list[pa.RecordBatch]) -> bool:
        """A file that failed is dropped whole (its later steps do nothing: no file with
        part of its rows is ever renamed into place); an OSError names the file."""
        if self.failed:
            self.abort()  # (a temporary file opened for it meanwhile goes too)
            return False
        try:
            step(batches)
            return True
        except OSError as exc:  # (disk full, say)
            self.abort()
            raise OSError(exc.errno, exc.strerror or str(exc), str(self.final)) from exc
        except BaseException:
            self.abort()
            raise

    def _write_group(self, batches: list[pa.RecordBatch]) -> None:
        if self.writer is None:
            assert self.sink is not None
            self.writer = pq.ParquetWriter(self.sink, self.schema, write_statistics=self.stats,
                                           **PARQUET_OPTIONS)
        self.writer.write_table(self._table(batches), row_group_size=1 << 30)

    def _finish(self, batches: list[pa.RecordBatch]) -> None:
        if self.sink is None:
            buf = pa.BufferOutputStream()
            pq.write_table(self._table(batches), buf, row_group_size=1 << 30,
                           write_statistics=self.stats, **PARQUET_OPTIONS)
            with open(self.tmp, "wb") as fh:
                fh.write(buf.getvalue())
        else:
            if batches:
                self._write_group(batches)
            assert self.writer is not None
            self.writer.close()
            self._close_sink()
        os.replace(self.tmp, self.final)

    def _table(self, batches: list[pa.RecordBatch]) -> pa.Table:
        """``batches`` as a table; a small one joined into one chunk first: Arrow's writer
        pays per chunk and column (a 121-row ``conn`` file in 16 pieces took 1.75 ms to
        write, 0.94 ms whole, 0.19 ms to join). Big ones are written as they are (the cost
        per chunk is small beside their rows, and a joined copy would double them in
        memory)."""
        table = pa.Table.from_batches(batches, self.schema)
        if len(batches) > 1 and table.num_rows <= JOIN_ROWS:
            return table.combine_chunks()
        return table

    def abort(self) -> None:
        """Drops the file (its temporary name); nothing more is written to it."""
        self.failed = True
        try:
            if self.writer is not None:
                self.writer.close()
                self.writer = None
        finally:
            self._close_sink()
            self.tmp.unlink(missing_ok=True)

    def _close_sink(self) -> None:
        if self.sink is not None:
            self.sink.close()
            self.sink = None


class LakeWriter:
    """Streams record batches of the declared tables into the lake under ``root``."""

    def __init__(self, root: str | Path, run_id: str, row_group_rows: int = ROW_GROUP_ROWS,
                 max_open: int = MAX_OPEN_PARTITIONS, pending_rows: int = PENDING_ROWS) -> None:
        self.root = Path(root)
        self.run_id = run_id
        self.row_group_rows = row_group_rows
        self.max_open = max_open
        self.pending_rows = pending_rows
        self._open: dict[str, dict[int, _PartitionFile]] = {}  # per table, by hour, in use order
        self._pending = 0  # rows buffered across every open partition
        self._stats = {t: [c for c in STATS_COLUMNS if c in s.names] for t, s in SCHEMAS.items()}
        self._schemas = {t: file_schema(s) for t, s in SCHEMAS.items()}
        self._seq: dict[str, int] = {}
        self._dirs: set[Path] = set()
        self.rows: dict[str, int] = {t: 0 for t in SCHEMAS}
        self.files = 0
        """Files written (renamed into place) so far."""
        self._thread: ThreadPoolExecutor | None = None
        self._jobs: deque[tuple[Future[None], int]] = deque()  # handed over, in order
        self._in_flight = 0  # rows of those

    def open_partitions(self) -> list[_PartitionFile]:
        return [p for parts in self._open.values() for p in parts.values()]

    def write(self, table: str, batch: pa.RecordBatch | pa.Table) -> None:
        """Append rows of ``table`` (must match its declared schema), split by date and hour."""
        if batch.num_rows == 0:
            return
        if isinstance(batch, pa.Table):
            batch = batch.combine_chunks().to_batches()[0] if batch.num_rows else batch
        ts = batch.column(batch.schema.get_field_index("ts")).cast(pa.int64()).to_numpy(
            zero_copy_only=False)
        hours = ts // HOUR_NS
        if not (hours[1:] >= hours[:-1]).all():  # (rows in hour order are only sliced)
            order = np.argsort(hours, kind="stable")
            hours = hours[order]
            batch = batch.take(pa.array(order))
        starts = np.flatnonzero(np.r_[True, hours[1:] != hours[:-1]])
        ends = np.r_[starts[1:], len(hours)]
        for s, e in zip(starts.tolist(), ends.tolist()):
            self._add(table, int(hours[s]), batch.slice(s, e - s))
        self.rows[table] += batch.num_rows
        if self._pending > self.pending_rows:
            self._flush(max(self.open_partitions(), key=lambda p: p.pending_rows))

    def _add(self, table: str, hour: int, batch: pa.RecordBatch) -> None:
        part = self._part(table, hour)
        part.add(batch)
        self._pending += batch.num_rows
        if part.pending_rows >= self.row_group_rows:
            self._flush(part)

    def watermark(self, ts_ns: int) -> None:
        """No row older than ``ts_ns`` is expected any more: the partitions of hours that end
        by then are finished (the writer thread writes them while the analysis goes on, not
        all at the end). A row that does come later goes to a new file."""
        for parts in self._open.values():
            for hour in [h for h in parts if (h + 1) * HOUR_NS <= ts_ns]:
                self._finish(parts.pop(hour))

    def _flush(self, part: _PartitionFile) -> None:
        """``part``'s pending rows to the writer thread, as a row group of its streamed file."""
        self._send(part, last=False)

    def _finish(self, part: _PartitionFile) -> None:
        """``part``'s pending rows to the writer thread, which ends the file with them."""
        self._send(part, last=True)

    def _send(self, part: _PartitionFile, last: bool) -> None:
        rows = part.pending_rows
        self._pending -= rows
        batches = part.take(streaming=not last)

        def job() -> None:  # (on the writer thread, the only one counting files)
            if not last:
                part.write(batches)
            elif part.finish(batches):
                self.files += 1

        self._hand_over(job, rows)

    def _hand_over(self, job: Callable[[], None], rows: int) -> None:
        """Runs ``job`` on the writer thread after those handed over before it; raises the
        error of any job that failed, and waits while too many rows are in flight."""
        if self._thread is None:
            self._thread = ThreadPoolExecutor(1, thread_name_prefix="wirelens-lake")
        self._jobs.append((self._thread.submit(job), rows))
        self._in_flight += rows
        self._reap(IN_FLIGHT_ROWS)

    def _reap(self, bound: int) -> None:
        """Collects finished jobs (raising a failed one's error), waiting for the oldest while
        more than ``bound`` rows are in flight (``-1``: until every job is done)."""
        while self._jobs and (self._jobs[0][0].done() or self._in_flight > bound):
            job, rows = self._jobs.popleft()
            self._in_flight -= rows
            job.result()

    def _part(self, table: str, hour: int) -> _PartitionFile:
        parts = self._open.setdefault(table, {})
        part = parts.pop(hour, None)
        if part is None:
            if len(parts) >= self.max_open:
                self._finish(parts.pop(next(iter(parts))))
            day = np.datetime64(hour * 3600, "s").astype("datetime64[D]")
            n = self._seq[table] = self._seq.get(table, -1) + 1
            folder = self.root / table / f"date={day}" / f"hour={hour % 24:02d}"
            if folder not in self._dirs:
                _make_folder(folder)
                if len(self._dirs) >= MAX_KNOWN_DIRS:  # (a long run: memory stays flat)
                    self._dirs.clear()
                self._dirs.add(folder)
            part = _PartitionFile(folder / f"{run_prefix(self.run_id)}{n:04d}.parquet",
                                  self._schemas[table], self._stats[table])
        parts[hour] = part  # most recently used last
        return part

    def drain(self) -> None:
        """Finish every open file and wait until all are written (renamed into place); raises
        the first error of the writer thread. Writing may go on after it."""
        for part in self.open_partitions():
            self._finish(part)
        self._open.clear()
        self._reap(-1)

    def close(self) -> int:
        """:meth:`drain`, and end the writer thread; returns how many files were written."""
        try:
            self.drain()
        finally:
            self._stop()
        return self.files

    def abort(self) -> None:
        """Drop files not yet complete (their temporary names only); those already handed
        over to be finished are completed."""
        self._stop()
        for part in self.open_partitions():
            part.abort()
        self._open.clear()
        self._pending = 0

    def _stop(self) -> None:
        """Waits for every job handed over (their errors dropped: an error already raised
        stops the writer) and ends the writer thread."""
        if self._thread is not None:
            self._thread.shutdown(wait=True)
            self._thread = None
        self._jobs.clear()
        self._in_flight = 0


def _make_folder(folder: Path) -> None:
    """``os.makedirs(folder, exist_ok=True)`` in one system call when the parent exists (a
    new hour of a known date: the common case). Each call gives the interpreter lock up, and
    the analysis thread then waits for the writer thread to hand it back (~0.3 ms a call
    measured on big.pcap): ``makedirs`` makes 2-4 of them (a ``stat`` of each missing level
    before its ``mkdir``)."""
    try:
        os.mkdir(folder)
    except FileExistsError:
        if not os.path.isdir(folder):
            raise
    except FileNotFoundError:
        os.makedirs(folder, exist_ok=True)


def table_files(root: str | Path, table: str) -> list[Path]:
    """The Parquet files of a table, in path order (none if it has no folder)."""
    folder = Path(root) / table
    return sorted(folder.rglob("*.parquet")) if folder.is_dir() else []


def run_prefix(run_id: str) -> str:
    """How the names of run ``run_id``'s files begin."""
    return f"part-{run_id}-"


def write_alone(root: str | Path, run_id: str, table: str, batch: pa.RecordBatch) -> None:
    """Write ``batch`` as the only rows of ``table`` from run ``run_id`` (the run's files of
    that table removed first): a failed run's ``run`` row in place of one it wrote."""
    for done in table_files(root, table):
        if done.name.startswith(run_prefix(run_id)):
            done.unlink()
    writer = LakeWriter(root, run_id)
    writer.write(table, batch)
    writer.close()


def uid_salts(root: str | Path) -> set[int]:
    """The ``uid_salt`` of every run in the lake at ``root`` (none from runs written before
    that column, nor from a run file that cannot be read)."""
    salts: set[int] = set()
    for path in table_files(root, "run"):
        try:
            if "uid_salt" not in pq.read_schema(path).names:
                continue
            column = pq.read_table(path, columns=["uid_salt"]).column(0)
        except (OSError, pa.ArrowException):
            continue
        salts.update(v for v in column.to_pylist() if v is not None)
    return salts


def has_data(root: str | Path) -> bool:
    root = Path(root)
    return any((root / t).is_dir() and any((root / t).rglob("*.parquet")) for t in SCHEMAS)


def clear_tables(root: str | Path) -> None:
    """Remove every table folder (used by ``--overwrite``); other files are left alone."""
    for t in SCHEMAS:
        shutil.rmtree(Path(root) / t, ignore_errors=True)


__all__ = ["LakeWriter", "clear_tables", "file_schema", "has_data", "table_files",
           "uid_salts", "write_alone"]
