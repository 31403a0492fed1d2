"""The batch runner: capture -> decode -> (fragments) -> flows -> DPI -> tables -> sinks.

One pass, batch by batch (``limits.BATCH_BYTES``); the flows that ended and the protocol
events are gathered and handed to the sinks every ``limits.EMIT_BYTES`` of input (or
``limits.EMIT_ROWS`` flows), so output streams while the input is read, memory stays flat,
and the cost of building and writing rows is paid per piece of output, not per small batch.
"""

from __future__ import annotations

import gc
import json
import numbers
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import pyarrow as pa

from wirelens import __version__
from wirelens.apps import load_ranges
from wirelens.capture import (
    EndInput,
    ExpandedInputs,
    expand_inputs,
    named_as_capture,
    open_capture,
)
from wirelens.core import limits
from wirelens.core.batch import PacketBatch, PacketStatus, RawBatch
from wirelens.core.errors import CaptureError
from wirelens.core.paths import display_name
from wirelens.core.weirds import Weird, weird_name
from wirelens.decode import Decoder, FragmentReassembler, TimeOrder
from wirelens.flow import END_REUSE, FlowTable, reverse_flows
from wirelens.pipeline.clock import clamp_out_of_line
from wirelens.pipeline.columns import by_start_hour, free_salt, mix64, ts_array
from wirelens.pipeline.continued import Continuations
from wirelens.pipeline.decode_weirds import DecodeWeirds
from wirelens.pipeline.dpi_common import NoDpi
from wirelens.pipeline.events import events_batch, rows_batch
from wirelens.pipeline.records import conn_batch
from wirelens.pipeline.summary import Laps, RunSummary
from wirelens.schema import SCHEMAS

if TYPE_CHECKING:
    from wirelens.pipeline.dpi import DpiStage


@dataclass(frozen=True)
class AnalyzeOptions:
    """Settings of one analysis run."""

    idle_timeout_s: float = limits.IDLE_TIMEOUT_S
    """Flow idle timeout in seconds."""
    active_timeout_s: float = limits.ACTIVE_TIMEOUT_S
    """Flow active timeout in seconds."""
    max_flows: int = limits.MAX_FLOWS
    """Hard bound of open flows."""
    vlan_key: bool = True
    """VLAN ids are part of the flow key. ``False`` for a tap or SPAN port whose two
    directions arrive on different VLANs (as Zeek by default, or Suricata's
    ``vlan.use-for-tracking: false``); ``conn.vlan`` is then the first packet's."""
    dpi: str = "full"
    """``full``: identify services and write the protocol tables (dns, http, tls);
    ``fast``: identify services and server names only (no protocol tables: a flow is read
    only as far as its name);
    ``off``: flows only."""
    batch_bytes: int = limits.BATCH_BYTES
    """Read window size."""
    emit_bytes: int = limits.EMIT_BYTES
    """Input read between two hand-overs of ended flows and protocol rows to the sinks."""
    community_id_seed: int = 0
    """Seed of the ``conn`` table's Community ID (0 to 65535; the spec's default 0), for a
    site whose Zeek or Suricata hashes with another."""
    show_passwords: bool = False
    """Keep clear-text passwords (FTP, POP3, IMAP, SMTP AUTH, HTTP Basic, LDAP simple bind,
    MQTT) and SNMP communities in the protocol tables; by default they are replaced by
    ``<redacted>``."""

    def __post_init__(self) -> None:
        """Each value of the type its field says (the flow table checks the timeouts' and
        ``max_flows``' ranges): a wrong one is refused naming its field, rather than taken
        as something else (``max_flows=1.5`` bounded the table at 1 flow) or failing deep
        in the run with a message about neither."""
        for name in ("idle_timeout_s", "active_timeout_s"):
            _check(name, getattr(self, name), numbers.Real, "a number of seconds")
        for name in ("max_flows", "batch_bytes", "emit_bytes", "community_id_seed"):
            _check(name, getattr(self, name), numbers.Integral, "an integer")
        for name in ("vlan_key", "show_passwords"):
            _check(name, getattr(self, name), _BOOL, "True or False")
        if self.dpi not in DPI_MODES:
            raise ValueError(f"dpi must be one of {', '.join(DPI_MODES)}, not {self.dpi!r}")
        if not 1 <= self.batch_bytes <= limits.MAX_BATCH_BYTES:
            raise ValueError(f"batch_bytes must be from 1 to {limits.MAX_BATCH_BYTES}, "
                             f"not {self.batch_bytes}")
        if self.emit_bytes < 0:
            raise ValueError(f"emit_bytes must be >= 0, not {self.emit_bytes}")
        if not 0 <= self.community_id_seed <= 0xFFFF:
            raise ValueError("community_id_seed must be from 0 to 65535, not "
                             f"{self.community_id_seed}")


