"""The compiled DNS message reader of the DPI stage's DNS fast path
(:mod:`wirelens.pipeline.dns_fast`): one call reads a batch's DNS datagrams into arrays and a
text arena, with the texts :func:`wirelens.dissect.dns_message.parse_message` gives.

It reads a datagram as ``parse_message(data, partial=True)`` does (the first question kept;
a datagram a snap length cut inside a record keeps the records before it, and says where and
how it ends in the checked reader's words), and declines what it cannot render exactly as
that function does (the datagram then goes to the Python dissector, which reads it, or raises
its error): no question, an UPDATE (RFC 2136: its sections mean something else), a question
cut short, rdata that does not parse or is not used up, a text that would not fit the arena.
Names follow the rules of ``dns_message._name_at`` (:func:`~wirelens.identify._dns.name_text`:
pointers strictly backwards, at most ``DNS_MAX_POINTERS`` of them, 255 octets,
``DNS_MAX_LABELS`` labels, bytes outside the plain set written ``\\DDD``); rdata the texts of
``dns_message._rdata_text``. The Python reader is the reference: differential tests compare
both on every DNS datagram of the shared captures and on mutated and random ones.
"""

from __future__ import annotations

import numba
import numpy as np

from wirelens.core.jit import KERNEL_OPTIONS, kernel
from wirelens.dissect import limits
from wirelens.identify._dns import name_text

_KEPT = limits.DNS_MAX_ANSWERS_KEPT

# message columns (``msg[m, ...]``)
M_OK, M_ID, M_FLAGS, M_QTYPE, M_QCLASS, M_QNAME_A, M_QNAME_B = 0, 1, 2, 3, 4, 5, 6
M_REC, M_ANSWERS, M_AUTHORITIES, M_EDNS_SIZE, M_EDNS_TTL = 7, 8, 9, 10, 11
M_CUT, M_CUT_RECORD, M_CUT_TOTAL, M_CUT_NEED, M_CUT_AT, M_CUT_LEFT = 12, 13, 14, 15, 16, 17
MSG_COLUMNS = 18
"""``msg`` columns: read (1) or declined (0); id; flags; the first question's type, class and
text span in the arena; first kept record, answers and authorities kept; the first OPT
record's class (-1: none) and TTL (RFC 6891 §6.1.2); how the message ends inside a record
(``CUT_*``, 0: it does not), which record (from 0) of how many, the bytes needed (the block's
length for ``CUT_BLOCK``), where and the bytes left there."""
# record columns (``rec[r, ...]``): kept answers, then kept authorities, of each message
R_TYPE, R_TTL, R_NAME_A, R_NAME_B, R_TEXT_A, R_TEXT_B = 0, 1, 2, 3, 4, 5
REC_COLUMNS = 6

_DOT, _BACKSLASH, _SPACE, _COLON, _ZERO = 46, 92, 32, 58, 48
_HEX = np.frombuffer(b"0123456789abcdef", np.uint8)


CUT_NEED, CUT_BLOCK = 4, 5
"""How a message ends inside a record (``msg[m, M_CUT]``), as the checked reader's
:class:`~wirelens.wire.errors.Truncated` says it: a name cut short (``CUT_NAME``,
``CUT_POINTER``, ``CUT_LABEL`` of :func:`~wirelens.identify._dns.name_text`), a fixed field
needing more bytes, the rdata block going past the end."""


@numba.njit(**KERNEL_OPTIONS)
def _name(data, base, pos, limit, arena, apos, cap):  # type: ignore[no-untyped-def]
    """:func:`~wirelens.identify._dns.name_text` at ``pos`` of the message at ``data[base:]``
    (``pos``, ``limit`` and what is returned relative to the message) into ``arena``:
    (offset after the name, arena offset after its text, -1), or -1 first when it is refused
    (then the offset of a cut, ``CUT_*``; or ``apos``, 0)."""
    after, got, kind = name_text(data, base, base + pos, base + limit, arena, apos, cap, True)
    if after >= 0:
        return after - base, got, -1
    return -1, (got - base if kind > 0 else apos), kind


@numba.njit(**KERNEL_OPTIONS)
def _decimal(arena, apos, cap, value):  # type: ignore[no-untyped-def]
    """``value`` (>= 0) in decimal at ``apos``; the offset after it, or -1 when full."""
    if apos + 20 > cap:
        return -1
    digits = 1
    v = value
    while v >= 10:
        v //= 10
        digits += 1
    for k in range(digits - 1, -1, -1):
        arena[apos + k] = _ZERO + value % 10
        value //= 10
    return apos + digits


