"""Tests of the traffic simulator: reproducibility, frame validity, labels, TCP arithmetic,
DNS/TLS/HTTP/SSH content and the attack shapes, checked with independent naive parsers."""

from __future__ import annotations

import hashlib
import ipaddress
import itertools
import json
import os
import shutil
import statistics
import struct
import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
from wl_sim_check import Pkt, client_hello, client_hello_sni, parse_dns, read_packets, read_pcap

from wirelens.sim import (
    ALL_SCENARIOS,
    ATTACK_SCENARIOS,
    BENIGN_SCENARIOS,
    SCENARIOS,
    SimConfig,
    simulate,
)
from wirelens.sim.frames import MSS

SMALL = SimConfig(seed=11, duration_s=120.0, n_clients=6, scale=0.5)
SYN, RST, ACK, FIN = 0x02, 0x04, 0x10, 0x01
RESOLVER = SMALL.network.resolver


def _sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    d = tmp_path_factory.mktemp("sim")
    res = simulate(d / "small.pcap", SMALL)
    labels = [json.loads(line) for line in res.labels.read_text().splitlines()]
    return {"res": res, "labels": labels, "pkts": read_packets(res.pcap), "dir": d}


def _rows(sim: dict[str, Any], label: str) -> list[dict[str, Any]]:
    return [r for r in sim["labels"] if r["label"] == label]


def _tcp_conn(pkts: list[Pkt], a: str, sport: int, b: str, dport: int) -> list[Pkt]:
    return [p for p in pkts if p.proto == 6 and (
        (p.src, p.sport, p.dst, p.dport) == (a, sport, b, dport)
        or (p.src, p.sport, p.dst, p.dport) == (b, dport, a, sport))]


def _stream(conn: list[Pkt], src: str) -> bytes:
    return b"".join(p.payload for p in conn if p.src == src)


# --- reproducibility ----------------------------------------------------------------------


def test_same_seed_same_bytes_and_other_seed_differs(tmp_path: Path, sim: dict[str, Any]) -> None:
    again = simulate(tmp_path / "again.pcap", SMALL)
    assert _sha(again.pcap) == _sha(sim["res"].pcap)
    assert _sha(again.labels) == _sha(sim["res"].labels)
    other = simulate(tmp_path / "other.pcap",
                     SimConfig(seed=12, duration_s=120.0, n_clients=6, scale=0.5))
    assert _sha(other.pcap) != _sha(sim["res"].pcap)
    assert _sha(other.labels) != _sha(sim["res"].labels)


def test_same_bytes_in_another_process(tmp_path: Path) -> None:
    """No dependence on PYTHONHASHSEED, set order or process state (the CLI entry point)."""
    cfg = SimConfig(seed=5, duration_s=40.0, n_clients=3, scale=0.1)
    here = simulate(tmp_path / "here.pcap", cfg)
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    subprocess.run([sys.executable, "-m", "wirelens.sim", str(tmp_path / "there.pcap"),
                    "--seed", "5", "--duration", "40", "--clients", "3", "--scale", "0.1"],
                   check=True, env=env, capture_output=True, timeout=120)
    assert _sha(tmp_path / "there.pcap") == _sha(here.pcap)
    assert _sha(tmp_path / "there.pcap.labels.jsonl") == _sha(here.labels)


# --- frames -------------------------------------------------------------------------------


def test_every_frame_valid_and_time_ordered(sim: dict[str, Any]) -> None:
    pkts: list[Pkt] = sim["pkts"]  # read_packets() already asserted every checksum/length
    assert len(pkts) == sim["res"].packets > 1000
    ts = [p.ts_us for p in pkts]
    assert all(a <= b for a, b in itertools.pairwise(ts))
    t0 = int(SMALL.start_ts * 1e6)
    assert ts[0] >= t0
    assert ts[-1] <= t0 + int((SMALL.duration_s + 60) * 1e6)
    assert {p.proto for p in pkts} == {1, 6, 17}
    assert max(len(p.payload) for p in pkts if p.proto == 6) <= 1460


def test_checker_catches_a_corrupted_frame(sim: dict[str, Any], tmp_path: Path) -> None:
    data = bytearray(sim["res"].pcap.read_bytes())
    data[24 + 16 + 14 + 20 + 4] ^= 0x01  # a byte of the first frame's UDP payload
    bad = tmp_path / "bad.pcap"
    bad.write_bytes(bytes(data))
    with pytest.raises(AssertionError, match="checksum"):
        read_packets(bad)


