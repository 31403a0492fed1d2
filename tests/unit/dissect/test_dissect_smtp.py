"""SMTP dissector: transactions, pipelining, multi-line replies, STARTTLS, AUTH, splits,
trailing junk, truncation, limits, real captures, and a fuzz test."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from wl_dissect_builders import feed_snapped
from wl_mini_pcap import flows

from wirelens.dissect.base import Dissector, Event, Problem
from wirelens.dissect.lines import REDACTED
from wirelens.dissect.smtp import SMTP_MAX_LINE, SmtpDissector, SmtpRecord
from wirelens.wire import LimitExceeded, ParseError

TCP = 6
DATA = Path(__file__).resolve().parents[3] / ".." / "shared" / "data"
NDPI = DATA / "nDPI" / "tests" / "cfgs" / "default" / "pcap"
ZEEK = DATA / "zeek" / "testing" / "btest" / "Traces"

PLAIN = base64.b64encode(b"\x00alice\x00s3cret").decode()
CONV: list[tuple[bool, bytes]] = [
    (False, b"220 mail.example.org ESMTP Postfix\r\n"),
    (True, b"EHLO client.example.com\r\n"),
    (False, b"250-mail.example.org\r\n250-PIPELINING\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME\r\n"),
    (True, f"AUTH PLAIN {PLAIN}\r\n".encode()),
    (False, b"235 2.7.0 Authentication successful\r\n"),
    # RFC 2920 pipelining: MAIL, RCPT, RCPT, DATA in one segment
    (True, b"MAIL FROM:<bob@example.com> SIZE=100\r\nRCPT TO:<carol@example.org>\r\n"
           b"RCPT TO:<dave@example.org>\r\nDATA\r\n"),
    (False, b"250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n250 2.1.5 Ok\r\n354 End data with <CR><LF>.<CR><LF>\r\n"),
    (True, b"From: Bob <bob@example.com>\r\nTo: carol@example.org,\r\n dave@example.org\r\n"
           b"Subject: Hello\r\nDate: Mon, 1 Jan 2024 10:00:00 +0000\r\nMessage-ID: <1@x>\r\n\r\n"
           b"Body line\r\n..dot-stuffed\r\n.\r\n"),
    (False, b"250 2.0.0 Ok: queued as ABC\r\n"),
    (True, b"MAIL FROM:<>\r\nRCPT TO:<x@example.org>\r\nDATA\r\n"),
    (False, b"250 Ok\r\n554 5.7.1 rejected\r\n554 5.5.1 No valid recipients\r\n"),
    (True, b"QUIT\r\n"),
    (False, b"221 2.0.0 Bye\r\n"),
]  # fmt: skip


def feed(
    chunks: list[tuple[bool, bytes]], step: int = 0, **kw: bool
) -> tuple[SmtpDissector, list[Event]]:
    """Feed chunks (whole, or ``step`` bytes at a time), then finish."""
    d = SmtpDissector(TCP, **kw)
    out: list[Event] = []
    for from_orig, data in chunks:
        parts = [data] if step <= 0 else [data[i : i + step] for i in range(0, len(data), step)]
        for part in parts:
            out += d.feed(part, from_orig, 7)
    return d, out + d.finish()


def test_transactions_and_session_facts() -> None:
    d, events = feed(CONV)
    assert all(isinstance(e, SmtpRecord) for e in events)
    first, second = events
    assert isinstance(first, SmtpRecord) and isinstance(second, SmtpRecord)
    assert first.trans_depth == 1 and second.trans_depth == 2
    assert first.banner == "mail.example.org ESMTP Postfix" and d.server_name == "mail.example.org"
    assert first.helo == "client.example.com"
    assert first.mail_from == "bob@example.com"
    assert first.rcpt_to == ("carol@example.org", "dave@example.org")
    assert first.header_from == "Bob <bob@example.com>"
    assert first.header_to == "carol@example.org, dave@example.org"  # folded line joined
    assert first.subject == "Hello" and first.msg_id == "<1@x>"
    assert first.date == "Mon, 1 Jan 2024 10:00:00 +0000"
    assert (first.last_reply_code, first.last_reply_code_name) == (250, "OK")
    assert first.last_reply_msg == "2.0.0 Ok: queued as ABC"
    assert first.auth_mechanisms_offered == ("PLAIN", "LOGIN")
    assert first.auth_mechanism == "PLAIN" and first.auth_success is True
    assert first.user == "alice" and first.password == REDACTED and first.credentials_clear
    assert not first.tls
    # the second DATA was refused: the QUIT after it is a command, not message text
    assert second.mail_from == "" and second.rcpt_to == ("x@example.org",)
    assert second.last_reply_code == 554 and second.subject is None


def test_holes_cut_lines_and_reading_resumes() -> None:
    """Every segment cut at 40 bytes (a snap length): the line a hole cuts is dropped, the
    next command, message line or reply is read; both transactions are still logged, with
    what was seen whole (a multi-line reply a hole cut ends as far as it came)."""
    d = SmtpDissector(TCP)
    first, second = feed_snapped(d, CONV, 40)
    assert not d.done and d.server_name == "mail.example.org"
    assert (first.helo, first.mail_from, first.auth_success) == (
        "client.example.com", "bob@example.com", True)
    assert first.rcpt_to == () and first.header_from is None  # their lines were cut off
    assert second.mail_from == "" and second.rcpt_to == ("x@example.org",)
    def rows(events: list[Event]) -> list[tuple[object, ...]]:
        return [(e.mail_from, e.rcpt_to, e.subject, e.last_reply_code) for e in events]  # type: ignore[attr-defined]

    assert rows(feed_snapped(SmtpDissector(TCP), CONV, 1000)) == rows(feed(CONV)[1])  # no hole
    no_holes = SmtpDissector(TCP)
    no_holes.feed(b"220 mx\r\n", False, 1)
    assert no_holes.gap(True, 10) == [] and not no_holes.done  # (a hole: never the end)


def test_hole_inside_a_bdat_chunk_keeps_step() -> None:
    d = SmtpDissector(TCP)
    d.feed(b"220 mx ESMTP\r\n", False, 1)
    d.feed(b"EHLO a\r\nMAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nBDAT 20 LAST\r\nSubject: hi\r\n",
           True, 2)
    assert d.gap(True, 7) == []  # the rest of the 20-byte chunk never seen: in step
    d.feed(b"QUIT\r\n", True, 3)
    (row,) = d.feed(b"250 mx\r\n250 ok\r\n250 ok\r\n250 queued\r\n221 bye\r\n", False, 4)
    assert (row.subject, row.rcpt_to, row.last_reply_code) == ("hi", ("b@y",), 250)  # type: ignore[attr-defined]
    assert d.finish() == []


def test_show_passwords() -> None:
    _, events = feed(CONV, show_passwords=True)
    assert isinstance(events[0], SmtpRecord) and events[0].password == "s3cret"


@pytest.mark.parametrize("step", [1, 3, 17])
def test_split_feeding_gives_same_events(step: int) -> None:
    assert feed(CONV, step)[1] == feed(CONV)[1]


def test_client_direction_whole_before_server() -> None:
    """DATA is held until its 354 (or refusal) is known, so order across directions does
    not matter when the client's bytes come first (replies cannot precede their commands:
    a server direction fed whole first is not paired)."""
    client = b"".join(data for side, data in CONV if side)
    server = b"".join(data for side, data in CONV if not side)
    assert feed([(True, client), (False, server)])[1] == feed(CONV)[1]


def test_auth_login_exchange() -> None:
    conv = [
        (False, b"220 mx ESMTP\r\n"),
        (True, b"EHLO c\r\n"),
        (False, b"250-mx\r\n250 AUTH=LOGIN\r\n"),
        (True, b"AUTH LOGIN\r\n"),
        (False, b"334 VXNlcm5hbWU6\r\n"),
        (True, base64.b64encode(b"joe") + b"\r\n"),
        (False, b"334 UGFzc3dvcmQ6\r\n"),
        (True, base64.b64encode(b"pw") + b"\r\n"),
        (False, b"535 5.7.8 Authentication failed\r\n"),
    ]
    _, events = feed(conv, show_passwords=True)
    (row,) = events
    assert isinstance(row, SmtpRecord)
    assert row.auth_mechanisms_offered == ("LOGIN",)
    assert (row.user, row.password, row.credentials_clear) == ("joe", "pw", True)
    assert row.auth_success is False and row.mail_from is None


def test_starttls_accepted_stops() -> None:
    conv = [
        (False, b"220 mx.example.net ESMTP\r\n"),
        (True, b"EHLO c\r\n"),
        (False, b"250-mx\r\n250 STARTTLS\r\n"),
        (True, b"STARTTLS\r\n\x16\x03\x01\x00\x05hello"),  # TLS right behind the command
        (False, b"220 2.0.0 Ready to start TLS\r\n\x16\x03\x03"),
    ]
    d, events = feed(conv)
    (row,) = events
    assert isinstance(row, SmtpRecord) and row.tls and d.done
    assert row.last_reply_code == 220 and row.mail_from is None
    assert d.feed(b"\x17\x03\x03 more", True, 0) == []


def test_starttls_refused_goes_on() -> None:
    conv = [
        (False, b"220 mx ESMTP\r\n"),
        (True, b"STARTTLS\r\nMAIL FROM:<a@b>\r\n"),
        (False, b"454 4.7.0 TLS not available\r\n250 ok\r\n"),
    ]
    d, events = feed(conv)
    (row,) = events
    assert isinstance(row, SmtpRecord) and not row.tls and not d.done
    assert row.mail_from == "a@b" and row.last_reply_code == 250


def test_trailing_junk_from_server_is_ignored() -> None:
    junk = [*CONV, (False, b"\x00\x01 not a reply\r\n")]
    assert feed(junk)[1] == feed(CONV)[1]


def test_truncation_anywhere_never_crashes() -> None:
    whole = feed(CONV)[1]
    for cut in range(0, len(CONV[7][1]), 7):
        chunks = [*CONV[:7], (True, CONV[7][1][:cut])]
        _, events = feed(chunks)
        assert len(events) == 1  # the open transaction, emitted by finish()
        assert isinstance(events[0], SmtpRecord)
        assert events[0].mail_from == "bob@example.com"
    assert len(whole) == 2


@pytest.mark.parametrize("step", [0, 1000])
def test_overlong_lines_are_cut_short_and_reading_goes_on(step: int) -> None:
    """A server line past the bound (suricata-verify smtp-bug-5989: 5,000 bytes after the
    greeting) and a client one: each read cut short, one weird per direction (a Problem),
    the session's commands still read (Suricata logs that session's HELO)."""
    long = b"A" * (SMTP_MAX_LINE + 900)
    _, events = feed([
        (False, b"220 mx ESMTP\r\n" + long + b"\r\n" + long + b"\r\n"),
        (True, b"EHLO Percival\r\nMAIL FROM:<" + long + b">\r\nRCPT TO:<" + long + b">\r\n"),
        (False, b"250 mx\r\n250 ok\r\n250 ok\r\n"),
        (True, b"QUIT\r\n"),
        (False, b"221 bye\r\n"),
    ], step)  # fmt: skip
    problems = [e for e in events if isinstance(e, Problem)]
    assert len(problems) == 2 and all(isinstance(p.error, LimitExceeded) for p in problems)
    rows = [e for e in events if isinstance(e, SmtpRecord)]
    assert [r.helo for r in rows] == ["Percival"]
    assert rows[0].mail_from is not None and rows[0].mail_from.startswith("AAAA")


@pytest.mark.parametrize("open_before", [False, True])
def test_rset_pipelined_with_the_next_mail(open_before: bool) -> None:
    """RSET and the next MAIL in one segment (suricata-verify smtp-pipelined-rset-after-
    complete): the RSET's reply ends what was open before it (``open_before``: an abandoned
    envelope, its own row; else nothing), never the transaction the MAIL after it opens."""
    opened = [(True, b"MAIL FROM:<eve@example.com>\r\n"), (False, b"250 Ok\r\n")]
    _, events = feed([
        (False, b"220 mx ESMTP\r\n"), (True, b"EHLO c\r\n"), (False, b"250 mx\r\n"),
        (True, b"MAIL FROM:<alice@example.com>\r\nRCPT TO:<bob@example.com>\r\nDATA\r\n"),
        (False, b"250 Ok\r\n250 Ok\r\n354 Go\r\n"),
        (True, b"Subject: one\r\n\r\nx\r\n.\r\n"), (False, b"250 queued\r\n"),
        *(opened if open_before else []),
        (True, b"RSET\r\nMAIL FROM:<bob@example.com>\r\n"), (False, b"250 Ok\r\n250 Ok\r\n"),
        (True, b"RCPT TO:<alice@example.com>\r\nDATA\r\n"), (False, b"250 Ok\r\n354 Go\r\n"),
        (True, b"Subject: two\r\n\r\ny\r\n.\r\n"), (False, b"250 queued\r\n"),
    ])  # fmt: skip
    rows = [(e.mail_from, e.rcpt_to, e.subject) for e in events if isinstance(e, SmtpRecord)]
    assert rows == [("alice@example.com", ("bob@example.com",), "one"),
                    *([("eve@example.com", (), None)] if open_before else []),
                    ("bob@example.com", ("alice@example.com",), "two")]


@pytest.mark.parametrize("pipelined", [False, True])
def test_a_refused_nested_mail_leaves_the_envelope_open(pipelined: bool) -> None:
    """A second MAIL while an envelope is open, refused (503 nested MAIL: suricata-verify
    ruletype-firewall-132): the first envelope gets the RCPT and the message (also when the
    RCPT was pipelined before the refusal came); the refused MAIL is a row of its own."""
    nested = b"MAIL FROM:<bob@example.com>\r\n"
    rcpt = b"RCPT TO:<bob@example.com>\r\n"
    exchange = ([(True, nested + rcpt), (False, b"503 nested MAIL\r\n250 Ok\r\n")] if pipelined
                else [(True, nested), (False, b"503 nested MAIL\r\n"), (True, rcpt),
                      (False, b"250 Ok\r\n")])
    _, events = feed([
        (False, b"220 mx ESMTP\r\n"), (True, b"HELO c\r\n"), (False, b"250 mx\r\n"),
        (True, b"MAIL FROM:<alice@example.com>\r\n"), (False, b"250 Ok\r\n"), *exchange,
        (True, b"DATA\r\n"), (False, b"354 Go\r\n"),
        (True, b"Subject: nested\r\n\r\nx\r\n.\r\n"), (False, b"250 queued\r\n"),
    ])  # fmt: skip
    rows = [(e.mail_from, e.rcpt_to, e.subject, e.last_reply_code) for e in events
            if isinstance(e, SmtpRecord)]
    assert rows == [("bob@example.com", (), None, 503),
                    ("alice@example.com", ("bob@example.com",), "nested", 250)]


def test_overlong_message_line_is_skipped() -> None:
    conv = [
        *CONV[:7],
        (True, b"Subject: x\r\n\r\n" + b"b" * 20000 + b"\r\n.\r\n"),
        (False, b"250 ok\r\n"),
    ]
    _, events = feed(conv)
    assert isinstance(events[0], SmtpRecord) and events[0].subject == "x"
    assert events[0].last_reply_code == 250


@pytest.mark.parametrize(
    "payload",
    [
        b"220 mail.example.org ESMTP Postfix\r\n",
        b"220-smtp.example.com ESMTP ready\r\n220 more\r\n",
        b"220 mail.example.org ready\r\n",  # neither SMTP nor FTP: the port decides
        b"EHLO client.example.com\r\n",
        b"helo me\r\n",
    ],
)
def test_matches(payload: bytes) -> None:
    assert SmtpDissector.matches(payload, TCP, True)


@pytest.mark.parametrize(
    "payload",
    [
        b"220 (vsFTPd 3.0.3)\r\n",  # FTP
        b"220 ProFTPD Server ready\r\n",
        b"220 mail.example.org ESMTP",  # no line end yet
        b"220 bad\x00line\r\n",
        b"SSH-2.0-OpenSSH_9.0\r\n",
        b"GET / HTTP/1.1\r\n",
        b"EHLO\r\n",
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",
        b"+OK POP3 ready\r\n",
        b"* OK IMAP4rev1\r\n",
    ],
)
def test_does_not_match(payload: bytes) -> None:
    assert not SmtpDissector.matches(payload, TCP, True)
    assert not SmtpDissector.matches(b"220 mx ESMTP\r\n", 17, True)


def _capture(path: Path) -> list[tuple[SmtpDissector, list[Event]]]:
    if not path.exists():
        pytest.skip(f"capture {path.name} not found under {DATA}")
    out = []
    for flow in flows(path):
        if flow.proto != TCP or not flow.chunks:
            continue
        d = SmtpDissector(TCP)
        events: list[Event] = []
        for side, data, ts in flow.chunks:
            events += d.feed(data, side, ts)
        out.append((d, events + d.finish()))
    return out


needs_data = pytest.mark.skipif(not DATA.is_dir(), reason=f"shared captures not found at {DATA}")


@needs_data
def test_real_ndpi_smtp() -> None:
    """Checked with tshark: -Y 'smtp.req.command == "RCPT"' counts 30 recipients in the
    first packets; imf.subject 'Take into The would, for'; the greeting names
    pigeon.eyrie.af.mil."""
    ((d, events),) = _capture(NDPI / "smtp.pcap")
    assert SmtpDissector.matches(b"220 pigeon.eyrie.af.mil ESMTP Sendmail\r\n", TCP, False)
    (row,) = events
    assert isinstance(row, SmtpRecord)
    assert d.server_name == "pigeon.eyrie.af.mil" and row.helo == "delta.peach.mil"
    assert row.mail_from == "coreys@delta.peach.mil" and len(row.rcpt_to) == 30
    assert row.subject == "Take into The would, for" and row.last_reply_code == 250


@needs_data
def test_real_ndpi_starttls() -> None:
    """nDPI names both flows SMTPS (STARTTLS upgraded): both rows say tls."""
    results = _capture(NDPI / "smtp-starttls.pcap")
    assert len(results) == 2
    for d, events in results:
        assert d.done and [e.tls for e in events if isinstance(e, SmtpRecord)] == [True]


@needs_data
def test_real_zeek_multi_addr() -> None:
    """Zeek testing smtp-multi-addr.pcap; its smtp.log baseline (attachment tests) lists
    the same helo/mailfrom/rcptto/subject/msg_id fields."""
    ((d, events),) = _capture(ZEEK / "smtp-multi-addr.pcap")
    (row,) = events
    assert isinstance(row, SmtpRecord)
    assert row.helo == "gras-os-desk.cern.ch" and row.mail_from == "root@gras-os-desk.cern.ch"
    assert row.rcpt_to == ("jan.grashofer@cern.ch",) and row.subject == "Testmail"
    assert row.msg_id == "<201512082130.tB8LU0vs014629@gras-os-desk.cern.ch>"
    assert d.server_name == "cernmxlb4.cern.ch"


# -- fuzz ---------------------------------------------------------------------------------


def _run(cls: type[Dissector], chunks: list[tuple[bool, bytes]], step: int) -> None:
    d = cls(TCP)
    try:
        for from_orig, data in chunks:
            for i in range(0, len(data), max(step, 1)):
                out = d.feed(data[i : i + max(step, 1)], from_orig, 0)
                assert isinstance(out, list) and all(isinstance(e, Event) for e in out)
        assert all(isinstance(e, Event) for e in d.finish())
    except ParseError:
        pass


@settings(max_examples=150, deadline=250, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.tuples(st.booleans(), st.binary(max_size=300)), max_size=8),
    st.integers(0, 40),
    st.integers(0, len(CONV) - 1),
    st.binary(max_size=40),
)
def test_fuzz(chunks: list[tuple[bool, bytes]], step: int, at: int, noise: bytes) -> None:
    """Invariant: any input, in any split, after a valid prefix or not, yields events or
    raises ParseError within 250 ms, and ``matches`` never raises."""
    mutated = [*CONV[:at], (CONV[at][0], CONV[at][1][: len(noise)] + noise), *chunks]
    _run(SmtpDissector, mutated, step)
    _run(SmtpDissector, chunks, step)
    for _, data in chunks:
        SmtpDissector.matches(data, TCP, True)


@pytest.mark.parametrize("step", [0, 1, 7])
def test_headers_of_a_message_sent_in_bdat_chunks(step: int) -> None:
    """RFC 3030 CHUNKING: the message's octets follow ``BDAT size [LAST]`` (pipelined here,
    as Exim and Exchange do), without dot-stuffing; a header line may run into the next
    chunk, and a chunk may end the header section."""
    first = b"From: Bob <bob@example.com>\r\nSubject: Quarterly "
    second = b"report\r\n\r\n.body line\r\n"
    _, events = feed([
        (False, b"220 mx ESMTP\r\n"), (True, b"EHLO c\r\n"), (False, b"250 CHUNKING\r\n"),
        (True, b"MAIL FROM:<bob@example.com>\r\nRCPT TO:<carol@example.org>\r\n"
               b"BDAT %d\r\n" % len(first) + first + b"BDAT %d LAST\r\n" % len(second) + second),
        (False, b"250 Ok\r\n250 Ok\r\n250 chunk\r\n250 queued\r\n"),
        (True, b"QUIT\r\n"), (False, b"221 Bye\r\n"),
    ], step)
    (row,) = [e for e in events if isinstance(e, SmtpRecord) and e.mail_from]
    assert (row.subject, row.header_from, row.last_reply_code) == (
        "Quarterly report", "Bob <bob@example.com>", 250)


def test_message_after_an_unanswered_data_is_read_at_the_end() -> None:
    """A capture of the client's side only: no 354 came, but the client sent the message;
    at the flow's end the held bytes are read as it (Zeek's smtp-attachment-msg trace)."""
    _, events = feed([(True, b"EHLO c\r\nMAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.org>\r\n"),
                      (True, b"DATA\r\n"),
                      (True, b"From: a@example.com\r\nSubject: subject\r\n\r\nbody\r\n.\r\n")])
    (row,) = [e for e in events if isinstance(e, SmtpRecord)]
    assert (row.mail_from, row.subject) == ("a@example.com", "subject")


def test_auth_ntlm_exchange_names_the_user() -> None:
    """AUTH NTLM (Exchange's MS-SMTPX): NEGOTIATE, the server's CHALLENGE, AUTHENTICATE,
    whose DOMAIN\\user names the session's user; no password crosses in clear."""
    from wl_dissect_builders import ntlm_sasl_legs

    conv = [
        (False, b"220 mx ESMTP\r\n"),
        (True, b"EHLO c\r\n"),
        (False, b"250-mx\r\n250 AUTH NTLM LOGIN\r\n"),
        (True, b"AUTH NTLM\r\n"),
        (False, b"334 \r\n"),
        *ntlm_sasl_legs("joe", b"334 "),
        (False, b"235 2.7.0 Authentication successful\r\n"),
        (True, b"QUIT\r\n"),
        (False, b"221 2.0.0 Bye\r\n"),
    ]
    _, events = feed(conv)
    (row,) = events
    assert isinstance(row, SmtpRecord)
    assert (row.auth_mechanism, row.user, row.password, row.credentials_clear, row.auth_success) == (
        "NTLM", "CORP\\joe", None, False, True)
