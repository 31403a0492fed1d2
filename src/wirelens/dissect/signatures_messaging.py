"""Content signatures of messaging, VPN and consumer device services.

Identification only (see :mod:`wirelens.dissect.signatures_base`). Every ``matches`` is a
few bounded comparisons on the first payload of one direction, never raises, and checks the
facts listed in its class docstring:

- WhatsApp chat transport (its connection prologue and Noise handshake):
  :class:`WhatsAppDissector`;
- Xiaomi push service (MiPush) connection messages: :class:`XiaomiPushDissector`;
- Nest Weave messages over TCP (the Nest log sink and service front ends):
  :class:`NestWeaveDissector`;
- the AliCloud 0xBABEFACE-framed messages: :class:`AliCloudDissector`;
- HP_VIRTGRP key-exchange messages: :class:`HpVirtgrpDissector`;
- SoftEther VPN NAT traversal (UDP): :class:`SoftEtherDissector`;
- Zoom's session setup with its multimedia routers (UDP): :class:`ZoomDissector`;
- the EAQ broadband quality probe (UDP): :class:`EaqDissector`;
- the ``MGLNDD_`` measurement probe that nDPI attributes to RIPE Atlas:
  :class:`RipeAtlasProbeDissector`.

Most of these are proprietary protocols without a public specification: their docstrings say
which public description the checked facts come from, or that they are constant fields that
every observed message shares (the tests show they hold on every flow of the captures and on
nothing else of the corpus).

Dropped (no class here), each because it cannot be recognised strictly: AVASTSecureDNS (its
flows are plain DNS TXT queries for the DNSCrypt certificate of ``2.securedns.avast.com``,
already named ``dns``; telling Avast apart means a table of names, the job of the DNS query
name); Threema (a 48-byte client hello and an 80-byte server hello of random-looking NaCl
keys and boxes, no fixed bytes); Viber (UDP: a random 2-byte session id then a type byte;
TCP: two different framings over four flows, nothing constant enough); LINE calls, IMO,
Cloudflare WARP, DingTalk, Meraki cloud (one to three flows each whose first bytes are a
session identifier or ciphertext: too few observed constant bits to rule out other traffic,
or a single flow that cannot tell a constant from an identifier).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import ClassVar

from wirelens.dissect.base import IPPROTO_TCP, IPPROTO_UDP, Dissector, Event, Screen
from wirelens.dissect.signatures_base import (
    TCP_AND_UDP,
    TCP_ONLY,
    UDP_ONLY,
    SignatureDissector,
    be16,
    be32,
    host_name,
    is_ascii_text,
    le16,
    le32,
    varint,
)

__all__ = [
    "MESSAGING_SIGNATURES",
    "AliCloudDissector",
    "EaqDissector",
    "HpVirtgrpDissector",
    "NestWeaveDissector",
    "RipeAtlasProbeDissector",
    "SoftEtherDissector",
    "WhatsAppDissector",
    "XiaomiPushDissector",
    "ZoomDissector",
]


def _is_address(raw: bytes) -> bool:
    """``raw`` is an IPv4 dotted quad or an IPv6 address in text (at most 45 bytes)."""
    if not 7 <= len(raw) <= 45 or not is_ascii_text(raw):
        return False
    try:
        ipaddress.ip_address(raw.decode("ascii"))
    except ValueError:
        return False
    return True


def _is_port(raw: bytes) -> bool:
    """``raw`` is a decimal port number 0-65535 of 1-5 digits."""
    return 0 < len(raw) <= 5 and raw.isdigit() and int(raw) <= 0xFFFF


# --- WhatsApp (the chat transport's prologue and Noise Pipes handshake) ---------------------

_WA_EDGE = b"ED\x00\x01"
"""The edge-routing header's magic and version that precede the prologue when the client
holds routing data from an earlier session."""
_WA_MAX_ROUTING = 255
"""Longest routing data accepted after the edge header (observed: 4 bytes)."""
_WA_MAX_FRAMES = 16
"""Most frames walked in the first segment of the legacy (version 1) transport."""
_WA_EPHEMERAL = b"\x0a\x20"
"""Field 1 (ephemeral public key), length-delimited, 32 bytes (a Curve25519 key)."""
_WA_HELLO_TAGS = (0x0A, 0x12, 0x1A)
"""Fields 1-3 of a client or server hello (ephemeral, static, payload), length-delimited."""


def _wa_hello(payload: bytes, pos: int, tag: int) -> bool:
    """At ``pos``: one frame (3-byte big-endian length) ending the payload, holding a
    HandshakeMessage with only field ``tag`` (0x12 client hello, 0x1a server hello) whose
    body is field 1 (the 32-byte ephemeral key), then fields 2 and 3 when present, in order,
    ending exactly with the frame."""
    n = len(payload)
    if pos + 4 > n or int.from_bytes(payload[pos : pos + 3], "big") != n - pos - 3:
        return False
    if payload[pos + 3] != tag:
        return False
    size, body = varint(payload, pos + 4, 3)
    if size < 34 or body + size != n or payload[body : body + 2] != _WA_EPHEMERAL:
        return False
    pos, last = body, -1
    while pos < n:
        field = payload[pos]
        if field not in _WA_HELLO_TAGS or field <= last:
            return False
        size, pos = varint(payload, pos + 1, 3)
        if size < 0 or pos + size > n:
            return False
        pos, last = pos + size, field
    return True


def _wa_legacy_frames(payload: bytes, pos: int) -> bool:
    """At ``pos``: 1-16 frames (flags byte 0x00 or 0x80, big-endian u16 length) ending
    exactly with the payload, the first one plain (flags 0) and starting with a list token
    (0xf8)."""
    n = len(payload)
    for i in range(_WA_MAX_FRAMES):
        if pos + 3 > n:
            return False
        flags, size = payload[pos], be16(payload, pos + 1)
        end = pos + 3 + size
        if flags not in (0x00, 0x80) or size == 0 or end > n:
            return False
        if i == 0 and (flags or payload[pos + 3] != 0xF8):
            return False
        if end == n:
            return True
        pos = end
    return False


class WhatsAppDissector(SignatureDissector):
    """WhatsApp's chat transport (TCP 443 and 5222; the client's first segments).

    Sources: the connection prologue and Noise handshake as described by the public
    reverse-engineered WhatsApp clients (the prologue ``"WA"``, a protocol version byte and
    a dictionary version byte; the optional edge-routing header ``"ED" 0x00 0x01``, a
    3-byte length and routing data before it; frames prefixed by a 3-byte big-endian
    length carrying protobuf HandshakeMessages), and the WhatsApp security whitepaper
    (Noise Pipes with Curve25519 keys). ``matches`` accepts, from either side:

    - the 4-byte edge-routing header alone (``ED 00 01``, exactly 4 bytes: clients send it
      in a segment of its own);
    - the edge-routing header with 1-255 bytes of routing data, then the prologue, or the
      prologue alone, at the start; the prologue is ``WA``, a version 1-9 and a dictionary
      version 0-9; after a version from 2: one frame ending the segment holding a
      HandshakeMessage with only its client hello (field 2), whose body is field 1 (the
      32-byte ephemeral key) then fields 2 (static key) and 3 (payload) when present, in
      order, ending exactly with the frame; after version 1 (the legacy transport): 1-16
      frames (flags 0x00 / 0x80, 2-byte length) ending the segment, the first plain and
      starting with a list token 0xf8;
    - the server hello: one frame ending the segment whose first byte is 0 (length below
      64 KiB) holding a HandshakeMessage with only its server hello (field 3), same body
      rules.

    Other first segments (cut in the middle of the prologue or of a frame) are refused.
    """

    name: ClassVar[str] = "whatsapp"
    transports: ClassVar[frozenset[int]] = TCP_ONLY
    ports: ClassVar[frozenset[int]] = frozenset((5222,))
    first_bytes: ClassVar[frozenset[int] | None] = frozenset((ord("E"), ord("W"), 0x00))
    """``matches``: the edge header's ``E``, the prologue's ``W``, a server hello's length
    high byte."""

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """Edge header alone, prologue and first frame(s), or a server hello."""
        n = len(payload)
        if n < 4:
            return False
        if payload[0] == 0:
            return _wa_hello(payload, 0, 0x1A)
        pos = 0
        if payload[:4] == _WA_EDGE:
            if n == 4:
                return True
            if n < 7:
                return False
            size = int.from_bytes(payload[4:7], "big")
            if not 1 <= size <= _WA_MAX_ROUTING:
                return False
            pos = 7 + size
        if pos + 4 > n or payload[pos : pos + 2] != b"WA" or payload[pos + 3] > 9:
            return False
        version = payload[pos + 2]
        if version == 1:
            return _wa_legacy_frames(payload, pos + 4)
        return 2 <= version <= 9 and _wa_hello(payload, pos + 4, 0x12)


# --- Xiaomi push service (MiPush; observed constant fields) ---------------------------------

_MIPUSH_MAGIC = b"\xc2\xfe\x00\x05"
"""The magic 0xc2fe and the framing version 5 that start every observed message."""


class XiaomiPushDissector(SignatureDissector):
    """Xiaomi's push service (MiPush) connection messages (TCP 5222).

    No public specification: the facts are those every observed message shares (the first
    message of both sides of every flow of the capture): ``matches`` checks the 4 bytes
    :data:`_MIPUSH_MAGIC`; a big-endian u32 length equal to the segment's length minus 12
    (the 8-byte header and a 4-byte checksum after the message); then 2 bytes, a u16
    header length and a u32 body length that add up, with 8, to that length; the header
    (a protobuf message) starting with field 1 as a varint (0x08).

    The client's first message (its CONN command) is then read for the server it connects
    to: field 7 of the body (a protobuf message), ``host:port``, names the flow (name source
    ``mipush_host``; observed, as nDPI reports it). Server messages before it are passed
    over, at most :data:`_MIPUSH_READS` messages in all.
    """

    name: ClassVar[str] = "xiaomi"
    name_source: ClassVar[str | None] = "mipush_host"
    transports: ClassVar[frozenset[int]] = TCP_ONLY
    ports: ClassVar[frozenset[int]] = frozenset((5222,))
    first_bytes: ClassVar[frozenset[int] | None] = frozenset((0xC2,))
    """``matches``: the magic's first byte."""
    screens: ClassVar[Mapping[int, tuple[Screen, ...]]] = {
        IPPROTO_TCP: (Screen(21, equals=((0, _MIPUSH_MAGIC),), length=(4, 4, "big", 12)),)}

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """Magic, exact length, header and body lengths, protobuf header start."""
        n = len(payload)
        if n < 21 or payload[:4] != _MIPUSH_MAGIC or be32(payload, 4) != n - 12:
            return False
        return be16(payload, 10) + be32(payload, 12) + 8 == n - 12 and payload[16] == 0x08

    def __init__(self, proto: int) -> None:
        super().__init__(proto)
        self._reads = 0

    def feed(self, data: bytes, from_orig: bool, ts_ns: int) -> list[Event]:
        """The client's first message: the server it connects to."""
        self._reads += 1
        self.done = from_orig or self._reads >= _MIPUSH_READS
        if from_orig and len(data) >= 16 and data[:4] == _MIPUSH_MAGIC:
            start = 16 + be16(data, 10)
            raw = _protobuf_string(data, start, min(len(data), start + be32(data, 12)), 7)
            if raw is not None:
                host, colon, port = raw.rpartition(b":")
                self.server_name = host_name(host if colon and port.isdigit() else raw)
        return []


