"""QUIC dissector: Initial protection (RFC 9001 Appendix A, RFC 9369 Appendix A vectors),
long headers, coalesced packets, CRYPTO reassembly, hellos, gQUIC, real captures.

Real captures are nDPI's test pcaps; for every QUIC flow nDPI names a host for, the same
SNI must come out, and JA4's hashed parts (b, c) must equal nDPI's (part a differs only
where nDPI's ALPN/SNI characters depart from the FoxIO spec, see ``_ja4_compare``).
"""

from __future__ import annotations

import contextlib
import re
import struct
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from wl_dissect_builders import (
    client_hello,
    exceptions_left_in_cycles,
    ext,
    mutate,
    server_hello,
    vec,
)
from wl_mini_pcap import Flow, flows

from wirelens.dissect.base import Event
from wirelens.dissect.quic import (
    QUIC_MAX_CRYPTO_BYTES,
    QuicDissector,
    QuicRecord,
    version_name,
)
from wirelens.dissect.quic_gquic import parse_chlo
from wirelens.dissect.quic_params import transport_parameter
from wirelens.wire import ParseError
from wirelens.wire.buffer import encode_varint
from wirelens.wire.errors import BadValue, LimitExceeded
from wirelens.wire.quic_crypto import (
    SALT_DRAFT_29,
    SALT_V1,
    SALT_V2,
    InitialKeys,
    decode_packet_number,
    initial_keys,
    protect,
    unprotect,
)

DATA = Path(__file__).resolve().parents[3] / ".." / "shared" / "data"
NDPI = DATA / "nDPI" / "tests" / "cfgs" / "default"

# -- RFC 9001 Appendix A (facts: the RFC's test vectors) ---------------------------------------

