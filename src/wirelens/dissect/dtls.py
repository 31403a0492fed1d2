"""DTLS over UDP: record layer, handshake reassembly, hellos and certificates (RFC 4347 DTLS
1.0, RFC 6347 DTLS 1.2, RFC 9147 DTLS 1.3).

A datagram holds one or more records (RFC 6347 §4.1: a record never spans datagrams), each
with the 13-byte DTLSPlaintext header: type u8, version u16, epoch u16, sequence_number u48,
length u16. Records of epoch 0 are in clear; a handshake record holds one or more handshake
fragments, each with the 12-byte DTLS handshake header (RFC 6347 §4.2.2): msg_type u8,
length u24, message_seq u16, fragment_offset u24, fragment_length u24. Fragments of one
message (same ``message_seq``) are joined, in any order and with overlaps or
retransmissions, into the whole message (bounded, see the limits below).

The ClientHello of DTLS carries a ``cookie`` vector after the session id (RFC 6347 §4.2.1):
it is cut out and the rest is the TLS ClientHello body, parsed by
:func:`wirelens.dissect.tls.parse_client_hello`; the ServerHello has the TLS layout
(:func:`wirelens.dissect.tls.parse_server_hello`). A HelloVerifyRequest (msg_type 3,
RFC 6347 §4.2.1) is noted (:attr:`DtlsDissector.hello_verify_request`). A DTLS <= 1.2 server
Certificate is read as in TLS (x509 rows, certificate columns of the summary).

Versions: 0xFEFF (DTLS 1.0), 0xFEFD (DTLS 1.2), 0xFEFC (DTLS 1.3, only inside the hellos'
supported_versions; its records keep 0xFEFD, RFC 9147 §5.1) and 0x0100, the pre-standard
version of old OpenSSL releases (``DTLS1_BAD_VER``). DTLS 1.3 records after the ServerHello
use the unified header (first byte 0b001xxxxx, RFC 9147 §4) and are encrypted: they only say
that this direction is encrypted.

WebRTC multiplexes STUN, DTLS and SRTP on one port (RFC 7983 §7): a datagram whose first
byte is outside 20-63 is not DTLS and is ignored, not an error.

One :class:`~wirelens.dissect.tls.TlsRecord` per flow in the ``tls`` table (``version``
``DTLSv12`` etc., JA3/JA3S over the DTLS version numbers, JA4 with transport ``d``), emitted
when nothing more is in clear, or by :meth:`DtlsDissector.finish`.

Defined behaviour on damage: a datagram whose records do not parse (a header that is not
DTLS, a record longer than its datagram, inconsistent fragments, a hello that does not parse)
is discarded, as RFC 6347 §4.1.2.7 says to, keeping what its earlier records gave; the row's
``late_error`` says how many were and why the first one was. After
:data:`DTLS_MAX_BAD_DATAGRAMS` of them the next one raises
:class:`~wirelens.wire.errors.LimitExceeded`. Once ``done``, further datagrams are ignored.
"""

from __future__ import annotations

from dataclasses import replace
from enum import IntEnum
from typing import ClassVar

from wirelens.dissect.base import IPPROTO_UDP, Dissector, Event
from wirelens.dissect.tls import (
    ClientHello,
    ServerHello,
    TlsRecord,
    ecdhe_named_curve,
    handshake_record,
    is_grease,
    parse_client_hello,
    parse_server_hello,
)
from wirelens.dissect.tls_certs import (
    MAX_CHAIN_BYTES,
    X509Record,
    parse_certificate_list,
    x509_record,
)
from wirelens.dissect.tls_hello import ContentType, HandshakeType
from wirelens.dissect.tls_hello import version_name as tls_version_name
from wirelens.wire.errors import BadValue, LimitExceeded, ParseError, Truncated

