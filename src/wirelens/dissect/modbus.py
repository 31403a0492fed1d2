"""Modbus/TCP (Modbus Application Protocol Specification v1.1b3; Modbus Messaging on TCP/IP
Implementation Guide v1.0b), one :class:`ModbusRecord` per request/response pair.

Each ADU is the 7-byte MBAP header (transaction id, protocol id = 0, length = bytes that
follow it, unit id) and a PDU (function code + data) of at most 253 bytes (MAP §4.1). The
originator is taken as the client: its ADUs are requests, the responder's are responses;
they are paired by transaction id (MBAP §3.1.3). A response with the top bit of the
function code set is an exception response carrying one exception code (MAP §7).

The address and quantity of the common functions (MAP §6.1-6.17) are read; the data of
other functions is skipped by the MBAP length. A request with a known function code whose
data does not have the layout of MAP §6 raises :class:`ParseError`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import IntEnum
from typing import ClassVar

from wirelens.dissect.base import IPPROTO_TCP, Dissector, Event, Screen
from wirelens.wire.buffer import Buffer
from wirelens.wire.errors import BadValue, LimitExceeded, TrailingJunk

__all__ = ["ExceptionCode", "FunctionCode", "ModbusDissector", "ModbusRecord"]

MODBUS_MAX_PDU = 253
"""Largest PDU (MAP §4.1: the RS-485 ADU limit of 256 bytes minus address and CRC), so the
MBAP length field is at most 254 (unit id + PDU)."""

MODBUS_MAX_PENDING = 256
"""Requests waiting for their response in one connection; beyond that the oldest is
emitted alone (a client keeps at most a few outstanding)."""

MODBUS_MATCH_MAX_ADUS = 8
"""ADUs walked by :meth:`ModbusDissector.matches` in a first segment (pipelined requests)."""

_MBAP = 7


class FunctionCode(IntEnum):
    """Public function codes (MAP §5.1, §6)."""

    READ_COILS = 1
    READ_DISCRETE_INPUTS = 2
    READ_HOLDING_REGISTERS = 3
    READ_INPUT_REGISTERS = 4
    WRITE_SINGLE_COIL = 5
    WRITE_SINGLE_REGISTER = 6
    READ_EXCEPTION_STATUS = 7
    DIAGNOSTICS = 8
    GET_COMM_EVENT_COUNTER = 11
    GET_COMM_EVENT_LOG = 12
    WRITE_MULTIPLE_COILS = 15
    WRITE_MULTIPLE_REGISTERS = 16
    REPORT_SERVER_ID = 17
    READ_FILE_RECORD = 20
    WRITE_FILE_RECORD = 21
    MASK_WRITE_REGISTER = 22
    READ_WRITE_MULTIPLE_REGISTERS = 23
    READ_FIFO_QUEUE = 24
    ENCAPSULATED_INTERFACE_TRANSPORT = 43


class ExceptionCode(IntEnum):
    """Exception codes (MAP §7)."""

    ILLEGAL_FUNCTION = 1
    ILLEGAL_DATA_ADDRESS = 2
    ILLEGAL_DATA_VALUE = 3
    SERVER_DEVICE_FAILURE = 4
    ACKNOWLEDGE = 5
    SERVER_DEVICE_BUSY = 6
    MEMORY_PARITY_ERROR = 8
    GATEWAY_PATH_UNAVAILABLE = 10
    GATEWAY_TARGET_DEVICE_FAILED_TO_RESPOND = 11


_FC_NAMES = {m.value: m.name for m in FunctionCode}
_EXC_NAMES = {m.value: m.name for m in ExceptionCode}


def function_name(code: int) -> str:
    """Readable twin of a function code (without the exception bit)."""
    return _FC_NAMES.get(code, f"FC{code}")


def exception_name(code: int) -> str:
    """Readable twin of an exception code."""
    return _EXC_NAMES.get(code, f"EXCEPTION{code}")


@dataclass(slots=True)
class _Adu:
    """One parsed ADU."""

    trans_id: int
    unit_id: int
    func: int
    exception: int | None
    read: tuple[int, int] | None
    write: tuple[int, int] | None


@dataclass(slots=True)
class ModbusRecord(Event):
    """One Modbus transaction: a request and its response, paired by transaction id."""

    table: ClassVar[str | None] = "modbus"

    trans_id: int
    """MBAP transaction identifier."""
    unit_id: int
    """MBAP unit identifier (the server behind a gateway; 255 or 0 when unused)."""
    func: int
    """Function code (without the exception bit)."""
    func_name: str
    """Readable twin of ``func`` (READ_HOLDING_REGISTERS, ...; ``FC<n>`` when unknown)."""
    exception: int | None
    """Exception code of an exception response (function code | 0x80), else None."""
    exception_name: str | None
    """Readable twin of ``exception`` (ILLEGAL_DATA_ADDRESS, ...)."""
    read_address: int | None
    """First coil/input/register read (functions 1-4, 23)."""
    read_quantity: int | None
    """Number of coils/inputs/registers read."""
    write_address: int | None
    """First coil/register written (functions 5, 6, 15, 16, 22, 23)."""
    write_quantity: int | None
    """Number of coils/registers written (1 for the single-write functions)."""
    has_request: bool
    """The request was seen."""
    has_response: bool
    """The response was seen."""
    rtt_ns: int | None
    """Response time minus request time, when both were seen (the ``rtt`` column, s)."""


def _pdu_fields(
    buf: Buffer, func: int, request: bool
) -> tuple[tuple[int, int] | None, tuple[int, int] | None]:
    """(read (address, quantity), write (address, quantity)) of a PDU's data (MAP §6)."""
    if func in (1, 2, 3, 4):
        if request:  # starting address, quantity (MAP §6.1-6.4)
            return (buf.pull_u16(), buf.pull_u16()), None
        buf.pull_bytes(buf.pull_u8())  # byte count, values
        return None, None
    if func in (5, 6):  # address, value: request and echoed response (MAP §6.5, §6.6)
        address = buf.pull_u16()
        buf.pull_u16()
        return None, (address, 1)
    if func in (15, 16):
        address, quantity = buf.pull_u16(), buf.pull_u16()
        if request:  # byte count, values (MAP §6.11, §6.12)
            buf.pull_bytes(buf.pull_u8())
        return None, (address, quantity)
    if func == 22:  # reference address, AND mask, OR mask (MAP §6.16)
        address = buf.pull_u16()
        buf.skip(4)
        return None, (address, 1)
    if func == 23:
        if request:  # read start, read qty, write start, write qty, byte count (MAP §6.17)
            read = (buf.pull_u16(), buf.pull_u16())
            write = (buf.pull_u16(), buf.pull_u16())
            buf.pull_bytes(buf.pull_u8())
            return read, write
        buf.pull_bytes(buf.pull_u8())
        return None, None
    buf.pull_rest()  # other functions: data skipped by the MBAP length
    return None, None


