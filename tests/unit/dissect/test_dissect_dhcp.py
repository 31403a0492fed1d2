"""DHCP (IPv4) dissector: messages, option overload, concatenation, errors, real captures, fuzz.

Real captures: nDPI's expected output (``[Hostname/SNI: ...][DHCP Fingerprint: ...]``
``[DHCP Class Ident: ...]``), Suricata-verify's option-52 overload checks and Zeek's
``dhcp.log`` baseline for an INFORM.
"""

from __future__ import annotations

import dataclasses
import re
import struct
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from wl_dissect_builders import mutate
from wl_mini_pcap import flows

from wirelens.dissect import registry
from wirelens.dissect.base import Dissector
from wirelens.dissect.dhcp import (
    DHCP_MAGIC_COOKIE,
    DhcpDissector,
    DhcpRecord,
    parse_dhcp,
    wire_name,
)
from wirelens.dissect.dhcp6 import Dhcpv6Dissector
from wirelens.dissect.dns import DnsDissector
from wirelens.dissect.ssh import SshDissector
from wirelens.schema.dhcp import TABLES
from wirelens.wire import BadValue, LimitExceeded, ParseError, Truncated

TCP, UDP = 6, 17
DATA = Path(__file__).resolve().parents[3] / ".." / "shared" / "data"
needs_data = pytest.mark.skipif(
    not DATA.is_dir(), reason=f"shared captures not found at {DATA} (see its README.md)"
)

# -- builders (RFC 2131 §2, RFC 2132 §2) -------------------------------------------------------

MAC = bytes.fromhex("001122aabbcc")


def opt(code: int, data: bytes) -> bytes:
    return bytes([code, len(data)]) + data


def ip(text: str) -> bytes:
    return bytes(int(x) for x in text.split("."))


def bootp(
    op: int,
    options: bytes,
    *,
    xid: int = 0xDEADBEEF,
    yiaddr: str = "0.0.0.0",
    sname: bytes = b"",
    file: bytes = b"",
    flags: int = 0x8000,
    end: bool = True,
) -> bytes:
    head = struct.pack(">BBBBIHH", op, 1, 6, 0, xid, 3, flags)
    head += ip("0.0.0.0") + ip(yiaddr) + ip("10.0.0.9") + ip("0.0.0.0")
    head += MAC.ljust(16, b"\x00") + sname.ljust(64, b"\x00") + file.ljust(128, b"\x00")
    return head + DHCP_MAGIC_COOKIE + options + (b"\xff" if end else b"")


def discover() -> bytes:
    return bootp(
        1,
        opt(53, b"\x01")
        + opt(61, b"\x01" + MAC)
        + opt(50, ip("10.0.0.77"))
        + opt(12, b"laptop\x00")
        + opt(60, b"MSFT 5.0")
        + opt(81, b"\x05\x00\x00\x06laptop\x07example\x03com\x00")
        + opt(55, bytes([1, 3, 6, 15, 31, 33, 43, 44, 46, 47, 119, 121, 249, 252]))
        + b"\x00\x00",
    )


def ack() -> bytes:
    return bootp(
        2,
        opt(53, b"\x05")
        + opt(54, ip("10.0.0.1"))
        + opt(51, struct.pack(">I", 86400))
        + opt(58, struct.pack(">I", 43200))
        + opt(59, struct.pack(">I", 75600))
        + opt(1, ip("255.255.255.0"))
        + opt(3, ip("10.0.0.1"))
        + opt(6, ip("10.0.0.1") + ip("9.9.9.9"))
        + opt(15, b"example.com"),
        yiaddr="10.0.0.77",
        file=b"pxelinux.0",
        sname=b"tftp.example",
    )


def one(data: bytes) -> DhcpRecord:
    (rec,) = DhcpDissector(UDP).feed(data, True, 42)
    assert isinstance(rec, DhcpRecord)
    return rec


# -- messages ----------------------------------------------------------------------------------


