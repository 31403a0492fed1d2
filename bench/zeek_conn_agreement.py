"""How far does our ``conn`` table agree with Zeek's own ``conn.log`` baselines?

Zeek's btest baselines (``zeek/testing/btest/Baseline/<test>/conn.log``) are Zeek's expected
output for one of the traces under ``zeek/testing/btest/Traces``; the btest scripts that say
which trace are not in the shared data, so a baseline is paired with a trace by content: the
trace whose flows cover most of the baseline's ``(orig_h, orig_p, resp_h, resp_p, proto)``
rows (either direction), ties broken by timestamps (when the baseline has real ones), then by
how close the flow counts are, then by name similarity between test and trace.

Within a pair, a Zeek row is matched to our flow with the same directed key and the nearest
``ts`` (within 1 ms when the baseline has epoch timestamps; most baselines mask them as
``XXXXXXXXXX.XXXXXX``, then flows with the same key are paired in order). When no flow has the
same direction, the swapped key is tried and counted as a *direction disagreement*.

Fields compared (on same-direction matches):

- ``pkts``: ``orig_pkts`` and ``resp_pkts`` both equal;
- ``ip_bytes``: ``orig_ip_bytes`` and ``resp_ip_bytes`` both equal;
- ``bytes``: ``orig_bytes``/``resp_bytes`` for UDP and ICMP only (Zeek's TCP byte counts come
  from sequence numbers, ours are captured payload bytes, so TCP is not compared);
- ``conn_state``;
- ``history``: after keeping only the letters we implement (``S H A D F R T G W`` in either
  case; Zeek's ``^ C I Q X`` etc. are dropped). Compared for TCP and UDP (Zeek writes no
  history for ICMP);
- ``missed_bytes`` (TCP);
- ``service``: only where Zeek's service names dns, http, ssl or ftp-data (our ``tls``,
  ``ftp_data``);
- ``duration``: within 2 µs (Zeek prints 6 decimals);
- ``tunnel``: where Zeek's row names ``tunnel_parents`` and the baseline's folder holds a
  ``tunnel.log``: the endpoints of those tunnels (both directions' outer connections of a
  VXLAN or GTP flow, say) equal our ``tunnel_orig_h`` and ``tunnel_resp_h`` (as a set: Zeek's
  tunnel connection takes its direction from the first outer packet, which may be another
  flow's). Zeek's parents are the innermost tunnel, ours the outermost.

ICMP keys: Zeek puts the ICMP type/counterpart type in the ports; our ``conn`` has ports 0 and
``icmp_type`` in its own column, so ICMP rows are keyed by hosts and protocol only.

Run: ``.venv/bin/python bench/zeek_conn_agreement.py [--data DIR] [--examples 3]``.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO / ".." / "shared" / "data"
ZEEK_BTEST = Path("zeek") / "testing" / "btest"

HISTORY_LETTERS = frozenset("SsHhAaDdFfRrTtGgWw")
"""History letters wirelens implements (S syn, H syn-ack, A ack, D data, F fin, R rst,
T retransmission, G gap, W zero window)."""
SERVICE_MAP = {"dns": "dns", "http": "http", "ssl": "tls", "ftp-data": "ftp_data"}
"""Zeek service names compared, and our name for each."""
TS_TOLERANCE_S = 0.001
DURATION_TOLERANCE_S = 2e-6
FIELDS = ("pkts", "ip_bytes", "bytes", "missed_bytes", "conn_state", "history", "service",
          "duration", "tunnel")

_ZEEK_COLUMNS = {
    "id.orig_h": "orig_h", "id.orig_p": "orig_p", "id.resp_h": "resp_h", "id.resp_p": "resp_p",
}
_INT_COLUMNS = ("orig_p", "resp_p", "orig_pkts", "resp_pkts", "orig_ip_bytes", "resp_ip_bytes",
                "orig_bytes", "resp_bytes", "missed_bytes")


# ----------------------------------------------------------------------------- parsing zeek logs

def _value(raw: str, unset: str, empty: str) -> str | None:
    if raw == unset:
        return None
    if raw == empty:
        return ""
    return raw


def _normalise(row: dict[str, Any]) -> dict[str, Any]:
    """Zeek column names -> ours; numbers parsed; ``ts`` as float or None when masked."""
    out: dict[str, Any] = {}
    for k, v in row.items():
        out[_ZEEK_COLUMNS.get(k, k)] = v
    for k in _INT_COLUMNS:
        v = out.get(k)
        if isinstance(v, str):
            out[k] = int(v) if v.isdigit() else None
    ts = out.get("ts")
    if isinstance(ts, str):
        try:
            out["ts"] = float(ts)
        except ValueError:  # masked: XXXXXXXXXX.XXXXXX
            out["ts"] = None
    dur = out.get("duration")
    if isinstance(dur, str):
        try:
            out["duration"] = float(dur)
        except ValueError:
            out["duration"] = None
    if isinstance(out.get("service"), list):
        out["service"] = ",".join(out["service"])
    if out.get("proto") is not None:
        out["proto"] = str(out["proto"]).lower()
        ip_proto = out.get("ip_proto")
        if out["proto"] == "unknown_transport" and ip_proto not in (None, "-"):
            out["proto"] = _PROTO_NAMES.get(int(ip_proto), f"ip{int(ip_proto)}")
    return out


def parse_conn_log(path: Path) -> list[dict[str, Any]] | None:
    """Rows of a Zeek conn.log (ASCII with ``#fields``, zeek-cut style header line, or JSON).

    Returns None when the file cannot be read as any of these.
    """
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return None
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.startswith("###")]
    if not lines:
        return []
    if lines[0].lstrip().startswith("{"):
        rows = []
        for ln in lines:
            try:
                rows.append(_normalise(json.loads(ln)))
            except json.JSONDecodeError:
                return None
        return rows
    sep, unset, empty = "\t", "-", "(empty)"
    fields: list[str] | None = None
    rows = []
    for ln in lines:
        if ln.startswith("#"):
            key, _, rest = ln.partition(sep if not ln.startswith("#separator") else " ")
            if key == "#separator":
                sep = rest.strip().encode().decode("unicode_escape")
            elif key == "#fields":
                fields = rest.split(sep)
            elif key == "#unset_field":
                unset = rest
            elif key == "#empty_field":
                empty = rest
            continue
        parts = ln.split(sep)
        if fields is None:  # zeek-cut -m style: the first line names the columns
            fields = parts
            continue
        if len(parts) != len(fields):
            return None
        rows.append(_normalise({k: _value(v, unset, empty) for k, v in zip(fields, parts)}))
    return rows if fields is not None else None


# ----------------------------------------------------------------------------- our flows

_PROTO_NAMES = {1: "icmp", 6: "tcp", 17: "udp", 58: "icmp"}


def _proto(name: str | None) -> str:
    """tcp, udp, icmp (v4 and v6, as Zeek logs both) or ``ip<N>`` for other IP protocols."""
    if name is None:
        return ""
    name = name.lower()
    return "icmp" if name.startswith("icmp") or name == "ipv6-icmp" else name


def _portless(proto: str) -> bool:
    """Protocols keyed by hosts only (Zeek logs ports 0 for them, we may carry real ones)."""
    return proto.startswith("ip")


def our_flows(trace: Path) -> tuple[list[dict[str, Any]], str | None]:
    """Our conn rows for a trace as dicts (ts as float seconds), or ([], error text)."""
    import wirelens

    cols = ["ts", "orig_h", "orig_p", "resp_h", "resp_p", "proto", "proto_name", "duration",
            "orig_pkts", "resp_pkts", "orig_ip_bytes", "resp_ip_bytes", "orig_bytes", "resp_bytes",
            "conn_state", "history", "service", "icmp_type", "end_reason", "missed_bytes",
            "tunnel_orig_h", "tunnel_resp_h"]
    try:
        conn = wirelens.analyze(trace, vlan_key=False).conn  # Zeek's key has no VLAN
    except Exception as exc:  # noqa: BLE001 -- a trace we cannot read is reported, not fatal
        return [], f"{type(exc).__name__}: {exc}"
    conn = conn.select(cols)
    ts = conn.column("ts").cast("int64").to_pylist()
    rows = conn.drop_columns(["ts"]).to_pylist()
    for r, t in zip(rows, ts):
        r["ts"] = t / 1e9
        num = r.pop("proto")
        r["proto"] = _PROTO_NAMES.get(num) or f"ip{num}"
        r.pop("proto_name")
        if r["proto"] == "icmp":  # Zeek's orig_p is the ICMP type of the first packet
            r["orig_p"] = r["icmp_type"]
    return rows, None


# ----------------------------------------------------------------------------- keys and pairing

def _key(row: dict[str, Any], cols: tuple[str, ...], swap: bool = False) -> tuple[Any, ...]:
    """Directed key over the columns the baseline has.

    ICMP keeps only the originator "port" (the type, RFC 792 / RFC 4443): Zeek's responder
    port is a counterpart type or the code, which we do not carry. Other protocols than
    tcp/udp/icmp are keyed without ports.
    """
    proto = _proto(row.get("proto"))
    o, r = ("resp", "orig") if swap else ("orig", "resp")
    out: list[Any] = []
    for c in cols:
        side, _, what = c.partition("_")
        if what == "p" and (_portless(proto) or (proto == "icmp" and (swap or side == "resp"))):
            out.append(None)
        elif side in ("orig", "resp"):
            out.append(row.get(f"{o if side == 'orig' else r}_{what}"))
        else:
            out.append(_proto(row.get(c)))
    return tuple(out)


def key_columns(rows: list[dict[str, Any]]) -> tuple[str, ...] | None:
    """Key columns present in a baseline; None when it cannot be paired (no hosts)."""
    if not rows or "orig_h" not in rows[0] or "resp_h" not in rows[0]:
        return None
    return tuple(c for c in ("orig_h", "orig_p", "resp_h", "resp_p", "proto") if c in rows[0])


def _tokens(text: str) -> set[str]:
    return {t for t in re.split(r"[^a-z0-9]+", text.lower()) if len(t) > 2} - {
        "core", "scripts", "base", "protocols", "pcap", "pcapng", "policy", "testing", "btest",
        "traces", "zeek", "frameworks"}


@dataclass
class Match:
    """One Zeek row and what we have for it."""

    zeek: dict[str, Any]
    ours: dict[str, Any] | None
    flipped: bool = False
    ts_miss: bool = False
    """A flow with the key exists but none starts within 1 ms of Zeek's ts."""


@dataclass
class Pair:
    """A baseline, the trace it belongs to, and the flow matches."""

    test: str
    trace: Path
    coverage: float
    matches: list[Match] = field(default_factory=list)
    extra: list[dict[str, Any]] = field(default_factory=list)
    """Our flows no Zeek row matched."""


def _nearest(cands: list[dict[str, Any]], used: set[int], ts: float | None) -> dict[str, Any] | None:
    free = [c for c in cands if id(c) not in used]
    if not free:
        return None
    if ts is None:
        return min(free, key=lambda c: c["ts"])
    best = min(free, key=lambda c: abs(c["ts"] - ts))
    return best if abs(best["ts"] - ts) <= TS_TOLERANCE_S else None


def match_flows(zrows: list[dict[str, Any]], ours: list[dict[str, Any]],
                cols: tuple[str, ...]) -> tuple[list[Match], list[dict[str, Any]]]:
    """Pair Zeek rows with our flows: same direction first, then swapped."""
    index: dict[tuple[Any, ...], list[dict[str, Any]]] = defaultdict(list)
    for f in ours:
        index[_key(f, cols)].append(f)
    epoch = any(z.get("ts") is not None and z["ts"] > 1e8 for z in zrows)
    used: set[int] = set()
    matches: list[Match] = []
    pending: list[Match] = []
    order = sorted(zrows, key=lambda z: (z.get("ts") or 0.0))
    for z in order:
        ts = z.get("ts") if epoch else None
        cands = index.get(_key(z, cols), [])
        hit = _nearest(cands, used, ts)
        m = Match(z, hit)
        if hit is not None:
            used.add(id(hit))
        else:
            m.ts_miss = bool(cands)
            pending.append(m)
        matches.append(m)
    for m in pending:  # swapped direction only for rows without a same-direction flow
        ts = m.zeek.get("ts") if epoch else None
        cands = index.get(_key(m.zeek, cols, swap=True), [])
        hit = _nearest(cands, used, ts)
        if hit is not None:
            used.add(id(hit))
            m.ours, m.flipped, m.ts_miss = hit, True, False
        elif cands:
            m.ts_miss = True
    extra = [f for f in ours if id(f) not in used]
    return matches, extra


def _coverage(zrows: list[dict[str, Any]], keys: set[tuple[Any, ...]], cols: tuple[str, ...]) -> int:
    return sum(1 for z in zrows if _key(z, cols) in keys or _key(z, cols, swap=True) in keys)


def find_pairs(data: Path, flows: dict[Path, list[dict[str, Any]]],
               baselines: dict[str, list[dict[str, Any]]], min_coverage: float = 0.5) -> list[Pair]:
    """Pair each baseline with the trace whose flows cover most of its rows."""
    pairs = []
    for test, zrows in sorted(baselines.items()):
        cols = key_columns(zrows)
        if cols is None:
            continue
        epoch = [z["ts"] for z in zrows if z.get("ts") is not None and z["ts"] > 1e8]
        best: tuple[Any, ...] | None = None
        for trace, ours in flows.items():
            keys = {_key(f, cols) for f in ours}
            cov = _coverage(zrows, keys, cols)
            if cov == 0:
                continue
            ts_hits = sum(1 for t in epoch if any(abs(f["ts"] - t) <= TS_TOLERANCE_S for f in ours))
            name = len(_tokens(test) & _tokens(str(trace.relative_to(data))))
            score = (cov, ts_hits, -abs(len(ours) - len(zrows)), name, str(trace))
            if best is None or score[:4] > best[0][:4]:
                best = (score, trace)
        pairable = sum(1 for z in zrows if not tunnel_outer(z))
        if best is None or best[0][0] < min_coverage * pairable:
            continue
        trace = best[1]
        matches, extra = match_flows(zrows, flows[trace], cols)
        pairs.append(Pair(test, trace, best[0][0] / max(pairable, 1), matches, extra))
    return pairs


# ----------------------------------------------------------------------------- comparing fields

def reduce_history(h: str | None) -> str:
    """Zeek history restricted to the letters we implement."""
    return "".join(c for c in (h or "") if c in HISTORY_LETTERS)


def _both(z: dict[str, Any], o: dict[str, Any], a: str, b: str) -> bool | None:
    if z.get(a) is None or z.get(b) is None:
        return None
    return (z[a], z[b]) == (o[a], o[b])


def compare(z: dict[str, Any], o: dict[str, Any]) -> dict[str, tuple[bool, str]]:
    """Per field: (agrees, disagreement category) for the fields comparable on this row."""
    proto = _proto(z.get("proto") or o.get("proto"))
    out: dict[str, tuple[bool, str]] = {}

    def side_diff(a: str, b: str, what: str) -> str:
        parts = []
        for col, side in ((a, "orig"), (b, "resp")):
            d = (o[col] or 0) - (z[col] or 0)
            if d:
                parts.append(f"{side} {'+' if d > 0 else '-'}")
        return f"{what} {proto}: ours {' '.join(parts)} vs zeek"

    ok = _both(z, o, "orig_pkts", "resp_pkts")
    if ok is not None:
        out["pkts"] = (ok, "" if ok else side_diff("orig_pkts", "resp_pkts", "pkts"))
    ok = _both(z, o, "orig_ip_bytes", "resp_ip_bytes")
    if ok is not None:
        out["ip_bytes"] = (ok, "" if ok else side_diff("orig_ip_bytes", "resp_ip_bytes", "ip_bytes"))
    if proto in ("udp", "icmp"):
        ok = _both(z, o, "orig_bytes", "resp_bytes")
        if ok is not None:
            out["bytes"] = (ok, "" if ok else side_diff("orig_bytes", "resp_bytes", "bytes"))
    if proto == "tcp" and z.get("missed_bytes") is not None:
        ok = z["missed_bytes"] == o["missed_bytes"]
        out["missed_bytes"] = (ok, f"missed_bytes tcp: zeek {z['missed_bytes']} ours "
                                   f"{o['missed_bytes']}")
    if z.get("conn_state") is not None:
        ok = z["conn_state"] == o["conn_state"]
        out["conn_state"] = (ok, f"conn_state {proto}: zeek {z['conn_state']} ours {o['conn_state']}")
    if "history" in z and proto in ("tcp", "udp"):
        zh, oh = reduce_history(z["history"]), o["history"] or ""
        ok = zh == oh
        missing = "".join(sorted(set(zh) - set(oh), key=zh.index))
        extra = "".join(sorted(set(oh) - set(zh), key=oh.index))
        if ok:
            cat = ""
        elif not missing and not extra:
            cat = f"history {proto}: same letters, other order/count"
        else:
            cat = f"history {proto}: ours lacks '{missing}' has extra '{extra}'"
        out["history"] = (ok, cat)
    zs = [s for s in (z.get("service") or "").split(",") if s in SERVICE_MAP]
    if zs:
        want = SERVICE_MAP[zs[0]]
        ok = o["service"] == want or (o["service"] or "") in {SERVICE_MAP[s] for s in zs}
        out["service"] = (ok, f"service: zeek {zs[0]} ours {o['service']}")
    if z.get("duration") is not None and o.get("duration") is not None:
        ok = math.isclose(z["duration"], o["duration"], abs_tol=DURATION_TOLERANCE_S)
        sign = "longer" if o["duration"] > z["duration"] else "shorter"
        out["duration"] = (ok, f"duration {proto}: ours {sign}")
    if z.get("tunnel_ends"):
        ours = {o.get("tunnel_orig_h"), o.get("tunnel_resp_h")} - {None}
        ok = ours == z["tunnel_ends"]
        nested = bool(ours) and not ours & z["tunnel_ends"]
        out["tunnel"] = (ok, "tunnel endpoints: a tunnel in a tunnel (zeek's parents are the "
                             "innermost, ours the outermost)" if nested else
                             f"tunnel endpoints {proto}: zeek {sorted(z['tunnel_ends'])} ours "
                             f"{sorted(ours)}")
    return out


def flow_text(row: dict[str, Any]) -> str:
    return (f"{row.get('proto')} {row.get('orig_h')}:{row.get('orig_p')} -> "
            f"{row.get('resp_h')}:{row.get('resp_p')}")


@dataclass
class Report:
    """Agreement figures over a set of pairs."""

    zeek_rows: int = 0
    matched: int = 0
    flipped: int = 0
    missing: int = 0
    ts_miss: int = 0
    extra: int = 0
    agree: Counter[str] = field(default_factory=Counter)
    total: Counter[str] = field(default_factory=Counter)
    flipped_pkts_agree: int = 0
    categories: Counter[str] = field(default_factory=Counter)
    examples: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))

    def rate(self, name: str) -> float:
        return self.agree[name] / self.total[name] if self.total[name] else math.nan

    def note(self, cat: str, example: str, keep: int) -> None:
        self.categories[cat] += 1
        if len(self.examples[cat]) < keep:
            self.examples[cat].append(example)


