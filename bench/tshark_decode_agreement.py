"""Does the decoder find the same innermost IP packet as tshark, packet by packet?

    python bench/tshark_decode_agreement.py [--data ../shared/data] [--only PREFIX ...]
                                            [--examples 3]

The kernel's own reference (tests/naive/decode.py) was written from the same reading of the
specifications, so it shares the kernel's blind spots; tshark is an independent decoder. For
every capture of MANIFEST.csv that parses cleanly (duplicates once), every packet's innermost
IP addresses and transport ports are compared with the last IP layer tshark dissects (before
an ICMP message: the packet an error quotes is not the packet's own layer), with tshark's IP
reassembly off (fragments are put together later by our pipeline, so fragment rows are not
compared; neither are ARP rows, whose address columns hold ARP's addresses).

Each difference is put in a category that says what it is: an encapsulation one of the two
decoders does not read (the other's addresses are then one of the outer layers), a header we
reject as damaged where tshark reads on, an IPv4-mapped address in an IPv6 header (the engine
keeps IPv4 addresses mapped), or, unexplained, addresses or ports that differ outright. The
exit status is 1 when an unexplained difference is found.
"""

from __future__ import annotations

import argparse
import csv
import ipaddress
import subprocess
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from wirelens.capture import open_capture
from wirelens.core.batch import PacketStatus
from wirelens.decode import Decoder
from wirelens.pipeline.columns import addr_one

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
FIELDS = ("frame.protocols", "ip.src", "ip.dst", "ipv6.src", "ipv6.dst", "tcp.srcport",
          "tcp.dstport", "udp.srcport", "udp.dstport", "ip.cur_rt")
UNEXPLAINED = ("addresses differ", "ports differ")
"""Categories that are a disagreement nothing above explains."""


@dataclass
class TsharkPacket:
    """One frame as tshark dissected it: its layers (cut after an ICMP message), the
    addresses of each IP layer in order, and the ports after the innermost one (or None)."""

    layers: list[str]
    ips: list[tuple[str, str]]
    ports: tuple[int, int] | None
    routed: set[str]  # (IPv4 source routes: the header's destination, tshark's "current")


def _nth(text: str, n: int) -> str:
    items = text.split(",")
    return items[n] if n < len(items) else ""


class TsharkCannotRead(Exception):
    """tshark read no packet of a capture (a link type it does not know, say)."""


def tshark_packets(path: Path, tshark: str = "tshark") -> list[TsharkPacket]:
    cmd = [tshark, "-r", str(path), "-n", "-o", "ip.defragment:FALSE",
           "-o", "ipv6.defragment:FALSE", "-T", "fields", "-E", "separator=/t",
           "-E", "occurrence=a", "-E", "aggregator=,"]
    for f in FIELDS:
        cmd += ["-e", f]
    run = subprocess.run(cmd, capture_output=True, text=True, errors="replace", timeout=600)
    out = run.stdout
    if not out and run.returncode:
        raise TsharkCannotRead(run.stderr.strip().splitlines()[-1] if run.stderr else "")
    packets = []
    for line in out.splitlines():
        cols = line.split("\t") + [""] * len(FIELDS)
        layers = cols[0].split(":")
        for j, name in enumerate(layers):
            if name in ("icmp", "icmpv6"):
                layers = layers[: j + 1]
                break
        ips: list[tuple[str, str]] = []
        seen = Counter[str]()
        for name in layers:
            if name in ("ip", "ipv6"):
                k = seen[name]
                seen[name] += 1
                src, dst = (1, 2) if name == "ip" else (3, 4)
                ips.append((_nth(cols[src], k), _nth(cols[dst], k)))
        ports = None
        last_ip = max((j for j, name in enumerate(layers) if name in ("ip", "ipv6")), default=-1)
        nxt = layers[last_ip + 1] if 0 <= last_ip < len(layers) - 1 else ""
        if nxt in ("tcp", "udp"):
            k = layers.count(nxt) - 1
            sp, dp = (5, 6) if nxt == "tcp" else (7, 8)
            a, b = _nth(cols[sp], k), _nth(cols[dp], k)
            if a.isdigit() and b.isdigit():
                ports = (int(a), int(b))
        packets.append(TsharkPacket(layers, ips, ports, set(filter(None, cols[9].split(",")))))
    return packets


@dataclass
class OurPacket:
    status: int
    ip_ver: int
    src: str
    dst: str
    ports: tuple[int, int]
    tunnel: int
    outer: tuple[str, str]


def our_packets(path: Path) -> list[OurPacket]:
    decoder = Decoder()
    out = []
    with open_capture(path) as src:
        for raw in src:
            p = decoder.decode(raw)
            cols = [c.tolist() for c in (
                p.status, p.ip_ver, p.src_hi, p.src_lo, p.dst_hi, p.dst_lo, p.sport, p.dport,
                p.tunnel, p.outer_src_hi, p.outer_src_lo, p.outer_dst_hi, p.outer_dst_lo)]
            for st, ver, shi, slo, dhi, dlo, sp, dp, tun, oshi, oslo, odhi, odlo in zip(*cols):
                out.append(OurPacket(st, ver, addr_one(shi, slo), addr_one(dhi, dlo), (sp, dp),
                                     tun, (addr_one(oshi, oslo), addr_one(odhi, odlo))))
    return out


def _canon(text: str) -> str:
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return text


