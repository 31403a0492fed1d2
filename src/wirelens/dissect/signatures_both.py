"""Content signatures of services seen on UDP and TCP: STUN/TURN, OpenVPN, BitTorrent, syslog.

Identification only (see :mod:`wirelens.dissect.signatures_base`). Over TCP ``matches``
sees the first segment's bytes; the rules say when a message must be whole in it.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import IntEnum
from typing import ClassVar

from wirelens.dissect.base import IPPROTO_TCP, IPPROTO_UDP, Event, Screen
from wirelens.dissect.signatures_base import (
    TCP_AND_UDP,
    SignatureDissector,
    be16,
    be32,
    is_printable,
)

__all__ = [
    "BitTorrentDissector",
    "OpenVpnDissector",
    "OpenVpnOpcode",
    "StunDissector",
    "SyslogDissector",
]


# --- STUN / TURN (RFC 8489 §5, RFC 5389 §6; classic RFC 3489 §11.1) --------------------------

STUN_MAGIC_COOKIE = 0x2112A442
"""RFC 8489 §5: the fixed value in bytes 4-7 of every STUN message."""
_STUN_COOKIE_BYTES = STUN_MAGIC_COOKIE.to_bytes(4, "big")
_STUN_CLASSIC_TYPES = frozenset((0x0001, 0x0101, 0x0111, 0x0002, 0x0102, 0x0112))
"""RFC 3489 §11.1 message types (binding and shared-secret request/response/error)."""
_STUN_MAX_ATTRIBUTES = 32
"""Attributes walked in a classic (cookie-less) message. Reason: bounds ``matches``."""


def _stun_classic_attributes(p: bytes, start: int, end: int) -> bool:
    """RFC 3489 §11.2: at least one attribute; type-length-value items (values padded to 4
    bytes, RFC 8489 §14) filling ``p[start:end]`` exactly; types from the RFC 3489/5389
    registries (0x0001-0x0031 comprehension-required, 0x8000-0x802F optional)."""
    pos = start
    for _ in range(_STUN_MAX_ATTRIBUTES):
        if pos == end:
            return pos > start
        if pos + 4 > end:
            return False
        kind = be16(p, pos)
        if not (0x0001 <= kind <= 0x0031 or 0x8000 <= kind <= 0x802F):
            return False
        pos += 4 + ((be16(p, pos + 2) + 3) & ~3)
    return False


def _stun_at(p: bytes, start: int, whole: bool) -> bool:
    """A STUN message header at ``start``: top two bits zero, length a multiple of 4, the
    magic cookie (or a classic type with well-formed attributes); the message ends exactly
    at the end of ``p`` when ``whole``, else within it (several messages per TCP segment)."""
    if len(p) - start < 20 or p[start] & 0xC0:
        return False
    length = be16(p, start + 2)
    end = start + 20 + length
    if length & 3 or end > len(p) or (whole and end != len(p)):
        return False
    if be32(p, start + 4) == STUN_MAGIC_COOKIE:
        return True
    if be16(p, start) not in _STUN_CLASSIC_TYPES or end != len(p):
        return False
    return _stun_classic_attributes(p, start + 20, end)


_STUN_UDP_FIRST_BYTES = frozenset(range(0x40))
"""First byte of a STUN message: its two top bits are zero."""
STUN_MAX_MESSAGES = 8
"""STUN messages of a flow read for a REALM before the flow is left alone (or handed to
DTLS)."""
_STUN_REALM = 0x0014
_STUN_MAX_REALM = 763
"""REALM is fewer than 128 characters, at most 763 bytes of UTF-8 (RFC 8489 §14.9)."""


def _stun_realm(data: bytes, start: int) -> str | None:
    """The REALM attribute of the STUN message at ``start`` (attributes: type, length, value
    padded to 4 bytes, RFC 8489 §14), or None; never reads past the message or the data."""
    end = min(len(data), start + 20 + be16(data, start + 2))
    pos = start + 20
    while pos + 4 <= end:
        kind, size = be16(data, pos), be16(data, pos + 2)
        if pos + 4 + size > end:
            return None
        if kind == _STUN_REALM and 0 < size <= _STUN_MAX_REALM:
            text = data[pos + 4 : pos + 4 + size].decode("utf-8", "replace")
            return "".join(c if c.isprintable() else "?" for c in text) or None
        pos += 4 + ((size + 3) & ~3)
    return None


class StunDissector(SignatureDissector):
    """STUN and TURN (UDP/TCP 3478, 5349, and media ports of ICE).

    ``matches``: over UDP the datagram is one STUN message (RFC 8489 §5: top two bits
    zero, length a multiple of 4 and equal to the datagram's length minus the 20-byte
    header, magic cookie 0x2112A442). Classic RFC 3489 messages (no cookie) must also have a
    binding/shared-secret type and a well-formed attribute list (at least one attribute,
    so a bare 20-byte classic binding request is not claimed). Over TCP the segment starts
    with a message (more may follow), or with an RFC 4571 2-byte frame length equal to the
    message's size (as ICE-TCP, RFC 6544 §3, frames it).
    """

    name: ClassVar[str] = "stun"
    transports: ClassVar[frozenset[int]] = TCP_AND_UDP
    ports: ClassVar[frozenset[int]] = frozenset((3478, 3479, 5349))
    screens: ClassVar[Mapping[int, tuple[Screen, ...]]] = {
        IPPROTO_TCP: (Screen(8, equals=((4, _STUN_COOKIE_BYTES),)),  # the cookie
                      Screen(22, equals=((6, _STUN_COOKIE_BYTES),))),
        IPPROTO_UDP: (Screen(20, length=(2, 2, "big", 20)),)}  # the message length

    name_source: ClassVar[str | None] = "stun_realm"

    def feed(self, data: bytes, from_orig: bool, ts_ns: int) -> list[Event]:
        """Reads the REALM attribute of the messages (RFC 8489 §14.9: the TURN server's
        domain, e.g. ``turn.l.google.com``) to name the flow, for at most
        :data:`STUN_MAX_MESSAGES` messages. Over UDP a datagram that is not STUN hands the
        rest of the flow, from that datagram on, to the DTLS dissector: WebRTC runs ICE's
        STUN checks, then DTLS-SRTP, on one 5-tuple (RFC 7983 §7 tells them apart by the
        first byte; DTLS ignores the STUN and RTP datagrams that follow)."""
        if self.done or not data:
            return []
        self._seen += 1
        start = 0
        if self.proto == IPPROTO_TCP and len(data) >= 2 and be16(data, 0) == len(data) - 2:
            start = 2  # RFC 4571 framing
        if len(data) > start and data[start] <= 3:  # RFC 7983 §7: STUN is 0-3
            realm = _stun_realm(data, start) if len(data) >= start + 20 else None
            if realm:
                self.server_name = realm
        elif self.proto == IPPROTO_UDP:
            self.upgrade, self.upgrade_data = "dtls", ((from_orig, bytes(data)),)
            self.done = True
            return []
        if self.server_name or self._seen >= STUN_MAX_MESSAGES:
            self.done = True
            if self.proto == IPPROTO_UDP:
                self.upgrade = "dtls"
        return []

    def __init__(self, proto: int) -> None:
        super().__init__(proto)
        self._seen = 0

    @classmethod
    def first_bytes_on(cls, proto: int) -> frozenset[int] | None:
        """Over UDP the datagram starts with the message: its top two bits are zero (RFC
        8489 §5); over TCP a frame length may come first (any byte)."""
        return _STUN_UDP_FIRST_BYTES if proto == IPPROTO_UDP else None

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """One whole message per datagram; over TCP optionally behind a frame length."""
        if proto != IPPROTO_TCP:
            # the cheap tests of _stun_at(whole=True) first, inline: nearly every datagram
            # fails them (top two bits, then the length field equal to the datagram's rest)
            n = len(payload)
            if n < 20 or payload[0] & 0xC0 or (payload[2] << 8 | payload[3]) != n - 20:
                return False
            return _stun_at(payload, 0, True)
        # both TCP forms need the cookie: at byte 4 (bare message) or 6 (framed)
        if payload[4:8] == _STUN_COOKIE_BYTES and _stun_at(payload, 0, False):
            return True
        if payload[6:10] != _STUN_COOKIE_BYTES or len(payload) < 22:
            return False
        frame = be16(payload, 0)
        return frame == 20 + be16(payload, 4) and _stun_at(payload[: 2 + frame], 2, True)


# --- OpenVPN (OpenVPN's protocol description, ssl_pkt.h / "openvpn-wire-protocol") -----------


class OpenVpnOpcode(IntEnum):
    """Control-channel opcodes (high 5 bits of the first byte; low 3 bits: key id)."""

    CONTROL_HARD_RESET_CLIENT_V1 = 1
    CONTROL_HARD_RESET_SERVER_V1 = 2
    CONTROL_SOFT_RESET_V1 = 3
    CONTROL_V1 = 4
    ACK_V1 = 5
    DATA_V1 = 6
    CONTROL_HARD_RESET_CLIENT_V2 = 7
    CONTROL_HARD_RESET_SERVER_V2 = 8
    DATA_V2 = 9
    CONTROL_HARD_RESET_CLIENT_V3 = 10
    CONTROL_WKC_V1 = 11


_OVPN_CLIENT_RESETS = frozenset((1, 7))
_OVPN_SERVER_RESETS = frozenset((2, 8))
_OVPN_RESET_FIRST_BYTES = frozenset(
    op << 3 for op in (*_OVPN_CLIENT_RESETS, *_OVPN_SERVER_RESETS,
                       OpenVpnOpcode.CONTROL_HARD_RESET_CLIENT_V3))
"""Byte 0 of every packet :func:`_ovpn_reset` accepts: a hard-reset opcode (high 5 bits)
and key id 0 (low 3 bits). Tested first: it refuses nearly every other payload at once."""
_OVPN_HMAC_SIZES = (0, 16, 20, 32, 48, 64)
"""tls-auth HMAC sizes tried: none, MD5, SHA1, SHA256, SHA384, SHA512."""
_OVPN_TLS_CRYPT_TAG = 32
"""tls-crypt (v1 and v2): packet id (4) and net time (4) in clear, then a 32-byte
HMAC-SHA256 tag, then the encrypted rest of the control packet."""
_OVPN_EARLY_NEG = b"\x00\x0f"
"""OpenVPN 2.6 EARLY_NEG_START: a TLV (type 0x000F) that may follow a hard reset."""


def _ovpn_tail_ok(p: bytes, pos: int) -> bool:
    """Nothing after the reset's header, or an early-negotiation TLV."""
    return pos == len(p) or p[pos : pos + 2] == _OVPN_EARLY_NEG


