"""NFLOG records (LINKTYPE 239) and AYIYA tunnels (UDP 5072): hand-built frames, every cut of
them, bad TLV lengths, and the real captures (against the naive reference and Zeek's http.log).

Every frame is also decoded by the naive reference (tests/naive/decode.py), which must agree
column by column, and every offset must stay inside its record.
"""

from __future__ import annotations

import struct

import numpy as np
import pytest
from decode_frames import DATA, eth, halves, ipv4, ipv6, mapped, raw_batch, tcp, udp
from tests.naive.decode import COLUMNS, column_mismatches, decode_batch, read_capture

import wirelens
from wirelens.core.batch import LinkType, PacketStatus, RawBatch, Tunnel
from wirelens.core.weirds import Weird
from wirelens.decode import Decoder

S = PacketStatus
GAP = 3  # raw_batch puts the first frame at offset 3
NFLOG = int(LinkType.NFLOG)
TRACES = DATA / "zeek" / "testing" / "btest" / "Traces"
needs_data = pytest.mark.skipif(
    not DATA.is_dir(), reason="shared captures folder ../shared/data is absent"
)


def check(raw: RawBatch, dec: Decoder) -> list[dict[str, int]]:
    """Decode ``raw``: offsets inside their records, the naive reference equal; the rows."""
    pk = dec.decode(raw)
    start = raw.offset
    end = raw.offset + raw.caplen.astype(np.int64)
    assert np.all(pk.payload_off >= start)
    assert np.all(pk.payload_off + pk.payload_len.astype(np.int64) <= end)
    assert np.all((pk.l3_off == -1) | ((pk.l3_off >= start) & (pk.l3_off < end)))
    bad = column_mismatches(decode_batch(raw), pk)
    assert not bad, f"first differences (row, column, naive, kernel): {bad[:5]}"
    return [{c: int(getattr(pk, c)[i]) for c in COLUMNS} for i in range(len(raw))]


def one(dec: Decoder, frame: bytes, lt: int) -> dict[str, int]:
    return check(raw_batch([frame], lt), dec)[0]


def every_cut(dec: Decoder, frame: bytes, lt: int) -> list[dict[str, int]]:
    """The frame cut at every length 0..len (one batch), checked like :func:`check`; the
    rows' ``l3_off`` and ``payload_off`` made relative to their record."""
    raw = raw_batch([frame[:n] for n in range(len(frame) + 1)], lt)
    rows = check(raw, dec)
    for row, base in zip(rows, raw.offset.tolist(), strict=True):
        row["payload_off"] -= base
        if row["l3_off"] >= 0:
            row["l3_off"] -= base
    return rows


# ---- NFLOG --------------------------------------------------------------------------------
def tlv(kind: int, value: bytes, order: str = "<", length: int | None = None) -> bytes:
    """A netlink attribute: length (header included) and type in ``order``, padded to 4."""
    n = 4 + len(value) if length is None else length
    body = struct.pack(order + "HH", n, kind) + value
    return body + b"\x00" * (-len(body) % 4)


def nflog(tlvs: bytes, family: int = 2, version: int = 0, res_id: int = 42) -> bytes:
    return struct.pack("!BBH", family, version, res_id) + tlvs


PAYLOAD = b"GET / HTTP/1.1\r\n\r\n"
TCP4 = ipv4(tcp(payload=PAYLOAD))
UDP6 = ipv6(udp(5353, 53, b"query"), nh=17)
# what the kernel meets in practice: packet header, prefix, ifindex, uid, gid, then payload
META = (
    tlv(1, struct.pack("!HBB", 0x0800, 3, 0))
    + tlv(10, b"x\x00")  # prefix (length 6, padded to 8)
    + tlv(5, struct.pack("!I", 2))
    + tlv(11, bytes(4))
    + tlv(14, bytes(4))
)


def test_nflog_ipv4_after_other_tlvs() -> None:
    dec = Decoder(64)
    frame = nflog(META + tlv(9, TCP4))
    row = one(dec, frame, NFLOG)
    l3 = 4 + len(META) + 4
    assert row["status"] == S.OK and row["weird"] == 0 and row["ip_ver"] == 4
    assert row["src_lo"] == mapped("10.0.0.1") and row["dst_lo"] == mapped("10.0.0.2")
    assert (row["sport"], row["dport"], row["proto"]) == (1234, 80, 6)
    assert row["l3_off"] == GAP + l3
    assert row["payload_off"] == GAP + l3 + 40 and row["payload_len"] == len(PAYLOAD)
    assert row["tunnel"] == 0 and row["src_mac"] == 0 and row["dst_mac"] == 0
    assert dec.counters["linktype_nflog"] == 1


