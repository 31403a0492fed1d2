"""Signatures of messaging, VPN and consumer device services (``signatures_messaging``):
WhatsApp, Xiaomi push, Nest Weave, Zoom session setup, AliCloud, HP_VIRTGRP, SoftEther NAT
traversal, EAQ and the MGLNDD probe (nDPI's RipeAtlas).

Synthetic messages are built field by field from the descriptions the classes cite (or the
constant fields they list, for the proprietary ones); each negative breaks one checked fact.
Real captures: the flows nDPI labels with each service, a negative corpus (flows nDPI labels
with another protocol) and the registry with and without these classes (nothing changes
identity).

The generic checks (and the fuzz invariant) are ``wl_signature_family``'s; this file holds
the family's messages, tables, expected counts and its own tests.
"""

from __future__ import annotations

import struct
from collections import Counter

import pytest
import wl_signature_family as sf
from hypothesis import given
from hypothesis import strategies as st

from wirelens.dissect import registry
from wirelens.dissect.base import Dissector
from wirelens.dissect.signatures_messaging import (
    MESSAGING_SIGNATURES,
    AliCloudDissector,
    EaqDissector,
    HpVirtgrpDissector,
    NestWeaveDissector,
    RipeAtlasProbeDissector,
    SoftEtherDissector,
    WhatsAppDissector,
    XiaomiPushDissector,
    ZoomDissector,
)

TCP, UDP = 6, 17

# --- builders (facts from the descriptions cited in the classes) ----------------------------


def varint(value: int) -> bytes:
    out = b""
    while value >= 0x80:
        out += bytes([value & 0x7F | 0x80])
        value >>= 7
    return out + bytes([value])


def field(tag: int, data: bytes) -> bytes:
    """A length-delimited protobuf field (tag byte, varint length, bytes)."""
    return bytes([tag]) + varint(len(data)) + data


def frame(body: bytes, size: int | None = None) -> bytes:
    """A Noise transport frame: 3-byte big-endian length, then the body."""
    return (len(body) if size is None else size).to_bytes(3, "big") + body


def hello(tag: int = 0x12, fields: bytes | None = None) -> bytes:
    """A HandshakeMessage holding only its client (0x12) or server (0x1a) hello: ephemeral
    key (field 1, 32 bytes), encrypted static key (field 2), encrypted payload (field 3)."""
    if fields is None:
        fields = field(0x0A, bytes(range(32))) + field(0x12, b"\x5a" * 48) + field(
            0x1A, b"\xa5" * 148)
    return field(tag, fields)


def wa_client(version: bytes = b"\x05\x02", routing: bytes | None = b"\x08\x09\x08\x02",
              body: bytes | None = None) -> bytes:
    """Edge-routing header (when ``routing``), prologue, client hello frame."""
    edge = b"" if routing is None else b"ED\x00\x01" + frame(routing)
    return edge + b"WA" + version + frame(hello() if body is None else body)


WA_SERVER_HELLO = hello(0x1A, field(0x0A, bytes(32)) + field(0x1A, b"\x77" * 16))
WA_SERVER = frame(WA_SERVER_HELLO)
WA_LEGACY_FRAMES = (b"\x00\x00\x1a\xf8\x05\x01\xa5\x91\x89\xfc\x12iPhone-2.12.2-5222",
                    b"\x00\x00\x06\xf8\x02\x9c\xf8\x01\x40",
                    b"\x80\x00\x05" + bytes(range(5)))
WA_LEGACY = b"WA\x01\x05" + b"".join(WA_LEGACY_FRAMES)


MIPUSH_HEADER = b"\x08\x00\x1a\x0axiaomi.com\x2a\x04CONN\x48\x00"


def mipush(header: bytes = MIPUSH_HEADER,
           body: bytes = b"\x0a\x0a5386370769\x12\x047f04\x1a\x02\x08\x00\x22\x00",
           magic: bytes = b"\xc2\xfe\x00\x05", size: int | None = None,
           head_size: int | None = None) -> bytes:
    """Magic and version, total length, 2 bytes, header length, body length, header, body,
    4-byte checksum."""
    inner = (b"\x00\x02" + struct.pack(">HI", len(header) if head_size is None else head_size,
                                       len(body)) + header + body)
    return (magic + struct.pack(">I", len(inner) if size is None else size) + inner
            + b"\x7d\xa8\x0b\x77")


