"""Byte plumbing under the capture readers: counting reader, decompression by magic, and the
reusable read window.

Formats are recognised from magic bytes only (never from the file name):

* gzip ``1f 8b`` (RFC 1952 section 2.3.1), zstd ``28 b5 2f fd`` (RFC 8878 section 3.1.1),
  xz ``fd 37 7a 58 5a 00`` (xz file format 1.0.4 section 2.1.1.1), bzip2 ``42 5a 68`` ("BZh").
* classic pcap ``a1b2c3d4`` (us) / ``a1b23c4d`` (ns) in either byte order, Kuznetzov
  "modified" pcap ``a1b2cd34``; pcapng Section Header Block type ``0a0d0d0a``.
"""

from __future__ import annotations

import bz2
import contextlib
import gzip
import io
import lzma
import zlib
from collections.abc import Iterator
from enum import Enum
from typing import Any, BinaryIO, Protocol

import numpy as np
import zstandard

COMPRESSED_MAGICS: dict[bytes, str] = {
    b"\x1f\x8b": "gzip",
    b"\x28\xb5\x2f\xfd": "zstd",
    b"\xfd7zXZ\x00": "xz",
    b"BZh": "bzip2",
}

DECOMPRESS_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    EOFError,
    ValueError,
    zlib.error,
    lzma.LZMAError,
    zstandard.ZstdError,
)
"""What the stream readers raise on corrupt or cut compressed input (gzip raises
``BadGzipFile``/``EOFError``, bz2 ``OSError``, lzma ``LZMAError``, zstandard ``ZstdError``)."""


class Format(Enum):
    """Capture container formats recognised by their first four bytes."""

    PCAP = "pcap"
    PCAP_NS = "pcap-ns"
    PCAP_MODIFIED = "pcap-modified"
    PCAPNG = "pcapng"


def compression_of(head: bytes) -> str | None:
    """Name of the compression whose magic starts ``head`` (``None`` if none)."""
    for magic, name in COMPRESSED_MAGICS.items():
        if head.startswith(magic):
            return name
    return None


def format_of(head: bytes) -> tuple[Format, bool] | None:
    """``(format, big_endian)`` of an uncompressed capture starting with ``head`` (4+ bytes).

    For pcapng the byte order is that of the first section, decided later from its
    byte-order magic; ``False`` is returned here.
    """
    if len(head) < 4:
        return None
    if head[:4] == b"\x0a\x0d\x0d\x0a":
        return Format.PCAPNG, False
    le = int.from_bytes(head[:4], "little")
    be = int.from_bytes(head[:4], "big")
    for value, fmt in (
        (0xA1B2C3D4, Format.PCAP),
        (0xA1B23C4D, Format.PCAP_NS),
        (0xA1B2CD34, Format.PCAP_MODIFIED),
    ):
        if le == value:
            return fmt, False
        if be == value:
            return fmt, True
    return None


class Readable(Protocol):
    """Typing only: what :func:`read_head` needs of a binary stream."""

    def read(self, size: int = ..., /) -> bytes | None:
        """Up to ``size`` bytes (``b""`` at the end; ``None``: nothing available yet)."""
        ...


class ByteStream(Readable, Protocol):
    """Typing only: a readable binary stream as the readers use it -- files, the stdlib
    decompressors, :class:`CountingReader` and :class:`ZstdReader`. ``typing.BinaryIO`` is
    not used for these because it declares no ``readinto``."""

    def readinto(self, buffer: memoryview, /) -> int | None:
        """Read into ``buffer``; the byte count (``0`` at the end)."""
        ...

    def close(self) -> None:
        """Release the stream."""
        ...