_BOOL = (bool, np.bool_)


def _check(name: str, value: Any, kind: Any, what: str) -> None:
    """``value`` is a ``kind`` (a bool only where ``kind`` is :data:`_BOOL`: Python's bools
    are integers too)."""
    is_bool = isinstance(value, _BOOL)
    if not (is_bool if kind is _BOOL else isinstance(value, kind) and not is_bool):
        raise TypeError(f"{name} must be {what}, not {value!r}")


DPI_MODES = ("full", "fast", "off")


DPI_PACKETS = {"full": limits.DPI_MAX_PACKETS, "fast": limits.DPI_FAST_PACKETS, "off": 0}
"""Payload packets per flow the flow table hands to DPI, by ``AnalyzeOptions.dpi`` (``fast``
reads a flow for its service and name only: its first packets give them)."""


class Sink(Protocol):
    def write(self, table: str, batch: pa.RecordBatch) -> None: ...

    def watermark(self, ts_ns: int) -> None:
        """No row older than ``ts_ns`` is expected any more (later ones may still come: input
        out of time order)."""
        ...

    def drain(self) -> None:
        """Returns once what was written is stored (a sink may write in the background)."""
        ...


class MemorySink:
    """Keeps every batch in memory (the Python API's ``analyze`` result)."""

    def __init__(self) -> None:
        self.batches: dict[str, list[pa.RecordBatch]] = {t: [] for t in SCHEMAS}

    def write(self, table: str, batch: pa.RecordBatch) -> None:
        self.batches[table].append(batch)

    def watermark(self, ts_ns: int) -> None:
        pass

    def drain(self) -> None:
        pass

    def table(self, name: str) -> pa.Table:
        return pa.Table.from_batches(self.batches[name], schema=SCHEMAS[name])


Progress = Callable[[int, int, int], None]
"""progress(bytes_done_of_all_inputs, total_bytes_or_0, packets)"""


