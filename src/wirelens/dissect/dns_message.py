"""DNS messages (RFC 1035 §4): the type registries, the parsed message and its two
readers.

:func:`parse_message` reads a whole message with a fast reader over the bytes; anything
irregular hands it to the checked :class:`~wirelens.wire.buffer.Buffer` reader, whose error
is the one raised. Compression pointers (RFC 1035 §4.1.4) must point strictly backwards,
before the start of the label run that contains them, so loops are impossible; see
:mod:`.limits` for the other bounds. The dissector (:mod:`.dns`) pairs these messages into
transactions.
"""

from __future__ import annotations

import ipaddress
import socket
import struct
from dataclasses import dataclass, replace
from enum import IntEnum

from wirelens.dissect import limits
from wirelens.wire.buffer import Buffer
from wirelens.wire.errors import (
    BadPointer,
    BadValue,
    LimitExceeded,
    ParseError,
    Truncated,
    detached,
)

__all__ = [
    "DnsMessage",
    "Edns",
    "Opcode",
    "QClass",
    "QType",
    "Question",
    "Rcode",
    "ResourceRecord",
    "opcode_name",
    "parse_message",
    "qclass_name",
    "qtype_name",
    "rcode_name",
    "read_name",
]

class QType(IntEnum):
    """Resource record types (RFC 1035 §3.2.2 and later registrations)."""

    A = 1
    NS = 2
    CNAME = 5
    SOA = 6
    PTR = 12
    HINFO = 13
    MX = 15
    TXT = 16
    AAAA = 28
    SRV = 33
    NAPTR = 35
    DNAME = 39
    OPT = 41
    DS = 43
    RRSIG = 46
    NSEC = 47
    DNSKEY = 48
    NSEC3 = 50
    TLSA = 52
    SVCB = 64
    HTTPS = 65
    SPF = 99
    TKEY = 249
    TSIG = 250
    IXFR = 251
    AXFR = 252
    ANY = 255
    CAA = 257


class QClass(IntEnum):
    """Classes (RFC 1035 §3.2.4, RFC 2136 §1.3 for NONE)."""

    IN = 1
    CS = 2
    CH = 3
    HS = 4
    NONE = 254
    ANY = 255


class Rcode(IntEnum):
    """Header response codes (RFC 1035 §4.1.1, RFC 2136 §2.2)."""

    NOERROR = 0
    FORMERR = 1
    SERVFAIL = 2
    NXDOMAIN = 3
    NOTIMP = 4
    REFUSED = 5
    YXDOMAIN = 6
    YXRRSET = 7
    NXRRSET = 8
    NOTAUTH = 9
    NOTZONE = 10


class Opcode(IntEnum):
    """Header OPCODEs (RFC 1035 §4.1.1, RFC 1996 NOTIFY, RFC 2136 UPDATE, RFC 8490 DSO)."""

    QUERY = 0
    IQUERY = 1
    STATUS = 2
    NOTIFY = 4
    UPDATE = 5
    DSO = 6


_OTHER_TYPES = {
    3: "MD", 4: "MF", 7: "MB", 8: "MG", 9: "MR", 10: "NULL", 11: "WKS", 14: "MINFO", 17: "RP",
    18: "AFSDB", 19: "X25", 20: "ISDN", 21: "RT", 22: "NSAP", 23: "NSAP-PTR", 24: "SIG",
    25: "KEY", 26: "PX", 27: "GPOS", 29: "LOC", 30: "NXT", 31: "EID", 32: "NIMLOC", 34: "ATMA",
    36: "KX", 37: "CERT", 38: "A6", 40: "SINK", 42: "APL", 44: "SSHFP", 45: "IPSECKEY",
    49: "DHCID", 51: "NSEC3PARAM", 53: "SMIMEA", 55: "HIP", 56: "NINFO", 57: "RKEY",
    58: "TALINK", 59: "CDS", 60: "CDNSKEY", 61: "OPENPGPKEY", 62: "CSYNC", 63: "ZONEMD",
    100: "UINFO", 101: "UID", 102: "GID", 103: "UNSPEC", 104: "NID", 105: "L32", 106: "L64",
    107: "LP", 108: "EUI48", 109: "EUI64", 253: "MAILB", 254: "MAILA", 256: "URI", 258: "AVC",
    259: "DOA", 260: "AMTRELAY", 261: "RESINFO", 262: "WALLET", 32768: "TA", 32769: "DLV",
}
"""The other types of IANA's DNS RR TYPEs registry (names as registered)."""
_QTYPE_NAMES = {**_OTHER_TYPES, **{m.value: m.name for m in QType}}
_OPCODE_NAMES = {m.value: m.name for m in Opcode}
_QCLASS_NAMES = {m.value: m.name for m in QClass}
_RCODE_NAMES = {m.value: m.name for m in Rcode}


