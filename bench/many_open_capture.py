"""The flow table on a capture of our own with many flows open at once (not a test).

    python bench/many_open_capture.py [--flows 400000] [--rounds 4] [--out DIR]

Writes a pcap where ``--flows`` UDP and TCP conversations are all open together: every flow
sends one packet per round, rounds interleaved, so the whole population is live until the
end (a real uplink's shape, unlike the benchmark capture whose copies run end to end). Then
runs ``wirelens analyze --dpi off`` on it twice, unbounded and with ``--max-flows`` at a
quarter of the population, under ``/usr/bin/time -v``, and prints packets/s, peak RSS, flows
and evictions: memory follows the open flows, and the bound holds (evictions counted).
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

from wirelens.capture.writer import PcapWriter


def frame(k: int, rnd: int) -> bytes:
    """Packet ``rnd`` of flow ``k``: 10.x.y.z:port -> 198.18.a.b:443 (UDP or TCP by parity)."""
    src = 0x0A000000 | (k & 0xFFFFFF)
    dst = 0xC6120000 | (k % 65_000)
    sport = 1024 + (k % 60_000)
    udp = k % 2 == 0
    payload = b"x" * (40 + (k + rnd) % 200)
    if udp:
        l4 = struct.pack("!HHHH", sport, 443, 8 + len(payload), 0) + payload
        proto = 17
    else:
        flags = 0x02 if rnd == 0 else 0x18
        l4 = struct.pack("!HHIIBBHHH", sport, 443, 1000 + rnd * 300, 0, 0x50, flags, 65535, 0,
                         0) + (payload if rnd else b"")
        proto = 6
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), k & 0xFFFF, 0, 64, proto, 0,
                     src.to_bytes(4, "big"), dst.to_bytes(4, "big"))
    return b"\x02\0\0\0\0\x02\x02\0\0\0\0\x01\x08\x00" + ip + l4


def write_capture(path: Path, flows: int, rounds: int) -> int:
    t0 = 1_767_225_600_000_000_000  # 2026-01-01
    step = 30_000_000_000 // max(flows, 1)  # a round lasts 30 s: no flow idles out
    n = 0
    with PcapWriter(path) as w:
        for rnd in range(rounds):
            for k in range(flows):
                w.write(t0 + (rnd * flows + k) * step, frame(k, rnd))
                n += 1
    return n


def timed(cmd: list[str]) -> tuple[float, int, dict]:
    p = subprocess.run(["/usr/bin/time", "-v", *cmd], capture_output=True, text=True)
    if p.returncode not in (0, 3):
        raise RuntimeError(p.stderr[-2000:])
    wall = re.search(r"Elapsed \(wall clock\) time.*: (?:(\d+):)?(\d+):([\d.]+)", p.stderr)
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr)
    assert wall and rss
    h, m, s = wall.groups()
    summary = json.loads(p.stdout)
    peak = int(rss.group(1)) * 1024 + (summary.get("writer_peak_rss") or 0)  # (+ the lake's)
    return int(h or 0) * 3600 + int(m) * 60 + float(s), peak, summary


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--flows", type=int, default=400_000)
    ap.add_argument("--rounds", type=int, default=4)
    ap.add_argument("--out", default=None, help="keep the capture here")
    args = ap.parse_args()
    tmp = Path(args.out or tempfile.mkdtemp())
    tmp.mkdir(parents=True, exist_ok=True)
    cap = tmp / f"open{args.flows}.pcap"
    if not cap.exists():
        print(f"writing {cap} ...", flush=True)
        write_capture(cap, args.flows, args.rounds)
    wl = shutil.which("wirelens") or str(Path(sys.executable).parent / "wirelens")
    print(f"{'run':28} {'wall s':>7} {'kpkt/s':>8} {'peak RSS MB':>12} {'flows':>8} {'evicted':>8}")
    for label, extra in (("unbounded", []), ("max-flows = flows/4", ["--max-flows",
                                                                      str(args.flows // 4)])):
        cmd = [wl, "analyze", str(cap), "-o", str(tmp / "lake"), "--overwrite", "--json",
               "--quiet", "--dpi", "off", *extra]
        wall, rss, s = timed(cmd)
        print(f"{label:28} {wall:7.2f} {s['packets'] / wall / 1e3:8.0f} {rss / 2**20:12.0f} "
              f"{s['flows']:8d} {s['flows_evicted']:8d}")
    if not args.out:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
