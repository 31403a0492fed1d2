"""Content signatures of binary, length-framed services: BGP, ONC RPC (NFS and
other Sun RPC programs), MS SQL TDS, AMQP and Memcached.

Identification only (see :mod:`wirelens.dissect.signatures_base`). ``matches`` sees the
first payload of one direction (a TCP segment or a UDP datagram); each class's docstring
lists the spec facts it checks and what must be whole in that payload. Registered through
:data:`wirelens.dissect.signatures_apps.APP_SIGNATURES`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from wirelens.dissect.base import IPPROTO_TCP, IPPROTO_UDP, Screen
from wirelens.dissect.signatures_base import (
    MAX_SCAN,
    TCP_AND_UDP,
    TCP_ONLY,
    SignatureDissector,
    be16,
    be32,
)

__all__ = [
    "AmqpDissector",
    "BgpDissector",
    "MemcachedDissector",
    "NfsDissector",
    "SunRpcDissector",
    "TdsDissector",
]


# --- BGP-4 (RFC 4271 §4.1-§4.5, RFC 2918, RFC 9072) -----------------------------------------

_BGP_MARKER = b"\xff" * 16
"""RFC 4271 §4.1: the marker, all ones."""
_BGP_MAX_LENGTH = 4096
"""RFC 4271 §4.1 maximum message size (RFC 8654 extended messages, up to 65535 bytes, are
only used after OPEN: not as a first message; a later UPDATE that large is not claimed)."""
_BGP_MAX_MESSAGES = 16
"""Messages walked in one segment. Reason: bounds ``matches``."""


def _bgp_message(p: bytes, pos: int, length: int) -> bool:
    """Type-specific facts of the whole message at ``pos`` (header already checked)."""
    kind = p[pos + 18]
    if kind == 1:  # OPEN, §4.2
        if length < 29 or p[pos + 19] != 4:
            return False
        hold = be16(p, pos + 22)
        if hold in (1, 2) or be32(p, pos + 24) == 0:  # hold time 0 or >= 3; an identifier
            return False
        opt = p[pos + 28]
        if opt == 255 and length >= 32 and p[pos + 29] == 255:  # RFC 9072 extended length
            return 32 + be16(p, pos + 30) == length
        return 29 + opt == length
    if kind == 2:  # UPDATE, §4.3
        if length < 23:
            return False
        withdrawn = be16(p, pos + 19)
        if 23 + withdrawn > length:
            return False
        return 23 + withdrawn + be16(p, pos + 21 + withdrawn) <= length
    if kind == 3:  # NOTIFICATION, §4.5: error codes 1-6 (RFC 4271), 7 (RFC 7313), 8 (RFC 9687)
        return length >= 21 and 1 <= p[pos + 19] <= 8
    if kind == 4:  # KEEPALIVE, §4.4
        return length == 19
    return kind == 5 and length >= 23  # ROUTE-REFRESH, RFC 2918 §3 (+ RFC 5291 ORF entries)


class BgpDissector(SignatureDissector):
    """BGP-4 (TCP 179).

    ``matches`` (RFC 4271 §4.1): the segment starts with a whole message: the 16-byte
    all-ones marker, a length of 19-4096 within the segment, a type 1-5 with its facts:
    OPEN (§4.2) version 4, hold time 0 or at least 3, a nonzero BGP identifier, optional
    parameters ending the message exactly (RFC 9072 extended length too); UPDATE (§4.3)
    withdrawn routes and path attributes within the message; NOTIFICATION (§4.5) error
    code 1-8; KEEPALIVE (§4.4) exactly 19 bytes; ROUTE-REFRESH (RFC 2918) at least 23.
    Messages that follow in the segment are walked the same way; the last one may be cut
    by the segment's end, but what is there of its marker must be all ones.
    """

    name: ClassVar[str] = "bgp"
    transports: ClassVar[frozenset[int]] = TCP_ONLY
    ports: ClassVar[frozenset[int]] = frozenset((179,))
    first_bytes: ClassVar[frozenset[int] | None] = frozenset((0xFF,))
    """``matches``: the marker's first byte."""
    screens: ClassVar[Mapping[int, tuple[Screen, ...]]] = {
        IPPROTO_TCP: (Screen(19, equals=((0, _BGP_MARKER),)),)}  # the marker

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """Whole first message with its type's facts, then the following headers."""
        n = len(payload)
        if n < 19 or payload[:16] != _BGP_MARKER:
            return False
        pos = 0
        for _ in range(_BGP_MAX_MESSAGES):
            if pos == n:
                return True
            if n - pos < 19:  # a cut header: its marker part must be all ones
                return payload[pos : pos + 16] == _BGP_MARKER[: min(16, n - pos)]
            if payload[pos : pos + 16] != _BGP_MARKER:
                return False
            length = be16(payload, pos + 16)
            if not 19 <= length <= _BGP_MAX_LENGTH or not 1 <= payload[pos + 18] <= 5:
                return False
            if pos + length > n:
                return pos > 0  # a later message cut by the segment's end
            if not _bgp_message(payload, pos, length):
                return False
            pos += length
        return True


