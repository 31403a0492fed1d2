"""How the DPI stage decides a flow's service: compiled DNS/HTTP/TLS, the other registered
dissectors' content tests in Python, the port tie-break, the port guess and giving up."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import ClassVar

import pytest
from tests.unit.decode.decode_frames import eth, ipv4, tcp, udp
from tests.unit.dissect.wl_dissect_builders import (
    client_hello,
    dns_query,
    dns_response,
    record,
    rr,
    tls12_cert_conversation,
)

import wirelens
from wirelens.capture.writer import PcapWriter
from wirelens.dissect import registry
from wirelens.dissect.base import IPPROTO_TCP, IPPROTO_UDP, Dissector, Event, Screen


def _udp_frame(src: str, dst: str, sport: int, dport: int, payload: bytes) -> bytes:
    return eth(ipv4(udp(sport, dport, payload), proto=17, src=src, dst=dst))


def _tcp_frame(src: str, dst: str, sport: int, dport: int, seq: int, payload: bytes) -> bytes:
    return eth(ipv4(tcp(sport, dport, seq=seq, ack=1, payload=payload), proto=6, src=src, dst=dst))


def _dns_query(name: str) -> bytes:
    return dns_query(0x1234, name)


class Magic(Dissector):
    """A test protocol: payloads starting with ``MAGIC``; the name follows it."""

    name: ClassVar[str] = "magic"
    transports: ClassVar[frozenset[int]] = frozenset((IPPROTO_UDP, IPPROTO_TCP))
    ports: ClassVar[frozenset[int]] = frozenset((7777,))
    name_source: ClassVar[str | None] = "magic_name"
    fed: ClassVar[list[bytes]] = []

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        return payload.startswith(b"MAGIC")

    def feed(self, data: bytes, from_orig: bool, ts_ns: int) -> list[Event]:
        Magic.fed.append(data)
        if data.startswith(b"MAGIC"):
            self.server_name = data[5:].decode() or None
        return []


class DnsLike(Dissector):
    """Claims DNS-shaped payloads on port 137 (as NetBIOS-NS would)."""

    name: ClassVar[str] = "dnslike"
    transports: ClassVar[frozenset[int]] = frozenset((IPPROTO_UDP,))
    ports: ClassVar[frozenset[int]] = frozenset((137,))

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        return len(payload) >= 12

    def feed(self, data: bytes, from_orig: bool, ts_ns: int) -> list[Event]:
        self.done = True
        return []


@pytest.fixture
def with_test_dissectors(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry, "DISSECTORS", (*registry.DISSECTORS, Magic, DnsLike))
    monkeypatch.setattr(registry, "_BY_NAME", {c.name: c for c in registry.DISSECTORS})
    Magic.fed = []


def _write(path: Path, flows: list[tuple[str, int, list[bytes]]]) -> None:
    """One UDP flow per entry (responder port, datagrams from the client), 10.0.0.x -> 10.9.9.9."""
    with PcapWriter(path) as w:
        t = 1_700_000_000_000_000_000
        for n, (_label, dport, datagrams) in enumerate(flows):
            for d in datagrams:
                t += 1_000_000
                w.write(t, _udp_frame(f"10.0.0.{n + 1}", "10.9.9.9", 40000 + n, dport, d))


def _services(path: Path, **options: object) -> dict[int, tuple[str | None, str | None, str | None]]:
    conn = wirelens.analyze(path, **options).conn.to_pylist()
    return {r["orig_p"] - 40000: (r["service"], r["service_source"], r["server_name"]) for r in conn}


@pytest.mark.usefixtures("with_test_dissectors")
def test_python_content_tests_identify_what_the_compiled_classifier_does_not(tmp_path: Path) -> None:
    cap = tmp_path / "c.pcap"
    _write(cap, [
        ("magic on any port", 5000, [b"MAGICexample.org", b"more"]),
        ("magic after junk", 5001, [b"junk", b"MAGICsecond.org"]),
        ("never identified", 5002, [b"x", b"y", b"z", b"w", b"MAGIC-too-late", b"q"]),
        ("dns on its port", 53, [_dns_query("a.example.com")]),
        ("dns-shaped on 137", 137, [_dns_query("b.example.com")]),
        ("dns-shaped elsewhere", 5003, [_dns_query("c.example.com")]),
    ])
    got = _services(cap)
    assert got[0] == ("magic", "content", "example.org")
    assert got[1] == ("magic", "content", "second.org")
    # four failed rounds: given up (the fifth payload is never looked at)
    assert got[2] == (None, None, None)
    assert got[3] == ("dns", "content", "a.example.com")
    assert got[4][:2] == ("dnslike", "content")  # content + its port beats DNS off its ports
    assert got[5][:2] == ("dns", "content")  # without a port, the compiled priority wins
    assert b"MAGIC-too-late" not in Magic.fed and b"more" in Magic.fed


@pytest.mark.usefixtures("with_test_dissectors")
def test_port_guess_only_for_flows_with_payload(tmp_path: Path) -> None:
    cap = tmp_path / "p.pcap"
    assert registry.by_port(47999, IPPROTO_UDP) is None  # nobody's port
    _write(cap, [("unknown bytes on a magic port", 7777, [b"\x00\x01", b"\x02"]),
                 ("unknown bytes on no port", 47999, [b"\x00\x01"])])
    got = _services(cap)
    assert got[0] == ("magic", "port", None)
    assert got[1] == (None, None, None)
    off = _services(cap, dpi="off")
    assert off[0] == (None, None, None)  # flows only: no guessing either


@pytest.mark.usefixtures("with_test_dissectors")
def test_fast_mode_reads_a_flow_only_for_its_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without tables a flow a Python content test named is read by its dissector until it
    gives the flow's name, and no further; a protocol without names is not read at all."""
    cap = tmp_path / "f.pcap"
    _write(cap, [("magic", 5000, [b"MAGIC", b"MAGICexample.org", b"MAGICother.org", b"x"])])
    assert _services(cap, dpi="fast")[0] == ("magic", "content", "example.org")
    assert Magic.fed == [b"MAGIC", b"MAGICexample.org"]
    Magic.fed = []
    monkeypatch.setattr(Magic, "name_source", None)
    assert _services(cap, dpi="fast")[0] == ("magic", "content", None)
    assert Magic.fed == []


