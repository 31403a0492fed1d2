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
from wirelens.wire.errors import ParseError

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


def _varints(raw: bytes, wanted: int) -> bytes | None:
    """The RFC 9000 §18 encoding; raises ParseError when malformed."""
    buf = Buffer(raw)
    found = None
    while not buf.eof():
        pid = buf.pull_varint()
        value = buf.pull_bytes(buf.pull_varint())
        if pid == wanted and found is None:
            found = value
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
