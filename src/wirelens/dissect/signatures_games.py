"""Content signatures of online games and game networking.

Identification only (see :mod:`wirelens.dissect.signatures_base`). Every ``matches`` is a
few bounded comparisons on the first payload of one direction, never raises, and checks the
facts listed in its class docstring:

- netcode.io connection requests (yojimbo and other netcode.io games):
  :class:`NetcodeDissector`;
- World of Warcraft world-server connection greeting: :class:`WorldOfWarcraftDissector`;
- Genshin Impact (HoYoverse KCP) connection handshake: :class:`GenshinImpactDissector`;
- CryEngine network (CryNetwork) session setup: :class:`CryNetworkDissector`;
- Steam Datagram Relay ping requests: :class:`SteamDatagramRelayDissector`;
- Photon (Exit Games) UDP datagrams and region pings: :class:`PhotonDissector`;
- ZUG datagrams: :class:`ZugDissector`;
- Heroes of the Storm server datagrams: :class:`HeroesOfTheStormDissector`;
- Among Us (Hazel) Hello: :class:`AmongUsDissector`;
- KCP ARQ segments: :class:`KcpDissector`.

Game traffic already named elsewhere is left alone: Steam LAN discovery, Source engine
queries and RakNet (``signatures_p2p``), TeamSpeak, Mumble and Discord (``signatures_lan``).

Dropped (no strict test possible): i3D (its flows are Discord IP discovery packets, byte for
byte, already named ``discord``), Activision (29-byte datagrams with three fixed bytes),
Epic Games (a bit-packed Unreal Engine handshake whose constant bytes are one build's
network version), Tencent Games (four unrelated framings in four flows), Call of Duty Mobile
(eight random bytes then ``ping``; the other flow has no fixed bytes), Gaijin (a StatsD
counter line naming the game in a tag), Path of Exile (one crafted flow) and Starcraft (only
synthetic flows without payload); Genshin Impact's TCP flows (an undocumented framing).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from wirelens.dissect.base import IPPROTO_UDP, Dissector, Screen
from wirelens.dissect.signatures_base import (
    TCP_ONLY,
    UDP_ONLY,
    SignatureDissector,
    be16,
    be32,
    le32,
)

__all__ = [
    "GAME_SIGNATURES",
    "AmongUsDissector",
    "CryNetworkDissector",
    "GenshinImpactDissector",
    "HeroesOfTheStormDissector",
    "KcpDissector",
    "NetcodeDissector",
    "PhotonDissector",
    "SteamDatagramRelayDissector",
    "WorldOfWarcraftDissector",
    "ZugDissector",
]


# --- netcode.io (the netcode.io standard, "Connection Request Packet") ----------------------

_NETCODE_VERSION = b"NETCODE 1.02\x00"
"""The version info string, NUL included (13 bytes)."""
_NETCODE_REQUEST_SIZE = 1 + 13 + 8 + 8 + 24 + 1024
"""Prefix byte, version info, protocol id, expire timestamp, token nonce, encrypted private
connect token data: 1078 bytes."""


class NetcodeDissector(SignatureDissector):
    """netcode.io connection requests (UDP; no well-known port: yojimbo's examples use
    40000, listed as no hint): the one clear packet of the protocol, which yojimbo and other
    game libraries build on. The packets that follow are encrypted: not claimed.

    ``matches`` (netcode.io standard, "Connection Request Packet"): prefix byte 0 (request);
    the version info ``NETCODE 1.02`` and its NUL; exactly 1078 bytes (8-byte protocol id,
    8-byte expire timestamp, 24-byte nonce, 1024 bytes of encrypted private connect token).
    """

    name: ClassVar[str] = "netcode_io"
    transports: ClassVar[frozenset[int]] = UDP_ONLY
    first_bytes: ClassVar[frozenset[int] | None] = frozenset((0x00,))
    """``matches``: the request's prefix byte."""

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """Prefix, version info, exact size."""
        return (len(payload) == _NETCODE_REQUEST_SIZE and payload[0] == 0
                and payload[1:14] == _NETCODE_VERSION)


# --- World of Warcraft (wowdev.wiki: world server "connection initialization") --------------