@numba.njit(**KERNEL_OPTIONS)
def _text(arena, apos, cap, text):  # type: ignore[no-untyped-def]
    """The bytes ``text`` at ``apos``; the offset after them, or -1 when full."""
    if apos + text.shape[0] > cap:
        return -1
    for k in range(text.shape[0]):
        arena[apos + k] = text[k]
    return apos + text.shape[0]


@numba.njit(**KERNEL_OPTIONS)
def _hex(data, a, b, arena, apos, cap):  # type: ignore[no-untyped-def]
    """``data[a:b].hex()`` at ``apos``; the offset after it, or -1 when full."""
    if apos + 2 * (b - a) > cap:
        return -1
    for j in range(a, b):
        arena[apos] = _HEX[data[j] >> 4]
        arena[apos + 1] = _HEX[data[j] & 15]
        apos += 2
    return apos


@numba.njit(**KERNEL_OPTIONS)
def _hextet(arena, apos, value):  # type: ignore[no-untyped-def]
    """``f"{value:x}"`` at ``apos`` (room checked by the caller)."""
    started = False
    for shift in (12, 8, 4, 0):
        d = (value >> shift) & 15
        if d or started or shift == 0:
            arena[apos] = _HEX[d]
            apos += 1
            started = True
    return apos


@numba.njit(**KERNEL_OPTIONS)
def _ipv6(data, at, arena, apos, cap):  # type: ignore[no-untyped-def]
    """The 16 bytes at ``data[at:]`` as ``str(ipaddress.IPv6Address)`` writes them (RFC 5952:
    the first longest run of two or more zero groups is ``::``)."""
    if apos + 41 > cap:
        return -1
    words = np.empty(8, np.int64)
    for i in range(8):
        words[i] = (int(data[at + 2 * i]) << 8) | int(data[at + 2 * i + 1])
    best, best_len, start, run = -1, 0, -1, 0
    for i in range(8):
        if words[i] == 0:
            run += 1
            if start < 0:
                start = i
            if run > best_len:
                best, best_len = start, run
        else:
            run, start = 0, -1
    if best_len < 2:
        best, best_len = 8, 0
    for i in range(best):
        if i:
            arena[apos] = _COLON
            apos += 1
        apos = _hextet(arena, apos, words[i])
    if best_len:
        arena[apos] = _COLON
        arena[apos + 1] = _COLON
        apos += 2
        for i in range(best + best_len, 8):
            if i > best + best_len:
                arena[apos] = _COLON
                apos += 1
            apos = _hextet(arena, apos, words[i])
    return apos


@numba.njit(**KERNEL_OPTIONS)
def _utf8_length(data, j, end):  # type: ignore[no-untyped-def]
    """Length of the well-formed UTF-8 sequence at ``data[j]`` (Unicode Table 3-7: no
    overlong forms, no surrogates, nothing past U+10FFFF), 0 if there is none."""
    b = data[j]
    if b < 0x80:
        return 1
    if 0xC2 <= b <= 0xDF:
        n, lo, hi = 2, 0x80, 0xBF
    elif b == 0xE0:
        n, lo, hi = 3, 0xA0, 0xBF
    elif 0xE1 <= b <= 0xEC or 0xEE <= b <= 0xEF:
        n, lo, hi = 3, 0x80, 0xBF
    elif b == 0xED:
        n, lo, hi = 3, 0x80, 0x9F
    elif b == 0xF0:
        n, lo, hi = 4, 0x90, 0xBF
    elif 0xF1 <= b <= 0xF3:
        n, lo, hi = 4, 0x80, 0xBF
    elif b == 0xF4:
        n, lo, hi = 4, 0x80, 0x8F
    else:
        return 0
    if j + n > end or not lo <= data[j + 1] <= hi:
        return 0
    for k in range(j + 2, j + n):
        if not 0x80 <= data[k] <= 0xBF:
            return 0
    return n


@numba.njit(**KERNEL_OPTIONS)
def _utf8(data, a, b, arena, apos):  # type: ignore[no-untyped-def]
    """``data[a:b].decode("utf-8", "backslashreplace")`` (as UTF-8) at ``apos`` (room for
    four bytes per byte checked by the caller): each byte outside a well-formed sequence is
    written ``\\xhh`` (what that error handler writes for the bytes of each bad run)."""
    j = a
    while j < b:
        n = _utf8_length(data, j, b)
        if n == 0:
            arena[apos] = _BACKSLASH
            arena[apos + 1] = 120  # x
            arena[apos + 2] = _HEX[data[j] >> 4]
            arena[apos + 3] = _HEX[data[j] & 15]
            apos += 4
            j += 1
        else:
            for k in range(j, j + n):
                arena[apos] = data[k]
                apos += 1
            j += n
    return apos


