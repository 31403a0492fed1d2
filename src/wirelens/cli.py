"""The ``wirelens`` command line: a thin front end over the pipeline and the service layer.

Exit status: 0 success; 1 error (bad arguments, unreadable input, failed query); 3 the run
finished but some input was damaged (truncated or corrupt capture: every packet before the
damage was analysed, and each problem is printed on one line and kept in the ``run`` table).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from wirelens.core.errors import WirelensError

EXIT_OK, EXIT_ERROR, EXIT_DAMAGED = 0, 1, 3


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="wirelens", description="Network traffic analysis.")
    p.add_argument("--version", action="store_true", help="print the version and exit")
    sub = p.add_subparsers(dest="cmd")

    a = sub.add_parser("analyze", help="analyse captures into Parquet tables")
    a.add_argument("inputs", nargs="+", help="pcap/pcapng files (also .gz/.zst/.xz/.bz2), folders, or - for stdin")
    a.add_argument("-o", "--out", required=True, help="output folder (the Parquet lake)")
    a.add_argument("--overwrite", action="store_true", help="replace tables already in OUT")
    a.add_argument("--append", action="store_true", help="add to tables already in OUT")
    a.add_argument("--export", default="", help="also write tables as jsonl and/or csv (comma list)")
    a.add_argument("--dpi", choices=("full", "fast", "off"), default="full",
                   help="full: services and protocol tables (default); fast: services and "
                        "server names only; off: flows only")
    a.add_argument("--no-dpi", action="store_true", help="same as --dpi off")
    a.add_argument("--show-passwords", action="store_true",
                   help="keep clear-text passwords and SNMP communities in the tables "
                        "(default: <redacted>; the rows still flag clear-text credentials)")
    a.add_argument("--idle-timeout", type=float, default=None, help="flow idle timeout, s (120)")
    a.add_argument("--active-timeout", type=float, default=None, help="flow active timeout, s (1800)")
    a.add_argument("--max-flows", type=int, default=None, help="bound of open flows (1048576)")
    a.add_argument("--no-vlan-key", action="store_true",
                   help="leave VLAN ids out of the flow key (a tap whose two directions "
                        "arrive on different VLANs)")
    a.add_argument("--community-id-seed", type=int, default=None, metavar="N",
                   help="seed of conn.community_id (0-65535; 0, the spec's default)")
    a.add_argument("--json", action="store_true", help="print the summary as JSON")
    a.add_argument("--quiet", action="store_true", help="no progress bar")

    q = sub.add_parser("query", help="run SQL (DuckDB) over an output folder")
    q.add_argument("sql")
    q.add_argument("-d", "--dir", required=True, help="output folder of wirelens analyze")
    q.add_argument("--format", choices=("table", "json", "csv"), default="table")
    q.add_argument("--limit", type=count, default=50, help="rows shown in table format (50)")

    s = sub.add_parser("schema", help="print the declared schema of a table")
    s.add_argument("table", nargs="?", help="conn, dns, http, tls, weird or run (none: list tables)")
    s.add_argument("--json", action="store_true")

    d = sub.add_parser("demo", help="simulate a realistic capture, analyse it, show findings")
    d.add_argument("-o", "--out", default="demo-out", help="folder for the capture and tables")
    d.add_argument("--seed", type=int, default=7)
    d.add_argument("--scale", type=float, default=1.0)

    m = sub.add_parser("simulate", help="write a simulated capture with ground-truth labels")
    m.add_argument("pcap")
    m.add_argument("--seed", type=int, default=7)
    m.add_argument("--scale", type=float, default=1.0)
    m.add_argument("--duration", type=float, default=600.0)
    return p


class Terminated(KeyboardInterrupt):
    """SIGTERM, handled as Ctrl-C is (:func:`run`): the files completed so far are kept, the
    temporary ones removed, instead of the process ending where it stands."""


def _terminate(signum: int, frame: Any) -> None:
    raise Terminated


def count(text: str) -> int:
    """An argument that counts something: an integer, 0 or more."""
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, not {value}")
    return value


def main(argv: list[str] | None = None, own_process: bool = False) -> int:
    """The command line. ``own_process``: the command runs in a process of its own, which
    ends with it (:func:`run`, the console entry point), so what start-up made may be frozen
    for the collector (``analyze_with_progress(freeze_start_up=...)``); tests call it in
    their process, whose heap goes on."""
    args = _parser().parse_args(argv)
    args.own_process = own_process
    if args.version:
        from wirelens import __version__

        print(__version__)
        return EXIT_OK
    handlers = {"analyze": _analyze, "query": _query, "schema": _schema, "demo": _demo,
                "simulate": _simulate}
    if args.cmd not in handlers:
        _parser().print_help()
        return EXIT_ERROR
    kept = (": files completed so far are kept" if args.cmd in ("analyze", "demo", "simulate")
            else "")  # (the commands that write files)
    try:
        return handlers[args.cmd](args)
    except Terminated:
        print(f"terminated{kept}", file=sys.stderr)
        return 128 + signal.SIGTERM
    except KeyboardInterrupt:
        print(f"interrupted{kept}", file=sys.stderr)
        return 130
    except MemoryError:  # (its text is mostly empty)
        print(f"wirelens: out of memory{kept}"
              + (" (open flows hold most of it: a smaller --max-flows bounds them)"
                 if args.cmd == "analyze" else ""), file=sys.stderr)
        return EXIT_ERROR
    except BrokenPipeError:  # the reader of our output left (``| head``): quietly, as the
        # Unix tools do; what is left to print goes nowhere (the lake's own pipe reports
        # its failures as LakeWriterFailed, not as this)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 128 + signal.SIGPIPE
    except (OSError, ValueError, KeyError, WirelensError) as exc:  # (OSError: a file that
        # cannot be read or written: disk full, no permission; WirelensError: the lake's
        # writer process killed, say; a KeyError's text is its message, not its repr)
        text = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        print(f"wirelens: {text}", file=sys.stderr)
        return EXIT_ERROR


def _analyze(args: argparse.Namespace) -> int:
    from wirelens.cli_view import analyze_with_progress, print_summary
    from wirelens.store.lake import clear_tables, has_data

    out = Path(args.out)
    if has_data(out):
        if args.overwrite:
            clear_tables(out)
        elif not args.append:
            print(f"wirelens: {out} already holds tables; use --overwrite or --append",
                  file=sys.stderr)
            return EXIT_ERROR
    opts: dict[str, Any] = {"dpi": "off" if args.no_dpi else args.dpi,
                            "show_passwords": args.show_passwords,
                            "vlan_key": not args.no_vlan_key}
    for key, val in (("idle_timeout_s", args.idle_timeout), ("active_timeout_s", args.active_timeout),
                     ("max_flows", args.max_flows),
                     ("community_id_seed", args.community_id_seed)):
        if val is not None:
            opts[key] = val
    formats = [x.strip() for x in args.export.split(",") if x.strip()]
    bad = [x for x in formats if x not in ("jsonl", "json", "csv")]
    if bad:
        raise ValueError(f"--export takes jsonl and/or csv, not {', '.join(bad)}")
    stop = threading.Event()
    signals = _stop_gracefully(stop)
    summary = analyze_with_progress(args.inputs, out, opts, quiet=args.quiet or args.json,
                                    stop=stop, freeze_start_up=args.own_process)
    if formats:
        import duckdb

        from wirelens.service.lake_query import export

        try:
            export(out, formats)
        except duckdb.Error as exc:  # one line, no traceback
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            print(f"wirelens: export failed (the tables in {out} are complete): {first}",
                  file=sys.stderr)
            return EXIT_ERROR
    if args.json:
        print(json.dumps(summary.to_dict(), indent=2, default=str))
    else:
        print_summary(summary)
    for line in summary.problems:
        print(line, file=sys.stderr)
    for line in summary.notices:
        print(f"note: {line}", file=sys.stderr)
    if summary.interrupted and signals:  # (a notice said where; the tables are complete
        return 128 + signals[0]         # up to there)
    if summary.read_nothing:
        if summary.files == 0:  # (else each input's problem was printed above)
            print(f"wirelens: {summary.read_nothing}", file=sys.stderr)
        return EXIT_ERROR
    return EXIT_DAMAGED if summary.problems else EXIT_OK


def _stop_gracefully(stop: threading.Event) -> list[int]:
    """SIGINT and SIGTERM during an analysis: the first sets ``stop`` (the run reads no
    further and ends as at the end of its inputs, every table and the run row written; a
    read waiting on a pipe ends at once), a second stops at once, as Ctrl-C does elsewhere.
    Returns the list the first signal's number is put in."""
    from wirelens.capture import EndInput, waiting_on_pipe

    got: list[int] = []

    def handler(signum: int, frame: Any) -> None:
        if got:
            raise Terminated if signum == signal.SIGTERM else KeyboardInterrupt
        got.append(signum)
        stop.set()
        # (os.write: a print here could land inside one of the main thread's, which raises)
        os.write(2, b"stopping: ending the open flows and writing the tables "
                    b"(again to stop at once)\n")
        if waiting_on_pipe():
            raise EndInput

    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)
    return got