_WOW_GREETINGS = (
    b"\x30\x00WORLD OF WARCRAFT CONNECTION - SERVER TO CLIENT\x00",
    b"\x30\x00WORLD OF WARCRAFT CONNECTION - CLIENT TO SERVER\x00",
)
"""The size (48, little-endian u16) then the NUL-terminated initialisation string, one per
direction."""


class WorldOfWarcraftDissector(SignatureDissector):
    """World of Warcraft world-server connections (TCP 3724, 8085): since Cataclysm each side
    opens with a fixed initialisation string before the encrypted session.

    ``matches``: the segment starts with the 2-byte size 48 and
    ``WORLD OF WARCRAFT CONNECTION - SERVER TO CLIENT`` or ``... - CLIENT TO SERVER``
    with its NUL (50 bytes).
    """

    name: ClassVar[str] = "world_of_warcraft"
    transports: ClassVar[frozenset[int]] = TCP_ONLY
    ports: ClassVar[frozenset[int]] = frozenset((3724, 8085))
    first_bytes: ClassVar[frozenset[int] | None] = frozenset((0x30,))
    """``matches``: the size's low byte."""

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """One of the two greetings at the start of the segment."""
        return payload[:50] in _WOW_GREETINGS


# --- Genshin Impact (HoYoverse's KCP handshake, as documented by public server projects) ----

_HOYO_KCP_MAGIC = 1234567890
"""The fixed handshake word at offset 12 (0x499602D2)."""
_HOYO_KCP_KINDS = {0x000000FF: 0xFFFFFFFF, 0x00000145: 0x14514545, 0x00000194: 0x19419494}
"""Handshake kind (first word) and the closing word it goes with: connect request,
connection established, disconnect."""


class GenshinImpactDissector(SignatureDissector):
    """Genshin Impact game sessions (UDP 22101, 22102): the 20-byte handshake that precedes
    HoYoverse's KCP stream. Its TCP flows (an unknown framing, one session in the captures)
    are not claimed.

    ``matches`` (five big-endian u32 words, as public server reimplementations document
    them: kind, conversation id, token, magic, closing word): exactly 20 bytes; a kind of
    :data:`_HOYO_KCP_KINDS` with its own closing word; the magic 1234567890.
    """

    name: ClassVar[str] = "genshin_impact"
    transports: ClassVar[frozenset[int]] = UDP_ONLY
    ports: ClassVar[frozenset[int]] = frozenset((22101, 22102))
    first_bytes: ClassVar[frozenset[int] | None] = frozenset((0x00,))
    """``matches``: the kind's high byte."""
    screens: ClassVar[Mapping[int, tuple[Screen, ...]]] = {IPPROTO_UDP: (
        Screen(20, equals=((0, b"\x00\x00"), (12, _HOYO_KCP_MAGIC.to_bytes(4, "big")))),
    )}  # fmt: skip

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """Size, magic, kind and closing word."""
        if len(payload) != 20 or be32(payload, 12) != _HOYO_KCP_MAGIC:
            return False
        return _HOYO_KCP_KINDS.get(be32(payload, 0)) == be32(payload, 16)


# --- CryEngine network (observed session setup, no public specification) --------------------

_CRY_REQUEST_FIXED = b"\x01\x00\x00\x00\x07\x00\x00\x00\x03\x07\x00\x00\x00"
"""Bytes 16-28 of every observed client request."""
_CRY_REPLY_FIXED = b"\x00\x00\x00\x01"
"""Bytes 97-100 of every observed server reply."""


class CryNetworkDissector(SignatureDissector):
    """CryEngine's network layer (CryNetwork, UDP; game servers pick their ports) session
    setup.

    ``matches`` (no public specification: the fields every observed session shares): a
    70-byte client request: byte 0x3c, two zero bytes, two variable bytes, zero bytes 5-15,
    the bytes of :data:`_CRY_REQUEST_FIXED` at 16, a non-zero byte at 29 repeated at 37 with
    zero bytes 30-36 between them; or a 133-byte server reply: byte 0x87, zero bytes 1-31,
    0x02 at 32 and :data:`_CRY_REPLY_FIXED` at 97.
    """

    name: ClassVar[str] = "crynetwork"
    transports: ClassVar[frozenset[int]] = UDP_ONLY
    first_bytes: ClassVar[frozenset[int] | None] = frozenset((0x3C, 0x87))
    """``matches``: the request's and the reply's first bytes."""

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """A request or a reply of the observed layouts."""
        n = len(payload)
        if n == 70 and payload[0] == 0x3C:
            return (payload[1:3] == b"\x00\x00" and payload.count(0, 5, 16) == 11
                    and payload[16:29] == _CRY_REQUEST_FIXED and payload[29] != 0
                    and payload[29] == payload[37] and payload.count(0, 30, 37) == 7)
        if n == 133 and payload[0] == 0x87:
            return (payload.count(0, 1, 32) == 31 and payload[32] == 0x02
                    and payload[97:101] == _CRY_REPLY_FIXED)
        return False


