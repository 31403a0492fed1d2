"""SMTP (RFC 5321) over TCP: greeting, EHLO, mail transactions, STARTTLS, AUTH.

One :class:`SmtpRecord` per mail transaction (MAIL FROM to the reply that ends its DATA or
BDAT LAST, RSET, the next MAIL, or the end of the flow), Zeek ``smtp.log`` style, each
carrying the session facts (banner, HELO/EHLO name, AUTH offered and used, TLS). A session
with no transaction still yields one row at its end (or at STARTTLS) with those facts.

Commands are queued and paired with replies in order, so pipelined commands (RFC 2920)
pair correctly; a multi-line reply (``250-`` continuation lines, §4.2.1) counts once, and a
``334`` challenge (RFC 4954 §4) does not end its AUTH command. Client bytes after DATA,
STARTTLS or ``AUTH`` are read only once the server's answer is known, so a direction fed
whole before the other still parses right: after a ``354``, the message (its header
fields From/To/Subject/Date/Message-ID, RFC 5322 §3.6) up to the ``.`` line (§4.5.2); after a
``220`` to STARTTLS (RFC 3207 §4), the rest is TLS: the row says ``tls`` and the dissector
is ``done``.

Credentials: AUTH PLAIN (RFC 4616) and LOGIN reveal a user and password in clear text
(base64 only); ``password`` is :data:`~wirelens.dissect.lines.REDACTED` unless the
dissector was created with ``show_passwords=True``.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from enum import IntEnum
from typing import ClassVar

from wirelens.dissect.base import IPPROTO_TCP, Dissector, Event
from wirelens.dissect.lines import (
    MAX_TEXT_CHARS,
    REDACTED,
    LineBuffer,
    Reply,
    ReplyReader,
    Sasl,
    code_name,
    command_start,
    cut_lines,
    greeting_line,
    reply_start,
    text,
)

__all__ = ["SmtpDissector", "SmtpRecord", "SmtpReply"]

SMTP_MAX_LINE = 4096
"""Longest command or reply line read whole (RFC 5321 §4.5.3.1.4/5 set 512 octets and allow
extensions to grow them; real servers stay far below 4 KiB). Longer: cut short, a weird."""

SMTP_MAX_TEXT_LINE = 8192
"""Longest message text line read (RFC 5321 §4.5.3.1.6: 1000 octets; many mailers exceed
it). Longer lines of the message are skipped, not refused."""

SMTP_MAX_PENDING = 128
"""Commands waiting for their reply (RFC 2920 pipelining groups are a handful)."""

SMTP_MAX_RCPT = 256
"""Recipients kept per transaction (RFC 5321 §4.5.3.1.8 requires servers to take 100)."""

SMTP_MAX_HEADERS = 200
"""Header lines of a message looked at (the wanted ones come first in practice)."""

SMTP_MAX_HELD = 64 * 1024
"""Client bytes held while waiting for the answer to DATA or STARTTLS. Beyond, DATA is
taken as accepted and a STARTTLS flow's client side is no longer read."""


class SmtpReply(IntEnum):
    """Reply codes (RFC 5321 §4.2.2-4.2.3; 235/334/454/530/534/535 from RFC 4954 §6)."""

    SYSTEM_STATUS = 211
    HELP = 214
    SERVICE_READY = 220
    CLOSING = 221
    AUTH_SUCCEEDED = 235
    OK = 250
    USER_NOT_LOCAL_WILL_FORWARD = 251
    CANNOT_VRFY = 252
    AUTH_CHALLENGE = 334
    START_MAIL_INPUT = 354
    SERVICE_NOT_AVAILABLE = 421
    MAILBOX_BUSY = 450
    LOCAL_ERROR = 451
    INSUFFICIENT_STORAGE = 452
    TEMPORARY_FAILURE = 454
    PARAMS_NOT_ACCOMMODATED = 455
    SYNTAX_ERROR = 500
    PARAM_SYNTAX_ERROR = 501
    NOT_IMPLEMENTED = 502
    BAD_SEQUENCE = 503
    PARAM_NOT_IMPLEMENTED = 504
    AUTH_REQUIRED = 530
    AUTH_TOO_WEAK = 534
    AUTH_INVALID = 535
    MAILBOX_UNAVAILABLE = 550
    USER_NOT_LOCAL = 551
    EXCEEDED_STORAGE = 552
    MAILBOX_NAME_NOT_ALLOWED = 553
    TRANSACTION_FAILED = 554
    PARAMS_NOT_RECOGNIZED = 555


