"""Reading capture files as a stream of :class:`~wirelens.core.batch.RawBatch`.

``open_capture(path)`` sniffs the format from magic bytes (pcap in microseconds or
nanoseconds and either byte order, pcapng, each optionally wrapped in gzip / zstd / xz /
bzip2), and returns a :class:`CaptureSource`. Iterating it yields batches of records; the
walk over records is done by numba kernels (``_kernels``), Python only runs once per window
and, for pcapng, once per non-packet block (section and interface headers).

Damage never raises: it becomes one :class:`~wirelens.core.errors.CaptureProblem` in
``source.problems``, every packet before it is delivered, and the iteration ends.
"""

from __future__ import annotations

import contextlib
import os
import stat
import struct
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from wirelens.capture import _kernels as K
from wirelens.capture._io import (
    CountingReader,
    Format,
    Window,
    compression_of,
    decompressor,
    format_of,
    pipe_wait,
    read_head,
)
from wirelens.capture._mmap import MmapWindow
from wirelens.core import limits
from wirelens.core.batch import RawBatch
from wirelens.core.errors import CaptureError, CaptureProblem
from wirelens.core.paths import display_name
from wirelens.core.resources import ClosesOnExit

PCAP_HEADER_LEN = 24
"""Classic pcap file header: magic, version major/minor, thiszone, sigfigs, snaplen,
linktype (draft-ietf-opsawg-pcap section 4)."""

PCAPNG_SHB_MAGIC = 0x0A0D0D0A
PCAPNG_BOM = 0x1A2B3C4D
PCAPNG_IDB = 0x00000001

# pcapng option codes (draft-ietf-opsawg-pcapng section 4.2)
OPT_ENDOFOPT = 0
OPT_IF_TSRESOL = 9
OPT_IF_TSOFFSET = 14


def _unpack(fmt: str, buf: np.ndarray, pos: int) -> tuple[Any, ...]:
    """``struct.unpack_from`` over a window array.

    Typing only: numpy declares ``ndarray.__buffer__`` for Python >= 3.12, so under 3.11 mypy
    does not see an array as a buffer (it is one at run time).
    """
    return struct.unpack_from(fmt, buf, pos)  # type: ignore[arg-type]


def _tsresol_to_div(tsresol: int) -> tuple[int, int]:
    """``(pre_div, units)`` for the kernel from an ``if_tsresol`` byte (section 4.2: MSB clear =
    10**-v seconds, MSB set = 2**-v seconds). Ticks finer than a nanosecond are divided away
    first so that ``units <= 2**30`` or ``10**9`` and the kernel's products fit in 64 bits."""
    v = tsresol & 0x7F
    if tsresol & 0x80:
        if v <= 30:
            return 1, 1 << v
        return 1 << min(v - 30, 63), 1 << 30
    if v <= 9:
        return 1, 10**v
    return 10 ** min(v - 9, 19), 10**9


