"""FTP dissector: command/reply pairing, data channels, AUTH TLS, credentials, splits,
trailing junk, truncation, limits, real captures (nDPI, Zeek ftp.log), and a fuzz test."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from wl_mini_pcap import flows

from wirelens.dissect.base import Event, Problem
from wirelens.dissect.ftp import FTP_MAX_LINE, FtpDissector, FtpRecord
from wirelens.dissect.lines import REDACTED
from wirelens.wire import LimitExceeded, ParseError

TCP = 6
DATA = Path(__file__).resolve().parents[3] / ".." / "shared" / "data"
NDPI = DATA / "nDPI" / "tests" / "cfgs" / "default" / "pcap"
ZEEK = DATA / "zeek" / "testing" / "btest" / "Traces"
needs_data = pytest.mark.skipif(not DATA.is_dir(), reason=f"shared captures not found at {DATA}")

CONV: list[tuple[bool, bytes]] = [
    (False, b"220-Welcome\r\n text line\r\n220 ProFTPD ready\r\n"),
    (True, b"USER alice\r\n"),
    (False, b"331 Password required\r\n"),
    (True, b"PASS hunter2\r\n"),
    (False, b"230 Logged in\r\n"),
    (True, b"PASV\r\n"),
    (False, b"227 Entering Passive Mode (10,0,0,5,200,10).\r\n"),
    (True, b"RETR a.txt\r\n"),
    (False, b"150 Opening data connection\r\n226 Transfer complete\r\n"),
    (True, b"PORT 10,0,0,9,4,1\r\nEPSV\r\nEPRT |2|2001:db8::1|5282|\r\n"),
    (False, b"200 PORT ok\r\n229 Entering Extended Passive Mode (|||6446|)\r\n200 EPRT ok\r\n"),
]


def feed(
    chunks: list[tuple[bool, bytes]], step: int = 0, **kw: bool
) -> tuple[FtpDissector, list[Event]]:
    """Feed chunks (whole, or ``step`` bytes at a time), then finish."""
    d = FtpDissector(TCP, **kw)
    out: list[Event] = []
    for from_orig, data in chunks:
        parts = [data] if step <= 0 else [data[i : i + step] for i in range(0, len(data), step)]
        for part in parts:
            out += d.feed(part, from_orig, 1)
    return d, out + d.finish()


def test_commands_paired_with_final_replies() -> None:
    _, events = feed(CONV)
    rows = [e for e in events if isinstance(e, FtpRecord)]
    assert [(r.command, r.reply_code) for r in rows] == [
        ("USER", 331), ("PASS", 230), ("PASV", 227), ("RETR", 226),
        ("PORT", 200), ("EPSV", 229), ("EPRT", 200),
    ]  # fmt: skip
    user, pw, pasv, retr, port, epsv, eprt = rows
    assert user.banner == "Welcome" and user.user == "alice" and not user.credentials_clear
    assert pw.password == REDACTED and pw.arg == REDACTED and pw.credentials_clear
    assert pw.reply_code_name == "LOGGED_IN" and user.password is None
    assert (pasv.data_channel_passive, pasv.data_channel_resp_h, pasv.data_channel_resp_p) == (
        True, "10.0.0.5", 200 * 256 + 10,
    )  # fmt: skip
    assert retr.data_channel_passive is None and retr.reply_msg == "Transfer complete"
    assert (port.data_channel_passive, port.data_channel_resp_h, port.data_channel_resp_p) == (
        False, "10.0.0.9", 1025,
    )  # fmt: skip
    assert (epsv.data_channel_passive, epsv.data_channel_resp_h, epsv.data_channel_resp_p) == (
        True, None, 6446,
    )  # fmt: skip
    assert (eprt.data_channel_resp_h, eprt.data_channel_resp_p) == ("2001:db8::1", 5282)


def test_holes_cut_lines_and_reading_resumes() -> None:
    """A hole inside a multi-line reply ends it as far as it came (the greeting), one inside
    a command line loses that command; the next command and replies are read in step."""
    d = FtpDissector(TCP)
    rows: list[Event] = []
    rows += d.feed(b"220-Welcome\r\n text", False, 1)
    rows += d.gap(False, 40)  # the rest of the greeting never seen
    rows += d.feed(b"USER alice\r\nPASS hun", True, 2)
    rows += d.gap(True, 5)  # the PASS line cut: lost
    rows += d.feed(b"331 Password required\r\n", False, 3)
    rows += d.feed(b"RETR a.txt\r\n", True, 4)
    rows += d.feed(b"150 Opening\r\n226 Transfer complete\r\n", False, 5)
    rows += d.finish()
    assert not d.done
    assert [(r.command, r.reply_code) for r in rows] == [  # type: ignore[attr-defined]
        ("USER", 331), ("RETR", 226)]


def test_line_buffer_after_a_hole() -> None:
    """``LineBuffer.lost``: the cut line is dropped; the bytes after the hole are a line when
    the test says they start one (undecided: wait for more), else read from the next line
    end on."""
    from wirelens.dissect.lines import LineBuffer, command_start, reply_start

    buf = LineBuffer(100)
    buf.append(b"RETR a-long-na")
    buf.lost(command_start)
    buf.append(b"me.txt\r\nQUIT\r\n")  # the rest of the cut line, then a command
    assert buf.next_line() == b"QUIT" and buf.next_line() is None
    buf.lost(command_start)
    buf.append(b"NO")
    assert buf.next_line() is None  # two letters: undecided
    buf.append(b"OP\r\n")
    assert buf.next_line() == b"NOOP"
    buf.lost(reply_start)
    buf.append(b"226 done\r\n")
    assert buf.next_line() == b"226 done"
    buf.lost()  # (no test: always from the next line end)
    buf.append(b"226 done\r\nnext\r\n")
    assert buf.next_line_lenient() == b"next"
    assert [command_start(b) for b in (b"MAIL FROM:<a>", b"QUI", b"x-header: v", b"a" * 9)] == [
        True, None, False, False]
    assert [reply_start(b) for b in (b"250 ok", b"25", b"2x0")] == [True, None, False]


def test_line_buffer_cuts_an_overlong_line_with_bounded_memory() -> None:
    """A line past ``max_line``: returned cut to ``max_line`` bytes as soon as that many wait
    without a line end, its rest dropped as it comes (the buffer never holds much more than
    one line's bound), said once by ``cut`` (the first such line of the direction)."""
    from wirelens.dissect.lines import LineBuffer

    buf = LineBuffer(10)
    got = []
    for piece in [b"abcdefgh", b"ijklmn", b"opq" * 1000, b"rs\r\nok\r\n", b"x" * 40 + b"\n"]:
        buf.append(piece)
        while (line := buf.next_line()) is not None:
            got.append(line)
        assert len(buf) <= 10 + 5  # (at most one bound's worth, and a short line)
    assert got == [b"abcdefghij", b"ok", b"x" * 10]
    cut = buf.cut()
    assert isinstance(cut, LimitExceeded) and buf.cut() is None
    buf.append(b"y" * 20 + b"\r\n")
    assert buf.next_line() == b"y" * 10 and buf.cut() is None  # said once per direction
    buf.append(b"z" * 12)  # cut before its end came: raw bytes start after that end
    assert buf.next_line() == b"z" * 10 and buf.take(4) == b""
    buf.append(b"zz\r\nDATA")
    assert buf.take(4) == b"DATA"


def test_show_passwords() -> None:
    _, events = feed(CONV, show_passwords=True)
    pw = events[1]
    assert isinstance(pw, FtpRecord) and pw.password == "hunter2" and pw.arg == "hunter2"


@pytest.mark.parametrize("step", [1, 4, 13])
def test_split_feeding_gives_same_events(step: int) -> None:
    assert feed(CONV, step)[1] == feed(CONV)[1]


def test_client_direction_whole_first() -> None:
    client = b"".join(d for s, d in CONV if s)
    server = b"".join(d for s, d in CONV if not s)
    assert feed([(True, client), (False, server)])[1] == feed(CONV)[1]


def test_auth_tls_accepted_stops_even_with_tls_bytes_queued() -> None:
    conv = [
        (False, b"220 FTP server\r\n"),
        (True, b"AUTH TLS\r\n\x16\x03\x01\x00\x91\x01\x00\x00\x8d"),
        (False, b"234 Proceed with negotiation.\r\n"),
    ]
    d, events = feed(conv)
    (row,) = events
    assert isinstance(row, FtpRecord) and row.tls and d.done and row.command == "AUTH"


def test_auth_refused_goes_on() -> None:
    conv = [(False, b"220 FTP\r\n"), (True, b"AUTH TLS\r\nUSER bob\r\n"),
            (False, b"502 not implemented\r\n331 pw\r\n")]  # fmt: skip
    d, events = feed(conv)
    assert [(e.command, e.tls) for e in events if isinstance(e, FtpRecord)] == [
        ("AUTH", False), ("USER", False),
    ]  # fmt: skip
    assert not d.done


def test_trailing_junk_and_truncation() -> None:
    whole = feed(CONV)[1]
    assert feed([*CONV, (False, b"junk without code\r\n")])[1] == whole
    _, cut = feed([*CONV[:5], (True, b"PASV\r\n"), (False, b"227 Entering Pass")])
    last = cut[-1]
    assert isinstance(last, FtpRecord) and last.command == "PASV" and last.reply_code is None


@pytest.mark.parametrize("step", [0, 999])
def test_overlong_lines_are_cut_short_and_reading_goes_on(step: int) -> None:
    """A command and a reply past the bound (suricata-verify ftp-too-long-command and
    ftp-too-long-response): read cut short, flagged on their row (the argument kept up to the
    bound, as Suricata keeps it), one weird per direction, the commands after them still
    paired with their replies. A cut line inside a multi-line reply flags that reply only."""
    long = b"x" * (FTP_MAX_LINE + 1)
    _, events = feed([*CONV[:5], (True, b"STOR " + long + b"\r\n"),
                      (False, b"150 Ok\r\n226 Done\r\n"), (True, b"PASV\r\n"),
                      (False, b"227 Entering Passive Mode (10,0,0,5,200,10)" + long + b"\r\n"),
                      (True, b"HELP\r\n"), (False, b"214-Help\r\n" + long + b"\r\n214 End\r\n"),
                      (True, b"QUIT\r\n"), (False, b"221 Bye\r\n")], step)
    problems = [e for e in events if isinstance(e, Problem)]
    assert len(problems) == 2 and all(isinstance(p.error, LimitExceeded) for p in problems)
    rows = [r for r in events if isinstance(r, FtpRecord)]
    assert [(r.command, r.reply_code, r.command_truncated, r.reply_truncated)
            for r in rows[2:]] == [("STOR", 226, True, False), ("PASV", 227, False, True),
                                   ("HELP", 214, False, True), ("QUIT", 221, False, False)]
    assert rows[2].arg == "x" * (FTP_MAX_LINE - len("STOR "))
    assert rows[3].data_channel_resp_p == 200 * 256 + 10
    assert not any(r.command_truncated or r.reply_truncated for r in rows[:2])


@pytest.mark.parametrize(
    "payload",
    [
        b"220 (vsFTPd 3.0.3)\r\n",
        b"220-FileZilla Server 1.9.1\r\n",
        b"220 ready\r\n",
        b"USER anonymous\r\n",
    ],
)
def test_matches(payload: bytes) -> None:
    assert FtpDissector.matches(payload, TCP, False)


@pytest.mark.parametrize(
    "payload",
    [b"220 mx ESMTP Postfix\r\n", b"220 (vsFTPd", b"USER a b c\r\n", b"\x00" * 40, b"HTTP/1.1 200 OK\r\n",
     b"+OK\r\n", b"\x16\x03\x01\x00\x91\x01"],
)  # fmt: skip
def test_does_not_match(payload: bytes) -> None:
    assert not FtpDissector.matches(payload, TCP, False)


def _capture(path: Path) -> list[tuple[FtpDissector, list[Event]]]:
    if not path.exists():
        pytest.skip(f"capture {path.name} not found under {DATA}")
    out = []
    for flow in flows(path):
        if flow.proto != TCP or 21 not in (flow.orig[1], flow.resp[1]):
            continue
        d = FtpDissector(TCP)
        events: list[Event] = []
        for side, data, ts in flow.chunks:
            events += d.feed(data, side, ts)
        out.append((d, events + d.finish()))
    return out


@needs_data
def test_real_ndpi_ftp() -> None:
    """nDPI's ftp.pcap.out names [User: anonymous]; tshark shows the 227 reply
    (90,130,70,73,100,85) and the data flow to 90.130.70.73:25685."""
    ((_, events),) = _capture(NDPI / "ftp.pcap")
    rows = [e for e in events if isinstance(e, FtpRecord)]
    assert rows[0].command == "USER" and rows[0].user == "anonymous"
    assert rows[0].banner == "(vsFTPd 3.0.3)"
    pasv = next(r for r in rows if r.command == "PASV")
    assert (pasv.data_channel_resp_h, pasv.data_channel_resp_p) == ("90.130.70.73", 25685)
    assert all(r.reply_code is not None for r in rows)


@needs_data
def test_real_ndpi_ftp_failed_and_starttls() -> None:
    ((_, events),) = _capture(NDPI / "ftp_failed.pcap")
    assert [(e.command, e.reply_code, e.user) for e in events if isinstance(e, FtpRecord)] == [
        ("USER", 530, "hello"), ("SYST", 530, "hello"), ("QUIT", 221, "hello"),
    ]  # fmt: skip
    ((d, events),) = _capture(NDPI / "ftp-start-tls.pcap")
    assert d.done and [(e.command, e.tls) for e in events if isinstance(e, FtpRecord)] == [
        ("AUTH", True)
    ]


@needs_data
def test_real_zeek_password_baseline() -> None:
    """Zeek's ftp.log baseline (ftp-password-pass-command): USER Admin 331, PASS qwerty 530."""
    ((_, events),) = _capture(ZEEK / "ftp" / "ftp-password-pass-command.pcap")
    rows = [
        (e.user, e.command, e.reply_code, e.reply_msg) for e in events if isinstance(e, FtpRecord)
    ]
    assert rows == [
        ("Admin", "USER", 331, "Please, specify the password."),
        ("Admin", "PASS", 530, "Login incorrect."),
    ]


@settings(max_examples=150, deadline=250, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.booleans(), st.binary(max_size=300)), max_size=8), st.integers(1, 40),
       st.integers(0, len(CONV) - 1), st.binary(max_size=40))  # fmt: skip
