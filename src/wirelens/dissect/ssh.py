"""SSH (RFC 4253): identification strings, then each side's SSH_MSG_KEXINIT, and HASSH.

What is read, per direction, in order:

1. Lines before the identification string (RFC 4253 §4.2 allows them from the server; they
   are tolerated from either side, bounded by :data:`SSH_MAX_PRE_BANNER_BYTES`).
2. The identification string ``SSH-protoversion-softwareversion SP comments CR LF``
   (§4.2; a bare LF is accepted too, as §4.2 asks of a tolerant peer), at most
   :data:`SSH_MAX_BANNER_BYTES` long.
3. For protocol 2 (``2.0``, or ``1.99``: a server speaking both, §5.1), binary packets
   (§6): ``uint32 packet_length, byte padding_length, payload, random padding``; before the
   first key exchange completes there is no MAC and no encryption (§6, "none"). Packets
   before the KEXINIT (SSH_MSG_IGNORE, SSH_MSG_DEBUG, ...) are skipped by length.
4. SSH_MSG_KEXINIT (§7.1): the cookie, ten name-lists (RFC 4251 §5), the
   ``first_kex_packet_follows`` boolean and the reserved ``uint32``. Reading stops there
   for that direction: what follows may soon be encrypted.

One :class:`SshRecord` per flow, emitted as soon as both KEXINITs are parsed (then
:attr:`SshDissector.done` is set), or by :meth:`SshDissector.finish` with what was seen
(protocol 1 flows stop after both identification strings: SSH-1 has no KEXINIT).

HASSH (Salesforce's published definition): ``hassh`` is the MD5 (lower-case hex) of the
client's ``kex_algorithms;encryption_algorithms_client_to_server;
mac_algorithms_client_to_server;compression_algorithms_client_to_server``;
``hassh_server`` the MD5 of the server's
``kex_algorithms;encryption_algorithms_server_to_client;mac_algorithms_server_to_client;
compression_algorithms_server_to_client`` (each list as sent: names joined by commas).

The negotiated algorithms follow §7.1: the first algorithm of the client's list that the
server also offers. The extra conditions §7.1 sets on the key exchange and host key
algorithm pair (encryption- or signature-capable host keys) are not checked.

SSH does not name the server, so :attr:`~wirelens.dissect.base.Dissector.server_name`
stays ``None``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from enum import IntEnum
from typing import ClassVar

from wirelens.dissect.base import IPPROTO_TCP, Dissector, Event
from wirelens.wire.buffer import Buffer
from wirelens.wire.errors import BadValue, LimitExceeded, Truncated

__all__ = [
    "SSH_MAX_BANNER_BYTES",
    "SSH_MAX_PACKETS_BEFORE_KEXINIT",
    "SSH_MAX_PACKET_LENGTH",
    "SSH_MAX_PRE_BANNER_BYTES",
    "KexInit",
    "SshDissector",
    "SshMsg",
    "SshRecord",
    "hassh",
    "negotiate",
    "parse_banner",
    "parse_kexinit",
]

SSH_MAX_BANNER_BYTES = 255
"""The identification string, CR LF included, is at most 255 characters (RFC 4253 §4.2)."""

SSH_MAX_PRE_BANNER_BYTES = 8192
"""Bytes of lines sent before the identification string (RFC 4253 §4.2 lets a server send
them; real ones are a short notice). More is not SSH."""

SSH_MAX_PACKET_LENGTH = 256 * 1024
"""``packet_length`` accepted before the KEXINIT. RFC 4253 §6.1 requires support for
packets of 35,000 bytes and allows larger; real KEXINITs are 1-2 KiB, but an
implementation may offer long lists, so the bound is generous (it caps buffered bytes)."""

SSH_MAX_PACKETS_BEFORE_KEXINIT = 32
"""Packets (IGNORE, DEBUG, ...) skipped before the KEXINIT of one direction. The KEXINIT
is normally the first packet (RFC 4253 §7.1: sent right after the identification)."""

SSH_MAX_NAMES = 1024
"""Names kept per name-list (the list is still parsed whole)."""

_CR, _LF = 0x0D, 0x0A


class SshMsg(IntEnum):
    """Transport layer message numbers (RFC 4250 §4.1.2)."""

    DISCONNECT = 1
    IGNORE = 2
    UNIMPLEMENTED = 3
    DEBUG = 4
    SERVICE_REQUEST = 5
    SERVICE_ACCEPT = 6
    EXT_INFO = 7
    KEXINIT = 20
    NEWKEYS = 21


@dataclass(slots=True)
class KexInit:
    """The algorithm lists of one SSH_MSG_KEXINIT (RFC 4253 §7.1), each name in order."""

    cookie: bytes
    """16 random bytes."""
    kex_algorithms: tuple[str, ...]
    """Key exchange methods."""
    server_host_key_algorithms: tuple[str, ...]
    """Host key (signature) algorithms."""
    encryption_c2s: tuple[str, ...]
    """Ciphers, client to server."""
    encryption_s2c: tuple[str, ...]
    """Ciphers, server to client."""
    mac_c2s: tuple[str, ...]
    """MAC algorithms, client to server."""
    mac_s2c: tuple[str, ...]
    """MAC algorithms, server to client."""
    compression_c2s: tuple[str, ...]
    """Compression algorithms, client to server."""
    compression_s2c: tuple[str, ...]
    """Compression algorithms, server to client."""
    languages_c2s: tuple[str, ...]
    """Language tags, client to server (usually empty)."""
    languages_s2c: tuple[str, ...]
    """Language tags, server to client."""
    first_kex_packet_follows: bool
    """A guessed key exchange packet follows."""
    raw_lists: tuple[str, ...]
    """The ten name-lists exactly as sent (comma-joined text), for HASSH."""


@dataclass(slots=True)
class SshRecord(Event):
    """One SSH connection's handshake (Zeek ``ssh.log``-like, plus HASSH)."""

    table: ClassVar[str | None] = "ssh"

    version: int | None
    """Protocol major version of the connection: 2 when both sides speak 2 (``2.0`` or
    ``1.99``), 1 when one side speaks only 1.x; None unless both banners were seen."""
    client: str | None
    """Client identification string (without CR LF)."""
    server: str | None
    """Server identification string (without CR LF)."""
    kex_algorithms: tuple[str, ...]
    """Key exchange methods offered by the client."""
    host_key_algorithms: tuple[str, ...]
    """Host key algorithms offered by the client."""
    ciphers_c2s: tuple[str, ...]
    """Ciphers offered by the client, client to server."""
    ciphers_s2c: tuple[str, ...]
    """Ciphers offered by the client, server to client."""
    macs_c2s: tuple[str, ...]
    """MACs offered by the client, client to server."""
    macs_s2c: tuple[str, ...]
    """MACs offered by the client, server to client."""
    compression_c2s: tuple[str, ...]
    """Compression offered by the client, client to server."""
    compression_s2c: tuple[str, ...]
    """Compression offered by the client, server to client."""
    hassh: str | None
    """MD5 of :attr:`hassh_string` (lower-case hex)."""
    hassh_string: str | None
    """Client's ``kex;enc_c2s;mac_c2s;comp_c2s`` lists."""
    hassh_server: str | None
    """MD5 of :attr:`hassh_server_string`."""
    hassh_server_string: str | None
    """Server's ``kex;enc_s2c;mac_s2c;comp_s2c`` lists."""
    kex_alg: str | None
    """Negotiated key exchange method (None without both KEXINITs or without overlap)."""
    host_key_alg: str | None
    """Negotiated host key algorithm."""
    cipher_alg: str | None
    """Negotiated cipher, client to server."""
    cipher_alg_s2c: str | None
    """Negotiated cipher, server to client."""
    mac_alg: str | None
    """Negotiated MAC, client to server (not used with an AEAD cipher such as
    aes256-gcm@openssh.com, whose integrity comes from the cipher)."""
    compression_alg: str | None
    """Negotiated compression, client to server."""