def test_nflog_ipv6_big_endian_tlvs_and_flagged_type() -> None:
    dec = Decoder(64)
    row = one(dec, nflog(tlv(1, bytes(4), ">") + tlv(9, UDP6, ">"), family=10), NFLOG)
    assert row["status"] == S.OK and row["ip_ver"] == 6 and row["proto"] == 17
    assert (row["src_hi"], row["src_lo"]) == halves("2001:db8::1")
    assert (row["sport"], row["dport"], row["payload_len"]) == (5353, 53, 5)
    # the netlink flag bits of the type (NLA_F_NESTED, NLA_F_NET_BYTEORDER) are not the type
    row = one(dec, nflog(tlv(0x4009, TCP4)), NFLOG)
    assert row["status"] == S.OK and row["payload_len"] == len(PAYLOAD)


def test_nflog_payload_bounded_by_its_tlv() -> None:
    """The packet ends with its TLV: a TLV after it is not read as packet bytes."""
    dec = Decoder(64)
    pkt = ipv4(udp(1, 2, b"abcd"), proto=17)
    row = one(dec, nflog(tlv(9, pkt) + tlv(8, b"junk")), NFLOG)
    assert row["status"] == S.OK and row["payload_len"] == 4 and row["weird"] == 0
    # an IP total length reaching into the next TLV is noted, and the payload stops at the TLV
    long = ipv4(udp(1, 2, b"abcd", length=12), proto=17, total=40)
    row = one(dec, nflog(tlv(9, long) + tlv(8, b"junk")), NFLOG)
    assert row["weird"] == Weird.ip_total_length_exceeds_capture
    assert row["payload_len"] == 4


def test_nflog_payload_cut_by_snap_length() -> None:
    """A payload TLV longer than the record (snap length): its packet is decoded as cut."""
    dec = Decoder(64)
    for order in "<>":
        full = nflog(tlv(1, bytes(4), order) + tlv(9, TCP4, order))
        row = one(dec, full[: 4 + 8 + 4 + len(TCP4) - 10], NFLOG)  # (no padding)
        assert row["status"] == S.OK and row["sport"] == 1234
        assert row["weird"] == Weird.ip_total_length_exceeds_capture
        assert row["payload_len"] == len(PAYLOAD) - 10


def test_nflog_not_ip() -> None:
    dec = Decoder(64)
    for frame in (
        nflog(META),  # no payload TLV
        nflog(b""),  # header only
        nflog(tlv(9, TCP4), family=7),  # AF_BRIDGE
        nflog(tlv(9, TCP4), version=1),
    ):
        row = one(dec, frame, NFLOG)
        assert row["status"] == S.NOT_IP and row["weird"] == 0, frame.hex()


@pytest.mark.parametrize(
    "tlvs",
    [
        tlv(1, bytes(4), length=0) + tlv(9, TCP4),  # no length
        tlv(1, bytes(4), length=3) + tlv(9, TCP4),  # shorter than its own header
        tlv(1, bytes(4), length=0x0102) + tlv(9, TCP4),  # too long in both byte orders
        tlv(1, bytes(4), ">", length=0x0102) + tlv(9, TCP4),
        tlv(9, TCP4, length=2),  # the payload's own length too small
        tlv(1, bytes(4)) + b"\x08\x00",  # 2 bytes left: a cut TLV header
        tlv(1, bytes(4)) + b"\x09",
    ],
)
def test_nflog_bad_tlv_lengths_are_malformed(tlvs: bytes) -> None:
    row = one(Decoder(64), nflog(tlvs), NFLOG)
    assert row["status"] == S.MALFORMED and row["weird"] == Weird.truncated_link_header
    assert row["l3_off"] == -1 and row["payload_len"] == 0 and row["payload_off"] == GAP


def test_nflog_length_sane_in_one_order_only() -> None:
    """0x0C00 little-endian is 3072 (past the record), big-endian 12: big-endian it is."""
    dec = Decoder(64)
    row = one(dec, nflog(struct.pack(">HH", 12, 1) + bytes(8) + tlv(9, TCP4)), NFLOG)
    assert row["status"] == S.OK and row["l3_off"] == GAP + 4 + 12 + 4


