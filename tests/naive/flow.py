"""Naive, readable reference flow meter (dicts and lists, one Python object per flow).

Implements the semantics documented in :mod:`wirelens.flow.table` without any of its data
structures: expiry scans every open flow, eviction scans for the oldest touch, statistics
are computed from full lists at the end. Used to check the numba kernels column by column.
"""

from __future__ import annotations

import itertools
import math
import statistics
from dataclasses import dataclass, field
from typing import Any

FIRST_N = 10
END_REASONS = ("idle", "active", "fin", "rst", "evicted", "eof", "reuse")
CONN_STATES = ("S0", "S1", "SF", "REJ", "S2", "S3", "RSTO", "RSTR", "RSTOS0", "RSTRH", "SH",
               "SHR", "OTH")
FLAGS = (("syn", 2), ("ack", 16), ("fin", 1), ("rst", 4), ("psh", 8), ("urg", 32),
         ("ece", 64), ("cwr", 128))


@dataclass
class Pkt:
    """One packet as the reference sees it."""

    ts: int
    status: int = 0
    src: tuple[int, int] = (0, 0)
    dst: tuple[int, int] = (0, 0)
    sport: int = 0
    dport: int = 0
    proto: int = 6
    flags: int = 0
    ip_len: int = 40
    payload: int = 0
    wirelen: int = 54
    vlan: int = 0
    vlan_inner: int = 0
    tunnel: int = 0
    tunnel_id: int = 0
    ip_ver: int = 4
    icmp_type: int = 0
    icmp_code: int = 0
    src_mac: int = 0
    dst_mac: int = 0
    outer_src: tuple[int, int] = (0, 0)  # the outermost tunnel's IP addresses (hi, lo)
    outer_dst: tuple[int, int] = (0, 0)
    seq: int = 0
    ack: int = 0
    win: int = 1024


@dataclass
class Flow:
    fid: int
    orig: tuple[int, int]
    resp: tuple[int, int]
    orig_p: int
    resp_p: int
    p: Pkt
    ts: int
    orig_mac: int
    resp_mac: int
    orig_tunnel: tuple[int, int] = (0, 0)
    resp_tunnel: tuple[int, int] = (0, 0)
    last: int = 0
    fin_ts: int | None = None  # time of the packet that completed the FIN exchange
    touch: int = 0
    closed: str = ""  # "", "fin" or "rst"
    ps: list[list[int]] = field(default_factory=lambda: [[], []])
    times: list[list[int]] = field(default_factory=lambda: [[], []])
    all_times: list[int] = field(default_factory=list)
    all_ps: list[int] = field(default_factory=list)
    wire: list[int] = field(default_factory=lambda: [0, 0])
    payload: list[int] = field(default_factory=lambda: [0, 0])
    flags: list[dict[str, int]] = field(
        default_factory=lambda: [{n: 0 for n, _ in FLAGS}, {n: 0 for n, _ in FLAGS}])
    history: str = ""
    ep: list[str] = field(default_factory=lambda: ["inactive", "inactive"])
    first: list[tuple[int, int, float]] = field(default_factory=list)
    dpi: int = 0
    nxt: list[int | None] = field(default_factory=lambda: [None, None])
    orig_isn: int | None = None  # sequence number of the originator's first segment seen
    hole: list[tuple[int, int] | None] = field(default_factory=lambda: [None, None])
    hole_by_ack: list[bool] = field(default_factory=lambda: [False, False])
    missed: list[int] = field(default_factory=lambda: [0, 0])
    retx: list[int] = field(default_factory=lambda: [0, 0])
    retx_bytes: list[int] = field(default_factory=lambda: [0, 0])


def _diff(a: int, b: int) -> int:
    """``a - b`` in sequence space: the signed 32-bit difference (RFC 9293 section 3.4)."""
    return (a - b + 2**31) % 2**32 - 2**31


