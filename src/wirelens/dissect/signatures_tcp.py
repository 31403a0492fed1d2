"""Content signatures of TCP services: Telnet, VNC, MySQL, PostgreSQL, Redis, MongoDB.

Identification only (see :mod:`wirelens.dissect.signatures_base`). ``matches`` sees the
first segment of one direction; each rule says what must be whole in it. MySQL and
PostgreSQL read on through their TLS negotiation, to hand an encrypted session to the TLS
dissector.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import IntEnum
from typing import ClassVar

from wirelens.dissect.base import IPPROTO_TCP, Event, Screen
from wirelens.dissect.signatures_base import (
    MAX_SCAN,
    STARTTLS_WATCH_BYTES,
    TCP_ONLY,
    SignatureDissector,
    be32,
    is_printable,
    le32,
)

__all__ = [
    "MongoDbDissector",
    "MongoOpcode",
    "MySqlDissector",
    "PostgresqlDissector",
    "RedisDissector",
    "TelnetCommand",
    "TelnetDissector",
    "VncDissector",
]


# --- Telnet (RFC 854, RFC 855) -------------------------------------------------------------


class TelnetCommand(IntEnum):
    """Telnet commands following IAC (RFC 854, "TELNET COMMAND STRUCTURE")."""

    SE = 240
    NOP = 241
    DM = 242
    BRK = 243
    IP = 244
    AO = 245
    AYT = 246
    EC = 247
    EL = 248
    GA = 249
    SB = 250
    WILL = 251
    WONT = 252
    DO = 253
    DONT = 254
    IAC = 255


_TELNET_OPTIONS = frozenset((*range(0, 50), 138, 139, 140, 255))
"""Option codes of the IANA "Telnet Options" registry (0-49, 138-140, 255 EXOPL)."""
_TELNET_MAX_COMMANDS = 32
"""IAC sequences walked. Reason: bounds ``matches`` (a negotiation burst holds ~10)."""


def _telnet_negotiations(p: bytes) -> tuple[int, int]:
    """(negotiations, end) of the run of IAC sequences at the start of ``p``; (-1, 0) when
    a sequence is malformed (unknown command or option, subnegotiation without IAC SE)."""
    pos = count = 0
    for _ in range(_TELNET_MAX_COMMANDS):
        if pos >= len(p) or p[pos] != TelnetCommand.IAC:
            break
        if pos + 2 > len(p):
            return -1, 0
        cmd = p[pos + 1]
        if TelnetCommand.WILL <= cmd <= TelnetCommand.DONT:
            if pos + 3 > len(p) or p[pos + 2] not in _TELNET_OPTIONS:
                return -1, 0
            pos, count = pos + 3, count + 1
        elif cmd == TelnetCommand.SB:
            end = p.find(b"\xff\xf0", pos + 2, pos + MAX_SCAN)
            if end < 0 or pos + 2 >= len(p) or p[pos + 2] not in _TELNET_OPTIONS:
                return -1, 0
            pos, count = end + 2, count + 1
        elif TelnetCommand.NOP <= cmd <= TelnetCommand.GA:
            pos += 2
        else:
            return -1, 0
    return count, pos


class TelnetDissector(SignatureDissector):
    """Telnet (TCP 23) by its option negotiation.

    ``matches`` (RFC 854/855): the segment starts with IAC (255) and a run of well-formed
    IAC sequences: WILL/WONT/DO/DONT with an option of the IANA registry
    (:data:`_TELNET_OPTIONS`), subnegotiations closed by IAC SE, or the two-byte commands
    NOP..GA. At least one negotiation, and either the whole segment is that run or it
    holds two negotiations or more. A server that sends only a text banner first is not
    claimed (nothing in plain text says Telnet).
    """

    name: ClassVar[str] = "telnet"
    transports: ClassVar[frozenset[int]] = TCP_ONLY
    ports: ClassVar[frozenset[int]] = frozenset((23,))
    first_bytes: ClassVar[frozenset[int] | None] = frozenset((TelnetCommand.IAC,))
    """``matches``: ``payload[0] == TelnetCommand.IAC``."""

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """A run of valid IAC negotiations at the start."""
        if len(payload) < 3 or payload[0] != TelnetCommand.IAC:
            return False
        count, end = _telnet_negotiations(payload)
        return count >= 2 or (count == 1 and end == len(payload))


# --- VNC / RFB (RFC 6143 §7.1.1) -----------------------------------------------------------


class VncDissector(SignatureDissector):
    """VNC, the Remote Framebuffer protocol (TCP 5900-5906).

    ``matches`` (RFC 6143 §7.1.1): the ProtocolVersion message, exactly 12 bytes
    ``RFB xxx.yyy\\n`` with three decimal digits on each side of the dot; sent first by
    the server and echoed by the client.
    """

    name: ClassVar[str] = "vnc"
    transports: ClassVar[frozenset[int]] = TCP_ONLY
    ports: ClassVar[frozenset[int]] = frozenset(range(5900, 5907))
    first_bytes: ClassVar[frozenset[int] | None] = frozenset(b"R")
    """``matches``: ``payload.startswith(b"RFB ")``."""

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """The 12-byte version string."""
        return (
            len(payload) == 12
            and payload.startswith(b"RFB ")
            and payload[7:8] == b"."
            and payload[11] == 0x0A
            and payload[4:7].isdigit()
            and payload[8:11].isdigit()
        )


# --- MySQL (MySQL client/server protocol, "Connection Phase") ------------------------------

_MYSQL_PROTOCOL_10 = 10
_MYSQL_CLIENT_PROTOCOL_41 = 0x0200
_MYSQL_ERR = 0xFF
_MYSQL_CLIENT_SSL = 0x0800
_MYSQL_FILLER = b"\x00" * 23
"""HandshakeResponse41 / SSLRequest: capabilities (4), max packet (4), charset (1), then
23 reserved zero bytes."""
_MYSQL_SSL_REQUEST_HEADER = b"\x20\x00\x00\x01"
"""Protocol::SSLRequest's packet header: a 32-byte body, sequence id 1."""


