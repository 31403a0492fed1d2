"""Numba kernels of the flow table: hashing, open addressing, intrusive lists, the per-packet
loop. No Python object is created per packet; the wrapper in :mod:`wirelens.flow.table`
validates inputs, allocates and grows the arrays.

Hash index: linear probing over ``idx`` (int32 slot numbers, -1 empty, size a power of two,
load <= 1/2) with backward-shift deletion, so there are no tombstones. Flow records live in a
pool of slots that never move while the flow is open (``pkt_slot`` stays valid).

Expiry: every open flow sits on two intrusive doubly linked lists: the *activity* list (idle
list for open flows, linger list for closed TCP flows; ordered by last packet since time is
monotone) and the *age* list (creation order, for the active timeout). A packet moves its flow
to the tail of its activity list in O(1); expiry only pops expired heads, and only once the
packet time reaches ``S_DEADLINE``, a cached lower bound of the three heads' expiry times.

Speed notes (measured on real captures): the per-packet kernel is compiled without numba's
reference-counting runtime (``core.jit.hot_kernel``); statistics are shifted sums finished
when the flow ends; the ended buffer is column-major so emission is one contiguous copy per
column; a large table (``PREFETCH_MIN_FLOWS``) prefetches the rows of the packets a few
places ahead, so their cache misses overlap instead of queueing.
"""

from __future__ import annotations

import numba
import numpy as np

from wirelens.core.batch import Tunnel
from wirelens.core.jit import KERNEL_OPTIONS, hot_kernel, kernel, prefetch1, prefetch2
from wirelens.flow._layout import (
    CS_OTH,
    CS_REJ,
    CS_RSTO,
    CS_RSTOS0,
    CS_RSTR,
    CS_RSTRH,
    CS_S0,
    CS_S1,
    CS_S2,
    CS_S3,
    CS_SF,
    CS_SH,
    CS_SHR,
    DPI_HANDSHAKE,
    DPI_MARK,
    E_IATMAX,
    E_IATMEAN,
    E_IATMIN,
    E_IATSTD,
    E_PSMEAN,
    E_PSSTD,
    END_ACTIVE,
    END_EVICTED,
    END_FIN,
    END_IDLE,
    END_REUSE,
    END_RST,
    EP_CLOSED,
    EP_ESTABLISHED,
    EP_INACTIVE,
    EP_PARTIAL,
    EP_RESET,
    EP_SYN_ACK_SENT,
    EP_SYN_SENT,
    F_IATS2,
    FIRST_N,
    H_A,
    H_D,
    H_F,
    H_G,
    H_H,
    H_R,
    H_S,
    H_T,
    H_W,
    HANDSHAKE_BITS,
    HIST_LEN,
    HIST_LETTERS,
    I_ANEXT,
    I_APREV,
    I_CLOSED,
    I_DPIN,
    I_DPIOFF,
    I_FINTS,
    I_FIRSTN,
    I_FLAGS,
    I_HBITS,
    I_HLEN,
    I_HOLE,
    I_HOLEN,
    I_IATK,
    I_IATMAX,
    I_IATMIN,
    I_IATS1,
    I_ICMPC,
    I_ICMPT,
    I_IPB,
    I_IPVER,
    I_LAST,
    I_LAST0,
    I_LIST,
    I_MAXPS,
    I_MINPS,
    I_MISSED,
    I_NEXT,
    I_NXT,
    I_OISN,
    I_OMAC,
    I_OP,
    I_OST,
    I_OTUN,
    I_PB,
    I_PKTS,
    I_PREV,
    I_PROTO,
    I_PSK,
    I_PSS1,
    I_PSS2,
    I_RETX,
    I_RETXB,
    I_RMAC,
    I_RP,
    I_SEQF,
    I_TOUCH,
    I_TS,
    I_TUN,
    I_TUNID,
    I_VLAN,
    I_VLAN2,
    I_WB,
    NF,
    NI,
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
    S_TOUCH,
    U_FID,
    U_HASH,
    U_K1,
    U_K2,
    U_OHI,
    U_OLO,
    U_RHI,
    U_RLO,
)

SYN_LATE_WINDOW = 65_535
"""How far before the originator's first segment seen a SYN may start and still be that
connection's own (captured late, after its first data, as captures of several queues
reorder), not a new connection's."""

RC_DONE = 0
RC_GROW = 1  # pool full but below max_flows: grow and call again from ``next_i``
RC_FULL = 2  # ended buffer full: drain it and call again from ``next_i``

_inl = numba.njit(inline="always", **KERNEL_OPTIONS)
"""Small helpers are inlined at numba-IR level: a real call per packet costs reference-count
updates of every array argument (measured: ~150 -> ~100 ns/packet)."""


_TUN_GTPU = int(Tunnel.GTPU)
"""GTP-U flows are not keyed on their tunnel id (TEID): see ``_process``."""

_OUT_LAST = OUT_I.index(I_LAST)
"""Row of the emitted last-packet time in the ended buffer's ``EI``."""

PREFETCH_MIN_FLOWS = 1 << 15
"""Default of ``params[P_PREFETCH]``, the flow slots from which ``_process`` prefetches (32,768
slots of ~800 bytes are ~26 MB, past the private caches). Measured with synthetic packets in
random order: 20 k open flows (32,768 slots) 264-299 -> 186-234 ns/packet, 60 k 492 -> 299-397;
at 10-14 k (16,384 slots) no clear gain, and at 5 k slower (96 -> 109-120), the table being
in the caches already."""
PREFETCH_FAR = 16
"""Packets ahead whose hash-index line is prefetched ..."""
PREFETCH_NEAR = 8
"""... and packets ahead whose slot (read from that line, by then in cache) has its key row
and hot state lines prefetched: with hundreds of thousands of open flows a packet's lookup
and update miss the caches ~10 times, one after another; prefetched, those misses overlap
with the packets before (measured with ``bench/flowtable_many_open.py``)."""

