"""DCE/RPC over SMB named pipes: the bytes written to and read from a pipe opened on an IPC$
tree are one DCE/RPC association's two streams (MS-RPCE §2.1.1.2), read by
:class:`~wirelens.dissect.dcerpc.DceRpcAssociation` (rows of the ``dce_rpc`` table named
after the pipe).

SMB2 (MS-SMB2): a CREATE answered with a FileId on a tree whose share type is PIPE opens a
pipe; WRITE requests (§2.2.21) carry the client's bytes, READ responses (§2.2.20) and
FSCTL_PIPE_TRANSCEIVE IOCTLs (§2.2.31-32: input the client's bytes, output the server's) the
rest; CLOSE ends it. SMB1 (MS-CIFS): NT_CREATE_ANDX's FID on an IPC tree, WRITE_ANDX
(§2.2.4.43), READ_ANDX (§2.2.4.42) and TRANSACTION's TransactNmPipe (§2.2.5.6: the write
in the request's data, the read in the response's).

A file opened on an IPC$ tree, or on a tree whose connect was not seen (a capture started
mid-session), may be a DCE/RPC pipe: it is followed once the client's first bytes written
to it are DCE/RPC PDUs (:meth:`DceRpcDissector.matches`), and forgotten otherwise (other
protocols use named pipes too).
"""

from __future__ import annotations

import struct

from wirelens.dissect.base import IPPROTO_TCP, Event
from wirelens.dissect.dcerpc import DceRpcAssociation, DceRpcDissector

__all__ = ["SMB_MAX_PIPES", "SmbPipes"]

SMB_MAX_PIPES = 64
"""Pipes followed at once in one SMB connection (clients open a few); beyond it the oldest
is ended."""
SMB_MAX_PENDING_IO = 256
"""Reads and transceives waiting for their response."""

FSCTL_PIPE_TRANSCEIVE = 0x0011C017
"""MS-FSCC §2.3.49."""
STATUS_PENDING, STATUS_BUFFER_OVERFLOW = 0x103, 0x80000005
"""MS-ERREF §2.3: an interim answer; a pipe read with more to come (the rest read next)."""
TRANS_TRANSACT_NMPIPE = 0x0026
"""MS-CIFS §2.2.5.6."""
SMB2_WRITE, SMB2_READ, SMB2_IOCTL, SMB2_CLOSE = 0x09, 0x08, 0x0B, 0x06
SMB1_TRANSACTION, SMB1_READ_ANDX, SMB1_WRITE_ANDX, SMB1_CLOSE = 0x25, 0x2E, 0x2F, 0x04
SMB2_PIPE_COMMANDS = frozenset((SMB2_WRITE, SMB2_READ, SMB2_IOCTL, SMB2_CLOSE))
SMB1_PIPE_COMMANDS = frozenset((SMB1_TRANSACTION, SMB1_READ_ANDX, SMB1_WRITE_ANDX,
                                SMB1_CLOSE))


