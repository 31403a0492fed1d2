"""Compiled identification fast path: service and hot field (TLS SNI, DNS query name, HTTP
Host) of DPI-marked payloads, in one numba kernel call per batch, mirroring the content tests
of the Python dissectors (``wirelens.dissect``), which remain the reference.

Imports only numpy, numba and ``wirelens.core``.
"""

from wirelens.identify.classify import Classified, classify
from wirelens.identify.services import PORTS, PRIORITY, Service, service_name

__all__ = ["PORTS", "PRIORITY", "Classified", "Service", "classify", "service_name"]
