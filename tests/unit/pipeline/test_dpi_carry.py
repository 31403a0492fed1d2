"""A connection the flow table cut (here by the active timeout) keeps its dissector state: the
flow that continues it takes the state over (:mod:`wirelens.pipeline.dpi_carry`), so a
transaction under way at the cut is written once, whole."""

from __future__ import annotations

from pathlib import Path

from tests.unit.decode.decode_frames import eth, ipv4, tcp, tcp_frame, udp_frame, vlan

import wirelens
from wirelens.capture.writer import PcapWriter
from wirelens.flow.reassembly import TcpReassembler
from wirelens.pipeline.dpi_carry import CARRY_WINDOW, Carry

CLIENT, SERVER = "10.0.0.5", "10.9.9.9"
SYN, SYN_ACK, ACK, PSH_ACK, FIN_ACK = 0x02, 0x12, 0x10, 0x18, 0x11
MS = 1_000_000
T0 = 1_700_000_000 * 1_000_000_000
PORT = 44000


def _response(body: bytes) -> bytes:
    return b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body) + body


def _request(uri: str) -> bytes:
    return f"GET {uri} HTTP/1.1\r\nHost: www.example.com\r\n\r\n".encode()


def _keep_alive(path: Path, cut_jump: int = 0, cut_vlan: int = 0, other_at: int = 0,
                until: int | None = None, pause: int = 0) -> None:
    """An HTTP/1.1 connection: /a at 0.1 s, /b asked at 2.9 s and answered at 3.1 s (after
    a 3 s active timeout's cut), /c at 3.5 s, closed at 4 s. ``cut_jump`` moves the sequence
    numbers of what the server sends from the cut on; ``cut_vlan`` sends the answer to /b
    on that VLAN (the rest untagged); ``other_at`` (ns) adds a datagram of other hosts then;
    ``until`` (ns) leaves out what comes later; ``pause`` (ns) delays what comes from the
    answer to /b on."""
    c, s = 1000, 9000
    frames = [(0, tcp_frame(CLIENT, SERVER, PORT, 80, c - 1, 0, SYN)),
              (1 * MS, tcp_frame(SERVER, CLIENT, 80, PORT, s - 1, c, SYN_ACK)),
              (2 * MS, tcp_frame(CLIENT, SERVER, PORT, 80, c, s, ACK))]

    def client(t: int, data: bytes) -> None:
        nonlocal c
        frames.append((t, tcp_frame(CLIENT, SERVER, PORT, 80, c, s, PSH_ACK, data)))
        c += len(data)

    def server(t: int, data: bytes, tag: int = 0) -> None:
        nonlocal s
        seg = tcp(80, PORT, seq=s, ack=c, flags=PSH_ACK, payload=data)
        ip = ipv4(seg, proto=6, src=SERVER, dst=CLIENT)
        frames.append((t, eth(vlan(tag, 0x0800, ip), 0x8100) if tag else eth(ip)))
        s += len(data)

    client(100 * MS, _request("/a"))
    server(200 * MS, _response(b"A" * 10))
    client(2900 * MS, _request("/b"))
    s += cut_jump
    server(3100 * MS, _response(b"B" * 20), cut_vlan)
    client(3500 * MS, _request("/c"))
    server(3600 * MS, _response(b"C" * 30))
    frames += [(4000 * MS, tcp_frame(CLIENT, SERVER, PORT, 80, c, s, FIN_ACK)),
               (4001 * MS, tcp_frame(SERVER, CLIENT, 80, PORT, s, c + 1, FIN_ACK)),
               (4002 * MS, tcp_frame(CLIENT, SERVER, PORT, 80, c + 1, s + 1, ACK))]
    if other_at:
        frames.append((other_at, udp_frame("10.7.7.7", "10.8.8.8", 5000, 6000, b"x")))
        frames.sort(key=lambda f: f[0])
    if until is not None:
        frames = [f for f in frames if f[0] <= until]
    frames = [(t + pause if t >= 3100 * MS else t, f) for t, f in frames]
    with PcapWriter(path) as w:
        for t, frame in frames:
            w.write(T0 + t, frame)


