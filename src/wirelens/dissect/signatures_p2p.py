"""Content signatures of peer-to-peer, cryptocurrency and consumer LAN-discovery services.

Identification only (see :mod:`wirelens.dissect.signatures_base`). Every ``matches`` is a
few bounded comparisons on the first payload of one direction, never raises, and checks the
facts listed in its class docstring:

- Bitcoin peer-to-peer messages: :class:`BitcoinDissector`;
- Monero (CryptoNote) levin messages: :class:`MoneroDissector`;
- Steam in-home streaming discovery: :class:`SteamDiscoveryDissector`;
- Syncthing local discovery: :class:`SyncthingDiscoveryDissector`;
- Spotify LAN discovery: :class:`SpotifyDiscoveryDissector`;
- RakNet offline messages and connected datagrams: :class:`RakNetDissector`;
- eDonkey / eMule client-server and client-client messages: :class:`EdonkeyDissector`;
- the Source engine server queries (A2S): :class:`SourceEngineDissector`;
- the Gnutella 0.4 / 0.6 handshake: :class:`GnutellaDissector`;
- Stratum mining JSON-RPC (Bitcoin stratum v1, CryptoNote / XMRig): :class:`StratumDissector`;
- Dropbox LAN sync discovery: :class:`DropboxLanSyncDissector`.

Cryptocurrency traffic (bitcoin, monero, stratum) on a managed network is often a security
finding (cryptojacking, unsanctioned mining): these classes only name the flow. JSON is
parsed (Stratum, Dropbox) only after cheap prefix and key tests passed, and only up to a
bounded size (:data:`_MAX_JSON`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import ClassVar

from wirelens.dissect.base import IPPROTO_TCP, IPPROTO_UDP, Dissector, Screen
from wirelens.dissect.signatures_base import (
    TCP_ONLY,
    UDP_ONLY,
    SignatureDissector,
    be16,
    be32,
    is_printable,
    json_object,
    le32,
)

__all__ = [
    "P2P_SIGNATURES",
    "BitcoinDissector",
    "DropboxLanSyncDissector",
    "EdonkeyDissector",
    "GnutellaDissector",
    "MoneroDissector",
    "RakNetDissector",
    "SourceEngineDissector",
    "SpotifyDiscoveryDissector",
    "SteamDiscoveryDissector",
    "StratumDissector",
    "SyncthingDiscoveryDissector",
]


_MAX_JSON = 4096
"""Longest JSON line (Stratum) or datagram (Dropbox) handed to :func:`json.loads`. Reason:
bounds ``matches``; a subscribe / login request or a LAN-sync beacon is far shorter, and
parsing runs only after the prefix and key tests passed."""


# --- Bitcoin (Bitcoin Core protocol documentation: "Message structure") ---------------------

_BTC_MAGICS = (
    b"\xf9\xbe\xb4\xd9",  # mainnet
    b"\x0b\x11\x09\x07",  # testnet3
    b"\x1c\x16\x3f\x28",  # testnet4
    b"\x0a\x03\xcf\x40",  # default signet
    b"\xfa\xbf\xb5\xda",  # regtest
)
"""The network start strings that begin every message, per network."""
_BTC_MAX_PAYLOAD = 32 * 1024 * 1024
"""Bitcoin Core's MAX_SIZE: no message payload is longer (32 MiB)."""
_LOWER = frozenset(range(0x61, 0x7B))


class BitcoinDissector(SignatureDissector):
    """Bitcoin peer-to-peer messages (TCP 8333 mainnet, 18333 testnet3, 48333 testnet4,
    38333 signet, 18444 regtest).

    ``matches`` (message header: start string 4 bytes, command 12, payload length LE u32,
    checksum 4): a start string of :data:`_BTC_MAGICS`; a command of lower-case ASCII
    letters (1-12) padded with NUL bytes only; a payload length of at most 32 MiB whose
    payload is whole within the segment; the checksum equals the first 4 bytes of the
    double SHA-256 of that payload; after it, the segment ends or the next message's start
    string (the same network) begins.
    """

    name: ClassVar[str] = "bitcoin"
    transports: ClassVar[frozenset[int]] = TCP_ONLY
    ports: ClassVar[frozenset[int]] = frozenset((8333, 18333, 48333, 38333, 18444))
    first_bytes: ClassVar[frozenset[int] | None] = frozenset(m[0] for m in _BTC_MAGICS)
    """``matches``: a start string's first byte."""
    screens: ClassVar[Mapping[int, tuple[Screen, ...]]] = {
        IPPROTO_TCP: tuple(Screen(24, equals=((0, m),)) for m in _BTC_MAGICS)}

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """One whole message with a valid checksum at the start of the segment."""
        n = len(payload)
        if n < 24 or payload[:4] not in _BTC_MAGICS:
            return False
        command = payload[4:16].rstrip(b"\x00")
        if not command or any(b not in _LOWER for b in command):
            return False
        size = le32(payload, 16)
        end = 24 + size
        if size > _BTC_MAX_PAYLOAD or end > n:
            return False
        if n > end and payload[end : end + 4] != payload[:4][: n - end]:
            return False
        digest = hashlib.sha256(hashlib.sha256(payload[24:end]).digest()).digest()
        return digest[:4] == payload[20:24]


