"""The one place compiler flags for numba kernels live.

Kernels are private functions decorated with :func:`kernel`; public wrappers validate inputs
and allocate outputs. ``cache=True`` so a second run starts warm; ``NUMBA_DISABLE_JIT=1`` runs
them as plain Python (coverage, debugging).
"""

from __future__ import annotations

import numba

KERNEL_OPTIONS = dict(cache=True, nogil=True, boundscheck=False, error_model="numpy")


def kernel(fn):  # type: ignore[no-untyped-def]
    """Compile ``fn`` as a wirelens kernel (nopython, cached)."""
    return numba.njit(**KERNEL_OPTIONS)(fn)
