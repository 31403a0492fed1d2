"""TLS over TCP: record layer, hellos, certificates and alerts (RFC 8446, RFC 5246).

Per direction, records (RFC 8446 §5.1) are cut from the stream, handshake fragments are
joined into a handshake stream (a message may span records, and a record may hold several
messages), and hellos are parsed by :mod:`wirelens.dissect.tls_hello` (re-exported here).
After a TLS <= 1.2 ServerHello the clear-text flight is read on: the server's and the
client's Certificate (RFC 5246 §7.4.2, §7.4.6) by :mod:`wirelens.dissect.tls_certs`, the
types of CertificateRequest / ServerHelloDone / ClientKeyExchange; other messages are skipped
by length without being buffered. TLS 1.3 certificates are encrypted (RFC 8446 §4.4.2): the
row says ``cert_status`` ``encrypted``. The first clear-text alert (RFC 8446 §6) of either
side is kept.

What is in clear: before the ServerHello everything (a ChangeCipherSpec there is a TLS 1.3
middlebox-compatibility one, RFC 8446 Appendix D.4, between a HelloRetryRequest and the
second ClientHello); after a TLS <= 1.2 ServerHello, a direction is encrypted from its
ChangeCipherSpec (RFC 5246 §7.1); application data always ends it.

One :class:`TlsRecord` per flow, emitted when nothing more is in clear (see
:class:`TlsDissector`), then ``done``; or by :meth:`TlsDissector.finish`. Hello objects are
kept whole in the event (cipher list, extensions in order, raw bytes of unknown extensions)
for fingerprints (JA3/JA4).

Defined behaviour on extra bytes: once ``done``, further bytes are ignored. Before a hello
was parsed, bytes that do not form a record header (content type 20-24, version 3.x) raise
:class:`~wirelens.wire.errors.BadValue` as soon as 5 of them are present; fewer wait. After
one (either side), such damage ends reading without an error and is noted in ``late_error``
(the summary is worth more than the weird). Inside a hello, bytes left after the extensions raise
:class:`~wirelens.wire.errors.TrailingJunk`. A certificate that does not parse is data
(``cert_parse_error`` of its x509 row), and a Certificate message whose lists do not add up
gives ``cert_status`` ``malformed``: neither is a ParseError.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar, NamedTuple, TypeVar

from wirelens.dissect import limits
from wirelens.dissect.base import IPPROTO_TCP, Dissector, Event
from wirelens.dissect.tls_certs import (
    MAX_CHAIN_BYTES,
    X509Record,
    parse_certificate_list,
    x509_record,
)
from wirelens.dissect.tls_fingerprints import first_alpn, ja3, ja3s, ja4, ja4s, md5_hex
from wirelens.dissect.tls_hello import (
    _FALLBACK,  # noqa: F401  (the fast-path tests reach the readers through this module)
    CipherSuite,
    ClientHello,
    ContentType,
    ExtensionType,
    HandshakeType,
    ServerHello,
    _client_hello_checked,  # noqa: F401
    _client_hello_fast,  # noqa: F401
    _server_hello_checked,  # noqa: F401
    _server_hello_fast,  # noqa: F401
    cipher_name,
    is_grease,
    parse_client_hello,
    parse_server_hello,
    version_name,
)
from wirelens.dissect.tls_hello_cut import cut_hello
from wirelens.dissect.tls_names import (
    AlertLevel,
    KnownExtension,
    alert_description_name,
    alert_level_name,
    extension_name,
    group_name,
    signature_scheme_name,
)
from wirelens.wire.errors import BadValue, LimitExceeded, ParseError

_T = TypeVar("_T")

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
    "curve_name",
    "ecdhe_named_curve",
    "handshake_record",
    "is_grease",
    "parse_client_hello",
    "parse_server_hello",
    "version_name",
]

@dataclass(slots=True)
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
    resumed: bool = False
    """The server resumed an earlier session (:func:`session_resumed`)."""
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
    server_extensions: tuple[int, ...] = ()
    """Extension types of the ServerHello, in wire order."""
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
    hello_damage: tuple[str, ...] = ()
    """What did not parse in a ClientHello kept anyway (:attr:`ClientHello.damage`)."""
    curve: str | None = None
    """Key exchange group the server chose (Zeek ``ssl.log`` ``curve``): its ServerHello's
    key_share (TLS 1.3, RFC 8446 §4.2.8), or the named curve of its ECDHE ServerKeyExchange
    (TLS <= 1.2, RFC 8422 §5.4); null otherwise (RSA or finite-field DHE key exchange)."""
    cert_names: tuple[str, ...] = ()
    """Names of the server's leaf certificate: SAN DNS names, then the subject CN (for the
    application catalogue)."""
    sni_matches_cert: bool | None = None
    """The SNI is one of the leaf certificate's names (:meth:`X509Record.matches_host`); null
    without an SNI or a certificate read (TLS 1.3 encrypts it)."""


# -- the dissector ----------------------------------------------------------------------------


class _Side:
    """Record and handshake reassembly state of one direction."""

    __slots__ = ("encrypted", "hs", "lost", "records", "skip")

    def __init__(self) -> None:
        self.records = bytearray()  # bytes of the record stream not yet cut
        self.hs = bytearray()  # handshake stream bytes not yet parsed
        self.skip = 0  # handshake bytes still to drop (a message we do not parse)
        self.encrypted = False
        self.lost = False  # a hole: its record boundaries are unknown, nothing more is read


_HELLOS = frozenset((HandshakeType.client_hello.value, HandshakeType.server_hello.value))
_SERVER_HELLO = HandshakeType.server_hello.value
_SERVER_KEY_EXCHANGE = HandshakeType.server_key_exchange.value
_HANDSHAKE = ContentType.handshake.value
_RECORD_TYPES = frozenset((20, 21, 22, 23))


def midstream_records(p: bytes) -> bool:
    """TLS records back to back (RFC 8446 §5.1): each a known content type, legacy version
    3.1-3.3 and a length of 1 to 2^14 + 2048, up to the end of ``p``, where the last record
    (or the next header) may continue in the next segment. Recognises a connection whose
    handshake was not captured (application data, alerts, tickets)."""
    pos, n = 0, len(p)
    while pos + 5 <= n:
        length = (p[pos + 3] << 8) | p[pos + 4]
        if (p[pos] not in _RECORD_TYPES or p[pos + 1] != 3 or not 1 <= p[pos + 2] <= 3
                or length == 0 or length > limits.TLS_MAX_RECORD_BYTES):
            return False
        pos += 5 + length
    return pos >= n or p[pos] in _RECORD_TYPES
_CCS = ContentType.change_cipher_spec.value
_ALERT = ContentType.alert.value
_APPLICATION_DATA = ContentType.application_data.value
_CERTIFICATE = HandshakeType.certificate.value
_TLS13 = 0x0304


_KEY_SHARE = 51
"""key_share (RFC 8446 §4.2.8): in a ServerHello one KeyShareEntry, the group first."""
_NAMED_CURVE = 3
"""ECParameters.curve_type of a named curve (RFC 8422 §5.4)."""


def ecdhe_named_curve(sh: ServerHello | None, head: bytes | bytearray) -> int | None:
    """The named curve of a (D)TLS <= 1.2 ServerKeyExchange from its first three bytes, when
    the suite the ServerHello chose is an ECDHE one: ECParameters (RFC 8422 §5.4), curve_type
    3 then the NamedCurve; None otherwise."""
    if (sh is None or len(head) < 3 or head[0] != _NAMED_CURVE
            or not cipher_name(sh.cipher_suite).startswith("TLS_ECDHE_")):
        return None
    return (head[1] << 8) | head[2]


def curve_name(sh: ServerHello | None, kx_group: int | None = None) -> str | None:
    """Name of the key exchange group the server chose: the ServerKeyExchange's named
    curve, else the ServerHello's key_share group."""
    if kx_group is None and sh is not None:
        for ext_type, data in sh.extensions:
            if ext_type == _KEY_SHARE and len(data) >= 2:
                kx_group = (data[0] << 8) | data[1]
                break
    return group_name(kx_group) if kx_group is not None else None


