"""Shared helpers of the L7 correctness measurements (``bench/ndpi_agreement.py``,
``bench/suricata_verify_checks.py``, ``bench/zeek_l7_agreement.py``).

- :func:`run_capture`: one capture through ``wirelens.analyze`` in-process, under a time guard,
  giving the rows of the tables the scripts compare (``ts`` as float seconds);
- endpoint keys and name normalisation used for pairing and comparing;
- :func:`load_yaml`: a reader for the YAML subset suricata-verify's ``test.yaml`` files use
  (block mappings and sequences, plain/quoted scalars with continuation lines, flow
  sequences, block scalars, comments), since the project has no YAML dependency.

Only the standard library and ``wirelens`` are used.
"""

from __future__ import annotations

import ipaddress
import re
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO / ".." / "shared" / "data"

CAPTURE_TIMEOUT_S = 20.0
"""Per-capture time guard: a capture taking longer is reported as a hang, not waited for
(the whole corpus of ~2,500 small captures runs in ~20 s, so 20 s for one is a bug)."""

WARMUP_TIMEOUT_S = 900.0
"""Time guard of a process's first analysis, which also compiles (or loads from numba's cache)
the pipeline's kernels: interrupting a compilation leaves numba broken for the process."""

_warm = False

TABLES = ("conn", "dns", "http", "tls", "quic", "websocket", "x509", "ssh", "smtp", "ftp",
          "ldap", "kerberos", "sip", "dnp3", "ntp", "rdp", "smb", "dce_rpc", "dhcp")
"""Tables the comparisons read (a table not registered yet is simply empty)."""

CONN_COLUMNS = ("ts", "uid", "orig_h", "orig_p", "resp_h", "resp_p", "proto", "vlan",
                "orig_mac", "resp_mac", "service", "service_source", "server_name",
                "name_source", "application")
"""The conn columns kept (the full row is wide; only these are compared)."""


class CaptureTimeout(Exception):
    """A capture's analysis exceeded :data:`CAPTURE_TIMEOUT_S`."""


