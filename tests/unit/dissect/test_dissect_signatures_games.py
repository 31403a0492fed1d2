"""Signatures of online games and game networking (``signatures_games``): netcode.io, World
of Warcraft, Genshin Impact, CryNetwork, Steam Datagram Relay, Photon, ZUG, Heroes of the
Storm, Among Us, KCP.

Synthetic messages are built field by field from the descriptions the classes cite (or, for
the proprietary protocols, from the fields every observed flow shares); each negative breaks
one checked fact. Real captures: the flows nDPI labels with each service, the other captures
holding it, a negative corpus (flows nDPI labels with another protocol) and the registry with
and without these classes (nothing changes identity).

The generic checks (and the fuzz invariant) are ``wl_signature_family``'s; this file holds
the family's messages, tables, expected counts and its own tests.
"""

from __future__ import annotations

import struct
from collections import Counter
from pathlib import Path

import pytest
import wl_signature_family as sf
from hypothesis import given
from hypothesis import strategies as st

from wirelens.dissect import registry
from wirelens.dissect.base import Dissector
from wirelens.dissect.signatures_games import (
    GAME_SIGNATURES,
    AmongUsDissector,
    CryNetworkDissector,
    GenshinImpactDissector,
    HeroesOfTheStormDissector,
    KcpDissector,
    NetcodeDissector,
    PhotonDissector,
    SteamDatagramRelayDissector,
    WorldOfWarcraftDissector,
    ZugDissector,
)

TCP, UDP = 6, 17

# --- builders (facts from the descriptions cited in the classes) ----------------------------


def netcode(version: bytes = b"NETCODE 1.02\x00", prefix: int = 0, token: int = 1024) -> bytes:
    """Prefix byte, version info, protocol id, expire timestamp, nonce, encrypted token."""
    return (bytes([prefix]) + version + struct.pack("<QQ", 0x1122334455667788, 1_700_000_000)
            + bytes(range(24)) + bytes((i * 7) & 0xFF for i in range(token)))


def wow(text: bytes = b"WORLD OF WARCRAFT CONNECTION - SERVER TO CLIENT",
        size: int | None = None) -> bytes:
    """LE u16 size, the initialisation string and its NUL."""
    body = text + b"\x00"
    return struct.pack("<H", len(body) if size is None else size) + body


def hoyo(kind: int = 0xFF, conv: int = 0, token: int = 0, magic: int = 1234567890,
         close: int | None = None) -> bytes:
    """Five BE u32 words: kind, conversation id, token, magic, closing word."""
    closes = {0xFF: 0xFFFFFFFF, 0x145: 0x14514545, 0x194: 0x19419494}
    return struct.pack(">5I", kind, conv, token, magic, closes.get(kind, 0) if close is None
                       else close)


CRY_FIXED = b"\x01\x00\x00\x00\x07\x00\x00\x00\x03\x07\x00\x00\x00"


def cry_request(build: bytes = b"\x08\xed", tag: int = 4, tag2: int | None = None,
                fixed: bytes = CRY_FIXED, tail: int = 32) -> bytes:
    """The 70-byte client request of the observed layout."""
    return (b"\x3c\x00\x00" + build + bytes(11) + fixed + bytes([tag]) + bytes(7)
            + bytes([tag if tag2 is None else tag2]) + bytes((i * 37 + 11) & 0xFF
                                                             for i in range(tail)))


def cry_reply(kind: int = 2, fixed: bytes = b"\x00\x00\x00\x01", lead: bytes = bytes(31)
              ) -> bytes:
    """The 133-byte server reply of the observed layout."""
    return (b"\x87" + lead + bytes([kind]) + bytes((i * 13 + 5) & 0xFF or 1 for i in range(64))
            + fixed + bytes((i * 29 + 3) & 0xFF for i in range(32)))


