"""Content signatures of RPC, text and finance protocols.

Identification only (see :mod:`wirelens.dissect.signatures_base`). Every ``matches`` is a
few bounded comparisons on the first payload of one direction, never raises, and checks the
facts listed in its class docstring:

- ANSI/NISO Z39.50 initRequest / initResponse APDUs: :class:`Z3950Dissector`;
- Apache Thrift messages (binary strict and compact protocols, framed or not):
  :class:`ThriftDissector`;
- the Nano cryptocurrency node protocol: :class:`NanoDissector`;
- FIX tag=value messages (with the compressed and binary variants seen on one broker's
  sessions): :class:`FixDissector`;
- the Checkmk agent's output: :class:`CheckMkDissector`;
- bare JSON-RPC 2.0 objects over TCP: :class:`JsonRpcDissector`;
- bare SOAP envelopes over TCP: :class:`SoapDissector`;
- NNTP greetings and session-opening commands: :class:`NntpDissector`.

Not recognised (no strict test exists): generic Protocol Buffers (no magic, no framing: any
byte string whose tags happen to parse is "valid"), WHOIS (RFC 3912 defines a free text line
and a free text answer; only port 43 says it is WHOIS) and TruPhone (no public description).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from wirelens.dissect.base import IPPROTO_TCP, IPPROTO_UDP, Dissector, Screen
from wirelens.dissect.signatures_base import (
    TCP_AND_UDP,
    TCP_ONLY,
    SignatureDissector,
    be32,
    is_ascii_text,
    json_object,
    le16,
    varint,
)
from wirelens.dissect.signatures_p2p import StratumDissector

__all__ = [
    "RPC_SIGNATURES",
    "CheckMkDissector",
    "FixDissector",
    "JsonRpcDissector",
    "NanoDissector",
    "NntpDissector",
    "SoapDissector",
    "ThriftDissector",
    "Z3950Dissector",
]


# --- Z39.50 (ANSI/NISO Z39.50-2003 §3.2.1 Init, ASN.1 module Z39-50-APDU-1995; RFC 1729) --

_Z_INIT_REQUEST = 0xB4
"""initRequest [20] IMPLICIT, context-specific, constructed."""
_Z_INIT_RESPONSE = 0xB5
"""initResponse [21] IMPLICIT, context-specific, constructed."""
_Z_AFTER_SIZES = frozenset((0xA7, 0x9F, 0xAB, 0xBF))
"""What may follow exceptionalRecordSize in an initRequest: idAuthentication [7] (explicit,
constructed), implementationId / Name / Version [110-112] (high tag number), userInformation
[11] (EXTERNAL, constructed), otherInfo [201] (high tag number, constructed)."""


def _ber_length(data: bytes, pos: int, end: int) -> tuple[int, int]:
    """(length, position after it) of the BER definite length at ``pos``, or (-1, pos):
    the short form or the long form of 1-3 bytes (X.690 §8.1.3); no indefinite form."""
    if pos >= end:
        return -1, pos
    first = data[pos]
    if first < 0x80:
        return first, pos + 1
    count = first & 0x7F
    if not 1 <= count <= 3 or pos + 1 + count > end:
        return -1, pos
    return int.from_bytes(data[pos + 1 : pos + 1 + count], "big"), pos + 1 + count


def _ber_primitive(data: bytes, pos: int, end: int, tag: int, low: int, high: int) -> int:
    """Position after the element at ``pos`` when it has tag ``tag`` and a content length of
    ``low``-``high`` bytes within ``end``; -1 otherwise."""
    if pos >= end or data[pos] != tag:
        return -1
    size, pos = _ber_length(data, pos + 1, end)
    if not low <= size <= high or pos + size > end:
        return -1
    return pos + size


class Z3950Dissector(SignatureDissector):
    """ANSI/NISO Z39.50 (ISO 23950) over TCP (TCP 210; RFC 1729: APDUs straight on the
    stream).

    ``matches`` (Z39.50-2003 §3.2.1.1 and the ASN.1 of InitializeRequest /
    InitializeResponse, BER per X.690): a first byte 0xB4 (initRequest, [20] constructed)
    or 0xB5 (initResponse, [21]); a BER definite length (short or 1-3 byte long form) equal
    to the rest of the segment (the APDU is whole); then, in order, an optional referenceId
    [2] (0x82, 0-64 bytes), protocolVersion [3] BIT STRING (0x83, 1-8 bytes, short-form
    length, unused-bits count 0-7), options [4] BIT STRING (0x84, 1-16 bytes, the same),
    preferredMessageSize [5] and exceptionalRecordSize [6] INTEGERs (0x85, 0x86, 1-8 bytes);
    a response then holds result [12] BOOLEAN (0x8C, one byte); a request ends there or
    goes on with one of idAuthentication [7], implementationId / Name / Version
    [110-112], userInformationField [11] or otherInfo [201].
    """

    name: ClassVar[str] = "z3950"
    transports: ClassVar[frozenset[int]] = TCP_ONLY
    ports: ClassVar[frozenset[int]] = frozenset((210,))
    first_bytes: ClassVar[frozenset[int] | None] = frozenset((_Z_INIT_REQUEST, _Z_INIT_RESPONSE))
    """``matches``: the initRequest / initResponse tag."""

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """One whole Init APDU with its mandatory elements in order."""
        n = len(payload)
        if n < 16 or payload[0] not in (_Z_INIT_REQUEST, _Z_INIT_RESPONSE):
            return False
        size, pos = _ber_length(payload, 1, n)
        if size != n - pos:
            return False
        if payload[pos] == 0x82:
            pos = _ber_primitive(payload, pos, n, 0x82, 0, 64)
        version = pos
        pos = _ber_primitive(payload, pos, n, 0x83, 1, 8) if pos > 0 else -1
        if pos < 0 or payload[version + 1] >= 0x80 or payload[version + 2] > 7:
            return False
        options = pos
        pos = _ber_primitive(payload, pos, n, 0x84, 1, 16)
        if pos < 0 or payload[options + 1] >= 0x80 or payload[options + 2] > 7:
            return False
        pos = _ber_primitive(payload, pos, n, 0x85, 1, 8)
        pos = _ber_primitive(payload, pos, n, 0x86, 1, 8) if pos > 0 else -1
        if pos < 0:
            return False
        if payload[0] == _Z_INIT_RESPONSE:
            return _ber_primitive(payload, pos, n, 0x8C, 1, 1) > 0
        return pos == n or payload[pos] in _Z_AFTER_SIZES


# --- Apache Thrift (thrift-binary-protocol.md, thrift-compact-protocol.md) -------------------

_THRIFT_MAX_NAME = 128
"""Longest method name accepted (a service-qualified name of a multiplexed protocol fits)."""
_THRIFT_MAX_FRAME = 16 * 1024 * 1024
"""Frame sizes above 16 MiB are refused (the default maximum frame size is about that)."""
_THRIFT_TYPES = frozenset((1, 2, 3, 4))
"""Message types: call, reply, exception, oneway."""
_THRIFT_FIELD_TYPES = frozenset((0, 2, 3, 4, 6, 8, 10, 11, 12, 13, 14, 15, 16))
"""Binary protocol field types (0 = STOP: an empty struct)."""
_THRIFT_COMPACT_TYPE_BYTES = frozenset(t << 5 | 1 for t in _THRIFT_TYPES)
"""Compact protocol: message type in the 3 high bits, version 1 in the 5 low bits."""
_IDENT_FIRST = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_")
_IDENT = _IDENT_FIRST | frozenset(b"0123456789.:")


def _thrift_name(data: bytes, pos: int, size: int) -> bool:
    """An identifier of ``size`` bytes at ``pos`` (a letter or underscore, then letters,
    digits, underscores, dots or colons), whole in ``data``."""
    if not 1 <= size <= _THRIFT_MAX_NAME or pos + size > len(data):
        return False
    return data[pos] in _IDENT_FIRST and all(b in _IDENT for b in data[pos + 1 : pos + size])


def _thrift_binary(data: bytes, pos: int) -> bool:
    """A strict binary-protocol message header at ``pos`` and the first field's type."""
    if pos + 14 > len(data) or data[pos : pos + 3] != b"\x80\x01\x00":
        return False
    if data[pos + 3] not in _THRIFT_TYPES:
        return False
    size = be32(data, pos + 4)
    if not _thrift_name(data, pos + 8, size):
        return False
    field = pos + 8 + size + 4
    return field < len(data) and data[field] in _THRIFT_FIELD_TYPES