def test_discover() -> None:
    rec = one(discover())
    assert (rec.op, rec.op_name, rec.msg_type, rec.msg_type_name) == (
        1,
        "BOOTREQUEST",
        1,
        "DISCOVER",
    )
    assert rec.ts_ns == 42 and rec.xid == 0xDEADBEEF and rec.broadcast and rec.htype == 1
    assert rec.client_mac == "00:11:22:aa:bb:cc"
    assert rec.requested_addr == "10.0.0.77" and rec.assigned_addr is None
    assert rec.hostname == "laptop"  # trailing NUL dropped
    assert rec.vendor_class == "MSFT 5.0"
    assert rec.client_fqdn == "laptop.example.com"
    assert rec.client_id == "01" + MAC.hex()
    assert rec.param_req_list[:4] == (1, 3, 6, 15)
    assert rec.fingerprint == "1,3,6,15,31,33,43,44,46,47,119,121,249,252"
    assert rec.options == (53, 61, 50, 12, 60, 81, 55)
    assert rec.overload is None and rec.sname is None and rec.file is None


def test_ack() -> None:
    rec = one(ack())
    assert (rec.msg_type_name, rec.yiaddr, rec.assigned_addr) == ("ACK", "10.0.0.77", "10.0.0.77")
    # the ACK answering an INFORM leases nothing (yiaddr zero, RFC 2131 §4.3.5)
    inform_ack = one(bootp(2, opt(53, b"\x05") + opt(54, ip("10.0.0.1")), yiaddr="0.0.0.0"))
    assert (inform_ack.msg_type_name, inform_ack.assigned_addr) == ("ACK", None)
    assert (rec.server_id, rec.lease_time, rec.renewal_time, rec.rebinding_time) == (
        "10.0.0.1",
        86400,
        43200,
        75600,
    )
    assert rec.subnet_mask == "255.255.255.0"
    assert rec.routers == ("10.0.0.1",) and rec.dns_servers == ("10.0.0.1", "9.9.9.9")
    assert rec.domain == "example.com" and rec.siaddr == "10.0.0.9"
    assert (rec.sname, rec.file) == ("tftp.example", "pxelinux.0")
    assert rec.fingerprint is None and rec.param_req_list == ()


def test_trailing_bytes_after_end_are_ignored() -> None:
    assert one(discover() + b"\x00" * 60 + b"junk") == one(discover())


def test_missing_end_option_is_tolerated() -> None:
    data = bootp(1, opt(53, b"\x03") + opt(12, b"pc"), end=False)
    assert one(data).hostname == "pc"


def test_zero_length_hardware_address() -> None:
    data = bytearray(discover())
    data[1:3] = b"\x00\x00"  # htype 0, hlen 0 (seen in Zeek's hw-type0 capture)
    rec = one(bytes(data))
    assert (rec.htype, rec.client_mac) == (0, None)


def test_bootp_without_message_type() -> None:
    rec = one(bootp(2, b"", yiaddr="10.1.1.1"))
    assert rec.msg_type is None and rec.msg_type_name is None and rec.op_name == "BOOTREPLY"


def test_unknown_message_type_name() -> None:
    assert one(bootp(1, opt(53, b"\x63"))).msg_type_name == "TYPE99"


# -- overload (RFC 2132 §9.3, RFC 2131 §4.1) and concatenation (RFC 3396) --------------------


def test_overload_file_then_sname() -> None:
    data = bootp(
        2,
        opt(53, b"\x02") + opt(52, b"\x03"),
        file=opt(3, ip("10.0.0.1")) + opt(56, b"from-file") + b"\xff",
        sname=opt(6, ip("10.0.0.2")) + opt(56, b"+sname") + b"\xff",
    )
    rec = one(data)
    assert rec.overload == 3 and rec.sname is None and rec.file is None
    assert rec.routers == ("10.0.0.1",) and rec.dns_servers == ("10.0.0.2",)
    assert rec.message == "from-file+sname"  # options, then file, then sname, concatenated
    assert rec.options == (53, 52, 3, 56, 6)


