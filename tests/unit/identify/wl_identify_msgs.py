"""Hand-built messages for the identify tests (RFC layouts written out)."""

from __future__ import annotations

import struct


def vec(data: bytes, size: int) -> bytes:
    """A TLS vector: ``size``-byte length then the data (RFC 8446 §3.4)."""
    return len(data).to_bytes(size, "big") + data


def ext(kind: int, data: bytes) -> bytes:
    return struct.pack(">H", kind) + vec(data, 2)


def client_hello(sni: bytes | None = b"example.com", extra: bytes = b"") -> bytes:
    """A ClientHello handshake message (RFC 8446 §4.1.2) with SNI (RFC 6066 §3), ALPN,
    supported_versions, groups, point formats and signature algorithms."""
    exts = b""
    if sni is not None:
        exts += ext(0, vec(b"\x00" + vec(sni, 2), 2))
    exts += ext(16, vec(vec(b"h2", 1) + vec(b"http/1.1", 1), 2))
    exts += ext(43, vec(b"\x0a\x0a\x03\x04\x03\x03", 1))
    exts += ext(10, vec(b"\x00\x1d\x00\x17", 2))
    exts += ext(11, vec(b"\x00", 1))
    exts += ext(13, vec(b"\x04\x03\x08\x04", 2))
    exts += extra
    body = b"\x03\x03" + bytes(range(32)) + vec(b"\x11" * 32, 1) + vec(b"\x13\x01\xc0\x2f", 2)
    body += vec(b"\x00", 1) + vec(exts, 2)
    return b"\x01" + vec(body, 3)


def server_hello() -> bytes:
    body = b"\x03\x03" + bytes(32) + vec(b"", 1) + b"\x13\x01\x00" + vec(ext(43, b"\x03\x04"), 2)
    return b"\x02" + vec(body, 3)


def record(ctype: int, payload: bytes) -> bytes:
    return bytes([ctype, 3, 1]) + vec(payload, 2)


def dns_name(name: str) -> bytes:
    out = b""
    for label in name.split("."):
        if label:
            raw = label.encode("latin-1")
            out += bytes([len(raw)]) + raw
    return out + b"\x00"


def dns_query(name: str = "www.example.com", tid: int = 0x1234) -> bytes:
    return struct.pack(">HHHHHH", tid, 0x0100, 1, 0, 0, 0) + dns_name(name) + b"\x00\x01\x00\x01"


def dns_response(name: str = "www.example.com") -> bytes:
    """A response with a compressed A answer, a CNAME, an MX, an SOA in authority and TXT."""
    head = struct.pack(">HHHHHH", 0x1234, 0x8180, 1, 3, 1, 1)
    q = dns_name(name) + b"\x00\x01\x00\x01"
    ptr = b"\xc0\x0c"
    rrs = ptr + struct.pack(">HHIH", 1, 1, 60, 4) + bytes([93, 184, 216, 34])
    rrs += ptr + struct.pack(">HHIH", 5, 1, 60, 6) + b"\x03cdn" + ptr
    rrs += ptr + struct.pack(">HHIH", 15, 1, 60, 4) + b"\x00\x0a" + ptr
    soa = ptr + b"\x05admin" + ptr + bytes(20)
    rrs += ptr + struct.pack(">HHIH", 6, 1, 60, len(soa)) + soa
    txt = b"\x05hello\x02hi"
    rrs += ptr + struct.pack(">HHIH", 16, 1, 60, len(txt)) + txt
    return head + q + rrs


HTTP_REQUEST = (
    b"GET /index.html HTTP/1.1\r\nUser-Agent: t\r\nHOST:  WWW.Example.com:8080 \r\n"
    b"Accept: */*\r\n\r\n"
)
HTTP_RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
