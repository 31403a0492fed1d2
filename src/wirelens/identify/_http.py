"""HTTP/1.x content test and request Host as numba kernels (RFC 9112, RFC 9110 §7.2).

Mirrors ``wirelens.dissect.http``: ``HttpDissector.matches`` (a status line, a whole request
line, possibly with an empty target, an HTTP/0.9 Simple-Request line, or a known method and a
space when no line end is present yet), then the Host header
as the dissector reports it (``_parse_head`` + ``host_without_port``): header names are tokens
matched case-insensitively, the first Host wins, obs-fold lines continue it (RFC 9112 §5.2),
the value is stripped and its port removed, and a request whose Content-Length is invalid
gives no name (the dissector raises before it records the host). A Simple-Request (RFC 1945
§4.1: a known method, one space, a ``/`` or ``scheme://`` URI, a line end, no version) has no
headers, hence no name.

Known approximation: an obs-fold continuation of Content-Length with any text is taken as an
invalid length (the dissector joins it with a space first, so ``"5" + " ,5"`` would pass
there). Unlike the dissector, which waits for the whole header block, the Host of a request
whose block continues in a later segment is given from the complete lines already present.
"""

from __future__ import annotations

import numpy as np

from wirelens.core.jit import kernel

TOKEN = np.zeros(256, np.uint8)
"""tchar (RFC 9110 §5.6.2): ``!#$%&'*+-.^_`|~``, digits and letters."""
TOKEN[np.frombuffer(b"!#$%&'*+.^_`|~-0123456789", np.uint8)] = 1
TOKEN[ord("A") : ord("Z") + 1] = 1
TOKEN[ord("a") : ord("z") + 1] = 1

_METHOD_LIST = (
    b"GET", b"POST", b"HEAD", b"PUT", b"DELETE", b"OPTIONS", b"CONNECT", b"TRACE", b"PATCH",
    b"PROPFIND", b"PROPPATCH", b"MKCOL", b"COPY", b"MOVE", b"LOCK", b"UNLOCK", b"SEARCH",
    b"REPORT",
)  # fmt: skip
METHODS = np.frombuffer(b"".join(_METHOD_LIST), np.uint8).copy()
"""The methods ``http.py`` recognises before a line end is seen, concatenated."""
METHOD_ENDS = np.cumsum([len(m) for m in _METHOD_LIST]).astype(np.int64)

PY_SPACE = np.zeros(256, np.uint8)
"""Characters ``str.strip`` removes from a latin-1 string."""
PY_SPACE[[9, 10, 11, 12, 13, 28, 29, 30, 31, 32, 0x85, 0xA0]] = 1
PY_DIGIT = np.zeros(256, np.uint8)
"""Characters for which ``str.isdigit`` is true in latin-1 (ASCII digits and ``²³¹``)."""
PY_DIGIT[ord("0") : ord("9") + 1] = 1
PY_DIGIT[[0xB2, 0xB3, 0xB9]] = 1

_HOST = np.frombuffer(b"host", np.uint8).copy()
_CONTENT_LENGTH = np.frombuffer(b"content-length", np.uint8).copy()
_NONE, _LAST_HOST, _LAST_CL, _LAST_OTHER = 0, 1, 2, 3


@kernel
def _ws(b):  # type: ignore[no-untyped-def]
    """ASCII whitespace as ``bytes.strip`` and regex ``\\s`` see it."""
    return b == 32 or (9 <= b <= 13)


@kernel
def _digit(b):  # type: ignore[no-untyped-def]
    return 48 <= b <= 57


@kernel
def _status_line(d, a, e):  # type: ignore[no-untyped-def]
    """``HTTP/(\\d\\.\\d) +(\\d{3})(?: +(.*?))? *\\Z`` on the line ``d[a:e]``."""
    if e - a < 12:
        return False
    if not (_digit(d[a + 5]) and d[a + 6] == 46 and _digit(d[a + 7])):
        return False
    p = a + 8
    if d[p] != 32:
        return False
    while p < e and d[p] == 32:
        p += 1
    if p + 3 > e or not (_digit(d[p]) and _digit(d[p + 1]) and _digit(d[p + 2])):
        return False
    p += 3
    return p == e or d[p] == 32


