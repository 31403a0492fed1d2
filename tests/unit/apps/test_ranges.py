"""The documented address ranges: parsing rules and the vectorised longest-prefix match."""

from __future__ import annotations

import ipaddress

import numpy as np
import pytest

from wirelens.apps import load_ranges, parse_ranges


def _halves(text: str) -> tuple[int, int]:
    ip = ipaddress.ip_address(text)
    v = int(ip) | (0xFFFF << 32) if ip.version == 4 else int(ip)
    return v >> 64, v & (2**64 - 1)


def test_longest_prefix_wins_and_families_stay_apart() -> None:
    r = parse_ranges([["10.0.0.0/8", "Big", "cloud"], ["10.1.0.0/16", "Small", "cdn"],
                      ["2001:db8::/32", "Six", "cloud"], ["2001:db8:1::/48", "SixSmall", "cdn"],
                      ["# comment"], []])
    cases = {"10.2.3.4": "Big", "10.1.9.9": "Small", "11.0.0.1": None, "2001:db8:2::1": "Six",
             "2001:db8:1:ffff::1": "SixSmall", "::ffff:0a01:0101": "Small", "::a01:101": None,
             "2001:db9::1": None}
    addrs = list(cases)
    hi, lo = zip(*(_halves(a) for a in addrs))
    found = r.lookup(np.array(hi, np.uint64), np.array(lo, np.uint64))
    got = {a: (r.entries[k][0] if k >= 0 else None) for a, k in zip(addrs, found.tolist())}
    assert got == cases


@pytest.mark.parametrize("row,why", [
    (["10.0.0.1/8", "A", "cloud"], "host bits"),
    (["2001:db8::/96", "A", "cloud"], "/64 or shorter"),
    (["10.0.0.0/8", "A", "nonsense"], "unknown category"),
    (["10.0.0.0/8"], "expected"),
])
def test_bad_rows_are_refused(row: list[str], why: str) -> None:
    with pytest.raises(ValueError):
        parse_ranges([row])


def test_duplicates_are_refused() -> None:
    with pytest.raises(ValueError, match="twice"):
        parse_ranges([["10.0.0.0/8", "A", "cloud"], ["10.0.0.0/8", "B", "cloud"]])


def test_the_shipped_file_parses_and_names_well_known_resolvers() -> None:
    r = load_ranges()
    assert r.lookup_text("1.1.1.1") == ("Cloudflare DNS", "infrastructure")
    assert r.lookup_text("104.16.1.1") == ("Cloudflare", "cdn")
    assert r.lookup_text("8.8.8.8") == ("Google Public DNS", "infrastructure")
    assert r.lookup_text("2a03:2880:f003::1") == ("Facebook", "social")
    assert r.lookup_text("192.168.1.1") is None