def _sequence(f: Flow, d: int, seq: int, seglen: int, payload: int) -> str:
    """The sequence-space rules of ``FlowTable`` (its module docstring): "T", "G" or ""."""
    end = (seq + seglen) % 2**32
    nxt = f.nxt[d]
    if nxt is None:
        f.nxt[d] = end
        if d == 0:
            f.orig_isn = seq
        return ""
    if _diff(seq, nxt) >= 0:
        f.nxt[d] = end
        if seq == nxt:
            return ""
        old = f.hole[d]
        if old is not None:
            f.missed[d] += old[1]
        f.hole[d] = (nxt, _diff(seq, nxt))
        f.hole_by_ack[d] = seglen == 0  # a pure ACK: its sender had sent those bytes
        return "G" if old is not None else ""
    if seglen == 0:
        return ""
    if _diff(end, nxt) > 0:
        f.nxt[d] = end
        return ""
    hole = f.hole[d]
    if hole is not None:
        lo, n = hole
        a, b = _diff(seq, lo), _diff(end, lo)
        if b > 0 and a < n:
            if a > 0:
                f.hole[d] = (lo, a)
                if n > b:
                    f.missed[d] += n - b
                    return "G"
            elif b >= n:
                f.hole[d] = None
            else:
                f.hole[d] = (end, n - b)
            return "T" if payload > 0 and f.hole_by_ack[d] else ""
    return "T" if payload > 0 else ""


def _acked(f: Flow, d: int, ack: int) -> bool:
    """The other side acknowledged up to ``ack``: direction ``d``'s hole bytes below it are
    given up (missed)."""
    hole = f.hole[d]
    if hole is None:
        return False
    lo, n = hole
    got = _diff(ack, lo)
    if got <= 0:
        return False
    f.missed[d] += min(got, n)
    f.hole[d] = None if got >= n else (ack % 2**32, n - got)
    return True


def _endpoint(f: Flow, d: int, fl: int) -> None:
    """Simplified Zeek TCP endpoint states for the sender ``d``."""
    e = f.ep[d]
    if fl & 4:
        f.ep[d] = "reset"
    elif fl & 1:
        if e != "reset":
            f.ep[d] = "closed"
    elif fl & 2:
        if fl & 16:
            if e in ("inactive", "syn_sent"):
                f.ep[d] = "syn_ack_sent"
        elif e == "inactive":
            f.ep[d] = "syn_sent"
    elif e == "inactive":
        f.ep[d] = "partial"
    elif e in ("syn_sent", "syn_ack_sent") and fl & 16:
        f.ep[d] = "established"
        if f.ep[1 - d] in ("syn_sent", "syn_ack_sent"):
            f.ep[1 - d] = "established"


def conn_state(f: Flow, flip: bool = False) -> str:
    """Zeek's conn_state decision table (``flip``: with the two sides' roles swapped)."""
    proto = f.p.proto
    o, r = (1, 0) if flip else (0, 1)
    history = f.history.swapcase() if flip else f.history
    if proto == 6:
        os_, rs = f.ep[o], f.ep[r]
        o_inactive = os_ in ("inactive", "partial")
        r_inactive = rs in ("inactive", "partial")
        if rs == "reset":
            if os_ in ("syn_sent", "syn_ack_sent") or (
                os_ == "reset" and f.payload == [0, 0]
            ):
                return "REJ"
            return "RSTRH" if o_inactive else "RSTR"
        if os_ == "reset":
            if r_inactive:
                h = history
                if "S" in h and not any(c in h for c in "HAFG"):
                    return "RSTOS0"
                return "OTH"
            return "RSTO"
        if os_ == "closed" and rs == "closed":
            return "SF"
        if os_ == "closed":
            return "SH" if r_inactive else "S2"
        if rs == "closed":
            return "SHR" if o_inactive else "S3"
        if os_ == "syn_sent" and rs == "inactive":
            return "S0"
        if os_ == "established" and rs == "established":
            return "S1"
        return "OTH"
    if proto != 17:  # ICMP and every other IP protocol
        return "OTH"
    o_sent, r_sent = bool(f.ps[o]), bool(f.ps[r])
    if o_sent:
        return "SF" if r_sent else "S0"
    return "SHR" if r_sent else "OTH"


