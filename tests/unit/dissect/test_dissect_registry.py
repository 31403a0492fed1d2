"""The dissector registry: identification by content, ports only as a tie-breaker."""

from __future__ import annotations

import struct

import pytest
from wl_dissect_builders import HTTP_REQUESTS, client_hello, dns_query, record, tcp_frame

from wirelens.dissect import DISSECTORS, by_name, identify, registry
from wirelens.dissect.base import Dissector
from wirelens.dissect.dns import DnsDissector
from wirelens.dissect.http import HttpDissector
from wirelens.dissect.ssh import SshDissector
from wirelens.dissect.tls import TlsDissector


def test_identify_by_content_not_port() -> None:
    tls = record(22, client_hello())
    assert identify(tls, 6, True, 50000, 80) is TlsDissector  # TLS on the HTTP port
    assert identify(HTTP_REQUESTS, 6, True, 50000, 443) is HttpDissector
    assert identify(dns_query(1, "a.example"), 17, True, 40000, 9999) is DnsDissector
    assert identify(tcp_frame(dns_query(1, "a.example")), 6, True, 40000, 53) is DnsDissector
    assert identify(b"SSH-2.0-OpenSSH_9.6\r\n", 6, True, 40000, 2222) is SshDissector
    assert identify(b"\x00" * 40, 17, True, 40000, 53) is None  # the port alone is not enough
    assert identify(b"", 6, True, 1, 2) is None
    assert identify(tls, 17, True, 1, 443) is None  # wrong transport


def test_ports_break_ties(monkeypatch: pytest.MonkeyPatch) -> None:
    class Greedy(Dissector):
        name = "greedy"
        transports = frozenset((6,))
        ports = frozenset((7,))

        @classmethod
        def matches(cls, payload: bytes, proto: int, from_orig: bool) -> bool:
            return True

        def feed(self, data: bytes, from_orig: bool, ts_ns: int) -> list:  # type: ignore[type-arg]
            return []

    monkeypatch.setattr(registry, "DISSECTORS", (Greedy, HttpDissector))
    assert identify(HTTP_REQUESTS, 6, True, 1234, 80) is HttpDissector
    assert identify(HTTP_REQUESTS, 6, True, 1234, 7) is Greedy
    assert identify(HTTP_REQUESTS, 6, True, 1234, 9) is Greedy  # first in priority


def test_registry_contents() -> None:
    names = [cls.name for cls in DISSECTORS]
    # the compiled classifier's services keep their order (strictest first, DNS last)
    assert names[:2] == ["tls", "http"] and names[-1] == "dns" and len(set(names)) == len(names)
    assert by_name("dns") is DnsDissector and by_name("no-such-protocol") is None
    for cls in DISSECTORS:
        d = cls(next(iter(cls.transports)))
        assert d.server_name is None and d.done is False and d.finish() == []


def test_dns_header_check_rejects_random_tcp() -> None:
    # a length prefix followed by a plausible-looking but query-with-answers header
    fake = struct.pack(">HHHHHHH", 40, 1, 0x0100, 1, 3, 0, 0) + b"\x00" * 28
    assert not DnsDissector.matches(fake, 6, True)


def test_no_numpy_in_dissect_and_wire() -> None:
    import subprocess
    import sys

    code = (
        "import sys, wirelens.dissect, wirelens.wire;"
        "bad=[m for m in sys.modules if m.split('.')[0] in ('numpy','numba','pyarrow')];"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_screened_out_tests_are_not_run_and_the_views_are_bounded(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """``identify`` runs the tests of the first-byte table minus those whose screen bit is in
    ``excluded``; the views it keeps per (first byte, excluded) are bounded."""
    handshake = b"\x01\x00\x00\x00" + bytes(range(144))  # a WireGuard initiation
    wireguard = by_name("wireguard")
    bit = registry._bit_of(17)[wireguard]
    assert identify(handshake, 17, True, 40000, 51820) is wireguard
    assert identify(handshake, 17, True, 40000, 51820, excluded=bit) is None  # not asked
    assert identify(handshake, 17, True, 40000, 51820, excluded=bit << 1) is wireguard
    monkeypatch.setattr(registry, "_UNSCREENED_MAX", 3)
    seen = registry._cache()[("unscreened", 17, registry._NONE)]
    for excluded in range(1, 12):
        identify(handshake, 17, True, 40000, 51820, excluded=excluded << 60)
        assert len(seen) <= 3