def _query(args: argparse.Namespace) -> int:
    """The result printed as it comes, a batch at a time (json, csv), or its first rows
    (table): memory stays that of a batch whatever the result's size."""
    import duckdb
    import pyarrow as pa

    from wirelens.cli_view import print_table
    from wirelens.service.lake_query import json_text, python_rows, query_reader

    try:
        with query_reader(args.dir, args.sql) as reader:
            if args.format == "json":
                for batch in reader:
                    for row in python_rows(pa.Table.from_batches([batch])):
                        print(json_text(row))
            elif args.format == "csv":
                import pyarrow.csv as pacsv

                writer = None
                for batch in reader:
                    part = _stringify_lists(pa.Table.from_batches([batch]))
                    writer = writer or pacsv.CSVWriter(sys.stdout.buffer, part.schema)
                    writer.write_table(part)
                if writer is None:  # (no row: the header alone)
                    pacsv.write_csv(_stringify_lists(reader.schema.empty_table()),
                                    sys.stdout.buffer)
                else:
                    writer.close()
            else:
                head, total = [], 0
                for batch in reader:
                    if total < args.limit:
                        head.append(batch.slice(0, args.limit - total))
                    total += batch.num_rows
                print_table(pa.Table.from_batches(head, reader.schema), args.limit, total)
    except (duckdb.Error, FileNotFoundError) as exc:  # one clear line, no traceback
        sys.stdout.flush()
        print(f"wirelens: query failed: {exc}", file=sys.stderr)
        return EXIT_ERROR
    return EXIT_OK