def _ovpn_reset(p: bytes) -> bool:
    """A hard-reset control packet (no TCP length prefix) in one of the known layouts.

    Layout (plain or tls-auth): opcode/key (1), session id (8), [HMAC (h), packet id (4)
    == 1 for the first packet, net time (4)], ack count (1), [acked ids (4 each), remote
    session id (8)], message packet id (4) == 0 for the reset. A client reset acks nothing;
    a server reset acks exactly the client's message 0 and names a nonzero remote session.
    tls-crypt: opcode/key, session id, packet id whose low 16 bits are 1, net time, tag,
    then 5 (client) or 17 (server) encrypted bytes (+ 6 with the early-negotiation TLV); a
    V3 client reset ends with the wrapped client key whose last 2 bytes are its length.
    """
    n = len(p)
    if n < 14 or p[0] & 0x07:  # key id 0 on a hard reset
        return False
    op = p[0] >> 3
    if op == OpenVpnOpcode.CONTROL_HARD_RESET_CLIENT_V3:
        if n < 9 + 8 + _OVPN_TLS_CRYPT_TAG + 5 + 2 or be32(p, 9) & 0xFFFF != 1:
            return False
        return 54 <= n - be16(p, n - 2) <= 54 + 16
    client = op in _OVPN_CLIENT_RESETS
    if not client and op not in _OVPN_SERVER_RESETS:
        return False
    for h in _OVPN_HMAC_SIZES:
        pos = 9
        if h:
            pos += h
            if pos + 8 > n or be32(p, pos) != 1:
                continue
            pos += 8
        if pos + 5 > n:
            continue
        acks = p[pos]
        if client:
            if acks == 0 and be32(p, pos + 1) == 0 and _ovpn_tail_ok(p, pos + 5):
                return True
            continue
        if acks != 1 or pos + 17 > n or be32(p, pos + 1) != 0:
            continue
        if p[pos + 5 : pos + 13] != b"\x00" * 8 and be32(p, pos + 13) == 0:
            if _ovpn_tail_ok(p, pos + 17):
                return True
    if op in (
        OpenVpnOpcode.CONTROL_HARD_RESET_CLIENT_V2,
        OpenVpnOpcode.CONTROL_HARD_RESET_SERVER_V2,
    ):
        base = 9 + 8 + _OVPN_TLS_CRYPT_TAG + (5 if client else 17)
        return n in (base, base + 6) and be32(p, 9) & 0xFFFF == 1
    return False


