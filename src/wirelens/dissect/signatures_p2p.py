"""Content signatures of peer-to-peer, cryptocurrency and consumer services.

Identification only (see :mod:`wirelens.dissect.signatures_base`).
"""

from __future__ import annotations

from wirelens.dissect.base import Dissector

P2P_SIGNATURES: tuple[type[Dissector], ...] = ()
"""This module's signature dissectors in priority order (strictest first)."""
