"""Expanding command-line inputs: directories become every capture file below them."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path

from wirelens.capture._io import (
    DECOMPRESS_ERRORS,
    CountingReader,
    compression_of,
    decompressor,
    format_of,
    read_head,
)


class ExpandedInputs(list[str]):
    """The inputs to read (a plain ``list[str]``) plus ``skipped``: the files found under
    directories that are not captures by their magic bytes, and ``repeated``: inputs left
    out as the same file as one listed before (a symbolic or hard link, a file named twice),
    each with that one (for the caller to mention)."""

    skipped: list[str]
    repeated: list[tuple[str, str]]

    def __init__(self, items: Iterable[str] = (), skipped: Iterable[str] = ()) -> None:
        super().__init__(items)
        self.skipped = list(skipped)
        self.repeated = []
        self._seen: dict[tuple[int, int], str] = {}

    def append(self, name: str) -> None:
        """Add ``name``, unless it is the same file as one added before (then it is noted in
        ``repeated``): a file read twice would count its packets and flows twice."""
        try:
            st = os.stat(name) if name != "-" else None
        except OSError:  # (opening it will say why)
            st = None
        if st is not None:
            first = self._seen.get((st.st_dev, st.st_ino))
            if first is not None:
                self.repeated.append((name, first))
                return
            self._seen[(st.st_dev, st.st_ino)] = name
        super().append(name)


_CAPTURE_NAME = re.compile(r"\.(pcap|pcapng|cap|dmp)(\.(gz|zst|xz|bz2))?$", re.IGNORECASE)


def named_as_capture(path: str | Path) -> bool:
    """Whether the file's name says capture (``.pcap``, ``.pcapng``, ``.cap``, ``.dmp``,
    compressed or not): one that :func:`is_capture_file` refuses is a damaged capture, not
    some other file."""
    return _CAPTURE_NAME.search(os.path.basename(path)) is not None


def is_capture_file(path: str | Path) -> bool:
    """Whether ``path`` starts with pcap/pcapng magic, directly or inside gzip, zstd, xz or
    bzip2 compression (only the first bytes are read)."""
    try:
        with open(path, "rb") as f:
            head = read_head(f, 6)
            comp = compression_of(head)
            if comp is None:
                return format_of(head) is not None
            stream = decompressor(comp, CountingReader(f, head))
            try:
                inner = read_head(stream, 4)
            finally:
                try:
                    stream.close()
                except DECOMPRESS_ERRORS:
                    pass
            return format_of(inner) is not None
    except DECOMPRESS_ERRORS:
        return False


_DIGITS = re.compile(r"(\d+)")


def natural_key(path: str) -> tuple[tuple[tuple[int, int | str], ...], str]:
    """Sort key of a path with its runs of digits compared as numbers (``cap2`` before
    ``cap10``, as tcpdump ``-C`` names its rotated files): the files of a directory are then
    read in the order they were written. Paths equal as numbers (``a01``, ``a1``) keep their
    text order."""
    return tuple((1, int(part)) if part.isdigit() else (0, part)
                 for part in _DIGITS.split(path) if part), path


def expand_inputs(paths: Iterable[str | Path], skipped: list[str] | None = None) -> ExpandedInputs:
    """Expand ``paths`` in order: a directory becomes every capture file below it (recursive,
    in natural order of their paths, :func:`natural_key`; files that are not captures by
    magic are left out and listed in the result's ``skipped`` and, if given, appended to
    ``skipped``); a file or ``-`` (stdin) is kept as given, even if it does not exist (opening
    it will say why)."""
    out = ExpandedInputs()
    for p in paths:
        name = str(p)
        if name != "-" and os.path.isdir(name):
            found: list[str] = []
            for root, dirs, files in os.walk(name):
                dirs.sort()
                found.extend(os.path.join(root, f) for f in files)
            for f in sorted(found, key=natural_key):
                if os.path.isfile(f) and is_capture_file(f):
                    out.append(f)
                else:
                    out.skipped.append(f)
                    if skipped is not None:
                        skipped.append(f)
        else:
            out.append(name)
    return out
