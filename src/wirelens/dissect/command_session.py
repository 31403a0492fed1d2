"""What FTP, POP3 and IMAP share: a client sending command lines that wait for the server's
answers, both directions read through :class:`~wirelens.dissect.lines.LineBuffer` s.

The roles come from the first bytes fed (each protocol's server speaks in a way its client
does not: reply codes, ``+OK``, ``*``); a command that may start TLS (AUTH TLS, STLS,
STARTTLS) holds the client's later bytes until it is answered; a TCP hole is passed to each
side's ``_client_gap``/``_server_gap``; the commands still waiting at the end are written
unanswered. The session's credentials (user, password, whether clear text was seen, the SASL
exchange being read) are kept here, and each command carries them as of its time.
"""

from __future__ import annotations

from collections import deque
from typing import ClassVar, Generic, TypeVar

from wirelens.dissect.base import Dissector, Event
from wirelens.dissect.lines import LineBuffer, Sasl, cut_lines

__all__ = ["Command", "CommandSession"]


class Command:
    """One command waiting for its answer, with the session's credentials as of it."""

    __slots__ = ("arg", "clear", "mechanism", "password", "ts_ns", "user", "verb")

    def __init__(self, verb: str, arg: str | None, ts_ns: int) -> None:
        self.verb = verb
        self.arg = arg
        self.ts_ns = ts_ns
        self.user: str | None = None
        self.password: str | None = None
        self.clear = False
        self.mechanism: str | None = None


C = TypeVar("C", bound=Command)


class CommandSession(Dissector, Generic[C]):
    """Base of the FTP, POP3 and IMAP dissectors (TCP only)."""

    client_max_line: ClassVar[int]
    """Longest client line read whole (a longer one is cut short: ``LineBuffer``)."""
    server_max_line: ClassVar[int]
    """Server lines longer than this are cut short or skipped (see ``LineBuffer``)."""

    def __init__(self, proto: int, *, show_passwords: bool = False) -> None:
        super().__init__(proto)
        self.show_passwords = show_passwords
        self._client = LineBuffer(self.client_max_line)
        self._server = LineBuffer(self.server_max_line)
        self._client_is_orig: bool | None = None
        self._pending: deque[C] = deque()
        self._greeted = False
        self._banner: str | None = None
        self._held = False  # client bytes wait for the answer to a command that may start TLS
        self._ignored = False  # the client side is no longer read
        self._last_ts = 0  # time of the last bytes fed
        self._user: str | None = None
        self._password: str | None = None
        self._clear = False  # clear-text credentials seen
        self._sasl: Sasl | None = None  # the exchange whose client responses are being read
        self._mechanism: str | None = None
        self._auth_cmd: C | None = None  # the command that opened that exchange

    @staticmethod
    def _from_server(data: bytes) -> bool:
        """Whether the first bytes seen in a direction are the server's."""
        raise NotImplementedError

    def _read_client(self, ts_ns: int) -> None:
        raise NotImplementedError

    def _read_server(self, ts_ns: int, events: list[Event]) -> None:
        raise NotImplementedError

    def _client_gap(self, length: int) -> None:
        """A hole of ``length`` bytes in the client's stream."""
        raise NotImplementedError

    def _server_gap(self, length: int, events: list[Event]) -> None:
        """A hole of ``length`` bytes in the server's stream (a line it cuts may count)."""
        raise NotImplementedError

    def _unanswered(self, cmd: C, events: list[Event]) -> None:
        """The row of a command no answer came for."""
        raise NotImplementedError

    def feed(self, data: bytes, from_orig: bool, ts_ns: int) -> list[Event]:
        """Next stream bytes of one direction."""
        if self.done or not data:
            return []
        if self._client_is_orig is None:
            self._client_is_orig = from_orig != self._from_server(data)
        self._last_ts = ts_ns
        events: list[Event] = []
        if from_orig == self._client_is_orig:
            if not self._ignored:
                self._client.append(data)
                self._read_client(ts_ns)
        else:
            self._server.append(data)
            self._read_server(ts_ns, events)
        events += cut_lines(ts_ns, self._client, self._server)
        return events

    def gap(self, from_orig: bool, length: int) -> list[Event]:
        """A TCP hole (a lost segment, or one a snap length cut short); before any byte
        says which side is the client, it ends the dissector."""
        if self.done or self._client_is_orig is None:
            self.done = True
            return []
        events: list[Event] = []
        if from_orig == self._client_is_orig:
            self._client_gap(length)
        else:
            self._server_gap(length, events)
        return events

    def finish(self) -> list[Event]:
        """Emit the commands never answered."""
        events: list[Event] = []
        while self._pending:
            self._unanswered(self._pending.popleft(), events)
        return events

    def _answered_holding(self, tls: bool, ts_ns: int) -> None:
        """The command that held the client's bytes was answered: ``tls``, the rest of the
        flow is a TLS handshake; otherwise those bytes are commands after all."""
        if tls:
            self.done = True
            self.upgrade = "tls"
        elif self._held:
            self._held = False
            self._read_client(ts_ns)

    def _credentials(self, cmd: C) -> None:
        """``cmd`` carries the session's credentials as they are now."""
        cmd.user, cmd.password, cmd.clear = self._user, self._password, self._clear
        cmd.mechanism = self._mechanism

    def _learn(self, sasl: Sasl) -> None:
        """What a SASL exchange revealed so far; the row of the command that opened it shows
        it too."""
        if sasl.user is not None:
            self._user = sasl.user
        if sasl.password is not None:
            self._password = sasl.password
        self._clear = self._clear or sasl.clear
        cmd = self._auth_cmd
        if cmd is not None:
            cmd.user, cmd.password, cmd.clear = self._user, self._password, self._clear
