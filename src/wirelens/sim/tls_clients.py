"""TLS client stacks of the simulated hosts: the shape of each one's ClientHello (built by
:func:`wirelens.sim.protocols.client_hello`).

A real network's TLS clients are not one program: browsers of two engines, the operating
system's own TLS library (updates, sign-in), command-line tools and scripts. Each stack
offers its own cipher suites, extensions (and their order), groups, signature algorithms and
ALPN, so each has its own JA3/JA4 fingerprint, which is how analysts tell them apart. The
stacks below follow the published behaviour of their families (cipher and extension lists
as those clients send them, rounded to what the simulator needs):

* ``chromium``: GREASE values (RFC 8701) in ciphers, extensions, groups, key shares and
  versions; the extension order shuffled on every connection (as Chromium does since 2023: its
  JA3 changes per connection, its JA4, which sorts, does not); the hybrid post-quantum group
  X25519MLKEM768 offered with a key share (1,216 bytes), so the ClientHello spans two TCP
  segments; ALPS and a GREASE Encrypted Client Hello.
* ``firefox``: no GREASE, fixed order, finite-field groups offered, record_size_limit and
  delegated_credentials, three key shares (X25519MLKEM768, x25519, secp256r1).
* ``curl`` and ``python``: OpenSSL 3 clients (the long TLS 1.2 cipher list of OpenSSL's
  defaults, encrypt_then_mac); curl asks for h2, Python's http clients only for http/1.1
  and allow post-handshake authentication.
* ``schannel``: the Windows TLS library of the OS services (TLS 1.2 only, no
  supported_versions: the server answers with TLS 1.2).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from enum import IntEnum

GREASE = -1
"""Placeholder for a GREASE value (a fresh one per connection, RFC 8701 §2)."""


class ExtType(IntEnum):
    """TLS extension types (IANA TLS ExtensionType Values)."""

    SERVER_NAME = 0
    STATUS_REQUEST = 5
    SUPPORTED_GROUPS = 10
    EC_POINT_FORMATS = 11
    SIGNATURE_ALGORITHMS = 13
    ALPN = 16
    SCT = 18
    ENCRYPT_THEN_MAC = 22
    EXTENDED_MASTER_SECRET = 23
    COMPRESS_CERTIFICATE = 27
    RECORD_SIZE_LIMIT = 28
    DELEGATED_CREDENTIALS = 34
    SESSION_TICKET = 35
    SUPPORTED_VERSIONS = 43
    PSK_KEY_EXCHANGE_MODES = 45
    POST_HANDSHAKE_AUTH = 49
    KEY_SHARE = 51
    QUIC_TRANSPORT_PARAMETERS = 57
    APPLICATION_SETTINGS = 0x44CD
    ENCRYPTED_CLIENT_HELLO = 0xFE0D
    RENEGOTIATION_INFO = 0xFF01


E = ExtType

# named groups (IANA TLS Supported Groups) and their key share sizes
X25519, SECP256R1, SECP384R1, SECP521R1, X448 = 0x001D, 0x0017, 0x0018, 0x0019, 0x001E
FFDHE2048, FFDHE3072, FFDHE4096, FFDHE6144, FFDHE8192 = 0x0100, 0x0101, 0x0102, 0x0103, 0x0104
X25519MLKEM768 = 0x11EC
SHARE_BYTES = {X25519: 32, SECP256R1: 65, X25519MLKEM768: 1184 + 32}
"""Client key share lengths: an X25519 key, an uncompressed P-256 point, an ML-KEM-768
encapsulation key followed by an X25519 key."""
SERVER_SHARE_BYTES = {X25519: 32, SECP256R1: 65, X25519MLKEM768: 1088 + 32}
"""Server key share lengths (for X25519MLKEM768: the ML-KEM ciphertext, then X25519)."""

_OPENSSL_CIPHERS = (0x1302, 0x1303, 0x1301, 0xC02C, 0xC030, 0x009F, 0xCCA9, 0xCCA8, 0xCCAA,
                    0xC02B, 0xC02F, 0x009E, 0xC024, 0xC028, 0x006B, 0xC023, 0xC027, 0x0067,
                    0xC00A, 0xC014, 0x0039, 0xC009, 0xC013, 0x0033, 0x009D, 0x009C, 0x003D,
                    0x003C, 0x0035, 0x002F, 0x00FF)
_OPENSSL_SIG_ALGS = (0x0403, 0x0503, 0x0603, 0x0807, 0x0808, 0x081A, 0x081B, 0x081C, 0x0809,
                     0x080A, 0x080B, 0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601, 0x0303,
                     0x0301, 0x0302, 0x0402, 0x0502, 0x0602)
_OPENSSL_EXTS = (E.SERVER_NAME, E.EC_POINT_FORMATS, E.SUPPORTED_GROUPS, E.SESSION_TICKET, E.ALPN,
                 E.ENCRYPT_THEN_MAC, E.EXTENDED_MASTER_SECRET, E.SIGNATURE_ALGORITHMS,
                 E.SUPPORTED_VERSIONS, E.PSK_KEY_EXCHANGE_MODES, E.KEY_SHARE)
_OPENSSL_GROUPS = (X25519, SECP256R1, X448, SECP521R1, SECP384R1, FFDHE2048, FFDHE3072,
                   FFDHE4096, FFDHE6144, FFDHE8192)


@dataclass(frozen=True)
class TlsClient:
    """The ClientHello shape of one TLS client stack (:data:`GREASE` marks GREASE values)."""

    name: str
    ciphers: tuple[int, ...]
    extensions: tuple[int, ...]
    """Extension types in the order sent (shuffled per connection with ``shuffle``)."""
    groups: tuple[int, ...]
    key_shares: tuple[int, ...]
    sig_algs: tuple[int, ...]
    alpn: tuple[str, ...]
    versions: tuple[int, ...] = ()
    """supported_versions (empty: the extension is not sent, TLS 1.2 only)."""
    shuffle: bool = False
    session_id: bool = True
    """A 32-byte legacy_session_id (TLS 1.3 middlebox compatibility mode, RFC 8446 D.4);
    over QUIC it is empty (RFC 9001 §8.4)."""

    @property
    def tls13(self) -> bool:
        return 0x0304 in self.versions


CHROMIUM = TlsClient(
    "chromium",
    ciphers=(GREASE, 0x1301, 0x1302, 0x1303, 0xC02B, 0xC02F, 0xC02C, 0xC030, 0xCCA9, 0xCCA8,
             0xC013, 0xC014, 0x009C, 0x009D, 0x002F, 0x0035),
    extensions=(GREASE, E.SERVER_NAME, E.EXTENDED_MASTER_SECRET, E.RENEGOTIATION_INFO, E.SUPPORTED_GROUPS,
                E.EC_POINT_FORMATS, E.SESSION_TICKET, E.ALPN, E.STATUS_REQUEST, E.SIGNATURE_ALGORITHMS,
                E.SCT, E.KEY_SHARE, E.PSK_KEY_EXCHANGE_MODES, E.SUPPORTED_VERSIONS, E.COMPRESS_CERTIFICATE,
                E.APPLICATION_SETTINGS, E.ENCRYPTED_CLIENT_HELLO, GREASE),
    groups=(GREASE, X25519MLKEM768, X25519, SECP256R1, SECP384R1),
    key_shares=(GREASE, X25519MLKEM768, X25519),
    sig_algs=(0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601),
    alpn=("h2", "http/1.1"), versions=(GREASE, 0x0304, 0x0303), shuffle=True,
)
CHROMIUM_QUIC = TlsClient(
    "chromium-quic",
    ciphers=(0x1301, 0x1302, 0x1303),
    extensions=(GREASE, E.SERVER_NAME, E.SUPPORTED_GROUPS, E.SIGNATURE_ALGORITHMS, E.ALPN,
                E.KEY_SHARE, E.PSK_KEY_EXCHANGE_MODES, E.SUPPORTED_VERSIONS,
                E.QUIC_TRANSPORT_PARAMETERS, E.COMPRESS_CERTIFICATE, E.APPLICATION_SETTINGS,
                E.ENCRYPTED_CLIENT_HELLO, GREASE),
    groups=(GREASE, X25519MLKEM768, X25519, SECP256R1, SECP384R1),
    key_shares=(GREASE, X25519MLKEM768, X25519),
    sig_algs=CHROMIUM.sig_algs, alpn=("h3",), versions=(GREASE, 0x0304), shuffle=True,
    session_id=False,
)
"""Chromium's ClientHello inside QUIC (TLS 1.3 only, ALPN h3, the transport parameters)."""
FIREFOX = TlsClient(
    "firefox",
    ciphers=(0x1301, 0x1303, 0x1302, 0xC02B, 0xC02F, 0xCCA9, 0xCCA8, 0xC02C, 0xC030, 0xC00A,
             0xC009, 0xC013, 0xC014, 0x009C, 0x009D, 0x002F, 0x0035),
    extensions=(E.SERVER_NAME, E.EXTENDED_MASTER_SECRET, E.RENEGOTIATION_INFO, E.SUPPORTED_GROUPS,
                E.EC_POINT_FORMATS, E.SESSION_TICKET, E.ALPN, E.STATUS_REQUEST, E.DELEGATED_CREDENTIALS,
                E.SCT, E.KEY_SHARE, E.SUPPORTED_VERSIONS, E.SIGNATURE_ALGORITHMS,
                E.PSK_KEY_EXCHANGE_MODES, E.RECORD_SIZE_LIMIT, E.COMPRESS_CERTIFICATE,
                E.ENCRYPTED_CLIENT_HELLO),
    groups=(X25519MLKEM768, X25519, SECP256R1, SECP384R1, SECP521R1, FFDHE2048, FFDHE3072),
    key_shares=(X25519MLKEM768, X25519, SECP256R1),
    sig_algs=(0x0403, 0x0503, 0x0603, 0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601, 0x0203,
              0x0201),
    alpn=("h2", "http/1.1"), versions=(0x0304, 0x0303),
)
CURL = TlsClient(
    "curl", ciphers=_OPENSSL_CIPHERS, extensions=_OPENSSL_EXTS, groups=_OPENSSL_GROUPS,
    key_shares=(X25519,), sig_algs=_OPENSSL_SIG_ALGS, alpn=("h2", "http/1.1"),
    versions=(0x0304, 0x0303),
)
PYTHON = TlsClient(
    "python", ciphers=_OPENSSL_CIPHERS, extensions=(*_OPENSSL_EXTS, E.POST_HANDSHAKE_AUTH),
    groups=_OPENSSL_GROUPS, key_shares=(X25519,), sig_algs=_OPENSSL_SIG_ALGS,
    alpn=("http/1.1",), versions=(0x0304, 0x0303),
)
SCHANNEL = TlsClient(
    "schannel",
    ciphers=(0xC02C, 0xC02B, 0xC030, 0xC02F, 0xC024, 0xC023, 0xC028, 0xC027, 0xC00A, 0xC009,
             0xC014, 0xC013, 0x009D, 0x009C, 0x003D, 0x003C, 0x0035, 0x002F, 0x000A),
    extensions=(E.SERVER_NAME, E.STATUS_REQUEST, E.SUPPORTED_GROUPS, E.EC_POINT_FORMATS,
                E.SIGNATURE_ALGORITHMS, E.SESSION_TICKET, E.ALPN, E.EXTENDED_MASTER_SECRET,
                E.RENEGOTIATION_INFO),
    groups=(X25519, SECP256R1, SECP384R1), key_shares=(),
    sig_algs=(0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0201, 0x0403, 0x0503, 0x0203, 0x0202,
              0x0601, 0x0603),
    alpn=("h2", "http/1.1"),
)
CLIENTS = {c.name: c for c in (CHROMIUM, CHROMIUM_QUIC, FIREFOX, CURL, PYTHON, SCHANNEL)}

