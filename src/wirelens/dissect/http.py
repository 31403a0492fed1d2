"""HTTP/1.x (RFC 9112) over TCP: start lines, key headers, bodies skipped, pipelining.

Each direction is a small state machine fed stream bytes in order. Requests are queued;
the next response pairs with the oldest request (RFC 9112 §9.3.2). One :class:`HttpRecord`
is emitted per transaction when the response message is complete; :meth:`finish` emits the
transactions still open (bodies "as far as seen").

Message bodies (RFC 9112 §6.3): ``Transfer-Encoding: chunked`` wins over
``Content-Length``; a response to HEAD, a 1xx, 204 or 304 has none; a response with neither
runs until the connection closes. A 2xx answer to CONNECT or a 101 switches the flow to a
tunnel: the dissector is then ``done`` and ignores further bytes.

Defined behaviour on extra bytes: bytes after a complete message are the start of the next
message of that direction. If they cannot start one (no valid start line), a
:class:`~wirelens.wire.errors.BadValue` is raised once the line is complete; an incomplete
line waits (nothing is emitted for it). Header lines without a colon are skipped (lenient,
as servers are); a bad start line, bad Content-Length or bad chunk size is an error.
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass
from enum import IntEnum
from typing import ClassVar

from wirelens.dissect import limits
from wirelens.dissect.base import IPPROTO_TCP, Dissector, Event
from wirelens.dissect.magic import SNIFF_BYTES, sniff
from wirelens.wire.errors import BadValue, LimitExceeded

__all__ = ["HttpDissector", "HttpRecord"]


@dataclass(frozen=True, slots=True)
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


class _State(IntEnum):
    HEAD = 0  # waiting for a start line and header block
    LENGTH = 1  # body of known length
    CHUNK_SIZE = 2
    CHUNK_DATA = 3
    CHUNK_CRLF = 4
    TRAILER = 5
    UNTIL_CLOSE = 6
    TUNNEL = 7


_TOKEN = rb"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
_REQUEST_LINE = re.compile(rb"(" + _TOKEN + rb") +(\S(?:.*\S)?) +HTTP/(\d\.\d) *\Z")
_STATUS_LINE = re.compile(rb"HTTP/(\d\.\d) +(\d{3})(?: +(.*?))? *\Z")
_HEADER_LINE = re.compile(b"(" + _TOKEN + rb"):(.*)\Z", re.DOTALL)
_FOLD = frozenset(b" \t")
_EMPTY_LINE = re.compile(rb"\n\r?\n")  # a line end, then an empty line (CRLF or bare LF)
_HEX = re.compile(rb"[0-9A-Fa-f]{1,16}\Z")

_METHODS = (
    b"GET ", b"POST ", b"HEAD ", b"PUT ", b"DELETE ", b"OPTIONS ", b"CONNECT ", b"TRACE ",
    b"PATCH ", b"PROPFIND ", b"PROPPATCH ", b"MKCOL ", b"COPY ", b"MOVE ", b"LOCK ",
    b"UNLOCK ", b"SEARCH ", b"REPORT ",
)  # fmt: skip


class _Message:
    """A request or response being read (internal, mutable)."""

    __slots__ = ("body_head", "body_len", "headers", "line", "ts_ns")

    def __init__(self, line: re.Match[bytes], headers: dict[bytes, str], ts_ns: int) -> None:
        self.line = line
        self.headers = headers
        self.ts_ns = ts_ns
        self.body_len = 0
        self.body_head: bytearray | None = bytearray()
        """The body's first bytes, for :func:`~wirelens.dissect.magic.sniff` (None once a
        hole broke them)."""

    def body(self, data: bytes | bytearray) -> None:
        """Count body bytes; keep the first ones."""
        head = self.body_head
        if head is not None and len(head) < SNIFF_BYTES:
            head += data[: SNIFF_BYTES - len(head)]
        self.body_len += len(data)

    def body_gap(self, length: int) -> None:
        """Body bytes never seen."""
        if self.body_head is not None and len(self.body_head) < SNIFF_BYTES:
            self.body_head = None
        self.body_len += length

    @property
    def mime_type(self) -> str | None:
        """The body's file type from its first bytes (None: no body, or unknown)."""
        return sniff(bytes(self.body_head)) if self.body_head else None


class _Side:
    """Parsing state of one direction."""

    __slots__ = ("buf", "current", "line_checked", "remaining", "scan", "state")

    def __init__(self) -> None:
        self.buf = bytearray()
        self.state = _State.HEAD
        self.remaining = 0
        self.scan = 0
        self.line_checked = False
        """The start line of the message being read was complete and checked."""
        self.current: _Message | None = None


def _head_end(buf: bytearray, start: int) -> tuple[int, int]:
    """Find the empty line ending a header block: (end of head, start of body) or (-1, -1)."""
    m = _EMPTY_LINE.search(buf, start)
    return (m.start(), m.end()) if m is not None else (-1, -1)


