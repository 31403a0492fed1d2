"""Hand-built frames for every link type and encapsulation; every column checked.

Each frame is also decoded by the naive reference (tests/naive/decode.py), which must agree.
"""

from __future__ import annotations

import struct

import numpy as np
import pytest
from decode_frames import (
    MAC_A,
    MAC_B,
    eth,
    ext,
    halves,
    ipv4,
    ipv6,
    mapped,
    raw_batch,
    tcp,
    udp,
    v4,
    vlan,
)
from tests.naive.decode import COLUMNS, decode_batch

from wirelens.core.batch import LinkType, PacketStatus, Tunnel
from wirelens.core.weirds import Weird
from wirelens.decode import Decoder

S = PacketStatus
MA = int.from_bytes(MAC_A, "big")
MB = int.from_bytes(MAC_B, "big")
GAP = 3  # raw_batch puts the first frame at offset 3


def one(decoder: Decoder, frame: bytes, lt: int) -> dict[str, int]:
    """Decode one frame; returns its row, after checking the naive reference agrees."""
    raw = raw_batch([frame], lt)
    pk = decoder.decode(raw)
    row = {c: int(getattr(pk, c)[0]) for c in COLUMNS}
    assert decode_batch(raw)[0] == row
    return row


def assert_tcp_v4(row: dict[str, int], l3: int, payload: int) -> None:
    assert row["status"] == S.OK
    assert row["ip_ver"] == 4
    assert row["src_hi"] == 0 and row["src_lo"] == mapped("10.0.0.1")
    assert row["dst_lo"] == mapped("10.0.0.2")
    assert (row["sport"], row["dport"], row["proto"]) == (1234, 80, 6)
    assert row["l3_off"] == GAP + l3
    assert row["payload_len"] == payload


PAYLOAD = b"hello"
TCP4 = ipv4(tcp(payload=PAYLOAD))


# ---- link layers ------------------------------------------------------------------------
def test_ethernet_ipv4_tcp_every_column(decoder: Decoder) -> None:
    frame = eth(ipv4(tcp(flags=0x12, payload=PAYLOAD), ttl=33)) + b"\x00" * 7  # padding
    row = one(decoder, frame, LinkType.ETHERNET)
    expected = dict.fromkeys(COLUMNS, 0)
    expected.update(
        status=S.OK, ip_ver=4, src_lo=mapped("10.0.0.1"), dst_lo=mapped("10.0.0.2"),
        sport=1234, dport=80, proto=6, tcp_flags=0x12, tcp_seq=1000, tcp_ack=2000, tcp_win=512,
        ttl=33, ip_len=45, l3_off=GAP + 14, payload_off=GAP + 54, payload_len=5,
        src_mac=MA, dst_mac=MB,
    )  # fmt: skip
    assert row == expected


@pytest.mark.parametrize("lt", [101, 228, 229, 12, 14])
def test_raw_ip_link_types(decoder: Decoder, lt: int) -> None:
    if lt == 229:
        row = one(decoder, ipv6(udp(53, 5353, b"xyz"), nh=17), lt)
        assert row["ip_ver"] == 6 and row["proto"] == 17 and row["payload_len"] == 3
        assert (row["src_hi"], row["src_lo"]) == halves("2001:db8::1")
        assert (row["dst_hi"], row["dst_lo"]) == halves("2001:db8::2")
    else:
        assert_tcp_v4(one(decoder, TCP4, lt), 0, 5)


def test_linux_sll_v1_and_v2(decoder: Decoder) -> None:
    sll = struct.pack("!HHH", 0, 1, 6) + MAC_A + b"\x00\x00" + struct.pack("!H", 0x0800)
    row = one(decoder, sll + TCP4, LinkType.LINUX_SLL)
    assert_tcp_v4(row, 16, 5)
    assert row["src_mac"] == MA and row["dst_mac"] == 0
    sll2 = struct.pack("!HHIHBB", 0x86DD, 0, 3, 1, 0, 6) + MAC_A + b"\x00\x00"
    row = one(decoder, sll2 + ipv6(tcp(), nh=6), LinkType.LINUX_SLL2)
    assert row["status"] == S.OK and row["ip_ver"] == 6 and row["l3_off"] == GAP + 20
    assert row["src_mac"] == MA
    # non-IP protocol (802.2 LLC) under SLL
    row = one(decoder, sll[:-2] + struct.pack("!H", 4) + b"\x42\x42\x03", LinkType.LINUX_SLL)
    assert row["status"] == S.NOT_IP


@pytest.mark.parametrize(
    ("hdr", "ver"),
    [
        (struct.pack("<I", 2), 4),  # little-endian host, AF_INET
        (struct.pack(">I", 2), 4),  # big-endian host
        (struct.pack("<I", 24), 6),  # NetBSD/OpenBSD AF_INET6
        (struct.pack("<I", 28), 6),  # FreeBSD
        (struct.pack(">I", 30), 6),  # macOS, big-endian host
    ],
)
def test_bsd_null(decoder: Decoder, hdr: bytes, ver: int) -> None:
    pkt = TCP4 if ver == 4 else ipv6(tcp())
    row = one(decoder, hdr + pkt, LinkType.NULL)
    assert row["status"] == S.OK and row["ip_ver"] == ver and row["l3_off"] == GAP + 4


def test_bsd_null_other_family_and_loop(decoder: Decoder) -> None:
    assert one(decoder, struct.pack("<I", 7) + TCP4, LinkType.NULL)["status"] == S.NOT_IP
    assert_tcp_v4(one(decoder, struct.pack(">I", 2) + TCP4, LinkType.LOOP), 4, 5)
    # LOOP is network order only: a little-endian family is not AF_INET
    assert one(decoder, struct.pack("<I", 2) + TCP4, LinkType.LOOP)["status"] == S.NOT_IP


@pytest.mark.parametrize(
    ("lt", "hdr", "l3"),
    [
        (LinkType.PPP, b"\xff\x03\x00\x21", 4),
        (LinkType.PPP, b"\x00\x21", 2),
        (LinkType.PPP, b"\x21", 1),  # protocol field compression (RFC 1661 section 6.5)
        (LinkType.PPP_HDLC, b"\xff\x03\x00\x21", 4),
        (LinkType.PPP_HDLC, b"\x0f\x00\x08\x00", 4),  # Cisco HDLC framing
        (LinkType.C_HDLC, b"\x8f\x00\x08\x00", 4),
    ],
)
def test_ppp_and_hdlc(decoder: Decoder, lt: int, hdr: bytes, l3: int) -> None:
    assert_tcp_v4(one(decoder, hdr + TCP4, lt), l3, 5)


def test_ppp_lcp_is_not_ip(decoder: Decoder) -> None:
    assert one(decoder, b"\xff\x03\xc0\x21\x01\x01\x00\x04", LinkType.PPP)["status"] == S.NOT_IP


def wifi(fc0: int, fc1: int, body: bytes, four: bool = False, qos: bool = False) -> bytes:
    a1, a2, a3, a4 = (bytes([0x02, 0, 0, 0, 0, k]) for k in (0x11, 0x22, 0x33, 0x44))
    hdr = bytes([fc0, fc1]) + b"\x00\x00" + a1 + a2 + a3 + b"\x00\x00"
    if four:
        hdr += a4
    if qos:
        hdr += b"\x00\x00"
        if fc1 & 0x80:
            hdr += b"\x00" * 4
    return hdr + body


