"""glibc's mmap threshold fixed for a command-line run (checked in a child process)."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import subprocess
import sys

import pytest

from wirelens.core.memory import fix_mmap_threshold

_CHILD = """
import ctypes, sys
from wirelens.core.memory import fix_mmap_threshold
libc = ctypes.CDLL(ctypes.util.find_library("c"))
libc.malloc.restype = ctypes.c_void_p
libc.free.argtypes = [ctypes.c_void_p]
class Info(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in
                "arena ordblks smblks hblks hblkhd usmblks fsmblks uordblks fordblks keepcost".split()]
libc.mallinfo2.restype = Info
fixed = fix_mmap_threshold() if sys.argv[1] == "fix" else False
libc.free(libc.malloc(4 << 20))  # a mapped 4 MiB block freed: glibc's threshold rises to it
before = libc.mallinfo2().hblkhd
block = libc.malloc(1 << 20)
print(int(fixed), libc.mallinfo2().hblkhd - before)
"""


def _child(arg: str, env: dict[str, str] | None = None) -> tuple[int, int]:
    out = subprocess.run([sys.executable, "-c", "import ctypes.util\n" + _CHILD, arg],
                         capture_output=True, text=True, timeout=60, env=env, check=True)
    fixed, mapped = out.stdout.split()
    return int(fixed), int(mapped)


def _glibc_with_mallinfo2() -> bool:
    name = ctypes.util.find_library("c")
    return bool(name) and hasattr(ctypes.CDLL(name), "mallinfo2")


@pytest.mark.skipif(not _glibc_with_mallinfo2(), reason="needs glibc >= 2.33 (mallinfo2)")
def test_a_fixed_threshold_keeps_mapping_blocks_after_a_big_one_was_freed() -> None:
    assert _child("default") == (0, 0)  # glibc's own threshold rose: the 1 MiB from the heap
    fixed, mapped = _child("fix")
    assert fixed == 1 and mapped >= 1 << 20
    env = {**os.environ, "MALLOC_MMAP_THRESHOLD_": "4194304"}  # the user's choice stands
    assert _child("fix", env)[0] == 0


def test_the_users_setting_is_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MALLOC_MMAP_THRESHOLD_", "65536")
    assert fix_mmap_threshold() is False