def test_overload_sname_only_keeps_the_file_name() -> None:
    rec = one(bootp(2, opt(52, b"\x02"), sname=opt(12, b"name") + b"\xff", file=b"boot.img"))
    assert (rec.hostname, rec.file, rec.sname) == ("name", "boot.img", None)


def test_overload_bad_values() -> None:
    with pytest.raises(BadValue):
        one(bootp(2, opt(52, b"\x04")))
    with pytest.raises(BadValue):
        one(bootp(2, opt(52, b"\x01\x01")))


def test_repeated_option_is_concatenated() -> None:
    rec = one(
        bootp(1, opt(55, bytes([1, 3])) + opt(12, b"long") + opt(55, bytes([6])) + opt(12, b"name"))
    )
    assert rec.fingerprint == "1,3,6" and rec.hostname == "longname"


# -- errors and truncation ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "options",
    [
        opt(53, b"\x01\x02"),
        opt(50, b"\x0a\x00\x00"),
        opt(54, b""),
        opt(51, b"\x00\x00\x01"),
        opt(3, b"\x0a\x00\x00\x01\x02"),
        opt(6, b""),
        opt(81, b"\x04\x00"),
        opt(81, b"\x04\x00\x00\xc0\x0c"),  # compression pointer in an uncompressed name
    ],
)
def test_bad_option_lengths(options: bytes) -> None:
    with pytest.raises(BadValue):
        one(bootp(1, options))


def test_truncations() -> None:
    data = discover()
    for n in (0, 1, 100, 235, 238):
        with pytest.raises(Truncated):
            one(data[:n])
    cut_inside_option = 240 + 3 + 2 + 1  # inside option 61
    with pytest.raises(Truncated):
        one(data[:cut_inside_option])
    with pytest.raises(Truncated):
        one(bootp(1, b"\x35", end=False))  # code without its length


def test_bad_header() -> None:
    with pytest.raises(BadValue):
        one(b"\x03" + discover()[1:])
    with pytest.raises(BadValue):
        one(discover()[:2] + b"\x11" + discover()[3:])
    with pytest.raises(BadValue):
        one(discover()[:236] + b"\x63\x82\x53\x00" + discover()[240:])
    with pytest.raises(LimitExceeded):
        one(discover() + b"\x00" * 70_000)


def test_wire_name() -> None:
    assert wire_name(b"\x03www\x07example\x00") == "www.example"
    assert wire_name(b"\x04host") == "host"  # partial name (RFC 4702 §2.3.1)
    assert wire_name(b"") == ""
    with pytest.raises(Truncated):
        wire_name(b"\x09abc")
    with pytest.raises(BadValue):
        wire_name(b"\x00junk")


# -- identification ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "proto", "expected"),
    [
        (discover(), UDP, True),
        (ack(), UDP, True),
        (discover(), TCP, False),
        (discover()[:239], UDP, False),
        (b"\x03" + discover()[1:], UDP, False),
        (discover()[:2] + b"\x11" + discover()[3:], UDP, False),
        (discover()[:236] + b"\x00" * 4 + discover()[240:], UDP, False),
        (bytes(300), UDP, False),
        (b"", UDP, False),
    ],
)
def test_matches(payload: bytes, proto: int, expected: bool) -> None:
    assert DhcpDissector.matches(payload, proto, True) is expected


def test_identify_by_content(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        registry, "DISSECTORS", (SshDissector, DhcpDissector, Dhcpv6Dissector, DnsDissector)
    )
    assert registry.identify(discover(), UDP, True, 68, 67) is DhcpDissector
    assert registry.identify(discover(), UDP, True, 5000, 6000) is DhcpDissector
    assert registry.identify(b"\x01" * 300, UDP, True, 68, 67) is None  # ports alone: no


def test_schema_matches_record_fields() -> None:
    schema, doc = TABLES["dhcp"]
    assert doc
    names = [f.name for f in schema][6:]
    assert names == [f.name for f in dataclasses.fields(DhcpRecord) if f.name != "ts_ns"]
    assert all(f.metadata and f.metadata.get(b"doc") for f in schema)


