"""The one place compiler flags for numba kernels live.

Kernels are private functions decorated with :func:`kernel`; public wrappers validate inputs
and allocate outputs. ``cache=True`` so a second run starts warm; ``NUMBA_DISABLE_JIT=1`` runs
them as plain Python (coverage, debugging).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import stat
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numba
import numpy as np

KERNEL_OPTIONS: dict[str, Any] = dict(cache=True, nogil=True, boundscheck=False,
                                      error_model="numpy")


def kernel(fn: Callable[..., Any]) -> Any:
    """Compile ``fn`` as a wirelens kernel (nopython, cached).

    Typed as returning ``Any``: the result is a numba dispatcher whose call signature is
    whatever numba infers from the arguments (kernels themselves are untyped by nature).
    """
    return _light_loads(numba.njit(**KERNEL_OPTIONS)(fn))


def _runtime() -> Any:
    """numba's runtime system (NRT), or None when its internals moved."""
    try:
        from numba.core.runtime import nrt
    except ImportError:  # pragma: no cover - numba internals moved
        return None
    return getattr(nrt, "rtsys", None)


_RTSYS = _runtime()


def _light_loads(dispatcher: Any) -> Any:
    """``dispatcher`` loading its cached machine code without refreshing numba's target
    context first.

    Why: numba's cache refreshes the whole target context before each load, and the first
    refresh of a process imports ~80 modules of lowering code (numpy's linear algebra, random
    generators, polynomials, typed containers ...) and fills the typing registries: ~0.2 s
    of every run's start with flows only, ~0.3 s with DPI (warm cache, alternating runs),
    for nothing a load uses. Loading needs the runtime the code links against (NRT, whose
    functions numba compiles once per process), which is initialised here. A compile (a cache
    miss, a new signature) still refreshes everything first, as numba does for any compile.

    Uses numba's private cache methods; when this numba lacks them the dispatcher loads as
    before, and a failure to initialise the runtime falls back to the full load.
    """
    cache: Any = getattr(dispatcher, "_cache", None)
    load = getattr(cache, "_load_overload", None)
    guard = getattr(cache, "_guard_against_spurious_io_errors", None)
    if _RTSYS is None or load is None or guard is None:  # pragma: no cover - internals moved
        return dispatcher
    full = cache.load_overload

    def load_overload(sig: Any, target_context: Any) -> Any:
        try:
            _RTSYS.initialize(target_context)
        except Exception:  # noqa: BLE001 (then numba's own load)
            return full(sig, target_context)
        loaded = None  # (stays None when the guard swallows an I/O error: compiled instead)
        with guard():
            loaded = load(sig, target_context)
        return loaded

    cache.load_overload = load_overload
    return dispatcher


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
            return _light_loads(numba.njit(**no_nrt)(fn))
        except (KeyError, TypeError, ValueError):  # pragma: no cover - flag refused
            pass
    return kernel(fn)


KERNEL_PACKAGES = ("capture", "core", "decode", "flow", "identify")
"""Packages whose modules hold kernels, their inlined helpers or the constants they freeze."""
KERNEL_MODULES = ("pipeline/_text.py", "pipeline/_screen_kernel.py", "pipeline/_hosts_kernel.py",
                  "pipeline/_dns_kernel.py", "dissect/limits.py")
"""Kernel modules elsewhere."""


def sources_digest(root: Path) -> str:
    """A digest of every source a kernel can depend on (below the package ``root``), and of
    the numba version."""
    digest = hashlib.sha256(numba.__version__.encode())
    files = [p for pkg in KERNEL_PACKAGES for p in sorted((root / pkg).glob("*.py"))]
    files += [root / rel for rel in KERNEL_MODULES]
    for path in files:
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(path.read_bytes() if path.is_file() else b"")
    return digest.hexdigest()[:16]


STALE_CACHE_S = 14 * 86_400
"""A kernel cache folder of other sources unused this long is removed (each is a few MB;
every upgrade or edit of a kernel source makes a new one)."""
_DIGEST_NAME = re.compile(r"[0-9a-f]{16}")


def prune_stale(base: str, current: str, max_age_s: float = STALE_CACHE_S) -> list[str]:
    """Remove the digest folders under ``base`` other than ``current`` whose last use (their
    modification time: each run touches its own) is older than ``max_age_s``; returns them."""
    gone: list[str] = []
    cutoff = time.time() - max_age_s
    try:
        entries = list(os.scandir(base))
    except OSError:
        return gone
    for entry in entries:
        if (entry.name != current and _DIGEST_NAME.fullmatch(entry.name) and entry.is_dir()
                and entry.stat().st_mtime < cutoff):
            shutil.rmtree(entry.path, ignore_errors=True)
            gone.append(entry.name)
    return gone


CACHE_DIR: str | None = None
"""The folder the compiled kernels are cached in, or None: no folder could be written, the
kernels are compiled afresh by every process (:func:`_versioned_cache_dir`)."""


