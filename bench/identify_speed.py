"""ns per classified packet of the compiled identification fast path (wirelens.identify).

Walks a capture as the pipeline does (capture -> decode -> flow table DPI marks) and, for
each batch, times ``classify`` on its marked packets (best of ``--repeat`` runs per batch,
wrapper included: validation, allocation, one kernel call). For context it also times the
Python ``registry.identify`` on the same payloads (bytes already sliced).

    python bench/identify_speed.py /work/benchdata/quarter.pcap
"""

from __future__ import annotations

import argparse
import time
from collections import Counter

import numpy as np

from wirelens.capture import open_capture
from wirelens.decode import Decoder
from wirelens.dissect.registry import identify
from wirelens.flow import FlowTable
from wirelens.identify import Service, classify


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("pcap")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--python", action="store_true", help="also time registry.identify")
    args = ap.parse_args()
    dec, table = Decoder(), FlowTable()
    marked = 0
    best_ns = 0.0
    py_ns = 0.0
    services: Counter[str] = Counter()
    named = 0
    # warm (compile or load the cache) once
    classify(np.zeros(16, np.uint8), np.zeros(1, np.int64), np.ones(1, np.uint32),
             np.full(1, 6, np.uint8), np.zeros(1, np.int64))
    with open_capture(args.pcap) as src:
        for raw in src:
            pkts = dec.decode(raw)
            step = table.process(raw, pkts)
            idx = np.flatnonzero(step.pkt_dpi)
            if idx.size == 0:
                continue
            best = float("inf")
            for _ in range(args.repeat):
                t0 = time.perf_counter_ns()
                got = classify(raw.data, pkts.payload_off, pkts.payload_len, pkts.proto, idx,
                               pkts.sport, pkts.dport)
                best = min(best, time.perf_counter_ns() - t0)
            best_ns += best
            marked += idx.size
            named += int((got.name_off >= 0).sum())
            for code, count in zip(*np.unique(got.service, return_counts=True)):
                services[Service(int(code)).name] += int(count)
            if args.python:
                offs, lens = pkts.payload_off[idx].tolist(), pkts.payload_len[idx].tolist()
                pr, sp, dp = (pkts.proto[idx].tolist(), pkts.sport[idx].tolist(),
                              pkts.dport[idx].tolist())
                payloads = [bytes(raw.data[o : o + n]) for o, n in zip(offs, lens)]
                t0 = time.perf_counter_ns()
                for p, a, b, c in zip(payloads, pr, sp, dp):
                    identify(p, a, True, b, c)
                py_ns += time.perf_counter_ns() - t0
    print(f"marked packets: {marked}  services: {dict(services)}  with a name: {named}")
    print(f"classify: {best_ns / max(marked, 1):.1f} ns/packet (best of {args.repeat} per batch)")
    if args.python:
        print(f"registry.identify (Python, no names): {py_ns / max(marked, 1):.1f} ns/packet")


if __name__ == "__main__":
    main()
