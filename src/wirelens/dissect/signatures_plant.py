"""Content signatures of industrial, instrument and railway field buses over IP.

Identification only (see :mod:`wirelens.dissect.signatures_base`). One class per service:

- ``trdp``: IEC 61375-2-3 Train Realtime Data Protocol, process data (PD) and message data
  (MD) headers with their CRC-32 header FCS checked, UDP 17224/17225, TCP 17225;
- ``ether_s_bus``: SAIA Ether-S-Bus telegrams (length, CRC-16 checked), UDP 5050;
- ``can_udp``: CAN frames over UDP in the Proconx CAN-ETH encapsulation ("ISO11898"),
  UDP 11898;
- ``hislip``: IVI-6.1 HiSLIP messages ("HS" prologue, 64-bit payload length), TCP 4880;
- ``lustre``: Lustre LNet over TCP (socklnd): acceptor request, hello, LNet message, TCP 988;
- ``cnp_ip``: ISO/IEC 14908-4 (EIA-852) CN/IP packets (LonWorks over IP), UDP 1628/1629;
- ``ethersio``: SAIA Ether-S-I/O telegrams ("ESIO"), UDP 6060;
- ``flute``: RFC 6726 FLUTE FDT Instance packets over ALC/LCT (RFC 5651), UDP;
- ``egd``: GE Ethernet Global Data production PDUs, UDP 18246;
- ``cpha``: Check Point ClusterXL / High Availability protocol (magic 0x1a90), UDP 8116.

:data:`PLANT_SIGNATURES` lists them strictest first (checksums and exact length fields
before magic values with enumerated fields). Over TCP ``matches`` sees the first segment of
one direction; each class says when several messages may share it.
"""

from __future__ import annotations

import zlib
from binascii import crc_hqx  # CRC-16, polynomial 0x1021, not reflected (XMODEM from 0)
from collections.abc import Mapping
from typing import ClassVar

from wirelens.dissect.base import IPPROTO_TCP, IPPROTO_UDP, Dissector, Screen
from wirelens.dissect.signatures_base import (
    MAX_SCAN,
    TCP_AND_UDP,
    TCP_ONLY,
    UDP_ONLY,
    SignatureDissector,
    be16,
    be32,
    is_ascii_text,
    le32,
)

__all__ = [
    "PLANT_SIGNATURES",
    "CanUdpDissector",
    "CnpIpDissector",
    "CphaDissector",
    "EgdDissector",
    "EtherSBusDissector",
    "EtherSioDissector",
    "FluteDissector",
    "HislipDissector",
    "LustreDissector",
    "TrdpDissector",
]

_MAX_MESSAGES = 16
"""Messages walked in one TCP segment. Reason: bounds ``matches``."""


# --- TRDP (IEC 61375-2-3) -----------------------------------------------------------------------

_TRDP_PD_HEAD = 40
_TRDP_MD_HEAD = 116
_TRDP_PD_TYPES = frozenset((0x5064, 0x5070, 0x5072, 0x5065))
"""PD message types: 'Pd' data, 'Pp' pull reply, 'Pr' pull request, 'Pe' error."""
_TRDP_MD_TYPES = frozenset((0x4D6E, 0x4D72, 0x4D70, 0x4D71, 0x4D63, 0x4D65))
"""MD message types: 'Mn' notification, 'Mr' request, 'Mp' reply, 'Mq' reply with
confirmation request, 'Mc' confirm, 'Me' error."""
_TRDP_PD_MAX = 1432
"""Largest PD dataset (one Ethernet frame; the TCNopen reference implementation's limit)."""
_TRDP_MD_MAX = 65388
"""Largest MD dataset (the TCNopen reference implementation's limit)."""
_TRDP_SECOND = frozenset(t & 0xFF for t in _TRDP_PD_TYPES | _TRDP_MD_TYPES)


