"""FlowTable: hand-built sequences and a property test against the naive reference."""

from __future__ import annotations

import itertools
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from tests.naive.flow import NaiveFlowMeter, Pkt, isclose, to_batch  # noqa: I001
from wirelens.flow import CONN_STATES, END_REASONS, FLOW_COLUMNS, FlowTable

S, A, F, R, P = 2, 16, 1, 4, 8
SEC = 1_000_000_000
C, SV = (0, 0xFFFF_0A00_0001), (0, 0xFFFF_0A00_0002)  # client, server (IPv4-mapped)


def tcp(ts: int, fwd: bool, flags: int, payload: int = 0, **kw: Any) -> Pkt:
    """A TCP packet of the client 1000 <-> server 80 conversation."""
    src, dst, sp, dp = (C, SV, 1000, 80) if fwd else (SV, C, 80, 1000)
    return Pkt(ts=ts, src=src, dst=dst, sport=sp, dport=dp, proto=6, flags=flags,
               payload=payload, ip_len=40 + payload, wirelen=54 + payload, **kw)


def run(pkts: list[Pkt], **kw: Any) -> tuple[dict[str, np.ndarray], list[Any], FlowTable]:
    """Feed ``pkts`` as one batch, then flush; returns (all ended flows, [step], table)."""
    ft = FlowTable(**kw)
    step = ft.process(*to_batch(pkts))
    rest = ft.flush()
    cols = {k: np.concatenate([step.ended[k], rest[k]]) for k in FLOW_COLUMNS}
    return cols, [step], ft


def hist(cols: dict[str, np.ndarray], i: int) -> str:
    return bytes(cols["history"][i]).rstrip(b"\0").decode()


def state(cols: dict[str, np.ndarray], i: int) -> str:
    return CONN_STATES[int(cols["conn_state"][i])]


def reason(cols: dict[str, np.ndarray], i: int) -> str:
    return END_REASONS[int(cols["end_reason"][i])]


HANDSHAKE_DATA_CLOSE = [
    tcp(0, True, S), tcp(1_000_000, False, S | A), tcp(2_000_000, True, A),
    tcp(3_000_000, True, A | P, 100), tcp(5_000_000, False, A | P, 300),
    tcp(6_000_000, True, F | A), tcp(7_000_000, False, F | A), tcp(8_000_000, True, A),
]


def test_handshake_data_close_is_one_sf_flow() -> None:
    cols, (step,), ft = run(HANDSHAKE_DATA_CLOSE)
    assert len(cols["flow_id"]) == 1
    assert step.pkt_flow_id.tolist() == [1] * 8
    assert step.pkt_dir.tolist() == [0, 1, 0, 0, 1, 0, 1, 0]
    assert step.pkt_dpi.tolist() == [0, 0, 0, 3, 3, 0, 0, 0]  # marked, handshake seen
    assert state(cols, 0) == "SF"
    assert hist(cols, 0) == "ShADdFf"
    assert cols["orig_pkts"][0] == 5 and cols["resp_pkts"][0] == 3
    assert cols["orig_payload_bytes"][0] == 100 and cols["resp_payload_bytes"][0] == 300
    assert cols["orig_ip_bytes"][0] == 5 * 40 + 100
    assert cols["orig_wire_bytes"][0] == 5 * 54 + 100
    assert cols["orig_syn_pkts"][0] == 1 and cols["resp_syn_pkts"][0] == 1
    assert cols["orig_fin_pkts"][0] == 1 and cols["resp_fin_pkts"][0] == 1
    assert cols["orig_ack_pkts"][0] == 4 and cols["resp_ack_pkts"][0] == 3
    assert cols["orig_psh_pkts"][0] == 1
    assert cols["orig_p"][0] == 1000 and cols["resp_p"][0] == 80
    assert cols["orig_lo"][0] == C[1]
    assert cols["bidirectional_max_ps"][0] == 340
    assert cols["bidirectional_min_ps"][0] == 40
    assert cols["dst2src_mean_ps"][0] == pytest.approx((40 + 340 + 40) / 3)
    assert cols["bidirectional_max_piat_ms"][0] == pytest.approx(2.0)
    assert cols["src2dst_min_piat_ms"][0] == pytest.approx(1.0)
    assert cols["first_n"][0] == 8
    assert cols["first_ps"][0].tolist() == [40, 40, 40, 140, 340, 40, 40, 40, 0, 0]
    # the flow's last time is the second FIN (the trailing ACK still counts in packets)
    assert cols["last_ts_ns"][0] == 7_000_000
    # closed by both FINs, lingering at flush -> still reported as eof
    assert reason(cols, 0) == "eof"
    assert ft.stats["created"] == 1 and ft.stats["open"] == 0


