"""DNS content test and query name (RFC 1035) as numba kernels.

Mirrors ``wirelens.dissect.dns``: ``_plausible_header`` (cheap header test), and, over UDP,
a whole-message parse (``parse_message``: every name, record and rdata block must parse; bytes
after the last record are ignored). Every read is checked against an explicit limit (kernels
run with bounds checking off); every loop is bounded by the data or by a named limit.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from wirelens.core.jit import kernel

DNS_MAX_NAME_LENGTH = 255  # RFC 1035 §2.3.4 (same value as wirelens.dissect.limits)
DNS_MAX_LABELS = 128
DNS_MAX_POINTERS = 64
DNS_MAX_RECORDS = 4096
DNS_MAX_MULTICAST_QUESTIONS = 64

_PLAIN_CHARS = (
    b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    b"-_*/+=~!#$%&'(),:;<>?@[]^`{|}\""
)
PLAIN = np.zeros(256, np.uint8)
"""1 for label bytes written as themselves; others are escaped ``\\DDD`` (RFC 4343 §2.1)."""
PLAIN[np.frombuffer(_PLAIN_CHARS, np.uint8)] = 1

# rdata layouts (RFC 1035 §3.3, RFC 3596, RFC 2782, RFC 6672)
_T_A, _T_NS, _T_CNAME, _T_SOA, _T_PTR, _T_MX, _T_TXT = 1, 2, 5, 6, 12, 15, 16
_T_AAAA, _T_SRV, _T_DNAME, _T_SPF = 28, 33, 39, 99


@kernel
def _u16(d: np.ndarray, p: int) -> np.int64:
    return (np.int64(d[p]) << 8) | np.int64(d[p + 1])


CUT_NAME, CUT_POINTER, CUT_LABEL = 1, 2, 3
"""How :func:`name_text` finds a name cut short by its limit (the checked reader's
``Truncated``): a length byte at the limit, a compression pointer cut, a label running
past it."""


@kernel
def name_text(d, base, pos, lim, out, o, cap, write):  # type: ignore[no-untyped-def]
    """Walk a possibly compressed name at ``pos`` (RFC 1035 §3.1, §4.1.4), as
    ``wirelens.dissect.dns_message._name_at`` reads it.

    Pointers are relative to the message start ``base`` and must point before the start of
    the label run containing them (strictly backwards: no loops). With ``write``, the dotted
    text goes to ``out[o:]`` (bytes outside :data:`PLAIN` as ``\\DDD``; the root as ``.``),
    never past ``cap``. Returns (cursor after the name, output position after the text, -1);
    for a name ``_name_at`` refuses, (-1, ``o``, 0), or when it is cut short by ``lim``
    (-1, the position of the cut, ``CUT_*``); (-1, ``o``, 0) also when the text would pass
    ``cap``.
    """
    run_start = pos
    wire_len: Any = 1  # numba int64 (local annotations are not evaluated)
    hops = 0
    resume = -1
    labels = 0
    o0 = o
    while True:
        if pos >= lim:
            return -1, pos, CUT_NAME
        n = np.int64(d[pos])
        if n == 0:
            pos += 1
            break
        kind = n & 0xC0
        if kind == 0xC0:
            if pos + 2 > lim:
                return -1, pos, CUT_POINTER
            target = base + (((n & 0x3F) << 8) | np.int64(d[pos + 1]))
            if target >= run_start:
                return -1, o0, 0
            hops += 1
            if hops > DNS_MAX_POINTERS:
                return -1, o0, 0
            if resume < 0:
                resume = pos + 2
            pos = target
            run_start = target
            continue
        if kind != 0:
            return -1, o0, 0
        wire_len += n + 1
        if wire_len > DNS_MAX_NAME_LENGTH:
            return -1, o0, 0
        if pos + 1 + n > lim:
            return -1, pos, CUT_LABEL
        labels += 1
        if labels > DNS_MAX_LABELS:
            return -1, o0, 0
        if write:
            if o + 1 + 4 * n > cap:
                return -1, o0, 0
            if labels > 1:
                out[o] = 46  # "."
                o += 1
            for j in range(pos + 1, pos + 1 + n):
                b = d[j]
                if PLAIN[b]:
                    out[o] = b
                    o += 1
                else:  # \DDD
                    v = np.int64(b)
                    out[o] = 92
                    out[o + 1] = 48 + v // 100
                    out[o + 2] = 48 + (v // 10) % 10
                    out[o + 3] = 48 + v % 10
                    o += 4
        pos += 1 + n
    if write and labels == 0:
        if o + 1 > cap:
            return -1, o0, 0
        out[o] = 46  # the root is "."
        o += 1
    return (resume if resume >= 0 else pos), o, -1


@kernel
def _read_name(d, base, pos, lim, out, o, write):  # type: ignore[no-untyped-def]
    """:func:`name_text` without the cut: (cursor after the name or -1 on error, output
    position after the dotted text when ``write``)."""
    p, e, _ = name_text(d, base, pos, lim, out, o, out.shape[0], write)
    return p, (e if p >= 0 else o)


@kernel
def _skip_record(d, base, pos, lim, out):  # type: ignore[no-untyped-def]
    """One resource record (RFC 1035 §4.1.3) with its rdata checked as dns.py reads it;
    returns the cursor after it or -1."""
    pos, _ = _read_name(d, base, pos, lim, out, 0, False)
    if pos < 0 or pos + 10 > lim:
        return -1
    rtype = _u16(d, pos)
    rdlen = _u16(d, pos + 8)
    pos += 10
    e = pos + rdlen
    if e > lim:
        return -1
    if rdlen == 0:  # no RDATA: an UPDATE's prerequisites and deletions (RFC 2136 §2.4-2.5)
        return e
    if rtype == _T_A:
        return e if rdlen == 4 else -1
    if rtype == _T_AAAA:
        return e if rdlen == 16 else -1
    if rtype == _T_NS or rtype == _T_CNAME or rtype == _T_PTR or rtype == _T_DNAME:
        p, _ = _read_name(d, base, pos, e, out, 0, False)
        return e if p == e else -1
    if rtype == _T_MX:  # PREFERENCE, EXCHANGE
        if pos + 2 > e:
            return -1
        p, _ = _read_name(d, base, pos + 2, e, out, 0, False)
        return e if p == e else -1
    if rtype == _T_SRV:  # PRIORITY WEIGHT PORT TARGET
        if pos + 6 > e:
            return -1
        p, _ = _read_name(d, base, pos + 6, e, out, 0, False)
        return e if p == e else -1
    if rtype == _T_SOA:  # MNAME RNAME and five 32-bit fields
        p, _ = _read_name(d, base, pos, e, out, 0, False)
        if p < 0:
            return -1
        p, _ = _read_name(d, base, p, e, out, 0, False)
        if p < 0 or p + 20 != e:
            return -1
        return e
    if rtype == _T_TXT or rtype == _T_SPF:  # <character-string>s
        p = pos
        while p < e:
            p += 1 + np.int64(d[p])
        return e if p == e else -1
    return e


@kernel
def _parse_message(d, base, lim, out):  # type: ignore[no-untyped-def]
    """Whole-message check as ``parse_message`` (RFC 1035 §4.1). Returns (end of the last
    record, or -1 when the message does not parse whole; the position of the name the
    dissector gives it, or -1). The name is the first question's, or with none the first
    answer's owner (an mDNS announcement); it stands when a later record is damaged or
    missing, as the dissector's read in part gives it, and not when a question is."""
    if base + 12 > lim:
        return -1, -1
    qd = _u16(d, base + 4)
    an = _u16(d, base + 6)
    rr = an + _u16(d, base + 8) + _u16(d, base + 10)
    pos = base + 12
    for _ in range(qd):
        pos, _ = _read_name(d, base, pos, lim, out, 0, False)
        if pos < 0 or pos + 4 > lim:
            return -1, -1
        pos += 4
    first = base + 12 if qd > 0 else -1
    for j in range(rr):  # (each record takes bytes: bounded by the message)
        pos = _skip_record(d, base, pos, lim, out)
        if pos < 0:
            return -1, first
        if j == 0 and qd == 0 and an > 0:
            first = base + 12
    if qd + rr > DNS_MAX_RECORDS:
        return -1, first
    return pos, first