# -- pure parsers -----------------------------------------------------------------------------


def parse_banner(line: bytes) -> tuple[str, str]:
    """(protoversion, whole line as text) of an identification string without its line end.

    RFC 4253 §4.2: ``SSH-protoversion-softwareversion [SP comments]``; protoversion and
    softwareversion are printable US-ASCII without '-' or spaces.
    """
    if not line.startswith(b"SSH-"):
        raise BadValue(f"not an SSH identification string: {line[:16]!r}")
    dash = line.find(b"-", 4)
    if dash < 0:
        raise BadValue("identification string without softwareversion")
    proto = line[4:dash]
    if not proto or not all(0x21 <= b <= 0x7E for b in proto):
        raise BadValue(f"bad protoversion {proto[:16]!r}")
    return proto.decode("ascii"), line.decode("utf-8", "backslashreplace")


def _name_list(buf: Buffer) -> tuple[tuple[str, ...], str]:
    """A name-list (RFC 4251 §5): uint32 length, comma-separated names. Returns (names,
    raw text)."""
    length = buf.pull_u32()
    if length > buf.remaining:
        raise Truncated(f"name-list of {length} bytes, {buf.remaining} left", buf.tell())
    raw = buf.pull_bytes(length).decode("ascii", "backslashreplace")
    names = tuple(raw.split(",")[:SSH_MAX_NAMES]) if raw else ()
    return names, raw