_MIPUSH_READS = 4
"""Messages a MiPush flow's dissector reads for the client's first one. Reason: a capture
may start with the server's messages; the client's comes within the first exchange."""


def _protobuf_string(data: bytes, pos: int, end: int, wanted: int) -> bytes | None:
    """The first length-delimited field numbered ``wanted`` of the protobuf message in
    ``data[pos:end]`` (wire format: key varint, then a varint, 8 bytes, a varint length and
    bytes, or 4 bytes), or None (absent, or the walk fails)."""
    for _ in range(64):
        key, pos = varint(data, pos, 2)
        if key < 0 or pos >= end:
            return None
        kind = key & 7
        if kind == 0:
            _, pos = varint(data, pos, 10)
        elif kind == 1 or kind == 5:
            pos += 8 if kind == 1 else 4
        elif kind == 2:
            size, pos = varint(data, pos, 3)
            if size < 0 or pos + size > end:
                return None
            if key >> 3 == wanted:
                return data[pos : pos + size]
            pos += size
        else:
            return None
        if pos < 0 or pos >= end:
            return None
    return None


# --- Nest Weave over TCP (OpenWeave message layer: WeaveMessageLayer header) ----------------

_WEAVE_RESERVED = 0x000F
"""Header field bits that must be zero (the reserved flag bits)."""
_WEAVE_SOURCE, _WEAVE_DEST = 0x0200, 0x0100
"""Header flags: the source / destination node id (8 bytes each) is present."""
_WEAVE_VENDORS = (0x0000, 0x235A)
"""Profile vendor ids accepted: the common Weave profiles and Nest Labs' own."""
_WEAVE_HMAC = 20
"""HMAC-SHA-1 integrity check after an AES-128-CTR encrypted payload."""


