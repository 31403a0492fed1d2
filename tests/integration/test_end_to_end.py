"""End to end on a simulated capture: simulate -> analyze -> Parquet -> DuckDB, CLI and API."""

from __future__ import annotations

import gzip
import json
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow as pa
import pytest
from tests.bench_scripts import bench_module

import wirelens
from wirelens.cli import EXIT_DAMAGED, EXIT_ERROR, EXIT_OK, main
from wirelens.pipeline.runner import Analysis, AnalyzeOptions, MemorySink
from wirelens.pipeline.summary import STAGES
from wirelens.schema import SCHEMAS
from wirelens.service.lake_query import query
from wirelens.sim import SimConfig, simulate
from wirelens.store.lake import file_schema


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    d = tmp_path_factory.mktemp("sim")
    return simulate(d / "s.pcap", SimConfig(seed=11, scale=0.25, duration_s=300.0))


@pytest.fixture(scope="module")
def result(sim, tmp_path_factory):
    out = tmp_path_factory.mktemp("lake")
    return wirelens.analyze(sim.pcap, out=out)


def test_every_packet_is_read_and_counted(sim, result):
    s = result.summary
    assert s.packets == sim.packets
    conn = result.conn
    in_flows = sum(conn["orig_pkts"].to_pylist()) + sum(conn["resp_pkts"].to_pylist())
    assert in_flows == s.ip_packets
    assert s.non_ip_packets + s.arp_packets + s.ip_packets + s.malformed_packets == s.packets


def test_services_identified_by_content(result):
    services = set(result.conn["service"].to_pylist())
    assert {"dns", "http", "tls"} <= services


def test_protocol_tables_join_conn(result):
    uids = set(result.conn["uid"].to_pylist())
    for table in ("dns", "http", "tls"):
        t = result.table(table)
        assert t.num_rows > 0, table
        assert set(t["uid"].to_pylist()) <= uids, table


def test_tls_names_were_looked_up_in_dns(result):
    queries = {q.rstrip(".").lower() for q in result.dns["query"].to_pylist() if q}
    snis = {s.lower() for s in result.tls["server_name"].to_pylist() if s}
    assert snis and snis <= queries


def test_server_name_on_conn(result):
    rows = [r for r in result.conn.select(["service", "server_name"]).to_pylist()
            if r["service"] in ("tls", "http")]
    assert rows and sum(1 for r in rows if r["server_name"]) / len(rows) > 0.95


def test_scan_shows_in_conn_state(result, sim):
    labels = [json.loads(x) for x in Path(sim.labels).read_text().splitlines()]
    scan = next(r for r in labels if r["label"] == "tcp_syn_scan")
    attacker = scan["hosts"][0]
    got = query(result.out, f"SELECT count(DISTINCT resp_p) AS ports FROM conn "
                            f"WHERE orig_h = '{attacker}' AND conn_state IN ('S0','REJ','RSTR','RSTOS0','SH','OTH')")
    assert got.to_pylist()[0]["ports"] >= 20


def test_brute_force_tool_has_its_own_hassh(result, sim):
    """The brute-force tool (libssh) offers other algorithms than the OpenSSH clients: HASSH
    tells them apart, as it does on real networks."""
    labels = [json.loads(x) for x in Path(sim.labels).read_text().splitlines()]
    attacker = next(r for r in labels if r["label"] == "ssh_brute_force")["hosts"][0]
    by_client: dict[str, set[str]] = {}
    for r in result.table("ssh").select(["orig_h", "client", "hassh"]).to_pylist():
        by_client.setdefault(r["client"], set()).add(r["hassh"])
        if r["orig_h"] == attacker:
            assert r["client"] == "SSH-2.0-libssh_0.9.6"
    assert set(by_client) == {"SSH-2.0-libssh_0.9.6", "SSH-2.0-OpenSSH_9.6"}
    assert all(len(h) == 1 for h in by_client.values())
    assert by_client["SSH-2.0-libssh_0.9.6"] != by_client["SSH-2.0-OpenSSH_9.6"]


def test_tls_client_stacks_have_their_own_ja4(result, sim):
    """Each simulated TLS stack (the label's ``client``: browsers, the OS library, tools, the
    exfiltrating script) has one JA4 of its own on every connection; Chromium's JA3 changes
    from connection to connection (it shuffles its extensions), the others' do not; every
    ClientHello, Chromium's spanning two segments, gives its server name."""
    labels = [json.loads(x) for x in Path(sim.labels).read_text().splitlines()]
    stack = {(r["hosts"][0], r["detail"]["sport"]): (r["detail"]["client"], r["detail"]["sni"])
             for r in labels if r["label"] in ("tls_browse", "exfil_upload")}
    ja4: dict[str, set[str]] = {}
    ja3: dict[str, list[str]] = {}
    for r in result.tls.select(["orig_h", "orig_p", "server_name", "ja4", "ja3_hash"]).to_pylist():
        client, sni = stack.pop((r["orig_h"], r["orig_p"]))
        assert r["server_name"] == sni
        ja4.setdefault(client, set()).add(r["ja4"])
        ja3.setdefault(client, []).append(r["ja3_hash"])
    assert not stack  # (every TLS connection has its row)
    assert {"chromium", "python"} <= set(ja4) and len(ja4) >= 3, ja4
    assert all(len(v) == 1 for v in ja4.values()), ja4
    assert len({next(iter(v)) for v in ja4.values()}) == len(ja4)
    for client, hashes in ja3.items():
        assert (len(set(hashes)) > 1) == (client == "chromium" and len(hashes) > 1), client


def test_quic_connections_read_through_their_protected_initials(result, sim):
    """Every simulated HTTP/3 connection has its quic row: the ClientHello decrypted from two
    Initial packets gives the server name, ALPN h3 and a QUIC JA4; conn names the service."""
    labels = [json.loads(x) for x in Path(sim.labels).read_text().splitlines()]
    want = {(r["hosts"][0], r["detail"]["sport"]): r["detail"]["sni"]
            for r in labels if r["label"] == "quic_browse"}
    rows = result.table("quic").select(["orig_h", "orig_p", "server_name", "alpn", "ja4",
                                        "version"]).to_pylist()
    got = {(r["orig_h"], r["orig_p"]): r for r in rows}
    assert want and set(got) == set(want)
    for key, sni in want.items():
        r = got[key]
        assert (r["server_name"], r["alpn"], r["version"]) == (sni, ["h3"], "1")
        assert r["ja4"].startswith("q13d") and r["ja4"][8:10] == "h3"
    services = {(c["orig_h"], c["orig_p"]): c["service"] for c in
                result.conn.select(["orig_h", "orig_p", "service"]).to_pylist()}
    assert {services[k] for k in want} == {"quic"}


