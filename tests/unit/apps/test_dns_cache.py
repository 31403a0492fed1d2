"""The bounded DNS answer cache (address -> queried name, LRU)."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
from tests.unit.decode.decode_frames import udp_frame, write_pcap
from tests.unit.dissect.wl_dissect_builders import dns_header, dns_name

import wirelens
from wirelens.apps import DnsCache, canonical_address
from wirelens.core.limits import DNS_CACHE_MAX_ENTRIES


def test_default_bound_is_the_limit() -> None:
    assert DnsCache().max_entries == DNS_CACHE_MAX_ENTRIES == 65_536


def test_bound_holds_and_lru_evicts_oldest() -> None:
    c = DnsCache(max_entries=3)
    for i in range(3):
        c.add(f"10.0.0.{i}", f"n{i}")
    assert c.get("10.0.0.0") == "n0"          # touch: 10.0.0.1 is now the oldest
    c.add("10.0.0.9", "n9")
    assert len(c) == 3 and c.evicted == 1
    assert c.get("10.0.0.1") is None
    assert c.get("10.0.0.0") == "n0" and c.get("10.0.0.9") == "n9"
    for i in range(100):
        c.add(f"10.1.0.{i}", "x")
    assert len(c) == 3 and c.evicted == 101


def test_readd_refreshes_and_overwrites() -> None:
    c = DnsCache(max_entries=2)
    c.add("1.1.1.1", "a")
    c.add("2.2.2.2", "b")
    c.add("1.1.1.1", "c")          # refresh: 2.2.2.2 is the oldest now
    c.add("3.3.3.3", "d")
    assert c.get("1.1.1.1") == "c" and c.get("2.2.2.2") is None


def test_answers_keep_addresses_only_with_the_query_name() -> None:
    c = DnsCache()
    n = c.add_answers("WWW.YouTube.com.", ("youtube-ui.l.google.com", "142.250.1.1",
                                           "2A00:1450:4001:0:0:0:0:200E", "TXT 3 abc"))
    assert n == 2
    assert c.get("142.250.1.1") == "www.youtube.com"
    assert c.get("2a00:1450:4001::200e") == "www.youtube.com"   # RFC 5952 form
    assert c.add_answers(None, ("1.2.3.4",)) == 0 and c.get("1.2.3.4") is None


def test_a_dynamic_update_names_the_address_it_adds(tmp_path: Path) -> None:
    """RFC 2136: a client registering its own A record: the added address is remembered for
    the record's owner (prerequisites and deletions add nothing), so a later flow to it is
    named from the cache."""
    zone = dns_name("StratoLab.org") + b"\x00\x06\x00\x01"
    owner = dns_name("NWin2.StratoLab.org")
    no_cname = owner + struct.pack(">HHIH", 5, 254, 0, 0)
    del_a = owner + struct.pack(">HHIH", 1, 255, 0, 0)
    add_a = owner + struct.pack(">HHIH", 1, 1, 1200, 4) + bytes([192, 168, 1, 106])
    update = dns_header(9, 5 << 11, 1, 1, 2, 0) + zone + no_cname + del_a + add_a
    reply = dns_header(9, 0x8000 | 5 << 11, 1, 0, 0, 0) + zone
    cap = tmp_path / "u.pcap"
    write_pcap(cap, [udp_frame("192.168.1.106", "192.168.1.108", 62763, 53, update),
                     udp_frame("192.168.1.108", "192.168.1.106", 53, 62763, reply),
                     udp_frame("192.168.1.50", "192.168.1.106", 40000, 9999, b"hello")])
    conn = {r["resp_p"]: r for r in wirelens.analyze(cap).conn.to_pylist()}
    assert (conn[9999]["server_name"], conn[9999]["name_source"]) == (
        "nwin2.stratolab.org", "dns_cache")


def test_canonical_address() -> None:
    assert canonical_address("2001:DB8:0::1") == "2001:db8::1"
    assert canonical_address("192.0.2.1") == "192.0.2.1"
    assert canonical_address("example.com") is None


def test_bad_bound() -> None:
    with pytest.raises(ValueError):
        DnsCache(max_entries=0)
