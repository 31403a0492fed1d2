"""QUIC Initial packet protection (RFC 9001 §5, RFC 9369 §3.3 for QUIC v2).

Initial packets are encrypted with keys every observer can derive: they come from the
Destination Connection ID of the client's first Initial packet and a per-version salt
(RFC 9001 §5.2). This module derives them, removes the protection (the QUIC dissector) and
applies it (:func:`protect`: the simulator's Initial packets, test packets):

- ``initial_secret = HKDF-Extract(salt, client_dcid)``; the client and server secrets are
  ``HKDF-Expand-Label(initial_secret, "client in" / "server in", "", 32)`` (RFC 9001 §5.2,
  HKDF-Expand-Label from RFC 8446 §7.1, SHA-256);
- ``key``/``iv``/``hp`` are ``HKDF-Expand-Label(secret, "quic key" / "quic iv" /
  "quic hp")`` (RFC 9001 §5.1); QUIC v2 uses ``"quicv2 key"`` etc. (RFC 9369 §3.3.2);
- header protection (RFC 9001 §5.4): a 16-byte sample of the ciphertext, taken 4 bytes after
  the start of the packet number field, is AES-128-ECB encrypted with ``hp``; the mask's
  first byte unmasks the low 4 bits of a long header's first byte, the next ones the
  packet number bytes;
- payload protection (RFC 9001 §5.3): AEAD_AES_128_GCM, nonce = ``iv`` XOR the packet
  number (left-padded to 12 bytes), associated data = the unprotected header.

Salts are facts: RFC 9001 §5.2 (v1; draft-33 and draft-34 use it too),
draft-ietf-quic-tls-29 §5.2 (drafts 29-32), draft-ietf-quic-tls-27 §5.2 (drafts 23-28),
RFC 9369 §3.3.1 (v2), and Google's QUIC versions Q050, T050, T051 (the constants of the
Chromium QUIC implementation, ``crypto_utils.cc``; they derive keys like RFC 9001). Every
salt here is also checked against real captures by the tests: an AEAD tag that verifies
is proof the salt is right.
"""

from __future__ import annotations

import hashlib
import hmac
import struct
from dataclasses import dataclass, field
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, CipherContext, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from wirelens.wire.errors import BadValue, Truncated

__all__ = [
    "SALT_DRAFT_23",
    "SALT_DRAFT_29",
    "SALT_Q050",
    "SALT_T050",
    "SALT_T051",
    "SALT_V1",
    "SALT_V2",
    "InitialKeys",
    "Unprotected",
    "hkdf_expand_label",
    "hkdf_extract",
    "initial_keys",
    "protect",
    "unprotect",
]

SALT_V1 = bytes.fromhex("38762cf7f55934b34d179ae6a4c80cadccbb7f0a")
"""QUIC v1 initial salt (RFC 9001 §5.2); also drafts 33 and 34."""
SALT_DRAFT_29 = bytes.fromhex("afbfec289993d24c9e9786f19c6111e04390a899")
"""Initial salt of draft-ietf-quic-tls-29 §5.2 (drafts 29 to 32)."""
SALT_DRAFT_23 = bytes.fromhex("c3eef712c72ebb5a11a7d2432bb46365bef9f502")
"""Initial salt of draft-ietf-quic-tls-23 to -28 §5.2."""
SALT_V2 = bytes.fromhex("0dede3def700a6db819381be6e269dcbf9bd2ed9")
"""QUIC v2 initial salt (RFC 9369 §3.3.1)."""
SALT_Q050 = bytes.fromhex("504574efd066fe2f9d945cfcdbd3a7f0d3b56b45")
"""Google QUIC Q050 initial salt (Chromium ``kQ050Salt``)."""
SALT_T050 = bytes.fromhex("7ff579e5acd072915580304c43a2367c60488310")
"""Google QUIC T050 initial salt (Chromium ``kT050Salt``)."""
SALT_T051 = bytes.fromhex("7a4edef4e7ccee5fa4506c19124fc8ccda6e033d")
"""Google QUIC T051 initial salt (Chromium ``kT051Salt``)."""