def weave(header: int = 0x1300, key_id: int | None = None, exch_flags: int = 0x11,
          profile: int = 0x00000004, ack: bytes = b"", body: bytes = b"\x81\x00\x00\x39",
          size: int | None = None, cipher: int = 16) -> bytes:
    """TCP length prefix, header field, message id, node ids (when flagged), key id (when
    encrypted), exchange header and payload (or ciphertext and HMAC), little-endian."""
    msg = struct.pack("<HI", header, 0x0308)
    if header & 0x0200:
        msg += struct.pack("<Q", 0x18B430000027_9E36)
    if header & 0x0100:
        msg += struct.pack("<Q", 0x18B4300200000004)
    if key_id is not None:
        msg += struct.pack("<H", key_id) + bytes(range(cipher)) + b"\xee" * 20  # + HMAC
    else:
        msg += bytes([exch_flags, 0x0A]) + struct.pack("<HI", 0x0689, profile) + ack + body
    return struct.pack("<H", len(msg) if size is None else size) + msg


def ali(body: bytes | None = b"\x9d\xb9" * 24, size: int | None = None,
        magic: bytes = b"\xce\xfa\xbe\xba") -> bytes:
    """Magic, LE body length, body (None: the header alone, announcing 128 bytes)."""
    length = (128 if body is None else len(body)) if size is None else size
    return magic + struct.pack("<I", length) + (body or b"")


def hpv(kind: int = 0x16, size: int | None = None, zero: int = 0,
        body_len: int | None = None) -> bytes:
    """Type, BE total length, zero byte, key material."""
    body = bytes(range(128 if kind == 0x16 else 48)) if body_len is None else bytes(body_len)
    return bytes([kind]) + struct.pack(">H", 4 + len(body) if size is None else size) + bytes(
        [zero]) + body


def pack_element(name: bytes, kind: int, values: list[bytes], size: int | None = None) -> bytes:
    """Name size (length + 1), name, type, value count, values (BE integers)."""
    return (struct.pack(">I", len(name) + 1 if size is None else size) + name
            + struct.pack(">II", kind, len(values)) + b"".join(values))


def pstr(text: bytes) -> bytes:
    return struct.pack(">I", len(text)) + text


def pack(*elements: bytes, count: int | None = None) -> bytes:
    return struct.pack(">I", len(elements) if count is None else count) + b"".join(elements)


NAT_REQUEST = pack(pack_element(b"opcode", 2, [pstr(b"get_token")]),
                   pack_element(b"tran_id", 4, [struct.pack(">Q", 0x55CA14E54BBD177A)]),
                   pack_element(b"nat_traversal_version", 0, [struct.pack(">I", 1)]))
NAT_ANSWER = pack(pack_element(b"ok", 0, [struct.pack(">I", 1)]),
                  pack_element(b"my_ip", 2, [pstr(b"130.158.6.105")]),
                  pack_element(b"token", 1, [pstr(b"50CDF699C150BCC57D2D")]),
                  pack_element(b"host_name", 3, [pstr("vpn-é".encode())]),
                  pack_element(b"your_port", 0, [struct.pack(">I", 51381)]))


ZOOM_ID = bytes.fromhex("c84ac4528718cda2b8477a1b899f3383")
ZOOM_REQ_TAIL = bytes.fromhex("00400040000075300001000300022000")
ZOOM_RESP_TAIL = bytes.fromhex("0000000000000000004000400003e00300")


def zoom_req(value: bytes = b"\x00\x6f\x61\x3f", again: bytes | None = None,
             head: bytes = b"\x01\x00\x03", fixed: bytes = bytes(7) + b"\x02",
             key_size: bytes = b"\x00\x00\x00\x40", tail: bytes = ZOOM_REQ_TAIL,
             extra: bytes = b"") -> bytes:
    """Type, 00 03, session id, fixed bytes, a value twice, 64 and a 64-byte value, 4
    variable bytes, the constant tail (+ extra bytes)."""
    return (head + ZOOM_ID + fixed + value + (value if again is None else again) + key_size
            + bytes(range(64)) + b"\xff" * 4 + tail + extra)


def zoom_resp(tail: bytes = ZOOM_RESP_TAIL, head: bytes = b"\x02\x00\x03") -> bytes:
    """Type, 00 03, the session id, two 4-byte values, the constant tail."""
    return head + ZOOM_ID + b"\x00\x4f\x83\x78" + b"\x00\x6f\x61\x3f" + tail


def eaq(probe: bytes = b"\x00\x01\x4b\x07", tail: bytes = b"\x00\x00\x90\x00",
        prefix: bytes = bytes(6) + b"\x0d\xda") -> bytes:
    return prefix + probe + tail