def qtype_name(code: int) -> str:
    """Readable twin of a type code (``TYPE<n>`` for unknown ones, RFC 3597 §5)."""
    name = _QTYPE_NAMES.get(code)
    return name if name is not None else f"TYPE{code}"


def qclass_name(code: int) -> str:
    """Readable twin of a class code; mDNS sets the top bit (RFC 6762 §5.4), which is kept."""
    name = _QCLASS_NAMES.get(code)
    return name if name is not None else f"CLASS{code}"


def opcode_name(code: int) -> str:
    """Readable twin of an OPCODE."""
    name = _OPCODE_NAMES.get(code)
    return name if name is not None else f"OPCODE{code}"


def rcode_name(code: int) -> str:
    """Readable twin of a response code."""
    name = _RCODE_NAMES.get(code)
    return name if name is not None else f"RCODE{code}"


@dataclass(slots=True)
class Question:
    """One entry of the question section (RFC 1035 §4.1.2)."""

    name: str
    """Domain name, labels joined by dots, without the trailing dot (``.`` for the root)."""
    qtype: int
    """QTYPE code."""
    qclass: int
    """QCLASS code."""


@dataclass(slots=True)
class ResourceRecord:
    """One resource record (RFC 1035 §4.1.3)."""

    name: str
    """Owner name."""
    rtype: int
    """TYPE code."""
    rclass: int
    """CLASS code (for OPT: the requestor's UDP payload size, RFC 6891 §6.1.2)."""
    ttl: int
    """Time to live in seconds."""
    text: str
    """Readable rdata (Zeek style: an address, a name, ``TXT <len> <text>``; hex if unknown)."""


@dataclass(slots=True)
class Edns:
    """What an OPT pseudo-record says (RFC 6891 §6.1.2-6.1.3)."""

    udp_size: int
    """Requestor's UDP payload size (the record's CLASS field)."""
    version: int
    """EDNS version (bits 16-23 of the TTL field)."""
    dnssec_ok: bool
    """DO bit (RFC 3225 §3: DNSSEC records wanted)."""
    ext_rcode: int
    """Upper 8 bits of the extended RCODE (bits 24-31 of the TTL field)."""


def _edns(rclass: int, ttl: int) -> Edns:
    return Edns(rclass, (ttl >> 16) & 0xFF, bool(ttl & 0x8000), ttl >> 24)


@dataclass(slots=True)
class DnsMessage:
    """A whole parsed DNS message."""

    trans_id: int
    """Transaction ID."""
    is_response: bool
    """QR bit."""
    opcode: int
    """OPCODE (0 query, 1 inverse, 2 status, 4 notify, 5 update)."""
    aa: bool
    """Authoritative answer."""
    tc: bool
    """Truncated."""
    rd: bool
    """Recursion desired."""
    ra: bool
    """Recursion available."""
    z: int
    """The header's three bits between RA and RCODE, ``(flags >> 4) & 7``: Z (reserved, RFC
    1035 §4.1.1), AD (authentic data, 2) and CD (checking disabled, 1; RFC 4035 §3.2)."""
    rcode: int
    """Response code (header part only)."""
    questions: tuple[Question, ...]
    """Question section."""
    answers: tuple[ResourceRecord, ...]
    """Answer section, for an UPDATE its prerequisite and update sections (at most
    ``DNS_MAX_ANSWERS_KEPT`` kept)."""
    n_authority: int
    """Records in the authority section (kept in ``authorities``)."""
    n_additional: int
    """Records in the additional section (parsed, not kept)."""
    edns: Edns | None
    """The first OPT pseudo-record of the additional section (RFC 6891 §6.1), if any."""
    end: int
    """Offset just after the last record (bytes beyond it were ignored)."""
    n_answer: int = 0
    """Records in the answer section (an UPDATE's prerequisites, RFC 2136 §2.4)."""
    cut: str | None = None
    """Why the message was read in part (:func:`parse_message` with ``partial``): it ended
    inside a record, or a record was damaged (:attr:`damage`)."""
    authorities: tuple[ResourceRecord, ...] = ()
    """Authority section (RFC 1035 §4.1: e.g. the zone's SOA of a negative answer, RFC 2308
    §3, or the NS records of a referral); empty for an UPDATE, whose authority section is its
    update section, shown in ``answers`` (at most ``DNS_MAX_ANSWERS_KEPT`` kept)."""
    damage: ParseError | None = None
    """The error of the damaged record a partial read stopped at (None: none, or the message
    only ended early)."""