SNAP = b"\xaa\xaa\x03\x00\x00\x00\x08\x00"


def radiotap(frame: bytes, length: int = 12) -> bytes:
    return struct.pack("<BBHI", 0, 0, length, 0) + b"\x00" * (length - 8) + frame


def test_80211_data_frames(decoder: Decoder) -> None:
    row = one(decoder, wifi(0x08, 0x01, SNAP + TCP4), LinkType.IEEE802_11)  # to DS
    assert_tcp_v4(row, 24 + 8, 5)
    assert row["src_mac"] == 0x020000000022 and row["dst_mac"] == 0x020000000033
    # QoS data with HT control (Order bit), 4-address (WDS), under radiotap
    frame = wifi(0x88, 0x83, SNAP + TCP4, four=True, qos=True)
    row = one(decoder, radiotap(frame), LinkType.IEEE802_11_RADIOTAP)
    assert_tcp_v4(row, 12 + 30 + 2 + 4 + 8, 5)
    assert row["src_mac"] == 0x020000000044 and row["dst_mac"] == 0x020000000033
    # from DS: source is address 3
    row = one(decoder, radiotap(wifi(0x08, 0x02, SNAP + TCP4)), LinkType.IEEE802_11_RADIOTAP)
    assert row["src_mac"] == 0x020000000033 and row["dst_mac"] == 0x020000000011


def test_80211_not_decodable(decoder: Decoder) -> None:
    protected = one(decoder, wifi(0x08, 0x41, b"\x00" * 40), LinkType.IEEE802_11)
    assert protected["status"] == S.NOT_IP and protected["weird"] == Weird.encrypted_wifi_frame
    beacon = one(decoder, radiotap(wifi(0x80, 0, b"\x00" * 30)), LinkType.IEEE802_11_RADIOTAP)
    assert beacon["status"] == S.NOT_IP
    null_data = one(decoder, wifi(0x48, 0x01, b""), LinkType.IEEE802_11)
    assert null_data["status"] == S.NOT_IP
    ack = one(decoder, b"\xd4\x00\x00\x00" + MAC_A, LinkType.IEEE802_11)
    assert ack["status"] == S.NOT_IP
    short = one(decoder, b"\x08\x01" + b"\x00" * 10, LinkType.IEEE802_11)
    assert short["status"] == S.MALFORMED and short["weird"] == Weird.truncated_link_header
    bad_rt = one(decoder, struct.pack("<BBH", 0, 0, 500) + b"\x00" * 20, 127)
    assert bad_rt["status"] == S.MALFORMED


def test_fddi_atm_and_ipnet(decoder: Decoder) -> None:
    """FDDI (frame control, two addresses, LLC/SNAP), LLC/SNAP over ATM, Solaris ipnet (a
    24-byte header naming the address family); another LLC is not IP, a cut header a
    truncated link header."""
    fddi = b"\x50" + MAC_B + MAC_A
    assert_tcp_v4(one(decoder, fddi + SNAP + TCP4, LinkType.FDDI), 21, 5)
    assert one(decoder, fddi + SNAP + TCP4, LinkType.FDDI)["src_mac"] == 0  # (as Zeek: none)
    assert one(decoder, fddi + b"\x42\x42\x03" + bytes(40), LinkType.FDDI)["status"] == S.NOT_IP
    cut = one(decoder, fddi + SNAP[:5], LinkType.FDDI)
    assert cut["status"] == S.MALFORMED and cut["weird"] == Weird.truncated_link_header
    assert_tcp_v4(one(decoder, SNAP + TCP4, LinkType.ATM_RFC1483), 8, 5)
    ipnet = struct.pack("!BBHIIIII", 2, 2, 0, len(TCP4), 1, 0, 0, 0)
    assert_tcp_v4(one(decoder, ipnet + TCP4, LinkType.IPNET), 24, 5)
    other = struct.pack("!BBHIIIII", 2, 7, 0, len(TCP4), 1, 0, 0, 0)
    assert one(decoder, other + TCP4, LinkType.IPNET)["status"] == S.NOT_IP
    assert one(decoder, ipnet[:20], LinkType.IPNET)["status"] == S.MALFORMED


def test_ppi_and_pktap_wrap_another_link_type(decoder: Decoder) -> None:
    """PPI (version 0, length, link type) and Apple's PKTAP (length, record type 1, link
    type), little-endian: the packet inside is read as its link type says."""
    ppi = struct.pack("<BBHI", 0, 0, 12, LinkType.IEEE802_11) + bytes(4)
    row = one(decoder, ppi + wifi(0x08, 0x01, SNAP + TCP4), LinkType.PPI)
    assert_tcp_v4(row, 12 + 24 + 8, 5)
    assert row["src_mac"] == 0x020000000022
    for lt in (LinkType.PKTAP, LinkType.PKTAP_DARWIN):
        pktap = struct.pack("<III", 108, 1, LinkType.ETHERNET) + bytes(96)
        row = one(decoder, pktap + eth(TCP4), lt)
        assert_tcp_v4(row, 108 + 14, 5)
        assert (row["src_mac"], row["dst_mac"]) == (MA, MB)
        raw = one(decoder, struct.pack("<III", 12, 1, LinkType.RAW) + TCP4, lt)
        assert_tcp_v4(raw, 12, 5)
    for bad in (struct.pack("<III", 108, 2, 1) + bytes(96) + eth(TCP4),  # not a packet
                struct.pack("<III", 500, 1, 1) + bytes(96) + eth(TCP4),  # past the record
                struct.pack("<II", 12, 1)):  # cut
        row = one(decoder, bad, LinkType.PKTAP)
        assert row["status"] == S.MALFORMED and row["weird"] == Weird.truncated_link_header
    assert one(decoder, struct.pack("<BBHI", 1, 0, 8, 1) + eth(TCP4), LinkType.PPI)[
        "status"] == S.MALFORMED  # (version 1: not one we read)
    nested = struct.pack("<III", 20, 1, LinkType.PPI) + struct.pack("<BBHI", 0, 0, 8, 1)
    row = one(decoder, nested + eth(TCP4), LinkType.PKTAP)
    assert row["status"] == S.UNKNOWN_LINK  # (one wrapper, not two)


def test_ethernet_with_a_switch_tag(decoder: Decoder) -> None:
    """Broadcom and Marvell DSA/EDSA tags between the source MAC and the ethertype, a
    Broadcom tag before the Ethernet header (a switch's CPU port, Linux DSA)."""
    for lt, tag in ((LinkType.DSA_TAG_BRCM, 4), (LinkType.DSA_TAG_DSA, 4),
                    (LinkType.DSA_TAG_EDSA, 8)):
        frame = MAC_B + MAC_A + bytes(range(1, tag + 1)) + b"\x08\x00" + TCP4
        row = one(decoder, frame, lt)
        assert_tcp_v4(row, 14 + tag, 5)
        assert (row["src_mac"], row["dst_mac"]) == (MA, MB)
        cut = one(decoder, frame[: 13 + tag], lt)
        assert cut["status"] == S.MALFORMED and cut["weird"] == Weird.truncated_link_header
    row = one(decoder, b"\x00\x00\x20\x05" + eth(TCP4), LinkType.DSA_TAG_BRCM_PREPEND)
    assert_tcp_v4(row, 4 + 14, 5)
    assert (row["src_mac"], row["dst_mac"]) == (MA, MB)
    assert one(decoder, b"\x00\x00", LinkType.DSA_TAG_BRCM_PREPEND)["status"] == S.MALFORMED


