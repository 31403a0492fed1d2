"""Events to Arrow: a value its column cannot hold becomes null, and is reported."""

from __future__ import annotations

import dataclasses

from wirelens.dissect.modbus import ModbusRecord
from wirelens.pipeline.events import EventRows, events_batch


def _record(**changes: object) -> ModbusRecord:
    base = ModbusRecord(ts_ns=1_700_000_000 * 10**9, trans_id=1, unit_id=1, func=3,
                        func_name="READ_HOLDING_REGISTERS", exception=None, exception_name=None,
                        read_address=0, read_quantity=2, write_address=None,
                        write_quantity=None, has_request=True, has_response=True, rtt_ns=1000)
    return dataclasses.replace(base, **changes)


def test_a_value_out_of_its_columns_range_becomes_null_and_is_named() -> None:
    names = tuple(f.name for f in dataclasses.fields(ModbusRecord))
    rows = EventRows(names)
    for rec in (_record(), _record(unit_id=300), _record(read_address=-1)):
        rows.values.append(dataclasses.astuple(rec))
        rows.keys.append((7, 0, 0xFFFF0A000001, 40000, 0, 0xFFFF0A000002, 502, 6))
    bad: list[str] = []
    batch = events_batch("modbus", rows, salt=1, bad=bad)
    assert batch.column("unit_id").to_pylist() == [1, None, 1]  # uint8
    assert batch.column("read_address").to_pylist() == [0, 0, None]  # uint16
    assert sorted(bad) == ["read_address", "unit_id"]
    assert events_batch("modbus", EventRows(names, rows.values[:1], rows.keys[:1]), 1).num_rows == 1


def test_the_run_records_a_weird_for_it(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from wirelens.pipeline.runner import Analysis, MemorySink
    from wirelens.pipeline.summary import RunSummary

    names = tuple(f.name for f in dataclasses.fields(ModbusRecord))
    rows = EventRows(names, [dataclasses.astuple(_record(unit_id=999))],
                     [(7, 0, 0xFFFF0A000001, 40000, 0, 0xFFFF0A000002, 502, 6)])
    sink = MemorySink()
    a = Analysis(sinks=[sink])
    a.summary = RunSummary(run_id="x", inputs=[])
    monkeypatch.setattr(a.dpi, "take_events", lambda: [("modbus", rows)])
    monkeypatch.setattr(a.dpi, "take_weirds", lambda: [])
    a._emit_events()
    assert sink.table("modbus").column("unit_id").to_pylist() == [None]
    weird = sink.table("weird").to_pylist()
    assert [(w["name"], w["source"], w["detail"].split(":")[0]) for w in weird] == [
        ("value_out_of_range", "modbus", "modbus.unit_id")]
    assert a.summary.weirds == {"value_out_of_range": 1}