__all__ = [
    "DTLS_MAX_BAD_DATAGRAMS",
    "DTLS_MAX_FRAGMENTS",
    "DTLS_MAX_HELLO_BYTES",
    "DTLS_MAX_OTHER_FIRST",
    "DTLS_MAX_PENDING_MESSAGES",
    "DTLS_MAX_RECORD_BYTES",
    "DtlsDissector",
    "DtlsVersion",
    "client_hello_without_cookie",
    "dtls_version_name",
]

# -- limits -------------------------------------------------------------------------------------

DTLS_MAX_RECORD_BYTES = 2**14 + 2048
"""Longest record accepted: 2^14 bytes of plaintext plus 2048 of expansion (RFC 6347 §4.1,
as TLS RFC 5246 §6.2.3); more is not DTLS."""
DTLS_MAX_HELLO_BYTES = 64 * 1024
"""Longest Client/ServerHello reassembled: real ones are < 2 KiB (post-quantum key shares
a few KiB); the u24 length allows 16 MiB, which must not be buffered per flow."""
DTLS_MAX_FRAGMENTS = 256
"""Fragments kept per handshake message: a 128 KiB chain in 500-byte fragments is 256;
more is a flood of tiny fragments (each one is a range to merge)."""
DTLS_MAX_BAD_DATAGRAMS = 3
"""Damaged datagrams discarded (RFC 6347 §4.1.2.7) before the flow is given up as not DTLS
(a ParseError): a retransmitted or corrupted datagram or two is normal, a stream of them is
not."""
DTLS_MAX_OTHER_FIRST = 16
"""Datagrams that are not DTLS (RFC 7983 §7: STUN 0-3, RTP/RTCP 128-191, TURN ChannelData
64-79) read before any DTLS record, after which the flow is left alone. ICE's checks on the
chosen pair precede the handshake by a few messages (and the STUN dissector has read up to
``STUN_MAX_MESSAGES`` before it handed the flow over); DTLS-SRTP media is keyed by the
handshake, so it never comes first. A relayed or SDES-keyed call has no DTLS in clear."""
DTLS_MAX_PENDING_MESSAGES = 8
"""Handshake messages being joined at once per direction: a flight has a few (ServerHello,
Certificate, ServerKeyExchange, ...); more means message_seq values that never complete."""

# -- wire codes ---------------------------------------------------------------------------------


class DtlsVersion(IntEnum):
    """DTLS protocol versions (RFC 6347 §4.1: the ones' complement of 1.x)."""

    dtls_bad_ver = 0x0100  # OpenSSL before RFC 4347 was final (DTLS1_BAD_VER)
    dtls10 = 0xFEFF  # RFC 4347
    dtls12 = 0xFEFD  # RFC 6347
    dtls13 = 0xFEFC  # RFC 9147


_DTLS_NAMES = {
    DtlsVersion.dtls_bad_ver.value: "DTLS1_BAD_VER",
    DtlsVersion.dtls10.value: "DTLSv10",
    DtlsVersion.dtls12.value: "DTLSv12",
    DtlsVersion.dtls13.value: "DTLSv13",
}
_RECORD_VERSIONS = frozenset(_DTLS_NAMES)
"""Versions accepted in a DTLSPlaintext header and as a hello's legacy version."""
_NEWEST_FIRST = (0xFEFC, 0xFEFD, 0xFEFF, 0x0100)
"""DTLS versions from newest to oldest (DTLS numbers decrease as versions increase)."""


def dtls_version_name(code: int) -> str:
    """Zeek-style name of a DTLS version (``DTLSv12``); TLS names, ``GREASE`` or hex else."""
    name = _DTLS_NAMES.get(code)
    return name if name is not None else tls_version_name(code)


def _newest(versions: tuple[int, ...], legacy: int) -> int:
    """The newest version offered (supported_versions without GREASE, else ``legacy``):
    for DTLS the smallest code (RFC 6347 §4.1), so not ``ClientHello.max_version``."""
    real = [v for v in versions if not is_grease(v)]
    if not real:
        return legacy
    for v in _NEWEST_FIRST:
        if v in real:
            return v
    return max(real)


