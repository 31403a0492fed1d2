"""Attack scenario instances: scans, SYN flood, SSH brute force, DNS tunnelling, HTTP
beaconing and a large upload (exfiltration). One label row per instance."""

from __future__ import annotations

import base64
import ipaddress
import random
from collections.abc import Iterator

from wirelens.sim.benign import MS, Part, drain, row, ssh_setup, tls_handshake
from wirelens.sim.frames import (
    ACK,
    RST,
    SYN,
    SYN_OPTS_SERVER,
    Host,
    IpProto,
    Packets,
    TcpFlow,
    mac_for,
    tcp_segment,
)
from wirelens.sim.protocols import (
    LIBSSH_ALGS,
    LIBSSH_BANNER,
    QType,
    app_data,
    dns_query,
    dns_response,
    http_request,
    http_response,
    ssh_encrypted,
)
from wirelens.sim.tls_clients import PYTHON
from wirelens.sim.world import World, dns_lookup, ephemeral_port

# nmap-style "most common" ports probed first (IANA service names registry).
TOP_TCP_PORTS = (80, 23, 443, 21, 22, 25, 3389, 110, 445, 139, 143, 53, 135, 3306, 8080, 1723,
                 111, 995, 993, 5900, 1025, 587, 8888, 199, 1720, 465, 548, 113, 81, 6001, 10000,
                 514, 5060, 179, 1026, 2000, 8443, 8000, 32768, 554, 26, 1433, 49152, 2001, 515,
                 8008, 49154, 1027, 5666, 646, 5000, 5631, 631, 49153, 8081, 2049, 88, 79, 5800,
                 106, 2121, 1110, 49155, 6000, 513, 990, 5357, 427, 49156, 543, 544, 5101, 144,
                 7, 389)
TOP_UDP_PORTS = (631, 161, 137, 123, 138, 1434, 445, 135, 67, 53, 139, 500, 68, 520, 1900, 4500,
                 514, 49152, 162, 69, 5353, 111, 49154, 1701, 998, 996, 997, 999, 3283, 49153)
OPEN_TCP = (22, 80, 443)

TUNNEL_DOMAIN = "t.cdn-metrics.example"
BEACON_UA = "Mozilla/4.0 (compatible; MSIE 8.0; Windows NT 6.1; Trident/4.0)"
EXFIL_NAME = "files.sync-backup.example"


def _ports(rng: random.Random, n: int, top: tuple[int, ...]) -> list[int]:
    ports = list(top[:n])
    seen = set(ports)
    while len(ports) < n:
        p = rng.randint(1, 65535)
        if p not in seen:
            seen.add(p)
            ports.append(p)
    rng.shuffle(ports)
    return ports


