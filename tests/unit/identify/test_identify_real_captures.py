"""Agreement with the Python reference on real payloads: every DPI-marked payload (first 8
payload packets of each flow) of the nDPI default test captures and of Zeek's HTTP, DNS and
TLS traces.

``classify`` must say service X iff ``registry.identify`` returns the dissector named X, and
give the name the dissector reports for that payload fed alone whenever it reports one. The
one accepted difference: the fast path also gives the Host of a request whose header block is
not complete in the payload (the dissector waits for the rest before recording it).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from tests.naive.identify import marked_payloads, reference

DATA = Path(__file__).resolve().parents[3] / ".." / "shared" / "data"
NDPI = DATA / "nDPI" / "tests" / "cfgs" / "default" / "pcap"
ZEEK = DATA / "zeek" / "testing" / "btest" / "Traces"

pytestmark = pytest.mark.skipif(
    not NDPI.is_dir(), reason=f"shared captures not found at {DATA} (see its README.md)"
)


def _agreement(paths: list[Path]) -> tuple[Counter[str], list[tuple]]:
    stats: Counter[str] = Counter()
    bad: list[tuple] = []
    for path in paths:
        for m in marked_payloads(path):
            svc, name, _ = reference(m.payload, m.proto, m.from_orig, m.sport, m.dport)
            stats["payloads"] += 1
            if svc != m.service:
                bad.append(("service", path.name, svc, m.service, m.payload[:60]))
                continue
            stats[f"service_{svc}"] += 1
            if name is not None:
                stats["named"] += 1
                if name != m.name:
                    bad.append(("name", path.name, svc, name, m.name, m.payload[:60]))
            elif m.name is not None:
                head_whole = b"\n\r\n" in m.payload or b"\n\n" in m.payload
                if svc == "http" and not head_whole:
                    stats["host_of_incomplete_head"] += 1
                else:
                    bad.append(("extra name", path.name, svc, m.name, m.payload[:60]))
    return stats, bad


def test_ndpi_default_captures() -> None:
    stats, bad = _agreement(sorted(p for p in NDPI.iterdir() if p.is_file()))
    assert bad == []
    assert stats["payloads"] > 5000 and stats["named"] > 800
    assert min(stats["service_dns"], stats["service_http"], stats["service_tls"]) > 200


def test_zeek_traces() -> None:
    if not ZEEK.is_dir():
        pytest.skip(f"zeek traces not found at {ZEEK}")
    paths = sorted(p for sub in ("http", "dns", "tls") if (ZEEK / sub).is_dir()
                   for p in (ZEEK / sub).iterdir() if p.is_file())
    stats, bad = _agreement(paths)
    assert bad == []
    assert stats["named"] > 100
