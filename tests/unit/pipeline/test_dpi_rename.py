"""A UDP flow named by a first datagram that misled is named again when its dissector fails
(``DpiStage._rename``): suricata-verify's ``dns-udp-junkrequest-first`` sends an SNMP request to
a DNS server, which answers in DNS; the flow is DNS, and its DNS transaction is logged."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.unit.decode.decode_frames import analyze_frames, table_rows, tcp_frame, udp_frame
from tests.unit.dissect.wl_dissect_builders import dns_header, dns_query, dns_response, rr

CLIENT, SERVER = "10.0.0.5", "10.9.9.9"


def _tlv(tag: int, body: bytes) -> bytes:
    return bytes((tag, len(body))) + body


# SNMPv2c GetRequest for sysDescr.0 (RFC 3416 §3: message, PDU, one variable binding)
GET = _tlv(0x30, _tlv(0x02, b"\x01") + _tlv(0x04, b"public") + _tlv(0xA0, (
    _tlv(0x02, b"\x12\x34") + _tlv(0x02, b"\x00") + _tlv(0x02, b"\x00")
    + _tlv(0x30, _tlv(0x30, _tlv(0x06, bytes((0x2B, 6, 1, 2, 1, 1, 1, 0))) + b"\x05\x00")))))
FORMERR = dns_header(0x3040, 0x8081, 0, 0)  # a header alone: no content test takes it


def test_snmp_sent_to_a_dns_server_then_dns(tmp_path: Path) -> None:
    answer = dns_response(7, "a.example.com", [rr(1, bytes([192, 0, 2, 1]))])
    r = analyze_frames(tmp_path, [
        udp_frame(CLIENT, SERVER, 40000, 53, GET),
        udp_frame(SERVER, CLIENT, 53, 40000, FORMERR),
        udp_frame(CLIENT, SERVER, 40000, 53, dns_query(7, "a.example.com")),
        udp_frame(SERVER, CLIENT, 53, 40000, answer)])
    (conn,) = r.conn.to_pylist()
    assert (conn["service"], conn["service_source"], conn["server_name"]) == (
        "dns", "content", "a.example.com")
    assert [(d["query"], d["rcode_name"]) for d in table_rows(r, "dns")] == [
        ("a.example.com", "NOERROR")]
    assert len(table_rows(r, "snmp")) == 1  # what was written before stays
    assert [w["name"] for w in table_rows(r, "weird")] == ["snmp_trailing_junk"]


def test_with_rows_written_the_port_must_support_the_new_name(tmp_path: Path) -> None:
    """The SNMP dissector wrote a row; the DNS datagrams that follow go to a port that is not
    DNS's: two content tests disagree and no port breaks the tie, so the flow stays SNMP."""
    r = analyze_frames(tmp_path, [
        udp_frame(CLIENT, SERVER, 40000, 5000, GET),
        udp_frame(SERVER, CLIENT, 5000, 40000, FORMERR),
        udp_frame(CLIENT, SERVER, 40000, 5000, dns_query(7, "a.example.com"))])
    (conn,) = r.conn.to_pylist()
    assert conn["service"] == "snmp"
    assert table_rows(r, "dns") == []


@pytest.mark.parametrize("later", [4, 5])
def test_only_a_few_datagrams_are_offered(tmp_path: Path, later: int) -> None:
    """After the failure, the datagram that failed and IDENTIFY_TRIES - 1 more are offered:
    a DNS query that comes as the 4th of them renames the flow, as the 5th it does not."""
    junk = [udp_frame(CLIENT, SERVER, 40000, 53, b"\x00" * 5) for _ in range(later - 2)]
    r = analyze_frames(tmp_path, [
        udp_frame(CLIENT, SERVER, 40000, 53, GET),
        udp_frame(SERVER, CLIENT, 53, 40000, FORMERR), *junk,
        udp_frame(CLIENT, SERVER, 40000, 53, dns_query(7, "a.example.com"))])
    (conn,) = r.conn.to_pylist()
    assert conn["service"] == ("dns" if later == 4 else "snmp")