def _parse_head(head: bytes) -> tuple[bytes, dict[bytes, str]]:
    """Split a head into its start line and the headers (lowercase names, first value wins
    except Content-Length and Transfer-Encoding, whose values are joined)."""
    lines = head.split(b"\n")
    start = lines[0].rstrip(b"\r")
    headers: dict[bytes, str] = {}
    last: bytes | None = None
    match = _HEADER_LINE.match
    for line in lines[1:]:  # a trailing CR goes with the strip() of the value
        if line and line[0] in _FOLD:  # obs-fold (RFC 9112 §5.2): continues the last value
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
            if key in (b"content-length", b"transfer-encoding"):
                headers[key] += "," + text
            last = None
            continue
        headers[key] = text
        last = key
    return start, headers


def _content_length(headers: dict[bytes, str]) -> int | None:
    """Content-Length (RFC 9112 §6.3 item 5): repeated values must agree."""
    raw = headers.get(b"content-length")
    if raw is None:
        return None
    values = {v.strip() for v in raw.split(",")}
    if len(values) != 1:
        raise BadValue(f"conflicting Content-Length {raw!r}")
    value = values.pop()
    if not value.isdigit() or not value.isascii() or len(value) > 18:
        raise BadValue(f"bad Content-Length {raw!r}")
    return int(value)


def _is_chunked(headers: dict[bytes, str]) -> bool:
    te = headers.get(b"transfer-encoding")
    return te is not None and te.rsplit(",", 1)[-1].strip().lower() == "chunked"