# -- names ------------------------------------------------------------------------------------

_PLAIN = frozenset(
    b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_*/+=~!#$%&'(),:;<>?@[]^`{|}\""
)


_PLAIN_BYTES = bytes(sorted(_PLAIN))


def _label_text(raw: bytes) -> str:
    """A label as text; bytes outside the plain set are escaped ``\\DDD`` (RFC 4343 §2.1)."""
    if _PLAIN.issuperset(raw):
        return raw.decode("ascii")
    return "".join(chr(b) if b in _PLAIN else f"\\{b:03d}" for b in raw)


def read_name(buf: Buffer) -> str:
    """Read a possibly compressed domain name at the cursor (RFC 1035 §3.1, §4.1.4).

    A pointer must point before the start of the label run containing it (so each jump goes
    strictly backwards and loops are impossible); the cursor ends after the first pointer,
    or after the terminating zero label.
    """
    name, pos = _name_at(buf.data, buf.tell(), buf.end)[:2]
    buf.seek(pos)
    return name


def _name_at(
    data: bytes | memoryview, pos: int, limit: int
) -> tuple[str, int, int, int, int, int]:
    """The name starting at ``pos`` (reads stop at ``limit``), the offset after it (after
    the first pointer, or after the terminating zero label), the highest offset read, the
    pointers followed, its length on the wire once expanded (RFC 1035 §3.1: labels and
    their length octets, plus the zero label) and its label count. See :func:`read_name`."""
    run_start = top = pos
    labels: list[bytes] = []
    wire_len = 1
    hops = 0
    resume = -1
    while True:
        if pos >= limit:
            raise Truncated("name runs past the end", pos)
        n = data[pos]
        if n == 0:
            pos += 1
            break
        kind = n & 0xC0
        if kind == 0xC0:
            if pos + 2 > limit:
                raise Truncated("truncated compression pointer", pos)
            target = ((n & 0x3F) << 8) | data[pos + 1]
            if target >= run_start:
                raise BadPointer(f"compression pointer to {target} is not backwards", pos)
            if pos + 1 > top:
                top = pos + 1
            hops += 1
            if hops > limits.DNS_MAX_POINTERS:
                raise LimitExceeded("too many compression pointers", pos)
            if resume < 0:
                resume = pos + 2
            pos = run_start = target
            continue
        if kind:
            raise BadValue(f"unsupported label type 0x{kind:02x}", pos)
        wire_len += n + 1
        if wire_len > limits.DNS_MAX_NAME_LENGTH:
            raise LimitExceeded("name longer than 255 octets", pos)
        if pos + 1 + n > limit:
            raise Truncated("label runs past the end", pos)
        labels.append(bytes(data[pos + 1 : pos + 1 + n]))
        if len(labels) > limits.DNS_MAX_LABELS:
            raise LimitExceeded("too many labels", pos)
        pos += 1 + n
        if pos > top:
            top = pos  # the next byte is read too (a length, a pointer or the zero label)
    end = resume if resume >= 0 else pos
    return _labels_text(labels), end, top, hops, wire_len, len(labels)


def _labels_text(labels: list[bytes]) -> str:
    """Labels as a name's text: joined by dots, ``.`` for none (the root)."""
    if not labels:
        return "."
    raw = b".".join(labels)
    if len(raw.translate(None, _PLAIN_BYTES)) == len(labels) - 1:  # only the joining dots
        return raw.decode("ascii")
    return ".".join([_label_text(label) for label in labels])


# -- rdata ------------------------------------------------------------------------------------

