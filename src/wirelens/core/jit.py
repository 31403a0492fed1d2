"""The one place compiler flags for numba kernels live.

Kernels are private functions decorated with :func:`kernel`; public wrappers validate inputs
and allocate outputs. ``cache=True`` so a second run starts warm; ``NUMBA_DISABLE_JIT=1`` runs
them as plain Python (coverage, debugging).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numba

KERNEL_OPTIONS: dict[str, Any] = dict(cache=True, nogil=True, boundscheck=False,
                                      error_model="numpy")


def kernel(fn: Callable[..., Any]) -> Any:
    """Compile ``fn`` as a wirelens kernel (nopython, cached).

    Typed as returning ``Any``: the result is a numba dispatcher whose call signature is
    whatever numba infers from the arguments (kernels themselves are untyped by nature).
    """
    return numba.njit(**KERNEL_OPTIONS)(fn)


def _nrt_flag_supported() -> bool:
    """True when this numba knows the private ``_nrt`` target option."""
    try:
        from numba.core.cpu import CPUTargetOptions
    except ImportError:  # pragma: no cover - numba internals moved
        return False
    return hasattr(CPUTargetOptions, "_nrt")


NRT_OFF_SUPPORTED = _nrt_flag_supported()
"""Whether :func:`hot_kernel` really compiles without numba's reference-counting runtime."""


def hot_kernel(fn: Callable[..., Any]) -> Any:
    """Compile ``fn`` like :func:`kernel`, but without numba's reference-counting runtime (NRT).

    Why: with NRT, every array handed to an ``inline="always"`` helper across branches costs
    an incref/decref pair (out-of-line calls with atomic updates); in the flow table's
    per-packet loop that was measured at ~40% of the time. Without NRT those calls vanish.

    Contract for such kernels: they must not allocate or create array objects at all (no
    ``np.empty``, no slicing -- a slice is a new array object), only index into the arrays
    they are given; rows are copied with explicit loops.

    ``_nrt`` is a private numba flag: when this numba does not know it, or refuses it, the
    kernel is compiled as a plain :func:`kernel` (same results, slower).
    """
    if NRT_OFF_SUPPORTED:
        try:
            # passed through a dict: the private flag is not in numba's typed signature
            no_nrt: dict[str, Any] = {"_nrt": False, **KERNEL_OPTIONS}
            return numba.njit(**no_nrt)(fn)
        except (KeyError, TypeError, ValueError):  # pragma: no cover - flag refused
            pass
    return kernel(fn)


def refresh_cache_stamp(kernel_file: str, *patterns: str) -> None:
    """Make numba's disk cache notice edits of helper modules.

    numba invalidates a cached kernel only when the kernel's *own* source file changes; a
    kernel that inlines helpers or constants from other modules would keep running stale
    machine code after those are edited. Called at the top of such a kernel module (before
    its kernels are decorated) with glob patterns of its helper files (same folder), this
    gives the kernel file the newest modification time among them, so the cache is rebuilt.
    Best effort: read-only installs are left alone.
    """
    import os
    from pathlib import Path

    here = Path(kernel_file)
    try:
        own = here.stat().st_mtime
        helpers = [p for pat in patterns for p in here.parent.glob(pat)]
        newest = max((p.stat().st_mtime for p in helpers), default=own)
        if newest > own:
            os.utime(here, (newest, newest))
    except OSError:
        pass