_RRSIG_TEXT = np.frombuffer(b"RRSIG ", np.uint8)
_NSEC_TEXT = np.frombuffer(b"NSEC ", np.uint8)
_TXT_TEXT = np.frombuffer(b"TXT ", np.uint8)
_DNSKEY_TEXT = np.frombuffer(b"DNSKEY ", np.uint8)
_DS_TEXT = np.frombuffer(b"DS ", np.uint8)
_SSHFP_TEXT = np.frombuffer(b"SSHFP: ", np.uint8)
_LOC_TEXT = np.frombuffer(b"LOC:  ", np.uint8)
_NSEC3_TEXT = np.frombuffer(b"NSEC3", np.uint8)
_NSEC3PARAM_TEXT = np.frombuffer(b"NSEC3PARAM", np.uint8)


@numba.njit(**KERNEL_OPTIONS)
def _rdata(data, base, rtype, pos, end, mapped_declined, arena, apos, cap,  # type: ignore[no-untyped-def]
           owner_a, owner_b):
    """The text of the rdata at ``pos:end`` of a record whose owner's text is
    ``arena[owner_a:owner_b]``, written at ``apos``: the arena offset after it, or -1 to
    decline the message."""
    n = end - pos
    if n == 0:  # no RDATA: empty text (RFC 2136 §2.4-2.5)
        return apos
    at = base + pos
    if rtype == 1:  # A
        if n != 4 or apos + 15 > cap:
            return -1
        for k in range(4):
            if k:
                arena[apos] = _DOT
                apos += 1
            apos = _decimal(arena, apos, cap, int(data[at + k]))
        return apos
    if rtype == 28:  # AAAA
        if n != 16:
            return -1
        if mapped_declined:  # ::ffff:0:0/96 (or ::/96) written with a dotted quad here
            zeros = True
            for k in range(10):
                zeros = zeros and data[at + k] == 0
            if zeros:
                return -1
        return _ipv6(data, at, arena, apos, cap)
    if rtype == 2 or rtype == 5 or rtype == 12 or rtype == 39:  # NS CNAME PTR DNAME
        after, apos, _ = _name(data, base, pos, end, arena, apos, cap)
        return apos if after == end else -1
    if rtype == 15 or rtype == 33:  # MX (RFC 1035 §3.3.9), SRV (RFC 2782): the name last
        skip = 2 if rtype == 15 else 6
        if pos + skip > end:
            return -1
        after, apos, _ = _name(data, base, pos + skip, end, arena, apos, cap)
        return apos if after == end else -1
    if rtype == 6:  # SOA (RFC 1035 §3.3.13): MNAME (the text), RNAME, five 32-bit numbers
        after, apos, _ = _name(data, base, pos, end, arena, apos, cap)
        if after < 0:
            return -1
        after, _, _ = _name(data, base, after, end, arena, apos, cap)
        return apos if after >= 0 and after + 20 == end else -1
    if rtype == 16 or rtype == 99:  # TXT, SPF: "TXT <len> <text>" per string
        first = True
        while pos < end:
            k = int(data[base + pos])
            pos += 1 + k
            if pos > end:
                return -1
            if not first:
                if apos + 1 > cap:
                    return -1
                arena[apos] = _SPACE
                apos += 1
            first = False
            apos = _text(arena, apos, cap, _TXT_TEXT)
            if apos < 0:
                return -1
            apos = _decimal(arena, apos, cap, k)
            if apos < 0 or apos + 1 + 4 * k > cap:
                return -1
            arena[apos] = _SPACE
            apos = _utf8(data, base + pos - k, base + pos, arena, apos + 1)
        return apos
    if rtype == 46 and n > 18:  # RRSIG (RFC 4034 §3.1): "RRSIG <type covered> <signer>"
        apos = _text(arena, apos, cap, _RRSIG_TEXT)
        if apos < 0:
            return -1
        apos = _decimal(arena, apos, cap, (int(data[at]) << 8) | int(data[at + 1]))
        if apos < 0 or apos + 1 > cap:
            return -1
        arena[apos] = _SPACE
        after, apos, _ = _name(data, base, pos + 18, end, arena, apos + 1, cap)
        return apos if after >= 0 else -1
    if rtype == 47:  # NSEC (RFC 4034 §4.1): "NSEC <owner> <next domain name>"
        apos = _text(arena, apos, cap, _NSEC_TEXT)
        if apos < 0 or apos + owner_b - owner_a + 1 > cap:
            return -1
        for j in range(owner_a, owner_b):
            arena[apos] = arena[j]
            apos += 1
        arena[apos] = _SPACE
        after, apos, _ = _name(data, base, pos, end, arena, apos + 1, cap)
        return apos if after >= 0 else -1
    # fixed layouts as Zeek writes them (dns_message._fixed_text), else hex
    if rtype == 48 and n >= 4:  # DNSKEY: its algorithm
        apos = _text(arena, apos, cap, _DNSKEY_TEXT)
        return -1 if apos < 0 else _decimal(arena, apos, cap, int(data[at + 3]))
    if rtype == 43 and n >= 4:  # DS: algorithm, digest type
        apos = _text(arena, apos, cap, _DS_TEXT)
        if apos < 0:
            return -1
        apos = _decimal(arena, apos, cap, int(data[at + 2]))
        if apos < 0 or apos + 1 > cap:
            return -1
        arena[apos] = _SPACE
        return _decimal(arena, apos + 1, cap, int(data[at + 3]))
    if rtype == 44 and n >= 2:  # SSHFP: the fingerprint
        apos = _text(arena, apos, cap, _SSHFP_TEXT)
        return -1 if apos < 0 else _hex(data, at + 2, base + end, arena, apos, cap)
    if rtype == 29 and n == 16 and data[at] == 0:  # LOC version 0: size and precisions
        apos = _text(arena, apos, cap, _LOC_TEXT)
        for k in range(1, 4):
            if apos < 0 or apos + 1 > cap:
                return -1
            if k > 1:
                arena[apos] = _SPACE
                apos += 1
            apos = _decimal(arena, apos, cap, int(data[at + k]))
        return apos
    if rtype == 50 and n >= 5:
        return _text(arena, apos, cap, _NSEC3_TEXT)
    if rtype == 51 and n >= 5:
        return _text(arena, apos, cap, _NSEC3PARAM_TEXT)
    return _hex(data, at, base + end, arena, apos, cap)


