"""Content signatures of telephony, messaging and data services.

Identification only (see :mod:`wirelens.dissect.signatures_base`). One class per service:

- ``iax2``: Inter-Asterisk eXchange v2 full frames (RFC 5456 §8.1.1), UDP 4569;
- ``h323``: H.323 call signalling, H.225.0 Q.931 messages over TPKT (RFC 1006), TCP 1720;
- ``diameter``: Diameter base protocol (RFC 6733 §3, §4), TCP 3868;
- ``smpp``: Short Message Peer-to-Peer v3.4/v5.0 session PDUs (SMPP v3.4 §3.2, §4), TCP 2775;
- ``kafka``: Apache Kafka request header, TCP 9092;
- ``cql``: Cassandra CQL native protocol v3-v5 frame header and handshake, TCP 9042;
- ``openflow``: OpenFlow 1.0-1.5 handshake messages, TCP 6653/6633;
- ``ptp``: Precision Time Protocol v2 (IEEE 1588-2008 §13), UDP 319/320;
- ``someip``: AUTOSAR SOME/IP and SOME/IP-SD, UDP/TCP 30490/30501;
- ``ws_discovery``: WS-Discovery SOAP-over-UDP, UDP 3702.

:data:`TELECOM_SIGNATURES` lists them strictest first (exact length fields with magic or
enumerated values before the looser XML test). Over TCP ``matches`` sees the first segment
of one direction; each class says when several messages may share it (they are then walked
to the segment's end exactly).
"""

from __future__ import annotations

import re
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
)

__all__ = [
    "TELECOM_SIGNATURES",
    "CqlDissector",
    "DiameterDissector",
    "H323Dissector",
    "Iax2Dissector",
    "KafkaDissector",
    "OpenFlowDissector",
    "PtpDissector",
    "SmppDissector",
    "SomeIpDissector",
    "WsDiscoveryDissector",
]

_MAX_MESSAGES = 16
"""Messages walked in one segment. Reason: bounds ``matches``."""
_MAX_ITEMS = 64
"""Elements (IEs, AVPs, TLVs, map entries) walked in one message. Reason: bounds ``matches``."""


# --- IAX2 (RFC 5456) ----------------------------------------------------------------------------

_IAX_FRAME_IAX = 6
_IAX_SUBCLASSES = frozenset((*range(0x01, 0x1F), 0x20, 0x21, 0x22))
"""RFC 5456 §8.4: NEW 0x01 ... POKE 0x1E, MWI 0x20, UNSUPPORT 0x21, TRANSFER 0x22."""
_IAX_EMPTY = frozenset((0x02, 0x03, 0x04, 0x0A, 0x0B, 0x0C, 0x12, 0x18, 0x19, 0x1C, 0x1D, 0x1E))
"""§8.4 subclasses sent without IEs: PING, PONG, ACK, INVAL, LAGRQ, LAGRP, VNAK, TXACC,
TXREADY, QUELCH, UNQUELCH, POKE (the others carry at least one IE)."""
_IAX_POKE = 0x1E
_IAX_HEAD = 12


class Iax2Dissector(SignatureDissector):
    """IAX2 full frames over UDP (4569).

    ``matches`` (RFC 5456 §8.1.1): the F bit set with a nonzero source call number, then the
    destination call number (R bit free), timestamp, OSeqno and ISeqno (12-byte header);
    frame type IAX (6, §8.4) with a subclass among NEW 0x01 ... POKE 0x1E, MWI 0x20,
    UNSUPPORT 0x21, TRANSFER 0x22, followed by information elements (§8.6: type, length,
    data) walked to the datagram's end exactly. A frame without IEs has a subclass sent
    without them (PING, PONG, ACK, INVAL, LAGRQ, LAGRP, VNAK, TXACC, TXREADY, QUELCH,
    UNQUELCH, POKE) and, but for POKE (sent outside a call), a nonzero destination call
    number. Control and media full frames (§8.3, voice, video, DTMF...) are not accepted: a
    call and a registration start with IAX frames, the others have too little to check.
    """

    name: ClassVar[str] = "iax2"
    transports: ClassVar[frozenset[int]] = UDP_ONLY
    ports: ClassVar[frozenset[int]] = frozenset((4569,))
    first_bytes: ClassVar[frozenset[int] | None] = frozenset(range(0x80, 0x100))
    """``matches``: the F bit (full frame)."""
    screens: ClassVar[Mapping[int, tuple[Screen, ...]]] = {IPPROTO_UDP: (Screen(
        _IAX_HEAD, equals=((10, bytes((_IAX_FRAME_IAX,))),)),)}

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """Full-frame header, frame type and subclass, IEs walked to the end."""
        n = len(payload)
        if n < _IAX_HEAD or payload[0] < 0x80 or (payload[0] == 0x80 and payload[1] == 0):
            return False
        sub = payload[11]
        if payload[10] != _IAX_FRAME_IAX or sub not in _IAX_SUBCLASSES:
            return False
        if n == _IAX_HEAD:
            return sub in _IAX_EMPTY and (sub == _IAX_POKE or be16(payload, 2) & 0x7FFF != 0)
        pos = _IAX_HEAD
        for _ in range(_MAX_ITEMS):
            if pos == n:
                return True
            if pos + 2 > n or payload[pos] == 0:
                return False
            pos += 2 + payload[pos + 1]
        return False


