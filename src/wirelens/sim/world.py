"""The simulated network: hosts, the built-in domain catalogue and DNS lookups."""

from __future__ import annotations

import hashlib
import ipaddress
import random
from dataclasses import dataclass

from wirelens.sim.frames import Host, Net, Packets, mac_for
from wirelens.sim.protocols import QType, dns_query, dns_response


@dataclass(frozen=True, slots=True)
class SimNetwork:
    """Addresses of the simulated site (private / documentation ranges: nothing is sent)."""

    gateway: str = "10.20.0.1"
    """Default gateway of the LAN; frames to and from off-LAN hosts carry its MAC."""
    resolver: str = "10.20.0.53"
    """Recursive DNS resolver on the LAN."""
    first_client: str = "10.20.0.100"
    """Address of client 0; clients are numbered upwards from it."""
    web_server: str = "10.20.1.10"
    """An internal web server (target of the SYN scan, UDP scan and SYN flood)."""
    ssh_server: str = "10.20.1.22"
    """An internal SSH server (benign admin sessions, brute-force target)."""
    internet: tuple[str, ...] = ("203.0.113.0/24", "192.0.2.0/24")
    """Ranges the public servers' addresses are drawn from (RFC 5737)."""
    attacker: str = "198.51.100.66"
    """External scanner / brute forcer (RFC 5737)."""
    spoof_net: str = "198.18.0.0/15"
    """Range the SYN flood's spoofed sources are drawn from (RFC 2544)."""


# Public names a browser would look up: name -> CNAME chain (RFC 1034 §3.6.2).
TLS_DOMAINS: dict[str, tuple[str, ...]] = {
    "www.google.com": (),
    "www.youtube.com": ("youtube-ui.l.google.com",),
    "fonts.googleapis.com": ("googleapis.l.google.com",),
    "www.facebook.com": ("star-mini.c10r.facebook.com",),
    "en.wikipedia.org": ("dyna.wikimedia.org",),
    "github.com": (),
    "api.github.com": (),
    "stackoverflow.com": (),
    "www.microsoft.com": ("www.microsoft.com-c-3.edgekey.net", "e13678.dscb.akamaiedge.net"),
    "www.apple.com": ("www.apple.com.edgekey.net", "e6858.dscx.akamaiedge.net"),
    "www.reddit.com": ("reddit.map.fastly.net",),
    "www.linkedin.com": ("www-linkedin-com.l-0005.l-msedge.net",),
    "www.nytimes.com": ("nytimes.map.fastly.net",),
    "docs.python.org": ("dualstack.python.map.fastly.net",),
    "pypi.org": (),
    "login.microsoftonline.com": ("login.mso.msidentity.com",),
    "outlook.office365.com": ("outlook.ms-acdc.office.com",),
    "slack.com": (),
    "zoom.us": (),
    "www.cloudflare.com": (),
    "cdn.jsdelivr.net": ("jsdelivr.map.fastly.net",),
    "news.ycombinator.com": (),
}

QUIC_DOMAINS = frozenset({"www.google.com", "www.youtube.com", "fonts.googleapis.com",
                          "www.facebook.com", "www.cloudflare.com", "cdn.jsdelivr.net",
                          "www.reddit.com"})
"""Names among :data:`TLS_DOMAINS` a browser reaches over HTTP/3 (QUIC) as well."""

# Hosts still reached over plain HTTP (captive-portal checks, package mirrors, OCSP/CRL).
HTTP_DOMAINS: dict[str, tuple[str, ...]] = {
    "connectivitycheck.gstatic.com": (),
    "www.msftconnecttest.com": ("www.msftconnecttest.com.edgesuite.net",),
    "detectportal.firefox.com": ("detectportal.prod.mozaws.net",),
    "archive.ubuntu.com": (),
    "deb.debian.org": ("debian.map.fastly.net",),
    "ocsp.digicert.com": ("ocsp.edge.digicert.com",),
    "crl.microsoft.com": ("crl.www.ms.akadns.net",),
    "neverssl.com": (),
    "example.com": (),
}

HTTP_PATHS: dict[str, tuple[str, ...]] = {
    "connectivitycheck.gstatic.com": ("/generate_204",),
    "www.msftconnecttest.com": ("/connecttest.txt", "/redirect"),
    "detectportal.firefox.com": ("/success.txt", "/canonical.html"),
    "archive.ubuntu.com": ("/ubuntu/dists/noble/InRelease",
                           "/ubuntu/dists/noble-updates/InRelease"),
    "deb.debian.org": ("/debian/dists/bookworm/InRelease", "/debian/pool/main/c/curl/"),
    "ocsp.digicert.com": ("/",),
    "crl.microsoft.com": ("/pki/crl/products/MicRooCerAut2011_2011_03_22.crl",),
    "neverssl.com": ("/", "/online/", "/favicon.ico"),
    "example.com": ("/", "/index.html"),
}


