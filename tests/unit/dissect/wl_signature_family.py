"""The generic checks of the content-signature family tests (``test_dissect_signatures_<family>``).

Each family file keeps its own data (builders, POSITIVES, NEGATIVES, prefix tables, expected
counts and the explanation of every miss) and its family-specific tests; the check bodies
they share live here as plain functions. Where two files did the same check differently,
the function does the stricter of the two or takes a parameter for the difference.

Fuzz invariant (hypothesis, 250 ms deadline per input): for any bytes ``matches`` returns a
bool from either side and never raises; ``feed`` (whole, byte by byte or in 7-byte chunks)
and ``finish`` return no events and raise nothing; uniformly random payloads are refused.

Synthetic checks: ``check_identified_on_any_ports``, ``check_refuses``,
``check_truncations``, ``check_feed_identification_only``, ``check_refuses_random``,
``check_other_first_payloads``, ``random_payload_hits``, ``fuzz_invariant``,
``screens_admit``, ``matches_cost``. Real captures (helpers of
``test_dissect_signatures_captures``): ``matched``, ``ndpi_hits``, ``check_other_captures``,
``corpus_hits``, ``registry_changes``.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Sequence
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_dissect_signatures_captures import Sample, _samples, all_samples, ndpi_samples
from wl_dissect_builders import OTHER_FIRST_PAYLOADS, mutate
from wl_strategies import uniform_bytes

from wirelens.dissect import registry
from wirelens.dissect.base import Dissector, Event, Screen

TCP, UDP = 6, 17
Family = Sequence[type[Dissector]]
F = Callable[..., None]

DATA = Path(__file__).resolve().parents[3] / ".." / "shared" / "data"
CFGS = DATA / "nDPI" / "tests" / "cfgs"
needs_data = pytest.mark.skipif(
    not CFGS.is_dir(), reason=f"shared captures not found at {DATA} (see its README.md)")
"""The shared captures (/work/shared/data): the real-capture tests need them."""

FUZZ = settings(max_examples=300, deadline=250, suppress_health_check=[HealthCheck.too_slow])
"""The fuzz tests' settings: 300 examples, 250 ms deadline per input."""
PROTOS = st.sampled_from([TCP, UDP])
FUZZ_BYTES = st.binary(max_size=400)
"""Any bytes, the modules' own literals included (welcome in a robustness test)."""
STEPS = st.sampled_from([0, 1, 7])
"""Feed chunk sizes (0: whole)."""
EDITS = st.lists(st.tuples(st.integers(0, 3), st.integers(0, 4096), st.integers(0, 255)),
                 min_size=1, max_size=5)
"""Edits for ``mutate``: bytes overwritten, inserted, deleted or the payload cut."""


def random_payloads(test: F) -> F:
    """Hypothesis: a uniformly random payload (``uniform_bytes(300)``), a transport and a
    side, 300 examples (250 ms deadline)."""
    return FUZZ(given(uniform_bytes(300), PROTOS, st.booleans())(test))


def name_of(cls: type[Dissector]) -> str:
    """A test id: the class's name."""
    return cls.name


def case_id(case: tuple) -> str:  # type: ignore[type-arg]
    """A positive's test id: class name and transport."""
    return f"{case[0].name}-{'tcp' if case[1] == TCP else 'udp'}"


Case = tuple  # type: ignore[type-arg]
"""A positive: (class, transport or side, ..., payload, ...) as each family file lays it out."""


def positives(cases: Sequence[Case], id_of: Callable[[Case], str] = case_id,
              ) -> pytest.MarkDecorator:
    """Parametrize ``case`` over the positives, ids from ``id_of``."""
    return pytest.mark.parametrize("case", cases, ids=[id_of(c) for c in cases])


def negatives(cases: Sequence[tuple[type[Dissector], object, bytes, str]]) -> pytest.MarkDecorator:
    """Parametrize ``case`` over the negatives (class, transport or side, payload, why), ids
    from the class name and the broken fact."""
    return pytest.mark.parametrize("case", cases, ids=[f"{c[0].name}-{c[3]}" for c in cases])


HIGH_PORTS = ((51000, 40123), (40123, 51001))
"""Random high port pairs (client port, server port): identification is by content."""