@kernel
def _request_line(d, a, e):  # type: ignore[no-untyped-def]
    """``(token) +(?:(\\S(?:.*\\S)?) +)?HTTP/(\\d\\.\\d) *\\Z`` on the line ``d[a:e]``."""
    p = a
    while p < e and TOKEN[d[p]]:
        p += 1
    if p == a or p >= e or d[p] != 32:
        return False
    while p < e and d[p] == 32:
        p += 1
    t0 = p
    r = e
    while r > t0 and d[r - 1] == 32:
        r -= 1
    h = r - 8  # "HTTP/d.d" ends the line (before trailing spaces)
    if h < t0 or (h > t0 and h - 2 < t0):
        return False
    if not (d[h] == 72 and d[h + 1] == 84 and d[h + 2] == 84 and d[h + 3] == 80
            and d[h + 4] == 47 and _digit(d[h + 5]) and d[h + 6] == 46 and _digit(d[h + 7])):
        return False
    if h == t0:  # an empty request target: "GET HTTP/1.1"
        return True
    if d[h - 1] != 32:
        return False
    j = h - 1
    while j >= t0 and d[j] == 32:
        j -= 1
    return j >= t0 and not _ws(d[t0]) and not _ws(d[j])


@kernel
def _known_method(d, a, m):  # type: ignore[no-untyped-def]
    """``d[a:a+m]`` is one of the known methods (``METHODS``)."""
    start = 0
    for k in range(METHOD_ENDS.shape[0]):
        stop = METHOD_ENDS[k]
        if stop - start == m:
            same = True
            for j in range(m):
                if METHODS[start + j] != d[a + j]:
                    same = False
                    break
            if same:
                return True
        start = stop
    return False


@kernel
def _alpha(b):  # type: ignore[no-untyped-def]
    return (65 <= b <= 90) or (97 <= b <= 122)


@kernel
def _simple_request(d, a, e):  # type: ignore[no-untyped-def]
    """HTTP/0.9 Simple-Request (RFC 1945 §4.1) on the line ``d[a:e]``, as ``http.py``'s
    ``_SIMPLE_REQUEST``: a known method, one space, then ``/`` or a URI scheme (RFC 3986
    §3.1: a letter, then letters, digits, ``+-.``) and ``://``, then no whitespace."""
    p = a
    while p < e and TOKEN[d[p]]:
        p += 1
    if p == a or p >= e or d[p] != 32 or not _known_method(d, a, p - a):
        return False
    p += 1
    if p >= e:
        return False
    if d[p] != 47:  # not "/": an absolute URI
        if not _alpha(d[p]):
            return False
        p += 1
        while p < e and (_alpha(d[p]) or _digit(d[p]) or d[p] == 43 or d[p] == 45
                         or d[p] == 46):
            p += 1
        if p + 3 > e or d[p] != 58 or d[p + 1] != 47 or d[p + 2] != 47:
            return False
    while p < e:
        if _ws(d[p]):
            return False
        p += 1
    return True


@kernel
def _find_nl(d, a, e):  # type: ignore[no-untyped-def]
    for p in range(a, e):
        if d[p] == 10:
            return p
    return -1


@kernel
def _http_match(d, s, n):  # type: ignore[no-untyped-def]
    """``HttpDissector.matches`` on ``d[s:s+n]`` (TCP only; the caller checks)."""
    end = s + n
    if n >= 7 and (d[s] == 72 and d[s + 1] == 84 and d[s + 2] == 84 and d[s + 3] == 80
                   and d[s + 4] == 47 and d[s + 5] == 49 and d[s + 6] == 46):  # "HTTP/1."
        le = _find_nl(d, s, end)
        if le < 0:
            le = end
        while le > s and d[le - 1] == 13:
            le -= 1
        return _status_line(d, s, le)
    # every other match starts with a token and a space: reject binary data cheaply
    p = s
    while p < end and TOKEN[d[p]]:
        p += 1
    if p == s or p >= end or d[p] != 32:
        return False
    nl = _find_nl(d, p, end)
    if nl >= 0:
        while nl > s and d[nl - 1] == 13:
            nl -= 1
        return _request_line(d, s, nl) or _simple_request(d, s, nl)
    return _known_method(d, s, p - s)  # a known method followed by a space


@kernel
def _name_is(d, a, e, word):  # type: ignore[no-untyped-def]
    """``d[a:e].lower() == word`` (ASCII)."""
    if e - a != word.shape[0]:
        return False
    for j in range(e - a):
        b = d[a + j]
        if 65 <= b <= 90:
            b += 32
        if b != word[j]:
            return False
    return True