def _mysql_greeting(p: bytes) -> bool:
    """Protocol::HandshakeV10: byte 10, a NUL-terminated printable server version that
    starts with a digit, connection id (4), auth-plugin-data part 1 (8), a zero filler."""
    if p[4] != _MYSQL_PROTOCOL_10 or not 0x30 <= p[5] <= 0x39:
        return False
    nul = p.find(b"\x00", 5, 5 + 64)
    if nul < 0 or not is_printable(p[5:nul]):
        return False
    return nul + 14 <= len(p) and p[nul + 13] == 0


class MySqlDissector(SignatureDissector):
    """MySQL / MariaDB (TCP 3306).

    ``matches``: a packet header (3-byte little-endian length, sequence id) whose length is
    exactly the rest of the segment, carrying: from the server, sequence 0 and either the
    HandshakeV10 greeting (:func:`_mysql_greeting`) or an ERR packet (0xFF, a server error
    code 1000-1999, printable message: "host is not allowed" before any greeting); from the
    client, sequence 1 and a HandshakeResponse41 or SSLRequest (CLIENT_PROTOCOL_41 set,
    23 reserved zero bytes).

    Then the client's first packet is read ("Connection Phase", "SSL Handshake"): an
    SSLRequest (a 32-byte body, sequence 1, CLIENT_PROTOCOL_41 and CLIENT_SSL set, the
    zero filler) means the client's next bytes are a TLS ClientHello, so the rest of the flow
    goes to the TLS dissector (``upgrade``); any other client packet ends the reading.
    """

    name: ClassVar[str] = "mysql"
    transports: ClassVar[frozenset[int]] = TCP_ONLY
    ports: ClassVar[frozenset[int]] = frozenset((3306,))
    screens: ClassVar[Mapping[int, tuple[Screen, ...]]] = {
        IPPROTO_TCP: (Screen(20, length=(0, 3, "little", 4)),)}  # the packet length

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """Packet length, sequence id, then greeting / ERR / client handshake fields."""
        n = len(payload)
        # the length's low byte first: a cheap test nearly every other payload fails
        if n < 20 or payload[0] != (n - 4) & 0xFF:
            return False
        if int.from_bytes(payload[:3], "little") != n - 4:
            return False
        seq = payload[3]
        if seq == 0:
            if payload[4] == _MYSQL_ERR:
                code = payload[5] | (payload[6] << 8)
                return 1000 <= code <= 1999 and is_printable(payload[7:n])
            return _mysql_greeting(payload)
        if seq != 1 or n < 36:
            return False
        return bool(le32(payload, 4) & _MYSQL_CLIENT_PROTOCOL_41) and (
            payload[13:36] == _MYSQL_FILLER
        )

    def __init__(self, proto: int) -> None:
        super().__init__(proto)
        self._server_bytes = 0

    def feed(self, data: bytes, from_orig: bool, ts_ns: int) -> list[Event]:
        """Server bytes (the greeting) are passed over; the client's first packet says
        whether TLS follows."""
        if not from_orig:
            self._server_bytes += len(data)
            self.done = self._server_bytes > STARTTLS_WATCH_BYTES
            return []
        self.done = True
        if (data[:4] == _MYSQL_SSL_REQUEST_HEADER and len(data) >= 36
                and le32(data, 4) & _MYSQL_TLS_FLAGS == _MYSQL_TLS_FLAGS
                and data[13:36] == _MYSQL_FILLER):
            self.upgrade = "tls"
            if len(data) > 36:  # the ClientHello in the same segment
                self.upgrade_data = ((True, data[36:]),)
        return []