def parse_kexinit(payload: bytes) -> KexInit:
    """Parse the payload of an SSH_MSG_KEXINIT (message number included), RFC 4253 §7.1."""
    buf = Buffer(payload)
    msg = buf.pull_u8()
    if msg != SshMsg.KEXINIT:
        raise BadValue(f"message {msg} is not KEXINIT")
    cookie = buf.pull_bytes(16)
    lists: list[tuple[str, ...]] = []
    raws: list[str] = []
    for _ in range(10):
        names, raw = _name_list(buf)
        lists.append(names)
        raws.append(raw)
    follows = buf.pull_u8() != 0
    buf.pull_u32()  # reserved for future extension
    # Bytes after the reserved field are tolerated: §7.1 fixes no payload length, and
    # implementations are asked to ignore what they do not understand.
    return KexInit(
        cookie=cookie,
        kex_algorithms=lists[0],
        server_host_key_algorithms=lists[1],
        encryption_c2s=lists[2],
        encryption_s2c=lists[3],
        mac_c2s=lists[4],
        mac_s2c=lists[5],
        compression_c2s=lists[6],
        compression_s2c=lists[7],
        languages_c2s=lists[8],
        languages_s2c=lists[9],
        first_kex_packet_follows=follows,
        raw_lists=tuple(raws),
    )


def hassh(kex: KexInit, server: bool) -> tuple[str, str]:
    """(MD5 hex, string) of HASSH (client) or HASSH-server (``server=True``)."""
    r = kex.raw_lists
    parts = (r[0], r[3], r[5], r[7]) if server else (r[0], r[2], r[4], r[6])
    text = ";".join(parts)
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest(), text


def negotiate(client: tuple[str, ...], server: tuple[str, ...]) -> str | None:
    """The first client algorithm the server also offers (RFC 4253 §7.1), or None."""
    offered = set(server)
    for name in client:
        if name in offered:
            return name
    return None


# -- the dissector ----------------------------------------------------------------------------


class _Side:
    """Per-direction state."""

    __slots__ = ("banner", "buf", "kexinit", "packets", "pre_bytes", "proto")

    def __init__(self) -> None:
        self.buf = bytearray()
        self.banner: str | None = None
        self.proto: str | None = None
        self.pre_bytes = 0
        self.packets = 0
        self.kexinit: KexInit | None = None


def _major(proto: str | None) -> int | None:
    """Major version of a protoversion: 2 for ``2.x`` and ``1.99`` (RFC 4253 §5.1)."""
    if proto is None:
        return None
    if proto == "1.99" or proto.startswith("2."):
        return 2
    if proto.startswith("1."):
        return 1
    return None


