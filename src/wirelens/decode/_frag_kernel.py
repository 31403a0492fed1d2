"""Compiled IP fragment reassembly (RFC 791 section 3.2, RFC 8200 section 4.5).

All state lives in numpy arrays owned by :class:`~wirelens.decode.fragments.FragmentReassembler`:

* a bounded datagram table: slots ``0..D-1`` with their key (``dk``) and scalar fields
  (``dg``), found through an open-addressing index (linear probing, backward-shift deletion)
  on (source, destination, IP id, protocol, IP version, and the link and tunnel the fragments
  came in: VLANs, tunnel kind and id), chained in a doubly linked list in order of creation
  (the oldest is the one dropped on timeout, table full or memory bound);
* per datagram, at most ``F`` pieces (``pc``: offset, length, and the rank-by-offset list;
  ``ppos``: where the piece's bytes sit in the arena), kept in arrival order (the order in
  which overlaps are checked and reported) and also sorted by offset (completion check);
* an append-only byte arena holding the pieces' bytes; garbage left by dropped datagrams is
  reclaimed by :func:`_compact` (called by the wrapper when the arena is full);
* a ring of the last ``R`` weird records ``(ts_ns, code, frag_id)``;
* an output buffer where completed datagrams are assembled (fixed IP header, then payload);
* per datagram, the link and tunnel context of the fragment that opened it (``dctx``: VLANs,
  MPLS label, tunnel, outer addresses, MACs), handed out with each completed datagram
  (``o_ctx``): the rebuilt IP packet is decoded without its link layer; and the row of the
  fragment that completed it (``o_row``), whose place in the batch it takes.

The main kernel :func:`_add_rows` walks the FRAGMENT rows of a batch and stops early (returning
the row to resume at, with the reason in ``st[ST_REASON]``) when the arena or the output buffer
lacks room for one more fragment; the wrapper makes room and calls it again.
"""

from __future__ import annotations

import numpy as np

from wirelens.core.jit import kernel, mix64
from wirelens.core.weirds import Weird

# ---- scalar state (st, int64) ---------------------------------------------------------------
ST_HEAD = 0  # oldest datagram slot (-1 none)
ST_TAIL = 1  # newest datagram slot (-1 none)
ST_COUNT = 2  # datagrams in progress
ST_NFREE = 3  # free slots on the free stack
ST_ARENA_TAIL = 4  # next free byte of the arena
ST_LIVE = 5  # piece bytes held by datagrams in progress (``buffered_bytes``)
ST_OUT_POS = 6  # bytes written to the output buffer in this call sequence
ST_N_OUT = 7  # datagrams written to the output buffer
ST_W_COUNT = 8  # weird records written to the ring, ever
ST_REASON = 9  # why _add_rows returned: see REASON_*
N_ST = 10

REASON_DONE = 0
REASON_ARENA = 1  # the arena cannot take the next fragment's bytes
REASON_OUT = 2  # the output buffer cannot take one more datagram

# ---- counters (cnt, int64), same order as FragmentReassembler.counters -----------------------
COUNTER_NAMES = (
    "fragments",
    "reassembled",
    "timeouts",
    "table_full",
    "evicted",
    "too_large",
    "too_many_fragments",
    "overlaps",
    "inconsistent_overlaps",
)
C_FRAGMENTS, C_REASSEMBLED, C_TIMEOUTS, C_TABLE_FULL, C_EVICTED = 0, 1, 2, 3, 4
C_TOO_LARGE, C_TOO_MANY, C_OVERLAPS, C_INCONSISTENT = 5, 6, 7, 8

# ---- datagram key (dk, uint64) and fields (dg, int64) ----------------------------------------
K_SRC_HI, K_SRC_LO, K_DST_HI, K_DST_LO, K_META, K_HASH, K_CTX = 0, 1, 2, 3, 4, 5, 6
N_K = 7
"""``K_CTX``: vlan | vlan_inner << 12 | tunnel << 24 | tunnel_id << 32 (fragments of one
datagram share them; the same addresses in two VLANs or tunnels are two datagrams)."""
D_FIRST_TS = 0  # time of the first fragment (timeouts count from it)
D_TOTAL = 1  # payload length once the last fragment (more=0) arrived, else -1
D_HLEN = 2  # bytes of the saved IP header (0 until the offset-0 fragment arrived)
D_NP = 3  # pieces held
D_NBYTES = 4  # piece bytes held
D_PREV = 5  # creation-order list
D_NEXT = 6
D_MAXLEN = 7  # longest piece held (bounds the overlap search)
N_D = 8

