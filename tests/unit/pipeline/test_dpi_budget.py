"""How long DPI reads a flow: while its dissector writes rows (every transaction of a long
flow is logged), until ``DPI_IDLE_PACKETS`` payload packets pass without one (a bulk body is
not fed to Python), and never past ``DPI_MAX_PACKETS``."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.unit.decode.decode_frames import tcp_frame, udp_frame, write_pcap
from tests.unit.dissect.wl_dissect_builders import dns_query, dns_response, rr

import wirelens
from wirelens.core import limits
from wirelens.dissect.base import Event
from wirelens.dissect.http import HttpDissector

CLIENT, SERVER = "10.0.0.5", "10.9.9.9"


class _Conversation:
    """One TCP connection's frames, sequence numbers kept."""

    def __init__(self) -> None:
        self.frames = [tcp_frame(CLIENT, SERVER, 41000, 80, 0, 0, 0x02),
                       tcp_frame(SERVER, CLIENT, 80, 41000, 0, 1, 0x12),
                       tcp_frame(CLIENT, SERVER, 41000, 80, 1, 1, 0x10)]
        self.seq = {True: 1, False: 1}

    def send(self, from_client: bool, data: bytes) -> None:
        a, b, sp, dp = (CLIENT, SERVER, 41000, 80) if from_client else (SERVER, CLIENT, 80, 41000)
        self.frames.append(tcp_frame(a, b, sp, dp, self.seq[from_client],
                                     self.seq[not from_client], 0x18, data))
        self.seq[from_client] += len(data)


