"""IMAP4 (RFC 9051, RFC 3501) over TCP: one row per tagged command with its tagged status.

Client lines are ``tag SP command [SP arguments]`` (RFC 9051 §2.2.1); a line ending with a
literal announcement ``{n}`` or ``{n+}`` (§4.3) continues after ``n`` raw octets, which are
kept inline (bounded) as part of the arguments. The server's tagged ``OK``/``NO``/``BAD``
(§7.1) ends the command of that tag; untagged ``*`` lines give the greeting (``* OK`` /
``* PREAUTH``, §7.1.1/7.1.4) and the capabilities (``AUTH=`` mechanisms, §7.2.2, also in an
``[CAPABILITY ...]`` response code); server literals are skipped.

Credentials: LOGIN (§6.2.3) sends user and password in clear text, AUTHENTICATE PLAIN/LOGIN
(§6.2.2, SASL responses on their own lines, RFC 4959 initial response) in base64;
``password`` (and LOGIN's arguments) is :data:`~wirelens.dissect.lines.REDACTED` unless the
dissector was created with ``show_passwords=True``. STARTTLS answered OK (§6.2.1) means the
rest is TLS: the row says ``tls`` and the dissector is ``done``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar

from wirelens.dissect.base import IPPROTO_TCP, Event
from wirelens.dissect.command_session import Command, CommandSession
from wirelens.dissect.lines import MAX_TEXT_CHARS, REDACTED, Sasl, greeting_line, text
from wirelens.wire.errors import LimitExceeded

__all__ = ["ImapDissector", "ImapRecord"]

IMAP_MAX_LINE = 64 * 1024
"""Longest client command line accepted (RFC 9051 §4 sets no limit; RFC 7162 §4 asks
servers to take 8192 octets; long UID sets make real ones grow). Longer: cut short, a weird."""

IMAP_MAX_SERVER_LINE = 8192
"""Server lines longer than this are skipped, not refused (only short ones are used)."""

IMAP_MAX_LITERAL_KEPT = 1024
"""Octets of a client literal kept inline in the arguments (APPEND's message is skipped)."""

IMAP_MAX_COMMAND_PARTS = 64
"""Literals in one command (a LOGIN has two; more is a hostile or bulk command)."""

IMAP_MAX_PENDING = 128
"""Commands waiting for their tagged status."""

IMAP_MAX_HELD = 64 * 1024
"""Client bytes held while waiting for the answer to STARTTLS; beyond, the client side is
no longer read."""

_LITERAL = re.compile(rb"\{(\d{1,10})\+?\}\Z")
_TAGGED_LINE = re.compile(rb"[A-Za-z0-9.]{1,32} [A-Za-z]{2}")
"""The start of a tagged command (RFC 9051 §2.2.1: tag, space, command), or of a tagged
status (tag, space, OK/NO/BAD)."""
_TAG_BYTES = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789. ")
"""Bytes a tagged line starts with: a tag's (as :data:`_TAGGED_LINE` reads it), a space."""


def _tagged_start(first: bytes) -> bool | None:
    """Whether bytes after a hole start a tagged command or status line."""
    if _TAGGED_LINE.match(first):
        return True
    return None if len(first) < 8 and all(c in _TAG_BYTES for c in first) else False


def _server_start(first: bytes) -> bool | None:
    """Whether bytes after a hole start a server line: untagged (``* ``), a continuation
    request (``+``) or a tagged status."""
    if first[:2] == b"* " or first[:1] == b"+":
        return True
    return None if first == b"*" else _tagged_start(first)

_ASTRING = re.compile(rb'\s*(?:"((?:[^"\\]|\\.)*)"|(\S+))')


@dataclass(slots=True)
class ImapRecord(Event):
    """One tagged IMAP command and its tagged status."""

    table: ClassVar[str | None] = "imap"

    banner: str | None
    """Greeting text (``* OK`` / ``* PREAUTH``)."""
    tag: str
    """Command tag chosen by the client."""
    command: str
    """Command name, upper case (``UID FETCH`` keeps its first word: ``UID``)."""
    arg: str | None
    """Arguments (LOGIN's and AUTHENTICATE's credentials redacted unless show_passwords)."""
    status: str | None
    """Tagged status: OK, NO or BAD (None when none was seen)."""
    status_msg: str | None
    """Text after the status (response codes included)."""
    auth_mechanisms_offered: tuple[str, ...]
    """SASL mechanisms of ``AUTH=`` capabilities, as known at this row."""
    auth_mechanism: str | None
    """Mechanism of the last AUTHENTICATE command (``LOGIN`` commands: None)."""
    user: str | None
    """User of LOGIN, or revealed by AUTHENTICATE PLAIN/LOGIN."""
    password: str | None
    """Password revealed: ``<redacted>`` unless show_passwords."""
    credentials_clear: bool
    """A password crossed the connection in clear text (so far)."""
    tls: bool
    """STARTTLS was accepted: the rest of the connection is TLS."""


class _Command(Command):
    __slots__ = ("tag",)

    def __init__(self, tag: str, verb: str, arg: str | None, ts_ns: int) -> None:
        super().__init__(verb, arg, ts_ns)
        self.tag = tag


def _astrings(raw: bytes, n: int) -> list[bytes]:
    """The first ``n`` astrings (atoms or quoted strings, RFC 9051 §4.3) of ``raw``."""
    out: list[bytes] = []
    pos = 0
    while len(out) < n:
        m = _ASTRING.match(raw, pos)
        if m is None:
            break
        quoted, atom = m.groups()
        out.append(re.sub(rb"\\(.)", rb"\1", quoted) if quoted is not None else atom)
        pos = m.end()
    return out


class ImapDissector(CommandSession[_Command]):
    """IMAP4rev1/IMAP4rev2 over TCP (port 143)."""

    name: ClassVar[str] = "imap"
    transports: ClassVar[frozenset[int]] = frozenset((IPPROTO_TCP,))
    ports: ClassVar[frozenset[int]] = frozenset((143,))
    first_bytes: ClassVar[frozenset[int] | None] = frozenset(b"*")
    """``matches``: untagged ``* OK``/``* PREAUTH`` greetings."""
    name_source: ClassVar[str | None] = None
    client_max_line: ClassVar[int] = IMAP_MAX_LINE
    server_max_line: ClassVar[int] = IMAP_MAX_SERVER_LINE

    def __init__(self, proto: int, *, show_passwords: bool = False) -> None:
        super().__init__(proto, show_passwords=show_passwords)
        self._offered: tuple[str, ...] = ()
        self._parts: list[bytes] = []  # command line so far, across client literals
        self._client_literal = 0  # octets of a client literal still to read
        self._server_literal = 0  # octets of a server literal still to skip

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """An untagged ``* OK`` or ``* PREAUTH`` greeting line (RFC 9051 §7.1.1, §7.1.4)."""
        if proto != IPPROTO_TCP:
            return False
        return greeting_line(payload, (b"* OK ", b"* PREAUTH ", b"* OK\r\n")) is not None

    @staticmethod
    def _from_server(data: bytes) -> bool:
        return data[:1] == b"*"  # (not a tag character, RFC 9051 §9)

    def _client_gap(self, length: int) -> None:
        """Inside a literal a hole is counted and reading stays in step; elsewhere the line
        it cuts is dropped (with the command's parts read so far) and reading resumes at the
        next tagged command."""
        if 0 < length <= self._client_literal:
            self._client_literal -= length
            return
        self._client_literal, self._parts = 0, []
        self._client.lost(_tagged_start)

    def _server_gap(self, length: int, events: list[Event]) -> None:
        """Inside a literal a hole is counted; elsewhere reading resumes at the next server
        line (untagged, continuation, tagged status: statuses pair by tag, so a lost one
        leaves its command unanswered, not the next one; one the hole cuts counts with its
        text so far)."""
        if 0 < length <= self._server_literal:
            self._server_literal -= length
            return
        self._server_literal = 0
        cut = self._server.lost(_server_start)
        if cut:
            self._server_line(cut, self._last_ts, events)

    def _unanswered(self, cmd: _Command, events: list[Event]) -> None:
        self._emit(cmd, None, None, events)

    # -- client -------------------------------------------------------------------------------

    def _read_client(self, ts_ns: int) -> None:
        buf = self._client
        while not self._held:
            if self._client_literal:
                got = buf.take(self._client_literal)
                self._client_literal -= len(got)
                kept = sum(len(p) for p in self._parts)
                if kept < IMAP_MAX_LITERAL_KEPT:
                    self._parts.append(got[: IMAP_MAX_LITERAL_KEPT - kept])
                if self._client_literal:
                    break
                continue
            line = buf.next_line()
            if line is None:
                break
            sasl = self._sasl
            if sasl is not None and sasl.remaining and not self._parts:
                sasl.line(line)  # a SASL response line (RFC 9051 §6.2.2)
                self._learn(sasl)
                continue
            literal = _LITERAL.search(line)
            if literal is not None:
                if len(self._parts) >= IMAP_MAX_COMMAND_PARTS:
                    raise LimitExceeded(f"more than {IMAP_MAX_COMMAND_PARTS} literals in a command")
                self._parts.append(line[: literal.start()])
                self._client_literal = int(literal.group(1))
                continue
            self._parts.append(line)
            whole = b"".join(self._parts)
            self._parts = []
            self._command(whole, ts_ns)
        if len(buf) > IMAP_MAX_HELD and self._held:
            self._ignored = True
            buf.clear()

    def _command(self, line: bytes, ts_ns: int) -> None:
        tag_raw, _, rest = line.partition(b" ")
        verb_raw, _, arg_raw = rest.partition(b" ")
        verb = text(verb_raw, 32).upper()
        arg_raw = arg_raw.strip()
        cmd = _Command(text(tag_raw, 64), verb, text(arg_raw) if arg_raw else None, ts_ns)
        if verb == "LOGIN":  # RFC 9051 §6.2.3: LOGIN userid password
            words = _astrings(arg_raw, 2)
            if words:
                self._user = text(words[0])
            if len(words) == 2:
                self._password = text(words[1])
                self._clear = True
            if not self.show_passwords:
                cmd.arg = f"{self._user or ''} {REDACTED}"
        elif verb == "AUTHENTICATE" and arg_raw:  # §6.2.2; RFC 4959 initial response
            mech, _, initial = arg_raw.partition(b" ")
            sasl = self._sasl = Sasl(text(mech, 40), initial or None)
            self._mechanism = sasl.mechanism
            self._learn(sasl)
            if initial and not self.show_passwords:
                cmd.arg = f"{sasl.mechanism} {REDACTED}"
        elif verb == "STARTTLS":
            self._held = True  # TLS bytes may follow: wait for the answer
        self._credentials(cmd)
        if verb == "AUTHENTICATE":
            self._auth_cmd = cmd
        if len(self._pending) < IMAP_MAX_PENDING:
            self._pending.append(cmd)

    # -- server -------------------------------------------------------------------------------

    def _read_server(self, ts_ns: int, events: list[Event]) -> None:
        buf = self._server
        while not self.done:
            if self._server_literal:
                self._server_literal -= len(buf.take(self._server_literal))
                if self._server_literal:
                    return
                continue
            line = buf.next_line_lenient()
            if line is None:
                return
            literal = _LITERAL.search(line)
            if literal is not None:
                self._server_literal = int(literal.group(1))
            self._server_line(line, ts_ns, events)

    def _server_line(self, line: bytes, ts_ns: int, events: list[Event]) -> None:
        """An untagged line, a continuation request, or a tagged status (the row of its
        command); other lines are ignored (lenient)."""
        if line.startswith(b"* "):
            self._untagged(line[2:])
            return
        if line.startswith(b"+"):  # continuation request (§7.5)
            return
        tag_raw, _, rest = line.partition(b" ")
        status_raw, _, msg = rest.partition(b" ")
        status = status_raw.upper()
        if status not in (b"OK", b"NO", b"BAD"):
            return  # not a tagged status: ignored (lenient)
        cmd = self._pop(text(tag_raw, 64))
        if cmd is None:
            return
        if cmd.verb == "AUTHENTICATE" and self._sasl is not None:
            self._sasl.remaining = 0
        self._capabilities(msg)
        tls = cmd.verb == "STARTTLS" and status == b"OK"
        self._emit(cmd, status.decode(), text(msg), events, tls)
        if cmd.verb == "STARTTLS":
            self._answered_holding(tls, ts_ns)

    def _pop(self, tag: str) -> _Command | None:
        for i, cmd in enumerate(self._pending):
            if cmd.tag == tag:
                del self._pending[i]
                return cmd
        return None

    def _untagged(self, rest: bytes) -> None:
        word = rest.split(b" ", 1)[0].upper()
        if not self._greeted and word in (b"OK", b"PREAUTH", b"BYE"):
            self._greeted = True
            self._banner = text(rest[len(word) :].strip())
        if word in (b"OK", b"PREAUTH", b"CAPABILITY"):
            self._capabilities(rest)

    def _capabilities(self, raw: bytes) -> None:
        """``AUTH=mech`` capabilities (RFC 9051 §7.2.2), in a CAPABILITY response or code."""
        upper = raw.upper()
        if b"AUTH=" not in upper:
            return
        mechs = tuple(
            text(w[5:], 40) for w in upper.replace(b"]", b" ").split() if w.startswith(b"AUTH=")
        )
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
            ImapRecord(
                ts_ns=cmd.ts_ns,
                banner=self._banner,
                tag=cmd.tag,
                command=cmd.verb,
                arg=cmd.arg[:MAX_TEXT_CHARS] if cmd.arg is not None else None,
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