# pieces (pc, int32): offset, length, and (column P_RANK) the piece index at rank r by offset
P_OFF, P_LEN, P_RANK = 0, 1, 2
N_P = 3

HDR_BYTES = 64
"""Room for a saved IP header (IPv4 at most 60 bytes, RFC 791 section 3.1; IPv6 40)."""
MAX_DATAGRAM_OUT = 65_535 + HDR_BYTES
"""Largest datagram one fragment can complete (IPv6: 40-byte header + 65535 payload)."""
MAX_IP_PAYLOAD = 65_535

W_TOO_LARGE = int(Weird.fragment_too_large)
W_TABLE_FULL = int(Weird.fragment_table_full)
W_TIMEOUT = int(Weird.fragment_timeout)
W_EVICTED = int(Weird.fragment_evicted)
W_OVERLAP = int(Weird.fragment_overlap)
W_INCONSISTENT = int(Weird.fragment_inconsistent_overlap)


@kernel
def _key_hash(shi, slo, dhi, dlo, meta, ck):  # type: ignore[no-untyped-def]
    return mix64(shi ^ mix64(slo ^ mix64(dhi ^ mix64(dlo ^ mix64(meta ^ mix64(ck))))))


@kernel
def _find(index, dk, h, shi, slo, dhi, dlo, meta, ck):  # type: ignore[no-untyped-def]
    """Slot of the datagram with this key, or -1."""
    mask = index.shape[0] - 1
    p = np.int64(h & np.uint64(mask))
    while True:
        s = index[p]
        if s < 0:
            return -1
        if (
            dk[s, K_HASH] == h
            and dk[s, K_META] == meta
            and dk[s, K_SRC_LO] == slo
            and dk[s, K_DST_LO] == dlo
            and dk[s, K_SRC_HI] == shi
            and dk[s, K_DST_HI] == dhi
            and dk[s, K_CTX] == ck
        ):
            return s
        p = (p + 1) & mask


@kernel
def _index_remove(index, dk, slot):  # type: ignore[no-untyped-def]
    """Remove ``slot`` from the index (linear probing, backward-shift deletion)."""
    mask = index.shape[0] - 1
    i = np.int64(dk[slot, K_HASH] & np.uint64(mask))
    while index[i] != slot:
        i = (i + 1) & mask
    j = i
    while True:
        j = (j + 1) & mask
        s = index[j]
        if s < 0:
            break
        home = np.int64(dk[s, K_HASH] & np.uint64(mask))
        # leave s where it is when its home lies cyclically in (i, j]
        if i <= j:
            if i < home <= j:
                continue
        elif home > i or home <= j:
            continue
        index[i] = s
        i = j
    index[i] = -1


@kernel
def _drop(st, dk, dg, index, free, slot):  # type: ignore[no-untyped-def]
    """Forget the datagram in ``slot`` (its arena bytes become garbage)."""
    _index_remove(index, dk, slot)
    prv = dg[slot, D_PREV]
    nxt = dg[slot, D_NEXT]
    if prv >= 0:
        dg[prv, D_NEXT] = nxt
    else:
        st[ST_HEAD] = nxt
    if nxt >= 0:
        dg[nxt, D_PREV] = prv
    else:
        st[ST_TAIL] = prv
    st[ST_LIVE] -= dg[slot, D_NBYTES]
    st[ST_COUNT] -= 1
    free[st[ST_NFREE]] = slot
    st[ST_NFREE] += 1


@kernel
def _weird(st, wr, ts, code, fid):  # type: ignore[no-untyped-def]
    r = st[ST_W_COUNT] % wr.shape[0]
    wr[r, 0] = ts
    wr[r, 1] = code
    wr[r, 2] = fid
    st[ST_W_COUNT] += 1


@kernel
def _fid_of(dk, slot):  # type: ignore[no-untyped-def]
    return np.int64(dk[slot, K_META] & np.uint64(0xFFFFFFFF))


@kernel
def _expire(st, cnt, dk, dg, index, free, wr, now, timeout_ns):  # type: ignore[no-untyped-def]
    """Drop datagrams from the oldest on while older than the timeout (stops at the first one
    that is not: creation order, like the reference)."""
    while st[ST_HEAD] >= 0:
        s = st[ST_HEAD]
        if now - dg[s, D_FIRST_TS] <= timeout_ns:
            break
        fid = _fid_of(dk, s)
        _drop(st, dk, dg, index, free, s)
        cnt[C_TIMEOUTS] += 1
        _weird(st, wr, now, W_TIMEOUT, fid)


