"""Bytes and flows per host over a whole run, in bounded memory (the run summary's top
talkers)."""

from __future__ import annotations

import numpy as np

from wirelens.pipeline._hosts_kernel import LOAD_PERCENT, add_hosts

HOST_SLOTS = 1 << 18
"""Slots of the table (8.6 MB once used); it holds up to 70% of them (~183 k hosts)."""
HOSTS_KEPT = 50_000
"""Hosts kept, the heaviest by bytes, when the table is full (a network of more hosts than
that keeps its heaviest in the summary, whatever the input's size)."""


class HostTotals:
    """Per host (an address as its high and low 64 bits): bytes and flows, summed as ended
    flows come, by a compiled hash table; when it fills, the :data:`HOSTS_KEPT` heaviest
    stay (the rest are forgotten). Replaces sorting every distinct host so far at each
    fold, whose temporaries raised the peak memory with the number of hosts."""

    def __init__(self, slots: int = HOST_SLOTS, kept: int = HOSTS_KEPT) -> None:
        if slots & (slots - 1) or slots < 4:
            raise ValueError("slots must be a power of two >= 4")
        if not 0 < kept < slots * LOAD_PERCENT // 100:  # (else a trim frees no slot)
            raise ValueError("kept must be positive and below the table's load limit")
        self.slots, self.kept = slots, kept
        self._arrays: tuple[np.ndarray, ...] | None = None  # made at the first add
        self._state = np.zeros(1, np.int64)

    def __len__(self) -> int:
        return int(self._state[0])

    def _tables(self) -> tuple[np.ndarray, ...]:
        if self._arrays is None:
            n = self.slots
            self._arrays = (np.zeros(n, np.uint64), np.zeros(n, np.uint64), np.zeros(n, np.uint8),
                            np.zeros(n, np.float64), np.zeros(n, np.float64))
        return self._arrays

    def add(self, hi: np.ndarray, lo: np.ndarray, nbytes: np.ndarray,
            nflows: np.ndarray | None = None) -> None:
        """Add ``nbytes`` (and ``nflows``, one each by default) to each host ``(hi, lo)``."""
        hi = np.ascontiguousarray(hi, np.uint64)
        lo = np.ascontiguousarray(lo, np.uint64)
        nbytes = np.ascontiguousarray(nbytes, np.float64)
        nflows = (np.ones(len(hi)) if nflows is None
                  else np.ascontiguousarray(nflows, np.float64))
        done = 0
        while done < len(hi):
            done += add_hosts(hi[done:], lo[done:], nbytes[done:], nflows[done:],
                              *self._tables(), self._state)
            if done < len(hi):
                self._trim()

    def _trim(self) -> None:
        """Keep the :data:`HOSTS_KEPT` heaviest hosts, ties at the cut in address order (a
        fresh table holding them). The cut is found by partition, and only the hosts tied
        with it are sorted (sorting every host, as :meth:`items` does, took ~3x longer)."""
        assert self._arrays is not None
        keys_hi, keys_lo, used, nbytes, nflows = self._arrays
        keep = np.flatnonzero(used)
        if len(keep) > self.kept:
            weights = nbytes[keep]
            cut = np.partition(weights, len(keep) - self.kept)[len(keep) - self.kept]
            ties = keep[weights == cut]
            ties = ties[np.lexsort((keys_lo[ties], keys_hi[ties]))]
            above = keep[weights > cut]
            keep = np.concatenate([above, ties[: self.kept - len(above)]])
        self._arrays = None
        self._state[0] = 0
        self.add(keys_hi[keep], keys_lo[keep], nbytes[keep], nflows[keep])

    def items(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(hi, lo, bytes, flows) of every host held, in address order."""
        if self._arrays is None:
            e = np.zeros(0, np.uint64)
            return e, e, np.zeros(0), np.zeros(0)
        keys_hi, keys_lo, used, nbytes, nflows = self._arrays
        idx = np.flatnonzero(used)
        idx = idx[np.lexsort((keys_lo[idx], keys_hi[idx]))]
        return keys_hi[idx], keys_lo[idx], nbytes[idx], nflows[idx]

    def top(self, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The ``n`` hosts with most bytes (ties in address order): (hi, lo, bytes, flows)."""
        hi, lo, nbytes, nflows = self.items()
        order = np.argsort(-nbytes, kind="stable")[:n]
        return hi[order], lo[order], nbytes[order], nflows[order]


__all__ = ["HOSTS_KEPT", "HOST_SLOTS", "HostTotals"]
