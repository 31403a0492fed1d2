"""Property tests: random and mutated frames on every link type.

Invariant: the kernel never raises, every offset stays inside its record, and every column
equals the naive reference's (differential fuzzing of the two independent decoders).
"""

from __future__ import annotations

import struct

import numpy as np
from decode_frames import eth, ipv4, ipv6, raw_batch, tcp, udp, vlan
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.naive.decode import column_mismatches, decode_batch

from wirelens.core.batch import LinkType
from wirelens.decode import Decoder

LINKTYPES = [int(t) for t in LinkType] + [107, 147, 65535]
TCP4 = ipv4(tcp(payload=b"data"))
UDP6 = ipv6(udp(1, 2, b"x" * 9), nh=17)
SNAP = b"\xaa\xaa\x03\x00\x00\x00\x08\x00"

TEMPLATES: list[tuple[int, bytes]] = [
    (1, eth(TCP4)),
    (1, eth(vlan(5, 0x8100, vlan(6, 0x0800, TCP4)), 0x88A8)),
    (1, eth(struct.pack("!I", (16 << 12) | 0x1FF) + TCP4, 0x8847)),
    (1, eth(struct.pack("!BBHHH", 0x11, 0, 1, 60, 0x21) + TCP4, 0x8864)),
    (1, eth(ipv4(struct.pack("!HHI", 0x2000, 0x6558, 1) + eth(TCP4), proto=47))),
    (
        1,
        eth(
            ipv4(
                struct.pack("!HHI", 0x1000, 0x88BE, 1) + b"\x10\x00\x00\x01" + bytes(4) + eth(TCP4),
                proto=47,
            )
        ),
    ),
    (
        1,
        eth(
            ipv4(udp(9, 4789, struct.pack("!II", 0x08000000, 0x100) + eth(UDP6, 0x86DD)), proto=17)
        ),
    ),
    (1, eth(ipv4(udp(9, 6081, struct.pack("!BBHI", 1, 0, 0x0800, 0) + bytes(4) + TCP4), proto=17))),
    (
        1,
        eth(
            ipv4(
                udp(
                    2152,
                    2152,
                    struct.pack("!BBHIHBB", 0x34, 0xFF, 0, 1, 0, 0, 0x85)
                    + b"\x01\x00\x01\x00"
                    + TCP4,
                ),
                proto=17,
            )
        ),
    ),
    (1, eth(ipv4(udp(3544, 9, b"\x00\x00" + bytes(6) + UDP6), proto=17))),
    (1, eth(ipv6(struct.pack("!BBHI", 6, 0, 8 | 1, 7) + b"\x00" * 8 + TCP4[20:], nh=44), 0x86DD)),
    (
        1,
        eth(
            ipv6(
                struct.pack("!BB", 43, 0)
                + bytes(6)
                + struct.pack("!BB", 51, 0)
                + bytes(6)
                + struct.pack("!BB", 6, 1)
                + bytes(10)
                + tcp(),
                nh=0,
            ),
            0x86DD,
        ),
    ),
    (1, eth(struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1) + bytes(20), 0x0806)),
    (1, eth(ipv4(ipv6(tcp(), nh=6), proto=41))),
    (101, TCP4),
    (229, UDP6),
    (0, struct.pack("<I", 2) + TCP4),
    (108, struct.pack(">I", 24) + UDP6),
    (113, struct.pack("!HHH", 0, 1, 6) + bytes(8) + b"\x08\x00" + TCP4),
    (276, struct.pack("!HHIHBB", 0x0800, 0, 1, 1, 0, 6) + bytes(8) + TCP4),
    (9, b"\xff\x03\x00\x21" + TCP4),
    (104, b"\x0f\x00\x08\x00" + TCP4),
    (105, bytes([0x88, 0x03]) + bytes(28) + b"\x00\x00" + SNAP + TCP4),
    (127, struct.pack("<BBHI", 0, 0, 8, 0) + bytes([0x08, 0x01]) + bytes(22) + SNAP + TCP4),
    # NFLOG: header, a 6-byte prefix TLV (padded to 8), the payload TLV (LE, then BE)
    (
        239,
        b"\x02\x00\x00\x01"
        + struct.pack("<HH", 6, 10)
        + b"ab\x00\x00"
        + struct.pack("<HH", 4 + len(TCP4), 9)
        + TCP4,
    ),
    (239, b"\x0a\x00\x00\x01" + struct.pack(">HH", 4 + len(UDP6), 9) + UDP6),
    (10, b"\x50" + bytes(12) + SNAP + TCP4),
    (226, struct.pack("!BBHIIIII", 2, 26, 0, len(UDP6), 1, 0, 0, 0) + UDP6),
    (192, struct.pack("<BBHI", 0, 0, 8, 1) + eth(TCP4)),
    (258, struct.pack("<III", 16, 1, 101) + bytes(4) + TCP4),
    (285, bytes(12) + b"\xda\xda" + bytes(6) + b"\x08\x00" + TCP4),
    (282, bytes(4) + eth(TCP4)),
    # AYIYA forward message, 16-byte identity, 20-byte signature, IPv6 inside
    (1, eth(ipv4(udp(40000, 5072, b"\x41\x52\x11\x29" + bytes(40) + UDP6), proto=17))),
]


def check(raw, dec: Decoder) -> None:  # type: ignore[no-untyped-def]
    pk = dec.decode(raw)
    start = raw.offset
    end = raw.offset + raw.caplen.astype(np.int64)
    assert np.all(pk.payload_off >= start)
    assert np.all(pk.payload_off + pk.payload_len.astype(np.int64) <= end)
    l3 = pk.l3_off
    assert np.all((l3 == -1) | ((l3 >= start) & (l3 < end)))
    bad = column_mismatches(decode_batch(raw), pk)
    assert not bad, bad[:5]


DEC = Decoder(64)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(st.sampled_from(LINKTYPES), st.binary(max_size=160)), min_size=1, max_size=32
    )
)
def test_random_bytes_every_link_type(frames: list[tuple[int, bytes]]) -> None:
    check(raw_batch([f for _, f in frames], [lt for lt, _ in frames]), DEC)


@st.composite
def mutated(draw: st.DrawFn) -> tuple[int, bytes]:
    lt, frame = draw(st.sampled_from(TEMPLATES))
    buf = bytearray(frame)
    for _ in range(draw(st.integers(0, 4))):
        pos = draw(st.integers(0, len(buf) - 1))
        buf[pos] = draw(st.integers(0, 255))
    cut = draw(st.integers(0, len(buf)))
    return lt, bytes(buf[:cut] if draw(st.booleans()) else buf)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(mutated(), min_size=1, max_size=16))
def test_mutated_frames(frames: list[tuple[int, bytes]]) -> None:
    check(raw_batch([f for _, f in frames], [lt for lt, _ in frames]), DEC)


def test_templates_decode_ok() -> None:
    """The fuzz seeds themselves are well formed (so mutations start deep in the parser)."""
    raw = raw_batch([f for _, f in TEMPLATES], [lt for lt, _ in TEMPLATES])
    pk = DEC.decode(raw)
    assert set(pk.status.tolist()) <= {0, 2, 4}, pk.status
