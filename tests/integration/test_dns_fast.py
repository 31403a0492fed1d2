"""The DPI stage's DNS fast path (``pipeline.dns_fast``) writes what the Python DNS dissector
writes: every table of a run is the same with the fast path and without it (every UDP DNS
datagram then read by ``DnsDissector``). On real captures (DNS of every kind: cut by a snap
length, damaged, mDNS, DNSCrypt, tunnels), on the simulator's capture read in small batches
(queries answered in a later batch, rows written across hand-overs) and with a flow table too
small for its flows (DNS flows ended early and started again), and on a built flow
that goes through every turn of the pairing: an answer in the next batch, repeated ids, an
answer alone, a datagram the compiled reader declines in the middle (the flow handed to the
dissector with its waiting queries), more queries waiting than ``DNS_MAX_PENDING``, and a flow
given up idle; and on random conversations of colliding ids and names, cut responses,
declined ones and junk (hypothesis). ``bench/dns_fast_agreement.py`` runs the comparison on
every shared capture.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.unit.decode.decode_frames import udp_frame, write_pcap
from tests.unit.dissect.wl_dissect_builders import dns_header, dns_name, dns_query, dns_response, rr

import wirelens
from wirelens.core import limits
from wirelens.dissect import limits as dissect_limits
from wirelens.pipeline import dns_fast
from wirelens.pipeline.dpi import DpiStage
from wirelens.sim import SimConfig, simulate

TABLES = ("conn", "dns", "weird")
CAPTURES = [
    "nDPI/tests/cfgs/default/pcap/dns.pcap",
    "nDPI/tests/cfgs/default/pcap/dns_exfiltration.pcap",
    "nDPI/tests/cfgs/default/pcap/dns-exf.pcap",
    "nDPI/tests/cfgs/default/pcap/fuzz-2006-06-26-2594.pcap",
    "nDPI/tests/cfgs/default/pcap/badpackets.pcap",
    "nDPI/tests/cfgs/default/pcap/avast_securedns.pcapng",
    "nDPI/tests/cfgs/default/pcap/dns_fragmented.pcap",
    "nDPI/tests/cfgs/default/pcap/tls_certificate_too_long.pcap",
    "nDPI/tests/cfgs/default/pcap/wa_voice.pcap",
]


def _rows(result: Any, table: str) -> list[str]:
    return sorted(json.dumps(r, default=str, sort_keys=True)
                  for r in result.table(table).to_pylist())


def _both(path: Path, monkeypatch: pytest.MonkeyPatch, **options: Any) -> int:
    """Analyse ``path`` with the fast path and without; assert every table is the same.
    Returns the datagrams the fast path read."""
    read = []
    real_read = dns_fast.FastDns.read

    def counted(self: dns_fast.FastDns, *args: Any) -> Any:
        read.append(1)
        return real_read(self, *args)

    with monkeypatch.context() as patch:
        patch.setattr(dns_fast.FastDns, "read", counted)
        fast = wirelens.analyze(path, **options)
        patch.setattr(DpiStage, "_read_dns", staticmethod(lambda *args: None))
        python = wirelens.analyze(path, **options)
    for table in TABLES:
        assert _rows(fast, table) == _rows(python, table), f"{path.name}: {table} differs"
    return len(read)


@pytest.mark.parametrize("rel", CAPTURES)
def test_real_captures(rel: str, shared_data: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = shared_data / rel
    if not path.exists():
        pytest.skip(f"{rel} not in ../shared/data")
    assert _both(path, monkeypatch) > 0


def test_simulated_capture_in_small_batches(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    sim = simulate(tmp_path / "s.pcap", SimConfig(seed=5, scale=0.25, duration_s=300.0))
    assert _both(Path(sim.pcap), monkeypatch, batch_bytes=16 * 1024, emit_bytes=64 * 1024) > 300
    # a flow table of 16 flows: DNS flows ended early (their waiting queries written) and
    # started again
    assert _both(Path(sim.pcap), monkeypatch, max_flows=16, batch_bytes=8192) > 300


CLIENT, SERVER = "10.1.0.7", "10.1.0.53"


def _query(tid: int, name: str, sport: int = 40000) -> bytes:
    return udp_frame(CLIENT, SERVER, sport, 53, dns_query(tid, name))


def _answer(tid: int, name: str, sport: int = 40000, **kw: Any) -> bytes:
    return udp_frame(SERVER, CLIENT, 53, sport, dns_response(tid, name, [rr(1, bytes([10, 0, 0,
                                                                                      tid % 250]))],
                                                             **kw))


def test_every_turn_of_the_pairing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    frames = [_query(1, "a.example"), _query(2, "b.example"), _query(1, "c.example")]
    frames += [udp_frame(CLIENT, "10.9.9.9", 40000 + k, 9, b"\0" * 1400) for k in range(40)]
    opt = rr(41, b"", ttl=0x0001_8000, name=b"\x00")  # EDNS in the response only
    frames += [_answer(1, "C.Example", extra=[opt]),  # (in a later batch, names without case)
               _answer(1, "a.example"), _answer(7, "alone.example"),
               _answer(2, "b.example", qtype=28),  # (same id, another question: alone)
               _query(5, "cut.example"), _answer(5, "cut.example")[:-3],  # (a snap length)
               udp_frame(CLIENT, SERVER, 40000, 53, dns_header(6, 0x0100, 1, 0, 0, 1)
                         + dns_name("cutq.example") + b"\x00\x01\x00\x01\x00\x00\x29"),
               _answer(6, "cutq.example")]
    # a response without a question (declined): handed over with a query waiting
    frames += [_query(3, "d.example"),
               udp_frame(SERVER, CLIENT, 53, 40000, dns_header(9, 0x8180, 0, 1) +
                         rr(1, bytes(4), name=dns_name("x.example"))),
               _answer(3, "d.example"), _query(4, "e.example")]
    # more queries waiting than DNS_MAX_PENDING, on another flow
    frames += [_query(k, f"q{k}.example", sport=40001)
               for k in range(dissect_limits.DNS_MAX_PENDING + 5)]
    frames += [_answer(k, f"q{k}.example", sport=40001) for k in range(3, 9)]
    # given up idle: DPI_IDLE_PACKETS queries without an answer, then one answered
    frames += [_query(k, "idle.example", sport=40002) for k in range(limits.DPI_IDLE_PACKETS + 2)]
    frames += [_answer(0, "idle.example", sport=40002)]
    # never answered (rows written at the flow's end, without the dissector): with EDNS and
    # the DO bit, without RD, another class and type, and one query per flow (a flood)
    edns = rr(41, b"", ttl=0x0001_8000, name=b"\x00")
    frames += [udp_frame(CLIENT, SERVER, 40003, 53, dns_header(11, 0x0100, 1, 0, 0, 1)
                         + dns_name("edns.example") + b"\x00\x01\x00\x01" + edns),
               udp_frame(CLIENT, SERVER, 40003, 53, dns_query(12, "nord.example", rd=False)),
               udp_frame(CLIENT, SERVER, 40003, 53, dns_query(13, "chaos.example", 16, 3)),
               udp_frame(CLIENT, SERVER, 40003, 53, dns_query(11, "edns.example"))]
    frames += [udp_frame(f"10.2.0.{k}", SERVER, 1024 + k, 53, dns_query(k, f"{k:x}.flood"))
               for k in range(1, 60)]
    cap = tmp_path / "turns.pcap"
    write_pcap(cap, frames)
    assert _both(cap, monkeypatch, batch_bytes=4096) > 30


def test_z_bits_from_the_query_else_the_response(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """``Z`` holds the header's Z, AD and CD bits as Zeek's does: the query's (CD, 1, here;
    its answer sets AD, 2), or the response's when it came alone; the same on both paths."""
    cd_query = dns_header(21, 0x0110, 1, 0) + dns_name("cd.example") + b"\x00\x01\x00\x01"
    ad_answer = (dns_header(21, 0x81A0, 1, 1) + dns_name("cd.example") + b"\x00\x01\x00\x01"
                 + rr(1, bytes(4)))
    alone = (dns_header(22, 0x81A0, 1, 1) + dns_name("ad.example") + b"\x00\x01\x00\x01"
             + rr(1, bytes(4)))
    cap = tmp_path / "z.pcap"
    write_pcap(cap, [udp_frame(CLIENT, SERVER, 40010, 53, cd_query),
                     udp_frame(SERVER, CLIENT, 53, 40010, ad_answer),
                     udp_frame(SERVER, CLIENT, 53, 40011, alone)])
    assert _both(cap, monkeypatch) > 0
    rows = wirelens.analyze(cap).table("dns").to_pylist()
    assert sorted((r["query"], r["Z"]) for r in rows) == [("ad.example", 2), ("cd.example", 1)]


