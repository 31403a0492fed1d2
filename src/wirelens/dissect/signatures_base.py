"""The shared base of the content-signature dissectors (identification only).

A signature dissector names a flow's service from the first payload of one direction and
wants nothing more: :meth:`SignatureDissector.feed` returns no events and sets ``done``.
The whole value is in :meth:`~wirelens.dissect.base.Dissector.matches`, which runs on the
first payloads of every flow no other dissector claimed, so each test is STRICT: magic
values, version fields, reserved bits that must be zero, and length fields that must equal
the payload's length. Each subclass documents the spec facts it checks.

Small byte helpers live here so that every ``matches`` stays a few comparisons and can never
raise (every read is bounds-checked by the caller first, or by these helpers).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import ClassVar

from wirelens.dissect.base import IPPROTO_TCP, IPPROTO_UDP, Dissector, Event

__all__ = [
    "MAX_MESSAGES",
    "MAX_SCAN",
    "STARTTLS_WATCH_BYTES",
    "TCP_AND_UDP",
    "TCP_ONLY",
    "UDP_ONLY",
    "SignatureDissector",
    "StartTlsWatch",
    "be16",
    "be32",
    "fills",
    "host_name",
    "is_ascii_text",
    "is_printable",
    "json_object",
    "le16",
    "le32",
]

MAX_SCAN = 512
"""Bytes of a payload a text signature may scan (a header line, a few header fields).

Reason: ``matches`` runs on every unidentified flow; scanning stays bounded whatever the
payload size (a 64 KiB jumbo datagram costs the same as a 512-byte one)."""


TCP_ONLY = frozenset((IPPROTO_TCP,))
UDP_ONLY = frozenset((IPPROTO_UDP,))
TCP_AND_UDP = frozenset((IPPROTO_TCP, IPPROTO_UDP))
"""``transports`` of the signatures (shared: every module used to spell them)."""


def le16(data: bytes, pos: int) -> int:
    """Little-endian u16 at ``pos`` (caller checked ``pos + 2 <= len(data)``)."""
    return data[pos] | (data[pos + 1] << 8)


def be16(data: bytes, pos: int) -> int:
    """Big-endian u16 at ``pos`` (caller checked ``pos + 2 <= len(data)``)."""
    return (data[pos] << 8) | data[pos + 1]


def be32(data: bytes, pos: int) -> int:
    """Big-endian u32 at ``pos`` (caller checked ``pos + 4 <= len(data)``)."""
    return int.from_bytes(data[pos : pos + 4], "big")


def le32(data: bytes, pos: int) -> int:
    """Little-endian u32 at ``pos`` (caller checked ``pos + 4 <= len(data)``)."""
    return int.from_bytes(data[pos : pos + 4], "little")


MAX_MESSAGES = 16
"""Messages walked in one segment or datagram. Reason: bounds ``matches``."""


def fills(payload: bytes, step: Callable[[bytes, int], int], pos: int = 0,
          limit: int = MAX_MESSAGES) -> bool:
    """Whether whole messages, read one after the other by ``step`` (the position after the
    message at ``pos``, or -1 when there is none), fill ``payload`` exactly from ``pos``, at
    most ``limit`` of them."""
    n = len(payload)
    for _ in range(limit):
        pos = step(payload, pos)
        if pos < 0:
            return False
        if pos == n:
            return True
    return False


def varint(data: bytes, pos: int, max_bytes: int) -> tuple[int, int]:
    """The unsigned LEB128 varint (protobuf, Thrift compact) of at most ``max_bytes`` bytes
    at ``pos``: (value, position after it), or (-1, -1) when it runs past the data or is
    longer."""
    value = 0
    for i in range(max_bytes):
        if pos + i >= len(data):
            return -1, -1
        byte = data[pos + i]
        value |= (byte & 0x7F) << (7 * i)
        if byte < 0x80:
            return value, pos + i + 1
    return -1, -1


_PRINTABLE = frozenset(range(0x20, 0x7F)) | {0x09}


def is_printable(data: bytes) -> bool:
    """True when every byte is printable ASCII (space to tilde) or a tab."""
    return all(b in _PRINTABLE for b in data)


def is_ascii_text(data: bytes) -> bool:
    """True when every byte is printable ASCII (space to tilde; no tab)."""
    return all(0x20 <= b < 0x7F for b in data)


def host_name(raw: bytes) -> str | None:
    """``raw`` as a server name (a host name or address a request names), lower-cased: 1-255
    printable ASCII bytes without spaces or tabs; None otherwise."""
    if not 0 < len(raw) <= 255 or any(b <= 0x20 or b >= 0x7F for b in raw):
        return None
    return raw.decode("ascii").lower()


def json_object(text: bytes) -> dict[str, object] | None:
    """``text`` parsed as one JSON object, or None (bad UTF-8, bad JSON, not an object). The
    caller bounds ``text``'s length."""
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


class SignatureDissector(Dissector):
    """Identification only: the first fed bytes end the dissector's interest.

    Subclasses set ``name``, ``transports``, ``ports`` and implement ``matches``.
    """

    name_source: ClassVar[str | None] = None

    def feed(self, data: bytes, from_orig: bool, ts_ns: int) -> list[Event]:
        """Nothing is parsed: the flow is named by ``matches``; ``done`` right away."""
        self.done = True
        return []


STARTTLS_WATCH_BYTES = 16 * 1024
"""Server bytes a :class:`StartTlsWatch` reads for its TLS go-ahead before it gives up.
Reason: the negotiation happens in a session's first exchanges; a session that did not
upgrade by then is left alone."""


class StartTlsWatch(SignatureDissector):
    """For a signature whose protocol can switch to TLS in the middle (XMPP, IRC): after
    the flow is named, the server's bytes are watched for its go-ahead (``_proceeds``, over
    the bytes seen so far with a short tail of the previous segment); then the dissector is
    ``done`` with ``upgrade = "tls"``, and the DPI stage hands the rest of the flow (the
    client's ClientHello) to the TLS dissector. Without a go-ahead within
    :data:`STARTTLS_WATCH_BYTES` server bytes it is done."""

    def __init__(self, proto: int) -> None:
        super().__init__(proto)
        self._tail = b""
        self._watched = 0

    @classmethod
    def _proceeds(cls, data: bytes) -> bool:
        """Whether the server's bytes hold its go-ahead for TLS."""
        raise NotImplementedError

    def _watch(self, data: bytes, from_orig: bool) -> None:
        if from_orig or self.done:
            return
        seen = self._tail + data
        if self._proceeds(seen):
            self.upgrade = "tls"
            self.done = True
            return
        self._tail = seen[-64:]
        self._watched += len(data)
        if self._watched >= STARTTLS_WATCH_BYTES:
            self.done = True