RFC_DCID = bytes.fromhex("8394c8f03e515708")
A2_HEADER = bytes.fromhex("c300000001088394c8f03e5157080000449e00000002")
A2_CRYPTO = bytes.fromhex(
    "060040f1010000ed0303ebf8fa56f12939b9584a3896472ec40bb863cfd3e868"
    "04fe3a47f06a2b69484c00000413011302010000c000000010000e00000b6578"
    "616d706c652e636f6dff01000100000a00080006001d00170018001000070005"
    "04616c706e000500050100000000003300260024001d00209370b2c9caa47fba"
    "baf4559fedba753de171fa71f50f1ce15d43e994ec74d748002b000302030400"
    "0d0010000e0403050306030203080408050806002d00020101001c0002400100"
    "3900320408ffffffffffffffff05048000ffff07048000ffff08011001048000"
    "75300901100f088394c8f03e51570806048000ffff"
)
A2_PAYLOAD = A2_CRYPTO + bytes(917)  # PADDING to a 1162-byte payload
A2_PROTECTED = bytes.fromhex(
    "c000000001088394c8f03e5157080000449e7b9aec34d1b1c98dd7689fb8ec11"
    "d242b123dc9bd8bab936b47d92ec356c0bab7df5976d27cd449f63300099f399"
    "1c260ec4c60d17b31f8429157bb35a1282a643a8d2262cad67500cadb8e7378c"
    "8eb7539ec4d4905fed1bee1fc8aafba17c750e2c7ace01e6005f80fcb7df6212"
    "30c83711b39343fa028cea7f7fb5ff89eac2308249a02252155e2347b63d58c5"
    "457afd84d05dfffdb20392844ae812154682e9cf012f9021a6f0be17ddd0c208"
    "4dce25ff9b06cde535d0f920a2db1bf362c23e596d11a4f5a6cf3948838a3aec"
    "4e15daf8500a6ef69ec4e3feb6b1d98e610ac8b7ec3faf6ad760b7bad1db4ba3"
    "485e8a94dc250ae3fdb41ed15fb6a8e5eba0fc3dd60bc8e30c5c4287e53805db"
    "059ae0648db2f64264ed5e39be2e20d82df566da8dd5998ccabdae053060ae6c"
    "7b4378e846d29f37ed7b4ea9ec5d82e7961b7f25a9323851f681d582363aa5f8"
    "9937f5a67258bf63ad6f1a0b1d96dbd4faddfcefc5266ba6611722395c906556"
    "be52afe3f565636ad1b17d508b73d8743eeb524be22b3dcbc2c7468d54119c74"
    "68449a13d8e3b95811a198f3491de3e7fe942b330407abf82a4ed7c1b311663a"
    "c69890f4157015853d91e923037c227a33cdd5ec281ca3f79c44546b9d90ca00"
    "f064c99e3dd97911d39fe9c5d0b23a229a234cb36186c4819e8b9c5927726632"
    "291d6a418211cc2962e20fe47feb3edf330f2c603a9d48c0fcb5699dbfe58964"
    "25c5bac4aee82e57a85aaf4e2513e4f05796b07ba2ee47d80506f8d2c25e50fd"
    "14de71e6c418559302f939b0e1abd576f279c4b2e0feb85c1f28ff18f58891ff"
    "ef132eef2fa09346aee33c28eb130ff28f5b766953334113211996d20011a198"
    "e3fc433f9f2541010ae17c1bf202580f6047472fb36857fe843b19f5984009dd"
    "c324044e847a4f4a0ab34f719595de37252d6235365e9b84392b061085349d73"
    "203a4a13e96f5432ec0fd4a1ee65accdd5e3904df54c1da510b0ff20dcc0c77f"
    "cb2c0e0eb605cb0504db87632cf3d8b4dae6e705769d1de354270123cb11450e"
    "fc60ac47683d7b8d0f811365565fd98c4c8eb936bcab8d069fc33bd801b03ade"
    "a2e1fbc5aa463d08ca19896d2bf59a071b851e6c239052172f296bfb5e724047"
    "90a2181014f3b94a4e97d117b438130368cc39dbb2d198065ae3986547926cd2"
    "162f40a29f0c3c8745c0f50fba3852e566d44575c29d39a03f0cda721984b6f4"
    "40591f355e12d439ff150aab7613499dbd49adabc8676eef023b15b65bfc5ca0"
    "6948109f23f350db82123535eb8a7433bdabcb909271a6ecbcb58b936a88cd4e"
    "8f2e6ff5800175f113253d8fa9ca8885c2f552e657dc603f252e1a8e308f76f0"
    "be79e2fb8f5d5fbbe2e30ecadd220723c8c0aea8078cdfcb3868263ff8f09400"
    "54da48781893a7e49ad5aff4af300cd804a6b6279ab3ff3afb64491c85194aab"
    "760d58a606654f9f4400e8b38591356fbf6425aca26dc85244259ff2b19c41b9"
    "f96f3ca9ec1dde434da7d2d392b905ddf3d1f9af93d1af5950bd493f5aa731b4"
    "056df31bd267b6b90a079831aaf579be0a39013137aac6d404f518cfd4684064"
    "7e78bfe706ca4cf5e9c5453e9f7cfd2b8b4c8d169a44e55c88d4a9a7f9474241"
    "e221af44860018ab0856972e194cd934"
)
A3_HEADER = bytes.fromhex("c1000000010008f067a5502a4262b50040750001")
A3_PAYLOAD = bytes.fromhex(
    "02000000000600405a020000560303eefce7f7b37ba1d1632e96677825ddf739"
    "88cfc79825df566dc5430b9a045a1200130100002e00330024001d00209d3c94"
    "0d89690b84d08a60993c144eca684d1081287c834d5311bcf32bb9da1a002b00"
    "020304"
)
A3_PROTECTED = bytes.fromhex(
    "cf000000010008f067a5502a4262b5004075c0d95a482cd0991cd25b0aac406a"
    "5816b6394100f37a1c69797554780bb38cc5a99f5ede4cf73c3ec2493a1839b3"
    "dbcba3f6ea46c5b7684df3548e7ddeb9c3bf9c73cc3f3bded74b562bfb19fb84"
    "022f8ef4cdd93795d77d06edbb7aaf2f58891850abbdca3d20398c276456cbc4"
    "2158407dd074ee"
)
# RFC 9369 Appendix A.2: the same ClientHello protected with QUIC v2 (first bytes).
V2_HEADER = bytes.fromhex("d36b3343cf088394c8f03e5157080000449e00000002")
V2_PROTECTED_PREFIX = bytes.fromhex(
    "d76b3343cf088394c8f03e5157080000449ea0c95e82ffe67b6abcdb4298b485"
    "dd04de806071bf03dceebfa162e75d6c96058bdbfb127cdfcbf903388e99ad04"
)


def test_rfc9001_a1_keys() -> None:
    client = initial_keys(SALT_V1, RFC_DCID, server=False)
    assert client.secret.hex() == "c00cf151ca5be075ed0ebfb5c80323c42d6b7db67881289af4008f1f6c357aea"
    assert client.key.hex() == "1f369613dd76d5467730efcbe3b1a22d"
    assert client.iv.hex() == "fa044b2f42a3fd3b46fb255c"
    assert client.hp.hex() == "9f50449e04a0e810283a1e9933adedd2"
    server = initial_keys(SALT_V1, RFC_DCID, server=True)
    assert server.secret.hex() == "3c199828fd139efd216c155ad844cc81fb82fa8d7446fa7d78be803acdda951b"
    assert server.key.hex() == "cf3a5331653c364c88f0f379b6067e37"
    assert server.iv.hex() == "0ac1493ca1905853b0bba03e"
    assert server.hp.hex() == "c206b8d9b9f0f37644430b490eeaa314"


def test_rfc9001_a2_client_initial() -> None:
    keys = initial_keys(SALT_V1, RFC_DCID, server=False)
    assert protect(A2_HEADER, 18, A2_PAYLOAD, keys, 2) == A2_PROTECTED
    plain = unprotect(A2_PROTECTED, 18, keys)
    assert plain.header == A2_HEADER
    assert plain.packet_number == 2
    assert plain.payload == A2_PAYLOAD


def test_rfc9001_a3_server_initial() -> None:
    keys = initial_keys(SALT_V1, RFC_DCID, server=True)
    assert protect(A3_HEADER, 18, A3_PAYLOAD, keys, 1) == A3_PROTECTED
    plain = unprotect(A3_PROTECTED, 18, keys)
    assert (plain.header, plain.packet_number, plain.payload) == (A3_HEADER, 1, A3_PAYLOAD)