def reply_name(code: int | None) -> str | None:
    """Readable twin of an SMTP reply code (None when unknown)."""
    return code_name(SmtpReply, code)


@dataclass(slots=True)
class SmtpRecord(Event):
    """One mail transaction (or the session alone), with the session's facts."""

    table: ClassVar[str | None] = "smtp"

    trans_depth: int
    """1-based position of the row in the connection."""
    banner: str | None
    """Greeting text after the 220 code (RFC 5321 §4.3.1)."""
    helo: str | None
    """Name given in EHLO or HELO (RFC 5321 §4.1.1.1)."""
    mail_from: str | None
    """Reverse-path of MAIL FROM, without the angle brackets (None: no transaction)."""
    rcpt_to: tuple[str, ...]
    """Forward-paths of the RCPT TO commands, in order."""
    date: str | None
    """Date header field of the message (RFC 5322 §3.6.1), when seen."""
    header_from: str | None
    """From header field of the message (RFC 5322 §3.6.2)."""
    header_to: str | None
    """To header field of the message (RFC 5322 §3.6.3)."""
    subject: str | None
    """Subject header field (RFC 5322 §3.6.5)."""
    msg_id: str | None
    """Message-ID header field (RFC 5322 §3.6.4)."""
    last_reply_code: int | None
    """Code of the last reply within the row's transaction (or session)."""
    last_reply_code_name: str | None
    """Readable twin of last_reply_code."""
    last_reply_msg: str | None
    """Text of that reply."""
    tls: bool
    """STARTTLS was accepted (RFC 3207): the rest of the connection is TLS."""
    auth_mechanisms_offered: tuple[str, ...]
    """SASL mechanisms of the EHLO ``AUTH`` keyword (RFC 4954 §3)."""
    auth_mechanism: str | None
    """Mechanism of the client's AUTH command."""
    auth_success: bool | None
    """AUTH answered 235 (True) or a failure code (False); None without an outcome."""
    user: str | None
    """User name revealed by AUTH (PLAIN, LOGIN; CRAM-MD5 names it too)."""
    password: str | None
    """Password revealed by AUTH PLAIN/LOGIN: ``<redacted>`` unless show_passwords."""
    credentials_clear: bool
    """A password crossed the connection in clear text (base64 is not encryption)."""


class _Mode(IntEnum):
    COMMAND = 0
    HELD = 1  # waiting for the reply to DATA / STARTTLS before reading on
    DATA_HEADERS = 2
    DATA_BODY = 3
    BDAT = 4
    AUTH = 5
    IGNORED = 6  # the client side is no longer read


class _Transaction:
    """A mail transaction being built (internal, mutable)."""

    __slots__ = ("bdat_line", "headers", "headers_done", "last_header", "mail_from", "prior",
                 "rcpt_to", "reply", "ts_ns")

    def __init__(self, ts_ns: int, mail_from: str | None,
                 prior: _Transaction | None = None) -> None:
        self.ts_ns = ts_ns
        self.mail_from = mail_from
        self.prior = prior
        """The envelope still open when this one's MAIL was sent (a nested MAIL)."""
        self.rcpt_to: list[str] = []
        self.headers: dict[str, str] = {}
        self.last_header: str | None = None
        self.reply: Reply | None = None
        self.headers_done = False
        """The message's header section has ended (BDAT chunks: the rest is not read)."""
        self.bdat_line = bytearray()
        """The header line a BDAT chunk ended inside (the next chunk continues it)."""


_WANTED_HEADERS = ("date", "from", "to", "subject", "message-id")


def _path(arg: bytes) -> str:
    """The address of ``FROM:<a@b> params`` / ``TO:<a@b>`` (RFC 5321 §4.1.2), brackets off."""
    _, _, rest = arg.partition(b":")
    rest = rest.strip()
    if rest.startswith(b"<"):
        end = rest.find(b">")
        return text(rest[1:end] if end >= 0 else rest[1:])
    return text(rest.split(b" ", 1)[0])


