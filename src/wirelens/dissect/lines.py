"""Shared pieces of the line-oriented mail and file-transfer dissectors (smtp, ftp, imap, pop3).

* :class:`LineBuffer`: the bytes of one direction, cut into CRLF (or bare LF) lines, with a
  bound on the line length (a longer line is read cut short, and said: :meth:`LineBuffer.cut`).
* :class:`ReplyReader`: numeric replies of SMTP (RFC 5321 §4.2) and FTP (RFC 959 §4.2),
  single or multi-line.
* SASL helpers (RFC 4422): how many client responses a mechanism sends, and the user and
  password of PLAIN (RFC 4616) and LOGIN (draft-murchison-sasl-login) exchanges.
* :func:`greeting_line`: the cheap, strict first-line test the ``matches`` methods share.
"""

from __future__ import annotations

import binascii
from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum

from wirelens.dissect import ntlm
from wirelens.dissect.base import Problem
from wirelens.wire.errors import LimitExceeded, ParseError

__all__ = [
    "REDACTED",
    "LineBuffer",
    "Reply",
    "ReplyReader",
    "b64_text",
    "command_start",
    "cut_lines",
    "greeting_line",
    "reply_start",
    "sasl_plain",
    "sasl_responses",
    "starts_with_one",
    "text",
]

REDACTED = "<redacted>"
"""What the ``password`` column holds unless the dissector was created with
``show_passwords=True``."""

MAX_REPLY_LINES = 64
"""Lines of one multi-line reply kept (FTP HELP and FEAT listings run to dozens; the rest
are read and dropped, so a hostile endless reply costs no memory)."""

MAX_TEXT_CHARS = 512
"""Characters kept of one free-text field (reply text, argument): RFC 5321 §4.5.3.1.5 bounds
a reply line at 512 octets."""

GREETING_SCAN_BYTES = 1024
"""``matches`` looks for the end of the first line in this many bytes at most."""


def text(raw: bytes | bytearray, limit: int = MAX_TEXT_CHARS) -> str:
    """Bytes as text (UTF-8, undecodable bytes replaced), at most ``limit`` characters."""
    return bytes(raw[: limit * 4]).decode("utf-8", "replace")[:limit]


