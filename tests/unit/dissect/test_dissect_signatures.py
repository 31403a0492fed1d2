"""Content-signature dissectors on messages built from their specs, plus fuzzing.

Every positive sample is built field by field from the RFC / protocol reference the
dissector cites; every negative breaks exactly one checked fact (a reserved bit, a length,
a magic value). Real-capture positives and the negative corpus are in
``test_dissect_signatures_captures.py``.

Fuzz invariant (hypothesis, 250 ms deadline per input): for any bytes, in any split,
``feed`` returns a list of events (always empty here) or raises ParseError, and ``matches``
returns a bool and never raises.
"""

from __future__ import annotations

import random
import struct
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.unit.decode.decode_frames import udp_frame, write_pcap
from wl_dissect_builders import mutate

import wirelens
from wirelens.dissect.base import Dissector, Event
from wirelens.dissect.signatures import (
    SIGNATURE_DISSECTORS,
    BitTorrentDissector,
    IkeDissector,
    MongoDbDissector,
    MySqlDissector,
    NetbiosNsDissector,
    OpenVpnDissector,
    PostgresqlDissector,
    RedisDissector,
    RtcpDissector,
    RtpDissector,
    SsdpDissector,
    StunDissector,
    SyslogDissector,
    TelnetDissector,
    VncDissector,
    WireGuardDissector,
)
from wirelens.wire import ParseError

TCP, UDP = 6, 17
FUZZ = settings(max_examples=150, deadline=250, suppress_health_check=[HealthCheck.too_slow])

# --- builders (facts from the specs cited in the dissectors) -------------------------------


def nbns_query(name: str = "WORKGROUP", suffix: int = 0x00, flags: int = 0x0110) -> bytes:
    """RFC 1002 §4.2.12 name query, RFC 1001 §14.1 first-level encoded name."""
    raw = name.upper().ljust(15).encode()[:15] + bytes([suffix])
    encoded = bytes(b for c in raw for b in (0x41 + (c >> 4), 0x41 + (c & 0xF)))
    return (
        struct.pack(">HHHHHH", 0x1234, flags, 1, 0, 0, 0)
        + b"\x20"
        + encoded
        + b"\x00"
        + b"\x00\x20\x00\x01"
    )


def stun(kind: int = 0x0001, attrs: bytes = b"", cookie: bool = True) -> bytes:
    """RFC 8489 §5 header (+ attributes)."""
    magic = 0x2112A442 if cookie else 0x94290EF8
    return struct.pack(">HHI", kind, len(attrs), magic) + bytes(range(12)) + attrs


def ovpn_client_reset(hmac: int = 20, op: int = 7) -> bytes:
    """Hard reset from the client: opcode/key, session, [hmac, pid 1, time], acks 0, mid 0."""
    out = bytes([op << 3]) + bytes(range(1, 9))
    if hmac:
        out += bytes(range(100, 100 + hmac)) + struct.pack(">II", 1, 0x5E3E7B98)
    return out + b"\x00" + struct.pack(">I", 0)


def ovpn_server_reset(hmac: int = 20) -> bytes:
    """Hard reset from the server: acks the client's message 0, names its session."""
    out = bytes([8 << 3]) + bytes(range(11, 19))
    if hmac:
        out += bytes(range(100, 100 + hmac)) + struct.pack(">II", 1, 0x5E3E7B98)
    return out + b"\x01" + struct.pack(">I", 0) + bytes(range(1, 9)) + struct.pack(">I", 0)


def ike(version: int = 0x20, exchange: int = 34, flags: int = 0x08, first: int = 33) -> bytes:
    """RFC 7296 §3.1 header + an opaque body; length covers the whole message."""
    body = b"\x00\x00\x00\x08" + b"\x01\x02\x03\x04"
    head = bytes(range(1, 9)) + bytes(8) + bytes([first, version, exchange, flags])
    return head + struct.pack(">II", 0, 28 + len(body)) + body


def rtp(
    first: int = 0x80, pt: int = 0, ssrc: int = 0x1234ABCD, body: bytes = b"\xd5" * 160
) -> bytes:
    """RFC 3550 §5.1 fixed header + payload."""
    return bytes([first, pt]) + struct.pack(">HII", 4711, 160_000, ssrc) + body


