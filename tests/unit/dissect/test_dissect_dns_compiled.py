"""The compiled DNS reader of the DPI stage's fast path (``pipeline._dns_kernel``, read through
``pipeline.dns_fast.read``) against the Python reader it stands in for.

Property: whenever the compiled reader reads a datagram (it may decline any), the Python
reader ``parse_message(data, partial=True)`` returns the same message: id, flags, first
question, kept answers and authorities (owner, type, TTL, text), EDNS and how it ends inside a
record; and whenever the Python reader raises, the compiled one declined. Checked on
hand-built messages of every rdata shape, the DNS seeds mutated, every cut of them, random
bytes and the DNS datagrams of the shared captures; and the compiled reader must take the
common messages itself (a reader declining everything would pass the property).
"""

from __future__ import annotations

import ipaddress
import struct

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_dissect_fast_paths import DNS_SEEDS, FUZZ, NDPI_PCAPS, _real_payloads
from test_dissect_fuzz import EDITS, mutate
from wl_dissect_builders import dns_header, dns_name, dns_query, dns_response, rr

from wirelens.dissect.dns_message import DnsMessage, parse_message
from wirelens.pipeline import _dns_kernel as K
from wirelens.pipeline import dns_fast
from wirelens.wire import ParseError

View = tuple[object, ...]


def compiled(datagrams: list[bytes]) -> list[View | None]:
    """What the compiled reader read of each datagram (None: declined), all in one call at
    their offsets in one buffer (a gap of junk between them)."""
    buf = bytearray()
    offs = []
    for d in datagrams:
        buf += b"\xa5" * 3
        offs.append(len(buf))
        buf += d
    m = dns_fast.read(np.frombuffer(bytes(buf), np.uint8), np.array(offs, np.int64),
                      np.array([len(d) for d in datagrams], np.int64))
    out: list[View | None] = []
    for k in range(len(datagrams)):
        if not m.whole(k):
            out.append(None)
            continue
        row = m.rows[k]
        recs = m.rec[row[K.M_REC]: row[K.M_REC] + row[K.M_ANSWERS] + row[K.M_AUTHORITIES]]
        records = [(m.text[a:b].decode(), t, ttl, m.text[c:d].decode())
                   for t, ttl, a, b, c, d in recs.tolist()]
        size = row[K.M_EDNS_SIZE]
        edns = None if size < 0 else (size, (row[K.M_EDNS_TTL] >> 16) & 0xFF,
                                      bool(row[K.M_EDNS_TTL] & 0x8000))
        flags = row[K.M_FLAGS]
        out.append((row[K.M_ID], bool(flags & 0x8000), (flags >> 11) & 0xF, bool(flags & 0x400),
                    bool(flags & 0x200), bool(flags & 0x100), bool(flags & 0x80),
                    (flags >> 4) & 7, flags & 0xF,
                    (m.name(row[K.M_QNAME_A], row[K.M_QNAME_B]), row[K.M_QTYPE],
                     row[K.M_QCLASS]),
                    records[: row[K.M_ANSWERS]], records[row[K.M_ANSWERS]:], edns, m.cut(k)))
    return out


def python(msg: DnsMessage) -> View:
    q = msg.questions[0] if msg.questions else None
    edns = None if msg.edns is None else (msg.edns.udp_size, msg.edns.version, msg.edns.dnssec_ok)
    return (msg.trans_id, msg.is_response, msg.opcode, msg.aa, msg.tc, msg.rd, msg.ra, msg.z,
            msg.rcode,
            None if q is None else (q.name, q.qtype, q.qclass),
            [(r.name, r.rtype, r.ttl, r.text) for r in msg.answers],
            [(r.name, r.rtype, r.ttl, r.text) for r in msg.authorities], edns, msg.cut)


def check(datagrams: list[bytes]) -> int:
    """Assert the property for each datagram; how many the compiled reader read."""
    read = 0
    for data, got in zip(datagrams, compiled(datagrams)):
        try:
            want = python(parse_message(data, partial=True))
        except ParseError:
            assert got is None, f"compiled reader read what the Python one refuses: {data.hex()}"
            continue
        if got is not None:
            assert got == want, data.hex()
            read += 1
    return read


