"""Compile (and cache) every packet kernel once, on a tiny capture built in memory.

``python -m wirelens.pipeline.warm`` is what ``./run`` calls before the tests, so test
workers start warm instead of each compiling the kernels.
"""

from __future__ import annotations

import struct
import tempfile
from pathlib import Path

from wirelens.capture.writer import PcapWriter


def _csum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    s: int = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def _ipv4(src: int, dst: int, proto: int, payload: bytes, ident: int = 1, frag: int = 0) -> bytes:
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident, frag, 64, proto, 0,
                      src.to_bytes(4, "big"), dst.to_bytes(4, "big"))
    hdr = hdr[:10] + struct.pack("!H", _csum(hdr)) + hdr[12:]
    return hdr + payload


def _eth(ip: bytes) -> bytes:
    return b"\x02\0\0\0\0\x02" + b"\x02\0\0\0\0\x01" + b"\x08\x00" + ip


def frames() -> list[bytes]:
    a, b = 0x0A000001, 0x0A000002
    syn = struct.pack("!HHIIBBHHH", 40000, 80, 1, 0, 0x50, 0x02, 65535, 0, 0)
    get = struct.pack("!HHIIBBHHH", 40000, 80, 2, 1, 0x50, 0x18, 65535, 0, 0) + \
        b"GET / HTTP/1.1\r\nHost: warm.example\r\n\r\n"
    dns = struct.pack("!HHHH", 5353, 53, 8 + 30, 0) + bytes.fromhex(
        "123401000001000000000000047761726d076578616d706c650000010001")
    big = struct.pack("!HHHH", 5000, 6000, 8 + 64, 0) + bytes(64)
    return [_eth(_ipv4(a, b, 6, syn)), _eth(_ipv4(a, b, 6, get)), _eth(_ipv4(a, b, 17, dns)),
            _eth(_ipv4(a, b, 17, big[:40], ident=9, frag=0x2000)),
            _eth(_ipv4(a, b, 17, big[40:], ident=9, frag=5))]


def warmed_marker(dpi: str) -> Path | None:
    """The file a warm-up with ``dpi`` leaves in the kernel cache's folder once it went
    through (that folder is one per digest of the kernel sources and numba's version: a
    change of either starts without it), or None when there is no cache folder."""
    from wirelens.core import jit

    return None if jit.CACHE_DIR is None else Path(jit.CACHE_DIR) / f"warmed-{dpi}"


def warm(dpi: str = "full") -> None:
    """Analyse the tiny capture into a lake in a temporary folder with ``dpi`` (``off``
    loads no dissector and none of their kernels), then mark the cache warm for ``dpi``
    (:func:`warmed_marker`). Its failure (that folder full or read-only, its writer process
    killed) is no reason to fail the run it warms up: the kernels then load (or compile) in
    that run, which meets any real fault itself."""
    from wirelens.pipeline.api import analyze

    try:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "warm.pcap"
            with PcapWriter(path) as w:
                for k, f in enumerate(frames()):
                    w.write(1_700_000_000_000_000_000 + k * 1000, f)
            analyze(path, out=Path(tmp) / "lake", dpi=dpi)
        marker = warmed_marker(dpi)
        if marker is not None:
            marker.touch()
    except Exception:  # noqa: BLE001, S110 (see above)
        pass


if __name__ == "__main__":
    warm()
