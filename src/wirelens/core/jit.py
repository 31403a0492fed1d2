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


def cache_is_warm() -> bool:
    """True when compiled kernels of this installation are already cached on disk.

    Used by front ends to say, once, that the first run compiles kernels.
    """
    import os
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    custom = os.environ.get("NUMBA_CACHE_DIR")
    places = [Path(custom)] if custom else []
    places += [root / sub / "__pycache__" for sub in ("capture", "decode", "flow")]
    for place in places:
        if place.is_dir() and any(place.rglob("*.nbi")):
            return True
    return False