# --- ONC RPC (RFC 5531 §8-§9, §14; RFC 2203 §5) --------------------------------------------

_RPC_CALL_RPCVERS = b"\x00\x00\x00\x00\x00\x00\x00\x02"
"""RFC 5531 §9: msg_type CALL (0), then rpcvers 2."""
_RPC_FLAVORS = frozenset((0, 1, 2, 3, 6))
"""RFC 5531 §8.2 / IANA: AUTH_NONE, AUTH_SYS, AUTH_SHORT, AUTH_DH, RPCSEC_GSS."""
_RPC_MAX_AUTH = 400
"""RFC 5531 §8.2: the opaque body of an opaque_auth holds at most 400 bytes."""
_RPC_LAST_FRAGMENT = 0x80000000
"""RFC 5531 §11: the record mark's last-fragment bit."""
_RPC_MAX_VERSION = 31
"""Highest program version accepted (NFS 2-4, rpcbind 2-4, NLM 1-4: single digits)."""
_RPC_MAX_GIDS = 16
"""RFC 5531 §14: authsys_parms gids<16>."""
_NFS_PROGRAMS = frozenset((100003, 100005, 100021, 100227))
"""NFS, MOUNT, NLM, NFS_ACL: the flows named ``nfs``; other programs are ``sunrpc``."""


def _rpc_auth_sys(p: bytes, pos: int, end: int) -> bool:
    """RFC 5531 §14 authsys_parms filling ``p[pos:end]`` exactly: stamp, machinename<255>
    (padded to 4 bytes), uid, gid, gids<16>."""
    if pos + 8 > end:
        return False
    size = be32(p, pos + 4)
    if size > 255:
        return False
    at = pos + 8 + ((size + 3) & ~3) + 8
    if at + 4 > end:
        return False
    count = be32(p, at)
    return count <= _RPC_MAX_GIDS and at + 4 + 4 * count == end


def _rpc_opaque_auth(p: bytes, pos: int, cred: bool) -> int:
    """End of the opaque_auth at ``pos`` (RFC 5531 §8.2), or -1: a known flavor, a body of
    at most 400 bytes within ``p``; AUTH_NONE empty; the credential's AUTH_SYS body walked;
    an RPCSEC_GSS credential (RFC 2203 §5) of version 1, gss_proc 0-3, service 1-3."""
    if pos + 8 > len(p):
        return -1
    flavor, size = be32(p, pos), be32(p, pos + 4)
    if flavor not in _RPC_FLAVORS or size > _RPC_MAX_AUTH:
        return -1
    end = pos + 8 + ((size + 3) & ~3)
    if end > len(p) or (flavor == 0 and size):
        return -1
    if cred and flavor == 1 and not _rpc_auth_sys(p, pos + 8, pos + 8 + size):
        return -1
    if cred and flavor == 6 and (size < 20 or be32(p, pos + 8) != 1
                                 or be32(p, pos + 12) > 3 or not 1 <= be32(p, pos + 20) <= 3):
        return -1
    return end


