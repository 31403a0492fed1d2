"""DuckDB over the Parquet lake: one view per declared table."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa

from wirelens.schema import SCHEMAS
from wirelens.store.lake import table_glob


def connect(root: str | Path) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection with a view per table of the lake at ``root``.

    A table with no file yet is still queryable (an empty view with the declared columns).
    """
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"{root}: no such output folder")
    con = duckdb.connect(":memory:")
    for table, schema in SCHEMAS.items():
        folder = root / table
        if folder.is_dir() and any(folder.rglob("*.parquet")):
            glob = table_glob(root, table).replace("'", "''")
            con.execute(
                f"CREATE VIEW {table} AS SELECT * EXCLUDE (date, hour) FROM "
                f"read_parquet('{glob}', hive_partitioning = true, union_by_name = true)"
            )
        else:
            empty = pa.Table.from_batches([], schema=schema)
            con.register(f"_empty_{table}", empty)
            con.execute(f"CREATE VIEW {table} AS SELECT * FROM _empty_{table}")
    return con


def query(root: str | Path, sql: str) -> pa.Table:
    """Run ``sql`` against the lake and return the result as Arrow."""
    con = connect(root)
    try:
        # typed non-optional by duckdb, but None for a statement without a result
        rel: duckdb.DuckDBPyRelation | None = con.sql(sql)
        if rel is None:  # a statement without a result
            return pa.table({})
        fetch = getattr(rel, "to_arrow_table", None) or rel.arrow  # duckdb 2 / 1
        return fetch()
    finally:
        con.close()


def export(root: str | Path, formats: list[str]) -> list[Path]:
    """Write every table as ``OUT/<table>.jsonl`` and/or ``OUT/<table>.csv``."""
    root = Path(root)
    written: list[Path] = []
    con = connect(root)
    try:
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
    return written