class LineBuffer:
    """Bytes of one direction, read as lines (RFC 5321 §2.3.8: CRLF; a bare LF is accepted).

    ``max_line`` bounds a line (without its end): :meth:`next_line` returns a longer one cut
    to its first ``max_line`` bytes (as soon as that many are buffered without a line end),
    drops the rest of it as it comes, and says so once through :meth:`cut` (the dissector's
    weird: as Suricata truncates an over-long FTP or SMTP line and reads on, the commands
    around a hostile line keep their rows), and :attr:`last_cut` tells the caller which line
    it was; memory stays bounded by ``max_line``.
    """

    __slots__ = ("_buf", "_cut", "_dropping", "_pos", "_resync", "_scan", "last_cut", "max_line")

    def __init__(self, max_line: int) -> None:
        self._buf = bytearray()
        self._pos = 0  # start of the unread bytes
        self._scan = 0  # where the search for the next LF resumes
        self._dropping = False  # inside an over-long line being dropped
        self._cut: LimitExceeded | bool = False  # the first line cut short; True once said
        self._resync: Callable[[bytes], bool | None] | None = None  # after a hole (lost())
        self.max_line = max_line
        self.last_cut = False
        """Whether the line :meth:`next_line` returned last was cut short."""

    def __len__(self) -> int:
        return len(self._buf) - self._pos

    def append(self, data: bytes) -> None:
        """Add the next bytes of the direction."""
        if self._pos > 4096 and self._pos * 2 > len(self._buf):  # compact now and then
            del self._buf[: self._pos]
            self._scan -= self._pos
            self._pos = 0
        self._buf += data

    def lost(self, resumes: Callable[[bytes], bool | None] = lambda first: False) -> bytes:
        """A hole in the stream (bytes never seen): the line being read never ends as it
        began; it is dropped and returned (its bytes so far: a reply's code and first words,
        say). The bytes after the hole are read from the next line end on, unless
        ``resumes`` says their first bytes start a line (a command, a reply): True, False,
        or None for too few bytes to say."""
        cut = b"" if self._dropping else bytes(self._buf[self._pos:])
        self.clear()
        self._dropping = False
        self._resync = resumes
        return cut.rstrip(b"\r")

    def _resynced(self) -> bool:
        """After a hole: whether the unread bytes start a line now (False: wait for more)."""
        assert self._resync is not None
        buf, start = self._buf, self._pos
        if len(buf) == start:
            return False
        end = buf.find(b"\n", start)
        verdict = self._resync(bytes(buf[start: start + 16]))
        if verdict is None and end < 0 and len(buf) - start < 16:
            return False
        if not verdict:
            if end < 0:  # the rest of a line never seen whole: dropped as it comes
                self._pos = self._scan = len(buf)
                return False
            self._pos = self._scan = end + 1
        self._resync = None
        return True

    def next_line(self) -> bytes | None:
        """The next complete line without its CR LF, or None when none is complete yet."""
        if self._resync is not None and not self._resynced():
            return None
        if self._dropping and not self._drop_rest():
            return None
        buf = self._buf
        start = self._pos
        end = buf.find(b"\n", max(self._scan, start))
        if end < 0:
            self._scan = len(buf)
            if len(buf) - start <= self.max_line:
                return None
            stop = start + self.max_line  # never ends within the bound: cut now
            self._pos = self._scan = len(buf)
            self._dropping = True
        else:
            stop = end - 1 if end > start and buf[end - 1] == 0x0D else end
            self._pos = self._scan = end + 1
            if stop - start <= self.max_line:
                self.last_cut = False
                return bytes(buf[start:stop])
        if self._cut is False:
            self._cut = LimitExceeded(f"line longer than {self.max_line} bytes, cut short", start)
        self.last_cut = True
        return bytes(buf[start: start + self.max_line])

    def _drop_rest(self) -> bool:
        """Drop the rest of a line cut short, up to its end; whether that end came."""
        buf = self._buf
        end = buf.find(b"\n", self._pos)
        if end < 0:
            self._pos = self._scan = len(buf)
            return False
        self._pos = self._scan = end + 1
        self._dropping = False
        return True

    def cut(self) -> LimitExceeded | None:
        """The direction's first line cut short, once (None before it and after it was said):
        a :class:`~wirelens.dissect.base.Problem`, whose weird is ``<name>_limit_exceeded``."""
        cut = self._cut
        if isinstance(cut, bool):
            return None
        self._cut = True
        return cut

    def next_line_lenient(self) -> bytes | None:
        """Like :meth:`next_line`, but an over-long line is dropped instead of refused (message
        bodies, server listings): its bytes are discarded and its end is not returned."""
        if self._resync is not None and not self._resynced():
            return None
        while True:
            buf = self._buf
            start = self._pos
            end = buf.find(b"\n", max(self._scan, start))
            if end < 0:
                if len(buf) - start > self.max_line:
                    self._pos = self._scan = len(buf)
                    self._dropping = True
                else:
                    self._scan = len(buf)
                return None
            if self._dropping or end - start > self.max_line:
                self._pos = self._scan = end + 1
                self._dropping = False
                continue
            return self.next_line()

    def take(self, n: int) -> bytes:
        """Up to ``n`` raw bytes (a literal, a BDAT chunk): what is buffered, at most ``n``
        (after the end of a line cut short: the rest of that line is not among them)."""
        if self._dropping and not self._drop_rest():
            return b""
        start = self._pos
        out = bytes(self._buf[start : start + n])
        self._pos = start + len(out)
        self._scan = max(self._scan, self._pos)
        return out

    def find(self, needle: bytes) -> int:
        """Offset of ``needle`` from the read position, or -1."""
        at = self._buf.find(needle, self._pos)
        return at - self._pos if at >= 0 else -1

    def peek(self, n: int) -> bytes:
        """The next ``n`` unread bytes (fewer when fewer are buffered), without consuming."""
        return bytes(self._buf[self._pos : self._pos + n])

    def clear(self) -> None:
        """Drop everything buffered."""
        self._buf.clear()
        self._pos = self._scan = 0


def cut_lines(ts_ns: int, *buffers: LineBuffer) -> list[Problem]:
    """The weirds of lines these buffers cut short and have not said yet."""
    return [Problem(ts_ns, cut) for cut in map(LineBuffer.cut, buffers) if cut is not None]


@dataclass(slots=True)
class Reply:
    """One complete numeric reply (RFC 5321 §4.2, RFC 959 §4.2)."""

    code: int
    """The three-digit reply code."""
    text: str
    """Text of the reply: its lines (without the codes) joined by newlines, bounded."""


