"""Decode weirds (a malformed header, a length past the capture, ...) counted between two
hand-overs of output: one ``weird`` row per (name, input file, source address, destination
address) with a count and its first packet, however many batches the packets came in."""

from __future__ import annotations

from typing import Any

import numpy as np

from wirelens.core.batch import PacketBatch, RawBatch
from wirelens.core.weirds import weird_name
from wirelens.pipeline.columns import format_addrs, group_rows


class DecodeWeirds:
    """Weird packets gathered batch by batch (grouped per batch, so what is kept between
    hand-overs is one entry per distinct key and batch), turned into rows by :meth:`take`."""

    def __init__(self) -> None:
        self._sources: dict[str, int] = {}
        self._keys: list[np.ndarray] = []
        self._counts: list[np.ndarray] = []
        self._first: list[np.ndarray] = []
        """Per distinct key: its first packet's timestamp (ns), packet number in its file
        (from 1) and whether it had an IP header."""

    def add(self, raw: RawBatch, pkts: PacketBatch, idx: np.ndarray) -> None:
        """The rows ``idx`` of a batch, whose ``pkts.weird`` is set."""
        source = self._sources.setdefault(raw.source, len(self._sources))
        # key: weird code, input file, source and destination (high and low 64 bits each)
        keys = np.stack([pkts.weird[idx].astype(np.uint64),
                         np.full(len(idx), source, np.uint64), pkts.src_hi[idx],
                         pkts.src_lo[idx], pkts.dst_hi[idx], pkts.dst_lo[idx]], axis=1)
        order, starts, counts = group_rows(keys)
        rows = idx[order[starts]]  # each key's first packet
        self._keys.append(keys[order[starts]])
        self._counts.append(counts)
        self._first.append(np.stack([raw.ts_ns[rows].astype(np.int64),
                                     raw.first_index + rows.astype(np.int64) + 1,
                                     (pkts.ip_ver[rows] != 0).astype(np.int64)], axis=1))

    def take(self) -> list[dict[str, Any]]:
        """The ``weird`` rows of what was added since the last call (first seen first)."""
        if not self._keys:
            return []
        keys = np.concatenate(self._keys)
        counts = np.concatenate(self._counts)
        first = np.concatenate(self._first)
        self._keys, self._counts, self._first = [], [], []
        order, starts, _ = group_rows(keys)
        totals = np.add.reduceat(counts[order], starts)
        firsts = order[starts]  # (a stable sort: the earliest entry of each key)
        by_time = np.argsort(firsts, kind="stable")
        uniq, totals, head = keys[firsts][by_time], totals[by_time], first[firsts][by_time]
        src = format_addrs(uniq[:, 2], uniq[:, 3]).to_pylist()
        dst = format_addrs(uniq[:, 4], uniq[:, 5]).to_pylist()
        names = {v: k for k, v in self._sources.items()}
        out = []
        for k, (code, file) in enumerate(uniq[:, :2].tolist()):
            ts, number, has_ip = head[k].tolist()
            out.append({"ts": ts, "uid": None, "orig_h": src[k] if has_ip else None,
                        "resp_h": dst[k] if has_ip else None, "name": weird_name(code),
                        "source": "decode", "count": int(totals[k]),
                        "detail": f"{names[file]} packet {number}"})
        return out


__all__ = ["DecodeWeirds"]