def test_fuzz(chunks: list[tuple[bool, bytes]], step: int, at: int, noise: bytes) -> None:
    """Invariant: any input, in any split, after a valid prefix or not, yields events or
    raises ParseError within 250 ms, and ``matches`` never raises."""
    for conv in ([*CONV[:at], (CONV[at][0], CONV[at][1][: len(noise)] + noise), *chunks], chunks):
        try:
            _, events = feed(conv, step)
            assert all(isinstance(e, Event) for e in events)
        except ParseError:
            pass
    for _, data in chunks:
        FtpDissector.matches(data, TCP, True)


def _adat_session(client_token: bytes, server_token: bytes) -> list[tuple[bool, bytes]]:
    import base64

    return [
        (False, b"220 GridFTP Server ready.\r\n"),
        (True, b"AUTH GSSAPI\r\n"),
        (False, b"334 Using authentication type; ADAT must follow.\r\n"),
        (True, b"ADAT " + base64.b64encode(client_token) + b"\r\n"),
        (False, b"335 ADAT=" + base64.b64encode(server_token) + b"\r\n"),
        (True, b"ENC FwMBACAa\r\n"),
        (False, b"632 ENC=FwMBACB\r\n"),
    ]


def test_gssapi_tokens_that_are_tls_records_are_read_as_tls() -> None:
    """RFC 2228 §3.3: after AUTH GSSAPI (334) the ADAT tokens are base64; GridFTP's GSI
    carries a TLS handshake in them: its tls row is this flow's. Kerberos tokens (not TLS
    records) and broken base64 are passed over."""
    from wl_dissect_builders import client_hello, feed_all, record, server_hello

    from wirelens.dissect.tls import TlsRecord

    hello = record(22, client_hello(sni=None), version=0x0301)
    answer = record(22, server_hello(cipher=0x0035, selected=None)) + record(22, b"\x0e\x00\x00\x00")
    events = feed_all(FtpDissector, _adat_session(hello, answer), TCP)
    (tls,) = [e for e in events if isinstance(e, TlsRecord)]
    assert (tls.version, tls.cipher, tls.ja3_hash is not None) == (
        "TLSv12", "TLS_RSA_WITH_AES_256_CBC_SHA", True)
    assert [e.command for e in events if isinstance(e, FtpRecord)] == ["AUTH", "ADAT", "ENC"]
    kerberos = b"\x60\x82\x02\x10\x06\x09\x2a\x86\x48\x86\xf7\x12\x01\x02\x02" + bytes(40)
    events = feed_all(FtpDissector, _adat_session(kerberos, kerberos), TCP)
    assert not [e for e in events if isinstance(e, TlsRecord)]
    broken = _adat_session(hello, answer)
    broken[3] = (True, b"ADAT !!not base64!!\r\n")
    assert not [e for e in feed_all(FtpDissector, broken, TCP) if isinstance(e, TlsRecord)]


@pytest.mark.parametrize("step", [0, 1])
def test_replies_of_servers_that_do_not_follow_the_grammar(step: int) -> None:
    """A reply with no space after its code (``230_no_space``) is still that code's reply; a
    line with no code while a command waits (``SYST not supported``) is that command's
    answer, without a code. Either way the next reply goes to the next command (Zeek's
    ftp-missing-space-after-reply-code and ftp-missing-reply-code traces)."""
    _, events = feed([
        (False, b"220 ready\r\n"), (True, b"USER zeek\r\n"), (False, b"230 USER OK\r\n"),
        (True, b"RETR\r\n"), (False, b"230_no_space\r\n"), (True, b"SYST\r\n"),
        (False, b"SYST not supported\r\n"), (True, b"QUIT\r\n"), (False, b"221 Bye\r\n"),
    ], step)
    rows = [(e.command, e.reply_code, e.reply_msg) for e in events if isinstance(e, FtpRecord)]
    assert rows == [("USER", 230, "USER OK"), ("RETR", 230, "_no_space"),
                    ("SYST", None, "SYST not supported"), ("QUIT", 221, "Bye")]
