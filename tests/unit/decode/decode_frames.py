"""Builders of hand-made frames for the decode tests (struct based, checksums left zero)."""

from __future__ import annotations

import ipaddress
import struct
from pathlib import Path
from typing import Any

import numpy as np

from wirelens.core.batch import RawBatch

DATA = Path(__file__).resolve().parents[3] / ".." / "shared" / "data"
"""The shared real captures (tests skip when the folder is absent)."""

MAC_A = bytes.fromhex("020000000001")
MAC_B = bytes.fromhex("020000000002")
V4MAP = 0x0000_FFFF_0000_0000


def v4(addr: str) -> bytes:
    return ipaddress.IPv4Address(addr).packed


def v6(addr: str) -> bytes:
    return ipaddress.IPv6Address(addr).packed


def mapped(addr: str) -> int:
    """IPv4-mapped low half of an IPv4 address (``src_lo``)."""
    return V4MAP | int(ipaddress.IPv4Address(addr))


def halves(addr: str) -> tuple[int, int]:
    """(hi, lo) of an IPv6 address."""
    x = int(ipaddress.IPv6Address(addr))
    return x >> 64, x & 0xFFFF_FFFF_FFFF_FFFF


def eth(payload: bytes, ethertype: int = 0x0800, dst: bytes = MAC_B, src: bytes = MAC_A) -> bytes:
    return dst + src + struct.pack("!H", ethertype) + payload


def vlan(vid: int, ethertype: int, payload: bytes) -> bytes:
    return struct.pack("!HH", (3 << 13) | vid, ethertype) + payload


def ipv4(
    payload: bytes,
    proto: int = 6,
    src: str = "10.0.0.1",
    dst: str = "10.0.0.2",
    ttl: int = 64,
    ident: int = 0x1234,
    frag: int = 0,
    options: bytes = b"",
    total: int | None = None,
    ihl: int | None = None,
) -> bytes:
    hl = 20 + len(options)
    vhl = 0x40 | ((ihl if ihl is not None else hl // 4) & 0xF)
    tot = hl + len(payload) if total is None else total
    hdr = struct.pack("!BBHHHBBH4s4s", vhl, 0, tot, ident, frag, ttl, proto, 0, v4(src), v4(dst))
    return hdr + options + payload


def ipv6(
    payload: bytes,
    nh: int = 6,
    src: str = "2001:db8::1",
    dst: str = "2001:db8::2",
    hops: int = 60,
    plen: int | None = None,
) -> bytes:
    pl = len(payload) if plen is None else plen
    return struct.pack("!IHBB", 0x6000_0000, pl, nh, hops) + v6(src) + v6(dst) + payload


def ext(nh: int, body_len8: int = 0) -> bytes:
    """A generic IPv6 extension header (hop-by-hop, routing, dest opts): (len+1)*8 bytes."""
    return struct.pack("!BB", nh, body_len8) + b"\x00" * (6 + 8 * body_len8)


def tcp(
    sport: int = 1234,
    dport: int = 80,
    seq: int = 1000,
    ack: int = 2000,
    flags: int = 0x18,
    win: int = 512,
    payload: bytes = b"",
    options: bytes = b"",
    doff: int | None = None,
) -> bytes:
    hl = 20 + len(options)
    d = (hl // 4) if doff is None else doff
    return (
        struct.pack("!HHIIBBHHH", sport, dport, seq, ack, d << 4, flags, win, 0, 0)
        + options
        + payload
    )


def udp(sport: int, dport: int, payload: bytes = b"", length: int | None = None) -> bytes:
    ln = 8 + len(payload) if length is None else length
    return struct.pack("!HHHH", sport, dport, ln, 0) + payload


def raw_batch(frames: list[bytes], linktypes: list[int] | int, gap: int = 3) -> RawBatch:
    """One RawBatch with the frames laid out back to back (``gap`` junk bytes between them)."""
    if isinstance(linktypes, int):
        linktypes = [linktypes] * len(frames)
    buf = bytearray(b"\xee" * gap)
    offs = []
    for f in frames:
        offs.append(len(buf))
        buf += f + b"\xee" * gap
    n = len(frames)
    lens = np.array([len(f) for f in frames], dtype=np.uint32)
    return RawBatch(
        data=np.frombuffer(bytes(buf), dtype=np.uint8),
        offset=np.array(offs, dtype=np.int64),
        caplen=lens,
        wirelen=lens.copy(),
        ts_ns=np.arange(n, dtype=np.int64) * 1_000_000,
        linktype=np.array(linktypes, dtype=np.uint16),
    )


def udp_frame(src: str, dst: str, sport: int, dport: int, payload: bytes) -> bytes:
    """An Ethernet/IPv4/UDP frame."""
    return eth(ipv4(udp(sport, dport, payload), proto=17, src=src, dst=dst))


def tcp_frame(src: str, dst: str, sport: int, dport: int, seq: int, ack: int, flags: int,
              payload: bytes = b"") -> bytes:
    """An Ethernet/IPv4/TCP frame."""
    return eth(ipv4(tcp(sport, dport, seq=seq, ack=ack, flags=flags, payload=payload), proto=6,
                    src=src, dst=dst))


def write_pcap(path: Path, frames: list[bytes], t0: int = 1_700_000_000_000_000_000,
               step_ns: int = 1_000_000) -> None:
    """A pcap of ``frames``, ``step_ns`` apart from ``t0``."""
    from wirelens.capture.writer import PcapWriter

    with PcapWriter(path) as w:
        for k, f in enumerate(frames):
            w.write(t0 + k * step_ns, f)


def analyze_frames(tmp_path: Path, frames: list[bytes]) -> Any:
    """``wirelens.analyze`` of a pcap of ``frames`` (an ``AnalysisResult``)."""
    import wirelens

    cap = tmp_path / "frames.pcap"
    write_pcap(cap, frames)
    return wirelens.analyze(cap)


def table_rows(result: Any, name: str) -> list[dict[str, Any]]:
    """The rows of one table of an ``AnalysisResult`` (none when it was not written)."""
    return result.tables[name].to_pylist() if name in result.tables else []