def test_ttls_and_ip_ids(sim: dict[str, Any]) -> None:
    pkts: list[Pkt] = sim["pkts"]
    clients = {p.src for p in pkts if p.src.startswith("10.20.0.1") and p.proto == 6}
    for c in clients:
        assert {p.ttl for p in pkts if p.src == c} <= {64, 128}
    # IP ids of one sender within one TCP connection increase by one (mod 2^16)
    row = _rows(sim, "http_browse")[0]
    cli, srv = row["hosts"]
    conn = _tcp_conn(pkts, cli, row["detail"]["sport"], srv, 80)
    ids = [p.ip_id for p in conn if p.src == cli]
    assert all((b - a) % 65536 >= 1 for a, b in itertools.pairwise(ids))


# --- labels -------------------------------------------------------------------------------


def test_labels_cover_scenarios_and_capture_span(sim: dict[str, Any]) -> None:
    rows = sim["labels"]
    pkts = sim["pkts"]
    lo, hi = pkts[0].ts_us / 1e6, pkts[-1].ts_us / 1e6
    assert {r["label"] for r in rows} == set(ALL_SCENARIOS)
    assert sim["res"].scenarios == {k: len(_rows(sim, k)) for k in ALL_SCENARIOS}
    assert sim["res"].flows == sum(r["flows"] for r in rows)
    for r in rows:
        assert set(r) == {"phase", "label", "hosts", "start", "end", "flows", "detail"}
        if r["label"] == "dns_lookup":  # a lookup made for an attack is part of the attack
            assert r["phase"] == ("attack" if r["detail"]["purpose"] in ATTACK_SCENARIOS
                                  else "benign")
        else:
            assert r["phase"] == ("benign" if r["label"] in BENIGN_SCENARIOS else "attack")
        assert lo - 1e-6 <= r["start"] <= r["end"] <= hi + 1e-6
        assert r["flows"] >= 1 and r["hosts"]
        for h in r["hosts"]:
            ipaddress.IPv4Address(h)
    assert set(SCENARIOS) == set(ALL_SCENARIOS)


def test_label_rows_match_their_packets(sim: dict[str, Any]) -> None:
    pkts: list[Pkt] = sim["pkts"]
    for r in _rows(sim, "tls_browse") + _rows(sim, "http_browse"):
        cli, srv = r["hosts"]
        conn = _tcp_conn(pkts, cli, r["detail"]["sport"], srv, r["detail"]["dport"])
        assert conn[0].ts_us / 1e6 == pytest.approx(r["start"], abs=2e-6)
        assert conn[-1].ts_us / 1e6 == pytest.approx(r["end"], abs=2e-6)
        assert sum(len(p.payload) for p in conn if p.src == cli) == r["detail"]["bytes_out"]


def test_scenario_subset_and_validation(tmp_path: Path) -> None:
    res = simulate(tmp_path / "d.pcap", SimConfig(duration_s=30, n_clients=2,
                                                 scenarios=("dns_lookup",)),
                   labels_path=tmp_path / "l.jsonl")
    assert res.labels == tmp_path / "l.jsonl"
    assert set(res.scenarios) == {"dns_lookup"}
    assert all(p.proto == 17 for p in read_packets(res.pcap))
    with pytest.raises(ValueError, match="unknown"):
        simulate(tmp_path / "x.pcap", SimConfig(scenarios=("nope",)))
    with pytest.raises(ValueError):
        simulate(tmp_path / "x.pcap", SimConfig(scale=0))
    # values with no end (infinite, NaN, a thousand years) are refused, not run for ever
    for bad, words in ((dict(duration_s=float("inf")), "duration_s must be > 0 and at most"),
                       (dict(duration_s=3e10), "duration_s must be"),
                       (dict(scale=float("nan")), "scale must be > 0 and at most 100"),
                       (dict(scale=1e9), "scale must be"),
                       (dict(scale=50, duration_s=86_400), "scale x duration_s must be"),
                       (dict(start_ts=float("inf")), "start_ts must be epoch seconds")):
        with pytest.raises(ValueError, match=words):
            simulate(tmp_path / "x.pcap", SimConfig(**bad))  # type: ignore[arg-type]
    assert not (tmp_path / "x.pcap").exists()


