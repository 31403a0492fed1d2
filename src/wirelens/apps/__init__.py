"""Applications of flows: a maintained catalogue of domain suffixes -> (application,
category) and a bounded DNS answer cache that names flows without a name of their own.

>>> from wirelens.apps import lookup
>>> lookup("www.youtube.com")
('YouTube', 'video')

Imports only ``wirelens.core``.
"""

from wirelens.apps.catalogue import (
    CATALOGUE_PATH,
    CATEGORIES,
    Catalogue,
    load_catalogue,
    lookup,
    parse_catalogue,
)
from wirelens.apps.dns_cache import DnsCache, canonical_address

__all__ = [
    "CATALOGUE_PATH",
    "CATEGORIES",
    "Catalogue",
    "DnsCache",
    "canonical_address",
    "load_catalogue",
    "lookup",
    "parse_catalogue",
]