_HIST_ASCII = np.array([ord(c) for c in HIST_LETTERS + HIST_LETTERS.lower()], dtype=np.uint8)
_NH = len(HIST_LETTERS)  # history bits per direction


@_inl
def _hash(a_hi, a_lo, a_p, b_hi, b_lo, b_p, k2, k3):  # type: ignore[no-untyped-def]
    """Direction-free hash: the two endpoint terms are added (commutative), then mixed once.

    ``k2``/``k3`` are the direction-free key words (proto/tunnel, VLANs/tunnel id). Each
    endpoint term is a sum of independent products (their high bits depend on every input
    bit); one more multiplication and an xor-fold of the high half into the low half (the
    index uses low bits) finish it: 4 multiplications on the critical path's side, one on it.
    """
    ea = (a_lo * np.uint64(0x9E3779B97F4A7C15)) ^ (a_hi * np.uint64(0xC2B2AE3D27D4EB4F)) ^ (
        (a_p + np.uint64(1)) * np.uint64(0x165667B19E3779F9))
    eb = (b_lo * np.uint64(0x9E3779B97F4A7C15)) ^ (b_hi * np.uint64(0xC2B2AE3D27D4EB4F)) ^ (
        (b_p + np.uint64(1)) * np.uint64(0x165667B19E3779F9))
    x = ((ea + eb) ^ k2 ^ (k3 * np.uint64(0xA0761D6478BD642F))) * np.uint64(0xD6E8FEB86659FD93)
    return x ^ (x >> np.uint64(32))


@_inl
def _key(i, proto, sport, dport, src_hi, src_lo, dst_hi, dst_lo, vlan, vlan2, tun, tunid, vmask):  # type: ignore[no-untyped-def]
    """Packet ``i``'s key: (proto, sport, dport, src hi/lo, dst hi/lo, proto+tunnel word,
    VLANs+tunnel id word, hash); ports are 0 for ICMP, whose ports are not part of the key.
    ``vmask`` keeps the VLAN ids in the key (all ones) or leaves them out (0)."""
    pr = np.int64(proto[i])
    if pr == 1 or pr == 58:
        sp = np.uint64(0)
        dp = np.uint64(0)
    else:
        sp = np.uint64(sport[i])
        dp = np.uint64(dport[i])
    shi = np.uint64(src_hi[i])
    slo = np.uint64(src_lo[i])
    dhi = np.uint64(dst_hi[i])
    dlo = np.uint64(dst_lo[i])
    kpt = (np.uint64(pr) << np.uint64(32)) | (np.uint64(tun[i]) << np.uint64(40))
    # GTP-U: uplink and downlink carry different TEIDs (3GPP TS 29.281 section 5.1), so
    # the TEID would split one connection in two; other tunnel ids are the same both ways
    tk = np.uint64(0) if tun[i] == _TUN_GTPU else np.uint64(tunid[i])
    k2 = ((np.uint64(vlan[i]) | (np.uint64(vlan2[i]) << np.uint64(16))) & vmask) | (
        tk << np.uint64(32))
    return pr, sp, dp, shi, slo, dhi, dlo, kpt, k2, _hash(shi, slo, sp, dhi, dlo, dp, kpt, k2)


# ---------------------------------------------------------------------------------------
# intrusive lists


@_inl
def _unlink(I, st, s, cp, cn, hh):  # type: ignore[no-untyped-def]
    p = I[s, cp]
    nx = I[s, cn]
    if p >= 0:
        I[p, cn] = nx
    else:
        st[hh] = nx
    if nx >= 0:
        I[nx, cp] = p
    else:
        st[hh + 1] = p


@_inl
def _append(I, st, s, cp, cn, hh):  # type: ignore[no-untyped-def]
    t = st[hh + 1]
    I[s, cp] = t
    I[s, cn] = -1
    if t >= 0:
        I[t, cn] = s
    else:
        st[hh] = s
    st[hh + 1] = s


# ---------------------------------------------------------------------------------------
# hash index


@_inl
def _idx_insert(idx, U, s):  # type: ignore[no-untyped-def]
    mask = np.uint64(idx.shape[0] - 1)
    i = np.int64(U[s, U_HASH] & mask)
    while idx[i] >= 0:
        i = (i + 1) & (idx.shape[0] - 1)
    idx[i] = s


@_inl
def _idx_delete(idx, U, s):  # type: ignore[no-untyped-def]
    """Remove slot ``s`` with backward-shift deletion (no tombstones)."""
    m = idx.shape[0] - 1
    umask = np.uint64(m)
    i = np.int64(U[s, U_HASH] & umask)
    while idx[i] != s:
        i = (i + 1) & m
    j = i
    while True:
        idx[i] = -1
        while True:
            j = (j + 1) & m
            t = idx[j]
            if t < 0:
                return
            k = np.int64(U[t, U_HASH] & umask)
            # the entry at j stays if its home k lies cyclically in (i, j]
            if i <= j:
                if i < k <= j:
                    continue
            elif k > i or k <= j:
                continue
            idx[i] = t
            i = j
            break


