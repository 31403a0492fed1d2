"""DNS (RFC 1035) over UDP and over TCP (2-byte length prefix, RFC 1035 §4.2.2).

One :class:`DnsRecord` per transaction: a query and its response are paired by transaction
id within the flow (Zeek ``dns.log`` style). A response whose query was not seen is emitted
alone; queries never answered are emitted by :meth:`DnsDissector.finish`.

Defined behaviour on extra bytes:

- UDP: bytes after the last resource record of a datagram are ignored (padding seen in
  real traffic); the message itself must parse, except that a datagram ending inside its
  records (cut by a snap length, or claiming more records than it holds) or with a damaged
  record is read as far as it goes (the row's ``partial``; the damage a :class:`Problem`).
  Such a datagram names a flow only on a DNS port (:meth:`DnsDissector.matches_on_own_port`).
- TCP: bytes after a message are the start of the next length-prefixed message; they are
  kept until complete, then parsed (a malformed one raises :class:`ParseError`; one whose
  records are damaged, or fewer than its header claims, is read as far as it goes, as over
  UDP).

Messages are read by :func:`~wirelens.dissect.dns_message.parse_message` (a fast reader,
and a checked one whose error is the one raised). Over UDP, :meth:`DnsDissector.matches` parses the whole
datagram to decide, and :meth:`DnsDissector.feed` parses it again (in the pipeline DNS is
named by the compiled classifier, so ``matches`` rarely runs there).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import ClassVar, Generic, TypeVar

from wirelens.dissect import limits
from wirelens.dissect.base import IPPROTO_TCP, IPPROTO_UDP, Dissector, Event, Problem
from wirelens.dissect.dns_message import (
    DnsMessage,
    Opcode,
    QClass,
    QType,
    Question,
    Rcode,
    ResourceRecord,
    opcode_name,
    parse_message,
    qclass_name,
    qtype_name,
    rcode_name,
    read_name,
)
from wirelens.wire.buffer import Buffer
from wirelens.wire.errors import ParseError, TrailingJunk

__all__ = [
    "DnsDissector",
    "DnsMessage",
    "DnsRecord",
    "QClass",
    "QType",
    "Question",
    "Rcode",
    "ResourceRecord",
    "Waiting",
    "parse_message",
]


@dataclass(slots=True)
class DnsRecord(Event):
    """One DNS transaction (query and response paired by transaction id when both seen)."""

    table: ClassVar[str | None] = "dns"

    trans_id: int
    """Transaction ID (RFC 1035 §4.1.1)."""
    query: str | None
    """Name of the first question (None if the message had no question)."""
    qclass: int | None
    """QCLASS of the first question."""
    qclass_name: str | None
    """Readable twin of ``qclass``."""
    qtype: int | None
    """QTYPE of the first question."""
    qtype_name: str | None
    """Readable twin of ``qtype``."""
    rcode: int | None
    """Response code (None when no response was seen)."""
    rcode_name: str | None
    """Readable twin of ``rcode``."""
    is_response: bool
    """True when a response was seen for this transaction."""
    has_query: bool
    """True when the query was seen."""
    AA: bool
    """Authoritative answer (from the response)."""
    TC: bool
    """Truncation (from the response)."""
    RD: bool
    """Recursion desired (from the query, else the response)."""
    RA: bool
    """Recursion available (from the response)."""
    Z: int
    """The header's Z, AD and CD bits as one number, as Zeek's ``Z`` (from the query, else
    the response)."""
    answers: tuple[str, ...]
    """Readable rdata of the answer section, in order."""
    ttls: tuple[float, ...]
    """TTL (seconds) of each answer."""
    opcode: int
    """OPCODE of the query (or response)."""
    rtt_ns: int | None
    """Response time minus query time, when both were seen."""
    opcode_name: str
    """Readable twin of ``opcode`` (QUERY, NOTIFY, UPDATE, ...)."""
    answer_types: tuple[str, ...]
    """Type name of each answer, matching ``answers`` (A, CNAME, ...)."""
    answer_names: tuple[str, ...]
    """Owner name of each answer, matching ``answers`` (after a CNAME, its target)."""
    edns_udp_size: int | None
    """UDP payload size of the query's OPT record (RFC 6891), else the response's; None
    without EDNS."""
    edns_version: int | None
    """EDNS version of that OPT record."""
    edns_dnssec_ok: bool | None
    """Its DO bit (RFC 3225: the client wants DNSSEC records)."""
    authorities: tuple[str, ...]
    """Readable rdata of the response's authority section, in order (as ``answers``)."""
    authority_names: tuple[str, ...]
    """Owner name of each authority record (the zone of an SOA or NS record)."""
    authority_types: tuple[str, ...]
    """Type name of each authority record (SOA, NS, NSEC, ...)."""
    authority_ttls: tuple[float, ...]
    """TTL (seconds) of each authority record."""
    partial: str | None = None
    """Why a message of the transaction was read in part: it ended inside a record (a
    datagram the capture's snap length cut, or whose header counts more records than it
    holds); the records before the cut are kept."""
    added: tuple[tuple[str, str], ...] = ()
    """(owner, address) of each A or AAAA record an UPDATE adds: for the DNS cache (a host
    registering its own name names its flows), not a column."""