def test_fast_dpi_names_split_and_encrypted_hellos(result, sim, tmp_path):
    """``--dpi fast`` (no protocol tables) still gives every TLS and QUIC connection its
    server name: Chromium's ClientHello spans two segments and a QUIC one is encrypted over
    two Initial packets, so one packet does not show it whole; their dissectors read those
    flows until the name, their rows not kept. The names are full DPI's."""
    labels = [json.loads(x) for x in Path(sim.labels).read_text().splitlines()]
    want = {(r["hosts"][0], r["detail"]["sport"]): r["detail"]["sni"] for r in labels
            if r["label"] in ("tls_browse", "exfil_upload", "quic_browse")}
    assert {r["detail"]["client"] for r in labels if r["label"] == "tls_browse"} >= {
        "chromium"}
    fast = wirelens.analyze(sim.pcap, out=tmp_path / "lake", dpi="fast")
    for t in ("tls", "quic"):
        assert fast.table(t).num_rows == 0, t
    cols = ["orig_h", "orig_p", "service", "server_name", "name_source"]
    full_rows = {(c["orig_h"], c["orig_p"]): c for c in result.conn.select(cols).to_pylist()}
    fast_rows = {(c["orig_h"], c["orig_p"]): c for c in fast.conn.select(cols).to_pylist()}
    for key, sni in want.items():
        assert fast_rows[key] == full_rows[key], key
        assert (fast_rows[key]["server_name"], fast_rows[key]["name_source"]) == (sni, "sni")


def test_rpc_sessions_in_dce_rpc(result, sim):
    """Each simulated workstation's LSA session: the endpoint mapper's answer, then the
    NTLM-authenticated calls at packet privacy, named by operation, with the user."""
    labels = [json.loads(x) for x in Path(sim.labels).read_text().splitlines()]
    sessions = [r for r in labels if r["label"] == "rpc_session"]
    assert sessions
    rows = result.table("dce_rpc").to_pylist()
    for s in sessions:
        client, dc = s["hosts"]
        mine = [r for r in rows if (r["orig_h"], r["resp_h"]) == (client, dc)]
        calls = [(r["endpoint"], r["operation"]) for r in mine if r["request"] == "REQUEST"]
        assert calls[0] == ("epmapper", "ept_map") and calls[1] == ("lsarpc", "LsarOpenPolicy2")
        assert calls[-1] == ("lsarpc", "LsarClose") and len(calls) == s["detail"]["calls"] + 1
        lsa = [r for r in mine if r["endpoint"] == "lsarpc" and r["request"] == "REQUEST"]
        assert {(r["named_pipe"], r["auth_type"], r["auth_level"], r["response"]) for r in lsa
                } == {(str(s["detail"]["rpc_port"]), "ntlmssp", "privacy", "RESPONSE")}
        assert {f"{r['ntlm_domain']}\\{r['ntlm_user']}" for r in lsa} == {s["detail"]["user"]}
        assert {r["ntlm_server_nb_name"] for r in lsa} == {"DC01"}


def test_lake_matches_memory(result):
    got = query(result.out, "SELECT count(*) AS n, sum(orig_pkts + resp_pkts) AS p FROM conn")
    row = got.to_pylist()[0]
    assert row["n"] == result.conn.num_rows
    run = query(result.out, "SELECT packets, flows FROM run").to_pylist()
    assert run == [{"packets": result.summary.packets, "flows": result.conn.num_rows}]


def test_output_floor_bench_reads_and_times_every_file_of_the_lake(result, capsys):
    floor = bench_module("output_floor")
    tables = floor.load(result.out)
    for name, files in tables.items():  # every row, with the schema the lake writes
        assert sum(t.num_rows for t in files) == result.table(name).num_rows, name
        assert all(t.schema == file_schema(SCHEMAS[name]) for t in files), name
    assert set(tables) == {n for n in SCHEMAS if result.table(n).num_rows}
    assert floor.packets_of(result.out) == result.summary.packets
    times = floor.encode(tables)
    assert set(times) == set(tables) and all(cpu >= 0 and wall > 0 for cpu, wall in times.values())
    assert floor.main([str(result.out), "--runs", "1"]) == 0
    assert "M packets/s on one core" in capsys.readouterr().out


def test_iter_flows_equals_analyze(sim, result):
    flows = list(wirelens.iter_flows(sim.pcap))
    assert len(flows) == result.conn.num_rows
    assert sorted(f["uid"] for f in flows) == sorted(result.conn["uid"].to_pylist())


def test_runs_appended_to_a_lake_never_share_a_uid(sim, result, tmp_path):
    """The same capture analysed again into the lake, with another idle timeout (other flows
    under the same flow numbers): its uids meet none of the first run's, so a join by uid
    never pairs one run's rows with another's; a fresh lake gets the first run's uids again
    (uids are stable for the same input)."""
    out = tmp_path / "lake"
    shutil.copytree(result.out, out)
    again = wirelens.analyze(sim.pcap, out=out, keep_tables=False, idle_timeout_s=5.0)
    assert again.summary.flows != result.summary.flows
    rows = query(out, "SELECT count(*) AS n, count(DISTINCT uid) AS u FROM conn").to_pylist()
    assert rows == [{"n": result.summary.flows + again.summary.flows,
                     "u": result.summary.flows + again.summary.flows}]
    mixed = query(out, "SELECT count(*) AS n FROM conn c JOIN dns d USING (uid) "
                       "WHERE c.resp_p <> d.resp_p OR c.ts > d.ts").to_pylist()
    assert mixed == [{"n": 0}]
    salts = query(out, "SELECT uid_salt FROM run").column(0).to_pylist()
    assert len(set(salts)) == 2 and None not in salts
    fresh = wirelens.analyze(sim.pcap, out=tmp_path / "fresh")
    assert fresh.conn["uid"].to_pylist() == result.conn["uid"].to_pylist()


def test_the_api_raises_when_nothing_could_be_read(sim, tmp_path):
    """A misspelt file, one that is not a capture, or a folder without captures is an error
    from Python (as the command line's exit status 1), not an empty result; one bad input
    among readable ones is a problem of the result (as its exit status 3); a value that is
    no path is a TypeError (``str(None)`` named a file ``None``)."""
    not_capture = tmp_path / "notes.txt"
    not_capture.write_text("hello\n")
    empty_dir = tmp_path / "empty"
    empty_dir.mkdir()
    cases = {tmp_path / "missing.pcap": "cannot open: No such file",
             not_capture: "not a capture file", empty_dir: "no capture files found"}
    for bad, words in cases.items():
        with pytest.raises(wirelens.CaptureError, match=words):
            wirelens.analyze(bad)
        with pytest.raises(wirelens.CaptureError, match=words):
            list(wirelens.iter_flows(bad))
    with pytest.raises(wirelens.CaptureError, match="missing.pcap.*notes.txt"):
        wirelens.analyze([tmp_path / "missing.pcap", not_capture], out=tmp_path / "o")
    assert query(tmp_path / "o", "SELECT packets FROM run").to_pylist() == [{"packets": 0}]
    got = wirelens.analyze([str(sim.pcap).encode(), not_capture], dpi="off")
    assert got.summary.packets == sim.packets and got.summary.unreadable_inputs == [
        str(not_capture)]
    for bad in (None, 123, [sim.pcap, 4.5]):
        with pytest.raises(TypeError, match="an input is a path"):
            wirelens.analyze(bad)