def test_rfc9369_v2_keys_and_packet() -> None:
    client = initial_keys(SALT_V2, RFC_DCID, server=False, v2=True)
    assert client.key.hex() == "8b1a0bc121284290a29e0971b5cd045d"
    assert client.iv.hex() == "91f73e2351d8fa91660e909f"
    assert client.hp.hex() == "45b95e15235d6f45a6b19cbcb0294ba9"
    server = initial_keys(SALT_V2, RFC_DCID, server=True, v2=True)
    assert server.key.hex() == "82db637861d55e1d011f19ea71d5d2a7"
    assert server.iv.hex() == "dd13c276499c0249d3310652"
    assert server.hp.hex() == "edf6d05c83121201b436e16877593c3a"
    packet = protect(V2_HEADER, 18, A2_PAYLOAD, client, 2)
    assert packet.startswith(V2_PROTECTED_PREFIX)


def test_rfc9001_vector_through_the_dissector() -> None:
    d = QuicDissector(17)
    assert QuicDissector.matches(A2_PROTECTED, 17, True)
    assert d.feed(A2_PROTECTED, True, 5) == []
    assert d.server_name == "example.com"
    events = d.feed(A3_PROTECTED, False, 6)
    assert d.done and len(events) == 1
    ev = events[0]
    assert isinstance(ev, QuicRecord)
    assert (ev.version, ev.client_initial_dcid, ev.server_scid) == (
        "1",
        RFC_DCID.hex(),
        "f067a5502a4262b5",
    )
    assert ev.alpn == ("alpn",) and ev.client_protocol == "alpn"
    assert ev.cipher == "TLS_AES_128_GCM_SHA256" and ev.established
    assert ev.ja4 is not None and ev.ja4.startswith("q13d0")
    assert ev.ja4s is not None and ev.ja4s.startswith("q13")
    assert ev.history == "Ii" and ev.ts_ns == 5


def test_decryption_failure_is_bad_value() -> None:
    damaged = bytearray(A2_PROTECTED)
    damaged[500] ^= 1
    with pytest.raises(BadValue, match="does not decrypt"):
        QuicDissector(17).feed(bytes(damaged), True, 0)
    with pytest.raises(BadValue, match="does not decrypt"):
        unprotect(bytes(damaged), 18, initial_keys(SALT_V1, RFC_DCID, server=False))

    def fail() -> None:  # the failure is no reference cycle (the frames its traceback holds)
        with contextlib.suppress(BadValue):
            QuicDissector(17).feed(bytes(damaged), True, 0)

    assert exceptions_left_in_cycles(fail) == []


def test_packet_number_decoding() -> None:
    """RFC 9000 Appendix A.3's example: largest 0xa82f30ea, truncated 0x9b32 -> 0xa82f9b32."""
    assert decode_packet_number(0x9B32, 2, 0xA82F30EA) == 0xA82F9B32
    assert decode_packet_number(2, 4, -1) == 2


# -- builders of protected packets ---------------------------------------------------------------

DCID = bytes.fromhex("0011223344556677")
CSCID = bytes.fromhex("aabbccdd")
SSCID = bytes.fromhex("5555666677778888")


def frame_crypto(offset: int, data: bytes) -> bytes:
    """A CRYPTO frame (RFC 9000 §19.6)."""
    return b"\x06" + encode_varint(offset) + encode_varint(len(data)) + data


def frame_ack(largest: int = 0) -> bytes:
    """An ACK frame with one range (RFC 9000 §19.3)."""
    return b"\x02" + encode_varint(largest) + b"\x00\x00\x00"


def long_packet(
    version: int,
    ptype_bits: int,
    dcid: bytes,
    scid: bytes,
    payload: bytes,
    keys: InitialKeys | None,
    pn: int = 0,
    token: bytes | None = b"",
) -> bytes:
    """A long header packet with a 4-byte packet number; protected when ``keys`` is given
    (otherwise the payload is left as is, for 0-RTT/Handshake fillers)."""
    first = 0xC0 | (ptype_bits << 4) | 0x03
    head = bytes([first]) + struct.pack(">I", version) + vec(dcid, 1) + vec(scid, 1)
    if token is not None:
        head += encode_varint(len(token)) + token
    length = 4 + len(payload) + 16
    head += struct.pack(">H", 0x4000 | length)
    pn_offset = len(head)
    header = head + struct.pack(">I", pn)
    if keys is None:
        return header + payload + bytes(16)
    return protect(header, pn_offset, payload, keys, pn)


