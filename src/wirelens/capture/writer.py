"""Writing classic pcap and pcapng files (the simulator, tests, and later live capture use it)."""

from __future__ import annotations

import struct
from pathlib import Path
from typing import BinaryIO, cast

from wirelens.core.resources import ClosesOnExit

PCAP_MAGIC_US = 0xA1B2C3D4
PCAP_MAGIC_NS = 0xA1B23C4D


class _Output(ClosesOnExit):
    """A binary output the writer opened (and closes) or was handed (and only flushes)."""

    def __init__(self, path: str | Path | BinaryIO) -> None:
        self._own = not hasattr(path, "write")
        self._f: BinaryIO = (
            open(cast("str | Path", path), "wb") if self._own else cast(BinaryIO, path)  # noqa: SIM115
        )

    def close(self) -> None:
        if self._own:
            self._f.close()
        else:
            self._f.flush()



class PcapWriter(_Output):
    """Streams records into a classic pcap file (version 2.4, little-endian).

    ``write(ts_ns, frame)`` appends one record; timestamps are nanoseconds since the epoch and
    are truncated to microseconds unless ``nanosecond=True``.
    """

    def __init__(
        self,
        path: str | Path | BinaryIO,
        linktype: int = 1,
        nanosecond: bool = False,
        snaplen: int = 262_144,
    ) -> None:
        super().__init__(path)
        self._ns = nanosecond
        self.snaplen = snaplen
        self.count = 0
        magic = PCAP_MAGIC_NS if nanosecond else PCAP_MAGIC_US
        self._f.write(struct.pack("<IHHiIII", magic, 2, 4, 0, 0, snaplen, linktype))

    def write(self, ts_ns: int, frame: bytes, wirelen: int | None = None) -> None:
        sec, frac = divmod(int(ts_ns), 1_000_000_000)
        if not self._ns:
            frac //= 1000
        data = frame[: self.snaplen]
        orig = len(frame) if wirelen is None else wirelen
        self._f.write(struct.pack("<IIII", sec, frac, len(data), orig))
        self._f.write(data)
        self.count += 1



PCAPNG_SHB = 0x0A0D0D0A
PCAPNG_IDB = 0x00000001
PCAPNG_PB = 0x00000002
PCAPNG_SPB = 0x00000003
PCAPNG_EPB = 0x00000006


class PcapngWriter(_Output):
    """Writes pcapng files block by block (draft-ietf-opsawg-pcapng), for tests and tools.

    Every block is appended as asked, in the writer's current byte order; ``section()`` starts
    a new section (possibly in the other byte order), ``interface()`` adds an Interface
    Description Block and returns its id within the section. Timestamps are given in the
    interface's own units (``ticks``), so tests control the raw on-disk value exactly.
    """

    def __init__(self, path: str | Path | BinaryIO, big_endian: bool = False) -> None:
        super().__init__(path)
        self._e = ">" if big_endian else "<"
        self.n_interfaces = 0
        self.count = 0
        self.section(big_endian)

    @staticmethod
    def _pad(data: bytes) -> bytes:
        return data + b"\0" * (-len(data) % 4)

    def _options(self, options: list[tuple[int, bytes]]) -> bytes:
        if not options:
            return b""
        out = b"".join(
            struct.pack(self._e + "HH", code, len(v)) + self._pad(v) for code, v in options
        )
        return out + struct.pack(self._e + "HH", 0, 0)

    def block(self, btype: int, body: bytes) -> None:
        """Append a raw block of type ``btype`` (body padded to 4 bytes, lengths added)."""
        body = self._pad(body)
        total = 12 + len(body)
        self._f.write(struct.pack(self._e + "II", btype, total) + body)
        self._f.write(struct.pack(self._e + "I", total))

    def section(self, big_endian: bool | None = None, major: int = 1, minor: int = 0) -> None:
        """Start a section (Section Header Block, section 4.1); interface ids restart at 0."""
        if big_endian is not None:
            self._e = ">" if big_endian else "<"
        body = struct.pack(self._e + "IHHq", 0x1A2B3C4D, major, minor, -1)
        self.block(PCAPNG_SHB, body)
        self.n_interfaces = 0

    def interface(
        self,
        linktype: int = 1,
        snaplen: int = 0,
        tsresol: int | None = None,
        tsoffset: int | None = None,
    ) -> int:
        """Add an Interface Description Block (section 4.2) with optional ``if_tsresol`` (raw
        byte: MSB set = power of 2) and ``if_tsoffset`` (seconds); return its id."""
        opts: list[tuple[int, bytes]] = []
        if tsresol is not None:
            opts.append((9, bytes([tsresol])))
        if tsoffset is not None:
            opts.append((14, struct.pack(self._e + "q", tsoffset)))
        body = struct.pack(self._e + "HHI", linktype, 0, snaplen) + self._options(opts)
        self.block(PCAPNG_IDB, body)
        self.n_interfaces += 1
        return self.n_interfaces - 1

    def epb(self, iface: int, ticks: int, frame: bytes, wirelen: int | None = None) -> None:
        """Append an Enhanced Packet Block (section 4.3); ``ticks`` in interface units."""
        orig = len(frame) if wirelen is None else wirelen
        hdr = struct.pack(
            self._e + "IIIII", iface, ticks >> 32, ticks & 0xFFFFFFFF, len(frame), orig
        )
        self.block(PCAPNG_EPB, hdr + self._pad(frame))
        self.count += 1

    def opb(self, iface: int, ticks: int, frame: bytes, wirelen: int | None = None) -> None:
        """Append an obsolete Packet Block (appendix A: 16-bit interface id, drops count)."""
        orig = len(frame) if wirelen is None else wirelen
        hdr = struct.pack(
            self._e + "HHIIII", iface, 0, ticks >> 32, ticks & 0xFFFFFFFF, len(frame), orig
        )
        self.block(PCAPNG_PB, hdr + self._pad(frame))
        self.count += 1

    def spb(self, frame: bytes, wirelen: int | None = None) -> None:
        """Append a Simple Packet Block (section 4.4): interface 0, no timestamp."""
        orig = len(frame) if wirelen is None else wirelen
        self.block(PCAPNG_SPB, struct.pack(self._e + "I", orig) + self._pad(frame))
        self.count += 1

