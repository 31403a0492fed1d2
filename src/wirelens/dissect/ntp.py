"""NTP (RFC 5905 for v4; RFC 1305 for v3, RFC 1119 for v2) over UDP, one event per datagram.

Three message shapes share the first byte ``LI(2) VN(3) Mode(3)`` (RFC 5905 §7.3):

- modes 1-5: the 48-byte time packet, optionally followed by extension fields and a MAC
  (RFC 5905 §7.3, §7.5); extension fields and MAC are counted, not decoded;
- mode 6: the control message of ``ntpq`` (RFC 1305 Appendix B, RFC 9327): a 12-byte header;
- mode 7: the private ``ntpdc`` message of the reference implementation (ntpd
  ``ntp_request.h``): an 8-byte header. Request 42 (``MON_GETLIST_1``) and 20
  (``MON_GETLIST``), i.e. ``monlist``, answer a tiny request with up to 600 addresses: the
  classic reflection/amplification vector (CVE-2013-5211), flagged by
  :attr:`NtpMessage.amplification`.

Each datagram is one message: bytes beyond what the header accounts for are allowed (a MAC or
padding), a datagram shorter than its header raises :class:`Truncated`.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from enum import IntEnum
from typing import ClassVar

from wirelens.dissect.base import IPPROTO_UDP, Dissector, Event
from wirelens.wire.buffer import Buffer
from wirelens.wire.errors import BadValue, LimitExceeded

__all__ = [
    "Mode",
    "Mode6Opcode",
    "Mode7Request",
    "NtpDissector",
    "NtpMessage",
    "ntp_time_ns",
    "parse_ntp",
]

NTP_MAX_DATAGRAM = 65_507
"""Largest UDP payload over IPv4; a longer 'datagram' is a caller bug or a forged input."""

NTP_MAX_EXTENSIONS = 64
"""Extension fields counted in one packet (RFC 7822 fields are >= 16 bytes, so a 64 KiB
datagram holds at most ~4,000; real packets carry a handful)."""

NTP_MODE7_MAX_ITEMS = 500
"""Largest ``nitems`` accepted by :meth:`NtpDissector.matches` for mode 7: ntpd answers at
most 500 items per datagram (the 12-bit field allows 4,095)."""

NTP_MODE6_MAX_DATA = 468
"""Largest data count of one mode 6 message (RFC 1305 Appendix B: 468 octets)."""

_NTP_UNIX_OFFSET = 2_208_988_800
"""Seconds from 1900-01-01 (NTP era 0) to 1970-01-01 (RFC 5905 §6, Figure 4)."""


class Mode(IntEnum):
    """Association modes (RFC 5905 §7.3, Figure 10)."""

    RESERVED = 0
    SYMMETRIC_ACTIVE = 1
    SYMMETRIC_PASSIVE = 2
    CLIENT = 3
    SERVER = 4
    BROADCAST = 5
    CONTROL = 6
    PRIVATE = 7


class Mode6Opcode(IntEnum):
    """Control message opcodes (RFC 1305 Appendix B.1, RFC 9327 §2)."""

    READSTAT = 1
    READVAR = 2
    WRITEVAR = 3
    READCLOCK = 4
    WRITECLOCK = 5
    SETTRAP = 6
    ASYNCMSG = 7
    CONFIGURE = 8
    SAVECONFIG = 9
    READ_MRU = 10
    READ_ORDLIST_A = 11
    REQ_NONCE = 12
    UNSETTRAP = 31


class Mode7Request(IntEnum):
    """Mode 7 request codes of the reference implementation (ntpd ``ntp_request.h``)."""

    PEER_LIST = 0
    PEER_LIST_SUM = 1
    PEER_INFO = 2
    PEER_STATS = 3
    SYS_INFO = 4
    SYS_STATS = 5
    IO_STATS = 6
    MEM_STATS = 7
    LOOP_INFO = 8
    TIMER_STATS = 9
    CONFIG = 10
    UNCONFIG = 11
    SET_SYS_FLAG = 12
    CLR_SYS_FLAG = 13
    MONITOR = 14
    NOMONITOR = 15
    GET_RESTRICT = 16
    RESADDFLAGS = 17
    RESSUBFLAGS = 18
    UNRESTRICT = 19
    MON_GETLIST = 20
    RESET_STATS = 21
    RESET_PEER = 22
    REREAD_KEYS = 23
    DO_DIRTY_HACK = 24
    DONT_DIRTY_HACK = 25
    TRUSTKEY = 26
    UNTRUSTKEY = 27
    AUTHINFO = 28
    TRAPS = 29
    ADD_TRAP = 30
    CLR_TRAP = 31
    REQUEST_KEY = 32
    CONTROL_KEY = 33
    GET_CTLSTATS = 34
    GET_LEAPINFO = 35
    GET_CLOCKINFO = 36
    SET_CLKFUDGE = 37
    GET_KERNEL = 38
    GET_CLKBUGINFO = 39
    SET_PRECISION = 41
    MON_GETLIST_1 = 42
    HOSTNAME_ASSOCID = 43
    IF_STATS = 44
    IF_RELOAD = 45


_MODE_NAMES = {m.value: m.name.lower() for m in Mode}
_OPCODE_NAMES = {m.value: m.name for m in Mode6Opcode}
_REQ_NAMES = {m.value: m.name for m in Mode7Request}
_AMPLIFIERS = frozenset((Mode7Request.MON_GETLIST, Mode7Request.MON_GETLIST_1))
_MODE7_IMPLS = frozenset((2, 3))  # XNTPD_OLD, XNTPD (ntp_request.h; UNIV 0 is unused)


def mode_name(code: int) -> str:
    """Readable twin of a mode."""
    return _MODE_NAMES.get(code, f"mode{code}")


def ntp_time_ns(raw: int) -> int | None:
    """A 64-bit NTP timestamp (RFC 5905 §6) as ns since the Unix epoch; None for 0 (unset).

    Seconds with the top bit clear are read in era 1 (from 2036-02-07), as RFC 4330 §3
    recommends, so current clients keep working after the era-0 rollover.
    """
    if raw == 0:
        return None
    seconds, fraction = raw >> 32, raw & 0xFFFF_FFFF
    if seconds < 0x8000_0000:
        seconds += 1 << 32
    return (seconds - _NTP_UNIX_OFFSET) * 1_000_000_000 + ((fraction * 1_000_000_000) >> 32)


def _short(raw: int) -> float:
    """NTP short format: 16.16 fixed-point seconds (RFC 5905 §6)."""
    return raw / 65536.0


def _signed8(b: int) -> int:
    return b - 256 if b >= 128 else b


def _ref_id(raw: bytes, stratum: int) -> str:
    """Reference ID (RFC 5905 §7.3): a 4-character ASCII code for stratum 0 (kiss code) and 1
    (reference clock), else the upstream server's IPv4 address (or an IPv6 hash)."""
    if stratum <= 1:
        return raw.rstrip(b"\x00").decode("ascii", "backslashreplace")
    return str(ipaddress.IPv4Address(raw))