def sdr_ping(second: int = 0x81, size: int = 100, tag: bytes = b"sdping", kind: int = 1) -> bytes:
    """Message id, a byte, the tag, a few fields, zero padding."""
    head = bytes([kind, second]) + tag + b"\x7e\xbe\x62\x7e\xc7\x28\x88\x17" + bytes(4)
    return (head + bytes(max(0, size - len(head))))[:size]


def photon_cmd(kind: int, body: bytes = b"", channel: int = 0, flags: int = 1,
               reserved: int = 0, seq: int = 1, size: int | None = None) -> bytes:
    """eNet command: type, channel, flags, reserved, BE length (whole command), sequence."""
    return (bytes([kind, channel, flags, reserved])
            + struct.pack(">II", 12 + len(body) if size is None else size, seq) + body)


def photon(*commands: bytes, peer: int = 0xFFFF, crc: int = 0, count: int | None = None
           ) -> bytes:
    """eNet header: peer id, CRC flag, command count, sent time, challenge; commands."""
    return (struct.pack(">HBBII", peer, crc, len(commands) if count is None else count,
                        0x0422B6E6, 0xBA02FF01) + b"".join(commands))


ACK = photon_cmd(1, struct.pack(">II", 1, 0x7DFBD185), channel=0xFF, flags=0)
CONNECT = photon_cmd(2, struct.pack(">HHI", 1200, 0x8000, 2) + bytes(24), channel=0xFF,
                     reserved=4)
VERIFY = photon_cmd(3, struct.pack(">HHI", 0x2C, 0xBBC8, 0x04B0) + bytes(24), channel=0xFF)
RELIABLE = photon_cmd(6, b"\xf3\x02\xe6\x00\x01\x08" + bytes(20), seq=2)
UNRELIABLE = photon_cmd(7, struct.pack(">I", 5) + b"\xf3\x04\x01\x00", flags=0)
FRAGMENT = photon_cmd(8, struct.pack(">IIIII", 5, 5, 11, 4500, 0) + bytes(1156))
PING = photon_cmd(5, channel=0xFF)
SERVER_TIME = photon_cmd(12, channel=0xFF)
DISCONNECT = photon_cmd(4, channel=0xFF)
REGION_PING = b"\x7d" * 12 + b"\x12"


def zug(size: int = 122, inner: int | None = None, tag: bytes = b"UG\x10",
        length: int | None = None) -> bytes:
    """BE length, tag, 3 variable bytes, BE inner length, opaque bytes."""
    head = struct.pack(">H", size if length is None else length) + tag + b"\xae\xa0\x41"
    head += struct.pack(">H", size - 12 if inner is None else inner)
    return head + bytes((i * 91 + 7) & 0xFF for i in range(size - len(head)))


def hots(size: int = 32, prefix: bytes = bytes(14) + b"\x40\x00") -> bytes:
    """The observed server datagram: 14 zero bytes, 0x40 0x00, opaque bytes."""
    return prefix + bytes((i * 53 + 17) & 0xFF or 1 for i in range(size - 16))


def au_version(year: int = 2020, month: int = 9, day: int = 3, rev: int = 2) -> int:
    return year * 25000 + month * 1800 + day * 50 + rev


def among_us(version: int | None = None, name: bytes = b"AAAAAA", hazel: int = 0,
             extra: bytes = b"", option: int = 0x08, size: int | None = None) -> bytes:
    """Hazel Hello: send option, BE nonce, Hazel version; LE client version, name."""
    return (bytes([option]) + struct.pack(">HB", 1, hazel)
            + struct.pack("<i", au_version() if version is None else version)
            + bytes([len(name) if size is None else size]) + name + extra)


def kcp(cmd: int = 81, data: bytes = b"", conv: int = 10, frg: int = 0, wnd: int = 128,
        sn: int = 0, una: int = 0, size: int | None = None) -> bytes:
    """One KCP segment: conv, cmd, frg, wnd, ts, sn, una, len (little-endian), data."""
    return struct.pack("<IBBHIIII", conv, cmd, frg, wnd, 0x17E8, sn, una,
                       len(data) if size is None else size) + data


