"""Content-test screens (``Dissector.screens``, evaluated by ``pipeline.screens``) never cut a
payload ``matches`` accepts.

Checked on the first payload of each direction of every flow of the shared captures (the
corpus of ``test_dissect_first_bytes``), on hand-built positives and on hypothesis-drawn
payloads (random, and positives with bytes changed or cut):

(a) a class whose screens all fail on a payload does not accept it;
(b) ``registry.identify`` told what the screens exclude returns what it returns without
    them, and a payload the screens mark as matching nothing is identified as nothing;
(c) the compiled evaluation equals a naive one written from ``Screen``'s declared meaning.

The real-capture parts skip when the shared captures are absent.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_dissect_first_bytes import MANIFEST, SYNTHETIC, corpus, needs_data, positives

from wirelens.dissect import registry
from wirelens.dissect.base import IPPROTO_TCP, IPPROTO_UDP, Screen
from wirelens.pipeline.screens import NOTHING, excluded

COMPILED = frozenset(("dns", "http", "tls"))
"""What the pipeline's content tests skip (dpi.COMPILED), as ``excluded`` is computed for."""


def _excluded(payloads: list[bytes], proto: int) -> list[int]:
    """``excluded`` over payloads laid end to end in one buffer, as in a batch."""
    data = np.frombuffer(b"".join(payloads) + b"\0", np.uint8)
    n = np.array([len(p) for p in payloads], np.int64)
    off = np.concatenate([[0], np.cumsum(n)[:-1]]).astype(np.int64)
    return list(excluded(data, off, n, proto, COMPILED).tolist())


def _holds(screen: Screen, p: bytes) -> bool:
    """A screen's declared meaning (``dissect.base.Screen``), byte by byte."""
    def at(k: int) -> int:
        return p[k] if k < len(p) else 0
    if len(p) < screen.min_len:
        return False
    if any(at(o + j) != b for o, raw in screen.equals for j, b in enumerate(raw)):
        return False
    if any(at(o) not in values for o, values in screen.values):
        return False
    if screen.length is not None:
        o, width, order, delta = screen.length
        field = int.from_bytes(bytes(at(o + j) for j in range(width)), order)
        return field == len(p) - delta
    return True


def _naive_excluded(p: bytes, proto: int) -> int:
    """The naive reference of the compiled ``excluded``: per screened class, its bit when its
    first bytes refuse ``p`` or all its screens fail (or it is never tested: COMPILED);
    NOTHING when no class can take it."""
    classes = registry.screened(proto)
    if not p:
        return (1 << len(classes)) - 1
    mask = 0
    for bit, (cls, screens) in enumerate(classes):
        allowed = cls.first_bytes_on(proto)
        if cls.name in COMPILED or (allowed is not None and p[0] not in allowed) or not any(
                _holds(s, p) for s in screens):
            mask |= 1 << bit
    unscreened, bits = registry.screen_bits(proto, COMPILED)[p[0]]
    return NOTHING if not unscreened and bits & ~mask == 0 else mask


def _check(samples: list[tuple[bytes, int, bool, int, int]]) -> None:
    for proto in (IPPROTO_TCP, IPPROTO_UDP):
        mine = [s for s in samples if s[1] == proto and s[0]]
        if not mine:
            continue
        bits = {cls: 1 << i for i, (cls, _) in enumerate(registry.screened(proto))}
        for (payload, _, side, sp, dp), ex in zip(mine, _excluded([s[0] for s in mine], proto)):
            assert ex == _naive_excluded(payload, proto), (proto, payload[:24])
            plain = registry.identify(payload, proto, side, sp, dp, COMPILED)
            if ex == NOTHING:
                assert plain is None, (proto, plain, payload[:24])
                continue
            for cls, bit in bits.items():  # (a)
                if ex & bit:
                    assert not cls.matches(payload, proto, side), (cls.name, payload[:24])
            assert registry.identify(payload, proto, side, sp, dp, COMPILED, ex) is plain  # (b)