def engine_address(text: str) -> str:
    """An address written as the engine writes it (IPv4-mapped IPv6 dotted, RFC 5952
    otherwise)."""
    try:
        a = ipaddress.ip_address(text)
    except ValueError:
        return text
    mapped = a.ipv4_mapped if isinstance(a, ipaddress.IPv6Address) else None
    return str(mapped) if mapped is not None else str(a)


def classify(t: TsharkPacket, u: OurPacket) -> str | None:
    """The category of a difference between tshark's reading and ours, or None: they agree
    (or the row is not compared)."""
    if u.status in (PacketStatus.ARP, PacketStatus.FRAGMENT):
        return None
    if not t.ips:
        return "we read an IP packet where tshark reads none" if u.ip_ver else None
    if not u.ip_ver:
        name = PacketStatus(u.status).name.lower()
        return f"tshark reads IP where we stop ({name}) after {':'.join(t.layers[:3])}"
    ips = [(_canon(s), _canon(d)) for s, d in t.ips]
    ours = (u.src, u.dst)
    if ours != ips[-1] and u.status != PacketStatus.OK:
        name = PacketStatus(u.status).name.lower()
        return f"we stop at a header we find damaged ({name}) where tshark reads on"
    if ours != ips[-1] and u.src == ips[-1][0] and u.dst in t.routed:
        return ("a source-routed packet: tshark names the route's last address, we the "
                "header's destination (the next hop)")
    if ours != ips[-1]:
        if (engine_address(ips[-1][0]), engine_address(ips[-1][1])) == ours:
            return "an IPv4-mapped address in an IPv6 header (the engine keeps IPv4 mapped)"
        if ours in ips[:-1]:
            after = t.layers[t.layers.index(_layer_of(t, ips.index(ours))) + 1:]
            return f"tshark decodes further: {':'.join(after[:4])}"
        if u.tunnel and u.outer in ips:
            return "we decode a tunnel tshark leaves as payload"
        if "" in ips[-1]:  # (cisco-fabric-path.pcap: a whole 40-byte IPv6 header that tshark,
            # taking the frame's last 4 bytes for an FCS, finds short)
            return "tshark leaves an address of the header empty (its dissection failed)"
        return "addresses differ"
    if t.ports is not None and u.status == PacketStatus.OK and u.ports != t.ports:
        return "ports differ"
    return None


def _layer_of(t: TsharkPacket, k: int) -> str:
    """The name of the ``k``-th IP layer in ``t.layers`` (its position found by counting)."""
    n = -1
    for j, name in enumerate(t.layers):
        if name in ("ip", "ipv6"):
            n += 1
            if n == k:
                return t.layers[j]
    raise IndexError(k)


@dataclass
class Report:
    captures: int = 0
    compared: int = 0
    categories: Counter[str] = field(default_factory=Counter)
    examples: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    errors: list[str] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)  # (by tshark)

    @property
    def unexplained(self) -> int:
        return sum(self.categories[c] for c in UNEXPLAINED)


def compare_capture(path: Path, rep: Report, examples: int = 3) -> None:
    try:
        theirs, ours = tshark_packets(path), our_packets(path)
    except TsharkCannotRead as exc:
        rep.unreadable.append(f"{path}: {exc}")
        return
    except Exception as exc:  # (a capture tshark or we cannot read: reported, not fatal)
        rep.errors.append(f"{path}: {type(exc).__name__}: {exc}")
        return
    rep.captures += 1
    if len(theirs) != len(ours):
        rep.errors.append(f"{path}: tshark read {len(theirs)} packets, we {len(ours)}")
    per_file = Counter[str]()
    for n, (t, u) in enumerate(zip(theirs, ours), 1):
        rep.compared += 1
        cat = classify(t, u)
        if cat is None:
            continue
        rep.categories[cat] += 1
        per_file[cat] += 1
        if per_file[cat] <= examples:
            rep.examples[cat].append(
                f"{path} #{n} {':'.join(t.layers)} | tshark {t.ips[-1] if t.ips else None} "
                f"{t.ports} | ours {u.src} > {u.dst} {u.ports} status {u.status}")


def captures(data: Path, only: list[str]) -> list[Path]:
    with open(data / "MANIFEST.csv", newline="") as f:
        rows = [r for r in csv.DictReader(f)
                if r["parses_cleanly"] == "yes" and not r["dup_of"]
                and (not only or any(r["path"].startswith(p) for p in only))]
    return [data / r["path"] for r in rows if (data / r["path"]).is_file()]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--only", action="append", default=[], help="path prefix in MANIFEST.csv")
    ap.add_argument("--examples", type=int, default=3, help="examples per capture and category")
    args = ap.parse_args(argv)
    if not (args.data / "MANIFEST.csv").is_file():
        print(f"no MANIFEST.csv under {args.data}", file=sys.stderr)
        return 2
    rep = Report()
    for path in captures(args.data, args.only):
        compare_capture(path, rep, args.examples)
    print(f"{rep.captures} captures, {rep.compared} packets compared with tshark; "
          f"{rep.unexplained} unexplained differences")
    for cat, n in rep.categories.most_common():
        print(f"{n:7d}  {cat}")
        for e in rep.examples[cat][:20]:
            print(f"           {e}")
    for e in rep.errors:
        print(f"  note: {e}")
    for e in rep.unreadable:
        print(f"  tshark cannot read {e}")
    return 1 if rep.unexplained else 0


if __name__ == "__main__":
    sys.exit(main())
