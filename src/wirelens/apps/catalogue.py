"""The application catalogue: domain suffix -> (application, category).

The data lives in ``catalogue.csv`` next to this module (``suffix,application,category``, one
row per suffix, ``#`` comments). It lists well-known domains of popular services; no address
ranges are kept (names only). Matching is on whole labels (RFC 1034 section 3.1: a name is a
sequence of labels), so ``notyoutube.com`` never matches ``youtube.com``.
"""

from __future__ import annotations

import csv
from functools import lru_cache
from pathlib import Path

__all__ = ["CATALOGUE_PATH", "CATEGORIES", "Catalogue", "load_catalogue", "lookup", "parse_catalogue"]

CATALOGUE_PATH = Path(__file__).with_name("catalogue.csv")
"""The maintained data file."""

CATEGORIES: frozenset[str] = frozenset({
    "search",          # web search engines
    "video",           # video streaming and video platforms
    "audio",           # music, podcasts, radio
    "social",          # social networks, forums, dating, creator platforms
    "messaging",       # instant messaging and voice/video chat apps
    "email",           # web mail and mail providers
    "cloud_storage",   # file sync and storage
    "collaboration",   # meetings, team chat, shared documents, project tools
    "productivity",    # office, identity, CRM, password managers
    "ai",              # AI assistants and model hubs
    "updates",         # OS and software update / package distribution of vendors
    "cdn",             # content delivery networks
    "cloud",           # cloud platforms and hosting
    "ads",             # advertising
    "tracking",        # analytics, telemetry, crash reporting
    "vpn",             # VPN and anonymity services
    "shopping",        # e-commerce, app stores, travel, delivery
    "finance",         # payments, banks, crypto exchanges, crowdfunding
    "news",            # news and publishing
    "reference",       # encyclopaedias, maps, weather, learning, jobs
    "gaming",          # game stores, consoles, online games
    "developer",       # code hosting, package registries, developer docs and tools
    "security",        # anti-virus and security vendors
    "infrastructure",  # DNS resolvers, PKI/OCSP, time, connectivity checks, vendor backends
    "remote_access",   # remote desktop tools
    "file_sharing",    # peer-to-peer and file sharing sites
    "adult",           # adult content
})
"""The fixed list of categories a catalogue row may use."""


class Catalogue:
    """Suffix table: one dict lookup per label of the name (O(labels))."""

    __slots__ = ("_by_suffix",)

    def __init__(self, rows: dict[str, tuple[str, str]]) -> None:
        self._by_suffix = rows

    def __len__(self) -> int:
        return len(self._by_suffix)

    def items(self) -> list[tuple[str, tuple[str, str]]]:
        """(suffix, (application, category)) rows."""
        return list(self._by_suffix.items())

    def lookup(self, name: str) -> tuple[str, str] | None:
        """(application, category) of the longest listed suffix of ``name`` ending on a label
        boundary; case-insensitive, a trailing dot (absolute name) ignored; None if none."""
        name = name.strip().rstrip(".").lower()
        if not name:
            return None
        table = self._by_suffix
        pos = 0
        while True:  # longest first: the whole name, then drop one leading label at a time
            hit = table.get(name[pos:])
            if hit is not None:
                return hit
            dot = name.find(".", pos)
            if dot < 0:
                return None
            pos = dot + 1


def parse_catalogue(text: str) -> dict[str, tuple[str, str]]:
    """Rows of a catalogue file; raises ValueError on a malformed row, an unknown category
    or a duplicate suffix."""
    rows: dict[str, tuple[str, str]] = {}
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    for lineno, rec in enumerate(csv.reader(lines), 1):
        if len(rec) != 3:
            raise ValueError(f"catalogue row {lineno}: expected 3 fields, got {rec!r}")
        suffix, app, cat = (x.strip() for x in rec)
        suffix = suffix.rstrip(".").lower()
        if not suffix or not app or cat not in CATEGORIES:
            raise ValueError(f"catalogue row {lineno}: bad row {rec!r}")
        if suffix in rows:
            raise ValueError(f"catalogue row {lineno}: duplicate suffix {suffix!r}")
        rows[suffix] = (app, cat)
    return rows


@lru_cache(maxsize=1)
def load_catalogue() -> Catalogue:
    """The shipped catalogue, read once per process."""
    return Catalogue(parse_catalogue(CATALOGUE_PATH.read_text(encoding="utf-8")))


def lookup(name: str) -> tuple[str, str] | None:
    """(application, category) for a host name, e.g. ``www.youtube.com`` ->
    ``("YouTube", "video")``; None when no listed suffix matches."""
    return load_catalogue().lookup(name)
