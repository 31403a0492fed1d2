"""Scheduling scenario instances and writing the time-ordered pcap plus its label file.

Instances are planned up front (start time, scenario, index: a few thousand small tuples),
built lazily when the merge reaches their start time, and their frames merged by timestamp
through a heap, so memory holds only the instances in progress.
"""

from __future__ import annotations

import heapq
import json
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from wirelens.capture.writer import PcapWriter
from wirelens.sim import attacks, benign
from wirelens.sim.benign import Part, PartPackets
from wirelens.sim.world import SimNetwork, World

SCENARIOS: dict[str, str] = {
    "dns_lookup": "benign: A/AAAA lookups through the LAN resolver (CNAME chains, compression)",
    "http_browse": "benign: DNS lookup then a keep-alive HTTP/1.1 connection (GET/POST)",
    "tls_browse": "benign: DNS lookup then HTTPS (TLS 1.3 or 1.2 with SNI/ALPN) and app data",
    "quic_browse": "benign: DNS lookup then HTTP/3 over QUIC v1 (protected Initials carrying "
                   "the ClientHello in two packets) and app data",
    "ssh_session": "benign: interactive SSH session to the internal server",
    "rpc_session": "benign: a workstation's name lookups through the domain controller's LSA "
                   "(endpoint mapper, then NTLM-authenticated DCE/RPC at packet privacy)",
    "tcp_syn_scan": "attack: half-open SYN scan of the internal web server from outside",
    "udp_scan": "attack: UDP port scan from a compromised client (ICMP port unreachable)",
    "syn_flood": "attack: SYN flood from spoofed sources to the web server's port 80",
    "ssh_brute_force": "attack: many short failed SSH logins from one external address",
    "dns_tunnel": "attack: TXT queries with long random subdomains at a regular cadence",
    "http_beacon": "attack: periodic small HTTP GETs to a hard-coded C2 address with jitter",
    "exfil_upload": "attack: one long TLS upload with far more bytes out than in",
}
"""Scenario name -> one-line description."""

BENIGN_SCENARIOS = ("dns_lookup", "http_browse", "tls_browse", "quic_browse", "ssh_session",
                    "rpc_session")
ATTACK_SCENARIOS = ("tcp_syn_scan", "udp_scan", "syn_flood", "ssh_brute_force", "dns_tunnel",
                    "http_beacon", "exfil_upload")
ALL_SCENARIOS: tuple[str, ...] = BENIGN_SCENARIOS + ATTACK_SCENARIOS

DEFAULT_START_TS = datetime(2026, 1, 15, 9, 0, 0, tzinfo=UTC).timestamp()

# Instances per client per 600 s at scale 1 (benign); tuned for ~20-60k packets by default.
_BENIGN_RATE = {"dns_lookup": 10.0, "http_browse": 5.0, "tls_browse": 12.0, "quic_browse": 4.0,
                "ssh_session": 0.1,
                "rpc_session": 0.5}


MAX_DURATION_S = 86_400
"""The longest capture window simulated (a day: ~3 M packets at scale 1; the simulator holds
what is open at once in memory)."""
MAX_SCALE = 100.0
"""The largest volume multiplier (~3.7 M packets over the default 600 s)."""
MAX_SCALE_SECONDS = 360_000
"""The largest ``scale * duration_s`` (~60 packets each: about 20 M packets, several GB)."""


@dataclass(frozen=True, slots=True)
class SimConfig:
    """What to simulate. The same config always gives the same bytes."""

    seed: int = 7
    """Seed of every random choice."""
    duration_s: float = 600.0
    """Length of the capture window; instances start inside it (a few may end a little later)."""
    start_ts: float = DEFAULT_START_TS
    """Epoch seconds of the window start (default 2026-01-15T09:00:00Z)."""
    n_clients: int = 20
    """Number of LAN clients doing benign traffic."""
    scale: float = 1.0
    """Volume multiplier (benign instance counts, scan/flood sizes, upload size)."""
    scenarios: tuple[str, ...] = ALL_SCENARIOS
    """Scenario names to include (keys of :data:`SCENARIOS`)."""
    network: SimNetwork = field(default_factory=SimNetwork)
    """Addresses of the simulated site."""


