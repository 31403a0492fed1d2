"""Speed and memory of ``wirelens analyze`` on the benchmark capture, against the peers.

    python bench/bench_analyze.py [--data DIR] [--runs 3] [--files big.pcap,quarter.pcap]

DIR holds the captures built by ``../shared/bench/make-capture.sh DIR`` (built there if
missing, which needs tshark and tcpreplay). For each capture it runs, A B A B in one go:
``wirelens analyze`` with full DPI, ``--dpi fast`` and ``--dpi off``, and where installed ndpiReader
(Debian libndpi-bin) and NFStream (pip nfstream, in this interpreter or the one
``--nfstream-python`` names: a venv of its own keeps it out of ours). Each under ``/usr/bin/time -v``; prints the
median wall time, CPU time (user + system, child processes included: wirelens writes its
Parquet files on a second core, by a thread or, with DPI, a process), packets/s, Gbit/s,
peak RSS (for wirelens the analysis process's plus
the lake writer's, ``writer_peak_rss`` in its summary), and the ratios against the peers, then where
wirelens's time went by stage (its ``--json`` summary's ``stage_s``).
A first (untimed) run warms the kernel cache so compile time is not measured, after the package
is byte-compiled (as ``pip install`` does; a checkout run with ``PYTHONDONTWRITEBYTECODE``, as
on this project's machines, would otherwise compile every module changed since on each run).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from importlib.util import find_spec
from pathlib import Path

HERE = Path(__file__).resolve().parent
SHARED_BENCH = HERE.parent.parent / "shared" / "bench"


def timed(cmd: list[str]) -> tuple[float, float, int, str]:
    """Wall seconds, CPU seconds (user + system, its children's included), peak RSS bytes and
    stdout of ``cmd`` under /usr/bin/time -v."""
    p = subprocess.run(["/usr/bin/time", "-v", *cmd], capture_output=True, text=True)
    if p.returncode not in (0, 3):
        raise RuntimeError(f"{cmd[0]} failed ({p.returncode}): {p.stderr[-2000:]}")
    wall = re.search(r"Elapsed \(wall clock\) time.*: (?:(\d+):)?(\d+):([\d.]+)", p.stderr)
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr)
    assert wall and rss, p.stderr
    h, m, s = wall.groups()
    secs = int(h or 0) * 3600 + int(m) * 60 + float(s)
    cpu = sum(float(x) for x in re.findall(r"(?:User|System) time \(seconds\): ([\d.]+)",
                                            p.stderr))
    return secs, cpu, int(rss.group(1)) * 1024, p.stdout


def capinfo(path: Path) -> tuple[int, int]:
    out = subprocess.run(["capinfos", "-c", "-d", "-M", "-T", "-r", str(path)],
                         capture_output=True, text=True, check=True).stdout.strip().split("\t")
    return int(out[1]), int(out[2])


def has_nfstream(python: str) -> bool:
    """Whether ``python`` can import nfstream."""
    try:
        return subprocess.run([python, "-c", "import nfstream"], capture_output=True,
                              timeout=120).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=str(HERE / "data"))
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--files", default="big.pcap")
    ap.add_argument("--peers", default="ndpi,nfstream", help="comma list; empty for none")
    ap.add_argument("--nfstream-python", default=sys.executable,
                    help="a Python that can import nfstream (default: this one)")
    args = ap.parse_args()
    data = Path(args.data)
    if not (data / "big.pcap").exists():
        print(f"building the benchmark captures in {data} (once) ...", flush=True)
        subprocess.run(["bash", str(SHARED_BENCH / "make-capture.sh"), str(data)], check=True)
    wl = shutil.which("wirelens") or str(Path(sys.executable).parent / "wirelens")
    peers = [p for p in args.peers.split(",") if p]
    for name in args.files.split(","):
        cap = data / name
        packets, size = capinfo(cap)
        print(f"\n== {name}: {packets:,} packets, {size / 1e9:.2f} GB")
        with tempfile.TemporaryDirectory() as tmp:
            def ours(mode: str, out: str, cap: Path = cap, tmp: str = tmp) -> list[str]:
                return [wl, "analyze", str(cap), "-o", f"{tmp}/{out}", "--overwrite", "--json",
                        "--quiet", "--dpi", mode]

            cmds: dict[str, list[str]] = {
                "wirelens (flows+DPI+Parquet)": ours("full", "a"),
                "wirelens --dpi fast": ours("fast", "b"),
                "wirelens --dpi off": ours("off", "c"),
            }
            if "ndpi" in peers and shutil.which("ndpiReader"):
                cmds["ndpiReader 4.2 (flows+DPI)"] = ["ndpiReader", "-i", str(cap), "-n", "1"]
            if "nfstream" in peers and has_nfstream(args.nfstream_python):
                cmds["NFStream (flows+DPI)"] = [args.nfstream_python,
                                                str(SHARED_BENCH / "peer_nfstream.py"),
                                                str(cap), "20", "0", "iter"]
            spec = find_spec("wirelens")
            if spec is not None and spec.submodule_search_locations:
                subprocess.run([sys.executable, "-m", "compileall", "-q",
                                *spec.submodule_search_locations], check=True,
                               stdout=subprocess.DEVNULL)
            timed(ours("full", "warm"))  # compiles the kernels if the cache is cold
            results: dict[str, list[tuple[float, float, int]]] = {k: [] for k in cmds}
            flows = {}
            stages: dict[str, list[dict[str, float]]] = {k: [] for k in cmds}
            for _ in range(args.runs):
                for label, cmd in cmds.items():
                    wall, cpu, rss, stdout = timed(cmd)
                    if label.startswith("wirelens"):
                        summary = json.loads(stdout)
                        rss += summary.get("writer_peak_rss") or 0  # (the lake's process)
                        flows[label] = summary["flows"]
                        stages[label].append(summary["stage_s"])
                    results[label].append((wall, cpu, rss))
            med = {k: (statistics.median(w for w, _, _ in v), statistics.median(c for _, c, _ in v),
                       max(r for _, _, r in v)) for k, v in results.items()}
            print(f"{'tool':32} {'wall s':>8} {'CPU s':>7} {'kpkt/s':>9} {'Gbit/s':>7} "
                  f"{'peak RSS MB':>12}  flows")
            for label, (wall, cpu, rss) in med.items():
                print(f"{label:32} {wall:8.2f} {cpu:7.2f} {packets / wall / 1e3:9.0f} "
                      f"{size * 8 / wall / 1e9:7.2f} {rss / 2**20:12.0f}  {flows.get(label, '')}")
            print("where the time went inside wirelens (median s by stage; the rest of the wall "
                  "time is start-up: imports, loading the kernels):")
            for label, runs in stages.items():
                if runs:
                    by = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
                    print(f"  {label:30} " + "  ".join(f"{k} {v:.2f}" for k, v in by.items()))
                    kernels = by["read"] + by["decode"] + by["flows"]
                    print(f"  {'':30} capture+decode+flows alone: {packets / kernels / 1e6:.2f} M "
                          "packets/s (the steady-state rate with the output left out)")
            ours_ = {"full DPI": "wirelens (flows+DPI+Parquet)", "--dpi fast": "wirelens --dpi fast",
                     "--dpi off": "wirelens --dpi off"}
            for label, (wall, _, _) in med.items():
                if not label.startswith("wirelens"):
                    print(f"packets/s of wirelens against {label}: " + ", ".join(
                        f"{mode} {wall / med[key][0]:.2f}x" for mode, key in ours_.items()))
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    sys.exit(main())
