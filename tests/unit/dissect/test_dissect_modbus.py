"""Modbus/TCP dissector: MBAP framing, pairing, exceptions, byte-by-byte feeding, strict
``matches``, real captures checked against tshark, and a fuzz test."""

from __future__ import annotations

import dataclasses
import random
import struct
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from wl_dissect_builders import feed_all
from wl_mini_pcap import flows

from wirelens.dissect.modbus import ModbusDissector, ModbusRecord, parse_adu
from wirelens.wire import BadValue, ParseError, TrailingJunk, Truncated

TCP, UDP = 6, 17
DATA = Path(__file__).resolve().parents[3] / ".." / "shared" / "data"
needs_data = pytest.mark.skipif(
    not DATA.is_dir(), reason=f"shared captures not found at {DATA} (see its README.md)"
)


def adu(tid: int, pdu: bytes, unit: int = 1) -> bytes:
    """MBAP header (transaction id, protocol 0, length, unit id) + PDU."""
    return struct.pack(">HHHB", tid, 0, len(pdu) + 1, unit) + pdu


def conversation() -> list[tuple[bool, bytes]]:
    return [
        (True, adu(1, bytes([3]) + struct.pack(">HH", 100, 2))),  # read holding 100..101
        (True, adu(2, bytes([16]) + struct.pack(">HHB", 7, 2, 4) + b"\x00\x01\x00\x02")),
        (True, adu(3, bytes([6]) + struct.pack(">HH", 9, 0x1234))),
        (False, adu(1, bytes([3, 4]) + b"\x00\x0a\x00\x0b")),
        (False, adu(2, bytes([16]) + struct.pack(">HH", 7, 2))),
        (False, adu(3, bytes([0x86, 2]))),  # exception: illegal data address
        (False, adu(9, bytes([4, 2, 0, 1]))),  # unsolicited response
        (True, adu(4, bytes([23]) + struct.pack(">HHHHB", 1, 3, 20, 1, 2) + b"\x00\x05")),
    ]


def test_pairs_requests_and_responses() -> None:
    events = feed_all(ModbusDissector, conversation(), TCP)
    assert all(isinstance(e, ModbusRecord) and e.table == "modbus" for e in events)
    by_tid = {e.trans_id: e for e in events if isinstance(e, ModbusRecord)}
    assert sorted(by_tid) == [1, 2, 3, 4, 9]
    r = by_tid[1]
    assert (r.func, r.func_name, r.read_address, r.read_quantity) == (
        3,
        "READ_HOLDING_REGISTERS",
        100,
        2,
    )
    assert r.has_request and r.has_response and r.exception is None and r.rtt_ns == 0
    w = by_tid[2]
    assert (w.func_name, w.write_address, w.write_quantity) == ("WRITE_MULTIPLE_REGISTERS", 7, 2)
    e = by_tid[3]
    assert (e.func, e.exception, e.exception_name) == (6, 2, "ILLEGAL_DATA_ADDRESS")
    assert (e.write_address, e.write_quantity) == (9, 1)
    assert not by_tid[9].has_request and by_tid[9].rtt_ns is None
    rw = by_tid[4]
    assert (rw.read_address, rw.read_quantity, rw.write_address, rw.write_quantity) == (1, 3, 20, 1)
    assert not rw.has_response


@pytest.mark.parametrize("step", [1, 3, 7])
def test_byte_by_byte_gives_the_same_events(step: int) -> None:
    assert feed_all(ModbusDissector, conversation(), TCP, step) == feed_all(
        ModbusDissector, conversation(), TCP
    )


def test_several_adus_in_one_segment_and_reused_id() -> None:
    req = adu(5, bytes([1]) + struct.pack(">HH", 0, 8))
    events = feed_all(ModbusDissector, [(True, req + req)], TCP)
    assert len(events) == 2 and all(not e.has_response for e in events)  # type: ignore[attr-defined]


def test_incomplete_adu_waits() -> None:
    d = ModbusDissector(TCP)
    assert d.feed(adu(1, bytes([3]) + struct.pack(">HH", 0, 1))[:-1], True, 0) == []
    assert len(d.finish()) == 0  # the partial ADU is not a request


def test_trailing_junk_and_bad_values() -> None:
    with pytest.raises(TrailingJunk):  # a read request with two extra bytes
        parse_adu(adu(1, bytes([3]) + struct.pack(">HHH", 0, 1, 0)), True)
    with pytest.raises(Truncated):  # a read request cut short inside its MBAP length
        parse_adu(adu(1, bytes([3, 0, 0])), True)
    with pytest.raises(BadValue):
        parse_adu(b"\x00\x01\x00\x01\x00\x03\x01\x03\x00", True)  # protocol id 1
    with pytest.raises(BadValue):
        ModbusDissector(TCP).feed(b"\x00\x01\x00\x00\x01\x00\x01\x03", True, 0)  # length 256
    with pytest.raises(TrailingJunk):
        parse_adu(adu(1, bytes([0x83, 2, 0])), False)  # exception code plus a byte


