"""The registry of services the compiled fast path can identify.

Codes are stable wire-style numbers (append only, never renumber); each service's ``name``
equals the name of the Python dissector that handles it (``wirelens.dissect``), so the DPI
stage can map a code to its dissector without a table of its own.
"""

from __future__ import annotations

from enum import IntEnum

__all__ = ["PORTS", "PRIORITY", "Service", "service_name"]


class Service(IntEnum):
    """Service codes decided from one payload (``Classified.service``)."""

    UNKNOWN = 0
    DNS = 1
    HTTP = 2
    TLS = 3

    @property
    def dissector_name(self) -> str | None:
        """Name of the Python dissector for this service (None for UNKNOWN)."""
        return None if self is Service.UNKNOWN else self.name.lower()


PRIORITY: tuple[Service, ...] = (Service.TLS, Service.HTTP, Service.DNS)
"""Priority order of the content tests (the same as ``wirelens.dissect.registry.DISSECTORS``):
the strictest test first, header plausibility (DNS) last."""

PORTS: dict[Service, frozenset[int]] = {
    Service.TLS: frozenset((443, 465, 636, 853, 993, 995, 8443)),
    Service.HTTP: frozenset((80, 8000, 8008, 8080, 8888, 3128)),
    Service.DNS: frozenset((53, 5353, 5355)),
}
"""Well-known ports per service; they only break ties between several content matches (a
port alone never identifies a flow). Mirrors the dissectors' ``ports``."""


_NAMES: dict[int, str | None] = {s.value: s.dissector_name for s in Service}


def service_name(code: int) -> str | None:
    """The dissector name of a service code (None for UNKNOWN or an unknown code); a dict
    lookup, as it is asked per payload packet (``Service(code)`` costs ~1 µs)."""
    return _NAMES.get(code)
