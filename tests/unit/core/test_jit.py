"""The kernel cache folder follows every kernel source (numba alone keys a kernel on its own
file, so edited helpers would leave stale machine code)."""

import os
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
