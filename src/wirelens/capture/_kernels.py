"""Numba kernels that walk capture records inside one read window.

No Python object is created per packet: each kernel fills preallocated column arrays
(offset, caplen, wirelen, ts_ns [, linktype]) for as many whole records as fit in the window,
and returns ``(count, next_pos, status)`` so the Python driver can refill the window, grow it,
report damage, or (pcapng) handle a non-packet block.

Layouts:

* classic pcap record header (libpcap file format, draft-ietf-opsawg-pcap section 5):
  ts_sec u32, ts_frac u32 (micro- or nanoseconds), incl_len u32, orig_len u32, then data.
* pcapng blocks (draft-ietf-opsawg-pcapng section 3.1): type u32, total length u32, body,
  total length u32 again. Enhanced Packet Block (section 4.3), Simple Packet Block
  (section 4.4) and the obsolete Packet Block (appendix A) carry packets.
"""

from __future__ import annotations

import numpy as np

from wirelens.core.jit import kernel

# ---- statuses returned by the kernels (the Python driver decides what each means) ----------
ST_NEED_MORE = 0
"""The next record/block is not whole in the window (refill, grow, or truncated at EOF)."""
ST_FULL = 1
"""The output columns are full: hand the batch over and call again from ``next_pos``."""
ST_BAD_CAPLEN = 2
"""A record claims more captured bytes than allowed (absurd length)."""
ST_OTHER_BLOCK = 3
"""pcapng: a block the kernel does not handle starts at ``next_pos`` (SHB, IDB, unknown)."""
ST_BAD_BLOCK_LEN = 4
"""pcapng: block total length not a multiple of 4, < 12, or over the block limit."""
ST_BAD_TRAILER = 5
"""pcapng: the trailing copy of the block total length differs from the leading one."""
ST_BAD_IFACE = 6
"""pcapng: a packet block names an interface that the section did not describe."""
ST_BAD_PACKET_BLOCK = 7
"""pcapng: a packet block whose captured length does not fit inside the block."""

# pcapng block types (draft-ietf-opsawg-pcapng section 10.1)
BT_PACKET_OBSOLETE = 0x00000002
BT_SIMPLE_PACKET = 0x00000003
BT_NAME_RESOLUTION = 0x00000004
BT_INTERFACE_STATS = 0x00000005
BT_ENHANCED_PACKET = 0x00000006
BT_DECRYPTION_SECRETS = 0x0000000A
BT_CUSTOM = 0x00000BAD
BT_CUSTOM_NOCOPY = 0x40000BAD

_NS = np.uint64(1_000_000_000)
INT64_MAX = np.int64(9_223_372_036_854_775_807)
MAX_TS_SEC = 9_223_372_035
"""Seconds that still fit in int64 nanoseconds (with a whole second to spare)."""


@kernel
def _u16(buf, pos, be):  # type: ignore[no-untyped-def]
    """Unsigned 16-bit integer at ``pos`` (big-endian when ``be``), as int64."""
    a = np.int64(buf[pos])
    b = np.int64(buf[pos + 1])
    if be:
        return (a << 8) | b
    return (b << 8) | a


@kernel
def _u32(buf, pos, be):  # type: ignore[no-untyped-def]
    """Unsigned 32-bit integer at ``pos`` (big-endian when ``be``), as int64 (never negative)."""
    a = np.int64(buf[pos])
    b = np.int64(buf[pos + 1])
    c = np.int64(buf[pos + 2])
    d = np.int64(buf[pos + 3])
    if be:
        return (a << 24) | (b << 16) | (c << 8) | d
    return (d << 24) | (c << 16) | (b << 8) | a


@kernel
def _pcap_walk(buf, pos, end, be, ns, rec_hdr, max_caplen, out_off, out_cap, out_wire, out_ts):  # type: ignore[no-untyped-def]
    """Walk classic pcap records in ``buf[pos:end]``.

    ``rec_hdr`` is 16 (standard) or 24 (Kuznetzov "modified" pcap); ``ns`` selects nanosecond
    fractions. Fills the output columns from index 0 and returns ``(count, next_pos, status)``.
    """
    cap = out_off.shape[0]
    n = 0
    mult = np.int64(1) if ns else np.int64(1000)
    while True:
        if n >= cap:
            return n, pos, ST_FULL
        if end - pos < rec_hdr:
            return n, pos, ST_NEED_MORE
        sec = _u32(buf, pos, be)
        frac = _u32(buf, pos + 4, be)
        incl = _u32(buf, pos + 8, be)
        orig = _u32(buf, pos + 12, be)
        if incl > max_caplen:
            return n, pos, ST_BAD_CAPLEN
        if end - pos - rec_hdr < incl:
            return n, pos, ST_NEED_MORE
        out_off[n] = pos + rec_hdr
        out_cap[n] = incl
        out_wire[n] = orig
        out_ts[n] = sec * np.int64(1_000_000_000) + frac * mult
        n += 1
        pos += rec_hdr + incl


