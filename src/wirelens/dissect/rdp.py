"""RDP connection negotiation (MS-RDPBCGR §1.3.1.1) over TPKT (RFC 1006 §6) and X.224
(ISO 8073 / ITU-T X.224 class 0).

The client's X.224 Connection Request (MS-RDPBCGR §2.2.1.1) carries an optional routing
token or cookie ``Cookie: mstshash=USER`` and an optional RDP Negotiation Request
(§2.2.1.1.1) with the security protocols the client supports. The server's Connection
Confirm (§2.2.1.2) carries an RDP Negotiation Response (§2.2.1.2.1: the selected protocol)
or Failure (§2.2.1.2.2: a failure code).

With standard RDP security (no TLS), the client's next message is the MCS Connect Initial
(T.125) whose GCC user data (T.124, MS-RDPBCGR §2.2.1.3) carries the client core data
(§2.2.1.3.2: desktop size, build, client name, digital product id) and network data
(§2.2.1.3.4: static virtual channel names); those are read too. The user data is found by
its H.221 key ``Duca`` (the BER/PER wrapping is not parsed).

The server answers with the MCS Connect Response, whose server security data (§2.2.1.4.3,
found by the H.221 key ``McDn``) gives the encryption method and level and the server's
certificate: a proprietary RSA one (§2.2.1.4.3.1.1) or an X.509 chain, each certificate of
which becomes an ``x509`` row (:func:`~wirelens.dissect.tls_certs.x509_record`).

One :class:`RdpRecord` per connection: emitted once nothing more can be learnt - on the
Connection Confirm when the connection turns to TLS/CredSSP or failed, on the Connect
Response otherwise - (then ``done`` is set), or by :meth:`RdpDissector.finish`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum, IntFlag
from typing import ClassVar

from wirelens.dissect.base import IPPROTO_TCP, Dissector, Event
from wirelens.dissect.tls_certs import x509_record
from wirelens.wire.buffer import Buffer
from wirelens.wire.errors import BadValue, LimitExceeded, ParseError

__all__ = [
    "ClientData",
    "FailureCode",
    "Protocol",
    "RdpDissector",
    "RdpRecord",
    "ServerSecurity",
    "parse_client_data",
    "parse_server_security",
    "protocol_names",
]

RDP_MAX_TPKT_BYTES = 8192
"""A client TPKT larger than this is refused: a Connection Request / Confirm is tens of
bytes (a cookie is a user name), an MCS Connect Initial well under 2 KiB even with monitor
data."""

RDP_MAX_SERVER_TPKT_BYTES = 32768
"""The server's MCS Connect Response carries its certificate chain (2-3 KiB seen; a chain
of a few 4096-bit certificates stays under 8 KiB): a larger one is refused."""

RDP_MAX_CERTS = 16
"""Certificates of a server's X.509 chain read (two are usual: the server's own and the
license server's)."""

RDP_MAX_COOKIE_CHARS = 256
"""Characters kept of the cookie or routing token."""

RDP_MAX_CHANNELS = 31
"""Static virtual channels a client may request (MS-RDPBCGR §2.2.1.3.4: at most 31)."""

_TPKT_VERSION = 3  # RFC 1006 §6
_X224_CR = 0xE0  # Connection Request TPDU code (X.224 §13.3)
_X224_CC = 0xD0  # Connection Confirm TPDU code (X.224 §13.4)
_COOKIE = b"Cookie: mstshash="
_X224_DT = 0xF0  # Data TPDU code (X.224 §13.7)
_H221_CLIENT_KEY = b"Duca"  # T.124 H.221 non-standard key of client-to-server user data
_H221_SERVER_KEY = b"McDn"  # and of server-to-client user data
_CS_CORE, _CS_NET = 0xC001, 0xC003  # TS_UD_HEADER types (MS-RDPBCGR §2.2.1.3.1)
_SC_SECURITY = 0x0C02  # server security data (§2.2.1.4.3)
_CERT_CHAIN_VERSIONS = {1: "RSA", 2: "X.509"}  # §2.2.1.4.3.1 dwVersion: proprietary, X.509
_METHOD_NAMES = {0: "None", 0x01: "40bit", 0x02: "128bit", 0x08: "56bit", 0x10: "FIPS"}
"""encryptionMethod values (§2.2.1.4.3), named as Zeek's rdp.log names them."""
_LEVEL_NAMES = {0: "None", 1: "Low", 2: "Client compatible", 3: "High", 4: "FIPS"}
"""encryptionLevel values (§5.3.1), named as Zeek's rdp.log names them."""


