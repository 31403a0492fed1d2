"""Content signatures of network infrastructure over UDP (and SLP over TCP).

Identification only (see :mod:`wirelens.dissect.signatures_base`). Every ``matches`` is a
few bounded comparisons on the first payload of one direction, never raises, and checks the
spec facts listed in its class docstring:

- RADIUS (RFC 2865 §3 and §5, RFC 2866, RFC 5176): :class:`RadiusDissector`;
- NetFlow v5, NetFlow v9 (RFC 3954) and IPFIX (RFC 7011) export: :class:`NetflowDissector`;
- collectd's binary network protocol: :class:`CollectdDissector`;
- GTP control plane, GTPv1-C (3GPP TS 29.060) and GTPv2-C (TS 29.274):
  :class:`GtpControlDissector`;
- Service Location Protocol v2 (RFC 2608 §8) and v1 (RFC 2165 §7): :class:`SlpDissector`;
- BFD control packets (RFC 5880 §4): :class:`BfdDissector`;
- HSRP version 0/1 (RFC 2281 §5) and the version 2 TLV form: :class:`HsrpDissector`;
- TFTP requests and option acknowledgements (RFC 1350 §5, RFC 2347): :class:`TftpDissector`;
- MGCP commands (RFC 3435 §3.2.1): :class:`MgcpDissector`;
- NAT-PMP (RFC 6886 §3) and PCP (RFC 6887 §7): :class:`NatPmpDissector`.

Walks over attributes, parts, sets or TLVs stop after a named number of items (the
``_MAX_*`` constants), so the cost of ``matches`` is bounded whatever the datagram holds;
text is read within :data:`~wirelens.dissect.signatures_base.MAX_SCAN` bytes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from wirelens.dissect.base import IPPROTO_TCP, IPPROTO_UDP, Dissector, Event, Screen
from wirelens.dissect.signatures_base import (
    MAX_SCAN,
    TCP_AND_UDP,
    UDP_ONLY,
    SignatureDissector,
    be16,
    be32,
)

__all__ = [
    "NET_SIGNATURES",
    "BfdDissector",
    "CollectdDissector",
    "GtpControlDissector",
    "HsrpDissector",
    "MgcpDissector",
    "NatPmpDissector",
    "NetflowDissector",
    "RadiusDissector",
    "SlpDissector",
    "TftpDissector",
]


# --- RADIUS (RFC 2865 §3, §5; RFC 2866 §3; RFC 5176 §3) -------------------------------------

_RADIUS_CODES = frozenset((1, 2, 3, 4, 5, 11, 12, 13, 40, 41, 42, 43, 44, 45))
"""RFC 2865 §3: Access-Request 1, -Accept 2, -Reject 3, Access-Challenge 11, Status-Server
12, Status-Client 13; RFC 2866 §3: Accounting-Request 4, -Response 5; RFC 5176 §3:
Disconnect-Request 40, -ACK 41, -NAK 42, CoA-Request 43, -ACK 44, -NAK 45."""
_RADIUS_MIN, _RADIUS_MAX = 20, 4096
"""RFC 2865 §3: a packet is 20 to 4096 bytes long."""
_RADIUS_FIXED = {4: 6, 5: 6, 6: 6, 7: 6, 8: 6, 40: 6, 80: 18}
"""Attributes of a fixed size (RFC 2865 §5.4-5.8 NAS-IP-Address, NAS-Port, Service-Type,
Framed-Protocol, Framed-IP-Address: 4-byte values; RFC 2866 §5.1 Acct-Status-Type; RFC 3579
§3.2 Message-Authenticator: a 16-byte value)."""
_RADIUS_MAX_ATTRIBUTES = 160
"""Attributes walked. Reason: bounds ``matches``; real packets carry fewer than 60."""


class RadiusDissector(SignatureDissector):
    """RADIUS authentication, accounting and dynamic authorization (UDP 1812, 1813, 1645,
    1646, 3799).

    ``matches``: a code of :data:`_RADIUS_CODES` (RFC 2865 §3); the length field (bytes
    2-3) equals the datagram's length, between 20 and 4096 (RFC 2865 §3); after the 16-byte
    authenticator, attributes (type, length, value; RFC 2865 §5) fill the datagram exactly:
    each type nonzero (0 is unassigned), each length at least 2, the fixed-size attributes
    of :data:`_RADIUS_FIXED` with their size; at most :data:`_RADIUS_MAX_ATTRIBUTES` of
    them. A bare 20-byte header (an Access-Reject without attributes) is accepted. RADIUS
    over TCP (RFC 6613) runs inside TLS and is not claimed.
    """

    name: ClassVar[str] = "radius"
    transports: ClassVar[frozenset[int]] = UDP_ONLY
    ports: ClassVar[frozenset[int]] = frozenset((1812, 1813, 1645, 1646, 3799))
    first_bytes: ClassVar[frozenset[int] | None] = _RADIUS_CODES
    """``matches``: the code byte is one of :data:`_RADIUS_CODES`."""
    screens: ClassVar[Mapping[int, tuple[Screen, ...]]] = {IPPROTO_UDP: (
        Screen(_RADIUS_MIN, values=((0, _RADIUS_CODES),), length=(2, 2, "big", 0)),)}

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """Code, exact length, then the attribute walk to the exact end."""
        n = len(payload)
        if n < _RADIUS_MIN or n > _RADIUS_MAX or be16(payload, 2) != n:
            return False
        if payload[0] not in _RADIUS_CODES:
            return False
        pos = _RADIUS_MIN
        for _ in range(_RADIUS_MAX_ATTRIBUTES):
            if pos == n:
                return True
            if pos + 2 > n:
                return False
            kind, size = payload[pos], payload[pos + 1]
            if kind == 0 or size < 2 or _RADIUS_FIXED.get(kind, size) != size:
                return False
            pos += size
        return pos == n


# --- NetFlow v5, v9 (RFC 3954) and IPFIX (RFC 7011) ------------------------------------------

_NF5_HEADER, _NF5_RECORD, _NF5_MAX_COUNT = 24, 48, 30
"""NetFlow v5 export (Cisco's published format): a 24-byte header (version, count, sysUptime,
unix_secs, unix_nsecs, flow_sequence, engine type/id, sampling) and ``count`` 48-byte
records, 1 to 30 per datagram."""
_NF9_HEADER = 20
"""RFC 3954 §5.1: version, count, sysUpTime, UNIX secs, sequence number, source id."""
_IPFIX_HEADER = 16
"""RFC 7011 §3.1: version, length, export time, sequence number, observation domain id."""
_MAX_SETS = 64
"""FlowSets / Sets walked. Reason: bounds ``matches``; exporters pack a few per message."""


def _nf_sets(p: bytes, pos: int, end: int, template: int, options: int) -> bool:
    """FlowSets (RFC 3954 §5.2-5.3) or Sets (RFC 7011 §3.3.2) from ``pos`` to exactly
    ``end``: each at least 4 bytes (id, length); ids ``template``, ``options`` or >= 256 (data;
    the values between are reserved); a template set's first template has an id >= 256 and
    at least one field (RFC 3954 §5.2, RFC 7011 §3.4.1)."""
    for _ in range(_MAX_SETS):
        if pos == end:
            return True
        if pos + 4 > end:
            return False
        set_id, size = be16(p, pos), be16(p, pos + 2)
        if size < 4 or pos + size > end:
            return False
        if set_id == template:
            if size < 8 or be16(p, pos + 4) < 256 or be16(p, pos + 6) == 0:
                return False
        elif set_id != options and set_id < 256:
            return False
        pos += size
    return False


class NetflowDissector(SignatureDissector):
    """Flow export: NetFlow v5, NetFlow v9, IPFIX (UDP 2055, 2056, 4739, 9995, 9996).

    ``matches``, by the version in bytes 0-1:

    - 5: ``count`` (bytes 2-3) is 1 to 30 and the datagram is exactly 24 + 48 * count bytes;
    - 9 (RFC 3954 §5.1): ``count`` is nonzero and the FlowSets after the 20-byte header walk
      exactly to the end of the datagram (:func:`_nf_sets`, template FlowSet id 0, options
      template 1, data >= 256);
    - 10, IPFIX (RFC 7011 §3.1): the length field (bytes 2-3) equals the datagram's length
      and the Sets after the 16-byte header walk exactly to it (template Set id 2, options
      template 3, data >= 256).

    IPFIX over TCP or SCTP and NetFlow v1/v7/v8 are not claimed.
    """

    name: ClassVar[str] = "netflow"
    transports: ClassVar[frozenset[int]] = UDP_ONLY
    ports: ClassVar[frozenset[int]] = frozenset((2055, 2056, 4739, 9995, 9996))
    first_bytes: ClassVar[frozenset[int] | None] = frozenset((0,))
    """``matches``: the version is 5, 9 or 10 (a big-endian u16: byte 0 is zero)."""
    screens: ClassVar[Mapping[int, tuple[Screen, ...]]] = {IPPROTO_UDP: (
        Screen(_NF5_HEADER + _NF5_RECORD, equals=((0, b"\x00\x05\x00"),),
               values=((3, frozenset(range(1, _NF5_MAX_COUNT + 1))),)),
        Screen(_NF9_HEADER + 4, equals=((0, b"\x00\x09"),)),
        Screen(_IPFIX_HEADER, equals=((0, b"\x00\x0a"),), length=(2, 2, "big", 0)))}

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """Version, then the v5 size rule, or the set walk of v9 / IPFIX."""
        n = len(payload)
        if n < _IPFIX_HEADER or payload[0] != 0:
            return False
        version, count = payload[1], be16(payload, 2)
        if version == 10:
            return count == n > _IPFIX_HEADER and _nf_sets(payload, _IPFIX_HEADER, n, 2, 3)
        if version == 9:
            return count > 0 and n > _NF9_HEADER and _nf_sets(payload, _NF9_HEADER, n, 0, 1)
        if version == 5:
            return 0 < count <= _NF5_MAX_COUNT and n == _NF5_HEADER + _NF5_RECORD * count
        return False


# --- collectd binary network protocol (collectd's "Binary protocol" documentation) -----------

_CD_STRINGS = frozenset((0x0000, 0x0002, 0x0003, 0x0004, 0x0005, 0x0100))
"""String parts: host, plugin, plugin instance, type, type instance, message: the value is a
NUL-terminated string."""
_CD_NUMBERS = frozenset((0x0001, 0x0007, 0x0008, 0x0009, 0x0101))
"""Numeric parts: time, interval, high-resolution time and interval, severity: an 8-byte
value (a 12-byte part)."""
_CD_VALUES = 0x0006
"""Values part: a u16 count, ``count`` data-source type bytes (0 counter, 1 gauge, 2 derive,
3 absolute), then ``count`` 8-byte values: 6 + 9 * count bytes."""
_CD_SIGNATURE = 0x0200
"""Signature part: a 32-byte HMAC-SHA-256, then the user name (the rest of the part)."""
_CD_ENCRYPTION = 0x0210
"""Encryption part: a u16 user name length, the user name, a 16-byte IV, then the encrypted
parts (behind a 20-byte SHA-1): it covers the rest of the datagram."""
_CD_MAX_PARTS = 256
"""Parts walked. Reason: bounds ``matches``; a default 1452-byte datagram holds fewer."""
_CD_MAX_NAME = 255
"""Host and user names checked byte by byte are at most this long (longer: refused)."""


def _cd_text(p: bytes, start: int, end: int) -> bool:
    """``p[start:end]`` is nonempty printable ASCII without spaces (a host or user name)."""
    if not 0 < end - start <= _CD_MAX_NAME:
        return False
    return all(0x20 < b < 0x7F for b in p[start:end])


def _cd_parts(p: bytes, pos: int) -> bool:
    """Parts (type, length including the 4-byte header, value) from ``pos`` to exactly the
    end of ``p``, each of a known type with the size its type demands."""
    n = len(p)
    for _ in range(_CD_MAX_PARTS):
        if pos == n:
            return True
        if pos + 4 > n:
            return False
        kind, size = p[pos] << 8 | p[pos + 1], p[pos + 2] << 8 | p[pos + 3]
        end = pos + size
        if size < 5 or end > n:
            return False
        if kind in _CD_STRINGS:
            if p[end - 1] != 0:
                return False
        elif kind in _CD_NUMBERS:
            if size != 12:
                return False
        elif kind == _CD_VALUES:
            count = be16(p, pos + 4) if size >= 6 else 0
            if count == 0 or size != 6 + 9 * count:
                return False
            if max(p[pos + 6 : pos + 6 + count]) > 3:
                return False
        else:
            return False
        pos = end
    return False


class CollectdDissector(SignatureDissector):
    """collectd's binary network protocol (UDP 25826).

    ``matches``: the datagram is a sequence of parts (u16 type, u16 length counting the
    4-byte header, value) that ends exactly at the end of the datagram. The first part is
    what collectd's writer puts first: the host (type 0x0000, a printable name, NUL
    terminated), a signature (0x0200: 32-byte HMAC then a printable user name; the signed
    parts follow) or an encryption part (0x0210: its length is the datagram's, a u16 user
    name length, a printable user name, a 16-byte IV and at least a 20-byte SHA-1 hash:
    what follows is ciphertext). Every other part is of a known type with the size it
    demands (:data:`_CD_STRINGS` NUL terminated, :data:`_CD_NUMBERS` 12 bytes,
    :data:`_CD_VALUES` 6 + 9 * count bytes with data-source types 0-3); at most
    :data:`_CD_MAX_PARTS` parts.
    """

    name: ClassVar[str] = "collectd"
    transports: ClassVar[frozenset[int]] = UDP_ONLY
    ports: ClassVar[frozenset[int]] = frozenset((25826,))
    first_bytes: ClassVar[frozenset[int] | None] = frozenset((0x00, 0x02))
    """``matches``: the first part is a host (0x0000), signature (0x0200) or encryption
    (0x0210) part."""
    screens: ClassVar[Mapping[int, tuple[Screen, ...]]] = {IPPROTO_UDP: (
        Screen(6, equals=((0, b"\x00\x00"),), values=((2, frozenset((0, 1))),)),  # host <= 255
        Screen(37, equals=((0, b"\x02\x00"),)),
        Screen(43, equals=((0, b"\x02\x10"),), length=(2, 2, "big", 0)))}

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """The first part by type, then the part walk to the exact end."""
        n = len(payload)
        if n < 6:
            return False
        kind, size = be16(payload, 0), be16(payload, 2)
        if kind == 0x0000:
            return size <= n and _cd_text(payload, 4, size - 1) and _cd_parts(payload, 0)
        if kind == _CD_SIGNATURE:
            return 36 < size < n and _cd_text(payload, 36, size) and _cd_parts(payload, size)
        if kind == _CD_ENCRYPTION and size == n:
            user = be16(payload, 4)
            return n >= 6 + user + 16 + 20 and _cd_text(payload, 6, 6 + user)
        return False


# --- GTP control plane (3GPP TS 29.060 §6, TS 29.274 §5) -------------------------------------

_GTP1C_TYPES = frozenset((
    16, 17, 18, 19, 20, 21, 22, 23, 27, 28, 29, 30, 32, 33, 34, 35, 36, 37,
    *range(48, 63), 70, *range(96, 106), *range(112, 122), 128, 129))
"""TS 29.060 §7.1 Table 1, GTP-C messages: PDP context (16-23), PDU notification (27-30),
location management (32-37), mobility management (48-62), RAN information relay (70), MBMS
(96-105, 112-121) and MS info change (128, 129). Echo (1, 2), Version Not Supported (3) and
Supported Extension Headers Notification (31) are left out: GTP-U (TS 29.281 §7) sends them
too; so are the GTP-U messages (26, 254, 255) and GTP' (4-6, 240, 241)."""
_GTP1C_FIRST_BYTES = frozenset((0x32, 0x33, 0x36, 0x37))
"""Byte 0 of GTPv1-C: version 1, protocol type 1, spare 0, S = 1 (TS 29.060 §6.1: control
plane messages always carry a sequence number), E and PN free."""
_GTP2C_TYPES = frozenset((
    1, 2, 3, *range(32, 42), *range(64, 74), *range(95, 106), *range(128, 142),
    *range(149, 172), *range(176, 182), 200, 201, 211, 212, *range(231, 237)))
