"""Content signatures of consumer IoT protocols: the Tuya local protocol, TP-Link's smart
home protocol and CoAP.

Identification only (see :mod:`wirelens.dissect.signatures_base`); registered through
:data:`wirelens.dissect.signatures_ics.ICS_SIGNATURES`, which orders them with the industrial
ones. Over TCP ``matches`` sees the first segment of one direction; each class says when
several messages may share it (they are then walked to the segment's end exactly).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from wirelens.dissect.base import IPPROTO_TCP, IPPROTO_UDP, Event, Screen
from wirelens.dissect.signatures_base import (
    MAX_SCAN,
    TCP_AND_UDP,
    UDP_ONLY,
    SignatureDissector,
    be16,
    be32,
    fills,
    host_name,
)

__all__ = ["CoapDissector", "TplinkShpDissector", "TuyaLpDissector"]



# --- Tuya local protocol (55AA framing of protocols 3.1-3.4, 6699 framing of 3.5) ----------------

_TUYA_55AA, _TUYA_AA55 = b"\x00\x00\x55\xaa", b"\x00\x00\xaa\x55"
_TUYA_6699, _TUYA_9966 = b"\x00\x00\x66\x99", b"\x00\x00\x99\x66"
_TUYA_MAX_COMMAND = 0x40
"""Commands are small integers (1-0x25 and LAN_EXT_STREAM 0x40 in Tuya's SDK)."""
_TUYA_6699_HEAD = 18
"""6699 header: prefix (4), version/reserved (2), sequence (4), command (4), length (4)."""
_TUYA_6699_MIN = 12 + 16
"""6699 length: the 12-byte GCM nonce, the payload and the 16-byte tag."""


def _tuya_frame(p: bytes, pos: int) -> int:
    """End of the frame at ``pos`` (prefix, command, length, suffix checked), or -1.

    55AA: prefix, sequence (4), command (4, at most 0x40), length (4) counting everything
    after it (return code, payload, CRC32 or HMAC, suffix; at least 8), suffix ``0000AA55``.
    6699: prefix, version/reserved (2), sequence, command, length counting the nonce, payload
    and tag (at least 28), then the suffix ``00009966``.
    """
    n = len(p)
    head = p[pos : pos + 4]
    if head == _TUYA_55AA:
        if pos + 24 > n or be32(p, pos + 8) > _TUYA_MAX_COMMAND:
            return -1
        size = be32(p, pos + 12)
        end = pos + 16 + size
        return end if size >= 8 and end <= n and p[end - 4 : end] == _TUYA_AA55 else -1
    if head == _TUYA_6699:
        if pos + _TUYA_6699_HEAD + _TUYA_6699_MIN + 4 > n or be32(p, pos + 10) > _TUYA_MAX_COMMAND:
            return -1
        size = be32(p, pos + 14)
        end = pos + _TUYA_6699_HEAD + size + 4
        return end if size >= _TUYA_6699_MIN and end <= n and p[end - 4 : end] == _TUYA_9966 else -1
    return -1


class TuyaLpDissector(SignatureDissector):
    """Tuya local protocol (UDP 6666/6667 discovery broadcasts, TCP 6668 control).

    ``matches``: the payload is one or more whole frames (see :func:`_tuya_frame`: 4-byte
    prefix, command at most 0x40, a length equal to the frame's rest, the matching 4-byte
    suffix at the frame's end) walked to the payload's end exactly. Tuya publishes no formal
    specification; the framing is the one of its device SDK (``lan_protocol.h``) as
    documented by the open-source clients.
    """

    name: ClassVar[str] = "tuya_lp"
    transports: ClassVar[frozenset[int]] = TCP_AND_UDP
    ports: ClassVar[frozenset[int]] = frozenset((6668,))
    """TCP 6668 only: the discovery broadcasts' UDP 6666/6667 are left out of this one set for
    both transports, their TCP twins being IRC's (a port guess would misname IRC flows);
    those broadcasts are recognised by content all the same."""
    first_bytes: ClassVar[frozenset[int] | None] = frozenset((0x00,))
    screens: ClassVar[Mapping[int, tuple[Screen, ...]]] = {
        proto: (Screen(24, equals=((0, _TUYA_55AA),)), Screen(50, equals=((0, _TUYA_6699),)))
        for proto in (IPPROTO_TCP, IPPROTO_UDP)}  # the prefixes

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """Whole frames filling the payload."""
        return fills(payload, _tuya_frame)


# --- TP-Link Smart Home protocol (TP-Link Kasa local API) -----------------------------------------

_TPLINK_KEY = 171
"""Initial key of the autokey XOR cipher: each byte is XORed with the previous cipher byte."""
_TPLINK_START = bytes((ord("{") ^ _TPLINK_KEY, ord('"') ^ ord("{") ^ _TPLINK_KEY))
"""``{"`` enciphered: 0xD0 0xF2."""
_TPLINK_MIN = 7
"""The shortest JSON object with one member: ``{"a":0}``."""
_JSON_SPACE = frozenset(b"\t\n\r")


def _tplink_json(p: bytes, start: int) -> bool:
    """``p[start:]`` deciphers to text starting ``{"`` and ending ``}`` without control bytes
    (JSON text, RFC 8259 §2, §7), checked over at most :data:`MAX_SCAN` bytes."""
    n = len(p)
    if n - start < _TPLINK_MIN or p[start : start + 2] != _TPLINK_START:
        return False
    if p[n - 1] ^ p[n - 2] != 0x7D:  # '}'
        return False
    key = _TPLINK_KEY
    for b in p[start : min(n, start + MAX_SCAN)]:
        c = b ^ key
        if (c < 0x20 and c not in _JSON_SPACE) or c == 0x7F:
            return False
        key = b
    return True


class TplinkShpDissector(SignatureDissector):
    """TP-Link Smart Home protocol (Kasa plugs and bulbs, TCP/UDP 9999).

    ``matches``: the payload deciphered with the autokey XOR (key 171, then each cipher
    byte is the next key) is a JSON object: ``{"`` first, ``}`` last, no control bytes in
    the first :data:`MAX_SCAN` bytes. Over TCP a 4-byte big-endian length equal to the
    rest of the segment comes first.
    """

    name: ClassVar[str] = "tplink_shp"
    transports: ClassVar[frozenset[int]] = TCP_AND_UDP
    ports: ClassVar[frozenset[int]] = frozenset((9999,))
    first_bytes: ClassVar[frozenset[int] | None] = frozenset((0x00, _TPLINK_START[0]))
    """``matches``: UDP the enciphered ``{``; TCP a length below 16 MiB (high byte 0). One set
    for both transports (no capture of the TCP form to check a narrower one against)."""
    screens: ClassVar[Mapping[int, tuple[Screen, ...]]] = {
        IPPROTO_UDP: (Screen(_TPLINK_MIN, equals=((0, _TPLINK_START),)),),
        IPPROTO_TCP: (Screen(4 + _TPLINK_MIN, equals=((0, b"\x00"), (4, _TPLINK_START)),
                             length=(0, 4, "big", 4)),)}

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """An enciphered JSON object, behind a length equal to the rest over TCP."""
        if proto == IPPROTO_TCP:
            return (len(payload) >= 4 + _TPLINK_MIN and payload[0] == 0
                    and be32(payload, 0) == len(payload) - 4 and _tplink_json(payload, 4))
        return _tplink_json(payload, 0)


# --- CoAP (RFC 7252 §3; option registry of §12.2 and later RFCs) ---------------------------------

_COAP_CODES = frozenset((
    *range(0x01, 0x08),  # 0.01-0.07: GET POST PUT DELETE (RFC 7252), FETCH PATCH iPATCH (8132)
    *range(0x41, 0x46), 0x5F,  # 2.01-2.05, 2.31 Continue (RFC 7959)
    *range(0x80, 0x87), 0x88, 0x8C, 0x8D, 0x8F, 0x9D,  # 4.00-4.06, 4.08, 4.12, 4.13, 4.15, 4.29
    *range(0xA0, 0xA6),  # 5.00-5.05
))  # fmt: skip
"""Defined request and response codes (RFC 7252 §12.1, RFC 7959, 8132, 8516)."""
_COAP_OPTIONS = {
    1: (0, 8), 3: (1, 255), 4: (1, 8), 5: (0, 0), 6: (0, 3), 7: (0, 2), 8: (0, 255),
    9: (0, 255), 11: (0, 255), 12: (0, 2), 14: (0, 4), 15: (0, 255), 16: (1, 1), 17: (0, 2),
    19: (0, 3), 20: (0, 255), 21: (0, 0), 23: (0, 3), 27: (0, 3), 28: (0, 4), 31: (0, 3),
    35: (1, 1034), 39: (1, 255), 60: (0, 4), 252: (1, 40), 258: (0, 1), 292: (0, 8),
}  # fmt: skip
"""Registered option numbers -> (min, max) value length: RFC 7252 §5.10, Observe (7641),
Block1/2 and Size2 (7959), OSCORE (8613), Hop-Limit (8768), Q-Block1/2 (9177), EDHOC
(9668), Echo and Request-Tag (9175), No-Response (7967)."""
_COAP_TEXT_OPTIONS = frozenset((3, 8, 11, 15, 20, 35, 39))
"""String options (Uri-Host, Location-Path, Uri-Path, Uri-Query, Location-Query, Proxy-Uri,
Proxy-Scheme): UTF-8 text, refused with ASCII control bytes."""
_COAP_REPEATABLE = frozenset((1, 4, 8, 11, 15, 20, 292))
"""§5.4.5: only the options defined as repeatable may appear more than once (If-Match, ETag,
Location-Path, Uri-Path, Uri-Query, Location-Query, Request-Tag)."""
_COAP_REQUEST_ONLY = frozenset((1, 3, 5, 7, 11, 15, 17, 35, 39))
"""§5.10: options about the request's target or preconditions (If-Match, Uri-Host,
If-None-Match, Uri-Port, Uri-Path, Uri-Query, Accept, Proxy-Uri, Proxy-Scheme)."""
_COAP_RESPONSE_ONLY = frozenset((8, 14, 20))
"""§5.10: Location-Path, Max-Age, Location-Query describe a response."""
_COAP_VALIDATION = frozenset((4, 6, 8, 20))
"""ETag and Observe, in a request, only in a GET or FETCH (§5.10.6.2, RFC 7641 §2, RFC 8132
§2.3); like the Location options, only in a success (2.xx) response (§5.10.6.1, §5.10.7,
RFC 7641 §4.2)."""
_COAP_ERROR_OPTIONS = frozenset((9, 12, 14, 16, 23, 27, 28, 60, 252))
"""Options an error (4.xx/5.xx) response may carry: OSCORE, Content-Format of a diagnostic
payload (§5.5.2), Max-Age, Hop-Limit, Block1/2 and Size1/2 (RFC 7959 §2.9), Echo (RFC 9175
§2.4)."""
_COAP_URI_HOST = 3
_COAP_OSCORE = 9
"""RFC 8613 §6.1: the first value byte holds flags; bits 5-7 are reserved (zero) and the
partial IV length (bits 0-2) is 0-5."""
_COAP_MAX_OPTIONS = 32


def _utf8_text(value: bytes) -> bool:
    """UTF-8 text without ASCII control bytes (RFC 7252 §3.2 string values)."""
    if any(b < 0x20 or b == 0x7F for b in value):
        return False
    if value.isascii():
        return True
    try:
        value.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
_COAP_FIRST_BYTES = frozenset(0x40 | kind << 4 | tkl for kind in range(4) for tkl in range(9))
"""Version 1, any type, token length 0-8."""

_CoapWalk = tuple[int, int]
"""Position and length of the Uri-Host option's value (-1 and 0 without one)."""


def _coap_options(p: bytes, pos: int, code: int) -> _CoapWalk | None:
    """Walk the options from ``pos`` (§3.1: delta and length nibbles, 13/14 for one/two
    extension bytes, 15 reserved except the payload marker 0xFF): at least one option,
    each registered with a value length in its range, non-repeatable ones once, none of
    the other kind of message's (a request's or a response's, :data:`_COAP_VALIDATION`,
    :data:`_COAP_ERROR_OPTIONS`), string values without control bytes; they end exactly at the datagram's end or at a marker followed by a
    payload. Returns a :data:`_CoapWalk`, or None."""
    n = len(p)
    number, count, host, host_size = 0, 0, -1, 0
    if code < 0x20:  # a request
        banned = _COAP_RESPONSE_ONLY if code in (1, 5) else _COAP_RESPONSE_ONLY | _COAP_VALIDATION
        allowed = None
    else:
        banned = _COAP_REQUEST_ONLY if code < 0x60 else _COAP_REQUEST_ONLY | _COAP_VALIDATION
        allowed = _COAP_ERROR_OPTIONS if code >= 0x80 else None
    while pos < n:
        first = p[pos]
        if first == 0xFF:  # §3: the marker is followed by a payload
            return (host, host_size) if count and pos + 1 < n else None
        if count == _COAP_MAX_OPTIONS:
            return None
        pos += 1
        fields = []
        for nibble in (first >> 4, first & 0x0F):
            if nibble == 13:
                if pos >= n:
                    return None
                nibble, pos = 13 + p[pos], pos + 1
            elif nibble == 14:
                if pos + 2 > n:
                    return None
                nibble, pos = 269 + be16(p, pos), pos + 2
            elif nibble == 15:
                return None
            fields.append(nibble)
        delta, size = fields
        if count and delta == 0 and number not in _COAP_REPEATABLE:
            return None
        number += delta
        limits = _COAP_OPTIONS.get(number)
        if limits is None or not limits[0] <= size <= limits[1] or pos + size > n:
            return None
        if number in banned or (allowed is not None and number not in allowed):
            return None
        if number in _COAP_TEXT_OPTIONS and not _utf8_text(p[pos : pos + size]):
            return None
        if number == _COAP_OSCORE and size and (p[pos] & 0xE0 or p[pos] & 0x07 > 5):
            return None
        if number == _COAP_URI_HOST:
            host, host_size = pos, size
        pos += size
        count += 1
    return (host, host_size) if count else None


class CoapDissector(SignatureDissector):
    """CoAP over UDP (5683; 5684 is CoAP over DTLS and is not claimed).

    ``matches`` (RFC 7252 §3): version 1, a token length 0-8, a defined request or
    response code (requests 0.01-0.07, responses 2.xx/4.xx/5.xx of §12.1 and RFC
    7959/8132/8516), not RST and not an ACK carrying a request (§4.2-§4.3), then at least
    one option, walked to the datagram's end or to a payload marker followed by a payload
    (:func:`_coap_options`): registered option numbers with their value lengths (§5.10),
    no reserved nibble 15, non-repeatable options once (§5.4.5), no response option in a
    request nor request option in a response, ETag/Observe only in GET/FETCH requests and
    success responses, an error response only with the options it may carry, string values in UTF-8 without control
    bytes, an OSCORE value's reserved flag bits zero (RFC 8613 §6.1).

    Not claimed, their headers being too weak a test (a short text such as ``SETFLOW``
    reads as a NON 2.05 with a 3-byte token): empty messages (0.00: pings, empty ACK/RST)
    and messages without any option, e.g. a bare piggybacked ACK (the request, on the
    other side, is then what names the flow).

    ``feed`` names the flow by a request's Uri-Host option (``name_source`` ``coap_host``).
    """

    name: ClassVar[str] = "coap"
    transports: ClassVar[frozenset[int]] = UDP_ONLY
    ports: ClassVar[frozenset[int]] = frozenset((5683,))
    name_source: ClassVar[str | None] = "coap_host"
    first_bytes: ClassVar[frozenset[int] | None] = _COAP_FIRST_BYTES

    @staticmethod
    def _walk(payload: bytes) -> _CoapWalk | None:
        """The Uri-Host of a valid message (see ``matches``), else None."""
        if len(payload) < 5:
            return None
        first, code = payload[0], payload[1]
        if first not in _COAP_FIRST_BYTES or code not in _COAP_CODES:
            return None
        kind = (first >> 4) & 0x03
        if kind == 3 or (kind == 2 and code < 0x40):  # RST is empty; ACK carries a response
            return None
        return _coap_options(payload, 4 + (first & 0x0F), code)

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """Header, token and options of a well-formed message."""
        return cls._walk(payload) is not None

    def feed(self, data: bytes, from_orig: bool, ts_ns: int) -> list[Event]:
        """Reads the Uri-Host option of the first message when it is a request, then is
        done."""
        self.done = True
        walked = self._walk(data)
        if walked is not None and walked[0] >= 0:  # only a request has a Uri-Host
            self.server_name = host_name(data[walked[0] : walked[0] + walked[1]])
        return []
