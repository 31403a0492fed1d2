"""Golden tests: real captures -> tables, compared with baselines stored by capture name.

Baselines live in ``tests/baselines/<capture>/<table>.jsonl``; regenerate them after an
intended change with ``pytest tests/integration/test_golden.py --update-baselines`` and review
the diff. Rows are sorted by content (never paired by position in the file).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import wirelens

BASELINES = Path(__file__).resolve().parents[1] / "baselines"
CAPTURES = [
    "nDPI/tests/cfgs/default/pcap/dns.pcap",
    "nDPI/tests/cfgs/default/pcap/http-manipulated.pcap",
    "nDPI/tests/cfgs/default/pcap/tls-appdata.pcap",
    "nDPI/tests/cfgs/default/pcap/gre.pcapng",
    "nDPI/tests/cfgs/default/pcap/6in4tunnel.pcap",
    "nDPI/tests/cfgs/default/pcap/4in4tunnel.pcap",
    "nDPI/tests/cfgs/default/pcap/gtp_c.pcap",
    "zeek/testing/btest/Traces/http/get.pcap",
    "zeek/testing/btest/Traces/tls/chrome-34-google.pcap",
    "zeek/testing/btest/Traces/erspanIII.pcap",
]
TABLES = ("conn", "dns", "http", "tls", "weird")


def _norm(value):
    """Floats to 10 significant digits: summation order may change the last bits."""
    if isinstance(value, float):
        return float(f"{value:.10g}")
    if isinstance(value, list):
        return [_norm(v) for v in value]
    return value


def _rows(result, table: str) -> list[str]:
    rows = result.table(table).to_pylist()
    out = [json.dumps({k: _norm(v) for k, v in r.items()}, default=str, sort_keys=True)
           for r in rows]
    return sorted(out)


@pytest.mark.parametrize("rel", CAPTURES)
def test_golden(rel, shared_data, request):
    path = shared_data / rel
    if not path.exists():
        pytest.skip(f"{rel} not in ../shared/data")
    result = wirelens.analyze(path)
    folder = BASELINES / Path(rel).name
    update = request.config.getoption("--update-baselines")
    for table in TABLES:
        got = _rows(result, table)
        base = folder / f"{table}.jsonl"
        if update:
            folder.mkdir(parents=True, exist_ok=True)
            base.write_text("".join(line + "\n" for line in got))
            continue
        if not base.exists():
            pytest.fail(f"no baseline {base}; run with --update-baselines and review it")
        want = base.read_text().splitlines()
        assert got == want, f"{rel}: table {table} differs from {base}"