@kernel
def _known_codes(flags):  # type: ignore[no-untyped-def]
    """dns.py ``_known_codes``: an opcode DNS has and an rcode up to 10."""
    opcode = (flags >> 11) & 0xF
    return (opcode <= 2 or opcode == 4 or opcode == 5) and (flags & 0xF) <= 10


@kernel
def _plausible(d, h, size, whole):  # type: ignore[no-untyped-def]
    """dns.py ``_plausible_header`` on the 12 header bytes at ``h`` (caller checked them)."""
    if size < 12:
        return False
    flags = _u16(d, h + 2)
    if not _known_codes(flags):
        return False
    opcode = (flags >> 11) & 0xF
    qd = _u16(d, h + 4)
    an = _u16(d, h + 6)
    other = _u16(d, h + 8) + _u16(d, h + 10)
    if 12 + qd * 5 + (an + other) * 11 > size:
        return False
    if not flags & 0x8000:
        if whole and opcode == 0 and qd >= 1 and qd <= DNS_MAX_MULTICAST_QUESTIONS:
            return True  # several questions and known answers (mDNS), whole parse required
        return qd == 1 and (an == 0 or opcode >= 4) and other <= 4
    return qd == 1 or (qd == 0 and an > 0)


@kernel
def _dns_match(d, s, n, tcp, out):  # type: ignore[no-untyped-def]
    """DNS content test of the payload ``d[s:s+n]``.

    Returns -2 (no match), -1 (DNS, no name) or the position of the name (the first
    question's; with none, the first answer's owner).
    UDP: plausible header and the whole datagram parses. TCP (RFC 1035 §4.2.2): 2-byte length
    then a plausible header; the name is given when the message is whole in the payload and
    parses exactly to its length or as far as its records go (:func:`_parse_message`), or, for
    a message continuing later, when its question parses.
    """
    end = s + n
    if tcp:
        if n < 14:
            return -2
        size = _u16(d, s)
        if not _plausible(d, s + 2, size, False):
            return -2
        base = s + 2
        if 2 + size <= n:
            stop, first = _parse_message(d, base, base + size, out)
            # whole, or damaged records or fewer than claimed (read as far as they go);
            # bytes after the last record are an error: no name
            return first if (stop == base + size or stop < 0) else -1
        if _u16(d, base + 4) != 1:
            return -1
        p, _ = _read_name(d, base, base + 12, end, out, 0, False)
        return base + 12 if (p >= 0 and p + 4 <= end) else -1
    if n < 12 or not _plausible(d, s, n, True):
        return -2
    stop, first = _parse_message(d, s, end, out)
    if stop < 0:
        return -2
    return first


@kernel
def _dns_cut_question(d, s, n, out):  # type: ignore[no-untyped-def]
    """dns.py ``DnsDissector.matches_on_own_port`` (asked on a DNS port when ``_dns_match``
    refused a UDP payload): a datagram holding fewer records than its header claims. Returns
    -2 (no match) or the position of its question's name (the dissector reads such a
    datagram as far as it goes, and names the flow by that question)."""
    if n < 17 or _u16(d, s + 4) != 1 or not _known_codes(_u16(d, s + 2)):
        return -2
    p, _ = _read_name(d, s, s + 12, s + n, out, 0, False)
    if p < 0 or p + 4 > s + n:
        return -2
    qclass = _u16(d, p + 2) & 0x7FFF
    if qclass == 1 or qclass == 3 or qclass == 4 or qclass == 254 or qclass == 255:
        return s + 12
    return -2
