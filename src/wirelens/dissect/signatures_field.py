"""Content signatures of storage, healthcare and field-device protocols.

Identification only (see :mod:`wirelens.dissect.signatures_base`). One class per service:

- ``c37_118``: IEEE C37.118.2 synchrophasor frames (CRC-CCITT checked), TCP 4712 / UDP 4713;
- ``hart_ip``: HART-IP header (HCF_SPEC-085), TCP/UDP 5094;
- ``ads``: Beckhoff ADS/AMS over TCP (AMS/TCP header + AMS header), TCP 48898;
- ``dicom``: DICOM upper-layer association PDUs (PS3.8 §9.3), TCP 104/11112;
- ``iscsi``: iSCSI Login Request / Response (RFC 7143 §11.12, §11.13), TCP 3260;
- ``dlms``: DLMS/COSEM over the IEC 62056-47 wrapper or IEC 62056-46 HDLC frames, 4059;
- ``rtps``: OMG DDSI-RTPS messages (DDSI-RTPS 2.x §8.3.3, §9.4), UDP 7400-7500;
- ``c12_22``: ANSI C12.22 ACSE PDUs, TCP/UDP 1153;
- ``ceph``: Ceph messenger banners (msgr v1 and v2), TCP 6789/3300/6800-7300;
- ``hl7``: HL7 v2 messages in MLLP framing, TCP 2575.

:data:`FIELD_SIGNATURES` lists them strictest first (checksums and exact length fields before
banners and text). Over TCP ``matches`` sees the first segment of one direction; each class
says when several messages may share it.
"""

from __future__ import annotations

from binascii import crc_hqx  # CRC-16, polynomial 0x1021, not reflected (CCITT from 0xFFFF)
from collections.abc import Mapping
from typing import ClassVar

from wirelens.dissect.base import IPPROTO_TCP, IPPROTO_UDP, Dissector, Event, Screen
from wirelens.dissect.signatures_base import (
    MAX_MESSAGES,
    MAX_SCAN,
    TCP_AND_UDP,
    TCP_ONLY,
    UDP_ONLY,
    SignatureDissector,
    be16,
    be32,
    fills,
    is_ascii_text,
    le32,
)

__all__ = [
    "FIELD_SIGNATURES",
    "AdsDissector",
    "C1222Dissector",
    "C37118Dissector",
    "CephDissector",
    "DicomDissector",
    "DlmsDissector",
    "HartIpDissector",
    "Hl7Dissector",
    "IscsiDissector",
    "RtpsDissector",
]

_MAX_ITEMS = 64
"""Elements (submessages, items, TLVs) walked in one message. Reason: bounds ``matches``."""


def _crc_x25(data: bytes) -> int:
    """CRC-16/X.25 (HDLC FCS): reflected polynomial 0x8408, initial 0xFFFF, final xor 0xFFFF."""
    crc = 0xFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ 0x8408 if crc & 1 else crc >> 1
    return crc ^ 0xFFFF


# --- IEEE C37.118 synchrophasor -----------------------------------------------------------------

_C37_MIN = 16
_C37_MAX_CRC = 4096
"""Bytes of frames whose CRC is computed. Reason: bounds ``matches`` (a bitwise CRC)."""
_C37_SECOND = frozenset(t << 4 | v for t in range(6) for v in (1, 2, 3))
"""C37.118.2 §6.2 SYNC second byte: frame type (data 0, header 1, config-1 2, config-2 3,
command 4, config-3 5) in bits 6-4, version 1-3 in bits 3-0, bit 7 reserved 0."""


