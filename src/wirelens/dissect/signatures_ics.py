"""Content signatures of industrial control and IoT protocols.

Identification only (see :mod:`wirelens.dissect.signatures_base`). One class per service (the
consumer IoT ones, ``tuya_lp``, ``tplink_shp`` and ``coap``, live in
:mod:`wirelens.dissect.signatures_iot`):

- ``opcua``: OPC UA binary (OPC 10000-6 §7.1), TCP 4840;
- ``tuya_lp``: Tuya local protocol (55AA / 6699 framing), UDP 6666/6667, TCP 6668;
- ``fins``: OMRON FINS over UDP and FINS/TCP, 9600;
- ``tplink_shp``: TP-Link Smart Home protocol (autokey XOR JSON), TCP/UDP 9999;
- ``enip``: EtherNet/IP encapsulation (CIP Vol 2 §2) and CIP class 0/1 I/O datagrams,
  TCP/UDP 44818, UDP 2222;
- ``s7comm``: S7comm / S7comm-plus over ISO-on-TCP (RFC 1006 TPKT + ISO 8073 COTP), TCP 102;
- ``knxnet_ip``: KNXnet/IP (ISO 22510 / KNX 03.08.02), UDP 3671;
- ``bacnet``: BACnet/IP (ASHRAE 135 Annex J BVLL + clause 6 NPDU), UDP 47808;
- ``iec104``: IEC 60870-5-104 APCI/ASDU, TCP 2404;
- ``coap``: CoAP (RFC 7252 §3), UDP 5683.

:data:`ICS_SIGNATURES` lists them strictest first (4-byte magic values before 1-byte start
characters). Over TCP ``matches`` sees the first segment of one direction; each class says
when several messages may share it (they are then walked to the segment's end exactly).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from wirelens.dissect.base import IPPROTO_TCP, IPPROTO_UDP, Dissector, Event, Screen
from wirelens.dissect.signatures_base import (
    MAX_MESSAGES,
    TCP_AND_UDP,
    TCP_ONLY,
    UDP_ONLY,
    SignatureDissector,
    be16,
    be32,
    fills,
    host_name,
    le16,
    le32,
)
from wirelens.dissect.signatures_iot import CoapDissector, TplinkShpDissector, TuyaLpDissector

__all__ = [
    "ICS_SIGNATURES",
    "BacnetDissector",
    "CoapDissector",
    "EnipDissector",
    "FinsDissector",
    "Iec104Dissector",
    "KnxnetIpDissector",
    "OpcUaDissector",
    "S7commDissector",
    "TplinkShpDissector",
    "TuyaLpDissector",
]

_MAX_NAME = 255
"""Longest host name kept as ``server_name`` (a DNS name is at most 253 characters)."""


# --- OPC UA binary (OPC 10000-6 §7.1.2) ---------------------------------------------------------

_OPCUA_FINAL_ONLY = frozenset((b"HEL", b"ACK", b"ERR", b"RHE", b"OPN", b"CLO"))
"""§7.1.2.2: message types whose one chunk is final ('F'); MSG may also be 'C' or 'A'."""
_OPCUA_URL = b"opc.tcp://"
_OPCUA_POLICY = b"http://opcfoundation.org/UA/SecurityPolicy#"
_OPCUA_MIN_BUFFER = 8192
"""§7.1.2.3: ReceiveBufferSize and SendBufferSize are at least 8192 bytes."""
_OPCUA_MAX_URL = 4096
"""§7.1.2.3: the EndpointUrl is shorter than 4096 bytes."""
_OPCUA_SECURE_MIN = 24
"""§6.7.2: header (8), SecureChannelId (4), then at least a token id or policy length, a
sequence number and a request id (12)."""


def _opcua_string(p: bytes, pos: int, end: int) -> int:
    """End of the length-prefixed (Int32, -1 = null) string at ``pos`` within ``end``, or -1."""
    if pos + 4 > end:
        return -1
    size = le32(p, pos)
    if size == 0xFFFFFFFF:
        return pos + 4
    return pos + 4 + size if pos + 4 + size <= end else -1


def _opcua_message(p: bytes, pos: int, end: int) -> bool:
    """The body of the message ``p[pos:end]`` (its 8-byte header checked) has its type's
    fixed layout (§7.1.2.3-§7.1.2.6, §6.7.2)."""
    kind = p[pos : pos + 3]
    size = end - pos
    if kind in (b"HEL", b"ACK"):
        if size < 28 or le32(p, pos + 8) != 0:  # ProtocolVersion 0
            return False
        if le32(p, pos + 12) < _OPCUA_MIN_BUFFER or le32(p, pos + 16) < _OPCUA_MIN_BUFFER:
            return False
        if kind == b"ACK":
            return size == 28
        url = le32(p, pos + 28) if size >= 32 else 0
        return (0 < url < _OPCUA_MAX_URL and size == 32 + url
                and p[pos + 32 : pos + 42] == _OPCUA_URL)
    if kind == b"ERR":  # a Bad status code: severity bits 31-30 are 10 (OPC 10000-4 §7.39)
        return size >= 16 and p[pos + 11] & 0xC0 == 0x80 and _opcua_string(
            p, pos + 12, end) == end
    if kind == b"RHE":
        url = _opcua_string(p, pos + 8, end)
        return (url > 0 and _opcua_string(p, url, end) == end
                and p[url + 4 : min(end, url + 14)] == _OPCUA_URL)
    if kind == b"OPN":
        return (size >= 16 + len(_OPCUA_POLICY) and _opcua_string(p, pos + 12, end) > 0
                and p[pos + 16 : pos + 16 + len(_OPCUA_POLICY)] == _OPCUA_POLICY)
    return size >= _OPCUA_SECURE_MIN  # MSG, CLO: symmetric security header and sequence


_OPCUA_TYPES = frozenset((*_OPCUA_FINAL_ONLY, b"MSG"))


def _opcua_endpoint_host(data: bytes) -> str | None:
    """The host of the EndpointUrl of a Hello (``opc.tcp://host:port/path``), or None."""
    if len(data) < 42 or data[:4] != b"HELF" or data[32:42] != _OPCUA_URL:
        return None
    url = data[42 : min(len(data), 32 + le32(data, 28), 42 + _MAX_NAME + 8)]
    if url.startswith(b"["):  # an IPv6 literal
        close = url.find(b"]")
        return host_name(url[1:close]) if close > 0 else None
    for stop in (b"/", b":"):
        cut = url.find(stop)
        if cut >= 0:
            url = url[:cut]
    return host_name(url)


class OpcUaDissector(SignatureDissector):
    """OPC UA binary over TCP (opc.tcp, TCP 4840).

    ``matches`` (OPC 10000-6 §7.1.2): the segment is one or more whole messages, each an
    8-byte header (MessageType ``HEL``/``ACK``/``ERR``/``RHE``/``OPN``/``MSG``/``CLO``,
    chunk type ``F``, or ``C``/``A`` for MSG only; MessageSize, little-endian, at least the
    header and within the segment), walked to the segment's end exactly. The first message's
    body has its type's layout: Hello (§7.1.2.3) ProtocolVersion 0, buffer sizes >= 8192 and
    an EndpointUrl ``opc.tcp://...`` (< 4096 bytes) ending the message; Acknowledge the same
    numbers and exactly 28 bytes; Error (§7.1.2.5) a Bad status code then a reason string
    ending the message; ReverseHello (§7.1.2.6) two strings ending the message, the second
    an ``opc.tcp://`` URL; OpenSecureChannel (§6.7.2.3) a SecurityPolicyUri starting
    ``http://opcfoundation.org/UA/SecurityPolicy#``; MSG/CLO at least 24 bytes.

    ``feed`` names the flow by the Hello's EndpointUrl host (``name_source``
    ``opcua_endpoint``).
    """

    name: ClassVar[str] = "opcua"
    transports: ClassVar[frozenset[int]] = TCP_ONLY
    ports: ClassVar[frozenset[int]] = frozenset((4840,))
    name_source: ClassVar[str | None] = "opcua_endpoint"
    first_bytes: ClassVar[frozenset[int] | None] = frozenset(t[0] for t in _OPCUA_TYPES)
    """``matches``: the first letter of a message type."""
    screens: ClassVar[Mapping[int, tuple[Screen, ...]]] = {IPPROTO_TCP: (Screen(8, values=(
        (1, frozenset(t[1] for t in _OPCUA_TYPES)), (2, frozenset(t[2] for t in _OPCUA_TYPES)),
        (3, frozenset(b"FCA")))),)}  # the message type's other letters and the chunk type

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """Whole messages filling the segment; the first one's body checked."""
        n = len(payload)
        if n < 16 or payload[:3] not in _OPCUA_TYPES:
            return False
        pos = 0
        for _ in range(MAX_MESSAGES):
            kind, chunk = payload[pos : pos + 3], payload[pos + 3]
            if kind not in _OPCUA_TYPES or (chunk != 0x46 and (  # 'F'
                    kind != b"MSG" or chunk not in (0x43, 0x41))):  # 'C', 'A'
                return False
            end = pos + le32(payload, pos + 4)
            if end < pos + 8 or end > n or (pos == 0 and not _opcua_message(payload, 0, end)):
                return False
            if end == n:
                return True
            if end + 8 > n:
                return False
            pos = end
        return False

    def feed(self, data: bytes, from_orig: bool, ts_ns: int) -> list[Event]:
        """Reads the Hello's EndpointUrl host, then is done."""
        self.done = True
        self.server_name = _opcua_endpoint_host(data)
        return []


# --- OMRON FINS (FINS Commands Reference Manual W227 §3, §5; FINS/TCP W421 §7) -------------------

_FINS_ICF = frozenset((0x80, 0x81, 0xC0, 0xC1))
"""ICF: bit 7 (gateway) set, bit 6 response, bit 0 no response wanted; bits 5-1 zero."""
_FINS_GCT = frozenset((0x02, 0x07))
"""Gateway count: 2 (classic), 7 (CS/CJ and later)."""
_FINS_UNITS = frozenset((0x00, 0xE1, 0xFE, *range(0x10, 0x20)))
"""Unit addresses: CPU 00, CPU bus units 10-1F, inner board E1, the network unit FE."""
_FINS_COMMANDS = frozenset((
    0x0101, 0x0102, 0x0103, 0x0104, 0x0105,  # memory area read/write/fill/multiple/transfer
    0x0201, 0x0202, 0x0203,  # parameter area
    0x0304, 0x0305, 0x0306, 0x0307, 0x0308,  # program area
    0x0401, 0x0402,  # run, stop
    0x0501, 0x0502,  # controller data, connection data read
    0x0601, 0x0620,  # controller status, cycle time read
    0x0701, 0x0702,  # clock read/write
    0x0801, 0x0802, 0x0803,  # loopback and broadcast tests
    0x0920,  # message read/clear
    0x0C01, 0x0C02, 0x0C03,  # access right acquire/forced acquire/release
    0x2101, 0x2102, 0x2103,  # error clear, error log read/clear
    0x2201, 0x2202, 0x2203, 0x2204, 0x2205, 0x2207, 0x2208, 0x220A, 0x220B, 0x220C, 0x2215,
    0x2301, 0x2302,  # forced set/reset (cancel)
))  # fmt: skip
"""MRC/SRC command code pairs of the FINS command reference (W227 §5-1)."""
_FINS_MAIN_CODES = frozenset((0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x10, 0x11, 0x20, 0x21,
                              0x22, 0x23, 0x24, 0x25, 0x26, 0x30, 0x40))
"""End code main codes (W227 §8-1; bit 7 is the relay-error flag)."""
_FINS_TCP_MAGIC = b"FINS"
_FINS_TCP_COMMANDS = {0: 12, 1: 16, 2: -1, 3: -1, 6: -1}
"""FINS/TCP commands (W421 §7-4): node address data send by the client (length 12) and by
the server (length 16), FINS frame send (an embedded FINS frame), frame send error
notification, connection confirmation (any length from 8)."""
_FINS_TCP_ERRORS = frozenset((0, 1, 2, 3, *range(0x20, 0x26)))
"""FINS/TCP error codes (W421 §7-4): normal, not FINS, data too long, command not
supported, and the 0x20-0x25 connection refusals."""


def _fins_frame(p: bytes, pos: int, end: int) -> bool:
    """A FINS frame in ``p[pos:end]``: the 10-byte header (ICF, RSV 0, GCT, destination and
    source network/node/unit, SID), a defined command code, and for a response the end code
    (main code among the defined ones)."""
    if end - pos < 12 or p[pos] not in _FINS_ICF or p[pos + 1] != 0:
        return False
    if p[pos + 2] not in _FINS_GCT or p[pos + 3] > 0x7F or p[pos + 6] > 0x7F:
        return False
    if p[pos + 5] not in _FINS_UNITS or p[pos + 8] not in _FINS_UNITS:
        return False
    if be16(p, pos + 10) not in _FINS_COMMANDS:
        return False
    return not p[pos] & 0x40 or (end - pos >= 14 and p[pos + 12] & 0x7F in _FINS_MAIN_CODES)


class FinsDissector(SignatureDissector):
    """OMRON FINS (UDP/TCP 9600).

    ``matches``: over UDP the datagram is one FINS frame (:func:`_fins_frame`: ICF with bit 7
    set and bits 5-1 zero, RSV 0, GCT 2 or 7, network addresses 0-127, unit addresses among
    the defined ones, an MRC/SRC pair of the command reference, a defined end code in a
    response). Over TCP the segment is one or more whole FINS/TCP frames (``FINS``, a length
    counting the rest, a defined command and error code; node address frames of their fixed
    lengths; a frame-send frame carrying a FINS frame) walked to its end exactly.

    FINS's ICF 0x80/0x81 also reads as an RTP version-2 first byte: this class comes first
    in :data:`ICS_SIGNATURES`, before RTP in the registry, and checks far more.
    """

    name: ClassVar[str] = "fins"
    transports: ClassVar[frozenset[int]] = TCP_AND_UDP
    ports: ClassVar[frozenset[int]] = frozenset((9600,))
    first_bytes: ClassVar[frozenset[int] | None] = _FINS_ICF | {_FINS_TCP_MAGIC[0]}
    screens: ClassVar[Mapping[int, tuple[Screen, ...]]] = {
        IPPROTO_UDP: (Screen(12, equals=((1, b"\x00"),), values=((2, _FINS_GCT),)),),
        IPPROTO_TCP: (Screen(16, equals=((0, _FINS_TCP_MAGIC),)),)}

    @classmethod
    def first_bytes_on(cls, proto: int) -> frozenset[int] | None:
        """ICF over UDP; the ``F`` of ``FINS`` over TCP."""
        return frozenset(_FINS_TCP_MAGIC[:1]) if proto == IPPROTO_TCP else _FINS_ICF

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """One frame per datagram; FINS/TCP frames filling the segment."""
        n = len(payload)
        if proto != IPPROTO_TCP:
            return _fins_frame(payload, 0, n)
        pos = 0
        for _ in range(MAX_MESSAGES):
            if payload[pos : pos + 4] != _FINS_TCP_MAGIC or pos + 16 > n:
                return False
            size = be32(payload, pos + 4)
            end = pos + 8 + size
            want = _FINS_TCP_COMMANDS.get(be32(payload, pos + 8))
            if want is None or size < 8 or end > n or (want > 0 and size != want):
                return False
            if be32(payload, pos + 12) not in _FINS_TCP_ERRORS:
                return False
            if want == -1 and be32(payload, pos + 8) == 2 and not _fins_frame(
                    payload, pos + 16, end):
                return False
            if end == n:
                return True
            pos = end
        return False


# --- EtherNet/IP (CIP Vol 2 §2-3 encapsulation, §2-6 common packet format) -----------------------

_ENIP_COMMANDS = frozenset((0x0004, 0x0063, 0x0064, 0x0065, 0x0066, 0x006F, 0x0070))
"""ListServices, ListIdentity, ListInterfaces, RegisterSession, UnRegisterSession,
SendRRData, SendUnitData (Vol 2 Table 2-3.2)."""
_ENIP_STATUS = frozenset((0x0000, 0x0001, 0x0002, 0x0003, 0x0064, 0x0065, 0x0069))
"""Encapsulation status codes (Vol 2 Table 2-3.3)."""
_ENIP_HEADER = 24
_CPF_ADDRESS_ITEMS = frozenset((0x0000, 0x00A1, 0x8002))
"""Null, connected and sequenced address items (Vol 2 Table 2-6.3)."""
_CPF_DATA_ITEMS = frozenset((0x00B1, 0x00B2))
"""Connected and unconnected data items."""
_CPF_OTHER_ITEMS = frozenset((0x000C, 0x0086, 0x0100, 0x8000, 0x8001))
"""ListIdentity, CIP security, ListServices and the two socket address items."""
_CPF_ITEMS = _CPF_ADDRESS_ITEMS | _CPF_DATA_ITEMS | _CPF_OTHER_ITEMS
_CIP_IO_START = b"\x02\x00\x02\x80\x08\x00"
"""An I/O datagram (Vol 2 §2-6.2): 2 items, the first a sequenced address item of 8 bytes."""


_ENIP_SCREEN = Screen(_ENIP_HEADER, equals=((1, b"\x00"), (20, b"\x00\x00\x00\x00")),
                      length=(2, 2, "little", _ENIP_HEADER))
"""An encapsulation header: command high byte 0, options 0, length == the payload's rest."""


def _cpf(p: bytes, pos: int, transport: bool) -> bool:
    """A common packet format list filling ``p[pos:]`` exactly: item count (at most 16),
    then items (type, length, data) of defined types; for SendRRData/SendUnitData
    (``transport``) at least an address item followed by a data item."""
    n = len(p)
    if pos + 2 > n:
        return False
    count = le16(p, pos)
    if count > MAX_MESSAGES or (transport and count < 2):
        return False
    pos += 2
    for i in range(count):
        if pos + 4 > n:
            return False
        kind = le16(p, pos)
        if kind not in _CPF_ITEMS or (transport and i == 0 and kind not in _CPF_ADDRESS_ITEMS):
            return False
        if transport and i == 1 and kind not in _CPF_DATA_ITEMS:
            return False
        pos += 4 + le16(p, pos + 2)
    return pos == n


class EnipDissector(SignatureDissector):
    """EtherNet/IP (TCP/UDP 44818) and CIP I/O (UDP 2222).

    ``matches``: the payload is one encapsulation message (CIP Vol 2 §2-3.1: 24-byte
    little-endian header, a command of :data:`_ENIP_COMMANDS`, a length equal to the
    payload's rest, a defined status, options 0) whose body fits the command: empty (the
    List requests, UnRegisterSession with a session handle), RegisterSession protocol
    version 1 with option flags 0, the List replies' item lists (common packet format,
    §2-6: up to 16 items of defined types filling the message), and SendRRData / SendUnitData
    a session handle, an interface handle 0, a timeout, then an address item and a data
    item first in such a list; a reply with an error status may be empty. Over UDP also a class 0/1 I/O datagram: a sequenced address item (8 bytes) and a
    connected data item whose length is the datagram's rest.
    """

    name: ClassVar[str] = "enip"
    transports: ClassVar[frozenset[int]] = TCP_AND_UDP
    ports: ClassVar[frozenset[int]] = frozenset((44818, 2222))
    first_bytes: ClassVar[frozenset[int] | None] = frozenset(
        (*(c & 0xFF for c in _ENIP_COMMANDS), _CIP_IO_START[0]))
    """``matches``: a command's low byte, or (UDP only) the I/O datagram's item count 2."""
    screens: ClassVar[Mapping[int, tuple[Screen, ...]]] = {
        IPPROTO_TCP: (_ENIP_SCREEN,),
        IPPROTO_UDP: (_ENIP_SCREEN, Screen(18, equals=((0, _CIP_IO_START), (14, b"\xb1\x00")),
                                             length=(16, 2, "little", 18)))}

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """One encapsulation message (or, over UDP, one I/O datagram)."""
        n = len(payload)
        if proto == IPPROTO_UDP and payload[:6] == _CIP_IO_START:
            return n >= 18 and payload[14:16] == b"\xb1\x00" and le16(payload, 16) == n - 18
        if n < _ENIP_HEADER or le16(payload, 2) != n - _ENIP_HEADER:
            return False
        command = le16(payload, 0)
        if command not in _ENIP_COMMANDS or payload[20:24] != b"\x00\x00\x00\x00":
            return False
        status = le32(payload, 8)
        if status not in _ENIP_STATUS:
            return False
        session = le32(payload, 4)
        if n == _ENIP_HEADER:  # no body: an error reply, a List request, UnRegisterSession
            if status:
                return True
            return command in (0x0004, 0x0063, 0x0064) or (command == 0x0066 and session != 0)
        if command == 0x0065:
            return n == _ENIP_HEADER + 4 and payload[24:28] == b"\x01\x00\x00\x00"
        if command in (0x006F, 0x0070):
            return (session != 0 and payload[24:28] == b"\x00\x00\x00\x00"
                    and _cpf(payload, _ENIP_HEADER + 6, True))
        return command != 0x0066 and _cpf(payload, _ENIP_HEADER, False)


# --- S7comm / S7comm-plus over ISO-on-TCP (RFC 1006 §6, ISO 8073 §13) ----------------------------

_TPKT = b"\x03\x00"
_COTP_CR, _COTP_CC, _COTP_DT = 0xE0, 0xD0, 0xF0
_COTP_TPDU_SIZE, _COTP_CALLING, _COTP_CALLED = 0xC0, 0xC1, 0xC2
"""ISO 8073 §13.3.4 parameter codes: TPDU size, calling and called TSAP."""
_S7_CONNECTION_TYPES = frozenset((0x01, 0x02, 0x03))
"""High byte of an S7 TSAP: PG, OP, S7 basic communication; the low byte is rack and
slot."""
_S7_PLUS_TSAP = b"SIMATIC-"
"""S7comm-plus names its called TSAP (``SIMATIC-ROOT-HMI``, ``SIMATIC-ROOT-ES``)."""
_S7_ROSCTR = {1: 10, 2: 12, 3: 12, 7: 10}
"""S7comm PDU types (job, ack, ack-data, userdata) -> header size."""
_S7_FUNCTIONS = frozenset((0x00, 0x04, 0x05, 0x1A, 0x1B, 0x1C, 0x1D, 0x1E, 0x1F, 0x28, 0x29,
                           0xF0))
"""Job functions: CPU services, read/write variable, download/upload, PI service, PLC stop,
setup communication."""
_S7_PLUS_VERSIONS = frozenset((0x01, 0x02, 0x03))


def _cotp_connect(p: bytes) -> bool:
    """CR/CC parameters (from byte 11 to the end) of S7's shape: each known parameter once,
    TPDU size 2^7..2^13, a 2-byte calling TSAP, and a called TSAP that is S7's (2 bytes,
    connection type PG/OP/basic) or S7comm-plus's (``SIMATIC-...``)."""
    n, pos = len(p), 11
    seen: dict[int, bytes] = {}
    while pos < n:
        if pos + 2 > n:
            return False
        code, size = p[pos], p[pos + 1]
        value = p[pos + 2 : pos + 2 + size]
        if code in seen or len(value) != size or code not in (
                _COTP_TPDU_SIZE, _COTP_CALLING, _COTP_CALLED):
            return False
        seen[code] = value
        pos += 2 + size
    size_ok = _COTP_TPDU_SIZE not in seen or (
        len(seen[_COTP_TPDU_SIZE]) == 1 and 0x07 <= seen[_COTP_TPDU_SIZE][0] <= 0x0D)
    called = seen.get(_COTP_CALLED, b"")
    return size_ok and len(seen.get(_COTP_CALLING, b"")) == 2 and (
        (len(called) == 2 and called[0] in _S7_CONNECTION_TYPES)
        or (len(called) > len(_S7_PLUS_TSAP) and called.startswith(_S7_PLUS_TSAP)))


def _s7_data(p: bytes) -> bool:
    """The S7 PDU after a COTP DT header (byte 7 on): S7comm (protocol id 0x32, a defined
    ROSCTR, reserved 0, header + parameters + data == the rest; a job or ack-data with a
    defined function, userdata parameters ``00 01 12``) or S7comm-plus (0x72, version 1-3,
    a data length, and the trailer ``72 <version> 00 00`` ending the segment)."""
    n = len(p)
    if p[7] == 0x32:
        head = _S7_ROSCTR.get(p[8])
        if head is None or n < 7 + head or p[9:11] != b"\x00\x00":
            return False
        params = be16(p, 13)
        if 7 + head + params + be16(p, 15) != n:
            return False
        if p[8] == 7:
            return params >= 3 and p[17:20] == b"\x00\x01\x12"
        return params == 0 or p[7 + head] in _S7_FUNCTIONS
    if p[7] == 0x72:
        version = p[8]
        return (version in _S7_PLUS_VERSIONS and 7 + 4 + be16(p, 9) + 4 == n
                and p[n - 4] == 0x72 and p[n - 3] == version and p[n - 2 :] == b"\x00\x00")
    return False


class S7commDissector(SignatureDissector):
    """Siemens S7comm and S7comm-plus over ISO-on-TCP (TCP 102).

    ``matches``: one TPKT (RFC 1006 §6: version 3, reserved 0, length == the segment's)
    holding one COTP TPDU (ISO 8073 §13) whose length indicator fills it:

    - a Connection Request (0xE0, destination reference 0) or Confirm (0xD0), class 0, with
      parameters of S7's shape (:func:`_cotp_connect`: calling TSAP of 2 bytes, called TSAP
      ``01/02/03 <rack/slot>`` or ``SIMATIC-...``);
    - a Data TPDU (0xF0, length indicator 2, EOT with number 0) carrying an S7comm or
      S7comm-plus PDU whose lengths fill the segment (:func:`_s7_data`).

    RDP uses the same TPKT + COTP Connection Request; it is kept apart by the variable part:
    :class:`~wirelens.dissect.rdp.RdpDissector` accepts a request whose variable part is
    empty, a ``Cookie:`` / routing token line or an RDP_NEG_REQ, never ISO parameters, while
    this class requires the calling and called TSAP parameters (and refuses any other
    byte), so no payload is accepted by both. MMS / IEC 61850 (also TCP 102) use TSAPs like
    ``00 01`` and are refused.
    """

    name: ClassVar[str] = "s7comm"
    transports: ClassVar[frozenset[int]] = TCP_ONLY
    ports: ClassVar[frozenset[int]] = frozenset((102,))
    first_bytes: ClassVar[frozenset[int] | None] = frozenset(_TPKT[:1])
    screens: ClassVar[Mapping[int, tuple[Screen, ...]]] = {IPPROTO_TCP: (
        Screen(12, equals=((0, _TPKT),), length=(2, 2, "big", 0)),)}

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """TPKT + COTP connection request/confirm with S7 TSAPs, or DT + S7 PDU."""
        n = len(payload)
        if n < 12 or payload[:2] != _TPKT or be16(payload, 2) != n:
            return False
        code = payload[5]
        if code == _COTP_DT:
            return n >= 17 and payload[4] == 2 and payload[6] == 0x80 and _s7_data(payload)
        if code not in (_COTP_CR, _COTP_CC) or payload[4] != n - 5 or payload[10] != 0:
            return False
        return (code != _COTP_CR or payload[6:8] == b"\x00\x00") and _cotp_connect(payload)


# --- KNXnet/IP (KNX Standard 03.08.02 Core, 03.08.04 Tunnelling, 03.08.05 Routing) -------------

_KNX_HEADER = b"\x06\x10"
"""Header length 6, protocol version 1.0."""
_KNX_HPAI = 8
_KNX_CONNECTION_TYPES = frozenset((0x03, 0x04, 0x06, 0x07, 0x08))
"""Device management, tunnel, remote logging, remote configuration, object server."""
_KNX_CEMI_CODES = frozenset((0x10, 0x11, 0x13, 0x25, 0x29, 0x2B, 0x2D, 0x2E, 0x2F,
                             0xF0, 0xF1, 0xF5, 0xF6, 0xF7, 0xF8, 0xF9, 0xFA, 0xFB, 0xFC))
"""cEMI message codes (KNX 03.06.03 §4.1.3): L_Raw, L_Data, L_Poll_Data, L_Busmon, and the
M_ (local device management) services."""


def _knx_hpai(p: bytes, pos: int) -> bool:
    """A host protocol address information at ``pos``: length 8, IPv4 UDP (1) or TCP (2)."""
    return pos + _KNX_HPAI <= len(p) and p[pos] == _KNX_HPAI and p[pos + 1] in (1, 2)


def _knx_cemi(p: bytes, pos: int) -> bool:
    """A cEMI frame at ``pos``: a defined message code; for the data link services (codes
    below 0xF0) the additional information length within the frame."""
    if pos + 2 > len(p) or p[pos] not in _KNX_CEMI_CODES:
        return False
    return p[pos] >= 0xF0 or pos + 2 + p[pos + 1] <= len(p)


def _knx_body(p: bytes, service: int) -> bool:
    """The body (from byte 6 to the end) has the service's layout."""
    n = len(p)
    if service in (0x0201, 0x0203):  # SEARCH_REQUEST, DESCRIPTION_REQUEST: one HPAI
        return n == 6 + _KNX_HPAI and _knx_hpai(p, 6)
    if service == 0x020B:  # SEARCH_REQUEST_EXTENDED: HPAI + search parameters
        return _knx_hpai(p, 6)
    if service in (0x0202, 0x020C):  # SEARCH_RESPONSE(_EXTENDED): HPAI + device DIB
        return _knx_hpai(p, 6) and p[14:16] == b"\x36\x01"
    if service == 0x0204:  # DESCRIPTION_RESPONSE: device DIB first
        return p[6:8] == b"\x36\x01"
    if service == 0x0205:  # CONNECT_REQUEST: control HPAI, data HPAI, CRI
        return (_knx_hpai(p, 6) and _knx_hpai(p, 14) and n >= 24 and 6 + 16 + p[22] == n
                and p[23] in _KNX_CONNECTION_TYPES)
    if service == 0x0206:  # CONNECT_RESPONSE: channel, status, [HPAI, CRD]
        return n == 8 or (_knx_hpai(p, 8) and n >= 18 and 16 + p[16] == n
                          and p[17] in _KNX_CONNECTION_TYPES)
    if service in (0x0207, 0x0209):  # CONNECTIONSTATE / DISCONNECT requests
        return n == 16 and p[7] == 0 and _knx_hpai(p, 8)
    if service in (0x0208, 0x020A):  # their responses: channel, status
        return n == 8
    if service in (0x0310, 0x0420):  # DEVICE_CONFIGURATION / TUNNELLING requests
        return p[6] == 4 and n >= 12 and p[9] == 0 and _knx_cemi(p, 10)
    if service in (0x0311, 0x0421):  # their acks: connection header with a status
        return n == 10 and p[6] == 4
    if service in (0x0530, 0x0533):  # ROUTING_INDICATION, ROUTING_SYSTEM_BROADCAST: cEMI
        return _knx_cemi(p, 6)
    if service == 0x0531:  # ROUTING_LOST_MESSAGE
        return n == 10 and p[6] == 4
    if service == 0x0532:  # ROUTING_BUSY
        return n == 12 and p[6] == 6
    return False


class KnxnetIpDissector(SignatureDissector):
    """KNXnet/IP (UDP 3671).

    ``matches`` (KNX 03.08.02 §2.3): the 6-byte header (header length 6, protocol version
    0x10, a service type, a total length equal to the datagram's) followed by the body of a
    core (search, description, connect, connection state, disconnect), device management,
    tunnelling or routing service with its layout (:func:`_knx_body`: HPAIs of length 8 and
    protocol UDP/TCP, the device information DIB, CRI/CRD connection types, connection
    headers of length 4 with reserved 0, cEMI frames with a defined message code).
    """

    name: ClassVar[str] = "knxnet_ip"
    transports: ClassVar[frozenset[int]] = UDP_ONLY
    ports: ClassVar[frozenset[int]] = frozenset((3671,))
    first_bytes: ClassVar[frozenset[int] | None] = frozenset(_KNX_HEADER[:1])
    screens: ClassVar[Mapping[int, tuple[Screen, ...]]] = {IPPROTO_UDP: (
        Screen(8, equals=((0, _KNX_HEADER),), length=(4, 2, "big", 0)),)}

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """Header with the exact total length, then the service's body."""
        n = len(payload)
        if n < 8 or payload[:2] != _KNX_HEADER or be16(payload, 4) != n:
            return False
        return _knx_body(payload, be16(payload, 2))


# --- BACnet/IP (ASHRAE 135 Annex J.2 BVLL, clause 6.2 NPDU) --------------------------------------

_BVLC_TYPE = 0x81
"""BVLC type of BACnet/IP (J.2)."""
_BVLC_RESULTS = frozenset(range(0x00, 0x70, 0x10))
"""BVLC-Result codes (J.2.1.1): success, then the NAK of each function, 0x0010-0x0060."""
_BVLC_TABLE_FUNCTIONS = frozenset((0x01, 0x03, 0x07))
"""Write-BDT, Read-BDT-Ack, Read-FDT-Ack: 10-byte entries after the header."""
_BVLC_FIXED = {0x00: 6, 0x02: 4, 0x05: 6, 0x06: 4, 0x08: 10}
"""Result, Read-BDT, Register-Foreign-Device, Read-FDT, Delete-FDT-Entry: fixed sizes."""
_BVLC_NPDU_AT = {0x04: 10, 0x09: 4, 0x0A: 4, 0x0B: 4}
"""Forwarded-NPDU (after the original source's B/IP address), Distribute-Broadcast,
Original-Unicast, Original-Broadcast: where the NPDU starts."""
_BACNET_MAX_ADDRESS = 18
"""Longest DADR/SADR (a BACnet/IPv6 address)."""
_BACNET_NETWORK_MESSAGES = 0x13
"""Network layer message types 0x00-0x13 are defined (6.2.4); 0x80-0xFF proprietary."""


def _npdu(p: bytes, pos: int) -> bool:
    """An NPDU at ``pos`` (6.2): version 1, control with reserved bits 6 and 4 zero, the
    destination/source specifiers within the datagram (SLEN nonzero), hop count, then a
    defined network message type or an APDU (PDU type 0-7, confirmed request's reserved
    bit zero, unconfirmed request's low nibble zero)."""
    n = len(p)
    if pos + 3 > n or p[pos] != 0x01 or p[pos + 1] & 0x50:
        return False
    control = p[pos + 1]
    pos += 2
    if control & 0x20:  # DNET, DLEN, DADR
        if pos + 3 > n or p[pos + 2] > _BACNET_MAX_ADDRESS:
            return False
        pos += 3 + p[pos + 2]
    if control & 0x08:  # SNET, SLEN, SADR
        if pos + 3 > n or not 0 < p[pos + 2] <= _BACNET_MAX_ADDRESS:
            return False
        pos += 3 + p[pos + 2]
    if control & 0x20:
        pos += 1  # hop count
    if pos >= n:
        return False
    first = p[pos]
    if control & 0x80:
        return first <= _BACNET_NETWORK_MESSAGES or (first >= 0x80 and pos + 3 <= n)
    kind = first >> 4
    if kind == 0:
        return not first & 0x01 and pos + 4 <= n
    if kind == 1:
        return first == 0x10 and pos + 2 <= n
    return kind <= 7 and pos + 2 <= n


class BacnetDissector(SignatureDissector):
    """BACnet/IP (UDP 47808 = 0xBAC0).

    ``matches`` (ASHRAE 135 Annex J.2): the BVLC header (type 0x81, function 0x00-0x0B,
    length == the datagram's) and the function's body: BVLC-Result a defined result code
    (6 bytes); Read-BDT, Read-FDT (4), Register-Foreign-Device (6), Delete-FDT-Entry (10)
    their sizes; Write-BDT and the Read-BDT/FDT acks whole 10-byte entries; the NPDU
    functions (Forwarded, Distribute-Broadcast, Original-Unicast/Broadcast) an NPDU of
    clause 6.2 (:func:`_npdu`). Secure-BVLL (0x0C) is not claimed: nothing after its header
    can be checked.
    """

    name: ClassVar[str] = "bacnet"
    transports: ClassVar[frozenset[int]] = UDP_ONLY
    ports: ClassVar[frozenset[int]] = frozenset((47808,))
    first_bytes: ClassVar[frozenset[int] | None] = frozenset((_BVLC_TYPE,))
    screens: ClassVar[Mapping[int, tuple[Screen, ...]]] = {IPPROTO_UDP: (Screen(
        4, equals=((0, bytes((_BVLC_TYPE,))),), values=((1, frozenset(range(0x0C))),),
        length=(2, 2, "big", 0)),)}

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """BVLC header with the exact length, then the function's body."""
        n = len(payload)
        if n < 4 or payload[0] != _BVLC_TYPE or be16(payload, 2) != n:
            return False
        function = payload[1]
        fixed = _BVLC_FIXED.get(function)
        if fixed is not None:
            return n == fixed and (function != 0x00 or be16(payload, 4) in _BVLC_RESULTS)
        if function in _BVLC_TABLE_FUNCTIONS:
            return (n - 4) % 10 == 0
        start = _BVLC_NPDU_AT.get(function)
        return start is not None and _npdu(payload, start)


# --- IEC 60870-5-104 (IEC 60870-5-104 §5, ASDU of IEC 60870-5-101 §7) ----------------------------

_IEC104_START = 0x68
_IEC104_U = frozenset((0x07, 0x0B, 0x13, 0x23, 0x43, 0x83))
"""U-format control octet 1: exactly one of STARTDT/STOPDT/TESTFR act/con, low bits 11."""
_IEC104_TYPES = frozenset((*range(1, 22), *range(30, 41), *range(45, 52), *range(58, 65), 70,
                           *range(100, 108), *range(110, 114), *range(120, 128)))
"""ASDU type identifications of the companion standard (101 §7.2.1.1 and 104 §8)."""
_IEC104_CAUSES = frozenset((*range(1, 14), *range(20, 42), *range(44, 48)))
"""Causes of transmission (101 §7.2.3, the low 6 bits)."""
_IEC104_ELEMENT = {
    1: 1, 2: 4, 3: 1, 4: 4, 5: 2, 6: 5, 7: 5, 8: 8, 9: 3, 10: 6, 11: 3, 12: 6, 13: 5, 14: 8,
    15: 5, 16: 8, 17: 6, 18: 7, 19: 7, 20: 5, 21: 2, 30: 8, 31: 8, 32: 9, 33: 12, 34: 10,
    35: 10, 36: 12, 37: 12, 38: 10, 39: 11, 40: 11, 45: 1, 46: 1, 47: 1, 48: 3, 49: 3, 50: 5,
    51: 4, 58: 8, 59: 8, 60: 8, 61: 10, 62: 10, 63: 12, 64: 11, 70: 1, 100: 1, 101: 1,
    102: 0, 103: 7, 104: 2, 105: 1, 106: 2, 107: 9, 110: 3, 111: 3, 112: 5, 113: 1, 120: 6,
    121: 7, 122: 4, 123: 5, 124: 4, 126: 13, 127: 16,
}  # fmt: skip
"""Type identification -> size of one information element set (without its 3-byte
address), from the element formats of 101 §7.2.6 and 104 §8 (e.g. 13 M_ME_NC_1: short
float 4 + QDS 1; 30 M_SP_TB_1: SIQ 1 + CP56Time2a 7)."""
_IEC104_SEGMENT = 125
"""F_SG_NA_1 (file segment): variable size, one object of at least 4 bytes + address."""
_IEC104_MIN_I = 4 + 6 + 3
"""An I-format APDU: control (4), ASDU header (type, VSQ, COT 2, common address 2) and one
information object address (3)."""


def _apdu(p: bytes, pos: int) -> int:
    """End of the APDU at ``pos`` (start 0x68, length 4..253 within the segment, a control
    field of format I, S or U with its fixed bits), or -1."""
    if pos + 6 > len(p) or p[pos] != _IEC104_START:
        return -1
    size = p[pos + 1]
    end = pos + 2 + size
    if not 4 <= size <= 253 or end > len(p):
        return -1
    c1 = p[pos + 2]
    if c1 & 0x01 == 0:  # I format: send and receive sequence numbers, then an ASDU
        if p[pos + 4] & 0x01 or size < _IEC104_MIN_I:
            return -1
        asdu = pos + 6
        kind, count = p[asdu], p[asdu + 1] & 0x7F
        if kind not in _IEC104_TYPES or count == 0 or p[asdu + 2] & 0x3F not in _IEC104_CAUSES:
            return -1
        objects = end - asdu - 6  # after type, VSQ, COT (2), common address (2)
        if kind == _IEC104_SEGMENT:
            return end if count == 1 and objects >= 3 + 4 else -1
        element = _IEC104_ELEMENT[kind]
        if p[asdu + 1] & 0x80:  # SQ: one address, then the elements
            return end if objects == 3 + count * element else -1
        return end if objects == count * (3 + element) else -1
    if size != 4:
        return -1
    if c1 == 0x01:  # S format: receive sequence number only
        return end if p[pos + 3] == 0 and p[pos + 4] & 0x01 == 0 else -1
    return end if c1 in _IEC104_U and p[pos + 3 : pos + 6] == b"\x00\x00\x00" else -1


class Iec104Dissector(SignatureDissector):
    """IEC 60870-5-104 (TCP 2404).

    ``matches`` (104 §5.1-§5.3): the segment is one or more whole APDUs walked to its end
    exactly (:func:`_apdu`): start byte 0x68, APDU length 4-253; control field I format
    (bit 0 of octets 1 and 3 zero, an ASDU with a defined type identification, a defined
    cause of transmission and 1-127 information objects whose addresses and elements,
    sized by the type (:data:`_IEC104_ELEMENT`; SQ bit: one address for all), fill the
    APDU exactly), S format
    (octet 1 0x01, octet 2 zero, bit 0 of octet 3 zero, length 4) or U format (exactly one
    function bit, octets 2-4 zero, length 4).
    """

    name: ClassVar[str] = "iec104"
    transports: ClassVar[frozenset[int]] = TCP_ONLY
    ports: ClassVar[frozenset[int]] = frozenset((2404,))
    first_bytes: ClassVar[frozenset[int] | None] = frozenset((_IEC104_START,))

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """Whole APDUs filling the segment."""
        return fills(payload, _apdu)


ICS_SIGNATURES: tuple[type[Dissector], ...] = (
    OpcUaDissector,  # 3-letter message type + chunk type + exact size + body layout
    TuyaLpDissector,  # 4-byte prefix and suffix + exact length
    FinsDissector,  # "FINS" / a 10-byte header of fixed values + command pairs
    TplinkShpDissector,  # deciphered JSON object
    EnipDissector,  # 24-byte header: command, exact length, status, options 0
    S7commDissector,  # TPKT + COTP lengths + S7 TSAPs / S7 header lengths
    KnxnetIpDissector,  # 06 10 + exact length + service layout
    BacnetDissector,  # 0x81 + function + exact length + NPDU
    Iec104Dissector,  # 0x68 + APDU lengths + control formats
    CoapDissector,  # version bits, codes, option walk
)
"""This module's signature dissectors in priority order (strictest first)."""
