"""Application payloads for the simulator: DNS, HTTP/1.1, TLS 1.2/1.3 and SSH wire formats.

Builders are pure functions of their arguments and a seeded :class:`random.Random`, so the
same seed gives the same bytes. Encrypted parts are random bytes of realistic sizes.
"""

from __future__ import annotations

import hashlib
import random
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import formatdate
from enum import IntEnum

from wirelens.sim.tls_clients import (
    CHROMIUM,
    GREASE,
    SERVER_SHARE_BYTES,
    SHARE_BYTES,
    X25519,
    ExtType,
    TlsClient,
)

E = ExtType

# ---------------------------------------------------------------------------------------------
# DNS (RFC 1035 §4.1, EDNS0 RFC 6891)
# ---------------------------------------------------------------------------------------------


class QType(IntEnum):
    """DNS RR types used here (RFC 1035 §3.2.2, RFC 3596, RFC 6891)."""

    A = 1
    CNAME = 5
    TXT = 16
    AAAA = 28
    OPT = 41


DNS_FLAGS_QUERY = 0x0100  # RD (RFC 1035 §4.1.1)
DNS_FLAGS_RESPONSE = 0x8180  # QR, RD, RA, NOERROR
EDNS_UDP_SIZE = 1232


class DnsWriter:
    """Builds one DNS message, compressing names with backward pointers (RFC 1035 §4.1.4)."""

    def __init__(self, txid: int, flags: int) -> None:
        self.buf = bytearray(struct.pack("!HHHHHH", txid, flags, 0, 0, 0, 0))
        self._names: dict[str, int] = {}
        self.counts = [0, 0, 0, 0]

    def name(self, name: str) -> None:
        """Append ``name`` (dotted, no trailing dot), pointing at a known suffix if any."""
        labels = [x for x in name.split(".") if x]
        for i in range(len(labels)):
            suffix = ".".join(labels[i:]).lower()
            ptr = self._names.get(suffix)
            if ptr is not None:
                self.buf += struct.pack("!H", 0xC000 | ptr)
                return
            if len(self.buf) < 0x3FFF:
                self._names[suffix] = len(self.buf)
            lab = labels[i].encode("ascii")
            if not 0 < len(lab) < 64:
                raise ValueError(f"bad DNS label length {len(lab)}")
            self.buf.append(len(lab))
            self.buf += lab
        self.buf.append(0)

    def question(self, name: str, qtype: int, qclass: int = 1) -> None:
        """Append a question entry (RFC 1035 §4.1.2)."""
        self.name(name)
        self.buf += struct.pack("!HH", qtype, qclass)
        self.counts[0] += 1

    def answer(self, name: str, rtype: int, ttl: int, value: object) -> None:
        """Append an answer RR (RFC 1035 §4.1.3); ``value`` is bytes (A/AAAA), a name (CNAME)
        or a list of strings (TXT)."""
        self.name(name)
        self.buf += struct.pack("!HHI", rtype, 1, ttl)
        at = len(self.buf)
        self.buf += b"\x00\x00"
        if rtype == QType.CNAME:
            assert isinstance(value, str)
            self.name(value)
        elif rtype == QType.TXT:
            assert isinstance(value, list)
            for s in value:
                raw = s.encode("ascii")
                self.buf.append(len(raw))
                self.buf += raw
        else:
            assert isinstance(value, bytes)
            self.buf += value
        struct.pack_into("!H", self.buf, at, len(self.buf) - at - 2)
        self.counts[1] += 1

    def opt(self, udp_size: int = EDNS_UDP_SIZE) -> None:
        """Append an EDNS0 OPT pseudo-RR in the additional section (RFC 6891 §6.1.2)."""
        self.buf += b"\x00" + struct.pack("!HHIH", QType.OPT, udp_size, 0, 0)
        self.counts[3] += 1

    def finish(self) -> bytes:
        """The message with its section counts filled in."""
        struct.pack_into("!HHHH", self.buf, 4, *self.counts)
        return bytes(self.buf)


def dns_query(txid: int, name: str, qtype: int, edns: bool = True) -> bytes:
    """A recursive query for one name."""
    w = DnsWriter(txid, DNS_FLAGS_QUERY)
    w.question(name, qtype)
    if edns:
        w.opt()
    return w.finish()


