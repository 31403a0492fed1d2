"""Decode weirds gathered across batches: one row per (name, file, endpoints) until taken."""

from __future__ import annotations

import numpy as np

from wirelens.core.batch import PacketBatch, RawBatch
from wirelens.core.weirds import weird_name
from wirelens.pipeline.decode_weirds import DecodeWeirds

V4 = 0xFFFF_0000_0000
BAD, OTHER = 3, 5  # two weird codes


def batch(source: str, first: int, ts: list[int], weird: list[int], src: list[int],
          ip: list[bool]) -> tuple[RawBatch, PacketBatch]:
    n = len(ts)
    raw = RawBatch(np.zeros(0, np.uint8), np.zeros(n, np.int64), np.zeros(n, np.uint32),
                   np.zeros(n, np.uint32), np.array(ts, np.int64), np.ones(n, np.uint16),
                   source=source, first_index=first)
    pkts = PacketBatch.empty(n)
    pkts.weird[:] = weird
    pkts.src_lo[:] = [V4 | s for s in src]
    pkts.dst_lo[:] = V4 | 9
    pkts.ip_ver[:] = [4 if x else 0 for x in ip]
    return raw, pkts


def add(w: DecodeWeirds, raw: RawBatch, pkts: PacketBatch) -> None:
    w.add(raw, pkts, np.flatnonzero(pkts.weird != 0))


def test_rows_fold_across_batches_first_packet_kept() -> None:
    w = DecodeWeirds()
    add(w, *batch("a.pcap", 0, [10, 11, 12, 13], [0, BAD, BAD, OTHER], [1, 1, 1, 2],
                  [True] * 4))
    add(w, *batch("a.pcap", 4, [20, 21, 22], [BAD, BAD, 0], [1, 3, 1], [True, False, True]))
    add(w, *batch("b.pcap", 0, [30], [BAD], [1], [True]))  # another file: its own row
    rows = w.take()
    assert [(r["name"], r["count"], r["orig_h"], r["ts"], r["detail"]) for r in rows] == [
        (weird_name(BAD), 3, "0.0.0.1", 11, "a.pcap packet 2"),  # first seen first
        (weird_name(OTHER), 1, "0.0.0.2", 13, "a.pcap packet 4"),
        (weird_name(BAD), 1, None, 21, "a.pcap packet 6"),  # no IP header: no addresses
        (weird_name(BAD), 1, "0.0.0.1", 30, "b.pcap packet 1"),
    ]
    assert all(r["resp_h"] == ("0.0.0.9" if r["orig_h"] else None) for r in rows)
    assert w.take() == []  # taken: nothing left
    add(w, *batch("a.pcap", 7, [40], [BAD], [1], [True]))
    assert [(r["count"], r["detail"]) for r in w.take()] == [(1, "a.pcap packet 8")]