_MYSQL_TLS_FLAGS = _MYSQL_CLIENT_PROTOCOL_41 | _MYSQL_CLIENT_SSL


# --- PostgreSQL (frontend/backend protocol, "Message Formats") ----------------------------

_PG_PROTOCOL_3 = 3 << 16
"""StartupMessage protocol version 3.0 (196608); minor versions 0-2 are accepted."""
_PG_SSL_REQUEST = 80877103
_PG_GSSENC_REQUEST = 80877104
_PG_CANCEL_REQUEST = 80877102
_PG_SSL_REQUEST_BYTES = (8).to_bytes(4, "big") + _PG_SSL_REQUEST.to_bytes(4, "big")
_PG_MAX_STARTUP = 10000
"""StartupMessage length cap (the server itself rejects longer ones). Reason: a length
field in the megabytes is not a startup packet."""
_PG_AUTH_CODES = frozenset((0, 2, 3, 5, 6, 7, 8, 9, 10, 11, 12))
"""AuthenticationRequest codes (Ok, KerberosV5, CleartextPassword, MD5Password, SCM, GSS,
GSSContinue, SSPI, SASL, SASLContinue, SASLFinal)."""


class PostgresqlDissector(SignatureDissector):
    """PostgreSQL (TCP 5432).

    ``matches`` (protocol "Message Formats"), from the client: an SSLRequest (length 8,
    code 80877103), a GSSENCRequest (8, 80877104), a CancelRequest (16, 80877102), or a
    StartupMessage whose length field equals the segment's length, protocol 3.0-3.2, a
    NUL-terminated key/value list ending with an extra NUL and containing the required
    ``user`` key. From the server: an AuthenticationRequest (``R``, length 8-512, a known
    auth code) that ends the segment or is followed by another backend message type letter.
    The server's one-byte SSL answer (``S``/``N``) is too short to be a signature.

    A flow named by its SSLRequest is read on ("SSL Session Encryption"): when the server's
    answer is the one byte ``S``, the client's next bytes are a TLS ClientHello, so the rest
    of the flow goes to the TLS dissector (``upgrade``); ``N`` (or anything else) ends the
    reading, as does any other first message.
    """

    name: ClassVar[str] = "postgresql"
    transports: ClassVar[frozenset[int]] = TCP_ONLY
    ports: ClassVar[frozenset[int]] = frozenset((5432,))
    screens: ClassVar[Mapping[int, tuple[Screen, ...]]] = {IPPROTO_TCP: (
        Screen(8, equals=((0, b"R"),)),  # authentication request
        Screen(8, length=(0, 4, "big", 0)))}  # the message length
    first_bytes: ClassVar[frozenset[int] | None] = frozenset(b"\x00R")
    """``matches``: ``R`` (AuthenticationRequest), or a big-endian length of at most
    ``_PG_MAX_STARTUP`` (< 2**24), whose high byte is 0."""

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """Startup-phase messages of either side."""
        n = len(payload)
        if n < 8:
            return False
        if payload[0] == 0x52:  # 'R'
            size = be32(payload, 1)
            if not 8 <= size <= 512 or n < 1 + size or be32(payload, 5) not in _PG_AUTH_CODES:
                return False
            return n == 1 + size or payload[1 + size] in b"RSKZE"
        length = be32(payload, 0)
        if length != n:
            return False
        code = be32(payload, 4)
        if length == 8:
            return code in (_PG_SSL_REQUEST, _PG_GSSENC_REQUEST)
        if length == 16:
            return code == _PG_CANCEL_REQUEST
        if code & ~0xFFFF != _PG_PROTOCOL_3 or code & 0xFFFF > 2 or length > _PG_MAX_STARTUP:
            return False
        if not payload.endswith(b"\x00\x00"):
            return False
        return payload[8:13] == b"user\x00" or b"\x00user\x00" in payload[8:]

    def __init__(self, proto: int) -> None:
        super().__init__(proto)
        self._asked_tls: bool | None = None

    def feed(self, data: bytes, from_orig: bool, ts_ns: int) -> list[Event]:
        """The bytes ``matches`` named the flow by, then (after an SSLRequest) the server's
        answer."""
        if self._asked_tls is None:
            self._asked_tls = from_orig and data == _PG_SSL_REQUEST_BYTES
            self.done = not self._asked_tls
            return []
        self.done = True
        if not from_orig and data == b"S":
            self.upgrade = "tls"
        return []


