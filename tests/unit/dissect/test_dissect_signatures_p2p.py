"""Signatures of peer-to-peer, cryptocurrency and LAN-discovery services (``signatures_p2p``):
Bitcoin, Monero levin, Steam discovery, Syncthing discovery, Spotify discovery, RakNet,
eDonkey, Source engine queries, Gnutella, Stratum mining, Dropbox LAN sync.

Synthetic messages are built field by field from the protocol descriptions the classes cite;
each negative breaks one checked fact. Real captures: the flows nDPI labels with each
service, the other captures named after it, a negative corpus (flows nDPI labels with another
protocol) and the registry with and without these classes (nothing changes identity).

The generic checks (and the fuzz invariant) are ``wl_signature_family``'s; this file holds
the family's messages, tables, expected counts and its own tests.
"""

from __future__ import annotations

import hashlib
import json
import struct
from collections import Counter
from pathlib import Path

import pytest
import wl_signature_family as sf
from hypothesis import given
from hypothesis import strategies as st

from wirelens.dissect import registry
from wirelens.dissect.base import Dissector
from wirelens.dissect.signatures_p2p import (
    P2P_SIGNATURES,
    BitcoinDissector,
    DropboxLanSyncDissector,
    EdonkeyDissector,
    GnutellaDissector,
    MoneroDissector,
    RakNetDissector,
    SourceEngineDissector,
    SpotifyDiscoveryDissector,
    SteamDiscoveryDissector,
    StratumDissector,
    SyncthingDiscoveryDissector,
)

TCP, UDP = 6, 17

# --- builders (facts from the descriptions cited in the classes) ----------------------------

MAINNET, TESTNET3, TESTNET4, SIGNET, REGTEST = (
    b"\xf9\xbe\xb4\xd9", b"\x0b\x11\x09\x07", b"\x1c\x16\x3f\x28", b"\x0a\x03\xcf\x40",
    b"\xfa\xbf\xb5\xda")  # fmt: skip


def btc(command: bytes, payload: bytes = b"", magic: bytes = MAINNET,
        checksum: bytes | None = None, size: int | None = None) -> bytes:
    """Message header (start string, NUL-padded command, LE length, checksum) + payload."""
    digest = hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4]
    return (magic + command.ljust(12, b"\x00")
            + struct.pack("<I", len(payload) if size is None else size)
            + (digest if checksum is None else checksum) + payload)


def net_addr(ip: bytes = b"\x0a\x00\x00\x01", port: int = 8333) -> bytes:
    """services (8), IPv6 / IPv4-mapped address (16), port (BE)."""
    return struct.pack("<Q", 1) + b"\x00" * 10 + b"\xff\xff" + ip + struct.pack(">H", port)


BTC_VERSION = btc(b"version", struct.pack("<iQq", 70016, 1033, 1_700_000_000) + net_addr()
                  + net_addr() + struct.pack("<Q", 0x1234) + b"\x10/Satoshi:27.0.0/"
                  + struct.pack("<i", 850000) + b"\x01")
BTC_VERACK = btc(b"verack")


def levin(command: int = 1001, body: bytes | None = None, reply: int = 1, code: int = 0,
          flags: int = 1, version: int = 1, size: int | None = None) -> bytes:
    """33-byte levin header (little-endian) + a portable-storage body."""
    if body is None:
        body = b"\x01\x11\x01\x01\x01\x01\x02\x01\x01" + b"\x04\x09node_data\x0c\x00"
    return (b"\x01\x21\x01\x01\x01\x01\x01\x01"
            + struct.pack("<QBIiII", len(body) if size is None else size, reply, command, code,
                          flags, version) + body)


def steam(header: bytes = b"\x08\xfc\xd3\xf1\xe3\xb7\xbc\xbf\xcf\x76\x10\x01\x18\x01",
          body: bytes = b"\x08\x08\x10\x06\x18\x9c\xd3\x01\x22\x09localhost",
          body_size: int | None = None) -> bytes:
    """Magic, LE header length, header, LE body length, body."""
    return (b"\xff\xff\xff\xff\x21\x4c\x5f\xa0" + struct.pack("<I", len(header)) + header
            + struct.pack("<I", len(body) if body_size is None else body_size) + body)


def syncthing(device: bytes = bytes(range(32)), rest: bytes = b"\x12\x19tcp://192.168.2.100:22000"
              b"\x18\xa4\x8f\x03", magic: bytes = b"\x2e\xa7\xd9\x0b") -> bytes:
    """Magic, Announce: field 1 (32-byte device id), addresses (field 2), instance id (3)."""
    return magic + b"\x0a" + bytes([len(device)]) + device + rest


def spotify(fixed: bytes = b"\x00\x01\x00\x04", tail: int = 24) -> bytes:
    return b"SpotUdp0" + b"\xdc\x15\x74\x28\x2e\x52\x62\x4c" + fixed + b"\x48\x95\xc2\x03" + (
        bytes(range(40, 40 + tail - 4)))