class World:
    """Hosts of one simulation run plus name resolution. Mutable (IP id counters)."""

    def __init__(self, seed: int, n_clients: int, network: SimNetwork) -> None:
        self.seed = seed
        self.network = network
        gw = Host(network.gateway, mac_for(network.gateway), 64, True)
        self.net = Net(gw)
        rng = random.Random(f"{seed}/world")
        first = ipaddress.IPv4Address(network.first_client)
        self.clients = [self.local(str(first + i), rng.choice((64, 128)), rng)
                        for i in range(n_clients)]
        self.resolver = self.local(network.resolver, 64, rng)
        self.web_server = self.local(network.web_server, 64, rng)
        self.ssh_server = self.local(network.ssh_server, 64, rng)
        self.attacker = self.remote(network.attacker, rng.choice((64, 128)))
        self._nets = [ipaddress.IPv4Network(n) for n in network.internet]
        self._addr_cache: dict[str, list[str]] = {}
        self._rtt: dict[str, int] = {}
        self.end_ns = 0
        self.dns_cache: dict[tuple[str, str], tuple[int, int, str]] = {}
        """(client, name) -> (answer seen at, expires at, address): the client's stub cache."""
        """End of the configured capture window; long scenarios stop adding activity there."""

    def local(self, ip: str, ttl: int, rng: random.Random) -> Host:
        """A host on the captured LAN (its own MAC, initial TTL)."""
        return self.net.add(Host(ip, mac_for(ip), ttl, True, rng.getrandbits(16)))

    def remote(self, ip: str, initial_ttl: int = 64) -> Host:
        """An off-LAN host (frames carry the gateway MAC; TTL reduced by a few hops)."""
        h = self.net.hosts.get(ip)
        if h is not None:
            return h
        d = hashlib.sha256(f"{self.seed}/host/{ip}".encode()).digest()
        hops = 6 + d[0] % 14
        return self.net.add(Host(ip, mac_for(ip), initial_ttl - hops, False,
                                 int.from_bytes(d[1:3], "big")))

    def rtt_ns(self, ip: str) -> int:
        """A stable round-trip time to ``ip`` (a few ms to ~100 ms)."""
        r = self._rtt.get(ip)
        if r is None:
            d = hashlib.sha256(f"{self.seed}/rtt/{ip}".encode()).digest()
            r = self._rtt[ip] = 2_000_000 + int.from_bytes(d[:4], "big") % 98_000_000
        return r

    def addresses(self, name: str) -> list[str]:
        """The (stable) IPv4 addresses ``name`` resolves to."""
        hit = self._addr_cache.get(name)
        if hit is None:
            d = hashlib.sha256(f"{self.seed}/addr/{name}".encode()).digest()
            net = self._nets[d[0] % len(self._nets)]
            n = 1 + d[1] % 3
            hit = [str(net.network_address + 1 + (d[2 + i] % (net.num_addresses - 2)))
                   for i in range(n)]
            self._addr_cache[name] = hit
        return hit

    def server(self, ip: str) -> Host:
        """The public server at ``ip``."""
        d = hashlib.sha256(f"{self.seed}/os/{ip}".encode()).digest()
        return self.remote(ip, 128 if d[0] < 40 else 64)


def ephemeral_port(rng: random.Random, windows: bool) -> int:
    """A client source port from the OS's ephemeral range (RFC 6335 §6; Linux 32768-60999)."""
    return rng.randint(49152, 65535) if windows else rng.randint(32768, 60999)


def dns_lookup(w: World, out: Packets, rng: random.Random, client: Host, t: int, name: str,
               chain: tuple[str, ...], aaaa: bool = True) -> tuple[int, str]:
    """A/AAAA lookup of ``name`` through the resolver, appended to ``out``.

    Returns (capture time of the A answer, the address the client will connect to) and
    remembers the answer in the client's cache until its TTL expires.
    """
    sport = ephemeral_port(rng, client.ttl == 128)
    latency = (rng.randint(300_000, 3_000_000) if rng.random() < 0.6
               else rng.randint(8_000_000, 90_000_000))
    target = chain[-1] if chain else name
    addrs = list(w.addresses(target))
    rng.shuffle(addrs)
    cname_rrs: list[tuple[str, int, int, object]] = []
    owner = name
    for c in chain:
        cname_rrs.append((owner, QType.CNAME, rng.randint(60, 3600), c))
        owner = c
    ttl = rng.randint(20, 300)
    a_rrs = cname_rrs + [(target, QType.A, ttl, bytes(int(x) for x in a.split(".")))
                         for a in addrs]
    res = w.resolver
    txid = rng.getrandbits(16)
    out.append((t, w.net.udp(client, res, sport, 53, dns_query(txid, name, QType.A))))
    t_ans = t + latency
    out.append((t_ans, w.net.udp(res, client, 53, sport,
                                 dns_response(txid, name, QType.A, a_rrs))))
    if aaaa:
        txid6 = rng.getrandbits(16)
        t6 = t + rng.randint(20_000, 300_000)
        out.append((t6, w.net.udp(client, res, sport, 53, dns_query(txid6, name, QType.AAAA))))
        d = hashlib.sha256(f"{w.seed}/v6/{target}".encode()).digest()
        v6: list[tuple[str, int, int, object]] = [] if d[0] < 60 else [(target, QType.AAAA, ttl,
                                    bytes.fromhex("20010db8") + d[4:16])]
        out.append((t6 + latency + rng.randint(10_000, 500_000),
                    w.net.udp(res, client, 53, sport,
                              dns_response(txid6, name, QType.AAAA, cname_rrs + v6))))
    w.dns_cache[(client.ip, name)] = (t_ans, t_ans + ttl * 1_000_000_000, addrs[0])
    return t_ans, addrs[0]


def cached_answer(w: World, client: Host, name: str, t: int) -> str | None:
    """The address ``client`` still has cached for ``name`` at ``t`` (answer seen before ``t``
    and its TTL not expired), else None."""
    hit = w.dns_cache.get((client.ip, name))
    if hit is not None and hit[0] < t < hit[1]:
        return hit[2]
    return None
