"""IMAP dissector: tagged pairing, literals, capabilities, LOGIN/AUTHENTICATE, STARTTLS,
splits, trailing junk, truncation, limits, real captures, and a fuzz test."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from wl_dissect_builders import feed_snapped
from wl_mini_pcap import flows

from wirelens.dissect.base import Event, Problem
from wirelens.dissect.imap import IMAP_MAX_LINE, ImapDissector, ImapRecord
from wirelens.dissect.lines import REDACTED
from wirelens.wire import LimitExceeded, ParseError

TCP = 6
DATA = Path(__file__).resolve().parents[3] / ".." / "shared" / "data"
NDPI = DATA / "nDPI" / "tests" / "cfgs" / "default" / "pcap"
needs_data = pytest.mark.skipif(not DATA.is_dir(), reason=f"shared captures not found at {DATA}")

CONV: list[tuple[bool, bytes]] = [
    (False, b"* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] Dovecot ready.\r\n"),
    (True, b"a1 CAPABILITY\r\n"),
    (False, b"* CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN AUTH=XOAUTH2\r\na1 OK done\r\n"),
    (True, b'a2 LOGIN "jo \\"q\\"" {3}\r\npw1\r\n'),
    (False, b"a2 NO [AUTHENTICATIONFAILED] bad\r\n"),
    (True, b"a3 AUTHENTICATE PLAIN\r\n"),
    (False, b"+ \r\n"),
    (True, base64.b64encode(b"\x00kim\x00pw2") + b"\r\n"),
    (False, b"a3 OK logged in\r\n"),
    (True, b"a4 FETCH 1 BODY[]\r\n"),
    (False, b"* 1 FETCH (BODY[] {24}\r\na4 OK fake\r\nmore text\r\n)\r\na4 OK Fetch completed\r\n"),
]


def feed(
    chunks: list[tuple[bool, bytes]], step: int = 0, **kw: bool
) -> tuple[ImapDissector, list[Event]]:
    """Feed chunks (whole, or ``step`` bytes at a time), then finish."""
    d = ImapDissector(TCP, **kw)
    out: list[Event] = []
    for from_orig, data in chunks:
        parts = [data] if step <= 0 else [data[i : i + step] for i in range(0, len(data), step)]
        for part in parts:
            out += d.feed(part, from_orig, 1)
    return d, out + d.finish()


def test_holes_cut_lines_and_reading_resumes() -> None:
    """Every segment cut at 30 bytes (a snap length): a status line a hole cuts counts with
    its text so far; statuses lost in holes leave their commands unanswered (they pair by
    tag: nothing shifts); a hole inside a literal is counted."""
    d = ImapDissector(TCP)
    rows = feed_snapped(d, CONV, 30)
    assert not d.done and [(r.tag, r.command, r.status) for r in rows] == [  # type: ignore[attr-defined]
        ("a2", "LOGIN", "NO"), ("a3", "AUTHENTICATE", "OK"), ("a1", "CAPABILITY", None),
        ("a4", "FETCH", None)]
    literal = ImapDissector(TCP)
    literal.feed(b"* OK ready\r\n", False, 1)
    literal.feed(b"b1 APPEND inbox {100}\r\nFrom: a", True, 2)
    assert literal.gap(True, 93) == []  # the rest of the literal: counted, in step
    literal.feed(b"\r\n", True, 3)
    (row,) = literal.feed(b"b1 OK appended\r\n", False, 4)
    assert (row.tag, row.command, row.status) == ("b1", "APPEND", "OK")  # type: ignore[attr-defined]


def test_tagged_commands() -> None:
    _, events = feed(CONV)
    rows = [e for e in events if isinstance(e, ImapRecord)]
    assert [(r.tag, r.command, r.status) for r in rows] == [
        ("a1", "CAPABILITY", "OK"), ("a2", "LOGIN", "NO"), ("a3", "AUTHENTICATE", "OK"),
        ("a4", "FETCH", "OK"),
    ]  # fmt: skip
    cap, login, auth, fetch = rows
    assert cap.banner == "[CAPABILITY IMAP4rev1 AUTH=PLAIN] Dovecot ready."
    assert cap.auth_mechanisms_offered == ("PLAIN", "XOAUTH2")
    assert login.user == 'jo "q"' and login.password == REDACTED and login.credentials_clear
    assert login.arg == f'jo "q" {REDACTED}' and login.status_msg == "[AUTHENTICATIONFAILED] bad"
    assert auth.auth_mechanism == "PLAIN" and auth.user == "kim" and auth.password == REDACTED
    assert fetch.status_msg == "Fetch completed"  # the literal's "a4 OK fake" was skipped


def test_show_passwords() -> None:
    _, events = feed(CONV, show_passwords=True)
    rows = [e for e in events if isinstance(e, ImapRecord)]
    assert rows[1].password == "pw1" and rows[2].password == "pw2"


@pytest.mark.parametrize("step", [1, 6, 19])
def test_split_feeding_gives_same_events(step: int) -> None:
    assert feed(CONV, step)[1] == feed(CONV)[1]


def test_client_direction_whole_first() -> None:
    client = b"".join(d for s, d in CONV if s)
    server = b"".join(d for s, d in CONV if not s)
    assert feed([(True, client), (False, server)])[1] == feed(CONV)[1]


def test_starttls_accepted_stops() -> None:
    conv = [
        (False, b"* OK ready\r\n"),
        (True, b"s STARTTLS\r\n\x16\x03\x01\x00"),
        (False, b"s OK Begin TLS\r\n"),
    ]
    d, events = feed(conv)
    assert d.done and [(e.command, e.tls) for e in events if isinstance(e, ImapRecord)] == [
        ("STARTTLS", True)
    ]


def test_trailing_junk_and_truncation() -> None:
    whole = feed(CONV)[1]
    assert feed([*CONV, (False, b"\x00junk\r\n")])[1] == whole
    _, cut = feed([*CONV[:2], (True, b"a2 LOGIN x {5}\r\npw")])
    assert [e.tag for e in cut if isinstance(e, ImapRecord)] == ["a1"]


def test_overlong_command_is_cut_short_and_reading_goes_on() -> None:
    _, events = feed([CONV[0], (True, b"a1 SEARCH " + b"1," * IMAP_MAX_LINE + b"\r\n"),
                      (False, b"a1 BAD too long\r\n"), (True, b"a2 LOGOUT\r\n"),
                      (False, b"a2 OK bye\r\n")])
    assert [type(p.error) for p in events if isinstance(p, Problem)] == [LimitExceeded]
    assert [(r.tag, r.status) for r in events if isinstance(r, ImapRecord)] == [
        ("a1", "BAD"), ("a2", "OK")]


@pytest.mark.parametrize(
    "payload", [b"* OK IMAP4rev1 ready\r\n", b"* PREAUTH logged in\r\n", b"* OK\r\n"]
)
def test_matches(payload: bytes) -> None:
    assert ImapDissector.matches(payload, TCP, False)


@pytest.mark.parametrize(
    "payload", [b"* OKAY\r\n", b"* OK ready", b"+OK\r\n", b"* BYE\r\n", b"\x00* OK x\r\n"]
)
def test_does_not_match(payload: bytes) -> None:
    assert not ImapDissector.matches(payload, TCP, False)


@needs_data
def test_real_ndpi_imap() -> None:
    """nDPI's imap.pcap.out names [User: samir]; tshark shows LOGIN samir and AUTH=LOGIN,
    AUTH=PLAIN, AUTH=CRAM-MD5 in the CAPABILITY response."""
    path = NDPI / "imap.pcap"
    if not path.exists():
        pytest.skip(f"capture {path.name} not found")
    (flow,) = [f for f in flows(path) if f.proto == TCP]
    d = ImapDissector(TCP)
    events: list[Event] = []
    for side, data, ts in flow.chunks:
        events += d.feed(data, side, ts)
    rows = [e for e in events + d.finish() if isinstance(e, ImapRecord)]
    assert [r.command for r in rows] == ["CAPABILITY", "LOGIN", "LIST", "LSUB", "SELECT", "UID"]
    assert all(r.status == "OK" for r in rows)
    assert rows[1].user == "samir" and rows[1].credentials_clear
    assert rows[0].auth_mechanisms_offered == ("LOGIN", "PLAIN", "CRAM-MD5")
    assert rows[0].banner == "IMAP4Rev1 Server Version 4.9.04.012"


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
        ImapDissector.matches(data, TCP, True)


def test_authenticate_ntlm_names_the_user() -> None:
    """AUTHENTICATE NTLM (MS-OXIMAP): NEGOTIATE, the server's CHALLENGE, AUTHENTICATE; the
    session's rows name DOMAIN\\user, and the next command is read as one."""
    from wl_dissect_builders import ntlm_sasl_legs

    conv = [
        (False, b"* OK IMAP4rev1 ready\r\n"),
        (True, b"a1 AUTHENTICATE NTLM\r\n"),
        (False, b"+ \r\n"),
        *ntlm_sasl_legs("kim", b"+ "),
        (False, b"a1 OK logged in\r\n"),
        (True, b"a2 LOGOUT\r\n"),
        (False, b"* BYE\r\na2 OK bye\r\n"),
    ]
    _, events = feed(conv)
    rows = [e for e in events if isinstance(e, ImapRecord)]
    assert [(r.tag, r.command, r.status, r.user) for r in rows] == [
        ("a1", "AUTHENTICATE", "OK", "CORP\\kim"), ("a2", "LOGOUT", "OK", "CORP\\kim")]
