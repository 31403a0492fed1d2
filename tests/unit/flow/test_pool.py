"""flow._pool.Rows: zero-filled rows that grow in place (or by a copy when a view is held)."""

from __future__ import annotations

import numpy as np

from wirelens.flow._pool import Rows


def test_grow_keeps_rows_and_adds_zero_rows() -> None:
    rows = Rows(3, 5, np.int64)
    assert rows.array.shape == (3, 5) and not rows.array.any()
    rows.array[:] = np.arange(15).reshape(3, 5)
    grown = rows.grow(1000)
    assert grown is rows.array and grown.shape == (1000, 5) and grown.dtype == np.int64
    assert grown[:3].ravel().tolist() == list(range(15))
    assert not grown[3:].any()
    assert grown.flags.c_contiguous and grown.flags.writeable


def test_grow_with_a_view_still_held_copies() -> None:
    rows = Rows(4, 2, np.float32)
    rows.array[:] = 1.5
    held = rows.array[:2]  # the map cannot move while this view exists
    grown = rows.grow(64)
    assert grown.shape == (64, 2) and (grown[:4] == 1.5).all() and not grown[4:].any()
    assert (held == 1.5).all()  # the old memory stays valid for the holder
    grown[0, 0] = 7
    assert held[0, 0] == 1.5  # ... but it is no longer the table's


def test_large_pool_grows_to_many_rows() -> None:
    rows = Rows(1 << 16, 82, np.int64)  # above the huge-page threshold
    rows.array[-1, -1] = 3
    grown = rows.grow(1 << 17)
    assert grown[(1 << 16) - 1, -1] == 3 and grown[-1, -1] == 0