class _Any:
    """Marks an expectation left unchecked (a name some classes set and some do not)."""

    def __repr__(self) -> str:
        return "ANY"


ANY = _Any()
SOME = object()
"""An expected ``server_name``: some name (not None), whatever it is."""


# --- synthetic messages -------------------------------------------------------------------


def check_identified_on_any_ports(
    cls: type[Dissector], proto: int, payload: bytes, family: Family, *, side: bool = True,
    both_sides_match: bool = False, port_cases: Iterable[tuple[bool, int, int]] | None = None,
    among: Iterable[type[Dissector]] | None = None,
) -> None:
    """``cls`` accepts ``payload`` (from ``side``; from both sides if ``both_sides_match``),
    the whole registry identifies it as ``cls`` on each (side, source port, destination port)
    of ``port_cases`` (default: its lowest well-known port, if any, and ``HIGH_PORTS``, the
    ports swapped for a responder's payload), no other class of ``among`` (default: the
    family) accepts it from that side on any transport, and its first byte is one the class
    declares."""
    assert cls.matches(payload, proto, side)
    if both_sides_match:
        assert cls.matches(payload, proto, not side)
    if port_cases is None:
        known = [(51000, min(cls.ports))] if cls.ports else []
        port_cases = [(side, *((s, d) if side else (d, s))) for s, d in (*known, *HIGH_PORTS)]
    for from_orig, sport, dport in port_cases:
        found = registry.identify(payload, proto, from_orig, sport, dport)
        assert found is cls, f"{found and found.name} identifies {cls.name} {sport, dport}"
    others = [c.name for c in (family if among is None else among)
              if c is not cls and c.matches(payload, proto, side)]
    assert not others, others
    first = cls.first_bytes_on(proto)
    assert first is None or payload[0] in first, (cls.name, payload[:1])


def check_refuses(cls: type[Dissector], proto: int, payload: bytes, why: str,
                  sides: Iterable[bool] = (True, False)) -> None:
    """A negative (one checked fact broken) is refused from each of ``sides``."""
    for side in sides:
        assert not cls.matches(payload, proto, side), (why, side)


def check_truncations(cls: type[Dissector], proto: int, payload: bytes, exact: bool,
                      allowed: Collection[int] | None, *, side: bool = True,
                      equal: bool = False, one_zero: bool = True) -> None:
    """Every prefix gives a bool; a prefix is accepted only at a length in ``allowed`` (every
    length in ``allowed`` must be accepted too if ``equal``; ``None``: no prefix is checked
    but for the bool); if ``exact`` (the test ties lengths to the payload's) appended junk is
    refused."""
    got = set()
    for cut in range(len(payload)):
        ok = cls.matches(payload[:cut], proto, side)
        assert isinstance(ok, bool)
        if ok:
            got.add(cut)
    if allowed is not None:
        assert not got - set(allowed), (cls.name, sorted(got - set(allowed))[:10])
        if equal:
            assert got == set(allowed), (cls.name, sorted(set(allowed) - got)[:10])
    if exact:
        for junk in (b"\x00junk", b"\x00") if one_zero else (b"\x00junk",):
            assert not cls.matches(payload + junk, proto, side), (cls.name, junk)


def feed_splits(payload: bytes) -> list[list[bytes]]:
    """Whole, first byte then the rest, byte by byte, whole then junk."""
    return [[payload], [payload[:1], payload[1:]],
            [payload[i : i + 1] for i in range(len(payload))], [payload, b"junk\xff"]]


def check_feed_identification_only(
    cls: type[Dissector], proto: int, payload: bytes, *, side: bool = True,
    done: bool | None = True, name: object = None, name_when_cut: object = None,
    same_name: bool = True,
) -> None:
    """Identification only: fed whole, cut after its first byte, byte by byte or followed by
    junk, the class returns no events; ``done`` is what ``d.done`` must be (``None``: not
    checked); the server name is ``name`` when the first chunk is the whole payload and
    ``name_when_cut`` when it is not (``SOME``: a name, ``ANY``: not checked); if
    ``same_name`` it is the same whatever the split."""
    names = set()
    for chunks in feed_splits(payload):
        d = cls(proto)
        events: list[Event] = []
        for chunk in chunks:
            events += d.feed(chunk, side, 1)
        events += d.finish()
        assert events == [], (cls.name, len(chunks), events)
        if done is not None:
            assert d.done is done, (cls.name, len(chunks))
        want = name if chunks[0] == payload else name_when_cut
        if want is SOME:
            assert d.server_name is not None, (cls.name, len(chunks))
        elif want is not ANY:
            assert d.server_name == want, (cls.name, len(chunks), d.server_name)
        names.add(d.server_name)
    if same_name:
        assert len(names) == 1, (cls.name, names)