def _thrift_compact(data: bytes, pos: int) -> bool:
    """A compact-protocol message header at ``pos`` and the first field header."""
    if pos + 6 > len(data) or data[pos] != 0x82 or data[pos + 1] not in (
            _THRIFT_COMPACT_TYPE_BYTES):
        return False
    _, at = varint(data, pos + 2, 5)
    if at < 0:
        return False
    size, start = varint(data, at, 2)
    if start < 0 or not _thrift_name(data, start, size):
        return False
    field = start + size
    if field >= len(data):
        return False
    header = data[field]
    return header == 0 or 1 <= header & 0x0F <= 13


class ThriftDissector(SignatureDissector):
    """Apache Thrift RPC messages (TCP and UDP; no assigned port: 9090 is the tutorials'
    and many servers' default, 6831 / 6832 Jaeger agents' UDP ports).

    ``matches`` (Thrift binary protocol spec, "Message" strict encoding): the version word
    0x8001, a zero byte (version and type are written as one int32 0x800100mm), a message
    type 1-4 (call, reply, exception, oneway), an int32 name length of 1-128, an identifier
    name (letter or underscore, then letters, digits, ``_``, ``.``, ``:``), the int32
    sequence id, then a valid first field type of the argument struct (0 STOP, 2-4, 6, 8,
    10-16). Or (compact protocol spec, "Message"): protocol id 0x82, a byte with message
    type 1-4 in the 3 high bits and version 1 in the 5 low ones, a varint sequence id (1-5
    bytes), a varint name length (1-2 bytes, 1-128) and name as above, then a field header
    (0 STOP or a type 1-13 in the low nibble). Over TCP either may be framed (framed
    transport: an int32 frame size of at most 16 MiB, at least the rest of the segment's
    length: a frame cut by the segment is accepted on its header).
    """

    name: ClassVar[str] = "thrift"
    transports: ClassVar[frozenset[int]] = TCP_AND_UDP
    ports: ClassVar[frozenset[int]] = frozenset((9090, 6831, 6832))
    first_bytes: ClassVar[frozenset[int] | None] = frozenset((0x00, 0x80, 0x82))
    """``matches``: a frame size's high byte (TCP), or the binary / compact protocol id."""
    screens: ClassVar[Mapping[int, tuple[Screen, ...]]] = {
        IPPROTO_TCP: (
            Screen(14, equals=((0, b"\x80\x01\x00"),), values=((3, _THRIFT_TYPES),)),
            Screen(18, equals=((0, b"\x00"), (4, b"\x80\x01\x00")),
                   values=((7, _THRIFT_TYPES),)),
            Screen(6, equals=((0, b"\x82"),), values=((1, _THRIFT_COMPACT_TYPE_BYTES),)),
            Screen(10, equals=((0, b"\x00"), (4, b"\x82")),
                   values=((5, _THRIFT_COMPACT_TYPE_BYTES),)),
        ),
        IPPROTO_UDP: (
            Screen(14, equals=((0, b"\x80\x01\x00"),), values=((3, _THRIFT_TYPES),)),
            Screen(6, equals=((0, b"\x82"),), values=((1, _THRIFT_COMPACT_TYPE_BYTES),)),
        ),
    }

    @classmethod
    def first_bytes_on(cls, proto: int) -> frozenset[int] | None:
        """UDP datagrams are not framed: the protocol id comes first."""
        return frozenset((0x80, 0x82)) if proto == IPPROTO_UDP else cls.first_bytes

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """A binary or compact message header, framed over TCP or not."""
        if not payload:
            return False
        first = payload[0]
        if first == 0x80:
            return _thrift_binary(payload, 0)
        if first == 0x82:
            return _thrift_compact(payload, 0)
        if first != 0 or proto != IPPROTO_TCP or len(payload) < 10:
            return False
        frame = be32(payload, 0)
        if not len(payload) - 4 <= frame <= _THRIFT_MAX_FRAME:
            return False
        return _thrift_binary(payload, 4) or _thrift_compact(payload, 4)


