"""Sinks that write the tables somewhere: the Parquet lake."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from wirelens.store.lake import LakeWriter


class LakeSink:
    """Writes every table into the Parquet lake at ``root`` (atomic files, row groups)."""

    def __init__(self, root: str | Path, run_id: str) -> None:
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

    def abort(self) -> None:
        self.writer.abort()