def check_refuses_random(cls: type[Dissector], payload: bytes, proto: int, from_orig: bool,
                         *, others: bool = True) -> None:
    """A random payload is refused, on any transport (the class's or not); with ``others``,
    so are the other protocols' first payloads."""
    assert not cls.matches(payload, proto, from_orig), (cls.name, payload[:16].hex())
    if others:
        for other in OTHER_FIRST_PAYLOADS:
            assert not cls.matches(other, proto, from_orig), (cls.name, other[:16])


def check_other_first_payloads(family: Family, payloads: Iterable[bytes] = OTHER_FIRST_PAYLOADS,
                               ) -> None:
    """The other protocols' first payloads are refused by every class, from either side, on
    either transport."""
    for payload in payloads:
        for cls in family:
            for proto in (TCP, UDP):
                for side in (True, False):
                    assert not cls.matches(payload, proto, side), (cls.name, payload[:16])


def random_payload_hits(family: Family, sizes: Iterable[int], *, per_size: int = 400,
                        seed: int = 20261201, biased: bool = True) -> dict[str, int]:
    """Uniformly random payloads of each size (and, if ``biased``, the same with a first byte
    each class admits): the classes that take any, with their counts."""
    rng = random.Random(seed)
    hits: Counter[str] = Counter()
    for size in sizes:
        for _ in range(per_size):
            data = rng.randbytes(size)
            for cls in family:
                for proto in cls.transports:
                    hits[cls.name] += cls.matches(data, proto, True)
                    first = cls.first_bytes_on(proto)
                    if biased and first is not None:
                        lead = bytes((rng.choice(sorted(first)),))
                        hits[f"{cls.name}/first"] += cls.matches(lead + data[1:], proto, True)
    return {k: v for k, v in hits.items() if v}