class C37118Dissector(SignatureDissector):
    """IEEE C37.118.2 synchrophasor frames, TCP 4712 / UDP 4713.

    ``matches`` (C37.118.2-2011 §6.2, Table 2): SYNC 0xAA, then a second byte with reserved
    bit 7 zero, a frame type among data 0, header 1, config-1 2, config-2 3, command 4,
    config-3 5 and a version 1-3; FRAMESIZE at least 16 (the 14-byte common header and the
    CHK); CHK, the CRC-CCITT (polynomial 0x1021, initial 0xFFFF) of the frame's other bytes,
    correct. A UDP datagram is one frame (FRAMESIZE equals its length); a TCP segment holds
    whole frames walked to its end exactly, each with its SYNC and CRC checked (over at most
    4096 bytes of frames; a longer segment is refused).
    """

    name: ClassVar[str] = "c37_118"
    transports: ClassVar[frozenset[int]] = TCP_AND_UDP
    ports: ClassVar[frozenset[int]] = frozenset((4712, 4713))
    first_bytes: ClassVar[frozenset[int] | None] = frozenset((0xAA,))
    """``matches``: the SYNC byte."""
    screens: ClassVar[Mapping[int, tuple[Screen, ...]]] = {
        IPPROTO_UDP: (Screen(_C37_MIN, equals=((0, b"\xaa"),), values=((1, _C37_SECOND),),
                             length=(2, 2, "big", 0)),),
        IPPROTO_TCP: (Screen(_C37_MIN, equals=((0, b"\xaa"),), values=((1, _C37_SECOND),)),),
    }

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """Frames walked to the end, each with SYNC, FRAMESIZE and CRC checked."""
        n = len(payload)
        if n < _C37_MIN or n > _C37_MAX_CRC or (proto == IPPROTO_UDP and be16(payload, 2) != n):
            return False
        pos = 0
        for _ in range(MAX_MESSAGES):
            if pos == n:
                return True
            if pos + _C37_MIN > n or payload[pos] != 0xAA or payload[pos + 1] not in _C37_SECOND:
                return False
            size = be16(payload, pos + 2)
            if size < _C37_MIN or pos + size > n:
                return False
            end = pos + size
            if crc_hqx(payload[pos : end - 2], 0xFFFF) != be16(payload, end - 2):
                return False
            pos = end
        return False


# --- HART-IP ------------------------------------------------------------------------------------

_HART_HEAD = 8
_HART_TYPES = frozenset((0, 1, 2, 3, 15))
"""Message type: request 0, response 1, publish 2, error 3, NAK 15."""
_HART_INITIATE, _HART_CLOSE, _HART_KEEPALIVE, _HART_PASS = 0, 1, 2, 3


class HartIpDissector(SignatureDissector):
    """HART-IP (HCF_SPEC-085), TCP/UDP 5094.

    ``matches``: one or more messages walked to the payload's end exactly (one per UDP
    datagram), each with the 8-byte header: version 1 or 2, message type request 0,
    response 1, publish 2, error 3 or NAK 15, message id session initiate 0, session close 1,
    keep-alive 2 or token-passing pass-through 3, a status byte (0 in a request), a sequence
    number and a byte count equal to the message's length header included. The body: 5 bytes
    (master type 0/1, inactivity timer) for a session initiate request or response, none for
    a close or keep-alive request, at least a 5-byte HART frame (a delimiter with bits 2-0 1
    STX, 2 ACK or 6 BACK... any) for pass-through.
    """

    name: ClassVar[str] = "hart_ip"
    transports: ClassVar[frozenset[int]] = TCP_AND_UDP
    ports: ClassVar[frozenset[int]] = frozenset((5094,))
    first_bytes: ClassVar[frozenset[int] | None] = frozenset((1, 2))
    """``matches``: the version."""
    screens: ClassVar[Mapping[int, tuple[Screen, ...]]] = {
        IPPROTO_UDP: (Screen(_HART_HEAD, values=((0, frozenset((1, 2))), (1, _HART_TYPES),
                                                 (2, frozenset(range(4)))),
                             length=(6, 2, "big", 0)),),
        IPPROTO_TCP: (Screen(_HART_HEAD, values=((0, frozenset((1, 2))), (1, _HART_TYPES),
                                                 (2, frozenset(range(4))))),),
    }

    @staticmethod
    def _message(p: bytes, pos: int) -> int:
        """End of the message at ``pos``, or -1."""
        n = len(p)
        if pos + _HART_HEAD > n or p[pos] not in (1, 2) or p[pos + 1] not in _HART_TYPES:
            return -1
        kind, mid, size = p[pos + 1], p[pos + 2], be16(p, pos + 6)
        if mid > _HART_PASS or size < _HART_HEAD or pos + size > n:
            return -1
        if kind == 0 and p[pos + 3] != 0:
            return -1
        body = size - _HART_HEAD
        if kind in (0, 1) and mid == _HART_INITIATE and (body != 5 or p[pos + 8] > 1):
            return -1
        if kind == 0 and mid in (_HART_CLOSE, _HART_KEEPALIVE) and body != 0:
            return -1
        if mid == _HART_PASS and kind in (0, 1, 2) and body < 5:
            return -1
        return pos + size

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """Messages walked to the end, each header checked."""
        n = len(payload)
        if n < _HART_HEAD or (proto == IPPROTO_UDP and be16(payload, 6) != n):
            return False
        return fills(payload, cls._message)