@kernel
def _rebuild_index(idx, U, I, st):  # type: ignore[no-untyped-def]
    """Insert every open flow (walking the age list) into a fresh index."""
    for k in range(idx.shape[0]):
        idx[k] = -1
    s = st[S_HEAD_AGE]
    while s >= 0:
        _idx_insert(idx, U, s)
        s = I[s, I_ANEXT]


# ---------------------------------------------------------------------------------------
# ending flows


@_inl
def _conn_state(I, s, flip):  # type: ignore[no-untyped-def]
    """Zeek ``conn_state`` from the two TCP endpoint states (conn/main.zeek semantics); with
    ``flip`` (1) the state the flow would have with its two sides' roles swapped (DPI finds
    that the side seen first was the server: the flow is written reversed)."""
    proto = I[s, I_PROTO]
    o, r = flip, 1 - flip  # the originator's and responder's +dir offsets
    hbits = I[s, I_HBITS]
    if flip:  # the history bits of the two sides trade places (6 letters a side)
        hbits = ((hbits & 0x3F) << 6) | ((hbits >> 6) & 0x3F)
    if proto == 6:
        os_ = I[s, I_OST + o]
        rs = I[s, I_OST + r]
        o_inactive = os_ == EP_INACTIVE or os_ == EP_PARTIAL
        r_inactive = rs == EP_INACTIVE or rs == EP_PARTIAL
        if rs == EP_RESET:
            if (
                os_ == EP_SYN_SENT
                or os_ == EP_SYN_ACK_SENT
                or (os_ == EP_RESET and I[s, I_PB] == 0 and I[s, I_PB + 1] == 0)
            ):
                return CS_REJ
            if o_inactive:
                return CS_RSTRH
            return CS_RSTR
        if os_ == EP_RESET:
            if r_inactive:
                # Zeek: history matches ^S[^HAFGIQ]*R (originator SYN, then RST)
                if (hbits >> H_S) & 1 and not ((hbits >> H_H) & 1) and not (
                    (hbits >> H_A) & 1
                ) and not ((hbits >> H_F) & 1) and not ((hbits >> H_G) & 1):
                    return CS_RSTOS0
                return CS_OTH
            return CS_RSTO
        if rs == EP_CLOSED and os_ == EP_CLOSED:
            return CS_SF
        if os_ == EP_CLOSED:
            return CS_SH if r_inactive else CS_S2
        if rs == EP_CLOSED:
            return CS_SHR if o_inactive else CS_S3
        if os_ == EP_SYN_SENT and rs == EP_INACTIVE:
            return CS_S0
        if os_ == EP_ESTABLISHED and rs == EP_ESTABLISHED:
            return CS_S1
        return CS_OTH
    if proto != 17:
        # ICMP/ICMPv6 and every other IP protocol (SCTP, ESP, GRE, ...): Zeek writes OTH
        return CS_OTH
    o_sent = I[s, I_PKTS + o] > 0
    r_sent = I[s, I_PKTS + r] > 0
    if o_sent:
        return CS_SF if r_sent else CS_S0
    return CS_SHR if r_sent else CS_OTH


@_inl
def _mean_std(k, s1, s2, n):  # type: ignore[no-untyped-def]
    """Mean and sample stddev (n-1; 0 below two values) of ``n`` values from shifted sums.

    ``k`` is the shift (the first value), ``s1``/``s2`` the sums of (x - k) and (x - k)^2.
    """
    if n <= 0:
        return 0.0, 0.0
    nf = np.float64(n)
    f1 = np.float64(s1)
    mean = np.float64(k) + f1 / nf
    if n < 2:
        return mean, 0.0
    m2 = np.float64(s2) - f1 * f1 / nf
    return mean, np.sqrt(max(m2, 0.0) / (nf - 1.0))


@_inl
def _end_flow(s, reason, U, I, F, FPS, FDIR, FIAT, HIST, idx, free, st,  # type: ignore[no-untyped-def]
              EU, EI, EF, EPS, EDIR, EIAT, EHIST, EREASON, ESTATE):
    """Copy slot ``s`` to the ended buffer, unlink it everywhere and free the slot.

    ``EU``/``EI`` are column-major (row k holds column ``OUT_U[k]``/``OUT_I[k]``) so that
    emission reads contiguous columns;
    ``EF`` receives the final statistics (E_* rows), computed here from the shifted sums.
    """
    e = st[S_NENDED]
    for d in range(2):  # a hole still open when the flow ends was never filled
        if I[s, I_HOLEN + d] > 0:
            I[s, I_MISSED + d] += I[s, I_HOLEN + d]
            I[s, I_HOLEN + d] = 0
            _hist_add(I, HIST, s, _NH * d + H_G)
    for k in range(len(OUT_U)):
        EU[k, e] = U[s, OUT_U[k]]
    for k in range(len(OUT_I)):
        EI[k, e] = I[s, OUT_I[k]]
    if I[s, I_FLAGS + 2] > 0 and I[s, I_FLAGS + 10] > 0:
        # both sides sent FIN: like Zeek, the flow's last time is the packet that completed
        # the FIN exchange (RFC 9293 section 3.6); trailing ACKs still count in packets/bytes
        EI[_OUT_LAST, e] = I[s, I_FINTS]
    n0 = I[s, I_PKTS]
    n1 = I[s, I_PKTS + 1]
    for c in range(3):
        n = n0 if c == 0 else (n1 if c == 1 else n0 + n1)
        mean, std = _mean_std(I[s, I_PSK + c], I[s, I_PSS1 + c], I[s, I_PSS2 + c], n)
        EF[E_PSMEAN + c, e] = mean
        EF[E_PSSTD + c, e] = std
        k = max(n - 1, 0)
        mean, std = _mean_std(I[s, I_IATK + c], I[s, I_IATS1 + c], F[s, F_IATS2 + c], k)
        EF[E_IATMIN + c, e] = I[s, I_IATMIN + c] / 1e6
        EF[E_IATMEAN + c, e] = mean / 1e6
        EF[E_IATSTD + c, e] = std / 1e6
        EF[E_IATMAX + c, e] = I[s, I_IATMAX + c] / 1e6
    for c in range(FIRST_N):
        EPS[e, c] = FPS[s, c]
        EDIR[e, c] = FDIR[s, c]
        EIAT[e, c] = FIAT[s, c]
    for c in range(HIST_LEN):
        EHIST[e, c] = HIST[s, c]
    EREASON[e] = reason
    ESTATE[e, 0] = _conn_state(I, s, 0)
    ESTATE[e, 1] = _conn_state(I, s, 1)
    st[S_NENDED] = e + 1
    st[S_ENDED + reason] += 1
    hh = S_HEAD_IDLE if I[s, I_LIST] == 0 else S_HEAD_LING
    _unlink(I, st, s, I_PREV, I_NEXT, hh)
    _unlink(I, st, s, I_APREV, I_ANEXT, S_HEAD_AGE)
    _idx_delete(idx, U, s)
    U[s, U_FID] = 0  # a free slot (flow ids start at 1)
    free[st[S_NFREE]] = s
    st[S_NFREE] += 1
    st[S_OPEN] -= 1


