"""TLS hellos: wire codes, ClientHello / ServerHello records and their readers (RFC 8446 §4.1.2,
§4.1.3; RFC 5246 §7.4.1).

Hello messages are parsed by a fast reader indexing the bytes; any irregularity hands the
body to the checked reader (the :class:`~wirelens.wire.buffer.Buffer` cursor, every vector in
its own ``pull_block``), which gives the exact error. Both give the same hello (tested).
Re-exported by :mod:`wirelens.dissect.tls`, the public home of these names.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import IntEnum
from functools import lru_cache, wraps
from typing import TypeVar

from wirelens.dissect.tls_cipher_names import CIPHER_SUITE_NAMES
from wirelens.dissect.tls_names import extension_name
from wirelens.wire.buffer import Buffer
from wirelens.wire.errors import BadValue, ParseError, TrailingJunk

_T = TypeVar("_T")

__all__ = [
    "CipherSuite",
    "ClientHello",
    "ContentType",
    "ExtensionType",
    "HandshakeType",
    "ServerHello",
    "cipher_name",
    "is_grease",
    "parse_client_hello",
    "parse_server_hello",
    "version_name",
]

class ContentType(IntEnum):
    """Record content types of TLS and DTLS (IANA TLS ContentType registry: RFC 8446 §5.1,
    RFC 6520 heartbeat, RFC 9146 tls12_cid, RFC 9147 ack)."""

    change_cipher_spec = 20
    alert = 21
    handshake = 22
    application_data = 23
    heartbeat = 24
    tls12_cid = 25  # DTLS: a record with a connection id (header longer, encrypted)
    ack = 26  # DTLS 1.3


class HandshakeType(IntEnum):
    """Handshake message types (RFC 8446 §4, RFC 5246 §7.4)."""

    hello_request = 0
    client_hello = 1
    server_hello = 2
    hello_verify_request = 3  # DTLS only (RFC 6347 §4.2.1)
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
    """Cipher suites the code names (IANA TLS Cipher Suites registry); every registered
    name is in :data:`~wirelens.dissect.tls_cipher_names.CIPHER_SUITE_NAMES`."""

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
    """Zeek-style version name (``TLSv12``; a TLS 1.3 draft, 0x7f00 + its number, as
    ``TLSv13-draft23``); ``GREASE`` or hex for others."""
    if code in _VERSION_NAMES:
        return _VERSION_NAMES[code]
    if 0x7F01 <= code <= 0x7F1C:  # draft-ietf-tls-tls13-01 to -28 (§4.2.1 of each)
        return f"TLSv13-draft{code & 0xFF:02d}"
    return "GREASE" if is_grease(code) else f"0x{code:04x}"


def cipher_name(code: int) -> str:
    """IANA name of a cipher suite (:data:`~wirelens.dissect.tls_cipher_names.
    CIPHER_SUITE_NAMES`), hex when unregistered."""
    name = _CIPHER_NAMES.get(code)
    if name is not None:
        return name
    return "GREASE" if is_grease(code) else f"0x{code:04x}"


_CIPHER_NAMES = CIPHER_SUITE_NAMES


@dataclass(slots=True)
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
    damage: tuple[str, ...] = ()
    """What did not parse in a hello kept anyway (as nDPI and tshark read such hellos): an
    extension running past the extensions' end ends the list (the ones before it are kept
    and fingerprinted), and an extension whose content does not parse (an ALPN list longer
    than its extension) reads as absent."""
    cut: bool = False
    """Only the first bytes of the hello were seen (a hole in the stream, or the capture's
    snap length, cut it): the fields whole in them (:mod:`wirelens.dissect.tls_hello_cut`);
    no fingerprint is made of it."""

    @property
    def max_version(self) -> int:
        """Highest non-GREASE version offered (supported_versions, else legacy_version)."""
        # not GREASE: see is_grease (inlined, this is read for every row)
        real = [v for v in self.supported_versions
                if (v & 0x0F0F) != 0x0A0A or (v >> 8) != (v & 0xFF)]
        return max(real) if real else self.legacy_version


@dataclass(slots=True)
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
    cut: bool = False
    """Only the first bytes of the hello were seen (as :attr:`ClientHello.cut`)."""

    @property
    def version(self) -> int:
        """The negotiated version."""
        return self.selected_version if self.selected_version is not None else self.legacy_version


# -- hello parsing ----------------------------------------------------------------------------


def _u16_list(buf: Buffer, length_size: int) -> tuple[int, ...]:
    with buf.pull_block(length_size) as length:
        if length % 2:
            raise BadValue("odd length of a u16 vector", buf.tell())
        return tuple(buf.pull_u16() for _ in range(length // 2))


def _u8_list(buf: Buffer, length_size: int) -> tuple[int, ...]:
    with buf.pull_block(length_size) as length:
        return tuple(buf.pull_bytes(length))


def _extensions(buf: Buffer, damage: list[str] | None = None) -> tuple[tuple[int, bytes], ...]:
    """The optional extensions vector (absent in old hellos, RFC 5246 §7.4.1.2). With
    ``damage``, an extension running past the vector's end ends the list instead of the
    parse: the extensions before it are kept and what happened is appended to ``damage``."""
    if buf.eof():
        return ()
    out = []
    with buf.pull_block(2) as size:
        end = buf.tell() + size
        while not buf.eof():
            at = buf.tell()
            try:
                ext_type = buf.pull_u16()
                with buf.pull_block(2) as length:
                    out.append((ext_type, buf.pull_bytes(length)))
            except ParseError as exc:
                if damage is None:
                    raise
                damage.append(f"extensions cut at byte {at}: {exc}")
                buf.seek(end)
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


_U16_READERS: dict[int, Callable[[bytes, int], tuple[int, ...]]] = {}
"""``unpack_from`` of a big-endian u16 vector by its size in bytes (compiled once per size)."""
_U16_READERS_MAX = 1024
"""Sizes kept in :data:`_U16_READERS` (hellos use a few dozen distinct ones)."""


def _u16s(b: bytes, start: int, stop: int) -> tuple[int, ...]:
    """The big-endian u16 values of ``b[start:stop]`` (an even number of bytes)."""
    size = stop - start
    if size & 1:
        raise _Slow
    read = _U16_READERS.get(size)
    if read is None:
        read = struct.Struct(f">{size >> 1}H").unpack_from
        if len(_U16_READERS) < _U16_READERS_MAX:
            _U16_READERS[size] = read
    return read(b, start)


READER_CACHE_ENTRIES = 4096
"""Extension contents whose parsed value is kept, per reader (LRU): a client stack sends the
same supported_versions, groups, signature algorithms and ALPN list on every connection, and
a host name is asked for many times."""
READER_CACHE_MAX_BYTES = 512
"""Only contents up to this size are kept (real ones are a few dozen bytes), so the caches
stay small whatever the traffic."""


def _cached_when_small(reader: Callable[..., _T]) -> Callable[..., _T]:
    """``reader`` (first argument: the extension's bytes) with its results kept in an LRU
    cache for contents of at most :data:`READER_CACHE_MAX_BYTES` bytes. Errors are not kept:
    a content that does not parse is read (and fails) again every time."""
    cached = lru_cache(maxsize=READER_CACHE_ENTRIES)(reader)

    @wraps(reader)
    def read(data: bytes, *args: object) -> _T:
        if len(data) <= READER_CACHE_MAX_BYTES:
            return cached(data, *args)
        return reader(data, *args)

    return read


@_cached_when_small
def _whole_u16s(data: bytes, length_size: int) -> tuple[int, ...]:
    """A whole extension that is one u16 vector (supported_versions, groups, signatures)."""
    start, stop = _vector(data, 0, len(data), length_size)
    if stop != len(data):
        raise _Slow
    return _u16s(data, start, stop)


_EXTENSION_HEADER = struct.Struct(">HH").unpack_from
"""(extension_type, length) of an extension header (RFC 8446 §4.2)."""


def _extensions_fast(b: bytes, pos: int) -> tuple[tuple[int, bytes], ...]:
    """The extensions vector ending the hello (RFC 8446 §4.1.2), absent in old hellos."""
    size = len(b)
    if pos == size:
        return ()
    pos, stop = _vector(b, pos, size, 2)
    if stop != size:
        raise _Slow
    out: list[tuple[int, bytes]] = []
    append = out.append
    while pos < stop:
        # a header past the end raises struct.error (stop is the end of b); a body past the
        # end is cut short by the slice and leaves pos beyond stop, caught below
        ext_type, length = _EXTENSION_HEADER(b, pos)
        pos += 4
        end = pos + length
        append((ext_type, b[pos:end]))
        pos = end
    if pos != stop:
        raise _Slow
    return tuple(out)


@_cached_when_small
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


@_cached_when_small
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


@_cached_when_small
def _point_formats(data: bytes) -> tuple[int, ...]:
    """ECPointFormatList (RFC 8422 §5.1.2): a u8 vector filling the extension."""
    start, stop = _vector(data, 0, len(data), 1)
    if stop != len(data):
        raise _Slow
    return tuple(data[start:stop])


def _first_of(exts: tuple[tuple[int, bytes], ...]) -> dict[int, bytes]:
    """{type: data} of the first extension of each type (built from the last one back, so
    the first of each type is written last and kept)."""
    return dict(reversed(exts))


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
        ec_point_formats=_point_formats(points) if points is not None else (),
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


def _draft_layout(version: int) -> bool:
    """Whether a ServerHello's version field names a TLS 1.3 draft before -22, whose
    ServerHello had no session id and no compression method: 0x7f01-0x7f15 (draft-NN
    §4.2.1), or 0x0304 itself, which only such pre-RFC implementations put there (RFC 8446
    keeps it 0x0303 and says 0x0304 in supported_versions)."""
    return version == 0x0304 or 0x7F01 <= version <= 0x7F15


def parse_server_hello(body: bytes) -> ServerHello:
    """Parse a ServerHello body (after the 4-byte handshake header), RFC 8446 §4.1.3, or a
    TLS 1.3 draft's before -22 (version, random, cipher suite, extensions)."""
    if len(body) >= 2 and _draft_layout((body[0] << 8) | body[1]):
        return _server_hello_checked(body, draft=True)
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
    damage: list[str] = []
    exts = _extensions(buf, damage)

    def read(ext_type: int, reader: Callable[[bytes], _T], absent: _T) -> _T:
        data = _first(exts, ext_type)
        if data is None:
            return absent
        try:
            return reader(data)
        except ParseError as exc:  # the extension's own length held: only its content is lost
            damage.append(f"{extension_name(ext_type)}: {exc}")
            return absent

    hello = ClientHello(
        legacy_version=legacy_version,
        random=random,
        session_id=session_id,
        cipher_suites=ciphers,
        compression_methods=compression,
        extensions=exts,
        server_name=read(ExtensionType.server_name, _server_name, None),
        alpn=read(ExtensionType.application_layer_protocol_negotiation, _alpn, ()),
        supported_versions=read(ExtensionType.supported_versions,
                                lambda d: _whole(d, _u16_list, 1), ()),
        supported_groups=read(ExtensionType.supported_groups,
                              lambda d: _whole(d, _u16_list, 2), ()),
        ec_point_formats=read(ExtensionType.ec_point_formats,
                              lambda d: _whole(d, _u8_list, 1), ()),
        signature_algorithms=read(ExtensionType.signature_algorithms,
                                  lambda d: _whole(d, _u16_list, 2), ()),
    )
    return replace(hello, damage=tuple(damage)) if damage else hello


def _server_hello_checked(body: bytes, draft: bool = False) -> ServerHello:
    """The reference ServerHello reader (``draft``: the layout of TLS 1.3 drafts before -22,
    without session id and compression method)."""
    buf = Buffer(body)
    legacy_version = buf.pull_u16()
    random = buf.pull_bytes(32)
    session_id, compression = b"", 0
    if not draft:
        with buf.pull_block(1) as n:
            session_id = buf.pull_bytes(n)
    cipher = buf.pull_u16()
    if not draft:
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