_NAME_TYPES = frozenset((QType.NS, QType.CNAME, QType.PTR, QType.DNAME))


def _txt_text(buf: Buffer) -> str:
    """TXT rdata: one or more <character-string>s (RFC 1035 §3.3.14)."""
    parts = []
    while not buf.eof():
        raw = buf.pull_bytes(buf.pull_u8())
        text = raw.decode("utf-8", "backslashreplace")
        parts.append(f"TXT {len(raw)} {text}")
    return " ".join(parts)


def _rdata_text(buf: Buffer, rtype: int, length: int, owner: str) -> str:
    """Readable rdata of a record owned by ``owner``; the caller runs this inside
    ``pull_block(2)`` (RDLENGTH)."""
    if length == 0:  # no RDATA: an UPDATE's prerequisites and deletions (RFC 2136 §2.4-2.5)
        return ""
    if rtype == QType.A:
        return str(ipaddress.IPv4Address(buf.pull_bytes(4)))
    if rtype == QType.AAAA:
        return str(ipaddress.IPv6Address(buf.pull_bytes(16)))
    if rtype in _NAME_TYPES:
        return read_name(buf)
    if rtype == QType.MX:  # RFC 1035 §3.3.9: PREFERENCE, EXCHANGE
        buf.skip(2)
        return read_name(buf)
    if rtype == QType.SOA:  # RFC 1035 §3.3.13: MNAME RNAME SERIAL REFRESH RETRY EXPIRE MINIMUM
        mname = read_name(buf)
        read_name(buf)
        buf.skip(20)
        return mname
    if rtype == QType.SRV:  # RFC 2782: PRIORITY WEIGHT PORT TARGET
        buf.skip(6)
        return read_name(buf)
    if rtype in (QType.TXT, QType.SPF):
        return _txt_text(buf)
    if rtype == QType.RRSIG and length > 18:  # RFC 4034 §3.1, as Zeek writes it
        covered = buf.pull_u16()
        buf.skip(16)  # algorithm, labels, original TTL, expiration, inception, key tag
        signer = read_name(buf)
        buf.skip(buf.remaining)  # the signature
        return f"RRSIG {covered} {signer}"
    if rtype == QType.NSEC:  # RFC 4034 §4.1: next domain name, type bitmaps
        following = read_name(buf)
        buf.skip(buf.remaining)
        return f"NSEC {owner} {following}"
    raw = buf.pull_bytes(length)
    return _fixed_text(rtype, raw) or raw.hex()


def _fixed_text(rtype: int, raw: bytes) -> str | None:
    """Zeek's dns.log text for records of a fixed layout (what it writes, not their master
    file format): DNSKEY and DS name their algorithms, SSHFP its fingerprint, LOC its size
    and precision octets; NSEC3 and NSEC3PARAM their type only. None for anything else, or
    for rdata too short for its type (written as hex)."""
    n = len(raw)
    if rtype == _DNSKEY and n >= 4:  # RFC 4034 §2.1: flags, protocol, algorithm, key
        return f"DNSKEY {raw[3]}"
    if rtype == _DS and n >= 4:  # RFC 4034 §5.1: key tag, algorithm, digest type, digest
        return f"DS {raw[2]} {raw[3]}"
    if rtype == _SSHFP and n >= 2:  # RFC 4255 §3.1: algorithm, fingerprint type, fingerprint
        return f"SSHFP: {raw[2:].hex()}"
    if rtype == _LOC and n == 16 and raw[0] == 0:  # RFC 1876 §2: version 0, size, precisions
        return f"LOC:  {raw[1]} {raw[2]} {raw[3]}"
    if rtype == _NSEC3 and n >= 5:  # RFC 5155 §3.2
        return "NSEC3"
    if rtype == _NSEC3PARAM and n >= 5:  # RFC 5155 §4.2
        return "NSEC3PARAM"
    return None


# -- messages ---------------------------------------------------------------------------------


def _read_record(buf: Buffer) -> ResourceRecord:
    name = read_name(buf)
    rtype = buf.pull_u16()
    rclass = buf.pull_u16()
    ttl = buf.pull_u32()
    with buf.pull_block(2) as length:
        text = _rdata_text(buf, rtype, length, name)
    return ResourceRecord(name, rtype, rclass, ttl, text)