# --- H.323 call signalling (H.225.0 / Q.931 over TPKT) ------------------------------------------

_Q931_TYPES = frozenset((0x01, 0x02, 0x03, 0x05, 0x07, 0x0F, 0x5A, 0x62, 0x6E, 0x7B, 0x7D))
"""Q.931 §4.4 / H.225.0 §7.3: ALERTING, CALL PROCEEDING, PROGRESS, SETUP, CONNECT, CONNECT
ACKNOWLEDGE, RELEASE COMPLETE, FACILITY, NOTIFY, INFORMATION, STATUS."""
_Q931_UUIE = 0x7E
_UUIE_X208 = 0x05
"""H.225.0 §7.2.2.x: the User-user IE's protocol discriminator, X.208/X.209 coded."""


def _q931_ies(p: bytes, pos: int, end: int) -> bool:
    """The IEs ``p[pos:end]`` walked exactly (single-octet IEs have bit 8 set; the User-user
    IE has a 2-octet length in H.225.0), the User-user IE present with discriminator 5."""
    seen_uu = False
    for _ in range(_MAX_ITEMS):
        if pos == end:
            return seen_uu
        ie = p[pos]
        if ie & 0x80:
            pos += 1
            continue
        if ie == _Q931_UUIE:
            if pos + 4 > end or p[pos + 3] != _UUIE_X208:
                return False
            length = be16(p, pos + 1)
            if length < 2:
                return False
            pos += 3 + length
            seen_uu = True
        else:
            if pos + 2 > end:
                return False
            pos += 2 + p[pos + 1]
        if pos > end:
            return False
    return False


class H323Dissector(SignatureDissector):
    """H.323 call signalling over TCP (H.225.0 Q.931 messages, TCP 1720).

    ``matches``: one or more TPKTs (RFC 1006 §6: version 3, reserved 0, length at least the
    4-byte header plus a Q.931 header) walked to the segment's end exactly; the first one
    carries, with no COTP header (unlike RDP and S7comm), a Q.931 message (Q.931 §4,
    H.225.0 §7.2): protocol discriminator 0x08, call reference length 2, a message type
    among ALERTING, CALL PROCEEDING, PROGRESS, SETUP, CONNECT, CONNECT ACKNOWLEDGE, RELEASE
    COMPLETE, FACILITY, NOTIFY, INFORMATION, STATUS, then IEs walked to the TPKT's end
    exactly, one of them the User-user IE 0x7E (2-octet length, discriminator 0x05) that
    carries the H.225.0 PDU.
    """

    name: ClassVar[str] = "h323"
    transports: ClassVar[frozenset[int]] = TCP_ONLY
    ports: ClassVar[frozenset[int]] = frozenset((1720,))
    first_bytes: ClassVar[frozenset[int] | None] = frozenset((0x03,))
    """``matches``: the TPKT version."""
    screens: ClassVar[Mapping[int, tuple[Screen, ...]]] = {IPPROTO_TCP: (Screen(
        14, equals=((0, b"\x03\x00"), (4, b"\x08\x02")), values=((8, _Q931_TYPES),)),)}

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """TPKTs filling the segment; the first one's Q.931 message and IEs checked."""
        n = len(payload)
        if n < 14 or payload[:2] != b"\x03\x00" or payload[4:6] != b"\x08\x02":
            return False
        end = be16(payload, 2)
        if end < 14 or end > n or payload[8] not in _Q931_TYPES:
            return False
        if not _q931_ies(payload, 9, end):
            return False
        for _ in range(_MAX_MESSAGES):
            if end == n:
                return True
            if end + 4 > n or payload[end : end + 2] != b"\x03\x00":
                return False
            size = be16(payload, end + 2)
            if size < 7:
                return False
            end += size
        return False


# --- Diameter (RFC 6733) ------------------------------------------------------------------------

_DIAMETER_HEAD = 20
_DIAMETER_COMMANDS = frozenset((257, 258, *range(265, 276), 280, 282, *range(283, 310),
                                *range(316, 325)))
"""RFC 6733 §3.1 and the applications' registries: CER/CEA 257, RAR 258, AAR 265 ... STR 275
(NASREQ, EAP, accounting 271, credit control 272, abort 274), DWR 280, DPR 282, Cx/Dx
283-310 (3GPP TS 29.229, Sh 306-309), S6a/S6d 316-324 (3GPP TS 29.272)."""