@_inl
def _next_expired(I, st, params, now):  # type: ignore[no-untyped-def]
    """(slot, reason) of one flow to expire at ``now``, or (-1, 0)."""
    s = st[S_HEAD_AGE]
    if s >= 0 and now - I[s, I_TS] >= params[P_ACTIVE]:
        # a closed flow ends with its close reason (its connection is over: only its linger
        # was left); ``now`` may be far past the flow (a quiet gap, a capture spliced from
        # several days): the timeout whose deadline came first on the flow's own timeline
        # names the end, so a flow silent for longer than the idle timeout ends "idle"
        if I[s, I_LIST] != 0:
            return s, I[s, I_CLOSED]
        if _due(I[s, I_LAST], params[P_IDLE]) < _due(I[s, I_TS], params[P_ACTIVE]):
            return s, END_IDLE
        return s, END_ACTIVE
    s = st[S_HEAD_IDLE]
    if s >= 0 and now - I[s, I_LAST] >= params[P_IDLE]:
        return s, END_IDLE
    s = st[S_HEAD_LING]
    if s >= 0 and now - I[s, I_LAST] >= params[P_LINGER]:
        return s, I[s, I_CLOSED]
    return -1, 0


_TMAX = np.int64(2**63 - 1)


@_inl
def _due(t, p):  # type: ignore[no-untyped-def]
    """``t + p`` saturated at the largest int64 (timeouts may be huge)."""
    if t > _TMAX - p:
        return _TMAX
    return t + p


@_inl
def _deadline(I, st, params):  # type: ignore[no-untyped-def]
    """Earliest time at which a list head expires (the exact bound, from the three heads)."""
    dl = _TMAX
    s = st[S_HEAD_AGE]
    if s >= 0:
        dl = min(dl, _due(I[s, I_TS], params[P_ACTIVE]))
    s = st[S_HEAD_IDLE]
    if s >= 0:
        dl = min(dl, _due(I[s, I_LAST], params[P_IDLE]))
    s = st[S_HEAD_LING]
    if s >= 0:
        dl = min(dl, _due(I[s, I_LAST], params[P_LINGER]))
    return dl


# ---------------------------------------------------------------------------------------
# the per-packet loop


@_inl
def _s32(x):  # type: ignore[no-untyped-def]
    """``x`` modulo 2**32 as a signed 32-bit difference (RFC 9293 section 3.4 arithmetic)."""
    x = x & 0xFFFFFFFF
    return x - 0x100000000 if x >= 0x80000000 else x