def test_closed_flow_lingers_then_ends_with_fin() -> None:
    pkts = [*HANDSHAKE_DATA_CLOSE, tcp(20 * SEC, True, A, src_mac=0)]
    # the last packet is after the linger window: a new (midstream) flow
    cols, _, _ = run(pkts)
    assert len(cols["flow_id"]) == 2
    assert reason(cols, 0) == "fin" and state(cols, 0) == "SF"
    assert state(cols, 1) == "OTH"


def test_trailing_ack_after_both_fins_is_same_flow() -> None:
    pkts = [*HANDSHAKE_DATA_CLOSE, tcp(2 * SEC, False, A), tcp(3 * SEC, True, F | A)]
    cols, (step,), _ = run(pkts)
    assert len(cols["flow_id"]) == 1
    assert set(step.pkt_flow_id.tolist()) == {1}
    assert cols["orig_fin_pkts"][0] == 2


@pytest.mark.parametrize(
    ("pkts", "expected"),
    [
        ([tcp(0, True, S), tcp(1, False, R | A)], "REJ"),
        ([tcp(0, True, S), tcp(1, False, S | A), tcp(2, True, A), tcp(3, True, R)], "RSTO"),
        ([tcp(0, True, S), tcp(1, False, S | A), tcp(2, True, A), tcp(3, False, R)], "RSTR"),
        ([tcp(0, True, S), tcp(1, True, R)], "RSTOS0"),
        ([tcp(0, True, S)], "S0"),
        ([tcp(0, True, S), tcp(1, False, S | A), tcp(2, True, A)], "S1"),
        ([tcp(0, True, S), tcp(1, False, S | A), tcp(2, True, A), tcp(3, True, F | A)], "S2"),
        ([tcp(0, True, S), tcp(1, False, S | A), tcp(2, True, A), tcp(3, False, F | A)], "S3"),
        ([tcp(0, True, S), tcp(1, True, F)], "SH"),
        ([tcp(0, True, A, 10), tcp(1, False, A, 10)], "OTH"),
    ],
)
def test_conn_states(pkts: list[Pkt], expected: str) -> None:
    cols, _, _ = run(pkts)
    assert len(cols["flow_id"]) == 1
    assert state(cols, 0) == expected


def test_rst_closes_and_lingers() -> None:
    pkts = [tcp(0, True, S), tcp(1, False, R | A), tcp(2, True, S)]
    cols, _, ft = run(pkts)
    # SYN retry after the RST: port reuse -> two flows
    assert len(cols["flow_id"]) == 2
    assert reason(cols, 0) == "rst" and state(cols, 0) == "REJ"
    assert ft.stats["ended_rst"] == 1


def test_syn_ack_first_swaps_originator() -> None:
    cols, (step,), _ = run([tcp(0, False, S | A), tcp(1, True, A)])
    assert len(cols["flow_id"]) == 1
    assert cols["orig_lo"][0] == C[1] and cols["orig_p"][0] == 1000
    assert step.pkt_dir.tolist() == [1, 0]
    assert hist(cols, 0) == "hA"


OUTER = [(0, 0), (0, 0xFFFF_C000_0201), (0xFE80 << 48, 5)]
"""Outer tunnel addresses: none, 192.0.2.1, fe80::5 (a high half past 2**63)."""


def test_tunnel_endpoints_follow_the_roles() -> None:
    """The outer addresses of the flow's first packet, each on its side: swapped with the
    roles when the first packet is a SYN-ACK; later packets' outer addresses change
    nothing."""
    v4, v6 = OUTER[1], OUTER[2]
    pkts = [tcp(0, False, S | A, tunnel=3, outer_src=v6, outer_dst=v4),
            tcp(1, True, A, tunnel=3, outer_src=(0, 9), outer_dst=(0, 8))]
    cols, _, _ = run(pkts)
    assert len(cols["flow_id"]) == 1
    assert (int(cols["orig_tunnel_hi"][0]), int(cols["orig_tunnel_lo"][0])) == v4
    assert (int(cols["resp_tunnel_hi"][0]), int(cols["resp_tunnel_lo"][0])) == v6