class TrdpDissector(SignatureDissector):
    """IEC 61375-2-3 Train Realtime Data Protocol, UDP 17224 (PD) / 17225 (MD), TCP 17225.

    ``matches`` (IEC 61375-2-3 Annex A, the PD and MD PDU layouts): a sequence
    counter, a protocol version of major 1 (0x01xx), a message type among the PD types 'Pd',
    'Pp', 'Pr', 'Pe' (40-byte header, over UDP only, the reserved word after the dataset
    length 0) or the MD types 'Mn',
    'Mr', 'Mp', 'Mq', 'Mc', 'Me' (116-byte header); a dataset length of at most 1432 (PD) /
    65388 (MD) bytes; the header FCS (the last header word: the CRC-32 of the header bytes
    before it, IEEE 802.3 polynomial, stored little-endian) correct. Over UDP the datagram is
    the header and the dataset, padded or not to a multiple of 4 bytes; over TCP the first
    segment holds at least the MD header (the dataset may follow in later segments).
    """

    name: ClassVar[str] = "trdp"
    transports: ClassVar[frozenset[int]] = TCP_AND_UDP
    ports: ClassVar[frozenset[int]] = frozenset((17224, 17225))
    first_bytes: ClassVar[frozenset[int] | None] = None
    """The sequence counter: any byte (the screens hold the fixed fields)."""
    screens: ClassVar[Mapping[int, tuple[Screen, ...]]] = {
        IPPROTO_UDP: (Screen(_TRDP_PD_HEAD, equals=((4, b"\x01"),),
                             values=((6, frozenset((0x50, 0x4D))), (7, _TRDP_SECOND))),),
        IPPROTO_TCP: (Screen(_TRDP_MD_HEAD, equals=((4, b"\x01"), (6, b"\x4d")),
                             values=((7, _TRDP_SECOND),)),),
    }

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """Version, message type, dataset length and header CRC-32."""
        n = len(payload)
        if n < _TRDP_PD_HEAD or payload[4] != 1:
            return False
        kind = be16(payload, 6)
        if kind in _TRDP_PD_TYPES:
            if proto != IPPROTO_UDP or be32(payload, 24) != 0:
                return False
            head, top = _TRDP_PD_HEAD, _TRDP_PD_MAX
        elif kind in _TRDP_MD_TYPES:
            head, top = _TRDP_MD_HEAD, _TRDP_MD_MAX
        else:
            return False
        if n < head:
            return False
        size = be32(payload, 20)
        if size > top:
            return False
        if proto == IPPROTO_UDP and n != head + size and n != head + ((size + 3) & ~3):
            return False
        return zlib.crc32(payload[: head - 4]) == le32(payload, head - 4)


# --- SAIA Ether-S-Bus ---------------------------------------------------------------------------

_SBUS_MIN = 12
_SBUS_MAX = MAX_SCAN
"""Largest telegram checked (an S-Bus telegram carries at most a few hundred bytes).
Reason: bounds the CRC computation in ``matches``."""


class EtherSBusDissector(SignatureDissector):
    """SAIA Ether-S-Bus (S-Bus telegrams over UDP), UDP 5050.

    No public specification beyond SAIA-Burgess's S-Bus user documentation: the facts are
    those Wireshark's S-Bus dissector decodes, and hold on every datagram of nDPI's
    ethersbus.pcap. ``matches``: one telegram per datagram, 12 to 512 bytes: a
    32-bit big-endian length equal to the datagram's length, a version 0 or 1, a protocol
    type 0 (S-Bus), a 16-bit sequence number, a telegram attribute request 0, response 1 or
    ACK/NAK 2, at least one byte of telegram, and a CRC-16 (polynomial 0x1021, initial value
    0) of every byte before it, big-endian, in the last 2 bytes.
    """

    name: ClassVar[str] = "ether_s_bus"
    transports: ClassVar[frozenset[int]] = UDP_ONLY
    ports: ClassVar[frozenset[int]] = frozenset((5050,))
    first_bytes: ClassVar[frozenset[int] | None] = frozenset((0,))
    """``matches``: the length's high byte."""
    screens: ClassVar[Mapping[int, tuple[Screen, ...]]] = {IPPROTO_UDP: (Screen(
        _SBUS_MIN, equals=((0, b"\x00\x00"), (5, b"\x00")),
        values=((4, frozenset((0, 1))), (8, frozenset((0, 1, 2)))),
        length=(0, 4, "big", 0)),)}

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """Length, version, protocol type, attribute and CRC-16."""
        n = len(payload)
        if n < _SBUS_MIN or n > _SBUS_MAX or be32(payload, 0) != n:
            return False
        if payload[4] > 1 or payload[5] != 0 or payload[8] > 2:
            return False
        return crc_hqx(payload[:-2], 0) == be16(payload, n - 2)


