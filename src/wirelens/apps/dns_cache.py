"""A bounded address -> name cache fed by DNS answers (least recently used forgotten first).

A flow that carries no name of its own (no SNI, no Host) can still be named by the DNS
answer that gave its client the address: every A/AAAA record (RFC 1035 section 3.4.1,
RFC 3596 section 2.2) of a response maps to the question's name, i.e. the first name of a
CNAME chain (RFC 1034 section 3.6.2), which is the name the user asked for.
"""

from __future__ import annotations

import ipaddress
from collections import OrderedDict
from collections.abc import Iterable

from wirelens.core.limits import DNS_CACHE_MAX_ENTRIES

__all__ = ["DnsCache", "canonical_address"]


def canonical_address(text: str) -> str | None:
    """The address in the text form the conn table uses (dotted IPv4, RFC 5952 IPv6), or None
    when ``text`` is not an address (a CNAME target, TXT data, ...)."""
    text = text.strip()
    if ":" not in text:  # IPv4 or a name: no parser needed for the common dotted quad
        parts = text.split(".")
        if len(parts) != 4:
            return None
        for p in parts:
            if not (p.isdigit() and p.isascii()) or (len(p) > 1 and p[0] == "0") or int(p) > 255:
                return None
        return text
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return None


class DnsCache:
    """LRU map address -> queried name, at most ``max_entries`` addresses."""

    __slots__ = ("_map", "evicted", "max_entries")

    def __init__(self, max_entries: int = DNS_CACHE_MAX_ENTRIES) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be >= 1")
        self.max_entries = max_entries
        self._map: OrderedDict[str, str] = OrderedDict()
        self.evicted = 0
        """Entries forgotten because the cache was full."""

    def __len__(self) -> int:
        return len(self._map)

    def add(self, address: str, name: str) -> None:
        """Remember that ``address`` was an answer for ``name`` (refreshes recency)."""
        m = self._map
        if address in m:
            m.move_to_end(address)
        elif len(m) >= self.max_entries:
            m.popitem(last=False)
            self.evicted += 1
        m[address] = name

    def add_answers(self, query: str | None, answers: Iterable[str]) -> int:
        """Remember every address among a response's readable answers for ``query``;
        returns how many were added."""
        if not query:
            return 0
        name = query.rstrip(".").lower()
        n = 0
        for text in answers:
            addr = canonical_address(text)
            if addr is not None:
                self.add(addr, name)
                n += 1
        return n

    def get(self, address: str) -> str | None:
        """The name last answered with ``address`` (refreshes recency), or None."""
        m = self._map
        name = m.get(address)
        if name is not None:
            m.move_to_end(address)
        return name
