"""The one registry of dissectors, in priority order.

Identification is by content: each class's :meth:`~wirelens.dissect.base.Dissector.matches`
looks at the first payload of a flow. Ports only break ties between several content
matches. To add a dissector, import it here and put it in :data:`DISSECTORS`.
"""

from __future__ import annotations

from wirelens.dissect.base import Dissector
from wirelens.dissect.dns import DnsDissector
from wirelens.dissect.http import HttpDissector
from wirelens.dissect.tls import TlsDissector

__all__ = ["DISSECTORS", "by_name", "identify"]

DISSECTORS: tuple[type[Dissector], ...] = (
    TlsDissector,  # strictest content test first
    HttpDissector,
    DnsDissector,  # header plausibility: the loosest test, last
)
"""Every dissector, in priority order (first content match wins unless a port says
otherwise)."""

_BY_NAME = {cls.name: cls for cls in DISSECTORS}


def by_name(name: str) -> type[Dissector] | None:
    """The dissector class registered under ``name`` (``"dns"``, ``"http"``, ``"tls"``)."""
    return _BY_NAME.get(name)


def identify(
    payload: bytes, proto: int, from_orig: bool, sport: int, dport: int
) -> type[Dissector] | None:
    """The dissector for a flow, from its first payload in one direction.

    Candidates are the dissectors running on ``proto`` whose content test accepts
    ``payload``. With several candidates, the first (in priority order) whose well-known
    ports include ``sport`` or ``dport`` wins; without, the first candidate. ``None`` when
    no content test matches (a port alone never identifies a flow).
    """
    if not payload:
        return None
    candidates = [
        cls
        for cls in DISSECTORS
        if proto in cls.transports and cls.matches(payload, proto, from_orig)
    ]
    if len(candidates) <= 1:
        return candidates[0] if candidates else None
    for cls in candidates:
        if sport in cls.ports or dport in cls.ports:
            return cls
    return candidates[0]
