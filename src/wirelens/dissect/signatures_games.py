"""Content signatures of online games and game networking.

Identification only (see :mod:`wirelens.dissect.signatures_base`).
"""

from __future__ import annotations

from wirelens.dissect.base import Dissector

GAME_SIGNATURES: tuple[type[Dissector], ...] = ()
"""This module's signatures in priority order (strictest first)."""

__all__ = ["GAME_SIGNATURES"]