def parse_message(data: bytes | bytearray | memoryview, partial: bool = False) -> DnsMessage:
    """Parse one whole DNS message (RFC 1035 §4.1). Bytes after the last record are ignored
    (their start is :attr:`DnsMessage.end`). With ``partial``, a message ending inside its
    records (a capture's snap length cut it, or its header claims more records than it holds,
    even past ``DNS_MAX_RECORDS``) or with a damaged record (a bad label, a pointer loop, an
    RDATA that overruns its length) is read as far as it goes: header, questions and the whole
    records before the cut or the damage, with ``cut`` saying where it ended and ``damage``
    the damaged record's error (as Zeek reads such a response: its question stays known);
    damage in the header or the questions, and a message that ends before its records, raise
    all the same.

    The work is done by a fast reader over the bytes; whenever it finds anything wrong, the
    message is parsed again by the cursor-based reader, whose :class:`ParseError` (type,
    message, offset) is the one raised. Both give the same message (differential tests). (A
    message read in part costs the fast reader, which fails at the cut, and the checked
    reader's view of that one record, :func:`_cut_at`.)
    """
    try:
        return _parse_fast(data if type(data) is bytes else bytes(data), partial)
    except _HAND_OVER:
        pass
    return _parse_checked(data, partial)


class _Slow(Exception):
    """Internal: the fast reader hands over to the cursor-based one (for its exact error)."""


_HAND_OVER = (ParseError, _Slow, struct.error, IndexError)
"""What the fast reader raises to hand a message over to the checked one."""


_HEADER = struct.Struct(">HHHHHH")
_QUESTION_TAIL = struct.Struct(">HH")
_RR_FIXED = struct.Struct(">HHIH")  # TYPE CLASS TTL RDLENGTH (RFC 1035 §4.1.3)
_A, _AAAA, _MX, _SOA, _SRV = QType.A, QType.AAAA, QType.MX, QType.SOA, QType.SRV
_RRSIG, _NSEC = QType.RRSIG, QType.NSEC
_DNSKEY, _DS, _NSEC3 = QType.DNSKEY, QType.DS, QType.NSEC3
_LOC, _SSHFP, _NSEC3PARAM = 29, 44, 51  # RFC 1876, RFC 4255, RFC 5155 (not in QType)
_OPT = int(QType.OPT)
_MAX_POINTERS = limits.DNS_MAX_POINTERS
_MAX_NAME_LENGTH = limits.DNS_MAX_NAME_LENGTH
_MAX_LABELS = limits.DNS_MAX_LABELS
_TXT_TYPES = frozenset((QType.TXT, QType.SPF))


_Seen = dict[int, tuple[str, int, int, int, int]]
"""Names read so far in one message: offset -> (text, highest offset read, pointers
followed, length on the wire, labels), as :func:`_name_at` gives them."""


def _label_run(data: bytes, pos: int, limit: int) -> tuple[list[bytes], int, int]:
    """The labels from ``pos`` up to the first byte that is not a label length, that byte's
    offset and value: 0 (the zero label), a pointer (``>= 0xC0``) or a reserved label type.
    When the labels reach ``limit`` the value is the last label's length (not 0, < 0x40)."""
    labels: list[bytes] = []
    end = pos
    n = data[pos]
    while n and n < 0x40:  # a label of n octets
        end += 1 + n
        labels.append(data[end - n : end])
        if end >= limit:
            break
        n = data[end]
    return labels, end, n


def _known_name(data: bytes, target: int, limit: int, seen: _Seen) -> tuple[str, int, int, int, int] | None:
    """The remembered name at ``target`` (a pointer's target before the name that holds the
    pointer), else the name there if it is a run of labels ending with the zero label within
    ``limit`` (then remembered; a pointer into a name read before, to its last labels, is
    that). None otherwise."""
    known = seen.get(target)
    if known is None:
        labels, end, n = _label_run(data, target, limit)
        if n or end - target >= _MAX_NAME_LENGTH or len(labels) > _MAX_LABELS:
            return None
        known = seen[target] = (_labels_text(labels), end, 0, end - target + 1, len(labels))
    return known