# --- Steam Datagram Relay (Valve's ESteamDatagramMsgID; observed ping layout) ---------------

_SDR_TAG = b"sdping"


class SteamDatagramRelayDissector(SignatureDissector):
    """Steam Datagram Relay: the ping requests clients send to Valve's relays to choose a
    route (UDP; relays listen within Steam's 27015-27050 range, shared with Source game
    servers: no port hint). Relayed game data is encrypted: not claimed.

    ``matches``: message id 1 (``k_ESteamDatagramMsg_RouterPingRequest`` in Valve's published
    message enumeration); the ASCII tag ``sdping`` at offset 2 (observed in every request);
    16 to 1500 bytes (requests are padded).
    """

    name: ClassVar[str] = "steam_datagram_relay"
    transports: ClassVar[frozenset[int]] = UDP_ONLY
    first_bytes: ClassVar[frozenset[int] | None] = frozenset((0x01,))
    """``matches``: message id 1."""

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """Message id, tag, size."""
        return (16 <= len(payload) <= 1500 and payload[0] == 1
                and payload[2:8] == _SDR_TAG)


# --- Photon (Exit Games "Binary Protocol": eNet header and commands) ------------------------

_PHOTON_HEADER = 12
"""eNet header: peer id (2), CRC flag (1), command count (1), sent time (4), challenge (4)."""
_PHOTON_COMMAND = 12
"""eNet command header: type (1), channel (1), flags (1), reserved (1), length (4, the whole
command), reliable sequence number (4)."""
_PHOTON_MIN_LENGTH = {1: 20, 2: 12, 3: 12, 4: 12, 5: 12, 6: 12, 7: 16, 8: 32, 12: 12}
"""Smallest length per command type: 1 acknowledge (exactly 20: the acknowledged sequence
number and its sent time), 2 connect, 3 verify connect, 4 disconnect, 5 ping, 6 send
reliable, 7 send unreliable (+ its 4-byte unreliable sequence number), 8 send fragment (+
its 20-byte fragment header), 12 server time request."""
_PHOTON_BARE = frozenset((4, 5, 12))
"""Command types without a body: exactly 12 bytes (disconnect, ping, server time)."""
_PHOTON_MAX_COMMANDS = 100
"""Most commands walked in one datagram (clients aggregate a few)."""
_PHOTON_PING = b"\x7d" * 12
"""Photon's region ping (client SDK ``PhotonPing``): twelve 0x7d bytes, then a ping id."""


class PhotonDissector(SignatureDissector):
    """Photon (Exit Games) realtime UDP traffic (5055 master / name server, 5056 game server,
    5058), the networking of many mobile and Unity games (Toca Boca's among them).

    ``matches``: either a 13-byte region ping (:data:`_PHOTON_PING` then a one-byte id, the
    server echoing it); or an eNet datagram (Photon "Binary Protocol"): CRC flag 0, 1 to 100
    commands, each of a known type (:data:`_PHOTON_MIN_LENGTH`) with a big-endian length of
    at least its type's minimum (exactly 20 for an acknowledge, 12 for a disconnect, a ping
    or a server time request), the lengths adding up to the datagram's size after the 12-byte header.
    """

    name: ClassVar[str] = "photon"
    transports: ClassVar[frozenset[int]] = UDP_ONLY
    ports: ClassVar[frozenset[int]] = frozenset((5055, 5056, 5058))
    first_bytes: ClassVar[frozenset[int] | None] = None
    """Any: the peer id is free."""
    screens: ClassVar[Mapping[int, tuple[Screen, ...]]] = {IPPROTO_UDP: (
        Screen(24, equals=((2, b"\x00"), (16, b"\x00\x00")),
               values=((3, frozenset(range(1, _PHOTON_MAX_COMMANDS + 1))),
                       (12, frozenset(_PHOTON_MIN_LENGTH)))),
        Screen(13, equals=((0, _PHOTON_PING),)),
    )}  # fmt: skip

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """A region ping, or a header whose commands fill the datagram exactly."""
        n = len(payload)
        if n == 13:
            return payload[:12] == _PHOTON_PING
        if n < _PHOTON_HEADER + _PHOTON_COMMAND or payload[2] != 0:
            return False
        count = payload[3]
        if not 1 <= count <= _PHOTON_MAX_COMMANDS:
            return False
        pos = _PHOTON_HEADER
        for _ in range(count):
            if pos + _PHOTON_COMMAND > n:
                return False
            least = _PHOTON_MIN_LENGTH.get(payload[pos])
            size = be32(payload, pos + 4)
            if least is None or size < least or (least == 20 and size != 20):
                return False
            if payload[pos] in _PHOTON_BARE and size != _PHOTON_COMMAND:
                return False
            pos += size
        return pos == n