@contextmanager
def time_guard(seconds: float) -> Iterator[None]:
    """Raise :class:`CaptureTimeout` in the main thread after ``seconds`` (SIGALRM timer).

    A compiled kernel holding the interpreter delays the signal until it returns; the
    pipeline's kernels work on bounded batches, so the delay is short. While numba or
    llvmlite code is on the stack (a JIT compilation, which an exception would leave broken
    for the whole process) the alarm is re-armed for one second instead.
    """

    def _fire(signum: int, frame: FrameType | None) -> None:
        f = frame
        while f is not None:  # never interrupt numba/llvmlite (a JIT compile): retry later
            if any(m in f.f_code.co_filename for m in ("numba", "llvmlite")):
                signal.setitimer(signal.ITIMER_REAL, 1.0)
                return
            f = f.f_back
        raise CaptureTimeout(f"analysis exceeded {seconds:.0f} s")

    old = signal.signal(signal.SIGALRM, _fire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


@dataclass
class CaptureResult:
    """Rows of one capture's tables (dicts, ``ts`` in float seconds), or the error."""

    path: Path
    tables: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    error: str | None = None
    seconds: float = 0.0

    def rows(self, table: str) -> list[dict[str, Any]]:
        """Rows of ``table`` (empty when the table is absent or the run failed)."""
        return self.tables.get(table, [])


def _rows(table: Any, keep: tuple[str, ...] | None = None) -> list[dict[str, Any]]:
    """Arrow table -> list of dicts, ``ts`` (timestamp[ns]) as float seconds (and exact, in
    integer nanoseconds, as ``ts_ns``)."""
    if keep is not None:
        table = table.select([c for c in keep if c in table.column_names])
    ts: list[Any] | None = None
    if "ts" in table.column_names:
        ts = table.column("ts").cast("int64").to_pylist()
        table = table.drop_columns(["ts"])
    rows: list[dict[str, Any]] = table.to_pylist()
    if ts is not None:
        for r, t in zip(rows, ts):
            r["ts"] = None if t is None else t / 1e9
            r["ts_ns"] = t
    return rows


def run_capture(path: Path, timeout_s: float = CAPTURE_TIMEOUT_S,
                tables: tuple[str, ...] = TABLES, **options: Any) -> CaptureResult:
    """Analyse one capture in-process (``wirelens.analyze``, full DPI, ``options`` passed on)
    under a time guard (:data:`WARMUP_TIMEOUT_S` for the process's first analysis).

    Never raises for a capture problem: the exception text is kept in ``error``.
    """
    import wirelens

    global _warm
    res = CaptureResult(path)
    t0 = time.perf_counter()
    try:
        with time_guard(timeout_s if _warm else max(timeout_s, WARMUP_TIMEOUT_S)):
            out = wirelens.analyze(path, **options)
        _warm = True
        for name in tables:
            tab = out.tables.get(name)
            if tab is not None:
                res.tables[name] = _rows(tab, CONN_COLUMNS if name == "conn" else None)
    except Exception as exc:  # noqa: BLE001 -- a capture we cannot analyse is reported
        res.error = f"{type(exc).__name__}: {exc}"
    res.seconds = time.perf_counter() - t0
    return res


# ----------------------------------------------------------------------------- keys and names

def canon_ip(text: str | None) -> str:
    """Canonical text of an address (``fe80:0000::1`` and ``[fe80::1]`` -> ``fe80::1``)."""
    if text is None:
        return ""
    t = text.strip().strip("[]")
    try:
        return str(ipaddress.ip_address(t))
    except ValueError:
        return t


Endpoint = tuple[str, int]
FlowKey = tuple[frozenset[Endpoint], str]
"""Both endpoints (unordered) and the transport (``tcp``/``udp``/...)."""

PROTO_NAMES = {1: "icmp", 6: "tcp", 17: "udp", 58: "icmp6", 132: "sctp"}


def proto_name(num: int | None) -> str:
    """Transport name of an IP protocol number (``ip<N>`` for the unnamed ones)."""
    if num is None:
        return ""
    return PROTO_NAMES.get(num, f"ip{num}")


def flow_key(a_h: str, a_p: int | None, b_h: str, b_p: int | None, proto: str) -> FlowKey:
    """Orientation-free key of a flow."""
    return frozenset(((canon_ip(a_h), a_p or 0), (canon_ip(b_h), b_p or 0))), proto.lower()


def row_key(row: dict[str, Any], proto: str) -> FlowKey:
    """Key of a table row (conn, dns, http, tls, ...: they all carry the endpoints)."""
    return flow_key(row["orig_h"], row["orig_p"], row["resp_h"], row["resp_p"], proto)


def norm_name(name: str | None) -> str | None:
    """Names compared case-insensitively, without surrounding blanks or a trailing dot
    (DNS names are case-insensitive, RFC 4343; a final dot is the root label)."""
    if name is None:
        return None
    n = name.strip().lower().rstrip(".")
    return n or None


def ja4_comparable(ours: str, theirs: str, first_alpn: str | None) -> tuple[str, str]:
    """Both JA4 values with the known departures of the nDPI build that wrote the .out files
    from the FoxIO JA4 spec taken out (the TLS fingerprint tests' rules, and a fourth):

    (1) nDPI writes ``d`` (SNI present) even without SNI, so that character is not compared;
    (2) nDPI takes the first two characters of the first ALPN value, the spec its first and
    last, so the ALPN pair is compared only when that value has at most two characters;
    (3) nDPI hashes an empty list (``e3b0c44298fc``) where the spec writes zeros;
    (4) nDPI writes ``0`` as the ALPN's last character of some hellos (``h0`` where the first
    ALPN value is ``h2`` or ``h3``: seen in its QUIC and android.pcap results), so a ``0``
    there is not compared.
    """
    theirs = theirs.replace("_e3b0c44298fc", "_000000000000")
    o, t = list(ours), list(theirs)
    if len(o) > 10 and len(t) > 10:
        o[3] = t[3] = "?"
        if first_alpn is not None and len(first_alpn) > 2:
            o[8:10] = t[8:10] = ["?", "?"]
        elif t[9] == "0" and o[8] == t[8]:
            o[9] = t[9] = "?"
    return "".join(o), "".join(t)


def pct(n: int, d: int) -> str:
    """``n/d  xx.x%`` (``-`` when nothing was counted)."""
    return f"{n}/{d} {100 * n / d:5.1f}%" if d else f"{n}/{d}     -"


# ----------------------------------------------------------------------------- YAML subset

class YamlError(ValueError):
    """Text outside the YAML subset :func:`load_yaml` reads."""


_PLAIN_INT = re.compile(r"^[-+]?\d+$")
_PLAIN_FLOAT = re.compile(r"^[-+]?(\d+\.\d*|\.\d+|\d+)([eE][-+]?\d+)?$")


def _strip_comment(line: str) -> str:
    """The line without a ``#`` comment (a ``#`` after a blank, outside quotes)."""
    quote = ""
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "'\"" and (i == 0 or line[i - 1] in " \t:-[,{"):
            quote = ch
        elif ch == "#" and (i == 0 or line[i - 1] in " \t"):
            return line[:i].rstrip()
    return line.rstrip()


def _scalar(text: str) -> Any:
    """A plain, quoted or flow-sequence scalar (YAML 1.2 core schema for the plain ones)."""
    t = text.strip()
    if not t:
        return None
    if t[0] == '"' and t[-1] == '"' and len(t) >= 2:
        return t[1:-1].encode().decode("unicode_escape")
    if t[0] == "'" and t[-1] == "'" and len(t) >= 2:
        return t[1:-1].replace("''", "'")
    if t[0] == "[" and t[-1] == "]":
        inner = t[1:-1].strip()
        return [_scalar(p) for p in _split_flow(inner)] if inner else []
    if t[0] == "{" and t[-1] == "}":
        out: dict[str, Any] = {}
        for part in _split_flow(t[1:-1]):
            k, _, v = part.partition(":")
            out[str(_scalar(k))] = _scalar(v)
        return out
    low = t.lower()
    if low in ("true", "yes"):
        return True
    if low in ("false", "no"):
        return False
    if low in ("null", "~"):
        return None
    if _PLAIN_INT.match(t):
        return int(t)
    if _PLAIN_FLOAT.match(t):
        return float(t)
    return t


def _split_flow(text: str) -> list[str]:
    """Items of a flow collection's inside, split on top-level commas."""
    parts: list[str] = []
    cur: list[str] = []
    depth, quote = 0, ""
    for ch in text:
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append("".join(cur).strip())
            cur = []
            continue
        cur.append(ch)
    if "".join(cur).strip():
        parts.append("".join(cur).strip())
    return parts


def _key_split(text: str) -> tuple[str, str] | None:
    """``key: value`` -> (key, value); None when the text is not a mapping entry."""
    if text[:1] in "'\"":
        q = text[0]
        end = text.find(q, 1)
        if end > 0 and text[end + 1:end + 2] == ":":
            return text[1:end], text[end + 2:].strip()
        return None
    m = re.match(r"^([^\s:][^:]*?)\s*:(\s+|$)(.*)$", text)
    if m is None or m.group(1).startswith(("[", "{")):
        return None
    return m.group(1), m.group(3)


class _Lines:
    def __init__(self, text: str) -> None:
        self.raw = text.splitlines()
        self.i = 0

    def peek(self) -> tuple[int, str] | None:
        """(indent, content) of the next meaningful line, skipping blanks and comments."""
        while self.i < len(self.raw):
            line = self.raw[self.i]
            body = _strip_comment(line)
            if body.strip() and not body.lstrip().startswith("---"):
                return len(body) - len(body.lstrip(" ")), body.strip()
            self.i += 1
        return None


def _continuation(lines: _Lines, value: str, indent: int) -> str:
    """A plain scalar continued on more-indented lines (folded with single spaces)."""
    while True:
        nxt = lines.peek()
        if nxt is None or nxt[0] <= indent or value[:1] in "'\"[{|>":
            return value
        lines.i += 1
        value = f"{value} {nxt[1]}"


def _block_scalar(lines: _Lines, style: str, indent: int) -> str:
    """``|`` / ``>`` block scalar: the more-indented lines that follow."""
    out: list[str] = []
    lines.i += 1
    block_indent: int | None = None
    while lines.i < len(lines.raw):
        line = lines.raw[lines.i]
        if line.strip():
            ind = len(line) - len(line.lstrip(" "))
            if ind <= indent:
                break
            block_indent = ind if block_indent is None else block_indent
            out.append(line[block_indent:])
        else:
            out.append("")
        lines.i += 1
    sep = "\n" if style.startswith("|") else " "
    return sep.join(out).rstrip() + "\n"


def _value(lines: _Lines, rest: str, indent: int) -> Any:
    """The value after ``key:`` or ``-``: inline scalar, block scalar or nested block."""
    if rest and rest[0] in "|>":
        return _block_scalar(lines, rest, indent)
    lines.i += 1
    if rest:
        return _scalar(_continuation(lines, rest, indent))
    nxt = lines.peek()
    if nxt is None or nxt[0] < indent or (nxt[0] == indent and not nxt[1].startswith("- ")
                                           and nxt[1] != "-"):
        return None
    return _node(lines, nxt[0])


def _node(lines: _Lines, indent: int) -> Any:
    """A block mapping or sequence whose entries start at ``indent``."""
    first = lines.peek()
    if first is None:
        return None
    if first[1] == "-" or first[1].startswith("- "):
        seq: list[Any] = []
        while (nxt := lines.peek()) is not None and nxt[0] == indent and (
                nxt[1] == "-" or nxt[1].startswith("- ")):
            rest = nxt[1][1:].strip()
            if rest and _key_split(rest) is not None:
                # "- key: value ...": a mapping whose entries sit at the item's column
                sub = indent + len(nxt[1]) - len(nxt[1][1:].lstrip()) + 0
                lines.raw[lines.i] = " " * sub + rest
                seq.append(_node(lines, sub))
            else:
                seq.append(_value(lines, rest, indent))
        return seq
    mapping: dict[str, Any] = {}
    while (nxt := lines.peek()) is not None and nxt[0] == indent:
        kv = _key_split(nxt[1])
        if kv is None:
            raise YamlError(f"line {lines.i + 1}: expected 'key: value', got {nxt[1]!r}")
        mapping[kv[0]] = _value(lines, kv[1], indent)
    return mapping


def load_yaml(text: str) -> Any:
    """Parse the YAML subset of suricata-verify ``test.yaml`` files (see the module doc).

    Raises :class:`YamlError` on text outside the subset.
    """
    lines = _Lines(text.replace("\t", "    "))
    first = lines.peek()
    if first is None:
        return None
    out = _node(lines, first[0])
    rest = lines.peek()
    if rest is not None:
        raise YamlError(f"line {lines.i + 1}: unexpected {rest[1]!r}")
    return out