RAKNET_MAGIC = b"\x00\xff\xff\x00\xfe\xfe\xfe\xfe\xfd\xfd\xfd\xfd\x12\x34\x56\x78"
GUID = b"\x00\x05\x91\xa5\x36\x05\x11\xa8"
ADDR4 = b"\x04\x6b\x66\xdc\x32\xea\x75"
ADDR6 = (b"\x06" + struct.pack("<H", 23) + struct.pack(">HI", 19132, 0) + bytes(15) + b"\x01"
         + bytes(4))  # family, port, flow info, ::1, scope id


def rak_ping(kind: int = 1, magic: bytes = RAKNET_MAGIC) -> bytes:
    return bytes([kind]) + struct.pack(">Q", 123456) + magic + GUID


MOTD = b"MCPE;Dedicated Server;671;1.21.2;0;10;123;Bedrock level;Survival;1;19132;19133;"


def rak_pong(text: bytes = MOTD, size: int | None = None) -> bytes:
    return (b"\x1c" + struct.pack(">Q", 123456) + GUID + RAKNET_MAGIC
            + struct.pack(">H", len(text) if size is None else size) + text)


def rak_req1(version: int = 11, mtu: int = 1464, pad: int = 0) -> bytes:
    return b"\x05" + RAKNET_MAGIC + bytes([version]) + bytes([pad]) * (mtu - 18)


def rak_rep1(security: int = 0, mtu: int = 1492) -> bytes:
    return b"\x06" + RAKNET_MAGIC + GUID + bytes([security]) + struct.pack(">H", mtu)


def rak_req2(addr: bytes = ADDR4, mtu: int = 576) -> bytes:
    return b"\x07" + RAKNET_MAGIC + addr + struct.pack(">H", mtu) + GUID


def rak_rep2(addr: bytes = ADDR4, mtu: int = 576, security: int = 0) -> bytes:
    return b"\x08" + RAKNET_MAGIC + GUID + addr + struct.pack(">H", mtu) + bytes([security])


def rak_frame(body: bytes, reliability: int = 0, split: tuple[int, int] | None = None,
              bits: int | None = None, flags: int = 0) -> bytes:
    """One frame of a connected datagram: flags, size in bits, the indexes its reliability
    carries (zeros), the split header (count, id 7, index), the body."""
    head = bytes([reliability << 5 | (0x10 if split else 0) | flags]) + struct.pack(
        ">H", 8 * len(body) if bits is None else bits)
    head += bytes(3 * (reliability in (2, 3, 4, 6, 7)) + 3 * (reliability in (1, 4))
                  + 4 * (reliability in (1, 3, 4, 7)))
    if split:
        head += struct.pack(">IHI", split[0], 7, split[1])
    return head + body


def rak_data(*frames: bytes, header: int = 0x84) -> bytes:
    return bytes([header]) + b"\x02\x00\x00" + b"".join(frames)


RAK_PONG = b"\x03" + bytes(16)
RAK_REQUEST = b"\x09" + GUID + struct.pack(">Q", 99) + b"\x00"


def ed2k(opcode: int, body: bytes, proto: int = 0xE3, size: int | None = None) -> bytes:
    """Protocol byte, LE length (opcode + body), opcode, body."""
    return bytes([proto]) + struct.pack("<I", len(body) + 1 if size is None else size) + bytes(
        [opcode]) + body


def ed2k_tags(count: int = 2) -> bytes:
    """A tag count then ``count`` string tags (type 2, name length 1, name, value)."""
    return struct.pack("<I", count) + b"\x02\x01\x00\x01\x05\x00alice" * count


ED2K_HASH = bytes(range(16))
ED2K_HELLO = ed2k(0x01, b"\x10" + ED2K_HASH + b"\x7d\x49\x67\xe3\x8a\x4d" + ed2k_tags())
ED2K_LOGIN = ed2k(0x01, ED2K_HASH + bytes(4) + b"\x36\x12" + ed2k_tags(3))
ED2K_HELLO_ANSWER = ed2k(0x4C, ED2K_HASH + b"\x8c\x71\xf4\xcf\x7f\x1d" + ed2k_tags()
                         + b"\x0a\x00\x00\x01\x36\x11")


def a2s_info_response(strings: tuple[bytes, ...] = (b"My Server", b"de_dust2", b"cstrike",
                                                    b"Counter-Strike"),
                      players: int = 5, most: int = 32, kind: int = ord("d"),
                      env: int = ord("l"), vac: int = 1, edf: bytes = b"") -> bytes:
    """'I', protocol 17, four NUL-terminated strings, app id, players, max, bots, type,
    environment, visibility, VAC (+ extra data)."""
    return (b"\xff\xff\xff\xffI\x11" + b"".join(s + b"\x00" for s in strings)
            + struct.pack("<H", 10) + bytes([players, most, 0, kind, env, 0, vac]) + edf)


A2S_INFO = b"\xff\xff\xff\xffTSource Engine Query\x00"


def stratum(obj: dict[str, object]) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode() + b"\n"


SUBSCRIBE = stratum({"id": 1, "method": "mining.subscribe", "params": ["cgminer/4.10.0"]})
XMRIG_LOGIN = stratum({"id": 1, "jsonrpc": "2.0", "method": "login", "params": {
    "login": "44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3XjrpDtQGv7SqSsaBYBb98u" + "N" * 23,
    "pass": "x", "agent": "XMRig/6.21.0 (Linux x86_64) libuv/1.44.2 gcc/13.2.1",
    "algo": ["rx/0"]}})  # fmt: skip
