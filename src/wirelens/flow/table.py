"""The bidirectional flow table: public wrapper around the numba kernels.

Semantics (what the kernels implement, and what ``tests/naive/flow.py`` re-implements):

* **Time** is the largest packet timestamp seen so far (every row of the batch counts, flow
  packet or not); a packet with an older timestamp is accounted at that time (inter-arrival
  times are never negative).
* **Key**: both addresses and ports, IP protocol, outer VLAN, inner VLAN, tunnel type and
  tunnel id -- except for GTP-U, whose uplink and downlink TEIDs differ (the row keeps the
  TEID of the first packet). With ``vlan_key=False`` the VLAN ids are left out of the key
  (a tap whose two directions arrive on different VLANs; the row keeps the first packet's). ICMP/ICMPv6 use ports 0. The originator sent the first packet,
  unless that packet is a TCP SYN-ACK (then the receiver is the originator).
* **Expiry** (checked at each packet, before it is accounted): a flow whose first packet is
  ``>= active_timeout`` old ends ("active"); an open flow idle ``>= idle_timeout`` ends
  ("idle"); when both hold (a long gap: ``now`` is far past the flow), the timeout whose
  deadline came first on the flow's own timeline names the end (a flow silent since ``last +
  idle < first + active`` ends "idle"); a closed TCP flow (FIN seen from both sides, or a
  RST) lingers ``tcp_linger_s`` after its last packet so trailing ACKs and retransmissions
  still count, then ends with reason "fin" or "rst" -- also when the active timeout comes
  first (its connection is over: only its linger was cut short). A SYN
  without ACK on a closed flow ends it (same reason) and starts a new flow (port reuse); so
  does one from the originator whose sequence number is not that of the originator's first
  segment (a new connection on the same ports whose predecessor's end was not seen; a SYN
  sent again has the same number, and this connection's own SYN captured after its first
  data starts at most 64 KiB before it): reason "reuse", as Zeek splits them
  (``active_connection_reuse``). A SYN from the responder side is not taken for one (a
  simultaneous open).
* **Bound**: at most ``max_flows`` open flows; a new flow on a full table first ends the
  flow whose last packet is oldest ("evicted", counted in ``stats["evicted"]``).
* **Last time**: ``last_ts_ns`` is the last packet's time, except that once both sides of a
  TCP flow sent FIN it stays at the packet that completed the FIN exchange (Zeek's duration);
  later packets still count in packets, bytes and statistics, and the linger runs from them.
* **Statistics**: ``ps`` is the IP length; stddev is the sample standard deviation (n-1),
  0 below two values; inter-arrival times are in milliseconds, 0 below two packets.
* **History**: Zeek letters S (SYN), H (SYN-ACK), A (pure ACK), D (payload), F (FIN),
  R (RST), T (a retransmission), G (a gap), W (a zero window); upper case from the
  originator, lower case from the responder, each recorded once per direction in order of
  first occurrence (max 16). UDP flows get D/d for every datagram, empty ones too (as Zeek);
  other non-TCP flows get D/d for a payload only. Not implemented: C, I, Q and the repeat
  counters.
* **Sequence space** (TCP, per direction; RFC 9293 arithmetic modulo 2**32): what a segment
  occupies is its payload plus one for SYN and one for FIN (a RST's is not looked at). The
  next expected number starts after the first segment seen. A segment past it opens a hole
  (an earlier hole still open is given up), a pure ACK too (its sender had sent those bytes);
  one landing in the hole fills it (reordering, unless a pure ACK opened the hole: then a
  retransmission; a segment filling its middle keeps the first part open and gives up the
  rest); one with payload wholly before it otherwise is a retransmission (T,
  ``retrans_pkts``/``retrans_bytes``). Bytes of a hole the other side acknowledges reached
  the receiver without passing the capture point: they are given up, as is a hole replaced
  by a newer one or still open at the end; given-up bytes are ``missed_bytes`` (Zeek's, per
  direction) and mark G. W: an ACK advertising a zero window. ``^`` (roles reversed) is
  added after the table, when DPI finds the side seen first was the server
  (:func:`wirelens.flow.reverse_flows`; ``conn_state_reversed`` is the state then).
* **conn_state**: Zeek's decision table over simplified TCP endpoint states (inactive, SYN
  sent, SYN-ACK sent, partial, established, closed, reset); UDP: SF (both sides sent), S0
  (originator only), SHR (responder only); ICMP and every other IP protocol (SCTP, ESP, ...):
  OTH.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from wirelens.core import limits
from wirelens.core.batch import PacketBatch, RawBatch
from wirelens.flow import _kernels as K
from wirelens.flow._layout import (
    E_IATMAX,
    E_IATMEAN,
    E_IATMIN,
    E_IATSTD,
    E_PSMEAN,
    E_PSSTD,
    END_EOF,
    END_REASONS,
    FIRST_N,
    FLAG_NAMES,
    HIST_LEN,
    I_FIRSTN,
    I_FLAGS,
    I_ICMPC,
    I_ICMPT,
    I_IPB,
    I_IPVER,
    I_LAST,
    I_MAXPS,
    I_MINPS,
    I_MISSED,
    I_OMAC,
    I_OP,
    I_OTUN,
    I_PB,
    I_PKTS,
    I_PROTO,
    I_RETX,
    I_RETXB,
    I_RMAC,
    I_RP,
    I_TS,
    I_TUN,
    I_TUNID,
    I_VLAN,
    I_VLAN2,
    I_WB,
    NE,
    NF,
    NI,
    NP,
    NS,
    NU,
    OUT_I,
    OUT_U,
    P_ACTIVE,
    P_DPI,
    P_IDLE,
    P_LINGER,
    P_MAXF,
    P_PREFETCH,
    P_VLAN_KEY,
    S_CAP,
    S_CREATED,
    S_DEADLINE,
    S_ENDED,
    S_EVICTED,
    S_HEAD_AGE,
    S_HEAD_IDLE,
    S_HEAD_LING,
    S_MAX_OPEN,
    S_NENDED,
    S_NEXT_FID,
    S_NFREE,
    S_NOW,
    S_OPEN,
    S_TAIL_AGE,
    S_TAIL_IDLE,
    S_TAIL_LING,
    U_FID,
    U_OHI,
    U_OLO,
    U_RHI,
    U_RLO,
)
from wirelens.flow._pool import Rows

assert FIRST_N == limits.FIRST_PACKETS

FlowColumns = dict[str, np.ndarray]
"""Columns of ended flows, same length for every key (see :data:`FLOW_COLUMNS`)."""

INITIAL_SLOTS = 16_384
"""Slots allocated at start (the pool doubles up to ``max_flows``)."""

_POOLS: tuple[tuple[int, type], ...] = (
    (NU, np.uint64), (NI, np.int64), (NF, np.float64), (FIRST_N, np.uint16),
    (FIRST_N, np.uint8), (FIRST_N, np.float32), (HIST_LEN, np.uint8))
"""Columns and type of the per-slot arrays U, I, F, PS, DIR, IAT and HIST."""

ENDED_BUFFER = 16_384
"""Rows of the ended-flow buffer; the kernel resumes after it is drained."""

MAX_TIMEOUT_S = 9.2e9
"""Largest timeout accepted (~290 years: as nanoseconds it fits the kernels' int64); a
timeout that large never expires a flow."""


def _stat_names() -> list[str]:
    out = []
    for d in ("src2dst", "dst2src", "bidirectional"):
        out += [f"{d}_min_ps", f"{d}_mean_ps", f"{d}_stddev_ps", f"{d}_max_ps"]
    for d in ("src2dst", "dst2src", "bidirectional"):
        out += [f"{d}_min_piat_ms", f"{d}_mean_piat_ms", f"{d}_stddev_piat_ms",
                f"{d}_max_piat_ms"]
    return out


FLOW_COLUMNS: tuple[str, ...] = tuple(
    ["flow_id", "ts_ns", "last_ts_ns", "orig_hi", "orig_lo", "resp_hi", "resp_lo", "orig_p",
     "resp_p", "proto", "ip_ver", "vlan", "vlan_inner", "tunnel", "tunnel_id",
     "orig_tunnel_hi", "orig_tunnel_lo", "resp_tunnel_hi", "resp_tunnel_lo", "orig_mac",
     "resp_mac", "orig_pkts", "resp_pkts", "orig_wire_bytes", "resp_wire_bytes",
     "orig_ip_bytes", "resp_ip_bytes", "orig_payload_bytes", "resp_payload_bytes",
     "orig_missed_bytes", "resp_missed_bytes", "orig_retrans_pkts", "resp_retrans_pkts",
     "orig_retrans_bytes", "resp_retrans_bytes"]
    + [f"{side}_{f}_pkts" for side in ("orig", "resp") for f in FLAG_NAMES]
    + _stat_names()
    + ["icmp_type", "icmp_code", "conn_state", "conn_state_reversed", "history", "first_n",
       "first_ps", "first_dir", "first_piat_ms", "end_reason"]
)
"""Every key of :data:`FlowColumns`, in a stable order."""


@dataclass(slots=True)
class FlowStep:
    """What :meth:`FlowTable.process` returns for one batch."""

    ended: FlowColumns
    """Flows that ended during this batch, in the order they ended."""
    pkt_flow_id: np.ndarray
    """uint64 [n]: flow id of each packet (0 = not a flow packet)."""
    pkt_slot: np.ndarray
    """int32 [n]: table slot of that flow at the time (-1 = none)."""
    pkt_dir: np.ndarray
    """uint8 [n]: 0 = orig->resp, 1 = resp->orig."""
    pkt_dpi: np.ndarray
    """uint8 [n]: bit 0 (``DPI_MARK``) = hand this packet's payload to the dissectors; with
    it, bit 1 (``DPI_HANDSHAKE``) = the flow had sent a SYN or SYN-ACK by then (its roles are
    TCP's, not a guess from the first packet)."""


@dataclass(slots=True)
class _Ended:
    """The ended-flow buffer the kernels copy rows into (reused; U, I, F column-major)."""

    U: np.ndarray
    I: np.ndarray
    F: np.ndarray
    PS: np.ndarray
    DIR: np.ndarray
    IAT: np.ndarray
    HIST: np.ndarray
    REASON: np.ndarray
    STATE: np.ndarray
    chunks: list[FlowColumns] = field(default_factory=list)

    @classmethod
    def alloc(cls, n: int) -> _Ended:
        # column-major rows padded by 8 so that consecutive columns of one flow do not map
        # to the same L1 set (a power-of-two stride would; the kernel writes a flow across
        # every column)
        w = n + 8
        return cls(
            np.zeros((len(OUT_U), w), np.uint64)[:, :n],
            np.zeros((len(OUT_I), w), np.int64)[:, :n],
            np.zeros((NE, w), np.float64)[:, :n], np.zeros((n, FIRST_N), np.uint16),
            np.zeros((n, FIRST_N), np.uint8), np.zeros((n, FIRST_N), np.float32),
            np.zeros((n, HIST_LEN), np.uint8), np.zeros(n, np.uint8), np.zeros((n, 2), np.uint8),
        )

    def args(self) -> tuple[np.ndarray, ...]:
        return (self.U, self.I, self.F, self.PS, self.DIR, self.IAT, self.HIST, self.REASON,
                self.STATE)


def empty_flow_columns() -> FlowColumns:
    """Zero-length :data:`FlowColumns` with the right dtypes and shapes."""
    e = _Ended.alloc(0)
    return _columns(e, 0)


def _columns(e: _Ended, k: int) -> FlowColumns:
    """Turn the first ``k`` rows of the ended buffer into :data:`FlowColumns` (copies).

    The buffers are column-major, so every column is one contiguous copy or cast; the
    statistics were computed by the kernel when the flow ended.
    """
    U = {c: e.U[j, :k] for j, c in enumerate(OUT_U)}
    I = {c: e.I[j, :k] for j, c in enumerate(OUT_I)}
    F = e.F[:, :k]
    u64 = np.uint64
    c: FlowColumns = {
        "flow_id": U[U_FID].copy(),
        "ts_ns": I[I_TS].copy(),
        "last_ts_ns": I[I_LAST].copy(),
        "orig_hi": U[U_OHI].copy(),
        "orig_lo": U[U_OLO].copy(),
        "resp_hi": U[U_RHI].copy(),
        "resp_lo": U[U_RLO].copy(),
        "orig_p": I[I_OP].astype(np.uint16),
        "resp_p": I[I_RP].astype(np.uint16),
        "proto": I[I_PROTO].astype(np.uint8),
        "ip_ver": I[I_IPVER].astype(np.uint8),
        "vlan": I[I_VLAN].astype(np.uint16),
        "vlan_inner": I[I_VLAN2].astype(np.uint16),
        "tunnel": I[I_TUN].astype(np.uint8),
        "tunnel_id": I[I_TUNID].astype(np.uint32),
        "orig_mac": I[I_OMAC].astype(u64),
        "resp_mac": I[I_RMAC].astype(u64),
        "orig_tunnel_hi": I[I_OTUN].astype(u64),
        "orig_tunnel_lo": I[I_OTUN + 1].astype(u64),
        "resp_tunnel_hi": I[I_OTUN + 2].astype(u64),
        "resp_tunnel_lo": I[I_OTUN + 3].astype(u64),
    }
    for name, col in (("pkts", I_PKTS), ("wire_bytes", I_WB), ("ip_bytes", I_IPB),
                      ("payload_bytes", I_PB), ("missed_bytes", I_MISSED),
                      ("retrans_pkts", I_RETX), ("retrans_bytes", I_RETXB)):
        c[f"orig_{name}"] = I[col].astype(u64)
        c[f"resp_{name}"] = I[col + 1].astype(u64)
    for d, side in enumerate(("orig", "resp")):
        for j, f in enumerate(FLAG_NAMES):
            c[f"{side}_{f}_pkts"] = I[I_FLAGS + 8 * d + j].astype(np.uint32)
    for d, name in enumerate(("src2dst", "dst2src", "bidirectional")):
        c[f"{name}_min_ps"] = I[I_MINPS + d].astype(np.uint32)
        c[f"{name}_mean_ps"] = F[E_PSMEAN + d].copy()
        c[f"{name}_stddev_ps"] = F[E_PSSTD + d].copy()
        c[f"{name}_max_ps"] = I[I_MAXPS + d].astype(np.uint32)
    for d, name in enumerate(("src2dst", "dst2src", "bidirectional")):
        c[f"{name}_min_piat_ms"] = F[E_IATMIN + d].copy()
        c[f"{name}_mean_piat_ms"] = F[E_IATMEAN + d].copy()
        c[f"{name}_stddev_piat_ms"] = F[E_IATSTD + d].copy()
        c[f"{name}_max_piat_ms"] = F[E_IATMAX + d].copy()
    c["icmp_type"] = I[I_ICMPT].astype(np.uint8)
    c["icmp_code"] = I[I_ICMPC].astype(np.uint8)
    c["conn_state"] = e.STATE[:k, 0].copy()
    c["conn_state_reversed"] = e.STATE[:k, 1].copy()
    c["history"] = e.HIST[:k].copy()
    c["first_n"] = I[I_FIRSTN].astype(np.uint8)
    c["first_ps"] = e.PS[:k].copy()
    c["first_dir"] = e.DIR[:k].copy()
    c["first_piat_ms"] = e.IAT[:k].copy()
    c["end_reason"] = e.REASON[:k].copy()
    return {name: c[name] for name in FLOW_COLUMNS}


def _concat(chunks: list[FlowColumns]) -> FlowColumns:
    if not chunks:
        return empty_flow_columns()
    if len(chunks) == 1:
        return chunks[0]
    return {k: np.concatenate([ch[k] for ch in chunks]) for k in FLOW_COLUMNS}


_NO_FLOWS = empty_flow_columns()


class FlowTable:
    """Bidirectional flow table over batches (see the module docstring for semantics).

    ``initial_slots`` and ``ended_rows`` size the first pool and the ended-flow buffer
    (tests make them tiny to exercise growth and resumption); from ``prefetch_from`` slots
    on, lookups prefetch the state of the packets a few places ahead (tests set 0 to
    exercise it on small tables; results are the same either way).
    """

    _U: np.ndarray
    _I: np.ndarray
    _F: np.ndarray
    _PS: np.ndarray
    _DIR: np.ndarray
    _IAT: np.ndarray
    _HIST: np.ndarray
    """Per-slot state (views of ``_pools``; see :mod:`wirelens.flow._layout`)."""
    _pools: tuple[Rows, ...]

    def __init__(
        self,
        idle_timeout_s: float = limits.IDLE_TIMEOUT_S,
        active_timeout_s: float = limits.ACTIVE_TIMEOUT_S,
        max_flows: int = limits.MAX_FLOWS,
        dpi_packets: int = limits.DPI_MAX_PACKETS,
        tcp_linger_s: float = 5.0,
        initial_slots: int = INITIAL_SLOTS,
        ended_rows: int = ENDED_BUFFER,
        prefetch_from: int = K.PREFETCH_MIN_FLOWS,
        vlan_key: bool = True,
    ) -> None:
        if ended_rows < 2:
            raise ValueError("ended_rows must be >= 2")
        if max_flows < 1:
            raise ValueError("max_flows must be >= 1")
        for name, value in (("idle_timeout_s", idle_timeout_s),
                            ("active_timeout_s", active_timeout_s), ("tcp_linger_s", tcp_linger_s)):
            if not 0 <= value <= MAX_TIMEOUT_S:  # (NaN too; the kernels keep ns in an int64)
                raise ValueError(f"{name} must be from 0 to {MAX_TIMEOUT_S:.2g} s, not {value}")
        if dpi_packets < 0:
            raise ValueError("dpi_packets must be >= 0")
        self._params = np.zeros(NP, np.int64)
        self._params[P_IDLE] = round(idle_timeout_s * 1e9)
        self._params[P_ACTIVE] = round(active_timeout_s * 1e9)
        self._params[P_LINGER] = round(tcp_linger_s * 1e9)
        self._params[P_MAXF] = max_flows
        self._params[P_DPI] = dpi_packets
        self._params[P_PREFETCH] = prefetch_from
        self._params[P_VLAN_KEY] = int(vlan_key)
        cap = max(1, min(int(initial_slots), int(max_flows)))
        self._st = np.zeros(NS, np.int64)
        for h in (S_HEAD_IDLE, S_TAIL_IDLE, S_HEAD_LING, S_TAIL_LING, S_HEAD_AGE, S_TAIL_AGE):
            self._st[h] = -1
        self._st[S_NOW] = np.iinfo(np.int64).min
        self._st[S_DEADLINE] = np.iinfo(np.int64).min
        self._st[S_NEXT_FID] = 1
        self._alloc(cap)
        self._ended = _Ended.alloc(ended_rows)

    # -- storage ---------------------------------------------------------------------------
    def _alloc(self, cap: int) -> None:
        """(Re)allocate the pool at ``cap`` slots, keeping open flows in their slots (the
        per-slot state grows in place: :mod:`wirelens.flow._pool`; new slots are zero, and
        a zero flow id marks a free slot)."""
        pools = getattr(self, "_pools", None)
        n_old = 0 if pools is None else int(self._st[S_CAP])
        if pools is None:
            pools = self._pools = tuple(Rows(cap, cols, dtype) for cols, dtype in _POOLS)
        else:
            del self._U, self._I, self._F, self._PS, self._DIR, self._IAT, self._HIST
            for pool in pools:
                pool.grow(cap)
        (self._U, self._I, self._F, self._PS, self._DIR, self._IAT,
         self._HIST) = (pool.array for pool in pools)
        # free stack: new slots, lowest popped first
        nfree = int(self._st[S_NFREE])
        free = np.empty(cap, np.int32)
        if n_old:
            free[:nfree] = self._free[:nfree]
        new_slots = np.arange(cap - 1, n_old - 1, -1, dtype=np.int32)
        free[nfree : nfree + new_slots.shape[0]] = new_slots
        self._free: np.ndarray = free
        self._st[S_NFREE] = nfree + new_slots.shape[0]
        self._st[S_CAP] = cap
        m = 1
        while m < 2 * cap:
            m *= 2
        self._idx = np.full(m, -1, np.int32)
        if self._st[S_OPEN]:  # (see flush_chunks)
            K._rebuild_index(self._idx, self._U, self._I, self._st)

    def _grow(self) -> None:
        self._alloc(min(2 * int(self._st[S_CAP]), int(self._params[P_MAXF])))

    def _drain(self) -> None:
        k = int(self._st[S_NENDED])
        if k:
            self._ended.chunks.append(_columns(self._ended, k))
            self._st[S_NENDED] = 0

    def take_ended(self) -> FlowColumns:
        """The flows that ended and were not returned yet (see :meth:`process`'s
        ``gather``), in the order they ended."""
        self._drain()
        out = _concat(self._ended.chunks)
        self._ended.chunks = []
        return out

    # -- public ----------------------------------------------------------------------------
    def process(self, raw: RawBatch, pkts: PacketBatch, gather: bool = False) -> FlowStep:
        """Account one batch; returns the flows that ended and per-packet flow columns.

        ``gather``: the flows that ended stay in the table (copied out of its ended buffer
        only when that fills) until :meth:`take_ended`, and ``FlowStep.ended`` is empty: a
        caller that hands flows on every few batches then pays the copy per piece, not per
        batch."""
        n = len(raw)
        if len(pkts) != n:
            raise ValueError(f"RawBatch has {n} rows but PacketBatch has {len(pkts)}")
        # the kernel writes every row (flow packet or not): no need to clear
        out_fid = np.empty(n, np.uint64)
        out_slot = np.empty(n, np.int32)
        out_dir = np.empty(n, np.uint8)
        out_dpi = np.empty(n, np.uint8)
        p = pkts
        i = 0
        while True:
            i, rc = K._process(
                i, raw.ts_ns, raw.wirelen, p.status, p.ip_ver, p.src_hi, p.src_lo, p.dst_hi,
                p.dst_lo, p.sport, p.dport, p.proto, p.tcp_flags, p.tcp_seq, p.tcp_ack, p.tcp_win,
                p.icmp_type, p.icmp_code,
                p.ip_len, p.payload_len, p.vlan, p.vlan_inner, p.tunnel, p.tunnel_id,
                p.src_mac, p.dst_mac, p.outer_src_hi, p.outer_src_lo, p.outer_dst_hi,
                p.outer_dst_lo,
                self._U, self._I, self._F, self._PS, self._DIR, self._IAT, self._HIST,
                self._idx, self._free, self._st, self._params,
                out_fid, out_slot, out_dir, out_dpi, *self._ended.args(),
            )
            if rc == K.RC_DONE:
                break
            if rc == K.RC_GROW:
                self._grow()
            else:
                self._drain()
        ended = dict(_NO_FLOWS) if gather else self.take_ended()  # (a dict of its own)
        return FlowStep(ended, out_fid, out_slot, out_dir, out_dpi)

    def flush(self) -> FlowColumns:
        """End every open flow (reason "eof"), in creation order (ascending flow_id)."""
        return _concat(list(self.flush_chunks()))

    def flush_chunks(self) -> Iterator[FlowColumns]:
        """:meth:`flush` in pieces of at most the ended buffer's rows (``ended_rows``), each
        made when the previous one has been taken: a table holding hundreds of thousands of
        flows ends them with one piece in memory at a time, not a copy of all of them. Flows
        that ended before and were gathered (``process(gather=True)``) come first. A table with
        no flow open calls no kernel, here or when made: a run that reads nothing (a mistyped
        path) does not wait for the kernels to compile on a cold cache."""
        if self._ended.chunks or self._st[S_NENDED]:
            yield self.take_ended()
        while self._st[S_OPEN]:  # (the ended buffer is empty; it fills, or all end)
            K._flush(self._U, self._I, self._F, self._PS, self._DIR, self._IAT, self._HIST,
                     self._idx, self._free, self._st, END_EOF, *self._ended.args())
            k = int(self._st[S_NENDED])
            if k:
                self._st[S_NENDED] = 0
                yield _columns(self._ended, k)

    def stop_dpi(self, slots: np.ndarray, flow_ids: np.ndarray) -> None:
        """No more DPI packets for these flows (ignored for slots now holding another flow)."""
        s = np.ascontiguousarray(slots, dtype=np.int64)
        f = np.ascontiguousarray(flow_ids, dtype=np.uint64)
        if s.shape != f.shape:
            raise ValueError("slots and flow_ids must have the same shape")
        K._stop_dpi(self._I, self._U, s, f)

    @property
    def ended_rows(self) -> int:
        """Flows that ended and wait for :meth:`take_ended` (``process(gather=True)``)."""
        return sum(len(c["flow_id"]) for c in self._ended.chunks) + int(self._st[S_NENDED])

    @property
    def stats(self) -> dict[str, int]:
        """created, ended_<reason>, evicted, open, max_open, capacity."""
        st = self._st
        out = {"created": int(st[S_CREATED])}
        for r, name in enumerate(END_REASONS):
            out[f"ended_{name}"] = int(st[S_ENDED + r])
        out["evicted"] = int(st[S_EVICTED])
        out["open"] = int(st[S_OPEN])
        out["max_open"] = int(st[S_MAX_OPEN])
        out["capacity"] = int(st[S_CAP])
        return out

    @property
    def nbytes(self) -> int:
        """Bytes held by the table state (grows with open flows, not with input)."""
        return sum(a.nbytes for a in (self._U, self._I, self._F, self._PS, self._DIR,
                                      self._IAT, self._HIST, self._idx, self._free))