# --- Redis (RESP, the Redis serialization protocol) ---------------------------------------

_REDIS_COMMANDS = frozenset(
    b"""
    APPEND AUTH BGSAVE BITCOUNT BLPOP BRPOP CLIENT CLUSTER COMMAND CONFIG DBSIZE DECR DECRBY
    DEL DISCARD DUMP ECHO EVAL EVALSHA EXEC EXISTS EXPIRE EXPIREAT FLUSHALL FLUSHDB GEOADD
    GET GETDEL GETEX GETRANGE GETSET HDEL HELLO HEXISTS HGET HGETALL HINCRBY HKEYS HLEN HMGET
    HMSET HSCAN HSET HSETNX HVALS INCR INCRBY INFO KEYS LINDEX LLEN LPOP LPUSH LRANGE LREM
    LSET LTRIM MGET MONITOR MSET MULTI PERSIST PEXPIRE PFADD PING PSUBSCRIBE PTTL PUBLISH
    PUBSUB PUNSUBSCRIBE RENAME ROLE RPOP RPUSH SADD SAVE SCAN SCARD SCRIPT SELECT SET SETEX
    SETNX SINTER SISMEMBER SLAVEOF SLOWLOG SMEMBERS SPOP SREM SSCAN STRLEN SUBSCRIBE TTL
    TYPE UNLINK UNSUBSCRIBE UNWATCH WATCH XACK XADD XLEN XRANGE XREAD XREADGROUP ZADD ZCARD
    ZINCRBY ZRANGE ZRANGEBYSCORE ZREM ZREVRANGE ZSCORE
    """.split()
)
"""Command names (Redis command reference) accepted as the first element of a request."""
_REDIS_INLINE = _REDIS_COMMANDS - {b"AUTH", b"ECHO", b"TYPE", b"GET", b"SAVE", b"INFO"}
"""Inline (space-separated) commands accepted: those whose words other text protocols
also open with (POP3/SMTP AUTH, HTTP GET, ...) are left to the RESP form."""
_REDIS_INLINE_STARTS = frozenset(word[:3] for word in _REDIS_INLINE)
"""The first three letters of the inline commands (every one has at least three): an
inline command line starts with one of them."""
_REQUEST_LINE_VERSIONS = (b"HTTP/", b"RTSP/", b"SIP/", b"sip:", b"sips:")
"""Words that make an inline-looking line a request line of another text protocol."""
_REDIS_REPLIES = (b"+PONG\r\n", b"-NOAUTH ", b"-WRONGPASS ")
"""Server replies specific to Redis (a PING answer; authentication errors)."""