# (class, transport, payload): each is identified as its class by the registry
POSITIVES: list[tuple[type[Dissector], int, bytes]] = [
    (WhatsAppDissector, TCP, b"ED\x00\x01"),
    (WhatsAppDissector, TCP, wa_client()),
    (WhatsAppDissector, TCP, wa_client(b"\x02\x01", b"\x08\x05\x08\x02")),
    (WhatsAppDissector, TCP, wa_client(b"\x06\x03", None)),
    (WhatsAppDissector, TCP, wa_client(b"\x06\x02", None, hello(0x12, field(0x0A, bytes(32))))),
    (WhatsAppDissector, TCP, WA_SERVER),
    (WhatsAppDissector, TCP, WA_LEGACY),
    (WhatsAppDissector, TCP, b"WA\x01\x04" + WA_LEGACY_FRAMES[0]),
    (XiaomiPushDissector, TCP, mipush()),
    (XiaomiPushDissector, TCP, mipush(body=b"\x08\x6a\x12\x0dRedmi Note 9S" * 6)),
    (NestWeaveDissector, TCP, weave()),
    (NestWeaveDissector, TCP, weave(exch_flags=0x10, body=b"\x80\x39\xec\x01\x00\x00")),
    (NestWeaveDissector, TCP, weave(0x2300, exch_flags=0x17, ack=b"\x07\x03\x00\x00")),
    (NestWeaveDissector, TCP, weave(0x1200, profile=0x235A0001, body=b"")),
    (NestWeaveDissector, TCP, weave(0x1000, profile=0x00000001)),
    (NestWeaveDissector, TCP, weave(0x1310, key_id=0x2DDA)),
    (NestWeaveDissector, TCP, weave(0x1710, key_id=0x1001)),
    (AliCloudDissector, TCP, ali(None)),
    (AliCloudDissector, TCP, ali()),
    (AliCloudDissector, TCP, ali(b"\x01")),
    (HpVirtgrpDissector, TCP, hpv()),
    (HpVirtgrpDissector, TCP, hpv(0x17)),
    (SoftEtherDissector, UDP, NAT_REQUEST),
    (SoftEtherDissector, UDP, NAT_ANSWER),
    (SoftEtherDissector, UDP, pack(pack_element(b"a", 0, [bytes(4)]))),
    (SoftEtherDissector, UDP, b"IP=90.186.132.133,PORT=51381"),
    (SoftEtherDissector, UDP, b"IP=2001:db8::17,PORT=443"),
    (ZoomDissector, UDP, zoom_req()),
    (ZoomDissector, UDP, zoom_req(extra=b"\x0a\x00")),
    (ZoomDissector, UDP, zoom_resp()),
    (EaqDissector, UDP, eaq()),
    (EaqDissector, UDP, eaq(b"\x00\x0e\xbat", b"\x00\x00\x60\x00")),
    (RipeAtlasProbeDissector, UDP, b"MGLNDD_11.111.11.111_1114"),
    (RipeAtlasProbeDissector, UDP, b"MGLNDD_2001:db8::1_53\n"),
    (RipeAtlasProbeDissector, TCP, b"MGLNDD_203.0.113.10_443\r\n"),
    (RipeAtlasProbeDissector, TCP, b"MGLNDD_1.2.3.4_0"),
]  # fmt: skip