# --- Beckhoff ADS/AMS ---------------------------------------------------------------------------

_AMS_TCP_HEAD = 6
_AMS_HEAD = 32
_ADS_COMMANDS = frozenset(range(1, 10))
"""ADS command ids: ReadDeviceInfo 1 ... ReadWrite 9."""
_ADS_FLAGS = frozenset((0x0004, 0x0005))
"""AMS state flags over TCP: ADS command (0x0004) request / response (0x0005)."""


class AdsDissector(SignatureDissector):
    """Beckhoff ADS over AMS/TCP, TCP 48898.

    ``matches`` (Beckhoff ADS specification, "AMS/TCP packet" and "AMS header"): one or more
    packets walked to the segment's end exactly, each with the AMS/TCP header (2 reserved
    bytes 0, a little-endian length equal to the rest of the packet) and a 32-byte AMS
    header: target and source AMSNetId (6 bytes) and port, a command id 1-9, state flags
    0x0004 (request) or 0x0005 (response), a data length equal to the bytes after the AMS
    header, an error code (0 in a request) and an invoke id.
    """

    name: ClassVar[str] = "ads"
    transports: ClassVar[frozenset[int]] = TCP_ONLY
    ports: ClassVar[frozenset[int]] = frozenset((48898,))
    first_bytes: ClassVar[frozenset[int] | None] = frozenset((0,))
    """``matches``: the reserved bytes."""
    screens: ClassVar[Mapping[int, tuple[Screen, ...]]] = {IPPROTO_TCP: (Screen(
        _AMS_TCP_HEAD + _AMS_HEAD, equals=((0, b"\x00\x00"), (23, b"\x00")),
        values=((22, frozenset((4, 5))),)),)}

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """AMS/TCP packets walked to the end, each AMS header checked."""
        n = len(payload)
        pos = 0
        for _ in range(MAX_MESSAGES):
            if pos == n:
                return pos > 0
            if pos + _AMS_TCP_HEAD + _AMS_HEAD > n or payload[pos : pos + 2] != b"\x00\x00":
                return False
            size = le32(payload, pos + 2)
            end = pos + _AMS_TCP_HEAD + size
            ams = pos + _AMS_TCP_HEAD
            if size < _AMS_HEAD or end > n:
                return False
            command = payload[ams + 16] | payload[ams + 17] << 8
            flags = payload[ams + 18] | payload[ams + 19] << 8
            if command not in _ADS_COMMANDS or flags not in _ADS_FLAGS:
                return False
            if le32(payload, ams + 20) != size - _AMS_HEAD:
                return False
            if flags == 0x0004 and le32(payload, ams + 24) != 0:
                return False
            pos = end
        return False


# --- DICOM upper layer --------------------------------------------------------------------------

_DICOM_HEAD = 74
_DICOM_APP_CONTEXT = b"1.2.840.10008.3.1.1.1"
_DICOM_RJ = 10