def _row(rec: DhcpRecord) -> dict[str, object]:
    row: dict[str, object] = {f.name: getattr(rec, f.name) for f in dataclasses.fields(rec)}
    row.update(
        ts=row.pop("ts_ns"),
        uid="C1",
        orig_h="0.0.0.0",
        orig_p=68,
        resp_h="255.255.255.255",
        resp_p=67,
    )
    return row


def test_records_fit_the_schema() -> None:
    schema = TABLES["dhcp"][0]
    table = pa.Table.from_pylist([_row(one(discover())), _row(one(ack()))], schema=schema)
    assert table.column("fingerprint")[0].as_py().startswith("1,3,6")


# -- real captures -----------------------------------------------------------------------------


def _records(path: Path) -> list[tuple[tuple[str, int], DhcpRecord]]:
    out = []
    for fl in flows(path):
        for side, data, ts in fl.chunks:
            if fl.proto == UDP and DhcpDissector.matches(data, UDP, side):
                (rec,) = DhcpDissector(UDP).feed(data, side, ts)
                assert isinstance(rec, DhcpRecord)
                out.append((fl.orig if side else fl.resp, rec))
    return out


def _ndpi_facts(out_file: Path) -> set[tuple[str | None, str, str | None]]:
    """(hostname, fingerprint, class ident) of each nDPI DHCP flow with a fingerprint."""
    facts = set()
    for line in out_file.read_text().splitlines():
        fp = re.search(r"\[DHCP Fingerprint: ([^\]]+)\]", line)
        if "/DHCP]" not in line or fp is None:
            continue
        host = re.search(r"\[Hostname/SNI: ([^\]]+)\]", line)
        vendor = re.search(r"\[DHCP Class Ident: ([^\]]+)\]", line)
        facts.add(
            (host.group(1) if host else None, fp.group(1), vendor.group(1) if vendor else None)
        )
    return facts


@needs_data
@pytest.mark.parametrize(
    "pcap",
    ["android.pcap", "wa_voice.pcap", "whatsapp_login_chat.pcap", "fuzz-2006-06-26-2594.pcap"],
)
def test_ndpi_hostname_fingerprint_vendor_class(pcap: str) -> None:
    base = DATA / "nDPI" / "tests" / "cfgs" / "default"
    expected = _ndpi_facts(base / "result" / f"{pcap}.out")
    assert expected
    got = {
        (r.hostname.lower() if r.hostname else None, r.fingerprint, r.vendor_class)
        for _, r in _records(base / "pcap" / pcap)
        if r.op == 1
    }
    assert expected <= got


@needs_data
def test_suricata_option_52_overload() -> None:
    """Suricata-verify expects routers/DNS 10.100.0.2 parsed out of an overloaded sname in
    the OFFER and the ACK, and 10.100.0.1 from the plain (non-overloaded) pair."""
    test = DATA / "suricata-verify" / "tests" / "dhcp-option-52-overload"
    assert "dhcp.dns_servers[0]: 10.100.0.2" in (test / "test.yaml").read_text()
    replies = [r for _, r in _records(test / "input.pcap") if r.op == 2]
    overloaded = [r for r in replies if r.overload == 2]
    plain = [r for r in replies if r.overload is None]
    assert {r.msg_type_name for r in overloaded} == {"OFFER", "ACK"}
    assert all(r.routers == r.dns_servers == ("10.100.0.2",) for r in overloaded)
    assert all(r.sname is None for r in overloaded)
    assert all(r.routers == r.dns_servers == ("10.100.0.1",) for r in plain) and len(plain) == 2
    # the plain pair's sname field is a name (tshark: dhcp.server_name)
    assert {r.sname for r in plain} == {"evil-pxe.attacker.local"}


@needs_data
def test_suricata_overload_both() -> None:
    """Wireshark's overload sample: option 56 in options, file and sname (tshark shows the
    three parts); they are concatenated options, file, sname (RFC 3396, RFC 2131 §4.1)."""
    test = DATA / "suricata-verify" / "tests" / "dhcp-option-52-overload-both"
    ((_, rec),) = _records(test / "input.pcap")
    assert rec.overload == 3 and rec.msg_type_name == "DISCOVER"
    assert rec.message == "Padding" + "file name field overload" + "sname field overload"


