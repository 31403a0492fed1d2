"""The DNS fast path of the DPI stage: DNS over UDP without a Python object per record.

DNS is the commonest metadata-bearing protocol and its Python dissector the costliest per
packet (parsing, then a record object, a string and a row value per answer). On the fast path
a batch's DNS datagrams are read by one compiled call (:mod:`._dns_kernel`: header fields,
the question, the kept answers and authorities with their texts in one byte arena); queries
and responses are paired in Python on a few plain values, exactly as
:class:`~wirelens.dissect.dns.DnsDissector` pairs them; and each batch's rows are written as
columns, their answer lists copied out of the arena by one compiled call per batch and made
Arrow arrays when written.

A UDP flow named DNS whose first datagram the compiled reader reads gets a :class:`FastDns`
in place of the dissector. At the first datagram of the flow the reader declines (see
:mod:`._dns_kernel`: no question, an UPDATE, rdata that does not parse, ...), or at a query
past ``DNS_MAX_PENDING`` waiting ones, the flow is handed to the Python dissector with its
queries still waiting
(:meth:`FastDns.handover`), which reads it from that datagram on: the rows are the same
either way (a differential test runs every capture of ``../shared/data`` both ways).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from wirelens.dissect import limits
from wirelens.dissect.dns import DnsDissector, Waiting, flow_name
from wirelens.dissect.dns_message import (
    opcode_name,
    qclass_name,
    qtype_name,
    rcode_name,
)
from wirelens.identify._dns import CUT_LABEL, CUT_NAME, CUT_POINTER
from wirelens.pipeline import _dns_kernel as K
from wirelens.pipeline.events import EventRows
from wirelens.schema import SCHEMAS

_MAPPED_DECLINED = any("." in str(ipaddress.IPv6Address(a)) for a in ("::ffff:1.2.3.4",
                                                                      "::1.2.3.4"))
"""Whether this Python writes an IPv4-mapped (or -compatible) IPv6 address with a dotted quad
(newer versions may): the compiled reader then declines every AAAA record whose first 80 bits
are zero instead of guessing."""

QR, AA, TC, RD, RA = 0x8000, 0x0400, 0x0200, 0x0100, 0x0080

NAMES = ("ts_ns", "trans_id", "query", "qclass", "qclass_name", "qtype", "qtype_name", "rcode",
         "rcode_name", "AA", "TC", "RD", "RA", "Z", "opcode", "rtt_ns", "opcode_name",
         "edns_udp_size", "edns_version", "edns_dnssec_ok", "partial")
"""The plain fields of a fast path row, in the order of its tuple (``DnsRecord`` names; the
lists come as columns)."""

Query = tuple[int, int, str, int, int, int, int, str | None, bytes]
"""A query waiting for its answer: (ts_ns, id, name, class, type, flags, EDNS (class << 32 |
TTL of its OPT record, or -1), how it ends inside a record (``DnsMessage.cut``), the
datagram)."""

_CUT_NAMES = {CUT_NAME: "name runs past the end", CUT_POINTER: "truncated compression pointer",
              CUT_LABEL: "label runs past the end"}
"""The checked reader's words for a name cut short (``dns_message._name_at``)."""


@dataclass(slots=True)
class Messages:
    """One batch's DNS datagrams as the compiled reader read them."""

    msg: np.ndarray
    """One row per datagram (``_dns_kernel.MSG_COLUMNS``)."""
    rec: np.ndarray
    """Kept answers then authorities of each datagram read (``_dns_kernel.REC_COLUMNS``)."""
    rows: list[list[int]]
    """``msg`` as plain ints (read per datagram in the walk)."""
    text: bytes
    """The arena: every text, one after the other (names decoded per datagram, the rows'
    lists copied out of it per batch)."""

    def whole(self, m: int) -> bool:
        """Whether datagram ``m`` was read (else the reader declined it)."""
        return bool(self.rows[m][K.M_OK])

    def name(self, a: int, b: int) -> str:
        return self.text[a:b].decode("ascii")

    def cut(self, m: int) -> str | None:
        """How datagram ``m`` ends inside a record, in the words of ``DnsMessage.cut`` (the
        checked reader's :class:`~wirelens.wire.errors.Truncated` on that record); None when
        it does not."""
        row = self.rows[m]
        kind = row[K.M_CUT]
        if not kind:
            return None
        need, left = row[K.M_CUT_NEED], row[K.M_CUT_LEFT]
        what = (f"need {need} bytes, {left} left" if kind == K.CUT_NEED else
                f"block of {need} bytes, {left} left" if kind == K.CUT_BLOCK else
                _CUT_NAMES[kind])
        return (f"ends inside record {row[K.M_CUT_RECORD] + 1} of {row[K.M_CUT_TOTAL]} "
                f"({what} (at byte {row[K.M_CUT_AT]}))")

    def answered(self) -> list[tuple[str, list[str]]]:
        """(question, answer texts) of each response read whole that has answers, in order:
        what the DNS cache learns from these datagrams."""
        return [(self.name(row[K.M_QNAME_A], row[K.M_QNAME_B]), self.answers(m))
                for m, row in enumerate(self.rows)
                if row[K.M_OK] and row[K.M_FLAGS] & QR and row[K.M_ANSWERS]]

    def answers(self, m: int) -> list[str]:
        """The texts of datagram ``m``'s kept answers (for the DNS cache)."""
        row = self.rows[m]
        r = row[K.M_REC]
        spans = self.rec[r: r + row[K.M_ANSWERS], K.R_TEXT_A: K.R_TEXT_B + 1].tolist()
        return [self.text[a:b].decode("utf-8") for a, b in spans]