class NegType(IntEnum):
    """rdpNegData types (MS-RDPBCGR §2.2.1.1.1, §2.2.1.2.1, §2.2.1.2.2)."""

    TYPE_RDP_NEG_REQ = 0x01
    TYPE_RDP_NEG_RSP = 0x02
    TYPE_RDP_NEG_FAILURE = 0x03


class Protocol(IntFlag):
    """Security protocols (MS-RDPBCGR §2.2.1.1.1 requestedProtocols)."""

    RDP = 0x0  # standard RDP security (no flag set)
    SSL = 0x1
    HYBRID = 0x2
    RDSTLS = 0x4
    HYBRID_EX = 0x8
    RDSAAD = 0x10


class FailureCode(IntEnum):
    """RDP Negotiation Failure codes (MS-RDPBCGR §2.2.1.2.2)."""

    SSL_REQUIRED_BY_SERVER = 1
    SSL_NOT_ALLOWED_BY_SERVER = 2
    SSL_CERT_NOT_ON_SERVER = 3
    INCONSISTENT_FLAGS = 4
    HYBRID_REQUIRED_BY_SERVER = 5
    SSL_WITH_USER_AUTH_REQUIRED_BY_SERVER = 6


_FLAG_NAMES = [(m.value, str(m.name)) for m in Protocol if m.value]
_FAILURE_NAMES = {m.value: m.name for m in FailureCode}


def protocol_names(flags: int) -> tuple[str, ...]:
    """Names of the flags set (``("RDP",)`` for 0; unknown bits as ``0x..``)."""
    if flags == 0:
        return ("RDP",)
    names = [name for bit, name in _FLAG_NAMES if flags & bit]
    rest = flags & ~sum(bit for bit, _ in _FLAG_NAMES)
    if rest:
        names.append(f"0x{rest:x}")
    return tuple(names)


def selected_name(code: int) -> str:
    """Readable twin of a selectedProtocol value (a single protocol)."""
    return "+".join(protocol_names(code))


def failure_name(code: int) -> str:
    """Readable twin of a failure code."""
    return _FAILURE_NAMES.get(code, f"FAILURE_{code}")


@dataclass(slots=True)
class RdpRecord(Event):
    """One RDP connection negotiation."""

    table: ClassVar[str | None] = "rdp"

    cookie: str | None
    """User name of the ``Cookie: mstshash=`` routing cookie (often truncated by clients)."""
    routing_token: str | None
    """Other routing token line of the request (load balancers), when not a cookie."""
    requested_flags: int | None
    """requestedProtocols of the RDP Negotiation Request (None without one: legacy RDP)."""
    requested_protocols: tuple[str, ...]
    """Readable twin of ``requested_flags`` (SSL, HYBRID, RDSTLS, HYBRID_EX, RDSAAD; RDP for
    0)."""
    selected_code: int | None
    """selectedProtocol of the server's Negotiation Response."""
    selected_protocol: str | None
    """Readable twin of ``selected_code`` (RDP when the server answered without
    negotiation data)."""
    failure_code: int | None
    """Failure code of a Negotiation Failure."""
    result: str | None
    """``success``, the failure code's name, or None when no Connection Confirm was seen."""
    encrypted: bool | None
    """The connection continues in TLS/CredSSP (selected protocol other than RDP)."""
    client_name: str | None
    """Client computer name (client core data; standard RDP security only)."""
    client_build: int | None
    """Client build number (e.g. 2600 = RDP 5.1, 9600 = RDP 8.1)."""
    desktop_width: int | None
    """Requested desktop width in pixels."""
    desktop_height: int | None
    """Requested desktop height in pixels."""
    client_dig_product_id: str | None
    """clientDigProductId: the client's product id string, when sent."""
    client_channels: tuple[str, ...]
    """Static virtual channels the client asks for (rdpdr, cliprdr, rdpsnd, ...)."""
    encryption_method: str | None = None
    """Standard RDP security's encryption method chosen by the server (None, 40bit, 56bit,
    128bit, FIPS)."""
    encryption_level: str | None = None
    """Its encryption level (None, Low, Client compatible, High, FIPS)."""
    cert_type: str | None = None
    """The server certificate's kind: RSA (proprietary) or X.509."""
    cert_count: int | None = None
    """X.509 certificates in the server's chain (0 for a proprietary certificate)."""
    cert_permanent: bool | None = None
    """The certificate was issued permanently (False: a temporary one)."""
    late_error: str | None = None
    """Damage in the server's MCS Connect Response, which ended reading (the row keeps what
    was read before it)."""


