"""Content signatures of UDP-only services: SSDP, NetBIOS-NS, WireGuard, IKE, RTP, RTCP.

Identification only (see :mod:`wirelens.dissect.signatures_base`). Every ``matches`` is a
few bounded comparisons on one datagram, never raises, and checks the spec facts listed in
its class docstring. ESP (IP protocol 50) carries no UDP payload and is not identified here;
UDP-encapsulated ESP on port 4500 (RFC 3948) is opaque after its SPI and is not claimed.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import IntEnum
from typing import ClassVar

from wirelens.dissect.base import IPPROTO_UDP, Event, Screen
from wirelens.dissect.signatures_base import MAX_SCAN, UDP_ONLY, SignatureDissector, be16, be32

__all__ = [
    "IkeDissector",
    "IkeExchange",
    "NetbiosNsDissector",
    "RtcpDissector",
    "RtcpType",
    "RtpDissector",
    "SsdpDissector",
    "WireGuardDissector",
    "WireGuardType",
    "netbios_name",
]


# --- SSDP (UPnP Device Architecture 2.0 §1: SSDP is HTTP over UDP, "HTTPU/HTTPMU") --------

_SSDP_REQUESTS = (b"M-SEARCH * HTTP/1.1\r\n", b"NOTIFY * HTTP/1.1\r\n")
_SSDP_RESPONSE = b"HTTP/1.1 200 OK\r\n"
_SSDP_RESPONSE_HEADERS = (b"\r\nst:", b"\r\nusn:")


class SsdpDissector(SignatureDissector):
    """SSDP discovery (UDP 1900).

    ``matches``: the datagram starts with one of the two SSDP request lines, which use the
    asterisk request target (UDA 2.0 §1.2 NOTIFY, §1.3.2 M-SEARCH): ``M-SEARCH * HTTP/1.1``
    or ``NOTIFY * HTTP/1.1``; or it is an HTTP/1.1 200 response over UDP carrying an ``ST``
    or ``USN`` header (UDA 2.0 §1.3.3, the search response) within its first
    :data:`~wirelens.dissect.signatures_base.MAX_SCAN` bytes.
    """

    name: ClassVar[str] = "ssdp"
    transports: ClassVar[frozenset[int]] = UDP_ONLY
    ports: ClassVar[frozenset[int]] = frozenset((1900,))
    first_bytes: ClassVar[frozenset[int] | None] = frozenset(b"MNH")
    """``matches``: ``M-SEARCH``, ``NOTIFY`` or ``HTTP/1.1 200`` at the start."""

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """Request line of an SSDP request, or a 200 response with ST/USN headers."""
        if payload.startswith(_SSDP_REQUESTS):
            return True
        if not payload.startswith(_SSDP_RESPONSE):
            return False
        head = payload[:MAX_SCAN].lower()
        return any(h in head for h in _SSDP_RESPONSE_HEADERS)


# --- NetBIOS Name Service (RFC 1002 §4.2) --------------------------------------------------

_NBNS_OPCODES = frozenset((0, 5, 6, 7, 8, 9))
"""RFC 1002 §4.2.1.1 OPCODE: query, registration, release, WACK, refresh (8), and 9 (the
multi-homed registration of later implementations, same layout)."""
_NBNS_HALF_ASCII = frozenset(range(ord("A"), ord("P") + 1))
"""RFC 1001 §14.1 first-level encoding: each half-byte of the 16-byte NetBIOS name becomes
a letter ``'A' + nibble``, so the 32 encoded bytes are in A..P."""


_NBNS_DAMAGED = 8
"""Letters of an encoded name (of 32) outside ``A``..``P`` that a datagram on port 137 may
have and still be taken for NetBIOS (:meth:`NetbiosNsDissector.matches_on_own_port`)."""


def _nbns_header(payload: bytes) -> bool:
    """A NetBIOS name service header (RFC 1002 §4.2.1) followed by a 32-byte name (length
    byte 0x20), its letters not looked at."""
    # the name's length byte first: the one test nearly every other datagram fails
    if len(payload) < 12 + 1 + 32 + 1 or payload[12] != 0x20:
        return False
    flags = be16(payload, 2)
    if (flags >> 11) & 0xF not in _NBNS_OPCODES or flags & 0x0060:
        return False
    qd, an, ns, ar = be16(payload, 4), be16(payload, 6), be16(payload, 8), be16(payload, 10)
    return max(qd, an, ns, ar) <= 1 and qd + an == 1


class NetbiosNsDissector(SignatureDissector):
    """NetBIOS Name Service (UDP 137).

    ``matches`` (RFC 1002 §4.2.1): a 12-byte header whose OPCODE is one of
    :data:`_NBNS_OPCODES` and whose two reserved NM_FLAGS bits (0x0060) are zero; each of
    the four section counts is 0 or 1 and the question or answer count is 1 (NetBIOS
    packets carry one name); then the first name is a 32-byte first-level encoded NetBIOS
    name (length byte 0x20, RFC 1001 §14.1) whose 32 bytes are all in ``A``..``P``.
    """

    name: ClassVar[str] = "netbios_ns"
    transports: ClassVar[frozenset[int]] = UDP_ONLY
    ports: ClassVar[frozenset[int]] = frozenset((137,))
    screens: ClassVar[Mapping[int, tuple[Screen, ...]]] = {
        IPPROTO_UDP: (Screen(46, equals=((12, b"\x20"),)),)}  # the encoded name's length

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """Header flags, counts and the first-level encoded name."""
        return _nbns_header(payload) and all(b in _NBNS_HALF_ASCII for b in payload[13:45])

    @classmethod
    def matches_on_own_port(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """On port 137, a name damaged in a few letters (at most :data:`_NBNS_DAMAGED` of
        the 32 outside ``A``..``P``), the header as :meth:`matches` asks: NetBIOS, not a
        DNS query with a 32-byte label (DNS on 137 would be no less damaged)."""
        return _nbns_header(payload) and sum(
            b not in _NBNS_HALF_ASCII for b in payload[13:45]) <= _NBNS_DAMAGED

    name_source: ClassVar[str | None] = "netbios_name"

    def feed(self, data: bytes, from_orig: bool, ts_ns: int) -> list[Event]:
        """The flow is named by the first NetBIOS name it carries (first-level decoding,
        RFC 1001 §14.1: two letters ``A``-``P`` per byte, the 16th byte a suffix; trailing
        spaces and NULs stripped, ``*`` for the wildcard name)."""
        self.done = True
        self.server_name = netbios_name(data, 12)
        return []


def netbios_name(data: bytes, pos: int) -> str | None:
    """The NetBIOS name encoded at ``data[pos:]`` (a 0x20 length byte, then 32 letters
    ``A``-``P``: first-level encoding, RFC 1001 §14.1, two per byte; the 16th byte, a suffix,
    dropped; trailing spaces and NULs stripped; bytes outside printable ASCII as ``\\xhh``),
    or None when there is none. A name damaged in its letters is read as far as it is valid
    (up to the first pair with a letter outside ``A``..``P``), as nDPI reads it."""
    if len(data) < pos + 33 or data[pos] != 0x20:
        return None
    raw = bytearray()
    for i in range(pos + 1, pos + 31, 2):
        hi, lo = data[i] - 0x41, data[i + 1] - 0x41
        if not (0 <= hi < 16 and 0 <= lo < 16):
            break
        raw.append(hi << 4 | lo)
    name = bytes(raw).rstrip(b" \x00")
    return "".join(chr(b) if 0x20 < b < 0x7F else f"\\x{b:02x}" for b in name) or None


# --- WireGuard (WireGuard whitepaper §5.4) -------------------------------------------------


class WireGuardType(IntEnum):
    """WireGuard message types (whitepaper §5.4.2-§5.4.7)."""

    HANDSHAKE_INITIATION = 1
    HANDSHAKE_RESPONSE = 2
    COOKIE_REPLY = 3
    TRANSPORT_DATA = 4


_WG_SIZES = {
    WireGuardType.HANDSHAKE_INITIATION: 148,
    WireGuardType.HANDSHAKE_RESPONSE: 92,
    WireGuardType.COOKIE_REPLY: 64,
}
"""Fixed message sizes (whitepaper §5.4.2 initiation: 4+4+32+48+28+16+16; §5.4.3 response:
4+4+4+32+16+16+16; §5.4.7 cookie reply: 4+4+24+32)."""

_WG_DATA_MIN = 32
"""Transport data (whitepaper §5.4.6): type 4, 3 zero bytes, receiver index (4), counter
(8), then the AEAD output: the packet padded to a multiple of 16 plus a 16-byte tag, so the
datagram is 32 + 16k bytes (k >= 0, k = 0 for a keepalive)."""


class WireGuardDissector(SignatureDissector):
    """WireGuard (UDP, usually 51820).

    ``matches``: byte 0 is a message type 1-4 and bytes 1-3 (reserved) are zero
    (whitepaper §5.4); types 1-3 have their exact fixed size (:data:`_WG_SIZES`); transport
    data (type 4, seen first when a capture starts mid-session) is at least 32 bytes and a
    multiple of 16 long (:data:`_WG_DATA_MIN`).
    """

    name: ClassVar[str] = "wireguard"
    transports: ClassVar[frozenset[int]] = UDP_ONLY
    ports: ClassVar[frozenset[int]] = frozenset((51820,))
    screens: ClassVar[Mapping[int, tuple[Screen, ...]]] = {
        IPPROTO_UDP: (Screen(_WG_DATA_MIN, equals=((1, b"\x00\x00\x00"),)),)}  # reserved
    first_bytes: ClassVar[frozenset[int] | None] = frozenset((1, 2, 3, 4))
    """``matches``: message type 1-4 in byte 0."""

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """Type byte, zero reserved bytes and the size rule of that type."""
        n = len(payload)
        if n < _WG_DATA_MIN or payload[1:4] != b"\x00\x00\x00":
            return False
        kind = payload[0]
        if kind == WireGuardType.TRANSPORT_DATA:
            return n % 16 == 0
        size = _WG_SIZES.get(WireGuardType(kind)) if 1 <= kind <= 3 else None
        return size == n


# --- IKE / ISAKMP (RFC 7296 §3.1 IKEv2, RFC 2408 §3.1 ISAKMP for IKEv1) --------------------


class IkeExchange(IntEnum):
    """Exchange types: IKEv1 (RFC 2408 §3.1 / RFC 2409) and IKEv2 (RFC 7296 §3.1)."""

    BASE = 1
    IDENTITY_PROTECTION = 2
    AUTHENTICATION_ONLY = 3
    AGGRESSIVE = 4
    INFORMATIONAL_V1 = 5
    QUICK_MODE = 32
    NEW_GROUP_MODE = 33
    IKE_SA_INIT = 34
    IKE_AUTH = 35
    CREATE_CHILD_SA = 36
    INFORMATIONAL = 37
    IKE_SESSION_RESUME = 38
    IKE_INTERMEDIATE = 43
    IKE_FOLLOWUP_KE = 44


_IKEV1_EXCHANGES = frozenset((1, 2, 3, 4, 5, 32, 33))
_IKEV2_EXCHANGES = frozenset((34, 35, 36, 37, 38, 43, 44))
_IKEV1_NEXT = frozenset((*range(0, 14), 20, 21, 130, 131))
"""IKEv1 payload types (RFC 2408 §3.1: 0 none, 1-13; RFC 3947 NAT-D 20, NAT-OA 21, and
the draft values 130/131 still sent by some peers)."""
_IKEV2_NEXT = frozenset((0, *range(33, 55)))
"""IKEv2 payload types (RFC 7296 §3.2: 33 SA .. 48 EAP; 49-52 RFC 6467/9838; 53 SKF RFC
7383; 54 PS RFC 9593)."""
_IKE_HEADER = 28
_IKE_VERSIONS = frozenset((0x10, 0x20))
"""Byte 17 of the header: ISAKMP 1.0 or IKEv2 (:func:`_ike_header_ok`)."""
_NON_ESP_MARKER = b"\x00\x00\x00\x00"
"""RFC 3948 §2.2: on UDP 4500, IKE messages start with four zero bytes (an ESP SPI is never
zero), before the IKE header."""


def _ike_header_ok(p: bytes, off: int) -> bool:
    """The IKE header at ``off`` spans exactly to the end of ``p`` (RFC 7296 §3.1)."""
    if len(p) - off < _IKE_HEADER or p[off : off + 8] == b"\x00" * 8:
        return False  # "Initiator's SPI ... MUST NOT be zero" (RFC 7296 §3.1)
    version, exchange, flags = p[off + 17], p[off + 18], p[off + 19]
    if version == 0x20:  # major 2, minor 0
        if exchange not in _IKEV2_EXCHANGES or flags & ~0x38 or p[off + 16] not in _IKEV2_NEXT:
            return False  # flags: only I (0x08), V (0x10), R (0x20) are defined
    elif version == 0x10:  # ISAKMP 1.0
        if exchange not in _IKEV1_EXCHANGES or flags & ~0x07 or p[off + 16] not in _IKEV1_NEXT:
            return False  # flags: only E, C, A (RFC 2408 §3.1)
    else:
        return False
    return be32(p, off + 24) == len(p) - off


class IkeDissector(SignatureDissector):
    """IKEv1/ISAKMP and IKEv2 key exchange (UDP 500, 4500).

    ``matches``: a 28-byte IKE header spanning the whole datagram: nonzero initiator SPI,
    version byte 0x10 (ISAKMP 1.0) or 0x20 (IKEv2), an exchange type of that version, only
    defined flag bits set, a known first payload type, and the length field equal to the
    message length. On NAT-T (UDP 4500) the header follows the four-byte non-ESP marker
    (RFC 3948 §2.2). ESP itself is not a TCP/UDP payload and is not identified here.
    """

    name: ClassVar[str] = "ike"
    transports: ClassVar[frozenset[int]] = UDP_ONLY
    ports: ClassVar[frozenset[int]] = frozenset((500, 4500))
    screens: ClassVar[Mapping[int, tuple[Screen, ...]]] = {IPPROTO_UDP: (  # the version byte
        Screen(_IKE_HEADER, values=((17, _IKE_VERSIONS),)),
        Screen(4 + _IKE_HEADER, equals=((0, _NON_ESP_MARKER),), values=((21, _IKE_VERSIONS),)))}

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """The header at offset 0, or after the non-ESP marker."""
        # the version byte first (inline): nearly every other datagram fails it
        n = len(payload)
        if n >= _IKE_HEADER and payload[17] in _IKE_VERSIONS and _ike_header_ok(payload, 0):
            return True
        return (n >= 4 + _IKE_HEADER and payload[21] in _IKE_VERSIONS
                and payload[:4] == _NON_ESP_MARKER and _ike_header_ok(payload, 4))


# --- RTP (RFC 3550 §5.1) and RTCP (RFC 3550 §6) --------------------------------------------

_RTP_PAYLOAD_TYPES = frozenset(
    (0, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 25, 26, 28, 31, 32, 33, 34)
) | frozenset(range(96, 128))
"""RFC 3551 §6 (Tables 4 and 5): the assigned static payload types and the dynamic range
96-127. Reserved (1, 2, 19), unassigned (20-24, 27, 29, 30, 35-71, 77-95) and the types
that would collide with RTCP (72-76, RFC 5761 §4) are refused."""


_RTP_FIRST_BYTES = frozenset((0x80, 0x90, 0xA0, 0xB0))
"""Byte 0 accepted: version 2 (RFC 3550 §5.1), P and X free, CC = 0. A CSRC list is only
written by mixers (RFC 3550 §7.1); refusing it on a flow's first packet divides the
random-payload hit rate by 16 at the cost of missing mixed streams' first packet."""
_RTP_EXTENSION_PROFILES = 0xBEDE
"""RFC 8285 §4.2: the one-byte header extension profile; two-byte extensions use
0x100 + appbits in the top 12 bits (§4.3): those are the ones WebRTC and SIP phones send."""


