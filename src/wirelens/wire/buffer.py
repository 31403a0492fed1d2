"""A bounds-checked read cursor over bytes (the one cursor every dissector uses).

Every read checks the bytes are there and raises :class:`~wirelens.wire.errors.Truncated`
otherwise. Length-prefixed structures are read inside :meth:`Buffer.pull_block`, which
narrows the readable window to the block and checks on exit that the block was used up
exactly (:class:`~wirelens.wire.errors.TrailingJunk` otherwise).
"""

from __future__ import annotations

import struct

from wirelens.wire.errors import BadPointer, BadValue, TrailingJunk, Truncated

__all__ = ["Buffer"]

_U16 = struct.Struct(">H")
_U32 = struct.Struct(">I")
_U64 = struct.Struct(">Q")
_U16LE = struct.Struct("<H")
_U32LE = struct.Struct("<I")
_U64LE = struct.Struct("<Q")

_VARINT_MAX = (1 << 62) - 1


class Buffer:
    """A read cursor over ``data`` starting at ``pos``.

    The readable window is ``[0, end)``; ``end`` is the end of the data, or of the innermost
    :meth:`pull_block` being read. Big-endian (network order) unless the name ends in ``_le``.
    The buffer holds a memoryview of ``data``: a ``bytearray`` cannot be resized while a
    Buffer over it is alive (pass ``bytes`` when the source keeps growing).
    """

    __slots__ = ("_data", "_end", "_pos")

    def __init__(self, data: bytes | bytearray | memoryview, pos: int = 0) -> None:
        view = memoryview(data)
        if view.format != "B" or view.ndim != 1:
            view = view.cast("B")
        self._data = view
        self._end = len(view)
        if not 0 <= pos <= self._end:
            raise BadPointer(f"start position {pos} outside 0..{self._end}")
        self._pos = pos

    # -- position -----------------------------------------------------------------------------

    def tell(self) -> int:
        """The current position (offset from the start of the data)."""
        return self._pos

    def seek(self, pos: int) -> None:
        """Move to ``pos``; it must lie within the current window ``[0, end]``."""
        if not 0 <= pos <= self._end:
            raise BadPointer(f"seek to {pos} outside 0..{self._end}", self._pos)
        self._pos = pos

    @property
    def end(self) -> int:
        """End of the readable window (data end, or the end of the current block)."""
        return self._end

    @property
    def remaining(self) -> int:
        """Bytes left to read in the current window."""
        return self._end - self._pos

    def eof(self) -> bool:
        """True when nothing is left to read in the current window."""
        return self._pos >= self._end

    @property
    def data(self) -> memoryview:
        """The whole underlying data (read-only view)."""
        return self._data

    # -- raw reads ----------------------------------------------------------------------------

    def _need(self, n: int) -> int:
        pos = self._pos
        if n < 0:
            raise BadValue(f"negative length {n}", pos)
        if pos + n > self._end:
            raise Truncated(f"need {n} bytes, {self._end - pos} left", pos)
        return pos

    def peek(self, n: int = 1) -> bytes:
        """The next ``n`` bytes, without moving."""
        pos = self._need(n)
        return bytes(self._data[pos : pos + n])

    def peek_u8(self) -> int:
        """The next byte as an integer, without moving."""
        pos = self._need(1)
        return self._data[pos]

    def skip(self, n: int) -> None:
        """Move ``n`` bytes forward."""
        self._pos = self._need(n) + n

    def pull_bytes(self, n: int) -> bytes:
        """Read ``n`` bytes (a copy)."""
        pos = self._pos
        end = pos + n
        if n < 0 or end > self._end:
            self._need(n)  # raises
        self._pos = end
        return self._data[pos:end].tobytes()

    def pull_rest(self) -> bytes:
        """Read everything left in the current window."""
        return self.pull_bytes(self._end - self._pos)

    # -- integers -----------------------------------------------------------------------------

    def pull_u8(self) -> int:
        """Read an unsigned 8-bit integer."""
        pos = self._pos
        if pos >= self._end:
            self._need(1)  # raises
        self._pos = pos + 1
        return self._data[pos]

    def pull_u16(self) -> int:
        """Read a big-endian unsigned 16-bit integer."""
        pos = self._pos
        if pos + 2 > self._end:
            self._need(2)  # raises
        self._pos = pos + 2
        d = self._data
        return (d[pos] << 8) | d[pos + 1]

    def pull_u24(self) -> int:
        """Read a big-endian unsigned 24-bit integer (TLS handshake lengths, RFC 8446 §4)."""
        pos = self._need(3)
        self._pos = pos + 3
        d = self._data
        return (d[pos] << 16) | (d[pos + 1] << 8) | d[pos + 2]

    def pull_u32(self) -> int:
        """Read a big-endian unsigned 32-bit integer."""
        pos = self._pos
        if pos + 4 > self._end:
            self._need(4)  # raises
        self._pos = pos + 4
        v: int = _U32.unpack_from(self._data, pos)[0]
        return v

    def pull_u64(self) -> int:
        """Read a big-endian unsigned 64-bit integer."""
        pos = self._need(8)
        self._pos = pos + 8
        v: int = _U64.unpack_from(self._data, pos)[0]
        return v

    def pull_u16_le(self) -> int:
        """Read a little-endian unsigned 16-bit integer."""
        pos = self._need(2)
        self._pos = pos + 2
        v: int = _U16LE.unpack_from(self._data, pos)[0]
        return v

    def pull_u32_le(self) -> int:
        """Read a little-endian unsigned 32-bit integer."""
        pos = self._need(4)
        self._pos = pos + 4
        v: int = _U32LE.unpack_from(self._data, pos)[0]
        return v

    def pull_u64_le(self) -> int:
        """Read a little-endian unsigned 64-bit integer."""
        pos = self._need(8)
        self._pos = pos + 8
        v: int = _U64LE.unpack_from(self._data, pos)[0]
        return v

    def pull_uint(self, size: int) -> int:
        """Read a big-endian unsigned integer of ``size`` bytes (1, 2, 3, 4 or 8)."""
        if size == 1:
            return self.pull_u8()
        if size == 2:
            return self.pull_u16()
        if size == 3:
            return self.pull_u24()
        if size == 4:
            return self.pull_u32()
        if size == 8:
            return self.pull_u64()
        raise BadValue(f"unsupported integer size {size}", self._pos)

    def pull_varint(self) -> int:
        """Read a QUIC variable-length integer (RFC 9000 §16).

        The two high bits of the first byte give the length (1, 2, 4 or 8 bytes); the rest
        is the value in network order.
        """
        first = self.peek_u8()
        size = 1 << (first >> 6)
        pos = self._need(size)
        self._pos = pos + size
        value = first & 0x3F
        d = self._data
        for i in range(1, size):
            value = (value << 8) | d[pos + i]
        return value

    # -- blocks -------------------------------------------------------------------------------

    def pull_block(self, length_size: int) -> _Block:
        """Read a ``length_size``-byte length prefix and narrow the window to that block.

        Use as ``with buf.pull_block(2) as length:``; the prefix is read when the ``with``
        is entered. Reads inside the ``with`` cannot go past the block (they raise
        :class:`Truncated`); on a normal exit the block must be used up exactly, else
        :class:`TrailingJunk`. A length going past the data raises :class:`Truncated` before
        the body runs. Blocks nest.
        """
        return _Block(self, length_size)