def dns_response(txid: int, name: str, qtype: int, answers: list[tuple[str, int, int, object]],
                 edns: bool = True, rcode: int = 0) -> bytes:
    """A response repeating the question, with ``answers`` as (name, type, ttl, value)."""
    w = DnsWriter(txid, DNS_FLAGS_RESPONSE | rcode)
    w.question(name, qtype)
    for rname, rtype, ttl, value in answers:
        w.answer(rname, rtype, ttl, value)
    if edns:
        w.opt()
    return w.finish()


# ---------------------------------------------------------------------------------------------
# HTTP/1.1 (RFC 9112)
# ---------------------------------------------------------------------------------------------

USER_AGENTS = (
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/131.0.0.0 Safari/537.36"),
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
    ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
     "Version/18.1 Safari/605.1.15"),
    ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/130.0.0.0 Safari/537.36"),
)

SERVERS = ("nginx/1.24.0", "Apache/2.4.58 (Ubuntu)", "cloudflare", "ECAcc (nyd/D13E)", "gws")

_WORDS = (
    "network", "packet", "flow", "analysis", "lorem", "ipsum", "dolor", "sit", "amet",
    "consectetur", "adipiscing", "elit", "sed", "do", "eiusmod", "tempor", "incididunt", "ut",
    "labore", "et", "dolore", "magna", "aliqua", "news", "weather", "sports", "video", "music",
    "search", "results", "account", "settings", "privacy", "help", "contact", "about", "home",
    "page", "article", "comment",
)


def text_body(rng: random.Random, size: int) -> bytes:
    """An HTML document of exactly ``size`` bytes (at least 60)."""
    head = b"<!DOCTYPE html><html><head><title>Page</title></head><body><p>"
    tail = b"</p></body></html>\n"
    room = max(0, size - len(head) - len(tail))
    words: list[str] = []
    n = 0
    while n < room:
        w = rng.choice(_WORDS)
        words.append(w)
        n += len(w) + 1
    mid = " ".join(words).encode()[:room].ljust(room, b" ")
    return head + mid + tail


def http_request(method: str, host: str, path: str, user_agent: str, body: bytes = b"",
                 content_type: str = "application/x-www-form-urlencoded") -> bytes:
    """An HTTP/1.1 request with the usual browser header fields (RFC 9110 §7.2, RFC 9112 §3)."""
    lines = [
        f"{method} {path} HTTP/1.1",
        f"Host: {host}",
        f"User-Agent: {user_agent}",
        "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
        "Accept-Language: en-US,en;q=0.9",
        "Accept-Encoding: gzip, deflate",
        "Connection: keep-alive",
    ]
    if method == "POST":
        lines.append(f"Content-Type: {content_type}")
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("ascii") + body


