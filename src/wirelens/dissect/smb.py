"""SMB 1 (MS-CIFS) and SMB 2/3 (MS-SMB2) over TCP 445 / 139.

Framing: the NetBIOS session service (RFC 1002 §4.3.1: type, flags, length) on port 139 and
its direct-TCP form on 445 (MS-SMB2 §2.1: a zero byte and a 24-bit length). Session
requests, responses and keep-alives are skipped.

Rows (:class:`SmbRecord`): one per request/response pair of a command of interest -
NEGOTIATE (dialects offered and chosen), SESSION_SETUP (status; NTLM user / domain /
workstation when an NTLMSSP AUTHENTICATE message is carried; a Kerberos AP exchange in the
security blobs makes a row of the ``kerberos`` table), TREE_CONNECT (``\\\\server
\\share`` path, share type) and CREATE (file name, with the share path of its tree). This
is a compromise between Zeek's smb_mapping (tree connects) and smb_files (opens) logs: the
pipeline feeds only the first packets of a flow, where negotiation, authentication, tree
connects and the first opens happen; reads and writes of files are neither buffered nor
stored, those of DCE/RPC named pipes are read (:mod:`wirelens.dissect.smb_pipes`: rows of
the ``dce_rpc`` table).
Pairs are matched by MessageId (SMB2; interim STATUS_PENDING responses keep the request
waiting, MS-SMB2 §3.3.4.2) or by MID (SMB1). Requests without a response are emitted by
:meth:`SmbDissector.finish`. An SMB 3 transform header (0xFD 'SMB', MS-SMB2 §2.2.41)
gives one ``encrypted`` row per flow; the messages inside cannot be read.
"""

from __future__ import annotations

import ipaddress
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from enum import IntEnum
from typing import Any, ClassVar

from wirelens.dissect import ntlm
from wirelens.dissect.base import IPPROTO_TCP, Dissector, Event, Screen
from wirelens.dissect.kerberos import KerberosRecord, KrbMessage, ap_record, ap_request, gss_message
from wirelens.dissect.smb_pipes import SMB1_PIPE_COMMANDS, SMB2_PIPE_COMMANDS, SmbPipes
from wirelens.wire.buffer import Buffer
from wirelens.wire.errors import BadValue, LimitExceeded

__all__ = ["Dialect", "NtStatus", "Smb1Command", "Smb2Command", "SmbDissector", "SmbRecord"]

SMB_MAX_PARSED_BYTES = 64 * 1024
"""SMB messages up to this size are buffered and parsed; larger ones (reads, writes, big
directory listings) are skipped as they arrive, never buffered."""

SMB_MAX_PENDING = 128
"""Requests of interest waiting for their response in one flow; beyond it the oldest is
emitted without a response."""

SMB_MAX_COMPOUND = 64
"""SMB2 messages chained by NextCommand in one transport message."""

SMB_MAX_DIALECTS = 64
"""Dialects kept from one NEGOTIATE request."""

SMB_MAX_NAME_CHARS = 1024
"""Characters kept of a path, file name or NTLM name."""

SMB1_MAGIC = b"\xffSMB"
SMB2_MAGIC = b"\xfeSMB"
TRANSFORM_MAGIC = b"\xfdSMB"
COMPRESSED_MAGIC = b"\xfcSMB"  # MS-SMB2 §2.2.42


class Smb2Command(IntEnum):
    """SMB2 commands (MS-SMB2 §2.2.1.2)."""

    NEGOTIATE = 0x00
    SESSION_SETUP = 0x01
    LOGOFF = 0x02
    TREE_CONNECT = 0x03
    TREE_DISCONNECT = 0x04
    CREATE = 0x05
    CLOSE = 0x06
    FLUSH = 0x07
    READ = 0x08
    WRITE = 0x09
    LOCK = 0x0A
    IOCTL = 0x0B
    CANCEL = 0x0C
    ECHO = 0x0D
    QUERY_DIRECTORY = 0x0E
    CHANGE_NOTIFY = 0x0F
    QUERY_INFO = 0x10
    SET_INFO = 0x11
    OPLOCK_BREAK = 0x12


class Smb1Command(IntEnum):
    """SMB1 commands of interest (MS-CIFS §2.2.2.1)."""

    NEGOTIATE = 0x72
    SESSION_SETUP_ANDX = 0x73
    TREE_CONNECT_ANDX = 0x75
    NT_CREATE_ANDX = 0xA2