def _diameter_avps(p: bytes, pos: int, end: int) -> bool:
    """AVPs (RFC 6733 §4.1) walked from ``pos`` to ``end`` exactly: code, flags with the
    reserved bits zero, length at least the header (12 with the V bit), padding to 4."""
    for _ in range(_MAX_ITEMS):
        if pos == end:
            return True
        if pos + 8 > end:
            return False
        flags = p[pos + 4]
        length = int.from_bytes(p[pos + 5 : pos + 8], "big")
        if flags & 0x1F or length < (12 if flags & 0x80 else 8):
            return False
        pos += (length + 3) & ~3
        if pos > end:
            return False
    return False


class DiameterDissector(SignatureDissector):
    """Diameter over TCP (3868).

    ``matches`` (RFC 6733 §3): one or more messages walked to the segment's end exactly,
    each a 20-byte header with version 1, a message length (3 bytes) that is a multiple of 4
    and at least the header, command flags with the reserved bits zero (and E only when R is
    clear, §3.2); the first message has a command code among the base and 3GPP ones
    (CER 257, DWR 280, DPR 282, 258, 265-275, 283-309, 316-324) and its AVPs (§4.1) walked
    to its end exactly: flags with the reserved bits zero, length at least 8 (12 with the
    Vendor-Specific bit), padded to 4.
    """

    name: ClassVar[str] = "diameter"
    transports: ClassVar[frozenset[int]] = TCP_ONLY
    ports: ClassVar[frozenset[int]] = frozenset((3868,))
    first_bytes: ClassVar[frozenset[int] | None] = frozenset((0x01,))
    """``matches``: version 1."""
    screens: ClassVar[Mapping[int, tuple[Screen, ...]]] = {IPPROTO_TCP: (Screen(
        _DIAMETER_HEAD, equals=((0, b"\x01"), (5, b"\x00")),
        values=((4, frozenset(f for f in range(256) if not f & 0x0F)),)),)}

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """Whole messages filling the segment; the first one's command and AVPs checked."""
        n = len(payload)
        if n < _DIAMETER_HEAD or payload[0] != 1:
            return False
        pos = 0
        for _ in range(_MAX_MESSAGES):
            if pos + _DIAMETER_HEAD > n or payload[pos] != 1:
                return False
            flags = payload[pos + 4]
            size = int.from_bytes(payload[pos + 1 : pos + 4], "big")
            end = pos + size
            if size < _DIAMETER_HEAD or size & 3 or end > n or flags & 0x0F or (
                    flags & 0xA0 == 0xA0):
                return False
            if pos == 0 and (
                    int.from_bytes(payload[5:8], "big") not in _DIAMETER_COMMANDS
                    or not _diameter_avps(payload, _DIAMETER_HEAD, end)):
                return False
            if end == n:
                return True
            pos = end
        return False


# --- SMPP (v3.4 §3.2, §4) -----------------------------------------------------------------------

_SMPP_HEAD = 16
_SMPP_BINDS = frozenset((0x01, 0x02, 0x09))
"""bind_receiver, bind_transmitter, bind_transceiver (§4.1)."""
_SMPP_OUTBIND = 0x0B
_SMPP_EMPTY = frozenset((0x06, 0x15, 0x80000006, 0x80000015, 0x80000000))
"""unbind, enquire_link, their responses and generic_nack: a header only (§4.2, §4.11, §4.3)."""
_SMPP_VERSIONS = frozenset((0x33, 0x34, 0x50))
"""interface_version: 3.3, 3.4, 5.0."""


def _c_string(p: bytes, pos: int, end: int, size: int) -> int:
    """End (after the NUL) of the printable C-octet string at ``pos`` of at most ``size``
    bytes with its NUL, or -1."""
    stop = p.find(b"\x00", pos, min(end, pos + size))
    return stop + 1 if stop >= 0 and is_ascii_text(p[pos:stop]) else -1