def quic_client_hello(
    sni: str | None = "quic.example", ua: bytes | None = b"test-agent/1.0"
) -> bytes:
    """A ClientHello with QUIC transport parameters (RFC 9000 §18, RFC 9001 §8.2)."""
    params = encode_varint(0x04) + encode_varint(4) + b"\x80\x01\x00\x00"
    if ua is not None:
        params += encode_varint(0x3129) + encode_varint(len(ua)) + ua
    ch = client_hello(sni=sni, alpn=("h3",), versions=(0x0304,), ciphers=(0x1301, 0x1302))
    body = ch[4:]
    # append the extension: rewrite the extensions vector length (last field of the body)
    head, exts = _split_exts(body)
    exts += ext(0x39, params)
    new_body = head + vec(exts, 2)
    return b"\x01" + vec(new_body, 3)


def _split_exts(body: bytes) -> tuple[bytes, bytes]:
    pos = 2 + 32
    pos += 1 + body[pos]
    pos += 2 + int.from_bytes(body[pos : pos + 2], "big")
    pos += 1 + body[pos]
    return body[:pos], body[pos + 2 :]


def client_initial(
    version: int = 1, frames: bytes | None = None, pn: int = 0, dcid: bytes = DCID, pad: bool = True
) -> bytes:
    salt = {1: SALT_V1, 0x6B3343CF: SALT_V2, 0xFF00001D: SALT_DRAFT_29}[version]
    keys = initial_keys(salt, dcid, server=False, v2=version == 0x6B3343CF)
    if frames is None:
        frames = frame_crypto(0, quic_client_hello())
    if pad:
        frames += bytes(max(0, 1162 - len(frames)))
    bits = 1 if version == 0x6B3343CF else 0
    return long_packet(version, bits, dcid, CSCID, frames, keys, pn)


def server_initial(version: int = 1, frames: bytes | None = None, key_cid: bytes = DCID) -> bytes:
    salt = {1: SALT_V1, 0x6B3343CF: SALT_V2, 0xFF00001D: SALT_DRAFT_29}[version]
    keys = initial_keys(salt, key_cid, server=True, v2=version == 0x6B3343CF)
    if frames is None:
        frames = frame_ack(0) + frame_crypto(0, server_hello())
    bits = 1 if version == 0x6B3343CF else 0
    return long_packet(version, bits, CSCID, SSCID, frames, keys)


def run(chunks: list[tuple[bool, bytes]]) -> list[Event]:
    d = QuicDissector(17)
    events: list[Event] = []
    for from_orig, data in chunks:
        events += d.feed(data, from_orig, 1000)
    return events + d.finish()


def one(chunks: list[tuple[bool, bytes]]) -> QuicRecord:
    events = run(chunks)
    assert len(events) == 1
    ev = events[0]
    assert isinstance(ev, QuicRecord)
    return ev


# -- whole conversations ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("version", "name"), [(1, "1"), (0x6B3343CF, "2"), (0xFF00001D, "draft-29")]
)
def test_handshake_per_version(version: int, name: str) -> None:
    handshake = long_packet(
        version, 3 if version == 0x6B3343CF else 2, CSCID, SSCID, b"x" * 40, None, token=None
    )
    chunks = [(True, client_initial(version)), (False, server_initial(version) + handshake)]
    assert QuicDissector.matches(chunks[0][1], 17, True)
    assert QuicDissector.matches(chunks[1][1], 17, False)
    ev = one(chunks)
    assert ev.version == name
    assert ev.server_name == "quic.example"
    assert ev.alpn == ("h3",) and ev.user_agent == "test-agent/1.0"
    assert ev.client_scid == CSCID.hex() and ev.server_scid == SSCID.hex()
    assert ev.history == "Iih" and ev.established and ev.initial_decrypted
    assert ev.ja3 is not None and ev.ja3_hash is not None and len(ev.ja3_hash) == 32


def test_client_hello_only_emitted_by_finish() -> None:
    d = QuicDissector(17)
    assert d.feed(client_initial(), True, 7) == []
    assert d.server_name == "quic.example" and not d.done
    (ev,) = d.finish()
    assert isinstance(ev, QuicRecord) and not ev.established and ev.cipher is None
    assert d.finish() == []


def test_crypto_split_across_packets_and_datagrams_any_order() -> None:
    """The ClientHello cut into 7-byte CRYPTO frames, one packet each, sent in reverse
    order over several datagrams (two packets coalesced per datagram): same record."""
    ch = quic_client_hello()
    pieces = [frame_crypto(i, ch[i : i + 7]) for i in range(0, len(ch), 7)]
    packets = [client_initial(frames=p, pn=n, pad=False) for n, p in enumerate(pieces)]
    packets.reverse()
    datagrams = [
        packets[i] + packets[i + 1] if i + 1 < len(packets) else packets[i]
        for i in range(0, len(packets), 2)
    ]
    ev = one([(True, d) for d in datagrams] + [(False, server_initial())])
    whole = one([(True, client_initial()), (False, server_initial())])
    assert (ev.server_name, ev.ja4, ev.ja3, ev.user_agent) == (
        whole.server_name,
        whole.ja4,
        whole.ja3,
        whole.user_agent,
    )
    assert ev.server_name == "quic.example"