def _swap(o: dict[str, Any]) -> dict[str, Any]:
    s = dict(o)
    for a in ("pkts", "ip_bytes", "bytes"):
        s[f"orig_{a}"], s[f"resp_{a}"] = o[f"resp_{a}"], o[f"orig_{a}"]
    return s


TUNNEL_PORTS = {4789: "vxlan", 6081: "geneve", 2152: "gtp-u", 3544: "teredo", 5072: "ayiya",
                4754: "gre-in-udp", 8472: "vxlan"}
"""UDP ports of tunnels Zeek logs as their own (outer) connection."""


def tunnel_outer(z: dict[str, Any]) -> str | None:
    """The tunnel name when a Zeek row is a tunnel's outer UDP connection (we log only inner)."""
    if _proto(z.get("proto")) != "udp":
        return None
    svc = z.get("service") or ""
    tunnel = TUNNEL_PORTS.get(z.get("resp_p")) or TUNNEL_PORTS.get(z.get("orig_p"))
    if tunnel or svc in ("vxlan", "geneve", "gtpv1", "teredo", "ayiya"):
        return tunnel or svc
    return None


def _missing_category(m: Match) -> str:
    z = m.zeek
    proto = _proto(z.get("proto"))
    if m.ts_miss:
        return f"zeek flow, key found but ts > 1 ms away ({proto})"
    tunnel = tunnel_outer(z)
    if tunnel:
        return f"zeek logs the tunnel's outer udp flow ({tunnel}), we only the inner"
    return f"zeek flow we do not have ({proto}, zeek state {z.get('conn_state')})"