class _Block:
    """The context manager of :meth:`Buffer.pull_block` (a plain class: no generator frame
    per block, which matters when a hello has a hundred vectors)."""

    __slots__ = ("_buf", "_end", "_outer_end", "_size", "_start")

    def __init__(self, buf: Buffer, length_size: int) -> None:
        self._buf = buf
        self._size = length_size

    def __enter__(self) -> int:
        buf = self._buf
        size = self._size
        pos = buf._pos
        outer_end = buf._end
        if size == 1:
            if pos + 1 > outer_end:
                buf._need(1)
            length = buf._data[pos]
        elif size == 2:
            if pos + 2 > outer_end:
                buf._need(2)
            d = buf._data
            length = (d[pos] << 8) | d[pos + 1]
        else:
            length = buf.pull_uint(size)
            pos = buf._pos - size
        start = pos + size
        buf._pos = start
        block_end = start + length
        if block_end > outer_end:
            raise Truncated(f"block of {length} bytes, {outer_end - start} left", pos)
        self._start = start
        self._end = block_end
        self._outer_end = outer_end
        buf._end = block_end
        return length

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        buf = self._buf
        buf._end = self._outer_end
        if exc_type is None and buf._pos != self._end:
            raise TrailingJunk(
                f"block of {self._end - self._start} bytes used {buf._pos - self._start}",
                buf._pos,
            )


def encode_varint(value: int) -> bytes:
    """Encode ``value`` as a QUIC variable-length integer, shortest form (RFC 9000 §16)."""
    if value < 0 or value > _VARINT_MAX:
        raise BadValue(f"varint out of range: {value}")
    if value < 1 << 6:
        return bytes([value])
    if value < 1 << 14:
        return _U16.pack(value | 0x4000)
    if value < 1 << 30:
        return _U32.pack(value | 0x8000_0000)
    return _U64.pack(value | 0xC000_0000_0000_0000)
