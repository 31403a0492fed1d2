"""Property/fuzz tests of every dissector.

Invariant (for every input): feeding bytes to a dissector, in any split, then calling
``finish()`` (also after a ``feed`` raised, as the DPI stage does to write what was read
before the damage), returns a list of :class:`~wirelens.dissect.base.Event` or raises a
:class:`~wirelens.wire.errors.ParseError` subclass -- never another exception; after each
feed that returned, ``name_final()`` answers True or False -- and
does so quickly (hypothesis ``deadline``: 250 ms per input, generous for CI; typical runs
are well under 5 ms). ``matches`` never raises at all. Long runs:
``.venv/bin/python bench/fuzz_dissectors.py --seconds 600``.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from wl_dissect_builders import (
    HTTP_REQUESTS,
    HTTP_RESPONSES,
    client_hello,
    dns_query,
    dns_rich_response,
    mutate,
    record,
    records,
    server_hello,
    tcp_frame,
    tls_conversation,
)

from wirelens.dissect import DISSECTORS, identify
from wirelens.dissect.base import Dissector, Event
from wirelens.dissect.dns import DnsDissector, parse_message
from wirelens.dissect.http import HttpDissector
from wirelens.dissect.tls import TlsDissector, parse_client_hello, parse_server_hello
from wirelens.wire import ParseError

FUZZ = settings(
    max_examples=200, deadline=250, suppress_health_check=[HealthCheck.too_slow]
)

# (dissector, transport, chunks) seeds: valid conversations to mutate
SEEDS: list[tuple[type[Dissector], int, list[tuple[bool, bytes]]]] = [
    (DnsDissector, 17, [(True, dns_query(1, "www.example.com")), (False, dns_rich_response(1))]),
    (
        DnsDissector,
        6,
        [(True, tcp_frame(dns_query(1, "www.example.com"))), (False, tcp_frame(dns_rich_response(1)))],
    ),
    (HttpDissector, 6, [(True, HTTP_REQUESTS), (False, HTTP_RESPONSES)]),
    (TlsDissector, 6, tls_conversation(True)),
    (TlsDissector, 6, tls_conversation(False)),
    (TlsDissector, 6, [(True, records(22, client_hello(padding=200), 50))]),
]


def run(cls: type[Dissector], proto: int, chunks: list[tuple[bool, bytes]], step: int) -> None:
    """Feed, then finish (after a failed feed too); assert the invariant (ParseError is an
    accepted outcome of each)."""
    d = cls(proto)
    try:
        for from_orig, data in chunks:
            if proto == 17 or step <= 0:
                out = d.feed(data, from_orig, 0)
                assert isinstance(out, list) and all(isinstance(e, Event) for e in out)
                assert d.name_final() in (True, False)
            else:
                for i in range(0, len(data), step):
                    out = d.feed(data[i : i + step], from_orig, 0)
                    assert isinstance(out, list) and all(isinstance(e, Event) for e in out)
                    assert d.name_final() in (True, False)
    except ParseError:
        pass
    try:
        out = d.finish()
        assert isinstance(out, list) and all(isinstance(e, Event) for e in out)
    except ParseError:
        pass


EDITS = st.lists(
    st.tuples(st.integers(0, 3), st.integers(0, 1 << 16), st.integers(0, 255)),
    min_size=1,
    max_size=6,
)


@FUZZ
@given(
    st.sampled_from(range(len(SEEDS))),
    st.integers(0, 5),
    EDITS,
    st.sampled_from([0, 1, 3, 17, 200]),
)
def test_fuzz_mutated_conversations(seed: int, which: int, edits: list, step: int) -> None:  # type: ignore[type-arg]
    """Mutations of valid conversations: invariant of the module docstring."""
    cls, proto, chunks = SEEDS[seed]
    which %= len(chunks)
    chunks = list(chunks)
    chunks[which] = (chunks[which][0], mutate(chunks[which][1], edits))
    run(cls, proto, chunks, step)
    for from_orig, data in chunks:  # the content tests never raise
        assert isinstance(cls.matches(data, proto, from_orig), bool)


@FUZZ
@given(
    st.sampled_from(DISSECTORS),
    st.sampled_from([6, 17]),
    st.lists(st.tuples(st.booleans(), st.binary(max_size=300)), max_size=4),
    st.sampled_from([0, 1, 7]),
)
def test_fuzz_random_bytes(cls: type[Dissector], proto: int, chunks: list, step: int) -> None:  # type: ignore[type-arg]
    """Random bytes: invariant of the module docstring; identify never raises."""
    if proto not in cls.transports:
        proto = next(iter(cls.transports))
    run(cls, proto, chunks, step)
    for from_orig, data in chunks:
        found = identify(data, proto, from_orig, 1234, 80)
        assert found is None or found in DISSECTORS


PREFIXED = st.sampled_from(
    [
        b"\x16\x03\x01",  # TLS handshake record header start
        b"\x16\x03\x03\x00\x40\x01\x00\x00\x3c\x03\x03",
        b"GET / HTTP/1.1\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
        b"\x00\x1d\x12\x34\x01\x00\x00\x01\x00\x00",  # DNS over TCP header start
    ]
)


@FUZZ
@given(PREFIXED, st.binary(max_size=400), st.sampled_from(DISSECTORS), st.booleans())
def test_fuzz_plausible_prefixes(prefix: bytes, tail: bytes, cls: type[Dissector], side: bool) -> None:
    """Random tails after plausible headers reach deeper states; same invariant."""
    run(cls, 6 if 6 in cls.transports else 17, [(side, prefix + tail)], 0)


@FUZZ
@given(st.binary(max_size=600))
def test_fuzz_message_parsers(data: bytes) -> None:
    """The whole-message parsers return a value or raise ParseError."""
    for parse in (parse_message, parse_client_hello, parse_server_hello):
        try:
            parse(data)
        except ParseError:
            pass


@FUZZ
@given(EDITS)
def test_fuzz_mutated_hellos(edits: list) -> None:  # type: ignore[type-arg]
    """Mutated hello bodies: parse or ParseError."""
    for body, parse in (
        (client_hello()[4:], parse_client_hello),
        (server_hello(alpn="h2")[4:], parse_server_hello),
        (dns_rich_response(), parse_message),
        (record(22, client_hello()), parse_message),
    ):
        try:
            parse(mutate(body, edits))
        except ParseError:
            pass