class OpenVpnDissector(SignatureDissector):
    """OpenVPN (UDP/TCP 1194, often 443).

    ``matches``: the first packet of a session is a hard reset (see :func:`_ovpn_reset` for
    the layouts and the fixed values checked: key id 0, first packet id 1, message id 0,
    ack count 0 from the client / exactly the client's message 0 from the server, nothing
    unexplained after the header). Over TCP each packet has a 2-byte length prefix
    (OpenVPN's TCP framing) that must equal the rest of the segment.
    """

    name: ClassVar[str] = "openvpn"
    transports: ClassVar[frozenset[int]] = TCP_AND_UDP
    ports: ClassVar[frozenset[int]] = frozenset((1194,))
    screens: ClassVar[Mapping[int, tuple[Screen, ...]]] = {IPPROTO_TCP: (  # length prefix, opcode
        Screen(3, values=((2, _OVPN_RESET_FIRST_BYTES),), length=(0, 2, "big", 2)),)}

    @classmethod
    def first_bytes_on(cls, proto: int) -> frozenset[int] | None:
        """Over UDP the hard reset's opcode byte comes first; over TCP a length prefix."""
        return _OVPN_RESET_FIRST_BYTES if proto == IPPROTO_UDP else None

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """A hard reset, behind a length prefix equal to the segment's rest over TCP."""
        if proto == IPPROTO_TCP:
            n = len(payload)
            if n < 3 or payload[2] not in _OVPN_RESET_FIRST_BYTES:
                return False
            if (payload[0] << 8 | payload[1]) != n - 2:
                return False
            return _ovpn_reset(payload[2:])
        return len(payload) >= 14 and payload[0] in _OVPN_RESET_FIRST_BYTES and _ovpn_reset(
            payload)