class DicomDissector(SignatureDissector):
    """DICOM upper-layer association PDUs over TCP (104, 11112).

    ``matches`` (DICOM PS3.8 §9.3.2-§9.3.4): an A-ASSOCIATE-RQ (PDU type 0x01) or -AC (0x02):
    reserved byte 0, a PDU length equal to the segment's length minus 6 or larger (the first
    segment of a longer PDU), protocol version 0x0001, 2 reserved bytes 0, called and calling
    AE titles of 16 printable bytes (not all spaces in a request), 32 reserved bytes 0, then
    the first variable item: the Application Context item (0x10, reserved 0, length) whose
    name is "1.2.840.10008.3.1.1.1". Or an A-ASSOCIATE-RJ (0x03, §9.3.4): exactly 10 bytes,
    PDU length 4, reserved 0, result 1 or 2, source 1-3 and a reason valid for that source
    (1: 1-3, 7-10; 2: 1-2; 3: 1-2).

    ``feed``: the called AE title of a client's A-ASSOCIATE-RQ (spaces stripped, when not
    empty) becomes ``server_name`` (``name_source`` "dicom_called_ae").
    """

    name: ClassVar[str] = "dicom"
    name_source: ClassVar[str | None] = "dicom_called_ae"
    transports: ClassVar[frozenset[int]] = TCP_ONLY
    ports: ClassVar[frozenset[int]] = frozenset((104, 11112))
    first_bytes: ClassVar[frozenset[int] | None] = frozenset((1, 2, 3))
    """``matches``: the PDU type."""
    screens: ClassVar[Mapping[int, tuple[Screen, ...]]] = {IPPROTO_TCP: (
        Screen(_DICOM_HEAD + 4 + len(_DICOM_APP_CONTEXT),
               equals=((1, b"\x00"), (6, b"\x00\x01\x00\x00"), (_DICOM_HEAD, b"\x10\x00")),
               values=((0, frozenset((1, 2))),)),
        Screen(_DICOM_RJ, equals=((0, b"\x03\x00\x00\x00\x00\x04\x00"),)),
    )}

    _RJ_REASONS: ClassVar[dict[int, frozenset[int]]] = {
        1: frozenset((1, 2, 3, 7, 8, 9, 10)), 2: frozenset((1, 2)), 3: frozenset((1, 2))}

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """Association request / accept header and application context, or a reject."""
        n = len(payload)
        if n == _DICOM_RJ and payload[:7] == b"\x03\x00\x00\x00\x00\x04\x00":
            return payload[7] in (1, 2) and payload[9] in cls._RJ_REASONS.get(payload[8], ())
        ctx = len(_DICOM_APP_CONTEXT)
        if n < _DICOM_HEAD + 4 + ctx or payload[0] not in (1, 2) or payload[1] != 0:
            return False
        if be32(payload, 2) < n - 6 or payload[6:10] != b"\x00\x01\x00\x00":
            return False
        if not is_ascii_text(payload[10:42]) or any(payload[42:_DICOM_HEAD]):
            return False
        if payload[0] == 1 and payload[10:26] == b" " * 16:
            return False
        item = payload[_DICOM_HEAD : _DICOM_HEAD + 4]
        return (item[:2] == b"\x10\x00" and be16(item, 2) == ctx
                and payload[_DICOM_HEAD + 4 : _DICOM_HEAD + 4 + ctx] == _DICOM_APP_CONTEXT)

    def feed(self, data: bytes, from_orig: bool, ts_ns: int) -> list[Event]:
        """The called AE title of the client's association request, then done."""
        if from_orig and not self.done and data[:1] == b"\x01" and self.matches(
                data, self.proto, from_orig):
            title = data[10:26].strip(b" ")
            if title:
                self.server_name = title.decode("ascii")
        self.done = True
        return []


# --- iSCSI --------------------------------------------------------------------------------------

_ISCSI_BHS = 48
_ISCSI_LOGIN_REQ = 0x43
_ISCSI_LOGIN_RSP = 0x23
_ISCSI_STAGES = (0, 1, 3)
"""RFC 7143 §11.12.3: CSG / NSG 0 security negotiation, 1 operational negotiation, 3 full
feature phase (2 is reserved)."""


def _iscsi_text_ok(text: bytes) -> bool:
    """The first text pair (§6.1): a printable ``key=value`` ended by NUL (or the scan end)."""
    head = text[:MAX_SCAN]
    end = head.find(b"\x00")
    first = head if end < 0 else head[:end]
    eq = first.find(b"=")
    return eq > 0 and is_ascii_text(first) and first[:eq].replace(b".", b"").replace(
        b"-", b"").replace(b"_", b"").isalnum()


