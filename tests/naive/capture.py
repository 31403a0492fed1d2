"""Naive pure-Python reference reader for pcap / pcapng, to check the capture kernels.

It reads the whole (decompressed) file into memory and walks it with ``struct``; slow and
simple on purpose. It follows the same rules as ``wirelens.capture``: it stops at the first
damage and reports ``(records, stop_kind)``.
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import struct
from dataclasses import dataclass
from pathlib import Path

import zstandard

MAX_RECORD = 256 * 1024
MAX_BLOCK = 16 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class NaiveRecord:
    """One record as the reference sees it."""

    offset: int
    """Offset of the captured bytes in the decompressed stream."""
    caplen: int
    wirelen: int
    ts_ns: int
    linktype: int


def load(path: str | Path) -> bytes:
    """Whole decompressed content (gzip, zstd, xz, bzip2 by magic)."""
    raw = Path(path).read_bytes()
    if raw[:2] == b"\x1f\x8b":
        return gzip.decompress(raw)
    if raw[:4] == b"\x28\xb5\x2f\xfd":
        return zstandard.ZstdDecompressor().decompressobj().decompress(raw)
    if raw[:6] == b"\xfd7zXZ\x00":
        return lzma.decompress(raw)
    if raw[:3] == b"BZh":
        return bz2.decompress(raw)
    return raw


def read(data: bytes) -> tuple[list[NaiveRecord], str | None]:
    """Records of a pcap or pcapng image and the kind of damage that stopped it (or None)."""
    if data[:4] == b"\x0a\x0d\x0d\x0a":
        return _pcapng(data)
    return _pcap(data)


def _pcap(d: bytes) -> tuple[list[NaiveRecord], str | None]:
    magic_le = struct.unpack("<I", d[:4])[0]
    magic_be = struct.unpack(">I", d[:4])[0]
    known = {0xA1B2C3D4: (False, 16), 0xA1B23C4D: (True, 16), 0xA1B2CD34: (False, 24)}
    if magic_le in known:
        e = "<"
        ns, hdr = known[magic_le]
    elif magic_be in known:
        e = ">"
        ns, hdr = known[magic_be]
    else:
        raise ValueError("not pcap")
    if len(d) < 24:
        return [], "truncated_header"
    link = struct.unpack(e + "I", d[20:24])[0] & 0xFFFF
    out: list[NaiveRecord] = []
    pos = 24
    while pos < len(d):
        if len(d) - pos < hdr:
            return out, "truncated_record"
        sec, frac, incl, orig = struct.unpack(e + "IIII", d[pos : pos + 16])
        if incl > MAX_RECORD:
            return out, "bad_record_length"
        if len(d) - pos - hdr < incl:
            return out, "truncated_record"
        ts = sec * 1_000_000_000 + (frac if ns else frac * 1000)
        out.append(NaiveRecord(pos + hdr, incl, orig, ts, link))
        pos += hdr + incl
    return out, None


def _ts(ticks: int, tsresol: int, offset: int) -> int:
    """Ticks in interface units to epoch ns (exact integer arithmetic, truncating)."""
    v = tsresol & 0x7F
    per_sec = (1 << v) if tsresol & 0x80 else 10**v
    ns = ticks * 1_000_000_000 // per_sec
    offset = max(-9_223_372_035, min(9_223_372_035, offset))
    return min(ns + offset * 1_000_000_000, 2**63 - 1)  # saturate, as the reader does


def _pcapng(d: bytes) -> tuple[list[NaiveRecord], str | None]:
    out: list[NaiveRecord] = []
    pos = 0
    e = "<"
    ifaces: list[tuple[int, int, int, int]] = []  # link, snap, tsresol, offset
    while pos < len(d):
        if len(d) - pos < 8:
            return out, "truncated_record"
        if d[pos : pos + 4] == b"\x0a\x0d\x0d\x0a":
            if len(d) - pos < 12:
                return out, "truncated_header" if pos == 0 else "truncated_record"
            bom = d[pos + 8 : pos + 12]
            if bom == b"\x1a\x2b\x3c\x4d":
                e = ">"
            elif bom == b"\x4d\x3c\x2b\x1a":
                e = "<"
            else:
                return out, "bad_magic"
            blen = struct.unpack(e + "I", d[pos + 4 : pos + 8])[0]
            if blen < 28 or blen % 4 or blen > MAX_BLOCK:
                return out, "bad_block_length"
            if len(d) - pos < blen:
                return out, "truncated_header" if pos == 0 else "truncated_record"
            if struct.unpack(e + "I", d[pos + blen - 4 : pos + blen])[0] != blen:
                return out, "bad_block_length"
            ifaces = []
            pos += blen
            continue
        btype, blen = struct.unpack(e + "II", d[pos : pos + 8])
        if blen < 12 or blen % 4 or blen > MAX_BLOCK:
            return out, "bad_block_length"
        if len(d) - pos < blen:
            return out, "truncated_record"
        if struct.unpack(e + "I", d[pos + blen - 4 : pos + blen])[0] != blen:
            return out, "bad_block_length"
        body = d[pos + 8 : pos + blen - 4]
        if btype == 1:
            if blen < 20:
                return out, "bad_block_length"
            link, _, snap = struct.unpack(e + "HHI", body[:8])
            tsresol, offset = 6, 0
            o = 8
            while o + 4 <= len(body):
                code, olen = struct.unpack(e + "HH", body[o : o + 4])
                if code == 0 or o + 4 + olen > len(body):
                    break
                if code == 9 and olen >= 1:
                    tsresol = body[o + 4]
                elif code == 14 and olen == 8:
                    offset = struct.unpack(e + "q", body[o + 4 : o + 12])[0]
                o += 4 + (olen + 3) // 4 * 4
            ifaces.append((link, snap, tsresol, offset))
        elif btype in (6, 2):
            if blen < 32:
                return out, "bad_record_length"
            if btype == 6:
                iface, hi, lo, incl, orig = struct.unpack(e + "IIIII", body[:20])
            else:
                iface, _, hi, lo, incl, orig = struct.unpack(e + "HHIIII", body[:20])
            if iface >= len(ifaces):
                return out, "bad_interface"
            if incl > MAX_RECORD or incl > blen - 32:
                return out, "bad_record_length"
            link, _, tsresol, offset = ifaces[iface]
            out.append(
                NaiveRecord(pos + 28, incl, orig, _ts((hi << 32) | lo, tsresol, offset), link)
            )
        elif btype == 3:
            if not ifaces:
                return out, "bad_interface"
            if blen < 16:
                return out, "bad_record_length"
            orig = struct.unpack(e + "I", body[:4])[0]
            incl = orig
            if ifaces[0][1] and incl > ifaces[0][1]:
                incl = ifaces[0][1]
            incl = min(incl, blen - 16)
            if incl > MAX_RECORD:
                return out, "bad_record_length"
            out.append(NaiveRecord(pos + 12, incl, orig, 0, ifaces[0][0]))
        pos += blen
    return out, None