def test_idle_timeout_splits() -> None:
    pkts = [tcp(0, True, A, 5), tcp(SEC, False, A, 5), tcp(200 * SEC, True, A, 5)]
    cols, (step,), ft = run(pkts)
    assert step.pkt_flow_id.tolist() == [1, 1, 2]
    assert reason(cols, 0) == "idle" and reason(cols, 1) == "eof"
    assert ft.stats["ended_idle"] == 1


def test_active_timeout_splits() -> None:
    pkts = [tcp(k * 60 * SEC, k % 2 == 0, A, 5) for k in range(40)]  # 39 min, never idle
    cols, (step,), ft = run(pkts)
    assert ft.stats["ended_active"] == 1
    assert reason(cols, 0) == "active"
    assert cols["orig_pkts"][0] + cols["resp_pkts"][0] == 30
    assert step.pkt_flow_id[30] == 2
    # the new flow's originator is the sender of its first packet (packet 30: fwd)
    assert cols["orig_lo"][1] == C[1]


@pytest.mark.parametrize("closing", [F | A, R])
def test_closed_flow_cut_by_the_active_timeout_keeps_its_close_reason(closing: int) -> None:
    """A connection closed 8 ms in, its 5 s linger cut short by a 3 s active timeout (a UDP
    flow keeps the timer going): it ended by its FIN or RST, not "active"."""
    close = ([tcp(6_000_000, True, F | A), tcp(7_000_000, False, F | A)] if closing & F
             else [tcp(6_000_000, True, R)])
    other = Pkt(ts=4 * SEC, src=C, dst=SV, sport=53, dport=53, proto=17, payload=10,
                ip_len=38, wirelen=52)
    cols, _, ft = run([*HANDSHAKE_DATA_CLOSE[:5], *close, other], active_timeout_s=3.0)
    assert len(cols["flow_id"]) == 2
    assert reason(cols, 0) == ("fin" if closing & F else "rst")
    assert ft.stats["ended_active"] == 0


def test_port_reuse_after_close_gives_two_flows() -> None:
    pkts = [*HANDSHAKE_DATA_CLOSE, tcp(SEC, True, S), tcp(SEC + 1, False, S | A)]
    cols, (step,), _ = run(pkts)
    assert len(cols["flow_id"]) == 2
    assert step.pkt_flow_id.tolist() == [1] * 8 + [2, 2]
    assert reason(cols, 0) == "fin"
    assert hist(cols, 1) == "Sh"