NEGATIVES: list[tuple[type[Dissector], int, bytes, str]] = [
    (WhatsAppDissector, TCP, b"ED\x00\x02", "edge header version 2"),
    (WhatsAppDissector, TCP, b"ED\x00\x01\x00", "edge header and one byte"),
    (WhatsAppDissector, TCP, b"ED\x00\x01" + wa_client()[4:11], "edge header cut in the routing data"),
    (WhatsAppDissector, TCP, b"ED\x00\x01" + frame(b"") + wa_client(routing=None), "no routing data"),
    (WhatsAppDissector, TCP, b"ED\x00\x01" + frame(bytes(256)) + wa_client(routing=None), "256 bytes of routing data"),
    (WhatsAppDissector, TCP, wa_client().replace(b"WA", b"WB", 1), "prologue WB"),
    (WhatsAppDissector, TCP, wa_client(b"\x00\x02"), "version 0"),
    (WhatsAppDissector, TCP, wa_client(b"\x0a\x02"), "version 10"),
    (WhatsAppDissector, TCP, wa_client(b"\x05\x0a"), "dictionary version 10"),
    (WhatsAppDissector, TCP, wa_client(body=hello(0x1A)), "server hello after a prologue"),
    (WhatsAppDissector, TCP, wa_client(body=hello(0x0A)), "HandshakeMessage field 1"),
    (WhatsAppDissector, TCP, wa_client(body=hello(0x12, field(0x0A, bytes(31)))), "31-byte ephemeral"),
    (WhatsAppDissector, TCP, wa_client(body=hello(0x12, field(0x12, bytes(48)) + field(0x0A, bytes(32)))), "static key first"),
    (WhatsAppDissector, TCP, wa_client(body=hello(0x12, field(0x0A, bytes(32)) + field(0x1A, b"x") + field(0x12, b"y"))), "fields out of order"),
    (WhatsAppDissector, TCP, wa_client(body=hello(0x12, field(0x0A, bytes(32)) + field(0x22, b"x"))), "field 4"),
    (WhatsAppDissector, TCP, wa_client(body=hello(0x12, field(0x0A, bytes(32)) + b"\x12\x05ab")), "field running past the end"),
    (WhatsAppDissector, TCP, wa_client(body=hello() + b"\x00"), "a byte after the hello in its frame"),
    (WhatsAppDissector, TCP, b"WA\x05\x02" + frame(hello(), len(hello()) + 1), "frame length + 1"),
    (WhatsAppDissector, TCP, wa_client() + b"\x00", "a byte after the frame"),
    (WhatsAppDissector, TCP, WA_SERVER[:3] + b"\x12" + WA_SERVER[4:], "server frame with a client hello"),
    (WhatsAppDissector, TCP, frame(WA_SERVER_HELLO, len(WA_SERVER_HELLO) + 1), "server frame length + 1"),
    (WhatsAppDissector, TCP, b"\x01" + WA_SERVER[1:], "server frame of 64 KiB or more"),
    (WhatsAppDissector, TCP, b"WA\x01\x05\x80" + WA_LEGACY[5:], "legacy first frame encrypted"),
    (WhatsAppDissector, TCP, b"WA\x01\x05\x00\x00\x01\x00", "legacy first frame not a list"),
    (WhatsAppDissector, TCP, WA_LEGACY + b"\x40\x00\x01\x00", "legacy frame flags 0x40"),
    (WhatsAppDissector, TCP, WA_LEGACY + b"\x00\x00\x00", "legacy empty frame"),
    (WhatsAppDissector, TCP, b"WA\x01\x05" + WA_LEGACY_FRAMES[0] * 17, "17 legacy frames"),
    (XiaomiPushDissector, TCP, b"\xc2\xff" + mipush()[2:], "magic"),
    (XiaomiPushDissector, TCP, mipush(magic=b"\xc2\xfe\x00\x06"), "version 6"),
    (XiaomiPushDissector, TCP, mipush(size=len(mipush()) - 11), "total length + 1"),
    (XiaomiPushDissector, TCP, mipush(head_size=23), "header and body lengths off by one"),
    (XiaomiPushDissector, TCP, mipush(header=b"\x10" + MIPUSH_HEADER[1:]), "header not starting with field 1"),
    (XiaomiPushDissector, TCP, mipush() + b"\x00", "a byte after the checksum"),
    (NestWeaveDissector, TCP, weave(size=len(weave()) - 1), "length prefix + 1"),
    (NestWeaveDissector, TCP, weave(0x1301), "reserved flag bit 0"),
    (NestWeaveDissector, TCP, weave(0x1308), "reserved flag bit 3"),
    (NestWeaveDissector, TCP, weave(0x1320, key_id=0x2DDA), "encryption type 2"),
    (NestWeaveDissector, TCP, weave(0x3300), "message version 3"),
    (NestWeaveDissector, TCP, weave(0x0300), "message version 0"),
    (NestWeaveDissector, TCP, weave(exch_flags=0x21), "exchange header version 2"),
    (NestWeaveDissector, TCP, weave(exch_flags=0x19), "exchange reserved flag 0x8"),
    (NestWeaveDissector, TCP, weave(profile=0x12340004), "vendor 0x1234"),
    (NestWeaveDissector, TCP, weave(0x1000, exch_flags=0x13, body=b""), "ack flag, no ack id"),
    (NestWeaveDissector, TCP, weave(0x1310, key_id=0), "key id 0"),
    (NestWeaveDissector, TCP, weave(0x1310, key_id=0x2DDA, cipher=7), "no room for the HMAC"),
    (AliCloudDissector, TCP, ali(magic=b"\xce\xfa\xbe\xbb"), "magic"),
    (AliCloudDissector, TCP, ali(b"", 0), "body length 0"),
    (AliCloudDissector, TCP, ali(None, 0x10000), "body length 65536"),
    (AliCloudDissector, TCP, ali() + b"\x00", "a byte after the body"),
    (AliCloudDissector, TCP, ali()[:20], "body cut"),
    (HpVirtgrpDissector, TCP, hpv(0x18, body_len=128), "type 0x18"),
    (HpVirtgrpDissector, TCP, hpv(0x16, body_len=129), "client message of 133 bytes"),
    (HpVirtgrpDissector, TCP, hpv(0x16, body_len=48), "client message of the server's size"),
    (HpVirtgrpDissector, TCP, hpv(zero=1), "fourth byte 1"),
    (HpVirtgrpDissector, TCP, hpv(size=131), "length field 131"),
    (SoftEtherDissector, UDP, pack(count=0), "no element"),
    (SoftEtherDissector, UDP, pack(pack_element(b"a", 0, [bytes(4)]), count=2), "count 2, one element"),
    (SoftEtherDissector, UDP, pack(pack_element(b"a", 0, [bytes(4)], size=1)), "name size 1 (empty name)"),
    (SoftEtherDissector, UDP, pack(pack_element(b"nat-t", 0, [bytes(4)])), "dash in a name"),
    (SoftEtherDissector, UDP, pack(pack_element(b"n" * 64, 0, [bytes(4)])), "64-byte name"),
    (SoftEtherDissector, UDP, pack(pack_element(b"opcode", 5, [bytes(4)])), "type 5"),
    (SoftEtherDissector, UDP, pack(pack_element(b"opcode", 0, [])) + bytes(4), "no value"),
    (SoftEtherDissector, UDP, pack(pack_element(b"opcode", 2, [pstr(b"get_token")[:-1]])), "string cut"),
    (SoftEtherDissector, UDP, NAT_REQUEST + b"\x00", "a byte after the pack"),
    (SoftEtherDissector, UDP, b"IP=90.186.132.133,PORT=", "no port"),
    (SoftEtherDissector, UDP, b"IP=90.186.132.133,PORT=65536", "port 65536"),
    (SoftEtherDissector, UDP, b"IP=90.186.132.133;PORT=51381", "semicolon"),
    (SoftEtherDissector, UDP, b"IP=vpn.example.com,PORT=1", "host name"),
    (SoftEtherDissector, UDP, b"IP=90.186.132.133,PORT=51381\n", "line end"),
    (ZoomDissector, UDP, zoom_req(head=b"\x03\x00\x03"), "type 3"),
    (ZoomDissector, UDP, zoom_req(head=b"\x01\x00\x04"), "request bytes 1-2"),
    (ZoomDissector, UDP, zoom_resp(head=b"\x02\x01\x03"), "response bytes 1-2"),
    (ZoomDissector, UDP, zoom_req(fixed=bytes(7) + b"\x03"), "byte 26 = 3"),
    (ZoomDissector, UDP, zoom_req(again=b"\x00\x6f\x61\x40"), "value not repeated"),
    (ZoomDissector, UDP, zoom_req(key_size=b"\x00\x00\x00\x41"), "size 65"),
    (ZoomDissector, UDP, zoom_req(tail=ZOOM_REQ_TAIL[:-1] + b"\x01"), "request tail"),
    (ZoomDissector, UDP, zoom_req(extra=bytes(38)), "161-byte request"),
    (ZoomDissector, UDP, zoom_resp(tail=ZOOM_RESP_TAIL[:-1] + b"\x01"), "response tail"),
    (ZoomDissector, UDP, zoom_resp() + b"\x00", "45-byte response"),
    (EaqDissector, UDP, eaq() + b"\x00", "17 bytes"),
    (EaqDissector, UDP, eaq(prefix=bytes(5) + b"\x01\x0d\xda"), "byte 5 nonzero"),
    (EaqDissector, UDP, eaq(prefix=bytes(6) + b"\x0d\xdb"), "0x0ddb"),
    (EaqDissector, UDP, eaq(tail=b"\x00\x00\x91\x00"), "kind 0x9100"),
    (EaqDissector, UDP, eaq(tail=b"\x00\x01\x90\x00"), "byte 13 nonzero"),
    (RipeAtlasProbeDissector, UDP, b"MGLNDE_11.111.11.111_1114", "prefix"),
    (RipeAtlasProbeDissector, UDP, b"mglndd_11.111.11.111_1114", "lower-case prefix"),
    (RipeAtlasProbeDissector, UDP, b"MGLNDD_11.111.11_1114", "three-part address"),
    (RipeAtlasProbeDissector, UDP, b"MGLNDD_256.111.11.111_1114", "octet 256"),
    (RipeAtlasProbeDissector, UDP, b"MGLNDD_11.111.11.111_65536", "port 65536"),
    (RipeAtlasProbeDissector, UDP, b"MGLNDD_11.111.11.111_", "no port"),
    (RipeAtlasProbeDissector, UDP, b"MGLNDD_11.111.11.111_1114 ", "trailing space"),
    (RipeAtlasProbeDissector, UDP, b"MGLNDD_scanner.example_1114", "host name"),
]  # fmt: skip