def _host_name(host: str) -> str:
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
    first_bytes: ClassVar[frozenset[int] | None] = frozenset(
        b for b in range(256) if re.fullmatch(_TOKEN, bytes((b,))))
    """``matches``: a request line's method is any ``_TOKEN`` (RFC 9110 §5.6.2 tchar, not
    only the known methods) and ``HTTP/1.`` starts with one too."""

    def __init__(self, proto: int) -> None:
        super().__init__(proto)
        self._sides = {True: _Side(), False: _Side()}  # by from_orig
        self._client_is_orig: bool | None = None  # decided by the first bytes seen
        self._requests: deque[_Message] = deque()  # complete heads waiting for a response
        self._open: _Message | None = None  # request of the response being read
        self._depth = 0

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """A known method and a space (or a whole request line), or a status line (a capture
        starting with the response: the roles are then taken from the content)."""
        if proto != IPPROTO_TCP:
            return False
        if payload.startswith(b"HTTP/1."):  # either side: captures may start mid-flow
            return _STATUS_LINE.match(payload.split(b"\n", 1)[0].rstrip(b"\r")) is not None
        end = payload.find(b"\n")
        if end >= 0:
            return _REQUEST_LINE.match(payload[:end].rstrip(b"\r")) is not None
        return payload.startswith(_METHODS)

    def feed(self, data: bytes, from_orig: bool, ts_ns: int) -> list[Event]:
        """Next stream bytes of one direction."""
        if self.done:
            return []
        side = self._sides[from_orig]
        side.buf += data
        if self._client_is_orig is None:  # roles from content: the server sends "HTTP/"
            head = bytes(side.buf[:5])
            if len(head) < 5 and b"HTTP/".startswith(head):
                return []
            self._client_is_orig = from_orig != head.startswith(b"HTTP/")
        is_client = from_orig == self._client_is_orig
        events: list[Event] = []
        while side.buf and not self.done:
            if not self._step(side, is_client, ts_ns, events):
                break
        return events

    def gap(self, from_orig: bool, length: int) -> list[Event]:
        """Bytes never seen: inside a body of known length (or one read until the close, or a
        tunnel) they are counted as body and parsing stays in step; anywhere else (a header
        block, chunk framing) the stream is lost and the dissector stops."""
        if self.done:
            return []
        side = self._sides[from_orig]
        events: list[Event] = []
        if side.buf:  # a message head or chunk line was waiting for these bytes
            self.done = True
        elif side.state in (_State.LENGTH, _State.CHUNK_DATA) and length <= side.remaining:
            side.remaining -= length
            assert side.current is not None
            side.current.body_gap(length)
            if side.remaining == 0:
                if side.state == _State.LENGTH:
                    self._complete(side, from_orig == self._client_is_orig, events)
                else:
                    side.state = _State.CHUNK_CRLF
        elif side.state == _State.UNTIL_CLOSE and side.current is not None:
            side.current.body_gap(length)
        elif side.state != _State.TUNNEL:
            self.done = True
        return events

    def finish(self) -> list[Event]:
        """Emit the transactions still open: a response cut short, unanswered requests."""
        events: list[Event] = []
        server = self._sides[not self._client_is_orig]
        if self._client_is_orig is not None and server.current is not None:
            events.append(self._record(self._open, server.current))
            server.current = None
            self._open = None
        while self._requests:
            events.append(self._record(self._requests.popleft(), None))
        return events

    # -- internals ----------------------------------------------------------------------------

    def _step(self, side: _Side, is_client: bool, ts_ns: int, events: list[Event]) -> bool:
        """Advance one state; False when more bytes are needed."""
        buf = side.buf
        state = side.state
        if state == _State.HEAD:
            while buf[:2] == b"\r\n" or buf[:1] == b"\n":  # RFC 9112 §2.2: leading empty lines
                del buf[: 2 if buf[:1] == b"\r" else 1]
            if not is_client and self._requests and len(buf) >= 5 and buf[:5] != b"HTTP/":
                # RFC 1945 §6: a Simple-Response (HTTP/0.9) has no status line or headers,
                # the body runs to the close: the requests stay unanswered, reading stops
                while self._requests:
                    events.append(self._record(self._requests.popleft(), None))
                self.done = True
                return False
            head_end, body_start = _head_end(buf, side.scan)
            if head_end < 0:
                if len(buf) > limits.HTTP_MAX_HEADER_BYTES:
                    raise LimitExceeded("HTTP header block too large")
                if not side.line_checked:  # a complete start line can be checked already
                    first = buf.find(b"\n", max(0, side.scan - 2))  # none before: searched
                    if first >= 0:
                        self._check_start(bytes(buf[:first]).rstrip(b"\r"), is_client)
                        side.line_checked = True
                side.scan = max(0, len(buf) - 2)
                return False
            head = bytes(buf[:head_end])
            del buf[:body_start]
            side.scan = 0
            side.line_checked = False
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
        # UNTIL_CLOSE and TUNNEL: count and drop
        if state == _State.UNTIL_CLOSE and side.current is not None:
            side.current.body(buf)
        del buf[:]
        return False

    def _check_start(self, line: bytes, is_client: bool) -> re.Match[bytes]:
        pattern = _REQUEST_LINE if is_client else _STATUS_LINE
        match = pattern.match(line)
        if match is None:
            kind = "request" if is_client else "status"
            raise BadValue(f"bad HTTP {kind} line {line[:40]!r}")
        return match

    def _on_head(
        self, side: _Side, head: bytes, is_client: bool, ts_ns: int, events: list[Event]
    ) -> None:
        start, headers = _parse_head(head)
        msg = _Message(self._check_start(start, is_client), headers, ts_ns)
        length = _content_length(headers)
        side.current = msg
        if is_client:
            if self.server_name is None and b"host" in headers:
                self.server_name = _host_name(headers[b"host"]) or None
            self._requests.append(msg)
            if len(self._requests) > limits.HTTP_MAX_PENDING:
                events.append(self._record(self._requests.popleft(), None))
            if _is_chunked(headers):
                side.state = _State.CHUNK_SIZE
            elif length:
                side.state, side.remaining = _State.LENGTH, length
            else:
                self._complete(side, is_client, events)
            return
        status = int(msg.line.group(2))
        if 100 <= status < 200 and status != 101:  # interim response: not paired
            side.current = None
            return
        self._open = self._requests.popleft() if self._requests else None
        method = self._open.line.group(1) if self._open is not None else b""
        if status == 101 or (method == b"CONNECT" and 200 <= status < 300):
            side.state = _State.TUNNEL
            self._complete(side, is_client, events)
            self.done = True
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

    def _complete(self, side: _Side, is_client: bool, events: list[Event]) -> None:
        """A message of this direction is complete."""
        if side.state != _State.TUNNEL:
            side.state = _State.HEAD
        if is_client:
            side.current = None
            return
        response = side.current
        side.current = None
        events.append(self._record(self._open, response))
        self._open = None

    def _record(self, request: _Message | None, response: _Message | None) -> HttpRecord:
        self._depth += 1
        rq = request.headers if request is not None else {}
        rs = response.headers if response is not None else {}
        if request is not None:
            ts_ns, version = request.ts_ns, request.line.group(3)
        elif response is not None:
            ts_ns, version = response.ts_ns, response.line.group(1)
        else:
            raise AssertionError("a transaction has a request or a response")
        return HttpRecord(
            ts_ns=ts_ns,
            trans_depth=self._depth,
            method=request.line.group(1).decode("latin-1") if request is not None else None,
            host=rq.get(b"host"),
            uri=request.line.group(2).decode("latin-1") if request is not None else None,
            version=version.decode("ascii"),
            user_agent=rq.get(b"user-agent"),
            referrer=rq.get(b"referer"),
            status_code=int(response.line.group(2)) if response is not None else None,
            status_msg=(
                (response.line.group(3) or b"").decode("latin-1")
                if response is not None
                else None
            ),
            request_content_type=rq.get(b"content-type"),
            response_content_type=rs.get(b"content-type"),
            server=rs.get(b"server"),
            request_body_len=request.body_len if request is not None else 0,
            response_body_len=response.body_len if response is not None else 0,
            request_mime_type=request.mime_type if request is not None else None,
            response_mime_type=response.mime_type if response is not None else None,
        )