def rtcp_sr_sdes() -> bytes:
    """RFC 3550 §6.4.1 SR (no report blocks) + §6.5 SDES with a CNAME, as one compound."""
    sr = bytes([0x80, 200]) + struct.pack(">H", 6) + struct.pack(">I", 0x1234ABCD) + bytes(20)
    sdes = bytes([0x81, 202]) + struct.pack(">H", 2) + struct.pack(">I", 0x1234ABCD) + b"\x01\x02ab"
    return sr + sdes


def mysql_packet(seq: int, payload: bytes) -> bytes:
    """3-byte little-endian length, sequence id."""
    return struct.pack("<I", len(payload))[:3] + bytes([seq]) + payload


MYSQL_GREETING = mysql_packet(
    0,
    b"\x0a8.0.32\x00" + struct.pack("<I", 8) + b"abcdefgh\x00" + b"\xff\xff\xff\x02\x00\xff\xdf\x15"
    + bytes(10) + b"ijklmnopqrst\x00caching_sha2_password\x00",
)  # fmt: skip
MYSQL_CLIENT = mysql_packet(
    1, b"\x85\xa6\xff\x01" + struct.pack("<I", 1 << 24) + b"\x21" + bytes(23) + b"root\x00\x00"
)
MYSQL_ERR = mysql_packet(
    0, b"\xff" + struct.pack("<H", 1130) + b"Host 'x' is not allowed to connect"
)


def pg_startup(
    params: bytes = b"user\x00alice\x00database\x00db\x00\x00", version: int = 196608
) -> bytes:
    """StartupMessage: length, protocol version, key/value pairs, final NUL."""
    body = struct.pack(">I", version) + params
    return struct.pack(">I", 4 + len(body)) + body


def bson(elements: bytes) -> bytes:
    """A BSON document: int32 size, elements, NUL."""
    return struct.pack("<i", 4 + len(elements) + 1) + elements + b"\x00"


HELLO = bson(
    b"\x10hello\x00" + struct.pack("<i", 1) + b"\x02$db\x00" + struct.pack("<i", 6) + b"admin\x00"
)


def mongo(op: int, body: bytes, response_to: int = 0) -> bytes:
    """Wire protocol header (little-endian): messageLength, requestID, responseTo, opCode."""
    return struct.pack("<iiii", 16 + len(body), 7, response_to, op) + body