# --- Nano (Nano protocol specification: message header, node_id_handshake, keepalive) -------

_NANO_NETWORKS = frozenset(b"ABCX")
"""Network ids after the ``R`` magic: A dev, B beta, C live, X test."""
_NANO_KEEPALIVE = 0x02
_NANO_HANDSHAKE = 0x0A
_NANO_TELEMETRY_REQ = 0x0C
_NANO_FIRST_TYPES = frozenset((_NANO_KEEPALIVE, _NANO_HANDSHAKE, _NANO_TELEMETRY_REQ))
_NANO_MAX_VERSION = 63
_NANO_KEEPALIVE_BODY = 8 * 18
"""keepalive: 8 peers, each an IPv6 address (16 bytes) and a port (u16)."""


def _nano_handshake_size(flags: int) -> int:
    """Body size of a node_id_handshake for its extension flags (bit 0 query: a 32-byte
    cookie; bit 1 response: node id 32 + signature 64, plus salt 32 and genesis hash 32
    with bit 2, v2); -1 for other bits or neither query nor response."""
    if flags & ~0x07 or not flags & 0x03:
        return -1
    size = 32 if flags & 0x01 else 0
    if flags & 0x02:
        size += 160 if flags & 0x04 else 96
    return size


class NanoDissector(SignatureDissector):
    """The Nano cryptocurrency node protocol (TCP 7075).

    ``matches`` (the Nano protocol reference, nanocurrency/protocol ``protocol.ksy``:
    message header = magic, network id, version max / using / min, message type, u16
    little-endian extensions; keepalive; node_id_handshake query / response): ``R`` then a
    network id ``A`` / ``B`` / ``C`` / ``X``; versions with 1 <= min <= using <= max <= 63;
    then one of the messages a connection opens with, whole and alone in the segment:
    node_id_handshake (0x0A) with query / response / v2 flags only and exactly the body
    they imply (32-byte cookie; 96-byte response, or 160 bytes with the v2 flag of current
    nodes: node id, salt, genesis hash, signature, as nano.pcapng shows), keepalive (0x02,
    no extensions, 8 peer entries of 18 bytes) or telemetry_req (0x0C, no extensions, no
    body).
    """

    name: ClassVar[str] = "nano"
    transports: ClassVar[frozenset[int]] = TCP_ONLY
    ports: ClassVar[frozenset[int]] = frozenset((7075,))
    first_bytes: ClassVar[frozenset[int] | None] = frozenset(b"R")
    """``matches``: the magic ``R``."""
    screens: ClassVar[Mapping[int, tuple[Screen, ...]]] = {IPPROTO_TCP: (
        Screen(8, equals=((0, b"R"),),
               values=((1, _NANO_NETWORKS), (5, _NANO_FIRST_TYPES))),
    )}  # fmt: skip

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """A whole handshake, keepalive or telemetry request."""
        n = len(payload)
        if n < 8 or payload[0] != 0x52 or payload[1] not in _NANO_NETWORKS:
            return False
        high, using, low = payload[2], payload[3], payload[4]
        if not 1 <= low <= using <= high <= _NANO_MAX_VERSION:
            return False
        kind, flags = payload[5], le16(payload, 6)
        if kind == _NANO_HANDSHAKE:
            size = _nano_handshake_size(flags)
            return size >= 0 and n == 8 + size
        if kind == _NANO_KEEPALIVE:
            return flags == 0 and n == 8 + _NANO_KEEPALIVE_BODY
        return kind == _NANO_TELEMETRY_REQ and flags == 0 and n == 8


