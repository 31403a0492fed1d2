"""Hypothesis strategies shared by the dissector tests."""

from __future__ import annotations

import random

from hypothesis import strategies as st


def uniform_bytes(max_size: int) -> st.SearchStrategy[bytes]:
    """Uniformly random payloads of 0..``max_size`` bytes: what encrypted traffic looks like,
    and what a test that says "random bytes are refused" means.

    Not ``st.binary()``: Hypothesis also draws byte strings from the literals of the modules
    under test, so now and then it hands a signature its own complete message (Gnutella's
    ``GNUTELLA CONNECT/0.4\\n\\n``), which the signature rightly accepts. A refusal test fed by
    ``st.binary()`` then fails on a correct match, on one machine in many. The robustness
    fuzz tests keep ``st.binary()``: there the literals are welcome."""
    return st.builds(lambda seed, size: random.Random(seed).randbytes(size),
                     st.integers(0, 2**64 - 1), st.integers(0, max_size))
