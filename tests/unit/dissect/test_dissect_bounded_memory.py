"""Every dissector holds bounded memory however long its flow runs.

Each registered dissector is started on the first payloads of a real flow it claims (the
captures of ../shared/data, as the long fuzz run seeds them: ``bench/fuzz_dissectors.py``)
and on the test builders' conversations, then fed a long stream in one direction: a line that
never ends, then random bytes. Whatever it makes of them (events, which are dropped here as the
DPI stage hands them on; a ``ParseError``; ``done``), the memory it still holds afterwards
(tracemalloc) stays under :data:`HELD_BOUND`, well below the stream's size: nothing buffers a
flow whole. (The fuzz tests' inputs are short; this is where an unbounded buffer would show.)
"""

from __future__ import annotations

import random
import tracemalloc
from pathlib import Path

import pytest
from tests.bench_scripts import bench_module

from wirelens.dissect.base import Dissector
from wirelens.wire import ParseError

DATA = Path(__file__).resolve().parents[3] / ".." / "shared" / "data"
STREAM_BYTES = 640 * 1024
"""Bytes fed after the seed, in one direction."""
HELD_BOUND = 320 * 1024
"""Most a dissector may hold after the stream (the largest message some buffer whole is a
DNS-over-TCP message or a NetBIOS-framed SMB message: 64-128 KiB)."""
SEGMENT = 1448

Chunks = list[tuple[bool, bytes]]


def _streams() -> list[tuple[str, bytes]]:
    rng = random.Random(5)
    return [("no line end", b"A" * SEGMENT), ("random", rng.randbytes(SEGMENT))]


def _held(cls: type[Dissector], proto: int, chunks: Chunks, side: bool,
          piece: bytes) -> tuple[int, bool]:
    """Bytes still allocated once the stream was fed (the dissector alive, its events gone),
    and whether it read the stream to its end (not done, no ParseError)."""
    d = cls(proto)
    pool = piece * 2  # (each call gets a new bytes object, as the DPI stage hands them)
    whole = False
    try:
        for from_orig, data in chunks[:4]:
            d.feed(data, from_orig, 1)
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        for k in range(STREAM_BYTES // SEGMENT):
            if d.done:
                break
            at = k % 97
            d.feed(pool[at: at + (SEGMENT if proto == 6 else 512 + k % 512)], side, 2 + k)
        whole = not d.done
    except ParseError:
        pass
    held = tracemalloc.get_traced_memory()[0] - before if tracemalloc.is_tracing() else 0
    tracemalloc.stop()
    return held, whole


class _Hoarder(Dissector):
    """A dissector that keeps every byte (what the test must catch)."""

    name = "hoarder"

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        return True

    def __init__(self, proto: int) -> None:
        super().__init__(proto)
        self.kept = bytearray()

    def feed(self, data: bytes, from_orig: bool, ts_ns: int) -> list:  # type: ignore[type-arg]
        self.kept += data
        return []


def test_the_measure_sees_a_dissector_that_keeps_everything() -> None:
    assert _held(_Hoarder, 6, [], True, b"x" * SEGMENT) > (STREAM_BYTES * 0.9, True)


@pytest.mark.skipif(not DATA.is_dir(), reason=f"shared captures not found at {DATA}")
def test_no_dissector_buffers_a_long_stream() -> None:
    fuzz = bench_module("fuzz_dissectors")
    seeds = fuzz.SEEDS + fuzz.real_seeds(per_dissector=1)
    assert len({cls for cls, _, _ in seeds}) >= 100  # (most of the registry)
    over, read_on = [], set()
    for cls, proto, chunks in seeds:
        for side in (True, False):
            for name, piece in _streams():
                _held(cls, proto, chunks, side, piece)  # (first: caches, lazy imports)
                held, whole = _held(cls, proto, chunks, side, piece)
                if held > HELD_BOUND:
                    over.append(f"{cls.name}/{proto} {'orig' if side else 'resp'} {name}: "
                                f"{held:,} bytes held")
                if whole:
                    read_on.add(cls.name)
    assert not over, over
    # (most give up on such a stream, as they may: ParseError, or done; the mail dissectors,
    # among others, read it to its end, a line cut short after another)
    assert {"smtp", "imap", "pop3"} <= read_on, sorted(read_on)