class IscsiDissector(SignatureDissector):
    """iSCSI login, TCP 3260 (the first PDUs of every session).

    ``matches`` (RFC 7143 §11.2, §11.12, §11.13): a 48-byte Basic Header Segment with the
    first byte 0x43 (Immediate bit and Login Request opcode 0x03) or 0x23 (Login Response);
    the flags byte with its reserved bits 0x30 zero, CSG and NSG among 0, 1, 3, and NSG after
    CSG when the Transit bit is set (Transit and Continue never both); TotalAHSLength 0; the
    24-bit DataSegmentLength with the segment padded to 4 bytes fitting in the payload
    (the first segment may end early only past the header and 48 + DataSegmentLength bytes).
    A request has version-max >= version-min and 16 reserved bytes 0 (offsets 32-47); a
    response has 10 reserved bytes 0 (38-47) and a status class 0-3. A nonempty data segment
    starts with a printable ``key=value`` text pair (§6.1) ended by NUL.

    ``feed``: the TargetName key (§13.4) of a client's first Login Request, when printable
    and within the first 512 bytes of its data segment, becomes ``server_name``
    (``name_source`` "iscsi_target"; a discovery session has none).
    """

    name: ClassVar[str] = "iscsi"
    name_source: ClassVar[str | None] = "iscsi_target"
    transports: ClassVar[frozenset[int]] = TCP_ONLY
    ports: ClassVar[frozenset[int]] = frozenset((3260,))
    first_bytes: ClassVar[frozenset[int] | None] = frozenset((_ISCSI_LOGIN_REQ, _ISCSI_LOGIN_RSP))
    """``matches``: the opcode byte."""

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """Login request / response BHS and the first text pair."""
        n = len(payload)
        if n < _ISCSI_BHS or payload[0] not in (_ISCSI_LOGIN_REQ, _ISCSI_LOGIN_RSP):
            return False
        flags = payload[1]
        transit, cont = flags & 0x80, flags & 0x40
        csg, nsg = (flags >> 2) & 3, flags & 3
        if flags & 0x30 or csg not in _ISCSI_STAGES or (transit and cont):
            return False
        if transit and (nsg not in _ISCSI_STAGES or nsg <= csg):
            return False
        if payload[4] != 0:
            return False
        dsl = int.from_bytes(payload[5:8], "big")
        if _ISCSI_BHS + dsl > n:
            return False
        if payload[0] == _ISCSI_LOGIN_REQ:
            if payload[2] < payload[3] or any(payload[32:48]):
                return False
        elif payload[36] > 3 or any(payload[38:48]):
            return False
        padded = _ISCSI_BHS + dsl + (-dsl % 4)
        if n not in (_ISCSI_BHS + dsl, padded) and n < padded + _ISCSI_BHS:
            return False
        return dsl == 0 or _iscsi_text_ok(payload[_ISCSI_BHS : _ISCSI_BHS + dsl])

    def feed(self, data: bytes, from_orig: bool, ts_ns: int) -> list[Event]:
        """The TargetName of the client's login request, then done."""
        if from_orig and not self.done and data[:1] == bytes((_ISCSI_LOGIN_REQ,)) and (
                self.matches(data, self.proto, from_orig)):
            dsl = int.from_bytes(data[5:8], "big")
            for pair in data[_ISCSI_BHS : _ISCSI_BHS + min(dsl, MAX_SCAN)].split(b"\x00"):
                if pair.startswith(b"TargetName="):
                    value = pair[len(b"TargetName=") :]
                    if value and is_ascii_text(value):
                        self.server_name = value.decode("ascii")
                    break
        self.done = True
        return []


# --- DLMS/COSEM ---------------------------------------------------------------------------------

_DLMS_WRAPPER_HEAD = 8
_DLMS_APDUS = frozenset((0x01, 0x08, 0x0E, 0x0F, 0x60, 0x61, 0x62, 0x63, *range(0xC0, 0xC6),
                         0xC7, *range(0xC8, 0xCE), 0xCF, *range(0xD0, 0xD6), 0xD7, 0xD8, 0xD9,
                         0xDA, 0xDB, 0xDC, 0xDD, 0xDF))
"""xDLMS APDU tags (IEC 62056-5-3 / DLMS Green Book): initiate-request 0x01 / response 0x08,
confirmed-service-error 0x0E, data-notification 0x0F, AARQ 0x60, AARE 0x61, RLRQ 0x62, RLRE
0x63, get/set/event/action requests and responses 0xC0-0xC7 (0xC6 unused), their glo- and
ded- ciphered forms 0xC8-0xCF, 0xD0-0xD7 (0xCE, 0xD6 unused), exception-response 0xD8,
access-request / response 0xD9 / 0xDA, general-glo/ded/ciphering 0xDB-0xDD, general-signing
0xDF."""
_HDLC_FLAG = 0x7E
_HDLC_MIN = 9