class Dialect(IntEnum):
    """SMB2 dialect revisions (MS-SMB2 §2.2.3; 0x02FF is the multi-protocol wildcard)."""

    SMB_2_0_2 = 0x0202
    SMB_2_1 = 0x0210
    SMB_2_2_2 = 0x0222  # pre-release name of 3.0
    SMB_2_2_4 = 0x0224  # pre-release name of 3.0.2
    SMB_3_0 = 0x0300
    SMB_3_0_2 = 0x0302
    SMB_3_1 = 0x0310  # pre-release name of 3.1.1
    SMB_3_1_1 = 0x0311
    SMB_2_WILDCARD = 0x02FF


DIALECTS = {m.value: m.name[4:].replace("_", ".") for m in Dialect}
DIALECTS[Dialect.SMB_2_WILDCARD] = "2.???"
"""Readable dialect names: 2.0.2 .. 3.1.1, and 2.??? for the wildcard."""


class NtStatus(IntEnum):
    """NTSTATUS values (MS-ERREF §2.3.1) most seen in SMB."""

    STATUS_SUCCESS = 0x00000000
    STATUS_PENDING = 0x00000103
    STATUS_BUFFER_OVERFLOW = 0x80000005
    STATUS_NO_MORE_FILES = 0x80000006
    STATUS_INVALID_HANDLE = 0xC0000008
    STATUS_INVALID_PARAMETER = 0xC000000D
    STATUS_END_OF_FILE = 0xC0000011
    STATUS_MORE_PROCESSING_REQUIRED = 0xC0000016
    STATUS_ACCESS_DENIED = 0xC0000022
    STATUS_OBJECT_NAME_INVALID = 0xC0000033
    STATUS_OBJECT_NAME_NOT_FOUND = 0xC0000034
    STATUS_OBJECT_NAME_COLLISION = 0xC0000035
    STATUS_OBJECT_PATH_NOT_FOUND = 0xC000003A
    STATUS_SHARING_VIOLATION = 0xC0000043
    STATUS_DELETE_PENDING = 0xC0000056
    STATUS_NO_SUCH_USER = 0xC0000064
    STATUS_LOGON_FAILURE = 0xC000006D
    STATUS_ACCOUNT_DISABLED = 0xC0000072
    STATUS_NOT_SUPPORTED = 0xC00000BB
    STATUS_BAD_NETWORK_NAME = 0xC00000CC
    STATUS_DIRECTORY_NOT_EMPTY = 0xC0000101
    STATUS_CANCELLED = 0xC0000120
    STATUS_LOGON_TYPE_NOT_GRANTED = 0xC000015B


NT_STATUS = {m.value: m.name for m in NtStatus}

_SHARE_TYPES = {1: "DISK", 2: "PIPE", 3: "PRINT"}  # MS-SMB2 §2.2.10
_CREATE_ACTIONS = {0: "superseded", 1: "opened", 2: "created", 3: "overwritten"}
"""MS-SMB2 §2.2.14 CreateAction; MS-CIFS §2.2.4.64.2 CreateDisposition (its
FILE_SUPERSEDED .. FILE_OVERWRITTEN outcomes)."""
_FILETIME_EPOCH = 116_444_736_000_000_000
"""FILETIME (100 ns since 1601-01-01) of the Unix epoch (MS-DTYP §2.3.3)."""
_FILETIME_LAST = _FILETIME_EPOCH + (2**63 - 1) // 100
"""The last FILETIME whose time in ns since the epoch fits a timestamp (year 2262); later
ones (damage, or "never") are no time."""


def _file_info(action: int, times: tuple[int, int, int, int], size: int, attributes: int,
               ) -> dict[str, object]:
    """The row fields of a CREATE answer: action, the four times (FILETIME), EndOfFile and
    whether FILE_ATTRIBUTE_DIRECTORY (0x10) is set."""
    names = ("created", "accessed", "modified", "changed")  # ns since the epoch
    info: dict[str, object] = {n: (t - _FILETIME_EPOCH) * 100
                               if _FILETIME_EPOCH < t <= _FILETIME_LAST else None
                               for n, t in zip(names, times, strict=True)}
    info.update(create_action=_CREATE_ACTIONS.get(action, str(action)), file_size=size,
                is_directory=bool(attributes & 0x10))
    return info
_SMB2_NAMES = {m.value: m.name for m in Smb2Command}
_SMB1_NAMES = {m.value: m.name for m in Smb1Command}
_SMB2_INTEREST = frozenset(
    (Smb2Command.NEGOTIATE, Smb2Command.SESSION_SETUP, Smb2Command.TREE_CONNECT, Smb2Command.CREATE)
)