# --- BitTorrent (BEP 3 peer wire, BEP 5 DHT, BEP 29 uTP) ------------------------------------

_BT_HANDSHAKE = b"\x13BitTorrent protocol"
"""BEP 3: the handshake starts with the byte 19 and the 19-byte protocol string."""
_DHT_STARTS = (b"d1:a", b"d1:e", b"d1:r", b"d2:ip")
"""BEP 5 KRPC messages are bencoded dictionaries whose keys are sorted (BEP 3 bencoding):
the first key is "a" (query arguments), "e" (error), "ip" (BEP 42) or "r" (response)."""
_DHT_ENDS = (b"1:y1:qe", b"1:y1:re", b"1:y1:ee")
"""The "y" key (message type q/r/e) sorts last, so the dictionary ends with it."""
_UTP_SYN, _UTP_STATE = 4, 2
_UTP_MAX_EXTENSIONS = 4
"""uTP extension headers walked. Reason: bounds ``matches`` (BEP 29 defines two)."""


def _utp_control(p: bytes) -> bool:
    """BEP 29: a 20-byte header with version 1, type SYN or STATE, and extensions (type 1
    selective ack, 2 extension bits) chained as (next type, length, data) filling the
    datagram exactly: SYN and STATE carry no data. A SYN has timestamp_difference 0."""
    if len(p) < 20 or p[0] & 0x0F != 1:
        return False
    kind = p[0] >> 4
    if kind == _UTP_SYN:
        if p[8:12] != b"\x00\x00\x00\x00":
            return False
    elif kind != _UTP_STATE:
        return False
    ext, pos = p[1], 20
    for _ in range(_UTP_MAX_EXTENSIONS):
        if ext == 0:
            return pos == len(p)
        if ext > 2 or pos + 2 > len(p):
            return False
        ext, pos = p[pos], pos + 2 + p[pos + 1]
    return False