"""TS 29.274 §6.1 Table 6.1-1: path management (1-3), tunnel management (32-41, 95-105),
commands and indications (64-73), mobility management (128-141, 149-171), downlink data
notification and restart (176-181), PDN connection set (200, 201), access bearers (211,
212), MBMS (231-236)."""
_GTP2C_FIRST_BYTES = frozenset(0x40 | p | t | mp for p in (0, 0x10) for t in (0, 0x08)
                               for mp in (0, 0x04))
"""Byte 0 of GTPv2-C: version 2, P (piggybacking) 0x10, T (TEID present) 0x08, MP (message
priority) 0x04, the two spare bits zero (TS 29.274 §5.1)."""
_GTP2C_MAX_IES = 64
"""Information elements walked per message. Reason: bounds ``matches``."""


def _gtp2c_message(p: bytes, pos: int, last: bool) -> int:
    """The GTPv2-C message at ``pos``: its end, or -1. Header (TS 29.274 §5.1): flags
    (:data:`_GTP2C_FIRST_BYTES`, P clear when ``last``), a type of :data:`_GTP2C_TYPES`
    (Echo and Version Not Supported without TEID, every other type with one: §5.5.1 and
    §5.5.2), the length of what follows the first 4 bytes, the TEID when T is set, a 3-byte
    sequence number and a spare byte (zero unless MP gives a priority in its high nibble);
    then IEs (type nonzero, u16 length, spare/instance, value; §8.2.1) filling the message
    exactly."""
    n = len(p)
    if n - pos < 8:
        return -1
    flags, kind = p[pos], p[pos + 1]
    if flags not in _GTP2C_FIRST_BYTES or kind not in _GTP2C_TYPES or (last and flags & 0x10):
        return -1
    head = 12 if flags & 0x08 else 8
    end = pos + 4 + be16(p, pos + 2)
    if end - pos < head or end > n or (kind <= 3) == bool(flags & 0x08):
        return -1
    if p[pos + head - 1] & (0x0F if flags & 0x04 else 0xFF):
        return -1
    at = pos + head
    for _ in range(_GTP2C_MAX_IES):
        if at == end:
            return end
        if at + 4 > end or p[at] == 0:
            return -1
        at += 4 + be16(p, at + 1)
    return -1


