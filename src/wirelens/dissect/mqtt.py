"""MQTT 3.1 / 3.1.1 / 5.0 over TCP (OASIS MQTT Version 3.1.1 and Version 5.0).

Every control packet is a fixed header (type, flags, Remaining Length as a variable byte
integer of at most four bytes, 3.1.1 §2.2.3) and a body. The dissector reads CONNECT
(§3.1), CONNACK (§3.2), PUBLISH (§3.3), SUBSCRIBE (§3.8) and SUBACK (§3.9); every other
packet is counted and skipped by its length.

One :class:`MqttSession` row per connection, emitted by :meth:`MqttDissector.finish` (Zeek
splits it into mqtt_connect/subscribe/publish logs; the pipeline only feeds the first
packets of a flow, so a per-connection summary of what was seen is the honest shape). The
password is stored as :data:`REDACTED` unless the dissector is created with
``show_passwords=True``.

PUBLISH payloads are not buffered: once the topic is read, the rest of the packet is
skipped as it arrives, whatever its size.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum
from typing import ClassVar

from wirelens.dissect.base import IPPROTO_TCP, Dissector, Event
from wirelens.dissect.signatures_base import fills, varint
from wirelens.wire.buffer import Buffer
from wirelens.wire.errors import BadValue, LimitExceeded, TrailingJunk, Truncated

__all__ = ["REDACTED", "ConnackCode", "MqttDissector", "MqttSession", "PacketType", "ReasonCode"]

MQTT_MAX_PACKET_BYTES = 64 * 1024
"""Packets other than PUBLISH are buffered whole up to this size (a CONNECT with a huge
will message is the only real candidate; more is refused)."""

MQTT_MAX_TOPICS_KEPT = 16
"""Subscribe / publish topics kept per connection (distinct, first seen first)."""

MQTT_MAX_SUBSCRIPTIONS = 1024
"""Topic filters parsed in one SUBSCRIBE."""

MQTT_MAX_FIELD_CHARS = 1024
"""Characters kept of a client id, user name or topic."""

REDACTED = "<redacted>"
"""Stored in place of the password unless ``show_passwords=True``."""


class PacketType(IntEnum):
    """Control packet types (3.1.1 §2.2.1; AUTH is 5.0 §3.15)."""

    CONNECT = 1
    CONNACK = 2
    PUBLISH = 3
    PUBACK = 4
    PUBREC = 5
    PUBREL = 6
    PUBCOMP = 7
    SUBSCRIBE = 8
    SUBACK = 9
    UNSUBSCRIBE = 10
    UNSUBACK = 11
    PINGREQ = 12
    PINGRESP = 13
    DISCONNECT = 14
    AUTH = 15


_TYPE_NAMES = {m.value: m.name.lower() for m in PacketType}
_FLAGS_0010 = frozenset((PacketType.PUBREL, PacketType.SUBSCRIBE, PacketType.UNSUBSCRIBE))

_LEVELS = {3: "3.1", 4: "3.1.1", 5: "5.0"}
_PROTOCOL_NAMES = {b"MQIsdp": 3, b"MQTT": 4}  # name -> lowest level using it (3.1.1 §3.1.2.1)


class ConnackCode(IntEnum):
    """CONNACK return codes of 3.1 / 3.1.1 (3.1.1 §3.2.2.3)."""

    ACCEPTED = 0
    UNACCEPTABLE_PROTOCOL_VERSION = 1
    IDENTIFIER_REJECTED = 2
    SERVER_UNAVAILABLE = 3
    BAD_USER_NAME_OR_PASSWORD = 4
    NOT_AUTHORIZED = 5


class ReasonCode(IntEnum):
    """CONNACK reason codes of 5.0 (5.0 §3.2.2.2)."""

    SUCCESS = 0x00
    UNSPECIFIED_ERROR = 0x80
    MALFORMED_PACKET = 0x81
    PROTOCOL_ERROR = 0x82
    IMPLEMENTATION_SPECIFIC_ERROR = 0x83
    UNSUPPORTED_PROTOCOL_VERSION = 0x84
    CLIENT_IDENTIFIER_NOT_VALID = 0x85
    BAD_USER_NAME_OR_PASSWORD = 0x86
    NOT_AUTHORIZED = 0x87
    SERVER_UNAVAILABLE = 0x88
    SERVER_BUSY = 0x89
    BANNED = 0x8A
    BAD_AUTHENTICATION_METHOD = 0x8C
    TOPIC_NAME_INVALID = 0x90
    PACKET_TOO_LARGE = 0x95
    QUOTA_EXCEEDED = 0x97
    PAYLOAD_FORMAT_INVALID = 0x99
    RETAIN_NOT_SUPPORTED = 0x9A
    QOS_NOT_SUPPORTED = 0x9B
    USE_ANOTHER_SERVER = 0x9C
    SERVER_MOVED = 0x9D
    CONNECTION_RATE_EXCEEDED = 0x9F


_CONNACK_V3 = {m.value: m.name.lower() for m in ConnackCode}
_REASON_V5 = {m.value: m.name.lower() for m in ReasonCode}


def packet_type_name(code: int) -> str:
    """Readable twin of a control packet type."""
    return _TYPE_NAMES.get(code, f"type{code}")


def connack_name(code: int, level: int | None) -> str:
    """Readable twin of a CONNACK return / reason code (meaning depends on the level)."""
    table = _REASON_V5 if level == 5 else _CONNACK_V3
    return table.get(code, f"code{code}")


def _string(buf: Buffer) -> str:
    """UTF-8 Encoded String: 2-byte length then bytes (3.1.1 §1.5.3)."""
    n = buf.pull_u16()
    return buf.pull_bytes(n).decode("utf-8", "replace")[:MQTT_MAX_FIELD_CHARS]


def _varint(buf: Buffer) -> int:
    """Variable Byte Integer, at most four bytes (5.0 §1.5.5)."""
    value = 0
    for i in range(4):
        b = buf.pull_u8()
        value |= (b & 0x7F) << (7 * i)
        if not b & 0x80:
            return value
    raise BadValue("variable byte integer longer than four bytes", buf.tell())


def _skip_properties(buf: Buffer) -> None:
    """5.0 §2.2.2: Property Length then properties (skipped whole)."""
    buf.skip(_varint(buf))


@dataclass(slots=True)
class MqttSession(Event):
    """What one MQTT connection showed (of the packets fed)."""

    table: ClassVar[str | None] = "mqtt"

    protocol_name: str | None
    """CONNECT protocol name: MQTT or MQIsdp."""
    protocol_level: int | None
    """CONNECT protocol level: 3, 4 or 5."""
    protocol_version: str | None
    """Readable twin of ``protocol_level`` (3.1, 3.1.1, 5.0)."""
    client_id: str | None
    """CONNECT client identifier ('' lets the server assign one)."""
    username: str | None
    """CONNECT user name, when the flag is set."""
    password: str | None
    """CONNECT password: :data:`REDACTED` (or the text with ``show_passwords``); None when
    the flag is not set."""
    clean_session: bool | None
    """Clean Session (5.0: Clean Start) flag."""
    keep_alive: int | None
    """Keep alive in seconds."""
    will_topic: str | None
    """Will topic, when the Will flag is set."""
    connack_code: int | None
    """CONNACK return code (5.0: reason code)."""
    connack_name: str | None
    """Readable twin of ``connack_code``."""
    session_present: bool | None
    """CONNACK Session Present flag."""
    subscribe_topics: tuple[str, ...]
    """Topic filters of the SUBSCRIBE packets seen (distinct, first ones)."""
    publish_topics: tuple[str, ...]
    """Topics of the PUBLISH packets seen (distinct, first ones)."""
    n_publish: int
    """PUBLISH packets seen (both directions)."""
    packet_types: tuple[str, ...]
    """Names of the control packet types seen, in first-seen order."""


@dataclass
class _State:
    """Mutable per-connection facts, frozen into an :class:`MqttSession` at the end."""

    ts_ns: int | None = None
    protocol_name: str | None = None
    level: int | None = None
    client_id: str | None = None
    username: str | None = None
    password: str | None = None
    clean: bool | None = None
    keep_alive: int | None = None
    will_topic: str | None = None
    connack: int | None = None
    session_present: bool | None = None
    subscribe: list[str] = field(default_factory=list)
    publish: list[str] = field(default_factory=list)
    n_publish: int = 0
    types: list[str] = field(default_factory=list)


def _add(topics: list[str], topic: str) -> None:
    if len(topics) < MQTT_MAX_TOPICS_KEPT and topic not in topics:
        topics.append(topic)


_PINGREQ, _PINGRESP = b"\xc0\x00", b"\xd0\x00"


def _connect_prefix_ok(p: bytes) -> bool:
    """CONNECT (0x10), a 1-4 byte Remaining Length, then the protocol name MQTT (level 4/5)
    or MQIsdp (level 3), and connect flags with the reserved bit clear."""
    if len(p) < 12 or p[0] != 0x10:
        return False
    i = 1
    while p[i] & 0x80:
        i += 1
        if i > 4:
            return False
    i += 1
    if p[i : i + 6] == b"\x00\x04MQTT":
        level, flags = p[i + 6 : i + 7], p[i + 7 : i + 8]
        ok = level in (b"\x04", b"\x05")
    elif p[i : i + 8] == b"\x00\x06MQIsdp":
        level, flags = p[i + 8 : i + 9], p[i + 9 : i + 10]
        ok = level == b"\x03"
    else:
        return False
    return ok and len(flags) == 1 and not flags[0] & 0x01  # reserved flag (3.1.1 §3.1.2.3)


_PUBLISH_FIRST = frozenset(0x30 | flags for flags in range(16) if flags & 0x06 != 0x06)
"""First bytes of a PUBLISH: type 3, any DUP and RETAIN, QoS 0-2 (3 is malformed, §3.3.1.2)."""


def _packet_end(p: bytes, pos: int) -> int:
    """End of the control packet at ``pos``, or -1: the fixed-header flags its type requires
    (3.1.1 §2.2.2), a Remaining Length in as few bytes as it takes (5.0 §1.5.5) that ends
    inside ``p``, and for a PUBLISH a valid topic name (:func:`_topic_ok`). Text cannot pass
    as a PUBLISH: two printable bytes as a topic length ask for more than 8 KiB, past what a
    one-byte Remaining Length allows."""
    first = p[pos]
    kind = first >> 4
    if kind == PacketType.PUBLISH:
        if first not in _PUBLISH_FIRST:
            return -1
    elif kind == 0 or first & 0x0F != (0b0010 if kind in _FLAGS_0010 else 0):
        return -1
    length, i = varint(p, pos + 1, 4)
    if i < 0 or p[i - 1] == 0 and i > pos + 2:  # (longer than the value needs)
        return -1
    end = i + length
    if end > len(p) or kind == PacketType.PUBLISH and not _topic_ok(p, i, end, first >> 1 & 3):
        return -1
    return end


def _topic_ok(p: bytes, start: int, end: int, qos: int) -> bool:
    """A PUBLISH body ``p[start:end]`` opens with a topic name (§3.3.2.1): 1 to 65,535 bytes
    of UTF-8 without the wildcards ``+`` and ``#`` (§4.7.1.1), NUL or other control
    characters (§1.5.3: SHOULD NOT), then with QoS 1 or 2 a non-zero packet identifier
    (§2.3.1)."""
    if end - start < 2:
        return False
    size = p[start] << 8 | p[start + 1]
    stop = start + 2 + size
    if size == 0 or stop + (2 if qos else 0) > end:
        return False
    if qos and p[stop] == 0 and p[stop + 1] == 0:
        return False
    try:
        topic = p[start + 2 : stop].decode("utf-8")
    except UnicodeDecodeError:
        return False
    return topic.isprintable() and "+" not in topic and "#" not in topic


class MqttDissector(Dissector):
    """MQTT over TCP: one :class:`MqttSession` per connection."""

    name: ClassVar[str] = "mqtt"
    transports: ClassVar[frozenset[int]] = frozenset((IPPROTO_TCP,))
    ports: ClassVar[frozenset[int]] = frozenset((1883, 8883))
    first_bytes: ClassVar[frozenset[int] | None] = frozenset((0x10, 0xC0, 0xD0)) | _PUBLISH_FIRST
    """``matches``: a CONNECT (0x10), PINGREQ (0xC0), PINGRESP (0xD0) or PUBLISH fixed header
    first."""
    show_passwords: ClassVar[bool] = False
    """Class-wide default of the ``show_passwords`` argument."""

    def __init__(self, proto: int, show_passwords: bool | None = None) -> None:
        super().__init__(proto)
        self._show = self.show_passwords if show_passwords is None else show_passwords
        self._bufs: dict[bool, bytearray] = {True: bytearray(), False: bytearray()}
        self._skip: dict[bool, int] = {True: 0, False: 0}
        self._s = _State()
        self._seen = False

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """A CONNECT packet with protocol name MQTT (level 4/5) or MQIsdp (level 3); or, a
        session seen from its middle (an MQTT connection lives for days: a capture mostly
        starts after its CONNECT), a payload that is exactly a PINGREQ from the originator
        or a PINGRESP to it (3.1.1 §3.12, §3.13: two bytes each), or whole control packets
        (:func:`_packet_end`, at most ``MAX_MESSAGES``) opening with a PUBLISH (either side
        publishes)."""
        if proto != IPPROTO_TCP or not payload:
            return False
        if len(payload) == 2:
            return payload == (_PINGREQ if from_orig else _PINGRESP)
        if payload[0] in _PUBLISH_FIRST:
            return fills(payload, _packet_end)
        return _connect_prefix_ok(payload)

    def feed(self, data: bytes, from_orig: bool, ts_ns: int) -> list[Event]:
        """The next stream bytes of one direction; nothing is returned before finish()."""
        if self._s.ts_ns is None:
            self._s.ts_ns = ts_ns
        skip = self._skip[from_orig]
        if skip:
            n = min(skip, len(data))
            self._skip[from_orig] = skip - n
            data = data[n:]
        buf = self._bufs[from_orig]
        buf += data
        while buf and not self._skip[from_orig]:
            if not self._next_packet(buf, from_orig):
                break
        return []

    def _next_packet(self, buf: bytearray, from_orig: bool) -> bool:
        """Consume one packet (or a PUBLISH head) from ``buf``; False when more is needed."""
        head = Buffer(bytes(buf[:5]))
        first = head.pull_u8()
        kind, flags = first >> 4, first & 0x0F
        if kind == 0:
            raise BadValue("reserved packet type 0", 0)
        try:
            length = _varint(head)
        except Truncated:  # the Remaining Length is not complete yet
            return False
        start = head.tell()
        expected_flags = 0b0010 if kind in _FLAGS_0010 else 0
        if kind != PacketType.PUBLISH and flags != expected_flags:  # 3.1.1 §2.2.2
            raise BadValue(f"flags 0x{flags:x} of packet type {kind}", 0)
        name = packet_type_name(kind)
        if kind == PacketType.PUBLISH:
            return self._publish_head(buf, from_orig, flags, start, length)
        if length > MQTT_MAX_PACKET_BYTES:
            raise LimitExceeded(f"{name} of {length} bytes", 0)
        if len(buf) < start + length:
            return False
        body = bytes(buf[start : start + length])
        del buf[: start + length]
        self._note(name)
        body_buf = Buffer(body)
        if kind == PacketType.CONNECT:
            self._connect(body_buf)
        elif kind == PacketType.CONNACK:
            self._connack(body_buf)
        elif kind == PacketType.SUBSCRIBE:
            self._subscribe(body_buf)
        return True

    def _note(self, name: str) -> None:
        if name not in self._s.types:
            self._s.types.append(name)

    def _publish_head(
        self, buf: bytearray, from_orig: bool, flags: int, start: int, length: int
    ) -> bool:
        """PUBLISH (§3.3): read the topic, skip the payload."""
        qos = (flags >> 1) & 3
        if qos == 3:
            raise BadValue("PUBLISH with QoS 3", 0)
        if len(buf) < start + 2:
            return False
        topic_len = (buf[start] << 8) | buf[start + 1]
        if 2 + topic_len > length:
            raise BadValue(f"topic of {topic_len} bytes in a packet of {length}", start)
        if len(buf) < start + 2 + topic_len:
            if topic_len > MQTT_MAX_PACKET_BYTES:
                raise LimitExceeded(f"topic of {topic_len} bytes", start)
            return False
        topic = bytes(buf[start + 2 : start + 2 + topic_len]).decode("utf-8", "replace")
        self._note("publish")
        self._s.n_publish += 1
        _add(self._s.publish, topic[:MQTT_MAX_FIELD_CHARS])
        total = start + length
        if len(buf) >= total:
            del buf[:total]
        else:
            self._skip[from_orig] = total - len(buf)
            del buf[:]
        return True

    def _connect(self, buf: Buffer) -> None:
        """CONNECT variable header and payload (3.1.1 §3.1.2-3.1.3, 5.0 §3.1.2-3.1.3)."""
        s = self._s
        raw_name = buf.pull_bytes(buf.pull_u16())
        level = buf.pull_u8()
        if raw_name not in _PROTOCOL_NAMES or level < _PROTOCOL_NAMES[raw_name]:
            raise BadValue(f"protocol {raw_name[:16]!r} level {level}", 0)
        flags = buf.pull_u8()
        if flags & 0x01:
            raise BadValue("reserved CONNECT flag set", 7)
        s.protocol_name, s.level = raw_name.decode("ascii"), level
        s.clean = bool(flags & 0x02)
        s.keep_alive = buf.pull_u16()
        if level == 5:
            _skip_properties(buf)
        s.client_id = _string(buf)
        if flags & 0x04:  # Will Flag
            if level == 5:
                _skip_properties(buf)
            s.will_topic = _string(buf)
            buf.skip(buf.pull_u16())  # will message
        if flags & 0x80:
            s.username = _string(buf)
        if flags & 0x40:
            secret = buf.pull_bytes(buf.pull_u16())
            s.password = secret.decode("utf-8", "replace") if self._show else REDACTED
        if not buf.eof():
            raise TrailingJunk(f"CONNECT has {buf.remaining} bytes left", buf.tell())

    def _connack(self, buf: Buffer) -> None:
        """CONNACK (§3.2): acknowledge flags, return / reason code, 5.0 properties."""
        ack = buf.pull_u8()
        self._s.session_present = bool(ack & 0x01)
        self._s.connack = buf.pull_u8()
        if self._s.level == 5 and not buf.eof():
            _skip_properties(buf)
        if not buf.eof():
            raise TrailingJunk(f"CONNACK has {buf.remaining} bytes left", buf.tell())

    def _subscribe(self, buf: Buffer) -> None:
        """SUBSCRIBE (§3.8): packet id, 5.0 properties, topic filters with options."""
        buf.skip(2)
        if self._s.level == 5:
            _skip_properties(buf)
        n = 0
        while not buf.eof():
            _add(self._s.subscribe, _string(buf))
            buf.skip(1)  # requested QoS / subscription options
            n += 1
            if n > MQTT_MAX_SUBSCRIPTIONS:
                raise LimitExceeded("too many topic filters", buf.tell())
        if n == 0:
            raise BadValue("SUBSCRIBE without a topic filter", 0)  # 3.1.1 §3.8.3

    def finish(self) -> list[Event]:
        """The connection's row (none when no packet was ever complete)."""
        s = self._s
        if self._seen or not s.types:
            return []
        self._seen = True
        return [
            MqttSession(
                ts_ns=s.ts_ns or 0,
                protocol_name=s.protocol_name,
                protocol_level=s.level,
                protocol_version=_LEVELS.get(s.level) if s.level is not None else None,
                client_id=s.client_id,
                username=s.username,
                password=s.password,
                clean_session=s.clean,
                keep_alive=s.keep_alive,
                will_topic=s.will_topic,
                connack_code=s.connack,
                connack_name=connack_name(s.connack, s.level) if s.connack is not None else None,
                session_present=s.session_present,
                subscribe_topics=tuple(s.subscribe),
                publish_topics=tuple(s.publish),
                n_publish=s.n_publish,
                packet_types=tuple(s.types),
            )
        ]