NOTIFY = stratum({"id": None, "method": "mining.notify", "params": [
    "bf", "4d16b6f85af6e2198f44ae2a6de67f78487ae5611b77c6c0440b921e00000000",
    "01000000010000", "072f736c7573682f00000000", [], "00000002", "1c2ac4af", "504e86b9",
    False]})  # fmt: skip


def dropbox(**changes: object) -> bytes:
    obj: dict[str, object] = {"host_int": 676879976, "version": [1, 8],
                              "displayname": "676879976", "port": 17500,
                              "namespaces": [50270899, 117353434]}
    obj.update(changes)
    return json.dumps({k: v for k, v in obj.items() if v is not None}).encode()


# (class, transport, payload): each is identified as its class by the registry
POSITIVES: list[tuple[type[Dissector], int, bytes]] = [
    (BitcoinDissector, TCP, BTC_VERSION),
    (BitcoinDissector, TCP, BTC_VERACK),
    (BitcoinDissector, TCP, btc(b"ping", struct.pack("<Q", 99), TESTNET3)),
    (BitcoinDissector, TCP, btc(b"sendcmpct", b"\x00" + struct.pack("<Q", 2), TESTNET4)),
    (BitcoinDissector, TCP, btc(b"wtxidrelay", b"", SIGNET) + btc(b"sendaddrv", b"", SIGNET)),
    (BitcoinDissector, TCP, btc(b"getaddr", b"", REGTEST) + REGTEST[:2]),
    (MoneroDissector, TCP, levin()),
    (MoneroDissector, TCP, levin(1001, reply=0, code=1, flags=2)),
    (MoneroDissector, TCP, levin(1002, size=17004)),  # the body continues in later segments
    (MoneroDissector, TCP, levin(1003, reply=0, code=-2, flags=2)),
    (MoneroDissector, TCP, levin(2002, reply=0)),
    (SteamDiscoveryDissector, UDP, steam()),
    (SteamDiscoveryDissector, UDP, steam(body=b"")),
    (SyncthingDiscoveryDissector, UDP, syncthing()),
    (SyncthingDiscoveryDissector, UDP, syncthing(rest=b"")),
    (SyncthingDiscoveryDissector, UDP, syncthing(rest=b"\x18\x01")),
    (SpotifyDiscoveryDissector, UDP, spotify()),
    (RakNetDissector, UDP, rak_ping()),
    (RakNetDissector, UDP, rak_ping(2)),
    (RakNetDissector, UDP, rak_pong()),
    (RakNetDissector, UDP, rak_pong(b"")),
    (RakNetDissector, UDP, rak_req1()),
    (RakNetDissector, UDP, rak_req1(6, 576)),
    (RakNetDissector, UDP, rak_rep1()),
    (RakNetDissector, UDP, rak_rep1(1, 576)),
    (RakNetDissector, UDP, rak_req2()),
    (RakNetDissector, UDP, rak_req2(ADDR6, 1400)),
    (RakNetDissector, UDP, rak_rep2()),
    (RakNetDissector, UDP, rak_rep2(ADDR6, 1492, 1)),
    (RakNetDissector, UDP, rak_data(rak_frame(RAK_PONG))),
    (RakNetDissector, UDP, rak_data(rak_frame(RAK_REQUEST, 2), header=0x80)),
    (RakNetDissector, UDP, rak_data(rak_frame(b"\x10" + bytes(93), 3),
                                    rak_frame(b"\xfe" + bytes(9), 3))),
    (RakNetDissector, UDP, rak_data(rak_frame(b"\xfe\x01", 4, split=(3, 0)))),
    (RakNetDissector, UDP, rak_data(rak_frame(b"\x00\x01", 7, split=(3, 2)))),
    (RakNetDissector, UDP, b"\xc0\x00\x01\x01\x02\x00\x00"),
    (RakNetDissector, UDP, b"\xa0\x00\x02\x00\x01\x00\x00\x05\x00\x00\x01\x09\x00\x00"),
    (EdonkeyDissector, TCP, ED2K_HELLO),
    (EdonkeyDissector, TCP, ED2K_LOGIN),
    (EdonkeyDissector, TCP, ED2K_HELLO_ANSWER),
    (EdonkeyDissector, TCP, ed2k(0x38, b"\x0b\x00server ver")),
    (EdonkeyDissector, TCP, ed2k(0x40, struct.pack("<II", 0x0A000001, 1))),
    (EdonkeyDissector, TCP, ed2k(0x01, b"\x40\x01" + ed2k_tags(), proto=0xC5)),
    (EdonkeyDissector, TCP, ed2k(0x02, b"\x40\x01" + ed2k_tags(), proto=0xC5)),
    (SourceEngineDissector, UDP, A2S_INFO),
    (SourceEngineDissector, UDP, A2S_INFO + b"\x4b\xa1\x7c\x0e"),
    (SourceEngineDissector, UDP, b"\xff\xff\xff\xffU\xff\xff\xff\xff"),
    (SourceEngineDissector, UDP, b"\xff\xff\xff\xffV\x4b\xa1\x7c\x0e"),
    (SourceEngineDissector, UDP, b"\xff\xff\xff\xffA\x4b\xa1\x7c\x0e"),
    (SourceEngineDissector, UDP, a2s_info_response()),
    (SourceEngineDissector, UDP, a2s_info_response(env=ord("w"), edf=b"\x80\x87\x69")),
    (GnutellaDissector, TCP, b"GNUTELLA CONNECT/0.6\r\nUser-Agent: LimeWire/4.12\r\n\r\n"),
    (GnutellaDissector, TCP, b"GNUTELLA/0.6 200 OK\r\nUser-Agent: gtk-gnutella\r\n\r\n"),
    (GnutellaDissector, TCP, b"GNUTELLA/0.6 503 Full\r\n\r\n"),
    (GnutellaDissector, TCP, b"GNUTELLA CONNECT/0.4\n\n"),
    (GnutellaDissector, TCP, b"GNUTELLA OK\n\n"),
    (StratumDissector, TCP, SUBSCRIBE),
    (StratumDissector, TCP, SUBSCRIBE + stratum({"id": 2, "method": "mining.authorize",
                                                 "params": ["worker1", "x"]})),
    (StratumDissector, TCP, stratum({"id": 2, "method": "mining.authorize", "params": ["w.1", "x"]})),
    (StratumDissector, TCP, stratum({"id": 1, "method": "mining.configure", "params": [
        ["version-rolling"], {"version-rolling.mask": "1fffe000"}]})),
    (StratumDissector, TCP, stratum({"id": 3, "method": "mining.extranonce.subscribe", "params": []})),
    (StratumDissector, TCP, XMRIG_LOGIN),
    (StratumDissector, TCP, stratum({"id": None, "method": "mining.set_difficulty", "params": [16]})),
    (StratumDissector, TCP, NOTIFY),
    (StratumDissector, TCP, stratum({"jsonrpc": "2.0", "method": "job", "params": {
        "blob": "0707f8", "job_id": "123", "target": "b88d0600", "height": 3000000}})),
    (DropboxLanSyncDissector, UDP, dropbox()),
    (DropboxLanSyncDissector, UDP, dropbox(version=[2, 0], namespaces=[])),
]  # fmt: skip