def _rpc_call_program(p: bytes, proto: int) -> int:
    """The program number of the ONC RPC call that is ``p`` (RFC 5531 §9), or -1. Over TCP
    a record mark (§11) with the last-fragment bit and a length equal to the rest of the
    segment comes first."""
    base = 0
    if proto == IPPROTO_TCP:
        if len(p) < 4 or be32(p, 0) != _RPC_LAST_FRAGMENT | (len(p) - 4):
            return -1
        base = 4
    if len(p) < base + 40 or p[base + 4 : base + 12] != _RPC_CALL_RPCVERS:
        return -1
    prog = be32(p, base + 12)
    # program numbers of the range IANA assigns (0-0x1fffffff), Sun's from 100000 (user-
    # defined and transient ones are left out: nothing says who runs them); versions and
    # procedures are small numbers
    if not 100000 <= prog <= 0x1FFFFFFF or not 1 <= be32(p, base + 16) <= _RPC_MAX_VERSION:
        return -1
    if be32(p, base + 20) > 0x3FF:
        return -1
    verf = _rpc_opaque_auth(p, base + 24, True)
    if verf < 0 or _rpc_opaque_auth(p, verf, False) < 0:
        return -1
    return prog


class _OncRpcBase(SignatureDissector):
    """ONC RPC call messages; subclasses split programs between names."""

    transports: ClassVar[frozenset[int]] = TCP_AND_UDP
    first_bytes: ClassVar[frozenset[int] | None] = None
    screens: ClassVar[Mapping[int, tuple[Screen, ...]]] = {
        IPPROTO_TCP: (Screen(44, equals=((0, b"\x80"), (8, _RPC_CALL_RPCVERS)),
                             length=(0, 4, "big", 4 - _RPC_LAST_FRAGMENT)),),  # record mark
        IPPROTO_UDP: (Screen(40, equals=((4, _RPC_CALL_RPCVERS),)),),
    }  # fmt: skip

    @classmethod
    def first_bytes_on(cls, proto: int) -> frozenset[int] | None:
        """Over TCP the record mark's last-fragment bit (a call under 16 MiB); over UDP the
        transaction id (any byte)."""
        return frozenset((0x80,)) if proto == IPPROTO_TCP else None


class NfsDissector(_OncRpcBase):
    """NFS and its companion programs over ONC RPC (TCP/UDP 2049; MOUNT and NLM use
    dynamic ports found through the portmapper).

    ``matches`` (RFC 5531 §9, §8.2, §14; RFC 2203 §5): a CALL message, msg_type 0, rpcvers
    2, a program of :data:`_NFS_PROGRAMS` (NFS 100003, MOUNT 100005, NLM 100021, NFS_ACL
    100227), version 1-31, procedure at most 1023, a credential and a verifier of known
    flavors (AUTH_NONE empty, AUTH_SYS walked exactly, AUTH_SHORT, AUTH_DH, RPCSEC_GSS
    version 1 with a valid procedure and service), each at most 400 bytes, within the
    payload; over TCP behind a record mark with the last-fragment bit whose length is the
    rest of the segment. Replies (which carry no program number) are not claimed.
    """

    name: ClassVar[str] = "nfs"
    ports: ClassVar[frozenset[int]] = frozenset((2049,))

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """An RPC call to an NFS-family program."""
        return _rpc_call_program(payload, proto) in _NFS_PROGRAMS


class SunRpcDissector(_OncRpcBase):
    """ONC RPC (Sun RPC) to any other program: the portmapper / rpcbind (100000, TCP/UDP
    111), NIS, status monitor, ...

    ``matches``: the call of :class:`NfsDissector` with a program number outside
    :data:`_NFS_PROGRAMS`, from 100000 to the end of the IANA-assigned range (0x1fffffff).
    """

    name: ClassVar[str] = "sunrpc"
    ports: ClassVar[frozenset[int]] = frozenset((111,))

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """An RPC call to a program that is not NFS's."""
        prog = _rpc_call_program(payload, proto)
        return prog >= 0 and prog not in _NFS_PROGRAMS


# --- MS SQL Server TDS (MS-TDS §2.2.3, §2.2.6, §2.2.7) --------------------------------------

