"""Content signatures of middleware, RPC and remote-debugging services.

Identification only (see :mod:`wirelens.dissect.signatures_base`).
"""

from __future__ import annotations

from wirelens.dissect.base import Dissector

MIDDLEWARE_SIGNATURES: tuple[type[Dissector], ...] = ()
"""This module's signature dissectors in priority order (strictest first)."""