def test_arcnet(decoder: Decoder) -> None:
    """Linux ARCnet: RFC 1051 ids (240 IP) start the payload; RFC 1201 ones (212 IP) carry
    a split flag and a sequence number: unsplit or a first piece is read, a later piece is
    not IP."""
    assert_tcp_v4(one(decoder, b"\xbe\x50\xab\x08\xf0" + TCP4, LinkType.ARCNET_LINUX), 5, 5)
    for flag in (0, 3):
        frame = b"\xbe\x50\xa8\xe7\xd4" + bytes([flag]) + b"\x01\x66" + TCP4
        assert_tcp_v4(one(decoder, frame, LinkType.ARCNET_LINUX), 8, 5)
    for frame in (b"\xbe\x50\xa8\xe7\xd4\x04\x01\x66" + TCP4,  # a later piece (bytes
                  # that only look like an IP header), an exception packet
                  b"\xbe\x50\xa8\xe7\xd4\xff\xff\xff" + TCP4,
                  b"\xbe\x50\xa8\xe7\xcd" + bytes(20)):  # (BACnet)
        assert one(decoder, frame, LinkType.ARCNET_LINUX)["status"] == S.NOT_IP
    assert one(decoder, b"\xbe\x50\xa8\xe7\xd4\x00", LinkType.ARCNET_LINUX)[
        "status"] == S.MALFORMED


def test_unknown_link_type_counted() -> None:
    dec = Decoder(8)
    pk = dec.decode(raw_batch([TCP4, TCP4], [147, 1]))
    assert pk.status[0] == S.UNKNOWN_LINK and pk.weird[0] == Weird.unknown_link_type
    assert pk.payload_len[0] == 0 and pk.l3_off[0] == -1
    c = dec.counters
    assert c["linktype_147"] == 1 and c["linktype_ethernet"] == 1 and c["unknown_link"] == 1


# ---- L2 encapsulations --------------------------------------------------------------------
def test_vlan_and_qinq(decoder: Decoder) -> None:
    row = one(decoder, eth(vlan(100, 0x0800, TCP4), 0x8100), 1)
    assert_tcp_v4(row, 18, 5)
    assert (row["vlan"], row["vlan_inner"]) == (100, 0)
    row = one(decoder, eth(vlan(10, 0x8100, vlan(20, 0x0800, TCP4)), 0x88A8), 1)
    assert_tcp_v4(row, 22, 5)
    assert (row["vlan"], row["vlan_inner"]) == (10, 20)
    row = one(decoder, eth(vlan(7, 0x0800, TCP4), 0x9100), 1)
    assert row["vlan"] == 7


def test_mpls_stack(decoder: Decoder) -> None:
    stack = struct.pack("!II", (1000 << 12) | 64, (2000 << 12) | 0x100 | 64)
    row = one(decoder, eth(stack + TCP4, 0x8847), 1)
    assert_tcp_v4(row, 22, 5)
    assert row["mpls_label"] == 1001
    row = one(decoder, eth(stack + ipv6(tcp()), 0x8848), 1)
    assert row["status"] == S.OK and row["ip_ver"] == 6
    row = one(decoder, eth(stack + b"\x00" * 30, 0x8847), 1)  # pseudowire: not decoded
    assert row["status"] == S.NOT_IP
    row = one(decoder, eth(stack[:4] + stack[:4], 0x8847), 1)  # no bottom of stack
    assert row["status"] == S.MALFORMED


def test_pppoe_session(decoder: Decoder) -> None:
    pppoe = struct.pack("!BBHHH", 0x11, 0, 0x2A, len(TCP4) + 2, 0x0021)
    row = one(decoder, eth(pppoe + TCP4, 0x8864), 1)
    assert_tcp_v4(row, 22, 5)
    assert (row["tunnel"], row["tunnel_id"]) == (Tunnel.PPPOE, 0x2A)
    lcp = struct.pack("!BBHHH", 0x11, 0, 0x2A, 6, 0xC021) + b"\x01\x01\x00\x04"
    assert one(decoder, eth(lcp, 0x8864), 1)["status"] == S.NOT_IP
    assert one(decoder, eth(b"\x11\x09\x00\x00\x00\x00", 0x8863), 1)["status"] == S.NOT_IP


def test_arp(decoder: Decoder) -> None:
    body = struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1) + MAC_A + v4("10.1.1.1")
    body += b"\x00" * 6 + v4("10.1.1.2")
    row = one(decoder, eth(body, 0x0806, dst=b"\xff" * 6), 1)
    assert row["status"] == S.ARP
    assert row["src_lo"] == mapped("10.1.1.1") and row["dst_lo"] == mapped("10.1.1.2")
    assert row["src_mac"] == MA and row["dst_mac"] == 0  # from the ARP body
    row = one(decoder, eth(body[:20], 0x0806), 1)
    assert row["status"] == S.MALFORMED and row["weird"] == Weird.truncated_arp


def test_llc_snap_and_other_ethertypes(decoder: Decoder) -> None:
    snap = b"\xaa\xaa\x03\x00\x00\x00\x08\x00"
    assert_tcp_v4(one(decoder, eth(snap + TCP4, len(snap + TCP4)), 1), 22, 5)
    stp = b"\x42\x42\x03" + b"\x00" * 35
    assert one(decoder, eth(stp, len(stp)), 1)["status"] == S.NOT_IP
    assert one(decoder, eth(b"\x00" * 46, 0x88CC), 1)["status"] == S.NOT_IP  # LLDP
    short = one(decoder, b"\x00" * 10, 1)
    assert short["status"] == S.MALFORMED and short["weird"] == Weird.truncated_link_header


# ---- IP ---------------------------------------------------------------------------------
def test_ipv4_options_and_lengths(decoder: Decoder) -> None:
    row = one(decoder, eth(ipv4(tcp(payload=PAYLOAD), options=b"\x01\x01\x01\x00")), 1)
    assert row["status"] == S.OK and row["payload_off"] == GAP + 14 + 24 + 20
    bad_ihl = one(decoder, eth(ipv4(tcp(), ihl=4)), 1)
    assert bad_ihl["status"] == S.MALFORMED and bad_ihl["weird"] == Weird.bad_ip_header_length
    small = one(decoder, eth(ipv4(tcp(), total=12)), 1)
    assert small["status"] == S.MALFORMED and small["weird"] == Weird.ip_total_length_too_small
    # 0: TCP segmentation offload seen on the sender (Zeek's kerberos_tso.pcapng): the
    # captured length stands for it
    tso = one(decoder, eth(ipv4(tcp(payload=PAYLOAD), total=0)), 1)
    assert tso["status"] == S.OK and tso["weird"] == 0
    assert tso["ip_len"] == 20 + 20 + len(PAYLOAD) and tso["payload_len"] == len(PAYLOAD)
    # total length beyond capture: decode what is there, note the weird
    long = one(decoder, eth(ipv4(tcp(payload=PAYLOAD), total=1500)), 1)
    assert long["status"] == S.OK and long["weird"] == Weird.ip_total_length_exceeds_capture
    assert long["ip_len"] == 1500 and long["payload_len"] == 5
    cut = one(decoder, eth(ipv4(tcp())[:15]), 1)
    assert cut["status"] == S.MALFORMED and cut["weird"] == Weird.truncated_ip_header
    v5 = one(decoder, b"\x55" + b"\x00" * 30, LinkType.RAW)
    assert v5["status"] == S.MALFORMED and v5["weird"] == Weird.bad_ip_version