_NAMES = ("a.example", "A.Example", "b.example", "c.test")


@st.composite
def _conversation(draw: st.DrawFn) -> list[bytes]:
    """Datagrams of a few DNS flows: queries and responses with colliding ids and names,
    some cut short, some the compiled reader declines (no question), some not DNS at all."""
    frames = []
    for _ in range(draw(st.integers(1, 40))):
        sport = 40000 + draw(st.integers(0, 2))
        tid = draw(st.integers(0, 3))
        name = draw(st.sampled_from(_NAMES))
        qtype = draw(st.sampled_from((1, 28)))
        kind = draw(st.sampled_from(("query", "answer", "answer", "cut", "no question",
                                     "junk")))
        if kind == "query":
            frames.append(udp_frame(CLIENT, SERVER, sport, 53, dns_query(tid, name, qtype)))
            continue
        if kind == "junk":
            data = draw(st.binary(min_size=1, max_size=40))
        elif kind == "no question":
            data = dns_header(tid, 0x8180, 0, 1) + rr(1, bytes(4), name=dns_name(name))
        else:
            data = dns_response(tid, name, [rr(1, bytes([10, 0, 0, tid])),
                                            rr(16, b"\x03txt")], qtype=qtype)
            if kind == "cut":
                data = data[: draw(st.integers(12, len(data) - 1))]
        frames.append(udp_frame(SERVER, CLIENT, 53, sport, data))
    return frames


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                   HealthCheck.function_scoped_fixture])
@given(frames=_conversation())
def test_random_conversations(frames: list[bytes], tmp_path_factory: pytest.TempPathFactory,
                              monkeypatch: pytest.MonkeyPatch) -> None:
    cap = tmp_path_factory.mktemp("conv") / "conv.pcap"
    write_pcap(cap, frames)
    _both(cap, monkeypatch, batch_bytes=2048)
