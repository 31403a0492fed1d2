"""Reference for ``wirelens.identify``: the Python registry and dissectors themselves.

``reference`` says what the pure-Python path decides for one payload (the service by
``registry.identify``; the name a fresh dissector reports after being fed that payload alone),
and ``marked_payloads`` walks a capture the way the pipeline does (capture -> decode -> flow
table DPI marks) and yields each marked payload with the fast path's verdict.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from wirelens.capture import open_capture
from wirelens.decode import Decoder
from wirelens.dissect import registry
from wirelens.dissect.registry import identify
from wirelens.flow import FlowTable
from wirelens.identify import Service, classify, service_name
from wirelens.wire.errors import ParseError


@dataclass(frozen=True, slots=True)
class Marked:
    """One DPI-marked payload and the fast path's verdict on it."""

    payload: bytes
    proto: int
    sport: int
    dport: int
    from_orig: bool
    service: str | None
    name: str | None


def reference(payload: bytes, proto: int, from_orig: bool, sport: int,
              dport: int) -> tuple[str | None, str | None, bool]:
    """(service, name, raised) of the Python path for one payload fed alone.

    ``name`` is the dissector's ``server_name`` once the payload is fed ("" counts as none);
    ``raised`` says the dissector refused the payload (``ParseError``); a payload named by
    the weaker test asked on the class's own port (``matches_on_own_port``: a DNS message
    cut short) is read as far as it goes.
    """
    compiled = {s.dissector_name for s in Service} - {None}
    others = frozenset(c.name for c in registry.DISSECTORS if c.name not in compiled)
    cls = identify(payload, proto, from_orig, sport, dport, others)  # the compiled services only
    if cls is None:
        return None, None, False
    d = cls(proto)
    raised = False
    try:
        d.feed(payload, from_orig, 0)
    except ParseError:
        raised = True
    return cls.name, (getattr(d, "server_name", None) or None), raised


def marked_payloads(path: Path | str, max_batch_bytes: int = 1 << 22) -> Iterator[Marked]:
    """Every payload the flow table marks for DPI in ``path`` (first payload packets of each
    flow), classified by the fast path one batch at a time."""
    dec = Decoder()
    table = FlowTable()
    with open_capture(path, batch_bytes=max_batch_bytes) as src:
        for raw in src:
            pkts = dec.decode(raw)
            step = table.process(raw, pkts)
            idx = np.flatnonzero(step.pkt_dpi)
            if idx.size == 0:
                continue
            got = classify(raw.data, pkts.payload_off, pkts.payload_len, pkts.proto, idx,
                           pkts.sport, pkts.dport)
            for k, i in enumerate(idx.tolist()):
                off, n = int(pkts.payload_off[i]), int(pkts.payload_len[i])
                yield Marked(bytes(raw.data[off : off + n]), int(pkts.proto[i]),
                             int(pkts.sport[i]), int(pkts.dport[i]), int(step.pkt_dir[i]) == 0,
                             service_name(int(got.service[k])), got.name(k))
