"""SNMP v1 / v2c (RFC 1157, RFC 3416) over UDP, with v3 recognised (RFC 3412).

Messages are BER encoded (X.690). A small private BER reader (:class:`_Ber`) reads the
definite-length, low-tag-number subset SNMP uses; anything else raises
:class:`~wirelens.wire.errors.ParseError`.

One :class:`SnmpRecord` per PDU (a Zeek ``snmp.log`` row is per session; per PDU keeps
the request id, error status and varbind names of each message, and pairs are found with
``request_id``). The community string is the credential of v1/v2c: it is stored as
:data:`REDACTED` unless the dissector is created with ``show_passwords=True``; whether it
is a default one ("public"/"private") is always stored.

SNMP over TCP (RFC 3430) is not handled: the dissector runs on UDP only.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from enum import IntEnum
from typing import ClassVar

from wirelens.dissect.base import IPPROTO_UDP, Dissector, Event
from wirelens.wire.buffer import Buffer
from wirelens.wire.errors import BadValue, LimitExceeded, ParseError, TrailingJunk, Truncated

__all__ = [
    "REDACTED",
    "ErrorStatus",
    "GenericTrap",
    "PduType",
    "SnmpDissector",
    "SnmpRecord",
    "parse_snmp",
]

SNMP_MAX_OIDS_KEPT = 8
"""Varbind names (and values) kept per PDU: the first few say what was asked; a walk's
response can carry hundreds."""

SNMP_MAX_VARBINDS = 4096
"""Varbinds parsed in one PDU; a 64 KiB datagram holds fewer (each takes >= 6 bytes with
its OID), so more is a lie."""

SNMP_MAX_OID_ARCS = 128
"""Sub-identifiers in one OID (RFC 2578 §3.5: at most 128)."""

SNMP_MAX_DEPTH = 8
"""Nesting of BER constructed values walked when rendering an unknown value."""

SNMP_MAX_VALUE_CHARS = 256
"""Characters kept of one rendered varbind value."""

REDACTED = "<redacted>"
"""Stored in place of the community string unless ``show_passwords=True``."""

DEFAULT_COMMUNITIES = frozenset((b"public", b"private"))
"""Factory-default communities (read-only / read-write) of most agents."""


class PduType(IntEnum):
    """PDU tags: context-specific, constructed [0..8] (RFC 3416 §3, RFC 1157 §4.1)."""

    GET_REQUEST = 0xA0
    GET_NEXT_REQUEST = 0xA1
    RESPONSE = 0xA2
    SET_REQUEST = 0xA3
    TRAP_V1 = 0xA4
    GET_BULK_REQUEST = 0xA5
    INFORM_REQUEST = 0xA6
    SNMPV2_TRAP = 0xA7
    REPORT = 0xA8


class ErrorStatus(IntEnum):
    """error-status values (RFC 3416 §3)."""

    noError = 0  # noqa: N815 - the RFC's names
    tooBig = 1  # noqa: N815
    noSuchName = 2  # noqa: N815
    badValue = 3  # noqa: N815
    readOnly = 4  # noqa: N815
    genErr = 5  # noqa: N815
    noAccess = 6  # noqa: N815
    wrongType = 7  # noqa: N815
    wrongLength = 8  # noqa: N815
    wrongEncoding = 9  # noqa: N815
    wrongValue = 10  # noqa: N815
    noCreation = 11  # noqa: N815
    inconsistentValue = 12  # noqa: N815
    resourceUnavailable = 13  # noqa: N815
    commitFailed = 14  # noqa: N815
    undoFailed = 15  # noqa: N815
    authorizationError = 16  # noqa: N815
    notWritable = 17  # noqa: N815
    inconsistentName = 18  # noqa: N815


class GenericTrap(IntEnum):
    """generic-trap values of an SNMPv1 Trap-PDU (RFC 1157 §4.1.6)."""

    coldStart = 0  # noqa: N815 - the RFC's names
    warmStart = 1  # noqa: N815
    linkDown = 2  # noqa: N815
    linkUp = 3  # noqa: N815
    authenticationFailure = 4  # noqa: N815
    egpNeighborLoss = 5  # noqa: N815
    enterpriseSpecific = 6  # noqa: N815


_VERSION_NAMES = {0: "v1", 1: "v2c", 3: "v3"}
_PDU_NAMES = {m.value: m.name.lower() for m in PduType}
_ERROR_NAMES = {m.value: m.name for m in ErrorStatus}
_TRAP_NAMES = {m.value: m.name for m in GenericTrap}

# BER universal tags (X.690 §8) and SNMP application types (RFC 2578 §7.1, RFC 3416 §2)
_INTEGER, _OCTETS, _NULL, _OID, _SEQUENCE = 0x02, 0x04, 0x05, 0x06, 0x30
_IPADDRESS, _TIMETICKS = 0x40, 0x43
_APP_UNSIGNED = frozenset((0x41, 0x42, 0x43, 0x46))  # Counter32 Gauge32 TimeTicks Counter64
_EXCEPTIONS = {0x80: "noSuchObject", 0x81: "noSuchInstance", 0x82: "endOfMibView"}


def version_name(code: int) -> str:
    """Readable twin of the message version (0 = v1, 1 = v2c, 3 = v3)."""
    return _VERSION_NAMES.get(code, f"version{code}")


def pdu_type_name(code: int) -> str:
    """Readable twin of a PDU tag (``get_request``, ``response``, ...)."""
    return _PDU_NAMES.get(code, f"pdu_0x{code:02x}")


def generic_trap_name(code: int) -> str:
    """Readable twin of a generic-trap value."""
    return _TRAP_NAMES.get(code, f"trap{code}")


def error_status_name(code: int) -> str:
    """Readable twin of an error-status code."""
    return _ERROR_NAMES.get(code, f"error{code}")


# -- BER ----------------------------------------------------------------------------------


class _Ber:
    """Definite-length BER over a :class:`Buffer` (X.690 §8.1)."""

    __slots__ = ("buf",)

    def __init__(self, buf: Buffer) -> None:
        self.buf = buf

    def header(self) -> tuple[int, int]:
        """(tag, length) of the next TLV; the cursor ends at its contents."""
        buf = self.buf
        tag = buf.pull_u8()
        if tag & 0x1F == 0x1F:  # X.690 §8.1.2.4: high tag numbers, unused by SNMP
            raise BadValue(f"high-tag-number form 0x{tag:02x}", buf.tell() - 1)
        first = buf.pull_u8()
        if first < 0x80:  # §8.1.3.4 short form
            return tag, first
        n = first & 0x7F
        if n == 0:  # §8.1.3.6 indefinite form: not allowed in SNMP (RFC 3417 §8)
            raise BadValue("indefinite BER length", buf.tell() - 1)
        if n > 4:
            raise LimitExceeded(f"BER length of {n} octets", buf.tell() - 1)
        length = 0
        for _ in range(n):
            length = (length << 8) | buf.pull_u8()
        if length > buf.remaining:
            raise Truncated(f"BER value of {length} bytes, {buf.remaining} left", buf.tell())
        return tag, length

    def expect(self, tag: int) -> int:
        """Read a header whose tag must be ``tag``; its length."""
        pos = self.buf.tell()
        got, length = self.header()
        if got != tag:
            raise BadValue(f"expected BER tag 0x{tag:02x}, got 0x{got:02x}", pos)
        return length

    def integer(self, tag: int = _INTEGER) -> int:
        """A two's-complement INTEGER (X.690 §8.3) of at most 9 octets."""
        length = self.expect(tag)
        if not 1 <= length <= 9:
            raise BadValue(f"INTEGER of {length} octets", self.buf.tell())
        return int.from_bytes(self.buf.pull_bytes(length), "big", signed=tag == _INTEGER)

    def octets(self) -> bytes:
        """An OCTET STRING (primitive form)."""
        return self.buf.pull_bytes(self.expect(_OCTETS))

    def oid(self) -> str:
        """An OBJECT IDENTIFIER in dotted form."""
        return _oid_text(self.buf.pull_bytes(self.expect(_OID)))

    def enter(self, tag: int = _SEQUENCE) -> int:
        """Read a constructed header; returns the end offset of its contents."""
        length = self.expect(tag)
        return self.buf.tell() + length


