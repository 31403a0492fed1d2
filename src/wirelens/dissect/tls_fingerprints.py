"""TLS fingerprints of hellos: JA3, JA3S (Salesforce) and JA4, JA4S (FoxIO).

Pure functions over the parsed hellos of :mod:`wirelens.dissect.tls`; they read the
extension list as it was on the wire (type codes in order, raw data kept), so GREASE
values (RFC 8701 §2, the ``0x?A?A`` pattern) are still there to be removed here.

JA3 (client)
    ``SSLVersion,Ciphers,Extensions,EllipticCurves,EllipticCurvePointFormats``: decimal
    values joined by ``-``, GREASE removed from every list, empty list -> empty field;
    the version is the ClientHello ``legacy_version`` (RFC 8446 §4.1.2); the fingerprint is
    the MD5 of that string in lower-case hex.
JA3S (server)
    ``SSLVersion,Cipher,Extensions`` of the ServerHello (RFC 8446 §4.1.3), same rules.
JA4 (client)
    ``a_b_c``: *a* = transport (``t`` TLS over TCP, ``q`` QUIC, ``d`` DTLS), 2-char
    version (highest non-GREASE supported_versions, else legacy_version), ``d``/``i``
    (server_name extension present or not), 2-digit cipher and extension counts (GREASE
    excluded, capped at 99), 2-char ALPN; *b* = first 12 hex of SHA-256 of the sorted
    4-hex-digit cipher list; *c* = first 12 hex of SHA-256 of the sorted extension list
    without server_name (0x0000) and ALPN (0x0010), then ``_`` and the signature
    algorithms in wire order (no ``_`` when there are none); ``000000000000`` for an
    empty list.
JA4S (server)
    transport + version + 2-digit extension count + ALPN chosen, ``_``, chosen cipher in 4
    hex digits, ``_``, first 12 hex of SHA-256 of the extensions in wire order.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # tls.py imports this module to fill TlsRecord
    from wirelens.dissect.tls import ClientHello, ServerHello

__all__ = [
    "first_alpn",
    "ja3",
    "ja3s",
    "ja4",
    "ja4_alpn",
    "ja4_version",
    "ja4s",
    "md5_hex",
]

_EMPTY_HASH = "000000000000"
"""JA4 value of a hashed part whose list is empty (FoxIO JA4 spec)."""

_JA4_VERSIONS = {
    0x0304: "13",
    0x0303: "12",
    0x0302: "11",
    0x0301: "10",
    0x0300: "s3",
    0x0002: "s2",
    0xFEFF: "d1",
    0xFEFD: "d2",
    0xFEFC: "d3",
}

_SERVER_NAME = 0x0000
"""server_name extension (RFC 6066 §3)."""
_ALPN = 0x0010
"""application_layer_protocol_negotiation extension (RFC 7301 §3.1)."""


def _real(values: Iterable[int]) -> list[int]:
    """The values without GREASE (RFC 8701 §2: both bytes equal, low nibbles 0xA)."""
    return [v for v in values if (v & 0x0F0F) != 0x0A0A or (v >> 8) != (v & 0xFF)]


def _dec(values: Iterable[int]) -> str:
    return "-".join(str(v) for v in values)


def _hex_list(values: Iterable[int]) -> str:
    return ",".join(f"{v:04x}" for v in values)


def _sha12(text: str) -> str:
    return hashlib.sha256(text.encode("ascii")).hexdigest()[:12]


def _count(n: int) -> str:
    return f"{min(n, 99):02d}"


@lru_cache(maxsize=4096)
def md5_hex(text: str) -> str:
    """MD5 of an ASCII fingerprint string, lower-case hex (the JA3/JA3S hash)."""
    return hashlib.md5(text.encode("ascii"), usedforsecurity=False).hexdigest()


# -- JA3 / JA3S ---------------------------------------------------------------------------------


def ja3(hello: ClientHello) -> str:
    """The JA3 string of a ClientHello (hash it with :func:`md5_hex`)."""
    exts = _real(t for t, _ in hello.extensions)
    return ",".join(
        (
            str(hello.legacy_version),
            _dec(_real(hello.cipher_suites)),
            _dec(exts),
            _dec(_real(hello.supported_groups)),
            _dec(hello.ec_point_formats),
        )
    )


def ja3s(hello: ServerHello) -> str:
    """The JA3S string of a ServerHello (hash it with :func:`md5_hex`)."""
    exts = _real(t for t, _ in hello.extensions)
    return f"{hello.legacy_version},{hello.cipher_suite},{_dec(exts)}"


# -- JA4 / JA4S ---------------------------------------------------------------------------------


def ja4_version(code: int) -> str:
    """Two characters of a version code in JA4 (``13``, ``12``, ``s3``, ``d2``; ``00`` unknown)."""
    return _JA4_VERSIONS.get(code, "00")


def _alnum(byte: int) -> bool:
    return 0x30 <= byte <= 0x39 or 0x41 <= byte <= 0x5A or 0x61 <= byte <= 0x7A


def ja4_alpn(value: bytes | None) -> str:
    """Two characters for an ALPN protocol name (JA4 "ALPN Extension Value").

    ``00`` when absent or empty; first and last byte as characters when both are ASCII
    alphanumeric (one byte counts as both); otherwise the first and last characters of
    the value's hex form (high nibble of the first byte, low nibble of the last).
    """
    if not value:
        return "00"
    first, last = value[0], value[-1]
    if _alnum(first) and _alnum(last):
        return chr(first) + chr(last)
    text = value.hex()
    return text[0] + text[-1]


def first_alpn(extensions: Sequence[tuple[int, bytes]]) -> bytes | None:
    """Raw bytes of the first protocol name of the first ALPN extension (RFC 7301 §3.1).

    Read from the raw extension so names that are not ASCII keep their bytes. ``None``
    when there is no ALPN extension or its list is empty or cut short.
    """
    for ext_type, data in extensions:
        if ext_type == _ALPN:
            if len(data) < 3:
                return None
            size = data[2]
            name = data[3 : 3 + size]
            return name if len(name) == size else None
    return None


def ja4(hello: ClientHello, transport: str = "t") -> str:
    """The JA4 fingerprint of a ClientHello; ``transport`` is ``t``, ``q`` or ``d``."""
    ciphers = _real(hello.cipher_suites)
    ext_types = _real(t for t, _ in hello.extensions)
    sni = "d" if _SERVER_NAME in ext_types else "i"
    part_a = (
        f"{transport}{ja4_version(hello.max_version)}{sni}{_count(len(ciphers))}"
        f"{_count(len(ext_types))}{ja4_alpn(first_alpn(hello.extensions))}"
    )
    part_b, part_c = _ja4_hashes(tuple(ciphers), tuple(ext_types), hello.signature_algorithms)
    return f"{part_a}_{part_b}_{part_c}"


@lru_cache(maxsize=4096)
def _ja4_hashes(ciphers: tuple[int, ...], ext_types: tuple[int, ...],
                signature_algorithms: tuple[int, ...]) -> tuple[str, str]:
    """JA4's b and c parts (cached: a client stack offers the same lists every time)."""
    part_b = _sha12(_hex_list(sorted(ciphers))) if ciphers else _EMPTY_HASH
    sorted_exts = sorted(t for t in ext_types if t not in (_SERVER_NAME, _ALPN))
    if not sorted_exts:
        return part_b, _EMPTY_HASH
    text = _hex_list(sorted_exts)
    sigs = _real(signature_algorithms)
    if sigs:
        text += "_" + _hex_list(sigs)
    return part_b, _sha12(text)


def ja4s(hello: ServerHello, transport: str = "t") -> str:
    """The JA4S fingerprint of a ServerHello; ``transport`` is ``t`` or ``q``."""
    ext_types = _real(t for t, _ in hello.extensions)
    alpn = ja4_alpn(first_alpn(hello.extensions))
    part_a = f"{transport}{ja4_version(hello.version)}{_count(len(ext_types))}{alpn}"
    part_c = _sha12(_hex_list(ext_types)) if ext_types else _EMPTY_HASH
    return f"{part_a}_{hello.cipher_suite:04x}_{part_c}"
