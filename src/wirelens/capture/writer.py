"""Writing classic pcap files (the simulator, tests, and later live capture use it)."""

from __future__ import annotations

import struct
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

PCAP_MAGIC_US = 0xA1B2C3D4
PCAP_MAGIC_NS = 0xA1B23C4D


class PcapWriter:
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
        self._own = not hasattr(path, "write")
        self._f: BinaryIO = open(path, "wb") if self._own else path  # type: ignore[assignment]
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

    def close(self) -> None:
        if self._own:
            self._f.close()
        else:
            self._f.flush()

    def __enter__(self) -> "PcapWriter":
        return self

    def __exit__(
        self,
        et: type[BaseException] | None,
        ev: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
