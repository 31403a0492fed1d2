"""``--dpi fast`` against full DPI on nDPI's default test captures (322 files, ~2,500 flows):
the same service for every flow, and the same server name except where the README says
fast DPI differs (a name is the flow's first message's that has one); names from earlier
DNS answers included."""

from __future__ import annotations

from pathlib import Path

import pytest

import wirelens

NDPI = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "nDPI" / "tests" / \
    "cfgs" / "default" / "pcap"

UPGRADED = {"ftp", "imap", "pop3", "smtp", "rdp", "proxy_protocol"}
"""Protocols whose connection goes on in TLS (STARTTLS, AUTH TLS, RDP's TLS security, a PROXY
header): with full DPI their name may be the TLS hello's, read after the upgrade."""


@pytest.mark.skipif(not NDPI.is_dir(), reason=f"nDPI test captures not found at {NDPI}")
def test_fast_dpi_gives_full_dpis_services_and_names() -> None:
    cols = ["uid", "service", "service_source", "server_name", "name_source"]
    full = {r["uid"]: r for r in wirelens.analyze(NDPI, dpi="full").conn.select(cols).to_pylist()}
    fast = {r["uid"]: r for r in wirelens.analyze(NDPI, dpi="fast").conn.select(cols).to_pylist()}
    assert full.keys() == fast.keys() and len(full) > 2000
    why: dict[str, int] = {}
    unexplained = []
    for uid, f in full.items():
        q = fast[uid]
        assert (q["service"], q["service_source"]) == (f["service"], f["service_source"]), uid
        if q["server_name"] == f["server_name"]:
            continue
        if f["service"] == "dns" and q["name_source"] == "dns_query":
            reason = "latest question"  # (full DPI: a DNS flow's latest question)
        elif f["service"] in UPGRADED and f["name_source"] in ("sni", "certificate"):
            reason = "upgraded"
        else:
            unexplained.append((uid, f, q))
            continue
        why[reason] = why.get(reason, 0) + 1
    assert unexplained == []
    named = sum(1 for r in fast.values() if r["server_name"])
    assert named > 800 and sum(why.values()) < 0.05 * named, why
    # the names fast DPI reads with a dissector: split and encrypted hellos, NetBIOS, STUN ...
    sources = {r["name_source"] for r in fast.values()}
    assert {"sni", "certificate", "http_host", "dns_query", "netbios_name", "stun_realm",
            "smtp_greeting", "dns_cache"} <= sources
