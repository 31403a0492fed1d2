"""Content signatures of LAN services, discovery and voice or game chat.

Identification only (see :mod:`wirelens.dissect.signatures_base`).
"""

from __future__ import annotations

from wirelens.dissect.base import Dissector

LAN_SIGNATURES: tuple[type[Dissector], ...] = ()
"""This module's signature dissectors in priority order (strictest first)."""