DNS_MAX_MULTICAST_QUESTIONS = 64
"""Questions accepted in one query datagram by the content test (mDNS, RFC 6762 §5.3 and
§7.1, asks several questions at once and lists known answers; a whole-message parse must
then also succeed). Unicast DNS asks one question (RFC 9619)."""


def _known_codes(flags: int) -> bool:
    """An opcode DNS has (QUERY, IQUERY, STATUS, NOTIFY, UPDATE) and an rcode up to NOTZONE
    in the header's flags word."""
    return (flags >> 11) & 0xF in (0, 1, 2, 4, 5) and flags & 0xF <= 10


def _plausible_header(msg: bytes | memoryview, size: int, whole: bool = False) -> bool:
    """Cheap header test: opcode, rcode and section counts that fit ``size`` bytes.

    ``whole``: the caller also parses the whole message (UDP), so a standard query may carry
    several questions and known answers (mDNS); otherwise a query asks one question and
    carries no answers (except NOTIFY/UPDATE).
    """
    if len(msg) < 12 or size < 12:
        return False
    flags = (msg[2] << 8) | msg[3]
    if not _known_codes(flags):
        return False
    opcode = (flags >> 11) & 0xF
    qd = (msg[4] << 8) | msg[5]
    an = (msg[6] << 8) | msg[7]
    other = ((msg[8] << 8) | msg[9]) + ((msg[10] << 8) | msg[11])
    if 12 + qd * 5 + (an + other) * 11 > size:
        return False
    if not flags & 0x8000:
        if whole and opcode == 0 and 1 <= qd <= DNS_MAX_MULTICAST_QUESTIONS:
            return True
        return qd == 1 and (an == 0 or opcode >= 4) and other <= 4
    return qd == 1 or (qd == 0 and an > 0)


_QUESTION_CLASSES = frozenset((1, 3, 4, 254, 255))
"""Classes a question asks (RFC 1035 §3.2.4-3.2.5, RFC 2136 §1.3): IN, CH, HS, NONE, ANY."""


T = TypeVar("T")


class Waiting(Generic[T]):
    """Queries waiting for their response: per transaction id the oldest first, the ids in the
    order they began waiting (so the id waiting longest is the first). The DNS dissector keeps
    its messages here, the DPI stage's fast path (:mod:`wirelens.pipeline.dns_fast`) its
    plain values, so both pair and give up in the same order."""

    __slots__ = ("by_id", "count")

    def __init__(self) -> None:
        self.by_id: dict[int, list[T]] = {}
        self.count = 0

    def add(self, trans_id: int, item: T) -> None:
        self.by_id.setdefault(trans_id, []).append(item)
        self.count += 1

    def queue(self, trans_id: int) -> list[T]:
        """The queries waiting with ``trans_id``, oldest first (do not change it)."""
        return self.by_id.get(trans_id, [])

    def take(self, trans_id: int, k: int) -> T:
        """Remove and return the ``k``-th query waiting with ``trans_id``."""
        queue = self.by_id[trans_id]
        taken = queue.pop(k)
        if not queue:
            del self.by_id[trans_id]
        self.count -= 1
        return taken

    def take_oldest(self) -> T:
        """Remove and return the oldest query of the id waiting longest."""
        return self.take(next(iter(self.by_id)), 0)

    def drain(self) -> list[T]:
        """Remove and return every query waiting (id by id)."""
        out = [item for queue in self.by_id.values() for item in queue]
        self.by_id.clear()
        self.count = 0
        return out