KCP_DATA = bytes(range(256)) * 5 + bytes(range(168))  # 1448 bytes: a full segment

# (class, transport, payload): each is identified as its class by the registry
POSITIVES: list[tuple[type[Dissector], int, bytes]] = [
    (NetcodeDissector, UDP, netcode()),
    (WorldOfWarcraftDissector, TCP, wow()),
    (WorldOfWarcraftDissector, TCP, wow(b"WORLD OF WARCRAFT CONNECTION - CLIENT TO SERVER")),
    (GenshinImpactDissector, UDP, hoyo()),
    (GenshinImpactDissector, UDP, hoyo(token=0xBA9AC4CD)),
    (GenshinImpactDissector, UDP, hoyo(0x145, 0x03183232, 0x3A0DA215)),
    (GenshinImpactDissector, UDP, hoyo(0x194, 0x03183232, 0x3A0DA215)),
    (CryNetworkDissector, UDP, cry_request()),
    (CryNetworkDissector, UDP, cry_request(b"\x0b\xf6", 9)),
    (CryNetworkDissector, UDP, cry_reply()),
    (SteamDatagramRelayDissector, UDP, sdr_ping()),
    (SteamDatagramRelayDissector, UDP, sdr_ping(0x01, 1300)),
    (SteamDatagramRelayDissector, UDP, sdr_ping(size=16)),
    (PhotonDissector, UDP, photon(CONNECT)),
    (PhotonDissector, UDP, photon(ACK, VERIFY, peer=0)),
    (PhotonDissector, UDP, photon(ACK, RELIABLE, peer=0x019D)),
    (PhotonDissector, UDP, photon(ACK, RELIABLE, SERVER_TIME, peer=0x4182)),
    (PhotonDissector, UDP, photon(FRAGMENT, peer=0)),
    (PhotonDissector, UDP, photon(UNRELIABLE, PING, peer=0x16E6)),
    (PhotonDissector, UDP, photon(ACK, peer=0x3E4D)),
    (PhotonDissector, UDP, photon(DISCONNECT, peer=7)),
    (PhotonDissector, UDP, REGION_PING),
    (ZugDissector, UDP, zug()),
    (ZugDissector, UDP, zug(122, 105)),
    (ZugDissector, UDP, zug(410, 392)),
    (ZugDissector, UDP, zug(12, 0)),
    (HeroesOfTheStormDissector, UDP, hots()),
    (HeroesOfTheStormDissector, UDP, hots(20)),
    (HeroesOfTheStormDissector, UDP, hots(1500)),
    (AmongUsDissector, UDP, among_us()),
    (AmongUsDissector, UDP, among_us(au_version(2024, 4, 30, 0), b"Crewmate", hazel=1,
                                     extra=struct.pack("<IIB", 0, 1, 1) + b"\x00\x02\x00\x02")),
    (AmongUsDissector, UDP, among_us(name="Jérôme".encode())),
    (KcpDissector, UDP, kcp(81, KCP_DATA, frg=2)),
    (KcpDissector, UDP, kcp(82, wnd=127, sn=1)),
    (KcpDissector, UDP, kcp(82, sn=1) + kcp(82, sn=2) + kcp(81, b"hello", sn=5)),
    (KcpDissector, UDP, kcp(83)),
    (KcpDissector, UDP, kcp(84, conv=0xDEADBEEF)),
    (KcpDissector, UDP, kcp(81, b"abc", frg=1) + kcp(81, b"de", sn=1)),
]  # fmt: skip

