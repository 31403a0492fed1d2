"""Content signatures of middleware, RPC and remote-debugging services.

Identification only (see :mod:`wirelens.dissect.signatures_base`). Every ``matches`` is a
few bounded comparisons on the first payload of one direction, never raises, and checks the
facts listed in its class docstring. Exposed middleware and debug ports are classic attack
surface (deserialization, remote code execution), so naming them matters:

- the Java Debug Wire Protocol handshake: :class:`JdwpDissector`;
- Java RMI (JRMP) stream headers and the server's acknowledgement: :class:`JavaRmiDissector`;
- ActiveMQ OpenWire WireFormatInfo: :class:`OpenWireDissector`;
- Hadoop IPC connection headers: :class:`HadoopIpcDissector`;
- Gearman binary packets: :class:`GearmanDissector`;
- FastCGI requests: :class:`FastCgiDissector`;
- ZooKeeper connect requests / responses and four-letter words: :class:`ZooKeeperDissector`;
- the rsync daemon greeting: :class:`RsyncDissector`;
- STOMP 1.0-1.2 connect frames: :class:`StompDissector`;
- NATS INFO / CONNECT lines: :class:`NatsDissector`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from wirelens.dissect.base import IPPROTO_TCP, Dissector, Event, Screen
from wirelens.dissect.signatures_base import (
    MAX_SCAN,
    TCP_ONLY,
    SignatureDissector,
    be16,
    be32,
    is_printable,
    json_object,
)

__all__ = [
    "MIDDLEWARE_SIGNATURES",
    "FastCgiDissector",
    "GearmanDissector",
    "HadoopIpcDissector",
    "JavaRmiDissector",
    "JdwpDissector",
    "NatsDissector",
    "OpenWireDissector",
    "RsyncDissector",
    "StompDissector",
    "ZooKeeperDissector",
]

_HOST_CHARS = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_:%")
_MAX_JSON = 4096
"""Longest NATS INFO / CONNECT line handed to :func:`json.loads` (bounds ``matches``)."""


# --- JDWP (Java Debug Wire Protocol specification, "JDWP Handshake") -----------------------


class JdwpDissector(SignatureDissector):
    """The Java Debug Wire Protocol handshake (TCP, any port; 8000 / 5005 common).

    ``matches``: the segment is exactly the 14 ASCII bytes ``JDWP-Handshake`` (sent by the
    debugger, echoed by the VM). An exposed JDWP port is remote code execution.
    """

    name: ClassVar[str] = "jdwp"
    transports: ClassVar[frozenset[int]] = TCP_ONLY
    ports: ClassVar[frozenset[int]] = frozenset((8000, 5005))
    first_bytes: ClassVar[frozenset[int] | None] = frozenset(b"J")
    """``matches``: the ``J`` of the handshake."""

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """Exactly the handshake string."""
        return payload == b"JDWP-Handshake"


# --- Java RMI (Java RMI specification §10.2 "RMI transport protocol") -----------------------

_JRMI_PROTOCOLS = frozenset((0x4B, 0x4C, 0x4D))
"""StreamProtocol, SingleOpProtocol, MultiplexProtocol."""
_JRMI_MESSAGES = frozenset((0x50, 0x52, 0x54))
"""Call, Ping, DgcAck: what may follow a SingleOpProtocol header in the same segment."""


class JavaRmiDissector(SignatureDissector):
    """Java RMI over JRMP (TCP 1099).

    ``matches`` (§10.2.1 Out, §10.2.2 In): from the client, the header magic ``JRMI``
    (0x4A524D49), version 0x0002 and a protocol byte 0x4B StreamProtocol or 0x4D
    MultiplexProtocol, the segment ending there, or 0x4C SingleOpProtocol followed by a
    Message byte (0x50 Call, 0x52 Ping, 0x54 DgcAck) or nothing; from the server, a
    ProtocolAck: 0x4E, a UTF host name (u16 length 1-255, host-name characters) and an int32
    port below 65536, the segment ending there.
    """

    name: ClassVar[str] = "java_rmi"
    transports: ClassVar[frozenset[int]] = TCP_ONLY
    ports: ClassVar[frozenset[int]] = frozenset((1099,))
    first_bytes: ClassVar[frozenset[int] | None] = frozenset(b"JN")
    """``matches``: the header magic's ``J`` or the ProtocolAck byte 0x4E."""

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """A JRMP stream header, or the server's ProtocolAck."""
        n = len(payload)
        if n >= 7 and payload[:6] == b"JRMI\x00\x02" and payload[6] in _JRMI_PROTOCOLS:
            if payload[6] == 0x4C:
                return n == 7 or payload[7] in _JRMI_MESSAGES
            return n == 7
        if n < 8 or payload[0] != 0x4E or from_orig:
            return False
        size = be16(payload, 1)
        return (size >= 1 and n == 7 + size and be16(payload, 3 + size) == 0
                and all(b in _HOST_CHARS for b in payload[3 : 3 + size]))


