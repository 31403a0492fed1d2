"""DHCPv6 dissector: messages, IAs, relays, errors, identification strictness, captures, fuzz.

Real captures: tcpdump's DHCPv6 test captures, facts checked with tshark
(``-e dhcpv6.xid -e dhcpv6.requested_option_code -e dhcpv6.vendorclass.enterprise
-e dhcpv6.iaaddr.ip -e dhcpv6.iaprefix.pref_addr -e dhcpv6.duid.type``), and nDPI's
DHCPV6 flows.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import struct
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from wl_dissect_builders import dns_query, dns_rich_response, mutate
from wl_mini_pcap import flows

from wirelens.dissect import registry
from wirelens.dissect.dhcp import DhcpDissector
from wirelens.dissect.dhcp6 import (
    DHCPV6_MAX_OPTIONS,
    DHCPV6_MAX_RELAY_DEPTH,
    Dhcpv6Dissector,
    Dhcpv6Record,
    parse_dhcpv6,
)
from wirelens.dissect.dns import DnsDissector
from wirelens.schema.dhcp import TABLES
from wirelens.wire import BadValue, LimitExceeded, ParseError, Truncated

TCP, UDP = 6, 17
DATA = Path(__file__).resolve().parents[3] / ".." / "shared" / "data"
needs_data = pytest.mark.skipif(
    not DATA.is_dir(), reason=f"shared captures not found at {DATA} (see its README.md)"
)

# -- builders (RFC 8415 §8, §9, §21) -----------------------------------------------------------

MAC = bytes.fromhex("525400a014b8")
DUID_LLT = struct.pack(">HHI", 1, 1, 0x2A2B2C2D) + MAC
SERVER_DUID = struct.pack(">HH", 3, 1) + bytes.fromhex("00163e000001")


def o6(code: int, data: bytes) -> bytes:
    return struct.pack(">HH", code, len(data)) + data


def msg(kind: int, xid: int, options: bytes) -> bytes:
    return bytes([kind]) + xid.to_bytes(3, "big") + options


def a6(text: str) -> bytes:
    return ipaddress.IPv6Address(text).packed


def relay(kind: int, inner: bytes, hop: int = 0, extra: bytes = b"") -> bytes:
    return bytes([kind, hop]) + a6("2001:db8::1") + a6("fe80::1") + extra + o6(9, inner)


def iaaddr(addr: str, valid: int = 7200, sub: bytes = b"") -> bytes:
    return o6(5, a6(addr) + struct.pack(">II", 3600, valid) + sub)


def solicit() -> bytes:
    vendor = struct.pack(">I", 311) + struct.pack(">H", 8) + b"MSFT 5.0"
    return msg(
        1,
        0x66329C,
        o6(8, b"\x00\x00")
        + o6(1, DUID_LLT)
        + o6(3, struct.pack(">III", 0x0E525400, 0, 0))
        + o6(39, b"\x00\x09Endian-PC\x00")
        + o6(16, vendor)
        + o6(6, struct.pack(">HHHH", 24, 23, 17, 39)),
    )


def reply() -> bytes:
    ia_na = o6(
        3,
        struct.pack(">III", 1, 3600, 5400)
        + iaaddr("2001:db8::10")
        + iaaddr("2001:db8::11", valid=0)
        + o6(13, b"\x00\x00all good"),
    )
    ia_pd = o6(
        25,
        struct.pack(">III", 2, 0, 0)
        + o6(26, struct.pack(">IIB", 3600, 7200, 56) + a6("2001:db8:100::")),
    )
    return msg(
        7,
        0x0A0B0C,
        o6(1, DUID_LLT)
        + o6(2, SERVER_DUID)
        + ia_na
        + ia_pd
        + o6(23, a6("2001:db8::53") + a6("2001:4860:4860::8888"))
        + o6(24, b"\x07example\x03com\x00\x03lan\x00"),
    )


def one(data: bytes) -> Dhcpv6Record:
    (rec,) = Dhcpv6Dissector(UDP).feed(data, True, 7)
    assert isinstance(rec, Dhcpv6Record)
    return rec


# -- messages ----------------------------------------------------------------------------------


def test_solicit() -> None:
    rec = one(solicit())
    assert (rec.msg_type, rec.msg_type_name, rec.trans_id, rec.ts_ns) == (1, "SOLICIT", 0x66329C, 7)
    assert rec.relayed_msg_type is None and rec.hop_count is None and rec.link_addr is None
    assert rec.client_duid == DUID_LLT.hex()
    assert (rec.client_duid_type, rec.client_duid_type_name) == (1, "LLT")
    assert rec.client_mac == "52:54:00:a0:14:b8"
    assert rec.server_duid is None
    assert rec.client_fqdn == "Endian-PC"
    assert (rec.vendor_class_enterprise, rec.vendor_class) == (311, ("MSFT 5.0",))
    assert rec.oro == (24, 23, 17, 39) and rec.fingerprint == "24,23,17,39"
    assert rec.elapsed_time_cs == 0
    assert rec.options == (8, 1, 3, 39, 16, 6)
    assert rec.ia_addrs == rec.assigned_addrs == rec.prefixes == ()


def test_reply() -> None:
    rec = one(reply())
    assert rec.msg_type_name == "REPLY" and rec.trans_id == 0x0A0B0C
    assert rec.server_duid == SERVER_DUID.hex()
    assert rec.ia_addrs == ("2001:db8::10", "2001:db8::11")
    assert rec.assigned_addrs == ("2001:db8::10",)  # valid lifetime 0: not granted
    assert rec.prefixes == ("2001:db8:100::/56",)
    assert (rec.status_code, rec.status_code_name, rec.status_message) == (0, "Success", "all good")
    assert rec.dns_servers == ("2001:db8::53", "2001:4860:4860::8888")
    assert rec.domain_list == ("example.com", "lan")
    assert rec.fingerprint is None


def test_advertise_addresses_are_not_assigned() -> None:
    rec = one(bytes([2]) + reply()[1:])
    assert rec.msg_type_name == "ADVERTISE" and rec.ia_addrs and rec.assigned_addrs == ()


def test_status_inside_iaaddr_and_unknown_names() -> None:
    ia = o6(3, struct.pack(">III", 1, 0, 0) + iaaddr("2001:db8::1", sub=o6(13, b"\x00\x02none")))
    rec = one(msg(7, 1, ia))
    assert (rec.status_code_name, rec.status_message) == ("NoAddrsAvail", "none")
    rec = one(msg(30, 1, o6(13, b"\x00\x63x") + o6(1, b"\x00\x09abc")))
    assert rec.msg_type_name == "TYPE30" and rec.status_code_name == "STATUS99"
    assert rec.client_duid_type_name == "DUID9" and rec.client_mac is None


def test_relay_forward_nested() -> None:
    inner = relay(12, solicit(), hop=0)
    rec = one(relay(12, inner, hop=1, extra=o6(18, b"eth0")))
    assert (rec.msg_type_name, rec.relayed_msg_type, rec.relayed_msg_type_name) == (
        "RELAY_FORW",
        1,
        "SOLICIT",
    )
    assert (rec.hop_count, rec.link_addr, rec.peer_addr) == (1, "2001:db8::1", "fe80::1")
    assert rec.trans_id == 0x66329C and rec.client_fqdn == "Endian-PC"


def test_relay_without_relay_message() -> None:
    rec = one(bytes([13, 3]) + a6("::") + a6("::1") + o6(19, b""))
    assert rec.relayed_msg_type is None and rec.trans_id is None and rec.options == ()


def test_relay_depth_limit() -> None:
    data = solicit()
    for _ in range(DHCPV6_MAX_RELAY_DEPTH):
        data = relay(12, data)
    assert one(data).relayed_msg_type_name == "SOLICIT"
    with pytest.raises(LimitExceeded):
        one(relay(12, data))


def test_options_limit() -> None:
    with pytest.raises(LimitExceeded):
        one(msg(1, 1, o6(14, b"") * (DHCPV6_MAX_OPTIONS + 1)))


# -- errors and truncation ----------------------------------------------------------------------


def test_truncations() -> None:
    data = solicit()
    for n in (0, 2):
        with pytest.raises(Truncated):
            one(data[:n])
    for n in (6, 9, 11, len(data) - 1):
        with pytest.raises(Truncated):
            one(data[:n])
    assert one(data[:4]).options == ()  # a bare header is a message without options


def test_trailing_junk_is_an_error() -> None:
    """The option list must use up the datagram (RFC 8415 §21.1): a stray byte is the start
    of an option cut short, at the top level or inside an option's own options."""
    with pytest.raises(Truncated):
        one(solicit() + b"\x00")
    with pytest.raises(Truncated):  # an IAADDR one byte longer than its fixed part
        one(msg(7, 1, o6(3, struct.pack(">III", 1, 0, 0) + o6(5, a6("::1") + bytes(8) + b"\x00"))))


