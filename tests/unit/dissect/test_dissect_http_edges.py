"""HTTP/1.x edge cases found against Zeek's and suricata-verify's captures: HTTP/0.9, an empty
request target, a CONNECT whose reply is never seen, a request line cut by the close, a TCP
hole swallowing a whole body. Each on a hand-built stream and on the real capture (skipped
when the shared captures are absent)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from wl_dissect_builders import feed_all, problems

from wirelens.dissect.base import BY_CONTENT
from wirelens.dissect.http import TUNNEL_PEEK_BYTES, HttpDissector, HttpRecord
from wirelens.dissect.registry import identify
from wirelens.identify import Service, classify
from wirelens.wire import BadValue

TCP = 6
DATA = Path(__file__).resolve().parents[3] / ".." / "shared" / "data"
ZEEK_HTTP = DATA / "zeek" / "testing" / "btest" / "Traces" / "http"
SURICATA = DATA / "suricata-verify" / "tests"

URI_09 = (b"/cgi-bin/formmail.pl?email=f2@aol.com&subject=www-nrg.ee/cgi-bin/formmail.pl"
          b"&recipient=unknownz@buy2save.com&msg=w00t")  # fmt: skip


def rows(events: list[Any]) -> list[tuple[Any, ...]]:
    """(method, host, uri, version, status, response body length) of each record."""
    assert all(isinstance(e, HttpRecord) for e in events)
    return [(e.method, e.host, e.uri, e.version, e.status_code, e.response_body_len)
            for e in events]  # fmt: skip


def fast_path(payload: bytes, sport: int = 40000, dport: int = 80) -> tuple[Service, str | None]:
    """The compiled classifier's service and name for one payload."""
    data = np.frombuffer(b"\x00" * 3 + payload, np.uint8)
    got = classify(data, np.array([3]), np.array([len(payload)]), np.array([TCP]),
                   np.array([0]), np.array([sport]), np.array([dport]))  # fmt: skip
    return got.service_of(0), got.name(0)


def http_rows(path: Path) -> list[dict[str, Any]]:
    """The http table of one capture through the whole pipeline (compiled identification
    included), in time order."""
    if not path.is_file():
        pytest.skip(f"shared capture not found: {path} (see {DATA}/README.md)")
    import wirelens

    table = wirelens.analyze(path).tables.get("http")
    return [] if table is None else sorted(table.to_pylist(), key=lambda r: r["trans_depth"])


# -- HTTP/0.9 (RFC 1945 §4.1, §6) -------------------------------------------------------------


@pytest.mark.parametrize("step", [0, 1, 7])
def test_simple_request_answered_by_raw_body(step: int) -> None:
    reply = b"<HTML><BODY>404 Not Found</BODY></HTML>\n"
    events = feed_all(HttpDissector, [(True, b"GET " + URI_09 + b"\r\n"), (False, reply)], TCP,
                      step=step)  # fmt: skip
    assert rows(events) == [("GET", None, URI_09.decode(), "0.9", None, len(reply))]
    assert events[0].status_msg is None  # type: ignore[attr-defined]


def test_simple_request_body_looks_like_headers_still_raw() -> None:
    """The reply to a 0.9 request is raw even when it starts like a 1.x response: a
    Content-Length in it frames nothing (Zeek's http-09-content-length-confusion)."""
    reply = b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nabcdef"
    events = feed_all(HttpDissector, [(True, b"GET /x\n"), (False, reply)], TCP)
    assert rows(events) == [("GET", None, "/x", "0.9", None, len(reply))]


