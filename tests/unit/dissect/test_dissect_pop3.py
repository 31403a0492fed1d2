"""POP3 dissector: status pairing, multi-line responses, CAPA SASL, AUTH, STLS, splits,
trailing junk, truncation, limits, real captures, and a fuzz test."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from wl_dissect_builders import feed_snapped
from wl_mini_pcap import flows

from wirelens.dissect.base import Event, Problem
from wirelens.dissect.lines import REDACTED
from wirelens.dissect.pop3 import POP3_MAX_LINE, Pop3Dissector, Pop3Record
from wirelens.wire import LimitExceeded, ParseError

TCP = 6
DATA = Path(__file__).resolve().parents[3] / ".." / "shared" / "data"
NDPI = DATA / "nDPI" / "tests" / "cfgs" / "default" / "pcap"
SURICATA = DATA / "suricata-verify" / "tests"
needs_data = pytest.mark.skipif(not DATA.is_dir(), reason=f"shared captures not found at {DATA}")

CONV: list[tuple[bool, bytes]] = [
    (False, b"+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>\r\n"),
    (True, b"CAPA\r\n"),
    (False, b"+OK Capability list follows\r\nTOP\r\nUSER\r\nSASL PLAIN LOGIN\r\nSTLS\r\n.\r\n"),
    (True, b"USER mrose\r\nPASS tanstaaf\r\n"),
    (False, b"+OK mrose\r\n+OK maildrop has 1 message\r\n"),
    (True, b"RETR 1\r\n"),
    (False, b"+OK 120 octets\r\nSubject: x\r\n\r\n..+OK not a status\r\n.\r\n"),
    (True, b"AUTH PLAIN\r\n"),
    (False, b"+ \r\n"),
    (True, base64.b64encode(b"\x00bob\x00pw2") + b"\r\n"),
    (False, b"-ERR [AUTH] no\r\n"),
    (True, b"QUIT\r\n"),
    (False, b"+OK bye\r\n"),
]


def feed(
    chunks: list[tuple[bool, bytes]], step: int = 0, **kw: bool
) -> tuple[Pop3Dissector, list[Event]]:
    """Feed chunks (whole, or ``step`` bytes at a time), then finish."""
    d = Pop3Dissector(TCP, **kw)
    out: list[Event] = []
    for from_orig, data in chunks:
        parts = [data] if step <= 0 else [data[i : i + step] for i in range(0, len(data), step)]
        for part in parts:
            out += d.feed(part, from_orig, 1)
    return d, out + d.finish()


def test_holes_cut_lines_and_reading_resumes() -> None:
    """Every segment cut at 20 bytes (a snap length): a cut command is lost, a cut status
    line counts, a multi-line response reads on to its ``.`` line or, when a hole was in
    it, to a status line; statuses pair in step with the commands seen."""
    d = Pop3Dissector(TCP)
    rows = feed_snapped(d, CONV, 20)
    assert not d.done and [(r.command, r.status) for r in rows] == [  # type: ignore[attr-defined]
        ("CAPA", "+OK"), ("USER", "+OK"), ("RETR", "+OK"), ("AUTH", "-ERR"), ("QUIT", "+OK")]
    # (the PASS line was cut: lost; each listing's "." was in a hole: a status line ends it)
    listing = Pop3Dissector(TCP)
    listing.feed(b"+OK ready\r\n", False, 1)
    listing.feed(b"RETR 1\r\n", True, 2)
    listing.feed(b"+OK 900 octets\r\nSubject: a long subj", False, 3)
    listing.gap(False, 500)
    listing.feed(b"+OK inside the message\r\nend of it\r\n.\r\n", False, 4)  # body lines
    listing.feed(b"QUIT\r\n", True, 5)
    (quit_row,) = listing.feed(b"+OK bye\r\n", False, 6)
    assert (quit_row.command, quit_row.status) == ("QUIT", "+OK")  # type: ignore[attr-defined]


def test_commands_and_statuses() -> None:
    _, events = feed(CONV)
    rows = [e for e in events if isinstance(e, Pop3Record)]
    assert [(r.command, r.status) for r in rows] == [
        ("CAPA", "+OK"), ("USER", "+OK"), ("PASS", "+OK"), ("RETR", "+OK"), ("AUTH", "-ERR"),
        ("QUIT", "+OK"),
    ]  # fmt: skip
    capa, user, pw, retr, auth, quit_ = rows
    assert capa.banner == "POP3 server ready <1896.697170952@dbc.mtview.ca.us>"
    assert capa.auth_mechanisms_offered == () and user.auth_mechanisms_offered == ("PLAIN", "LOGIN")
    assert user.user == "mrose" and not user.credentials_clear and user.password is None
    assert pw.arg == REDACTED and pw.password == REDACTED and pw.credentials_clear
    assert retr.status_msg == "120 octets"  # the message's "+OK" line was not a status
    assert auth.auth_mechanism == "PLAIN" and auth.user == "bob" and auth.status_msg == "[AUTH] no"
    assert quit_.user == "bob" and not quit_.tls


def test_show_passwords() -> None:
    _, events = feed(CONV, show_passwords=True)
    assert [e.password for e in events if isinstance(e, Pop3Record)][2::2] == ["tanstaaf", "pw2"]


@pytest.mark.parametrize("step", [1, 5, 11])
def test_split_feeding_gives_same_events(step: int) -> None:
    assert feed(CONV, step)[1] == feed(CONV)[1]


def test_client_direction_whole_first() -> None:
    client = b"".join(d for s, d in CONV if s)
    server = b"".join(d for s, d in CONV if not s)
    assert feed([(True, client), (False, server)])[1] == feed(CONV)[1]


def test_stls_accepted_stops() -> None:
    conv = [
        (False, b"+OK hi\r\n"),
        (True, b"STLS\r\n\x16\x03\x01\x00\xa3\x01"),
        (False, b"+OK Begin TLS\r\n"),
    ]
    d, events = feed(conv)
    assert d.done and [(e.command, e.tls) for e in events if isinstance(e, Pop3Record)] == [
        ("STLS", True)
    ]


def test_trailing_junk_and_truncation() -> None:
    whole = feed(CONV)[1]
    assert feed([*CONV, (False, b"\x01\x02junk\r\n")])[1] == whole
    _, cut = feed([*CONV[:3], (True, b"USER a\r\n"), (False, b"+OK")])
    last = cut[-1]
    assert isinstance(last, Pop3Record) and last.command == "USER" and last.status is None


def test_overlong_command_is_cut_short_and_reading_goes_on() -> None:
    _, events = feed([CONV[0], (True, b"USER " + b"u" * (POP3_MAX_LINE + 1) + b"\r\nQUIT\r\n"),
                      (False, b"-ERR too long\r\n+OK bye\r\n")])
    assert [type(p.error) for p in events if isinstance(p, Problem)] == [LimitExceeded]
    assert [(r.command, r.status) for r in events if isinstance(r, Pop3Record)] == [
        ("USER", "-ERR"), ("QUIT", "+OK")]


@pytest.mark.parametrize(
    "payload", [b"+OK POP3 ready\r\n", b"+OK\r\n", b"+OK \xb9\xfe CMailServer\r\n"]
)
def test_matches(payload: bytes) -> None:
    assert Pop3Dissector.matches(payload, TCP, False)


@pytest.mark.parametrize(
    "payload",
    [
        b"+OKAY\r\n",
        b"+OK ready",
        b"-ERR no\r\n",
        b"* OK IMAP\r\n",
        b"220 x\r\n",
        b"+OK\x00\x01\r\n",
    ],
)
def test_does_not_match(payload: bytes) -> None:
    assert not Pop3Dissector.matches(payload, TCP, False)


def _capture(path: Path) -> list[tuple[Pop3Dissector, list[Event]]]:
    if not path.exists():
        pytest.skip(f"capture {path.name} not found under {DATA}")
    out = []
    for flow in flows(path):
        if flow.proto != TCP or 110 not in (flow.orig[1], flow.resp[1]):
            continue
        d = Pop3Dissector(TCP)
        events: list[Event] = []
        for side, data, ts in flow.chunks:
            events += d.feed(data, side, ts)
        out.append((d, events + d.finish()))
    return out


@needs_data
def test_real_ndpi_pop3_stls() -> None:
    """nDPI calls the flow POPS (upgraded by STLS); tshark: AUTH -ERR, CAPA +OK, STLS +OK."""
    ((d, events),) = _capture(NDPI / "pop3_stls.pcap")
    assert d.done
    assert [(e.command, e.status, e.tls) for e in events if isinstance(e, Pop3Record)] == [
        ("AUTH", "-ERR", False), ("CAPA", "+OK", False), ("STLS", "+OK", True),
    ]  # fmt: skip


@needs_data
def test_real_suricata_pop3_login() -> None:
    """suricata-verify pop3-02-bug-7709: USER test@tt.com, PASS refused (-ERR)."""
    results = _capture(SURICATA / "pop3-02-bug-7709" / "input.pcap")
    first = [e for e in results[0][1] if isinstance(e, Pop3Record)]
    assert [(e.command, e.status, e.user) for e in first] == [
        ("USER", "+OK", "test@tt.com"), ("PASS", "-ERR", "test@tt.com"), ("QUIT", "+OK", "test@tt.com"),
    ]  # fmt: skip
    assert first[1].credentials_clear and first[1].password == REDACTED


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
        Pop3Dissector.matches(data, TCP, True)


def test_auth_ntlm_names_the_user() -> None:
    """AUTH NTLM: NEGOTIATE, the server's CHALLENGE, AUTHENTICATE; the row names
    DOMAIN\\user, and QUIT is read as a command."""
    from wl_dissect_builders import ntlm_sasl_legs

    conv = [
        (False, b"+OK ready\r\n"),
        (True, b"AUTH NTLM\r\n"),
        (False, b"+ \r\n"),
        *ntlm_sasl_legs("bob", b"+ "),
        (False, b"+OK logged in\r\n"),
        (True, b"QUIT\r\n"),
        (False, b"+OK bye\r\n"),
    ]
    _, events = feed(conv)
    rows = [e for e in events if isinstance(e, Pop3Record)]
    assert [(r.command, r.status, r.user) for r in rows] == [
        ("AUTH", "+OK", "CORP\\bob"), ("QUIT", "+OK", "CORP\\bob")]
