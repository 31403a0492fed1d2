"""Reversing ended flows whose roles the flow table guessed wrong.

The flow table makes the side that sent the first packet the originator (unless that packet
was a SYN-ACK). A capture that starts in the middle of a conversation, or whose first
datagram is a reply, gets the roles backwards; the DPI stage notices when that first payload
is one only a server sends (a DNS response, an HTTP status line, a TLS ServerHello) and the
flow is written reversed, as Zeek does (its history then starts with ``^``).
"""

from __future__ import annotations

import numpy as np

from wirelens.flow._layout import HIST_LEN
from wirelens.flow.table import FLOW_COLUMNS, FlowColumns

_PAIRS: tuple[tuple[str, str], ...] = tuple(
    [(n, "resp_" + n[5:]) for n in FLOW_COLUMNS
     if n.startswith("orig_") and "resp_" + n[5:] in FLOW_COLUMNS]
    + [(n, "dst2src_" + n[8:]) for n in FLOW_COLUMNS if n.startswith("src2dst_")])
"""Column pairs that trade places (addresses, ports, MACs, counters, per-direction stats)."""
_CHANGED = frozenset(name for pair in _PAIRS for name in pair) | {
    "conn_state", "conn_state_reversed", "first_dir", "history"}

FLIPPED = ord("^")


def reverse_flows(cols: FlowColumns, mask: np.ndarray, in_place: bool = False) -> FlowColumns:
    """``cols`` with the rows of ``mask`` (bool) reversed: originator and responder columns
    swapped, the first packets' directions inverted, ``conn_state`` taken from
    ``conn_state_reversed`` (and that one from ``conn_state``), and the history's letters
    switching case behind a leading ``^`` (its last letter dropped if all 16 are used).
    ``in_place``: the arrays of ``cols`` are changed (only the reversed rows are touched), for
    a caller that owns them; else they are left as they are and copies returned."""
    rows = np.flatnonzero(mask)
    if rows.size == 0:
        return cols
    out = cols if in_place else {k: v.copy() if k in _CHANGED else v for k, v in cols.items()}
    for a, b in _PAIRS + (("conn_state", "conn_state_reversed"),):
        x, y = out[a], out[b]
        x[rows], y[rows] = y[rows], x[rows]  # (fancy indexing reads copies first)
    first_dir = out["first_dir"]
    used = np.arange(first_dir.shape[1])[None, :] < out["first_n"][rows, None]
    first_dir[rows] = np.where(used, 1 - first_dir[rows], first_dir[rows])
    history = out["history"]
    letters = history[rows, : HIST_LEN - 1]
    swapped = np.where((letters >= 65) & (letters <= 90), letters + 32,
                       np.where((letters >= 97) & (letters <= 122), letters - 32, letters))
    history[rows, 0] = FLIPPED
    history[rows, 1:] = swapped
    return out


__all__ = ["reverse_flows"]
