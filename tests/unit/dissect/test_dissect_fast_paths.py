"""The fast readers (DNS messages, TLS hellos) agree with the checked Buffer readers.

``parse_message``, ``parse_client_hello`` and ``parse_server_hello`` first run a reader that
indexes the bytes directly; on anything wrong they parse again with the Buffer-based reader,
which raises the exact error. Property: whenever the fast reader returns, the checked reader
returns the same value (``repr`` equal: same field types too), and the public function's
outcome (value, or error type + text + offset) is the checked reader's. Checked on mutated
builder messages, random bytes and the DNS/TLS payloads of the shared real captures.
Also: DNS name text and the HTTP head helpers agree with the naive references
of ``tests/naive/dissect.py``.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_dissect_fuzz import EDITS, mutate
from tests.naive import dissect as naive_dissect
from wl_dissect_builders import (
    client_hello,
    dns_header,
    dns_query,
    dns_response,
    dns_rich_response,
    ext,
    rr,
    server_hello,
    vec,
)

from wirelens.dissect import dns_message, http, tls, tls_hello
from wirelens.dissect.dns import DnsDissector, DnsRecord
from wirelens.wire import ParseError

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

DATA = Path(__file__).resolve().parents[3] / ".." / "shared" / "data"
NDPI_PCAPS = DATA / "nDPI" / "tests" / "cfgs" / "default" / "pcap"

# (public function, fast reader, checked reader, exceptions meaning "hand over")
PARSERS: dict[str, tuple[Callable[[bytes], Any], Callable[[bytes], Any], Callable[[bytes], Any]]] = {
    "dns": (dns_message.parse_message, dns_message._parse_fast, dns_message._parse_checked),
    "dns_cut": (lambda b: dns_message.parse_message(b, partial=True),
                lambda b: dns_message._parse_fast(b, partial=True),
                lambda b: dns_message._parse_checked(b, partial=True)),
    "client_hello": (tls.parse_client_hello, tls._client_hello_fast, tls._client_hello_checked),
    "server_hello": (tls.parse_server_hello, tls._server_hello_fast, tls._server_hello_checked),
}
HANDOVER = {
    "dns": (ParseError, dns_message._Slow, struct.error, IndexError),
    "dns_cut": (ParseError, dns_message._Slow, struct.error, IndexError),
    "client_hello": tls._FALLBACK,
    "server_hello": tls._FALLBACK,
}


def outcome(fn: Callable[[bytes], Any], data: bytes) -> tuple[str, Any]:
    try:
        return "value", repr(fn(data))
    except ParseError as exc:
        return "error", (type(exc), str(exc), exc.offset)


def _draft_server_hello(data: bytes) -> bool:
    """A ServerHello whose version names a TLS 1.3 draft before -22: ``parse_server_hello``
    reads it with the checked reader in the drafts' layout, the fast reader never runs."""
    return len(data) >= 2 and tls_hello._draft_layout((data[0] << 8) | data[1])


def check_agree(kind: str, data: bytes) -> bool:
    """Assert the property of the module docstring; True when the fast reader returned."""
    public, fast, checked = PARSERS[kind]
    if kind == "server_hello" and _draft_server_hello(data):
        assert outcome(public, data) == outcome(
            lambda b: tls._server_hello_checked(b, draft=True), data)
        return False
    want = outcome(checked, data)
    assert outcome(public, data) == want
    try:
        got = fast(data)
    except HANDOVER[kind]:
        return False
    assert want == ("value", repr(got)), f"fast {kind} reader accepted what the checked one did not"
    return True