class GtpControlDissector(SignatureDissector):
    """GTP control plane: GTPv1-C and GTPv2-C (UDP 2123).

    ``matches``:

    - GTPv1-C (TS 29.060 §6): byte 0 is version 1, protocol type 1, spare 0 and S set
      (:data:`_GTP1C_FIRST_BYTES`); the type is a control-plane message
      (:data:`_GTP1C_TYPES`); the length field equals the datagram's length minus 8 and
      covers at least the 4 optional header bytes; with E clear, the next extension header
      type (byte 11) is zero; with E set, the extension headers (length in 4-byte units,
      nonzero) chain to a zero next type inside the message.
    - GTPv2-C (TS 29.274 §5): one message spanning the datagram, or a piggybacking message
      (P set) followed by one that ends it (:func:`_gtp2c_message`).

    GTP-U (UDP 2152, TS 29.281: T-PDU 255, End Marker 254, Error Indication 26, and its echo
    messages) is a tunnel the decode stage opens; it is never claimed. GTP' (charging,
    protocol type 0) is not claimed either.
    """

    name: ClassVar[str] = "gtp_c"
    transports: ClassVar[frozenset[int]] = UDP_ONLY
    ports: ClassVar[frozenset[int]] = frozenset((2123,))
    first_bytes: ClassVar[frozenset[int] | None] = _GTP1C_FIRST_BYTES | _GTP2C_FIRST_BYTES
    """``matches``: the flags byte of :data:`_GTP1C_FIRST_BYTES` or
    :data:`_GTP2C_FIRST_BYTES`."""
    screens: ClassVar[Mapping[int, tuple[Screen, ...]]] = {IPPROTO_UDP: (
        Screen(12, values=((0, _GTP1C_FIRST_BYTES), (1, _GTP1C_TYPES)),
               length=(2, 2, "big", 8)),
        Screen(8, values=((0, frozenset(b for b in _GTP2C_FIRST_BYTES if not b & 0x10)),
                          (1, _GTP2C_TYPES)), length=(2, 2, "big", 4)),
        Screen(16, values=((0, frozenset(b for b in _GTP2C_FIRST_BYTES if b & 0x10)),
                           (1, _GTP2C_TYPES))))}

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """The GTPv1-C header rules, or the GTPv2-C message walk."""
        n = len(payload)
        if n < 8:
            return False
        first = payload[0]
        if first in _GTP2C_FIRST_BYTES:
            if not first & 0x10:
                return _gtp2c_message(payload, 0, True) == n
            end = _gtp2c_message(payload, 0, False)  # piggybacking: one more message follows
            return 0 < end < n and _gtp2c_message(payload, end, True) == n
        if first not in _GTP1C_FIRST_BYTES or n < 12 or be16(payload, 2) != n - 8:
            return False
        if payload[1] not in _GTP1C_TYPES:
            return False
        if not first & 0x04:
            return payload[11] == 0
        pos, nxt = 12, payload[11]  # extension headers (TS 29.060 §6.1)
        for _ in range(8):
            if nxt == 0:
                return True
            if pos >= n or payload[pos] == 0 or pos + 4 * payload[pos] > n:
                return False
            pos += 4 * payload[pos]
            nxt = payload[pos - 1]
        return False


