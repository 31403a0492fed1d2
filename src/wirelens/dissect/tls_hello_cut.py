"""Hellos cut short: the first bytes of a ClientHello or ServerHello whose rest was never
seen (a hole in the stream, or a capture's snap length that cut the segments carrying it).

Today's ClientHellos often span two TCP segments (a post-quantum key share alone is 1,216
bytes), so a capture that lost the second one, or keeps only each frame's first bytes, holds
a hello cut short. What it holds whole is still worth a row: the legacy version, the session
id, the cipher suites, and the extensions before the cut (often the server name). The
prefix is read by the ordinary parsers once closed where the last whole extension ends (the
extensions vector's length set to what precedes the cut); the result says ``cut`` and its
``damage`` how much was seen. Nothing is made up: a prefix that ends before the extensions
vector starts (ClientHello: inside the cipher suites or compression methods; ServerHello:
before its compression method) gives no hello, and a cut hello gives no fingerprint
(JA3/JA4 need the whole lists).
"""

from __future__ import annotations

import struct
from dataclasses import replace

from wirelens.dissect.tls_hello import (
    ClientHello,
    ServerHello,
    parse_client_hello,
    parse_server_hello,
)
from wirelens.wire.errors import ParseError

__all__ = ["client_hello_prefix", "cut_hello", "server_hello_prefix"]


def _vector_end(b: bytes, pos: int, length_size: int) -> int:
    """Where a vector starting at ``pos`` ends (-1: its length or its data runs past ``b``)."""
    if pos + length_size > len(b):
        return -1
    end = pos + length_size + int.from_bytes(b[pos:pos + length_size], "big")
    return end if end <= len(b) else -1


def _closed(b: bytes, pos: int) -> bytes:
    """``b`` up to its extensions vector at ``pos`` and the whole extensions after it, the
    vector's length set to theirs (``b`` itself when nothing follows ``pos``)."""
    if pos >= len(b):
        return b
    at = pos + 2
    while at + 4 <= len(b):
        end = at + 4 + int.from_bytes(b[at + 2:at + 4], "big")
        if end > len(b):
            break
        at = end
    return b[:pos] + struct.pack("!H", at - pos - 2) + b[pos + 2:at]


def _start(b: bytes) -> int:
    """Offset after legacy_version, random and session id (-1: cut before their end)."""
    return _vector_end(b, 34, 1) if len(b) >= 35 else -1


def client_hello_prefix(prefix: bytes, length: int) -> ClientHello | None:
    """The first ``len(prefix)`` bytes of a ClientHello body of ``length`` bytes (after its
    handshake header), read as far as they are whole; None when they end before the
    extensions vector or do not parse."""
    pos = _start(prefix)
    for size in (2, 1):  # cipher suites, compression methods
        pos = _vector_end(prefix, pos, size) if pos >= 0 else -1
    if pos < 0 or len(prefix) >= length:
        return None
    try:
        hello = parse_client_hello(_closed(prefix, pos))
    except ParseError:
        return None
    return replace(hello, cut=True,
                   damage=(*hello.damage, f"hello cut short: {len(prefix)} of {length} bytes seen"))


def server_hello_prefix(prefix: bytes, length: int) -> ServerHello | None:
    """The first ``len(prefix)`` bytes of a ServerHello body of ``length`` bytes, read as far
    as they are whole; None when they end before its compression method, do not parse, or
    start a TLS 1.3 draft's ServerHello (another layout)."""
    pos = _start(prefix)
    if pos < 0 or pos + 3 > len(prefix) or len(prefix) >= length:
        return None
    if prefix[:2] == b"\x03\x04" or prefix[0] == 0x7F:  # (a draft's layout)
        return None
    try:
        hello = parse_server_hello(_closed(prefix, pos + 3))
    except ParseError:
        return None
    return replace(hello, cut=True)


def cut_hello(pending: bytes) -> ClientHello | ServerHello | None:
    """The hello whose handshake message starts ``pending`` (a direction's handshake bytes
    never seen whole: type u8, length u24, the body so far), read as far as it is whole; None
    for another message type or too few bytes."""
    if len(pending) < 4:
        return None
    length = int.from_bytes(pending[1:4], "big")
    body = pending[4:4 + length]
    if pending[0] == 1:  # client_hello (RFC 8446 §4)
        return client_hello_prefix(body, length)
    if pending[0] == 2:  # server_hello
        return server_hello_prefix(body, length)
    return None