def test_a_transaction_across_the_cut_is_written_once_whole(tmp_path: Path) -> None:
    cap = tmp_path / "keepalive.pcap"
    _keep_alive(cap)
    result = wirelens.analyze(cap, active_timeout_s=3.0)
    conn = result.conn.to_pylist()
    assert [r["end_reason"] for r in conn] == ["active", "eof"]  # (closed, lingering)
    first, second = conn
    # the second piece began with the server's answer: the connection's roles, its service
    assert (second["orig_h"], second["resp_p"]) == (CLIENT, 80)
    assert second["history"].startswith("^")
    assert first["service"] == second["service"] == "http"
    assert second["server_name"] == "www.example.com"
    http = sorted(result.http.to_pylist(), key=lambda r: r["ts"])
    assert [(r["uri"], r["status_code"], r["response_body_len"]) for r in http] == [
        ("/a", 200, 10), ("/b", 200, 20), ("/c", 200, 30)]
    # a transaction belongs to the piece in which it was completed
    assert [r["uid"] for r in http] == [first["uid"], second["uid"], second["uid"]]
    assert result.weird.num_rows == 0
    # without the cut: the same three transactions in one flow
    whole = wirelens.analyze(cap)
    assert whole.conn.num_rows == 1
    assert sorted((r["uri"], r["status_code"]) for r in whole.http.to_pylist()) == [
        ("/a", 200), ("/b", 200), ("/c", 200)]


def test_another_stream_on_the_same_endpoints_takes_nothing_over(tmp_path: Path) -> None:
    cap = tmp_path / "jump.pcap"
    _keep_alive(cap, cut_jump=CARRY_WINDOW + 1)  # far from where the server's stream was
    http = wirelens.analyze(cap, active_timeout_s=3.0).http.to_pylist()
    b = [r for r in http if r["uri"] == "/b"]
    assert len(b) == 1 and b[0]["status_code"] is None  # its answer was not taken


def test_a_flow_on_another_vlan_takes_nothing_over(tmp_path: Path) -> None:
    cap = tmp_path / "vlan.pcap"
    _keep_alive(cap, cut_vlan=7)  # the answer to /b on VLAN 7: another flow, keyed apart
    result = wirelens.analyze(cap, active_timeout_s=30.0)
    conn = {r["vlan"]: r for r in result.conn.to_pylist()}
    assert set(conn) == {0, 7}  # the connection, and the lone answer on VLAN 7
    http = result.http.to_pylist()
    # the answer read by its own flow's dissector, the connection's state left where it was
    assert [r["uid"] for r in http if r["response_body_len"] == 20] == [conn[7]["uid"]]
    assert sorted(r["uri"] for r in http if r["uid"] == conn[0]["uid"]) == ["/a", "/b", "/c"]


def test_many_cuts_in_one_batch_lose_no_bytes(tmp_path: Path) -> None:
    """A chunked upload, one 900-byte chunk every 40 ms, cut every 0.5 s: packets of a piece
    past its content tests' tries wait for the end of the walk, so the next piece (in the
    same batch) does not take the state from under them."""
    cap = tmp_path / "upload.pcap"
    head = (b"POST /up HTTP/1.1\r\nHost: up.example.com\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n")
    chunks = [b"384\r\n" + bytes([k]) * 900 + b"\r\n" for k in range(50)] + [b"0\r\n\r\n"]
    c, s = 1000, 9000
    frames = [(0, tcp_frame(CLIENT, SERVER, PORT, 80, c - 1, 0, SYN)),
              (1 * MS, tcp_frame(SERVER, CLIENT, 80, PORT, s - 1, c, SYN_ACK)),
              (2 * MS, tcp_frame(CLIENT, SERVER, PORT, 80, c, s, ACK))]
    t = 10 * MS
    for data in [head, *chunks]:
        frames.append((t, tcp_frame(CLIENT, SERVER, PORT, 80, c, s, PSH_ACK, data)))
        c += len(data)
        t += 40 * MS
    answer = _response(b"ok")
    frames += [(t, tcp_frame(SERVER, CLIENT, 80, PORT, s, c, PSH_ACK, answer)),
               (t + MS, tcp_frame(CLIENT, SERVER, PORT, 80, c, s + len(answer), FIN_ACK))]
    with PcapWriter(cap) as w:
        for ts, frame in frames:
            w.write(T0 + ts, frame)
    result = wirelens.analyze(cap, active_timeout_s=0.5)
    assert result.conn.num_rows > 4
    assert result.weird.num_rows == 0  # (no tcp_gap: every byte reached the dissector)
    up = [r for r in result.http.to_pylist() if r["uri"] == "/up"]
    assert [(r["host"], r["request_body_len"], r["status_code"]) for r in up] == [
        ("up.example.com", 50 * 900, 200)]