def test_screened_classes_declared() -> None:
    """The classes without a first-byte set on a transport all have screens there, and a
    screen is a real filter: random bytes fail it."""
    names = {(proto, cls.name) for proto in (IPPROTO_TCP, IPPROTO_UDP)
             for cls, _ in registry.screened(proto)}
    assert {(6, "modbus"), (6, "mysql"), (6, "mongodb"), (6, "openvpn"), (6, "stun"),
            (17, "ike"), (17, "netbios_ns"), (17, "stun")} <= names
    noise = [bytes(np.random.default_rng(k).integers(0, 256, 200, dtype=np.uint8))
             for k in range(20)]
    for proto in (IPPROTO_TCP, IPPROTO_UDP):
        full = (1 << len(registry.screened(proto))) - 1
        assert all(ex == NOTHING or ex == full for ex in _excluded(noise, proto))


def test_hand_built_positives_pass_their_screens() -> None:
    _check([(p, proto, side, 0, 0) for _, p, proto, side in SYNTHETIC])


@needs_data
def test_real_first_payloads() -> None:
    samples = list(corpus())
    assert len(samples) > 3000
    _check(samples)
    # the screened classes do accept real payloads (the check above is not vacuous)
    accepted = {cls.name for proto in (IPPROTO_TCP, IPPROTO_UDP)
                for cls, _ in registry.screened(proto) if positives(cls.name)}
    assert {"stun", "openvpn", "ike", "netbios_ns", "dhcp", "wireguard"} <= accepted


FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(st.lists(st.binary(min_size=1, max_size=300), min_size=1, max_size=20),
       st.sampled_from([IPPROTO_TCP, IPPROTO_UDP]), st.booleans())
def test_random_payloads(payloads: list[bytes], proto: int, side: bool) -> None:
    _check([(p, proto, side, 1024, 443) for p in payloads])


@FAST
@given(st.data())
def test_positives_changed(data: st.DataObject) -> None:
    """Positives of every screened class (hand-built, and real when the captures are
    there) with one byte changed and the tail cut: the screens follow ``matches``."""
    pool = [(p, proto, side) for proto in (IPPROTO_TCP, IPPROTO_UDP)
            for cls, _ in registry.screened(proto)
            for p, pr, side in positives(cls.name)[:8] if pr == proto]
    if not pool:
        pytest.skip(f"no positives without the shared captures ({MANIFEST})")
    payload, proto, side = data.draw(st.sampled_from(pool))
    at = data.draw(st.integers(0, len(payload) - 1))
    value = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(at + 1, len(payload)))
    changed = payload[:at] + bytes((value,)) + payload[at + 1:cut]
    _check([(payload, proto, side, 0, 0), (changed, proto, side, 0, 0)])


def test_more_screened_classes_than_a_word_holds(monkeypatch: pytest.MonkeyPatch) -> None:
    """More screened classes than an int64 word has bits (130: three words): every class keeps
    its screens, its bit is right in every word, and identification is unchanged."""
    from wirelens.dissect.base import Dissector

    def make(k: int) -> type[Dissector]:
        tag = bytes((0x40 + k % 64, k // 64))

        class Tagged(Dissector):
            name = f"tagged{k}"
            transports = frozenset((IPPROTO_TCP,))
            ports = frozenset()
            screens = {IPPROTO_TCP: (Screen(4, equals=((0, tag),)),)}

            @classmethod
            def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
                return payload[:2] == tag and len(payload) >= 4

            def feed(self, data: bytes, from_orig: bool, ts_ns: int) -> list[object]:  # type: ignore[override]
                return []

        return Tagged

    many = tuple(make(k) for k in range(130))
    monkeypatch.setattr(registry, "DISSECTORS", many)
    assert [c for c, _ in registry.screened(IPPROTO_TCP)] == list(many)
    payloads = [c.screens[IPPROTO_TCP][0].equals[0][1] + b"xx" for c in many]  # type: ignore[attr-defined]
    full = (1 << len(many)) - 1
    for k, (cls, payload, ex) in enumerate(zip(many, payloads, _excluded(payloads, IPPROTO_TCP),
                                               strict=True)):
        assert ex == full & ~(1 << k), k  # only its own class is left
        assert registry.identify(payload, IPPROTO_TCP, True, 1, 2, COMPILED, ex) is cls
    _check([(p, IPPROTO_TCP, True, 1, 2) for p in payloads]
           + [(b"\x40\x05zz", IPPROTO_TCP, True, 1, 2), (b"", IPPROTO_TCP, True, 1, 2)])
    assert _excluded([b"zzzz"], IPPROTO_TCP) == [NOTHING]  # no first byte of theirs