@dataclass(frozen=True, slots=True)
class SimResult:
    """What :func:`simulate` wrote."""

    pcap: Path
    """The capture (classic pcap, Ethernet, microsecond timestamps)."""
    labels: Path
    """The JSON-lines label file (one row per scenario instance part)."""
    packets: int
    """Frames written."""
    flows: int
    """Sum of the ``flows`` of all label rows (5-tuple flows the scenarios created)."""
    scenarios: dict[str, int]
    """Label rows written per label name."""


Builder = Callable[[World, random.Random, int], list[Part]]


def _plan(cfg: SimConfig, w: World) -> list[tuple[int, int, str, Builder]]:
    """Every instance as (start_ns, index, scenario, builder), sorted by start."""
    rng = random.Random(f"{cfg.seed}/plan")
    t0 = round(cfg.start_ts * 1e6) * 1000
    dur = cfg.duration_s
    ns = 1e9
    sc = cfg.scale
    plan: list[tuple[int, int, str, Builder]] = []

    def at(lo: float, hi: float) -> int:
        return t0 + int(rng.uniform(lo, hi) * dur * ns) // 1000 * 1000

    for name in cfg.scenarios:
        if name in _BENIGN_RATE:
            count = max(1, round(_BENIGN_RATE[name] * len(w.clients) * dur / 600.0 * sc))
            fn = {"dns_lookup": benign.dns_lookup_instance, "http_browse": benign.http_browse,
                  "tls_browse": benign.tls_browse, "quic_browse": benign.quic_browse,
                  "ssh_session": benign.ssh_session,
                  "rpc_session": benign.rpc_session}[name]
            hi = 0.8 if name == "ssh_session" else 0.95
            for _ in range(count):
                client = w.clients[rng.randrange(len(w.clients))]
                plan.append((at(0.0, hi), len(plan), name,
                             lambda ww, r, t, f=fn, c=client: f(ww, r, t, c)))  # type: ignore[misc]  # mypy cannot infer lambdas with bound defaults
        elif name == "tcp_syn_scan":
            plan.append((at(0.05, 0.6), len(plan), name,
                         lambda ww, r, t: attacks.tcp_syn_scan(ww, r, t, sc)))
        elif name == "udp_scan":
            plan.append((at(0.05, 0.6), len(plan), name,
                         lambda ww, r, t: attacks.udp_scan(ww, r, t, sc)))
        elif name == "syn_flood":
            plan.append((at(0.05, 0.7), len(plan), name,
                         lambda ww, r, t: attacks.syn_flood(ww, r, t, sc)))
        elif name == "ssh_brute_force":
            plan.append((at(0.05, 0.5), len(plan), name,
                         lambda ww, r, t: attacks.ssh_brute_force(ww, r, t, sc)))
        elif name == "dns_tunnel":
            span = min(300.0, 0.5 * dur)
            plan.append((at(0.05, 0.4), len(plan), name,
                         lambda ww, r, t, s=span: attacks.dns_tunnel(ww, r, t, sc, s)))  # type: ignore[misc]  # as above
        elif name == "http_beacon":
            plan.append((at(0.01, 0.05), len(plan), name,
                         lambda ww, r, t: attacks.http_beacon(ww, r, t, 0.85 * dur)))
        elif name == "exfil_upload":
            plan.append((at(0.1, 0.6), len(plan), name,
                         lambda ww, r, t: attacks.exfil_upload(ww, r, t, sc)))
        else:  # pragma: no cover - validated in simulate()
            raise ValueError(name)
    plan.sort(key=lambda p: (p[0], p[1]))
    return plan


def _validate(cfg: SimConfig) -> None:
    unknown = [s for s in cfg.scenarios if s not in SCENARIOS]
    if unknown:
        raise ValueError(f"unknown scenarios {unknown}; known: {sorted(SCENARIOS)}")
    if len(set(cfg.scenarios)) != len(cfg.scenarios):
        raise ValueError("scenarios must not repeat")
    if not 0 < cfg.duration_s <= MAX_DURATION_S:
        raise ValueError(f"duration_s must be > 0 and at most {MAX_DURATION_S:,} (a day), "
                         f"not {cfg.duration_s}")
    if not 1 <= cfg.n_clients <= 1000:
        raise ValueError("n_clients must be in 1..1000")
    if not 0 < cfg.scale <= MAX_SCALE:
        raise ValueError(f"scale must be > 0 and at most {MAX_SCALE}, not {cfg.scale}")
    if cfg.scale * cfg.duration_s > MAX_SCALE_SECONDS:
        raise ValueError(f"scale x duration_s must be at most {MAX_SCALE_SECONDS:,} (about "
                         f"20 M packets), not {cfg.scale * cfg.duration_s:,.0f}")
    if not abs(cfg.start_ts) < 1e11:  # (NaN too; the year 5138 is far enough)
        raise ValueError(f"start_ts must be epoch seconds, not {cfg.start_ts}")