class SmppDissector(SignatureDissector):
    """SMPP over TCP (2775).

    ``matches`` (SMPP v3.4 §3.2): one PDU whose command_length equals the segment's length,
    a command_status of 0 in requests, a sequence_number in 1..0x7FFFFFFF; command_id among
    the session PDUs that open or keep a session: bind_receiver/transmitter/transceiver
    (§4.1: system_id (16), password (9), system_type (13) printable NUL-terminated strings,
    interface_version 0x33/0x34/0x50, addr_ton 0-6, addr_npi 0-18, address_range (41)
    ending the PDU), their responses (system_id then optional TLVs walked exactly; a body
    may be absent when the status is an error), outbind (§4.1.7: system_id, password), and
    the header-only unbind, enquire_link, their responses and generic_nack (16 bytes).
    """

    name: ClassVar[str] = "smpp"
    transports: ClassVar[frozenset[int]] = TCP_ONLY
    ports: ClassVar[frozenset[int]] = frozenset((2775,))
    first_bytes: ClassVar[frozenset[int] | None] = frozenset((0x00,))
    """``matches``: a command_length below 16 MiB (the PDUs accepted are short)."""
    screens: ClassVar[Mapping[int, tuple[Screen, ...]]] = {IPPROTO_TCP: (Screen(
        _SMPP_HEAD, equals=((5, b"\x00\x00"),), values=((4, frozenset((0x00, 0x80))),),
        length=(0, 4, "big", 0)),)}

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """PDU header, then the body of a bind, bind response or outbind."""
        n = len(payload)
        if n < _SMPP_HEAD or be32(payload, 0) != n:
            return False
        command, status, seq = be32(payload, 4), be32(payload, 8), be32(payload, 12)
        if not 0 < seq < 0x80000000 or (command < 0x80000000 and status):
            return False
        if command in _SMPP_EMPTY:
            return n == _SMPP_HEAD
        if command in _SMPP_BINDS or command == _SMPP_OUTBIND:
            pos = _c_string(payload, 16, n, 16)
            pos = _c_string(payload, pos, n, 9) if pos > 0 else -1
            if command == _SMPP_OUTBIND or pos < 0:
                return pos == n
            pos = _c_string(payload, pos, n, 13)
            if pos < 0 or pos + 3 > n or payload[pos] not in _SMPP_VERSIONS or (
                    payload[pos + 1] > 6 or payload[pos + 2] > 18):
                return False
            return _c_string(payload, pos + 3, n, 41) == n
        if command - 0x80000000 in _SMPP_BINDS:
            if n == _SMPP_HEAD:
                return status != 0
            pos = _c_string(payload, 16, n, 16)
            for _ in range(_MAX_ITEMS):
                if pos == n:
                    return True
                if pos < 0 or pos + 4 > n:
                    return False
                pos += 4 + be16(payload, pos + 2)
                if pos > n:
                    return False
        return False


# --- Apache Kafka -------------------------------------------------------------------------------

_KAFKA_MAX_VERSION = (
    12, 17, 10, 13, 7, 4, 8, 3, 10, 10, 6, 9, 4, 5, 5, 6, 5, 1, 4, 7,  # 0-19
    6, 2, 5, 4, 5, 4, 5, 1, 5, 3, 3, 3, 4, 2, 2, 4, 2, 3, 3, 2,  # 20-39
    2, 3, 2, 2, 1, 0, 0, 0, 1, 1, 0, 0, 1, 1, 1, 2, 3, 1, 0, 1,  # 40-59
    1, 0, 4, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0,  # 60-74
)
"""The highest request version of each api_key 0-74 known to Apache Kafka 3.x (Produce 0,
Fetch 1, ListOffsets 2, Metadata 3 ... ApiVersions 18 ... ListClientMetricsResources 74)."""
_KAFKA_HEAD = 14
"""size (4), api_key (2), api_version (2), correlation_id (4), client_id length (2)."""


class KafkaDissector(SignatureDissector):
    """Apache Kafka requests over TCP (9092).

    ``matches`` (Kafka protocol guide, request header v1/v2): a size (int32) equal to the
    rest of the segment, an api_key in 0..74, an api_version in 0..the key's highest known
    version, a correlation_id, a client_id (nullable string: int16 length, -1 null) of
    printable bytes within the request (at most MAX_SCAN bytes, so the scan stays bounded).
    The first request is usually ApiVersions (18) or Metadata (3); responses carry no
    header to check and are not accepted. A Produce v0 request with an empty client_id is
    refused: a ZooKeeper ConnectRequest (protocol version 0, no zxid seen) has exactly that
    header, and a producer asks for metadata (naming itself) before it produces.
    """

    name: ClassVar[str] = "kafka"
    transports: ClassVar[frozenset[int]] = TCP_ONLY
    ports: ClassVar[frozenset[int]] = frozenset((9092,))
    first_bytes: ClassVar[frozenset[int] | None] = frozenset((0x00,))
    """``matches``: a size below 16 MiB."""
    screens: ClassVar[Mapping[int, tuple[Screen, ...]]] = {IPPROTO_TCP: (Screen(
        _KAFKA_HEAD, equals=((4, b"\x00"), (6, b"\x00")),
        values=((5, frozenset(range(len(_KAFKA_MAX_VERSION)))),), length=(0, 4, "big", 4)),)}

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """Size, api_key and version, client_id."""
        n = len(payload)
        if n < _KAFKA_HEAD or be32(payload, 0) != n - 4 or payload[4] or payload[6]:
            return False
        key = payload[5]
        if key >= len(_KAFKA_MAX_VERSION) or payload[7] > _KAFKA_MAX_VERSION[key]:
            return False
        size = be16(payload, 12)
        if size == 0xFFFF:
            return True
        if size == 0 and key == 0 and payload[7] == 0:
            return False  # a ZooKeeper ConnectRequest's shape (protocol version 0, zxid 0)
        return size <= n - _KAFKA_HEAD and size <= MAX_SCAN and is_ascii_text(
            payload[_KAFKA_HEAD : _KAFKA_HEAD + size])