def test_registry_skip_and_port_guess() -> None:
    tls = registry.by_name("tls")
    assert tls is not None
    hello = b"\x16\x03\x01\x00\x05\x01\x00\x00\x01\x00"
    assert registry.identify(hello, 6, True, 1, 2) is tls
    assert registry.identify(hello, 6, True, 1, 2, frozenset({"tls"})) is not tls
    assert registry.by_port(443, 6) is tls and registry.by_port(443, 1) is None


DATA = Path(__file__).resolve().parents[3] / ".." / "shared" / "data"


@pytest.mark.parametrize("capture,service", [
    ("nDPI/tests/cfgs/default/pcap/smtp-starttls.pcap", "smtp"),
    ("nDPI/tests/cfgs/default/pcap/ftp-start-tls.pcap", "ftp"),
    ("zeek/testing/btest/Traces/ldap/ldap-starttls.pcap", "ldap"),  # ClientHello held by ldap
])
def test_starttls_hands_the_flow_to_tls(capture: str, service: str) -> None:
    path = DATA / capture
    if not path.exists():
        pytest.skip(f"{path} not found: the shared captures are absent")
    res = wirelens.analyze(path)
    flows = {r["uid"]: r for r in res.conn.to_pylist() if r["service"] == service}
    upgraded = [r for r in res.tls.to_pylist() if r["uid"] in flows]
    assert upgraded, "no TLS handshake read after the accepted STARTTLS"
    assert all(r["ja3_hash"] for r in upgraded)
    assert res.table(service).num_rows > 0