# --- TCP in detail ------------------------------------------------------------------------


def _check_tcp_arithmetic(conn: list[Pkt], cli: str) -> None:
    syn, synack, ack = conn[0], conn[1], conn[2]
    assert syn.src == cli and syn.flags == SYN and syn.ack == 0
    assert synack.src != cli and synack.flags == SYN | ACK
    assert synack.ack == (syn.seq + 1) % 2**32
    assert ack.src == cli and ack.flags == ACK
    assert (ack.seq, ack.ack) == ((syn.seq + 1) % 2**32, (synack.seq + 1) % 2**32)
    nxt = {cli: (syn.seq + 1) % 2**32, synack.src: (synack.seq + 1) % 2**32}
    last_ack = {cli: ack.ack, synack.src: synack.ack}
    peer = {cli: synack.src, synack.src: cli}
    for p in conn[3:]:
        assert p.seq == nxt[p.src], f"frame {p.index}: seq {p.seq} expected {nxt[p.src]}"
        if p.flags & RST:
            break
        assert p.flags & ACK
        # ACKs never go backwards and never acknowledge unsent bytes
        assert (p.ack - last_ack[p.src]) % 2**32 < 2**31
        assert (nxt[peer[p.src]] - p.ack) % 2**32 < 2**31
        last_ack[p.src] = p.ack
        nxt[p.src] = (nxt[p.src] + len(p.payload) + (1 if p.flags & FIN else 0)) % 2**32
    end = conn[-1]
    if not end.flags & RST:  # graceful close: both FINs acknowledged
        assert sum(1 for p in conn if p.flags & FIN) == 2
        assert end.flags == ACK and end.ack == nxt[peer[end.src]]


def test_http_session_in_detail(sim: dict[str, Any]) -> None:
    pkts: list[Pkt] = sim["pkts"]
    rows = _rows(sim, "http_browse")
    assert rows
    for row in rows:
        cli, srv = row["hosts"]
        conn = _tcp_conn(pkts, cli, row["detail"]["sport"], srv, 80)
        _check_tcp_arithmetic(conn, cli)
        up, down = _stream(conn, cli), _stream(conn, srv)
        # requests: method line, Host equal to the looked-up name, optional body
        reqs = 0
        while up:
            head, _, up = up.partition(b"\r\n\r\n")
            lines = head.decode().split("\r\n")
            method = lines[0].split(" ")[0]
            assert method in ("GET", "POST") and lines[0].endswith(" HTTP/1.1")
            fields = dict(x.split(": ", 1) for x in lines[1:])
            assert fields["Host"] == row["detail"]["host"]
            assert "User-Agent" in fields
            n = int(fields.get("Content-Length", 0))
            up = up[n:]
            reqs += 1
        assert reqs == row["detail"]["requests"]
        # responses: status line, Content-Length matches the body exactly
        resps = 0
        while down:
            head, _, down = down.partition(b"\r\n\r\n")
            lines = head.decode().split("\r\n")
            assert lines[0].startswith("HTTP/1.1 ")
            fields = dict(x.split(": ", 1) for x in lines[1:])
            n = int(fields["Content-Length"])
            assert len(down) >= n
            down = down[n:]
            resps += 1
        assert resps == reqs


def test_every_tcp_connection_arithmetic(sim: dict[str, Any]) -> None:
    conns: dict[frozenset[tuple[str, int]], list[Pkt]] = defaultdict(list)
    for p in sim["pkts"]:
        if p.proto == 6:
            conns[frozenset(((p.src, p.sport), (p.dst, p.dport)))].append(p)
    checked = 0
    for conn in conns.values():
        if len(conn) > 3 and conn[2].flags == ACK:  # established (not a scan / flood probe)
            _check_tcp_arithmetic(conn, conn[0].src)
            checked += 1
    expected = sum(r["flows"] for r in sim["labels"]
                   if r["label"] in ("http_browse", "tls_browse", "ssh_session",
                                     "ssh_brute_force", "http_beacon", "exfil_upload",
                                     "rpc_session"))
    assert checked == expected


# --- DNS, TLS, SSH ------------------------------------------------------------------------