def _gap(w: World, t0: int, n: int, wanted: int) -> int:
    """Mean spacing of ``n`` repetitions: ``wanted``, shortened so that they fit in the rest
    of the capture window (at least 1 ms)."""
    room = (w.end_ns - t0) * 9 // 10
    return max(MS, min(wanted, room // max(1, n)))


def tcp_syn_scan(w: World, rng: random.Random, t0: int, scale: float) -> list[Part]:
    """Half-open SYN scan of the internal web server from an external address: closed ports
    answer RST-ACK, open ones SYN-ACK and the scanner resets (RFC 9293 §3.5.2)."""
    att, tgt = w.attacker, w.web_server
    n = min(65535, max(20, int(1000 * scale)))
    ports = _ports(rng, n, TOP_TCP_PORTS)
    sport = rng.randint(40000, 65000)
    rtt = w.rtt_ns(att.ip)
    pk: Packets = []
    net = w.net
    t = t0
    opened = []
    for port in ports:
        seq = rng.getrandbits(32)
        syn = tcp_segment(att.raw, tgt.raw, sport, port, seq, 0, SYN, 1024, b"",
                          bytes.fromhex("020405b4"))
        pk.append((t, net.ip_frame(att, tgt, IpProto.TCP, syn, df=False,
                                   ip_id=rng.getrandbits(16))))
        t_r = t + rng.randint(40_000, 250_000)
        if port in OPEN_TCP:
            opened.append(port)
            iss = rng.getrandbits(32)
            sa = tcp_segment(tgt.raw, att.raw, port, sport, iss, seq + 1, SYN | ACK, 64240, b"",
                             SYN_OPTS_SERVER)
            pk.append((t_r, net.ip_frame(tgt, att, IpProto.TCP, sa)))
            rst = tcp_segment(att.raw, tgt.raw, sport, port, seq + 1, 0, RST, 0)
            pk.append((t_r + rtt, net.ip_frame(att, tgt, IpProto.TCP, rst, df=False,
                                               ip_id=rng.getrandbits(16))))
        else:
            ra = tcp_segment(tgt.raw, att.raw, port, sport, 0, seq + 1, RST | ACK, 0)
            pk.append((t_r, net.ip_frame(tgt, att, IpProto.TCP, ra)))
        t += rng.randint(150_000, 1_500_000)
    return [(row("attack", "tcp_syn_scan", [att.ip, tgt.ip], n, ports_scanned=n,
                 open_ports=sorted(opened), proto="tcp", sport=sport), pk)]


def udp_scan(w: World, rng: random.Random, t0: int, scale: float) -> list[Part]:
    """UDP port scan from a compromised client: closed ports answer ICMP port unreachable
    (RFC 1122 §4.1.3.1), a few filtered ones stay silent."""
    att = w.clients[rng.randrange(len(w.clients))]
    tgt = w.web_server
    n = min(65535, max(10, int(200 * scale)))
    ports = _ports(rng, n, TOP_UDP_PORTS)
    sport = rng.randint(40000, 65000)
    gap = _gap(w, t0, n, 35 * MS)
    pk: Packets = []
    t = t0
    silent = 0
    for port in ports:
        payload = dns_query(rng.getrandbits(16), "version.bind", QType.TXT, edns=False) \
            if port == 53 else b""
        probe = w.net.udp(att, tgt, sport, port, payload)
        pk.append((t, probe))
        if rng.random() < 0.1:
            silent += 1
        else:
            pk.append((t + rng.randint(60_000, 300_000), w.net.icmp_unreachable(tgt, att, probe)))
        t += rng.randint(gap // 3, gap * 5 // 3)
    # flows: one per probe, and the target's port unreachables, one ICMP flow between the two
    return [(row("attack", "udp_scan", [att.ip, tgt.ip], n + (silent < n), ports_scanned=n,
                 no_reply=silent, proto="udp", sport=sport), pk)]


def syn_flood(w: World, rng: random.Random, t0: int, scale: float) -> list[Part]:
    """SYN flood against the web server's port 80 from random spoofed sources; the server
    answers each SYN with a SYN-ACK (SYN cookies, RFC 4987 §3.6) that is never acknowledged."""
    tgt = w.web_server
    n = max(50, int(3000 * scale))
    spoof = ipaddress.IPv4Network(w.network.spoof_net)
    pps = rng.randint(800, 1500)
    label = row("attack", "syn_flood", [tgt.ip], n, syns=n, unique_sources=0,
                spoofed_source_net=str(spoof), proto="tcp", dport=80, rate_pps=pps)

    def chunks() -> Iterator[Packets]:
        pk: Packets = []
        t = t0
        sources: set[str] = set()
        for i in range(n):
            ip = str(spoof.network_address + rng.randrange(spoof.num_addresses))
            sources.add(ip)
            src = Host(ip, mac_for(ip), rng.randint(40, 120), False)
            sport = rng.randint(1024, 65535)
            seq = rng.getrandbits(32)
            syn = tcp_segment(src.raw, tgt.raw, sport, 80, seq, 0, SYN,
                              rng.choice((512, 1024, 8192, 65535)))
            pk.append((t, w.net.ip_frame(src, tgt, IpProto.TCP, syn, df=False,
                                         ip_id=rng.getrandbits(16))))
            sa = tcp_segment(tgt.raw, src.raw, 80, sport, rng.getrandbits(32), seq + 1,
                             SYN | ACK, 64240, b"", SYN_OPTS_SERVER)
            pk.append((t + rng.randint(30_000, 150_000),
                       w.net.ip_frame(tgt, src, IpProto.TCP, sa)))
            t += int(rng.expovariate(pps) * 1e9) + 1_000
            if i % 1024 == 1023:
                yield drain(pk, t)
        label["detail"]["unique_sources"] = len(sources)
        yield drain(pk, 1 << 62)

    return [(label, chunks())]


def ssh_brute_force(w: World, rng: random.Random, t0: int, scale: float) -> list[Part]:
    """Many short SSH sessions from one external address: key exchange, a few failed
    password attempts, disconnect."""
    att, srv = w.attacker, w.ssh_server
    n = max(5, int(60 * scale))
    gap = _gap(w, t0, n, 1400 * MS)
    pk: Packets = []
    t = t0
    attempts = 0
    for _ in range(n):
        # the client is the far end here: its reactions are seen one RTT late
        flow = TcpFlow(w.net, pk, rng, att, srv, ephemeral_port(rng, False), 22,
                       rng.randint(100_000, 400_000), client_rtt_ns=w.rtt_ns(att.ip))
        te = flow.handshake(t)
        te = ssh_setup(w, rng, flow, te, LIBSSH_BANNER, LIBSSH_ALGS)
        tries = rng.randint(1, 6)
        attempts += tries
        for _ in range(tries):  # password userauth requests and failures (RFC 4252 §5.1, §8)
            te = flow.send(te + flow.crtt + rng.randint(MS, 30 * MS), True,
                           ssh_encrypted(rng, rng.randint(70, 110)), ack_last=False)
            te = flow.send(te + flow.rtt + rng.randint(20 * MS, 2000 * MS), False,
                           ssh_encrypted(rng, 40), ack_last=False)
        te = flow.send(te + flow.crtt + rng.randint(MS, 10 * MS), True, ssh_encrypted(rng, 50),
                       ack_last=False)
        flow.close(te + rng.randint(MS // 10, MS), by_client=True)
        t += rng.randint(gap // 4, gap * 7 // 4)
    return [(row("attack", "ssh_brute_force", [att.ip, srv.ip], n, sessions=n,
                 password_attempts=attempts, proto="tcp", dport=22), pk)]


def dns_tunnel(w: World, rng: random.Random, t0: int, scale: float, span_s: float) -> list[Part]:
    """TXT queries for long random-looking subdomains of one domain at a regular cadence
    (iodine / dnscat2 style), answered with encoded TXT data through the resolver."""
    cli = w.clients[rng.randrange(len(w.clients))]
    res = w.resolver
    interval = min(rng.choice((0.5, 1.0, 2.0)), max(0.05, span_s / 10))
    n = max(10, int(span_s / interval))
    sport = ephemeral_port(rng, cli.ttl == 128)
    pk: Packets = []
    t = t0
    for i in range(n):
        data = base64.b32encode(rng.randbytes(rng.randint(25, 37))).decode().rstrip("=").lower()
        qname = f"{data}.{i:04x}.{TUNNEL_DOMAIN}"
        txid = rng.getrandbits(16)
        pk.append((t, w.net.udp(cli, res, sport, 53, dns_query(txid, qname, QType.TXT))))
        txt = [base64.b64encode(rng.randbytes(rng.randint(60, 150))).decode()]
        resp = dns_response(txid, qname, QType.TXT, [(qname, QType.TXT, 0, txt)])
        pk.append((t + rng.randint(20 * MS, 80 * MS), w.net.udp(res, cli, 53, sport, resp)))
        t += int(interval * 1e9 * rng.uniform(0.97, 1.03))
    return [(row("attack", "dns_tunnel", [cli.ip, res.ip], 1, domain=TUNNEL_DOMAIN, queries=n,
                 qtype="TXT", interval_s=interval, proto="udp", sport=sport, dport=53), pk)]


def http_beacon(w: World, rng: random.Random, t0: int, span_s: float) -> list[Part]:
    """Periodic small GETs to one hard-coded C2 address with jitter (no DNS lookup)."""
    cli = w.clients[rng.randrange(len(w.clients))]
    c2_ip = w.addresses("c2.beacon.example")[0]
    c2 = w.server(c2_ip)
    interval = min(rng.choice((15.0, 30.0, 60.0)), max(0.5, span_s / 4))
    jitter = 0.15
    n = max(3, int(span_s / interval))
    bot_id = f"{rng.getrandbits(32):08x}"
    pk: Packets = []
    t = t0
    for i in range(n):
        flow = TcpFlow(w.net, pk, rng, cli, c2, ephemeral_port(rng, cli.ttl == 128), 80,
                       w.rtt_ns(c2_ip))
        te = flow.handshake(t)
        req = http_request("GET", c2_ip, f"/api/v2/check?id={bot_id}&s={i}", BEACON_UA)
        te = flow.send(te + rng.randint(MS // 10, MS), True, req, ack_last=False)
        body = rng.randbytes(rng.randint(16, 128))
        resp = http_response(200, "OK", body, te / 1e9, "nginx", "application/octet-stream")
        te = flow.send(te + flow.rtt + rng.randint(MS, 10 * MS), False, resp)
        flow.close(te + rng.randint(MS, 5 * MS), by_client=True)
        t += int(interval * 1e9 * rng.uniform(1 - jitter, 1 + jitter))
    return [(row("attack", "http_beacon", [cli.ip, c2_ip], n, interval_s=interval,
                 jitter=jitter, beacons=n, uri_prefix="/api/v2/check", proto="tcp",
                 dport=80), pk)]


def exfil_upload(w: World, rng: random.Random, t0: int, scale: float) -> list[Part]:
    """One long TLS connection, made by a script (the ``python`` TLS stack, not the host's
    browser), uploading far more than it downloads. Frames are produced in chunks (one per MiB
    uploaded) so memory stays flat whatever the size."""
    cli = w.clients[rng.randrange(len(w.clients))]
    dns: Packets = []
    t_ans, ip = dns_lookup(w, dns, rng, cli, t0, EXFIL_NAME, ())
    t_conn = t_ans + rng.randint(MS // 10, 2 * MS)
    lookup = row("attack", "dns_lookup", [cli.ip, w.resolver.ip], 1, query=EXFIL_NAME,
                 qtypes=["A", "AAAA"], answer=ip, purpose="exfil_upload", proto="udp", dport=53)
    sport = ephemeral_port(rng, cli.ttl == 128)
    total = max(200_000, int(8_000_000 * scale))
    label = row("attack", "exfil_upload", [cli.ip, ip], 1, sni=EXFIL_NAME, client=PYTHON.name,
                proto="tcp",
                sport=sport, dport=443, bytes_out=0, bytes_in=0)

    def chunks() -> Iterator[Packets]:
        pk: Packets = []
        flow = TcpFlow(w.net, pk, rng, cli, w.server(ip), sport, 443, w.rtt_ns(ip),
                       up_bps=50e6)
        t = flow.handshake(t_conn)
        t = tls_handshake(w, rng, flow, t, EXFIL_NAME, True, PYTHON)
        sent = 0
        cwnd = 10
        while sent < total:
            n = min(1 << 20, total - sent)
            t = flow.send(t, True, app_data(rng, n), ack_last=True, first_cwnd=cwnd)
            cwnd = 64
            sent += n
            t += rng.randint(50_000, 500_000)  # the next write starts no earlier than this
            yield drain(pk, t)
        t = flow.send(t + flow.rtt + rng.randint(MS, 20 * MS), False, app_data(rng, 60))
        flow.close(t + rng.randint(50 * MS, 500 * MS), by_client=True)
        label["detail"]["bytes_out"] = flow.bytes_c2s
        label["detail"]["bytes_in"] = flow.bytes_s2c
        yield drain(pk, 1 << 62)

    return [(lookup, dns), (label, chunks())]
