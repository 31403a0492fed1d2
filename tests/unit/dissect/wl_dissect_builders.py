"""Builders of realistic DNS, HTTP and TLS messages for the dissector tests (and the fuzz
bench). Field layouts follow the RFCs cited; nothing here is copied from other projects."""

from __future__ import annotations

import base64
import gc
import struct
from collections.abc import Callable, Iterable, Sequence

from wirelens.dissect.base import Dissector, Event, Problem

# -- DNS (RFC 1035 §4.1) ----------------------------------------------------------------------


def dns_name(name: str) -> bytes:
    """Uncompressed wire form of a name."""
    if name in ("", "."):
        return b"\x00"
    out = b""
    for label in name.split("."):
        raw = label.encode()
        out += bytes([len(raw)]) + raw
    return out + b"\x00"


def dns_header(tid: int, flags: int, qd: int, an: int, ns: int = 0, ar: int = 0) -> bytes:
    return struct.pack(">HHHHHH", tid, flags, qd, an, ns, ar)


def dns_query(tid: int, name: str, qtype: int = 1, qclass: int = 1, rd: bool = True) -> bytes:
    flags = 0x0100 if rd else 0
    return dns_header(tid, flags, 1, 0) + dns_name(name) + struct.pack(">HH", qtype, qclass)


def rr(rtype: int, rdata: bytes, ttl: int = 300, name: bytes = b"\xc0\x0c") -> bytes:
    """A resource record; by default the owner is a pointer to the question name (offset 12)."""
    return name + struct.pack(">HHIH", rtype, 1, ttl, len(rdata)) + rdata


def dns_response(
    tid: int,
    name: str,
    records: Sequence[bytes],
    qtype: int = 1,
    rcode: int = 0,
    aa: bool = False,
    extra: Sequence[bytes] = (),
) -> bytes:
    """A response with the question and answer ``records`` (built with :func:`rr`)."""
    flags = 0x8000 | 0x0100 | 0x0080 | (0x0400 if aa else 0) | rcode
    return (
        dns_header(tid, flags, 1, len(records), 0, len(extra))
        + dns_name(name)
        + struct.pack(">HH", qtype, 1)
        + b"".join(records)
        + b"".join(extra)
    )


def dns_rich_response(tid: int = 0xBEEF) -> bytes:
    """A response to www.example.com with one record of every parsed type."""
    ptr = b"\xc0\x0c"
    records = [
        rr(5, b"\x03cdn" + ptr, ttl=60),  # CNAME cdn.www.example.com
        rr(1, bytes([93, 184, 216, 34])),  # A
        rr(28, bytes.fromhex("20010db8000000000000000000000001")),  # AAAA
        rr(12, dns_name("host.example.net")),  # PTR
        rr(2, b"\x02ns" + ptr),  # NS
        rr(15, b"\x00\x0a\x04mail" + ptr),  # MX 10 mail.www.example.com
        rr(16, b"\x0bhello world\x03abc"),  # TXT
        rr(6, b"\x02ns" + ptr + b"\x05admin" + ptr + struct.pack(">5I", 1, 2, 3, 4, 5)),
        rr(33, struct.pack(">HHH", 1, 2, 443) + b"\x03srv" + ptr),  # SRV
        rr(99, b"\x02hi"),  # SPF (TXT format)
        rr(257, b"\x00\x05issueca.example"),  # CAA: kept as hex
    ]
    return dns_response(tid, "www.example.com", records, aa=True)


def tcp_frame(msg: bytes) -> bytes:
    """DNS over TCP: 2-byte length prefix (RFC 1035 §4.2.2)."""
    return struct.pack(">H", len(msg)) + msg


# -- HTTP (RFC 9112) --------------------------------------------------------------------------