@kernel
def _cl_pieces(d, a, e, ref):  # type: ignore[no-untyped-def]
    """Check the comma-separated pieces of a Content-Length value ``d[a:e]`` against the first
    piece seen (``ref`` = [offset, length], offset -1 before the first): every piece, once
    ``str.strip``-ped, must be the same 1-18 ASCII digits (``_content_length``)."""
    p = a
    while True:
        q = p
        while q < e and d[q] != 44:
            q += 1
        x, y = p, q
        while x < y and PY_SPACE[d[x]]:
            x += 1
        while y > x and PY_SPACE[d[y - 1]]:
            y -= 1
        if ref[0] < 0:
            if y - x < 1 or y - x > 18:
                return False
            for j in range(x, y):
                if not _digit(d[j]):
                    return False
            ref[0] = x
            ref[1] = y - x
        else:
            if y - x != ref[1]:
                return False
            for j in range(y - x):
                if d[x + j] != d[ref[0] + j]:
                    return False
        if q >= e:
            return True
        p = q + 1


@kernel
def _copy_stripped(d, a, e, out, o):  # type: ignore[no-untyped-def]
    """Append ``d[a:e].strip()`` (bytes whitespace) to ``out[o:]``; returns the new end."""
    while a < e and _ws(d[a]):
        a += 1
    while e > a and _ws(d[e - 1]):
        e -= 1
    for j in range(a, e):
        out[o] = d[j]
        o += 1
    return o


@kernel
def _http_host(d, s, n, out, o, ref):  # type: ignore[no-untyped-def]
    """Host of a request starting at ``d[s]``, written at ``out[o:]``.

    Returns (start, end) of the name in ``out`` (start -1: none) and the end of what was
    written. Only header lines ended by a line feed are read; ``ref`` is scratch (2 int64).
    """
    end = s + n
    if n >= 5 and d[s] == 72 and d[s + 1] == 84 and d[s + 2] == 84 and d[s + 3] == 80 \
            and d[s + 4] == 47:  # "HTTP/": the server side
        return -1, 0, o
    first = _find_nl(d, s, end)
    if first < 0:
        return -1, 0, o
    line_end = first
    while line_end > s and d[line_end - 1] == 13:
        line_end -= 1
    if not _request_line(d, s, line_end):  # a Simple-Request: no headers follow
        return -1, 0, o
    # end of the header block: a line feed followed by an empty line (http.py _head_end)
    head_end = -1
    last_nl = first
    p = first
    while p >= 0:
        last_nl = p
        if p + 1 < end and d[p + 1] == 10:
            head_end = p
            break
        if p + 2 < end and d[p + 1] == 13 and d[p + 2] == 10:
            head_end = p
            break
        p = _find_nl(d, p + 1, end)
    if head_end < 0:
        head_end = last_nl
    ref[0] = -1
    ref[1] = 0
    o0 = o
    v0 = -1
    v1 = 0
    last = _NONE
    a = first + 1
    while a < head_end:
        b = _find_nl(d, a, head_end)
        if b < 0:
            b = head_end
        nxt = b + 1
        while b > a and d[b - 1] == 13:
            b -= 1
        if b > a and (d[a] == 32 or d[a] == 9):  # obs-fold: continues the last value
            if last == _LAST_HOST:
                out[o] = 32
                o = _copy_stripped(d, a, b, out, o + 1)
                v1 = o
            elif last == _LAST_CL:
                x = a
                while x < b and _ws(d[x]):
                    x += 1
                if x < b:
                    return -1, 0, o0  # "n m": not a number (approximation, module doc)
        else:
            c = a
            while c < b and d[c] != 58:
                c += 1
            if c >= b or c == a:
                last = _NONE
            else:
                tok = True
                for j in range(a, c):
                    if not TOKEN[d[j]]:
                        tok = False
                        break
                if not tok:
                    last = _NONE
                elif _name_is(d, a, c, _HOST):
                    if v0 >= 0:
                        last = _NONE
                    else:
                        v0 = o
                        o = _copy_stripped(d, c + 1, b, out, o)
                        v1 = o
                        last = _LAST_HOST
                elif _name_is(d, a, c, _CONTENT_LENGTH):
                    last = _LAST_CL if ref[0] < 0 else _NONE
                    if not _cl_pieces(d, c + 1, b, ref):
                        return -1, 0, o0
                else:
                    last = _LAST_OTHER
        a = nxt
    if v0 < 0 or v1 == v0:
        return -1, 0, o
    # host_without_port: "[v6]:port" -> v6, "name:port" -> name (port all digits)
    if out[v0] == 91:
        for j in range(v0 + 1, v1):
            if out[j] == 93:
                return (v0 + 1, j, o) if j > v0 + 1 else (-1, 0, o)
        return v0, v1, o
    c = v1 - 1
    while c >= v0 and out[c] != 58:
        c -= 1
    if c > v0 and c + 1 < v1:
        digits = True
        for j in range(c + 1, v1):
            if not PY_DIGIT[out[j]]:
                digits = False
                break
        if digits:
            return v0, c, o
    return v0, v1, o
