"""The registry's first-byte prefilter: ``first_bytes`` never cuts a payload ``matches`` accepts.

``Dissector.first_bytes`` lists every value the first payload byte can take when a class's
``matches`` accepts; :func:`wirelens.dissect.registry.identify` runs only the content tests
of the classes admitting ``payload[0]``. Checked here:

(a) for every registered class with ``first_bytes``: payloads whose first byte is outside it
    are refused: known positives (hand-built, and the real-capture first payloads a class
    accepts) with the first byte replaced by every other value, and hypothesis-generated
    ones (random bytes, positives with a drawn foreign first byte);
(b) over real captures (the first payload of each direction of every flow of the shared
    captures listed in MANIFEST.csv, duplicates left out): whenever ``matches`` accepts,
    ``payload[0]`` is in ``first_bytes``;
(c) ``identify`` with the prefilter returns exactly what the unfiltered loop (written here
    as the reference) returns, on the same corpus and on random payloads.

The real-capture parts skip when /work/shared/data is absent.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from wl_dissect_builders import HTTP_REQUESTS, client_hello, record
from wl_mini_pcap import flows

from wirelens.dissect import registry
from wirelens.dissect.base import IPPROTO_TCP, IPPROTO_UDP, Dissector

DATA = Path(__file__).resolve().parents[3] / ".." / "shared" / "data"
MANIFEST = DATA / "MANIFEST.csv"
needs_data = pytest.mark.skipif(
    not MANIFEST.is_file(), reason=f"shared captures not found at {DATA} (see its README.md)"
)

COMPILED = frozenset(("dns", "http", "tls"))
"""The names the pipeline skips (the compiled classifier decides them, dpi.COMPILED)."""
SKIPS: tuple[frozenset[str], ...] = (frozenset(), COMPILED)

FAST = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)

Sample = tuple[bytes, int, bool, int, int]
"""(first payload of one direction, IP protocol, from originator, sport, dport)."""

SYNTHETIC: tuple[tuple[str, bytes, int, bool], ...] = (
    ("tls", record(22, client_hello()), IPPROTO_TCP, True),
    ("http", HTTP_REQUESTS, IPPROTO_TCP, True),
    ("http", b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", IPPROTO_TCP, False),
    ("http", b"BREW /pot HTTP/1.1\r\n", IPPROTO_TCP, True),
    ("smtp", b"220 mx.example ESMTP ready\r\n", IPPROTO_TCP, False),
    ("smtp", b"ehlo client.example\r\n", IPPROTO_TCP, True),
    ("ftp", b"220 FTP server ready\r\n", IPPROTO_TCP, False),
    ("ftp", b"user anonymous\r\n", IPPROTO_TCP, True),
    ("imap", b"* OK IMAP4rev2 ready\r\n", IPPROTO_TCP, False),
    ("pop3", b"+OK POP3 ready\r\n", IPPROTO_TCP, False),
    ("ssh", b"SSH-2.0-OpenSSH_9.6\r\n", IPPROTO_TCP, True),
    ("vnc", b"RFB 003.008\n", IPPROTO_TCP, False),
    ("telnet", b"\xff\xfd\x18\xff\xfd\x20", IPPROTO_TCP, False),
    ("syslog", b"<34>Oct 11 22:14:15 host su: x", IPPROTO_UDP, True),
    ("syslog", b"30 <34>Oct 11 22:14:15 host su: x", IPPROTO_TCP, True),
    ("redis", b"*1\r\n$4\r\nPING\r\n", IPPROTO_TCP, True),
    ("redis", b"+PONG\r\n", IPPROTO_TCP, False),
    ("redis", b"KEYS user:1\r\n", IPPROTO_TCP, True),
    ("bittorrent", b"\x13BitTorrent protocol" + bytes(48), IPPROTO_TCP, True),
    ("postgresql", (8).to_bytes(4, "big") + (80877103).to_bytes(4, "big"), IPPROTO_TCP, True),
    ("postgresql", b"R" + (8).to_bytes(4, "big") + bytes(4), IPPROTO_TCP, False),
    ("wireguard", b"\x04\x00\x00\x00" + bytes(28), IPPROTO_UDP, True),
    ("ssdp", b"M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\n\r\n", IPPROTO_UDP, True),
    ("dnp3", bytes.fromhex("0564 05c0 0100 0000 91f8"), IPPROTO_TCP, True),  # header + CRC
)
"""Hand-built positives (each must be accepted), so part (a) runs without the captures."""


def _registered() -> tuple[type[Dissector], ...]:
    return registry.DISSECTORS


def _filtered() -> list[type[Dissector]]:
    return [cls for cls in _registered() if cls.first_bytes is not None]


def _reference_identify(
    payload: bytes, proto: int, from_orig: bool, sport: int, dport: int, skip: frozenset[str]
) -> type[Dissector] | None:
    """The unfiltered registry loop: every content test of ``running_on``, no prefilter;
    without a match, the own-port tests of the classes with the destination port, then the
    source port."""
    if not payload:
        return None
    found = [cls for cls in registry.running_on(proto, skip)
             if cls.matches(payload, proto, from_orig)]
    if not found:
        return next((cls for port in (dport, sport) for cls in registry.running_on(proto, skip)
                     if port in cls.ports and cls.matches_on_own_port(payload, proto, from_orig)),
                    None)
    for cls in found if len(found) > 1 else ():
        if sport in cls.ports or dport in cls.ports:
            return cls
    return found[0] if found else None


def _capture_paths() -> Iterator[Path]:
    with MANIFEST.open(newline="") as fh:
        for row in csv.DictReader(fh):
            if not row["dup_of"] and row["format"] in ("pcap", "pcapng"):
                yield DATA / row["path"]


@cache
def corpus() -> tuple[Sample, ...]:
    """First payload of each direction of every flow of the (deduplicated) shared captures."""
    out: list[Sample] = []
    for path in _capture_paths():
        if not path.is_file():
            continue
        for flow in flows(path):
            firsts: dict[bool, bytes] = {}
            for side, data, _ in flow.chunks:
                firsts.setdefault(side, data)
            for side, data in firsts.items():
                a, b = (flow.orig, flow.resp) if side else (flow.resp, flow.orig)
                out.append((data, flow.proto, side, a[1], b[1]))
    return tuple(out)


@cache
def positives(name: str) -> tuple[tuple[bytes, int, bool], ...]:
    """(payload, proto, from_orig) accepted by the class named ``name``: the hand-built
    ones, then up to 40 real first payloads (when the captures are there)."""
    cls = registry.by_name(name)
    assert cls is not None
    out = [(p, proto, side) for n, p, proto, side in SYNTHETIC if n == name]
    if MANIFEST.is_file():
        seen: set[bytes] = set()
        for payload, proto, side, _, _ in corpus():
            if len(seen) >= 40:
                break
            if proto in cls.transports and payload not in seen and cls.matches(
                    payload, proto, side):
                seen.add(payload)
                out.append((payload, proto, side))
    return tuple(out)


# -- the declarations ----------------------------------------------------------------------


def test_first_bytes_are_proper_byte_sets() -> None:
    """A set is a frozenset of byte values and smaller than all 256 (else it says None)."""
    assert len(_filtered()) >= 20
    for cls in _filtered():
        assert isinstance(cls.first_bytes, frozenset), cls.name
        assert cls.first_bytes, cls.name
        assert all(isinstance(b, int) and 0 <= b <= 255 for b in cls.first_bytes), cls.name
        assert len(cls.first_bytes) < 256, cls.name


@pytest.mark.parametrize(("name", "payload", "proto", "side"), SYNTHETIC)
def test_hand_built_positives_match(name: str, payload: bytes, proto: int, side: bool) -> None:
    cls = registry.by_name(name)
    assert cls is not None and cls.first_bytes is not None
    assert cls.matches(payload, proto, side)
    assert payload[0] in cls.first_bytes


# -- (a) a first byte outside the set is refused ---------------------------------------------


@pytest.mark.parametrize("cls", _filtered(), ids=lambda c: c.name)
def test_every_foreign_first_byte_refused_on_positives(cls: type[Dissector]) -> None:
    """Each known positive, with its first byte replaced by every value outside the set,
    is refused (same transport; either direction)."""
    assert cls.first_bytes is not None
    foreign = [b for b in range(256) if b not in cls.first_bytes]
    for payload, proto, side in positives(cls.name)[:16]:
        for b in foreign:
            mutated = bytes((b,)) + payload[1:]
            for from_orig in (side, not side):
                assert not cls.matches(mutated, proto, from_orig), (cls.name, b, payload[:32])


@pytest.mark.parametrize("cls", _filtered(), ids=lambda c: c.name)
@FAST
@given(data=st.data(), rest=st.binary(max_size=300), from_orig=st.booleans())
def test_random_payloads_with_foreign_first_byte_refused(
    cls: type[Dissector], data: st.DataObject, rest: bytes, from_orig: bool
) -> None:
    """Invariant: random bytes after a first byte outside ``first_bytes`` never match, on
    any transport of the class, in either direction."""
    assert cls.first_bytes is not None
    foreign = [b for b in range(256) if b not in cls.first_bytes]
    first = data.draw(st.sampled_from(foreign))
    proto = data.draw(st.sampled_from(sorted(cls.transports)))
    assert not cls.matches(bytes((first,)) + rest, proto, from_orig)


@pytest.mark.parametrize("cls", _filtered(), ids=lambda c: c.name)
@FAST
@given(data=st.data(), from_orig=st.booleans())
def test_positives_with_drawn_foreign_first_byte_refused(
    cls: type[Dissector], data: st.DataObject, from_orig: bool
) -> None:
    """Invariant: a positive of the class (or of any class with a set: the other
    protocols' structure) keeps being refused once its first byte is foreign, whatever
    its tail is cut to."""
    assert cls.first_bytes is not None
    foreign = [b for b in range(256) if b not in cls.first_bytes]
    pool = [p for other in _filtered() for p in positives(other.name)[:8]]
    payload, _, _ = data.draw(st.sampled_from(pool))
    cut = data.draw(st.integers(1, len(payload)))
    first = data.draw(st.sampled_from(foreign))
    proto = data.draw(st.sampled_from(sorted(cls.transports)))
    assert not cls.matches(bytes((first,)) + payload[1:cut], proto, from_orig)


# -- (b) real first payloads: an accepted payload's first byte is declared -------------------


@needs_data
def test_accepted_real_payloads_start_with_a_declared_byte() -> None:
    """Every class with a set, on every corpus payload of its transports, in both
    directions: ``matches`` accepting implies ``payload[0] in first_bytes``."""
    samples = corpus()
    assert len(samples) > 3000
    accepted = dict.fromkeys((cls.name for cls in _filtered()), 0)
    missed = []
    for payload, proto, side, _, _ in samples:
        for cls in _filtered():
            if proto not in cls.transports:
                continue
            assert cls.first_bytes is not None
            for from_orig in (side, not side):
                if cls.matches(payload, proto, from_orig):
                    accepted[cls.name] += 1
                    if payload[0] not in cls.first_bytes:
                        missed.append((cls.name, payload[:16].hex()))
    assert not missed, missed[:20]
    # the corpus does exercise the sets: most classes accept some real payload
    assert sum(1 for n in accepted.values() if n) >= len(accepted) * 2 // 3, accepted


# -- (c) identify is unchanged by the prefilter ----------------------------------------------


@needs_data
@pytest.mark.parametrize("skip", SKIPS, ids=("all", "compiled_skipped"))
def test_identify_same_as_unfiltered_on_real_payloads(skip: frozenset[str]) -> None:
    samples = corpus()
    differ = []
    identified = 0
    for payload, proto, side, sport, dport in samples:
        for from_orig in (side, not side):
            want = _reference_identify(payload, proto, from_orig, sport, dport, skip)
            got = registry.identify(payload, proto, from_orig, sport, dport, skip)
            identified += want is not None
            if got is not want:
                differ.append((payload[:16].hex(), proto, from_orig, want, got))
    assert not differ, differ[:20]
    assert identified > 1000


@FAST
@given(
    payload=st.binary(min_size=1, max_size=200),
    proto=st.sampled_from((IPPROTO_TCP, IPPROTO_UDP)),
    from_orig=st.booleans(),
    ports=st.tuples(st.integers(0, 65535), st.integers(0, 65535)),
    skip=st.sampled_from(SKIPS),
)
def test_identify_same_as_unfiltered_on_random_payloads(
    payload: bytes, proto: int, from_orig: bool, ports: tuple[int, int], skip: frozenset[str]
) -> None:
    want = _reference_identify(payload, proto, from_orig, *ports, skip)
    assert registry.identify(payload, proto, from_orig, *ports, skip) is want


def test_identify_same_as_unfiltered_on_hand_built_positives() -> None:
    for _, payload, proto, side in SYNTHETIC:
        for skip in SKIPS:
            want = _reference_identify(payload, proto, side, 40000, 40001, skip)
            assert want is not None or "tls" in skip or "http" in skip
            assert registry.identify(payload, proto, side, 40000, 40001, skip) is want


# -- the cache -------------------------------------------------------------------------------


def test_by_first_byte_table_follows_first_bytes_and_dissectors(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for proto in (IPPROTO_TCP, IPPROTO_UDP):
        for skip in SKIPS:
            table = registry.by_first_byte(proto, skip)
            assert len(table) == 256
            assert registry.by_first_byte(proto, skip) is table  # cached
            running = registry.running_on(proto, skip)
            for byte, row in enumerate(table):
                assert row == tuple(c for c in running if c.first_bytes_on(proto) is None
                                    or byte in c.first_bytes_on(proto))
    tls = registry.by_name("tls")
    assert tls is not None and tls.first_bytes is not None
    outside = min(b for b in range(256) if b not in tls.first_bytes)
    assert tls in registry.by_first_byte(IPPROTO_TCP)[0x16]
    assert tls not in registry.by_first_byte(IPPROTO_TCP)[ord("G")]
    monkeypatch.setattr(registry, "DISSECTORS", (tls,))  # replaced: the table is rebuilt
    table = registry.by_first_byte(IPPROTO_TCP)
    assert table[0x16] == (tls,) and table[outside] == ()


# -- per-transport sets (``first_bytes_on`` narrower than ``first_bytes``) -------------------


def _narrowed() -> list[tuple[type[Dissector], int]]:
    """(class, transport) where the class declares a first-byte set for that transport
    narrower than its overall ``first_bytes``."""
    out = []
    for cls in _registered():
        for proto in sorted(cls.transports):
            first = cls.first_bytes_on(proto)
            if first is not None and (cls.first_bytes is None or first < cls.first_bytes):
                out.append((cls, proto))
    return out


def test_narrowed_sets_declared() -> None:
    """STUN and OpenVPN start with a fixed byte over UDP only (a length prefix over TCP)."""
    pairs = {(cls.name, proto) for cls, proto in _narrowed()}
    assert {("stun", IPPROTO_UDP), ("openvpn", IPPROTO_UDP)} <= pairs
    for cls, proto in _narrowed():
        first = cls.first_bytes_on(proto)
        assert isinstance(first, frozenset) and first and len(first) < 256
        assert cls in registry.running_on(proto)
        table = registry.by_first_byte(proto)  # follows the transport's set
        assert {b for b in range(256) if cls in table[b]} == first


@pytest.mark.parametrize(("cls", "proto"), _narrowed(), ids=lambda v: getattr(v, "name", v))
@FAST
@given(data=st.data(), rest=st.binary(max_size=300), from_orig=st.booleans())
def test_transport_set_refuses_foreign_first_bytes(
    cls: type[Dissector], proto: int, data: st.DataObject, rest: bytes, from_orig: bool
) -> None:
    """Invariant: on that transport a payload whose first byte is outside the set never
    matches: random tails, and known positives of any class (their tail cut anywhere)."""
    first = cls.first_bytes_on(proto)
    assert first is not None
    byte = data.draw(st.sampled_from([b for b in range(256) if b not in first]))
    assert not cls.matches(bytes((byte,)) + rest, proto, from_orig)
    pool = [p for other in _registered() for p in positives(other.name)[:8]]
    if pool:
        payload, _, _ = data.draw(st.sampled_from(pool))
        cut = data.draw(st.integers(1, len(payload)))
        assert not cls.matches(bytes((byte,)) + payload[1:cut], proto, from_orig)


@pytest.mark.parametrize(("cls", "proto"), _narrowed(), ids=lambda v: getattr(v, "name", v))
def test_transport_set_keeps_positives(cls: type[Dissector], proto: int) -> None:
    """Known positives on that transport (and every real first payload the class accepts
    there) start with a byte of the set; mutating it to any other byte is refused."""
    first = cls.first_bytes_on(proto)
    assert first is not None
    built = {"stun": b"\x00\x01\x00\x00\x21\x12\xa4\x42" + bytes(12),
             "openvpn": bytes((7 << 3,)) + bytes(8) + b"\x00" + bytes(4)}
    samples = [(p, side) for p, pr, side in positives(cls.name) if pr == proto]
    if MANIFEST.is_file():
        samples += [(p, side) for p, pr, side, _, _ in corpus()
                    if pr == proto and cls.matches(p, pr, side)]
    if cls.name in built and cls.matches(built[cls.name], proto, True):
        samples.append((built[cls.name], True))
    assert samples or not MANIFEST.is_file(), cls.name
    for payload, side in samples[:64]:
        assert payload[0] in first, (cls.name, payload[:16])
        for byte in range(256):
            if byte not in first:
                assert not cls.matches(bytes((byte,)) + payload[1:], proto, side)