def client_hello_without_cookie(body: bytes) -> tuple[bytes, bytes]:
    """(the TLS-shaped ClientHello body, the cookie) of a DTLS ClientHello body (RFC 6347
    §4.2.1: client_version, random[32], session_id<0..32>, cookie<0..2^8-1>, then as TLS)."""
    if len(body) < 35:
        raise Truncated("DTLS ClientHello shorter than version + random + session id", len(body))
    pos = 35 + body[34]  # after the session id
    if pos >= len(body):
        raise Truncated("DTLS ClientHello ends before its cookie", pos)
    end = pos + 1 + body[pos]
    if end > len(body):
        raise Truncated("DTLS ClientHello cookie runs past the message", pos)
    return body[:pos] + body[end:], body[pos + 1 : end]


# -- reassembly ---------------------------------------------------------------------------------


class _Message:
    """One handshake message being joined from its fragments (RFC 6347 §4.2.3)."""

    __slots__ = ("data", "length", "msg_type", "ranges")

    def __init__(self, msg_type: int, length: int) -> None:
        self.msg_type = msg_type
        self.length = length
        self.data = bytearray(length)
        self.ranges: list[tuple[int, int]] = []  # received [start, end), sorted, merged

    def add(self, offset: int, fragment: bytes) -> bool:
        """Copy a fragment in; True when the whole message is there."""
        end = offset + len(fragment)
        self.data[offset:end] = fragment
        merged: list[tuple[int, int]] = []
        for s, e in sorted((*self.ranges, (offset, end))):
            if merged and s <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], e))
            else:
                merged.append((s, e))
        if len(merged) > DTLS_MAX_FRAGMENTS:
            raise LimitExceeded(f"handshake message in over {DTLS_MAX_FRAGMENTS} pieces")
        self.ranges = merged
        return merged == [(0, self.length)] or self.length == 0


class _Side:
    """Reassembly state of one direction."""

    __slots__ = ("completed", "encrypted", "pending")

    def __init__(self) -> None:
        self.pending: dict[int, _Message] = {}  # message_seq -> message being joined
        self.completed: set[int] = set()  # message_seq values already handled
        self.encrypted = False  # an epoch > 0 record, or a CCS, was seen


_HANDSHAKE = ContentType.handshake.value
_ALERT = ContentType.alert.value
_CCS = ContentType.change_cipher_spec.value
_APPLICATION_DATA = ContentType.application_data.value
_CLIENT_HELLO = HandshakeType.client_hello.value
_SERVER_HELLO = HandshakeType.server_hello.value
_HVR = HandshakeType.hello_verify_request.value
_SERVER_KEY_EXCHANGE = HandshakeType.server_key_exchange.value
_CERTIFICATE = HandshakeType.certificate.value
_MATCH_TYPES = frozenset((_CLIENT_HELLO, _SERVER_HELLO, _HVR))
DTLS_MAX_MATCH_EPOCH = 0xFF
"""Highest epoch a session seen from its middle may show (epochs count key changes from 0,
RFC 6347 §4.1: a few in practice); with the version and the exact lengths, it keeps random
datagrams from passing for DTLS."""
DTLS_MAX_MATCH_RECORDS = 8
"""Records of one datagram checked by the mid-session test."""


def _epoch_records(p: bytes) -> bool:
    """Records (RFC 6347 §4.1: type 20-26, a DTLS version, epoch 1..``DTLS_MAX_MATCH_EPOCH``,
    length) back to back filling the datagram exactly: a session joined after its
    handshake."""
    pos, n = 0, len(p)
    for _ in range(DTLS_MAX_MATCH_RECORDS):
        if n - pos < 13 or not 20 <= p[pos] <= 26 or ((p[pos + 1] << 8) | p[pos + 2]) not in \
                _RECORD_VERSIONS or p[pos + 3] or not 1 <= p[pos + 4] <= DTLS_MAX_MATCH_EPOCH:
            return False
        pos += 13 + ((p[pos + 11] << 8) | p[pos + 12])
        if pos >= n:
            return pos == n
    return False
