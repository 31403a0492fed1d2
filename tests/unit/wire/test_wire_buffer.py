"""Tests of the bounds-checked cursor :class:`wirelens.wire.buffer.Buffer`."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wirelens.core.errors import WirelensError
from wirelens.wire import (
    BadPointer,
    BadValue,
    Buffer,
    ParseError,
    TrailingJunk,
    Truncated,
    encode_varint,
)


def test_integers_big_and_little_endian() -> None:
    data = bytes(range(1, 30))
    buf = Buffer(data)
    assert buf.pull_u8() == 1
    assert buf.pull_u16() == 0x0203
    assert buf.pull_u24() == 0x040506
    assert buf.pull_u32() == 0x0708090A
    assert buf.pull_u64() == struct.unpack(">Q", data[10:18])[0]
    assert buf.pull_u16_le() == struct.unpack("<H", data[18:20])[0]
    assert buf.pull_u32_le() == struct.unpack("<I", data[20:24])[0]
    assert buf.tell() == 24
    assert buf.remaining == 5
    assert buf.pull_bytes(5) == data[24:]
    assert buf.eof()
    with pytest.raises(Truncated):
        buf.pull_u8()


def test_u64_le_and_pull_uint() -> None:
    buf = Buffer(struct.pack("<Q", 0x0102030405060708) + b"\x00\x01\x02")
    assert buf.pull_u64_le() == 0x0102030405060708
    assert buf.pull_uint(3) == 0x000102
    with pytest.raises(BadValue):
        Buffer(b"\x00" * 8).pull_uint(5)


def test_reads_past_end_raise_truncated_and_do_not_move() -> None:
    buf = Buffer(b"\x01\x02\x03")
    buf.skip(2)
    for read in (buf.pull_u16, buf.pull_u32, buf.pull_u64, buf.pull_u24, lambda: buf.skip(2)):
        with pytest.raises(Truncated):
            read()
        assert buf.tell() == 2
    with pytest.raises(Truncated):
        buf.pull_bytes(2)
    with pytest.raises(BadValue):
        buf.pull_bytes(-1)
    assert buf.peek(1) == b"\x03" and buf.tell() == 2


def test_seek_tell_and_bad_positions() -> None:
    buf = Buffer(memoryview(b"abcdef"), pos=2)
    assert buf.pull_bytes(1) == b"c"
    buf.seek(0)
    assert buf.pull_rest() == b"abcdef"
    buf.seek(6)  # the end itself is a valid position
    with pytest.raises(BadPointer):
        buf.seek(7)
    with pytest.raises(BadPointer):
        buf.seek(-1)
    with pytest.raises(BadPointer):
        Buffer(b"ab", pos=3)


# RFC 9000 §A.1 sample encodings
VARINTS = [
    ("c2197c5eff14e88c", 151_288_809_941_952_652),
    ("9d7f3e7d", 494_878_333),
    ("7bbd", 15_293),
    ("25", 37),
    ("4025", 37),  # non-minimal two-byte encoding of 37
]


@pytest.mark.parametrize(("hexdata", "value"), VARINTS)
def test_varint_rfc9000_examples(hexdata: str, value: int) -> None:
    buf = Buffer(bytes.fromhex(hexdata))
    assert buf.pull_varint() == value
    assert buf.eof()


def test_varint_truncated_and_encode() -> None:
    with pytest.raises(Truncated):
        Buffer(bytes.fromhex("c2197c")).pull_varint()
    with pytest.raises(Truncated):
        Buffer(b"").pull_varint()
    assert encode_varint(15_293) == bytes.fromhex("7bbd")
    with pytest.raises(BadValue):
        encode_varint(1 << 62)


@given(st.integers(min_value=0, max_value=(1 << 62) - 1))
def test_varint_roundtrip(value: int) -> None:
    buf = Buffer(encode_varint(value) + b"\xff")
    assert buf.pull_varint() == value
    assert buf.remaining == 1


def test_pull_block_exact_nested() -> None:
    data = b"\x00\x05" + b"\x02ab" + b"\x01c" + b"z"
    buf = Buffer(data)
    with buf.pull_block(2) as length:
        assert length == 5
        with buf.pull_block(1) as n:
            assert buf.pull_bytes(n) == b"ab"
        with buf.pull_block(1) as n:
            assert buf.remaining == 1
            assert buf.pull_bytes(n) == b"c"
        assert buf.eof()  # the window is the block
    assert buf.pull_bytes(1) == b"z"


def test_pull_block_trailing_junk() -> None:
    buf = Buffer(b"\x03abc")
    with pytest.raises(TrailingJunk), buf.pull_block(1):
        buf.pull_bytes(2)


def test_pull_block_longer_than_data_is_truncated() -> None:
    buf = Buffer(b"\x00\x09abc")
    with pytest.raises(Truncated), buf.pull_block(2):
        pytest.fail("the body must not run")  # pragma: no cover


def test_pull_block_reads_cannot_leave_the_block() -> None:
    buf = Buffer(b"\x02abcdef")
    with pytest.raises(Truncated), buf.pull_block(1):
        buf.pull_bytes(3)
    # the window is restored after an error inside the block
    assert buf.end == 7


def test_parse_error_family() -> None:
    for cls in (Truncated, TrailingJunk, BadPointer, BadValue):
        assert issubclass(cls, ParseError)
    assert issubclass(ParseError, ValueError) and issubclass(ParseError, WirelensError)
    err = Truncated("short", 12)
    assert err.offset == 12 and "12" in str(err)


_OPS = st.lists(
    st.tuples(
        st.sampled_from(
            ["u8", "u16", "u24", "u32", "u64", "u16le", "u32le", "u64le", "varint", "bytes",
             "skip", "peek", "seek", "block1", "block2", "block4"]
        ),
        st.integers(min_value=-2, max_value=300),
    ),
    max_size=30,
)


def _run(buf: Buffer, ops: list[tuple[str, int]], depth: int = 0) -> None:
    simple = {
        "u8": buf.pull_u8, "u16": buf.pull_u16, "u24": buf.pull_u24, "u32": buf.pull_u32,
        "u64": buf.pull_u64, "u16le": buf.pull_u16_le, "u32le": buf.pull_u32_le,
        "u64le": buf.pull_u64_le, "varint": buf.pull_varint,
    }  # fmt: skip
    for i, (op, arg) in enumerate(ops):
        before = buf.tell()
        if op in simple:
            simple[op]()
        elif op == "bytes":
            assert len(buf.pull_bytes(arg)) == arg
        elif op == "skip":
            buf.skip(arg)
        elif op == "peek":
            buf.peek(arg)
            assert buf.tell() == before
        elif op == "seek":
            buf.seek(arg)
        elif depth < 3:
            with buf.pull_block(int(op[-1])):
                _run(buf, ops[i + 1 :], depth + 1)
                buf.seek(buf.end)
            return
        assert 0 <= buf.tell() <= buf.end <= len(buf.data)


@settings(max_examples=300, deadline=250)
@given(st.binary(max_size=200), _OPS)
def test_fuzz_buffer(data: bytes, ops: list[tuple[str, int]]) -> None:
    """Invariant: any sequence of reads either succeeds inside ``[0, end]`` or raises a
    ParseError subclass (never IndexError, struct.error, ...), quickly (< 250 ms)."""
    try:
        _run(Buffer(data), ops)
    except ParseError:
        pass
