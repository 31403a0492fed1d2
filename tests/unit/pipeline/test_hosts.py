"""Per-host totals in the compiled hash table, against a dict doing the same."""

from __future__ import annotations

import numpy as np
import pytest

from wirelens.pipeline.hosts import HostTotals


def _reference(entries: list[tuple[int, int, float]], slots: int, kept: int
               ) -> dict[tuple[int, int], list[float]]:
    """What :class:`HostTotals` keeps: exact sums; a new host arriving while 70% of the
    slots are taken first trims the table to the ``kept`` heaviest (ties: address order)."""
    limit = slots * 70 // 100
    d: dict[tuple[int, int], list[float]] = {}
    for hi, lo, b in entries:
        if (hi, lo) not in d and len(d) >= limit:
            items = sorted(d.items())
            order = sorted(range(len(items)), key=lambda i: -items[i][1][0])
            d = {items[i][0]: items[i][1] for i in order[:kept]}
        t = d.setdefault((hi, lo), [0.0, 0.0])
        t[0] += b
        t[1] += 1
    return d


@pytest.mark.parametrize(("slots", "kept", "spread"),
                         [(1 << 12, 50, 5000), (64, 8, 5000), (16, 3, 5000),
                          (64, 8, 2), (16, 3, 1)])  # (a small spread: ties at every trim)
def test_totals_and_trimming_match_a_dict(slots: int, kept: int, spread: int) -> None:
    rng = np.random.default_rng(slots + spread)
    table = HostTotals(slots, kept)
    entries: list[tuple[int, int, float]] = []
    for _ in range(6):  # pieces of ended flows, as the runner hands them over
        n = int(rng.integers(0, 400))
        hi = rng.choice(np.array([0, 0x20010DB8 << 32], np.uint64), n)
        lo = (0xFFFF_0000_0000 | rng.integers(0, 120, n)).astype(np.uint64)
        nbytes = rng.integers(0, spread, n).astype(np.float64)
        table.add(hi, lo, nbytes)
        entries += list(zip(hi.tolist(), lo.tolist(), nbytes.tolist()))
    want = _reference(entries, slots, kept)
    hi, lo, nbytes, nflows = table.items()
    got = {(h, k): [b, f] for h, k, b, f in zip(hi.tolist(), lo.tolist(), nbytes.tolist(),
                                                nflows.tolist())}
    assert got == want and len(table) == len(want)
    top = table.top(5)
    ranked = sorted(want.items(), key=lambda kv: (-kv[1][0], kv[0]))[:5]
    assert list(zip(top[0].tolist(), top[1].tolist())) == [k for k, _ in ranked]


def test_empty_and_bad_sizes() -> None:
    table = HostTotals(16, 2)
    assert len(table) == 0 and all(len(a) == 0 for a in table.top(3))
    with pytest.raises(ValueError):
        HostTotals(10, 2)
    with pytest.raises(ValueError):  # a trim that keeps as many as the table holds frees none
        HostTotals(16, 11)
