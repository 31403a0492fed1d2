"""Does the DNS fast path write what the Python DNS dissector writes, on every shared capture?

Each capture of ``MANIFEST.csv`` is analysed twice: as ``wirelens analyze`` does (UDP DNS on
the compiled fast path, :mod:`wirelens.pipeline.dns_fast`) and with every DNS datagram read
by :class:`~wirelens.dissect.dns.DnsDissector`; the ``conn``, ``dns`` and ``weird`` tables
must hold the same rows. Prints each difference (a few rows of it) and the totals. The
suite runs the same comparison on a sample (``tests/integration/test_dns_fast.py``).

Run: ``.venv/bin/python bench/dns_fast_agreement.py [--data DIR] [--jobs 2]`` (about 2.5
minutes on two cores).
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))

TABLES = ("conn", "dns", "weird")


def _rows(result: Any, table: str) -> list[str]:
    return sorted(json.dumps(r, default=str, sort_keys=True)
                  for r in result.table(table).to_pylist())


def compare(path: str) -> tuple[str, int, list[str]]:
    """(capture, fast path datagrams, differences) for one capture."""
    import wirelens
    from wirelens.pipeline import dns_fast
    from wirelens.pipeline.dpi import DpiStage

    read = DpiStage.__dict__["_read_dns"]
    counted = [0]
    real = dns_fast.FastDns.read

    def counting(self: dns_fast.FastDns, *args: Any) -> Any:
        counted[0] += 1
        return real(self, *args)

    dns_fast.FastDns.read = counting  # type: ignore[method-assign]
    try:
        fast = wirelens.analyze(path)
        DpiStage._read_dns = staticmethod(lambda *args: None)  # type: ignore[method-assign]
        python = wirelens.analyze(path)
    except Exception as exc:  # (a damaged capture raises the same way in both runs)
        return path, 0, [f"error: {exc}"]
    finally:
        DpiStage._read_dns = read  # type: ignore[method-assign]
        dns_fast.FastDns.read = real  # type: ignore[method-assign]
    out = []
    for table in TABLES:
        a, b = _rows(fast, table), _rows(python, table)
        if a != b:
            only_fast, only_python = sorted(set(a) - set(b)), sorted(set(b) - set(a))
            out.append(f"{table}: {len(a)} rows with the fast path, {len(b)} without")
            out += [f"  fast only:   {r[:400]}" for r in only_fast[:2]]
            out += [f"  python only: {r[:400]}" for r in only_python[:2]]
    return path, counted[0], out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=HERE.parent.parent / "shared" / "data")
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    manifest = args.data / "MANIFEST.csv"
    if not manifest.exists():
        print(f"no {manifest}: nothing to compare")
        return 1
    with manifest.open() as f:
        paths = [str(args.data / r["path"]) for r in csv.DictReader(f)
                 if (args.data / r["path"]).is_file()]
    differing = datagrams = errors = 0
    with ProcessPoolExecutor(args.jobs) as pool:
        for path, n, diffs in pool.map(compare, paths, chunksize=8):
            datagrams += n
            if diffs and diffs[0].startswith("error"):
                errors += 1
            elif diffs:
                differing += 1
                print(Path(path).relative_to(args.data), *diffs, sep="\n  ")
    print(f"{len(paths)} captures, {datagrams:,} datagrams on the fast path; "
          f"{differing} with different tables, {errors} not analysed")
    return 1 if differing else 0


if __name__ == "__main__":
    sys.exit(main())