# --- CAN over UDP (Proconx CAN-ETH) -------------------------------------------------------------

_CAN_MAGIC = b"ISO11898\x01"
_CAN_HEAD = 10
_CAN_FRAME = 15
_CAN_MAX_FRAMES = 16


class CanUdpDissector(SignatureDissector):
    """CAN frames over UDP in the CAN-ETH encapsulation (Proconx "CAN-ETH UDP frame format",
    canframe.pdf), UDP 11898.

    ``matches``: the 8-byte ASCII magic "ISO11898", version 1, a frame count of 1 to 16 and
    the frames (15 bytes each: identifier, length, 8 data bytes, extended and RTR flags)
    within the datagram (a reserved options field may follow them). The frames' own fields
    are not checked: the 8-byte magic is the signature (and the only capture of the protocol,
    nDPI's can.pcap, carries frames whose flag bytes are not 0/1).
    """

    name: ClassVar[str] = "can_udp"
    transports: ClassVar[frozenset[int]] = UDP_ONLY
    ports: ClassVar[frozenset[int]] = frozenset((11898,))
    first_bytes: ClassVar[frozenset[int] | None] = frozenset(b"I")
    """``matches``: the magic's first letter."""
    screens: ClassVar[Mapping[int, tuple[Screen, ...]]] = {IPPROTO_UDP: (Screen(
        _CAN_HEAD + _CAN_FRAME, equals=((0, _CAN_MAGIC),),
        values=((9, frozenset(range(1, _CAN_MAX_FRAMES + 1))),)),)}

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """Magic, version, frame count, frames within the datagram."""
        if not payload.startswith(_CAN_MAGIC) or len(payload) < _CAN_HEAD + _CAN_FRAME:
            return False
        count = payload[9]
        return 1 <= count <= _CAN_MAX_FRAMES and len(payload) >= _CAN_HEAD + _CAN_FRAME * count


# --- HiSLIP (IVI-6.1) ---------------------------------------------------------------------------

_HISLIP_HEAD = 16
_HISLIP_TYPES = 39
"""Message types 0 (Initialize) to 38 (AuthenticationResult) of IVI-6.1 2.0 (128-255,
vendor-defined, are not taken)."""
_HISLIP_DATA = frozenset((6, 7))
"""Data and DataEnd: their payload may continue in later segments."""
_HISLIP_INIT_MAX = 256
"""Longest sub-address accepted in an Initialize message (a device name like "hislip0")."""


class HislipDissector(SignatureDissector):
    """IVI-6.1 High-Speed LAN Instrument Protocol (HiSLIP), TCP 4880.

    ``matches`` (IVI-6.1 HiSLIP 2.0: message format and message type table): messages walked
    to the segment's end, each with the 16-byte header: prologue "HS", a message type 0-38,
    a control code, a 32-bit message parameter and a 64-bit big-endian payload length
    (at most 2^32 - 1); an Initialize (type 0) has control code 0, a client protocol version
    of major 1 or 2 in the parameter's high half and a printable sub-address of at most 256
    bytes as payload. The last message of the segment may be cut only when it is a Data or
    DataEnd message (its payload continues in the next segments).
    """

    name: ClassVar[str] = "hislip"
    transports: ClassVar[frozenset[int]] = TCP_ONLY
    ports: ClassVar[frozenset[int]] = frozenset((4880,))
    first_bytes: ClassVar[frozenset[int] | None] = frozenset(b"H")
    """``matches``: the prologue's first letter."""
    screens: ClassVar[Mapping[int, tuple[Screen, ...]]] = {IPPROTO_TCP: (Screen(
        _HISLIP_HEAD, equals=((0, b"HS"), (8, b"\x00\x00\x00\x00")),
        values=((2, frozenset(range(_HISLIP_TYPES))),)),)}

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """Headers walked to the end; Initialize's fields."""
        n = len(payload)
        pos = 0
        for _ in range(_MAX_MESSAGES):
            if pos == n:
                return pos > 0
            if pos + _HISLIP_HEAD > n or payload[pos : pos + 2] != b"HS":
                return False
            kind = payload[pos + 2]
            if kind >= _HISLIP_TYPES or be32(payload, pos + 8) != 0:
                return False
            size = be32(payload, pos + 12)
            end = pos + _HISLIP_HEAD + size
            if kind == 0:
                if (payload[pos + 3] != 0 or payload[pos + 4] not in (1, 2)
                        or size > _HISLIP_INIT_MAX or end > n
                        or not is_ascii_text(payload[pos + _HISLIP_HEAD : end])):
                    return False
            if end > n:
                return kind in _HISLIP_DATA
            pos = end
        return False


