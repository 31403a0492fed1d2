"""Compiled SHA-1 (FIPS 180-4 section 6.1) of short rows, for the Community ID of flows: a
flow's hashed tuple is at most 40 bytes, one 64-byte block once padded, and ``hashlib`` costs
a Python call per flow (~0.7 us: as much as the flow table's work for a flow of a few
packets). Checked against ``hashlib`` in the tests."""

from __future__ import annotations

import numpy as np

from wirelens.core.jit import kernel

MAX_ROW = 55
"""Longest row one block holds (64 bytes less the 0x80 byte and the 8-byte length)."""

_M = 0xFFFFFFFF
_H = (0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0)


@kernel
def _sha1_rows(data, out):  # type: ignore[no-untyped-def]
    """``out[r]`` (20 bytes) = SHA-1 of ``data[r]`` (each row ``data.shape[1]`` <=
    :data:`MAX_ROW` bytes: one block, the row then 0x80, zeros and its length in bits)."""
    m, size = data.shape
    w = np.zeros(80, np.int64)
    for r in range(m):
        for t in range(16):
            x = np.int64(0)
            for q in range(4):
                i = 4 * t + q
                if i < size:
                    byte = np.int64(data[r, i])
                elif i == size:
                    byte = np.int64(0x80)
                elif i >= 56:
                    byte = np.int64(((size * 8) >> (8 * (63 - i))) & 0xFF)
                else:
                    byte = np.int64(0)
                x = (x << 8) | byte
            w[t] = x
        for t in range(16, 80):
            x = w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16]
            w[t] = ((x << 1) | (x >> 31)) & _M
        a, b, c, d, e = _H
        for t in range(20):
            tmp = ((((a << 5) | (a >> 27)) & _M) + ((b & c) | (~b & d)) + e + 0x5A827999
                   + w[t]) & _M
            e, d, c, b, a = d, c, ((b << 30) | (b >> 2)) & _M, a, tmp
        for t in range(20, 40):
            tmp = ((((a << 5) | (a >> 27)) & _M) + (b ^ c ^ d) + e + 0x6ED9EBA1 + w[t]) & _M
            e, d, c, b, a = d, c, ((b << 30) | (b >> 2)) & _M, a, tmp
        for t in range(40, 60):
            tmp = ((((a << 5) | (a >> 27)) & _M) + ((b & c) | (b & d) | (c & d)) + e
                   + 0x8F1BBCDC + w[t]) & _M
            e, d, c, b, a = d, c, ((b << 30) | (b >> 2)) & _M, a, tmp
        for t in range(60, 80):
            tmp = ((((a << 5) | (a >> 27)) & _M) + (b ^ c ^ d) + e + 0xCA62C1D6 + w[t]) & _M
            e, d, c, b, a = d, c, ((b << 30) | (b >> 2)) & _M, a, tmp
        a = (_H[0] + a) & _M
        b = (_H[1] + b) & _M
        c = (_H[2] + c) & _M
        d = (_H[3] + d) & _M
        e = (_H[4] + e) & _M
        for q in range(4):
            sh = 24 - 8 * q
            out[r, q] = (a >> sh) & 0xFF
            out[r, 4 + q] = (b >> sh) & 0xFF
            out[r, 8 + q] = (c >> sh) & 0xFF
            out[r, 12 + q] = (d >> sh) & 0xFF
            out[r, 16 + q] = (e >> sh) & 0xFF


def sha1_rows(data: np.ndarray) -> np.ndarray:
    """The SHA-1 digest (20 bytes a row) of each row of the uint8 matrix ``data``."""
    rows = np.ascontiguousarray(data, np.uint8)
    if rows.ndim != 2 or rows.shape[1] > MAX_ROW:
        raise ValueError(f"rows of at most {MAX_ROW} bytes, not shape {rows.shape}")
    out = np.empty((rows.shape[0], 20), np.uint8)
    _sha1_rows(rows, out)
    return out


__all__ = ["MAX_ROW", "sha1_rows"]