def _flip_category(m: Match) -> str:
    z = m.zeek
    proto = _proto(z.get("proto"))
    caret = "^" in (z.get("history") or "")
    zr, zo = z.get("resp_p"), z.get("orig_p")
    if caret:
        why = "zeek flipped roles ('^' in history)"
    elif isinstance(zr, int) and isinstance(zo, int) and zr < 1024 <= zo:
        why = "zeek's responder has the well-known port"
    else:
        why = "zeek's originator is not the first sender as we saw it"
    return f"direction {proto}: {why}"


def evaluate(pairs: Iterable[Pair], examples: int = 3) -> Report:
    """Count agreement per field and disagreement categories."""
    rep = Report()
    for p in pairs:
        where = "/".join(p.trace.parts[-3:]).split("Traces/")[-1]
        for m in p.matches:
            rep.zeek_rows += 1
            z = m.zeek
            ex = f"{p.test} | {where} | {flow_text(z)}"
            if m.ours is None:
                rep.missing += 1
                rep.ts_miss += m.ts_miss
                cat = _missing_category(m)
                rep.note(cat, ex, examples)
                continue
            if m.flipped:
                rep.flipped += 1
                rep.note(_flip_category(m), ex, examples)
                ok = _both(z, _swap(m.ours), "orig_pkts", "resp_pkts")
                rep.flipped_pkts_agree += bool(ok)
                continue
            rep.matched += 1
            for name, (ok, cat) in compare(z, m.ours).items():
                rep.total[name] += 1
                if ok:
                    rep.agree[name] += 1
                else:
                    detail = ""
                    if name in ("pkts", "ip_bytes"):
                        pre = name.split("_")[0] if name == "ip_bytes" else ""
                        detail = (f" zeek {z.get(f'orig_{pre}_bytes' if pre else 'orig_pkts')}/"
                                  f"{z.get(f'resp_{pre}_bytes' if pre else 'resp_pkts')}")
                        if name == "ip_bytes":
                            detail = (f" zeek {z.get('orig_ip_bytes')}/{z.get('resp_ip_bytes')} "
                                      f"ours {m.ours['orig_ip_bytes']}/{m.ours['resp_ip_bytes']}")
                        else:
                            detail = (f" zeek {z.get('orig_pkts')}/{z.get('resp_pkts')} "
                                      f"ours {m.ours['orig_pkts']}/{m.ours['resp_pkts']}")
                    elif name == "history":
                        detail = f" zeek {z.get('history')} ours {m.ours['history']}"
                    rep.note(cat, ex + detail, examples)
        for f in p.extra:
            rep.extra += 1
            rep.note(f"our flow zeek does not log ({f['proto']}, ours {f['conn_state']})",
                     f"{p.test} | {where} | {flow_text(f)}", examples)
    return rep