def _accepted_prefixes(cls: type[Dissector], payload: bytes) -> tuple[bool, set[int]]:
    """(whether appended junk is refused, the prefix lengths that may still be accepted:
    the edge header alone, the legacy frames' boundaries, shorter port numbers, the
    AliCloud header alone)."""
    n = len(payload)
    if cls is WhatsAppDissector and payload.startswith(b"ED\x00\x01"):
        return True, {4}
    if cls is WhatsAppDissector and payload.startswith(b"WA\x01"):
        ends, pos = set(), 4
        while pos < n:
            pos += 3 + struct.unpack(">H", payload[pos + 1 : pos + 3])[0]
            ends.add(pos)
        return True, ends
    if cls is AliCloudDissector:
        return n == 8 or struct.unpack("<I", payload[4:8])[0] != 5, {8}
    if cls is RipeAtlasProbeDissector:
        return True, set(range(payload.rindex(b"_") + 2, n))
    if cls is ZoomDissector and payload[0] == 1:
        return False, set(range(123, n))
    if cls is SoftEtherDissector and payload.startswith(b"IP="):
        return True, set(range(payload.index(b",PORT=") + 7, n))
    return True, set()


@sf.positives(POSITIVES)
def test_positive_identified_on_any_ports(case: tuple[type[Dissector], int, bytes]) -> None:
    """Identification is by content: well-known ports and random high ports alike."""
    cls, proto, payload = case
    sf.check_identified_on_any_ports(cls, proto, payload, MESSAGING_SIGNATURES,
                                     both_sides_match=True)


