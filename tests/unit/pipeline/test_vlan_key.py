"""``vlan_key=False`` (``--no-vlan-key``): a tap whose two directions arrive on different VLANs
(Zeek's ``dns/loc-29-trunc.pcap``: the query on VLAN 1042, the answer on 1041) gives one flow
and one DNS transaction; by default the VLAN splits them, as the key says."""

from __future__ import annotations

import json
from pathlib import Path

from tests.unit.decode.decode_frames import eth, ipv4, udp, vlan, write_pcap
from tests.unit.dissect.wl_dissect_builders import dns_query, dns_response, rr

import wirelens
from wirelens.cli import main
from wirelens.service.lake_query import query

CLIENT, SERVER = "10.0.0.5", "10.9.9.9"


def _tagged(vid: int, src: str, dst: str, sport: int, dport: int, payload: bytes) -> bytes:
    return eth(vlan(vid, 0x0800, ipv4(udp(sport, dport, payload), proto=17, src=src, dst=dst)),
               ethertype=0x8100)


def _capture(tmp_path: Path) -> Path:
    cap = tmp_path / "asym.pcap"
    answer = dns_response(9, "a.example.com", [rr(1, bytes([192, 0, 2, 1]))])
    write_pcap(cap, [_tagged(1042, CLIENT, SERVER, 40000, 53, dns_query(9, "a.example.com")),
                     _tagged(1041, SERVER, CLIENT, 53, 40000, answer)])
    return cap


def test_vlan_in_the_key_by_default(tmp_path: Path) -> None:
    r = wirelens.analyze(_capture(tmp_path))
    conns = sorted(r.conn.to_pylist(), key=lambda c: c["vlan"])
    assert [(c["vlan"], c["orig_pkts"], c["resp_pkts"]) for c in conns] == [
        (1041, 0, 1), (1042, 1, 0)]
    assert sorted((d["rcode_name"] or "-") for d in r.tables["dns"].to_pylist()) == [
        "-", "NOERROR"]


def test_without_vlan_key_one_flow_one_transaction(tmp_path: Path) -> None:
    r = wirelens.analyze(_capture(tmp_path), vlan_key=False)
    (conn,) = r.conn.to_pylist()
    assert (conn["vlan"], conn["orig_pkts"], conn["resp_pkts"], conn["conn_state"]) == (
        1042, 1, 1, "SF")
    (dns,) = r.tables["dns"].to_pylist()
    assert (dns["uid"], dns["query"], dns["rcode_name"], dns["answers"]) == (
        conn["uid"], "a.example.com", "NOERROR", ["192.0.2.1"])


def test_cli_flag_and_run_config(tmp_path: Path, capsys: object) -> None:
    out = tmp_path / "out"
    assert main(["analyze", str(_capture(tmp_path)), "-o", str(out), "--no-vlan-key",
                 "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["flows"] == 1  # type: ignore[attr-defined]
    (run,) = query(out, "SELECT config FROM run").to_pylist()
    assert json.loads(run["config"])["vlan_key"] is False
