"""Naive references of the dissectors' hot helpers (the versions before the speed-up).

Kept verbatim in spirit: one ``find`` per line end, ``partition`` per header line, one
``_label_text`` per DNS label. The fast versions in :mod:`wirelens.dissect` must agree.
"""

from __future__ import annotations

import re

_TOKEN = rb"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
_HEADER_NAME = re.compile(_TOKEN + rb"\Z")


def head_end(buf: bytes | bytearray, start: int) -> tuple[int, int]:
    """(end of head, start of body) of the first empty line after ``start``, or (-1, -1)."""
    i = buf.find(b"\n", start)
    while i >= 0:
        if buf.startswith(b"\r\n", i + 1):
            return i, i + 3
        if buf.startswith(b"\n", i + 1):
            return i, i + 2
        i = buf.find(b"\n", i + 1)
    return -1, -1


def parse_head(head: bytes) -> tuple[bytes, dict[bytes, str]]:
    """Start line and headers (lowercase names, first value wins except Content-Length and
    Transfer-Encoding, joined), obs-fold lines continuing the last value (RFC 9112 §5.2)."""
    lines = head.split(b"\n")
    start = lines[0].rstrip(b"\r")
    headers: dict[bytes, str] = {}
    last: bytes | None = None
    for raw in lines[1:]:
        line = raw.rstrip(b"\r")
        if line[:1] in (b" ", b"\t"):
            if last is not None:
                headers[last] += " " + line.strip().decode("latin-1")
            continue
        name, colon, value = line.partition(b":")
        if not colon or not _HEADER_NAME.match(name):
            last = None
            continue
        key = name.lower()
        text = value.strip().decode("latin-1")
        if key in headers:
            if key in (b"content-length", b"transfer-encoding"):
                headers[key] += "," + text
            last = None
            continue
        headers[key] = text
        last = key
    return start, headers


_PLAIN = frozenset(
    b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_*/+=~!#$%&'(),:;<>?@[]^`{|}\""
)


def dns_name_text(labels: list[bytes]) -> str:
    """Labels as text, bytes outside the plain set escaped ``\\DDD`` (RFC 4343 §2.1)."""
    if not labels:
        return "."
    return ".".join(
        "".join(chr(b) if b in _PLAIN else f"\\{b:03d}" for b in label) for label in labels
    )
