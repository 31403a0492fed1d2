"""HTTP/2 over cleartext TCP (h2c, RFC 9113): frames, HPACK header blocks, one ``http`` row
per stream.

The HTTP/1 dissector hands a flow over (``upgrade = "http2"``) at the client's connection
preface (prior knowledge, RFC 9113 §3.4) or after a ``101`` to ``h2c`` (RFC 7540 §3.2: the
upgrade request is stream 1; its request row is the HTTP/1 dissector's, its response is read
here). HTTP/2 over TLS is encrypted and not read.

Each direction is a sequence of frames (§4.1: u24 length, type, flags, reserved bit and u31
stream id). A client is the side whose bytes start with the preface. HEADERS and
PUSH_PROMISE frames, with their CONTINUATIONs up to END_HEADERS (§6.2, §6.6, §6.10), form a
header block decoded by that direction's HPACK decoder (RFC 7541, the ``hpack`` library):
every block is decoded in order, as the dynamic table requires. DATA frames (§6.1) are
counted, not kept (and offered to the caller to skip: :meth:`skippable`). A stream's row (method ``:method``, host ``:authority``, uri ``:path``,
version ``2``, status ``:status``, user agent, referrer, content types, server, body
lengths and the file type of each body's first bytes) is written when the server ends it (END_STREAM) or resets it (RST_STREAM, either
side), the rest at :meth:`finish` in stream order.

Bounds (:data:`MAX_HEADER_BLOCK`, :data:`MAX_STREAMS`): past them, or on a
header block HPACK cannot decode, a :class:`~wirelens.wire.errors.ParseError` (a weird; the
flow's reading stops).
"""

from __future__ import annotations

from typing import ClassVar

from hpack import Decoder, HPACKError

from wirelens.dissect.base import IPPROTO_TCP, Dissector, Event
from wirelens.dissect.http import HttpRecord, host_without_port, http_credentials
from wirelens.dissect.magic import ENCODED_HEAD_BYTES, SNIFF_BYTES, coding_bits, sniff_body
from wirelens.wire.errors import BadValue, LimitExceeded

__all__ = ["PREFACE", "Http2Dissector"]

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
"""The client connection preface (RFC 9113 §3.4)."""
MAX_HEADER_BLOCK = 256 * 1024
"""Largest frame other than DATA (read whole), and largest header block (a HEADERS or
PUSH_PROMISE and its CONTINUATIONs) kept to decode. Reason: the HPACK decoder needs it whole;
real blocks are a few hundred bytes. DATA frames of any length are passed over unbuffered."""
MAX_STREAMS = 1024
"""Streams open at once at most (servers advertise ~100 in SETTINGS_MAX_CONCURRENT_STREAMS)."""

_DATA, _HEADERS, _RST_STREAM, _PUSH_PROMISE, _CONTINUATION = 0x0, 0x1, 0x3, 0x5, 0x9
_END_STREAM, _END_HEADERS, _PADDED, _PRIORITY = 0x1, 0x4, 0x8, 0x20


class _Stream:
    __slots__ = ("mime", "request", "request_body", "response", "response_body", "ts_ns")

    def __init__(self, ts_ns: int) -> None:
        self.ts_ns = ts_ns
        self.request: dict[bytes, bytes] | None = None
        self.response: dict[bytes, bytes] | None = None
        self.request_body = 0
        self.response_body = 0
        self.mime: dict[bool, str | None] = {}  # per side (True: the client's), once sniffed


class _Side:
    __slots__ = ("block", "buf", "decoder", "skip")

    def __init__(self) -> None:
        self.buf = bytearray()
        self.decoder = Decoder()
        self.decoder.max_allowed_table_size = 1 << 20  # the peer's SETTINGS are not ours
        self.skip = 0  # DATA payload bytes still to pass over
        # an open header block: (its frames' stream, the stream it is for, type, ends, bytes)
        self.block: tuple[int, int, int, bool, bytearray] | None = None


