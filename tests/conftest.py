"""Shared fixtures: where the real captures are, and the baseline update flag."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = (REPO / ".." / "shared" / "data").resolve()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-baselines", action="store_true",
                     help="rewrite tests/baselines/<capture>/<table>.jsonl from the current output")


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not (SHARED_DATA / "MANIFEST.csv").exists():
        pytest.skip(f"real captures not found at {SHARED_DATA} (../shared/data beside the repo)")
    return SHARED_DATA


def manifest_rows() -> list[dict[str, str]]:
    """MANIFEST.csv rows, or [] when the shared data is absent (tests then skip)."""
    path = SHARED_DATA / "MANIFEST.csv"
    if not path.exists():
        return []
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))