def http_response(status: int, reason: str, body: bytes, ts: float, server: str,
                  content_type: str = "text/html; charset=utf-8") -> bytes:
    """An HTTP/1.1 response with Date, Server, Content-Type and Content-Length."""
    lines = [
        f"HTTP/1.1 {status} {reason}",
        f"Date: {formatdate(ts, usegmt=True)}",
        f"Server: {server}",
        f"Content-Type: {content_type}",
        f"Content-Length: {len(body)}",
        "Cache-Control: max-age=600",
        "Connection: keep-alive",
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("ascii") + body


# ---------------------------------------------------------------------------------------------
# TLS (RFC 8446 TLS 1.3, RFC 5246 TLS 1.2)
# ---------------------------------------------------------------------------------------------


class ContentType(IntEnum):
    """TLS record content types (RFC 8446 §5.1)."""

    CHANGE_CIPHER_SPEC = 20
    ALERT = 21
    HANDSHAKE = 22
    APPLICATION_DATA = 23


class HandshakeType(IntEnum):
    """TLS handshake message types (RFC 8446 §4, RFC 5246 §7.4)."""

    CLIENT_HELLO = 1
    SERVER_HELLO = 2
    CERTIFICATE = 11
    SERVER_KEY_EXCHANGE = 12
    SERVER_HELLO_DONE = 14
    CLIENT_KEY_EXCHANGE = 16


MAX_RECORD = 16384


def _u8v(b: bytes) -> bytes:
    return bytes([len(b)]) + b


def _u16v(b: bytes) -> bytes:
    return struct.pack("!H", len(b)) + b


def _u24v(b: bytes) -> bytes:
    return struct.pack("!I", len(b))[1:] + b


def _ext(etype: int, body: bytes) -> bytes:
    return struct.pack("!H", etype) + _u16v(body)


def tls_record(ctype: int, body: bytes, version: int = 0x0303) -> bytes:
    """One TLS record (RFC 8446 §5.1)."""
    return struct.pack("!BHH", ctype, version, len(body)) + body


def _handshake(htype: int, body: bytes) -> bytes:
    return bytes([htype]) + _u24v(body)


def _grease(rng: random.Random) -> int:
    v = rng.randrange(16)
    return (v << 12) | 0x0A00 | (v << 4) | 0x0A


def _u16s(values: list[int]) -> bytes:
    return b"".join(struct.pack("!H", v) for v in values)


def _hello_extensions(rng: random.Random, client: TlsClient, sni: str,
                      extra: Mapping[int, bytes]) -> bytes:
    """The extensions block of ``client``'s ClientHello to ``sni`` (with its length);
    ``extra``: the bodies of extensions that depend on the connection (QUIC's transport
    parameters)."""
    grease = [_grease(rng) for _ in range(4)]
    if len(set(grease[:2])) == 1:  # (two GREASE extensions must differ: RFC 8701 §3.1)
        grease[1] = grease[0] ^ 0x1010
    fresh = iter(grease)

    def values(items: tuple[int, ...], g: int) -> list[int]:
        return [g if v == GREASE else v for v in items]

    g_group = grease[2]
    body: dict[int, bytes] = {
        E.SERVER_NAME: _u16v(b"\x00" + _u16v(sni.encode("ascii"))),  # RFC 6066 §3
        E.STATUS_REQUEST: b"\x01\x00\x00\x00\x00",
        E.SUPPORTED_GROUPS: _u16v(_u16s(values(client.groups, g_group))),
        E.EC_POINT_FORMATS: _u8v(b"\x00"),
        E.SIGNATURE_ALGORITHMS: _u16v(_u16s(list(client.sig_algs))),
        E.ALPN: _u16v(b"".join(_u8v(p.encode()) for p in client.alpn)),  # RFC 7301
        E.SCT: b"", E.ENCRYPT_THEN_MAC: b"", E.EXTENDED_MASTER_SECRET: b"", E.SESSION_TICKET: b"",
        E.COMPRESS_CERTIFICATE: _u8v(struct.pack("!H", 2)),  # brotli (RFC 8879)
        E.RECORD_SIZE_LIMIT: struct.pack("!H", 0x4001),  # RFC 8449
        E.DELEGATED_CREDENTIALS: _u16v(_u16s([0x0403, 0x0503, 0x0603, 0x0203])),
        E.SUPPORTED_VERSIONS: _u8v(_u16s(values(client.versions, grease[3]))),
        E.PSK_KEY_EXCHANGE_MODES: _u8v(b"\x01"),
        E.POST_HANDSHAKE_AUTH: b"",
        E.KEY_SHARE: _u16v(b"".join(
            struct.pack("!H", g_group) + _u16v(b"\x00") if g == GREASE
            else struct.pack("!H", g) + _u16v(rng.randbytes(SHARE_BYTES[g]))
            for g in client.key_shares)),
        E.APPLICATION_SETTINGS: _u16v(_u8v(client.alpn[0].encode())),
        # a GREASE ECH (draft-ietf-tls-esni: outer, HKDF-SHA256/AES-128-GCM, random payload)
        E.ENCRYPTED_CLIENT_HELLO: (b"\x00" + struct.pack("!HHB", 1, 1, rng.randrange(256))
                                   + _u16v(rng.randbytes(32)) + _u16v(rng.randbytes(144))),
        E.RENEGOTIATION_INFO: b"\x00",
        **extra,
    }
    order = list(client.extensions)
    if client.shuffle:  # the GREASE ones stay first and last
        middle = order[1:-1]
        rng.shuffle(middle)
        order = [order[0], *middle, order[-1]]
    # (Chromium's first GREASE extension is empty, its last one holds a zero byte)
    return _u16v(b"".join(_ext(t, body[t]) if t != GREASE
                          else _ext(next(fresh), b"\x00" if k else b"")
                          for k, t in enumerate(order)))


def client_hello_message(rng: random.Random, sni: str, client: TlsClient,
                         extra: Mapping[int, bytes] | None = None) -> bytes:
    """The ClientHello handshake message of one TLS client stack (RFC 8446 §4.1.2:
    legacy version, random, a session id, cipher suites, null compression, extensions;
    :mod:`wirelens.sim.tls_clients`)."""
    ciphers = [_grease(rng) if c == GREASE else c for c in client.ciphers]
    session_id = rng.randbytes(32) if client.session_id else b""
    body = (struct.pack("!H", 0x0303) + rng.randbytes(32) + _u8v(session_id)
            + _u16v(_u16s(ciphers)) + _u8v(b"\x00")
            + _hello_extensions(rng, client, sni, extra or {}))
    return _handshake(HandshakeType.CLIENT_HELLO, body)


def client_hello(rng: random.Random, sni: str, client: TlsClient = CHROMIUM) -> bytes:
    """The ClientHello record of one TLS client stack."""
    return tls_record(ContentType.HANDSHAKE, client_hello_message(rng, sni, client),
                      version=0x0301)


def server_hello(rng: random.Random, session_id: bytes, tls13: bool, alpn: str | None = "h2",
                 group: int = X25519) -> bytes:
    """The ServerHello record (:func:`server_hello_message`)."""
    return tls_record(ContentType.HANDSHAKE,
                      server_hello_message(rng, session_id, tls13, alpn, group))


def server_hello_message(rng: random.Random, session_id: bytes, tls13: bool,
                         alpn: str | None = "h2", group: int = X25519) -> bytes:
    """ServerHello (RFC 8446 §4.1.3), its key share in ``group``; for TLS 1.2 with
    ECDHE-ECDSA-AES128-GCM and the ALPN protocol ``alpn`` (None: no ALPN extension)."""
    if tls13:
        cipher = 0x1301
        share = rng.randbytes(SERVER_SHARE_BYTES[group])
        exts = [_ext(ExtType.SUPPORTED_VERSIONS, struct.pack("!H", 0x0304)),
                _ext(ExtType.KEY_SHARE, struct.pack("!H", group) + _u16v(share))]
    else:
        cipher = 0xC02B
        exts = [_ext(ExtType.RENEGOTIATION_INFO, b"\x00"),
                _ext(ExtType.EC_POINT_FORMATS, _u8v(b"\x00")),
                _ext(ExtType.EXTENDED_MASTER_SECRET, b"")]
        if alpn is not None:
            exts.append(_ext(ExtType.ALPN, _u16v(_u8v(alpn.encode()))))
    body = (struct.pack("!H", 0x0303) + rng.randbytes(32) + _u8v(session_id)
            + struct.pack("!HB", cipher, 0) + _u16v(b"".join(exts)))
    return _handshake(HandshakeType.SERVER_HELLO, body)


def session_id_of(client_hello_record: bytes) -> bytes:
    """The legacy_session_id of a ClientHello built by :func:`client_hello`."""
    off = 5 + 4 + 2 + 32
    n = client_hello_record[off]
    return client_hello_record[off + 1: off + 1 + n]


CCS = tls_record(ContentType.CHANGE_CIPHER_SPEC, b"\x01")


def app_data(rng: random.Random, plaintext_len: int) -> bytes:
    """Application-data records carrying ``plaintext_len`` bytes, AEAD-sized (16-byte tag plus
    one content-type byte as in TLS 1.3 §5.2), split at the 2^14 record limit."""
    out = bytearray()
    left = max(1, plaintext_len)
    while left > 0:
        n = min(left, MAX_RECORD)
        out += tls_record(ContentType.APPLICATION_DATA, rng.randbytes(n + 17))
        left -= n
    return bytes(out)


def tls13_server_flight(rng: random.Random, session_id: bytes, group: int = X25519) -> bytes:
    """ServerHello (its key share in ``group``), the middlebox-compatibility CCS and the
    encrypted EncryptedExtensions / Certificate / CertificateVerify / Finished (RFC 8446
    §4.3-4.4, D.4)."""
    return (server_hello(rng, session_id, True, group=group) + CCS
            + app_data(rng, rng.randint(2200, 4800)) )


_CERT_CACHE: dict[tuple[int, str], bytes] = {}


def certificate_der(seed: int, name: str) -> bytes:
    """A self-signed Ed25519 X.509 certificate for ``name`` (deterministic for seed and name:
    Ed25519 signatures are deterministic, RFC 8032 §5.1.6)."""
    key = (seed, name)
    hit = _CERT_CACHE.get(key)
    if hit is not None:
        return hit
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding
    from cryptography.x509.oid import NameOID

    digest = hashlib.sha256(f"{seed}:{name}".encode()).digest()
    priv = Ed25519PrivateKey.from_private_bytes(digest)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    issuer = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Simulated Trust"),
                        x509.NameAttribute(NameOID.COMMON_NAME, "Simulated Issuing CA R1")])
    cert = (x509.CertificateBuilder()
            .subject_name(subject).issuer_name(issuer).public_key(priv.public_key())
            .serial_number(int.from_bytes(digest[:16], "big") >> 1)
            .not_valid_before(dt.datetime(2025, 12, 1, tzinfo=dt.UTC))
            .not_valid_after(dt.datetime(2026, 3, 1, tzinfo=dt.UTC))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
            .sign(priv, None))
    der = cert.public_bytes(Encoding.DER)
    _CERT_CACHE[key] = der
    return der