def test_dns_messages_valid(sim: dict[str, Any]) -> None:
    queries: dict[tuple[str, int, int], Pkt] = {}
    n_resp = 0
    saw_cname = saw_pointer = False
    for p in sim["pkts"]:
        if p.proto != 17 or RESOLVER not in (p.src, p.dst):
            continue
        m = parse_dns(p.payload)
        if p.dport == 53:
            assert not m.is_response
            queries[(p.src, p.sport, m.txid)] = p
        else:
            q = queries[(p.dst, p.dport, m.txid)]
            assert m.is_response and parse_dns(q.payload).qname == m.qname
            assert p.ts_us >= q.ts_us
            n_resp += 1
            saw_cname |= any(t == 5 for _, t, _ in m.answers)
            saw_pointer |= b"\xc0\x0c" in p.payload
    assert n_resp > 10 and saw_cname and saw_pointer


def _grease(v: int) -> bool:
    """RFC 8701 §2: both bytes equal, low nibbles 0xA."""
    return v >> 8 == v & 0xFF and v & 0x0F == 0x0A


def test_tls_client_stacks_keep_their_hello_shape(sim: dict[str, Any]) -> None:
    """Every ClientHello of one TLS stack (the label's ``client``) offers the same cipher
    suites and extensions (GREASE aside), another stack's differ; only Chromium uses GREASE
    (RFC 8701: first and last extension, first cipher, distinct values) and shuffles its
    extension order; its post-quantum key share makes its hello longer than one segment."""
    shapes: dict[str, set[tuple[tuple[int, ...], frozenset[int]]]] = defaultdict(set)
    orders: dict[str, set[tuple[int, ...]]] = defaultdict(set)
    sizes: dict[str, list[int]] = defaultdict(list)
    for row in _rows(sim, "tls_browse") + _rows(sim, "exfil_upload"):
        cli, srv = row["hosts"]
        conn = _tcp_conn(sim["pkts"], cli, row["detail"]["sport"], srv, 443)
        ciphers, exts, size = client_hello(_stream(conn, cli))
        name, types = row["detail"]["client"], [t for t, _ in exts]
        if name == "chromium":
            assert _grease(ciphers[0]) and _grease(types[0]) and _grease(types[-1])
            assert types[0] != types[-1]
        else:
            assert not any(map(_grease, ciphers + types))
        shapes[name].add((tuple(c for c in ciphers if not _grease(c)),
                          frozenset(t for t in types if not _grease(t))))
        orders[name].add(tuple(t for t in types if not _grease(t)))
        sizes[name].append(size)
    assert {"chromium", "python"} <= set(shapes), set(shapes)
    assert all(len(s) == 1 for s in shapes.values())
    assert len({next(iter(s)) for s in shapes.values()}) == len(shapes)
    assert all((len(o) > 1) == (name == "chromium") for name, o in orders.items() if
               len(sizes[name]) > 3)
    assert min(sizes["chromium"]) > MSS


def test_tls_sni_matches_preceding_dns(sim: dict[str, Any]) -> None:
    pkts: list[Pkt] = sim["pkts"]
    answers: dict[str, list[tuple[int, str, list[str]]]] = defaultdict(list)
    for p in pkts:
        if p.proto == 17 and p.sport == 53:
            m = parse_dns(p.payload)
            if m.qtype == 1:
                answers[p.dst].append((p.ts_us, m.qname,
                                       [v for _, t, v in m.answers if t == 1]))
    checked = 0
    for row in _rows(sim, "tls_browse"):
        cli, srv = row["hosts"]
        conn = _tcp_conn(pkts, cli, row["detail"]["sport"], srv, 443)
        sni = client_hello_sni(_stream(conn, cli))
        assert sni == row["detail"]["sni"]
        lookup = [r for r in _rows(sim, "dns_lookup")
                  if r["detail"]["purpose"] == "tls_browse" and r["hosts"][0] == cli
                  and r["detail"]["query"] == sni and r["detail"]["answer"] == srv
                  and r["start"] <= row["start"]]
        if lookup:  # the capture holds an A answer for the SNI, naming the server, before SYN
            before = [a for a in answers[cli] if a[0] <= conn[0].ts_us and a[1] == sni]
            assert before and srv in before[-1][2]
            checked += 1
    assert checked >= 1