class SmbPipes:
    """The pipes open in one SMB connection, by FileId (SMB2) or FID (SMB1)."""

    def __init__(self) -> None:
        self._pipes: dict[bytes, DceRpcAssociation] = {}
        self._maybe: dict[bytes, str | None] = {}  # opened, first bytes not seen yet
        self._io: dict[tuple[str, int], bytes] = {}  # (version, message id) -> pipe id

    def __bool__(self) -> bool:
        return bool(self._pipes or self._maybe)

    def open(self, pipe_id: bytes, name: str | None) -> list[Event]:
        """A file opened (its CREATE answered) that may be a pipe (see the module
        docstring)."""
        events = self._end(pipe_id)
        self._maybe[pipe_id] = name
        if len(self._maybe) > SMB_MAX_PIPES:
            del self._maybe[next(iter(self._maybe))]
        return events

    def finish(self) -> list[Event]:
        events: list[Event] = []
        for pipe_id in list(self._pipes):
            events += self._end(pipe_id)
        return events

    def _end(self, pipe_id: bytes) -> list[Event]:
        self._maybe.pop(pipe_id, None)
        assoc = self._pipes.pop(pipe_id, None)
        return assoc.finish() if assoc is not None else []

    def _feed(self, pipe_id: bytes, data: bytes, from_client: bool, ts_ns: int) -> list[Event]:
        events: list[Event] = []
        if pipe_id in self._maybe and from_client and data:  # its first bytes decide
            name = self._maybe.pop(pipe_id)
            if DceRpcDissector.matches(data, IPPROTO_TCP, True):
                self._pipes[pipe_id] = DceRpcAssociation(named_pipe=name or None)
                if len(self._pipes) > SMB_MAX_PIPES:  # the oldest ends past the bound
                    events = self._end(next(iter(self._pipes)))
        assoc = self._pipes.get(pipe_id)
        if assoc is not None and data:
            events += assoc.feed(data, from_client, ts_ns)
        return events

    def _wait(self, key: tuple[str, int], pipe_id: bytes) -> None:
        """A read or transceive whose response carries the server's bytes."""
        if pipe_id in self._pipes or pipe_id in self._maybe:
            self._io[key] = pipe_id
            if len(self._io) > SMB_MAX_PENDING_IO:
                del self._io[next(iter(self._io))]

    # -- SMB2 ------------------------------------------------------------------------------
    def smb2(self, command: int, response: bool, status: int, mid: int, msg: bytes,
             start: int, body: bytes, ts_ns: int) -> list[Event]:
        """One SMB2 message of :data:`SMB2_PIPE_COMMANDS` (offsets count from ``start``, the
        message's header)."""
        if command == SMB2_CLOSE:  # §2.2.15: StructureSize, Flags, Reserved, FileId
            return self._end(body[8:24]) if not response and len(body) >= 24 else []
        if not response:
            if len(body) < 32:
                return []
            pipe_id = body[16:32]  # WRITE, READ (after Offset); IOCTL below
            if command == SMB2_WRITE:  # §2.2.21: DataOffset, Length
                offset, length = struct.unpack_from("<HI", body, 2)
                return self._feed(pipe_id, _at(msg, start, offset, length), True, ts_ns)
            if command == SMB2_READ:
                self._wait(("SMB2", mid), pipe_id)
                return []
            ctl = struct.unpack_from("<I", body, 4)[0]  # IOCTL §2.2.31: CtlCode, FileId
            if ctl != FSCTL_PIPE_TRANSCEIVE or len(body) < 32:
                return []
            pipe_id = body[8:24]
            offset, length = struct.unpack_from("<II", body, 24)  # InputOffset, InputCount
            self._wait(("SMB2", mid), pipe_id)
            return self._feed(pipe_id, _at(msg, start, offset, length), True, ts_ns)
        if status == STATUS_PENDING:  # an interim response: the final one follows
            return []
        pipe_id = self._io.pop(("SMB2", mid), b"")
        if not pipe_id or status not in (0, STATUS_BUFFER_OVERFLOW):
            return []
        if command == SMB2_READ and len(body) >= 8:  # §2.2.20: DataOffset (1 byte), Length
            offset, length = body[2], struct.unpack_from("<I", body, 4)[0]
            return self._feed(pipe_id, _at(msg, start, offset, length), False, ts_ns)
        if command == SMB2_IOCTL and len(body) >= 40:  # §2.2.32: OutputOffset, OutputCount
            offset, length = struct.unpack_from("<II", body, 32)
            return self._feed(pipe_id, _at(msg, start, offset, length), False, ts_ns)
        return []

    # -- SMB1 ------------------------------------------------------------------------------
    def smb1(self, command: int, response: bool, status: int, mid: int, words: bytes,
             data: bytes, data_start: int, ts_ns: int) -> list[Event]:
        """One SMB1 message of :data:`SMB1_PIPE_COMMANDS`: its parameter words and data
        block (``data_start``: the data block's offset from the SMB header)."""
        if command == SMB1_CLOSE:  # §2.2.4.5.1: FID
            return self._end(words[:2]) if not response and len(words) >= 2 else []
        if not response:
            if command == SMB1_WRITE_ANDX and len(words) >= 24:  # FID, ..., DataLength,
                fid = words[4:6]  # DataOffset (from the header) at words 20 and 22
                length, offset = struct.unpack_from("<HH", words, 20)
                return self._feed(fid, _slice(data, offset - data_start, length), True, ts_ns)
            if command == SMB1_READ_ANDX and len(words) >= 6:
                self._wait(("SMB1", mid), words[4:6])
            elif command == SMB1_TRANSACTION and len(words) >= 32:  # two setup words
                count, offset = struct.unpack_from("<HH", words, 22)  # DataCount, DataOffset
                setup, fid = struct.unpack_from("<H2s", words, 28)
                if setup == TRANS_TRANSACT_NMPIPE:
                    self._wait(("SMB1", mid), fid)
                    return self._feed(fid, _slice(data, offset - data_start, count), True,
                                      ts_ns)
            return []
        fid = self._io.pop(("SMB1", mid), b"")
        if not fid or status not in (0, STATUS_BUFFER_OVERFLOW):
            return []
        if command == SMB1_READ_ANDX and len(words) >= 14:  # DataLength, DataOffset
            length, offset = struct.unpack_from("<HH", words, 10)
            return self._feed(fid, _slice(data, offset - data_start, length), False, ts_ns)
        if command == SMB1_TRANSACTION and len(words) >= 20:  # DataCount, DataOffset
            count, offset = struct.unpack_from("<HH", words, 12)
            return self._feed(fid, _slice(data, offset - data_start, count), False, ts_ns)
        return []


def _at(msg: bytes, start: int, offset: int, length: int) -> bytes:
    """``length`` bytes at ``offset`` from the header at ``start``; nothing when they do
    not lie inside the message (a damaged write is left out whole, never cut)."""
    if offset < 64 or start + offset + length > len(msg):
        return b""
    return msg[start + offset : start + offset + length]


def _slice(data: bytes, pos: int, length: int) -> bytes:
    """``length`` bytes at ``pos`` of an SMB1 data block; nothing when outside it."""
    return data[pos : pos + length] if 0 <= pos and pos + length <= len(data) else b""
