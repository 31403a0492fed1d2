"""QUIC version 1 for the simulator (RFC 9000, RFC 9001): a browser's HTTP/3 connection as a
network observer sees it.

The Initial packets are protected as RFC 9001 §5 says: AEAD_AES_128_GCM with keys derived
from the client's first Destination Connection ID (§5.2, the version 1 salt), and header
protection with AES-ECB over a sample of the ciphertext (§5.4). An observer (wirelens,
Wireshark) can remove that protection and read the CRYPTO frames: the client's ClientHello,
which Chromium's post-quantum key share makes larger than one Initial (it spans two), and the
server's ServerHello. Everything later (Handshake and 1-RTT packets) is protected with keys
from the key exchange, which an observer cannot derive: those packets are random bytes of
the right shape and size.

The key derivation and packet protection are written here, not taken from the QUIC
dissector (``wirelens.dissect.quic_crypto``, which removes them): the simulator and the
dissectors are sibling layers that do not import each other, and what one writes is checked
by the other and by tshark.
"""

from __future__ import annotations

import random
import struct

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.hmac import HMAC
from cryptography.hazmat.primitives.kdf.hkdf import HKDFExpand

from wirelens.wire.buffer import encode_varint

VERSION_1 = 0x00000001
INITIAL_SALT_V1 = bytes.fromhex("38762cf7f55934b34d179ae6a4c80cadccbb7f0a")
"""RFC 9001 §5.2."""
CLIENT_DATAGRAM = 1250
"""Size Chromium pads the datagrams carrying its Initial packets to (RFC 9000 §14.1 asks at
least 1200)."""
MAX_DATAGRAM = 1252
"""Largest datagram either side sends (a 1,280-byte IPv6 path MTU less the headers)."""
PN_LEN = 2
"""Packet number length used in the long headers."""

FRAME_ACK, FRAME_CRYPTO = 0x02, 0x06
"""Frame types (RFC 9000 §19); PADDING frames are zero bytes."""


def _expand_label(secret: bytes, label: bytes, length: int) -> bytes:
    """HKDF-Expand-Label with an empty context (RFC 8446 §7.1)."""
    full = b"tls13 " + label
    info = struct.pack("!H", length) + bytes([len(full)]) + full + b"\x00"
    return HKDFExpand(SHA256(), length, info).derive(secret)


def initial_keys(dcid: bytes, server: bool) -> tuple[bytes, bytes, bytes]:
    """(key, iv, header protection key) of one side's Initial packets (RFC 9001 §5.2)."""
    extract = HMAC(INITIAL_SALT_V1, SHA256())  # HKDF-Extract(salt, dcid)
    extract.update(dcid)
    secret = _expand_label(extract.finalize(), b"server in" if server else b"client in", 32)
    return (_expand_label(secret, b"quic key", 16), _expand_label(secret, b"quic iv", 12),
            _expand_label(secret, b"quic hp", 16))


def crypto_frame(offset: int, data: bytes) -> bytes:
    """A CRYPTO frame (RFC 9000 §19.6)."""
    return bytes([FRAME_CRYPTO]) + encode_varint(offset) + encode_varint(len(data)) + data


def ack_frame(largest: int) -> bytes:
    """An ACK frame acknowledging packets 0 to ``largest`` (RFC 9000 §19.3)."""
    return bytes([FRAME_ACK]) + encode_varint(largest) + encode_varint(0) + encode_varint(0) + encode_varint(largest)


def initial_packet(keys: tuple[bytes, bytes, bytes], dcid: bytes, scid: bytes, pn: int,
                   frames: bytes, size: int | None = None) -> bytes:
    """A protected Initial packet (RFC 9000 §17.2.2, RFC 9001 §5.3-5.4) holding ``frames``,
    padded with PADDING frames to ``size`` bytes when given."""
    key, iv, hp = keys
    head = (bytes([0xC0 | (PN_LEN - 1)]) + struct.pack("!I", VERSION_1) + bytes([len(dcid)])
            + dcid + bytes([len(scid)]) + scid + encode_varint(0))  # (no token)
    if size is not None:  # header, 2-byte length, packet number, frames, 16-byte tag
        frames += bytes(max(0, size - len(head) - 2 - PN_LEN - len(frames) - 16))
    length = PN_LEN + len(frames) + 16
    header = head + struct.pack("!H", 0x4000 | length) + pn.to_bytes(PN_LEN, "big")
    nonce = (int.from_bytes(iv, "big") ^ pn).to_bytes(12, "big")
    sealed = AESGCM(key).encrypt(nonce, frames, header)
    sample = sealed[4 - PN_LEN: 4 - PN_LEN + 16]  # (the sample starts 4 bytes after the pn's)
    encryptor = Cipher(algorithms.AES(hp), modes.ECB()).encryptor()
    mask = encryptor.update(sample) + encryptor.finalize()
    out = bytearray(header)
    out[0] ^= mask[0] & 0x0F
    for k in range(PN_LEN):
        out[len(header) - PN_LEN + k] ^= mask[1 + k]
    return bytes(out) + sealed


def handshake_packet(rng: random.Random, dcid: bytes, scid: bytes, size: int) -> bytes:
    """A Handshake packet (RFC 9000 §17.2.4) of ``size`` bytes whose protected part (packet
    number, frames, tag) an observer cannot read: random bytes."""
    head = (bytes([0xE0 | rng.randrange(16)]) + struct.pack("!I", VERSION_1)
            + bytes([len(dcid)]) + dcid + bytes([len(scid)]) + scid)
    rest = max(20, size - len(head) - 2)
    return head + struct.pack("!H", 0x4000 | rest) + rng.randbytes(rest)


def short_packet(rng: random.Random, dcid: bytes, size: int) -> bytes:
    """A 1-RTT packet (RFC 9000 §17.3.1) of ``size`` bytes: the fixed bit, the destination
    connection id, and random protected bytes."""
    return bytes([0x40 | rng.randrange(0x40)]) + dcid + rng.randbytes(max(20, size - 1 - len(dcid)))


def transport_parameters(scid: bytes, rng: random.Random) -> bytes:
    """A browser's transport parameters (RFC 9000 §18.2), with a GREASE one (§18.1)."""
    params = [(0x01, encode_varint(30_000)), (0x03, encode_varint(1472)), (0x04, encode_varint(15_728_640)),
              (0x05, encode_varint(6_291_456)), (0x06, encode_varint(6_291_456)), (0x07, encode_varint(6_291_456)),
              (0x08, encode_varint(100)), (0x09, encode_varint(103)), (0x0F, scid),
              (31 * rng.randrange(1, 1 << 20) + 27, rng.randbytes(rng.randrange(1, 16)))]
    rng.shuffle(params)
    return b"".join(encode_varint(k) + encode_varint(len(v)) + v for k, v in params)