def status_name(code: int) -> str:
    """Readable twin of an NTSTATUS code (hex when not listed)."""
    return NT_STATUS.get(code, f"0x{code:08x}")


def dialect_name(code: int) -> str:
    """Readable twin of an SMB2 dialect revision."""
    return DIALECTS.get(code, f"0x{code:04x}")


@dataclass(slots=True)
class SmbRecord(Event):
    """One SMB request of interest and its response."""

    table: ClassVar[str | None] = "smb"

    version: str
    """Header family: SMB1 (0xFF 'SMB') or SMB2 (0xFE 'SMB', also SMB 3.x)."""
    command: int
    """Command code (SMB1 or SMB2 numbering, see ``version``); -1 for an encrypted message."""
    command_name: str
    """Readable twin of ``command`` (NEGOTIATE, SESSION_SETUP, TREE_CONNECT, CREATE, ...;
    ``ENCRYPTED`` for an SMB3 transform)."""
    status: int | None
    """NTSTATUS of the response (None when no response was seen)."""
    status_name: str | None
    """Readable twin of ``status``."""
    message_id: int
    """SMB2 MessageId (SMB1: MID)."""
    session_id: int
    """SMB2 SessionId (SMB1: UID)."""
    tree_id: int | None
    """TreeId of the request (SMB2 tree connects: from the response)."""
    dialects_offered: tuple[str, ...]
    """NEGOTIATE: dialects the client offered (SMB2 revisions or SMB1 dialect strings)."""
    dialect: str | None
    """NEGOTIATE: dialect the server chose."""
    path: str | None
    """TREE_CONNECT: ``\\\\server\\share``; CREATE: the share path of its tree when known."""
    share_type: str | None
    """TREE_CONNECT: DISK, PIPE or PRINT (SMB1: the service string, e.g. IPC)."""
    filename: str | None
    """CREATE: the file name relative to the share."""
    ntlm_user: str | None
    """SESSION_SETUP: user name of an NTLMSSP AUTHENTICATE message."""
    ntlm_domain: str | None
    """SESSION_SETUP: domain name of the NTLMSSP AUTHENTICATE message."""
    ntlm_host: str | None
    """SESSION_SETUP: workstation name of the NTLMSSP AUTHENTICATE message."""
    ntlm_server_nb_name: str | None = None
    """SESSION_SETUP answered with an NTLMSSP CHALLENGE: the server's NetBIOS computer name."""
    ntlm_server_dns_name: str | None = None
    """Its DNS computer name."""
    ntlm_server_tree: str | None = None
    """Its forest (DNS tree) name."""
    create_action: str | None = None
    """CREATE answered: superseded, opened, created or overwritten (MS-SMB2 §2.2.14)."""
    file_size: int | None = None
    """CREATE answered: EndOfFile, bytes."""
    is_directory: bool | None = None
    """CREATE answered: FILE_ATTRIBUTE_DIRECTORY is set."""
    created: int | None = None
    """CREATE answered: creation time (ns since the epoch; None when zero)."""
    accessed: int | None = None
    """Last access time."""
    modified: int | None = None
    """Last write time."""
    changed: int | None = None
    """Last change time."""


@dataclass
class _Req:
    """A request waiting for its response."""

    ts_ns: int
    version: str
    command: int
    name: str
    message_id: int
    session_id: int
    tree_id: int | None
    dialects: tuple[str, ...] = ()
    path: str | None = None
    filename: str | None = None
    ntlm: tuple[str | None, str | None, str | None] = (None, None, None)
    krb: KrbMessage | None = None
    """SESSION_SETUP: the Kerberos AP-REQ of its security blob."""


def _utf16(raw: bytes) -> str:
    return raw.decode("utf-16-le", "replace").rstrip("\x00")[:SMB_MAX_NAME_CHARS]