class _Stream:
    """The frames of one label row, in time order: a list sorted once, or (for big
    scenarios) an iterator of chunks, each sorted and later than everything before it."""

    __slots__ = ("buf", "chunks", "end", "i", "row", "start")

    def __init__(self, row: dict[str, Any], packets: PartPackets) -> None:
        self.row = row
        if isinstance(packets, list):
            packets.sort(key=lambda p: p[0])
            self.buf: list[tuple[int, bytes]] = packets
            self.chunks: Iterator[list[tuple[int, bytes]]] | None = None
        else:
            self.buf = []
            self.chunks = packets
        self.i = 0
        self.start = -1
        self.end = -1

    def next(self) -> tuple[int, bytes] | None:
        """The next frame, or None once exhausted."""
        while self.i >= len(self.buf):
            if self.chunks is None:
                return None
            chunk = next(self.chunks, None)
            if chunk is None:
                self.chunks = None
                return None
            self.buf, self.i = chunk, 0
        p = self.buf[self.i]
        self.i += 1
        if self.start < 0:
            self.start = p[0]
        self.end = p[0]
        return p

    def label(self) -> dict[str, Any]:
        """The finished label row (times from the frames that were written)."""
        r = self.row
        return {"phase": r["phase"], "label": r["label"], "hosts": r["hosts"],
                "start": round(self.start // 1000 / 1e6, 6),
                "end": round(self.end // 1000 / 1e6, 6), "flows": r["flows"],
                "detail": r["detail"]}


def simulate(path: str | Path, config: SimConfig | None = None,
             labels_path: str | Path | None = None) -> SimResult:
    """Write a time-ordered pcap of the configured scenarios to ``path`` and their labels to
    ``labels_path`` (default: ``path`` + ``.labels.jsonl``)."""
    cfg = config if config is not None else SimConfig()
    _validate(cfg)
    pcap = Path(path)
    labels = Path(labels_path) if labels_path is not None else Path(f"{pcap}.labels.jsonl")
    w = World(cfg.seed, cfg.n_clients, cfg.network)
    w.end_ns = (round(cfg.start_ts * 1e6) + round(cfg.duration_s * 1e6)) * 1000
    plan = _plan(cfg, w)
    rows: list[dict[str, Any]] = []
    heap: list[tuple[int, int, bytes, _Stream]] = []
    written = 0
    counts: dict[str, int] = {}
    flows = 0
    pos = 0
    seq = 0
    with PcapWriter(pcap) as out:
        while pos < len(plan) or heap:
            if pos < len(plan) and (not heap or plan[pos][0] <= heap[0][0]):
                start, _idx, name, build = plan[pos]
                pos += 1
                rng = random.Random(f"{cfg.seed}/{name}/{_idx}")
                for part_row, pkts in build(w, rng, start):
                    stream = _Stream(part_row, pkts)
                    first = stream.next()
                    if first is None:
                        continue
                    if first[0] < start:
                        raise AssertionError(f"{name} emitted a frame before its start")
                    heapq.heappush(heap, (first[0], seq, first[1], stream))
                    seq += 1
                continue
            ts, sq, frame, stream = heapq.heappop(heap)
            out.write(ts, frame)
            written += 1
            nxt = stream.next()
            if nxt is not None:
                if nxt[0] < ts:
                    raise AssertionError(f"{stream.row['label']} frames out of order")
                heapq.heappush(heap, (nxt[0], sq, nxt[1], stream))
            else:
                rows.append(stream.label())
                label = stream.row["label"]
                counts[label] = counts.get(label, 0) + 1
                flows += stream.row["flows"]
    rows.sort(key=lambda r: (r["start"], r["label"], r["end"]))
    with open(labels, "w", encoding="utf-8") as f:
        f.writelines(json.dumps(r, separators=(",", ":")) + "\n" for r in rows)
    return SimResult(pcap=pcap, labels=labels, packets=written, flows=flows, scenarios=counts)