# --- Cassandra CQL native protocol (v3-v5) ------------------------------------------------------

_CQL_HEAD = 9
_CQL_FLAGS = {3: 0x03, 4: 0x0F, 5: 0x1F}
"""Defined header flags per version: compression 0x01, tracing 0x02, custom payload 0x04
(v4), warning 0x08 (v4), use-beta 0x10 (v5)."""
_CQL_REQUESTS = frozenset((0x01, 0x05))
"""STARTUP, OPTIONS (§4.1.1, §4.1.3)."""
_CQL_RESPONSES = frozenset((0x00, 0x02, 0x03, 0x06))
"""ERROR, READY, AUTHENTICATE, SUPPORTED (§4.2)."""
_CQL_ERRORS = frozenset((0x0000, 0x000A, 0x0100, 0x1000, 0x1001, 0x1002, 0x1003, 0x1100,
                         0x1200, 0x1300, 0x1400, 0x1500, 0x1600, 0x2000, 0x2100, 0x2200,
                         0x2300, 0x2400, 0x2500))
"""§9 error codes."""


def _cql_string(p: bytes, pos: int, end: int) -> int:
    """End of the [string] (u16 length + printable bytes) at ``pos`` within ``end``, or -1."""
    if pos + 2 > end:
        return -1
    stop = pos + 2 + be16(p, pos)
    return stop if stop <= end and is_ascii_text(p[pos + 2 : stop]) else -1


def _cql_map(p: bytes, pos: int, end: int, multi: bool) -> tuple[int, set[bytes]]:
    """End of the [string map] (or [string multimap]) at ``pos``, and its keys; -1 if bad."""
    keys: set[bytes] = set()
    if pos + 2 > end or be16(p, pos) > _MAX_ITEMS:
        return -1, keys
    count, pos = be16(p, pos), pos + 2
    for _ in range(count):
        key_end = _cql_string(p, pos, end)
        if key_end < 0:
            return -1, keys
        keys.add(p[pos + 2 : key_end])
        pos = key_end
        values = 1
        if multi:
            if pos + 2 > end or be16(p, pos) > _MAX_ITEMS:
                return -1, keys
            values, pos = be16(p, pos), pos + 2
        for _ in range(values):
            pos = _cql_string(p, pos, end)
            if pos < 0:
                return -1, keys
    return pos, keys


class CqlDissector(SignatureDissector):
    """Cassandra CQL native protocol v3-v5 over TCP (9042).

    ``matches`` (native_protocol_v3/v4/v5.spec §2): a 9-byte frame header with a version
    0x03-0x05 (requests) or 0x83-0x85 (responses), flags with only the version's defined
    bits, a stream id, an opcode among the handshake ones and a body length equal to the
    rest of the segment. Requests: STARTUP (§4.1.1, a [string map] with the key
    ``CQL_VERSION`` ending the body) or OPTIONS (empty body). Responses: READY (empty body),
    SUPPORTED (§4.2.4, a [string multimap] ending the body), AUTHENTICATE (§4.2.3, one
    [string] ending the body), ERROR (§9, a defined code then a [string] message).
    """

    name: ClassVar[str] = "cql"
    transports: ClassVar[frozenset[int]] = TCP_ONLY
    ports: ClassVar[frozenset[int]] = frozenset((9042,))
    first_bytes: ClassVar[frozenset[int] | None] = frozenset((3, 4, 5, 0x83, 0x84, 0x85))
    """``matches``: the version byte (bit 7: response)."""
    screens: ClassVar[Mapping[int, tuple[Screen, ...]]] = {IPPROTO_TCP: (Screen(
        _CQL_HEAD, values=((4, _CQL_REQUESTS | _CQL_RESPONSES),), length=(5, 4, "big", 9)),)}

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """Frame header, handshake opcode and its body."""
        n = len(payload)
        if n < _CQL_HEAD or be32(payload, 5) != n - _CQL_HEAD:
            return False
        version, opcode = payload[0] & 0x7F, payload[4]
        if version not in _CQL_FLAGS or payload[1] & ~_CQL_FLAGS[version] & 0xFF:
            return False
        if payload[0] & 0x80:
            if opcode not in _CQL_RESPONSES:
                return False
            if opcode == 0x02:
                return n == _CQL_HEAD
            if opcode == 0x06:
                return _cql_map(payload, _CQL_HEAD, n, True)[0] == n
            if opcode == 0x03:
                return _cql_string(payload, _CQL_HEAD, n) == n
            return (n >= _CQL_HEAD + 6 and be32(payload, _CQL_HEAD) in _CQL_ERRORS
                    and _cql_string(payload, _CQL_HEAD + 4, n) > 0)
        if opcode == 0x05:
            return n == _CQL_HEAD
        if opcode != 0x01:
            return False
        end, keys = _cql_map(payload, _CQL_HEAD, n, False)
        return end == n and b"CQL_VERSION" in keys