def _hdlc_frame(p: bytes) -> bool:
    """One IEC 62056-46 HDLC frame filling ``p``: flags 0x7E at both ends, frame format type 3
    (0xA, segmentation bit free) with an 11-bit length equal to the bytes between the flags,
    destination and source addresses of 1, 2 or 4 bytes each (the last byte of each has its
    low bit set, the others not), a control byte, and the FCS (CRC-16/X.25, little-endian)
    correct; with an information field, the HCS over the header correct too."""
    n = len(p)
    if n < _HDLC_MIN or n > MAX_SCAN or p[0] != _HDLC_FLAG or p[-1] != _HDLC_FLAG:
        return False
    if p[1] & 0xF0 != 0xA0 or ((p[1] & 7) << 8 | p[2]) != n - 2:
        return False
    pos = 3
    for _ in range(2):  # destination, then source address
        start = pos
        for _ in range(4):
            if pos >= n - 3:
                return False
            pos += 1
            if p[pos - 1] & 1:
                break
        else:
            return False
        if pos - start not in (1, 2, 4):
            return False
    ctrl = pos
    fcs = n - 3
    if _crc_x25(p[1:fcs]) != (p[fcs] | p[fcs + 1] << 8):
        return False
    if fcs > ctrl + 1:  # an information field: the HCS follows the control byte
        hcs = ctrl + 1
        return hcs + 2 <= fcs and _crc_x25(p[1:hcs]) == (p[hcs] | p[hcs + 1] << 8)
    return fcs == ctrl + 1


class DlmsDissector(SignatureDissector):
    """DLMS/COSEM, TCP/UDP 4059 (wrapper) or HDLC over TCP.

    ``matches``: either the IEC 62056-47 wrapper (version 0x0001, source and destination
    wPort, a length equal to the payload's length minus the 8-byte header) followed by an
    xDLMS APDU tag (AARQ 0x60, AARE 0x61, get-request 0xC0, ... listed in ``_DLMS_APDUS``),
    an ACSE APDU (0x60-0x63) with a one-byte BER length equal to the rest; or one
    IEC 62056-46 HDLC frame (see ``_hdlc_frame``: flags, frame format, length, addresses,
    HCS and FCS checked).
    """

    name: ClassVar[str] = "dlms"
    transports: ClassVar[frozenset[int]] = TCP_AND_UDP
    ports: ClassVar[frozenset[int]] = frozenset((4059,))
    first_bytes: ClassVar[frozenset[int] | None] = frozenset((0x00, _HDLC_FLAG))
    """``matches``: the wrapper version's first byte or the HDLC flag."""

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """Wrapper header and APDU tag, or one HDLC frame with its checksums."""
        n = len(payload)
        if n and payload[0] == _HDLC_FLAG:
            return _hdlc_frame(payload)
        if n < _DLMS_WRAPPER_HEAD + 2 or payload[:2] != b"\x00\x01":
            return False
        if be16(payload, 6) != n - _DLMS_WRAPPER_HEAD or payload[8] not in _DLMS_APDUS:
            return False
        if payload[8] in (0x60, 0x61, 0x62, 0x63):
            return payload[9] == n - _DLMS_WRAPPER_HEAD - 2
        return True


# --- DDSI-RTPS ----------------------------------------------------------------------------------

_RTPS_HEAD = 20
_RTPS_SUBMESSAGES = frozenset((0x01, 0x06, 0x07, 0x08, 0x09, 0x0C, 0x0D, 0x0E, 0x0F, 0x11,
                               0x12, 0x13, 0x14, 0x15, 0x16, *range(0x30, 0x36),
                               *range(0x80, 0x100)))
"""DDSI-RTPS §9.4.5.1.1: PAD 0x01, ACKNACK 0x06, HEARTBEAT 0x07, GAP 0x08, INFO_TS 0x09,
INFO_SRC 0x0c, INFO_REPLY_IP4 0x0d, INFO_DST 0x0e, INFO_REPLY 0x0f, 0x11 (DATA of 2.0), NACK_FRAG
0x12, HEARTBEAT_FRAG 0x13, 0x14 (DATA_FRAG of 2.0), DATA 0x15, DATA_FRAG 0x16, the security
submessages 0x30-0x35 (DDS Security §7.3.6) and the vendor-specific range 0x80-0xff."""
_RTPS_PING = b"NDDSPING"
"""RTI Connext's 16-byte liveliness ping: the RTPS magic, version, RTI's vendor id 0x0101."""


