"""The bounds-checked wire cursor and the ParseError family (no numpy here, by contract)."""

from wirelens.wire.buffer import Buffer, encode_varint
from wirelens.wire.errors import (
    BadPointer,
    BadValue,
    LimitExceeded,
    ParseError,
    TrailingJunk,
    Truncated,
)

__all__ = [
    "BadPointer",
    "BadValue",
    "Buffer",
    "LimitExceeded",
    "ParseError",
    "TrailingJunk",
    "Truncated",
    "encode_varint",
]
