"""A small private BER/DER reader for the Kerberos and LDAP dissectors (ITU-T X.690).

Only what those protocols use: identifier octets (§8.1.2, high tag numbers included),
definite lengths (§8.1.3; the indefinite form is refused: RFC 4511 §5.1 and RFC 4120 §5.1
forbid it), INTEGER/ENUMERATED, OCTET STRING, BOOLEAN and GeneralizedTime values. Every
read is bounded: nesting depth, children per element, length octets and tag octets. Errors
are the wire :class:`~wirelens.wire.errors.ParseError` family.
"""

from __future__ import annotations

import calendar

from wirelens.wire.errors import BadValue, LimitExceeded, TrailingJunk, Truncated

__all__ = [
    "APPLICATION",
    "CONTEXT",
    "UNIVERSAL",
    "Tlv",
    "read_all",
    "read_tlv",
    "tlv_size",
]

ASN1_MAX_DEPTH = 32
"""Nesting depth of constructed elements read through :meth:`Tlv.children` (LDAP filters
and Kerberos messages need under 16; a deeper message is a recursion attack, cf. Zeek's
ldap-max-recursion trace)."""

ASN1_MAX_CHILDREN = 4096
"""Elements inside one constructed element (e.g. etypes, attributes, filter terms)."""

ASN1_MAX_LENGTH_OCTETS = 4
"""Octets of a long-form length: up to 4 GiB, far above any message these protocols send."""

ASN1_MAX_TAG_OCTETS = 4
"""Subsequent octets of a high tag number (28 bits); the protocols here use tags < 31."""

UNIVERSAL, APPLICATION, CONTEXT, PRIVATE = 0, 1, 2, 3
"""Tag classes (X.690 §8.1.2.2, the two high bits of the identifier octet)."""

INTEGER, OCTET_STRING, ENUMERATED, SEQUENCE, GENERALIZED_TIME = 2, 4, 10, 16, 24
BOOLEAN, BIT_STRING, GENERAL_STRING = 1, 3, 27