def test_https_through_a_proxy_is_read_as_tls(tmp_path: Path) -> None:
    """An HTTP CONNECT accepted by a proxy on 3128: the http row logs the CONNECT, the
    tunnel's ClientHello is identified by content and gets its tls row (SNI, JA3); conn
    keeps http, the proxy protocol."""
    hello = record(22, client_hello(sni="secure.example.org"), version=0x0301)
    conv = [(True, b"CONNECT secure.example.org:443 HTTP/1.1\r\nHost: secure.example.org:443\r\n\r\n"),
            (False, b"HTTP/1.1 200 Connection established\r\n\r\n"), (True, hello)]
    cap = tmp_path / "proxy.pcap"
    seq = {True: 1, False: 1}
    with PcapWriter(cap) as w:
        for k, (from_orig, data) in enumerate(conv):
            src, dst, sp, dp = (("10.0.0.1", "10.9.9.9", 40000, 3128) if from_orig
                                else ("10.9.9.9", "10.0.0.1", 3128, 40000))
            w.write(1_700_000_000_000_000_000 + k * 1000,
                    _tcp_frame(src, dst, sp, dp, seq[from_orig], data))
            seq[from_orig] += len(data)
    res = wirelens.analyze(cap)
    (conn,) = res.conn.to_pylist()
    (http,) = res.http.to_pylist()
    (tls,) = res.tls.to_pylist()
    assert conn["service"] == "http" and http["method"] == "CONNECT" and http["status_code"] == 200
    assert tls["uid"] == conn["uid"] and tls["server_name"] == "secure.example.org"
    assert tls["ja3_hash"] and conn["server_name"] == "secure.example.org"


def test_services_on_other_ports_are_recognised_by_content(tmp_path: Path) -> None:
    """The issue's examples: HTTP on 8081, DNS on 5353, TLS on 4443, SSH on 2222."""
    tls = record(22, client_hello(sni="www.example.org"), version=0x0301)
    cap = tmp_path / "ports.pcap"
    t = 1_700_000_000_000_000_000
    with PcapWriter(cap) as w:
        w.write(t, _tcp_frame("10.0.0.1", "10.9.9.9", 40001, 8081, 1,
                              b"GET / HTTP/1.1\r\nHost: web.example.org:8081\r\n\r\n"))
        w.write(t + 1000, _udp_frame("10.0.0.2", "10.9.9.9", 40002, 5353,
                                     _dns_query("printer.local")))
        w.write(t + 2000, _tcp_frame("10.0.0.3", "10.9.9.9", 40003, 4443, 1, tls))
        w.write(t + 3000, _tcp_frame("10.9.9.9", "10.0.0.4", 2222, 40004, 1,
                                     b"SSH-2.0-OpenSSH_9.6\r\n"))
    conn = {r["resp_p"] if r["resp_p"] != 40004 else r["orig_p"]: r
            for r in wirelens.analyze(cap).conn.to_pylist()}
    got = {p: (r["service"], r["service_source"], r["server_name"]) for p, r in conn.items()}
    assert got == {8081: ("http", "content", "web.example.org"),
                   5353: ("dns", "content", "printer.local"),
                   4443: ("tls", "content", "www.example.org"),
                   2222: ("ssh", "content", None)}


def test_tls_without_sni_is_named_by_its_certificate(tmp_path: Path) -> None:
    conv = tls12_cert_conversation()
    conv[0] = (True, record(22, client_hello(sni=None), version=0x0301))
    cap = tmp_path / "nosni.pcap"
    seq = {True: 1, False: 1}
    with PcapWriter(cap) as w:
        for k, (from_orig, data) in enumerate(conv):
            src, dst, sp, dp = (("10.0.0.1", "10.9.9.9", 40000, 443) if from_orig
                                else ("10.9.9.9", "10.0.0.1", 443, 40000))
            w.write(1_700_000_000_000_000_000 + k * 1000,
                    _tcp_frame(src, dst, sp, dp, seq[from_orig], data))
            seq[from_orig] += len(data)
    (row,) = wirelens.analyze(cap).conn.to_pylist()
    assert (row["service"], row["server_name"], row["name_source"]) == (
        "tls", "www.example.com", "certificate")


