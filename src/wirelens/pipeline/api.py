"""The Python API: ``wirelens.analyze`` and ``wirelens.iter_flows``."""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa

from wirelens.capture import expand_inputs
from wirelens.core.errors import CaptureError
from wirelens.pipeline.runner import (
    Analysis,
    AnalyzeOptions,
    MemorySink,
    Progress,
    input_size,
)
from wirelens.pipeline.sinks import LakeSink
from wirelens.pipeline.summary import RunSummary
from wirelens.schema import SCHEMAS
from wirelens.store.lake import uid_salts, write_alone


@dataclass
class AnalysisResult:
    """Every table of a run as Arrow (``result.conn.to_pandas()`` works), and its summary."""

    summary: RunSummary
    tables: dict[str, pa.Table]
    out: Path | None = None

    def __getattr__(self, name: str) -> pa.Table:
        tables = self.__dict__.get("tables", {})
        if name in tables:
            return tables[name]
        raise AttributeError(name)

    def table(self, name: str) -> pa.Table:
        return self.tables[name]


InputPaths = str | Path | list[str] | list[Path] | list[str | Path] | tuple[str | Path, ...]
"""One input (a capture file, a folder, or ``-`` for stdin) or a list/tuple of them."""


def _inputs(path: InputPaths) -> list[str]:
    """The inputs as text (``-``: stdin); anything but paths is refused (``str(None)`` would
    name a file ``None``)."""
    paths = list(path) if isinstance(path, (list, tuple)) else [path]
    for p in paths:
        if not isinstance(p, (str, bytes, os.PathLike)):
            raise TypeError(f"an input is a path (str or os.PathLike), not {type(p).__name__}")
    return [os.fsdecode(p) for p in paths]


class NothingRead(CaptureError):
    """No input could be read (the command line's exit status 1); ``result`` is the run's
    all the same (its summary's problems say why, per input)."""

    def __init__(self, message: str, result: AnalysisResult) -> None:
        super().__init__(message)
        self.result = result


SEPARATE_WRITER_BYTES = 64 << 20
"""Inputs of at least this size (or stdin) analysed with DPI have the lake written by a
process of its own (:class:`~wirelens.store.lake_process.LakeProcess`), away from the
interpreter lock of the analysis' Python; smaller ones, whose few files a thread writes in
the time that process takes to start, and flows only, by a thread. (big.pcap in alternating
runs: full DPI 30.0-30.2 s with the thread, 24.5-25.6 s with the process; `--dpi fast`
9.0-9.5 s, 8.3-8.4 s; flows only 3.2-3.3 s, 3.4-3.5 s, where the little Python left gains
less than moving every row through the pipe costs.)"""


def _input_bytes(files: list[str]) -> float:
    """The size in bytes of the expanded inputs (stdin: unbounded)."""
    if "-" in files:
        return float("inf")
    return sum(input_size(f) for f in files)


def _failed_run(out: Path, run_id: str, analysis: Analysis, exc: BaseException) -> None:
    """Write the run row of a run ``exc`` ended early (``error`` says what), in place of
    one it may have written already, so the lake shows its tables are incomplete."""
    error = str(exc) or type(exc).__name__
    if isinstance(exc, KeyboardInterrupt):
        error = "stopped at once (a second Ctrl-C or SIGTERM)"
    elif isinstance(exc, MemoryError):
        error = "out of memory"
    row = analysis.failed_run_row(error)
    if row is not None:
        write_alone(out, run_id, "run", row)


def analyze(
    path: InputPaths,
    out: str | Path | None = None,
    *,
    keep_tables: bool = True,
    progress: Progress | None = None,
    stop: threading.Event | None = None,
    **options: Any,
) -> AnalysisResult:
    """Analyse captures; returns the tables as Arrow and, with ``out``, writes the Parquet lake.

    ``options`` are :class:`AnalyzeOptions` fields (``idle_timeout_s``, ``active_timeout_s``,
    ``max_flows``, ``vlan_key``, ``dpi``, ``batch_bytes``, ``emit_bytes``, ``show_passwords``). With
    ``keep_tables=False`` nothing is kept in memory (use it with ``out`` on large inputs).
    Setting ``stop`` ends the run early with complete output (:class:`Analysis`).

    Raises :class:`NothingRead` (a :class:`~wirelens.core.errors.CaptureError`, holding the
    run's result) when nothing could be read (no capture file in the inputs, or none could be
    opened: a missing file, one that is not a capture; with ``out`` the run row is written
    first); damaged inputs, and some of several not readable, are the summary's ``problems``
    (``unreadable_inputs``), as the command line's exit status 3.
    """
    opts = AnalyzeOptions(**options)
    run_id = uuid.uuid4().hex[:12]
    sinks: list[Any] = []
    memory = MemorySink() if keep_tables else None
    if memory is not None:
        sinks.append(memory)
    inputs = _inputs(path)
    files = expand_inputs(inputs)  # (once: the run is given them)
    separate = opts.dpi != "off" and _input_bytes(files) >= SEPARATE_WRITER_BYTES
    lake = LakeSink(out, run_id, separate=separate) if out is not None else None
    if lake is not None:
        sinks.append(lake)
    taken = uid_salts(out) if out is not None else ()
    analysis = Analysis(opts, sinks, run_id=run_id, stop=stop, taken_salts=taken)
    try:
        summary = analysis.run(inputs, progress=progress, files=files)
        if lake is not None:
            lake.close()
    except BaseException as exc:
        if lake is not None and out is not None:  # keep what was complete: every file is
            with suppress(Exception):  # renamed only once whole (a writer that failed fails
                lake.close()  # again: the first failure is the one to tell)
            with suppress(Exception):  # (the disk still full, say: nothing more to do)
                _failed_run(Path(out), run_id, analysis, exc)
        raise
    if lake is not None:
        summary.out = str(out)
        summary.writer_peak_rss = lake.peak_rss
    tables = {t: memory.table(t) for t in SCHEMAS} if memory is not None else {}
    result = AnalysisResult(summary, tables, Path(out) if out is not None else None)
    if summary.read_nothing:
        raise NothingRead(summary.read_nothing, result)
    return result


def iter_flows(path: InputPaths, **options: Any) -> Iterator[dict[str, Any]]:
    """Stream flows (``conn`` rows as dicts) as they end, while the input is read: those that
    ended are handed over every ``emit_bytes`` of input (16 MiB; smaller for a live feel),
    each piece in order of the hour the flows started, in the order they ended within an
    hour. Raises :class:`NothingRead` when nothing could be read (as :func:`analyze`)."""
    analysis = Analysis(AnalyzeOptions(**options), [sink := MemorySink()])
    for _ in analysis.steps(_inputs(path)):
        for batch in sink.batches["conn"]:
            yield from batch.to_pylist()
        sink.batches = {t: [] for t in sink.batches}
    assert analysis.summary is not None
    if analysis.summary.read_nothing:
        raise NothingRead(analysis.summary.read_nothing,
                          AnalysisResult(analysis.summary, {}))