# --- OpenFlow -----------------------------------------------------------------------------------

_OF_HEAD = 8
_OF_FIRST = frozenset((0, 5))
"""HELLO 0, FEATURES_REQUEST 5 (the same numbers in every version)."""
_OF_MAX_TYPE = 36
"""Message types are below 36 in OpenFlow 1.5 (35 REQUESTFORWARD)."""


class OpenFlowDissector(SignatureDissector):
    """OpenFlow 1.0-1.5 over TCP (6653, formerly 6633).

    ``matches`` (OpenFlow switch specification, ``ofp_header``): one or more messages walked
    to the segment's end exactly, each a version 0x01-0x06 (all the same), a type below 36,
    a length at least 8 and an xid; the first message is HELLO (0) or FEATURES_REQUEST (5,
    header only). ECHO_REQUEST is not accepted first: its free body makes a 44-byte PTP
    Delay_Req (0x01 0x02, length 44) a valid OpenFlow 1.0 echo. A HELLO's body is empty or, from 1.3.1 (version 4),
    hello elements walked exactly (type, length >= 4, padded to 8); a version-bitmap
    element (type 1) has the header's version bit set.
    """

    name: ClassVar[str] = "openflow"
    transports: ClassVar[frozenset[int]] = TCP_ONLY
    ports: ClassVar[frozenset[int]] = frozenset((6653, 6633))
    first_bytes: ClassVar[frozenset[int] | None] = frozenset(range(1, 7))
    """``matches``: the version."""
    screens: ClassVar[Mapping[int, tuple[Screen, ...]]] = {IPPROTO_TCP: (Screen(
        _OF_HEAD, values=((1, _OF_FIRST),)),)}

    @classmethod
    def _hello(cls, p: bytes, end: int) -> bool:
        """HELLO elements of the first message walked to ``end``."""
        version = p[0]
        if end == _OF_HEAD:
            return True
        if version < 4:
            return False
        pos = _OF_HEAD
        for _ in range(_MAX_ITEMS):
            if pos == end:
                return True
            if pos + 4 > end:
                return False
            kind, length = be16(p, pos), be16(p, pos + 2)
            if length < 4 or pos + length > end:
                return False
            if kind == 1:
                if length < 8 or (length - 4) & 3:
                    return False
                if not (be32(p, pos + 4) >> version) & 1:
                    return False
            pos += (length + 7) & ~7
        return False

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """Whole messages filling the segment; the first one a handshake message."""
        n = len(payload)
        if n < _OF_HEAD or not 1 <= payload[0] <= 6 or payload[1] not in _OF_FIRST:
            return False
        version, first = payload[0], payload[1]
        end = be16(payload, 2)
        if end < _OF_HEAD or end > n:
            return False
        if (first == 0 and not cls._hello(payload, end)) or (first == 5 and end != _OF_HEAD):
            return False
        for _ in range(_MAX_MESSAGES):
            if end == n:
                return True
            if end + _OF_HEAD > n or payload[end] != version or (
                    payload[end + 1] >= _OF_MAX_TYPE):
                return False
            size = be16(payload, end + 2)
            if size < _OF_HEAD:
                return False
            end += size
        return False


# --- PTPv2 (IEEE 1588-2008 §13) -----------------------------------------------------------------

_PTP_SIZES = {0x0: 44, 0x1: 44, 0x2: 54, 0x3: 54, 0x8: 44, 0x9: 54, 0xA: 54, 0xB: 64,
              0xC: 44, 0xD: 48}
"""§13.6-§13.13: each messageType's fixed size (Signaling and Management: before TLVs)."""
_PTP_IPV6_PAD = 2
"""Annex E: octets appended to PTP messages over UDP/IPv6 (not counted in messageLength)."""
_PTP_CONTROL = {0x0: 0, 0x1: 1, 0x8: 2, 0x9: 3, 0xD: 4}
"""§13.3.2.10 Table 23: controlField per type; 5 for the others."""


