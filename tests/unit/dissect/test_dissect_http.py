"""HTTP/1.x dissector: pipelining, bodies, splits, trailing junk, malformed input."""

from __future__ import annotations

import dataclasses
import zlib
from pathlib import Path

import pytest
from wl_dissect_builders import HTTP_REQUESTS, HTTP_RESPONSES, feed_all, problems

from wirelens.dissect import limits
from wirelens.dissect.base import BY_CONTENT
from wirelens.dissect.http import UNTIL_CLOSE_SKIP, HttpDissector, HttpRecord
from wirelens.dissect.magic import ENCODED_HEAD_BYTES
from wirelens.wire import BadValue, LimitExceeded, ParseError

TCP = 6
CONV = [(True, HTTP_REQUESTS), (False, HTTP_RESPONSES)]


def test_pipelined_transactions() -> None:
    events = feed_all(HttpDissector, CONV, TCP)
    assert all(isinstance(e, HttpRecord) for e in events)
    assert [(e.method, e.uri, e.status_code) for e in events] == [
        ("GET", "/index.html", 200),
        ("POST", "/submit?x=1", 201),
        ("PUT", "/up", 200),  # the 100 Continue is interim and not paired
        ("HEAD", "/h", 200),  # no body after a HEAD response despite Content-Length
    ]
    get, post, put, head = events
    assert get.host == "www.example.com" and get.user_agent == "Mozilla/5.0 (X11)"
    assert get.referrer == "http://example.org/" and get.server == "nginx/1.25"
    assert get.response_content_type == "text/html" and get.response_body_len == 13
    assert get.version == "1.1" and get.status_msg == "OK" and get.trans_depth == 1
    assert post.request_content_type == "application/json" and post.request_body_len == 13
    assert put.request_body_len == 7 and put.response_body_len == 11
    assert put.response_content_type == "text/plain"
    assert head.version == "1.0" and head.response_body_len == 0 and head.trans_depth == 4


@pytest.mark.parametrize("step", [1, 2, 5, 64])
def test_split_feeding_gives_same_events(step: int) -> None:
    assert feed_all(HttpDissector, CONV, TCP, step=step) == feed_all(HttpDissector, CONV, TCP)


def test_interleaved_directions() -> None:
    """Request, response, request, response: same events as all requests first."""
    r1, r2 = b"GET /1 HTTP/1.1\r\nHost: a\r\n\r\n", b"GET /2 HTTP/1.1\r\nHost: a\r\n\r\n"
    s1 = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
    s2 = b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"
    a = feed_all(HttpDissector, [(True, r1), (False, s1), (True, r2), (False, s2)], TCP)
    b = feed_all(HttpDissector, [(True, r1 + r2), (False, s1 + s2)], TCP)
    assert a == b and [e.status_code for e in a] == [200, 404]


def test_server_name_strips_port() -> None:
    d = HttpDissector(TCP)
    d.feed(b"GET / HTTP/1.1\r\nHost: Example.com:8080\r\n\r\n", True, 0)
    assert d.server_name == "Example.com"
    d6 = HttpDissector(TCP)
    d6.feed(b"GET / HTTP/1.1\r\nHost: [2001:db8::1]:80\r\n\r\n", True, 0)
    assert d6.server_name == "2001:db8::1"


def test_location_of_a_redirect() -> None:
    """The response's Location header (RFC 9110 §10.2.2), as sent: Suricata's
    ``http.redirect``."""
    (row,) = feed_all(HttpDissector, [
        (True, b"GET /index.php HTTP/1.0\r\nHost: h\r\n\r\n"),
        (False, b"HTTP/1.0 302 Found\r\nLocation: /index.php?page=main.php\r\n"
                b"Content-Length: 0\r\n\r\n")], TCP)
    assert (row.status_code, row.location) == (302, "/index.php?page=main.php")  # type: ignore[attr-defined]
    (plain,) = feed_all(HttpDissector, [(True, b"GET / HTTP/1.0\r\n\r\n"),
                                        (False, b"HTTP/1.0 200 OK\r\n\r\n")], TCP)
    assert plain.location is None  # type: ignore[attr-defined]