@needs_data
def test_suricata_extended_fields() -> None:
    test = DATA / "suricata-verify" / "tests" / "dhcp-eve-extended"
    yaml = (test / "test.yaml").read_text()
    assert "dhcp.id: 4016330564" in yaml and "dhcp.lease_time: 3600" in yaml
    recs = {r.msg_type_name: r for _, r in _records(test / "input.pcap")}
    assert recs["REQUEST"].xid == recs["ACK"].xid == 4016330564
    assert recs["REQUEST"].hostname == "nas1" and recs["REQUEST"].fingerprint == "1,28,2,3,15,6,12"
    ack_rec = recs["ACK"]
    assert (ack_rec.lease_time, ack_rec.assigned_addr, ack_rec.dns_servers, ack_rec.routers) == (
        3600,
        "10.16.1.4",
        ("10.16.1.1",),
        ("10.16.1.1",),
    )
    assert ack_rec.siaddr == "10.16.1.1"  # EVE: dhcp.next_server_ip


@needs_data
def test_zeek_inform() -> None:
    """Zeek's dhcp.log: mac 90:b1:1c:99:49:29, msg_types INFORM,ACK."""
    log = DATA / "zeek/testing/btest/Baseline/scripts.base.protocols.dhcp.inform/dhcp.log"
    assert "90:b1:1c:99:49:29" in log.read_text() and "INFORM,ACK" in log.read_text()
    recs = _records(DATA / "zeek/testing/btest/Traces/dhcp/dhcp_inform.pcap")
    assert [r.msg_type_name for _, r in recs] == ["INFORM", "ACK"]
    assert {r.client_mac for _, r in recs} == {"90:b1:1c:99:49:29"}
    assert recs[0][0][0] == "128.2.6.122"  # Zeek's client_addr: the INFORM's sender


def test_relay_agent_information() -> None:
    agent = b"\x01\x03abc" + b"\x02\x01\x13" + b"\x06\x03sub" + b"\x01\x01z"
    rec = one(bootp(2, opt(53, b"\x05") + opt(82, agent)))
    assert (rec.agent_circuit_id, rec.agent_remote_id, rec.subscriber_id) == ("616263", "13", "sub")
    with pytest.raises(Truncated):
        one(bootp(2, opt(82, b"\x01\x05ab")))


@needs_data
def test_zeek_agent_remote_and_subscriber_id() -> None:
    """tshark: circuit id 7468...2e2e2e ("this is only a test..."), remote id 13,
    subscriber id "-subID-"."""
    path = DATA / "zeek/testing/btest/Traces/dhcp/dhcp_ack_subscriber_id_and_agent_remote_id.pcap"
    ((_, rec),) = _records(path)
    assert rec.agent_circuit_id == b"this is only a test...".hex()
    assert (rec.agent_remote_id, rec.subscriber_id) == ("13", "-subID-")


@needs_data
def test_zeek_bad_cookie_is_not_dhcp() -> None:
    """Zeek's baseline: the messages with xid 0x1000 and 0x3000 have one option each; the
    three between them (xid 0x2000-0x2002) have a zeroed magic cookie: not matched, and a
    BadValue if parsed anyway."""
    path = DATA / "zeek/testing/btest/Traces/dhcp/dhcp_bad_cookie_option_retention.pcap"
    recs = _records(path)
    assert [(r.xid, len(r.options)) for _, r in recs] == [(0x1000, 1), (0x3000, 1)]
    all_udp = [d for fl in flows(path) for _, d, _ in fl.chunks]
    assert len(all_udp) == 5
    for data in all_udp[1:4]:
        with pytest.raises(BadValue):
            parse_dhcp(data)


