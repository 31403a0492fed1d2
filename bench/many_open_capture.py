"""The flow table on a capture of our own with many flows open at once (not a test).

    python bench/many_open_capture.py [--flows 400000] [--rounds 4] [--out DIR]

Writes a pcap where ``--flows`` UDP and TCP conversations are all open together: every flow
sends one packet per round, rounds interleaved, so the whole population is live until the
end (a real uplink's shape, unlike the benchmark capture whose copies run end to end). Then
runs ``wirelens analyze --dpi off`` on it twice, unbounded and with ``--max-flows`` at a
quarter of the population, under ``/usr/bin/time -v``, and prints packets/s, peak RSS, flows
and evictions: memory follows the open flows, and the bound holds (evictions counted).

``--traffic`` chooses the payloads: ``opaque`` (the default: bytes no content test names)
or, for the memory DPI keeps per open flow, ``http`` (a pipelined request per round, never
answered), ``tls`` (a ClientHello, then application data records; no ServerHello) or ``dns``
(a query per round, never answered), each also run with ``--dpi full``.
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


def _client_hello(k: int) -> bytes:
    """A TLS record holding a ClientHello naming ``h<k>.example.com``."""
    sni = f"h{k:x}.example.com".encode()
    exts = (struct.pack("!HHHBH", 0, len(sni) + 5, len(sni) + 3, 0, len(sni)) + sni
            + struct.pack("!HHHH", 10, 4, 2, 0x1D))
    body = (b"\x03\x03" + k.to_bytes(32, "big") + b"\x00" + struct.pack("!H", 4)
            + b"\x13\x01\xc0\x2f\x01\x00" + struct.pack("!H", len(exts)) + exts)
    hs = b"\x01" + len(body).to_bytes(3, "big") + body
    return b"\x16\x03\x01" + struct.pack("!H", len(hs)) + hs


def _payload(traffic: str, k: int, rnd: int) -> tuple[bool, int, bytes]:
    """(UDP, server port, payload) of the payload packet ``rnd`` of flow ``k``."""
    if traffic == "http":
        return False, 80, f"GET /{k}/{rnd} HTTP/1.1\r\nHost: h{k % 1000}.example\r\n\r\n".encode()
    if traffic == "tls":
        return False, 443, (_client_hello(k) if rnd <= 1 else
                            b"\x17\x03\x03\x00\x40" + bytes(64))
    if traffic == "dns":
        name = b"".join(bytes([len(p)]) + p for p in (f"q{rnd}".encode(), b"example", b"com"))
        return True, 53, struct.pack("!HHHHHH", rnd, 0x0100, 1, 0, 0, 0) + name + b"\0\0\1\0\1"
    return k % 2 == 0, 443, b"x" * (40 + (k + rnd) % 200)


def frame(k: int, rnd: int, seq: int, traffic: str = "opaque") -> tuple[bytes, int]:
    """Packet ``rnd`` of flow ``k`` (a TCP flow's first is its SYN, then its data from ``seq``):
    10.x.y.z:port -> 198.18.a.b:port, and the payload's length."""
    src = 0x0A000000 | (k & 0xFFFFFF)
    dst = 0xC6120000 | (k % 65_000)
    sport = 1024 + (k % 60_000)
    udp, port, payload = _payload(traffic, k, rnd)
    if udp:
        l4 = struct.pack("!HHHH", sport, port, 8 + len(payload), 0) + payload
        proto = 17
    else:
        if rnd == 0:
            payload = b""
        l4 = struct.pack("!HHIIBBHHH", sport, port, 1000 if rnd == 0 else seq, 0, 0x50,
                         0x02 if rnd == 0 else 0x18, 65535, 0, 0) + payload
        proto = 6
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), k & 0xFFFF, 0, 64, proto, 0,
                     src.to_bytes(4, "big"), dst.to_bytes(4, "big"))
    return b"\x02\0\0\0\0\x02\x02\0\0\0\0\x01\x08\x00" + ip + l4, len(payload)


def write_capture(path: Path, flows: int, rounds: int, traffic: str = "opaque") -> int:
    t0 = 1_767_225_600_000_000_000  # 2026-01-01
    step = 30_000_000_000 // max(flows, 1)  # a round lasts 30 s: no flow idles out
    seq = [1001] * flows  # each TCP flow's next sequence number (its SYN is at 1000)
    n = 0
    with PcapWriter(path) as w:
        for rnd in range(rounds):
            for k in range(flows):
                data, sent = frame(k, rnd, seq[k], traffic)
                seq[k] += sent
                w.write(t0 + (rnd * flows + k) * step, data)
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
    ap.add_argument("--traffic", choices=("opaque", "http", "tls", "dns"), default="opaque")
    ap.add_argument("--out", default=None, help="keep the capture here")
    args = ap.parse_args()
    tmp = Path(args.out or tempfile.mkdtemp())
    tmp.mkdir(parents=True, exist_ok=True)
    suffix = "" if args.traffic == "opaque" else f"_{args.traffic}"
    cap = tmp / f"open{args.flows}{suffix}.pcap"
    if not cap.exists():
        print(f"writing {cap} ...", flush=True)
        write_capture(cap, args.flows, args.rounds, args.traffic)
    wl = shutil.which("wirelens") or str(Path(sys.executable).parent / "wirelens")
    print(f"{'run':28} {'wall s':>7} {'kpkt/s':>8} {'peak RSS MB':>12} {'flows':>8} {'evicted':>8}")
    runs = [("unbounded", ["--dpi", "off"]),
            ("max-flows = flows/4", ["--dpi", "off", "--max-flows", str(args.flows // 4)])]
    if args.traffic != "opaque":
        runs.append(("unbounded, --dpi full", ["--dpi", "full"]))
    for label, extra in runs:
        cmd = [wl, "analyze", str(cap), "-o", str(tmp / "lake"), "--overwrite", "--json",
               "--quiet", *extra]
        wall, rss, s = timed(cmd)
        print(f"{label:28} {wall:7.2f} {s['packets'] / wall / 1e3:8.0f} {rss / 2**20:12.0f} "
              f"{s['flows']:8d} {s['flows_evicted']:8d}")
    if not args.out:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