NEGATIVES: list[tuple[type[Dissector], int, bytes, str]] = [
    (NetcodeDissector, UDP, netcode(prefix=1), "prefix byte 1"),
    (NetcodeDissector, UDP, netcode(b"NETCODE 1.01\x00"), "version 1.01"),
    (NetcodeDissector, UDP, netcode(b"NETCODE 1.02 "), "no NUL after the version"),
    (NetcodeDissector, UDP, netcode(token=1023), "one byte short"),
    (NetcodeDissector, UDP, netcode(token=1025), "one byte more"),
    (WorldOfWarcraftDissector, TCP, wow(size=47), "size 47"),
    (WorldOfWarcraftDissector, TCP, wow()[:-1] + b"\n", "no NUL"),
    (WorldOfWarcraftDissector, TCP, wow(b"WORLD OF WARCRAFT CONNECTION - SERVER TO CLIENS"), "string changed"),
    (WorldOfWarcraftDissector, TCP, wow(b"world of warcraft connection - server to client"), "lower case"),
    (GenshinImpactDissector, UDP, hoyo(magic=1234567891), "magic"),
    (GenshinImpactDissector, UDP, hoyo(close=0x14514545), "connect closed by another word"),
    (GenshinImpactDissector, UDP, hoyo(0x146, close=0x14514545), "unknown kind"),
    (GenshinImpactDissector, UDP, hoyo() + b"\x00", "21 bytes"),
    (CryNetworkDissector, UDP, b"\x3d" + cry_request()[1:], "request first byte"),
    (CryNetworkDissector, UDP, cry_request()[:1] + b"\x01" + cry_request()[2:], "byte 1 not zero"),
    (CryNetworkDissector, UDP, cry_request()[:10] + b"\x01" + cry_request()[11:], "byte 10 not zero"),
    (CryNetworkDissector, UDP, cry_request(fixed=CRY_FIXED[:4] + b"\x08" + CRY_FIXED[5:]), "fixed bytes"),
    (CryNetworkDissector, UDP, cry_request(tag=0), "tag byte zero"),
    (CryNetworkDissector, UDP, cry_request(tag2=5), "tag not repeated"),
    (CryNetworkDissector, UDP, cry_request()[:33] + b"\x01" + cry_request()[34:], "byte 33 not zero"),
    (CryNetworkDissector, UDP, cry_request() + b"\x00", "request of 71 bytes"),
    (CryNetworkDissector, UDP, cry_reply(kind=3), "reply byte 32"),
    (CryNetworkDissector, UDP, cry_reply(fixed=b"\x00\x00\x00\x02"), "reply bytes 97-100"),
    (CryNetworkDissector, UDP, cry_reply(lead=bytes(30) + b"\x01"), "reply byte 31 not zero"),
    (CryNetworkDissector, UDP, cry_reply()[:-1], "reply of 132 bytes"),
    (SteamDatagramRelayDissector, UDP, sdr_ping(kind=2), "message id 2"),
    (SteamDatagramRelayDissector, UDP, sdr_ping(tag=b"sdpong"), "tag"),
    (SteamDatagramRelayDissector, UDP, sdr_ping(size=1501), "over 1500 bytes"),
    (SteamDatagramRelayDissector, UDP, sdr_ping()[:15], "15 bytes"),
    (PhotonDissector, UDP, photon(CONNECT, crc=0xCC), "CRC flag"),
    (PhotonDissector, UDP, photon(CONNECT, count=0), "no command"),
    (PhotonDissector, UDP, photon(CONNECT, count=2), "one command missing"),
    (PhotonDissector, UDP, photon(*[PING] * 101), "101 commands"),
    (PhotonDissector, UDP, photon(photon_cmd(9, bytes(20))), "command type 9"),
    (PhotonDissector, UDP, photon(photon_cmd(0, bytes(20))), "command type 0"),
    (PhotonDissector, UDP, photon(ACK[:7] + b"\x18" + ACK[8:] + bytes(4)), "acknowledge of 24"),
    (PhotonDissector, UDP, photon(photon_cmd(5, bytes(4))), "ping with a body"),
    (PhotonDissector, UDP, photon(photon_cmd(12, bytes(4))), "server time with a body"),
    (PhotonDissector, UDP, photon(photon_cmd(7, b"abc")), "unreliable of 15"),
    (PhotonDissector, UDP, photon(photon_cmd(8, bytes(19))), "fragment of 31"),
    (PhotonDissector, UDP, photon(photon_cmd(6, size=11)), "length 11"),
    (PhotonDissector, UDP, photon(ACK, RELIABLE) + b"\x00", "a byte after the commands"),
    (PhotonDissector, UDP, photon(photon_cmd(6, bytes(8), size=21)), "length past the end"),
    (PhotonDissector, UDP, b"\x7d" * 11 + b"\x7e\x12", "region ping byte 11"),
    (PhotonDissector, UDP, REGION_PING + b"\x00", "region ping of 14 bytes"),
    (ZugDissector, UDP, zug(length=121), "length 121"),
    (ZugDissector, UDP, zug(length=123), "length 123"),
    (ZugDissector, UDP, zug(tag=b"UG\x11"), "tag"),
    (ZugDissector, UDP, zug(tag=b"ZG\x10"), "tag byte 2"),
    (ZugDissector, UDP, zug(inner=113), "inner length too long"),
    (ZugDissector, UDP, zug(1536), "over 1535 bytes"),
    (ZugDissector, UDP, zug()[:11], "11 bytes"),
    (HeroesOfTheStormDissector, UDP, hots(prefix=bytes(13) + b"\x01\x40\x00"), "byte 13 not zero"),
    (HeroesOfTheStormDissector, UDP, hots(prefix=bytes(14) + b"\x41\x00"), "byte 14"),
    (HeroesOfTheStormDissector, UDP, hots(prefix=bytes(14) + b"\x40\x01"), "byte 15"),
    (HeroesOfTheStormDissector, UDP, hots(19), "19 bytes"),
    (HeroesOfTheStormDissector, UDP, hots(1501), "over 1500 bytes"),
    (AmongUsDissector, UDP, among_us(option=0x09), "send option"),
    (AmongUsDissector, UDP, among_us(hazel=2), "Hazel version 2"),
    (AmongUsDissector, UDP, among_us(au_version(2017, 12, 1, 0)), "year 2017"),
    (AmongUsDissector, UDP, among_us(au_version(2041, 1, 1, 0)), "year 2041"),
    (AmongUsDissector, UDP, among_us(au_version(2020, 13, 1, 0)), "month 13"),
    (AmongUsDissector, UDP, among_us(au_version(2020, 1, 32, 0)), "day 32"),
    (AmongUsDissector, UDP, among_us(-5), "negative version"),
    (AmongUsDissector, UDP, among_us(name=b""), "empty name"),
    (AmongUsDissector, UDP, among_us(name=b"A" * 33), "name of 33"),
    (AmongUsDissector, UDP, among_us(size=7), "name cut"),
    (AmongUsDissector, UDP, among_us(name=b"AA\x01AA"), "control byte in the name"),
    (AmongUsDissector, UDP, among_us(name=b"AA\xffAA"), "name not UTF-8"),
    (KcpDissector, UDP, kcp(80), "command 80"),
    (KcpDissector, UDP, kcp(85), "command 85"),
    (KcpDissector, UDP, kcp(82, frg=1), "ack with a fragment count"),
    (KcpDissector, UDP, kcp(82, b"x"), "ack with data"),
    (KcpDissector, UDP, kcp(81, b"hello", size=6), "length past the end"),
    (KcpDissector, UDP, kcp(81, b"hello", size=4), "a byte after the data"),
    (KcpDissector, UDP, kcp(82) + kcp(82, conv=11), "two conversations"),
    (KcpDissector, UDP, kcp(82) + kcp(85), "second command 85"),
    (KcpDissector, UDP, kcp(82) + kcp(82)[:23], "second header cut"),
    (KcpDissector, UDP, kcp(82) * 65, "65 segments"),
]  # fmt: skip


