"""Content signatures of messaging, VPN and consumer device services.

Identification only (see :mod:`wirelens.dissect.signatures_base`).
"""

from __future__ import annotations

from wirelens.dissect.base import Dissector

MESSAGING_SIGNATURES: tuple[type[Dissector], ...] = ()
"""This module's signatures in priority order (strictest first)."""

__all__ = ["MESSAGING_SIGNATURES"]
