"""TLS over TCP: record layer, ClientHello and ServerHello (RFC 8446, RFC 5246).

Per direction, records (RFC 8446 §5.1) are cut from the stream, handshake fragments are
joined into a handshake stream (a message may span records, RFC 8446 §5.1), and hello
messages are parsed by a fast reader indexing the bytes; any irregularity hands the body to
the checked reader (the :class:`~wirelens.wire.buffer.Buffer` cursor, every vector in its
own ``pull_block``), which gives the exact error. Both give the same hello (tested). Other handshake messages are skipped by length without being
buffered (hooks for Certificate & co. go in :meth:`TlsDissector._on_handshake`). After
application data in a direction, its handshake bytes are encrypted and ignored. A
ChangeCipherSpec does not mark that point: TLS 1.3 peers send one for middlebox
compatibility (RFC 8446 Appendix D.4) between a HelloRetryRequest and the second
ClientHello / real ServerHello, which are still in clear; the records a TLS 1.2 CCS
encrypts come after the ServerHello, when the dissector is already done.

One :class:`TlsRecord` per flow: emitted when the ServerHello is parsed (then ``done``), or
by :meth:`TlsDissector.finish` when only the ClientHello was seen. Hello objects are kept
whole in the event (cipher list, extensions in order, raw bytes of unknown extensions) so
fingerprints (JA3/JA4) can be added without touching the parser.

Defined behaviour on extra bytes: once ``done``, further bytes are ignored. Before that,
bytes that do not form a record header (content type 20-24, version 3.x) raise
:class:`~wirelens.wire.errors.BadValue` as soon as 5 of them are present; fewer wait.
Inside a hello, bytes left after the extensions raise
:class:`~wirelens.wire.errors.TrailingJunk`.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from enum import IntEnum
from typing import ClassVar

from wirelens.dissect import limits
from wirelens.dissect.base import IPPROTO_TCP, Dissector, Event
from wirelens.dissect.tls_certs import (
    MAX_CHAIN_BYTES,
    X509Record,
    parse_certificate_list,
    x509_record,
)
from wirelens.dissect.tls_fingerprints import ja3, ja3s, ja4, ja4s, md5_hex
from wirelens.dissect.tls_names import (
    AlertLevel,
    alert_description_name,
    alert_level_name,
    extension_name,
    group_name,
    signature_scheme_name,
)
from wirelens.wire.buffer import Buffer
from wirelens.wire.errors import BadValue, LimitExceeded, ParseError, TrailingJunk

__all__ = [
    "CipherSuite",
    "ClientHello",
    "ContentType",
    "ExtensionType",
    "HandshakeType",
    "ServerHello",
    "TlsDissector",
    "TlsRecord",
    "cipher_name",
    "is_grease",
    "parse_client_hello",
    "parse_server_hello",
    "version_name",
]


class ContentType(IntEnum):
    """TLS record content types (RFC 8446 §5.1, RFC 6520 for heartbeat)."""

    change_cipher_spec = 20
    alert = 21
    handshake = 22
    application_data = 23
    heartbeat = 24


class HandshakeType(IntEnum):
    """Handshake message types (RFC 8446 §4, RFC 5246 §7.4)."""

    hello_request = 0
    client_hello = 1
    server_hello = 2
    new_session_ticket = 4
    end_of_early_data = 5
    encrypted_extensions = 8
    certificate = 11
    server_key_exchange = 12
    certificate_request = 13
    server_hello_done = 14
    certificate_verify = 15
    client_key_exchange = 16
    finished = 20
    key_update = 24


class ExtensionType(IntEnum):
    """Extensions parsed here (IANA TLS ExtensionType registry)."""

    server_name = 0  # RFC 6066 §3
    supported_groups = 10  # RFC 8422 §5.1.1 / RFC 8446 §4.2.7
    ec_point_formats = 11  # RFC 8422 §5.1.2
    signature_algorithms = 13  # RFC 8446 §4.2.3
    application_layer_protocol_negotiation = 16  # RFC 7301 §3.1
    supported_versions = 43  # RFC 8446 §4.2.1


class CipherSuite(IntEnum):
    """Common cipher suites (IANA TLS Cipher Suites registry); others are shown in hex."""

    TLS_RSA_WITH_RC4_128_MD5 = 0x0004
    TLS_RSA_WITH_RC4_128_SHA = 0x0005
    TLS_RSA_WITH_3DES_EDE_CBC_SHA = 0x000A
    TLS_RSA_WITH_AES_128_CBC_SHA = 0x002F
    TLS_DHE_RSA_WITH_AES_128_CBC_SHA = 0x0033
    TLS_RSA_WITH_AES_256_CBC_SHA = 0x0035
    TLS_DHE_RSA_WITH_AES_256_CBC_SHA = 0x0039
    TLS_RSA_WITH_AES_128_CBC_SHA256 = 0x003C
    TLS_RSA_WITH_AES_256_CBC_SHA256 = 0x003D
    TLS_RSA_WITH_AES_128_GCM_SHA256 = 0x009C
    TLS_RSA_WITH_AES_256_GCM_SHA384 = 0x009D
    TLS_DHE_RSA_WITH_AES_128_GCM_SHA256 = 0x009E
    TLS_DHE_RSA_WITH_AES_256_GCM_SHA384 = 0x009F
    TLS_EMPTY_RENEGOTIATION_INFO_SCSV = 0x00FF
    TLS_AES_128_GCM_SHA256 = 0x1301
    TLS_AES_256_GCM_SHA384 = 0x1302
    TLS_CHACHA20_POLY1305_SHA256 = 0x1303
    TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA = 0xC009
    TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA = 0xC00A
    TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA = 0xC013
    TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA = 0xC014
    TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256 = 0xC027
    TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384 = 0xC028
    TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 = 0xC02B
    TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 = 0xC02C
    TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 = 0xC02F
    TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 = 0xC030
    TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256 = 0xCCA8
    TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256 = 0xCCA9


_VERSION_NAMES = {
    0x0300: "SSLv3",
    0x0301: "TLSv10",
    0x0302: "TLSv11",
    0x0303: "TLSv12",
    0x0304: "TLSv13",
    0xFEFF: "DTLSv10",
    0xFEFD: "DTLSv12",
    0xFEFC: "DTLSv13",
}

_HRR_RANDOM = bytes.fromhex("cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c")
"""ServerHello.random of a HelloRetryRequest (RFC 8446 §4.1.3)."""


def is_grease(value: int) -> bool:
    """GREASE values 0x?A?A (RFC 8701 §2)."""
    return (value & 0x0F0F) == 0x0A0A and (value >> 8) == (value & 0xFF)


def version_name(code: int) -> str:
    """Zeek-style version name (``TLSv12``); ``GREASE`` or hex for others."""
    if code in _VERSION_NAMES:
        return _VERSION_NAMES[code]
    return "GREASE" if is_grease(code) else f"0x{code:04x}"


def cipher_name(code: int) -> str:
    """IANA name of a cipher suite, hex when not in :class:`CipherSuite`."""
    name = _CIPHER_NAMES.get(code)
    if name is not None:
        return name
    return "GREASE" if is_grease(code) else f"0x{code:04x}"


_CIPHER_NAMES = {m.value: m.name for m in CipherSuite}


@dataclass(frozen=True, slots=True)
class ClientHello:
    """A parsed ClientHello (RFC 8446 §4.1.2); order of lists is the wire order."""

    legacy_version: int
    """``legacy_version`` (0x0303 for TLS 1.2 and 1.3)."""
    random: bytes
    """32 random bytes."""
    session_id: bytes
    """``legacy_session_id``."""
    cipher_suites: tuple[int, ...]
    """Offered cipher suites (GREASE included)."""
    compression_methods: tuple[int, ...]
    """Offered compression methods."""
    extensions: tuple[tuple[int, bytes], ...]
    """Every extension as (type, raw data), in order (GREASE and unknown ones included)."""
    server_name: str | None
    """First host_name of the server_name extension (RFC 6066 §3)."""
    alpn: tuple[str, ...]
    """Offered ALPN protocol names (RFC 7301 §3.1)."""
    supported_versions: tuple[int, ...]
    """supported_versions list (RFC 8446 §4.2.1), empty when absent."""
    supported_groups: tuple[int, ...]
    """supported_groups list (RFC 8446 §4.2.7)."""
    ec_point_formats: tuple[int, ...]
    """ec_point_formats list (RFC 8422 §5.1.2)."""
    signature_algorithms: tuple[int, ...]
    """signature_algorithms list (RFC 8446 §4.2.3)."""

    @property
    def max_version(self) -> int:
        """Highest non-GREASE version offered (supported_versions, else legacy_version)."""
        real = [v for v in self.supported_versions if not is_grease(v)]
        return max(real) if real else self.legacy_version


@dataclass(frozen=True, slots=True)
class ServerHello:
    """A parsed ServerHello (RFC 8446 §4.1.3)."""

    legacy_version: int
    """``legacy_version``."""
    random: bytes
    """32 random bytes."""
    session_id: bytes
    """``legacy_session_id_echo``."""
    cipher_suite: int
    """Chosen cipher suite."""
    compression_method: int
    """Chosen compression method."""
    extensions: tuple[tuple[int, bytes], ...]
    """Every extension as (type, raw data), in order."""
    selected_version: int | None
    """supported_versions of the server (TLS 1.3), when present."""
    alpn: str | None
    """Protocol chosen by ALPN when sent in the ServerHello (TLS <= 1.2)."""
    is_hello_retry_request: bool
    """True when this is a HelloRetryRequest (special random, RFC 8446 §4.1.3)."""

    @property
    def version(self) -> int:
        """The negotiated version."""
        return self.selected_version if self.selected_version is not None else self.legacy_version


@dataclass(frozen=True, slots=True)
class TlsRecord(Event):
    """The TLS handshake summary of one flow (Zeek ``ssl.log`` style)."""

    table: ClassVar[str | None] = "tls"

    version: str | None
    """Negotiated version name (from the ServerHello), e.g. ``TLSv13``."""
    version_code: int | None
    """Negotiated version code."""
    cipher: str | None
    """Chosen cipher suite name (hex when unknown)."""
    cipher_code: int | None
    """Chosen cipher suite code."""
    server_name: str | None
    """SNI of the ClientHello."""
    alpn: tuple[str, ...]
    """ALPN protocols offered by the client."""
    alpn_selected: str | None
    """ALPN protocol chosen, when visible (ServerHello of TLS <= 1.2)."""
    client_version: str | None
    """Highest version offered by the client (supported_versions, else legacy_version)."""
    client_supported_versions: tuple[str, ...]
    """Names of the client's supported_versions (GREASE removed)."""
    client_hello: ClientHello | None
    """The whole ClientHello, for fingerprints."""
    server_hello: ServerHello | None
    """The whole ServerHello."""
    established: bool = False
    """A ServerHello was seen (the server answered the handshake)."""
    ja3: str | None = None
    """JA3 string of the ClientHello (see :mod:`wirelens.dissect.tls_fingerprints`)."""
    ja3_hash: str | None = None
    """MD5 of :attr:`ja3`, lower-case hex."""
    ja3s: str | None = None
    """JA3S string of the ServerHello."""
    ja3s_hash: str | None = None
    """MD5 of :attr:`ja3s`, lower-case hex."""
    ja4: str | None = None
    """JA4 fingerprint of the ClientHello (TLS over TCP: starts with ``t``)."""
    ja4s: str | None = None
    """JA4S fingerprint of the ServerHello."""
    cipher_suites: tuple[str, ...] = ()
    """Names of the cipher suites offered by the client, in offer order (GREASE kept)."""
    cipher_suite_codes: tuple[int, ...] = ()
    """Codes of :attr:`cipher_suites`."""
    extensions: tuple[int, ...] = ()
    """Extension types of the ClientHello, in wire order (GREASE kept)."""
    extension_names: tuple[str, ...] = ()
    """Readable twin of :attr:`extensions`."""
    groups: tuple[int, ...] = ()
    """supported_groups of the ClientHello (RFC 8446 §4.2.7)."""
    group_names: tuple[str, ...] = ()
    """Readable twin of :attr:`groups`."""
    signature_algorithms: tuple[int, ...] = ()
    """signature_algorithms of the ClientHello (RFC 8446 §4.2.3)."""
    signature_algorithm_names: tuple[str, ...] = ()
    """Readable twin of :attr:`signature_algorithms`."""
    cert_status: str | None = None
    """What became of the server's certificate: ``parsed``; ``encrypted`` (TLS 1.3 sends it
    encrypted, RFC 8446 §4.4.2); ``absent`` (the server's flight ended without one:
    resumption, PSK, anonymous); ``too_long`` (over the chain size limit, skipped);
    ``malformed`` (the Certificate message's lists do not add up); null when the server's
    flight was not seen."""
    cert_chain_len: int | None = None
    """Certificates in the server's chain."""
    cert_subject: str | None = None
    """Subject of the server's leaf certificate (RFC 4514)."""
    cert_issuer: str | None = None
    """Issuer of the server's leaf certificate (RFC 4514)."""
    cert_sans: tuple[str, ...] = ()
    """subjectAltName DNS names of the leaf certificate."""
    cert_not_after: int | None = None
    """End of validity of the leaf, seconds since the epoch."""
    cert_sha256: str | None = None
    """SHA-256 of the leaf's DER, lower-case hex."""
    cert_self_signed: bool | None = None
    """The leaf is self-signed (see :class:`~wirelens.dissect.tls_certs.X509Record`)."""
    cert_expired: bool | None = None
    """The leaf was expired at the time of the packet carrying it."""
    client_cert_chain_len: int | None = None
    """Certificates sent by the client (client authentication), null when none was sent."""
    alert_level: int | None = None
    """Level of the first clear-text alert seen in either direction (RFC 8446 §6)."""
    alert_level_name: str | None = None
    """Readable twin of :attr:`alert_level` (warning, fatal)."""
    alert_description: int | None = None
    """Description code of that alert."""
    alert_description_name: str | None = None
    """Readable twin of :attr:`alert_description` (handshake_failure, ...)."""
    alert_sender: str | None = None
    """Who sent that alert: ``client`` or ``server``."""
    late_error: str | None = None
    """Why reading stopped after the ServerHello, when bytes there were not TLS (the
    summary is kept rather than lost to a ParseError); null otherwise."""
    cert_names: tuple[str, ...] = ()
    """Names of the server's leaf certificate: SAN DNS names, then the subject CN (for the
    application catalogue)."""