class NestWeaveDissector(SignatureDissector):
    """Nest Weave messages over TCP (11095): the Nest log sink and the Nest service front
    ends. nDPI names these flows NestLogSink (the port and the log sink's addresses); the
    content is Weave's, whichever Nest service the device talks to.

    Source: the Weave message layer as published in OpenWeave (Nest Labs' open-source Weave
    stack): over TCP each message is prefixed with its length (u16, little-endian); the
    message header is a u16 header field (flags, encryption type in bits 4-7, message
    version in bits 12-15), a u32 message id, the source and destination node ids (u64
    each) when flagged, a u16 key id when encrypted; then the exchange header (version and
    flags byte, message type, u16 exchange id, u32 profile id, a u32 acknowledged message
    id when flagged). ``matches``: the length prefix equals the segment's length minus 2;
    the header field's reserved bits 0-3 are zero, its encryption type is 0 (none) or 1
    (AES-128-CTR with HMAC-SHA-1), its version 1 or 2; unencrypted: the exchange header
    fits, its version nibble is 1 and its reserved flag bit (0x8) zero, its profile's
    vendor is 0 (common profiles) or 0x235A (Nest Labs); encrypted: a nonzero key id and
    room for an exchange header and the 20-byte HMAC.
    """

    name: ClassVar[str] = "nest_weave"
    transports: ClassVar[frozenset[int]] = TCP_ONLY
    ports: ClassVar[frozenset[int]] = frozenset((11095,))
    first_bytes: ClassVar[frozenset[int] | None] = None
    """Any: the length prefix's low byte (the screen holds the header field's bytes)."""
    screens: ClassVar[Mapping[int, tuple[Screen, ...]]] = {IPPROTO_TCP: (
        Screen(16, values=((2, frozenset((0x00, 0x10))), (3, frozenset(range(0x10, 0x30)))),
               length=(0, 2, "little", 2)),
    )}  # fmt: skip

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """Length prefix, header field, then the exchange header or the encrypted part."""
        n = len(payload)
        if n < 16 or le16(payload, 0) != n - 2:
            return False
        header = le16(payload, 2)
        encryption, version = (header >> 4) & 0xF, header >> 12
        if header & _WEAVE_RESERVED or encryption > 1 or version not in (1, 2):
            return False
        pos = 8 + (8 if header & _WEAVE_SOURCE else 0) + (8 if header & _WEAVE_DEST else 0)
        if encryption:
            return pos + 2 + 8 + _WEAVE_HMAC <= n and be16(payload, pos) != 0
        if pos + 8 > n:
            return False
        flags = payload[pos]
        if flags >> 4 != 1 or flags & 0x8 or le16(payload, pos + 6) not in _WEAVE_VENDORS:
            return False
        return pos + 8 + (4 if flags & 0x2 else 0) <= n


