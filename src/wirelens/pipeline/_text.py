"""Compiled text formatting of whole columns (addresses, MACs, uids) straight into Arrow
string buffers: no Python object per row.

Each kernel writes UTF-8 bytes into a buffer sized for the worst case and fills the Arrow
offsets; :func:`to_arrow` wraps them without copying.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from wirelens.core.jit import kernel, mix64

_HEX = np.frombuffer(b"0123456789abcdef", np.uint8).copy()
_B62 = np.frombuffer(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
                     np.uint8).copy()
_V4_MASK = np.uint64(0xFFFF_FFFF_0000_0000)
_V4_MAPPED = np.uint64(0x0000_FFFF_0000_0000)


@kernel
def _put_dec(out, pos, v):  # type: ignore[no-untyped-def]
    if v >= 100:
        out[pos] = 48 + v // 100
        pos += 1
    if v >= 10:
        out[pos] = 48 + (v // 10) % 10
        pos += 1
    out[pos] = 48 + v % 10
    return pos + 1


@kernel
def _format_addrs(hi, lo, hexd, out, offsets):  # type: ignore[no-untyped-def]
    """IPv4 (mapped) dotted quad, or IPv6 per RFC 5952 section 4 (lower case, no leading
    zeros, the longest run of two or more zero groups as ``::``, first run on a tie)."""
    pos = 0
    groups = np.zeros(8, np.int64)
    for i in range(hi.shape[0]):
        offsets[i] = pos
        h = hi[i]
        lw = lo[i]
        if h == 0 and (lw >> np.uint64(32)) == np.uint64(0xFFFF):
            v = np.int64(lw & np.uint64(0xFFFFFFFF))
            for s in (24, 16, 8):
                pos = _put_dec(out, pos, (v >> s) & 255)
                out[pos] = 46
                pos += 1
            pos = _put_dec(out, pos, v & 255)
            continue
        for g in range(4):
            groups[g] = np.int64((h >> np.uint64(48 - 16 * g)) & np.uint64(0xFFFF))
            groups[4 + g] = np.int64((lw >> np.uint64(48 - 16 * g)) & np.uint64(0xFFFF))
        best_start = -1
        best_len = 0
        g = 0
        while g < 8:
            if groups[g] == 0:
                s = g
                while g < 8 and groups[g] == 0:
                    g += 1
                if g - s > best_len:
                    best_start = s
                    best_len = g - s
            else:
                g += 1
        if best_len < 2:
            best_start = -1
        g = 0
        while g < 8:
            if g == best_start:
                out[pos] = 58
                out[pos + 1] = 58
                pos += 2
                g += best_len
                continue
            if g > 0 and g != best_start + best_len or (g > 0 and best_start == -1):
                out[pos] = 58
                pos += 1
            v = groups[g]
            started = False
            for sh in (12, 8, 4, 0):
                d = (v >> sh) & 15
                if d != 0 or started or sh == 0:
                    out[pos] = hexd[d]
                    pos += 1
                    started = True
            g += 1
    offsets[hi.shape[0]] = pos
    return pos


@kernel
def _format_macs(mac, hexd, out, offsets):  # type: ignore[no-untyped-def]
    pos = 0
    for i in range(mac.shape[0]):
        offsets[i] = pos
        m = mac[i]
        if m == 0:
            continue
        for k in range(6):
            b = np.int64((m >> np.uint64(8 * (5 - k))) & np.uint64(255))
            if k:
                out[pos] = 58
                pos += 1
            out[pos] = hexd[b >> 4]
            out[pos + 1] = hexd[b & 15]
            pos += 2
    offsets[mac.shape[0]] = pos
    return pos


@kernel
def _format_uids(ids, salt, b62, out, offsets):  # type: ignore[no-untyped-def]
    pos = 0
    for i in range(ids.shape[0]):
        offsets[i] = pos
        z = mix64((ids[i] ^ salt) + np.uint64(0x9E3779B97F4A7C15))
        out[pos] = 67  # "C"
        for k in range(11, 0, -1):
            out[pos + k] = b62[np.int64(z % np.uint64(62))]
            z = z // np.uint64(62)
        pos += 12
    offsets[ids.shape[0]] = pos
    return pos


def to_arrow(n: int, out: np.ndarray, offsets: np.ndarray, used: int,
             valid: np.ndarray | None = None) -> pa.Array:
    bitmap = None
    nulls = 0
    if valid is not None and not valid.all():
        bitmap = pa.py_buffer(np.packbits(valid, bitorder="little"))
        nulls = int(n - valid.sum())
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(out[:used]),
                                       bitmap, nulls)


def addrs(hi: np.ndarray, lo: np.ndarray) -> pa.Array:
    n = len(lo)
    if n == 0:  # (no kernel call: a run that read nothing prints its empty top talkers)
        return pa.array([], pa.string())
    out = np.empty(n * 39 + 1, np.uint8)
    offsets = np.empty(n + 1, np.int32)
    used = _format_addrs(np.ascontiguousarray(hi, np.uint64), np.ascontiguousarray(lo, np.uint64),
                         _HEX, out, offsets)
    return to_arrow(n, out, offsets, used)


def macs(mac: np.ndarray) -> pa.Array:
    n = len(mac)
    out = np.empty(n * 17 + 1, np.uint8)
    offsets = np.empty(n + 1, np.int32)
    mac = np.ascontiguousarray(mac, np.uint64)
    used = _format_macs(mac, _HEX, out, offsets)
    return to_arrow(n, out, offsets, used, mac != 0)


def uids(ids: np.ndarray, salt: int) -> pa.Array:
    n = len(ids)
    out = np.empty(n * 12 + 1, np.uint8)
    offsets = np.empty(n + 1, np.int32)
    used = _format_uids(np.ascontiguousarray(ids, np.uint64), np.uint64(salt), _B62, out, offsets)
    return to_arrow(n, out, offsets, used)
