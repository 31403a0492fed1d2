"""Applications end to end: the simulator's capture (SNI -> catalogue, DNS cache naming a flow
whose ClientHello is gone) and the nDPI default captures (how many conn rows get one)."""

from __future__ import annotations

import collections
import csv
import json
import struct
from pathlib import Path

import pytest

import wirelens
from wirelens.apps import lookup
from wirelens.sim import SimConfig, simulate


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory):
    return simulate(tmp_path_factory.mktemp("apps") / "s.pcap",
                    SimConfig(seed=7, duration_s=120.0, scenarios=("tls_browse", "dns_lookup",
                                                                  "http_browse")))


@pytest.fixture(scope="module")
def labels(sim) -> list[dict]:
    return [json.loads(ln) for ln in Path(sim.labels).read_text().splitlines()]


def _drop_frames_containing(src: Path, dst: Path, needle: bytes) -> int:
    """Copy a classic little-endian pcap without the records whose bytes contain ``needle``."""
    data = src.read_bytes()
    assert data[:4] == b"\xd4\xc3\xb2\xa1"
    out = [data[:24]]
    pos, dropped = 24, 0
    while pos + 16 <= len(data):
        incl = struct.unpack_from("<I", data, pos + 8)[0]
        rec = data[pos:pos + 16 + incl]
        if needle in rec[16:]:
            dropped += 1
        else:
            out.append(rec)
        pos += 16 + incl
    dst.write_bytes(b"".join(out))
    return dropped


def test_tls_flows_to_youtube_get_the_application(sim, labels) -> None:
    conn = wirelens.analyze(sim.pcap).conn.to_pylist()
    yt = [r for r in conn if r["server_name"] == "www.youtube.com" and r["service"] == "tls"]
    expected = sum(1 for lb in labels if lb["label"] == "tls_browse"
                   and lb["detail"]["sni"] == "www.youtube.com")
    assert expected > 0 and len(yt) == expected
    assert all(r["application"] == "YouTube" and r["category"] == "video"
               and r["name_source"] == "sni" for r in yt)
    # every named flow's application agrees with a direct lookup; sources are the known ones
    for r in conn:
        want = lookup(r["server_name"]) if r["server_name"] else None
        assert (r["application"], r["category"]) == (want or (None, None))
        assert r["name_source"] in (None, "sni", "http_host", "dns_query", "dns_cache")
        assert (r["name_source"] is None) == (r["server_name"] is None)
    dns = [r for r in conn if r["service"] == "dns" and r["server_name"]]
    assert dns and all(r["name_source"] == "dns_query" for r in dns)
    http = [r for r in conn if r["service"] == "http" and r["server_name"]]
    assert http and all(r["name_source"] == "http_host" for r in http)


def test_flow_without_sni_is_named_from_the_dns_cache(sim, labels, tmp_path: Path) -> None:
    # a TLS name whose addresses no other name shares, so the cache's answer is unambiguous
    by_ip: dict[str, set[str]] = collections.defaultdict(set)
    for lb in labels:
        if lb["label"] == "dns_lookup":
            by_ip[lb["detail"]["answer"]].add(lb["detail"]["query"])
    tls = [lb for lb in labels if lb["label"] == "tls_browse"]
    name = next(lb["detail"]["sni"] for lb in tls
                if by_ip.get(lb["hosts"][1]) == {lb["detail"]["sni"]}
                and lb["detail"]["sni"] != "www.youtube.com")
    ips = {lb["hosts"][1] for lb in tls if lb["detail"]["sni"] == name}
    # drop every frame carrying the name in text (ClientHello SNI, certificate); DNS carries
    # it as labels (RFC 1035 3.1), so the lookups stay
    cut = tmp_path / "nosni.pcap"
    assert _drop_frames_containing(Path(sim.pcap), cut, name.encode()) > 0
    conn = wirelens.analyze(cut).conn.to_pylist()
    flows = [r for r in conn if r["resp_h"] in ips and r["resp_p"] == 443]
    assert flows
    assert all(r["server_name"] == name and r["name_source"] == "dns_cache" for r in flows)
    assert all(r["application"] == lookup(name)[0] for r in flows)  # type: ignore[index]
    # dpi="fast" writes no dns rows, but the answers fill its cache all the same
    fast = wirelens.analyze(cut, dpi="fast").conn.to_pylist()
    keys = ("uid", "server_name", "name_source", "application")
    assert ([{k: r[k] for k in keys} for r in fast if r["resp_h"] in ips and r["resp_p"] == 443]
            == [{k: r[k] for k in keys} for r in flows])


def test_ndpi_default_captures_applications(shared_data: Path) -> None:
    with open(shared_data / "MANIFEST.csv", newline="") as fh:
        rows = [r for r in csv.DictReader(fh)
                if r["path"].startswith("nDPI/tests/cfgs/default/pcap/")
                and r["parses_cleanly"] == "yes" and not r["dup_of"]]
    assert rows
    total = named = with_app = 0
    sources: collections.Counter[str | None] = collections.Counter()
    apps: collections.Counter[str] = collections.Counter()
    for r in rows:
        conn = wirelens.analyze(shared_data / r["path"]).conn
        total += conn.num_rows
        for app, src, nm in zip(conn["application"].to_pylist(), conn["name_source"].to_pylist(),
                                conn["server_name"].to_pylist()):
            named += nm is not None
            sources[src] += 1
            if app is not None:
                with_app += 1
                apps[app] += 1
    print(f"\nnDPI default captures: {len(rows)} files, {total} conn rows, {named} named, "
          f"{with_app} with an application; name sources {dict(sources)}; "
          f"top {apps.most_common(10)}")
    assert with_app > 0.3 * named  # most names seen are of catalogued services
    assert sources["dns_cache"] > 0
    assert {"YouTube", "Facebook", "WhatsApp"} <= set(apps)
