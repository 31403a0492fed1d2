"""A DNS response with a damaged record, through the whole analysis: its row is written as far
as the message went, the damage is a weird of the flow, and the flow keeps its name."""

from __future__ import annotations

from pathlib import Path

from tests.unit.decode.decode_frames import udp_frame, write_pcap
from tests.unit.dissect.wl_dissect_builders import dns_query, dns_response, rr

import wirelens


def test_a_damaged_answer_keeps_the_transaction(tmp_path: Path) -> None:
    query = dns_query(4, "mail.example.org")
    damaged = dns_response(4, "mail.example.org", [rr(1, bytes([198, 51, 100, 9])),
                                                   rr(1, b"\x00" * 4, name=b"\x80")])
    cap = tmp_path / "dns.pcap"
    write_pcap(cap, [udp_frame("10.0.0.2", "10.0.0.53", 40000, 53, query),
                     udp_frame("10.0.0.53", "10.0.0.2", 53, 40000, damaged)])
    result = wirelens.analyze(cap)
    (conn,) = result.conn.to_pylist()
    (dns,) = result.dns.to_pylist()
    (weird,) = result.weird.to_pylist()
    assert (conn["service"], conn["server_name"]) == ("dns", "mail.example.org")
    assert (dns["query"], dns["rcode_name"], dns["answers"]) == (
        "mail.example.org", "NOERROR", ["198.51.100.9"])
    assert dns["partial"].startswith("record 2 of 2 damaged") and dns["uid"] == conn["uid"]
    assert (weird["name"], weird["uid"], weird["source"]) == ("dns_bad_value", conn["uid"], "dns")