class Tlv:
    """One element: its identifier, its contents octets and where it was read.

    The contents stay in the buffer the message was read from (``_data[_start:_stop]``):
    :attr:`value` copies them out when asked, and :meth:`children` reads the inner elements
    in that same buffer, so a nested message is not copied once per level. Read-only."""

    __slots__ = ("_data", "_start", "_stop", "cls", "constructed", "depth", "offset", "tag")

    cls: int
    """Tag class: UNIVERSAL 0, APPLICATION 1, CONTEXT 2, PRIVATE 3."""
    constructed: bool
    """Constructed (holds elements) or primitive (holds a value)."""
    tag: int
    """Tag number."""
    offset: int
    """Offset of the identifier octet in the data it was read from (the contents of the
    enclosing element, or the data given to :func:`read_tlv` / :func:`read_all`)."""
    depth: int
    """Nesting depth (0 for a top-level element)."""

    def __init__(
        self, cls: int, constructed: bool, tag: int, data: bytes, start: int, stop: int,
        offset: int, depth: int = 0,
    ) -> None:  # fmt: skip
        self.cls = cls
        self.constructed = constructed
        self.tag = tag
        self._data = data
        self._start = start
        self._stop = stop
        self.offset = offset
        self.depth = depth

    @property
    def value(self) -> bytes:
        """Contents octets (a copy)."""
        return self._data[self._start : self._stop]

    def _key(self) -> tuple[int, bool, int, bytes, int, int]:
        return self.cls, self.constructed, self.tag, self.value, self.offset, self.depth

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Tlv) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return (f"Tlv(cls={self.cls}, constructed={self.constructed}, tag={self.tag}, "
                f"value={self.value!r}, offset={self.offset}, depth={self.depth})")  # fmt: skip

    def is_(self, cls: int, tag: int) -> bool:
        """True when the element has this class and tag number."""
        return self.cls == cls and self.tag == tag

    def expect(self, cls: int, tag: int, what: str) -> Tlv:
        """This element, or :class:`BadValue` when its class/tag is not the expected one."""
        if self.cls != cls or self.tag != tag:
            raise BadValue(
                f"{what}: expected class {cls} tag {tag}, got {self.cls}/{self.tag}", self.offset
            )
        return self

    def children(self) -> list[Tlv]:
        """The elements inside a constructed element (they must fill it exactly)."""
        if not self.constructed:
            raise BadValue("primitive element read as constructed", self.offset)
        if self.depth + 1 > ASN1_MAX_DEPTH:
            raise LimitExceeded("ASN.1 nesting too deep", self.offset)
        return _read_range(self._data, self._start, self._stop, self.depth + 1)

    def only_child(self, what: str) -> Tlv:
        """The single element inside an explicit tag (``[n] EXPLICIT``)."""
        if not self.constructed:
            raise BadValue("primitive element read as constructed", self.offset)
        if self.depth + 1 > ASN1_MAX_DEPTH:
            raise LimitExceeded("ASN.1 nesting too deep", self.offset)
        lo, hi = self._start, self._stop
        if lo < hi:  # the common case, one element filling the tag: read just that one
            child, end = _read_one(self._data, lo, lo, hi, self.depth + 1)
            if end == hi:
                return child
        kids = _read_range(self._data, lo, hi, self.depth + 1)  # raises as children() would
        raise BadValue(f"{what}: {len(kids)} elements inside an explicit tag", self.offset)

    def as_int(self) -> int:
        """A two's complement INTEGER/ENUMERATED value (X.690 §8.3)."""
        size = self._stop - self._start
        if self.constructed or not size:
            raise BadValue("empty or constructed INTEGER", self.offset)
        if size > 9:
            raise LimitExceeded("INTEGER longer than 9 octets", self.offset)
        return int.from_bytes(self.value, "big", signed=True)

    def as_bool(self) -> bool:
        """A BOOLEAN (X.690 §8.2: one octet, 0 is false)."""
        if self.constructed or self._stop - self._start != 1:
            raise BadValue("BOOLEAN is not one octet", self.offset)
        return self._data[self._start] != 0

    def as_text(self) -> str:
        """An OCTET STRING or character string as text (UTF-8, bad bytes escaped)."""
        if self.constructed:
            raise BadValue("constructed string (not allowed in DER/LDAP)", self.offset)
        return self.value.decode("utf-8", "backslashreplace")

    def as_time_ns(self) -> int:
        """A GeneralizedTime ``YYYYMMDDHHMMSS[.f]Z`` (UTC, X.680 §46) as ns since the epoch."""
        text = self.as_text()
        if len(text) < 15 or not text.endswith("Z") or not text[:14].isdigit():
            raise BadValue(f"GeneralizedTime {text[:32]!r}", self.offset)
        y, mo, d = int(text[0:4]), int(text[4:6]), int(text[6:8])
        h, mi, s = int(text[8:10]), int(text[10:12]), int(text[12:14])
        if not (1 <= mo <= 12 and 1 <= d <= 31 and h <= 23 and mi <= 59 and s <= 60):
            raise BadValue(f"GeneralizedTime {text!r} out of range", self.offset)
        frac = 0
        if len(text) > 15:
            digits = text[15:-1]
            if not digits or digits[0] not in ".," or not digits[1:10].isdigit():
                raise BadValue(f"GeneralizedTime fraction {text!r}", self.offset)
            frac = int(digits[1:10].ljust(9, "0"))
        return calendar.timegm((y, mo, d, h, mi, s, 0, 0, 0)) * 1_000_000_000 + frac