def _stats(xs: list[float]) -> tuple[float, float, float, float]:
    if not xs:
        return 0.0, 0.0, 0.0, 0.0
    sd = statistics.stdev(xs) if len(xs) > 1 else 0.0
    return min(xs), statistics.fmean(xs), sd, max(xs)


def _iats(times: list[int]) -> list[float]:
    return [(b - a) / 1e6 for a, b in itertools.pairwise(times)]


def record(f: Flow, reason: str) -> dict[str, Any]:
    """The flow as a dict keyed like :data:`wirelens.flow.FLOW_COLUMNS`."""
    for d, letter in enumerate("Gg"):  # a hole still open at the end is given up
        if f.hole[d] is not None and letter not in f.history and len(f.history) < 16:
            f.history += letter
    r: dict[str, Any] = {
        "flow_id": f.fid, "ts_ns": f.ts,
        "last_ts_ns": f.last if f.fin_ts is None else f.fin_ts,
        "orig_hi": f.orig[0], "orig_lo": f.orig[1], "resp_hi": f.resp[0], "resp_lo": f.resp[1],
        "orig_p": f.orig_p, "resp_p": f.resp_p, "proto": f.p.proto, "ip_ver": f.p.ip_ver,
        "vlan": f.p.vlan, "vlan_inner": f.p.vlan_inner, "tunnel": f.p.tunnel,
        "tunnel_id": f.p.tunnel_id, "orig_mac": f.orig_mac, "resp_mac": f.resp_mac,
        "orig_tunnel_hi": f.orig_tunnel[0], "orig_tunnel_lo": f.orig_tunnel[1],
        "resp_tunnel_hi": f.resp_tunnel[0], "resp_tunnel_lo": f.resp_tunnel[1],
    }
    for d, side in enumerate(("orig", "resp")):
        r[f"{side}_pkts"] = len(f.ps[d])
        r[f"{side}_wire_bytes"] = f.wire[d]
        r[f"{side}_ip_bytes"] = sum(f.ps[d])
        r[f"{side}_payload_bytes"] = f.payload[d]
        r[f"{side}_missed_bytes"] = f.missed[d] + (f.hole[d][1] if f.hole[d] else 0)
        r[f"{side}_retrans_pkts"] = f.retx[d]
        r[f"{side}_retrans_bytes"] = f.retx_bytes[d]
        for name, _ in FLAGS:
            r[f"{side}_{name}_pkts"] = f.flags[d][name]
    for name, xs in (("src2dst", f.ps[0]), ("dst2src", f.ps[1]), ("bidirectional", f.all_ps)):
        mn, mean, sd, mx = _stats([float(x) for x in xs])
        r[f"{name}_min_ps"], r[f"{name}_mean_ps"] = int(mn), mean
        r[f"{name}_stddev_ps"], r[f"{name}_max_ps"] = sd, int(mx)
    for name, ts in (("src2dst", f.times[0]), ("dst2src", f.times[1]),
                     ("bidirectional", f.all_times)):
        mn, mean, sd, mx = _stats(_iats(ts))
        r[f"{name}_min_piat_ms"], r[f"{name}_mean_piat_ms"] = mn, mean
        r[f"{name}_stddev_piat_ms"], r[f"{name}_max_piat_ms"] = sd, mx
    icmp = f.p.proto in (1, 58)
    r["icmp_type"] = f.p.icmp_type if icmp else 0
    r["icmp_code"] = f.p.icmp_code if icmp else 0
    r["conn_state"] = CONN_STATES.index(conn_state(f))
    r["conn_state_reversed"] = CONN_STATES.index(conn_state(f, flip=True))
    r["history"] = f.history
    r["first_n"] = len(f.first)
    r["first_ps"] = [x[0] for x in f.first]
    r["first_dir"] = [x[1] for x in f.first]
    r["first_piat_ms"] = [x[2] for x in f.first]
    r["end_reason"] = END_REASONS.index(reason)
    return r