def test_matches_accepts_modbus_only() -> None:
    for from_orig, payload in conversation():
        assert ModbusDissector.matches(payload, TCP, from_orig)
    assert ModbusDissector.matches(adu(1, b"\x01\x00\x00\x00\x01") * 2, TCP, True)
    assert not ModbusDissector.matches(adu(1, b"\x01\x00\x00\x00\x01"), UDP, True)
    assert not ModbusDissector.matches(adu(1, b"\x63\x00\x00\x00\x01"), TCP, True)  # fc 99
    assert not ModbusDissector.matches(adu(1, b"\x81\x02"), TCP, True)  # exception from client
    assert not ModbusDissector.matches(adu(1, b"\x01\x00\x00\x00\x01") + b"x", TCP, True)
    # LDAP with a 4-byte BER length (kerberos.pcap, port 389): protocol id 0 and a length
    # that fits by chance; READ_COILS' fixed layout refutes it
    ldap = bytes.fromhex("3084000000cc0201036184000000c30a0100040004008782") + b"\x00" * 186
    assert not ModbusDissector.matches(ldap, TCP, False)
    assert not ModbusDissector.matches(
        adu(1, bytes([3, 9]) + b"\x00" * 4), TCP, False
    )  # count 9, 4 bytes
    rng = random.Random(5)
    assert not any(ModbusDissector.matches(rng.randbytes(n), TCP, o)
                   for n in (8, 12, 64, 260) for o in (True, False) for _ in range(5000))  # fmt: skip
    for other in (b"GET / HTTP/1.1\r\n\r\n", b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",
                  b"SSH-2.0-OpenSSH_9.6\r\n", b"\x00\x1c\xbe\xef\x01\x00\x00\x01\x00\x00"):  # fmt: skip
        assert not ModbusDissector.matches(other, TCP, True)


def test_schema_matches_event() -> None:
    from wirelens.schema.infra import TABLES

    schema, _ = TABLES["modbus"]
    names = [f.name for f in dataclasses.fields(ModbusRecord) if f.name != "ts_ns"]
    assert schema.names[6:] == [("rtt" if n == "rtt_ns" else n) for n in names]


# -- real captures -------------------------------------------------------------------------------


def _records(rel: str) -> list[ModbusRecord]:
    out: list[ModbusRecord] = []
    for fl in flows(DATA / rel):
        if fl.proto != TCP or not fl.chunks:
            continue
        d = ModbusDissector(TCP)
        for from_orig, payload, ts in fl.chunks:
            out += d.feed(payload, from_orig, ts)  # type: ignore[arg-type]
        out += d.finish()  # type: ignore[arg-type]
    return out


@needs_data
def test_real_zeek_modbus_small() -> None:
    """zeek modbusSmall.pcap (tshark: unit 1, tid 1, alternating function 15 and 1 with
    reference 0, bit count 3); every first segment matches."""
    tcp = [fl for fl in flows(DATA / "zeek/testing/btest/Traces/modbus/modbusSmall.pcap")
           if fl.proto == TCP]  # fmt: skip
    assert len(tcp) >= 16
    for fl in tcp:
        firsts = {o: p for o, p, _ in reversed(fl.chunks)}
        assert all(ModbusDissector.matches(p, TCP, o) for o, p in firsts.items())
    recs = _records("zeek/testing/btest/Traces/modbus/modbusSmall.pcap")
    assert {r.func_name for r in recs} == {"WRITE_MULTIPLE_COILS", "READ_COILS"}
    assert all(r.has_request and r.has_response and r.unit_id == 1 for r in recs)
    assert {(r.read_address, r.read_quantity) for r in recs if r.func == 1} == {(0, 3)}
    assert {(r.write_address, r.write_quantity) for r in recs if r.func == 15} == {(0, 3)}


@needs_data
def test_real_suricata_modbus() -> None:
    """suricata-verify modbus.pcap (tshark): diagnostics (8) answered by exception 11,
    read coils at 0 x1 and 2 x2, read holding registers at 5 x2, write single coil 1 and 2,
    write single register 5; one flow has MBAP length 34820 (a ParseError)."""
    recs: list[ModbusRecord] = []
    errors = 0
    for fl in flows(DATA / "suricata-verify/tests/modbus/modbus.pcap"):
        d = ModbusDissector(TCP)
        try:
            for from_orig, payload, ts in fl.chunks:
                recs += d.feed(payload, from_orig, ts)  # type: ignore[arg-type]
        except ParseError:
            errors += 1
    assert errors == 1
    diag = [r for r in recs if r.func == 8]
    assert {r.exception_name for r in diag} == {"GATEWAY_TARGET_DEVICE_FAILED_TO_RESPOND", None}
    assert {(r.read_address, r.read_quantity) for r in recs if r.func == 1} == {(0, 1), (2, 2)}
    assert {(r.read_address, r.read_quantity) for r in recs if r.func == 3} == {(5, 2)}
    assert {r.write_address for r in recs if r.func == 5} == {1, 2}
    assert {r.write_address for r in recs if r.func == 6} == {5}


# -- fuzz ----------------------------------------------------------------------------------------


@settings(max_examples=300, deadline=250, suppress_health_check=[HealthCheck.too_slow])
@given(
    edits=st.lists(st.tuples(st.integers(0, 120), st.integers(0, 255)), max_size=6),
    cut=st.integers(0, 130),
    junk=st.binary(max_size=40),
    step=st.integers(0, 9),
)
def test_fuzz_modbus(edits: list[tuple[int, int]], cut: int, junk: bytes, step: int) -> None:
    """Invariant: any byte stream, in any split, yields ModbusRecords or raises ParseError
    (within the 250 ms deadline); ``matches`` never raises."""
    stream = bytearray(b"".join(p for _, p in conversation()))
    for pos, value in edits:
        if pos < len(stream):
            stream[pos] = value
    data = bytes(stream[:cut]) + junk
    for o in (True, False):
        ModbusDissector.matches(data, TCP, o)
    try:
        events = feed_all(ModbusDissector, [(True, data), (False, data)], TCP, step)
    except ParseError:
        return
    assert all(isinstance(e, ModbusRecord) for e in events)