_TDS_SQL_BATCH = 0x01
_TDS_RPC = 0x03
_TDS_TABULAR = 0x04
_TDS_LOGIN7 = 0x10
_TDS_PRELOGIN = 0x12
_TDS_TYPES = frozenset((_TDS_SQL_BATCH, _TDS_RPC, _TDS_TABULAR, _TDS_LOGIN7, _TDS_PRELOGIN))
_TDS_MAX_OPTIONS = 16
"""PRELOGIN options walked (MS-TDS §2.2.6.5 defines 9). Reason: bounds ``matches``."""
_TDS_TOKENS = frozenset((
    0x79, 0x81, 0x88, 0xA4, 0xA5, 0xA9, 0xAA, 0xAB, 0xAC, 0xAD, 0xAE, 0xD1, 0xD2, 0xD3,
    0xE3, 0xE4, 0xE5, 0xED, 0xEE, 0xFD, 0xFE, 0xFF,
))  # fmt: skip
"""Token types of a tabular result (MS-TDS §2.2.7): RETURNSTATUS, COLMETADATA, ALTMETADATA,
TABNAME, COLINFO, ORDER, ERROR, INFO, RETURNVALUE, LOGINACK, FEATUREEXTACK, ROW, NBCROW,
ALTROW, ENVCHANGE, SESSIONSTATE, DATACLASSIFICATION, SSPI, FEDAUTHINFO, DONE, DONEPROC,
DONEINPROC."""
_TDS_DONE_TOKENS = frozenset((0xFD, 0xFE, 0xFF))
_TDS_DONE_STATUS = 0x0137
"""DONE status bits defined (MS-TDS §2.2.7.6): MORE, ERROR, INXACT, COUNT, ATTN, SRVERROR."""
_TDS_LOGIN_VERSIONS = frozenset((
    0x70000000, 0x71000000, 0x71000001, 0x72090002, 0x730A0003, 0x730B0003, 0x74000004,
))  # fmt: skip
"""LOGIN7 TDSVersion values (MS-TDS §2.2.6.4), 7.0 to 7.4."""
_TDS_HEADER_TYPES = frozenset((1, 2, 3))
"""ALL_HEADERS header types (MS-TDS §2.2.5.3): query notifications, transaction
descriptor, trace activity."""


def _tds_prelogin(p: bytes) -> bool:
    """PRELOGIN option table (MS-TDS §2.2.6.5) of the data at 8: VERSION (token 0) first,
    tokens 0-8 ascending, each option's offset (from the data's start) at or after the
    table and offset + length within the packet, the terminator 0xFF."""
    data = len(p) - 8
    pos = 8
    last = -1
    for _ in range(_TDS_MAX_OPTIONS):
        if pos >= len(p):
            return False
        token = p[pos]
        if token == 0xFF:
            return last >= 0
        if token > 8 or token <= last or (last < 0 and token != 0) or pos + 5 > len(p):
            return False
        table = pos - 8 + 5  # the table holds at least this option and the terminator
        offset, size = be16(p, pos + 1), be16(p, pos + 3)
        if offset < table + 1 or offset + size > data:
            return False
        last, pos = token, pos + 5
    return False


def _tds_ucs2_text(p: bytes, pos: int, chars: int) -> bool:
    """``chars`` UCS-2 little-endian characters at ``pos``: printable ASCII, or white space
    (CR, LF, tab), each with a zero high byte."""
    if pos + 2 * chars > len(p):
        return False
    for i in range(pos, pos + 2 * chars, 2):
        if p[i + 1] or not (0x20 <= p[i] < 0x7F or p[i] in (0x09, 0x0A, 0x0D)):
            return False
    return True


def _tds_all_headers(p: bytes) -> bool:
    """ALL_HEADERS (MS-TDS §2.2.5.3) at 8: a total length within the data whose headers
    (each a length of at least 6 and a known type) fill it exactly."""
    if len(p) < 18:
        return False
    total = int.from_bytes(p[8:12], "little")
    if total < 10 or 8 + total > len(p):
        return False
    pos, end = 12, 8 + total
    for _ in range(8):
        if pos == end:
            return True
        if pos + 6 > end:
            return False
        size = int.from_bytes(p[pos : pos + 4], "little")
        if size < 6 or pos + size > end or (p[pos + 4] | (p[pos + 5] << 8)) not in (
                _TDS_HEADER_TYPES):
            return False
        pos += size
    return False