def test_webrtc_stun_then_dtls() -> None:
    """ICE's STUN checks, then DTLS on the same 5-tuple: the flow is stun, its handshake a row
    of the tls table (nDPI's .out gives this flow's JA3C c14667d7...)."""
    path = DATA / "nDPI" / "tests" / "cfgs" / "default" / "pcap" / "stun.pcap"
    if not path.exists():
        pytest.skip(f"{path} not found: the shared captures are absent")
    res = wirelens.analyze(path)
    stun = {r["uid"] for r in res.conn.to_pylist() if r["service"] == "stun"}
    dtls = [r for r in res.tls.to_pylist() if r["uid"] in stun]
    assert any(r["version"] == "DTLSv12" and r["ja3_hash"] == "c14667d7da3e6f7a7ab5519ef78c2452"
               for r in dtls)


def test_more_screened_classes_than_an_int64_has_bits(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """With 130 screened classes on UDP (masks of three words, Python integers per packet)
    the pipeline identifies each flow by the class whose screen and content test take it,
    whatever its bit, and a payload every screen refuses is identified as nothing."""

    def make(k: int) -> type[Dissector]:
        tag = b"T" + bytes((k,))

        class Tagged(Dissector):
            name: ClassVar[str] = f"tagged{k}"
            transports: ClassVar[frozenset[int]] = frozenset((IPPROTO_UDP,))
            ports: ClassVar[frozenset[int]] = frozenset()
            first_bytes: ClassVar[frozenset[int] | None] = frozenset(b"T")
            screens: ClassVar[Mapping[int, tuple[Screen, ...]]] = {
                IPPROTO_UDP: (Screen(4, equals=((0, tag),)),)}

            @classmethod
            def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
                return payload[:2] == tag and len(payload) >= 4

            def feed(self, data: bytes, from_orig: bool, ts_ns: int) -> list[Event]:
                self.done = True
                return []

        return Tagged

    many = tuple(make(k) for k in range(130))
    monkeypatch.setattr(registry, "DISSECTORS", (*registry.DISSECTORS, *many))
    monkeypatch.setattr(registry, "_BY_NAME", {c.name: c for c in registry.DISSECTORS})
    picks = [3, 62, 63, 64, 125, 126, 129]
    cap = tmp_path / "t.pcap"
    _write(cap, [(f"tag {k}", 47000 + k, [b"T" + bytes((k,)) + b"xyz"]) for k in picks]
           + [("refused by every screen", 47999, [b"T\xffxyz"])])
    got = _services(cap)
    for n, k in enumerate(picks):
        assert got[n] == (f"tagged{k}", "content", None), k
    assert got[len(picks)] == (None, None, None)


@pytest.mark.parametrize("dpi", ["full", "fast"])
def test_answers_of_a_long_resolver_flow_name_later_flows(tmp_path: Path, dpi: str) -> None:
    """A forwarder asks its upstream from one port: one DNS flow of many lookups. ``--dpi
    fast`` reads that flow only for its name (its first question) and no longer marks its
    packets, yet every answer fills the DNS cache, in later batches too (small windows
    here), so a flow to an address answered late is named from it as with full DPI."""
    cap = tmp_path / "resolver.pcap"
    t = 1_700_000_000_000_000_000
    with PcapWriter(cap) as w:
        for n in range(40):
            t += 1_000_000
            name = f"host{n}.example.org"
            w.write(t, _udp_frame("10.0.0.1", "10.9.9.53", 33333, 53, dns_query(n, name)))
            answer = rr(1, bytes([198, 51, 100, n]))
            w.write(t + 1000, _udp_frame("10.9.9.53", "10.0.0.1", 53, 33333,
                                         dns_response(n, name, [answer])))
        t += 1_000_000
        w.write(t, _udp_frame("10.0.0.2", "198.51.100.39", 40000, 9999, b"\x01\x02opaque"))
    conn = wirelens.analyze(cap, dpi=dpi, batch_bytes=2048).conn.to_pylist()
    last = next(r for r in conn if r["resp_h"] == "198.51.100.39")
    assert (last["server_name"], last["name_source"]) == ("host39.example.org", "dns_cache")