def _name_fast(data: bytes, pos: int, limit: int, seen: _Seen) -> tuple[str, int]:
    """:func:`_name_at` for the fast reader, remembering each name by its offset.

    The usual shapes are read here directly: a run of labels ending with the zero label (a
    question's name); a compression pointer (RFC 1035 §4.1.4) to such a run or to a
    remembered name, alone (the usual ``c0 0c``) or after a run of labels (``www`` +
    ``c0 0c``). Reading on from the target is the very walk done there before, so the
    target's name is taken when that walk stayed below ``limit``, one more pointer is
    allowed, and the whole name keeps within the length and label limits. Anything else,
    or anything wrong, is read by :func:`_name_at` (whose error is the one raised).
    """
    if pos < limit:
        if data[pos] >= 0xC0:  # a pointer alone
            labels: list[bytes] = []
            end, n = pos, data[pos]
        else:
            labels, end, n = _label_run(data, pos, limit)
            if not n:  # the zero label (at ``end < limit``)
                if end - pos < _MAX_NAME_LENGTH and len(labels) <= _MAX_LABELS:
                    text = _labels_text(labels)
                    seen[pos] = (text, end, 0, end - pos + 1, len(labels))
                    return text, end + 1
        if n >= 0xC0 and end + 2 <= limit:  # labels (or none), then a pointer
            target = ((n & 0x3F) << 8) | data[end + 1]
            known = _known_name(data, target, limit, seen) if target < pos else None
            if (
                known is not None
                and known[1] < limit
                and known[2] < _MAX_POINTERS
                and end - pos + known[3] <= _MAX_NAME_LENGTH
                and len(labels) + known[4] <= _MAX_LABELS
            ):
                if not labels:
                    return known[0], end + 2  # (not remembered: a pointer to it is rare)
                text = _labels_text(labels)
                if known[4]:  # not the root
                    text += "." + known[0]
                top = max(end + 1, known[1])  # (the walk at the target may pass ``pos``)
                seen[pos] = (text, top, known[2] + 1, end - pos + known[3], len(labels) + known[4])
                return text, end + 2
    text, end, top, hops, wire_len, n_labels = _name_at(data, pos, limit)
    seen[pos] = (text, top, hops, wire_len, n_labels)
    return text, end


def _utf8_text(raw: bytes) -> str:
    """``raw.decode("utf-8", "backslashreplace")``, faster on binary text (DNSCrypt
    certificates, keys): that error handler is called once per bad byte run, slowly.

    Decoding with ``surrogateescape`` (done in C) turns each byte outside a valid UTF-8
    sequence into one surrogate U+DC80-U+DCFF, exactly the bytes ``backslashreplace`` writes
    as ``\\xhh``; encoding those with ``backslashreplace`` gives ``\\udchh``, rewritten to
    ``\\xhh``. Valid UTF-8 never decodes to such a surrogate, so only a literal ``\\udc``
    in ``raw`` could be rewritten wrongly: that rare case takes the plain decode.
    """
    if raw.isascii():
        return raw.decode("ascii")
    if b"\\udc" in raw:
        return raw.decode("utf-8", "backslashreplace")
    text = raw.decode("utf-8", "surrogateescape")
    return text.encode("utf-8", "backslashreplace").replace(b"\\udc", b"\\x").decode("utf-8")


def _ipv6_text(raw: bytes) -> str:
    """``str(ipaddress.IPv6Address(raw))``, by the C ``inet_ntop`` (about 15 times faster):
    both write RFC 5952 text, except that ``inet_ntop`` writes an IPv4-mapped or -compatible
    address with a dotted quad (``::ffff:1.2.3.4``), which ``ipaddress`` does not; those
    take ``ipaddress``."""
    text = socket.inet_ntop(socket.AF_INET6, raw)
    return text if "." not in text else str(ipaddress.IPv6Address(raw))