class CountingReader(io.RawIOBase):
    """Raw binary reader that first serves ``prefix`` (bytes already sniffed), then ``inner``,
    counting the bytes taken from ``inner`` (progress of the on-disk source).

    With ``partial`` (pipes such as stdin) a read returns what is available now (``read1``;
    ``BufferedReader.readinto1`` may still block on a raw read when asked for more than its
    buffer holds) instead of blocking until the whole request is filled."""

    def __init__(self, inner: BinaryIO, prefix: bytes = b"", partial: bool = False) -> None:
        super().__init__()
        self._inner = inner
        self._prefix = prefix
        self.count = len(prefix)
        self._read1 = getattr(inner, "read1", None) if partial else None

    def readable(self) -> bool:
        return True

    def readinto(self, b: memoryview | bytearray) -> int:  # type: ignore[override]
        mv = memoryview(b).cast("B")
        if self._prefix:
            k = min(len(mv), len(self._prefix))
            mv[:k] = self._prefix[:k]
            self._prefix = self._prefix[k:]
            return k
        if self._read1 is not None:
            data = self._read1(len(mv))
            got = len(data)
            mv[:got] = data
        else:
            got = self._inner.readinto(mv) or 0  # type: ignore[attr-defined]
        self.count += got
        return got


def read_head(f: Readable, n: int) -> bytes:
    """Up to ``n`` first bytes of ``f`` (loops over short reads of pipes)."""
    out = bytearray()
    while len(out) < n:
        chunk = f.read(n - len(out))
        if not chunk:
            break
        out += chunk
    return bytes(out)


def decompressor(kind: str | None, raw: io.RawIOBase) -> ByteStream:
    """A binary stream of the decompressed content of ``raw`` (``raw`` itself if ``kind`` is
    ``None``)."""
    if kind is None:
        return raw
    if kind == "gzip":
        return gzip.GzipFile(fileobj=raw, mode="rb")
    if kind == "bzip2":
        return bz2.BZ2File(raw, "rb")
    if kind == "xz":
        return lzma.LZMAFile(raw, "rb")  # type: ignore[arg-type]  # typeshed: IO[bytes] only
    if kind == "zstd":
        return ZstdReader(raw)
    raise ValueError(kind)


class ZstdReader(io.RawIOBase):
    """Decompresses a sequence of zstd frames (RFC 8878 section 3.1) from ``raw``.

    Unlike ``zstandard``'s ``stream_reader``, a stream that ends inside a frame raises
    :class:`zstandard.ZstdError` instead of looking like a clean end.
    """

    CHUNK = 64 * 1024

    def __init__(self, raw: io.RawIOBase) -> None:
        super().__init__()
        self._raw = raw
        self._dctx = zstandard.ZstdDecompressor()
        self._obj = self._dctx.decompressobj()
        self._in_frame = False
        self._pending = b""
        self._ppos = 0
        self._eof = False

    def readable(self) -> bool:
        return True

    def _feed(self, data: bytes) -> bytes:
        out = []
        while data:
            self._in_frame = True
            out.append(self._obj.decompress(data))
            if not self._obj.eof:
                break
            data = self._obj.unused_data
            self._obj = self._dctx.decompressobj()
            self._in_frame = False
        return b"".join(out)

    def readinto(self, b: memoryview | bytearray) -> int:  # type: ignore[override]
        mv = memoryview(b).cast("B")
        while self._ppos >= len(self._pending) and not self._eof:
            data = self._raw.read(self.CHUNK)
            if not data:
                self._eof = True
                if self._in_frame:
                    raise zstandard.ZstdError("zstd input ends inside a frame")
                break
            self._pending = self._feed(data)
            self._ppos = 0
        k = min(len(mv), len(self._pending) - self._ppos)
        mv[:k] = self._pending[self._ppos : self._ppos + k]
        self._ppos += k
        return k


PIECE = 64 * 1024
"""Most bytes :class:`Window` asks of a stream's ``readinto1`` at a time."""


class EndInput(Exception):
    """Raised by a signal handler into a read that waits on a pipe (:func:`waiting_on_pipe`):
    the input ends there, as at its end of file (a stop asked for while nothing comes)."""


