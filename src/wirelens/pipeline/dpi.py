"""The DPI stage: decides each flow's service and hands metadata-bearing payloads to the
dissectors.

Only packets the flow table marked (``FlowStep.pkt_dpi``: payload-carrying packets among a
flow's first ``DPI_MAX_PACKETS``, while its DPI is on) are looked at; a flow's dissector reads
until it is done or has read ``DPI_IDLE_PACKETS`` payload packets without writing a row, and
bytes it can do without (``Dissector.skippable``: an HTTP body of known length, a big chunk,
a body read until the close) are passed over and told to it as a hole. The compiled classifier
(:mod:`wirelens.identify`) decides DNS, HTTP and TLS and their server name for all of them in
one call. For flows it does not recognise, the other registered dissectors' content tests run
in Python (registry priority order, behind the registry's first-byte table) on at most
``IDENTIFY_TRIES`` payload packets; then the flow is given up and the flow table told to stop
marking it. The TCP segments those tests saw are kept (``DPI_EARLY_BYTES``) so that, once a
later segment names the flow, the ones that came before their turn are read after it.
Ports only break ties (:meth:`DpiStage._identify`); a flow that carried payload
but matched nothing gets its responder port's service at the end (``service_source`` port).

With ``tables=True`` an identified flow's packets are reassembled per direction (TCP, holes
announced to the dissector) and fed to its dissector until it is ``done``; each event becomes
a row of its class's table (``Event.table``). A dissector that raises ``ParseError`` records a
weird (once per flow), writes what it held from before the damage (``finish``) and is switched
off for that flow; one that ends with ``upgrade`` (an
accepted STARTTLS, STUN before DTLS) hands the rest of the flow to the dissector named there.

DNS over UDP is read on a fast path (:mod:`wirelens.pipeline.dns_fast`: one compiled call per
batch reads the datagrams, rows are written as columns), with the rows the DNS dissector would
write; a datagram it declines hands the flow to the dissector.

Every DNS response parsed also feeds a bounded LRU cache (address -> queried name,
:class:`wirelens.apps.DnsCache`); at flow end a flow with no name of its own is named from the
cache by its responder address (``name_source`` ``dns_cache``).
"""

from __future__ import annotations

import inspect
import re
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from operator import attrgetter
from typing import Any

import numpy as np

from wirelens.apps import DnsCache
from wirelens.core import limits
from wirelens.core.batch import PacketBatch, PacketStatus, RawBatch
from wirelens.core.limits import DPI_EARLY_BYTES, DPI_IDLE_PACKETS, DPI_SKIP_MIN_BYTES
from wirelens.dissect.base import BY_CONTENT, Dissector, Problem
from wirelens.dissect.dns import DnsDissector
from wirelens.dissect.registry import by_name, by_port, identify, ports_of, running_on
from wirelens.dissect.signatures_base import SignatureDissector
from wirelens.flow import DPI_HANDSHAKE
from wirelens.flow._layout import END_ACTIVE
from wirelens.flow.reassembly import RST, SEQ_MOD, SYN, Delivery, TcpReassembler, seq_diff
from wirelens.identify import Classified, Service, classify, service_name
from wirelens.pipeline import dns_fast, screens
from wirelens.pipeline.columns import addr_one, format_addrs, group_rows, uid_one
from wirelens.pipeline.continued import flow_key
from wirelens.pipeline.dpi_carry import Carry
from wirelens.pipeline.dpi_common import FinishedFlows, reversed_by_ports
from wirelens.pipeline.events import EventRows
from wirelens.pipeline.expected import ExpectedFlows
from wirelens.wire.errors import ParseError

COMPILED: frozenset[str] = frozenset(
    s.dissector_name for s in Service if s.dissector_name is not None)
"""Services the compiled classifier decides (their Python content tests never run here)."""
IDENTIFY_TRIES = 4
"""Payload packets of a flow offered to the Python content tests before giving up on it."""
ACK = 0x10
_TAKES_SECRETS: dict[type, bool] = {}
"""Dissector class -> whether its constructor takes ``show_passwords``."""
_GETTERS: dict[type, tuple[tuple[str, ...], Callable[[Any], tuple[Any, ...]]]] = {}
"""Per event class: its field names and one getter of all of them (``dataclasses.fields`` is
slow to call per event; ``attrgetter`` reads every field in one C call)."""


_PORT_SERVICES: dict[tuple[int, tuple[type[Dissector], ...]], tuple[list[str], np.ndarray]] = {}


def _port_services(proto: int) -> tuple[list[str], np.ndarray]:
    """:func:`by_port` for every port of ``proto`` at once: (names, codes) where
    ``codes[port]`` indexes ``names`` (0: no dissector lists the port, i.e. the port is not in
    :func:`ports_of`)."""
    key = (proto, running_on(proto))
    found = _PORT_SERVICES.get(key)
    if found is None:
        names = [""]
        codes = np.zeros(1 << 16, np.uint8)
        for port in sorted(ports_of(proto)):
            cls = by_port(port, proto)
            if cls is not None:
                if cls.name not in names:
                    names.append(cls.name)
                codes[port] = names.index(cls.name)
        found = _PORT_SERVICES[key] = (names, codes)
    return found


def _getter(cls: type) -> tuple[tuple[str, ...], Callable[[Any], tuple[Any, ...]]]:
    found = _GETTERS.get(cls)
    if found is None:
        names = tuple(f.name for f in fields(cls))
        found = _GETTERS[cls] = (names, attrgetter(*names))
    return found
_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


def _to_group(hi: int, lo: int) -> bool:
    """Whether a 128-bit address (IPv4-mapped for IPv4) is a multicast or the limited
    broadcast address: 224.0.0.0/4 (RFC 5771), 255.255.255.255, ff00::/8 (RFC 4291 §2.7)."""
    if hi == 0 and lo >> 32 == 0xFFFF:
        return lo >> 28 & 0xF == 0xE or lo & 0xFFFFFFFF == 0xFFFFFFFF
    return hi >> 56 == 0xFF


def _server_first(cls: type[Dissector], payload: memoryview, proto: int, to: tuple[int, int],
                  handshake: bool) -> bool:
    """Whether a flow's first payload, sent by its (guessed) originator to ``to`` (its
    address's high and low 64 bits), shows the roles reversed: a message only a server
    sends, not to a group (mDNS and SSDP answers go to multicast addresses), and for TCP no
    handshake that set the roles."""
    if proto not in (6, 17) or handshake or not cls.from_server(payload.tobytes(), proto):
        return False
    return not _to_group(*to)


def _owned(st: FlowDpi) -> bool:
    """Whether a flow is surely its dissector's protocol, so a message that does not parse is
    damage, not a sign the flow was named wrongly (:meth:`DpiStage._rename`): its responder
    port is the protocol's own, or it wrote rows and no dissector claims that port (an SNMP
    request sent to a DNS server, answered in DNS, is renamed)."""
    port = st.orig[5]
    return port in st.cls.ports or (st.rows > 0 and by_port(port, st.proto) is None)


def _error_name(dissector: str, exc: ParseError) -> str:
    """The weird of a dissector's parse error: ``dns_truncated``, ``tls_bad_value``, ..."""
    return f"{dissector}_{_CAMEL.sub('_', type(exc).__name__).lower()}"


