"""Isolated damaged timestamps: a packet stamped far after both its neighbours, which agree
with each other, is counted at its predecessor's time.

The flow table's time is the largest timestamp seen (a packet stamped earlier is counted at
that time), so one packet stamped years ahead would end every open flow and give every later
packet that far time. A real capture's time cannot go forward and come back: a packet more
than ``limits.TIMESTAMP_OUT_OF_LINE_S`` after both neighbours, themselves within that of each
other, is a damaged stamp. Only isolated ones are taken (two such packets in a row stand), and
the last packet of a batch, whose next neighbour is not read yet, is left as it is.
"""

from __future__ import annotations

import numpy as np


def out_of_line(ts: np.ndarray, before: int | None, limit_ns: int) -> np.ndarray:
    """Positions in ``ts`` (a batch's int64 timestamps) of packets stamped more than
    ``limit_ns`` after both neighbours while those are within ``limit_ns`` of each other;
    ``before``: the timestamp of the packet before the batch (None: the input's first)."""
    n = len(ts)
    if n < 2:
        return np.empty(0, np.int64)
    if (before is None or int(ts[0]) - before <= limit_ns) and int(np.diff(ts).max()) <= limit_ns:
        return np.empty(0, np.int64)  # (no step forward past the limit: most batches)
    left = np.empty(n - 1, np.int64)
    left[1:] = ts[: n - 2]
    left[0] = ts[0] if before is None else before  # (the first packet: no neighbour before)
    mid, right = ts[: n - 1], ts[1:]
    hit = (mid - np.maximum(left, right) > limit_ns) & (np.abs(right - left) <= limit_ns)
    return np.flatnonzero(hit)


def clamp_out_of_line(ts: np.ndarray, before: int | None,
                      limit_ns: int) -> tuple[np.ndarray, np.ndarray]:
    """Sets the packets :func:`out_of_line` finds to their predecessor's time (in place);
    returns their positions and their timestamps as they were."""
    hits = out_of_line(ts, before, limit_ns)
    stamped = ts[hits].copy()
    for i in hits.tolist():  # (isolated: never two in a row, so each predecessor is sound)
        if i:
            ts[i] = ts[i - 1]
        else:
            assert before is not None  # (the first packet of an input is never taken)
            ts[i] = before
    return hits, stamped


__all__ = ["clamp_out_of_line", "out_of_line"]