# (class, transport, payload, from_orig) that must match
POSITIVES: list[tuple[type[Dissector], int, bytes]] = [
    (SsdpDissector, UDP, b'M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: "ssdp:discover"\r\nMX: 1\r\nST: ssdp:all\r\n\r\n'),
    (SsdpDissector, UDP, b"NOTIFY * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nNT: upnp:rootdevice\r\nNTS: ssdp:alive\r\n\r\n"),
    (SsdpDissector, UDP, b"HTTP/1.1 200 OK\r\nCACHE-CONTROL: max-age=1800\r\nEXT:\r\nST: upnp:rootdevice\r\nUSN: uuid:1::upnp:rootdevice\r\n\r\n"),
    (NetbiosNsDissector, UDP, nbns_query()),
    (NetbiosNsDissector, UDP, nbns_query("*", 0, flags=0x0000)),
    (StunDissector, UDP, stun()),
    (StunDissector, UDP, stun(0x0101, b"\x00\x20\x00\x08\x00\x01\xa1\x47\x5e\x12\xa4\x43")),
    (StunDissector, UDP, stun(0x0001, b"\x00\x03\x00\x04\x00\x00\x00\x00", cookie=False)),
    (StunDissector, TCP, stun() + stun(0x0101)),
    (StunDissector, TCP, struct.pack(">H", 20) + stun()),
    (WireGuardDissector, UDP, b"\x01\x00\x00\x00" + bytes(range(144))),
    (WireGuardDissector, UDP, b"\x02\x00\x00\x00" + bytes(range(88))),
    (WireGuardDissector, UDP, b"\x03\x00\x00\x00" + bytes(range(60))),
    (WireGuardDissector, UDP, b"\x04\x00\x00\x00" + bytes(range(28))),
    (OpenVpnDissector, UDP, ovpn_client_reset()),
    (OpenVpnDissector, UDP, ovpn_server_reset()),
    (OpenVpnDissector, UDP, ovpn_client_reset(hmac=32)),
    (OpenVpnDissector, TCP, struct.pack(">H", 14) + ovpn_client_reset(hmac=0)),
    (OpenVpnDissector, TCP, struct.pack(">H", 26) + ovpn_server_reset(hmac=0)),
    (IkeDissector, UDP, ike()),
    (IkeDissector, UDP, ike(0x10, 2, 0x00, 1)),
    (IkeDissector, UDP, b"\x00\x00\x00\x00" + ike(exchange=35, first=46)),
    (BitTorrentDissector, TCP, b"\x13BitTorrent protocol" + bytes(8) + bytes(range(40))),
    (BitTorrentDissector, UDP, b"d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:qe"),
    (BitTorrentDissector, UDP, b"d1:rd2:id20:mnopqrstuvwxyz123456e1:t2:aa1:y1:re"),
    (BitTorrentDissector, UDP, b"\x41\x00\x45\x67" + bytes(range(4)) + bytes(4) + b"\x00\x10\x00\x00" + b"\x23\xc6\x00\x00"),
    (BitTorrentDissector, UDP, b"\x21\x01\x45\x67" + bytes(range(1, 17)) + b"\x00\x04\x01\x02\x03\x04"),
    (RtpDissector, UDP, rtp()),
    (RtpDissector, UDP, rtp(0x90, 0x80 | 111, body=b"\xbe\xde\x00\x01\x10\xff\x00\x00" + bytes(60))),
    (RtpDissector, UDP, rtp(0xA0, 96, body=bytes(20) + b"\x00\x00\x03")),
    (RtcpDissector, UDP, rtcp_sr_sdes()),
    (SyslogDissector, UDP, b"<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - 'su root' failed"),
    (SyslogDissector, UDP, b"<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick"),
    (SyslogDissector, UDP, b"<0>Oct 11 22:14:15 host kernel: panic"),
    (SyslogDissector, TCP, b"60 <165>1 2003-10-11T22:14:15.003Z host app - ID47 - message"),
    (TelnetDissector, TCP, b"\xff\xfd\x18\xff\xfd\x20\xff\xfd\x23\xff\xfd\x27"),
    (TelnetDissector, TCP, b"\xff\xfd\x25"),
    (TelnetDissector, TCP, b"\xff\xfb\x01\xff\xfb\x03\r\nlogin: "),
    (TelnetDissector, TCP, b"\xff\xfa\x18\x01\xff\xf0\xff\xfb\x18"),
    (VncDissector, TCP, b"RFB 003.008\n"),
    (VncDissector, TCP, b"RFB 003.003\n"),
    (MySqlDissector, TCP, MYSQL_GREETING),
    (MySqlDissector, TCP, MYSQL_CLIENT),
    (MySqlDissector, TCP, MYSQL_ERR),
    (PostgresqlDissector, TCP, pg_startup()),
    (PostgresqlDissector, TCP, pg_startup(b"database\x00db\x00user\x00bob\x00\x00")),
    (PostgresqlDissector, TCP, struct.pack(">II", 8, 80877103)),
    (PostgresqlDissector, TCP, struct.pack(">II", 8, 80877104)),
    (PostgresqlDissector, TCP, struct.pack(">III", 16, 80877102, 4242) + b"\x01\x02\x03\x04"),
    (PostgresqlDissector, TCP, b"R" + struct.pack(">II", 12, 5) + b"salt"),
    (PostgresqlDissector, TCP, b"R" + struct.pack(">II", 8, 0) + b"S\x00\x00\x00\x05"),
    (RedisDissector, TCP, b"*2\r\n$3\r\nGET\r\n$3\r\nfoo\r\n"),
    (RedisDissector, TCP, b"*1\r\n$4\r\nping\r\n"),
    (RedisDissector, TCP, b"PING\r\n"),
    (RedisDissector, TCP, b"SET key value\r\n"),
    (RedisDissector, TCP, b"+PONG\r\n"),
    (MongoDbDissector, TCP, mongo(2013, b"\x00\x00\x00\x00" + b"\x00" + HELLO)),
    (MongoDbDissector, TCP, mongo(2004, b"\x00\x00\x00\x00admin.$cmd\x00" + struct.pack("<ii", 0, -1) + HELLO)),
    (MongoDbDissector, TCP, mongo(1, struct.pack("<I", 8) + bytes(8) + struct.pack("<ii", 0, 1) + HELLO, 7)),
]  # fmt: skip