@kernel
def _rank_of(pc, slot, npc, x):  # type: ignore[no-untyped-def]
    """First rank whose piece offset is >= ``x`` (binary search on the by-offset ranking)."""
    lo = np.int64(0)
    hi = npc
    while lo < hi:
        mid = (lo + hi) >> 1
        if np.int64(pc[slot, pc[slot, mid, P_RANK], P_OFF]) < x:
            lo = mid + 1
        else:
            hi = mid
    return lo


@kernel
def _checksum(buf, start, n):  # type: ignore[no-untyped-def]
    """Internet checksum (RFC 1071) of ``buf[start:start+n]`` (``n`` even)."""
    s = np.int64(0)
    for k in range(start, start + n, 2):
        s += (np.int64(buf[k]) << 8) | np.int64(buf[k + 1])
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


@kernel
def _try_complete(st, dg, hdr, pc, ppos, arena, slot, proto, out):  # type: ignore[no-untyped-def]
    """Assemble the datagram in ``slot`` into ``out`` if it is complete; return its length
    (header included) or -1. The datagram is not dropped here."""
    hlen = dg[slot, D_HLEN]
    total = dg[slot, D_TOTAL]
    if hlen == 0 or total < 0:
        return -1
    npc = dg[slot, D_NP]
    covered = np.int64(0)
    for r in range(npc):  # every piece, even past the end, must leave no gap before it
        j = pc[slot, r, P_RANK]
        o = np.int64(pc[slot, j, P_OFF])
        if o > covered:
            return -1
        e = o + np.int64(pc[slot, j, P_LEN])
        covered = max(covered, e)
    if covered < total:
        return -1
    base = st[ST_OUT_POS]
    for k in range(hlen):
        out[base + k] = hdr[slot, k]
    if hdr[slot, 0] >> 4 == 4:  # RFC 791 section 3.1 / 3.2
        tl = hlen + total
        out[base + 2] = tl >> 8
        out[base + 3] = tl & 0xFF
        out[base + 6] = 0  # flags (MF) and fragment offset cleared
        out[base + 7] = 0
        out[base + 10] = 0
        out[base + 11] = 0
        c = _checksum(out, base, hlen)
        out[base + 10] = c >> 8
        out[base + 11] = c & 0xFF
    else:  # RFC 8200 section 4.5: payload length, next header of the fragment header
        out[base + 4] = total >> 8
        out[base + 5] = total & 0xFF
        out[base + 6] = proto
    body = base + hlen
    for r in range(npc):
        j = pc[slot, r, P_RANK]
        o = np.int64(pc[slot, j, P_OFF])
        if o >= total:
            break
        n = min(np.int64(pc[slot, j, P_LEN]), total - o)
        src = ppos[slot, j]
        for k in range(n):
            out[body + o + k] = arena[src + k]
    return hlen + total


