"""Terminal rendering for the CLI (rich): progress, the run summary, result tables, the demo.

Presentation only; the work is done by the pipeline and the service layer.
"""

from __future__ import annotations

import gc
import os
import shutil
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pyarrow as pa
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table
from rich.text import Text

from wirelens.pipeline.summary import RunSummary

err = Console(stderr=True)
out = Console()


def analyze_with_progress(inputs: list[str], dest: Path, opts: dict[str, Any],
                          quiet: bool = False, stop: threading.Event | None = None,
                          freeze_start_up: bool = False) -> RunSummary:
    """The analysis, with a progress bar on a terminal. ``freeze_start_up`` (for a process
    that ends with the command: the console entry point, not a caller whose heap goes on):
    what start-up made is frozen (``gc.freeze``) once the kernels are loaded. Inputs none of
    which exists (a mistyped path) are reported without the kernels' warm-up, which on a cold
    cache would compile them first (a minute) for a run that reads nothing."""
    from wirelens.pipeline.api import NothingRead, analyze

    if any(p == "-" or os.path.exists(p) for p in inputs):
        warm_with_notice(opts.get("dpi", "full"))
    if freeze_start_up:  # start-up's objects (modules, numba's compiler) live to the end:
        gc.freeze()  # the collector walks them no more (the warm-up's few cycles stay)
    try:
        if quiet or not err.is_terminal:
            return analyze(inputs, dest, keep_tables=False, stop=stop, **opts).summary
        started = time.perf_counter()
        with Progress(TextColumn("[bold]analyzing"), BarColumn(), DownloadColumn(),
                      TextColumn("{task.fields[rate]}"), TimeRemainingColumn(),
                      console=err, transient=True) as bar:
            task = bar.add_task("analyze", total=None, rate="")

            def progress(done: int, total: int, packets: int) -> None:
                secs = max(time.perf_counter() - started, 1e-9)
                bar.update(task, completed=done, total=total or None,
                           rate=f"{packets:,} pkts  {packets / secs / 1e3:,.0f} kpkt/s")

            return analyze(inputs, dest, keep_tables=False, progress=progress, stop=stop,
                           **opts).summary
    except NothingRead as exc:  # (the caller prints each input's problem and exits 1)
        return exc.result.summary


def warm_with_notice(dpi: str = "full", after_s: float = 1.5) -> None:
    """Load the compiled kernels a run with ``dpi`` uses (compiling them if the cache is cold
    or stale) before the run, so its timing is honest; says so on screen when it takes long
    and no warm-up went through with these kernel sources before (a busy machine makes a
    warm load slow too: that is no first run)."""
    from wirelens.core import jit
    from wirelens.pipeline.warm import warm, warmed_marker

    marker = warmed_marker(dpi)
    if marker is not None and marker.exists():
        warm(dpi)
        return
    done = threading.Event()

    def notice() -> None:
        if not done.wait(after_s):
            if jit.CACHE_DIR is None:
                err.print("[yellow]Compiling the packet kernels (about a minute): no folder to "
                          "keep them in can be written, so every run compiles them; set "
                          "NUMBA_CACHE_DIR to a writable folder...[/]")
            else:
                err.print("[yellow]First run: compiling the packet kernels (once; about a "
                          "minute)...[/]")

    threading.Thread(target=notice, daemon=True).start()
    try:
        warm(dpi)
    finally:
        done.set()


def print_summary(s: RunSummary, console: Console = out) -> None:
    console.print(f"[bold]{s.packets:,}[/] packets, {s.bytes / 1e6:,.1f} MB, "
                  f"[bold]{s.flows:,}[/] flows in {s.elapsed_s:.2f} s "
                  f"({s.packets_per_s / 1e3:,.0f} k packets/s)")
    detail = [f"{s.ip_packets:,} IP", f"{s.non_ip_packets:,} non-IP", f"{s.arp_packets:,} ARP",
              f"{s.malformed_packets:,} malformed", f"{s.fragments:,} fragments"]
    if s.unknown_link_packets:
        detail.append(f"{s.unknown_link_packets:,} of undecoded link types")
    if s.flows_evicted:
        detail.append(f"{s.flows_evicted:,} flows evicted (table full)")
    console.print("  " + ", ".join(detail))
    stages = [f"{k} {v:.2f} s" for k, v in s.stage_s.items() if v >= 0.005]
    if stages:
        console.print("  time: " + ", ".join(stages))
    grid = Table.grid(padding=(0, 3))
    grid.add_column()
    grid.add_column()
    grid.add_column()
    grid.add_row(_counter("protocols (flows)", s.protocols), _counter("services (flows)", s.services),
                 _talkers(s))
    if s.flows:
        console.print(grid)
    if s.weirds:
        console.print(_counter("weirds", s.weirds))
    if s.out:
        tables = ", ".join(f"{t} {n:,}" for t, n in s.rows.most_common())
        console.print(f"tables in [bold]{escape(s.out)}[/]: {tables}")


def _counter(title: str, counter: Any, n: int = 8) -> Table:
    t = Table(title=title, show_header=False, box=None, title_justify="left")
    for k, v in counter.most_common(n):
        t.add_row(Text(str(k)), f"{v:,}")
    return t


def _talkers(s: RunSummary) -> Table:
    t = Table(title="top talkers (IP bytes)", show_header=False, box=None, title_justify="left")
    for row in s.top_talkers(8):
        t.add_row(Text(row["host"]), f"{row['ip_bytes']:,}", f"{row['flows']:,} flows")
    return t


