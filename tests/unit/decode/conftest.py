"""Make ``tests.naive`` importable from the decode tests and locate the shared captures."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import pytest  # noqa: E402 (after the path set-up)

from wirelens.decode import Decoder  # noqa: E402


@pytest.fixture(scope="session")
def decoder() -> Decoder:
    """One decoder for the session (columns allocated once, like the pipeline)."""
    return Decoder(4096)
