"""The one registry of dissectors, in priority order.

Identification is by content: each class's :meth:`~wirelens.dissect.base.Dissector.matches`
looks at the first payload of a flow. Ports only break ties between several content
matches. To add a dissector, import it here and put it in :data:`DISSECTORS`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from wirelens.dissect.base import Dissector, Screen
from wirelens.dissect.dhcp import DhcpDissector
from wirelens.dissect.dhcp6 import Dhcpv6Dissector
from wirelens.dissect.dnp3 import Dnp3Dissector
from wirelens.dissect.dns import DnsDissector
from wirelens.dissect.dtls import DtlsDissector
from wirelens.dissect.ftp import FtpDissector
from wirelens.dissect.http import HttpDissector
from wirelens.dissect.http2 import Http2Dissector
from wirelens.dissect.imap import ImapDissector
from wirelens.dissect.kerberos import KerberosDissector
from wirelens.dissect.ldap import LdapDissector
from wirelens.dissect.modbus import ModbusDissector
from wirelens.dissect.mqtt import MqttDissector
from wirelens.dissect.ntp import NtpDissector
from wirelens.dissect.pop3 import Pop3Dissector
from wirelens.dissect.quic import QuicDissector
from wirelens.dissect.rdp import RdpDissector
from wirelens.dissect.signatures import SIGNATURE_DISSECTORS
from wirelens.dissect.sip import SipDissector
from wirelens.dissect.smb import SmbDissector
from wirelens.dissect.smtp import SmtpDissector
from wirelens.dissect.snmp import SnmpDissector
from wirelens.dissect.ssh import SshDissector
from wirelens.dissect.tls import TlsDissector

__all__ = ["DISSECTORS", "by_first_byte", "by_name", "by_port", "identify", "ports_of",
           "running_on", "screen_bits", "screened"]

DISSECTORS: tuple[type[Dissector], ...] = (
    TlsDissector,  # strictest content test first
    HttpDissector,  # (it hands cleartext HTTP/2 to Http2Dissector at the preface)
    Http2Dissector,
    SmtpDissector,  # 220 greetings: SMTP and FTP may both match one; their ports decide
    FtpDissector,
    ImapDissector,
    Pop3Dissector,
    QuicDissector,  # long header with a known version (UDP)
    DtlsDissector,
    SshDissector,
    DhcpDissector,
    Dhcpv6Dissector,
    KerberosDissector,
    LdapDissector,
    ModbusDissector,
    Dnp3Dissector,
    SmbDissector,
    RdpDissector,
    SipDissector,
    MqttDissector,
    SnmpDissector,
    NtpDissector,  # header plausibility of a 48-byte packet: weaker than the above
    *SIGNATURE_DISSECTORS,  # identification only, strictest first (RTP, the weakest, last)
    DnsDissector,  # header plausibility: the loosest test, last
)
"""Every dissector, in priority order (first content match wins unless a port says
otherwise)."""

_BY_NAME = {cls.name: cls for cls in DISSECTORS}


def by_name(name: str) -> type[Dissector] | None:
    """The dissector class registered under ``name`` (``"dns"``, ``"http"``, ``"tls"``)."""
    return _BY_NAME.get(name)


_NONE: frozenset[str] = frozenset()

_memo: tuple[tuple[type[Dissector], ...], dict[tuple[str, int, frozenset[str]], Any]] = ((), {})
"""(the DISSECTORS tuple it was built from, {(what, proto, skipped names): value}): the views
below are cached and rebuilt when DISSECTORS is replaced (as tests do)."""


def _cache() -> dict[tuple[str, int, frozenset[str]], Any]:
    global _memo
    if _memo[0] is not DISSECTORS:
        _memo = (DISSECTORS, {})
    return _memo[1]


def running_on(proto: int, skip: frozenset[str] = _NONE) -> tuple[type[Dissector], ...]:
    """The dissectors running on ``proto`` whose names are not in ``skip``, in priority order."""
    cache = _cache()
    found: tuple[type[Dissector], ...] | None = cache.get(("run", proto, skip))
    if found is None:
        found = cache[("run", proto, skip)] = tuple(
            cls for cls in DISSECTORS if proto in cls.transports and cls.name not in skip)
    return found


def ports_of(proto: int, skip: frozenset[str] = _NONE) -> frozenset[int]:
    """Every well-known port of the dissectors of :func:`running_on`."""
    cache = _cache()
    found: frozenset[int] | None = cache.get(("ports", proto, skip))
    if found is None:
        found = cache[("ports", proto, skip)] = frozenset(
            port for cls in running_on(proto, skip) for port in cls.ports)
    return found


_ByFirstByte = tuple[tuple[type[Dissector], ...], ...]


def by_first_byte(proto: int, skip: frozenset[str] = _NONE) -> _ByFirstByte:
    """For each value of a payload's first byte (the index, 0-255), the dissectors of
    :func:`running_on` whose first bytes on ``proto`` (``first_bytes_on``) are ``None`` or
    hold it, in priority order: the only ones whose content test can accept such a
    payload."""
    cache = _cache()
    found: _ByFirstByte | None = cache.get(("first", proto, skip))
    if found is None:
        running = running_on(proto, skip)
        shared: dict[tuple[type[Dissector], ...], tuple[type[Dissector], ...]] = {}
        allowed = [cls.first_bytes_on(proto) for cls in running]
        rows = []
        for byte in range(256):
            row = tuple(cls for cls, first in zip(running, allowed)
                        if first is None or byte in first)
            rows.append(shared.setdefault(row, row))  # one tuple per distinct row
        found = cache[("first", proto, skip)] = tuple(rows)
    return found


def screened(proto: int) -> tuple[tuple[type[Dissector], tuple[Screen, ...]], ...]:
    """The dissectors of :func:`running_on` that declare screens on ``proto``
    (``Dissector.screens``), with them: bit ``i`` of :func:`identify`'s ``excluded`` stands
    for the ``i``-th."""
    cache = _cache()
    found: tuple[tuple[type[Dissector], tuple[Screen, ...]], ...] | None = cache.get(
        ("screened", proto, _NONE))
    if found is None:
        found = cache[("screened", proto, _NONE)] = tuple(
            (cls, cls.screens[proto]) for cls in running_on(proto) if cls.screens.get(proto))
    return found


def _bit_of(proto: int) -> dict[type[Dissector], int]:
    """Each class of :func:`screened` -> its bit."""
    return {cls: 1 << i for i, (cls, _) in enumerate(screened(proto))}


def screen_bits(proto: int, skip: frozenset[str] = _NONE) -> tuple[tuple[bool, int], ...]:
    """Per first byte (the index): whether a dissector without a screen on ``proto`` may
    accept such a payload, and the bits (:func:`screened`) of those with one. A payload
    whose screens fail for all of those bits, with the first false, matches nothing."""
    cache = _cache()
    found: tuple[tuple[bool, int], ...] | None = cache.get(("bits", proto, skip))
    if found is None:
        bits = _bit_of(proto)
        found = cache[("bits", proto, skip)] = tuple(
            (any(cls not in bits for cls in row), sum(bits.get(cls, 0) for cls in row))
            for row in by_first_byte(proto, skip))
    return found


_Test = tuple[type[Dissector], Callable[[bytes, int, bool], bool], int]
"""A dissector class, its bound ``matches`` classmethod and its :func:`screened` bit (0:
none)."""
_TestTable = tuple[tuple[_Test, ...], ...]


def _tests_by_first_byte(proto: int, skip: frozenset[str]) -> _TestTable:
    """:func:`by_first_byte` with each class paired with its bound ``matches`` and screen
    bit: what :func:`identify` runs (built once per view, so the hot loop does no attribute
    lookup; a class's ``matches`` is read when the view is built, like its ``first_bytes``)."""
    cache = _cache()
    found: _TestTable | None = cache.get(("tests", proto, skip))
    if found is None:
        bits = _bit_of(proto)
        shared: dict[tuple[type[Dissector], ...], tuple[_Test, ...]] = {}
        found = cache[("tests", proto, skip)] = tuple(
            shared.setdefault(row, tuple((cls, cls.matches, bits.get(cls, 0)) for cls in row))
            for row in by_first_byte(proto, skip))
    return found


_Tests = tuple[tuple[type[Dissector], Callable[[bytes, int, bool], bool]], ...]
_UNSCREENED_MAX = 4096
"""Views of the first-byte table without the screened-out tests kept per (protocol, skip):
each is a (first byte, ``excluded``) seen; the payloads of a capture show a few hundred."""


def _unscreened(proto: int, skip: frozenset[str], first: int, excluded: int) -> _Tests:
    """The content tests :func:`identify` runs on a payload starting with ``first`` whose
    screens ruled out ``excluded``: the row of :func:`_tests_by_first_byte` without them
    (remembered: the same few combinations come again and again)."""
    cache = _cache()
    seen: dict[tuple[int, int], _Tests] | None = cache.get(("unscreened", proto, skip))
    if seen is None:
        seen = cache[("unscreened", proto, skip)] = {}
    tests = seen.get((first, excluded))
    if tests is None:
        if len(seen) >= _UNSCREENED_MAX:
            seen.clear()
        tests = seen[(first, excluded)] = tuple(
            (cls, matches) for cls, matches, bit in _tests_by_first_byte(proto, skip)[first]
            if not bit & excluded)
    return tests


_OwnPortTests = dict[int, _Tests]


def _own_port_tests(proto: int, skip: frozenset[str]) -> _OwnPortTests:
    """Port -> the classes of :func:`running_on` with that well-known port and a
    ``matches_on_own_port`` of their own, each with that bound test (priority order)."""
    cache = _cache()
    found: _OwnPortTests | None = cache.get(("own", proto, skip))
    if found is None:
        base = Dissector.matches_on_own_port.__func__  # type: ignore[attr-defined]
        weak: dict[int, list[tuple[type[Dissector], Callable[[bytes, int, bool], bool]]]] = {}
        for cls in running_on(proto, skip):
            if cls.matches_on_own_port.__func__ is not base:  # type: ignore[attr-defined]
                for port in cls.ports:
                    weak.setdefault(port, []).append((cls, cls.matches_on_own_port))
        found = cache[("own", proto, skip)] = {p: tuple(t) for p, t in weak.items()}
    return found


def identify(
    payload: bytes, proto: int, from_orig: bool, sport: int, dport: int,
    skip: frozenset[str] = _NONE, excluded: int = 0,
) -> type[Dissector] | None:
    """The dissector for a flow, from its first payload in one direction.

    Candidates are the dissectors running on ``proto`` (except those named in ``skip``)
    whose content test accepts ``payload``. With several candidates, the first (in priority
    order) whose well-known ports include ``sport`` or ``dport`` wins; without, the first
    candidate. ``None`` when no content test matches (a port alone never identifies a flow).
    Only the content tests of dissectors whose ``first_bytes`` admit ``payload[0]`` run
    (:func:`by_first_byte`): the others cannot accept it; nor do those whose :func:`screened`
    bit is set in ``excluded`` (the caller found their screens fail on this payload).
    When none matches, the weaker tests of the classes whose well-known ports include the
    destination port, then the source port, are asked (``matches_on_own_port``; screens do
    not apply to them).
    """
    if not payload:
        return None
    first: type[Dissector] | None = None
    candidates: list[type[Dissector]] | None = None
    for cls, matches in _unscreened(proto, skip, payload[0], excluded):
        if matches(payload, proto, from_orig):
            if first is None:
                first = cls
            elif candidates is None:
                candidates = [first, cls]
            else:
                candidates.append(cls)
    if first is None:
        return _on_own_port(payload, proto, from_orig, sport, dport, skip)
    if candidates is None:
        return first
    for cls in candidates:
        if sport in cls.ports or dport in cls.ports:
            return cls
    return first


def _on_own_port(payload: bytes, proto: int, from_orig: bool, sport: int, dport: int,
                 skip: frozenset[str]) -> type[Dissector] | None:
    weak = _own_port_tests(proto, skip)
    for port in (dport, sport):
        for cls, test in weak.get(port, ()):
            if test(payload, proto, from_orig):
                return cls
    return None


def by_port(port: int, proto: int) -> type[Dissector] | None:
    """The first dissector (priority order) running on ``proto`` that lists ``port`` among its
    well-known ports: a guess, for flows no content test recognised."""
    for cls in running_on(proto):
        if port in cls.ports:
            return cls
    return None