# --- AliCloud (observed constant fields) ----------------------------------------------------

_ALI_MAGIC = b"\xce\xfa\xbe\xba"
"""0xBABEFACE, little-endian."""
_ALI_MAX_BODY = 0xFFFF
"""Largest body length accepted (observed: 48 to 208 bytes)."""


class AliCloudDissector(SignatureDissector):
    """The AliCloud service's framed messages (TCP 8999), as nDPI labels them.

    No public specification: the facts are those every observed message shares. An 8-byte
    header: the magic :data:`_ALI_MAGIC`, then the length of the body that follows (u32,
    little-endian). ``matches``: the magic; a body length from 1 to 65535; the segment is
    the header alone (the client sends it in a segment of its own, 8 bytes exactly) or
    the header and the whole body, nothing after.
    """

    name: ClassVar[str] = "alicloud"
    transports: ClassVar[frozenset[int]] = TCP_ONLY
    ports: ClassVar[frozenset[int]] = frozenset((8999,))
    first_bytes: ClassVar[frozenset[int] | None] = frozenset((0xCE,))
    """``matches``: the magic's first byte."""

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """Magic, a bounded body length, header alone or whole message."""
        n = len(payload)
        if n < 8 or payload[:4] != _ALI_MAGIC:
            return False
        size = le32(payload, 4)
        return 1 <= size <= _ALI_MAX_BODY and n in (8, 8 + size)