_SAMPLE_OFFSET = 4
"""The header protection sample starts 4 bytes after the packet number field's start,
as if the packet number were 4 bytes long (RFC 9001 §5.4.2)."""
SAMPLE_LEN = 16
"""Bytes of ciphertext sampled for header protection with AES (RFC 9001 §5.4.3)."""
TAG_LEN = 16
"""AEAD_AES_128_GCM authentication tag length (RFC 5116 §5.1)."""
INITIAL_KEYS_CACHE = 1024
"""Key sets kept by :func:`initial_keys` (a pure function of salt, DCID and side): a
capture often holds many flows of the same connection ids (retransmissions from new ports,
replayed traffic), and the derivation costs ten HMACs and two cipher set-ups."""


def hkdf_extract(salt: bytes, ikm: bytes) -> bytes:
    """HKDF-Extract with SHA-256 (RFC 5869 §2.2)."""
    return hmac.new(salt, ikm, hashlib.sha256).digest()


def hkdf_expand_label(secret: bytes, label: bytes, length: int, context: bytes = b"") -> bytes:
    """HKDF-Expand-Label with SHA-256 (RFC 8446 §7.1): the label is prefixed ``tls13 ``.

    ``length`` is at most 32 here (one HMAC block is enough; RFC 5869 §2.3 in general).
    """
    full = b"tls13 " + label
    info = struct.pack(">H", length) + bytes([len(full)]) + full + bytes([len(context)]) + context
    out = b""
    block = b""
    counter = 1
    while len(out) < length:
        block = hmac.new(secret, block + info + bytes([counter]), hashlib.sha256).digest()
        out += block
        counter += 1
    return out[:length]