@kernel
def read_messages(data, offs, lens, mapped_declined, msg, rec, arena):  # type: ignore[no-untyped-def]
    """Read the messages ``data[offs[m]:offs[m] + lens[m]]`` into ``msg`` (one row each),
    ``rec`` (their kept answers, then kept authorities) and ``arena`` (every text), as
    ``parse_message(..., partial=True)`` reads them: a message that ends inside a record
    keeps the records before it, and how it ends is in ``msg[m, M_CUT...]``. A message
    declined leaves ``msg[m, M_OK] == 0`` and nothing in ``rec`` or ``arena``. Returns the
    records and arena bytes used."""
    cap = arena.shape[0]
    rec_cap = rec.shape[0]
    r = 0
    apos = 0
    for m in range(offs.shape[0]):
        msg[m, M_OK] = 0
        base = offs[m]
        size = lens[m]
        if size < 12:
            continue
        qd = (int(data[base + 4]) << 8) | int(data[base + 5])
        an = (int(data[base + 6]) << 8) | int(data[base + 7])
        ns = (int(data[base + 8]) << 8) | int(data[base + 9])
        ar = (int(data[base + 10]) << 8) | int(data[base + 11])
        flags = (int(data[base + 2]) << 8) | int(data[base + 3])
        if qd == 0 or (flags >> 11) & 0xF == 5:
            continue
        r0 = r
        a0 = apos
        pos = 12
        whole = True
        for q in range(qd):  # (the first one is kept; one cut is an error, not a cut)
            q_a = apos
            pos, apos, _ = _name(data, base, pos, size, arena, apos, cap)
            if pos < 0 or pos + 4 > size:
                whole = False
                break
            if q == 0:
                msg[m, M_QNAME_A] = q_a
                msg[m, M_QNAME_B] = apos
                msg[m, M_QTYPE] = (int(data[base + pos]) << 8) | int(data[base + pos + 1])
                msg[m, M_QCLASS] = ((int(data[base + pos + 2]) << 8)
                                    | int(data[base + pos + 3]))
            else:
                apos = q_a
            pos += 4
        if not whole:
            apos = a0
            continue
        kept = min(an, _KEPT)
        auth_end = min(an + ns, an + _KEPT)
        n_ans = 0
        n_auth = 0
        edns_size = -1
        edns_ttl = 0
        cut = 0
        cut_record = 0
        cut_need = 0
        cut_at = 0
        declined = False
        for i in range(an + ns + ar):
            owner_a = apos
            after, got, kind = _name(data, base, pos, size, arena, apos, cap)
            if after < 0:
                if kind <= 0:
                    declined = True
                else:
                    cut, cut_record, cut_at = kind, i, got
                apos = owner_a
                break
            apos = got
            owner_b = apos
            fixed = after
            if fixed + 10 > size:  # TYPE, CLASS, TTL, RDLENGTH: the first one cut
                cut, cut_record = CUT_NEED, i
                field_at = fixed
                for width in (2, 2, 4, 2):
                    if field_at + width > size:
                        cut_need, cut_at = width, field_at
                        break
                    field_at += width
                apos = owner_a
                break
            at = base + fixed
            rtype = (int(data[at]) << 8) | int(data[at + 1])
            rclass = (int(data[at + 2]) << 8) | int(data[at + 3])
            ttl = ((int(data[at + 4]) << 24) | (int(data[at + 5]) << 16)
                   | (int(data[at + 6]) << 8) | int(data[at + 7]))
            length = (int(data[at + 8]) << 8) | int(data[at + 9])
            end = fixed + 10 + length
            if end > size:
                cut, cut_record, cut_need, cut_at = CUT_BLOCK, i, length, fixed + 8
                apos = owner_a
                break
            apos = _rdata(data, base, rtype, fixed + 10, end, mapped_declined, arena,
                          apos, cap, owner_a, owner_b)
            if apos < 0:
                declined = True
                break
            pos = end
            if i < kept or (an <= i < auth_end):
                if r >= rec_cap:
                    declined = True
                    break
                rec[r, R_TYPE] = rtype
                rec[r, R_TTL] = ttl
                rec[r, R_NAME_A] = owner_a
                rec[r, R_NAME_B] = owner_b
                rec[r, R_TEXT_A] = owner_b
                rec[r, R_TEXT_B] = apos
                r += 1
                if i < kept:
                    n_ans += 1
                else:
                    n_auth += 1
            else:  # parsed, not kept: its texts are dropped
                apos = owner_a
                if i >= auth_end and rtype == 41 and edns_size < 0 and i >= an + ns:
                    edns_size = rclass
                    edns_ttl = ttl
        if declined:
            r = r0
            apos = a0
            continue
        msg[m, M_OK] = 1
        msg[m, M_ID] = (int(data[base]) << 8) | int(data[base + 1])
        msg[m, M_FLAGS] = flags
        msg[m, M_REC] = r0
        msg[m, M_ANSWERS] = n_ans
        msg[m, M_AUTHORITIES] = n_auth
        msg[m, M_EDNS_SIZE] = edns_size
        msg[m, M_EDNS_TTL] = edns_ttl
        msg[m, M_CUT] = cut
        if cut:
            msg[m, M_CUT_RECORD] = cut_record
            msg[m, M_CUT_TOTAL] = an + ns + ar
            msg[m, M_CUT_NEED] = cut_need
            msg[m, M_CUT_AT] = cut_at
            msg[m, M_CUT_LEFT] = size - (cut_at + 2 if cut == CUT_BLOCK else cut_at)
    return r, apos