# --- Service Location Protocol (RFC 2608 §8 v2, RFC 2165 §7 v1) ------------------------------

_SLP2_FUNCTIONS = frozenset(range(1, 12))
"""RFC 2608 §8: SrvRqst 1, SrvRply 2, SrvReg 3, SrvDeReg 4, SrvAck 5, AttrRqst 6, AttrRply 7,
DAAdvert 8, SrvTypeRqst 9, SrvTypeRply 10, SAAdvert 11."""
_SLP1_FUNCTIONS = frozenset(range(1, 11))
"""RFC 2165 §7: the same functions 1-10 (no SAAdvert)."""
_SLP1_ENCODINGS = frozenset((3, 4, 106, 1000, 1001))
"""RFC 2165 §7 character encodings (IANA MIBenum): US-ASCII 3, ISO-8859-1 4, UTF-8 106,
UCS-2 1000, UCS-4 1001."""
_SLP_MAX_LANG = 64
"""Language tag bytes checked (RFC 1766 tags are short: ``en``, ``en-US``)."""
_LANG_BYTES = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-")


class SlpDissector(SignatureDissector):
    """Service Location Protocol (UDP and TCP 427).

    ``matches``: one whole message, its length field equal to the payload's length.

    - v2 (RFC 2608 §8): version 2, a function id 1-11, the 3-byte length, flags with only O,
      F and R possibly set (the other 13 bits are reserved, zero), a next-extension offset
      of 0 or inside the message past the header, then a language tag of 1 to 64 letters,
      digits and hyphens (RFC 1766) within the message.
    - v1 (RFC 2165 §7): version 1, a function 1-10, the 2-byte length, flags with the three
      reserved low bits zero, dialect 0, a two-letter lower-case language code and a
      character encoding of :data:`_SLP1_ENCODINGS`.
    """

    name: ClassVar[str] = "slp"
    transports: ClassVar[frozenset[int]] = TCP_AND_UDP
    ports: ClassVar[frozenset[int]] = frozenset((427,))
    first_bytes: ClassVar[frozenset[int] | None] = frozenset((1, 2))
    """``matches``: version 1 or 2 in byte 0."""
    screens: ClassVar[Mapping[int, tuple[Screen, ...]]] = {proto: (
        Screen(15, equals=((0, b"\x02"), (2, b"\x00")), length=(3, 2, "big", 0)),
        Screen(12, equals=((0, b"\x01"), (5, b"\x00")), length=(2, 2, "big", 0)))
        for proto in (IPPROTO_UDP, IPPROTO_TCP)}

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """The v2 or v1 header rules."""
        n = len(payload)
        if n < 12:
            return False
        if payload[0] == 2:
            if payload[1] not in _SLP2_FUNCTIONS or be32(payload, 1) & 0xFFFFFF != n:
                return False
            if payload[5] & 0x1F or payload[6]:
                return False
            lang = be16(payload, 12) if n >= 14 else 0
            if not 0 < lang <= _SLP_MAX_LANG or 14 + lang > n:
                return False
            ext = be32(payload, 6) & 0xFFFFFF
            if ext and not 14 + lang <= ext < n:
                return False
            return all(b in _LANG_BYTES for b in payload[14 : 14 + lang])
        if payload[0] == 1:
            return (payload[1] in _SLP1_FUNCTIONS and be16(payload, 2) == n
                    and not payload[4] & 0x07 and payload[5] == 0
                    and 0x61 <= payload[6] <= 0x7A and 0x61 <= payload[7] <= 0x7A
                    and be16(payload, 8) in _SLP1_ENCODINGS)
        return False