# --- Monero levin (epee levin protocol, "levin_base.h" header layout) -----------------------

_LEVIN_SIGNATURE = b"\x01\x21\x01\x01\x01\x01\x01\x01"
"""0x0101010101012101 little-endian: the first 8 bytes of every levin header."""
_LEVIN_STORAGE = b"\x01\x11\x01\x01\x01\x01\x02\x01\x01"
"""Epee portable storage: signature A 0x01011101 and B 0x01020101 (little-endian), format
version 1: how every request and response body starts."""
_LEVIN_COMMANDS = frozenset((*range(1001, 1008), *range(2001, 2011)))
"""P2P commands 1001 handshake, 1002 timed sync, 1003 ping, 1004-1007 (stat / support
flags); protocol notifications 2001-2010."""
_LEVIN_MAX_BODY = 100_000_000
"""Monero's default levin packet size limit (100 MB)."""
_LEVIN_MAX_CODE = 64
"""Largest return code magnitude accepted (epee's codes are small: 1 ok, negatives errors)."""


class MoneroDissector(SignatureDissector):
    """Monero (CryptoNote) peer-to-peer levin messages (TCP 18080 mainnet, 28080 testnet,
    38080 stagenet).

    ``matches`` (33-byte levin header: signature 8 bytes, body length u64, have-to-return
    flag u8, command u32, return code i32, flags u32, protocol version u32; little-endian):
    the signature :data:`_LEVIN_SIGNATURE`; a body length from 9 to 100 MB; have-to-return
    0 or 1; a command of :data:`_LEVIN_COMMANDS`; flags 1 (request: return code 0) or 2
    (response: have-to-return 0, return code within +-64); version 1; the body (whole or
    not) starts with the portable-storage signature :data:`_LEVIN_STORAGE`.
    """

    name: ClassVar[str] = "monero"
    transports: ClassVar[frozenset[int]] = TCP_ONLY
    ports: ClassVar[frozenset[int]] = frozenset((18080, 28080, 38080))
    first_bytes: ClassVar[frozenset[int] | None] = frozenset((0x01,))
    """``matches``: the levin signature's first byte."""
    screens: ClassVar[Mapping[int, tuple[Screen, ...]]] = {IPPROTO_TCP: (
        Screen(42, equals=((0, _LEVIN_SIGNATURE), (29, b"\x01\x00\x00\x00"),
                           (33, _LEVIN_STORAGE))),
    )}  # fmt: skip

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """A whole levin header and the start of its portable-storage body."""
        if len(payload) < 42 or payload[:8] != _LEVIN_SIGNATURE:
            return False
        size = int.from_bytes(payload[8:16], "little")
        reply = payload[16]
        command = le32(payload, 17)
        code = int.from_bytes(payload[21:25], "little", signed=True)
        flags = le32(payload, 25)
        if not 9 <= size <= _LEVIN_MAX_BODY or reply > 1 or command not in _LEVIN_COMMANDS:
            return False
        if le32(payload, 29) != 1 or payload[33:42] != _LEVIN_STORAGE:
            return False
        if flags == 1:
            return code == 0
        return flags == 2 and reply == 0 and abs(code) <= _LEVIN_MAX_CODE


# --- Steam in-home streaming discovery (public Steam remote-play protocol notes) ------------

_STEAM_MAGIC = b"\xff\xff\xff\xff\x21\x4c\x5f\xa0"
"""0xFFFFFFFF then the discovery magic 0xA05F4C21 (little-endian)."""
_STEAM_MAX_HEADER = 1024
"""Largest header length accepted (the header is a handful of protobuf fields)."""