# --- ZUG (observed datagrams, no public specification) --------------------------------------

_ZUG_TAG = b"UG\x10"
"""Bytes 2-4 of every observed datagram."""
_ZUG_MAX = 0x600
"""Largest datagram accepted (1535 bytes: one Ethernet frame)."""


class ZugDissector(SignatureDissector):
    """ZUG datagrams (UDP 19000, the port of every observed flow; nDPI files ZUG under
    cryptocurrency rather than games).

    ``matches`` (no public specification: the fields every observed datagram shares): a
    big-endian u16 at offset 0 equal to the datagram's length (12 to 1535 bytes); the bytes
    :data:`_ZUG_TAG` at offset 2; a big-endian u16 at offset 8 (an inner length) of at most
    the datagram's length minus 10.
    """

    name: ClassVar[str] = "zug"
    transports: ClassVar[frozenset[int]] = UDP_ONLY
    ports: ClassVar[frozenset[int]] = frozenset((19000,))
    first_bytes: ClassVar[frozenset[int] | None] = frozenset(range(_ZUG_MAX >> 8))
    """``matches``: the length's high byte (datagrams under 1536 bytes)."""
    screens: ClassVar[Mapping[int, tuple[Screen, ...]]] = {IPPROTO_UDP: (
        Screen(12, equals=((2, _ZUG_TAG),), length=(0, 2, "big", 0)),
    )}  # fmt: skip

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """Length, tag, inner length."""
        n = len(payload)
        if not 12 <= n < _ZUG_MAX or be16(payload, 0) != n or payload[2:5] != _ZUG_TAG:
            return False
        return be16(payload, 8) <= n - 10


# --- Heroes of the Storm (observed datagrams, no public specification) ---------------------

_HOTS_PREFIX = bytes(14) + b"\x40\x00"
"""The first 16 bytes of every observed server datagram."""


class HeroesOfTheStormDissector(SignatureDissector):
    """Heroes of the Storm game servers (Blizzard; seen on UDP 1119 and 3724, which other
    Blizzard games share: no port hint): the server's first datagram. The client's
    (random-looking bytes) is not claimed.

    ``matches`` (no public specification: the fields every observed session shares): 14
    zero bytes then 0x40 0x00 (:data:`_HOTS_PREFIX`); 20 to 1500 bytes.
    """

    name: ClassVar[str] = "heroes_of_the_storm"
    transports: ClassVar[frozenset[int]] = UDP_ONLY
    first_bytes: ClassVar[frozenset[int] | None] = frozenset((0x00,))
    """``matches``: the zero run."""

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """Prefix and size."""
        return 20 <= len(payload) <= 1500 and payload[:16] == _HOTS_PREFIX


# --- Among Us (Hazel networking "Hello"; the game's version encoding) -----------------------

_AMONG_US_NAME = 32
"""Longest player name accepted (the game allows 10 characters; UTF-8 may double them)."""


def _among_us_version(value: int) -> bool:
    """The game's broadcast version: year * 25000 + month * 1800 + day * 50 + revision, with
    a year from 2018 to 2040, a month up to 12 and a day up to 31."""
    year, rest = divmod(value, 25000)
    month, rest = divmod(rest, 1800)
    return 2018 <= year <= 2040 and month <= 12 and rest // 50 <= 31