def test_every_server_name_was_resolved_first(sim: dict[str, Any]) -> None:
    """Each TLS SNI / HTTP Host was answered by DNS to the same client before the SYN, with
    the server's address among the answers (fresh lookup or the client's cache)."""
    pkts: list[Pkt] = sim["pkts"]
    answers: dict[tuple[str, str], list[tuple[int, list[str]]]] = defaultdict(list)
    for p in pkts:
        if p.proto == 17 and p.src == RESOLVER:
            m = parse_dns(p.payload)
            if m.qtype == 1:
                answers[(p.dst, m.qname)].append(
                    (p.ts_us, [v for _, t, v in m.answers if t == 1]))
    n = 0
    for row in sim["labels"]:
        d = row["detail"]
        name = d.get("sni") or d.get("host")
        if row["label"] not in ("tls_browse", "http_browse", "exfil_upload"):
            continue
        cli, srv = row["hosts"]
        conn = _tcp_conn(pkts, cli, d["sport"], srv, d["dport"])
        prior = [a for ts, a in answers[(cli, name)] if ts < conn[0].ts_us]
        assert prior and srv in prior[-1], (row, prior)
        n += 1
    assert n == sum(sim["res"].scenarios[k] for k in ("tls_browse", "http_browse",
                                                       "exfil_upload"))


def test_ssh_banners_and_kexinit(sim: dict[str, Any]) -> None:
    pkts: list[Pkt] = sim["pkts"]
    row = _rows(sim, "ssh_session")[0]
    cli, srv = row["hosts"]
    conn = _tcp_conn(pkts, cli, row["detail"]["sport"], srv, 22)
    up, down = _stream(conn, cli), _stream(conn, srv)
    assert up.startswith(b"SSH-2.0-OpenSSH_9.6\r\n")
    assert down.startswith(b"SSH-2.0-OpenSSH_9.6")
    for stream in (up, down):
        body = stream[stream.index(b"\r\n") + 2:]
        plen, pad = struct.unpack_from("!IB", body, 0)
        assert (plen + 4) % 8 == 0 and pad >= 4 and body[5] == 20  # SSH_MSG_KEXINIT
        assert b"curve25519-sha256" in body[:plen]


# --- attacks ------------------------------------------------------------------------------


def test_attack_shapes(sim: dict[str, Any]) -> None:
    pkts: list[Pkt] = sim["pkts"]
    scan = _rows(sim, "tcp_syn_scan")[0]
    att, tgt = scan["hosts"]
    syns = [p for p in pkts if p.src == att and p.dst == tgt and p.flags == SYN]
    assert len({p.dport for p in syns}) == scan["flows"] == len(syns)
    replies = [p for p in pkts if p.src == tgt and p.dst == att and p.proto == 6]
    assert sum(p.flags == RST | ACK for p in replies) == len(syns) - len(scan["detail"]
                                                                           ["open_ports"])
    assert sorted(p.sport for p in replies if p.flags == SYN | ACK) == \
        scan["detail"]["open_ports"]

    udp = _rows(sim, "udp_scan")[0]
    icmp = [p for p in pkts if p.proto == 1 and p.dst == udp["hosts"][0]]
    assert all((p.icmp_type, p.icmp_code) == (3, 3) for p in icmp)
    probes = udp["detail"]["ports_scanned"]
    assert len(icmp) == probes - udp["detail"]["no_reply"]
    assert udp["flows"] == probes + 1  # (the port unreachables: one ICMP flow)

    flood = _rows(sim, "syn_flood")[0]
    fl = [p for p in pkts if p.dst == flood["hosts"][0] and p.dport == 80 and p.flags == SYN
          and ipaddress.IPv4Address(p.src) in ipaddress.IPv4Network("198.18.0.0/15")]
    assert len(fl) == flood["detail"]["syns"]
    assert len({p.src for p in fl}) == flood["detail"]["unique_sources"] > len(fl) // 2

    brute = _rows(sim, "ssh_brute_force")[0]
    starts = [p for p in pkts if (p.src, p.dst) == tuple(brute["hosts"]) and p.flags == SYN]
    assert len(starts) == brute["flows"] >= 5

    tun = _rows(sim, "dns_tunnel")[0]
    qs = [p for p in pkts if p.src == tun["hosts"][0] and p.dport == 53
          and tun["detail"]["domain"] in parse_dns(p.payload).qname]
    assert len(qs) == tun["detail"]["queries"]
    assert all(parse_dns(p.payload).qtype == 16 for p in qs)
    assert all(len(parse_dns(p.payload).qname.split(".")[0]) >= 40 for p in qs)
    gaps = [b.ts_us - a.ts_us for a, b in itertools.pairwise(qs)]
    assert statistics.pstdev(gaps) < 0.05 * statistics.mean(gaps)

    beacon = _rows(sim, "http_beacon")[0]
    cli, c2 = beacon["hosts"]
    gets = [p for p in pkts if p.src == cli and p.dst == c2 and p.payload.startswith(b"GET ")]
    assert len(gets) == beacon["flows"] >= 3
    gaps = [b.ts_us - a.ts_us for a, b in itertools.pairwise(gets)]
    iv = beacon["detail"]["interval_s"] * 1e6
    assert all(0.75 * iv < g < 1.25 * iv for g in gaps)

    ex = _rows(sim, "exfil_upload")[0]
    cli, srv = ex["hosts"]
    conn = _tcp_conn(pkts, cli, ex["detail"]["sport"], srv, 443)
    out = sum(len(p.payload) for p in conn if p.src == cli)
    inn = sum(len(p.payload) for p in conn if p.src == srv)
    assert out > 20 * inn and out >= 1_000_000
    assert client_hello_sni(_stream(conn, cli)) == ex["detail"]["sni"]


