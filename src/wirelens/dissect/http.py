"""HTTP/1.x (RFC 9112) over TCP: start lines, key headers, bodies skipped, pipelining.

Each direction is a small state machine fed stream bytes in order. Requests are queued;
the next response pairs with the oldest request (RFC 9112 §9.3.2). One :class:`HttpRecord`
is emitted per transaction when the response message is complete; :meth:`finish` emits the
transactions still open (bodies "as far as seen").

Message bodies (RFC 9112 §6.3): ``Transfer-Encoding: chunked`` wins over
``Content-Length``; a response to HEAD, a 1xx, 204 or 304 has none; a response with neither
runs until the connection closes. A 101 answer switches the flow to another protocol: the
dissector is then ``done`` and ignores further bytes. A 2xx answer to CONNECT opens a tunnel
(RFC 9110 §9.3.6): the tunnel's first bytes (the client's ClientHello, or a greeting of the
server's) are handed on with ``upgrade = BY_CONTENT``, so that what goes through a proxy is
identified and logged by its own dissector (the tls table of a proxied HTTPS session).
Cleartext HTTP/2 goes to :mod:`.http2` (``upgrade = "http2"``): at the client's connection
preface (``PRI * HTTP/2.0``, prior knowledge, RFC 9113 §3.4), or after a ``101`` to ``h2c``
(RFC 7540 §3.2). The flow stays ``http``.

HTTP/0.9 (RFC 1945 §4.1, §6): a Simple-Request is a known method, one space, a ``/`` or
absolute URI and a line end, with no version and no headers; it is answered by a
Simple-Response, raw bytes up to the close (no status line): the transaction's row has
version ``0.9`` and no status. HTTP/0.9 has no persistent connections (RFC 1945 §1.3), so the
client's bytes after a Simple-Request are not read as requests. A request line with an empty
target (``GET HTTP/1.1``, seen in the wild) is read with the URI ``""``, as Zeek does.

A CONNECT still unanswered is followed by tunnel bytes when the client does not wait for the
reply (RFC 9110 §9.3.6): client bytes that cannot start a request then switch the client side
to the tunnel (the server side still reads the reply). A TCP hole between messages, or one
running past the end of a body of known length, ends that message and leaves the side
"out of step": the next bytes must start a message of that side (``HTTP/`` from the server,
a known method from the client) or the stream is lost (``done``). At :meth:`finish`, a request
line the close cut short (no line end yet) is logged if it is a valid request line.

Defined behaviour on extra bytes: bytes after a complete message are the start of the next
message of that direction. If they cannot start one (no valid start line), that is damage
once the line is complete; an incomplete line waits (nothing is emitted for it). Header lines
without a colon are skipped (lenient, as servers are); a bad start line, bad Content-Length
or bad chunk size is damage too. Damage ends the reading (the framing is lost): it is
returned as a :class:`~wirelens.dissect.base.Problem` (a weird), and the transactions read so
far, the damaged message's own as far as it came (a request with a bad Content-Length, a
response with a bad chunk size, the latter with its request when the damage is met), are
written (the rest by :meth:`finish`), as Zeek logs them.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import ClassVar

from wirelens.dissect import limits, ntlm
from wirelens.dissect.base import BY_CONTENT, IPPROTO_TCP, Dissector, Event, Problem
from wirelens.dissect.kerberos import KrbMessage, ap_record, ap_request, gss_message
from wirelens.dissect.lines import starts_with_one
from wirelens.dissect.magic import ENCODED_HEAD_BYTES, SNIFF_BYTES, coding_bits, sniff_body
from wirelens.dissect.websocket import websocket_record
from wirelens.wire.errors import BadValue, LimitExceeded, ParseError

__all__ = ["HttpDissector", "HttpRecord", "host_without_port"]

UNTIL_CLOSE_SKIP = 1 << 30
"""Bytes of a body read until the close skipped at a time (a quarter of the TCP sequence
space, so a skip's end is always ahead of its start; a longer body is skipped again)."""


@dataclass(slots=True)
class HttpRecord(Event):
    """One HTTP transaction (request and its response, when seen)."""

    table: ClassVar[str | None] = "http"

    trans_depth: int
    """1-based position of the transaction in the flow (pipelining depth, Zeek style)."""
    method: str | None
    """Request method (None when only the response was seen)."""
    host: str | None
    """Value of the request's Host header, as sent (may carry a port)."""
    uri: str | None
    """Request target as sent."""
    version: str | None
    """HTTP version of the request (``"1.1"``), else of the response."""
    user_agent: str | None
    """User-Agent request header."""
    referrer: str | None
    """Referer request header."""
    status_code: int | None
    """Response status code (None when no response was seen)."""
    status_msg: str | None
    """Response reason phrase."""
    request_content_type: str | None
    """Content-Type of the request."""
    response_content_type: str | None
    """Content-Type of the response."""
    server: str | None
    """Server response header."""
    request_body_len: int
    """Request body bytes seen (decoded chunk sizes for chunked bodies)."""
    response_body_len: int
    """Response body bytes seen (decoded chunk sizes for chunked bodies)."""
    request_mime_type: str | None = None
    """File type of the request body from its first bytes (magic numbers), e.g.
    ``application/x-dosexec``; None without a body or when unknown."""
    response_mime_type: str | None = None
    """File type of the response body from its first bytes (not its Content-Type)."""
    location: str | None = None
    """Location response header: where a redirect (3xx) or a created resource (201) points."""
    auth_mechanism: str | None = None
    """Scheme of the request's Authorization (else Proxy-Authorization) header: Basic,
    Digest, NTLM, Negotiate, Bearer, ... (RFC 9110 §11.6.2)."""
    user: str | None = None
    """Who authenticated: Basic's user, Digest's ``username``, NTLM's ``DOMAIN\\user``."""
    password: str | None = None
    """Basic's password: ``<redacted>`` unless the run shows passwords."""
    credentials_clear: bool | None = None
    """A password crossed the connection in clear text (Basic: base64); None without
    credentials."""


HTTP_MAX_USER_CHARS = 256
"""Characters kept of a user name."""

_DIGEST_USER = re.compile(r'\busername\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))', re.IGNORECASE)


def client_auth(headers: Mapping[bytes, str]) -> str | None:
    """The request's Authorization header, else its Proxy-Authorization (RFC 9110 §11.6)."""
    return headers.get(b"authorization") or headers.get(b"proxy-authorization")


def _auth_token(value: str | None) -> tuple[str, str, bytes | None] | None:
    """(scheme, scheme lower-cased, the base64 token decoded: None if it is not base64) of
    an authentication header value (RFC 9110 §11.4), or None without one."""
    if not value or not value.strip():
        return None
    scheme, _, rest = value.strip().partition(" ")
    try:
        token: bytes | None = base64.b64decode(rest.strip(), validate=True)
    except (binascii.Error, ValueError):
        token = None
    return scheme, scheme.lower(), token


def _negotiate(value: str | None, read: Callable[[bytes], KrbMessage | None]
               ) -> KrbMessage | None:
    """``read`` (:func:`~wirelens.dissect.kerberos.ap_request` or ``gss_message``) of a
    Negotiate token (RFC 4559 §4), or None (none, another scheme, or a token that does not
    decode)."""
    found = _auth_token(value)
    if found is None or found[1] != "negotiate" or found[2] is None:
        return None
    try:
        return read(found[2])
    except ParseError:
        return None


def http_credentials(value: str | None, show_passwords: bool
                     ) -> tuple[str | None, str | None, str | None, bool | None]:
    """(auth_mechanism, user, password, credentials_clear) of an Authorization header value
    (RFC 9110 §11.6.2): Basic (RFC 7617: ``user:password`` in base64), Digest (RFC 7616
    §3.4: ``username``), NTLM and Negotiate (an NTLMSSP AUTHENTICATE in base64); other
    schemes give their name only. A token that does not decode gives no user."""
    found = _auth_token(value)
    if found is None:
        return None, None, None, None
    scheme, low, token = found
    user = password = None
    if low == "basic":
        if token is None:
            return scheme, None, None, True
        name, colon, secret = token.decode("utf-8", "backslashreplace").partition(":")
        user = name[:HTTP_MAX_USER_CHARS] or None
        if colon:
            password = secret if show_passwords or not secret else "<redacted>"
        return scheme, user, password, True
    if low == "digest":
        m = _DIGEST_USER.search(value or "")
        if m:
            user = (m.group(1) if m.group(1) is not None else m.group(2))[:HTTP_MAX_USER_CHARS]
    elif low in ("ntlm", "negotiate") and token is not None:
        try:
            who = ntlm.authenticate(token)
        except ParseError:
            who = None
        if who is not None:
            user = who.account
    return scheme, user, None, False


_H2_PREFACE_LINE = b"PRI * HTTP/2.0"
"""The request line that starts HTTP/2's client connection preface (RFC 9113 §3.4), sent
on a cleartext connection by a client that knows the server speaks HTTP/2."""

TUNNEL_MIN_BYTES = 8
"""One side's first tunnel bytes enough to name a protocol (see ``_tunnel_ready``)."""
TUNNEL_PEEK_BYTES = 16 * 1024
"""First bytes of a CONNECT tunnel kept to hand on (the client may speak before the proxy's
answer). Reason: a ClientHello fits; what comes after goes to the successor directly."""


class _State:
    """States of one direction's reader: plain ints (an enum member lookup costs ~70 ns, and
    the reader compares states several times per call)."""

    HEAD = 0  # waiting for a start line and header block
    LENGTH = 1  # body of known length
    CHUNK_SIZE = 2
    CHUNK_DATA = 3
    CHUNK_CRLF = 4
    TRAILER = 5
    UNTIL_CLOSE = 6
    TUNNEL = 7
    AFTER_SIMPLE = 8  # client bytes after an HTTP/0.9 request: not requests, dropped


_FRAMING = (_State.CHUNK_SIZE, _State.CHUNK_CRLF, _State.TRAILER)
"""States reading a chunked body's framing: a hole there cannot be stepped over."""

_TOKEN = rb"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
# RFC 9112 §3: method SP request-target SP HTTP-version; an empty target (one run of spaces
# between method and version) is accepted and read as "" (group 2 is then None)
_REQUEST_LINE = re.compile(rb"(" + _TOKEN + rb") +(?:(\S(?:.*\S)?) +)?HTTP/(\d\.\d) *\Z")
_STATUS_LINE = re.compile(rb"HTTP/(\d\.\d) +(\d{3})(?: +(.*?))? *\Z")
_HEADER_LINE = re.compile(b"(" + _TOKEN + rb"):(.*)\Z", re.DOTALL)
_FOLD = frozenset(b" \t")
# every header line of a head without obs-fold lines: _HEADER_LINE over each line at once
_HEADER_FIELDS = re.compile(b"^(" + _TOKEN + rb"):([^\n]*)", re.MULTILINE)
_JOINED = (b"content-length", b"transfer-encoding")  # repeated values joined, not dropped
_LINE_ENDS = (b"\r\n", b"\n")
_HEX = re.compile(rb"[0-9A-Fa-f]{1,16}\Z")

_METHODS = (
    b"GET ", b"POST ", b"HEAD ", b"PUT ", b"DELETE ", b"OPTIONS ", b"CONNECT ", b"TRACE ",
    b"PATCH ", b"PROPFIND ", b"PROPPATCH ", b"MKCOL ", b"COPY ", b"MOVE ", b"LOCK ",
    b"UNLOCK ", b"SEARCH ", b"REPORT ",
)  # fmt: skip
_METHOD_SHAPE = re.compile(r"[A-Z][A-Z_-]*")
"""What every method is made of: the registered ones (RFC 9110 §9, the IANA HTTP Method
Registry) are upper-case letters and '-', and those of HTTP-shaped protocols upper-case
letters, '-' and '_' (UPnP's M-SEARCH, RPC over HTTP's RPC_IN_DATA). A request line with
any other token (``GET%00``, ``get``) is still logged, and a weird flags it."""
# RFC 1945 §4.1 Simple-Request: a known method, exactly one space, then an abs_path ("/...")
# or an absoluteURI ("scheme://...", RFC 3986 §3.1 scheme), nothing else on the line. The
# match has the same three groups as _REQUEST_LINE, the version being empty.
_SIMPLE_REQUEST = re.compile(
    rb"(" + b"|".join(m.strip() for m in _METHODS) + rb") "
    rb"((?:/|[A-Za-z][A-Za-z0-9+.-]*://)\S*)()\Z")
# A request line a hole cut (a snap length: a segment's first bytes only): a known method,
# the URI as far as it came, perhaps part of the version; the same three groups, the version
# empty (the response's is written).
_CUT_REQUEST = re.compile(
    rb"(" + b"|".join(m.strip() for m in _METHODS) + rb") +"
    rb"((?:/|\*|[A-Za-z][A-Za-z0-9+.-]*://)\S*)(?: +[A-Z/0-9.]{0,8})?()\Z")
_TCHAR = frozenset(b for b in range(256) if re.fullmatch(_TOKEN, bytes((b,))))


class _Message:
    """A request or response being read (internal, mutable)."""

    __slots__ = ("body_head", "body_len", "coding", "head_limit", "headers", "line", "ts_ns")

    def __init__(
        self, line: re.Match[bytes] | None, headers: dict[bytes, str], ts_ns: int
    ) -> None:
        self.line = line
        """The start line (None: an HTTP/0.9 Simple-Response, which has none)."""
        self.headers = headers
        self.ts_ns = ts_ns
        self.body_len = 0
        self.body_head: bytearray | None = bytearray()
        """The body's first bytes, for :func:`~wirelens.dissect.magic.sniff` (None once a
        hole broke them)."""
        self.coding = coding_bits(headers.get(b"content-encoding"))
        """zlib window bits of the body's content coding (None: not gzip or deflate)."""
        self.head_limit = ENCODED_HEAD_BYTES if self.coding else SNIFF_BYTES

    def body(self, data: bytes | bytearray) -> None:
        """Count body bytes; keep the first ones."""
        head = self.body_head
        if head is not None and len(head) < self.head_limit:
            head += data[: self.head_limit - len(head)]
        self.body_len += len(data)

    def body_gap(self, length: int) -> None:
        """Body bytes never seen."""
        if self.body_head is not None and len(self.body_head) < self.head_limit:
            self.body_head = None
        self.body_len += length

    @property
    def sniffed(self) -> bool:
        """The body's first bytes are all kept (or lost to a hole): the rest may be skipped."""
        return self.body_head is None or len(self.body_head) >= self.head_limit

    @property
    def simple(self) -> bool:
        """An HTTP/0.9 Simple-Request (or Simple-Response): no version, no headers."""
        return self.line is None or self.line.re is _SIMPLE_REQUEST

    @property
    def method(self) -> bytes:
        """The request method (b"" for a response)."""
        line = self.line
        return line.group(1) if line is not None and line.re is not _STATUS_LINE else b""

    @property
    def mime_type(self) -> str | None:
        """The body's file type from its first bytes (None: no body, or unknown); a gzip or
        deflate body's is that of what its first bytes decode to, when they decode (else
        ``application/gzip`` or unknown, from the encoded bytes)."""
        return sniff_body(bytes(self.body_head), self.coding) if self.body_head else None


class _Side:
    """Parsing state of one direction."""

    __slots__ = ("buf", "current", "line", "out_of_step", "remaining", "scan", "state")

    def __init__(self) -> None:
        self.buf = bytearray()
        self.state = _State.HEAD
        self.remaining = 0
        self.scan = 0
        self.line: re.Match[bytes] | None = None
        """The start line of the message being read, once complete and checked."""
        self.out_of_step = False
        """A TCP hole ended the last message: the next bytes must start a message."""
        self.current: _Message | None = None


def _head_end(buf: bytearray, start: int) -> tuple[int, int]:
    """Find the empty line ending a header block: (end of head, start of body) or (-1, -1).

    The first line end followed by an empty line (CRLF or bare LF), as a search for
    ``\\n\\r?\\n``: two plain finds, the bare-LF one only before the CRLF one."""
    crlf = buf.find(b"\n\r\n", start)
    lf = buf.find(b"\n\n", start, crlf + 1 if crlf >= 0 else len(buf))
    if lf >= 0:
        return lf, lf + 2
    return (crlf, crlf + 3) if crlf >= 0 else (-1, -1)


def _resumes(buf: bytearray, is_client: bool) -> bool | None:
    """Whether bytes after a hole start a message of this side: a known method and a space
    from the client, ``HTTP/`` from the server (None: too few bytes to say)."""
    return starts_with_one(buf, _METHODS if is_client else (b"HTTP/",))


_NEXT_REQUEST = re.compile(b"\n(?=(?:" + b"|".join(re.escape(m) for m in _METHODS) + b"))")
_NEXT_RESPONSE = re.compile(rb"\n(?=HTTP/1\.[01] [0-9]{3}[ \r\n])")


def _next_start(buf: bytearray, is_client: bool) -> int:
    """Where in ``buf`` (bytes after a hole that start no message) a line starts a message of
    this side (a known method and a space, or a status line), or -1."""
    found = (_NEXT_REQUEST if is_client else _NEXT_RESPONSE).search(buf)
    return found.end() if found is not None else -1


def _parse_head(head: bytes) -> tuple[bytes, dict[bytes, str]]:
    """Split a head into its start line and the headers (lowercase names, first value wins
    except Content-Length and Transfer-Encoding, whose values are joined)."""
    first = head.find(b"\n")
    if first < 0:
        return head.rstrip(b"\r"), {}
    start = head[:first].rstrip(b"\r")
    if b"\n " in head or b"\n\t" in head:
        return start, _parse_folded(head)
    # no obs-fold line: every "name:value" line at once (lines without a colon, or not a
    # token before it, are not found, as _HEADER_LINE does not match them)
    headers: dict[bytes, str] = {}
    for name, value in _HEADER_FIELDS.findall(head, first + 1):
        key = name.lower()
        text = value.strip().decode("latin-1")
        if key in headers:
            if key in _JOINED:
                headers[key] += "," + text
            continue
        headers[key] = text
    return start, headers


def _parse_folded(head: bytes) -> dict[bytes, str]:
    """The headers of :func:`_parse_head` line by line, obs-fold lines (RFC 9112 §5.2)
    continuing the last value."""
    headers: dict[bytes, str] = {}
    last: bytes | None = None
    match = _HEADER_LINE.match
    for line in head.split(b"\n")[1:]:  # a trailing CR goes with the strip() of the value
        if line and line[0] in _FOLD:  # obs-fold: continues the last value
            if last is not None:
                headers[last] += " " + line.strip().decode("latin-1")
            continue
        field = match(line)
        if field is None:  # no colon, or not a token before the first one
            last = None
            continue
        name, value = field.groups()
        key = name.lower()
        text = value.strip().decode("latin-1")
        if key in headers:
            if key in _JOINED:
                headers[key] += "," + text
            last = None
            continue
        headers[key] = text
        last = key
    return headers


def _content_length(headers: dict[bytes, str]) -> int | None:
    """Content-Length (RFC 9112 §6.3 item 5): repeated values must agree."""
    raw = headers.get(b"content-length")
    if raw is None:
        return None
    if "," in raw:
        values = {v.strip() for v in raw.split(",")}
        if len(values) != 1:
            raise BadValue(f"conflicting Content-Length {raw!r}")
        value = values.pop()
    else:
        value = raw.strip()
    if not value.isdigit() or not value.isascii() or len(value) > 18:
        raise BadValue(f"bad Content-Length {raw!r}")
    return int(value)


def _is_chunked(headers: dict[bytes, str]) -> bool:
    te = headers.get(b"transfer-encoding")
    return te is not None and te.rsplit(",", 1)[-1].strip().lower() == "chunked"


def host_without_port(host: str) -> str:
    """Host header without its port (``[v6]:port`` and ``name:port``)."""
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else host
    name, _, port = host.rpartition(":")
    return name if name and port.isdigit() else host


class HttpDissector(Dissector):
    """HTTP/1.0 and HTTP/1.1 over TCP."""

    name: ClassVar[str] = "http"
    name_source: ClassVar[str | None] = "http_host"
    transports: ClassVar[frozenset[int]] = frozenset((IPPROTO_TCP,))
    ports: ClassVar[frozenset[int]] = frozenset((80, 8000, 8008, 8080, 8888, 3128))
    first_bytes: ClassVar[frozenset[int] | None] = _TCHAR
    """``matches``: a request line's method is any ``_TOKEN`` (RFC 9110 §5.6.2 tchar, not
    only the known methods) and ``HTTP/1.`` starts with one too."""

    def __init__(self, proto: int, *, show_passwords: bool = False) -> None:
        super().__init__(proto)
        self.show_passwords = show_passwords
        """Keep Basic authentication passwords in clear (off by default)."""
        self._sides = {True: _Side(), False: _Side()}  # by from_orig
        self._client_is_orig: bool | None = None  # decided by the first bytes seen
        self._requests: list[_Message] = []
        """Complete heads waiting for a response, oldest first (at most ``HTTP_MAX_PENDING``:
        a list, as a deque's first block alone costs ~600 bytes per open flow)."""
        self._open: _Message | None = None  # request of the response being read
        self._early: tuple[_Message, _Message, int] | None = None
        """A response complete before its request's body (a server answering early, e.g. an
        error to a large upload): (request, response, trans_depth), written when the request
        body ends, so that its length counts all of it."""
        self._depth = 0
        self._last_ts = 0  # time of the last bytes fed (for a request the close cut short)
        self._connected = False  # a CONNECT was accepted: the next bytes are the tunnel's
        self._tunnel: list[tuple[bool, bytes]] = []  # its first bytes, (from_orig, data)

    @classmethod
    def from_server(cls, payload: bytes, proto: int) -> bool:
        """A status line (RFC 9112 section 4)."""
        return payload.startswith(b"HTTP/")

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """A known method and a space (or a whole request line, or an HTTP/0.9 one), or a
        status line (a capture starting with the response: the roles are then taken from the
        content)."""
        if proto != IPPROTO_TCP:
            return False
        if payload.startswith(b"HTTP/1."):  # either side: captures may start mid-flow
            return _STATUS_LINE.match(payload.split(b"\n", 1)[0].rstrip(b"\r")) is not None
        end = payload.find(b"\n")
        if end >= 0:
            line = payload[:end].rstrip(b"\r")
            return _REQUEST_LINE.match(line) is not None or _SIMPLE_REQUEST.match(line) is not None
        return payload.startswith(_METHODS)

    def feed(self, data: bytes, from_orig: bool, ts_ns: int) -> list[Event]:
        """Next stream bytes of one direction."""
        if self.done:
            return []
        side = self._sides[from_orig]
        side.buf += data
        self._last_ts = ts_ns
        if self._client_is_orig is None:  # roles from content: the server sends "HTTP/"
            head = bytes(side.buf[:5])
            if len(head) < 5 and b"HTTP/".startswith(head):
                return []
            self._client_is_orig = from_orig != head.startswith(b"HTTP/")
        is_client = from_orig == self._client_is_orig
        events: list[Event] = []
        try:
            while side.buf and not self.done:
                if not self._step(side, is_client, ts_ns, events):
                    break
        except ParseError as exc:  # the framing is lost: reading stops, what was read is
            self.done = True  # written (at finish; a damaged response now, with its request)
            if not is_client and side.current is not None:
                self._emit(events, self._open, side.current)
                side.current = self._open = None
            return [*events, Problem(ts_ns, exc)]
        if self._connected and self._tunnel_ready() and not self.done:
            self.done, self.upgrade, self.upgrade_data = True, BY_CONTENT, tuple(self._tunnel)
        return events

    def _tunnel_ready(self) -> bool:
        """Enough of a CONNECT tunnel's first bytes to name what it carries: both sides
        spoke, or one sent :data:`TUNNEL_MIN_BYTES` (a request cut after ``GE`` is not yet
        anything)."""
        sent = {True: 0, False: 0}
        for side, data in self._tunnel:
            sent[side] += len(data)
        return all(sent.values()) or max(sent.values()) >= TUNNEL_MIN_BYTES

    def skippable(self, from_orig: bool) -> int:
        """Body bytes this side can do without, once the body's first bytes (for the file
        type) were seen: the rest of a Content-Length body (RFC 9112 §6.2), the rest of the
        current chunk of a chunked one (§7.1: the next chunk line is read), or everything up
        to the close for a body delimited by it (``UNTIL_CLOSE_SKIP`` at a time)."""
        side = self._sides[from_orig]
        msg = side.current
        if self.done or side.buf or msg is None or not msg.sniffed:
            return 0
        if side.state in (_State.LENGTH, _State.CHUNK_DATA):
            return side.remaining
        if side.state == _State.UNTIL_CLOSE:
            return UNTIL_CLOSE_SKIP
        return 0

    def gap(self, from_orig: bool, length: int) -> list[Event]:
        """Bytes never seen: inside a body of known length (or one read until the close, or a
        tunnel) they are counted as body and parsing stays in step. A hole between messages,
        or one running past the end of a body of known length (the body is then complete),
        leaves the side out of step: its next bytes must start a message. A hole inside a
        header block or chunk framing (a capture's snap length cuts every long message so)
        ends the message being read as far as it came (:meth:`_lose_step`) and leaves the
        side out of step too."""
        if self.done:
            return []
        side = self._sides[from_orig]
        events: list[Event] = []
        if self._client_is_orig is None:
            self.done = True  # (a few bytes, then a hole: nothing to go on)
        elif side.buf or side.state in _FRAMING or (
                side.state == _State.CHUNK_DATA and length > side.remaining):
            self._lose_step(side, from_orig == self._client_is_orig, events)
        elif side.state in (_State.LENGTH, _State.CHUNK_DATA) and length <= side.remaining:
            side.remaining -= length
            assert side.current is not None
            side.current.body_gap(length)
            if side.remaining == 0:
                if side.state == _State.LENGTH:
                    self._complete(side, from_orig == self._client_is_orig, events)
                else:
                    side.state = _State.CHUNK_CRLF
        elif side.state == _State.LENGTH:  # the rest of the body and more: the body is done
            assert side.current is not None
            side.current.body_gap(side.remaining)
            side.remaining = 0
            self._complete(side, from_orig == self._client_is_orig, events)
            side.out_of_step = True
        elif side.state == _State.HEAD:
            if from_orig != self._client_is_orig and self._requests and self._requests[0].simple:
                self._simple_response(side, self._last_ts).body_gap(length)  # raw: in step
            else:
                side.out_of_step = True  # between messages (the buffer is empty)
        elif side.state == _State.UNTIL_CLOSE and side.current is not None:
            side.current.body_gap(length)
        elif side.state != _State.TUNNEL:
            self.done = True  # (client bytes after an HTTP/0.9 request)
        return events

    def _lose_step(self, side: _Side, is_client: bool, events: list[Event]) -> None:
        """A hole where parsing cannot stay in step. A head cut by it counts as far as whole
        lines go when its start line is whole and valid: a request waits for its response,
        a response answers the oldest request waiting (its body unknown: none seen); a head
        cut inside its start line is lost. A message in its chunk framing ends as far as it
        came. Then the side is out of step: its next bytes must start a message."""
        if side.state == _State.HEAD:
            msg = self._head_so_far(side, is_client)
            if msg is not None and is_client:
                if self.server_name is None and b"host" in msg.headers:
                    self.server_name = host_without_port(msg.headers[b"host"]) or None
                self._queue(msg, events)
            elif msg is not None:
                status = int(msg.line.group(2))  # type: ignore[union-attr]
                if not 100 <= status < 200:  # (an interim response is not paired)
                    request = self._open = self._requests.pop(0) if self._requests else None
                    side.current = msg
                    self._complete(side, is_client, events)
                    if status == 101 or (request is not None and request.method == b"CONNECT"
                                         and status < 300):
                        self.done = True  # a tunnel whose start is lost: nothing to read
        elif side.current is not None:
            self._complete(side, is_client, events)
        del side.buf[:]
        side.state, side.remaining, side.scan, side.line = _State.HEAD, 0, 0, None
        side.current = None
        side.out_of_step = True

    def _head_so_far(self, side: _Side, is_client: bool) -> _Message | None:
        """The message whose head a hole cut, from its whole lines: None when its start line
        is not whole or not valid (or starts HTTP/2 or an HTTP/0.9 exchange). A request line
        cut short (a snap length keeps a segment's first bytes only) counts when it has a
        known method and the start of a URI: the URI as far as it came, no headers."""
        buf = side.buf
        while buf.startswith(_LINE_ENDS):
            del buf[: 2 if buf[0] == 0x0D else 1]
        end = buf.find(b"\n")
        if end < 0:
            cut = _CUT_REQUEST.match(bytes(buf).rstrip(b"\r")) if is_client else None
            return None if cut is None else _Message(cut, {}, self._last_ts)
        line = side.line
        if line is None:
            try:
                line = self._check_start(bytes(buf[:end]).rstrip(b"\r"), is_client)
            except BadValue:
                return None
        if line.re is _SIMPLE_REQUEST or line.group(0) == _H2_PREFACE_LINE:
            return None
        return _Message(line, _parse_head(bytes(buf[: buf.rfind(b"\n") + 1]))[1], self._last_ts)

    def finish(self) -> list[Event]:
        """Emit the transactions still open: a response cut short (its head too, when its
        status line is whole), unanswered requests (and a request line the close cut short,
        with the server bytes answering it when it is an HTTP/0.9 one)."""
        events: list[Event] = []
        if self._early is not None:  # its request body never ended: as far as it came
            self._emit(events, *self._early)
            self._early = None
        if self._client_is_orig is None:
            return events
        server = self._sides[not self._client_is_orig]
        self._cut_request(self._sides[self._client_is_orig], server)
        if server.state == _State.HEAD and server.buf and not server.out_of_step:
            self._lose_step(server, False, events)  # a response head the close cut short
        if server.current is not None:
            self._emit(events, self._open, server.current)
            server.current = None
            self._open = None
        while self._requests:
            self._emit(events, self._requests.pop(0), None)
        return events

    # -- internals ----------------------------------------------------------------------------

    def _cut_request(self, client: _Side, server: _Side) -> None:
        """At the close: a request whose head the close cut short is queued when its start
        line is valid (headers as far as whole lines go); server bytes waiting for a request
        then answer it if it is an HTTP/0.9 one."""
        buf = client.buf
        if client.state != _State.HEAD or not buf or client.out_of_step:
            return
        end = buf.find(b"\n")
        line = bytes(buf if end < 0 else buf[:end]).rstrip(b"\r")
        match = _REQUEST_LINE.match(line) or _SIMPLE_REQUEST.match(line)
        if match is None:
            return
        whole = bytes(buf[: buf.rfind(b"\n") + 1]) if match.re is _REQUEST_LINE else b""
        headers = _parse_head(whole)[1] if whole else {}
        try:
            _content_length(headers)
        except BadValue:
            return
        del buf[:]
        msg = _Message(match, headers, self._last_ts)
        self._requests.append(msg)
        if (server.state == _State.HEAD and server.buf and server.current is None
                and self._requests[0] is msg and msg.simple):
            self._simple_response(server, self._last_ts).body(server.buf)
            del server.buf[:]

    def _step(self, side: _Side, is_client: bool, ts_ns: int, events: list[Event]) -> bool:
        """Advance one state; False when more bytes are needed."""
        buf = side.buf
        state = side.state
        if state == _State.HEAD:
            if not is_client and self._requests and self._requests[0].simple:
                self._simple_response(side, ts_ns)  # raw bytes, every one of them body
                return True
            while buf.startswith(_LINE_ENDS):  # RFC 9112 §2.2: leading empty lines
                del buf[: 2 if buf[0] == 0x0D else 1]
            if not buf:
                return False
            if side.out_of_step:  # after a hole: these bytes must start a message; others
                resumes = _resumes(buf, is_client)  # are the rest of one never seen whole,
                if not resumes:  # up to a line that starts one (a lost segment's neighbour
                    if resumes is not None:  # may hold a body's tail and the next head)
                        at = _next_start(buf, is_client)
                        del buf[: at if at >= 0 else len(buf)]
                        return at >= 0
                    return False
                side.out_of_step = False
            if not is_client and self._requests and len(buf) >= 5 and not buf.startswith(b"HTTP/"):
                # a version-1.x request answered without a status line: the requests stay
                # unanswered, reading stops
                while self._requests:
                    self._emit(events, self._requests.pop(0), None)
                self.done = True
                return False
            if side.line is None:
                if is_client and buf[0] not in _TCHAR and self._connect_pending():
                    side.state = _State.TUNNEL  # no request starts so: tunnel bytes
                    return True
                first = buf.find(b"\n", max(0, side.scan - 2))  # none before: searched
                if first >= 0:  # a complete start line is checked at once
                    try:
                        side.line = self._check_start(bytes(buf[:first]).rstrip(b"\r"),
                                                      is_client)
                    except BadValue:
                        if not (is_client and self._connect_pending()):
                            raise
                        side.state = _State.TUNNEL
                        return True
                    if side.line.re is _SIMPLE_REQUEST:  # the whole request is this line
                        del buf[: first + 1]
                        side.scan = 0
                        self._on_simple(side, ts_ns, events)
                        return True
            head_end, body_start = _head_end(buf, side.scan)
            if head_end < 0:
                if len(buf) > limits.HTTP_MAX_HEADER_BYTES:
                    raise LimitExceeded("HTTP header block too large")
                side.scan = max(0, len(buf) - 2)
                return False
            head = bytes(buf[:head_end])
            del buf[:body_start]
            side.scan = 0
            self._on_head(side, head, is_client, ts_ns, events)
            return True
        if state == _State.LENGTH or state == _State.CHUNK_DATA:
            n = min(side.remaining, len(buf))
            assert side.current is not None
            side.current.body(buf[:n])
            del buf[:n]
            side.remaining -= n
            if side.remaining == 0:
                if state == _State.LENGTH:
                    self._complete(side, is_client, events)
                else:
                    side.state = _State.CHUNK_CRLF
            return True
        if state == _State.CHUNK_CRLF:
            if buf[:2] == b"\r\n":
                del buf[:2]
            elif buf[:1] == b"\n":
                del buf[:1]
            elif buf == b"\r":
                return False
            else:
                raise BadValue("chunk data not followed by CRLF")
            side.state = _State.CHUNK_SIZE
            return True
        if state == _State.CHUNK_SIZE or state == _State.TRAILER:
            end = buf.find(b"\n")
            if end < 0:
                if len(buf) > limits.HTTP_MAX_LINE_BYTES:
                    raise LimitExceeded("chunk line too long")
                return False
            line = bytes(buf[:end]).rstrip(b"\r")
            del buf[: end + 1]
            if state == _State.TRAILER:
                if not line:
                    self._complete(side, is_client, events)
                return True
            size_text = line.split(b";", 1)[0].strip()
            if not _HEX.match(size_text):
                raise BadValue(f"bad chunk size {size_text[:20]!r}")
            size = int(size_text, 16)
            if size == 0:
                side.state = _State.TRAILER
            else:
                side.state = _State.CHUNK_DATA
                side.remaining = size
            return True
        # UNTIL_CLOSE, TUNNEL and AFTER_SIMPLE: count and drop
        if state == _State.UNTIL_CLOSE and side.current is not None:
            side.current.body(buf)
        elif state == _State.TUNNEL:
            from_orig = is_client == self._client_is_orig
            chunk = bytes(buf)
            if all(s != from_orig for s, _ in self._tunnel):  # this side's first tunnel bytes:
                chunk = chunk.lstrip(b"\r\n")  # empty lines after the CONNECT exchange are
                # not the tunnel's (RFC 9112 §2.2: ignored before a message)
            room = TUNNEL_PEEK_BYTES - sum(len(data) for _, data in self._tunnel)
            if room > 0 and chunk:
                self._tunnel.append((from_orig, chunk[:room]))
        del buf[:]
        return False

    def _check_start(self, line: bytes, is_client: bool) -> re.Match[bytes]:
        if is_client:
            match = _REQUEST_LINE.match(line) or _SIMPLE_REQUEST.match(line)
        else:
            match = _STATUS_LINE.match(line)
        if match is None:
            kind = "request" if is_client else "status"
            raise BadValue(f"bad HTTP {kind} line {line[:40]!r}")
        return match

    def _connect_pending(self) -> bool:
        """The client's last request is a CONNECT not answered yet."""
        return bool(self._requests) and self._requests[-1].method == b"CONNECT"

    def _queue(self, msg: _Message, events: list[Event]) -> None:
        """A request waits for its response (the oldest is logged unanswered past the limit)."""
        self._requests.append(msg)
        if len(self._requests) > limits.HTTP_MAX_PENDING:
            self._emit(events, self._requests.pop(0), None)

    def _simple_response(self, server: _Side, ts_ns: int) -> _Message:
        """RFC 1945 §6: the oldest request, a Simple-Request, is answered by a Simple-Response:
        the raw body up to the close (no status line, no headers)."""
        self._open = self._requests.pop(0)
        server.current = _Message(None, {}, ts_ns)
        server.state = _State.UNTIL_CLOSE
        server.out_of_step = False
        return server.current

    def _on_simple(self, side: _Side, ts_ns: int, events: list[Event]) -> None:
        """An HTTP/0.9 Simple-Request (RFC 1945 §4.1): complete with its line."""
        assert side.line is not None
        self._queue(_Message(side.line, {}, ts_ns), events)
        side.line = None
        side.state = _State.AFTER_SIMPLE  # RFC 1945 §1.3: the exchange ends the connection
        server = self._sides[not self._client_is_orig]
        if server.current is not None and self._open is None and server.state != _State.HEAD:
            # a response sent before any request, still being read: the server's next bytes
            # are the raw Simple-Response to this request, so that response ends here
            self._emit(events, None, server.current)
            server.current = None
            server.state, server.remaining, server.scan, server.line = _State.HEAD, 0, 0, None
            del server.buf[:]

    def _on_head(
        self, side: _Side, head: bytes, is_client: bool, ts_ns: int, events: list[Event]
    ) -> None:
        start, headers = _parse_head(head)
        line = side.line if side.line is not None else self._check_start(start, is_client)
        side.line = None
        if is_client and not headers and line.group(0) == _H2_PREFACE_LINE:
            # HTTP/2 with prior knowledge: the whole flow is HTTP/2's, the preface included
            self._hand_over("http2", bool(self._client_is_orig),
                            _H2_PREFACE_LINE + b"\r\n\r\n" + side.buf)
            return
        msg = _Message(line, headers, ts_ns)
        side.current = msg
        try:
            length = _content_length(headers)
        except BadValue:  # (the message is logged as far as it came: its head; a request so
            if is_client:  # framed does not name the flow, as the compiled classifier's test)
                self._queue(msg, events)
            else:
                self._open = self._requests.pop(0) if self._requests else None
            raise
        if is_client:
            if self.server_name is None and b"host" in headers:
                self.server_name = host_without_port(headers[b"host"]) or None
            self._queue(msg, events)
            if _is_chunked(headers):
                side.state = _State.CHUNK_SIZE
            elif length:
                side.state, side.remaining = _State.LENGTH, length
            else:
                self._complete(side, is_client, events)
            return
        status = int(line.group(2))
        if 100 <= status < 200 and status != 101:  # interim response: not paired
            side.current = None
            return
        self._open = self._requests.pop(0) if self._requests else None
        method = self._open.method if self._open is not None else b""
        if status == 101:
            side.state = _State.TUNNEL
            request = self._open
            self._complete(side, is_client, events)
            self.done = True
            upgrade = headers.get(b"upgrade", "").strip().lower()
            if upgrade == "h2c":  # RFC 7540 §3.2
                self._hand_over("http2", not self._client_is_orig, side.buf)
            elif upgrade == "websocket" and request is not None:  # RFC 6455 §4.2.2
                uri = request.line.group(2) if request.line is not None else None
                events.append(websocket_record(request.ts_ns, request.headers, uri, headers))
        elif method == b"CONNECT" and 200 <= status < 300:
            side.state = self._sides[bool(self._client_is_orig)].state = _State.TUNNEL
            self._complete(side, is_client, events)
            self._connected = True
        elif method == b"HEAD" or status in (204, 304):
            self._complete(side, is_client, events)
        elif _is_chunked(headers):
            side.state = _State.CHUNK_SIZE
        elif length is not None:
            if length:
                side.state, side.remaining = _State.LENGTH, length
            else:
                self._complete(side, is_client, events)
        else:
            side.state = _State.UNTIL_CLOSE

    def _hand_over(self, successor: str, from_orig: bool, data: bytes | bytearray) -> None:
        """The rest of the flow is ``successor``'s, starting with ``data`` (of that side)."""
        self.done, self.upgrade = True, successor
        self.upgrade_data = ((from_orig, bytes(data)),) if data else ()
        self._sides[from_orig].buf.clear()

    def _complete(self, side: _Side, is_client: bool, events: list[Event]) -> None:
        """A message of this direction is complete."""
        if side.state != _State.TUNNEL:
            side.state = _State.HEAD
        if is_client:
            if self._early is not None and self._early[0] is side.current:
                self._emit(events, *self._early)
                self._early = None
            side.current = None
            return
        response = side.current
        side.current = None
        request = self._open
        self._open = None
        client = self._sides[self._client_is_orig] if self._client_is_orig is not None else None
        if (request is not None and response is not None and client is not None
                and client.current is request and self._early is None):
            self._depth += 1  # (the transaction's place is taken now)
            self._early = (request, response, self._depth)
            return
        self._emit(events, request, response)

    def _emit(self, events: list[Event], request: _Message | None, response: _Message | None,
              depth: int | None = None) -> None:
        """The transaction's row, and a ``kerberos`` row for an AP exchange its Negotiate
        headers carry (RFC 4559: the client's AP-REQ, the server's AP-REP; accepted unless
        the status is an error)."""
        row = self._record(request, response, depth)
        events.append(row)
        if request is None:
            return
        if row.method is not None and not _METHOD_SHAPE.fullmatch(row.method):
            events.append(Problem(request.ts_ns, BadValue(
                f"request method {row.method!r} is not upper-case letters, '-' and '_' as "
                "every HTTP method is (an evasion, or another protocol's request)")))
        ticket = _negotiate(client_auth(request.headers), ap_request)
        if ticket is None:
            return
        answer = None
        if response is not None:
            rs = response.headers
            answer = _negotiate(rs.get(b"www-authenticate") or rs.get(b"proxy-authenticate"),
                                gss_message)
        status = row.status_code
        events.append(ap_record(ticket, request.ts_ns, answer,
                                response.ts_ns if response is not None else request.ts_ns,
                                None if status is None else status < 400))

    def _record(self, request: _Message | None, response: _Message | None,
                depth: int | None = None) -> HttpRecord:
        if depth is None:
            self._depth += 1
            depth = self._depth
        if request is not None:
            ts_ns = request.ts_ns
        elif response is not None:
            ts_ns = response.ts_ns
        else:
            raise AssertionError("a transaction has a request or a response")
        method = host = uri = user_agent = referrer = request_content_type = None
        auth: tuple[str | None, str | None, str | None, bool | None] = (None, None, None, None)
        request_body_len = 0
        request_mime_type = None
        version: bytes | None = b"0.9"  # a Simple-Request (or Simple-Response alone) has none
        if request is not None:
            rq = request.headers
            host = rq.get(b"host")
            user_agent = rq.get(b"user-agent")
            referrer = rq.get(b"referer")
            request_content_type = rq.get(b"content-type")
            request_body_len = request.body_len
            request_mime_type = request.mime_type
            auth = http_credentials(client_auth(rq), self.show_passwords)
            rq_line = request.line
            if rq_line is not None:
                method_raw, uri_raw, rq_version = rq_line.groups()
                method = method_raw.decode("latin-1")
                uri = (uri_raw or b"").decode("latin-1")
                version = None if rq_line.re is _CUT_REQUEST else rq_version or version
        status_code = status_msg = response_content_type = server = location = None
        response_body_len = 0
        response_mime_type = None
        if response is not None:
            rs = response.headers
            response_content_type = rs.get(b"content-type")
            server = rs.get(b"server")
            location = rs.get(b"location")
            response_body_len = response.body_len
            response_mime_type = response.mime_type
            rs_line = response.line
            if rs_line is not None:
                rs_version, status, reason = rs_line.groups()
                status_code = int(status)
                status_msg = (reason or b"").decode("latin-1")
                if request is None or request.line is None or request.line.re is _CUT_REQUEST:
                    version = rs_version
        return HttpRecord(  # positional, in field order (cheaper than keywords on a hot path)
            ts_ns,
            depth,  # trans_depth
            method,
            host,
            uri,
            version.decode("ascii") if version is not None else None,
            user_agent,
            referrer,
            status_code,
            status_msg,
            request_content_type,
            response_content_type,
            server,
            request_body_len,
            response_body_len,
            request_mime_type,
            response_mime_type,
            location,
            *auth,  # auth_mechanism, user, password, credentials_clear
        )