# --- ActiveMQ OpenWire (ActiveMQ OpenWire specification: WireFormatInfo) -------------------

_OPENWIRE_MAX_VERSION = 32


class OpenWireDissector(SignatureDissector):
    """ActiveMQ OpenWire WireFormatInfo (TCP 61616).

    ``matches``: an int32 frame size equal to the rest of the segment; data type 1
    (WireFormatInfo); the 8-byte magic ``ActiveMQ``; a version int32 of 1-32. Both sides
    open with it.
    """

    name: ClassVar[str] = "openwire"
    transports: ClassVar[frozenset[int]] = TCP_ONLY
    ports: ClassVar[frozenset[int]] = frozenset((61616,))
    first_bytes: ClassVar[frozenset[int] | None] = frozenset((0,))
    """``matches``: a frame size below 16 MiB."""
    screens: ClassVar[Mapping[int, tuple[Screen, ...]]] = {IPPROTO_TCP: (
        Screen(17, equals=((0, b"\x00"), (4, b"\x01ActiveMQ")), length=(0, 4, "big", 4)),
    )}  # fmt: skip

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """One whole WireFormatInfo frame."""
        n = len(payload)
        return (n >= 17 and be32(payload, 0) == n - 4 and payload[4:13] == b"\x01ActiveMQ"
                and 1 <= be32(payload, 13) <= _OPENWIRE_MAX_VERSION)


# --- Hadoop IPC (Hadoop RPC connection header, org.apache.hadoop.ipc) -----------------------


class HadoopIpcDissector(SignatureDissector):
    """Hadoop IPC connection header (TCP 8020, 9000).

    ``matches`` (client): ``hrpc``, version 9, a service class byte, an auth protocol 0
    (none) or 0xDF (-33, SASL); then the segment ends, or whole length-prefixed RPC
    frames (int32 length 1-65535 each) end exactly at the segment's end.
    """

    name: ClassVar[str] = "hadoop_ipc"
    transports: ClassVar[frozenset[int]] = TCP_ONLY
    ports: ClassVar[frozenset[int]] = frozenset((8020, 9000))
    first_bytes: ClassVar[frozenset[int] | None] = frozenset(b"h")
    screens: ClassVar[Mapping[int, tuple[Screen, ...]]] = {IPPROTO_TCP: (
        Screen(7, equals=((0, b"hrpc\x09"),), values=((6, frozenset((0, 0xDF))),)),
    )}  # fmt: skip

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """The 7-byte connection header, then whole frames or nothing."""
        n = len(payload)
        if n < 7 or payload[:5] != b"hrpc\x09" or payload[6] not in (0, 0xDF):
            return False
        pos = 7
        for _ in range(16):
            if pos == n:
                return True
            if pos + 4 > n:
                return False
            size = be32(payload, pos)
            if not 1 <= size <= 65535:
                return False
            pos += 4 + size
        return pos == n


# --- Gearman (Gearman protocol document, "Binary Protocol") ---------------------------------

_GEARMAN_MAX_TYPE = 42
_GEARMAN_MAX_SIZE = 16 * 1024 * 1024


class GearmanDissector(SignatureDissector):
    """Gearman binary packets (TCP 4730).

    ``matches``: packets walked from the segment's start, each with the magic ``\\0REQ``
    or ``\\0RES``, a packet type 1-42, a size below 16 MiB; the packets end exactly at the
    segment's end (at most 16 packets walked; a longer run is accepted). The text admin
    protocol is not recognised (plain words, not strict enough).
    """

    name: ClassVar[str] = "gearman"
    transports: ClassVar[frozenset[int]] = TCP_ONLY
    ports: ClassVar[frozenset[int]] = frozenset((4730,))
    first_bytes: ClassVar[frozenset[int] | None] = frozenset((0,))
    screens: ClassVar[Mapping[int, tuple[Screen, ...]]] = {IPPROTO_TCP: (
        Screen(12, equals=((0, b"\x00RE"), (4, b"\x00\x00\x00"))),
    )}  # fmt: skip

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """Whole binary packets filling the segment."""
        n = len(payload)
        pos = 0
        for _ in range(16):
            if pos + 12 > n or payload[pos : pos + 4] not in (b"\x00REQ", b"\x00RES"):
                return False
            size = be32(payload, pos + 8)
            if not 1 <= be32(payload, pos + 4) <= _GEARMAN_MAX_TYPE or size > _GEARMAN_MAX_SIZE:
                return False
            pos += 12 + size
            if pos == n:
                return True
        return pos < n