class RtpsDissector(SignatureDissector):
    """OMG DDSI-RTPS messages, UDP 7400-7500 (and TCP for RTPS over TCP gateways).

    ``matches`` (DDSI-RTPS 2.x §8.3.3, §9.4.4): the header "RTPS", protocol version major 2
    minor 0-5, vendor id, 12-byte GUID prefix; then submessages (§9.4.5.1: id, flags,
    octetsToNextHeader in the byte order of the flags' E bit) walked to the datagram's end
    exactly, each id known (``_RTPS_SUBMESSAGES``); octetsToNextHeader 0 ends the message
    (the last submessage extends to the end) unless the id is PAD or INFO_TS. At least one
    submessage. Also RTI Connext's 16-byte ping: the header's first 8 bytes with vendor id
    0x0101, then "NDDSPING".
    """

    name: ClassVar[str] = "rtps"
    transports: ClassVar[frozenset[int]] = UDP_ONLY
    ports: ClassVar[frozenset[int]] = frozenset(range(7400, 7501))
    first_bytes: ClassVar[frozenset[int] | None] = frozenset(b"R")
    """``matches``: the magic."""
    screens: ClassVar[Mapping[int, tuple[Screen, ...]]] = {IPPROTO_UDP: (Screen(
        16, equals=((0, b"RTPS\x02"),), values=((5, frozenset(range(6))),)),)}

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """Header, then submessages walked to the end."""
        n = len(payload)
        if n < 16 or payload[:5] != b"RTPS\x02" or payload[5] > 5:
            return False
        if n == 16:
            return payload[6:8] == b"\x01\x01" and payload[8:] == _RTPS_PING
        pos = _RTPS_HEAD
        for _ in range(_MAX_ITEMS):
            if pos == n:
                return pos > _RTPS_HEAD
            if pos + 4 > n or payload[pos] not in _RTPS_SUBMESSAGES:
                return False
            size = int.from_bytes(payload[pos + 2 : pos + 4],
                                  "little" if payload[pos + 1] & 1 else "big")
            if size == 0 and payload[pos] not in (0x01, 0x09):
                return True
            pos += 4 + size
            if pos > n:
                return False
        return False


# --- ANSI C12.22 --------------------------------------------------------------------------------

_C1222_TAGS = (0xA1, 0xA2, 0xA3, 0xA4, 0xA6, 0xA7, 0xA8, 0xAC, 0xBE)
"""ANSI C12.22 §5.3.4 ACSE elements in their order: application context 0xA1, called AP
title 0xA2, called AE qualifier 0xA3, called AP invocation id 0xA4, calling AP title 0xA6,
calling AE qualifier 0xA7, calling AP invocation id 0xA8, calling authentication value 0xAC,
user information 0xBE."""
_C1222_TITLES = frozenset((0xA1, 0xA2, 0xA6))
_C1222_OIDS = frozenset((0x06, 0x80, 0x0D))
"""An application context or AP title: an absolute (universal 0x06) or relative (0x80,
0x0D) object identifier."""


def _ber_length(p: bytes, pos: int) -> tuple[int, int]:
    """(length, position after it) of a definite BER length at ``pos``, or (-1, -1)."""
    if pos >= len(p):
        return -1, -1
    first = p[pos]
    if first < 0x80:
        return first, pos + 1
    width = first & 0x7F
    if width == 0 or width > 2 or pos + 1 + width > len(p):
        return -1, -1
    return int.from_bytes(p[pos + 1 : pos + 1 + width], "big"), pos + 1 + width


class C1222Dissector(SignatureDissector):
    """ANSI C12.22 ACSE PDUs (C12.22 §5.3.4), TCP/UDP 1153.

    ``matches``: the APDU tag 0x60 with a definite BER length (1-3 bytes) equal to the rest
    of the payload; then elements walked to the end exactly, each a context tag among 0xA1,
    0xA2, 0xA3, 0xA4, 0xA6, 0xA7, 0xA8, 0xAC, 0xBE in strictly increasing order with a BER
    length; 0xA1, 0xA2 and 0xA6 hold an object identifier (first inner tag 0x06, 0x80 or
    0x0D); the last element is the user information 0xBE holding an EXTERNAL (0x28); at
    least one AP title (0xA2 or 0xA6).
    """

    name: ClassVar[str] = "c12_22"
    transports: ClassVar[frozenset[int]] = TCP_AND_UDP
    ports: ClassVar[frozenset[int]] = frozenset((1153,))
    first_bytes: ClassVar[frozenset[int] | None] = frozenset((0x60,))
    """``matches``: the APDU tag."""

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """APDU length, elements walked in order, user information last."""
        n = len(payload)
        if n < 8 or payload[0] != 0x60:
            return False
        size, pos = _ber_length(payload, 1)
        if size < 0 or pos + size != n:
            return False
        last, titles = -1, False
        for _ in range(len(_C1222_TAGS)):
            if pos == n:
                return last == 0xBE and titles
            tag = payload[pos]
            if tag not in _C1222_TAGS or tag <= last:
                return False
            size, inner = _ber_length(payload, pos + 1)
            if size < 1 or inner + size > n:
                return False
            if tag in _C1222_TITLES and payload[inner] not in _C1222_OIDS:
                return False
            if tag == 0xBE and payload[inner] != 0x28:
                return False
            titles = titles or tag in (0xA2, 0xA6)
            last, pos = tag, inner + size
        return pos == n and last == 0xBE and titles