@dataclass(slots=True)
class ClientData:
    """Client core and network data of the MCS Connect Initial (MS-RDPBCGR §2.2.1.3)."""

    name: str | None
    """clientName."""
    build: int | None
    """clientBuild."""
    width: int | None
    """desktopWidth."""
    height: int | None
    """desktopHeight."""
    dig_product_id: str | None
    """clientDigProductId."""
    channels: tuple[str, ...]
    """CHANNEL_DEF names of the network data."""


def _text16(raw: bytes) -> str | None:
    """A NUL-padded UTF-16LE field, or None when empty."""
    text = raw.decode("utf-16-le", "replace").split("\x00", 1)[0]
    return text[:RDP_MAX_COOKIE_CHARS] or None


def _data_blocks(tpdu: bytes, key: bytes) -> list[tuple[int, int, Buffer]] | None:
    """(type, offset, body) of the TS_UD_HEADER blocks (§2.2.1.3.1) of the GCC user data
    under the H.221 ``key`` of an X.224 Data TPDU (the BER/PER wrapping is not parsed); None
    when the TPDU holds no such user data (it is another MCS message)."""
    if len(tpdu) < 3 or tpdu[1] != _X224_DT:
        raise BadValue(f"X.224 TPDU code 0x{tpdu[1:2].hex()} where data was expected", 1)
    at = tpdu.find(key, 3)
    if at < 0:
        return None
    buf = Buffer(tpdu, at + 4)
    first = buf.pull_u8()  # PER length determinant (X.691 §10.9)
    length = ((first & 0x3F) << 8) | buf.pull_u8() if first & 0x80 else first
    end = buf.tell() + length
    if end > len(tpdu):
        raise BadValue(f"user data of {length} bytes overruns the TPDU", buf.tell())
    blocks = []
    while buf.tell() + 4 <= end:
        start = buf.tell()
        kind, size = buf.pull_u16_le(), buf.pull_u16_le()
        if size < 4 or start + size > end:
            raise BadValue(f"user data block of {size} bytes", start)
        blocks.append((kind, start, Buffer(tpdu[start + 4 : start + size])))
        buf.seek(start + size)
    return blocks


def parse_client_data(tpdu: bytes) -> ClientData | None:
    """Client data blocks of an X.224 Data TPDU carrying an MCS Connect Initial; None when
    the TPDU holds no client user data (it is another MCS message)."""
    blocks = _data_blocks(tpdu, _H221_CLIENT_KEY)
    if blocks is None:
        return None
    name = build = width = height = None
    product: str | None = None
    channels: list[str] = []
    for kind, start, block in blocks:
        size = block.remaining + 4
        if kind == _CS_CORE and size >= 4 + 132:  # §2.2.1.3.2 up to imeFileName
            block.skip(4)  # version
            width, height = block.pull_u16_le(), block.pull_u16_le()
            block.skip(2 + 2 + 4)  # colorDepth, SASSequence, keyboardLayout
            build = block.pull_u32_le()
            name = _text16(block.pull_bytes(32))
            if block.remaining >= 12 + 64 + 2 + 2 + 4 + 2 + 2 + 2 + 64:
                block.skip(12 + 64 + 2 + 2 + 4 + 2 + 2 + 2)  # up to earlyCapabilityFlags
                product = _text16(block.pull_bytes(64))
        elif kind == _CS_NET:  # §2.2.1.3.4
            count = block.pull_u32_le()
            if count > RDP_MAX_CHANNELS:
                raise LimitExceeded(f"{count} static virtual channels", start)
            for _ in range(count):  # CHANNEL_DEF: 8-byte ANSI name, 4-byte options
                raw = block.pull_bytes(8).split(b"\x00", 1)[0]
                channels.append(raw.decode("latin-1"))
                block.skip(4)
    return ClientData(name, build, width, height, product, tuple(channels))


