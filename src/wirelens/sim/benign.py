"""Benign scenario instances: DNS lookups, HTTP/1.1 browsing, TLS sessions, SSH sessions.

Each builder returns a list of :data:`Part` — one label row (without its times, which the
engine takes from the packets) and the frames that belong to it.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from typing import Any

from wirelens.sim import quic, rpc
from wirelens.sim.frames import MSS, Host, Packets, TcpFlow
from wirelens.sim.protocols import (
    OPENSSH_ALGS,
    SERVERS,
    SSH_CLIENT_BANNER,
    SSH_SERVER_BANNER,
    USER_AGENTS,
    ContentType,
    SshAlgorithms,
    app_data,
    certificate_der,
    client_hello,
    client_hello_message,
    http_request,
    http_response,
    server_hello_message,
    session_id_of,
    ssh_ecdh_init,
    ssh_ecdh_reply,
    ssh_encrypted,
    ssh_kexinit,
    ssh_newkeys,
    text_body,
    tls12_client_finish,
    tls12_server_finish,
    tls12_server_flight,
    tls13_client_finish,
    tls13_server_flight,
    tls_record,
)
from wirelens.sim.tls_clients import (
    CHROMIUM,
    CHROMIUM_QUIC,
    ExtType,
    TlsClient,
    browser_of,
    client_for,
    server_group,
)
from wirelens.sim.world import (
    HTTP_DOMAINS,
    HTTP_PATHS,
    QUIC_DOMAINS,
    TLS_DOMAINS,
    World,
    cached_answer,
    dns_lookup,
    ephemeral_port,
)

PartPackets = Packets | Iterator[Packets]
"""The frames of a label row: a list (any order), or for big scenarios an iterator of chunks,
each sorted by time and entirely later than the chunks before it (see :func:`drain`)."""

Part = tuple[dict[str, Any], PartPackets]
"""A label row (phase, label, hosts, flows, detail) and the frames it covers. The row's
``detail`` may still be completed while a chunk iterator runs."""


def drain(pk: Packets, before: int) -> Packets:
    """Remove and return, sorted, the frames of ``pk`` earlier than ``before`` (the caller
    guarantees nothing earlier than ``before`` will be added later)."""
    ready = [p for p in pk if p[0] < before]
    pk[:] = [p for p in pk if p[0] >= before]
    ready.sort(key=lambda p: p[0])
    return ready

MS = 1_000_000
"""Nanoseconds per millisecond."""


def row(phase: str, label: str, hosts: list[str], flows: int, **detail: Any) -> dict[str, Any]:
    """A label row without start/end (the engine fills them from the packets)."""
    return {"phase": phase, "label": label, "hosts": hosts, "flows": flows, "detail": detail}


def _user_agent(client: Host) -> str:
    return USER_AGENTS[client.raw[3] % len(USER_AGENTS)]


def _lookup_part(w: World, rng: random.Random, client: Host, t: int, name: str,
                 chain: tuple[str, ...], purpose: str) -> tuple[Part, int, str]:
    pk: Packets = []
    t_ans, ip = dns_lookup(w, pk, rng, client, t, name, chain)
    part = (row("benign", "dns_lookup", [client.ip, w.resolver.ip], 1, query=name,
                qtypes=["A", "AAAA"], answer=ip, purpose=purpose, proto="udp", dport=53), pk)
    return part, t_ans, ip


def _resolve(w: World, rng: random.Random, client: Host, t: int, name: str,
             chain: tuple[str, ...], purpose: str) -> tuple[list[Part], int, str]:
    """Look ``name`` up unless the client still has it cached from an earlier lookup in the
    capture (so a connection's name was always resolved in the capture before it)."""
    ip = cached_answer(w, client, name, t)
    if ip is not None:
        return [], t, ip
    part, t_ans, ip = _lookup_part(w, rng, client, t, name, chain, purpose)
    return [part], t_ans + rng.randint(MS // 10, 2 * MS), ip


def _close(w: World, flow: TcpFlow, rng: random.Random, t: int) -> tuple[int, str]:
    """Close after an idle keep-alive time (shortened near the end of the capture window):
    mostly the client's FIN, sometimes the server's keep-alive timeout, some RSTs."""
    r = rng.random()
    idle_max = max(100 * MS, w.end_ns - t)
    if r < 0.65:
        idle = min(idle_max, rng.randint(200 * MS, 15_000 * MS))
        return flow.close(t + idle, by_client=True), "client_fin"
    if r < 0.88:
        idle = min(idle_max, rng.randint(5_000 * MS, 20_000 * MS))
        return flow.close(t + idle, by_client=False), "server_fin"
    idle = min(idle_max, rng.randint(100 * MS, 5_000 * MS))
    return flow.close(t + idle, by_client=True, rst=True), "client_rst"


def dns_lookup_instance(w: World, rng: random.Random, t0: int, client: Host) -> list[Part]:
    """A lone A/AAAA lookup (prefetch, background service)."""
    names = list(TLS_DOMAINS) + list(HTTP_DOMAINS)
    name = rng.choice(names)
    chain = TLS_DOMAINS.get(name, HTTP_DOMAINS.get(name, ()))
    part, _, _ = _lookup_part(w, rng, client, t0, name, chain, "standalone")
    return [part]


def http_browse(w: World, rng: random.Random, t0: int, client: Host) -> list[Part]:
    """DNS lookup then one keep-alive HTTP/1.1 connection with 1-4 requests."""
    name = rng.choice(sorted(HTTP_DOMAINS))
    parts, t, ip = _resolve(w, rng, client, t0, name, HTTP_DOMAINS[name], "http_browse")
    srv = w.server(ip)
    pk: Packets = []
    sport = ephemeral_port(rng, client.ttl == 128)
    flow = TcpFlow(w.net, pk, rng, client, srv, sport, 80, w.rtt_ns(ip))
    t = flow.handshake(t)
    ua = _user_agent(client)
    server = SERVERS[srv.raw[3] % len(SERVERS)]
    methods: list[str] = []
    statuses: list[int] = []

    def exchange(t: int, k: int) -> int:
        t += rng.randint(MS // 5, 5 * MS) if k == 0 else rng.randint(60 * MS, 3000 * MS)
        path = rng.choice(HTTP_PATHS[name])
        if rng.random() < 0.2:
            method = "POST"
            form = "&".join(f"f{i}={rng.getrandbits(40):x}" for i in range(rng.randint(2, 60)))
            req = http_request("POST", name, path, ua, form.encode())
        else:
            method = "GET"
            req = http_request("GET", name, path, ua)
        methods.append(method)
        t = flow.send(t, True, req, ack_last=False)
        t_resp = t + flow.rtt + rng.randint(MS, 60 * MS)
        if path == "/generate_204":
            status, reason, body = 204, "No Content", b""
        else:
            size = int(min(200_000, max(60, rng.lognormvariate(8.0, 1.3))))
            status, reason, body = 200, "OK", text_body(rng, size)
        statuses.append(status)
        resp = http_response(status, reason, body, t_resp / 1e9, server)
        return flow.send(t_resp, False, resp)

    t, nreq = _exchanges(w, t, rng.randint(1, 4), exchange)
    _, how = _close(w, flow, rng, t)
    parts.append((row("benign", "http_browse", [client.ip, ip], 1, host=name, requests=nreq,
                      methods=methods, statuses=statuses, proto="tcp", sport=sport, dport=80,
                      close=how, bytes_out=flow.bytes_c2s, bytes_in=flow.bytes_s2c), pk))
    return parts


def tls_handshake(w: World, rng: random.Random, flow: TcpFlow, t: int, sni: str,
                  tls13: bool, client: TlsClient) -> int:
    """``client``'s ClientHello, the server's flight (TLS 1.3 when ``tls13`` and the client
    offers it) and the client's Finished; returns the time the client may send application
    data."""
    ch = client_hello(rng, sni, client)
    t = flow.send(t + rng.randint(MS // 10, MS), True, ch, ack_last=False)
    sid = session_id_of(ch)
    t_srv = t + flow.rtt + rng.randint(MS // 5, 6 * MS)
    if tls13 and client.tls13:
        flight = tls13_server_flight(rng, sid, server_group(client, sni))
        t = flow.send(t_srv, False, flight, ack_last=False)
        return flow.send(t + rng.randint(MS // 5, 3 * MS), True, tls13_client_finish(rng),
                         ack_last=False)
    flight = tls12_server_flight(rng, sid, certificate_der(w.seed, sni),
                                 client.alpn[0] if client.alpn else None)
    t = flow.send(t_srv, False, flight, ack_last=False)
    t = flow.send(t + rng.randint(MS // 5, 3 * MS), True, tls12_client_finish(rng),
                  ack_last=False)
    return flow.send(t + flow.rtt + rng.randint(MS // 10, MS), False, tls12_server_finish(rng))


def _exchanges(w: World, t: int, n: int, exchange: Callable[[int, int], int]) -> tuple[int, int]:
    """Up to ``n`` request/response exchanges of a session (``exchange(t, k)`` makes the
    ``k``-th from time ``t`` and returns when it ended), the first always, no later one once
    the simulated time is over; (when the last ended, how many were made)."""
    for k in range(n):
        if k and t > w.end_ns:
            return t, k
        t = exchange(t, k)
    return t, n


def _think(rng: random.Random, k: int) -> int:
    """The wait (ns) before request ``k`` of an HTTPS or HTTP/3 session: the first right after
    the handshake, the others a user's pause apart."""
    return rng.randint(MS // 10, 2 * MS) if k == 0 else rng.randint(50 * MS, 4000 * MS)


def _response_size(rng: random.Random) -> int:
    """Bytes of one HTTPS or HTTP/3 response (log-normal, 200 B to 300 kB)."""
    return int(min(300_000, max(200, rng.lognormvariate(8.3, 1.3))))


def tls_browse(w: World, rng: random.Random, t0: int, client: Host) -> list[Part]:
    """DNS lookup then an HTTPS connection: TLS 1.3 (or 1.2) handshake and request/response
    application data."""
    name = rng.choice(sorted(TLS_DOMAINS))
    parts, t, ip = _resolve(w, rng, client, t0, name, TLS_DOMAINS[name], "tls_browse")
    srv = w.server(ip)
    pk: Packets = []
    sport = ephemeral_port(rng, client.ttl == 128)
    flow = TcpFlow(w.net, pk, rng, client, srv, sport, 443, w.rtt_ns(ip))
    t = flow.handshake(t)
    stack = client_for(rng, w.seed, client.ip, client.ttl == 128, name)
    tls13 = rng.random() < 0.75 and stack.tls13
    t = tls_handshake(w, rng, flow, t, name, tls13, stack)

    def exchange(t: int, k: int) -> int:
        t = flow.send(t + _think(rng, k), True, app_data(rng, rng.randint(150, 1100)),
                      ack_last=False)
        size = _response_size(rng)
        return flow.send(t + flow.rtt + rng.randint(MS, 40 * MS), False, app_data(rng, size))

    t, nreq = _exchanges(w, t, rng.randint(1, 6), exchange)
    if rng.random() < 0.7:  # close_notify alert (encrypted, RFC 8446 §6.1)
        t = flow.send(t + rng.randint(100 * MS, 2000 * MS), True,
                      tls_record(ContentType.APPLICATION_DATA if tls13 else ContentType.ALERT,
                                 rng.randbytes(19 if tls13 else 26)), ack_last=False)
    _, how = _close(w, flow, rng, t)
    parts.append((row("benign", "tls_browse", [client.ip, ip], 1, sni=name,
                      version="TLS1.3" if tls13 else "TLS1.2", client=stack.name,
                      requests=nreq, proto="tcp",
                      sport=sport, dport=443, close=how, bytes_out=flow.bytes_c2s,
                      bytes_in=flow.bytes_s2c), pk))
    return parts


def quic_browse(w: World, rng: random.Random, t0: int, client: Host) -> list[Part]:
    """DNS lookup then HTTP/3 over QUIC v1 from a Chromium browser (the visit goes to a
    Chromium client when ``client`` browses with Firefox): its ClientHello in two Initial packets, the
    server's Initial (ServerHello) and Handshake flight, the client's Handshake, then requests
    and responses in 1-RTT packets (:mod:`wirelens.sim.quic`)."""
    if browser_of(w.seed, client.ip) is not CHROMIUM:
        chromium = [c for c in w.clients if browser_of(w.seed, c.ip) is CHROMIUM]
        client = chromium[rng.randrange(len(chromium))] if chromium else client
    name = rng.choice(sorted(QUIC_DOMAINS))
    parts, t, ip = _resolve(w, rng, client, t0, name, TLS_DOMAINS[name], "quic_browse")
    srv, rtt = w.server(ip), w.rtt_ns(ip)
    pk: Packets = []
    sport = ephemeral_port(rng, client.ttl == 128)
    sent = {True: 0, False: 0}

    def send(at: int, from_client: bool, datagram: bytes) -> int:
        pk.append((at, w.net.udp(client, srv, sport, 443, datagram) if from_client
                   else w.net.udp(srv, client, 443, sport, datagram)))
        sent[from_client] += len(datagram)
        return at

    dcid, server_cid = rng.randbytes(8), rng.randbytes(8)  # (the client's own id is empty)
    hello = client_hello_message(rng, name, CHROMIUM_QUIC, {
        ExtType.QUIC_TRANSPORT_PARAMETERS: quic.transport_parameters(b"", rng)})
    keys = quic.initial_keys(dcid, False)
    t += rng.randint(MS // 10, MS)
    for pn, off in enumerate(range(0, len(hello), 1150)):
        frame = quic.crypto_frame(off, hello[off:off + 1150])
        t = send(t + rng.randint(10_000, 150_000), True,
                 quic.initial_packet(keys, dcid, b"", pn, frame, quic.CLIENT_DATAGRAM))
    # the server: its ServerHello in Initials, each datagram filled with Handshake bytes
    # (EncryptedExtensions, Certificate, CertificateVerify, Finished), then the rest of them
    keys = quic.initial_keys(dcid, True)
    shello = server_hello_message(rng, b"", True, None, server_group(CHROMIUM_QUIC, name))
    t = t + rtt + rng.randint(MS // 5, 6 * MS)
    flight = rng.randint(2500, 4500)
    for spn, off in enumerate(range(0, len(shello), 1000)):
        frames = (quic.ack_frame(pn) if spn == 0 else b"") + quic.crypto_frame(
            off, shello[off:off + 1000])
        initial = quic.initial_packet(keys, b"", server_cid, spn, frames)
        fill = quic.MAX_DATAGRAM - len(initial)
        t = send(t + rng.randint(20_000, 200_000), False,
                 initial + quic.handshake_packet(rng, b"", server_cid, fill))
        flight -= fill
    while flight > 0:
        size = min(quic.MAX_DATAGRAM, max(100, flight))
        t = send(t + rng.randint(20_000, 200_000), False,
                 quic.handshake_packet(rng, b"", server_cid, size))
        flight -= size
    # the client's Initial ACK and Handshake (its Finished), padded as every Initial it sends
    keys = quic.initial_keys(dcid, False)
    finished = quic.handshake_packet(rng, server_cid, b"", rng.randint(70, 110))
    t = send(t + rng.randint(MS // 5, 3 * MS), True,
             quic.initial_packet(keys, server_cid, b"", pn + 1, quic.ack_frame(spn),
                                 quic.CLIENT_DATAGRAM - len(finished)) + finished)

    def exchange(t: int, k: int) -> int:
        t = send(t + _think(rng, k), True, quic.short_packet(rng, server_cid,
                                                             rng.randint(120, 700)))
        size = _response_size(rng)
        t += rtt + rng.randint(MS, 40 * MS)
        for n in range(0, size, quic.MAX_DATAGRAM - 40):
            t = send(t + rng.randint(30_000, 300_000), False,
                     quic.short_packet(rng, b"", min(quic.MAX_DATAGRAM, size - n + 40)))
            if n // (quic.MAX_DATAGRAM - 40) % 4 == 3:  # an ACK every few packets
                send(t + rtt // 2, True, quic.short_packet(rng, server_cid, rng.randint(38, 50)))
        return t

    t, nreq = _exchanges(w, t, rng.randint(1, 6), exchange)
    parts.append((row("benign", "quic_browse", [client.ip, ip], 1, sni=name,
                      client=CHROMIUM_QUIC.name, version="QUIC v1", requests=nreq,
                      proto="udp", sport=sport, dport=443, bytes_out=sent[True],
                      bytes_in=sent[False]), sorted(pk, key=lambda p: p[0])))
    return parts


def ssh_setup(w: World, rng: random.Random, flow: TcpFlow, t: int,
              client_banner: bytes = SSH_CLIENT_BANNER,
              client_algs: SshAlgorithms = OPENSSH_ALGS) -> int:
    """Banners, KEXINIT both ways, curve25519 key exchange and NEWKEYS (RFC 4253 §4.2, §7)."""
    t = flow.send(t + rng.randint(MS // 2, 3 * MS), False, SSH_SERVER_BANNER)
    t = flow.send(t + flow.crtt + rng.randint(MS // 10, MS), True, client_banner)
    t = flow.send(t + rng.randint(MS // 10, MS), True, ssh_kexinit(rng, False, client_algs),
                  ack_last=False)
    t = flow.send(t + flow.rtt + rng.randint(0, MS), False, ssh_kexinit(rng, True),
                  ack_last=False)
    t = flow.send(t + flow.crtt + rng.randint(MS // 10, MS), True, ssh_ecdh_init(rng),
                  ack_last=False)
    host_key = w.ssh_server.raw * 8
    t = flow.send(t + flow.rtt + rng.randint(MS, 4 * MS), False, ssh_ecdh_reply(rng, host_key),
                  ack_last=False)
    t = flow.send(t + flow.crtt + rng.randint(MS // 10, MS), True, ssh_newkeys(rng),
                  ack_last=False)
    # service request / accept (RFC 4253 §10)
    t = flow.send(t + rng.randint(MS // 10, MS), True, ssh_encrypted(rng, 22), ack_last=False)
    return flow.send(t + flow.rtt, False, ssh_encrypted(rng, 22), ack_last=False)


def ssh_session(w: World, rng: random.Random, t0: int, client: Host) -> list[Part]:
    """An interactive admin SSH session to the internal server: key exchange, public-key
    authentication, then typed commands echoed back and their output."""
    srv = w.ssh_server
    pk: Packets = []
    sport = ephemeral_port(rng, client.ttl == 128)
    flow = TcpFlow(w.net, pk, rng, client, srv, sport, 22, rng.randint(200_000, 900_000),
                   down_bps=1e9, up_bps=1e9)
    t = flow.handshake(t0)
    t = ssh_setup(w, rng, flow, t)
    # public-key auth, session channel, pty, shell (RFC 4252 §7, RFC 4254 §6)
    for size_c, size_s in ((450, 30), (120, 16), (330, 24), (60, 700)):
        t = flow.send(t + rng.randint(MS // 5, 20 * MS), True, ssh_encrypted(rng, size_c),
                      ack_last=False)
        t = flow.send(t + flow.rtt + rng.randint(MS // 10, 3 * MS), False,
                      ssh_encrypted(rng, size_s))
    commands = rng.randint(3, 15)
    for i in range(commands):
        if t > w.end_ns - 20_000 * MS:  # log out before the capture window ends
            commands = i
            break
        t += rng.randint(1500 * MS, 15_000 * MS)
        for _ in range(rng.randint(3, 20)):  # keystrokes, each echoed by the server
            t += rng.randint(70 * MS, 350 * MS)
            t = flow.send(t, True, ssh_encrypted(rng, 15), ack_last=False)
            t = flow.send(t + flow.rtt + rng.randint(50_000, 500_000), False,
                          ssh_encrypted(rng, 15))
        out_len = int(min(60_000, rng.lognormvariate(6.5, 1.5)))
        t = flow.send(t + rng.randint(MS, 200 * MS), False,
                      b"".join(ssh_encrypted(rng, min(out_len, MSS * 2)) for _ in
                               range(1 + out_len // (MSS * 2))))
    t = flow.send(t + rng.randint(500 * MS, 3000 * MS), True, ssh_encrypted(rng, 30),
                  ack_last=False)
    t = flow.send(t + flow.rtt, False, ssh_encrypted(rng, 60), ack_last=False)
    flow.close(t + rng.randint(MS // 10, MS), by_client=False)
    return [(row("benign", "ssh_session", [client.ip, srv.ip], 1, commands=commands,
                 proto="tcp", sport=sport, dport=22, bytes_out=flow.bytes_c2s,
                 bytes_in=flow.bytes_s2c), pk)]


DOMAIN = ("CORP", "corp.example", "DC01")
"""The Windows domain of the site: NetBIOS name, DNS name, its controller's NetBIOS name
(the LAN resolver: a domain controller serves the site's DNS)."""


def rpc_session(w: World, rng: random.Random, t0: int, client: Host) -> list[Part]:
    """A workstation resolving names through the domain controller's LSA: the endpoint
    mapper (TCP 135) maps the interface to a dynamic port; there an NTLM-authenticated
    association at packet privacy opens the policy, looks names up and closes it
    (MS-RPCE, MS-LSAT)."""
    dc = w.resolver
    nb_domain, dns_domain, nb_dc = DOMAIN
    n = client.raw[3]
    user, host = f"user{n:03d}", f"WS-{n:03d}"
    port = 49664 + int(dc.raw[3]) % 32  # the DC's LSA endpoint (stable per site)
    pk: Packets = []
    windows = client.ttl == 128
    sport = ephemeral_port(rng, windows)
    epm = TcpFlow(w.net, pk, rng, client, dc, sport, 135, rng.randint(100_000, 900_000))
    t = epm.handshake(t0)
    t = epm.send(t + rng.randint(MS // 10, MS), True, rpc.bind(1, rpc.EPMAPPER), ack_last=False)
    t = epm.send(t + epm.rtt, False, rpc.bind_ack(1, "135", rng.getrandbits(32)),
                 ack_last=False)
    t = epm.send(t + rng.randint(MS // 10, MS), True,
                 rpc.request(rng, 2, 3, rpc.ept_map_request(rpc.LSARPC), False), ack_last=False)
    t = epm.send(t + epm.rtt + rng.randint(MS // 10, MS), False,
                 rpc.response(rng, 2, rpc.ept_map_response(rpc.LSARPC, port, dc.raw), False),
                 ack_last=False)
    epm.close(t + rng.randint(MS // 10, MS), by_client=True)
    sport2 = ephemeral_port(rng, windows)
    lsa = TcpFlow(w.net, pk, rng, client, dc, sport2, port, rng.randint(100_000, 900_000))
    t = lsa.handshake(t + rng.randint(MS, 5 * MS))
    t = lsa.send(t + rng.randint(MS // 10, MS), True,
                 rpc.bind(1, rpc.LSARPC, rpc.ntlm_negotiate()), ack_last=False)
    challenge = rpc.ntlm_challenge(rng, nb_dc, nb_domain, f"{nb_dc.lower()}.{dns_domain}",
                                   dns_domain)
    t = lsa.send(t + lsa.rtt, False, rpc.bind_ack(1, str(port), rng.getrandbits(32),
                                                  challenge), ack_last=False)
    t = lsa.send(t + rng.randint(MS // 10, MS), True,
                 rpc.auth3(1, rpc.ntlm_authenticate(rng, user, nb_domain, host, challenge)))
    calls = [(44, 60, 24)]  # LsarOpenPolicy2: policy handle
    calls += [(68, rng.randint(90, 200), rng.randint(150, 400))
              for _ in range(rng.randint(1, 4))]  # LsarLookupNames3
    calls += [(0, 24, 24)]  # LsarClose
    for call_id, (opnum, req_len, resp_len) in enumerate(calls, start=2):
        t = lsa.send(t + rng.randint(MS // 5, 20 * MS), True,  # stubs sealed (encrypted)
                     rpc.request(rng, call_id, opnum, rng.randbytes(req_len), True),
                     ack_last=False)
        t = lsa.send(t + lsa.rtt + rng.randint(MS // 10, 2 * MS), False,
                     rpc.response(rng, call_id, rng.randbytes(resp_len), True), ack_last=False)
    lsa.close(t + rng.randint(MS // 10, MS), by_client=True)
    return [(row("benign", "rpc_session", [client.ip, dc.ip], 2, proto="tcp", sport=sport,
                 dport=135, rpc_sport=sport2, rpc_port=port, user=f"{nb_domain}\\{user}",
                 calls=len(calls)), pk)]