class SteamDiscoveryDissector(SignatureDissector):
    """Steam in-home streaming (Remote Play) LAN discovery (UDP 27036).

    ``matches`` (datagram: the 8 magic bytes, header length LE u32, a protobuf header
    ``CMsgRemoteClientBroadcastHeader``, body length LE u32, a protobuf body): the magic
    :data:`_STEAM_MAGIC`; a header length from 1 to 1024 whose header starts with the
    ``client_id`` field's tag (field 1, varint: 0x08); the body length makes the datagram
    end exactly after the body.
    """

    name: ClassVar[str] = "steam"
    transports: ClassVar[frozenset[int]] = UDP_ONLY
    ports: ClassVar[frozenset[int]] = frozenset((27036,))
    first_bytes: ClassVar[frozenset[int] | None] = frozenset((0xFF,))
    """``matches``: the 0xFFFFFFFF prefix."""
    screens: ClassVar[Mapping[int, tuple[Screen, ...]]] = {
        IPPROTO_UDP: (Screen(17, equals=((0, _STEAM_MAGIC),)),)}

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """Magic, header, body, nothing after."""
        n = len(payload)
        if n < 17 or payload[:8] != _STEAM_MAGIC:
            return False
        head = le32(payload, 8)
        if not 1 <= head <= _STEAM_MAX_HEADER or 16 + head > n or payload[12] != 0x08:
            return False
        return 16 + head + le32(payload, 12 + head) == n


# --- Syncthing local discovery (Syncthing docs: "Local Discovery Protocol v4") --------------

_SYNCTHING_MAGIC = b"\x2e\xa7\xd9\x0b"
"""The local discovery magic 0x2EA7D90B (big-endian)."""
_SYNCTHING_DEVICE = b"\x0a\x20"
"""Announce field 1 (id, length-delimited) of 32 bytes: the device id."""


class SyncthingDiscoveryDissector(SignatureDissector):
    """Syncthing local discovery announcements (UDP 21027, IPv4 broadcast and IPv6
    multicast ff12::8384). Syncthing's sync protocol (TCP 22000) is TLS: not claimed.

    ``matches``: the magic :data:`_SYNCTHING_MAGIC`; a protobuf ``Announce`` whose first
    field is the device id (field 1, length-delimited, 32 bytes); after it the datagram
    ends or field 2 (addresses, length-delimited: tag 0x12) or field 3 (instance id,
    varint: tag 0x18) follows. The previous version's magic 0x7D79BC40 (v0.13 releases,
    which current releases only recognise to report an incompatible peer) is not claimed:
    no capture confirms the layout of what follows it.
    """

    name: ClassVar[str] = "syncthing"
    transports: ClassVar[frozenset[int]] = UDP_ONLY
    ports: ClassVar[frozenset[int]] = frozenset((21027,))
    first_bytes: ClassVar[frozenset[int] | None] = frozenset((0x2E,))
    """``matches``: the magic's first byte."""
    screens: ClassVar[Mapping[int, tuple[Screen, ...]]] = {
        IPPROTO_UDP: (Screen(38, equals=((0, _SYNCTHING_MAGIC + _SYNCTHING_DEVICE),)),)}

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """Magic, then an Announce starting with a 32-byte device id."""
        n = len(payload)
        if n < 38 or payload[:6] != _SYNCTHING_MAGIC + _SYNCTHING_DEVICE:
            return False
        return n == 38 or payload[38] in (0x12, 0x18)


# --- Spotify LAN discovery (observed on captures) -------------------------------------------

_SPOTIFY_PREFIX = b"SpotUdp0"
_SPOTIFY_FIXED = b"\x00\x01\x00\x04"
_SPOTIFY_SIZE = 44


class SpotifyDiscoveryDissector(SignatureDissector):
    """Spotify desktop clients' LAN discovery broadcast (UDP 57621). Spotify's own streams
    are TLS (TCP 4070, 443): not claimed.

    ``matches`` (no public specification: the facts below are those every observed beacon
    shares): the 8-byte ASCII prefix ``SpotUdp0``, 8 variable bytes, the bytes
    ``00 01 00 04`` at offset 16, and a datagram of exactly 44 bytes.
    """

    name: ClassVar[str] = "spotify"
    transports: ClassVar[frozenset[int]] = UDP_ONLY
    ports: ClassVar[frozenset[int]] = frozenset((57621,))
    first_bytes: ClassVar[frozenset[int] | None] = frozenset(b"S")
    """``matches``: the ``S`` of ``SpotUdp0``."""
    screens: ClassVar[Mapping[int, tuple[Screen, ...]]] = {
        IPPROTO_UDP: (Screen(_SPOTIFY_SIZE, equals=((0, _SPOTIFY_PREFIX),
                                                    (16, _SPOTIFY_FIXED))),)}

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """Prefix, fixed bytes, length 44."""
        return (len(payload) == _SPOTIFY_SIZE and payload[:8] == _SPOTIFY_PREFIX
                and payload[16:20] == _SPOTIFY_FIXED)