NEGATIVES: list[tuple[type[Dissector], int, bytes, str]] = [
    (BitcoinDissector, TCP, b"\xf9\xbe\xb4\xd8" + BTC_VERACK[4:], "unknown start string"),
    (BitcoinDissector, TCP, btc(b"Version", BTC_VERSION[24:]), "upper-case command"),
    (BitcoinDissector, TCP, btc(b"ver ack"), "space in the command"),
    (BitcoinDissector, TCP, btc(b"verack\x00x"), "bytes after the NUL padding"),
    (BitcoinDissector, TCP, btc(b""), "empty command"),
    (BitcoinDissector, TCP, btc(b"ping", struct.pack("<Q", 99), checksum=b"\x00" * 4), "bad checksum"),
    (BitcoinDissector, TCP, BTC_VERSION[:-1], "payload cut"),
    (BitcoinDissector, TCP, btc(b"ping", b"", size=0x02000001), "length over 32 MiB"),
    (BitcoinDissector, TCP, BTC_VERACK + TESTNET3, "next message of another network"),
    (MoneroDissector, TCP, b"\x02" + levin()[1:], "signature"),
    (MoneroDissector, TCP, levin(size=8), "body length 8"),
    (MoneroDissector, TCP, levin(size=100_000_001), "body over 100 MB"),
    (MoneroDissector, TCP, levin(reply=2), "have-to-return 2"),
    (MoneroDissector, TCP, levin(1008), "command 1008"),
    (MoneroDissector, TCP, levin(3001), "command 3001"),
    (MoneroDissector, TCP, levin(code=1), "request with a return code"),
    (MoneroDissector, TCP, levin(flags=2, reply=1), "response asking for a reply"),
    (MoneroDissector, TCP, levin(flags=2, reply=0, code=65), "return code 65"),
    (MoneroDissector, TCP, levin(flags=4), "fragment flag"),
    (MoneroDissector, TCP, levin(version=2), "protocol version 2"),
    (MoneroDissector, TCP, levin(body=b"\x01\x11\x01\x01\x01\x01\x02\x01\x02" + bytes(4)), "storage version 2"),
    (SteamDiscoveryDissector, UDP, b"\xff\xff\xff\xff\x21\x4c\x5f\xa1" + steam()[8:], "magic"),
    (SteamDiscoveryDissector, UDP, steam(body_size=11), "body length +1"),
    (SteamDiscoveryDissector, UDP, steam() + b"\x00", "a byte after the body"),
    (SteamDiscoveryDissector, UDP, steam(header=b""), "empty header"),
    (SteamDiscoveryDissector, UDP, steam(header=b"\x10\x01"), "header not starting with field 1"),
    (SteamDiscoveryDissector, UDP, steam(header=b"\x08" * 1025), "header over 1024 bytes"),
    (SyncthingDiscoveryDissector, UDP, syncthing(magic=b"\x2e\xa7\xd9\x0c"), "magic"),
    (SyncthingDiscoveryDissector, UDP, syncthing(device=bytes(31) + b"\x01\x12"), "device id of 33 bytes"),
    (SyncthingDiscoveryDissector, UDP, syncthing(rest=b"\x22\x00"), "field 4 after the id"),
    (SyncthingDiscoveryDissector, UDP, b"\x2e\xa7\xd9\x0b\x12\x20" + bytes(32), "field 2 first"),
    (SpotifyDiscoveryDissector, UDP, b"SpotUdp1" + spotify()[8:], "prefix"),
    (SpotifyDiscoveryDissector, UDP, spotify(fixed=b"\x00\x02\x00\x04"), "fixed bytes"),
    (SpotifyDiscoveryDissector, UDP, spotify(tail=25), "45 bytes"),
    (RakNetDissector, UDP, rak_ping(magic=RAKNET_MAGIC[:-1] + b"\x79"), "magic"),
    (RakNetDissector, UDP, rak_ping(3), "id 3"),
    (RakNetDissector, UDP, rak_ping() + b"\x00", "ping of 34 bytes"),
    (RakNetDissector, UDP, rak_pong(size=3), "pong string length"),
    (RakNetDissector, UDP, rak_pong(b"MCPE\x01;"), "unprintable pong string"),
    (RakNetDissector, UDP, rak_req1(version=0), "protocol version 0"),
    (RakNetDissector, UDP, rak_req1(version=33), "protocol version 33"),
    (RakNetDissector, UDP, rak_req1(pad=1), "non-zero padding"),
    (RakNetDissector, UDP, rak_req1(mtu=1501), "request 1 over 1500 bytes"),
    (RakNetDissector, UDP, rak_rep1(security=2), "security flag 2"),
    (RakNetDissector, UDP, rak_rep1(mtu=399), "MTU 399"),
    (RakNetDissector, UDP, rak_rep1(mtu=1501), "MTU 1501"),
    (RakNetDissector, UDP, rak_req2(addr=b"\x05" + ADDR4[1:]), "address version 5"),
    (RakNetDissector, UDP, rak_req2() + b"\x00", "request 2 with a byte more"),
    (RakNetDissector, UDP, rak_req2(mtu=60000), "request 2 MTU 60000"),
    (RakNetDissector, UDP, rak_rep2(security=2), "reply 2 security flag 2"),
    (RakNetDissector, UDP, rak_rep2()[:-1], "reply 2 cut"),
    (RakNetDissector, UDP, b"\x09" + rak_rep1()[1:], "id 9"),
    (RakNetDissector, UDP, rak_data(rak_frame(RAK_PONG)) + b"\x00", "a byte past the frames"),
    (RakNetDissector, UDP, rak_data(rak_frame(RAK_PONG))[:-1], "a frame cut"),
    (RakNetDissector, UDP, rak_data(rak_frame(RAK_PONG), header=0x90), "header 0x90"),
    (RakNetDissector, UDP, rak_data(rak_frame(RAK_PONG, flags=1)), "flags' low nibble"),
    (RakNetDissector, UDP, rak_data(rak_frame(RAK_PONG, bits=135)), "a size not in bytes"),
    (RakNetDissector, UDP, rak_data(rak_frame(RAK_PONG + b"\x00")), "a pong of 18 bytes"),
    (RakNetDissector, UDP, rak_data(rak_frame(b"\x00" + bytes(31))), "a ping of 32 bytes"),
    (RakNetDissector, UDP, rak_data(rak_frame(b"\x09" + bytes(16))), "a request of 17 bytes"),
    (RakNetDissector, UDP, rak_data(rak_frame(b"\x42" + bytes(9))), "internal message 0x42"),
    (RakNetDissector, UDP, rak_data(rak_frame(b"\xfe", split=(3, 3))), "split index = count"),
    (RakNetDissector, UDP, rak_data(rak_frame(b"\x42", split=(3, 0))), "first piece 0x42"),
    (RakNetDissector, UDP, b"\xc0\x00\x00", "ACK of no record"),
    (RakNetDissector, UDP, b"\xc0\x00\x02\x01\x02\x00\x00", "ACK missing a record"),
    (RakNetDissector, UDP, b"\xc0\x00\x01\x00\x05\x00\x00\x01\x00\x00", "ACK range backwards"),
    (RakNetDissector, UDP, b"\xc0\x00\x01\x02\x02\x00\x00", "ACK record kind 2"),
    # a DNS query of 39 bytes whose id starts 0x8x walks as one frame of 32 bytes; its body
    # (the answer count's low byte, 0: a connected ping) is not a ping's 9 bytes
    (RakNetDissector, UDP, b"\x84\x21\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00"
     + b"\x0bmetrics-api\x07example\x03com\x00\x00\x01\x00\x01"[:27], "a DNS query"),
    (EdonkeyDissector, TCP, b"\xe4" + ED2K_HELLO[1:], "protocol byte 0xe4"),
    (EdonkeyDissector, TCP, ED2K_HELLO + b"\x00", "length != segment - 5"),
    (EdonkeyDissector, TCP, ed2k(0x99, b"\x00" * 8), "opcode 0x99"),
    (EdonkeyDissector, TCP, ed2k(0x4C, b"", proto=0xC5), "eMule opcode 0x4c"),
    (EdonkeyDissector, TCP, ed2k(0x01, b"\x10" + ED2K_HASH + bytes(6) + struct.pack("<I", 65)), "65 tags"),
    (EdonkeyDissector, TCP, ed2k(0x4C, ED2K_HASH), "hello answer without a tag count"),
    (SourceEngineDissector, UDP, b"\xff\xff\xff\xfeTSource Engine Query\x00", "split header"),
    (SourceEngineDissector, UDP, A2S_INFO.replace(b"Query", b"query"), "query string"),
    (SourceEngineDissector, UDP, A2S_INFO + b"\x01", "26 bytes"),
    (SourceEngineDissector, UDP, b"\xff\xff\xff\xffU\xff\xff\xff", "player request of 8 bytes"),
    (SourceEngineDissector, UDP, b"\xff\xff\xff\xffA\x4b\xa1\x7c\x0e\x00", "challenge of 10 bytes"),
    (SourceEngineDissector, UDP, b"\xff\xff\xff\xffW\x4b\xa1\x7c\x0e", "kind W"),
    (SourceEngineDissector, UDP, a2s_info_response(players=33), "more players than slots"),
    (SourceEngineDissector, UDP, a2s_info_response(kind=ord("x")), "server type x"),
    (SourceEngineDissector, UDP, a2s_info_response(env=ord("z")), "environment z"),
    (SourceEngineDissector, UDP, a2s_info_response(vac=2), "VAC 2"),
    (SourceEngineDissector, UDP, a2s_info_response((b"a\x01b", b"m", b"f", b"g")), "control byte in the name"),
    (SourceEngineDissector, UDP, a2s_info_response()[:-3], "info response cut"),
    (GnutellaDissector, TCP, b"GNUTELLA CONNECT/0.6\n\n", "0.6 with LF only"),
    (GnutellaDissector, TCP, b"GNUTELLA CONNECT/0.5\r\n\r\n", "version 0.5"),
    (GnutellaDissector, TCP, b"GNUTELLA CONNECT/0.4\n\nx", "0.4 with a byte more"),
    (GnutellaDissector, TCP, b"GNUTELLA/0.6 099 OK\r\n\r\n", "status 099"),
    (GnutellaDissector, TCP, b"GNUTELLA/0.6 2000 OK\r\n\r\n", "four-digit status"),
    (GnutellaDissector, TCP, b"gnutella connect/0.6\r\n\r\n", "lower case"),
    (StratumDissector, TCP, SUBSCRIBE[:-1], "no line end"),
    (StratumDissector, TCP, stratum({"method": "mining.subscribe", "params": []}), "request without id"),
    (StratumDissector, TCP, stratum({"id": 1, "method": "mining.submit", "params": []}), "mining.submit first"),
    (StratumDissector, TCP, stratum({"id": 1, "method": "eth_submitLogin", "params": []}), "other method"),
    (StratumDissector, TCP, SUBSCRIBE.replace(b"[", b"{", 1).replace(b"]", b"}", 1), "bad JSON"),
    (StratumDissector, TCP, stratum({"id": 1, "method": "mining.subscribe", "params": {}}), "params an object"),
    (StratumDissector, TCP, stratum({"id": 1, "method": "mining.authorize", "params": ["a", "b", "c"]}), "authorize with 3 params"),
    (StratumDissector, TCP, stratum({"id": 1, "method": "login", "params": {"login": "x"}}), "login without pass"),
    (StratumDissector, TCP, stratum({"method": "job", "params": {"blob": "00", "job_id": "1"}}), "job without target"),
    (StratumDissector, TCP, stratum({"method": "mining.set_difficulty", "params": ["16"]}), "difficulty a string"),
    (StratumDissector, TCP, stratum({"method": "mining.notify", "params": ["a"]}), "notify with 1 param"),
    (StratumDissector, TCP, b"[" + SUBSCRIBE[:-1] + b"]\n", "a JSON array"),
    (StratumDissector, TCP, b'{"note": "mining.subscribe", "method": 1}\n', "method not a string"),
    (DropboxLanSyncDissector, UDP, dropbox(host_int="676879976"), "host_int a string"),
    (DropboxLanSyncDissector, UDP, dropbox(host_int=True), "host_int a boolean"),
    (DropboxLanSyncDissector, UDP, dropbox(version=[1, 8, 0]), "version of 3 numbers"),
    (DropboxLanSyncDissector, UDP, dropbox(version=None), "no version"),
    (DropboxLanSyncDissector, UDP, dropbox(namespaces=["a"]), "namespace a string"),
    (DropboxLanSyncDissector, UDP, dropbox(namespaces=None, displayname="namespaces"), "no namespaces"),
    (DropboxLanSyncDissector, UDP, dropbox()[:-1], "object not closed"),
    (DropboxLanSyncDissector, UDP, dropbox(displayname="x" * 5000), "over 4096 bytes"),
    (DropboxLanSyncDissector, UDP, b" " + dropbox(), "leading space"),
]  # fmt: skip