@dataclass(slots=True)
class FlowDpi:
    """What DPI knows of one identified flow."""

    orig: tuple[int, int, int, int, int, int]
    """The ends, originator first: address high and low 64 bits and port of each (formatted
    as text only for the rows written, a batch at a time)."""
    proto: int
    cls: type[Dissector]
    """The dissector class that identified the flow; its ``name`` is the flow's service."""
    dissector: Any = None
    server_name: str | None = None
    stopped: bool = False
    failed: bool = False
    uid: str | None = None
    reasm: TcpReassembler | None = None
    """Per-direction stream reassembly of a TCP flow's dissector input."""
    name_source: str | None = None
    """What server_name is (sni, http_host, ...)."""
    upgraded: bool = False
    """The flow's dissector was replaced once (STARTTLS -> tls)."""
    renamed: bool = False
    """The flow's service was decided again once (:meth:`DpiStage._rename`)."""
    retries: int = 0
    """Datagrams still to offer to the other content tests after its dissector failed."""
    skips: dict[bool, list[int]] | None = None
    """Per TCP side (True: the client's) whose dissector skips bytes: [sequence number where
    the skipped bytes start, where they end, their length, end of the bytes passed over so
    far]. Packets wholly before the end are passed over; the hole is told to the dissector
    when the stream goes past it (all of it) or at the flow's end (what was passed over)."""
    rows: int = 0
    """Rows its dissector wrote."""
    idle_left: int = DPI_IDLE_PACKETS
    """Payload packets it may still read without writing a row (``DPI_IDLE_PACKETS``)."""
    reversed: bool = False
    """The side seen first is the server (its first payload was a response): ``orig`` holds
    the ends the right way round, and the dissector is fed with the sides swapped."""
    reported: set[str] | None = None
    """Stream weirds reported for the flow (once each; most flows have none)."""
    source: str = "content"
    """How the service was decided: ``content``, or ``expected`` (announced by another
    flow, :mod:`wirelens.pipeline.expected`)."""
    slot: int = -1
    """The flow's slot in the flow table (told when DPI gives the flow up outside its own
    packets: :meth:`DpiStage._hold`)."""
    key: tuple[int, ...] | None = None
    """A TCP flow's flow-table key, while its dissector state may be carried over
    (:mod:`wirelens.pipeline.dpi_carry`)."""


_Segment = tuple[bool, int, int, bytes, int]
"""A TCP segment kept for later: (from the originator, sequence number, flags, payload, ts)."""


@dataclass(slots=True)
class _Batch:
    """One batch's marked packets as :meth:`DpiStage.process` walks them, and the flows whose
    DPI ended in it (for the flow table)."""

    raw: RawBatch
    pkts: PacketBatch
    found: Classified
    """What the compiled classifier said of each marked packet."""
    ids: np.ndarray
    """Flow id of each marked packet."""
    idx: np.ndarray
    """Row in the batch of each marked packet."""
    slots: np.ndarray
    dirs: np.ndarray
    marked: np.ndarray
    view: memoryview
    """The batch's bytes (cheap slices)."""
    excluded: np.ndarray
    """Per marked packet: the content tests its screens rule out
    (``registry.identify``'s ``excluded``; :data:`~wirelens.pipeline.screens.NOTHING`: every
    one), for packets with no compiled match; else 0."""
    stop_slots: list[int] = field(default_factory=list)
    stop_ids: list[int] = field(default_factory=list)
    dns: dns_fast.Messages | None = None
    """The batch's UDP datagrams the compiled classifier named DNS, as the DNS fast path's
    reader read them."""
    dns_of: dict[int, int] = field(default_factory=dict)
    """Marked packet -> its datagram in :attr:`dns`."""
    later: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    """Marked packets (positions) of flows past their content tests' tries, waiting for the
    end of the walk (:meth:`DpiStage._beyond_tries`)."""
    named: list[int] = field(default_factory=list)
    """Flows the walk gave a state: named by a content test, or taking a state over."""

    def dns_at(self, k: int) -> int:
        """Marked packet ``k``'s datagram in :attr:`dns` when the fast path's reader read it,
        else -1."""
        m = self.dns_of.get(k, -1)
        return m if m >= 0 and self.dns is not None and self.dns.whole(m) else -1


_DNS_PORTS = np.array(sorted(DnsDissector.ports))


def _udp_dns(service: np.ndarray, proto: np.ndarray) -> np.ndarray:
    """Which payloads (their compiled class, their transport) are DNS datagrams: those the
    fast path's compiled reader reads."""
    mask: np.ndarray = (service == Service.DNS) & (proto == 17)
    return mask