def test_ipv6_zero_payload_length(decoder: Decoder) -> None:
    """0: a jumbogram (RFC 2675, its length in a Hop-by-Hop option) or a segmentation
    offload / BIG TCP packet captured on its sender: the captured length stands for it (TCP,
    UDP, Hop-by-Hop; not an Ethernet frame's padding after an empty packet)."""
    tso = one(decoder, eth(ipv6(tcp(payload=PAYLOAD), plen=0), 0x86DD), 1)
    assert tso["status"] == S.OK and tso["weird"] == 0 and tso["proto"] == 6
    assert tso["ip_len"] == 40 + 20 + len(PAYLOAD) and tso["payload_len"] == len(PAYLOAD)
    jumbo_opt = struct.pack("!BBBBI", 6, 0, 0xC2, 4, 40 + 20 + len(PAYLOAD))  # HBH: Jumbo
    jumbo = one(decoder, ipv6(jumbo_opt + tcp(payload=PAYLOAD), nh=0, plen=0), LinkType.RAW)
    assert jumbo["status"] == S.OK and jumbo["proto"] == 6
    assert jumbo["payload_len"] == len(PAYLOAD)
    for nh in (59, 99, 6):  # nothing follows; an Ethernet frame's padding is not payload
        nothing = one(decoder, eth(ipv6(b"\x00" * 6, nh=nh, plen=0), 0x86DD), 1)
        assert nothing["ip_len"] == 40 and nothing["payload_len"] == 0
    # a UDP jumbogram: its UDP length 0 too (RFC 2675 section 4), no weird
    body = b"\x01" * 70_000
    hbh = struct.pack("!BBBBI", 17, 0, 0xC2, 4, 8 + 8 + len(body))
    udp_jumbo = one(decoder, ipv6(hbh + udp(5000, 6000, body, length=0), nh=0, plen=0),
                    LinkType.RAW)
    assert (udp_jumbo["status"], udp_jumbo["weird"], udp_jumbo["proto"]) == (S.OK, 0, 17)
    assert udp_jumbo["payload_len"] == len(body)


def test_ipv6_extension_headers(decoder: Decoder) -> None:
    chain = ext(43, 0) + struct.pack("!BB", 60, 0) + b"\x00" * 14 + ext(6, 0)
    row = one(decoder, ipv6(chain + tcp(payload=PAYLOAD), nh=0), LinkType.RAW)
    assert row["status"] == S.OK and row["proto"] == 6 and row["sport"] == 1234
    assert row["payload_off"] == GAP + 40 + 8 + 16 + 8 + 20 and row["payload_len"] == 5
    ah = struct.pack("!BBHII", 17, 4, 0, 1, 1) + b"\x00" * 12  # (4+2)*4 = 24 bytes
    row = one(decoder, ipv6(ah + udp(1, 2, b"ab"), nh=51), LinkType.RAW)
    assert row["proto"] == 17 and row["payload_len"] == 2
    esp = one(decoder, ipv6(ext(50, 0) + b"\x00" * 16, nh=60), LinkType.RAW)
    assert esp["status"] == S.OK and esp["proto"] == 50 and esp["sport"] == 0
    bad = one(decoder, ipv6(struct.pack("!BB", 6, 200) + b"\x00" * 6, nh=0), LinkType.RAW)
    assert bad["status"] == S.MALFORMED and bad["weird"] == Weird.bad_ipv6_extension_header
    mobility = one(decoder, ipv6(ext(59, 0), nh=135), LinkType.RAW)
    assert mobility["status"] == S.OK and mobility["proto"] == 59


def test_fragments(decoder: Decoder) -> None:
    first = one(decoder, eth(ipv4(udp(1, 2, b"x" * 16), proto=17, frag=0x2000, ident=77)), 1)
    assert first["status"] == S.FRAGMENT
    assert (first["frag_id"], first["frag_off"], first["frag_more"]) == (77, 0, 1)
    assert first["proto"] == 17 and first["payload_off"] == GAP + 34 and first["payload_len"] == 24
    nxt = one(decoder, eth(ipv4(b"y" * 16, proto=17, frag=3, ident=77)), 1)
    assert nxt["status"] == S.FRAGMENT and nxt["frag_off"] == 24 and nxt["frag_more"] == 0
    frag6 = struct.pack("!BBHI", 17, 0, (2 << 3) | 1, 0xDEADBEEF)
    row = one(decoder, ipv6(frag6 + b"z" * 16, nh=44), LinkType.RAW)
    assert row["status"] == S.FRAGMENT and row["proto"] == 17
    assert (row["frag_id"], row["frag_off"], row["frag_more"]) == (0xDEADBEEF, 16, 1)
    assert row["payload_off"] == GAP + 48 and row["payload_len"] == 16
    atomic = struct.pack("!BBHI", 17, 0, 0, 5)
    row = one(decoder, ipv6(atomic + udp(7, 8, b"q"), nh=44), LinkType.RAW)
    assert row["status"] == S.OK and row["sport"] == 7


# ---- transport -----------------------------------------------------------------------------
def test_transports(decoder: Decoder) -> None:
    icmp = one(decoder, eth(ipv4(struct.pack("!BBHHH", 8, 0, 0, 1, 1) + b"ping", proto=1)), 1)
    assert (icmp["icmp_type"], icmp["icmp_code"], icmp["sport"]) == (8, 0, 0)
    assert icmp["payload_len"] == 4
    icmp6 = one(decoder, ipv6(struct.pack("!BBHI", 135, 0, 0, 0) + v6x(), nh=58), LinkType.RAW)
    assert (icmp6["icmp_type"], icmp6["proto"]) == (135, 58)
    sctp = one(
        decoder, eth(ipv4(struct.pack("!HHII", 36412, 2905, 9, 0) + b"c" * 16, proto=132)), 1
    )
    assert (sctp["sport"], sctp["dport"], sctp["payload_len"]) == (36412, 2905, 16)
    ospf = one(decoder, eth(ipv4(b"o" * 24, proto=89)), 1)
    assert ospf["status"] == S.OK and ospf["sport"] == 0 and ospf["payload_len"] == 24
    u = one(decoder, eth(ipv4(udp(53, 999, b"dns!"), proto=17)), 1)
    assert (u["sport"], u["dport"], u["payload_len"]) == (53, 999, 4)


def v6x() -> bytes:
    return b"\x20\x01" + b"\x00" * 14


