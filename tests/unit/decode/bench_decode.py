"""Decode throughput (not a test): a real capture repeated in memory into one full batch.

.venv/bin/python tests/unit/decode/bench_decode.py [capture relative to shared/data]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT))

from tests.naive.decode import read_capture  # noqa: E402 (after the path set-up)

from wirelens.core.batch import RawBatch  # noqa: E402
from wirelens.decode import Decoder  # noqa: E402

DATA = ROOT / ".." / "shared" / "data"


def main() -> None:
    name = (
        sys.argv[1]
        if len(sys.argv) > 1
        else "zeek/testing/btest/Traces/smtp/smtp-many-addresses.pcap.gz"
    )
    raw = read_capture(DATA / name)
    chunks = [raw.data[o : o + c] for o, c in zip(raw.offset, raw.caplen)]
    reps = max(1, 262_144 // len(chunks))
    lens = np.array([len(c) for c in chunks] * reps, np.uint32)
    data = np.concatenate(chunks * reps)
    off = np.zeros(len(lens), np.int64)
    off[1:] = np.cumsum(lens)[:-1]
    n = len(lens)
    zeros = np.zeros(n, np.int64)
    batch = RawBatch(data, off, lens, lens, zeros, np.full(n, raw.linktype[0], np.uint16))
    dec = Decoder()
    dec.decode(batch)  # compile / load the cache
    best = min(_timed(dec, batch) for _ in range(40))
    print(f"{n} packets, {data.nbytes / 1e6:.1f} MB: best {best / n * 1e9:.1f} ns/packet")


def _timed(dec: Decoder, batch: RawBatch) -> float:
    t = time.perf_counter()
    dec.decode(batch)
    return time.perf_counter() - t


if __name__ == "__main__":
    main()