def _header(data: bytes, pos: int, lo: int, hi: int) -> tuple[int, bool, int, int, int]:
    """(class, constructed, tag, length, contents offset) of the element at ``pos`` in
    ``data[lo:hi]``; offsets in errors count from ``lo``."""
    if pos >= hi:
        raise Truncated("ASN.1 identifier missing", pos - lo)
    first = data[pos]
    cls, constructed, tag = first >> 6, bool(first & 0x20), first & 0x1F
    p = pos + 1
    if tag == 0x1F:  # high tag number form (X.690 §8.1.2.4)
        tag = 0
        for i in range(ASN1_MAX_TAG_OCTETS + 1):
            if i == ASN1_MAX_TAG_OCTETS:
                raise LimitExceeded("ASN.1 tag number too long", pos - lo)
            if p >= hi:
                raise Truncated("ASN.1 tag number cut short", p - lo)
            b = data[p]
            p += 1
            tag = (tag << 7) | (b & 0x7F)
            if not b & 0x80:
                break
    if p >= hi:
        raise Truncated("ASN.1 length missing", p - lo)
    n = data[p]
    p += 1
    if n == 0x80:
        raise BadValue("ASN.1 indefinite length", p - 1 - lo)
    if n & 0x80:
        count = n & 0x7F
        if count > ASN1_MAX_LENGTH_OCTETS:
            raise LimitExceeded(f"ASN.1 length of {count} octets", p - 1 - lo)
        if p + count > hi:
            raise Truncated("ASN.1 length cut short", p - lo)
        length = int.from_bytes(data[p : p + count], "big")
        p += count
    else:
        length = n
    return cls, constructed, tag, length, p


def tlv_size(data: bytes) -> int | None:
    """Total size (header + contents) of the element starting ``data``, or None when its
    header is not complete yet. Raises for an indefinite or oversized length."""
    try:
        _, _, _, length, start = _header(data, 0, 0, len(data))
    except Truncated:
        return None
    return start + length


def _read_one(data: bytes, pos: int, lo: int, hi: int, depth: int) -> tuple[Tlv, int]:
    """The element at ``pos`` in ``data[lo:hi]`` and the offset just after it."""
    first = data[pos] if pos < hi else 0x1F  # a missing identifier takes the slow path
    n = data[pos + 1] if pos + 1 < hi else 0x80
    if first & 0x1F != 0x1F and n < 0x80:  # low tag number, short length: read in place
        cls, constructed, tag, length, start = first >> 6, bool(first & 0x20), first & 0x1F, n, pos + 2
    else:
        cls, constructed, tag, length, start = _header(data, pos, lo, hi)
    stop = start + length
    if stop > hi:
        raise Truncated(f"ASN.1 element of {length} bytes, {hi - start} left", pos - lo)
    return Tlv(cls, constructed, tag, data, start, stop, pos - lo, depth), stop


def _read_range(data: bytes, lo: int, hi: int, depth: int) -> list[Tlv]:
    """Every element of ``data[lo:hi]``, which they must fill exactly (offsets from ``lo``)."""
    out: list[Tlv] = []
    pos = lo
    while pos < hi:
        if len(out) >= ASN1_MAX_CHILDREN:
            raise LimitExceeded("too many ASN.1 elements", pos - lo)
        tlv, pos = _read_one(data, pos, lo, hi, depth)
        out.append(tlv)
    if pos != hi:  # pragma: no cover - elements never go past the data
        raise TrailingJunk("ASN.1 elements overrun", pos - lo)
    return out


def read_tlv(data: bytes, pos: int = 0, depth: int = 0) -> tuple[Tlv, int]:
    """The element at ``pos`` and the offset just after it."""
    if type(data) is not bytes:
        data = bytes(data)  # elements keep a reference: not a buffer that may change
    return _read_one(data, pos, 0, len(data), depth)


def read_all(data: bytes, depth: int = 0) -> list[Tlv]:
    """Every element of ``data``, which they must fill exactly."""
    if type(data) is not bytes:
        data = bytes(data)
    return _read_range(data, 0, len(data), depth)