# --- Lustre LNet over TCP (socklnd) -------------------------------------------------------------

_LNET_ACCEPTOR = b"\x00\x71\xce\xac\x01\x00\x00\x00"
"""Acceptor request: magic 0xacce7100 and acceptor protocol version 1, little-endian."""
_LNET_HELLO = b"\x63\x69\x72\x45"
"""socklnd hello magic 0x45726963 ("Eric"), little-endian."""
_LNET_HELLO_HEAD = 56
_LNET_MAX_IPS = 16
_LNET_MSG = b"\xc1\x00\x00\x00"
"""socklnd protocol V3 message type KSOCK_MSG_LNET (0xc1), little-endian."""
_LNET_MSG_HEAD = 96
"""socklnd V3 message header (type, checksum, 2 zero-copy cookies: 24 bytes) and the LNet
header (72 bytes)."""
_LNET_MTU = 1 << 20
"""Largest LNet message payload (LNET_MTU)."""
_LNET_MSG_TYPES = 5
"""LNet message types: ACK 0, PUT 1, GET 2, REPLY 3, HELLO 4."""
_LND_TYPES = frozenset(range(1, 17))
"""LNet network driver types (QSWLND 1 ... KFILND 16; SOCKLND is 2)."""


def _nid(p: bytes, pos: int) -> bool:
    """Whether the 64-bit little-endian LNet NID at ``pos`` names a known network type
    (bits 48-63: the LND type) and a non-zero address."""
    return p[pos + 7] == 0 and p[pos + 6] in _LND_TYPES and le32(p, pos) != 0


class LustreDissector(SignatureDissector):
    """Lustre's LNet over TCP (the socket LND), TCP 988.

    ``matches`` (the LNet wire structures of Lustre's source: the acceptor request, the
    socklnd hello and message headers, lnet_hdr): one of
    - an acceptor connection request: exactly 16 bytes, magic 0xacce7100 and version 1
      (little-endian), the target NID with a known LND type;
    - a socklnd hello (protocol V2 or V3): magic 0x45726963, version 2 or 3, source and
      destination NIDs with known LND types (the destination may be 0: not yet known),
      a connection type 0-3, an address count at most 16 and a length of exactly 56 bytes
      plus 4 per address;
    - a socklnd V3 LNet message (type 0xc1): the 96-byte header, destination and source
      NIDs with known LND types, an LNet message type ACK, PUT, GET, REPLY or HELLO and a
      payload of at most 1 MiB (which may continue in later segments).
    A socklnd V3 NOOP (type 0xc0, 24 bytes of which 20 are free) is not taken.
    """

    name: ClassVar[str] = "lustre"
    transports: ClassVar[frozenset[int]] = TCP_ONLY
    ports: ClassVar[frozenset[int]] = frozenset((988,))
    first_bytes: ClassVar[frozenset[int] | None] = frozenset((0x00, 0x63, 0xC1))
    """``matches``: the first byte of each magic."""
    screens: ClassVar[Mapping[int, tuple[Screen, ...]]] = {IPPROTO_TCP: (
        Screen(16, equals=((0, _LNET_ACCEPTOR), (15, b"\x00"))),
        Screen(_LNET_HELLO_HEAD, equals=((0, _LNET_HELLO), (5, b"\x00\x00\x00"))),
        Screen(_LNET_MSG_HEAD, equals=((0, _LNET_MSG), (31, b"\x00"), (39, b"\x00"))),
    )}

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """Acceptor request, hello or LNet message header."""
        n = len(payload)
        head = payload[:4]
        if head == _LNET_ACCEPTOR[:4]:
            return n == 16 and payload[4:8] == _LNET_ACCEPTOR[4:] and _nid(payload, 8)
        if head == _LNET_HELLO:
            if n < _LNET_HELLO_HEAD or le32(payload, 4) not in (2, 3):
                return False
            nips = le32(payload, 52)
            if nips > _LNET_MAX_IPS or n != _LNET_HELLO_HEAD + 4 * nips:
                return False
            if not _nid(payload, 8) or le32(payload, 48) > 3:
                return False
            return _nid(payload, 16) or payload[16:24] == bytes(8)
        if head == _LNET_MSG:
            if n < _LNET_MSG_HEAD or not _nid(payload, 24) or not _nid(payload, 32):
                return False
            return le32(payload, 48) < _LNET_MSG_TYPES and le32(payload, 52) <= _LNET_MTU
        return False


