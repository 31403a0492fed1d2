"""The kernel cache folder follows every kernel source (numba alone keys a kernel on its own
file, so edited helpers would leave stale machine code)."""

import os
import subprocess
import sys
import time
from pathlib import Path

import numba

from wirelens.core import jit


def _tree(root: Path) -> None:
    for pkg in jit.KERNEL_PACKAGES:
        (root / pkg).mkdir(parents=True)
        (root / pkg / "_k.py").write_text(f"X = '{pkg}'\n")
    (root / "pipeline").mkdir()
    (root / "pipeline" / "_text.py").write_text("Y = 1\n")
    (root / "pipeline" / "dpi.py").write_text("Z = 1\n")


def test_digest_changes_with_any_kernel_source_only(tmp_path: Path) -> None:
    _tree(tmp_path)
    first = jit.sources_digest(tmp_path)
    assert jit.sources_digest(tmp_path) == first
    (tmp_path / "pipeline" / "dpi.py").write_text("Z = 2\n")  # not a kernel module
    assert jit.sources_digest(tmp_path) == first
    (tmp_path / "identify" / "_k.py").write_text("X = 'edited'\n")  # a helper of a kernel
    second = jit.sources_digest(tmp_path)
    assert second != first
    (tmp_path / "identify" / "_new.py").write_text("W = 1\n")  # a new module
    assert jit.sources_digest(tmp_path) not in (first, second)


def test_numba_caches_in_the_folder_of_the_current_sources() -> None:
    root = Path(jit.__file__).resolve().parents[1]
    folder = Path(numba.config.CACHE_DIR)
    assert folder.name == jit.sources_digest(root)


def test_stale_cache_folders_of_other_sources_are_pruned(tmp_path: Path) -> None:
    current, old, recent = "a" * 16, "b" * 16, "c" * 16
    for name in (current, old, recent, "not-a-digest"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "k.nbi").write_bytes(b"x")
    month_ago = time.time() - 30 * 86_400
    for name in (current, old, "not-a-digest"):
        os.utime(tmp_path / name, (month_ago, month_ago))
    assert jit.prune_stale(str(tmp_path), current) == [old]
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == sorted([current, recent, "not-a-digest"])  # in use, recent, not ours
    assert jit.prune_stale(str(tmp_path / "missing"), current) == []


def test_the_folder_in_use_is_touched() -> None:
    assert time.time() - Path(numba.config.CACHE_DIR).stat().st_mtime < 3600


def _jit_in(env: dict[str, str], code: str = "") -> list[str]:
    """``CACHE_DIR`` and the cache option a fresh process gets with this environment."""
    import subprocess
    import sys

    run_env = {k: v for k, v in os.environ.items()
               if k not in ("NUMBA_CACHE_DIR", "XDG_CACHE_HOME", "TMPDIR")}
    out = subprocess.run(
        [sys.executable, "-c", code + "from wirelens.core import jit\n"
         "import wirelens.pipeline.api  # (every kernel defined)\n"
         "print(jit.CACHE_DIR, jit.KERNEL_OPTIONS['cache'])"],
        env={**run_env, **env}, capture_output=True, text=True, timeout=300, check=True)
    return out.stdout.split()


def test_without_a_writable_home_the_kernels_are_cached_in_a_private_temp_folder(
        tmp_path: Path) -> None:
    """A service's missing or read-only home: a folder of ours under $TMPDIR (a read-only
    installation failed at import: numba refuses to define a cached kernel it cannot keep)."""
    got = _jit_in({"HOME": "/proc/no-home", "TMPDIR": str(tmp_path)})
    root = Path(jit.__file__).resolve().parents[1]
    assert got == [str(tmp_path / f"wirelens-numba-{os.getuid()}" / jit.sources_digest(root)),
                   "True"]
    assert (tmp_path / f"wirelens-numba-{os.getuid()}").stat().st_mode & 0o077 == 0


def test_with_no_writable_folder_at_all_the_kernels_are_not_cached() -> None:
    got = _jit_in({"HOME": "/proc/no-home"}, "import tempfile\ntempfile.tempdir = '/proc/x'\n")
    assert got == ["None", "False"]


def test_a_temp_folder_others_can_write_is_not_used(tmp_path: Path, monkeypatch) -> None:
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    shared = tmp_path / f"wirelens-numba-{os.getuid()}"
    shared.mkdir()
    shared.chmod(0o777)  # (another user could plant machine code there)
    assert jit._private_temp_base() is None
    shared.chmod(0o700)
    assert jit._private_temp_base() == str(shared)


def test_kernels_load_from_the_cache_without_numbas_lowering_registries() -> None:
    """A warm start loads the cached kernels without the target context's refresh (its ~80
    modules of lowering code: ~0.2-0.3 s); the loaded kernels run, and a compile afterwards
    refreshes in full and works. (Two processes: the first warms the cache, compiling if it
    is cold, which refreshes in full; the second starts warm.)"""
    warm = "from wirelens.pipeline.warm import warm\nwarm('full')\n"
    subprocess.run([sys.executable, "-c", warm], timeout=900, check=True)
    code = (
        warm + "import sys, numba, numpy as np\n"
        "from wirelens.pipeline.columns import format_addrs\n"
        "print('numba.np.arraymath' in sys.modules)\n"
        "print(format_addrs(np.array([0], np.uint64), np.array([0xFFFF0A000001], np.uint64))[0])\n"
        "f = numba.njit(lambda a: np.median(np.sort(a)))\n"
        "print(f(np.arange(5.0)), 'numba.np.arraymath' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=600, check=True)
    assert out.stdout.split() == ["False", "10.0.0.1", "2.0", "True"]