@pytest.mark.parametrize(
    "options",
    [
        o6(6, b"\x00\x17\x00"),
        o6(8, b"\x00"),
        o6(23, a6("::1")[:15]),
        o6(39, b""),
        o6(25, struct.pack(">III", 1, 0, 0) + o6(26, struct.pack(">IIB", 0, 0, 129) + a6("::"))),
    ],
)
def test_bad_option_values(options: bytes) -> None:
    with pytest.raises(BadValue):
        one(msg(3, 1, options))


# -- identification ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "proto", "expected"),
    [
        (solicit(), UDP, True),
        (reply(), UDP, True),
        (relay(12, solicit()), UDP, True),
        (solicit(), TCP, False),
        (bytes([0]) + solicit()[1:], UDP, False),
        (bytes([14]) + solicit()[1:], UDP, False),
        (solicit() + b"\x00", UDP, False),
        (solicit()[:-1], UDP, False),
        (msg(1, 1, b""), UDP, False),
        (msg(1, 1, o6(0, b"abcd")), UDP, False),
        (dns_query(0x0101, "www.example.com"), UDP, False),
        (dns_query(0x0C00, "a.b"), UDP, False),
        (dns_rich_response(0x0101), UDP, False),
        (bytes(64), UDP, False),
    ],
)
def test_matches(payload: bytes, proto: int, expected: bool) -> None:
    assert Dhcpv6Dissector.matches(payload, proto, True) is expected


