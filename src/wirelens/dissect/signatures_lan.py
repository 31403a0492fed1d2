"""Content signatures of LAN services, discovery and voice or game chat.

Identification only (see :mod:`wirelens.dissect.signatures_base`). Every ``matches`` is a
few bounded comparisons on the first payload of one direction, never raises, and checks the
facts listed in its class docstring:

- NetBIOS datagram service (RFC 1002 §4.4): :class:`NetbiosDgmDissector`;
- MS SQL Server Resolution Protocol (SQL browser, MC-SQLR): :class:`MssqlBrowserDissector`;
- CAPWAP control channel (RFC 5415): :class:`CapwapControlDissector`;
- LISP control messages (RFC 9301 / RFC 6830): :class:`LispDissector`;
- DNSCrypt v2 resolver responses: :class:`DnscryptDissector`;
- TeamSpeak 3 connection init: :class:`TeamspeakDissector`;
- Mumble UDP ping: :class:`MumbleDissector`;
- Discord voice IP discovery: :class:`DiscordDissector`;
- Ubiquiti device discovery: :class:`UbiquitiDiscoveryDissector`.

Dropped: the NetBIOS session service (RFC 1002 §4.3) has no class here: its session request
(type 0x81 with two encoded names) is already claimed by the SMB dissector (which reads the
session service framing on 139), and the positive / negative responses (4 or 5 bytes) carry
too few fixed bits to be told apart from other protocols' first segments.
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
    fills,
    is_printable,
)
from wirelens.dissect.signatures_udp import netbios_name

__all__ = [
    "LAN_SIGNATURES",
    "CapwapControlDissector",
    "DiscordDissector",
    "DnscryptDissector",
    "LispDissector",
    "MssqlBrowserDissector",
    "MumbleDissector",
    "NetbiosDgmDissector",
    "TeamspeakDissector",
    "UbiquitiDiscoveryDissector",
]


# --- NetBIOS datagram service (RFC 1002 §4.4) -----------------------------------------------

_HALF_ASCII = frozenset(range(ord("A"), ord("P") + 1))
"""The 16 letters of first-level encoding (RFC 1001 §14.1)."""
_NB_MAX_LABELS = 16
"""Most scope labels walked after an encoded name (a scope is a DNS-like domain)."""


def _encoded_name_end(data: bytes, pos: int) -> int:
    """End of the first-level encoded NetBIOS name at ``pos`` (length 0x20, 32 letters
    ``A``..``P``, scope labels, a zero byte), or -1."""
    n = len(data)
    if pos + 34 > n or data[pos] != 0x20:
        return -1
    if not all(b in _HALF_ASCII for b in data[pos + 1 : pos + 33]):
        return -1
    pos += 33
    for _ in range(_NB_MAX_LABELS):
        if pos >= n:
            return -1
        size = data[pos]
        if size == 0:
            return pos + 1
        if size > 63:
            return -1
        pos += 1 + size
    return -1


class NetbiosDgmDissector(SignatureDissector):
    """NetBIOS datagram service (UDP 138).

    ``matches`` (RFC 1002 §4.4.1 header: MSG_TYPE, FLAGS, DGM_ID, SOURCE_IP, SOURCE_PORT):
    FLAGS with the four unused high bits zero; a direct unique / direct group / broadcast
    datagram (MSG_TYPE 0x10-0x12, §4.4.2) whose DGM_LENGTH equals the payload length minus
    14, PACKET_OFFSET 0 when the F (first) flag is set, and then two first-level encoded
    names (length 0x20, 32 letters ``A``..``P``, scope labels, a zero byte; RFC 1001 §14.1)
    within DGM_LENGTH; or a query request / positive / negative query response (MSG_TYPE
    0x14-0x16, §4.4.4) made of the 10-byte header and exactly one encoded name. The error
    datagram (0x13: 11 bytes) is not claimed. The source IP is not compared to the packet.
    """

    name: ClassVar[str] = "netbios_dgm"
    transports: ClassVar[frozenset[int]] = UDP_ONLY
    ports: ClassVar[frozenset[int]] = frozenset((138,))
    first_bytes: ClassVar[frozenset[int] | None] = frozenset((0x10, 0x11, 0x12, 0x14, 0x15, 0x16))
    """``matches``: the MSG_TYPE of a datagram or a query."""
    screens: ClassVar[Mapping[int, tuple[Screen, ...]]] = {IPPROTO_UDP: (
        Screen(82, equals=((14, b"\x20"),), length=(10, 2, "big", 14)),  # datagrams
        Screen(44, equals=((10, b"\x20"),)),  # queries: the name's length byte
    )}  # fmt: skip
    name_source: ClassVar[str | None] = "netbios_name"
    """server_name is the destination NetBIOS name (first-level decoded)."""

    @classmethod
    def _name_offset(cls, payload: bytes) -> int:
        """Offset of the destination name, or -1 when ``payload`` is not a datagram."""
        n = len(payload)
        if n < 44 or payload[1] & 0xF0:
            return -1
        kind = payload[0]
        if 0x14 <= kind <= 0x16:
            return 10 if _encoded_name_end(payload, 10) == n else -1
        if not 0x10 <= kind <= 0x12 or n < 82 or be16(payload, 10) != n - 14:
            return -1
        if payload[1] & 0x02 and be16(payload, 12):
            return -1
        second = _encoded_name_end(payload, 14)
        return second if second > 0 and _encoded_name_end(payload, second) > 0 else -1

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """Header, length and the encoded names."""
        return cls._name_offset(payload) > 0

    def feed(self, data: bytes, from_orig: bool, ts_ns: int) -> list[Event]:
        """The flow is named by the destination NetBIOS name (decoded as the name service's
        names are: :func:`~wirelens.dissect.signatures_udp.netbios_name`)."""
        self.done = True
        pos = self._name_offset(data)
        if pos > 0:
            self.server_name = netbios_name(data, pos)
        return []


# --- SQL Server Resolution Protocol (MC-SQLR §2.2) ------------------------------------------

_SSRP_KEYS = (b";InstanceName;", b";IsClustered;", b";Version;")
"""Keys every SVR_RESP instance record holds after ``ServerName;`` (MC-SQLR §2.2.5)."""
_SSRP_MAX_INSTANCE = 32
"""Longest INSTANCENAME of a CLNT_UCAST_INST / CLNT_UCAST_DAC request (MC-SQLR §2.2.3)."""


class MssqlBrowserDissector(SignatureDissector):
    """MS SQL Server browser, SQL Server Resolution Protocol (UDP 1434).

    ``matches`` (MC-SQLR §2.2): a server response SVR_RESP (0x05, RESP_SIZE LE u16 equal to
    the payload length minus 3, then text starting ``ServerName;`` holding the keys
    :data:`_SSRP_KEYS` within the first :data:`~wirelens.dissect.signatures_base.MAX_SCAN`
    bytes, §2.2.5); or a CLNT_UCAST_INST request (0x04, §2.2.3) / CLNT_UCAST_DAC request
    (0x0F, protocol version 0x01, §2.2.4) whose instance name is 1-32 printable bytes
    followed by the datagram's only NUL, its last byte. The one-byte CLNT_BCAST_EX (0x02)
    and CLNT_UCAST_EX (0x03) requests are too weak alone and not claimed.
    """

    name: ClassVar[str] = "mssql_browser"
    transports: ClassVar[frozenset[int]] = UDP_ONLY
    ports: ClassVar[frozenset[int]] = frozenset((1434,))
    first_bytes: ClassVar[frozenset[int] | None] = frozenset((0x04, 0x05, 0x0F))
    """``matches``: SVR_RESP, CLNT_UCAST_INST or CLNT_UCAST_DAC."""

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """A whole response or an instance request."""
        n = len(payload)
        if n < 3:
            return False
        kind = payload[0]
        if kind == 0x05:
            if payload[1] | (payload[2] << 8) != n - 3 or payload[3:14] != b"ServerName;":
                return False
            head = payload[3 : 3 + MAX_SCAN]
            return all(key in head for key in _SSRP_KEYS) and is_printable(head)
        start = 1 if kind == 0x04 else 2 if kind == 0x0F and payload[1] == 0x01 else 0
        name = payload[start:-1]
        return (start > 0 and payload[-1] == 0 and 1 <= len(name) <= _SSRP_MAX_INSTANCE
                and is_printable(name))


# --- CAPWAP control (RFC 5415 §4.1-§4.5) ----------------------------------------------------

_CAPWAP_MAX_TYPE = 26
"""Message types 1 (Discovery Request) to 26 (Station Configuration Response), RFC 5415
§4.5.1 (enterprise number 0)."""


class CapwapControlDissector(SignatureDissector):
    """CAPWAP control channel, plain text (UDP 5246). The data channel (UDP 5247) is decoded
    as a tunnel elsewhere and not claimed; DTLS control (preamble type 1) is TLS-like and
    not claimed.

    ``matches``: the preamble (§4.1: version 0, type 0: byte 0x00); the header (§4.3): HLEN
    (5 bits, in 4-byte words) at least 2 and within the payload, WBID 1 (IEEE 802.11), T
    (native frame) and F (fragment) clear, the 3 flag bits and the 3 reserved bits after the
    fragment offset zero; then the control header (§4.5.1) at HLEN * 4: message type with
    IANA enterprise number 0 and a type 1-26, sequence number, message element length equal
    to the bytes after the sequence number (the length field itself, the flags byte and the
    elements) and the flags byte zero.
    """

    name: ClassVar[str] = "capwap_control"
    transports: ClassVar[frozenset[int]] = UDP_ONLY
    ports: ClassVar[frozenset[int]] = frozenset((5246,))
    first_bytes: ClassVar[frozenset[int] | None] = frozenset((0x00,))
    """``matches``: the plain-text preamble."""

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """Preamble, header fields and a control header whose length ends the datagram."""
        n = len(payload)
        if n < 16 or payload[0] != 0:
            return False
        word = be32(payload, 0)
        hlen = ((word >> 19) & 0x1F) * 4
        wbid = (word >> 9) & 0x1F
        if hlen < 8 or hlen + 8 > n or wbid != 1 or word & 0x107 or payload[7] & 0x07:
            return False
        ctl = hlen
        if be16(payload, ctl) or payload[ctl + 2] or not 1 <= payload[ctl + 3] <= _CAPWAP_MAX_TYPE:
            return False
        return be16(payload, ctl + 5) == n - ctl - 5 and payload[ctl + 7] == 0


# --- LISP control messages (RFC 9301 §5, RFC 6830 §6.1) -------------------------------------

_LISP_AFI_SIZES = {0: 0, 1: 4, 2: 16, 6: 6}
"""Address sizes per AFI: none, IPv4, IPv6, 48-bit MAC; 16387 (LCAF) carries its length."""
_LCAF = 16387
_LISP_MAX_ITEMS = 32
"""Most records, locators or ITR-RLOCs walked (bounds ``matches``)."""
_LISP_FIRST_BYTES = frozenset(
    (*range(0x10, 0x20), *range(0x20, 0x30, 2), *range(0x30, 0x40, 2), 0x40, 0x44, 0x48, 0x4C))
"""Byte 0 of the claimed messages: type 1 with its 4 flags; type 2 with P, E, S; type 3 with
P, S, I; type 4 with I, R; the other bits (reserved) zero."""
_LISP_AUTH_SIZES = frozenset((0, 20, 32))
"""Authentication data sizes: none, HMAC-SHA-1-96 padded to 20, HMAC-SHA-256-128 / 256."""
_LISP_TCP_TYPES = range(16, 31)
"""Message types of the reliable transport (draft-ietf-lisp-map-server-reliable-transport;
Wireshark's lisp-tcp names them): 16 Error Notification, 17-20 Registration and its ACK,
NACK and Refresh, 21 Mapping Notification, 22-30 the RLOC membership messages."""
_LISP_TCP_END = b"\x9f\xac\xad\xe9"
"""The End Marker every reliable-transport message ends with."""
_LISP_TCP_FIRST = frozenset((0,))
"""Byte 0 over TCP: the high byte of a 16-bit type."""
_LISP_TCP_MIN = 12
"""Type, Length, Message ID and End Marker: the shortest message."""


def _lisp_tcp_message(data: bytes, pos: int) -> int:
    """End of the reliable-transport message at ``pos`` (Type and Length, 16 bits each, the
    Length the whole message's, then a 32-bit Message ID, data, and the End Marker), or -1."""
    if pos + _LISP_TCP_MIN > len(data) or be16(data, pos) not in _LISP_TCP_TYPES:
        return -1
    end = pos + be16(data, pos + 2)
    if end - pos < _LISP_TCP_MIN or end > len(data) or data[end - 4 : end] != _LISP_TCP_END:
        return -1
    return end


def _lisp_addr(data: bytes, pos: int) -> int:
    """End of an AFI-prefixed address at ``pos``, or -1."""
    if pos + 2 > len(data):
        return -1
    afi = be16(data, pos)
    size = _LISP_AFI_SIZES.get(afi)
    if size is None:
        if afi != _LCAF or pos + 8 > len(data):
            return -1
        size = 6 + be16(data, pos + 6)
    end = pos + 2 + size
    return end if end <= len(data) else -1


def _lisp_records(data: bytes, pos: int, count: int) -> int:
    """End of ``count`` EID records with their locators (RFC 9301 §5.4), or -1."""
    for _ in range(count):
        if pos + 12 > len(data):
            return -1
        locators = data[pos + 4]
        if locators > _LISP_MAX_ITEMS or data[pos + 5] > 128:
            return -1
        pos = _lisp_addr(data, pos + 10)
        for _ in range(locators):
            if pos < 0:
                return -1
            pos = _lisp_addr(data, pos + 6)
        if pos < 0:
            return -1
    return pos


class LispDissector(SignatureDissector):
    """LISP control plane (UDP 4342), and its reliable transport between ETRs and Map-Servers
    (TCP 4342).

    ``matches`` (RFC 9301 §5.2-§5.8, the layouts of RFC 6830 §6.1): byte 0's type and the
    reserved bits after its flags; a record count of 1 to 32; then the message is walked to
    its exact end, each address sized by its AFI (0, IPv4, IPv6, MAC, or an LCAF with its
    length): Map-Request (type 1: nonce, source EID, IRC + 1 ITR-RLOCs, records of EID
    mask-length and prefix, a Map-Reply record when M is set); Map-Reply (type 2: nonce,
    records with their locators); Map-Register / Map-Notify (types 3 / 4: nonce, key id,
    authentication data length of 0, 20 or 32 and its data, records with their locators, 24
    bytes of xTR-ID and site-ID when I is set). Encapsulated Control Messages (type 8) wrap
    an IP header and are not claimed. Over TCP (draft-ietf-lisp-map-server-reliable-transport:
    the Map-Server may speak first, a Registration Refresh), the segment is whole messages
    (:func:`_lisp_tcp_message`), at most ``MAX_MESSAGES``: each its type, its length within
    the segment and its End Marker in its last four bytes.
    """

    name: ClassVar[str] = "lisp"
    transports: ClassVar[frozenset[int]] = TCP_AND_UDP
    ports: ClassVar[frozenset[int]] = frozenset((4342,))
    first_bytes: ClassVar[frozenset[int] | None] = _LISP_FIRST_BYTES | {0}
    """``matches``: the message type and its flag bits (reserved bits zero); over TCP, the
    high byte (0) of a 16-bit type (:meth:`first_bytes_on`)."""
    screens: ClassVar[Mapping[int, tuple[Screen, ...]]] = {IPPROTO_TCP: (
        Screen(_LISP_TCP_MIN, equals=((0, b"\x00"),), values=((1, frozenset(_LISP_TCP_TYPES)),)),)}
    """Over TCP, the first message's type (many binary protocols open with a zero byte); on
    UDP the first byte is all a screen could say (too weak to be one)."""

    @classmethod
    def first_bytes_on(cls, proto: int) -> frozenset[int] | None:
        """UDP: a control message's type and flags; TCP: a reliable-transport type's high
        byte."""
        return _LISP_TCP_FIRST if proto == IPPROTO_TCP else _LISP_FIRST_BYTES

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """A whole control message, walked to its last byte; over TCP, whole messages of the
        reliable transport."""
        if proto == IPPROTO_TCP:
            return fills(payload, _lisp_tcp_message)
        n = len(payload)
        if n < 24 or payload[0] not in _LISP_FIRST_BYTES:
            return False
        kind = payload[0] >> 4
        count = payload[3]
        if not 1 <= count <= _LISP_MAX_ITEMS:
            return False
        if kind == 1:
            pos = _lisp_addr(payload, 12)
            for _ in range((payload[2] & 0x1F) + 1):
                if pos < 0:
                    return False
                pos = _lisp_addr(payload, pos)
            for _ in range(count):
                if pos < 0 or pos + 2 > n or payload[pos + 1] > 128:
                    return False
                pos = _lisp_addr(payload, pos + 2)
            if pos > 0 and payload[0] & 0x04:
                pos = _lisp_records(payload, pos, 1)
            return pos == n
        if kind == 2:
            return payload[1] == 0 and _lisp_records(payload, 12, count) == n
        if kind in (3, 4):
            auth = be16(payload, 14)
            if auth not in _LISP_AUTH_SIZES or payload[1]:
                return False
            pos = _lisp_records(payload, 16 + auth, count)
            site = payload[0] & (0x02 if kind == 3 else 0x08)
            return pos > 0 and pos + (24 if site else 0) == n
        return False


# --- DNSCrypt v2 (DNSCrypt version 2 protocol specification) --------------------------------

_DNSCRYPT_MAGIC = b"r6fnvWj8"
"""The resolver magic starting every DNSCrypt v2 response (0x72 0x36 0x66 0x6e 0x76 0x57
0x6a 0x38)."""
_DNSCRYPT_MIN = 8 + 24 + 16 + 12
"""Resolver magic, nonce (client half + resolver half), Poly1305 tag, a DNS header."""
_DNSCRYPT_MAX_TCP = 0x1000
"""Largest TCP length prefix accepted (a DNS response over DNSCrypt is far shorter)."""


class DnscryptDissector(SignatureDissector):
    """DNSCrypt v2 resolver responses (UDP / TCP 443, 5443).

    ``matches``: the response starts with the fixed resolver magic
    :data:`_DNSCRYPT_MAGIC`, then the 24-byte nonce and the encrypted response (16-byte tag
    and at least a DNS header): at least :data:`_DNSCRYPT_MIN` bytes. Over TCP a 2-byte
    length prefix comes first, from :data:`_DNSCRYPT_MIN` to 4096 and at least what the
    segment holds. Queries begin with the client magic, 8 bytes of the resolver
    certificate (fetched over plain DNS as a TXT record of ``2.dnscrypt-cert.<provider>``):
    no fixed bytes, not claimed; the flow is named from its response.
    """

    name: ClassVar[str] = "dnscrypt"
    transports: ClassVar[frozenset[int]] = TCP_AND_UDP
    ports: ClassVar[frozenset[int]] = frozenset((443, 5443))
    first_bytes: ClassVar[frozenset[int] | None] = frozenset(
        (0x72, *range(_DNSCRYPT_MAX_TCP >> 8)))
    """``matches``: the magic's first byte (UDP), the length prefix's high byte (TCP); the
    UDP screen (the magic at offset 0) drops the TCP bytes' UDP payloads before any call."""
    screens: ClassVar[Mapping[int, tuple[Screen, ...]]] = {
        IPPROTO_UDP: (Screen(_DNSCRYPT_MIN, equals=((0, _DNSCRYPT_MAGIC),)),),
        IPPROTO_TCP: (Screen(_DNSCRYPT_MIN + 2, equals=((2, _DNSCRYPT_MAGIC),)),)}

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """The resolver magic and a response long enough for nonce, tag and DNS header."""
        if proto == IPPROTO_TCP:
            if len(payload) < 2:
                return False
            size = be16(payload, 0)
            if not _DNSCRYPT_MIN <= size < _DNSCRYPT_MAX_TCP or size < len(payload) - 2:
                return False
            payload = payload[2:]
        return len(payload) >= _DNSCRYPT_MIN and payload[:8] == _DNSCRYPT_MAGIC


# --- TeamSpeak 3 (connection init, TS3 protocol notes "Low-level packets / Init1") ----------

_TS3_MAC = b"TS3INIT1"
_TS3_CLIENT_SIZES = {0: 34, 2: 38}
"""Client init steps with a fixed size: header 13 (MAC, packet id, client id, type) +
version 4 + step 1 + step 0: timestamp 4, random 4, 8 zero bytes; step 2: server bytes 16,
random 4."""
_TS3_SERVER_SIZES = {1: 32, 3: 244}
"""Server init steps: header 11 (MAC, packet id, type) + step 1 + step 1: 16 + 4 bytes;
step 3: x 64, n 64, level 4, server bytes 100."""
_TS3_STEP4_MIN = 13 + 4 + 1 + 64 + 64 + 4 + 100 + 64
"""Client step 4: x, n, level, server bytes, y, then the ``clientinitiv`` command."""


class TeamspeakDissector(SignatureDissector):
    """TeamSpeak 3 voice (UDP 9987).

    ``matches`` (connection init, packet type Init1 with the unencrypted flag): the 8-byte
    MAC ``TS3INIT1``, packet id 0x0065; from a client: client id 0, type byte 0x88, a
    version timestamp and step 0 or 2 with its exact size (:data:`_TS3_CLIENT_SIZES`), step
    0's 8 reserved bytes zero, or step 4 at least :data:`_TS3_STEP4_MIN` bytes; from a
    server: type byte 0x88 right after the packet id and step 1 or 3 with its exact size
    (:data:`_TS3_SERVER_SIZES`). Other packets are encrypted with a per-session key.
    """

    name: ClassVar[str] = "teamspeak"
    transports: ClassVar[frozenset[int]] = UDP_ONLY
    ports: ClassVar[frozenset[int]] = frozenset((9987,))
    first_bytes: ClassVar[frozenset[int] | None] = frozenset((ord("T"),))
    """``matches``: the MAC's first letter."""
    screens: ClassVar[Mapping[int, tuple[Screen, ...]]] = {
        IPPROTO_UDP: (Screen(32, equals=((0, _TS3_MAC + b"\x00\x65"),)),)}

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """MAC, packet id, type and an init step of its size."""
        n = len(payload)
        if n < 32 or payload[:10] != _TS3_MAC + b"\x00\x65":
            return False
        if payload[10] == 0x88:
            return _TS3_SERVER_SIZES.get(payload[11]) == n
        if payload[10:13] != b"\x00\x00\x88":
            return False
        step = payload[17]
        if step == 4:
            return n >= _TS3_STEP4_MIN
        if step == 0 and any(payload[26:34]):
            return False
        return _TS3_CLIENT_SIZES.get(step) == n


# --- Mumble UDP ping (Mumble protocol documentation, "UDP ping") ----------------------------

_MUMBLE_MAX_USERS = 100_000
_MUMBLE_MAX_BANDWIDTH = 10_000_000
"""Bounds of a server's reply fields (users, max users, bandwidth in bit/s)."""


class MumbleDissector(SignatureDissector):
    """Mumble server ping (UDP 64738). Mumble's TCP channel is TLS (named by TLS) and its
    UDP voice is encrypted: neither is claimed.

    ``matches``: the 24-byte ping reply (version as 0x00, major 1, minor, patch; the 8-byte
    ident echoed; users, max users, max bandwidth as BE u32): major 1, minor at most 99,
    users at most max users, max users from 1 to 100000, bandwidth from 1 to 10 Mbit/s. The
    12-byte request (4 zero bytes, then an 8-byte ident) is too weak alone (other protocols'
    12-byte datagrams start with 4 zero bytes: BFD) and is not claimed.
    """

    name: ClassVar[str] = "mumble"
    transports: ClassVar[frozenset[int]] = UDP_ONLY
    ports: ClassVar[frozenset[int]] = frozenset((64738,))
    first_bytes: ClassVar[frozenset[int] | None] = frozenset((0x00,))
    """``matches``: the version's zero byte."""

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """A server's ping reply of exact size."""
        if len(payload) != 24 or payload[:2] != b"\x00\x01" or payload[2] > 99:
            return False
        users, most, bandwidth = be32(payload, 12), be32(payload, 16), be32(payload, 20)
        return (users <= most and 1 <= most <= _MUMBLE_MAX_USERS
                and 1 <= bandwidth <= _MUMBLE_MAX_BANDWIDTH)


# --- Discord voice IP discovery (Discord developer docs, "IP Discovery") --------------------


_DISCORD_KEEPALIVE = b"\x13\x37\xca\xfe"
"""The magic opening a Discord voice keep-alive datagram."""


class DiscordDissector(SignatureDissector):
    """Discord voice over UDP (voice servers' UDP ports, typically 50000-65535; 443 is not
    registered: the hint is 50001): IP discovery and keep-alives.

    ``matches``:

    - IP discovery (74-byte packet: type BE u16, length BE u16, SSRC BE u32, address 64
      bytes, port BE u16): type 1 (request) or 2 (response); length 70; the address is
      printable ASCII then NUL padding only (all NUL allowed in a request); a response
      carries an address and a port that is not 0.
    - keep-alive: an 8-byte datagram, the 32-bit magic ``13 37 ca fe`` then a counter
      (either side sends them, the server echoing the client's; a flow can hold nothing
      else once its discovery went by in an earlier flow).

    Discord's other traffic (TLS, QUIC, encrypted RTP) is named elsewhere.
    """

    name: ClassVar[str] = "discord"
    transports: ClassVar[frozenset[int]] = UDP_ONLY
    ports: ClassVar[frozenset[int]] = frozenset((50001,))
    first_bytes: ClassVar[frozenset[int] | None] = frozenset((0x00, 0x13))
    """``matches``: the type's high byte, or the keep-alive magic's first."""
    screens: ClassVar[Mapping[int, tuple[Screen, ...]]] = {IPPROTO_UDP: (
        Screen(74, equals=((0, b"\x00\x01\x00\x46"),), length=(2, 2, "big", 4)),
        Screen(74, equals=((0, b"\x00\x02\x00\x46"),), length=(2, 2, "big", 4)),
        Screen(8, equals=((0, _DISCORD_KEEPALIVE),)),
    )}  # fmt: skip

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """Exact size, type, length and a NUL-padded printable address; or a keep-alive."""
        if len(payload) == 8:
            return payload[:4] == _DISCORD_KEEPALIVE
        if len(payload) != 74 or payload[:4] not in (b"\x00\x01\x00\x46", b"\x00\x02\x00\x46"):
            return False
        address = payload[8:72].rstrip(b"\x00")
        if b"\x00" in address or not is_printable(address):
            return False
        return payload[1] == 1 or (bool(address) and be16(payload, 72) != 0)


# --- Ubiquiti device discovery (UBNT discovery protocol, public descriptions) ---------------

_UBNT_MAX_TLVS = 64
"""Most TLVs walked (a reply carries a few dozen)."""
_UBNT_MAX_TYPE = 0x30
"""Largest TLV type accepted (the documented types are 0x01-0x2f)."""
_UBNT_V2_COMMANDS = frozenset((0x06, 0x09, 0x0B))
"""Version 2 packet commands seen in replies and announcements."""


class UbiquitiDiscoveryDissector(SignatureDissector):
    """Ubiquiti device discovery (UDP 10001).

    ``matches`` (header: version, command, BE u16 length; then TLVs of type u8, BE u16
    length, value): version 1 with command 0 (a device's reply), or version 2 with a command
    of :data:`_UBNT_V2_COMMANDS`; the length equals the payload length minus 4; at least one
    TLV; every TLV type from 1 to 0x30 and the TLVs walked end exactly at the payload's end
    (at most :data:`_UBNT_MAX_TLVS`). The 4-byte version 1 request ``01 00 00 00`` is too
    weak alone and not claimed.
    """

    name: ClassVar[str] = "ubiquiti_discovery"
    transports: ClassVar[frozenset[int]] = UDP_ONLY
    ports: ClassVar[frozenset[int]] = frozenset((10001,))
    first_bytes: ClassVar[frozenset[int] | None] = frozenset((0x01, 0x02))
    """``matches``: the version."""
    screens: ClassVar[Mapping[int, tuple[Screen, ...]]] = {IPPROTO_UDP: (
        Screen(7, equals=((0, b"\x01\x00"),), length=(2, 2, "big", 4)),
        Screen(7, equals=((0, b"\x02"),), length=(2, 2, "big", 4)),
    )}  # fmt: skip

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """Header, length and TLVs walked to the end."""
        n = len(payload)
        if n < 7 or be16(payload, 2) != n - 4:
            return False
        if payload[:2] != b"\x01\x00" and not (
                payload[0] == 2 and payload[1] in _UBNT_V2_COMMANDS):
            return False
        pos = 4
        for _ in range(_UBNT_MAX_TLVS):
            if pos + 3 > n or not 1 <= payload[pos] <= _UBNT_MAX_TYPE:
                return False
            pos += 3 + be16(payload, pos + 1)
            if pos == n:
                return True
        return False


LAN_SIGNATURES: tuple[type[Dissector], ...] = (
    TeamspeakDissector,
    DiscordDissector,
    CapwapControlDissector,
    LispDissector,
    NetbiosDgmDissector,
    MssqlBrowserDissector,
    UbiquitiDiscoveryDissector,
    MumbleDissector,
    DnscryptDissector,
)
"""This module's signature dissectors in priority order (strictest first)."""