@pytest.mark.parametrize("family", [2, 10])
def test_nflog_cut_at_every_length(family: int) -> None:
    dec = Decoder(512)
    pkt = TCP4 if family == 2 else ipv6(tcp(payload=PAYLOAD))
    frame = nflog(META + tlv(9, pkt), family=family)
    rows = every_cut(dec, frame, NFLOG)
    first_ip = 4 + len(META) + 4
    for n, row in enumerate(rows):
        if n < 4:
            assert (row["status"], row["weird"]) == (S.MALFORMED, Weird.truncated_link_header)
        elif n < first_ip:  # inside the other TLVs or the payload TLV's header
            assert row["status"] in (S.MALFORMED, S.NOT_IP) and row["l3_off"] == -1, n
            assert row["weird"] in (0, Weird.truncated_link_header), n
        elif n < first_ip + len(pkt) - len(tcp(payload=PAYLOAD)):  # the IP header, cut
            assert (row["status"], row["weird"]) == (S.MALFORMED, Weird.truncated_ip_header), n
        else:  # the IP header is whole: TCP header cut, or the payload short
            assert row["l3_off"] == first_ip, n
    assert rows[-1]["status"] == S.OK and rows[-1]["weird"] == 0


def test_nflog_with_other_link_types_in_one_batch() -> None:
    dec = Decoder(64)
    frames = [eth(TCP4), nflog(tlv(9, TCP4)), TCP4, nflog(b"\x00")]
    rows = check(raw_batch(frames, [1, NFLOG, 101, NFLOG]), dec)
    assert [r["status"] for r in rows] == [S.OK, S.OK, S.OK, S.MALFORMED]
    assert rows[1]["sport"] == rows[0]["sport"] == rows[2]["sport"] == 1234


# ---- AYIYA --------------------------------------------------------------------------------
def ayiya(
    inner: bytes,
    next_header: int = 41,
    opcode: int = 1,
    id_exp: int = 4,
    sig_words: int = 5,
) -> bytes:
    """An AYIYA message: identity 2**id_exp bytes (type 1), SHA-1 sized signature (hash 2),
    auth method 1, ``opcode``, ``next_header``, epoch 0x4af64bfd."""
    hdr = struct.pack(
        "!BBBBI", (id_exp << 4) | 1, (sig_words << 4) | 2, 0x10 | opcode, next_header, 0x4AF64BFD
    )
    return hdr + b"\x20" * (1 << id_exp) + b"\x5a" * (4 * sig_words) + inner


def outer4(payload: bytes, sport: int = 53859, dport: int = 5072) -> bytes:
    return eth(ipv4(udp(sport, dport, payload), proto=17, src="192.0.2.1", dst="192.0.2.2"))


TCP6 = ipv6(tcp(payload=PAYLOAD))
AYIYA_HDR = 8 + 16 + 20


def test_ayiya_ipv6_inner_is_the_flow() -> None:
    dec = Decoder(64)
    row = one(dec, outer4(ayiya(TCP6)), 1)
    l3 = 14 + 20 + 8 + AYIYA_HDR
    assert row["status"] == S.OK and row["weird"] == 0 and row["ip_ver"] == 6
    assert (row["src_hi"], row["src_lo"]) == halves("2001:db8::1")
    assert (row["sport"], row["dport"], row["proto"]) == (1234, 80, 6)
    assert row["l3_off"] == GAP + l3 and row["payload_len"] == len(PAYLOAD)
    assert (row["tunnel"], row["tunnel_id"]) == (Tunnel.AYIYA, 0)
    assert row["outer_src_lo"] == mapped("192.0.2.1")
    assert row["outer_dst_lo"] == mapped("192.0.2.2")
    assert dec.counters["tunnel_ayiya"] == 1


def test_ayiya_ipv4_inner_either_port_and_other_sizes() -> None:
    dec = Decoder(64)
    row = one(dec, outer4(ayiya(TCP4, next_header=4), sport=5072, dport=40000), 1)
    assert row["tunnel"] == Tunnel.AYIYA and row["ip_ver"] == 4 and row["sport"] == 1234
    row = one(dec, outer4(ayiya(TCP4, next_header=4, id_exp=0, sig_words=0)), 1)
    assert row["tunnel"] == Tunnel.AYIYA and row["l3_off"] == GAP + 14 + 20 + 8 + 8 + 1
    # over IPv6 too
    frame = eth(ipv6(udp(5072, 5072, ayiya(TCP6)), nh=17, src="fd00::1"), 0x86DD)
    row = one(dec, frame, 1)
    assert row["tunnel"] == Tunnel.AYIYA and row["outer_src_lo"] == 1