@kernel
def _add_rows(  # type: ignore[no-untyped-def]
    rows, k0, data, ts_ns, ip_ver, src_hi, src_lo, dst_hi, dst_lo, proto, frag_id, frag_off,
    frag_more, l3_off, payload_off, payload_len, final_now, has_final, timeout_ns,
    max_fragments, max_bytes, st, cnt, dk, dg, hdr, pc, ppos, index, free, arena, wr, out,
    o_len, o_ts, o_row, vlan, vlan2, mpls, smac, dmac, tun, tunid, oshi, oslo, odhi, odlo, dctx,
    o_ctx,
):  # fmt: skip
    """Reassemble the FRAGMENT rows ``rows[k0:]``; return the index in ``rows`` reached (all
    of them unless ``st[ST_REASON]`` says which buffer needs room first). ``vlan`` ...
    ``odlo`` are the decoded columns of the context (``fragments.CONTEXT``, in its order)."""
    n = rows.shape[0]
    cap_d = dk.shape[0]
    cand = np.empty(max(max_fragments, 1), dtype=np.int64)
    for k in range(k0, n):
        i = rows[k]
        plen = np.int64(payload_len[i])
        if out.shape[0] - st[ST_OUT_POS] < MAX_DATAGRAM_OUT:
            st[ST_REASON] = REASON_OUT
            return k
        if arena.shape[0] - st[ST_ARENA_TAIL] < plen:
            st[ST_REASON] = REASON_ARENA
            return k
        ts = ts_ns[i]
        _expire(st, cnt, dk, dg, index, free, wr, ts, timeout_ns)
        cnt[C_FRAGMENTS] += 1
        ver = np.int64(ip_ver[i])
        fid = np.int64(frag_id[i])
        pr = np.int64(proto[i])
        meta = (np.uint64(ver) << np.uint64(40)) | (np.uint64(pr) << np.uint64(32))
        meta |= np.uint64(fid)
        shi, slo, dhi, dlo = src_hi[i], src_lo[i], dst_hi[i], dst_lo[i]
        ck = (np.uint64(vlan[i]) | np.uint64(vlan2[i]) << np.uint64(12)
              | np.uint64(tun[i]) << np.uint64(24) | np.uint64(tunid[i]) << np.uint64(32))
        h = _key_hash(shi, slo, dhi, dlo, meta, ck)
        off = np.int64(frag_off[i])
        poff = payload_off[i]
        l3 = l3_off[i]
        hlen = poff - l3 if ver == 4 else np.int64(40)
        # RFC 791: the whole datagram (header included) fits in 65535; RFC 8200: payload does
        limit = MAX_IP_PAYLOAD - hlen if ver == 4 else np.int64(MAX_IP_PAYLOAD)
        end = off + plen
        slot = _find(index, dk, h, shi, slo, dhi, dlo, meta, ck)
        if end > limit:
            if slot >= 0:
                _drop(st, dk, dg, index, free, slot)
            cnt[C_TOO_LARGE] += 1
            _weird(st, wr, ts, W_TOO_LARGE, fid)
            continue
        if slot < 0:
            if st[ST_COUNT] >= cap_d:
                old = st[ST_HEAD]
                ofid = _fid_of(dk, old)
                _drop(st, dk, dg, index, free, old)
                cnt[C_TABLE_FULL] += 1
                _weird(st, wr, ts, W_TABLE_FULL, ofid)
            st[ST_NFREE] -= 1
            slot = free[st[ST_NFREE]]
            dk[slot, K_SRC_HI] = shi
            dk[slot, K_SRC_LO] = slo
            dk[slot, K_DST_HI] = dhi
            dk[slot, K_DST_LO] = dlo
            dk[slot, K_META] = meta
            dk[slot, K_HASH] = h
            dk[slot, K_CTX] = ck
            dctx[slot, 0] = np.int64(vlan[i])
            dctx[slot, 1] = np.int64(vlan2[i])
            dctx[slot, 2] = np.int64(mpls[i])
            dctx[slot, 3] = np.int64(smac[i])
            dctx[slot, 4] = np.int64(dmac[i])
            dctx[slot, 5] = np.int64(tun[i])
            dctx[slot, 6] = np.int64(tunid[i])
            dctx[slot, 7] = np.int64(oshi[i])
            dctx[slot, 8] = np.int64(oslo[i])
            dctx[slot, 9] = np.int64(odhi[i])
            dctx[slot, 10] = np.int64(odlo[i])
            dg[slot, D_FIRST_TS] = ts
            dg[slot, D_TOTAL] = -1
            dg[slot, D_HLEN] = 0
            dg[slot, D_NP] = 0
            dg[slot, D_NBYTES] = 0
            dg[slot, D_MAXLEN] = 0
            tail = st[ST_TAIL]
            dg[slot, D_PREV] = tail
            dg[slot, D_NEXT] = -1
            if tail >= 0:
                dg[tail, D_NEXT] = slot
            else:
                st[ST_HEAD] = slot
            st[ST_TAIL] = slot
            st[ST_COUNT] += 1
            mask = index.shape[0] - 1
            p = np.int64(h & np.uint64(mask))
            while index[p] >= 0:
                p = (p + 1) & mask
            index[p] = slot
        npc = dg[slot, D_NP]
        if npc >= max_fragments:
            _drop(st, dk, dg, index, free, slot)
            cnt[C_TOO_MANY] += 1
            _weird(st, wr, ts, W_TOO_LARGE, fid)
            continue
        # overlaps, in arrival order: identical bytes are tolerated (retransmission),
        # different ones are an evasion attempt (RFC 5722 for IPv6): the datagram is dropped
        # candidates: offset in (off - longest piece, end), found by binary search
        r_same = _rank_of(pc, slot, npc, off)
        same = -1
        if r_same < npc and pc[slot, pc[slot, r_same, P_RANK], P_OFF] == off:
            same = pc[slot, r_same, P_RANK]
        ncand = 0
        if plen > 0:
            r = _rank_of(pc, slot, npc, off - dg[slot, D_MAXLEN] + 1)
            while r < npc:
                j = pc[slot, r, P_RANK]
                o = np.int64(pc[slot, j, P_OFF])
                if o >= end:
                    break
                ln = np.int64(pc[slot, j, P_LEN])
                if ln > 0 and o + ln > off:  # an empty piece overlaps nothing
                    cand[ncand] = j
                    ncand += 1
                r += 1
        if ncand > 1:  # arrival order, like the reference
            cand[:ncand] = np.sort(cand[:ncand])
        bad = False
        for c in range(ncand):
            j = cand[c]
            o = np.int64(pc[slot, j, P_OFF])
            lo = max(o, off)
            hi = min(o + np.int64(pc[slot, j, P_LEN]), end)
            a = ppos[slot, j] + lo - o
            b = poff + lo - off
            for q in range(hi - lo):
                if arena[a + q] != data[b + q]:
                    bad = True
                    break
            if bad:
                break
            cnt[C_OVERLAPS] += 1
            _weird(st, wr, ts, W_OVERLAP, fid)
        if bad:
            _drop(st, dk, dg, index, free, slot)
            cnt[C_INCONSISTENT] += 1
            _weird(st, wr, ts, W_INCONSISTENT, fid)
            continue
        if frag_more[i] == 0:
            if dg[slot, D_TOTAL] != -1 and dg[slot, D_TOTAL] != end:
                _drop(st, dk, dg, index, free, slot)
                cnt[C_INCONSISTENT] += 1
                _weird(st, wr, ts, W_INCONSISTENT, fid)
                continue
            dg[slot, D_TOTAL] = end
        if off == 0 and dg[slot, D_HLEN] == 0 and l3 >= 0:
            for q in range(hlen):
                hdr[slot, q] = data[l3 + q]
            dg[slot, D_HLEN] = hlen
        if same < 0 or plen > pc[slot, same, P_LEN]:
            pos = st[ST_ARENA_TAIL]
            for q in range(plen):
                arena[pos + q] = data[poff + q]
            st[ST_ARENA_TAIL] = pos + plen
            if same < 0:
                j = npc
                pc[slot, j, P_OFF] = off
                pc[slot, j, P_LEN] = 0
                for r in range(npc, r_same, -1):  # insert j at rank r_same
                    pc[slot, r, P_RANK] = pc[slot, r - 1, P_RANK]
                pc[slot, r_same, P_RANK] = j
                dg[slot, D_NP] = npc + 1
            else:
                j = same
            delta = plen - pc[slot, j, P_LEN]
            pc[slot, j, P_LEN] = plen
            ppos[slot, j] = pos
            dg[slot, D_NBYTES] += delta
            st[ST_LIVE] += delta
            dg[slot, D_MAXLEN] = max(dg[slot, D_MAXLEN], plen)
        gone = False
        while st[ST_LIVE] > max_bytes and st[ST_HEAD] >= 0:
            old = st[ST_HEAD]
            ofid = _fid_of(dk, old)
            _drop(st, dk, dg, index, free, old)
            cnt[C_EVICTED] += 1
            _weird(st, wr, ts, W_EVICTED, ofid)
            if old == slot:
                gone = True
                break
        if gone:
            continue
        size = _try_complete(st, dg, hdr, pc, ppos, arena, slot, pr, out)
        if size >= 0:
            _drop(st, dk, dg, index, free, slot)
            cnt[C_REASSEMBLED] += 1
            o_len[st[ST_N_OUT]] = size
            o_ts[st[ST_N_OUT]] = ts
            o_row[st[ST_N_OUT]] = i
            for q in range(dctx.shape[1]):
                o_ctx[st[ST_N_OUT], q] = dctx[slot, q]
            st[ST_N_OUT] += 1
            st[ST_OUT_POS] += size
    if has_final:
        _expire(st, cnt, dk, dg, index, free, wr, final_now, timeout_ns)
    st[ST_REASON] = REASON_DONE
    return n


@kernel
def _compact(st, dg, pc, ppos, arena, new_arena):  # type: ignore[no-untyped-def]
    """Copy the pieces of the datagrams in progress to the front of ``new_arena`` (which may
    be bigger than ``arena``) and set the arena tail; return the bytes copied."""
    tail = np.int64(0)
    s = st[ST_HEAD]
    while s >= 0:
        for j in range(dg[s, D_NP]):
            n = np.int64(pc[s, j, P_LEN])
            src = ppos[s, j]
            for q in range(n):
                new_arena[tail + q] = arena[src + q]
            ppos[s, j] = tail
            tail += n
        s = dg[s, D_NEXT]
    st[ST_ARENA_TAIL] = tail
    return tail
