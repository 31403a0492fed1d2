"""The one exception family of the wire cursor and of every dissector.

A dissector may raise only :class:`ParseError` (or a subclass); anything else escaping one is
a bug, and the fuzz tests say so. The pipeline turns a ``ParseError`` into a weird
(``dissector_error``) and switches the dissector off for that flow.
"""

from __future__ import annotations

from wirelens.core.errors import WirelensError

__all__ = [
    "BadPointer",
    "BadValue",
    "LimitExceeded",
    "ParseError",
    "TrailingJunk",
    "Truncated",
    "detached",
]


class ParseError(WirelensError, ValueError):
    """Bytes that cannot be what they claim to be.

    ``offset`` is the position in the parsed buffer where the problem was found, when known.
    """

    def __init__(self, message: str, offset: int | None = None) -> None:
        super().__init__(message if offset is None else f"{message} (at byte {offset})")
        self.offset = offset


class Truncated(ParseError):
    """A read or a length prefix goes past the end of the data (or of the enclosing block)."""


class TrailingJunk(ParseError):
    """A length-prefixed block (or a whole message) was not used up exactly."""


class BadPointer(ParseError):
    """A pointer or seek target is out of range or not strictly backwards (DNS compression)."""


class BadValue(ParseError):
    """A field holds a value the protocol does not allow (bad version, bad token, ...)."""


class LimitExceeded(ParseError):
    """A named limit was exceeded (labels, records, buffered bytes, ...)."""


def detached(error: ParseError) -> ParseError:
    """``error``, caught, made fit to be kept as data (a message's damage, a
    :class:`~wirelens.dissect.base.Problem`): its type and message stay, its traceback and
    chained errors go. A kept traceback holds the frames the error passed through and, by
    their callers, the DPI stage's with the batch's bytes; a caller's local holding the error
    closes a reference cycle, which the run's seldom cyclic collections
    (``limits.GC_THRESHOLD``) left standing: a 2 MiB batch per damaged message (quarter.pcap's
    peak memory had grown by 80 MB)."""
    error.__traceback__ = error.__context__ = error.__cause__ = None
    return error