def test_transport_errors(decoder: Decoder) -> None:
    r = one(decoder, eth(ipv4(tcp(doff=4))), 1)
    assert r["status"] == S.MALFORMED and r["weird"] == Weird.bad_tcp_header_length
    r = one(decoder, eth(ipv4(tcp(doff=15))), 1)  # beyond the IP datagram
    assert r["status"] == S.MALFORMED and r["weird"] == Weird.bad_tcp_header_length
    r = one(decoder, eth(ipv4(tcp()[:12], proto=6)), 1)
    assert r["status"] == S.MALFORMED and r["weird"] == Weird.truncated_tcp_header
    # a UDP length the datagram contradicts: a weird, the packet kept (as Zeek), its payload
    # the IP datagram's
    for length in (60, 3, 0):
        r = one(decoder, eth(ipv4(udp(1, 2, b"abc", length=length), proto=17)), 1)
        assert r["status"] == S.OK and r["weird"] == Weird.bad_udp_length
        assert (r["sport"], r["dport"], r["payload_len"]) == (1, 2, 3)
    r = one(decoder, eth(ipv4(udp(1, 2, b"abcdef", length=12), proto=17)), 1)  # (shorter: kept)
    assert r["status"] == S.OK and r["weird"] == 0 and r["payload_len"] == 4
    r = one(decoder, eth(ipv4(b"\x00" * 4, proto=17)), 1)
    assert r["weird"] == Weird.truncated_udp_header
    r = one(decoder, eth(ipv4(b"\x08", proto=1)), 1)
    assert r["weird"] == Weird.truncated_icmp_header
    r = one(decoder, eth(ipv4(b"\x00" * 8, proto=132)), 1)
    assert r["weird"] == Weird.truncated_sctp_header
    # TCP options cut by the snap length: ports kept, status OK, weird noted
    opts = tcp(options=b"\x02\x04\x05\xb4" * 3)
    r = one(decoder, eth(ipv4(opts, total=20 + len(opts)))[: 14 + 20 + 24], 1)
    assert r["status"] == S.OK and r["weird"] == Weird.ip_total_length_exceeds_capture
    assert r["sport"] == 1234 and r["payload_len"] == 0


def test_udp_payload_clipped_to_udp_and_ip_length(decoder: Decoder) -> None:
    dgram = udp(5, 6, b"abcdef", length=8 + 4)  # UDP says 4 payload bytes out of 6
    r = one(decoder, eth(ipv4(dgram, proto=17)) + b"\x00" * 10, 1)
    assert r["payload_len"] == 4


# ---- tunnels ---------------------------------------------------------------------------------
def outer4(inner: bytes, proto: int) -> bytes:
    return eth(ipv4(inner, proto=proto, src="192.0.2.1", dst="192.0.2.2"))


def assert_outer(row: dict[str, int], tunnel: Tunnel, tid: int) -> None:
    assert (row["tunnel"], row["tunnel_id"]) == (tunnel, tid)
    assert row["outer_src_lo"] == mapped("192.0.2.1")
    assert row["outer_dst_lo"] == mapped("192.0.2.2")


def test_gre_variants(decoder: Decoder) -> None:
    plain = struct.pack("!HH", 0, 0x0800)
    row = one(decoder, outer4(plain + TCP4, 47), 1)
    assert_tcp_v4(row, 14 + 20 + 4, 5)
    assert_outer(row, Tunnel.GRE, 0)
    full = struct.pack("!HHHHII", 0xB000, 0x0800, 0, 0, 0xCAFE, 9)  # checksum, key, sequence
    row = one(decoder, outer4(full + TCP4, 47), 1)
    assert_tcp_v4(row, 14 + 20 + 16, 5)
    assert_outer(row, Tunnel.GRE, 0xCAFE)
    teb = struct.pack("!HHI", 0x2000, 0x6558, 5) + eth(TCP4, src=b"\x02" * 6)
    row = one(decoder, outer4(teb, 47), 1)
    assert_tcp_v4(row, 14 + 20 + 8 + 14, 5)
    assert row["src_mac"] == MA  # the outermost Ethernet keeps the MAC columns
    v6 = one(decoder, outer4(struct.pack("!HH", 0, 0x86DD) + ipv6(tcp()), 47), 1)
    assert v6["ip_ver"] == 6 and v6["tunnel"] == Tunnel.GRE
    pptp = struct.pack("!HHHH", 0x3001, 0x880B, 40, 7) + struct.pack("!I", 1) + b"\xff\x03\x00\x21"
    row = one(decoder, outer4(pptp + TCP4, 47), 1)
    assert_tcp_v4(row, 14 + 20 + 12 + 4, 5)
    assert_outer(row, Tunnel.GRE, 7)


def test_gre_aruba_80211_and_amsdu(decoder: Decoder) -> None:
    """Aruba access points send their clients' 802.11 frames to the controller in GRE of
    protocol type 0x82xx; a QoS data frame whose QoS control has A-MSDU present (bit 7)
    holds subframes of destination, source and length before each LLC/SNAP packet: the
    first is decoded (a row is one packet)."""
    gre = struct.pack("!HH", 0, 0x8240)
    row = one(decoder, outer4(gre + wifi(0x08, 0x02, SNAP + TCP4), 47), 1)
    assert_tcp_v4(row, 14 + 20 + 4 + 24 + 8, 5)
    assert_outer(row, Tunnel.GRE, 0)
    frame = bytearray(wifi(0x88, 0x02, b"", qos=True))
    frame[24] = 0x80  # A-MSDU present
    sub = MAC_B + MAC_A + struct.pack("!H", 8 + len(TCP4)) + SNAP + TCP4
    row = one(decoder, outer4(gre + bytes(frame) + sub + b"\x00\x00" + sub, 47), 1)
    assert_tcp_v4(row, 14 + 20 + 4 + 26 + 14 + 8, 5)
    frame[24] = 0  # the same bytes without the bit: no LLC/SNAP where the body starts
    row = one(decoder, outer4(gre + bytes(frame) + sub, 47), 1)
    assert row["status"] == S.NOT_IP


def test_erspan(decoder: Decoder) -> None:
    inner = eth(TCP4)
    t2 = struct.pack("!HHI", 0x1000, 0x88BE, 1) + struct.pack("!HHI", 0x1000, 0x0123, 0) + inner
    row = one(decoder, outer4(t2, 47), 1)
    assert_tcp_v4(row, 14 + 20 + 8 + 8 + 14, 5)
    assert_outer(row, Tunnel.ERSPAN, 0x123)
    t1 = struct.pack("!HH", 0, 0x88BE) + inner
    row = one(decoder, outer4(t1, 47), 1)
    assert_tcp_v4(row, 14 + 20 + 4 + 14, 5)
    assert_outer(row, Tunnel.ERSPAN, 0)
    t3 = struct.pack("!HHI", 0x1000, 0x22EB, 1) + struct.pack("!HHIHBB", 0x2000, 0x0042, 0, 0, 0, 1)
    t3 += b"\x00" * 8 + inner  # O bit set: 8-byte platform specific subheader
    row = one(decoder, outer4(t3, 47), 1)
    assert_tcp_v4(row, 14 + 20 + 8 + 20 + 14, 5)
    assert_outer(row, Tunnel.ERSPAN, 0x42)


