"""The kernel cache folder follows every kernel source (numba alone keys a kernel on its own
file, so edited helpers would leave stale machine code)."""

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
