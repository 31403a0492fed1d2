"""Service-provider encapsulations: the Ethernet frame of an MPLS pseudowire (RFC 4448, with
or without its control word), MPLS in UDP (RFC 7510), L2TPv2 data messages (RFC 2661):
hand-built frames, every cut of them, and tcpdump's capture. Every frame is also decoded by
the naive reference (tests/naive/decode.py), which must agree.
"""

from __future__ import annotations

import struct

from decode_frames import DATA, MAC_A, eth, ipv4, tcp, udp, vlan
from test_decode_nflog_ayiya import every_cut, needs_data, one

import wirelens
from wirelens.core.batch import PacketStatus, Tunnel
from wirelens.decode import Decoder

S = PacketStatus
PAYLOAD = b"GET / HTTP/1.1\r\n\r\n"
TCP4 = ipv4(tcp(payload=PAYLOAD))
STACK = struct.pack("!I", (3000 << 12) | 0x100 | 64)  # one label, bottom of stack


def test_ethernet_pseudowire() -> None:
    """The frame after the control word (first nibble 0), or at once without it; the outer
    frame's MACs and the outermost label kept."""
    dec = Decoder()
    inner = eth(vlan(42, 0x0800, TCP4), 0x8100, dst=bytes.fromhex("001b21000001"),
                src=bytes.fromhex("001b21000002"))
    for cw in (b"\x00\x00\x00\x07", b""):
        row = one(dec, eth(STACK + cw + inner, 0x8847), 1)
        assert row["status"] == S.OK and (row["proto"], row["sport"]) == (6, 1234)
        assert (row["mpls_label"], row["vlan"]) == (3001, 42)
        assert row["src_mac"] == int.from_bytes(MAC_A, "big")
        assert row["payload_len"] == len(PAYLOAD)
    # without the control word, to a MAC whose first bytes could start one (Cisco's OUI)
    cisco = eth(TCP4, dst=bytes.fromhex("00000c123456"))
    row = one(dec, eth(STACK + cisco, 0x8847), 1)
    assert row["status"] == S.OK and row["payload_len"] == len(PAYLOAD)
    # an associated channel (first nibble 1, RFC 4385), or bytes that are no frame: not IP
    row = one(dec, eth(STACK + b"\x10\x00\x00\x21" + inner, 0x8847), 1)
    assert row["status"] == S.NOT_IP
    row = one(dec, eth(STACK + b"\x00" * 4 + b"\x01" * 40, 0x8847), 1)
    assert row["status"] == S.NOT_IP
    every_cut(dec, eth(STACK + b"\x00" * 4 + inner, 0x8847), 1)


def test_mpls_in_udp() -> None:
    """UDP port 6635: the label stack, then the packet it carries; the tunnel recorded, no
    tunnel id (each direction has its own label), the top label kept."""
    dec = Decoder()
    frame = eth(ipv4(udp(49152, 6635, STACK + TCP4), proto=17, src="192.0.2.1",
                     dst="192.0.2.2"))
    row = one(dec, frame, 1)
    assert row["status"] == S.OK and (row["proto"], row["sport"]) == (6, 1234)
    assert (row["tunnel"], row["tunnel_id"], row["mpls_label"]) == (Tunnel.MPLS_UDP, 0, 3001)
    assert row["payload_len"] == len(PAYLOAD)
    # a pseudowire's frame in it too; another port stays plain UDP
    pw = eth(ipv4(udp(49152, 6635, STACK + b"\x00" * 4 + eth(TCP4)), proto=17))
    assert one(dec, pw, 1)["proto"] == 6
    plain = one(dec, eth(ipv4(udp(6635, 49152, STACK + TCP4), proto=17)), 1)
    assert (plain["proto"], plain["tunnel"]) == (17, 0)
    every_cut(dec, frame, 1)


@needs_data
def test_tcpdumps_mpls_over_udp_capture_is_one_icmp_flow() -> None:
    """tcpdump's mpls-over-udp.out: an ICMP echo request 10.3.0.10 > 10.1.0.10 (label 21) and
    its reply (label 46), each in UDP to port 6635 from its own source port."""
    conn = wirelens.analyze(DATA / "tcpdump" / "tests" / "mpls-over-udp.pcap").conn.to_pylist()
    assert [(c["orig_h"], c["resp_h"], c["proto"], c["tunnel"], c["orig_pkts"], c["resp_pkts"])
            for c in conn] == [("10.3.0.10", "10.1.0.10", 1, "mpls_udp", 1, 1)]


def test_l2tp_data_messages_carry_ppp() -> None:
    """RFC 2661 section 3.1: optional length, Ns/Nr and offset fields; PPP with or without
    its address and control bytes. Control messages (T bit) and other versions stay UDP."""
    dec = Decoder()
    ppp = b"\xff\x03\x00\x21" + TCP4
    for body in (struct.pack("!HHH", 0x0002, 11, 22) + ppp,  # no optional field
                 struct.pack("!HHHHHH", 0x4802, 12 + len(ppp), 11, 22, 7, 9) + ppp,  # L, S
                 struct.pack("!HHHH", 0x0202, 11, 22, 2) + b"\x00\x00" + ppp):  # offset 2
        row = one(dec, eth(ipv4(udp(1701, 1701, body), proto=17)), 1)
        assert row["status"] == S.OK and (row["proto"], row["sport"]) == (6, 1234)
        assert (row["tunnel"], row["tunnel_id"]) == (Tunnel.L2TP, 0)
        assert row["payload_len"] == len(PAYLOAD)
    bare = struct.pack("!HHH", 0x0002, 11, 22) + b"\x21" + TCP4  # compressed protocol field
    assert one(dec, eth(ipv4(udp(40000, 1701, bare), proto=17)), 1)["proto"] == 6
    for first in (0xC802, 0x0003):  # a control message; L2TPv3
        other = struct.pack("!HHH", first, 11, 22) + ppp
        row = one(dec, eth(ipv4(udp(1701, 1701, other), proto=17)), 1)
        assert (row["proto"], row["tunnel"]) == (17, 0)
    cut = struct.pack("!HHHH", 0x0202, 11, 22, 500) + ppp  # an offset past the datagram
    assert one(dec, eth(ipv4(udp(1701, 1701, cut), proto=17)), 1)["status"] == S.MALFORMED
    every_cut(dec, eth(ipv4(udp(1701, 1701, struct.pack("!HHHHH", 0x4802, 60, 11, 22, 0)
                                + b"\x00\x00" + ppp), proto=17)), 1)
