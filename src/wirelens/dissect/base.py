"""The sans-IO dissector contract.

A dissector is fed the payload bytes of one flow, in order, per direction (the flow layer
reassembles TCP; for UDP each call is one datagram). It returns events. It never touches
files, sockets, clocks or logging, and raises nothing but
:class:`~wirelens.wire.errors.ParseError`.

Incremental: when more bytes are needed, :meth:`Dissector.feed` returns an empty list and
keeps its state. At the end of the flow the caller calls :meth:`Dissector.finish`, which
returns the events still pending (a query never answered, a response body cut short).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar, Literal

from wirelens.wire.errors import ParseError, detached

__all__ = ["BY_CONTENT", "IPPROTO_TCP", "IPPROTO_UDP", "Dissector", "Event", "Problem",
           "Screen"]

IPPROTO_TCP = 6
IPPROTO_UDP = 17


@dataclass(frozen=True, slots=True)
class Screen:
    """A necessary condition of a class's :meth:`Dissector.matches`, written as data so that
    the pipeline can test it on many payloads at once (with numpy, which dissectors do not
    import): the payload is at least ``min_len`` bytes long, holds the bytes of ``equals`` at
    their offsets, a byte among ``values`` at each of those offsets, and, with ``length``
    (offset, width in bytes, byte order, delta), a length field equal to the payload's
    length minus delta."""

    min_len: int
    equals: tuple[tuple[int, bytes], ...] = ()
    values: tuple[tuple[int, frozenset[int]], ...] = ()
    length: tuple[int, int, Literal["big", "little"], int] | None = None


@dataclass(slots=True)
class Event:
    """Base of every dissector event: a slotted dataclass, read-only by convention once
    returned. Not ``frozen``: a frozen dataclass's ``__init__`` sets each field through
    ``object.__setattr__`` (~180 ns a field, ten times a plain one's), which made building
    the rows a noticeable part of full DPI (a TLS row of 49 fields took 9.6 us, now 1 us);
    so are the parse results dissectors build per message (hellos, DNS messages)."""

    table: ClassVar[str | None] = None
    """Name of the table this kind of event becomes a row of (``wirelens.schema.SCHEMAS``);
    ``None`` for events that are not stored. The row holds the dataclass fields by name,
    plus ``ts``, ``uid`` and the flow's endpoints added by the DPI stage."""

    ts_ns: int
    """Time (ns since the epoch) of the packet that started the event (e.g. the request)."""


@dataclass(slots=True)
class Problem(Event):
    """Damage in a message the dissector still wrote a row for, as far as the message went
    (a DNS response whose third record is damaged keeps its question and first two
    answers): returned among the events, it becomes a weird named as a ``ParseError`` of the
    dissector's would be (``dns_bad_value``), not a row, and the flow is read on. The error
    is kept without its traceback (:func:`~wirelens.wire.errors.detached`)."""

    ts_ns: int
    error: ParseError

    def __post_init__(self) -> None:
        detached(self.error)


BY_CONTENT = "*"
"""``Dissector.upgrade`` value: the rest of the flow is another protocol the dissector cannot
name (an HTTP CONNECT tunnel); the caller identifies it by content from ``upgrade_data``."""


class Dissector(ABC):
    """One protocol parser for one flow.

    Class attributes describe the protocol; instance attributes expose what is known so far.
    Instances are created by the flow layer once :func:`wirelens.dissect.registry.identify`
    returned the class: ``cls(proto)``.
    """

    name: ClassVar[str]
    """Protocol name, also the service name of the flow: ``"dns"``, ``"http"``, ``"tls"``."""
    transports: ClassVar[frozenset[int]]
    """IP protocols it runs on (6 = TCP, 17 = UDP)."""
    ports: ClassVar[frozenset[int]] = frozenset()
    """Well-known ports: only a tie-breaker hint when several dissectors match content (and
    the guess for a flow no content test recognised, marked ``service_source = port``)."""
    name_source: ClassVar[str | None] = None
    """What :attr:`server_name` is, when this dissector sets it (conn ``name_source``):
    ``sni``, ``http_host``, ``dns_query``, ..."""
    first_bytes: ClassVar[frozenset[int] | None] = None
    """Every value the first payload byte can have when :meth:`matches` accepts (``None`` =
    any byte). The registry runs the content test only on payloads whose first byte is in
    it, so it must be a superset: a byte missing here silently cuts payloads ``matches``
    accepts. One set for all of :attr:`transports` (the union of each one's first bytes;
    :meth:`first_bytes_on` may narrow it for one of them)."""

    server_name: str | None
    """SNI, HTTP Host or DNS query name, once known."""
    cert_names: tuple[str, ...] = ()
    """Names of the server's certificate once read (TLS, DTLS: first the SANs, else the
    subject CN): the flow's name when the dissector gives none of its own."""
    done: bool
    """True when nothing more is wanted from this flow (the caller may stop feeding)."""
    upgrade: str | None
    """With ``done``: the name of the dissector that reads the rest of the flow (``"tls"``
    after an accepted STARTTLS / STLS / AUTH TLS), or :data:`BY_CONTENT`; the caller then
    feeds it the bytes that follow."""
    upgrade_data: tuple[tuple[bool, bytes], ...]
    """With ``upgrade``: bytes this dissector already took that belong to its successor,
    as (from_orig, data) in stream order; the caller feeds them first."""

    def __init__(self, proto: int) -> None:
        self.proto = proto
        self.server_name = None
        self.done = False
        self.upgrade = None
        self.upgrade_data = ()

    @classmethod
    @abstractmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """Cheap content test on the first payload of a flow in one direction."""

    screens: ClassVar[Mapping[int, tuple[Screen, ...]]] = {}
    """Per transport: screens of which one holds on every payload :meth:`matches` accepts
    there (a payload failing them all is not offered to it). A transport not listed has
    none. Like :attr:`first_bytes`, a screen must never refuse what ``matches`` accepts
    (checked by ``tests/unit/dissect/test_dissect_screens.py``)."""

    @classmethod
    def matches_on_own_port(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """A weaker content test, asked only when no content test took the payload and one
        of the flow's ports is among this class's :attr:`ports` (content and port together
        name the flow): a message a capture cut short or whose counts were damaged, which
        :meth:`matches` must refuse elsewhere. Default: never."""
        return False

    @classmethod
    def first_bytes_on(cls, proto: int) -> frozenset[int] | None:
        """:attr:`first_bytes` on the transport ``proto``: a class whose first byte is free on
        one transport (a length prefix over TCP) and fixed on another narrows it here."""
        return cls.first_bytes

    @classmethod
    def from_server(cls, payload: bytes, proto: int) -> bool:
        """Whether ``payload``, the first one of a flow, is a message only a server sends (a
        DNS response, an HTTP status line, a TLS ServerHello): the side seen first is then the
        server, and the flow is written reversed (a capture that starts mid-conversation).
        Default: never."""
        return False

    @abstractmethod
    def feed(self, data: bytes, from_orig: bool, ts_ns: int) -> list[Event]:
        """Consume ``data`` (the next bytes of one direction); return completed events.

        Raises only :class:`~wirelens.wire.errors.ParseError`. After a ``ParseError`` the
        dissector's state is undefined for reading on: the caller turns it off for this flow,
        after one call of :meth:`finish` for the events it completed or held before the damage
        (which, as always, returns events or raises ``ParseError``).
        """

    def name_final(self) -> bool:
        """Whether no server name can come any more (a TLS certificate encrypted or absent, a
        QUIC ClientHello parsed without one): a caller reading a flow only for its name stops
        there. Default: once :attr:`done`."""
        return self.done

    def skippable(self, from_orig: bool) -> int:
        """How many of the next bytes of this direction carry nothing for this dissector (the
        rest of a body of known length, once its first bytes were seen): the caller may skip
        them and announce them with :meth:`gap` instead of feeding them. Default: none."""
        return 0

    datagrams_stand_alone: ClassVar[bool] = False
    """Over UDP each datagram is a message of its own, parsed before anything is kept: one
    that does not parse leaves the dissector's state as it was (:meth:`resumable`)."""

    def resumable(self) -> bool:
        """After :meth:`feed` raised :class:`~wirelens.wire.errors.ParseError`: whether the
        dissector's state is intact and reading may go on with the next message (the bad one
        is a weird, not the end of the flow's rows). Default: over UDP when
        :attr:`datagrams_stand_alone`; otherwise its state is undefined."""
        return self.datagrams_stand_alone and self.proto == IPPROTO_UDP

    def gap(self, from_orig: bool, length: int) -> list[Event]:
        """``length`` bytes of this direction were never seen (a TCP hole given up on), at
        the current position of its stream. Default: the stream is lost, nothing more is read
        (``done``); a dissector that can stay in step (e.g. inside a body of known length)
        overrides this."""
        self.done = True
        return []

    def finish(self) -> list[Event]:
        """End of flow: return the events still pending (default: none)."""
        return []