DNS_SEEDS = [
    dns_query(7, "www.example.com"),
    dns_rich_response(),
    dns_response(9, "a.example", [rr(1, b"\x01\x02\x03\x04")]),
    # every rdata shape the fast reader decodes itself, in the authority section too
    dns_header(3, 0x8180, 1, 6, 1, 1)
    + b"\x01x\x00\x00\x01\x00\x01"
    + rr(28, bytes(range(16)))
    + rr(15, b"\x00\x0a\x02mx\xc0\x0c")
    + rr(33, b"\x00\x01\x00\x02\x01\xbb\x03srv\xc0\x0c")
    + rr(16, b"\x03abc\x02\xff\xfe")
    + rr(99, b"")
    + rr(0x1234, b"\xde\xad")
    + rr(6, b"\x02ns\xc0\x0c\x04mail\xc0\x0c" + bytes(20))
    + rr(41, b"", name=b"\x00"),
]
HELLO_SEEDS = {
    "client_hello": [
        client_hello()[4:],
        client_hello(sni=None, alpn=(), versions=(), padding=40)[4:],
        # a hello without extensions (RFC 5246 §7.4.1.2)
        b"\x03\x01" + bytes(32) + b"\x00" + vec(b"\x00\x2f\x00\x35", 2) + b"\x01\x00",
        client_hello()[4:-2],  # truncated: handed over, checked error
    ],
    "server_hello": [
        server_hello()[4:],
        server_hello(selected=None, alpn="h2")[4:],
        b"\x03\x03" + bytes(32) + b"\x00" + b"\xc0\x2f\x00",
        # selected_version of 3 bytes: handed over, checked error
        b"\x03\x03" + bytes(32) + b"\x00" + b"\xc0\x2f\x00" + vec(ext(43, b"\x03\x04\x00"), 2),
    ],
}


def test_fast_readers_take_the_common_messages() -> None:
    """Valid builder messages are read by the fast reader itself (no hand-over), with the
    checked reader's result; a damaged one is handed over."""
    for data in DNS_SEEDS:
        assert check_agree("dns", data)
    for kind in ("client_hello", "server_hello"):
        seeds = HELLO_SEEDS[kind]
        assert all(check_agree(kind, body) for body in seeds[:3])
        assert not check_agree(kind, seeds[3])


def test_fast_dns_reader_values() -> None:
    """Spot values of the rdata decoded by the fast reader (the checked reader agrees)."""
    msg = dns_message._parse_fast(DNS_SEEDS[3])
    texts = [a.text for a in msg.answers]
    assert texts == [
        "1:203:405:607:809:a0b:c0d:e0f",
        "mx.x",
        "srv.x",
        "TXT 3 abc TXT 2 \\xff\\xfe",
        "",
        "dead",
    ]
    assert (msg.n_authority, msg.n_additional, msg.end) == (1, 1, len(DNS_SEEDS[3]))


BAD_RDATA = [
    (1, b"\x01\x02\x03"),
    (1, b"\x01\x02\x03\x04\x05"),
    (28, bytes(15)),
    (28, bytes(17)),
    (2, b"\x02ns\x00\x00"),  # a name, then a byte too many
    (2, b"\x02ns"),  # a name running past its rdata
    (15, b"\x00"),
    (33, b"\x00\x01\x00\x02\x01"),
    (6, b"\x00\x00" + bytes(19)),
    (6, b"\x00\x00" + bytes(21)),
    (16, b"\x05abc"),
    (12, b"\xc0\x40"),  # pointer forwards
]


@pytest.mark.parametrize(("rtype", "rdata"), BAD_RDATA)
@pytest.mark.parametrize("section", ["answer", "additional"])
def test_bad_rdata_is_handed_over(rtype: int, rdata: bytes, section: str) -> None:
    """Rdata not used up exactly (or overrunning) is never accepted by the fast reader."""
    extra = [rr(rtype, rdata)]
    msg = (
        dns_response(4, "bad.example", extra)
        if section == "answer"
        else dns_response(4, "bad.example", [], extra=extra)
    )
    assert not check_agree("dns", msg)
    with pytest.raises(ParseError):
        dns_message.parse_message(msg)


