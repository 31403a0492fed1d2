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
from wirelens.apps.ranges import RANGES_PATH, AddressRanges, load_ranges, parse_ranges

__all__ = [
    "CATALOGUE_PATH",
    "CATEGORIES",
    "RANGES_PATH",
    "AddressRanges",
    "Catalogue",
    "DnsCache",
    "canonical_address",
    "load_catalogue",
    "load_ranges",
    "lookup",
    "parse_catalogue",
    "parse_ranges",
]