_PRE_SHARED_KEY = KnownExtension.pre_shared_key.value
_PSK_VERSIONS = frozenset((_TLS13, 0xFEFC))
"""TLS 1.3 and DTLS 1.3 (RFC 9147): resumption is a pre-shared key the server selects."""


def session_resumed(ch: ClientHello | None, sh: ServerHello | None) -> bool:
    """Whether the server resumed an earlier session (Zeek's ``resumed``): up to (D)TLS 1.2
    it echoes the client's non-empty session ID (RFC 5246 §7.4.1.3; a session ticket
    accepted does so too, RFC 5077 §3.4); in (D)TLS 1.3, whose ServerHello always echoes the
    ID (RFC 8446 §4.1.3), it selects one of the client's pre-shared keys (§4.2.11)."""
    if ch is None or sh is None or sh.is_hello_retry_request:
        return False
    if sh.version in _PSK_VERSIONS or sh.version >> 8 == 0x7F:  # (0x7fXX: 1.3 drafts)
        return any(ext_type == _PRE_SHARED_KEY for ext_type, _ in sh.extensions)
    return bool(ch.session_id) and sh.session_id == ch.session_id


def handshake_record(
    ts_ns: int, ch: ClientHello | None, sh: ServerHello | None, leaf: X509Record | None,
    alert: tuple[int, int, bool] | None, *, cert_status: str | None, chain_len: int | None,
    client_chain_len: int | None, late_error: str | None, cert_names: tuple[str, ...],
    client_version_code: int | None, name_version: Callable[[int], str] = version_name,
    transport: str = "t", ja4_hello: ClientHello | None = None, kx_group: int | None = None,
) -> TlsRecord:
    """The ``tls`` row of one handshake (TLS here, DTLS in :mod:`wirelens.dissect.dtls`):
    ``name_version`` names version codes, ``transport`` is JA4's first letter,
    ``ja4_hello`` the hello JA4 is computed from (default ``ch``) and ``kx_group`` the named
    curve of a TLS <= 1.2 ServerKeyExchange (a TLS 1.3 ServerHello's key_share says it)."""
    cs = _client_summary(ch, name_version, transport) if ch is not None else _NO_CLIENT
    ss = _server_summary(sh, name_version, transport) if sh is not None else _NO_SERVER
    if ch is not None and ch.cut:  # (no fingerprint of lists seen in part)
        cs = cs._replace(ja3=None, ja3_hash=None, ja4=None)
    if sh is not None and sh.cut:
        ss = ss._replace(ja3s=None, ja3s_hash=None, ja4s=None)
    if ja4_hello is not None and ja4_hello is not ch:
        ch_ja4: str | None = ja4(ja4_hello, transport)
    else:
        ch_ja4 = cs.ja4
    return TlsRecord(
        ts_ns=ts_ns,
        version=ss.version,
        version_code=sh.version if sh else None,
        cipher=ss.cipher,
        cipher_code=sh.cipher_suite if sh else None,
        server_name=ch.server_name if ch else None,
        alpn=ch.alpn if ch else (),
        alpn_selected=sh.alpn if sh else None,
        client_version=name_version(client_version_code) if client_version_code is not None
        else None,
        client_supported_versions=cs.supported_versions,
        client_hello=ch,
        server_hello=sh,
        established=sh is not None,
        resumed=session_resumed(ch, sh),
        ja3=cs.ja3,
        ja3_hash=cs.ja3_hash,
        ja3s=ss.ja3s,
        ja3s_hash=ss.ja3s_hash,
        ja4=ch_ja4,
        ja4s=ss.ja4s,
        cipher_suites=cs.cipher_names,
        cipher_suite_codes=ch.cipher_suites if ch else (),
        extensions=cs.extensions,
        extension_names=cs.extension_names,
        server_extensions=tuple([t for t, _ in sh.extensions]) if sh else (),
        groups=ch.supported_groups if ch else (),
        group_names=cs.group_names,
        signature_algorithms=ch.signature_algorithms if ch else (),
        signature_algorithm_names=cs.signature_algorithm_names,
        cert_status=cert_status,
        cert_chain_len=chain_len,
        cert_subject=leaf.subject if leaf else None,
        cert_issuer=leaf.issuer if leaf else None,
        cert_sans=leaf.san_dns if leaf else (),
        cert_not_after=leaf.not_after if leaf else None,
        cert_sha256=leaf.sha256 if leaf else None,
        cert_self_signed=leaf.self_signed if leaf else None,
        cert_expired=leaf.expired if leaf else None,
        client_cert_chain_len=client_chain_len,
        alert_level=alert[0] if alert else None,
        alert_level_name=alert_level_name(alert[0]) if alert else None,
        alert_description=alert[1] if alert else None,
        alert_description_name=alert_description_name(alert[1]) if alert else None,
        alert_sender=("client" if alert[2] else "server") if alert else None,
        late_error=late_error,
        hello_damage=ch.damage if ch else (),
        cert_names=cert_names,
        curve=curve_name(sh, kx_group),
        sni_matches_cert=(leaf.matches_host(ch.server_name) if leaf is not None
                          and ch is not None and ch.server_name else None),
    )


