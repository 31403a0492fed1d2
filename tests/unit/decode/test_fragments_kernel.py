"""The compiled FragmentReassembler against the naive reference (tests/naive/fragments.py):
hand-built cases for every kernel path, a hypothesis differential on random fragment streams,
and every shared capture that holds fragments, compared byte for byte (datagrams, decoded
columns, counters, weird records, table size and buffered bytes after every batch)."""

from __future__ import annotations

import csv
import itertools
import struct
from dataclasses import fields

import numpy as np
import pytest
from decode_frames import DATA, eth, ipv4, ipv6, raw_batch, udp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.naive.fragments import NaiveFragmentReassembler

from wirelens.capture import open_capture
from wirelens.core.batch import LinkType, PacketBatch, PacketStatus, RawBatch
from wirelens.core.weirds import Weird
from wirelens.decode import Decoder, FragmentReassembler
from wirelens.decode.fragments import MAX_WEIRDS_KEPT

SEC = 1_000_000_000
BODY = udp(5000, 53, bytes(range(256)) * 8)  # 2056 bytes of UDP


# ---- helpers ---------------------------------------------------------------------------------
def v4_frag(data: bytes, off: int, more: bool, ident: int = 7, **kw: object) -> bytes:
    """An Ethernet frame carrying an IPv4 fragment of ``data`` at byte offset ``off``."""
    return eth(ipv4(data, proto=17, ident=ident, frag=(0x2000 if more else 0) | (off // 8), **kw))


def v6_frag(
    data: bytes, off: int, more: bool, ident: int = 0xABCD, src: str = "2001:db8::1"
) -> bytes:
    fh = struct.pack("!BBHI", 17, 0, off | int(more), ident)
    return eth(ipv6(fh + data, nh=44, src=src), 0x86DD)


def cut(body: bytes, size: int) -> list[tuple[int, bytes, bool]]:
    """(offset, data, more) of ``body`` cut in ``size``-byte pieces."""
    return [(o, body[o : o + size], o + size < len(body)) for o in range(0, len(body), size)]


def batch(frames: list[bytes], ts: list[int] | None = None) -> RawBatch:
    raw = raw_batch(frames, LinkType.ETHERNET)
    if ts is not None:
        raw.ts_ns = np.array(ts, dtype=np.int64)
    return raw


def copy_pkts(p: PacketBatch) -> PacketBatch:
    return PacketBatch(**{f.name: getattr(p, f.name).copy() for f in fields(p)})


def assert_same(a: tuple | None, b: tuple | None) -> None:
    """Two add() results are identical: datagram bytes, layout, times and decoded columns."""
    assert (a is None) == (b is None)
    if a is None or b is None:
        return
    (ra, pa, at_a), (rb, pb, at_b) = a, b
    assert at_a.tolist() == at_b.tolist()
    assert ra.data.tobytes() == rb.data.tobytes()
    for col in ("offset", "caplen", "wirelen", "ts_ns", "linktype"):
        assert np.array_equal(getattr(ra, col), getattr(rb, col)), col
        assert getattr(ra, col).dtype == getattr(rb, col).dtype, col
    for f in fields(pa):
        assert np.array_equal(getattr(pa, f.name), getattr(pb, f.name)), f.name


def run_both(batches: list[RawBatch], **bounds: float) -> tuple[FragmentReassembler, int]:
    """Feed the batches to both implementations, checking they agree after every batch."""
    new, old = FragmentReassembler(**bounds), NaiveFragmentReassembler(**bounds)  # type: ignore[arg-type]
    dec = Decoder(max(1, *(len(r) for r in batches)))
    done = 0
    for raw in batches:
        pk = copy_pkts(dec.decode(raw))
        got = new.add(raw, pk)
        want = old.add(raw, pk)
        assert_same(got, want)
        done += 0 if got is None else len(got[0])
        assert new.counters == old.counters
        assert new.drain_weirds() == old.drain_weirds()
        assert len(new) == len(old) and new.buffered_bytes == old.buffered_bytes
    return new, done


# ---- hand-built kernel paths -----------------------------------------------------------------
@pytest.mark.parametrize("order", ["in", "reverse", "odd_even"])
@pytest.mark.parametrize("ver", [4, 6])
def test_orders_match_reference(order: str, ver: int) -> None:
    pieces = cut(BODY, 208)
    if order == "reverse":
        pieces.reverse()
    elif order == "odd_even":
        pieces = pieces[1::2] + pieces[::2]
    make = v4_frag if ver == 4 else v6_frag
    frames = [make(d, o, m) for o, d, m in pieces]
    fr, n = run_both([batch(frames)])
    assert n == 1 and fr.counters["reassembled"] == 1 and len(fr) == 0


def test_ipv4_header_rebuilt_with_options() -> None:
    opts = b"\x94\x04\x00\x00"  # router alert, RFC 2113
    frames = [v4_frag(d, o, m, options=opts) for o, d, m in cut(BODY, 512)]
    out = FragmentReassembler().add(batch(frames), Decoder(16).decode(batch(frames)))
    assert out is not None
    raw, pk, _ = out
    hdr = raw.data[:24].tobytes()
    assert hdr[0] == 0x46 and struct.unpack("!H", hdr[2:4])[0] == 24 + len(BODY)
    assert hdr[6:8] == b"\x00\x00" and hdr[20:24] == opts
    words = struct.unpack("!12H", hdr)
    s = sum(words)
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    assert s == 0xFFFF
    assert raw.data[24:].tobytes() == BODY
    assert pk.status[0] == PacketStatus.OK and pk.payload_len[0] == len(BODY) - 8


def test_ipv6_header_rebuilt() -> None:
    frames = [v6_frag(d, o, m) for o, d, m in cut(BODY, 400)]
    raw, pk, _ = FragmentReassembler().add(batch(frames), Decoder(16).decode(batch(frames)))  # type: ignore[misc]
    hdr = raw.data[:40].tobytes()
    assert struct.unpack("!H", hdr[4:6])[0] == len(BODY) and hdr[6] == 17
    assert raw.data[40:].tobytes() == BODY and pk.ip_ver[0] == 6


def test_duplicates_and_partial_overlaps() -> None:
    p = cut(BODY, 256)
    span = (128, BODY[128:640], True)  # consistent, overlaps pieces 0, 1 and 2
    seq = [p[0], p[1], p[1], p[2], span, *p[3:]]
    fr, n = run_both([batch([v4_frag(d, o, m) for o, d, m in seq])])
    assert n == 1
    # duplicate of piece 1 overlaps it once; the span overlaps 0, 1 and 2
    assert fr.counters["overlaps"] == 4 and fr.counters["inconsistent_overlaps"] == 0


def test_inconsistent_overlap_after_consistent_ones() -> None:
    p = cut(BODY, 256)
    evil = bytearray(BODY[0:768])
    evil[700] ^= 0xFF  # agrees with pieces 0 and 1, not with piece 2
    seq = [p[0], p[1], p[2], (0, bytes(evil), True), *p[3:]]
    fr, n = run_both([batch([v4_frag(d, o, m) for o, d, m in seq])])
    assert n == 0
    assert fr.counters["overlaps"] == 2 and fr.counters["inconsistent_overlaps"] == 1


def test_overlaps_checked_in_arrival_order() -> None:
    """The reference checks stored pieces in arrival order and stops at the first
    inconsistent one: a later-arrived consistent piece is not reported."""
    p = cut(BODY, 256)
    evil = bytearray(BODY[0:768])
    evil[700] ^= 0xFF  # inconsistent with piece 2 only, which arrived first
    seq = [p[2], p[0], p[1], (0, bytes(evil), True)]
    fr, _ = run_both([batch([v4_frag(d, o, m) for o, d, m in seq])])
    assert fr.counters["overlaps"] == 0 and fr.counters["inconsistent_overlaps"] == 1


def test_empty_piece_overlaps_nothing() -> None:
    """A captured-empty fragment inside a later one is not an overlap (found by hypothesis)."""
    seq = [(16, b"", False), (8, BODY[8:24], False)]
    fr, _ = run_both([batch([v4_frag(d, o, m) for o, d, m in seq])])
    assert fr.counters["overlaps"] == 0 and fr.counters["inconsistent_overlaps"] == 1


def test_one_byte_gap_never_completes() -> None:
    seq = [(0, BODY[:255], True), (256, BODY[256:], False)]
    fr, n = run_both([batch([v4_frag(d, o, m) for o, d, m in seq])])
    assert n == 0 and len(fr) == 1


def test_inconsistent_last_fragment_end() -> None:
    p = cut(BODY, 512)
    seq = [p[-1], (p[-1][0], p[-1][1][:-8], False), *p[:-1]]
    fr, _n = run_both([batch([v4_frag(d, o, m) for o, d, m in seq])])
    assert fr.counters["inconsistent_overlaps"] == 1


def test_longer_piece_replaces_shorter() -> None:
    p = cut(BODY, 512)
    seq = [(0, BODY[:64], True), p[0], *p[1:]]
    fr, n = run_both([batch([v4_frag(d, o, m) for o, d, m in seq])])
    assert n == 1 and fr.counters["overlaps"] == 1


def test_timeouts_table_full_and_too_large() -> None:
    frames, ts = [], []
    for k in range(6):  # six datagrams, table of 3: three dropped as table full
        frames.append(v4_frag(BODY[:256], 0, True, ident=k))
        ts.append(k * SEC)
    frames.append(v4_frag(b"A" * 64, 65528, False, ident=99))  # too large
    ts.append(6 * SEC)
    late = batch([eth(ipv4(udp(1, 2), proto=17))], ts=[60 * SEC])
    fr, _ = run_both([batch(frames, ts), late], max_datagrams=3, timeout_s=10)
    c = fr.counters
    assert c["table_full"] == 3 and c["too_large"] == 1 and c["timeouts"] == 3
    assert len(fr) == 0 and fr.buffered_bytes == 0


def test_ipv6_too_large_limit_is_payload() -> None:
    ok = [v6_frag(b"B" * 8, 65520, False)]  # 65528: fits an IPv6 payload
    bad = [v6_frag(b"B" * 16, 65528, False, ident=1)]
    fr, _ = run_both([batch(ok), batch(bad)])
    assert fr.counters["too_large"] == 1 and len(fr) == 1


def test_arena_and_output_growth() -> None:
    """Thousands of big datagrams completed in one batch: the arena compacts and grows, the
    output buffer grows, and both stay identical to the reference."""
    body = bytes(range(256)) * 60  # 15360 bytes, 11 fragments of 1400
    frames = []
    for ident in range(120):
        frames += [v4_frag(d, o, m, ident=ident) for o, d, m in cut(body, 1400)]
    # interleave: the first half of every datagram, then the second half
    half = [f for k, f in enumerate(frames) if (k % 11) < 6]
    rest = [f for k, f in enumerate(frames) if (k % 11) >= 6]
    fr, n = run_both([batch(half + rest)])
    assert n == 120 and fr.buffered_bytes == 0


def test_memory_bound_evicts_the_datagram_being_added() -> None:
    big = cut(BODY, 1032)  # the last fragment completes it but crosses the bound
    fr, n = run_both([batch([v4_frag(d, o, m) for o, d, m in big])], max_bytes=1500)
    assert n == 0 and fr.counters["evicted"] == 1 and fr.buffered_bytes == 0


def test_weird_ring_overflow_keeps_newest() -> None:
    """More weirds in one batch than the deque keeps: the newest are kept, counters exact."""
    dup = v4_frag(b"x" * 8, 0, True)
    n = MAX_WEIRDS_KEPT + 10
    raw = raw_batch([dup] * n, LinkType.ETHERNET)
    raw.ts_ns = np.arange(n, dtype=np.int64)
    fr = FragmentReassembler()
    fr.add(raw, Decoder(n).decode(raw))
    assert fr.counters["overlaps"] == n - 1
    w = fr.drain_weirds()
    assert len(w) == MAX_WEIRDS_KEPT
    assert w[-1] == (n - 1, int(Weird.fragment_overlap), 7) and w[0][0] == n - MAX_WEIRDS_KEPT


def test_resumes_across_many_batches_and_keys() -> None:
    """IPv4 and IPv6 datagrams with the same id but other keys stay apart, across batches."""
    frames = []
    for ident in (1, 2):
        frames += [v4_frag(d, o, m, ident=ident) for o, d, m in cut(BODY, 296)]
        frames += [v6_frag(d, o, m, ident=ident) for o, d, m in cut(BODY, 296)]
        frames += [v6_frag(d, o, m, ident=ident, src="2001:db8::9") for o, d, m in cut(BODY, 296)]
    rng = np.random.default_rng(5)
    order = rng.permutation(len(frames))
    shuffled = [frames[k] for k in order]
    batches = [batch(shuffled[k : k + 5]) for k in range(0, len(shuffled), 5)]
    fr, n = run_both(batches)
    assert n == 6 and len(fr) == 0


def test_no_fragment_rows_still_expires() -> None:
    fr = FragmentReassembler(timeout_s=1)
    dec = Decoder(8)
    first = batch([v4_frag(BODY[:64], 0, True)], ts=[0])
    fr.add(first, dec.decode(first))
    assert len(fr) == 1
    plain = batch([eth(ipv4(udp(1, 2), proto=17))], ts=[5 * SEC])
    assert fr.add(plain, dec.decode(plain)) is None
    assert len(fr) == 0 and fr.drain_weirds() == [(5 * SEC, int(Weird.fragment_timeout), 7)]


# ---- hypothesis differential -----------------------------------------------------------------
_frag = st.tuples(
    st.integers(0, 3),  # datagram key (ident)
    st.sampled_from([4, 6]),
    st.integers(0, 40),  # offset in 8-byte units
    st.one_of(st.sampled_from([0, 8, 16, 24, 32, 48]), st.integers(0, 48)),  # length
    st.booleans(),  # more fragments
    st.sampled_from([0, 0, 0, 1]),  # corrupt the content (inconsistent overlap)
    st.integers(0, 3),  # time step, seconds
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    frags=st.lists(_frag, min_size=1, max_size=40),
    cuts=st.lists(st.integers(1, 40), max_size=4),
    max_datagrams=st.integers(1, 5),
    max_fragments=st.integers(1, 6),
    max_bytes=st.sampled_from([40, 200, 1 << 20]),
)
def test_random_streams_match_reference(
    frags: list, cuts: list[int], max_datagrams: int, max_fragments: int, max_bytes: int
) -> None:
    content = bytes((k * 7) & 0xFF for k in range(400))
    frames, ts, t = [], [], 0
    for ident, ver, off8, ln, more, corrupt, dt in frags:
        off = off8 * 8
        data = bytearray(content[off : off + ln])
        if corrupt and data:
            data[0] ^= 0x55
        frames.append((v4_frag if ver == 4 else v6_frag)(bytes(data), off, more, ident=ident))
        t += dt * SEC
        ts.append(t)
    edges = sorted({0, len(frames), *(c for c in cuts if c < len(frames))})
    batches = [batch(frames[a:b], ts[a:b]) for a, b in itertools.pairwise(edges)]
    run_both(
        batches,
        max_datagrams=max_datagrams,
        max_fragments=max_fragments,
        max_bytes=max_bytes,
        timeout_s=5,
    )


# ---- every shared capture with fragments -----------------------------------------------------
def _captures_with_fragments() -> list[str]:
    if not DATA.is_dir():
        return []
    dec = Decoder()
    out = []
    with open(DATA / "MANIFEST.csv", newline="") as f:
        for row in csv.DictReader(f):
            try:
                with open_capture(DATA / row["path"]) as src:
                    if any(np.any(dec.decode(r).status == PacketStatus.FRAGMENT) for r in src):
                        out.append(row["path"])
            except Exception:  # noqa: BLE001, S112 - unreadable captures are the capture tests' business
                continue
    return out


_WITH_FRAGMENTS = _captures_with_fragments()


@pytest.mark.skipif(not DATA.is_dir(), reason="shared captures folder ../shared/data is absent")
def test_shared_captures_found() -> None:
    assert len(_WITH_FRAGMENTS) >= 20  # 63 at the time of writing


@pytest.mark.skipif(not DATA.is_dir(), reason="shared captures folder ../shared/data is absent")
@pytest.mark.parametrize("path", _WITH_FRAGMENTS or ["<none>"])
@pytest.mark.parametrize("batch_bytes", [16 << 20, 2048])
@pytest.mark.parametrize("tight", [False, True])
def test_shared_capture_matches_reference(path: str, batch_bytes: int, tight: bool) -> None:
    bounds = (
        {"max_datagrams": 3, "max_fragments": 16, "max_bytes": 8192, "timeout_s": 0.5}
        if tight
        else {}
    )
    new, old = FragmentReassembler(**bounds), NaiveFragmentReassembler(**bounds)  # type: ignore[arg-type]
    dec = Decoder()
    with open_capture(DATA / path, batch_bytes=batch_bytes) as src:
        for raw in src:
            pk = copy_pkts(dec.decode(raw))
            assert_same(new.add(raw, pk), old.add(raw, pk))
            assert new.counters == old.counters
            assert new.drain_weirds() == old.drain_weirds()
            assert len(new) == len(old) and new.buffered_bytes == old.buffered_bytes


def test_rows_pointing_outside_the_data_are_refused() -> None:
    raw = batch([v4_frag(BODY[:64], 0, True)])
    pk = copy_pkts(Decoder(4).decode(raw))
    pk.payload_len[0] = 10_000  # past the end of raw.data
    with pytest.raises(ValueError, match="FRAGMENT row 0"):
        FragmentReassembler().add(raw, pk)
    pk = copy_pkts(Decoder(4).decode(raw))
    pk.l3_off[0] = -1
    with pytest.raises(ValueError):
        FragmentReassembler().add(raw, pk)


BENCH = DATA.parent.parent / "benchdata" / "quarter.pcap"


@pytest.mark.skipif(
    not BENCH.is_file(), reason="benchmark capture ../benchdata/quarter.pcap is absent"
)
def test_benchmark_capture_matches_reference() -> None:
    """The 1.24 M-packet benchmark (61 k fragments, a tiny-fragment flood among them)."""
    new, old = FragmentReassembler(), NaiveFragmentReassembler()
    dec = Decoder()
    with open_capture(BENCH) as src:
        for raw in src:
            pk = dec.decode(raw)
            if not np.any(pk.status == PacketStatus.FRAGMENT):
                continue
            pk = copy_pkts(pk)
            assert_same(new.add(raw, pk), old.add(raw, pk))
            assert new.counters == old.counters
            assert new.drain_weirds() == old.drain_weirds()
            assert len(new) == len(old) and new.buffered_bytes == old.buffered_bytes
    assert new.counters["reassembled"] > 0 and new.counters["too_many_fragments"] > 0


def test_arena_stays_bounded_under_memory_pressure() -> None:
    """Incomplete datagrams far beyond ``max_bytes``: evicted, and the arena stays within
    8/3 of the bound (plus one fragment) however many batches come."""
    max_bytes = 1 << 20
    fr, dec = FragmentReassembler(max_bytes=max_bytes), Decoder(1024)
    chunk = bytes(range(256)) * 5 + bytes(120)  # 1400 bytes
    for b in range(6):
        frames = [v4_frag(chunk, 0, True, ident=b * 1000 + k) for k in range(1000)]
        raw = batch(frames)
        assert fr.add(raw, dec.decode(raw)) is None
        assert fr.buffered_bytes <= max_bytes
        assert len(fr._arena) <= 8 / 3 * (max_bytes + 65_535)
    assert fr.counters["evicted"] == 6000 - len(fr) and len(fr) == max_bytes // 1400
