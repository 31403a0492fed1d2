"""Paths as text."""

from __future__ import annotations

import os
from pathlib import Path


def display_name(path: str | Path) -> str:
    """``path`` as text that can be printed and stored: a file name's bytes that are not UTF-8
    (kept by Python as lone surrogates, which neither a UTF-8 terminal nor an Arrow string
    takes) written as escapes, ``bad\\xff.pcap``. Open the file by ``path`` itself."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


__all__ = ["display_name"]