# -- what a row takes from its hellos, cached ---------------------------------------------------
#
# A client stack sends the same cipher, extension, group and signature lists on every
# connection, and a server answers them the same way: the fingerprints and readable names of
# a row are computed once per distinct set of the hello fields they are made of (the key),
# not once per connection. The key holds every field the computation reads, nothing else.

SUMMARY_CACHE_ENTRIES = 4096
"""Distinct client (and server) hello summaries kept; the oldest is dropped when full."""
SUMMARY_CACHE_MAX_CODES = 512
"""A hello whose lists hold more codes than this in all is summarised but not kept (real
ones hold a hundred or so), so the caches stay small whatever the traffic."""


class _ClientSummary(NamedTuple):
    """The columns of a ``tls`` row that depend only on the fields of the ClientHello."""

    supported_versions: tuple[str, ...]
    ja3: str | None
    ja3_hash: str | None
    ja4: str | None
    cipher_names: tuple[str, ...]
    extensions: tuple[int, ...]
    extension_names: tuple[str, ...]
    group_names: tuple[str, ...]
    signature_algorithm_names: tuple[str, ...]


class _ServerSummary(NamedTuple):
    """The columns of a ``tls`` row that depend only on the fields of the ServerHello."""

    version: str | None
    cipher: str | None
    ja3s: str | None
    ja3s_hash: str | None
    ja4s: str | None


