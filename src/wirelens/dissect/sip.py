"""SIP (RFC 3261) over UDP and TCP.

Messages (RFC 3261 §7) are a start line, header fields, an empty line and a body whose size
is given by Content-Length (§20.14; over UDP the body is the rest of the datagram when the
header is absent, §18.3). Compact header names (§7.3.3) and folded lines (§7.3.1) are
understood.

Rows (:class:`SipRecord`) follow Zeek's ``sip.log``: one per response, carrying the
request it answers, paired within the flow by Call-ID and CSeq (§17.1.3 matches on the
branch; Call-ID + CSeq number + method is the same transaction for well-behaved peers).
Provisional responses (1xx) each give a row and keep the request pending; a final one
(>= 200) closes it. A request never answered (and every ACK, which has no response,
§17.1.1.3) gives a row without status at :meth:`SipDissector.finish`; a response whose
request was not seen gives a row without method.

Keep-alives are skipped: CRLFs between messages over TCP, and datagrams of only
whitespace over UDP (RFC 5626 §3.5.1; some phones send spaces or NULs).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from wirelens.dissect.base import IPPROTO_TCP, IPPROTO_UDP, Dissector, Event
from wirelens.wire.errors import BadValue, LimitExceeded

__all__ = ["SipDissector", "SipMessage", "SipRecord", "parse_head"]

SIP_MAX_HEADER_BYTES = 64 * 1024
"""Start line plus header block; larger is refused (a UDP datagram is at most 64 KiB)."""

SIP_MAX_HEADERS = 256
"""Header fields in one message."""

SIP_MAX_BODY_BYTES = 16 * 1024 * 1024
"""Content-Length accepted over TCP; the body is skipped, not buffered, but a larger value
is a lie or an attack."""

SIP_MAX_PENDING = 64
"""Requests waiting for their response in one flow; beyond it the oldest is emitted alone."""

SIP_MAX_VIA_KEPT = 16
"""Via values kept per message (request_path / response_path)."""

SIP_MAX_FIELD_CHARS = 1024
"""Characters kept of one header value, Request-URI or reason phrase."""

METHODS = frozenset(
    (
        b"INVITE", b"ACK", b"BYE", b"CANCEL", b"REGISTER", b"OPTIONS",  # RFC 3261 §7.1
        b"PRACK",  # RFC 3262
        b"SUBSCRIBE", b"NOTIFY",  # RFC 6665
        b"PUBLISH",  # RFC 3903
        b"INFO",  # RFC 6086
        b"REFER",  # RFC 3515
        b"MESSAGE",  # RFC 3428
        b"UPDATE",  # RFC 3311
    )
)  # fmt: skip
"""Registered request methods (IANA SIP Methods registry); the content test accepts only
these."""

_URI_SCHEMES = (b"sip:", b"sips:", b"tel:", b"urn:")

COMPACT = {
    "i": "call-id", "m": "contact", "e": "content-encoding", "l": "content-length",
    "c": "content-type", "f": "from", "s": "subject", "k": "supported", "t": "to", "v": "via",
}  # fmt: skip
"""Compact header names (RFC 3261 §7.3.3 and §20)."""


@dataclass(slots=True)
class SipMessage:
    """The head of one SIP message."""

    is_request: bool
    """Request (else response)."""
    method: str | None
    """Request method."""
    uri: str | None
    """Request-URI."""
    status_code: int | None
    """Response status code."""
    status_msg: str | None
    """Response reason phrase."""
    headers: dict[str, list[str]]
    """Header values by lower-case full name, in order (compact names expanded)."""
    content_length: int | None
    """Content-Length, when present."""

    def first(self, name: str) -> str | None:
        """The first value of header ``name`` (lower case), cut to SIP_MAX_FIELD_CHARS."""
        values = self.headers.get(name)
        return values[0][:SIP_MAX_FIELD_CHARS] if values else None

    def via(self) -> tuple[str, ...]:
        """Via values (comma-separated ones split), at most SIP_MAX_VIA_KEPT."""
        out: list[str] = []
        for value in self.headers.get("via", ()):
            out += [v.strip() for v in value.split(",") if v.strip()]
        return tuple(out[:SIP_MAX_VIA_KEPT])


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", "replace")


def parse_head(head: bytes) -> SipMessage:
    """Parse a start line and header block (without the empty line), RFC 3261 §7."""
    lines = head.split(b"\r\n") if b"\r\n" in head else head.split(b"\n")
    start = lines[0]
    if start.startswith(b"SIP/2.0 "):  # Status-Line (§7.2)
        parts = start.split(b" ", 2)
        code = parts[1]
        if len(code) != 3 or not code.isdigit() or not b"100" <= code <= b"699":
            raise BadValue(f"bad status code {code[:8]!r}")
        is_request, method, uri = False, None, None
        status: int | None = int(code)
        reason: str | None = _text(parts[2])[:SIP_MAX_FIELD_CHARS] if len(parts) > 2 else ""
    else:  # Request-Line (§7.1): Method SP Request-URI SP SIP-Version
        parts = start.split(b" ")
        if len(parts) != 3 or parts[2] != b"SIP/2.0" or not parts[0].isalpha():
            raise BadValue(f"bad SIP start line {start[:40]!r}")
        is_request, method, uri = True, _text(parts[0]), _text(parts[1])[:SIP_MAX_FIELD_CHARS]
        status, reason = None, None
    headers: dict[str, list[str]] = {}
    last: list[str] | None = None
    count = 0
    for line in lines[1:]:
        if line[:1] in (b" ", b"\t"):  # folded continuation (§7.3.1)
            if last is None:
                raise BadValue("continuation line before any header")
            last[-1] = f"{last[-1]} {_text(line.strip())}"
            continue
        name, sep, value = line.partition(b":")
        name = name.strip()
        if not sep or not name or b" " in name:
            raise BadValue(f"bad header line {line[:40]!r}")
        count += 1
        if count > SIP_MAX_HEADERS:
            raise LimitExceeded("too many header fields")
        key = _text(name).lower()
        key = COMPACT.get(key, key)
        last = headers.setdefault(key, [])
        last.append(_text(value.strip()))
    length: int | None = None
    if "content-length" in headers:
        raw = headers["content-length"][0]
        if not raw.isdigit():
            raise BadValue(f"bad Content-Length {raw[:20]!r}")
        length = int(raw)
        if length > SIP_MAX_BODY_BYTES:
            raise LimitExceeded(f"Content-Length {length}")
    return SipMessage(is_request, method, uri, status, reason, headers, length)


@dataclass(slots=True)
class SipRecord(Event):
    """One SIP response with the request it answers (or a lone request / response)."""

    table: ClassVar[str | None] = "sip"

    trans_depth: int
    """Position of the request in the flow (1-based; 0 when the request was not seen)."""
    method: str | None
    """Request method (INVITE, REGISTER, ...)."""
    uri: str | None
    """Request-URI."""
    date: str | None
    """Date header of the request."""
    request_from: str | None
    """From header of the request."""
    request_to: str | None
    """To header of the request."""
    response_from: str | None
    """From header of the response."""
    response_to: str | None
    """To header of the response (carries the callee's tag)."""
    reply_to: str | None
    """Reply-To header of the request."""
    call_id: str | None
    """Call-ID."""
    seq: str | None
    """CSeq (sequence number and method)."""
    subject: str | None
    """Subject header of the request."""
    request_path: tuple[str, ...]
    """Via values of the request, in order."""
    response_path: tuple[str, ...]
    """Via values of the response, in order."""
    user_agent: str | None
    """User-Agent of the request (else of the response)."""
    server: str | None
    """Server header of the response."""
    status_code: int | None
    """Response status code (None when no response was seen)."""
    status_msg: str | None
    """Response reason phrase."""
    warning: str | None
    """Warning header of the response."""
    request_body_len: int
    """Body bytes of the request (Content-Length)."""
    response_body_len: int
    """Body bytes of the response."""
    content_type: str | None
    """Content-Type of the response (else of the request)."""


def _key(msg: SipMessage) -> tuple[str, str]:
    """Transaction key: Call-ID and CSeq (number + method, spaces normalised)."""
    cseq = " ".join((msg.first("cseq") or "").split()).upper()
    return (msg.first("call-id") or "", cseq)


def _record(
    req: tuple[SipMessage, int, int, int] | None,
    resp: tuple[SipMessage, int, int] | None,
) -> SipRecord:
    rq = req[0] if req is not None else None
    rs = resp[0] if resp is not None else None
    first = rq if rq is not None else rs
    assert first is not None
    ts = req[1] if req is not None else resp[1] if resp is not None else 0
    return SipRecord(
        ts_ns=ts,
        trans_depth=req[3] if req is not None else 0,
        method=rq.method if rq is not None else None,
        uri=rq.uri if rq is not None else None,
        date=rq.first("date") if rq is not None else None,
        request_from=rq.first("from") if rq is not None else None,
        request_to=rq.first("to") if rq is not None else None,
        response_from=rs.first("from") if rs is not None else None,
        response_to=rs.first("to") if rs is not None else None,
        reply_to=rq.first("reply-to") if rq is not None else None,
        call_id=first.first("call-id"),
        seq=first.first("cseq"),
        subject=rq.first("subject") if rq is not None else None,
        request_path=rq.via() if rq is not None else (),
        response_path=rs.via() if rs is not None else (),
        user_agent=(rq.first("user-agent") if rq is not None else None)
        or (rs.first("user-agent") if rs is not None else None),
        server=rs.first("server") if rs is not None else None,
        status_code=rs.status_code if rs is not None else None,
        status_msg=rs.status_msg if rs is not None else None,
        warning=rs.first("warning") if rs is not None else None,
        request_body_len=req[2] if req is not None else 0,
        response_body_len=resp[2] if resp is not None else 0,
        content_type=(rs.first("content-type") if rs is not None else None)
        or (rq.first("content-type") if rq is not None else None),
    )


def _start_line_ok(payload: bytes) -> bool:
    """A SIP/2.0 Status-Line, or a Request-Line with a registered method and a SIP URI."""
    if payload.startswith(b"SIP/2.0 "):
        code = payload[8:11]
        return (
            len(payload) > 12
            and code.isdigit()
            and b"1" <= code[:1] <= b"6"
            and payload[11:12] == b" "
        )
    sp = payload.find(b" ", 0, 10)
    if sp < 0 or payload[:sp] not in METHODS:
        return False
    if not payload.startswith(_URI_SCHEMES, sp + 1):
        return False
    eol = payload.find(b"\r\n", sp, 2048)
    if eol < 0:
        eol = payload.find(b"\n", sp, 2048)
    return eol > 0 and payload[eol - 8 : eol] == b" SIP/2.0"


class SipDissector(Dissector):
    """SIP over UDP (one message per datagram) or TCP (a stream of messages)."""

    name: ClassVar[str] = "sip"
    transports: ClassVar[frozenset[int]] = frozenset((IPPROTO_UDP, IPPROTO_TCP))
    datagrams_stand_alone: ClassVar[bool] = True
    ports: ClassVar[frozenset[int]] = frozenset((5060, 5061))
    first_bytes: ClassVar[frozenset[int] | None] = frozenset({m[0] for m in METHODS} | {ord("S")})
    """``matches``: a registered method or ``SIP/2.0`` first."""

    def __init__(self, proto: int) -> None:
        super().__init__(proto)
        self._pending: dict[tuple[str, str], tuple[SipMessage, int, int, int]] = {}
        self._bufs: dict[bool, bytearray] = {True: bytearray(), False: bytearray()}
        self._skip: dict[bool, int] = {True: 0, False: 0}
        self._depth = 0

    @classmethod
    def from_server(cls, payload: bytes, proto: int) -> bool:
        """A response: a status line (RFC 3261 §7.2), sent by the side that got a request."""
        return payload.startswith(b"SIP/2.0 ")

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """A request line ``METHOD sip:... SIP/2.0`` or a ``SIP/2.0 NNN`` status line."""
        return _start_line_ok(payload)

    def feed(self, data: bytes, from_orig: bool, ts_ns: int) -> list[Event]:
        """A datagram (UDP) or the next stream bytes of one direction (TCP)."""
        if self.proto != IPPROTO_TCP:
            data = bytes(data)
            if not data.strip(b" \t\r\n\x00"):  # a keep-alive datagram (RFC 5626 §3.5.1)
                return []
            end = data.find(b"\r\n\r\n")
            sep = 4
            if end < 0:
                end, sep = data.find(b"\n\n"), 2
            if end < 0:  # §18.3: a datagram without the empty line has no body
                end, sep = len(data), 0
            if end > SIP_MAX_HEADER_BYTES:
                raise LimitExceeded("SIP header block too large")
            msg = parse_head(data[:end])
            body = len(data) - end - sep
            if msg.content_length is not None:
                if msg.content_length > body:
                    raise BadValue(f"Content-Length {msg.content_length} > {body} body bytes")
                body = msg.content_length  # §18.3: the rest is discarded
            return self._on_message(msg, body, ts_ns)
        return self._feed_stream(data, from_orig, ts_ns)

    def _feed_stream(self, data: bytes, from_orig: bool, ts_ns: int) -> list[Event]:
        buf = self._bufs[from_orig]
        skip = self._skip[from_orig]
        if skip:  # the rest of a body being skipped
            n = min(skip, len(data))
            self._skip[from_orig] = skip - n
            data = data[n:]
        buf += data
        events: list[Event] = []
        while buf:
            while buf[:2] == b"\r\n":  # keep-alives (RFC 5626 §3.5.1)
                del buf[:2]
            if not buf or buf == b"\r":
                break
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                if len(buf) > SIP_MAX_HEADER_BYTES:
                    raise LimitExceeded("SIP header block too large")
                break
            msg = parse_head(bytes(buf[:end]))
            if msg.content_length is None:  # mandatory over TCP (§20.14)
                raise BadValue("SIP message over TCP without Content-Length")
            body = msg.content_length
            have = len(buf) - end - 4
            if have >= body:
                del buf[: end + 4 + body]
            else:
                del buf[:]
                self._skip[from_orig] = body - have
            events += self._on_message(msg, body, ts_ns)
        return events

    def finish(self) -> list[Event]:
        """Requests never answered."""
        events: list[Event] = [_record(r, None) for r in self._pending.values()]
        self._pending.clear()
        return events

    def _on_message(self, msg: SipMessage, body: int, ts_ns: int) -> list[Event]:
        key = _key(msg)
        if msg.is_request:
            self._depth += 1
            events: list[Event] = []
            req = (msg, ts_ns, body, self._depth)
            if msg.method == "ACK":  # never answered (§17.1.1.3)
                return [_record(req, None)]
            old = self._pending.pop(key, None)
            if old is not None:  # a retransmission: keep the first, count it once
                req = old
            elif len(self._pending) >= SIP_MAX_PENDING:
                oldest = next(iter(self._pending))
                events.append(_record(self._pending.pop(oldest), None))
            self._pending[key] = req
            return events
        pending = self._pending.get(key)
        if pending is not None and msg.status_code is not None and msg.status_code >= 200:
            del self._pending[key]
        return [_record(pending, (msg, ts_ns, body))]
