"""Address ranges of services, as their owners document them: address -> (application, category).

The data lives in ``ranges.csv`` next to this module (``prefix,application,category,
documented_at``; ``#`` comments). It names flows that carry no name at all (no SNI, Host or
DNS query, and no earlier DNS answer for the address): the conn ``service_source`` then says
``catalogue``. Lookup is a vectorised longest-prefix match over the 128-bit address columns
of the flow table (IPv4 as IPv4-mapped IPv6, RFC 4291 §2.5.5.2): one ``searchsorted`` per
distinct prefix length. IPv6 prefixes are at most /64 (the high half is the key).
"""

from __future__ import annotations

import csv
import ipaddress
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from wirelens.apps.catalogue import CATEGORIES

__all__ = ["RANGES_PATH", "AddressRanges", "load_ranges", "parse_ranges"]

RANGES_PATH = Path(__file__).with_name("ranges.csv")
"""The maintained data file."""

_V4_MAPPED = np.uint64(0xFFFF)


@dataclass(frozen=True)
class _Level:
    """All prefixes of one length of one family: sorted network keys and their entries."""

    length: int
    keys: np.ndarray  # uint64, sorted
    entry: np.ndarray  # int32 index into AddressRanges.entries


@dataclass(frozen=True)
class AddressRanges:
    """Parsed ranges, ready for vectorised lookups."""

    entries: tuple[tuple[str, str], ...]
    """(application, category) per distinct pair."""
    v4: tuple[_Level, ...]
    """IPv4 levels, longest prefix first."""
    v6: tuple[_Level, ...]
    """IPv6 levels (keys = the high 64 bits), longest prefix first."""

    def lookup(self, hi: np.ndarray, lo: np.ndarray) -> np.ndarray:
        """Entry index (int32, -1 = no range) of each 128-bit address ``(hi, lo)``."""
        hi = np.asarray(hi, np.uint64)
        lo = np.asarray(lo, np.uint64)
        out = np.full(hi.shape[0], -1, np.int32)
        is_v4 = (hi == 0) & ((lo >> np.uint64(32)) == _V4_MAPPED)
        self._match(self.v4, lo & np.uint64(0xFFFF_FFFF), 32, is_v4, out)
        self._match(self.v6, hi, 64, ~is_v4, out)
        return out

    @staticmethod
    def _match(levels: tuple[_Level, ...], key: np.ndarray, bits: int, rows: np.ndarray,
               out: np.ndarray) -> None:
        for lvl in levels:
            todo = np.flatnonzero(rows & (out < 0))
            if todo.size == 0:
                return
            net = key[todo] >> np.uint64(bits - lvl.length)
            pos = np.searchsorted(lvl.keys, net)
            pos[pos >= lvl.keys.shape[0]] = 0
            hit = lvl.keys[pos] == net
            out[todo[hit]] = lvl.entry[pos[hit]]

    def lookup_text(self, address: str) -> tuple[str, str] | None:
        """(application, category) of one address written as text, or None."""
        ip = ipaddress.ip_address(address)
        value = int(ip) | (0xFFFF << 32) if ip.version == 4 else int(ip)
        k = int(self.lookup(np.array([value >> 64], np.uint64),
                            np.array([value & (2**64 - 1)], np.uint64))[0])
        return self.entries[k] if k >= 0 else None


def parse_ranges(rows: list[list[str]]) -> AddressRanges:
    """Build the lookup from CSV rows; raises ValueError on a bad prefix, an unknown category,
    an IPv6 prefix longer than /64 or the same prefix listed twice."""
    entries: dict[tuple[str, str], int] = {}
    by_len: dict[tuple[int, int], dict[int, int]] = {}
    for row in rows:
        if not row or not row[0].strip() or row[0].lstrip().startswith("#"):
            continue
        if len(row) < 3:
            raise ValueError(f"ranges.csv: expected prefix,application,category: {row}")
        net = ipaddress.ip_network(row[0].strip(), strict=True)
        app, cat = row[1].strip(), row[2].strip()
        if cat not in CATEGORIES:
            raise ValueError(f"ranges.csv: unknown category {cat!r} for {net}")
        if net.version == 6 and net.prefixlen > 64:
            raise ValueError(f"ranges.csv: IPv6 prefixes must be /64 or shorter: {net}")
        width = 32 if net.version == 4 else 128
        key = int(net.network_address) >> (width - net.prefixlen)
        level = by_len.setdefault((net.version, net.prefixlen), {})
        if key in level:
            raise ValueError(f"ranges.csv: {net} listed twice")
        level[key] = entries.setdefault((app, cat), len(entries))
    levels: dict[int, list[_Level]] = {4: [], 6: []}
    for (version, length), level in sorted(by_len.items(), key=lambda kv: -kv[0][1]):
        keys = np.array(sorted(level), np.uint64)
        levels[version].append(_Level(length, keys,
                                      np.array([level[int(k)] for k in keys], np.int32)))
    return AddressRanges(tuple(entries), tuple(levels[4]), tuple(levels[6]))


@lru_cache(maxsize=1)
def load_ranges(path: Path = RANGES_PATH) -> AddressRanges:
    """The ranges of ``ranges.csv`` (parsed once)."""
    with path.open(newline="", encoding="utf-8") as fh:
        return parse_ranges(list(csv.reader(fh)))