def _redis_array(p: bytes) -> bool:
    """``*N\\r\\n$M\\r\\n<command>\\r\\n``: N 1-9999, M the command's length, the command a
    known one (any case)."""
    first = p.find(b"\r\n", 1, 7)
    if first < 0 or not p[1:first].isdigit() or p[1:first] == b"0":
        return False
    if p[first + 2 : first + 3] != b"$":
        return False
    second = p.find(b"\r\n", first + 3, first + 6)
    if second < 0 or not p[first + 3 : second].isdigit():
        return False
    size = int(p[first + 3 : second])
    word = p[second + 2 : second + 2 + size]
    return (
        len(word) == size
        and p[second + 2 + size : second + 4 + size] == b"\r\n"
        and word.upper() in _REDIS_COMMANDS
    )


class RedisDissector(SignatureDissector):
    """Redis (TCP 6379).

    ``matches`` (RESP): a request array ``*N\\r\\n$M\\r\\n<command>\\r\\n`` whose bulk
    string length M is exact and whose command is in :data:`_REDIS_COMMANDS`; or an inline
    command line (an uppercase command of :data:`_REDIS_INLINE`, then a space or CRLF, the
    line printable and CRLF-terminated within :data:`~wirelens.dissect.signatures_base.
    MAX_SCAN` bytes); or, from the server, one of :data:`_REDIS_REPLIES`.
    """

    name: ClassVar[str] = "redis"
    transports: ClassVar[frozenset[int]] = TCP_ONLY
    ports: ClassVar[frozenset[int]] = frozenset((6379,))
    first_bytes: ClassVar[frozenset[int] | None] = frozenset(b"*+-") | frozenset(
        word[0] for word in _REDIS_INLINE)
    """``matches``: a RESP array ``*``, a reply of ``_REDIS_REPLIES`` (``+``/``-``), or an
    inline command of ``_REDIS_INLINE`` (exact uppercase words)."""

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """RESP array with a known command, inline command, or a Redis-only reply."""
        if len(payload) < 6:
            return False
        if payload[0] == 0x2A:  # '*'
            return _redis_array(payload)
        if payload.startswith(_REDIS_REPLIES):
            return True
        if payload[:3] not in _REDIS_INLINE_STARTS:  # cheap: before scanning for the line end
            return False
        eol = payload.find(b"\r\n", 0, MAX_SCAN)
        if eol < 4 or not is_printable(payload[:eol]):
            return False
        words = payload[:eol].split(b" ")
        if words[0] not in _REDIS_INLINE:
            return False
        # SUBSCRIBE/PUBLISH are also GENA (UPnP) and SIP methods: refuse request lines
        # with a path, a SIP URI or a protocol version
        if words[1:2] == [b""] or (len(words) > 1 and words[1][:1] in (b"/", b"*")):
            return False
        return not any(w.startswith(_REQUEST_LINE_VERSIONS) for w in words[1:])


# --- MongoDB (MongoDB wire protocol) --------------------------------------------------------


class MongoOpcode(IntEnum):
    """Wire protocol opCodes (MongoDB wire protocol reference)."""

    OP_REPLY = 1
    OP_UPDATE = 2001
    OP_INSERT = 2002
    OP_QUERY = 2004
    OP_GET_MORE = 2005
    OP_DELETE = 2006
    OP_KILL_CURSORS = 2007
    OP_COMPRESSED = 2012
    OP_MSG = 2013