class CaptureSource(ClosesOnExit):
    """One capture being read (file, compressed file, or stdin).

    Iterate it for :class:`RawBatch` objects. ``RawBatch.data`` is the source's reusable window
    buffer, or for a mapped file a view of the map whose pages are released when the window
    moves on: either way it is only valid until the next batch is requested (copy what you
    keep). The column
    arrays (offset, caplen, ...) are fresh per batch. Iterating again resumes where the last
    iteration stopped (like a file). Use as a context manager or call :meth:`close`.
    """

    name: str
    """The path as given, or ``-`` for stdin."""
    size: int | None
    """On-disk bytes (for progress); ``None`` for stdin."""
    packets: int
    """Records delivered so far."""
    problems: list[CaptureProblem]
    """Damage found, in order (at most one per source: reading stops at damage)."""
    format: str
    """``pcap``, ``pcap-ns``, ``pcap-modified`` or ``pcapng``."""
    compression: str | None
    """``gzip``, ``zstd``, ``xz``, ``bzip2`` or ``None``."""

    def __init__(
        self,
        name: str,
        size: int | None,
        raw: BinaryIO | None,
        counter: CountingReader | MmapWindow,
        window: Window | MmapWindow,
        fmt: Format,
        big_endian: bool,
        compression: str | None,
        batch_bytes: int,
    ) -> None:
        self.name = name
        self.size = size
        self.packets = 0
        self.problems = []
        self.format = fmt.value
        self.compression = compression
        self._raw = raw
        self._counter = counter
        self._win = window
        self._fmt = fmt
        self._be = big_endian
        cap = max(1, min(limits.MAX_PACKETS_PER_BATCH, batch_bytes // 16 + 1))
        self._off = np.empty(cap, dtype=np.int64)
        self._cap = np.empty(cap, dtype=np.uint32)
        self._wire = np.empty(cap, dtype=np.uint32)
        self._ts = np.empty(cap, dtype=np.int64)
        self._link = np.empty(cap, dtype=np.uint16)
        self._gen: Iterator[RawBatch] | None = None
        self._closed = False
        self.linktype: int | None = None
        """pcap: the file's link type (low 16 bits of the header field); pcapng: ``None``."""

    # ---- public ---------------------------------------------------------------------------

    def __iter__(self) -> Iterator[RawBatch]:
        if self._gen is None:
            walk = self._walk_pcapng if self._fmt is Format.PCAPNG else self._walk_pcap
            self._gen = self._guard(walk())
        return self._gen

    def close(self) -> None:
        """Release the file (stdin itself is left open)."""
        if self._closed:
            return
        self._closed = True
        if isinstance(self._win, MmapWindow):
            self._win.close()
        stream = self._win.stream
        if stream is not None and stream is not self._counter:
            with contextlib.suppress(Exception):  # a broken decompressor must not raise here
                stream.close()
        if self._raw is not None:
            self._raw.close()


    def __repr__(self) -> str:
        return (
            f"CaptureSource({self.name!r}, format={self.format!r}, "
            f"compression={self.compression!r}, packets={self.packets})"
        )

    # ---- helpers --------------------------------------------------------------------------

    def _problem(self, kind: str, offset: int, detail: str = "") -> None:
        self.problems.append(CaptureProblem(self.name, kind, int(offset), self.packets, detail))

    def _guard(self, walk: Iterator[RawBatch]) -> Iterator[RawBatch]:
        """Close the source when the walk ends (any way)."""
        try:
            if not self._closed:
                yield from walk
        finally:
            self.close()

    def _batch(self, n: int, link: int | None) -> RawBatch:
        linkcol = np.full(n, link, dtype=np.uint16) if link is not None else self._link[:n].copy()
        batch = RawBatch(
            data=self._win.buf,
            offset=self._off[:n].copy(),
            caplen=self._cap[:n].copy(),
            wirelen=self._wire[:n].copy(),
            ts_ns=self._ts[:n].copy(),
            linktype=linkcol,
            source=self.name,
            first_index=self.packets,
            bytes_done=self._counter.count,
        )
        self.packets += n
        return batch

    def _stream_failed(self, at: int) -> bool:
        """Report a read/decompression error of the window once; ``True`` if there was one."""
        err = self._win.error
        if err is None:
            return False
        if not any(p.kind in ("decompress_error", "read_error") for p in self.problems):
            kind = "decompress_error" if self.compression else "read_error"
            self._problem(kind, at, err)
        return True

    def _truncated(self, kind: str, at: int, detail: str) -> None:
        """End of data inside a record: a truncation, unless the stream itself failed."""
        if not self._stream_failed(self._win.base + self._win.end):
            self._problem(kind, at, detail)

    # ---- classic pcap ---------------------------------------------------------------------

    def _walk_pcap(self) -> Iterator[RawBatch]:
        win = self._win
        be = self._be
        rec_hdr = 24 if self._fmt is Format.PCAP_MODIFIED else 16
        ns = self._fmt is Format.PCAP_NS
        if not win.ensure(PCAP_HEADER_LEN):
            self._truncated(
                "truncated_header", 0, f"file header has {win.avail} of {PCAP_HEADER_LEN} bytes"
            )
            return
        # the header version is not checked: files with versions other than 2.4 exist and
        # read fine; the link type is the low 16 bits (upper bits: FCS length, reserved)
        field = _unpack(">I" if be else "<I", win.buf, win.pos + 20)[0]
        link = field & 0xFFFF
        self.linktype = link
        win.pos += PCAP_HEADER_LEN
        while True:
            win.settle()
            n, pos, st = K._pcap_walk(
                win.buf, win.pos, win.end, be, ns, rec_hdr, limits.MAX_RECORD_BYTES,
                self._off, self._cap, self._wire, self._ts,
            )  # fmt: skip
            win.pos = pos
            if n:
                yield self._batch(n, link)
            if st == K.ST_FULL:
                continue
            at = win.base + win.pos
            if st == K.ST_BAD_CAPLEN:
                incl = _unpack(">I" if be else "<I", win.buf, win.pos + 8)[0]
                self._problem(
                    "bad_record_length", at,
                    f"record claims {incl} captured bytes, limit {limits.MAX_RECORD_BYTES}",
                )  # fmt: skip
                return
            # ST_NEED_MORE: the next record header or its data is not whole in the window
            if win.avail >= rec_hdr:
                incl = _unpack(">I" if be else "<I", win.buf, win.pos + 8)[0]
                need = rec_hdr + incl
            else:
                need = rec_hdr if win.avail else 1
            if win.ensure(need):
                continue
            if win.avail == 0:
                self._stream_failed(at)
                return
            what = "record header" if win.avail < rec_hdr else "record data"
            self._truncated("truncated_record", at, f"partial {what}: {win.avail} of {need} bytes")
            return

    # ---- pcapng ---------------------------------------------------------------------------

    def _walk_pcapng(self) -> Iterator[RawBatch]:
        win = self._win
        be = self._be
        links: list[int] = []
        snaps: list[int] = []
        predivs: list[int] = []
        units: list[int] = []
        offsets: list[int] = []
        tables = self._tables(links, snaps, predivs, units, offsets)
        max_block = limits.MAX_PCAPNG_BLOCK_BYTES
        while True:
            win.settle()
            n, pos, st = K._pcapng_walk(
                win.buf, win.pos, win.end, be, limits.MAX_RECORD_BYTES, max_block,
                *tables, len(links),
                self._off, self._cap, self._wire, self._ts, self._link,
            )  # fmt: skip
            win.pos = pos
            if n:
                yield self._batch(n, None)
            if st == K.ST_FULL:
                continue
            at = win.base + win.pos
            endian = ">" if be else "<"
            if st == K.ST_NEED_MORE:
                if win.avail >= 8:
                    need = _unpack(endian + "I", win.buf, win.pos + 4)[0]
                else:
                    need = 8 if win.avail else 1
                if win.ensure(need):
                    continue
                if win.avail == 0:
                    self._stream_failed(at)
                    return
                self._truncated(
                    "truncated_record", at, f"partial block: {win.avail} of {need} bytes"
                )
                return
            if st == K.ST_OTHER_BLOCK:
                btype = _unpack(endian + "I", win.buf, win.pos)[0]
                if btype == PCAPNG_SHB_MAGIC:
                    new_be = self._read_shb(at)
                    if new_be is None:
                        return
                    be = new_be
                    links.clear()
                    snaps.clear()
                    predivs.clear()
                    units.clear()
                    offsets.clear()
                    tables = self._tables(links, snaps, predivs, units, offsets)
                    continue
                blen = _unpack(endian + "I", win.buf, win.pos + 4)[0]
                if btype == PCAPNG_IDB:
                    if blen < 20:
                        self._problem("bad_block_length", at, f"interface block of {blen} bytes")
                        return
                    link, snap, prediv, unit, offset = self._read_idb(win.pos, blen, be)
                    links.append(link)
                    snaps.append(snap)
                    predivs.append(prediv)
                    units.append(unit)
                    offsets.append(offset)
                    tables = self._tables(links, snaps, predivs, units, offsets)
                win.pos += blen  # IDB consumed, or an unknown block skipped by its length
                continue
            blen = _unpack(endian + "I", win.buf, win.pos + 4)[0]
            if st == K.ST_BAD_BLOCK_LEN:
                self._problem("bad_block_length", at, f"block total length {blen}")
            elif st == K.ST_BAD_TRAILER:
                trailer = _unpack(endian + "I", win.buf, win.pos + blen - 4)[0]
                self._problem(
                    "bad_block_length", at, f"trailing length {trailer} != leading {blen}"
                )
            elif st == K.ST_BAD_IFACE:
                self._problem(
                    "bad_interface", at, f"packet block for an interface of {len(links)} known"
                )
            elif st == K.ST_BAD_CAPLEN:
                incl = _unpack(endian + "I", win.buf, win.pos + 20)[0]
                self._problem(
                    "bad_record_length", at,
                    f"record claims {incl} captured bytes, limit {limits.MAX_RECORD_BYTES}",
                )  # fmt: skip
            else:  # ST_BAD_PACKET_BLOCK
                self._problem(
                    "bad_record_length", at, f"captured length does not fit a {blen}-byte block"
                )
            return

    @staticmethod
    def _tables(
        links: list[int], snaps: list[int], predivs: list[int], units: list[int], offs: list[int]
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        return (
            np.array(links, dtype=np.uint16),
            np.array(snaps, dtype=np.int64),
            np.array(predivs, dtype=np.uint64),
            np.array(units, dtype=np.uint64),
            np.array(offs, dtype=np.int64),
        )

    def _read_shb(self, at: int) -> bool | None:
        """Read the Section Header Block at the window position (section 4.1); return the
        section's byte order (``True`` = big-endian), or ``None`` after reporting damage."""
        win = self._win
        if not win.ensure(12):
            if win.avail == 0:
                self._stream_failed(at)
            else:
                kind = "truncated_header" if at == 0 else "truncated_record"
                self._truncated(kind, at, f"partial section header: {win.avail} bytes")
            return None
        bom = win.buf[win.pos + 8 : win.pos + 12].tobytes()
        if bom == b"\x1a\x2b\x3c\x4d":
            be = True
        elif bom == b"\x4d\x3c\x2b\x1a":
            be = False
        else:
            self._problem("bad_magic", at, f"section byte-order magic {bom.hex()}")
            return None
        endian = ">" if be else "<"
        blen = _unpack(endian + "I", win.buf, win.pos + 4)[0]
        if blen < 28 or blen % 4 or blen > limits.MAX_PCAPNG_BLOCK_BYTES:
            self._problem("bad_block_length", at, f"section header length {blen}")
            return None
        if not win.ensure(blen):
            kind = "truncated_header" if at == 0 else "truncated_record"
            self._truncated(kind, at, f"partial section header: {win.avail} of {blen} bytes")
            return None
        trailer = _unpack(endian + "I", win.buf, win.pos + blen - 4)[0]
        if trailer != blen:
            self._problem("bad_block_length", at, f"trailing length {trailer} != leading {blen}")
            return None
        # the version (major 1) is not enforced: read what can be read
        win.pos += blen
        return be

    def _read_idb(self, pos: int, blen: int, be: bool) -> tuple[int, int, int, int, int]:
        """``(linktype, snaplen, pre_div, units, tsoffset_s)`` of the Interface Description
        Block at ``pos`` (section 4.2). Malformed options end the option walk quietly."""
        buf = self._win.buf
        endian = ">" if be else "<"
        link, _reserved, snap = _unpack(endian + "HHI", buf, pos + 8)
        tsresol = 6
        tsoffset = 0
        opt = pos + 16
        stop = pos + blen - 4
        while opt + 4 <= stop:
            code, olen = _unpack(endian + "HH", buf, opt)
            if code == OPT_ENDOFOPT or opt + 4 + olen > stop:
                break
            if code == OPT_IF_TSRESOL and olen >= 1:
                tsresol = int(buf[opt + 4])
            elif code == OPT_IF_TSOFFSET and olen == 8:
                tsoffset = _unpack(endian + "q", buf, opt + 4)[0]
            opt += 4 + ((olen + 3) & ~3)
        prediv, units = _tsresol_to_div(tsresol)
        tsoffset = max(-K.MAX_TS_SEC, min(K.MAX_TS_SEC, tsoffset))
        return link, snap, prediv, units, tsoffset


def open_capture(
    path: str | Path, batch_bytes: int = limits.BATCH_BYTES, use_mmap: bool = False
) -> CaptureSource:
    """Open a capture file (or stdin for ``"-"``) for reading in batches.

    The format is sniffed from magic bytes: classic pcap (micro/nanosecond, both byte orders,
    Kuznetzov modified pcap), pcapng, each optionally compressed with gzip, zstd, xz or
    bzip2. ``batch_bytes`` is the size of the read window (memory stays flat with file size).

    With ``use_mmap=True`` an uncompressed regular file is read through a memory map: each
    window is a view of the map, no copy, and the pages left behind are released (see
    :mod:`wirelens.capture._mmap`). It is not the default: measured here it was no faster
    than copying from the page cache, and a file truncated by another process while mapped
    can kill the process with SIGBUS. stdin, pipes, compressed files and files that cannot be
    mapped are always read with buffered ``readinto`` windows. Both paths yield the same
    records and report damage the same way.

    Raises :class:`CaptureError` with one clear message if the input cannot be opened or is
    not a capture at all (empty, unknown magic, undecodable compression header).
    """
    name = display_name(path)  # (in messages and ``RawBatch.source``)
    raw: BinaryIO | None
    if name == "-":
        raw = None
        inner: BinaryIO = sys.stdin.buffer
        size: int | None = None
    else:
        try:
            st = os.stat(path)  # (a named pipe's open waits for its writer)
            with pipe_wait() if stat.S_ISFIFO(st.st_mode) else contextlib.nullcontext():
                raw = open(path, "rb")  # noqa: SIM115 - owned by the CaptureSource
            size = st.st_size
        except OSError as exc:
            raise CaptureError(f"{name}: cannot open: {exc.strerror or exc}") from None
        inner = raw
    try:
        return _open_stream(name, size, raw, inner, batch_bytes, use_mmap)
    except BaseException:
        if raw is not None:
            raw.close()
        raise


def _regular(raw: BinaryIO) -> bool:
    """Whether ``raw`` is a regular file (not a named pipe, device or socket)."""
    try:
        return stat.S_ISREG(os.fstat(raw.fileno()).st_mode)
    except (OSError, ValueError, AttributeError):
        return True  # (a file object without a descriptor: read as a file)


def _try_mmap(raw: BinaryIO | None, batch_bytes: int) -> MmapWindow | None:
    """A map window over ``raw`` if it is a non-empty regular file that can be mapped."""
    if raw is None:
        return None
    try:
        fd = raw.fileno()
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        return MmapWindow(fd, batch_bytes)
    except (OSError, ValueError, OverflowError, AttributeError):
        return None  # e.g. a filesystem without mmap support: buffered reads instead


def _open_stream(
    name: str,
    size: int | None,
    raw: BinaryIO | None,
    inner: BinaryIO,
    batch_bytes: int,
    use_mmap: bool = True,
) -> CaptureSource:
    # stdin, and a named pipe or device given by name, as pipes: read as bytes come (records
    # reach the analysis while the writer writes; a stop ends a read that waits at once)
    pipe = raw is None or not _regular(raw)
    try:
        with pipe_wait() if pipe else contextlib.nullcontext():
            head = read_head(inner, 6)
    except OSError as exc:
        raise CaptureError(f"{name}: cannot read: {exc}") from None
    if not head:
        raise CaptureError(f"{name}: empty input, not a capture")
    comp = compression_of(head)
    mapped = _try_mmap(raw, batch_bytes) if use_mmap and comp is None else None
    counter: CountingReader | MmapWindow
    window: Window | MmapWindow
    if mapped is not None:
        counter = window = mapped
    else:
        counter = CountingReader(inner, head, partial=pipe)
        window = Window(decompressor(comp, counter), batch_bytes, greedy=not pipe)
    try:
        fmt, be = _sniff(name, window, comp)
    except BaseException:
        if mapped is not None:
            mapped.close()
        raise
    return CaptureSource(name, size, raw, counter, window, fmt, be, comp, batch_bytes)


def _sniff(name: str, window: Window | MmapWindow, comp: str | None) -> tuple[Format, bool]:
    """``(format, big_endian)`` from the first bytes of the window; :class:`CaptureError` if
    the input is not a capture."""
    window.ensure(4)
    sniff = window.buf[window.pos : window.end][:12].tobytes()
    if comp is not None and window.error is not None and len(sniff) < 4:
        raise CaptureError(f"{name}: {comp} data cannot be decompressed ({window.error})")
    found = format_of(sniff)
    if found is None:
        what = f"{comp}-compressed data" if comp else "data"
        raise CaptureError(
            f"{name}: not a capture file ({what} starts with {sniff[:4].hex() or 'nothing'}; "
            "expected pcap or pcapng magic)"
        )
    fmt, be = found
    if fmt is Format.PCAPNG:
        window.ensure(12)
        bom = window.buf[window.pos + 8 : window.pos + 12].tobytes()
        if window.avail >= 12 and bom not in (b"\x1a\x2b\x3c\x4d", b"\x4d\x3c\x2b\x1a"):
            raise CaptureError(f"{name}: not a pcapng file (section byte-order magic {bom.hex()})")
    return fmt, be


def count_packets(path: str | Path) -> tuple[int, list[CaptureProblem]]:
    """Number of records readable in a capture and the damage found (iterates the file)."""
    with open_capture(path) as src:
        for _ in src:
            pass
        return src.packets, list(src.problems)
