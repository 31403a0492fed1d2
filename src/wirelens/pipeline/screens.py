"""The content tests' screens (``Dissector.screens``) tested on a batch's payloads at once.

A dissector's screen is a necessary condition of its ``matches``, declared as data (the
dissectors do not import numpy). Here each one is evaluated with numpy over every payload
that the Python content tests would see, so that those tests skip the dissectors whose
screens fail, and a payload no dissector can accept costs no Python call at all. Most such
payloads are the encrypted or unknown bulk of flows that are never identified. The screens
are flattened into arrays once per transport and tested by one compiled loop per batch
(:mod:`wirelens.pipeline._screen_kernel`), whose cost grows little with the number of
classes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from wirelens.dissect.registry import screen_bits, screened
from wirelens.pipeline import _screen_kernel

NOTHING = _screen_kernel.NOTHING
"""The ``excluded`` value of a payload no content test can accept."""
_WORD = _screen_kernel.WORD_BITS


@dataclass(frozen=True, slots=True)
class ScreenTables:
    """The screens of one transport's screened classes (:func:`screened`, bit ``c`` for the
    ``c``-th), flattened for the kernel. Per first byte: the screened classes that admit it
    (``row_cls[row_range[b]:row_range[b + 1]]``), the bits of those that do not (``not_row``),
    and whether a class without screens admits it (``unscreened``). Per class its range of
    screens; per screen its minimum length, ranges of single fixed bytes and of allowed-value
    rows, and its length field (``len_at`` -1: none). Masks (``not_row``, ``every``) are
    int64 words of :data:`~wirelens.pipeline._screen_kernel.WORD_BITS` class bits each, as
    many as the classes need."""

    row_range: np.ndarray
    row_cls: np.ndarray
    not_row: np.ndarray
    unscreened: np.ndarray
    every: np.ndarray
    cls_range: np.ndarray
    min_len: np.ndarray
    eq_range: np.ndarray
    eq_at: np.ndarray
    eq_val: np.ndarray
    val_range: np.ndarray
    val_at: np.ndarray
    val_row: np.ndarray
    val_tables: np.ndarray
    len_at: np.ndarray
    len_width: np.ndarray
    len_big: np.ndarray
    len_delta: np.ndarray


def _i64(values: list[int]) -> np.ndarray:
    return np.array(values, np.int64)


def _words(mask: int, words: int) -> list[int]:
    """A mask of class bits as int64 words (the kernel's layout)."""
    return [mask >> (_WORD * w) & ((1 << _WORD) - 1) for w in range(words)]


def fold(words: np.ndarray) -> np.ndarray:
    """Masks as the kernel writes them (one row of words per payload) as one integer each,
    class ``c`` at bit ``c`` (:data:`NOTHING` stays itself): int64 when one word holds them,
    else Python integers (an object array)."""
    if words.shape[1] == 1:
        return words[:, 0]
    out = []
    for row in words.tolist():
        value = NOTHING
        if row[0] != NOTHING:
            value = 0
            for w, word in enumerate(row):
                value |= word << (_WORD * w)
        out.append(value)
    folded = np.empty(len(out), object)
    folded[:] = out
    return folded


def build_tables(proto: int, skip: frozenset[str]) -> ScreenTables:
    """:class:`ScreenTables` of ``proto`` (``skip``: the classes the caller never tests)."""
    classes = screened(proto)
    cls_range, min_len, eq_range, val_range = [0], [], [0], [0]
    eq_at: list[int] = []
    eq_val: list[int] = []
    val_at: list[int] = []
    val_row: list[int] = []
    rows: list[np.ndarray] = []
    len_at, len_width, len_big, len_delta = [], [], [], []
    for _, screens in classes:
        for screen in screens:
            min_len.append(screen.min_len)
            for at, raw in screen.equals:
                eq_at.extend(range(at, at + len(raw)))
                eq_val.extend(raw)
            eq_range.append(len(eq_at))
            for at, values in screen.values:
                row = np.zeros(256, bool)
                row[sorted(values)] = True
                val_at.append(at)
                val_row.append(len(rows))
                rows.append(row)
            val_range.append(len(val_at))
            at, width, order, delta = screen.length or (-1, 0, "big", 0)
            len_at.append(at)
            len_width.append(width)
            len_big.append(order == "big")
            len_delta.append(delta)
        cls_range.append(len(min_len))
    every = (1 << len(classes)) - 1
    words = max(1, -(-len(classes) // _WORD))
    row_range, row_cls, not_row = [0], [], []
    for byte in range(256):
        mine = [c for c, (cls, _) in enumerate(classes) if cls.name not in skip and (
            (allowed := cls.first_bytes_on(proto)) is None or byte in allowed)]
        row_cls.extend(mine)
        row_range.append(len(row_cls))
        not_row.append(_words(every & ~sum(1 << c for c in mine), words))
    unscreened = [row[0] for row in screen_bits(proto, skip)]
    return ScreenTables(
        _i64(row_range), _i64(row_cls), np.array(not_row, np.int64).reshape(256, words),
        np.array(unscreened, bool), _i64(_words(every, words)),
        _i64(cls_range), _i64(min_len), _i64(eq_range), _i64(eq_at), _i64(eq_val),
        _i64(val_range), _i64(val_at), _i64(val_row),
        np.array(rows, bool).reshape(len(rows), 256), _i64(len_at), _i64(len_width),
        np.array(len_big, bool), _i64(len_delta))


_TABLES: dict[tuple[int, frozenset[str]], tuple[object, ScreenTables]] = {}


def _tables(proto: int, skip: frozenset[str]) -> ScreenTables:
    """:func:`build_tables`, rebuilt when the registry's screened classes change (tests
    replace the registry)."""
    key = (proto, skip)
    found = _TABLES.get(key)
    classes = screened(proto)
    if found is None or found[0] is not classes:
        found = _TABLES[key] = (classes, build_tables(proto, skip))
    return found[1]


def excluded(data: np.ndarray, off: np.ndarray, n: np.ndarray, proto: int,
             skip: frozenset[str]) -> np.ndarray:
    """Per payload ``data[off:off + n]`` over ``proto``: the :func:`screened` bits of the
    dissectors that cannot accept it (``registry.identify``'s ``excluded``): its first byte
    is not theirs, or all their screens fail (those named in ``skip``, never tested, always
    have their bit); or :data:`NOTHING` when, besides, no other dissector running (``skip``
    left out) admits its first byte. One compiled call; any number of classes (a word per
    :data:`~wirelens.pipeline._screen_kernel.WORD_BITS` of them; see :func:`fold`)."""
    t = _tables(proto, skip)
    out = np.empty((len(n), len(t.every)), np.int64)
    _screen_kernel.screen_masks(
        np.ascontiguousarray(data, np.uint8), off.astype(np.int64), n.astype(np.int64),
        t.row_range, t.row_cls, t.not_row, t.cls_range, t.min_len, t.eq_range, t.eq_at,
        t.eq_val, t.val_range, t.val_at, t.val_row, t.val_tables, t.len_at, t.len_width,
        t.len_big, t.len_delta, t.unscreened, t.every, out)
    return fold(out)
