"""SIP dissector: UDP and TCP, whole / byte-at-a-time / junk, pairing by Call-ID + CSeq, real
captures (zeek's wireshark.pcap, suricata-verify sip-tcp; checked against tshark), fuzz."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import wl_mini_pcap
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from wl_dissect_builders import feed_all

from wirelens.dissect.base import Event
from wirelens.dissect.sip import SIP_MAX_HEADER_BYTES, SipDissector, SipRecord, parse_head
from wirelens.schema.enterprise import TABLES
from wirelens.wire import BadValue, LimitExceeded, ParseError

UDP, TCP = 17, 6
DATA = Path(__file__).resolve().parents[3] / ".." / "shared" / "data"
ZEEK_SIP = DATA / "zeek" / "testing" / "btest" / "Traces" / "sip"
SV = DATA / "suricata-verify" / "tests"
needs_data = pytest.mark.skipif(
    not ZEEK_SIP.is_dir(), reason=f"shared captures not found at {DATA} (see its README.md)"
)

BODY = b"v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\n"
INVITE = (
    b"INVITE sip:bob@example.com SIP/2.0\r\n"
    b"Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1, SIP/2.0/UDP 10.0.0.9\r\n"
    b'f: "Alice" <sip:alice@example.com>;tag=1\r\n'
    b"t: <sip:bob@example.com>\r\n"
    b"i: abc@10.0.0.1\r\n"
    b"CSeq: 1 INVITE\r\n"
    b"Subject: lunch\r\n"
    b"User-Agent: Phone\r\n  1.0\r\n"
    b"c: application/sdp\r\n"
    b"l: " + str(len(BODY)).encode() + b"\r\n\r\n" + BODY
)

LENGTH = b"l: " + str(len(BODY)).encode() + b"\r\n"


def response(code: int, reason: bytes, cseq: bytes = b"1 INVITE") -> bytes:
    return (
        b"SIP/2.0 " + str(code).encode() + b" " + reason + b"\r\n"
        b"Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1\r\n"
        b'From: "Alice" <sip:alice@example.com>;tag=1\r\n'
        b"To: <sip:bob@example.com>;tag=2\r\n"
        b"Call-ID: abc@10.0.0.1\r\n"
        b"CSeq: " + cseq + b"\r\n"
        b"Server: PBX\r\n"
        b"Content-Length: 0\r\n\r\n"
    )


ACK = INVITE.replace(b"INVITE sip", b"ACK sip").replace(b"1 INVITE", b"1 ACK")
CONV = [
    (True, INVITE),
    (False, response(100, b"Trying")),
    (False, response(200, b"OK")),
    (True, ACK),
    (False, response(481, b"No such", b"9 BYE")),
]


def check_conversation(events: list[Event]) -> None:
    assert all(isinstance(e, SipRecord) for e in events)
    rows = [e for e in events if isinstance(e, SipRecord)]
    assert [(r.method, r.status_code) for r in rows] == [
        ("INVITE", 100), ("INVITE", 200), ("ACK", None), (None, 481),
    ]  # fmt: skip
    first = rows[0]
    assert first.uri == "sip:bob@example.com" and first.call_id == "abc@10.0.0.1"
    assert first.request_from == '"Alice" <sip:alice@example.com>;tag=1'
    assert first.response_to == "<sip:bob@example.com>;tag=2" and first.seq == "1 INVITE"
    assert first.request_path == (
        "SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1",
        "SIP/2.0/UDP 10.0.0.9",
    )
    assert first.user_agent == "Phone 1.0" and first.subject == "lunch" and first.server == "PBX"
    assert first.request_body_len == len(BODY) and first.content_type == "application/sdp"
    assert first.trans_depth == 1 and rows[2].trans_depth == 2 and rows[3].trans_depth == 0
    assert rows[1].status_msg == "OK"


def test_udp_conversation() -> None:
    check_conversation(feed_all(SipDissector, CONV, UDP))


@pytest.mark.parametrize("step", [0, 1, 7])
def test_tcp_whole_and_split_give_the_same_rows(step: int) -> None:
    stream = [
        (True, b"\r\n\r\n" + INVITE),
        (False, response(100, b"Trying") + response(200, b"OK")),
        (True, ACK),
        (False, response(481, b"No such", b"9 BYE")),
    ]
    events = feed_all(SipDissector, stream, TCP, step=step)
    check_conversation(events)


def test_unanswered_request_at_finish() -> None:
    d = SipDissector(UDP)
    assert d.feed(INVITE, True, 10) == []
    (row,) = d.finish()
    assert isinstance(row, SipRecord) and row.status_code is None and row.ts_ns == 10


def test_udp_keepalive_and_junk() -> None:
    d = SipDissector(UDP)
    assert d.feed(b"\r\n\r\n", True, 0) == [] and d.feed(b"    \x00", True, 0) == []
    with pytest.raises(BadValue):
        d.feed(INVITE.replace(LENGTH, b"l: 99\r\n"), True, 0)  # body shorter than announced
    with pytest.raises(BadValue):
        SipDissector(UDP).feed(b"\x00\x01junk\r\n\r\n", True, 0)
    with pytest.raises(BadValue):
        SipDissector(TCP).feed(INVITE.replace(LENGTH, b""), True, 0)  # TCP needs a length
    # UDP: bytes after Content-Length are discarded (RFC 3261 §18.3)
    assert feed_all(SipDissector, [(True, INVITE + b"xx"), (False, response(200, b"OK"))], UDP)


def test_truncated_tcp_waits_then_refuses_oversize() -> None:
    d = SipDissector(TCP)
    assert d.feed(INVITE[:40], True, 0) == []
    with pytest.raises(LimitExceeded):
        d.feed(b"X-Pad: " + b"a" * SIP_MAX_HEADER_BYTES, True, 0)


def test_parse_head_errors() -> None:
    with pytest.raises(BadValue):
        parse_head(b"SIP/2.0 99 Nope")
    with pytest.raises(BadValue):
        parse_head(b"INVITE sip:a SIP/3.0")
    with pytest.raises(BadValue):
        parse_head(b"INVITE sip:a SIP/2.0\r\n continuation-first")
    with pytest.raises(BadValue):
        parse_head(b"INVITE sip:a SIP/2.0\r\nContent-Length: -1")


def test_matches_is_strict() -> None:
    assert SipDissector.matches(INVITE, UDP, True) and SipDissector.matches(INVITE, TCP, True)
    assert SipDissector.matches(response(200, b"OK"), UDP, False)
    assert not SipDissector.matches(b"GET / HTTP/1.1\r\n\r\n", TCP, True)
    assert not SipDissector.matches(b"HTTP/1.1 200 OK\r\n", TCP, False)
    assert not SipDissector.matches(b"FOO sip:a SIP/2.0\r\n", UDP, True)  # unregistered method
    assert not SipDissector.matches(b"INVITE sip:a HTTP/1.1\r\n", UDP, True)
    assert not SipDissector.matches(b"SIP/2.0 2000 OK", UDP, True)
    assert not SipDissector.matches(b"M-SEARCH * HTTP/1.1\r\n", UDP, True)  # SSDP


def test_schema_matches_event_fields() -> None:
    schema, doc = TABLES["sip"]
    names = [f.name for f in dataclasses.fields(SipRecord) if f.name != "ts_ns"]
    assert schema.names == ["ts", "uid", "orig_h", "orig_p", "resp_h", "resp_p", *names]
    assert SipRecord.table == "sip" and doc


def _capture(path: Path) -> list[SipRecord]:
    out: list[SipRecord] = []
    for flow in wl_mini_pcap.flows(path):
        if not flow.chunks or not SipDissector.matches(flow.chunks[0][1], flow.proto, True):
            continue
        d = SipDissector(flow.proto)
        for side, payload, ts in flow.chunks:
            out += [e for e in d.feed(payload, side, ts) if isinstance(e, SipRecord)]
        out += [e for e in d.finish() if isinstance(e, SipRecord)]
    return out


@needs_data
def test_real_wireshark_trace_matches_tshark() -> None:
    """tshark -Y sip.Status-Code -e sip.Status-Code -e sip.CSeq: 35 responses, in this order;
    7 ACKs (no response)."""
    rows = sorted(_capture(ZEEK_SIP / "wireshark.pcap"), key=lambda r: r.ts_ns)
    got = [f"{r.status_code} {r.seq}" for r in rows if r.status_code is not None]
    expected = (
        "401 68 REGISTER|100 69 REGISTER|403 69 REGISTER|401 70 REGISTER|401 71 REGISTER|"
        "401 72 REGISTER|401 73 REGISTER|401 74 REGISTER|100 75 REGISTER|200 75 REGISTER|"
        "100 1 INVITE|408 1 INVITE|408 1 CANCEL|407 1 INVITE|403 2 INVITE|401 76 REGISTER|"
        "401 77 REGISTER|401 78 REGISTER|401 79 REGISTER|401 1 REGISTER|100 2 REGISTER|"
        "200 2 REGISTER|401 3 REGISTER|407 1 INVITE|401 4 REGISTER|100 2 INVITE|403 2 INVITE|"
        "407 1 INVITE|100 2 INVITE|183 2 INVITE|480 2 INVITE|401 5 REGISTER|100 6 REGISTER|"
        "200 6 REGISTER"
    ).split("|")
    assert got == expected
    assert sum(r.method == "ACK" for r in rows) == 7
    assert all(r.method is not None for r in rows)  # every response found its request
    first = rows[0]
    assert first.uri == "sip:sip.cybercity.dk" and first.status_msg == "Unauthorized"
    assert first.user_agent == "Nero SIPPS IP Phone Version 2.0.51.16"
    assert first.call_id == "578222729-4665d775@578222732-4665d772"


@needs_data
def test_real_tcp_register() -> None:
    path = SV / "sip-tcp-method" / "sip-tcp.pcap"
    if not path.exists():
        pytest.skip(f"{path} not found")
    (row,) = _capture(path)
    assert (row.method, row.uri) == ("REGISTER", "sip:192.168.43.100;transport=TCP")
    assert row.request_path[0].startswith("SIP/2.0/TCP 192.168.43.1:48376")
    assert row.status_code is not None


@needs_data
def test_pipeline_sip_table(monkeypatch: pytest.MonkeyPatch) -> None:
    """Registered by monkeypatching, the dissector names the flows and fills its table."""
    import wirelens
    from wirelens.dissect import registry
    from wirelens.schema import SCHEMAS

    monkeypatch.setattr(registry, "DISSECTORS", (*registry.DISSECTORS, SipDissector))
    monkeypatch.setitem(registry._BY_NAME, "sip", SipDissector)
    for table, (schema, _) in TABLES.items():
        monkeypatch.setitem(SCHEMAS, table, schema)
    result = wirelens.analyze(ZEEK_SIP / "wireshark.pcap")
    rows = result.table("sip").to_pylist()
    assert rows and rows[0]["method"] == "REGISTER" and rows[0]["status_code"] == 401
    assert rows[0]["request_path"] and rows[0]["uid"]
    assert {c["service"] for c in result.table("conn").to_pylist()} == {"sip"}


@settings(max_examples=300, deadline=250, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from([UDP, TCP]),
    st.lists(st.tuples(st.integers(0, 1 << 12), st.integers(0, 255)), max_size=6),
    st.integers(0, 600),
    st.binary(max_size=64),
    st.sampled_from([0, 1, 13]),
)
def test_fuzz(proto: int, edits: list[tuple[int, int]], cut: int, extra: bytes, step: int) -> None:
    """Invariant: any input, in any split, yields events or raises ParseError, within the
    deadline; ``matches`` never raises."""
    buf = bytearray(INVITE + response(200, b"OK"))
    for pos, value in edits:
        buf[pos % len(buf)] = value
    data = bytes(buf[:cut]) + extra
    assert isinstance(SipDissector.matches(data, proto, True), bool)
    try:
        out = feed_all(SipDissector, [(True, data), (False, bytes(buf))], proto, step=step)
        assert all(isinstance(e, Event) for e in out)
    except ParseError:
        pass