# --- FastCGI (FastCGI Specification 1.0, §3.3 records, §5.1 FCGI_BEGIN_REQUEST) -------------

_FCGI_MAX_RECORDS = 32


class FastCgiDissector(SignatureDissector):
    """FastCGI requests (TCP 9000; shared with Hadoop IPC, told apart by content).

    ``matches`` (client, §3.3, §5.1, §8): a first record of version 1, type 1
    (FCGI_BEGIN_REQUEST), a request id, content length 8, padding 0-255 and a zero
    reserved byte; its body holds a role 1-3 (responder, authorizer, filter), flags 0 or 1
    (FCGI_KEEP_CONN) and 5 zero reserved bytes; the following records (version 1, types
    1-11, zero reserved byte) are walked and end exactly at the segment's end (at most 32;
    a longer run is accepted). The flow is named by the request's ``HTTP_HOST`` parameter
    (else ``SERVER_NAME``; §6.1 params are CGI/1.1 meta-variables), without a port.
    """

    name: ClassVar[str] = "fastcgi"
    name_source: ClassVar[str | None] = "fastcgi_host"
    transports: ClassVar[frozenset[int]] = TCP_ONLY
    ports: ClassVar[frozenset[int]] = frozenset((9000,))
    first_bytes: ClassVar[frozenset[int] | None] = frozenset((1,))
    screens: ClassVar[Mapping[int, tuple[Screen, ...]]] = {IPPROTO_TCP: (
        Screen(16, equals=((0, b"\x01\x01"), (4, b"\x00\x08"), (7, b"\x00"), (8, b"\x00"))),
    )}  # fmt: skip

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """A BEGIN_REQUEST record, then whole records filling the segment."""
        n = len(payload)
        if (n < 16 or payload[:2] != b"\x01\x01" or be16(payload, 4) != 8 or payload[7]
                or payload[8] or not 1 <= payload[9] <= 3 or payload[10] > 1
                or any(payload[11:16])):
            return False
        pos = 16 + payload[6]
        for _ in range(_FCGI_MAX_RECORDS):
            if pos == n:
                return True
            if (pos + 8 > n or payload[pos] != 1 or not 1 <= payload[pos + 1] <= 11
                    or payload[pos + 7]):
                return False
            pos += 8 + be16(payload, pos + 4) + payload[pos + 6]
        return pos <= n

    def __init__(self, proto: int) -> None:
        super().__init__(proto)
        self._segments = 0

    def feed(self, data: bytes, from_orig: bool, ts_ns: int) -> list[Event]:
        """Names the flow from the request's FCGI_PARAMS: the ``HTTP_HOST`` parameter, else
        ``SERVER_NAME``, read from each of the client's first
        :data:`_FCGI_NAMING_SEGMENTS` segments that starts with whole records (the
        BEGIN_REQUEST record often travels alone); then ``done``."""
        if not from_orig:  # the server answers: the request's params are over
            self.done = True
            return []
        self._segments += 1
        params, ended = _fcgi_params(data)
        host = params.get(b"HTTP_HOST") or params.get(b"SERVER_NAME")
        if host and is_printable(host) and b" " not in host:
            text = host.decode("ascii").lower()
            name, colon, port = text.rpartition(":")
            self.server_name = name if colon and name and port.isdigit() else text
        if ended or self.server_name is not None or self._segments >= _FCGI_NAMING_SEGMENTS:
            self.done = True
        return []


_FCGI_PARAMS = 4
"""FCGI_PARAMS record type (§8)."""
_FCGI_NAMING_SEGMENTS = 4
"""Client segments read for the name at most."""
_FCGI_MAX_PAIRS = 256
"""Name-value pairs read at most. Reason: bounds the walk."""


