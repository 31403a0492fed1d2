"""Content signatures of remote access, tunnels and proxies: PPTP control, L2TP control
(v2 and v3 over UDP), the HAProxy PROXY protocol (v1 and v2), Zabbix, the X Window System
connection setup, Cisco Skinny (SCCP), TeamViewer, the RTMP handshake and IRC;
:data:`ACCESS_SIGNATURES` orders them, strictest first.

Identification only (see :mod:`wirelens.dissect.signatures_base`). ``matches`` sees the
first payload of one direction (a TCP segment or a UDP datagram); each class's docstring
lists the spec facts it checks and what must be whole in that payload. None of them names
the flow (a PPTP host name is the sender's own name, not a server name). SOCKS is in
:mod:`wirelens.dissect.signatures_apps`.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from typing import ClassVar

from wirelens.dissect.base import (
    BY_CONTENT,
    IPPROTO_TCP,
    IPPROTO_UDP,
    Dissector,
    Event,
    Screen,
)
from wirelens.dissect.signatures_base import (
    MAX_SCAN,
    TCP_ONLY,
    UDP_ONLY,
    SignatureDissector,
    StartTlsWatch,
    be16,
    be32,
    fills,
    is_printable,
    le32,
)

__all__ = [
    "ACCESS_SIGNATURES",
    "IrcDissector",
    "L2tpDissector",
    "PptpDissector",
    "ProxyProtocolDissector",
    "RtmpDissector",
    "SccpDissector",
    "TeamViewerDissector",
    "X11Dissector",
    "ZabbixDissector",
]


# --- PPTP (RFC 2637 §2, §2.1-§2.16) ---------------------------------------------------------

_PPTP_LENGTHS = {
    1: 156, 2: 156, 3: 16, 4: 16, 5: 16, 6: 20, 7: 168, 8: 32, 9: 220, 10: 24, 11: 28,
    12: 16, 13: 148, 14: 40, 15: 24,
}  # fmt: skip
"""RFC 2637 §2.1-§2.16: the fixed length of each control message type (header included):
Start-Control-Connection-Request / -Reply, Stop-Control-Connection-Request / -Reply,
Echo-Request / -Reply, Outgoing-Call-Request / -Reply, Incoming-Call-Request / -Reply /
-Connected, Call-Clear-Request, Call-Disconnect-Notify, WAN-Error-Notify, Set-Link-Info."""
_PPTP_MAGIC = b"\x00\x01\x1a\x2b\x3c\x4d"
"""PPTP Message Type 1 (control message) and the Magic Cookie 0x1A2B3C4D (§2)."""
_PPTP_MAX_MESSAGES = 8
"""Most control messages walked in one segment. Reason: bounds ``matches``."""


def _pptp_end(p: bytes, pos: int) -> int:
    """The end of the valid control message at ``pos`` (whole in ``p``), or -1."""
    if pos + 16 > len(p) or p[pos + 2 : pos + 8] != _PPTP_MAGIC or p[pos + 10 : pos + 12] != (
            b"\x00\x00"):
        return -1
    kind = be16(p, pos + 8)
    size = _PPTP_LENGTHS.get(kind, 0)
    if size == 0 or be16(p, pos) != size or pos + size > len(p):
        return -1
    if kind in (1, 2):  # Start-Control-Connection-Request / -Reply (§2.1, §2.2)
        if be16(p, pos + 12) != 0x0100:
            return -1
        if kind == 1 and p[pos + 14 : pos + 16] != b"\x00\x00":  # Reserved1
            return -1
        if be32(p, pos + 16) & ~3 or be32(p, pos + 20) & ~3:  # framing / bearer bits
            return -1
        for field in (p[pos + 28 : pos + 92], p[pos + 92 : pos + 156]):  # host, vendor
            if not is_printable(field.split(b"\x00", 1)[0]):
                return -1
    return pos + size


class PptpDissector(SignatureDissector):
    """PPTP, the Point-to-Point Tunneling Protocol's control connection (TCP 1723).

    ``matches`` (RFC 2637 §2): the segment is one or more whole control messages (at most
    :data:`_PPTP_MAX_MESSAGES`), each with a Length equal to the fixed length of its
    Control Message Type (:data:`_PPTP_LENGTHS`, types 1-15), PPTP Message Type 1, the Magic
    Cookie 0x1A2B3C4D and Reserved0 zero. A Start-Control-Connection-Request / -Reply
    (§2.1, §2.2) also carries Protocol Version 0x0100, framing and bearer capabilities with
    only the defined bits (1 asynchronous / analog, 2 synchronous / digital) and, in the
    request, Reserved1 zero, and a Host Name and a Vendor String (64 bytes each) printable up
    to their first NUL. The host name is the sender's own name: not taken as a server name.
    """

    name: ClassVar[str] = "pptp"
    transports: ClassVar[frozenset[int]] = TCP_ONLY
    ports: ClassVar[frozenset[int]] = frozenset((1723,))
    first_bytes: ClassVar[frozenset[int] | None] = frozenset((0,))
    """``matches``: every message is shorter than 256 bytes (high length byte 0)."""
    screens: ClassVar[Mapping[int, tuple[Screen, ...]]] = {IPPROTO_TCP: (
        Screen(16, equals=((0, b"\x00"), (2, _PPTP_MAGIC), (10, b"\x00\x00"))),
    )}  # fmt: skip

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """Whole control messages back to back, ending the segment."""
        if len(payload) < 16 or payload[0] != 0:
            return False
        return fills(payload, _pptp_end, limit=_PPTP_MAX_MESSAGES)


# --- L2TP (RFC 2661 §3.1, §4.1, §6; RFC 3931 §3.2.1, §4.1.2.1, §5.1, §6) -------------------

_L2TP_TYPES = frozenset((1, 2, 3, 4, 6, 7, 8, 9, 10, 11, 12, 14, 15, 16))
"""RFC 2661 §3.2 / RFC 3931 §6.1 control message types: SCCRQ, SCCRP, SCCCN, StopCCN, HELLO,
OCRQ, OCRP, OCCN, ICRQ, ICRP, ICCN, CDN, WEN, SLI (5 and 13 are reserved)."""
_L2TP3_TYPES = _L2TP_TYPES | {20}
"""L2TPv3 adds ACK, the explicit acknowledgement (RFC 3931 §6.1, type 20)."""
_L2TP_MSG_AVP = b"\x80\x08\x00\x00\x00\x00\x00"
"""The first AVP's start: M bit, H bit clear, reserved bits 0, length 8, Vendor ID 0,
Attribute Type 0 (Message Type) and the high byte of the 16-bit type (§4.1, §4.4.1)."""
_L2TP_MAX_AVPS = 100
"""Most AVPs walked. Reason: bounds ``matches`` (an SCCRQ carries about a dozen)."""


class L2tpDissector(SignatureDissector):
    """L2TP control messages over UDP: L2TPv2 and L2TPv3 (UDP 1701).

    ``matches`` (one datagram, one message): the header's flags are T, L and S set, the
    reserved bits and O / P clear (RFC 2661 §3.1: 0xC8), Ver 2 (RFC 2661) or 3 (RFC 3931
    §4.1.2.1, UDP encapsulation), a Length equal to the datagram's length; after the
    12-byte header (v2: Tunnel ID, Session ID, Ns, Nr; v3: Control Connection ID, Ns, Nr)
    the first AVP is Message Type (M bit, length 8, vendor 0, attribute 0) with a defined
    type (:data:`_L2TP_TYPES`, :data:`_L2TP3_TYPES`); the AVPs (M / H bits, 4 reserved bits
    clear, length 6 or more) fill the datagram exactly. An SCCRQ, which opens a tunnel,
    has Tunnel (Control Connection) ID, Session ID (v2), Ns and Nr all zero; other messages
    a nonzero tunnel. Data messages (T = 0) and ZLB acknowledgements are not claimed.
    """

    name: ClassVar[str] = "l2tp"
    transports: ClassVar[frozenset[int]] = UDP_ONLY
    ports: ClassVar[frozenset[int]] = frozenset((1701,))
    first_bytes: ClassVar[frozenset[int] | None] = frozenset((0xC8,))
    """``matches``: T, L and S set, the other flag bits clear."""
    screens: ClassVar[Mapping[int, tuple[Screen, ...]]] = {IPPROTO_UDP: (
        Screen(20, equals=((0, b"\xc8"), (12, _L2TP_MSG_AVP)), values=((1, frozenset((2, 3))),),
               length=(2, 2, "big", 0)),
    )}  # fmt: skip

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """Header, Message Type AVP, AVPs filling the datagram."""
        n = len(payload)
        if n < 20 or payload[0] != 0xC8 or payload[1] not in (2, 3) or be16(payload, 2) != n:
            return False
        if payload[12:19] != _L2TP_MSG_AVP:
            return False
        kind = payload[19]
        if kind not in (_L2TP_TYPES if payload[1] == 2 else _L2TP3_TYPES):
            return False
        if kind == 1:
            if payload[4:12] != bytes(8):
                return False
        elif payload[4:6] == b"\x00\x00" and (payload[1] == 2 or payload[6:8] == b"\x00\x00"):
            return False
        pos = 20
        for _ in range(_L2TP_MAX_AVPS):
            if pos == n:
                return True
            if pos + 6 > n or payload[pos] & 0x3C:
                return False
            size = be16(payload, pos) & 0x03FF
            if size < 6:
                return False
            pos += size
        return False


# --- PROXY protocol (HAProxy proxy-protocol.txt §2.1, §2.2) ---------------------------------

_PROXY_V2_SIG = b"\x0d\x0a\x0d\x0a\x00\x0d\x0a\x51\x55\x49\x54\x0a"
_PROXY_V2_FAMILIES = {0x00: 0, 0x11: 12, 0x12: 12, 0x21: 36, 0x22: 36, 0x31: 216, 0x32: 216}
"""§2.2: the defined address family / transport bytes (UNSPEC, TCP4, UDP4, TCP6, UDP6,
UNIX stream, UNIX datagram) and the size of their address block."""
_PROXY_V1_MAX = 107
"""§2.1: the longest v1 header, CRLF included."""
_PROXY_MAX_TLVS = 64
"""Most v2 TLVs walked. Reason: bounds ``matches``."""


def _proxy_port(raw: bytes) -> bool:
    """A decimal port 0-65535 without a leading zero (§2.1)."""
    return (0 < len(raw) <= 5 and raw.isdigit() and (raw == b"0" or raw[0] != 0x30)
            and int(raw) <= 65535)


def _proxy_v1(p: bytes) -> bool:
    """§2.1: ``PROXY``, a space, ``TCP4`` / ``TCP6`` with source and destination addresses
    of that family and ports, single spaces, CRLF; or ``UNKNOWN`` then printable bytes up
    to CRLF; the whole line within 107 bytes."""
    eol = p.find(b"\r\n", 0, _PROXY_V1_MAX)
    if eol < 0:
        return False
    line = p[6:eol]
    if line.startswith(b"UNKNOWN"):
        return len(line) == 7 or (line[7] == 0x20 and is_printable(line))
    parts = line.split(b" ")
    if len(parts) != 5 or parts[0] not in (b"TCP4", b"TCP6"):
        return False
    if not (_proxy_port(parts[3]) and _proxy_port(parts[4])):
        return False
    version = 4 if parts[0] == b"TCP4" else 6
    for raw in parts[1:3]:
        if not raw or not raw.isascii():
            return False
        try:
            addr = ipaddress.ip_address(raw.decode("ascii"))
        except ValueError:
            return False
        if addr.version != version:
            return False
    return True


def _proxy_v2(p: bytes) -> bool:
    """§2.2: the signature, version 2 with command LOCAL (0) or PROXY (1), a defined family
    / transport byte, a length covering its address block, the header whole in the
    segment; the TLVs after the addresses fill the header exactly."""
    n = len(p)
    if n < 16 or p[12] not in (0x20, 0x21):
        return False
    block = _PROXY_V2_FAMILIES.get(p[13], -1)
    size = be16(p, 14)
    if block < 0 or size < block or 16 + size > n or (p[12] == 0x21 and p[13] == 0):
        return False
    pos, end = 16 + block, 16 + size
    for _ in range(_PROXY_MAX_TLVS):
        if pos == end:
            return True
        if pos + 3 > end:
            return False
        pos += 3 + be16(p, pos + 1)
    return False


class ProxyProtocolDissector(SignatureDissector):
    """The HAProxy PROXY protocol, versions 1 and 2 (no well-known port: it precedes the
    proxied protocol on that protocol's port).

    ``matches`` (HAProxy's proxy-protocol.txt): v1 (§2.1, :func:`_proxy_v1`): ``PROXY``, a
    space, then ``TCP4`` / ``TCP6`` followed by source and destination addresses of that
    family and two decimal ports 0-65535, separated by single spaces, or ``UNKNOWN`` (and
    printable bytes); CRLF
    within 107 bytes. v2 (§2.2, :func:`_proxy_v2`): the 12-byte signature, version 2 with
    command LOCAL or PROXY, a defined family / transport (a PROXY command names one), a
    length covering the address block, the header whole in the segment, TLVs that fill
    it. The bytes after the header belong to the proxied protocol: they are handed on to be
    identified by content (``upgrade`` ``BY_CONTENT``, the first bytes either side sends
    after the header), so the tls or http table logs what the proxy forwards; conn keeps
    ``proxy_protocol``, as nDPI names such a flow HAProxy.
    """

    name: ClassVar[str] = "proxy_protocol"
    transports: ClassVar[frozenset[int]] = TCP_ONLY
    ports: ClassVar[frozenset[int]] = frozenset()
    """None: the header goes to whatever port the proxied service listens on."""
    first_bytes: ClassVar[frozenset[int] | None] = frozenset(b"P\r")
    """``matches``: ``P`` of ``PROXY`` or the v2 signature's CR."""
    screens: ClassVar[Mapping[int, tuple[Screen, ...]]] = {IPPROTO_TCP: (
        Screen(15, equals=((0, b"PROXY "),)),
        Screen(16, equals=((0, _PROXY_V2_SIG),), values=((12, frozenset((0x20, 0x21))),)),
    )}  # fmt: skip

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """A v1 header line or a v2 binary header."""
        if payload[:6] == b"PROXY ":
            return _proxy_v1(payload)
        return payload[:12] == _PROXY_V2_SIG and _proxy_v2(payload)

    def __init__(self, proto: int) -> None:
        super().__init__(proto)
        self._head: bytes | None = b""  # the client's bytes until the header is whole

    def feed(self, data: bytes, from_orig: bool, ts_ns: int) -> list[Event]:
        """The header (the client's first bytes, whole or in pieces), then the proxied
        protocol's first bytes; a header that never ends (past v1's 107 bytes without CRLF,
        or v2's length) ends the reading."""
        if self._head is not None and from_orig:
            head = self._head + data
            end = _proxy_header_end(head)
            if end < 0:
                self._head = head
                self.done = len(head) > _PROXY_V1_MAX and head[:1] == b"P"
                return []
            self._head, data = None, head[end:]
        if data:
            self.done, self.upgrade, self.upgrade_data = True, BY_CONTENT, ((from_orig, data),)
        return []


def _proxy_header_end(p: bytes) -> int:
    """Where the PROXY header at the start of ``p`` ends (v1: after its CRLF; v2: after the
    length its header gives), or -1 while it is not whole."""
    if p[:1] != b"P":
        end = 16 + be16(p, 14) if len(p) >= 16 else -1
        return end if 0 <= end <= len(p) else -1
    eol = p.find(b"\r\n", 0, _PROXY_V1_MAX)
    return -1 if eol < 0 else eol + 2


# --- Zabbix (Zabbix manual, "Header" of the Zabbix protocols) -------------------------------


class ZabbixDissector(SignatureDissector):
    """The Zabbix protocol: agents, proxies, senders and the server (TCP 10050, 10051).

    ``matches`` (Zabbix manual "Header"): ``ZBXD``, a flags byte 0x01 (Zabbix protocol),
    0x03 (compressed) or 0x05 / 0x07 (large packet: 8-byte lengths), the data length (4 or
    8 bytes, little-endian) equal to the rest of the segment (one whole message), then the
    reserved length: zero without compression, the uncompressed length (nonzero) with it,
    whose data then starts with a zlib header (CM 8, FCHECK). The high halves of 8-byte
    lengths are zero (messages under 4 GiB).
    """

    name: ClassVar[str] = "zabbix"
    transports: ClassVar[frozenset[int]] = TCP_ONLY
    ports: ClassVar[frozenset[int]] = frozenset((10050, 10051))
    first_bytes: ClassVar[frozenset[int] | None] = frozenset(b"Z")
    screens: ClassVar[Mapping[int, tuple[Screen, ...]]] = {IPPROTO_TCP: (
        Screen(13, equals=((0, b"ZBXD"),), values=((4, frozenset((1, 3))),),
               length=(5, 4, "little", 13)),
        Screen(21, equals=((0, b"ZBXD"),), values=((4, frozenset((5, 7))),),
               length=(5, 4, "little", 21)),
    )}  # fmt: skip

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """Header, exact data length, reserved length, zlib data when compressed."""
        n = len(payload)
        if n < 14 or payload[:4] != b"ZBXD" or payload[4] not in (1, 3, 5, 7):
            return False
        flags = payload[4]
        if flags & 4:
            if n < 22 or le32(payload, 9) or le32(payload, 17):
                return False
            head, size, reserved = 21, le32(payload, 5), le32(payload, 13)
        else:
            head, size, reserved = 13, le32(payload, 5), le32(payload, 9)
        if size != n - head or size == 0:
            return False
        if not flags & 2:
            return reserved == 0
        return (reserved != 0 and n >= head + 2 and payload[head] & 0x0F == 8
                and ((payload[head] << 8) | payload[head + 1]) % 31 == 0)


# --- X11 (X Window System Protocol, "Connection Setup") ------------------------------------

_X11_MAX_NAME = 64
"""Longest authorization protocol name accepted (``MIT-MAGIC-COOKIE-1``,
``XDM-AUTHORIZATION-1``...). Reason: bounds ``matches``."""
_X11_MAX_DATA = 1024
"""Longest authorization data accepted (a cookie is 16 bytes)."""


def _pad4(n: int) -> int:
    return (n + 3) & ~3


class X11Dissector(SignatureDissector):
    """The X Window System protocol's connection setup (TCP 6000-6063).

    ``matches`` (X Window System Protocol, "Connection Setup"): from the client, byte order
    ``B`` (MSB first) or ``l`` (LSB first), an unused byte 0, protocol-major-version 11,
    protocol-minor-version 0, the lengths of the authorization protocol name and data
    (CARD16 in that byte order, at most 64 and 1024), 2 unused bytes 0, then the name
    (printable, padded to 4) and the data (padded to 4) ending the segment exactly. From the
    server, the Success reply's first 8 bytes: 1, an unused byte, major version 11, minor
    0, the length of the additional data in 4-byte units (32 bytes at least) ending the
    segment exactly, in either byte order (the client's).
    """

    name: ClassVar[str] = "x11"
    transports: ClassVar[frozenset[int]] = TCP_ONLY
    ports: ClassVar[frozenset[int]] = frozenset(range(6000, 6064))
    first_bytes: ClassVar[frozenset[int] | None] = frozenset(b"Bl\x01")
    """``matches``: a byte-order byte (client) or Success (server)."""

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """A connection setup request or a Success reply, exactly one segment long."""
        n = len(payload)
        if n < 12:
            return False
        first = payload[0]
        if first == 1:
            if payload[2:6] == b"\x00\x0b\x00\x00":
                units = be16(payload, 6)
            elif payload[2:6] == b"\x0b\x00\x00\x00":
                units = payload[6] | payload[7] << 8
            else:
                return False
            return units >= 8 and 8 + 4 * units == n
        if first not in (0x42, 0x6C) or payload[1] != 0 or payload[10:12] != b"\x00\x00":
            return False
        big = first == 0x42
        major, minor = (be16(payload, 2), be16(payload, 4)) if big else (
            payload[2] | payload[3] << 8, payload[4] | payload[5] << 8)
        if major != 11 or minor != 0:
            return False
        name_len, data_len = (be16(payload, 6), be16(payload, 8)) if big else (
            payload[6] | payload[7] << 8, payload[8] | payload[9] << 8)
        if name_len > _X11_MAX_NAME or data_len > _X11_MAX_DATA:
            return False
        if 12 + _pad4(name_len) + _pad4(data_len) != n:
            return False
        auth = payload[12 : 12 + name_len]
        return all(0x21 <= b < 0x7F for b in auth)


# --- Cisco Skinny, SCCP --------------------------------------------------------------------

_SCCP_VERSIONS = frozenset((0x00, 0x11, 0x12, 0x14, 0x16))
"""Header version field: 0 (basic) and the newer CallManagers' 0x11, 0x12, 0x14, 0x16."""
_SCCP_FIRST = {0x0000: (4, 4), 0x0001: (40, 200), 0x0002: (8, 8), 0x0081: (20, 200),
               0x0100: (4, 4)}
"""Messages a first segment starts with, and the range of their length field (message id
included): KeepAlive (no body), Register (device name 16, user id, instance, IP address,
device type, max streams: 36 bytes at least), StationIpPort (a port), RegisterAck
(keepalive interval, date template 6 + 2, secondary keepalive interval: 16 at least),
KeepAliveAck (no body)."""
_SCCP_MAX_ID = 0x01FF
"""Later messages of the segment: a message id of the station (0x00xx) or CallManager
(0x01xx) ranges."""
_SCCP_MAX_MESSAGES = 8
"""Most messages walked in one segment. Reason: bounds ``matches``."""


class SccpDissector(SignatureDissector):
    """Cisco Skinny Client Control Protocol, SCCP (TCP 2000).

    ``matches`` (Skinny message layout: data length LE u32 counting from the message id,
    header version LE u32, message id LE u32, body): the segment is whole messages back to
    back (at most :data:`_SCCP_MAX_MESSAGES`), each with a known header version
    (:data:`_SCCP_VERSIONS`, its upper three bytes zero) and a message id at most 0x01FF; the first is a KeepAlive,
    Register, StationIpPort, RegisterAck or KeepAliveAck of a plausible length
    (:data:`_SCCP_FIRST`). A Register's device name is printable, non-empty and NUL-
    terminated within its 16 bytes; a StationIpPort's port is nonzero and below 65536; a
    RegisterAck's keepalive interval is 1-65535 s.
    """

    name: ClassVar[str] = "sccp"
    transports: ClassVar[frozenset[int]] = TCP_ONLY
    ports: ClassVar[frozenset[int]] = frozenset((2000,))
    first_bytes: ClassVar[frozenset[int] | None] = frozenset(range(4, 201))
    """``matches``: the first message's length field is 4-200 (its low byte)."""
    screens: ClassVar[Mapping[int, tuple[Screen, ...]]] = {IPPROTO_TCP: (
        Screen(12, equals=((1, b"\x00\x00\x00"), (5, b"\x00\x00\x00"), (10, b"\x00\x00")),
               values=((4, _SCCP_VERSIONS), (8, frozenset((0x00, 0x01, 0x02, 0x81))),
                       (9, frozenset((0x00, 0x01))))),
    )}  # fmt: skip

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """Whole Skinny messages, the first a registration or keepalive message."""
        n = len(payload)
        if n < 12 or payload[4] not in _SCCP_VERSIONS or payload[5:8] != b"\x00\x00\x00":
            return False
        size, kind = le32(payload, 0), le32(payload, 8)
        bounds = _SCCP_FIRST.get(kind)
        if bounds is None or not bounds[0] <= size <= bounds[1] or 8 + size > n:
            return False
        if kind == 0x0001:
            name = payload[12:28]
            nul = name.find(b"\x00")
            if nul < 1 or not all(0x21 <= b < 0x7F for b in name[:nul]):
                return False
        elif kind == 0x0002:
            if not 0 < le32(payload, 12) < 65536:
                return False
        elif kind == 0x0081 and not 0 < le32(payload, 12) < 65536:
            return False
        pos = 8 + size
        for _ in range(_SCCP_MAX_MESSAGES):
            if pos == n:
                return True
            if pos + 12 > n or payload[pos + 4] not in _SCCP_VERSIONS:
                return False
            if payload[pos + 5 : pos + 8] != b"\x00\x00\x00" or le32(payload, pos + 8) > (
                    _SCCP_MAX_ID):
                return False
            size = le32(payload, pos)
            if size < 4 or pos + 8 + size > n:
                return False
            pos += 8 + size
        return False


# --- TeamViewer ----------------------------------------------------------------------------


class TeamViewerDissector(SignatureDissector):
    """TeamViewer's own protocol over TCP (TCP 5938).

    No public specification: the framing checked is the one seen in the one public capture
    nDPI labels TeamViewer (ossfuzz_seed_fake_traces_2.pcapng), whose two first payloads
    both carry a length field equal to the rest of the segment. ``matches``: either the
    bytes 0x17 0x24, a command byte, then a little-endian length equal to the segment's
    length minus 5 (what follows a 5-byte header of magic, command and a 16-bit length; the
    capture's next two bytes are zero, so the field is checked as a LE u32); or 0x11 0x30, a command byte, a zero byte, then a LE u32
    length equal to the segment's length minus 24 (a 24-byte header) and repeated at byte
    20. Only whole single messages are claimed; UDP (also on 5938) is not claimed: no
    capture shows its layout.
    """

    name: ClassVar[str] = "teamviewer"
    transports: ClassVar[frozenset[int]] = TCP_ONLY
    ports: ClassVar[frozenset[int]] = frozenset((5938,))
    first_bytes: ClassVar[frozenset[int] | None] = frozenset((0x17, 0x11))
    screens: ClassVar[Mapping[int, tuple[Screen, ...]]] = {IPPROTO_TCP: (
        Screen(7, equals=((0, b"\x17\x24"),), length=(3, 4, "little", 5)),
        Screen(25, equals=((0, b"\x11\x30"), (3, b"\x00")), length=(4, 4, "little", 24)),
    )}  # fmt: skip

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """One whole message of either header form."""
        n = len(payload)
        if n >= 7 and payload[:2] == b"\x17\x24":
            return le32(payload, 3) == n - 5
        if n >= 25 and payload[:2] == b"\x11\x30" and payload[3] == 0:
            return le32(payload, 4) == n - 24 and le32(payload, 20) == n - 24
        return False


# --- RTMP (Adobe RTMP specification 1.0, §5.2) ---------------------------------------------

_RTMP_WHOLE = frozenset((1537, 3073))
"""C0 + C1, or S0 + S1 (1 + 1536 bytes); S0 + S1 + S2 (1 + 2 * 1536 bytes), §5.2.2-§5.2.4."""
_RTMP_MIN_PREFIX = 1024
"""Shortest C0 + C1 prefix accepted (a first segment cut by the MSS, e.g. 1460 bytes)."""


class RtmpDissector(SignatureDissector):
    """RTMP's handshake (TCP 1935), RTMPE's too.

    ``matches`` (RTMP specification 1.0, §5.2.2-§5.2.3): C0 / S0 is version 3 (6 for
    RTMPE), then C1 / S1: time (4 bytes), a 4-byte field, random bytes. In the simple
    handshake of the spec the field is zero: then the segment is C0 + C1 / S0 + S1 (1537
    bytes), S0 + S1 + S2 (3073), or a prefix of at least 1024 bytes cut by the segment size.
    Flash's digest handshake puts a version there (nonzero): then only the exact sizes 1537
    and 3073 are taken (the size is the evidence). C0 alone (one byte) is not claimed, nor
    a TPKT header (03 00 and a length equal to the segment's).
    """

    name: ClassVar[str] = "rtmp"
    transports: ClassVar[frozenset[int]] = TCP_ONLY
    ports: ClassVar[frozenset[int]] = frozenset((1935,))
    first_bytes: ClassVar[frozenset[int] | None] = frozenset((3, 6))

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """Version byte, the zero / version field, the handshake's sizes."""
        n = len(payload)
        if n < _RTMP_MIN_PREFIX or payload[0] not in (3, 6):
            return False
        if payload[1] == 0 and be16(payload, 2) == n:  # TPKT (RFC 1006)
            return False
        if n in _RTMP_WHOLE:
            return True
        return n < 1537 and payload[5:9] == b"\x00\x00\x00\x00"


# --- IRC (RFC 1459 §2.3.1; RFC 2812 §2.3, §3.1; IRCv3 capability negotiation) --------------

_IRC_LETTERS = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ")
_IRC_DIGITS = frozenset(b"0123456789")
_IRC_NICK_FIRST = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz[]\\`_^{|}")
_IRC_NICK = _IRC_NICK_FIRST | _IRC_DIGITS | {0x2D}
_IRC_MAX_NICK = 64
_IRC_MIDDLE_BAD = frozenset(range(0x00, 0x21))
"""Bytes a middle parameter cannot hold: controls (NUL, CR, LF among them) and space."""
_IRC_TRAILING_BAD = frozenset((0x00, 0x0A, 0x0D))
_IRC_REGISTRATION = (b"CAP", b"PASS", b"NICK", b"USER")


def _irc_message(line: bytes) -> tuple[bytes, bytes, list[bytes], bool] | None:
    """(prefix, command, params, has trailing) of one message (RFC 2812 §2.3.1: an optional
    ``:prefix`` and a space, a command of upper-case letters or 3 digits, at most 15
    parameters separated by spaces, the last one possibly ``:``-introduced), or None."""
    prefix = b""
    if line[:1] == b":":
        sp = line.find(b" ")
        if sp < 2:
            return None
        prefix, line = line[1:sp], line[sp + 1 :]
        if any(b < 0x21 or b > 0x7E for b in prefix):
            return None
    trailing = None
    at = line.find(b" :")
    if at >= 0:
        line, trailing = line[:at], line[at + 2 :]
        if any(b in _IRC_TRAILING_BAD for b in trailing):
            return None
    words = line.split(b" ")
    command, params = words[0], [w for w in words[1:] if w]
    if not command:
        return None
    if not (all(b in _IRC_LETTERS for b in command) or (
            len(command) == 3 and all(b in _IRC_DIGITS for b in command))):
        return None
    if any(b in _IRC_MIDDLE_BAD for w in params for b in w):
        return None
    if trailing is not None:
        params.append(trailing)
    if len(params) > 15:
        return None
    return prefix, command, params, trailing is not None


def _irc_nick(raw: bytes) -> bool:
    """RFC 2812 §2.3.1 nickname (letter or special, then letters, digits, specials, '-')."""
    return (0 < len(raw) <= _IRC_MAX_NICK and raw[0] in _IRC_NICK_FIRST
            and all(b in _IRC_NICK for b in raw))


def _irc_first(msg: tuple[bytes, bytes, list[bytes], bool], alone: bool) -> bool:
    """Whether the first message opens a registration (client) or answers one (server)."""
    prefix, command, params, trailing = msg
    if prefix:  # the server: a NOTICE or a numeric reply, with a text
        if any(b in b"!@" for b in prefix) or not trailing:
            return False
        if command == b"NOTICE":
            return len(params) == 2
        return len(command) == 3 and command[0] in _IRC_DIGITS and len(params) >= 1
    if command == b"CAP":  # IRCv3: CAP LS [version]
        return (len(params) in (1, 2) and params[0] == b"LS" and not trailing
                and (len(params) == 1 or params[1].isdigit()))
    if command == b"PASS":  # §3.1.1, never alone in a segment
        return len(params) == 1 and not alone
    if command == b"NICK":  # §3.1.2
        return len(params) == 1 and _irc_nick(params[0])
    if command == b"USER":  # §3.1.3: user, mode, unused, realname
        return len(params) == 4 and all(0x21 <= b < 0x7F and b != 0x40 for b in params[0])
    return False


_IRC_670 = re.compile(rb"(?:^|\n):[^ \r\n]+ 670 ")
"""A server line with the numeric 670 (RPL_STARTTLS: "STARTTLS successful, proceed")."""


class IrcDissector(StartTlsWatch):
    """IRC, Internet Relay Chat, in clear (TCP 6665-6669; 6697 is TLS: not seen here).

    ``matches`` (RFC 1459 §2.3.1, RFC 2812 §2.3.1, §3.1): every line within the first
    :data:`MAX_SCAN` bytes of the segment is a message (:func:`_irc_message`: optional
    ``:prefix``, an upper-case command or a 3-digit numeric, parameters without control
    bytes, a trailing parameter without NUL / CR / LF), all ending with CRLF (or all with
    LF: bots do), and the segment ends with a line end when it is shorter than MAX_SCAN.
    The first line opens a client registration: ``CAP LS [version]`` (IRCv3), ``PASS
    <password>`` (not alone), ``NICK <nickname>`` (RFC 2812 §2.3.1 syntax) or ``USER <user>
    <mode> <unused> <realname>`` (exactly four parameters); or is the server's first
    answer: ``:<server> NOTICE <target> :<text>`` or a numeric reply ``:<server> NNN
    <target> ... :<text>`` (a server name as prefix: no ``!`` or ``@``).

    A session that negotiates STARTTLS (the server's 670 reply, IRCv3 ``tls``) is handed to
    the TLS dissector (:class:`~wirelens.dissect.signatures_base.StartTlsWatch`).
    """

    name: ClassVar[str] = "irc"
    transports: ClassVar[frozenset[int]] = TCP_ONLY
    ports: ClassVar[frozenset[int]] = frozenset((6665, 6666, 6667, 6668, 6669))
    first_bytes: ClassVar[frozenset[int] | None] = frozenset(b":CPNU")
    """``matches``: a prefix's colon or a registration command's first letter."""

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """Every line is a message; the first opens or answers a registration."""
        if len(payload) < 6 or payload[0] not in b":CPNU":
            return False
        if payload[:1] != b":" and not payload.startswith(_IRC_REGISTRATION):
            return False
        head = payload[:MAX_SCAN]
        eol = head.find(b"\n")
        if eol < 1:
            return False
        crlf = head[eol - 1] == 0x0D
        sep = b"\r\n" if crlf else b"\n"
        lines = head.split(sep)
        rest = lines.pop()
        if rest and len(payload) <= MAX_SCAN:
            return False  # the segment does not end with a line end
        if any(b"\r" in x or b"\n" in x for x in lines) or len(lines) > 32:
            return False
        msgs = []
        for line in lines:
            msg = _irc_message(line)
            if msg is None or len(line) > 510:
                return False
            msgs.append(msg)
        return _irc_first(msgs[0], len(msgs) == 1)

    @classmethod
    def _proceeds(cls, data: bytes) -> bool:
        """IRCv3 ``tls`` extension: the server's numeric 670 (RPL_STARTTLS) line."""
        return bool(_IRC_670.search(data))

    def feed(self, data: bytes, from_orig: bool, ts_ns: int) -> list[Event]:
        """Identified by ``matches``; then the STARTTLS watch."""
        self._watch(data, from_orig)
        return []


ACCESS_SIGNATURES: tuple[type[Dissector], ...] = (
    PptpDissector,  # 48-bit type + magic cookie, exact per-type lengths
    L2tpDissector,  # fixed flags, exact length, Message Type AVP, AVP walk
    ProxyProtocolDissector,  # 12-byte signature / "PROXY " + addresses
    ZabbixDissector,  # "ZBXD" + flags + exact length
    X11Dissector,  # version 11.0 + exact padded lengths
    SccpDissector,  # exact lengths, header version, message ids
    TeamViewerDissector,  # 16-bit magic + exact 32-bit length
    IrcDissector,  # text grammar
    RtmpDissector,  # version byte + handshake sizes
)
"""This module's signature dissectors in priority order (strictest first)."""
