"""FTP control connections (RFC 959) over TCP: one row per command with its reply.

Commands are queued and paired with replies in order (RFC 959 §4.2); a preliminary ``1yz``
reply does not end its command (§4.2: "positive preliminary"), the next reply does. Multi-line
replies (``ddd-`` ... ``ddd SP``) count once. Data channels are read from the replies to
PASV (227, RFC 959 §4.1.2 / §4.2.2) and EPSV (229, RFC 2428 §3) and from the arguments of
PORT (RFC 959 §4.1.2) and EPRT (RFC 2428 §2).

USER and PASS carry credentials in clear text: ``user`` follows the last USER command,
``password`` (the PASS row only) is :data:`~wirelens.dissect.lines.REDACTED` unless the
dissector was created with ``show_passwords=True``, and so is PASS's ``arg``. ``AUTH TLS`` /
``AUTH SSL`` answered 234 (RFC 4217 §4, RFC 2228 §3) means the rest is TLS: the row says
``tls`` and the dissector is ``done``. Client bytes after AUTH are read only once its reply
is known (a direction fed whole before the other still parses right).

``AUTH GSSAPI`` answered 334 (RFC 2228 §3) starts a security exchange in ``ADAT`` commands
and ``335``/``235 ADAT=`` replies, base64 (§3.3, §4). When its first token is a TLS record,
as with GridFTP's GSI (TLS carried in GSSAPI tokens), the tokens are read by a TLS dissector
whose rows (``tls``, ``x509``) this flow writes; other mechanisms' tokens (Kerberos) are not
read.
"""

from __future__ import annotations

import ipaddress
from binascii import Error as Base64Error
from binascii import a2b_base64
from dataclasses import dataclass
from enum import IntEnum
from typing import ClassVar

from wirelens.dissect.base import IPPROTO_TCP, Event
from wirelens.dissect.command_session import Command, CommandSession
from wirelens.dissect.lines import (
    REDACTED,
    Reply,
    ReplyReader,
    code_name,
    command_start,
    greeting_line,
    reply_start,
    text,
)
from wirelens.dissect.tls import TlsDissector

__all__ = ["FtpDissector", "FtpRecord", "FtpReply"]

FTP_MAX_LINE = 4096
"""Longest command or reply line accepted (RFC 959 sets no bound; servers cut commands at
512-4096 bytes, as suricata's ftp-too-long-command tests show). Longer: cut short, a weird."""

_TLS_CONTENT_TYPES = frozenset((20, 21, 22, 23))
"""TLS record content types (RFC 8446 §5.1): a GSSAPI token starting so is a TLS record."""

_ADAT_REPLIES = (b"335 ADAT=", b"235 ADAT=")
"""Replies carrying the server's security token (RFC 2228 §4: continue, complete)."""

FTP_MAX_PENDING = 128
"""Commands waiting for their reply; beyond, further commands are not paired (not kept)."""

FTP_MAX_HELD = 64 * 1024
"""Client bytes held while waiting for the answer to AUTH; beyond, the client side is no
longer read."""


class FtpReply(IntEnum):
    """Reply codes (RFC 959 §4.2.2; 229 RFC 2428 §3; 234/334/335/336/533-535 RFC 2228 §4)."""

    RESTART_MARKER = 110
    READY_IN_MINUTES = 120
    DATA_ALREADY_OPEN = 125
    FILE_STATUS_OK = 150
    OK = 200
    NOT_IMPLEMENTED_SUPERFLUOUS = 202
    SYSTEM_STATUS = 211
    DIRECTORY_STATUS = 212
    FILE_STATUS = 213
    HELP = 214
    SYSTEM_TYPE = 215
    SERVICE_READY = 220
    CLOSING_CONTROL = 221
    DATA_OPEN_NO_TRANSFER = 225
    CLOSING_DATA = 226
    ENTERING_PASSIVE = 227
    ENTERING_EXTENDED_PASSIVE = 229
    LOGGED_IN = 230
    SECURITY_DATA_EXCHANGE_COMPLETE = 234
    FILE_ACTION_OK = 250
    PATHNAME_CREATED = 257
    NEED_PASSWORD = 331
    NEED_ACCOUNT = 332
    SECURITY_MECHANISM_OK = 334
    PENDING_FURTHER_INFO = 350
    SERVICE_NOT_AVAILABLE = 421
    CANT_OPEN_DATA = 425
    TRANSFER_ABORTED = 426
    FILE_UNAVAILABLE = 450
    LOCAL_ERROR = 451
    INSUFFICIENT_STORAGE = 452
    SYNTAX_ERROR = 500
    PARAM_SYNTAX_ERROR = 501
    NOT_IMPLEMENTED = 502
    BAD_SEQUENCE = 503
    PARAM_NOT_IMPLEMENTED = 504
    NOT_LOGGED_IN = 530
    NEED_ACCOUNT_FOR_STORING = 532
    FILE_UNAVAILABLE_PERM = 550
    PAGE_TYPE_UNKNOWN = 551
    EXCEEDED_STORAGE = 552
    FILE_NAME_NOT_ALLOWED = 553