# -- the continuity test alone -------------------------------------------------------------
def test_continues_by_sequence_number_or_else_acknowledgement() -> None:
    reasm = TcpReassembler()
    reasm.add(True, 1000, PSH_ACK, b"x" * 100)  # the client's stream, next byte at 1100
    assert Carry.continues(reasm, None, True, 1100, None)
    assert Carry.continues(reasm, None, True, 1100 + CARRY_WINDOW, None)
    assert not Carry.continues(reasm, None, True, 1100 + CARRY_WINDOW + 1, None)
    assert Carry.continues(reasm, None, True, (1100 - 5000) % (1 << 32), None)  # (resent)
    # the server's stream never started: its segment is judged by what it acknowledges
    assert Carry.continues(reasm, None, False, 77, 1100)
    assert not Carry.continues(reasm, None, False, 77, None)
    assert not Carry.continues(reasm, None, False, 77, 1100 + 2 * CARRY_WINDOW)
    # a side passing bytes over: from the end of what was passed over
    assert Carry.continues(reasm, {True: [1100, 9_000_000, 8_998_900, 5_000_000]}, True,
                           5_000_000, None)


def test_forget_only_drops_the_flow_that_holds_the_key() -> None:
    carry = Carry()
    carry.by_key[(1,)] = 5
    carry.forget((1,), 4)
    assert carry.by_key == {(1,): 5}
    carry.forget((1,), 5)
    assert not carry.by_key


def test_a_state_waits_for_its_continuation_after_the_cut_flow_was_written(tmp_path: Path) -> None:
    """Batches and hand-overs so small that the cut flow is written before the next packet of
    its connection comes: the dissector state waits (within the idle timeout) and is taken
    over all the same; one that waits past the idle timeout, or to the end of the input,
    gives its rows up then."""
    cap = tmp_path / "keepalive.pcap"
    _keep_alive(cap, other_at=3050 * MS)  # (its packet ends the cut flow, written at once)
    small = {"batch_bytes": 1, "emit_bytes": 1}  # (a packet a batch, each handed over)
    result = wirelens.analyze(cap, active_timeout_s=3.0, **small)
    conn = [r for r in result.conn.to_pylist() if r["resp_p"] == 80]
    assert [r["end_reason"] for r in conn] == ["active", "eof"]
    http = sorted(result.http.to_pylist(), key=lambda r: r["ts"])
    assert [(r["uri"], r["status_code"]) for r in http] == [
        ("/a", 200), ("/b", 200), ("/c", 200)]
    assert [r["uid"] for r in http] == [conn[0]["uid"], conn[1]["uid"], conn[1]["uid"]]
    # the connection's next packet later than the idle timeout after the cut flow's last
    # one (6.2 s after it, 5 s): the state gave its rows up then, /b written unanswered
    slow = tmp_path / "slow.pcap"
    _keep_alive(slow, other_at=3050 * MS, pause=6 * 10**9)
    late = wirelens.analyze(slow, active_timeout_s=3.0, idle_timeout_s=5.0, **small)
    assert [r["end_reason"] for r in late.conn.to_pylist() if r["resp_p"] == 80][0] == "active"
    rows = sorted((r["uri"] or "", r["status_code"]) for r in late.http.to_pylist())
    assert rows == [("", 200), ("/a", 200), ("/b", None), ("/c", 200)]
    # the input ends while the state waits: its rows are written then
    cut = tmp_path / "cut.pcap"
    _keep_alive(cut, other_at=3050 * MS, until=3060 * MS)
    ended = wirelens.analyze(cut, active_timeout_s=3.0, **small)
    assert sorted((r["uri"], r["status_code"]) for r in ended.http.to_pylist()) == [
        ("/a", 200), ("/b", None)]
