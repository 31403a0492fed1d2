"""Google QUIC (gQUIC) before IETF QUIC: public headers, cleartext CHLO messages.

Facts used (Chromium's QUIC wire format documents and the QUIC Crypto design document):

- Public header (versions up to Q043): one flags byte -- ``0x01`` version present, ``0x02``
  public reset, ``0x04`` diversification nonce (server only), ``0x08`` 8-byte connection id
  (older encoding: ``0x0C``), ``0x30`` packet number length (1, 2, 4 or 6 bytes), ``0x80``
  unused (must be 0); then the connection id, the 4-byte version (``Q043``, ASCII), the
  packet number, a 12-byte message authentication hash, and frames.
- Q046 uses the IETF invariant long header (form and fixed bits set, version) followed by one
  byte of connection id lengths (high nibble: destination, low nibble: source, each 0 or the
  length minus 3), the ids, a 1-4 byte packet number (low 2 bits of the first byte), then
  the 12-byte hash and frames like Q043.
- A STREAM frame's type byte is ``1fdooossB``: ``0x80`` stream, ``0x40`` fin, ``0x20`` data
  length present, ``0x1C`` offset length (0, 2, 3, ... 8 bytes), ``0x03`` stream id length
  (1-4 bytes); fields are big-endian (Q039 and later). The handshake runs on stream 1.
- A handshake message (CHLO) is: tag (4 ASCII bytes), u16 LE number of entries, u16 LE
  padding, then per entry a tag and a u32 LE end offset (increasing), then the values.
  Tags read here: ``SNI\\0`` (server name) and ``UAID`` (user agent).
- Q050 moved the handshake into CRYPTO frames (type ``0x08``, offset and length as QUIC
  varints) inside IETF-style Initial packets protected like RFC 9001 with its own salt.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from wirelens.wire.buffer import Buffer
from wirelens.wire.errors import BadValue, LimitExceeded, Truncated

__all__ = [
    "CHLO_MAX_ENTRIES",
    "Chlo",
    "gquic_public_version",
    "parse_chlo",
    "stream_frames",
]

CHLO_MAX_ENTRIES = 128
"""Tag/value entries in one handshake message (Chromium's limit, ``kMaxEntries``, is 128)."""

HASH_LEN = 12
"""Message authentication hash between the packet number and the frames (null encryption)."""

_PN_LENGTHS = (1, 2, 4, 6)
"""Public header packet number lengths by the 0x30 flag bits."""


def is_gquic_version(v: bytes) -> bool:
    """``Q0dd``: a gQUIC version tag (4 ASCII bytes)."""
    return len(v) == 4 and v[0] == 0x51 and v[1] == 0x30 and 0x30 <= v[2] <= 0x39 and 0x30 <= v[3] <= 0x39


def gquic_public_version(payload: bytes) -> tuple[bytes, int] | None:
    """(version tag, offset after it) of a client public header carrying a version, or None.

    Cheap and strict: the flags must say "version present" and "8-byte connection id"
    (either encoding), no public reset, no multipath or unused bit, and the 4 bytes after
    the id must be a ``Q0dd`` tag.
    """
    if len(payload) < 14:
        return None
    flags = payload[0]
    if flags & 0xC2 or not flags & 0x01 or flags & 0x0C not in (0x08, 0x0C):
        return None
    if flags & 0x04 and flags & 0x0C == 0x08:
        return None  # diversification nonce: server only, never with a version
    tag = bytes(payload[9:13])
    if not is_gquic_version(tag):
        return None
    return tag, 13


def public_header_frames_at(payload: bytes) -> int:
    """Offset of the first frame of a client public-header packet (after PN and hash)."""
    flags = payload[0]
    pn_len = _PN_LENGTHS[(flags >> 4) & 0x03]
    return 13 + pn_len + HASH_LEN


def q046_frames_at(payload: bytes) -> tuple[bytes, int]:
    """(destination connection id, offset of the first frame) of a Q046 long header packet."""
    buf = Buffer(payload)
    first = buf.pull_u8()
    buf.skip(4)
    lens = buf.pull_u8()
    dcil = (lens >> 4) + 3 if lens >> 4 else 0
    scil = (lens & 0x0F) + 3 if lens & 0x0F else 0
    dcid = buf.pull_bytes(dcil)
    buf.skip(scil)
    buf.skip((first & 0x03) + 1)
    buf.skip(HASH_LEN)
    return dcid, buf.tell()


def stream_frames(payload: bytes, pos: int) -> list[tuple[int, int, bytes]]:
    """(stream id, offset, data) of the gQUIC STREAM frames at ``pos``; stops at PADDING
    (type 0: the rest is padding) and at any other frame type (not needed here)."""
    buf = Buffer(payload, pos)
    out = []
    while not buf.eof():
        ftype = buf.pull_u8()
        if not ftype & 0x80:
            break
        sid = int.from_bytes(buf.pull_bytes((ftype & 0x03) + 1), "big")
        olen = (ftype >> 2) & 0x07
        offset = int.from_bytes(buf.pull_bytes(olen + 1), "big") if olen else 0
        if ftype & 0x20:
            length = buf.pull_u16()
            data = buf.pull_bytes(length)
        else:
            data = buf.pull_rest()
        out.append((sid, offset, data))
    return out


@dataclass(slots=True)
class Chlo:
    """A gQUIC client hello (QUIC Crypto handshake message ``CHLO``)."""

    tags: tuple[str, ...]
    """Tags of the message, in order (e.g. ``PAD``, ``SNI``, ``VER``, ``UAID``)."""
    server_name: str | None
    """Value of the ``SNI`` tag."""
    user_agent: str | None
    """Value of the ``UAID`` tag."""


def chlo_length(data: bytes) -> int | None:
    """Total length of the handshake message at the start of ``data`` once its header and
    entry table are there, else None."""
    if len(data) < 8:
        return None
    n = data[4] | (data[5] << 8)
    if n > CHLO_MAX_ENTRIES:
        raise LimitExceeded(f"CHLO with {n} entries")
    table_end = 8 + 8 * n
    if len(data) < table_end:
        return None
    last = int(struct.unpack_from("<I", data, table_end - 4)[0]) if n else 0
    return table_end + last


def parse_chlo(data: bytes) -> Chlo:
    """Parse one whole handshake message; its tag must be ``CHLO``."""
    buf = Buffer(data)
    tag = buf.pull_bytes(4)
    if tag != b"CHLO":
        raise BadValue(f"gQUIC handshake message {tag!r} is not a CHLO")
    n = buf.pull_u16_le()
    if n > CHLO_MAX_ENTRIES:
        raise LimitExceeded(f"CHLO with {n} entries")
    buf.skip(2)
    entries = []
    prev = 0
    for _ in range(n):
        etag = buf.pull_bytes(4)
        end = buf.pull_u32_le()
        if end < prev:
            raise BadValue("CHLO end offsets are not increasing", buf.tell())
        entries.append((etag, prev, end))
        prev = end
    values_at = buf.tell()
    if values_at + prev > len(data):
        raise Truncated("CHLO values run past the message", values_at)
    names = []
    sni = uaid = None
    for etag, start, end in entries:
        name = etag.rstrip(b"\x00").decode("ascii", "backslashreplace")
        names.append(name)
        value = data[values_at + start : values_at + end]
        if etag == b"SNI\x00":
            sni = value.decode("ascii", "backslashreplace")
        elif etag == b"UAID":
            uaid = value.decode("utf-8", "backslashreplace")
    return Chlo(tags=tuple(names), server_name=sni, user_agent=uaid)