@sf.negatives(NEGATIVES)
def test_negative_one_fact_broken(case: tuple[type[Dissector], int, bytes, str]) -> None:
    sf.check_refuses(*case)


@sf.positives(POSITIVES)
def test_truncations_and_trailing_junk(case: tuple[type[Dissector], int, bytes]) -> None:
    """Every prefix gives a bool; prefixes cutting the fixed part are refused; exact-length
    tests refuse appended junk."""
    cls, proto, payload = case
    sf.check_truncations(cls, proto, payload, *_accepted_prefixes(cls, payload))


@sf.positives(POSITIVES)
def test_feed_is_identification_only(case: tuple[type[Dissector], int, bytes]) -> None:
    sf.check_feed_identification_only(*case)


def test_module_facts() -> None:
    names = [c.name for c in MESSAGING_SIGNATURES]
    assert names == ["xiaomi", "nest_weave", "zoom", "whatsapp", "softether", "ripe_atlas",
                     "eaq", "alicloud", "hp_virtgrp"]
    assert all(c in registry.DISSECTORS for c in MESSAGING_SIGNATURES)
    for cls in MESSAGING_SIGNATURES:
        assert cls.transports <= {TCP, UDP} and cls.__doc__ and "matches" in cls.__doc__
        # the probe goes to any port; 5223 and 5004 are other protocols' in practice
        assert bool(cls.ports) != (cls in (RipeAtlasProbeDissector, HpVirtgrpDissector,
                                           SoftEtherDissector))
        assert cls.first_bytes or cls.screens.get(TCP)  # Weave: a length prefix first
    screened = Counter(p for c in MESSAGING_SIGNATURES for p in c.screens)
    assert screened[TCP] <= 3 and screened[UDP] <= 4


def test_legacy_and_noise_whatsapp_are_told_apart() -> None:
    """Version 1 is the legacy framing (flags, 2-byte lengths), later ones the Noise frame:
    each framing after the other's version is refused."""
    assert not WhatsAppDissector.matches(b"WA\x05\x02" + b"".join(WA_LEGACY_FRAMES), TCP, True)
    assert not WhatsAppDissector.matches(b"WA\x01\x05" + frame(hello()), TCP, True)