def reply_name(code: int | None) -> str | None:
    """Readable twin of an FTP reply code (None when unknown)."""
    return code_name(FtpReply, code)


@dataclass(slots=True)
class FtpRecord(Event):
    """One FTP command and its final reply (Zeek ``ftp.log`` style)."""

    table: ClassVar[str | None] = "ftp"

    banner: str | None
    """Greeting text after the 220 code."""
    user: str | None
    """Argument of the last USER command (RFC 959 §4.1.1)."""
    password: str | None
    """PASS argument on the PASS row: ``<redacted>`` unless show_passwords."""
    command: str
    """Command verb, upper case."""
    arg: str | None
    """Command argument (PASS's redacted unless show_passwords)."""
    reply_code: int | None
    """Code of the final reply (None when none was seen)."""
    reply_code_name: str | None
    """Readable twin of reply_code."""
    reply_msg: str | None
    """Text of that reply."""
    data_channel_passive: bool | None
    """A data channel was announced: True by PASV/EPSV, False by PORT/EPRT, else None."""
    data_channel_resp_h: str | None
    """Address the data connection goes to (PASV reply, PORT argument); None for EPSV,
    whose channel is on the control connection's resp_h (RFC 2428 §3)."""
    data_channel_resp_p: int | None
    """Port the data connection goes to. Its originator is the control connection's
    orig_h when passive, its resp_h when active."""
    credentials_clear: bool
    """USER/PASS credentials crossed the connection in clear text (set from the PASS row
    on; True also for anonymous logins, whose password is often an e-mail address)."""
    tls: bool
    """AUTH TLS/SSL was accepted (RFC 4217): the rest of the connection is TLS."""
    command_truncated: bool
    """The command line was longer than ``FTP_MAX_LINE``: its argument is cut short."""
    reply_truncated: bool
    """A line of the reply was longer than ``FTP_MAX_LINE``: its text is cut short."""


def _host_port(fields: list[bytes]) -> tuple[str, int] | None:
    """``h1,h2,h3,h4,p1,p2`` (RFC 959 §4.1.2) as (address, port)."""
    if len(fields) != 6 or not all(f.isdigit() and len(f) <= 3 for f in fields):
        return None
    nums = [int(f) for f in fields]
    if any(n > 255 for n in nums):
        return None
    return ".".join(str(n) for n in nums[:4]), nums[4] * 256 + nums[5]


def _pasv(msg: str) -> tuple[str, int] | None:
    """The address of a 227 reply: the first run of six comma-separated numbers."""
    start = msg.find("(")
    body = msg[start + 1 : msg.find(")", start)] if start >= 0 else msg.split(" ")[-1]
    return _host_port([p.strip().encode() for p in body.strip(" .").split(",")])


def _eprt(arg: bytes) -> tuple[str | None, int] | None:
    """``<d>proto<d>addr<d>port<d>`` (RFC 2428 §2; EPSV replies: ``(|||port|)``, §3)."""
    if len(arg) < 4:
        return None
    parts = arg.split(arg[:1])
    if len(parts) != 5 or not parts[3].isdigit() or len(parts[3]) > 5:
        return None
    port = int(parts[3])
    if port > 65535:
        return None
    if not parts[2]:
        return None, port
    try:
        return str(ipaddress.ip_address(parts[2].decode("ascii"))), port
    except (ValueError, UnicodeDecodeError):
        return None


class _Command(Command):
    __slots__ = ("channel", "truncated")

    def __init__(self, verb: str, arg: str | None, ts_ns: int, truncated: bool) -> None:
        super().__init__(verb, arg, ts_ns)
        self.channel: tuple[bool, str | None, int] | None = None
        self.truncated = truncated