def _private_temp_base() -> str | None:
    """``$TMPDIR/wirelens-numba-<uid>``, made if need be, when it is ours alone (owned by this
    user, writable by no one else: cached machine code is loaded and run, so a folder another
    user could write to is not used)."""
    path = os.path.join(tempfile.gettempdir(), f"wirelens-numba-{os.getuid()}")
    try:
        os.makedirs(path, mode=0o700, exist_ok=True)
        st = os.lstat(path)
    except OSError:
        return None
    if stat.S_ISDIR(st.st_mode) and st.st_uid == os.getuid() and not st.st_mode & 0o022:
        return path
    return None


def _versioned_cache_dir() -> None:
    """Point numba's disk cache at a folder named by :func:`sources_digest`.

    numba keys a cached kernel on its own source file only, so a kernel that inlines helpers
    or constants from other modules would keep running stale machine code after they change
    (seen here: an edited DNS test in ``identify/_dns.py`` was not picked up by the cached
    ``identify/_kernel.py``). A folder per digest of all kernel sources makes any change
    compile afresh, once. The base folder is ``$NUMBA_CACHE_DIR`` when set, else
    ``$XDG_CACHE_HOME/wirelens/numba`` (``~/.cache/...``); when it cannot be written (a
    service's read-only or missing home), a private folder under ``$TMPDIR``; when none can,
    caching is off (:data:`CACHE_DIR` None: numba would otherwise refuse to define a cached
    kernel at all in a read-only installation, and the import failed). The folder in use is
    touched, and folders of other sources unused for :data:`STALE_CACHE_S` are removed.
    """
    global CACHE_DIR
    base = os.environ.get("NUMBA_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"),
        "wirelens", "numba")
    digest = sources_digest(Path(__file__).resolve().parents[1])
    for candidate in (base, _private_temp_base()):
        if candidate is None:
            continue
        folder = os.path.join(candidate, digest)
        try:
            os.makedirs(folder, exist_ok=True)
            if not os.access(folder, os.W_OK):
                continue
            os.utime(folder)
        except OSError:
            continue
        numba.config.CACHE_DIR = folder  # type: ignore[attr-defined]
        CACHE_DIR = folder
        prune_stale(candidate, digest)
        return
    KERNEL_OPTIONS["cache"] = False


_versioned_cache_dir()  # (before any kernel is defined: numba fixes its cache then)


@numba.njit(inline="always", **KERNEL_OPTIONS)
def mix64(x):  # type: ignore[no-untyped-def]
    """splitmix64 finaliser (a bijective 64-bit mixer) of a uint64, for the kernels that hash
    (flow ids into uids, fragment keys, hosts): inlined where it is called."""
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def _prefetch_codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
    from llvmlite import ir
    from numba.core import cgutils as _cgutils
    from numba.core import types

    cgutils: Any = _cgutils  # numba's code-generation helpers are untyped
    aryty = signature.args[0]
    ary = context.make_array(aryty)(context, builder, args[0])
    at = [context.cast(builder, v, t, types.intp) for v, t in zip(args[1:], signature.args[1:])]
    ptr = cgutils.get_item_pointer(context, builder, aryty, ary, at, wraparound=False)
    i32 = ir.IntType(32)
    bytes_ptr = ir.IntType(8).as_pointer()
    fnty = ir.FunctionType(ir.VoidType(), [bytes_ptr, i32, i32, i32])
    fn = cgutils.get_or_insert_function(builder.module, fnty, "llvm.prefetch.p0")
    # read access, high temporal locality (keep in every cache level), data cache
    builder.call(fn, [builder.bitcast(ptr, bytes_ptr), ir.Constant(i32, 0), ir.Constant(i32, 3),
                      ir.Constant(i32, 1)])
    return context.get_dummy_value()


def _make_prefetch() -> tuple[Any, Any]:
    from numba.core import types
    from numba.extending import intrinsic

    @intrinsic
    def prefetch1(typingctx: Any, arr: Any, i: Any) -> Any:
        if not (isinstance(arr, types.Array) and arr.ndim == 1):
            return None
        return types.void(arr, i), _prefetch_codegen

    @intrinsic
    def prefetch2(typingctx: Any, arr: Any, i: Any, j: Any) -> Any:
        if not (isinstance(arr, types.Array) and arr.ndim == 2):
            return None
        return types.void(arr, i, j), _prefetch_codegen

    return prefetch1, prefetch2


prefetch1, prefetch2 = _make_prefetch()
"""``prefetch1(arr, i)`` / ``prefetch2(arr, i, j)`` inside kernels: a hint that the CPU fetch
the cache line of ``arr[i]`` / ``arr[i, j]`` (LLVM's ``llvm.prefetch``: no effect on results,
never faults, whatever the address). A kernel that knows a few steps ahead which rows of a
large table it will touch (the flow table's lookups) overlaps their memory latency with the
work of the steps before."""
