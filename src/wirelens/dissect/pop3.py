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

from dataclasses import dataclass
from typing import ClassVar

from wirelens.dissect.base import IPPROTO_TCP, Event
from wirelens.dissect.command_session import Command, CommandSession
from wirelens.dissect.lines import (
    REDACTED,
    Sasl,
    command_start,
    greeting_line,
    starts_with_one,
    text,
)

__all__ = ["Pop3Dissector", "Pop3Record"]

POP3_MAX_LINE = 4096
"""Longest command or status line accepted (RFC 1939 §3: 255 octets for commands, 512 for
responses; RFC 2449 §4 keeps them; lenient up to 4 KiB). Longer: cut short, a weird."""

POP3_MAX_LISTING_LINE = 64 * 1024
"""Lines of a multi-line response (message text) longer than this are skipped, not refused."""

POP3_MAX_PENDING = 128
"""Commands waiting for their status (RFC 2449 §6.6 pipelining)."""

POP3_MAX_HELD = 64 * 1024
"""Client bytes held while waiting for the answer to STLS; beyond, the client side is no
longer read."""

_MULTILINE = frozenset(("CAPA", "RETR", "TOP"))
_MULTILINE_NO_ARG = frozenset(("LIST", "UIDL"))


@dataclass(slots=True)
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


class _Command(Command):
    __slots__ = ("sasl",)

    def __init__(self, verb: str, arg: str | None, ts_ns: int) -> None:
        super().__init__(verb, arg, ts_ns)
        self.sasl: Sasl | None = None  # the exchange an AUTH opened


def _status_start(first: bytes) -> bool | None:
    """Whether bytes after a hole start a status line (``+OK``, ``-ERR``, or a ``+``
    continuation, RFC 1939 §3, RFC 5034 §4)."""
    return starts_with_one(first, (b"+OK", b"-ERR", b"+ "))


class Pop3Dissector(CommandSession[_Command]):
    """POP3 over TCP (port 110)."""

    name: ClassVar[str] = "pop3"
    transports: ClassVar[frozenset[int]] = frozenset((IPPROTO_TCP,))
    ports: ClassVar[frozenset[int]] = frozenset((110,))
    first_bytes: ClassVar[frozenset[int] | None] = frozenset(b"+")
    """``matches``: a ``+OK`` greeting."""
    name_source: ClassVar[str | None] = None
    client_max_line: ClassVar[int] = POP3_MAX_LINE
    server_max_line: ClassVar[int] = POP3_MAX_LISTING_LINE

    def __init__(self, proto: int, *, show_passwords: bool = False) -> None:
        super().__init__(proto, show_passwords=show_passwords)
        self._offered: tuple[str, ...] = ()
        self._listing: str | None = None  # verb of the multi-line response being read
        self._holed = False  # a hole cut the multi-line response being read

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """A ``+OK`` greeting line (RFC 1939 §4), printable and complete."""
        if proto != IPPROTO_TCP:
            return False
        line = greeting_line(payload, (b"+OK",))
        return line is not None and (len(line) == 3 or line[3] == 0x20)

    @staticmethod
    def _from_server(data: bytes) -> bool:
        return data[:1] in (b"+", b"-")  # +OK / -ERR

    def _client_gap(self, length: int) -> None:
        """The line a hole cuts is dropped; reading resumes at the next command."""
        self._client.lost(command_start)

    def _server_gap(self, length: int, events: list[Event]) -> None:
        """Reading resumes at the next line of a multi-line response being read (its ``.``
        ends it, or a status line after the hole: the ``.`` was lost), or at the next status
        line (one the hole cuts counts: the greeting, or an answer with its text so far)."""
        if self._listing is not None:
            self._server.lost()
            self._holed = True
        else:
            cut = self._server.lost(_status_start)
            if cut:
                self._status(cut, self._last_ts, events)
                self._holed = self._listing is not None  # (a listing opened by it: holed)

    def _unanswered(self, cmd: _Command, events: list[Event]) -> None:
        self._emit(cmd, None, None, events)

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
            self._credentials(cmd)
            if verb == "AUTH":
                self._auth_cmd = cmd
            if len(self._pending) < POP3_MAX_PENDING:
                self._pending.append(cmd)
        if len(buf) > POP3_MAX_HELD:
            self._ignored = True
            buf.clear()

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
        if cmd.verb == "STLS":
            self._answered_holding(tls, ts_ns)

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