def _oid_text(raw: bytes) -> str:
    """OID contents to dotted text (X.690 §8.19: base-128 arcs, first octet = 40*X+Y)."""
    if not raw:
        raise BadValue("empty OBJECT IDENTIFIER")
    arcs: list[int] = []
    value = 0
    for i, b in enumerate(raw):
        if value == 0 and b == 0x80:
            raise BadValue("non-minimal OID sub-identifier", i)
        value = (value << 7) | (b & 0x7F)
        if not b & 0x80:
            arcs.append(value)
            value = 0
            if len(arcs) > SNMP_MAX_OID_ARCS:
                raise LimitExceeded("OID with too many arcs", i)
        elif value >= 1 << 63:
            raise LimitExceeded("OID sub-identifier too long", i)
    if raw[-1] & 0x80:
        raise BadValue("OID ends inside a sub-identifier", len(raw) - 1)
    first = arcs[0]
    head = [0, first] if first < 40 else [1, first - 40] if first < 80 else [2, first - 80]
    return ".".join(str(a) for a in head + arcs[1:])


def _value_text(ber: _Ber, depth: int = 0) -> str:
    """A varbind value as readable text (RFC 3416 §3 ObjectSyntax)."""
    buf = ber.buf
    pos = buf.tell()
    tag, length = ber.header()
    buf.seek(pos)
    if tag == _INTEGER:
        return str(ber.integer())
    if tag in _APP_UNSIGNED:
        return str(ber.integer(tag))
    if tag == _OID:
        return ber.oid()
    if tag == _IPADDRESS:
        raw = buf.pull_bytes(ber.expect(_IPADDRESS))
        return str(ipaddress.IPv4Address(raw)) if len(raw) == 4 else raw.hex()
    ber.header()
    if tag == _NULL:
        buf.skip(length)
        return ""
    if tag in _EXCEPTIONS:
        buf.skip(length)
        return _EXCEPTIONS[tag]
    if tag & 0x20 and depth < SNMP_MAX_DEPTH:  # constructed: its parts
        end = buf.tell() + length
        parts = []
        while buf.tell() < end:
            parts.append(_value_text(ber, depth + 1))
        if buf.tell() != end:
            raise TrailingJunk("constructed value overruns", buf.tell())
        return " ".join(parts)[:SNMP_MAX_VALUE_CHARS]
    raw = buf.pull_bytes(length)
    if tag == _OCTETS:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = ""
        if text and text.isprintable():
            return text[:SNMP_MAX_VALUE_CHARS]
    return raw.hex()[:SNMP_MAX_VALUE_CHARS]


