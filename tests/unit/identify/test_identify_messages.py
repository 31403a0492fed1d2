"""Hand-built messages, every truncation, and random payloads: the fast path agrees with the
Python registry and dissectors (``tests.naive.identify.reference``) and never misbehaves."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.naive.identify import reference
from wl_identify_msgs import (
    HTTP_REQUEST,
    HTTP_RESPONSE,
    client_hello,
    dns_query,
    dns_response,
    ext,
    record,
    server_hello,
    vec,
)

from wirelens.identify import Classified, Service, classify, service_name

TCP, UDP = 6, 17


def one(payload: bytes, proto: int, sport: int = 40000, dport: int = 40001) -> Classified:
    """Classify a single payload placed in the middle of a larger buffer."""
    data = np.frombuffer(b"\xaa" * 7 + payload + b"\xbb" * 9, np.uint8)
    return classify(data, np.array([7]), np.array([len(payload)]), np.array([proto]),
                    np.array([0]), np.array([sport]), np.array([dport]))


def check_agrees(payload: bytes, proto: int, sport: int = 40000, dport: int = 40001) -> None:
    """Service as registry.identify; name as the dissector reports it when it reports one."""
    got = one(payload, proto, sport, dport)
    svc, name, _ = reference(payload, proto, True, sport, dport)
    assert service_name(int(got.service[0])) == svc, payload
    if name is not None:
        assert got.name(0) == name, payload


def test_tls_client_hello_sni() -> None:
    got = one(record(22, client_hello(b"Example.COM")), TCP)
    assert got.service_of(0) is Service.TLS and got.name(0) == "Example.COM"


def test_tls_server_hello_and_no_sni() -> None:
    assert one(record(22, server_hello()), TCP).service_of(0) is Service.TLS
    got = one(record(22, client_hello(None)), TCP)
    assert got.service_of(0) is Service.TLS and got.name(0) is None


def test_tls_hello_across_records() -> None:
    hello = client_hello(b"split.example")
    payload = record(22, hello[:50]) + record(22, hello[50:])
    got = one(payload, TCP)
    assert got.name(0) == "split.example"
    check_agrees(payload, TCP)


def test_tls_non_ascii_sni_escaped() -> None:
    payload = record(22, client_hello(b"caf\xe9.example"))
    assert one(payload, TCP).name(0) == "caf\\xe9.example"
    check_agrees(payload, TCP)


def test_tls_rejected_hello_gives_no_name() -> None:
    payload = record(22, client_hello(b"a.example", extra=ext(0xFF01, b"\x00")))
    assert one(payload, TCP).name(0) == "a.example"
    hello = client_hello(b"a.example")
    broken = hello[:-1] + b"\x00\x00"  # bytes after the extensions
    broken = broken[:1] + (len(broken) - 4).to_bytes(3, "big") + broken[4:]
    got = one(record(22, broken), TCP)
    assert got.service_of(0) is Service.TLS and got.name(0) is None
    check_agrees(record(22, broken), TCP)
    odd = client_hello(b"b.example").replace(vec(b"\x0a\x0a\x03\x04\x03\x03", 1),
                                             vec(b"\x0a\x0a\x03\x04\x03", 1) + b"\x03")
    got = one(record(22, odd), TCP)  # odd-length supported_versions: damage, name kept
    assert got.service_of(0) is Service.TLS and got.name(0) == "b.example"
    check_agrees(record(22, odd), TCP)
    cut = client_hello(b"c.example", extra=ext(0xFF01, b"\x00"))
    cut = cut[:-3] + b"\x00\x09" + cut[-1:]  # the last extension runs past the list
    assert one(record(22, cut), TCP).name(0) == "c.example"
    check_agrees(record(22, cut), TCP)


def test_http_host() -> None:
    got = one(HTTP_REQUEST, TCP)
    assert got.service_of(0) is Service.HTTP and got.name(0) == "WWW.Example.com"
    assert one(HTTP_RESPONSE, TCP).service_of(0) is Service.HTTP
    assert one(HTTP_RESPONSE, TCP).name(0) is None
    assert one(HTTP_REQUEST, UDP).service_of(0) is Service.UNKNOWN


@pytest.mark.parametrize("host,want", [
    (b"[2001:db8::1]:443", "2001:db8::1"),
    (b"h.example:", "h.example:"),
    (b"h.example:8x", "h.example:8x"),
    (b":80", ":80"),
    (b"[]:80", None),
    (b"", None),
])  # fmt: skip
def test_http_host_port_forms(host: bytes, want: str | None) -> None:
    payload = b"GET / HTTP/1.0\r\nHost: " + host + b"\r\n\r\n"
    assert one(payload, TCP).name(0) == want
    check_agrees(payload, TCP)


@pytest.mark.parametrize("extra", [
    b"Content-Length: 5,5\r\n", b"Content-Length: x\r\n", b"Content-Length: 1\r\nContent-Length: 2\r\n",
    b"Host: second.example\r\n", b"X-Folded: a\r\n b\r\n", b"Bad Name: v\r\n",
])  # fmt: skip
def test_http_header_rules(extra: bytes) -> None:
    payload = b"POST /x HTTP/1.1\r\nHost: first.example\r\n" + extra + b"\r\n"
    check_agrees(payload, TCP)


def test_http_folded_host() -> None:
    payload = b"GET / HTTP/1.1\r\nHost: a.example\r\n  more\r\n\r\n"
    assert one(payload, TCP).name(0) == "a.example more"
    check_agrees(payload, TCP)


@pytest.mark.parametrize("payload,service,name", [
    (b"GET /x\r\n", Service.HTTP, None),
    (b"GET /x\r\nHost: h\r\n\r\n", Service.HTTP, None),  # a 0.9 request has no headers
    (b"GET http://h/x\r\n", Service.HTTP, None),
    (b"GET  /x\r\n", Service.UNKNOWN, None),
    (b"GET x\r\n", Service.UNKNOWN, None),
    (b"BREW /pot\r\n", Service.UNKNOWN, None),  # 0.9 lines need a known method
    (b"GET HTTP/1.1\r\nHost: h\r\n\r\n", Service.HTTP, "h"),
])  # fmt: skip
def test_http09_and_empty_target(payload: bytes, service: Service, name: str | None) -> None:
    got = one(payload, TCP)
    assert got.service_of(0) is service and got.name(0) == name
    check_agrees(payload, TCP)


def test_dns_udp_and_tcp() -> None:
    q = dns_query("www.Example.com")
    got = one(q, UDP)
    assert got.service_of(0) is Service.DNS and got.name(0) == "www.Example.com"
    assert one(dns_response(), UDP).name(0) == "www.example.com"
    tcp = len(q).to_bytes(2, "big") + q
    assert one(tcp, TCP, 5000, 53).name(0) == "www.Example.com"
    check_agrees(dns_response(), UDP)
    check_agrees(tcp, TCP, 5000, 53)


def test_dns_escapes_and_root() -> None:
    q = dns_query("a\\b.x y.\x01z")
    q = q.replace(b"\x03a\\b", b"\x04a.\\b")
    check_agrees(q, UDP)
    root = dns_query("")
    assert one(root, UDP).name(0) == "."


def test_dns_without_a_question_is_named_by_its_first_answer() -> None:
    """An mDNS announcement (no question, answers): named by the first answer's owner, as
    the dissector names the flow; with no answer (authorities only) no name."""
    owner = b"\x0f_companion-link\x04_tcp\x05local\x00"
    ptr = owner + b"\x00\x0c\x00\x01\x00\x00\x11\x94\x00\x08\x05MBPro\xc0\x0c"
    announce = b"\x00\x00\x84\x00\x00\x00\x00\x01\x00\x00\x00\x00" + ptr
    got = one(announce, UDP, 5353, 5353)
    assert got.service_of(0) is Service.DNS and got.name(0) == "_companion-link._tcp.local"
    check_agrees(announce, UDP, 5353, 5353)
    authority_only = announce[:6] + b"\x00\x00\x00\x01" + announce[10:]
    assert one(authority_only, UDP, 5353, 5353).name(0) is None
    check_agrees(authority_only, UDP, 5353, 5353)


def test_dns_claiming_more_records_than_held_only_on_a_dns_port() -> None:
    """Content and port together: a query whose header claims records it does not hold is
    DNS on port 53, named by its question (the dissector reads it as far as it goes), nothing
    on another port or without ports, as ``registry.identify`` decides; so is an answer a
    snap length or a lost fragment cut short."""
    q = dns_query("sip.example.dk")
    damaged = q[:10] + b"\x00\xcf" + q[12:]
    for sport, dport in ((2712, 53), (53, 2712)):
        got = one(damaged, UDP, sport, dport)
        assert (got.service_of(0), got.name(0)) == (Service.DNS, "sip.example.dk")
    answer = dns_response("ns1.example.org")
    cut = one(answer[:-3], UDP, 53, 40000)
    assert (cut.service_of(0), cut.name(0)) == (Service.DNS, "ns1.example.org")
    check_agrees(answer[:-3], UDP, 53, 40000)
    assert one(damaged, UDP, 2712, 5000).service_of(0) is Service.UNKNOWN
    data = np.frombuffer(damaged, np.uint8)
    assert classify(data, np.array([0]), np.array([len(damaged)]), np.array([UDP]),
                    np.array([0])).service_of(0) is Service.UNKNOWN
    for sport, dport in ((2712, 53), (53, 2712), (2712, 5000)):
        check_agrees(damaged, UDP, sport, dport)
        for cut in range(len(damaged)):
            check_agrees(damaged[:cut], UDP, sport, dport)


def test_dns_over_tcp_with_a_damaged_record_is_named_as_far_as_it_goes() -> None:
    """A whole message in the segment whose third record is damaged, or that holds fewer
    records than claimed: named by its question (or with none its first whole answer's
    owner), as the dissector's partial read names it; junk after the records: no name."""
    def tcp(message: bytes) -> bytes:
        return len(message).to_bytes(2, "big") + message

    response = dns_response()
    damaged = response.replace(b"\x03cdn\xc0\x0c", b"\x03cdn\x41\x0c")  # 0x40 label type
    for message, name in ((damaged, "www.example.com"),
                          (response[:-20], "www.example.com"),  # records cut short
                          (response + b"zz", None)):  # bytes after the last record
        got = one(tcp(message), TCP, 5000, 53)
        assert got.service_of(0) is Service.DNS and got.name(0) == name
        check_agrees(tcp(message), TCP, 5000, 53)
    owner = b"\x05local\x00"
    answer = owner + b"\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04\x0a\x00\x00\x01"
    no_question = b"\x00\x00\x84\x00\x00\x00\x00\x02\x00\x00\x00\x00" + answer + b"\x41"
    assert one(tcp(no_question), TCP, 5000, 53).name(0) == "local"
    check_agrees(tcp(no_question), TCP, 5000, 53)