@_inl
def _seq(I, s, d, seq, seglen, pl):  # type: ignore[no-untyped-def]
    """Account a segment of direction ``d`` occupying ``seglen`` sequence numbers from
    ``seq`` (payload ``pl``, plus one for SYN and for FIN); returns ``H_T`` for a
    retransmission, ``H_G`` when bytes are given up (missed), -1 otherwise.

    The direction's next expected number starts after its first segment seen. A segment
    past it opens a hole (an earlier hole still open is given up: missed); one inside the
    hole fills it (reordering, not a retransmission: a segment filling its middle keeps the
    hole's first part open and gives up the rest) -- unless a pure ACK opened the hole (its
    sender had sent those bytes already: what fills it is sent again, a retransmission); one
    wholly before it otherwise, with payload, is a retransmission. The other side
    acknowledging bytes of the hole gives them up (:func:`_acked`), as does the flow's end.
    A pure ACK (``seglen`` 0) only opens a hole or starts the direction."""
    end = (seq + seglen) & 0xFFFFFFFF
    if (I[s, I_SEQF] >> d) & 1 == 0:
        I[s, I_SEQF] |= 1 << d
        I[s, I_NXT + d] = end
        if d == 0:
            I[s, I_OISN] = seq | (1 << 32)
        return -1
    nxt = I[s, I_NXT + d]
    ds = _s32(seq - nxt)
    if ds >= 0:
        I[s, I_NXT + d] = end
        if ds == 0:
            return -1
        old = I[s, I_HOLEN + d]
        I[s, I_MISSED + d] += old
        I[s, I_HOLE + d] = nxt
        I[s, I_HOLEN + d] = ds
        by_ack = 4 << d  # SEQF bit 2+d: this hole was opened by a pure ACK
        I[s, I_SEQF] = (I[s, I_SEQF] | by_ack) if seglen == 0 else (I[s, I_SEQF] & ~by_ack)
        return H_G if old > 0 else -1
    if seglen == 0:
        return -1
    if _s32(end - nxt) > 0:  # starts before, ends past: its new part extends the stream
        I[s, I_NXT + d] = end
        return -1
    hn = I[s, I_HOLEN + d]
    if hn > 0:
        lo = I[s, I_HOLE + d]
        a = _s32(seq - lo)
        b = _s32(end - lo)
        if b > 0 and a < hn:  # it lands in the hole
            if a > 0:  # the hole's first part stays open; what follows the segment is given up
                I[s, I_HOLEN + d] = a
                if hn > b:
                    I[s, I_MISSED + d] += hn - b
                    return H_G
            elif b >= hn:
                I[s, I_HOLEN + d] = 0
            else:
                I[s, I_HOLE + d] = end
                I[s, I_HOLEN + d] = hn - b
            return H_T if pl > 0 and (I[s, I_SEQF] >> (2 + d)) & 1 else -1
    return H_T if pl > 0 else -1


@_inl
def _acked(I, s, d, ack):  # type: ignore[no-untyped-def]
    """The other side acknowledged up to ``ack``: bytes of direction ``d``'s hole below it
    reached the receiver without passing the capture point: given up (missed). True if
    any were."""
    hn = I[s, I_HOLEN + d]
    if hn == 0:
        return False
    got = _s32(ack - I[s, I_HOLE + d])
    if got <= 0:
        return False
    if got >= hn:
        I[s, I_MISSED + d] += hn
        I[s, I_HOLEN + d] = 0
    else:
        I[s, I_MISSED + d] += got
        I[s, I_HOLE + d] = ack & 0xFFFFFFFF
        I[s, I_HOLEN + d] = hn - got
    return True


@_inl
def _hist_add(I, HIST, s, bit):  # type: ignore[no-untyped-def]
    hb = I[s, I_HBITS]
    if (hb >> bit) & 1:
        return
    I[s, I_HBITS] = hb | (1 << bit)
    n = I[s, I_HLEN]
    if n < HIST_LEN:
        HIST[s, n] = _HIST_ASCII[bit]
        I[s, I_HLEN] = n + 1


@_inl
def _ps_stat(I, s, c, n, ps):  # type: ignore[no-untyped-def]
    """Account size ``ps`` as the ``n``-th value of size series ``c`` (0, 1, 2 = bidir)."""
    if n == 1:
        I[s, I_PSK + c] = ps
        I[s, I_MINPS + c] = ps
        I[s, I_MAXPS + c] = ps
    else:
        x = ps - I[s, I_PSK + c]
        I[s, I_PSS1 + c] += x
        I[s, I_PSS2 + c] += x * x
        I[s, I_MINPS + c] = min(I[s, I_MINPS + c], ps)
        I[s, I_MAXPS + c] = max(I[s, I_MAXPS + c], ps)


@_inl
def _iat_stat(I, F, s, c, k, iat):  # type: ignore[no-untyped-def]
    """Account inter-arrival time ``iat`` (ns) as the ``k``-th value of series ``c``."""
    if k == 1:
        I[s, I_IATK + c] = iat
        I[s, I_IATMIN + c] = iat
        I[s, I_IATMAX + c] = iat
    else:
        x = iat - I[s, I_IATK + c]
        I[s, I_IATS1 + c] += x
        fx = np.float64(x)
        F[s, F_IATS2 + c] += fx * fx
        I[s, I_IATMIN + c] = min(I[s, I_IATMIN + c], iat)
        I[s, I_IATMAX + c] = max(I[s, I_IATMAX + c], iat)


@_inl
def _tcp_endpoint(I, s, d, fl):  # type: ignore[no-untyped-def]
    """Simplified Zeek TCP endpoint state machine for the sender (RFC 9293 section 3.5)."""
    ce = I_OST + d
    co = I_OST + 1 - d
    e = I[s, ce]
    if fl & 4:  # RST
        I[s, ce] = EP_RESET
    elif fl & 1:  # FIN
        if e != EP_RESET:
            I[s, ce] = EP_CLOSED
    elif fl & 2:  # SYN
        if fl & 16:
            if e == EP_INACTIVE or e == EP_SYN_SENT:
                I[s, ce] = EP_SYN_ACK_SENT
        elif e == EP_INACTIVE:
            I[s, ce] = EP_SYN_SENT
    elif e == EP_INACTIVE:
        I[s, ce] = EP_PARTIAL
    elif (e == EP_SYN_SENT or e == EP_SYN_ACK_SENT) and (fl & 16):
        I[s, ce] = EP_ESTABLISHED
        o = I[s, co]
        if o == EP_SYN_SENT or o == EP_SYN_ACK_SENT:
            I[s, co] = EP_ESTABLISHED