class SmtpDissector(Dissector):
    """SMTP and ESMTP over TCP (ports 25, 587, 2525)."""

    name: ClassVar[str] = "smtp"
    transports: ClassVar[frozenset[int]] = frozenset((IPPROTO_TCP,))
    ports: ClassVar[frozenset[int]] = frozenset((25, 587, 2525))
    first_bytes: ClassVar[frozenset[int] | None] = frozenset(b"2EeHh")
    """``matches``: ``220 ``/``220-`` greetings, ``EHLO``/``HELO`` in any case (only the first
    letter matters here)."""
    name_source: ClassVar[str | None] = "smtp_greeting"

    def __init__(self, proto: int, *, show_passwords: bool = False) -> None:
        super().__init__(proto)
        self.show_passwords = show_passwords
        self._client = LineBuffer(SMTP_MAX_LINE)
        self._server = LineBuffer(SMTP_MAX_LINE)
        self._replies = ReplyReader()
        self._client_is_orig: bool | None = None
        self._mode = _Mode.COMMAND
        # (verb, the transaction the command belongs to)
        self._pending: deque[tuple[str, _Transaction | None]] = deque()
        self._unemitted: list[_Transaction] = []  # transactions whose row is still due
        self._greeted = False
        self._banner: str | None = None
        self._helo: str | None = None
        self._offered: tuple[str, ...] = ()
        self._sasl: Sasl | None = None
        self._auth_success: bool | None = None
        self._tls = False
        self._trans: _Transaction | None = None
        self._session_reply: Reply | None = None
        self._rows = 0
        self._bdat_left = 0
        self._bdat_trans: _Transaction | None = None
        """The transaction of the BDAT chunk being read."""
        self._ts = 0
        self._first_ts: int | None = None

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """A 220 greeting line naming SMTP/ESMTP, or one naming neither SMTP nor FTP (the
        port then decides against FTP), or a client EHLO/HELO line."""
        if proto != IPPROTO_TCP:
            return False
        line = greeting_line(payload, (b"220 ", b"220-"))
        if line is not None:
            upper = line.upper()
            return b"SMTP" in upper or b"FTP" not in upper
        if payload[:5].upper() in (b"EHLO ", b"HELO "):
            line = greeting_line(b"EHLO " + payload[5:], (b"EHLO ",))
            return line is not None and len(line) > 5 and b" " not in line[5:].strip()
        return False

    # -- feeding ------------------------------------------------------------------------------

    def feed(self, data: bytes, from_orig: bool, ts_ns: int) -> list[Event]:
        """Next stream bytes of one direction."""
        if self.done or not data:
            return []
        if self._client_is_orig is None:  # roles from content: the server sends codes
            self._client_is_orig = from_orig != data[:3].isdigit()
        events: list[Event] = []
        self._ts = ts_ns
        if self._first_ts is None:
            self._first_ts = ts_ns
        if from_orig == self._client_is_orig:
            if self._mode != _Mode.IGNORED:
                self._client.append(data)
                self._read_client(ts_ns, events)
        else:
            self._server.append(data)
            self._read_server(events)
        events += cut_lines(ts_ns, self._client, self._server)
        return events

    def gap(self, from_orig: bool, length: int) -> list[Event]:
        """A TCP hole (a lost segment, or one a snap length cut short). Inside a BDAT chunk
        it is counted and reading stays in step; elsewhere the line it cuts is dropped and
        reading resumes at the next command (client), at the next line of a message being
        sent, or at the next reply (server; a reply line it cuts counts when its code is
        whole, and a multi-line reply it cuts ends as far as it came)."""
        if self.done or self._client_is_orig is None:
            self.done = True
            return []
        events: list[Event] = []
        if from_orig == self._client_is_orig:
            if self._mode == _Mode.BDAT and length <= self._bdat_left:
                self._bdat_left -= length
                if not self._bdat_left:
                    self._mode = _Mode.COMMAND
                return events
            if self._mode == _Mode.BDAT:  # past the chunk's end: the next line is a command
                self._bdat_left, self._mode = 0, _Mode.COMMAND
            if self._mode in (_Mode.DATA_HEADERS, _Mode.DATA_BODY):
                self._client.lost()
            else:
                self._client.lost(command_start)
        else:
            for reply in self._replies.lost(self._server.lost(reply_start)):
                self._reply(reply, events)
        return events

    def finish(self) -> list[Event]:
        """Emit the open transaction, or the session row when nothing was emitted (and
        something was fed); client bytes held for an answer to DATA that never came are read
        as the message first."""
        events: list[Event] = []
        if self._mode == _Mode.HELD and self._held_verb() == "DATA" and not self.done:
            # no answer to DATA came (a capture of the client's side): what the client sent
            # after it is the message, as when the held bytes overflow
            self._mode = _Mode.DATA_HEADERS
            self._read_client(self._ts, events)
        self._emit_through(None, events)
        if self._rows == 0 and self._first_ts is not None:
            self._emit(None, events)
        return events

    # -- client -------------------------------------------------------------------------------

    def _read_client(self, ts_ns: int, events: list[Event]) -> None:
        buf = self._client
        while not self.done:
            mode = self._mode
            if mode == _Mode.HELD:
                if len(buf) > SMTP_MAX_HELD:
                    verb = self._held_verb()
                    if verb == "DATA":
                        self._mode = _Mode.DATA_HEADERS
                        continue
                    self._mode = _Mode.IGNORED
                    buf.clear()
                return
            if mode == _Mode.IGNORED:
                buf.clear()
                return
            if mode == _Mode.BDAT:
                got = buf.take(self._bdat_left)
                self._bdat_left -= len(got)
                trans = self._bdat_trans  # (after BDAT LAST no longer self._trans)
                if trans is not None and not trans.headers_done:
                    self._bdat_headers(trans, got)
                if self._bdat_left:
                    return
                self._mode = _Mode.COMMAND
                continue
            if mode in (_Mode.DATA_HEADERS, _Mode.DATA_BODY):
                line = buf.next_line_lenient()
                if line is None:
                    return
                self._data_line(line, ts_ns)
                continue
            line = buf.next_line()
            if line is None:
                return
            if mode == _Mode.AUTH:
                sasl = self._sasl
                if sasl is not None:
                    sasl.line(line)
                    if sasl.remaining == 0:
                        self._mode = _Mode.COMMAND
                else:
                    self._mode = _Mode.COMMAND
                continue
            self._command(line, ts_ns, events)

    def _held_verb(self) -> str | None:
        for verb, _ in reversed(self._pending):
            if verb in ("DATA", "STARTTLS"):
                return verb
        return None

    def _command(self, line: bytes, ts_ns: int, events: list[Event]) -> None:
        """One command line (RFC 5321 §4.1.1)."""
        verb_raw, _, arg = line.partition(b" ")
        verb = text(verb_raw, 16).upper()
        arg = arg.strip()
        if verb in ("EHLO", "HELO"):
            self._helo = text(arg)
        elif verb == "MAIL":
            self._trans = self._open(ts_ns, _path(arg), self._trans)
        elif verb == "RCPT":
            trans = self._trans
            if trans is None:
                trans = self._trans = self._open(ts_ns, None)
            if len(trans.rcpt_to) < SMTP_MAX_RCPT:
                trans.rcpt_to.append(_path(arg))
        elif verb == "RSET":  # RFC 5321 §4.1.1.5: the transaction is aborted
            # its reply ends the transactions opened before it (none: nothing), not one that a
            # MAIL pipelined after it opens
            self._trans = None
            self._push(verb, self._unemitted[-1] if self._unemitted else None)
            return
        elif verb in ("DATA", "STARTTLS"):
            self._mode = _Mode.HELD
        elif verb == "BDAT":  # RFC 3030 §2: BDAT size [LAST], then size raw octets
            size = arg.split(b" ", 1)[0]
            self._bdat_left = int(size) if size.isdigit() and len(size) < 19 else 0
            if arg.upper().endswith(b"LAST"):
                verb = "BDAT_LAST"
            if self._trans is None:
                self._trans = self._open(ts_ns, None)
            self._bdat_trans = self._trans
            if self._bdat_left:
                self._mode = _Mode.BDAT
        elif verb == "AUTH":  # RFC 4954 §4: AUTH mechanism [initial-response]
            mech, _, initial = arg.partition(b" ")
            self._sasl = Sasl(text(mech, 40), initial or None)
            if self._sasl.remaining:
                self._mode = _Mode.AUTH
        self._push(verb, self._trans)
        if verb in ("BDAT_LAST", "QUIT"):
            self._trans = None

    def _open(self, ts_ns: int, mail_from: str | None,
              prior: _Transaction | None = None) -> _Transaction:
        """Start a transaction (the one open before it is closed client-side; its row is
        emitted when its last reply arrives)."""
        trans = _Transaction(ts_ns, mail_from, prior)
        if prior is not None:
            prior.prior = None  # (a chain of envelopes never answered stays two long)
        if len(self._unemitted) < SMTP_MAX_PENDING:
            self._unemitted.append(trans)
        return trans

    def _push(self, verb: str, trans: _Transaction | None) -> None:
        if len(self._pending) < SMTP_MAX_PENDING:
            self._pending.append((verb, trans))

    def _data_line(self, line: bytes, ts_ns: int) -> None:
        """One line of the message text (RFC 5321 §4.5.2 dot-stuffing; RFC 5322 §2.2)."""
        if line == b".":
            self._mode = _Mode.COMMAND
            self._push(".", self._trans)
            self._trans = None
            return
        if self._mode != _Mode.DATA_HEADERS:
            return
        trans = self._trans
        if trans is None:
            trans = self._trans = self._open(ts_ns, None)
        if line.startswith(b"."):
            line = line[1:]
        if not self._header_line(trans, line):
            self._mode = _Mode.DATA_BODY

    def _bdat_headers(self, trans: _Transaction, data: bytes) -> None:
        """The header lines of a BDAT chunk (RFC 3030 §2: the message's octets as they are, no
        dot-stuffing; a line may continue into the next chunk)."""
        part = trans.bdat_line + data
        lines = part.split(b"\n")
        for line in lines[:-1]:
            if not self._header_line(trans, bytes(line.rstrip(b"\r"))):
                trans.bdat_line = bytearray()
                return
        trans.bdat_line = bytearray(lines[-1])
        if len(trans.bdat_line) > SMTP_MAX_TEXT_LINE:  # a line too long to be a header's
            trans.headers_done = True
            trans.bdat_line = bytearray()

    @staticmethod
    def _header_line(trans: _Transaction, line: bytes) -> bool:
        """One line of the message's header section (RFC 5322 §2.2); False for the empty line
        that ends it."""
        if not line:
            trans.headers_done = True
            return False
        if line[:1] in (b" ", b"\t"):  # folded continuation (RFC 5322 §2.2.3)
            key = trans.last_header
            if key is not None:
                trans.headers[key] = (trans.headers[key] + " " + text(line.strip()))[
                    :MAX_TEXT_CHARS
                ]
            return True
        name, colon, value = line.partition(b":")
        if not colon or len(trans.headers) >= SMTP_MAX_HEADERS:
            trans.last_header = None
            return True
        key = text(name.strip(), 64).lower()
        if key in _WANTED_HEADERS and key not in trans.headers:
            trans.headers[key] = text(value.strip())
            trans.last_header = key
        else:
            trans.last_header = None
        return True

    # -- server -------------------------------------------------------------------------------

    def _read_server(self, events: list[Event]) -> None:
        while not self.done:
            line = self._server.next_line()
            if line is None:
                return
            reply = self._replies.feed(line)
            if reply is not None:
                self._reply(reply, events)

    def _reply(self, reply: Reply, events: list[Event]) -> None:
        code = reply.code
        if not self._greeted:
            self._greeted = True
            if code in (220, 421, 554) or not self._pending:  # RFC 5321 §4.3.1 greeting
                self._banner = reply.text.split("\n", 1)[0]
                name = self._banner.split(" ", 1)[0]
                if "." in name and name.replace(".", "").replace("-", "").isalnum():
                    self.server_name = name.lower()
                self._session_reply = reply
                return
        if not self._pending:
            self._session_reply = reply
            return
        verb, trans = self._pending[0]
        if verb == "AUTH" and code == SmtpReply.AUTH_CHALLENGE:
            return  # a challenge: the AUTH command goes on
        self._pending.popleft()
        if trans is not None:
            trans.reply = reply
        else:
            self._session_reply = reply
        if verb == "EHLO" and code == SmtpReply.OK:
            self._ehlo_keywords(reply.text)
        elif verb == "AUTH":
            self._auth_success = code == SmtpReply.AUTH_SUCCEEDED
            if self._mode == _Mode.AUTH:
                self._mode = _Mode.COMMAND
        elif verb == "STARTTLS":
            if code == SmtpReply.SERVICE_READY:  # RFC 3207 §4: TLS negotiation starts now
                self._tls = True
                self.upgrade = "tls"  # the rest of the flow is a TLS handshake
                self._emit_through(None, events)
                if self._rows == 0:
                    self._emit(None, events)
                self.done = True
                return
            self._release(events)
        elif verb == "DATA":
            if code == SmtpReply.START_MAIL_INPUT:
                if self._mode == _Mode.HELD:
                    self._mode = _Mode.DATA_HEADERS
                    self._read_client(self._ts, events)
            else:  # refused: the transaction ends here (RFC 5321 §3.3)
                if trans is not None and trans is self._trans:
                    self._trans = None
                self._emit_through(trans, events)
                self._release(events)
        elif verb in (".", "BDAT_LAST", "QUIT") or (verb == "RSET" and trans is not None):
            self._emit_through(trans, events)
        elif verb == "MAIL" and trans is not None:
            prior = trans.prior
            if code >= 400 and prior is not None and prior in self._unemitted:
                self._refused_nested(trans, prior, events)
            else:  # a new MAIL closes the ones before it
                trans.prior = None
                self._emit_through(trans, events, inclusive=False)

    def _refused_nested(self, trans: _Transaction, prior: _Transaction,
                        events: list[Event]) -> None:
        """The server refused a MAIL sent while the envelope ``prior`` was open (RFC 5321
        §4.1.4: 503, nested MAIL command): that envelope goes on, the commands sent after the
        refused MAIL are its own, and the refused MAIL is a row of its own now (its sender and
        the refusal)."""
        room = SMTP_MAX_RCPT - len(prior.rcpt_to)
        prior.rcpt_to.extend(trans.rcpt_to[:max(room, 0)])
        trans.rcpt_to.clear()
        if self._trans is trans:
            self._trans = prior
        self._pending = deque((v, prior if t is trans else t) for v, t in self._pending)
        self._unemitted.remove(trans)
        self._emit(trans, events)

    def _release(self, events: list[Event]) -> None:
        """The held client bytes are commands after all: read them."""
        if self._mode == _Mode.HELD:
            self._mode = _Mode.COMMAND
            self._read_client(self._ts, events)

    def _emit_through(
        self, trans: _Transaction | None, events: list[Event], inclusive: bool = True
    ) -> None:
        """Emit the due rows up to ``trans`` (all of them when None), in order."""
        if trans is not None and trans not in self._unemitted:
            return
        while self._unemitted:
            head = self._unemitted[0]
            if head is trans and not inclusive:
                return
            self._unemitted.pop(0)
            self._emit(head, events)
            if head is trans:
                return

    def _ehlo_keywords(self, body: str) -> None:
        """EHLO keywords (RFC 5321 §4.1.1.1); AUTH lists SASL mechanisms (RFC 4954 §3)."""
        for entry in body.split("\n")[1:]:
            words = (
                entry.replace("=", " ", 1).split()
                if entry.upper().startswith("AUTH=")
                else entry.split()
            )
            if words and words[0].upper() in ("AUTH", "AUTH="):
                mechs = [w.upper() for w in words[1:]]
                self._offered = tuple(dict.fromkeys(self._offered + tuple(mechs)))[:32]

    # -- rows ---------------------------------------------------------------------------------

    def _emit(self, trans: _Transaction | None, events: list[Event]) -> None:
        if trans is self._trans:
            self._trans = None
        self._rows += 1
        reply = trans.reply if trans is not None else self._session_reply
        headers = trans.headers if trans is not None else {}
        sasl = self._sasl
        password = sasl.password if sasl is not None else None
        if password is not None and not self.show_passwords:
            password = REDACTED
        events.append(
            SmtpRecord(
                ts_ns=trans.ts_ns if trans is not None else (self._first_ts or 0),
                trans_depth=self._rows,
                banner=self._banner,
                helo=self._helo,
                mail_from=trans.mail_from if trans is not None else None,
                rcpt_to=tuple(trans.rcpt_to) if trans is not None else (),
                date=headers.get("date"),
                header_from=headers.get("from"),
                header_to=headers.get("to"),
                subject=headers.get("subject"),
                msg_id=headers.get("message-id"),
                last_reply_code=reply.code if reply is not None else None,
                last_reply_code_name=reply_name(reply.code) if reply is not None else None,
                last_reply_msg=reply.text if reply is not None else None,
                tls=self._tls,
                auth_mechanisms_offered=self._offered,
                auth_mechanism=sasl.mechanism if sasl is not None else None,
                auth_success=self._auth_success,
                user=sasl.user if sasl is not None else None,
                password=password,
                credentials_clear=sasl.clear if sasl is not None else False,
            )
        )