class ReplyReader:
    """Assembles numeric reply lines into :class:`Reply` values.

    A line is ``ddd SP text`` (or ``ddd`` alone), or ``ddd-text`` opening (SMTP: continuing) a
    multi-line reply, which ends with a line ``ddd SP text`` of the same code. FTP (RFC 959
    §4.2) allows continuation lines that do not start with the code. Outside a multi-line
    reply, three digits followed by neither a space, a hyphen nor a fourth digit
    (``230_no_space``) are still a reply of that code, its text the rest (as Zeek reads it:
    dropping it would give its command the next command's reply). Other lines outside a
    reply are ignored (counted in ``junk``).
    """

    __slots__ = ("_code", "_lines", "junk")

    def __init__(self) -> None:
        self._code: int | None = None  # code of the multi-line reply being read
        self._lines: list[str] = []
        self.junk = 0

    def feed(self, line: bytes) -> Reply | None:
        """One server line; the reply it completes, if any."""
        has_code = len(line) >= 3 and line[:3].isdigit() and (len(line) == 3 or line[3] in b" -")
        if self._code is None:
            if not has_code:
                if len(line) > 3 and line[:3].isdigit() and not line[3:4].isdigit():
                    return Reply(int(line[:3]), text(line[3:]))  # no separator
                self.junk += 1
                return None
            code = int(line[:3])
            if len(line) > 3 and line[3] == 0x2D:  # '-': first line of a multi-line reply
                self._code = code
                self._lines = [text(line[4:])]
                return None
            return Reply(code, text(line[4:]))
        if has_code and int(line[:3]) == self._code and (len(line) == 3 or line[3] == 0x20):
            lines = self._lines
            lines.append(text(line[4:]))
            code = self._code
            self._code = None
            self._lines = []
            return Reply(code, "\n".join(lines)[: MAX_TEXT_CHARS * 4])
        if len(self._lines) < MAX_REPLY_LINES:
            body = line[4:] if has_code else line
            self._lines.append(text(body))
        return None

    def lost(self, cut: bytes) -> list[Reply]:
        """A hole in the server's stream, which cut the line ``cut`` (its bytes so far,
        :meth:`LineBuffer.lost`): the replies it ends. The cut line counts when its code is
        whole (a reply, or a multi-line reply's last or next line); a multi-line reply still
        open then ends as far as it came (its code is its first line's)."""
        done = [reply] if cut and (reply := self.feed(cut)) is not None else []
        if self._code is not None:
            done.append(Reply(self._code, "\n".join(self._lines)[: MAX_TEXT_CHARS * 4]))
            self._code, self._lines = None, []
        return done

    @property
    def open_lines(self) -> tuple[str, ...]:
        """Lines of the multi-line reply still open (for :meth:`finish`-time reporting)."""
        return tuple(self._lines)


_CONTROL = bytes(range(0x09)) + bytes(range(0x0A, 0x20)) + b"\x7f"


def starts_with_one(first: bytes | bytearray, starts: tuple[bytes, ...]) -> bool | None:
    """Whether ``first`` (bytes after a hole) begins with one of ``starts``: True, False, or
    None while it is too short to say (a prefix of one of them)."""
    undecided = False
    for start in starts:
        n = min(len(start), len(first))
        if first[:n] == start[:n]:
            if n == len(start):
                return True
            undecided = True
    return None if undecided else False


def reply_start(first: bytes) -> bool | None:
    """Whether bytes after a hole start a numeric reply line (three digits): for
    :meth:`LineBuffer.lost` on a server's side."""
    digits = first[:3]
    if not digits.isdigit():
        return None if not digits else False
    return True if len(digits) == 3 else None


def command_start(first: bytes) -> bool | None:
    """Whether bytes after a hole start a command line (a verb of 3 to 8 letters, then a
    space or the line end: SMTP, FTP and POP3 verbs): for :meth:`LineBuffer.lost` on a
    client's side."""
    n = 0
    while n < len(first) and first[n: n + 1].isalpha():
        n += 1
    if n == len(first):  # letters so far: undecided, unless already too long for a verb
        return None if n <= 8 else False
    return 3 <= n <= 8 and first[n] in b" \r\n"