# --- Ceph messenger -----------------------------------------------------------------------------

_CEPH_V1 = b"ceph v027"
_CEPH_V2 = b"ceph v2\n"


class CephDissector(SignatureDissector):
    """Ceph messenger banners, TCP 6789 / 3300 / 6800-7300.

    ``matches`` (Ceph messenger protocol documentation, "banner"): the payload starts with
    the msgr v1 banner "ceph v027" or the msgr v2 banner "ceph v2\\n", which both sides send
    first.
    """

    name: ClassVar[str] = "ceph"
    transports: ClassVar[frozenset[int]] = TCP_ONLY
    ports: ClassVar[frozenset[int]] = frozenset((6789, 3300, *range(6800, 7301)))
    first_bytes: ClassVar[frozenset[int] | None] = frozenset(b"c")
    """``matches``: the banner."""
    screens: ClassVar[Mapping[int, tuple[Screen, ...]]] = {IPPROTO_TCP: (Screen(
        len(_CEPH_V2), equals=((0, b"ceph v"),)),)}

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """One of the two banners at the start."""
        return payload.startswith(_CEPH_V1) or payload.startswith(_CEPH_V2)


# --- HL7 over MLLP ------------------------------------------------------------------------------

_MLLP_START = 0x0B
_HL7_MIN_SEPS = 9
"""MSH-3 ... MSH-12 (the version id, required): 9 field separators after MSH-2's."""


class Hl7Dissector(SignatureDissector):
    """HL7 v2 messages in MLLP framing, TCP 2575 (and many site-chosen ports).

    ``matches`` (HL7 v2.x MLLP: start block 0x0B; HL7 v2.5 §2.5, §2.14.9 MSH): 0x0B, "MSH",
    a field separator, four encoding characters (component, repetition, escape,
    subcomponent) all distinct, none the field separator, none a letter, digit or space,
    then the field separator again; the MSH segment, ended by CR within the first 512
    bytes, is printable and holds at least 9 more field separators (up to MSH-12, the
    version id, which is required). The end block 0x1C 0x0D is not
    required (a long message spans segments).
    """

    name: ClassVar[str] = "hl7"
    transports: ClassVar[frozenset[int]] = TCP_ONLY
    ports: ClassVar[frozenset[int]] = frozenset((2575,))
    first_bytes: ClassVar[frozenset[int] | None] = frozenset((_MLLP_START,))
    """``matches``: the MLLP start block."""
    screens: ClassVar[Mapping[int, tuple[Screen, ...]]] = {IPPROTO_TCP: (Screen(
        10, equals=((0, b"\x0bMSH"),)),)}

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """MLLP start, MSH header with its delimiters, the MSH segment complete."""
        if len(payload) < 10 or payload[:4] != b"\x0bMSH":
            return False
        sep = payload[4]
        enc = payload[5:9]
        delims = bytes((sep,)) + enc
        if not is_ascii_text(delims) or len(set(delims)) != 5 or payload[9] != sep:
            return False
        if any(chr(b).isalnum() or b == 0x20 for b in delims):
            return False
        end = payload.find(b"\r", 10, MAX_SCAN)
        if end < 0 or not is_ascii_text(payload[10:end]):
            return False
        return payload.count(sep, 10, end) >= _HL7_MIN_SEPS


FIELD_SIGNATURES: tuple[type[Dissector], ...] = (
    C37118Dissector,
    HartIpDissector,
    AdsDissector,
    DicomDissector,
    IscsiDissector,
    DlmsDissector,
    RtpsDissector,
    C1222Dissector,
    CephDissector,
    Hl7Dissector,
)
"""This module's signature dissectors in priority order (strictest first)."""