class RtpDissector(SignatureDissector):
    """RTP media (UDP; the weakest signature here: keep it last in priority).

    ``matches`` (RFC 3550 §5.1), one datagram only: version 2 and no CSRC list
    (:data:`_RTP_FIRST_BYTES`); payload type in :data:`_RTP_PAYLOAD_TYPES`; nonzero SSRC;
    with X set, an RFC 8285 header extension (profile 0xBEDE or 0x100x) whose length in
    32-bit words fits; with P set, the last byte (padding count) is nonzero and no longer
    than what follows the headers; at least one byte of payload remains. A second packet
    (same SSRC, sequence + 1) would be a stronger test but ``matches`` sees one payload.
    About 1 random datagram in 400 passes (measured on uniform random bytes): the registry puts
    RTP after every other UDP dissector, and ports break ties.
    """

    name: ClassVar[str] = "rtp"
    transports: ClassVar[frozenset[int]] = UDP_ONLY
    first_bytes: ClassVar[frozenset[int] | None] = _RTP_FIRST_BYTES
    """``matches``: ``first not in _RTP_FIRST_BYTES`` is refused."""

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """Version, payload type, SSRC and the header/padding lengths."""
        n = len(payload)
        first = payload[0] if n >= 13 else 0
        if first not in _RTP_FIRST_BYTES or payload[1] & 0x7F not in _RTP_PAYLOAD_TYPES:
            return False
        if payload[8:12] == b"\x00\x00\x00\x00":
            return False
        end = 12
        if first & 0x10:  # X: header extension (RFC 3550 §5.3.1)
            profile = be16(payload, 12) if n >= 16 else 0
            if profile != _RTP_EXTENSION_PROFILES and profile & 0xFFF0 != 0x1000:
                return False
            end += 4 + 4 * be16(payload, 14)
        pad = payload[-1] if first & 0x20 else 0
        if first & 0x20 and pad == 0:
            return False
        return end + pad < n


