"""FragmentReassembler: hand-built fragments (every bound and weird) and real captures."""

from __future__ import annotations

import struct

import numpy as np
import pytest
from decode_frames import DATA, eth, ipv4, ipv6, mapped, raw_batch, udp
from tests.naive.decode import read_capture

from wirelens.core.batch import LinkType, PacketStatus
from wirelens.core.weirds import Weird
from wirelens.decode import Decoder, FragmentReassembler
from wirelens.decode.fragments import Reassembled

S = PacketStatus
BODY = udp(5000, 53, bytes(range(256)) * 2)  # 520 bytes of UDP
SEC = 1_000_000_000


def frags_v4(body: bytes, size: int, ident: int = 99) -> list[tuple[int, bytes]]:
    """(offset, frame) of an IPv4 datagram cut in ``size``-byte fragments."""
    out = []
    for off in range(0, len(body), size):
        more = 0x2000 if off + size < len(body) else 0
        ip = ipv4(body[off : off + size], proto=17, ident=ident, frag=more | (off // 8))
        out.append((off, eth(ip)))
    return out


def frags_v6(body: bytes, size: int, ident: int = 0xABCD) -> list[tuple[int, bytes]]:
    out = []
    for off in range(0, len(body), size):
        more = 1 if off + size < len(body) else 0
        fh = struct.pack("!BBHI", 17, 0, off | more, ident)
        out.append((off, eth(ipv6(fh + body[off : off + size], nh=44), 0x86DD)))
    return out


def feed(
    fr: FragmentReassembler, dec: Decoder, frames: list[bytes], ts: list[int] | None = None
) -> Reassembled | None:
    raw = raw_batch(frames, LinkType.ETHERNET)
    if ts is not None:
        raw.ts_ns = np.array(ts, dtype=np.int64)
    pk = dec.decode(raw)
    return fr.add(raw, pk)


@pytest.mark.parametrize("order", ["in", "reverse", "shuffled"])
def test_ipv4_reassembly_any_order(order: str) -> None:
    pieces = [f for _, f in frags_v4(BODY, 128)]
    if order == "reverse":
        pieces.reverse()
    elif order == "shuffled":
        pieces = [pieces[k] for k in (2, 0, 4, 1, 3)]
    fr, dec = FragmentReassembler(), Decoder(64)
    out = feed(fr, dec, pieces)
    assert out is not None
    raw, pk, _ = out
    assert len(raw) == 1 and raw.linktype[0] == LinkType.RAW
    assert raw.ts_ns[0] == (len(pieces) - 1) * 1_000_000  # last fragment's time
    assert pk.status[0] == S.OK and pk.weird[0] == 0
    assert (pk.sport[0], pk.dport[0], pk.proto[0]) == (5000, 53, 17)
    assert pk.src_lo[0] == mapped("10.0.0.1") and pk.ip_len[0] == 20 + len(BODY)
    assert pk.payload_len[0] == 512
    got = raw.data[pk.payload_off[0] : pk.payload_off[0] + pk.payload_len[0]].tobytes()
    assert got == BODY[8:]
    hdr = raw.data[:20].tobytes()
    assert _ones_sum(hdr) == 0xFFFF  # checksum recomputed
    assert len(fr) == 0 and fr.buffered_bytes == 0 and fr.counters["reassembled"] == 1


def _ones_sum(b: bytes) -> int:
    s = sum(struct.unpack(f"!{len(b) // 2}H", b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s


def test_ipv6_reassembly_across_batches() -> None:
    pieces = [f for _, f in frags_v6(BODY, 200)]
    fr, dec = FragmentReassembler(), Decoder(64)
    assert feed(fr, dec, pieces[:2]) is None
    assert len(fr) == 1
    out = feed(fr, dec, pieces[2:])
    assert out is not None
    raw, pk, _ = out
    assert pk.status[0] == S.OK and pk.ip_ver[0] == 6 and pk.dport[0] == 53
    assert pk.ip_len[0] == 40 + len(BODY)
    assert raw.data[pk.payload_off[0] :].tobytes() == BODY[8:]


def test_two_datagrams_interleaved_and_non_fragments_ignored() -> None:
    a = frags_v4(BODY, 256, ident=1)
    b = frags_v4(udp(7, 8, b"q" * 292), 160, ident=2)
    frames = [a[0][1], b[0][1], eth(ipv4(udp(1, 2, b"x"), proto=17)), a[1][1], b[1][1], a[2][1]]
    out = feed(FragmentReassembler(), Decoder(64), frames)
    assert out is not None
    raw, pk, _ = out
    assert len(raw) == 2 and list(pk.status) == [S.OK, S.OK]
    assert sorted(pk.ip_len.tolist()) == [320, 540]


def test_identical_overlap_tolerated_inconsistent_dropped() -> None:
    pieces = [f for _, f in frags_v4(BODY, 128)]
    fr = FragmentReassembler()
    out = feed(fr, Decoder(64), [pieces[0], pieces[1], pieces[1], *pieces[2:]])
    assert out is not None and fr.counters["overlaps"] >= 1
    assert any(code == Weird.fragment_overlap for _, code, _ in fr.drain_weirds())
    # a fragment rewriting bytes already received: the datagram is dropped
    evil = eth(ipv4(b"Z" * 64, proto=17, ident=99, frag=0x2000 | 8))
    fr = FragmentReassembler()
    assert feed(fr, Decoder(64), [pieces[0], pieces[1], evil, *pieces[2:]]) is None
    assert fr.counters["inconsistent_overlaps"] == 1
    assert Weird.fragment_inconsistent_overlap in {c for _, c, _ in fr.weirds}


def test_absurd_fragment_and_too_many() -> None:
    fr = FragmentReassembler()
    far = eth(ipv4(b"A" * 64, proto=17, ident=5, frag=0x1FFF))  # 65528 + 64 > 65535
    assert feed(fr, Decoder(8), [far]) is None
    assert fr.counters["too_large"] == 1 and len(fr) == 0
    fr = FragmentReassembler(max_fragments=3)
    pieces = [f for _, f in frags_v4(BODY, 64)]
    assert feed(fr, Decoder(16), pieces) is None
    # dropped at the 4th fragment; the next ones start over and are dropped again
    assert fr.counters["too_many_fragments"] == 2 and len(fr) == 1


def test_timeout_and_table_full() -> None:
    p1 = [f for _, f in frags_v4(BODY, 256, ident=1)]
    p2 = [f for _, f in frags_v4(BODY, 256, ident=2)]
    p3 = [f for _, f in frags_v4(BODY, 256, ident=3)]
    fr, dec = FragmentReassembler(max_datagrams=2, timeout_s=30), Decoder(16)
    feed(fr, dec, [p1[0], p2[0]], ts=[0, SEC])
    feed(fr, dec, [p3[0]], ts=[2 * SEC])  # table full: datagram 1 dropped
    assert fr.counters["table_full"] == 1 and len(fr) == 2
    out = feed(fr, dec, p2[1:], ts=[3 * SEC, 3 * SEC])
    assert out is not None and out[1].status[0] == S.OK
    assert feed(fr, dec, p1[1:], ts=[4 * SEC, 4 * SEC]) is None  # its start is gone
    feed(fr, dec, [eth(ipv4(udp(1, 2), proto=17))], ts=[100 * SEC])
    assert fr.counters["timeouts"] >= 1 and len(fr) == 0
    codes = [c for _, c, _ in fr.drain_weirds()]
    assert Weird.fragment_table_full in codes and Weird.fragment_timeout in codes
    assert not fr.weirds


def test_memory_bound_evicts_oldest() -> None:
    fr, dec = FragmentReassembler(max_bytes=600), Decoder(16)
    a = [f for _, f in frags_v4(BODY, 256, ident=1)]
    b = [f for _, f in frags_v4(BODY, 256, ident=2)]
    feed(fr, dec, [a[0], a[1], b[0]])
    assert fr.buffered_bytes <= 600 and fr.counters["evicted"] >= 1


def test_truncated_fragment_never_completes() -> None:
    pieces = [f for _, f in frags_v4(BODY, 256)]
    cut = pieces[1][:-20]  # snap length cut: a gap stays
    fr = FragmentReassembler()
    assert feed(fr, Decoder(8), [pieces[0], cut, pieces[2]]) is None
    assert len(fr) == 1


@pytest.mark.skipif(not DATA.is_dir(), reason="shared captures folder ../shared/data is absent")
@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("nDPI/tests/cfgs/default/pcap/dns_fragmented.pcap", 7),
        ("zeek/testing/btest/Traces/ipv6-fragmented-dns.pcap", 1),
        ("zeek/testing/btest/Traces/tunnels/gtp/gtp1_gn_normal_incl_fragmentation.pcap", 36),
        (
            "suricata-verify/tests/defrag/bug-6887-defrag-eth-vlan-ipv6-tcp/frag-eth-vlan-ipv6-tcp.pcap",
            1,
        ),
    ],
)
def test_real_captures(path: str, expected: int) -> None:
    raw = read_capture(DATA / path)
    pk = Decoder(len(raw)).decode(raw)
    out = FragmentReassembler().add(raw, pk)
    assert out is not None
    rraw, rpk, rows = out
    assert len(rraw) == expected
    assert np.all(pk.status[rows] == S.FRAGMENT) and np.array_equal(raw.ts_ns[rows], rraw.ts_ns)
    assert np.all(rpk.status == S.OK)
    assert np.all((rpk.proto == 17) | (rpk.proto == 6))
