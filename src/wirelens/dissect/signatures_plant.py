"""Content signatures of industrial, instrument and railway field buses over IP.

Identification only (see :mod:`wirelens.dissect.signatures_base`).
"""

from __future__ import annotations

from wirelens.dissect.base import Dissector

PLANT_SIGNATURES: tuple[type[Dissector], ...] = ()
"""This module's signatures in priority order (strictest first)."""

__all__ = ["PLANT_SIGNATURES"]
