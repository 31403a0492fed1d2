"""The packet path alone: reading, decoding and the flow table, without the runner around them.

    python bench/packet_path.py [/work/benchdata/big.pcap] [--batch-mib 2,16] [--runs 2]

For each read-window size, walks the capture with ``open_capture`` -> ``Decoder.decode`` ->
``FlowTable.process`` (flows only: no DPI marks, no fragment reassembly, no output) and prints
the wall time of each stage and packets/s. It is the compiled kernels' steady-state rate, the
ceiling of ``wirelens analyze --dpi off``, whose runner adds per batch the fragment
reassembly and merge, the counts, ARP and weird bookkeeping and the hand-over of ended flows
(``stage_s`` of its summary). The first run of a fresh checkout compiles the kernels (it says
so); run twice.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from wirelens.capture import open_capture
from wirelens.decode import Decoder
from wirelens.flow import FlowTable


def walk(path: Path, batch_bytes: int) -> tuple[float, float, float, int]:
    """(read s, decode s, flows s, packets) of one pass."""
    decoder, table = Decoder(), FlowTable(dpi_packets=0)
    clock = time.perf_counter
    read = decode = flows = 0.0
    packets = 0
    with open_capture(path, batch_bytes=batch_bytes) as src:
        batches = iter(src)
        while True:
            t0 = clock()
            raw = next(batches, None)
            t1 = clock()
            read += t1 - t0
            if raw is None:
                break
            pkts = decoder.decode(raw)
            t2 = clock()
            table.process(raw, pkts, gather=True)
            t3 = clock()
            decode += t2 - t1
            flows += t3 - t2
            packets += len(raw)
            if table.ended_rows > 65_536:  # (what the runner hands over, taken and dropped)
                table.take_ended()
    return read, decode, flows, packets


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("pcap", nargs="?", default="/work/benchdata/big.pcap", type=Path)
    ap.add_argument("--batch-mib", default="2,16", help="read window sizes, MiB (comma list)")
    ap.add_argument("--runs", type=int, default=2)
    args = ap.parse_args(argv)
    sizes = [float(x) for x in args.batch_mib.split(",")]
    print(f"{args.pcap}: capture -> decode -> flow table (flows only, no fragments, no output)")
    for _ in range(args.runs):
        for mib in sizes:
            read, decode, flows, n = walk(args.pcap, int(mib * (1 << 20)))
            total = read + decode + flows
            print(f"  window {mib:5.1f} MiB  read {read:.3f} s  decode {decode:.3f} s  "
                  f"flows {flows:.3f} s  = {total:.3f} s  {n / total / 1e6:.2f} M packets/s",
                  flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