# ----------------------------------------------------------------------------- driver

EXCLUDED = {
    "core.pcap.dynamic-filter": "the test installs a BPF filter while reading",
}
"""Baselines whose btest changes what Zeek sees, so our unfiltered run cannot agree."""


def load_baselines(data: Path) -> tuple[dict[str, list[dict[str, Any]]], list[str]]:
    """Parsed baselines by test name, and the names of those skipped (unparseable / no hosts)."""
    out: dict[str, list[dict[str, Any]]] = {}
    skipped = []
    for path in sorted((data / ZEEK_BTEST / "Baseline").glob("*/conn.log")):
        rows = parse_conn_log(path)
        if path.parent.name in EXCLUDED or rows is None or key_columns(rows) is None:
            skipped.append(path.parent.name)
        else:
            add_tunnel_ends(rows, path.parent / "tunnel.log")
            out[path.parent.name] = rows
    return out, skipped


def add_tunnel_ends(rows: list[dict[str, Any]], tunnel_log: Path) -> None:
    """Give each row naming ``tunnel_parents`` the set of those tunnels' endpoint addresses
    (``tunnel_ends``), from the ``tunnel.log`` beside its conn.log; rows whose parents it
    does not list get none (not compared)."""
    tunnels = parse_conn_log(tunnel_log) if tunnel_log.is_file() else None
    if not tunnels:
        return
    ends: dict[str, set[str]] = defaultdict(set)
    for t in tunnels:
        if t.get("uid") and t.get("orig_h") and t.get("resp_h"):
            ends[t["uid"]] |= {t["orig_h"], t["resp_h"]}
    for r in rows:
        parents = [u for u in (r.get("tunnel_parents") or "").split(",") if u]
        if parents and all(u in ends for u in parents):
            r["tunnel_ends"] = set().union(*(ends[u] for u in parents))