# --- BFD (RFC 5880 §4.1, §4.2-4.4; RFC 5881, 5883, 7130, 7880) ------------------------------

_BFD_FIRST_BYTES = frozenset(0x20 | diag for diag in range(9))
"""Byte 0: version 1 (top 3 bits) and a diagnostic code 0-8 (RFC 5880 §4.1: 9-31 are
reserved)."""
_BFD_AUTH_SIZES = {1: frozenset(range(4, 20)), 2: frozenset((24,)), 3: frozenset((24,)),
                   4: frozenset((28,)), 5: frozenset((28,))}
"""Authentication section length by type (RFC 5880 §4.2 simple password: 3 + 1..16 bytes;
§4.3 keyed / meticulous keyed MD5: 24; §4.4 keyed / meticulous keyed SHA1: 28)."""


class BfdDissector(SignatureDissector):
    """BFD control packets (UDP 3784 single hop, 4784 multihop, 6784 LAG, 7784 S-BFD); echo
    packets (UDP 3785) by their port only.

    ``matches`` (RFC 5880 §4.1 and the reception rules of §6.8.6): version 1 and a defined
    diagnostic (:data:`_BFD_FIRST_BYTES`); the multipoint bit clear; a nonzero detect
    multiplier; the length field (byte 3) equal to the datagram's length: 24 without the A
    bit, else 24 plus an authentication section whose type is 1-5 and whose length byte
    has that type's size (:data:`_BFD_AUTH_SIZES`) and ends the datagram; a nonzero My
    Discriminator; a zero Your Discriminator only in state AdminDown or Down; a nonzero
    Desired Min TX Interval (zero is reserved). Echo packets are opaque to everyone but
    their sender (RFC 5881 §4: what they hold is the sender's own business; it sends them to
    itself, the neighbour loops them back) and no content test claims them: 3785 is among
    the well-known ports, so such a flow is named by its port (``service_source`` port).
    """

    name: ClassVar[str] = "bfd"
    transports: ClassVar[frozenset[int]] = UDP_ONLY
    ports: ClassVar[frozenset[int]] = frozenset((3784, 3785, 4784, 6784, 7784))
    first_bytes: ClassVar[frozenset[int] | None] = _BFD_FIRST_BYTES
    """``matches``: version 1 and diagnostic 0-8."""
    screens: ClassVar[Mapping[int, tuple[Screen, ...]]] = {IPPROTO_UDP: (
        Screen(24, values=((0, _BFD_FIRST_BYTES),), length=(3, 1, "big", 0)),)}

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """Header fields, exact length and the authentication section."""
        n = len(payload)
        if n < 24 or payload[3] != n or payload[0] not in _BFD_FIRST_BYTES:
            return False
        flags = payload[1]
        if flags & 0x01 or payload[2] == 0:  # M bit; detect multiplier
            return False
        if flags & 0x04:  # A: an authentication section follows
            sizes = _BFD_AUTH_SIZES.get(payload[24]) if n > 25 else None
            if sizes is None or payload[25] not in sizes or 24 + payload[25] != n:
                return False
        elif n != 24:
            return False
        if payload[4:8] == b"\x00\x00\x00\x00" or payload[12:16] == b"\x00\x00\x00\x00":
            return False
        return payload[8:12] != b"\x00\x00\x00\x00" or flags >> 6 <= 1