def print_table(table: pa.Table, limit: int = 50, total: int | None = None,
                console: Console = out) -> None:
    """The first ``limit`` rows of ``table``, and how many rows the result had (``total``:
    ``table``'s own when not given)."""
    from wirelens.service.lake_query import python_rows  # (duckdb: not for every command)

    t = Table(show_lines=False)
    for name in table.column_names:  # (as Text: data, not markup; "a[b]c" stays itself)
        t.add_column(Text(name), overflow="fold")
    for row in python_rows(table.slice(0, limit)):
        t.add_row(*[Text(_cell(v)) for v in row.values()])
    console.print(t)
    total = table.num_rows if total is None else total
    if total > limit:
        console.print(f"({total:,} rows, {limit:,} shown; --limit N or --format csv)")


def _cell(value: Any) -> str:
    """A value as a table cell: lists and structs as JSON (their times as text), not reprs."""
    from wirelens.service.lake_query import json_text

    if value is None:
        return ""
    return json_text(value) if isinstance(value, (list, dict)) else str(value)


def print_schema(name: str, rows: list[dict[str, str]], console: Console = out) -> None:
    t = Table(title=f"table {name}", title_justify="left")
    for col in ("name", "type", "nullable", "doc"):
        t.add_column(col, overflow="fold")
    for r in rows:
        t.add_row(*(Text(r[k]) for k in ("name", "type", "nullable", "doc")))
    console.print(t)


DEMO_QUESTIONS: tuple[tuple[str, str], ...] = (
    ("Busiest services", "SELECT service, count(*) AS flows, sum(orig_ip_bytes+resp_ip_bytes) "
     "AS bytes FROM conn GROUP BY 1 ORDER BY 3 DESC LIMIT 6"),
    ("Applications (from SNI, Host, DNS names and the DNS cache)",
     "SELECT application, category, count(*) AS flows, sum(orig_ip_bytes+resp_ip_bytes) "
     "AS bytes FROM conn WHERE application IS NOT NULL GROUP BY 1, 2 ORDER BY 4 DESC LIMIT 6"),
    ("Most queried names", "SELECT query, count(*) AS n FROM dns GROUP BY 1 ORDER BY 2 DESC LIMIT 5"),
    ("TLS and QUIC server names",
     "SELECT server_name, count(*) AS n, count(*) FILTER (WHERE via = 'quic') AS over_quic "
     "FROM (SELECT server_name, 'tls' AS via FROM tls UNION ALL "
     "SELECT server_name, 'quic' FROM quic) GROUP BY 1 ORDER BY 2 DESC LIMIT 5"),
    ("TLS client software by JA4 fingerprint (a rare one on one host stands out)",
     "SELECT ja4, count(*) AS n, count(DISTINCT orig_h) AS hosts, "
     "count(DISTINCT ja3_hash) AS ja3s FROM tls GROUP BY 1 ORDER BY 2 DESC LIMIT 6"),
    ("SSH software and HASSH (brute force shows as many short sessions)",
     "SELECT client, hassh, count(*) AS sessions, count(DISTINCT orig_h) AS hosts FROM ssh "
     "GROUP BY 1, 2 ORDER BY 3 DESC LIMIT 3"),
    ("DCE/RPC calls to the domain controller, and who made them (NTLM)",
     "SELECT endpoint, operation, count(*) AS calls, count(DISTINCT ntlm_user) AS users "
     "FROM dce_rpc WHERE request = 'REQUEST' GROUP BY 1, 2 ORDER BY 3 DESC LIMIT 5"),
    ("Certificate issuers", "SELECT issuer, count(*) AS certs, sum(CAST(self_signed AS INT)) "
     "AS self_signed FROM x509 GROUP BY 1 ORDER BY 2 DESC LIMIT 3"),
    ("Hosts contacting most ports (scan?)", "SELECT orig_h, count(DISTINCT resp_p) AS ports, "
     "count(*) AS flows FROM conn GROUP BY 1 ORDER BY 2 DESC LIMIT 3"),
    ("Most rejected/unanswered connections", "SELECT orig_h, conn_state, count(*) AS n FROM conn "
     "WHERE conn_state IN ('S0','REJ','RSTO','RSTR') GROUP BY 1,2 ORDER BY 3 DESC LIMIT 4"),
    ("Largest uploads", "SELECT orig_h, resp_h, resp_p, orig_bytes, resp_bytes FROM conn "
     "ORDER BY orig_bytes DESC LIMIT 3"),
)
"""What the demo asks of its lake: (title, SQL); each must answer with rows."""


def demo(dest: Path, seed: int = 7, scale: float = 1.0) -> int:
    """Simulate a realistic capture, analyse it, print what was found and where."""
    from wirelens.service.lake_query import query
    from wirelens.sim import SimConfig, simulate

    dest.mkdir(parents=True, exist_ok=True)
    lake = dest / "lake"
    shutil.rmtree(lake, ignore_errors=True)
    pcap = dest / "demo.pcap"
    res = simulate(pcap, SimConfig(seed=seed, scale=scale))
    out.print(f"[bold]1. simulated[/] {res.packets:,} packets, {res.flows:,} flows -> "
              f"{escape(str(res.pcap))} (ground truth: {escape(str(res.labels))})")
    out.print("[bold]2. analysed[/] with wirelens analyze:")
    summary = analyze_with_progress([str(pcap)], lake, {"dpi": "full"})
    print_summary(summary)
    out.print("[bold]3. a few answers[/] (wirelens query -d "
              f"{escape(str(lake))} \"SQL\"):")
    for title, sql in DEMO_QUESTIONS:
        out.print(f"[bold cyan]{title}[/]  [dim]{escape(sql)}[/]")
        print_table(query(lake, sql))
    out.print(f"Results: Parquet tables under [bold]{escape(str(lake))}[/]; try "
              f"`wirelens query -d {escape(str(lake))} \"SELECT * FROM conn LIMIT 5\"`.")
    sys.stdout.flush()
    return 0