def test_identify(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry, "DISSECTORS", (DhcpDissector, Dhcpv6Dissector, DnsDissector))
    assert registry.identify(solicit(), UDP, True, 546, 547) is Dhcpv6Dissector
    assert registry.identify(solicit(), UDP, True, 4000, 5000) is Dhcpv6Dissector
    assert registry.identify(dns_query(0x0101, "x.example"), UDP, True, 546, 547) is DnsDissector


def test_schema_matches_record_fields() -> None:
    schema, doc = TABLES["dhcpv6"]
    assert doc and all(f.metadata and f.metadata.get(b"doc") for f in schema)
    assert [f.name for f in schema][6:] == [
        f.name for f in dataclasses.fields(Dhcpv6Record) if f.name != "ts_ns"
    ]


def _row(rec: Dhcpv6Record) -> dict[str, object]:
    row: dict[str, object] = {f.name: getattr(rec, f.name) for f in dataclasses.fields(rec)}
    row.update(
        ts=row.pop("ts_ns"), uid="C1", orig_h="fe80::1", orig_p=546, resp_h="ff02::1:2", resp_p=547
    )
    return row


def test_records_fit_the_schema() -> None:
    recs = [one(solicit()), one(reply()), one(relay(12, solicit()))]
    table = pa.Table.from_pylist([_row(r) for r in recs], schema=TABLES["dhcpv6"][0])
    assert table.column("prefixes").to_pylist()[1] == ["2001:db8:100::/56"]


# -- real captures -----------------------------------------------------------------------------


def _records(path: Path) -> list[Dhcpv6Record]:
    out = []
    for fl in flows(path):
        for side, data, ts in fl.chunks:
            if fl.proto == UDP and Dhcpv6Dissector.matches(data, UDP, side):
                out.append(parse_dhcpv6(data, ts))
    return out


TCPDUMP = DATA / "tcpdump" / "tests"


@needs_data
@pytest.mark.parametrize(
    ("pcap", "facts"),
    [
        # (msg type, xid, oro fingerprint, enterprise, ia addrs, prefixes, DUID type) per tshark
        ("dhcpv6-mud.pcap", [("SOLICIT", 0x78244B, "23,24,31,39,82,83", 40712, (), (), "LLT")]),
        (
            "dhcpv6-rfc6355-duid-uuid.pcap",
            [
                (
                    "RENEW",
                    0x09F56B,
                    "23,24,23,24,1",
                    None,
                    ("2a02:2788:7c8:4dd:4a5b:39ff:fee7:1484",),
                    (),
                    "UUID",
                ),
                (
                    "REPLY",
                    0x09F56B,
                    None,
                    None,
                    ("2a02:2788:7c8:4dd:4a5b:39ff:fee7:1484",),
                    (),
                    "UUID",
                ),
            ],
        ),
        (
            "dhcpv6-AFTR-Name-RFC6334.pcap",
            [
                ("SOLICIT", 0xD81EB8, "23,64", None, (), (), "LL"),
                ("ADVERTISE", 0xD81EB8, None, None, (), ("2a00:1:1:100::/56",), "LL"),
                ("REQUEST", 0x1E291D, "23,64", None, (), ("2a00:1:1:100::/56",), "LL"),
                ("REPLY", 0x1E291D, None, None, (), ("2a00:1:1:100::/56",), "LL"),
            ],
        ),
        (
            "dhcpv6-ia-ta.pcap",
            [
                ("SOLICIT", 0x28B040, "23,24", None, (), (), "LL"),
                (
                    "ADVERTISE",
                    0x28B040,
                    None,
                    None,
                    ("2a00:1:1:200:5da2:f920:84c4:88cc",),
                    (),
                    "LL",
                ),
                (
                    "REQUEST",
                    0x2B0E45,
                    "23,24",
                    None,
                    ("2a00:1:1:200:5da2:f920:84c4:88cc",),
                    (),
                    "LL",
                ),
                ("REPLY", 0x2B0E45, None, None, ("2a00:1:1:200:5da2:f920:84c4:88cc",), (), "LL"),
            ],
        ),
        (
            "dhcpv6-vendor-specific-information.pcap",
            [
                ("REQUEST", 0xD98C5D, "17", 4491, ("fc00:502:411:1::31",), (), "LL"),
            ],
        ),
    ],
)
def test_tcpdump_captures_against_tshark(
    pcap: str,
    facts: list[tuple[str, int, str | None, int | None, tuple[str, ...], tuple[str, ...], str]],
) -> None:
    recs = _records(TCPDUMP / pcap)
    got = [
        (
            r.relayed_msg_type_name or r.msg_type_name,
            r.trans_id,
            r.fingerprint,
            r.vendor_class_enterprise,
            r.ia_addrs,
            r.prefixes,
            r.client_duid_type_name,
        )
        for r in recs
    ]
    for fact in facts:
        assert fact in got


