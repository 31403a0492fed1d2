"""Dissector events and weird rows -> declared tables (Arrow)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa

from wirelens.pipeline.columns import format_addrs, uids
from wirelens.pipeline.records import PROTO_NAMES
from wirelens.schema import SCHEMAS


def _array(fld: pa.Field, values: Any, bad: list[str] | None = None) -> pa.Array:
    """One column of a declared field (timestamps given as ns integers). A value the type
    cannot hold (a number out of its range: a dissector's bug on damaged input) becomes
    null rather than stopping the run; the field's name is added to ``bad``. (Timestamps are
    built as int64 and viewed as their type, no copy: converting Python values to a zoned
    timestamp, or casting to one, costs ~100 us a call, 40% of this function's time.)"""
    stamp = pa.types.is_timestamp(fld.type)
    target = pa.int64() if stamp else fld.type
    try:
        arr = pa.array(values, target)
    except (OverflowError, pa.ArrowInvalid, pa.ArrowTypeError):
        kept = [v if _fits(v, target) else None for v in values]
        if bad is not None:
            bad.append(fld.name)
        arr = pa.array(kept, target)
    return arr.view(fld.type) if stamp else arr


def _fits(value: Any, typ: pa.DataType) -> bool:
    try:
        pa.scalar(value, typ)
    except (OverflowError, pa.ArrowInvalid, pa.ArrowTypeError):
        return False
    return True


def rows_batch(table: str, rows: list[dict[str, Any]]) -> pa.RecordBatch:
    """Rows keyed by column name (weird rows) as a batch of ``table``."""
    schema = SCHEMAS[table]
    return pa.RecordBatch.from_arrays(
        [_array(fld, [r.get(fld.name) for r in rows]) for fld in schema], schema=schema)


KEYS = ("_flow_id", "_orig_hi", "_orig_lo", "orig_p", "_resp_hi", "_resp_lo", "resp_p", "_proto")
"""What the DPI stage adds to each event: the flow's id (its ``uid`` is made per batch),
endpoints (addresses as their high and low 64 bits, written as text per batch) and IP
protocol."""


@dataclass(slots=True)
class EventRows:
    """Events of one class bound for one table, kept as tuples (one ``attrgetter`` call per
    event) and turned into columns once per batch."""

    names: tuple[str, ...]
    """The event class's field names, in the order of each tuple of :attr:`values`."""
    values: list[tuple[Any, ...]] = field(default_factory=list)
    keys: list[tuple[Any, ...]] = field(default_factory=list)
    """Per event: the values of :data:`KEYS`."""
    columns: dict[str, pa.Array] | None = None
    """Columns already built, by schema field name (the DNS fast path's answer lists)."""


def events_batch(table: str, rows: EventRows, salt: int,
                 bad: list[str] | None = None) -> pa.RecordBatch:
    """The events as a batch of ``table``: a column per schema field, from the event field of
    that name (``ts`` from ``ts_ns``, ``rtt`` in seconds from ``rtt_ns``, ``proto`` the
    transport's name, ``uid`` from the flow id and the run's ``salt``), or the flow keys;
    null where the event has no such field. Fields where a value had to be left out (see
    :func:`_array`) are added to ``bad``."""
    schema = SCHEMAS[table]
    n = len(rows.values)
    cols: dict[str, Any] = dict(zip(rows.names, zip(*rows.values, strict=True), strict=True)) if n else {}
    keys: dict[str, Any] = dict(zip(KEYS, zip(*rows.keys, strict=True), strict=True)) if n else {}
    arrays = []
    for fld in schema:
        name = fld.name
        values: Any
        if rows.columns is not None and name in rows.columns:
            arrays.append(rows.columns[name])
            continue
        if name == "ts":
            values = cols.get("ts_ns", ())
        elif name == "uid":  # (formatted by the compiled kernel, one call per batch)
            arrays.append(uids(np.array(keys.get("_flow_id", ()), np.uint64), salt))
            continue
        elif name in ("orig_h", "resp_h"):  # (formatted by the compiled kernel)
            side = name[:4]
            arrays.append(format_addrs(np.array(keys.get(f"_{side}_hi", ()), np.uint64),
                                       np.array(keys.get(f"_{side}_lo", ()), np.uint64)))
            continue
        elif name == "rtt" and "rtt_ns" in cols:
            values = [None if v is None else v / 1e9 for v in cols["rtt_ns"]]
        elif name == "proto" and fld.type == pa.string():  # the transport, by name
            values = [PROTO_NAMES.get(p) for p in keys.get("_proto", ())]
        elif name in keys:
            values = keys[name]
        elif name in cols or name.lower() in cols:
            values = cols[name] if name in cols else cols[name.lower()]
        else:
            values = [None] * n
        arrays.append(_array(fld, values, bad))
    return pa.RecordBatch.from_arrays(arrays, schema=schema)