def read(data: np.ndarray, offs: np.ndarray, lens: np.ndarray) -> Messages:
    """Read the datagrams ``data[offs[i]:offs[i] + lens[i]]``."""
    total = int(lens.sum())
    msg = np.zeros((len(offs), K.MSG_COLUMNS), np.int64)
    rec = np.empty((total // 11 + 1, K.REC_COLUMNS), np.int64)  # a record takes >= 11 bytes
    arena = np.empty(4 * total + 4096, np.uint8)
    n_rec, used = K.read_messages(data, offs.astype(np.int64), lens.astype(np.int64),
                                  _MAPPED_DECLINED, msg, rec, arena)
    return Messages(msg, rec[:n_rec], msg.tolist(), arena[:used].tobytes())


class FastDns:
    """A DNS-over-UDP flow on the fast path: the queries waiting for their answer, kept and
    paired as :class:`~wirelens.dissect.dns.DnsDissector` keeps and pairs them (per id, the
    oldest first; a response answers the oldest waiting query with its id and question), and
    named as it names them (:func:`~wirelens.dissect.dns.flow_name`)."""

    __slots__ = ("name_kept", "pending", "server_name")
    name = DnsDissector.name
    name_source = DnsDissector.name_source

    def __init__(self) -> None:
        self.pending: Waiting[Query] = Waiting()
        self.server_name: str | None = None
        self.name_kept = False

    def takes(self, m: Messages, k: int) -> bool:
        """Whether datagram ``k`` of ``m`` (read whole) is this flow's to read: not a query
        past ``DNS_MAX_PENDING`` waiting ones (the dissector, handed the flow, gives up the
        oldest then, as it does)."""
        return bool(m.rows[k][K.M_FLAGS] & QR) or self.pending.count < limits.DNS_MAX_PENDING

    def read(self, m: Messages, k: int, ts_ns: int, datagram: memoryview,
             ) -> tuple[tuple[Any, ...] | None, bool]:
        """Datagram ``k`` of ``m`` (read whole, :meth:`takes`): its row's plain fields
        (:data:`NAMES`; a response's) or None (a query, kept), and whether that row has
        answers (for the DNS cache)."""
        row = m.rows[k]
        if not self.name_kept:
            self.server_name, self.name_kept = flow_name(
                self.server_name, m.name(row[K.M_QNAME_A], row[K.M_QNAME_B]), None,
                bool(row[K.M_FLAGS] & QR))
        if not row[K.M_FLAGS] & QR:
            query = query_of(m, k, ts_ns, datagram.tobytes())
            self.pending.add(query[1], query)
            return None, False
        name = m.name(row[K.M_QNAME_A], row[K.M_QNAME_B])
        q = self.answered(row[K.M_ID], row[K.M_QTYPE], name)
        return response_row(m, k, ts_ns, q, name), bool(row[K.M_ANSWERS])

    def answered(self, trans_id: int, qtype: int, name: str) -> Query | None:
        """The query a response (its id, question type and name) answers, taken; or None."""
        queue = self.pending.queue(trans_id)
        if queue:
            lower = name.lower()
            for k, q in enumerate(queue):
                if q[4] == qtype and q[2].lower() == lower:  # (RFC 4343: without case)
                    return self.pending.take(trans_id, k)
        return None

    def unanswered(self) -> list[tuple[Any, ...]]:
        """The plain fields (:data:`NAMES`) of the rows of the queries never answered, in the
        order they were sent: the rows the dissector's ``finish`` writes, made without it (a
        flood of queries never answered, each its own flow, read them all again otherwise:
        two thirds of the run)."""
        waiting = [q for queue in self.pending.by_id.values() for q in queue]
        waiting.sort(key=lambda q: q[0])  # (stable: as the dissector orders them)
        return [query_row(q) for q in waiting]

    def handover(self) -> DnsDissector:
        """The Python dissector, holding this flow's waiting queries (read again from their
        datagrams, in the same order), to read the flow from here on."""
        sent: Waiting[tuple[int, bytes]] = Waiting()  # (time, datagram) of each, in order
        for trans_id, queue in self.pending.by_id.items():
            for q in queue:
                sent.add(trans_id, (q[0], q[8]))
        d = DnsDissector(17)
        d.adopt(sent, self.server_name, self.name_kept)
        return d


def query_of(m: Messages, k: int, ts_ns: int, datagram: bytes) -> Query:
    """Datagram ``k`` (a query) as a :data:`Query`."""
    row = m.rows[k]
    edns = row[K.M_EDNS_SIZE]
    return (ts_ns, row[K.M_ID], m.name(row[K.M_QNAME_A], row[K.M_QNAME_B]), row[K.M_QCLASS],
            row[K.M_QTYPE], row[K.M_FLAGS], -1 if edns < 0 else edns << 32 | row[K.M_EDNS_TTL],
            m.cut(k), datagram)


def query_row(q: Query) -> tuple[Any, ...]:
    """The plain fields (:data:`NAMES`) of the row of query ``q`` never answered, as
    ``dns._record`` writes them (no response: no rcode, AA, TC nor RA)."""
    ts, tid, name, qclass, qtype, first, packed, cut, _ = q
    opcode = (first >> 11) & 0xF
    return (ts, tid, name, qclass, qclass_name(qclass), qtype, qtype_name(qtype), None, None,
            False, False, bool(first & RD), False, (first >> 4) & 7, opcode, None,
            opcode_name(opcode),
            *_edns(packed), cut)


def _edns(packed: int) -> tuple[int | None, int | None, bool | None]:
    """(UDP size, version, DO bit) of an OPT record packed as in :data:`Query`."""
    if packed < 0:
        return None, None, None
    ttl = packed & 0xFFFF_FFFF
    return packed >> 32, (ttl >> 16) & 0xFF, bool(ttl & 0x8000)


def response_row(m: Messages, k: int, ts_ns: int, q: Query | None, name: str,
                 ) -> tuple[Any, ...]:
    """The plain fields (:data:`NAMES`) of the row of response ``k`` (its question's name
    ``name``), answering query ``q`` (None: a response alone); as ``dns._record`` writes
    them."""
    row = m.rows[k]
    flags = row[K.M_FLAGS]
    rcode = flags & 0xF
    edns = row[K.M_EDNS_SIZE]
    cut = m.cut(k)
    if q is not None:
        ts, tid, name, qclass, qtype, first, packed, query_cut, _ = q
        if packed < 0 and edns >= 0:
            packed = edns << 32 | row[K.M_EDNS_TTL]
        rtt: int | None = ts_ns - ts
        cut = cut or query_cut
    else:
        ts, tid, first, rtt = ts_ns, row[K.M_ID], flags, None
        qclass, qtype = row[K.M_QCLASS], row[K.M_QTYPE]
        packed = -1 if edns < 0 else edns << 32 | row[K.M_EDNS_TTL]
    opcode = (first >> 11) & 0xF
    return (ts, tid, name, qclass, qclass_name(qclass), qtype, qtype_name(qtype), rcode,
            rcode_name(rcode), bool(flags & AA), bool(flags & TC), bool(first & RD),
            bool(flags & RA), (first >> 4) & 7, opcode, rtt, opcode_name(opcode),
            *_edns(packed), cut)


@dataclass(slots=True)
class Lists:
    """One family of a batch's rows' records (answers, or authorities), compact: per row its
    count; per record its text and owner name (bytes one after the other, and offsets), type
    and TTL."""

    counts: np.ndarray
    text_offs: np.ndarray
    texts: np.ndarray
    name_offs: np.ndarray
    names: np.ndarray
    types: np.ndarray
    ttls: np.ndarray

    @classmethod
    def gather(cls, m: Messages, first: np.ndarray, counts: np.ndarray) -> Lists:
        """The records ``m.rec[first[i]:first[i] + counts[i]]`` of each row ``i``."""
        return cls(counts, *K.gather_records(np.frombuffer(m.text, np.uint8), m.rec, first,
                                             counts))

    @classmethod
    def none(cls, rows: int) -> Lists:
        """No records for each of ``rows`` rows."""
        offs = np.zeros(1, np.int32)
        return cls(np.zeros(rows, np.int64), offs, np.empty(0, np.uint8), offs,
                   np.empty(0, np.uint8), np.empty(0, np.int64), np.empty(0, np.float64))

    @classmethod
    def join(cls, parts: list[Lists]) -> Lists:
        """Several batches' lists as one (offsets shifted)."""
        return cls(np.concatenate([p.counts for p in parts]),
                   _joined([p.text_offs for p in parts]), np.concatenate([p.texts for p in parts]),
                   _joined([p.name_offs for p in parts]), np.concatenate([p.names for p in parts]),
                   np.concatenate([p.types for p in parts]),
                   np.concatenate([p.ttls for p in parts]))

    def columns(self) -> tuple[pa.Array, pa.Array, pa.Array, pa.Array]:
        """The four list columns: texts, TTLs, type names, owner names."""
        n = len(self.types)
        codes, inverse = np.unique(self.types, return_inverse=True)
        type_names = pa.DictionaryArray.from_arrays(
            pa.array(inverse.astype(np.int32)),
            pa.array([qtype_name(int(c)) for c in codes], pa.string())).dictionary_decode()
        values = (pa.StringArray.from_buffers(n, pa.py_buffer(self.text_offs),
                                              pa.py_buffer(self.texts)),
                  pa.array(self.ttls), type_names,
                  pa.StringArray.from_buffers(n, pa.py_buffer(self.name_offs),
                                              pa.py_buffer(self.names)))
        offsets = np.zeros(len(self.counts) + 1, np.int32)
        np.cumsum(self.counts, out=offsets[1:])
        wrap = pa.array(offsets)
        return tuple(pa.ListArray.from_arrays(wrap, v) for v in values)


def _joined(offsets: list[np.ndarray]) -> np.ndarray:
    """The offsets of several string arrays' bytes put one after the other."""
    out = [offsets[0]]
    end = int(offsets[0][-1])
    for more in offsets[1:]:
        out.append(more[1:] + end)
        end += int(more[-1])
    return np.concatenate(out).astype(np.int32)


@dataclass(slots=True)
class FastRows:
    """Fast path rows, compact until written: plain fields (:data:`NAMES`), flow keys, and
    their answers and authorities."""

    values: list[tuple[Any, ...]]
    keys: list[tuple[Any, ...]]
    answers: Lists
    authorities: Lists


def query_rows(values: list[tuple[Any, ...]], keys: list[tuple[Any, ...]]) -> FastRows:
    """Rows of queries never answered (:func:`query_row`; no answers nor authorities)."""
    n = len(values)
    return FastRows(values, keys, Lists.none(n), Lists.none(n))


def rows_of(m: Messages, values: list[tuple[Any, ...]], keys: list[tuple[Any, ...]],
            ks: list[int]) -> FastRows:
    """One batch's fast path rows: their plain fields, flow keys and response datagrams
    ``ks`` (whose records are copied out of the batch's arena)."""
    at = np.array(ks, np.int64)
    first = m.msg[at, K.M_REC]
    n_ans = m.msg[at, K.M_ANSWERS]
    return FastRows(values, keys, Lists.gather(m, first, n_ans),
                    Lists.gather(m, first + n_ans, m.msg[at, K.M_AUTHORITIES]))


_LIST_FIELDS = (("answers", "TTLs", "answer_types", "answer_names"),
                ("authorities", "authority_TTLs", "authority_types", "authority_names"))


def event_rows(parts: list[FastRows]) -> EventRows:
    """Several batches' fast path rows as :class:`EventRows` of the ``dns`` table, their list
    columns built."""
    schema = SCHEMAS["dns"]
    columns: dict[str, pa.Array] = {}
    for names, lists in zip(_LIST_FIELDS, (Lists.join([p.answers for p in parts]),
                                           Lists.join([p.authorities for p in parts]))):
        for name, column in zip(names, lists.columns()):
            columns[name] = column.cast(schema.field(name).type)
    return EventRows(NAMES, [v for p in parts for v in p.values],
                     [k for p in parts for k in p.keys], columns)