@dataclass
class DpiStage:
    """Per-run DPI state; ``tables=False`` identifies services and server names without
    protocol tables (a flow named without its name is read by its dissector until it gives
    one, if its protocol has names, and no further)."""

    tables: bool = True
    salt: int = 0
    vlan_key: bool = True
    """Whether the flow table keys flows on their VLAN ids (as ``FlowTable``'s)."""
    idle_ns: int = round(limits.IDLE_TIMEOUT_S * 1e9)
    """The flow table's idle timeout: how long a cut flow's state waits for its
    continuation."""
    flows: dict[int, FlowDpi] = field(default_factory=dict)
    events: dict[tuple[str, type], EventRows] = field(default_factory=dict)
    weirds: list[dict[str, Any]] = field(default_factory=list)
    payload_packets: int = 0
    python_packets: int = 0
    dns_cache: DnsCache = field(default_factory=DnsCache)
    """Addresses learned from DNS answers (fed by the ``dns`` dissector's records)."""
    show_passwords: bool = False
    """Keep clear-text passwords and community strings in the tables (else redacted)."""
    given_up: dict[int, int] = field(default_factory=dict)
    """Flows not identified yet -> content-test rounds they failed (forgotten at flow end)."""
    reversed: set[int] = field(default_factory=set)
    """Flows whose roles DPI found reversed (see :meth:`take_reversed`)."""
    reading: OrderedDict[int, None] = field(default_factory=OrderedDict)
    """Flows whose dissector state DPI holds, oldest dissector first (at most
    ``DPI_MAX_READING``, :meth:`_hold`; ordered: a plain dict's first key is found by
    walking past every one deleted before it, quadratic when it serves as a queue)."""
    shed: tuple[int, int] = (0, 0)
    """Flows that gave their state up since the last :meth:`take_weirds`, and the time of
    the first: one weird row per hand-over, not one per flow of a flood."""
    early: OrderedDict[int, list[_Segment]] = field(default_factory=OrderedDict)
    """TCP flows not named yet (oldest first) -> their segments the content tests saw, to be
    read if a later segment names the flow (``DPI_EARLY_BYTES`` in all at most)."""
    early_bytes: int = 0
    early_sizes: dict[int, int] = field(default_factory=dict)
    """Bytes kept per flow of ``early`` (their sum is ``early_bytes``)."""
    expected: ExpectedFlows = field(default_factory=ExpectedFlows)
    """Connections announced by flows read so far (FTP data, TFTP transfers)."""
    fast_rows: list[dns_fast.FastRows] = field(default_factory=list)
    """The fast path's rows of the batches since :meth:`take_events`."""
    _fast: tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[int]] = field(
        default_factory=lambda: ([], [], []))
    """This batch's fast path rows so far: plain fields, flow keys, response datagrams."""
    _unanswered: tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]] = field(
        default_factory=lambda: ([], []))
    """Fast path rows of queries never answered (their flows' DPI ended): plain fields, flow
    keys (:func:`~wirelens.pipeline.dns_fast.query_rows`)."""
    carry: Carry = field(init=False)
    """TCP flows whose dissector state a flow continuing their connection may take over."""

    def __post_init__(self) -> None:
        self.carry = Carry(self.vlan_key)

    def process(self, raw: RawBatch, pkts: PacketBatch, flow_ids: np.ndarray, slots: np.ndarray,
                dirs: np.ndarray, marked: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Look at the marked packets (``FlowStep.pkt_dpi``: its ``DPI_HANDSHAKE`` bit says a
        TCP flow's roles come from its handshake, so they are never reversed); returns
        (slots, flow_ids) whose DPI is over."""
        if self.carry.parked and len(raw):
            self._expire(int(raw.ts_ns[-1]))
        idx = np.flatnonzero(marked)
        data = np.ascontiguousarray(raw.data, np.uint8)
        if idx.size == 0:
            if not self.tables:
                self._cache_answers(data, pkts, marked, idx)
            return np.empty(0, np.int32), np.empty(0, np.uint64)
        self.payload_packets += int(idx.size)
        found = classify(raw.data, pkts.payload_off, pkts.payload_len, pkts.proto, idx,
                         pkts.sport, pkts.dport)
        if not self.tables:  # no DNS rows: their answers still name the flows that follow
            self._cache_answers(data, pkts, marked, idx[_udp_dns(found.service, pkts.proto[idx])])
        ids = flow_ids[idx]
        hit = found.service != 0
        if running_on(6, COMPILED) or running_on(17, COMPILED):
            todo = np.ones(idx.size, bool)  # also flows not identified yet (until given up)
        else:  # Python only for packets of flows identified now or earlier
            known = np.unique(ids[hit])
            if self.flows:
                known = np.concatenate([known, np.fromiter(self.flows.keys(), np.uint64,
                                                           len(self.flows))])
            todo = np.isin(ids, known)
        sel = np.flatnonzero(todo)
        if sel.size == 0:
            return np.empty(0, np.int32), np.empty(0, np.uint64)
        held = self._beyond_tries(ids[sel], found.service[sel])
        batch = _Batch(raw, pkts, found, ids, idx, slots, dirs, marked, data.data,
                       self._screen(data, pkts, idx, sel[~held & (found.service[sel] == 0)]))
        if self.tables:
            self._read_dns(batch, data, sel)
        batch.later = sel[held]
        if self.tables:
            self._walk(batch, sel[~held])
        else:
            self._walk_new_first(batch, sel[~held])
        later = batch.later
        if later.size and batch.named:
            # of flows a content test identified meanwhile or that took a state over, and
            # still read: now, in order
            flows = self.flows
            named = [fid for fid in batch.named if fid in flows and not flows[fid].stopped]
            self._walk(batch, later[np.isin(ids[later], np.array(named, np.uint64))])
        values, keys, ks = self._fast
        if values:
            assert batch.dns is not None
            self.fast_rows.append(dns_fast.rows_of(batch.dns, values, keys, ks))
            self._fast = ([], [], [])
        return np.array(batch.stop_slots, np.int32), np.array(batch.stop_ids, np.uint64)

    @staticmethod
    def _read_dns(b: _Batch, data: np.ndarray, sel: np.ndarray) -> None:
        """Read the batch's UDP datagrams the compiled classifier named DNS (among the marked
        packets ``sel``) with the fast path's compiled reader."""
        pos = sel[_udp_dns(b.found.service[sel], b.pkts.proto[b.idx[sel]])]
        if pos.size:
            rows = b.idx[pos]
            b.dns = dns_fast.read(data, b.pkts.payload_off[rows], b.pkts.payload_len[rows])
            b.dns_of = dict(zip(pos.tolist(), range(pos.size)))

    def _cache_answers(self, data: np.ndarray, pkts: PacketBatch, marked: np.ndarray,
                       named: np.ndarray) -> None:
        """Without tables: the batch's DNS responses fill the DNS cache all the same, read by
        the fast path's compiled reader, so flows without a name of their own are named from
        earlier answers as with tables. Those are the datagrams the compiled classifier names
        DNS (``named``: packets) and, of flows no longer read (a flow read only for its name
        stops at its first message; at most ``DPI_FAST_PACKETS`` are marked), those from a
        DNS port, in the order they came."""
        late = np.flatnonzero((pkts.proto == 17) & (marked == 0))
        late = late[(pkts.status[late] == PacketStatus.OK) & (pkts.payload_len[late] >= 12)
                    & np.isin(pkts.sport[late], _DNS_PORTS)]  # (not a fragment's row)
        rows = np.union1d(named, late) if late.size else named
        if rows.size:
            msgs = dns_fast.read(data, pkts.payload_off[rows], pkts.payload_len[rows])
            for name, answers in msgs.answered():
                self.dns_cache.add_answers(name, answers)

    @staticmethod
    def _screen(data: np.ndarray, pkts: PacketBatch, idx: np.ndarray,
                todo: np.ndarray) -> np.ndarray:
        """:attr:`_Batch.excluded` for the marked packets ``todo`` (the content tests'
        screens, :mod:`wirelens.pipeline.screens`); 0 for the others."""
        out = np.zeros(len(idx), np.int64)
        rows = idx[todo]
        proto = pkts.proto[rows]
        for pr in (6, 17):
            mine = proto == pr
            if mine.any():
                got = screens.excluded(data, pkts.payload_off[rows[mine]],
                                       pkts.payload_len[rows[mine]], pr, COMPILED)
                if got.dtype != out.dtype:  # more screened classes than an int64 has bits
                    out = out.astype(object)
                out[todo[mine]] = got
        return out

    def _beyond_tries(self, ids: np.ndarray, codes: np.ndarray) -> np.ndarray:
        """Which of these packets (their flow ids and compiled classes) no content test is to
        see: those of a flow unknown at the start of the batch, with no compiled match in it,
        past the ``IDENTIFY_TRIES`` its earlier packets have left. Most are bulk packets of
        flows about to be given up (the flow table hears of it only after the batch)."""
        order, starts, counts = group_rows(ids.reshape(-1, 1))
        ordered = ids[order]
        hit = np.logical_or.reduceat(codes[order] != 0, starts)
        left = np.full(len(starts), len(ids), np.int64)  # no limit
        flows, given_up = self.flows, self.given_up
        several = np.flatnonzero(~hit & (counts > 1))  # a lone packet is within any budget
        for g, fid in zip(several.tolist(), ordered[starts[several]].tolist()):
            if fid not in flows:
                left[g] = IDENTIFY_TRIES - given_up.get(fid, 0)
        held = np.empty(len(ids), bool)
        held[order] = (np.arange(len(ids)) - np.repeat(starts, counts)) >= np.repeat(left, counts)
        return held

    def _walk_new_first(self, b: _Batch, sel: np.ndarray) -> None:
        """Without tables: :meth:`_walk` of the packets ``sel`` in two passes, first every
        packet but the second and later ones of the flows new in the batch, then those of
        them whose flow is still read or identified. Most new flows are named by their
        first payload packet and read no further (quarter.pcap: 173 k of the 305 k packets
        walked were of flows stopped earlier in their batch). A flow's packets stay in
        order; across flows, a later packet of a new flow comes after other flows' packets
        of the batch, which only an announcement (:mod:`wirelens.pipeline.expected`) made
        by such a packet could tell: a TFTP request opens its flow, and a flow read for its
        name stops before an FTP data channel is announced."""
        uniq, first, of = np.unique(b.ids[sel], return_index=True, return_inverse=True)
        flows = self.flows
        rest = np.array([fid not in flows for fid in uniq.tolist()], bool)[of]  # (new flows)
        rest[first] = False
        self._walk(b, sel[~rest])
        left = sel[rest]
        if left.size == 0:
            return
        # per flow: 2 still read or identified, 1 given up (a compiled match may still name
        # it), 0 stopped
        given_up = self.given_up
        uniq, of = np.unique(b.ids[left], return_inverse=True)
        state = np.array([(0 if st.stopped else 2) if (st := flows.get(fid)) is not None
                          else 2 if given_up.get(fid, 0) < IDENTIFY_TRIES else 1
                          for fid in uniq.tolist()], np.int8)[of]
        self._walk(b, left[(state == 2) | ((state == 1) & (b.found.service[left] != 0))])

    def _walk(self, b: _Batch, sel: np.ndarray) -> None:
        """The packets ``sel`` (positions in the marked packets), in order: identification
        of the flows not identified yet, then their dissectors."""
        if sel.size == 0:
            return
        self.python_packets += int(sel.size)
        pkts, found, marked, view = b.pkts, b.found, b.marked, b.view
        rows = b.idx[sel]
        flows = self.flows
        given_up = self.given_up
        id_list = b.ids[sel].tolist()
        codes = found.service[sel].tolist()
        # plain Python values for the loop (numpy scalar access costs ~100 ns a time)
        cols = zip(sel.tolist(), id_list, (b.dirs[rows] == 0).tolist(),
                   codes, b.excluded[sel].tolist(), pkts.proto[rows].tolist(),
                   pkts.sport[rows].tolist(), pkts.dport[rows].tolist(),
                   pkts.payload_off[rows].tolist(), pkts.payload_len[rows].tolist(),
                   rows.tolist(), pkts.tcp_seq[rows].tolist(), pkts.tcp_flags[rows].tolist(),
                   pkts.tcp_ack[rows].tolist(), b.raw.ts_ns[rows].tolist())
        stop_slots, stop_ids, slots = b.stop_slots, b.stop_ids, b.slots
        carried = self.carry.by_key  # (a dict: its truth is its size, no call)
        for k, fid, from_orig, code, ex, proto, sp, dp, off, n, i, seq, flags, ack, ts in cols:
            waiting: list[_Segment] | None = None  # early segments of a flow named now
            st = flows.get(fid)
            if (st is None and proto == 6 and fid not in given_up and carried
                    and not flags & (SYN | RST) and not marked[i] & DPI_HANDSHAKE):
                # the first payload of a TCP flow that started without a handshake: does it
                # continue a connection whose dissector state is held?
                st = self._carry_over(b, i, fid, from_orig, seq,
                                      ack if flags & ACK else None, int(slots[i]))
            if st is None:
                if not code and given_up.get(fid, 0) >= IDENTIFY_TRIES:
                    continue  # given up on earlier in this batch (the flow table was told)
                handshake = bool(marked[i] & DPI_HANDSHAKE)
                announced = (self._announced(pkts, i, from_orig, proto, sp, dp, ts)
                             if self.expected else None)  # (no call per packet when none)
                cls: type[Dissector] | None
                if announced is not None:
                    cls, flipped = announced, False
                else:
                    cls, flipped = self._identify(view[off: off + n], fid, from_orig, code,
                                                  proto, sp, dp, ex, handshake)
                if cls is None:
                    if given_up.get(fid, 0) >= IDENTIFY_TRIES:  # just now
                        stop_slots.append(int(slots[i]))
                        stop_ids.append(fid)
                        self._forget_early(fid)
                    elif proto == 6 and not flags & (SYN | RST):
                        # (bytes on a SYN are mostly padding miscounted as data, on a RST text)
                        self._keep_early(fid, (from_orig, seq, flags,
                                               view[off: off + n].tobytes(), ts))
                    continue
                src = (int(pkts.src_hi[i]), int(pkts.src_lo[i]))
                dst = (int(pkts.dst_hi[i]), int(pkts.dst_lo[i]))
                turn = flipped or (from_orig and _server_first(cls, view[off: off + n], proto,
                                                               dst, handshake))
                ends = (*src, sp, *dst, dp) if from_orig != turn else (*dst, dp, *src, sp)
                st = flows[fid] = FlowDpi(ends, proto, cls, reversed=turn)
                b.named.append(fid)
                if announced is not None:
                    st.source = "expected"
                elif from_orig != turn:  # (named by its client's payload)
                    self.expected.note_named(cls, view[off: off + n], proto, ends, ts)
                if turn:
                    self.reversed.add(fid)
                given_up.pop(fid, None)
                if fid in self.early:
                    waiting = self._forget_early(fid)
                # without tables, a flow named without its name (a TLS hello with a
                # post-quantum key share spans two segments, QUIC's is encrypted, a NetBIOS
                # name is not a compiled one) is read by its dissector until it gives one,
                # if its protocol has names (its rows are not kept)
                reads = self.tables or (cls.name_source is not None and not (
                    code and cls.name == service_name(code) and found.name_off[k] >= 0))
                if reads and cls.feed is not SignatureDissector.feed:
                    # (a signature that reads nothing is done once it named the service)
                    if cls is DnsDissector and proto == 17 and b.dns_at(k) >= 0:
                        st.dissector = dns_fast.FastDns()
                    else:
                        st.dissector = self._create(cls, proto)
                    if proto == 6:
                        st.reasm = self._reassembler(pkts, i, from_orig != turn)
                        if self.tables:  # (a name reader reads a connection's start only)
                            st.key = self._key(pkts, i, (*src, sp), (*dst, dp))
                            carried[st.key] = fid
                    st.slot = int(slots[i])
                    self._hold(fid, ts, b)
            if st.server_name is None and code and st.cls.name == service_name(code):
                st.server_name, st.name_source = found.name(k), st.cls.name_source
            if st.stopped:
                continue
            if st.retries:  # its dissector failed: named wrongly?
                self._rename(st, fid, view[off: off + n].tobytes(), from_orig != st.reversed, ts)
            elif st.dissector is None:  # identification only: done
                st.stopped = True
            elif type(st.dissector) is dns_fast.FastDns:
                self._read_fast_dns(st, fid, b, k, from_orig != st.reversed,
                                    view[off: off + n], ts)
            else:
                if self.tables or st.server_name is None:
                    self._read(st, fid, from_orig != st.reversed, view[off: off + n], ts,
                               seq, flags, ack)
                    if waiting:  # named now: what came early follows
                        self._read_early(st, fid, waiting, from_orig, seq,
                                         ack if flags & ACK else None)
                if not self.tables and not st.stopped and (
                        st.server_name is not None
                        or st.dissector is not None and st.dissector.name_final()):
                    st.stopped = True  # (read for its name only)
                    self._drop_state(st, fid)
            if st.stopped:
                stop_slots.append(int(slots[i]))
                stop_ids.append(fid)

    def _announced(self, pkts: PacketBatch, i: int, from_orig: bool, proto: int, sp: int,
                   dp: int, ts: int) -> type[Dissector] | None:
        """The class announced for the responder of packet ``i``'s flow (the destination of a
        packet from the originator, else its source), or None."""
        if from_orig:
            if not self.expected.awaits(dp):  # (most flows: no address looked up)
                return None
            return self.expected.take(proto, int(pkts.dst_hi[i]), int(pkts.dst_lo[i]), dp, ts)
        if not self.expected.awaits(sp):
            return None
        return self.expected.take(proto, int(pkts.src_hi[i]), int(pkts.src_lo[i]), sp, ts)

    def _key(self, pkts: PacketBatch, i: int, a: tuple[int, int, int],
             b: tuple[int, int, int]) -> tuple[int, ...]:
        """The flow-table key of packet ``i``'s flow (its ends ``a`` and ``b``)."""
        return flow_key(a, b, int(pkts.proto[i]), int(pkts.vlan[i]),
                        int(pkts.vlan_inner[i]), int(pkts.tunnel[i]), int(pkts.tunnel_id[i]),
                        self.vlan_key)

    def _carry_over(self, b: _Batch, i: int, fid: int, from_orig: bool, seq: int,
                    ack: int | None, slot: int) -> FlowDpi | None:
        """The dissector state flow ``fid`` takes over from the flow its connection was in
        before the flow table ended it, when packet ``i`` (its first payload) continues that
        flow's streams (:mod:`wirelens.pipeline.dpi_carry`); else None. The packets of that
        flow waiting for the end of the walk (:attr:`_Batch.later`) are read first: they
        came before this one."""
        pkts = b.pkts
        src = (int(pkts.src_hi[i]), int(pkts.src_lo[i]), int(pkts.sport[i]))
        dst = (int(pkts.dst_hi[i]), int(pkts.dst_lo[i]), int(pkts.dport[i]))
        key = self._key(pkts, i, src, dst)
        old = self.carry.by_key.get(key)
        if old is None or old == fid:
            return None
        parked = self.carry.parked.get(old)
        if parked is not None:  # (its flow already written)
            st: FlowDpi | None = parked[0]
        else:
            st = self.flows.get(old)
            if st is not None and not st.stopped and b.later.size:
                mine = b.ids[b.later] == old
                if mine.any():
                    waiting, b.later = b.later[mine], b.later[~mine]
                    self._walk(b, waiting)
                    st = self.flows.get(old)
            if st is None or not self._carried(st):
                return None
        assert st is not None and st.reasm is not None
        client = src == st.orig[:3]
        if not self.carry.continues(st.reasm, st.skips, client, seq, ack):
            return None
        if parked is not None:
            del self.carry.parked[old]
        else:  # (its flow is still to be written: with what it was decided to be)
            self.carry.handed[old] = (st.cls.name, st.source, st.server_name, st.name_source)
            del self.flows[old]
        self.carry.by_key[key] = fid
        self.flows[fid] = st
        b.named.append(fid)
        self.reading.pop(old, None)
        self.reading[fid] = None
        st.reversed = client != from_orig  # (the roles the other way from the flow table's)
        if st.reversed:
            self.reversed.add(fid)
        st.slot, st.uid = slot, None
        return st

    def _keep_early(self, fid: int, segment: _Segment) -> None:
        """Keep a segment of a TCP flow not named yet (the oldest flows' go past the bound)."""
        kept = self.early.get(fid)
        if kept is None:
            kept = self.early[fid] = []
        kept.append(segment)
        n = len(segment[3])
        self.early_bytes += n
        self.early_sizes[fid] = self.early_sizes.get(fid, 0) + n
        while self.early_bytes > DPI_EARLY_BYTES and self.early:
            oldest, _ = self.early.popitem(last=False)
            self.early_bytes -= self.early_sizes.pop(oldest)

    def _forget_early(self, fid: int) -> list[_Segment]:
        """Drop (and return) the segments kept for a flow."""
        kept = self.early.pop(fid, None)
        if kept is None:  # (most flows: nothing kept)
            return []
        self.early_bytes -= self.early_sizes.pop(fid)
        return kept

    def _read_early(self, st: FlowDpi, fid: int, kept: list[_Segment], from_orig: bool,
                    seq: int, ack: int | None) -> None:
        """A TCP flow was just named by a segment (from the originator: ``from_orig``; its
        ``seq`` and ``ack``): its segments ``kept`` before are read now, in the order they
        came, but only those that came early, ahead of their turn: after this segment in its
        direction, and at or after where its ACK points in the other (none without an ACK).
        The others are older bytes, before where the reassembler starts each stream."""
        if st.reasm is None:
            return
        for side, at, flags, payload, ts in kept:
            if st.stopped:
                return
            ahead = (seq_diff(at, seq) > 0 if side == from_orig
                     else ack is not None and seq_diff(at, ack) >= 0)
            if ahead:
                self._read(st, fid, side != st.reversed, payload, ts, at, flags)

    def _read(self, st: FlowDpi, fid: int, side: bool, payload: memoryview | bytes, ts: int,
              seq: int = 0, flags: int = 0, ack: int | None = None) -> None:
        """One payload packet of an identified flow (``side``: from the client) to its
        dissector (TCP: through the reassembler, with the segment's ``seq`` and ``flags``;
        its ``ack`` first gives up on the holes of the other side it acknowledges, whose
        bytes then come first), bytes the dissector skips passed over. After
        ``DPI_IDLE_PACKETS`` packets without a row the flow is no longer read."""
        written = st.rows
        if st.reasm is None:
            if len(payload):
                self._feed(st, fid, bytes(payload), side, ts)
        else:
            if ack is not None and flags & ACK and not (st.skips and (not side) in st.skips):
                # (a side whose bytes are being skipped is told of that hole first, later)
                other = st.reasm.acked(not side, ack)
                if other.data or other.holes:
                    self._deliver(st, fid, other, not side, ts)
                    if st.stopped or st.dissector is None:
                        return
            if st.skips and side in st.skips and self._passed_over(st, fid, side, seq,
                                                                   len(payload), ts):
                return
            got = st.reasm.add(side, seq, flags, bytes(payload))
            self._deliver(st, fid, got, side, ts)
            if st.dissector is not None and not st.stopped:
                self._skip(st, fid, side, ts)
        self._idle(st, fid, written, ts)

    def _idle(self, st: FlowDpi, fid: int, written: int, ts: int) -> None:
        """After a payload packet read (``written``: the flow's rows before it): after
        ``DPI_IDLE_PACKETS`` packets without a row the flow is no longer read."""
        if st.rows > written:
            st.idle_left = DPI_IDLE_PACKETS
        else:
            st.idle_left -= 1
            if st.idle_left <= 0 and not st.stopped:  # e.g. a bulk body: enough
                st.stopped = True
                self._retire(st, fid, ts)

    def _read_fast_dns(self, st: FlowDpi, fid: int, b: _Batch, k: int, side: bool,
                       payload: memoryview, ts: int) -> None:
        """Marked packet ``k``, a datagram of a flow on the DNS fast path
        (:mod:`~wirelens.pipeline.dns_fast`); one its reader declined hands the flow to the
        Python dissector, which reads it and the rest of the flow."""
        fast: dns_fast.FastDns = st.dissector
        msgs, m = b.dns, b.dns_at(k)
        if msgs is None or m < 0 or not fast.takes(msgs, m):
            st.dissector = fast.handover()
            self._read(st, fid, side, payload, ts)
            return
        written = st.rows
        row, answered = fast.read(msgs, m, ts, payload)
        st.server_name, st.name_source = fast.server_name, fast.name_source
        if row is not None:
            values, keys, ks = self._fast
            values.append(row)
            keys.append((fid, *st.orig, st.proto))
            ks.append(m)
            st.rows += 1
            if answered:
                self.dns_cache.add_answers(row[2], msgs.answers(m))
        self._idle(st, fid, written, ts)

    def _passed_over(self, st: FlowDpi, fid: int, side: bool, seq: int, n: int,
                     ts: int) -> bool:
        """Whether a segment lies wholly inside bytes the dissector skips (its end is noted);
        a segment going past them ends the skip (the dissector is told of the hole)."""
        assert st.skips is not None
        skip = st.skips[side]
        end = (seq + n) % SEQ_MOD
        if seq_diff(end, skip[1]) <= 0:
            if seq_diff(end, skip[3]) > 0:
                skip[3] = end
            return True
        self._end_skip(st, fid, side, ts, skip[2])
        return False

    def _identify(self, payload: memoryview, fid: int, from_orig: bool, code: int, proto: int,
                  sp: int, dp: int, excluded: int = 0, handshake: bool = True,
                  ) -> tuple[type[Dissector] | None, bool]:
        """The dissector of a flow not identified yet, from one of its payloads (``code``:
        what the compiled classifier said of it; ``excluded``: the content tests its
        screens ruled out, ``screens.NOTHING`` for all of them), or None; and whether the
        payload was recognised as sent by the other role than its side says (``flipped``).

        A TCP flow seen without its handshake (``handshake`` false: a capture that starts
        mid-conversation) may show a server's message first, from the side then taken for the
        client: when no content test takes the payload as sent by its side, they are asked
        again with the roles the other way round (a Modbus response, which its test takes only
        from a server); one that takes it names the flow, and the flow's roles are reversed.

        The compiled classifier decides DNS/HTTP/TLS; the other registered dissectors' content
        tests run in Python (registry priority order), on at most ``IDENTIFY_TRIES`` payload
        packets of the flow. As in :func:`wirelens.dissect.registry.identify`, ports only
        break ties: a compiled match on a port that is not its own loses to another
        dissector whose content test also matches and whose well-known ports include it
        (e.g. NetBIOS name service on 137 looks like DNS).
        """
        if code:
            cls = by_name(service_name(code) or "")
            others = ports_of(proto, COMPILED)
            if cls is None or sp in cls.ports or dp in cls.ports or not (
                    sp in others or dp in others):
                return cls, False
            other = identify(payload.tobytes(), proto, from_orig, sp, dp, COMPILED)
            if other is not None and (sp in other.ports or dp in other.ports):
                return other, False
            return cls, False
        tries = self.given_up.get(fid, 0)
        if tries >= IDENTIFY_TRIES:
            return None, False
        other, flipped = None, False
        if excluded != screens.NOTHING:
            data = payload.tobytes()
            other = identify(data, proto, from_orig, sp, dp, COMPILED, excluded)
            if other is None and proto == 6 and not handshake:
                other = identify(data, proto, not from_orig, sp, dp, COMPILED, excluded)
                flipped = other is not None
        if other is None:
            self.given_up[fid] = tries + 1
        return other, flipped

    def _create(self, cls: type[Dissector], proto: int) -> Dissector:
        """A dissector for one flow; those handling credentials get ``show_passwords``."""
        takes = _TAKES_SECRETS.get(cls)
        if takes is None:
            takes = _TAKES_SECRETS[cls] = "show_passwords" in inspect.signature(cls).parameters
        if takes:
            return cls(proto, show_passwords=self.show_passwords)  # type: ignore[call-arg]
        return cls(proto)

    def _deliver(self, st: FlowDpi, fid: int, got: Delivery, from_orig: bool, ts: int) -> None:
        """Feed what the reassembler delivered, telling the dissector where the holes are."""
        self._stream_weirds(st, fid, ts, got.weirds)
        at = 0
        for where, length in got.holes:
            if st.stopped:
                return
            if where > at:
                self._feed(st, fid, got.data[at:where], from_orig, ts)
                at = where
            if not st.stopped:
                self._feed(st, fid, b"", from_orig, ts, gap=length)
        if at < len(got.data) and not st.stopped:
            self._feed(st, fid, got.data[at:], from_orig, ts)

    def _feed(self, st: FlowDpi, fid: int, payload: bytes, from_orig: bool, ts: int,
              gap: int = 0) -> None:
        d = st.dissector
        try:
            events = d.gap(from_orig, gap) if gap else d.feed(payload, from_orig, ts)
        except ParseError as exc:
            if not gap and d.resumable() and _owned(st):
                # one bad message of a flow that is this protocol's: a weird, read on
                self._weird(st, fid, ts, _error_name(d.name, exc), str(exc)[:200], d.name)
                return
            self._parse_error(st, fid, ts, exc)
            if not gap:
                self._rename(st, fid, payload, from_orig, ts)
            return
        self._name(st, d)
        if events:
            self._events(st, fid, events)
        if d.done:
            successor = self._successor(d, st.proto) if d.upgrade and not st.upgraded else None
            if successor is None:
                st.stopped = True
                self._retire(st, fid, ts)
                return
            try:  # STARTTLS accepted: the rest of the flow goes to the TLS dissector
                self._events(st, fid, d.finish())
            except ParseError as exc:
                self._parse_error(st, fid, ts, exc, salvage=False)
                return
            st.dissector = self._create(successor, st.proto)
            st.upgraded = True
            for side, data in d.upgrade_data:
                if not st.stopped:
                    self._feed(st, fid, data, side, ts)

    @staticmethod
    def _name(st: FlowDpi, d: Dissector) -> None:
        """The flow's name from what its dissector read: its own (an SNI, a Host, a query),
        else, while it has none, its server's certificate's (first SAN, else subject CN)."""
        if d.server_name:
            st.server_name, st.name_source = d.server_name, d.name_source
        elif d.cert_names and st.server_name is None:
            st.server_name, st.name_source = d.cert_names[0], "certificate"

    @staticmethod
    def _successor(d: Dissector, proto: int) -> type[Dissector] | None:
        """The dissector that reads the rest of the flow after ``d`` (its ``upgrade``): one
        named, or (``BY_CONTENT``: a tunnel) the one whose content test takes the bytes ``d``
        hands on, one side's together, the side that spoke first first (ports say nothing of
        a tunnel)."""
        if d.upgrade != BY_CONTENT:
            return by_name(d.upgrade or "")
        sides: dict[bool, bytes] = {}
        for side, data in d.upgrade_data:
            sides[side] = sides.get(side, b"") + data
        for side, data in sides.items():
            found = identify(data, proto, side, 0, 0)
            if found is not None:
                return found
        return None

    def _skip(self, st: FlowDpi, fid: int, side: bool, ts: int) -> None:
        """When the dissector can do without the next bytes of this side (a body of known
        length, a big chunk), from ``DPI_SKIP_MIN_BYTES`` on: the stream moves past them and
        their packets are passed over when they come (:attr:`FlowDpi.skips`). A skip renews
        the idle budget: the packets read between skips (chunk lines) are not idling."""
        assert st.reasm is not None and st.dissector is not None
        length = st.dissector.skippable(side)
        if length < DPI_SKIP_MIN_BYTES:
            return
        st.idle_left = DPI_IDLE_PACKETS  # framing read between skips is progress, not idling
        start = st.reasm.next_seq(side)
        got = st.reasm.skip(side, length)
        if st.skips is None:
            st.skips = {}
        st.skips[side] = [start, st.reasm.next_seq(side), length, start]
        if got.data or got.fin:  # bytes past the skipped ones were waiting: it is over
            if got.fin:  # the stream ended inside them: as far as the FIN (which takes 1)
                length = min(length, seq_diff(st.reasm.next_seq(side), start) - 1)
            self._end_skip(st, fid, side, ts, length)
            self._deliver(st, fid, got, side, ts)

    def _end_skip(self, st: FlowDpi, fid: int, side: bool, ts: int, length: int) -> None:
        """Tell the dissector of ``length`` skipped bytes of this side (a hole)."""
        assert st.skips is not None
        del st.skips[side]
        if length > 0 and not st.stopped:
            self._feed(st, fid, b"", side, ts, gap=length)

    @staticmethod
    def _reassembler(pkts: PacketBatch, i: int, from_orig: bool) -> TcpReassembler:
        """Reassembly for a TCP flow identified at packet ``i``. This direction's stream
        starts at that packet; the other one where this packet's ACK says it does (so a
        reply segment that arrives out of order is not mistaken for the stream's start)."""
        reasm = TcpReassembler()
        if pkts.tcp_flags[i] & ACK:
            reasm.start(not from_orig, int(pkts.tcp_ack[i]))
        return reasm

    def _stream_weirds(self, st: FlowDpi, fid: int, ts: int, names: tuple[str, ...]) -> None:
        for name in names:
            if st.reported is None:
                st.reported = set()
            if name not in st.reported:  # once per flow
                st.reported.add(name)
                self._weird(st, fid, ts, name, "", "tcp")

    def _parse_error(self, st: FlowDpi, fid: int, ts: int, exc: ParseError,
                     salvage: bool = True) -> None:
        """A dissector failed: a weird, and it reads no more of this flow. What it had read
        before the damage and still held (a request waiting for its reply, a handshake's
        summary) is written first (``finish``), as the end of the flow would have, unless
        ``finish`` itself failed (``salvage`` False) or the flow may yet be renamed (UDP, not
        surely the protocol's: :meth:`_rename`), whose first reading was then a misreading."""
        d = st.dissector
        self._weird(st, fid, ts, _error_name(d.name, exc), str(exc)[:200], d.name)
        if salvage and (st.proto != 17 or _owned(st)):
            self._name(st, d)  # (what it read before the damage)
            try:
                self._events(st, fid, d.finish())
            except ParseError:
                pass  # (the weird above stands for both)
        st.stopped = st.failed = True
        st.dissector = st.reasm = None  # its state is undefined: dropped
        self.reading.pop(fid, None)

    def _rename(self, st: FlowDpi, fid: int, payload: bytes, from_orig: bool, ts: int) -> None:
        """A UDP flow whose dissector failed may have been named by a first datagram that
        misled (e.g. an SNMP request sent to a DNS server, which answers in DNS). The
        datagram that failed (from the client: ``from_orig``) and up to ``IDENTIFY_TRIES`` - 1
        later ones are offered to the other content tests; the first one taken makes the flow
        that service from then on (its dissector reads on from that datagram; the failure's
        weird stays, and the rows already written) when the first dissector wrote no row, or
        else when the responder's port is the new service's and not the first one's (two
        content tests disagree: the port breaks the tie). Once per flow; TCP flows are not
        renamed (a failing segment is seldom a message's start)."""
        if st.renamed or st.proto != 17 or st.upgraded:
            return
        if not st.retries:  # just failed
            st.retries, st.stopped = IDENTIFY_TRIES, False
        st.retries -= 1
        other = identify(payload, 17, from_orig, st.orig[2], st.orig[5], frozenset((st.cls.name,)))
        port = st.orig[5]
        if other is None or (st.rows and (port not in other.ports or port in st.cls.ports)):
            st.stopped = not st.retries
            return
        st.cls, st.renamed, st.failed, st.retries = other, True, False, 0
        st.server_name = st.name_source = None
        if self.tables and other.feed is not SignatureDissector.feed:
            st.dissector = self._create(other, 17)
            self._hold(fid, ts, None)
            self._feed(st, fid, payload, from_orig, ts)
        else:
            st.stopped = True

    def _hold(self, fid: int, ts: int, b: _Batch | None) -> None:
        """Flow ``fid`` now has dissector state; past ``DPI_MAX_READING`` such flows, the one
        whose dissector was made first gives its state up (its rows so far written, a weird
        saying why) and is read no further (the flow table is told in batch ``b``, else at
        its next packet's)."""
        reading = self.reading
        reading[fid] = None
        while len(reading) > limits.DPI_MAX_READING:
            old, _ = reading.popitem(last=False)
            st = self.flows.get(old)
            if st is None or st.dissector is None:  # (its state went meanwhile)
                continue
            n, first = self.shed
            self.shed = (n + 1, first if n else ts)
            st.stopped = True
            self._retire(st, old, ts)
            if b is not None and st.slot >= 0:
                b.stop_slots.append(st.slot)
                b.stop_ids.append(old)

    def _retire(self, st: FlowDpi, fid: int, ts: int) -> None:
        """A dissector that wants nothing more gives its pending events now and its state is
        dropped: an open flow whose DPI is over keeps only a few facts (service, name), not
        parser buffers, until it ends."""
        d = st.dissector
        if type(d) is dns_fast.FastDns:  # its queries never answered: rows without Python
            rows = d.unanswered()  # objects, as the fast path's others
            if rows:
                self._unanswered[0].extend(rows)
                self._unanswered[1].extend([(fid, *st.orig, st.proto)] * len(rows))
                st.rows += len(rows)
        else:
            try:
                self._events(st, fid, d.finish())
            except ParseError as exc:
                self._parse_error(st, fid, ts, exc, salvage=False)
                return
        self._name(st, d)
        self._drop_state(st, fid)

    def _drop_state(self, st: FlowDpi, fid: int) -> None:
        """The flow's dissector and reassembly state goes (it is read no further)."""
        st.dissector = st.reasm = None
        self.reading.pop(fid, None)
        if st.key is not None:  # (nothing left to carry over)
            self.carry.forget(st.key, fid)
            st.key = None

    def _events(self, st: FlowDpi, fid: int, events: list[Any]) -> None:
        """Each event becomes a row of its class's table (``Event.table``; None: not kept)."""
        for ev in events:
            table = type(ev).table
            if table is None:
                if type(ev) is Problem:  # damage in a message written as far as it went
                    self._weird(st, fid, ev.ts_ns, _error_name(st.cls.name, ev.error),
                                str(ev.error)[:200], st.cls.name)
                continue
            if table == "dns" and ev.is_response:
                if ev.answers:
                    self.dns_cache.add_answers(ev.query, ev.answers)
                for owner, address in ev.added:  # what a dynamic update registered
                    self.dns_cache.add_answers(owner, (address,))
            elif table == "ftp" and ev.data_channel_resp_p:  # a data connection announced
                self.expected.note_ftp(ev, st.orig)
            if not self.tables:  # (a flow read for its name: counted, not kept)
                st.rows += 1
                continue
            names, getter = _getter(type(ev))
            bucket = self.events.get((table, type(ev)))
            if bucket is None:
                bucket = self.events[(table, type(ev))] = EventRows(names)
            bucket.values.append(getter(ev))
            st.rows += 1
            bucket.keys.append((fid, *st.orig, st.proto))

    def _uid(self, st: FlowDpi, fid: int) -> str:
        if st.uid is None:
            st.uid = uid_one(fid, self.salt)
        return st.uid

    def _weird(self, st: FlowDpi, fid: int, ts: int, name: str, detail: str, source: str) -> None:
        o = st.orig
        self.weirds.append({"ts": ts, "uid": self._uid(st, fid), "orig_h": addr_one(o[0], o[1]),
                            "resp_h": addr_one(o[3], o[4]), "name": name, "source": source,
                            "count": 1, "detail": detail})

    def take_reversed(self, cols: dict[str, np.ndarray]) -> np.ndarray:
        """Which of these ending flows (``cols``: flow table columns) are to be written with
        the roles swapped (:func:`wirelens.flow.reverse_flows`), before
        :meth:`finish_flows`: those DPI found reversed by their content (forgotten here), and
        those the ports show reversed (:meth:`_reversed_by_ports`)."""
        flow_ids = cols["flow_id"]
        mask = self._reversed_by_ports(cols)
        if self.reversed:
            by_content = np.isin(flow_ids, np.fromiter(self.reversed, np.uint64,
                                                       len(self.reversed)))
            self.reversed.difference_update(flow_ids[by_content].tolist())
            mask |= by_content
        return mask

    def _reversed_by_ports(self, cols: dict[str, np.ndarray]) -> np.ndarray:
        """:func:`~wirelens.pipeline.dpi_common.reversed_by_ports` with the running
        dissectors' ports; a flow content named stands."""
        flows = self.flows
        return reversed_by_ports(cols, lambda proto: _port_services(proto)[1],
                                 lambda ids: [f in flows for f in ids])

    def finish_flows(self, cols: dict[str, np.ndarray]) -> FinishedFlows:
        """What DPI decided for ended flows (``cols``: ``flow_id``, ``last_ts_ns`` and, for the
        DNS cache, ``resp_hi``/``resp_lo``); forgets them."""
        flow_ids, last_ts_ns = cols["flow_id"], cols["last_ts_ns"]
        n = len(flow_ids)
        service: list[str | None] = [None] * n
        source: list[str | None] = [None] * n
        names: list[str | None] = [None] * n
        how: list[str | None] = [None] * n
        if self.flows or self.given_up or self.early or self.carry.handed:
            pop = self.flows.pop
            forget = self.given_up.pop
            early = self.early
            handed = self.carry.handed
            reasons = cols["end_reason"].tolist() if "end_reason" in cols else [0] * n
            for k, (fid, last, why) in enumerate(zip(flow_ids.tolist(), last_ts_ns.tolist(),
                                                     reasons)):
                if self.given_up:
                    forget(fid, None)
                if fid in early:
                    self._forget_early(fid)
                st = pop(fid, None) if self.flows else None
                if st is None:
                    if handed and fid in handed:  # its state went on with its continuation
                        service[k], source[k], names[k], name_how = handed.pop(fid)
                        how[k] = name_how if names[k] else None
                    continue
                if why == END_ACTIVE and self._carried(st):
                    self._park(st, fid, last)  # (its connection goes on: the state waits)
                else:
                    self._close(st, fid, last)
                service[k], source[k], names[k] = st.cls.name, st.source, st.server_name
                if st.server_name:
                    how[k] = st.name_source
        if len(self.expected) and "resp_p" in cols:
            self._services_expected(cols, service, source)
        if "resp_p" in cols:  # (no content test named them: the responder port's service)
            self._services_from_ports(cols, service, source)
        if len(self.dns_cache) and "resp_hi" in cols:
            self._names_from_cache(cols, names, how, source)
        return FinishedFlows(service, source, names, how)

    def _close(self, st: FlowDpi, fid: int, last: int) -> None:
        """The end of an ended flow's dissector state (``last``: its last packet's time): what
        waited behind a hole is delivered, then the dissector's pending events."""
        if st.key is not None:
            self.carry.forget(st.key, fid)
        for side in (True, False):  # what waited behind a hole
            if st.skips and side in st.skips:  # bytes skipped: as far as they came
                start, _, length, seen = st.skips[side]
                self._end_skip(st, fid, side, last, min(length, max(0, seq_diff(seen, start))))
            if st.reasm is None or st.stopped:
                break
            self._deliver(st, fid, st.reasm.flush(side), side, last)
        if st.dissector is not None and not st.failed:
            self._retire(st, fid, last)

    @staticmethod
    def _carried(st: FlowDpi) -> bool:
        """Whether a flow's dissector state may go on with a flow continuing its connection."""
        return (st.key is not None and st.reasm is not None and st.dissector is not None
                and not st.stopped and not st.failed)

    def _park(self, st: FlowDpi, fid: int, last: int) -> None:
        """A flow the active timeout cut while its dissector read: its state waits for the
        flow continuing the connection (:mod:`wirelens.pipeline.dpi_carry`), at most
        ``DPI_PARKED_MAX`` states (the oldest closed first) and until the idle timeout
        after its last packet (:meth:`_expire`)."""
        parked = self.carry.parked
        parked[fid] = (st, last)
        while len(parked) > limits.DPI_PARKED_MAX:
            old, (old_st, old_last) = parked.popitem(last=False)
            self._close(old_st, old, old_last)

    def _expire(self, now: int | None) -> None:
        """Close the waiting states whose continuation can no longer come (its first packet
        must come within the idle timeout of the cut flow's last); with ``now`` None (the
        end of the input), all of them."""
        parked = self.carry.parked
        while parked:
            fid, (st, last) = next(iter(parked.items()))
            if now is not None and now - last <= self.idle_ns:
                break
            del parked[fid]
            self._close(st, fid, last)

    def close(self) -> None:
        """End of the input: the states still waiting for a continuation give their rows."""
        self._expire(None)

    def _services_expected(self, cols: dict[str, np.ndarray], service: list[str | None],
                           source: list[str | None]) -> None:
        """A flow no content test named whose responder was announced when it started: the
        announced service (``service_source = expected``). (Its packets may have been read
        before the announcement: those of a flow unknown at the start of a batch that go
        past its tries wait until the walk is over.)"""
        cols_at = [cols[c] for c in ("proto", "resp_hi", "resp_lo", "resp_p", "ts_ns")]
        ports = cols["resp_p"]
        for k in [k for k, name in enumerate(service) if name is None]:
            if not self.expected.awaits(int(ports[k])):
                continue
            got = self.expected.take(*(int(c[k]) for c in cols_at))
            if got is not None:
                service[k], source[k] = got.name, "expected"

    @staticmethod
    def _services_from_ports(cols: dict[str, np.ndarray], service: list[str | None],
                             source: list[str | None]) -> None:
        """A flow that carried payload but that no content test recognised gets the service
        whose well-known ports include its responder port (``service_source = port``)."""
        proto = cols["proto"]
        data = (cols["orig_payload_bytes"] + cols["resp_payload_bytes"]) > 0
        for pr in (6, 17):
            todo = np.flatnonzero(data & (proto == pr))
            names, codes = _port_services(pr)
            guess = codes[cols["resp_p"][todo]]
            known = guess != 0
            for k, c in zip(todo[known].tolist(), guess[known].tolist()):
                if service[k] is None:
                    service[k], source[k] = names[c], "port"

    def _names_from_cache(self, cols: dict[str, np.ndarray], names: list[str | None],
                          how: list[str | None], source: list[str | None]) -> None:
        """Fill the missing names from the DNS cache by responder address (a flow nothing
        else identified gets ``service_source`` dns-cache)."""
        todo = np.array([k for k, nm in enumerate(names) if not nm], np.int64)
        if todo.size == 0:
            return
        addrs = format_addrs(cols["resp_hi"][todo], cols["resp_lo"][todo]).to_pylist()
        get = self.dns_cache.get
        for k, addr in zip(todo.tolist(), addrs):
            name = get(addr) if addr else None
            if name is not None:
                names[k], how[k] = name, "dns_cache"
                if source[k] is None:
                    source[k] = "dns-cache"

    def take_events(self) -> list[tuple[str, EventRows]]:
        """The events gathered since the last call, by table (and event class; the DNS fast
        path's rows apart)."""
        out, self.events = self.events, {}
        found = [(table, rows) for (table, _), rows in out.items()]
        if self._unanswered[0]:
            self.fast_rows.append(dns_fast.query_rows(*self._unanswered))
            self._unanswered = ([], [])
        if self.fast_rows:
            found.append(("dns", dns_fast.event_rows(self.fast_rows)))
            self.fast_rows = []
        return found

    def take_weirds(self) -> list[dict[str, Any]]:
        out, self.weirds = self.weirds, []
        n, first = self.shed
        if n:
            out.append({"ts": first, "name": "dpi_state_limit", "source": "dpi", "count": n,
                        "detail": f"more than {limits.DPI_MAX_READING} flows read at once: "
                                  "those read longest gave their parser state up"})
            self.shed = (0, 0)
        return out