def test_bad_rows_are_unknown() -> None:
    data = np.frombuffer(HTTP_REQUEST, np.uint8)
    off = np.array([0, -5, 10, 0])
    ln = np.array([len(HTTP_REQUEST), 10, len(HTTP_REQUEST), 0])
    got = classify(data, off, ln, np.array([TCP] * 4), np.array([0, 1, 2, 3, 4, -1]))
    assert got.service.tolist() == [Service.HTTP, 0, 0, 0, 0, 0]
    with pytest.raises(ValueError):
        classify(data, off, ln[:2], np.array([TCP] * 4), np.array([0]))


def test_name_buffer_grows() -> None:
    """Many long names force the name buffer to grow and the kernel to resume."""
    long = b"x" * 200 + b".example"
    payload = record(22, client_hello(long))
    k = 300
    data = np.frombuffer(payload * k, np.uint8)
    got = classify(data, np.arange(k) * len(payload), np.full(k, len(payload)),
                   np.full(k, TCP), np.arange(k))
    assert all(got.name(j) == long.decode() for j in range(k))


CORPUS = [
    (record(22, client_hello(b"trunc.example")), TCP, 443),
    (record(22, server_hello()), TCP, 443),
    (HTTP_REQUEST, TCP, 80),
    (HTTP_RESPONSE, TCP, 80),
    (b"GET /x?y=1\r\n", TCP, 80),  # HTTP/0.9 Simple-Request (RFC 1945 §4.1)
    (b"HEAD svn+ssh://h.example/p\n", TCP, 80),
    (b"GET HTTP/1.1\r\nHost: h.example\r\n\r\n", TCP, 80),  # empty request target
    (dns_query(), UDP, 53),
    (dns_response(), UDP, 53),
    (len(dns_response()).to_bytes(2, "big") + dns_response(), TCP, 53),
]


@pytest.mark.parametrize("payload,proto,port", CORPUS)
def test_every_truncation_agrees(payload: bytes, proto: int, port: int) -> None:
    for cut in range(len(payload) + 1):
        check_agrees(payload[:cut], proto, 40000, port)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300), st.sampled_from([TCP, UDP]), st.sampled_from([53, 80, 443, 9]))
def test_random_payloads_agree(payload: bytes, proto: int, port: int) -> None:
    check_agrees(payload, proto, 40000, port)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(CORPUS), st.data())
def test_mutated_messages_agree(item: tuple[bytes, int, int], data: st.DataObject) -> None:
    payload, proto, port = item
    pos = data.draw(st.integers(0, len(payload) - 1))
    value = data.draw(st.integers(0, 255))
    mutated = payload[:pos] + bytes([value]) + payload[pos + 1 :]
    check_agrees(mutated, proto, 40000, port)