def test_every_transaction_of_a_long_persistent_connection_is_logged(tmp_path: Path) -> None:
    conv = _Conversation()
    n = 3 * limits.DPI_IDLE_PACKETS  # far more packets than one idle budget
    for k in range(n):
        conv.send(True, f"GET /item/{k} HTTP/1.1\r\nHost: example.org\r\n\r\n".encode())
        conv.send(False, b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
    cap = tmp_path / "keepalive.pcap"
    write_pcap(cap, conv.frames)
    http = wirelens.analyze(cap).tables["http"].to_pylist()
    assert [h["uri"] for h in http] == [f"/item/{k}" for k in range(n)]


def _download(body_head: bytes, chunks: int, chunk: bytes) -> list[bytes]:
    conv = _Conversation()
    conv.send(True, b"GET /big HTTP/1.1\r\nHost: example.org\r\n\r\n")
    conv.send(False, body_head)
    for _ in range(chunks):
        conv.send(False, chunk)
    conv.send(True, b"GET /after HTTP/1.1\r\nHost: example.org\r\n\r\n")
    conv.send(False, b"HTTP/1.1 204 No Content\r\n\r\n")
    return conv.frames


def test_a_body_of_known_length_is_skipped_not_read(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """The rest of a Content-Length body is announced to the dissector as a hole and its
    packets are passed over: the transaction after the download is still logged."""
    fed: list[int] = []
    feed = HttpDissector.feed

    def counting(self: HttpDissector, data: bytes, from_orig: bool, ts_ns: int) -> list[Event]:
        fed.append(len(data))
        return feed(self, data, from_orig, ts_ns)

    monkeypatch.setattr(HttpDissector, "feed", counting)
    chunk, chunks = b"x" * 1000, 4 * limits.DPI_IDLE_PACKETS
    head = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % (len(chunk) * (chunks + 1))
    cap = tmp_path / "download.pcap"
    write_pcap(cap, _download(head + chunk, chunks, chunk))
    r = wirelens.analyze(cap)
    http = r.tables["http"].to_pylist()
    assert [(h["uri"], h["status_code"]) for h in http] == [("/big", 200), ("/after", 204)]
    assert http[0]["response_body_len"] == len(chunk) * (chunks + 1)
    assert len(fed) <= 6  # the requests, the head (with the body's first bytes), the 204
    assert r.tables["weird"].num_rows == 0  # a skip is no loss


def test_a_chunked_bulk_body_stops_the_reading(tmp_path: Path) -> None:
    """Chunks smaller than DPI_SKIP_MIN_BYTES are read (so is the framing of every chunk):
    after DPI_IDLE_PACKETS of their packets without a row DPI stops reading the flow (which
    stays http)."""
    chunk, chunks = b"3e8\r\n" + b"x" * 1000 + b"\r\n", 4 * limits.DPI_IDLE_PACKETS
    head = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
    cap = tmp_path / "bulk.pcap"
    write_pcap(cap, _download(head, chunks, chunk))
    # small read windows: the flow table hears of the stop after a few packets (within one
    # batch the stage still sees the flow's marked packets, and passes over them)
    r = wirelens.analyze(cap, batch_bytes=8192)
    assert r.summary.dpi_python_packets <= 2 + limits.DPI_IDLE_PACKETS + 10
    assert r.conn.to_pylist()[0]["service"] == "http"
    assert [h["uri"] for h in r.tables["http"].to_pylist()] == ["/big"]  # the rest unread


def test_big_chunks_are_skipped_and_the_next_transaction_logged(tmp_path: Path) -> None:
    """The data of chunks of DPI_SKIP_MIN_BYTES or more is passed over (each chunk line is
    read): however long the body, the transaction after it is logged."""
    size = 2 * limits.DPI_SKIP_MIN_BYTES
    head = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
    conv = _Conversation()
    conv.send(True, b"GET /big HTTP/1.1\r\nHost: example.org\r\n\r\n")
    conv.send(False, head)
    chunks = 2 * limits.DPI_IDLE_PACKETS
    for _ in range(chunks):
        conv.send(False, b"%x\r\n" % size)
        for _ in range(size // 1024):
            conv.send(False, b"c" * 1024)
        conv.send(False, b"\r\n")
    conv.send(False, b"0\r\n\r\n")
    conv.send(True, b"GET /after HTTP/1.1\r\nHost: example.org\r\n\r\n")
    conv.send(False, b"HTTP/1.1 204 No Content\r\n\r\n")
    cap = tmp_path / "chunked.pcap"
    write_pcap(cap, conv.frames)
    r = wirelens.analyze(cap)
    http = r.tables["http"].to_pylist()
    assert [(h["uri"], h["status_code"]) for h in http] == [("/big", 200), ("/after", 204)]
    assert http[0]["response_body_len"] == chunks * size
    assert r.summary.dpi_python_packets < len(conv.frames)
    assert r.tables["weird"].num_rows == 0


def test_a_body_read_until_the_close_is_passed_over_and_counted(tmp_path: Path) -> None:
    """A response with neither length nor chunking runs to the close: once its first bytes
    gave the file type the rest is passed over, and its length is all that came."""
    conv = _Conversation()
    conv.send(True, b"GET /stream HTTP/1.1\r\nHost: example.org\r\n\r\n")
    conv.send(False, b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n" + b"s" * 100)
    n = 3 * limits.DPI_IDLE_PACKETS
    for _ in range(n):
        conv.send(False, b"s" * 1000)
    cap = tmp_path / "close.pcap"
    write_pcap(cap, conv.frames)
    (row,) = wirelens.analyze(cap).tables["http"].to_pylist()
    assert row["uri"] == "/stream" and row["response_body_len"] == 100 + n * 1000


def test_a_flow_a_content_test_names_is_read_whole_within_one_batch(tmp_path: Path) -> None:
    """Packets of a flow the compiled classifier does not know, past the content-test tries
    it has, are set aside while the batch is walked; once a content test (in Python) has
    named the flow from an earlier packet they are read after all (here Modbus/TCP: every
    transaction is logged, all in one batch)."""
    conv = _Conversation()
    n = 3 * 4  # several times the content-test tries (IDENTIFY_TRIES)
    for k in range(n):
        request = bytes([0, k, 0, 0, 0, 6, 1, 3, 0, k, 0, 1])  # read holding register k
        conv.send(True, request)
        conv.send(False, bytes([0, k, 0, 0, 0, 5, 1, 3, 2, 0, k]))
    cap = tmp_path / "modbus.pcap"
    write_pcap(cap, conv.frames)
    r = wirelens.analyze(cap)
    assert r.conn.to_pylist()[0]["service"] == "modbus"
    assert [m["trans_id"] for m in r.tables["modbus"].to_pylist()] == list(range(n))


def test_every_query_of_a_long_dns_flow_is_logged(tmp_path: Path) -> None:
    frames = []
    n = 5 * limits.DPI_IDLE_PACKETS
    for k in range(n):
        name = f"h{k}.example.org"
        frames.append(udp_frame(CLIENT, SERVER, 40000, 53, dns_query(k, name)))
        frames.append(udp_frame(SERVER, CLIENT, 53, 40000,
                                dns_response(k, name, [rr(1, bytes(4))])))
    cap = tmp_path / "dns.pcap"
    write_pcap(cap, frames)
    r = wirelens.analyze(cap)
    assert len(r.conn.to_pylist()) == 1
    assert [d["query"] for d in r.tables["dns"].to_pylist()] == [
        f"h{k}.example.org" for k in range(n)]


def test_fast_mode_reads_only_a_flow_start(tmp_path: Path) -> None:
    """``--dpi fast`` identifies (names) flows only: the table hands it a flow's first
    DPI_FAST_PACKETS payload packets at most."""
    conv = _Conversation()
    for k in range(2 * limits.DPI_FAST_PACKETS):
        conv.send(True, f"GET /{k} HTTP/1.1\r\nHost: example.org\r\n\r\n".encode())
    cap = tmp_path / "fast.pcap"
    write_pcap(cap, conv.frames)
    r = wirelens.analyze(cap, dpi="fast")
    assert r.summary.dpi_packets == limits.DPI_FAST_PACKETS
    assert r.conn.to_pylist()[0]["server_name"] == "example.org"


def test_a_skipped_body_cut_short_counts_what_came(tmp_path: Path) -> None:
    """The connection ends inside a skipped body: the body length is what was carried, not
    what the header promised (the skipped packets' bytes are counted as they pass)."""
    conv = _Conversation()
    conv.send(True, b"GET /big HTTP/1.1\r\nHost: example.org\r\n\r\n")
    chunk = b"x" * 1000
    conv.send(False, b"HTTP/1.1 200 OK\r\nContent-Length: 999999\r\n\r\n" + chunk)
    for _ in range(20):
        conv.send(False, chunk)
    cap = tmp_path / "cut.pcap"
    write_pcap(cap, conv.frames)
    (row,) = wirelens.analyze(cap).tables["http"].to_pylist()
    assert row["uri"] == "/big" and row["response_body_len"] == 21 * len(chunk)


def test_a_skipped_body_ended_by_a_fin_already_seen_counts_up_to_it(tmp_path: Path) -> None:
    """The server's last segment, with its FIN (inside the announced body), arrives before
    the head: the skip stops at the FIN and counts only the bytes before it."""
    conv = _Conversation()
    conv.send(True, b"GET /big HTTP/1.1\r\nHost: example.org\r\n\r\n")
    head = b"HTTP/1.1 200 OK\r\nContent-Length: 999999\r\n\r\n" + b"x" * 100
    body = b"y" * 20000
    start = conv.seq[False]
    last = b"z" * 10
    fin = tcp_frame(SERVER, CLIENT, 80, 41000, start + len(head) + len(body), conv.seq[True],
                    0x19, last)  # FIN+PSH with the body's last bytes
    conv.frames.append(fin)  # out of order: the end first, then the data before it
    conv.send(False, head)
    conv.send(False, body)
    cap = tmp_path / "fin.pcap"
    write_pcap(cap, conv.frames)
    (row,) = wirelens.analyze(cap).tables["http"].to_pylist()
    assert row["response_body_len"] == 100 + len(body) + len(last)


def test_dpi_state_is_bounded_across_flows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            ) -> None:
    """Past ``DPI_MAX_READING`` flows holding dissector state, the flow whose dissector was
    made first gives it up: its request waiting for an answer is written (unanswered), a
    ``dpi_state_limit`` weird says why, and its later bytes are not read (the response that
    comes is not paired); the flows made later are read whole."""
    monkeypatch.setattr(limits, "DPI_MAX_READING", 2)
    ports = (41001, 41002, 41003)
    frames = []
    for p in ports:  # three requests, all waiting
        frames += [tcp_frame(CLIENT, SERVER, p, 80, 0, 0, 0x02),
                   tcp_frame(SERVER, CLIENT, 80, p, 0, 1, 0x12),
                   tcp_frame(CLIENT, SERVER, p, 80, 1, 1, 0x18,
                             f"GET /{p} HTTP/1.1\r\nHost: h{p}\r\n\r\n".encode())]
    get = len(f"GET /{ports[0]} HTTP/1.1\r\nHost: h{ports[0]}\r\n\r\n")
    for p in ports:  # then their answers
        frames.append(tcp_frame(SERVER, CLIENT, 80, p, 1, 1 + get, 0x18,
                                b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"))
    cap = tmp_path / "three.pcap"
    write_pcap(cap, frames)
    res = wirelens.analyze(cap)
    http = {r["uri"]: r["status_code"] for r in res.http.to_pylist()}
    assert http == {"/41001": None, "/41002": 200, "/41003": 200}
    (weird,) = [w for w in res.weird.to_pylist() if w["name"] == "dpi_state_limit"]
    assert weird["count"] == 1 and weird["source"] == "dpi" and weird["uid"] is None
    assert res.summary.weirds["dpi_state_limit"] == 1
    assert {c["service"] for c in res.conn.to_pylist()} == {"http"}


def test_shedding_state_stays_linear(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A flood of identified flows past the bound: every new one sheds the oldest, and the
    weird is one row per hand-over with the count (a row per flow, and a plain dict as the
    queue, made a million-query flood 7 times slower)."""
    monkeypatch.setattr(limits, "DPI_MAX_READING", 10)
    frames = [udp_frame(f"10.1.{k // 250}.{k % 250}", SERVER, 20000 + k, 53,
                        dns_query(k, f"q{k}.example")) for k in range(3000)]
    cap = tmp_path / "flood.pcap"
    write_pcap(cap, frames)
    res = wirelens.analyze(cap)
    assert res.dns.num_rows == 3000  # every query written (unanswered), shed or not
    assert res.summary.weirds["dpi_state_limit"] == 3000 - 10
    assert sum(w["count"] for w in res.weird.to_pylist()
               if w["name"] == "dpi_state_limit") == 3000 - 10


def test_fast_mode_walks_a_flow_named_by_its_first_packet_no_further(tmp_path: Path) -> None:
    """``--dpi fast``: the flow table marks a new flow's first ``DPI_FAST_PACKETS`` payload
    packets, but one named by its first (a Host the compiled classifier reads) is not walked
    for the others of its batch; a flow not identified yet is walked for as many as its
    content tests may see, in order (``IDENTIFY_TRIES``)."""
    from wirelens.pipeline.dpi import IDENTIFY_TRIES

    conv = _Conversation()
    for k in range(20):
        conv.send(True, f"GET /item/{k} HTTP/1.1\r\nHost: example.org\r\n\r\n".encode())
        conv.send(False, b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
    other = [tcp_frame(CLIENT, SERVER, 41001, 40404, 0, 0, 0x02),
             tcp_frame(SERVER, CLIENT, 40404, 41001, 0, 1, 0x12)]
    other += [tcp_frame(CLIENT, SERVER, 41001, 40404, 1 + 7 * k, 1, 0x18, b"~~~~~~~")
              for k in range(12)]
    cap = tmp_path / "two.pcap"
    write_pcap(cap, conv.frames + other)
    r = wirelens.analyze(cap, dpi="fast")
    conn = {c["resp_p"]: c for c in r.conn.to_pylist()}
    assert (conn[80]["service"], conn[80]["server_name"]) == ("http", "example.org")
    assert conn[40404]["service"] is None
    assert r.summary.dpi_python_packets == 1 + IDENTIFY_TRIES