@needs_data
def test_all_dhcp_captures_parse_and_fit_the_schema() -> None:
    paths = [
        *sorted((DATA / "zeek/testing/btest/Traces/dhcp").glob("*.pcap*")),
        *sorted((DATA / "suricata-verify/tests").glob("dhcp*/input.pcap")),
        *sorted((DATA / "tcpdump/tests").glob("dhcp-*.pcap*")),
    ]
    rows = []
    for path in paths:
        rows += [_row(r) for _, r in _records(path)]
    assert len(rows) > 500
    assert pa.Table.from_pylist(rows, schema=TABLES["dhcp"][0]).num_rows == len(rows)


# -- fuzz ----------------------------------------------------------------------------------------

FUZZ = settings(max_examples=300, deadline=250, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(
    edits=st.lists(
        st.tuples(st.integers(0, 3), st.integers(0, 600), st.integers(0, 255)), max_size=8
    ),
    seed=st.sampled_from([discover(), ack(), bootp(2, opt(52, b"\x03"), file=b"\x0c\x02ab")]),
)
def test_fuzz(edits: list[tuple[int, int, int]], seed: bytes) -> None:
    """Invariant: any mutated datagram yields exactly one DhcpRecord or raises ParseError,
    within the deadline; ``matches`` never raises."""
    buf = bytearray(mutate(seed, edits))
    data = bytes(buf)
    assert DhcpDissector.matches(data, UDP, True) in (True, False)
    d = DhcpDissector(UDP)
    try:
        out = d.feed(data, True, 0)
        assert len(out) == 1 and isinstance(out[0], DhcpRecord)
    except ParseError:
        pass
    assert d.finish() == []


@FUZZ
@given(data=st.binary(max_size=400))
def test_fuzz_random(data: bytes) -> None:
    """Invariant: random bytes (with a valid header prefix or not) parse or raise ParseError."""
    for candidate in (data, discover()[:240] + data):
        assert DhcpDissector.matches(candidate, UDP, False) in (True, False)
        try:
            DhcpDissector(UDP).feed(candidate, False, 0)
        except ParseError:
            pass


# -- end to end through the pipeline (before registration: patched in) --------------------------


@pytest.fixture
def dhcp_registered(monkeypatch: pytest.MonkeyPatch) -> None:
    from wirelens.schema import SCHEMAS

    mine: tuple[type[Dissector], ...] = (DhcpDissector, Dhcpv6Dissector)
    dissectors: tuple[type[Dissector], ...] = (
        *[c for c in registry.DISSECTORS if c.name not in ("dhcp", "dhcpv6")],
        *mine,
    )
    monkeypatch.setattr(registry, "DISSECTORS", dissectors)
    monkeypatch.setattr(registry, "_BY_NAME", {c.name: c for c in dissectors})
    for name, (schema, _) in TABLES.items():
        monkeypatch.setitem(SCHEMAS, name, schema)


@needs_data
@pytest.mark.usefixtures("dhcp_registered")
def test_pipeline_dhcp_and_dhcpv6() -> None:
    import wirelens

    v4 = DATA / "suricata-verify/tests/dhcp-eve-extended/input.pcap"
    v6 = DATA / "tcpdump/tests/dhcpv6-ia-ta.pcap"
    result = wirelens.analyze([v4, v6])
    rows = sorted(result.table("dhcp").to_pylist(), key=lambda r: r["ts"])
    assert [r["msg_type_name"] for r in rows] == ["REQUEST", "ACK"]
    assert rows[1]["assigned_addr"] == "10.16.1.4" and rows[0]["hostname"] == "nas1"
    assert rows[0]["orig_p"] == 68 and rows[0]["resp_p"] == 67
    rows6 = sorted(result.table("dhcpv6").to_pylist(), key=lambda r: r["ts"])
    assert [r["msg_type_name"] for r in rows6] == ["SOLICIT", "ADVERTISE", "REQUEST", "REPLY"]
    assert rows6[3]["assigned_addrs"] == ["2a00:1:1:200:5da2:f920:84c4:88cc"]
    services = {r["service"] for r in result.conn.to_pylist()}
    assert services == {"dhcp", "dhcpv6"}