_MONGO_MAX_MESSAGE = 48_000_000
"""maxMessageSizeBytes of MongoDB servers (48 MB). Reason: larger lengths are not MongoDB."""
_MONGO_BSON_TYPES = frozenset((*range(0x01, 0x14), 0x7F, 0xFF))
"""BSON element types (bsonspec.org 1.1): 0x01-0x13, min key 0xFF, max key 0x7F."""
_MONGO_MSG_FLAGS = 0x00010003
"""OP_MSG flagBits defined: checksumPresent (0), moreToCome (1), exhaustAllowed (16)."""


def _bson_doc(p: bytes, pos: int, end: int) -> bool:
    """A BSON document at ``pos``: int32 length >= 5 that fits before ``end``, a first
    byte that is a BSON element type (or the empty document), a trailing NUL."""
    if pos + 5 > end:
        return False
    size = le32(p, pos)
    if size < 5 or pos + size > end or p[pos + size - 1] != 0:
        return False
    return size == 5 or p[pos + 4] in _MONGO_BSON_TYPES


def _cstring_end(p: bytes, pos: int, limit: int) -> int:
    """Index of the NUL ending a printable C string at ``pos`` (-1 if none within limit)."""
    nul = p.find(b"\x00", pos, pos + limit)
    return nul if nul > pos and is_printable(p[pos:nul]) else -1


class MongoDbDissector(SignatureDissector):
    """MongoDB (TCP 27017).

    ``matches`` (wire protocol): a 16-byte little-endian header whose messageLength equals
    the segment's length (a first request or reply fits one segment) and at most 48 MB,
    then per opCode: OP_MSG (2013) only defined flag bits, a section of kind 0 (a BSON
    body) or 1 (a sized document sequence with a printable identifier); OP_QUERY (2004)
    reserved flag bit 0 and bits 8-31 zero, a printable ``db.collection`` name, then a
    BSON query; OP_REPLY (1) a nonzero responseTo, only flag bits 0-3, then a BSON
    document when numberReturned > 0; OP_COMPRESSED (2012) an original opCode of the three
    above and compressor id 0-3.
    """

    name: ClassVar[str] = "mongodb"
    transports: ClassVar[frozenset[int]] = TCP_ONLY
    screens: ClassVar[Mapping[int, tuple[Screen, ...]]] = {
        IPPROTO_TCP: (Screen(21, length=(0, 4, "little", 0)),)}  # the message length
    ports: ClassVar[frozenset[int]] = frozenset((27017, 27018, 27019))

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """Header length and opCode, then that opCode's fixed fields and first document."""
        n = len(payload)
        # the length's low byte first: a cheap test nearly every other payload fails
        if n < 21 or payload[0] != n & 0xFF or le32(payload, 0) != n or n > _MONGO_MAX_MESSAGE:
            return False
        op = le32(payload, 12)
        if op == MongoOpcode.OP_MSG:
            flags = le32(payload, 16)
            if flags & ~_MONGO_MSG_FLAGS:
                return False
            end = n - 4 if flags & 1 else n
            if payload[20] == 0:
                return _bson_doc(payload, 21, end)
            if payload[20] != 1 or n < 26:
                return False
            size = le32(payload, 21)
            return 21 + size <= end and _cstring_end(payload, 25, 64) > 0
        if op == MongoOpcode.OP_QUERY:
            if le32(payload, 16) & 0xFFFFFF01:
                return False
            nul = _cstring_end(payload, 20, 256)
            if nul < 0 or b"." not in payload[20:nul]:
                return False
            return _bson_doc(payload, nul + 9, n)
        if op == MongoOpcode.OP_REPLY:
            if n < 36 or le32(payload, 8) == 0 or le32(payload, 16) & ~0x0F:
                return False
            returned = le32(payload, 32)
            return _bson_doc(payload, 36, n) if returned else n == 36
        if op == MongoOpcode.OP_COMPRESSED:
            original = le32(payload, 16)
            return n > 25 and original in (2013, 2004, 1) and payload[24] <= 3
        return False