# --- HP_VIRTGRP (observed constant fields) --------------------------------------------------

_HPV_SIZES = {0x16: 132, 0x17: 52}
"""Message type -> exact size: 0x16 the client's key message (a 128-byte value after the
header), 0x17 the server's answer (48 bytes)."""


class HpVirtgrpDissector(SignatureDissector):
    """The HP_VIRTGRP service's opening messages (TCP 5223), as nDPI labels them.

    No public specification: the facts are those every observed opening message shares. A
    4-byte header: a type byte, the message's total length (u16, big-endian), a zero byte.
    ``matches``: type 0x16 (client) or 0x17 (server); the length equals the segment's
    length and the size fixed for the type (:data:`_HPV_SIZES`); the fourth byte zero. The
    data messages that follow (type 0x30) carry no fixed byte beyond their length: not
    claimed.
    """

    name: ClassVar[str] = "hp_virtgrp"
    transports: ClassVar[frozenset[int]] = TCP_ONLY
    ports: ClassVar[frozenset[int]] = frozenset()
    """None: IANA's 5223 (hpvirtgrp) is in practice XMPP over TLS and Apple push, so a guess
    from it would misname those flows."""
    first_bytes: ClassVar[frozenset[int] | None] = frozenset(_HPV_SIZES)
    """``matches``: the two opening message types."""
    screens: ClassVar[Mapping[int, tuple[Screen, ...]]] = {IPPROTO_TCP: (
        Screen(52, values=((0, frozenset(_HPV_SIZES)),), equals=((3, b"\x00"),),
               length=(1, 2, "big", 0)),
    )}  # fmt: skip

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """Type, exact total length of that type, zero byte."""
        n = len(payload)
        return (n >= 4 and _HPV_SIZES.get(payload[0]) == n and be16(payload, 1) == n
                and payload[3] == 0)


# --- SoftEther VPN NAT traversal (SoftEther VPN's PACK serialisation) -----------------------