def test_finish_emits_open_transactions() -> None:
    d = HttpDissector(TCP)
    d.feed(b"GET /a HTTP/1.1\r\nHost: h\r\n\r\nGET /b HTTP/1.1\r\nHost: h\r\n\r\n", True, 5)
    assert d.feed(b"HTTP/1.0 200 OK\r\nContent-Type: x\r\n\r\nsome body", False, 6) == []
    assert d.feed(b" more", False, 7) == []
    events = d.finish()
    assert [(e.uri, e.status_code, e.response_body_len) for e in events] == [
        ("/a", 200, 14),  # read-until-close body, as far as seen
        ("/b", None, 0),
    ]


def test_response_without_request_and_connect_tunnel() -> None:
    only = feed_all(HttpDissector, [(False, b"HTTP/1.1 204 No Content\r\n\r\n")], TCP)
    assert len(only) == 1 and only[0].method is None and only[0].status_code == 204
    d = HttpDissector(TCP)
    d.feed(b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n", True, 0)
    events = d.feed(b"HTTP/1.1 200 Connection established\r\n\r\n\x16\x03\x01", False, 0)
    assert not d.done and events[0].method == "CONNECT"  # three bytes name nothing yet
    d.feed(b"\x02\x00\x00\x46\x03", False, 0)
    assert (d.done, d.upgrade, d.upgrade_data) == (
        True, BY_CONTENT, ((False, b"\x16\x03\x01"), (False, b"\x02\x00\x00\x46\x03")))
    assert d.feed(b"\x16\x03\x01\x02\x00garbage", True, 0) == []  # the successor's bytes


def test_connect_tunnel_of_http_cut_and_after_empty_lines() -> None:
    """suricata-verify http-connect-simple / -fragmented: a bare LF after each message of the
    CONNECT exchange is not the tunnel's (RFC 9112 §2.2); a request in the tunnel cut after
    ``GE`` waits for more; both sides spoke: enough."""
    d = HttpDissector(TCP)
    d.feed(b"CONNECT abc:443 HTTP/1.1\r\n\r\n\n", True, 0)
    d.feed(b"HTTP/1.1 200 OK\r\n\r\n\n", False, 0)
    d.feed(b"GE", True, 0)
    assert not d.done
    d.feed(b"T / HTTP/1.1\r\n\r\n", True, 0)
    assert d.done and d.upgrade_data == ((True, b"GE"), (True, b"T / HTTP/1.1\r\n\r\n"))
    d = HttpDissector(TCP)
    d.feed(b"CONNECT abc:443 HTTP/1.1\r\n\r\n", True, 0)
    d.feed(b"HTTP/1.1 200 OK\r\n\r\nab", False, 0)
    d.feed(b"c", True, 0)
    assert d.done and d.upgrade_data == ((False, b"ab"), (True, b"c"))


def test_trailing_junk() -> None:
    """After complete messages, bytes start the next message: an incomplete line waits
    (no events), a complete line that is not a start line is damage (a ``Problem`` carrying
    BadValue); the transactions before it are written."""
    base = feed_all(HttpDissector, CONV, TCP)
    assert feed_all(HttpDissector, [(True, HTTP_REQUESTS + b"\x00\x01junk")], TCP) == [
        HttpRecord(**_unanswered(e)) for e in base
    ]
    assert feed_all(HttpDissector, [CONV[0], (False, HTTP_RESPONSES + b"junk")], TCP) == base
    got = feed_all(HttpDissector, [(True, HTTP_REQUESTS + b"\x00\x01junk\r\n")], TCP)
    assert problems(got) == [BadValue]
    assert [e for e in got if isinstance(e, HttpRecord)] == [
        HttpRecord(**_unanswered(e)) for e in base]
    got = feed_all(HttpDissector, [CONV[0], (False, HTTP_RESPONSES + b"junk junk\r\n")], TCP)
    assert problems(got) == [BadValue] and [e for e in got if isinstance(e, HttpRecord)] == base


def _unanswered(e: HttpRecord) -> dict[str, object]:
    fields = {f.name: getattr(e, f.name) for f in dataclasses.fields(HttpRecord)}
    fields.update(
        status_code=None, status_msg=None, response_content_type=None, server=None,
        response_body_len=0, response_mime_type=None,
    )  # fmt: skip
    return fields


def test_truncated_at_every_byte_is_need_more_data() -> None:
    """A prefix of valid messages never raises and never emits a transaction early."""
    full = feed_all(HttpDissector, CONV, TCP)
    for cut in range(0, len(HTTP_RESPONSES), 3):
        d = HttpDissector(TCP)
        d.feed(HTTP_REQUESTS, True, 1000)
        events = d.feed(HTTP_RESPONSES[:cut], False, 1000)
        assert events == full[: len(events)]
        d.finish()


@pytest.mark.parametrize(
    ("data", "error", "rows"),
    [
        (b"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 5x\r\n\r\n", BadValue, 1),
        (b"GET / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", BadValue, 1),
        (b"GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", BadValue, 1),
        (b"GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabXX", BadValue, 1),
        (b"GET /" + b"a" * (limits.HTTP_MAX_HEADER_BYTES + 10), LimitExceeded, 1),
        (b"GET / HTTP/1.1\r\nX: " + b"a" * (limits.HTTP_MAX_HEADER_BYTES + 10), LimitExceeded, 1),
        (b"GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n" + b"1" * 9000, LimitExceeded,
         1),
        (b"GET / FTP/1.0\r\n\r\n", BadValue, 0),
        (b"\x16\x03\x01\x00\x10\r\n", BadValue, 0),
    ],
)
def test_malformed(data: bytes, error: type[ParseError], rows: int) -> None:
    """Damage ends the reading with a ``Problem`` (a weird); the damaged request is logged as
    far as it came when its start line was (as Zeek logs it, with ``HTTP_bad_content_length``
    and the like; a head past the limit as a request the close cut short), and the dissector
    reads nothing more."""
    for step in (0, 1000):
        d = HttpDissector(TCP)
        events: list[object] = []
        for i in range(0, len(data), step or len(data)):
            events += d.feed(data[i: i + (step or len(data))], True, 1000)
        assert problems(events) == [error]
        assert d.done and d.feed(b"GET / HTTP/1.1\r\n\r\n", True, 1001) == []
        got = [e for e in events + d.finish() if isinstance(e, HttpRecord)]
        assert [e.method for e in got] == ["GET"] * rows


@pytest.mark.parametrize("head", [
    b"HTTP/1.1 200 ok\r\nContent-Length: 68,34\r\n\r\n",  # (http-evader-242)
    b"HTTP/1.1 200 ok\r\nTransfer-Encoding: chunked\r\n\r\nf,\r\n",  # (http-evader-010)
])  # fmt: skip
def test_damaged_response_is_logged_with_its_request(head: bytes) -> None:
    got = feed_all(HttpDissector, [(True, b"GET /e HTTP/1.1\r\nHost: h\r\n\r\n"),
                                   (False, head + b"X5O!P%@AP[4\\PZX54(P^)7CC)7}")], TCP)
    assert problems(got) == [BadValue]
    assert [(e.uri, e.host, e.status_code) for e in got if isinstance(e, HttpRecord)] == [
        ("/e", "h", 200)]


def test_lenient_header_lines_and_folding() -> None:
    data = (
        b"GET / HTTP/1.1\nHost: h\nbroken line\nUser-Agent: a\n b\n\n"  # LF only, obs-fold
    )
    d = HttpDissector(TCP)
    d.feed(data, True, 0)
    (e,) = d.finish()
    assert e.host == "h" and e.user_agent == "a b"


def test_matches() -> None:
    assert HttpDissector.matches(b"GET / HTTP/1.1\r\nHost: a\r\n", TCP, True)
    assert HttpDissector.matches(b"POST /very-long-uri-without-end", TCP, True)
    assert HttpDissector.matches(b"PROPFIND /x HTTP/1.1\r\n", TCP, True)
    assert HttpDissector.matches(b"HTTP/1.1 200 OK\r\n", TCP, False)
    assert HttpDissector.matches(b"HTTP/1.1 200 OK\r\n", TCP, True)  # mid-flow capture
    assert not HttpDissector.matches(b"HTTP/1.1 2xx OK\r\n", TCP, False)
    assert not HttpDissector.matches(b"GET / HTTP/1.1\r\n", 17, True)
    assert not HttpDissector.matches(b"DESCRIBE rtsp://x RTSP/1.0\r\n", TCP, True)
    assert not HttpDissector.matches(b"\x16\x03\x01\x00\x05\x01", TCP, True)
    assert not HttpDissector.matches(b"GETX", TCP, True)


@pytest.mark.parametrize("step", [0, 1, 3])
def test_roles_from_content_when_orig_is_the_server(step: int) -> None:
    """A capture starting with the response labels the server as originator: roles are
    taken from the content ("HTTP/" comes from the server)."""
    normal = feed_all(HttpDissector, CONV, TCP)
    swapped = [(not o, data) for o, data in CONV][::-1]  # response first, as "orig"
    events = feed_all(HttpDissector, swapped, TCP, step=step)
    # responses arrive before requests: each is emitted alone, requests at finish
    assert [e.status_code for e in events if e.method is None] == [200, 201, 200, 200]
    assert [e.uri for e in events if e.method] == [e.uri for e in normal]
    # interleaved the usual way but with the labels swapped: same transactions
    swapped_labels = [(not o, data) for o, data in CONV]
    assert feed_all(HttpDissector, swapped_labels, TCP, step=step) == normal


def test_gap_inside_a_body_keeps_step_elsewhere_loses_step() -> None:
    """A TCP hole inside a body of known length is counted as body: the next response is
    still read. A hole in a header block ends that message as far as its whole lines go
    (its start line whole; a request line cut short counts with its method and the URI so
    far); the side is then out of step until bytes start a message (those that do not are
    dropped)."""
    d = HttpDissector(TCP)
    d.feed(b"GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n", True, 0)
    events = d.feed(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", False, 0)
    events += d.gap(False, 5)  # bytes 4-8 of the body never seen
    events += d.feed(b"de" + b"HTTP/1.1 404 No\r\nContent-Length: 0\r\n\r\n", False, 0)
    assert [(e.uri, e.status_code, e.response_body_len) for e in events] == [  # type: ignore[attr-defined]
        ("/1", 200, 10), ("/2", 404, 0)]
    assert not d.done
    d.feed(b"GET /3 HTTP/1.1\r\nHost: c\r\nUser-Ag", True, 0)
    assert d.gap(True, 7) == [] and not d.done  # queued: start line and Host are whole
    d.feed(b"GET /4 HTTP/1.1\r\nHost: d\r\n\r\nGET /5 HT", True, 0)
    d.gap(True, 100)  # cut inside its start line: /5 waits, without headers
    d.feed(b"HTTP/1.1 301 Moved\r\nLocation: /x\r\nContent-Le", False, 0)
    (e,) = d.gap(False, 30)  # a response head cut: it answers /3, its body unknown
    assert (e.uri, e.host, e.status_code, e.location, e.response_body_len) == (  # type: ignore[attr-defined]
        "/3", "c", 301, "/x", 0)
    assert d.feed(b"tail of that body", False, 0) == [] and not d.done  # dropped
    (e,) = d.feed(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", False, 0)
    assert (e.uri, e.status_code) == ("/4", 200)  # type: ignore[attr-defined]
    (e,) = d.finish()  # never answered: its version unknown
    assert (e.method, e.uri, e.host, e.version, e.status_code) == (  # type: ignore[attr-defined]
        "GET", "/5", None, None, None)
    d = HttpDissector(TCP)
    d.feed(b"GET /1 HTTP/1.1\r\n\r\n", True, 0)
    d.feed(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n", False, 0)
    (e,) = d.gap(False, 4)  # longer than the body: the body is complete, out of step
    assert (e.uri, e.status_code, e.response_body_len) == ("/1", 200, 3)  # type: ignore[attr-defined]
    assert not d.done
    assert d.feed(b"junk!", False, 0) == [] and not d.done  # not a message start: dropped
    cut = HttpDissector(TCP)  # a response head the close cut short: its status counts
    cut.feed(b"GET /z HTTP/1.1\r\n\r\n", True, 0)
    cut.feed(b"HTTP/1.1 403 Forbidden\r\nServer: x\r\nContent-Ty", False, 0)
    (e,) = cut.finish()
    assert (e.uri, e.status_code, e.server) == ("/z", 403, "x")  # type: ignore[attr-defined]
    mid = HttpDissector(TCP)  # after a hole, a message may start inside the bytes that come
    mid.feed(b"GET /1 HTTP/1.1\r\n\r\nGET /2 HTTP/1.1\r\n\r\n", True, 0)
    mid.feed(b"HTTP/1.1 200 OK\r\nContent-Length: 3000\r\n\r\nabc", False, 0)
    (e,) = mid.gap(False, 5000)  # past the body: out of step
    (e2,) = mid.feed(b"tail\r\nmore\nHTTP/1.1 404 No\r\nContent-Length: 0\r\n\r\n", False, 0)
    assert [(x.uri, x.status_code) for x in (e, e2)] == [("/1", 200), ("/2", 404)]  # type: ignore[attr-defined]
    chunked = HttpDissector(TCP)
    chunked.feed(b"GET /c HTTP/1.1\r\n\r\n", True, 0)
    chunked.feed(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab", False, 0)
    (e,) = chunked.gap(False, 50)  # past the chunk: the body ends as far as it came
    assert (e.uri, e.status_code, e.response_body_len) == ("/c", 200, 2)  # type: ignore[attr-defined]
    chunked.feed(b"GET /d HTTP/1.1\r\n\r\n", True, 0)
    (e,) = chunked.feed(b"HTTP/1.1 204 No\r\n\r\n", False, 0)
    assert (e.uri, e.status_code) == ("/d", 204)  # type: ignore[attr-defined]


@pytest.mark.parametrize("cut", [b"GET /ubuntu/dists/noble-up", b"GET /a/b ", b"POST /a HTTP/1.",
                                 b"GET http://x.example/a", b"OPTIONS *"])
def test_a_request_line_a_hole_cuts_keeps_its_method_and_uri_so_far(cut: bytes) -> None:
    """A snap length keeps a segment's first bytes only: a request line cut short counts
    when it has a known method and the start of a URI; the response's version is written."""
    d = HttpDissector(TCP)
    d.feed(cut, True, 0)
    assert d.gap(True, 300) == [] and not d.done
    (e,) = d.feed(b"HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", False, 0)
    method, _, rest = cut.decode().partition(" ")
    assert (e.method, e.uri, e.version, e.status_code) == (  # type: ignore[attr-defined]
        method, rest.split(" ")[0], "1.0", 200)


@pytest.mark.parametrize("cut", [b"GET ", b"GET x/y", b"FETCH /a", b"GET /a HTTP/1.1 extra"])
def test_bytes_a_hole_cuts_that_start_no_request_line_are_not_a_request(cut: bytes) -> None:
    d = HttpDissector(TCP)
    d.feed(cut, True, 0)
    d.gap(True, 300)
    events = d.feed(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", False, 0) + d.finish()
    assert [(e.method, e.status_code) for e in events] == [(None, 200)]  # type: ignore[attr-defined]


def test_http09_simple_response_keeps_the_request() -> None:
    """RFC 1945 §6: a server answering without a status line (HTTP/0.9) ends reading; the
    request is still logged, unanswered (as Zeek does), instead of a parse error."""
    rows = feed_all(HttpDissector, [(True, b"GET /zeek.html HTTP/1.1\r\nHost: localhost\r\n\r\n"),
                                    (False, b"<html>hello</html>\n")], TCP)
    assert [(r.method, r.uri, r.host, r.status_code) for r in rows] == [  # type: ignore[attr-defined]
        ("GET", "/zeek.html", "localhost", None)]
    rows = feed_all(HttpDissector, [(True, b"GET / HTTP/1.1\r\n\r\n"), (False, b"HTTP/1.1 200 OK\r\n"
                                    b"Content-Length: 0\r\n\r\n"), (False, b"junk!")], TCP)
    assert [r.status_code for r in rows] == [200]  # type: ignore[attr-defined]


def test_skippable_is_the_rest_of_a_known_length_body_once_sniffed() -> None:
    d = HttpDissector(6)
    assert d.feed(b"GET / HTTP/1.1\r\nHost: h\r\n\r\n", True, 1) == []
    head = b"HTTP/1.1 200 OK\r\nContent-Length: 10000\r\n\r\n"
    d.feed(head + b"x" * 10, False, 2)
    assert d.skippable(False) == 0  # the file type needs the body's first 64 bytes
    d.feed(b"y" * 90, False, 3)
    assert d.skippable(False) == 9900 and d.skippable(True) == 0
    events = d.gap(False, 9900)  # announced as a hole: the response is whole
    assert len(events) == 1 and events[0].response_body_len == 10000
    assert d.skippable(False) == 0
    chunked = HttpDissector(6)
    chunked.feed(b"GET / HTTP/1.1\r\n\r\n", True, 1)
    chunked.feed(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n400\r\n" + b"z" * 100,
                 False, 2)
    assert chunked.skippable(False) == 0x400 - 100  # the rest of this chunk; its end is read
    events = chunked.gap(False, 0x400 - 100)
    assert events == [] and chunked.skippable(False) == 0  # the next chunk line is awaited
    (row,) = chunked.feed(b"\r\n0\r\n\r\n", False, 3)
    assert row.response_body_len == 0x400  # type: ignore[attr-defined]
    until_close = HttpDissector(6)
    until_close.feed(b"GET / HTTP/1.1\r\n\r\n", True, 1)
    until_close.feed(b"HTTP/1.0 200 OK\r\n\r\n" + b"w" * 50, False, 2)
    assert until_close.skippable(False) == 0  # not sniffed yet
    until_close.feed(b"w" * 50, False, 3)
    assert until_close.skippable(False) == UNTIL_CLOSE_SKIP
    until_close.gap(False, 5000)
    assert until_close.finish()[0].response_body_len == 5100  # type: ignore[attr-defined]


def test_response_before_the_request_body_ends() -> None:
    """A server may answer before the request body is all sent (an error to a large upload,
    Zeek's deeply-nested-mime trace): the row waits for the body, so its length counts all
    of it; the next transaction keeps its place; a body that never ends counts what came."""
    head = b"POST /up HTTP/1.1\r\nHost: h\r\nContent-Length: 5000\r\n\r\n"
    answer = b"HTTP/1.1 413 Too Large\r\nContent-Length: 0\r\n\r\n"
    events = feed_all(HttpDissector, [
        (True, head + b"x" * 1000), (False, answer), (True, b"y" * 4000),
        (True, b"GET /next HTTP/1.1\r\nHost: h\r\n\r\n"),
        (False, b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")], TCP)
    rows = [(e.uri, e.status_code, e.request_body_len, e.trans_depth) for e in events]  # type: ignore[attr-defined]
    assert rows == [("/up", 413, 5000, 1), ("/next", 200, 0, 2)]
    cut = feed_all(HttpDissector, [(True, head + b"x" * 1000), (False, answer)], TCP)
    assert [(e.status_code, e.request_body_len) for e in cut] == [(413, 1000)]  # type: ignore[attr-defined]


def _page(n: int) -> bytes:
    """An HTML page of about ``n`` bytes that compresses poorly (varied words)."""
    import random

    rnd = random.Random(n)
    words = " ".join(f"w{rnd.randrange(10**6)}" for _ in range(n // 7))
    return b"<!DOCTYPE html><html><body>" + words.encode() + b"</body></html>"


def _deflate(data: bytes, wbits: int) -> bytes:
    z = zlib.compressobj(6, zlib.DEFLATED, wbits)
    return z.compress(data) + z.flush()


@pytest.mark.parametrize(("coding", "wbits"), [
    ("gzip", 31), ("x-gzip", 31),
    ("deflate", 15),  # RFC 9110 §8.4.1.2: the zlib format
    ("deflate", -15),  # a raw deflate stream, as some servers send
])
def test_encoded_body_file_type_is_what_it_decodes_to(coding: str, wbits: int) -> None:
    """Zeek's ayiya3 trace: a gzip-encoded HTML page. The file type is the decoded body's
    (text/html), from the first ENCODED_HEAD_BYTES, whose skipping waits for them; the body
    length stays the bytes sent."""
    body = _deflate(_page(20000), wbits)
    head = (f"HTTP/1.1 200 OK\r\nContent-Encoding: {coding}\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode()
    d = HttpDissector(6)
    d.feed(b"GET / HTTP/1.1\r\nHost: h\r\n\r\n", True, 1)
    d.feed(head + body[:100], False, 2)
    assert d.skippable(False) == 0  # 100 encoded bytes kept, not yet enough
    d.feed(body[100:ENCODED_HEAD_BYTES], False, 3)
    assert d.skippable(False) == len(body) - ENCODED_HEAD_BYTES
    (row,) = d.gap(False, len(body) - ENCODED_HEAD_BYTES)
    assert (row.response_mime_type, row.response_body_len) == (  # type: ignore[attr-defined]
        "text/html", len(body))


def test_encoded_body_that_does_not_decode_keeps_the_encoded_type() -> None:
    """A "gzip" body that is not gzip reads by its own bytes; an unknown coding is not
    decoded (a gzip body labelled br stays application/gzip)."""
    import gzip

    for coding, body, want in (("gzip", b"%PDF-1.7 not compressed at all", "application/pdf"),
                               ("br", gzip.compress(b"<html></html>"), "application/gzip")):
        rows = feed_all(HttpDissector, [
            (True, b"GET / HTTP/1.1\r\nHost: h\r\n\r\n"),
            (False, (f"HTTP/1.1 200 OK\r\nContent-Encoding: {coding}\r\nContent-Length: "
                     f"{len(body)}\r\n\r\n").encode() + body)], TCP)
        assert [r.response_mime_type for r in rows] == [want]  # type: ignore[attr-defined]


def test_authorization_credentials() -> None:
    """Basic (RFC 7617; clear-text, password redacted unless shown), Digest (RFC 7616's
    username), NTLM / Negotiate (the NTLMSSP AUTHENTICATE's DOMAIN\\user, nDPI's webdav
    trace), other schemes by name; a token that does not decode gives no user."""
    import base64

    from wl_dissect_builders import ntlm_authenticate

    from wirelens.dissect.http import http_credentials

    basic = "Basic " + base64.b64encode(b"alice:s3cret").decode()
    assert http_credentials(basic, False) == ("Basic", "alice", "<redacted>", True)
    assert http_credentials(basic, True) == ("Basic", "alice", "s3cret", True)
    assert http_credentials("Basic !!!", False) == ("Basic", None, None, True)
    digest = 'Digest username="bob", realm="r", nonce="n", uri="/", response="x"'
    assert http_credentials(digest, False) == ("Digest", "bob", None, False)
    token = base64.b64encode(ntlm_authenticate("carol", "CORP", "PC1")).decode()
    assert http_credentials("NTLM " + token, False) == ("NTLM", "CORP\\carol", None, False)
    assert http_credentials("Negotiate " + token, False)[:2] == ("Negotiate", "CORP\\carol")
    assert http_credentials("Negotiate TlRMTVNTUAADAAAA", False) == (  # cut short: no user
        "Negotiate", None, None, False)
    assert http_credentials("Bearer eyJ0", False) == ("Bearer", None, None, False)
    assert http_credentials(None, False) == (None, None, None, None)
    request = (b"GET /private HTTP/1.1\r\nHost: h\r\nProxy-Authorization: " + basic.encode()
               + b"\r\n\r\n")
    (row,) = feed_all(HttpDissector, [(True, request), (False, b"HTTP/1.1 200 OK\r\n"
                                        b"Content-Length: 0\r\n\r\n")], TCP)
    assert (row.auth_mechanism, row.user, row.password, row.credentials_clear) == (  # type: ignore[attr-defined]
        "Basic", "alice", "<redacted>", True)


def test_negotiate_with_kerberos_makes_a_kerberos_row() -> None:
    """RFC 4559: the request's Negotiate token carries an AP-REQ, the 200 response's an
    AP-REP: a kerberos row (request type AP, the ticket's service) next to the http row; a
    401 refuses it."""
    import base64

    from wl_krb_builders import ap_rep, ap_req, krb5_token, spnego_init, spnego_resp

    from wirelens.dissect.kerberos import KerberosRecord

    def b64(raw: bytes) -> bytes:
        return base64.b64encode(raw)

    token = b64(spnego_init(krb5_token(b"\x01\x00", ap_req("CORP.EXAMPLE", ("HTTP", "intra"), 18))))
    request = b"GET / HTTP/1.1\r\nHost: intra\r\nAuthorization: Negotiate " + token + b"\r\n\r\n"
    ok = (b"HTTP/1.1 200 OK\r\nWWW-Authenticate: Negotiate "
          + b64(spnego_resp(krb5_token(b"\x02\x00", ap_rep()))) + b"\r\nContent-Length: 0\r\n\r\n")
    refused = b"HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n"
    for response, success in ((ok, True), (refused, False)):
        events = feed_all(HttpDissector, [(True, request), (False, response)], TCP)
        (http,) = [e for e in events if isinstance(e, HttpRecord)]
        (krb,) = [e for e in events if isinstance(e, KerberosRecord)]
        assert (http.auth_mechanism, http.user) == ("Negotiate", None)
        assert (krb.request_type, krb.realm, krb.sname, krb.success) == (
            "AP", "CORP.EXAMPLE", "HTTP/intra", success)


SV_CONNECT = (Path(__file__).resolve().parents[3] / ".." / "shared" / "data" / "suricata-verify"
              / "tests" / "http-connect")


@pytest.mark.skipif(not SV_CONNECT.is_dir(), reason="suricata-verify captures not found")
@pytest.mark.parametrize("test", ["http-connect-simple", "http-connect-fragmented"])
def test_real_http_inside_a_connect_tunnel(test: str) -> None:
    """The request inside the tunnel is a transaction of its own (Suricata's tx 0 again)."""
    import wirelens

    pcap = next((SV_CONNECT / test).glob("*.pcap"))
    rows = wirelens.analyze(pcap).tables["http"].to_pylist()
    assert [(r["method"], r["uri"], r["status_code"]) for r in rows] == [
        ("CONNECT", "abc:443", 200), ("GET", "/", 200)]


@pytest.mark.parametrize(("method", "flagged"), [
    ("GET", False), ("M-SEARCH", False), ("RPC_IN_DATA", False), ("VERSION-CONTROL", False),
    ("GET%00", True), ("get", True), ("G3T", True), ("-GET", True),
])  # fmt: skip
def test_a_method_no_http_method_looks_like_is_logged_and_flagged(method: str,
                                                                  flagged: bool) -> None:
    """Every method is upper-case letters, '-' and '_': another token (an evasion such as
    ``GET%00``, suricata-verify's detect-uricontent-06) is logged as sent, and flagged by a
    weird; the flow is read on."""
    got = feed_all(HttpDissector, [
        (True, f"{method} /images.gif HTTP/1.1\r\nHost: h\r\n\r\n".encode()),
        (False, b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
        (True, b"GET /next HTTP/1.1\r\nHost: h\r\n\r\n")], TCP)
    assert problems(got) == ([BadValue] if flagged else [])
    assert [(e.method, e.uri) for e in got if isinstance(e, HttpRecord)] == [
        (method, "/images.gif"), ("GET", "/next")]
