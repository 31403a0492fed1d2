"""DNS dissector: whole / byte-at-a-time / trailing junk, malformed input, pairing."""

from __future__ import annotations

import struct
from typing import Any

import pytest
from wl_dissect_builders import (
    dns_header,
    dns_name,
    dns_query,
    dns_response,
    dns_rich_response,
    feed_all,
    rr,
    tcp_frame,
)

from wirelens.dissect import limits
from wirelens.dissect.base import Problem
from wirelens.dissect.dns import DnsDissector, DnsRecord, flow_name
from wirelens.dissect.dns_message import parse_message, read_name
from wirelens.wire import (
    BadPointer,
    BadValue,
    Buffer,
    LimitExceeded,
    ParseError,
    TrailingJunk,
    Truncated,
)

TCP, UDP = 6, 17


def conversation() -> list[tuple[bool, bytes]]:
    return [
        (True, dns_query(0xBEEF, "www.example.com")),
        (True, dns_query(0x0001, "nothing.example", qtype=28)),
        (False, dns_rich_response(0xBEEF)),
        (False, dns_response(0x0002, "unsolicited.example", [], rcode=3)),
    ]


def test_udp_pairs_query_and_response() -> None:
    events = feed_all(DnsDissector, conversation(), UDP)
    assert len(events) == 3
    paired, alone, unanswered = events
    assert isinstance(paired, DnsRecord)
    assert paired.trans_id == 0xBEEF and paired.query == "www.example.com"
    assert (paired.qtype, paired.qtype_name, paired.qclass_name) == (1, "A", "IN")
    assert paired.is_response and paired.has_query and paired.AA and paired.RD and paired.RA
    assert (paired.rcode, paired.rcode_name) == (0, "NOERROR")
    assert paired.answers == (
        "cdn.www.example.com",
        "93.184.216.34",
        "2001:db8::1",
        "host.example.net",
        "ns.www.example.com",
        "mail.www.example.com",
        "TXT 11 hello world TXT 3 abc",
        "ns.www.example.com",
        "srv.www.example.com",
        "TXT 2 hi",
        "0005697373756563612e6578616d706c65",
    )
    assert paired.ttls[:2] == (60.0, 300.0) and len(paired.ttls) == len(paired.answers)
    assert paired.rtt_ns == 0
    assert alone.query == "unsolicited.example" and alone.rcode_name == "NXDOMAIN"
    assert not alone.has_query and alone.rtt_ns is None
    assert unanswered.query == "nothing.example" and unanswered.qtype_name == "AAAA"
    assert not unanswered.is_response and unanswered.rcode is None


def test_server_name_follows_the_questions_until_one_is_answered() -> None:
    """As nDPI names a DNS flow: the latest question until a response, whose question then
    stays (fuzz-2006-06-26-2594.pcap's flows of queries never answered, wa_voice.pcap's
    mDNS flows: their last question)."""
    d = DnsDissector(UDP)
    assert d.server_name is None
    d.feed(dns_query(1, "a.example"), True, 0)
    d.feed(dns_query(2, "b.example"), True, 0)
    assert d.server_name == "b.example"
    d.feed(dns_response(2, "b.example", [rr(1, bytes(4))]), False, 0)
    d.feed(dns_query(3, "c.example"), True, 0)
    d.feed(dns_response(3, "c.example", [rr(1, bytes(4))]), False, 0)
    assert d.server_name == "b.example"
    seen_late = DnsDissector(UDP)  # a flow seen from its first answer on
    seen_late.feed(dns_response(4, "d.example", []), False, 0)
    seen_late.feed(dns_query(5, "e.example"), True, 0)
    assert seen_late.server_name == "d.example"
    assert flow_name(None, None, None, True) == (None, False)  # an empty response names none


def test_server_name_without_a_question_is_the_first_answers() -> None:
    """An mDNS announcement has no question: the flow is named by its first answer's owner,
    as its row's ``query`` (Zeek's choice); a response, it keeps the name."""
    owner = dns_name("_companion-link._tcp.local")
    announce = (dns_header(0, 0x8400, 0, 1) + rr(12, dns_name("MBPro._companion-link._tcp.local"),
                                                  name=owner))
    d = DnsDissector(UDP)
    (row,) = d.feed(announce, False, 0)
    assert row.query == d.server_name == "_companion-link._tcp.local"
    d.feed(dns_query(2, "b.example"), True, 0)
    assert d.server_name == "_companion-link._tcp.local"
    empty = DnsDissector(UDP)
    empty.feed(dns_header(0, 0x8400, 0, 0), False, 0)
    assert empty.server_name is None