def test_weave_needs_node_ids_only_when_flagged() -> None:
    """Without node id flags the exchange header follows the message id directly."""
    assert NestWeaveDissector.matches(weave(0x1000), TCP, True)
    # the same bytes read as if both ids were present run past the message
    short = weave(0x1000, body=b"")
    assert not NestWeaveDissector.matches(short[:2] + b"\x00\x13" + short[4:], TCP, True)


@pytest.mark.parametrize("cls", MESSAGING_SIGNATURES, ids=sf.name_of)
@sf.random_payloads
def test_random_bytes_do_not_match(cls: type[Dissector], payload: bytes, proto: int,
                                   from_orig: bool) -> None:
    """Random payloads and other protocols' first payloads are refused."""
    sf.check_refuses_random(cls, payload, proto, from_orig)


@sf.FUZZ
@given(st.sampled_from(MESSAGING_SIGNATURES), sf.PROTOS, sf.FUZZ_BYTES, sf.STEPS)
def test_fuzz_random_bytes(cls: type[Dissector], proto: int, data: bytes, step: int) -> None:
    sf.fuzz_invariant(cls, proto, data, step)


@sf.FUZZ
@given(st.sampled_from(range(len(POSITIVES))), sf.EDITS)
def test_fuzz_mutated_positives(index: int, edits: list[tuple[int, int, int]]) -> None:
    """Valid samples with bytes changed reach the deep checks without raising."""
    _, proto, payload = POSITIVES[index]
    sf.fuzz_mutated(MESSAGING_SIGNATURES, proto, payload, edits)


# --- real captures --------------------------------------------------------------------------

DATA, CFGS, needs_data = sf.DATA, sf.CFGS, sf.needs_data

NDPI_LABELS = {
    "whatsapp": {"WhatsApp"}, "xiaomi": {"Xiaomi"}, "nest_weave": {"NestLogSink"},
    "alicloud": {"AliCloud"}, "hp_virtgrp": {"HP_VIRTGRP"}, "softether": {"Softether"},
    "eaq": {"EAQ"}, "ripe_atlas": {"RipeAtlas"}, "zoom": {"Zoom"},
}  # fmt: skip
"""nDPI's master-protocol labels per service."""


# (hits, total) on the flows nDPI labels with the service: no miss.
# - whatsapp 88/88: the 86 flows of whatsapp.pcap by their edge header segment (ED 00 01
#   alone; the capture holds only the client's side), wa_voice.pcap by its client hello
#   (prologue WA 2.1 after the edge header) and its server hello, whatsapp_login_chat.pcap
#   by its legacy client stream (WA 1.5, three frames).
# - nest_weave 13/13: 12 flows with a CASE exchange (Weave security profile) in clear and
#   one flow starting with an encrypted message (key id 0x2dda).
# - softether 3/3: one flow by its PACK request and answer, two by the servers' plain
#   "IP=...,PORT=..." answers (the client's one-byte probe is not claimed).
# - eaq 29/29: 8 flows with both probe and echo, 21 with the probe only.
# - zoom 5/5: zoom2.pcap's three UDP 8801 sessions (default configuration) and two of them
#   again in cfgs/zoom_extra_dissection (the third there is labelled SRTP: see EXPLAINED).
NDPI_EXPECTED = {
    "whatsapp": (88, 88), "xiaomi": (6, 6), "nest_weave": (13, 13), "alicloud": (15, 15),
    "hp_virtgrp": (9, 9), "softether": (3, 3), "eaq": (29, 29), "ripe_atlas": (7, 7),
    "zoom": (5, 5),
}  # fmt: skip


@needs_data
def test_ndpi_positives() -> None:
    assert sf.ndpi_hits(MESSAGING_SIGNATURES, NDPI_LABELS) == NDPI_EXPECTED


@needs_data
def test_whatsapp_full_client_hellos() -> None:
    """The 87 Noise client hellos of the captures (the edge header's segment joined with the
    segments after it, up to the end of the first frame) pass the strict frame walk."""
    from wl_mini_pcap import flows

    pcaps = CFGS / "default" / "pcap"
    prologues: Counter[bytes] = Counter()
    for name in ("whatsapp.pcap", "wa_voice.pcap"):
        for f in flows(pcaps / name):
            data = b"".join(d for side, d, _ in f.chunks if side)
            if f.proto != TCP or not data.startswith(b"ED\x00\x01"):
                continue
            pos = 7 + int.from_bytes(data[4:7], "big")
            end = pos + 7 + int.from_bytes(data[pos + 4 : pos + 7], "big")
            assert WhatsAppDissector.matches(data[:end], TCP, True)
            prologues[data[pos : pos + 4]] += 1
    assert prologues == Counter({b"WA\x05\x02": 86, b"WA\x02\x01": 1})