def test_a_mistyped_path_is_reported_without_running_a_kernel(tmp_path):
    """Inputs none of which exists: the command line says so (exit 1, the run row written)
    without the kernels' warm-up or any kernel call, which on a cold cache would first
    compile them for a minute (in a process of its own: the suite's have kernels loaded)."""
    code = (
        "import gc, sys\n"
        "from numba.core.registry import CPUDispatcher\n"
        "from wirelens.cli import main\n"
        f"rc = main(['analyze', {str(tmp_path / 'missng.pcap')!r}, '-o', "
        f"{str(tmp_path / 'o')!r}, '--quiet'])\n"
        "used = [d.py_func.__name__ for d in gc.get_objects()\n"
        "        if isinstance(d, CPUDispatcher) and d.signatures]\n"
        "print(rc, used, file=sys.stderr)\n"
    )
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       timeout=300)
    assert "missng.pcap: cannot open: No such file or directory" in p.stderr
    assert p.stderr.strip().endswith("1 []"), p.stderr
    assert query(tmp_path / "o", "SELECT packets FROM run").to_pylist() == [{"packets": 0}]


def test_output_streams_while_the_input_is_read(sim, result):
    """Ended flows reach the sinks every ``emit_bytes`` of input, not only at the end; the
    pieces add up to the same flows."""
    sink = MemorySink()
    steps = Analysis(AnalyzeOptions(batch_bytes=1 << 15, emit_bytes=1 << 17), [sink])
    early = None
    for _ in steps.steps([str(sim.pcap)]):
        if early is None and sink.batches["conn"]:
            early = steps.summary.packets
    assert early is not None and early < sim.packets
    assert sum(b.num_rows for b in sink.batches["conn"]) == result.conn.num_rows
    assert len(sink.batches["conn"]) > 2


class _WatermarkCheck(MemorySink):
    """Records the rows written after each watermark that are older than it."""

    def __init__(self) -> None:
        super().__init__()
        self.marks: list[int] = []
        self.late: list[tuple[str, int]] = []

    def watermark(self, ts_ns: int) -> None:
        self.marks.append(ts_ns)

    def write(self, table, batch):
        super().write(table, batch)
        if self.marks and table != "run":  # (the run's row: its start, written at the end)
            oldest = min(batch.column("ts").cast("int64").to_pylist())
            if oldest < self.marks[-1]:
                self.late.append((table, self.marks[-1] - oldest))


def test_no_row_comes_older_than_the_watermark(sim, result, monkeypatch):
    """The watermark after each hand-over (newest packet - idle - active timeout - slack) is
    a promise the lake relies on to finish files early: no later row is older. With short
    timeouts and no slack, over a capture of several minutes."""
    from wirelens.core import limits

    monkeypatch.setattr(limits, "WATERMARK_SLACK_S", 0.0)
    sink = _WatermarkCheck()
    opts = AnalyzeOptions(batch_bytes=1 << 15, emit_bytes=1 << 16, idle_timeout_s=5.0,
                          active_timeout_s=20.0)
    Analysis(opts, [sink]).run([str(sim.pcap)])
    assert len(sink.marks) > 10 and sink.marks == sorted(sink.marks)
    assert sink.marks[-1] > sink.marks[0] + 200 * 10**9
    assert sink.late == []


def _stamped_ahead(src: Path, dst: Path, packets: tuple[int, ...]) -> Path:
    """A copy of ``src`` whose packets at these positions are stamped 80 years ahead."""
    from wirelens.capture import open_capture
    from wirelens.capture.writer import PcapWriter

    with open_capture(src) as cap, PcapWriter(dst, nanosecond=True) as out:
        n = 0
        for raw in cap:
            for k in range(len(raw)):
                at, ts = int(raw.offset[k]), int(raw.ts_ns[k])
                out.write(ts + (80 * 365 * 86400 * 10**9 if n in packets else 0),
                          bytes(raw.data[at: at + int(raw.caplen[k])]))
                n += 1
    return dst


def test_an_isolated_packet_stamped_far_ahead_is_counted_at_the_time_before(sim, result,
                                                                            tmp_path):
    """One damaged timestamp 80 years ahead of the packets around it: the packet is counted
    at its predecessor's time and a weird says so; the flows are those of the capture
    without the damage (before, every open flow ended there and the later packets took that
    far time)."""
    got = wirelens.analyze(_stamped_ahead(sim.pcap, tmp_path / "j.pcap", (3000,)))
    assert sorted(got.conn["uid"].to_pylist()) == sorted(result.conn["uid"].to_pylist())
    assert got.summary.last_packet_ns == result.summary.last_packet_ns
    (w,) = [r for r in got.table("weird").to_pylist() if r["name"] == "timestamp_out_of_line"]
    assert w["count"] == 1 and "packet 3001 stamped 2,522,880,000 s after" in w["detail"]


def test_query_prints_nanosecond_timestamps(tmp_path, capsys):
    """A nanosecond capture's times (digits below the microsecond, which Python's datetime
    cannot hold) are printed whole by ``wirelens query``, as a table and as JSON (both failed
    on the conversion before)."""
    frame = (b"\x02\0\0\0\0\x02\x02\0\0\0\0\x01\x08\x00" + bytes.fromhex(
        "4500001c0001000040110000" "0a000001" "0a000002") + bytes.fromhex("0035003500080000"))
    from wirelens.capture.writer import PcapWriter

    path, out = tmp_path / "ns.pcap", tmp_path / "o"
    with PcapWriter(path, nanosecond=True) as w:
        w.write(1_700_000_000_123_456_789, frame)
    assert main(["analyze", str(path), "-o", str(out), "--quiet"]) == EXIT_OK
    capsys.readouterr()
    assert main(["query", "-d", str(out), "--format", "json", "SELECT ts, uid FROM conn"]) == 0
    row = json.loads(capsys.readouterr().out)
    assert row["ts"] == "2023-11-14 22:13:20.123456789+00:00"
    assert main(["query", "-d", str(out), "--limit", "1", "SELECT ts FROM conn"]) == EXIT_OK
    assert "22:13:20.123456789" in capsys.readouterr().out
    # nested in a list: to the microsecond, as JSON and as CSV (CSV failed the same way)
    assert main(["query", "-d", str(out), "--format", "csv", "SELECT list(ts) AS t FROM conn"]) == 0
    assert capsys.readouterr().out.splitlines()[1] == '"[""2023-11-14 22:13:20.123456+00:00""]"'