@pytest.mark.parametrize("step", [0, 1, 2, 3, 13])
def test_tcp_whole_and_split_give_same_events(step: int) -> None:
    chunks = [(o, tcp_frame(m)) for o, m in conversation()]
    # two messages in one segment too
    chunks.append((True, tcp_frame(dns_query(7, "x.example")) + tcp_frame(dns_query(8, "y"))))
    expected = feed_all(DnsDissector, chunks, TCP)
    assert len(expected) == 5
    assert feed_all(DnsDissector, chunks, TCP, step=step) == expected
    # UDP sees the same transactions
    assert feed_all(DnsDissector, conversation(), UDP) == expected[:3]


def test_trailing_junk() -> None:
    """UDP: bytes after the last record are ignored. TCP: they are the start of the next
    message, buffered until complete; a complete malformed one raises ParseError."""
    base = feed_all(DnsDissector, conversation(), UDP)
    junk = [(o, m + b"\x00\xffjunk") for o, m in conversation()]
    assert feed_all(DnsDissector, junk, UDP) == base
    tcp = [(o, tcp_frame(m)) for o, m in conversation()]
    assert feed_all(DnsDissector, [*tcp, (True, b"\x00\x40partial")], TCP) == base
    with pytest.raises(ParseError):
        feed_all(DnsDissector, [*tcp, (True, b"\x00\x05abcde")], TCP)
    # junk inside a length-prefixed TCP message is an error
    with pytest.raises(TrailingJunk):
        feed_all(DnsDissector, [(True, tcp_frame(dns_query(1, "a.b") + b"zz"))], TCP)


@pytest.mark.parametrize("message", [dns_query(3, "a.example.com"), dns_rich_response()])
def test_truncated_at_every_byte(message: bytes) -> None:
    """Every prefix is an error for the message reader; over UDP one that ends inside the
    records is read in part (a row saying so), one that ends sooner is an error."""
    for cut in range(len(message)):
        with pytest.raises(ParseError) as whole:
            parse_message(message[:cut])
        try:
            partial = parse_message(message[:cut], partial=True)
        except ParseError as exc:  # ends before its records: the same error
            assert (type(exc), str(exc)) == (type(whole.value), str(whole.value))
            with pytest.raises(ParseError):
                DnsDissector(UDP).feed(message[:cut], True, 0)
        else:
            assert partial.cut and len(partial.answers) <= len(parse_message(message).answers)
            d = DnsDissector(UDP)
            rows = d.feed(message[:cut], False, 0) + d.finish()
            assert [r.partial for r in rows] == [partial.cut]  # type: ignore[attr-defined]
        # over TCP a prefix is "need more data": no events, no error
        d = DnsDissector(TCP)
        assert d.feed(tcp_frame(message)[: cut + 2], True, 0) == []
        assert d.finish() == []


def test_compression_pointer_loop_and_forward_pointers() -> None:
    head = dns_header(1, 0x0100, 1, 0)
    with pytest.raises(BadPointer):  # points to itself
        parse_message(head + b"\xc0\x0c" + b"\x00\x01\x00\x01")
    with pytest.raises(BadPointer):  # points forward
        parse_message(head + b"\xc0\x0e\x00" + b"\x00\x01\x00\x01")
    with pytest.raises(BadPointer):  # label run then pointer back into the same run
        parse_message(head + b"\x01a\xc0\x0c" + b"\x00\x01\x00\x01")
    # two names pointing at each other: the second's pointer is backwards, the first's not
    msg = dns_header(1, 0x8100, 1, 1) + b"\xc0\x12\x00\x01\x00\x01" + rr(1, b"\x00" * 4)
    with pytest.raises(BadPointer):
        parse_message(msg)


def test_bad_label_type_and_long_names() -> None:
    head = dns_header(1, 0x0100, 1, 0)
    with pytest.raises(BadValue):
        parse_message(head + b"\x41" + b"\x00\x01\x00\x01")  # 0x40 extended label
    long_name = b"".join(b"\x3f" + b"a" * 63 for _ in range(4)) + b"\x00"  # 257 octets
    with pytest.raises(LimitExceeded):
        parse_message(head + long_name + b"\x00\x01\x00\x01")
    ok = dns_name(".".join(["a" * 63] * 3 + ["b" * 61]))  # 255 octets exactly
    assert len(ok) == 255
    assert parse_message(head + ok + b"\x00\x01\x00\x01").questions[0].name.endswith("bbb")


def test_pointer_chain_limit() -> None:
    """Root label at 12, then pointers at 13 -> 12, 15 -> 13, 17 -> 15, ...: every jump is
    backwards, but a chain longer than DNS_MAX_POINTERS is refused."""
    n = limits.DNS_MAX_POINTERS + 1
    body = b"\x00" + b"".join(
        struct.pack(">H", 0xC000 | (12 if i == 0 else 13 + 2 * (i - 1))) for i in range(n)
    )
    data = dns_header(1, 0x0100, 0, 0) + body
    with pytest.raises(LimitExceeded):
        read_name(Buffer(data, pos=12 + 1 + 2 * (n - 1)))
    buf = Buffer(data, pos=12 + 1 + 2 * 3)  # a chain of 4 is fine: the root name
    assert read_name(buf) == "."
    assert buf.tell() == 12 + 1 + 2 * 4  # the cursor ends after the first pointer


