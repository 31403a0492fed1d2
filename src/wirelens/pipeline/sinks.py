"""Sinks that write the tables somewhere: the Parquet lake."""

from __future__ import annotations

import errno
from pathlib import Path

import pyarrow as pa

from wirelens.store.lake import LakeWriter
from wirelens.store.lake_process import LakeProcess


class LakeSink:
    """Writes every table into the Parquet lake at ``root`` (atomic files, row groups); with
    ``separate``, from a process of its own (:mod:`wirelens.store.lake_process`: worth its
    start-up, ~0.3 s of the other core, when there is much to write)."""

    def __init__(self, root: str | Path, run_id: str, separate: bool = False) -> None:
        # the folder made now: one that cannot be (a file of that name, no permission) is
        # said before the analysis, not when its first file is written
        try:
            Path(root).mkdir(parents=True, exist_ok=True)
        except FileExistsError:
            raise NotADirectoryError(errno.ENOTDIR, "not a folder", str(root)) from None
        self.writer: LakeWriter | LakeProcess
        try:
            self.writer = (LakeProcess if separate else LakeWriter)(root, run_id)
        except OSError:  # (no Python to start: an embedding host's ``sys.executable``)
            self.writer = LakeWriter(root, run_id)

    def write(self, table: str, batch: pa.RecordBatch) -> None:
        self.writer.write(table, batch)

    def watermark(self, ts_ns: int) -> None:
        """No row older than ``ts_ns`` is expected any more (files done with are finished)."""
        self.writer.watermark(ts_ns)

    def drain(self) -> None:
        """Wait until everything written so far is in finished files."""
        self.writer.drain()

    def close(self) -> int:
        """Finish the files; returns how many were written."""
        return self.writer.close()

    @property
    def peak_rss(self) -> int | None:
        """Peak resident memory (bytes) of the process that wrote the lake, if not this one."""
        return getattr(self.writer, "peak_rss", None)

    def abort(self) -> None:
        self.writer.abort()