def _tds_request(p: bytes, kind: int) -> bool:
    """SQL batch / RPC data (MS-TDS §2.2.6.7, §2.2.6.6): ALL_HEADERS, or (TDS 7.1 and
    earlier) the SQL text in UCS-2 / the procedure name length (1-128) and UCS-2 name, or
    0xFFFF and a procedure id 1-15."""
    if len(p) >= 12 and p[10] == 0 and p[11] == 0 and p[8] >= 10:
        return _tds_all_headers(p)  # a total length below 64 KiB: its high bytes are zero
    if kind == _TDS_SQL_BATCH:
        return _tds_ucs2_text(p, 8, min(8, (len(p) - 8) // 2)) and len(p) >= 12
    if len(p) < 12:
        return False
    size = p[8] | (p[9] << 8)
    if size == 0xFFFF:
        return 1 <= (p[10] | (p[11] << 8)) <= 15
    return 1 <= size <= 128 and _tds_ucs2_text(p, 10, min(size, 8))


def _tds_tabular(p: bytes) -> bool:
    """Tabular result data (MS-TDS §2.2.7): a PRELOGIN answer's option table, or a token
    stream whose first token is known; a DONE token with only defined status bits."""
    token = p[8]
    if token == 0x00:
        return _tds_prelogin(p)
    if token not in _TDS_TOKENS:
        return False
    if token in _TDS_DONE_TOKENS:
        return len(p) >= 17 and not (p[9] | (p[10] << 8)) & ~_TDS_DONE_STATUS
    return True


class TdsDissector(SignatureDissector):
    """Microsoft SQL Server's Tabular Data Stream (TCP 1433).

    ``matches`` (MS-TDS §2.2.3.1): one whole packet: a type of :data:`_TDS_TYPES`, status
    bits among the defined five, the length field equal to the segment's length, window 0;
    then per type: PRELOGIN (0x12) an option table walked to its terminator
    (:func:`_tds_prelogin`); LOGIN7 (0x10) its length field equal to the data's and a known
    TDS version; SQL batch (0x01) and RPC (0x03) :func:`_tds_request`; a tabular result
    (0x04, from the server) :func:`_tds_tabular`. A message split over several packets (its
    first packet longer than the segment) is not claimed.
    """

    name: ClassVar[str] = "tds"
    transports: ClassVar[frozenset[int]] = TCP_ONLY
    ports: ClassVar[frozenset[int]] = frozenset((1433,))
    first_bytes: ClassVar[frozenset[int] | None] = _TDS_TYPES
    """``matches``: the packet type."""
    screens: ClassVar[Mapping[int, tuple[Screen, ...]]] = {IPPROTO_TCP: (
        Screen(9, equals=((7, b"\x00"),), values=((0, _TDS_TYPES),),
               length=(2, 2, "big", 0)),)}  # the packet length, window 0

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """Packet header, then the type's data."""
        n = len(payload)
        if n < 9 or be16(payload, 2) != n or payload[7] != 0 or payload[1] & ~0x1F:
            return False
        kind = payload[0]
        if kind == _TDS_PRELOGIN:
            return _tds_prelogin(payload)
        if kind == _TDS_TABULAR:
            return _tds_tabular(payload)
        if kind == _TDS_LOGIN7:
            if n < 16 or int.from_bytes(payload[8:12], "little") != n - 8:
                return False
            return (be32(payload, 12) in _TDS_LOGIN_VERSIONS
                    or int.from_bytes(payload[12:16], "little") in _TDS_LOGIN_VERSIONS)
        if kind in (_TDS_SQL_BATCH, _TDS_RPC):
            return _tds_request(payload, kind)
        return False


# --- AMQP (AMQP 0-9-1 §4.2.2-§4.2.6; OASIS AMQP 1.0 Part 2 §2.2-§2.3) ---------------------

_AMQP_HEADERS = frozenset((
    b"\x00\x00\x09\x01",  # 0-9-1
    b"\x01\x01\x00\x09",  # 0-9
    b"\x01\x01\x08\x00",  # 0-8
    b"\x00\x01\x00\x00",  # 1.0, protocol id 0 (AMQP)
    b"\x02\x01\x00\x00",  # 1.0, protocol id 2 (TLS)
    b"\x03\x01\x00\x00",  # 1.0, protocol id 3 (SASL)
))  # fmt: skip
"""The four bytes after ``AMQP`` in a protocol header."""
_AMQP_FRAME_END = 0xCE
_AMQP_CLASSES = frozenset((10, 20, 30, 40, 50, 60, 85, 90))
"""0-9-1 method classes: connection, channel, access, exchange, queue, basic, confirm, tx."""
_AMQP_MAX_FRAMES = 16
"""Frames walked in one segment. Reason: bounds ``matches``."""


def _amqp091_frames(p: bytes, pos: int) -> bool:
    """0-9-1 frames (§4.2.3) from ``pos``: the first whole, a method frame (type 1, a
    known class, method id 10-120), a content header (type 2, a known class, weight 0) or
    a heartbeat (type 8, channel 0, empty); each frame a type 1/2/3/8 and its frame-end
    octet 0xCE; the last frame may be cut by the segment's end."""
    n = len(p)
    for i in range(_AMQP_MAX_FRAMES):
        if pos == n and i:
            return True
        if p[pos] not in (1, 2, 3, 8):
            return False
        size = be32(p, pos + 3) if pos + 7 <= n else n
        end = pos + 7 + size
        if end >= n:
            return i > 0  # a later frame cut by the segment's end
        if p[end] != _AMQP_FRAME_END:
            return False
        if i == 0:
            kind = p[pos]
            if kind == 8:
                if size or p[pos + 1] or p[pos + 2]:
                    return False
            elif kind == 3 or size < 4 or be16(p, pos + 7) not in _AMQP_CLASSES:
                return False
            elif kind == 1 and not 10 <= be16(p, pos + 9) <= 120:
                return False
            elif kind == 2 and (size < 14 or be16(p, pos + 9)):
                return False
        pos = end + 1
    return True


def _amqp10_frame(p: bytes, pos: int) -> bool:
    """An AMQP 1.0 frame header (Part 2 §2.3.1) at ``pos``: size at least 8, data offset at
    least 2 (doff * 4 <= size), type 0 (AMQP) or 1 (SASL)."""
    if pos + 8 > len(p):
        return False
    size = be32(p, pos)
    return size >= 8 and 2 <= p[pos + 4] and 4 * p[pos + 4] <= size and p[pos + 5] <= 1


class AmqpDissector(SignatureDissector):
    """AMQP 0-8 / 0-9 / 0-9-1 and 1.0 (TCP 5672).

    ``matches``: a protocol header (0-9-1 §4.2.2, 1.0 Part 2 §2.2): ``AMQP`` and one of
    :data:`_AMQP_HEADERS`, either alone (exactly 8 bytes) or followed by a frame of its
    version (1.0 :func:`_amqp10_frame`, 0-9-1 :func:`_amqp091_frames`); or, on a session
    seen from its middle, 0-9-1 frames (:func:`_amqp091_frames`).
    """

    name: ClassVar[str] = "amqp"
    transports: ClassVar[frozenset[int]] = TCP_ONLY
    ports: ClassVar[frozenset[int]] = frozenset((5672,))
    first_bytes: ClassVar[frozenset[int] | None] = frozenset((ord("A"), 1, 2, 8))
    """``matches``: ``AMQP``, or a method, content header or heartbeat frame type."""

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """Protocol header (+ a frame), or 0-9-1 frames."""
        n = len(payload)
        if n < 8:
            return False
        if payload[0] == 0x41:  # 'A'
            if payload[:4] != b"AMQP" or payload[4:8] not in _AMQP_HEADERS:
                return False
            if n == 8:
                return True
            if payload[5] == 1 and payload[6] == 0:  # 1.0
                return _amqp10_frame(payload, 8)
            return _amqp091_frames(payload, 8)
        return _amqp091_frames(payload, 0)


# --- Memcached (protocol.txt; binary protocol §3-§4) ---------------------------------------

_MC_REQUEST_EXTRAS: dict[int, frozenset[int]] = {
    0x00: frozenset((0,)), 0x09: frozenset((0,)), 0x0C: frozenset((0,)),  # get, getq, getk
    0x0D: frozenset((0,)), 0x04: frozenset((0,)), 0x14: frozenset((0,)),  # getkq, delete(q)
    0x01: frozenset((8,)), 0x02: frozenset((8,)), 0x03: frozenset((8,)),  # set, add, replace
    0x11: frozenset((8,)), 0x12: frozenset((8,)), 0x13: frozenset((8,)),  # their quiet forms
    0x05: frozenset((20,)), 0x06: frozenset((20,)),  # increment, decrement
    0x15: frozenset((20,)), 0x16: frozenset((20,)),
    0x07: frozenset((0,)), 0x17: frozenset((0,)),  # quit(q)
    0x08: frozenset((0, 4)), 0x18: frozenset((0, 4)),  # flush(q): an optional expiration
    0x0A: frozenset((0,)), 0x0B: frozenset((0,)), 0x10: frozenset((0,)),  # noop, version, stat
    0x0E: frozenset((0,)), 0x0F: frozenset((0,)), 0x19: frozenset((0,)),  # append, prepend
    0x1A: frozenset((0,)),
    0x1B: frozenset((4,)), 0x1C: frozenset((4,)), 0x1D: frozenset((4,)),  # verbosity, touch, gat
    0x1E: frozenset((4,)),  # gatq
    0x20: frozenset((0,)), 0x21: frozenset((0,)), 0x22: frozenset((0,)),  # SASL
}  # fmt: skip
"""Binary request opcodes (binary protocol §4) -> the extras lengths a request carries."""
_MC_KEYLESS = frozenset((0x07, 0x17, 0x08, 0x18, 0x0A, 0x0B, 0x1B, 0x20))
"""Opcodes whose requests carry no key (quit, flush, noop, version, verbosity, SASL list)."""
_MC_KEYED = frozenset((0x00, 0x09, 0x0C, 0x0D, 0x04, 0x14, 0x01, 0x02, 0x03, 0x11, 0x12, 0x13,
                       0x05, 0x06, 0x15, 0x16, 0x0E, 0x0F, 0x19, 0x1A, 0x1C, 0x1D, 0x1E))
"""Opcodes whose requests need a key."""
_MC_STATUS = frozenset((*range(0x00, 0x09), 0x20, 0x21, 0x22, *range(0x81, 0x87)))
"""Response status values (binary protocol §3.2)."""
_MC_MAX_PACKETS = 16
"""Binary packets walked in one payload. Reason: bounds ``matches``."""
_MC_STORAGE = frozenset((b"set", b"add", b"replace", b"append", b"prepend", b"cas"))
_MC_STATS_ARGS = frozenset((b"items", b"slabs", b"sizes", b"settings", b"conns",
                            b"detail", b"reset", b"extstore"))
_MC_MAX_KEY = 250
"""protocol.txt: keys are at most 250 bytes, without control characters or white space."""


def _mc_binary(p: bytes, pos: int, whole: bool) -> bool:
    """Binary packets (24-byte header, §3) from ``pos`` filling ``p``: magic 0x80 (request:
    a known opcode with its extras length and key use) or 0x81 (response: a known opcode
    and status), data type 0, key + extras within the body; a total body equal to the rest
    when ``whole``, else packets filling the payload exactly."""
    n = len(p)
    for i in range(_MC_MAX_PACKETS):
        if pos == n and i:
            return True
        if pos + 24 > n or p[pos + 5] != 0:
            return False
        magic, op, key, extras = p[pos], p[pos + 1], be16(p, pos + 2), p[pos + 4]
        body = be32(p, pos + 8)
        if key + extras > body or pos + 24 + body > n or (whole and pos + 24 + body != n):
            return False
        if magic == 0x80:
            if extras not in _MC_REQUEST_EXTRAS.get(op, ()):
                return False
            if (op in _MC_KEYLESS and key) or (op in _MC_KEYED and not 0 < key <= _MC_MAX_KEY):
                return False
        elif magic != 0x81 or op not in _MC_REQUEST_EXTRAS or (
                be16(p, pos + 6) not in _MC_STATUS):
            return False
        pos += 24 + body
    return False


def _mc_key(word: bytes) -> bool:
    return 0 < len(word) <= _MC_MAX_KEY and all(0x21 <= b <= 0x7E for b in word)


def _mc_number(word: bytes, signed: bool = False) -> bool:
    digits = word[1:] if signed and word[:1] == b"-" else word
    return 0 < len(digits) <= 20 and digits.isdigit()


def _mc_text(p: bytes, pos: int) -> bool:
    """A text command (protocol.txt) at ``pos``, the payload being exactly its line (and a
    storage command's data block with its CRLF when present)."""
    eol = p.find(b"\r\n", pos, pos + MAX_SCAN)
    if eol < 0:
        return False
    words = p[pos:eol].split(b" ")
    cmd, args = words[0], words[1:]
    if args[-1:] == [b"noreply"] and cmd not in (b"get", b"gets", b"gat", b"gats", b"stats"):
        args = args[:-1]
    end = eol + 2
    if cmd in (b"get", b"gets"):
        ok = bool(args) and all(_mc_key(k) for k in args)
    elif cmd in (b"gat", b"gats"):
        ok = len(args) >= 2 and _mc_number(args[0], True) and all(_mc_key(k) for k in args[1:])
    elif cmd in _MC_STORAGE:
        ok = (len(args) == (5 if cmd == b"cas" else 4) and _mc_key(args[0])
              and _mc_number(args[1]) and _mc_number(args[2], True) and _mc_number(args[3])
              and (cmd != b"cas" or _mc_number(args[4])))
        if ok and len(p) > end:  # the data block follows: exactly its size, then CRLF
            end += int(args[3])
            ok = p[end : end + 2] == b"\r\n"
            end += 2
    elif cmd in (b"incr", b"decr"):
        ok = len(args) == 2 and _mc_key(args[0]) and _mc_number(args[1])
    elif cmd == b"touch":
        ok = len(args) == 2 and _mc_key(args[0]) and _mc_number(args[1], True)
    elif cmd == b"delete":
        ok = len(args) == 1 and _mc_key(args[0])
    elif cmd == b"stats":
        ok = not args or (len(args) == 1 and args[0] in _MC_STATS_ARGS)
    elif cmd in (b"version", b"flush_all"):
        ok = not args or (cmd == b"flush_all" and len(args) == 1 and _mc_number(args[0]))
    elif cmd == b"verbosity":
        ok = len(args) == 1 and _mc_number(args[0])
    else:
        return False
    return ok and end == len(p)


_MC_TEXT_FIRST = frozenset(b"gsarpcditvf")
"""First letters of the text commands :func:`_mc_text` accepts."""


class MemcachedDissector(SignatureDissector):
    """Memcached (TCP/UDP 11211).

    ``matches``: the binary protocol (:func:`_mc_binary`: magic, opcode, extras and key
    lengths per opcode, data type 0, total body lengths filling the payload), or one text
    command of protocol.txt in its exact grammar (:func:`_mc_text`: lower-case command,
    single spaces, keys of 1-250 printable bytes, decimal numbers, CRLF ending the payload,
    a storage command's data block exactly its announced size). Over UDP the 8-byte frame
    header (request id, sequence number 0, one datagram, reserved 0) comes first and the
    binary request is one packet.
    """

    name: ClassVar[str] = "memcached"
    transports: ClassVar[frozenset[int]] = TCP_AND_UDP
    ports: ClassVar[frozenset[int]] = frozenset((11211,))
    first_bytes: ClassVar[frozenset[int] | None] = None
    screens: ClassVar[Mapping[int, tuple[Screen, ...]]] = {
        IPPROTO_UDP: (Screen(13, equals=((2, b"\x00\x00\x00\x01\x00\x00"),)),)}  # frame header

    @classmethod
    def first_bytes_on(cls, proto: int) -> frozenset[int] | None:
        """Over TCP the binary magic or a text command's first letter; over UDP the request
        id (any byte)."""
        return _MC_TEXT_FIRST | {0x80, 0x81} if proto == IPPROTO_TCP else None

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """Binary packets or a text command (behind the UDP frame header)."""
        pos = 0
        if proto == IPPROTO_UDP:
            if len(payload) < 13 or payload[2:8] != b"\x00\x00\x00\x01\x00\x00":
                return False
            pos = 8
        if len(payload) < pos + 5:
            return False
        first = payload[pos]
        if first in (0x80, 0x81):
            return _mc_binary(payload, pos, proto == IPPROTO_UDP)
        return first in _MC_TEXT_FIRST and _mc_text(payload, pos)
