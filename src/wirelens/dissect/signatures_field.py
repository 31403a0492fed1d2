"""Content signatures of storage, healthcare and field-device protocols.

Identification only (see :mod:`wirelens.dissect.signatures_base`).
"""

from __future__ import annotations

from wirelens.dissect.base import Dissector

FIELD_SIGNATURES: tuple[type[Dissector], ...] = ()
"""This module's signature dissectors in priority order (strictest first)."""
