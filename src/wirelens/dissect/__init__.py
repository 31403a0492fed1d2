"""Sans-IO L7 dissectors (DNS, HTTP/1.x, TLS) and their registry (no numpy here, by contract).

The flow layer asks :func:`identify` which dissector a flow's first payload belongs to,
creates it with ``cls(proto)``, feeds it payload bytes in order per direction and calls
``finish()`` when the flow ends. Dissectors raise nothing but
:class:`wirelens.wire.errors.ParseError`.
"""

from wirelens.dissect.base import Dissector, Event
from wirelens.dissect.dns import DnsDissector, DnsRecord
from wirelens.dissect.http import HttpDissector, HttpRecord
from wirelens.dissect.registry import DISSECTORS, by_name, identify
from wirelens.dissect.tls import TlsDissector, TlsRecord

__all__ = [
    "DISSECTORS",
    "Dissector",
    "DnsDissector",
    "DnsRecord",
    "Event",
    "HttpDissector",
    "HttpRecord",
    "TlsDissector",
    "TlsRecord",
    "by_name",
    "identify",
]