# --- HSRP (RFC 2281 §5; version 2 TLVs) ------------------------------------------------------

_HSRP_STATES = frozenset((4, 8, 16))
"""RFC 2281 §5 State values of the routers that send messages: Speak 4, Standby 8, Active
16 (§6: routers in Initial 0, Learn 1 and Listen 2 only listen; Coup and Resign come from
Speak and Active routers)."""
_HSRP2_STATES = frozenset((4, 5, 6))
"""HSRPv2 renumbers the states (0 Disabled, 1 Init, 2 Learn, 3 Listen, 4 Speak, 5 Standby,
6 Active): the sending ones are 4-6."""
_HSRP_OPCODES = frozenset((0, 1, 2))
"""RFC 2281 §5 Op Code: Hello 0, Coup 1, Resign 2 (HSRPv2 keeps them)."""
_HSRP_SIZE = 20
"""RFC 2281 §5: the version 0 message is 20 bytes (8 header, 8 authentication, 4 virtual
IP)."""
_HSRP2_GROUP = b"\x01\x28\x02"
"""HSRPv2 Group State TLV: type 1, length 40, then the version byte 2."""
_HSRP2_TLV_SIZES = {1: 40, 2: 4, 3: 8, 4: 28}
"""HSRPv2 TLV value sizes: Group State 40, Interface State 4, Text Authentication 8, MD5
Authentication 28."""


class HsrpDissector(SignatureDissector):
    """Cisco Hot Standby Router Protocol (UDP 1985 IPv4, 2029 IPv6).

    ``matches``:

    - version 0 (RFC 2281 §5): exactly 20 bytes; version 0, an op code 0-2, a state of
      :data:`_HSRP_STATES`, a nonzero hellotime, a holdtime above it, a zero reserved byte
      (byte 7).
    - version 2 (Cisco's TLV form): the datagram starts with a Group State TLV (type 1,
      length 40; version 2, op code 0-2, a state of :data:`_HSRP2_STATES`, IP version 4 or
      6, a nonzero hello time (ms) and a hold time above it, and for IPv4 the 12 bytes after
      the virtual address zero), followed by TLVs of types 1-4 with their
      fixed sizes (:data:`_HSRP2_TLV_SIZES`) ending exactly at the end of the datagram.
      A datagram holding only an Interface State TLV (6 bytes, two of them fixed) is too
      weak to claim.
    """

    name: ClassVar[str] = "hsrp"
    transports: ClassVar[frozenset[int]] = UDP_ONLY
    ports: ClassVar[frozenset[int]] = frozenset((1985, 2029))
    first_bytes: ClassVar[frozenset[int] | None] = frozenset((0, 1))
    """``matches``: version 0 in byte 0, or the Group State TLV type 1."""
    screens: ClassVar[Mapping[int, tuple[Screen, ...]]] = {IPPROTO_UDP: (
        Screen(_HSRP_SIZE, equals=((0, b"\x00"), (7, b"\x00")),
               values=((1, _HSRP_OPCODES), (2, _HSRP_STATES))),
        Screen(42, equals=((0, _HSRP2_GROUP),)))}

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """The 20-byte version 0 message, or the version 2 TLV walk."""
        n = len(payload)
        if n == _HSRP_SIZE and payload[0] == 0:
            return (payload[1] in _HSRP_OPCODES and payload[2] in _HSRP_STATES
                    and 0 < payload[3] < payload[4] and payload[7] == 0)
        if n < 42 or payload[:3] != _HSRP2_GROUP:
            return False
        if payload[3] not in _HSRP_OPCODES or payload[4] not in _HSRP2_STATES:
            return False
        if payload[5] not in (4, 6) or not 0 < be32(payload, 18) < be32(payload, 22):
            return False
        if payload[5] == 4 and payload[30:42] != bytes(12):
            return False
        pos = 42
        for _ in range(8):
            if pos == n:
                return True
            if pos + 2 > n or _HSRP2_TLV_SIZES.get(payload[pos]) != payload[pos + 1]:
                return False
            pos += 2 + payload[pos + 1]
        return False


# --- TFTP (RFC 1350 §5, RFC 2347, RFC 2348, RFC 2349, RFC 7440) -----------------------------

_TFTP_MODES = frozenset((b"netascii", b"octet", b"mail"))
"""RFC 1350 §5: the transfer modes (any mix of case)."""
_TFTP_OPTIONS = frozenset((b"blksize", b"timeout", b"tsize", b"windowsize", b"multicast"))
"""Options of RFC 2348 (blksize), RFC 2349 (timeout, tsize), RFC 7440 (windowsize) and RFC
2090 (multicast); only these are accepted in an OACK."""
_TFTP_NUMERIC = frozenset((b"blksize", b"timeout", b"tsize", b"windowsize"))
_TFTP_MAX = 512
"""RFC 2347: a request with options is at most 512 bytes (= MAX_SCAN)."""


def _tftp_printable(s: bytes) -> bool:
    return all(0x20 <= b < 0x7F for b in s)


