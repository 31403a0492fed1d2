"""Benchmark of the flow table (not a test): packets/s, peak RSS, table capacity.

Builds synthetic batches in memory (numpy only, no pcap). Scenarios:

* ``hot``: 1,000 open flows (fits in cache), 4 M packets: the per-packet cost of process().
* ``many``: 500,000 concurrently open flows, 4 M packets spread over them.
* ``bound``: the same stream with max_flows = 131,072: evictions counted, capacity capped,
  table memory bounded.

Run: ``.venv/bin/python bench/flowtable_many_open.py``

With ``--pcap FILE [FILE ...]`` it instead measures ``FlowTable.process`` alone on real
captures: every file is read (``open_capture``) and decoded (``Decoder``) once into
in-memory copies of the columns the flow table reads, then a fresh table processes those
batches ``--repeat`` times (default 3); the per-run ns/packet (time spent inside
``process`` only) and the median are printed. One warm-up run on the first batch loads the
cached kernels first.
"""

from __future__ import annotations

import argparse
import dataclasses
import resource
import statistics
import time

import numpy as np

from wirelens.core.batch import PacketBatch, RawBatch
from wirelens.flow import FlowTable

BATCH = 262_144


def make_batches(n_pkts: int, n_flows: int, seed: int = 1) -> list[tuple[RawBatch, PacketBatch]]:
    """TCP packets of ``n_flows`` conversations in random order, 1 us apart."""
    rng = np.random.default_rng(seed)
    flow = rng.integers(0, n_flows, n_pkts)
    rev = rng.integers(0, 2, n_pkts).astype(bool)
    out = []
    for lo in range(0, n_pkts, BATCH):
        f = flow[lo : lo + BATCH]
        r = rev[lo : lo + BATCH]
        n = f.shape[0]
        p = PacketBatch.empty(n)
        cli = np.uint64(0xFFFF_0A00_0000) + (f // 50_000).astype(np.uint64)
        srv = np.uint64(0xFFFF_C000_0000) + (f % 251).astype(np.uint64)
        cport = (1024 + f % 50_000).astype(np.uint16)
        p.src_lo[:] = np.where(r, srv, cli)
        p.dst_lo[:] = np.where(r, cli, srv)
        p.sport[:] = np.where(r, 443, cport)
        p.dport[:] = np.where(r, cport, 443)
        p.proto[:] = 6
        p.ip_ver[:] = 4
        p.tcp_flags[:] = 16 | 8
        p.payload_len[:] = 100
        p.ip_len[:] = 140
        raw = RawBatch(
            data=np.zeros(1, np.uint8), offset=np.zeros(n, np.int64),
            caplen=np.full(n, 154, np.uint32), wirelen=np.full(n, 154, np.uint32),
            ts_ns=(np.arange(lo, lo + n, dtype=np.int64) * 1000 + 10**18),
            linktype=np.ones(n, np.uint16),
        )
        out.append((raw, p))
    return out


def rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(name: str, batches: list[tuple[RawBatch, PacketBatch]], **kw: object) -> None:
    ft = FlowTable(**kw)  # type: ignore[arg-type]
    n = sum(len(r) for r, _ in batches)
    rss0 = rss_mib()
    t0 = time.perf_counter()
    ended = 0
    for raw, p in batches:
        ended += len(ft.process(raw, p).ended["flow_id"])
    dt = time.perf_counter() - t0
    st = ft.stats
    print(f"{name:6s} {n / dt / 1e6:6.2f} Mpkt/s  {dt / n * 1e9:6.1f} ns/pkt  "
          f"open={st['open']:,} max_open={st['max_open']:,} capacity={st['capacity']:,} "
          f"evicted={st['evicted']:,} ended={ended:,} table={ft.nbytes / 2**20:.0f} MiB "
          f"peak RSS={rss_mib():.0f} MiB (before {rss0:.0f})")
    ft.flush()


def load_capture(path: str) -> list[tuple[RawBatch, PacketBatch]]:
    """Read and decode ``path``; keep copies of the columns (raw bytes are not kept)."""
    from wirelens.capture import open_capture
    from wirelens.decode import Decoder

    dec = Decoder()
    out = []
    with open_capture(path) as src:
        for raw in src:
            p = dec.decode(raw)
            pc = PacketBatch(**{f.name: getattr(p, f.name).copy()
                                for f in dataclasses.fields(p)})
            n = len(raw)
            rc = RawBatch(data=np.zeros(1, np.uint8), offset=np.zeros(n, np.int64),
                          caplen=raw.caplen.copy(), wirelen=raw.wirelen.copy(),
                          ts_ns=raw.ts_ns.copy(), linktype=raw.linktype.copy())
            out.append((rc, pc))
    return out


def time_process(batches: list[tuple[RawBatch, PacketBatch]]) -> tuple[float, FlowTable]:
    """Seconds spent inside ``FlowTable.process`` over ``batches`` (fresh table)."""
    ft = FlowTable()
    spent = 0.0
    for raw, p in batches:
        t0 = time.perf_counter()
        ft.process(raw, p)
        spent += time.perf_counter() - t0
    return spent, ft


def bench_pcaps(paths: list[str], repeat: int) -> None:
    for path in paths:
        t0 = time.perf_counter()
        batches = load_capture(path)
        n = sum(len(r) for r, _ in batches)
        print(f"{path}: {n:,} packets in {len(batches)} batches "
              f"(read+decode {time.perf_counter() - t0:.1f} s)", flush=True)
        ft = FlowTable()
        ft.process(*batches[0])  # load the cached kernels
        ft.flush()
        runs = []
        for _ in range(repeat):
            dt, ft = time_process(batches)
            runs.append(dt / n * 1e9)
            print(f"  process: {runs[-1]:6.1f} ns/pkt  created={ft.stats['created']:,} "
                  f"max_open={ft.stats['max_open']:,}", flush=True)
        print(f"  median of {repeat}: {statistics.median(runs):.1f} ns/pkt", flush=True)
        del batches


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pcap", nargs="+", help="time process() on these captures instead")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    if args.pcap:
        bench_pcaps(args.pcap, args.repeat)
        return
    warm = make_batches(10_000, 100)
    ft = FlowTable()
    for raw, p in warm:  # compile / load the cached kernels
        ft.process(raw, p)
    ft.flush()
    hot = make_batches(4_000_000, 1_000)
    run("hot", hot)
    run("hot", hot)
    del hot
    many = make_batches(4_000_000, 500_000)
    run("many", many)
    run("bound", many, max_flows=131_072)


if __name__ == "__main__":
    main()