_NO_CLIENT = _ClientSummary((), None, None, None, (), (), (), (), ())
_NO_SERVER = _ServerSummary(None, None, None, None, None)
_client_summaries: dict[tuple[object, ...], _ClientSummary] = {}
_server_summaries: dict[tuple[object, ...], _ServerSummary] = {}


def _client_summary(ch: ClientHello, name_version: Callable[[int], str],
                    transport: str) -> _ClientSummary:
    """JA3, JA4, supported version names and the readable twins of the lists of ``ch``."""
    exts = tuple([t for t, _ in ch.extensions])
    key = (ch.legacy_version, ch.cipher_suites, exts, ch.supported_groups,
           ch.ec_point_formats, ch.supported_versions, ch.signature_algorithms,
           first_alpn(ch.extensions), name_version, transport)
    summary = _client_summaries.get(key)
    if summary is None:
        ch_ja3 = ja3(ch)
        summary = _ClientSummary(
            supported_versions=tuple(
                name_version(v) for v in ch.supported_versions if not is_grease(v)
            ),
            ja3=ch_ja3,
            ja3_hash=md5_hex(ch_ja3),
            ja4=ja4(ch, transport),
            cipher_names=tuple(cipher_name(c) for c in ch.cipher_suites),
            extensions=exts,
            extension_names=tuple(extension_name(t) for t in exts),
            group_names=tuple(group_name(g) for g in ch.supported_groups),
            signature_algorithm_names=tuple(
                signature_scheme_name(s) for s in ch.signature_algorithms
            ),
        )
        codes = (len(ch.cipher_suites) + len(exts) + len(ch.supported_groups)
                 + len(ch.ec_point_formats) + len(ch.supported_versions)
                 + len(ch.signature_algorithms))
        if codes <= SUMMARY_CACHE_MAX_CODES:
            _remember(_client_summaries, key, summary)
    return summary


def _server_summary(sh: ServerHello, name_version: Callable[[int], str],
                    transport: str) -> _ServerSummary:
    """Version and cipher names, JA3S and JA4S of ``sh``."""
    exts = tuple([t for t, _ in sh.extensions])
    key = (sh.legacy_version, sh.selected_version, sh.cipher_suite, exts,
           first_alpn(sh.extensions), name_version, transport)
    summary = _server_summaries.get(key)
    if summary is None:
        sh_ja3s = ja3s(sh)
        summary = _ServerSummary(
            version=name_version(sh.version),
            cipher=cipher_name(sh.cipher_suite),
            ja3s=sh_ja3s,
            ja3s_hash=md5_hex(sh_ja3s),
            ja4s=ja4s(sh, transport),
        )
        if len(exts) <= SUMMARY_CACHE_MAX_CODES:
            _remember(_server_summaries, key, summary)
    return summary