class NaiveFlowMeter:
    """Dict-based flow meter with the same semantics as ``FlowTable``."""

    def __init__(self, idle_s: float, active_s: float, max_flows: int, dpi_packets: int,
                 linger_s: float, vlan_key: bool = True) -> None:
        self.idle = round(idle_s * 1e9)
        self.active = round(active_s * 1e9)
        self.linger = round(linger_s * 1e9)
        self.max_flows = max_flows
        self.dpi_packets = dpi_packets
        self.vlan_key = vlan_key
        self.flows: dict[tuple[Any, ...], Flow] = {}
        self.now: int | None = None
        self.next_fid = 1
        self.touch = 0
        self.ended: list[dict[str, Any]] = []
        self.evicted = 0

    def _end(self, key: tuple[Any, ...], reason: str) -> None:
        f = self.flows.pop(key)
        self.ended.append(record(f, reason))

    def _expire(self) -> None:
        assert self.now is not None
        now = self.now
        active = sorted((f.fid, k) for k, f in self.flows.items() if now - f.ts >= self.active)
        for _, k in active:
            # the timeout that fired first on the flow's own timeline names the end
            f = self.flows[k]
            why = "active"
            if f.closed:  # (the connection is over: its close reason)
                why = f.closed
            elif f.last + self.idle < f.ts + self.active:
                why = "idle"
            self._end(k, why)
        idle = sorted((f.touch, k) for k, f in self.flows.items()
                      if not f.closed and now - f.last >= self.idle)
        for _, k in idle:
            self._end(k, "idle")
        ling = sorted((f.touch, k) for k, f in self.flows.items()
                      if f.closed and now - f.last >= self.linger)
        for _, k in ling:
            self._end(k, self.flows[k].closed)

    def packet(self, p: Pkt) -> tuple[int, int, int]:
        """Account one packet; returns (flow_id, dir, dpi)."""
        self.now = p.ts if self.now is None else max(self.now, p.ts)
        self._expire()
        if p.status != 0:
            return 0, 0, 0
        now = self.now
        sp, dp = (0, 0) if p.proto in (1, 58) else (p.sport, p.dport)
        fl = p.flags if p.proto == 6 else 0
        # GTP-U (tunnel 5): uplink and downlink TEIDs differ, so the TEID is not in the key
        vlans = (p.vlan, p.vlan_inner) if self.vlan_key else (0, 0)
        rest = (p.proto, *vlans, p.tunnel, 0 if p.tunnel == 5 else p.tunnel_id)
        k0 = (p.src, sp, p.dst, dp) + rest
        k1 = (p.dst, dp, p.src, sp) + rest
        key, d = (k0, 0) if k0 in self.flows else ((k1, 1) if k1 in self.flows else (None, 0))
        if key is not None and (fl & 18) == 2:  # port reuse: a SYN on a closed flow, or a
            # SYN from its originator with another sequence number than its first segment's
            old = self.flows[key]
            if old.closed:
                self._end(key, old.closed)
                key = None
            elif d == 0 and old.orig_isn is not None and not (
                    0 <= _diff(old.orig_isn, p.seq) <= 65_535):  # (not its own SYN, late)
                self._end(key, "reuse")
                key = None
        if key is None:
            if len(self.flows) >= self.max_flows:
                victim = min(self.flows, key=lambda k: self.flows[k].touch)
                self.evicted += 1
                self._end(victim, "evicted")
            d = 1 if (fl & 18) == 18 else 0
            key = k0 if d == 0 else k1
            if d == 0:
                f = Flow(self.next_fid, p.src, p.dst, sp, dp, p, now, p.src_mac, p.dst_mac,
                         p.outer_src, p.outer_dst)
            else:
                f = Flow(self.next_fid, p.dst, p.src, dp, sp, p, now, p.dst_mac, p.src_mac,
                         p.outer_dst, p.outer_src)
            self.next_fid += 1
            self.flows[key] = f
        f = self.flows[key]
        self.touch += 1
        f.touch = self.touch
        prev = f.all_times[-1] if f.all_times else None
        f.last = now
        f.ps[d].append(p.ip_len)
        f.all_ps.append(p.ip_len)
        f.times[d].append(now)
        f.all_times.append(now)
        f.wire[d] += p.wirelen
        f.payload[d] += p.payload
        if len(f.first) < FIRST_N:
            f.first.append((min(p.ip_len, 65535), d, 0.0 if prev is None else (now - prev) / 1e6))
        case = str.upper if d == 0 else str.lower

        def hist(letter: str) -> None:
            c = case(letter)
            if c not in f.history and len(f.history) < 16:
                f.history += c

        if p.proto == 6:
            had_both_fins = f.flags[0]["fin"] > 0 and f.flags[1]["fin"] > 0
            for name, bit in FLAGS:
                if fl & bit:
                    f.flags[d][name] += 1
            if not had_both_fins and f.flags[0]["fin"] and f.flags[1]["fin"]:
                f.fin_ts = now
            if fl & 2:
                hist("H" if fl & 16 else "S")
            if p.payload > 0:
                hist("D")
            elif (fl & 23) == 16:
                hist("A")
            if fl & 1:
                hist("F")
            if fl & 4:
                hist("R")
            if not fl & 4:
                got = _sequence(f, d, p.seq, p.payload + (fl & 1) + ((fl >> 1) & 1), p.payload)
                if got == "T":
                    f.retx[d] += 1
                    f.retx_bytes[d] += p.payload
                if got:
                    hist(got)
            if fl & 16 and _acked(f, 1 - d, p.ack):
                c = "G" if d == 1 else "g"
                if c not in f.history and len(f.history) < 16:
                    f.history += c
            if p.win == 0 and fl & 22 == 16:
                hist("W")
            _endpoint(f, d, fl)
            if not f.closed:
                if fl & 4:
                    f.closed = "rst"
                elif f.flags[0]["fin"] and f.flags[1]["fin"]:
                    f.closed = "fin"
        elif p.payload > 0 or p.proto == 17:  # UDP: every datagram, empty ones too
            hist("D")
        dpi = 0
        if p.payload > 0 and f.dpi < self.dpi_packets:
            f.dpi += 1
            dpi = 3 if any(c in f.history for c in "SHsh") else 1  # + "handshake seen"
        return f.fid, d, dpi

    def flush(self) -> list[dict[str, Any]]:
        out = []
        for k in sorted(self.flows, key=lambda k: self.flows[k].fid):
            out.append(record(self.flows.pop(k), "eof"))
        return out