# --- RakNet (its MessageIdentifiers, offline handshake and datagram framing) ---------------

_RAKNET_MAGIC = b"\x00\xff\xff\x00\xfe\xfe\xfe\xfe\xfd\xfd\xfd\xfd\x12\x34\x56\x78"
"""The 16-byte offline message identifier every unconnected message carries."""
_RAKNET_MTU = (400, 1500)
"""MTU sizes accepted in the handshake replies and request 2 (RakNet tries 1492 down to
576 bytes; 400 is its floor)."""
_RAKNET_MAX_VERSION = 32
"""Largest protocol version byte accepted (RakNet 3-4 use 5-6, Minecraft Bedrock 9-11)."""


_RAKNET_MAX_FRAMES = 64
"""Most frames walked in one connected datagram."""
_RAKNET_RELIABLE = frozenset((2, 3, 4, 6, 7))
"""Reliabilities whose frames carry a reliable message number (3 bytes)."""
_RAKNET_SEQUENCED = frozenset((1, 4))
"""... a sequencing index (3 bytes)."""
_RAKNET_ORDERED = frozenset((1, 3, 4, 7))
"""... an ordering index (3 bytes) and an ordering channel (1 byte)."""
_RAKNET_SIZED = {0x00: 9, 0x03: 17, 0x15: 1}
"""Internal messages of a fixed size (id included): connected ping (time), connected pong
(ping and pong times), disconnection notification."""
_RAKNET_OPEN = frozenset((0x09, 0x10, 0x13))
"""Internal messages of a variable size: connection request (at least 18 bytes), request
accepted, new incoming connection."""
_RAKNET_USER = 0x86
"""The first message id of an application's own (ID_USER_PACKET_ENUM; Minecraft uses
0xfe)."""


def _raknet_body_ok(first: int, size: int) -> bool:
    """Whether a frame's body (unsplit, or a split message's first piece) may be a RakNet
    message: a known internal one at its size, or an application's."""
    if first in _RAKNET_SIZED:
        return size == _RAKNET_SIZED[first]
    if first == 0x09:
        return size >= 18
    return first in _RAKNET_OPEN or first >= _RAKNET_USER


def _raknet_frames(payload: bytes) -> bool:
    """A connected data datagram (first byte 0x80-0x8f: valid, neither ACK nor NAK; a 3-byte
    sequence number) whose frames use up the datagram exactly: each a flags byte (reliability
    in the top 3 bits, the split bit, the low nibble zero), its body's size in bits
    (big-endian, whole bytes), the indexes its reliability carries, the split header (count,
    id, index < count) if split, then a body that :func:`_raknet_body_ok` accepts (a split
    message's first piece only)."""
    n, pos = len(payload), 4
    for _ in range(_RAKNET_MAX_FRAMES):
        if pos + 3 > n:
            return False
        flags = payload[pos]
        bits = be16(payload, pos + 1)
        if flags & 0x0F or bits == 0 or bits & 7:
            return False
        reliability = flags >> 5
        pos += (3 + 3 * (reliability in _RAKNET_RELIABLE) + 3 * (reliability in _RAKNET_SEQUENCED)
                + 4 * (reliability in _RAKNET_ORDERED))
        first_piece = True
        if flags & 0x10:
            if pos + 10 > n:
                return False
            count, index = be32(payload, pos), be32(payload, pos + 6)
            if not index < count:
                return False
            first_piece = index == 0
            pos += 10
        size = bits >> 3
        if pos + size > n or (first_piece and not _raknet_body_ok(payload[pos], size)):
            return False
        pos += size
        if pos == n:
            return True
    return False


def _raknet_acks(payload: bytes) -> bool:
    """An ACK (0xc0) or NAK (0xa0): a record count (BE u16, at least 1), then the records,
    using up the datagram exactly: a byte 1 and one 3-byte sequence number, or a byte 0 and
    a range of two (little-endian, the first not above the second)."""
    n = len(payload)
    count = be16(payload, 1)
    pos = 3
    for _ in range(count):
        if pos + 4 > n or payload[pos] > 1:
            return False
        if payload[pos] == 1:
            pos += 4
            continue
        if pos + 7 > n or int.from_bytes(payload[pos + 1:pos + 4], "little") > int.from_bytes(
                payload[pos + 4:pos + 7], "little"):
            return False
        pos += 7
    return count > 0 and pos == n