def _accepted_prefixes(cls: type[Dissector], payload: bytes) -> tuple[bool, set[int]]:
    """(whether appended junk is refused, the prefix lengths that may still be accepted:
    whole messages, or the variable tail of a message whose fixed part is whole)."""
    n = len(payload)
    if cls is WorldOfWarcraftDissector:
        return False, set()
    if cls is SteamDatagramRelayDissector:
        return False, set(range(16, n))
    if cls is AmongUsDissector:
        return False, set(range(9 + payload[8], n))
    if cls is HeroesOfTheStormDissector:
        return len(payload) == 1500, set(range(20, n))
    if cls is KcpDissector:  # a cut at a segment boundary leaves whole segments
        bounds, pos = set(), 0
        while pos < n:
            pos += 24 + struct.unpack("<I", payload[pos + 20 : pos + 24])[0]
            bounds.add(pos)
        return True, bounds - {n}
    return True, set()


@sf.positives(POSITIVES)
def test_positive_identified_on_any_ports(case: tuple[type[Dissector], int, bytes]) -> None:
    """Identification is by content: well-known ports and random high ports alike."""
    sf.check_identified_on_any_ports(*case, GAME_SIGNATURES)


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
    names = [c.name for c in GAME_SIGNATURES]
    assert names == ["netcode_io", "world_of_warcraft", "genshin_impact", "crynetwork",
                     "steam_datagram_relay", "photon", "zug", "heroes_of_the_storm", "among_us",
                     "kcp"]
    assert all(c in registry.DISSECTORS for c in GAME_SIGNATURES)
    assert len({c.name for c in registry.DISSECTORS}) == len(registry.DISSECTORS)
    for cls in GAME_SIGNATURES:
        assert cls.transports <= {TCP, UDP} and cls.__doc__ and "matches" in cls.__doc__
        # a screen or a narrow first byte: the two with a free first byte have screens
        assert (cls.first_bytes and len(cls.first_bytes) <= 6) or cls.screens
    # the screen budget of this module: no TCP screen, four UDP ones
    assert sum(TCP in c.screens for c in GAME_SIGNATURES) == 0
    assert sum(UDP in c.screens for c in GAME_SIGNATURES) == 4