@needs_data
def test_tcpdump_mud_relayed_solicit() -> None:
    """A RELAY_FORW holding the raspberrypi's SOLICIT: FQDN and vendor class from inside."""
    rec = _records(TCPDUMP / "dhcpv6-mud.pcap")[0]
    assert (rec.msg_type_name, rec.relayed_msg_type_name) == ("RELAY_FORW", "SOLICIT")
    assert rec.client_fqdn == "raspberrypi" and rec.client_mac == "b8:27:eb:b8:53:c8"
    assert rec.vendor_class == ("dhcpcd-6.11.5:Linux-4.1.18-v7+:armv7l:BCM2709",)


@needs_data
def test_tcpdump_reply_assigned_address() -> None:
    recs = _records(TCPDUMP / "dhcpv6-rfc6355-duid-uuid.pcap")
    reply_rec = next(r for r in recs if r.msg_type_name == "REPLY")
    assert reply_rec.assigned_addrs == ("2a02:2788:7c8:4dd:4a5b:39ff:fee7:1484",)
    assert reply_rec.domain_list == ("voo.be",)


@needs_data
@pytest.mark.parametrize("pcap", ["android.pcap", "tor.pcap"])
def test_ndpi_dhcpv6_flows_are_recognised(pcap: str) -> None:
    """Every flow nDPI calls DHCPV6 is matched by content, and parses."""
    base = DATA / "nDPI" / "tests" / "cfgs" / "default"
    n_ndpi = (base / "result" / f"{pcap}.out").read_text().count("/DHCPV6]")
    assert n_ndpi >= 1
    matched = {
        (fl.orig, fl.resp)
        for fl in flows(base / "pcap" / pcap)
        if fl.proto == UDP and any(Dhcpv6Dissector.matches(d, UDP, s) for s, d, _ in fl.chunks[:1])
    }
    assert len(matched) == n_ndpi
    assert all(
        r.msg_type_name == "SOLICIT" and r.client_duid_type_name == "LLT"
        for r in _records(base / "pcap" / pcap)
    )


@needs_data
def test_tor_pcap_client_fqdn() -> None:
    recs = _records(DATA / "nDPI/tests/cfgs/default/pcap/tor.pcap")
    assert {r.client_fqdn for r in recs} == {"Endian-PC"}
    assert {r.vendor_class for r in recs} == {("MSFT 5.0",)}


# -- fuzz ----------------------------------------------------------------------------------------

FUZZ = settings(max_examples=300, deadline=250, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(
    edits=st.lists(
        st.tuples(st.integers(0, 3), st.integers(0, 600), st.integers(0, 255)), max_size=8
    ),
    seed=st.sampled_from([solicit(), reply(), relay(12, relay(12, solicit()))]),
)
def test_fuzz(edits: list[tuple[int, int, int]], seed: bytes) -> None:
    """Invariant: any mutated datagram yields one Dhcpv6Record or raises ParseError, within
    the deadline; ``matches`` never raises."""
    buf = bytearray(mutate(seed, edits))
    data = bytes(buf)
    assert Dhcpv6Dissector.matches(data, UDP, True) in (True, False)
    d = Dhcpv6Dissector(UDP)
    try:
        out = d.feed(data, True, 0)
        assert len(out) == 1 and isinstance(out[0], Dhcpv6Record)
    except ParseError:
        pass
    assert d.finish() == []


@FUZZ
@given(data=st.binary(max_size=300))
def test_fuzz_random(data: bytes) -> None:
    """Invariant: random bytes parse or raise ParseError; ``matches`` never raises."""
    for candidate in (data, b"\x01\x00\x00\x01" + data, relay(12, data)):
        assert Dhcpv6Dissector.matches(candidate, UDP, True) in (True, False)
        try:
            Dhcpv6Dissector(UDP).feed(candidate, True, 0)
        except ParseError:
            pass