# -- messages -----------------------------------------------------------------------------


@dataclass(slots=True)
class SnmpMessage:
    """One parsed SNMP message."""

    version: int
    """msgVersion: 0 = v1, 1 = v2c, 3 = v3."""
    community: bytes | None
    """Community string (v1/v2c only)."""
    v3_user: str | None
    """USM user name (v3 with USM security parameters, RFC 3414 §2.4)."""
    pdu_type: int | None
    """PDU tag; None for an encrypted v3 scoped PDU."""
    request_id: int | None
    """request-id (absent from a v1 Trap-PDU)."""
    error_status: int | None
    """error-status (for GetBulk: non-repeaters)."""
    error_index: int | None
    """error-index (for GetBulk: max-repetitions)."""
    oids: tuple[str, ...]
    """Names of the first varbinds."""
    values: tuple[str, ...]
    """Readable values of the first varbinds."""
    n_varbinds: int
    """Varbinds in the PDU."""
    trap_enterprise: str | None
    """v1 Trap-PDU: enterprise OID."""
    trap_agent_addr: str | None
    """v1 Trap-PDU: agent-addr."""
    trap_generic: int | None
    """v1 Trap-PDU: generic-trap."""
    trap_specific: int | None
    """v1 Trap-PDU: specific-trap."""


def _varbinds(ber: _Ber) -> tuple[tuple[str, ...], tuple[str, ...], int]:
    """VarBindList (RFC 3416 §3): SEQUENCE OF SEQUENCE { name OID, value }."""
    buf = ber.buf
    end = ber.enter()
    oids: list[str] = []
    values: list[str] = []
    n = 0
    while buf.tell() < end:
        item_end = ber.enter()
        name = ber.oid()
        value = _value_text(ber)
        if buf.tell() != item_end:
            raise TrailingJunk("varbind not used up", buf.tell())
        n += 1
        if n > SNMP_MAX_VARBINDS:
            raise LimitExceeded("too many varbinds", buf.tell())
        if len(oids) < SNMP_MAX_OIDS_KEPT:
            oids.append(name)
            values.append(value)
    if buf.tell() != end:
        raise TrailingJunk("varbind list overruns", buf.tell())
    return tuple(oids), tuple(values), n