def test_attack_only_config(tmp_path: Path) -> None:
    res = simulate(tmp_path / "a.pcap", SimConfig(duration_s=60, n_clients=3, scale=0.05,
                                                 scenarios=ATTACK_SCENARIOS))
    rows = [json.loads(x) for x in res.labels.read_text().splitlines()]
    assert {r["label"] for r in rows} == set(ATTACK_SCENARIOS) | {"dns_lookup"}
    assert all(r["phase"] == "attack" for r in rows)
    assert [r["detail"]["purpose"] for r in rows if r["label"] == "dns_lookup"] == \
        ["exfil_upload"]
    read_packets(res.pcap)


# --- volume and tshark --------------------------------------------------------------------


def test_default_volume(tmp_path: Path) -> None:
    res = simulate(tmp_path / "demo.pcap")
    assert 20_000 <= res.packets <= 60_000
    frames = read_pcap(res.pcap)
    assert len(frames) == res.packets
    assert all(a[0] <= b[0] for a, b in itertools.pairwise(frames))


TSHARK = shutil.which("tshark")


@pytest.mark.skipif(TSHARK is None, reason="tshark is not installed")
def test_tshark_reads_without_errors(sim: dict[str, Any]) -> None:
    pcap = str(sim["res"].pcap)
    opts = ["-o", "tcp.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE",
            "-o", "ip.check_checksum:TRUE"]
    expert = subprocess.run([TSHARK, "-r", pcap, *opts, "-q", "-z", "expert,error"],
                            capture_output=True, text=True, timeout=120, check=True).stdout
    assert "Errors" not in expert and "Malformed" not in expert, expert
    count = subprocess.run([TSHARK, "-r", pcap, *opts, "-T", "fields", "-e", "frame.number"],
                           capture_output=True, text=True, timeout=120, check=True).stdout
    assert len(count.split()) == sim["res"].packets
    snis = subprocess.run([TSHARK, "-r", pcap, "-Y", "tls.handshake.type == 1", "-T", "fields",
                           "-e", "tls.handshake.extensions_server_name"],
                          capture_output=True, text=True, timeout=120, check=True).stdout.split()
    want = [r["detail"]["sni"] for r in sim["labels"] if r["label"] in ("tls_browse",
                                                                       "exfil_upload",
                                                                       "quic_browse")]
    assert sorted(snis) == sorted(want)
    # QUIC: tshark removes the Initial packets' protection itself (RFC 9001) and finds each
    # connection's ClientHello (reassembled from two Initials) and ServerHello
    quic = subprocess.run([TSHARK, "-r", pcap, "-Y", "quic && tls.handshake.type", "-T",
                           "fields", "-e", "udp.srcport", "-e", "tls.handshake.type",
                           "-e", "quic.packet_number"],
                          capture_output=True, text=True, timeout=120, check=True).stdout
    hellos = [line.split("\t") for line in quic.splitlines()]
    ports = sorted(r["detail"]["sport"] for r in _rows(sim, "quic_browse"))
    assert ports and sorted(int(p) for p, t, _ in hellos if t == "1") == ports
    assert all(pn == "1" for _, t, pn in hellos if t == "1")  # (completed by the second)
    assert sum(t == "2" for _, t, _ in hellos) == len(ports)