class SmbDissector(Dissector):
    """SMB 1/2/3 over NetBIOS session service / direct TCP."""

    name: ClassVar[str] = "smb"
    transports: ClassVar[frozenset[int]] = frozenset((IPPROTO_TCP,))
    ports: ClassVar[frozenset[int]] = frozenset((445, 139))
    screens: ClassVar[Mapping[int, tuple[Screen, ...]]] = {IPPROTO_TCP: (
        Screen(8, equals=((5, b"SMB"),)),  # the SMB1/SMB2/transform header's magic
        Screen(72, equals=((1, b"\x00"), (4, b"\x20"))))}  # a session request's names
    first_bytes: ClassVar[frozenset[int] | None] = frozenset((0x00, 0x81))
    """``matches``: a NetBIOS session message (0) or session request (0x81) first (RFC 1002 §4.3.1)."""
    name_source: ClassVar[str | None] = "smb_tree"
    """server_name is the server part of the first tree connect path (``\\\\server\\share``),
    unless it is an IP address."""

    def __init__(self, proto: int) -> None:
        super().__init__(proto)
        self._bufs: dict[bool, bytearray] = {True: bytearray(), False: bytearray()}
        self._skip: dict[bool, int] = {True: 0, False: 0}
        self._pending: dict[tuple[str, int], _Req] = {}
        self._trees: dict[int, str] = {}  # SMB2 TreeId / SMB1 TID -> share path
        self._pipe_trees: set[int] = set()  # IPC$ trees: their opens may be DCE/RPC pipes
        self._pipes = SmbPipes()
        self._encrypted = False

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """A session message (type 0) whose length covers the segment, holding an SMB1 or
        SMB2 header (SMB2: StructureSize 64) or an SMB3 transform header (Flags 1, sizes
        consistent: encrypted flows seen midstream); or a NetBIOS session request (RFC 1002
        §4.3.2) with two encoded names."""
        if proto != IPPROTO_TCP or len(payload) < 8:
            return False
        if payload[0] == 0x81 and len(payload) >= 72:
            length = (payload[2] << 8) | payload[3]
            return (
                payload[1] == 0 and length == len(payload) - 4 and payload[4] == 0x20
                and payload[37] == 0 and payload[38] == 0x20
                and all(0x41 <= c <= 0x50 for c in payload[5:37])
            )  # fmt: skip
        if payload[0] != 0:
            return False
        length = (payload[1] << 16) | (payload[2] << 8) | payload[3]
        if length < len(payload) - 4:
            return False
        magic = payload[4:8]
        if magic == SMB2_MAGIC:
            return len(payload) >= 10 and payload[8] == 64 and payload[9] == 0
        if magic == TRANSFORM_MAGIC:  # §2.2.41: the ciphertext is OriginalMessageSize long
            if len(payload) < 56 or payload[46:48] != b"\x01\x00":  # Flags: Encrypted
                return False
            return int.from_bytes(payload[40:44], "little") + 52 == length
        return magic == SMB1_MAGIC and length >= 35

    def feed(self, data: bytes, from_orig: bool, ts_ns: int) -> list[Event]:
        """The next stream bytes of one direction."""
        skip = self._skip[from_orig]
        if skip:
            n = min(skip, len(data))
            self._skip[from_orig] = skip - n
            data = data[n:]
        buf = self._bufs[from_orig]
        buf += data
        events: list[Event] = []
        while len(buf) >= 4 and not self._skip[from_orig]:
            kind = buf[0]
            if kind == 0:  # session message; 24-bit length on 445 (MS-SMB2 §2.1)
                length = (buf[1] << 16) | (buf[2] << 8) | buf[3]
            elif kind in (0x81, 0x82, 0x83, 0x84, 0x85):  # RFC 1002 §4.3.1 other packets
                length = ((buf[1] & 1) << 16) | (buf[2] << 8) | buf[3]
                if buf[1] & 0xFE:
                    raise BadValue(f"NetBIOS flags 0x{buf[1]:02x}", 1)
            else:
                raise BadValue(f"NetBIOS session packet type 0x{kind:02x}", 0)
            if kind != 0 or length > SMB_MAX_PARSED_BYTES:
                if len(buf) >= 8 and bytes(buf[4:8]) == TRANSFORM_MAGIC:
                    events += self._transform(bytes(buf[4 : 4 + 52]), ts_ns)
                have = len(buf) - 4
                if have >= length:
                    del buf[: 4 + length]
                else:
                    self._skip[from_orig] = length - have
                    del buf[:]
                continue
            if len(buf) < 4 + length:
                break
            message = bytes(buf[4 : 4 + length])
            del buf[: 4 + length]
            events += self._message(message, ts_ns)
        return events

    def skippable(self, from_orig: bool) -> int:
        """The rest of a message too large to parse (a read or write's data), which is skipped
        anyway."""
        return 0 if self.done else self._skip[from_orig]

    def gap(self, from_orig: bool, length: int) -> list[Event]:
        """Bytes never seen: inside a message being skipped they are part of it and reading
        stays in step; anywhere else the stream is lost."""
        skip = self._skip[from_orig]
        if skip and length <= skip and not self._bufs[from_orig]:
            self._skip[from_orig] = skip - length
        else:
            self.done = True
        return []

    def finish(self) -> list[Event]:
        """Requests never answered."""
        events: list[Event] = [self._row(r, None, None) for r in self._pending.values()]
        self._pending.clear()
        return events + self._pipes.finish()

    # -- messages ---------------------------------------------------------------------------

    def _message(self, msg: bytes, ts_ns: int) -> list[Event]:
        magic = msg[:4]
        if magic == SMB2_MAGIC:
            return self._smb2(msg, ts_ns)
        if magic == SMB1_MAGIC:
            return self._smb1(msg, ts_ns)
        if magic == TRANSFORM_MAGIC:
            return self._transform(msg, ts_ns)
        if magic == COMPRESSED_MAGIC:
            return []  # compressed messages are not decompressed
        if not msg:
            return []
        raise BadValue(f"not an SMB message: {msg[:4].hex()}", 4)

    def _transform(self, header: bytes, ts_ns: int) -> list[Event]:
        """SMB2 TRANSFORM_HEADER (MS-SMB2 §2.2.41): one row per flow, session id only."""
        if self._encrypted:
            return []
        self._encrypted = True
        session = int.from_bytes(header[44:52], "little") if len(header) >= 52 else 0
        req = _Req(ts_ns, "SMB2", -1, "ENCRYPTED", 0, session, None)
        return [self._row(req, None, None)]

    def _note_server(self, path: str | None) -> None:
        """Name the server from a tree connect path ``\\\\server\\share`` (not an address)."""
        if self.server_name is not None or not path or not path.startswith("\\\\"):
            return
        host = path[2:].split("\\", 1)[0].strip().rstrip(".")
        if not host or _is_address(host):
            return
        self.server_name = host

    def _maybe_pipe(self, tree: int | None) -> bool:
        """An open on this tree may be a named pipe: an IPC$ tree, or one whose connect was
        not seen."""
        return tree in self._pipe_trees or tree not in self._trees

    def _add(self, req: _Req) -> list[Event]:
        events: list[Event] = []
        key = (req.version, req.message_id)
        old = self._pending.pop(key, None)
        if old is not None:
            events.append(self._row(old, None, None))
        elif len(self._pending) >= SMB_MAX_PENDING:
            events.append(self._row(self._pending.pop(next(iter(self._pending))), None, None))
        self._pending[key] = req
        return events

    def _row(self, req: _Req, status: int | None, reply: dict[str, Any] | None) -> SmbRecord:
        reply = reply or {}
        path = reply.get("path") or req.path
        if path is None and req.tree_id is not None and req.name != "TREE_CONNECT":
            path = self._trees.get(req.tree_id)
        return SmbRecord(
            ts_ns=req.ts_ns,
            version=req.version,
            command=req.command,
            command_name=req.name,
            status=status,
            status_name=status_name(status) if status is not None else None,
            message_id=req.message_id,
            session_id=req.session_id,
            tree_id=req.tree_id,
            dialects_offered=req.dialects,
            dialect=reply.get("dialect"),
            path=path,
            share_type=reply.get("share_type"),
            filename=req.filename,
            ntlm_user=req.ntlm[0],
            ntlm_domain=req.ntlm[1],
            ntlm_host=req.ntlm[2],
            ntlm_server_nb_name=reply.get("ntlm_server_nb_name"),
            ntlm_server_dns_name=reply.get("ntlm_server_dns_name"),
            ntlm_server_tree=reply.get("ntlm_server_tree"),
            create_action=reply.get("create_action"),
            file_size=reply.get("file_size"),
            is_directory=reply.get("is_directory"),
            created=reply.get("created"),
            accessed=reply.get("accessed"),
            modified=reply.get("modified"),
            changed=reply.get("changed"),
        )

    # -- SMB2 -------------------------------------------------------------------------------

    def _smb2(self, msg: bytes, ts_ns: int) -> list[Event]:
        """A chain of SMB2 messages linked by NextCommand (MS-SMB2 §3.2.4.1.4)."""
        events: list[Event] = []
        start = 0
        last_tree: int | None = None
        for _ in range(SMB_MAX_COMPOUND):
            buf = Buffer(msg, start)
            if buf.pull_bytes(4) != SMB2_MAGIC:
                raise BadValue("compounded message without the SMB2 magic", start)
            if buf.pull_u16_le() != 64:
                raise BadValue("SMB2 header StructureSize is not 64", start + 4)
            buf.skip(2)  # CreditCharge
            status = buf.pull_u32_le()
            command = buf.pull_u16_le()
            buf.skip(2)  # CreditRequest/Response
            flags = buf.pull_u32_le()
            next_command = buf.pull_u32_le()
            message_id = buf.pull_u64_le()
            if flags & 0x2:  # SMB2_FLAGS_ASYNC_COMMAND: AsyncId
                buf.skip(8)
                tree_id: int | None = None
            else:
                buf.skip(4)
                tree_id = buf.pull_u32_le()
                if (
                    flags & 0x4 and tree_id == 0xFFFFFFFF
                ):  # related: the previous one's (§3.2.4.1.4)
                    tree_id = last_tree
            last_tree = tree_id
            session_id = buf.pull_u64_le()
            buf.skip(16)  # Signature
            end = start + next_command if next_command else len(msg)
            if next_command and (next_command < 64 or end > len(msg) or next_command % 8):
                raise BadValue(f"bad NextCommand {next_command}", start + 20)
            body = msg[start + 64 : end]
            if command in SMB2_PIPE_COMMANDS:  # reads and writes of DCE/RPC named pipes
                events += self._pipes.smb2(command, bool(flags & 0x1), status, message_id, msg,
                                           start, body, ts_ns)
            elif flags & 0x1:  # SMB2_FLAGS_SERVER_TO_REDIR: a response
                events += self._smb2_response(msg, start, body, command, status, message_id, flags,
                                          ts_ns)
            elif command in _SMB2_INTEREST:
                req = _Req(
                    ts_ns, "SMB2", command, _SMB2_NAMES[command], message_id, session_id, tree_id
                )
                self._smb2_request(req, msg, start, body)
                events += self._add(req)
            if not next_command:
                return events
            start = end
        raise LimitExceeded("too many compounded SMB2 messages", start)

    def _smb2_request(self, req: _Req, msg: bytes, start: int, body: bytes) -> None:
        b = Buffer(body)
        if req.command == Smb2Command.NEGOTIATE:  # §2.2.3
            b.skip(2)
            count = b.pull_u16_le()
            b.skip(2 + 2 + 4 + 16 + 8)
            if count > SMB_MAX_DIALECTS:
                raise LimitExceeded(f"{count} dialects", start + 66)
            req.dialects = tuple(dialect_name(b.pull_u16_le()) for _ in range(count))
        elif req.command == Smb2Command.SESSION_SETUP:  # §2.2.5
            b.skip(12)
            offset, length = b.pull_u16_le(), b.pull_u16_le()
            self._security_blob(req, _at(msg, start, offset, length))
        elif req.command == Smb2Command.TREE_CONNECT:  # §2.2.9
            b.skip(4)
            offset, length = b.pull_u16_le(), b.pull_u16_le()
            req.path = _utf16(_at(msg, start, offset, length))
            self._note_server(req.path)
        elif req.command == Smb2Command.CREATE:  # §2.2.13
            b.skip(44)
            offset, length = b.pull_u16_le(), b.pull_u16_le()
            req.filename = _utf16(_at(msg, start, offset, length)) if length else ""

    def _smb2_response(self, msg: bytes, start: int, body: bytes, command: int, status: int,
                       mid: int, flags: int, ts_ns: int) -> list[Event]:
        key = ("SMB2", mid)
        req = self._pending.get(key)
        if req is None and command == Smb2Command.NEGOTIATE:
            req = self._pending.get(("SMB1", mid))  # answer to an SMB1 multi-protocol negotiate
            key = ("SMB1", mid)
        if req is None or (status == NtStatus.STATUS_PENDING and flags & 0x2):
            return []  # not of interest, or an interim response (§3.3.4.2)
        del self._pending[key]
        reply: dict[str, Any] = {}
        events: list[Event] = []
        if command == Smb2Command.SESSION_SETUP and len(body) >= 8:  # §2.2.6: StructureSize,
            # SessionFlags, SecurityBufferOffset and Length
            blob = _at(msg, start, *struct.unpack_from("<HH", body, 4))
            events += self._security_answer(req, blob, status, ts_ns, reply)
        b = Buffer(body)
        if (
            status in (NtStatus.STATUS_SUCCESS, NtStatus.STATUS_MORE_PROCESSING_REQUIRED)
            or command == Smb2Command.NEGOTIATE
        ):
            if command == Smb2Command.NEGOTIATE and len(body) >= 6 and body[0] == 65:
                b.skip(4)
                reply["dialect"] = dialect_name(b.pull_u16_le())
            elif command == Smb2Command.TREE_CONNECT and status == NtStatus.STATUS_SUCCESS:
                b.skip(2)
                share = b.pull_u8()
                reply["share_type"] = _SHARE_TYPES.get(share, str(share))
                tree = int.from_bytes(msg[start + 36 : start + 40], "little")
                req.tree_id = tree
                if req.path is not None:
                    self._trees[tree] = req.path
                if share == 2:  # PIPE
                    self._pipe_trees.add(tree)
            elif command == Smb2Command.CREATE and status == NtStatus.STATUS_SUCCESS:
                if len(body) >= 64:  # §2.2.14: CreateAction, four times, sizes, attributes
                    action, *times = struct.unpack_from("<I4Q", body, 4)
                    size, attributes = struct.unpack_from("<QI", body, 48)
                    reply.update(_file_info(action, tuple(times), size, attributes))
                if len(body) >= 80 and self._maybe_pipe(req.tree_id):  # its FileId
                    events += self._pipes.open(body[64:80], req.filename)
        return [*events, self._row(req, status, reply)]

    # -- SMB1 -------------------------------------------------------------------------------

    def _smb1(self, msg: bytes, ts_ns: int) -> list[Event]:
        """SMB1 header (MS-CIFS §2.2.3.1), parameter and data blocks (§2.2.3.2-3)."""
        b = Buffer(msg)
        b.skip(4)
        command = b.pull_u8()
        status = b.pull_u32_le()
        flags = b.pull_u8()
        flags2 = b.pull_u16_le()
        b.skip(2 + 8 + 2)  # PIDHigh, SecurityFeatures, Reserved
        tid = b.pull_u16_le()
        b.skip(2)  # PIDLow
        uid = b.pull_u16_le()
        mid = b.pull_u16_le()
        reply = bool(flags & 0x80)  # SMB_FLAGS_REPLY
        pipe = command in SMB1_PIPE_COMMANDS and self._pipes
        if not pipe and (command not in _SMB1_NAMES
                         or (reply and ("SMB1", mid) not in self._pending)):
            return []  # other commands are not parsed past the header
        words = b.pull_bytes(2 * b.pull_u8())
        data = b.pull_bytes(b.pull_u16_le())
        unicode = bool(flags2 & 0x8000)  # SMB_FLAGS2_UNICODE
        data_offset = 32 + 1 + len(words) + 2
        if pipe:  # reads and writes of DCE/RPC named pipes
            return self._pipes.smb1(command, reply, status, mid, words, data, data_offset, ts_ns)
        if reply:
            return self._smb1_response(command, status, mid, tid, words, data, ts_ns)
        req = _Req(ts_ns, "SMB1", command, _SMB1_NAMES[command], mid, uid, tid)
        if command == Smb1Command.NEGOTIATE:  # §2.2.4.52.1: 0x02 "dialect\0" ...
            parts = data.split(b"\x00")
            names = [p[1:].decode("latin-1") for p in parts if p[:1] == b"\x02"]
            req.dialects = tuple(names[:SMB_MAX_DIALECTS])
        elif command == Smb1Command.SESSION_SETUP_ANDX and len(words) == 24:  # extended security
            blob_len = int.from_bytes(words[14:16], "little")  # §2.2.4.53.1 (MS-SMB 2.2.4.6.1)
            self._security_blob(req, data[:blob_len])
        elif command == Smb1Command.SESSION_SETUP_ANDX and len(words) == 26:  # §2.2.4.53.1
            skip = int.from_bytes(words[14:16], "little") + int.from_bytes(words[16:18], "little")
            user, after = _smb1_string_at(data, skip, data_offset, unicode)
            domain, _ = _smb1_string_at(data, after, data_offset, unicode)
            req.ntlm = (user or None, domain or None, None)
        elif command == Smb1Command.TREE_CONNECT_ANDX and len(words) >= 8:  # §2.2.4.55.1
            password_len = int.from_bytes(words[6:8], "little")
            req.path = _smb1_string(data, password_len, data_offset, unicode)
            self._note_server(req.path)
        elif command == Smb1Command.NT_CREATE_ANDX and len(words) >= 48:  # §2.2.4.64.1
            req.filename = _smb1_string(data, 0, data_offset, unicode)
        return self._add(req)

    def _smb1_response(self, command: int, status: int, mid: int, tid: int, words: bytes,
                       data: bytes, ts_ns: int) -> list[Event]:
        req = self._pending.pop(("SMB1", mid), None)
        if req is None:
            return []
        reply: dict[str, Any] = {}
        events: list[Event] = []
        if command == Smb1Command.SESSION_SETUP_ANDX and len(words) >= 8:  # MS-SMB 2.2.4.6.2:
            # AndX, Action, SecurityBlobLength
            blob = data[: int.from_bytes(words[6:8], "little")]
            events += self._security_answer(req, blob, status, ts_ns, reply)
        if command == Smb1Command.NEGOTIATE and len(words) >= 2:
            index = int.from_bytes(words[:2], "little")
            if index < len(req.dialects):
                reply["dialect"] = req.dialects[index]
        elif command == Smb1Command.TREE_CONNECT_ANDX and status == NtStatus.STATUS_SUCCESS:
            service = data.split(b"\x00", 1)[0].decode("latin-1")  # §2.2.4.55.2
            reply["share_type"] = service or None
            if req.path is not None:
                self._trees[tid] = req.path
            if service == "IPC":
                self._pipe_trees.add(tid)
            req.tree_id = tid
        elif command == Smb1Command.NT_CREATE_ANDX and status == NtStatus.STATUS_SUCCESS:
            if len(words) >= 63:  # §2.2.4.64.2: CreateDisposition, four times, attributes,
                action, *times = struct.unpack_from("<I4Q", words, 7)  # sizes
                attributes, _, size = struct.unpack_from("<IQQ", words, 43)
                reply.update(_file_info(action, tuple(times), size, attributes))
            if len(words) >= 7 and self._maybe_pipe(tid):  # its FID
                events += self._pipes.open(words[5:7], req.filename)
        return [*events, self._row(req, status, reply)]

    @staticmethod
    def _security_answer(req: _Req, blob: bytes, status: int, ts_ns: int,
                         reply: dict[str, Any]) -> list[Event]:
        """A session setup response's security blob: the NTLM challenge's server names (into
        ``reply``), and the kerberos row of a request that presented a ticket."""
        server = ntlm.challenge(blob)
        if server is not None:
            reply.update(ntlm_server_nb_name=server.nb_computer,
                         ntlm_server_dns_name=server.dns_computer,
                         ntlm_server_tree=server.dns_tree)
        return [_ap_row(req, blob, status, ts_ns)] if req.krb is not None else []

    @staticmethod
    def _security_blob(req: _Req, blob: bytes) -> None:
        """A session setup's security blob: the NTLM user or the Kerberos AP-REQ."""
        auth = ntlm.authenticate(blob)
        if auth is not None:
            req.ntlm = (auth.user, auth.domain, auth.host)
        req.krb = ap_request(blob)