def _pdu(ber: _Ber, version: int, community: bytes | None, user: str | None) -> SnmpMessage:
    buf = ber.buf
    pos = buf.tell()
    tag, _ = ber.header()
    buf.seek(pos)
    if tag not in _PDU_NAMES:
        raise BadValue(f"unknown PDU tag 0x{tag:02x}", pos)
    end = ber.enter(tag)
    if tag == PduType.TRAP_V1:  # RFC 1157 §4.1.6
        enterprise = ber.oid()
        agent = buf.pull_bytes(ber.expect(_IPADDRESS))
        generic = ber.integer()
        specific = ber.integer()
        ber.integer(_TIMETICKS)
        oids, values, n = _varbinds(ber)
        msg = SnmpMessage(
            version, community, user, tag, None, None, None, oids, values, n, enterprise,
            str(ipaddress.IPv4Address(agent)) if len(agent) == 4 else agent.hex(),
            generic, specific,
        )  # fmt: skip
    else:
        request_id = ber.integer()
        status = ber.integer()
        index = ber.integer()
        oids, values, n = _varbinds(ber)
        msg = SnmpMessage(
            version, community, user, tag, request_id, status, index, oids, values, n,
            None, None, None, None,
        )  # fmt: skip
    if buf.tell() != end:
        raise TrailingJunk("PDU not used up", buf.tell())
    return msg


def _v3(ber: _Ber) -> SnmpMessage:
    """SNMPv3Message (RFC 3412 §6): header, security parameters, scoped PDU."""
    buf = ber.buf
    end = ber.enter()  # msgGlobalData
    ber.integer()  # msgID
    ber.integer()  # msgMaxSize
    flags = ber.octets()  # msgFlags
    ber.integer()  # msgSecurityModel
    if buf.tell() != end:
        raise TrailingJunk("msgGlobalData not used up", buf.tell())
    params = ber.octets()
    user: str | None = None
    try:  # USM (RFC 3414 §2.4): SEQUENCE { engineID, boots, time, userName, auth, priv }
        inner = _Ber(Buffer(params))
        inner.enter()
        inner.octets()
        inner.integer()
        inner.integer()
        user = inner.octets().decode("utf-8", "replace")
    except ParseError:  # not USM: the user stays unknown, the message still counts
        user = None
    encrypted = bool(flags) and bool(flags[0] & 0x02)  # privFlag (RFC 3412 §6.4)
    pos = buf.tell()
    tag, length = ber.header()
    if encrypted or tag == _OCTETS:
        buf.skip(length)
        return SnmpMessage(3, None, user, None, None, None, None, (), (), 0, None, None, None, None)
    buf.seek(pos)
    scoped_end = ber.enter()  # ScopedPDU: contextEngineID, contextName, data
    ber.octets()
    ber.octets()
    msg = _pdu(ber, 3, None, user)
    if buf.tell() != scoped_end:
        raise TrailingJunk("ScopedPDU not used up", buf.tell())
    return msg


def parse_snmp(data: bytes) -> SnmpMessage:
    """Parse one whole SNMP message (the whole datagram: bytes after it are junk)."""
    buf = Buffer(data)
    ber = _Ber(buf)
    end = ber.enter()
    if end != len(data):
        raise TrailingJunk(f"message ends at {end} of {len(data)}", end)
    version = ber.integer()
    if version == 3:
        msg = _v3(ber)
    elif version in (0, 1):
        community = ber.octets()
        msg = _pdu(ber, version, community, None)
    else:
        raise BadValue(f"unknown SNMP version {version}", 2)
    if buf.tell() != end:
        raise TrailingJunk("message not used up", buf.tell())
    return msg


