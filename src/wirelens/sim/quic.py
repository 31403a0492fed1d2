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

The keys and the protection are :mod:`wirelens.wire.quic_crypto`'s, the module the QUIC
dissector removes the protection with; tshark, which derives them on its own, checks the
packets (``tests/unit/sim``).
"""

from __future__ import annotations

import random
import struct

from wirelens.wire.buffer import encode_varint
from wirelens.wire.quic_crypto import SALT_V1, InitialKeys, protect
from wirelens.wire.quic_crypto import initial_keys as _keys

VERSION_1 = 0x00000001
CLIENT_DATAGRAM = 1250
"""Size Chromium pads the datagrams carrying its Initial packets to (RFC 9000 §14.1 asks at
least 1200)."""
MAX_DATAGRAM = 1252
"""Largest datagram either side sends (a 1,280-byte IPv6 path MTU less the headers)."""
PN_LEN = 2
"""Packet number length used in the long headers."""

FRAME_ACK, FRAME_CRYPTO = 0x02, 0x06
"""Frame types (RFC 9000 §19); PADDING frames are zero bytes."""


def initial_keys(dcid: bytes, server: bool) -> InitialKeys:
    """One side's QUIC v1 Initial keys (RFC 9001 §5.2) for the client's first ``dcid``."""
    return _keys(SALT_V1, dcid, server)


def crypto_frame(offset: int, data: bytes) -> bytes:
    """A CRYPTO frame (RFC 9000 §19.6)."""
    return bytes([FRAME_CRYPTO]) + encode_varint(offset) + encode_varint(len(data)) + data


def ack_frame(largest: int) -> bytes:
    """An ACK frame acknowledging packets 0 to ``largest`` (RFC 9000 §19.3)."""
    return bytes([FRAME_ACK]) + encode_varint(largest) + encode_varint(0) + encode_varint(0) + encode_varint(largest)


def initial_packet(keys: InitialKeys, dcid: bytes, scid: bytes, pn: int,
                   frames: bytes, size: int | None = None) -> bytes:
    """A protected Initial packet (RFC 9000 §17.2.2, RFC 9001 §5.3-5.4) holding ``frames``,
    padded with PADDING frames to ``size`` bytes when given."""
    head = (bytes([0xC0 | (PN_LEN - 1)]) + struct.pack("!I", VERSION_1) + bytes([len(dcid)])
            + dcid + bytes([len(scid)]) + scid + encode_varint(0))  # (no token)
    if size is not None:  # header, 2-byte length, packet number, frames, 16-byte tag
        frames += bytes(max(0, size - len(head) - 2 - PN_LEN - len(frames) - 16))
    length = PN_LEN + len(frames) + 16
    header = head + struct.pack("!H", 0x4000 | length) + pn.to_bytes(PN_LEN, "big")
    return protect(header, len(head) + 2, frames, keys, pn)


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