EXPLAINED: dict[tuple[str, str], str] = {
    ("zoom", "SRTP"): "zoom2.pcap's UDP 58117 <-> 8801 session in cfgs/zoom_extra_dissection, "
    "labelled SRTP.Zoom there (master SRTP for the media that follows, application Zoom; "
    "the default configuration labels the same flow Zoom)",
}
"""Hits on flows nDPI labels with another protocol, each explained."""


@needs_data
def test_negative_corpus() -> None:
    """No class claims a flow nDPI labels with another protocol."""
    hits, unlabelled = sf.corpus_hits(MESSAGING_SIGNATURES, NDPI_LABELS)
    assert set(hits) <= set(EXPLAINED)
    assert hits == {("zoom", "SRTP"): 1}
    # flows without an nDPI label: the copies of EAQ.pcap, nest_log_sink.pcap, wa_voice.pcap
    # and whatsapp_login_chat.pcap in the other corpora (the same flows as above)
    assert dict(unlabelled) == {"eaq": 29, "nest_weave": 13, "whatsapp": 2}


NEW_SIDES: dict[str, int] = {
    "whatsapp": 92, "eaq": 74, "nest_weave": 50, "alicloud": 30, "hp_virtgrp": 18,
    "xiaomi": 11, "ripe_atlas": 7, "softether": 4, "zoom": 12,
}  # fmt: skip
"""First payloads (per side) the registry names only with these classes, per service
(the labelled flows above and their unlabelled copies; Zoom: both sides of the 6 sessions
of the two configurations; WhatsApp: 86 edge headers, both
sides of wa_voice.pcap and the legacy client of whatsapp_login_chat.pcap, twice each)."""
CHANGED: Counter[tuple[str, str]] = Counter()
"""First payloads another dissector named before these classes and one of them names now:
none (AVASTSecureDNS's DNS queries stay ``dns``: no class claims them)."""


@needs_data
def test_registry_without_and_with_these_classes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing identified without these classes changes identity with them; the flows they
    add, per service."""
    changed, new = sf.registry_changes(monkeypatch, MESSAGING_SIGNATURES)
    assert changed == CHANGED
    assert dict(new) == NEW_SIDES


MIPUSH_CLIENT_BODY = (b"\x08\x6a\x12\x0dRedmi Note 9S\x28\x2a\x32\x0fmobile-lte-taif"
                      b"\x3a\x1147.241.35.73:5222\x42\x05ar_EG\x50\x1e")


def _mipush_name(*messages: tuple[bool, bytes]) -> tuple[bool, str | None]:
    d = XiaomiPushDissector(TCP)
    for from_orig, data in messages:
        assert not d.done
        assert d.feed(data, from_orig, 1) == []
    return d.done, d.server_name


def test_xiaomi_names_the_server_its_client_connects_to() -> None:
    """Field 7 of the client's CONN body, host:port (as nDPI reports it): the host; server
    messages before it are passed over, a few at most."""
    client = mipush(body=MIPUSH_CLIENT_BODY)
    assert XiaomiPushDissector.matches(client, TCP, True)
    assert _mipush_name((True, client)) == (True, "47.241.35.73")
    assert _mipush_name((False, mipush()), (True, client)) == (True, "47.241.35.73")
    named = mipush(body=b"\x3a\x15chat.example.COM:5222")
    assert _mipush_name((True, named)) == (True, "chat.example.com")
    assert _mipush_name(*[(False, mipush())] * 4) == (True, None)
    for body in (b"\x3d\x01\x02\x03\x04", b"\x3a\x30short", b"\x0f\x01",  # wrong wire types,
                 MIPUSH_CLIENT_BODY.replace(b"\x3a", b"\x42")):  # a cut value, no field 7
        assert _mipush_name((True, mipush(body=body))) == (True, None), body


@needs_data
def test_xiaomi_names_match_ndpi() -> None:
    import re

    import wirelens

    pcap = CFGS / "default" / "pcap" / "xiaomi.pcap"
    out = (CFGS / "default" / "result" / "xiaomi.pcap.out").read_text()
    theirs = sorted(re.findall(r"/Xiaomi\].*?\[Hostname/SNI: ([^\]]+)\]", out))
    ours = sorted(c["server_name"] for c in wirelens.analyze(pcap).conn.to_pylist()
                  if c["service"] == "xiaomi" and c["server_name"])
    assert len(ours) == 5 and ours == theirs  # the sixth flow holds server messages only