@kernel
def _ts_to_ns(hi, lo, pre_div, units, offset_s):  # type: ignore[no-untyped-def]
    """pcapng 64-bit timestamp (``hi``/``lo`` halves, in interface units) to epoch ns.

    ``pre_div`` first drops precision finer than a nanosecond, ``units`` is then the number of
    ticks per second (<= 2**30 or 10**9 so the products stay in 64 bits), ``offset_s`` is
    if_tsoffset in seconds, already clamped to +-MAX_TS_SEC (draft-ietf-opsawg-pcapng section
    4.2, options if_tsresol and if_tsoffset). Times past the int64 range (broken writers put
    garbage there) saturate at ``INT64_MAX`` instead of wrapping to negative values.
    """
    t = (np.uint64(hi) << np.uint64(32)) | np.uint64(lo)
    t = t // pre_div
    sec = t // units
    if sec > np.uint64(MAX_TS_SEC):
        return INT64_MAX
    frac = t - sec * units
    ns = np.int64(sec * _NS + (frac * _NS) // units)
    off = offset_s * np.int64(1_000_000_000)
    if off > 0 and ns > INT64_MAX - off:
        return INT64_MAX
    return ns + off


@kernel
def _pcapng_walk(  # type: ignore[no-untyped-def]
    buf,
    pos,
    end,
    be,
    max_caplen,
    max_block,
    if_link,
    if_snap,
    if_prediv,
    if_units,
    if_offset,
    n_if,
    out_off,
    out_cap,
    out_wire,
    out_ts,
    out_link,
):
    """Walk pcapng packet blocks (EPB, SPB, obsolete PB) of one section in ``buf[pos:end]``.

    Interface ``i < n_if`` has link type ``if_link[i]``, snap length ``if_snap[i]`` (0 = none),
    timestamp conversion ``if_prediv[i]``/``if_units[i]`` and offset ``if_offset[i]`` seconds.
    Name-resolution, statistics, decryption-secrets and custom blocks are skipped here (their
    lengths are still checked); any other block returns ``ST_OTHER_BLOCK`` at its start.
    Returns ``(count, next_pos, status)``; on a damage status ``next_pos`` is the bad block.
    """
    cap = out_off.shape[0]
    n = 0
    while True:
        if n >= cap:
            return n, pos, ST_FULL
        if end - pos < 8:
            return n, pos, ST_NEED_MORE
        btype = _u32(buf, pos, be)
        blen = _u32(buf, pos + 4, be)
        if btype == 0x0A0D0D0A:
            return n, pos, ST_OTHER_BLOCK  # SHB: byte order may change, Python reads it
        if blen < 12 or (blen & 3) != 0 or blen > max_block:
            return n, pos, ST_BAD_BLOCK_LEN
        if end - pos < blen:
            return n, pos, ST_NEED_MORE
        if _u32(buf, pos + blen - 4, be) != blen:
            return n, pos, ST_BAD_TRAILER
        if btype == BT_ENHANCED_PACKET or btype == BT_PACKET_OBSOLETE:
            # EPB: iface u32, ts hi, ts lo, caplen, origlen, data (section 4.3)
            # PB:  iface u16, drops u16, ts hi, ts lo, caplen, origlen, data (appendix A)
            if blen < 32:
                return n, pos, ST_BAD_PACKET_BLOCK
            if btype == BT_ENHANCED_PACKET:
                iface = _u32(buf, pos + 8, be)
            else:
                iface = _u16(buf, pos + 8, be)
            if iface >= n_if:
                return n, pos, ST_BAD_IFACE
            incl = _u32(buf, pos + 20, be)
            if incl > max_caplen:
                return n, pos, ST_BAD_CAPLEN
            if incl > blen - 32:
                return n, pos, ST_BAD_PACKET_BLOCK
            out_off[n] = pos + 28
            out_cap[n] = incl
            out_wire[n] = _u32(buf, pos + 24, be)
            out_ts[n] = _ts_to_ns(
                _u32(buf, pos + 12, be),
                _u32(buf, pos + 16, be),
                if_prediv[iface],
                if_units[iface],
                if_offset[iface],
            )
            out_link[n] = if_link[iface]
            n += 1
        elif btype == BT_SIMPLE_PACKET:
            # SPB: origlen u32, data (section 4.4); interface 0, no timestamp
            if n_if < 1:
                return n, pos, ST_BAD_IFACE
            if blen < 16:
                return n, pos, ST_BAD_PACKET_BLOCK
            orig = _u32(buf, pos + 8, be)
            incl = orig
            room = blen - 16
            if if_snap[0] != 0 and incl > if_snap[0]:
                incl = if_snap[0]
            incl = min(incl, room)
            if incl > max_caplen:
                return n, pos, ST_BAD_CAPLEN
            out_off[n] = pos + 12
            out_cap[n] = incl
            out_wire[n] = orig
            out_ts[n] = 0
            out_link[n] = if_link[0]
            n += 1
        elif not (
            btype == BT_NAME_RESOLUTION
            or btype == BT_INTERFACE_STATS
            or btype == BT_DECRYPTION_SECRETS
            or btype == BT_CUSTOM
            or btype == BT_CUSTOM_NOCOPY
        ):
            return n, pos, ST_OTHER_BLOCK
        pos += blen
