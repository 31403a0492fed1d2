"""TLS content test and ClientHello server_name as numba kernels (RFC 8446, RFC 6066).

Mirrors ``wirelens.dissect.tls``: ``TlsDissector.matches`` for the test; for the name, the
record layer (RFC 8446 §5.1: handshake fragments joined across records), then
``parse_client_hello`` with every vector it checks (session id, cipher suites, compression
methods, the extensions block, and the first server_name, ALPN, supported_versions,
supported_groups, ec_point_formats and signature_algorithms extensions), so that a name is
given exactly when the Python parser would accept the hello.
"""

from __future__ import annotations

import numpy as np

from wirelens.core.jit import kernel

TLS_MAX_RECORD_BYTES = 2**14 + 2048  # RFC 5246 §6.2.3 (as wirelens.dissect.limits)
TLS_MAX_HELLO_BYTES = 64 * 1024
SCRATCH_BYTES = 4 + TLS_MAX_HELLO_BYTES + TLS_MAX_RECORD_BYTES
"""Size of the buffer a hello spread over several records is joined in."""

_EXT_SNI = 0
_HEX = np.frombuffer(b"0123456789abcdef", np.uint8).copy()


@kernel
def _u16(d: np.ndarray, p: int) -> np.int64:
    return (np.int64(d[p]) << 8) | np.int64(d[p + 1])


@kernel
def _tls_match(d, s, n):  # type: ignore[no-untyped-def]
    """``TlsDissector.matches``: handshake record (type 22, version 3.x with x <= 4, length
    >= 4) whose first handshake message is a ClientHello (1) or ServerHello (2); or records
    back to back to the payload's end (``tls.midstream_records``: a connection seen from its
    middle)."""
    if n < 6:
        return False
    if (
        d[s] == 22
        and d[s + 1] == 3
        and d[s + 2] <= 4
        and (d[s + 5] == 1 or d[s + 5] == 2)
        and _u16(d, s + 3) >= 4
    ):
        return True
    pos = s
    end = s + n
    while pos + 5 <= end:
        ln = _u16(d, pos + 3)
        if (d[pos] < 20 or d[pos] > 23 or d[pos + 1] != 3 or d[pos + 2] < 1 or d[pos + 2] > 3
                or ln == 0 or ln > TLS_MAX_RECORD_BYTES):
            return False
        pos += 5 + ln
    return pos >= end or (d[pos] >= 20 and d[pos] <= 23)


@kernel
def _server_names(b, p, e):  # type: ignore[no-untyped-def]
    """ServerNameList (RFC 6066 §3) filling ``b[p:e]``: returns (ok, offset, length) of the
    first host_name (-1 when none)."""
    if p + 2 > e:
        return False, -1, 0
    end = p + 2 + _u16(b, p)
    if end != e:  # past the data (Truncated) or bytes after the list (TrailingJunk)
        return False, -1, 0
    p += 2
    off = -1
    ln = 0
    while p < end:
        if p + 3 > end:
            return False, -1, 0
        kind = b[p]
        m = _u16(b, p + 1)
        p += 3
        if p + m > end:
            return False, -1, 0
        if kind == 0 and off < 0:
            off = p
            ln = m
        p += m
    return True, off, ln