def _raknet_address(payload: bytes, pos: int) -> int:
    """Length of the RakNet SystemAddress at ``pos`` (version 4: 7 bytes; version 6: 29
    bytes), or -1 for another version byte."""
    if pos >= len(payload):
        return -1
    return {4: 7, 6: 29}.get(payload[pos], -1)


class RakNetDissector(SignatureDissector):
    """RakNet (UDP 19132, 19133 Minecraft Bedrock; games pick their own ports): the offline
    (connectionless) handshake, and the connected datagrams of a session seen after it.

    ``matches``, per first byte (every integer big-endian unless said; the magic is
    :data:`_RAKNET_MAGIC`):

    - 0x80-0x8f a connected data datagram whose frames use up the datagram exactly and whose
      messages are known ones at their sizes or an application's (:func:`_raknet_frames`;
      no fixed bytes, so the walk is strict: a DNS message of the right size could otherwise
      pass for one frame);
    - 0xc0 / 0xa0 an ACK or NAK whose records use up the datagram (:func:`_raknet_acks`);

    - 0x01 / 0x02 unconnected ping: time (8), magic, client GUID (8): exactly 33 bytes;
    - 0x1c unconnected pong: time (8), server GUID (8), magic, a u16 length then that many
      printable bytes ending the datagram (the server's advertisement string);
    - 0x05 open connection request 1: magic, protocol version 1-32, zero padding only (the
      datagram's size is the MTU probe);
    - 0x06 open connection reply 1: magic, server GUID (8), security flag 0/1, MTU 400-1500:
      exactly 28 bytes;
    - 0x07 open connection request 2: magic, server address (version 4: 7 bytes, 6: 29),
      MTU 400-1500, client GUID (8), ending the datagram;
    - 0x08 open connection reply 2: magic, server GUID (8), client address (as above), MTU
      400-1500, security flag 0/1, ending the datagram.
    """

    name: ClassVar[str] = "raknet"
    transports: ClassVar[frozenset[int]] = UDP_ONLY
    ports: ClassVar[frozenset[int]] = frozenset((19132, 19133))
    first_bytes: ClassVar[frozenset[int] | None] = frozenset(
        (0x01, 0x02, 0x05, 0x06, 0x07, 0x08, 0x1C, 0xA0, 0xC0, *range(0x80, 0x90)))
    """``matches``: the offline message ids, the datagram header bytes."""
    screens: ClassVar[Mapping[int, tuple[Screen, ...]]] = {IPPROTO_UDP: (
        Screen(18, equals=((1, _RAKNET_MAGIC),)),
        Screen(33, equals=((9, _RAKNET_MAGIC),)),
        Screen(35, equals=((17, _RAKNET_MAGIC),)),
        Screen(8, values=((0, frozenset(range(0x80, 0x90))), (4, frozenset(range(0, 256, 16))),
                          (6, frozenset(range(0, 256, 8))))),  # (the first frame's flags, size)
        Screen(7, values=((0, frozenset((0xA0, 0xC0))), (3, frozenset((0, 1))))),
    )}  # fmt: skip

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """One offline message of the kinds above, whole, or a connected datagram."""
        n = len(payload)
        kind = payload[0] if n else 0
        if 0x80 <= kind <= 0x8F:
            return n >= 8 and _raknet_frames(payload)
        if kind in (0xA0, 0xC0):
            return n >= 7 and _raknet_acks(payload)
        if n < 18:
            return False
        if kind in (1, 2):
            return n == 33 and payload[9:25] == _RAKNET_MAGIC
        if kind == 0x1C:
            return (n >= 35 and payload[17:33] == _RAKNET_MAGIC and be16(payload, 33) == n - 35
                    and is_printable(payload[35:]))
        if payload[1:17] != _RAKNET_MAGIC:
            return False
        low, high = _RAKNET_MTU
        if kind == 5:
            return (n <= 1500 and 1 <= payload[17] <= _RAKNET_MAX_VERSION
                    and payload.count(0, 18) == n - 18)
        if kind == 6:
            return n == 28 and payload[25] <= 1 and low <= be16(payload, 26) <= high
        if kind == 7:
            size = _raknet_address(payload, 17)
            return size > 0 and n == 17 + size + 10 and low <= be16(payload, 17 + size) <= high
        if kind == 8:
            size = _raknet_address(payload, 25)
            return (size > 0 and n == 25 + size + 3 and low <= be16(payload, 25 + size) <= high
                    and payload[-1] <= 1)
        return False