@pytest.mark.parametrize("lost", ["second", "first"])
def test_an_initial_of_a_split_client_hello_lost(lost: str) -> None:
    """A ClientHello in two Initials (a post-quantum key share makes it that long, here
    padding) whose second one never came: at the end the hello is read as far as its CRYPTO
    data is contiguous (the server name, ALPN, cipher suites), with no JA3/JA4; the server's
    hello, whole, still gives its JA4S. When the first is lost, nothing of the hello is read."""
    padded = client_hello(sni="quic.example", alpn=("h3",), versions=(0x0304,),
                          ciphers=(0x1301, 0x1302), padding=1500)
    assert len(padded) > 1200
    first, second = (client_initial(frames=frame_crypto(0, padded[:900]), pn=0),
                     client_initial(frames=frame_crypto(900, padded[900:]), pn=1))
    d = QuicDissector(17)
    d.feed(first if lost == "second" else second, True, 1)
    d.feed(server_initial(), False, 2)
    (ev,) = d.finish()
    assert isinstance(ev, QuicRecord) and ev.established and ev.ja4s is not None
    assert ev.ja3 is None and ev.ja4 is None
    if lost == "second":
        assert ev.server_name == "quic.example" and ev.alpn == ("h3",)
    else:
        assert ev.server_name is None and ev.alpn == ()


def test_duplicate_and_overlapping_crypto() -> None:
    ch = quic_client_hello()
    frames = frame_crypto(0, ch[:50]) + frame_crypto(20, ch[20:80]) + frame_crypto(0, ch[:10])
    frames += frame_crypto(80, ch[80:])
    ev = one([(True, client_initial(frames=frames))])
    assert ev.server_name == "quic.example"


def test_retry_then_new_keys() -> None:
    """After a Retry the client's Initial is keyed by the Retry's SCID (RFC 9001 §5.2)."""
    retry = (
        bytes([0xF0]) + struct.pack(">I", 1) + vec(CSCID, 1) + vec(SSCID, 1) + b"token" + bytes(16)
    )
    ev = one(
        [
            (True, client_initial(frames=frame_crypto(0, quic_client_hello()[:30]))),
            (False, retry),
            (True, client_initial(dcid=SSCID)),
            (False, server_initial(key_cid=SSCID)),
        ]
    )
    assert ev.server_name == "quic.example" and ev.history == "IrIi" and ev.established


def test_version_negotiation() -> None:
    vn = (
        bytes([0x80])
        + bytes(4)
        + vec(CSCID, 1)
        + vec(DCID, 1)
        + struct.pack(">3I", 1, 0x6B3343CF, 0xFF00001D)
    )
    assert QuicDissector.matches(vn, 17, False)
    assert not QuicDissector.matches(vn[:-1], 17, False)
    ev = one([(True, client_initial()), (False, vn)])
    assert ev.version_negotiation == ("1", "2", "draft-29")
    assert ev.history == "Iv"


def test_trailing_bytes() -> None:
    """Zero bytes after the last packet are padding; a short header packet ends the
    datagram; a long header that does not fit is an error."""
    ev = one(
        [(True, client_initial() + bytes(30)), (False, server_initial() + b"\x40" + bytes(30))]
    )
    assert ev.history == "Iis"
    with pytest.raises(ParseError):
        run([(True, client_initial() + b"\xc0\x00\x00\x00\x01\x08")])