@FUZZ
@given(st.sampled_from(range(len(DNS_SEEDS))), EDITS)
def test_dns_mutated(seed: int, edits: list) -> None:  # type: ignore[type-arg]
    check_agree("dns", mutate(DNS_SEEDS[seed], edits))
    data = mutate(DNS_SEEDS[seed], edits)
    check_agree("dns_cut", data)
    check_agree("dns_cut", data[: len(data) * 2 // 3])  # (cut inside its records, mostly)


def test_dns_cut_at_every_byte_and_with_counts_claimed() -> None:
    """The read in part (``parse_message(partial=True)``): the fast reader stops at the record the data ends
    inside and takes the checked reader's reason for it; the same message either way."""
    fast_cuts = 0
    for seed in DNS_SEEDS:
        claiming = seed[:10] + b"\xff\xf0" + seed[12:]  # 65,520 additional records claimed
        for data in (*(seed[:n] for n in range(len(seed) + 1)), claiming):
            if check_agree("dns_cut", data):
                fast_cuts += dns_message.parse_message(data, partial=True).cut is not None
    assert fast_cuts > 20


@FUZZ
@given(st.sampled_from(["client_hello", "server_hello"]), st.integers(0, 3), EDITS)
def test_hellos_mutated(kind: str, seed: int, edits: list) -> None:  # type: ignore[type-arg]
    check_agree(kind, mutate(HELLO_SEEDS[kind][seed], edits))


@FUZZ
@given(st.sampled_from(sorted(PARSERS)), st.binary(max_size=200))
def test_random_bytes(kind: str, data: bytes) -> None:
    check_agree(kind, data)


def test_non_bytes_inputs_parse_the_same() -> None:
    for data in DNS_SEEDS:
        want = repr(dns_message._parse_checked(data))
        assert repr(dns_message.parse_message(bytearray(data))) == want
        assert repr(dns_message.parse_message(memoryview(data))) == want
    body = client_hello()[4:]
    assert repr(tls.parse_client_hello(bytearray(body))) == repr(tls._client_hello_checked(body))


def _real_payloads() -> list[tuple[str, bytes]]:
    """DNS datagrams and whole single-record TLS hellos of the shared nDPI captures that
    name a DNS/HTTP/TLS host (the captures of test_dissect_real_captures)."""
    from test_dissect_real_captures import NDPI, _with_hosts
    from wl_mini_pcap import flows

    out: list[tuple[str, bytes]] = []
    for pcap in _with_hosts():
        for flow in flows(NDPI / "pcap" / pcap):
            for _, data, _ in flow.chunks[:8]:
                if flow.proto == 17 and len(data) >= 12:
                    out += [("dns", data), ("dns_cut", data), ("dns_cut", data[: len(data) - 9])]
                elif flow.proto == 6 and len(data) > 9 and data[0] == 22 and data[5] in (1, 2):
                    body = data[9 : 9 + int.from_bytes(data[6:9], "big")]
                    out.append(("client_hello" if data[5] == 1 else "server_hello", body))
    return out


@pytest.mark.skipif(not NDPI_PCAPS.is_dir(), reason=f"shared captures not found at {DATA}")
def test_real_capture_payloads_agree() -> None:
    payloads = _real_payloads()
    taken = dict.fromkeys(PARSERS, 0)
    for kind, data in payloads:
        taken[kind] += check_agree(kind, data)
    # the captures hold many valid messages: the fast readers must take most of them
    assert all(n > 50 for n in taken.values()), taken


def test_feed_parses_each_datagram_itself() -> None:
    """No state shared between ``matches`` and ``feed`` (sans-IO: nothing module-level)."""
    d = DnsDissector(17)
    assert d.feed(dns_query(5, "reuse.example"), True, 1) == []
    other = dns_response(5, "reuse.example", [rr(1, b"\x0a\x00\x00\x01")])
    assert DnsDissector.matches(other, 17, False)
    (event,) = d.feed(bytes(bytearray(other)), False, 3)
    assert isinstance(event, DnsRecord) and event.answers == ("10.0.0.1",) and event.rtt_ns == 2


# -- helpers rewritten for speed, against the naive references in tests/naive/dissect.py --

LABEL_BYTES = st.sampled_from([b"a", b"Z", b"0", b"-", b".", b" ", b"\\", b"\x00", b"\xff", b"_", b"\""])


@FUZZ
@given(st.lists(st.lists(LABEL_BYTES, min_size=1, max_size=6).map(b"".join), max_size=5))
def test_dns_names_escape_like_the_reference(labels: list[bytes]) -> None:
    wire = b"".join(bytes([len(label)]) + label for label in labels) + b"\x00"
    assert dns_message._name_at(wire, 0, len(wire))[:2] == (naive_dissect.dns_name_text(labels), len(wire))


def test_dns_name_with_a_dot_inside_a_label() -> None:
    wire = b"\x03a.b\x01c\x00"
    assert dns_message._name_at(wire, 0, len(wire))[0] == "a\\046b.c"


HEAD_BYTES = st.lists(
    st.sampled_from([b"\r\n", b"\n", b"\r", b":", b" ", b"\t", b"Host", b"content-length",
                     b"Content-Length", b"transfer-encoding", b"x y", b"5", b"chunked", b"\xe9"]),
    max_size=30,
).map(b"".join)


@FUZZ
@given(HEAD_BYTES, st.integers(0, 40))
def test_http_head_helpers_like_the_reference(head: bytes, start: int) -> None:
    start = min(start, len(head))
    assert http._head_end(bytearray(head), start) == naive_dissect.head_end(bytearray(head), start)
    assert http._parse_head(head) == naive_dissect.parse_head(head)


def _pointer(target: int) -> bytes:
    return struct.pack(">H", 0xC000 | target)


def test_reused_name_still_counts_its_pointers() -> None:
    """A name reused by the fast reader (``c0 xx`` to a name read before) counts the pointers
    of that earlier walk plus one: 64 is the limit, the 65th is handed over."""
    head = dns_header(1, 0x8180, 1, 3) + b"\x00" + b"\x00\x01\x00\x01"  # root question at 12
    rdata_at = len(head) + 1 + 10  # RR1: root owner name, fixed part, then the rdata
    # entry 0 points to the root at 12, entry k to entry k - 1: a pointer to entry k is a
    # name of k + 2 pointers
    chain = _pointer(12) + b"".join(_pointer(rdata_at + 2 * k) for k in range(62))
    rr1 = b"\x00" + struct.pack(">HHIH", 0x1234, 1, 0, len(chain)) + chain  # hex rdata
    rr2_at = len(head) + len(rr1)
    rr2 = _pointer(rdata_at + 2 * 62) + struct.pack(">HHIH", 1, 1, 0, 4) + bytes(4)  # 64 hops
    rr3 = _pointer(rr2_at) + struct.pack(">HHIH", 1, 1, 0, 4) + bytes(4)  # 65 hops
    msg = head + rr1 + rr2 + rr3
    assert not check_agree("dns", msg)
    with pytest.raises(ParseError, match="too many compression pointers"):
        dns_message.parse_message(msg)
    # with 63 hops in the earlier walk the reuse is allowed and gives the same name
    head2 = dns_header(1, 0x8180, 1, 3) + b"\x00" + b"\x00\x01\x00\x01"
    rr2b = _pointer(rdata_at + 2 * 61) + struct.pack(">HHIH", 1, 1, 0, 4) + bytes(4)  # 63 hops
    rr3b = _pointer(rr2_at) + struct.pack(">HHIH", 1, 1, 0, 4) + bytes(4)  # 64 hops
    msg2 = head2 + rr1 + rr2b + rr3b
    assert check_agree("dns", msg2)
    assert [a.name for a in dns_message.parse_message(msg2).answers] == [".", ".", "."]