def test_response_before_a_simple_request_ends_there() -> None:
    """A response read before any request, its body still open, ends when a 0.9 request
    arrives: the server's next bytes are that request's raw reply."""
    d = HttpDissector(TCP)
    assert d.feed(b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\n", False, 1) == []
    first = d.feed(b"GET /\r\n", True, 2)
    assert rows(first) == [(None, None, None, "1.1", 200, 0)]
    assert d.feed(b"\r\n", True, 3) == []  # an empty line between messages
    assert d.feed(b"this is too much.\r\n", False, 4) == []
    assert rows(d.finish()) == [("GET", None, "/", "0.9", None, 19)]


@pytest.mark.parametrize("line", [
    b"GET /\r\n", b"GET /a%20b?c\n", b"HEAD http://example.com/x\r\n", b"POST svn+ssh://h/p\r\n",
])  # fmt: skip
def test_simple_request_lines_match_both_paths(line: bytes) -> None:
    assert HttpDissector.matches(line, TCP, True)
    assert identify(line, TCP, True, 40000, 80) is HttpDissector
    assert fast_path(line) == (Service.HTTP, None)  # no headers, so no Host


@pytest.mark.parametrize("line", [
    b"GET  /\r\n",  # two spaces
    b"GET /x \r\n",  # a trailing space
    b"GET x\r\n",  # neither "/" nor an absolute URI
    b"GET 1http://x\r\n",  # a scheme starts with a letter
    b"GET http:/x\r\n",
    b"FETCH /x\r\n",  # not a known method
    b"get /x\r\n",  # methods are case-sensitive (RFC 9110 §9.1)
    b"GET /a b\r\n",
    b"GET\r\n",
    b"Hello world\r\n",
])  # fmt: skip
def test_random_text_lines_are_not_http(line: bytes) -> None:
    assert not HttpDissector.matches(line, TCP, True)
    assert fast_path(line)[0] is Service.UNKNOWN
    # nor a request of an HTTP flow: damage
    assert problems(feed_all(HttpDissector, [(True, b"GET / HTTP/1.1\r\n\r\n" + line)], TCP)) == [
        BadValue]


def test_client_bytes_after_a_simple_request_are_not_requests() -> None:
    """RFC 1945 §1.3: the 0.9 exchange ends the connection; what the client sends after it
    is neither a request nor an error, and gives no Host (nor does the fast path)."""
    for tail in (b"Host: a.example\r\n\r\n", b"x HTTP/1.1\r\nHost: a.example\r\n\r\n"):
        d = HttpDissector(TCP)
        assert d.feed(b"GET /\r\n" + tail, True, 1) == [] and d.server_name is None
        assert rows(d.finish()) == [("GET", None, "/", "0.9", None, 0)]
        assert fast_path(b"GET /\r\n" + tail) == (Service.HTTP, None)


def test_zeek_no_version_capture() -> None:
    got = http_rows(ZEEK_HTTP / "no-version.pcap")
    assert [(r["method"], r["host"], r["uri"], r["version"], r["status_code"],
             r["response_body_len"]) for r in got] == [  # fmt: skip
        ("GET", None, URI_09.decode(), "0.9", None, 323)]


def test_zeek_http09_content_length_confusion_capture() -> None:
    got = http_rows(ZEEK_HTTP / "http-09-content-length-confusion.pcap")
    assert [(r["method"], r["uri"], r["version"], r["status_code"], r["response_body_len"])
            for r in got] == [(None, None, "1.1", 200, 0), ("GET", "/", "0.9", None, 19)]


# -- empty request target ---------------------------------------------------------------------


def test_empty_request_target() -> None:
    """``GET HTTP/1.1``: the target is empty (Zeek logs uri ""), the version is read."""
    head = b"GET HTTP/1.1\r\n1234567890User-Agent: Wget\r\nHost: bro.org\r\n\r\n"
    events = feed_all(HttpDissector, [(True, head),
                                      (False, b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")],
                      TCP)  # fmt: skip
    assert rows(events) == [("GET", "bro.org", "", "1.1", 200, 2)]
    assert HttpDissector.matches(head, TCP, True)
    assert fast_path(head) == (Service.HTTP, "bro.org")
    for two in (b"GET  HTTP/1.1\r\n\r\n", b"GET HTTP/1.1  \r\n\r\n"):
        assert rows(feed_all(HttpDissector, [(True, two)], TCP))[0][2] == ""
        assert fast_path(two)[0] is Service.HTTP
    assert fast_path(b"GETHTTP/1.1\r\n\r\n")[0] is Service.UNKNOWN


def test_zeek_no_uri_capture() -> None:
    got = http_rows(ZEEK_HTTP / "no-uri.pcap")
    assert [(r["method"], r["host"], r["uri"], r["status_code"], r["response_body_len"])
            for r in got] == [("GET", "bro.org", "", 200, 4705)]


# -- content wins over the port ---------------------------------------------------------------


def test_request_to_the_ssh_port_is_http() -> None:
    payload = b"GET / HTTP/1.1\r\nHost: 128.3.50.246\r\nConnection: keep-alive\r\n\r\n"
    assert identify(payload, TCP, True, 44338, 22) is HttpDissector
    assert fast_path(payload, 44338, 22) == (Service.HTTP, "128.3.50.246")


def test_zeek_get_to_ssh_server_capture() -> None:
    got = http_rows(ZEEK_HTTP / "get-to-ssh-server.pcap")
    assert [(r["resp_p"], r["method"], r["host"], r["uri"], r["status_code"]) for r in got] == [
        (22, "GET", "128.3.50.246", "/", None)]  # the SSH banner is no status line


# -- CONNECT without a reply (RFC 9110 §9.3.6) ------------------------------------------------


CONNECT = b"CONNECT secure.example:443 HTTP/1.0\r\nHost: secure.example\r\nContent-Length: 0\r\n\r\n"


@pytest.mark.parametrize("tunnel", [b"\x16\x03\x01\x00\x8f\x01\x00", b"SSH-2.0-x\r\n", b"x"])
def test_connect_then_client_tunnel_bytes_keeps_the_request(tunnel: bytes) -> None:
    """The client speaks in the tunnel before (or without) a reply: its bytes are tunnel
    bytes, not a bad request, and the CONNECT is logged at the end."""
    events = feed_all(HttpDissector, [(True, CONNECT + tunnel), (True, b"\r\nmore\r\n")], TCP)
    assert rows(events) == [("CONNECT", "secure.example", "secure.example:443", "1.0", None, 0)]


def test_connect_refused_then_a_new_request_is_read() -> None:
    """A 407 ends the CONNECT; the client's next CONNECT is a request again."""
    again = CONNECT.replace(b"\r\n\r\n", b"\r\nProxy-Authorization: x\r\n\r\n")
    events = feed_all(HttpDissector, [
        (True, CONNECT), (False, b"HTTP/1.0 407 Auth\r\nContent-Length: 0\r\n\r\n"),
        (True, again), (False, b"HTTP/1.0 200 OK\r\n\r\n"),
    ], TCP)  # fmt: skip
    assert [r[0] for r in rows(events)] == ["CONNECT", "CONNECT"]
    assert [r[4] for r in rows(events)] == [407, 200]


OK_200 = b"HTTP/1.1 200 Connection established\r\n\r\n"
HELLO = b"\x16\x03\x01\x00\x8f\x01\x00\x00\x8b\x03\x03"


def _connect(steps: list[tuple[bool, bytes]]) -> tuple[HttpDissector, list[HttpRecord]]:
    d = HttpDissector(TCP)
    events: list[HttpRecord] = []
    for from_orig, data in steps:
        assert not d.done, data
        events += d.feed(data, from_orig, 1)  # type: ignore[arg-type]
    return d, events


def test_accepted_connect_hands_the_tunnel_on() -> None:
    """RFC 9110 §9.3.6: after a 2xx to CONNECT the connection is a tunnel; its first bytes,
    from either side and in order, are handed on to be identified by content."""
    d, events = _connect([(True, CONNECT), (False, OK_200)])
    assert not d.done and [e.status_code for e in events] == [200]  # waits for the tunnel
    d.feed(HELLO, True, 2)
    assert d.done and (d.upgrade, d.upgrade_data) == (BY_CONTENT, ((True, HELLO),))
    d, _ = _connect([(True, CONNECT), (False, OK_200)])  # a server-first protocol
    d.feed(b"220 mail.example ESMTP\r\n", False, 2)
    assert d.upgrade_data == ((False, b"220 mail.example ESMTP\r\n"),)
    d, _ = _connect([(True, CONNECT + HELLO)])  # the client did not wait for the answer
    assert not d.done
    d.feed(OK_200, False, 2)
    assert d.done and d.upgrade_data == ((True, HELLO),)
    d, _ = _connect([(True, CONNECT), (False, OK_200 + b"SSH-2.0-x\r\n")])  # one segment
    assert d.upgrade_data == ((False, b"SSH-2.0-x\r\n"),)


def test_refused_connect_or_switch_hands_nothing_on() -> None:
    """A 407 leaves the client's early tunnel bytes unused; a 101 switch ends the reading."""
    d, _ = _connect([(True, CONNECT + HELLO),
                     (False, b"HTTP/1.1 407 Auth\r\nContent-Length: 0\r\n\r\n")])
    assert not d.done and d.upgrade is None
    d, _ = _connect([(True, b"GET /chat HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n\r\n"),
                     (False, b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n")])
    assert d.done and d.upgrade is None


def test_tunnel_bytes_kept_are_bounded() -> None:
    d, _ = _connect([(True, CONNECT + HELLO + bytes(3 * TUNNEL_PEEK_BYTES)), (False, OK_200)])
    assert d.done and sum(len(data) for _, data in d.upgrade_data) == TUNNEL_PEEK_BYTES


def test_bad_line_after_a_normal_request_is_still_an_error() -> None:
    got = feed_all(HttpDissector, [(True, b"GET / HTTP/1.1\r\n\r\n\x16\x03\x01\r\n")], TCP)
    assert problems(got) == [BadValue] and [e.uri for e in got if isinstance(e, HttpRecord)] == ["/"]


def test_suricata_bug_2512_capture() -> None:
    got = http_rows(SURICATA / "bug-2512" / "sample_10.62.112.41_62227.pcap")
    assert [(r["method"], r["uri"], r["status_code"]) for r in got] == [
        ("CONNECT", "secure-assets.rubiconproject.com:443", None)]


# -- a request line cut by the close ----------------------------------------------------------


def test_request_line_cut_by_the_close() -> None:
    """``GET /`` then the close: the line ends there; a 0.9 request takes the server bytes
    that were waiting as its raw reply."""
    d = HttpDissector(TCP)
    assert d.feed(b"GET /", True, 1) == []
    assert d.feed(b"<html>hi</html>", False, 2) == []
    assert rows(d.finish()) == [("GET", None, "/", "0.9", None, 15)]
    d = HttpDissector(TCP)  # a 1.x head cut short: its whole header lines are kept
    d.feed(b"GET /p HTTP/1.1\r\nHost: h.example\r\nUser-Ag", True, 1)
    assert rows(d.finish()) == [("GET", "h.example", "/p", "1.1", None, 0)]
    for junk in (b"GET", b"GET /a b", b"\x00\x01"):  # not a request line: nothing
        d = HttpDissector(TCP)
        d.feed(b"GET / HTTP/1.1\r\n\r\n" + junk, True, 1)
        assert rows(d.finish()) == [("GET", None, "/", "1.1", None, 0)]


def test_suricata_bug_4702_capture() -> None:
    got = http_rows(SURICATA / "bug-4702-01" / "input.pcap")
    assert [(r["method"], r["uri"], r["response_body_len"]) for r in got] == [("GET", "/", 15)]


# -- a TCP hole past the end of a body --------------------------------------------------------


def _gap_conversation(d: HttpDissector, lost: int) -> list[Any]:
    d.feed(b"GET /1 HTTP/1.0\r\n\r\nGET /2 HTTP/1.0\r\n\r\n", True, 1)
    events = d.feed(b"HTTP/1.0 200 OK\r\nContent-Length: 12\r\n\r\n", False, 2)
    events += d.gap(False, lost)  # the 12-byte body and more never seen
    events += d.feed(b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok", False, 3)
    return events + d.finish()


def test_hole_past_a_body_keeps_pairing() -> None:
    """suricata-verify http-gap-whole-body: a body of 12 (then CRLF) lost in a 14-byte hole;
    the next response pairs with the next request."""
    got = _gap_conversation(HttpDissector(TCP), 14)
    assert rows(got) == [("GET", None, "/1", "1.0", 200, 12), ("GET", None, "/2", "1.0", 200, 2)]


def test_hole_between_messages_then_bytes_that_start_no_message() -> None:
    d = HttpDissector(TCP)
    d.feed(b"GET /1 HTTP/1.0\r\n\r\n", True, 1)
    assert d.gap(False, 50) == [] and not d.done  # a response lost whole: out of step
    assert d.feed(b"HTT", False, 2) == [] and not d.done  # too few bytes to say
    assert d.feed(b"P/1.0 204 No\r\n\r\n", False, 3) != [] and not d.done
    assert d.gap(True, 5) == [] and d.feed(b"GE", True, 4) == [] and not d.done
    d.feed(b"T /2 HTTP/1.0\r\n\r\n", True, 5)
    assert d.gap(False, 9) == [] and d.feed(b"body tail", False, 6) == []
    assert not d.done  # the rest of a message never seen whole: dropped, still out of step
    d.feed(b"GET /3 HTTP/1.0\r\n\r\n", True, 7)
    got = d.feed(b"HTTP/1.0 404 No\r\nContent-Length: 0\r\n\r\n", False, 8)  # in step again
    assert rows(got) == [("GET", None, "/2", "1.0", 404, 0)]
    assert rows(d.finish()) == [("GET", None, "/3", "1.0", None, 0)]


def test_hole_at_the_start_of_a_simple_response_is_body() -> None:
    """A 0.9 reply is raw: a hole in it (even its first bytes) is counted, not a loss."""
    d = HttpDissector(TCP)
    d.feed(b"GET /x\r\n", True, 1)
    assert d.gap(False, 10) == [] and not d.done
    assert d.feed(b"\r\nrest", False, 2) == [] and not d.done
    (e,) = d.finish()
    assert (e.uri, e.status_code, e.response_body_len) == ("/x", None, 16)  # type: ignore[attr-defined]


def test_suricata_http_gap_whole_body_capture() -> None:
    got = http_rows(SURICATA / "http-gap-whole-body" / "input.pcap")
    assert [(r["uri"], r["status_code"], r["response_body_len"]) for r in got] == [
        ("/1", 200, 12), ("/2", 200, 70), ("/3", 200, 12)]


H2_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
H2_SETTINGS = bytes.fromhex("000012040000000000000300000064000400a00000000200000000")


@pytest.mark.parametrize("step", [0, 1, 7])
def test_http2_prior_knowledge_ends_the_reading_quietly(step: int) -> None:
    """RFC 9113 §3.4: a client that knows the server speaks HTTP/2 starts with the
    connection preface; its frames are not HTTP/1 messages: no row, no error, done."""
    chunks = [(True, H2_PREFACE + H2_SETTINGS), (False, H2_SETTINGS)]
    assert feed_all(HttpDissector, chunks, TCP, step=step) == []
    d = HttpDissector(TCP)
    assert d.feed(H2_PREFACE, True, 1) == [] and d.done
    # the same request line with a header is no preface: an (odd) HTTP request, logged
    events = feed_all(HttpDissector, [(True, b"PRI * HTTP/2.0\r\nHost: a\r\n\r\n")], TCP)
    assert [r.method for r in events] == ["PRI"]  # type: ignore[attr-defined]


def test_websocket_handshake_row() -> None:
    """RFC 6455 §4.1-4.2.2: an upgrade request the server accepts with 101 writes a
    websocket row (host, target, user agent, the chosen subprotocol, what each side
    offered); a 101 to another protocol does not, nor a refused upgrade."""
    from wirelens.dissect.websocket import WebsocketRecord

    request = (b"GET /chat?room=1 HTTP/1.1\r\nHost: ws.example:8080\r\nUser-Agent: ua/1\r\n"
               b"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: x==\r\n"
               b"Sec-WebSocket-Protocol: chat, superchat\r\n"
               b"Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits, x-y\r\n\r\n")
    accept = (b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: WebSocket\r\nConnection: Upgrade\r\n"
              b"Sec-WebSocket-Accept: y=\r\nSec-WebSocket-Protocol: chat\r\n"
              b"Sec-WebSocket-Extensions: permessage-deflate\r\n\r\n\x81\x02hi")
    events = feed_all(HttpDissector, [(True, request), (False, accept)], TCP)
    (ws,) = [e for e in events if isinstance(e, WebsocketRecord)]
    assert (ws.host, ws.uri, ws.user_agent, ws.subprotocol) == (
        "ws.example:8080", "/chat?room=1", "ua/1", "chat")
    assert ws.client_protocols == ("chat", "superchat")
    assert ws.client_extensions == ("permessage-deflate; client_max_window_bits", "x-y")
    assert ws.server_extensions == ("permessage-deflate",)
    assert [e.status_code for e in events if isinstance(e, HttpRecord)] == [101]
    refused = accept.replace(b"101 Switching Protocols", b"426 Upgrade Required")
    h2c = accept.replace(b"Upgrade: WebSocket", b"Upgrade: h2c")
    for answer in (refused, h2c):
        events = feed_all(HttpDissector, [(True, request), (False, answer)], TCP)
        assert not [e for e in events if isinstance(e, WebsocketRecord)]