def test_truncations_raise_parse_error() -> None:
    packet = client_initial()
    for cut in (1, 5, 6, 20, 30, len(packet) // 2, len(packet) - 1):
        with pytest.raises(ParseError):
            QuicDissector(17).feed(packet[:cut], True, 0)


def test_unknown_frame_stops_reading() -> None:
    frames = frame_crypto(0, quic_client_hello()) + b"\x1e" + b"garbage"
    assert one([(True, client_initial(frames=frames))]).server_name == "quic.example"


def test_server_first_datagram_without_keys_is_counted() -> None:
    ev = one([(False, server_initial())])
    assert ev.undecryptable == 1 and not ev.initial_decrypted and ev.server_name is None


def test_crypto_limit() -> None:
    frames = frame_crypto(QUIC_MAX_CRYPTO_BYTES, b"x")
    with pytest.raises(LimitExceeded):
        run([(True, client_initial(frames=frames))])


def test_matches_is_strict() -> None:
    ci = client_initial()
    assert QuicDissector.matches(ci, 17, True)
    assert not QuicDissector.matches(ci, 6, True)
    assert not QuicDissector.matches(
        b"\xc0" + b"\x00\x00\x00\x02" + ci[5:], 17, True
    )  # unknown version
    assert not QuicDissector.matches(b"\xc0\x00\x00\x00\x01\x30" + ci[6:], 17, True)  # 48-byte DCID
    assert not QuicDissector.matches(ci[:300], 17, True)  # Length runs past the datagram
    assert not QuicDissector.matches(b"\x80" + ci[1:], 17, True)  # no fixed bit
    assert not QuicDissector.matches(
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + bytes(100), 17, True
    )
    assert not QuicDissector.matches(bytes(1200), 17, True)
    assert not QuicDissector.matches(b"", 17, True)
    # DNS-looking datagrams never start with 0xc?/0x8? and a known version
    assert not QuicDissector.matches(b"\xab\xcd\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00", 17, True)


def test_version_names() -> None:
    assert [
        version_name(v)
        for v in (
            1,
            0x6B3343CF,
            0xFF00001B,
            0xFF000022,
            0x51303436,
            0x54303531,
            0xFACEB001,
            0x12345678,
        )
    ] == ["1", "2", "draft-27", "draft-34", "Q046", "T051", "mvfst-22", "0x12345678"]


def test_transport_parameter_forms() -> None:
    new = encode_varint(0x3129) + encode_varint(3) + b"abc" + encode_varint(1) + encode_varint(0)
    assert transport_parameter(new, 0x3129) == b"abc"
    old_entries = struct.pack(">HH", 0x3129, 3) + b"xyz"
    assert transport_parameter(struct.pack(">H", len(old_entries)) + old_entries, 0x3129) == b"xyz"
    assert transport_parameter(b"\xff", 0x3129) is None


def test_gquic_public_header_chlo() -> None:
    """A Q043 client packet: public header, hash, STREAM frame on stream 1 with a CHLO."""
    values = [(b"SNI\x00", b"www.example.org"), (b"UAID", b"agent 1"), (b"VER\x00", b"Q043")]
    table = b""
    body = b""
    for tag, value in values:
        body += value
        table += tag + struct.pack("<I", len(body))
    chlo = b"CHLO" + struct.pack("<HH", len(values), 0) + table + body
    stream = bytes([0xA0, 0x01]) + struct.pack(">H", len(chlo)) + chlo
    packet = b"\x09" + bytes(range(8)) + b"Q043" + b"\x01" + bytes(12) + stream + bytes(200)
    assert QuicDissector.matches(packet, 17, True)
    assert not QuicDissector.matches(b"\x09" + bytes(range(8)) + b"X043" + bytes(100), 17, True)
    ev = one([(True, packet)])
    assert (ev.version, ev.server_name, ev.user_agent) == ("Q043", "www.example.org", "agent 1")
    assert parse_chlo(chlo).tags == ("SNI", "UAID", "VER")
    with pytest.raises(ParseError):
        parse_chlo(chlo[:-3])


# -- fuzz --------------------------------------------------------------------------------------

SEEDS = [
    [(True, client_initial()), (False, server_initial())],
    [(True, client_initial(0x6B3343CF)), (False, server_initial(0x6B3343CF))],
    [(True, client_initial(frames=frame_crypto(0, quic_client_hello()[:40]) + frame_ack(3), pad=False)
      + client_initial(frames=frame_crypto(40, quic_client_hello()[40:]), pn=1, pad=False))],
    [(True, client_initial()),
     (False, bytes([0x80]) + bytes(4) + vec(CSCID, 1) + vec(DCID, 1) + struct.pack(">2I", 1, 0xFF00001D))],
    [(True, bytes([0xC3]) + b"Q046" + b"\x50" + bytes(8) + bytes(4) + bytes(12)
      + b"\xa0\x01\x00\x10CHLO" + bytes(40))],
    [
        (
            True,
            b"\x09"
            + bytes(range(8))
            + b"Q043\x01"
            + bytes(12)
            + b"\xa0\x01\x00\x10CHLO"
            + bytes(40),
        )
    ],
]


@settings(max_examples=150, deadline=250, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.sampled_from(range(len(SEEDS))),
    edits=st.lists(
        st.tuples(st.integers(0, 3), st.integers(0, 2000), st.integers(0, 255)), max_size=6
    ),
    raw=st.binary(max_size=64),
)
def test_fuzz(seed: int, edits: list[tuple[int, int, int]], raw: bytes) -> None:
    """Invariant: any datagrams (valid ones mutated by overwrites, inserts, deletes,
    truncations, or random bytes), fed in order then finished, yield a list of events or
    raise ParseError -- never another exception -- within 250 ms; ``matches`` never raises."""
    chunks = []
    for from_orig, data in SEEDS[seed]:
        buf = bytearray(mutate(data, edits))
        chunks.append((from_orig, bytes(buf)))
    chunks.append((True, raw))
    for from_orig, data in chunks:
        QuicDissector.matches(data, 17, from_orig)
    try:
        events = run(chunks)
        assert all(isinstance(e, QuicRecord) for e in events)
    except ParseError:
        pass


# -- real captures (nDPI) ----------------------------------------------------------------------

needs_data = pytest.mark.skipif(
    not NDPI.is_dir(), reason=f"shared captures not found at {DATA} (see its README.md)"
)

_FLOW = re.compile(r"^\s+\d+\s+UDP (\S+):(\d+) (?:<->|->) (\S+):(\d+) .*?\[proto: [\d.]+/QUIC")


def _expected(pcap: str) -> dict[tuple[int, int], dict[str, str]]:
    """nDPI's facts per QUIC flow, keyed by (orig port, resp port)."""
    out: dict[tuple[int, int], dict[str, str]] = {}
    for line in (NDPI / "result" / f"{pcap}.out").read_text(errors="replace").splitlines():
        m = _FLOW.match(line)
        if not m:
            continue
        facts = {}
        for key, tag in (
            ("sni", "Hostname/SNI"),
            ("ja4", "JA4"),
            ("ver", "QUIC ver"),
            ("ua", "User-Agent"),
            ("alpn", "(Advertised) ALPNs"),
        ):
            found = re.search(re.escape(f"[{tag}: ") + r"([^\]]+)\]", line)
            if found:
                facts[key] = found.group(1)
        out[(int(m.group(2)), int(m.group(4)))] = facts
    return out


def _dissect(flow: Flow) -> QuicRecord | None:
    """Identify like the DPI stage (first payload per direction), then feed 8 datagrams."""
    first: dict[bool, bytes] = {}
    for side, data, _ in flow.chunks:
        first.setdefault(side, data)
    if not any(QuicDissector.matches(d, 17, s) for s, d in first.items()):
        return None
    d = QuicDissector(17)
    events: list[Event] = []
    for side, data, ts in flow.chunks[:8]:
        events += d.feed(data, side, ts)
    events += d.finish()
    assert len(events) == 1
    ev = events[0]
    assert isinstance(ev, QuicRecord)
    return ev


CAPTURES = [
    "quic-27.pcap",
    "quic-29.pcap",
    "quic-forcing-vn-with-data.pcapng",
    "quic-mvfst-22_decryption_error.pcap",
    "quic_cc_ack.pcapng",
    "quic_crypto_aes_auth_size.pcap",
    "quic_frags_ch_in_multiple_packets.pcapng",
    "quic_frags_different_dcid.pcapng",
    "quic_q46.pcap",
    "quic_q46_b.pcap",
    "quic_q50.pcap",
    "quic_t50.pcap",
    "quic_t51.pcap",
    "gquic.pcap",
    "doq.pcapng",
]

_NDPI_VERSIONS = {"V-1": "1", "MVFST-22": "mvfst-22"}


def _ja4_compare(ours: str, theirs: str) -> None:
    """Parts b and c equal; part a equal but for the SNI letter and the two ALPN characters
    (nDPI prints e.g. ``h3`` for ``h3-29`` where the FoxIO spec takes the first and last
    characters: ``h9``; and ``d`` without any server_name extension)."""
    a1, b1, c1 = ours.split("_")
    a2, b2, c2 = theirs.split("_")
    assert (b1, c1) == (b2, c2)
    assert a1[:3] == a2[:3] and a1[4:8] == a2[4:8]


@needs_data
@pytest.mark.parametrize("pcap", CAPTURES)
def test_real_capture(pcap: str) -> None:
    expected = _expected(pcap)
    assert expected, "nDPI lists QUIC flows for this capture"
    started = time.perf_counter()
    seen = 0
    for flow in flows(NDPI / "pcap" / pcap):
        if flow.proto != 17:
            continue
        facts = expected.get((flow.orig[1], flow.resp[1])) or expected.get(
            (flow.resp[1], flow.orig[1])
        )
        if facts is None:
            continue
        ev = _dissect(flow)
        assert ev is not None, f"{pcap}: QUIC flow {flow.orig}->{flow.resp} not identified"
        seen += 1
        if "ver" in facts:
            want = _NDPI_VERSIONS.get(facts["ver"], facts["ver"].lower())
            assert ev.version == want or ev.version == want.upper()
        if "sni" in facts:
            assert ev.server_name == facts["sni"]
        if "ua" in facts:
            assert ev.user_agent == facts["ua"]
        if "alpn" in facts:
            assert ";".join(ev.alpn) == facts["alpn"]
        if "ja4" in facts:
            assert ev.ja4 is not None
            _ja4_compare(ev.ja4, facts["ja4"])
    assert seen
    assert time.perf_counter() - started < 10


@needs_data
def test_real_capture_figures() -> None:
    """The flows nDPI names a host or JA4 for: every SNI and every JA4 (parts b, c) match."""
    sni = ja4 = want_sni = want_ja4 = 0
    for pcap in CAPTURES:
        expected = _expected(pcap)
        for flow in flows(NDPI / "pcap" / pcap):
            facts = expected.get((flow.orig[1], flow.resp[1]))
            if flow.proto != 17 or facts is None:
                continue
            ev = _dissect(flow)
            if "sni" in facts:
                want_sni += 1
                sni += ev is not None and ev.server_name == facts["sni"]
            if "ja4" in facts:
                want_ja4 += 1
                ja4 += (
                    ev is not None
                    and ev.ja4 is not None
                    and ev.ja4.split("_")[1:] == facts["ja4"].split("_")[1:]
                )
    assert (sni, ja4) == (want_sni, want_ja4)
    assert want_sni >= 10 and want_ja4 >= 8


@needs_data
def test_no_quic_in_other_udp_captures() -> None:
    """Strictness on real traffic: UDP flows of DNS/other captures are not taken as QUIC."""
    for pcap in (
        "dns_doh.pcap",
        "ntp.pcap",
        "dhcp.pcapng",
        "dtls.pcap",
        "skype.pcap",
        "rtp.pcapng",
    ):
        path = NDPI / "pcap" / pcap
        if not path.exists():
            continue
        for flow in flows(path):
            if flow.proto != 17:
                continue
            for side, data, _ in flow.chunks[:2]:
                assert not QuicDissector.matches(data, 17, side), (
                    f"{pcap}: {flow.orig}->{flow.resp}"
                )


# -- Zeek quic.log baselines and Suricata's JA4 -------------------------------------------------

ZEEK = DATA / "zeek" / "testing" / "btest"
ZEEK_CASES = [
    ("quic-39264-rand.pcap", "scripts.base.protocols.quic.39264-rand"),
    ("curl-8.1.2-dev-http3-www-google-de.pcap", "scripts.base.protocols.quic.curl-http3"),
    ("quicv2-echo-443.pcap", "scripts.base.protocols.quic.quicv2-echo-443"),
    ("quicv2-http3-443.pcap", "scripts.base.protocols.quic.quicv2-http3-443"),
]


def _zeek_rows(log: Path) -> list[dict[str, str]]:
    fields: list[str] = []
    rows = []
    for line in log.read_text().splitlines():
        if line.startswith("#fields"):
            fields = line.split("\t")[1:]
        elif line and not line.startswith("#") and fields:
            rows.append(dict(zip(fields, line.split("\t"), strict=False)))
    return rows


def _zeek_value(value: str) -> str | None:
    return {"-": None, "(empty)": ""}.get(value, value)


@pytest.mark.skipif(
    not ZEEK.is_dir(), reason=f"shared captures not found at {DATA} (see its README.md)"
)
@pytest.mark.parametrize(("trace", "baseline"), ZEEK_CASES)
def test_zeek_quic_log(trace: str, baseline: str) -> None:
    """Connection ids, SNI and first ALPN equal Zeek's quic.log (v1 and v2 captures)."""
    (row,) = _zeek_rows(ZEEK / "Baseline" / baseline / "quic.log")
    events = [
        ev
        for fl in flows(ZEEK / "Traces" / "quic" / trace)
        if fl.proto == 17
        for ev in [_dissect(fl)]
        if ev is not None
    ]
    assert len(events) == 1
    ev = events[0]
    assert ev.version == {"quicv2": "2"}.get(row["version"], row["version"])
    for name in (
        "client_initial_dcid",
        "client_scid",
        "server_scid",
        "server_name",
        "client_protocol",
    ):
        assert getattr(ev, name) == _zeek_value(row[name]), name
    assert ev.established


@pytest.mark.skipif(
    not ZEEK.is_dir(), reason=f"shared captures not found at {DATA} (see its README.md)"
)
def test_zeek_decrypt_crash_trace_is_a_parse_error() -> None:
    """Zeek's crash reproducer: an Initial whose tag does not verify -> BadValue, nothing else."""
    udp = [
        fl
        for fl in flows(ZEEK / "Traces" / "quic" / "383379789-decrypt-crash.pcap")
        if fl.proto == 17
    ]
    failed = 0
    for flow in udp:
        try:
            _dissect(flow)
        except BadValue as exc:
            assert "does not decrypt" in str(exc)
            failed += 1
    assert failed == 1


SURICATA = DATA / "suricata-verify" / "tests"


@pytest.mark.skipif(
    not SURICATA.is_dir(), reason=f"shared captures not found at {DATA} (see its README.md)"
)
def test_suricata_ja4_quic() -> None:
    """suricata-verify ja4-quic expects quic.ja4 q13d0310h3_55b375c5d22e_cd85d2d88918 (whole
    string, ALPN characters included): every QUIC flow of its capture gives it."""
    got = [
        ev.ja4
        for fl in flows(SURICATA / "ja4-quic" / "input.pcap")
        if fl.proto == 17
        for ev in [_dissect(fl)]
        if ev is not None
    ]
    assert len(got) == 11
    assert set(got) == {"q13d0310h3_55b375c5d22e_cd85d2d88918"}


# -- end to end through the pipeline (before the lead registers the dissector) ------------------


@needs_data
def test_pipeline_quic_table(monkeypatch: pytest.MonkeyPatch) -> None:
    """Registered by monkeypatching, the dissector names the flow and fills the quic table."""
    import wirelens
    from wirelens.dissect import registry
    from wirelens.schema import SCHEMAS
    from wirelens.schema.quic import TABLES

    monkeypatch.setattr(registry, "DISSECTORS", (*registry.DISSECTORS, QuicDissector))
    monkeypatch.setitem(registry._BY_NAME, "quic", QuicDissector)
    for name, (schema, _) in TABLES.items():
        monkeypatch.setitem(SCHEMAS, name, schema)
    result = wirelens.analyze(NDPI / "pcap" / "quic_t51.pcap")
    (row,) = result.table("quic").to_pylist()
    assert (row["version"], row["server_name"], row["alpn"]) == (
        "T051",
        "www.google.com",
        ["h3-T051"],
    )
    assert row["user_agent"] == "dev Chrome/86.0.4240.9 Windows NT 6.1; Win64; x64"
    assert row["established"] and row["uid"] and row["resp_p"] == 443
    conn = result.table("conn").to_pylist()
    assert [(c["service"], c["server_name"]) for c in conn] == [("quic", "www.google.com")]
    assert result.table("weird").num_rows == 0