def greeting_line(payload: bytes, prefixes: tuple[bytes, ...]) -> bytes | None:
    """The first line of ``payload`` (without CR LF) when it starts with one of ``prefixes``,
    ends with CR LF within :data:`GREETING_SCAN_BYTES` and holds no control byte (C0 but tab,
    DEL; 8-bit text is allowed: greetings in legacy charsets exist); else None. Never raises. Used by the strict ``matches`` tests."""
    if not payload.startswith(prefixes):
        return None
    end = payload.find(b"\r\n", 0, GREETING_SCAN_BYTES)
    if end < 0:
        return None
    line = payload[:end]
    if len(line.translate(None, _CONTROL)) != len(line):
        return None
    return line


# -- SASL (RFC 4422) ------------------------------------------------------------------------


def b64_text(raw: bytes) -> bytes | None:
    """Decode a base64 SASL response (RFC 4648 §4); None when it is not base64."""
    data = raw.strip()
    if data in (b"=", b""):  # RFC 4954 §4: "=" is an empty initial response
        return b""
    try:
        return binascii.a2b_base64(data, strict_mode=True)
    except (binascii.Error, ValueError):
        return None


def sasl_plain(decoded: bytes) -> tuple[str, str] | None:
    """(authentication identity, password) of a PLAIN message (RFC 4616 §2:
    ``[authzid] NUL authcid NUL passwd``); None when malformed."""
    parts = decoded.split(b"\x00")
    if len(parts) != 3:
        return None
    return text(parts[1]), text(parts[2])


def sasl_responses(mechanism: str, initial: bool) -> int:
    """How many client response lines follow a SASL AUTH command before the outcome.

    PLAIN (RFC 4616) sends one message: none more when it came as the initial response.
    LOGIN sends the user then the password, NTLM its NEGOTIATE then its AUTHENTICATE (one
    fewer after an initial response). Other mechanisms (CRAM-MD5, XOAUTH2, ...) are taken as
    one response after the challenge; a server's final reply ends the exchange earlier in any
    case.
    """
    if mechanism in ("LOGIN", "NTLM"):
        return 1 if initial else 2
    if mechanism in ("PLAIN", "EXTERNAL", "ANONYMOUS", "XOAUTH2", "OAUTHBEARER"):
        return 0 if initial else 1
    return 1


class Sasl:
    """Client side of one SASL exchange (RFC 4422 §3.3): the mechanism, the responses still
    expected, and what they revealed (user, password; ``clear`` when the password travelled
    in clear text: PLAIN or LOGIN)."""

    __slots__ = ("clear", "mechanism", "password", "remaining", "step", "user")

    def __init__(self, mechanism: str, initial: bytes | None) -> None:
        self.mechanism = mechanism.upper()
        self.user: str | None = None
        self.password: str | None = None
        self.clear = False
        self.step = 0
        self.remaining = sasl_responses(self.mechanism, initial is not None)
        if initial is not None:
            self.response(initial)

    def response(self, raw: bytes) -> None:
        """One base64 client response (the initial response counts as the first)."""
        step = self.step
        self.step += 1
        if raw.strip() == b"*":  # RFC 4422 §3.5: the client aborts the exchange
            self.remaining = 0
            return
        decoded = b64_text(raw)
        if decoded is None:
            return
        mech = self.mechanism
        if mech == "PLAIN":
            found = sasl_plain(decoded)
            if found is not None:
                self.user, self.password = found
                self.clear = True
        elif mech == "LOGIN":
            if step == 0:
                self.user = text(decoded)
            else:
                self.password = text(decoded)
                self.clear = True
        elif mech == "CRAM-MD5":  # RFC 2195 §2: "user SP hex-digest", no password sent
            self.user = text(decoded.rsplit(b" ", 1)[0])
        elif mech in ("NTLM", "GSS-SPNEGO"):  # MS-SMTPX / MS-OXIMAP: NTLMSSP messages
            try:
                who = ntlm.authenticate(decoded)
            except ParseError:
                who = None
            if who is not None and who.account:
                self.user = who.account

    def line(self, raw: bytes) -> None:
        """A client line during the exchange: one response fewer expected."""
        self.response(raw)
        self.remaining = max(0, self.remaining - 1)


def code_name(codes: type[IntEnum], code: int | None) -> str | None:
    """Readable twin of a reply code of the enumeration ``codes`` (None when unknown)."""
    if code is None:
        return None
    try:
        return codes(code).name
    except ValueError:
        return None