# --- CN/IP (ISO/IEC 14908-4, EIA-852) -----------------------------------------------------------

_CNIP_HEAD = 20
_CNIP_MAX = 1500
"""Largest CN/IP packet accepted (one Ethernet MTU; EIA-852 packets are not fragmented)."""
_CNIP_TYPES = frozenset((0x01, 0x03, 0x04, 0x06, 0x07, 0x08, 0x60, 0x63, 0x64, 0x66, 0x68,
                         0x70, 0x71, 0x7F))
"""Packet types: data 0x01, device registration 0x03, channel membership 0x04, send list
0x06, acknowledge 0x07, channel routing 0x08, status request 0x60 / response 0x70, device
configuration request 0x63 / 0x71, channel membership request 0x64, send list request 0x66,
channel routing request 0x68, segment 0x7F."""


class CnpIpDissector(SignatureDissector):
    """ISO/IEC 14908-4 (ANSI/EIA-852) Component Network over IP (LonWorks CN/IP),
    UDP 1628 / 1629.

    ``matches`` (EIA-852 / ISO/IEC 14908-4 common packet header): one packet per datagram:
    a 16-bit packet length equal to the datagram's length (20 to 1500 bytes), version 1, a
    packet type among the standard types (vendor code 0) listed in ``_CNIP_TYPES``, an
    extended header size (in 32-bit words) within the packet, protocol flags with the
    reserved bits 7-6 clear and protocol code 0 (ISO/IEC 14908-1) in a data packet, which
    carries at least one byte.
    """

    name: ClassVar[str] = "cnp_ip"
    transports: ClassVar[frozenset[int]] = UDP_ONLY
    ports: ClassVar[frozenset[int]] = frozenset((1628, 1629))
    first_bytes: ClassVar[frozenset[int] | None] = frozenset(range((_CNIP_MAX >> 8) + 1))
    """``matches``: the length's high byte."""
    screens: ClassVar[Mapping[int, tuple[Screen, ...]]] = {IPPROTO_UDP: (Screen(
        _CNIP_HEAD, equals=((2, b"\x01"), (6, b"\x00\x00")), values=((3, _CNIP_TYPES),),
        length=(0, 2, "big", 0)),)}

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """Length, version, packet type, extended header, flags."""
        n = len(payload)
        if n < _CNIP_HEAD or n > _CNIP_MAX or be16(payload, 0) != n or payload[2] != 1:
            return False
        kind, flags = payload[3], payload[5]
        if kind not in _CNIP_TYPES or payload[6:8] != b"\x00\x00" or flags & 0xC0:
            return False
        if _CNIP_HEAD + 4 * payload[4] > n:
            return False
        return kind != 1 or (flags & 0x1F == 0 and n > _CNIP_HEAD + 4 * payload[4])


# --- SAIA Ether-S-I/O ---------------------------------------------------------------------------

_ESIO_MAGIC = b"ESIO"
_ESIO_MIN = 20
"""The 12-byte header and the smallest telegram body (a status telegram)."""


