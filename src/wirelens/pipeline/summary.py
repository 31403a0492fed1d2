"""The run summary: counts and top lists accumulated batch by batch (no second pass)."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc


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
    elapsed_s: float = 0.0
    problems: list[str] = field(default_factory=list)
    skipped_inputs: list[str] = field(default_factory=list)
    unreadable_inputs: list[str] = field(default_factory=list)
    files: int = 0
    protocols: Counter[str] = field(default_factory=Counter)
    services: Counter[str] = field(default_factory=Counter)
    weirds: Counter[str] = field(default_factory=Counter)
    link_types: Counter[str] = field(default_factory=Counter)
    rows: Counter[str] = field(default_factory=Counter)
    arp_pairs: Counter[str] = field(default_factory=Counter)
    _talkers: Counter[str] = field(default_factory=Counter)
    _talker_flows: Counter[str] = field(default_factory=Counter)
    out: str | None = None

    @property
    def packets_per_s(self) -> float:
        return self.packets / self.elapsed_s if self.elapsed_s > 0 else 0.0

    def add_conn(self, batch: pa.RecordBatch) -> None:
        self.flows += batch.num_rows
        t = pa.Table.from_batches([batch])
        for key, counter in (("proto_name", self.protocols), ("service", self.services)):
            for row in t.group_by(key).aggregate([([], "count_all")]).to_pylist():
                if row[key] is not None:
                    counter[row[key]] += row["count_all"]
        t = t.append_column("total", pc.add(t["orig_ip_bytes"], t["resp_ip_bytes"]))
        for side in ("orig_h", "resp_h"):
            agg = t.group_by(side).aggregate([("total", "sum"), ("total", "count")])
            for row in agg.to_pylist():
                self._talkers[row[side]] += row["total_sum"]
                self._talker_flows[row[side]] += row["total_count"]
        if len(self._talkers) > 200_000:  # keep memory bounded on huge address spaces
            self._talkers = Counter(dict(self._talkers.most_common(50_000)))
            self._talker_flows = Counter({k: self._talker_flows[k] for k in self._talkers})

    def top_talkers(self, n: int = 10) -> list[dict[str, Any]]:
        return [{"host": h, "ip_bytes": b, "flows": self._talker_flows[h]}
                for h, b in self._talkers.most_common(n)]

    def to_dict(self) -> dict[str, Any]:
        d = {k: v for k, v in asdict(self).items() if not k.startswith("_")}
        for k in ("protocols", "services", "weirds", "link_types", "rows"):
            d[k] = dict(getattr(self, k).most_common())
        d["arp_pairs"] = dict(self.arp_pairs.most_common(20))
        d["top_talkers"] = self.top_talkers()
        d["packets_per_s"] = round(self.packets_per_s, 1)
        d["elapsed_s"] = round(self.elapsed_s, 3)
        return d