def parse_adu(data: bytes, request: bool) -> _Adu:
    """Parse one whole ADU (MBAP header and PDU)."""
    buf = Buffer(data)
    trans_id = buf.pull_u16()
    if buf.pull_u16() != 0:
        raise BadValue("MBAP protocol id is not 0 (Modbus)", 2)
    length = buf.pull_u16()
    if not 2 <= length <= MODBUS_MAX_PDU + 1:
        raise BadValue(f"MBAP length {length} outside 2..254", 4)
    if length + 6 != len(data):
        raise TrailingJunk(f"ADU of {len(data)} bytes, MBAP length says {length + 6}", 4)
    unit_id = buf.pull_u8()
    fc = buf.pull_u8()
    if fc & 0x80 and not request:  # exception response: one exception code (MAP §7)
        exc = buf.pull_u8()
        if not buf.eof():
            raise TrailingJunk("bytes after the exception code", buf.tell())
        return _Adu(trans_id, unit_id, fc & 0x7F, exc, None, None)
    read, write = _pdu_fields(buf, fc, request)
    if not buf.eof():
        raise TrailingJunk(f"{buf.remaining} bytes after function {fc} data", buf.tell())
    return _Adu(trans_id, unit_id, fc, None, read, write)


_REQUEST_SIZES = {1: 6, 2: 6, 3: 6, 4: 6, 5: 6, 6: 6, 7: 2, 11: 2, 12: 2, 17: 2, 22: 8, 24: 4}
"""MBAP length (unit id + PDU) of the fixed-size requests (MAP §6)."""
_RESPONSE_SIZES = {5: 6, 6: 6, 7: 3, 11: 6, 15: 6, 16: 6, 22: 8}
"""MBAP length of the fixed-size responses (MAP §6)."""
_COUNTED = frozenset((1, 2, 3, 4, 12, 17, 20, 21, 23))
"""Responses laid out ``function code, byte count, data``: MBAP length = 3 + byte count."""


def _plausible_length(payload: bytes, pos: int, length: int, request: bool) -> bool:
    """The MBAP length agrees with the function's layout (MAP §6): fixed sizes, or a byte
    count that accounts for the rest of the PDU."""
    fc = payload[pos + 7]
    if fc & 0x80:
        return True  # an exception response; its length (3) was checked by the caller
    if request:
        size = _REQUEST_SIZES.get(fc)
        if size is not None:
            return length == size
        if fc in (15, 16) and pos + 12 < len(payload):  # address, quantity, byte count
            return length == 7 + payload[pos + 12]
        if fc == 23 and pos + 16 < len(payload):
            return length == 11 + payload[pos + 16]
        return fc in (8, 20, 21, 43)
    size = _RESPONSE_SIZES.get(fc)
    if size is not None:
        return length == size
    if fc in _COUNTED and pos + 8 < len(payload):
        return length == 3 + payload[pos + 8]
    return fc in (8, 24, 43)