class Http2Dissector(Dissector):
    """HTTP/2 streams of a cleartext connection, one ``http`` row each."""

    name: ClassVar[str] = "http2"
    transports: ClassVar[frozenset[int]] = frozenset((IPPROTO_TCP,))
    ports: ClassVar[frozenset[int]] = frozenset()
    """None: h2c shares HTTP's ports, and the HTTP dissector hands it over."""
    first_bytes: ClassVar[frozenset[int] | None] = frozenset(b"P")
    """``matches``: the preface's ``P``."""
    name_source: ClassVar[str | None] = "http_host"
    """The first request's ``:authority`` (HTTP/2's Host, RFC 9113 §8.3.1)."""

    def __init__(self, proto: int, *, show_passwords: bool = False) -> None:
        super().__init__(proto)
        self.show_passwords = show_passwords
        """Keep Basic authentication passwords in clear (off by default)."""
        self._sides = {True: _Side(), False: _Side()}
        self._client: bool | None = None  # from_orig of the client, once its preface is seen
        self._preface = False  # the client's preface was read
        self._streams: dict[int, _Stream] = {}
        self._depth = 0

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """The whole client connection preface."""
        return proto == IPPROTO_TCP and payload.startswith(PREFACE)

    def feed(self, data: bytes, from_orig: bool, ts_ns: int) -> list[Event]:
        """Next stream bytes of one direction."""
        if self.done or not data:
            return []
        side = self._sides[from_orig]
        side.buf += data
        if self._client is None:  # roles from content: the client starts with the preface
            head = bytes(side.buf[: len(PREFACE)])
            if PREFACE.startswith(head) and len(head) < len(PREFACE):
                return []
            self._client = from_orig if head == PREFACE else not from_orig
        if self._client == from_orig and not self._preface:
            if len(side.buf) < len(PREFACE):
                return []
            if not side.buf.startswith(PREFACE):
                raise BadValue("HTTP/2 client bytes without the connection preface", 0)
            del side.buf[: len(PREFACE)]
            self._preface = True
        events: list[Event] = []
        self._frames(side, from_orig == self._client, ts_ns, events)
        return events

    def skippable(self, from_orig: bool) -> int:
        """The rest of a DATA frame's payload (counted from its header, not read)."""
        side = self._sides[from_orig]
        return 0 if self.done or side.buf else side.skip

    def gap(self, from_orig: bool, length: int) -> list[Event]:
        """Bytes never seen: inside a DATA payload they are passed over in step; anywhere
        else the frame boundaries are lost (``done``)."""
        side = self._sides[from_orig]
        if side.buf or length > side.skip:
            self.done = True
        else:
            side.skip -= length
        return []

    def finish(self) -> list[Event]:
        """The rows of the streams still open, in stream order."""
        events: list[Event] = []
        for sid in sorted(self._streams):
            events.append(self._row(self._streams.pop(sid)))
        return events

    # -- frames -----------------------------------------------------------------------------

    def _frames(self, side: _Side, client: bool, ts_ns: int, events: list[Event]) -> None:
        buf = side.buf
        while not self.done:
            if side.skip:
                n = min(side.skip, len(buf))
                del buf[:n]
                side.skip -= n
                if side.skip:
                    return
            if len(buf) < 9:
                return
            length = (buf[0] << 16) | (buf[1] << 8) | buf[2]
            ftype, flags = buf[3], buf[4]
            sid = int.from_bytes(buf[5:9], "big") & 0x7FFFFFFF
            if side.block is not None and ftype != _CONTINUATION:
                raise BadValue("header block not continued (RFC 9113 §6.10)", 3)
            if ftype == _DATA and sid:
                if flags & _PADDED and length and len(buf) < 10:
                    return
                pad = 1 + buf[9] if flags & _PADDED and length else 0
                if pad > length:
                    raise BadValue(f"DATA padding {pad} over its {length} bytes", 9)
                stream = self._streams.get(sid)
                if stream is not None:
                    if client not in stream.mime and length > pad:  # the body's first bytes
                        head = stream.request if client else stream.response
                        coding = coding_bits(_text((head or {}).get(b"content-encoding")))
                        start = 10 if pad else 9
                        end = start + min(length - pad,
                                          SNIFF_BYTES if coding is None else ENCODED_HEAD_BYTES)
                        if len(buf) < end:
                            return  # (at most ENCODED_HEAD_BYTES more wait)
                        stream.mime[client] = sniff_body(bytes(buf[start:end]), coding)
                    if client:
                        stream.request_body += length - pad
                    else:
                        stream.response_body += length - pad
                del buf[:9]
                side.skip = length
                if flags & _END_STREAM and not client:
                    self._end(sid, events)
                continue
            if length > MAX_HEADER_BLOCK:
                raise LimitExceeded(f"HTTP/2 frame of type {ftype} and {length} bytes", 0)
            if len(buf) < 9 + length:
                return
            payload = bytes(buf[9 : 9 + length])
            del buf[: 9 + length]
            if ftype in (_HEADERS, _PUSH_PROMISE):
                self._open_block(side, ftype, flags, sid, payload, ts_ns)
            elif ftype == _CONTINUATION:
                if side.block is None or side.block[0] != sid:
                    raise BadValue("CONTINUATION without its HEADERS", 3)
                side.block[4].extend(payload)
            elif ftype == _RST_STREAM and sid in self._streams:
                self._end(sid, events)
                continue
            else:
                continue
            block = side.block
            if block is not None and len(block[4]) > MAX_HEADER_BLOCK:
                raise LimitExceeded(f"header block over {MAX_HEADER_BLOCK} bytes", 0)
            if block is not None and flags & _END_HEADERS:
                side.block = None
                self._headers(side, client, block, ts_ns, events)

    def _open_block(self, side: _Side, ftype: int, flags: int, sid: int, payload: bytes,
                    ts_ns: int) -> None:
        """A HEADERS or PUSH_PROMISE frame: its header block fragment (§6.2, §6.6)."""
        start, end = 0, len(payload)
        if flags & _PADDED:
            if not payload:
                raise BadValue("padded frame without its pad length", 9)
            start, end = 1, end - payload[0]
        if ftype == _HEADERS and flags & _PRIORITY:
            start += 5
        target = sid
        if ftype == _PUSH_PROMISE:
            if end - start < 4:
                raise BadValue("PUSH_PROMISE without its promised stream id", 9)
            target = int.from_bytes(payload[start : start + 4], "big") & 0x7FFFFFFF
            start += 4
        if start > end or not sid:
            raise BadValue("header block fragment out of its frame", 9)
        ends = bool(flags & _END_STREAM) and ftype == _HEADERS
        side.block = (sid, target, ftype, ends, bytearray(payload[start:end]))

    def _headers(self, side: _Side, client: bool,
                 block: tuple[int, int, int, bool, bytearray], ts_ns: int,
                 events: list[Event]) -> None:
        _, sid, ftype, ends, raw = block
        try:
            fields = dict(side.decoder.decode(bytes(raw), raw=True))
        except (HPACKError, ValueError, IndexError) as exc:
            raise BadValue(f"HPACK: {exc}", 0) from None
        stream = self._streams.get(sid)
        if stream is None:
            if len(self._streams) >= MAX_STREAMS:
                raise LimitExceeded(f"over {MAX_STREAMS} HTTP/2 streams open", 0)
            stream = self._streams[sid] = _Stream(ts_ns)
        if client or ftype == _PUSH_PROMISE:  # a request (a promised one: the server's)
            if stream.request is None:
                stream.request = fields
                authority = fields.get(b":authority") or fields.get(b"host")
                if self.server_name is None and authority:
                    self.server_name = _host(authority)
            return
        status = fields.get(b":status", b"")
        if stream.response is None and not (status.startswith(b"1") and len(status) == 3):
            stream.response = fields  # (an interim 1xx is not the response; trailers follow)
        if ends:
            self._end(sid, events)

    def _end(self, sid: int, events: list[Event]) -> None:
        stream = self._streams.pop(sid, None)
        if stream is not None:
            events.append(self._row(stream))

    def _row(self, stream: _Stream) -> HttpRecord:
        self._depth += 1
        rq = stream.request or {}
        rs = stream.response or {}
        status = rs.get(b":status")
        mechanism, user, password, clear = http_credentials(
            _text(rq.get(b"authorization") or rq.get(b"proxy-authorization")), self.show_passwords)
        return HttpRecord(
            ts_ns=stream.ts_ns,
            trans_depth=self._depth,
            method=_text(rq.get(b":method")),
            host=_text(rq.get(b":authority") or rq.get(b"host")),
            uri=_text(rq.get(b":path")),
            version="2",
            user_agent=_text(rq.get(b"user-agent")),
            referrer=_text(rq.get(b"referer")),
            status_code=int(status) if status is not None and status.isdigit() else None,
            status_msg=None,  # HTTP/2 has no reason phrase
            request_content_type=_text(rq.get(b"content-type")),
            response_content_type=_text(rs.get(b"content-type")),
            server=_text(rs.get(b"server")),
            request_body_len=stream.request_body,
            response_body_len=stream.response_body,
            request_mime_type=stream.mime.get(True),
            response_mime_type=stream.mime.get(False),
            location=_text(rs.get(b"location")),
            auth_mechanism=mechanism,
            user=user,
            password=password,
            credentials_clear=clear,
        )


def _text(raw: bytes | None) -> str | None:
    return None if raw is None else raw.decode("utf-8", "replace")


def _host(authority: bytes) -> str | None:
    """The host of an ``:authority`` (no user info, no port), lower-cased."""
    text = authority.decode("ascii", "replace").rpartition("@")[2]
    return host_without_port(text).lower() or None