def tls12_server_flight(rng: random.Random, session_id: bytes, cert: bytes,
                        alpn: str | None = "h2") -> bytes:
    """ServerHello (selecting ``alpn``), Certificate, ServerKeyExchange (ECDHE x25519, Ed25519
    signature) and ServerHelloDone in one handshake record sequence (RFC 5246 §7.4, RFC 8422
    §5.4)."""
    certs = _u24v(_u24v(cert))
    ske = (b"\x03" + struct.pack("!H", X25519) + _u8v(rng.randbytes(32))
           + struct.pack("!H", 0x0807) + _u16v(rng.randbytes(64)))
    msgs = (_handshake(HandshakeType.CERTIFICATE, certs)
            + _handshake(HandshakeType.SERVER_KEY_EXCHANGE, ske)
            + _handshake(HandshakeType.SERVER_HELLO_DONE, b""))
    return server_hello(rng, session_id, False, alpn) + tls_record(ContentType.HANDSHAKE, msgs)


def tls12_client_finish(rng: random.Random) -> bytes:
    """ClientKeyExchange, ChangeCipherSpec and the encrypted Finished (RFC 5246 §7.4.7)."""
    cke = _handshake(HandshakeType.CLIENT_KEY_EXCHANGE, _u8v(rng.randbytes(32)))
    return (tls_record(ContentType.HANDSHAKE, cke) + CCS
            + tls_record(ContentType.HANDSHAKE, rng.randbytes(40)))