@dataclass(slots=True)
class NtpMessage(Event):
    """One NTP datagram (time packet, control message or private message)."""

    table: ClassVar[str | None] = "ntp"

    version: int
    """Version number VN (1-4)."""
    mode: int
    """Association mode (RFC 5905 §7.3)."""
    mode_name: str
    """Readable twin of ``mode`` (client, server, control, private, ...)."""
    leap: int | None
    """Leap indicator LI (modes 1-6; None for mode 7 whose first bits are R and M)."""
    stratum: int | None
    """Stratum (0 unspecified/kiss-o'-death, 1 primary, 2-15 secondary, 16 unsynchronised)."""
    poll: int | None
    """Poll exponent: log2 of the maximum interval between messages, seconds."""
    precision: int | None
    """Precision exponent: log2 of the clock precision, seconds (signed)."""
    root_delay: float | None
    """Total round-trip delay to the reference clock, seconds."""
    root_disp: float | None
    """Total dispersion to the reference clock, seconds."""
    ref_id: str | None
    """Reference ID: 4 ASCII chars for stratum 0/1 (e.g. GPS, RATE), else an IPv4 address."""
    ref_time: int | None
    """Reference timestamp (ns since the epoch; None when zero)."""
    org_time: int | None
    """Origin timestamp (ns since the epoch; None when zero)."""
    rec_time: int | None
    """Receive timestamp (ns since the epoch; None when zero)."""
    xmt_time: int | None
    """Transmit timestamp (ns since the epoch; None when zero)."""
    num_exts: int
    """Extension fields after the 48-byte header (RFC 7822); a MAC is not counted."""
    has_mac: bool
    """A message authentication code follows (key id + digest, RFC 5905 §7.3)."""
    is_response: bool | None
    """Modes 6 and 7: the R bit (a response); None for time packets."""
    opcode: int | None
    """Mode 6 opcode (RFC 1305 Appendix B)."""
    opcode_name: str | None
    """Readable twin of ``opcode``."""
    req_code: int | None
    """Mode 7 request code (ntpd ``ntp_request.h``)."""
    req_code_name: str | None
    """Readable twin of ``req_code`` (MON_GETLIST_1 is ``monlist``)."""
    mode7_err: int | None
    """Mode 7 error code (0 = none)."""
    mode7_items: int | None
    """Mode 7 number of data items."""
    amplification: bool
    """A monlist request or response (mode 7 MON_GETLIST / MON_GETLIST_1): the reflection
    and amplification vector (CVE-2013-5211)."""