_PACK_TYPES = (4, None, None, None, 8)
"""PACK value types -> fixed value size: 0 int (4 bytes), 1 data, 2 ANSI string, 3 Unicode
(UTF-8) string (these three: a u32 size then the bytes), 4 int64 (8 bytes)."""
_PACK_MAX_ELEMENTS = 32
_PACK_MAX_VALUES = 16
"""Most elements, and values per element, walked (a NAT traversal pack has about ten)."""
_PACK_NAME = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")
_PACK_MAX_NAME = 63
"""Longest element name accepted (SoftEther caps names at 63 characters)."""


def _pack_walk(payload: bytes) -> bool:
    """A whole PACK: u32 element count 1-32; per element a u32 name size (name length + 1)
    and the name (1-63 letters, digits, underscores), a u32 type 0-4, a u32 value count
    1-16 and the values; ending exactly with the payload (all integers big-endian)."""
    n = len(payload)
    count = be32(payload, 0)
    if not 1 <= count <= _PACK_MAX_ELEMENTS:
        return False
    pos = 4
    for _ in range(count):
        if pos + 4 > n:
            return False
        size = be32(payload, pos) - 1
        end = pos + 4 + size
        if not 1 <= size <= _PACK_MAX_NAME or end + 8 > n:
            return False
        if any(b not in _PACK_NAME for b in payload[pos + 4 : end]):
            return False
        kind, values = be32(payload, end), be32(payload, end + 4)
        if kind > 4 or not 1 <= values <= _PACK_MAX_VALUES:
            return False
        pos = end + 8
        fixed = _PACK_TYPES[kind]
        for _ in range(values):
            if fixed is not None:
                pos += fixed
            elif pos + 4 > n:
                return False
            else:
                pos += 4 + be32(payload, pos)
            if pos > n:
                return False
    return pos == n


class SoftEtherDissector(SignatureDissector):
    """SoftEther VPN's NAT traversal over UDP (5004): the exchanges with the NAT traversal
    servers that let a VPN server behind NAT be reached.

    Sources: SoftEther VPN's open-source PACK serialisation (a u32 element count; per
    element a name, a type, a value count and the values; every integer big-endian) and
    the NAT traversal servers' plain answer to a client's probe, ``IP=<address>,PORT=<port>``
    (the client's public address and port as seen by the server). ``matches``: a whole
    PACK as :func:`_pack_walk` checks it (count 1-32, names of 1-63 letters, digits and
    underscores with their size stored as length + 1, types 0-4, 1-16 values each, ending
    exactly with the datagram), or the text ``IP=`` + an IPv4 or IPv6 address + ``,PORT=``
    + a port number 0-65535, nothing after. The client's one-byte probe is not claimed.
    """

    name: ClassVar[str] = "softether"
    transports: ClassVar[frozenset[int]] = UDP_ONLY
    ports: ClassVar[frozenset[int]] = frozenset()
    """None: SoftEther's NAT traversal port 5004 is IANA's RTP port (avt-profile-1), so a
    guess from it would misname media flows."""
    first_bytes: ClassVar[frozenset[int] | None] = frozenset((0x00, ord("I")))
    """``matches``: a PACK's element count high byte, the ``I`` of ``IP=``."""
    screens: ClassVar[Mapping[int, tuple[Screen, ...]]] = {IPPROTO_UDP: (
        Screen(21, equals=((0, b"\x00\x00\x00"),)),
        Screen(17, equals=((0, b"IP="),)),
    )}  # fmt: skip

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """A whole PACK or the address answer."""
        n = len(payload)
        if n >= 21 and payload[:3] == b"\x00\x00\x00":
            return _pack_walk(payload)
        if not 17 <= n <= 64 or payload[:3] != b"IP=":
            return False
        address, sep, port = payload[3:].partition(b",PORT=")
        return bool(sep) and _is_address(address) and _is_port(port)