class Analysis:
    """One run over one or more inputs. Call :meth:`run` once."""

    def __init__(self, options: AnalyzeOptions = AnalyzeOptions(),
                 sinks: Iterable[Sink] = (), run_id: str | None = None,
                 stop: threading.Event | None = None, taken_salts: Iterable[int] = ()) -> None:
        """``stop``: when set (a Ctrl-C, say), the run reads no further than the batch in
        hand and ends as at the end of its inputs: the flows still open are ended there and
        every table and the run row written, the run marked ``interrupted``.
        ``taken_salts``: the uid keys of the runs already in the lake written to (their uids
        and this run's must not meet: :func:`~wirelens.pipeline.columns.free_salt`)."""
        self.options = options
        self.sinks = list(sinks)
        self.stop = stop
        self.run_id = run_id or uuid.uuid4().hex[:12]
        self.decoder = Decoder()
        self.fragments = FragmentReassembler()
        self.time_order = TimeOrder(keep_bytes=options.dpi != "off")
        self.decode_weirds = DecodeWeirds()
        self.flows = FlowTable(idle_timeout_s=options.idle_timeout_s,
                               active_timeout_s=options.active_timeout_s,
                               max_flows=options.max_flows, vlan_key=options.vlan_key,
                               dpi_packets=DPI_PACKETS[options.dpi])
        self.continued = Continuations(options.idle_timeout_s, options.vlan_key)
        self.ranges = load_ranges() if options.dpi != "off" else None
        self.dpi: DpiStage | NoDpi = NoDpi()
        if options.dpi != "off":  # (the dissectors imported only for a run that uses them)
            from wirelens.pipeline.dpi import DpiStage

            self.dpi = DpiStage(tables=options.dpi == "full", vlan_key=options.vlan_key,
                                idle_ns=round(options.idle_timeout_s * 1e9),
                                show_passwords=options.show_passwords)
        self.salt: int | None = None
        self.taken_salts = frozenset(taken_salts)
        self._handed_at = 0
        """``summary.bytes`` at the last hand-over."""
        self._before_ns: int | None = None  # the last packet's time (of the current input)
        self._capture_weirds: list[dict[str, Any]] = []  # (one row per name and hand-over)
        self._now_ns: int | None = None
        """The latest of the batches' earliest timestamps: the watermark's clock (a packet
        stamped far ahead, a damaged timestamp, moves it no further than its batch's others)."""
        self.summary: RunSummary | None = None
        self.lap: Laps = Laps({})
        self._started: tuple[float, float] | None = None  # (wall clock, perf counter)

    # -- the pass -------------------------------------------------------------------------
    def run(self, inputs: list[str], progress: Progress | None = None,
            files: ExpandedInputs | None = None) -> RunSummary:
        """Analyse ``inputs`` to the end; returns the run summary. The cyclic garbage
        collector runs less often meanwhile (:data:`~wirelens.core.limits.GC_THRESHOLD`)."""
        before = gc.get_threshold()
        gc.set_threshold(*limits.GC_THRESHOLD)
        try:
            for _ in self.steps(inputs, progress, files):
                pass
        finally:
            gc.set_threshold(*before)
        assert self.summary is not None
        return self.summary

    def steps(self, inputs: list[str], progress: Progress | None = None,
              files: ExpandedInputs | None = None) -> Iterator[None]:
        """The pass, one step per batch read and per piece of the flows still open at the
        end (the sinks have received what ended so far); a consumer may stop early. Call
        once per Analysis. ``files``: ``inputs`` as :func:`expand_inputs` gives them, when the
        caller has them already (folders are then not walked and sniffed again)."""
        self._started = (time.time(), time.perf_counter())
        files = expand_inputs(inputs) if files is None else files
        s = self.summary = RunSummary(run_id=self.run_id,
                                      inputs=[display_name(x) for x in inputs])
        lap = self.lap = Laps(s.stage_s)
        s.skipped_inputs = [display_name(x) for x in files.skipped]
        self._left_out(files)
        s.files = len(files)
        total = sum(input_size(f) for f in files)
        done_before = 0
        for path in files:
            if self._stopping(f"before {display_name(path)}"):
                break
            try:
                src = open_capture(path, batch_bytes=self.options.batch_bytes)
            except EndInput:  # (a stop while a pipe had given nothing yet)
                self._stopping(f"before {display_name(path)}")
                break
            except CaptureError as exc:
                s.problems.append(str(exc))
                s.unreadable_inputs.append(display_name(path))
                continue
            with src:
                lap("other")
                for raw in src:
                    lap("read")
                    if raw.first_index == 0 and len(raw):  # the file's first packets
                        self._check_order(src.name, raw)
                    self._batch(raw)
                    if progress is not None:
                        progress(done_before + raw.bytes_done, total, s.packets)
                    lap("other")
                    yield
                    lap("other")
                    if self._stopping(f"in {src.name}"):
                        break
                s.problems.extend(str(p) for p in src.problems)
                for p in src.problems:
                    s.weirds[p.kind] += 1
                done_before += src.size or 0
            if self._stopping(f"in {src.name}"):  # (also a pipe's read ended by the stop)
                break
        self._unfinished_fragments()
        self._hand_over()
        for ended in self.flows.flush_chunks():  # (one piece of the open flows at a time)
            lap("flows")
            self._emit_flows(ended)
            lap("other")
            yield
            lap("other")
        self.dpi.close()  # (states still waiting for a continuation give their rows)
        lap("dpi")
        self._hand_over()
        s.flows_evicted = int(self.flows.stats.get("evicted", 0))
        for name, count in self.decoder.counters.items():
            if name.startswith("linktype_"):
                s.link_types[name[len("linktype_"):]] += count
        lap("other")
        for sink in self.sinks:  # (the time to store the rows is part of the run's)
            sink.drain()
        lap("output")
        self._emit("run", self._run_row())
        yield

    def _unfinished_fragments(self) -> None:
        """The IP datagrams still missing fragments when the input ends: their fragments were
        read and counted, the datagrams never analysed; one weird row says how many (at the
        last packet's time)."""
        left = len(self.fragments)
        s = self.summary
        if left and s is not None and s.last_packet_ns is not None:
            self._emit_weirds([{
                "ts": s.last_packet_ns, "name": weird_name(Weird.fragment_incomplete_at_end),
                "source": "fragments", "count": left,
                "detail": f"{left:,} IP datagram{'s' if left > 1 else ''} still missing "
                          "fragments at the end of the input: not analysed"}])

    def _stopping(self, where: str) -> bool:
        """Whether a stop was asked for (:attr:`stop`); the first time, says ``where`` (a
        notice) and marks the run ``interrupted``."""
        s = self.summary
        assert s is not None
        if s.interrupted:
            return True
        if self.stop is None or not self.stop.is_set():
            return False
        s.interrupted = True
        s.notices.append(f"stopped on request after {s.packets:,} packets ({where}): the flows "
                         "open then were ended there; later input was not read")
        return True

    def _check_order(self, path: str, raw: RawBatch) -> None:
        """A notice when the first batch of ``path`` starts before the packets read so far
        end (by more than ``limits.INPUT_ORDER_SLACK_S``)."""
        s = self.summary
        assert s is not None
        start = int(raw.ts_ns.min())
        if s.last_packet_ns is None or start >= s.last_packet_ns - limits.INPUT_ORDER_SLACK_S * 1e9:
            return
        ahead = (s.last_packet_ns - start) / 1e9
        s.notices.append(
            f"{path}: starts {_span(ahead)} before the end of the inputs read before it; an "
            "older packet is counted at the latest time seen, so flows spanning them are "
            "distorted (give files in the order written, or merge them first: mergecap)")

    def _batch(self, raw: RawBatch) -> None:
        s = self.summary
        assert s is not None
        n = len(raw)
        if n == 0:
            return
        if self.salt is None:
            first = int(mix64(np.array([raw.ts_ns[0]], np.uint64))[0]) & ((1 << 62) - 1)
            self.salt = free_salt(first, self.taken_salts)
            self.dpi.salt = self.salt
        s.packets += n
        s.bytes += int(raw.caplen.sum(dtype=np.uint64))
        self._out_of_line(raw, self._before_ns if raw.first_index else None)
        self._longer_than_sent(raw)
        self._before_ns = int(raw.ts_ns[-1])
        lo, hi = int(raw.ts_ns.min()), int(raw.ts_ns.max())
        s.first_packet_ns = lo if s.first_packet_ns is None else min(lo, s.first_packet_ns)
        s.last_packet_ns = hi if s.last_packet_ns is None else max(hi, s.last_packet_ns)
        self._now_ns = lo if self._now_ns is None else max(lo, self._now_ns)
        pkts = self.decoder.decode(raw)
        self.lap("decode")
        self._count(raw, pkts)
        if np.any(pkts.status == PacketStatus.FRAGMENT):
            done = self.fragments.add(raw, pkts)
            self.lap("decode")
            if done is not None:  # whole datagrams go to the flows in time order
                self._count(done.raw, done.pkts, reassembled=True)
                raw, pkts = self.time_order.place(raw, pkts, done)
                self.lap("decode")
        self.lap("decode")
        self._flows(raw, pkts)

    def _out_of_line(self, raw: RawBatch, before: int | None) -> None:
        """Packets of ``raw`` stamped far after both neighbours (``before``: the time of the
        packet before the batch in its input) are counted at their predecessor's time
        (:mod:`wirelens.pipeline.clock`); a weird says so."""
        hits, stamped = clamp_out_of_line(raw.ts_ns, before,
                                          int(limits.TIMESTAMP_OUT_OF_LINE_S * 1e9))
        if hits.size:
            i = int(hits[0])
            ahead = (int(stamped[0]) - int(raw.ts_ns[i])) / 1e9
            self._capture_weird(
                "timestamp_out_of_line", int(raw.ts_ns[i]), int(hits.size),
                f"{raw.source}: packet {raw.first_index + i + 1} stamped {ahead:,.0f} s after "
                "the packets around it; counted at the time of the one before")

    def _longer_than_sent(self, raw: RawBatch) -> None:
        """Records claiming more bytes captured than were on the wire (a capture writer's
        bug; Wireshark flags it too): read as captured, their wire length kept as given; a
        weird says so."""
        over = np.flatnonzero(raw.caplen > raw.wirelen)
        if over.size:
            i = int(over[0])
            self._capture_weird(
                "captured_length_exceeds_wire_length", int(raw.ts_ns[i]), int(over.size),
                f"{raw.source}: packet {raw.first_index + i + 1} has {int(raw.caplen[i])} bytes "
                f"captured of {int(raw.wirelen[i])} on the wire")

    def _capture_weird(self, name: str, ts: int, count: int, detail: str) -> None:
        """A weird of the capture's records: counted now, one row per name until the next
        hand-over (its ``ts`` and ``detail`` those of the first)."""
        self.summary.weirds[name] += count  # type: ignore[union-attr]
        for row in self._capture_weirds:
            if row["name"] == name:
                row["count"] += count
                return
        self._capture_weirds.append({"ts": ts, "name": name, "source": "capture",
                                     "count": count, "detail": detail})

    def _flows(self, raw: RawBatch, pkts: PacketBatch) -> None:
        step = self.flows.process(raw, pkts, gather=True)
        self.lap("flows")
        if not isinstance(self.dpi, NoDpi):
            slots, ids = self.dpi.process(raw, pkts, step.pkt_flow_id, step.pkt_slot,
                                          step.pkt_dir, step.pkt_dpi)
            if len(slots):
                self.flows.stop_dpi(slots, ids)
            self.lap("dpi")
            self.summary.dpi_packets = self.dpi.payload_packets  # type: ignore[union-attr]
            self.summary.dpi_python_packets = self.dpi.python_packets  # type: ignore[union-attr]
        s = self.summary
        assert s is not None
        if (s.bytes - self._handed_at >= self.options.emit_bytes
                or self.flows.ended_rows >= limits.EMIT_ROWS):
            self._hand_over()

    def _hand_over(self) -> None:
        """The flows that ended and the protocol events since the last call, to the sinks."""
        self._weirds()
        if self.flows.ended_rows:
            self._emit_flows(self.flows.take_ended())
        self._emit_events()
        s = self.summary
        assert s is not None
        self._handed_at = s.bytes
        if self._now_ns is not None:  # (a flow still open started after now - the timeouts)
            o = self.options
            late = o.idle_timeout_s + o.active_timeout_s + limits.WATERMARK_SLACK_S
            for sink in self.sinks:
                sink.watermark(self._now_ns - int(late * 1e9))

    def _count(self, raw: RawBatch, pkts: PacketBatch, reassembled: bool = False) -> None:
        s = self.summary
        assert s is not None
        counts = np.bincount(pkts.status, minlength=8)
        if not reassembled:
            s.non_ip_packets += int(counts[PacketStatus.NOT_IP])
            s.arp_packets += int(counts[PacketStatus.ARP])
            s.unknown_link_packets += int(counts[PacketStatus.UNKNOWN_LINK])
            s.fragments += int(counts[PacketStatus.FRAGMENT])
        s.malformed_packets += int(counts[PacketStatus.MALFORMED])
        s.ip_packets += int(counts[PacketStatus.OK])
        if counts[PacketStatus.ARP]:
            self._arp(pkts)
        bad = np.flatnonzero(pkts.weird != 0)
        if bad.size:
            self.decode_weirds.add(raw, pkts, bad)

    def _arp(self, pkts: PacketBatch) -> None:
        idx = np.flatnonzero(pkts.status == PacketStatus.ARP)
        self.summary.add_arp(pkts.src_lo[idx], pkts.dst_lo[idx])  # type: ignore[union-attr]

    def _weirds(self) -> None:
        """The decode weirds (:class:`DecodeWeirds`) and the reassembly anomalies (overlaps,
        timeouts, a full table: one row per name) since the last hand-over."""
        rows = self.decode_weirds.take()
        for row in rows:
            self.summary.weirds[row["name"]] += row["count"]  # type: ignore[union-attr]
        rows += self._capture_weirds  # (counted in the summary when found)
        self._capture_weirds = []
        if rows:
            self._emit("weird", rows_batch("weird", rows))
        drained = self.fragments.drain_weirds()
        if not drained:
            return
        first: dict[int, int] = {}
        count: dict[int, int] = {}
        for ts_ns, code, _frag_id in drained:
            first.setdefault(code, ts_ns)
            count[code] = count.get(code, 0) + 1
        self._emit_weirds([{"ts": first[code], "name": weird_name(code), "source": "fragments",
                            "count": n} for code, n in count.items()])

    # -- output ---------------------------------------------------------------------------
    def _emit_flows(self, cols: dict[str, np.ndarray]) -> None:
        n = len(cols["flow_id"])
        chunk = limits.EMIT_ROWS
        for start in range(0, n, chunk):  # (a batch's ended flows may be more)
            part = cols if n <= chunk else {k: v[start:start + chunk] for k, v in cols.items()}
            part = by_start_hour(part)
            flip = self.dpi.take_reversed(part)
            links = self.continued.link(part, flip)
            part = reverse_flows(part, flip, in_place=True)
            self.lap("records")
            done = self.dpi.finish_flows(part)
            self.continued.inherit(links, done.service, done.service_source, done.server_name,
                                   done.name_source)
            self.lap("dpi")
            batch = conn_batch(part, self.salt or 0, done.service, done.service_source,
                               done.server_name, done.name_source, self.ranges,
                               self.options.community_id_seed)
            self.summary.add_flows(part, done.service)  # type: ignore[union-attr]
            self._emit("conn", batch)
            self._reuse_weirds(part, batch)
            self._emit_events()

    def _reuse_weirds(self, cols: dict[str, np.ndarray], batch: pa.RecordBatch) -> None:
        """A weird per flow a new connection on its ports ended (``end_reason`` reuse), as
        Zeek names them: ``syn_seq_jump`` when its SYN was never answered (S0), else
        ``active_connection_reuse``; at the old flow's last packet, with its uid."""
        at = np.flatnonzero(cols["end_reason"] == END_REUSE)
        if at.size == 0:
            return
        take = pa.array(at)
        uid, orig, resp, state = (batch.column(c).take(take).to_pylist()
                                  for c in ("uid", "orig_h", "resp_h", "conn_state"))
        rows = [{"ts": ts, "uid": u, "orig_h": o, "resp_h": r, "source": "tcp", "count": 1,
                 "name": "syn_seq_jump" if st == "S0" else "active_connection_reuse",
                 "detail": "a SYN with a new initial sequence number: a new flow"}
                for ts, u, o, r, st in zip(cols["last_ts_ns"][at].tolist(), uid, orig, resp,
                                           state)]
        self._emit_weirds(rows)

    def _emit_events(self) -> None:
        weirds = []
        for table, rows in self.dpi.take_events():
            bad: list[str] = []
            self._emit(table, events_batch(table, rows, self.salt or 0, bad))
            weirds += [{"ts": rows.values[0][rows.names.index("ts_ns")], "name":
                        "value_out_of_range", "source": table, "count": 1,
                        "detail": f"{table}.{name}: a value its type cannot hold, left null"}
                       for name in bad]
        self._emit_weirds(weirds + self.dpi.take_weirds())

    def _emit_weirds(self, rows: list[dict[str, Any]]) -> None:
        """Weird rows counted in the summary (by their ``count``) and written."""
        for row in rows:
            self.summary.weirds[row["name"]] += row["count"]  # type: ignore[union-attr]
        if rows:
            self._emit("weird", rows_batch("weird", rows))

    def _emit(self, table: str, batch: pa.RecordBatch) -> None:
        if batch.num_rows == 0:
            return
        self.summary.rows[table] += batch.num_rows  # type: ignore[union-attr]
        self.lap("records")
        for sink in self.sinks:
            sink.write(table, batch)
        self.lap("output")

    def _left_out(self, files: ExpandedInputs) -> None:
        """What the inputs' expansion left out, told: a file reached again (a link, named
        twice) is noted; of the files under the folders given that are not captures by their
        magic bytes, one named as a capture (``.pcap``, ``.pcapng``, ``.cap``, ``.dmp``,
        compressed or not) is damage (a problem: its header is wrong, or it is empty), the
        others are noted in one line (notes, logs beside the captures)."""
        s = self.summary
        assert s is not None
        s.notices.extend(f"{display_name(again)}: " + ("given twice" if again == first else
                         f"the same file as {display_name(first)}") + ", read once"
                         for again, first in files.repeated)
        other = []
        for path in files.skipped:
            if named_as_capture(path):
                s.problems.append(f"{display_name(path)}: named as a capture but not one (no "
                                  "pcap or pcapng header): not read")
                s.unreadable_inputs.append(display_name(path))
            else:
                other.append(display_name(path))
        if other:
            s.notices.append(f"{len(other):,} file(s) under the folders given are not captures, "
                             f"not read: {', '.join(other[:3])}" + (", ..." if len(other) > 3
                                                                     else ""))

    def failed_run_row(self, error: str) -> pa.RecordBatch | None:
        """The run row of a run that ``error`` ended before its end (None if it had not
        started): its counts so far, ``error`` said."""
        if self.summary is None or self._started is None:
            return None
        return self._run_row(error)

    def _run_row(self, error: str | None = None) -> pa.RecordBatch:
        """The run row, its time so far (``elapsed_s``) set in the summary."""
        s = self.summary
        assert s is not None and self._started is not None
        started, t0 = self._started
        s.elapsed_s = time.perf_counter() - t0

        def ts(v: int | None) -> pa.Array:
            return ts_array(np.array([v or 0], np.int64)) if v is not None else pa.nulls(
                1, SCHEMAS["run"].field("first_packet_ts").type)

        cfg = json.dumps(asdict(self.options), sort_keys=True)
        values: dict[str, Any] = {
            "ts": ts_array(np.array([int(started * 1e9)], np.int64)),
            "run_id": pa.array([self.run_id]), "version": pa.array([__version__]),
            "inputs": pa.array([s.inputs], pa.list_(pa.string())),
            "first_packet_ts": ts(s.first_packet_ns), "last_packet_ts": ts(s.last_packet_ns),
            "problems": pa.array([s.problems], pa.list_(pa.string())),
            "notices": pa.array([s.notices], pa.list_(pa.string())),
            "elapsed_s": pa.array([s.elapsed_s]), "config": pa.array([cfg]),
            "interrupted": pa.array([s.interrupted]),
            "flows": pa.array([s.flows], pa.uint64()),
            "uid_salt": pa.array([self.salt], pa.int64()),
            "error": pa.array([error], pa.string()),
        }
        for name in ("packets", "bytes", "ip_packets", "non_ip_packets", "arp_packets",
                     "malformed_packets", "unknown_link_packets", "fragments", "flows_evicted"):
            values[name] = pa.array([getattr(s, name)], pa.uint64())
        schema = SCHEMAS["run"]
        return pa.RecordBatch.from_arrays([values[f.name] for f in schema], schema=schema)


def _span(seconds: float) -> str:
    """A duration in the largest fitting unit (``3.2 s``, ``41 min``, ``5.5 h``, ``12 days``)."""
    for unit, size in (("days", 86_400), ("h", 3_600), ("min", 60)):
        if seconds >= size:
            return f"{seconds / size:.3g} {unit}"
    return f"{seconds:.3g} s"


def input_size(path: str) -> int:
    """Bytes of one input (0 for stdin or one that cannot be read)."""
    if path == "-":
        return 0
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


__all__ = ["Analysis", "AnalyzeOptions", "MemorySink"]