_KEPT_TYPES = frozenset((_CLIENT_HELLO, _SERVER_HELLO, _CERTIFICATE))
_DTLS13 = DtlsVersion.dtls13.value
_FATAL = 2


class DtlsDissector(Dissector):
    """DTLS 1.0 / 1.2 / 1.3 handshake over UDP: SNI, ALPN, versions, cipher, certificate.

    The summary row is emitted once the handshake has shown what it shows in clear: right
    after a DTLS 1.3 ServerHello; for DTLS <= 1.2 after the server's ServerHelloDone (or the
    client's Certificate / ClientKeyExchange when the server asked for a certificate), or a
    ChangeCipherSpec, an epoch > 0 record, application data or a fatal alert; a ClientHello
    whose server side answers only in an epoch > 0 also ends it; otherwise :meth:`finish`.
    """

    name: ClassVar[str] = "dtls"
    name_source: ClassVar[str | None] = "sni"
    transports: ClassVar[frozenset[int]] = frozenset((IPPROTO_UDP,))
    ports: ClassVar[frozenset[int]] = frozenset((443, 4433, 5061, 3478, 5349, 8443))
    first_bytes: ClassVar[frozenset[int] | None] = frozenset(range(20, 27))
    """``matches``: a record (content types 20-26) first."""
    x509_events: ClassVar[bool] = True
    """Emit one :class:`~wirelens.dissect.tls_certs.X509Record` per certificate."""

    hello_verify_request: bool
    """The server answered with a HelloVerifyRequest (a cookie exchange, RFC 6347 §4.2.1)."""
    cookie: bytes
    """The cookie of the last ClientHello that carried one."""
    cert_names: tuple[str, ...]
    """Names of the server's leaf certificate (SAN DNS names, then subject CN), once seen."""
    discarded: int
    """Damaged datagrams discarded so far (RFC 6347 §4.1.2.7)."""

    def __init__(self, proto: int) -> None:
        super().__init__(proto)
        self._sides = {True: _Side(), False: _Side()}
        self._client_hello: ClientHello | None = None
        self._server_hello: ServerHello | None = None
        self._client_side: bool | None = None  # from_orig of the DTLS client, once known
        self._ts_ns: int | None = None
        self._now = 0
        self._emitted = False
        self._want_client_cert = False
        self._leaf: X509Record | None = None
        self._kx_group: int | None = None  # the named curve of an ECDHE ServerKeyExchange
        self._chain_len: int | None = None
        self._cert_status: str | None = None
        self._alert: tuple[int, int, bool] | None = None
        self._discard_note: str | None = None
        self._other_first = 0  # datagrams before any DTLS record that are not DTLS
        self.discarded = 0
        self.hello_verify_request = False
        self.cookie = b""
        self.cert_names = ()

    # -- identification ---------------------------------------------------------------------

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """A DTLSPlaintext handshake record of epoch 0 (RFC 6347 §4.1) holding the first
        fragment header of a ClientHello, ServerHello or HelloVerifyRequest whose lengths add
        up (§4.2.2) and fit the datagram; or, a session seen from its middle, records of a
        later epoch that fill the datagram exactly (:func:`_epoch_records`)."""
        if proto != IPPROTO_UDP or len(payload) < 13:
            return False
        if payload[0] != _HANDSHAKE or len(payload) < 25 or payload[3] or payload[4]:
            return _epoch_records(payload)
        p = payload
        if ((p[1] << 8) | p[2]) not in _RECORD_VERSIONS or p[3] or p[4] or p[5] or p[6]:
            return False  # version, epoch 0, sequence number < 2^32 (an early record)
        length = (p[11] << 8) | p[12]
        if length < 12 or 13 + length > len(p) or p[13] not in _MATCH_TYPES:
            return False
        msg_len = (p[14] << 16) | (p[15] << 8) | p[16]
        frag_off = (p[19] << 16) | (p[20] << 8) | p[21]
        frag_len = (p[22] << 16) | (p[23] << 8) | p[24]
        if frag_off + frag_len > msg_len or 12 + frag_len > length or msg_len > DTLS_MAX_HELLO_BYTES:
            return False
        if frag_off == 0 and frag_len >= 2:  # the body starts with a DTLS version too
            return ((p[25] << 8) | p[26]) in _RECORD_VERSIONS
        return frag_off > 0 or msg_len == 0 or frag_len > 0

    # -- feeding ----------------------------------------------------------------------------

    def feed(self, data: bytes, from_orig: bool, ts_ns: int) -> list[Event]:
        """One datagram of one direction (a session seen from its middle is read as encrypted:
        no row without a hello)."""
        if self.done or not data or not 20 <= data[0] <= 63:
            # RFC 7983 §7: STUN (0-3), RTP/RTCP (128-191) share the port
            if data and self._ts_ns is None:
                self._other_first += 1
                if self._other_first >= DTLS_MAX_OTHER_FIRST:
                    self.done = True
            return []
        if self._ts_ns is None:
            self._ts_ns = ts_ns
        self._now = ts_ns
        events: list[Event] = []
        try:
            self._records(bytes(data), from_orig, events)
        except ParseError as exc:
            # RFC 6347 §4.1.2.7: invalid records SHOULD be silently discarded (a datagram
            # is a unit of its own); a few are, more mean the flow is not DTLS.
            self.discarded += 1
            if self._discard_note is None:
                self._discard_note = f"{type(exc).__name__}: {exc}"[:160]
            if self.discarded > DTLS_MAX_BAD_DATAGRAMS:
                raise LimitExceeded(
                    f"over {DTLS_MAX_BAD_DATAGRAMS} damaged DTLS datagrams; first: "
                    f"{self._discard_note}") from exc
        return events

    def _records(self, data: bytes, from_orig: bool, events: list[Event]) -> None:
        """The records of one datagram (RFC 6347 §4.1.1: several may be packed in one)."""
        side = self._sides[from_orig]
        pos, n = 0, len(data)
        while pos < n and not self.done:
            ctype = data[pos]
            if 32 <= ctype <= 63 or ctype == ContentType.tls12_cid:
                # RFC 9147 §4 unified header / RFC 9146 CID record: encrypted, and the
                # header's size depends on state we do not have: the datagram ends here.
                self._encrypted(side, from_orig, events)
                return
            if n - pos < 13:
                raise Truncated("DTLS record header cut short", pos)
            version = (data[pos + 1] << 8) | data[pos + 2]
            if not 20 <= ctype <= 26 or version not in _RECORD_VERSIONS:
                raise BadValue(f"not a DTLS record header: {data[pos : pos + 13].hex()}", pos)
            epoch = (data[pos + 3] << 8) | data[pos + 4]
            length = (data[pos + 11] << 8) | data[pos + 12]
            if length > DTLS_MAX_RECORD_BYTES:
                raise LimitExceeded(f"DTLS record of {length} bytes", pos)
            start = pos + 13
            pos = start + length
            if pos > n:
                raise Truncated("DTLS record longer than its datagram", start)
            if epoch != 0 or side.encrypted:
                self._encrypted(side, from_orig, events)
                continue
            fragment = data[start:pos]
            if ctype == _HANDSHAKE:
                self._handshake(side, fragment, from_orig, events)
            elif ctype == _ALERT:
                self._on_alert(fragment, from_orig, events)
            elif ctype == _CCS:
                # what follows in this direction is in epoch 1 (RFC 6347 §4.1)
                side.encrypted = True
                if self._server_hello is not None:
                    if self._cert_status is None:  # an abbreviated handshake
                        self._cert_status = "absent"
                    self._end(events)
            elif ctype == _APPLICATION_DATA:
                self._encrypted(side, from_orig, events)

    def _encrypted(self, side: _Side, from_orig: bool, events: list[Event]) -> None:
        """This direction is encrypted from here on."""
        side.encrypted = True
        if self._server_hello is not None:
            self._end(events)
        elif self._client_hello is not None and not self._from_client(from_orig):
            self._end(events)  # the server's clear-text answer was not captured

    def _handshake(self, side: _Side, record: bytes, from_orig: bool, events: list[Event]) -> None:
        """The handshake fragments of one record (RFC 6347 §4.2.2)."""
        pos, n = 0, len(record)
        while pos < n and not self.done:
            if n - pos < 12:
                raise Truncated("DTLS handshake header cut short", pos)
            msg_type = record[pos]
            length = (record[pos + 1] << 16) | (record[pos + 2] << 8) | record[pos + 3]
            seq = (record[pos + 4] << 8) | record[pos + 5]
            offset = (record[pos + 6] << 16) | (record[pos + 7] << 8) | record[pos + 8]
            frag_len = (record[pos + 9] << 16) | (record[pos + 10] << 8) | record[pos + 11]
            start = pos + 12
            pos = start + frag_len
            if pos > n:
                raise Truncated("DTLS handshake fragment runs past its record", start)
            if offset + frag_len > length:
                raise BadValue(f"fragment {offset}+{frag_len} past a message of {length}", start)
            if seq in side.completed:
                continue  # a retransmission (RFC 6347 §4.2.4)
            if msg_type not in _KEPT_TYPES or (
                msg_type == _CERTIFICATE and self._tls13_or_client(from_orig)
            ):
                if offset == 0:  # the type is all we want: once, on its first fragment
                    side.completed.add(seq)
                    if msg_type == _SERVER_KEY_EXCHANGE and not self._from_client(from_orig):
                        self._kx_group = ecdhe_named_curve(self._server_hello,
                                                           record[start : start + 3])
                    self._on_header(msg_type, from_orig, events)
                continue
            self._fragment(side, msg_type, length, seq, offset, record[start:pos], from_orig,
                           events)

    def _tls13_or_client(self, from_orig: bool) -> bool:
        """A certificate we do not read: the client's (its count only, from the header) or
        one after a DTLS 1.3 ServerHello (encrypted, never in clear)."""
        sh = self._server_hello
        return self._from_client(from_orig) or (sh is not None and self._is13(sh))

    def _fragment(self, side: _Side, msg_type: int, length: int, seq: int, offset: int,
                  fragment: bytes, from_orig: bool, events: list[Event]) -> None:
        """Join one fragment of a hello or certificate; handle the message once whole."""
        limit = MAX_CHAIN_BYTES if msg_type == _CERTIFICATE else DTLS_MAX_HELLO_BYTES
        if length > limit:
            if msg_type != _CERTIFICATE:
                raise LimitExceeded(f"DTLS hello of {length} bytes")
            side.completed.add(seq)
            self._cert_status = "too_long"
            return
        msg = side.pending.get(seq)
        if msg is None:
            if len(side.pending) >= DTLS_MAX_PENDING_MESSAGES:
                raise LimitExceeded(f"over {DTLS_MAX_PENDING_MESSAGES} handshake messages open")
            if offset == 0 and len(fragment) == length:  # the whole message in one fragment
                side.completed.add(seq)
                self._on_message(msg_type, fragment, from_orig, events)
                return
            msg = side.pending[seq] = _Message(msg_type, length)
        elif (msg.msg_type, msg.length) != (msg_type, length):
            raise BadValue(f"fragments of message {seq} disagree on its type or length")
        if not msg.add(offset, fragment):
            return
        del side.pending[seq]
        side.completed.add(seq)
        self._on_message(msg_type, bytes(msg.data), from_orig, events)

    def _on_header(self, msg_type: int, from_orig: bool, events: list[Event]) -> None:
        """A message read for its type only."""
        if msg_type == _HVR:
            self.hello_verify_request = True
            if self._client_side is None:
                self._client_side = not from_orig
            return
        sh = self._server_hello
        if sh is None or self._is13(sh):
            return
        if not self._from_client(from_orig):
            if msg_type == HandshakeType.certificate_request:  # RFC 5246 §7.4.4
                self._want_client_cert = True
            elif msg_type == HandshakeType.server_hello_done:  # RFC 5246 §7.4.5
                if self._cert_status is None:
                    self._cert_status = "absent"
                if not self._want_client_cert:
                    self._end(events)
        elif msg_type in (HandshakeType.client_key_exchange,
                          HandshakeType.certificate_verify):
            self._end(events)

    def _on_message(self, msg_type: int, body: bytes, from_orig: bool, events: list[Event]) -> None:
        """A whole ClientHello, ServerHello or server Certificate."""
        if msg_type == _CERTIFICATE:
            self._on_certificate(body, events)
            return
        if self._client_side is None:
            self._client_side = from_orig == (msg_type == _CLIENT_HELLO)
        if msg_type == _CLIENT_HELLO:
            tls_body, cookie = client_hello_without_cookie(body)
            hello = parse_client_hello(tls_body)
            if cookie:
                self.cookie = cookie
            if self._client_hello is None:
                self._client_hello = hello
                self.server_name = hello.server_name
            return
        server_hello = parse_server_hello(body)
        if server_hello.is_hello_retry_request or self._server_hello is not None:
            return
        self._server_hello = server_hello
        if self._is13(server_hello):
            self._cert_status = "encrypted"  # RFC 9147 §5: the rest is in epoch 2 and up
            self._end(events)

    @staticmethod
    def _is13(sh: ServerHello) -> bool:
        return sh.selected_version == _DTLS13

    def _on_certificate(self, body: bytes, events: list[Event]) -> None:
        """The server's DTLS <= 1.2 Certificate (RFC 5246 §7.4.2 layout)."""
        try:
            ders, count = parse_certificate_list(body)
        except ParseError:
            self._cert_status = "malformed"
            return
        chain = [x509_record(der, self._now, False, i, count) for i, der in enumerate(ders)]
        if self.x509_events:
            events.extend(chain)
        self._chain_len = count
        self._cert_status = "parsed"
        if chain:
            self._leaf = chain[0]
            self.cert_names = chain[0].names

    def _on_alert(self, fragment: bytes, from_orig: bool, events: list[Event]) -> None:
        """A clear-text alert (level u8, description u8); the first one is kept."""
        if len(fragment) != 2:
            return
        if self._alert is None:
            self._alert = (fragment[0], fragment[1], self._from_client(from_orig))
        if fragment[0] == _FATAL:
            self._end(events)

    def _from_client(self, from_orig: bool) -> bool:
        """This direction is the DTLS client's (the originator until a hello says)."""
        return from_orig if self._client_side is None else from_orig == self._client_side

    def name_final(self) -> bool:
        # (a certificate, the name a hello without one leaves, will not come: DTLS 1.3's
        # are encrypted, and either side's may name the flow, as in WebRTC, where both
        # send one, until that side is encrypted)
        return (self.done or self._cert_status == "encrypted"
                or self._sides[True].encrypted and self._sides[False].encrypted)

    def finish(self) -> list[Event]:
        """Emit the summary when the handshake was not seen to its end."""
        if self._emitted or (self._client_hello is None and self._server_hello is None):
            return []
        return [self._record()]

    def _end(self, events: list[Event]) -> None:
        if not self._emitted:
            events.append(self._record())
        self.done = True

    # -- the row ----------------------------------------------------------------------------

    def _record(self) -> TlsRecord:
        self._emitted = True
        ch = self._client_hello
        newest = _newest(ch.supported_versions, ch.legacy_version) if ch else None
        return handshake_record(
            self._ts_ns or 0, ch, self._server_hello, self._leaf, self._alert,
            cert_status=self._cert_status, chain_len=self._chain_len, client_chain_len=None,
            late_error=(f"{self.discarded} damaged datagram(s) discarded; first: "
                        f"{self._discard_note}") if self.discarded else None,
            cert_names=self.cert_names, client_version_code=newest,
            name_version=dtls_version_name, transport="d",
            # JA4 takes the newest version offered; DTLS codes decrease as versions rise
            ja4_hello=replace(ch, supported_versions=(newest,)) if ch and newest is not None
            else None, kx_group=self._kx_group,
        )
