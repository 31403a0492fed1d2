"""``python -m wirelens.sim OUT.pcap [--seed N] [--duration S] [--clients N] [--scale X]``."""

from __future__ import annotations

import argparse
import sys

from wirelens.sim.engine import ALL_SCENARIOS, SimConfig, simulate


def main(argv: list[str] | None = None) -> int:
    """Write a simulated capture and its labels; print a one-line summary."""
    ap = argparse.ArgumentParser(prog="python -m wirelens.sim", description=__doc__)
    ap.add_argument("out", help="pcap file to write (labels go to OUT.labels.jsonl)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--duration", type=float, default=600.0, help="seconds")
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--scenarios", default=",".join(ALL_SCENARIOS),
                    help="comma-separated scenario names")
    a = ap.parse_args(argv)
    cfg = SimConfig(seed=a.seed, duration_s=a.duration, n_clients=a.clients, scale=a.scale,
                    scenarios=tuple(s for s in a.scenarios.split(",") if s))
    res = simulate(a.out, cfg)
    sys.stdout.write(f"{res.pcap}: {res.packets} packets, {res.flows} flows; "
                     f"labels {res.labels} ({sum(res.scenarios.values())} rows)\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