def isclose(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-6)


def to_batch(pkts: list[Pkt]) -> tuple[Any, Any]:
    """Hand-built (RawBatch, PacketBatch) for ``pkts`` (addresses as (hi, lo) pairs)."""
    import numpy as np

    from wirelens.core.batch import PacketBatch, RawBatch

    n = len(pkts)
    b = PacketBatch.empty(n)
    raw = RawBatch(data=np.zeros(1, np.uint8), offset=np.zeros(n, np.int64),
                   caplen=np.zeros(n, np.uint32), wirelen=np.zeros(n, np.uint32),
                   ts_ns=np.zeros(n, np.int64), linktype=np.ones(n, np.uint16))
    for i, p in enumerate(pkts):
        raw.ts_ns[i] = p.ts
        raw.wirelen[i] = p.wirelen
        raw.caplen[i] = p.wirelen
        b.status[i] = p.status
        b.ip_ver[i] = p.ip_ver
        b.src_hi[i], b.src_lo[i] = p.src
        b.dst_hi[i], b.dst_lo[i] = p.dst
        b.sport[i], b.dport[i] = p.sport, p.dport
        b.proto[i] = p.proto
        b.tcp_flags[i] = p.flags
        b.tcp_seq[i], b.tcp_ack[i], b.tcp_win[i] = p.seq, p.ack, p.win
        b.icmp_type[i], b.icmp_code[i] = p.icmp_type, p.icmp_code
        b.ip_len[i] = p.ip_len
        b.payload_len[i] = p.payload
        b.vlan[i], b.vlan_inner[i] = p.vlan, p.vlan_inner
        b.tunnel[i], b.tunnel_id[i] = p.tunnel, p.tunnel_id
        b.src_mac[i], b.dst_mac[i] = p.src_mac, p.dst_mac
        b.outer_src_hi[i], b.outer_src_lo[i] = p.outer_src
        b.outer_dst_hi[i], b.outer_dst_lo[i] = p.outer_dst
    return raw, b
