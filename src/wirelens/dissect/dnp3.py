"""DNP3 (IEEE 1815-2012) over TCP or UDP (port 20000), one :class:`Dnp3Fragment` per
application fragment.

Three layers (IEEE 1815 clauses 9, 8 and 4):

- data link frame (§9.2): start bytes ``0x05 0x64``, LENGTH (control + addresses + user data,
  5..255), CONTROL (DIR, PRM, FCB/FCV or DFC, function code), DESTINATION and SOURCE
  (little-endian), a CRC over those 8 bytes, then the user data in blocks of 16 bytes, each
  followed by its CRC (the last block may be shorter). Every CRC is checked: a bad one raises
  :class:`BadValue` (the frame cannot be trusted, so the flow is given up);
- transport function (§8.2): one header byte FIN, FIR and a 6-bit sequence number; the
  segments of one fragment (FIR ... FIN, consecutive sequence numbers) are joined;
- application layer (§4.2.2): APPLICATION CONTROL (FIR, FIN, CON, UNS, SEQ), FUNCTION CODE,
  and in responses (function codes 129-131) the 2-byte internal indications (IIN, §4.2.2.7).
  Object headers are not decoded (their size is reported).

Link frames without user data (link status, reset, ack) produce no row. A segment whose
sequence number does not follow, or a non-FIR segment with no fragment open, is dropped
(the transport function discards it too, §8.2.4).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import ClassVar

from wirelens.dissect.base import IPPROTO_TCP, IPPROTO_UDP, Dissector, Event
from wirelens.wire.errors import BadValue, LimitExceeded, TrailingJunk, Truncated

__all__ = ["Dnp3Dissector", "Dnp3Fragment", "FunctionCode", "crc16_dnp", "link_frame_size"]

DNP3_MAX_FRAGMENT = 65_536
"""Bytes of one reassembled application fragment. IEEE 1815 §4.2.2.1.2 recommends 2048 and
devices rarely exceed 4096; beyond 64 KiB the peer is abusive (a reassembly flood)."""

DNP3_MAX_BUFFER = 2 * 292
"""Bytes kept per direction between feeds: at most one incomplete link frame (292 bytes:
10-byte header, 250 user bytes, 16 block CRCs) and the start of the next."""

_START = b"\x05\x64"


def _crc_table() -> tuple[int, ...]:
    """Table of the DNP3 CRC: polynomial 0x3D65, bit-reversed 0xA6BC (IEEE 1815 §9.2.4.1.6)."""
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA6BC if crc & 1 else crc >> 1
        table.append(crc)
    return tuple(table)


_CRC_TABLE = _crc_table()


def crc16_dnp(data: bytes | bytearray | memoryview) -> int:
    """The DNP3 CRC of ``data`` (reflected, initial 0, complemented; sent low byte first)."""
    crc = 0
    for b in data:
        crc = (crc >> 8) ^ _CRC_TABLE[(crc ^ b) & 0xFF]
    return crc ^ 0xFFFF


def link_frame_size(length: int) -> int:
    """Bytes on the wire of a link frame whose LENGTH field is ``length`` (>= 5)."""
    user = length - 5
    return 10 + user + 2 * ((user + 15) // 16)


class FunctionCode(IntEnum):
    """Application layer function codes (IEEE 1815 §4.2.2.5, Table 4-2)."""

    CONFIRM = 0
    READ = 1
    WRITE = 2
    SELECT = 3
    OPERATE = 4
    DIRECT_OPERATE = 5
    DIRECT_OPERATE_NR = 6
    IMMED_FREEZE = 7
    IMMED_FREEZE_NR = 8
    FREEZE_CLEAR = 9
    FREEZE_CLEAR_NR = 10
    FREEZE_AT_TIME = 11
    FREEZE_AT_TIME_NR = 12
    COLD_RESTART = 13
    WARM_RESTART = 14
    INITIALIZE_DATA = 15
    INITIALIZE_APPL = 16
    START_APPL = 17
    STOP_APPL = 18
    SAVE_CONFIG = 19
    ENABLE_UNSOLICITED = 20
    DISABLE_UNSOLICITED = 21
    ASSIGN_CLASS = 22
    DELAY_MEASURE = 23
    RECORD_CURRENT_TIME = 24
    OPEN_FILE = 25
    CLOSE_FILE = 26
    DELETE_FILE = 27
    GET_FILE_INFO = 28
    AUTHENTICATE_FILE = 29
    ABORT_FILE = 30
    ACTIVATE_CONFIG = 31
    AUTHENTICATE_REQ = 32
    AUTH_REQ_NO_ACK = 33
    RESPONSE = 129
    UNSOLICITED_RESPONSE = 130
    AUTHENTICATE_RESP = 131


_FC_NAMES = {m.value: m.name for m in FunctionCode}
_RESPONSES = frozenset((129, 130, 131))

_IIN_BITS = (
    # IIN1 bits 0-7, then IIN2 bits 0-7 (IEEE 1815 §4.2.2.7.1, §4.2.2.7.2)
    "BROADCAST", "CLASS_1_EVENTS", "CLASS_2_EVENTS", "CLASS_3_EVENTS", "NEED_TIME",
    "LOCAL_CONTROL", "DEVICE_TROUBLE", "DEVICE_RESTART",
    "NO_FUNC_CODE_SUPPORT", "OBJECT_UNKNOWN", "PARAMETER_ERROR", "EVENT_BUFFER_OVERFLOW",
    "ALREADY_EXECUTING", "CONFIG_CORRUPT", "RESERVED_2_6", "RESERVED_2_7",
)  # fmt: skip


def function_name(code: int) -> str:
    """Readable twin of an application function code."""
    return _FC_NAMES.get(code, f"FC{code}")


def iin_names(iin: int) -> tuple[str, ...]:
    """The set bits of IIN (IIN1 in the high byte, IIN2 in the low byte) by name."""
    iin1, iin2 = iin >> 8, iin & 0xFF
    return tuple(_IIN_BITS[i] for i in range(8) if iin1 >> i & 1) + tuple(
        _IIN_BITS[8 + i] for i in range(8) if iin2 >> i & 1
    )


@dataclass(slots=True)
class Dnp3Fragment(Event):
    """One application fragment (a request or a response)."""

    table: ClassVar[str | None] = "dnp3"

    source: int
    """Link layer source address of the frame carrying the first segment."""
    destination: int
    """Link layer destination address."""
    from_master: bool
    """DIR bit of the link control: True when sent by the master (outstation: False)."""
    app_seq: int
    """Application sequence number (4 bits)."""
    con: bool
    """CON bit: the sender asks for an application confirm."""
    uns: bool
    """UNS bit: an unsolicited response (or its confirm)."""
    func: int
    """Application function code."""
    func_name: str
    """Readable twin of ``func`` (READ, OPERATE, RESPONSE, ...)."""
    is_response: bool
    """Function code 129-131 (responses carry IIN)."""
    iin: int | None
    """Internal indications of a response: IIN1 << 8 | IIN2 (Zeek's ``iin``)."""
    iin_names: tuple[str, ...]
    """Readable twin of ``iin``: the names of the set bits."""
    object_bytes: int
    """Bytes of object headers and data after the application header (not decoded)."""
    segments: int
    """Transport segments the fragment was carried in."""


class _Direction:
    """Reassembly state of one direction."""

    __slots__ = ("buf", "fragment", "next_seq", "segments", "src", "dst", "dir", "ts")

    def __init__(self) -> None:
        self.buf = bytearray()
        self.fragment: bytearray | None = None
        self.next_seq = 0
        self.segments = 0
        self.src = self.dst = 0
        self.dir = False
        self.ts = 0


def _user_data(frame: bytes, length: int) -> bytes:
    """The user data of one whole link frame, every block CRC checked (§9.2.4.1.6)."""
    if crc16_dnp(frame[:8]) != frame[8] | frame[9] << 8:
        raise BadValue("DNP3 link header CRC mismatch", 8)
    out = bytearray()
    pos, left = 10, length - 5
    while left > 0:
        n = min(16, left)
        block = frame[pos : pos + n]
        if crc16_dnp(block) != frame[pos + n] | frame[pos + n + 1] << 8:
            raise BadValue("DNP3 data block CRC mismatch", pos + n)
        out += block
        pos += n + 2
        left -= n
    return bytes(out)


class Dnp3Dissector(Dissector):
    """DNP3 link frames -> transport segments -> application fragments."""

    name: ClassVar[str] = "dnp3"
    transports: ClassVar[frozenset[int]] = frozenset((IPPROTO_TCP, IPPROTO_UDP))
    ports: ClassVar[frozenset[int]] = frozenset((20000,))
    first_bytes: ClassVar[frozenset[int] | None] = frozenset((0x05,))
    """``matches``: ``payload[0] == 0x05``, the first start byte (IEEE 1815 §9.2.4.1.2)."""

    def __init__(self, proto: int) -> None:
        super().__init__(proto)
        self._dirs = {True: _Direction(), False: _Direction()}

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """Start bytes 0x05 0x64, LENGTH >= 5 and a valid header CRC (1 in 65,536 for
        random bytes after the 2-byte start, so about 1 in 4 * 10^9 overall)."""
        if len(payload) < 10 or payload[0] != 0x05 or payload[1] != 0x64 or payload[2] < 5:
            return False
        return crc16_dnp(payload[:8]) == payload[8] | payload[9] << 8

    def feed(self, data: bytes, from_orig: bool, ts_ns: int) -> list[Event]:
        """Link frames of one direction (a UDP datagram holds whole frames)."""
        st = self._dirs[from_orig]
        buf = st.buf
        buf += data
        events: list[Event] = []
        while len(buf) >= 3:
            if buf[0] != 0x05 or buf[1] != 0x64:
                raise BadValue("DNP3 link frame does not start with 0x05 0x64", 0)
            length = buf[2]
            if length < 5:
                raise BadValue(f"DNP3 link LENGTH {length} below 5", 2)
            size = link_frame_size(length)
            if len(buf) < size:
                break
            frame = bytes(buf[:size])
            del buf[:size]
            user = _user_data(frame, length)
            if user:
                ev = self._segment(st, frame, user, ts_ns)
                if ev is not None:
                    events.append(ev)
        if len(buf) > DNP3_MAX_BUFFER:
            raise LimitExceeded("DNP3 buffered bytes", len(buf))
        if self.proto == IPPROTO_UDP and buf:
            buf.clear()
            raise Truncated("DNP3 datagram ends inside a link frame")
        return events

    def _segment(
        self, st: _Direction, frame: bytes, user: bytes, ts_ns: int
    ) -> Dnp3Fragment | None:
        """One transport segment (§8.2): join FIR..FIN; a complete fragment is parsed."""
        header = user[0]
        fin, fir, seq = bool(header & 0x80), bool(header & 0x40), header & 0x3F
        if fir:
            st.fragment = bytearray()
            st.segments = 0
            st.ts = ts_ns
            st.src = frame[6] | frame[7] << 8
            st.dst = frame[4] | frame[5] << 8
            st.dir = bool(frame[3] & 0x80)
        elif st.fragment is None or seq != st.next_seq:
            st.fragment = None  # out of sequence: discarded (§8.2.4)
            return None
        assert st.fragment is not None
        st.fragment += user[1:]
        st.segments += 1
        st.next_seq = (seq + 1) & 0x3F
        if len(st.fragment) > DNP3_MAX_FRAGMENT:
            raise LimitExceeded("DNP3 application fragment too long")
        if not fin:
            return None
        fragment, st.fragment = bytes(st.fragment), None
        return self._application(st, fragment)

    def _application(self, st: _Direction, frag: bytes) -> Dnp3Fragment:
        """The application header (§4.2.2): control, function code, IIN in responses."""
        if len(frag) < 2:
            raise Truncated("DNP3 application fragment shorter than its header")
        control, func = frag[0], frag[1]
        is_response = func in _RESPONSES
        iin: int | None = None
        head = 2
        if is_response:
            if len(frag) < 4:
                raise Truncated("DNP3 response without its IIN")
            iin = frag[2] << 8 | frag[3]
            head = 4
        elif func == FunctionCode.CONFIRM and len(frag) != 2:
            raise TrailingJunk("DNP3 confirm with object data", 2)
        return Dnp3Fragment(
            ts_ns=st.ts,
            source=st.src,
            destination=st.dst,
            from_master=st.dir,
            app_seq=control & 0x0F,
            con=bool(control & 0x20),
            uns=bool(control & 0x10),
            func=func,
            func_name=function_name(func),
            is_response=is_response,
            iin=iin,
            iin_names=iin_names(iin) if iin is not None else (),
            object_bytes=len(frag) - head,
            segments=st.segments,
        )