def fuzz_invariant(cls: type[Dissector], proto: int, data: bytes, step: int = 0, *,
                   first_side: bool = True, done: bool = False) -> None:
    """For any bytes: ``matches`` returns a bool from either side, and ``feed`` (the data
    whole if ``step`` is 0, else in ``step``-byte chunks from alternating sides, starting
    with ``first_side``) and ``finish`` return no events; if ``done``, the class is done."""
    assert isinstance(cls.matches(data, proto, True), bool)
    assert isinstance(cls.matches(data, proto, False), bool)
    d = cls(proto)
    out: list[Event] = []
    size = step or max(1, len(data))
    for i in range(0, max(1, len(data)), size):
        out += d.feed(data[i : i + size], (i // size % 2 == 0) is first_side, 0)
        if done:
            assert d.done, cls.name
    assert out + d.finish() == []


def fuzz_mutated(family: Family, proto: int, payload: bytes,
                 edits: Sequence[tuple[int, int, int]], steps: Iterable[int] = (0,)) -> None:
    """A valid sample with bytes changed reaches the deep checks of every class of the
    family: ``fuzz_invariant`` for each feed step of ``steps``."""
    changed = mutate(payload, edits)
    for cls in family:
        for step in steps:
            fuzz_invariant(cls, proto, changed, step)


def screen_holds(screen: Screen, payload: bytes) -> bool:
    """``Screen`` semantics (base.py), evaluated in Python for one payload."""
    if len(payload) < screen.min_len:
        return False
    if any(payload[at : at + len(raw)] != raw for at, raw in screen.equals):
        return False
    if any(payload[at] not in allowed for at, allowed in screen.values):
        return False
    if screen.length is not None:
        at, width, order, delta = screen.length
        return int.from_bytes(payload[at : at + width], order) == len(payload) - delta
    return True


def screens_admit(cls: type[Dissector], payload: bytes, proto: int) -> bool:
    """No screen on ``proto``, or one that holds."""
    screens = cls.screens.get(proto)
    return not screens or any(screen_holds(sc, payload) for sc in screens)


def matches_cost(cls: type[Dissector], payloads: Sequence[bytes], proto: int) -> float:
    """Seconds per ``matches`` call over ``payloads``."""
    start = time.perf_counter()
    for data in payloads:
        cls.matches(data, proto, True)
    return (time.perf_counter() - start) / len(payloads)


# --- real captures ------------------------------------------------------------------------


def matched(family: Family, s: Sample) -> set[str]:
    """Names of the family's classes whose ``matches`` accepts a first payload of ``s``."""
    return {cls.name for cls in family if s.proto in cls.transports
            and any(cls.matches(data, s.proto, side) for side, data in s.firsts)}


def ndpi_hits(family: Family, labels: dict[str, set[str]],
              keep: Callable[[str, Sample], bool] | None = None) -> dict[str, tuple[int, int]]:
    """(hits, total) per service over the nDPI flows labelled with its labels (and kept by
    ``keep``)."""
    got = {}
    for name, wanted in labels.items():
        positives = [s for s in ndpi_samples() if s.label in wanted
                     and (keep is None or keep(name, s))]
        got[name] = (sum(name in matched(family, s) for s in positives), len(positives))
    return got


def check_other_captures(family: Family, name: str,
                         spec: tuple[list[Path], set[int], int, int],
                         also: Collection[str] = ()) -> None:
    """The flows on the service's ports of other projects' captures (every path exists):
    (hits, total) as ``spec`` says, and no other class (but ``also``) claims any."""
    paths, ports, want_hits, want_total = spec
    assert all(p.exists() for p in paths), [p for p in paths if not p.exists()]
    got = [matched(family, s) for p in paths for s in _samples(p) if s.ports & ports]
    assert (sum(name in g for g in got), len(got)) == (want_hits, want_total)
    assert not {n for g in got for n in g} - {name, *also}


def corpus_hits(family: Family, labels: dict[str, set[str]], *,
                unlabelled: Collection[str | None] = (None,), by_capture: bool = False,
                ) -> tuple[dict[tuple[str, str], int], dict[object, int]]:
    """Over every flow of the shared captures (over 6,000; none claimed by two classes of
    the family): the hits on flows labelled with another protocol, per (class, label), and
    on flows whose label is in ``unlabelled``, per class (per (class, capture) if
    ``by_capture``)."""
    samples = all_samples()
    assert len(samples) > 6000
    other: Counter[tuple[str, str]] = Counter()
    unlab: Counter[object] = Counter()
    for s in samples:
        names = matched(family, s)
        assert len(names) <= 1, (names, s)
        for name in names:
            if s.label in unlabelled:
                unlab[(name, s.capture) if by_capture else name] += 1
            elif s.label is not None and s.label not in labels[name]:
                other[(name, s.label)] += 1
    return dict(other), dict(unlab)


def _identify_sides(s: Sample) -> list[str | None]:
    """The registry's answer for each side's first payload."""
    out = []
    for side, data in s.firsts:
        sport, dport = (s.orig[1], s.resp[1]) if side else (s.resp[1], s.orig[1])
        found = registry.identify(data, s.proto, side, sport, dport)
        out.append(found.name if found else None)
    return out


def _identify_flow(s: Sample) -> list[str | None]:
    """The registry's answer for the flow: the first side's payload it names."""
    names = [n for n in _identify_sides(s) if n is not None]
    return [names[0] if names else None]


def registry_changes(monkeypatch: pytest.MonkeyPatch, family: Family, *,
                     per_side: bool = True) -> tuple[Counter[tuple[str, str | None]], Counter[str]]:
    """The registry over every flow of the shared captures with and without the family's
    classes, per side's first payload (per flow if not ``per_side``): the answers that
    changed, (before, after), and the new ones, per name."""
    samples = all_samples()
    assert len(samples) > 6000
    identify = _identify_sides if per_side else _identify_flow
    after = [x for s in samples for x in identify(s)]
    monkeypatch.setattr(registry, "DISSECTORS",
                        tuple(c for c in registry.DISSECTORS if c not in family))
    before = [x for s in samples for x in identify(s)]
    changed = Counter((b, a) for b, a in zip(before, after, strict=True)
                      if b is not None and a != b)
    new = Counter(a for b, a in zip(before, after, strict=True) if b is None and a is not None)
    return changed, new