def test_records_claiming_more_bytes_than_sent_are_read_and_named(tmp_path):
    """A record whose captured length exceeds its wire length (a capture writer's bug) is
    read as captured, and a weird says so once per hand-over with the first one's number."""
    frame = (b"\x02\0\0\0\0\x02\x02\0\0\0\0\x01\x08\x00" + bytes.fromhex(
        "4500001c0001000040110000" "0a000001" "0a000002") + bytes.fromhex("0035003500080000"))
    from wirelens.capture.writer import PcapWriter

    path = tmp_path / "over.pcap"
    with PcapWriter(path) as out:
        out.write(1_700_000_000 * 10**9, frame)
        out.write(1_700_000_001 * 10**9, frame, wirelen=20)
        out.write(1_700_000_002 * 10**9, frame, wirelen=len(frame) - 1)
    got = wirelens.analyze(path)
    assert got.summary.packets == 3 and got.summary.ip_packets == 3
    (w,) = [r for r in got.table("weird").to_pylist()
            if r["name"] == "captured_length_exceeds_wire_length"]
    assert w["count"] == 2 and w["source"] == "capture"
    assert w["detail"].endswith(f"packet 2 has {len(frame)} bytes captured of 20 on the wire")
    assert got.summary.weirds["captured_length_exceeds_wire_length"] == 2


def test_datagrams_missing_fragments_at_the_end_are_named(tmp_path):
    """A datagram whose last fragment never came is counted as a fragment and named by a
    weird at the end of the input (nothing analysed it); one completed is not."""
    from wirelens.capture.writer import PcapWriter

    eth = b"\x02\0\0\0\0\x02\x02\0\0\0\0\x01\x08\x00"
    udp = bytes.fromhex("3039d431" "0018" "0000") + bytes(16)  # 8 + 16 bytes

    def frag(ident: int, offset_words: int, more: bool, body: bytes) -> bytes:
        flags = (0x2000 if more else 0) | offset_words
        head = bytes.fromhex("4500") + (20 + len(body)).to_bytes(2, "big") + ident.to_bytes(
            2, "big") + flags.to_bytes(2, "big") + bytes.fromhex("4011" "0000" "0a000001" "0a000002")
        return eth + head + body

    path = tmp_path / "frags.pcap"
    with PcapWriter(path) as out:
        t = 1_700_000_000 * 10**9
        out.write(t, frag(7, 0, True, udp[:16]))  # completed by the next
        out.write(t + 1000, frag(7, 2, False, udp[16:]))
        out.write(t + 2000, frag(8, 0, True, udp[:16]))  # its second half never comes
    got = wirelens.analyze(path)
    assert got.summary.fragments == 3 and got.summary.flows == 1
    (w,) = [r for r in got.table("weird").to_pylist() if r["source"] == "fragments"]
    assert (w["name"], w["count"]) == ("fragment_incomplete_at_end", 1)
    assert w["detail"] == ("1 IP datagram still missing fragments at the end of the input: "
                           "not analysed")
    assert got.summary.weirds == {"fragment_incomplete_at_end": 1}


def test_packets_stamped_far_ahead_do_not_split_the_lake_files(sim, tmp_path):
    """Two packets in a row stamped 80 years ahead stand (they are not isolated): the flow
    table's time moves there. The watermark's clock is the latest of the batches' earliest
    timestamps, so the hours' files are not all finished at each hand-over after it (with the
    newest packet as the clock they were: a file per hand-over and table; the demo's capture
    made 49 files instead of 8)."""
    jump = _stamped_ahead(sim.pcap, tmp_path / "jump.pcap", (3000, 3001))

    def files(path: Path, out: Path) -> int:
        wirelens.analyze(path, out=out, keep_tables=False, emit_bytes=1 << 17)
        return len([f for f in out.rglob("*.parquet") if "run" not in f.parts])

    # (+1: the hour of the packet far ahead, where the flow table counts the packets after
    # it: conn rows; the protocol rows keep their packets' own times)
    assert files(jump, tmp_path / "j") <= files(sim.pcap, tmp_path / "c") + 1


def test_gzip_and_stdin_give_the_same_flows(sim, result, tmp_path):
    gz = tmp_path / "s.pcap.gz"
    with open(sim.pcap, "rb") as src, gzip.open(gz, "wb") as dst:
        shutil.copyfileobj(src, dst)
    assert wirelens.analyze(gz).conn.num_rows == result.conn.num_rows
    p = subprocess.run([sys.executable, "-m", "wirelens.cli", "analyze", "-", "-o",
                        str(tmp_path / "o"), "--json"], stdin=open(sim.pcap, "rb"),
                       capture_output=True, text=True, timeout=600)
    assert p.returncode == EXIT_OK, p.stderr
    assert json.loads(p.stdout)["flows"] == result.conn.num_rows


def test_an_output_that_cannot_be_a_folder_is_said_before_the_analysis(sim, tmp_path, capsys):
    """A file where the output folder goes: one line, exit 1, before reading the input (it
    was said when the first Parquet file was written, the analysis done until then lost)."""
    taken = tmp_path / "taken"
    taken.write_text("not a lake")
    for out in (taken, taken / "sub"):
        assert main(["analyze", str(sim.pcap), "-o", str(out), "--quiet"]) == EXIT_ERROR
        got = capsys.readouterr()
        assert got.out == "" and got.err.startswith("wirelens: [Errno 20] ")
        assert str(out) in got.err