@dataclass(slots=True)
class SnmpRecord(Event):
    """One SNMP PDU."""

    table: ClassVar[str | None] = "snmp"

    from_orig: bool
    """Sent by the flow's originator."""
    version: int
    """msgVersion: 0 = v1, 1 = v2c, 3 = v3."""
    version_name: str
    """Readable twin of ``version`` (v1, v2c, v3)."""
    community: str | None
    """Community string, or :data:`REDACTED` (None for v3)."""
    community_default: bool | None
    """The community is a factory default ("public" or "private"); None for v3."""
    v3_user: str | None
    """USM user name (v3)."""
    pdu_type: int | None
    """PDU tag (0xA0..0xA8); None for an encrypted v3 PDU."""
    pdu_type_name: str | None
    """Readable twin of ``pdu_type`` (get_request, response, trap_v1, ...)."""
    request_id: int | None
    """request-id."""
    error_status: int | None
    """error-status (non-repeaters for get_bulk_request)."""
    error_status_name: str | None
    """Readable twin of ``error_status`` (None for get_bulk_request and traps)."""
    error_index: int | None
    """error-index (max-repetitions for get_bulk_request)."""
    oids: tuple[str, ...]
    """Names (OIDs) of the first varbinds."""
    values: tuple[str, ...]
    """Readable values of the same varbinds."""
    n_varbinds: int
    """Varbinds in the PDU."""
    trap_enterprise: str | None
    """v1 trap: enterprise OID."""
    trap_agent_addr: str | None
    """v1 trap: agent address."""
    trap_generic: int | None
    """v1 trap: generic-trap (0 coldStart .. 6 enterpriseSpecific)."""
    trap_generic_name: str | None
    """Readable twin of ``trap_generic`` (coldStart, linkDown, ...)."""
    trap_specific: int | None
    """v1 trap: specific-trap."""


def _plausible(p: bytes) -> bool:
    """SEQUENCE, definite length covering the datagram, INTEGER version 0/1/3, then an
    OCTET STRING (community) for v1/v2c or a SEQUENCE (msgGlobalData) for v3."""
    n = len(p)
    if n < 10 or p[0] != _SEQUENCE:
        return False
    first = p[1]
    if first < 0x80:
        length, off = first, 2
    elif first == 0x81:
        length, off = p[2], 3
    elif first == 0x82:
        length, off = (p[2] << 8) | p[3], 4
    else:
        return False
    if off + length != n or n < off + 5:
        return False
    if p[off] != _INTEGER or p[off + 1] != 1:
        return False
    version = p[off + 2]
    nxt = p[off + 3]
    if version in (0, 1):
        return nxt == _OCTETS
    return version == 3 and nxt == _SEQUENCE


class SnmpDissector(Dissector):
    """SNMP over UDP: one :class:`SnmpRecord` per datagram."""

    name: ClassVar[str] = "snmp"
    transports: ClassVar[frozenset[int]] = frozenset((IPPROTO_UDP,))
    datagrams_stand_alone: ClassVar[bool] = True
    ports: ClassVar[frozenset[int]] = frozenset((161, 162))
    first_bytes: ClassVar[frozenset[int] | None] = frozenset((_SEQUENCE,))
    """``matches``: a BER SEQUENCE (0x30) first."""
    show_passwords: ClassVar[bool] = False
    """Class-wide default of the ``show_passwords`` argument."""

    def __init__(self, proto: int, show_passwords: bool | None = None) -> None:
        super().__init__(proto)
        self._show = self.show_passwords if show_passwords is None else show_passwords

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """BER SEQUENCE spanning the datagram, version 0/1/3, community or v3 header."""
        if proto != IPPROTO_UDP:
            return False
        return _plausible(payload)

    def feed(self, data: bytes, from_orig: bool, ts_ns: int) -> list[Event]:
        """One datagram: one record."""
        msg = parse_snmp(bytes(data))
        community: str | None = None
        default: bool | None = None
        if msg.community is not None:
            default = msg.community in DEFAULT_COMMUNITIES
            community = msg.community.decode("utf-8", "replace") if self._show else REDACTED
        status = msg.error_status
        plain_status = msg.pdu_type not in (PduType.GET_BULK_REQUEST, PduType.TRAP_V1, None)
        return [
            SnmpRecord(
                ts_ns=ts_ns,
                from_orig=from_orig,
                version=msg.version,
                version_name=version_name(msg.version),
                community=community,
                community_default=default,
                v3_user=msg.v3_user,
                pdu_type=msg.pdu_type,
                pdu_type_name=pdu_type_name(msg.pdu_type) if msg.pdu_type is not None else None,
                request_id=msg.request_id,
                error_status=status,
                error_status_name=(
                    error_status_name(status) if status is not None and plain_status else None
                ),
                error_index=msg.error_index,
                oids=msg.oids,
                values=msg.values,
                n_varbinds=msg.n_varbinds,
                trap_enterprise=msg.trap_enterprise,
                trap_agent_addr=msg.trap_agent_addr,
                trap_generic=msg.trap_generic,
                trap_generic_name=(
                    generic_trap_name(msg.trap_generic) if msg.trap_generic is not None else None
                ),
                trap_specific=msg.trap_specific,
            )
        ]
