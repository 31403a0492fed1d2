"""What the runner asks of a DPI stage, and the part of it that needs no dissector.

:class:`FinishedFlows` is what a stage decided for the flows that ended. The roles of a flow
joined in its middle are turned by its ports, as Zeek does (:func:`reversed_by_ports`), with
DPI or without. :class:`NoDpi` is the stage of a flows-only run (``--dpi off``): it reads no
payload and names nothing, so a flows-only run neither imports the dissectors nor loads
their kernels (~0.2 s of start-up); the dissectors' well-known ports it needs come written
out in :mod:`wirelens.pipeline.well_known_ports`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from wirelens.pipeline.well_known_ports import TCP, UDP

EPHEMERAL_PORTS = 32768
"""Where client (ephemeral) port ranges begin (RFC 6335 §6 suggests 49152; Linux uses 32768):
a well-known port at or above it is not taken as the sign of a server."""
HANDSHAKE_LETTERS = np.frombuffer(b"SHsh", np.uint8)
"""History letters of a SYN or SYN-ACK (either side): the roles are TCP's."""


@dataclass(frozen=True, slots=True)
class FinishedFlows:
    """Per ended flow (parallel lists): what DPI decided."""

    service: list[str | None]
    """Service identified by content, or None."""
    service_source: list[str | None]
    """How the flow was identified: ``content``, ``port`` (service guessed from the
    responder port), ``dns-cache`` (no service; named from earlier DNS answers), or None (the
    runner may then fill ``continued``: :mod:`wirelens.pipeline.continued`)."""
    server_name: list[str | None]
    """The flow's name: its own (SNI, Host, DNS query) or one from the DNS cache."""
    name_source: list[str | None]
    """How the name was found: the naming dissector's ``name_source`` (sni, http_host, ...),
    certificate, dns_cache, or None."""

    @classmethod
    def none(cls, n: int) -> FinishedFlows:
        """Nothing decided for ``n`` flows."""
        return cls([None] * n, [None] * n, [None] * n, [None] * n)


def reversed_by_ports(cols: dict[str, np.ndarray], well_known: Callable[[int], np.ndarray],
                      decided: Callable[[list[int]], list[bool]] | None = None) -> np.ndarray:
    """Flows whose roles nothing else decided, turned round as Zeek does for a conversation
    joined in its middle: no SYN or SYN-ACK seen, no content identified them (``decided``:
    per flow id, whether content did), the side seen first used a well-known port of a
    dissector (``well_known(proto)[port]`` nonzero) below :data:`EPHEMERAL_PORTS` and the
    other side a port of 1024 or more that is none."""
    orig_p, resp_p, proto = cols["orig_p"], cols["resp_p"], cols["proto"]
    mask = np.zeros(len(orig_p), bool)
    for pr in (6, 17):
        codes = well_known(pr)
        mask |= ((proto == pr) & (orig_p < EPHEMERAL_PORTS) & (resp_p >= 1024)
                 & (codes[orig_p] != 0) & (codes[resp_p] == 0))
    cand = np.flatnonzero(mask)
    if cand.size:
        shook = np.isin(cols["history"][cand], HANDSHAKE_LETTERS).any(axis=1)
        mask[cand[shook]] = False
        if decided is not None:
            left = cand[~shook]
            mask[left[np.array(decided(cols["flow_id"][left].tolist()), bool)]] = False
    return mask


_WELL_KNOWN: dict[int, np.ndarray] = {}


def well_known_ports(proto: int) -> np.ndarray:
    """1 at each well-known port of the dissectors on ``proto`` (6 or 17), as written out in
    :mod:`wirelens.pipeline.well_known_ports`."""
    found = _WELL_KNOWN.get(proto)
    if found is None:
        found = _WELL_KNOWN[proto] = np.zeros(1 << 16, np.uint8)
        found[sorted(TCP if proto == 6 else UDP)] = 1
    return found


class NoDpi:
    """The DPI stage of a flows-only run: no payload read, no flow named; the roles of flows
    joined in their middle turned by their ports, as with DPI."""

    salt = 0
    payload_packets = 0
    python_packets = 0

    def take_reversed(self, cols: dict[str, np.ndarray]) -> np.ndarray:
        return reversed_by_ports(cols, well_known_ports)

    def finish_flows(self, cols: dict[str, np.ndarray]) -> FinishedFlows:
        return FinishedFlows.none(len(cols["flow_id"]))

    def take_events(self) -> list[tuple[str, Any]]:
        return []

    def take_weirds(self) -> list[dict[str, Any]]:
        return []

    def close(self) -> None:
        pass


__all__ = ["EPHEMERAL_PORTS", "HANDSHAKE_LETTERS", "FinishedFlows", "NoDpi", "reversed_by_ports",
           "well_known_ports"]
