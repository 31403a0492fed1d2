"""Zero-filled row arrays that grow without a copy: the flow table's per-slot state.

A :class:`Rows` holds a ``(rows, cols)`` C-ordered array in an anonymous private memory map.
Two properties keep the table's memory in proportion to its open flows:

* a page is resident only once written (a fresh map reads as zeros), so slots never used cost
  address space, not memory;
* growing moves the map (``mremap`` on Linux, through :meth:`mmap.mmap.resize`) instead of
  copying it into a new array: the old and the new pool are never resident at once. A table
  growing from 262,144 to 524,288 slots (~850 bytes each) used to hold both, ~670 MB, for the
  length of the copy.

Where the map cannot move (no ``mremap``, or a view of the array is still held somewhere:
``resize`` refuses while a buffer is exported), a new map is made and the rows copied, as
before. Large maps ask for transparent huge pages, as numpy does for its large arrays (random
slot access then misses the TLB less).
"""

from __future__ import annotations

import mmap

import numpy as np

_FLAGS = getattr(mmap, "MAP_PRIVATE", 0) | getattr(mmap, "MAP_ANONYMOUS", 0)
_HUGEPAGE = getattr(mmap, "MADV_HUGEPAGE", None)
_HUGEPAGE_FROM = 4 << 20
"""Bytes from which a map asks for huge pages (numpy's threshold for its arrays)."""


class Rows:
    """A zero-filled ``(rows, cols)`` array of ``dtype`` that :meth:`grow` lengthens in place.

    ``array`` is the only view this object hands out; a caller keeping another view across
    :meth:`grow` still reads valid memory (the copy path is taken then), but not the grown
    array.
    """

    def __init__(self, rows: int, cols: int, dtype: type) -> None:
        self.cols = cols
        self.dtype = np.dtype(dtype)
        self._map = self._new_map(rows)
        self.array: np.ndarray = self._view(rows)

    def _bytes(self, rows: int) -> int:
        return max(1, rows * self.cols * self.dtype.itemsize)

    def _new_map(self, rows: int) -> mmap.mmap:
        size = self._bytes(rows)
        mm = mmap.mmap(-1, size, flags=_FLAGS) if _FLAGS else mmap.mmap(-1, size)
        if _HUGEPAGE is not None and size >= _HUGEPAGE_FROM:
            try:
                mm.madvise(_HUGEPAGE)
            except OSError:  # (a kernel without transparent huge pages)
                pass
        return mm

    def _view(self, rows: int) -> np.ndarray:
        flat = np.frombuffer(self._map, self.dtype, rows * self.cols)
        return flat.reshape(rows, self.cols)

    def grow(self, rows: int) -> np.ndarray:
        """Lengthen to ``rows`` rows (the existing ones kept, the new ones zero); returns the
        new ``array``. The caller must have dropped its own references to the old one."""
        kept = self.array.shape[0]
        del self.array  # the map can move only when no view of it is left
        try:
            self._map.resize(self._bytes(rows))
        except (BufferError, OSError, SystemError, TypeError, ValueError):
            old = np.frombuffer(self._map, self.dtype, kept * self.cols)
            self._map = self._new_map(rows)
            np.frombuffer(self._map, self.dtype, kept * self.cols)[:] = old
        self.array = self._view(rows)
        return self.array