def test_tcp_flows_are_not_renamed(tmp_path: Path) -> None:
    """A TCP flow whose dissector fails keeps its name (a segment that fails is seldom the
    start of another protocol's message), even where a UDP flow would be renamed: the segment
    that fails is an SSH banner, on SSH's port."""
    syn, ack, psh = 0x02, 0x10, 0x18
    req = b"GET / HTTP/1.1\r\nHost: a.example.com\r\n\r\n"
    resp = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
    bad = b"SSH-2.0-OpenSSH_9.6\r\n"
    r = analyze_frames(tmp_path, [
        tcp_frame(CLIENT, SERVER, 40000, 22, 100, 0, syn),
        tcp_frame(SERVER, CLIENT, 22, 40000, 500, 101, syn | ack),
        tcp_frame(CLIENT, SERVER, 40000, 22, 101, 501, ack),
        tcp_frame(CLIENT, SERVER, 40000, 22, 101, 501, psh, req),
        tcp_frame(SERVER, CLIENT, 22, 40000, 501, 101 + len(req), psh, resp),
        tcp_frame(CLIENT, SERVER, 40000, 22, 101 + len(req), 501 + len(resp), psh,
                  bad)])
    (conn,) = r.conn.to_pylist()
    assert conn["service"] == "http"
    assert [w["name"] for w in table_rows(r, "weird")] == ["http_bad_value"]  # it did fail


def test_a_damaged_datagram_amid_dns_transactions_is_a_weird(tmp_path: Path) -> None:
    """One response cut inside its question in the middle of a DNS flow (a tunnel's, say):
    one weird, and the transactions before and after it are all logged."""
    frames = []
    for tid in range(1, 6):
        name = f"t{tid}.example.com"
        answer = dns_response(tid, name, [rr(1, bytes([192, 0, 2, tid]))])
        frames += [udp_frame(CLIENT, SERVER, 40001, 53, dns_query(tid, name)),
                   udp_frame(SERVER, CLIENT, 53, 40001, answer[:20] if tid == 3 else answer)]
    r = analyze_frames(tmp_path, frames)
    rows = {d["query"]: d["rcode_name"] for d in table_rows(r, "dns")}
    assert rows == {"t1.example.com": "NOERROR", "t2.example.com": "NOERROR",
                    "t3.example.com": None, "t4.example.com": "NOERROR",
                    "t5.example.com": "NOERROR"}
    assert [w["name"] for w in table_rows(r, "weird")] == ["dns_truncated"]


def test_stateless_datagram_dissectors_read_on_after_a_bad_one(tmp_path: Path) -> None:
    """NTP (as DHCP, DHCPv6 and SNMP) keeps no state between datagrams: a short one in the
    middle of a flow is a weird, the ones after it are still rows."""
    client = b"\x23" + bytes(47)  # v4, mode 3 (client)
    server = b"\x24\x02" + bytes(46)  # v4, mode 4 (server), stratum 2
    frames = [udp_frame(CLIENT, SERVER, 123, 123, client),
              udp_frame(SERVER, CLIENT, 123, 123, server),
              udp_frame(CLIENT, SERVER, 123, 123, client[:20]),  # cut short
              udp_frame(CLIENT, SERVER, 123, 123, client),
              udp_frame(SERVER, CLIENT, 123, 123, server)]
    r = analyze_frames(tmp_path, frames)
    assert len(table_rows(r, "ntp")) == 4
    assert [w["name"] for w in table_rows(r, "weird")] == ["ntp_truncated"]


def test_which_dissectors_read_on_after_a_bad_message() -> None:
    """Datagram protocols whose state a bad datagram leaves intact; never over TCP, where a
    message that does not parse leaves the stream's framing unknown."""
    from wirelens.dissect.registry import DISSECTORS

    resumable = {c.name for c in DISSECTORS if 17 in c.transports and c(17).resumable()}
    assert resumable == {"dhcp", "dhcpv6", "ntp", "snmp", "sip", "kerberos"}  # (dns: once read)
    assert not any(c(6).resumable() for c in DISSECTORS if 6 in c.transports)