def test_a_stop_ends_the_run_after_the_batch_in_hand(sim, tmp_path):
    """``analyze(..., stop=event)``: once set, no further batch is read; the flows open then
    end (``eof``) and the tables and run row are written, the run marked interrupted."""
    import threading

    stop = threading.Event()
    batches: list[int] = []

    def progress(done: int, total: int, packets: int) -> None:
        batches.append(packets)
        if len(batches) == 2:
            stop.set()

    got = wirelens.analyze(sim.pcap, out=tmp_path / "o", progress=progress, stop=stop,
                           batch_bytes=64 * 1024)
    s = got.summary
    assert s.interrupted and len(batches) == 2 and s.packets == batches[-1] < sim.packets
    assert s.notices == [f"stopped on request after {s.packets:,} packets (in {sim.pcap}): "
                         "the flows open then were ended there; later input was not read"]
    conn = got.conn
    assert sum(conn["orig_pkts"].to_pylist()) + sum(conn["resp_pkts"].to_pylist()) == s.ip_packets
    assert "eof" in conn["end_reason"].to_pylist()
    (run,) = query(tmp_path / "o", "SELECT interrupted, packets FROM run").to_pylist()
    assert run == {"interrupted": True, "packets": s.packets}
    stop_first = threading.Event()
    stop_first.set()  # (asked before the run: nothing read)
    early = wirelens.analyze(sim.pcap, stop=stop_first).summary
    assert early.interrupted and early.packets == 0 and "(before " in early.notices[0]


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
@pytest.mark.parametrize("dpi", ["full", "off"])  # (stdin: the lake's process; its thread)
def test_ctrl_c_or_sigterm_ends_the_run_with_complete_tables(sim, tmp_path, dpi, signum):
    """Ctrl-C or SIGTERM (``kill``, ``timeout``, a service manager) ends the input where the
    run is, here a read waiting on a pipe, and the run ends as at the end of its input: the
    flows open then ended (``eof``), every table and the run row written, the run marked
    ``interrupted``, exit status 128 + the signal, no temporary file. (Ctrl-C stopped the run
    where it stood, with no run row and the open flows lost; SIGTERM ended the process, a
    ``.parquet.tmp`` left behind when a file was open.)"""
    out = tmp_path / "o"
    p = subprocess.Popen([sys.executable, "-m", "wirelens.cli", "analyze", "-", "-o", str(out),
                          "--quiet", "--dpi", dpi], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert p.stdin is not None
    # the pipe holds 64 KiB: once the capture is written, the run has read the rest of it,
    # its handlers set (the input stays open: the run waits for more)
    p.stdin.write(Path(sim.pcap).read_bytes())
    p.stdin.flush()
    p.send_signal(signum)
    _, err = p.communicate(timeout=120)
    assert p.returncode == 128 + signum, err
    assert "stopped on request after" in err.decode()
    assert not list(out.rglob("*.tmp"))
    (run,) = query(out, "SELECT packets, ip_packets, interrupted FROM run").to_pylist()
    assert run["interrupted"] and 0 < run["packets"] <= sim.packets
    (conn,) = query(out, "SELECT sum(orig_pkts + resp_pkts) AS n, "
                         "count(*) FILTER (WHERE end_reason = 'eof') AS eof FROM conn").to_pylist()
    assert conn["n"] == run["ip_packets"] and conn["eof"] > 0  # every packet read is in a flow


def test_query_output_comes_a_batch_at_a_time(result, capsys, monkeypatch):
    """The command line prints a result as DuckDB hands it over, in batches (here of 7
    rows), never holding it whole: the same JSON lines, the same CSV (one header), the same
    table head and row count as from the whole result."""
    import pyarrow.csv as pacsv

    from wirelens.cli import _stringify_lists
    from wirelens.service import lake_query

    sql = "SELECT uid, ts, orig_h, history, first_ps FROM conn ORDER BY ts, uid LIMIT 40"
    whole = query(result.out, sql)
    monkeypatch.setattr(lake_query, "QUERY_BATCH_ROWS", 7)
    with lake_query.query_reader(result.out, sql) as reader:
        assert [b.num_rows for b in reader] == [7] * 5 + [5]
    capsys.readouterr()
    assert main(["query", "-d", str(result.out), "--format", "json", sql]) == EXIT_OK
    assert capsys.readouterr().out.splitlines() == [
        lake_query.json_text(r) for r in lake_query.python_rows(whole)]
    assert main(["query", "-d", str(result.out), "--format", "csv", sql]) == EXIT_OK
    sink = pa.BufferOutputStream()
    pacsv.write_csv(_stringify_lists(whole), sink)
    assert capsys.readouterr().out == sink.getvalue().to_pybytes().decode()
    assert main(["query", "-d", str(result.out), "--limit", "10", sql]) == EXIT_OK
    shown = capsys.readouterr().out
    assert "(40 rows, 10 shown" in shown and whole["uid"][9].as_py() in shown
    assert whole["uid"][10].as_py() not in shown
    assert main(["query", "-d", str(result.out), "--format", "csv",
                 "SELECT uid, first_ps FROM conn WHERE false"]) == EXIT_OK
    assert capsys.readouterr().out == '"uid","first_ps"\n'


def test_export_in_bounded_memory_says_nothing_on_stdout(sim, result, tmp_path, capfd,
                                                         monkeypatch):
    """The export sorts each table by ts within DuckDB's memory bound, spilling to a folder
    in the lake that is gone afterwards; DuckDB's progress bar (drawn on stdout, into a
    ``--json`` summary) stays off."""
    from wirelens.service import lake_query

    out = tmp_path / "lake"
    shutil.copytree(result.out, out)
    monkeypatch.setattr(lake_query, "EXPORT_MEMORY", "64MB")
    capfd.readouterr()
    written = lake_query.export(out, ["csv", "jsonl"])
    assert capfd.readouterr().out == ""
    assert {p.name for p in out.iterdir() if p.name.startswith(".")} == set()
    conn = [p for p in written if p.name == "conn.jsonl"][0].read_text().splitlines()
    assert len(conn) == result.conn.num_rows
    ts = [json.loads(line)["ts"] for line in conn]
    assert ts == sorted(ts)
    monkeypatch.setattr(lake_query, "EXPORT_MEMORY", "1MB")  # (too little: DuckDB fails)
    again = tmp_path / "again"
    rc = main(["analyze", str(sim.pcap), "-o", str(again), "--export", "csv", "--quiet"])
    err = capfd.readouterr().err.strip().splitlines()
    assert rc == EXIT_ERROR and len(err) == 1
    assert err[0].startswith(f"wirelens: export failed (the tables in {again} are complete): ")
    assert query(again, "SELECT count(*) AS n FROM conn").to_pylist() == [
        {"n": result.conn.num_rows}]


def test_query_json_has_no_nan(result, capsys):
    """NaN and infinities (``0.0/0.0``) are null in the JSON output (``NaN`` is no JSON)."""
    capsys.readouterr()
    sql = "SELECT 0.0/0.0 AS a, 1.0/0.0 AS b, [0.0/0.0, 1.5] AS l, 2.5::DOUBLE AS c"
    assert main(["query", "-d", str(result.out), "--format", "json", sql]) == EXIT_OK
    line = capsys.readouterr().out.strip()
    assert json.loads(line, parse_constant=lambda c: pytest.fail(c)) == {
        "a": None, "b": None, "l": [None, 1.5], "c": 2.5}


def test_query_table_shows_brackets_as_they_are(result, capsys):
    """The table view prints values, not markup: ``a[b]c`` and ``[red]`` were eaten by the
    terminal library's markup (so were column types in ``wirelens schema``:
    ``timestamp[ns, tz=UTC]`` read ``timestamp``); lists show as JSON."""
    capsys.readouterr()
    sql = "SELECT 'a[b]c' AS \"q[1]\", '[red]' AS r, [1, 2] AS l"
    assert main(["query", "-d", str(result.out), sql]) == EXIT_OK
    shown = capsys.readouterr().out
    assert all(x in shown for x in ("a[b]c", "[red]", "q[1]", "[1, 2]")), shown
    assert main(["schema", "conn"]) == EXIT_OK
    assert "timestamp[ns," in capsys.readouterr().out
    with pytest.raises(SystemExit) as exc:  # (it printed "-1 shown")
        main(["query", "-d", str(result.out), "--limit", "-1", "SELECT 1"])
    assert exc.value.code == 2 and "must be 0 or more, not -1" in capsys.readouterr().err


def test_ctrl_c_ends_a_run_on_a_named_pipe_with_or_without_its_writer(sim, tmp_path):
    """A named pipe given by name is read as a pipe (bytes as they come; it was read as a
    file, filling a whole window first), and Ctrl-C ends it at once: while it waits for more
    bytes, and while its open waits for a writer that never comes (it hung there until a
    second Ctrl-C, with no run row)."""
    import os

    def analyze(fifo: Path, out: Path) -> subprocess.Popen:
        return subprocess.Popen([sys.executable, "-m", "wirelens.cli", "analyze", str(fifo),
                                 "-o", str(out), "--quiet"], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)

    fed, lonely = tmp_path / "fed.fifo", tmp_path / "lonely.fifo"
    os.mkfifo(fed)
    os.mkfifo(lonely)
    p = analyze(fed, tmp_path / "a")
    with open(fed, "wb") as w:  # (returns once the run opened it: its handlers are set)
        w.write(Path(sim.pcap).read_bytes())  # (more than the pipe holds: read as it came)
        w.flush()
        p.send_signal(signal.SIGINT)
        assert p.wait(timeout=120) == 130, p.stderr.read() if p.stderr else ""
    (run,) = query(tmp_path / "a", "SELECT packets, interrupted FROM run").to_pylist()
    assert run["interrupted"] and run["packets"] > 0
    q = analyze(lonely, tmp_path / "b")
    wchan = Path(f"/proc/{q.pid}/wchan")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and wchan.read_text() != "wait_for_partner":
        time.sleep(0.1)  # (until its open waits for a writer)
    assert wchan.read_text() == "wait_for_partner"
    q.send_signal(signal.SIGINT)
    assert q.wait(timeout=60) == 130
    (run,) = query(tmp_path / "b", "SELECT packets, interrupted FROM run").to_pylist()
    assert run == {"packets": 0, "interrupted": True}


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_query_output_cut_short_by_its_reader_ends_quietly(result, fmt):
    """``wirelens query ... | head -1``: exit 128 + SIGPIPE with nothing on stderr, as the Unix
    tools do (it printed ``wirelens: [Errno 32] Broken pipe`` and exited 1)."""
    p = subprocess.Popen([sys.executable, "-m", "wirelens.cli", "query", "-d", str(result.out),
                          "--format", fmt, "SELECT range AS n FROM range(1000000)"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert p.stdout is not None and p.stderr is not None
    assert p.stdout.readline()  # (15 MB to write: far more than the pipe holds)
    p.stdout.close()
    assert p.wait(timeout=120) == 128 + signal.SIGPIPE
    assert p.stderr.read() == b""


def test_a_file_name_that_is_not_utf8_is_read_and_named_with_escapes(sim, tmp_path):
    """Bytes of a name that are not UTF-8 (Python keeps them as lone surrogates) are written
    as escapes wherever the name is text: the run's inputs, problems, the lake (the run row
    failed at the end of the run: ``UnicodeEncodeError``, the whole analysis lost)."""
    import os

    odd = os.fsdecode(bytes(tmp_path / "cap") + b"\xfe.pcap")
    shutil.copy(sim.pcap, odd)
    missing = os.fsdecode(bytes(tmp_path / "gone") + b"\xfd.pcap")
    got = wirelens.analyze([odd, missing], out=tmp_path / "o")
    assert got.summary.packets == sim.packets
    shown = [str(tmp_path / "cap") + "\\xfe.pcap", str(tmp_path / "gone") + "\\xfd.pcap"]
    assert got.summary.inputs == shown and got.summary.unreadable_inputs == shown[1:]
    assert got.summary.problems == [shown[1] + ": cannot open: No such file or directory"]
    (run,) = query(tmp_path / "o", "SELECT inputs FROM run").to_pylist()
    assert run["inputs"] == shown


def _snapped(src: Path, dst: Path, snaplen: int) -> Path:
    """A copy of ``src`` whose frames a capture with snap length ``snaplen`` would hold."""
    from wirelens.capture import open_capture
    from wirelens.capture.writer import PcapWriter

    with open_capture(src) as cap, PcapWriter(dst, nanosecond=True, snaplen=snaplen) as out:
        for raw in cap:
            for k in range(len(raw)):
                at = int(raw.offset[k])
                frame = bytes(raw.data[at: at + min(int(raw.caplen[k]), snaplen)])
                out.write(int(raw.ts_ns[k]), frame, wirelen=int(raw.wirelen[k]))
    return dst


def test_a_snap_length_keeps_the_transactions(sim, result, tmp_path):
    """Frames cut to 200 bytes (every long segment then ends in a hole its peer
    acknowledges): each HTTP transaction is still one row with its request and its
    response's status, in step; TLS rows keep their hellos' versions; DNS rows are kept
    (those cut inside their records say so)."""
    got = wirelens.analyze(_snapped(sim.pcap, tmp_path / "snap.pcap", 200))
    key = ["uid", "method", "uri", "host"]
    full = result.table("http").to_pandas().sort_values(key)[key].reset_index(drop=True)
    cut_all = got.table("http").to_pandas()
    cut = cut_all.sort_values(key)[key].reset_index(drop=True)
    assert cut.equals(full)
    paired = cut_all.merge(result.table("http").to_pandas(), on=["uid", "trans_depth"])
    assert (paired.status_code_x == paired.status_code_y).all()  # every one, never shifted
    assert got.table("tls").num_rows == result.table("tls").num_rows
    assert got.table("dns").num_rows == result.table("dns").num_rows


def test_a_short_snap_length_keeps_methods_and_uris_so_far(sim, result, tmp_path):
    """At 96 bytes a long request line is cut short: its row keeps the method and the URI
    as far as it came (a prefix of the whole one), in step with its response's status."""
    got = wirelens.analyze(_snapped(sim.pcap, tmp_path / "snap96.pcap", 96))
    whole = {(r["uid"], r["trans_depth"]): r for r in result.table("http").to_pylist()}
    rows = got.table("http").to_pylist()
    assert len(rows) == len(whole)
    cut = 0
    for r in rows:
        w = whole[(r["uid"], r["trans_depth"])]
        assert (r["method"], r["status_code"]) == (w["method"], w["status_code"])
        assert w["uri"].startswith(r["uri"])
        cut += r["uri"] != w["uri"]
    assert cut > 0


def test_cli_output_that_cannot_be_written_is_one_line(sim, tmp_path, capsys, monkeypatch):
    """A file of the lake that cannot be written (here: the device is full for conn files)
    ends the run with one line naming the file and the reason, exit status 1, no traceback
    and no temporary file left; the run row says what ended it."""
    import wirelens.store.lake as lake

    replace = lake.os.replace

    out = tmp_path / "o"

    def full(src, dst):
        if str(dst).startswith(str(out / "conn")):
            raise OSError(28, "No space left on device")
        replace(src, dst)

    monkeypatch.setattr(lake.os, "replace", full)
    assert main(["analyze", str(sim.pcap), "-o", str(out), "--quiet"]) == EXIT_ERROR
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("wirelens: [Errno 28] No space left on device: ")
    assert err[0].endswith(".parquet'") and not list(out.rglob("*.tmp"))
    run = query(out, "SELECT error, packets FROM run").to_pylist()
    assert len(run) == 1 and run[0]["error"] == err[0][len("wirelens: "):]
    assert 0 < run[0]["packets"] <= sim.packets


def test_a_temporary_folder_that_cannot_be_written_fails_no_run(sim, tmp_path, capsys,
                                                               monkeypatch):
    """The warm-up before a run analyses a tiny capture in a temporary folder: that folder's
    disk full is not the run's failure (its kernels load in the run instead)."""
    from wirelens.pipeline import warm

    def full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(warm.tempfile, "TemporaryDirectory", full)
    out = tmp_path / "o"
    assert main(["analyze", str(sim.pcap), "-o", str(out), "--quiet"]) == EXIT_OK
    assert query(out, "SELECT packets FROM run").to_pylist() == [{"packets": sim.packets}]


def test_cli_analyze_query_schema(sim, tmp_path, capsys):
    out = tmp_path / "o"
    assert main(["analyze", str(sim.pcap), "-o", str(out), "--json", "--export", "jsonl,csv"]) == EXIT_OK
    summary = json.loads(capsys.readouterr().out)
    assert summary["packets"] == sim.packets and summary["top_talkers"]
    stages = summary["stage_s"]  # where the time went, every stage, adding up to elapsed
    assert set(stages) == set(STAGES) and all(v >= 0 for v in stages.values())
    assert sum(stages.values()) == pytest.approx(summary["elapsed_s"], abs=0.01)
    assert (out / "conn.jsonl").exists() and (out / "dns.csv").exists()
    # a second run into the same folder must not silently mix runs
    assert main(["analyze", str(sim.pcap), "-o", str(out), "--quiet"]) == EXIT_ERROR
    capsys.readouterr()
    assert main(["query", "-d", str(out), "--format", "json",
                 "SELECT count(*) AS n FROM conn"]) == EXIT_OK
    assert json.loads(capsys.readouterr().out.splitlines()[0])["n"] == summary["flows"]
    assert main(["query", "-d", str(out), "--format", "csv", "SELECT uid, first_ps FROM conn LIMIT 2"]) == 0
    assert capsys.readouterr().out.startswith('"uid","first_ps"')
    assert main(["query", "-d", str(out), "SELECT nope FROM conn"]) == EXIT_ERROR
    assert main(["schema", "conn"]) == EXIT_OK
    assert "src2dst_mean_piat_ms" in capsys.readouterr().out
    assert main(["schema", "nosuch"]) == EXIT_ERROR  # one plain line naming the tables
    assert capsys.readouterr().err.startswith("wirelens: unknown table 'nosuch'; tables: conn,")


def test_the_demo_answers_every_question(tmp_path, capsys):
    """The README's first command: ``wirelens demo`` simulates a capture, analyses it and
    answers each of its questions with rows (here at a fifth of its default scale)."""
    from wirelens.cli_view import DEMO_QUESTIONS

    assert main(["demo", "-o", str(tmp_path), "--scale", "0.2"]) == EXIT_OK
    text = capsys.readouterr().out
    assert all(title.split(" (")[0] in text for title, _ in DEMO_QUESTIONS)
    assert "Results: Parquet tables under" in text
    lake = tmp_path / "lake"
    empty = [title for title, sql in DEMO_QUESTIONS if query(lake, sql).num_rows == 0]
    assert not empty, empty
    assert (tmp_path / "demo.pcap").is_file() and (tmp_path / "demo.pcap.labels.jsonl").is_file()


def test_damaged_capture_keeps_packets_and_exits_3(sim, tmp_path, capsys):
    data = Path(sim.pcap).read_bytes()
    cut = tmp_path / "cut.pcap"
    cut.write_bytes(data[: len(data) // 2 + 7])
    rc = main(["analyze", str(cut), "-o", str(tmp_path / "o"), "--json"])
    captured = capsys.readouterr()
    assert rc == EXIT_DAMAGED
    assert "cut.pcap: truncated" in captured.err
    assert json.loads(captured.out)["packets"] > 0


def test_files_in_a_folder_that_are_not_captures(sim, tmp_path, capsys):
    """In a folder given, a file named as a capture without a capture's header (empty: the
    capturing tool killed before it wrote one; damaged) is damage, exit status 3, each one
    line; other files (notes, logs) one note; the captures are read."""
    d = tmp_path / "d"
    d.mkdir()
    shutil.copy(sim.pcap, d / "a.pcap")
    (d / "empty.pcap").write_bytes(b"")
    (d / "bad.pcapng.gz").write_bytes(b"\x1f\x8b" + bytes(30))
    (d / "notes.txt").write_text("hello")
    out = tmp_path / "o"
    assert main(["analyze", str(d), "-o", str(out), "--quiet"]) == EXIT_DAMAGED
    err = capsys.readouterr().err.splitlines()
    assert sorted(line.split(":")[0] for line in err if not line.startswith("note:")) == [
        str(d / "bad.pcapng.gz"), str(d / "empty.pcap")]
    assert f"note: 1 file(s) under the folders given are not captures, not read: " \
           f"{d / 'notes.txt'}" in err
    (run,) = query(out, "SELECT packets, problems FROM run").to_pylist()
    assert run["packets"] == sim.packets and len(run["problems"]) == 2


def test_a_file_given_twice_is_read_once_with_a_notice(sim, tmp_path, capsys):
    link = tmp_path / "latest.pcap"
    link.symlink_to(sim.pcap)
    out = tmp_path / "o"
    assert main(["analyze", str(sim.pcap), str(link), "-o", str(out), "--quiet"]) == EXIT_OK
    assert f"note: {link}: the same file as {sim.pcap}, read once" in capsys.readouterr().err
    (run,) = query(out, "SELECT packets, notices FROM run").to_pylist()
    assert run["packets"] == sim.packets and len(run["notices"]) == 1


def test_files_out_of_time_order_get_a_notice_not_an_error(sim, tmp_path, capsys):
    """Two captures of one simulated hour given late half first: a notice (the packets of
    the second are counted at the latest time seen), on stderr and in the run table, exit
    status 0; in the order written, none."""
    from wirelens.capture import PcapWriter, open_capture

    frames = [(int(t), bytes(raw.data[o:o + c])) for raw in open_capture(sim.pcap)
              for t, o, c in zip(raw.ts_ns, raw.offset, raw.caplen, strict=True)]
    half = len(frames) // 2
    for name, part in (("a.pcap", frames[:half]), ("b.pcap", frames[half:])):
        with PcapWriter(tmp_path / name, nanosecond=True) as w:
            for t, frame in part:
                w.write(t, frame)
    a, b = str(tmp_path / "a.pcap"), str(tmp_path / "b.pcap")
    rc = main(["analyze", b, a, "-o", str(tmp_path / "o"), "--quiet"])
    err = capsys.readouterr().err
    assert rc == EXIT_OK
    assert f"note: {a}: starts " in err and "before the end of the inputs read before it" in err
    notices = query(tmp_path / "o", "SELECT notices FROM run").column(0).to_pylist()
    assert len(notices) == 1 and len(notices[0]) == 1 and notices[0][0].startswith(a)
    assert wirelens.analyze([a, b]).summary.notices == []


def test_a_killed_lake_writer_is_one_line(sim, tmp_path, capsys, monkeypatch):
    """The lake's writer process killed mid-run (the out-of-memory killer's SIGKILL): one
    line saying so and exit status 1, not a traceback of chained failures; the files it
    completed stay, no temporary one is left."""
    import os

    from wirelens.pipeline import api
    from wirelens.store.lake_process import LakeProcess

    monkeypatch.setattr(api, "SEPARATE_WRITER_BYTES", 0)  # (the process for any input)
    real_write, calls = LakeProcess.write, []

    def write(self, table, batch):
        if self.root != tmp_path / "o":  # (the warm-up's lake)
            return real_write(self, table, batch)
        calls.append(table)
        if len(calls) == 3:
            os.kill(self._proc.pid, signal.SIGKILL)
            self._proc.wait()
        return real_write(self, table, batch)

    monkeypatch.setattr(LakeProcess, "write", write)
    rc = main(["analyze", str(sim.pcap), "-o", str(tmp_path / "o"), "--quiet"])
    err = capsys.readouterr().err
    assert rc == EXIT_ERROR and len(calls) >= 3
    assert err == ("wirelens: the lake writer process was killed by SIGKILL (the system's "
                   "out-of-memory killer sends it)\n")
    assert not list((tmp_path / "o").rglob("*.tmp"))
    run = query(tmp_path / "o", "SELECT error FROM run").to_pylist()  # (written in-process)
    assert run == [{"error": err[len("wirelens: "):].strip()}]


def test_out_of_memory_is_one_line(sim, tmp_path, capsys, monkeypatch):
    from wirelens.pipeline.runner import Analysis

    def exhausted(self, raw):
        raise MemoryError()

    monkeypatch.setattr(Analysis, "_batch", exhausted)
    rc = main(["analyze", str(sim.pcap), "-o", str(tmp_path / "o"), "--quiet"])
    assert rc == EXIT_ERROR
    assert capsys.readouterr().err.startswith("wirelens: out of memory: files completed")
    assert query(tmp_path / "o", "SELECT error, packets FROM run").to_pylist() == [
        {"error": "out of memory", "packets": 0}]


def test_a_query_interrupted_mentions_no_files(result, capsys, monkeypatch):
    from wirelens.service import lake_query

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(lake_query, "query_reader", interrupted)
    assert main(["query", "-d", str(result.out), "SELECT 1"]) == 130
    assert capsys.readouterr().err == "interrupted\n"


def test_not_a_capture_is_an_error(tmp_path, capsys):
    junk = tmp_path / "junk.pcap"
    junk.write_bytes(b"hello, this is not a capture at all" * 10)
    rc = main(["analyze", str(junk), "-o", str(tmp_path / "o"), "--quiet"])
    assert rc == EXIT_ERROR
    assert "junk.pcap" in capsys.readouterr().err


def test_interrupted_run_keeps_complete_files(sim, tmp_path):
    """An interrupt mid-run (here from the progress callback) leaves only whole Parquet files:
    what was written stays queryable, nothing half-written is visible; the run row says the
    run was stopped at once."""
    out = tmp_path / "o"
    calls = []

    def progress(done, total, packets):
        calls.append(packets)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        wirelens.analyze(sim.pcap, out=out, batch_bytes=1 << 16, emit_bytes=1,
                         progress=progress)
    assert calls and calls[0] < sim.packets
    assert not list(out.rglob("*.tmp"))
    n = query(out, "SELECT count(*) AS n FROM conn").to_pylist()[0]["n"]
    assert 0 < n < 5000
    (run,) = query(out, "SELECT error, packets FROM run").to_pylist()
    assert run["error"].startswith("stopped at once") and 0 < run["packets"] < sim.packets


def test_tables_convert_to_pandas(result):
    df = result.conn.to_pandas()
    assert len(df) == result.conn.num_rows and "src2dst_mean_piat_ms" in df.columns
    assert str(df["ts"].dtype).startswith("datetime64[ns")


def test_command_line_does_not_import_pandas_but_pandas_still_works():
    """The console entry hides pandas from pyarrow's first "is this pandas?" probe (0.2-0.5 s
    of start-up); converting to pandas afterwards still imports it and works."""
    code = ("import sys; from wirelens import cli; cli._skip_pandas_probe(); import pyarrow as pa; "
            "pa.array([1]); pa.table({'a': ['x']}); assert 'pandas' not in sys.modules; "
            "assert pa.table({'a': [7]}).to_pandas()['a'][0] == 7; print('ok')")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0 and p.stdout.strip() == "ok", p.stderr


def test_first_run_notice_only_without_a_warm_up_behind(tmp_path, monkeypatch):
    """The "first run: compiling" notice is for kernels not compiled yet: a slow load on a
    busy machine, after a warm-up went through with these sources, says nothing (it had
    made ``./run test``'s exact-output tests fail under load)."""
    from wirelens import cli_view
    from wirelens.core import jit
    from wirelens.pipeline import warm as warm_mod

    said: list[str] = []
    monkeypatch.setattr(jit, "CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(cli_view.err, "print", lambda text, *a, **k: said.append(text))
    monkeypatch.setattr(warm_mod, "warm", lambda dpi="full": time.sleep(0.3))
    cli_view.warm_with_notice("full", after_s=0.05)
    assert len(said) == 1 and "First run" in said[0]
    said.clear()
    (tmp_path / "warmed-full").touch()  # (what a warm-up that went through leaves)
    cli_view.warm_with_notice("full", after_s=0.05)
    assert said == []
    assert warm_mod.warmed_marker("off") == tmp_path / "warmed-off"