# --- eDonkey / eMule (eDonkey protocol descriptions, eMule protocol specification) ----------

_ED2K_OPCODES = {
    0xE3: frozenset((0x01, 0x4C, 0x38, 0x40, 0x34, 0x32, 0x41)),
    0xC5: frozenset((0x01, 0x02)),
}
"""Opcodes accepted first, per protocol byte: eDonkey 0x01 (client hello, or login request
to a server), 0x4c hello answer, 0x38 server message, 0x40 id change, 0x34 server status,
0x32 server list, 0x41 server identification; eMule extension 0x01 eMule info, 0x02 its
answer."""
_ED2K_MAX_TAGS = 64
"""Largest tag count accepted in a hello / login (real clients send about 10)."""
_ED2K_MAX_SIZE = 250_000
"""Largest message accepted first (eMule's limit on a control packet)."""


class EdonkeyDissector(SignatureDissector):
    """eDonkey / eMule over TCP (4661 server, 4662 client). Packed messages (0xd4, zlib) and
    KAD over UDP carry too few fixed bytes: not claimed.

    ``matches`` (header: protocol byte, LE u32 length of opcode plus payload, opcode): a
    protocol byte 0xe3 (eDonkey) or 0xc5 (eMule extension); the length equals the segment's
    length minus 5 (one whole message) and is below 250,000; an opcode of
    :data:`_ED2K_OPCODES`. A hello (0xe3 0x01 with hash size 16) and a login or hello answer
    (0xe3 0x01 / 0x4c: 16-byte user hash, client id, port) also need a tag count of at most
    64 within the message.
    """

    name: ClassVar[str] = "edonkey"
    transports: ClassVar[frozenset[int]] = TCP_ONLY
    ports: ClassVar[frozenset[int]] = frozenset((4661, 4662))
    first_bytes: ClassVar[frozenset[int] | None] = frozenset(_ED2K_OPCODES)
    """``matches``: the protocol bytes."""
    screens: ClassVar[Mapping[int, tuple[Screen, ...]]] = {IPPROTO_TCP: (
        Screen(6, values=((0, frozenset(_ED2K_OPCODES)),), length=(1, 4, "little", 5)),
    )}  # fmt: skip

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """One whole message with a known first opcode."""
        n = len(payload)
        if n < 6 or payload[0] not in _ED2K_OPCODES:
            return False
        if le32(payload, 1) != n - 5 or n > _ED2K_MAX_SIZE:
            return False
        opcode = payload[5]
        if opcode not in _ED2K_OPCODES[payload[0]]:
            return False
        if payload[0] == 0xE3 and opcode in (0x01, 0x4C):
            tags = 29 if opcode == 0x01 and payload[6:7] == b"\x10" else 28
            return n >= tags + 4 and le32(payload, tags) <= _ED2K_MAX_TAGS
        return True


# --- Source engine queries (Valve developer wiki: "Server queries") -------------------------

_A2S_INFO = b"\xff\xff\xff\xffTSource Engine Query\x00"
_A2S_KINDS = frozenset(b"TUVIA")
"""A2S_INFO 'T', A2S_PLAYER 'U', A2S_RULES 'V' requests; 'I' info response, 'A' challenge."""
_A2S_SERVER_TYPES = frozenset(b"dlp")
_A2S_ENVIRONMENTS = frozenset(b"lwmo")
_A2S_MAX_STRING = 256
"""Longest string walked in an info response. Reason: bounds ``matches``."""


def _a2s_info_response(payload: bytes) -> bool:
    """'I', protocol byte, four NUL-terminated printable strings (name, map, folder, game),
    app id (u16), players, max players, bots, server type d/l/p, environment l/w/m/o,
    visibility 0/1, VAC 0/1; players at most max players."""
    pos = 6
    for _ in range(4):
        nul = payload.find(b"\x00", pos, pos + _A2S_MAX_STRING)
        if nul < 0:
            return False
        try:
            payload[pos:nul].decode("utf-8")
        except UnicodeDecodeError:
            return False
        if any(b < 0x20 for b in payload[pos:nul]):
            return False
        pos = nul + 1
    if len(payload) < pos + 9:
        return False
    players, most, bots = payload[pos + 2], payload[pos + 3], payload[pos + 4]
    return (players <= most and bots <= most and payload[pos + 5] in _A2S_SERVER_TYPES
            and payload[pos + 6] in _A2S_ENVIRONMENTS and payload[pos + 7] <= 1
            and payload[pos + 8] <= 1)


