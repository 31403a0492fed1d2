"""TcpReassembler: hand-built cases for each rule and property tests of the stream invariant."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wirelens.core import limits
from wirelens.core.weirds import Weird
from wirelens.flow.reassembly import FIN, RST, SYN, Delivery, TcpReassembler, seq_diff

ACK = 0x10
ISN = 1000
MOD = 1 << 32


def syn(r: TcpReassembler, isn: int = ISN, data: bytes = b"", fwd: bool = True) -> Delivery:
    return r.add(fwd, isn, SYN, data)


def rebuild(deliveries: list[Delivery]) -> tuple[dict[int, int], int]:
    """Positions -> byte of everything delivered, and the final position (holes included)."""
    pos = 0
    got: dict[int, int] = {}
    for dv in deliveries:
        assert dv.gap == sum(n for _, n in dv.holes)
        holes = dict(dv.holes) if dv.holes else {}
        idx = [i for i, _ in dv.holes]
        assert idx == sorted(idx) and all(0 <= i <= len(dv.data) for i in idx)
        assert all(n > 0 for _, n in dv.holes)
        for i, b in enumerate(dv.data):
            pos += holes.pop(i, 0)
            got[pos] = b
            pos += 1
        pos += holes.pop(len(dv.data), 0)
        assert not holes
    return got, pos


# ---------------------------------------------------------------- hand-built cases


def test_delivery_is_frozen_and_defaults_empty() -> None:
    d = Delivery()
    assert (d.data, d.weirds, d.gap, d.holes, d.fin) == (b"", (), 0, (), False)
    with pytest.raises(AttributeError):  # immutable
        d.data = b"x"  # type: ignore[misc]


def test_weird_names_are_registered() -> None:
    for name in ("tcp_overlap_conflict", "tcp_gap", "tcp_reassembly_limit",
                 "tcp_seq_out_of_window", "tcp_data_after_fin"):
        assert Weird[name].name == name


def test_seq_diff_is_serial_arithmetic() -> None:
    assert seq_diff(5, 3) == 2
    assert seq_diff(3, 5) == -2
    assert seq_diff(2, MOD - 3) == 5          # across the wrap
    assert seq_diff(MOD - 3, 2) == -5
    assert seq_diff(1 << 31, 0) == -(1 << 31)  # the one ambiguous distance


def test_in_order_delivered_at_once() -> None:
    r = TcpReassembler()
    assert syn(r) == Delivery()
    assert r.add(True, ISN + 1, ACK, b"hello ").data == b"hello "
    d = r.add(True, ISN + 7, ACK, b"world")
    assert d == Delivery(b"world")
    assert r.buffered(True) == (0, 0)


def test_reordered_segment_buffered_then_delivered() -> None:
    r = TcpReassembler()
    syn(r)
    assert r.add(True, ISN + 4, ACK, b"def") == Delivery()
    assert r.buffered(True) == (3, 1)
    assert r.add(True, ISN + 7, ACK, b"ghi") == Delivery()
    assert r.add(True, ISN + 1, ACK, b"abc").data == b"abcdefghi"
    assert r.buffered(True) == (0, 0)


def test_three_way_reorder_split_client_hello_like() -> None:
    r = TcpReassembler()
    msg = bytes(range(256)) * 4
    parts = [(0, msg[:300]), (300, msg[300:700]), (700, msg[700:])]
    syn(r)
    out = b""
    for off, p in (parts[2], parts[0], parts[1]):
        d = r.add(True, ISN + 1 + off, ACK | 0x08, p)
        assert d.weirds == () and d.gap == 0
        out += d.data
    assert out == msg


def test_duplicate_dropped_without_weird() -> None:
    r = TcpReassembler()
    syn(r)
    assert r.add(True, ISN + 1, ACK, b"abc").data == b"abc"
    assert r.add(True, ISN + 1, ACK, b"abc") == Delivery()
    # duplicate of a buffered segment
    assert r.add(True, ISN + 10, ACK, b"xyz") == Delivery()
    assert r.add(True, ISN + 10, ACK, b"xyz") == Delivery()
    assert r.buffered(True) == (3, 1)


def test_partial_overlap_same_bytes_trimmed() -> None:
    r = TcpReassembler()
    syn(r)
    assert r.add(True, ISN + 1, ACK, b"abcd").data == b"abcd"
    d = r.add(True, ISN + 3, ACK, b"cdefg")  # 2 old bytes, 3 new
    assert d == Delivery(b"efg")


def test_overlap_conflict_with_delivered_keeps_first_copy_and_reports_once() -> None:
    r = TcpReassembler()
    syn(r)
    r.add(True, ISN + 1, ACK, b"abcd")
    d = r.add(True, ISN + 3, ACK, b"XYef")
    assert d.data == b"ef" and d.weirds == ("tcp_overlap_conflict",)
    d = r.add(True, ISN + 1, ACK, b"ZZZZ")
    assert d == Delivery()  # second conflict: same weird is not repeated
    # the other direction has its own once-only set
    syn(r, 50, fwd=False)
    r.add(False, 51, ACK, b"qr")
    assert r.add(False, 51, ACK, b"wr").weirds == ("tcp_overlap_conflict",)
    # (a 1-byte retransmission of the last byte looks like a keep-alive: not compared)
    assert r.add(False, 52, ACK, b"!") == Delivery()


def test_overlap_conflict_between_buffered_pieces_keeps_first() -> None:
    r = TcpReassembler()
    syn(r)
    assert r.add(True, ISN + 5, ACK, b"efgh") == Delivery()
    d = r.add(True, ISN + 3, ACK, b"cdEFGhij")  # c d | E F G h (conflict on e f g) | i j
    assert d.weirds == ("tcp_overlap_conflict",)
    assert r.buffered(True) == (8, 1)
    assert r.add(True, ISN + 1, ACK, b"ab").data == b"abcdefghij"


def test_new_segment_spanning_several_buffered_pieces() -> None:
    r = TcpReassembler()
    syn(r)
    r.add(True, ISN + 3, ACK, b"c")
    r.add(True, ISN + 6, ACK, b"f")
    r.add(True, ISN + 9, ACK, b"i")
    d = r.add(True, ISN + 2, ACK, b"bcdefghij")
    assert d == Delivery()
    assert r.buffered(True) == (9, 1)  # b c de f gh i j coalesced into one piece
    assert r.add(True, ISN + 1, ACK, b"a").data == b"abcdefghij"


def test_syn_with_data() -> None:
    r = TcpReassembler()
    d = syn(r, data=b"fastopen")  # RFC 7413: data in the SYN starts at ISN+1
    assert d.data == b"fastopen"
    assert r.add(True, ISN + 9, ACK, b"!").data == b"!"
    assert syn(r, data=b"fastopen") == Delivery()  # retransmitted SYN


def test_syn_without_data_consumes_one_sequence_number() -> None:
    r = TcpReassembler()
    syn(r)
    # a segment at the ISN itself would overlap the SYN: its first byte is not data
    assert r.add(True, ISN + 1, ACK, b"x").data == b"x"
    r2 = TcpReassembler()
    syn(r2)
    assert r2.add(True, ISN + 2, ACK, b"y") == Delivery()  # one byte missing: buffered


def test_without_syn_starts_at_first_segment_seen() -> None:
    r = TcpReassembler()
    assert r.add(True, 5000, ACK, b"") == Delivery()  # a pure ACK does not start the stream
    assert r.add(True, 7000, ACK, b"mid").data == b"mid"
    assert r.add(True, 6990, ACK, b"0123456789") == Delivery()  # before the start: dropped
    assert r.add(True, 7003, ACK, b"end").data == b"end"


def test_wrap_around_near_2_32() -> None:
    isn = MOD - 3
    r = TcpReassembler()
    syn(r, isn)
    stream = b"0123456789"
    # data starts at 2**32 - 2 and crosses zero; deliver the post-wrap part first
    assert r.add(True, (isn + 5) % MOD, ACK, stream[4:]) == Delivery()
    assert r.add(True, (isn + 1) % MOD, ACK, stream[:4]).data == stream
    assert r.add(True, (isn + 1) % MOD, ACK, stream[:4]) == Delivery()  # old, not ahead


def test_wrap_around_without_syn_and_large_stream_offsets() -> None:
    r = TcpReassembler()
    start = MOD - 1
    total = b""
    seq = start
    for k in range(6):  # more than 2**32 would need too much memory; cross zero twice-ish
        chunk = bytes([k]) * 1000
        total += r.add(True, seq, ACK, chunk).data
        seq = (seq + 1000) % MOD
    assert total == b"".join(bytes([k]) * 1000 for k in range(6))


def test_keepalives_and_pure_acks_deliver_nothing() -> None:
    r = TcpReassembler()
    syn(r)
    r.add(True, ISN + 1, ACK, b"abc")
    assert r.add(True, ISN + 3, ACK, b"\x00") == Delivery()  # 1 garbage byte at nxt-1
    assert r.add(True, ISN + 3, ACK, b"") == Delivery()  # 0-byte keep-alive at nxt-1
    assert r.add(True, ISN + 4, ACK, b"") == Delivery()  # pure ACK
    assert r.add(True, ISN + 4, ACK | RST, b"") == Delivery()
    assert r.add(True, ISN + 4, ACK, b"d").data == b"d"


def test_rst_is_nothing_special() -> None:
    r = TcpReassembler()
    syn(r)
    assert r.add(True, ISN + 1, RST | ACK, b"reset reason").data == b"reset reason"


def test_fin_consumes_a_sequence_number_and_ends_stream() -> None:
    r = TcpReassembler()
    syn(r)
    d = r.add(True, ISN + 1, ACK | FIN, b"bye")
    assert d.data == b"bye" and d.fin
    assert r.add(True, ISN + 4, ACK | FIN, b"") == Delivery()  # retransmitted FIN
    # the FIN's own number is now nxt - 1: a 1-byte segment there is a keep-alive
    assert r.add(True, ISN + 4, ACK, b"\x00") == Delivery()
    d = r.add(True, ISN + 5, ACK, b"late")  # after the FIN's sequence number
    assert d.data == b"" and d.weirds == ("tcp_data_after_fin",)


def test_fin_reordered_before_data() -> None:
    r = TcpReassembler()
    syn(r)
    assert r.add(True, ISN + 4, ACK | FIN, b"") == Delivery()
    d = r.add(True, ISN + 1, ACK, b"abcXYZ")  # 3 bytes beyond the FIN are dropped
    assert d.data == b"abc" and d.fin and d.weirds == ("tcp_data_after_fin",)


def test_fin_trims_buffered_data_beyond_it() -> None:
    r = TcpReassembler()
    syn(r)
    r.add(True, ISN + 3, ACK, b"cdef")
    d = r.add(True, ISN + 5, ACK | FIN, b"")
    assert d.weirds == ("tcp_data_after_fin",)
    assert r.buffered(True) == (2, 1)
    d = r.add(True, ISN + 1, ACK, b"ab")
    assert d.data == b"abcd" and d.fin


def test_segment_bound_gives_up_oldest_hole_and_later_data_flows() -> None:
    r = TcpReassembler(max_segments=2)
    syn(r)
    assert r.add(True, ISN + 11, ACK, b"kl") == Delivery()
    assert r.add(True, ISN + 21, ACK, b"uv") == Delivery()
    d = r.add(True, ISN + 31, ACK, b"EF")  # third piece: over the bound
    assert d.weirds == ("tcp_reassembly_limit", "tcp_gap")
    assert d.data == b"kl" and d.gap == 10 and d.holes == ((0, 10),)
    assert r.buffered(True) == (4, 2)
    # the hole given up on arrives late: dropped (it is "before" nxt now)
    assert r.add(True, ISN + 1, ACK, b"0123456789") == Delivery()
    # filling the next hole delivers in order, no new weird
    assert r.add(True, ISN + 13, ACK, b"mnopqrst") == Delivery(b"mnopqrstuv")
    d = r.add(True, ISN + 23, ACK, b"abcdefgh")
    assert d == Delivery(b"abcdefghEF")


def test_byte_bound_may_give_up_several_holes() -> None:
    r = TcpReassembler(max_buffered=10)
    syn(r)
    r.add(True, ISN + 3, ACK, b"cd")
    r.add(True, ISN + 7, ACK, b"gh")
    d = r.add(True, ISN + 20, ACK, b"0123456789")  # 14 > 10 buffered
    assert d.weirds == ("tcp_reassembly_limit", "tcp_gap")
    assert d.data == b"cdgh" and d.holes == ((0, 2), (2, 2)) and d.gap == 4
    assert r.buffered(True) == (10, 1)
    got, pos = rebuild([d])
    assert got == {2: ord("c"), 3: ord("d"), 6: ord("g"), 7: ord("h")} and pos == 8


def test_oversized_out_of_order_segment_never_held() -> None:
    r = TcpReassembler(max_buffered=100)
    syn(r)
    d = r.add(True, ISN + 51, ACK, b"x" * 500)
    assert d.data == b"x" * 500 and d.holes == ((0, 50),)
    assert r.buffered(True) == (0, 0)


def test_flush_skips_holes_and_reports_positions() -> None:
    r = TcpReassembler()
    syn(r)
    r.add(True, ISN + 1, ACK, b"ab")
    r.add(True, ISN + 5, ACK, b"ef")
    r.add(True, ISN + 9, ACK | FIN, b"ij")
    d = r.flush(True)
    assert d.data == b"efij" and d.holes == ((0, 2), (2, 2)) and d.gap == 4 and d.fin
    assert d.weirds == ("tcp_gap",)
    assert r.flush(True) == Delivery()
    assert r.flush(False) == Delivery()


def test_flush_reports_a_hole_before_the_fin() -> None:
    r = TcpReassembler()
    syn(r)
    r.add(True, ISN + 1, ACK, b"ab")
    r.add(True, ISN + 10, ACK | FIN, b"")
    d = r.flush(True)
    assert d.data == b"" and d.holes == ((0, 7),) and d.fin


def test_out_of_window_segment_dropped() -> None:
    r = TcpReassembler()
    syn(r)
    d = r.add(True, (ISN + 1 + limits.REASM_MAX_AHEAD + 1) % MOD, ACK, b"far")
    assert d == Delivery(weirds=("tcp_seq_out_of_window",))
    assert r.buffered(True) == (0, 0)
    assert r.add(True, ISN + 1, ACK, b"ok").data == b"ok"


def test_directions_are_independent() -> None:
    r = TcpReassembler()
    syn(r, 10, fwd=True)
    r.add(False, 90, SYN | ACK, b"")
    assert r.add(True, 13, ACK, b"CD") == Delivery()
    assert r.add(False, 91, ACK, b"resp").data == b"resp"
    assert r.buffered(True) == (2, 1) and r.buffered(False) == (0, 0)
    assert r.add(True, 11, ACK, b"AB").data == b"ABCD"


def test_bad_bounds_rejected() -> None:
    with pytest.raises(ValueError):
        TcpReassembler(max_buffered=-1)


def test_adversarial_tiny_segments_stay_bounded() -> None:
    """Many 1-byte segments in reverse order: bounds hold and all data is accounted for."""
    r = TcpReassembler()
    syn(r)
    n = 5000
    out = []
    for k in reversed(range(n)):
        out.append(r.add(True, ISN + 1 + k, ACK, bytes([k % 251])))
        b, s = r.buffered(True)
        assert b <= limits.REASM_MAX_BUFFERED_BYTES and s <= limits.REASM_MAX_SEGMENTS
    out.append(r.flush(True))
    got, pos = rebuild(out)
    assert pos == n
    assert all(got[p] == p % 251 for p in got)
    assert len(got) >= limits.REASM_MAX_SEGMENTS


# ---------------------------------------------------------------- property tests

ISNS = st.one_of(st.integers(0, MOD - 1), st.integers(MOD - 400, MOD - 1))  # wrap inside


@st.composite
def sessions(draw: st.DrawFn, window: int = 6, isns: st.SearchStrategy[int] = ISNS,
             min_size: int = 0) -> tuple[bytes, list[tuple[int, int, bytes]], bool]:
    """(stream, packets (seq, flags, payload) in arrival order, fin sent)."""
    stream = draw(st.binary(min_size=min_size, max_size=2000))
    isn = draw(isns)
    use_syn = draw(st.booleans())
    use_fin = draw(st.booleans())
    cuts = sorted(set(draw(st.lists(st.integers(1, max(1, len(stream) - 1)), max_size=30))))
    bounds = [0, *[c for c in cuts if 0 < c < len(stream)], len(stream)]
    segs = [(bounds[i], stream[bounds[i]:bounds[i + 1]]) for i in range(len(bounds) - 1)]
    segs = [s for s in segs if s[1]]
    base = (isn + 1) % MOD if use_syn else isn
    pkts: list[tuple[float, int, int, bytes]] = []
    if use_syn:
        if segs and draw(st.booleans()):  # data in the SYN
            off, p = segs.pop(0)
            pkts.append((-1.0, isn, SYN, p))
        else:
            pkts.append((-1.0, isn, SYN, b""))
    for k, (off, p) in enumerate(segs):
        flags = ACK | (FIN if use_fin and k == len(segs) - 1 else 0)
        key = -0.5 if (not use_syn and k == 0) else k + draw(st.integers(0, window))
        pkts.append((key, (base + off) % MOD, flags, p))
        for _ in range(draw(st.integers(0, 2)) if draw(st.booleans()) else 0):  # duplicates
            pkts.append((k + draw(st.integers(0, 3 * window)) + 0.5, (base + off) % MOD, flags, p))
    if use_fin and not segs:
        pkts.append((0.0, (base + len(stream)) % MOD, ACK | FIN, b""))
    if draw(st.booleans()):  # a pure ACK somewhere
        pkts.append((draw(st.integers(0, 10)) + 0.25, (base + len(stream)) % MOD, ACK, b""))
    pkts.sort(key=lambda t: t[0])
    return stream, [(s, f, p) for _, s, f, p in pkts], use_fin


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sessions())
def test_property_exact_stream_when_bounds_not_hit(
        case: tuple[bytes, list[tuple[int, int, bytes]], bool]) -> None:
    stream, pkts, use_fin = case
    r = TcpReassembler()
    out = [r.add(True, s, f, p) for s, f, p in pkts]
    out.append(r.flush(True))
    assert b"".join(d.data for d in out) == stream
    assert all(d.gap == 0 and d.holes == () and d.weirds == () for d in out)
    assert sum(d.fin for d in out) == (1 if use_fin else 0)
    assert r.buffered(True) == (0, 0)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sessions(window=8, isns=st.integers(MOD - 250, MOD - 1), min_size=300))
def test_property_exact_stream_across_the_wrap(
        case: tuple[bytes, list[tuple[int, int, bytes]], bool]) -> None:
    stream, pkts, _ = case
    # >= 300 bytes from an ISN >= 2**32 - 250: the stream always crosses zero
    assert any(s > MOD - 300 for s, _, _ in pkts)
    r = TcpReassembler()
    out = [r.add(True, s, f, p) for s, f, p in pkts]
    out.append(r.flush(True))
    assert b"".join(d.data for d in out) == stream
    assert all(d.gap == 0 and d.weirds == () for d in out)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sessions(window=12), st.integers(0, 300), st.integers(0, 4))
def test_property_subsequence_with_gaps_when_bounds_hit(
        case: tuple[bytes, list[tuple[int, int, bytes]], bool], max_bytes: int,
        max_segs: int) -> None:
    stream, pkts, use_fin = case
    r = TcpReassembler(max_buffered=max_bytes, max_segments=max_segs)
    out = []
    for s, f, p in pkts:
        out.append(r.add(True, s, f, p))
        b, n = r.buffered(True)
        assert b <= max_bytes and n <= max_segs
    out.append(r.flush(True))
    got, pos = rebuild(out)
    assert pos == len(stream)
    assert all(stream[p] == v for p, v in got.items())
    assert len(got) + sum(d.gap for d in out) == len(stream)
    names = [w for d in out for w in d.weirds]
    assert len(names) == len(set(names))  # each weird once
    assert ("tcp_gap" in names) == any(d.gap for d in out)
    assert "tcp_overlap_conflict" not in names
    if any(d.gap for d in out[:-1]):
        assert "tcp_reassembly_limit" in names
    assert sum(d.fin for d in out) == (1 if use_fin else 0)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.booleans(), st.one_of(st.integers(0, 40), st.integers(0, MOD - 1),
                                                   st.integers(-10, MOD + 10)),
                          st.integers(0, 255), st.binary(max_size=30)), max_size=60),
       st.integers(0, 64), st.integers(0, 5))
def test_property_never_raises_and_stays_bounded(
        pkts: list[tuple[bool, int, int, bytes]], max_bytes: int, max_segs: int) -> None:
    r = TcpReassembler(max_buffered=max_bytes, max_segments=max_segs)
    seen: dict[bool, list[str]] = {True: [], False: []}
    for fwd, s, f, p in pkts:
        d = r.add(fwd, s, f, p)
        assert isinstance(d.data, bytes) and d.gap >= 0
        seen[fwd] += d.weirds
        b, n = r.buffered(fwd)
        assert b <= max_bytes and n <= max_segs
    for fwd in (True, False):
        d = r.flush(fwd)
        seen[fwd] += d.weirds
        assert r.buffered(fwd) == (0, 0)
        assert len(seen[fwd]) == len(set(seen[fwd]))


def test_skip_moves_past_unwanted_bytes_without_a_weird() -> None:
    r = TcpReassembler()
    syn(r)
    assert r.add(True, ISN + 1, ACK, b"head").data == b"head"
    # bytes 4..9 and 12..15 arrive out of order; then the parser says 10 bytes are unwanted
    assert r.add(True, ISN + 1 + 6, ACK, b"body").data == b""
    assert r.add(True, ISN + 1 + 12, ACK, b"tailNEXT").data == b""
    got = r.skip(True, 10)  # [4, 14): drops "body", trims "tail" to "il"
    assert got.data == b"ilNEXT" and got.weirds == () and got.gap == 0
    assert r.next_seq(True) == (ISN + 1 + 20) % MOD and r.buffered(True) == (0, 0)
    # the skipped range seen again (a retransmission) delivers nothing and is no conflict
    again = r.add(True, ISN + 1 + 4, ACK, b"????????")
    assert again.data == b"" and again.weirds == ()
    assert r.add(True, ISN + 1 + 20, ACK, b"more").data == b"more"


def test_skip_stops_at_the_fin_and_before_the_start_does_nothing() -> None:
    r = TcpReassembler()
    assert r.skip(True, 10) == Delivery()  # nothing started yet
    syn(r)
    r.add(True, ISN + 1, ACK, b"abc")
    r.add(True, ISN + 1 + 10, FIN | ACK, b"")  # FIN at offset 10
    got = r.skip(True, 100)
    assert got.fin and r.next_seq(True) == (ISN + 1 + 11) % MOD


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sessions(), st.integers(0, 40), st.integers(1, 200))
def test_property_skip_removes_exactly_the_skipped_bytes(
        case: tuple[bytes, list[tuple[int, int, bytes]], bool], when: int, length: int) -> None:
    """Skipping ``length`` bytes after the ``when``-th segment: the stream delivered is the
    sent one without those bytes (none of them, and every other one, once), with no weird."""
    stream, pkts, _ = case
    r = TcpReassembler()
    out: list[Delivery] = []
    cut: tuple[int, int] | None = None
    for k, (s, f, p) in enumerate(pkts):
        out.append(r.add(True, s, f, p))
        if k == when:
            at = sum(len(d.data) for d in out)
            out.append(r.skip(True, length))
            cut = (at, min(at + length, len(stream)))
    out.append(r.flush(True))
    got = b"".join(d.data for d in out)
    if cut is None:
        assert got == stream
    else:
        assert got == stream[:cut[0]] + stream[cut[1]:]
    assert all(d.gap == 0 and d.weirds == () for d in out)


# ---------------------------------------------------------------- holes the peer acknowledges


def test_acked_hole_given_up_at_once_and_what_follows_delivered() -> None:
    """A segment the capture cut short (snap length) leaves a hole its peer acknowledges:
    the hole is given up on then, and the buffered bytes after it come out in order."""
    r = TcpReassembler()
    syn(r)
    assert r.add(True, ISN + 1, ACK, b"GET /1 ") == Delivery(b"GET /1 ")  # 7 of 20 captured
    assert r.add(True, ISN + 21, ACK, b"GET /2") == Delivery()  # after the hole: waits
    d = r.acked(True, ISN + 15)  # part of the hole acknowledged: that part is lost
    assert d.data == b"" and d.holes == ((0, 7),) and d.weirds == ("tcp_gap",)
    d = r.acked(True, ISN + 21)  # the rest
    assert d.data == b"GET /2" and d.holes == ((0, 6),) and d.weirds == ()
    assert r.acked(True, ISN + 27) == Delivery() and r.buffered(True) == (0, 0)
    assert r.acked(True, ISN + 2) == Delivery()  # an old acknowledgement: nothing


def test_acked_bytes_never_seen_with_nothing_after_them() -> None:
    r = TcpReassembler()
    syn(r)
    r.add(True, ISN + 1, ACK, b"ab")
    d = r.acked(True, ISN + 10)  # 7 bytes acknowledged, none seen, nothing buffered
    assert d.data == b"" and d.holes == ((0, 7),)
    assert r.add(True, ISN + 10, ACK, b"xy") == Delivery(b"xy")  # in step after it
    assert r.add(True, ISN + 5, ACK, b"late") == Delivery()  # the hole's bytes: old now


def test_acked_ignores_silent_directions_far_acks_and_the_fin() -> None:
    r = TcpReassembler()
    syn(r, fwd=False)  # the other side's SYN: started, but it never sent data
    assert r.acked(False, ISN + 500) == Delivery()  # a one-sided capture: nothing given up
    syn(r)
    r.add(True, ISN + 1, ACK, b"ab")
    assert r.acked(True, ISN + 3 + limits.REASM_MAX_AHEAD + 1) == Delivery()
    r.add(True, ISN + 8, ACK | FIN, b"")  # FIN at offset 7
    d = r.acked(True, ISN + 9)  # acknowledges the FIN too
    assert d.holes == ((0, 5),) and d.fin


def test_start_is_a_syn_before_the_number() -> None:
    """``start(seq)`` places a direction's stream as its SYN at ``seq - 1`` would (the DPI
    stage starts the other side where the first segment's ACK points); a started stream
    keeps its start."""
    r, s = TcpReassembler(), TcpReassembler()
    r.start(False, 0)  # (the SYN would be at 2**32 - 1: the wrap)
    syn(s, MOD - 1, fwd=False)
    for x in (r, s):
        x.start(False, 77)  # started: nothing
        assert x.add(False, 5, ACK, b"late") == Delivery()  # ahead: buffered
        assert x.add(False, 0, ACK, b"early") == Delivery(b"earlylate")
    assert r.next_seq(False) == s.next_seq(False) == 9


def test_acknowledged_bytes_leave_the_history() -> None:
    """The history (retransmissions compared against it) holds only the bytes the peer has
    not acknowledged: a keep-alive connection between exchanges holds none, whatever it
    carried. A changed copy of unacknowledged bytes is still a conflict."""
    r = TcpReassembler()
    syn(r)
    for k in range(40):  # 40 KB delivered, each request acknowledged by the peer
        r.add(True, ISN + 1 + 1000 * k, ACK, bytes([65 + k % 26]) * 1000)
        assert r.acked(True, ISN + 1 + 1000 * (k + 1)) == Delivery()
    d = r._dirs[1]
    assert len(d.hist) == 0
    r.add(True, ISN + 40_001, ACK, b"abcdefgh")
    r.acked(True, ISN + 40_005)  # half of it acknowledged
    assert bytes(d.hist) == b"efgh"
    assert r.add(True, ISN + 40_001, ACK, b"ABCD") == Delivery()  # acknowledged: not compared
    assert r.add(True, ISN + 40_005, ACK, b"EFGH").weirds == ("tcp_overlap_conflict",)
    assert r.acked(True, ISN + 1) == Delivery() and bytes(d.hist) == b"efgh"  # an old ACK


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sessions(window=12), st.lists(st.tuples(st.integers(0, 80), st.integers(0, 2100)),
                                     max_size=20))
def test_property_acked_keeps_the_stream_invariant(
        case: tuple[bytes, list[tuple[int, int, bytes]], bool],
        acks: list[tuple[int, int]]) -> None:
    """Acknowledgements anywhere among the segments (at any offset of the stream): every
    byte delivered is the sender's byte at its position, positions only grow, and the
    stream ends at its length; a hole is only given up on below an acknowledgement."""
    stream, pkts, use_fin = case
    base = None
    r = TcpReassembler()
    out = []
    by_index: dict[int, list[int]] = {}
    for at, off in acks:
        by_index.setdefault(at, []).append(off)
    for k, (s, f, p) in enumerate(pkts):
        out.append(r.add(True, s, f, p))
        if base is None and (f & SYN or p):
            base = (s + 1) % MOD if f & SYN else s
        for off in by_index.get(k, ()):
            if base is not None:
                before = r.next_seq(True)
                d = r.acked(True, (base + min(off, len(stream))) % MOD)
                if d.gap:  # given up only on bytes the acknowledgement covers
                    assert seq_diff((base + min(off, len(stream))) % MOD, before) > 0
                out.append(d)
    out.append(r.flush(True))
    got, pos = rebuild(out)
    assert all(stream[q] == v for q, v in got.items())
    assert len(got) + sum(d.gap for d in out) == len(stream) == pos
    assert sum(d.fin for d in out) == (1 if use_fin else 0)