class TftpDissector(SignatureDissector):
    """Trivial File Transfer Protocol (UDP 69).

    ``matches``: a datagram of at most 512 bytes (RFC 2347) that is either

    - a read or write request (RFC 1350 §5, opcode 1 or 2): a nonempty printable file
      name, NUL, a mode of :data:`_TFTP_MODES` (case-insensitive), NUL, then optional
      RFC 2347 option pairs (printable nonempty name NUL, printable value NUL), the last NUL
      ending the datagram; or
    - an option acknowledgement (RFC 2347, opcode 6; the server's first datagram, from a new
      port, so the first payload of its own flow): at least one pair, every name among
      :data:`_TFTP_OPTIONS` (case-insensitive), every value printable and nonempty, digits
      only for the numeric options.

    DATA, ACK and ERROR packets (4-byte headers and free content) are too weak to claim: the
    transfer flow a request starts (from a new server port to the client's) is named by the
    request instead (``pipeline.expected``).
    """

    name: ClassVar[str] = "tftp"
    transports: ClassVar[frozenset[int]] = UDP_ONLY
    ports: ClassVar[frozenset[int]] = frozenset((69,))
    first_bytes: ClassVar[frozenset[int] | None] = frozenset((0,))
    """``matches``: a 16-bit opcode 1, 2 or 6."""
    screens: ClassVar[Mapping[int, tuple[Screen, ...]]] = {IPPROTO_UDP: (
        Screen(9, equals=((0, b"\x00"),), values=((1, frozenset((1, 2, 6))),)),)}

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """Opcode, then NUL-terminated strings ending the datagram."""
        n = len(payload)
        if n < 9 or n > _TFTP_MAX or payload[0] != 0 or payload[-1] != 0:
            return False
        op = payload[1]
        if op not in (1, 2, 6):
            return False
        fields = payload[2:-1].split(b"\x00")
        if op == 6:
            if len(fields) % 2:
                return False
            for i in range(0, len(fields), 2):
                name, value = fields[i].lower(), fields[i + 1]
                if name not in _TFTP_OPTIONS or not value or not _tftp_printable(value):
                    return False
                if name in _TFTP_NUMERIC and not value.isdigit():
                    return False
            return True
        if len(fields) < 2 or len(fields) % 2 or not fields[0]:
            return False
        if not _tftp_printable(fields[0]) or fields[1].lower() not in _TFTP_MODES:
            return False
        for i in range(2, len(fields), 2):
            if not fields[i] or not _tftp_printable(fields[i] + fields[i + 1]):
                return False
        return True


# --- MGCP (RFC 3435 §3.2.1) ------------------------------------------------------------------

_MGCP_VERBS = frozenset((b"EPCF", b"CRCX", b"MDCX", b"DLCX", b"RQNT", b"NTFY", b"AUEP",
                         b"AUCX", b"RSIP"))
"""RFC 3435 §2.3 / §3.2.1.1: the nine command verbs (compared case-insensitively)."""
_MGCP_FIRST_BYTES = frozenset(b"ECMDRNAecmdrna")


class MgcpDissector(SignatureDissector):
    """Media Gateway Control Protocol commands (UDP 2427 gateways, 2727 call agents).

    ``matches`` (RFC 3435 §3.2.1), on the first line (within
    :data:`~wirelens.dissect.signatures_base.MAX_SCAN` bytes): a verb of
    :data:`_MGCP_VERBS` (any case), one space, a transaction id of 1 to 9 digits, one space,
    an endpoint name (printable, no space, holding ``@``), one space, ``MGCP``, one space, a
    version ``<digit>.<digit>`` (1.0; 0.1 in older gateways), optionally a space and a
    profile name (``NCS 1.0``), then the end of line (CR, LF or CRLF). Responses (a 3-digit
    code and a transaction id) are too weak to claim alone.

    The flow is named by the media gateway: the domain part of the first command's endpoint
    name (RFC 3435 §2.1.1, ``local-name@domain``; lower case, without a port or the brackets
    of an address literal). Call agents send most commands to gateways, but gateways send
    NTFY and RSIP, so the gateway may be either side of the flow.
    """

    name: ClassVar[str] = "mgcp"
    name_source: ClassVar[str | None] = "mgcp_gateway"
    transports: ClassVar[frozenset[int]] = UDP_ONLY
    ports: ClassVar[frozenset[int]] = frozenset((2427, 2727))
    first_bytes: ClassVar[frozenset[int] | None] = _MGCP_FIRST_BYTES
    """``matches``: the first letter of a verb, either case."""
    screens: ClassVar[Mapping[int, tuple[Screen, ...]]] = {IPPROTO_UDP: (
        Screen(20, equals=((4, b" "),), values=tuple(
            (i, frozenset(b for verb in _MGCP_VERBS for b in (verb[i], verb[i] | 0x20)))
            for i in range(4))),)}

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """The command line's five fields and its end."""
        if len(payload) < 20 or payload[4] != 0x20 or payload[:4].upper() not in _MGCP_VERBS:
            return False
        head = payload[:MAX_SCAN]
        cut = min((i for i in (head.find(b"\r"), head.find(b"\n")) if i >= 0), default=-1)
        if cut < 0:
            return False
        parts = head[5:cut].split(b" ")
        if len(parts) not in (4, 6) or not 1 <= len(parts[0]) <= 9 or not parts[0].isdigit():
            return False
        endpoint, mgcp, version = parts[1], parts[2], parts[3]
        if b"@" not in endpoint or not all(0x20 < b < 0x7F for b in endpoint):
            return False
        if mgcp != b"MGCP" or len(version) != 3 or version[1] != 0x2E:
            return False
        if not (version[:1].isdigit() and version[2:].isdigit()):
            return False
        return len(parts) == 4 or (parts[4].isalpha() and 0 < len(parts[5]) <= 8
                                   and all(0x20 < b < 0x7F for b in parts[5]))

    def feed(self, data: bytes, from_orig: bool, ts_ns: int) -> list[Event]:
        """Name the flow from the first command's endpoint; ``done``."""
        self.done = True
        if self.server_name is None and self.matches(data, IPPROTO_UDP, from_orig):
            domain = data[:MAX_SCAN].split(b" ", 3)[2].rpartition(b"@")[2]
            if domain.startswith(b"["):  # an address literal, [192.0.2.1]
                domain = domain[1:].partition(b"]")[0]
            else:
                domain = domain.partition(b":")[0]
            if domain:
                self.server_name = domain.decode("ascii").lower()
        return []