def answer(rtype: int, rdata: bytes, **kw: object) -> bytes:
    return dns_response(0x4242, "host.example", [rr(rtype, rdata, **kw)])  # type: ignore[arg-type]


def ipv6(text: str) -> bytes:
    return ipaddress.IPv6Address(text).packed


RDATA = [
    (1, b"\x0a\x00\x00\x01"), (1, b""),
    *((28, ipv6(a)) for a in ("::", "::1", "1::", "1:0:0:2::3", "1::2:0:0:3", "0:1:0:0:0:2:0:3",
                              "2001:db8::ff00:42:8329", "fe80::1:0:0:0", "1:2:3:4:5:6:7:8",
                              "0:0:1::", "::ffff:1.2.3.4", "::1.2.3.4")),
    (2, b"\x02ns\xc0\x0c"), (5, b"\x04edge\x07example\x03net\x00"), (12, b"\x00"),
    (39, b"\xc0\x0c"), (15, b"\x00\x0a\x02mx\xc0\x0c"), (33, b"\x00\x01\x00\x02\x01\xbb\x00"),
    (6, b"\x02ns\xc0\x0c\x04mail\xc0\x0c" + bytes(range(20))),
    (16, b"\x03abc"), (16, b"\x03abc\x00"), (16, b"\x02\xc3\xa9\x04\xe2\x82\xac!"),
    (16, b"\x07\xff\xc0\x80\xed\xa0\x80a"), (16, b"\x04\xf0\x9f\x98\x80\x03\xf0\x9f\x98"),
    (16, b"\x05\x00\x01\x7f\x1b\\"), (99, b"\x05v=spf"),
    (46, b"\x00\x01\x08\x02" + bytes(14) + b"\x07example\x00" + b"sig"), (46, bytes(18)),
    (47, b"\x04next\xc0\x0c\x00\x06@\x00\x00\x00\x00\x03"),
    (48, b"\x01\x01\x03\x08key"), (48, b"\x01\x01\x03"), (43, b"\x12\x34\x08\x02digest"),
    (44, b"\x01\x02\xab\xcd"), (44, b"\x01"), (29, bytes([0, 18, 22, 19]) + bytes(12)),
    (29, bytes([1, 18, 22, 19]) + bytes(12)), (50, bytes(5)), (50, bytes(4)), (51, bytes(5)),
    (0x1234, b"\xde\xad"), (10, b"\x00raw"), (41, b"\x00\x0a\x00\x00"),
]


@pytest.mark.parametrize(("rtype", "rdata"), RDATA)
def test_every_rdata_shape_is_read_as_python_reads_it(rtype: int, rdata: bytes) -> None:
    data = answer(rtype, rdata)
    assert check([data]) == 1, "a whole message of a known shape must be read, not declined"


def test_names_escapes_pointers_and_the_root() -> None:
    odd = b"\x05a.b c\x03\x00\xff\\\x01\"\x00"  # labels with a dot, a space, bytes outside ASCII
    datagrams = [
        dns_header(1, 0x0100, 1, 0) + odd + struct.pack(">HH", 1, 1),
        dns_header(2, 0x0100, 1, 0) + b"\x00" + struct.pack(">HH", 2, 1),  # the root
        dns_response(3, "a.b.c.example", [rr(5, b"\x03www\xc0\x0e"), rr(1, bytes(4),
                                                                    name=b"\x03www\xc0\x0e")]),
        dns_query(4, "x" * 63 + "." + "y" * 63 + "." + "z" * 63 + "." + "w" * 61),  # 255 octets
    ]
    assert check(datagrams) == len(datagrams)


def test_several_questions_and_sections() -> None:
    two = dns_header(5, 0x0000, 2, 0) + dns_name("a.local") + b"\x00\x0c\x80\x01" \
        + dns_name("b.local") + b"\x00\x21\x00\x01"
    referral = (dns_header(6, 0x8180, 1, 1, 2, 2) + dns_name("ex.example") + b"\x00\x01\x00\x01"
                + rr(5, b"\x02cn\xc0\x0c") + rr(2, b"\x02ns\xc0\x0c") + rr(6, bytes(22))
                + rr(1, b"\x01\x02\x03\x04", name=b"\x02ns\xc0\x0c")
                + rr(41, b"", ttl=0x0001_8000, name=b"\x00"))
    assert check([two, referral]) == 2