def test_absurd_counts_and_rdlength() -> None:
    with pytest.raises(LimitExceeded):
        parse_message(dns_header(1, 0x8100, 65535, 65535))
    with pytest.raises(Truncated):  # claims 40 answers, has one
        parse_message(dns_header(1, 0x8100, 0, 40) + rr(1, b"\x01\x02\x03\x04", name=b"\x00"))
    with pytest.raises(Truncated):  # rdlength beyond the message
        parse_message(dns_header(1, 0x8100, 0, 1) + b"\x00" + struct.pack(">HHIH", 1, 1, 0, 999))
    with pytest.raises(ParseError):  # an A record of 5 bytes
        parse_message(dns_header(1, 0x8100, 0, 1) + rr(1, b"\x01\x02\x03\x04\x05", name=b"\x00"))


def test_matches() -> None:
    q, r = dns_query(1, "www.example.com"), dns_rich_response()
    assert DnsDissector.matches(q, UDP, True) and DnsDissector.matches(r, UDP, False)
    assert DnsDissector.matches(tcp_frame(q), TCP, True)
    assert not DnsDissector.matches(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", UDP, True)
    assert not DnsDissector.matches(b"\x16\x03\x01\x00\x05\x01\x00\x00\x01\x00" * 3, TCP, True)
    assert not DnsDissector.matches(q[:-1], UDP, True)
    assert not DnsDissector.matches(b"", UDP, True)


def test_pending_queries_are_bounded() -> None:
    d = DnsDissector(UDP)
    events = []
    for i in range(limits.DNS_MAX_PENDING + 10):
        events += d.feed(dns_query(i, "q.example"), True, i)
    assert len(events) == 10 and [e.trans_id for e in events] == list(range(10))
    assert len(d.finish()) == limits.DNS_MAX_PENDING


def test_a_response_is_paired_only_with_the_query_it_answers() -> None:
    """Same id but another question (or mDNS's id 0 with no question) is not an answer: the
    query stays waiting and the response gets a row of its own, named by its first answer's
    owner when it has no question (as Zeek logs unsolicited mDNS answers)."""
    a = rr(1, bytes([10, 0, 0, 1]))
    other = dns_response(7, "b.example", [a])
    rows = feed_all(DnsDissector, [(True, dns_query(7, "A.Example")), (False, other),
                                   (False, dns_response(7, "a.example", [a]))], UDP)
    assert [(r.query, r.has_query, r.is_response) for r in rows] == [  # type: ignore[attr-defined]
        ("b.example", False, True), ("A.Example", True, True)]
    unsolicited = dns_header(0, 0x8400, 0, 1) + rr(1, bytes([10, 0, 0, 2]), name=dns_name("printer.local"))
    rows = feed_all(DnsDissector, [(True, dns_query(0, "x.local")), (False, unsolicited)], UDP)
    assert [(r.query, r.is_response) for r in rows] == [  # type: ignore[attr-defined]
        ("printer.local", True), ("x.local", False)]


def test_edns_opcode_and_answer_types() -> None:
    """RFC 6891 §6.1: the OPT pseudo-record's CLASS is the UDP payload size, its TTL holds the
    extended RCODE, the version and the DO bit (RFC 3225); answers carry their type names."""
    opt = b"\x00" + struct.pack(">HHIH", 41, 1232, (0 << 24) | (0 << 16) | 0x8000, 0)
    query = dns_header(5, 0x0100, 1, 0, 0, 1) + dns_name("a.example") + b"\x00\x01\x00\x01" + opt
    cname = rr(5, dns_name("b.example"))
    response = dns_response(5, "a.example", [cname, rr(1, bytes([10, 0, 0, 1]))])
    (row,) = feed_all(DnsDissector, [(True, query), (False, response)], UDP)
    assert (row.edns_udp_size, row.edns_version, row.edns_dnssec_ok) == (1232, 0, True)  # type: ignore[attr-defined]
    assert row.answer_types == ("CNAME", "A") and row.opcode_name == "QUERY"  # type: ignore[attr-defined]
    assert parse_message(query).edns is not None and parse_message(response).edns is None
    # the fast and the checked reader agree on it
    from wirelens.dissect.dns_message import _parse_checked, _parse_fast
    assert _parse_checked(query) == _parse_fast(query)


def test_answer_owner_names_follow_a_cname_chain() -> None:
    """Each answer's owner name is kept, matching ``answers``: after a CNAME the addresses
    belong to its target (a compressed pointer back into the CNAME's rdata here)."""
    cname = rr(5, dns_name("cdn.example.net"), ttl=60)
    target = 12 + len(dns_name("www.example")) + 4 + 12  # the CNAME's rdata
    a = rr(1, bytes([192, 0, 2, 7]), name=bytes([0xC0, target]))
    (row,) = feed_all(DnsDissector, [(False, dns_response(8, "www.example", [cname, a]))], UDP)
    assert row.answer_names == ("www.example", "cdn.example.net")  # type: ignore[attr-defined]
    assert row.answers == ("cdn.example.net", "192.0.2.7")  # type: ignore[attr-defined]
    assert row.ttls == (60.0, 300.0)  # type: ignore[attr-defined]


def test_update_records_without_rdata() -> None:
    """RFC 2136 §2.4-2.5: an UPDATE's prerequisites and deletions carry no RDATA (RDLENGTH 0,
    class ANY or NONE), whatever their type; both readers take them."""
    delete_a = dns_name("host.example") + struct.pack(">HHIH", 1, 255, 0, 0)
    msg = dns_header(9, 5 << 11, 1, 0, 1, 0) + dns_name("example") + b"\x00\x06\x00\x01" + delete_a
    from wirelens.dissect.dns_message import _parse_checked, _parse_fast
    assert _parse_checked(msg) == _parse_fast(msg) == parse_message(msg)
    assert DnsDissector.matches(msg, UDP, True)
    (row,) = feed_all(DnsDissector, [(True, msg)], UDP)
    assert (row.query, row.opcode_name) == ("host.example", "UPDATE")  # type: ignore[attr-defined]


def test_update_row_names_the_updated_record() -> None:
    """RFC 2136 §2.3-2.5: an UPDATE's question is the zone; its prerequisite section (where
    a query has answers) and update section (authority) hold the records it changes. As
    Zeek, the row's query is the first such record's owner (not the zone), its answers are
    those records from the request, and without any (a bare zone) the query is the zone."""
    zone = dns_name("example") + b"\x00\x06\x00\x01"
    prereq = dns_name("host.example") + struct.pack(">HHIH", 5, 254, 0, 0)  # NONE: no CNAME
    delete = dns_name("host.example") + struct.pack(">HHIH", 1, 255, 0, 0)  # ANY: drop A set
    add = rr(1, bytes([10, 0, 0, 7]), ttl=1200, name=dns_name("host.example"))
    request = dns_header(9, 5 << 11, 1, 1, 2, 0) + zone + prereq + delete + add
    reply = dns_header(9, 0x8000 | 5 << 11, 1, 0, 0, 0) + zone  # RFC 2136 §3.8: counts zero
    from wirelens.dissect.dns_message import _parse_checked, _parse_fast
    assert _parse_checked(request) == _parse_fast(request)
    assert len(parse_message(request).answers) == 3
    (row,) = feed_all(DnsDissector, [(True, request), (False, reply)], UDP)
    assert (row.query, row.qtype, row.qclass) == ("host.example", None, None)  # type: ignore[attr-defined]
    assert row.answer_types == ("CNAME", "A", "A")  # type: ignore[attr-defined]
    # what each asks or changes, as Zeek writes it (its dynamic-update trace)
    assert row.answers == ("pre: NoRRSet CNAME host.example", "del: RRSet A",  # type: ignore[attr-defined]
                           "add: A host.example 10.0.0.7")
    assert row.ttls == (0.0, 0.0, 1200.0) and row.rcode_name == "NOERROR"  # type: ignore[attr-defined]
    (bare,) = feed_all(DnsDissector, [(True, dns_header(3, 5 << 11, 1, 0, 0, 0) + zone)], UDP)
    assert (bare.query, bare.qtype_name, bare.answers) == ("example", "SOA", ())  # type: ignore[attr-defined]
    # a standard query's authority section is still not shown
    ns_only = dns_header(4, 0x8000, 1, 0, 1, 0) + zone + add
    assert parse_message(ns_only).answers == ()


# -- fast helpers agree with their plain references ---------------------------------------------

_UTF8_EDGES = [b"", b"plain", "h\u00e9llo w\u00f6rld \u20ac \U0001f600".encode(), b"\xff\xfe",
               b"ok\xc3", b"\xe2\x82A", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\\udc80\xff",
               b"a\\udc\xc3\xa9\x80", bytes(range(256))]


@pytest.mark.parametrize("raw", _UTF8_EDGES)
def test_utf8_text_is_the_backslashreplace_decode(raw: bytes) -> None:
    from wirelens.dissect.dns_message import _utf8_text

    assert _utf8_text(raw) == raw.decode("utf-8", "backslashreplace")


def test_utf8_text_on_random_bytes() -> None:
    import random

    from wirelens.dissect.dns_message import _utf8_text

    rnd = random.Random(5)
    pieces = [b"\\", b"u", b"d", b"c", b"\xc3", b"\xa9", b"\xe2", b"\x82", b"\xf0", b"\x9f",
              b"\xed", b"\xc0", b"\xff", b"A", b" "]
    for _ in range(20000):
        raw = b"".join(rnd.choice(pieces) if rnd.random() < 0.8 else bytes([rnd.randrange(256)])
                       for _ in range(rnd.randrange(12)))
        assert _utf8_text(raw) == raw.decode("utf-8", "backslashreplace"), raw


_NAMES = [
    b"\x00",  # the root
    b"\x03www\x07example\x03com\x00",
    b"\x01a\x03b.c\x00",  # a dot inside a label is escaped
    b"\x02\xff\x00\x00",  # non-plain bytes are escaped
    b"\x3f" + b"a" * 63 + b"\x3f" + b"b" * 63 + b"\x3f" + b"c" * 63 + b"\x3d" + b"d" * 61 + b"\x00",
    b"\x3f" + b"a" * 63 + b"\x3f" + b"b" * 63 + b"\x3f" + b"c" * 63 + b"\x3e" + b"d" * 62 + b"\x00",
    b"\x3f" + b"a" * 63 + b"\x3f" + b"b" * 63 + b"\x3f" + b"c" * 63 + b"\x00",
    b"\x03www\x07example",  # truncated
    b"\x03www\x40",  # bad label type
    b"\x03www\xc0",  # truncated pointer
]
# what follows a first name (at offset 0): pointers to it, alone or after labels
_TAILS = [b"\xc0\x00", b"\x03www\xc0\x00", b"\xc0\x04", b"\x01z\xc0\x04", b"\x01z\xc0\x0c", b"\x01\xfe\x02ab\xc0\x00", b"\x3f" + b"x" * 63 + b"\xc0\x00",
          b"\x03www\xc0\x01", b"\x03www\xc0\x00\x00", b"\x03www\xc0"]


def _outcome(fn: Any, *args: Any) -> Any:
    try:
        return fn(*args)
    except ParseError as exc:
        return (type(exc), str(exc))


@pytest.mark.parametrize("first", _NAMES)
def test_name_fast_agrees_with_name_at(first: bytes) -> None:
    """The shortcuts of the fast reader give _name_at's value, or hand over (the same error)
    on anything else, with a limit before the end too; the names it remembers are
    _name_at's; pointers after it to a remembered name agree too."""
    from wirelens.dissect.dns_message import _name_at, _name_fast

    for tail in [b""] + _TAILS:
        wire = first + tail
        at = len(first) if tail else 0
        for limit in (len(wire), len(wire) - 1, len(wire) - 2):
            seen: dict[int, tuple[str, int, int, int, int]] = {}
            if at:
                _outcome(_name_fast, wire, 0, limit, seen)
            want = _outcome(_name_at, wire, at, limit)
            got = _outcome(_name_fast, wire, at, limit, seen)
            if isinstance(want[0], str):
                assert got == want[:2], (wire, limit)
                if at in seen:
                    assert seen[at] == (want[0], *want[2:]), (wire, limit)
            else:
                assert got == want, (wire, limit)


@pytest.mark.parametrize(("wire", "at"), [
    (b"\x05z\x01a\xc0\x00\x00", 2),  # the walk at the target passes the pointer
    (b"\x05z\xc0\x00\x00\x00", 2),
    (b"\x01a\x00\x01b\xc0\x00\x01c\xc0\x03", 6),  # a pointer to labels and a pointer
    (b"\x01a\xc0\x00", 0),  # a pointer to itself
    (b"\x01a\x01b\x00\x01c\xc0\x02", 5),  # a pointer into a name never read
])
def test_name_fast_on_unread_targets(wire: bytes, at: int) -> None:
    from wirelens.dissect.dns_message import _name_at, _name_fast

    seen: dict[int, tuple[str, int, int, int, int]] = {}
    want = _outcome(_name_at, wire, at, len(wire))
    got = _outcome(_name_fast, wire, at, len(wire), seen)
    if isinstance(want[0], str):
        assert got == want[:2]
        assert seen[at] == (want[0], *want[2:])
    else:
        assert got == want


def test_ipv6_text_is_the_ipaddress_text() -> None:
    import ipaddress
    import random

    from wirelens.dissect.dns_message import _ipv6_text

    rnd = random.Random(6)
    special = [bytes(16), bytes(15) + b"\x01", bytes(10) + b"\xff\xff\x01\x02\x03\x04",
               bytes(12) + b"\x01\x02\x03\x04", b"\x00\x64\xff\x9b" + bytes(8) + b"\x01\x02\x03\x04",
               b"\x20\x01\x0d\xb8" + bytes(12), b"\xfe\x80" + bytes(13) + b"\x01"]
    for _ in range(20000):
        groups = [rnd.choice((0, 0, 0, 1, 0xFFFF, 0x0DB8, rnd.randrange(65536))) for _ in range(8)]
        special.append(b"".join(g.to_bytes(2, "big") for g in groups))
    for raw in special:
        assert _ipv6_text(raw) == str(ipaddress.IPv6Address(raw)), raw


def test_rrsig_answers_and_type_names() -> None:
    """An RRSIG (RFC 4034 §3.1) reads as Zeek writes it, ``RRSIG <type covered> <signer>``,
    in both readers; registered types outside the enum have their names (NXT, NSEC3PARAM)."""
    from wirelens.dissect.dns_message import _parse_checked, _parse_fast, qtype_name
    rrsig = (struct.pack(">HBBIIIH", 1, 5, 2, 30, 1_700_000_000, 1_690_000_000, 0xC52B)
             + dns_name("upenn.edu") + bytes(64))
    msg = dns_response(7, "www.upenn.edu", [rr(1, bytes([128, 91, 234, 142])), rr(46, rrsig)])
    assert _parse_checked(msg) == _parse_fast(msg) == parse_message(msg)
    assert [a.text for a in parse_message(msg).answers] == ["128.91.234.142",
                                                             "RRSIG 1 upenn.edu"]
    # the checked reader alone (the fast one hands over on a compressed signer name)
    compressed = rrsig[:18] + b"\xc0\x0c" + bytes(64)
    odd = dns_response(8, "upenn.edu", [rr(46, compressed)])
    assert [a.text for a in _parse_checked(odd).answers] == ["RRSIG 1 upenn.edu"]
    assert parse_message(odd) == _parse_checked(odd)
    assert (qtype_name(30), qtype_name(51), qtype_name(23), qtype_name(65280)) == (
        "NXT", "NSEC3PARAM", "NSAP-PTR", "TYPE65280")


def test_dnssec_and_fixed_layout_answers_read_as_zeek_writes_them() -> None:
    """DNSKEY, DS, NSEC, NSEC3, NSEC3PARAM, SSHFP and LOC answers read as Zeek's dns.log
    writes them (its traces: dnssec/nsec3param.pcap, dns/sshfp-trunc.pcap,
    dns/loc-29-trunc.pcap), in both readers; rdata too short for its type stays hex."""
    from wirelens.dissect.dns_message import _parse_checked, _parse_fast
    fp = bytes.fromhex("a6b95f9eba1104a7272a362e8bfbcbebd5726dcf")
    records = [
        rr(48, struct.pack(">HBB", 257, 3, 13) + bytes(64)),  # DNSKEY, algorithm 13
        rr(43, struct.pack(">HBB", 0xC52B, 8, 2) + bytes(32)),  # DS, RSASHA256, SHA-256
        rr(47, dns_name("b.example.com") + b"\x00\x06\x40\x01\x00\x00\x00\x03"),  # NSEC
        rr(50, bytes.fromhex("01000014107b1a90a916197e45d0772abcb6441156") + bytes(8)),
        rr(51, bytes.fromhex("01000014107b1a90a916197e45d0772abcb6441156")),  # NSEC3PARAM
        rr(44, b"\x01\x01" + fp),  # SSHFP, RSA, SHA-1
        rr(29, bytes.fromhex("001215138805025065d2d40000989680")),  # LOC version 0
        rr(29, bytes.fromhex("011215138805025065d2d40000989680")),  # LOC version 1: hex
        rr(48, b"\x01\x01"),  # a DNSKEY too short: hex
    ]
    msg = dns_response(7, "a.example.com", records)
    assert _parse_checked(msg) == _parse_fast(msg) == parse_message(msg)
    assert [a.text for a in parse_message(msg).answers] == [
        "DNSKEY 13", "DS 8 2", "NSEC a.example.com b.example.com", "NSEC3", "NSEC3PARAM",
        f"SSHFP: {fp.hex()}", "LOC:  18 21 19", "011215138805025065d2d40000989680", "0101"]


def test_a_response_cut_by_the_snap_length_is_read_as_far_as_it_goes() -> None:
    """A datagram that ends inside its records (a capture's snap length cut it): the header,
    the question and the whole records before the cut make the row (as Zeek reads it), which
    says so in ``partial``; one cut before its records is still an error."""
    full = dns_response(7, "a.example.com", [rr(1, bytes([192, 0, 2, 1])),
                                            rr(16, b"\x0bhello world" * 20)], rcode=0, aa=True)
    cut = full[:len(full) - 100]
    query = dns_query(7, "a.example.com")
    (row,) = feed_all(DnsDissector, [(True, query), (False, cut)], UDP)
    assert (row.rcode_name, row.AA, row.answers, row.rtt_ns is not None) == (  # type: ignore[attr-defined]
        "NOERROR", True, ("192.0.2.1",), True)
    assert row.partial is not None and "record 2 of 2" in row.partial  # type: ignore[attr-defined]
    (whole,) = feed_all(DnsDissector, [(True, query), (False, full)], UDP)
    assert whole.partial is None  # type: ignore[attr-defined]
    with pytest.raises(ParseError):
        feed_all(DnsDissector, [(True, query), (False, full[:20])], UDP)  # inside the question



def test_a_response_with_a_damaged_record_keeps_its_question_and_the_records_before() -> None:
    """A record damaged (a reserved label type, a pointer loop) after good ones: the row is
    written as far as the message went (its question, rcode, the answers before),
    ``partial`` says which record was damaged, and the damage comes as a :class:`Problem`
    (a weird in the pipeline); a damaged question is still an error, and the whole-message
    test still refuses the datagram."""
    query = dns_query(9, "a.example.com")
    for bad, error in ((b"\x41", BadValue), (b"\xc0\x2f", BadPointer)):  # 0x40 label, self
        damaged = dns_response(9, "a.example.com", [rr(1, bytes([192, 0, 2, 7])),
                                                    rr(1, b"\x00" * 4, name=bad)], rcode=3)
        with pytest.raises(error):
            parse_message(damaged)
        msg = parse_message(damaged, partial=True)
        assert isinstance(msg.damage, error) and msg.cut is not None
        assert "record 2 of 2 damaged" in msg.cut
        d = DnsDissector(UDP)
        d.feed(query, True, 0)
        row, problem = d.feed(damaged, False, 5)
        assert (row.query, row.rcode_name, row.answers) == (  # type: ignore[attr-defined]
            "a.example.com", "NXDOMAIN", ("192.0.2.7",))
        assert row.partial == msg.cut and row.rtt_ns == 5  # type: ignore[attr-defined]
        assert isinstance(problem, Problem) and isinstance(problem.error, error)
        assert problem.ts_ns == 5 and type(problem).table is None
        assert not DnsDissector.matches(damaged, UDP, False)
        tcp = DnsDissector(TCP)  # over TCP alike (the message's length is known)
        tcp.feed(tcp_frame(query), True, 0)
        tcp_row, tcp_problem = tcp.feed(tcp_frame(damaged), False, 5)
        assert tcp_row == row and isinstance(tcp_problem, Problem)
        assert str(tcp_problem.error) == str(problem.error)
    with pytest.raises(BadValue):  # in the question
        DnsDissector(UDP).feed(dns_header(1, 0x8100, 1, 0) + b"\x41\x00\x01\x00\x01", False, 0)


def test_more_records_claimed_than_held() -> None:
    """A header that claims more records than the datagram holds, even past
    ``DNS_MAX_RECORDS`` (damage, or a snap length): the question and the whole records make
    the row, ``partial`` says where it ended; the whole-message test refuses it, the test
    asked on a DNS port takes it (one question of a class DNS has)."""
    query = dns_query(5, "sip.example.dk")
    damaged = query[:10] + b"\x00\xcf" + query[12:]  # 207 additional records claimed
    huge = damaged[:6] + b"\x73\x00" + damaged[8:]  # and 29,440 answers
    for msg, where in ((damaged, "record 1 of 207"), (huge, "record 1 of 29647")):
        assert not DnsDissector.matches(msg, UDP, True)
        assert DnsDissector.matches_on_own_port(msg, UDP, True)
        (row,) = feed_all(DnsDissector, [(True, msg)], UDP)
        assert row.query == "sip.example.dk" and where in row.partial  # type: ignore[attr-defined]
    assert not DnsDissector.matches_on_own_port(damaged, TCP, True)
    assert not DnsDissector.matches_on_own_port(damaged[:-1], UDP, True)  # question cut
    assert not DnsDissector.matches_on_own_port(damaged[:-2] + b"\x00\x07", UDP, True)  # class 7
    assert not DnsDissector.matches_on_own_port(damaged[:5] + b"\x02" + damaged[6:], UDP, True)
    assert not DnsDissector.matches_on_own_port(damaged[:2] + b"\x30" + damaged[3:], UDP, True)
    assert DnsDissector.matches_on_own_port(damaged[:-2] + b"\x80\x01", UDP, True)  # mDNS QU


def test_a_bad_datagram_leaves_the_flow_readable() -> None:
    """Over UDP each datagram stands alone: once a message was read, one that does not parse
    (cut inside its question) raises, changes nothing, and the dissector says it may go on
    (the pipeline records a weird and reads the next ones); over TCP it may not."""
    d = DnsDissector(UDP)
    assert not d.resumable()
    d.feed(dns_query(1, "a.example"), True, 0)
    d.feed(dns_query(2, "b.example"), True, 1)
    with pytest.raises(ParseError):
        d.feed(dns_response(1, "a.example", [rr(1, b"\x01\x02\x03\x04")])[:20], False, 2)
    assert d.resumable()
    (row,) = d.feed(dns_response(2, "b.example", [rr(1, b"\x05\x06\x07\x08")]), False, 3)
    assert (row.query, row.answers) == ("b.example", ("5.6.7.8",))  # type: ignore[attr-defined]
    assert [r.query for r in d.finish()] == ["a.example"]  # type: ignore[attr-defined]
    tcp = DnsDissector(TCP)
    tcp.feed(tcp_frame(dns_query(1, "a.example")), True, 0)
    assert not tcp.resumable()


def test_authority_section_kept_negative_answers_and_referrals() -> None:
    """suricata-verify dns-udp-nxdomain-soa: an NXDOMAIN whose authority section holds the
    zone's SOA (RFC 2308 §3: owner oisf.net, TTL 899, primary ns-110.awsdns-13.com); a
    referral's NS records; both readers alike; an UPDATE's update section stays in answers."""
    from wirelens.dissect.dns_message import _parse_checked, _parse_fast

    soa = rr(6, dns_name("ns-110.awsdns-13.com") + dns_name("awsdns-hostmaster.amazon.com")
             + struct.pack(">IIIII", 1, 7200, 900, 1209600, 86400), ttl=899,
             name=dns_name("oisf.net"))
    nxdomain = (dns_header(0x1234, 0x8183, 1, 0, 1, 0) + dns_name("dne.oisf.net")
                + struct.pack(">HH", 1, 1) + soa)
    assert _parse_checked(nxdomain) == _parse_fast(nxdomain)
    (row,) = feed_all(DnsDissector, [(True, dns_query(0x1234, "dne.oisf.net")),
                                     (False, nxdomain)], UDP)
    assert (row.rcode_name, row.answers, row.authorities, row.authority_names,  # type: ignore[attr-defined]
            row.authority_types, row.authority_ttls) == (  # type: ignore[attr-defined]
        "NXDOMAIN", (), ("ns-110.awsdns-13.com",), ("oisf.net",), ("SOA",), (899.0,))
    ns = [rr(2, dns_name(f"a{i}.gtld-servers.net"), name=dns_name("com")) for i in range(3)]
    glue = rr(1, bytes([192, 5, 6, 30]), name=dns_name("a0.gtld-servers.net"))
    referral = (dns_header(7, 0x8000, 1, 0, 3, 1) + dns_name("www.example.com")
                + struct.pack(">HH", 1, 1) + b"".join(ns) + glue)
    msg = parse_message(referral)
    assert msg == _parse_checked(referral)
    assert [(a.name, a.text) for a in msg.authorities] == [
        ("com", f"a{i}.gtld-servers.net") for i in range(3)]
    assert msg.answers == ()
    update = (dns_header(9, 0x2800, 1, 0, 1, 0) + dns_name("example.com")
              + struct.pack(">HH", 6, 1) + rr(1, bytes([192, 0, 2, 9]), name=dns_name("h.example.com")))
    upd = parse_message(update)
    assert upd == _parse_checked(update) and upd.authorities == () and len(upd.answers) == 1


def test_a_response_answers_the_oldest_query_waiting_with_its_id() -> None:
    """Zeek's ipv6-fragmented-dns trace: a query sent again (same id, same question), one
    response: it answers the first query (RTT from it, as Zeek and Suricata pair), the second
    stays unanswered; when both are answered, both rows are answered, in order. A response
    to another question with the same id is not theirs."""
    q = dns_query(9, "a.example.com")
    answer = dns_response(9, "a.example.com", [rr(1, bytes([192, 0, 2, 1]))])
    d = DnsDissector(UDP)
    assert d.feed(q, True, 1_000) == [] and d.feed(q, True, 5_000) == []
    (first,) = d.feed(answer, False, 5_100)
    assert (first.ts_ns, first.rtt_ns, first.rcode_name) == (1_000, 4_100, "NOERROR")  # type: ignore[attr-defined]
    (second,) = d.finish()
    assert (second.ts_ns, second.rtt_ns, second.is_response) == (5_000, None, False)  # type: ignore[attr-defined]
    rows = feed_all(DnsDissector, [(True, q), (True, q), (False, answer), (False, answer)], UDP)
    assert [r.rcode_name for r in rows] == ["NOERROR", "NOERROR"]  # type: ignore[attr-defined]
    other = dns_response(9, "b.example.com", [rr(1, bytes([192, 0, 2, 2]))])
    rows = feed_all(DnsDissector, [(True, q), (False, other), (False, answer)], UDP)
    assert [(r.query, r.has_query) for r in rows] == [  # type: ignore[attr-defined]
        ("b.example.com", False), ("a.example.com", True)]