@dataclass(frozen=True, slots=True)
class InitialKeys:
    """Packet protection keys of one direction at the Initial level (RFC 9001 §5.1)."""

    secret: bytes
    """The direction's initial secret (32 bytes)."""
    key: bytes
    """AEAD key (16 bytes, AES-128-GCM)."""
    iv: bytes
    """AEAD IV (12 bytes)."""
    hp: bytes
    """Header protection key (16 bytes, AES-128-ECB)."""
    aead: AESGCM = field(init=False, repr=False, compare=False)
    """AEAD_AES_128_GCM with :attr:`key`, set up once for every packet of these keys."""
    hp_ecb: CipherContext = field(init=False, repr=False, compare=False)
    """AES-128-ECB encryptor with :attr:`hp`. ECB has no state between 16-byte blocks, so
    one context serves every header protection sample (``update`` only, never finalized)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "aead", AESGCM(self.key))
        object.__setattr__(self, "hp_ecb", Cipher(algorithms.AES(self.hp), modes.ECB()).encryptor())


@lru_cache(maxsize=INITIAL_KEYS_CACHE)
def initial_keys(salt: bytes, client_dcid: bytes, server: bool, v2: bool = False) -> InitialKeys:
    """The Initial keys of the client (``server=False``) or server side (RFC 9001 §5.2);
    the last :data:`INITIAL_KEYS_CACHE` key sets are remembered."""
    initial_secret = hkdf_extract(salt, client_dcid)
    secret = hkdf_expand_label(initial_secret, b"server in" if server else b"client in", 32)
    prefix = b"quicv2 " if v2 else b"quic "  # RFC 9369 §3.3.2
    return InitialKeys(
        secret=secret,
        key=hkdf_expand_label(secret, prefix + b"key", 16),
        iv=hkdf_expand_label(secret, prefix + b"iv", 12),
        hp=hkdf_expand_label(secret, prefix + b"hp", 16),
    )


def _mask(keys: InitialKeys, sample: bytes) -> bytes:
    """AES-ECB header protection mask (RFC 9001 §5.4.3) of one 16-byte sample."""
    return keys.hp_ecb.update(sample)


def _nonce(iv: bytes, pn: int) -> bytes:
    """AEAD nonce: the IV XOR the packet number, left-padded (RFC 9001 §5.3)."""
    return (int.from_bytes(iv, "big") ^ pn).to_bytes(12, "big")


def decode_packet_number(truncated: int, pn_len: int, largest: int) -> int:
    """The full packet number from its truncated encoding (RFC 9000 Appendix A.3).

    ``largest`` is the largest packet number received so far in this space (-1 if none).
    """
    expected = largest + 1
    win = 1 << (pn_len * 8)
    hwin = win // 2
    mask = win - 1
    candidate = (expected & ~mask) | truncated
    if candidate <= expected - hwin and candidate < (1 << 62) - win:
        return candidate + win
    if candidate > expected + hwin and candidate >= win:
        return candidate - win
    return candidate


@dataclass(frozen=True, slots=True)
class Unprotected:
    """A long header packet with its protection removed."""

    header: bytes
    """The unprotected header, up to and including the packet number."""
    packet_number: int
    """The full packet number."""
    payload: bytes
    """The decrypted payload (frames), without the AEAD tag."""


def unprotect(packet: bytes, pn_offset: int, keys: InitialKeys, largest_pn: int = -1) -> Unprotected:
    """Remove header and payload protection of one long header packet (RFC 9001 §5.3-5.4).

    ``packet`` is exactly the packet (first byte to the end of its Length field's span);
    ``pn_offset`` the offset of the packet number field. Raises :class:`Truncated` when the
    packet is too short to hold a sample and a tag, :class:`BadValue` when the AEAD tag does
    not verify (wrong keys or damaged bytes).
    """
    sample_at = pn_offset + _SAMPLE_OFFSET
    if sample_at + SAMPLE_LEN > len(packet):
        raise Truncated("packet too short for the header protection sample", pn_offset)
    mask = _mask(keys, packet[sample_at : sample_at + SAMPLE_LEN])
    first = packet[0] ^ (mask[0] & 0x0F)  # long header: 4 bits protected (RFC 9001 §5.4.1)
    pn_len = (first & 0x03) + 1
    pn_end = pn_offset + pn_len
    if pn_end + TAG_LEN > len(packet):
        raise Truncated("packet too short for its packet number and tag", pn_offset)
    truncated = int.from_bytes(packet[pn_offset:pn_end], "big") ^ int.from_bytes(mask[1 : 1 + pn_len], "big")
    pn_bytes = truncated.to_bytes(pn_len, "big")
    pn = decode_packet_number(truncated, pn_len, largest_pn)
    header = bytes((first,)) + packet[1:pn_offset] + pn_bytes
    try:
        payload = keys.aead.decrypt(_nonce(keys.iv, pn), packet[pn_end:], header)
    except InvalidTag:
        raise BadValue("Initial packet does not decrypt (AEAD tag mismatch)", pn_offset) from None
    return Unprotected(header=header, packet_number=pn, payload=payload)


def protect(header: bytes, pn_offset: int, payload: bytes, keys: InitialKeys, pn: int) -> bytes:
    """Apply payload then header protection (RFC 9001 §5.3-5.4); the inverse of
    :func:`unprotect` (the simulator's Initial packets, test packets).

    ``header`` is the unprotected header including the packet number encoding (its length
    in the low 2 bits of the first byte); the Length field in it must already count the
    packet number, the payload and the 16-byte tag.
    """
    pn_len = (header[0] & 0x03) + 1
    sealed = keys.aead.encrypt(_nonce(keys.iv, pn), payload, header)
    packet = bytearray(header + sealed)
    sample_at = pn_offset + _SAMPLE_OFFSET
    mask = _mask(keys, bytes(packet[sample_at : sample_at + SAMPLE_LEN]))
    packet[0] ^= mask[0] & 0x0F
    for i in range(pn_len):
        packet[pn_offset + i] ^= mask[1 + i]
    return bytes(packet)
