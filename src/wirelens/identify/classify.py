"""Public wrapper of the identification fast path: validate, allocate, one kernel call."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from wirelens.identify._kernel import NAME_RESERVE, _classify
from wirelens.identify._tls import SCRATCH_BYTES
from wirelens.identify.services import Service

__all__ = ["Classified", "classify"]


@dataclass(frozen=True, slots=True)
class Classified:
    """What the fast path decided for each looked-at packet (row ``k`` is ``idx[k]``)."""

    service: np.ndarray
    """uint8 [m]: :class:`Service` code decided from this payload alone (0 = UNKNOWN)."""
    candidates: np.ndarray
    """uint8 [m]: bit ``1 << code`` set for every service whose content test matched (the
    port tie-break picked ``service`` among them)."""
    name_off: np.ndarray
    """int32 [m]: offset of the hot field in :attr:`names` (-1: none)."""
    name_len: np.ndarray
    """int32 [m]: its length in bytes."""
    names: np.ndarray
    """uint8 buffer of the extracted names: DNS query names as dotted text (``\\DDD``
    escapes as dns.py writes them), TLS SNI (``\\xNN`` for non-ASCII bytes, as tls.py), the
    request Host without its port (latin-1 bytes as sent)."""

    def __len__(self) -> int:
        return int(self.service.shape[0])

    def name(self, k: int) -> str | None:
        """The hot field of row ``k`` as text (server name / query), None when absent."""
        off = int(self.name_off[k])
        if off < 0:
            return None
        return bytes(self.names[off : off + int(self.name_len[k])]).decode("latin-1")

    def service_of(self, k: int) -> Service:
        """Row ``k``'s service as a :class:`Service`."""
        return Service(int(self.service[k]))


def classify(
    data: np.ndarray,
    payload_off: np.ndarray,
    payload_len: np.ndarray,
    proto: np.ndarray,
    idx: np.ndarray,
    sport: np.ndarray | None = None,
    dport: np.ndarray | None = None,
) -> Classified:
    """Identify the service of the packets ``idx`` and extract their hot field.

    ``data`` is ``RawBatch.data`` (uint8); ``payload_off``, ``payload_len`` and ``proto`` are
    the :class:`~wirelens.core.batch.PacketBatch` columns; ``idx`` the indices of the
    packets to look at. With ``sport``/``dport`` (PacketBatch columns), a payload matching
    several content tests is resolved by well-known ports exactly as
    ``wirelens.dissect.registry.identify`` does; without, by priority alone. Rows whose
    index or payload window is out of range are UNKNOWN (never read).
    """
    data = np.ascontiguousarray(data, dtype=np.uint8).reshape(-1)
    poff = np.ascontiguousarray(payload_off, dtype=np.int64)
    plen = np.ascontiguousarray(payload_len, dtype=np.uint32)
    pr = np.ascontiguousarray(proto, dtype=np.uint8)
    ix = np.ascontiguousarray(idx, dtype=np.int64).reshape(-1)
    if not (poff.shape == plen.shape == pr.shape) or poff.ndim != 1:
        raise ValueError("payload_off, payload_len and proto must be 1-d columns of one length")
    use_ports = sport is not None and dport is not None
    if use_ports:
        sp = np.ascontiguousarray(sport, dtype=np.uint16)
        dp = np.ascontiguousarray(dport, dtype=np.uint16)
        if sp.shape != poff.shape or dp.shape != poff.shape:
            raise ValueError("sport and dport must have the length of the other columns")
    else:
        sp = dp = np.zeros(poff.shape[0], np.uint16)
    m = ix.shape[0]
    service = np.zeros(m, np.uint8)
    cands = np.zeros(m, np.uint8)
    name_off = np.full(m, -1, np.int32)
    name_len = np.zeros(m, np.int32)
    names = np.empty(64 * m + 4 * NAME_RESERVE, np.uint8)
    scratch = np.empty(SCRATCH_BYTES, np.uint8)
    ref = np.zeros(2, np.int64)
    start, end = 0, 0
    while True:
        start, end = _classify(data, poff, plen, pr, sp, dp, use_ports, ix, start, service,
                               cands, name_off, name_len, names, end, scratch, ref)
        if start >= m:
            break
        need = end + 4 * int(plen[ix[start]]) + NAME_RESERVE
        grown = np.empty(max(2 * names.shape[0], need), np.uint8)
        grown[:end] = names[:end]
        names = grown
    return Classified(service, cands, name_off, name_len, names[:end].copy())
