"""The compiled loop of :mod:`wirelens.pipeline.hosts`: per-host totals in an open-addressing
table (linear probing), one call per piece of ended flows."""

from __future__ import annotations

import numpy as np

from wirelens.core.jit import kernel, mix64

LOAD_PERCENT = 70
"""Occupied slots at most, in percent of the table: past it the caller trims the table."""


@kernel
def add_hosts(hi, lo, nbytes, nflows, keys_hi, keys_lo, used, tot_bytes, tot_flows,  # type: ignore[no-untyped-def]
              state):
    """Add ``nbytes[i]`` and ``nflows[i]`` to host ``(hi[i], lo[i])`` for each ``i``;
    ``state[0]`` counts the occupied slots. Returns how many entries were added: all of
    them, or fewer when a new host would take the table past :data:`LOAD_PERCENT` (the
    caller trims it and hands over the rest)."""
    cap = keys_hi.shape[0]
    mask = np.uint64(cap - 1)
    limit = cap * LOAD_PERCENT // 100
    for i in range(hi.shape[0]):
        h_hi = hi[i]
        h_lo = lo[i]
        slot = mix64(h_lo ^ (h_hi * np.uint64(0x9E3779B97F4A7C15))) & mask
        while True:
            if not used[slot]:
                if state[0] >= limit:
                    return i
                used[slot] = 1
                keys_hi[slot] = h_hi
                keys_lo[slot] = h_lo
                tot_bytes[slot] = nbytes[i]
                tot_flows[slot] = nflows[i]
                state[0] += 1
                break
            if keys_hi[slot] == h_hi and keys_lo[slot] == h_lo:
                tot_bytes[slot] += nbytes[i]
                tot_flows[slot] += nflows[i]
                break
            slot = (slot + np.uint64(1)) & mask
    return hi.shape[0]