def _accepted_prefixes(cls: type[Dissector], payload: bytes) -> tuple[bool, set[int]]:
    """(whether appended junk is refused, the prefix lengths that may still be accepted:
    whole messages, or the variable tail of a message whose fixed part is whole)."""
    n = len(payload)
    if cls is BitcoinDissector:
        first = 24 + struct.unpack("<I", payload[16:20])[0]  # later messages: magic only
        return first == n, set(range(first, n))
    if cls is MoneroDissector:
        return False, set(range(42, n))
    if cls is SyncthingDiscoveryDissector:
        return False, set(range(38, n))
    if cls is RakNetDissector and payload[0] == 5:
        return True, set(range(18, n))
    if cls is RakNetDissector and 0x80 <= payload[0] <= 0x8F:  # cut at a frame's end
        ends, pos = set(), 4
        while pos < n:
            flags, rel = payload[pos], payload[pos] >> 5
            pos += (3 + 3 * (rel in (2, 3, 4, 6, 7)) + 3 * (rel in (1, 4)) + 4 * (rel in (1, 3, 4, 7))
                    + 10 * bool(flags & 0x10) + struct.unpack(">H", payload[pos + 1:pos + 3])[0] // 8)
            ends.add(pos)
        return True, ends - {n}
    if cls is SourceEngineDissector and payload[4] == ord("T"):
        return True, {25}
    if cls is SourceEngineDissector and payload[4] == ord("I"):
        pos = 6
        for _ in range(4):
            pos = payload.index(b"\x00", pos) + 1
        return False, set(range(pos + 9, n))
    if cls is GnutellaDissector:
        if payload.startswith(b"GNUTELLA CONNECT/0.6"):
            return False, set(range(22, n))
        if payload.startswith(b"GNUTELLA/0.6 "):
            return False, set(range(18, n))
        return True, set()
    if cls is StratumDissector:
        return False, set(range(payload.index(b"\n") + 1, n))
    return True, set()


@sf.positives(POSITIVES)
def test_positive_identified_on_any_ports(case: tuple[type[Dissector], int, bytes]) -> None:
    """Identification is by content: well-known ports and random high ports alike."""
    sf.check_identified_on_any_ports(*case, P2P_SIGNATURES)


@sf.negatives(NEGATIVES)
def test_negative_one_fact_broken(case: tuple[type[Dissector], int, bytes, str]) -> None:
    sf.check_refuses(*case)


@sf.positives(POSITIVES)
def test_truncations_and_trailing_junk(case: tuple[type[Dissector], int, bytes]) -> None:
    """Every prefix gives a bool; prefixes cutting the fixed part are refused; exact-length
    tests refuse appended junk."""
    cls, proto, payload = case
    # (RakNet's open connection request is padded to the MTU: one more zero is padding)
    sf.check_truncations(cls, proto, payload, *_accepted_prefixes(cls, payload),
                         one_zero=cls is not RakNetDissector)


@sf.positives(POSITIVES)
def test_feed_is_identification_only(case: tuple[type[Dissector], int, bytes]) -> None:
    sf.check_feed_identification_only(*case)


def test_module_facts() -> None:
    names = [c.name for c in P2P_SIGNATURES]
    assert names == ["bitcoin", "monero", "steam", "syncthing", "spotify", "raknet",
                     "edonkey", "source_engine", "gnutella", "stratum", "dropbox_lansync"]
    assert all(c in registry.DISSECTORS for c in P2P_SIGNATURES)
    for cls in P2P_SIGNATURES:
        assert cls.transports <= {TCP, UDP} and cls.ports and cls.__doc__
        assert "matches" in cls.__doc__ and cls.first_bytes


def test_dropbox_leaves_coap_alone() -> None:
    """A CoAP confirmable POST with a JSON payload on 17500 is not a LAN-sync beacon."""
    coap = b"\x44\x02\x35\x01\x6f\x52\x4d\x72\xb4test\xff" + dropbox()
    assert not DropboxLanSyncDissector.matches(coap, UDP, True)
    found = registry.identify(coap, UDP, True, 50311, 17500)
    assert found is None or found.name == "coap"


@pytest.mark.parametrize("cls", P2P_SIGNATURES, ids=sf.name_of)
@sf.random_payloads
def test_random_bytes_do_not_match(cls: type[Dissector], payload: bytes, proto: int,
                                   from_orig: bool) -> None:
    """Random payloads and other protocols' first payloads are refused."""
    sf.check_refuses_random(cls, payload, proto, from_orig)


@sf.FUZZ
@given(st.sampled_from(P2P_SIGNATURES), sf.PROTOS, sf.FUZZ_BYTES, sf.STEPS)
def test_fuzz_random_bytes(cls: type[Dissector], proto: int, data: bytes, step: int) -> None:
    sf.fuzz_invariant(cls, proto, data, step)


@sf.FUZZ
@given(st.sampled_from(range(len(POSITIVES))), sf.EDITS)
def test_fuzz_mutated_positives(index: int, edits: list[tuple[int, int, int]]) -> None:
    """Valid samples with bytes changed reach the deep checks without raising."""
    _, proto, payload = POSITIVES[index]
    sf.fuzz_mutated(P2P_SIGNATURES, proto, payload, edits)


# --- real captures --------------------------------------------------------------------------

DATA, CFGS = sf.DATA, sf.CFGS
TRACES = DATA / "zeek" / "testing" / "btest" / "Traces"
needs_data = sf.needs_data

NDPI_LABELS = {
    "bitcoin": {"Bitcoin"}, "monero": {"Monero"}, "stratum": {"Mining"},
    "spotify": {"Spotify"}, "steam": {"Steam"}, "source_engine": {"Source_Engine"},
    "syncthing": {"Syncthing"}, "dropbox_lansync": {"Dropbox"}, "gnutella": {"Gnutella"},
    "edonkey": {"eDonkey"}, "raknet": {"RakNet"},
}  # fmt: skip
"""nDPI's master-protocol labels per service."""


# (hits, total) on the flows nDPI labels with the service. Misses, each explained:
# - spotify 3/4: spotify_tcp.pcap's flow is Spotify's TCP 4070 stream (encrypted framing):
#   only the UDP 57621 LAN beacon is claimed.
# - dropbox_lansync 4/8: the 4 flows of coap_mqtt.pcap on UDP 17500 are CoAP (version 1
#   headers, a JSON body after the 0xff marker) that nDPI names Dropbox by port; not beacons.
# - raknet 9/10: the miss starts with a 0x1c "pong" whose magic bytes are replaced by a
#   pattern (0x33 * 16): no offline message id.
# - bitcoin, stratum, gnutella 0/0: no nDPI capture carries them under that label.
NDPI_EXPECTED = {
    "bitcoin": (0, 0), "monero": (4, 4), "stratum": (0, 0), "spotify": (3, 4),
    "steam": (1, 1), "source_engine": (17, 17), "syncthing": (4, 4),
    "dropbox_lansync": (4, 8), "gnutella": (0, 0), "edonkey": (1, 1), "raknet": (9, 10),
}  # fmt: skip


@needs_data
def test_ndpi_positives() -> None:
    assert sf.ndpi_hits(P2P_SIGNATURES, NDPI_LABELS) == NDPI_EXPECTED


# Other captures holding a service: (files, ports, hits, total).
OTHER: dict[str, tuple[list[Path], set[int], int, int]] = {
    # zeek's Gnutella handshakes (a CONNECT/0.6 with over-long header lines)
    "gnutella": ([TRACES / "gnutella/max-header.pcapng", TRACES / "gnutella/max-line.pcapng"], {6346}, 2, 2),
    # nfstream's monero.pcap (labelled Mining in its results): two zcash miners' sessions
    # to flypool on 3333, mining.subscribe from EWBF 0.3.4b
    "stratum": ([DATA / "nfstream/tests/pcaps/monero.pcap"], {3333}, 2, 2),
}  # fmt: skip


@needs_data
@pytest.mark.parametrize("name", sorted(OTHER))
def test_other_captures(name: str) -> None:
    sf.check_other_captures(P2P_SIGNATURES, name, OTHER[name])


EXPLAINED: dict[tuple[str, str], str] = {
    ("raknet", "Unknown"): "raknet.pcap: 2 flows of RakNet connected datagrams that nDPI "
    "leaves unknown (a connection request accepted, 0x10, and a new incoming connection, "
    "0x13, in reliable ordered frames; the same client and server as its RakNet flows)",
}
"""Hits on flows nDPI labels with another protocol, each explained."""


@needs_data
def test_negative_corpus() -> None:
    """No class claims a flow nDPI labels with another protocol."""
    hits, unlabelled = sf.corpus_hits(P2P_SIGNATURES, NDPI_LABELS)
    assert set(hits) <= set(EXPLAINED)
    assert hits == {("raknet", "Unknown"): 2}
    # flows without an nDPI label: the Dropbox and Spotify beacons of nfstream's copies of
    # android.pcap, wa_voice.pcap and whatsapp_login_chat.pcap, a Dropbox beacon of zeek's
    # var-services-std-ports.pcap, the 2 Gnutella handshakes and the 2 Stratum sessions above
    assert dict(unlabelled) == {"dropbox_lansync": 4, "spotify": 3, "gnutella": 2, "stratum": 2}


NEW_SIDES: dict[str, int] = {
    "source_engine": 17, "dropbox_lansync": 8, "monero": 8, "raknet": 14, "spotify": 6,
    "syncthing": 4, "edonkey": 2, "gnutella": 2, "stratum": 2, "steam": 1,
}  # fmt: skip
"""First payloads (per side) the registry names only with these classes, per service
(both sides of the 4 Monero and the eDonkey flows; RakNet's request / reply pairs and the
first sides of 6 flows of connected datagrams)."""


@needs_data
def test_registry_without_and_with_these_classes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing identified without these classes changes identity with them; the flows they
    add, per service."""
    changed, new = sf.registry_changes(monkeypatch, P2P_SIGNATURES)
    assert changed == Counter()
    assert dict(new) == NEW_SIDES