def _fcgi_params(data: bytes) -> tuple[dict[bytes, bytes], bool]:
    """The name-value pairs (§3.4: each length in 1 byte, or 4 with the top bit set) of the
    FCGI_PARAMS records among the whole records at the start of ``data``, and whether the
    empty FCGI_PARAMS record that ends them (§5.2) is there."""
    out: dict[bytes, bytes] = {}
    ended = False
    pos, n = 0, len(data)
    for _ in range(_FCGI_MAX_RECORDS):
        if pos + 8 > n or data[pos] != 1:
            break
        length, end = be16(data, pos + 4), pos + 8 + be16(data, pos + 4)
        if end > n:
            break
        if data[pos + 1] == _FCGI_PARAMS and not length:
            ended = True
        elif data[pos + 1] == _FCGI_PARAMS:
            at = pos + 8
            for _ in range(_FCGI_MAX_PAIRS):
                sizes = []
                for _ in range(2):
                    if at >= end:
                        break
                    if data[at] & 0x80:
                        if at + 4 > end:
                            break
                        sizes.append(be32(data, at) & 0x7FFF_FFFF)
                        at += 4
                    else:
                        sizes.append(data[at])
                        at += 1
                if len(sizes) != 2 or at + sizes[0] + sizes[1] > end:
                    break
                name = data[at : at + sizes[0]]
                out[name] = data[at + sizes[0] : at + sizes[0] + sizes[1]]
                at += sizes[0] + sizes[1]
        pos = end + data[pos + 6]
    return out, ended


# --- ZooKeeper (ZooKeeper jute records: ConnectRequest / ConnectResponse; admin guide 4lw) --

_ZK_WORDS = frozenset((
    b"ruok", b"stat", b"srvr", b"conf", b"cons", b"crst", b"dump", b"envi", b"mntr",
    b"wchs", b"wchc", b"wchp", b"dirs", b"isro", b"srst", b"gtmk", b"reqs",
))  # fmt: skip
"""The four-letter-word admin commands."""


class ZooKeeperDissector(SignatureDissector):
    """ZooKeeper client connections and admin commands (TCP 2181).

    ``matches``: from the client, a four-letter word of :data:`_ZK_WORDS` alone (exactly 4
    bytes), or a ConnectRequest: int32 length equal to the rest (44, or 45 with the
    readOnly byte), protocolVersion 0, lastZxidSeen not negative, timeOut 1 ms - 1 day,
    sessionId, passwd length 16 (all zero when sessionId is 0), readOnly 0 or 1; from
    the server, a ConnectResponse: length 36 or 37, protocolVersion 0, timeOut 1 ms - 1 day,
    a non-zero sessionId, passwd length 16, readOnly 0 or 1.
    """

    name: ClassVar[str] = "zookeeper"
    transports: ClassVar[frozenset[int]] = TCP_ONLY
    ports: ClassVar[frozenset[int]] = frozenset((2181,))
    first_bytes: ClassVar[frozenset[int] | None] = frozenset((0, *(w[0] for w in _ZK_WORDS)))
    screens: ClassVar[Mapping[int, tuple[Screen, ...]]] = {IPPROTO_TCP: (
        Screen(48, equals=((0, b"\x00\x00\x00"), (4, b"\x00\x00\x00\x00"), (28, b"\x00\x00\x00\x10")),
               length=(0, 4, "big", 4)),
        Screen(40, equals=((0, b"\x00\x00\x00"), (4, b"\x00\x00\x00\x00"), (20, b"\x00\x00\x00\x10")),
               length=(0, 4, "big", 4)),
        Screen(4, values=tuple((i, frozenset(w[i] for w in _ZK_WORDS)) for i in range(4))),
    )}  # fmt: skip

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """A four-letter word, a ConnectRequest or a ConnectResponse."""
        n = len(payload)
        if n == 4:
            return from_orig and payload in _ZK_WORDS
        if n not in (40, 41, 48, 49) or be32(payload, 0) != n - 4 or be32(payload, 4):
            return False
        if n >= 48:
            if not from_orig or payload[8] & 0x80 or not 1 <= be32(payload, 16) <= 86_400_000:
                return False
            if be32(payload, 28) != 16 or (n == 49 and payload[48] > 1):
                return False
            return any(payload[20:28]) or not any(payload[32:48])
        if from_orig or not 1 <= be32(payload, 8) <= 86_400_000 or not any(payload[12:20]):
            return False
        return be32(payload, 20) == 16 and (n == 40 or payload[40] <= 1)


# --- rsync daemon (rsync's daemon protocol: the "@RSYNCD:" greeting) ------------------------