def _ap_row(req: _Req, blob: bytes, status: int, ts_ns: int) -> KerberosRecord:
    """The kerberos row of a session setup that presented a ticket: the answer's AP-REP or
    KRB-ERROR, else its status (success, or an error other than "more processing")."""
    assert req.krb is not None
    accepted = None
    if status == NtStatus.STATUS_SUCCESS:
        accepted = True
    elif status != NtStatus.STATUS_MORE_PROCESSING_REQUIRED:
        accepted = False
    return ap_record(req.krb, req.ts_ns, gss_message(blob), ts_ns, accepted)


def _is_address(host: str) -> bool:
    """An IPv4/IPv6 literal (possibly bracketed), not a name."""
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def _at(msg: bytes, start: int, offset: int, length: int) -> bytes:
    """``length`` bytes at ``offset`` from the SMB2 header at ``start`` (MS-SMB2 offsets
    count from the header's first byte)."""
    if length == 0:
        return b""
    if offset < 64 or start + offset + length > len(msg):
        raise BadValue(f"buffer at {offset}+{length} outside the message", start + offset)
    return msg[start + offset : start + offset + length]


def _smb1_string(data: bytes, skip: int, data_offset: int, unicode: bool) -> str:
    """A NUL-terminated string in an SMB1 data block after ``skip`` bytes."""
    return _smb1_string_at(data, skip, data_offset, unicode)[0]


def _smb1_string_at(data: bytes, pos: int, data_offset: int, unicode: bool) -> tuple[str, int]:
    """The NUL-terminated string at ``pos`` of an SMB1 data block and the position after
    its terminator; Unicode strings are 2-byte aligned from the start of the SMB header
    (MS-CIFS §2.2.1.1)."""
    if unicode:
        if (data_offset + pos) % 2:
            pos += 1
        end = pos
        while end + 1 < len(data) and data[end : end + 2] != b"\x00\x00":
            end += 2
        return _utf16(data[pos:end]), end + 2
    end = data.find(b"\x00", pos)
    if end < 0:
        end = len(data)
    return data[pos:end].decode("latin-1")[:SMB_MAX_NAME_CHARS], end + 1
