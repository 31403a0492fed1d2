"""``core.jit.hot_kernel``: one place for the no-NRT compile flag, with a plain fallback."""

from __future__ import annotations

import numpy as np
import pytest

from wirelens.core import jit
from wirelens.flow import _kernels as K


def _sum_rows(a, out):  # type: ignore[no-untyped-def]
    for i in range(a.shape[0]):
        acc = 0
        for j in range(a.shape[1]):
            acc += a[i, j]
        out[i] = acc


def test_flow_kernels_use_hot_kernel() -> None:
    for disp in (K._process, K._flush):
        opts = getattr(disp, "targetoptions", None)
        if opts is None:  # NUMBA_DISABLE_JIT=1: plain Python functions
            pytest.skip("numba JIT disabled")
        if jit.NRT_OFF_SUPPORTED:
            assert opts.get("_nrt") is False, disp


def test_hot_kernel_computes_like_python() -> None:
    f = jit.hot_kernel(_sum_rows)
    a = np.arange(12, dtype=np.int64).reshape(3, 4)
    out = np.zeros(3, np.int64)
    f(a, out)
    assert out.tolist() == [6, 22, 38]


def test_hot_kernel_falls_back_when_flag_unknown(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jit, "NRT_OFF_SUPPORTED", False)
    f = jit.hot_kernel(_sum_rows)
    opts = getattr(f, "targetoptions", None)
    if opts is not None:
        assert "_nrt" not in opts
    out = np.zeros(1, np.int64)
    f(np.array([[1, 2, 3]], np.int64), out)
    assert out[0] == 6