HTTP_REQUESTS = (
    b"GET /index.html HTTP/1.1\r\nHost: www.example.com\r\n"
    b"User-Agent: Mozilla/5.0 (X11)\r\nReferer: http://example.org/\r\nAccept: */*\r\n\r\n"
    b"POST /submit?x=1 HTTP/1.1\r\nHost: www.example.com\r\nContent-Type: application/json\r\n"
    b"Content-Length: 13\r\n\r\n{\"a\": \"b c\"}\n"
    b"PUT /up HTTP/1.1\r\nHost: www.example.com\r\nTransfer-Encoding: chunked\r\n\r\n"
    b"4\r\nabcd\r\n3;ext=1\r\nefg\r\n0\r\n\r\n"
    b"HEAD /h HTTP/1.0\r\nHost: www.example.com\r\n\r\n"
)

HTTP_RESPONSES = (
    b"HTTP/1.1 200 OK\r\nServer: nginx/1.25\r\nContent-Type: text/html\r\n"
    b"Content-Length: 13\r\n\r\n<html></html>"
    b"HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n"
    b"HTTP/1.1 100 Continue\r\n\r\n"
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: text/plain\r\n\r\n"
    b"5\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: 1\r\n\r\n"
    b"HTTP/1.0 200 OK\r\nContent-Length: 1234\r\n\r\n"
)


# -- TLS (RFC 8446) ---------------------------------------------------------------------------


def vec(data: bytes, length_size: int) -> bytes:
    return len(data).to_bytes(length_size, "big") + data


def ext(ext_type: int, data: bytes) -> bytes:
    return struct.pack(">H", ext_type) + vec(data, 2)


def client_hello(
    sni: str | None = "www.example.com",
    alpn: Iterable[str] = ("h2", "http/1.1"),
    versions: Iterable[int] = (0x0A0A, 0x0304, 0x0303),
    ciphers: Iterable[int] = (0x1A1A, 0x1301, 0x1302, 0xC02B, 0xC02F, 0x009C),
    padding: int = 0,
    session_id: bytes = bytes(32),
) -> bytes:
    """A ClientHello handshake message (type 1 + u24 length + body), RFC 8446 §4.1.2."""
    exts = b""
    if sni is not None:
        exts += ext(0, vec(b"\x00" + vec(sni.encode(), 2), 2))
    exts += ext(10, vec(struct.pack(">3H", 0x001D, 0x0017, 0x0018), 2))
    exts += ext(11, vec(b"\x00", 1))
    exts += ext(13, vec(struct.pack(">3H", 0x0403, 0x0804, 0x0401), 2))
    alpn = list(alpn)
    if alpn:
        exts += ext(16, vec(b"".join(vec(p.encode(), 1) for p in alpn), 2))
    versions = list(versions)
    if versions:
        exts += ext(43, vec(b"".join(struct.pack(">H", v) for v in versions), 1))
    exts += ext(0x4469, b"\x00\x03\x02h2")  # an unknown extension: kept raw
    if padding:
        exts += ext(21, b"\x00" * padding)
    body = (
        b"\x03\x03"
        + bytes(range(32))
        + vec(session_id, 1)
        + vec(b"".join(struct.pack(">H", c) for c in ciphers), 2)
        + vec(b"\x00", 1)
        + vec(exts, 2)
    )
    return b"\x01" + vec(body, 3)


def server_hello(
    cipher: int = 0x1301, selected: int | None = 0x0304, alpn: str | None = None,
    key_share: int | None = None, session_id: bytes = bytes(32), psk: int | None = None,
) -> bytes:
    """A ServerHello handshake message, RFC 8446 §4.1.3 (``key_share``: the group of its
    KeyShareEntry, §4.2.8; ``psk``: the selected identity of a pre_shared_key, §4.2.11)."""
    exts = b""
    if psk is not None:
        exts += ext(41, struct.pack(">H", psk))
    if selected is not None:
        exts += ext(43, struct.pack(">H", selected))
    if key_share is not None:
        exts += ext(51, struct.pack(">H", key_share) + vec(b"k" * 32, 2))
    if alpn is not None:
        exts += ext(16, vec(vec(alpn.encode(), 1), 2))
    body = (b"\x03\x03" + bytes(32) + vec(session_id, 1) + struct.pack(">HB", cipher, 0)
            + vec(exts, 2))
    return b"\x02" + vec(body, 3)