class PtpDissector(SignatureDissector):
    """PTP version 2 over UDP (319 event, 320 general).

    ``matches`` (IEEE 1588-2008 §13.3): transportSpecific 0 or 1 and a messageType among
    Sync, Delay_Req, Pdelay_Req, Pdelay_Resp, Follow_Up, Delay_Resp, Pdelay_Resp_Follow_Up,
    Announce, Signaling, Management; versionPTP 2 (minorVersionPTP 0 or 1, IEEE 1588-2019);
    messageLength equal to the datagram's length (or to it minus the 2 octets IEEE 1588
    Annex E appends over UDP/IPv6 for checksum correction); the reserved octet 5 zero; the
    controlField of the type (Table 23). Event and general messages have exactly their
    type's size (§13.5-§13.11); Signaling (§13.12) and Management (§15.4, actionField 0-4)
    have their fixed part then TLVs (type, length) walked to the end exactly.
    """

    name: ClassVar[str] = "ptp"
    transports: ClassVar[frozenset[int]] = UDP_ONLY
    ports: ClassVar[frozenset[int]] = frozenset((319, 320))
    first_bytes: ClassVar[frozenset[int] | None] = frozenset(
        (ts << 4) | t for ts in (0, 1) for t in _PTP_SIZES)
    """``matches``: transportSpecific 0/1 and a defined messageType."""
    screens: ClassVar[Mapping[int, tuple[Screen, ...]]] = {IPPROTO_UDP: tuple(Screen(
        44, equals=((5, b"\x00"),), values=((1, frozenset((0x02, 0x12))),),
        length=(2, 2, "big", pad)) for pad in (0, _PTP_IPV6_PAD))}

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """Common header, the type's size and controlField, TLVs walked."""
        n = len(payload)
        if n < 44 or payload[0] >> 4 > 1 or payload[1] not in (0x02, 0x12) or payload[5]:
            return False
        kind = payload[0] & 0x0F
        size = _PTP_SIZES.get(kind)
        if size is None or payload[32] != _PTP_CONTROL.get(kind, 5):
            return False
        n = be16(payload, 2)  # the message; the rest is Annex E's IPv6 padding
        if n != len(payload) and n + _PTP_IPV6_PAD != len(payload):
            return False
        if kind not in (0xC, 0xD):
            return n == size
        if n < size or (kind == 0xD and payload[46] & 0x0F > 4):
            return False
        pos = size
        for _ in range(_MAX_ITEMS):
            if pos == n:
                return True
            if pos + 4 > n:
                return False
            pos += 4 + be16(payload, pos + 2)
        return False


# --- SOME/IP (AUTOSAR PRS_SOMEIPProtocol, PRS_SOMEIPServiceDiscoveryProtocol) -----------------

_SOMEIP_HEAD = 16
_SOMEIP_TYPES = frozenset((0x00, 0x01, 0x02, 0x80, 0x81, 0x20, 0x21, 0x22, 0xA0, 0xA1))
_SOMEIP_REQUESTS = frozenset((0x00, 0x01, 0x02, 0x20, 0x21, 0x22))
_SOMEIP_MAX_RETURN = 0x5E
_SD_MESSAGE_ID = b"\xff\xff\x81\x00"
_SD_ENTRY = 16


def _someip_sd(p: bytes, pos: int, end: int) -> bool:
    """SOME/IP-SD body ``p[pos:end]``: flags and reserved (4), entries array (length, a
    multiple of 16), options array (length) ending the message exactly."""
    if pos + 12 > end or p[pos + 1 : pos + 4] != b"\x00\x00\x00":
        return False
    entries = be32(p, pos + 4)
    if entries % _SD_ENTRY:
        return False
    opts = pos + 8 + entries
    return opts + 4 <= end and opts + 4 + be32(p, opts) == end


class SomeIpDissector(SignatureDissector):
    """SOME/IP and SOME/IP-SD over UDP and TCP (30490, 30501).

    ``matches`` (AUTOSAR PRS_SOMEIPProtocol §4.1.2): one or more messages walked to the
    payload's end exactly, each a 16-byte header: message id, a length (bytes after it)
    of at least 8, request id, protocol version 1, interface version, message type among
    REQUEST 0x00, REQUEST_NO_RETURN 0x01, NOTIFICATION 0x02, RESPONSE 0x80, ERROR 0x81 and
    their TP variants 0x20/0x21/0x22/0xA0/0xA1, return code 0..0x5E (0 for requests and
    notifications). A SOME/IP-SD message (message id 0xFFFF8100, PRS_SOMEIPServiceDiscovery
    §5.1.2) is a NOTIFICATION with interface version 1 whose entries array length is a
    multiple of 16 and whose options array ends the message exactly.
    """

    name: ClassVar[str] = "someip"
    transports: ClassVar[frozenset[int]] = TCP_AND_UDP
    ports: ClassVar[frozenset[int]] = frozenset((30490, 30501))
    screens: ClassVar[Mapping[int, tuple[Screen, ...]]] = {
        p: (Screen(_SOMEIP_HEAD, equals=((4, b"\x00"), (12, b"\x01")),
                   values=((14, _SOMEIP_TYPES),)),) for p in (IPPROTO_UDP, IPPROTO_TCP)}

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """Headers walked to the end; SD bodies checked."""
        n, pos = len(payload), 0
        for _ in range(_MAX_MESSAGES):
            if pos + _SOMEIP_HEAD > n or payload[pos + 12] != 1:
                return False
            kind, code = payload[pos + 14], payload[pos + 15]
            length = be32(payload, pos + 4)
            end = pos + 8 + length
            if length < 8 or end > n or kind not in _SOMEIP_TYPES or code > _SOMEIP_MAX_RETURN or (
                    code and kind in _SOMEIP_REQUESTS):
                return False
            if payload[pos : pos + 4] == _SD_MESSAGE_ID and (
                    kind != 0x02 or payload[pos + 13] != 1
                    or not _someip_sd(payload, pos + _SOMEIP_HEAD, end)):
                return False
            if end == n:
                return True
            pos = end
        return False


