"""The run summary: counts and top lists accumulated batch by batch (no second pass)."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np

from wirelens.pipeline.columns import format_addrs, group_rows
from wirelens.pipeline.hosts import HostTotals
from wirelens.pipeline.records import PROTO_NAMES

ARP_PAIRS_KEPT = 10_000
"""ARP host pairs counted at most (the summary shows the top 20); past twice as many, the
busiest are kept (an ARP sweep of a large network would otherwise grow the count without
bound)."""
ARP_FOLD_AT = 100_000
"""ARP packets gathered (16 bytes each) before they are counted per pair: counting per batch
formatted the same addresses again and again."""

STAGES = ("read", "decode", "flows", "dpi", "records", "output", "other")
"""Stages of a run's time: reading the capture (walking records), decoding (and fragment
reassembly), the flow table, DPI (identification and dissectors), building the tables'
rows (Arrow), handing them to the sinks (Parquet), and the rest (summary, progress)."""


class Laps:
    """Wall time by stage: each call gives the time since the previous call to a stage."""

    def __init__(self, into: dict[str, float]) -> None:
        for stage in STAGES:
            into.setdefault(stage, 0.0)
        self.into = into
        self.last = time.perf_counter()

    def __call__(self, stage: str) -> None:
        now = time.perf_counter()
        self.into[stage] += now - self.last
        self.last = now


@dataclass
class RunSummary:
    """What one analysis run read and found. ``to_dict()`` is the ``--json`` output."""

    run_id: str
    inputs: list[str]
    packets: int = 0
    bytes: int = 0
    ip_packets: int = 0
    non_ip_packets: int = 0
    arp_packets: int = 0
    malformed_packets: int = 0
    unknown_link_packets: int = 0
    fragments: int = 0
    flows: int = 0
    flows_evicted: int = 0
    dpi_packets: int = 0
    """Payload packets classified by the compiled identification."""
    dpi_python_packets: int = 0
    """Of those, packets handed to Python (dissectors of identified flows)."""
    first_packet_ns: int | None = None
    last_packet_ns: int | None = None
    writer_peak_rss: int | None = None
    """Peak resident memory (bytes) of the process that wrote the lake, when one did: the
    run's memory is the analysis process's plus this."""
    elapsed_s: float = 0.0
    stage_s: dict[str, float] = field(default_factory=dict)
    """Where ``elapsed_s`` went, by stage (:data:`STAGES`)."""
    problems: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    """Remarks on the inputs that damaged nothing (a file whose packets start before the end
    of those read before it)."""
    interrupted: bool = False
    """The run was stopped on request before the end of its inputs (see ``notices``)."""
    skipped_inputs: list[str] = field(default_factory=list)
    unreadable_inputs: list[str] = field(default_factory=list)
    files: int = 0
    protocols: Counter[str] = field(default_factory=Counter)
    services: Counter[str] = field(default_factory=Counter)
    weirds: Counter[str] = field(default_factory=Counter)
    link_types: Counter[str] = field(default_factory=Counter)
    rows: Counter[str] = field(default_factory=Counter)
    arp_pairs: Counter[str] = field(default_factory=Counter)
    """ARP packets per ``"sender -> target"`` pair (complete after :meth:`to_dict`)."""
    _arp: list[np.ndarray] = field(default_factory=list)
    _arp_rows: int = 0
    _hosts: HostTotals = field(default_factory=HostTotals)
    """Bytes and flows per host (the top talkers)."""
    out: str | None = None

    @property
    def read_nothing(self) -> str | None:
        """Why the run read nothing at all (no capture file in its inputs, or none could be
        opened), else None: the command line's exit status 1, the Python API's error."""
        if self.files == 0:
            return "no capture files found in the inputs"
        if len(self.unreadable_inputs) == self.files:
            return "; ".join(self.problems[: 3]) + (" ..." if len(self.problems) > 3 else "")
        return None

    @property
    def packets_per_s(self) -> float:
        return self.packets / self.elapsed_s if self.elapsed_s > 0 else 0.0

    def add_flows(self, cols: dict[str, np.ndarray], services: list[str | None]) -> None:
        """Count ended flows (the flow table's columns) by protocol, service and host."""
        self.flows += len(cols["proto"])
        counts = np.bincount(cols["proto"], minlength=256)  # (a tenth of np.unique's time)
        for code in np.flatnonzero(counts).tolist():
            self.protocols[PROTO_NAMES.get(code, str(code))] += int(counts[code])
        self.services.update(x for x in services if x is not None)
        ip_bytes = (cols["orig_ip_bytes"] + cols["resp_ip_bytes"]).astype(np.float64)
        for side in ("orig", "resp"):
            self._hosts.add(cols[f"{side}_hi"], cols[f"{side}_lo"], ip_bytes)

    def add_arp(self, senders: np.ndarray, targets: np.ndarray) -> None:
        """Count ARP packets by sender and target address (IPv4, as the low 64 bits of the
        128-bit form), per pair, within :data:`ARP_PAIRS_KEPT`; gathered and counted every
        :data:`ARP_FOLD_AT` packets (and for :meth:`to_dict`)."""
        self._arp.append(np.stack([senders, targets], axis=1))
        self._arp_rows += len(senders)
        if self._arp_rows >= ARP_FOLD_AT:
            self._fold_arp()

    def _fold_arp(self) -> None:
        if not self._arp:
            return
        pairs = np.concatenate(self._arp)
        self._arp, self._arp_rows = [], 0
        order, starts, counts = group_rows(pairs)
        uniq = pairs[order[starts]]
        zeros = np.zeros(len(uniq), np.uint64)
        senders = format_addrs(zeros, uniq[:, 0]).to_pylist()
        targets = format_addrs(zeros, uniq[:, 1]).to_pylist()
        self.arp_pairs.update({f"{x} -> {y}": c for x, y, c in
                               zip(senders, targets, counts.tolist())})
        if len(self.arp_pairs) > ARP_PAIRS_KEPT * 2:  # bounded: the busiest pairs stay
            self.arp_pairs = Counter(dict(self.arp_pairs.most_common(ARP_PAIRS_KEPT)))

    def top_talkers(self, n: int = 10) -> list[dict[str, Any]]:
        hi, lo, nbytes, nflows = self._hosts.top(n)
        names = format_addrs(hi, lo).to_pylist()
        return [{"host": h, "ip_bytes": int(b), "flows": int(f)}
                for h, b, f in zip(names, nbytes.tolist(), nflows.tolist())]

    def to_dict(self) -> dict[str, Any]:
        d = {f.name: getattr(self, f.name) for f in fields(self) if not f.name.startswith("_")}
        for k in ("protocols", "services", "weirds", "link_types", "rows"):
            d[k] = dict(getattr(self, k).most_common())
        self._fold_arp()
        d["arp_pairs"] = dict(self.arp_pairs.most_common(20))
        d["top_talkers"] = self.top_talkers()
        d["packets_per_s"] = round(self.packets_per_s, 1)
        d["elapsed_s"] = round(self.elapsed_s, 3)
        d["stage_s"] = {k: round(v, 3) for k, v in self.stage_s.items()}
        return d