def record(content_type: int, payload: bytes, version: int = 0x0303) -> bytes:
    """A TLS record (RFC 8446 §5.1)."""
    return struct.pack(">BHH", content_type, version, len(payload)) + payload


def records(content_type: int, payload: bytes, size: int) -> bytes:
    """``payload`` fragmented over records of at most ``size`` bytes."""
    return b"".join(
        record(content_type, payload[i : i + size]) for i in range(0, len(payload), size)
    )


def tls_conversation(tls13: bool = True) -> list[tuple[bool, bytes]]:
    """Client and server flights of a TLS handshake as (from_orig, bytes) chunks."""
    client = record(22, client_hello(), version=0x0301)
    if tls13:
        server = record(22, server_hello()) + record(20, b"\x01") + record(23, b"\x17" * 40)
    else:
        server = (
            record(22, server_hello(cipher=0xC02F, selected=None, alpn="h2"))
            + record(22, b"\x0b" + vec(b"\x00" * 300, 3))  # a Certificate, skipped
            + record(22, b"\x0e\x00\x00\x00")  # ServerHelloDone
        )
    return [(True, client), (False, server), (True, record(20, b"\x01") + record(23, b"x" * 30))]


# -- feeding ----------------------------------------------------------------------------------


def feed_all(
    cls: type[Dissector], chunks: Sequence[tuple[bool, bytes]], proto: int, step: int = 0
) -> list[Event]:
    """Feed ``chunks`` to a new dissector (``step`` > 0: in pieces of ``step`` bytes) and
    finish it; returns every event."""
    dissector = cls(proto)
    events: list[Event] = []
    for from_orig, data in chunks:
        if step <= 0:
            events += dissector.feed(data, from_orig, 1000)
        else:
            for i in range(0, len(data), step):
                events += dissector.feed(data[i : i + step], from_orig, 1000)
    return events + dissector.finish()


def feed_snapped(dissector: Dissector, chunks: Sequence[tuple[bool, bytes]],
                 cut: int) -> list[Event]:
    """Feed ``chunks`` as a capture with a snap length of ``cut`` payload bytes shows them
    (each chunk's first ``cut`` bytes, then a hole for the rest) and finish; every event."""
    events: list[Event] = []
    for from_orig, data in chunks:
        events += dissector.feed(data[:cut], from_orig, 1000)
        if len(data) > cut:
            events += dissector.gap(from_orig, len(data) - cut)
    return events + dissector.finish()


# -- TLS certificates (RFC 5246 §7.4.2) -------------------------------------------------------


_EC_KEYS: dict[str, object] = {}
_DERS: dict[tuple[object, ...], bytes] = {}


def _ec_key(name: str) -> object:
    """One P-256 key per subject name, generated once per test run."""
    from cryptography.hazmat.primitives.asymmetric import ec

    if name not in _EC_KEYS:
        _EC_KEYS[name] = ec.generate_private_key(ec.SECP256R1())
    return _EC_KEYS[name]


def x509_der(
    cn: str,
    issuer_cn: str | None = None,
    sans: tuple[str, ...] = (),
    ips: tuple[str, ...] = (),
    not_before: int = 1_600_000_000,
    not_after: int = 1_900_000_000,
    serial: int = 0x1234ABCD,
    ca: bool = False,
) -> bytes:
    """A DER certificate for ``cn`` signed by ``issuer_cn``'s key (itself when None); the same
    arguments give the same bytes within a run (ECDSA signatures are randomised)."""
    args = (cn, issuer_cn, sans, ips, not_before, not_after, serial, ca)
    if args not in _DERS:
        _DERS[args] = _x509_der(*args)
    return _DERS[args]