class SourceEngineDissector(SignatureDissector):
    """The Source engine server query protocol, A2S (UDP 27015).

    ``matches`` (simple packet header 0xFFFFFFFF, then a kind byte): A2S_INFO ``T`` with
    the string ``Source Engine Query`` and its NUL (25 bytes, or 29 with a challenge);
    A2S_PLAYER ``U`` and A2S_RULES ``V`` with a 4-byte challenge (exactly 9 bytes); the
    challenge response ``A`` (exactly 9 bytes); the info response ``I``
    (:func:`_a2s_info_response`). Split packets (0xFFFFFFFE) are not claimed.
    """

    name: ClassVar[str] = "source_engine"
    transports: ClassVar[frozenset[int]] = UDP_ONLY
    ports: ClassVar[frozenset[int]] = frozenset((27015,))
    first_bytes: ClassVar[frozenset[int] | None] = frozenset((0xFF,))
    """``matches``: the 0xFFFFFFFF header."""
    screens: ClassVar[Mapping[int, tuple[Screen, ...]]] = {IPPROTO_UDP: (
        Screen(9, equals=((0, b"\xff\xff\xff\xff"),), values=((4, _A2S_KINDS),)),
    )}  # fmt: skip

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """One query or response of the kinds above."""
        n = len(payload)
        if n < 9 or payload[:4] != b"\xff\xff\xff\xff":
            return False
        kind = payload[4]
        if kind == 0x54:  # T
            return n in (25, 29) and payload[:25] == _A2S_INFO
        if kind in (0x55, 0x56, 0x41):  # U, V, A
            return n == 9
        if kind == 0x49:  # I
            return n >= 19 and _a2s_info_response(payload)
        return False


# --- Gnutella (Gnutella protocol specification 0.4 and 0.6 "Connection handshake") ----------

_GNUTELLA_REQUESTS = (b"GNUTELLA CONNECT/0.6\r\n", b"GNUTELLA CONNECT/0.4\n\n")
_GNUTELLA_REPLY = b"GNUTELLA/0.6 "
_DIGITS = frozenset(b"0123456789")


class GnutellaDissector(SignatureDissector):
    """The Gnutella handshake (TCP 6346).

    ``matches``: the 0.6 connect line ``GNUTELLA CONNECT/0.6`` CRLF; the 0.4 connect
    ``GNUTELLA CONNECT/0.4`` LF LF, ending the segment; the 0.4 answer ``GNUTELLA OK`` LF LF,
    ending the segment; a 0.6 answer ``GNUTELLA/0.6``, a space, a three-digit status 200-599,
    then a space or CRLF.
    """

    name: ClassVar[str] = "gnutella"
    transports: ClassVar[frozenset[int]] = TCP_ONLY
    ports: ClassVar[frozenset[int]] = frozenset((6346,))
    first_bytes: ClassVar[frozenset[int] | None] = frozenset(b"G")
    """``matches``: the ``G`` of ``GNUTELLA``."""
    screens: ClassVar[Mapping[int, tuple[Screen, ...]]] = {
        IPPROTO_TCP: (Screen(13, equals=((0, b"GNUTELLA"),)),)}

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """A connect line or an answer line."""
        if payload.startswith(_GNUTELLA_REQUESTS[0]):
            return True
        if payload in (_GNUTELLA_REQUESTS[1], b"GNUTELLA OK\n\n"):
            return True
        if not payload.startswith(_GNUTELLA_REPLY) or len(payload) < 18:
            return False
        status = payload[13:16]
        return (all(b in _DIGITS for b in status) and b"200" <= status <= b"599"
                and payload[16:17] in (b" ", b"\r"))


# --- Stratum mining (Stratum v1 / CryptoNote pool JSON-RPC, as documented by pools) ---------

_STRATUM_REQUESTS = frozenset((
    "mining.subscribe", "mining.authorize", "mining.configure",
    "mining.extranonce.subscribe", "login",
))  # fmt: skip
"""Requests a miner opens its session with (Bitcoin stratum v1; CryptoNote ``login``)."""
_STRATUM_NOTIFICATIONS = frozenset(("mining.notify", "mining.set_difficulty", "job"))
"""Pool notifications (no ``id`` needed)."""
_STRATUM_KEYS = tuple(b'"' + m.encode() + b'"' for m in (*_STRATUM_REQUESTS,
                                                         *_STRATUM_NOTIFICATIONS))