def _remember(cache: dict[tuple[object, ...], _T], key: tuple[object, ...], value: _T) -> None:
    """Store ``value`` under ``key``, dropping the oldest entry when the cache is full."""
    if len(cache) >= SUMMARY_CACHE_ENTRIES:
        del cache[next(iter(cache))]
    cache[key] = value


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
    first_bytes: ClassVar[frozenset[int] | None] = _RECORD_TYPES
    """``matches``: a record type (20-23, RFC 8446 §5.1) first."""
    x509_events: ClassVar[bool] = True
    """Emit one :class:`~wirelens.dissect.tls_certs.X509Record` per certificate (the ``x509``
    table); the summary columns of the ``tls`` row do not depend on it."""

    cert_names: tuple[str, ...]
    """Names of the server's leaf certificate (SAN DNS names, then subject CN), once seen."""

    def __init__(self, proto: int) -> None:
        super().__init__(proto)
        self._sides = {True: _Side(), False: _Side()}
        self._client_hello: ClientHello | None = None
        self._server_hello: ServerHello | None = None
        self._tls12 = False  # a TLS <= 1.2 ServerHello was parsed: the flight is in clear
        self._kx_group: int | None = None  # the named curve of an ECDHE ServerKeyExchange
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
        self._client_side: bool | None = None  # from_orig of the TLS client, once a hello says
        self.cert_names = ()

    @classmethod
    def from_server(cls, payload: bytes, proto: int) -> bool:
        """A handshake record holding a ServerHello (RFC 8446 section 4)."""
        return len(payload) > 5 and payload[0] == _HANDSHAKE and payload[5] == _SERVER_HELLO

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """A handshake record (type 22, version 3.x) starting with a Client/ServerHello, or
        a flow seen from its middle: records back to back to the payload's end."""
        if proto != IPPROTO_TCP or len(payload) < 6:
            return False
        if (
            payload[0] == _HANDSHAKE
            and payload[1] == 3
            and payload[2] <= 4
            and payload[5] in _HELLOS
            and ((payload[3] << 8) | payload[4]) >= 4
        ):
            return True
        return midstream_records(payload)

    def feed(self, data: bytes, from_orig: bool, ts_ns: int) -> list[Event]:
        """Next stream bytes of one direction."""
        side = self._sides[from_orig]
        if self.done or side.lost:
            return []
        if self._ts_ns is None:
            self._ts_ns = ts_ns
        self._now = ts_ns
        events: list[Event] = []
        try:
            self._records(side, data, from_orig, events)
        except ParseError as exc:
            if (self._server_hello is None and self._client_hello is None) or self._emitted:
                raise
            # damage after a hello (e.g. a server greeting in clear text on 465): keep the
            # summary, say why reading stopped
            self._late_error = f"{type(exc).__name__}: {exc}"[:200]
            self._end(events)
        return events

    def _records(self, side: _Side, data: bytes, from_orig: bool, events: list[Event]) -> None:
        """Cut whole records (RFC 8446 §5.1) from the stream of one direction: the bytes kept
        from the last call, then ``data``. Records are read where they lie (in ``data`` itself
        when nothing was kept); what is left of an incomplete record is kept for the next call.
        A record counts as read before it is handled (as when an error is raised there)."""
        pending = side.records
        if pending:
            pending += data
            buf: bytes | bytearray = pending
        else:
            buf = data
        size = len(buf)
        pos = 0
        try:
            while size - pos >= 5 and not self.done:
                ctype, major, minor = buf[pos], buf[pos + 1], buf[pos + 2]
                length = (buf[pos + 3] << 8) | buf[pos + 4]
                if not 20 <= ctype <= 24 or major != 3 or minor > 4:
                    raise BadValue(f"not a TLS record header: {bytes(buf[pos : pos + 5]).hex()}")
                if length > limits.TLS_MAX_RECORD_BYTES:
                    raise LimitExceeded(f"TLS record of {length} bytes")
                start = pos + 5
                stop = start + length
                if stop > size:
                    break
                pos = stop
                if side.encrypted:
                    continue
                if ctype == _HANDSHAKE:
                    self._handshake(side, buf, start, stop, from_orig, events)
                elif ctype == _ALERT:
                    self._on_alert(bytes(buf[start:stop]), from_orig, events)
                elif ctype == _APPLICATION_DATA:
                    side.encrypted = True
                    if self._tls12:
                        self._end(events)
                    elif all(s.encrypted or s.lost for s in self._sides.values()):
                        # both sides past the handshake without a ServerHello seen (a
                        # capture that started after it, or lost it): nothing more can
                        # come in clear; a row if a ClientHello was read (as finish())
                        if self._client_hello is None:
                            self.done = True
                        else:
                            self._end(events)
                elif ctype == _CCS and self._tls12:
                    # TLS <= 1.2: what follows in this direction is encrypted (RFC 5246 §7.1).
                    # TLS 1.3 compatibility CCSs (RFC 8446 Appendix D.4) come before the real
                    # ServerHello, when _tls12 is still False.
                    side.encrypted = True
                    if self._cert_status is None:  # an abbreviated handshake (RFC 5246 §7.3)
                        self._cert_status = "absent"
                    self._end(events)
        finally:
            if buf is pending:
                del pending[:pos]
            elif pos < size:
                pending += buf[pos:]
        if self.done:
            pending.clear()

    def gap(self, from_orig: bool, length: int) -> list[Event]:
        """A hole in one direction (a capture that lost a segment, or whose snap length cut
        the hello short): that direction's record boundaries are lost and nothing more is read
        from it (a hello the hole cuts is read as far as it came: :meth:`_salvage`); the other
        one goes on (a ServerHello and certificates after a ClientHello cut short). Both lost:
        the summary of what was seen, and the end."""
        side = self._sides[from_orig]
        if self.done or side.lost:
            return []
        events: list[Event] = []
        self._salvage(side, from_orig, events)
        side.lost = True
        side.records.clear()
        side.hs.clear()
        if not self._emitted and all(s.lost for s in self._sides.values()):
            if self._client_hello is None and self._server_hello is None:
                self.done = True
            else:
                self._end(events)
        return events

    def name_final(self) -> bool:
        # (the certificate, the name a hello without one leaves, was read or will not be:
        # encrypted records come after it, or a capture started mid-connection)
        return (self.done or self._cert_status is not None
                or self._sides[True].encrypted or self._sides[False].encrypted)

    def finish(self) -> list[Event]:
        """Emit the summary when the handshake was not seen to its end (a hello cut short by
        the end of the flow read as far as it came)."""
        events: list[Event] = []
        if not self.done:
            for from_orig, side in self._sides.items():
                if not side.lost:
                    self._salvage(side, from_orig, events)
        if self._emitted or (self._client_hello is None and self._server_hello is None):
            return events
        return [*events, self._record()]

    def _from_client(self, from_orig: bool) -> bool:
        """Bytes of this direction come from the TLS client: the sender of the ClientHello
        (or the receiver of the ServerHello), which is not always the originator (a capture
        that starts mid-connection); the originator until a hello was seen."""
        return from_orig if self._client_side is None else from_orig == self._client_side

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
            self._alert = (fragment[0], fragment[1], self._from_client(from_orig))
        if fragment[0] == AlertLevel.fatal:  # the connection ends (RFC 8446 §6.2)
            self._end(events)

    def _handshake(self, side: _Side, record: bytes | bytearray, start: int, stop: int,
                   from_orig: bool, events: list[Event]) -> None:
        """Cut handshake messages (RFC 8446 §4: type u8, length u24) from the handshake
        stream: the bytes kept from earlier records, then ``record[start:stop]``. Messages are
        read where they lie (in the record itself when nothing was kept); what is left of an
        incomplete message is kept. A message counts as read before it is handled."""
        hs = side.hs
        if hs:
            hs += record[start:stop]
            buf: bytes | bytearray = hs
            pos, stop = 0, len(hs)
        else:
            buf, pos = record, start
        try:
            while pos < stop and not self.done:
                if side.skip:
                    n = min(side.skip, stop - pos)
                    pos += n
                    side.skip -= n
                    continue
                if stop - pos < 4:
                    break
                msg_type = buf[pos]
                length = (buf[pos + 1] << 16) | (buf[pos + 2] << 8) | buf[pos + 3]
                if msg_type in _HELLOS:
                    if length > limits.TLS_MAX_HELLO_BYTES:
                        raise LimitExceeded(f"hello of {length} bytes")
                elif msg_type == _CERTIFICATE and self._tls12:
                    if length > MAX_CHAIN_BYTES:
                        if not self._from_client(from_orig):
                            self._cert_status = "too_long"
                        side.skip = 4 + length
                        continue
                else:
                    if msg_type == _SERVER_KEY_EXCHANGE and stop - pos >= 7:
                        self._on_key_exchange(buf[pos + 4 : pos + 7], from_orig)
                    side.skip = 4 + length
                    self._on_header(msg_type, from_orig, events)
                    continue
                end = pos + 4 + length
                if end > stop:
                    break
                body = buf[pos + 4 : end]
                pos = end
                self._on_handshake(msg_type, body if type(body) is bytes else bytes(body),
                                   from_orig, events)
        finally:
            if buf is hs:
                del hs[:pos]
            elif pos < stop:
                hs += buf[pos:stop]

    def _on_key_exchange(self, head: bytes | bytearray, from_orig: bool) -> None:
        """The first bytes of a TLS <= 1.2 ServerKeyExchange."""
        if self._tls12 and not self._from_client(from_orig):
            self._kx_group = ecdhe_named_curve(self._server_hello, head)

    def _on_header(self, msg_type: int, from_orig: bool, events: list[Event]) -> None:
        """A handshake message skipped by length: its type may end the clear-text part."""
        if not self._tls12:
            return
        if not self._from_client(from_orig):
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
        if self._client_side is None:  # roles: who sent the first hello
            self._client_side = from_orig == (msg_type == HandshakeType.client_hello)
        if msg_type == HandshakeType.client_hello:
            if self._client_hello is None:
                self._client_hello = parse_client_hello(body)
                self.server_name = self._client_hello.server_name
            return
        self._on_server_hello(parse_server_hello(body), events)

    def _on_server_hello(self, server_hello: ServerHello, events: list[Event]) -> None:
        if server_hello.is_hello_retry_request or self._server_hello is not None:
            return
        self._server_hello = server_hello
        if server_hello.version >= _TLS13:
            self._cert_status = "encrypted"  # RFC 8446 §4.4.2: in EncryptedExtensions' wake
            self._end(events)
        else:
            self._tls12 = True

    def _salvage(self, side: _Side, from_orig: bool, events: list[Event]) -> None:
        """A hello this direction was cut in (a hole after its first bytes, or the end of the
        flow before its last), when no hello of its kind was read: read as far as it came
        (:mod:`wirelens.dissect.tls_hello_cut`). A hello is the first handshake message of
        its direction: the bytes waiting start it, if anything."""
        if side.encrypted:
            return
        pending = bytes(side.hs)
        records = side.records
        if not side.skip and len(records) > 5 and records[0] == _HANDSHAKE:
            pending += records[5:]  # (the record it began in, not yet whole)
        hello = cut_hello(pending)
        if isinstance(hello, ClientHello) and self._client_hello is None:
            if self._client_side is None:
                self._client_side = from_orig
            self._client_hello = hello
            self.server_name = hello.server_name
        elif isinstance(hello, ServerHello) and self._server_hello is None:
            if self._client_side is None:
                self._client_side = not from_orig
            self._on_server_hello(hello, events)

    def _on_certificate(self, body: bytes, from_orig: bool, events: list[Event]) -> None:
        """A TLS <= 1.2 Certificate (RFC 5246 §7.4.2 server, §7.4.6 client)."""
        client = self._from_client(from_orig)
        try:
            ders, count = parse_certificate_list(body)
        except ParseError:
            if not client:
                self._cert_status = "malformed"
            return
        chain = [x509_record(der, self._now, client, i, count) for i, der in enumerate(ders)]
        if self.x509_events:
            events.extend(chain)
        if client:
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
        return handshake_record(
            self._ts_ns or 0, ch, self._server_hello, self._leaf, self._alert,
            cert_status=self._cert_status, chain_len=self._chain_len,
            client_chain_len=self._client_chain_len, late_error=self._late_error,
            cert_names=self.cert_names,
            client_version_code=ch.max_version if ch else None, kx_group=self._kx_group,
        )
