"""Segments that come before their turn: a TCP flow is named by a later segment than the
first one it carried, and the segments that came early (reordered) are read after it, so the
message they complete is logged (``DPI_EARLY_BYTES``)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from tests.unit.decode.decode_frames import tcp_frame, write_pcap
from tests.unit.dissect.wl_dissect_builders import client_hello, record

import wirelens
from wirelens.core import limits

CLIENT, SERVER = "10.0.0.5", "10.9.9.9"
HANDSHAKE = [tcp_frame(CLIENT, SERVER, 41000, 80, 0, 0, 0x02),
             tcp_frame(SERVER, CLIENT, 80, 41000, 0, 1, 0x12),
             tcp_frame(CLIENT, SERVER, 41000, 80, 1, 1, 0x10)]


def _http(tmp_path: Path, head_first: bool) -> dict[str, object]:
    request = b"GET /reordered HTTP/1.1\r\nHost: example.org\r\nUser-Agent: t\r\n\r\n"
    a, b = request[:20], request[20:]
    seg_a = tcp_frame(CLIENT, SERVER, 41000, 80, 1, 1, 0x18, a)
    seg_b = tcp_frame(CLIENT, SERVER, 41000, 80, 1 + len(a), 1, 0x18, b)
    response = tcp_frame(SERVER, CLIENT, 80, 41000, 1, 1 + len(request), 0x18,
                         b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
    frames = HANDSHAKE + ([seg_a, seg_b] if head_first else [seg_b, seg_a]) + [response]
    cap = tmp_path / "http.pcap"
    write_pcap(cap, frames)
    r = wirelens.analyze(cap)
    (row,) = r.tables["http"].to_pylist()
    return row


def test_a_request_whose_second_half_came_first_is_whole(tmp_path: Path) -> None:
    """The second half of the request, then the first half (which names the flow), then the
    answer: the request and its response are logged. (Were the answer seen before the first
    half, it would name the flow and its ACK would place the client's stream start after the
    request: that capture-side reordering still loses the request.)"""
    row = _http(tmp_path, head_first=False)
    assert (row["uri"], row["host"], row["user_agent"], row["status_code"]) == (
        "/reordered", "example.org", "t", 200)


def test_in_order_requests_are_unchanged(tmp_path: Path) -> None:
    row = _http(tmp_path, head_first=True)
    assert (row["uri"], row["host"], row["status_code"]) == ("/reordered", "example.org", 200)


def test_a_client_hello_whose_tail_came_first_is_fingerprinted(tmp_path: Path) -> None:
    hello = record(22, client_hello("reordered.example"), 0x0301)
    cut = len(hello) // 2
    frames = [tcp_frame(CLIENT, SERVER, 41000, 443, 0, 0, 0x02),
              tcp_frame(SERVER, CLIENT, 443, 41000, 0, 1, 0x12),
              tcp_frame(CLIENT, SERVER, 41000, 443, 1, 1, 0x10),
              tcp_frame(CLIENT, SERVER, 41000, 443, 1 + cut, 1, 0x18, hello[cut:]),
              tcp_frame(CLIENT, SERVER, 41000, 443, 1, 1, 0x18, hello[:cut])]
    cap = tmp_path / "tls.pcap"
    write_pcap(cap, frames)
    r = wirelens.analyze(cap)
    (row,) = r.tables["tls"].to_pylist()
    assert row["server_name"] == "reordered.example" and row["ja3_hash"]
    assert r.conn.to_pylist()[0]["server_name"] == "reordered.example"


def test_early_segments_are_bounded(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Past ``DPI_EARLY_BYTES`` the oldest flows' early segments are forgotten: then, as
    before they were kept, the request's second half is lost (it is before the stream the
    reassembler reads): its row has what the first half holds, the request line cut short
    (method and URI so far), and the answer; its headers are lost."""
    monkeypatch.setattr("wirelens.pipeline.dpi.DPI_EARLY_BYTES", 10)
    row = _http(tmp_path, head_first=False)
    assert (row["method"], row["uri"], row["host"], row["user_agent"], row["status_code"]) == (
        "GET", "/reordered", None, None, 200)
    assert limits.DPI_EARLY_BYTES >= 1 << 20


@settings(max_examples=25, deadline=None)
@given(st.data())
def test_any_order_of_a_request_s_segments_logs_it_whole(data: st.DataObject) -> None:
    """However a request is cut after its request line (up to the content-test tries, 4
    segments) and in whatever order its segments come before the answer, the request is
    logged whole. (A cut inside the request line can leave a later segment that is itself a
    request line, e.g. ``order HTTP/1.1``: an extension method and an empty target, which
    names the flow first, as it should.)"""
    request = b"GET /any/order HTTP/1.1\r\nHost: example.org\r\nUser-Agent: hypothesis\r\n\r\n"
    line_end = request.index(b"\n") + 1
    cuts = sorted(data.draw(st.sets(st.integers(line_end, len(request) - 1), max_size=3)))
    bounds = [0, *cuts, len(request)]
    segments = [tcp_frame(CLIENT, SERVER, 41000, 80, 1 + a, 1, 0x18, request[a:b])
                for a, b in zip(bounds, bounds[1:])]
    order = data.draw(st.permutations(range(len(segments))))
    response = tcp_frame(SERVER, CLIENT, 80, 41000, 1, 1 + len(request), 0x18,
                         b"HTTP/1.1 204 No Content\r\n\r\n")
    with tempfile.TemporaryDirectory() as tmp:
        cap = Path(tmp) / "order.pcap"
        write_pcap(cap, HANDSHAKE + [segments[k] for k in order] + [response])
        (row,) = wirelens.analyze(cap).tables["http"].to_pylist()
    assert (row["uri"], row["host"], row["user_agent"], row["status_code"]) == (
        "/any/order", "example.org", "hypothesis", 204)
