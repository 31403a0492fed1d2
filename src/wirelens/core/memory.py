"""The C allocator's settings for a whole run of the command line."""

from __future__ import annotations

import ctypes
import ctypes.util
import os

MMAP_THRESHOLD = 256 * 1024
"""Blocks of this size or more are served by their own memory maps (glibc ``mallopt``
``M_MMAP_THRESHOLD``), and given back whole when freed. glibc's default threshold starts at
128 KiB but rises to the size of each mapped block freed (up to 32 MiB), after which a run's
per-batch arrays of a few MiB come from the heap, among long-lived blocks that then keep its
freed space from being returned: big.pcap's heap grew by ~20 MB of free fragments. Fixed at
256 KiB (which also turns the rising off), peak RSS fell by 9-17 MB in every DPI mode and
quarter-to-whole growth by about a point, at no measurable cost with 2 MiB batches (a 128 KiB
threshold cost 7% with 16 MiB batches, whose per-batch columns were then mapped each time)."""
_M_MMAP_THRESHOLD = -3
"""``mallopt`` parameter number (glibc ``malloc.h``)."""


def fix_mmap_threshold(size: int = MMAP_THRESHOLD) -> bool:
    """Fix glibc's mmap threshold at ``size`` for this process (see :data:`MMAP_THRESHOLD`);
    False where there is no glibc ``mallopt`` or the user set ``MALLOC_MMAP_THRESHOLD_``
    (their choice stands). For the command line only: a library does not change its host
    process's allocator."""
    if "MALLOC_MMAP_THRESHOLD_" in os.environ:
        return False
    name = ctypes.util.find_library("c")
    try:
        mallopt = ctypes.CDLL(name).mallopt if name else None
    except (OSError, AttributeError):
        return False
    if mallopt is None:
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    return bool(mallopt(_M_MMAP_THRESHOLD, size))


__all__ = ["MMAP_THRESHOLD", "fix_mmap_threshold"]
