"""Connections a protocol announces before they open, named by the announcement.

An FTP session says where its data connection will go (RFC 959 §4.1.2 PASV reply and PORT
command, RFC 2428 EPSV and EPRT); a TFTP request (RFC 1350 §4) is answered from a new server
port, to the client's port. Those flows carry a file, whose bytes say nothing of the
protocol: the DPI stage names one ``ftp_data`` or ``tftp`` when its responder (address, port)
was announced (``service_source`` ``expected``), before any content test, as Zeek does with
its expected connections. An announcement is used once, and forgotten after
``limits.EXPECTED_TIMEOUT_S`` or when ``limits.EXPECTED_MAX`` newer ones are waiting.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import ClassVar

from wirelens.core import limits
from wirelens.dissect.base import IPPROTO_TCP, Dissector
from wirelens.dissect.ftp import FtpRecord
from wirelens.dissect.signatures_base import SignatureDissector
from wirelens.dissect.signatures_net import TftpDissector
from wirelens.pipeline.columns import addr_halves

_Key = tuple[int, int, int, int]
"""(IP protocol, responder address high and low 64 bits, responder port)."""
_TFTP_REQUESTS = (b"\x00\x01", b"\x00\x02")
"""Opcodes of a read and a write request (RFC 1350 §5)."""


class FtpDataDissector(SignatureDissector):
    """The data connection of an FTP session: named only by its announcement on the control
    connection (:class:`ExpectedFlows`), never by content (its bytes are the file's); not in
    the registry."""

    name: ClassVar[str] = "ftp_data"
    transports: ClassVar[frozenset[int]] = frozenset((IPPROTO_TCP,))
    first_bytes: ClassVar[frozenset[int] | None] = frozenset()

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """Never: see the class docstring."""
        return False


class ExpectedFlows:
    """Announced responders and the class that will name their flow, oldest first, bounded
    in number and age. What announces one: :meth:`note_ftp` (an FTP row naming a data
    channel) and :meth:`note_named` (a TFTP request)."""

    def __init__(self, limit: int = limits.EXPECTED_MAX,
                 timeout_s: float = limits.EXPECTED_TIMEOUT_S) -> None:
        self.limit = limit
        self.timeout_ns = int(timeout_s * 1e9)
        self._table: OrderedDict[_Key, tuple[type[Dissector], int]] = OrderedDict()
        self._ports: dict[int, int] = {}
        """Responder port -> announcements waiting for it (most flows' ports have none:
        :meth:`awaits` answers without the addresses)."""

    def __len__(self) -> int:
        return len(self._table)

    def awaits(self, port: int) -> bool:
        """Whether some announcement waits for a responder on ``port``."""
        return port in self._ports

    def _forget(self, key: _Key) -> None:
        port = key[3]
        left = self._ports[port] - 1
        if left:
            self._ports[port] = left
        else:
            del self._ports[port]

    def add(self, proto: int, hi: int, lo: int, port: int, cls: type[Dissector],
            ts_ns: int) -> None:
        """A flow of ``proto`` to (``hi``, ``lo``, ``port``) will be ``cls``'s service (the
        oldest announcement is forgotten past ``limit``)."""
        key = (proto, hi, lo, port)
        if self._table.pop(key, None) is not None:
            self._forget(key)
        self._table[key] = (cls, ts_ns)
        self._ports[port] = self._ports.get(port, 0) + 1
        table = self._table
        while table and (len(table) > self.limit
                         or ts_ns - next(iter(table.values()))[1] > self.timeout_ns):
            # (the oldest first: announcements come in time order)
            self._forget(table.popitem(last=False)[0])

    def take(self, proto: int, hi: int, lo: int, port: int,
             ts_ns: int) -> type[Dissector] | None:
        """The class announced for this responder (used up), or None (none, or announced
        more than the timeout before ``ts_ns``, the flow's start)."""
        key = (proto, hi, lo, port)
        hit = self._table.pop(key, None)
        if hit is None:
            return None
        self._forget(key)
        return None if ts_ns - hit[1] > self.timeout_ns else hit[0]

    def note_ftp(self, ev: FtpRecord, ends: tuple[int, ...]) -> None:
        """An FTP row naming a data channel (PASV, EPSV, PORT, EPRT) announces its responder
        (``ends``: the control flow's client then server, address halves and port each; EPSV
        names no address, it is the control connection's server, RFC 2428 §3)."""
        where = (addr_halves(ev.data_channel_resp_h) if ev.data_channel_resp_h
                 else (ends[3], ends[4]))
        if where is not None and ev.data_channel_resp_p:
            self.add(IPPROTO_TCP, *where, ev.data_channel_resp_p, FtpDataDissector, ev.ts_ns)

    def note_named(self, cls: type[Dissector], payload: memoryview | bytes, proto: int,
                   ends: tuple[int, ...], ts_ns: int) -> None:
        """A flow just named by its client's ``payload`` (``ends``: client then server): a
        TFTP request announces the transfer, from a new server port to the client's (RFC
        1350 §4)."""
        if cls is TftpDissector and bytes(payload[:2]) in _TFTP_REQUESTS:
            self.add(proto, ends[0], ends[1], ends[2], TftpDissector, ts_ns)


__all__ = ["ExpectedFlows", "FtpDataDissector"]