class ModbusDissector(Dissector):
    """Modbus/TCP, pairing requests and responses by transaction id."""

    name: ClassVar[str] = "modbus"
    transports: ClassVar[frozenset[int]] = frozenset((IPPROTO_TCP,))
    ports: ClassVar[frozenset[int]] = frozenset((502,))
    screens: ClassVar[Mapping[int, tuple[Screen, ...]]] = {
        IPPROTO_TCP: (Screen(8, equals=((2, b"\x00\x00\x00"),)),)}  # protocol id, length

    def __init__(self, proto: int) -> None:
        super().__init__(proto)
        self._bufs: dict[bool, bytearray] = {True: bytearray(), False: bytearray()}
        self._pending: dict[int, tuple[_Adu, int]] = {}

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """The segment is whole ADUs: protocol id 0, length 2..254 ending each ADU exactly
        at the next one or at the segment's end, a known function code (with the exception
        bit only from the responder) and a length that fits that function's layout."""
        if proto != IPPROTO_TCP or len(payload) < 8 or payload[2] or payload[3] or payload[4]:
            return False  # the loop's first test of the first ADU, ahead: most payloads fail it
        pos, n = 0, len(payload)
        for _ in range(MODBUS_MATCH_MAX_ADUS):
            if pos + 8 > n or payload[pos + 2] or payload[pos + 3] or payload[pos + 4]:
                return False
            length = payload[pos + 5]
            fc = payload[pos + 7]
            if from_orig or fc < 0x80:
                known = fc in _FC_NAMES
            else:
                known = (fc & 0x7F) in _FC_NAMES and length == 3
            if length < 2 or not known or not _plausible_length(payload, pos, length, from_orig):
                return False
            pos += 6 + length
            if pos == n:
                return True
        return False

    def feed(self, data: bytes, from_orig: bool, ts_ns: int) -> list[Event]:
        """The next stream bytes of one direction: whole ADUs are parsed and paired."""
        buf = self._bufs[from_orig]
        buf += data
        events: list[Event] = []
        while len(buf) >= 6:
            length = (buf[4] << 8) | buf[5]
            if length > MODBUS_MAX_PDU + 1:
                raise BadValue(f"MBAP length {length} above 254", 4)
            if len(buf) < 6 + length:
                break
            raw = bytes(buf[: 6 + length])
            del buf[: 6 + length]
            events.extend(self._on_adu(parse_adu(raw, from_orig), from_orig, ts_ns))
        return events

    def finish(self) -> list[Event]:
        """Emit the requests still waiting for a response."""
        events: list[Event] = [_record(a, ts, None, 0) for a, ts in self._pending.values()]
        self._pending.clear()
        return events

    def _on_adu(self, adu: _Adu, request: bool, ts_ns: int) -> list[Event]:
        if request:
            events: list[Event] = []
            old = self._pending.pop(adu.trans_id, None)
            if old is not None:  # a reused id before the answer: the old one stays alone
                events.append(_record(old[0], old[1], None, 0))
            self._pending[adu.trans_id] = (adu, ts_ns)
            if len(self._pending) > MODBUS_MAX_PENDING:
                oldest = next(iter(self._pending))
                req, ts = self._pending.pop(oldest)
                events.append(_record(req, ts, None, 0))
            return events
        pending = self._pending.pop(adu.trans_id, None)
        if pending is None:
            return [_record(None, ts_ns, adu, 0)]
        req, req_ts = pending
        return [_record(req, req_ts, adu, ts_ns - req_ts)]


def _record(request: _Adu | None, ts_ns: int, response: _Adu | None, rtt_ns: int) -> ModbusRecord:
    first = request if request is not None else response
    if first is None:
        raise LimitExceeded("internal: a transaction without request nor response")
    exc = response.exception if response is not None else None
    read = (request.read if request is not None else None) or (
        response.read if response is not None else None
    )
    write = (request.write if request is not None else None) or (
        response.write if response is not None else None
    )
    return ModbusRecord(
        ts_ns=ts_ns,
        trans_id=first.trans_id,
        unit_id=first.unit_id,
        func=first.func,
        func_name=function_name(first.func),
        exception=exc,
        exception_name=exception_name(exc) if exc is not None else None,
        read_address=read[0] if read else None,
        read_quantity=read[1] if read else None,
        write_address=write[0] if write else None,
        write_quantity=write[1] if write else None,
        has_request=request is not None,
        has_response=response is not None,
        rtt_ns=rtt_ns if (request is not None and response is not None) else None,
    )