def parse_ntp(data: bytes, ts_ns: int = 0) -> NtpMessage:
    """Parse one NTP datagram (modes 1-5: RFC 5905 §7.3; 6: RFC 1305 App. B; 7: ntpd)."""
    if len(data) > NTP_MAX_DATAGRAM:
        raise LimitExceeded(f"NTP datagram of {len(data)} bytes")
    buf = Buffer(data)
    first = buf.pull_u8()
    version, mode = (first >> 3) & 7, first & 7
    if not 1 <= version <= 4:
        raise BadValue(f"NTP version {version}", 0)
    if mode == Mode.PRIVATE:
        return _mode7(buf, first, version, ts_ns)
    if mode == Mode.CONTROL:
        return _mode6(buf, first, version, ts_ns)
    if mode == Mode.RESERVED:
        raise BadValue("NTP mode 0 (reserved)", 0)
    stratum = buf.pull_u8()
    poll = _signed8(buf.pull_u8())
    precision = _signed8(buf.pull_u8())
    root_delay = _short(buf.pull_u32())
    root_disp = _short(buf.pull_u32())
    ref_raw = buf.pull_bytes(4)
    stamps = [ntp_time_ns(buf.pull_u64()) for _ in range(4)]
    # RFC 7822 §7.5: extension fields (type 2, length 2, value, length >= 16, multiple of
    # 4) may follow, then an optional MAC: a 4-byte key id and a 16- or 20-byte digest
    # (or just the key id, a crypto-NAK). What is left after fields is the MAC.
    num_exts = 0
    while buf.remaining > 24:
        start = buf.tell()
        buf.skip(2)
        length = buf.pull_u16()
        if length < 16 or length % 4 or length > buf.remaining + 4:
            buf.seek(start)
            break
        buf.seek(start + length)
        num_exts += 1
        if num_exts > NTP_MAX_EXTENSIONS:
            raise LimitExceeded("too many NTP extension fields", start)
    return NtpMessage(
        ts_ns=ts_ns,
        version=version,
        mode=mode,
        mode_name=mode_name(mode),
        leap=first >> 6,
        stratum=stratum,
        poll=poll,
        precision=precision,
        root_delay=root_delay,
        root_disp=root_disp,
        ref_id=_ref_id(ref_raw, stratum),
        ref_time=stamps[0],
        org_time=stamps[1],
        rec_time=stamps[2],
        xmt_time=stamps[3],
        num_exts=num_exts,
        has_mac=buf.remaining > 0,
        is_response=None,
        opcode=None,
        opcode_name=None,
        req_code=None,
        req_code_name=None,
        mode7_err=None,
        mode7_items=None,
        amplification=False,
    )


def _empty(ts_ns: int, version: int, mode: int, leap: int | None) -> dict[str, object]:
    return {
        "ts_ns": ts_ns, "version": version, "mode": mode, "mode_name": mode_name(mode),
        "leap": leap, "stratum": None, "poll": None, "precision": None, "root_delay": None,
        "root_disp": None, "ref_id": None, "ref_time": None, "org_time": None,
        "rec_time": None, "xmt_time": None, "num_exts": 0, "has_mac": False,
        "opcode": None, "opcode_name": None, "req_code": None, "req_code_name": None,
        "mode7_err": None, "mode7_items": None, "amplification": False,
    }  # fmt: skip


def _mode6(buf: Buffer, first: int, version: int, ts_ns: int) -> NtpMessage:
    """Control message header (RFC 1305 Appendix B.1): R E M opcode(5), sequence, status,
    association id, offset, count, then ``count`` data bytes (padding/MAC may follow)."""
    flags = buf.pull_u8()
    buf.skip(6)  # sequence, status, association id
    buf.pull_u16()  # offset
    count = buf.pull_u16()
    buf.skip(count)
    opcode = flags & 0x1F
    fields = _empty(ts_ns, version, Mode.CONTROL, first >> 6)
    fields.update(
        is_response=bool(flags & 0x80),
        opcode=opcode,
        opcode_name=_OPCODE_NAMES.get(opcode, f"OPCODE{opcode}"),
    )
    return NtpMessage(**fields)  # type: ignore[arg-type]


