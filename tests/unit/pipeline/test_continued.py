"""A flow that continues one the active timeout ended keeps its roles, service and server
name (:mod:`wirelens.pipeline.continued`): through the whole analysis, and the rules alone."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from tests.unit.decode.decode_frames import tcp_frame
from tests.unit.dissect.wl_dissect_builders import client_hello, record, server_hello

import wirelens
from wirelens.capture.writer import PcapWriter
from wirelens.flow._layout import END_ACTIVE, END_FIN, END_IDLE
from wirelens.pipeline.continued import CONTINUED, Continuations

CLIENT, SERVER = "10.0.0.5", "10.9.9.9"
SYN, SYN_ACK, ACK, PSH_ACK, FIN_ACK = 0x02, 0x12, 0x10, 0x18, 0x11
SEC = 1_000_000_000
T0 = 1_700_000_000 * SEC


def _long_tls_session(path: Path, port: int) -> None:
    """A TLS session to ``port`` over 6 s: handshake, then application data every 0.5 s from
    alternate sides (the server's at whole seconds), closed by FINs from 6 s on."""
    c, s = 1000, 9000  # next sequence numbers
    hello = record(22, client_hello(sni="video.example.net"), version=0x0301)
    answer = record(22, server_hello()) + record(20, b"\x01") + record(23, b"\x17" * 40)
    frames = [(0, tcp_frame(CLIENT, SERVER, 44000, port, c - 1, 0, SYN)),
              (1, tcp_frame(SERVER, CLIENT, port, 44000, s - 1, c, SYN_ACK)),
              (2, tcp_frame(CLIENT, SERVER, 44000, port, c, s, ACK)),
              (3, tcp_frame(CLIENT, SERVER, 44000, port, c, s, PSH_ACK, hello))]
    c += len(hello)
    frames.append((4, tcp_frame(SERVER, CLIENT, port, 44000, s, c, PSH_ACK, answer)))
    s += len(answer)
    for k in range(1, 12):  # 0.5 s .. 5.5 s
        data = record(23, bytes([k]) * 100)
        if k % 2 == 0:
            frames.append((k * SEC // 2, tcp_frame(SERVER, CLIENT, port, 44000, s, c, PSH_ACK,
                                                   data)))
            s += len(data)
        else:
            frames.append((k * SEC // 2, tcp_frame(CLIENT, SERVER, 44000, port, c, s, PSH_ACK,
                                                   data)))
            c += len(data)
    frames += [(6 * SEC, tcp_frame(SERVER, CLIENT, port, 44000, s, c, FIN_ACK)),
               (6 * SEC + 1, tcp_frame(CLIENT, SERVER, 44000, port, c, s + 1, FIN_ACK)),
               (6 * SEC + 2, tcp_frame(SERVER, CLIENT, port, 44000, s + 1, c + 1, ACK))]
    with PcapWriter(path) as w:
        for t, frame in frames:
            w.write(T0 + t, frame)


def test_the_pieces_of_a_long_tls_session_keep_its_roles_and_names(tmp_path: Path) -> None:
    cap = tmp_path / "long.pcap"
    _long_tls_session(cap, 40443)  # (a port no guess names, above the well-known ones)
    rows = wirelens.analyze(cap, active_timeout_s=3.0).conn.to_pylist()
    # pieces from 0, 3 s and 6 s (the last closed but lingering at the end of the input)
    assert [r["end_reason"] for r in rows] == ["active", "active", "eof"]
    for r in rows:  # every piece from the client, as the handshake showed
        assert (r["orig_h"], r["orig_p"], r["resp_h"], r["resp_p"]) == (
            CLIENT, 44000, SERVER, 40443)
        assert (r["service"], r["server_name"]) == ("tls", "video.example.net")
    first, second, third = rows
    assert (first["service_source"], first["name_source"]) == ("content", "sni")
    assert second["name_source"] == third["name_source"] == CONTINUED
    # their first packets were the server's (data at 3 s, a FIN at 6 s): turned round
    assert second["history"].startswith("^d") and third["history"].startswith("^f")
    assert len({r["uid"] for r in rows}) == 3
    # without the active timeout: one flow, as the pieces add up
    whole = wirelens.analyze(cap).conn.to_pylist()
    assert len(whole) == 1
    assert whole[0]["orig_pkts"] == sum(r["orig_pkts"] for r in rows)
    assert whole[0]["resp_pkts"] == sum(r["resp_pkts"] for r in rows)


# -- the rules, on ended-flow columns --------------------------------------------------------
def _cols(*rows: dict[str, Any]) -> dict[str, np.ndarray]:
    base = {"orig_hi": 0, "orig_lo": 0xA000005, "orig_p": 44000, "resp_hi": 0,
            "resp_lo": 0xA090909, "resp_p": 443, "proto": 6, "vlan": 0, "vlan_inner": 0,
            "tunnel": 0, "tunnel_id": 0, "orig_syn_pkts": 0, "resp_syn_pkts": 0,
            "end_reason": END_IDLE}
    full = [{**base, **r} for r in rows]
    return {k: np.array([r[k] for r in full], np.uint64 if k.endswith(("hi", "lo"))
                        else np.int64) for k in full[0]}


