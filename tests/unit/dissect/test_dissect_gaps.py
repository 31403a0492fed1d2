"""Every TCP dissector on streams with holes: ``gap`` (a TCP hole, announced by the
reassembler, or a snap length) interleaved with protocol-looking bytes never raises anything
but ``ParseError``, never loops, and a dissector that is ``done`` stays quiet."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wirelens.dissect.base import IPPROTO_TCP
from wirelens.dissect.registry import DISSECTORS
from wirelens.wire.errors import ParseError

TCP_DISSECTORS = sorted((c for c in DISSECTORS if IPPROTO_TCP in c.transports),
                        key=lambda c: c.name)

PIECES = [
    b"GET / HTTP/1.1\r\nHost: a\r\n", b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n",
    b"Transfer-Encoding: chunked\r\n\r\n5\r\nab", b"\r\n", b"\r\n\r\n", b"220 ready\r\n",
    b"250-a\r\n250 b\r\n", b"EHLO x\r\nMAIL FROM:<a>\r\nRCPT TO:<b>\r\n", b"DATA\r\n",
    b"354 go\r\n", b"BDAT 9 LAST\r\n", b".\r\n", b"+OK hi\r\n", b"-ERR no\r\n", b"RETR 1\r\n",
    b"USER u\r\nPASS p\r\n", b"* OK ready\r\n", b"a1 LOGIN x {3}\r\n", b"a1 OK done\r\n",
    b"* 1 FETCH (BODY[] {9}\r\n", b"\x16\x03\x01\x00\x30\x01\x00\x00\x2c\x03\x03",
    b"\x17\x03\x03\x00\x05abcde", b"SSH-2.0-x\r\n", b"\x00\x00\x00\x10", b"\xff" * 7,
]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.booleans(), st.one_of(
    st.sampled_from(PIECES), st.binary(max_size=40),
    st.integers(1, 5000))), min_size=1, max_size=25))
def test_holes_anywhere_never_break_a_dissector(steps: list[tuple[bool, bytes | int]]) -> None:
    for cls in TCP_DISSECTORS:
        d = cls(IPPROTO_TCP)
        try:
            for from_orig, step in steps:
                was_done = d.done
                got = (d.gap(from_orig, step) if isinstance(step, int)
                       else d.feed(step, from_orig, 1))
                assert not (was_done and got), f"{cls.name} gave events after done"
            d.finish()
        except ParseError:
            pass