def _stringify_lists(table: Any) -> Any:
    """Lists and structs as JSON text (CSV has no place for them), their times as text."""
    import pyarrow as pa

    from wirelens.service.lake_query import json_text, python_rows

    cols = []
    for col in table.columns:
        if pa.types.is_list(col.type) or pa.types.is_struct(col.type):
            values = [row["v"] for row in python_rows(pa.table([col], names=["v"]))]
            col = pa.array([json_text(v) for v in values], pa.string())
        cols.append(col)
    return pa.table(cols, names=table.column_names)


def _schema(args: argparse.Namespace) -> int:
    from wirelens.cli_view import print_schema
    from wirelens.service.schema_doc import describe, tables

    if not args.table:
        docs = tables()
        width = max(map(len, docs))
        for name, doc in docs.items():
            print(f"{name:{width}} {doc}")
        return EXIT_OK
    rows = describe(args.table)
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        print_schema(args.table, rows)
    return EXIT_OK


def _simulate(args: argparse.Namespace) -> int:
    from wirelens.sim import SimConfig, simulate

    res = simulate(args.pcap, SimConfig(seed=args.seed, scale=args.scale, duration_s=args.duration))
    print(f"wrote {res.pcap} ({res.packets} packets, {res.flows} flows) and labels {res.labels}")
    return EXIT_OK


def _demo(args: argparse.Namespace) -> int:
    from wirelens.cli_view import demo

    return demo(Path(args.out), seed=args.seed, scale=args.scale)


class _HidePandas:
    """A meta path finder for which pandas cannot be imported."""

    @staticmethod
    def find_spec(name: str, path: Any = None, target: Any = None) -> None:
        if name.partition(".")[0] == "pandas":
            raise ImportError("pandas hidden from pyarrow's first probe")


def _skip_pandas_probe() -> None:
    """pyarrow imports pandas (0.2-0.5 s) the first time ``pa.array`` runs, only to ask
    whether its input is a pandas object; the command line never hands it one and never
    converts to pandas. The first probe is made here with pandas hidden, so pyarrow notes
    "no pandas" and does not import it. (pyarrow would still import pandas for real if a
    conversion to pandas asked for it: the note only serves its "is this pandas?" checks.)"""
    if "pandas" in sys.modules:
        return
    import pyarrow as pa

    hide = _HidePandas()
    sys.meta_path.insert(0, hide)
    try:
        pa.array([0])
    finally:
        sys.meta_path.remove(hide)


def run() -> None:
    """Console entry point: ``main`` (glibc's mmap threshold fixed first:
    :func:`wirelens.core.memory.fix_mmap_threshold`), then exit without the interpreter's
    teardown (the output is flushed first; the run is over and its files are closed)."""
    from wirelens.core import limits
    from wirelens.core.memory import fix_mmap_threshold

    fix_mmap_threshold()
    gc.set_threshold(*limits.GC_THRESHOLD)  # (from the start: see there)
    _skip_pandas_probe()
    signal.signal(signal.SIGTERM, _terminate)
    rc = main(own_process=True)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(rc)


if __name__ == "__main__":
    run()