def flow_name(name: str | None, question: str | None, first_answer: str | None,
              response: bool) -> tuple[str | None, bool]:
    """A DNS flow's name after one more message (``name``: the flow's so far, not kept yet;
    the message's first question, its first answer's owner, whether it is a response): the
    question, which a response keeps; with no question (an mDNS announcement) the first
    answer's owner, as the row's ``query``, when the flow has no name yet. Returns the name
    and whether it is kept from now on."""
    if question is not None:
        return question, response
    if name is None:
        return first_answer, response and first_answer is not None
    return name, False


class DnsDissector(Dissector):
    """DNS over UDP or TCP, pairing queries and responses by transaction id: a response
    answers the oldest query waiting with its id that it answers (the same question), as Zeek
    and Suricata pair them, so a query sent again and both answered makes two answered rows.

    The flow's name (:func:`flow_name`): until a response is read, the latest question asked;
    the first response's question then stays (as nDPI names a DNS flow, and so NFStream's
    ``requested_server_name``): a flow of queries never answered, a client trying one name
    after another, is named by its last; an answered one by what was answered."""

    name: ClassVar[str] = "dns"
    name_source: ClassVar[str | None] = "dns_query"
    transports: ClassVar[frozenset[int]] = frozenset((IPPROTO_UDP, IPPROTO_TCP))
    ports: ClassVar[frozenset[int]] = frozenset((53, 5353, 5355))
    datagrams_stand_alone: ClassVar[bool] = True

    def __init__(self, proto: int) -> None:
        super().__init__(proto)
        self._pending: Waiting[tuple[DnsMessage, int]] = Waiting()  # (query, its time)
        self._bufs: dict[bool, bytearray] = {True: bytearray(), False: bytearray()}
        self._read_one = False  # a message was read
        self._name_kept = False  # a response named the flow: its name stays

    @classmethod
    def from_server(cls, payload: bytes, proto: int) -> bool:
        """A response (QR set; RFC 1035 section 4.1.1)."""
        at = 4 if proto == IPPROTO_TCP else 2  # TCP: after the 2-byte length
        return len(payload) > at and bool(payload[at] & 0x80)

    @classmethod
    def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """Header plausibility; over UDP the whole datagram must also parse."""
        if proto == IPPROTO_TCP:
            if len(payload) < 14:
                return False
            size = (payload[0] << 8) | payload[1]
            return _plausible_header(payload[2:14], size)
        if not _plausible_header(payload, len(payload), whole=True):
            return False
        try:
            parse_message(payload)
        except ParseError:
            return False
        return True

    @classmethod
    def matches_on_own_port(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
        """On a DNS port, a datagram that holds fewer records than its header claims (the
        capture's snap length cut it, or the counts are damaged): an opcode and rcode DNS
        has, one question, read whole, of a class DNS has. :meth:`feed` reads it as far as
        it goes (the row's ``partial`` says where it ended). The port is required: this test
        alone is too weak to name a flow."""
        if proto != IPPROTO_UDP or len(payload) < 17 or (payload[4] << 8 | payload[5]) != 1:
            return False
        if not _known_codes((payload[2] << 8) | payload[3]):
            return False
        buf = Buffer(payload)
        try:
            buf.skip(12)
            read_name(buf)
            buf.pull_u16()  # QTYPE: any
            qclass = buf.pull_u16()
        except ParseError:
            return False
        return qclass & 0x7FFF in _QUESTION_CLASSES  # (the top bit: mDNS's QU, RFC 6762 §5.4)

    def feed(self, data: bytes, from_orig: bool, ts_ns: int) -> list[Event]:
        """A datagram (UDP) or the next stream bytes of one direction (TCP)."""
        if self.proto != IPPROTO_TCP:  # (cut short, or claiming more records than it
            return self._on_message(parse_message(data, partial=True), ts_ns)  # holds: as far as it goes)
        buf = self._bufs[from_orig]
        buf += data
        events: list[Event] = []
        while len(buf) >= 2:
            size = (buf[0] << 8) | buf[1]
            if len(buf) < 2 + size:
                break
            message = bytes(buf[2 : 2 + size])
            del buf[: 2 + size]
            msg = parse_message(message, partial=True)  # (a damaged record: as far as it went)
            if msg.end != size and msg.cut is None:
                raise TrailingJunk(f"DNS message over TCP ends at {msg.end} of {size}", msg.end)
            events.extend(self._on_message(msg, ts_ns))
        return events

    def adopt(self, pending: Waiting[tuple[int, bytes]], server_name: str | None,
              name_kept: bool) -> None:
        """Take over a UDP flow read so far by the DPI stage's fast path
        (:mod:`wirelens.pipeline.dns_fast`): its queries still waiting for an answer (id and
        datagram, read again here; their times) and the name it was given (kept: by a
        response)."""
        for trans_id, queue in pending.by_id.items():
            for ts, raw in queue:
                self._pending.add(trans_id, (parse_message(raw, partial=True), ts))
        self._read_one = True
        self.server_name, self._name_kept = server_name, name_kept

    def resumable(self) -> bool:
        """Over UDP (:attr:`datagrams_stand_alone`), once a message was read: the next
        datagrams are read after one that does not parse (a DNS tunnel's flow keeps its
        transactions after one damaged datagram)."""
        return super().resumable() and self._read_one

    def finish(self) -> list[Event]:
        """Emit the queries still waiting for an answer."""
        waiting = sorted(self._pending.drain(), key=lambda entry: entry[1])  # as they were sent
        return [_record(q, ts, None, 0) for q, ts in waiting]

    def _on_message(self, msg: DnsMessage, ts_ns: int) -> list[Event]:
        self._read_one = True
        if not self._name_kept:
            self.server_name, self._name_kept = flow_name(
                self.server_name, msg.questions[0].name if msg.questions else None,
                msg.answers[0].name if msg.answers else None, msg.is_response)
        if msg.damage is not None:  # (read as far as it went: the row, and the damage)
            return [*self._on_message(replace(msg, damage=None), ts_ns),
                    Problem(ts_ns, msg.damage)]
        if not msg.is_response:
            self._pending.add(msg.trans_id, (msg, ts_ns))
            if self._pending.count <= limits.DNS_MAX_PENDING:
                return []
            q, ts = self._pending.take_oldest()  # the id waiting longest gives up its oldest
            return [_record(q, ts, None, 0)]
        for k, (query, q_ts) in enumerate(self._pending.queue(msg.trans_id)):
            if _answers(query, msg):
                self._pending.take(msg.trans_id, k)
                return [_record(query, q_ts, msg, ts_ns - q_ts)]
        return [_record(None, ts_ns, msg, 0)]


_ANY, _NONE = int(QClass.ANY), int(QClass.NONE)


def _update_text(rr: ResourceRecord, prerequisite: bool) -> str:
    """One record of an UPDATE as Zeek writes it: a prerequisite (RFC 2136 §2.4: class ANY
    or NONE without data asks that a name or RRset exist or not, the zone's class with data
    that a value be there), or an update (§2.5: ANY deletes an RRset, or all of a name's,
    NONE one record, the zone's class adds one)."""
    kind = qtype_name(rr.rtype)
    if prerequisite:
        if rr.rclass == _ANY:
            return f"pre: NameInUse {rr.name}" if rr.rtype == QType.ANY else f"pre: RRSet {kind} {rr.name}"
        if rr.rclass == _NONE:
            return f"pre: NoName {rr.name}" if rr.rtype == QType.ANY else f"pre: NoRRSet {kind} {rr.name}"
        return f"pre: {kind} {rr.name} {rr.text}"
    if rr.rclass == _ANY:
        return "del: AllRRSets" if rr.rtype == QType.ANY else f"del: RRSet {kind}"
    if rr.rclass == _NONE:
        return f"del: {kind} {rr.name} {rr.text}"
    return f"add: {kind} {rr.name} {rr.text}"


def _answers(query: DnsMessage, response: DnsMessage) -> bool:
    """Whether ``response`` answers ``query`` (same id, checked by the caller): it repeats the
    question (names compared without case, RFC 4343 §3), or carries none and the id is not 0
    (multicast DNS sends id 0 on every message and unsolicited answers, RFC 6762 §18.1)."""
    if not response.questions:
        return query.trans_id != 0
    if not query.questions:
        return True
    q, r = query.questions[0], response.questions[0]
    return q.qtype == r.qtype and q.name.lower() == r.name.lower()


def _record(
    query: DnsMessage | None, ts_ns: int, response: DnsMessage | None, rtt_ns: int
) -> DnsRecord:
    """The row of one transaction: its query, its response, or both (then ``rtt_ns``)."""
    q: Question | None = None
    if query is not None:
        first = query
        if query.questions:
            q = query.questions[0]
        edns = query.edns
    else:
        assert response is not None
        first = response
        edns = None
    if response is not None:
        if q is None and response.questions:
            q = response.questions[0]
        if edns is None:
            edns = response.edns
        answers = response.answers
        auth = response.authorities
        rcode: int | None = response.rcode
        rcode_text: str | None = rcode_name(response.rcode)
        aa, tc, ra = response.aa, response.tc, response.ra
    else:
        answers = auth = ()
        rcode = rcode_text = None
        aa = tc = ra = False
    texts = [rr.text for rr in answers]
    added: tuple[tuple[str, str], ...] = ()
    if first.opcode == Opcode.UPDATE and first.answers:
        # the records the update changes, from the request (a response may echo them or not,
        # RFC 2136 §3.8), and as Zeek the first one's owner as the row's name, not the zone
        answers = first.answers
        texts = [_update_text(rr, i < first.n_answer) for i, rr in enumerate(answers)]
        added = tuple((rr.name, rr.text) for rr in answers[first.n_answer:]
                      if rr.rtype in (QType.A, QType.AAAA) and rr.rclass not in (_ANY, _NONE))
        q = None
    if q is not None:
        name: str | None = q.name
        qclass: int | None = q.qclass
        qclass_text: str | None = qclass_name(q.qclass)
        qtype: int | None = q.qtype
        qtype_text: str | None = qtype_name(q.qtype)
    else:
        name = answers[0].name if answers else None  # no question: as Zeek
        qclass = qclass_text = qtype = qtype_text = None
    opcode = first.opcode
    return DnsRecord(  # positional, in field order (cheaper than keywords on a hot path)
        ts_ns,
        first.trans_id,
        name,  # query
        qclass,
        qclass_text,  # qclass_name
        qtype,
        qtype_text,  # qtype_name
        rcode,
        rcode_text,  # rcode_name
        response is not None,  # is_response
        query is not None,  # has_query
        aa,  # AA
        tc,  # TC
        first.rd,  # RD
        ra,  # RA
        first.z,  # Z
        tuple(texts),  # answers
        tuple([float(rr.ttl) for rr in answers]),  # ttls
        opcode,
        rtt_ns if (query is not None and response is not None) else None,  # rtt_ns
        opcode_name(opcode),
        tuple([qtype_name(rr.rtype) for rr in answers]),  # answer_types
        tuple([rr.name for rr in answers]),  # answer_names
        edns.udp_size if edns is not None else None,  # edns_udp_size
        edns.version if edns is not None else None,  # edns_version
        edns.dnssec_ok if edns is not None else None,  # edns_dnssec_ok
        tuple([rr.text for rr in auth]),  # authorities
        tuple([rr.name for rr in auth]),  # authority_names
        tuple([qtype_name(rr.rtype) for rr in auth]),  # authority_types
        tuple([float(rr.ttl) for rr in auth]),  # authority_ttls
        (response.cut if response is not None else None) or (
            query.cut if query is not None else None),  # partial
        added,
    )
