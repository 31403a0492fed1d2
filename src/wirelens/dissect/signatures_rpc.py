"""Content signatures of RPC, text and finance protocols.

Identification only (see :mod:`wirelens.dissect.signatures_base`).
"""

from __future__ import annotations

from wirelens.dissect.base import Dissector

RPC_SIGNATURES: tuple[type[Dissector], ...] = ()
"""This module's signatures in priority order (strictest first)."""

__all__ = ["RPC_SIGNATURES"]
