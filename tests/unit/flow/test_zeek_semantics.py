"""Flow semantics aligned with Zeek's conn.log (found by ``bench/zeek_conn_agreement.py``).

Each rule has a hand-built test here and the same rule in ``tests/naive/flow.py``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from tests.naive.flow import NaiveFlowMeter, Pkt, to_batch  # noqa: I001
from wirelens.core.batch import Tunnel
from wirelens.flow import CONN_STATES, END_REASONS, FLOW_COLUMNS, FlowTable

S, A, F, R, P = 2, 16, 1, 4, 8
SEC = 1_000_000_000
MS = 1_000_000
C, SV = (0, 0xFFFF_0A00_0001), (0, 0xFFFF_0A00_0002)


def tcp(ts: int, fwd: bool, flags: int, payload: int = 0, **kw: Any) -> Pkt:
    src, dst, sp, dp = (C, SV, 1000, 80) if fwd else (SV, C, 80, 1000)
    return Pkt(ts=ts, src=src, dst=dst, sport=sp, dport=dp, proto=6, flags=flags,
               payload=payload, ip_len=40 + payload, wirelen=54 + payload, **kw)


def run(pkts: list[Pkt], **kw: Any) -> dict[str, np.ndarray]:
    """Feed ``pkts`` as one batch, then flush; also checks the naive reference agrees."""
    ft = FlowTable(**kw)
    step = ft.process(*to_batch(pkts))
    rest = ft.flush()
    cols = {k: np.concatenate([step.ended[k], rest[k]]) for k in FLOW_COLUMNS}
    ref = NaiveFlowMeter(kw.get("idle_timeout_s", 120.0), kw.get("active_timeout_s", 1800.0),
                         10**6, 10, kw.get("tcp_linger_s", 5.0))
    for p in pkts:
        ref.packet(p)
    rows = ref.ended + ref.flush()
    assert [r["flow_id"] for r in rows] == cols["flow_id"].tolist()
    for k in ("last_ts_ns", "orig_pkts", "resp_pkts", "conn_state", "end_reason",
              "tunnel_id"):
        assert [r[k] for r in rows] == cols[k].tolist(), k
    return cols


def state(cols: dict[str, np.ndarray], i: int) -> str:
    return CONN_STATES[int(cols["conn_state"][i])]


def reason(cols: dict[str, np.ndarray], i: int) -> str:
    return END_REASONS[int(cols["end_reason"][i])]


# -- 1. the flow's last time stops at the packet that completes the FIN exchange ------------

CLOSE = [tcp(0, True, S), tcp(1 * MS, False, S | A), tcp(2 * MS, True, A),
         tcp(3 * MS, True, A | P, 100), tcp(5 * MS, False, A | P, 300),
         tcp(6 * MS, True, F | A), tcp(7 * MS, False, F | A)]


def test_trailing_packets_count_but_do_not_extend_duration() -> None:
    pkts = [*CLOSE, tcp(9 * MS, True, A), tcp(2 * SEC, False, F | A), tcp(3 * SEC, True, A)]
    cols = run(pkts)
    assert len(cols["flow_id"]) == 1
    assert cols["last_ts_ns"][0] == 7 * MS  # the second FIN, not the retransmitted FIN
    assert cols["orig_pkts"][0] == 6 and cols["resp_pkts"][0] == 4
    assert cols["orig_ip_bytes"][0] == 6 * 40 + 100
    # the linger still runs from the last packet: the flow ends 5 s after 3 s, not 7 ms
    ft = FlowTable()
    ft.process(*to_batch(pkts))
    assert len(ft.process(*to_batch([tcp(7 * SEC, True, A, 1, vlan=9)])).ended["flow_id"]) == 0
    ended = ft.process(*to_batch([tcp(8 * SEC + 1, True, A, 1, vlan=9)])).ended
    assert ended["flow_id"].tolist() == [1] and ended["last_ts_ns"][0] == 7 * MS


def test_fin_exchange_completed_by_originator() -> None:
    # the responder closes first; the originator's FIN completes the exchange
    pkts = [tcp(0, True, A, 10), tcp(1 * MS, False, F | A), tcp(4 * MS, False, F | A),
            tcp(6 * MS, True, F | A), tcp(8 * MS, False, A)]
    cols = run(pkts)
    assert cols["last_ts_ns"][0] == 6 * MS and cols["resp_pkts"][0] == 3


def test_one_sided_fin_keeps_last_packet_time() -> None:
    pkts = [tcp(0, True, S), tcp(1 * MS, True, F), tcp(3 * MS, True, A)]
    cols = run(pkts)
    assert cols["last_ts_ns"][0] == 3 * MS and state(cols, 0) == "SH"


def test_rst_close_keeps_last_packet_time() -> None:
    pkts = [*CLOSE[:5], tcp(6 * MS, True, R), tcp(8 * MS, False, A)]
    cols = run(pkts)
    assert cols["last_ts_ns"][0] == 8 * MS


# -- 2. GTP-U: uplink and downlink TEIDs differ, one connection stays one flow --------------

def test_gtpu_teids_do_not_split_a_connection() -> None:
    g = int(Tunnel.GTPU)
    pkts = [tcp(0, True, S, tunnel=g, tunnel_id=0x1111),
            tcp(1 * MS, False, S | A, tunnel=g, tunnel_id=0x2222),
            tcp(2 * MS, True, A, tunnel=g, tunnel_id=0x1111)]
    cols = run(pkts)
    assert len(cols["flow_id"]) == 1
    assert cols["tunnel_id"][0] == 0x1111  # the TEID of the first packet
    assert cols["orig_pkts"][0] == 2 and cols["resp_pkts"][0] == 1
    assert state(cols, 0) == "S1"


@pytest.mark.parametrize("tun", [Tunnel.VXLAN, Tunnel.GENEVE, Tunnel.GRE])
def test_other_tunnel_ids_stay_in_the_key(tun: Tunnel) -> None:
    pkts = [tcp(0, True, A, 1, tunnel=int(tun), tunnel_id=7),
            tcp(1, False, A, 1, tunnel=int(tun), tunnel_id=8),
            tcp(2, False, A, 1, tunnel=int(tun), tunnel_id=7)]
    cols = run(pkts)
    assert len(cols["flow_id"]) == 2
    assert cols["tunnel_id"].tolist() == [7, 8]


def test_gtpu_flow_is_not_merged_with_an_untunnelled_one() -> None:
    g = int(Tunnel.GTPU)
    pkts = [tcp(0, True, A, 1, tunnel=g, tunnel_id=5), tcp(1, True, A, 1)]
    assert len(run(pkts)["flow_id"]) == 2


# -- 3. conn_state of IP protocols other than TCP/UDP/ICMP is OTH --------------------------

@pytest.mark.parametrize("proto", [132, 50, 47, 99, 1, 58])
def test_other_protocols_are_oth(proto: int) -> None:
    a = Pkt(ts=0, src=C, dst=SV, proto=proto, ip_len=100, payload=80)
    b = Pkt(ts=1, src=SV, dst=C, proto=proto, ip_len=100, payload=80)
    assert state(run([a]), 0) == "OTH"
    assert state(run([a, b]), 0) == "OTH"


def test_udp_keeps_its_states() -> None:
    a = Pkt(ts=0, src=C, dst=SV, sport=5, dport=53, proto=17, ip_len=60, payload=32)
    b = Pkt(ts=1, src=SV, dst=C, sport=53, dport=5, proto=17, ip_len=60, payload=32)
    assert state(run([a]), 0) == "S0"
    assert state(run([a, b]), 0) == "SF"


# -- 4. a flow silent longer than the idle timeout ends "idle" even when the next packet ----
# -- comes after its active timeout too (ssh.client-side-half-duplex.pcap: years apart) ----

def test_long_gap_ends_idle_not_active() -> None:
    other = Pkt(ts=3 * 365 * 86400 * SEC, src=(0, 9), dst=(0, 10), sport=1, dport=2, proto=17,
                ip_len=30)
    pkts = [tcp(0, True, A, 10), tcp(6 * SEC, True, A, 10), other]
    cols = run(pkts)
    assert reason(cols, 0) == "idle"
    assert cols["last_ts_ns"][0] == 6 * SEC


def test_busy_flow_still_ends_active() -> None:
    # packets every 10 s for 40 s, active timeout 30 s, idle 20 s: the age runs out first
    pkts = [tcp(k * 10 * SEC, True, A, 10) for k in range(4)]
    cols = run(pkts, idle_timeout_s=20.0, active_timeout_s=30.0)
    assert [reason(cols, i) for i in range(len(cols["flow_id"]))] == ["active", "eof"]


def test_gap_after_busy_period_names_the_first_deadline() -> None:
    # last packet at 25 s: idle deadline 45 s > active deadline 30 s -> "active";
    # last packet at 5 s: idle deadline 25 s < 30 s -> "idle" (next packet at 100 s)
    late = Pkt(ts=100 * SEC, src=(0, 9), dst=(0, 10), sport=1, dport=2, proto=17, ip_len=30)
    kw = {"idle_timeout_s": 20.0, "active_timeout_s": 30.0}
    busy = run([tcp(0, True, A, 1), tcp(15 * SEC, True, A, 1), tcp(25 * SEC, True, A, 1),
                late], **kw)
    quiet = run([tcp(0, True, A, 1), tcp(5 * SEC, True, A, 1), late], **kw)
    assert reason(busy, 0) == "active"
    assert reason(quiet, 0) == "idle"


def test_closed_flow_past_both_deadlines_ends_with_its_close_reason() -> None:
    late = Pkt(ts=10**5 * SEC, src=(0, 9), dst=(0, 10), sport=1, dport=2, proto=17, ip_len=30)
    cols = run([*CLOSE, late])
    assert reason(cols, 0) == "fin"
    rst = run([tcp(0, True, S), tcp(1, False, R | A), late])
    assert reason(rst, 0) == "rst"


# -- 5. UDP history: Zeek records D/d for every datagram, an empty one too ------------------

def test_empty_udp_datagram_gets_d() -> None:
    a = Pkt(ts=0, src=C, dst=SV, sport=5, dport=9, proto=17, ip_len=28, payload=0)
    b = Pkt(ts=1, src=SV, dst=C, sport=9, dport=5, proto=17, ip_len=28, payload=0)
    cols = run([a, b])
    assert bytes(cols["history"][0]).rstrip(b"\0") == b"Dd"
    sctp = Pkt(ts=0, src=C, dst=SV, proto=132, ip_len=28, payload=0)
    assert bytes(run([sctp])["history"][0]).rstrip(b"\0") == b""


# -- sequence space: retransmissions, gaps, reordering, zero windows -----------------------

ISN_C, ISN_S = 2**32 - 150, 5000  # the client's numbers wrap past 2**32 during the exchange


def _conversation(client: list[tuple[int, int]], **last: Any) -> list[Pkt]:
    """A handshake, then client segments (offset after the ISN + 1, payload), one ms apart,
    a server ACK of all of them, and a FIN exchange."""
    srv = ISN_S + 1
    pkts = [tcp(0, True, S, seq=ISN_C), tcp(MS, False, S | A, seq=ISN_S, ack=ISN_C + 1),
            tcp(2 * MS, True, A, seq=ISN_C + 1, ack=srv)]
    for k, (off, size) in enumerate(client):
        pkts.append(tcp((3 + k) * MS, True, A | P, size, seq=(ISN_C + 1 + off) % 2**32,
                        ack=srv))
    t = (4 + len(client)) * MS
    fin = (ISN_C + 1 + max(off + size for off, size in client)) % 2**32
    pkts += [tcp(t, False, A, seq=srv, ack=fin, **last),
             tcp(t + MS, True, F | A, seq=fin, ack=srv),
             tcp(t + 2 * MS, False, F | A, seq=srv, ack=(fin + 1) % 2**32)]
    return pkts


def _seq_cols(pkts: list[Pkt]) -> tuple[str, int, int, int]:
    cols = run(pkts)
    hist = bytes(cols["history"][0]).rstrip(b"\0").decode()
    return (hist, int(cols["orig_missed_bytes"][0]), int(cols["orig_retrans_pkts"][0]),
            int(cols["orig_retrans_bytes"][0]))


def test_in_order_data_has_no_retransmission_nor_gap() -> None:
    """Across the 2**32 wrap (RFC 9293 section 3.4 arithmetic)."""
    hist, missed, retx, _ = _seq_cols(_conversation([(0, 100), (100, 100), (200, 50)]))
    assert (missed, retx) == (0, 0) and "T" not in hist and "G" not in hist


def test_a_segment_sent_again_is_a_retransmission() -> None:
    hist, missed, retx, retx_bytes = _seq_cols(_conversation([(0, 100), (100, 100), (100, 100)]))
    assert (missed, retx, retx_bytes) == (0, 1, 100) and hist.startswith("ShAD") and "T" in hist


def test_a_gap_the_receiver_acknowledges_is_missed() -> None:
    """The server acknowledges bytes the capture never saw: given up then (G, as Zeek's
    content gap), before the FINs; without that ACK, at the flow's end."""
    hist, missed, retx, _ = _seq_cols(_conversation([(0, 100), (300, 100)]))
    assert (missed, retx) == (200, 0) and hist.index("G") < hist.index("F")
    cut = [p for p in _conversation([(0, 100), (300, 100)]) if not p.flags & F][:-1]
    hist, missed, _, _ = _seq_cols(cut)
    assert missed == 200 and hist.endswith("G")