_TOOL_DOMAINS = frozenset({"api.github.com", "pypi.org", "docs.python.org", "github.com",
                           "cdn.jsdelivr.net"})
"""Names scripts and command-line tools reach as often as browsers do."""
_OS_DOMAINS = frozenset({"login.microsoftonline.com", "outlook.office365.com",
                         "www.microsoft.com"})
"""Names a Windows host's own services reach (sign-in, mail, updates)."""


def browser_of(seed: int, ip: str) -> TlsClient:
    """The browser of one host (fixed for the run): mostly Chromium-based, some Firefox."""
    return FIREFOX if random.Random(f"{seed}/browser/{ip}").random() < 0.3 else CHROMIUM


def client_for(rng: random.Random, seed: int, ip: str, windows: bool, name: str) -> TlsClient:
    """The stack a host uses to reach ``name``: its browser, or for some names the OS's own
    library (Windows hosts) or a tool (curl, a Python script: the others)."""
    if windows and name in _OS_DOMAINS and rng.random() < 0.6:
        return SCHANNEL
    if not windows and name in _TOOL_DOMAINS and rng.random() < 0.5:
        return PYTHON if rng.random() < 0.5 else CURL
    return browser_of(seed, ip)


_PQ_SERVERS = frozenset({"www.google.com", "www.youtube.com", "fonts.googleapis.com",
                         "www.cloudflare.com", "www.facebook.com", "cdn.jsdelivr.net"})
"""Servers that accept the hybrid post-quantum group (the large CDNs turned it on first)."""


def server_group(client: TlsClient, server_name: str) -> int:
    """The key share group a TLS 1.3 server picks among the client's: the hybrid
    post-quantum one where both have it, else x25519."""
    if server_name in _PQ_SERVERS and X25519MLKEM768 in client.key_shares:
        return X25519MLKEM768
    return X25519