def tls12_server_finish(rng: random.Random) -> bytes:
    """The server's ChangeCipherSpec and encrypted Finished."""
    return CCS + tls_record(ContentType.HANDSHAKE, rng.randbytes(40))


def tls13_client_finish(rng: random.Random) -> bytes:
    """The client's compatibility CCS and encrypted Finished."""
    return CCS + tls_record(ContentType.APPLICATION_DATA, rng.randbytes(53))


# ---------------------------------------------------------------------------------------------
# SSH (RFC 4253)
# ---------------------------------------------------------------------------------------------

SSH_CLIENT_BANNER = b"SSH-2.0-OpenSSH_9.6\r\n"
SSH_SERVER_BANNER = b"SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13.5\r\n"
LIBSSH_BANNER = b"SSH-2.0-libssh_0.9.6\r\n"


@dataclass(frozen=True)
class SshAlgorithms:
    """The name-lists a KEXINIT offers (RFC 4253 §7.1), one per SSH implementation: what
    HASSH fingerprints, so each client software gets its own."""

    kex: str
    host_key: str
    ciphers: str
    macs: str
    compression: str


OPENSSH_ALGS = SshAlgorithms(
    kex="curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,"
        "diffie-hellman-group16-sha512,diffie-hellman-group14-sha256,ext-info-c",
    host_key="ssh-ed25519,ecdsa-sha2-nistp256,rsa-sha2-512,rsa-sha2-256",
    ciphers="chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr,"
            "aes128-gcm@openssh.com,aes256-gcm@openssh.com",
    macs="umac-64-etm@openssh.com,umac-128-etm@openssh.com,hmac-sha2-256-etm@openssh.com,"
         "hmac-sha2-512-etm@openssh.com,hmac-sha1-etm@openssh.com,hmac-sha2-256,hmac-sha2-512",
    compression="none,zlib@openssh.com",
)
LIBSSH_ALGS = SshAlgorithms(  # libssh 0.9's default client lists (older groups and SHA-1 kept)
    kex="curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,ecdh-sha2-nistp384,"
        "ecdh-sha2-nistp521,diffie-hellman-group18-sha512,diffie-hellman-group16-sha512,"
        "diffie-hellman-group-exchange-sha256,diffie-hellman-group14-sha256,"
        "diffie-hellman-group14-sha1,diffie-hellman-group1-sha1,ext-info-c",
    host_key="ssh-ed25519,ecdsa-sha2-nistp521,ecdsa-sha2-nistp384,ecdsa-sha2-nistp256,"
             "rsa-sha2-512,rsa-sha2-256,ssh-rsa",
    ciphers="chacha20-poly1305@openssh.com,aes256-gcm@openssh.com,aes128-gcm@openssh.com,"
            "aes256-ctr,aes192-ctr,aes128-ctr",
    macs="hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,hmac-sha1-etm@openssh.com,"
         "hmac-sha2-256,hmac-sha2-512,hmac-sha1",
    compression="none",
)