def _rdata_fast(data: bytes, rtype: int, pos: int, end: int, seen: _Seen, owner: str) -> str:
    """What :func:`_rdata_text` returns for the rdata ``data[pos:end]``; raises (to hand
    over to the checked reader) unless the rdata is used up exactly."""
    if end == pos:  # no RDATA (RFC 2136 §2.4-2.5), as _rdata_text
        return ""
    if rtype == _A:
        if end - pos != 4:
            raise _Slow
        return f"{data[pos]}.{data[pos + 1]}.{data[pos + 2]}.{data[pos + 3]}"
    if rtype == _AAAA:
        if end - pos != 16:
            raise _Slow
        return _ipv6_text(data[pos:end])
    if rtype in _NAME_TYPES:
        text, pos = _name_fast(data, pos, end, seen)
    elif rtype == _MX:  # RFC 1035 §3.3.9: PREFERENCE, EXCHANGE
        if pos + 2 > end:
            raise _Slow
        text, pos = _name_fast(data, pos + 2, end, seen)
    elif rtype == _SOA:  # RFC 1035 §3.3.13: MNAME RNAME and five 32-bit numbers
        text, pos = _name_fast(data, pos, end, seen)
        pos = _name_fast(data, pos, end, seen)[1] + 20
    elif rtype == _SRV:  # RFC 2782: PRIORITY WEIGHT PORT TARGET
        if pos + 6 > end:
            raise _Slow
        text, pos = _name_fast(data, pos + 6, end, seen)
    elif rtype in _TXT_TYPES:  # RFC 1035 §3.3.14
        parts = []
        while pos < end:
            n = data[pos]
            pos += 1 + n
            if pos > end:
                raise _Slow
            parts.append(f"TXT {n} {_utf8_text(data[pos - n : pos])}")
        text = " ".join(parts)
    elif rtype == _RRSIG and end - pos > 18:  # RFC 4034 §3.1: type covered ... signer
        signer = _name_fast(data, pos + 18, end, seen)[0]
        return f"RRSIG {data[pos] << 8 | data[pos + 1]} {signer}"
    elif rtype == _NSEC:  # RFC 4034 §4.1: next domain name, type bitmaps
        return f"NSEC {owner} {_name_fast(data, pos, end, seen)[0]}"
    else:
        raw = data[pos:end]
        return _fixed_text(rtype, raw) or raw.hex()
    if pos != end:
        raise _Slow
    return text


_UPDATE = 5
"""OPCODE of a dynamic update (RFC 2136): its question is the zone; the prerequisite and
update sections (where a query has answer and authority) hold the records it changes."""


def _shown(flags: int, an: int, ns: int) -> int:
    """How many records after the questions a row shows as ``answers``: the answer section,
    or for an UPDATE its prerequisite and update sections (RFC 2136 §2.2)."""
    return an + ns if (flags >> 11) & 0xF == _UPDATE else an


def _authority_end(flags: int, an: int, ns: int) -> int:
    """Index (in record order) after the last record kept as an authority: the authority
    section follows the answers (none for an UPDATE, see :attr:`DnsMessage.authorities`)."""
    return an if (flags >> 11) & 0xF == _UPDATE else an + ns


def _message(trans_id: int, flags: int, questions: list[Question],
             answers: list[ResourceRecord], ns: int, ar: int, edns: Edns | None,
             end: int, an: int, authorities: list[ResourceRecord]) -> DnsMessage:
    """The message both readers build from the header flags (RFC 1035 §4.1.1) and sections."""
    return DnsMessage(  # positional, in field order (cheaper than keywords on a hot path)
        trans_id,
        bool(flags & 0x8000),  # is_response (QR)
        (flags >> 11) & 0xF,  # opcode
        bool(flags & 0x0400),  # aa
        bool(flags & 0x0200),  # tc
        bool(flags & 0x0100),  # rd
        bool(flags & 0x0080),  # ra
        (flags >> 4) & 7,  # z
        flags & 0xF,  # rcode
        tuple(questions),
        tuple(answers),
        ns,  # n_authority
        ar,  # n_additional
        edns,
        end,
        an,  # n_answer
        None,  # cut
        tuple(authorities),
    )


