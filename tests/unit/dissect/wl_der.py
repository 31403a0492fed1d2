"""BER/DER element builders for the tests of ASN.1 protocols (Kerberos, LDAP, SNMP)."""

from __future__ import annotations


def tlv(tag: int, body: bytes) -> bytes:
    """One element with a definite length (short or long form, X.690 §8.1.3)."""
    n = len(body)
    if n < 0x80:
        return bytes([tag, n]) + body
    size = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(size)]) + size + body


def integer(v: int, tag: int = 0x02) -> bytes:
    """An INTEGER (two's complement, minimal octets; X.690 §8.3)."""
    return tlv(tag, v.to_bytes(max(1, (v.bit_length() + 8) // 8), "big", signed=True))