class SshDissector(Dissector):
    """SSH over TCP: identification strings, KEXINITs, HASSH, negotiated algorithms."""

    name: ClassVar[str] = "ssh"
    transports: ClassVar[frozenset[int]] = frozenset((IPPROTO_TCP,))
    ports: ClassVar[frozenset[int]] = frozenset((22, 2222))
    first_bytes: ClassVar[frozenset[int] | None] = frozenset(b"S")
    """``matches``: ``payload[:4] == b"SSH-"`` (RFC 4253 §4.2)."""
    name_source: ClassVar[str | None] = None

    def __init__(self, proto: int) -> None:
        super().__init__(proto)
        self._sides = {True: _Side(), False: _Side()}
        self._ts_ns: int | None = None
        self._emitted = False

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """A TCP payload starting ``SSH-1.`` or ``SSH-2.`` (RFC 4253 §4.2, §5)."""
        return (
            proto == IPPROTO_TCP
            and len(payload) >= 6
            and payload[:4] == b"SSH-"
            and payload[4] in b"12"
            and payload[5] == 0x2E
        )

    def feed(self, data: bytes, from_orig: bool, ts_ns: int) -> list[Event]:
        """Next stream bytes of one direction."""
        if self.done or not data:
            return []
        if self._ts_ns is None:
            self._ts_ns = ts_ns
        side = self._sides[from_orig]
        if side.kexinit is not None or (side.banner is not None and _major(side.proto) == 1):
            return []  # this direction is finished (SSH-1 has no KEXINIT)
        side.buf += data
        if side.banner is None:
            self._banner(side)
            if side.banner is None:
                return []
        if _major(side.proto) == 2:
            self._packets(side)
        return self._maybe_emit()

    def finish(self) -> list[Event]:
        """Emit the record with what was seen, if any banner was."""
        client, server = self._sides[True], self._sides[False]
        if self._emitted or (client.banner is None and server.banner is None):
            return []
        return [self._record()]

    # -- per direction ----------------------------------------------------------------------

    def _banner(self, side: _Side) -> None:
        """Consume lines until the identification string (RFC 4253 §4.2)."""
        buf = side.buf
        while True:
            nl = buf.find(b"\n")
            if nl < 0:
                limit = SSH_MAX_BANNER_BYTES if buf[:4] == b"SSH-" else SSH_MAX_PRE_BANNER_BYTES
                if len(buf) > limit or side.pre_bytes + len(buf) > SSH_MAX_PRE_BANNER_BYTES:
                    raise LimitExceeded(f"no line end in {len(buf)} bytes")
                return
            line = bytes(buf[:nl])
            del buf[: nl + 1]
            if line.startswith(b"SSH-"):
                if nl + 1 > SSH_MAX_BANNER_BYTES:
                    raise LimitExceeded(f"identification string of {nl + 1} bytes")
                if line.endswith(b"\r"):
                    line = line[:-1]
                side.proto, side.banner = parse_banner(line)
                if _major(side.proto) is None:
                    raise BadValue(f"unknown SSH protocol version {side.proto!r}")
                return
            side.pre_bytes += nl + 1
            if side.pre_bytes > SSH_MAX_PRE_BANNER_BYTES:
                raise LimitExceeded(f"{side.pre_bytes} bytes before the identification string")

    def _packets(self, side: _Side) -> None:
        """Cut binary packets (RFC 4253 §6) until the KEXINIT."""
        buf = side.buf
        while side.kexinit is None and len(buf) >= 5:
            length = int.from_bytes(buf[:4], "big")
            pad = buf[4]
            if length > SSH_MAX_PACKET_LENGTH:
                raise LimitExceeded(f"packet_length {length}")
            if length < pad + 1 or pad < 4:  # §6: at least four bytes of padding
                raise BadValue(f"packet_length {length} with padding_length {pad}")
            if len(buf) < 4 + length:
                return
            payload = bytes(buf[5 : 4 + length - pad])
            del buf[: 4 + length]
            if payload and payload[0] == SshMsg.KEXINIT:
                side.kexinit = parse_kexinit(payload)
                buf.clear()
                return
            side.packets += 1
            if side.packets > SSH_MAX_PACKETS_BEFORE_KEXINIT:
                raise LimitExceeded(f"{side.packets} packets before KEXINIT")

    # -- events -----------------------------------------------------------------------------

    def _maybe_emit(self) -> list[Event]:
        client, server = self._sides[True], self._sides[False]
        complete = (client.kexinit is not None and server.kexinit is not None) or (
            client.banner is not None
            and server.banner is not None
            and 1 in (_major(client.proto), _major(server.proto))
        )
        if not complete or self._emitted:
            return []
        self.done = True
        return [self._record()]

    def _record(self) -> SshRecord:
        self._emitted = True
        client, server = self._sides[True], self._sides[False]
        cmaj, smaj = _major(client.proto), _major(server.proto)
        version = None if cmaj is None or smaj is None else min(cmaj, smaj)
        ck, sk = client.kexinit, server.kexinit
        h = hs = None
        if ck is not None:
            h = hassh(ck, server=False)
        if sk is not None:
            hs = hassh(sk, server=True)
        both = ck is not None and sk is not None

        def agreed(pick: int) -> str | None:
            if ck is None or sk is None:
                return None
            lists_c = (
                ck.kex_algorithms,
                ck.server_host_key_algorithms,
                ck.encryption_c2s,
                ck.encryption_s2c,
                ck.mac_c2s,
                ck.compression_c2s,
            )
            lists_s = (
                sk.kex_algorithms,
                sk.server_host_key_algorithms,
                sk.encryption_c2s,
                sk.encryption_s2c,
                sk.mac_c2s,
                sk.compression_c2s,
            )
            return negotiate(lists_c[pick], lists_s[pick])

        return SshRecord(
            ts_ns=self._ts_ns if self._ts_ns is not None else 0,
            version=version,
            client=client.banner,
            server=server.banner,
            kex_algorithms=ck.kex_algorithms if ck else (),
            host_key_algorithms=ck.server_host_key_algorithms if ck else (),
            ciphers_c2s=ck.encryption_c2s if ck else (),
            ciphers_s2c=ck.encryption_s2c if ck else (),
            macs_c2s=ck.mac_c2s if ck else (),
            macs_s2c=ck.mac_s2c if ck else (),
            compression_c2s=ck.compression_c2s if ck else (),
            compression_s2c=ck.compression_s2c if ck else (),
            hassh=h[0] if h else None,
            hassh_string=h[1] if h else None,
            hassh_server=hs[0] if hs else None,
            hassh_server_string=hs[1] if hs else None,
            kex_alg=agreed(0) if both else None,
            host_key_alg=agreed(1) if both else None,
            cipher_alg=agreed(2) if both else None,
            cipher_alg_s2c=agreed(3) if both else None,
            mac_alg=agreed(4) if both else None,
            compression_alg=agreed(5) if both else None,
        )