# --- Zoom multimedia router session setup (observed constant fields) ------------------------

_ZOOM_HEAD = b"\x00\x03"
"""Bytes 1-2 of both session setup messages."""
_ZOOM_REQ_FIXED = b"\x00" * 7 + b"\x02"
"""Bytes 19-26 of the request."""
_ZOOM_KEY_SIZE = b"\x00\x00\x00\x40"
"""Bytes 35-38 of the request: the size of the 64-byte value that follows."""
_ZOOM_REQ_TAIL = bytes.fromhex("00400040000075300001000300022000")
"""Bytes 107-122 of the request, after the 64-byte value and 4 variable bytes."""
_ZOOM_RESP_TAIL = bytes.fromhex("0000000000000000004000400003e00300")
"""Bytes 27-43 of the response (it is exactly 44 bytes)."""
_ZOOM_REQ_MAX = 160
"""Longest request accepted (observed: 123 and 125 bytes)."""


class ZoomDissector(SignatureDissector):
    """Zoom's session setup with its multimedia routers (UDP 8801-8810), the first
    exchange of a meeting's media flows.

    No public specification: the facts are those every observed setup request and response
    shares (the capture holds three sessions). ``matches``:

    - request (type 0x01): ``00 03``, a 16-byte session identifier, the 8 bytes
      :data:`_ZOOM_REQ_FIXED`, a 4-byte value repeated right after itself, the size 64
      (:data:`_ZOOM_KEY_SIZE`) then 64 bytes, 4 variable bytes and the 16 bytes
      :data:`_ZOOM_REQ_TAIL`; 123-160 bytes in all;
    - response (type 0x02): ``00 03``, the 16-byte identifier, two 4-byte values and the
      17 bytes :data:`_ZOOM_RESP_TAIL`; exactly 44 bytes.

    The media datagrams that follow (type 0x05 and others) carry sequence numbers and
    ciphertext but too few constant bytes: not claimed.
    """

    name: ClassVar[str] = "zoom"
    transports: ClassVar[frozenset[int]] = UDP_ONLY
    ports: ClassVar[frozenset[int]] = frozenset(range(8801, 8811))
    first_bytes: ClassVar[frozenset[int] | None] = frozenset((0x01, 0x02))
    """``matches``: the two message types."""
    screens: ClassVar[Mapping[int, tuple[Screen, ...]]] = {IPPROTO_UDP: (
        Screen(123, equals=((0, b"\x01" + _ZOOM_HEAD), (19, _ZOOM_REQ_FIXED),
                            (35, _ZOOM_KEY_SIZE))),
        Screen(44, equals=((0, b"\x02" + _ZOOM_HEAD), (27, _ZOOM_RESP_TAIL))),
    )}  # fmt: skip

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """Request or response with their constant fields."""
        n = len(payload)
        if n < 44 or payload[1:3] != _ZOOM_HEAD:
            return False
        if payload[0] == 0x02:
            return n == 44 and payload[27:] == _ZOOM_RESP_TAIL
        return (payload[0] == 0x01 and 123 <= n <= _ZOOM_REQ_MAX
                and payload[19:27] == _ZOOM_REQ_FIXED and payload[27:31] == payload[31:35]
                and payload[35:39] == _ZOOM_KEY_SIZE and payload[107:123] == _ZOOM_REQ_TAIL)


# --- EAQ (observed constant fields) ---------------------------------------------------------

_EAQ_PREFIX = b"\x00\x00\x00\x00\x00\x00\x0d\xda"
_EAQ_KINDS = (b"\x00\x00\x90\x00", b"\x00\x00\x60\x00")
"""The last 4 bytes of a probe (0x9000) and of its echo (0x6000)."""
_EAQ_SIZE = 16


