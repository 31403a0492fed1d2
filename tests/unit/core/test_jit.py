import os

from wirelens.core.jit import refresh_cache_stamp


def test_kernel_file_takes_the_newest_helper_time(tmp_path):
    kernel = tmp_path / "_kernel.py"
    helper = tmp_path / "_khelper.py"
    other = tmp_path / "unrelated.py"
    for f, t in ((kernel, 1000), (helper, 2000), (other, 3000)):
        f.write_text("x = 1\n")
        os.utime(f, (t, t))
    refresh_cache_stamp(str(kernel), "_k*.py")
    assert kernel.stat().st_mtime == 2000  # the helper's, not the unrelated file's
    refresh_cache_stamp(str(kernel), "_k*.py")  # nothing newer: unchanged
    assert kernel.stat().st_mtime == 2000
    refresh_cache_stamp(str(tmp_path / "missing.py"), "_k*.py")  # best effort, no raise