def _parse_fast(data: bytes, partial: bool = False) -> DnsMessage:
    """:func:`parse_message` over bytes with plain indexing; raises on anything wrong. With
    ``partial``, a record that the data ends inside gives the message as far as it goes
    (:func:`_cut_at`)."""
    size = len(data)
    trans_id, flags, qd, an, ns, ar = _HEADER.unpack_from(data, 0)
    if qd + an + ns + ar > limits.DNS_MAX_RECORDS and not partial:
        raise _Slow
    pos = 12
    seen: _Seen = {}
    questions = []
    for _ in range(qd):
        qname, pos = _name_fast(data, pos, size, seen)
        qtype, qclass = _QUESTION_TAIL.unpack_from(data, pos)
        pos += 4
        questions.append(Question(qname, qtype, qclass))
    answers: list[ResourceRecord] = []
    authorities: list[ResourceRecord] = []
    kept = min(_shown(flags, an, ns), limits.DNS_MAX_ANSWERS_KEPT)
    auth_end = min(_authority_end(flags, an, ns), an + limits.DNS_MAX_ANSWERS_KEPT)
    edns: Edns | None = None
    for i in range(an + ns + ar):
        at = pos
        try:
            name, pos = _name_fast(data, pos, size, seen)
            rtype, rclass, ttl, length = _RR_FIXED.unpack_from(data, pos)
            pos += 10
            end = pos + length
            if end > size:
                raise _Slow
            text = _rdata_fast(data, rtype, pos, end, seen, name)
        except _HAND_OVER:
            if not partial:
                raise
            cut = _cut_at(data, at, f"record {i + 1} of {an + ns + ar}")
            msg = _message(trans_id, flags, questions, answers, ns, ar, edns, at, an, authorities)
            return replace(msg, cut=cut)
        pos = end
        if i < kept:
            answers.append(ResourceRecord(name, rtype, rclass, ttl, text))
        elif i < auth_end:
            if i >= an:
                authorities.append(ResourceRecord(name, rtype, rclass, ttl, text))
        elif rtype == _OPT and edns is None and i >= an + ns:
            edns = _edns(rclass, ttl)
    return _message(trans_id, flags, questions, answers, ns, ar, edns, pos, an, authorities)


def _cut_at(data: bytes, at: int, which: str) -> str:
    """Why the record at ``at``, where the fast reader stopped, ends the message read in
    part: the checked reader's :class:`Truncated` on that record alone (the records before
    it read the same either way); raises :class:`_Slow` when that record is damaged
    otherwise, or whole (then the checked reader decides, from the start)."""
    buf = Buffer(data)
    buf.seek(at)
    try:
        _read_record(buf)
    except Truncated as exc:
        return f"ends inside {which} ({exc})"
    except ParseError:
        pass
    raise _Slow


def _parse_checked(data: bytes | bytearray | memoryview, partial: bool = False) -> DnsMessage:
    """The cursor-based reader: every read bounds-checked, every RDATA in its own block.
    Slower; it is the reference of :func:`_parse_fast` and gives the exact error. With
    ``partial``, a message that ends inside its records keeps the records before (see
    :func:`parse_message`)."""
    buf = Buffer(data)
    trans_id = buf.pull_u16()
    flags = buf.pull_u16()
    qd = buf.pull_u16()
    an = buf.pull_u16()
    ns = buf.pull_u16()
    ar = buf.pull_u16()
    if qd + an + ns + ar > limits.DNS_MAX_RECORDS and not partial:  # (a partial read stops
        raise LimitExceeded(f"{qd + an + ns + ar} records claimed", 4)  # where the data ends)
    questions = []
    for _ in range(qd):
        qname = read_name(buf)
        questions.append(Question(qname, buf.pull_u16(), buf.pull_u16()))
    answers: list[ResourceRecord] = []
    authorities: list[ResourceRecord] = []
    kept = min(_shown(flags, an, ns), limits.DNS_MAX_ANSWERS_KEPT)
    auth_end = min(_authority_end(flags, an, ns), an + limits.DNS_MAX_ANSWERS_KEPT)
    edns: Edns | None = None
    for i in range(an + ns + ar):
        at = buf.tell()
        try:
            rr = _read_record(buf)
        except ParseError as exc:
            if not partial:
                raise
            msg = _message(trans_id, flags, questions, answers, ns, ar, edns, at, an, authorities)
            if isinstance(exc, Truncated):
                return replace(msg, cut=f"ends inside record {i + 1} of {an + ns + ar} ({exc})")
            return replace(msg, cut=f"record {i + 1} of {an + ns + ar} damaged ({exc})",
                           damage=detached(exc))
        if i < kept:
            answers.append(rr)
        elif i < auth_end:
            if i >= an:
                authorities.append(rr)
        elif rr.rtype == QType.OPT and edns is None and i >= an + ns:
            edns = _edns(rr.rclass, rr.ttl)
    return _message(trans_id, flags, questions, answers, ns, ar, edns, buf.tell(), an,
                    authorities)