NEGATIVES: list[tuple[type[Dissector], int, bytes, str]] = [
    (SsdpDissector, UDP, b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n", "no ST/USN header"),
    (SsdpDissector, UDP, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", "not an SSDP request line"),
    (NetbiosNsDissector, UDP, nbns_query(flags=0x0150), "reserved NM_FLAGS bit"),
    (NetbiosNsDissector, UDP, nbns_query(flags=0x2110), "opcode 4"),
    (NetbiosNsDissector, UDP, nbns_query()[:13] + b"Q" + nbns_query()[14:], "name byte outside A..P"),
    (NetbiosNsDissector, UDP, nbns_query()[:4] + b"\x00\x02" + nbns_query()[6:], "two questions"),
    (StunDissector, UDP, stun() + b"\x00", "length field != datagram length"),
    (StunDissector, UDP, b"\x80" + stun()[1:], "top bits set"),
    (StunDissector, UDP, stun(0x0001, cookie=False), "classic without attributes"),
    (StunDissector, UDP, stun(0x0001, b"\x7f\x00\x00\x04abcd", cookie=False), "classic, unknown attribute"),
    (StunDissector, TCP, struct.pack(">H", 21) + stun(), "frame length != message size"),
    (WireGuardDissector, UDP, b"\x01\x00\x00\x00" + bytes(145), "initiation of 149 bytes"),
    (WireGuardDissector, UDP, b"\x04\x00\x00\x00" + bytes(29), "data not a multiple of 16"),
    (WireGuardDissector, UDP, b"\x04\x00\x01\x00" + bytes(28), "reserved byte set"),
    (WireGuardDissector, UDP, b"\x05\x00\x00\x00" + bytes(28), "type 5"),
    (OpenVpnDissector, UDP, bytes([7 << 3 | 1]) + ovpn_client_reset()[1:], "key id 1"),
    (OpenVpnDissector, UDP, ovpn_client_reset()[:-1] + b"\x01", "message packet id 1"),
    (OpenVpnDissector, UDP, ovpn_client_reset() + b"junk", "bytes after the reset"),
    (OpenVpnDissector, TCP, struct.pack(">H", 15) + ovpn_client_reset(hmac=0), "TCP length mismatch"),
    (OpenVpnDissector, UDP, bytes([4 << 3]) + ovpn_client_reset()[1:], "P_CONTROL_V1, not a reset"),
    (IkeDissector, UDP, bytes(8) + ike()[8:], "zero initiator SPI"),
    (IkeDissector, UDP, ike(version=0x30), "version 3"),
    (IkeDissector, UDP, ike(flags=0x01), "undefined IKEv2 flag"),
    (IkeDissector, UDP, ike(exchange=40), "unknown exchange"),
    (IkeDissector, UDP, ike() + b"\x00", "length field != datagram length"),
    (BitTorrentDissector, TCP, b"\x13BitTorrent protocoX" + bytes(48), "protocol string"),
    (BitTorrentDissector, UDP, b"d1:ad2:id20:abcdefghij0123456789e1:q4:pinge", "no y key"),
    (BitTorrentDissector, UDP, b"\x41\x00\x45\x67" + bytes(range(4)) + b"\x00\x00\x00\x01" + bytes(8), "SYN with timestamp_difference"),
    (BitTorrentDissector, UDP, b"\x21\x00\x45\x67" + bytes(16) + b"data", "STATE carrying data"),
    (BitTorrentDissector, UDP, b"\x01\x00\x45\x67" + bytes(16) + b"data", "uTP DATA is not claimed"),
    (RtpDissector, UDP, rtp(pt=72), "RTCP range payload type"),
    (RtpDissector, UDP, rtp(pt=20), "unassigned payload type"),
    (RtpDissector, UDP, rtp(first=0x40), "version 1"),
    (RtpDissector, UDP, rtp(first=0x81), "a CSRC list"),
    (RtpDissector, UDP, rtp(ssrc=0), "zero SSRC"),
    (RtpDissector, UDP, rtp(first=0xA0, body=bytes(10) + b"\xff"), "padding longer than the packet"),
    (RtpDissector, UDP, rtp(first=0x90, body=b"\x12\x34\x00\x01" + bytes(20)), "non RFC 8285 extension"),
    (RtcpDissector, UDP, rtcp_sr_sdes() + b"\x00", "compound length != datagram length"),
    (RtcpDissector, UDP, rtcp_sr_sdes()[28:], "first packet SDES, not a report"),
    (RtcpDissector, UDP, bytes([0x81]) + rtcp_sr_sdes()[1:], "SR too short for its report count"),
    (SyslogDissector, UDP, b"<192>Oct 11 22:14:15 host su: x", "PRI above 191"),
    (SyslogDissector, UDP, b"<034>Oct 11 22:14:15 host su: x", "leading zero"),
    (SyslogDissector, UDP, b"<html><body>hello</body></html>", "not digits"),
    (SyslogDissector, UDP, b"<34>\x00\x01\x02\x03\x04\x05\x06\x07\x08", "binary header"),
    (SyslogDissector, UDP, b"60 <34>1 2003-10-11T22:14:15.003Z host", "octet counting only over TCP"),
    (TelnetDissector, TCP, b"\xff\xfb\x01hello", "one negotiation then text"),
    (TelnetDissector, TCP, b"\xff\xfb\x99\xff\xfb\x01", "unregistered option 153"),
    (TelnetDissector, TCP, b"\xff\x10\x01\xff\xfb\x01", "unknown command"),
    (TelnetDissector, TCP, b"\xff\xfa\x18\x01\x02\x03", "subnegotiation without IAC SE"),
    (VncDissector, TCP, b"RFB 003.008\nxx", "more than the version"),
    (VncDissector, TCP, b"RFB 3.8\n\x00\x00\x00\x00", "not 3+3 digits"),
    (MySqlDissector, TCP, MYSQL_GREETING + b"\x00", "length != segment"),
    (MySqlDissector, TCP, MYSQL_GREETING[:4] + b"\x09" + MYSQL_GREETING[5:], "protocol 9"),
    (MySqlDissector, TCP, MYSQL_CLIENT[:3] + b"\x02" + MYSQL_CLIENT[4:], "client sequence 2"),
    (MySqlDissector, TCP, MYSQL_CLIENT[:20] + b"\x01" + MYSQL_CLIENT[21:], "filler not zero"),
    (MySqlDissector, TCP, mysql_packet(0, b"\xff" + struct.pack("<H", 99) + b"Host 'x' is not allowed"), "error code 99"),
    (PostgresqlDissector, TCP, pg_startup(b"database\x00db\x00\x00"), "no user parameter"),
    (PostgresqlDissector, TCP, pg_startup(version=131072), "protocol 2.0"),
    (PostgresqlDissector, TCP, pg_startup() + b"\x00", "length != segment"),
    (PostgresqlDissector, TCP, struct.pack(">II", 8, 80877105), "unknown request code"),
    (PostgresqlDissector, TCP, b"R" + struct.pack(">II", 12, 4) + b"salt", "auth code 4"),
    (RedisDissector, TCP, b"*2\r\n$4\r\nGET\r\n$3\r\nfoo\r\n", "bulk length != command length"),
    (RedisDissector, TCP, b"*1\r\n$4\r\nNOPE\r\n", "unknown command"),
    (RedisDissector, TCP, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP request"),
    (RedisDissector, TCP, b"AUTH PLAIN\r\n", "AUTH inline (POP3/SMTP use it)"),
    (RedisDissector, TCP, b"+OK POP3 server ready\r\n", "POP3 greeting"),
    (MongoDbDissector, TCP, mongo(2013, b"\x00\x00\x00\x00\x00" + HELLO) + b"\x00", "messageLength != segment"),
    (MongoDbDissector, TCP, mongo(2013, b"\x20\x00\x00\x00\x00" + HELLO), "undefined OP_MSG flag"),
    (MongoDbDissector, TCP, mongo(9999, b"\x00\x00\x00\x00\x00" + HELLO), "unknown opCode"),
    (MongoDbDissector, TCP, mongo(2013, b"\x00\x00\x00\x00\x00" + HELLO[:-1] + b"\x01"), "BSON without final NUL"),
    (MongoDbDissector, TCP, mongo(2004, b"\x00\x00\x00\x00admin\x00" + struct.pack("<ii", 0, -1) + HELLO), "collection without a dot"),
]  # fmt: skip

EXACT_LENGTH: dict[type[Dissector], bool] = {
    NetbiosNsDissector: False, StunDissector: True, WireGuardDissector: True, IkeDissector: True,
    OpenVpnDissector: True, RtcpDissector: True, VncDissector: True, MySqlDissector: True,
    PostgresqlDissector: True, MongoDbDissector: True,
}  # fmt: skip
"""Dissectors whose test ties a length field (or a fixed size) to the payload's length: a
truncated or extended payload must not match."""


def _id(case: tuple) -> str:  # type: ignore[type-arg]
    return f"{case[0].name}-{'tcp' if case[1] == TCP else 'udp'}"


@pytest.mark.parametrize("case", POSITIVES, ids=[_id(c) for c in POSITIVES])
def test_positive_matches_and_wins_priority(case: tuple[type[Dissector], int, bytes]) -> None:
    cls, proto, payload = case
    assert cls.matches(payload, proto, True)
    first = next(
        c for c in SIGNATURE_DISSECTORS if proto in c.transports and c.matches(payload, proto, True)
    )
    assert first is cls, f"{first.name} claims a {cls.name} sample first"


@pytest.mark.parametrize("case", NEGATIVES, ids=[f"{c[0].name}-{c[3]}" for c in NEGATIVES])
def test_negative_one_fact_broken(case: tuple[type[Dissector], int, bytes, str]) -> None:
    cls, proto, payload, why = case
    assert not cls.matches(payload, proto, True), why


@pytest.mark.parametrize("case", POSITIVES, ids=[_id(c) for c in POSITIVES])
def test_truncations_and_trailing_junk(case: tuple[type[Dissector], int, bytes]) -> None:
    """Every prefix gives a bool (never raises); exact-length tests refuse prefixes and
    appended junk."""
    cls, proto, payload = case
    # prefixes that are whole messages themselves: the SR of the compound, the 'R' alone
    boundaries = (
        {28} if cls is RtcpDissector else set(range(9, 15)) if payload[:1] == b"R" else set()
    )
    for cut in range(len(payload)):
        got = cls.matches(payload[:cut], proto, True)
        assert isinstance(got, bool)
        if EXACT_LENGTH.get(cls) and not (cls is StunDissector and proto == TCP):
            assert not got or cut in boundaries, f"{cls.name} matches a {cut}-byte prefix"
    if EXACT_LENGTH.get(cls) and not (cls is StunDissector and proto == TCP) and not boundaries:
        assert not cls.matches(payload + b"\x00junk", proto, True)


@pytest.mark.parametrize("case", POSITIVES, ids=[_id(c) for c in POSITIVES])
def test_feed_whole_bytewise_and_with_junk(case: tuple[type[Dissector], int, bytes]) -> None:
    """Identification only: no events whatever the split, done after the first bytes."""
    cls, proto, payload = case
    for chunks in (
        [payload],
        [payload[i : i + 1] for i in range(len(payload))],
        [payload, b"junk\xff"],
    ):
        d = cls(proto)
        events: list[Event] = []
        for chunk in chunks:
            events += d.feed(chunk, True, 1)
        events += d.finish()
        # STUN reads a few messages; PostgreSQL after an SSLRequest waits for the answer
        waits = cls is StunDissector or (cls is PostgresqlDissector and chunks[0] == PG_SSL_REQUEST)
        assert events == [] and (d.done or waits)
        assert d.server_name is None or cls is NetbiosNsDissector  # the one naming its flow


def _fed(cls: type[Dissector], steps: list[tuple[bool, bytes]]) -> Dissector:
    d = cls(TCP)
    for from_orig, data in steps:
        assert not d.done, data
        assert d.feed(data, from_orig, 1) == []
    return d


PG_SSL_REQUEST = struct.pack(">II", 8, 80877103)
MYSQL_SSL_REQUEST = mysql_packet(1, b"\x85\xae\xff\x01" + struct.pack("<I", 1 << 24) + b"\x21" + bytes(23))
CLIENT_HELLO_START = b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"


def test_postgresql_hands_its_tls_session_over() -> None:
    """PostgreSQL "SSL Session Encryption": SSLRequest, the server's one byte S, then the
    client's ClientHello goes to the TLS dissector; N, another first message, or an answer
    with more than the byte S end the reading without."""
    assert PostgresqlDissector.matches(PG_SSL_REQUEST, TCP, True)
    d = _fed(PostgresqlDissector, [(True, PG_SSL_REQUEST), (False, b"S")])
    assert d.done and d.upgrade == "tls" and d.upgrade_data == ()
    for answer in (b"N", b"SX", b"E"):
        d = _fed(PostgresqlDissector, [(True, PG_SSL_REQUEST), (False, answer)])
        assert d.done and d.upgrade is None, answer
    for first in (pg_startup(), struct.pack(">II", 8, 80877104)):  # GSSENCRequest: no TLS
        d = _fed(PostgresqlDissector, [(True, first)])
        assert d.done and d.upgrade is None
    d = _fed(PostgresqlDissector, [(False, PG_SSL_REQUEST)])  # not the client's
    assert d.done and d.upgrade is None


def test_mysql_hands_its_tls_session_over() -> None:
    """MySQL "SSL Handshake": after the greeting, an SSLRequest (32-byte body, sequence 1,
    CLIENT_SSL set) means the client's next bytes are TLS; a HandshakeResponse41 does not."""
    assert MySqlDissector.matches(MYSQL_SSL_REQUEST, TCP, True)
    d = _fed(MySqlDissector, [(False, MYSQL_GREETING), (True, MYSQL_SSL_REQUEST)])
    assert d.done and d.upgrade == "tls" and d.upgrade_data == ()
    d = _fed(MySqlDissector, [(True, MYSQL_SSL_REQUEST + CLIENT_HELLO_START)])  # one segment
    assert d.upgrade == "tls" and d.upgrade_data == ((True, CLIENT_HELLO_START),)
    no_ssl_flag = MYSQL_SSL_REQUEST[:5] + bytes([MYSQL_SSL_REQUEST[5] & ~0x08]) + MYSQL_SSL_REQUEST[6:]
    for client in (MYSQL_CLIENT, no_ssl_flag, MYSQL_SSL_REQUEST[:-1], mysql_packet(2, MYSQL_SSL_REQUEST[4:])):
        d = _fed(MySqlDissector, [(False, MYSQL_GREETING), (True, client)])
        assert d.done and d.upgrade is None, client
    d = _fed(MySqlDissector, [(False, MYSQL_GREETING)] + [(False, bytes(1460))] * 12)
    assert d.done and d.upgrade is None  # a server talking alone: not watched for ever


def test_registry_facts() -> None:
    names = [c.name for c in SIGNATURE_DISSECTORS]
    assert names == list(dict.fromkeys(names))
    assert set(names) >= {
        "ssdp", "netbios_ns", "stun", "wireguard", "openvpn", "ike", "bittorrent", "rtp",
        "rtcp", "syslog", "telnet", "vnc", "mysql", "postgresql", "redis", "mongodb",
    }  # fmt: skip
    assert SIGNATURE_DISSECTORS[-1] is RtpDissector  # the weakest test, last
    for cls in SIGNATURE_DISSECTORS:
        assert cls.transports <= {TCP, UDP} and cls.transports
    for cls in (NetbiosNsDissector, StunDissector):
        assert cls.name_source is not None


RANDOM_SIZES = (4, 8, 12, 13, 16, 20, 28, 32, 48, 64, 92, 100, 148, 160, 200, 512, 1200)
RANDOM_PER_SIZE = 600


def test_random_payloads_rarely_match() -> None:
    """Uniformly random payloads (encrypted traffic looks like this): zero matches for
    every signature except RTP, whose one-packet test lets about 1 in 400 through."""
    rng = random.Random(20261130)
    hits = dict.fromkeys(SIGNATURE_DISSECTORS, 0)
    total = 0
    for size in RANDOM_SIZES:
        for _ in range(RANDOM_PER_SIZE):
            data = rng.randbytes(size)
            total += 1
            for cls in SIGNATURE_DISSECTORS:
                for proto in cls.transports:
                    hits[cls] += cls.matches(data, proto, True)
    assert {c.name: n for c, n in hits.items() if n and c is not RtpDissector} == {}
    assert hits[RtpDissector] / total < 1 / 300, hits[RtpDissector]


# --- fuzz ------------------------------------------------------------------------------------


def _check(cls: type[Dissector], proto: int, data: bytes, step: int) -> None:
    """Invariant of the module docstring."""
    assert isinstance(cls.matches(data, proto, True), bool)
    assert isinstance(cls.matches(data, proto, False), bool)
    d = cls(proto)
    try:
        if step <= 0:
            out = d.feed(data, True, 0)
        else:
            out = []
            for i in range(0, len(data), step):
                out += d.feed(data[i : i + step], i % 2 == 0, 0)
        out += d.finish()
        assert all(isinstance(e, Event) for e in out)
    except ParseError:
        pass


@FUZZ
@given(
    st.sampled_from(SIGNATURE_DISSECTORS),
    st.sampled_from([TCP, UDP]),
    st.binary(max_size=400),
    st.sampled_from([0, 1, 7]),
)
def test_fuzz_random_bytes(cls: type[Dissector], proto: int, data: bytes, step: int) -> None:
    """Random bytes on every signature and transport: invariant holds."""
    _check(cls, proto, data, step)


@FUZZ
@given(
    st.sampled_from(range(len(POSITIVES))),
    st.lists(
        st.tuples(st.integers(0, 3), st.integers(0, 4096), st.integers(0, 255)),
        min_size=1,
        max_size=5,
    ),
)
def test_fuzz_mutated_positives(index: int, edits: list[tuple[int, int, int]]) -> None:
    """Valid samples with bytes overwritten, inserted, deleted or cut reach the deep checks."""
    cls, proto, payload = POSITIVES[index]
    for other in SIGNATURE_DISSECTORS:
        _check(other, proto, mutate(payload, edits), 0)


@pytest.mark.parametrize("name,suffix,expected", [
    ("WORKGROUP", 0x00, "WORKGROUP"), ("*", 0x00, "*"), ("HOST\x01", 0x20, "HOST\\x01"),
])
def test_netbios_name_names_the_flow(name: str, suffix: int, expected: str) -> None:
    d = NetbiosNsDissector(UDP)
    assert d.feed(nbns_query(name, suffix), True, 0) == [] and d.done
    assert d.server_name == expected and d.name_source == "netbios_name"
    d = NetbiosNsDissector(UDP)
    d.feed(nbns_query()[:40], True, 0)  # cut name: no name, no error
    assert d.server_name is None


def _damaged(query: bytes, *at: int) -> bytes:
    """``query`` with the name's letters at ``at`` (0-31) turned to lower case."""
    out = bytearray(query)
    for k in at:
        out[13 + k] |= 0x20
    return bytes(out)


def test_a_damaged_netbios_name_is_read_as_far_as_it_is_valid() -> None:
    """Fuzzed captures damage single letters: the name up to the first damaged pair (as nDPI
    reads it); the suffix's pair is not part of the name; the port names the flow."""
    for at, expected in [((31,), "WORKGROUP"), ((10,), "WORKG"), ((0,), None),
                         ((19, 25), "WORKGROUP")]:
        d = NetbiosNsDissector(UDP)
        d.feed(_damaged(nbns_query(), *at), True, 0)
        assert d.server_name == expected, at
    damaged = _damaged(nbns_query(), 3, 10)
    assert not NetbiosNsDissector.matches(damaged, UDP, True)
    assert NetbiosNsDissector.matches_on_own_port(damaged, UDP, True)
    assert not NetbiosNsDissector.matches_on_own_port(_damaged(nbns_query(), *range(9)),
                                                      UDP, True)


def test_a_damaged_netbios_datagram_is_netbios_on_its_port(tmp_path: Path) -> None:
    """The compiled DNS test takes the datagram (a query with a 32-byte label); on port 137
    the NetBIOS test for damaged names wins, elsewhere DNS stays."""
    damaged = _damaged(nbns_query(), 10)
    cap = tmp_path / "nbns.pcap"
    write_pcap(cap, [udp_frame("10.0.0.2", "10.0.0.255", 137, 137, damaged),
                     udp_frame("10.0.0.2", "10.0.0.9", 40000, 53, damaged)])
    rows = {r["resp_p"]: r for r in wirelens.analyze(cap).conn.to_pylist()}
    assert (rows[137]["service"], rows[137]["server_name"]) == ("netbios_ns", "WORKG")
    assert rows[53]["service"] == "dns"


def test_stun_realm_names_the_flow_then_dtls_takes_over() -> None:
    """RFC 8489 §14.9 REALM (padded to 4 bytes) names a STUN flow; over UDP a datagram that
    is not STUN (first byte outside 0-3, RFC 7983 §7) goes to the DTLS dissector."""
    realm = b"turn.example.org"  # 16 bytes: no padding
    d = StunDissector(UDP)
    d.feed(stun(), True, 0)
    assert not d.done and d.server_name is None
    d.feed(stun(0x0111, b"\x00\x09\x00\x04\x00\x00\x04\x01" + b"\x00\x14\x00\x10" + realm), False, 0)
    assert d.server_name == "turn.example.org" and d.done and d.upgrade == "dtls"
    d = StunDissector(UDP)
    d.feed(stun(), True, 0)
    hello = b"\x16\xfe\xfd" + bytes(10)
    d.feed(hello, True, 0)
    assert d.done and d.upgrade == "dtls" and d.upgrade_data == ((True, hello),)
    d = StunDissector(UDP)
    d.feed(stun(0x0111, b"\x00\x14\x00\x40abc"), False, 0)  # REALM longer than the message
    assert d.server_name is None
    d = StunDissector(TCP)
    for _ in range(8):
        d.feed(stun(), True, 0)
    assert d.done and d.upgrade is None  # a few messages, then left alone
