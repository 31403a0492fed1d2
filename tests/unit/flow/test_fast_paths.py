"""FlowTable internals that the speed work introduced: column layout, shifted-sum statistics,
the cached expiry deadline, the ended buffer, and the kernel against the naive reference on
real captures (every column, every packet)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from tests.naive.flow import NaiveFlowMeter, Pkt, isclose, to_batch  # noqa: I001
from wirelens.core.batch import PacketBatch, RawBatch
from wirelens.flow import END_REASONS, FLOW_COLUMNS, FlowTable, _layout as L

DATA = Path(__file__).resolve().parents[3] / ".." / "shared" / "data"
PCAPS = DATA / "nfstream" / "tests" / "pcaps"
SEC = 1_000_000_000
S, A, F = 2, 16, 1
C, SV = (0, 0xFFFF_0A00_0001), (0, 0xFFFF_0A00_0002)


def _columns(prefix: str, width: dict[str, int]) -> list[tuple[str, int, int]]:
    return [(k, v, v + width.get(k, 1)) for k, v in vars(L).items()
            if k.startswith(prefix) and isinstance(v, int)]


def test_int_columns_are_disjoint_and_in_range() -> None:
    width = {"I_LAST0": 2, "I_PKTS": 2, "I_WB": 2, "I_IPB": 2, "I_PB": 2, "I_FLAGS": 16}
    for k in ("I_MINPS", "I_MAXPS", "I_PSK", "I_PSS1", "I_PSS2", "I_IATK", "I_IATS1",
              "I_IATMIN", "I_IATMAX"):
        width[k] = 3
    cols = _columns("I_", width)
    used = np.zeros(L.NI, np.int64)
    for _, lo, hi in cols:
        assert 0 <= lo < hi <= L.NI
        used[lo:hi] += 1
    assert used.max() == 1, [c for c in cols if used[c[1]] > 1]
    ucols = _columns("U_", {})
    assert sorted(v for _, v, _ in ucols) == list(range(L.NU))
    assert len(set(L.OUT_I)) == len(L.OUT_I) and max(L.OUT_I) < L.NI
    assert L.S_DEADLINE not in range(L.S_ENDED, L.S_ENDED + len(END_REASONS))
    assert L.S_DEADLINE < L.NS


def _one_flow_batch(ts: np.ndarray, sizes: np.ndarray, fwd: np.ndarray
                    ) -> tuple[RawBatch, PacketBatch]:
    """UDP packets of one conversation built column-wise (fast for long flows)."""
    n = ts.shape[0]
    p = PacketBatch.empty(n)
    p.ip_ver[:] = 4
    p.src_lo[:] = np.where(fwd, C[1], SV[1])
    p.dst_lo[:] = np.where(fwd, SV[1], C[1])
    p.sport[:] = np.where(fwd, 5000, 53)
    p.dport[:] = np.where(fwd, 53, 5000)
    p.proto[:] = 17
    p.ip_len[:] = sizes
    p.payload_len[:] = sizes - 28
    raw = RawBatch(data=np.zeros(1, np.uint8), offset=np.zeros(n, np.int64),
                   caplen=sizes.astype(np.uint32) + 14, wirelen=sizes.astype(np.uint32) + 14,
                   ts_ns=ts.astype(np.int64), linktype=np.ones(n, np.uint16))
    return raw, p


def _std(x: np.ndarray) -> float:
    return float(np.std(x, ddof=1)) if x.shape[0] > 1 else 0.0


@pytest.mark.parametrize("kind", ["constant", "jitter", "bimodal"])
def test_long_flow_statistics_match_numpy(kind: str) -> None:
    n = 200_000
    rng = np.random.default_rng(7)
    t0 = 1_700_000_000 * SEC
    if kind == "constant":
        gaps = np.full(n, 1_000_000)
        sizes = np.full(n, 1500)
    elif kind == "jitter":
        gaps = 5_000_000 + rng.integers(-1000, 1000, n)
        sizes = 1400 + rng.integers(0, 3, n)
    else:
        gaps = np.where(rng.random(n) < 0.5, 10, 900_000_000)
        sizes = np.where(rng.random(n) < 0.5, 40, 65_535)
    ts = t0 + np.cumsum(gaps)
    fwd = rng.random(n) < 0.6
    fwd[0] = True
    ft = FlowTable(idle_timeout_s=3600.0, active_timeout_s=10**7)
    step = ft.process(*_one_flow_batch(ts, sizes, fwd))
    assert len(step.ended["flow_id"]) == 0
    cols = ft.flush()
    assert len(cols["flow_id"]) == 1
    for name, sel in (("src2dst", fwd), ("dst2src", ~fwd), ("bidirectional", fwd | ~fwd)):
        ps = sizes[sel].astype(np.float64)
        iat = np.diff(ts[sel]) / 1e6
        assert cols[f"{name}_min_ps"][0] == ps.min()
        assert cols[f"{name}_max_ps"][0] == ps.max()
        assert cols[f"{name}_mean_ps"][0] == pytest.approx(ps.mean(), rel=1e-12)
        assert cols[f"{name}_stddev_ps"][0] == pytest.approx(_std(ps), rel=1e-9, abs=1e-12)
        assert cols[f"{name}_min_piat_ms"][0] == iat.min()
        assert cols[f"{name}_max_piat_ms"][0] == iat.max()
        assert cols[f"{name}_mean_piat_ms"][0] == pytest.approx(iat.mean(), rel=1e-12)
        assert cols[f"{name}_stddev_piat_ms"][0] == pytest.approx(_std(iat), rel=1e-9,
                                                                  abs=1e-12)
    if kind == "constant":  # shifted sums: exactly zero, no cancellation residue
        assert cols["bidirectional_stddev_ps"][0] == 0.0
        assert cols["bidirectional_stddev_piat_ms"][0] == 0.0


def tcp(ts: int, fwd: bool, flags: int, sport: int = 1000) -> Pkt:
    src, dst, sp, dp = (C, SV, sport, 80) if fwd else (SV, C, 80, sport)
    return Pkt(ts=ts, src=src, dst=dst, sport=sp, dport=dp, proto=6, flags=flags)


def test_linger_deadline_earlier_than_idle_head() -> None:
    # flow 1 (UDP) idles from t=0; flow 2 closes by FIN at t=1 s: its linger (2 s) ends before
    # flow 1's idle timeout (10 s), so the cached deadline must have been lowered at the close
    udp = Pkt(ts=0, src=C, dst=SV, sport=7, dport=7, proto=17, ip_len=60, payload=32)
    pkts = [udp, tcp(SEC // 2, True, S), tcp(SEC // 2 + 1, False, S | A),
            tcp(SEC, True, F | A), tcp(SEC + 1, False, F | A),
            tcp(4 * SEC, True, S, sport=2000)]
    ft = FlowTable(idle_timeout_s=10.0, tcp_linger_s=2.0)
    step = ft.process(*to_batch(pkts))
    assert step.ended["flow_id"].tolist() == [2]
    assert END_REASONS[int(step.ended["end_reason"][0])] == "fin"
    # one packet at a time gives the same
    ft2 = FlowTable(idle_timeout_s=10.0, tcp_linger_s=2.0)
    ended = [ft2.process(*to_batch([p])).ended["flow_id"].tolist() for p in pkts]
    assert ended == [[], [], [], [], [], [2]]


def test_huge_timeouts_never_expire() -> None:
    t0 = 1_700_000_000 * SEC
    pkts = [tcp(t0 + k * 10**6 * SEC, k % 2 == 0, A) for k in range(5)]
    ft = FlowTable(idle_timeout_s=9.2e9, active_timeout_s=9.2e9, tcp_linger_s=9.2e9)
    step = ft.process(*to_batch(pkts))
    assert len(step.ended["flow_id"]) == 0
    assert step.pkt_flow_id.tolist() == [1] * 5
    assert ft.stats["open"] == 1


def test_ended_buffer_chunks_concatenate_in_order() -> None:
    pkts = [Pkt(ts=i * 20 * SEC, src=(0, 0xFFFF_0000_0000 + i), dst=SV, sport=1, dport=2,
                proto=17, ip_len=60) for i in range(50)]
    outs = []
    for rows in (2, 5, 64):
        ft = FlowTable(idle_timeout_s=10.0, ended_rows=rows)
        step = ft.process(*to_batch(pkts))
        rest = ft.flush()
        outs.append({k: np.concatenate([step.ended[k], rest[k]]) for k in FLOW_COLUMNS})
        assert step.ended["flow_id"].tolist() == list(range(1, 50))
        assert rest["flow_id"].tolist() == [50]
    for k in FLOW_COLUMNS:
        assert np.array_equal(outs[0][k], outs[1][k]) and np.array_equal(outs[0][k], outs[2][k])


def test_gathered_ended_flows_wait_for_take_ended() -> None:
    """``process(gather=True)``: the flows that ended stay in the table, over batches and
    ended-buffer refills, until ``take_ended`` (and come first in ``flush_chunks``); the rows
    are those of per-batch ends."""
    pkts = [Pkt(ts=i * 20 * SEC, src=(0, 0xFFFF_0000_0000 + i), dst=SV, sport=1, dport=2,
                proto=17, ip_len=60) for i in range(50)]
    want = FlowTable(idle_timeout_s=10.0, ended_rows=5)
    per_batch = [want.process(*to_batch(pkts[i:i + 7])).ended for i in range(0, 50, 7)]
    ft = FlowTable(idle_timeout_s=10.0, ended_rows=5)
    for i in range(0, 28, 7):
        assert len(ft.process(*to_batch(pkts[i:i + 7]), gather=True).ended["flow_id"]) == 0
    assert ft.ended_rows == 27
    first = ft.take_ended()
    assert ft.ended_rows == 0 and first["flow_id"].tolist() == list(range(1, 28))
    for i in range(28, 50, 7):
        ft.process(*to_batch(pkts[i:i + 7]), gather=True)
    pieces = list(ft.flush_chunks())
    assert pieces[0]["flow_id"].tolist() == list(range(28, 50))  # gathered, then the open one
    assert [p["flow_id"].tolist() for p in pieces[1:]] == [[50]]
    got = {k: np.concatenate([first[k], *(p[k] for p in pieces[:1])]) for k in FLOW_COLUMNS}
    for k in FLOW_COLUMNS:
        assert np.array_equal(got[k], np.concatenate([b[k] for b in per_batch])), k


# ------------------------------------------------------------------------------------------
# the kernel against the naive reference on real captures


def _pkts(raw: RawBatch, p: PacketBatch) -> list[Pkt]:
    cols = {k: getattr(p, k).tolist() for k in (
        "status", "src_hi", "src_lo", "dst_hi", "dst_lo", "sport", "dport", "proto",
        "tcp_flags", "ip_len", "payload_len", "vlan", "vlan_inner", "tunnel", "tunnel_id",
        "ip_ver", "icmp_type", "icmp_code", "src_mac", "dst_mac", "tcp_seq", "tcp_ack", "tcp_win",
        "outer_src_hi", "outer_src_lo", "outer_dst_hi", "outer_dst_lo")}
    ts, wl = raw.ts_ns.tolist(), raw.wirelen.tolist()
    return [Pkt(ts=ts[i], status=cols["status"][i], src=(cols["src_hi"][i], cols["src_lo"][i]),
                dst=(cols["dst_hi"][i], cols["dst_lo"][i]), sport=cols["sport"][i],
                dport=cols["dport"][i], proto=cols["proto"][i], flags=cols["tcp_flags"][i],
                ip_len=cols["ip_len"][i], payload=cols["payload_len"][i], wirelen=wl[i],
                vlan=cols["vlan"][i], vlan_inner=cols["vlan_inner"][i],
                tunnel=cols["tunnel"][i], tunnel_id=cols["tunnel_id"][i],
                ip_ver=cols["ip_ver"][i], icmp_type=cols["icmp_type"][i],
                icmp_code=cols["icmp_code"][i], src_mac=cols["src_mac"][i],
                dst_mac=cols["dst_mac"][i], seq=cols["tcp_seq"][i], ack=cols["tcp_ack"][i],
                win=cols["tcp_win"][i],
                outer_src=(cols["outer_src_hi"][i], cols["outer_src_lo"][i]),
                outer_dst=(cols["outer_dst_hi"][i], cols["outer_dst_lo"][i]))
            for i in range(len(raw))]


def _compare(ours: dict[str, np.ndarray], ref: list[dict[str, Any]], where: str) -> None:
    assert len(ours["flow_id"]) == len(ref), where
    for i, r in enumerate(ref):
        for k in FLOW_COLUMNS:
            v = ours[k][i]
            if k == "history":
                assert bytes(v).rstrip(b"\0").decode() == r[k], (where, k, i)
            elif k in ("first_ps", "first_dir", "first_piat_ms"):
                got = v[: r["first_n"]].tolist()
                assert all(isclose(x, y) for x, y in zip(got, r[k], strict=True)), (where, k, i)
            elif isinstance(r[k], float):
                assert isclose(float(v), r[k]), (where, k, i, float(v), r[k])
            else:
                assert int(v) == r[k], (where, k, i, int(v), r[k])


def _small_captures(limit_bytes: int = 400_000) -> list[Path]:
    if not PCAPS.is_dir():
        return []
    return [p for p in sorted(PCAPS.iterdir()) if p.is_file() and p.stat().st_size < limit_bytes]


@pytest.mark.skipif(not PCAPS.is_dir(),
                    reason=f"shared captures not found at {PCAPS} (../shared/data absent)")
def test_kernel_matches_naive_reference_on_real_captures() -> None:
    from wirelens.capture import open_capture
    from wirelens.decode import Decoder

    files = _small_captures()
    assert len(files) >= 20
    n_flows = 0
    for path in files:
        # small timeouts and table so that idle/active/linger/eviction all happen
        kw = {"idle_timeout_s": 5.0, "active_timeout_s": 60.0, "max_flows": 64,
              "dpi_packets": 3, "tcp_linger_s": 1.0}
        ft = FlowTable(**kw, initial_slots=8, ended_rows=16)  # type: ignore[arg-type]
        ref = NaiveFlowMeter(5.0, 60.0, 64, 3, 1.0)
        dec = Decoder()
        with open_capture(path) as src:
            for raw in src:
                pk = dec.decode(raw)
                step = ft.process(raw, pk)
                ref.ended = []
                expect = [ref.packet(p) for p in _pkts(raw, pk)]
                assert step.pkt_flow_id.tolist() == [e[0] for e in expect], path.name
                assert step.pkt_dir.tolist() == [e[1] for e in expect], path.name
                assert step.pkt_dpi.tolist() == [e[2] for e in expect], path.name
                _compare(step.ended, ref.ended, path.name)
                n_flows += len(ref.ended)
        rest = ref.flush()
        _compare(ft.flush(), rest, path.name)
        assert ft.stats["evicted"] == ref.evicted, path.name
        n_flows += len(rest)
    assert n_flows > 500


def test_prefetching_changes_no_result() -> None:
    """Many open flows in random order (TCP and UDP, some with status != 0, some closing),
    through a table that prefetches from its first slot and one that never does: every
    packet output and every ended flow is the same."""
    rng = np.random.default_rng(7)
    n_flows, n = 3000, 20_000
    flow = rng.integers(0, n_flows, n)
    rev = rng.integers(0, 2, n).astype(bool)
    proto = np.where(flow % 3 == 0, 17, 6)
    flags = rng.choice([A, A | 8, S, S | A, F | A, 4], n, p=[.6, .2, .08, .06, .04, .02])
    pkts = [Pkt(ts=(i + 1) * 1000, status=int(i % 97 == 0),
                src=(0, 0xFFFF_0A00_0000 + int(f)) if not r else (0, 0xFFFF_0B00_0001),
                dst=(0, 0xFFFF_0B00_0001) if not r else (0, 0xFFFF_0A00_0000 + int(f)),
                sport=(1024 + int(f)) if not r else 80, dport=80 if not r else 1024 + int(f),
                proto=int(pr), flags=int(fl) if pr == 6 else 0, payload=int(i % 5) * 100,
                ip_len=40 + int(i % 5) * 100)
            for i, (f, r, pr, fl) in enumerate(zip(flow, rev, proto, flags))]
    runs = []
    for prefetch_from in (0, 1 << 30):
        ft = FlowTable(initial_slots=64, prefetch_from=prefetch_from)
        outs = []
        for lo in range(0, n, 4096):
            step = ft.process(*to_batch(pkts[lo: lo + 4096]))
            outs.append((step.pkt_flow_id.tolist(), step.pkt_dir.tolist(),
                         step.pkt_dpi.tolist(), {k: np.asarray(v).tolist()
                                                 for k, v in step.ended.items()}))
        end = ft.flush()
        outs.append({k: np.asarray(v).tolist() for k, v in end.items()})
        runs.append(outs)
    assert runs[0] == runs[1]