@dataclass(slots=True)
class ServerSecurity:
    """Server security data of the MCS Connect Response (MS-RDPBCGR §2.2.1.4.3)."""

    method: int
    """encryptionMethod."""
    level: int
    """encryptionLevel."""
    cert_type: str | None
    """RSA (proprietary) or X.509; None without a certificate (no encryption)."""
    permanent: bool | None
    """Not a temporary certificate (the top bit of dwVersion clear)."""
    certs: tuple[bytes, ...]
    """DER of the X.509 chain's certificates, as sent (the server's own last)."""


def parse_server_security(tpdu: bytes) -> ServerSecurity | None:
    """The server security data of an X.224 Data TPDU carrying an MCS Connect Response; None
    when it has none (another MCS message, or no security block)."""
    for kind, start, block in _data_blocks(tpdu, _H221_SERVER_KEY) or ():
        if kind != _SC_SECURITY:
            continue
        method, level = block.pull_u32_le(), block.pull_u32_le()
        if block.eof():  # no encryption: no server random, no certificate (§2.2.1.4.3)
            return ServerSecurity(method, level, None, None, ())
        random_len, cert_len = block.pull_u32_le(), block.pull_u32_le()
        block.skip(random_len)
        cert = Buffer(block.pull_bytes(cert_len))
        version = cert.pull_u32_le()
        kind_name = _CERT_CHAIN_VERSIONS.get(version & 0x7FFFFFFF)
        if kind_name is None:
            raise BadValue(f"server certificate version {version & 0x7FFFFFFF}", start + 4)
        ders: list[bytes] = []
        if kind_name == "X.509":  # §2.2.1.4.3.1.2: NumCertBlobs, then cbCert + abCert each
            count = cert.pull_u32_le()
            if count > RDP_MAX_CERTS:
                raise LimitExceeded(f"{count} certificates in the server's chain", start + 4)
            ders = [cert.pull_bytes(cert.pull_u32_le()) for _ in range(count)]
        return ServerSecurity(method, level, kind_name, not version & 0x80000000, tuple(ders))
    return None


def _tpkt(buf: bytearray, limit: int = RDP_MAX_TPKT_BYTES) -> bytes | None:
    """The next whole TPKT payload (X.224 TPDU) of ``buf``, consumed; None if incomplete."""
    if len(buf) < 4:
        return None
    if buf[0] != _TPKT_VERSION or buf[1] != 0:
        raise BadValue(f"not a TPKT header: {bytes(buf[:2]).hex()}", 0)
    length = (buf[2] << 8) | buf[3]
    if length < 7:
        raise BadValue(f"TPKT length {length}", 2)
    if length > limit:
        raise LimitExceeded(f"TPKT of {length} bytes", 2)
    if len(buf) < length:
        return None
    tpdu = bytes(buf[4:length])
    del buf[:length]
    return tpdu


def _x224(tpdu: bytes, code: int) -> Buffer:
    """Check the X.224 fixed part (LI, code, DST-REF, SRC-REF, class) and return a buffer
    over the variable part (X.224 §13.3.1)."""
    buf = Buffer(tpdu)
    li = buf.pull_u8()
    if li + 1 != len(tpdu):
        raise BadValue(f"X.224 length indicator {li} for {len(tpdu)} bytes", 0)
    got = buf.pull_u8()
    if got & 0xF0 != code:
        raise BadValue(f"X.224 TPDU code 0x{got:02x}, expected 0x{code:02x}", 1)
    buf.skip(5)  # DST-REF, SRC-REF, class option
    return buf


def _neg(buf: Buffer) -> tuple[int, int] | None:
    """An rdpNegData structure (type, 32-bit value) at the cursor, or None at the end."""
    if buf.eof():
        return None
    kind = buf.pull_u8()
    buf.skip(1)  # flags
    length = buf.pull_u16_le()
    if length != 8:
        raise BadValue(f"rdpNegData length {length}", buf.tell() - 2)
    return kind, buf.pull_u32_le()


