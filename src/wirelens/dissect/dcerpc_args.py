"""The arguments analysts look for in a few DCE/RPC requests, read from their NDR stubs
(NDR20 as DCE 1.1 chapter 14 defines it, or NDR64, MS-RPCE §2.2.5, when the context
negotiated it: 8-byte pointers, counts and ``__int3264``): what remote service was created
or changed and with which binary (PsExec, smbexec), which job or task was scheduled
(atexec), which registry key was opened or value set (a Run key written remotely).

Only stubs sent in the clear are read (packet privacy encrypts them); a stub that does not
have the operation's layout gives no arguments (the call's row is kept: damage here is not
damage of the DCE/RPC stream). Each decoder returns ``(name, value)`` pairs, in order.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Callable

__all__ = ["ARG_DECODERS", "MAX_ARG_CHARS", "MAX_STUB_BYTES", "call_arguments"]

MAX_STUB_BYTES = 64 * 1024
"""Stub bytes of one request kept for decoding (a task's XML fits)."""
MAX_ARG_CHARS = 1024
"""Characters kept of one argument."""

SVCCTL = "367abb81-9844-35f1-ad32-98f038001003"
ATSVC = "1ff70682-0a51-30e8-076d-740be8cee98b"
TSCH = "86d35949-83c9-4044-b424-db363231fd0c"
WINREG = "338cd001-2244-31f1-aaaa-900038001003"

START_TYPES = {0: "boot", 1: "system", 2: "auto", 3: "demand", 4: "disabled"}
"""MS-SCMR §2.2.15 dwStartType."""
REG_TYPES = {0: "REG_NONE", 1: "REG_SZ", 2: "REG_EXPAND_SZ", 3: "REG_BINARY", 4: "REG_DWORD",
             5: "REG_DWORD_BIG_ENDIAN", 6: "REG_LINK", 7: "REG_MULTI_SZ", 11: "REG_QWORD"}
"""MS-RRP §3.1.1.5 value types."""
_HANDLE = 20
"""A context handle (MS-RPCE §2.2.4.3): attributes and a UUID."""
_COMMAND = re.compile(r"<Command>([^<]{0,1024})</Command>(?:\s*<Arguments>([^<]{0,1024})</Arguments>)?")
"""A task's action (MS-TSCH §2.5.6, the Exec action of the task XML)."""


class _Bad(ValueError):
    """The stub does not have the operation's layout."""


class _Ndr:
    """A reader of NDR data: primitives aligned to their size from the stub's start, in the
    PDU's integer byte order; with ``ndr64``, pointers (referent ids), array counts and
    ``__int3264`` are 8 bytes, aligned to 8."""

    def __init__(self, data: bytes, little: bool, ndr64: bool) -> None:
        self.data = data
        self.pos = 0
        self.e = "<" if little else ">"
        self.ndr64 = ndr64

    def take(self, n: int) -> bytes:
        if n < 0 or self.pos + n > len(self.data):
            raise _Bad("stub cut short")
        out = self.data[self.pos : self.pos + n]
        self.pos += n
        return out

    def align(self, n: int) -> None:
        self.pos += -self.pos % n

    def u32(self) -> int:
        self.align(4)
        (v,) = struct.unpack(self.e + "I", self.take(4))
        return int(v)

    def u16(self) -> int:
        self.align(2)
        (v,) = struct.unpack(self.e + "H", self.take(2))
        return int(v)

    def u8(self) -> int:
        return self.take(1)[0]

    def wide(self) -> int:
        """A pointer's referent id, an array count or an ``__int3264``."""
        if not self.ndr64:
            return self.u32()
        self.align(8)
        (v,) = struct.unpack(self.e + "Q", self.take(8))
        return int(v)

    def wstring(self) -> str:
        """A conformant varying string of UTF-16 code units (max count, offset, actual
        count, the units; a terminating NUL dropped). Strings start at offset 0 and hold
        at most their maximum: anything else is not this layout (NDR64 read as NDR20)."""
        most = self.wide()
        offset = self.wide()
        count = self.wide()
        if offset or count > most:
            raise _Bad("not a string's counts")
        raw = self.take(2 * count)
        text = raw.decode("utf-16-le" if self.e == "<" else "utf-16-be", "replace")
        return text.rstrip("\x00")[:MAX_ARG_CHARS]

    def unique_wstring(self) -> str | None:
        """A [unique] pointer to a string: its referent id, then the string unless null."""
        return self.wstring() if self.wide() else None

    def rrp_string(self) -> str | None:
        """RRP_UNICODE_STRING (MS-RRP §2.2.4): lengths and a pointer; its buffer follows
        (a top-level structure's deferred pointee)."""
        self.u16()
        self.u16()
        return self.wstring() if self.wide() else None


Pairs = tuple[tuple[str, str], ...]


def _pairs(*items: tuple[str, str | None]) -> Pairs:
    return tuple((k, v) for k, v in items if v is not None)


def _create_service(r: _Ndr) -> Pairs:
    """RCreateServiceW / RCreateServiceWOW64W (MS-SCMR §3.1.4.12, §3.1.4.41)."""
    r.take(_HANDLE)
    service = r.wstring()
    display = r.unique_wstring()
    r.u32()  # dwDesiredAccess
    stype, start = r.u32(), r.u32()
    r.u32()  # dwErrorControl
    path = r.wstring()
    return _pairs(("service", service), ("display_name", display), ("binary_path", path),
                  ("service_type", f"0x{stype:x}"),
                  ("start_type", START_TYPES.get(start, str(start))))


def _change_service(r: _Ndr) -> Pairs:
    """RChangeServiceConfigW (MS-SCMR §3.1.4.11): the new binary path and start type."""
    r.take(_HANDLE)
    r.u32()  # dwServiceType
    start = r.u32()
    r.u32()  # dwErrorControl
    path = r.unique_wstring()
    return _pairs(("binary_path", path),
                  ("start_type", START_TYPES.get(start) if start != 0xFFFFFFFF else None))


def _open_service(r: _Ndr) -> Pairs:
    """ROpenServiceW (MS-SCMR §3.1.4.16)."""
    r.take(_HANDLE)
    return _pairs(("service", r.wstring()))


def _job_add(r: _Ndr) -> Pairs:
    """NetrJobAdd (MS-TSCH §3.2.5.2.1): the server, then AT_INFO (time, days, flags, a
    pointer to the command, whose string follows the structure)."""
    server = r.unique_wstring()
    job_time = r.wide()  # DWORD_PTR
    r.u32()  # DaysOfMonth
    r.u8()  # DaysOfWeek
    r.u8()  # Flags
    command = r.wstring() if r.wide() else None
    return _pairs(("server", server), ("command", command),
                  ("job_time", f"{job_time // 3_600_000:02d}:{job_time // 60_000 % 60:02d}"))


def _register_task(r: _Ndr) -> Pairs:
    """SchRpcRegisterTask (MS-TSCH §3.2.5.4.2): the task's path and its XML, whose Exec
    action names the command."""
    path = r.unique_wstring()
    found = _COMMAND.search(r.wstring())
    command = None
    if found is not None:
        command = " ".join(x.strip() for x in found.groups() if x)[:MAX_ARG_CHARS]
    return _pairs(("task", path), ("command", command))


def _reg_key(r: _Ndr) -> Pairs:
    """BaseRegOpenKey / BaseRegCreateKey / BaseRegDeleteKey (MS-RRP §3.1.5.15, .6, .7)."""
    r.take(_HANDLE)
    return _pairs(("key", r.rrp_string()))


def _reg_value(r: _Ndr) -> Pairs:
    """BaseRegDeleteValue (MS-RRP §3.1.5.8)."""
    r.take(_HANDLE)
    return _pairs(("value", r.rrp_string()))


def _reg_set_value(r: _Ndr) -> Pairs:
    """BaseRegSetValue (MS-RRP §3.1.5.22): the value's name, type and data (a string's
    text, a number, or the first bytes in hex)."""
    r.take(_HANDLE)
    name = r.rrp_string()
    vtype = r.u32()
    size = r.wide()  # lpData: a conformant array
    raw = r.take(min(size, len(r.data) - r.pos))
    if vtype in (1, 2, 7):  # REG_SZ, REG_EXPAND_SZ, REG_MULTI_SZ: UTF-16
        data = raw.decode("utf-16-le", "replace").rstrip("\x00").replace("\x00", " | ")
    elif vtype == 4 and len(raw) >= 4:
        data = str(int.from_bytes(raw[:4], "little"))
    elif vtype == 11 and len(raw) >= 8:
        data = str(int.from_bytes(raw[:8], "little"))
    else:
        data = raw[:64].hex()
    return _pairs(("value", name), ("value_type", REG_TYPES.get(vtype, str(vtype))),
                  ("data", data[:MAX_ARG_CHARS]))


ARG_DECODERS: dict[tuple[str, int], Callable[[_Ndr], Pairs]] = {
    (SVCCTL, 11): _change_service, (SVCCTL, 12): _create_service,
    (SVCCTL, 16): _open_service, (SVCCTL, 45): _create_service,
    (ATSVC, 0): _job_add, (TSCH, 1): _register_task,
    (WINREG, 6): _reg_key, (WINREG, 7): _reg_key, (WINREG, 8): _reg_value,
    (WINREG, 15): _reg_key, (WINREG, 22): _reg_set_value,
}
"""(interface UUID, opnum) -> the decoder of its request's arguments."""


def call_arguments(uuid: str, opnum: int, stub: bytes, little: bool, ndr64: bool = False,
                   ) -> Pairs | None:
    """The arguments of a request's stub, or None (no decoder, or not its layout)."""
    decode = ARG_DECODERS.get((uuid, opnum))
    if decode is None:
        return None
    try:
        return decode(_Ndr(stub, little, ndr64))
    except (_Bad, struct.error):
        return None