def _mode7(buf: Buffer, first: int, version: int, ts_ns: int) -> NtpMessage:
    """Private message header (ntpd ``ntp_request.h``): R M VN mode, A sequence(7),
    implementation, request code, err(4) nitems(12), mbz(4) itemsize(12), data."""
    buf.pull_u8()  # auth bit, sequence
    buf.pull_u8()  # implementation
    req = buf.pull_u8()
    err_items = buf.pull_u16()
    buf.pull_u16()  # mbz, item size
    fields = _empty(ts_ns, version, Mode.PRIVATE, None)
    fields.update(
        is_response=bool(first & 0x80),
        req_code=req,
        req_code_name=_REQ_NAMES.get(req, f"REQ{req}"),
        mode7_err=err_items >> 12,
        mode7_items=err_items & 0x0FFF,
        amplification=req in _AMPLIFIERS,
    )
    return NtpMessage(**fields)  # type: ignore[arg-type]


class NtpDissector(Dissector):
    """NTP over UDP: one :class:`NtpMessage` per datagram."""

    name: ClassVar[str] = "ntp"
    transports: ClassVar[frozenset[int]] = frozenset((IPPROTO_UDP,))
    datagrams_stand_alone: ClassVar[bool] = True
    ports: ClassVar[frozenset[int]] = frozenset((123,))
    first_bytes: ClassVar[frozenset[int] | None] = frozenset(
        b for b in range(256)
        if 1 <= (b >> 3) & 7 <= 4 and b & 7
        and (b & 7 != 7 or ((b >> 3) & 7 >= 2 and b & 0xC0 != 0x40)))
    """``matches``: version 1-4 and mode 1-7 (RFC 5905 §7.3); mode 7 also version >= 2
    and, in a request (bit 0x80 clear), no more bit 0x40."""

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """Conservative header test (NTP has no magic number).

        Time packets: 48 bytes plus a multiple of 4 (extensions, MAC), version 1-4, mode
        1-5, stratum <= 16, poll exponent 0-17, precision exponent -32..32 and root
        delay/dispersion under 256 s. Mode 6: a known opcode and a count that accounts for the
        datagram (data, padding, optional MAC). Mode 7:
        version 2-4, implementation XNTPD or XNTPD_OLD, a known request code, zero
        must-be-zero bits, items that fit in the datagram, and in requests neither the more
        bit nor a sequence number.
        """
        n = len(payload)
        if proto != IPPROTO_UDP or n < 8:
            return False
        first = payload[0]
        version, mode = (first >> 3) & 7, first & 7
        if not 1 <= version <= 4:
            return False
        if mode == 7:
            items = (payload[4] & 0x0F) << 8 | payload[5]
            item_size = (payload[6] & 0x0F) << 8 | payload[7]
            if not first & 0x80 and (first & 0x40 or payload[1] & 0x7F):
                return False  # a request has neither the more bit nor a sequence number
            return (
                version >= 2
                and payload[2] in _MODE7_IMPLS
                and payload[3] in _REQ_NAMES
                and payload[6] & 0xF0 == 0
                and items <= NTP_MODE7_MAX_ITEMS
                and 8 + items * item_size <= n
            )
        if mode == 6:
            if n < 12 or payload[1] & 0x1F not in _OPCODE_NAMES:
                return False
            count = (payload[10] << 8) | payload[11]
            padded = (12 + count + 3) & ~3  # data padded to 32 bits, then an optional MAC
            if count > NTP_MODE6_MAX_DATA:
                return False
            if payload[1] & 0x80:  # a response: data and padding only
                return n in (12 + count, padded)
            # a request (ntpq): offset 0, then data, padding and an optional MAC
            return payload[8] == payload[9] == 0 and (n == 12 + count or n - padded in (0, 20, 24))
        if mode == 0 or n < 48 or n % 4 or n > 1024:
            return False
        return (
            payload[1] <= 16
            and payload[2] <= 17
            and (payload[3] <= 0x20 or payload[3] >= 0xE0)
            and payload[4] == 0
            and payload[8] == 0
        )

    def feed(self, data: bytes, from_orig: bool, ts_ns: int) -> list[Event]:
        """One datagram: one message."""
        return [parse_ntp(data, ts_ns)]
