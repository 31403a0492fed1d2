"""QUIC transport parameters carried in the TLS ``quic_transport_parameters`` extension.

Two encodings exist:

- RFC 9000 §18 (drafts 28 and later, v1, v2): a sequence of (id varint, length varint,
  value) with no outer length;
- drafts up to 27 (draft-ietf-quic-transport-27 §18): a u16 total length, then (u16 id,
  u16 length, value) entries.

:func:`transport_parameter` finds one parameter in either form. Lookups never raise: a
parameter blob that is malformed gives ``None`` (the rest of the hello is still good).
"""

from __future__ import annotations

from wirelens.wire.buffer import Buffer
from wirelens.wire.errors import ParseError, Truncated

__all__ = ["GOOGLE_USER_AGENT", "transport_parameter"]

GOOGLE_USER_AGENT = 0x3129
"""Google's user agent transport parameter (``google_user_agent_id`` in Chromium)."""


def _legacy(raw: bytes, wanted: int) -> bytes | None:
    """The old u16 encoding; raises ParseError when ``raw`` is not in that form."""
    buf = Buffer(raw)
    found = None
    with buf.pull_block(2):
        while not buf.eof():
            pid = buf.pull_u16()
            with buf.pull_block(2) as length:
                value = buf.pull_bytes(length)
            if pid == wanted and found is None:
                found = value
    if not buf.eof():
        raise ParseError("bytes after the transport parameters")
    return found


def _varint_at(raw: bytes, pos: int) -> tuple[int, int]:
    """(value, offset after it) of the QUIC varint at ``pos`` (RFC 9000 §16)."""
    if pos >= len(raw):
        raise Truncated("transport parameter varint missing", pos)
    first = raw[pos]
    size = 1 << (first >> 6)
    end = pos + size
    if end > len(raw):
        raise Truncated(f"transport parameter varint of {size} bytes cut short", pos)
    if size == 1:
        return first, end
    return int.from_bytes(raw[pos:end], "big") & ((1 << (8 * size - 2)) - 1), end


def _varints(raw: bytes, wanted: int) -> bytes | None:
    """The RFC 9000 §18 encoding; raises ParseError when malformed."""
    found = None
    pos = 0
    end = len(raw)
    while pos < end:
        pid, pos = _varint_at(raw, pos)
        length, pos = _varint_at(raw, pos)
        if pos + length > end:
            raise Truncated(f"transport parameter of {length} bytes, {end - pos} left", pos)
        if pid == wanted and found is None:
            found = bytes(raw[pos : pos + length])
        pos += length
    return found


def transport_parameter(raw: bytes, wanted: int) -> bytes | None:
    """Value of parameter ``wanted`` in a transport parameter blob, or None.

    The legacy form is tried first when the blob starts with a u16 equal to the length of
    the rest (which a varint-encoded list would match only by accident), then RFC 9000's.
    """
    if len(raw) >= 2 and int.from_bytes(raw[:2], "big") == len(raw) - 2:
        try:
            return _legacy(raw, wanted)
        except ParseError:
            pass
    try:
        return _varints(raw, wanted)
    except ParseError:
        return None