def test_a_new_syn_on_an_open_flow_is_a_new_connection() -> None:
    """A SYN from the originator with another sequence number than its first segment's: a
    new connection on the same ports whose predecessor's end was never seen (ended "reuse",
    as Zeek splits them); a SYN sent again (same number) or one from the responder side (a
    simultaneous open) stays in the flow."""
    opened = [tcp(0, True, S, seq=500), tcp(SEC // 10, False, S | A, seq=9000),
              tcp(SEC // 5, True, A | P, 10, seq=501)]
    cols, (step,), _ = run([*opened, tcp(3 * SEC, True, S, seq=77_000),
                            tcp(3 * SEC + 1, False, S | A, seq=12)])
    assert step.pkt_flow_id.tolist() == [1, 1, 1, 2, 2]
    assert [reason(cols, 0), reason(cols, 1)] == ["reuse", "eof"]
    assert [hist(cols, 0), hist(cols, 1)] == ["ShD", "Sh"]
    for same in (tcp(SEC, True, S, seq=500), tcp(SEC, False, S, seq=4)):
        cols, (step,), _ = run([*opened, same])
        assert step.pkt_flow_id.tolist() == [1] * 4 and reason(cols, 0) == "eof"
    # a flow joined in its middle: its first segment's number is the one compared; its own
    # SYN captured after its first data (a number up to 64 KiB before it) stays in it
    cols, (step,), _ = run([tcp(0, True, A | P, 10, seq=40), tcp(1, True, S, seq=39),
                            tcp(2, True, S, seq=41), tcp(3, True, S, seq=2**32 - 5)])
    assert step.pkt_flow_id.tolist() == [1, 1, 2, 2]
    cols, (step,), _ = run([tcp(0, True, A | P, 10, seq=70_000), tcp(1, True, S, seq=1)])
    assert step.pkt_flow_id.tolist() == [1, 2]


def test_icmp_echo_request_reply_one_flow() -> None:
    req = Pkt(ts=0, src=C, dst=SV, sport=8, dport=0, proto=1, icmp_type=8, ip_len=84)
    rep = Pkt(ts=1, src=SV, dst=C, sport=0, dport=0, proto=1, icmp_type=0, ip_len=84)
    cols, _, _ = run([req, rep])
    assert len(cols["flow_id"]) == 1
    assert cols["icmp_type"][0] == 8 and cols["resp_pkts"][0] == 1
    assert state(cols, 0) == "OTH"


def test_vlan_and_tunnel_id_separate_flows() -> None:
    pkts = [tcp(0, True, A, 1), tcp(1, True, A, 1, vlan=10), tcp(2, True, A, 1, vlan=10,
            vlan_inner=20), tcp(3, True, A, 1, tunnel=3, tunnel_id=7),
            tcp(4, True, A, 1, tunnel=3, tunnel_id=8), tcp(5, False, A, 1, vlan=10)]
    cols, (step,), _ = run(pkts)
    assert len(cols["flow_id"]) == 5
    assert step.pkt_flow_id.tolist() == [1, 2, 3, 4, 5, 2]


def test_non_ok_rows_are_not_flow_packets() -> None:
    pkts = [tcp(0, True, A, 1, status=1), tcp(1, True, A, 1)]
    cols, (step,), _ = run(pkts)
    assert step.pkt_flow_id.tolist() == [0, 1]
    assert step.pkt_slot[0] == -1
    assert len(cols["flow_id"]) == 1


def _udp_flows(n: int, t0: int = 0, step_ns: int = 1000) -> list[Pkt]:
    return [Pkt(ts=t0 + i * step_ns, src=(0, 0xFFFF_0000_0000 + i), dst=SV, sport=5000,
                dport=53, proto=17, ip_len=60, payload=32) for i in range(n)]


def test_table_growth_many_open_flows() -> None:
    ft = FlowTable(initial_slots=4)
    step = ft.process(*to_batch(_udp_flows(1000)))
    assert len(step.ended["flow_id"]) == 0
    assert ft.stats["open"] == 1000 and ft.stats["capacity"] == 1024
    # every flow still found after growth (rehash): replies join the same flows
    replies = [Pkt(ts=10**6 + i, src=SV, dst=(0, 0xFFFF_0000_0000 + i), sport=53, dport=5000,
                   proto=17, ip_len=60) for i in range(1000)]
    step2 = ft.process(*to_batch(replies))
    assert step2.pkt_flow_id.tolist() == list(range(1, 1001))
    assert (step2.pkt_dir == 1).all()
    out = ft.flush()
    assert out["flow_id"].tolist() == list(range(1, 1001))  # flush in creation order
    assert (out["resp_pkts"] == 1).all()
    assert ft.stats["created"] == 1000 and ft.stats["open"] == 0


def test_flush_in_pieces_of_the_ended_buffer() -> None:
    ft = FlowTable(initial_slots=4, ended_rows=64)
    ft.process(*to_batch(_udp_flows(1000)))
    pieces = list(ft.flush_chunks())
    assert [len(p["flow_id"]) for p in pieces] == [64] * 15 + [40]
    assert np.concatenate([p["flow_id"] for p in pieces]).tolist() == list(range(1, 1001))
    assert ft.stats["open"] == 0 and list(ft.flush_chunks()) == []


def test_stop_dpi_for_an_ended_flow_is_ignored() -> None:
    """A flow's slot is freed when it ends and may hold another flow later: a stop asked
    for the ended flow changes nothing, on the free slot nor on the flow that reuses it."""
    ft = FlowTable(dpi_packets=8, idle_timeout_s=1)
    first = ft.process(*to_batch([tcp(0, True, A, 10)]))
    ft.process(*to_batch([Pkt(ts=5 * SEC, src=(0, 7), dst=SV, sport=1, dport=2, proto=17,
                              ip_len=60, payload=32)]))  # the first flow ends idle
    ft.stop_dpi(first.pkt_slot, first.pkt_flow_id)  # stale: its slot is free
    later = ft.process(*to_batch([tcp(6 * SEC, True, A, 10)]))
    assert later.pkt_slot[0] == first.pkt_slot[0] and later.pkt_flow_id[0] != first.pkt_flow_id[0]
    assert later.pkt_dpi.tolist() == [1]


def test_hard_bound_evicts_idle_longest() -> None:
    ft = FlowTable(max_flows=100, initial_slots=16, ended_rows=7)
    pkts = _udp_flows(100)
    # touch flows 50..99 again, in that order, then 0..49: idle order is now 50..99, 0..49
    order = list(range(50, 100)) + list(range(50))
    pkts += [Pkt(ts=10**6 + k, src=(0, 0xFFFF_0000_0000 + i), dst=SV, sport=5000, dport=53,
                 proto=17, ip_len=60) for k, i in enumerate(order)]
    new = [Pkt(ts=3 * 10**6 + i, src=(0, 0xFFFF_1000_0000 + i), dst=SV, sport=1, dport=2,
               proto=17, ip_len=60) for i in range(30)]
    step = ft.process(*to_batch(pkts + new))
    assert ft.stats["evicted"] == 30 and ft.stats["ended_evicted"] == 30
    assert ft.stats["open"] == 100 and ft.stats["capacity"] == 100
    ended = step.ended
    assert [END_REASONS[r] for r in ended["end_reason"]] == ["evicted"] * 30
    # emitted in idle order: flow ids are index + 1
    assert ended["flow_id"].tolist() == [i + 1 for i in order[:30]]


def test_stop_dpi_and_dpi_limit() -> None:
    ft = FlowTable(dpi_packets=3)
    pkts = [tcp(i, i % 2 == 0, A, 10) for i in range(6)]
    step = ft.process(*to_batch(pkts))
    assert step.pkt_dpi.tolist() == [1, 1, 1, 0, 0, 0]
    ft2 = FlowTable(dpi_packets=8)
    s1 = ft2.process(*to_batch(pkts[:2]))
    ft2.stop_dpi(s1.pkt_slot[:1], s1.pkt_flow_id[:1])
    ft2.stop_dpi(np.array([s1.pkt_slot[0]]), np.array([99], np.uint64))  # stale id: ignored
    s2 = ft2.process(*to_batch(pkts[2:]))
    assert s1.pkt_dpi.tolist() == [1, 1] and s2.pkt_dpi.tolist() == [0, 0, 0, 0]


def test_time_backwards_jump_tolerated() -> None:
    pkts = [tcp(10 * SEC, True, A, 1), tcp(9 * SEC, False, A, 1), tcp(11 * SEC, True, A, 1)]
    cols, _, _ = run(pkts)
    assert len(cols["flow_id"]) == 1
    assert cols["bidirectional_min_piat_ms"][0] == 0.0
    assert cols["bidirectional_max_piat_ms"][0] == pytest.approx(1000.0)


# ------------------------------------------------------------------------------------------
# property test against the naive reference

HOSTS = [(0, 0xFFFF_0A00_0000 + i) for i in range(3)] + [(0x20010DB8 << 32, 5)]


@st.composite
def packet_seqs(draw: st.DrawFn) -> tuple[list[Pkt], list[int]]:
    n = draw(st.integers(1, 120))
    pkts = []
    t = 10**12
    for _ in range(n):
        gap = draw(st.sampled_from([0, 1, 1000, 10**6, SEC, 3 * SEC, 11 * SEC, -500]))
        t += gap
        a, b = draw(st.sampled_from(HOSTS)), draw(st.sampled_from(HOSTS))
        proto = draw(st.sampled_from([6, 6, 6, 17, 1, 132]))
        flags = draw(st.sampled_from([S, S | A, A, A | P, F | A, R, R | A, F, 0, 255]))
        payload = draw(st.sampled_from([0, 0, 1, 100, 1400]))
        pkts.append(Pkt(
            ts=t, status=draw(st.sampled_from([0] * 9 + [1])), src=a, dst=b,
            sport=draw(st.sampled_from([1000, 80])), dport=draw(st.sampled_from([1000, 80])),
            proto=proto, flags=flags, payload=payload, ip_len=40 + payload,
            wirelen=54 + payload + draw(st.sampled_from([0, 4])),
            vlan=draw(st.sampled_from([0, 0, 0, 7])), ip_ver=4 if a[0] == 0 else 6,
            tunnel=draw(st.sampled_from([0, 0, 0, 3, 5])),
            tunnel_id=draw(st.sampled_from([0, 1, 2])),
            icmp_type=draw(st.sampled_from([0, 8, 3])), src_mac=1, dst_mac=2,
            outer_src=draw(st.sampled_from(OUTER)), outer_dst=draw(st.sampled_from(OUTER)),
            # sequence numbers around the 2**32 wrap: in order, repeated, skipped, filled
            seq=(2**32 - 1500 + draw(st.sampled_from([0, 1, 100, 101, 1400, 1401, 1500, 2900,
                                                       3000]))) % 2**32,
            ack=(2**32 - 1500 + draw(st.sampled_from([0, 100, 1400, 1500, 3000]))) % 2**32,
            win=draw(st.sampled_from([1024, 1024, 0])),
        ))
    cuts = sorted(set(draw(st.lists(st.integers(0, n), max_size=4))))
    return pkts, cuts


def _compare(ours: dict[str, np.ndarray], ref: list[dict[str, Any]]) -> None:
    assert len(ours["flow_id"]) == len(ref)
    for i, r in enumerate(ref):
        for k in FLOW_COLUMNS:
            v = ours[k][i]
            if k == "history":
                assert bytes(v).rstrip(b"\0").decode() == r[k], (k, i)
            elif k in ("first_ps", "first_dir", "first_piat_ms"):
                got = v[: r["first_n"]].tolist()
                assert all(isclose(x, y) for x, y in zip(got, r[k], strict=True)), (k, i)
                assert not v[r["first_n"]:].any(), (k, i)
            elif isinstance(r[k], float):
                assert isclose(float(v), r[k]), (k, i, float(v), r[k])
            else:
                assert int(v) == r[k], (k, i, int(v), r[k])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seq=packet_seqs(), max_flows=st.integers(1, 6), init=st.sampled_from([1, 2, 16]),
       ended_rows=st.sampled_from([2, 3, 64]), prefetch=st.booleans(), vlan_key=st.booleans())
def test_matches_naive_reference(seq: tuple[list[Pkt], list[int]], max_flows: int, init: int,
                                 ended_rows: int, prefetch: bool, vlan_key: bool) -> None:
    pkts, cuts = seq
    kw = {"idle_timeout_s": 10.0, "active_timeout_s": 30.0, "max_flows": max_flows,
              "dpi_packets": 2, "tcp_linger_s": 2.0}
    ft = FlowTable(**kw, initial_slots=init, ended_rows=ended_rows,  # type: ignore[arg-type]
                   prefetch_from=0 if prefetch else 1 << 30, vlan_key=vlan_key)
    ref = NaiveFlowMeter(10.0, 30.0, max_flows, 2, 2.0, vlan_key)
    bounds = [0, *cuts, len(pkts)]
    for lo, hi in itertools.pairwise(bounds):
        if hi <= lo:
            continue
        part = pkts[lo:hi]
        step = ft.process(*to_batch(part))
        ref.ended = []
        expect = [ref.packet(p) for p in part]
        assert step.pkt_flow_id.tolist() == [e[0] for e in expect]
        assert step.pkt_dir.tolist() == [e[1] for e in expect]
        assert step.pkt_dpi.tolist() == [e[2] for e in expect]
        _compare(step.ended, ref.ended)
        assert ft.stats["open"] == len(ref.flows)
    _compare(ft.flush(), ref.flush())
    assert ft.stats["evicted"] == ref.evicted
    assert ft.stats["open"] == 0


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), 1e30, -1.0])
@pytest.mark.parametrize("name", ["idle_timeout_s", "active_timeout_s", "tcp_linger_s"])
def test_a_timeout_the_kernels_cannot_hold_is_refused_in_one_line(name: str, bad: float) -> None:
    """NaN, infinite, negative or beyond ~290 years: a ValueError naming it (1e30 s raised an
    OverflowError from the conversion to ns, NaN a conversion error that named no option)."""
    with pytest.raises(ValueError, match=f"{name} must be from 0 to 9.2e\\+09 s"):
        FlowTable(**{name: bad})
    FlowTable(**{name: 9.2e9})  # the largest: never expires a flow
