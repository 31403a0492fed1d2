"""POP3 (RFC 1939) over TCP: one row per command with its status.

Commands are queued and paired in order with the server's status lines (``+OK`` / ``-ERR``,
RFC 1939 §3). A ``+OK`` to CAPA (RFC 2449 §5), RETR, TOP, or LIST/UIDL without argument
opens a multi-line response ended by a ``.`` line; its lines are skipped except CAPA's
(``SASL`` mechanisms, ``STLS``). A ``+`` continuation (RFC 5034 §4) does not end an AUTH
command; the client's base64 responses that follow are read as SASL, not as commands.

Credentials: USER/PASS (RFC 1939 §7) and AUTH PLAIN/LOGIN are clear text; ``password``
(and PASS's ``arg``) is :data:`~wirelens.dissect.lines.REDACTED` unless the dissector was
created with ``show_passwords=True``. APOP sends a digest, not the password. STLS answered
``+OK`` (RFC 2595 §4) means the rest is TLS: the row says ``tls``, the dissector is ``done``.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import ClassVar

from wirelens.dissect.base import IPPROTO_TCP, Dissector, Event
from wirelens.dissect.lines import (
    REDACTED,
    LineBuffer,
    Sasl,
    command_start,
    greeting_line,
    starts_with_one,
    text,
)

__all__ = ["Pop3Dissector", "Pop3Record"]

POP3_MAX_LINE = 4096
"""Longest command or status line accepted (RFC 1939 §3: 255 octets for commands, 512 for
responses; RFC 2449 §4 keeps them; lenient up to 4 KiB). Longer: LimitExceeded."""

POP3_MAX_LISTING_LINE = 64 * 1024
"""Lines of a multi-line response (message text) longer than this are skipped, not refused."""

POP3_MAX_PENDING = 128
"""Commands waiting for their status (RFC 2449 §6.6 pipelining)."""

POP3_MAX_HELD = 64 * 1024
"""Client bytes held while waiting for the answer to STLS; beyond, the client side is no
longer read."""

_MULTILINE = frozenset(("CAPA", "RETR", "TOP"))
_MULTILINE_NO_ARG = frozenset(("LIST", "UIDL"))


@dataclass(frozen=True, slots=True)
class Pop3Record(Event):
    """One POP3 command and its status line."""

    table: ClassVar[str | None] = "pop3"

    banner: str | None
    """Greeting text after +OK (RFC 1939 §4)."""
    command: str
    """Command keyword, upper case."""
    arg: str | None
    """Arguments (PASS's and AUTH's initial response redacted unless show_passwords)."""
    status: str | None
    """``+OK`` or ``-ERR`` (None when no status was seen)."""
    status_msg: str | None
    """Text after the status indicator."""
    auth_mechanisms_offered: tuple[str, ...]
    """SASL mechanisms of the CAPA ``SASL`` line (RFC 2449 §6.3), as known at this row."""
    auth_mechanism: str | None
    """Mechanism of the last AUTH command."""
    user: str | None
    """User of USER/APOP, or revealed by AUTH PLAIN/LOGIN."""
    password: str | None
    """Password revealed (PASS, AUTH PLAIN/LOGIN): ``<redacted>`` unless show_passwords."""
    credentials_clear: bool
    """A password crossed the connection in clear text (so far)."""
    tls: bool
    """STLS was accepted (RFC 2595 §4): the rest of the connection is TLS."""


class _Command:
    __slots__ = ("arg", "clear", "mechanism", "password", "sasl", "ts_ns", "user", "verb")

    def __init__(self, verb: str, arg: str | None, ts_ns: int) -> None:
        self.verb = verb
        self.arg = arg
        self.ts_ns = ts_ns
        self.user: str | None = None  # session facts as of this command
        self.password: str | None = None
        self.clear = False
        self.mechanism: str | None = None
        self.sasl: Sasl | None = None


def _status_start(first: bytes) -> bool | None:
    """Whether bytes after a hole start a status line (``+OK``, ``-ERR``, or a ``+``
    continuation, RFC 1939 §3, RFC 5034 §4)."""
    return starts_with_one(first, (b"+OK", b"-ERR", b"+ "))


class Pop3Dissector(Dissector):
    """POP3 over TCP (port 110)."""

    name: ClassVar[str] = "pop3"
    transports: ClassVar[frozenset[int]] = frozenset((IPPROTO_TCP,))
    ports: ClassVar[frozenset[int]] = frozenset((110,))
    first_bytes: ClassVar[frozenset[int] | None] = frozenset(b"+")
    """``matches``: a ``+OK`` greeting."""
    name_source: ClassVar[str | None] = None

    def __init__(self, proto: int, *, show_passwords: bool = False) -> None:
        super().__init__(proto)
        self.show_passwords = show_passwords
        self._client = LineBuffer(POP3_MAX_LINE)
        self._server = LineBuffer(POP3_MAX_LISTING_LINE)
        self._client_is_orig: bool | None = None
        self._pending: deque[_Command] = deque()
        self._greeted = False
        self._banner: str | None = None
        self._offered: tuple[str, ...] = ()
        self._listing: str | None = None  # verb of the multi-line response being read
        self._sasl: Sasl | None = None  # exchange whose client responses are being read
        self._mechanism: str | None = None
        self._user: str | None = None
        self._password: str | None = None
        self._clear = False
        self._held = False
        self._ignored = False
        self._auth_cmd: _Command | None = None
        self._last_ts = 0  # time of the last bytes fed
        self._holed = False  # a hole cut the multi-line response being read

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """A ``+OK`` greeting line (RFC 1939 §4), printable and complete."""
        if proto != IPPROTO_TCP:
            return False
        line = greeting_line(payload, (b"+OK",))
        return line is not None and (len(line) == 3 or line[3] == 0x20)

    def feed(self, data: bytes, from_orig: bool, ts_ns: int) -> list[Event]:
        """Next stream bytes of one direction."""
        if self.done or not data:
            return []
        if self._client_is_orig is None:  # roles from content: the server sends +OK/-ERR
            self._client_is_orig = from_orig != (data[:1] in (b"+", b"-"))
        self._last_ts = ts_ns
        events: list[Event] = []
        if from_orig == self._client_is_orig:
            if not self._ignored:
                self._client.append(data)
                self._read_client(ts_ns)
        else:
            self._server.append(data)
            self._read_server(ts_ns, events)
        return events

    def gap(self, from_orig: bool, length: int) -> list[Event]:
        """A TCP hole (a lost segment, or one a snap length cut short): the line it cuts is
        dropped and reading resumes at the next command (client), at the next line of a
        multi-line response being read (its ``.`` ends it, or a status line after the hole:
        the ``.`` was lost), or at the next status line (one it cuts counts: the greeting, or
        an answer with its text so far)."""
        if self.done or self._client_is_orig is None:
            self.done = True
            return []
        events: list[Event] = []
        if from_orig == self._client_is_orig:
            self._client.lost(command_start)
        elif self._listing is not None:
            self._server.lost()
            self._holed = True
        else:  # a status line it cuts counts (the greeting, or an answer)
            cut = self._server.lost(_status_start)
            if cut:
                self._status(cut, self._last_ts, events)
                self._holed = self._listing is not None  # (a listing opened by it: holed)
        return events

    def finish(self) -> list[Event]:
        """Emit the commands never answered."""
        events: list[Event] = []
        while self._pending:
            self._emit(self._pending.popleft(), None, None, events)
        return events

    def _read_client(self, ts_ns: int) -> None:
        buf = self._client
        while not self._held:
            line = buf.next_line()
            if line is None:
                break
            sasl = self._sasl
            if sasl is not None and sasl.remaining:
                sasl.line(line)
                self._learn(sasl)
                continue
            verb_raw, _, arg_raw = line.partition(b" ")
            verb = text(verb_raw, 16).upper()
            arg_raw = arg_raw.strip()
            cmd = _Command(verb, text(arg_raw) if arg_raw else None, ts_ns)
            if verb in ("USER", "APOP"):  # RFC 1939 §7
                self._user = text(arg_raw.split(b" ", 1)[0])
            elif verb == "PASS":
                self._clear = True
                self._password = cmd.arg
                if not self.show_passwords and cmd.arg is not None:
                    cmd.arg = REDACTED
            elif verb == "AUTH" and arg_raw:  # RFC 5034 §4: AUTH mechanism [initial-response]
                mech, _, initial = arg_raw.partition(b" ")
                cmd.sasl = self._sasl = Sasl(text(mech, 40), initial or None)
                self._mechanism = cmd.sasl.mechanism
                self._learn(cmd.sasl)
                if initial and not self.show_passwords:
                    cmd.arg = f"{cmd.sasl.mechanism} {REDACTED}"
            elif verb == "STLS":
                self._held = True  # TLS bytes may follow: wait for the answer
            cmd.user, cmd.password, cmd.clear = self._user, self._password, self._clear
            cmd.mechanism = self._mechanism
            if verb == "AUTH":
                self._auth_cmd = cmd
            if len(self._pending) < POP3_MAX_PENDING:
                self._pending.append(cmd)
        if len(buf) > POP3_MAX_HELD:
            self._ignored = True
            buf.clear()

    def _learn(self, sasl: Sasl) -> None:
        if sasl.user is not None:
            self._user = sasl.user
        if sasl.password is not None:
            self._password = sasl.password
        self._clear = self._clear or sasl.clear
        cmd = self._auth_cmd
        if cmd is not None:  # the AUTH row shows what its exchange revealed
            cmd.user, cmd.password, cmd.clear = self._user, self._password, self._clear

    def _read_server(self, ts_ns: int, events: list[Event]) -> None:
        buf = self._server
        while not self.done:
            line = buf.next_line_lenient()
            if line is None:
                return
            if self._listing is not None:
                if line == b".":  # RFC 1939 §3: end of a multi-line response
                    self._listing, self._holed = None, False
                elif self._holed and line.startswith((b"+OK", b"-ERR")):
                    # after a hole in it, a status line: its "." end was lost
                    self._listing, self._holed = None, False
                    self._status(line, ts_ns, events)
                elif self._listing == "CAPA":
                    self._capability(line)
                continue
            self._status(line, ts_ns, events)

    def _status(self, line: bytes, ts_ns: int, events: list[Event]) -> None:
        """A server line outside a multi-line response: the greeting, or a status that
        answers the oldest command waiting."""
        if not line.startswith((b"+OK", b"-ERR", b"+")):
            return  # not a status line: ignored (lenient)
        if not self._greeted:
            self._greeted = True
            if line.startswith(b"+OK"):  # RFC 1939 §4: the greeting comes first
                self._banner = text(line[4:])
                return
        if not self._pending:
            return
        cmd = self._pending[0]
        if not line.startswith((b"+OK", b"-ERR")):  # "+ challenge" (RFC 5034 §4)
            return
        self._pending.popleft()
        ok = line.startswith(b"+OK")
        status, msg = ("+OK", line[4:]) if ok else ("-ERR", line[5:])
        if ok and (
            cmd.verb in _MULTILINE or (cmd.verb in _MULTILINE_NO_ARG and cmd.arg is None)
        ):
            self._listing = cmd.verb
        if cmd.sasl is not None and cmd.sasl is self._sasl:
            self._sasl.remaining = 0
        tls = cmd.verb == "STLS" and ok
        self._emit(cmd, status, text(msg), events, tls)
        if tls:
            self.done = True
            self.upgrade = "tls"  # the rest of the flow is a TLS handshake
        elif cmd.verb == "STLS" and self._held:
            self._held = False
            self._read_client(ts_ns)

    def _capability(self, line: bytes) -> None:
        """A CAPA line (RFC 2449 §6): ``SASL mech ...`` lists the mechanisms."""
        words = text(line).split()
        if words and words[0].upper() == "SASL":
            mechs = tuple(w.upper() for w in words[1:])
            self._offered = tuple(dict.fromkeys(self._offered + mechs))[:32]

    def _emit(
        self,
        cmd: _Command,
        status: str | None,
        msg: str | None,
        events: list[Event],
        tls: bool = False,
    ) -> None:
        password = cmd.password
        if password is not None and not self.show_passwords:
            password = REDACTED
        events.append(
            Pop3Record(
                ts_ns=cmd.ts_ns,
                banner=self._banner,
                command=cmd.verb,
                arg=cmd.arg,
                status=status,
                status_msg=msg,
                auth_mechanisms_offered=self._offered,
                auth_mechanism=cmd.mechanism,
                user=cmd.user,
                password=password,
                credentials_clear=cmd.clear,
                tls=tls,
            )
        )
