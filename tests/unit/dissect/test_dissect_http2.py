"""HTTP/2 over cleartext TCP (RFC 9113): frames, HPACK header blocks (RFC 7541), one http
row per stream; the hand-over from the HTTP/1 dissector (prior knowledge, h2c upgrade)."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
from hpack import Encoder
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from wl_dissect_builders import feed_all

import wirelens
from wirelens.dissect.http import HttpDissector, HttpRecord
from wirelens.dissect.http2 import MAX_STREAMS, PREFACE, Http2Dissector
from wirelens.wire import BadValue, LimitExceeded, ParseError

TCP = 6
DATA = Path(__file__).resolve().parents[3] / ".." / "shared" / "data"

HEADERS, DATA_FRAME, RST, SETTINGS, PUSH, CONT = 1, 0, 3, 4, 5, 9
END_STREAM, END_HEADERS, PADDED, PRIORITY = 1, 4, 8, 0x20


def frame(ftype: int, flags: int, sid: int, payload: bytes) -> bytes:
    """RFC 9113 §4.1: u24 length, type, flags, reserved bit + u31 stream id, payload."""
    return struct.pack(">I", len(payload))[1:] + bytes((ftype, flags)) + struct.pack(">I", sid) + payload


SETTINGS_FRAME = frame(SETTINGS, 0, 0, struct.pack(">HI", 3, 100))
REQUEST = [(":method", "GET"), (":scheme", "http"), (":authority", "Api.Example:8080"),
           (":path", "/v1/items?x=1"), ("user-agent", "grpc-go/1.60"), ("referer", "http://a/"),
           ("content-type", "application/grpc")]
RESPONSE = [(":status", "200"), ("content-type", "application/grpc"), ("server", "envoy")]


def exchange(enc_c: Encoder, enc_s: Encoder, sid: int, body: bytes = b"hello"
             ) -> tuple[bytes, bytes]:
    """A request on stream ``sid`` (headers end the stream) and its response with a body."""
    client = frame(HEADERS, END_HEADERS | END_STREAM, sid, enc_c.encode(REQUEST))
    server = (frame(HEADERS, END_HEADERS, sid, enc_s.encode(RESPONSE))
              + frame(DATA_FRAME, END_STREAM, sid, body))
    return client, server


def _row(events: list[object]) -> tuple[object, ...]:
    (r,) = events
    assert isinstance(r, HttpRecord)
    return (r.method, r.host, r.uri, r.version, r.user_agent, r.referrer, r.status_code,
            r.request_content_type, r.response_content_type, r.server, r.response_body_len)


WANT = ("GET", "Api.Example:8080", "/v1/items?x=1", "2", "grpc-go/1.60", "http://a/", 200,
        "application/grpc", "application/grpc", "envoy", 5)


@pytest.mark.parametrize("step", [0, 1, 7])
def test_prior_knowledge_stream_row(step: int) -> None:
    enc_c, enc_s = Encoder(), Encoder()
    c1, s1 = exchange(enc_c, enc_s, 1)
    c3, s3 = exchange(enc_c, enc_s, 3, b"second!")  # the dynamic table now in use
    chunks = [(True, PREFACE + SETTINGS_FRAME + c1), (False, SETTINGS_FRAME + s1),
              (True, c3), (False, s3)]
    events = feed_all(Http2Dissector, chunks, TCP, step=step)
    assert [_row([e]) for e in events] == [WANT, WANT[:-1] + (7,)]
    assert [e.trans_depth for e in events] == [1, 2]  # type: ignore[attr-defined]
    d = Http2Dissector(TCP)
    d.feed(PREFACE + SETTINGS_FRAME + c1, True, 1)
    assert d.server_name == "api.example"


def test_frame_options_continuation_padding_push_reset_interim() -> None:
    """HEADERS padded and with priority, split over CONTINUATION (§6.2, §6.10); a 100
    interim response before the final one (§8.1); PUSH_PROMISE opens a promised stream
    (§6.6) whose response is read; RST_STREAM ends a stream (§6.4); trailers."""
    enc_c, enc_s = Encoder(), Encoder()
    block = enc_c.encode(REQUEST)
    pad = 3
    first = bytes((pad,)) + struct.pack(">IB", 0, 16) + block[:5] + bytes(pad)
    client = (PREFACE + frame(HEADERS, PADDED | PRIORITY, 1, first)
              + frame(CONT, 0, 1, block[5:9]) + frame(CONT, END_HEADERS, 1, block[9:])
              + frame(DATA_FRAME, END_STREAM | PADDED, 1, b"\x02abc\x00\x00"))
    promised = enc_s.encode([(":method", "GET"), (":authority", "api.example"),
                             (":path", "/pushed.css"), (":scheme", "http")])
    server = (frame(HEADERS, END_HEADERS, 1, enc_s.encode([(":status", "100")]))
              + frame(PUSH, 0, 1, struct.pack(">I", 2) + promised[:3])
              + frame(CONT, END_HEADERS, 1, promised[3:])  # continued on the stream it rides
              + frame(HEADERS, END_HEADERS, 1, enc_s.encode(RESPONSE))
              + frame(DATA_FRAME, 0, 1, b"12345")
              + frame(HEADERS, END_HEADERS | END_STREAM, 1, enc_s.encode([("grpc-status", "0")]))
              + frame(HEADERS, END_HEADERS, 2, enc_s.encode([(":status", "200")]))
              + frame(RST, 0, 2, struct.pack(">I", 8)))
    events = feed_all(Http2Dissector, [(True, client), (False, server)], TCP)
    rows = [(e.uri, e.status_code, e.request_body_len, e.response_body_len) for e in events]  # type: ignore[attr-defined]
    assert rows == [("/v1/items?x=1", 200, 3, 5), ("/pushed.css", 200, 0, 0)]


def test_streams_still_open_are_written_at_finish_in_order() -> None:
    enc = Encoder()
    client = PREFACE + b"".join(
        frame(HEADERS, END_HEADERS | END_STREAM, sid, enc.encode(REQUEST)) for sid in (5, 1, 3))
    d = Http2Dissector(TCP)
    assert d.feed(client, True, 1) == []
    assert [e.status_code for e in d.finish()] == [None, None, None]  # type: ignore[attr-defined]


@pytest.mark.parametrize(("client", "error"), [
    (PREFACE + frame(CONT, END_HEADERS, 1, b"\x82"), BadValue),  # CONTINUATION alone
    (PREFACE + frame(HEADERS, END_HEADERS, 1, b"\xff\xff\xff\xff"), BadValue),  # bad HPACK
    (PREFACE + frame(HEADERS, 0, 1, b"\x82") + frame(DATA_FRAME, 0, 1, b"x"), BadValue),
    (PREFACE + b"\xff\xff\xff\x01\x00\x00\x00\x00\x01", LimitExceeded),  # 16 MiB HEADERS
    (PREFACE + frame(HEADERS, PADDED | END_HEADERS, 1, b"\x09\x82"), BadValue),  # pad > frame
])
def test_malformed_input_raises_parse_errors(client: bytes, error: type[Exception]) -> None:
    with pytest.raises(error):
        feed_all(Http2Dissector, [(True, client)], TCP)


def test_a_client_without_the_preface_is_an_error() -> None:
    """The server spoke first (an h2c upgrade): the client's bytes must start with the
    preface (RFC 9113 §3.4)."""
    d = Http2Dissector(TCP)
    assert d.feed(SETTINGS_FRAME, False, 1) == []
    with pytest.raises(BadValue):
        d.feed(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n", True, 2)


def test_open_streams_are_bounded() -> None:
    enc = Encoder()
    heads = [frame(HEADERS, END_HEADERS | END_STREAM, 2 * k + 1, enc.encode(REQUEST))
             for k in range(MAX_STREAMS + 1)]
    with pytest.raises(LimitExceeded):
        Http2Dissector(TCP).feed(PREFACE + b"".join(heads), True, 1)


def test_http1_hands_over_at_the_preface_and_after_an_h2c_upgrade() -> None:
    """RFC 9113 §3.4 (prior knowledge) and RFC 7540 §3.2 (Upgrade: h2c, 101)."""
    d = HttpDissector(TCP)
    assert d.feed(PREFACE + SETTINGS_FRAME, True, 1) == []
    assert (d.done, d.upgrade, d.upgrade_data) == (True, "http2", ((True, PREFACE + SETTINGS_FRAME),))
    d = HttpDissector(TCP)
    d.feed(b"GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade, HTTP2-Settings\r\n"
           b"Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAoAAAAAIAAAAA\r\n\r\n", True, 1)
    events = d.feed(b"HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\n"
                    b"Upgrade: h2c\r\n\r\n" + SETTINGS_FRAME, False, 2)
    assert [e.status_code for e in events] == [101]  # type: ignore[attr-defined]
    assert (d.upgrade, d.upgrade_data) == ("http2", ((False, SETTINGS_FRAME),))
    # a websocket 101 is not HTTP/2
    d = HttpDissector(TCP)
    d.feed(b"GET / HTTP/1.1\r\nUpgrade: websocket\r\n\r\n", True, 1)
    d.feed(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x81\x00", False, 2)
    assert d.done and d.upgrade is None


SURICATA = DATA / "suricata-verify" / "tests"


@pytest.mark.skipif(not SURICATA.is_dir(), reason=f"shared captures not found at {DATA}")
@pytest.mark.parametrize(("capture", "want"), [
    ("http2-continuation/input.pcap", [("GET", "127.0.0.1:8080", "/tata", "2", 200)]),
    ("http2-long-frame/input.pcap", [("GET", "target.com", "/", "2", 200),
                                     ("GET", "evil.com", "/malware/payload.exe", "2", None)]),
    ("http2-keywords2/input.pcap", [("GET", "nghttp2.org", "/robots.txt", "1.1", 101),
                                    (None, None, None, "2", 200),
                                    ("GET", "nghttp2.org", "/humans.txt", "2", 404)]),
    ("http2-errorcode/input.pcap", [("CONNECT", "127.0.0.1:6233", "127.0.0.1:6233", "1.1", 200),
                                    ("POST", "127.0.0.1:6233",
                                     "/helloworld.GreeterService/SayHello", "2", 200)]),
])
def test_real_captures(capture: str, want: list[tuple[object, ...]]) -> None:
    """Suricata's HTTP/2 captures: prior knowledge (continuation, long frame), an h2c
    upgrade (keywords2: the upgraded request's response is stream 1's row), gRPC through an
    HTTP CONNECT tunnel (errorcode)."""
    res = wirelens.analyze(str(SURICATA / capture))
    got = [(r["method"], r["host"], r["uri"], r["version"], r["status_code"])
           for r in res.http.to_pylist()]
    assert got == want
    assert res.weird.num_rows == 0
    named = {(c["server_name"], c["name_source"]) for c in res.conn.to_pylist() if c["server_name"]}
    hosts = {h.rpartition(":")[0] if h.count(":") == 1 else h for _, h, *_ in want if h}
    assert {n for n, _ in named} <= {h.lower() for h in hosts}
    assert named and {src for _, src in named} == {"http_host"}


@settings(max_examples=300, deadline=250, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=600), st.sampled_from([0, 1, 7]), st.booleans())
def test_fuzz_invariant(data: bytes, step: int, after_preface: bool) -> None:
    """Invariant: any bytes (after the preface or not, whole or in pieces, either side)
    give http rows or a ParseError, nothing else."""
    enc_c, enc_s = Encoder(), Encoder()
    c1, s1 = exchange(enc_c, enc_s, 1)
    chunks = [(True, (PREFACE + c1 + data) if after_preface else data), (False, s1 + data)]
    try:
        events = feed_all(Http2Dissector, chunks, TCP, step=step)
    except ParseError:
        return
    assert all(isinstance(e, HttpRecord) for e in events)


def test_data_payloads_can_be_skipped_and_holes_inside_them_stay_in_step() -> None:
    """A DATA payload is counted from its frame header: the caller may pass over its rest
    (``skippable``) and announce it as a hole (``gap``); a hole anywhere else loses the
    frame boundaries."""
    enc_c, enc_s = Encoder(), Encoder()
    client, _ = exchange(enc_c, Encoder(), 1)  # (its response is not fed)
    d = Http2Dissector(TCP)
    d.feed(PREFACE + client, True, 1)
    head = frame(HEADERS, END_HEADERS, 1, enc_s.encode(RESPONSE))
    body = frame(DATA_FRAME, END_STREAM, 1, bytes(100_000))
    (row,) = d.feed(head + body[:9 + 1000], False, 2)  # END_STREAM: the row at the header
    assert row.response_body_len == 100_000  # type: ignore[attr-defined]
    assert d.skippable(False) == 99_000 and d.skippable(True) == 0
    assert d.gap(False, 99_000) == [] and not d.done and d.skippable(False) == 0
    c3, _ = exchange(enc_c, Encoder(), 3)
    assert d.feed(c3, True, 3) == [] and not d.done  # the next stream still read
    d.feed(b"\x00\x00", False, 4)  # half a frame header, then a hole: lost
    assert d.gap(False, 10) == [] and d.done


@pytest.mark.parametrize("step", [0, 1])
def test_body_file_types_from_their_first_bytes(step: int) -> None:
    """As HTTP/1.x rows, each body's file type comes from its first bytes (magic numbers),
    whatever its content-type says; padding is not body."""
    enc_c, enc_s = Encoder(), Encoder()
    png = b"\x89PNG\r\n\x1a\n" + bytes(40)
    client = (PREFACE + frame(HEADERS, END_HEADERS, 1, enc_c.encode(REQUEST))
              + frame(DATA_FRAME, END_STREAM | PADDED, 1, b"\x03" + png + bytes(3)))
    server = (frame(HEADERS, END_HEADERS, 1, enc_s.encode(RESPONSE))
              + frame(DATA_FRAME, 0, 1, b"%PDF-1.7\n" + bytes(200))
              + frame(DATA_FRAME, END_STREAM, 1, b"MZ" + bytes(62)))
    (row,) = feed_all(Http2Dissector, [(True, client), (False, server)], TCP, step=step)
    assert (row.request_mime_type, row.response_mime_type) == (  # type: ignore[attr-defined]
        "image/png", "application/pdf")
    assert (row.request_body_len, row.response_body_len) == (len(png), 209 + 64)  # type: ignore[attr-defined]


def test_encoded_body_file_type_is_what_it_decodes_to() -> None:
    """As HTTP/1.x: a gzip-encoded response body's file type is that of what it decodes to."""
    import gzip

    enc_c, enc_s = Encoder(), Encoder()
    page = gzip.compress(b"<!DOCTYPE html><html><body>" + bytes(range(256)) * 30 + b"</html>")
    headers = [*RESPONSE, ("content-encoding", "gzip")]
    client = PREFACE + frame(HEADERS, END_HEADERS | END_STREAM, 1, enc_c.encode(REQUEST))
    server = (frame(HEADERS, END_HEADERS, 1, enc_s.encode(headers))
              + frame(DATA_FRAME, END_STREAM, 1, page))
    (row,) = feed_all(Http2Dissector, [(True, client), (False, server)], TCP)
    assert (row.response_mime_type, row.response_body_len) == (  # type: ignore[attr-defined]
        "text/html", len(page))