def test_vxlan_geneve(decoder: Decoder) -> None:
    vx = udp(40000, 4789, struct.pack("!II", 0x0800_0000, 0x00ABCD00) + eth(TCP4))
    row = one(decoder, outer4(vx, 17), 1)
    assert_tcp_v4(row, 14 + 20 + 8 + 8 + 14, 5)
    assert_outer(row, Tunnel.VXLAN, 0xABCD)
    gen = struct.pack("!BBHI", 2, 0, 0x6558, 0x00001200) + b"\x00" * 8 + eth(TCP4)
    row = one(decoder, outer4(udp(40000, 6081, gen), 17), 1)
    assert_tcp_v4(row, 14 + 20 + 8 + 16 + 14, 5)
    assert_outer(row, Tunnel.GENEVE, 0x12)
    gen_ip = struct.pack("!BBHI", 0, 0, 0x0800, 0x00000100) + TCP4
    row = one(decoder, outer4(udp(40000, 6081, gen_ip), 17), 1)
    assert_tcp_v4(row, 14 + 20 + 8 + 8, 5)
    arp = struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1) + MAC_A + v4("10.9.9.9") + b"\x00" * 10
    row = one(
        decoder,
        outer4(udp(1, 4789, struct.pack("!II", 0x0800_0000, 0x100) + eth(arp, 0x0806)), 17),
        1,
    )
    assert row["status"] == S.ARP and row["tunnel"] == Tunnel.VXLAN


def test_vxlan_on_linux_port(decoder: Decoder) -> None:
    """UDP 8472 (Linux's default VXLAN port: flannel, OTV): VXLAN only with the header as RFC
    7348 sets it (flags 0x08, reserved fields 0) and a frame inside; else plain UDP."""
    header = struct.pack("!II", 0x0800_0000, 0x00000100)
    row = one(decoder, outer4(udp(40000, 8472, header + eth(TCP4)), 17), 1)
    assert_tcp_v4(row, 14 + 20 + 8 + 8 + 14, 5)
    assert_outer(row, Tunnel.VXLAN, 1)
    for other in (struct.pack("!II", 0x0C00_0000, 0x100) + eth(TCP4),  # another flag
                  struct.pack("!II", 0x0800_0000, 0x101) + eth(TCP4),  # reserved byte
                  header + b"\x00" * 40):  # no frame
        row = one(decoder, outer4(udp(40000, 8472, other), 17), 1)
        assert (row["proto"], row["dport"], row["tunnel"]) == (17, 8472, 0)


def test_gtpu(decoder: Decoder) -> None:
    g = struct.pack("!BBHI", 0x30, 0xFF, len(TCP4), 0x01020304) + TCP4
    row = one(decoder, outer4(udp(2152, 2152, g), 17), 1)
    assert_tcp_v4(row, 14 + 20 + 8 + 8, 5)
    assert_outer(row, Tunnel.GTPU, 0x01020304)
    # E flag: sequence/N-PDU/next type + one PDU session container extension (4 bytes)
    g = struct.pack("!BBHIHBB", 0x34, 0xFF, 0, 9, 0, 0, 0x85) + b"\x01\x00\x01\x00" + TCP4
    row = one(decoder, outer4(udp(2152, 2152, g), 17), 1)
    assert_tcp_v4(row, 14 + 20 + 8 + 16, 5)
    echo = struct.pack("!BBHIHBB", 0x32, 1, 4, 0, 1, 0, 0)  # echo request: plain UDP
    row = one(decoder, outer4(udp(2152, 2152, echo), 17), 1)
    assert row["status"] == S.OK and row["tunnel"] == 0 and row["dport"] == 2152
    bad = struct.pack("!BBHIHBB", 0x34, 0xFF, 0, 9, 0, 0, 0x85) + b"\x00\x00"
    row = one(decoder, outer4(udp(2152, 2152, bad), 17), 1)
    assert row["status"] == S.MALFORMED and row["weird"] == Weird.truncated_tunnel_header


def test_ip_in_ip(decoder: Decoder) -> None:
    row = one(decoder, outer4(TCP4, 4), 1)
    assert_tcp_v4(row, 34, 5)
    assert_outer(row, Tunnel.IPIP, 0)
    row = one(decoder, outer4(ipv6(tcp()), 41), 1)  # 6in4
    assert row["ip_ver"] == 6 and row["tunnel"] == Tunnel.IPIP
    row = one(decoder, eth(ipv6(TCP4, nh=4), 0x86DD), 1)  # 4in6
    assert_tcp_v4(row, 54, 5)
    assert row["tunnel"] == Tunnel.IPIP and row["outer_src_lo"] == halves("2001:db8::1")[1]
    row = one(decoder, ipv6(ipv6(tcp(), src="fd00::1"), nh=41), LinkType.RAW)  # 6in6
    assert row["src_lo"] == 1 and row["src_hi"] == 0xFD00 << 48


@pytest.mark.parametrize("inner, nh", [(TCP4, 41), (ipv6(tcp()), 4)])
def test_ip_in_ip_of_another_version(decoder: Decoder, inner: bytes, nh: int) -> None:
    """The protocol number names the inner header's version (4: IPv4, 41: IPv6); a header of
    the other one is damage, not a packet to read by its first nibble (Suricata's
    ``ipv6_in_ipv6_wrong_version``: read as IPv4, such a header had given a made-up
    fragment)."""
    row = one(decoder, eth(ipv6(inner, nh=nh), 0x86DD), 1)
    assert row["status"] == S.MALFORMED and row["weird"] == Weird.bad_ip_version
    assert row["tunnel"] == Tunnel.IPIP and row["src_lo"] == halves("2001:db8::1")[1]


def test_teredo(decoder: Decoder) -> None:
    inner = ipv6(udp(1, 2, b"t"), nh=17)
    origin = b"\x00\x00" + b"\x11" * 6
    row = one(decoder, outer4(udp(3544, 50000, origin + inner), 17), 1)
    assert row["status"] == S.OK and row["ip_ver"] == 6 and row["sport"] == 1
    assert_outer(row, Tunnel.TEREDO, 0)
    auth = b"\x00\x01\x02\x03" + b"ab" + b"xyz" + b"\x00" * 8 + b"\x00"
    row = one(decoder, outer4(udp(50000, 3544, auth + origin + inner), 17), 1)
    assert row["tunnel"] == Tunnel.TEREDO and row["l3_off"] == GAP + 42 + 18 + 8
    # not an IPv6 header: stays plain UDP
    row = one(decoder, outer4(udp(3544, 50000, b"\x45" + b"\x00" * 45), 17), 1)
    assert row["tunnel"] == 0 and row["sport"] == 3544 and row["payload_len"] == 46


def test_tunnel_depth_bounded(decoder: Decoder) -> None:
    pkt = TCP4
    for _ in range(decoder.max_tunnel_depth):
        pkt = ipv4(pkt, proto=4)
    ok = one(decoder, pkt, LinkType.RAW)
    assert ok["status"] == S.OK and ok["tunnel"] == Tunnel.IPIP
    deep = one(decoder, ipv4(pkt, proto=4), LinkType.RAW)
    assert deep["status"] == S.MALFORMED and deep["weird"] == Weird.tunnel_depth_exceeded


