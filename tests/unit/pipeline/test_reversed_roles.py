"""Flows whose first payload is a server's (a capture starting mid-conversation) are written
with the roles the content shows, as Zeek does (history ``^``): conn, and the protocol rows."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from tests.unit.decode.decode_frames import raw_batch, tcp_frame, udp_frame, write_pcap
from tests.unit.dissect.wl_dissect_builders import dns_query, dns_response, rr

import wirelens
from wirelens.decode import Decoder
from wirelens.flow import CONN_STATES, FLOW_COLUMNS, FlowTable, reverse_flows
from wirelens.pipeline.columns import addr_one
from wirelens.pipeline.dpi import _to_group

CLIENT, SERVER, GROUP = "10.0.0.5", "10.9.9.9", "224.0.0.251"
SYN, ACK, PSH_ACK, FIN_ACK = 0x02, 0x10, 0x18, 0x11


def _answer(tid: int) -> bytes:
    return dns_response(tid, "a.example.com", [rr(1, bytes([192, 0, 2, 1]))])


def test_a_lone_dns_answer_is_written_from_the_client(tmp_path: Path) -> None:
    cap = tmp_path / "d.pcap"
    write_pcap(cap, [udp_frame(SERVER, CLIENT, 53, 40000, _answer(7)),
                  udp_frame(CLIENT, SERVER, 40001, 53, dns_query(8, "b.example.com")),
                  udp_frame(SERVER, CLIENT, 53, 40001, _answer(8))])
    r = wirelens.analyze(cap)
    conn = {row["orig_p"]: row for row in r.conn.to_pylist()}
    lone = conn[40000]
    assert (lone["orig_h"], lone["resp_h"], lone["resp_p"]) == (CLIENT, SERVER, 53)
    assert (lone["orig_pkts"], lone["resp_pkts"], lone["orig_bytes"]) == (0, 1, 0)
    assert lone["history"] == "^d" and lone["conn_state"] == "SHR"  # as Zeek writes it
    assert lone["first_dir"] == [1]
    assert lone["src2dst_max_ps"] == 0 and lone["dst2src_max_ps"] > 0
    normal = conn[40001]  # a query first: untouched
    assert normal["history"] == "Dd" and normal["conn_state"] == "SF"
    dns = {row["orig_p"]: row for row in r.tables["dns"].to_pylist()}
    assert (dns[40000]["orig_h"], dns[40000]["resp_p"]) == (CLIENT, 53)


def test_answers_to_a_group_are_not_reversed(tmp_path: Path) -> None:
    cap = tmp_path / "m.pcap"  # an mDNS announcement: sent to 224.0.0.251, nobody asked
    write_pcap(cap, [udp_frame(SERVER, GROUP, 5353, 5353, _answer(0))])
    row = wirelens.analyze(cap).conn.to_pylist()[0]
    assert (row["orig_h"], row["history"], row["conn_state"]) == (SERVER, "D", "S0")


def _http_midstream(handshake: bool) -> list[bytes]:
    head = [tcp_frame(CLIENT, SERVER, 41000, 80, 99, 0, SYN)] if handshake else []
    return head + [
        tcp_frame(SERVER, CLIENT, 80, 41000, 5000, 200, PSH_ACK,
             b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi"),
        tcp_frame(CLIENT, SERVER, 41000, 80, 200, 5040, PSH_ACK,
             b"GET /next HTTP/1.1\r\nHost: example.org\r\n\r\n"),
        tcp_frame(SERVER, CLIENT, 80, 41000, 5040, 240, PSH_ACK,
             b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"),
    ]


def _one_flow(tmp_path: Path, frames: list[bytes]) -> tuple[Any, dict[str, Any]]:
    """The analysis of a capture of ``frames`` and its (first) conn row."""
    cap = tmp_path / "one.pcap"
    write_pcap(cap, frames)
    r = wirelens.analyze(cap)
    return r, r.conn.to_pylist()[0]


def test_a_tcp_flow_seen_from_a_response_is_reversed(tmp_path: Path) -> None:
    r, row = _one_flow(tmp_path, _http_midstream(handshake=False))
    assert (row["orig_h"], row["orig_p"], row["resp_h"], row["resp_p"]) == (
        CLIENT, 41000, SERVER, 80)
    assert row["history"].startswith("^d") and row["service"] == "http"
    assert row["first_dir"] == [1, 0, 1]
    http = r.tables["http"].to_pylist()
    assert [(h["orig_h"], h["resp_p"], h["uri"], h["status_code"]) for h in http][-1] == (
        CLIENT, 80, "/next", 404)


def test_the_handshake_decides_over_the_content(tmp_path: Path) -> None:
    """A SYN names the originator: a status line from it (odd, but seen) changes nothing."""
    cap = tmp_path / "s.pcap"
    frames = _http_midstream(handshake=True)
    frames[1:] = [tcp_frame(CLIENT, SERVER, 41000, 80, 100, 0, PSH_ACK,
                       b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")]
    write_pcap(cap, frames)
    row = wirelens.analyze(cap).conn.to_pylist()[0]
    assert row["orig_h"] == CLIENT and not row["history"].startswith("^")


def _modbus(tid: int, response: bool) -> bytes:
    """A READ_HOLDING_REGISTERS request (address 0, 2 registers) or its response."""
    pdu = b"\x03\x04\x00\x01\x00\x02" if response else b"\x03\x00\x00\x00\x02"
    return tid.to_bytes(2, "big") + b"\x00\x00" + (len(pdu) + 1).to_bytes(2, "big") + b"\x01" + pdu


def _modbus_midstream(handshake: bool) -> list[bytes]:
    """A Modbus/TCP server on a port of its own (5020: no well-known port to go by) whose
    response is the first payload seen."""
    head = [tcp_frame(CLIENT, SERVER, 41000, 5020, 99, 0, SYN)] if handshake else []
    return head + [
        tcp_frame(SERVER, CLIENT, 5020, 41000, 5000, 200, PSH_ACK, _modbus(1, True)),
        tcp_frame(CLIENT, SERVER, 41000, 5020, 200, 5013, PSH_ACK, _modbus(2, False)),
        tcp_frame(SERVER, CLIENT, 5020, 41000, 5013, 212, PSH_ACK, _modbus(2, True)),
    ]


def test_a_server_message_only_a_direction_aware_test_takes_reverses_the_flow(
        tmp_path: Path) -> None:
    """Without a handshake, a payload no content test takes as sent by its side is offered
    as sent by the other: a Modbus response (which the test accepts only from a server)
    names the flow and reverses its roles; with a handshake the roles stand."""
    r, row = _one_flow(tmp_path, _modbus_midstream(handshake=False))
    assert (row["orig_h"], row["orig_p"], row["resp_h"], row["resp_p"]) == (
        CLIENT, 41000, SERVER, 5020)
    assert (row["service"], row["service_source"]) == ("modbus", "content")
    assert row["history"].startswith("^d")
    rows = r.tables["modbus"].to_pylist()
    assert [(m["orig_h"], m["resp_p"], m["trans_id"], m["has_request"], m["has_response"])
            for m in rows] == [(CLIENT, 5020, 1, False, True), (CLIENT, 5020, 2, True, True)]
    frames = _modbus_midstream(handshake=True)
    frames[1] = tcp_frame(CLIENT, SERVER, 41000, 5020, 100, 0, PSH_ACK, _modbus(1, True))
    _, row = _one_flow(tmp_path, frames[:2])  # the SYN's sender sends a response: no server
    assert row["orig_h"] == CLIENT and row["service"] is None


def _columns(n: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(5)
    cols: dict[str, np.ndarray] = {}
    for name in FLOW_COLUMNS:
        if name in ("first_ps", "first_piat_ms"):
            cols[name] = rng.integers(0, 1000, (n, 10)).astype(np.float32)
        elif name == "first_dir":
            cols[name] = rng.integers(0, 2, (n, 10)).astype(np.uint8)
        elif name == "history":
            cols[name] = np.zeros((n, 16), np.uint8)
        else:
            cols[name] = rng.integers(0, 13, n).astype(np.uint64)
    return cols


def test_reverse_flows_swaps_every_pair_and_only_the_masked_rows() -> None:
    cols = _columns(3)
    cols["first_n"] = np.array([2, 10, 0], np.uint64)
    hist = [b"DdAF", b"ShADadfF" * 2, b""]
    for k, h in enumerate(hist):
        cols["history"][k, : len(h)] = np.frombuffer(h, np.uint8)
    mask = np.array([True, True, False])
    out = reverse_flows(cols, mask)
    for a in FLOW_COLUMNS:
        if a.startswith("orig_") and "resp_" + a[5:] in FLOW_COLUMNS:
            b = "resp_" + a[5:]
            assert (out[a][:2] == cols[b][:2]).all() and (out[b][:2] == cols[a][:2]).all(), a
            assert out[a][2] == cols[a][2]
    assert (out["dst2src_mean_ps"][:2] == cols["src2dst_mean_ps"][:2]).all()
    assert (out["conn_state"][:2] == cols["conn_state_reversed"][:2]).all()
    assert (out["first_dir"][0, :2] == 1 - cols["first_dir"][0, :2]).all()
    assert (out["first_dir"][0, 2:] == cols["first_dir"][0, 2:]).all()  # unused slots kept
    text = [bytes(h).rstrip(b"\0").decode() for h in out["history"]]
    assert text == ["^dDaf", "^" + "sHadADFf" + "sHadADF", ""]  # 16 letters at most
    assert cols["history"][0, 0] == ord("D")  # the input is not modified
    assert reverse_flows(cols, np.zeros(3, bool)) is cols
    mine = {k: v.copy() for k, v in cols.items()}
    assert reverse_flows(mine, mask, in_place=True) is mine  # the same, in the arrays given
    assert all(np.array_equal(mine[k], out[k]) for k in cols)


def test_the_kernel_gives_the_state_zeek_would_write_reversed() -> None:
    raw = raw_batch([udp_frame(CLIENT, SERVER, 1, 2, b"x")], 1)
    table = FlowTable()
    table.process(raw, Decoder().decode(raw))
    ended = table.flush()
    assert CONN_STATES[int(ended["conn_state"][0])] == "S0"  # one datagram, as seen
    assert CONN_STATES[int(ended["conn_state_reversed"][0])] == "SHR"


@pytest.mark.parametrize("test", ["dns-reversed-udp-1", "dns-reversed-tcp-1",
                                  "alert-testmyids-midstream"])
def test_suricata_verify_reversed_captures(shared_data: Path, test: str) -> None:
    """suricata-verify expects these flows from the client (10.16.1.11) to the server."""
    folder = shared_data / "suricata-verify" / "tests" / test
    caps = sorted(folder.glob("*.pcap"))
    if not caps:
        pytest.skip(f"suricata-verify/tests/{test} not in ../shared/data")
    row = wirelens.analyze(caps[0]).conn.to_pylist()[0]
    assert row["orig_h"] == "10.16.1.11" and row["resp_p"] in (53, 80)
    assert row["history"].startswith("^")


@pytest.mark.parametrize("dpi", ["full", "off"])
def test_ports_turn_round_a_flow_nothing_else_decided(tmp_path: Path, dpi: str) -> None:
    """As Zeek does for a conversation joined in its middle: the side seen first used a
    well-known server port and the other an ephemeral one, no handshake, no content test
    recognised it (the first segment is the middle of a body); the same without DPI (the
    ports written out, :mod:`wirelens.pipeline.well_known_ports`)."""
    cap = tmp_path / "p.pcap"
    write_pcap(cap, [
        tcp_frame(SERVER, CLIENT, 80, 41000, 5000, 200, PSH_ACK, b"...middle of a body..."),
        udp_frame(SERVER, CLIENT, 443, 50000, bytes(range(40))),  # not QUIC, not DNS
        udp_frame(SERVER, CLIENT, 53, 53, bytes(range(40))),  # both well-known: as seen
        udp_frame(SERVER, CLIENT, 51820, 9999, bytes(range(40))),  # an ephemeral-range port
        tcp_frame(SERVER, CLIENT, 443, 41001, 0, 0, SYN),  # a handshake decides
        tcp_frame(SERVER, CLIENT, 443, 41001, 1, 0, PSH_ACK, b"x" * 20),
    ])
    rows = {(r["orig_p"], r["resp_p"]): r
            for r in wirelens.analyze(cap, dpi=dpi).conn.to_pylist()}
    assert set(rows) == {(41000, 80), (50000, 443), (53, 53), (51820, 9999), (443, 41001)}
    assert rows[(41000, 80)]["history"] == "^d" and rows[(41000, 80)]["orig_h"] == CLIENT
    assert rows[(41000, 80)]["service"] == ("http" if dpi == "full" else None)  # (its port)
    assert rows[(50000, 443)]["history"] == "^d"
    assert not rows[(53, 53)]["history"].startswith("^")
    assert not rows[(51820, 9999)]["history"].startswith("^")
    assert not rows[(443, 41001)]["history"].startswith("^")


def test_a_sip_flow_seen_from_a_response_is_reversed(tmp_path: Path) -> None:
    """Both sides on 5060 (the ports cannot tell): the status line says who answered."""
    response = (b"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 10.0.0.5:5060;branch=z9hG4bK1\r\n"
                b"From: <sip:a@example.org>;tag=1\r\nTo: <sip:b@example.org>;tag=2\r\n"
                b"Call-ID: c1@10.0.0.5\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n")
    cap = tmp_path / "sip.pcap"
    write_pcap(cap, [udp_frame(SERVER, CLIENT, 5060, 5060, response)])
    row = wirelens.analyze(cap).conn.to_pylist()[0]
    assert (row["orig_h"], row["service"], row["history"]) == (CLIENT, "sip", "^d")


@pytest.mark.parametrize("addr", [
    "224.0.0.251", "239.255.255.250", "223.255.255.255", "240.0.0.1", "255.255.255.255",
    "255.255.255.254", "10.0.0.5", "0.0.0.0", "ff02::fb", "ff05::c", "fe80::1", "2001:db8::1",
    "::ffff:224.0.0.1", "::224.0.0.1", "::", "::1"])
def test_group_addresses_are_told_as_ipaddress_tells_them(addr: str) -> None:
    """The integer test of a multicast or broadcast destination (no text per flow) agrees with
    ``ipaddress`` on the address as the pipeline writes it."""
    ip = ipaddress.ip_address(addr)
    value = (0xFFFF << 32 | int(ip)) if ip.version == 4 else int(ip)
    hi, lo = value >> 64, value & (1 << 64) - 1
    text = addr_one(hi, lo)
    assert _to_group(hi, lo) == (ipaddress.ip_address(text).is_multicast
                                 or text == "255.255.255.255")