# --- NAT-PMP (RFC 6886 §3) and PCP (RFC 6887 §7) ---------------------------------------------

_NATPMP_REQUESTS = {0: 2, 1: 12, 2: 12}
"""RFC 6886 §3.2, §3.3: external address request (2 bytes), UDP / TCP mapping requests (12
bytes: reserved 0, internal port, suggested external port, lifetime)."""
_NATPMP_RESPONSES = {128: 12, 129: 16, 130: 16}
"""RFC 6886 §3.2, §3.3: responses (opcode + 128) with a result code 0-5 (§3.5)."""
_PCP_PAYLOAD = {0: 0, 1: 36, 2: 56}
"""RFC 6887 §7.1, §11.1, §12.1: ANNOUNCE (no payload), MAP (36 bytes), PEER (56 bytes)."""
_PCP_MAX = 1100
"""RFC 6887 §7: a PCP message is a multiple of 4 bytes long and at most 1100 bytes."""
_PCP_MAX_OPTIONS = 16
"""Options walked. Reason: bounds ``matches``."""


def _pcp_options(p: bytes, pos: int) -> bool:
    """RFC 6887 §7.3 options from ``pos`` to exactly the end: a nonzero code, a reserved
    byte, a u16 length, the data padded to 4 bytes."""
    n = len(p)
    for _ in range(_PCP_MAX_OPTIONS):
        if pos == n:
            return True
        if pos + 4 > n or p[pos] == 0:
            return False
        pos += 4 + ((be16(p, pos + 2) + 3) & ~3)
    return False


class NatPmpDissector(SignatureDissector):
    """NAT Port Mapping Protocol and its successor, Port Control Protocol (UDP 5351).

    ``matches``:

    - NAT-PMP (RFC 6886 §3): version 0; a request opcode 0, 1 or 2 with its exact size
      (:data:`_NATPMP_REQUESTS`), the mapping requests' reserved u16 zero and internal port
      nonzero; or a response opcode 128-130 with its exact size
      (:data:`_NATPMP_RESPONSES`) and a result code 0-5. The 2-byte external address
      request is exactly ``00 00``: a short fixed value, accepted because nothing else
      sends it.
    - PCP (RFC 6887 §7.1, §7.2): version 2, a total size that is a multiple of 4, at most
      1100 bytes; opcode ANNOUNCE 0, MAP 1 or PEER 2 with its payload size
      (:data:`_PCP_PAYLOAD`); a request (R clear) has its reserved u16 zero and a 24-byte
      header; a response (R set) has its reserved byte zero, a result code 0-13 and 12
      zero reserved bytes in a 24-byte header; then the options walk to the exact end.
    """

    name: ClassVar[str] = "nat_pmp"
    transports: ClassVar[frozenset[int]] = UDP_ONLY
    ports: ClassVar[frozenset[int]] = frozenset((5351,))
    first_bytes: ClassVar[frozenset[int] | None] = frozenset((0, 2))
    """``matches``: version 0 (NAT-PMP) or 2 (PCP)."""
    screens: ClassVar[Mapping[int, tuple[Screen, ...]]] = {IPPROTO_UDP: (
        Screen(2, values=((0, frozenset((0, 2))), (1, frozenset((0, 1, 2, 128, 129, 130))))),)}

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """NAT-PMP sizes and codes, or the PCP header, payload size and options."""
        n = len(payload)
        if n < 2:
            return False
        version, op = payload[0], payload[1]
        if version == 0:
            if _NATPMP_REQUESTS.get(op) == n:
                return op == 0 or (payload[2:4] == b"\x00\x00" and payload[4:6] != b"\x00\x00")
            return _NATPMP_RESPONSES.get(op) == n and payload[2] == 0 and payload[3] <= 5
        if version != 2 or n < 24 or n > _PCP_MAX or n & 3:
            return False
        size = _PCP_PAYLOAD.get(op & 0x7F)
        if size is None or n < 24 + size:
            return False
        if op & 0x80:
            if payload[2] != 0 or payload[3] > 13 or payload[12:24] != bytes(12):
                return False
        elif payload[2:4] != b"\x00\x00":
            return False
        return _pcp_options(payload, 24 + size)


NET_SIGNATURES: tuple[type[Dissector], ...] = (
    RadiusDissector,  # code, exact length, attribute walk to the end
    NetflowDissector,  # version, exact sizes or set walks to the end
    CollectdDissector,  # part walk to the end with typed sizes
    GtpControlDissector,  # flags, control-plane types, exact length (IE walk for v2)
    SlpDissector,  # version, function, exact length, reserved flags, language tag
    BfdDissector,  # version, exact length, discriminators
    HsrpDissector,  # 20-byte v0 message or v2 TLV walk
    TftpDissector,  # opcode + NUL-terminated strings with a known mode / options
    MgcpDissector,  # a text command line
    NatPmpDissector,  # exact small sizes (the 2-byte request is the weakest test here)
)
"""This module's signature dissectors in priority order (strictest first)."""