@pytest.mark.parametrize(
    "msg",
    [
        ayiya(TCP6, opcode=0),  # noop / heartbeat
        ayiya(TCP6, opcode=2),
        ayiya(TCP6, next_header=59),  # no next header
        ayiya(TCP6, next_header=4),  # says IPv4, carries IPv6
        ayiya(TCP4, next_header=41),  # says IPv6, carries IPv4
        b"\xf1" + ayiya(TCP6)[1:],  # says 2**15 identity bytes: longer than the datagram
        ayiya(TCP6[:39]),  # IPv6 header cut
        ayiya(TCP4[:19], next_header=4),
        ayiya(b"\x44" + TCP4[1:], next_header=4),  # IHL 4
        ayiya(TCP4[:2] + b"\x00\x10" + TCP4[4:], next_header=4),  # total length < IHL
        b"\x41\x52\x11",  # shorter than the fixed header
    ],
)
def test_ayiya_otherwise_plain_udp(msg: bytes) -> None:
    row = one(Decoder(64), outer4(msg), 1)
    assert row["status"] == S.OK and row["tunnel"] == 0 and row["proto"] == 17
    assert (row["sport"], row["dport"], row["payload_len"]) == (53859, 5072, len(msg))


def test_ayiya_cut_at_every_length() -> None:
    dec = Decoder(512)
    frame = outer4(ayiya(TCP6))
    rows = every_cut(dec, frame, 1)
    inner = 14 + 20 + 8 + AYIYA_HDR
    for n, row in enumerate(rows):
        if inner + 40 <= n:  # the inner IPv6 header is whole: the tunnel is entered
            assert row["tunnel"] == Tunnel.AYIYA and row["l3_off"] == inner, n
        else:
            assert row["tunnel"] == 0, n
    assert rows[-1]["status"] == S.OK and rows[-1]["weird"] == 0


def test_ayiya_counts_toward_the_tunnel_depth() -> None:
    dec = Decoder(64)
    pkt = TCP6
    for _ in range(dec.max_tunnel_depth - 1):
        pkt = ipv6(pkt, nh=41)
    ok = one(dec, outer4(ayiya(pkt)), 1)
    assert ok["status"] == S.OK and ok["tunnel"] == Tunnel.AYIYA
    deep = one(dec, outer4(ayiya(ipv6(pkt, nh=41))), 1)
    assert deep["status"] == S.MALFORMED and deep["weird"] == Weird.tunnel_depth_exceeded


# ---- real captures ------------------------------------------------------------------------
@needs_data
@pytest.mark.parametrize(
    ("rel", "n", "counter"),
    [
        ("zeek/testing/btest/Traces/nflog-http.pcap", 13, "linktype_nflog"),
        ("tcpdump/tests/nflog.pcap", 4, "linktype_nflog"),
        ("zeek/testing/btest/Traces/tunnels/ayiya3.pcap", 32, "tunnel_ayiya"),
    ],
)
def test_real_captures_match_naive(rel: str, n: int, counter: str) -> None:
    """The kernel equals the naive reference; the counts are tshark's (13 NFLOG IPv4
    packets; 35 AYIYA datagrams, 3 of them not forward messages)."""
    dec = Decoder(4096)
    rows = check(read_capture(DATA / rel), dec)
    assert dec.counters[counter] == n
    assert all(r["status"] == S.OK and r["weird"] == 0 for r in rows)


def http_rows(rel: str) -> list[tuple[object, ...]]:
    table = wirelens.analyze(DATA / rel).tables["http"]
    cols = ("orig_h", "orig_p", "resp_h", "resp_p", "trans_depth", "method", "host", "uri")
    return [tuple(r[c] for c in cols) for r in table.select(list(cols)).to_pylist()]


@needs_data
def test_analyze_nflog_gives_zeeks_http_row() -> None:
    """Zeek's core.nflog http.log: one GET of www.example.net."""
    got = http_rows("zeek/testing/btest/Traces/nflog-http.pcap")
    assert got == [("10.0.2.15", 49762, "93.184.216.34", 80, 1, "GET", "www.example.net", "/")]


@needs_data
def test_analyze_ayiya_gives_zeeks_http_rows() -> None:
    """Zeek's core.tunnels.ayiya http.log: three GETs of ipv6.google.com in one connection,
    and the connection says it was carried by AYIYA."""
    rel = "zeek/testing/btest/Traces/tunnels/ayiya3.pcap"
    got = http_rows(rel)
    ends = ("2001:4978:f:4c::2", 53382, "2001:4860:b002::68", 80)
    assert [r[:4] for r in got] == [ends] * 3
    assert [(r[4], r[6]) for r in got] == [(i, "ipv6.google.com") for i in (1, 2, 3)]
    assert got[0][7] == "/" and str(got[1][7]).startswith("/csi?v=3&s=webhp")
    assert str(got[2][7]).startswith("/gen_204?atyp=i&ct=fade")
    conn = wirelens.analyze(DATA / rel).tables["conn"].to_pylist()
    web = [c for c in conn if c.get("resp_p") == 80]
    assert len(web) == 1 and web[0]["tunnel"] == "ayiya"