class FtpDissector(CommandSession[_Command]):
    """FTP control connections over TCP (port 21)."""

    name: ClassVar[str] = "ftp"
    transports: ClassVar[frozenset[int]] = frozenset((IPPROTO_TCP,))
    ports: ClassVar[frozenset[int]] = frozenset((21,))
    first_bytes: ClassVar[frozenset[int] | None] = frozenset(b"2Uu")
    """``matches``: ``220 ``/``220-`` greetings, ``USER ``/``user `` lines."""
    name_source: ClassVar[str | None] = None
    client_max_line: ClassVar[int] = FTP_MAX_LINE
    server_max_line: ClassVar[int] = FTP_MAX_LINE

    def __init__(self, proto: int, *, show_passwords: bool = False) -> None:
        super().__init__(proto, show_passwords=show_passwords)
        self._replies = ReplyReader()
        self._gss = False  # AUTH GSSAPI accepted: ADAT tokens follow
        self._gss_tls: TlsDissector | None = None  # reads them when they are TLS records
        self._inner: list[Event] = []  # the TLS dissector's rows, returned with ours
        self._reply_cut = False  # a line of the reply being read was cut short

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """A 220 greeting line naming FTP, or naming neither FTP nor SMTP (the port then
        decides against SMTP), or a client ``USER name`` line."""
        if proto != IPPROTO_TCP:
            return False
        line = greeting_line(payload, (b"220 ", b"220-"))
        if line is not None:
            upper = line.upper()
            return b"FTP" in upper or b"SMTP" not in upper
        line = greeting_line(payload, (b"USER ", b"user "))
        return line is not None and len(line) > 5 and b" " not in line[5:].strip()

    @staticmethod
    def _from_server(data: bytes) -> bool:
        return data[:3].isdigit()  # a reply code

    def feed(self, data: bytes, from_orig: bool, ts_ns: int) -> list[Event]:
        """Next stream bytes of one direction (and the rows of TLS in GSSAPI tokens)."""
        events = super().feed(data, from_orig, ts_ns)
        if self._inner:
            events += self._inner
            self._inner = []
        return events

    def _client_gap(self, length: int) -> None:
        """The line a hole cuts is dropped; reading resumes at the next command."""
        self._client.lost(command_start)

    def _server_gap(self, length: int, events: list[Event]) -> None:
        """Reading resumes at the next reply; a reply line the hole cuts counts when its
        code is whole, and a multi-line reply it cuts ends as far as it came, answering its
        command."""
        for reply in self._replies.lost(self._server.lost(reply_start)):
            self._reply(reply, self._last_ts, events)

    def finish(self) -> list[Event]:
        """Emit the commands never answered (and the rows of TLS in GSSAPI tokens)."""
        events = super().finish()
        if self._gss_tls is not None:
            events += self._gss_tls.finish()
        return events

    def _unanswered(self, cmd: _Command, events: list[Event]) -> None:
        self._emit(cmd, None, events)

    def _read_server(self, ts_ns: int, events: list[Event]) -> None:
        while not self.done:
            line = self._server.next_line()
            if line is None:
                return
            if self._gss and line[:9] in _ADAT_REPLIES:  # (the reply text is cut short)
                self._token(line[9:].strip(), False, ts_ns)
            junk = self._replies.junk
            reply = self._replies.feed(line)
            cut = self._reply_cut or self._server.last_cut
            if reply is not None:
                self._reply(reply, ts_ns, events, cut)
            elif self._replies.junk > junk and self._greeted and self._pending:
                self._codeless(line, ts_ns, events, cut)
            # (a cut line counts for the reply it is part of: one still open)
            self._reply_cut = cut and reply is None and bool(self._replies.open_lines)

    def _read_client(self, ts_ns: int) -> None:
        buf = self._client
        while not self._held:
            line = buf.next_line()
            if line is None:
                return
            verb_raw, _, arg_raw = line.partition(b" ")
            verb = text(verb_raw, 16).upper()
            arg_raw = arg_raw.strip()
            arg = text(arg_raw, FTP_MAX_LINE) if arg_raw else None  # (a path: kept whole)
            cmd = _Command(verb, arg, ts_ns, buf.last_cut)
            if verb == "USER":
                self._user = cmd.arg
            elif verb == "PASS":
                self._clear = True
                cmd.password = cmd.arg
                if not self.show_passwords and cmd.arg is not None:
                    cmd.password = cmd.arg = REDACTED
            elif verb == "PORT":
                found = _host_port(arg_raw.split(b","))
                if found is not None:
                    cmd.channel = (False, found[0], found[1])
            elif verb == "EPRT":
                eprt = _eprt(arg_raw)
                if eprt is not None:
                    cmd.channel = (False, eprt[0], eprt[1])
            elif verb == "AUTH":
                self._held = True  # TLS bytes may follow: wait for the answer
            elif verb == "ADAT" and self._gss:
                self._token(arg_raw, True, ts_ns)
            cmd.user, cmd.clear = self._user, self._clear
            if len(self._pending) < FTP_MAX_PENDING:
                self._pending.append(cmd)
        if len(buf) > FTP_MAX_HELD:
            self._ignored = True
            buf.clear()

    def _reply(self, reply: Reply, ts_ns: int, events: list[Event], cut: bool = False) -> None:
        code = reply.code
        if not self._greeted:
            self._greeted = True
            if code in (120, 220, 421) or not self._pending:  # RFC 959 §5.4: connection
                self._banner = reply.text.split("\n", 1)[0]
                return
        if not self._pending or 100 <= code < 200:
            return  # unsolicited, or preliminary (RFC 959 §4.2)
        cmd = self._pending.popleft()
        if code == FtpReply.ENTERING_PASSIVE:
            found = _pasv(reply.text)
            if found is not None:
                cmd.channel = (True, found[0], found[1])
        elif code == FtpReply.ENTERING_EXTENDED_PASSIVE:
            start = reply.text.find("(")
            end = reply.text.find(")", start)
            eprt = _eprt(reply.text[start + 1 : end].encode()) if 0 <= start < end else None
            if eprt is not None:
                cmd.channel = (True, eprt[0], eprt[1])
        if cmd.verb == "AUTH" and code == FtpReply.SECURITY_MECHANISM_OK and (
                (cmd.arg or "").upper() == "GSSAPI"):
            self._gss = True
        tls = False
        if cmd.verb == "AUTH":
            tls = code == FtpReply.SECURITY_DATA_EXCHANGE_COMPLETE and (cmd.arg or "").upper() in (
                "TLS", "SSL", "TLS-C", "TLS-P",
            )  # fmt: skip
        self._emit(cmd, reply, events, tls, reply_cut=cut)
        self._answered(cmd, ts_ns, tls)

    def _codeless(self, line: bytes, ts_ns: int, events: list[Event], cut: bool) -> None:
        """A server line without a reply code while a command waits (``SYST not supported``
        from a server that does not follow RFC 959 §4.2): that command's answer, without a
        code, so that the next reply goes to the next command."""
        cmd = self._pending.popleft()
        self._emit(cmd, None, events, reply_msg=text(line), reply_cut=cut)
        self._answered(cmd, ts_ns)

    def _answered(self, cmd: _Command, ts_ns: int, tls: bool = False) -> None:
        """An AUTH was answered: the rest is TLS (``tls``), or the client lines held behind
        it are commands after all."""
        if cmd.verb == "AUTH":
            self._answered_holding(tls, ts_ns)

    def _token(self, b64: bytes, from_client: bool, ts_ns: int) -> None:
        """One base64 security token (RFC 2228 §3.3): TLS records go to the TLS dissector."""
        try:
            data = a2b_base64(b64, strict_mode=True)
        except Base64Error:
            self._gss = False
            return
        if self._gss_tls is None:
            if len(data) < 5 or data[0] not in _TLS_CONTENT_TYPES or data[1] != 3:
                self._gss = False  # another mechanism's tokens (Kerberos, ...)
                return
            self._gss_tls = TlsDissector(IPPROTO_TCP)
        if not self._gss_tls.done:
            self._inner += self._gss_tls.feed(data, from_client, ts_ns)

    def _emit(
        self, cmd: _Command, reply: Reply | None, events: list[Event], tls: bool = False,
        reply_msg: str | None = None, reply_cut: bool = False,
    ) -> None:
        channel = cmd.channel
        events.append(
            FtpRecord(
                ts_ns=cmd.ts_ns,
                banner=self._banner,
                user=cmd.user,
                password=cmd.password,
                command=cmd.verb,
                arg=cmd.arg,
                reply_code=reply.code if reply is not None else None,
                reply_code_name=reply_name(reply.code) if reply is not None else None,
                reply_msg=reply.text if reply is not None else reply_msg,
                data_channel_passive=channel[0] if channel is not None else None,
                data_channel_resp_h=channel[1] if channel is not None else None,
                data_channel_resp_p=channel[2] if channel is not None else None,
                credentials_clear=cmd.clear,
                tls=tls,
                command_truncated=cmd.truncated,
                reply_truncated=reply_cut,
            )
        )
