"""The cheap tests some content tests run first (for speed) refuse only what the full test
refuses: each precomputed set agrees with the test it shortcuts, on spec-built positives
(``test_dissect_signatures``) with the shortcut byte set to every value."""

from __future__ import annotations

import struct

import pytest
from test_dissect_signatures import POSITIVES, ovpn_client_reset, ovpn_server_reset

from wirelens.dissect.base import Dissector
from wirelens.dissect.signatures import (
    IkeDissector,
    NetbiosNsDissector,
    OpenVpnDissector,
    RedisDissector,
    StunDissector,
)
from wirelens.dissect.signatures_both import _OVPN_RESET_FIRST_BYTES, _ovpn_reset
from wirelens.dissect.signatures_tcp import _REDIS_INLINE, _REDIS_INLINE_STARTS
from wirelens.dissect.signatures_udp import _IKE_VERSIONS

TCP, UDP = 6, 17


def _resets() -> list[bytes]:
    return [ovpn_client_reset(h, op) for h in (0, 16, 20, 32, 48, 64) for op in (1, 7)] + [
        ovpn_server_reset(h) for h in (0, 20, 64)]


def test_openvpn_reset_first_bytes_are_exactly_those_accepted() -> None:
    """A hard reset whose first byte is replaced is accepted only with a byte of the set
    (UDP, and TCP behind the length prefix), and every byte of the set is a reset opcode
    with key id 0."""
    assert all(b & 0x07 == 0 for b in _OVPN_RESET_FIRST_BYTES)
    for reset in _resets():
        assert reset[0] in _OVPN_RESET_FIRST_BYTES and _ovpn_reset(reset)
        for b in range(256):
            udp = bytes((b,)) + reset[1:]
            tcp = struct.pack(">H", len(udp)) + udp
            if b not in _OVPN_RESET_FIRST_BYTES:
                assert not _ovpn_reset(udp), b
                assert not OpenVpnDissector.matches(udp, UDP, True), b
                assert not OpenVpnDissector.matches(tcp, TCP, True), b


def test_redis_inline_starts_cover_every_inline_command() -> None:
    assert all(len(word) >= 3 and word[:3] in _REDIS_INLINE_STARTS for word in _REDIS_INLINE)
    for word in sorted(_REDIS_INLINE):
        assert RedisDissector.matches(word + b" key\r\n", TCP, True), word


@pytest.mark.parametrize(
    ("cls", "offset", "allowed"),
    [
        (IkeDissector, 17, _IKE_VERSIONS),  # version byte (4 more after a non-ESP marker)
        (NetbiosNsDissector, 12, frozenset((0x20,))),  # first name's length byte
    ],
    ids=("ike", "netbios_ns"),
)
def test_shortcut_byte_refuses_only_refused_values(
    cls: type[Dissector], offset: int, allowed: frozenset[int]
) -> None:
    """Every spec-built positive of the class, with the shortcut byte set to each value
    outside ``allowed``, is refused."""
    cases = [data for c, proto, data in POSITIVES if c is cls and proto == UDP]
    assert cases
    for data in cases:
        assert cls.matches(data, UDP, True)
        at = offset + 4 if cls is IkeDissector and data[:4] == bytes(4) else offset
        for b in range(256):
            if b not in allowed:
                assert not cls.matches(data[:at] + bytes((b,)) + data[at + 1 :], UDP, True)


def test_stun_over_tcp_needs_the_cookie_at_4_or_6() -> None:
    """Bare and RFC 4571-framed messages match; moving the cookie refuses both."""
    cases = [data for c, proto, data in POSITIVES if c is StunDissector and proto == TCP]
    assert cases
    for data in cases:
        assert StunDissector.matches(data, TCP, True)
        cookie_at = 4 if data[4:8] == b"\x21\x12\xa4\x42" else 6
        broken = data[:cookie_at] + b"\x00" + data[cookie_at + 1 :]
        assert not StunDissector.matches(broken, TCP, True)