def test_reordered_segments_fill_the_hole() -> None:
    """The later segment first, then the ones before it: the hole they fill is no gap, and
    they are no retransmissions."""
    hist, missed, retx, _ = _seq_cols(_conversation([(0, 100), (300, 100), (100, 100),
                                                      (200, 100)]))
    assert (missed, retx) == (0, 0) and "G" not in hist and "T" not in hist
    # a segment filling the middle of a hole keeps its first part open, gives up the rest
    hist, missed, retx, _ = _seq_cols(_conversation([(0, 100), (400, 100), (200, 100)]))
    assert (missed, retx) == (200, 0) and "G" in hist


def test_zero_window_advertisement() -> None:
    hist, *_ = _seq_cols(_conversation([(0, 100)], win=0))
    assert "w" in hist and "W" not in hist


def test_data_below_a_pure_acks_sequence_number_is_a_retransmission() -> None:
    """Zeek's connect-with-smtp trace: a client's pure ACK carries a sequence number past
    data the capture never saw (its sender had sent it); the data, arriving after, is sent
    again: a retransmission (T), and nothing is missed."""
    srv = ISN_S + 1
    base = ISN_C + 1
    pkts = [tcp(0, True, S, seq=ISN_C), tcp(MS, False, S | A, seq=ISN_S, ack=base),
            tcp(2 * MS, True, A | P, 100, seq=base, ack=srv),
            tcp(3 * MS, True, A, seq=(base + 120) % 2**32, ack=srv),  # 20 bytes unseen
            tcp(4 * MS, True, A | P, 20, seq=(base + 100) % 2**32, ack=srv),
            tcp(5 * MS, False, A, seq=srv, ack=(base + 120) % 2**32)]
    hist, missed, retx, retx_bytes = _seq_cols(pkts)
    assert (missed, retx, retx_bytes) == (0, 1, 20) and "T" in hist and "G" not in hist