class EtherSioDissector(SignatureDissector):
    """SAIA Ether-S-I/O (PCD remote I/O over UDP), UDP 6060.

    No public specification: the facts are those of Wireshark's Ether-S-I/O dissector
    (contributed with Saia-Burgess's description) and hold on every datagram of nDPI's
    ethersio.pcap. ``matches``: one telegram per datagram: the magic "ESIO", a 16-bit
    telegram type 1 (data transfer) or 2 (status), a 16-bit version 0, a 16-bit big-endian
    length equal to the datagram's length (at least 20), a transaction id.
    """

    name: ClassVar[str] = "ethersio"
    transports: ClassVar[frozenset[int]] = UDP_ONLY
    ports: ClassVar[frozenset[int]] = frozenset((6060,))
    first_bytes: ClassVar[frozenset[int] | None] = frozenset(b"E")
    """``matches``: the magic's first letter."""

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """Magic, telegram type, version, length."""
        n = len(payload)
        if n < _ESIO_MIN or not payload.startswith(_ESIO_MAGIC):
            return False
        return be16(payload, 4) in (1, 2) and be16(payload, 6) == 0 and be16(payload, 8) == n


# --- GE Ethernet Global Data --------------------------------------------------------------------

_EGD_HEAD = 32
_EGD_MAX = _EGD_HEAD + 1400
"""Header and the largest exchange (1400 data bytes)."""
_EGD_STATUS = frozenset((0, 1, 2, 3, 4, 6, 7))
"""Production status: no new status event 0, no error 1, no error and data consumed 2,
SNTP error 3, specification error 4, data refresh error 6, refresh period exceeded 7."""


class EgdDissector(SignatureDissector):
    """GE Ethernet Global Data (EGD) production PDUs, UDP 18246.

    ``matches`` (GE's EGD documentation, the EGD chapter of its PACSystems TCP/IP Ethernet
    Communications manual, and the layout Wireshark's EGD dissector decodes: the 32-byte
    header, little-endian fields): PDU type 13 (0x0D), PDU version 1, a request
    id, a producer id (an IPv4 address, not 0), an exchange id, a timestamp whose
    nanoseconds are below 10^9, a 32-bit status among the defined values, a 32-bit
    configuration signature, 4 reserved bytes 0; then the exchange's data, at most 1400
    bytes.
    """

    name: ClassVar[str] = "egd"
    transports: ClassVar[frozenset[int]] = UDP_ONLY
    ports: ClassVar[frozenset[int]] = frozenset((18246,))
    first_bytes: ClassVar[frozenset[int] | None] = frozenset((0x0D,))
    """``matches``: the PDU type."""

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """PDU type and version, producer id, nanoseconds, status, reserved bytes."""
        n = len(payload)
        if n < _EGD_HEAD or n > _EGD_MAX or payload[:2] != b"\x0d\x01":
            return False
        if payload[28:32] != b"\x00\x00\x00\x00" or le32(payload, 4) == 0:
            return False
        return le32(payload, 16) < 1_000_000_000 and le32(payload, 20) in _EGD_STATUS


# --- Check Point HA -----------------------------------------------------------------------------

_CPHA_HEAD = 20
_CPHA_OPCODES = 11
"""Opcodes 1 (FWHA_MY_STATE) to 10 (FWHAP_SYNC)."""
_CPHA_MY_STATE = 1
_CPHA_MAX_IDS = 16
"""Largest cluster (machine ids reported in one state report)."""