@hot_kernel
def _process(i0, ts, wirelen, status, ip_ver, src_hi, src_lo, dst_hi, dst_lo, sport, dport,  # type: ignore[no-untyped-def]
             proto, tflags, tseq, tack, twin, icmp_t, icmp_c, ip_len, pay_len, vlan, vlan2, tun,
             tunid,
             smac, dmac, oshi, oslo, odhi, odlo,
             U, I, F, FPS, FDIR, FIAT, HIST, idx, free, st, params,
             out_fid, out_slot, out_dir, out_dpi,
             EU, EI, EF, EPS, EDIR, EIAT, EHIST, EREASON, ESTATE):
    """Run packets ``i0..n-1``; returns ``(next_i, rc)`` (see ``RC_*``)."""
    n = ts.shape[0]
    ecap = EREASON.shape[0]
    m = idx.shape[0] - 1
    ahead = st[S_CAP] >= params[P_PREFETCH]
    vmask = np.uint64(0xFFFFFFFF) if params[P_VLAN_KEY] else np.uint64(0)
    for i in range(i0, n):
        if ahead:  # software prefetch, in two steps: see PREFETCH_FAR
            k = i + PREFETCH_FAR
            if k < n and status[k] == 0:
                h = _key(k, proto, sport, dport, src_hi, src_lo, dst_hi, dst_lo, vlan, vlan2,
                         tun, tunid, vmask)[9]
                prefetch1(idx, np.int64(h & np.uint64(m)))
            k = i + PREFETCH_NEAR
            if k < n and status[k] == 0:
                h = _key(k, proto, sport, dport, src_hi, src_lo, dst_hi, dst_lo, vlan, vlan2,
                         tun, tunid, vmask)[9]
                c = idx[np.int64(h & np.uint64(m))]
                if c >= 0:
                    prefetch2(U, c, 0)
                    for col in range(0, NI, 8):  # the whole state row (~11 lines)
                        prefetch2(I, c, col)
                    prefetch2(I, c, NI - 1)  # (rows are not line-aligned)
                    prefetch2(F, c, 0)
                    prefetch2(HIST, c, 0)
                    prefetch2(FPS, c, 0)
                    prefetch2(FDIR, c, 0)
                    prefetch2(FIAT, c, 0)
        if st[S_NENDED] > ecap - 2:
            return i, RC_FULL
        # time = max timestamp seen so far (small backward jumps tolerated)
        now = st[S_NOW]
        t = np.int64(ts[i])
        if t > now:
            now = t
            st[S_NOW] = t
        # expiry: pop expired heads only. S_DEADLINE is a lower bound of every head's expiry
        # time: unlinking a head only moves it later; a list that was empty gets a new head
        # in the per-packet code below, which lowers the bound (lowered there).
        if now >= st[S_DEADLINE]:
            while True:
                s, reason = _next_expired(I, st, params, now)
                if s < 0:
                    break
                if st[S_NENDED] > ecap - 2:
                    return i, RC_FULL
                _end_flow(s, reason, U, I, F, FPS, FDIR, FIAT, HIST, idx, free, st,
                          EU, EI, EF, EPS, EDIR, EIAT, EHIST, EREASON, ESTATE)
            st[S_DEADLINE] = _deadline(I, st, params)
        if status[i] != 0:
            out_fid[i] = 0
            out_slot[i] = -1
            out_dir[i] = 0
            out_dpi[i] = 0
            continue
        pr, sp, dp, shi, slo, dhi, dlo, kpt, k2, h = _key(
            i, proto, sport, dport, src_hi, src_lo, dst_hi, dst_lo, vlan, vlan2, tun, tunid, vmask)
        fl = np.int64(tflags[i]) if pr == 6 else np.int64(0)
        # key words: ports+proto+tunnel type in each orientation
        k_fwd = sp | (dp << np.uint64(16)) | kpt
        k_rev = dp | (sp << np.uint64(16)) | kpt
        # lookup: linear probing; a probe reads the 64-byte key row only
        j = np.int64(h & np.uint64(m))
        s = -1
        d = 0
        while True:
            c = idx[j]
            if c < 0:
                break
            if U[c, U_HASH] == h and U[c, U_K2] == k2:
                k1 = U[c, U_K1]
                if (k1 == k_fwd and U[c, U_OLO] == slo and U[c, U_OHI] == shi
                        and U[c, U_RLO] == dlo and U[c, U_RHI] == dhi):
                    s = c
                    d = 0
                    break
                if (k1 == k_rev and U[c, U_OLO] == dlo and U[c, U_OHI] == dhi
                        and U[c, U_RLO] == slo and U[c, U_RHI] == shi):
                    s = c
                    d = 1
                    break
            j = (j + 1) & m
        # a fresh SYN on a closed TCP flow, or from the originator with another initial
        # sequence number than its first segment's: port reuse, end it and start a new flow.
        # Not a SYN sent again (the same number) nor this connection's own SYN captured after
        # its first data (up to 64 KiB before the first segment seen: SYN_LATE_WINDOW)
        if s >= 0 and (fl & 18) == 2:
            why = I[s, I_CLOSED]
            if why == 0 and d == 0 and I[s, I_OISN] != 0:
                back = _s32((I[s, I_OISN] & 0xFFFFFFFF) - np.int64(tseq[i]))
                if back < 0 or back > SYN_LATE_WINDOW:
                    why = END_REUSE
            if why != 0:
                _end_flow(s, why, U, I, F, FPS, FDIR, FIAT, HIST, idx, free, st,
                          EU, EI, EF, EPS, EDIR, EIAT, EHIST, EREASON, ESTATE)
                s = -1
        if s < 0:
            if st[S_NFREE] == 0:
                if st[S_CAP] < params[P_MAXF]:
                    return i, RC_GROW
                # hard bound: emit the flow idle longest (smallest touch number)
                a = st[S_HEAD_IDLE]
                b = st[S_HEAD_LING]
                if a < 0 or (b >= 0 and I[b, I_TOUCH] < I[a, I_TOUCH]):
                    a = b
                st[S_EVICTED] += 1
                _end_flow(a, END_EVICTED, U, I, F, FPS, FDIR, FIAT, HIST, idx, free, st,
                          EU, EI, EF, EPS, EDIR, EIAT, EHIST, EREASON, ESTATE)
            st[S_NFREE] -= 1
            s = free[st[S_NFREE]]
            # SYN-ACK seen first: the sender is the responder (RFC 9293 section 3.5)
            d = 1 if (fl & 18) == 18 else 0
            for c in range(NI):
                I[s, c] = 0
            # the originator is the packet's source unless the first packet is a SYN-ACK
            if d == 0:
                ohi, olo, rhi, rlo, k1 = shi, slo, dhi, dlo, k_fwd
                omac, rmac, op, rp = smac[i], dmac[i], sp, dp
                t0, t1, t2, t3 = oshi[i], oslo[i], odhi[i], odlo[i]
            else:
                ohi, olo, rhi, rlo, k1 = dhi, dlo, shi, slo, k_rev
                omac, rmac, op, rp = dmac[i], smac[i], dp, sp
                t0, t1, t2, t3 = odhi[i], odlo[i], oshi[i], oslo[i]
            I[s, I_OTUN] = np.int64(t0)
            I[s, I_OTUN + 1] = np.int64(t1)
            I[s, I_OTUN + 2] = np.int64(t2)
            I[s, I_OTUN + 3] = np.int64(t3)
            U[s, U_OHI] = ohi
            U[s, U_OLO] = olo
            U[s, U_RHI] = rhi
            U[s, U_RLO] = rlo
            U[s, U_K1] = k1
            I[s, I_OMAC] = np.int64(omac)
            I[s, I_RMAC] = np.int64(rmac)
            I[s, I_OP] = np.int64(op)
            I[s, I_RP] = np.int64(rp)
            U[s, U_K2] = k2
            U[s, U_FID] = np.uint64(st[S_NEXT_FID])
            st[S_NEXT_FID] += 1
            U[s, U_HASH] = h
            I[s, I_PROTO] = pr
            I[s, I_IPVER] = np.int64(ip_ver[i])
            I[s, I_VLAN] = np.int64(vlan[i])
            I[s, I_VLAN2] = np.int64(vlan2[i])
            I[s, I_TUN] = np.int64(tun[i])
            I[s, I_TUNID] = np.int64(tunid[i])
            I[s, I_TS] = now
            if pr == 1 or pr == 58:
                I[s, I_ICMPT] = np.int64(icmp_t[i])
                I[s, I_ICMPC] = np.int64(icmp_c[i])
            for c in range(NF):
                F[s, c] = 0.0
            for c in range(FIRST_N):
                FPS[s, c] = 0
                FDIR[s, c] = 0
                FIAT[s, c] = 0.0
            for c in range(HIST_LEN):
                HIST[s, c] = 0
            _append(I, st, s, I_PREV, I_NEXT, S_HEAD_IDLE)
            _append(I, st, s, I_APREV, I_ANEXT, S_HEAD_AGE)
            # the lists may have been empty: this flow may be a new head (see S_DEADLINE)
            st[S_DEADLINE] = min(st[S_DEADLINE],
                                 _due(now, min(params[P_IDLE], params[P_ACTIVE])))
            _idx_insert(idx, U, s)
            st[S_OPEN] += 1
            st[S_CREATED] += 1
            st[S_MAX_OPEN] = max(st[S_MAX_OPEN], st[S_OPEN])
        # ---- update the flow with this packet
        hh = S_HEAD_IDLE if I[s, I_LIST] == 0 else S_HEAD_LING
        if st[hh + 1] != s:
            _unlink(I, st, s, I_PREV, I_NEXT, hh)
            _append(I, st, s, I_PREV, I_NEXT, hh)
        tch = st[S_TOUCH] + 1
        st[S_TOUCH] = tch
        I[s, I_TOUCH] = tch
        nd = I[s, I_PKTS + d] + 1
        I[s, I_PKTS + d] = nd
        nb = I[s, I_PKTS + 1 - d] + nd
        ps = np.int64(ip_len[i])
        pl = np.int64(pay_len[i])
        I[s, I_WB + d] += np.int64(wirelen[i])
        I[s, I_IPB + d] += ps
        I[s, I_PB + d] += pl
        _ps_stat(I, s, d, nd, ps)
        _ps_stat(I, s, 2, nb, ps)
        if nd > 1:
            _iat_stat(I, F, s, d, nd - 1, now - I[s, I_LAST0 + d])
        iat_b = 0
        if nb > 1:
            iat_b = now - I[s, I_LAST]
            _iat_stat(I, F, s, 2, nb - 1, iat_b)
        I[s, I_LAST] = now
        I[s, I_LAST0 + d] = now
        fn = I[s, I_FIRSTN]
        if fn < FIRST_N:
            FPS[s, fn] = min(ps, 65535)
            FDIR[s, fn] = d
            FIAT[s, fn] = iat_b / 1e6
            I[s, I_FIRSTN] = fn + 1
        hb = _NH * d
        if pr == 6:
            fb = I_FLAGS + 8 * d
            if fl & 16:
                I[s, fb + 1] += 1
            I[s, fb + 4] += (fl >> 3) & 1  # PSH
            if fl & 0xE7:  # SYN, FIN, RST, URG, ECE, CWR: rare
                if fl & 2:
                    I[s, fb] += 1
                if fl & 1:
                    nf = I[s, fb + 2] + 1
                    I[s, fb + 2] = nf
                    # the first FIN of this side while the other side already sent one
                    # completes the FIN exchange
                    if nf == 1 and I[s, I_FLAGS + 8 * (1 - d) + 2] > 0:
                        I[s, I_FINTS] = now
                if fl & 4:
                    I[s, fb + 3] += 1
                if fl & 32:
                    I[s, fb + 5] += 1
                if fl & 64:
                    I[s, fb + 6] += 1
                if fl & 128:
                    I[s, fb + 7] += 1
            # Zeek history letters (first occurrence per direction): only when one is new
            want = 0
            if fl & 2:
                want |= 1 << (hb + (H_H if fl & 16 else H_S))
            if pl > 0:
                want |= 1 << (hb + H_D)
            elif (fl & 23) == 16:
                want |= 1 << (hb + H_A)
            if fl & 1:
                want |= 1 << (hb + H_F)
            if fl & 4:
                want |= 1 << (hb + H_R)
            if (I[s, I_HBITS] & want) != want:
                if fl & 2:
                    _hist_add(I, HIST, s, hb + (H_H if fl & 16 else H_S))
                if pl > 0:
                    _hist_add(I, HIST, s, hb + H_D)
                elif (fl & 23) == 16:
                    _hist_add(I, HIST, s, hb + H_A)
                if fl & 1:
                    _hist_add(I, HIST, s, hb + H_F)
                if fl & 4:
                    _hist_add(I, HIST, s, hb + H_R)
            # sequence space: retransmissions, gaps (what occupies sequence numbers; a RST's
            # may be anywhere, RFC 9293 section 3.10.7.3)
            if (fl & 4) == 0:
                got = _seq(I, s, d, np.int64(tseq[i]), pl + (fl & 1) + ((fl >> 1) & 1), pl)
                if got >= 0:
                    if got == H_T:
                        I[s, I_RETX + d] += 1
                        I[s, I_RETXB + d] += pl
                    _hist_add(I, HIST, s, hb + got)
            if (fl & 16) and _acked(I, s, 1 - d, np.int64(tack[i])):
                _hist_add(I, HIST, s, _NH * (1 - d) + H_G)
            if twin[i] == 0 and (fl & 22) == 16:  # a zero window (not on a SYN or RST)
                _hist_add(I, HIST, s, hb + H_W)
            # endpoint states change only on SYN/FIN/RST or before establishment
            if (fl & 7) != 0 or I[s, I_OST + d] <= EP_SYN_ACK_SENT:
                _tcp_endpoint(I, s, d, fl)
            # a flow closes only on a RST or on a FIN (RFC 9293 section 3.6)
            if (fl & 5) != 0 and I[s, I_CLOSED] == 0:
                closed = 0
                if fl & 4:
                    closed = END_RST
                elif I[s, I_FLAGS + 2] > 0 and I[s, I_FLAGS + 10] > 0:
                    closed = END_FIN
                if closed != 0:
                    I[s, I_CLOSED] = closed
                    _unlink(I, st, s, I_PREV, I_NEXT, S_HEAD_IDLE)
                    I[s, I_LIST] = 1
                    _append(I, st, s, I_PREV, I_NEXT, S_HEAD_LING)
                    st[S_DEADLINE] = min(st[S_DEADLINE], _due(now, params[P_LINGER]))
        elif pl > 0 or pr == 17:
            # Zeek's UDP analyzer records D/d for every datagram, empty ones too
            _hist_add(I, HIST, s, hb + H_D)
        dp_on = 0
        if pl > 0 and I[s, I_DPIOFF] == 0 and I[s, I_DPIN] < params[P_DPI]:
            I[s, I_DPIN] += 1
            dp_on = DPI_MARK
            if I[s, I_HBITS] & HANDSHAKE_BITS:
                dp_on = DPI_MARK | DPI_HANDSHAKE
        out_fid[i] = U[s, U_FID]
        out_slot[i] = s
        out_dir[i] = d
        out_dpi[i] = dp_on
    return np.int64(n), RC_DONE


@hot_kernel
def _flush(U, I, F, FPS, FDIR, FIAT, HIST, idx, free, st, reason,  # type: ignore[no-untyped-def]
           EU, EI, EF, EPS, EDIR, EIAT, EHIST, EREASON, ESTATE):
    """End open flows in creation order until the ended buffer is full; returns flows left."""
    ecap = EREASON.shape[0]
    while st[S_HEAD_AGE] >= 0 and st[S_NENDED] < ecap:
        _end_flow(st[S_HEAD_AGE], reason, U, I, F, FPS, FDIR, FIAT, HIST, idx, free, st,
                  EU, EI, EF, EPS, EDIR, EIAT, EHIST, EREASON, ESTATE)
    return st[S_OPEN]


@kernel
def _stop_dpi(I, U, slots, fids):  # type: ignore[no-untyped-def]
    for k in range(slots.shape[0]):
        s = slots[k]
        if s >= 0 and s < I.shape[0] and U[s, U_FID] == fids[k]:  # (0: a free slot)
            I[s, I_DPIOFF] = 1

