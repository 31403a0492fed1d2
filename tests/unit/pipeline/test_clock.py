"""Isolated damaged timestamps (:mod:`wirelens.pipeline.clock`)."""

from __future__ import annotations

import numpy as np
import pytest

from wirelens.pipeline.clock import clamp_out_of_line, out_of_line

H = 3_600_000_000_000


def ts(*seconds: float) -> np.ndarray:
    return (np.array(seconds) * 1e9).astype(np.int64)


@pytest.mark.parametrize(("stamps", "before", "hits"), [
    ((0, 1, 100_000, 2, 3), None, [2]),  # one packet far ahead, neighbours agree: taken
    ((0, 1, 100_000, 100_001, 100_002), None, []),  # the capture went on later: a real gap
    ((0, 1, 100_000, 100_001, 2, 3), None, []),  # two in a row: not isolated, they stand
    ((100_000, 2, 3), 1, [0]),  # the first of a batch, against the batch before
    ((100_000, 2, 3), None, []),  # the first of an input: no neighbour before
    ((0, 1, 2, 100_000), None, []),  # the last of a batch: its next one is not read yet
    ((0, 1, 3000, 2), None, []),  # within the limit (an hour)
    ((0, 100_000, 7200), None, []),  # its neighbours two hours apart: not sure, left
    ((0, -100_000, 1), None, []),  # stamped far before: the flow table's time is unmoved
])
def test_out_of_line(stamps, before, hits) -> None:  # type: ignore[no-untyped-def]
    b = None if before is None else int(before * 1e9)
    assert out_of_line(ts(*stamps), b, H).tolist() == hits


def test_clamp_sets_the_predecessors_time_and_returns_the_stamps() -> None:
    t = ts(5, 100_000, 6, 7, 200_000, 8)
    hits, stamped = clamp_out_of_line(t, int(4e9), H)
    assert hits.tolist() == [1, 4] and stamped.tolist() == ts(100_000, 200_000).tolist()
    assert t.tolist() == ts(5, 5, 6, 7, 7, 8).tolist()
    first = ts(100_000, 6)
    hits, _ = clamp_out_of_line(first, int(4e9), H)
    assert hits.tolist() == [0] and first.tolist() == ts(4, 6).tolist()
