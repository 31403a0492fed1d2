"""The content tests' screens (``Dissector.screens``) tested on a batch's payloads at once.

A dissector's screen is a necessary condition of its ``matches``, declared as data (the
dissectors do not import numpy). Here each one is evaluated with numpy over every payload
that the Python content tests would see, so that those tests skip the dissectors whose
screens fail, and a payload no dissector can accept costs no Python call at all. Most such
payloads are the encrypted or unknown bulk of flows that are never identified.
"""

from __future__ import annotations

import numpy as np

from wirelens.dissect.base import Dissector, Screen
from wirelens.dissect.registry import screen_bits, screened

NOTHING = -1
"""The ``excluded`` value of a payload no content test can accept."""


def _byte(data: np.ndarray, off: np.ndarray, n: np.ndarray, k: int) -> np.ndarray:
    """Byte ``k`` of each payload (0 where the payload is shorter)."""
    inside = n > k
    at = np.where(inside, off + k, 0)
    return np.where(inside, data[at], 0).astype(np.int64)


def _holds(screen: Screen, data: np.ndarray, off: np.ndarray, n: np.ndarray) -> np.ndarray:
    ok = n >= screen.min_len
    for at, want in screen.equals:
        for j, value in enumerate(want):
            ok &= _byte(data, off, n, at + j) == value
    for at, values in screen.values:
        ok &= np.isin(_byte(data, off, n, at), np.fromiter(values, np.int64, len(values)))
    if screen.length is not None:
        at, width, order, delta = screen.length
        field = np.zeros(len(n), np.int64)
        for j in range(width):
            shift = 8 * (width - 1 - j) if order == "big" else 8 * j
            field |= _byte(data, off, n, at + j) << shift
        ok &= field == n - delta
    return ok


_FIRST: dict[tuple[type[Dissector], int], np.ndarray | None] = {}


def _first_allowed(cls: type[Dissector], proto: int) -> np.ndarray | None:
    """Per first byte, whether ``cls`` is tried on ``proto`` (its ``first_bytes_on``; None:
    every byte)."""
    key = (cls, proto)
    if key not in _FIRST:
        allowed = cls.first_bytes_on(proto)
        table = None
        if allowed is not None:
            table = np.zeros(256, bool)
            table[list(allowed)] = True
        _FIRST[key] = table
    return _FIRST[key]


def excluded(data: np.ndarray, off: np.ndarray, n: np.ndarray, proto: int,
             skip: frozenset[str]) -> np.ndarray:
    """Per payload ``data[off:off + n]`` over ``proto``: the :func:`screened` bits of the
    dissectors whose screens all fail (``registry.identify``'s ``excluded``), or
    :data:`NOTHING` when, besides, no other dissector running (``skip`` left out) admits its
    first byte. A dissector's screens are tested only on the payloads whose first byte it
    admits (the others never reach its content test: their bit is set without a test)."""
    off = off.astype(np.int64)
    n = n.astype(np.int64)
    first = _byte(data, off, n, 0)
    out = np.zeros(len(n), np.int64)
    for bit, (cls, screens) in enumerate(screened(proto)):
        allowed = _first_allowed(cls, proto)
        rows = np.flatnonzero(n > 0) if allowed is None else np.flatnonzero(
            allowed[first] & (n > 0))
        held = np.zeros(len(n), bool)
        if rows.size:
            o, m = off[rows], n[rows]
            ok = np.zeros(rows.size, bool)
            for screen in screens:
                ok |= _holds(screen, data, o, m)
            held[rows] = ok
        out[~held] |= 1 << bit
    table = screen_bits(proto, skip)
    unscreened = np.array([row[0] for row in table], bool)
    bits = np.array([row[1] for row in table], np.int64)
    out[~unscreened[first] & ((bits[first] & ~out) == 0) & (n > 0)] = NOTHING
    return out
