"""Zero-copy read windows over a memory map of an uncompressed, regular capture file.

:class:`MmapWindow` has the interface of :class:`wirelens.capture._io.Window` (``buf``,
``pos``, ``end``, ``base``, ``eof``, ``error``, ``avail``, ``ensure``) so the record walkers
of :mod:`wirelens.capture.source` drive both the same way. Instead of copying the file into a
reusable buffer with ``readinto``, ``buf`` is a numpy view (``numpy.frombuffer``, no copy) of
the part of the map that makes up the current window.

Memory. File-backed pages that the process touches count in its resident set, so a map
walked end to end would make RSS grow with the file. Each time the window slides forward the
whole pages left behind are released with ``madvise(MADV_DONTNEED)`` (Linux; the page cache
keeps them, only this process's mapping of them is dropped), so RSS stays about one window
whatever the file size. A view kept past its batch (against the ``RawBatch`` contract) still
reads correct bytes: a released page is faulted in again from the file.

The map is ``ACCESS_COPY`` (``MAP_PRIVATE``): the views are writable numpy arrays of the same
type as the buffered path's buffer (no second compilation of the kernels that take them), and
a stage that writes into ``RawBatch.data`` changes its private copy, never the file.

File shrinking while mapped. Touching a mapped page past the current end of the file raises
``SIGBUS``, which would kill the process. The reader maps the size the file has at open; before
each slide of the window and before each call of a record walker in the current window
(:meth:`MmapWindow.settle`) it calls ``fstat`` on the descriptor. If the file got shorter the
readable limit drops to the new size, the window never extends past it, the records whole
before the cut are delivered and the source reports one ``read_error`` ("file shrank ...").
What cannot be prevented in user space is a cut that lands after that check and before the
bytes are touched: during one walker call, or while a later stage reads the batch's payload
(pages the walker did not touch). A capture truncated while it is being read can therefore
still end the process with ``SIGBUS``; a Python signal handler cannot help (it runs between
bytecodes, after the faulting access). Use ``use_mmap=False`` for files that another process
may truncate. Bytes appended after open are not read (only the size at open is mapped),
like the buffered path, which stops at the first end of file it meets.
"""

from __future__ import annotations

import contextlib
import mmap
import os

import numpy as np

PAGE = mmap.PAGESIZE
_DONTNEED = getattr(mmap, "MADV_DONTNEED", None)
_WILLNEED = getattr(mmap, "MADV_WILLNEED", None)


class MmapWindow:
    """A window sliding over a read-only view of a file's memory map.

    Valid bytes are ``buf[pos:end]``; ``base`` is the file offset of ``buf[0]``. ``count`` is
    the file bytes made available so far (progress, like ``CountingReader.count``).
    ``error`` is set when the file shrinks while mapped (reported as a ``read_error``).
    """

    stream = None
    """No stream to close (the map is released by :meth:`close`)."""

    def __init__(self, fd: int, size: int) -> None:
        """Map ``size`` bytes of the open descriptor ``fd`` (raises ``OSError``/``ValueError``
        when the file cannot be mapped: the caller falls back to buffered reads). The window
        holds ``size`` bytes at most per slide (the batch size), more when a record needs it."""
        self._fd = fd
        self._mm: mmap.mmap | None = None
        self._arr = np.empty(0, dtype=np.uint8)
        self._mapped = 0
        self.limit = 0
        """Readable file bytes (shrinks if the file is cut while open)."""
        self._map()
        self.size = max(int(size), 64)
        self.buf = self._arr[:0]
        self.pos = 0
        self.end = 0
        self.base = 0
        self.eof = False
        self.error: str | None = None
        self._released = 0

    # ---- mapping --------------------------------------------------------------------------

    def _map(self) -> None:
        """Map the whole file at its current size."""
        length = os.fstat(self._fd).st_size
        if length <= 0:
            raise ValueError("cannot map an empty file")
        self._mm = mmap.mmap(self._fd, length, access=mmap.ACCESS_COPY)
        self._arr = np.frombuffer(self._mm, dtype=np.uint8)
        self._mapped = length
        self.limit = length

    @staticmethod
    def _drop(mm: mmap.mmap) -> None:
        """Unmap ``mm`` unless views of it are still alive (they then keep it mapped until
        they are garbage collected: a batch held past its lifetime stays readable)."""
        with contextlib.suppress(BufferError):
            mm.close()

    def close(self) -> None:
        """Release the map (views still held elsewhere keep it alive until dropped)."""
        mm, self._mm = self._mm, None
        self.buf = self._arr = np.empty(0, dtype=np.uint8)
        if mm is not None:
            self._drop(mm)

    @property
    def count(self) -> int:
        """File bytes made available to the walk so far."""
        return self.base + self.end

    @property
    def avail(self) -> int:
        """Bytes available from ``pos``."""
        return self.end - self.pos

    # ---- sliding --------------------------------------------------------------------------

    def ensure(self, need: int) -> bool:
        """Make at least ``need`` bytes available from ``pos``; ``False`` if the file ends
        first (then every byte up to the end is available)."""
        if self.avail >= need:
            return True
        if self._mm is None:
            return False
        start = self.base + self.pos
        self._check_size()
        self._release(start)
        stop = max(start, min(self.limit, start + max(self.size, need)))
        self.base = start
        self.pos = 0
        self.end = stop - start
        self.buf = self._arr[start:stop]
        if stop < start + need:
            self.eof = True
            return False
        self._prefetch(stop)
        return True

    def settle(self) -> None:
        """Re-check the file size before the walk goes on in the current window (called
        before every kernel call): if the file was cut inside the window, the window ends at
        the cut and the walk stops there with a ``read_error``."""
        self._check_size()
        if self.base + self.end > self.limit:
            self.end = max(self.pos, self.limit - self.base)

    def _check_size(self) -> None:
        """Follow the file's current size before a slide (see the module docstring)."""
        try:
            now = os.fstat(self._fd).st_size
        except OSError:
            return
        if now < self.limit:
            # cut while open: never touch pages past the new end, and say so once
            self.error = self.error or f"file shrank from {self.limit} to {now} bytes while read"
            self.limit = now

    def _release(self, start: int) -> None:
        """Drop this process's mapping of the whole pages before ``start`` (the window just
        left): Linux ``MADV_DONTNEED``; a no-op where ``madvise`` is unavailable."""
        upto = (start // PAGE) * PAGE
        if _DONTNEED is None or self._mm is None or upto <= self._released:
            return
        with contextlib.suppress(OSError, ValueError):
            self._mm.madvise(_DONTNEED, self._released, upto - self._released)
        self._released = upto

    def _prefetch(self, stop: int) -> None:
        """Ask for asynchronous read-ahead of the next window (``MADV_WILLNEED``): a cold
        file is then read from disk while the current window is being processed."""
        if _WILLNEED is None or self._mm is None or stop >= self.limit:
            return
        lo = (stop // PAGE) * PAGE
        hi = min(self._mapped, stop + self.size)
        with contextlib.suppress(OSError, ValueError):
            self._mm.madvise(_WILLNEED, lo, hi - lo)