class EaqDissector(SignatureDissector):
    """EAQ, the Brazilian broadband quality measurement's UDP probes (UDP 6000).

    No public specification: the facts are those every observed probe and echo shares.
    ``matches``: exactly 16 bytes; six zero bytes and 0x0dda (:data:`_EAQ_PREFIX`); 4
    variable bytes (a probe number, echoed); then ``00 00 90 00`` (probe) or ``00 00 60 00``
    (echo).
    """

    name: ClassVar[str] = "eaq"
    transports: ClassVar[frozenset[int]] = UDP_ONLY
    ports: ClassVar[frozenset[int]] = frozenset((6000,))
    first_bytes: ClassVar[frozenset[int] | None] = frozenset((0x00,))
    """``matches``: the first zero byte."""
    screens: ClassVar[Mapping[int, tuple[Screen, ...]]] = {IPPROTO_UDP: (
        Screen(_EAQ_SIZE, equals=((0, _EAQ_PREFIX), (12, b"\x00\x00")),
               values=((14, frozenset((0x90, 0x60))), (15, frozenset((0x00,))))),
    )}  # fmt: skip

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """Prefix, kind, exact size."""
        return (len(payload) == _EAQ_SIZE and payload[:8] == _EAQ_PREFIX
                and payload[12:] in _EAQ_KINDS)


# --- the MGLNDD probe (nDPI's RipeAtlas; public descriptions of the probe) ------------------

_MGLNDD = b"MGLNDD_"
_MGLNDD_MAX = 7 + 45 + 1 + 5 + 2
"""Longest probe: prefix, an IPv6 address in text, ``_``, a port, CR LF."""


class RipeAtlasProbeDissector(SignatureDissector):
    """The ``MGLNDD_`` measurement probe (any port, UDP and TCP), which nDPI names
    RipeAtlas.

    Source: public descriptions of the probe (an Internet-wide measurement scanner's
    payload, the ASCII text ``MGLNDD_<target address>_<target port>`` optionally ended by a
    line end, expecting no protocol answer). ``matches``: the prefix ``MGLNDD_``, an IPv4
    or IPv6 address in text, ``_``, a port number 0-65535, then nothing or ``\\n`` or
    ``\\r\\n``. The address is the target's as the scanner saw it (translated or
    anonymised addresses differ from the flow's): it is not compared with the flow.
    """

    name: ClassVar[str] = "ripe_atlas"
    transports: ClassVar[frozenset[int]] = TCP_AND_UDP
    ports: ClassVar[frozenset[int]] = frozenset()
    first_bytes: ClassVar[frozenset[int] | None] = frozenset((ord("M"),))
    """``matches``: the ``M`` of ``MGLNDD_``."""
    screens: ClassVar[Mapping[int, tuple[Screen, ...]]] = {
        IPPROTO_UDP: (Screen(16, equals=((0, _MGLNDD),)),)}

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """Prefix, address, port, optional line end."""
        if not 16 <= len(payload) <= _MGLNDD_MAX or payload[:7] != _MGLNDD:
            return False
        text = payload[7:]
        if text.endswith(b"\n"):
            text = text[:-2] if text.endswith(b"\r\n") else text[:-1]
        address, sep, port = text.rpartition(b"_")
        return bool(sep) and _is_address(address) and _is_port(port)


MESSAGING_SIGNATURES: tuple[type[Dissector], ...] = (
    XiaomiPushDissector,  # 4-byte magic, exact lengths that add up
    NestWeaveDissector,  # exact length, header field bits, exchange header
    ZoomDissector,  # 30+ constant bytes at fixed offsets, exact sizes
    WhatsAppDissector,  # prologue + exact frame walk; the 4-byte edge header alone
    SoftEtherDissector,  # exact PACK walk, or the address answer's text
    RipeAtlasProbeDissector,  # 7-byte prefix, address, port
    EaqDissector,  # 10 fixed bytes in an exact 16-byte size
    AliCloudDissector,  # 4-byte magic, length alone or exact
    HpVirtgrpDissector,  # type, exact fixed size, zero byte
)
"""This module's signatures in priority order (strictest first)."""
