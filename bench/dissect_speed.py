"""Speed of the Python dissectors on the DPI payload stream of a real capture.

    python bench/dissect_speed.py [--pcap /work/benchdata/quarter.pcap] [--runs 3]
                                  [--cache FILE] [--extract] [--src OLD/src]

Step 1 (once, cached): read the capture with ``open_capture`` + ``Decoder`` + ``FlowTable``
and keep every payload the flow table marks for DPI (``FlowStep.pkt_dpi``) with its flow
id, transport, direction, ports and timestamp. DPI is never switched off during the
extraction, so the stream holds up to ``DPI_MAX_PACKETS`` payloads per flow; the replay
skips what the pipeline would not hand over once a flow stopped.

Step 2: replay the stream through ``registry.identify`` and the dissectors the way
``pipeline.dpi.DpiStage`` does (probe bytes while unidentified, stop on ``done`` or
``ParseError``, ``finish()`` at the end). Prints the CPU time of the whole replay (min and
median of ``--runs``; CPU rather than wall time, less sensitive to other load), a per-call
breakdown (identify, feed per dissector, finish; thread CPU time) in µs per call (min and
median over the runs), then each dissector alone on the calls it got (fresh instances; µs
per message including ``finish``; DNS then parses every datagram, without the parse that
``matches`` hands to ``feed`` in the replay), plus a digest of every event and error so a
faster version can be checked to produce the same output (field for field: the digest
hashes ``repr`` of each event and the type and text of each ParseError). ``--src`` runs an
older tree for A/B comparisons.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import pickle
import statistics
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

PROBE_BYTES = 4096  # as pipeline.dpi
UNIDENTIFIED_TRIES = 4  # as pipeline.dpi

Stream = list[tuple[int, int, bool, int, int, int, bytes]]
"""(flow id, proto, from_orig, sport, dport, ts_ns, payload) in capture order."""

Calls = dict[str, list[tuple[Any, ...]]]
"""The calls one replay made: "identify" -> argument tuples; dissector name -> (flow id,
class, proto, data, from_orig, ts_ns) of each feed."""


def extract(pcap: str) -> Stream:
    """The DPI payload stream of ``pcap`` (every packet the flow table marks pkt_dpi)."""
    import numpy as np

    from wirelens.capture import open_capture
    from wirelens.decode import Decoder
    from wirelens.flow import FlowTable

    decoder = Decoder()
    flows = FlowTable()
    out: Stream = []
    with open_capture(pcap) as src:
        for raw in src:
            if len(raw) == 0:
                continue
            pkts = decoder.decode(raw)
            step = flows.process(raw, pkts)
            idx = np.flatnonzero(step.pkt_dpi)
            data = raw.data
            for i in idx.tolist():
                off = int(pkts.payload_off[i])
                out.append((
                    int(step.pkt_flow_id[i]),
                    int(pkts.proto[i]),
                    bool(step.pkt_dir[i] == 0),
                    int(pkts.sport[i]),
                    int(pkts.dport[i]),
                    int(raw.ts_ns[i]),
                    bytes(data[off : off + int(pkts.payload_len[i])]),
                ))
    return out


def replay(
    stream: Stream, timed: bool, log: Calls | None = None
) -> tuple[float, dict[str, list[int]], str, Counter[str]]:
    """Run the stream through identify + feed; (CPU s, {what: [ns total, calls]}, digest,
    outcome counts). ``log`` collects the calls made (for :func:`isolated`)."""
    from wirelens.dissect.registry import identify
    from wirelens.wire.errors import ParseError

    clock = time.thread_time_ns  # CPU time: other load on the machine does not count
    cost: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    flows: dict[int, list[Any]] = {}  # fid -> [dissector, tries, stopped, probe, log]
    outcome: Counter[str] = Counter()

    def feed(st: list[Any], data: bytes, from_orig: bool, ts: int) -> None:
        d = st[0]
        if log is not None:
            log[d.name].append((id(st), type(d), d.proto, data, from_orig, ts))
        t0 = clock() if timed else 0
        try:
            events = d.feed(data, from_orig, ts)
        except ParseError as exc:
            events = None
            st[4].append(f"error {type(exc).__name__}: {exc}")
            st[2] = True
            outcome[f"{d.name} ParseError"] += 1
        if timed:
            c = cost[f"feed {d.name}"]
            c[0] += clock() - t0
            c[1] += 1
        if events is not None:
            st[4].extend(events)
            outcome[f"{d.name} events"] += len(events)
            if d.done:
                st[2] = True

    t_start = time.process_time()
    for fid, proto, from_orig, sport, dport, ts, payload in stream:
        st = flows.get(fid)
        if st is None:
            st = flows[fid] = [None, 0, False, {}, []]
        if st[2]:
            continue
        if st[0] is None:
            if proto == 6:
                payload = (st[3].get(from_orig, b"") + payload)[:PROBE_BYTES]
            if log is not None:
                log["identify"].append((payload, proto, from_orig, sport, dport))
            t0 = clock() if timed else 0
            cls = identify(payload, proto, from_orig, sport, dport)
            if timed:
                c = cost["identify"]
                c[0] += clock() - t0
                c[1] += 1
            st[1] += 1
            if cls is None:
                if proto == 6:
                    st[3][from_orig] = payload
                if st[1] >= UNIDENTIFIED_TRIES:
                    st[2] = True
                continue
            st[0] = cls(proto)
            if proto == 6 and st[3].get(not from_orig):
                feed(st, st[3][not from_orig], not from_orig, ts)
            st[3] = {}
            if st[2]:
                continue
        feed(st, payload, from_orig, ts)
    for st in flows.values():
        d = st[0]
        if d is None or (st[2] and st[4][-1:] and isinstance(st[4][-1], str)):
            continue
        t0 = clock() if timed else 0
        events = d.finish()
        if timed:
            c = cost[f"finish {d.name}"]
            c[0] += clock() - t0
            c[1] += 1
        st[4].extend(events)
        outcome[f"{d.name} events"] += len(events)
    wall = time.process_time() - t_start
    h = hashlib.sha256()
    for fid in sorted(flows):
        for item in flows[fid][4]:  # events, and error texts (str)
            line = item if isinstance(item, str) else repr(item)
            h.update(f"{fid}\t{line}\n".encode("utf-8", "backslashreplace"))
    return wall, dict(cost), h.hexdigest()[:16], outcome


def isolated(calls: Calls, runs: int) -> dict[str, tuple[int, float]]:
    """Each dissector alone on the messages it got in the replay (fresh instances, feed
    per call, finish per flow): {what: (calls, min µs per call over ``runs``)}."""
    from wirelens.dissect.registry import identify
    from wirelens.wire.errors import ParseError

    clock = time.thread_time_ns
    out: dict[str, tuple[int, float]] = {}
    for what, items in calls.items():
        best = None
        for _ in range(runs):
            t0 = clock()
            if what == "identify":
                for args in items:
                    identify(*args)
            else:
                live: dict[int, Any] = {}
                dead: set[int] = set()
                for key, cls, proto, data, from_orig, ts in items:
                    d = live.get(key)
                    if d is None:
                        d = live[key] = cls(proto)
                    if key in dead:
                        continue
                    try:
                        d.feed(data, from_orig, ts)
                    except ParseError:
                        dead.add(key)
                for key, d in live.items():
                    if key not in dead:
                        d.finish()
            ns = clock() - t0
            best = ns if best is None else min(best, ns)
        out[what] = (len(items), (best or 0) / 1e3 / max(len(items), 1))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pcap", default="/work/benchdata/quarter.pcap")
    ap.add_argument("--cache", default="/tmp/wirelens_dpi_stream_quarter.pickle")
    ap.add_argument("--extract", action="store_true", help="re-extract even if cached")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--src", help="import wirelens from this src/ folder instead (A/B runs "
                    "against an older tree: git archive <rev> src/wirelens | tar -x -C DIR)")
    args = ap.parse_args()
    if args.src:
        sys.path.insert(0, str(Path(args.src).resolve()))
    import wirelens.dissect

    print(f"wirelens.dissect from {Path(wirelens.dissect.__file__).parent}")

    cache = Path(args.cache)
    if args.extract or not cache.exists():
        t0 = time.perf_counter()
        stream = extract(args.pcap)
        cache.write_bytes(pickle.dumps(stream, protocol=pickle.HIGHEST_PROTOCOL))
        print(f"extracted {len(stream)} DPI payloads from {args.pcap} in "
              f"{time.perf_counter() - t0:.1f} s -> {cache}", file=sys.stderr)
    stream = pickle.loads(cache.read_bytes())
    gc.collect()
    gc.freeze()  # the 298k stream tuples are not garbage: keep full collections off them
    print(f"stream: {len(stream)} marked payloads, {len({r[0] for r in stream})} flows, "
          f"{sum(len(r[6]) for r in stream) / 1e6:.1f} MB")

    replay(stream, timed=False)  # warm-up (imports, regex compile, caches)
    walls = []
    digest = ""
    for _ in range(args.runs):
        wall, _, digest, outcome = replay(stream, timed=False)
        walls.append(wall)
    runs = [replay(stream, timed=True) for _ in range(args.runs)]
    outcome = runs[0][3]
    assert all(r[2] == digest for r in runs), "replay is not deterministic"
    print(f"replay CPU time (untimed calls): min {min(walls):.3f} s, median "
          f"{statistics.median(walls):.3f} s of {args.runs}")
    print(f"{'what':<16}{'calls':>9}{'min ms':>10}{'min us/call':>13}{'median':>8}")
    costs = [r[1] for r in runs]
    for what in sorted(costs[0], key=lambda k: -costs[0][k][0]):
        calls = costs[0][what][1]
        ns = sorted(c[what][0] for c in costs)
        print(f"{what:<16}{calls:>9}{ns[0] / 1e6:>10.1f}{ns[0] / 1e3 / max(calls, 1):>13.1f}"
              f"{statistics.median(ns) / 1e3 / max(calls, 1):>8.1f}")
    log: Calls = defaultdict(list)
    replay(stream, timed=False, log=log)
    print(f"isolated (each alone on the calls of the replay, min of {args.runs}):")
    for what, (calls, us) in sorted(isolated(log, args.runs).items()):
        print(f"  {what:<14}{calls:>9}{us:>10.2f} us/call")
    print("outcomes:", ", ".join(f"{k} {v}" for k, v in sorted(outcome.items())))
    print(f"digest of events and errors: {digest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