# -- hello parsing ----------------------------------------------------------------------------


def _u16_list(buf: Buffer, length_size: int) -> tuple[int, ...]:
    with buf.pull_block(length_size) as length:
        if length % 2:
            raise BadValue("odd length of a u16 vector", buf.tell())
        return tuple(buf.pull_u16() for _ in range(length // 2))


def _u8_list(buf: Buffer, length_size: int) -> tuple[int, ...]:
    with buf.pull_block(length_size) as length:
        return tuple(buf.pull_bytes(length))


def _extensions(buf: Buffer) -> tuple[tuple[int, bytes], ...]:
    """The optional extensions vector (absent in old hellos, RFC 5246 §7.4.1.2)."""
    if buf.eof():
        return ()
    out = []
    with buf.pull_block(2):
        while not buf.eof():
            ext_type = buf.pull_u16()
            with buf.pull_block(2) as length:
                out.append((ext_type, buf.pull_bytes(length)))
    if not buf.eof():
        raise TrailingJunk("bytes after the hello extensions", buf.tell())
    return tuple(out)


def _server_name(data: bytes) -> str | None:
    """ServerNameList (RFC 6066 §3): the first host_name (type 0)."""
    buf = Buffer(data)
    found = None
    with buf.pull_block(2):
        while not buf.eof():
            name_type = buf.pull_u8()
            with buf.pull_block(2) as length:
                raw = buf.pull_bytes(length)
            if name_type == 0 and found is None:
                found = raw.decode("ascii", "backslashreplace")
    if not buf.eof():
        raise TrailingJunk("bytes after the server_name list", buf.tell())
    return found


def _alpn(data: bytes) -> tuple[str, ...]:
    """ProtocolNameList (RFC 7301 §3.1)."""
    buf = Buffer(data)
    names = []
    with buf.pull_block(2):
        while not buf.eof():
            with buf.pull_block(1) as length:
                names.append(buf.pull_bytes(length).decode("ascii", "backslashreplace"))
    if not buf.eof():
        raise TrailingJunk("bytes after the ALPN list", buf.tell())
    return tuple(names)


def _whole(data: bytes, fn, length_size: int) -> tuple[int, ...]:  # type: ignore[no-untyped-def]
    buf = Buffer(data)
    values: tuple[int, ...] = fn(buf, length_size)
    if not buf.eof():
        raise TrailingJunk("bytes after an extension vector", buf.tell())
    return values


def _first(exts: tuple[tuple[int, bytes], ...], ext_type: int) -> bytes | None:
    for t, data in exts:
        if t == ext_type:
            return data
    return None


# -- fast readers ------------------------------------------------------------------------------
#
# parse_client_hello / parse_server_hello first try a reader that indexes the bytes directly
# and checks every length itself. On anything wrong it gives up (``_Slow``, or a
# ``struct.error``) and the Buffer-based reader below parses the body again: that one raises
# the exact ParseError (type, text, offset). The differential tests check that both agree.


class _Slow(Exception):
    """Internal: the fast reader hands over to the checked one."""


_EXT_SERVER_NAME = ExtensionType.server_name.value
_EXT_ALPN = ExtensionType.application_layer_protocol_negotiation.value
_EXT_SUPPORTED_VERSIONS = ExtensionType.supported_versions.value
_EXT_SUPPORTED_GROUPS = ExtensionType.supported_groups.value
_EXT_EC_POINT_FORMATS = ExtensionType.ec_point_formats.value
_EXT_SIGNATURE_ALGORITHMS = ExtensionType.signature_algorithms.value


def _vector(b: bytes, pos: int, end: int, length_size: int) -> tuple[int, int]:
    """(start, end) of the length-prefixed vector at ``pos`` (RFC 8446 §3.4), inside ``end``."""
    if length_size == 1:
        if pos >= end:
            raise _Slow
        start = pos + 1
        stop = start + b[pos]
    else:
        if pos + 2 > end:
            raise _Slow
        start = pos + 2
        stop = start + ((b[pos] << 8) | b[pos + 1])
    if stop > end:
        raise _Slow
    return start, stop


def _u16s(b: bytes, start: int, stop: int) -> tuple[int, ...]:
    n, odd = divmod(stop - start, 2)
    if odd:
        raise _Slow
    return struct.unpack_from(f">{n}H", b, start)


def _whole_u16s(data: bytes, length_size: int) -> tuple[int, ...]:
    """A whole extension that is one u16 vector (supported_versions, groups, signatures)."""
    start, stop = _vector(data, 0, len(data), length_size)
    if stop != len(data):
        raise _Slow
    return _u16s(data, start, stop)


def _extensions_fast(b: bytes, pos: int) -> tuple[tuple[int, bytes], ...]:
    """The extensions vector ending the hello (RFC 8446 §4.1.2), absent in old hellos."""
    size = len(b)
    if pos == size:
        return ()
    pos, stop = _vector(b, pos, size, 2)
    if stop != size:
        raise _Slow
    out = []
    while pos < stop:
        if pos + 4 > stop:
            raise _Slow
        ext_type = (b[pos] << 8) | b[pos + 1]
        end = pos + 4 + ((b[pos + 2] << 8) | b[pos + 3])
        if end > stop:
            raise _Slow
        out.append((ext_type, b[pos + 4 : end]))
        pos = end
    return tuple(out)


def _server_name_fast(data: bytes) -> str | None:
    """ServerNameList (RFC 6066 §3): the first host_name (type 0)."""
    pos, stop = _vector(data, 0, len(data), 2)
    if stop != len(data):
        raise _Slow
    found = None
    while pos < stop:
        name_type = data[pos]
        start, pos = _vector(data, pos + 1, stop, 2)
        if name_type == 0 and found is None:
            found = data[start:pos].decode("ascii", "backslashreplace")
    return found


def _alpn_fast(data: bytes) -> tuple[str, ...]:
    """ProtocolNameList (RFC 7301 §3.1)."""
    pos, stop = _vector(data, 0, len(data), 2)
    if stop != len(data):
        raise _Slow
    names = []
    while pos < stop:
        start, pos = _vector(data, pos, stop, 1)
        names.append(data[start:pos].decode("ascii", "backslashreplace"))
    return tuple(names)


def _first_of(exts: tuple[tuple[int, bytes], ...]) -> dict[int, bytes]:
    """{type: data} of the first extension of each type."""
    first: dict[int, bytes] = {}
    for t, data in exts:
        if t not in first:
            first[t] = data
    return first


def _hello_start(b: bytes) -> tuple[int, bytes, bytes, int]:
    """legacy_version, random, session id and the offset after them (both hellos)."""
    if len(b) < 35:
        raise _Slow
    start, pos = _vector(b, 34, len(b), 1)
    return (b[0] << 8) | b[1], b[2:34], b[start:pos], pos


def _client_hello_fast(b: bytes) -> ClientHello:
    legacy_version, random, session_id, pos = _hello_start(b)
    start, pos = _vector(b, pos, len(b), 2)
    ciphers = _u16s(b, start, pos)
    start, pos = _vector(b, pos, len(b), 1)
    compression = tuple(b[start:pos])
    exts = _extensions_fast(b, pos)
    first = _first_of(exts) if exts else {}
    sni = first.get(_EXT_SERVER_NAME)
    alpn = first.get(_EXT_ALPN)
    versions = first.get(_EXT_SUPPORTED_VERSIONS)
    groups = first.get(_EXT_SUPPORTED_GROUPS)
    points = first.get(_EXT_EC_POINT_FORMATS)
    sigs = first.get(_EXT_SIGNATURE_ALGORITHMS)
    if points is not None:
        start, stop = _vector(points, 0, len(points), 1)
        if stop != len(points):
            raise _Slow
    return ClientHello(
        legacy_version=legacy_version,
        random=random,
        session_id=session_id,
        cipher_suites=ciphers,
        compression_methods=compression,
        extensions=exts,
        server_name=_server_name_fast(sni) if sni is not None else None,
        alpn=_alpn_fast(alpn) if alpn is not None else (),
        supported_versions=_whole_u16s(versions, 1) if versions is not None else (),
        supported_groups=_whole_u16s(groups, 2) if groups is not None else (),
        ec_point_formats=tuple(points[1:]) if points is not None else (),
        signature_algorithms=_whole_u16s(sigs, 2) if sigs is not None else (),
    )


def _server_hello_fast(b: bytes) -> ServerHello:
    legacy_version, random, session_id, pos = _hello_start(b)
    if pos + 3 > len(b):
        raise _Slow
    cipher = (b[pos] << 8) | b[pos + 1]
    compression = b[pos + 2]
    exts = _extensions_fast(b, pos + 3)
    first = _first_of(exts) if exts else {}
    versions = first.get(_EXT_SUPPORTED_VERSIONS)
    selected = None
    if versions is not None:
        if len(versions) != 2:
            raise _Slow
        selected = (versions[0] << 8) | versions[1]
    alpn_data = first.get(_EXT_ALPN)
    alpn = _alpn_fast(alpn_data) if alpn_data is not None else ()
    if len(alpn) > 1:
        raise _Slow
    return ServerHello(
        legacy_version=legacy_version,
        random=random,
        session_id=session_id,
        cipher_suite=cipher,
        compression_method=compression,
        extensions=exts,
        selected_version=selected,
        alpn=alpn[0] if alpn else None,
        is_hello_retry_request=random == _HRR_RANDOM,
    )


_FALLBACK = (_Slow, struct.error, ParseError)


def parse_client_hello(body: bytes) -> ClientHello:
    """Parse a ClientHello body (after the 4-byte handshake header), RFC 8446 §4.1.2."""
    try:
        return _client_hello_fast(body if type(body) is bytes else bytes(body))
    except _FALLBACK:
        return _client_hello_checked(body)


def parse_server_hello(body: bytes) -> ServerHello:
    """Parse a ServerHello body (after the 4-byte handshake header), RFC 8446 §4.1.3."""
    try:
        return _server_hello_fast(body if type(body) is bytes else bytes(body))
    except _FALLBACK:
        return _server_hello_checked(body)


# -- checked readers (Buffer cursor, exact errors) ----------------------------------------------


def _client_hello_checked(body: bytes) -> ClientHello:
    """The reference ClientHello reader: every vector in its own ``pull_block``."""
    buf = Buffer(body)
    legacy_version = buf.pull_u16()
    random = buf.pull_bytes(32)
    with buf.pull_block(1) as n:
        session_id = buf.pull_bytes(n)
    ciphers = _u16_list(buf, 2)
    compression = _u8_list(buf, 1)
    exts = _extensions(buf)
    sni = _first(exts, ExtensionType.server_name)
    alpn = _first(exts, ExtensionType.application_layer_protocol_negotiation)
    versions = _first(exts, ExtensionType.supported_versions)
    groups = _first(exts, ExtensionType.supported_groups)
    points = _first(exts, ExtensionType.ec_point_formats)
    sigs = _first(exts, ExtensionType.signature_algorithms)
    return ClientHello(
        legacy_version=legacy_version,
        random=random,
        session_id=session_id,
        cipher_suites=ciphers,
        compression_methods=compression,
        extensions=exts,
        server_name=_server_name(sni) if sni is not None else None,
        alpn=_alpn(alpn) if alpn is not None else (),
        supported_versions=_whole(versions, _u16_list, 1) if versions is not None else (),
        supported_groups=_whole(groups, _u16_list, 2) if groups is not None else (),
        ec_point_formats=_whole(points, _u8_list, 1) if points is not None else (),
        signature_algorithms=_whole(sigs, _u16_list, 2) if sigs is not None else (),
    )


def _server_hello_checked(body: bytes) -> ServerHello:
    """The reference ServerHello reader."""
    buf = Buffer(body)
    legacy_version = buf.pull_u16()
    random = buf.pull_bytes(32)
    with buf.pull_block(1) as n:
        session_id = buf.pull_bytes(n)
    cipher = buf.pull_u16()
    compression = buf.pull_u8()
    exts = _extensions(buf)
    versions = _first(exts, ExtensionType.supported_versions)
    selected = None
    if versions is not None:
        vbuf = Buffer(versions)
        selected = vbuf.pull_u16()
        if not vbuf.eof():
            raise TrailingJunk("bytes after selected_version", vbuf.tell())
    alpn_data = _first(exts, ExtensionType.application_layer_protocol_negotiation)
    alpn = _alpn(alpn_data) if alpn_data is not None else ()
    if len(alpn) > 1:
        raise BadValue("ServerHello ALPN must name exactly one protocol")
    return ServerHello(
        legacy_version=legacy_version,
        random=random,
        session_id=session_id,
        cipher_suite=cipher,
        compression_method=compression,
        extensions=exts,
        selected_version=selected,
        alpn=alpn[0] if alpn else None,
        is_hello_retry_request=random == _HRR_RANDOM,
    )


# -- the dissector ----------------------------------------------------------------------------


class _Side:
    """Record and handshake reassembly state of one direction."""

    __slots__ = ("encrypted", "hs", "records", "skip")

    def __init__(self) -> None:
        self.records = bytearray()  # bytes of the record stream not yet cut
        self.hs = bytearray()  # handshake stream bytes not yet parsed
        self.skip = 0  # handshake bytes still to drop (a message we do not parse)
        self.encrypted = False


_HELLOS = frozenset((HandshakeType.client_hello.value, HandshakeType.server_hello.value))
_HANDSHAKE = ContentType.handshake.value
_CCS = ContentType.change_cipher_spec.value
_ALERT = ContentType.alert.value
_APPLICATION_DATA = ContentType.application_data.value
_CERTIFICATE = HandshakeType.certificate.value
_TLS13 = 0x0304


class TlsDissector(Dissector):
    """TLS (1.0 to 1.3) handshake over TCP: SNI, ALPN, versions, cipher, certificates, alerts.

    The summary row is emitted once the handshake has shown what it will show in clear:
    right after the ServerHello for TLS 1.3 (the rest is encrypted); for TLS <= 1.2 after
    the server's flight (ServerHelloDone, RFC 5246 §7.4.5), or the client's Certificate when
    the server asked for one (CertificateRequest, §7.4.4), or the first ChangeCipherSpec /
    application data / fatal alert, whichever comes first; otherwise at :meth:`finish`.
    """

    name: ClassVar[str] = "tls"
    name_source: ClassVar[str | None] = "sni"
    transports: ClassVar[frozenset[int]] = frozenset((IPPROTO_TCP,))
    ports: ClassVar[frozenset[int]] = frozenset((443, 465, 636, 853, 993, 995, 8443))
    x509_events: ClassVar[bool] = False
    """Emit one :class:`~wirelens.dissect.tls_certs.X509Record` per certificate. Off until
    the ``x509`` table is registered in ``wirelens.schema.SCHEMAS`` (the pipeline refuses
    rows of an unknown table); the summary columns of the ``tls`` row do not depend on it."""

    cert_names: tuple[str, ...]
    """Names of the server's leaf certificate (SAN DNS names, then subject CN), once seen."""

    def __init__(self, proto: int) -> None:
        super().__init__(proto)
        self._sides = {True: _Side(), False: _Side()}
        self._client_hello: ClientHello | None = None
        self._server_hello: ServerHello | None = None
        self._tls12 = False  # a TLS <= 1.2 ServerHello was parsed: the flight is in clear
        self._ts_ns: int | None = None
        self._now = 0
        self._emitted = False
        self._want_client_cert = False
        self._server_done = False
        self._leaf: X509Record | None = None
        self._chain_len: int | None = None
        self._client_chain_len: int | None = None
        self._cert_status: str | None = None
        self._alert: tuple[int, int, bool] | None = None
        self._late_error: str | None = None
        self.cert_names = ()

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """A handshake record (type 22, version 3.x) starting with a Client/ServerHello."""
        return (
            proto == IPPROTO_TCP
            and len(payload) >= 6
            and payload[0] == _HANDSHAKE
            and payload[1] == 3
            and payload[2] <= 4
            and payload[5] in _HELLOS
            and ((payload[3] << 8) | payload[4]) >= 4
        )

    def feed(self, data: bytes, from_orig: bool, ts_ns: int) -> list[Event]:
        """Next stream bytes of one direction."""
        if self.done:
            return []
        if self._ts_ns is None:
            self._ts_ns = ts_ns
        self._now = ts_ns
        side = self._sides[from_orig]
        side.records += data
        events: list[Event] = []
        try:
            self._records(side, from_orig, events)
        except ParseError as exc:
            if self._server_hello is None or self._emitted:
                raise
            # damage after the ServerHello: keep the summary, say why reading stopped
            self._late_error = f"{type(exc).__name__}: {exc}"[:200]
            self._end(events)
        return events

    def _records(self, side: _Side, from_orig: bool, events: list[Event]) -> None:
        """Cut whole records (RFC 8446 §5.1) from the stream of one direction."""
        buf = side.records
        while len(buf) >= 5 and not self.done:
            ctype, major, minor = buf[0], buf[1], buf[2]
            length = (buf[3] << 8) | buf[4]
            if not 20 <= ctype <= 24 or major != 3 or minor > 4:
                raise BadValue(f"not a TLS record header: {bytes(buf[:5]).hex()}")
            if length > limits.TLS_MAX_RECORD_BYTES:
                raise LimitExceeded(f"TLS record of {length} bytes")
            if len(buf) < 5 + length:
                break
            fragment = bytes(buf[5 : 5 + length])
            del buf[: 5 + length]
            if side.encrypted:
                continue
            if ctype == _HANDSHAKE:
                side.hs += fragment
                self._handshake(side, from_orig, events)
            elif ctype == _ALERT:
                self._on_alert(fragment, from_orig, events)
            elif ctype == _APPLICATION_DATA:
                side.encrypted = True
                if self._tls12:
                    self._end(events)
            elif ctype == _CCS and self._tls12:
                # TLS <= 1.2: what follows in this direction is encrypted (RFC 5246 §7.1).
                # TLS 1.3 compatibility CCSs (RFC 8446 Appendix D.4) come before the real
                # ServerHello, when _tls12 is still False.
                side.encrypted = True
                if self._cert_status is None:  # an abbreviated handshake (RFC 5246 §7.3)
                    self._cert_status = "absent"
                self._end(events)
        if self.done:
            buf.clear()

    def finish(self) -> list[Event]:
        """Emit the summary when the handshake was not seen to its end."""
        if self._emitted or (self._client_hello is None and self._server_hello is None):
            return []
        return [self._record()]

    def _end(self, events: list[Event]) -> None:
        """Nothing more in clear: emit the summary (once) and stop."""
        if not self._emitted:
            events.append(self._record())
        self.done = True

    def _on_alert(self, fragment: bytes, from_orig: bool, events: list[Event]) -> None:
        """A clear-text alert (RFC 8446 §6: level u8, description u8). Encrypted alerts are
        longer than 2 bytes and are ignored; only the first alert is kept."""
        if len(fragment) != 2:
            return
        if self._alert is None:
            self._alert = (fragment[0], fragment[1], from_orig)
        if fragment[0] == AlertLevel.fatal:  # the connection ends (RFC 8446 §6.2)
            self._end(events)

    def _handshake(self, side: _Side, from_orig: bool, events: list[Event]) -> None:
        """Cut handshake messages (RFC 8446 §4: type u8, length u24) from the stream."""
        hs = side.hs
        while hs and not self.done:
            if side.skip:
                n = min(side.skip, len(hs))
                del hs[:n]
                side.skip -= n
                continue
            if len(hs) < 4:
                return
            msg_type = hs[0]
            length = (hs[1] << 16) | (hs[2] << 8) | hs[3]
            if msg_type in _HELLOS:
                if length > limits.TLS_MAX_HELLO_BYTES:
                    raise LimitExceeded(f"hello of {length} bytes")
            elif msg_type == _CERTIFICATE and self._tls12:
                if length > MAX_CHAIN_BYTES:
                    if not from_orig:
                        self._cert_status = "too_long"
                    side.skip = 4 + length
                    continue
            else:
                side.skip = 4 + length
                self._on_header(msg_type, from_orig, events)
                continue
            if len(hs) < 4 + length:
                return
            body = bytes(hs[4 : 4 + length])
            del hs[: 4 + length]
            self._on_handshake(msg_type, body, from_orig, events)

    def _on_header(self, msg_type: int, from_orig: bool, events: list[Event]) -> None:
        """A handshake message skipped by length: its type may end the clear-text part."""
        if not self._tls12:
            return
        if not from_orig:
            if msg_type == HandshakeType.certificate_request:  # RFC 5246 §7.4.4
                self._want_client_cert = True
            elif msg_type == HandshakeType.server_hello_done:  # RFC 5246 §7.4.5
                self._server_done = True
                if self._cert_status is None:
                    self._cert_status = "absent"
                if not self._want_client_cert:
                    self._end(events)
        elif msg_type in (HandshakeType.client_key_exchange, HandshakeType.certificate_verify):
            self._end(events)  # the client's Certificate, if any, came before (§7.4.6)

    def _on_handshake(self, msg_type: int, body: bytes, from_orig: bool, events: list[Event]) -> None:
        """One whole handshake message: a hello, or a TLS <= 1.2 Certificate."""
        if msg_type == _CERTIFICATE:
            self._on_certificate(body, from_orig, events)
            return
        if msg_type == HandshakeType.client_hello:
            if self._client_hello is None:
                self._client_hello = parse_client_hello(body)
                self.server_name = self._client_hello.server_name
            return
        server_hello = parse_server_hello(body)
        if server_hello.is_hello_retry_request or self._server_hello is not None:
            return
        self._server_hello = server_hello
        if server_hello.version >= _TLS13:
            self._cert_status = "encrypted"  # RFC 8446 §4.4.2: in EncryptedExtensions' wake
            self._end(events)
        else:
            self._tls12 = True

    def _on_certificate(self, body: bytes, from_orig: bool, events: list[Event]) -> None:
        """A TLS <= 1.2 Certificate (RFC 5246 §7.4.2 server, §7.4.6 client)."""
        try:
            ders, count = parse_certificate_list(body)
        except ParseError:
            if not from_orig:
                self._cert_status = "malformed"
            return
        chain = [x509_record(der, self._now, from_orig, i, count) for i, der in enumerate(ders)]
        if self.x509_events:
            events.extend(chain)
        if from_orig:
            self._client_chain_len = count
            self._end(events)
            return
        self._chain_len = count
        self._cert_status = "parsed"
        if chain:
            self._leaf = chain[0]
            self.cert_names = chain[0].names

    def _record(self) -> TlsRecord:
        self._emitted = True
        ch = self._client_hello
        sh = self._server_hello
        leaf = self._leaf
        alert = self._alert
        ch_ja3 = ja3(ch) if ch else None
        sh_ja3s = ja3s(sh) if sh else None
        ciphers = ch.cipher_suites if ch else ()
        exts = tuple(t for t, _ in ch.extensions) if ch else ()
        groups = ch.supported_groups if ch else ()
        sigs = ch.signature_algorithms if ch else ()
        return TlsRecord(
            ts_ns=self._ts_ns or 0,
            version=version_name(sh.version) if sh else None,
            version_code=sh.version if sh else None,
            cipher=cipher_name(sh.cipher_suite) if sh else None,
            cipher_code=sh.cipher_suite if sh else None,
            server_name=ch.server_name if ch else None,
            alpn=ch.alpn if ch else (),
            alpn_selected=sh.alpn if sh else None,
            client_version=version_name(ch.max_version) if ch else None,
            client_supported_versions=(
                tuple(version_name(v) for v in ch.supported_versions if not is_grease(v))
                if ch
                else ()
            ),
            client_hello=ch,
            server_hello=sh,
            established=sh is not None,
            ja3=ch_ja3,
            ja3_hash=md5_hex(ch_ja3) if ch_ja3 is not None else None,
            ja3s=sh_ja3s,
            ja3s_hash=md5_hex(sh_ja3s) if sh_ja3s is not None else None,
            ja4=ja4(ch) if ch else None,
            ja4s=ja4s(sh) if sh else None,
            cipher_suites=tuple(cipher_name(c) for c in ciphers),
            cipher_suite_codes=ciphers,
            extensions=exts,
            extension_names=tuple(extension_name(t) for t in exts),
            groups=groups,
            group_names=tuple(group_name(g) for g in groups),
            signature_algorithms=sigs,
            signature_algorithm_names=tuple(signature_scheme_name(a) for a in sigs),
            cert_status=self._cert_status,
            cert_chain_len=self._chain_len,
            cert_subject=leaf.subject if leaf else None,
            cert_issuer=leaf.issuer if leaf else None,
            cert_sans=leaf.san_dns if leaf else (),
            cert_not_after=leaf.not_after if leaf else None,
            cert_sha256=leaf.sha256 if leaf else None,
            cert_self_signed=leaf.self_signed if leaf else None,
            cert_expired=leaf.expired if leaf else None,
            client_cert_chain_len=self._client_chain_len,
            alert_level=alert[0] if alert else None,
            alert_level_name=alert_level_name(alert[0]) if alert else None,
            alert_description=alert[1] if alert else None,
            alert_description_name=alert_description_name(alert[1]) if alert else None,
            alert_sender=("client" if alert[2] else "server") if alert else None,
            late_error=self._late_error,
            cert_names=self.cert_names,
        )