class SshMsg(IntEnum):
    """SSH message numbers (RFC 4250 §4.1.2, RFC 5656 §7.1)."""

    KEXINIT = 20
    NEWKEYS = 21
    KEX_ECDH_INIT = 30
    KEX_ECDH_REPLY = 31


def _ssh_string(b: bytes) -> bytes:
    return struct.pack("!I", len(b)) + b


def ssh_packet(rng: random.Random, payload: bytes, block: int = 8) -> bytes:
    """A cleartext binary packet: length, padding length, payload, random padding of at least
    4 bytes so the total is a multiple of the block size (RFC 4253 §6)."""
    pad = block - ((5 + len(payload)) % block)
    if pad < 4:
        pad += block
    return struct.pack("!IB", 1 + len(payload) + pad, pad) + payload + rng.randbytes(pad)


def ssh_kexinit(rng: random.Random, server: bool, algs: SshAlgorithms = OPENSSH_ALGS) -> bytes:
    """SSH_MSG_KEXINIT (RFC 4253 §7.1) offering ``algs`` (OpenSSH's strict-KEX markers added
    for OpenSSH)."""
    kex = algs.kex
    if algs is OPENSSH_ALGS:
        kex = kex.replace("ext-info-c", "kex-strict-s-v00@openssh.com" if server else
                          "ext-info-c,kex-strict-c-v00@openssh.com")
    lists = (kex, algs.host_key, algs.ciphers, algs.ciphers, algs.macs, algs.macs,
             algs.compression, algs.compression, "", "")
    payload = (bytes([SshMsg.KEXINIT]) + rng.randbytes(16)
               + b"".join(_ssh_string(x.encode()) for x in lists) + b"\x00" + b"\x00" * 4)
    return ssh_packet(rng, payload)


def ssh_ecdh_init(rng: random.Random) -> bytes:
    """SSH_MSG_KEX_ECDH_INIT with the client's ephemeral curve25519 key (RFC 5656 §4)."""
    return ssh_packet(rng, bytes([SshMsg.KEX_ECDH_INIT]) + _ssh_string(rng.randbytes(32)))


def ssh_ecdh_reply(rng: random.Random, host_key: bytes) -> bytes:
    """SSH_MSG_KEX_ECDH_REPLY (host key, server ephemeral key, signature), then NEWKEYS."""
    blob = _ssh_string(b"ssh-ed25519") + _ssh_string(host_key)
    sig = _ssh_string(b"ssh-ed25519") + _ssh_string(rng.randbytes(64))
    reply = (bytes([SshMsg.KEX_ECDH_REPLY]) + _ssh_string(blob) + _ssh_string(rng.randbytes(32))
             + _ssh_string(sig))
    return ssh_packet(rng, reply) + ssh_newkeys(rng)


def ssh_newkeys(rng: random.Random) -> bytes:
    """SSH_MSG_NEWKEYS (RFC 4253 §7.3)."""
    return ssh_packet(rng, bytes([SshMsg.NEWKEYS]))


def ssh_encrypted(rng: random.Random, payload_len: int) -> bytes:
    """An encrypted chacha20-poly1305@openssh.com packet: 4-byte encrypted length, padded
    payload (multiple of 8 with at least 4 bytes of padding) and a 16-byte tag."""
    body = 1 + payload_len
    pad = 8 - (body % 8)
    if pad < 4:
        pad += 8
    return rng.randbytes(4 + body + pad + 16)