def trace_files(data: Path) -> list[Path]:
    root = data / ZEEK_BTEST / "Traces"
    return sorted(p for p in root.rglob("*") if p.is_file())


def analyze_traces(traces: Iterable[Path]) -> tuple[dict[Path, list[dict[str, Any]]], dict[Path, str]]:
    """Run wirelens once per trace (the cache every pairing uses)."""
    flows: dict[Path, list[dict[str, Any]]] = {}
    errors: dict[Path, str] = {}
    for t in traces:
        rows, err = our_flows(t)
        if err is not None:
            errors[t] = err
        flows[t] = rows
    return flows, errors


def print_report(rep: Report, pairs: list[Pair], top: int = 20) -> None:
    print(f"\npairs: {len(pairs)} baselines paired with a trace")
    print(f"zeek rows: {rep.zeek_rows}  matched same direction: {rep.matched}  "
          f"direction disagreements: {rep.flipped} (pkts agree after swap: {rep.flipped_pkts_agree})  "
          f"zeek flows we lack: {rep.missing} (of which key found but ts off: {rep.ts_miss})  "
          f"our flows zeek lacks: {rep.extra}")
    print("\nper-field agreement (same-direction matches where the field is comparable):")
    for name in FIELDS:
        print(f"  {name:11s} {rep.agree[name]:5d}/{rep.total[name]:<5d} {100 * rep.rate(name):6.1f}%")
    print(f"\ntop disagreement categories (of {len(rep.categories)}):")
    for cat, n in rep.categories.most_common(top):
        print(f"  {n:5d}  {cat}")
        for ex in rep.examples[cat]:
            print(f"           e.g. {ex}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the shared data folder")
    ap.add_argument("--examples", type=int, default=3, help="examples per category")
    ap.add_argument("--top", type=int, default=25, help="categories printed")
    ap.add_argument("--pairs", action="store_true", help="list every pair and its coverage")
    args = ap.parse_args(argv)
    data = args.data.resolve()
    if not (data / ZEEK_BTEST).is_dir():
        print(f"no zeek btest data under {data}", file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    baselines, skipped = load_baselines(data)
    traces = trace_files(data)
    flows, errors = analyze_traces(traces)
    t1 = time.perf_counter()
    pairs = find_pairs(data, flows, baselines)
    rep = evaluate(pairs, args.examples)
    print(f"{len(baselines)} baselines parsed, {len(skipped)} skipped (unparseable or no endpoint "
          f"columns); {len(traces)} traces analysed in {t1 - t0:.1f} s ({len(errors)} failed)")
    for t, e in errors.items():
        print(f"  failed: {t.relative_to(data)}: {e[:120]}")
    unpaired = sorted(set(baselines) - {p.test for p in pairs})
    print(f"unpaired baselines ({len(unpaired)}): {', '.join(unpaired)}")
    if args.pairs:
        for p in pairs:
            print(f"  {p.coverage:5.2f} {p.test} <- {p.trace.relative_to(data)} "
                  f"({len(p.matches)} zeek rows, {len(p.extra)} extra)")
    print_report(rep, pairs, args.top)
    print(f"\ntotal {time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
