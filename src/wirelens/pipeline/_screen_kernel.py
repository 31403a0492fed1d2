"""The compiled loop of :mod:`wirelens.pipeline.screens`: every screen of every screened
content test, evaluated per payload in one call per batch.

The screens arrive flattened into arrays (:class:`wirelens.pipeline.screens.ScreenTables`);
a payload's byte ``k`` reads as 0 past its end, as in the declared semantics of
:class:`wirelens.dissect.base.Screen`.
"""

from __future__ import annotations

import numba

from wirelens.core.jit import KERNEL_OPTIONS, hot_kernel

_inl = numba.njit(inline="always", **KERNEL_OPTIONS)

NOTHING = -1
"""The mask of a payload no content test can accept (``screens.NOTHING``; every word)."""
WORD_BITS = 63
"""Class bits per int64 word of a mask (the sign bit is left clear, so NOTHING stands out):
class ``c`` is bit ``c % 63`` of word ``c // 63``."""


@_inl
def _at(data, o, m, k):  # type: ignore[no-untyped-def]
    if k < m:
        return data[o + k]
    return 0


@_inl
def _holds(data, o, m, s, min_len, eq_range, eq_at, eq_val, val_range, val_at, val_row,  # type: ignore[no-untyped-def]
           val_tables, len_at, len_width, len_big, len_delta):
    if m < min_len[s]:
        return False
    for e in range(eq_range[s], eq_range[s + 1]):
        if _at(data, o, m, eq_at[e]) != eq_val[e]:
            return False
    for v in range(val_range[s], val_range[s + 1]):
        if not val_tables[val_row[v], _at(data, o, m, val_at[v])]:
            return False
    at = len_at[s]
    if at >= 0:
        width = len_width[s]
        field = 0
        for j in range(width):
            shift = 8 * (width - 1 - j) if len_big[s] else 8 * j
            field |= _at(data, o, m, at + j) << shift
        if field != m - len_delta[s]:
            return False
    return True


@hot_kernel
def screen_masks(data, off, n, row_range, row_cls, not_row, cls_range, min_len, eq_range,  # type: ignore[no-untyped-def]
                 eq_at, eq_val, val_range, val_at, val_row, val_tables, len_at, len_width,
                 len_big, len_delta, unscreened, every, out):
    """Per payload ``data[off[i]:off[i] + n[i]]``, in the words ``out[i]``: the bit of
    screened class ``c`` (:data:`WORD_BITS`) set when it cannot accept the payload: its first
    byte is not one of the class's (``not_row[first]``: the bits of those classes;
    ``row_cls[row_range[first]:row_range[first + 1]]`` the others), or all of the class's
    screens ``cls_range[c]:cls_range[c + 1]`` fail; or :data:`NOTHING` in every word when,
    besides, no class without screens admits that first byte (``unscreened``) and every
    screened class that does is ruled out. An empty payload gets ``every`` bit."""
    words = out.shape[1]
    for i in range(off.shape[0]):
        o = off[i]
        m = n[i]
        if m <= 0:
            for w in range(words):
                out[i, w] = every[w]
            continue
        first = data[o]
        for w in range(words):
            out[i, w] = not_row[first, w]
        left = False
        for r in range(row_range[first], row_range[first + 1]):
            c = row_cls[r]
            held = False
            for s in range(cls_range[c], cls_range[c + 1]):
                if _holds(data, o, m, s, min_len, eq_range, eq_at, eq_val, val_range, val_at,
                          val_row, val_tables, len_at, len_width, len_big, len_delta):
                    held = True
                    break
            if held:
                left = True
            else:
                out[i, c // WORD_BITS] |= 1 << (c % WORD_BITS)
        if not unscreened[first] and not left:
            for w in range(words):
                out[i, w] = NOTHING
