"""Do our dns, http, tls and quic tables name what tshark reads, on every capture?

    python bench/tshark_l7_agreement.py [--data ../shared/data] [--only PREFIX ...]

nDPI's, Zeek's and Suricata's expected outputs cover a few hundred captures; tshark reads
them all. For every capture of MANIFEST.csv that parses cleanly (duplicates once), tshark's
DNS query names (queries only), HTTP request Host headers and TLS / QUIC ClientHello SNIs are
gathered per connection (its two endpoints and the transport), and compared with the
``query`` of our dns rows, the ``host`` of our http rows and the ``server_name`` of our tls
and quic rows on the same connection. A connection agrees when every name tshark reads is one
of ours (compared without case and without a trailing dot); it is partial when some are.
SSDP's HTTP-over-UDP requests (port 1900) are left out: we name SSDP by its content and keep
no http row for it. Names written differently for the same bytes are not differences: the
root, which tshark writes ``<Root>`` and we ``.``, and a damaged byte, which tshark writes as
the replacement character and we as ``\\DDD`` (the mutated ``fuzz-*`` captures).

Known differences: a DNS UPDATE's zone, which tshark gives as its query name, where we log
the name updated (as Zeek's dns.log does); a name with a compression loop, which tshark
writes as an error text and we do not log; HTTP inside IPsec AH, which tshark walks through
and we, as Zeek and nDPI, keep as protocol 51.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

from tshark_decode_agreement import DATA, captures, engine_address

import wirelens

FIELDS = ("ip.src", "ip.dst", "ipv6.src", "ipv6.dst", "tcp.srcport", "tcp.dstport",
          "udp.srcport", "udp.dstport", "tls.handshake.extensions_server_name", "http.host",
          "dns.qry.name", "dns.flags.response", "frame.protocols")
FILTER = "tls.handshake.type == 1 || http.request || (dns && !icmp && !icmpv6)"
KINDS = {"dns": (("dns", "query"),), "http": (("http", "host"),),
         "sni": (("tls", "server_name"), ("quic", "server_name"))}
"""What is compared: tshark's name kind -> our (table, column) pairs."""

Key = tuple[str, tuple[tuple[str, int], tuple[str, int]]]
Names = dict[str, dict[Key, set[str]]]


def connection(transport: str, a: str, ap: int, b: str, bp: int) -> Key:
    x, y = (engine_address(a), ap), (engine_address(b), bp)
    return transport, (x, y) if x <= y else (y, x)


def _last(text: str) -> str:
    return text.split(",")[-1] if text else ""


def tshark_names(path: Path, tshark: str = "tshark") -> Names:
    cmd = [tshark, "-r", str(path), "-n", "-Y", FILTER, "-T", "fields", "-E", "separator=/t",
           "-E", "occurrence=a", "-E", "aggregator=,"]
    for f in FIELDS:
        cmd += ["-e", f]
    out = subprocess.run(cmd, capture_output=True, text=True, errors="replace",
                         timeout=600).stdout
    got: Names = defaultdict(lambda: defaultdict(set))
    for line in out.splitlines():
        c = line.split("\t") + [""] * len(FIELDS)
        layers = c[12].split(":")
        inner_v6 = "ipv6" in layers and (
            "ip" not in layers or layers[::-1].index("ipv6") < layers[::-1].index("ip"))
        src, dst = (_last(c[2]), _last(c[3])) if inner_v6 else (_last(c[0]), _last(c[1]))
        transport = "tcp" if "tcp" in layers else "udp"
        sp, dp = (c[4], c[5]) if transport == "tcp" else (c[6], c[7])
        sp, dp = _last(sp), _last(dp)
        if not (src and dst and sp.isdigit() and dp.isdigit()):
            continue
        key = connection(transport, src, int(sp), dst, int(dp))
        if c[8]:
            got["sni"][key].update(c[8].split(","))
        if c[9] and "1900" not in (sp, dp):
            got["http"][key].update(c[9].split(","))
        if c[10] and c[11].split(",")[0] in ("0", "False"):
            got["dns"][key].update(c[10].split(","))
    return got


def our_names(path: Path) -> Names:
    res = wirelens.analyze(path)
    transport = {r["uid"]: {6: "tcp", 17: "udp"}.get(r["proto"], "")
                 for r in res.tables["conn"].select(["uid", "proto"]).to_pylist()}
    got: Names = defaultdict(lambda: defaultdict(set))
    for kind, sources in KINDS.items():
        for table, column in sources:
            if table not in res.tables:
                continue
            cols = ["uid", "orig_h", "orig_p", "resp_h", "resp_p", column]
            for r in res.tables[table].select(cols).to_pylist():
                if r[column]:
                    key = connection(transport.get(r["uid"], ""), r["orig_h"], r["orig_p"],
                                     r["resp_h"], r["resp_p"])
                    got[kind][key].add(r[column])
    return got


_ESCAPED = re.compile(r"\\\d{3}|\ufffd")


def _norm(name: str) -> str:
    """Case and a trailing dot aside; the root as ``.``; a damaged byte (``\\DDD`` ours, the
    replacement character tshark's) as ``?``."""
    if name == "<Root>":
        return "."
    return _ESCAPED.sub("?", name.lower().rstrip(".") or ".")


def compare(path: Path, tally: Counter[str], examples: dict[str, list[str]],
            limit: int = 3) -> None:
    theirs, ours = tshark_names(path), our_names(path)
    for kind in KINDS:
        shown = 0
        for key, names in theirs[kind].items():
            want = {_norm(n) for n in names}
            have = {_norm(n) for n in ours[kind].get(key, ())}
            tally[f"{kind} connections"] += 1
            verdict = "agree" if want <= have else "partial" if want & have else "differ"
            tally[f"{kind} {verdict}"] += 1
            if verdict != "agree" and shown < limit:
                shown += 1
                examples[f"{kind} {verdict}"].append(
                    f"{path} {key[0]} {key[1]}: tshark {sorted(names)[:4]} ours "
                    f"{sorted(ours[kind].get(key, ()))[:4]}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--only", action="append", default=[], help="path prefix in MANIFEST.csv")
    ap.add_argument("--examples", type=int, default=3, help="examples per capture and kind")
    args = ap.parse_args(argv)
    tally: Counter[str] = Counter()
    examples: dict[str, list[str]] = defaultdict(list)
    paths = captures(args.data, args.only)
    for path in paths:
        compare(path, tally, examples, args.examples)
    print(f"{len(paths)} captures")
    for kind in KINDS:
        n = tally[f"{kind} connections"]
        ok = tally[f"{kind} agree"]
        print(f"  {kind:5s} {ok}/{n} connections agree"
              f"{f' ({ok / n:.1%})' if n else ''}, {tally[f'{kind} partial']} partly, "
              f"{tally[f'{kind} differ']} differ")
    for cat, lines in examples.items():
        print(f"{cat} ({tally[cat]}):")
        for line in lines[:60]:
            print(f"    {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