class RtcpType(IntEnum):
    """RTCP packet types (RFC 3550 §12.1; RFC 4585 §6.1 RTPFB/PSFB; RFC 3611 XR)."""

    SR = 200
    RR = 201
    SDES = 202
    BYE = 203
    APP = 204
    RTPFB = 205
    PSFB = 206
    XR = 207


_RTCP_MAX_PACKETS = 16
"""Sub-packets walked in one compound datagram (real ones hold 2-4). Reason: bounds the
work of ``matches`` on a datagram of tiny sub-packets."""


class RtcpDissector(SignatureDissector):
    """RTCP control (UDP; plain RTCP, not SRTCP whose later sub-packets are encrypted).

    ``matches`` (RFC 3550 §6.4, §6.1): the datagram is a compound packet whose first
    sub-packet is a report (SR 200 or RR 201, "MUST" per RFC 3550 §6.1); every sub-packet
    has version 2 and a type in 200-207 (:class:`RtcpType`); SR/RR sub-packets are long
    enough for their report count (SR 28 + 24*RC, RR 8 + 24*RC bytes); the length fields
    ((length + 1) * 4 bytes each) add up to exactly the datagram's length.
    """

    name: ClassVar[str] = "rtcp"
    transports: ClassVar[frozenset[int]] = UDP_ONLY
    first_bytes: ClassVar[frozenset[int] | None] = frozenset(range(0x80, 0xC0))
    """``matches``: version 2 (``payload[0] >> 6 == 2``) in the first sub-packet."""

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """Walk the compound packet's length fields to the exact end."""
        n = len(payload)
        if n < 8 or payload[1] not in (RtcpType.SR, RtcpType.RR):
            return False
        pos = 0
        for _ in range(_RTCP_MAX_PACKETS):
            if pos + 4 > n or payload[pos] >> 6 != 2:
                return False
            kind, count = payload[pos + 1], payload[pos] & 0x1F
            size = (be16(payload, pos + 2) + 1) * 4
            if not RtcpType.SR <= kind <= RtcpType.XR:
                return False
            if kind == RtcpType.SR and size < 28 + 24 * count:
                return False
            if kind == RtcpType.RR and size < 8 + 24 * count:
                return False
            pos += size
            if pos == n:
                return True
        return False