def _stratum_params(method: str, params: object) -> bool:
    """The parameters each method carries: a list for the stratum v1 methods (one number
    for set_difficulty, at most two strings for authorize); an object with string
    ``login`` and ``pass`` for ``login``; an object with ``blob``, ``job_id`` and
    ``target`` for ``job``."""
    if method == "login":
        return (isinstance(params, dict) and isinstance(params.get("login"), str)
                and isinstance(params.get("pass"), str))
    if method == "job":
        return isinstance(params, dict) and all(
            isinstance(params.get(k), str) for k in ("blob", "job_id", "target"))
    if not isinstance(params, list):
        return False
    if method == "mining.set_difficulty":
        return len(params) == 1 and isinstance(params[0], (int, float))
    if method == "mining.authorize":
        return 1 <= len(params) <= 2 and all(isinstance(p, str) for p in params)
    if method == "mining.notify":
        return len(params) >= 8
    return True


class StratumDissector(SignatureDissector):
    """Stratum mining pool sessions (TCP; pools commonly listen on 3333, 4444, 5555, 7777,
    14444, 45700: only hints).

    ``matches``: the segment starts with ``{`` and holds a whole first line (LF-terminated,
    at most :data:`_MAX_JSON` bytes) naming a known method in quotes (the cheap test);
    that line is one JSON object whose ``method`` is a session-opening request of
    :data:`_STRATUM_REQUESTS` with an ``id`` key, or a pool notification of
    :data:`_STRATUM_NOTIFICATIONS`; its ``params`` have the method's shape
    (:func:`_stratum_params`).
    """

    name: ClassVar[str] = "stratum"
    transports: ClassVar[frozenset[int]] = TCP_ONLY
    ports: ClassVar[frozenset[int]] = frozenset((3333, 4444, 5555, 7777, 14444, 45700))
    first_bytes: ClassVar[frozenset[int] | None] = frozenset(b"{")
    """``matches``: a JSON object's brace."""

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """A JSON-RPC line of the mining protocol."""
        if len(payload) < 20 or payload[0] != 0x7B:
            return False
        eol = payload.find(b"\n", 0, _MAX_JSON)
        if eol < 0:
            return False
        line = payload[:eol]
        if b'"method"' not in line or not any(k in line for k in _STRATUM_KEYS):
            return False
        obj = json_object(line)
        if obj is None:
            return False
        method = obj.get("method")
        if method in _STRATUM_REQUESTS:
            if "id" not in obj:
                return False
        elif method not in _STRATUM_NOTIFICATIONS:
            return False
        return isinstance(method, str) and _stratum_params(method, obj.get("params"))


# --- Dropbox LAN sync discovery (observed beacons; Dropbox's LAN sync description) ----------


class DropboxLanSyncDissector(SignatureDissector):
    """Dropbox LAN sync discovery broadcasts (UDP 17500). CoAP on 17500 (binary, first byte
    0x40-0x7f) is never taken.

    ``matches``: the datagram (at most :data:`_MAX_JSON` bytes) is one JSON object,
    starting with ``{"`` and holding ``"host_int"`` and ``"namespaces"`` (the cheap test),
    with an integer ``host_int``, a ``version`` list of two integers and a ``namespaces``
    list of integers.
    """

    name: ClassVar[str] = "dropbox_lansync"
    transports: ClassVar[frozenset[int]] = UDP_ONLY
    ports: ClassVar[frozenset[int]] = frozenset((17500,))
    first_bytes: ClassVar[frozenset[int] | None] = frozenset(b"{")
    """``matches``: a JSON object's brace."""
    screens: ClassVar[Mapping[int, tuple[Screen, ...]]] = {
        IPPROTO_UDP: (Screen(40, equals=((0, b'{"'),)),)}

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """The beacon's JSON object with its three keys."""
        if not 40 <= len(payload) <= _MAX_JSON or payload[:2] != b'{"':
            return False
        if b'"host_int"' not in payload or b'"namespaces"' not in payload:
            return False
        obj = json_object(payload)
        if obj is None:
            return False
        host, version, spaces = obj.get("host_int"), obj.get("version"), obj.get("namespaces")
        return (type(host) is int and isinstance(version, list) and len(version) == 2
                and all(type(v) is int for v in version) and isinstance(spaces, list)
                and all(type(s) is int for s in spaces))


P2P_SIGNATURES: tuple[type[Dissector], ...] = (
    BitcoinDissector,
    MoneroDissector,
    SteamDiscoveryDissector,
    SyncthingDiscoveryDissector,
    SpotifyDiscoveryDissector,
    RakNetDissector,
    EdonkeyDissector,
    SourceEngineDissector,
    GnutellaDissector,
    StratumDissector,
    DropboxLanSyncDissector,
)
"""This module's signature dissectors in priority order (strictest first)."""