# ---- the wrapper -------------------------------------------------------------------------------
def test_decoder_reuses_columns_and_validates() -> None:
    dec = Decoder(4)
    a = dec.decode(raw_batch([eth(TCP4)] * 3, 1))
    assert len(a) == 3 and a.status.base is not None
    b = dec.decode(raw_batch([b"\x00"], 1))
    assert len(b) == 1 and a.status[0] == S.MALFORMED  # same memory, overwritten
    with pytest.raises(ValueError, match="max_batch"):
        dec.decode(raw_batch([eth(TCP4)] * 5, 1))
    assert len(dec.decode(raw_batch([], 1))) == 0
    c = dec.counters
    assert c["ok"] == 3 and c["malformed"] == 1 and c["linktype_ethernet"] == 4


def test_mixed_link_types_in_one_batch(decoder: Decoder) -> None:
    frames = [eth(TCP4), struct.pack("<I", 2) + TCP4, TCP4, b"\xff\x03\x00\x21" + TCP4]
    pk = decoder.decode(raw_batch(frames, [1, 0, 101, 9]))
    assert np.all(pk.status == S.OK) and np.all(pk.sport == 1234)
    assert list(pk.l3_off - pk.payload_off) == [-40] * 4


def test_records_claiming_bytes_beyond_the_buffer_are_clamped() -> None:
    raw = raw_batch([eth(TCP4)], 1)
    raw.caplen = np.array([10_000], dtype=np.uint32)  # longer than the whole buffer
    raw.offset = np.array([len(raw.data) - 20], dtype=np.int64)
    pk = Decoder(2).decode(raw)
    assert pk.status[0] == S.NOT_IP  # 17 bytes left: an Ethernet header with ethertype 0xeeee
    assert pk.payload_off[0] + pk.payload_len[0] <= len(raw.data)


def test_first_fragment_cut_by_snaplen_is_a_packet(decoder: Decoder) -> None:
    """Its missing bytes were never captured, so it can never be reassembled: decoded (ports
    and all) and counted in its flow, with the capture-length weird; later fragments wait."""
    whole = eth(ipv4(udp(1, 2, b"x" * 600), proto=17, frag=0x2000, ident=78))
    row = one(decoder, whole[:14 + 20 + 8 + 100], 1)
    assert row["status"] == S.OK and (row["sport"], row["dport"]) == (1, 2)
    assert row["weird"] == Weird.ip_total_length_exceeds_capture
    assert row["payload_len"] == 100
    later = one(decoder, eth(ipv4(b"y" * 16, proto=17, frag=3, ident=78))[:40], 1)
    assert later["status"] == S.FRAGMENT
    frag6 = struct.pack("!BBHI", 17, 0, 1, 9)  # offset 0, more fragments
    row6 = one(decoder, ipv6(frag6 + udp(5, 6, b"z" * 300), nh=44)[:40 + 8 + 8 + 10], LinkType.RAW)
    assert row6["status"] == S.OK and (row6["sport"], row6["dport"]) == (5, 6)


def test_cisco_fabricpath(decoder: Decoder) -> None:
    inner = eth(TCP4)
    outer = MAC_B + MAC_A + b"\x89\x03" + b"\x00\x3f" + inner
    row = one(decoder, outer, 1)
    assert_tcp_v4(row, 14 + 2 + 14, len(PAYLOAD))
    assert row["dst_mac"] == MB and row["src_mac"] == MA  # the outer frame's addresses


def test_pbb_customer_frame_in_a_service(decoder: Decoder) -> None:
    """IEEE 802.1ah: a B-VLAN, the I-TAG (I-SID 0x1ABCDE, a tunnel id: two services' flows
    stay apart), then the customer's own frame (its C-VLAN the inner VLAN)."""
    itag = struct.pack("!I", 0x1ABCDE)
    customer = eth(vlan(30, 0x0800, TCP4), 0x8100, src=b"\x02" * 6)
    row = one(decoder, eth(vlan(20, 0x88E7, itag + customer), 0x88A8), 1)
    assert_tcp_v4(row, 14 + 4 + 4 + 14 + 4, len(PAYLOAD))
    assert (row["tunnel"], row["tunnel_id"]) == (Tunnel.PBB, 0x1ABCDE)
    assert (row["vlan"], row["vlan_inner"]) == (20, 30)
    assert row["src_mac"] == MA  # the backbone frame's, as for every tunnel
    cut = one(decoder, eth(b"\x00\x01", 0x88E7), 1)
    assert cut["status"] == S.MALFORMED and cut["weird"] == Weird.truncated_tunnel_header


def test_vntag(decoder: Decoder) -> None:
    row = one(decoder, eth(b"\x80\x01\x00\x02" + b"\x08\x00" + TCP4, 0x8926), 1)
    assert_tcp_v4(row, 14 + 6, len(PAYLOAD))
    assert row["tunnel"] == 0
    tagged = one(decoder, eth(b"\x00" * 4 + b"\x81\x00" + vlan(11, 0x0800, TCP4), 0x8926), 1)
    assert_tcp_v4(tagged, 14 + 6 + 4, len(PAYLOAD))
    assert tagged["vlan"] == 11
    cut = one(decoder, eth(b"\x00" * 5, 0x8926), 1)
    assert cut["status"] == S.MALFORMED and cut["weird"] == Weird.truncated_link_header


def test_cisco_metadata(decoder: Decoder) -> None:
    """TrustSec's inline security group tag (Cisco MetaData, 0x8909): on Ethernet the tag
    then the frame's ethertype; in GRE (tcpdump's ``various_gre.pcap``) the ethertype first."""
    cmd = b"\x01\x01\x00\x01\x00\x2a"  # version 1, length 1, option SGT, SGT 42
    row = one(decoder, eth(cmd + b"\x08\x00" + TCP4, 0x8909), 1)
    assert_tcp_v4(row, 14 + 8, len(PAYLOAD))
    gre = struct.pack("!HH", 0, 0x8909) + b"\x08\x00" + cmd
    row = one(decoder, outer4(gre + TCP4, 47), 1)
    assert_tcp_v4(row, 14 + 20 + 4 + 8, len(PAYLOAD))
    assert_outer(row, Tunnel.GRE, 0)
    cut = one(decoder, outer4(gre[:9], 47), 1)
    assert cut["status"] == S.MALFORMED and cut["weird"] == Weird.truncated_tunnel_header
    assert cut["tunnel"] == 0
    cut = one(decoder, eth(cmd, 0x8909), 1)
    assert cut["status"] == S.MALFORMED and cut["weird"] == Weird.truncated_link_header


def test_gre_wccp_redirect(decoder: Decoder) -> None:
    """WCCP (GRE protocol type 0x883E): version 2's 4-byte redirect header, then the
    client's packet; version 1 puts the packet at once."""
    gre = struct.pack("!HH", 0, 0x883E)
    row = one(decoder, outer4(gre + b"\x05\x59\x00\x48" + TCP4, 47), 1)
    assert_tcp_v4(row, 14 + 20 + 4 + 4, len(PAYLOAD))
    assert_outer(row, Tunnel.GRE, 0)
    row = one(decoder, outer4(gre + TCP4, 47), 1)
    assert_tcp_v4(row, 14 + 20 + 4, len(PAYLOAD))


@pytest.mark.parametrize("tci, status", [(0x20, S.OK), (0x00, S.OK), (0x2C, S.NOT_IP),
                                         (0x24, S.NOT_IP)])