class CphaDissector(SignatureDissector):
    """Check Point ClusterXL / High Availability protocol (CPHAP), UDP 8116.

    No public specification: the facts are those of Wireshark's CPHA dissector (from Check
    Point's published header layout). ``matches``: the 20-byte header: magic 0x1a90, a
    non-zero protocol version, a cluster number, an opcode 1-10 (FWHA_MY_STATE ...
    FWHAP_SYNC), source interface, random id, source and destination machine ids, policy id
    and filler; a state report (opcode 1) carries an id count of 1-16, a report code 1-3
    (machine and/or interface information), an HA mode 0-4 (undefined ... one up), a time
    unit and, with machine information, one state per id among down 0 ... active 4.
    """

    name: ClassVar[str] = "cpha"
    transports: ClassVar[frozenset[int]] = UDP_ONLY
    ports: ClassVar[frozenset[int]] = frozenset((8116,))
    first_bytes: ClassVar[frozenset[int] | None] = frozenset((0x1A,))
    """``matches``: the magic's first byte."""

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """Magic, version, opcode; a state report's fields."""
        n = len(payload)
        if n < _CPHA_HEAD or payload[:2] != b"\x1a\x90" or be16(payload, 2) == 0:
            return False
        opcode = be16(payload, 6)
        if not 0 < opcode < _CPHA_OPCODES:
            return False
        if opcode != _CPHA_MY_STATE:
            return True
        body = _CPHA_HEAD
        if n < body + 8:
            return False
        ids, report, mode = be16(payload, body), be16(payload, body + 2), be16(payload, body + 4)
        if not 0 < ids <= _CPHA_MAX_IDS or not 0 < report <= 3 or mode > 4:
            return False
        if report & 1:
            states = payload[body + 8 : body + 8 + ids]
            return len(states) == ids and max(states) <= 4
        return True


# --- FLUTE (RFC 6726) over ALC/LCT ------------------------------------------------------------

_EXT_FDT = 192
_EXT_CENC = 193
_FDT_STARTS = (b"<?xml", b"<FDT-Instance")
_LCT_MIN = 12


class FluteDissector(SignatureDissector):
    """FLUTE file delivery (RFC 6726) over ALC (RFC 5775) / LCT (RFC 5651), UDP (no
    well-known port: sessions are announced out of band).

    ``matches`` takes only an FDT Instance packet, the one a FLUTE sender repeats and the
    first a receiver needs: the LCT header (RFC 5651 §5.1): version 1, reserved bits 0, a
    TSI and a TOI present (FLUTE requires both: S or H, O or H set), a header length covering
    the fixed fields and within the datagram, the congestion control information, TOI 0 (the
    FDT, RFC 6726 §3.3), header extensions walked to the header's end exactly (HET 0-127 with a
    non-zero HEL in 32-bit words, HET 128-255 4 bytes) among which EXT_FDT (HET 192, RFC 6726
    §3.4.1) with FLUTE version 1 or 2 and no EXT_CENC (an uncompressed FDT); after the
    4-byte FEC payload ID the FDT Instance's XML text ("<?xml" or "<FDT-Instance").
    Data packets of a session (files, TOI > 0) carry nothing checkable and are not taken.
    """

    name: ClassVar[str] = "flute"
    transports: ClassVar[frozenset[int]] = UDP_ONLY
    first_bytes: ClassVar[frozenset[int] | None] = frozenset(range(0x10, 0x20))
    """``matches``: LCT version 1 in the high nibble."""

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """LCT header, TOI 0, extensions with EXT_FDT, FDT XML text."""
        n = len(payload)
        if n < _LCT_MIN or payload[0] >> 4 != 1 or payload[1] & 0x0C:
            return False
        flags = payload[1]
        s, o, h = flags >> 7, (flags >> 5) & 3, (flags >> 4) & 1
        if not (s or h) or not (o or h):
            return False
        head = payload[2] * 4
        tsi = 4 + 4 * (((payload[0] >> 2) & 3) + 1)
        toi = tsi + 4 * s + 2 * h
        pos = toi + 4 * o + 2 * h
        if head < pos or head + 4 >= n or any(payload[toi:pos]):
            return False
        fdt = False
        while pos < head:
            het = payload[pos]
            if het < 128:
                size = payload[pos + 1] * 4
                if size == 0:
                    return False
            else:
                size = 4
                if het == _EXT_CENC:
                    return False
                if het == _EXT_FDT:
                    fdt = payload[pos + 1] >> 4 in (1, 2)
            pos += size
        if pos != head or not fdt:
            return False
        return payload[head + 4 : head + 4 + len(_FDT_STARTS[1])].startswith(_FDT_STARTS)


PLANT_SIGNATURES: tuple[type[Dissector], ...] = (
    TrdpDissector, EtherSBusDissector, CanUdpDissector, HislipDissector, LustreDissector,
    CnpIpDissector, EtherSioDissector, FluteDissector, EgdDissector, CphaDissector,
)
"""This module's signatures in priority order (strictest first)."""