class BitTorrentDissector(SignatureDissector):
    """BitTorrent peer wire (TCP), DHT and uTP (UDP).

    ``matches``: over TCP the BEP 3 handshake prefix ``\\x13BitTorrent protocol`` (the
    obfuscated MSE handshake has no signature and is not claimed). Over UDP a BEP 5 KRPC
    message (bencoded dictionary starting with its first sorted key and ending with the
    ``y`` key, :data:`_DHT_STARTS`, :data:`_DHT_ENDS`) or a uTP SYN/STATE packet without
    data (:func:`_utp_control`); uTP DATA packets (a capture starting mid-transfer) are not
    claimed: their 20-byte header alone is too weak a test.
    """

    name: ClassVar[str] = "bittorrent"
    transports: ClassVar[frozenset[int]] = TCP_AND_UDP
    ports: ClassVar[frozenset[int]] = frozenset((6881, 6889, 51413))
    first_bytes: ClassVar[frozenset[int] | None] = frozenset(
        (0x13, ord("d"), _UTP_SYN << 4 | 1, _UTP_STATE << 4 | 1))
    """``matches``: TCP ``_BT_HANDSHAKE`` (0x13); UDP ``_DHT_STARTS`` (``d``) or a uTP
    SYN/STATE version-1 first byte (``_utp_control``)."""

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """Handshake prefix (TCP); KRPC dictionary or uTP control packet (UDP)."""
        if proto == IPPROTO_TCP:
            return payload.startswith(_BT_HANDSHAKE)
        if payload.startswith(_DHT_STARTS):
            return payload.endswith(_DHT_ENDS)
        return _utp_control(payload)


# --- syslog (RFC 5424 §6.2.1, RFC 3164 §4.1.1; TCP framing RFC 6587 §3.4) --------------------

_SYSLOG_MAX_PRI = 191
"""PRI = facility * 8 + severity, facility 0-23, severity 0-7 (RFC 5424 §6.2.1)."""
_SYSLOG_HEADER_PRINTABLE = 8
"""Bytes after the PRI that must be printable ASCII (the version/timestamp/hostname
header of RFC 5424 §6.2 and RFC 3164 §4.1.2 is ASCII)."""


def _syslog_at(p: bytes, start: int) -> bool:
    """``<PRI>`` at ``start`` (1-3 digits, no leading zero unless "0", value <= 191)
    followed by at least :data:`_SYSLOG_HEADER_PRINTABLE` printable bytes."""
    if p[start : start + 1] != b"<":
        return False
    close = p.find(b">", start + 2, start + 5)
    if close < 0:
        return False
    digits = p[start + 1 : close]
    if not digits.isdigit() or (len(digits) > 1 and digits[0] == 0x30):
        return False
    if int(digits) > _SYSLOG_MAX_PRI:
        return False
    header = p[close + 1 : close + 1 + _SYSLOG_HEADER_PRINTABLE]
    return len(header) == _SYSLOG_HEADER_PRINTABLE and is_printable(header)


class SyslogDissector(SignatureDissector):
    """Syslog (UDP 514, TCP 514/601/6514-plain).

    ``matches``: the message starts with ``<PRI>`` (RFC 5424 §6.2.1 / RFC 3164 §4.1.1:
    1-3 digits without leading zero, value 0-191) followed by 8 printable ASCII bytes of
    header. Over TCP it may also be octet-counted (RFC 6587 §3.4.1: a decimal length of 1-5
    digits without leading zero, a space, then the message).
    """

    name: ClassVar[str] = "syslog"
    transports: ClassVar[frozenset[int]] = TCP_AND_UDP
    ports: ClassVar[frozenset[int]] = frozenset((514, 601))
    first_bytes: ClassVar[frozenset[int] | None] = frozenset(b"<123456789")
    """``matches``: ``<PRI>`` first, or over TCP an octet count without leading zero."""

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """PRI and printable header; octet counting allowed over TCP."""
        if _syslog_at(payload, 0):
            return True
        if proto != IPPROTO_TCP:
            return False
        space = payload.find(b" ", 1, 7)
        count = payload[:space] if space > 0 else b""
        return count.isdigit() and count[0] != 0x30 and _syslog_at(payload, space + 1)
