"""A connection ended by a new one on its ports (``end_reason`` reuse) gets a weird row with
its uid, named as Zeek names it: ``syn_seq_jump`` when its SYN was never answered,
``active_connection_reuse`` otherwise."""

from __future__ import annotations

from pathlib import Path

from tests.unit.decode.decode_frames import tcp_frame, write_pcap

import wirelens

C, S = "10.5.0.1", "10.5.0.2"
SYN, SYNACK, ACK = 0x02, 0x12, 0x10


def test_each_reused_connection_is_a_weird(tmp_path: Path) -> None:
    frames = [
        # port 40001: a SYN never answered, then a SYN with another number
        tcp_frame(C, S, 40001, 80, 100, 0, SYN), tcp_frame(C, S, 40001, 80, 900, 0, SYN),
        # port 40002: an established connection, then a new SYN (its end never seen)
        tcp_frame(C, S, 40002, 80, 100, 0, SYN), tcp_frame(S, C, 80, 40002, 7, 101, SYNACK),
        tcp_frame(C, S, 40002, 80, 101, 8, ACK), tcp_frame(C, S, 40002, 80, 5000, 0, SYN),
        # port 40003: a SYN sent again (same number): no new flow, no weird
        tcp_frame(C, S, 40003, 80, 100, 0, SYN), tcp_frame(C, S, 40003, 80, 100, 0, SYN),
    ]
    cap = tmp_path / "reuse.pcap"
    write_pcap(cap, frames)
    res = wirelens.analyze(cap, dpi="off")
    conn = {(r["orig_p"], r["end_reason"]): r["uid"] for r in res.conn.to_pylist()}
    assert sorted(conn) == [(40001, "eof"), (40001, "reuse"), (40002, "eof"),
                            (40002, "reuse"), (40003, "eof")]
    weirds = sorted((r["name"], r["uid"], r["source"], r["orig_h"], r["resp_h"])
                    for r in res.weird.to_pylist())
    assert weirds == sorted([("syn_seq_jump", conn[(40001, "reuse")], "tcp", C, S),
                             ("active_connection_reuse", conn[(40002, "reuse")], "tcp", C, S)])
    assert res.summary.weirds == {"syn_seq_jump": 1, "active_connection_reuse": 1}