class RdpDissector(Dissector):
    """RDP negotiation: X.224 Connection Request and Confirm."""

    name: ClassVar[str] = "rdp"
    transports: ClassVar[frozenset[int]] = frozenset((IPPROTO_TCP,))
    ports: ClassVar[frozenset[int]] = frozenset((3389,))
    first_bytes: ClassVar[frozenset[int] | None] = frozenset((_TPKT_VERSION,))
    """``matches``: TPKT version 3 first (RFC 1006 §6)."""

    def __init__(self, proto: int) -> None:
        super().__init__(proto)
        self._bufs: dict[bool, bytearray] = {True: bytearray(), False: bytearray()}
        self._ts: int | None = None
        self._request: tuple[str | None, str | None, int | None] | None = None
        self._confirm: tuple[int | None, int | None] | None = None  # (selected, failure)
        self._client: ClientData | None = None
        self._server: ServerSecurity | None = None
        self._late_error: str | None = None
        self._emitted = False

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """TPKT version 3 whose length is the segment's, then an X.224 Connection Request
        (code 0xE0) whose length indicator fills the TPKT, class 0, carrying RDP data."""
        if proto != IPPROTO_TCP or len(payload) < 11:
            return False
        if payload[0] != _TPKT_VERSION or payload[1] != 0:
            return False
        length = (payload[2] << 8) | payload[3]
        if not (
            length == len(payload)
            and payload[4] == length - 5
            and payload[5] == _X224_CR
            and payload[10] & 0xF0 == 0
        ):
            return False
        # the variable part is RDP's (MS-RDPBCGR §2.2.1.1), not X.224 parameters (ISO-TSAP
        # 0xC1/0xC2 of S7comm and other ISO-on-TCP users): nothing, a cookie or routing
        # token ("Cookie: ..."), or an RDP_NEG_REQ of length 8
        var = payload[11:]
        return not var or var.startswith(b"Cookie: ") or (var[0] == 1 and var[2:4] == b"\x08\x00")

    def feed(self, data: bytes, from_orig: bool, ts_ns: int) -> list[Event]:
        """Client bytes: the Connection Request, then (standard RDP security) the MCS
        Connect Initial; server bytes: the Connection Confirm, then the MCS Connect
        Response."""
        if self._emitted:
            return []
        buf = self._bufs[from_orig]
        buf += data
        while True:
            if from_orig and self._request is not None and buf and buf[0] != _TPKT_VERSION:
                del buf[:]  # not TPKT after the request (TLS, the confirm unseen): stop here
                return []
            if not from_orig and self._confirm is not None:
                return self._connect_response(buf, ts_ns)
            tpdu = _tpkt(buf)
            if tpdu is None:
                return []
            if not from_orig:
                self._confirm = self._connection_confirm(tpdu)
                if self._confirm[0] != 0:  # TLS / CredSSP, or a failure: nothing more in clear
                    if self._confirm[0] is not None:  # §5.4.5: a TLS handshake follows
                        self.upgrade = "tls"
                    return [self._emit(ts_ns)]
            elif self._request is None:
                self._ts = ts_ns
                self._request = self._connection_request(tpdu)
            else:
                client = parse_client_data(tpdu)
                if client is not None:
                    self._client = client  # the server's Connect Response follows

    def _connect_response(self, buf: bytearray, ts_ns: int) -> list[Event]:
        """Standard RDP security: the server's MCS Connect Response ends the connection's
        record, with an x509 row per certificate of an X.509 chain. Damage there ends
        reading without an error (``late_error``): the negotiation and client data read
        before are worth more than the weird."""
        try:
            tpdu = _tpkt(buf, RDP_MAX_SERVER_TPKT_BYTES)
            if tpdu is None:
                return []
            self._server = parse_server_security(tpdu)
        except ParseError as exc:
            self._late_error = str(exc)[:200]
            return [self._emit(ts_ns)]
        certs = self._server.certs if self._server is not None else ()
        return [self._emit(ts_ns), *(x509_record(der, ts_ns, False, i, len(certs))
                                     for i, der in enumerate(certs))]

    @staticmethod
    def _connection_request(tpdu: bytes) -> tuple[str | None, str | None, int | None]:
        """Cookie or routing token, then an optional RDP_NEG_REQ (MS-RDPBCGR §2.2.1.1)."""
        buf = _x224(tpdu, _X224_CR)
        rest = buf.peek(buf.remaining)
        cookie: str | None = None
        token: str | None = None
        if rest[:1] not in (b"", b"\x01"):  # a routingToken or cookie ends with CR LF
            end = rest.find(b"\r\n")
            if end < 0:
                raise BadValue("routing token or cookie without CR LF", buf.tell())
            line = rest[:end].decode("latin-1")[:RDP_MAX_COOKIE_CHARS]
            if rest.startswith(_COOKIE):
                cookie = line[len(_COOKIE) :]
            else:
                token = line
            buf.skip(end + 2)
        requested: int | None = None
        neg = _neg(buf)
        if neg is not None:
            kind, value = neg
            if kind != NegType.TYPE_RDP_NEG_REQ:
                raise BadValue(f"rdpNegData type {kind} in a request", buf.tell() - 8)
            requested = value
            if not buf.eof():  # RDP_NEG_CORRELATION_INFO (type 6, 36 bytes, §2.2.1.1.2)
                if buf.remaining != 36 or buf.peek_u8() != 0x06:
                    raise BadValue("unexpected data after RDP_NEG_REQ", buf.tell())
                buf.skip(36)
        return cookie, token, requested

    @staticmethod
    def _connection_confirm(tpdu: bytes) -> tuple[int | None, int | None]:
        """(selectedProtocol, failureCode) of the optional RDP_NEG_RSP or RDP_NEG_FAILURE
        (MS-RDPBCGR §2.2.1.2); a confirm without negotiation data selects standard RDP."""
        buf = _x224(tpdu, _X224_CC)
        neg = _neg(buf)
        if neg is None:
            return 0, None
        kind, value = neg
        if not buf.eof():
            raise BadValue("data after the negotiation response", buf.tell())
        if kind == NegType.TYPE_RDP_NEG_RSP:
            return value, None
        if kind == NegType.TYPE_RDP_NEG_FAILURE:
            return None, value
        raise BadValue(f"rdpNegData type {kind} in a confirm", buf.tell() - 8)

    def _emit(self, ts_ns: int) -> RdpRecord:
        """The connection's record; nothing more is wanted after it."""
        self._emitted = True
        self.done = True
        cookie, token, requested = self._request or (None, None, None)
        selected, failure = self._confirm if self._confirm is not None else (None, None)
        if failure is not None:
            result: str | None = failure_name(failure)
        else:
            result = "success" if self._confirm is not None else None
        c = self._client
        sec = self._server
        return RdpRecord(
            ts_ns=self._ts if self._ts is not None else ts_ns,
            cookie=cookie,
            routing_token=token,
            requested_flags=requested,
            requested_protocols=protocol_names(requested) if requested is not None else (),
            selected_code=selected,
            selected_protocol=selected_name(selected) if selected is not None else None,
            failure_code=failure,
            result=result,
            encrypted=(selected != 0) if selected is not None else None,
            client_name=c.name if c else None,
            client_build=c.build if c else None,
            desktop_width=c.width if c else None,
            desktop_height=c.height if c else None,
            client_dig_product_id=c.dig_product_id if c else None,
            client_channels=c.channels if c else (),
            encryption_method=_METHOD_NAMES.get(sec.method, str(sec.method)) if sec else None,
            encryption_level=_LEVEL_NAMES.get(sec.level, str(sec.level)) if sec else None,
            cert_type=sec.cert_type if sec else None,
            cert_count=len(sec.certs) if sec and sec.cert_type else None,
            cert_permanent=sec.permanent if sec else None,
            late_error=self._late_error,
        )

    def finish(self) -> list[Event]:
        """The record, if not emitted yet (no confirm, or no client data after it)."""
        if self._emitted or (self._request is None and self._confirm is None):
            return []
        return [self._emit(self._ts or 0)]
