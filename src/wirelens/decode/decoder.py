"""The public batch decoder: validates a :class:`RawBatch`, runs the kernel into columns that
are allocated once, and keeps cumulative counters."""

from __future__ import annotations

from dataclasses import fields

import numpy as np

from wirelens.core import limits
from wirelens.core.batch import LinkType, PacketBatch, PacketStatus, RawBatch, Tunnel
from wirelens.core.weirds import weird_name
from wirelens.decode._kernel import N_LINKTYPES, N_WEIRD_SLOTS, _decode_rows

_COLUMN_NAMES = tuple(f.name for f in fields(PacketBatch))


def _linktype_name(code: int) -> str:
    try:
        return LinkType(code).name.lower()
    except ValueError:
        return str(code)


class Decoder:
    """L2..L4 decoder of whole batches (one numba loop, no Python object per packet).

    The columns are allocated once (``max_batch`` rows) and reused: the :class:`PacketBatch`
    returned by :meth:`decode` is a view that the next call overwrites. Copy what must outlive
    the batch.

    ``counters`` (cumulative over every call) holds:

    * ``linktype_<name>``: records seen per link type (decoded or not), e.g. ``linktype_ethernet``
      or ``linktype_147`` for an unknown one;
    * ``ok``, ``not_ip``, ``arp``, ``malformed``, ``fragment``, ``unknown_link``: per status;
    * ``tunnel_<name>``: packets whose outermost encapsulation was that tunnel;
    * ``weird_<name>``: rows whose first problem was that weird (``weird`` column).
    """

    def __init__(self, max_batch: int = limits.MAX_PACKETS_PER_BATCH) -> None:
        if max_batch <= 0:
            raise ValueError(f"max_batch must be positive, got {max_batch}")
        self.max_batch = int(max_batch)
        self._cols = PacketBatch.empty(self.max_batch)
        self._lt_counts = np.zeros(N_LINKTYPES, dtype=np.int64)
        self._st_counts = np.zeros(len(PacketStatus), dtype=np.int64)
        self._tun_counts = np.zeros(len(Tunnel), dtype=np.int64)
        self._weird_counts = np.zeros(N_WEIRD_SLOTS, dtype=np.int64)
        self.max_tunnel_depth = limits.MAX_TUNNEL_DEPTH

    def decode(self, raw: RawBatch) -> PacketBatch:
        """Decode every record of ``raw``; returns a view of the reused columns (len == len(raw))."""
        n = len(raw)
        if n > self.max_batch:
            raise ValueError(f"batch of {n} records exceeds max_batch={self.max_batch}")
        data = np.ascontiguousarray(raw.data, dtype=np.uint8).reshape(-1)
        offset = np.ascontiguousarray(raw.offset, dtype=np.int64)
        caplen = np.ascontiguousarray(raw.caplen, dtype=np.uint32)
        linktype = np.ascontiguousarray(raw.linktype, dtype=np.uint16)
        if caplen.shape[0] != n or linktype.shape[0] != n:
            raise ValueError("RawBatch columns have different lengths")
        out = self._cols.view(n)
        if n == 0:
            return out
        _decode_rows(
            data, offset, caplen, linktype, self.max_tunnel_depth,
            *(getattr(out, name) for name in _COLUMN_NAMES),
            self._lt_counts, self._st_counts, self._tun_counts, self._weird_counts,
        )  # fmt: skip
        return out

    @property
    def counters(self) -> dict[str, int]:
        """Cumulative counts (see the class docstring), zero entries left out."""
        out: dict[str, int] = {}
        for code in np.flatnonzero(self._lt_counts):
            out[f"linktype_{_linktype_name(int(code))}"] = int(self._lt_counts[code])
        for st in PacketStatus:
            out[st.name.lower()] = int(self._st_counts[st])
        for tun in Tunnel:
            if tun != Tunnel.NONE and self._tun_counts[tun]:
                out[f"tunnel_{tun.name.lower()}"] = int(self._tun_counts[tun])
        for code in np.flatnonzero(self._weird_counts):
            if code:
                out[f"weird_{weird_name(int(code))}"] = int(self._weird_counts[code])
        return out
