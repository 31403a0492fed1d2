"""Dissector events and weird rows (Python dicts, few) -> declared tables (Arrow)."""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from wirelens.pipeline.records import PROTO_NAMES
from wirelens.schema import SCHEMAS


def rows_batch(table: str, rows: list[dict[str, Any]]) -> pa.RecordBatch:
    """Rows keyed by column name (case-insensitive fallback) as a batch of ``table``."""
    schema = SCHEMAS[table]
    cols = []
    for fld in schema:
        values: list[Any]
        if fld.name == "proto" and fld.type == pa.string():  # the transport, by name
            values = [PROTO_NAMES.get(r.get("_proto", 0)) for r in rows]
        else:
            key = fld.name if not rows or fld.name in rows[0] else fld.name.lower()
            values = [r.get(key) for r in rows]
        if fld.type == pa.timestamp("ns", tz="UTC"):
            values = [None if v is None else int(v) for v in values]
            cols.append(pa.array(values, pa.int64()).cast(fld.type))
        else:
            cols.append(pa.array(values, fld.type))
    return pa.RecordBatch.from_arrays(cols, schema=schema)
