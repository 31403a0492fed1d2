"""File types from a body's first bytes (wirelens.dissect.magic) and in the http table."""

from __future__ import annotations

import pytest
from wl_dissect_builders import feed_all

from wirelens.dissect.http import HttpDissector
from wirelens.dissect.magic import sniff

TCP = 6


@pytest.mark.parametrize("head,expected", [
    (b"MZ\x90\x00\x03\x00\x00\x00", "application/x-dosexec"),
    (b"\x7fELF\x02\x01\x01", "application/x-executable"),
    (b"%PDF-1.7\n", "application/pdf"),
    (b"PK\x03\x04\x14\x00", "application/zip"),
    (b"\x89PNG\r\n\x1a\n\x00\x00", "image/png"),
    (b"\xff\xd8\xff\xe0\x00\x10JFIF", "image/jpeg"),
    (b"GIF89a\x01\x00", "image/gif"),
    (b"\x1f\x8b\x08\x00", "application/gzip"),
    (b"\x00\x00\x00\x18ftypmp42", "video/mp4"),
    (b"RIFF\x24\x00\x00\x00WEBPVP8 ", "image/webp"),
    (b"\n  <!DOCTYPE html><html>", "text/html"),
    (b"\xef\xbb\xbf<?xml version='1.0'?>", "text/xml"),
    (b"{\"json\": true}", None),
    (b"", None),
    (b"M", None),
])
def test_sniff(head: bytes, expected: str | None) -> None:
    assert sniff(head) == expected


def test_http_rows_carry_the_sniffed_types() -> None:
    """An executable served as image/png is seen for what it is; chunked bodies are sniffed
    after de-chunking; a body whose first bytes fell in a TCP hole has no type."""
    body = b"MZ" + bytes(62) + b"rest"
    rows = feed_all(HttpDissector, [
        (True, b"GET /a.png HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n"),
        (False, b"HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nContent-Length: %d\r\n\r\n"
         % len(body) + body + b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
         b"3\r\n%PD\r\n3\r\nF-1\r\n0\r\n\r\n"),
    ], TCP, step=7)
    assert [(r.response_content_type, r.response_mime_type) for r in rows] == [  # type: ignore[attr-defined]
        ("image/png", "application/x-dosexec"), (None, "application/pdf")]
    d = HttpDissector(TCP)
    d.feed(b"GET / HTTP/1.1\r\n\r\n", True, 0)
    d.feed(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nMZ", False, 0)
    d.gap(False, 4)
    (row,) = d.feed(b"abcd", False, 0)
    assert row.response_mime_type is None and row.response_body_len == 10  # type: ignore[attr-defined]