def _swapped(**kw: Any) -> dict[str, Any]:
    """A row from the server's side."""
    return {"orig_lo": 0xA090909, "orig_p": 443, "resp_lo": 0xA000005, "resp_p": 44000, **kw}


def _run(cont: Continuations, cols: dict[str, np.ndarray], service: list[Any],
         source: list[Any], name: list[Any], how: list[Any]) -> np.ndarray:
    flip = np.zeros(len(cols["ts_ns"]), bool)
    links = cont.link(cols, flip)
    cont.inherit(links, service, source, name, how)
    return flip


def test_a_continuation_takes_roles_service_and_name_its_own_content_wins() -> None:
    cont = Continuations(idle_timeout_s=10.0)
    cols = _cols({"ts_ns": 0, "last_ts_ns": 5 * SEC, "end_reason": END_ACTIVE, "orig_syn_pkts": 1},
                 _swapped(ts_ns=6 * SEC, last_ts_ns=7 * SEC, end_reason=END_ACTIVE),
                 {"ts_ns": 8 * SEC, "last_ts_ns": 9 * SEC, "end_reason": END_FIN})
    service = ["tls", "ssh", None]
    source = ["content", "port", None]
    name = ["a.example", None, "b.example"]
    how = ["sni", None, "dns_cache"]
    flip = _run(cont, cols, service, source, name, how)
    assert flip.tolist() == [False, True, False]  # the second piece turned to the first's
    assert service == ["tls", "tls", "tls"] and source == ["content", CONTINUED, CONTINUED]
    assert name == ["a.example"] * 3 and how == ["sni", CONTINUED, CONTINUED]
    assert len(cont) == 0  # (each piece taken by its continuation)
    own = Continuations(idle_timeout_s=10.0)
    service, source = ["tls", "http"], ["content", "content"]
    name, how = ["a.example", "b.example"], ["sni", "http_host"]
    _run(own, _cols({"ts_ns": 0, "last_ts_ns": 5 * SEC, "end_reason": END_ACTIVE},
                    {"ts_ns": 6 * SEC, "last_ts_ns": 7 * SEC}), service, source, name, how)
    assert (service, name, how) == (["tls", "http"], ["a.example", "b.example"],
                                    ["sni", "http_host"])


def test_a_new_connection_or_a_late_flow_continues_nothing() -> None:
    for later in ({"ts_ns": 6 * SEC, "orig_syn_pkts": 1},  # a SYN: a new connection
                  {"ts_ns": 16 * SEC},  # past the idle timeout after the piece
                  {"ts_ns": 6 * SEC, "resp_p": 8443},  # other endpoints
                  {"ts_ns": 6 * SEC, "vlan": 7}):  # another VLAN
        cont = Continuations(idle_timeout_s=10.0)
        cols = _cols({"ts_ns": 0, "last_ts_ns": 5 * SEC, "end_reason": END_ACTIVE},
                     {"last_ts_ns": 20 * SEC, **later})
        service, source, name, how = ["tls", None], ["content", None], ["a", None], ["sni", None]
        _run(cont, cols, service, source, name, how)
        assert (service[1], name[1]) == (None, None), later
    # the same VLAN difference, with the VLANs left out of the key: a continuation
    cont = Continuations(idle_timeout_s=10.0, vlan_key=False)
    service, source, name, how = ["tls", None], ["content", None], ["a", None], ["sni", None]
    _run(cont, _cols({"ts_ns": 0, "last_ts_ns": 5 * SEC, "end_reason": END_ACTIVE},
                     {"ts_ns": 6 * SEC, "last_ts_ns": 7 * SEC, "vlan": 7}),
         service, source, name, how)
    assert (service[1], source[1]) == ("tls", CONTINUED)


def test_pieces_wait_across_hand_overs_within_a_bound() -> None:
    cont = Continuations(idle_timeout_s=10.0, bound=2)
    pieces = _cols(*({"ts_ns": 0, "last_ts_ns": 5 * SEC, "end_reason": END_ACTIVE,
                      "orig_p": 44000 + k} for k in range(3)))
    _run(cont, pieces, ["tls"] * 3, ["content"] * 3, ["a"] * 3, ["sni"] * 3)
    assert len(cont) == 2  # the oldest forgotten
    later = _cols(*({"ts_ns": 6 * SEC, "last_ts_ns": 7 * SEC, "orig_p": 44000 + k}
                    for k in range(3)))
    service, source, name, how = [None] * 3, [None] * 3, [None] * 3, [None] * 3
    _run(cont, later, service, source, name, how)
    assert service == [None, "tls", "tls"] and len(cont) == 0
