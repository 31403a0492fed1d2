"""WebSocket handshakes (RFC 6455 §4): the ``websocket`` table (Zeek ``websocket.log``).

The HTTP dissector writes one row when a server accepts an upgrade to ``websocket`` with
``101``; the frames that follow are not read.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from wirelens.dissect.base import Event

__all__ = ["WebsocketRecord", "websocket_record"]


@dataclass(slots=True)
class WebsocketRecord(Event):
    """A WebSocket handshake: an upgrade request the server accepted (101, §4.2.2)."""

    table: ClassVar[str | None] = "websocket"

    host: str | None
    """Host header of the upgrade request."""
    uri: str | None
    """Request target of the upgrade request."""
    user_agent: str | None
    """User-Agent of the upgrade request."""
    subprotocol: str | None
    """Subprotocol the server chose (its Sec-WebSocket-Protocol, §4.2.2)."""
    client_protocols: tuple[str, ...]
    """Subprotocols the client offered (Sec-WebSocket-Protocol, §4.1), in order."""
    server_extensions: tuple[str, ...]
    """Extensions the server accepted (Sec-WebSocket-Extensions, §9.1)."""
    client_extensions: tuple[str, ...]
    """Extensions the client offered."""


def _tokens(value: str | None) -> tuple[str, ...]:
    """A comma-separated header value as its items (RFC 9110 §5.6.1), spaces trimmed."""
    return tuple(item.strip() for item in (value or "").split(",") if item.strip())


def websocket_record(ts_ns: int, request: dict[bytes, str], uri: bytes | None,
                     response: dict[bytes, str]) -> WebsocketRecord:
    """The row of a handshake from the upgrade request's headers (lower-case names) and
    target, and the 101's headers."""
    return WebsocketRecord(
        ts_ns=ts_ns,
        host=request.get(b"host"),
        uri=uri.decode("latin-1") if uri is not None else None,
        user_agent=request.get(b"user-agent"),
        subprotocol=response.get(b"sec-websocket-protocol"),
        client_protocols=_tokens(request.get(b"sec-websocket-protocol")),
        server_extensions=_tokens(response.get(b"sec-websocket-extensions")),
        client_extensions=_tokens(request.get(b"sec-websocket-extensions")),
    )