def test_photon_and_kcp_screens_hold_on_positives() -> None:
    """The classes without first bytes rely on their screens: each positive passes one."""
    for cls, _, payload in POSITIVES:
        assert sf.screens_admit(cls, payload, UDP) or not cls.screens, cls.name


def test_discord_keeps_the_i3d_flows() -> None:
    """i3D's flows are Discord IP discovery packets: still Discord, none of these classes."""
    request = b"\x00\x01\x00\x46\x00\x03\xcf\xa8" + bytes(66)
    assert not any(c.matches(request, UDP, True) for c in GAME_SIGNATURES)
    found = registry.identify(request, UDP, True, 60476, 50004)
    assert found is not None and found.name == "discord"


@pytest.mark.parametrize("cls", GAME_SIGNATURES, ids=sf.name_of)
@sf.random_payloads
def test_random_bytes_do_not_match(cls: type[Dissector], payload: bytes, proto: int,
                                   from_orig: bool) -> None:
    """Random payloads and other protocols' first payloads are refused."""
    sf.check_refuses_random(cls, payload, proto, from_orig)


@sf.FUZZ
@given(st.sampled_from(GAME_SIGNATURES), sf.PROTOS, sf.FUZZ_BYTES, sf.STEPS)
def test_fuzz_random_bytes(cls: type[Dissector], proto: int, data: bytes, step: int) -> None:
    sf.fuzz_invariant(cls, proto, data, step)


@sf.FUZZ
@given(st.sampled_from(range(len(POSITIVES))), sf.EDITS)
def test_fuzz_mutated_positives(index: int, edits: list[tuple[int, int, int]]) -> None:
    """Valid samples with bytes changed reach the deep checks without raising."""
    _, proto, payload = POSITIVES[index]
    sf.fuzz_mutated(GAME_SIGNATURES, proto, payload, edits)


# --- real captures --------------------------------------------------------------------------

DATA, CFGS = sf.DATA, sf.CFGS
NFSTREAM = DATA / "nfstream" / "tests" / "pcaps"
needs_data = sf.needs_data

