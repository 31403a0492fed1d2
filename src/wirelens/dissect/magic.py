"""File types from the first bytes of a body ("magic numbers"), as MIME-style names.

A small, explicit table of signatures published by each format's specification (offset 0
unless said otherwise); the first match wins, longer and stricter signatures first. What a
body *is*, not what its Content-Type header claims (malware is served as ``image/png``).
A body sent gzip- or deflate-encoded (HTTP Content-Encoding) is judged by what its first
bytes decode to (:func:`sniff_body`).
"""

from __future__ import annotations

import zlib

__all__ = ["ENCODED_HEAD_BYTES", "SNIFF_BYTES", "coding_bits", "sniff", "sniff_body"]

SNIFF_BYTES = 64
"""Bytes of a body kept for :func:`sniff` (every signature below lies within them)."""

ENCODED_HEAD_BYTES = 2048
"""Bytes of a gzip- or deflate-encoded body kept for :func:`sniff_body`: a deflate stream
opens with its Huffman tables, so 64 bytes rarely decode to anything."""

_ZLIB_WBITS = {"gzip": 31, "x-gzip": 31, "deflate": 47}
"""``zlib`` window arguments by content coding (RFC 9110 §8.4.1): gzip's header (31); for
"deflate", zlib's (RFC 1950) or gzip's, auto-detected (47); a raw deflate stream, which
some servers send as "deflate", is tried when that fails."""


def coding_bits(content_encoding: str | None) -> int | None:
    """The zlib window argument of a Content-Encoding value :func:`sniff_body` decodes (None:
    not gzip or deflate)."""
    return _ZLIB_WBITS.get(content_encoding.strip().lower()) if content_encoding else None


def sniff_body(head: bytes, wbits: int | None) -> str | None:
    """The file type of a body starting with ``head``, encoded with the content coding of
    ``wbits`` (:func:`coding_bits`; None: not encoded): that of what ``head`` decodes to when
    it decodes, else of ``head`` itself (``application/gzip``, or unknown)."""
    if wbits is not None:
        for bits in (wbits, -15) if wbits == 47 else (wbits,):
            try:
                decoded = zlib.decompressobj(bits).decompress(head, SNIFF_BYTES)
            except zlib.error:
                continue
            if decoded:
                return sniff(decoded)
            break
    return sniff(head)

_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),  # PNG specification §5.2
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "application/x-ole-storage"),  # MS-CFB §2.2 (old Office)
    (b"\xfd7zXZ\x00", "application/x-xz"),  # .xz format §2.1.1.1
    (b"7z\xbc\xaf\x27\x1c", "application/x-7z-compressed"),
    (b"Rar!\x1a\x07", "application/x-rar"),
    (b"\x7fELF", "application/x-executable"),  # ELF e_ident
    (b"\xca\xfe\xba\xbe", "application/x-java-applet"),  # JVM class file (also Mach-O fat)
    (b"\xcf\xfa\xed\xfe", "application/x-mach-binary"),  # Mach-O 64-bit, little-endian
    (b"\xce\xfa\xed\xfe", "application/x-mach-binary"),  # Mach-O 32-bit, little-endian
    (b"\x00asm", "application/wasm"),  # WebAssembly binary §5.5.16
    (b"%PDF-", "application/pdf"),  # ISO 32000 §7.5.2
    (b"PK\x03\x04", "application/zip"),  # APPNOTE.TXT §4.3.7 (also docx/xlsx/jar/apk)
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"\x1f\x8b\x08", "application/gzip"),  # RFC 1952 §2.3.1 (deflate)
    (b"BZh", "application/x-bzip2"),
    (b"\xff\xd8\xff", "image/jpeg"),  # JPEG SOI + a marker
    (b"OggS", "application/ogg"),  # RFC 3533 §6
    (b"fLaC", "audio/flac"),
    (b"ID3", "audio/mpeg"),  # MP3 with an ID3v2 tag
    (b"FWS", "application/x-shockwave-flash"),
    (b"CWS", "application/x-shockwave-flash"),
    (b"MZ", "application/x-dosexec"),  # DOS/PE executable header
)

_BY_FIRST_BYTE: dict[int, tuple[tuple[bytes, str], ...]] = {
    first: tuple(sig for sig in _SIGNATURES if sig[0][0] == first)
    for first in {magic[0] for magic, _ in _SIGNATURES}
}
"""The entries of :data:`_SIGNATURES` by their first byte, in table order: only those can
match a head starting with that byte."""

_TEXT_STARTS: tuple[tuple[bytes, str], ...] = (
    (b"<!doctype html", "text/html"),
    (b"<html", "text/html"),
    (b"<head", "text/html"),
    (b"<?xml", "text/xml"),
    (b"<svg", "image/svg+xml"),
    (b"%!ps", "application/postscript"),
)
"""Text formats, matched case-insensitively after leading white space."""


def sniff(head: bytes) -> str | None:
    """The file type of a body starting with ``head`` (at least its first
    :data:`SNIFF_BYTES` bytes when the body is that long), or None when unknown."""
    if not head:
        return None
    for magic, name in _BY_FIRST_BYTE.get(head[0], ()):
        if head.startswith(magic):
            return name
    if head[4:8] == b"ftyp":  # ISO base media file format (MP4, MOV): a box of type ftyp
        return "video/mp4"
    if head.startswith(b"RIFF") and head[8:12] in (b"WEBP", b"WAVE", b"AVI "):
        return {b"WEBP": "image/webp", b"WAVE": "audio/wav", b"AVI ": "video/x-msvideo"}[head[8:12]]
    text = head.lstrip(b" \t\r\n").lower()
    if text.startswith(b"\xef\xbb\xbf"):  # a UTF-8 byte order mark
        text = text[3:].lstrip(b" \t\r\n")
    for start, name in _TEXT_STARTS:
        if text.startswith(start):
            return name
    return None