_waiting_on_pipe = False


def waiting_on_pipe() -> bool:
    """Whether the main thread is in a read of a pipe (stdin, a named pipe) that may wait for
    input, or opening a named pipe (which waits for its writer): the places a signal handler
    may raise :class:`EndInput` (elsewhere a raise could cut a step of the analysis
    half-way)."""
    return _waiting_on_pipe


@contextlib.contextmanager
def pipe_wait() -> Iterator[None]:
    """Marks a call that may wait on a pipe (:func:`waiting_on_pipe`)."""
    global _waiting_on_pipe
    _waiting_on_pipe = True
    try:
        yield
    finally:
        _waiting_on_pipe = False


class Window:
    """A reusable read buffer over a (decompressed) stream.

    Valid bytes are ``buf[pos:end]``; ``base`` is the stream offset of ``buf[0]``. ``ensure``
    compacts the unconsumed tail to the front, grows the buffer when one record needs more
    than it holds, and refills with ``readinto``. A read error ends the stream and is kept in
    ``error`` for the reader to report once.
    """

    def __init__(self, stream: ByteStream, size: int, greedy: bool) -> None:
        self.stream = stream
        self.buf = np.empty(max(int(size), 64), dtype=np.uint8)
        self.pos = 0
        self.end = 0
        self.base = 0
        self.eof = False
        self.greedy = greedy
        self.error: str | None = None

    @property
    def avail(self) -> int:
        """Bytes available from ``pos``."""
        return self.end - self.pos

    def settle(self) -> None:
        """Nothing to re-check: the bytes in ``buf`` are a copy (see ``MmapWindow.settle``)."""

    def ensure(self, need: int) -> bool:
        """Make at least ``need`` bytes available from ``pos``; ``False`` if the stream ended
        (or failed) first. Reads further to fill the window when ``greedy``."""
        if self.avail >= need:
            return True
        if self.pos:
            k = self.end - self.pos
            if k:
                self.buf[:k] = self.buf[self.pos : self.end]
            self.base += self.pos
            self.pos = 0
            self.end = k
        if need > self.buf.shape[0]:
            bigger = np.empty(need, dtype=np.uint8)
            bigger[: self.end] = self.buf[: self.end]
            self.buf = bigger
        self._fill(need)
        return self.avail >= need

    def _fill(self, need: int) -> None:
        mv = memoryview(self.buf)  # type: ignore[arg-type]
        cap = self.buf.shape[0]
        # One piece per call where the stream can (``readinto1``): a pipe gives what is
        # available now, so records reach the pipeline while the writer is still writing;
        # a decompressor one decoded chunk, so a stream cut short fails on the call after
        # its last bytes, which are kept (a ``readinto`` filling the window drops the bytes
        # it decoded before the failure: up to a window of packets lost).
        # Each piece is asked for in at most ``PIECE`` bytes: the stdlib decompressors'
        # ``readinto1`` allocates what it is asked for, and 2 MiB a call reads a gzip file
        # ~25% slower than 64 KiB (as fast as ``readinto``).
        read1 = getattr(self.stream, "readinto1", None)
        piece = PIECE if read1 is not None else cap
        read = read1 or self.stream.readinto
        while not self.eof and self.end < cap:
            if not self.greedy and self.end - self.pos >= need:
                break
            try:
                got = self._read(read, mv[self.end : min(cap, self.end + piece)])
            except EndInput:
                self.eof = True
                break
            except DECOMPRESS_ERRORS as exc:
                self.eof = True
                self.error = f"{type(exc).__name__}: {exc}"
                break
            if not got:
                self.eof = True
                break
            self.end += got

    def _read(self, read: Any, into: memoryview) -> int:
        """One read; of a pipe, marked as one that may wait (:func:`waiting_on_pipe`)."""
        if self.greedy:
            return int(read(into) or 0)
        with pipe_wait():
            return int(read(into) or 0)
