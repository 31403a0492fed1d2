"""DuckDB over the Parquet lake: one view per declared table."""

from __future__ import annotations

import json
import math
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from wirelens.core.paths import display_name
from wirelens.schema import SCHEMAS
from wirelens.store.lake import table_files


def connect(root: str | Path) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection with a view per table of the lake at ``root``.

    A table with no file yet is still queryable (an empty view with the declared columns).
    """
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"{display_name(root)}: no such output folder")
    try:
        str(root).encode("utf-8")
    except UnicodeEncodeError:  # (DuckDB takes its paths as UTF-8 text)
        raise ValueError(f"{display_name(root)}: DuckDB cannot read below a folder whose name "
                         "is not UTF-8; query it through a symbolic link named in UTF-8"
                         ) from None
    con = duckdb.connect(":memory:")
    con.execute("SET enable_progress_bar = false")  # (DuckDB draws it on stdout: the output)
    for table, schema in SCHEMAS.items():
        # the files listed, not globbed: DuckDB's glob would read the folder's own ``[``,
        # ``*``, ``?`` as patterns and cannot match a ``\`` in it (as fast: one walk either way)
        files = table_files(root, table)
        if files:
            listed = ", ".join("'" + str(f).replace("'", "''") + "'" for f in files)
            con.execute(
                f"CREATE VIEW {table} AS SELECT * EXCLUDE (date, hour) FROM "
                f"read_parquet([{listed}], hive_partitioning = true, union_by_name = true)"
            )
        else:
            empty = pa.Table.from_batches([], schema=schema)
            con.register(f"_empty_{table}", empty)
            con.execute(f"CREATE VIEW {table} AS SELECT * FROM _empty_{table}")
    return con


def query(root: str | Path, sql: str) -> pa.Table:
    """Run ``sql`` against the lake and return the result as Arrow."""
    with query_reader(root, sql) as reader:
        return reader.read_all()


QUERY_BATCH_ROWS = 65_536
"""Rows of a result handed on at a time by :func:`query_reader`."""


@contextmanager
def query_reader(root: str | Path, sql: str,
                 rows: int | None = None) -> Iterator[pa.RecordBatchReader]:
    """Run ``sql`` against the lake; its result in batches of at most ``rows`` rows
    (:data:`QUERY_BATCH_ROWS`), as DuckDB makes them (the whole result is never held:
    printing every flow of a large lake takes the memory of a batch). The connection closes
    when the block ends."""
    con = connect(root)
    try:
        # typed non-optional by duckdb, but None for a statement without a result (duckdb 1)
        rel: duckdb.DuckDBPyRelation | None = con.sql(sql)
        if rel is None:
            yield pa.RecordBatchReader.from_batches(pa.schema([]), [])
        else:
            reader = getattr(rel, "to_arrow_reader", None) or rel.fetch_record_batch  # 2 / 1
            yield reader(rows or QUERY_BATCH_ROWS)
    finally:
        con.close()


def python_rows(table: pa.Table) -> list[dict[str, Any]]:
    """The rows of a result as Python values, for display and JSON. Python's ``datetime``
    holds microseconds: a nanosecond timestamp column whose values all fit stays datetimes;
    one with digits below the microsecond (a nanosecond capture's ``ts``) becomes text,
    ``2023-11-14 22:13:20.123456789+00:00``, instead of failing the conversion. Times inside
    lists and structs (a query's ``list(ts)``) are shown to the microsecond."""
    cols = []
    for col in table.columns:
        typ = col.type
        if pa.types.is_timestamp(typ) and typ.unit == "ns":
            try:
                col = col.cast(pa.timestamp("us", typ.tz), safe=True)
            except pa.ArrowInvalid:  # (a value would lose its nanoseconds)
                col = pc.strftime(col, "%Y-%m-%d %H:%M:%S" + ("%Ez" if typ.tz else ""))
        elif (micro := _to_micro(typ)) != typ:
            col = col.cast(micro, safe=False)
        cols.append(col)
    rows: list[dict[str, Any]] = pa.table(cols, names=table.column_names).to_pylist()
    return rows


def json_text(value: Any) -> str:
    """A value of :func:`python_rows` (a row, a list, a struct) as JSON: times and decimals
    as text, NaN and infinities (``0.0/0.0`` in SQL) as null, as JSON has no such numbers
    (``NaN`` in the output breaks strict readers)."""
    return json.dumps(_finite(value), default=str, allow_nan=False)


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


def _to_micro(typ: pa.DataType) -> pa.DataType:
    """``typ`` with its nanosecond timestamps, at any depth of lists and structs, in us."""
    if pa.types.is_timestamp(typ) and typ.unit == "ns":
        return pa.timestamp("us", typ.tz)
    if pa.types.is_list(typ) or pa.types.is_large_list(typ):
        inner = _to_micro(typ.value_type)
        return typ if inner == typ.value_type else (
            pa.list_(inner) if pa.types.is_list(typ) else pa.large_list(inner))
    if pa.types.is_struct(typ):
        fields = [typ.field(i) for i in range(typ.num_fields)]
        micro = [f.with_type(_to_micro(f.type)) for f in fields]
        return typ if micro == fields else pa.struct(micro)
    return typ


EXPORT_MEMORY = "512MB"
"""DuckDB's memory for an export; its sort by ``ts`` spills to a folder in the lake beyond
that (one thread: each more holds buffers of its own, and the wide rows would not spill)."""


def export(root: str | Path, formats: list[str]) -> list[Path]:
    """Write every table as ``OUT/<table>.jsonl`` and/or ``OUT/<table>.csv``, in ``ts``
    order, in bounded memory (:data:`EXPORT_MEMORY`)."""
    root = Path(root)
    written: list[Path] = []
    con = connect(root)
    spill = tempfile.mkdtemp(prefix=".export-", dir=root)
    try:
        con.execute("SET threads = 1")
        con.execute(f"SET memory_limit = '{EXPORT_MEMORY}'")
        con.execute("SET temp_directory = '" + spill.replace("'", "''") + "'")
        for table in SCHEMAS:
            for fmt in formats:
                ext = {"jsonl": "jsonl", "json": "jsonl", "csv": "csv"}[fmt]
                path = root / f"{table}.{ext}"
                tmp = path.with_name(path.name + ".tmp")
                opts = "FORMAT json" if ext == "jsonl" else "FORMAT csv, HEADER true"
                target = str(tmp).replace("'", "''")
                con.execute(f"COPY (SELECT * FROM {table} ORDER BY ts) TO '{target}' ({opts})")
                tmp.replace(path)
                written.append(path)
    finally:
        con.close()
        shutil.rmtree(spill, ignore_errors=True)
    return written
