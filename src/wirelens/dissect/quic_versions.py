"""QUIC versions, their Initial salts and names, long header packet types, and the cheap
plausibility checks :meth:`wirelens.dissect.quic.QuicDissector.matches` relies on.

Versions (RFC 9000 §15): v1 ``0x00000001``; v2 ``0x6b3343cf`` (RFC 9369, its packet type
bits differ, §3.2); IETF drafts ``0xff0000NN``; Google QUIC ``Q0dd``/``T0dd`` (ASCII);
mvfst ``0xfaceb0NN``; ``0x?a?a?a?a`` reserved to force version negotiation (RFC 9000 §15).
Salt ranges: drafts 23-28, 29-32, then v1's from draft-33 (see :mod:`wirelens.wire.quic_crypto`).
"""

from __future__ import annotations

from enum import IntEnum

from wirelens.dissect.quic_gquic import is_gquic_version
from wirelens.wire.quic_crypto import (
    SALT_DRAFT_23,
    SALT_DRAFT_29,
    SALT_Q050,
    SALT_T050,
    SALT_T051,
    SALT_V1,
    SALT_V2,
)

__all__ = [
    "DRAFT_FIRST",
    "DRAFT_LAST",
    "Q046",
    "Q050",
    "T050",
    "T051",
    "V1",
    "V2",
    "V2_TYPES",
    "PacketType",
    "is_ietf_style",
    "is_q046_style",
    "is_reserved",
    "long_header_plausible",
    "salt_for",
    "version_name",
    "vn_plausible",
]

# -- versions -----------------------------------------------------------------------------------

V1 = 0x00000001
V2 = 0x6B3343CF
DRAFT_FIRST = 0xFF00001B  # draft-27
DRAFT_LAST = 0xFF000022  # draft-34
Q046 = 0x51303436
Q050 = 0x51303530
T050 = 0x54303530
T051 = 0x54303531

_OTHER_NAMES = {
    0xFACEB001: "mvfst-22",
    0xFACEB002: "mvfst-27",
    0xFACEB00E: "mvfst-exp",
    Q046: "Q046",
    Q050: "Q050",
    T050: "T050",
    T051: "T051",
}
"""Versions identified without decryption (mvfst, Facebook's QUIC; no salt proven here)
and the Google ones spelled out."""


def salt_for(version: int) -> bytes | None:
    """The Initial salt of a version (see :mod:`wirelens.wire.quic_crypto`), None when unknown."""
    if version == V1:
        return SALT_V1
    if version == V2:
        return SALT_V2
    if DRAFT_FIRST <= version <= DRAFT_LAST:
        draft = version & 0xFF
        if draft >= 33:
            return SALT_V1
        if draft >= 29:
            return SALT_DRAFT_29
        return SALT_DRAFT_23
    return {Q050: SALT_Q050, T050: SALT_T050, T051: SALT_T051}.get(version)


def version_name(version: int) -> str:
    """Readable version: ``1``, ``2``, ``draft-29``, ``Q046``, ``T051``, else hex."""
    if version == V1:
        return "1"
    if version == V2:
        return "2"
    if DRAFT_FIRST <= version <= DRAFT_LAST:
        return f"draft-{version & 0xFF}"
    name = _OTHER_NAMES.get(version)
    if name is not None:
        return name
    raw = version.to_bytes(4, "big")
    if is_gquic_version(raw):
        return raw.decode("ascii")
    return f"0x{version:08x}"


def is_ietf_style(version: int) -> bool:
    """Versions with the RFC 9000 long header layout (lengths as bytes, Length field)."""
    return (
        version in (V1, V2, Q050, T050, T051)
        or DRAFT_FIRST <= version <= DRAFT_LAST
        or version in (0xFACEB001, 0xFACEB002, 0xFACEB00E)
    )


def is_q046_style(version: int) -> bool:
    """gQUIC Q044-Q049 behind an IETF invariant long header (Q046 in practice)."""
    return (version & 0xFFFFFF00) == 0x51303400 and 0x34 <= version & 0xFF <= 0x39


def is_reserved(version: int) -> bool:
    """Versions 0x?a?a?a?a reserved to force version negotiation (RFC 9000 §15)."""
    return version & 0x0F0F0F0F == 0x0A0A0A0A


class PacketType(IntEnum):
    """Long header packet types (RFC 9000 §17.2), as QUIC v1 numbers them."""

    initial = 0
    zero_rtt = 1
    handshake = 2
    retry = 3


V2_TYPES = (PacketType.retry, PacketType.initial, PacketType.zero_rtt, PacketType.handshake)
"""QUIC v2 type bits 0b00..0b11 -> the v1 meaning (RFC 9369 §3.2)."""


# -- cheap plausibility checks for matches() -------------------------------------------------------


def _varint_at(payload: bytes, pos: int) -> tuple[int, int]:
    """(value, next position) of the varint at ``pos`` (IndexError when cut)."""
    first = payload[pos]
    size = 1 << (first >> 6)
    value = first & 0x3F
    for i in range(1, size):
        value = (value << 8) | payload[pos + i]
    return value, pos + size


def long_header_plausible(payload: bytes, version: int) -> bool:
    """Token and Length of an Initial/0-RTT/Handshake fit in the datagram (RFC 9000 §17.2)."""
    first = payload[0]
    dcil = payload[5]
    pos = 7 + dcil + payload[6 + dcil]
    bits = (first >> 4) & 0x03
    ptype = V2_TYPES[bits] if version == V2 else PacketType(bits)
    if ptype == PacketType.retry:
        return len(payload) >= pos + 16  # integrity tag (RFC 9001 §5.8)
    if ptype == PacketType.initial:
        token_len, pos = _varint_at(payload, pos)
        pos += token_len
    length, pos = _varint_at(payload, pos)
    return length >= 20 and pos + length <= len(payload)


def vn_plausible(payload: bytes) -> bool:
    """Version Negotiation: ids of at most 255 bytes, then whole versions, one known."""
    dcil = payload[5]
    pos = 6 + dcil
    pos += 1 + payload[pos]
    rest = len(payload) - pos
    if rest <= 0 or rest % 4:
        return False
    for at in range(pos, len(payload), 4):
        v = int.from_bytes(payload[at : at + 4], "big")
        if v != 0 and salt_for(v) is not None:
            return True
    return False