# --- FIX (FIX Session Protocol / FIX tag=value encoding: standard header and trailer) ------

_SOH = 0x01
_FIX_BEGIN_STRINGS = frozenset((
    b"FIX.4.0", b"FIX.4.1", b"FIX.4.2", b"FIX.4.3", b"FIX.4.4",
    b"FIXT.1.1", b"FIX.5.0", b"FIX.5.0SP1", b"FIX.5.0SP2",
))  # fmt: skip
"""BeginString values of the FIX versions (FIXT.1.1 carries FIX 5.0 and later)."""
_FIX_COMPRESSED = b"FIXCOMP"
_FIX_BINARY = b"O"
"""Observed BeginStrings (fix.pcap, one broker's sessions): a zlib-compressed body, and a
tag=value header followed by a binary body, both without trailer."""
_FIX_MAX_BODY = 16 * 1024 * 1024
_ALNUM = frozenset(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
_DIGITS = frozenset(b"0123456789")


def _fix_number(data: bytes, pos: int, tag: bytes, max_digits: int) -> tuple[int, int]:
    """(value, position after its SOH) of the field ``tag=<digits>`` SOH at ``pos`` (1 to
    ``max_digits`` digits), or (-1, pos)."""
    start = pos + len(tag)
    if data[pos:start] != tag:
        return -1, pos
    end = data.find(b"\x01", start, start + max_digits + 1)
    if end <= start or not all(b in _DIGITS for b in data[start:end]):
        return -1, pos
    return int(data[start:end]), end + 1


def _zlib_header(cmf: int, flg: int) -> bool:
    """RFC 1950 §2.2: deflate (CM 8) with a window of at most 32 KiB, no preset
    dictionary, and FCHECK making CMF*256 + FLG a multiple of 31."""
    return cmf & 0x0F == 8 and cmf >> 4 <= 7 and not flg & 0x20 and (cmf * 256 + flg) % 31 == 0


class FixDissector(SignatureDissector):
    """FIX (Financial Information eXchange) sessions over TCP (no assigned port: each venue
    publishes its own).

    ``matches`` (FIX tag=value encoding and session layer, "Message format"; standard header
    fields in order BeginString 8, BodyLength 9, MsgType 35; trailer CheckSum 10): ``8=``
    and a BeginString of a FIX version (4.0-4.4, 5.0 [SP1 / SP2], FIXT.1.1), SOH, ``9=``
    and 1-8 digits, SOH, ``35=`` and a MsgType of 1-4 letters or digits, SOH, inside the
    body. BodyLength counts the bytes from after its SOH to the SOH before ``10=``: when
    the segment holds the message's end, the trailer there is ``10=``, three digits and
    SOH, the digits equal the sum of the message's bytes before ``10=`` modulo 256, and the
    segment ends or the next message (``8=``) begins. A segment ending inside the body is
    accepted on its header; one ending inside the 7-byte trailer is refused.

    Two observed variants (fix.pcap, every flow, and nothing else in the corpus; no public
    description): BeginString ``FIXCOMP`` with BodyLength bytes of zlib data (RFC 1950
    header checked) and BeginString ``O`` with the MsgType field then binary bytes; both
    have no trailer: the body ends the segment, is cut by it, or is followed by ``8=``.
    """

    name: ClassVar[str] = "fix"
    transports: ClassVar[frozenset[int]] = TCP_ONLY
    ports: ClassVar[frozenset[int]] = frozenset()
    """None: FIX sessions use ports agreed per counterparty."""
    first_bytes: ClassVar[frozenset[int] | None] = frozenset(b"8")
    """``matches``: the BeginString tag ``8``."""
    screens: ClassVar[Mapping[int, tuple[Screen, ...]]] = {IPPROTO_TCP: (
        Screen(14, equals=((0, b"8="),), values=((2, frozenset(b"FO")),)),
    )}  # fmt: skip

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """The standard header, the body length and (when whole) the trailer."""
        n = len(payload)
        if n < 14 or payload[:2] != b"8=" or payload[2] not in (0x46, 0x4F):
            return False
        soh = payload.find(b"\x01", 2, 14)
        if soh < 0:
            return False
        begin = payload[2:soh]
        length, body = _fix_number(payload, soh + 1, b"9=", 8)
        if length < 0 or length > _FIX_MAX_BODY:
            return False
        end = body + length
        if begin == _FIX_COMPRESSED:
            return (length >= 2 and body + 2 <= n and _zlib_header(payload[body], payload[body + 1])
                    and cls._next(payload, end))
        if begin != _FIX_BINARY and begin not in _FIX_BEGIN_STRINGS:
            return False
        if payload[body : body + 3] != b"35=":
            return False
        type_end = payload.find(b"\x01", body + 3, body + 8)
        if type_end <= body + 3 or type_end >= end or not all(
                b in _ALNUM for b in payload[body + 3 : type_end]):
            return False
        if begin == _FIX_BINARY or end > n:
            return cls._next(payload, end)
        if end + 7 > n or payload[end : end + 3] != b"10=" or payload[end + 6] != _SOH:
            return False
        digits = payload[end + 3 : end + 6]
        if not all(b in _DIGITS for b in digits) or int(digits) != sum(payload[:end]) % 256:
            return False
        return cls._next(payload, end + 7)

    @staticmethod
    def _next(payload: bytes, end: int) -> bool:
        """After a message ending at ``end``: the segment ends, is cut, or the next begins."""
        return end >= len(payload) or payload[end : end + 2] == b"8="


# --- Checkmk agent (Checkmk user guide, "The Checkmk agent": agent output sections) --------


class CheckMkDissector(SignatureDissector):
    """The Checkmk (Check_MK) monitoring agent's plain-text output (TCP 6556).

    ``matches`` (Checkmk user guide, agent output format: sections headed ``<<<name>>>``,
    the agent's own section ``check_mk`` first): the segment starts with
    ``<<<check_mk>>>`` and a line end (LF or CR LF). The agent
    speaks first (the monitoring server only connects); the TLS-wrapped output of the 2.1+
    agent controller is not recognised here.
    """

    name: ClassVar[str] = "checkmk"
    transports: ClassVar[frozenset[int]] = TCP_ONLY
    ports: ClassVar[frozenset[int]] = frozenset((6556,))
    first_bytes: ClassVar[frozenset[int] | None] = frozenset(b"<")
    """``matches``: the section header's ``<``."""

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """The ``check_mk`` section header line."""
        return payload.startswith((b"<<<check_mk>>>\n", b"<<<check_mk>>>\r\n"))


# --- JSON-RPC 2.0 (JSON-RPC 2.0 Specification §4 Request, §5 Response, §5.1 Error) --------

_JSONRPC_MAX = 4096
"""Longest object handed to :func:`json.loads` (bounds ``matches``)."""
_JSONRPC_KEYS = frozenset(("jsonrpc", "method", "params", "id", "result", "error"))


def _jsonrpc_id(value: object) -> bool:
    """§4: an id is a string, a number or null."""
    return value is None or (isinstance(value, (str, int, float)) and not isinstance(value, bool))


def _jsonrpc_object(obj: dict[str, object]) -> bool:
    """A request / notification (§4) or a response (§5) of version 2.0."""
    if obj.get("jsonrpc") != "2.0" or not obj.keys() <= _JSONRPC_KEYS:
        return False
    if "method" in obj:
        if not isinstance(obj["method"], str) or not obj["method"] or (
                "result" in obj or "error" in obj):
            return False
        if "params" in obj and not isinstance(obj["params"], (list, dict)):
            return False
        return "id" not in obj or _jsonrpc_id(obj["id"])
    if "id" not in obj or not _jsonrpc_id(obj["id"]) or "params" in obj:
        return False
    if "result" in obj:
        return "error" not in obj
    error = obj.get("error")
    return (isinstance(error, dict) and isinstance(error.get("code"), int)
            and not isinstance(error.get("code"), bool) and isinstance(error.get("message"), str))


class JsonRpcDissector(SignatureDissector):
    """Bare JSON-RPC 2.0 over TCP (no assigned port; over HTTP it is HTTP's, and a Stratum
    mining session is :class:`~wirelens.dissect.signatures_p2p.StratumDissector`'s).

    ``matches`` (JSON-RPC 2.0 Specification): the segment starts with ``{`` and its first
    line (up to LF, or the whole segment; at most 4096 bytes) is one JSON object with
    ``"jsonrpc": "2.0"`` and no member outside jsonrpc, method, params, id, result,
    error; either a request or notification (§4: a non-empty string ``method``,
    ``params`` an array or object if present, ``id`` a string, number or null if present,
    no result / error) or a response (§5: an ``id``, and exactly one of ``result`` or an
    ``error`` object with an integer ``code`` and a string ``message``, §5.1). Batches
    (arrays, §6) are not recognised. A line Stratum's test accepts is refused here.
    """

    name: ClassVar[str] = "json_rpc"
    transports: ClassVar[frozenset[int]] = TCP_ONLY
    ports: ClassVar[frozenset[int]] = frozenset()
    """None: JSON-RPC services listen wherever they are configured."""
    first_bytes: ClassVar[frozenset[int] | None] = frozenset(b"{")
    """``matches``: the object's brace."""

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """One JSON-RPC 2.0 object on the first line."""
        if len(payload) < 20 or payload[0] != 0x7B:
            return False
        eol = payload.find(b"\n", 0, _JSONRPC_MAX + 1)
        if eol < 0:
            if len(payload) > _JSONRPC_MAX:
                return False
            eol = len(payload)
        line = payload[:eol]
        if b'"jsonrpc"' not in line or b'"2.0"' not in line:
            return False
        obj = json_object(line)
        if obj is None or not _jsonrpc_object(obj):
            return False
        return not StratumDissector.matches(payload, proto, from_orig)


# --- SOAP (SOAP 1.1 W3C Note §4.1.2, §4.2; SOAP 1.2 Part 1 §5.1; XML 1.0 §2.8) -------------

_SOAP_NAMESPACES = (b"http://schemas.xmlsoap.org/soap/envelope/",
                    b"http://www.w3.org/2003/05/soap-envelope")
_XML_NAME = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-.")
_XML_SPACE = b" \t\r\n"
_SOAP_SCAN = 1024
"""Bytes in which the declaration and the Envelope start tag must fit."""


def _soap_envelope(head: bytes) -> bool:
    """``head`` starts with an Envelope start tag that binds its prefix (or the default
    namespace) to a SOAP envelope namespace."""
    close = head.find(b">")
    if close < 0 or not head.startswith(b"<"):
        return False
    tag = head[1:close]
    name_end = next((i for i, b in enumerate(tag) if b in _XML_SPACE), -1)
    if name_end <= 0:
        return False
    qname = tag[:name_end]
    prefix, _, local = qname.rpartition(b":")
    if local != b"Envelope" or not all(b in _XML_NAME for b in prefix):
        return False
    attr = b"xmlns:" + prefix if prefix else b"xmlns"
    for ns in _SOAP_NAMESPACES:
        for quote in (b'"', b"'"):
            at = tag.find(attr + b"=" + quote + ns + quote, name_end)
            if at > 0 and tag[at - 1] in _XML_SPACE:
                return True
    return False


class SoapDissector(SignatureDissector):
    """Bare SOAP envelopes over TCP (SOAP over a raw TCP connection, no HTTP).

    ``matches`` (SOAP 1.1 §4.1.2 / §4.2, SOAP 1.2 Part 1 §5.1, XML 1.0 §2.8): an optional
    UTF-8 byte order mark, an optional XML declaration ``<?xml ... ?>`` and white space,
    then the document element's start tag, within the first 1024 bytes: named ``Envelope``
    (with or without a prefix) and binding that prefix to the SOAP 1.1 or SOAP 1.2 envelope
    namespace with an attribute after white space: ``xmlns:p="..."`` (``xmlns=`` without a
    prefix; single or double quotes, no space around ``=``). SOAP carried by HTTP stays HTTP's
    (the HTTP dissector claims the flow first); SOAP over UDP is WS-Discovery's.
    """

    name: ClassVar[str] = "soap"
    transports: ClassVar[frozenset[int]] = TCP_ONLY
    ports: ClassVar[frozenset[int]] = frozenset()
    """None: bare SOAP endpoints listen wherever they are configured."""
    first_bytes: ClassVar[frozenset[int] | None] = frozenset(b"<\xef")
    """``matches``: the document's first character or the UTF-8 BOM."""

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """An Envelope start tag in a SOAP namespace."""
        head = payload[:_SOAP_SCAN]
        if head.startswith(b"\xef\xbb\xbf"):
            head = head[3:]
        if head[:1] != b"<" or b"Envelope" not in head:
            return False
        if head.startswith(b"<?xml"):
            close = head.find(b"?>")
            if close < 0:
                return False
            head = head[close + 2 :].lstrip(_XML_SPACE)
        return _soap_envelope(head)


# --- NNTP (RFC 3977 §3.1, §5.1.1, §5.2, §5.3; RFC 4643 §2.3; RFC 4644 §2.3) ----------------

_NNTP_WORDS = (b"NNTP", b"NEWS", b"USENET")
"""Words one of which a greeting's text holds (see :class:`NntpDissector`)."""
_NNTP_COMMANDS = (b"MODE READER", b"MODE STREAM", b"CAPABILITIES")
_NNTP_AUTHINFO = (b"AUTHINFO USER ", b"AUTHINFO SASL ")
_NNTP_MAX_LINE = 512
"""RFC 3977 §3.1: a command or response line is at most 512 octets with its CRLF."""


class NntpDissector(SignatureDissector):
    """NNTP, the Network News Transfer Protocol (TCP 119; 433 NNSP; 563 is NNTP over TLS).

    ``matches`` (RFC 3977): one whole line ending with CRLF, at most 512 bytes (§3.1),
    printable ASCII; either the server's greeting (§5.1.1): ``200`` (posting allowed) or
    ``201`` (posting prohibited), a space and a text naming the service (it holds ``NNTP``,
    ``news`` or ``Usenet``, in any case: the RFC leaves the text free, every server greeting
    we know of names it, and a bare ``200 `` line is also an FTP or MGCP reply); or a
    command a client opens a session with (commands are case-insensitive, §3.1):
    ``CAPABILITIES`` (§5.2), ``MODE READER`` (§5.3), ``MODE STREAM`` (RFC 4644 §2.3) or
    ``AUTHINFO USER`` / ``AUTHINFO SASL`` with an argument (RFC 4643 §2.3, §2.4).
    """

    name: ClassVar[str] = "nntp"
    transports: ClassVar[frozenset[int]] = TCP_ONLY
    ports: ClassVar[frozenset[int]] = frozenset((119, 433))
    first_bytes: ClassVar[frozenset[int] | None] = frozenset(b"2MmCcAa")
    """``matches``: a greeting's ``2``, or a command's first letter."""

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """A greeting or an opening command, alone on its line."""
        n = len(payload)
        if n < 8 or n > _NNTP_MAX_LINE or payload[-2:] != b"\r\n":
            return False
        line = payload[:-2]
        if line[:4] in (b"200 ", b"201 "):
            if not is_ascii_text(line):
                return False
            text = line[4:].upper()
            return any(word in text for word in _NNTP_WORDS)
        if not is_ascii_text(line):
            return False
        upper = line.upper()
        if upper in _NNTP_COMMANDS:
            return True
        return any(upper.startswith(a) for a in _NNTP_AUTHINFO) and len(line) > 14 and (
            line[14] != 0x20)


RPC_SIGNATURES: tuple[type[Dissector], ...] = (
    Z3950Dissector, ThriftDissector, NanoDissector, FixDissector, CheckMkDissector,
    JsonRpcDissector, SoapDissector, NntpDissector,
)
"""This module's signatures in priority order (strictest first)."""

