"""SNMP dissector: whole / byte-level feeding per datagram, junk, truncations, real captures
(zeek's snmp traces, values confirmed with tshark), schema agreement and fuzz."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import wl_mini_pcap
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from wl_der import integer, tlv

from wirelens.dissect.base import Event
from wirelens.dissect.snmp import REDACTED, SnmpDissector, SnmpRecord, parse_snmp
from wirelens.schema.enterprise import TABLES
from wirelens.wire import BadValue, ParseError, TrailingJunk, Truncated

UDP, TCP = 17, 6
DATA = Path(__file__).resolve().parents[3] / ".." / "shared" / "data"
ZEEK_SNMP = DATA / "zeek" / "testing" / "btest" / "Traces" / "snmp"
needs_data = pytest.mark.skipif(
    not ZEEK_SNMP.is_dir(), reason=f"shared captures not found at {DATA} (see its README.md)"
)


def oid(text: str) -> bytes:
    arcs = [int(a) for a in text.split(".")]
    out = bytearray([40 * arcs[0] + arcs[1]])
    for a in arcs[2:]:
        chunk = [a & 0x7F]
        a >>= 7
        while a:
            chunk.append(0x80 | (a & 0x7F))
            a >>= 7
        out += bytes(reversed(chunk))
    return tlv(0x06, bytes(out))


def message(version: int, community: bytes, pdu_tag: int, req: int, binds: list[bytes]) -> bytes:
    pdu = tlv(pdu_tag, integer(req) + integer(0) + integer(0) + tlv(0x30, b"".join(binds)))
    return tlv(0x30, integer(version) + tlv(0x04, community) + pdu)


GET = message(1, b"public", 0xA0, 0x1234, [tlv(0x30, oid("1.3.6.1.2.1.1.1.0") + b"\x05\x00")])
RESP = message(
    1, b"public", 0xA2, 0x1234, [tlv(0x30, oid("1.3.6.1.2.1.1.1.0") + tlv(0x04, b"Linux box"))]
)


def test_get_and_response() -> None:
    d = SnmpDissector(UDP)
    (q,) = d.feed(GET, True, 5)
    (r,) = d.feed(RESP, False, 6)
    assert isinstance(q, SnmpRecord) and isinstance(r, SnmpRecord)
    assert (q.version, q.version_name, q.pdu_type_name, q.request_id) == (
        1,
        "v2c",
        "get_request",
        0x1234,
    )
    assert q.community == REDACTED and q.community_default is True
    assert q.oids == ("1.3.6.1.2.1.1.1.0",) and q.values == ("",)
    assert r.pdu_type_name == "response" and r.values == ("Linux box",) and not r.from_orig
    assert (r.error_status, r.error_status_name, r.ts_ns) == (0, "noError", 6)


def test_show_passwords_keeps_the_community() -> None:
    private = message(
        0, b"s3cret", 0xA3, 7, [tlv(0x30, oid("1.3.6.1.2.1.1.5.0") + tlv(0x04, b"x"))]
    )
    (e,) = SnmpDissector(UDP, show_passwords=True).feed(private, True, 0)
    assert isinstance(e, SnmpRecord)
    assert e.community == "s3cret" and e.community_default is False and e.version_name == "v1"
    (e,) = SnmpDissector(UDP).feed(private, True, 0)
    assert isinstance(e, SnmpRecord) and e.community == REDACTED


def test_v1_trap() -> None:
    body = (
        oid("1.3.6.1.4.1.9") + tlv(0x40, bytes([10, 0, 0, 1])) + integer(6) + integer(42)
        + tlv(0x43, b"\x01\x00") + tlv(0x30, tlv(0x30, oid("1.3.6.1.2.1.2.1.0") + integer(33)))
    )  # fmt: skip
    trap = tlv(0x30, integer(0) + tlv(0x04, b"public") + tlv(0xA4, body))
    msg = parse_snmp(trap)
    assert (msg.trap_enterprise, msg.trap_agent_addr, msg.trap_generic, msg.trap_specific) == (
        "1.3.6.1.4.1.9", "10.0.0.1", 6, 42,
    )  # fmt: skip
    assert msg.request_id is None and msg.values == ("33",)


def test_many_varbinds_kept_bounded() -> None:
    binds = [tlv(0x30, oid(f"1.3.6.1.2.1.2.2.1.{i}.1") + b"\x05\x00") for i in range(1, 40)]
    msg = parse_snmp(message(1, b"public", 0xA0, 1, binds))
    assert msg.n_varbinds == 39 and len(msg.oids) == 8 and msg.oids[0] == "1.3.6.1.2.1.2.2.1.1.1"


def test_matches_is_strict() -> None:
    assert SnmpDissector.matches(GET, UDP, True)
    assert not SnmpDissector.matches(GET, TCP, True)
    assert not SnmpDissector.matches(GET + b"\x00", UDP, True)  # length must cover the datagram
    assert not SnmpDissector.matches(GET[:-1], UDP, True)
    assert not SnmpDissector.matches(
        b"\x30\x0c\x02\x01\x02\x04" + b"\x00" * 8, UDP, True
    )  # version 2
    assert not SnmpDissector.matches(b"GET / HTTP/1.1\r\n", UDP, True)
    assert not SnmpDissector.matches(b"", UDP, True)


def test_trailing_junk_and_truncations() -> None:
    with pytest.raises(TrailingJunk):
        SnmpDissector(UDP).feed(GET + b"\x00\x00", True, 0)
    for cut in range(1, len(GET)):
        with pytest.raises(ParseError):
            SnmpDissector(UDP).feed(GET[:cut], True, 0)
    inner_cut = GET[:1] + bytes([GET[1] - 1]) + GET[2:-1]  # outer length fixed, inner too long
    with pytest.raises(Truncated):
        parse_snmp(inner_cut)


def test_bad_values() -> None:
    with pytest.raises(BadValue):
        parse_snmp(tlv(0x30, integer(2) + tlv(0x04, b"public")))  # version 2 does not exist
    with pytest.raises(BadValue):
        parse_snmp(tlv(0x30, integer(1) + tlv(0x04, b"public") + tlv(0xAF, b"")))  # unknown PDU
    with pytest.raises(BadValue):
        parse_snmp(b"\x30\x80" + integer(1) + b"\x00\x00")  # indefinite length


def test_schema_matches_event_fields() -> None:
    schema, doc = TABLES["snmp"]
    names = [f.name for f in dataclasses.fields(SnmpRecord) if f.name != "ts_ns"]
    assert schema.names == ["ts", "uid", "orig_h", "orig_p", "resp_h", "resp_p", *names]
    assert SnmpRecord.table == "snmp" and doc


def _capture(name: str) -> list[SnmpRecord]:
    out: list[SnmpRecord] = []
    for flow in wl_mini_pcap.flows(ZEEK_SNMP / name):
        if (
            flow.proto != UDP
            or not flow.chunks
            or not SnmpDissector.matches(flow.chunks[0][1], UDP, True)
        ):
            continue
        d = SnmpDissector(UDP, show_passwords=True)
        for side, payload, ts in flow.chunks:
            out += [e for e in d.feed(payload, side, ts) if isinstance(e, SnmpRecord)]
    return out


@needs_data
def test_real_v1_get() -> None:
    """tshark: first request id 38, community public, OID 1.3.6.1.2.1.1.2.0; 58 PDUs."""
    got = _capture("snmpv1_get.pcap")
    assert len(got) == 58
    assert (got[0].request_id, got[0].community, got[0].oids) == (
        38,
        "public",
        ("1.3.6.1.2.1.1.2.0",),
    )
    assert got[1].pdu_type_name == "response" and got[1].request_id == 38
    assert got[1].values == ("1.3.6.1.4.1.2001.1.1.1.297.93.1.27.2.2.1",)


@needs_data
def test_real_v2_walk_and_v3() -> None:
    walk = _capture("snmpwalk-short.pcap")
    assert len(walk) == 400 and all(e.version_name == "v2c" for e in walk)
    assert walk[1].values[0].startswith("Linux ubuntu-512mb-sfo2-01 4.4.0-31-generic")
    bulk = _capture("snmpv2_get_bulk.pcap")
    assert bulk[0].pdu_type_name == "get_bulk_request" and bulk[0].error_status_name is None
    v3 = _capture("snmpv3_get_next.pcap")
    assert [e.version_name for e in v3] == ["v3"] * 4 and v3[0].community is None
    assert v3[1].pdu_type_name == "report"
    trap = _capture("snmpv1_trap.pcap")
    assert trap[0].trap_generic == 0 and trap[0].trap_generic_name == "coldStart"
    assert (
        trap[0].trap_enterprise == "1.3.6.1.4.1.31337.0" and trap[0].trap_agent_addr == "127.0.0.1"
    )


@needs_data
def test_pipeline_snmp_table(monkeypatch: pytest.MonkeyPatch) -> None:
    """Registered by monkeypatching, the dissector names the flows and fills its table."""
    import wirelens
    from wirelens.dissect import registry
    from wirelens.schema import SCHEMAS

    monkeypatch.setattr(registry, "DISSECTORS", (*registry.DISSECTORS, SnmpDissector))
    monkeypatch.setitem(registry._BY_NAME, "snmp", SnmpDissector)
    for table, (schema, _) in TABLES.items():
        monkeypatch.setitem(SCHEMAS, table, schema)
    result = wirelens.analyze(ZEEK_SNMP / "snmpv1_get.pcap")
    rows = result.table("snmp").to_pylist()
    assert len(rows) == 58 and rows[0]["community"] == "<redacted>" and rows[0]["request_id"] == 38
    assert rows[0]["oids"] == ["1.3.6.1.2.1.1.2.0"] and rows[0]["resp_p"] == 161
    assert {c["service"] for c in result.table("conn").to_pylist()} == {"snmp"}


@settings(max_examples=300, deadline=250, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from([GET, RESP]),
    st.lists(st.tuples(st.integers(0, 1 << 12), st.integers(0, 255)), max_size=6),
    st.integers(0, 400),
    st.binary(max_size=64),
)
def test_fuzz(seed: bytes, edits: list[tuple[int, int]], cut: int, extra: bytes) -> None:
    """Invariant: any datagram (mutated, cut, extended, or random) yields a list of events
    or raises ParseError, within the deadline; ``matches`` never raises."""
    buf = bytearray(seed)
    for pos, value in edits:
        buf[pos % len(buf)] = value
    for data in (bytes(buf[:cut]) + extra, extra, bytes(buf)):
        assert isinstance(SnmpDissector.matches(data, UDP, True), bool)
        try:
            out = SnmpDissector(UDP).feed(data, True, 0)
            assert all(isinstance(e, Event) for e in out)
        except ParseError:
            pass