def test_macsec(decoder: Decoder, tci: int, status: int) -> None:
    """IEEE 802.1AE: the SecTAG (its secure channel id there when the SC bit is), then, in a
    frame with integrity only, the ethertype and the packet in clear, the ICV trailing; an
    encrypted (E) or modified (C) frame is not read."""
    sectag = bytes([tci, 0]) + struct.pack("!I", 68) + (MAC_A + b"\x00\x01" if tci & 0x20 else b"")
    row = one(decoder, eth(sectag + b"\x08\x00" + TCP4 + b"\xee" * 16, 0x88E5), 1)
    assert row["status"] == status
    if status == S.OK:
        assert_tcp_v4(row, 14 + len(sectag) + 2, len(PAYLOAD))
    cut = one(decoder, eth(sectag[:-1] if tci & 0x20 else sectag[:5], 0x88E5), 1)
    assert cut["status"] == S.MALFORMED and cut["weird"] == Weird.truncated_link_header


def nsh(next_proto: int, md_type: int = 1, words: int = 6, version: int = 0) -> bytes:
    """A Network Service Header (RFC 8300 section 2.2): base header, service path (SPI 42,
    SI 255), then the context headers its length in words leaves (MD type 1: four words)."""
    base = struct.pack("!BBBB", version << 6 | 0x0F, 0xC0 | words, md_type, next_proto)
    return base + struct.pack("!I", 42 << 8 | 255) + b"\x00" * (4 * words - 8)


def test_network_service_header(decoder: Decoder) -> None:
    row = one(decoder, eth(nsh(1) + TCP4, 0x894F), 1)
    assert_tcp_v4(row, 14 + 24, len(PAYLOAD))
    row = one(decoder, eth(nsh(3, md_type=2, words=2) + eth(TCP4, src=b"\x02" * 6), 0x894F), 1)
    assert_tcp_v4(row, 14 + 8 + 14, len(PAYLOAD))
    assert row["src_mac"] == MA
    row = one(decoder, eth(nsh(4) + nsh(2, words=2) + ipv6(tcp()), 0x894F), 1)  # NSH in NSH
    assert row["status"] == S.OK and row["ip_ver"] == 6
    label = struct.pack("!I", 77 << 12 | 0x100 | 64)
    row = one(decoder, eth(nsh(5) + label + TCP4, 0x894F), 1)  # MPLS
    assert_tcp_v4(row, 14 + 24 + 4, len(PAYLOAD))
    assert row["mpls_label"] == 78
    for bad in (nsh(1, version=1), nsh(1, words=1), nsh(0x7F)):
        assert one(decoder, eth(bad + TCP4, 0x894F), 1)["status"] == S.NOT_IP
    cut = one(decoder, eth(nsh(1)[:20], 0x894F), 1)  # shorter than its length says
    assert cut["status"] == S.MALFORMED and cut["weird"] == Weird.truncated_link_header


def capwap(body: bytes, hlen_words: int = 2, rid: int = 1, wbid: int = 1, t: bool = True,
           flags: int = 0, extra: bytes = b"") -> bytes:
    """CAPWAP header (RFC 5415 section 4.3): preamble 0, HLEN/RID/WBID/T, F L W M K flags."""
    word = (hlen_words << 19) | (rid << 14) | (wbid << 9) | (int(t) << 8) | flags
    return b"\x00" + word.to_bytes(3, "big") + b"\x00" * 4 + extra + body


def test_capwap_data_channel(decoder: Decoder) -> None:
    base = 14 + 20 + 8
    # T set, WBID 1: an 802.11 data frame (to DS), LLC/SNAP -> IPv4; the AP sends to 5247
    row = one(decoder, outer4(udp(12345, 5247, capwap(wifi(0x08, 0x01, SNAP + TCP4))), 17), 1)
    assert_tcp_v4(row, base + 8 + 24 + 8, len(PAYLOAD))
    assert_outer(row, Tunnel.CAPWAP, 0)
    assert row["dst_mac"] == MB and row["src_mac"] == MA  # outer frame's addresses kept
    # the controller's answer (source port 5247); QoS data from DS; HLEN 4 covers an
    # 8-byte optional wireless-specific information field (W)
    frame = wifi(0x88, 0x02, SNAP + TCP4, qos=True)
    row = one(decoder, outer4(udp(5247, 12345, capwap(frame, 4, flags=0x20, extra=b"\x01" * 8)),
                              17), 1)
    assert_tcp_v4(row, base + 16 + 26 + 8, len(PAYLOAD))
    # Cisco controllers byte-swap the 802.11 frame control field
    swapped = wifi(0x01, 0x08, SNAP + TCP4)
    row = one(decoder, outer4(udp(12345, 5247, capwap(swapped)), 17), 1)
    assert_tcp_v4(row, base + 8 + 24 + 8, len(PAYLOAD))
    # T clear: an IEEE 802.3 frame
    row = one(decoder, outer4(udp(12345, 5247, capwap(eth(TCP4), t=False, wbid=0)), 17), 1)
    assert_tcp_v4(row, base + 8 + 14, len(PAYLOAD))
    assert_outer(row, Tunnel.CAPWAP, 0)


def test_capwap_not_decoded(decoder: Decoder) -> None:
    base = outer4(udp(12345, 5247, capwap(eth(TCP4), t=False)), 17)
    # fragment (F) and keep-alive (K): tunnel recorded, nothing inside decoded
    for flag in (0x80, 0x08):
        row = one(decoder, outer4(udp(12345, 5247, capwap(eth(TCP4), t=False, flags=flag)), 17), 1)
        assert row["status"] == S.NOT_IP and row["tunnel"] == Tunnel.CAPWAP
        assert row["sport"] == 0 and row["payload_len"] == 0
    # 802.11 management frame (probe request), and another wireless binding (WBID 3)
    probe = one(decoder, outer4(udp(12345, 5247, capwap(wifi(0x40, 0, b"\x00" * 8))), 17), 1)
    assert probe["status"] == S.NOT_IP and probe["tunnel"] == Tunnel.CAPWAP
    other = one(decoder, outer4(udp(12345, 5247, capwap(b"\x00" * 40, wbid=3)), 17), 1)
    assert other["status"] == S.NOT_IP and other["tunnel"] == Tunnel.CAPWAP
    # DTLS preamble (type 1) and the control channel (5246) stay plain UDP flows
    dtls = b"\x01" + capwap(eth(TCP4), t=False)[1:]
    for frame in (outer4(udp(12345, 5247, dtls), 17), outer4(udp(5246, 12345, base[42:]), 17)):
        row = one(decoder, frame, 1)
        assert row["status"] == S.OK and row["tunnel"] == 0 and row["proto"] == 17
    # HLEN shorter than the fixed header, or longer than the datagram
    for hw in (1, 9):
        row = one(decoder, outer4(udp(12345, 5247, capwap(eth(TCP4)[:20], hw)), 17), 1)
        assert row["status"] == S.MALFORMED and row["weird"] == Weird.truncated_tunnel_header
    # truncated inner 802.11 header
    row = one(decoder, outer4(udp(12345, 5247, capwap(wifi(0x08, 0x01, b"")[:10])), 17), 1)
    assert row["status"] == S.MALFORMED and row["weird"] == Weird.truncated_link_header