@kernel
def _client_hello(b, p, e):  # type: ignore[no-untyped-def]
    """Check a ClientHello body ``b[p:e]`` (RFC 8446 §4.1.2) as ``parse_client_hello``
    does (its vectors whole; an extension running past the list ends it, and a server_name
    list that does not parse reads as absent: ``ClientHello.damage``); returns (ok, SNI
    offset or -1, SNI length)."""
    if p + 35 > e:  # legacy_version, random, session id length
        return False, -1, 0
    p += 34
    p += 1 + np.int64(b[p])
    if p + 2 > e:
        return False, -1, 0
    ln = _u16(b, p)
    if ln % 2:
        return False, -1, 0
    p += 2 + ln
    if p + 1 > e:
        return False, -1, 0
    p += 1 + np.int64(b[p])
    if p > e:
        return False, -1, 0
    sni = -1
    sni_e = 0
    if p < e:  # extensions are optional (RFC 5246 §7.4.1.2)
        if p + 2 > e:
            return False, -1, 0
        xe = p + 2 + _u16(b, p)
        if xe != e:  # past the body, or bytes after the extensions
            return False, -1, 0
        p += 2
        while p < xe:
            if p + 4 > xe:
                break  # an extension running past the list ends it (ClientHello.damage)
            q = p + 4
            nxt = q + _u16(b, p + 2)
            if nxt > xe:
                break
            if _u16(b, p) == _EXT_SNI and sni < 0:
                sni, sni_e = q, nxt
            p = nxt
    off = -1
    ln = 0
    if sni >= 0:
        ok, off, ln = _server_names(b, sni, sni_e)
        if not ok:  # a server_name list that does not parse reads as absent
            off, ln = -1, 0
    return True, off, ln


@kernel
def _write_sni(b, p, ln, out, o):  # type: ignore[no-untyped-def]
    """The host_name as ``bytes.decode("ascii", "backslashreplace")`` writes it."""
    for j in range(p, p + ln):
        v = np.int64(b[j])
        if v < 0x80:
            out[o] = v
            o += 1
        else:
            out[o] = 92  # \xNN
            out[o + 1] = 120
            out[o + 2] = _HEX[v >> 4]
            out[o + 3] = _HEX[v & 15]
            o += 4
    return o


@kernel
def _tls_sni(d, s, n, scratch, out, o):  # type: ignore[no-untyped-def]
    """SNI of a ClientHello starting the payload, written at ``out[o:]``.

    Returns the output position after it, or -1 (no name: not a ClientHello, a hello not
    whole in this payload, or one the Python parser would reject). The hello is read in place
    when it lies in the first record, else joined from the following handshake records
    (RFC 8446 §5.1) into ``scratch``.
    """
    end = s + n
    if n < 9 or d[s + 5] != 1:
        return -1
    rlen = _u16(d, s + 3)
    if rlen > TLS_MAX_RECORD_BYTES:
        return -1
    hlen = (np.int64(d[s + 6]) << 16) | (np.int64(d[s + 7]) << 8) | np.int64(d[s + 8])
    if hlen > TLS_MAX_HELLO_BYTES:
        return -1
    if 4 + hlen <= rlen and s + 9 + hlen <= end:  # whole in the first record
        ok, off, ln = _client_hello(d, s + 9, s + 9 + hlen)
        if not ok or ln == 0 or off < 0:
            return -1 if not ok else -2
        return _write_sni(d, off, ln, out, o)
    if s + 5 + rlen > end:  # the first record continues in a later segment
        return -1
    have = 0  # handshake stream bytes joined so far
    p = s
    while p < end and have < 4 + hlen:
        if p + 5 > end:
            return -1
        ctype = d[p]
        ln = _u16(d, p + 3)
        if ctype < 20 or ctype > 24 or d[p + 1] != 3 or d[p + 2] > 4:
            return -1  # BadValue in the dissector
        if ln > TLS_MAX_RECORD_BYTES or p + 5 + ln > end:
            return -1
        if ctype == 22:
            take = min(ln, scratch.shape[0] - have)
            for j in range(take):
                scratch[have + j] = d[p + 5 + j]
            have += take
        elif ctype == 20 or ctype == 23:
            return -1  # encrypted from here on: the hello never completes
        p += 5 + ln
    if have < 4 + hlen:
        return -1
    ok, off, ln = _client_hello(scratch, 4, 4 + hlen)
    if not ok or ln == 0 or off < 0:
        return -1 if not ok else -2
    return _write_sni(scratch, off, ln, out, o)