# --- WS-Discovery (SOAP-over-UDP) ---------------------------------------------------------------

_SOAP12 = b"http://www.w3.org/2003/05/soap-envelope"
_WSD_NAMESPACES = (b"http://schemas.xmlsoap.org/ws/2005/04/discovery/",
                   b"http://docs.oasis-open.org/ws-dd/ns/discovery/2009/01/")
_WSD_ACTIONS = (b"ProbeMatches", b"ResolveMatches", b"Probe", b"Resolve", b"Hello", b"Bye")
_ENVELOPE = re.compile(rb"<(?:[A-Za-z_][\w.-]{0,40}:)?Envelope[ \t\r\n>]")
"""The document element: ``Envelope``, with or without a namespace prefix."""
_MAX_TAG = 80
"""Longest element name (with prefix) or start tag looked at. Reason: bounds the scan."""
_WSD_SCAN = 2 * MAX_SCAN
"""Bytes scanned for the Envelope and the Action: the Envelope often declares many
namespaces before the header (ONVIF probes), so twice the usual bound."""


class WsDiscoveryDissector(SignatureDissector):
    """WS-Discovery (SOAP-over-UDP, UDP 3702).

    ``matches`` (WS-Discovery 1.1 §2-§6, SOAP-over-UDP 1.1, SOAP 1.2): a UTF-8 XML document
    (optional BOM, optional XML declaration) whose first element is an ``Envelope`` (with or
    without a prefix), the SOAP 1.2 envelope namespace declared, and a WS-Addressing
    ``Action`` header whose value is one of the WS-Discovery namespaces (2005/04 or
    OASIS 2009/01) followed by Probe, Resolve, Hello, Bye, ProbeMatches or ResolveMatches;
    all within the first 1024 bytes (the document may be longer).
    """

    name: ClassVar[str] = "ws_discovery"
    transports: ClassVar[frozenset[int]] = UDP_ONLY
    ports: ClassVar[frozenset[int]] = frozenset((3702,))
    first_bytes: ClassVar[frozenset[int] | None] = frozenset(b"<\xef")
    """``matches``: the document's first character or the UTF-8 BOM."""

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """Envelope, SOAP 1.2 namespace, WS-Discovery Action."""
        head = payload[:_WSD_SCAN]
        if head.startswith(b"\xef\xbb\xbf"):
            head = head[3:]
        if head.startswith(b"<?xml"):
            close = head.find(b"?>")
            if close < 0:
                return False
            head = head[close + 2 :].lstrip()
        if not _ENVELOPE.match(head) or _SOAP12 not in head:
            return False
        action = head.find(b"Action")
        while action >= 0:
            value = head.find(b">", action, action + _MAX_TAG) + 1  # attributes allowed
            text = head[value : value + 100].lstrip() if value > 0 else b""
            for ns in _WSD_NAMESPACES:
                if text.startswith(ns):
                    rest = text[len(ns) :]
                    if any(rest.startswith(act) and rest[len(act) : len(act) + 1] in (b"<", b" ")
                           for act in _WSD_ACTIONS):
                        return True
            action = head.find(b"Action", action + 6)
        return False


TELECOM_SIGNATURES: tuple[type[Dissector], ...] = (
    DiameterDissector,  # version 1, flags, exact lengths, command codes, AVPs walked
    SmppDissector,  # exact length, command ids, C strings
    CqlDissector,  # version, flags, exact length, handshake bodies
    KafkaDissector,  # exact length, api key and version, printable client id
    SomeIpDissector,  # exact lengths, protocol version, message types
    PtpDissector,  # version 2, exact length, control field, fixed sizes
    H323Dissector,  # TPKT, Q.931 header, IEs walked with the User-user IE
    OpenFlowDissector,  # version, handshake types, exact lengths
    Iax2Dissector,  # full-frame header, IAX subclasses, IEs walked
    WsDiscoveryDissector,  # SOAP 1.2 envelope with a WS-Discovery action
)
"""This module's signature dissectors in priority order (strictest first)."""