class RsyncDissector(SignatureDissector):
    """The rsync daemon greeting (TCP 873), from either side.

    ``matches``: ``@RSYNCD: `` then a major version (1-3 digits), ``.``, a minor version
    (1-3 digits), optionally a space and a printable digest list, then ``\\n`` within the
    first 128 bytes. Later bytes (a module name) are not checked.
    """

    name: ClassVar[str] = "rsync"
    transports: ClassVar[frozenset[int]] = TCP_ONLY
    ports: ClassVar[frozenset[int]] = frozenset((873,))
    first_bytes: ClassVar[frozenset[int] | None] = frozenset(b"@")

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """The greeting line."""
        if not payload.startswith(b"@RSYNCD: "):
            return False
        end = payload.find(b"\n", 9, 128)
        if end < 0:
            return False
        version, _, rest = payload[9:end].partition(b" ")
        major, dot, minor = version.partition(b".")
        return (bool(dot) and 1 <= len(major) <= 3 and 1 <= len(minor) <= 3
                and major.isdigit() and minor.isdigit() and is_printable(rest))


# --- STOMP (STOMP Protocol Specification 1.2, "Frames and headers", "Connecting") ----------

_STOMP_HEADERS = frozenset((
    b"accept-version", b"host", b"login", b"passcode", b"heart-beat", b"version",
    b"session", b"server", b"client-id",
))  # fmt: skip


class StompDissector(SignatureDissector):
    """STOMP 1.0-1.2 connection frames (TCP 61613).

    ``matches``: a command line ``CONNECT`` or ``STOMP`` (client) or ``CONNECTED``
    (server), ended by LF or CRLF; header lines ``name:value`` (printable, a non-empty name
    without a colon), at least one of them a connection header of :data:`_STOMP_HEADERS`;
    a blank line; then the NUL frame terminator (these frames have no body), optionally
    followed by end-of-line heart-beats; all within :data:`MAX_SCAN` bytes.
    """

    name: ClassVar[str] = "stomp"
    transports: ClassVar[frozenset[int]] = TCP_ONLY
    ports: ClassVar[frozenset[int]] = frozenset((61613,))
    first_bytes: ClassVar[frozenset[int] | None] = frozenset(b"CS")

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """One whole CONNECT / STOMP / CONNECTED frame."""
        if not payload.startswith((b"CONNECT", b"STOMP")):
            return False
        end = payload.find(b"\x00", 0, MAX_SCAN)
        if end < 0 or payload[end + 1 :].strip(b"\r\n"):
            return False
        lines = payload[:end].replace(b"\r\n", b"\n").split(b"\n")
        if lines[0] not in (b"CONNECT", b"STOMP", b"CONNECTED") or lines[-2:] != [b"", b""]:
            return False
        known = False
        for line in lines[1:-2]:
            key, colon, _ = line.partition(b":")
            if not key or not colon or not is_printable(line):
                return False
            known = known or key in _STOMP_HEADERS
        return known


# --- NATS (NATS client protocol: INFO and CONNECT) ------------------------------------------


class NatsDissector(SignatureDissector):
    """NATS client protocol (TCP 4222).

    ``matches``: from the server, ``INFO `` then a JSON object holding a string
    ``server_id``; from the client, ``CONNECT `` then a JSON object holding the booleans
    ``verbose`` and ``pedantic``; the object's ``}``, optional spaces and CRLF end the line within :data:`_MAX_JSON` bytes.
    """

    name: ClassVar[str] = "nats"
    transports: ClassVar[frozenset[int]] = TCP_ONLY
    ports: ClassVar[frozenset[int]] = frozenset((4222,))
    first_bytes: ClassVar[frozenset[int] | None] = frozenset(b"IC")

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """An INFO or CONNECT line with its JSON object."""
        if payload.startswith(b"INFO {"):
            start = 5
        elif payload.startswith(b"CONNECT {"):
            start = 8
        else:
            return False
        end = payload.find(b"\r\n", start, _MAX_JSON)
        if end < 0:
            return False
        end = len(payload[:end].rstrip(b" ")) - 1
        if payload[end] != 0x7D:
            return False
        if b'"server_id"' not in payload[start:end] and b'"verbose"' not in payload[start:end]:
            return False
        obj = json_object(payload[start : end + 1])
        if obj is None:
            return False
        if start == 5:
            return isinstance(obj.get("server_id"), str)
        return isinstance(obj.get("verbose"), bool) and isinstance(obj.get("pedantic"), bool)


MIDDLEWARE_SIGNATURES: tuple[type[Dissector], ...] = (
    JdwpDissector,
    JavaRmiDissector,
    OpenWireDissector,
    HadoopIpcDissector,
    GearmanDissector,
    FastCgiDissector,
    ZooKeeperDissector,
    RsyncDissector,
    StompDissector,
    NatsDissector,
)
"""This module's signature dissectors in priority order (strictest first)."""
