"""The output's floor: what encoding a lake's Parquet files costs, and the packets/s it leaves.

    python bench/output_floor.py OUT [--runs 2]

``OUT`` is a lake written by ``wirelens analyze`` (e.g. of ``big.pcap`` with ``--dpi off``).
Every Parquet file in it is read into memory once (not timed); then each is encoded again,
into memory, with the lake's own settings (:data:`~wirelens.store.lake.PARQUET_OPTIONS`, the
statistics columns, the schema without its documentation) and the CPU and wall time of that
encoding alone are printed, per table and in total: no file system, no analysis. With the
packets of the run that wrote the lake (its ``run`` table), it prints the packets/s a run could
not exceed if it did nothing else but write those files on one core.

Why: the issue's targets are whole-process packets/s on ``big.pcap``, whose packets span 917
hours: Hive partitions by date and hour make ~1,100 files of a few hundred rows each, and
Arrow's Parquet writer pays per file and column whatever the rows. This measures that floor
with the library the lake uses; ``bench/packet_path.py`` measures the packet path's.
"""

from __future__ import annotations

import argparse
import time
from collections import defaultdict
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from wirelens.schema import SCHEMAS
from wirelens.store.lake import PARQUET_OPTIONS, STATS_COLUMNS, file_schema


def load(root: Path) -> dict[str, list[pa.Table]]:
    """Every Parquet file under ``root``, per table (the folder below ``root``)."""
    out: dict[str, list[pa.Table]] = defaultdict(list)
    for path in sorted(root.rglob("*.parquet")):
        name = path.relative_to(root).parts[0]
        if name in SCHEMAS:
            schema = file_schema(SCHEMAS[name])
            table = pq.read_table(path, partitioning=None).select(schema.names)
            out[name].append(table.cast(schema).combine_chunks())
    return out


def encode(tables: dict[str, list[pa.Table]]) -> dict[str, tuple[float, float]]:
    """Per table: (CPU s, wall s) of encoding each of its files into memory."""
    times: dict[str, tuple[float, float]] = {}
    for name, files in tables.items():
        schema = file_schema(SCHEMAS[name])
        stats = [c for c in STATS_COLUMNS if c in schema.names]
        cpu0, wall0 = time.process_time(), time.perf_counter()
        for t in files:
            buf = pa.BufferOutputStream()
            pq.write_table(t, buf, row_group_size=1 << 30,
                           write_statistics=stats, **PARQUET_OPTIONS)
        times[name] = (time.process_time() - cpu0, time.perf_counter() - wall0)
    return times


def packets_of(root: Path) -> int:
    """Packets read by the runs that wrote the lake (its ``run`` table), 0 if none."""
    runs = sorted((root / "run").rglob("*.parquet"))
    return sum(int(pq.read_table(p, columns=["packets"], partitioning=None)
                   .column(0).to_numpy().sum()) for p in runs)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("lake", type=Path, help="a lake written by wirelens analyze")
    ap.add_argument("--runs", type=int, default=2)
    args = ap.parse_args(argv)
    tables = load(args.lake)
    if not tables:
        print(f"{args.lake}: no Parquet file of a wirelens table")
        return 1
    packets = packets_of(args.lake)
    files = sum(len(v) for v in tables.values())
    rows = sum(t.num_rows for v in tables.values() for t in v)
    print(f"{args.lake}: {files:,} files, {rows:,} rows, {packets:,} packets read by its runs")
    for _ in range(args.runs):
        times = encode(tables)
        cpu = sum(c for c, _ in times.values())
        wall = sum(w for _, w in times.values())
        parts = ", ".join(f"{name} {len(tables[name])} files {c:.2f} s"
                          for name, (c, _) in sorted(times.items(), key=lambda x: -x[1][0]))
        line = f"  encoding: {cpu:.2f} s CPU ({wall:.2f} s wall, {cpu / files * 1e3:.2f} ms a file)"
        if packets and cpu > 0:
            line += f"; ceiling {packets / cpu / 1e6:.2f} M packets/s on one core"
        print(line)
        print(f"    {parts}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