def _x509_der(
    cn: str, issuer_cn: str | None, sans: tuple[str, ...], ips: tuple[str, ...],
    not_before: int, not_after: int, serial: int, ca: bool,
) -> bytes:
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.x509.oid import NameOID

    key = _ec_key(cn)
    signer = _ec_key(issuer_cn or cn)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Test Org"),
                                 x509.NameAttribute(NameOID.COMMON_NAME, cn)]))
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Test Org"),
                                x509.NameAttribute(NameOID.COMMON_NAME, issuer_cn or cn)]))
        .public_key(key.public_key())  # type: ignore[attr-defined]
        .serial_number(serial)
        .not_valid_before(datetime.datetime.fromtimestamp(not_before, datetime.UTC))
        .not_valid_after(datetime.datetime.fromtimestamp(not_after, datetime.UTC))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    names: list[x509.GeneralName] = [x509.DNSName(n) for n in sans]
    names += [x509.IPAddress(ipaddress.ip_address(a)) for a in ips]
    if names:
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    cert = builder.sign(signer, hashes.SHA256())  # type: ignore[arg-type]
    return cert.public_bytes(serialization.Encoding.DER)


def certificate_msg(ders: Sequence[bytes]) -> bytes:
    """A TLS <= 1.2 Certificate handshake message (type 11), RFC 5246 §7.4.2."""
    return b"\x0b" + vec(vec(b"".join(vec(d, 3) for d in ders), 3), 3)


SERVER_HELLO_DONE = b"\x0e\x00\x00\x00"
CERTIFICATE_REQUEST = b"\x0d" + vec(b"\x01\x01" + vec(b"\x04\x01", 2) + vec(b"", 2), 3)
CLIENT_KEY_EXCHANGE = b"\x10" + vec(vec(b"\x04" + b"\x11" * 64, 1), 3)


def sample_chain() -> list[bytes]:
    """Leaf (www.example.com, SANs, an IP) signed by a CA certificate, then the CA."""
    leaf = x509_der("www.example.com", "Test CA", sans=("www.example.com", "example.com"),
                    ips=("192.0.2.7",))
    return [leaf, x509_der("Test CA", ca=True)]


def tls12_cert_conversation(
    ders: Sequence[bytes] | None = None, client_ders: Sequence[bytes] | None = None,
    record_size: int = 0, sni: str | None = "www.example.com",
) -> list[tuple[bool, bytes]]:
    """A TLS 1.2 handshake with the server's chain (``ders``) and, when ``client_ders`` is
    given, a CertificateRequest answered by the client's chain. ``record_size`` > 0 spreads
    the server's flight over records of that size (messages spanning records); 0 puts the
    whole flight in one record (several messages per record)."""
    chain = sample_chain() if ders is None else list(ders)
    flight = server_hello(cipher=0xC02F, selected=None) + certificate_msg(chain)
    if client_ders is not None:
        flight += CERTIFICATE_REQUEST
    flight += SERVER_HELLO_DONE
    server = records(22, flight, record_size) if record_size else record(22, flight)
    client = record(22, client_hello(sni=sni), version=0x0301)
    out = [(True, client), (False, server)]
    second = b""
    if client_ders is not None:
        second += record(22, certificate_msg(client_ders))
    second += record(22, CLIENT_KEY_EXCHANGE) + record(20, b"\x01") + record(22, b"\x99" * 40)
    out.append((True, second))
    out.append((False, record(20, b"\x01") + record(22, b"\x98" * 40)))
    return out


def mutate(data: bytes, edits: Sequence[tuple[int, int, int]]) -> bytes:
    """Apply (kind, position, value) edits for fuzzing: 0 overwrite a byte, 1 insert 1-4
    bytes, 2 delete 1-8 bytes, 3 truncate (positions taken modulo the current length)."""
    buf = bytearray(data)
    for kind, pos, value in edits:
        if not buf:
            break
        pos %= len(buf)
        if kind == 0:
            buf[pos] = value
        elif kind == 1:
            buf[pos:pos] = bytes([value]) * (1 + value % 4)
        elif kind == 2:
            del buf[pos : pos + 1 + value % 8]
        else:
            del buf[pos:]
    return bytes(buf)