NDPI_LABELS = {
    "netcode_io": {"Yojimbo"}, "world_of_warcraft": {"WorldOfWarcraft"},
    "genshin_impact": {"GenshinImpact"}, "crynetwork": {"CryNetwork"},
    "steam_datagram_relay": {"SteamDatagramRelay"}, "photon": {"TocaBoca"}, "zug": {"ZUG"},
    "heroes_of_the_storm": {"Heroes_of_the_Storm"}, "among_us": {"AmongUs"}, "kcp": {"KCP"},
}  # fmt: skip
"""nDPI's master-protocol labels per service (nDPI names Photon traffic to Toca Boca's
servers after the game)."""


# (hits, total) on the flows nDPI labels with the service (every cfgs directory). Misses:
# - genshin_impact 3/6: the 3 TCP flows (ports 80 and 10012, one client session) open with
#   an undocumented framing (0x01, a BE u32 length, a type byte): not claimed.
NDPI_EXPECTED = {
    "netcode_io": (1, 1), "world_of_warcraft": (3, 3), "genshin_impact": (3, 6),
    "crynetwork": (7, 7), "steam_datagram_relay": (1, 1), "photon": (21, 21), "zug": (6, 6),
    "heroes_of_the_storm": (3, 3), "among_us": (1, 1), "kcp": (7, 7),
}  # fmt: skip


@needs_data
def test_ndpi_positives() -> None:
    assert sf.ndpi_hits(GAME_SIGNATURES, NDPI_LABELS) == NDPI_EXPECTED


# Other captures holding a service: (files, ports, hits, total).
OTHER: dict[str, tuple[list[Path], set[int], int, int]] = {
    # nfstream's Steam Datagram Relay capture: a 1300-byte padded ping request to a relay
    "steam_datagram_relay": ([NFSTREAM / "steam_datagram_relay_ping.pcapng"], {27018}, 1, 1),
    # nfstream's copy of the Among Us Hello
    "among_us": ([NFSTREAM / "among_us.pcap"], {22023}, 1, 1),
}  # fmt: skip


@needs_data
@pytest.mark.parametrize("name", sorted(OTHER))
def test_other_captures(name: str) -> None:
    sf.check_other_captures(GAME_SIGNATURES, name, OTHER[name])


EXPLAINED: dict[tuple[str, str], str] = {
    ("zug", "Unknown"): "zug.pcap's 410-byte datagram from port 19000 back to a client: the "
    "same length field and tag as the 6 labelled flows; nDPI gave up on it (no client packet)",
}
"""Hits on flows nDPI labels with another protocol (or Unknown)."""


@needs_data
def test_negative_corpus() -> None:
    """No class claims a flow nDPI labels with another protocol, but the explained ones."""
    hits, unlabelled = sf.corpus_hits(GAME_SIGNATURES, NDPI_LABELS)
    assert set(hits) <= set(EXPLAINED)
    assert hits == {("zug", "Unknown"): 1}
    # flows without an nDPI label: the two nfstream captures of OTHER
    assert dict(unlabelled) == {"steam_datagram_relay": 1, "among_us": 1}


NEW_SIDES: dict[str, int] = {
    "photon": 25, "crynetwork": 14, "kcp": 8, "zug": 7, "genshin_impact": 6,
    "world_of_warcraft": 6, "heroes_of_the_storm": 3, "steam_datagram_relay": 2,
    "among_us": 2, "netcode_io": 1,
}  # fmt: skip
"""First payloads (per side) the registry names only with these classes, per service
(both sides of the Photon, CryNetwork, Genshin and World of Warcraft sessions that answered;
the KCP ACK answering the first push; one server side per Heroes of the Storm flow)."""


@needs_data
def test_registry_without_and_with_these_classes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing identified without these classes changes identity with them; the flows they
    add, per service."""
    changed, new = sf.registry_changes(monkeypatch, GAME_SIGNATURES)
    assert changed == Counter()
    assert dict(new) == NEW_SIDES
