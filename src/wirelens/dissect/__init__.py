"""Sans-IO L7 dissectors and their registry (no numpy here, by contract).

:data:`DISSECTORS` lists them in priority order: those that write protocol tables (DNS,
HTTP/1.x and HTTP/2, TLS and DTLS, QUIC, SSH, DHCP, the mail protocols, SMB, Kerberos, ...)
and the identification-only content signatures (:mod:`.signatures`). The DPI stage asks
:func:`identify` which dissector a flow's first payload belongs to, creates it with
``cls(proto)``, feeds it payload bytes in order per direction (a dissector may hand the rest
of the flow to another: ``Dissector.upgrade``) and calls ``finish()`` when the flow ends.
Dissectors raise nothing but :class:`wirelens.wire.errors.ParseError`.
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