@kernel
def gather_records(arena, rec, first, counts):  # type: ignore[no-untyped-def]
    """The records ``rec[first[i]:first[i] + counts[i]]`` of each ``i``, one after the other:
    their texts and owner names (each as the bytes one after the other and their int32
    offsets: an Arrow string array's buffers), types and TTLs."""
    total = 0
    text_size = 0
    name_size = 0
    for i in range(first.shape[0]):
        for r in range(first[i], first[i] + counts[i]):
            total += 1
            text_size += rec[r, R_TEXT_B] - rec[r, R_TEXT_A]
            name_size += rec[r, R_NAME_B] - rec[r, R_NAME_A]
    text_offs = np.empty(total + 1, np.int32)
    name_offs = np.empty(total + 1, np.int32)
    texts = np.empty(text_size, np.uint8)
    names = np.empty(name_size, np.uint8)
    types = np.empty(total, np.int64)
    ttls = np.empty(total, np.float64)
    text_offs[0] = 0
    name_offs[0] = 0
    k = 0
    t = 0
    n = 0
    for i in range(first.shape[0]):
        for r in range(first[i], first[i] + counts[i]):
            for j in range(rec[r, R_TEXT_A], rec[r, R_TEXT_B]):
                texts[t] = arena[j]
                t += 1
            for j in range(rec[r, R_NAME_A], rec[r, R_NAME_B]):
                names[n] = arena[j]
                n += 1
            types[k] = rec[r, R_TYPE]
            ttls[k] = rec[r, R_TTL]
            k += 1
            text_offs[k] = t
            name_offs[k] = n
    return text_offs, texts, name_offs, names, types, ttls