class AmongUsDissector(SignatureDissector):
    """Among Us game and matchmaking servers (UDP 22023): the Hazel Hello a client opens its
    connection with. Hazel's later messages carry too few fixed bits: not claimed.

    ``matches`` (Hazel Hello: send option 0x08, nonce BE u16, Hazel version, then the game's
    handshake: client version LE i32, player name as a one-byte length and UTF-8): send
    option 0x08; Hazel version 0 or 1; a client version that decodes to a plausible date
    (:func:`_among_us_version`); a name of 1 to 32 bytes, valid UTF-8 without control
    characters, whole within the datagram (later client versions append more fields).
    """

    name: ClassVar[str] = "among_us"
    transports: ClassVar[frozenset[int]] = UDP_ONLY
    ports: ClassVar[frozenset[int]] = frozenset((22023,))
    first_bytes: ClassVar[frozenset[int] | None] = frozenset((0x08,))
    """``matches``: the Hello send option."""

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """Hello header, version, name."""
        n = len(payload)
        if n < 10 or payload[0] != 0x08 or payload[3] > 1:
            return False
        if not _among_us_version(le32(payload, 4)):
            return False
        size = payload[8]
        if not 1 <= size <= _AMONG_US_NAME or 9 + size > n:
            return False
        name = payload[9 : 9 + size]
        if any(b < 0x20 or b == 0x7F for b in name):
            return False
        try:
            name.decode("utf-8")
        except UnicodeDecodeError:
            return False
        return True


# --- KCP (skywind3000/kcp protocol description: segment header) -----------------------------

_KCP_HEADER = 24
"""conv (4), cmd (1), frg (1), wnd (2), ts (4), sn (4), una (4), len (4): little-endian."""
_KCP_PUSH = 81
_KCP_COMMANDS = frozenset((81, 82, 83, 84))
"""81 push (data), 82 ack, 83 window probe ask, 84 window size tell."""
_KCP_MAX_SEGMENTS = 64
"""Most segments walked in one datagram (acks of a busy window come in dozens)."""


class KcpDissector(SignatureDissector):
    """KCP, the ARQ protocol many games and tunnels (kcptun) run over UDP; no well-known
    port.

    ``matches`` (segments of 24-byte little-endian headers, each followed by ``len`` data
    bytes): every segment has the first segment's conversation id, a command 81-84, and for
    the commands other than push a fragment count of 0 and no data; the segments fill the
    datagram exactly (at most 64 walked).
    """

    name: ClassVar[str] = "kcp"
    transports: ClassVar[frozenset[int]] = UDP_ONLY
    first_bytes: ClassVar[frozenset[int] | None] = None
    """Any: the conversation id is free."""
    screens: ClassVar[Mapping[int, tuple[Screen, ...]]] = {IPPROTO_UDP: (
        Screen(_KCP_HEADER, equals=((22, b"\x00\x00"),), values=((4, _KCP_COMMANDS),)),
    )}  # fmt: skip

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """Whole segments of one conversation, nothing after."""
        n = len(payload)
        if n < _KCP_HEADER or payload[4] not in _KCP_COMMANDS:
            return False
        conv = payload[:4]
        pos = 0
        for _ in range(_KCP_MAX_SEGMENTS):
            if pos + _KCP_HEADER > n or payload[pos : pos + 4] != conv:
                return False
            cmd = payload[pos + 4]
            size = le32(payload, pos + 20)
            if cmd not in _KCP_COMMANDS:
                return False
            if cmd != _KCP_PUSH and (payload[pos + 5] != 0 or size != 0):
                return False
            pos += _KCP_HEADER + size
            if pos >= n:
                return pos == n
        return False


GAME_SIGNATURES: tuple[type[Dissector], ...] = (
    NetcodeDissector,
    WorldOfWarcraftDissector,
    GenshinImpactDissector,
    CryNetworkDissector,
    SteamDatagramRelayDissector,
    PhotonDissector,
    ZugDissector,
    HeroesOfTheStormDissector,
    AmongUsDissector,
    KcpDissector,
)
"""This module's signatures in priority order (strictest first)."""