OTHER_FIRST_PAYLOADS = [  # other protocols' first payloads, for strictness tests
    b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + bytes(32),  # TLS ClientHello
    b"GET / HTTP/1.1\r\nHost: example.com\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
    b"SSH-2.0-OpenSSH_9.6\r\n",
    b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x07example\x03com\x00\x00\x01\x00\x01",  # DNS
    b"220 mail.example.com ESMTP\r\n",
    b"M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\n\r\n",  # SSDP
    b"\x30\x84\x00\x00\x00\x10\x02\x01\x01\x60\x84\x00\x00\x00\x07\x02\x01\x03",  # LDAP bind
    b"\xe3\x00\x06\xe9" + bytes(44),  # NTP
]



# -- NTLMSSP (MS-NLMP §2.2.1) -------------------------------------------------------------

NTLM_NEGOTIATE = b"NTLMSSP\x00\x01\x00\x00\x00" + bytes(24)
"""A NEGOTIATE_MESSAGE (flags and empty domain and workstation fields)."""


def ntlm_sasl_legs(user: str, go_ahead: bytes) -> list[tuple[bool, bytes]]:
    """The three legs of a mail protocol's AUTH NTLM after the server's first go-ahead: the
    client's NEGOTIATE, the server's CHALLENGE after ``go_ahead`` (``+ `` or ``334 ``),
    the client's AUTHENTICATE naming CORP\\``user`` on PC1; each base64 on its line."""
    return [(True, base64.b64encode(NTLM_NEGOTIATE) + b"\r\n"),
            (False, go_ahead + base64.b64encode(ntlm_challenge([(1, "MX1")])) + b"\r\n"),
            (True, base64.b64encode(ntlm_authenticate(user, "CORP", "PC1")) + b"\r\n")]


def ntlm_authenticate(user: str, domain: str, host: str, unicode: bool = True) -> bytes:
    """An AUTHENTICATE_MESSAGE with these names (empty responses and session key)."""
    enc = (lambda t: t.encode("utf-16-le")) if unicode else (lambda t: t.encode("latin-1"))
    fields = [enc(domain), enc(user), enc(host)]
    offset = 64 + 8
    head = b"NTLMSSP\x00" + struct.pack("<I", 3) + struct.pack("<HHI", 0, 0, offset) * 2
    payload = b""
    for raw in fields:
        head += struct.pack("<HHI", len(raw), len(raw), offset + len(payload))
        payload += raw
    head += struct.pack("<HHI", 0, 0, offset) + struct.pack("<I", 0x1 if unicode else 0x2)
    return head + b"\x00" * (offset - len(head)) + payload


def ntlm_challenge(pairs: Sequence[tuple[int, str]], eol: bool = True) -> bytes:
    """A CHALLENGE_MESSAGE whose target information holds these AV_PAIRs (id, text)."""
    info = b"".join(struct.pack("<HH", i, 2 * len(t)) + t.encode("utf-16-le") for i, t in pairs)
    info += struct.pack("<HH", 0, 0) if eol else b""
    offset = 56
    head = (b"NTLMSSP\x00" + struct.pack("<I", 2) + struct.pack("<HHI", 0, 0, offset)
            + struct.pack("<I", 0x00828215) + bytes(8) + bytes(8)
            + struct.pack("<HHI", len(info), len(info), offset) + bytes(8))
    return head + info


def problems(events: Iterable[Event]) -> list[type]:
    """The classes of the errors the :class:`~wirelens.dissect.base.Problem` events among
    ``events`` carry (damage a dissector reports and reads past or stops at)."""
    return [type(e.error) for e in events if isinstance(e, Problem)]


def exceptions_left_in_cycles(run: Callable[[], object]) -> list[BaseException]:
    """The exceptions that ``run()`` left in reference cycles (only the cyclic collector would
    free them, with every frame their tracebacks hold: a run's collector seldom runs). Not
    numba's: a kernel compiled during the run (a cold cache) leaves its typing errors so."""
    gc.collect()
    was = gc.isenabled()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        run()
        gc.collect()
        # (by type: a dead weak proxy among the garbage, as compiling a kernel leaves, raises
        # ReferenceError when isinstance asks its __class__)
        return [o for o in gc.garbage if issubclass(type(o), BaseException)
                and not type(o).__module__.startswith("numba")]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        if was:
            gc.enable()