def test_declined_not_read_wrongly() -> None:
    """What the compiled reader leaves to Python: no question, an UPDATE, bad rdata."""
    declined = [
        dns_header(1, 0x8180, 0, 1) + rr(1, bytes(4), name=b"\x00"),  # no question
        dns_header(2, 0x2800, 1, 0) + dns_name("zone.example") + b"\x00\x06\x00\x01",  # UPDATE
        answer(1, b"\x01\x02\x03"), answer(28, bytes(15)), answer(2, b"\x02ns\x00\x00"),
        answer(12, b"\xc0\x40"),
    ]
    assert all(v is None for v in compiled(declined))
    check(declined)


def test_cut_at_every_byte() -> None:
    read = 0
    for seed in [*DNS_SEEDS, answer(16, b"\x03abc"), answer(46, bytes(30))]:
        read += check([seed[:n] for n in range(len(seed) + 1)])
        claiming = seed[:10] + b"\xff\xf0" + seed[12:]  # 65,520 additional records claimed
        check([claiming])
    assert read > 100


@FUZZ
@given(st.sampled_from(range(len(DNS_SEEDS))), EDITS)
def test_mutated(seed: int, edits: list) -> None:  # type: ignore[type-arg]
    data = mutate(DNS_SEEDS[seed], edits)
    check([data, data[: len(data) * 2 // 3]])


@FUZZ
@given(st.lists(st.binary(max_size=120), min_size=1, max_size=4))
def test_random_bytes(datagrams: list[bytes]) -> None:
    check(datagrams)


def test_arena_too_small_declines(monkeypatch: pytest.MonkeyPatch) -> None:
    """A datagram whose texts do not fit the arena is declined, not cut short."""
    data = answer(16, b"\xc8" + b"\xff" * 200)  # 200 bytes written as 800
    real = dns_fast.read

    def small(buf: np.ndarray, offs: np.ndarray, lens: np.ndarray) -> dns_fast.Messages:
        msg = np.zeros((len(offs), K.MSG_COLUMNS), np.int64)
        rec = np.empty((64, K.REC_COLUMNS), np.int64)
        arena = np.empty(300, np.uint8)
        K.read_messages(buf, offs, lens, False, msg, rec, arena)
        return dns_fast.Messages(msg, rec, msg.tolist(), arena.tobytes())

    monkeypatch.setattr(dns_fast, "read", small)
    assert compiled([data]) == [None]
    monkeypatch.setattr(dns_fast, "read", real)
    assert check([data]) == 1


@pytest.mark.skipif(not NDPI_PCAPS.is_dir(), reason="shared captures not found")
def test_real_capture_datagrams() -> None:
    datagrams = [data for kind, data in _real_payloads() if kind == "dns_cut"]
    assert check(datagrams) > 200


def test_ipv4_mapped_declined_where_python_writes_them_dotted() -> None:
    """A Python whose ``ipaddress`` writes ``::ffff:1.2.3.4`` dotted (newer versions may)
    gets such AAAA records from the Python reader: the compiled one declines every address
    whose first 80 bits are zero there, and reads the others."""
    datagrams = [answer(28, ipv6(a)) for a in ("::ffff:1.2.3.4", "::1.2.3.4", "::1", "2001:db8::1")]
    buf = b"".join(datagrams)
    offs = np.cumsum([0] + [len(d) for d in datagrams[:-1]]).astype(np.int64)
    lens = np.array([len(d) for d in datagrams], np.int64)
    msg = np.zeros((len(datagrams), K.MSG_COLUMNS), np.int64)
    rec = np.empty((64, K.REC_COLUMNS), np.int64)
    arena = np.empty(4096, np.uint8)
    K.read_messages(np.frombuffer(buf, np.uint8), offs, lens, True, msg, rec, arena)
    assert msg[:, K.M_OK].tolist() == [0, 0, 0, 1]
